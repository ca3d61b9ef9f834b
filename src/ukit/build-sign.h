/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `ukit build --secureboot-private-key=KEY --secureboot-certificate=CERT
 * [--sign-kernel|--no-sign-kernel]`: the options and config keys of ukify's
 * Secure Boot signing. They fill a UkiSignSpec; uki_build()
 * (lib/uki/uki-build.h) signs in the same pass as the build: every output
 * byte feeds an Authenticode hasher while the image is streamed, and before
 * the output is committed the digest is signed and the certificate table
 * appended, so the image is never read back.
 *
 * --sign-kernel signs the embedded kernel first (ukify's default: when it is
 * not signed yet; an already signed kernel gets an additional signature
 * with --sign-kernel). The kernel is hashed once for that, and .linux is
 * then streamed from the kernel file with the new header fields and the
 * certificate table spliced in.
 *
 * Config ([UKI]): SecureBootPrivateKey=, SecureBootCertificate=,
 * SignKernel=. */

#include "build.h"
#include "uki-build.h"

enum {
        ARG_SB_PRIVATE_KEY = 0x400,
        ARG_SB_CERTIFICATE,
        ARG_SB_SIGN_KERNEL,
        ARG_SB_NO_SIGN_KERNEL,
        ARG_SB_PASSPHRASE_FILE,
};

#define BUILD_SIGN_OPTIONS                                                                      \
        { "secureboot-private-key",         required_argument, NULL, ARG_SB_PRIVATE_KEY },      \
        { "secureboot-certificate",         required_argument, NULL, ARG_SB_CERTIFICATE },      \
        { "sign-kernel",                    no_argument,       NULL, ARG_SB_SIGN_KERNEL },      \
        { "no-sign-kernel",                 no_argument,       NULL, ARG_SB_NO_SIGN_KERNEL },   \
        { "secureboot-passphrase-file",     required_argument, NULL, ARG_SB_PASSPHRASE_FILE }

#define BUILD_SIGN_HELP                                                                         \
        "  --secureboot-private-key=KEY  sign the UKI for Secure Boot (path or URI)\n"         \
        "  --secureboot-certificate=CERT certificate of that key\n"                             \
        "  --[no-]sign-kernel      sign the embedded kernel too (default: if unsigned)\n"      \
        "  --secureboot-passphrase-file=FILE  passphrase of an encrypted key\n"

/* Allocates the extension state (before options and the config file are
 * read). 0 or exit status. */
int build_sign_setup(BuildContext *c);
/* A config key outside ukit build's own: 1 if handled, 0 if not. */
int build_sign_config(BuildContext *c, const char *section, const char *key, const char *value);
/* Loads the key and certificate and fills *ret (NULL: not signing). The
 * spec lives in the context. 0 or an exit status (after printing). */
int build_sign_spec(BuildContext *c, UkiSignSpec **ret);
/* One of the ARG_SB_* options. 0 or an exit status (after printing). */
int build_sign_option(BuildContext *c, int opt, const char *arg);
/* Frees the extension state (from build_context_done). */
void build_sign_done(BuildContext *c);
