/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit genkey: ukify's genkey. The keys and the certificate come from
 * lib/sign/keygen.c; this is the command line and the files. Existing
 * files are never overwritten: every target is checked before anything is
 * generated, and all outputs appear only once all of them could be made. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "config-load.h"
#include "cli.h"
#include "fileio.h"
#include "keygen.h"
#include "util.h"
#include "verbs.h"

#define GENKEY_PCR_KEYS_MAX     KEYGEN_PCR_KEYS_MAX
#define GENKEY_OUTPUTS_MAX      (2u + 2u * GENKEY_PCR_KEYS_MAX)
#define GENKEY_VALIDITY_DEFAULT KEYGEN_VALIDITY_DEFAULT
#define GENKEY_CN_MAX           KEYGEN_CN_MAX

typedef struct GenkeyArgs {
        const char *sb_key, *sb_cert;
        long validity_days;
        const char *cn;
        const char *pcr_priv[GENKEY_PCR_KEYS_MAX];
        size_t n_pcr_priv;
        const char *pcr_pub[GENKEY_PCR_KEYS_MAX];
        size_t n_pcr_pub;
        const char *config;
        bool validity_set;
        char *owned[256];               /* values from the config file */
        size_t n_owned;
} GenkeyArgs;

static void args_done(GenkeyArgs *a) {
        for (size_t i = 0; i < a->n_owned; i++)
                free(a->owned[i]);
}

typedef struct Output {
        const char *path;
        const KeygenPem *pem;
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
                "     --pcr-public-key=PATH                   Matching public key (repeatable, in order)\n"
                "  -c --config=PATH                           ukify.conf to read the above from\n"
                "                                             (default: ukify's search path)\n"
                "     --secureboot-certificate-dir=DIR        Accepted and ignored, as by ukify 257\n"
                "     --secureboot-certificate-name=NAME      genkey (pesign settings, and phases\n"
                "     --phases=PATH...                        of the PCR keys)\n",
                GENKEY_VALIDITY_DEFAULT);
}

