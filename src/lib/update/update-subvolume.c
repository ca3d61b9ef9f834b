/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "sig-cleanup.h"
#include "update-subvolume.h"
#include "util.h"

/* The inode number of every subvolume's root directory. */
#define BTRFS_SUBVOL_ROOT_INO 256
#define TEMP_TRIES 32

static bool fd_on_btrfs(int fd) {
        struct statfs sfs;
        return fstatfs(fd, &sfs) >= 0 && (uint64_t) sfs.f_type == (uint64_t) BTRFS_SUPER_MAGIC;
}

static int fd_is_subvolume(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) && st.st_ino == BTRFS_SUBVOL_ROOT_INO && fd_on_btrfs(fd);
}

int update_tree_is_subvolume(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd_is_subvolume(fd);
}

static void random_suffix(char out[7]) {
        static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        uint8_t b[6];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (uint8_t) (rand() ^ getpid());
        for (size_t i = 0; i < sizeof(b); i++)
                out[i] = chars[b[i] % (sizeof(chars) - 1)];
        out[6] = 0;
}

/* One attempt at dir_fd/name: 0, or -EEXIST to try another name. */
static int make_one(int dir_fd, const char *name, bool subvolume) {
        struct btrfs_ioctl_vol_args args = {};
        _cleanup_close_ int fd = -1;

        if (!subvolume)
                return mkdirat(dir_fd, name, 0700) < 0 ? -errno : 0;
        if (strlen(name) > BTRFS_PATH_NAME_MAX)
                return -ENAMETOOLONG;
        memcpy(args.name, name, strlen(name) + 1);
        if (ioctl(dir_fd, BTRFS_IOC_SUBVOL_CREATE, &args) < 0)
                return -errno;
        /* the kernel makes the root 0755; a temporary starts private */
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fchmod(fd, 0700) < 0) {
                int r = -errno;
                struct btrfs_ioctl_vol_args del = args;
                (void) ioctl(dir_fd, BTRFS_IOC_SNAP_DESTROY, &del);
                return r;
        }
        return 0;
}

static int remove_at(int dir_fd, const char *name, const char *path);

int update_tree_make_temp(const char *dir, const char *prefix, bool subvolume, char **ret_path) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = -EEXIST;

        if (dfd < 0)
                return -errno;
        /* as systemd-import --btrfs-subvol=yes: a plain directory where
         * the file system is not btrfs */
        subvolume = subvolume && fd_on_btrfs(dfd);
        for (unsigned i = 0; i < TEMP_TRIES && r == -EEXIST; i++) {
                _cleanup_free_ char *name = NULL;
                char suffix[7];

                random_suffix(suffix);
                name = strprintf("%s%s", prefix, suffix);
                if (!name)
                        return -ENOMEM;
                r = make_one(dfd, name, subvolume);
                if (subvolume && (r == -ENOTTY || r == -EOPNOTSUPP)) {
                        subvolume = false;      /* btrfs that cannot make one: a directory after all */
                        r = make_one(dfd, name, false);
                }
                if (r >= 0) {
                        *ret_path = strprintf("%s/%s", dir, name);
                        if (!*ret_path) {
                                (void) remove_at(dfd, name, NULL);
                                return -ENOMEM;
                        }
                }
        }
        return r;
}

static int subvolume_set_read_only_fd(int fd, bool ro) {
        uint64_t flags;

        if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
                return -errno;
        if (!!(flags & BTRFS_SUBVOL_RDONLY) == ro)
                return 0;
        flags = ro ? flags | BTRFS_SUBVOL_RDONLY : flags & ~(uint64_t) BTRFS_SUBVOL_RDONLY;
        return ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0 ? -errno : 0;
}

int update_subvolume_set_read_only(const char *path, bool ro) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : subvolume_set_read_only_fd(fd, ro);
}

int update_tree_make_read_only(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r, attr;

        if (fd < 0)
                return -errno;
        r = fd_is_subvolume(fd);
        if (r < 0)
                return r;
        if (r > 0) {
                r = subvolume_set_read_only_fd(fd, true);
                if (r >= 0 || (r != -ENOTTY && r != -EOPNOTSUPP && r != -EINVAL))
                        return r;
        }
        /* any other directory: the immutable flag, as 257 sets it */
        if (ioctl(fd, FS_IOC_GETFLAGS, &attr) < 0)
                return -errno;
        if (attr & FS_IMMUTABLE_FL)
                return 0;
        attr |= FS_IMMUTABLE_FL;
        return ioctl(fd, FS_IOC_SETFLAGS, &attr) < 0 ? -errno : 0;
}

/* dir_fd/name (path, if known, names the same for rm -rf). */
static int remove_at(int dir_fd, const char *name, const char *path) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (!path) {
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dir_fd);
                buf = strprintf("%s/%s", proc, name);
                if (!buf)
                        return -ENOMEM;
                path = buf;
        }
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno != ENOTDIR && errno != ELOOP)
                        return -errno;
                return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        }
        r = fd_is_subvolume(fd);
        if (r > 0) {
                struct btrfs_ioctl_vol_args args = {};
                if (strlen(name) > BTRFS_PATH_NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(args.name, name, strlen(name) + 1);
                if (ioctl(dir_fd, BTRFS_IOC_SNAP_DESTROY, &args) >= 0)
                        return 0;
                /* nested subvolumes or no privilege: empty it by hand */
                (void) subvolume_set_read_only_fd(fd, false);
        }
        return rm_rf_sigsafe(path);
}

int update_tree_remove(const char *path) {
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/');
        _cleanup_close_ int dfd = -1;

        if (!slash || !slash[1])
                return -EINVAL;
        dir = slash == path ? strdup("/") : strndup(path, slash - path);
        if (!dir)
                return -ENOMEM;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno;
        return remove_at(dfd, slash + 1, path);
}
