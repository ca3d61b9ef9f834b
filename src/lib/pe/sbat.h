/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SBAT (UEFI Secure Boot Advanced Targeting, shim's SBAT.md) metadata:
 * CSV, one entry per line:
 *   component_name,component_generation,vendor_name,vendor_package_name,vendor_version,vendor_url
 * The first entry must be "sbat,1,..." (the format version). Validation
 * follows current shim (rhboot/shim sbat.c parse_sbat_section(), which
 * refuses rows with fewer than 6 columns or with an empty column; older shim
 * releases accepted fewer, which is why SBAT.md examples sometimes show
 * short lines), so the result boots with every shim:
 *   - lines end with '\n' (a '\r' is tolerated, as shim splits on both);
 *     empty lines are skipped; trailing NUL bytes (section padding) end the
 *     text; any other NUL or control byte is invalid;
 *   - exactly 6 comma-separated, non-empty fields. shim silently ignores
 *     columns beyond the 6th; we refuse them, since an extra comma usually
 *     means a vendor field was split by mistake;
 *   - component name without blanks; generation a positive decimal integer
 *     without sign or leading zeros, <= SBAT_GENERATION_MAX;
 *   - no '"' anywhere (shim's CSV parser has no quoting).
 * Returns -errno, never prints. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBAT_LINE_MAX      1024u
#define SBAT_ENTRIES_MAX   256u
#define SBAT_SIZE_MAX      (SBAT_LINE_MAX * SBAT_ENTRIES_MAX)
#define SBAT_FIELDS_MAX    6u
#define SBAT_GENERATION_MAX 0x7fffffffu

typedef struct SbatEntry {
        const char *field[SBAT_FIELDS_MAX];     /* point into the text; not NUL-terminated */
        size_t field_len[SBAT_FIELDS_MAX];
        unsigned n_fields;
        uint32_t generation;
        unsigned line;                          /* 1-based */
} SbatEntry;

/* Iterate over entries: *pos starts at 0. Returns 1 with *e filled, 0 at
 * the end, -EBADMSG on a malformed line (e->line set). Does not check the
 * "sbat,1" header rule (sbat_validate() does). */
int sbat_next(const char *text, size_t n, size_t *pos, SbatEntry *e);

/* 0, or -EBADMSG with *ret_line (if non-NULL) = 1-based line of the first
 * problem (0 if the problem is the whole text, e.g. empty or no sbat,1
 * header). -EFBIG when beyond SBAT_SIZE_MAX/SBAT_ENTRIES_MAX. Trailing
 * NUL bytes (section padding) are accepted. */
int sbat_validate(const char *text, size_t n, unsigned *ret_line);

/* Merge several SBAT texts (e.g. stub, kernel, user), each of which must
 * pass sbat_validate(): the output starts with one "sbat,1,..." header line
 * (the first input's), then every other entry in input order, each
 * component name once. When a component appears more than once, the entry
 * with the LOWEST generation is kept (at the position of the first
 * occurrence, ties keep the first): shim refuses an image if any of its
 * entries is below the revocation level, so keeping the lowest keeps the
 * verdict identical to that of the concatenation ukify writes. Lines are
 * normalised to end with '\n'. Inputs of size 0 are skipped; with no
 * non-empty input the result is -ENODATA. Returns 0 and a malloc()ed
 * NUL-terminated string, or -EBADMSG if an input is invalid, -EFBIG,
 * -ENOMEM. */
int sbat_merge(const char *const *texts, const size_t *sizes, size_t n, char **ret);
