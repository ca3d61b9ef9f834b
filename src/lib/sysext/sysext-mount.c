/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "sysext-mount.h"
#include "util.h"

#define LOOP_ATTACH_TRIES 16

int loop_attach(int fd, uint64_t offset, uint64_t size, int *ret_fd, char **ret_path) {
        _cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (ctl < 0)
                return -errno;

        /* GET_FREE and CONFIGURE race with other attachers: retry on EBUSY. */
        for (int i = 0; i < LOOP_ATTACH_TRIES; i++) {
                int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
                if (nr < 0)
                        return -errno;
                char path[64];
                snprintf(path, sizeof(path), "/dev/loop%d", nr);
                _cleanup_close_ int lfd = open(path, O_RDONLY | O_CLOEXEC);
                if (lfd < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                struct loop_config cfg = {
                        .fd = (unsigned) fd,
                        .block_size = 0,
                        .info = {
                                .lo_offset = offset,
                                .lo_sizelimit = size,
                                .lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR,
                        },
                };
                if (ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0) {
                        if (errno == EBUSY)
                                continue;
                        return -errno;
                }
                *ret_path = xstrdup(path);
                *ret_fd = TAKE_FD(lfd);
                return 0;
        }
        return -EBUSY;
}

int fs_probe(int fd, uint64_t offset, const char **ret) {
        uint8_t b[2048];
        int r = pread_full(fd, b, sizeof(b), offset);
        if (r < 0)
                return r == -EIO ? -ENOPKG : r;
        if (memcmp(b, "hsqs", 4) == 0)
                *ret = "squashfs";
        else if (le32_read(b + 1024) == 0xe0f5e1e2u)
                *ret = "erofs";
        else if (le16_read(b + 1024 + 56) == 0xef53)
                *ret = "ext4";
        else
                return -ENOPKG;
        return 0;
}

int overlay_escape_append(char **buf, size_t *len, const char *s) {
        size_t l = strlen(s);
        char *n = realloc(*buf, *len + 2 * l + 1);
        if (!n)
                return -ENOMEM;
        *buf = n;
        for (const char *p = s; *p; p++) {
                if (*p == '\\' || *p == ',' || *p == ':')
                        n[(*len)++] = '\\';
                n[(*len)++] = *p;
        }
        n[*len] = 0;
        return 0;
}

const char *ext_dm_prefix(ExtClass c) {
        return c == EXT_CONFEXT ? "ukit-confext" : "ukit-sysext";
}

const char *ext_marker_dir(ExtClass c) {
        return c == EXT_CONFEXT ? ".systemd-confext" : ".systemd-sysext";
}

const char *ext_marker_names(ExtClass c) {
        return c == EXT_CONFEXT ? "confexts" : "extensions";
}

int path_is_mount_point(const char *path) {
        struct statx sx;
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
                return -errno;
        if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
                return !!(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
        return -EOPNOTSUPP;
}

int ext_read_marker(const char *hier, const char *name, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int dfd = open(hier, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        return read_input_at(dfd, name, OPEN_INPUT_NOFOLLOW, max, ret, ret_size);
}

int ext_is_our_mount(ExtClass c, const char *path) {
        _cleanup_free_ char *p = NULL, *text = NULL;
        unsigned maj, min;
        struct stat st;
        size_t n;
        int r;

        r = path_is_mount_point(path);
        if (r <= 0)
                return r == -ENOENT ? 0 : r;
        /* Anyone's overlay may be mounted here: a FIFO, a device or a
         * symlink as the marker is not ours (and must not block). */
        p = strprintf("%s/dev", ext_marker_dir(c));
        if (!p)
                return -ENOMEM;
        r = ext_read_marker(path, p, 64, &text, &n);
        if (r == -ENOENT || r == -ENOTDIR || r == -EISDIR || r == -EBADFD || r == -ELOOP || r == -EFBIG)
                return 0;
        if (r < 0)
                return r;
        if (sscanf(text, "%u:%u", &maj, &min) != 2)
                return 0;
        if (lstat(path, &st) < 0)
                return -errno;
        return st.st_dev == makedev(maj, min);
}

int mkdir_parents_and(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
