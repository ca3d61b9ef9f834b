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
        char *temp;     /* named temporary file in the target's directory, or
                         * NULL when the file system gave an O_TMPFILE */
        int slot;       /* sig_cleanup registration of temp, plus one; 0: none */
} AtomicFile;

#define ATOMIC_FILE_INIT { .fd = -1 }

/* Prefix of every temporary name ukit creates next to an output. */
#define ATOMIC_FILE_TEMP_PREFIX ".#ukit-"

/* Create an unnamed temporary file (O_TMPFILE) in target's directory; where
 * the file system cannot (vfat, most FUSE file systems), a named one,
 * ".#ukit-XXXXXX", registered with sig_cleanup so a termination signal
 * removes it. Either way the file is flock()ed for its whole life, which is
 * how atomic_file_sweep() tells a live temporary from a stale one. mode is
 * applied on commit. */
int atomic_file_open(AtomicFile *f, const char *target);

/* fsync, set mode, move into place over the target, fsync the directory.
 * Termination signals are held back while the file changes names. */
int atomic_file_commit(AtomicFile *f, mode_t mode);

/* As atomic_file_commit(), but never replaces anything: -EEXIST if target
 * exists as anything at all (a dangling symlink too), checked atomically
 * by linkat()/renameat2(RENAME_NOREPLACE)/link(). */
int atomic_file_commit_noreplace(AtomicFile *f, mode_t mode);

/* Remove the temporary file if it was not committed; safe to call twice.
 * Use as a cleanup handler: _cleanup_(atomic_file_abort). */
void atomic_file_abort(AtomicFile *f);

/* Remove stale ATOMIC_FILE_TEMP_PREFIX regular files directly in dir_fd:
 * those nobody holds a flock on any more (their writer was killed). Returns
 * the number of bytes freed (>= 0) or -errno if the directory cannot be
 * read. */
int64_t atomic_file_sweep(int dir_fd);

/* Size of a regular file (or block device); -errno on failure. */
int fd_get_size(int fd, uint64_t *ret);
