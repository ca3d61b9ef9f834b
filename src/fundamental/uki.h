/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The UKI section table: names, and which stub measures what in which order.
 * This file is the single definition shared by the stub (what it measures)
 * and the host (what `ukit measure` predicts). */

#include "macro.h"
#include "tpm2-pcr.h"

/* Section names: the one spelling of each, for the stub and the host. */
#define UKI_NAME_LINUX   ".linux"
#define UKI_NAME_OSREL   ".osrel"
#define UKI_NAME_CMDLINE ".cmdline"
#define UKI_NAME_INITRD  ".initrd"
#define UKI_NAME_UCODE   ".ucode"
#define UKI_NAME_SPLASH  ".splash"
#define UKI_NAME_DTB     ".dtb"
#define UKI_NAME_UNAME   ".uname"
#define UKI_NAME_SBAT    ".sbat"
#define UKI_NAME_PCRSIG  ".pcrsig"
#define UKI_NAME_PCRPKEY ".pcrpkey"
#define UKI_NAME_PROFILE ".profile"
#define UKI_NAME_DTBAUTO ".dtbauto"
#define UKI_NAME_HWIDS   ".hwids"
/* not UkiSections (never measured): the stub's identity, and what newer
 * ukify may add */
#define UKI_NAME_SDMAGIC ".sdmagic"
#define UKI_NAME_EFIFW   ".efifw"
#define UKI_NAME_SBOM    ".sbom"

/* All UKI sections ukit knows, in the measurement order of current
 * systemd-stub (src/fundamental/uki.h upstream). */
typedef enum UkiSection {
        UKI_SECTION_LINUX,
        UKI_SECTION_OSREL,
        UKI_SECTION_CMDLINE,
        UKI_SECTION_INITRD,
        UKI_SECTION_UCODE,
        UKI_SECTION_SPLASH,
        UKI_SECTION_DTB,
        UKI_SECTION_UNAME,
        UKI_SECTION_SBAT,
        UKI_SECTION_PCRSIG,
        UKI_SECTION_PCRPKEY,
        UKI_SECTION_PROFILE,
        UKI_SECTION_DTBAUTO,
        UKI_SECTION_HWIDS,
        _UKI_SECTION_MAX,
        _UKI_SECTION_INVALID = -1,
} UkiSection;

/* Section names, NUL-terminated, at most 8 characters. */
extern const char *const uki_section_names[_UKI_SECTION_MAX];

/* Returns the section for a name (with or without the leading dot is NOT
 * accepted: names are exact, e.g. ".linux"), or _UKI_SECTION_INVALID. */
UkiSection uki_section_from_name(const char *name);

/* ---- Multi-profile UKIs (systemd 257) --------------------------------------
 *
 * The one rule for which section the stub uses, shared by the stub's parser
 * (pe-sections.c) and the host's (lib/pe/pe-profile.c): walking the section
 * table in order, every .profile opens the next profile (numbered from 0);
 * the sections before the first .profile are the base. Profile N sees the
 * base's sections, each replaced by a same-named section of profile N; within
 * the base and within a profile the first section of a name counts. */

typedef enum UkiProfileSlot {
        UKI_PROFILE_SLOT_BASE,          /* a base section */
        UKI_PROFILE_SLOT_SELECTED,      /* a section of the profile asked for */
        UKI_PROFILE_SLOT_OTHER,         /* a section of another profile: ignored */
} UkiProfileSlot;

/* One step of the walk: s is the next UKI section of the table, *n_profiles
 * the number of .profile sections seen before it (start with 0; a .profile
 * increments it). */
UkiProfileSlot uki_profile_slot(UkiSection s, uint32_t profile, uint32_t *n_profiles);

/* ---- Measurement rule sets ------------------------------------------------
 *
 * Every stub version measures a subset of the sections above into PCR 11, and
 * always in enum order (each version's order is a subsequence of the current
 * one): for each measured section that is present with a non-zero size, one
 * event for the name including its NUL, then one for its VirtualSize bytes.
 * A rule set is therefore just a mask over UkiSection. .pcrsig is never
 * measured: it holds the signature of the measurement.
 *
 * systemd-stub 252 (Debian 12): .linux .osrel .cmdline .initrd .splash .dtb
 * .pcrpkey (its section table, src/fundamental/tpm-pcr.c, ends at .pcrpkey;
 * the stub measures every entry but .pcrsig). Verified on OVMF + swtpm by
 * tests/vm/test-measure-pcr11.sh: a UKI with .uname, .sbat and .pcrpkey gets
 * the PCR 11 these rules predict (so 252 measures .pcrpkey, not .uname or
 * .sbat). 253 added .uname and .sbat, 256 added .ucode (from the sources).
 * ukit-stub measures what current systemd-stub measures. */

#define UKI_SECTION_BIT(s) (1u << (s))

typedef struct UkiMeasureRules {
        const char *name;               /* "systemd-stub 252", for messages */
        uint32_t measured;              /* mask of UKI_SECTION_BIT() */
} UkiMeasureRules;

extern const UkiMeasureRules uki_rules_systemd_252;    /* systemd-stub <= 252 */
extern const UkiMeasureRules uki_rules_systemd_253;    /* 253 .. 255 */
extern const UkiMeasureRules uki_rules_systemd_256;    /* 256 */
extern const UkiMeasureRules uki_rules_current;        /* systemd-stub >= 257, ukit-stub */

static inline bool uki_rules_measures(const UkiMeasureRules *r, UkiSection s) {
        return s >= 0 && s < _UKI_SECTION_MAX && (r->measured & UKI_SECTION_BIT(s)) != 0;
}

/* Identity strings found in a stub's .sdmagic section. */
#define UKI_SDMAGIC_PREFIX "#### LoaderInfo: "
#define UKI_SDMAGIC_SUFFIX " ####"

/* Picks the rule set for a stub from its .sdmagic content (not necessarily
 * NUL-terminated; trailing NULs are fine): "systemd-stub VERSION" by major
 * version, "ukit-stub VERSION" -> current. Returns NULL when the text is not
 * a stub identity we know (the caller decides: error, or current rules). */
const UkiMeasureRules *uki_rules_for_stub(const char *sdmagic, size_t n);
