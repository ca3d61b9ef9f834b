/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authenticode image digest (streaming), PE checksum and the certificate
 * table. The PKCS#7 part is in authenticode-pkcs7.c. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "authenticode.h"
#include "fileio.h"
#include "pe-format.h"
#include "util.h"

#define HASH_CHUNK (256u * 1024u)
/* Images smaller than this are hashed in one thread. */
#define PIPELINE_MIN (4u * 1024u * 1024u)

struct AuthenticodeHasher {
        EVP_MD_CTX *md_ctx;
        uint64_t checksum_offset;
        uint64_t security_dir_offset;
        uint64_t pos;                   /* next file offset expected */
        uint64_t csum;                  /* PE checksum: sum of 16-bit words, folded at the end */
        bool finished;
};

int authenticode_hasher_new(const EVP_MD *md, uint64_t checksum_offset, uint64_t security_dir_offset,
                            AuthenticodeHasher **ret) {
        AuthenticodeHasher *h;

        if (!md || !ret)
                return -EINVAL;
        /* The two excluded fields must not overlap (they never do in a
         * valid optional header; a crafted one is rejected by the parser). */
        if (checksum_offset + 4 > security_dir_offset && security_dir_offset + 8 > checksum_offset)
                return -EINVAL;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->md_ctx = EVP_MD_CTX_new();
        if (!h->md_ctx || EVP_DigestInit_ex(h->md_ctx, md, NULL) != 1) {
                authenticode_hasher_free(h);
                return -ENOMEM;
        }
        h->checksum_offset = checksum_offset;
        h->security_dir_offset = security_dir_offset;
        *ret = h;
        return 0;
}

void authenticode_hasher_free(AuthenticodeHasher *h) {
        if (!h)
                return;
        EVP_MD_CTX_free(h->md_ctx);
        free(h);
}

uint64_t authenticode_hasher_position(const AuthenticodeHasher *h) {
        return h->pos;
}

uint64_t authenticode_hasher_checksum_offset(const AuthenticodeHasher *h) {
        return h->checksum_offset;
}

uint64_t authenticode_hasher_security_dir_offset(const AuthenticodeHasher *h) {
        return h->security_dir_offset;
}

/* The PE checksum is a ones'-complement sum of little-endian 16-bit words.
 * Since 2^16 == 1 (mod 0xFFFF), a byte at an odd offset counts 256 times
 * its value, and a little-endian 64-bit word at an offset that is a
 * multiple of 8 counts as the sum of its four halves: 64-bit words are added
 * with end-around carry (a sum modulo 2^64 - 1, a multiple of 0xFFFF, and
 * non-zero exactly when the 16-bit sum is), folded into the 64-bit
 * accumulator once per call, and the accumulator is folded at the end; the
 * same result in any chunking. */
static uint64_t csum_words(const uint8_t *p, size_t n_words) {
        uint64_t a = 0, b = 0;
        size_t i = 0;

        /* two chains: an add and an add-with-carry per word, in parallel */
        for (; i + 2 <= n_words; i += 2) {
                uint64_t x, y;
                memcpy(&x, p + 8 * i, 8);
                memcpy(&y, p + 8 * i + 8, 8);
                a += x;
                a += a < x;
                b += y;
                b += b < y;
        }
        if (i < n_words) {
                uint64_t x;
                memcpy(&x, p + 8 * i, 8);
                a += x;
                a += a < x;
        }
        a += b;
        a += a < b;
        return (a & 0xffffffffu) + (a >> 32);
}

static void csum_add(uint64_t *sum, const uint8_t *p, size_t n, uint64_t off) {
        uint64_t s = *sum;

        while (n > 0 && (off & 7) != 0) {
                s += (uint64_t) *p << (8 * (off & 1));
                p++, n--, off++;
        }
        if (n >= 8) {
                size_t k = n / 8;
                s += csum_words(p, k);
                p += 8 * k, n -= 8 * k, off += 8 * k;
        }
        while (n > 0) {
                s += (uint64_t) *p << (8 * (off & 1));
                p++, n--, off++;
        }
        *sum = s;
}

static uint32_t csum_fold(uint64_t s) {
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint32_t) s;
}

/* Hash [off, off+n) of the image, skipping the two excluded fields; with
 * csum, also add the bytes to the PE checksum (where CheckSum counts as
 * zero and the directory entry is added at the end with its final value). */
