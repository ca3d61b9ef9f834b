/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit verify: check every Authenticode signature of a PE image: the
 * digest recomputed from the image, the PKCS#7 signature, and (with --cert)
 * the chain to one of the given certificates. */
#include <fcntl.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>

#include "authenticode.h"
#include "cli.h"
#include "fileio.h"
#include "json.h"
#include "keys.h"
#include "openssl-util.h"
#include "pcrsig-verify.h"
#include "pe-format.h"
#include "sbat.h"
#include "uki.h"
#include "util.h"
#include "verbs.h"
#include "verify-pcrsig.h"

#define VERIFY_CERTS_MAX 64u
#define VERIFY_MDS_MAX 4u       /* sha1, sha256, sha384, sha512 */

typedef struct VerifyArgs {
        const char *certs[VERIFY_CERTS_MAX];
        size_t n_certs;
        JsonStyle json;
        const char *file;
        bool strict_pcrsig;
        char *pcrsig_phases[PCRSIG_VERIFY_PHASES_MAX / 2];
        size_t n_pcrsig_phases;
        PcrSigKeys pcr_keys;
} VerifyArgs;

static void verify_args_done(VerifyArgs *a) {
        pcrsig_keys_done(&a->pcr_keys);
}

/* The .sbat audit: shim refuses images whose SBAT it cannot parse. */
typedef struct SbatResult {
        bool present;
        bool valid;
        unsigned line;                  /* first bad line, 0 = the whole text */
        unsigned entries;
} SbatResult;

typedef struct SigResult {
        AuthenticodeSignature *sig;
        const char *error;              /* static text; NULL if fine so far */
        char reason[512];
        bool digest_ok;
        bool signature_ok;
        int trusted;                    /* 1 yes, 0 no, -1 not checked */
        size_t nested_in;               /* 1-based index of the outer signature, 0 if in the table */
        char *subject, *issuer, *serial;
} SigResult;

static void help(FILE *f) {
        fprintf(f,
                "Usage: ukit verify [OPTIONS...] FILE\n"
                "\n"
                "Verify the Authenticode signatures of a PE image (UKI, stub, kernel).\n"
                "\n"
                "Options:\n"
                "  -h --help          Show this help\n"
                "     --cert=CERT     Trusted certificate (repeatable): every signature must\n"
                "                     chain to one of them\n"
                "     --json=MODE     pretty, short or off\n"
                "     --pcr-public-key=KEY\n"
                "                     Check .pcrsig with this public key instead of .pcrpkey\n"
                "                     (repeatable; e.g. one key per boot phase)\n"
                "     --strict-pcrsig Fail on .pcrsig entries by keys other than .pcrpkey\n"
                "                     (or the --pcr-public-key keys)\n"
                "     --pcrsig-phase=PATH\n"
                "                     Further boot phase path a .pcrsig entry may be for\n"
                "\n"
                "Exits 0 only if the image is signed, the digest in every signature matches\n"
                "the image, every signature is valid and (with --cert) trusted, .sbat is\n"
                "valid, and every .pcrsig entry matches PCR 11 recomputed from the image\n"
                "and verifies with .pcrpkey or the given keys (at least one per bank). In a\n"
                "multi-profile UKI each profile's .pcrsig (its own, else the base's) is\n"
                "checked against PCR 11 for that profile, and PCR 11 is reported per\n"
                "profile.\n");
}

