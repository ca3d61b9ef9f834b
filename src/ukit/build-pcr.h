/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `ukit build --pcr-private-key=...`: embed .pcrsig (signed PCR 11 policies,
 * one set per key, combined in one JSON) and .pcrpkey, as ukify does.
 *
 * One pass: the measured sections are hashed (all banks) by a PeWriteObserver
 * while pe_write() streams them; .pcrsig is laid out as the last section with
 * a size reserved up front (the JSON's length is fixed by banks x phases x
 * keys and the keys' signature sizes; ECDSA's variable DER length is covered
 * by padding the JSON with trailing spaces). When the section before .pcrsig
 * in file order has been written, PCR 11 is final: the policies are signed
 * and the reserved buffer is filled, just before pe_write() copies it out.
 * .pcrsig itself is not measured, so nothing is read twice.
 *
 * Options: --pcr-private-key=KEY and --pcr-public-key=KEY (repeatable,
 * paired by position), --phases='PATH PATH...' (repeatable, for the key at
 * the same position; default the four standard phase paths). As in ukify,
 * --pcr-public-key and --phases are given once per key or not at all.
 * --pcr-banks=
 * sha1,sha256,... (default all four). Config: [UKI] PCRBanks=, PCRPrivateKey=,
 * PCRPublicKey=, Phases= and [PCRSignature:NAME] groups of the last three. */

#include "build.h"

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

/* Installs the hooks (call before the config file is read). 0 or exit status. */
int build_pcr_setup(BuildContext *c);
/* One of the ARG_PCR_* options. 0 or an exit status (after printing). */
int build_pcr_option(BuildContext *c, int opt, const char *arg);
/* Frees the extension state (from build_context_done). */
void build_pcr_done(BuildContext *c);
