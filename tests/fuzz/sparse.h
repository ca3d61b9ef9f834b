/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A compact form for fuzz seeds that are large files of mostly zeros (disk
 * images): "SPARSE01", the file size (le64), then records of offset (le64),
 * length (le32) and that many bytes. Everything not covered is zero.
 * tests/fuzz/sparse-pack makes one from a file. */

#include <stddef.h>
#include <stdint.h>

#define SPARSE_MAGIC "SPARSE01"
#define SPARSE_SIZE_MAX (64u * 1024u * 1024u)   /* expanded size cap in the fuzzers */

static inline uint64_t sparse_le(const uint8_t *p, size_t n) {
        uint64_t v = 0;
        for (size_t i = n; i > 0; i--)
                v = v << 8 | p[i - 1];
        return v;
}