static int parse_args(int argc, char **argv, VerifyArgs *a) {
        enum { ARG_CERT = 0x100, ARG_JSON, ARG_STRICT_PCRSIG, ARG_PCRSIG_PHASE, ARG_PCR_PUBLIC_KEY };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "cert", required_argument, NULL, ARG_CERT },
                { "json", required_argument, NULL, ARG_JSON },
                { "strict-pcrsig", no_argument, NULL, ARG_STRICT_PCRSIG },
                { "pcrsig-phase", required_argument, NULL, ARG_PCRSIG_PHASE },
                { "pcr-public-key", required_argument, NULL, ARG_PCR_PUBLIC_KEY },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_CERT:
                        if (a->n_certs >= VERIFY_CERTS_MAX)
                                return log_usage("too many --cert (at most %u)", VERIFY_CERTS_MAX);
                        a->certs[a->n_certs++] = optarg;
                        break;
                case ARG_JSON:
                        if (json_style_from_string(optarg, &a->json) < 0)
                                return log_usage("invalid --json=%s (pretty, short or off)", optarg);
                        break;
                case ARG_STRICT_PCRSIG:
                        a->strict_pcrsig = true;
                        break;
                case ARG_PCR_PUBLIC_KEY: {
                        EVP_PKEY *k = NULL;
                        if (a->pcr_keys.n >= PCRSIG_KEYS_MAX)
                                return log_usage("too many --pcr-public-key= (at most %u)", PCRSIG_KEYS_MAX);
                        int r = keys_load_public(optarg, &k);
                        if (r < 0)
                                return log_errno(r, "%s: cannot load the public key", optarg);
                        if (pcrsig_keys_add(&a->pcr_keys, k) < 0)
                                return log_error("%s: neither an RSA nor an EC key", optarg);
                        break;
                }
                case ARG_PCRSIG_PHASE: {
                        char *norm = NULL;
                        if (a->n_pcrsig_phases >= ELEMENTSOF(a->pcrsig_phases))
                                return log_usage("too many --pcrsig-phase=");
                        if (pcr_phase_normalize(optarg, true, &norm) < 0)
                                return log_usage("unknown boot phase in --pcrsig-phase=%s", optarg);
                        free(norm);     /* validated here, normalised again by the audit */
                        a->pcrsig_phases[a->n_pcrsig_phases++] = optarg;
                        break;
                }
                default:
                        return log_getopt_error(c, argv);
                }
        if (optind + 1 != argc)
                return log_usage(optind >= argc ? "missing FILE" : "exactly one FILE expected");
        a->file = argv[optind];
        return -1;
}

static char *name_string(const X509_NAME *n) {
        char *s = X509_NAME_oneline(n, NULL, 0);
        if (!s)
                return NULL;
        char *copy = strdup(s);
        OPENSSL_free(s);
        return copy;
}

