/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Auditing a UKI's .pcrsig (see pcrsig.h for the format) against the image
 * itself: PCR 11 is recomputed from the image's own sections with the rule
 * set of the stub inside it (uki_rules_for_stub() on .sdmagic, the same
 * predictor `ukit measure calculate --uki` uses), for every bank the .pcrsig
 * lists. For each entry:
 *
 *   "pcrs" must be [11];
 *   "pol" must equal the PolicyPCR digest of the recomputed PCR 11 after
 *         one of the candidate phase paths (which one is reported): "", every
 *         prefix of enter-initrd:leave-initrd:sysinit:ready:shutdown:final,
 *         every single phase word, plus the caller's extra phases;
 *   "pkfp" is compared with the fingerprint of .pcrpkey (or of the keys
 *         the caller gives instead); an entry for a different key (key
 *         rotation) cannot be checked further;
 *   "sig" must verify over "pol" with that key and the bank's hash.
 *
 * Returns 0 or -errno, never prints; on malformed input (-EBADMSG) a
 * one-line description is left in the optional err. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "pcr.h"
#include "pcrsig.h"
#include "pe.h"

#define PCRSIG_KEYS_MAX 16u
#define PCRSIG_VERIFY_SECTION_MAX (16u * 1024u * 1024u)   /* == JSON_PARSE_SIZE_MAX */
#define PCRSIG_VERIFY_PHASES_MAX  64u

typedef enum PcrSigStatus {
        PCRSIG_STATUS_OK,
        PCRSIG_STATUS_MISMATCH,         /* pcrs or pol do not match the image */
        PCRSIG_STATUS_BAD_SIGNATURE,    /* .pcrpkey's entry, but sig does not verify */
        PCRSIG_STATUS_UNKNOWN_KEY,      /* pol matches, pkfp is not .pcrpkey's */
        _PCRSIG_STATUS_MAX,
} PcrSigStatus;

/* "ok", "mismatch", "bad-signature", "unknown-key" */
const char *pcrsig_status_to_string(PcrSigStatus s);

typedef struct PcrSigCheck {
        PcrBank bank;
        size_t index;                   /* position in the bank's array */
        const char *phase;              /* recovered phase path ("" = before any), NULL if none matched */
        uint8_t pkfp[PCRSIG_FINGERPRINT_SIZE];
        PcrSigStatus status;
        const char *detail;             /* static text for anything but OK */
} PcrSigCheck;

/* Public keys to check the entries with instead of .pcrpkey (a vendor's
 * keys given on the command line, e.g. one per boot phase: ukify then
 * writes no .pcrpkey). */
typedef struct PcrSigKeys {
        EVP_PKEY *key[PCRSIG_KEYS_MAX];
        uint8_t fp[PCRSIG_KEYS_MAX][PCRSIG_FINGERPRINT_SIZE];
        size_t n;
} PcrSigKeys;

/* Takes key (also on failure): -E2BIG beyond PCRSIG_KEYS_MAX, -EINVAL for
 * a key that is neither RSA nor EC. */
int pcrsig_keys_add(PcrSigKeys *k, EVP_PKEY *key);
void pcrsig_keys_done(PcrSigKeys *k);

typedef struct PcrSigAudit {
        bool present;                   /* the image (profile) has a .pcrsig */
        PcrState pcr11;                 /* recomputed PCR 11 before any phase, in pcr11.banks */
        const char *rules_name;         /* "systemd-stub 252", ... */
        bool rules_known;               /* false: no known .sdmagic, current rules assumed */
        bool have_pcrpkey;
        uint8_t pcrpkey_fp[PCRSIG_FINGERPRINT_SIZE];
        const PcrSigKeys *keys;         /* given keys (checked with instead of .pcrpkey), NULL if none */
        unsigned banks;                 /* mask of banks the .pcrsig lists */
        unsigned banks_ok;              /* banks with at least one OK entry */
        PcrSigCheck *checks;
        size_t n_checks;
        char *phases[PCRSIG_VERIFY_PHASES_MAX];         /* candidates; checks[].phase points here */
        size_t n_phases;
} PcrSigAudit;

void pcrsig_audit_done(PcrSigAudit *a);

/* Audits the .pcrsig of img: that of profile 0 (the whole image when it has
 * no .profile). -ENOENT if it has no .pcrsig. extra phases are phase paths
 * (normalised here; -EINVAL for an unknown word). keys (NULL or empty:
 * .pcrpkey) are the keys entries are checked with; they must outlive ret. */
int pcrsig_audit_image(int fd, const PeImage *img, char *const *extra_phases, size_t n_extra, const PcrSigKeys *keys,
                       PcrSigAudit *ret, UkitError *err);

/* The same for profile `profile` of a multi-profile UKI, with the .pcrsig
 * and .pcrpkey the stub uses for it (the profile's own, else the base's:
 * pe_profile_sections()) against PCR 11 recomputed for that profile
 * (pcr_measure_pe_image_profile(), as `ukit measure calculate --uki-profile`
 * does). ret->pcr11 is computed for the banks the .pcrsig lists and those in
 * `banks`. A profile without .pcrsig gives 0 with ret->present false (and
 * ret->pcr11 still set); -ENOENT if the image has no such profile. */
int pcrsig_audit_profile(int fd, const PeImage *img, uint32_t profile, unsigned banks, char *const *extra_phases,
                         size_t n_extra, const PcrSigKeys *keys, PcrSigAudit *ret, UkitError *err);

/* Whether the audit passes: every entry OK or (unless strict) UNKNOWN_KEY,
 * .pcrpkey present or keys given, and every listed bank has at least one
 * OK entry. */
bool pcrsig_audit_ok(const PcrSigAudit *a, bool strict);
