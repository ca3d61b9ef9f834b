/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "md-hash.h"

void md_update(MdHash *s, MdCompress compress, const void *data, size_t n) {
        const uint8_t *p = data;

        s->length += n;
        while (n > 0) {
                size_t k = MIN(n, sizeof(s->block) - s->fill);
                for (size_t i = 0; i < k; i++)
                        s->block[s->fill + i] = p[i];
                s->fill += k;
                p += k;
                n -= k;
                if (s->fill == sizeof(s->block)) {
                        compress(s->h, s->block);
                        s->fill = 0;
                }
        }
}

void md_final(MdHash *s, MdCompress compress, unsigned n_words, uint8_t *out) {
        uint64_t bits = s->length * 8u;
        uint8_t pad = 0x80, len[8];

        md_update(s, compress, &pad, 1);
        pad = 0;
        while (s->fill != 56)
                md_update(s, compress, &pad, 1);
        for (unsigned i = 0; i < 8; i++)
                len[i] = (uint8_t) (bits >> (56 - 8 * i));
        md_update(s, compress, len, sizeof(len));

        for (unsigned i = 0; i < n_words; i++) {
                out[4 * i] = (uint8_t) (s->h[i] >> 24);
                out[4 * i + 1] = (uint8_t) (s->h[i] >> 16);
                out[4 * i + 2] = (uint8_t) (s->h[i] >> 8);
                out[4 * i + 3] = (uint8_t) s->h[i];
        }
        volatile uint8_t *b = (volatile uint8_t *) s;
        for (size_t i = 0; i < sizeof(*s); i++)
                b[i] = 0;
}