static int hash_range(AuthenticodeHasher *h, const uint8_t *p, size_t n, uint64_t off, bool csum) {
        struct { uint64_t start, len; } skip[2] = {
                { h->checksum_offset, 4 },
                { h->security_dir_offset, 8 },
        };
        if (skip[0].start > skip[1].start) {
                __typeof__(skip[0]) t = skip[0];
                skip[0] = skip[1];
                skip[1] = t;
        }

        for (size_t i = 0; i <= ELEMENTSOF(skip) && n > 0; i++) {
                uint64_t until = i < ELEMENTSOF(skip) ? skip[i].start : UINT64_MAX;
                if (off < until) {
                        size_t k = (size_t) MIN((uint64_t) n, until - off);
                        if (EVP_DigestUpdate(h->md_ctx, p, k) != 1)
                                return -EIO;
                        if (csum)
                                csum_add(&h->csum, p, k, off);
                        p += k, n -= k, off += k;
                }
                if (i < ELEMENTSOF(skip) && n > 0 && off < skip[i].start + skip[i].len) {
                        size_t k = (size_t) MIN((uint64_t) n, skip[i].start + skip[i].len - off);
                        p += k, n -= k, off += k;
                }
        }
        return 0;
}

static int feed_range(AuthenticodeHasher *h, const uint8_t *p, size_t n, uint64_t off) {
        return hash_range(h, p, n, off, true);
}

/* Checksum only (the bytes outside the hashed ranges, and the whole image
 * for non-linear layouts). */
static void csum_range(AuthenticodeHasher *h, const uint8_t *p, size_t n, uint64_t off) {
        for (size_t i = 0; i < n;) {
                uint64_t o = off + i;
                size_t k = n - i;
                /* skip the two excluded fields, as feed_range does */
                if (o >= h->checksum_offset && o < h->checksum_offset + 4) {
                        i += (size_t) MIN((uint64_t) k, h->checksum_offset + 4 - o);
                        continue;
                }
                if (o >= h->security_dir_offset && o < h->security_dir_offset + 8) {
                        i += (size_t) MIN((uint64_t) k, h->security_dir_offset + 8 - o);
                        continue;
                }
                if (o < h->checksum_offset)
                        k = (size_t) MIN((uint64_t) k, h->checksum_offset - o);
                if (o < h->security_dir_offset)
                        k = (size_t) MIN((uint64_t) k, h->security_dir_offset - o);
                csum_add(&h->csum, p + i, k, o);
                i += k;
        }
}

static int feed_zeros(AuthenticodeHasher *h, uint64_t n) {
        static const uint8_t zeros[4096];
        while (n > 0) {
                size_t k = (size_t) MIN(n, (uint64_t) sizeof(zeros));
                int r = feed_range(h, zeros, k, h->pos);
                if (r < 0)
                        return r;
                h->pos += k;
                n -= k;
        }
        return 0;
}

int authenticode_hasher_feed(AuthenticodeHasher *h, const void *buf, size_t n, uint64_t off) {
        uint64_t end;
        int r;

        if (!h || h->finished || (!buf && n > 0))
                return -EINVAL;
        if (off < h->pos || !ADD_OK(off, (uint64_t) n, &end))
                return -EINVAL;
        if (off > h->pos) {
                r = feed_zeros(h, off - h->pos);
                if (r < 0)
                        return r;
        }
        r = feed_range(h, buf, n, off);
        if (r < 0)
                return r;
        h->pos = end;
        return 0;
}

int authenticode_hasher_finish(AuthenticodeHasher *h, bool pad, uint8_t *ret_digest, size_t *ret_digest_size,
                               uint64_t *ret_size) {
        unsigned len = 0;
        int r;

        if (!h || h->finished || !ret_digest)
                return -EINVAL;
        if (pad && (h->pos % AUTHENTICODE_ALIGN) != 0) {
                r = feed_zeros(h, AUTHENTICODE_ALIGN - h->pos % AUTHENTICODE_ALIGN);
                if (r < 0)
                        return r;
        }
        if (EVP_DigestFinal_ex(h->md_ctx, ret_digest, &len) != 1)
                return -EIO;
        h->finished = true;
        if (ret_digest_size)
                *ret_digest_size = len;
        if (ret_size)
                *ret_size = h->pos;
        return 0;
}

uint32_t authenticode_hasher_pe_checksum(const AuthenticodeHasher *h, uint32_t security_dir_va,
                                         uint32_t security_dir_size, const void *table, size_t table_size) {
        uint64_t s = h->csum;
        uint8_t dir[8];

        le32_write(dir, security_dir_va);
        le32_write(dir + 4, security_dir_size);
        csum_add(&s, dir, sizeof(dir), h->security_dir_offset);
        if (table_size > 0)
                csum_add(&s, table, table_size, h->pos);
        /* The file length is added to the folded 16-bit sum (truncated to
         * 32 bits, as the field is). */
        return csum_fold(s) + (uint32_t) (h->pos + table_size);
}

/* Two threads for big images, both over one read-only mapping of the
 * file: a helper adds everything to the PE checksum and copies it to
 * copy_fd, the caller's thread only hashes. SHA-256 is the slowest step, so
 * with a second core the copy costs no wall time, and there is no read()
 * copy at all. */
