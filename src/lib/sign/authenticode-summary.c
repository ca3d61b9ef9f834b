/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A summary of a certificate table entry (digest, signers, certificate
 * count) for `ukit inspect`: any PKCS#7 SignedData is described, also what
 * authenticode_signature_parse() would refuse. */
#include <limits.h>

#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "authenticode.h"
#include "util.h"

static char *name_oneline(X509_NAME *n) {
        /* Same format as sbverify/pesign ("/C=DE/CN=..."). */
        return n ? X509_NAME_oneline(n, NULL, 0) : NULL;
}

void authenticode_summarize(const AuthenticodeEntry *e, AuthenticodeSummary *sr) {
        const unsigned char *p = e->data;
        PKCS7 *p7;

        *sr = (AuthenticodeSummary) {};

        if (e->revision != WIN_CERT_REVISION_2_0 || e->type != WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
                sr->problem = "not a PKCS#7 SignedData certificate";
                return;
        }
        if (e->data_size > (size_t) LONG_MAX || !(p7 = d2i_PKCS7(NULL, &p, (long) e->data_size))) {
                sr->problem = "malformed PKCS#7";
                return;
        }
        if (!PKCS7_type_is_signed(p7) || !p7->d.sign) {
                sr->problem = "PKCS#7 is not SignedData";
                PKCS7_free(p7);
                return;
        }

        STACK_OF(X509) *certs = p7->d.sign->cert;
        STACK_OF(PKCS7_SIGNER_INFO) *infos = PKCS7_get_signer_info(p7);
        sr->n_certs = certs ? (size_t) sk_X509_num(certs) : 0;
        for (int i = 0; infos && i < sk_PKCS7_SIGNER_INFO_num(infos); i++) {
                PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(infos, i);
                if (!si || !si->issuer_and_serial)
                        continue;
                if (!sr->digest && si->digest_alg && si->digest_alg->algorithm) {
                        int nid = OBJ_obj2nid(si->digest_alg->algorithm);
                        sr->digest = nid != NID_undef ? OBJ_nid2ln(nid) : "unknown";   /* "sha256" */
                }
                if (sr->n_signers >= ELEMENTSOF(sr->signers))
                        break;
                X509 *cert = certs ? X509_find_by_issuer_and_serial(certs, si->issuer_and_serial->issuer,
                                                                     si->issuer_and_serial->serial) : NULL;
                AuthenticodeSigner *sg = &sr->signers[sr->n_signers++];
                if (cert) {
                        sg->subject = name_oneline(X509_get_subject_name(cert));
                        sg->issuer = name_oneline(X509_get_issuer_name(cert));
                } else {
                        /* Signer certificate not embedded: issuer is all we know. */
                        sg->issuer = name_oneline(si->issuer_and_serial->issuer);
                }
        }
        PKCS7_free(p7);
}

void authenticode_summary_done(AuthenticodeSummary *s) {
        for (size_t j = 0; j < s->n_signers; j++) {
                OPENSSL_free(s->signers[j].subject);
                OPENSSL_free(s->signers[j].issuer);
        }
        *s = (AuthenticodeSummary) {};
}