static char *serial_string(const ASN1_INTEGER *i) {
        BIGNUM *bn = ASN1_INTEGER_to_BN(i, NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;
        char *copy = hex ? strdup(hex) : NULL;
        OPENSSL_free(hex);
        BN_free(bn);
        return copy;
}

/* What the .pcrsig audit found: pcrsig for an image without .profile (NULL
 * if it has no .pcrsig), else one audit per profile. */
typedef struct VerifyPcrsig {
        const PcrSigAudit *pcrsig;
        const VerifyProfiles *profiles;
} VerifyPcrsig;

static void print_text(const VerifyArgs *a, const AuthenticodeImage *img, const SbatResult *sbat, SigResult *res,
                       size_t n, const VerifyPcrsig *pcrsig, bool ok) {
        _cleanup_free_ char *file = escape_str(a->file);
        printf("%s: %zu signature%s\n", file, n, n == 1 ? "" : "s");
        if (sbat->present && sbat->valid)
                printf("sbat: valid, %u entries\n", sbat->entries);
        else if (sbat->present)
                printf("sbat: INVALID (line %u)\n", sbat->line);
        if (img->layout.uncovered > 0)
                printf("note: %" PRIu64 " bytes from offset 0x%" PRIx64 " lie in gaps between sections and are "
                       "not covered by any signature\n", img->layout.uncovered, img->layout.first_uncovered);
        for (size_t i = 0; i < n; i++) {
                SigResult *r = &res[i];
                printf("signature %zu:", i + 1);
                if (r->nested_in)
                        printf(" (nested in %zu, not checked by firmware)", r->nested_in);
                if (r->error) {
                        printf(" invalid: %s%s%s\n", r->error, r->reason[0] ? ": " : "", r->reason);
                        continue;
                }
                printf(" %s, subject %s, issuer %s, serial %s: ", authenticode_md_name(r->sig->md),
                       r->subject ?: "?", r->issuer ?: "?", r->serial ?: "?");
                printf("%s\n", r->trusted == 1 ? "valid, trusted" : r->trusted == 0 ? "valid, NOT trusted"
                                                                                      : "valid (chain not checked)");
        }
        if (pcrsig->profiles->n > 0)
                verify_profiles_print_text(pcrsig->profiles, a->strict_pcrsig);
        else if (pcrsig->pcrsig)
                verify_pcrsig_print_text("", pcrsig->pcrsig, a->strict_pcrsig);
        printf("%s\n", ok ? "OK" : "FAILED");
}

static void print_json(const VerifyArgs *a, const AuthenticodeImage *img, const SbatResult *sbat, SigResult *res,
                       size_t n, const VerifyPcrsig *pcrsig, bool ok) {
        JsonWriter w;

        json_begin(&w, stdout, a->json);
        json_object_begin(&w);
        json_kv_string(&w, "file", a->file);
        json_kv_bool(&w, "valid", ok);
        json_kv_uint(&w, "uncoveredBytes", img->layout.uncovered);
        json_key(&w, "sbat");
        if (!sbat->present)
                json_null(&w);
        else {
                json_object_begin(&w);
                json_kv_bool(&w, "valid", sbat->valid);
                if (sbat->valid)
                        json_kv_uint(&w, "entries", sbat->entries);
                else
                        json_kv_uint(&w, "line", sbat->line);
                json_object_end(&w);
        }
        /* profile images: "pcrsig" is profile 0's, "profiles" has them all */
        verify_pcrsig_print_json(&w, pcrsig->pcrsig, a->strict_pcrsig);
        if (pcrsig->profiles->n > 0)
                verify_profiles_print_json(&w, pcrsig->profiles, a->strict_pcrsig);
        json_key(&w, "signatures");
        json_array_begin(&w);
        for (size_t i = 0; i < n; i++) {
                SigResult *r = &res[i];
                json_object_begin(&w);
                json_kv_uint(&w, "index", i + 1);
                if (r->nested_in)
                        json_kv_uint(&w, "nestedIn", r->nested_in);
                if (r->sig) {
                        char hex[2 * EVP_MAX_MD_SIZE + 1];
                        hex_encode_to(r->sig->digest, r->sig->digest_size, hex);
                        json_kv_string(&w, "digestAlgorithm", authenticode_md_name(r->sig->md));
                        json_kv_string(&w, "digest", hex);
                }
                json_kv_bool(&w, "digestMatches", r->digest_ok);
                json_kv_bool(&w, "signatureValid", r->signature_ok);
                json_key(&w, "trusted");
                if (r->trusted < 0)
                        json_null(&w);
                else
                        json_bool(&w, r->trusted == 1);
                if (r->subject)
                        json_kv_string(&w, "subject", r->subject);
                if (r->issuer)
                        json_kv_string(&w, "issuer", r->issuer);
                if (r->serial)
                        json_kv_string(&w, "serial", r->serial);
                if (r->error) {
                        char buf[512];
                        snprintf(buf, sizeof(buf), "%s%s%s", r->error, r->reason[0] ? ": " : "", r->reason);
                        json_kv_string(&w, "error", buf);
                }
                json_object_end(&w);
        }
        json_array_end(&w);
        json_object_end(&w);
        json_end(&w);
}

/* The image could not be read or parsed: one error line on stderr, and with
 * --json also a JSON object on stdout, so a script reading it gets a
 * document either way. Returns EXIT_FAILURE. */
static int verify_fail(const VerifyArgs *a, int r, const char *reason) {
        _cleanup_free_ char *msg = NULL;

        if (reason)
                msg = xasprintf("%s", reason);
        else if (r == -EISDIR || r == -EBADFD || r == -ENOENT || r == -EACCES || r == -ELOOP)
                msg = xasprintf("%s", input_strerror(r));
        else
                msg = xasprintf("cannot read PE image: %s", input_strerror(r));
        log_error("%s: %s", a->file, msg);

        if (a->json != JSON_OFF) {
                JsonWriter w;
                json_begin(&w, stdout, a->json);
                json_object_begin(&w);
                json_kv_string(&w, "file", a->file);
                json_kv_bool(&w, "valid", false);
                json_kv_string(&w, "error", msg);
                json_object_end(&w);
                json_end(&w);
        }
        return EXIT_FAILURE;
}

static int check_sbat(int fd, const PeImage *pe, SbatResult *ret) {
        const PeSection *s = pe_find_section(pe, UKI_NAME_SBAT);
        _cleanup_free_ void *text = NULL;
        size_t n = 0, pos = 0;
        SbatEntry e;
        int r;

        *ret = (SbatResult) {};
        if (!s)
                return 0;
        ret->present = true;
        r = pe_read_section(fd, pe, s, SBAT_SIZE_MAX, &text, &n);
        if (r == -EFBIG)
                return 0;               /* too big for shim, hence invalid */
        if (r < 0)
                return r;
        r = sbat_validate(text, n, &ret->line);
        if (r < 0)
                return 0;
        ret->valid = true;
        while (sbat_next(text, n, &pos, &e) > 0)
                ret->entries++;
        return 0;
}

static void sig_results_done(SigResult (*res)[AUTHENTICODE_SIGNATURES_MAX]) {
        for (size_t i = 0; i < AUTHENTICODE_SIGNATURES_MAX; i++) {
                authenticode_signature_free((*res)[i].sig);
                free((*res)[i].subject);
                free((*res)[i].issuer);
                free((*res)[i].serial);
        }
}

/* The digests of the image, one per algorithm used by some signature. */
typedef struct VerifyDigests {
        const EVP_MD *mds[VERIFY_MDS_MAX];
        AuthenticodeHasher *hashers[VERIFY_MDS_MAX];
        uint8_t digests[VERIFY_MDS_MAX][EVP_MAX_MD_SIZE];
        size_t n_md;
} VerifyDigests;

static void verify_digests_done(VerifyDigests *d) {
        for (size_t k = 0; k < VERIFY_MDS_MAX; k++)
                authenticode_hasher_free(d->hashers[k]);
}

/* Loads the --cert certificates; NULL without --cert. Logs and returns
 * r < 0 on failure. */
static int load_trusted(const VerifyArgs *a, STACK_OF(X509) **ret) {
        _cleanup_(sk_X509_pop_freep) STACK_OF(X509) *trusted = NULL;
        int r;

        if (a->n_certs > 0) {
                trusted = sk_X509_new_null();
                if (!trusted)
                        return log_errno_r(-ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < a->n_certs; i++) {
                X509 *x = NULL;
                r = keys_load_certificate(a->certs[i], &x);
                if (r == -EBADMSG)
                        return log_error_r(r, "%s: no X.509 certificate found", a->certs[i]);
                if (r < 0)
                        return log_errno_r(r, "%s", a->certs[i]);
                if (!sk_X509_push(trusted, x)) {
                        X509_free(x);
                        return log_errno_r(-ENOMEM, "out of memory");
                }
        }
        *ret = TAKE_PTR(trusted);
        return 0;
}

/* Appends the signatures nested inside res[outer - 1] (osslsigncode/signtool
 * style further signatures) after the n_res results so far; returns the new
 * count. */
static size_t collect_nested(SigResult res[AUTHENTICODE_SIGNATURES_MAX], size_t n_res) {
        size_t outer = n_res;
        int r;

        for (size_t j = 0; n_res < AUTHENTICODE_SIGNATURES_MAX; j++) {
                SigResult *ns = &res[n_res];
                r = authenticode_signature_nested(res[outer - 1].sig, j, &ns->sig);
                if (r == -ENOENT)
                        break;
                *ns = (SigResult) { .sig = ns->sig, .trusted = -1, .nested_in = outer };
                if (r < 0)
                        ns->error = "malformed nested signature";
                n_res++;
        }
        return n_res;
}

/* Parses every entry of the certificate table (and the signatures nested in
 * them) into res; returns the number of results. */
static size_t parse_signatures(const AuthenticodeImage *img, SigResult res[AUTHENTICODE_SIGNATURES_MAX]) {
        size_t n_res = 0;
        int r;

        for (size_t i = 0; i < img->n_entries && n_res < AUTHENTICODE_SIGNATURES_MAX; i++) {
                const AuthenticodeEntry *e = &img->entries[i];
                SigResult *s = &res[n_res++];

                s->trusted = -1;
                if (e->revision != WIN_CERT_REVISION_2_0 || e->type != WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
                        s->error = "not a revision 2.0 PKCS#7 WIN_CERTIFICATE";
                        continue;
                }
                r = authenticode_signature_parse(e->data, e->data_size, &s->sig);
                if (r == -EOPNOTSUPP) {
                        s->error = "unsupported digest algorithm";
                        continue;
                }
                if (r < 0) {
                        s->error = "malformed PKCS#7 Authenticode signature";
                        continue;
                }
                n_res = collect_nested(res, n_res);
        }
        return n_res;
}

/* Computes the image digest for every algorithm in use, in one read of the
 * image. Logs and returns r < 0 on failure. */
static int digest_image(const VerifyArgs *a, int fd, const AuthenticodeImage *img, const SigResult *res,
                        size_t n_res, VerifyDigests *d) {
        int r;

        for (size_t i = 0; i < n_res; i++) {
                size_t k;
                if (!res[i].sig)
                        continue;
                for (k = 0; k < d->n_md; k++)
                        if (d->mds[k] == res[i].sig->md)
                                break;
                if (k == d->n_md)
                        d->mds[d->n_md++] = res[i].sig->md;
        }
        if (d->n_md == 0)
                return 0;

        r = authenticode_digest_fd(fd, &img->layout, d->mds, d->n_md, -1, d->hashers);
        if (r < 0)
                return log_errno_r(r, "%s: cannot read image", a->file);
        for (size_t k = 0; k < d->n_md; k++) {
                r = authenticode_hasher_finish(d->hashers[k], false, d->digests[k], NULL, NULL);
                if (r < 0)
                        return log_errno_r(r, "%s: cannot hash image", a->file);
        }
        return 0;
}

/* Checks one parsed signature: the signed digest against the image, the
 * PKCS#7 signature, and the chain to trusted when given. Sets s->error on
 * failure. */
static void check_signature(SigResult *s, const VerifyDigests *d, STACK_OF(X509) *trusted) {
        int r;

        if (s->sig->signer) {
                s->subject = name_string(X509_get_subject_name(s->sig->signer));
                s->issuer = name_string(X509_get_issuer_name(s->sig->signer));
                s->serial = serial_string(X509_get0_serialNumber(s->sig->signer));
        }

        for (size_t k = 0; k < d->n_md; k++)
                if (d->mds[k] == s->sig->md)
                        s->digest_ok = memcmp(d->digests[k], s->sig->digest, s->sig->digest_size) == 0;
        if (!s->digest_ok) {
                s->error = "image digest does not match the signed digest";
                return;
        }

        UkitError verr = UKIT_ERROR_INIT;
        r = authenticode_signature_verify(s->sig, trusted, &verr);
        snprintf(s->reason, sizeof(s->reason), "%s", verr.what);
        if (r == -EKEYREJECTED) {
                s->signature_ok = true;
                s->trusted = 0;
                s->error = "signer not trusted";
                return;
        }
        if (r < 0) {
                s->error = "bad signature";
                return;
        }
        s->signature_ok = true;
        if (trusted)
                s->trusted = 1;
}

/* The .pcrsig audit of a multi-profile UKI, every profile; clears *ok when
 * one fails. Logs and returns r < 0 when the image cannot be read. */
static int audit_profiles(const VerifyArgs *a, int fd, const AuthenticodeImage *img, VerifyProfiles *profiles,
                          bool *ok, UkitError *err) {
        uint32_t bad = 0;
        int r;

        r = verify_profiles_audit(fd, img->pe, a->pcrsig_phases, a->n_pcrsig_phases, &a->pcr_keys, profiles, &bad,
                                  err);
        if (r == -EBADMSG) {
                log_fail(err, r, "%s: profile %" PRIu32, a->file, bad);
                return r;
        }
        if (r == -E2BIG)
                return log_error_r(r, "%s: more than %u profiles", a->file, VERIFY_PROFILES_MAX);
        if (r < 0)
                return log_errno_r(r, "%s: cannot audit the .pcrsig of profile %" PRIu32, a->file, bad);
        for (uint32_t i = 0; i < profiles->n; i++)
                if (!verify_profile_ok(&profiles->p[i], a->strict_pcrsig))
                        *ok = false;
        return 0;
}

/* The .sbat and .pcrsig audits; clears *ok when either fails. *ret_pcrsig
 * tells whether an image without profiles has a .pcrsig. Logs and returns
 * r < 0 when the image cannot be read. */
static int audit_sections(const VerifyArgs *a, int fd, const AuthenticodeImage *img, SbatResult *sbat,
                          PcrSigAudit *pcrsig, bool *ret_pcrsig, VerifyProfiles *profiles, bool *ok,
                          UkitError *err) {
        int r;

        r = check_sbat(fd, img->pe, sbat);
        if (r < 0)
                return log_errno_r(r, "%s: cannot read .sbat", a->file);
        if (sbat->present && !sbat->valid)
                *ok = false;

        r = audit_profiles(a, fd, img, profiles, ok, err);
        if (r < 0 || profiles->n > 0)
                return r;

        r = pcrsig_audit_image(fd, img->pe, a->pcrsig_phases, a->n_pcrsig_phases, &a->pcr_keys, pcrsig, err);
        if (r == -EBADMSG) {
                log_fail(err, r, "%s", a->file);
                return r;
        }
        if (r < 0 && r != -ENOENT)
                return log_errno_r(r, "%s: cannot audit .pcrsig", a->file);
        *ret_pcrsig = r >= 0;
        if (*ret_pcrsig && !pcrsig_audit_ok(pcrsig, a->strict_pcrsig))
                *ok = false;
        return 0;
}

int verb_verify(int argc, char **argv) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        _cleanup_(sk_X509_pop_freep) STACK_OF(X509) *trusted = NULL;
        _cleanup_close_ int fd = -1;
        _cleanup_(sig_results_done) SigResult res[AUTHENTICODE_SIGNATURES_MAX] = {};
        _cleanup_(verify_digests_done) VerifyDigests digests = {};
        size_t n_res;
        _cleanup_(verify_args_done) VerifyArgs a = { .json = JSON_OFF };
        SbatResult sbat = {};
        _cleanup_(pcrsig_audit_done) PcrSigAudit pcrsig = {};
        _cleanup_(verify_profiles_done) VerifyProfiles profiles = {};
        VerifyPcrsig report = { .profiles = &profiles };
        bool have_pcrsig = false;
        UkitError err = UKIT_ERROR_INIT;
        bool ok = true;
        int r;

        r = parse_args(argc, argv, &a);
        if (r >= 0)
                return r;

        r = load_trusted(&a, &trusted);
        if (r < 0)
                return EXIT_FAILURE;

        fd = open_input(a.file, 0, 0, NULL);
        if (fd < 0)
                return verify_fail(&a, fd, NULL);
        r = authenticode_image_load(fd, &img, &err);
        if (r < 0)
                return verify_fail(&a, r, ukit_error_what(&err));
        /* An unsigned image still gets the rest of the audit (SBAT, .pcrsig):
         * a UKI is often checked before it is signed. It fails all the same. */
        if (!img->signed_)
                ok = false;

        /* Parse every entry first, so one read of the image serves every
         * digest algorithm in use. */
        n_res = parse_signatures(img, res);
        r = digest_image(&a, fd, img, res, n_res, &digests);
        if (r < 0)
                return EXIT_FAILURE;
        for (size_t i = 0; i < n_res; i++)
                if (res[i].sig)
                        check_signature(&res[i], &digests, trusted);

        for (size_t i = 0; i < n_res; i++)
                if (res[i].error)
                        ok = false;

        r = audit_sections(&a, fd, img, &sbat, &pcrsig, &have_pcrsig, &profiles, &ok, &err);
        if (r < 0)
                return EXIT_FAILURE;
        if (have_pcrsig)
                report.pcrsig = &pcrsig;
        else if (profiles.n > 0 && profiles.p[0].audit.present)
                report.pcrsig = &profiles.p[0].audit;

        if (a.json != JSON_OFF)
                print_json(&a, img, &sbat, res, n_res, &report, ok);
        else
                print_text(&a, img, &sbat, res, n_res, &report, ok);
        if (!img->signed_)
                log_error("%s: image is not signed", a.file);
        return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
