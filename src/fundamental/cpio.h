/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A writer for "newc" cpio archives (magic 070701, the format the Linux
 * initramfs unpacker reads), for the small generated initrds the stub hands
 * to the kernel next to .initrd (e.g. /.extra/tpm2-pcr-signature.json).
 * Freestanding: the caller provides the buffer. Output is deterministic:
 * mtime 0, uid/gid 0, inodes numbered from the caller's counter. */

#include "macro.h"

#define CPIO_NAME_MAX 256u              /* path incl. NUL */
#define CPIO_FILE_MAX (UINT32_C(0xffffffff))  /* newc sizes are 32-bit */

/* Bytes cpio_archive_one() needs for a file DIR/NAME with size bytes of
 * content (dir may be "" for the top level; every component of dir gets a
 * directory entry), trailer included. 0 on overflow or bad arguments. */
size_t cpio_archive_one_size(const char *dir, const char *name, size_t size);

/* Writes the archive (directory entries for dir's components, the file with
 * the given permission bits, the trailer) to buf. *inode is the next inode
 * number to use and is advanced. Returns the bytes written, or 0 if bufsz is
 * too small or an argument is invalid (names with "..", empty components or
 * longer than CPIO_NAME_MAX); buf content is unspecified then. */
size_t cpio_archive_one(void *buf, size_t bufsz, const char *dir, const char *name, const void *data,
                        size_t size, uint32_t dir_mode, uint32_t file_mode, uint32_t *inode);
