/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "sha1.h"

static uint32_t rol32(uint32_t v, unsigned n) {
        return (v << n) | (v >> (32u - n));
}

void sha1_init(Sha1 *s) {
        *s = (Sha1) {
                .md.h = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u },
        };
}

static void sha1_block(uint32_t h[8], const uint8_t *p) {
        uint32_t w[80];

        for (unsigned i = 0; i < 16; i++)
                w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
                       (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
        for (unsigned i = 16; i < 80; i++)
                w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (unsigned i = 0; i < 80; i++) {
                uint32_t f, k;
                if (i < 20) {
                        f = (b & c) | (~b & d);
                        k = 0x5a827999u;
                } else if (i < 40) {
                        f = b ^ c ^ d;
                        k = 0x6ed9eba1u;
                } else if (i < 60) {
                        f = (b & c) | (b & d) | (c & d);
                        k = 0x8f1bbcdcu;
                } else {
                        f = b ^ c ^ d;
                        k = 0xca62c1d6u;
                }
                uint32_t t = rol32(a, 5) + f + e + k + w[i];
                e = d;
                d = c;
                c = rol32(b, 30);
                b = a;
                a = t;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
}

void sha1_update(Sha1 *s, const void *data, size_t n) {
        md_update(&s->md, sha1_block, data, n);
}

void sha1_final(Sha1 *s, uint8_t out[static SHA1_DIGEST_SIZE]) {
        md_final(&s->md, sha1_block, 5, out);
}
