/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The .pcrsig part of `ukit verify`: the audit of every profile of a
 * multi-profile UKI (pcrsig_audit_profile() per profile) and the report of
 * an audit, in text and JSON. */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "json.h"
#include "pcrsig-verify.h"
#include "pe.h"

#define VERIFY_PROFILES_MAX 256u
#define VERIFY_PROFILE_ID_MAX 256u

typedef struct VerifyProfile {
        PcrSigAudit audit;              /* audit.present: the profile has a .pcrsig */
        char id[VERIFY_PROFILE_ID_MAX]; /* ID= of its .profile, "" if none or unreadable */
} VerifyProfile;

typedef struct VerifyProfiles {
        VerifyProfile *p;
        uint32_t n;                     /* 0: the image has no .profile */
} VerifyProfiles;

void verify_profiles_done(VerifyProfiles *v);

/* Audits every profile of img (none if it has no .profile section): the
 * .pcrsig the stub uses for it, PCR 11 for it in SHA-256 and the banks its
 * .pcrsig lists. -E2BIG for more than VERIFY_PROFILES_MAX profiles; on
 * malformed input (-EBADMSG) *ret_bad is the profile and err says why. */
int verify_profiles_audit(int fd, const PeImage *img, char *const *phases, size_t n_phases, const PcrSigKeys *keys,
                          VerifyProfiles *ret, uint32_t *ret_bad, UkitError *err);

/* A profile without .pcrsig passes: there is nothing to check. */
bool verify_profile_ok(const VerifyProfile *p, bool strict);

void verify_pcrsig_print_text(const char *prefix, const PcrSigAudit *p, bool strict);
void verify_pcrsig_print_json(JsonWriter *w, const PcrSigAudit *p, bool strict);

void verify_profiles_print_text(const VerifyProfiles *v, bool strict);
void verify_profiles_print_json(JsonWriter *w, const VerifyProfiles *v, bool strict);
