/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `ukit build` for multi-profile UKIs, as ukify 257 builds them:
 *
 *   --profile=TEXT|@PATH   a .profile section (config: [UKI] Profile=).
 *                          Without --join-profile the result is a profile
 *                          PE: .profile first, no .sbat.
 *   --join-profile=PATH    repeatable: the sections ukify 257 takes from a
 *                          profile PE (.linux .osrel .cmdline .initrd .ucode
 *                          .splash .dtb .uname .sbat .profile, .osrel only
 *                          when the UKI has os-release), in the PE's order,
 *                          are appended as the next profile. The base gets
 *                          --profile (default "ID=main") as its last
 *                          section, so everything before it is shared.
 *   --sign-profile=ID      repeatable (ukify 258's option): with
 *                          --pcr-private-key=, only the profiles with these
 *                          IDs get a .pcrsig.
 *
 * With --pcr-private-key= every profile gets its own .pcrsig after its
 * sections, for the base overlaid by them (uki_build() measures each). */

#include "build.h"
#include "uki-build.h"

enum {
        ARG_PROFILE = 0x700,
        ARG_JOIN_PROFILE,
        ARG_SIGN_PROFILE,
};

#define BUILD_PROFILE_OPTIONS                                                   \
        { "profile",      required_argument, NULL, ARG_PROFILE },               \
        { "join-profile", required_argument, NULL, ARG_JOIN_PROFILE },          \
        { "sign-profile", required_argument, NULL, ARG_SIGN_PROFILE }

#define BUILD_PROFILE_HELP                                                              \
        "  --profile=TEXT|@PATH    profile [.profile]; alone: build a profile PE\n"     \
        "  --join-profile=PATH     add a profile PE as the next profile, repeatable\n"  \
        "  --sign-profile=ID       with --pcr-private-key: sign only these profiles,\n" \
        "                          repeatable\n"

/* One of the ARG_*PROFILE options. 0 or an exit status (after printing). */
int build_profile_option(BuildContext *c, int opt, const char *arg);
/* [UKI] Profile=: 1 if handled, 0 if not. */
int build_profile_config(BuildContext *c, const char *section, const char *key, const char *value);
/* Before the other sections: a profile PE's .profile. 0 or exit status. */
int build_profile_lead(BuildContext *c);
/* Whether the image gets a .sbat (a profile PE does not). */
bool build_profile_wants_sbat(const BuildContext *c);
/* After the base's sections: the base's .profile and the joined profiles'
 * sections. 0 or exit status. */
int build_profile_join(BuildContext *c);
/* --sign-profile= into the PCR spec. 0 or exit status. */
int build_profile_pcr_spec(BuildContext *c, UkiPcrSpec *spec);
void build_profile_done(BuildContext *c);
