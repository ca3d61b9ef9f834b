/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm-verity hash tree, laid out as cryptsetup's lib/verity/verity_hash.c does
 * for hash type 1 (see the facts in docs/sysext.md):
 *   digest(block)  = H(salt || block)       (data blocks and hash blocks)
 *   slot           = digest size rounded up to a power of two
 *   hashes/block   = 2^floor(log2(hash_block_size / slot))
 *   level i        = ceil(data_blocks / hpb^(i+1)) hash blocks, i = 0 is the leaf
 *   placement      = [superblock block] level L-1 ... level 1 level 0
 *   root           = digest(the single block of the top level), or the digest of
 *                    the only data block when there is just one. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fileio.h"
#include "gpt.h"
#include "util.h"
#include "verity.h"

#define VERITY_LEVELS_MAX 64u
#define VERITY_READ_CHUNK (1024u * 1024u)

static const char *const verity_hashes[] = { "sha1", "sha256", "sha384", "sha512" };

void verity_params_default(VerityParams *p) {
        memset(p, 0, sizeof(*p));
        strcpy(p->hash_name, "sha256");
        p->hash_type = 1;
        p->data_block_size = 4096;
        p->hash_block_size = 4096;
        p->superblock = true;
}

static const EVP_MD *verity_md(const VerityParams *p) {
        for (size_t i = 0; i < ELEMENTSOF(verity_hashes); i++)
                if (strncmp(p->hash_name, verity_hashes[i], sizeof(p->hash_name)) == 0)
                        return EVP_get_digestbyname(verity_hashes[i]);
        return NULL;
}

int verity_digest_size(const VerityParams *p) {
        const EVP_MD *md = verity_md(p);
        return md ? EVP_MD_get_size(md) : -EOPNOTSUPP;
}

static bool block_size_ok(uint32_t s) {
        return s >= VERITY_BLOCK_MIN && s <= VERITY_BLOCK_MAX && is_power_of_two_u64(s);
}

static unsigned log2_floor(uint64_t v) {
        unsigned r = 0;
        while (v >>= 1)
                r++;
        return r;
}

typedef struct VerityLayout {
        size_t digest_size, slot;
        unsigned bits;                          /* log2(hashes per block) */
        unsigned levels;
        uint64_t level_start[VERITY_LEVELS_MAX];/* in hash blocks */
        uint64_t level_size[VERITY_LEVELS_MAX];
        uint64_t first_block;
        uint64_t total_blocks;
        uint64_t total_bytes;
} VerityLayout;

static int verity_layout(const VerityParams *p, VerityLayout *l) {
        int d;

        memset(l, 0, sizeof(*l));
        if (p->hash_type != 1)
                return -EOPNOTSUPP;
        if (!block_size_ok(p->data_block_size) || !block_size_ok(p->hash_block_size))
                return -EINVAL;
        if (p->data_blocks == 0 || p->salt_size > VERITY_SALT_MAX)
                return -EINVAL;
        d = verity_digest_size(p);
        if (d <= 0)
                return -EOPNOTSUPP;
        l->digest_size = (size_t) d;
        l->slot = 1;
        while (l->slot < l->digest_size)
                l->slot <<= 1;
        if (l->slot > p->hash_block_size)
                return -EINVAL;
        l->bits = log2_floor(p->hash_block_size / l->slot);
        if (l->bits == 0)
                return -EINVAL;

        while (l->bits * l->levels < 64 && ((p->data_blocks - 1) >> (l->bits * l->levels)) != 0)
                l->levels++;
        if (l->levels >= VERITY_LEVELS_MAX)
                return -EINVAL;

        /* The superblock occupies the first hash block (ceil(512 / hbs) == 1). */
        l->first_block = p->superblock ? 1 : 0;
        uint64_t next = l->first_block;
        for (unsigned i = l->levels; i-- > 0;) {
                unsigned sh = l->bits * (i + 1);
                l->level_size[i] = sh >= 64 ? 1 : ((p->data_blocks - 1) >> sh) + 1;
                l->level_start[i] = next;
                if (!ADD_OK(next, l->level_size[i], &next))
                        return -EFBIG;
        }
        l->total_blocks = next;
        if (!MUL_OK(next, (uint64_t) p->hash_block_size, &l->total_bytes))
                return -EFBIG;
        if (l->total_bytes > VERITY_HASH_AREA_MAX)
                return -EFBIG;
        /* Reading the data must not overflow either. */
        uint64_t data_bytes;
        if (!MUL_OK(p->data_blocks, (uint64_t) p->data_block_size, &data_bytes) || data_bytes > INT64_MAX)
                return -EFBIG;
        return 0;
}

