/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SHA-256 (FIPS 180-4) for the stub, which has no OpenSSL: the random seed
 * (src/stub/random-seed.c) is derived with it. Freestanding. */

#include "md-hash.h"

#define SHA256_DIGEST_SIZE 32u

typedef struct Sha256 {
        MdHash md;
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t n);
/* Writes the digest and wipes *s (it may have held secrets). */
void sha256_final(Sha256 *s, uint8_t out[static SHA256_DIGEST_SIZE]);
