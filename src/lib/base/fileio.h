/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File helpers: bounded reads and atomic output files.
 *
 * Every file ukit produces is written through AtomicFile: a temporary file in
 * the target's own directory, renamed over the target only on success, so an
 * error (or a crash) never leaves a partial output behind. */

#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Read a whole file, at most max bytes (-EFBIG if larger). The buffer is
 * NUL-terminated (not counted in *ret_size). */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size);

/* The same for an fd already open. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size);


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

/* Opening input files.
 *
 * Every file ukit reads as input (images, kernels, initrds, keys,
 * certificates, files found on the ESP) goes through open_input_at(): it
 * opens with O_NONBLOCK, so a FIFO without a writer cannot block, checks
 * with fstat() that the result is a regular file, then clears O_NONBLOCK
 * again. Character devices (/dev/zero, /dev/urandom), FIFOs and sockets are
 * refused with -EBADFD, which the command line reports as "not a regular
 * file"; a directory gives -EISDIR. Text options given as "@FILE" use
 * read_text_or_file() instead, which still accepts pipes. */

/* Refuse a symlink anywhere in the path (-ELOOP): for names found by
 * reading a directory that others control, like EFI/Linux on the ESP, or
 * files inside an extension image. Paths named on the command line follow
 * symlinks, as every tool does. */
#define OPEN_INPUT_NOFOLLOW     (1u << 0)
/* Accept a block device as well (build inputs, images given to sysext verity). */
#define OPEN_INPUT_ALLOW_BLOCK  (1u << 1)
/* Accept an anonymous pipe as well ("<(cmd)", /dev/fd/N), for inputs that
 * are streamed: measure's section files, as systemd-measure reads them.
 * Named FIFOs and devices stay refused. */
#define OPEN_INPUT_ALLOW_PIPE   (1u << 2)
/* Resolve the path inside dir_fd as if it were "/": symlinks are followed
 * but cannot leave it ("..", absolute links). For trees others control whose
 * own symlinks count (an extension's os-release), as systemd reads them. */
#define OPEN_INPUT_IN_ROOT      (1u << 3)

/* Open path (relative to dir_fd, or AT_FDCWD) read-only and close-on-exec.
 * max_size > 0 refuses larger files with -EFBIG. ret_size (optional) gets
 * the size. Returns the fd, or -errno. */
int open_input_at(int dir_fd, const char *path, unsigned flags, uint64_t max_size, uint64_t *ret_size);

static inline int open_input(const char *path, unsigned flags, uint64_t max_size, uint64_t *ret_size) {
        return open_input_at(AT_FDCWD, path, flags, max_size, ret_size);
}

/* read_file_full() through open_input_at(): regular files only, at most max
 * bytes (-EFBIG if larger), NUL-terminated. For keys, certificates and
 * files inside trees others control. */
int read_input_at(int dir_fd, const char *path, unsigned flags, size_t max, char **ret, size_t *ret_size);
static inline int read_input_full(const char *path, size_t max, char **ret, size_t *ret_size) {
        return read_input_at(AT_FDCWD, path, 0, max, ret, ret_size);
}

/* The message for an error from the helpers above: "not a regular file" for
 * -EBADFD, "not a regular file (a directory)" for -EISDIR, "file too large"
 * for -EFBIG, a symlink refused (-ELOOP) or leading out (-EXDEV), else
 * strerror(). */
const char *input_strerror(int r);

/* 0666 & ~umask: the mode of a new output file, as open(O_CREAT) would
 * give it (AtomicFile's temporary file is 0600 until committed). */
mode_t file_mode_from_umask(void);

/* For an in-place rewrite (a temporary file renamed over the original):
 * give dst_fd the owner and group of src_fd (if they differ) and copy its
 * extended attributes (ACLs, SELinux label, capabilities) where the file
 * system and privileges allow. Returns -errno if the owner or group could
 * not be kept; xattrs are best effort. Call before atomic_file_commit(),
 * which sets the mode (a chown would clear set-id bits). */
int fd_copy_owner_xattrs(int src_fd, int dst_fd);
