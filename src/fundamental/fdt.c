/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "fdt.h"

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static bool str_eq_at(const uint8_t *s, size_t left, const char *want) {
        size_t i = 0;
        for (; want[i]; i++)
                if (i >= left || s[i] != (uint8_t) want[i])
                        return false;
        return i < left && s[i] == 0;
}

const char *fdt_root_compatible(const void *dtb, size_t size) {
        const uint8_t *p = dtb;

        if (size < 40 || be32(p) != FDT_MAGIC_BE)
                return NULL;
        uint64_t total = be32(p + 4), st = be32(p + 8), strs = be32(p + 12);
        uint64_t strs_size = be32(p + 32), st_size = be32(p + 36);
        if (total > size || st + st_size > total || strs + strs_size > total)
                return NULL;

        const uint8_t *s = p + st;
        size_t o = 0;
        while (o + 4 <= st_size && be32(s + o) == FDT_NOP)
                o += 4;
        /* The root node: FDT_BEGIN_NODE and an empty name padded to 4. */
        if (o + 8 > st_size || be32(s + o) != FDT_BEGIN_NODE || s[o + 4] != 0)
                return NULL;
        o += 8;
        while (o + 4 <= st_size) {
                uint32_t tok = be32(s + o);
                if (tok == FDT_NOP) {
                        o += 4;
                        continue;
                }
                if (tok != FDT_PROP || o + 12 > st_size)
                        return NULL;        /* a child node or the end: no compatible */
                uint64_t len = be32(s + o + 4), nameoff = be32(s + o + 8);
                if (o + 12 + len > st_size || nameoff >= strs_size)
                        return NULL;
                const uint8_t *val = s + o + 12;
                if (str_eq_at(p + strs + nameoff, strs_size - nameoff, "compatible")) {
                        for (size_t i = 0; i < len; i++)
                                if (val[i] == 0)
                                        return i > 0 ? (const char *) val : NULL;
                        return NULL;
                }
                o += 12 + ((len + 3) & ~(uint64_t) 3);
        }
        return NULL;
}
