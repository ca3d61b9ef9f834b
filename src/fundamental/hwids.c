/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "hwids.h"

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* A string at off that ends within the blob, else NULL. */
static const char *string_at(const uint8_t *blob, size_t size, uint32_t off) {
        if (off >= size)
                return NULL;
        for (size_t i = off; i < size; i++)
                if (blob[i] == 0)
                        return (const char *) blob + off;
        return NULL;
}

int hwids_entry(const uint8_t *blob, size_t size, size_t idx, HwidsEntry *ret) {
        uint64_t off = (uint64_t) idx * HWIDS_ENTRY_SIZE;

        /* 257 counts an entry only when one more would still fit before the
         * end: (n + 1) * 28 < length. */
        if (off + HWIDS_ENTRY_SIZE >= size)
                return HWIDS_END;
        const uint8_t *e = blob + off;
        uint32_t desc = le32(e);
        if (desc == 0)
                return HWIDS_END;
        uint32_t type = desc >> 28;
        if (type != HWIDS_TYPE_DEVICETREE && type != HWIDS_TYPE_UEFI_FW)
                return HWIDS_E_TYPE;
        *ret = (HwidsEntry) {
                .type = type,
                .name = string_at(blob, size, le32(e + 20)),
                .compatible = string_at(blob, size, le32(e + 24)),
        };
        for (size_t i = 0; i < 16; i++)
                ret->chid_le[i] = e[4 + i];
        return HWIDS_OK;
}

bool hwids_match(const uint8_t *blob, size_t size, const Chid chids[static CHID_TYPES], uint32_t type,
                 HwidsEntry *ret) {
        static const uint8_t priority[] = { 3, 6, 8, 10, 4, 5, 7, 9, 11 };
        HwidsEntry e;
        size_t n = 0;
        int r;

        while ((r = hwids_entry(blob, size, n, &e)) == HWIDS_OK)
                n++;
        if (r != HWIDS_END || n == 0)
                return false;

        for (size_t p = 0; p < ELEMENTSOF(priority); p++) {
                uint8_t want[16];
                chid_to_guid_le(&chids[priority[p]], want);
                for (size_t i = 0; i < n; i++) {
                        (void) hwids_entry(blob, size, i, &e);
                        if (e.type != type)
                                continue;
                        bool eq = true;
                        for (size_t k = 0; k < 16; k++)
                                eq = eq && e.chid_le[k] == want[k];
                        if (eq) {
                                *ret = e;
                                return true;
                        }
                }
        }
        return false;
}