int verity_hash_size(const VerityParams *p, uint64_t *ret) {
        VerityLayout l;
        int r = verity_layout(p, &l);
        if (r < 0)
                return r;
        *ret = l.total_bytes;
        return 0;
}

void verity_superblock_build(const VerityParams *p, uint8_t sb[VERITY_SUPERBLOCK_SIZE]) {
        memset(sb, 0, VERITY_SUPERBLOCK_SIZE);
        memcpy(sb, "verity\0\0", 8);
        le32_write(sb + 8, 1);
        le32_write(sb + 12, p->hash_type);
        memcpy(sb + 16, p->uuid, 16);
        memcpy(sb + 32, p->hash_name, strnlen(p->hash_name, 31));
        le32_write(sb + 64, p->data_block_size);
        le32_write(sb + 68, p->hash_block_size);
        le64_write(sb + 72, p->data_blocks);
        le16_write(sb + 80, (uint16_t) p->salt_size);
        memcpy(sb + 88, p->salt, MIN(p->salt_size, (size_t) VERITY_SALT_MAX));
}

#define SB_FAIL(r, fmt, ...) ukit_error(err, r, "verity superblock: " fmt, ##__VA_ARGS__)

int verity_superblock_parse(const uint8_t *sb, size_t n, VerityParams *ret, UkitError *err) {
        VerityParams p;

        if (n < VERITY_SUPERBLOCK_SIZE || memcmp(sb, "verity\0\0", 8) != 0)
                return SB_FAIL(-EBADMSG, "no \"verity\" signature");
        if (le32_read(sb + 8) != 1)
                return SB_FAIL(-EBADMSG, "version %" PRIu32 " unsupported (only 1)", le32_read(sb + 8));
        memset(&p, 0, sizeof(p));
        p.hash_type = le32_read(sb + 12);
        memcpy(p.uuid, sb + 16, 16);
        if (memchr(sb + 32, 0, 32) == NULL)
                return SB_FAIL(-EBADMSG, "algorithm name not NUL-terminated");
        memcpy(p.hash_name, sb + 32, 32);
        p.data_block_size = le32_read(sb + 64);
        p.hash_block_size = le32_read(sb + 68);
        p.data_blocks = le64_read(sb + 72);
        p.salt_size = le16_read(sb + 80);
        if (p.salt_size > VERITY_SALT_MAX)
                return SB_FAIL(-EBADMSG, "salt_size %zu too large (at most %u)", p.salt_size,
                               (unsigned) VERITY_SALT_MAX);
        memcpy(p.salt, sb + 88, p.salt_size);
        p.superblock = true;

        if (p.hash_type != 1)
                return SB_FAIL(-EOPNOTSUPP, "hash_type %" PRIu32 " unsupported (only 1)", p.hash_type);
        if (verity_digest_size(&p) <= 0)
                return SB_FAIL(-EOPNOTSUPP, "algorithm \"%s\" unsupported", p.hash_name);
        if (!block_size_ok(p.data_block_size))
                return SB_FAIL(-EBADMSG, "data_block_size %" PRIu32 " invalid", p.data_block_size);
        if (!block_size_ok(p.hash_block_size))
                return SB_FAIL(-EBADMSG, "hash_block_size %" PRIu32 " invalid", p.hash_block_size);
        if (p.data_blocks == 0)
                return SB_FAIL(-EBADMSG, "data_blocks is 0");

        VerityLayout l;
        int r = verity_layout(&p, &l);
        if (r == -EOPNOTSUPP)
                return SB_FAIL(r, "parameters unsupported");
        if (r < 0)
                return SB_FAIL(-EBADMSG, "data_blocks %" PRIu64 " with hash_block_size %" PRIu32
                               " gives no usable hash tree", p.data_blocks, p.hash_block_size);
        *ret = p;
        return 0;
}

