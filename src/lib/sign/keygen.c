/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "keygen.h"
#include "openssl-util.h"
#include "util.h"

static EVP_PKEY *rsa_new(void) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) KEYGEN_RSA_BITS);
}

static int add_ext(X509 *x, int nid, const char *value) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        _cleanup_(X509_EXTENSION_freep) X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        if (!e)
                return -EINVAL;
        return X509_add_ext(x, e, -1) ? 0 : -ENOMEM;
}

/* A self-signed code-signing certificate like ukify's: random serial, CN
 * only, not a CA. */
static X509 *self_signed(EVP_PKEY *key, const char *cn, long days) {
        _cleanup_(X509_freep) X509 *x = X509_new();
        uint8_t serial[16];
        BIGNUM *bn;

        if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
                return NULL;
        serial[0] &= 0x7f;      /* positive */
        serial[0] |= 0x40;      /* full length */
        bn = BN_bin2bn(serial, sizeof(serial), NULL);
        if (!bn)
                return NULL;
        ASN1_INTEGER *sn = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
        BN_free(bn);
        if (!sn)
                return NULL;

        X509_NAME *name = X509_get_subject_name(x);
        if (X509_set_version(x, 2) != 1 ||
            !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
            !X509_time_adj_ex(X509_getm_notAfter(x), (int) days, 0, NULL) ||
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0) != 1 ||
            X509_set_issuer_name(x, name) != 1 ||
            X509_set_pubkey(x, key) != 1)
                return NULL;
        if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
            add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
            add_ext(x, NID_ext_key_usage, "codeSigning") < 0 ||
            add_ext(x, NID_subject_key_identifier, "hash") < 0)
                return NULL;
        if (X509_sign(x, key, EVP_sha256()) <= 0)
                return NULL;
        return TAKE_PTR(x);
}

/* PEM text of an object, through a memory BIO. */
static int pem_text(KeygenPem *o, int (*write)(BIO *, const void *), const void *obj) {
        _cleanup_(BIO_freep) BIO *b = BIO_new(BIO_s_mem());
        char *p;
        long n;

        if (!b || write(b, obj) != 1)
                return -ENOMEM;
        n = BIO_get_mem_data(b, &p);
        o->data = malloc((size_t) n);
        if (!o->data)
                return -ENOMEM;
        memcpy(o->data, p, (size_t) n);
        o->size = (size_t) n;
        OPENSSL_cleanse(p, (size_t) n);
        return 0;
}

/* ukify writes "BEGIN RSA PRIVATE KEY" (traditional OpenSSL format). */
static int write_priv(BIO *b, const void *k) {
        return PEM_write_bio_PrivateKey_traditional(b, (EVP_PKEY *) k, NULL, NULL, 0, NULL, NULL);
}
static int write_pub(BIO *b, const void *k) {
        return PEM_write_bio_PUBKEY(b, (EVP_PKEY *) k);
}
static int write_cert(BIO *b, const void *x) {
        return PEM_write_bio_X509(b, (X509 *) x);
}

void keygen_default_cn(char *buf, size_t size) {
        char host[256] = "localhost";
        (void) gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = 0;
        snprintf(buf, size, "SecureBoot signing key on host %s", host);
        /* the CN must not exceed 64 bytes; ukify cuts it with "..." */
        if (strlen(buf) > KEYGEN_CN_MAX)
                memcpy(buf + KEYGEN_CN_MAX - 3, "...", 4);
}

static void pem_done(KeygenPem *p) {
        if (p->data) {
                OPENSSL_cleanse(p->data, p->size);
                free(p->data);
        }
        *p = (KeygenPem) {};
}

void keygen_result_done(KeygenResult *r) {
        pem_done(&r->sb_key);
        pem_done(&r->sb_cert);
        for (size_t i = 0; i < KEYGEN_PCR_KEYS_MAX; i++) {
                pem_done(&r->pcr_priv[i]);
                pem_done(&r->pcr_pub[i]);
        }
        r->n_pcr = 0;
}

static int make_secureboot(const KeygenSpec *s, KeygenResult *r, UkitError *err) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        char cn[KEYGEN_CN_MAX + 64];

        if (s->cn)
                snprintf(cn, sizeof(cn), "%s", s->cn);
        else
                keygen_default_cn(cn, sizeof(cn));
        key = rsa_new();
        cert = key ? self_signed(key, cn, s->validity_days) : NULL;
        if (!cert)
                return ukit_error(err, -EIO, "cannot generate the Secure Boot key and certificate");
        if (pem_text(&r->sb_key, write_priv, key) < 0 || pem_text(&r->sb_cert, write_cert, cert) < 0)
                return ukit_error(err, -ENOMEM, "out of memory");
        return 0;
}

static int make_pcr(KeygenResult *r, size_t i, UkitError *err) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = rsa_new();

        if (!key)
                return ukit_error(err, -EIO, "cannot generate a PCR signing key");
        if (pem_text(&r->pcr_priv[i], write_priv, key) < 0 || pem_text(&r->pcr_pub[i], write_pub, key) < 0)
                return ukit_error(err, -ENOMEM, "out of memory");
        return 0;
}

int keygen_generate(const KeygenSpec *s, KeygenResult *ret, UkitError *err) {
        _cleanup_(keygen_result_done) KeygenResult r = {};
        int k;

        if (s->n_pcr > KEYGEN_PCR_KEYS_MAX)
                return ukit_error(err, -EINVAL, "more than %u PCR signing keys", KEYGEN_PCR_KEYS_MAX);
        if (s->secureboot) {
                if (s->validity_days < 1 || s->validity_days > KEYGEN_VALIDITY_MAX)
                        return ukit_error(err, -EINVAL, "certificate validity must be 1..%d days",
                                          KEYGEN_VALIDITY_MAX);
                if (s->cn && (!*s->cn || strlen(s->cn) > KEYGEN_CN_MAX))
                        return ukit_error(err, -EINVAL, "the common name must be 1..%d bytes", KEYGEN_CN_MAX);
                k = make_secureboot(s, &r, err);
                if (k < 0)
                        return k;
        }
        for (size_t i = 0; i < s->n_pcr; i++) {
                k = make_pcr(&r, i, err);
                if (k < 0)
                        return k;
                r.n_pcr++;
        }
        *ret = r;
        r = (KeygenResult) {};
        return 0;
}
