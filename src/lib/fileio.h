/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File helpers: bounded reads and atomic output files.
 *
 * Every file ukit produces is written through AtomicFile: a temporary file in
 * the target's own directory, renamed over the target only on success, so an
 * error (or a crash) never leaves a partial output behind. */

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Read a whole file, at most max bytes (-EFBIG if larger). The buffer is
 * NUL-terminated (not counted in *ret_size). */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size);

/* The same for an fd already open. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size);

/* Inputs from trees others control (extension images, --root trees): open
 * PATH relative to DIRFD with O_NONBLOCK (a FIFO or device cannot block the
 * open) and refuse anything but a regular file: -EISDIR, -EBADFD ("not a
 * regular file", see read_file_strerror()). READ_IN_ROOT: symlinks are
 * followed but resolved inside DIRFD, as if it were "/" (no escape through
 * ".." or absolute links); READ_NOFOLLOW: no symlink anywhere in PATH
 * (-ELOOP). Without either, PATH resolves as openat() does. Returns the fd. */
#define READ_IN_ROOT 1u
#define READ_NOFOLLOW 2u
int open_regular_at(int dirfd, const char *path, unsigned flags);
/* open_regular_at() + read_fd_full(): at most max bytes (-EFBIG). */
int read_file_at(int dirfd, const char *path, unsigned flags, size_t max, char **ret, size_t *ret_size);
/* strerror() with the wording for the errors above. */
const char *read_file_strerror(int r);

/* Parse ukify's "TEXT|@PATH" convention: "@file" reads the file, anything
 * else is taken literally. */
int read_text_or_file(const char *arg, size_t max, char **ret, size_t *ret_size);

/* pread()/pwrite() the full amount, retrying on EINTR and short counts.
 * read: returns -EIO on a premature end of file. */
int pread_full(int fd, void *buf, size_t n, uint64_t off);
int pwrite_full(int fd, const void *buf, size_t n, uint64_t off);
int write_full(int fd, const void *buf, size_t n);

typedef struct AtomicFile {
        int fd;
        char *target;   /* final path */
        char *temp;     /* temporary path, in the target's directory */
} AtomicFile;

#define ATOMIC_FILE_INIT { .fd = -1 }

/* Create a temporary file next to target. mode is applied on commit. */
int atomic_file_open(AtomicFile *f, const char *target);

/* fsync, set mode, rename over the target, fsync the directory. */
int atomic_file_commit(AtomicFile *f, mode_t mode);

/* Remove the temporary file if it was not committed; safe to call twice.
 * Use as a cleanup handler: _cleanup_(atomic_file_abort). */
void atomic_file_abort(AtomicFile *f);

/* Size of a regular file (or block device); -errno on failure. */
int fd_get_size(int fd, uint64_t *ret);
