/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stub's SHA-1 (src/fundamental/sha1.c) against OpenSSL's, on every
 * length around the block and padding boundaries and on data fed in uneven
 * pieces. */

#include <openssl/evp.h>

#include "sha1.h"
#include "test.h"

static void openssl_sha1(const uint8_t *p, size_t n, uint8_t out[20]) {
        unsigned len = 0;
        CHECK(EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) == 1);
        CHECK_EQ_INT(len, 20);
}

int main(void) {
        static uint8_t buf[70000];
        uint8_t want[20], got[20];
        uint32_t x = 0x12345678;

        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (uint8_t) (x >> 16);
        }

        for (size_t n = 0; n <= 300; n++) {
                Sha1 s;
                sha1_init(&s);
                sha1_update(&s, buf, n);
                sha1_final(&s, got);
                openssl_sha1(buf, n, want);
                CHECK(memcmp(got, want, 20) == 0);
        }

        /* Pieces of 1, 2, 3, ... bytes. */
        Sha1 s;
        sha1_init(&s);
        size_t off = 0;
        for (size_t k = 1; off < sizeof(buf); k++) {
                size_t n = MIN(k, sizeof(buf) - off);
                sha1_update(&s, buf + off, n);
                off += n;
        }
        sha1_final(&s, got);
        openssl_sha1(buf, sizeof(buf), want);
        CHECK(memcmp(got, want, 20) == 0);

        /* FIPS 180 example "abc". */
        sha1_init(&s);
        sha1_update(&s, "abc", 3);
        sha1_final(&s, got);
        static const uint8_t abc[20] = { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                                         0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d };
        CHECK(memcmp(got, abc, 20) == 0);

        TEST_DONE();
}
