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
