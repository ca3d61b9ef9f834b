/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fileio.h"
#include "util.h"

int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (;;) {
                if (size == alloc) {
                        size_t n = alloc ? alloc * 2 : 4096;
                        if (n > max + 1)
                                n = max + 1;
                        if (n <= size)
                                return -EFBIG;
                        char *p = realloc(buf, n + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        alloc = n;
                }
                ssize_t k = read(fd, buf + size, alloc - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > max)
                        return -EFBIG;
        }

        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_text_or_file(const char *arg, size_t max, char **ret, size_t *ret_size) {
        if (arg[0] == '@')
                return read_file_full(arg + 1, max, ret, ret_size);

        size_t l = strlen(arg);
        if (l > max)
                return -EFBIG;
        char *p = strdup(arg);
        if (!p)
                return -ENOMEM;
        *ret = p;
        if (ret_size)
                *ret_size = l;
        return 0;
}

int pread_full(int fd, void *buf, size_t n, uint64_t off) {
        uint8_t *p = buf;
        while (n > 0) {
                ssize_t k = pread(fd, p, n, (off_t) off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
                off += (uint64_t) k;
        }
        return 0;
}

int pwrite_full(int fd, const void *buf, size_t n, uint64_t off) {
        const uint8_t *p = buf;
        while (n > 0) {
                ssize_t k = pwrite(fd, p, n, (off_t) off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
                off += (uint64_t) k;
        }
        return 0;
}

int write_full(int fd, const void *buf, size_t n) {
        const uint8_t *p = buf;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int atomic_file_open(AtomicFile *f, const char *target) {
        _cleanup_free_ char *copy = NULL, *temp = NULL, *tgt = NULL;
        const char *dir;
        int fd;

        copy = strdup(target);
        tgt = strdup(target);
        if (!copy || !tgt)
                return -ENOMEM;
        dir = dirname(copy);
        if (asprintf(&temp, "%s/.#ukit-XXXXXX", dir) < 0) {
                temp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(temp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        f->fd = fd;
        f->temp = TAKE_PTR(temp);
        f->target = TAKE_PTR(tgt);
        return 0;
}

int atomic_file_commit(AtomicFile *f, mode_t mode) {
        _cleanup_free_ char *copy = NULL;
        _cleanup_close_ int dfd = -1;

        if (f->fd < 0 || !f->temp)
                return -EBADF;
        /* FAT (the ESP) cannot store Unix modes: vfat refuses with EPERM,
         * FUSE FAT drivers with ENOSYS. The file is still complete. */
        if (fchmod(f->fd, mode) < 0 && errno != EPERM && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        if (fsync(f->fd) < 0)
                return -errno;
        if (rename(f->temp, f->target) < 0)
                return -errno;
        free(f->temp);
        f->temp = NULL;
        close(f->fd);
        f->fd = -1;

        copy = strdup(f->target);
        if (copy) {
                dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0)
                        (void) fsync(dfd);
        }
        free(f->target);
        f->target = NULL;
        return 0;
}

void atomic_file_abort(AtomicFile *f) {
        if (f->fd >= 0) {
                close(f->fd);
                f->fd = -1;
        }
        if (f->temp) {
                (void) unlink(f->temp);
                free(f->temp);
                f->temp = NULL;
        }
        free(f->target);
        f->target = NULL;
}

int fd_get_size(int fd, uint64_t *ret) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISREG(st.st_mode)) {
                *ret = (uint64_t) st.st_size;
                return 0;
        }
        if (S_ISBLK(st.st_mode)) {
                uint64_t sz;
                if (ioctl(fd, BLKGETSIZE64, &sz) < 0)
                        return -errno;
                *ret = sz;
                return 0;
        }
        return -EBADFD;
}

/* An anonymous pipe ("<(cmd)", /dev/fd/N) rather than a named FIFO: it
 * lives on the same internal file system as a pipe of our own. Its writer
 * exists as long as the pipe does, so reading it cannot wait for a writer
 * that never comes; a named FIFO can, and reads as empty without one. */
static bool is_anonymous_pipe(const struct stat *st) {
        int p[2];
        struct stat ps;
        bool r = false;

        if (pipe2(p, O_CLOEXEC) < 0)
                return false;
        if (fstat(p[0], &ps) == 0)
                r = ps.st_dev == st->st_dev;
        close(p[0]);
        close(p[1]);
        return r;
}

int open_input_at(int dir_fd, const char *path, unsigned flags, uint64_t max_size, uint64_t *ret_size) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int fl;

        fd = openat(dir_fd, path,
                    O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
                    ((flags & OPEN_INPUT_NOFOLLOW) ? O_NOFOLLOW : 0));
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;

        uint64_t size;
        if (S_ISREG(st.st_mode))
                size = (uint64_t) st.st_size;
        else if (S_ISBLK(st.st_mode) && (flags & OPEN_INPUT_ALLOW_BLOCK)) {
                if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                        return -errno;
        } else if (S_ISFIFO(st.st_mode) && (flags & OPEN_INPUT_ALLOW_PIPE) && is_anonymous_pipe(&st))
                size = 0;       /* unknown */
        else
                return -EBADFD;
        if (max_size > 0 && size > max_size)
                return -EFBIG;

        /* Back to blocking reads: a regular file never blocks, but the rest
         * of ukit does not expect EAGAIN from anything. */
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
                return -errno;

        if (ret_size)
                *ret_size = size;
        return TAKE_FD(fd);
}

int read_input_full(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        uint64_t size;
        size_t n = 0;

        fd = open_input(path, 0, max, &size);
        if (fd < 0)
                return fd;
        /* Read up to one byte more than fstat() said, to notice growth. */
        buf = malloc((size_t) size + 2);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + n, (size_t) size + 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > size)
                        return n > max ? -EFBIG : -EIO;   /* grew while read */
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = n;
        return 0;
}

const char *input_strerror(int r) {
        if (r == -EBADFD)
                return "not a regular file";
        if (r == -EISDIR)
                return "not a regular file (a directory)";
        if (r == -EFBIG)
                return "file too large";
        return strerror(r < 0 ? -r : r);
}

mode_t file_mode_from_umask(void) {
        /* ukit is single-threaded: reading the umask this way is safe. */
        mode_t um = umask(0);
        umask(um);
        return 0666 & ~um;
}

int fd_copy_owner_xattrs(int src_fd, int dst_fd) {
        struct stat s, d;
        int r = 0;

        if (fstat(src_fd, &s) < 0 || fstat(dst_fd, &d) < 0)
                return -errno;
        if ((s.st_uid != d.st_uid || s.st_gid != d.st_gid) && fchown(dst_fd, s.st_uid, s.st_gid) < 0)
                r = -errno;

        ssize_t n = flistxattr(src_fd, NULL, 0);
        if (n <= 0)
                return r;
        _cleanup_free_ char *names = malloc((size_t) n);
        if (!names)
                return r;
        n = flistxattr(src_fd, names, (size_t) n);
        for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t) strlen(names + i) + 1) {
                const char *name = names + i;
                ssize_t v = fgetxattr(src_fd, name, NULL, 0);
                if (v < 0 || v > 65536)
                        continue;
                _cleanup_free_ char *val = malloc((size_t) v + 1);
                if (!val)
                        continue;
                v = fgetxattr(src_fd, name, val, (size_t) v);
                if (v >= 0)
                        (void) fsetxattr(dst_fd, name, val, (size_t) v, 0);
        }
        return r;
}
