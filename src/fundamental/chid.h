/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Microsoft's Computer Hardware IDs (CHIDs; fwupd calls them HWIDs): 15
 * name-based UUIDs (version 5, SHA-1) in the namespace
 * 70ffd812-4c7f-4c7d-0000-000000000000 over SMBIOS fields, as UTF-16LE
 * strings joined by '&'. Which fields each of the 15 covers is Microsoft's
 * table (HardwareID-0 ... HardwareID-14). Freestanding. */

#include "macro.h"
#include "smbios.h"

#define CHID_TYPES 15u

typedef enum ChidField {
        CHID_MANUFACTURER,
        CHID_FAMILY,
        CHID_PRODUCT_NAME,
        CHID_PRODUCT_SKU,
        CHID_BASEBOARD_MANUFACTURER,
        CHID_BASEBOARD_PRODUCT,
        CHID_BIOS_VENDOR,
        CHID_BIOS_VERSION,
        CHID_BIOS_MAJOR,
        CHID_BIOS_MINOR,
        CHID_ENCLOSURE_TYPE,
        _CHID_FIELDS_MAX,
} ChidField;

/* A field's text: p[0..len), UTF-8. present false: the field is missing,
 * and every CHID that covers it is not computed (all zero). */
typedef struct ChidString {
        const char *p;
        size_t len;
        bool present;
        char num[4];            /* storage for numbers printed in hex */
} ChidString;

/* The UUID in RFC 4122 byte order (as printed: first byte first). */
typedef struct Chid {
        uint8_t b[16];
} Chid;

extern const uint16_t chid_fields_table[CHID_TYPES];

bool chid_is_null(const Chid *c);

/* The same 16 bytes in EFI_GUID memory order (Data1..3 little-endian), as
 * they appear in .hwids. */
void chid_to_guid_le(const Chid *c, uint8_t out[static 16]);

void chid_calculate(const ChidString fields[static _CHID_FIELDS_MAX], Chid ret[static CHID_TYPES]);

/* Fields as systemd-stub 257 prepares them: only manufacturer, family,
 * product name, product SKU and baseboard manufacturer/product; leading
 * spaces, then leading '0's, then trailing spaces stripped; a missing string
 * is the empty one. The BIOS and enclosure fields are missing, so CHIDs 0,
 * 1, 2 and 12 are never computed. */
void chid_fields_stub(const SmbiosFields *f, ChidString ret[static _CHID_FIELDS_MAX]);

/* Fields as fwupd prepares them: all eleven, strings with surrounding
 * whitespace stripped, BIOS releases as "%02x", the enclosure as "%x";
 * missing where SMBIOS has none. */
void chid_fields_fwupd(const SmbiosFields *f, ChidString ret[static _CHID_FIELDS_MAX]);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL. */
void chid_format(const Chid *c, char out[static 37]);
