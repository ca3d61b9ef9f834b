/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A reader of SMBIOS tables (DMTF DSP0134): the entry points (2.x "_SM_",
 * 3.x "_SM3_") and the structure table, for the fields the stub uses: type
 * 0/1/2/3 strings for the CHIDs (chid.h) and type 11 OEM strings for the
 * `io.systemd.stub.kernel-cmdline-extra=` command line. Freestanding; every
 * offset is checked against the buffer, strings returned point into it and
 * are NUL-terminated within it. */

#include "macro.h"

#define SMBIOS_TABLE_MAX (64u * 1024u * 1024u)

/* Table address and length from an entry point. Returns false when the
 * buffer is not a valid entry point (anchor, length, checksum). */
bool smbios_entry_point_parse(const void *ep, size_t size, uint64_t *ret_addr, size_t *ret_len);

typedef struct SmbiosStructure {
        uint8_t type;
        const uint8_t *data;    /* the formatted area, header included */
        size_t length;          /* of the formatted area (header's Length) */
        size_t total;           /* formatted area + string set + double NUL */
} SmbiosStructure;

/* Walks the table: *offset starts at 0. Returns false at the end (type 127
 * or no complete structure left). */
bool smbios_next(const uint8_t *table, size_t size, size_t *offset, SmbiosStructure *ret);

/* The first structure of the type, or false. */
bool smbios_find(const uint8_t *table, size_t size, uint8_t type, SmbiosStructure *ret);

/* String number idx (1-based, as the structure's string fields) of s, or
 * NULL when idx is 0 or past the set. */
const char *smbios_string(const SmbiosStructure *s, uint8_t idx);
/* The string whose number is the byte at offset off of the formatted area. */
const char *smbios_string_at(const SmbiosStructure *s, size_t off);

/* The value of the first `key=value` OEM string (type 11) whose key is the
 * one given, as systemd-stub: only the first type 11 structure is read. */
const char *smbios_oem_string(const uint8_t *table, size_t size, const char *key);

/* The fields the CHIDs hash; NULL / -1 where the table has none. */
typedef struct SmbiosFields {
        const char *manufacturer, *family, *product_name, *product_sku;
        const char *baseboard_manufacturer, *baseboard_product;
        const char *bios_vendor, *bios_version;
        int bios_major, bios_minor, enclosure_type;
} SmbiosFields;

void smbios_fields_get(const uint8_t *table, size_t size, SmbiosFields *ret);
