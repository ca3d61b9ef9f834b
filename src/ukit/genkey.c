/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit genkey: ukify's genkey. A Secure Boot signing key (RSA-2048) with a
 * self-signed certificate, and PCR signing key pairs (RSA-2048). Existing
 * files are never overwritten: every target is checked before anything is
 * written, and all outputs appear only once all of them could be made. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "fileio.h"
#include "keys.h"
#include "openssl-util.h"
#include "util.h"
#include "verbs.h"

#define GENKEY_RSA_BITS         2048
#define GENKEY_PCR_KEYS_MAX     16u
#define GENKEY_OUTPUTS_MAX      (2u + 2u * GENKEY_PCR_KEYS_MAX)
#define GENKEY_VALIDITY_DEFAULT (365 * 10)      /* ukify's default, days */
#define GENKEY_CN_MAX           64              /* X.520 ub-common-name */

typedef struct GenkeyArgs {
        const char *sb_key, *sb_cert;
        long validity_days;
        const char *cn;
        const char *pcr_priv[GENKEY_PCR_KEYS_MAX];
        size_t n_pcr_priv;
        const char *pcr_pub[GENKEY_PCR_KEYS_MAX];
        size_t n_pcr_pub;
} GenkeyArgs;

typedef struct Output {
        const char *path;
        char *data;
        long size;
        mode_t mode;
        const char *what;
        AtomicFile file;
} Output;

static void help(FILE *f) {
        fprintf(f,
                "Usage: ukit genkey [OPTIONS...]\n"
                "\n"
                "Generate a Secure Boot signing key and certificate and/or PCR signing key\n"
                "pairs, as `ukify genkey` does. Existing files are never overwritten.\n"
                "\n"
                "Options:\n"
                "  -h --help                                  Show this help\n"
                "     --secureboot-private-key=PATH           Secure Boot private key (RSA-2048, PEM)\n"
                "     --secureboot-certificate=PATH           Its self-signed certificate (PEM)\n"
                "     --secureboot-certificate-validity=DAYS  Validity (default %d)\n"
                "     --secureboot-certificate-common-name=CN Subject/issuer CN (default\n"
                "                                             \"SecureBoot signing key on host FQDN\")\n"
                "     --pcr-private-key=PATH                  PCR signing private key (repeatable)\n"
                "     --pcr-public-key=PATH                   Matching public key (repeatable, in order)\n",
                GENKEY_VALIDITY_DEFAULT);
}

static int parse_args(int argc, char **argv, GenkeyArgs *a) {
        enum { ARG_SB_KEY = 0x100, ARG_SB_CERT, ARG_VALIDITY, ARG_CN, ARG_PCR_PRIV, ARG_PCR_PUB };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "secureboot-private-key", required_argument, NULL, ARG_SB_KEY },
                { "secureboot-certificate", required_argument, NULL, ARG_SB_CERT },
                { "secureboot-certificate-validity", required_argument, NULL, ARG_VALIDITY },
                { "secureboot-certificate-common-name", required_argument, NULL, ARG_CN },
                { "pcr-private-key", required_argument, NULL, ARG_PCR_PRIV },
                { "pcr-public-key", required_argument, NULL, ARG_PCR_PUB },
                {}
        };
        char *end;
        int c;

        a->validity_days = GENKEY_VALIDITY_DEFAULT;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_SB_KEY:
                        a->sb_key = optarg;
                        break;
                case ARG_SB_CERT:
                        a->sb_cert = optarg;
                        break;
                case ARG_VALIDITY:
                        errno = 0;
                        a->validity_days = strtol(optarg, &end, 10);
                        /* up to ~100 years: X509_time_adj_ex takes days as int */
                        if (errno || *end || end == optarg || a->validity_days < 1 || a->validity_days > 36525)
                                return log_usage("invalid --secureboot-certificate-validity=%s (1..36525 days)", optarg);
                        break;
                case ARG_CN:
                        if (!*optarg || strlen(optarg) > GENKEY_CN_MAX)
                                return log_usage("--secureboot-certificate-common-name must be 1..%d bytes",
                                                 GENKEY_CN_MAX);
                        a->cn = optarg;
                        break;
                case ARG_PCR_PRIV:
                        if (a->n_pcr_priv >= GENKEY_PCR_KEYS_MAX)
                                return log_usage("too many --pcr-private-key");
                        a->pcr_priv[a->n_pcr_priv++] = optarg;
                        break;
                case ARG_PCR_PUB:
                        if (a->n_pcr_pub >= GENKEY_PCR_KEYS_MAX)
                                return log_usage("too many --pcr-public-key");
                        a->pcr_pub[a->n_pcr_pub++] = optarg;
                        break;
                default:
                        return log_getopt_error(c, argv);
                }
        if (optind != argc)
                return log_usage("unexpected argument '%s'", argv[optind]);
        if (!!a->sb_key != !!a->sb_cert)
                return log_usage("--secureboot-private-key and --secureboot-certificate go together");
        if (a->n_pcr_pub > a->n_pcr_priv)
                return log_usage("more --pcr-public-key than --pcr-private-key");
        if (!a->sb_key && a->n_pcr_priv == 0)
                return log_usage("nothing to do: give --secureboot-private-key/--secureboot-certificate "
                                 "and/or --pcr-private-key");
        return -1;
}

static EVP_PKEY *rsa_new(void) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) GENKEY_RSA_BITS);
}

