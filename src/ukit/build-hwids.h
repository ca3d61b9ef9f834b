/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The .hwids section from a directory of JSON device descriptions, byte for
 * byte as ukify 257's --hwids (parse_hwid_dir): every *.json below dir (in
 * Python's sorted(Path.rglob()) order: path components compared one by
 * one), each an object with "name", "compatible" and "hwids" (UUID
 * strings); devices keyed by (name, compatible) in order of first
 * appearance, the CHIDs of each sorted and deduplicated; entries as
 * src/fundamental/hwids.h, a zero entry, then the names and compatibles
 * sorted, each once, NUL-terminated. Prints a one-line error naming the file
 * and returns an exit status on bad input, 0 on success. */
int build_hwids_blob(const char *dir, uint8_t **ret, size_t *ret_size);
