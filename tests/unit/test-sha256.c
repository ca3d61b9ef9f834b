/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stub's SHA-256 (src/fundamental/sha256.c) against OpenSSL's, on every
 * length around the block and padding boundaries and on data fed in uneven
 * pieces. */

#include <openssl/evp.h>

#include "sha256.h"
#include "test.h"

static void openssl_sha256(const uint8_t *p, size_t n, uint8_t out[32]) {
        unsigned len = 0;
        CHECK(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1);
        CHECK_EQ_INT(len, 32);
}

int main(void) {
        static uint8_t buf[70000];
        uint8_t want[32], got[32];
        uint32_t x = 0x12345678;

        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (uint8_t) (x >> 16);
        }

        for (size_t n = 0; n <= 300; n++) {
                Sha256 s;
                sha256_init(&s);
                sha256_update(&s, buf, n);
                sha256_final(&s, got);
                openssl_sha256(buf, n, want);
                CHECK(memcmp(got, want, 32) == 0);
        }

        /* Pieces of 1, 2, 3, ... bytes. */
        Sha256 s;
        sha256_init(&s);
        size_t off = 0;
        for (size_t k = 1; off < sizeof(buf); k++) {
                size_t n = MIN(k, sizeof(buf) - off);
                sha256_update(&s, buf + off, n);
                off += n;
        }
        sha256_final(&s, got);
        openssl_sha256(buf, sizeof(buf), want);
        CHECK(memcmp(got, want, 32) == 0);

        /* FIPS 180 example "abc". */
        sha256_init(&s);
        sha256_update(&s, "abc", 3);
        sha256_final(&s, got);
        static const uint8_t abc[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                         0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                         0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
        CHECK(memcmp(got, abc, 32) == 0);

        TEST_DONE();
}