typedef struct Hasher {
        EVP_MD_CTX *base;       /* already fed with the salt */
        EVP_MD_CTX *ctx;
} Hasher;

static void hasher_done(Hasher *h) {
        EVP_MD_CTX_free(h->base);
        EVP_MD_CTX_free(h->ctx);
}

static int hasher_init(Hasher *h, const VerityParams *p) {
        const EVP_MD *md = verity_md(p);

        h->base = EVP_MD_CTX_new();
        h->ctx = EVP_MD_CTX_new();
        if (!md || !h->base || !h->ctx)
                return md ? -ENOMEM : -EOPNOTSUPP;
        if (EVP_DigestInit_ex(h->base, md, NULL) != 1 ||
            EVP_DigestUpdate(h->base, p->salt, p->salt_size) != 1)
                return -EIO;
        return 0;
}

static int hasher_block(Hasher *h, const void *block, size_t n, uint8_t *out) {
        if (EVP_MD_CTX_copy_ex(h->ctx, h->base) != 1 ||
            EVP_DigestUpdate(h->ctx, block, n) != 1 ||
            EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
                return -EIO;
        return 0;
}

/* The leaf level is nearly all the work (every data byte is hashed once):
 * split it over a few threads, each with its own hasher and read buffer,
 * writing disjoint slots. Upper levels are 1/128 of that and stay serial. */
#define VERITY_THREADS_MAX 4u
#define VERITY_BLOCKS_PER_THREAD_MIN 4096u

typedef struct LeafJob {
        const VerityParams *p;
        const VerityLayout *l;
        int data_fd;
        uint64_t data_off;
        uint64_t first, end;            /* data block range */
        uint8_t *out;                   /* slot of block 0 (leaf level, or the root) */
        int r;
} LeafJob;

static void *leaf_run(void *arg) {
        LeafJob *j = arg;
        _cleanup_(hasher_done) Hasher h = {};
        _cleanup_free_ uint8_t *buf = NULL;
        const uint64_t dbs = j->p->data_block_size;
        size_t chunk_blocks = MAX((size_t) 1, VERITY_READ_CHUNK / (size_t) dbs);

        j->r = hasher_init(&h, j->p);
        if (j->r < 0)
                return NULL;
        buf = malloc(chunk_blocks * dbs);
        if (!buf) {
                j->r = -ENOMEM;
                return NULL;
        }
        for (uint64_t b = j->first; b < j->end; b += chunk_blocks) {
                size_t n = (size_t) MIN((uint64_t) chunk_blocks, j->end - b);
                j->r = pread_full(j->data_fd, buf, n * dbs, j->data_off + b * dbs);
                if (j->r < 0)
                        return NULL;
                for (size_t k = 0; k < n; k++) {
                        j->r = hasher_block(&h, buf + k * dbs, dbs, j->out + (b + k) * j->l->slot);
                        if (j->r < 0)
                                return NULL;
                }
        }
        j->r = 0;
        return NULL;
}

static int leaf_level(const VerityParams *p, const VerityLayout *l, int data_fd, uint64_t data_off, uint8_t *out) {
        LeafJob jobs[VERITY_THREADS_MAX];
        pthread_t tid[VERITY_THREADS_MAX];
        bool started[VERITY_THREADS_MAX] = {};
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned n = (unsigned) MIN((uint64_t) MAX(cpus, 1L), (uint64_t) VERITY_THREADS_MAX);
        n = (unsigned) MAX((uint64_t) 1, MIN((uint64_t) n, p->data_blocks / VERITY_BLOCKS_PER_THREAD_MIN));

        uint64_t per = (p->data_blocks + n - 1) / n;
        for (unsigned i = 0; i < n; i++)
                jobs[i] = (LeafJob) {
                        .p = p, .l = l, .data_fd = data_fd, .data_off = data_off,
                        .first = MIN(p->data_blocks, (uint64_t) i * per),
                        .end = MIN(p->data_blocks, (uint64_t) (i + 1) * per),
                        .out = out,
                };
        /* Job 0 runs here; the others in threads (serially if creation fails). */
        for (unsigned i = 1; i < n; i++)
                started[i] = pthread_create(&tid[i], NULL, leaf_run, &jobs[i]) == 0;
        leaf_run(&jobs[0]);
        int r = jobs[0].r;
        for (unsigned i = 1; i < n; i++) {
                if (started[i])
                        pthread_join(tid[i], NULL);
                else
                        leaf_run(&jobs[i]);
                if (r >= 0 && jobs[i].r < 0)
                        r = jobs[i].r;
        }
        return r;
}

/* Build the whole hash area (tree + superblock, l->total_bytes) into a new
 * buffer *ret_area, and the root hash into root. */
static int verity_build(const VerityParams *p, const VerityLayout *l, int data_fd, uint64_t data_off,
                        uint8_t **ret_area, uint8_t *root) {
        _cleanup_(hasher_done) Hasher h = {};
        const uint64_t hbs = p->hash_block_size;
        _cleanup_free_ uint8_t *area = NULL;
        int r;

        area = calloc(1, (size_t) l->total_bytes + 1);
        if (!area)
                return -ENOMEM;
        r = hasher_init(&h, p);
        if (r < 0)
                return r;
        if (p->superblock)
                verity_superblock_build(p, area);

        /* With a single data block its digest is the root itself. */
        r = leaf_level(p, l, data_fd, data_off, l->levels > 0 ? area + l->level_start[0] * hbs : root);
        if (r < 0)
                return r;

        for (unsigned i = 1; i < l->levels; i++) {
                const uint8_t *below = area + l->level_start[i - 1] * hbs;
                uint8_t *here = area + l->level_start[i] * hbs;
                for (uint64_t k = 0; k < l->level_size[i - 1]; k++) {
                        r = hasher_block(&h, below + k * hbs, hbs, here + k * l->slot);
                        if (r < 0)
                                return r;
                }
        }
        if (l->levels > 0) {
                r = hasher_block(&h, area + l->level_start[l->levels - 1] * hbs, hbs, root);
                if (r < 0)
                        return r;
        }
        *ret_area = TAKE_PTR(area);
        return 0;
}

int verity_format(const VerityParams *p, int data_fd, uint64_t data_off,
                  int hash_fd, uint64_t hash_off,
                  uint8_t ret_root[VERITY_DIGEST_MAX], size_t *ret_root_size) {
        _cleanup_free_ uint8_t *area = NULL;
        uint8_t root[VERITY_DIGEST_MAX];
        VerityLayout l;
        int r;

        r = verity_layout(p, &l);
        if (r < 0)
                return r;
        r = verity_build(p, &l, data_fd, data_off, &area, root);
        if (r < 0)
                return r;
        r = pwrite_full(hash_fd, area, (size_t) l.total_bytes, hash_off);
        if (r < 0)
                return r;
        memcpy(ret_root, root, l.digest_size);
        *ret_root_size = l.digest_size;
        return 0;
}

int verity_verify(const VerityParams *p, int data_fd, uint64_t data_off,
                  int hash_fd, uint64_t hash_off,
                  const uint8_t *root, size_t root_size) {
        _cleanup_free_ uint8_t *area = NULL, *ondisk = NULL;
        uint8_t computed[VERITY_DIGEST_MAX];
        VerityLayout l;
        int r;

        r = verity_layout(p, &l);
        if (r < 0)
                return r;
        if (root_size != l.digest_size)
                return -EBADMSG;
        r = verity_build(p, &l, data_fd, data_off, &area, computed);
        if (r < 0)
                return r;
        ondisk = malloc((size_t) l.total_bytes + 1);
        if (!ondisk)
                return -ENOMEM;
        r = pread_full(hash_fd, ondisk, (size_t) l.total_bytes, hash_off);
        if (r == -EIO)
                return -EBADMSG;        /* hash device too short */
        if (r < 0)
                return r;
        /* The superblock itself is not part of the tree (the kernel never
         * reads it); compare only the hash blocks and the root. */
        size_t skip = (size_t) (l.first_block * p->hash_block_size);
        if (memcmp(area + skip, ondisk + skip, (size_t) l.total_bytes - skip) != 0)
                return -EBADMSG;
        if (CRYPTO_memcmp(computed, root, root_size) != 0)
                return -EBADMSG;
        return 0;
}
