/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A writer for "newc" cpio archives (magic 070701, the format the Linux
 * initramfs unpacker reads), for the small initrds the stub generates next
 * to .initrd: /.extra/credentials/, /.extra/sysext/, the PCR signature.
 * Freestanding; the caller provides the buffer.
 *
 * The byte layout is that of systemd-stub's generated archives, because
 * those archives are measured into PCR 12/13 and predictions must match:
 * mtime/uid/gid 0, nlink 1, inodes counted from the writer's counter,
 * lower-case hex fields, every leading directory of the target as 0555 and
 * the target directory itself with the given mode, files in the order
 * given, and a trailer whose name-size field reads "0000000B". */

#include "macro.h"

#define CPIO_NAME_MAX 256u              /* path incl. NUL */
#define CPIO_FILE_MAX UINT32_C(0xffffffff)  /* newc sizes are 32-bit */

/* With buf == NULL the writer only counts: run the same calls once to learn
 * the size, allocate, then again to write. */
typedef struct CpioWriter {
        uint8_t *buf;
        size_t size;            /* capacity of buf */
        size_t pos;             /* bytes written (or counted) so far */
        uint32_t inode;         /* next inode number */
        bool failed;            /* overflow, too small or invalid name: sticky */
} CpioWriter;

void cpio_writer_init(CpioWriter *w, void *buf, size_t size);

/* Directory entries for every prefix of dir ("a", "a/b", ...): leading ones
 * 0555, dir itself dir_mode. dir is relative, without empty, "." or ".."
 * components. */
void cpio_put_dirs(CpioWriter *w, const char *dir, uint32_t dir_mode);
/* The regular file DIR/NAME (name without '/'). */
void cpio_put_file(CpioWriter *w, const char *dir, const char *name, const void *data, size_t size, uint32_t mode);
void cpio_put_trailer(CpioWriter *w);

/* The bytes written, or 0 if any call failed. */
size_t cpio_writer_finish(const CpioWriter *w);

/* Convenience: dirs + one file + trailer. Returns bytes written, 0 on error
 * (buf too small, bad names); buf may be NULL to get the size. */
size_t cpio_archive_one(void *buf, size_t bufsz, const char *dir, const char *name, const void *data,
                        size_t size, uint32_t dir_mode, uint32_t file_mode);
