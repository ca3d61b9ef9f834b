/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The disk a partition target with Path=auto means when no --image= is
 * given, as systemd-sysupdate 257 finds it: the block device backing "/"
 * (or "/usr" when "/" is on none, e.g. a root in the initramfs), traced
 * through device-mapper (dm-verity, dm-crypt: the single device in
 * /sys/dev/block/M:m/slaves/) and then from the partition to its whole disk
 * (/sys/dev/block/M:m/partition exists: the parent directory's dev). */

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Walks sysfs below sysfs_root (NULL: "/sys") from the block device dev to
 * the whole disk. *ret_name gets the disk's kernel name (DEVNAME= of its
 * uevent, e.g. "vda"). -ENODEV when dev has no sysfs entry, -ENOTUNIQ when
 * a device-mapper device has more than one backing device. */
int update_blockdev_whole_disk(const char *sysfs_root, dev_t dev, dev_t *ret, char **ret_name, UkitError *err);

/* The whole disk behind "/" (else "/usr") under the root directory root
 * (NULL: "/") as a device node path, "/dev/NAME", checked to be that block
 * device. -ENXIO when neither is on a block device. */
int update_blockdev_root_disk(const char *sysfs_root, const char *root, char **ret, UkitError *err);

/* --image=: opens path (no symlink in the last component, no blocking on a
 * FIFO) and checks it is a regular file or a block device; -EBADFD
 * otherwise (FIFOs, sockets, character devices), -EISDIR for a directory,
 * -ELOOP for a symlink. Returns 0 (the file is closed again). */
int update_image_check(const char *path, UkitError *err);