typedef struct CopyJob {
        const uint8_t *map;
        uint64_t size;
        int copy_fd;
        AuthenticodeHasher sum;         /* only its csum and excluded offsets are used */
        int error;
} CopyJob;

static void *copy_thread(void *userdata) {
        CopyJob *j = userdata;

        for (uint64_t off = 0; off < j->size;) {
                size_t k = (size_t) MIN(j->size - off, (uint64_t) HASH_CHUNK);
                csum_range(&j->sum, j->map + off, k, off);
                if (j->copy_fd >= 0) {
                        int r = write_full(j->copy_fd, j->map + off, k);
                        if (r < 0) {
                                j->error = r;
                                break;
                        }
                }
                off += k;
        }
        return NULL;
}

/* -ENODEV when fd cannot be mapped (the caller falls back to read()). */
static int digest_pipelined(int fd, uint64_t size, AuthenticodeHasher *const *hs, size_t n_md, int copy_fd) {
        CopyJob job = {
                .size = size,
                .copy_fd = copy_fd,
                .sum = {
                        .checksum_offset = hs[0]->checksum_offset,
                        .security_dir_offset = hs[0]->security_dir_offset,
                },
        };
        pthread_t helper;
        void *map;
        int r = 0;

        map = mmap(NULL, (size_t) size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
        if (map == MAP_FAILED)
                return -ENODEV;
        (void) madvise(map, (size_t) size, MADV_SEQUENTIAL);
        job.map = map;

        r = -pthread_create(&helper, NULL, copy_thread, &job);
        if (r < 0) {
                munmap(map, (size_t) size);
                return r;
        }
        for (uint64_t off = 0; off < size && r >= 0;) {
                size_t k = (size_t) MIN(size - off, (uint64_t) HASH_CHUNK);
                for (size_t i = 0; i < n_md && r >= 0; i++)
                        r = hash_range(hs[i], job.map + off, k, off, false);
                off += k;
        }
        pthread_join(helper, NULL);
        munmap(map, (size_t) size);
        if (r >= 0 && job.error < 0)
                r = job.error;
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_md; i++) {
                hs[i]->csum = job.sum.csum;
                hs[i]->pos = size;
        }
        return 0;
}

/* One sequential pass through a buffer small enough to stay in the CPU
 * cache while it is hashed, summed and copied. */
static int digest_buffered(int fd, uint64_t size, AuthenticodeHasher *const *hs, size_t n_md, int copy_fd) {
        _cleanup_free_ uint8_t *buf = malloc(HASH_CHUNK);
        int r;

        if (!buf)
                return -ENOMEM;
        for (uint64_t off = 0; off < size;) {
                size_t k = (size_t) MIN(size - off, (uint64_t) HASH_CHUNK);
                r = pread_full(fd, buf, k, off);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_md; i++) {
                        r = authenticode_hasher_feed(hs[i], buf, k, off);
                        if (r < 0)
                                return r;
                }
                if (copy_fd >= 0) {
                        r = write_full(copy_fd, buf, k);
                        if (r < 0)
                                return r;
                }
                off += k;
        }
        return 0;
}

typedef struct Mapping {
        uint8_t *p;
        size_t size;
} Mapping;

static void mapping_done(Mapping *m) {
        if (m->p && m->p != MAP_FAILED)
                munmap(m->p, m->size);
}

/* Gaps: the spec's order needs random access; map the file. The checksum
 * and the copy take it in file order, then each range is hashed in the
 * spec's order. */
