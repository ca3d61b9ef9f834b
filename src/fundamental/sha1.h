/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SHA-1 (FIPS 180-4), for the CHIDs of chid.c: the stub has no OpenSSL and
 * EFI_HASH2_PROTOCOL is missing on most firmware. Not used for anything
 * that needs collision resistance. Freestanding. */

#include "md-hash.h"

#define SHA1_DIGEST_SIZE 20u

typedef struct Sha1 {
        MdHash md;
} Sha1;

void sha1_init(Sha1 *s);
void sha1_update(Sha1 *s, const void *data, size_t n);
void sha1_final(Sha1 *s, uint8_t out[static SHA1_DIGEST_SIZE]);
