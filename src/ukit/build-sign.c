/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Secure Boot signing inside `ukit build` (see build-sign.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "authenticode.h"
#include "build-sign.h"
#include "cli.h"
#include "keys.h"
#include "sign-common.h"
#include "util.h"

typedef enum SignKernel {
        SIGN_KERNEL_AUTO,       /* ukify: when the kernel is not signed yet */
        SIGN_KERNEL_YES,
        SIGN_KERNEL_NO,
} SignKernel;

typedef struct BuildSign {
        /* options: command line wins over the config file */
        const char *key, *cert, *passphrase_file;
        char *cfg_key, *cfg_cert;
        SignKernel sign_kernel, cfg_sign_kernel;
        bool sign_kernel_set;

        EVP_PKEY *pkey;
        X509 *x509;

        UkiSignSpec spec;
} BuildSign;

static bool parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0) {
                        *ret = true;
                        return true;
                }
                if (strcasecmp(v, no[i]) == 0) {
                        *ret = false;
                        return true;
                }
        }
        return false;
}

int build_sign_config(BuildContext *c, const char *section, const char *key, const char *value) {
        BuildSign *s = c->ext_sign;

        if (streq(section, "UKI")) {
                char **slot = streq(key, "SecureBootPrivateKey") ? &s->cfg_key :
                              streq(key, "SecureBootCertificate") ? &s->cfg_cert : NULL;
                if (slot) {
                        free(*slot);
                        *slot = xstrdup(value);
                        if (slot == &s->cfg_key)
                                c->output_suffix = ".efi";
                        return 1;
                }
                if (streq(key, "SignKernel")) {
                        bool b;
                        if (!parse_bool(value, &b)) {
                                log_warning("SignKernel=%s: not a boolean, ignored", value);
                                return 1;
                        }
                        s->cfg_sign_kernel = b ? SIGN_KERNEL_YES : SIGN_KERNEL_NO;
                        return 1;
                }
                /* genkey's setting, meaningless for build */
                if (streq(key, "SecureBootCertificateValidity"))
                        return 1;
        }
        return 0;
}

int build_sign_option(BuildContext *c, int opt, const char *arg) {
        BuildSign *s = c->ext_sign;

        switch (opt) {
        case ARG_SB_PRIVATE_KEY:
                s->key = arg;
                break;
        case ARG_SB_CERTIFICATE:
                s->cert = arg;
                break;
        case ARG_SB_SIGN_KERNEL:
        case ARG_SB_NO_SIGN_KERNEL:
                s->sign_kernel = opt == ARG_SB_SIGN_KERNEL ? SIGN_KERNEL_YES : SIGN_KERNEL_NO;
                s->sign_kernel_set = true;
                break;
        case ARG_SB_PASSPHRASE_FILE:
                s->passphrase_file = arg;
                break;
        default:
                return EXIT_USAGE;
        }
        /* ukify names the output KERNEL.efi rather than KERNEL.unsigned.efi
         * when it signs. */
        if (s->key)
                c->output_suffix = ".efi";
        return 0;
}

int build_sign_spec(BuildContext *c, UkiSignSpec **ret) {
        BuildSign *s = c->ext_sign;
        int r;

        *ret = NULL;
        const char *key = s->key ?: s->cfg_key, *cert = s->cert ?: s->cfg_cert;
        SignKernel sk = s->sign_kernel_set ? s->sign_kernel : s->cfg_sign_kernel;

        if (!!key != !!cert)
                return log_usage("--secureboot-private-key= and --secureboot-certificate= must be specified together");
        if (sk == SIGN_KERNEL_YES && !key)
                return log_usage("--sign-kernel requires --secureboot-private-key= and --secureboot-certificate= to be specified");
        if (!key)
                return 0;

        /* Before anything is written: a wrong key fails the build with no
         * output. */
        r = sign_load_key_and_cert(key, s->passphrase_file, cert, &s->pkey, &s->x509);
        if (r < 0)
                return EXIT_FAILURE;
        s->spec = (UkiSignSpec) {
                .key = s->pkey,
                .cert = s->x509,
                .sign_kernel = sk == SIGN_KERNEL_YES ? UKI_SIGN_KERNEL_YES :
                               sk == SIGN_KERNEL_NO ? UKI_SIGN_KERNEL_NO : UKI_SIGN_KERNEL_AUTO,
        };
        *ret = &s->spec;
        return 0;
}

int build_sign_setup(BuildContext *c) {
        BuildSign *s;

        if (c->ext_sign)
                return 0;
        s = calloc(1, sizeof(*s));
        if (!s)
                return log_errno(-ENOMEM, "cannot allocate");
        c->ext_sign = s;
        return 0;
}

void build_sign_done(BuildContext *c) {
        BuildSign *s = c->ext_sign;

        if (!s)
                return;
        free(s->cfg_key);
        free(s->cfg_cert);
        EVP_PKEY_free(s->pkey);
        X509_free(s->x509);
        free(s);
        c->ext_sign = NULL;
}
