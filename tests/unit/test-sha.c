/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stub's SHA-1 and SHA-256 (src/fundamental/sha1.c, sha256.c) against
 * OpenSSL's, on every length around the block and padding boundaries, on
 * data fed in uneven pieces, and on the FIPS 180 example "abc". */

#include <openssl/evp.h>

#include "sha1.h"
#include "sha256.h"
#include "test.h"

/* One hash behind one interface: a context big enough for either. */
typedef union {
        Sha1 sha1;
        Sha256 sha256;
} Ctx;

typedef struct {
        const char *name;
        size_t size;
        const EVP_MD *(*md)(void);
        void (*init)(Ctx *c);
        void (*update)(Ctx *c, const void *p, size_t n);
        void (*final)(Ctx *c, uint8_t *out);
        uint8_t abc[32];
} Hash;

static void s1_init(Ctx *c) { sha1_init(&c->sha1); }
static void s1_update(Ctx *c, const void *p, size_t n) { sha1_update(&c->sha1, p, n); }
static void s1_final(Ctx *c, uint8_t *out) { sha1_final(&c->sha1, out); }
static void s256_init(Ctx *c) { sha256_init(&c->sha256); }
static void s256_update(Ctx *c, const void *p, size_t n) { sha256_update(&c->sha256, p, n); }
static void s256_final(Ctx *c, uint8_t *out) { sha256_final(&c->sha256, out); }

static const Hash hashes[] = {
        { "sha1", 20, EVP_sha1, s1_init, s1_update, s1_final,
          { 0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
            0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d } },
        { "sha256", 32, EVP_sha256, s256_init, s256_update, s256_final,
          { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
            0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
            0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad } },
};

static void openssl_digest(const Hash *h, const uint8_t *p, size_t n, uint8_t *out) {
        unsigned len = 0;
        CHECK(EVP_Digest(p, n, out, &len, h->md(), NULL) == 1);
        CHECK_EQ_INT(len, h->size);
}

static void check_hash(const Hash *h, const uint8_t *buf, size_t size) {
        uint8_t want[32], got[32];
        Ctx c;

        for (size_t n = 0; n <= 300; n++) {
                h->init(&c);
                h->update(&c, buf, n);
                h->final(&c, got);
                openssl_digest(h, buf, n, want);
                CHECK(memcmp(got, want, h->size) == 0);
        }

        /* Pieces of 1, 2, 3, ... bytes. */
        h->init(&c);
        size_t off = 0;
        for (size_t k = 1; off < size; k++) {
                size_t n = MIN(k, size - off);
                h->update(&c, buf + off, n);
                off += n;
        }
        h->final(&c, got);
        openssl_digest(h, buf, size, want);
        CHECK(memcmp(got, want, h->size) == 0);

        h->init(&c);
        h->update(&c, "abc", 3);
        h->final(&c, got);
        CHECK(memcmp(got, h->abc, h->size) == 0);
}

int main(void) {
        static uint8_t buf[70000];
        uint32_t x = 0x12345678;

        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (uint8_t) (x >> 16);
        }
        for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
                check_hash(&hashes[i], buf, sizeof(buf));
        TEST_DONE();
}