static int add_ext(X509 *x, int nid, const char *value) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        if (!e)
                return -EINVAL;
        int ok = X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        return ok ? 0 : -ENOMEM;
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
static int pem_to_output(Output *o, int (*write)(BIO *, const void *), const void *obj) {
        BIO *b = BIO_new(BIO_s_mem());
        char *p;
        long n;

        if (!b || write(b, obj) != 1) {
                BIO_free(b);
                return -ENOMEM;
        }
        n = BIO_get_mem_data(b, &p);
        o->data = malloc((size_t) n);
        if (!o->data) {
                BIO_free(b);
                return -ENOMEM;
        }
        memcpy(o->data, p, (size_t) n);
        o->size = n;
        OPENSSL_cleanse(p, (size_t) n);
        BIO_free(b);
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

static void default_cn(char *buf, size_t size) {
        char host[256] = "localhost";
        (void) gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = 0;
        snprintf(buf, size, "SecureBoot signing key on host %s", host);
        /* the CN must not exceed 64 bytes; ukify cuts it with "..." */
        if (strlen(buf) > GENKEY_CN_MAX)
                memcpy(buf + GENKEY_CN_MAX - 3, "...", 4);
}

int verb_genkey(int argc, char **argv) {
        GenkeyArgs a = {};
        Output out[GENKEY_OUTPUTS_MAX] = {};
        size_t n_out = 0;
        EVP_PKEY *keys[1 + GENKEY_PCR_KEYS_MAX] = {};
        X509 *cert = NULL;
        int r, ret = EXIT_FAILURE;

        r = parse_args(argc, argv, &a);
        if (r >= 0)
                return r;

        /* Collect the targets and refuse before generating anything. */
        if (a.sb_key) {
                out[n_out++] = (Output) { .path = a.sb_key, .mode = 0600, .what = "SecureBoot private key" };
                out[n_out++] = (Output) { .path = a.sb_cert, .mode = 0644, .what = "SecureBoot certificate" };
        }
        for (size_t i = 0; i < a.n_pcr_priv; i++) {
                out[n_out++] = (Output) { .path = a.pcr_priv[i], .mode = 0600, .what = "private key for PCR signing" };
                if (i < a.n_pcr_pub)
                        out[n_out++] = (Output) { .path = a.pcr_pub[i], .mode = 0644, .what = "public key for PCR signing" };
        }
        for (size_t i = 0; i < n_out; i++) {
                out[i].file = (AtomicFile) ATOMIC_FILE_INIT;
                for (size_t j = 0; j < i; j++)
                        if (streq(out[i].path, out[j].path)) {
                                log_error("%s: given twice", out[i].path);
                                goto finish;
                        }
                /* lstat: a dangling symlink (or a loop) exists too. */
                struct stat st;
                if (lstat(out[i].path, &st) >= 0) {
                        log_error("%s: already exists, refusing to overwrite", out[i].path);
                        goto finish;
                }
        }

        size_t k = 0, nk = 0;
        if (a.sb_key) {
                char cn[GENKEY_CN_MAX + 64];
                if (a.cn)
                        snprintf(cn, sizeof(cn), "%s", a.cn);
                else
                        default_cn(cn, sizeof(cn));
                keys[nk] = rsa_new();
                cert = keys[nk] ? self_signed(keys[nk], cn, a.validity_days) : NULL;
                if (!cert) {
                        log_error("cannot generate the Secure Boot key and certificate");
                        goto finish;
                }
                if (pem_to_output(&out[k++], write_priv, keys[nk]) < 0 || pem_to_output(&out[k++], write_cert, cert) < 0) {
                        log_errno(-ENOMEM, "out of memory");
                        goto finish;
                }
                nk++;
        }
        for (size_t i = 0; i < a.n_pcr_priv; i++) {
                keys[nk] = rsa_new();
                if (!keys[nk]) {
                        log_error("cannot generate a PCR signing key");
                        goto finish;
                }
                if (pem_to_output(&out[k++], write_priv, keys[nk]) < 0 ||
                    (i < a.n_pcr_pub && pem_to_output(&out[k++], write_pub, keys[nk]) < 0)) {
                        log_errno(-ENOMEM, "out of memory");
                        goto finish;
                }
                nk++;
        }

        /* Write every temporary file first, then commit them all. */
        for (size_t i = 0; i < n_out; i++) {
                r = atomic_file_open(&out[i].file, out[i].path);
                if (r >= 0)
                        r = write_full(out[i].file.fd, out[i].data, (size_t) out[i].size);
                if (r < 0) {
                        log_errno(r, "%s: cannot write", out[i].path);
                        goto finish;
                }
        }
        /* Commit without ever replacing (linkat / RENAME_NOREPLACE): a path
         * that appeared meanwhile, as anything, stops us; the files already
         * committed are then taken back, so it is all outputs or none. */
        size_t committed = 0;
        for (; committed < n_out; committed++) {
                r = atomic_file_commit_noreplace(&out[committed].file, out[committed].mode);
                if (r < 0) {
                        if (r == -EEXIST)
                                log_error("%s: already exists, refusing to overwrite", out[committed].path);
                        else
                                log_errno(r, "%s: cannot write", out[committed].path);
                        for (size_t j = 0; j < committed; j++)
                                if (unlink(out[j].path) < 0)
                                        log_warning("%s: cannot remove it again: %s", out[j].path, strerror(errno));
                        goto finish;
                }
        }
        for (size_t i = 0; i < n_out; i++)
                printf("Writing %s to %s\n", out[i].what, out[i].path);
        ret = EXIT_SUCCESS;

finish:
        for (size_t i = 0; i < n_out; i++) {
                atomic_file_abort(&out[i].file);
                if (out[i].data) {
                        OPENSSL_cleanse(out[i].data, (size_t) out[i].size);
                        free(out[i].data);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                EVP_PKEY_free(keys[i]);
        X509_free(cert);
        return ret;
}
