/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `ukit build --pcr-private-key=...`: the options and config keys that ask
 * for .pcrsig (signed PCR 11 policies, one set per key, combined in one
 * JSON) and .pcrpkey, as ukify does. They fill a UkiPcrSpec; uki_build()
 * (lib/uki/uki-build.h) does the measuring and signing in the write pass.
 *
 * Options: --pcr-private-key=KEY and --pcr-public-key=KEY (repeatable,
 * paired by position), --phases='PATH PATH...' (repeatable, for the key at
 * the same position; default the four standard phase paths). As in ukify,
 * --pcr-public-key and --phases are given once per key or not at all.
 * --pcr-banks=
 * sha1,sha256,... (default all four). Config: [UKI] PCRBanks=, PCRPrivateKey=,
 * PCRPublicKey=, Phases= and [PCRSignature:NAME] groups of the last three. */

#include "build.h"
#include "pcr-phases.h"
#include "uki-build.h"

enum {
        ARG_PCR_PRIVATE_KEY = 0x300,
        ARG_PCR_PUBLIC_KEY,
        ARG_PCR_PHASES,
        ARG_PCR_BANKS,
};

#define BUILD_PCR_OPTIONS                                                               \
        { "pcr-private-key", required_argument, NULL, ARG_PCR_PRIVATE_KEY },            \
        { "pcr-public-key",  required_argument, NULL, ARG_PCR_PUBLIC_KEY },             \
        { "phases",          required_argument, NULL, ARG_PCR_PHASES },                 \
        { "pcr-banks",       required_argument, NULL, ARG_PCR_BANKS }

#define BUILD_PCR_HELP                                                                  \
        "  --pcr-private-key=KEY   sign PCR 11 policies into .pcrsig, repeatable\n"     \
        "  --pcr-public-key=KEY    public key of the key at the same position\n"        \
        "  --phases='PATH...'      phase paths to sign for (per key)\n"                 \
        "  --pcr-banks=BANK,...    sha1,sha256,sha384,sha512 (default: all four)\n"

/* Allocates the extension state (before options and the config file are
 * read). 0 or exit status. */
int build_pcr_setup(BuildContext *c);
/* A config key outside ukit build's own: 1 if handled, 0 if not, <0 to
 * refuse the file with c->config_error (one line). */
int build_pcr_config(BuildContext *c, const char *section, const char *key, const char *value);
/* After the section list is final: loads the keys, picks the stub's
 * measurement rules and fills *ret (NULL: no .pcrsig wanted). The spec
 * lives in the context. 0 or an exit status (after printing). */
int build_pcr_spec(BuildContext *c, UkiPcrSpec **ret);
/* One of the ARG_PCR_* options. 0 or an exit status (after printing). */
int build_pcr_option(BuildContext *c, int opt, const char *arg);
/* For --measure: the banks (--pcr-banks=/PCRBanks=, default all four) and
 * the phase paths of all keys together (default the four standard ones).
 * 0 or an exit status (after printing). */
int build_pcr_measure_params(BuildContext *c, unsigned *ret_banks, PcrPhases *ret_phases);
/* Frees the extension state (from build_context_done). */
void build_pcr_done(BuildContext *c);
