/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "chid.h"
#include "sha1.h"

#define F(x) (UINT16_C(1) << CHID_##x)

const uint16_t chid_fields_table[CHID_TYPES] = {
        [0] = F(MANUFACTURER) | F(FAMILY) | F(PRODUCT_NAME) | F(PRODUCT_SKU) |
              F(BIOS_VENDOR) | F(BIOS_VERSION) | F(BIOS_MAJOR) | F(BIOS_MINOR),
        [1] = F(MANUFACTURER) | F(FAMILY) | F(PRODUCT_NAME) |
              F(BIOS_VENDOR) | F(BIOS_VERSION) | F(BIOS_MAJOR) | F(BIOS_MINOR),
        [2] = F(MANUFACTURER) | F(PRODUCT_NAME) |
              F(BIOS_VENDOR) | F(BIOS_VERSION) | F(BIOS_MAJOR) | F(BIOS_MINOR),
        [3] = F(MANUFACTURER) | F(FAMILY) | F(PRODUCT_NAME) | F(PRODUCT_SKU) |
              F(BASEBOARD_MANUFACTURER) | F(BASEBOARD_PRODUCT),
        [4] = F(MANUFACTURER) | F(FAMILY) | F(PRODUCT_NAME) | F(PRODUCT_SKU),
        [5] = F(MANUFACTURER) | F(FAMILY) | F(PRODUCT_NAME),
        [6] = F(MANUFACTURER) | F(PRODUCT_SKU) | F(BASEBOARD_MANUFACTURER) | F(BASEBOARD_PRODUCT),
        [7] = F(MANUFACTURER) | F(PRODUCT_SKU),
        [8] = F(MANUFACTURER) | F(PRODUCT_NAME) | F(BASEBOARD_MANUFACTURER) | F(BASEBOARD_PRODUCT),
        [9] = F(MANUFACTURER) | F(PRODUCT_NAME),
        [10] = F(MANUFACTURER) | F(FAMILY) | F(BASEBOARD_MANUFACTURER) | F(BASEBOARD_PRODUCT),
        [11] = F(MANUFACTURER) | F(FAMILY),
        [12] = F(MANUFACTURER) | F(ENCLOSURE_TYPE),
        [13] = F(MANUFACTURER) | F(BASEBOARD_MANUFACTURER) | F(BASEBOARD_PRODUCT),
        [14] = F(MANUFACTURER),
};

bool chid_is_null(const Chid *c) {
        for (size_t i = 0; i < sizeof(c->b); i++)
                if (c->b[i] != 0)
                        return false;
        return true;
}

void chid_to_guid_le(const Chid *c, uint8_t out[static 16]) {
        static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
        for (size_t i = 0; i < 16; i++)
                out[i] = c->b[order[i]];
}

static void sha1_char16(Sha1 *s, uint32_t cp) {
        uint8_t u[4];
        if (cp >= 0x10000) {
                cp -= 0x10000;
                uint32_t hi = 0xd800 + (cp >> 10), lo = 0xdc00 + (cp & 0x3ff);
                u[0] = (uint8_t) hi, u[1] = (uint8_t) (hi >> 8), u[2] = (uint8_t) lo, u[3] = (uint8_t) (lo >> 8);
                sha1_update(s, u, 4);
        } else {
                u[0] = (uint8_t) cp, u[1] = (uint8_t) (cp >> 8);
                sha1_update(s, u, 2);
        }
}

/* UTF-8 to UTF-16LE into the hash; an invalid sequence is U+FFFD. */
static void sha1_utf16(Sha1 *s, const char *p, size_t len) {
        const uint8_t *b = (const uint8_t *) p;
        size_t i = 0;

        while (i < len) {
                uint32_t cp = b[i];
                size_t n = cp < 0x80 ? 1 : (cp & 0xe0) == 0xc0 ? 2 : (cp & 0xf0) == 0xe0 ? 3 : (cp & 0xf8) == 0xf0 ? 4 : 0;
                if (n == 0 || n > len - i) {
                        sha1_char16(s, 0xfffd);
                        i++;
                        continue;
                }
                if (n > 1) {
                        cp &= 0x7fu >> n;
                        bool ok = true;
                        for (size_t k = 1; k < n; k++) {
                                if ((b[i + k] & 0xc0) != 0x80)
                                        ok = false;
                                cp = cp << 6 | (b[i + k] & 0x3f);
                        }
                        if (!ok || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
                                sha1_char16(s, 0xfffd);
                                i++;
                                continue;
                        }
                }
                sha1_char16(s, cp);
                i += n;
        }
}

