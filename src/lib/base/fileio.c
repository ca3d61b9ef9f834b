/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/file.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "sig-cleanup.h"
#include "util.h"

int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd_full(fd, max, ret, ret_size);
}

/* read() once, retrying on EINTR: the byte count, or -errno. */
static ssize_t read_retry(int fd, void *buf, size_t n) {
        for (;;) {
                ssize_t k = read(fd, buf, n);
                if (k >= 0 || errno != EINTR)
                        return k < 0 ? -errno : k;
        }
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
                ssize_t k = read_retry(fd, buf + size, alloc - size);
                if (k < 0)
                        return (int) k;
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

/* The whole buffer with write(), or pwrite() at off when positional,
 * retrying on EINTR and short counts. */
static int write_all(int fd, const void *buf, size_t n, bool positional, uint64_t off) {
        const uint8_t *p = buf;
        while (n > 0) {
                ssize_t k = positional ? pwrite(fd, p, n, (off_t) off) : write(fd, p, n);
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

int pwrite_full(int fd, const void *buf, size_t n, uint64_t off) {
        return write_all(fd, buf, n, true, off);
}

int write_full(int fd, const void *buf, size_t n) {
        return write_all(fd, buf, n, false, 0);
}

static char *dir_of(const char *path) {
        char *copy = strdup(path), *d;

        if (!copy)
                return NULL;
        d = strdup(dirname(copy));
        free(copy);
        return d;
}

/* A name for /proc/self/fd/N: how an O_TMPFILE file is given a name
 * without CAP_DAC_READ_SEARCH (which linkat(AT_EMPTY_PATH) wants). */
static int link_fd(int fd, const char *newpath) {
        char p[sizeof("/proc/self/fd/") + 12];

        snprintf(p, sizeof(p), "/proc/self/fd/%i", fd);
        if (linkat(AT_FDCWD, p, AT_FDCWD, newpath, AT_SYMLINK_FOLLOW) == 0)
                return 0;
        if (errno != ENOENT)
                return -errno;
        /* No /proc: the privileged way. */
        return linkat(fd, "", AT_FDCWD, newpath, AT_EMPTY_PATH) < 0 ? -errno : 0;
}

static bool proc_fd_usable(int fd) {
        char p[sizeof("/proc/self/fd/") + 12];

        snprintf(p, sizeof(p), "/proc/self/fd/%i", fd);
        return access(p, F_OK) == 0 || geteuid() == 0;
}

int atomic_file_open(AtomicFile *f, const char *target) {
        _cleanup_free_ char *dir = NULL, *temp = NULL, *tgt = NULL;
        sigset_t old;
        int fd, slot = -1;

        tgt = strdup(target);
        dir = dir_of(target);
        if (!dir || !tgt)
                return -ENOMEM;

        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0 && !proc_fd_usable(fd)) {
                close(fd);
                fd = -1;
                errno = EOPNOTSUPP;
        }
        if (fd < 0) {
                /* EOPNOTSUPP: the file system has none (vfat, FUSE);
                 * EISDIR: the kernel predates O_TMPFILE. */
                if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
                        return -errno;
                if (asprintf(&temp, "%s/" ATOMIC_FILE_TEMP_PREFIX "XXXXXX", dir) < 0) {
                        temp = NULL;
                        return -ENOMEM;
                }
                /* No signal between creating the name and registering it. */
                sig_cleanup_block(&old);
                fd = mkostemp(temp, O_CLOEXEC);
                if (fd >= 0)
                        slot = sig_cleanup_add(temp, false);
                sig_cleanup_restore(&old);
                if (fd < 0)
                        return -errno;
        }
        /* Marks the file as alive for atomic_file_sweep(); a file system
         * without flock() simply gets no protection from the sweep. */
        (void) flock(fd, LOCK_EX | LOCK_NB);

        f->fd = fd;
        f->temp = TAKE_PTR(temp);
        f->target = TAKE_PTR(tgt);
        f->slot = slot >= 0 ? slot + 1 : 0;
        return 0;
}

static void fsync_dir_of(const char *path) {
        _cleanup_free_ char *dir = dir_of(path);
        _cleanup_close_ int dfd = -1;

        if (!dir)
                return;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
}

/* Named temporary -> target. */
static int commit_named(AtomicFile *f, bool noreplace) {
        if (!noreplace)
                return rename(f->temp, f->target) < 0 ? -errno : 0;
        if (renameat2(AT_FDCWD, f->temp, AT_FDCWD, f->target, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        /* File systems without RENAME_NOREPLACE: link() refuses an existing
         * target just as atomically. */
        if (link(f->temp, f->target) < 0)
                return -errno;
        (void) unlink(f->temp);
        return 0;
}

/* Unnamed (O_TMPFILE) -> target. linkat() never replaces; to replace, link
 * under a temporary name and rename that over the target. */
static int commit_unnamed(AtomicFile *f, bool noreplace) {
        _cleanup_free_ char *dir = NULL;
        int r;

        if (noreplace)
                return link_fd(f->fd, f->target);

        dir = dir_of(f->target);
        if (!dir)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < 64; attempt++) {
                static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
                _cleanup_free_ char *name = NULL;
                uint8_t rnd[6];
                char suffix[sizeof(rnd) + 1];

                if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t) sizeof(rnd)) {
                        uint64_t v = (uint64_t) getpid() * 2654435761u + attempt * 40503u + (uint64_t) time(NULL);
                        memcpy(rnd, &v, sizeof(rnd));
                }
                for (size_t i = 0; i < sizeof(rnd); i++)
                        suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
                suffix[sizeof(rnd)] = 0;
                if (asprintf(&name, "%s/" ATOMIC_FILE_TEMP_PREFIX "%s", dir, suffix) < 0) {
                        name = NULL;
                        return -ENOMEM;
                }
                r = link_fd(f->fd, name);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return r;
                if (rename(name, f->target) < 0) {
                        r = -errno;
                        (void) unlink(name);
                        return r;
                }
                return 0;
        }
        return -EEXIST;
}

static int commit(AtomicFile *f, mode_t mode, bool noreplace) {
        sigset_t old;
        int r;

        if (f->fd < 0 || !f->target)
                return -EBADF;
        /* FAT (the ESP) cannot store Unix modes: vfat refuses with EPERM,
         * FUSE FAT drivers with ENOSYS. The file is still complete. */
        if (fchmod(f->fd, mode) < 0 && errno != EPERM && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        if (fsync(f->fd) < 0)
                return -errno;

        /* A signal now would find a name the handler does not know (the
         * link before the rename) or forget one it should remove. */
        sig_cleanup_block(&old);
        r = f->temp ? commit_named(f, noreplace) : commit_unnamed(f, noreplace);
        if (r >= 0 && f->temp) {
                sig_cleanup_remove(f->slot - 1);
                f->slot = 0;
                free(f->temp);
                f->temp = NULL;
        }
        sig_cleanup_restore(&old);
        if (r < 0)
                return r;

        close(f->fd);
        f->fd = -1;
        fsync_dir_of(f->target);
        free(f->target);
        f->target = NULL;
        return 0;
}

int atomic_file_commit(AtomicFile *f, mode_t mode) {
        return commit(f, mode, false);
}

int atomic_file_commit_noreplace(AtomicFile *f, mode_t mode) {
        return commit(f, mode, true);
}

void atomic_file_abort(AtomicFile *f) {
        if (f->temp) {
                (void) unlink(f->temp);
                free(f->temp);
                f->temp = NULL;
        }
        if (f->slot > 0) {
                sig_cleanup_remove(f->slot - 1);
                f->slot = 0;
        }
        if (f->fd >= 0) {
                close(f->fd);
                f->fd = -1;
        }
        free(f->target);
        f->target = NULL;
}

int64_t atomic_file_sweep(int dir_fd) {
        _cleanup_close_ int fd = -1;
        int64_t freed = 0;
        DIR *d;

        /* A new open file description: a dup() would share (and move) the
         * caller's directory offset. */
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1;     /* owned by d now */
        for (struct dirent *de; (de = readdir(d)); ) {
                _cleanup_close_ int tfd = -1;
                struct stat st, now;

                if (!startswith(de->d_name, ATOMIC_FILE_TEMP_PREFIX))
                        continue;
                tfd = openat(dir_fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (tfd < 0 || fstat(tfd, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                /* Its writer holds LOCK_EX for as long as it lives. */
                if (flock(tfd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                /* Still the same file under that name? */
                if (fstatat(dir_fd, de->d_name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
                    now.st_dev != st.st_dev || now.st_ino != st.st_ino)
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) == 0)
                        freed += (int64_t) st.st_blocks * 512;
        }
        closedir(d);
        return freed;
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

        struct open_how how = {
                .flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
        };
        if (flags & OPEN_INPUT_IN_ROOT)
                how.resolve |= RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        if (flags & OPEN_INPUT_NOFOLLOW) {
                how.flags |= O_NOFOLLOW;
                how.resolve |= RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        }
        fd = (int) syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
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

int read_input_at(int dir_fd, const char *path, unsigned flags, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        uint64_t size;
        size_t n = 0;

        fd = open_input_at(dir_fd, path, flags, max, &size);
        if (fd < 0)
                return fd;
        /* Read up to one byte more than fstat() said, to notice growth. */
        buf = malloc((size_t) size + 2);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read_retry(fd, buf + n, (size_t) size + 1 - n);
                if (k < 0)
                        return (int) k;
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
        if (r == -ELOOP)
                return "a symbolic link where none is allowed";
        if (r == -EXDEV)
                return "a path leading out of its tree";
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