static int digest_mapped(int fd, const AuthenticodeLayout *layout, uint64_t size, AuthenticodeHasher *const *hs,
                         size_t n_md, int copy_fd) {
        _cleanup_(mapping_done) Mapping m = { .size = (size_t) size };
        int r;

        if (size > 0) {
                m.p = mmap(NULL, (size_t) size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (m.p == MAP_FAILED)
                        return -errno;
                (void) madvise(m.p, (size_t) size, MADV_SEQUENTIAL);
        }

        for (uint64_t off = 0; off < size;) {
                size_t k = (size_t) MIN(size - off, (uint64_t) HASH_CHUNK);
                for (size_t i = 0; i < n_md; i++)
                        csum_range(hs[i], m.p + off, k, off);
                if (copy_fd >= 0) {
                        r = write_full(copy_fd, m.p + off, k);
                        if (r < 0)
                                return r;
                }
                off += k;
        }

        for (size_t j = 0; j < layout->n_ranges; j++) {
                const AuthenticodeRange *g = &layout->ranges[j];
                if (g->start > g->end || g->end > size)
                        return -EINVAL;
                for (size_t i = 0; i < n_md; i++) {
                        r = hash_range(hs[i], m.p + g->start, (size_t) (g->end - g->start), g->start, false);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < n_md; i++)
                hs[i]->pos = size;
        return 0;
}

#define DIGEST_MDS_MAX 8u

static void hashers_free(AuthenticodeHasher *(*hs)[DIGEST_MDS_MAX]) {
        for (size_t i = 0; i < DIGEST_MDS_MAX; i++)
                authenticode_hasher_free((*hs)[i]);
}

int authenticode_digest_fd(int fd, const AuthenticodeLayout *layout, const EVP_MD *const *mds, size_t n_md,
                           int copy_fd, AuthenticodeHasher **ret_hashers) {
        _cleanup_(hashers_free) AuthenticodeHasher *hs[DIGEST_MDS_MAX] = {};
        uint64_t size;
        int r;

        if (!layout || !mds || n_md == 0 || n_md > ELEMENTSOF(hs) || !ret_hashers)
                return -EINVAL;
        size = layout->image_size;
        if (size > SIZE_MAX)
                return -EFBIG;

        for (size_t i = 0; i < n_md; i++) {
                r = authenticode_hasher_new(mds[i], layout->checksum_offset, layout->security_dir_offset, &hs[i]);
                if (r < 0)
                        return r;
        }

        r = -ENODEV;
        if (layout->linear && size >= PIPELINE_MIN)
                r = digest_pipelined(fd, size, hs, n_md, copy_fd);
        if (r == -ENODEV)
                r = layout->linear ? digest_buffered(fd, size, hs, n_md, copy_fd)
                                   : digest_mapped(fd, layout, size, hs, n_md, copy_fd);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_md; i++)
                ret_hashers[i] = TAKE_PTR(hs[i]);
        return 0;
}

int authenticode_table_parse(const uint8_t *table, size_t size, AuthenticodeEntry *entries, size_t max,
                             size_t *ret_n) {
        size_t n = 0, off = 0;

        if ((!table && size > 0) || !ret_n)
                return -EINVAL;
        if (size > AUTHENTICODE_TABLE_MAX)
                return -EFBIG;

        while (off < size) {
                uint32_t len;
                uint64_t next;

                /* Padding after the last entry (some signers count it in
                 * the directory size, some do not). */
                if (size - off < AUTHENTICODE_ALIGN && n > 0)
                        break;
                if (size - off < sizeof(WinCertificateHeader))
                        return -EBADMSG;
                len = le32_read(table + off);
                if (len < sizeof(WinCertificateHeader) || len > size - off)
                        return -EBADMSG;
                if (n >= max || n >= AUTHENTICODE_SIGNATURES_MAX)
                        return -E2BIG;

                entries[n] = (AuthenticodeEntry) {
                        .offset = off,
                        .length = len,
                        .revision = le16_read(table + off + 4),
                        .type = le16_read(table + off + 6),
                        .data = table + off + sizeof(WinCertificateHeader),
                        .data_size = len - sizeof(WinCertificateHeader),
                };
                n++;

                if (!align_up_u64((uint64_t) off + len, AUTHENTICODE_ALIGN, &next))
                        return -EBADMSG;
                if (next > size)
                        next = size;    /* last entry, its padding not counted */
                off = (size_t) next;
        }

        if (n == 0)
                return -EBADMSG;
        *ret_n = n;
        return 0;
}

int authenticode_table_append(uint8_t **table, size_t *size, const uint8_t *der, size_t der_size) {
        size_t start, len, total;
        uint64_t padded, start64;
        uint8_t *t;

        if (!table || !size || !der || der_size == 0)
                return -EINVAL;
        if (!align_up_u64(*size, AUTHENTICODE_ALIGN, &start64))
                return -EFBIG;
        start = (size_t) start64;
        if (!ADD_OK(der_size, sizeof(WinCertificateHeader), &len) || len > UINT32_MAX)
                return -EFBIG;
        /* dwLength includes the padding: EDK2 steps from entry to entry by
         * ALIGN(dwLength, 8), and the signers we interoperate with count
         * the padding in both dwLength and the directory size. */
        if (!align_up_u64(len, AUTHENTICODE_ALIGN, &padded) || !ADD_OK(start, (size_t) padded, &total))
                return -EFBIG;
        if (total > AUTHENTICODE_TABLE_MAX)
                return -EFBIG;

        t = realloc(*table, total);
        if (!t)
                return -ENOMEM;
        memset(t + *size, 0, total - *size);
        le32_write(t + start, (uint32_t) padded);
        le16_write(t + start + 4, WIN_CERT_REVISION_2_0);
        le16_write(t + start + 6, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        memcpy(t + start + sizeof(WinCertificateHeader), der, der_size);

        *table = t;
        *size = total;
        return 0;
}
