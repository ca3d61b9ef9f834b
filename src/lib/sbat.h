/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SBAT (UEFI Secure Boot Advanced Targeting, shim's SBAT.md) metadata:
 * CSV, one entry per line:
 *   component_name,component_generation,vendor_name,vendor_package_name,vendor_version,vendor_url
 * The first entry must be "sbat,1,..." (the format version). Validation
 * rules (see sbat.c for the reasoning):
 *   - lines end with '\n' (a trailing '\r' is tolerated); empty lines are
 *     skipped; NUL bytes are invalid;
 *   - at least 2 fields (component, generation) — shim's parser only
 *     requires those — and at most 6 (shim ignores more, but they are a sign
 *     of a broken file, so we refuse them);
 *   - component name non-empty, no blanks; generation a positive decimal
 *     integer without sign or leading zeros, <= SBAT_GENERATION_MAX;
 *   - fields must not contain '"' (shim's parser has no quoting).
 * Returns -errno, never prints. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBAT_LINE_MAX      1024u
#define SBAT_ENTRIES_MAX   256u
#define SBAT_SIZE_MAX      (SBAT_LINE_MAX * SBAT_ENTRIES_MAX)
#define SBAT_FIELDS_MIN    2u
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

/* Merge several SBAT texts (e.g. stub, kernel, user): the output starts
 * with one "sbat,1,..." header line (the first seen), then every other
 * entry in input order; an entry whose component name was seen before is
 * dropped, except that a later entry with a higher generation replaces the
 * earlier one in place. Each line normalised to end with '\n'. Inputs of
 * size 0 are skipped. Returns 0 and a malloc()ed NUL-terminated string, or
 * -EBADMSG if an input is invalid, -EFBIG, -ENOMEM. */
int sbat_merge(const char *const *texts, const size_t *sizes, size_t n, char **ret);
