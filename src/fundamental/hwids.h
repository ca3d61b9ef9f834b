/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The .hwids section (systemd 257, written by ukify --hwids): an array of
 * 28-byte little-endian entries {u32 descriptor = size | type << 28, GUID
 * chid (EFI byte order), u32 name offset, u32 compatible offset}, ended by
 * an all-zero entry, followed by the NUL-terminated strings the offsets
 * (from the start of the section) point at. Type 1 is a devicetree entry.
 * Freestanding; hostile input. */

#include "chid.h"

#define HWIDS_ENTRY_SIZE 28u
#define HWIDS_TYPE_DEVICETREE 1u
#define HWIDS_TYPE_UEFI_FW 2u
#define HWIDS_DESCRIPTOR(type) ((uint32_t) (type) << 28 | HWIDS_ENTRY_SIZE)

typedef struct HwidsEntry {
        uint32_t type;
        uint8_t chid_le[16];
        const char *name;               /* NULL when the offset is invalid */
        const char *compatible;         /* (or fwid for UEFI firmware entries) */
} HwidsEntry;

enum {
        HWIDS_OK = 0,
        HWIDS_END = 1,
        HWIDS_E_TYPE = -1,              /* a descriptor of unknown type or size */
};

/* Entry number idx: HWIDS_OK, HWIDS_END (terminator or no room for a whole
 * entry before the end, as 257 counts them) or HWIDS_E_TYPE. */
int hwids_entry(const uint8_t *blob, size_t size, size_t idx, HwidsEntry *ret);

/* systemd-stub 257's match: the CHIDs 3, 6, 8, 10, 4, 5, 7, 9, 11 in this
 * order (most to least specific), each against all entries of the type in
 * order; the first equal one wins. An entry of unknown type makes the whole
 * section unusable (false), as in 257. */
bool hwids_match(const uint8_t *blob, size_t size, const Chid chids[static CHID_TYPES], uint32_t type,
                 HwidsEntry *ret);
