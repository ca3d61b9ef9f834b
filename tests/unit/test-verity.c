/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm-verity tree: small cases recomputed here straight from the definition
 * with OpenSSL (root = H(salt||top block), leaf = H(salt||data block)),
 * layout sizes, superblock round trip, corruption detection. The byte-exact
 * comparison with `veritysetup format` is tests/interop/test-sysext-verity.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "test.h"
#include "fileio.h"
#include "verity.h"

static void sha256_salted(const uint8_t *salt, size_t sn, const void *d, size_t n, uint8_t out[32]) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        CHECK(c);
        CHECK(EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1);
        CHECK(EVP_DigestUpdate(c, salt, sn) == 1);
        CHECK(EVP_DigestUpdate(c, d, n) == 1);
        CHECK(EVP_DigestFinal_ex(c, out, NULL) == 1);
        EVP_MD_CTX_free(c);
}

static int tmpfd(void) {
        FILE *f = tmpfile();
        CHECK(f);
        int fd = dup(fileno(f));
        fclose(f);
        return fd;
}

static void fill(int fd, uint64_t blocks, unsigned seed) {
        uint8_t b[4096];
        for (uint64_t i = 0; i < blocks; i++) {
                for (size_t k = 0; k < sizeof(b); k++)
                        b[k] = (uint8_t) ((i * 131 + k * 7 + seed) & 0xff);
                CHECK(pwrite_full(fd, b, sizeof(b), i * 4096) == 0);
        }
}

static void test_sizes(void) {
        VerityParams p;
        uint64_t sz;
        verity_params_default(&p);

        p.data_blocks = 1;
        CHECK(verity_hash_size(&p, &sz) == 0);
        CHECK_EQ_INT(sz, 4096);                 /* superblock only */
        p.data_blocks = 2;
        CHECK(verity_hash_size(&p, &sz) == 0);
        CHECK_EQ_INT(sz, 2 * 4096);
        p.data_blocks = 128;
        CHECK(verity_hash_size(&p, &sz) == 0);
        CHECK_EQ_INT(sz, 2 * 4096);
        p.data_blocks = 129;                    /* 2 leaf blocks + 1 top */
        CHECK(verity_hash_size(&p, &sz) == 0);
        CHECK_EQ_INT(sz, 4 * 4096);
        p.data_blocks = 16385;                  /* 129 leaf + 2 + 1 */
        CHECK(verity_hash_size(&p, &sz) == 0);
        CHECK_EQ_INT(sz, (1 + 129 + 2 + 1) * 4096);
        p.superblock = false;
        CHECK(verity_hash_size(&p, &sz) == 0);
        CHECK_EQ_INT(sz, (129 + 2 + 1) * 4096);

        p.data_blocks = 0;
        CHECK(verity_hash_size(&p, &sz) == -EINVAL);
        p.data_blocks = 1;
        p.data_block_size = 1000;
        CHECK(verity_hash_size(&p, &sz) == -EINVAL);
        p.data_block_size = 4096;
        strcpy(p.hash_name, "md4");
        CHECK(verity_hash_size(&p, &sz) == -EOPNOTSUPP);
        strcpy(p.hash_name, "sha256");
        p.hash_type = 0;
        CHECK(verity_hash_size(&p, &sz) == -EOPNOTSUPP);
        p.hash_type = 1;
        p.data_blocks = UINT64_MAX;
        CHECK(verity_hash_size(&p, &sz) == -EFBIG);
}

