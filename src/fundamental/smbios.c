/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "smbios.h"

static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static bool checksum_ok(const uint8_t *p, size_t n) {
        uint8_t sum = 0;
        for (size_t i = 0; i < n; i++)
                sum = (uint8_t) (sum + p[i]);
        return sum == 0;
}

static bool prefix_is(const uint8_t *p, const char *s) {
        for (; *s; s++, p++)
                if (*p != (uint8_t) *s)
                        return false;
        return true;
}

bool smbios_entry_point_parse(const void *ep, size_t size, uint64_t *ret_addr, size_t *ret_len) {
        const uint8_t *p = ep;

        /* 3.x: 24 bytes and up; table maximum size (u32) at 0x0c, address (u64) at 0x10. */
        if (size >= 24 && prefix_is(p, "_SM3_")) {
                size_t len = p[6];
                if (len < 24 || len > size || !checksum_ok(p, len))
                        return false;
                *ret_addr = (uint64_t) le32(p + 0x10) | (uint64_t) le32(p + 0x14) << 32;
                *ret_len = le32(p + 0x0c);
                return *ret_len <= SMBIOS_TABLE_MAX;
        }
        /* 2.x: 31 bytes; "_DMI_" at 0x10; table length (u16) at 0x16, address (u32) at 0x18. */
        if (size >= 31 && prefix_is(p, "_SM_")) {
                size_t len = p[5];
                if (len < 31 || len > size || !checksum_ok(p, len) || !prefix_is(p + 0x10, "_DMI_"))
                        return false;
                *ret_addr = le32(p + 0x18);
                *ret_len = le16(p + 0x16);
                return true;
        }
        return false;
}

bool smbios_next(const uint8_t *table, size_t size, size_t *offset, SmbiosStructure *ret) {
        size_t o = *offset;

        if (o > size || size - o < 4)
                return false;
        const uint8_t *p = table + o;
        size_t left = size - o, len = p[1];
        if (len < 4 || len > left)
                return false;
        /* The string set ends with two NULs (also when empty). */
        size_t i = len;
        for (;;) {
                if (i + 1 >= left)
                        return false;
                if (p[i] == 0 && p[i + 1] == 0)
                        break;
                i++;
        }
        if (p[0] == 127)
                return false;
        *ret = (SmbiosStructure) { .type = p[0], .data = p, .length = len, .total = i + 2 };
        *offset = o + i + 2;
        return true;
}

bool smbios_find(const uint8_t *table, size_t size, uint8_t type, SmbiosStructure *ret) {
        size_t off = 0;
        SmbiosStructure s;

        while (smbios_next(table, size, &off, &s))
                if (s.type == type) {
                        *ret = s;
                        return true;
                }
        return false;
}

const char *smbios_string(const SmbiosStructure *s, uint8_t idx) {
        size_t i = s->length;

        if (idx == 0)
                return NULL;
        /* smbios_next() checked that the set ends in a double NUL before total. */
        for (unsigned n = 1; i < s->total && s->data[i] != 0; n++) {
                if (n == idx)
                        return (const char *) s->data + i;
                while (s->data[i] != 0)
                        i++;
                i++;
        }
        return NULL;
}

const char *smbios_string_at(const SmbiosStructure *s, size_t off) {
        if (off >= s->length)
                return NULL;
        return smbios_string(s, s->data[off]);
}

const char *smbios_oem_string(const uint8_t *table, size_t size, const char *key) {
        SmbiosStructure s;

        if (!smbios_find(table, size, 11, &s))
                return NULL;
        for (uint8_t n = 1; n != 0; n++) {
                const char *str = smbios_string(&s, n), *k = key;
                if (!str)
                        break;
                while (*k && *str == *k) {
                        str++;
                        k++;
                }
                if (*k == 0 && *str == '=')
                        return str + 1;
        }
        return NULL;
}

static int byte_at(const SmbiosStructure *s, size_t off) {
        return off < s->length ? s->data[off] : -1;
}

void smbios_fields_get(const uint8_t *table, size_t size, SmbiosFields *ret) {
        SmbiosStructure s;

        *ret = (SmbiosFields) { .bios_major = -1, .bios_minor = -1, .enclosure_type = -1 };
        if (smbios_find(table, size, 0, &s)) {
                ret->bios_vendor = smbios_string_at(&s, 0x04);
                ret->bios_version = smbios_string_at(&s, 0x05);
                ret->bios_major = byte_at(&s, 0x14);
                ret->bios_minor = byte_at(&s, 0x15);
        }
        if (smbios_find(table, size, 1, &s)) {
                ret->manufacturer = smbios_string_at(&s, 0x04);
                ret->product_name = smbios_string_at(&s, 0x05);
                ret->product_sku = smbios_string_at(&s, 0x19);
                ret->family = smbios_string_at(&s, 0x1a);
        }
        if (smbios_find(table, size, 2, &s)) {
                ret->baseboard_manufacturer = smbios_string_at(&s, 0x04);
                ret->baseboard_product = smbios_string_at(&s, 0x05);
        }
        if (smbios_find(table, size, 3, &s) && byte_at(&s, 0x05) >= 0)
                ret->enclosure_type = byte_at(&s, 0x05) & 0x7f;
}
