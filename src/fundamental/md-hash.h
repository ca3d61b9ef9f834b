/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The framing SHA-1 and SHA-256 share (FIPS 180-4 5.1.1 and 6.1.2/6.2.2):
 * 64-byte blocks, a 0x80 byte, zeros, the length in bits big-endian, and a
 * digest of big-endian 32-bit words. Each hash supplies its compression
 * function. Freestanding. */

#include "macro.h"

typedef struct MdHash {
        uint32_t h[8];          /* SHA-1 uses the first 5 */
        uint64_t length;        /* bytes fed so far */
        uint8_t block[64];
        size_t fill;            /* bytes in block */
} MdHash;

typedef void (*MdCompress)(uint32_t h[8], const uint8_t block[64]);

void md_update(MdHash *s, MdCompress compress, const void *data, size_t n);
/* Pads, writes n_words big-endian words of h to out, and wipes *s. */
void md_final(MdHash *s, MdCompress compress, unsigned n_words, uint8_t *out);
