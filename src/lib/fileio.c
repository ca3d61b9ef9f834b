/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd_full(fd, max, ret, ret_size);
}

int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

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

int open_regular_at(int dirfd, const char *path, unsigned flags) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        };
        struct stat st;

        if (flags & READ_IN_ROOT)
                how.resolve |= RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        if (flags & READ_NOFOLLOW) {
                how.flags |= O_NOFOLLOW;
                how.resolve |= RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        }
        int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        if (fd < 0)
                return -errno;
        int r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
        /* Regular files ignore O_NONBLOCK, but the fd may be handed on. */
        if (r == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
                r = -errno;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

int read_file_at(int dirfd, const char *path, unsigned flags, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open_regular_at(dirfd, path, flags);
        if (fd < 0)
                return fd;
        return read_fd_full(fd, max, ret, ret_size);
}

const char *read_file_strerror(int r) {
        switch (r) {
        case -EBADFD: return "not a regular file";
        case -EFBIG: return "too large";
        case -ELOOP: return "a symbolic link where none is allowed";
        case -EXDEV: return "a path leading out of its tree";
        default: return strerror(-r);
        }
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
