/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one thing .dtbauto selection reads from a flattened devicetree: the
 * root node's first `compatible` string. Freestanding, bounds-checked. */

#include "macro.h"

#define FDT_MAGIC_BE 0xd00dfeedu

/* The first string of the root node's `compatible` property, pointing into
 * dtb and NUL-terminated there, or NULL when the blob is not a valid FDT
 * (magic, totalsize within size, blocks within totalsize) or has none. */
const char *fdt_root_compatible(const void *dtb, size_t size);
