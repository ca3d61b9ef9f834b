/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File system type of a block device or image, from its superblock. */

#include <blkid.h>
#include <stdint.h>

#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe)

/* The libblkid TYPE ("vfat", "ext4", "erofs", "squashfs", ...) of the file
 * system starting at offset of fd (a block device or regular file),
 * allocated. -EMEDIUMTYPE if none (or several) are recognised, -errno. */
int fs_probe(int fd, uint64_t offset, char **ret);
