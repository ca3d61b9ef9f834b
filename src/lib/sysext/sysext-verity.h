/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The integrity part of attaching an extension image: the root hash and its
 * signature, the full user-space check of the hash tree, and then (unless
 * --verity=userspace) a kernel dm-verity device to mount instead of the raw
 * loop device.
 *
 * Trust for a signed image: the kernel keyring (the signature is handed to
 * dm-verity, which checks it against .secondary_trusted_keys/.machine) or a
 * certificate in ROOT/{etc,run,usr/local/lib,usr/lib}/verity.d. When the
 * kernel refuses but verity.d trusts the signer, the device is activated
 * with the root hash alone, which the user-space check has already tied to
 * the signature (systemd >= 254 does the same). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ddi.h"
#include "sysext-merge.h"
#include "verity-activate.h"
#include "verity.h"

typedef struct ExtVerity {
        bool present;                   /* the image has a hash tree */
        uint8_t root[VERITY_DIGEST_MAX];
        size_t root_size;
        char root_hex[2 * VERITY_DIGEST_MAX + 1];
        uint8_t *sig;                   /* DER PKCS#7 over root_hex, NULL if unsigned */
        size_t sig_size;
        bool sig_trusted;               /* by a verity.d certificate */
        int hash_fd;                    /* file holding the hash device (owned), -1 */
        uint64_t hash_off, hash_size;
} ExtVerity;

#define EXT_VERITY_INIT { .hash_fd = -1 }

void ext_verity_done(ExtVerity *v);

/* Will this image be put on a kernel dm-verity device? */
bool ext_verity_use_kernel(const ExtContext *ctx);

/* A DDI: take the root hash from the signature partition (or from the
 * partition UUIDs when unsigned), check the signature against verity.d,
 * then the whole tree: data read through data_fd (the loop device over the
 * data partition), hash tree from file_fd. <0 with the image's reason set. */
int ext_verity_check_ddi(const ExtContext *ctx, ExtImage *img, int data_fd, int file_fd,
                         const DdiImage *d, ExtVerity *v);

/* A bare file system image with systemd's sidecars IMG.verity,
 * IMG.roothash and optionally IMG.roothash.p7s. 1 checked, 0 no sidecar,
 * <0 failed (reason set). */
int ext_verity_check_sidecar(const ExtContext *ctx, ExtImage *img, int data_fd, uint64_t data_size,
                             ExtVerity *v);

/* The kernel step, for a checked image with v->present: activate dm-verity
 * over data_dev and return the device to mount in *ret (the image's
 * verity/trust results are set). <0 with the reason set. */
int ext_verity_activate(const ExtContext *ctx, ExtImage *img, const ExtVerity *v, const char *data_dev,
                        VerityDevice *ret);