static int parse_validity(const char *s, long *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        /* up to ~100 years: X509_time_adj_ex takes days as int */
        if (errno || *end || end == s || v < 1 || v > KEYGEN_VALIDITY_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

typedef struct GenkeyConfig {
        GenkeyArgs *a;
        bool sb_from_cmdline;
        size_t n_cli_priv, n_cli_pub;
        char *groups[GENKEY_PCR_KEYS_MAX];      /* config groups, by index after the command line's */
        size_t n_groups;
        const char *error;
} GenkeyConfig;

static const char *genkey_keep(GenkeyArgs *a, const char *v) {
        if (a->n_owned >= ELEMENTSOF(a->owned))
                return NULL;
        return a->owned[a->n_owned++] = xstrdup(v);
}

/* [PCRSignature:NAME] groups and [UKI] (group "") each give one key pair,
 * after the command line's keys, as ukify's config_set_group does. */
static int genkey_config_pcr(GenkeyConfig *st, const char *group, const char *key, const char *value) {
        GenkeyArgs *a = st->a;
        size_t g = 0;

        while (g < st->n_groups && !streq(st->groups[g], group))
                g++;
        if (g == st->n_groups) {
                if (st->n_cli_priv + g >= GENKEY_PCR_KEYS_MAX) {
                        st->error = "too many PCR signing keys";
                        return -E2BIG;
                }
                st->groups[st->n_groups++] = xstrdup(group);
        }
        size_t i = st->n_cli_priv + g;
        const char **slot = streq(key, "PCRPrivateKey") ? &a->pcr_priv[i] : &a->pcr_pub[i];
        *slot = genkey_keep(a, value);
        if (!*slot) {
                st->error = "too many settings";
                return -E2BIG;
        }
        a->n_pcr_priv = MAX(a->n_pcr_priv, i + 1);
        if (slot == &a->pcr_pub[i])
                a->n_pcr_pub = MAX(a->n_pcr_pub, i + 1);
        return 0;
}

static int genkey_config_item(void *userdata, const char *section, const char *key, const char *value, unsigned line) {
        GenkeyConfig *st = userdata;
        GenkeyArgs *a = st->a;
        const char *group = startswith(section, "PCRSignature:");
        (void) line;

        if ((group || streq(section, "UKI")) && (streq(key, "PCRPrivateKey") || streq(key, "PCRPublicKey")))
                return genkey_config_pcr(st, group ?: "", key, value);
        if (!streq(section, "UKI"))
                return 0;       /* everything else is build's (or refused there) */
        if (streq(key, "SecureBootCertificateValidity")) {
                if (!a->validity_set && parse_validity(value, &a->validity_days) < 0) {
                        st->error = "SecureBootCertificateValidity= is not 1..36525 days";
                        return -EINVAL;
                }
                return 0;
        }
        if (st->sb_from_cmdline || (!streq(key, "SecureBootPrivateKey") && !streq(key, "SecureBootCertificate")))
                return 0;
        const char *v = genkey_keep(a, value);
        if (!v) {
                st->error = "too many settings";
                return -E2BIG;
        }
        *(streq(key, "SecureBootPrivateKey") ? &a->sb_key : &a->sb_cert) = v;
        return 0;
}

/* ukify's config file applies to genkey too: key paths and the validity;
 * the command line wins, its PCR keys come first. */
static int apply_config(GenkeyArgs *a) {
        const char *path = a->config ?: build_config_default_path();
        GenkeyConfig st = { .a = a, .sb_from_cmdline = a->sb_key || a->sb_cert, .n_cli_priv = a->n_pcr_priv,
                            .n_cli_pub = a->n_pcr_pub };
        int r;

        r = config_load(path, genkey_config_item, &st, &st.error);
        for (size_t i = 0; i < st.n_groups; i++)
                free(st.groups[i]);
        if (r != 0)
                return r;
        for (size_t i = 0; i < a->n_pcr_priv; i++)
                if (!a->pcr_priv[i])
                        return log_error("%s: PCRPublicKey= without PCRPrivateKey=", path);
        return 0;
}

static int parse_args(int argc, char **argv, GenkeyArgs *a) {
        enum { ARG_SB_KEY = 0x100, ARG_SB_CERT, ARG_VALIDITY, ARG_CN, ARG_PCR_PRIV, ARG_PCR_PUB, ARG_IGNORED };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "secureboot-private-key", required_argument, NULL, ARG_SB_KEY },
                { "secureboot-certificate", required_argument, NULL, ARG_SB_CERT },
                { "secureboot-certificate-validity", required_argument, NULL, ARG_VALIDITY },
                { "secureboot-certificate-common-name", required_argument, NULL, ARG_CN },
                { "pcr-private-key", required_argument, NULL, ARG_PCR_PRIV },
                { "pcr-public-key", required_argument, NULL, ARG_PCR_PUB },
                { "config", required_argument, NULL, 'c' },
                /* ukify 257 genkey takes them and does not use them */
                { "secureboot-certificate-dir", required_argument, NULL, ARG_IGNORED },
                { "secureboot-certificate-name", required_argument, NULL, ARG_IGNORED },
                { "phases", required_argument, NULL, ARG_IGNORED },
                {}
        };
        int c, r;

        a->validity_days = GENKEY_VALIDITY_DEFAULT;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":hc:", options, NULL)) >= 0)
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
                        if (parse_validity(optarg, &a->validity_days) < 0)
                                return log_usage("invalid --secureboot-certificate-validity=%s (1..36525 days)", optarg);
                        a->validity_set = true;
                        break;
                case 'c':
                        a->config = optarg;
                        break;
                case ARG_IGNORED:
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
        if (a->n_pcr_pub > a->n_pcr_priv)
                return log_usage("more --pcr-public-key than --pcr-private-key");
        r = apply_config(a);
        if (r != 0)
                return r;
        if (!!a->sb_key != !!a->sb_cert)
                return log_usage("--secureboot-private-key and --secureboot-certificate go together");
        if (a->n_pcr_pub > a->n_pcr_priv)
                return log_usage("more --pcr-public-key than --pcr-private-key");
        if (!a->sb_key && a->n_pcr_priv == 0)
                return log_usage("nothing to do: give --secureboot-private-key/--secureboot-certificate "
                                 "and/or --pcr-private-key");
        return -1;
}

/* Temporary files of the outputs, all taken back unless committed. */
static void outputs_abort(Output (*out)[GENKEY_OUTPUTS_MAX]) {
        for (size_t i = 0; i < GENKEY_OUTPUTS_MAX; i++)
                atomic_file_abort(&(*out)[i].file);
}

