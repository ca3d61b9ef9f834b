/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ukify 257's build options that are not about one section: --summary
 * (print the merged settings and stop), --measure/--no-measure (print PCR 11
 * as systemd-measure calculate does, computed in-house from the written
 * image), --tools (accepted: ukit runs no helper tools), --json/-j and
 * --all (ukify takes every option with every verb), the pesign options
 * and genkey's --secureboot-certificate-validity; and the [UKI] keys
 * SecureBootSigningTool=, SecureBootCertificateDir=,
 * SecureBootCertificateName=, SigningEngine=, SigningProvider=,
 * CertificateProvider=. */

#include "build.h"

enum {
        ARG_COMPAT_SUMMARY = 0x500,
        ARG_COMPAT_TOOLS,
        ARG_COMPAT_MEASURE,
        ARG_COMPAT_NO_MEASURE,
        ARG_COMPAT_JSON,
        ARG_COMPAT_JSON_PRETTY,         /* -j */
        ARG_COMPAT_ALL,
        ARG_COMPAT_SB_CERT_DIR,
        ARG_COMPAT_SB_CERT_NAME,
        ARG_COMPAT_SB_CERT_VALIDITY,
};

#define BUILD_COMPAT_OPTIONS                                                                            \
        { "summary",                         no_argument,       NULL, ARG_COMPAT_SUMMARY },             \
        { "tools",                           required_argument, NULL, ARG_COMPAT_TOOLS },               \
        { "measure",                         no_argument,       NULL, ARG_COMPAT_MEASURE },             \
        { "no-measure",                      no_argument,       NULL, ARG_COMPAT_NO_MEASURE },          \
        { "json",                            required_argument, NULL, ARG_COMPAT_JSON },                \
        { "all",                             no_argument,       NULL, ARG_COMPAT_ALL },                 \
        { "secureboot-certificate-dir",      required_argument, NULL, ARG_COMPAT_SB_CERT_DIR },         \
        { "secureboot-certificate-name",     required_argument, NULL, ARG_COMPAT_SB_CERT_NAME },        \
        { "secureboot-certificate-validity", required_argument, NULL, ARG_COMPAT_SB_CERT_VALIDITY }

#define BUILD_COMPAT_HELP                                                                       \
        "  --measure               print PCR 11 as `systemd-measure calculate` (for each\n"    \
        "                          phase path of --phases=, banks of --pcr-banks=)\n"          \
        "  --no-measure            do not (default)\n"                                         \
        "  --json=pretty|short|off, -j  --measure output as JSON (default off)\n"              \
        "  --summary               print the merged settings (options + config) and exit\n"    \
        "  --tools=DIR             accepted, repeatable; ukit runs no helper tools\n"          \
        "  --all                   accepted (an inspect option ukify takes everywhere)\n"      \
        "  --secureboot-certificate-dir=DIR  accepted (pesign's NSS database, not read)\n"    \
        "  --secureboot-certificate-name=NAME  refused (pesign signing is not supported)\n"  \
        "  --secureboot-certificate-validity=DAYS  accepted (a genkey option)\n"

int build_compat_setup(BuildContext *c);
void build_compat_done(BuildContext *c);
/* One of the ARG_COMPAT_* options. 0 or an exit status (after printing). */
int build_compat_option(BuildContext *c, int opt, const char *arg);
/* A config key: 1 if handled, 0 if not, <0 to refuse the file with
 * c->config_error. */
int build_compat_config(BuildContext *c, const char *section, const char *key, const char *value);
/* After options, config file and defaults: with --summary, prints the
 * settings and returns -1 (done); checks --measure. 0, -1 or an exit status. */
int build_compat_summary(BuildContext *c);
/* The stub to use without --stub: def, or with --efi-arch the stub of that
 * architecture named like def (ukit-stub-ARCH.efi, linuxARCH.efi.stub).
 * The string lives in the context. */
const char *build_compat_default_stub(BuildContext *c, const char *def);
/* After the output is written: --measure. 0 or an exit status. */
int build_compat_measure(BuildContext *c);
