/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kernel dm-verity for extension images, through libcryptsetup.
 *
 * The user-space check in verity.c proves the image was intact when it was
 * merged; a dm-verity device makes the kernel check every block on every
 * read after that, so rewriting the backing file later gives EIO instead of
 * new content. Root-hash signatures can be handed to the kernel, which
 * checks them against its trusted keyrings (.secondary_trusted_keys, which
 * includes the .machine keyring, i.e. MOK certificates, when the kernel is
 * built with CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG_SECONDARY_KEYRING). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VERITY_DM_NAME_MAX 96u
#define VERITY_DM_ERROR_MAX 160u

typedef enum VerityMode {
        VERITY_MODE_AUTO,       /* kernel when device-mapper is there, else user space */
        VERITY_MODE_KERNEL,     /* kernel, or the image fails */
        VERITY_MODE_USERSPACE,  /* the user-space check only */
} VerityMode;

/* "auto" / "kernel" / "userspace" <-> enum; -EINVAL for anything else. */
int verity_mode_from_string(const char *s, VerityMode *ret);
const char *verity_mode_to_string(VerityMode m);

/* Can device-mapper be used here (/dev/mapper/control opens)? */
bool verity_kernel_available(void);

typedef struct VerityDevice {
        char name[VERITY_DM_NAME_MAX];          /* dm name */
        char path[VERITY_DM_NAME_MAX + 16];     /* /dev/mapper/NAME */
        char error[VERITY_DM_ERROR_MAX];        /* libcryptsetup's last error line, if any */
} VerityDevice;

/* Activate a read-only dm-verity device named PREFIX-ROOTHEX-RANDOM (prefix
 * e.g. "ukit-sysext") over data_dev (block device path)
 * with the hash tree on hash_dev (a block device whose first block is the
 * verity superblock), for root (the binary root hash). When sig is given,
 * the kernel must accept it as a signature of the hex root hash: failure
 * then means "not trusted by the kernel keyring" (or no kernel support),
 * and the caller may retry without it. The name is unique per call.
 * Returns 0 (ret filled), -ENXIO no device-mapper, other -errno (ret->error
 * may say more). */
int verity_activate(const char *prefix, const char *data_dev, const char *hash_dev, const uint8_t *root,
                    size_t root_size, const uint8_t *sig, size_t sig_size, VerityDevice *ret);

/* Remove the device as soon as nobody has it open any more (now, if nobody
 * does): call it right after mounting it. */
int verity_deactivate_deferred(const VerityDevice *d);

/* Remove it now (after a failed mount). */
int verity_deactivate(const VerityDevice *d);

/* Request deferred removal of every device whose name starts with
 * "PREFIX-", by device-mapper ioctls (libcryptsetup cannot open a device a
 * killed activation left without a table, or with a table loaded but never
 * resumed): unused ones, whatever their state, go at once, devices in use
 * when their last user goes. Stale /dev/mapper nodes of the prefix (no udev)
 * are removed. Call it under the lock that serialises merges of that prefix.
 * Returns the number of devices found, or -errno. */
int verity_remove_stale(const char *prefix);