/* Refuse before generating anything: no path twice, none already there. */
static int check_targets(const Output *out, size_t n_out) {
        for (size_t i = 0; i < n_out; i++) {
                for (size_t j = 0; j < i; j++)
                        if (streq(out[i].path, out[j].path))
                                return log_error("%s: given twice", out[i].path);
                /* lstat: a dangling symlink (or a loop) exists too. */
                struct stat st;
                if (lstat(out[i].path, &st) >= 0)
                        return log_error("%s: already exists, refusing to overwrite", out[i].path);
        }
        return 0;
}

/* Write every temporary file first, then commit them all. Commit without
 * ever replacing (linkat / RENAME_NOREPLACE): a path that appeared
 * meanwhile, as anything, stops us; the files already committed are then
 * taken back, so it is all outputs or none. */
static int write_outputs(Output *out, size_t n_out) {
        int r;

        for (size_t i = 0; i < n_out; i++) {
                r = atomic_file_open(&out[i].file, out[i].path);
                if (r >= 0)
                        r = write_full(out[i].file.fd, out[i].pem->data, out[i].pem->size);
                if (r < 0)
                        return log_errno(r, "%s: cannot write", out[i].path);
        }
        for (size_t committed = 0; committed < n_out; committed++) {
                r = atomic_file_commit_noreplace(&out[committed].file, out[committed].mode);
                if (r < 0) {
                        if (r == -EEXIST)
                                log_error("%s: already exists, refusing to overwrite", out[committed].path);
                        else
                                log_errno(r, "%s: cannot write", out[committed].path);
                        for (size_t j = 0; j < committed; j++)
                                if (unlink(out[j].path) < 0)
                                        log_warning("%s: cannot remove it again: %s", out[j].path, strerror(errno));
                        return EXIT_FAILURE;
                }
        }
        return 0;
}

int verb_genkey(int argc, char **argv) {
        _cleanup_(keygen_result_done) KeygenResult keys = {};
        _cleanup_(outputs_abort) Output out[GENKEY_OUTPUTS_MAX] = {};
        UkitError err = {};
        _cleanup_(args_done) GenkeyArgs a = {};
        size_t n_out = 0;
        int r;

        for (size_t i = 0; i < GENKEY_OUTPUTS_MAX; i++)
                out[i].file = (AtomicFile) ATOMIC_FILE_INIT;
        r = parse_args(argc, argv, &a);
        if (r >= 0)
                return r;

        if (a.sb_key) {
                out[n_out++] = (Output) { .path = a.sb_key, .pem = &keys.sb_key, .mode = 0600,
                                          .file = ATOMIC_FILE_INIT, .what = "SecureBoot private key" };
                out[n_out++] = (Output) { .path = a.sb_cert, .pem = &keys.sb_cert, .mode = 0644,
                                          .file = ATOMIC_FILE_INIT, .what = "SecureBoot certificate" };
        }
        for (size_t i = 0; i < a.n_pcr_priv; i++) {
                out[n_out++] = (Output) { .path = a.pcr_priv[i], .pem = &keys.pcr_priv[i], .mode = 0600,
                                          .file = ATOMIC_FILE_INIT, .what = "private key for PCR signing" };
                if (i < a.n_pcr_pub && a.pcr_pub[i])
                        out[n_out++] = (Output) { .path = a.pcr_pub[i], .pem = &keys.pcr_pub[i], .mode = 0644,
                                                  .file = ATOMIC_FILE_INIT, .what = "public key for PCR signing" };
        }
        r = check_targets(out, n_out);
        if (r != 0)
                return r;

        r = keygen_generate(&(KeygenSpec) {
                                    .secureboot = a.sb_key,
                                    .cn = a.cn,
                                    .validity_days = a.validity_days,
                                    .n_pcr = a.n_pcr_priv,
                            }, &keys, &err);
        if (r < 0)
                return log_error("%s", ukit_error_reason(&err, r));

        r = write_outputs(out, n_out);
        if (r != 0)
                return r;
        for (size_t i = 0; i < n_out; i++)
                printf("Writing %s to %s\n", out[i].what, out[i].path);
        return EXIT_SUCCESS;
}
