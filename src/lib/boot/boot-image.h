/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* $BOOT inside a disk image (--image): the primary GPT is read with
 * lib/ddi/gpt.c (a corrupt one is refused, not repaired from the backup) and
 * the chosen partition is attached to a loop device limited to exactly that
 * partition's byte range (offset + sizelimit), so nothing written through
 * the mount can land outside it, then mounted on a private temporary
 * directory. Returns -errno; never prints. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot-partition.h"
#include "error.h"

#define GPT_PARTITIONS_MAX      256u                    /* entries looked at in an image */

/* A partition in a GPT disk image. */
typedef struct BootImagePartition {
        size_t partno;          /* 0-based slot in the GPT entry array */
        uint64_t offset;        /* bytes from the start of the image */
        uint64_t size;          /* bytes */
        char type[37];          /* type GUID, lowercase */
        char uuid[37];          /* partition GUID, lowercase ("" if none) */
        BootPartitionKind kind;
} BootImagePartition;

/* Read the GPT of a disk image (regular file or block device) and return its
 * $BOOT: the first XBOOTLDR partition, else the first ESP.
 * -EMEDIUMTYPE no GPT, -ENOENT neither partition, -EBADMSG broken table
 * (err says why). */
int gpt_find_boot_partition(const char *disk, BootImagePartition *ret, UkitError *err);

/* Same, but for the ESP only (used to list the ESP next to XBOOTLDR). */
int gpt_find_partition(const char *disk, BootPartitionKind kind, BootImagePartition *ret, UkitError *err);

/* A partition of an image, attached to a loop device and mounted. */
typedef struct BootImageMount {
        char *mount_dir;        /* private temporary directory */
        char *loop_dev;         /* /dev/loopN */
        int loop_fd;            /* kept open: the loop device has autoclear set */
        BootImagePartition part;
        bool mounted;
} BootImageMount;

#define BOOT_IMAGE_MOUNT_INIT { .loop_fd = -1 }

/* Mount partition part of disk. Needs root (-EPERM otherwise, before
 * anything is attached). -ENODEV if the kernel cannot mount the partition's
 * file system type (e.g. no vfat driver), -EMEDIUMTYPE if the partition holds
 * no recognisable file system. tmp_parent is where the mount directory is
 * created (NULL: $TMPDIR or /tmp). */
int boot_image_mount(const char *disk, const BootImagePartition *part, bool read_only,
                     const char *tmp_parent, BootImageMount *ret);

/* Unmount, detach, remove the temporary directory; safe to call twice.
 * Returns the first error (the partition is still detached lazily). */
int boot_image_umount(BootImageMount *m);