static void chid_one(const ChidString fields[static _CHID_FIELDS_MAX], uint16_t mask, Chid *ret) {
        static const uint8_t ns[16] = { 0x70, 0xff, 0xd8, 0x12, 0x4c, 0x7f, 0x4c, 0x7d };
        uint8_t h[SHA1_DIGEST_SIZE];
        bool first = true;
        Sha1 s;

        *ret = (Chid) {};
        for (unsigned i = 0; i < _CHID_FIELDS_MAX; i++)
                if ((mask & (1u << i)) && !fields[i].present)
                        return;

        sha1_init(&s);
        sha1_update(&s, ns, sizeof(ns));
        for (unsigned i = 0; i < _CHID_FIELDS_MAX; i++) {
                if (!(mask & (1u << i)))
                        continue;
                if (!first)
                        sha1_char16(&s, '&');
                first = false;
                sha1_utf16(&s, fields[i].p, fields[i].len);
        }
        sha1_final(&s, h);
        for (size_t i = 0; i < 16; i++)
                ret->b[i] = h[i];
        ret->b[6] = (uint8_t) ((ret->b[6] & 0x0f) | 0x50);
        ret->b[8] = (uint8_t) ((ret->b[8] & 0x3f) | 0x80);
}

void chid_calculate(const ChidString fields[static _CHID_FIELDS_MAX], Chid ret[static CHID_TYPES]) {
        for (size_t i = 0; i < CHID_TYPES; i++)
                chid_one(fields, chid_fields_table[i], &ret[i]);
}

static size_t str_len(const char *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static void set_stub(ChidString *c, const char *s) {
        if (!s)
                s = "";
        while (*s == ' ')
                s++;
        while (*s == '0')
                s++;
        size_t n = str_len(s);
        while (n > 0 && s[n - 1] == ' ')
                n--;
        *c = (ChidString) { .p = s, .len = n, .present = true };
}

void chid_fields_stub(const SmbiosFields *f, ChidString ret[static _CHID_FIELDS_MAX]) {
        for (size_t i = 0; i < _CHID_FIELDS_MAX; i++)
                ret[i] = (ChidString) {};
        set_stub(&ret[CHID_MANUFACTURER], f->manufacturer);
        set_stub(&ret[CHID_FAMILY], f->family);
        set_stub(&ret[CHID_PRODUCT_NAME], f->product_name);
        set_stub(&ret[CHID_PRODUCT_SKU], f->product_sku);
        set_stub(&ret[CHID_BASEBOARD_MANUFACTURER], f->baseboard_manufacturer);
        set_stub(&ret[CHID_BASEBOARD_PRODUCT], f->baseboard_product);
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void set_fwupd(ChidString *c, const char *s) {
        *c = (ChidString) {};
        if (!s)
                return;
        while (is_space(*s))
                s++;
        size_t n = str_len(s);
        while (n > 0 && is_space(s[n - 1]))
                n--;
        *c = (ChidString) { .p = s, .len = n, .present = true };
}

static void set_hex(ChidString *c, int v, bool pad) {
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;

        *c = (ChidString) {};
        if (v < 0)
                return;
        if (pad || v >= 16)
                c->num[n++] = hex[(v >> 4) & 0xf];
        c->num[n++] = hex[v & 0xf];
        c->p = c->num;
        c->len = n;
        c->present = true;
}

void chid_fields_fwupd(const SmbiosFields *f, ChidString ret[static _CHID_FIELDS_MAX]) {
        set_fwupd(&ret[CHID_MANUFACTURER], f->manufacturer);
        set_fwupd(&ret[CHID_FAMILY], f->family);
        set_fwupd(&ret[CHID_PRODUCT_NAME], f->product_name);
        set_fwupd(&ret[CHID_PRODUCT_SKU], f->product_sku);
        set_fwupd(&ret[CHID_BASEBOARD_MANUFACTURER], f->baseboard_manufacturer);
        set_fwupd(&ret[CHID_BASEBOARD_PRODUCT], f->baseboard_product);
        set_fwupd(&ret[CHID_BIOS_VENDOR], f->bios_vendor);
        set_fwupd(&ret[CHID_BIOS_VERSION], f->bios_version);
        set_hex(&ret[CHID_BIOS_MAJOR], f->bios_major, true);
        set_hex(&ret[CHID_BIOS_MINOR], f->bios_minor, true);
        set_hex(&ret[CHID_ENCLOSURE_TYPE], f->enclosure_type, false);
}

void chid_format(const Chid *c, char out[static 37]) {
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[c->b[i] >> 4];
                out[o++] = hex[c->b[i] & 0xf];
        }
        out[o] = 0;
}
