/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .hwids parser and systemd-stub 257's match order (hwids.c), and the
 * root `compatible` of a devicetree (fdt.c). The blobs are laid out here by
 * hand from the format ukify 257 writes (parse_hwid_dir); test-build-hwids.sh
 * compares ukit build's section with ukify's. */

#include "fdt.h"
#include "hwids.h"
#include "test.h"

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

/* n entries {type, chid from seed, name "n<i>", compatible "c<i>"}. */
static size_t make_blob(uint8_t *b, size_t n, const uint32_t *types, const Chid *chids) {
        size_t strings = (n + 1) * HWIDS_ENTRY_SIZE, o = strings;
        memset(b, 0, strings);
        for (size_t i = 0; i < n; i++) {
                uint8_t *e = b + i * HWIDS_ENTRY_SIZE;
                put32(e, HWIDS_DESCRIPTOR(types[i]));
                chid_to_guid_le(&chids[i], e + 4);
                put32(e + 20, (uint32_t) o);
                o += (size_t) sprintf((char *) b + o, "n%zu", i) + 1;
                put32(e + 24, (uint32_t) o);
                o += (size_t) sprintf((char *) b + o, "c%zu", i) + 1;
        }
        return o;
}

static Chid chid_n(uint8_t v) {
        Chid c = {};
        for (size_t i = 0; i < 16; i++)
                c.b[i] = (uint8_t) (v + i);
        return c;
}

static void test_match(void) {
        uint8_t b[1024];
        Chid machine[CHID_TYPES];
        HwidsEntry e;

        for (size_t i = 0; i < CHID_TYPES; i++)
                machine[i] = chid_n((uint8_t) (0x10 * i + 1));

        /* Entry 0 matches CHID 5, entry 1 CHID 3, entry 2 CHID 14 (never
         * used by 257), entry 3 is firmware matching CHID 3. */
        const uint32_t types[] = { 1, 1, 1, 2 };
        const Chid chids[] = { machine[5], machine[3], machine[14], machine[3] };
        size_t n = make_blob(b, 4, types, chids);
        CHECK(hwids_match(b, n, machine, HWIDS_TYPE_DEVICETREE, &e));
        CHECK_EQ_STR(e.compatible, "c1");
        CHECK_EQ_STR(e.name, "n1");
        CHECK(hwids_match(b, n, machine, HWIDS_TYPE_UEFI_FW, &e));
        CHECK_EQ_STR(e.compatible, "c3");

        /* Without entry 1: CHID 5 is next in 257's order. */
        const Chid chids2[] = { machine[5], chid_n(0xee), machine[14] };
        n = make_blob(b, 3, types, chids2);
        CHECK(hwids_match(b, n, machine, HWIDS_TYPE_DEVICETREE, &e));
        CHECK_EQ_STR(e.compatible, "c0");

        /* CHID 14 (manufacturer only) is not in 257's list: a miss. */
        const Chid chids3[] = { machine[14], machine[12] };
        n = make_blob(b, 2, types, chids3);
        CHECK(!hwids_match(b, n, machine, HWIDS_TYPE_DEVICETREE, &e));

        /* An entry of unknown type spoils the whole section. */
        n = make_blob(b, 3, types, chids);
        put32(b + 2 * HWIDS_ENTRY_SIZE, 3u << 28 | HWIDS_ENTRY_SIZE);
        CHECK(!hwids_match(b, n, machine, HWIDS_TYPE_DEVICETREE, &e));

        /* Offsets past the end or strings without NUL: NULL strings. */
        n = make_blob(b, 1, types, chids + 1);
        put32(b + 20, 5000);
        CHECK(hwids_match(b, n, machine, HWIDS_TYPE_DEVICETREE, &e));
        CHECK(!e.name);
        CHECK_EQ_STR(e.compatible, "c0");
        CHECK(hwids_match(b, n - 1, machine, HWIDS_TYPE_DEVICETREE, &e));
        CHECK(!e.compatible);

        /* Every truncation: no overread (ASan). */
        n = make_blob(b, 4, types, chids);
        for (size_t k = 0; k < n; k++) {
                uint8_t *c = malloc(k ? k : 1);
                memcpy(c, b, k);
                if (hwids_match(c, k, machine, HWIDS_TYPE_DEVICETREE, &e) && e.compatible)
                        CHECK(strlen(e.compatible) < k);
                free(c);
        }
        CHECK(!hwids_match(b, 0, machine, HWIDS_TYPE_DEVICETREE, &e));
}

static void be32put(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24), p[1] = (uint8_t) (v >> 16), p[2] = (uint8_t) (v >> 8), p[3] = (uint8_t) v;
}

static void test_fdt(void) {
        /* Root node with "model" then "compatible" = "acme,one\0acme,base\0",
         * one child node, then the end. */
        uint8_t d[256] = {};
        size_t st = 40, o = st;
        be32put(d + o, 1), o += 4, o += 4;                      /* root, name "" */
        be32put(d + o, 3), be32put(d + o + 4, 3), be32put(d + o + 8, 0), memcpy(d + o + 12, "ab", 3), o += 16;
        be32put(d + o, 4), o += 4;                              /* NOP */
        static const char compat[] = "acme,one\0acme,base";
        be32put(d + o, 3), be32put(d + o + 4, sizeof(compat)), be32put(d + o + 8, 6);
        memcpy(d + o + 12, compat, sizeof(compat)), o += 12 + ((sizeof(compat) + 3) & ~3u);
        be32put(d + o, 2), o += 4, be32put(d + o, 9), o += 4;
        size_t strs = o;
        memcpy(d + o, "model\0compatible", 17), o += 17;
        be32put(d, FDT_MAGIC_BE);
        be32put(d + 4, (uint32_t) o);
        be32put(d + 8, (uint32_t) st);
        be32put(d + 12, (uint32_t) strs);
        be32put(d + 32, 17);
        be32put(d + 36, (uint32_t) (strs - st));
        CHECK_EQ_STR(fdt_root_compatible(d, o), "acme,one");
        CHECK(!fdt_root_compatible(d, o - 1));          /* totalsize beyond the buffer */
        for (size_t k = 0; k < o; k++)
                (void) fdt_root_compatible(d, k);
        d[0] ^= 1;
        CHECK(!fdt_root_compatible(d, o));
}

int main(void) {
        test_match();
        test_fdt();
        TEST_DONE();
}
