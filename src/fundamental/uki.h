/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The UKI section table: names, and which stub measures what in which order.
 * This file is the single definition shared by the stub (what it measures)
 * and the host (what `ukit measure` predicts). */

#include "macro.h"

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
        _UKI_SECTION_MAX,
        _UKI_SECTION_INVALID = -1,
} UkiSection;

/* Section names, NUL-terminated, at most 8 characters. */
extern const char *const uki_section_names[_UKI_SECTION_MAX];

/* Returns the section for a name (with or without the leading dot is NOT
 * accepted: names are exact, e.g. ".linux"), or _UKI_SECTION_INVALID. */
UkiSection uki_section_from_name(const char *name);
