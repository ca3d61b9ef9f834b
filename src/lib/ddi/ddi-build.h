/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Building an extension DDI (sysext/confext) from a directory tree: stage
 * the tree with its release file, mkfs.erofs/mksquashfs, the dm-verity hash
 * tree (verity.c), the PKCS#7 of the root hash (verity-sig.c), GPT assembly
 * (ddi.c) into an AtomicFile. Reproducible: every UUID and the salt are
 * derived from a 32-byte seed (ddi_build_seed()). The one temporary
 * directory lives next to the output and is removed on every exit path and
 * by the signal handler (sig-cleanup.h). Returns -errno; never prints. */

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "extension-release.h"
#include "verity.h"

typedef struct DdiBuildSpec {
        ExtClass cls;
        const char *tree;               /* the input directory */
        const char *output;             /* the image to write (replaced atomically) */
        const char *name;               /* extension name */
        const char *format;             /* "erofs" or "squashfs" */
        const char *part_arch;          /* partition types for this architecture */
        bool usr;                       /* a usr partition of the tree's usr/ */
        /* The release file: written into a staged copy of the tree when id
         * is set; else the tree must hold it. */
        const char *id, *version_id, *level, *arch, *scope;
        EVP_PKEY *key;                  /* sign the root hash (with cert), or NULL */
        X509 *cert;
        const char *source_date_epoch;  /* file system timestamps, or NULL */
        uint8_t seed[32];
} DdiBuildSpec;

/* Seed: HMAC of the name under the UUID seed_uuid when given (-EINVAL if it
 * is no UUID), else derived from SOURCE_DATE_EPOCH sde + class + name when
 * given, else random (-EIO if there are no random bytes). */
int ddi_build_seed(ExtClass c, const char *name, const char *seed_uuid, const char *sde, uint8_t ret[32]);

/* Build the image. ret_root_hex: the dm-verity root hash, lower-case hex
 * (VERITY_DIGEST_MAX*2+1 bytes). err->path names the file concerned when it
 * is not spec->tree. -EINVAL bad release fields, -EEXIST the tree holds
 * usr/lib/os-release, -ENOENT no release file / no usr/ for a usr image,
 * -EPROTO a tool (cp, mkfs) failed, -errno. */
int ddi_build(const DdiBuildSpec *spec, char ret_root_hex[static 2 * VERITY_DIGEST_MAX + 1], UkitError *err);
