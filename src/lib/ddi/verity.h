/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* dm-verity hash tree (format version 1, "hash_type 1"), byte-identical to
 * `veritysetup format`: same superblock, same tree layout (levels stored
 * root-most first, leaf level last), same root hash.
 *
 * Only the "normal" hash type 1 (digest = H(salt || block), digest slots
 * padded to a power of two) is supported; Chrome OS type 0 is refused with
 * -EOPNOTSUPP. The whole hash area is built in memory (about 1/127 of the
 * data size), then written with one pwrite, so the data is read once. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VERITY_SUPERBLOCK_SIZE  512u
#define VERITY_SALT_MAX         256u
#define VERITY_DIGEST_MAX       64u     /* sha512 */
#define VERITY_BLOCK_MIN        512u
#define VERITY_BLOCK_MAX        (512u * 1024u)
/* The tree is kept in memory; refuse data that would need more than this. */
#define VERITY_HASH_AREA_MAX    (UINT64_C(4) << 30)

typedef struct VerityParams {
        char hash_name[32];             /* OpenSSL/cryptsetup name: "sha256" */
        uint32_t hash_type;             /* 1 */
        uint32_t data_block_size;       /* power of two, 512..512K */
        uint32_t hash_block_size;
        uint64_t data_blocks;
        uint8_t salt[VERITY_SALT_MAX];
        size_t salt_size;
        uint8_t uuid[16];               /* superblock UUID, in text order */
        bool superblock;                /* write/expect the 512-byte superblock */
} VerityParams;

/* sha256, 4096/4096, hash type 1, no salt, zero UUID, superblock on;
 * data_blocks = 0 (to be filled in). */
void verity_params_default(VerityParams *p);

/* Size in bytes of the hash device for p (superblock included).
 * -EINVAL for bad parameters, -EOPNOTSUPP unknown hash/type, -EFBIG too large. */
int verity_hash_size(const VerityParams *p, uint64_t *ret);

/* Read p->data_blocks blocks of data from data_fd at data_off, build the
 * tree, write the hash device to hash_fd at hash_off (verity_hash_size()
 * bytes) and return the root hash (digest size bytes, *ret_root_size).
 * -EIO if the data is shorter than p->data_blocks blocks. */
int verity_format(const VerityParams *p, int data_fd, uint64_t data_off,
                  int hash_fd, uint64_t hash_off,
                  uint8_t ret_root[VERITY_DIGEST_MAX], size_t *ret_root_size);

/* Recompute the tree from the data and compare it with the hash device and
 * root hash: 0 if everything matches, -EBADMSG on any mismatch. This is the
 * userspace equivalent of `veritysetup verify`. */
int verity_verify(const VerityParams *p, int data_fd, uint64_t data_off,
                  int hash_fd, uint64_t hash_off,
                  const uint8_t *root, size_t root_size);

/* Encode/decode the on-disk superblock (VERITY_SUPERBLOCK_SIZE bytes).
 * parse: -EBADMSG bad magic/version/fields, -EOPNOTSUPP unsupported hash
 * (err names the field). */
void verity_superblock_build(const VerityParams *p, uint8_t sb[VERITY_SUPERBLOCK_SIZE]);
int verity_superblock_parse(const uint8_t *sb, size_t n, VerityParams *ret, UkitError *err);

/* Digest size of p->hash_name, or -EOPNOTSUPP. */
int verity_digest_size(const VerityParams *p);