static void test_small_trees(void) {
        static const uint8_t salt[4] = { 1, 2, 3, 4 };
        uint8_t root[VERITY_DIGEST_MAX], expect[32], blk[4096], d0[32], d1[32];
        size_t rs;
        VerityParams p;
        int data = tmpfd(), hash = tmpfd();

        fill(data, 2, 9);
        verity_params_default(&p);
        memcpy(p.salt, salt, sizeof(salt));
        p.salt_size = sizeof(salt);

        /* one block: root = H(salt || block 0) */
        p.data_blocks = 1;
        CHECK(verity_format(&p, data, 0, hash, 0, root, &rs) == 0);
        CHECK_EQ_INT(rs, 32);
        CHECK(pread_full(data, blk, 4096, 0) == 0);
        sha256_salted(salt, 4, blk, 4096, expect);
        CHECK(memcmp(root, expect, 32) == 0);

        /* two blocks: one hash block [d0 d1 0...], root = H(salt || it) */
        p.data_blocks = 2;
        CHECK(verity_format(&p, data, 0, hash, 0, root, &rs) == 0);
        sha256_salted(salt, 4, blk, 4096, d0);
        CHECK(pread_full(data, blk, 4096, 4096) == 0);
        sha256_salted(salt, 4, blk, 4096, d1);
        memset(blk, 0, sizeof(blk));
        memcpy(blk, d0, 32);
        memcpy(blk + 32, d1, 32);
        sha256_salted(salt, 4, blk, 4096, expect);
        CHECK(memcmp(root, expect, 32) == 0);
        uint8_t ondisk[4096];
        CHECK(pread_full(hash, ondisk, 4096, 4096) == 0);
        CHECK(memcmp(ondisk, blk, 4096) == 0);

        /* superblock round trip */
        CHECK(pread_full(hash, ondisk, 4096, 0) == 0);
        CHECK(memcmp(ondisk, "verity\0\0", 8) == 0);
        VerityParams q;
        CHECK(verity_superblock_parse(ondisk, 512, &q, NULL) == 0);
        CHECK_EQ_INT(q.data_blocks, 2);
        CHECK_EQ_INT(q.salt_size, 4);
        CHECK_EQ_STR(q.hash_name, "sha256");
        CHECK(memcmp(q.salt, salt, 4) == 0);
        ondisk[8] = 2;
        CHECK(verity_superblock_parse(ondisk, 512, &q, NULL) == -EBADMSG);
        CHECK(verity_superblock_parse(ondisk, 100, &q, NULL) == -EBADMSG);

        close(data);
        close(hash);
}

static void test_verify(void) {
        uint8_t root[VERITY_DIGEST_MAX];
        size_t rs;
        VerityParams p;
        int data = tmpfd(), hash = tmpfd();

        fill(data, 300, 3);
        verity_params_default(&p);
        p.data_blocks = 300;
        CHECK(verity_format(&p, data, 0, hash, 0, root, &rs) == 0);
        CHECK(verity_verify(&p, data, 0, hash, 0, root, rs) == 0);

        uint8_t b = 0;
        CHECK(pread_full(data, &b, 1, 4096 * 200 + 17) == 0);
        b ^= 1;
        CHECK(pwrite_full(data, &b, 1, 4096 * 200 + 17) == 0);
        CHECK(verity_verify(&p, data, 0, hash, 0, root, rs) == -EBADMSG);
        b ^= 1;
        CHECK(pwrite_full(data, &b, 1, 4096 * 200 + 17) == 0);
        CHECK(verity_verify(&p, data, 0, hash, 0, root, rs) == 0);

        root[5] ^= 0x80;
        CHECK(verity_verify(&p, data, 0, hash, 0, root, rs) == -EBADMSG);
        root[5] ^= 0x80;
        CHECK(verity_verify(&p, data, 0, hash, 0, root, rs - 1) == -EBADMSG);

        /* a flipped byte in a leaf hash block */
        CHECK(pread_full(hash, &b, 1, 4096 * 3 + 1) == 0);
        b ^= 4;
        CHECK(pwrite_full(hash, &b, 1, 4096 * 3 + 1) == 0);
        CHECK(verity_verify(&p, data, 0, hash, 0, root, rs) == -EBADMSG);

        /* data shorter than claimed */
        p.data_blocks = 301;
        CHECK(verity_format(&p, data, 0, hash, 0, root, &rs) == -EIO);
        close(data);
        close(hash);
}

int main(void) {
        test_sizes();
        test_small_trees();
        test_verify();
        TEST_DONE();
}
