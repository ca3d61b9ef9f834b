/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Path=auto without --image=: the disk behind the booted system. The order
 * ("/" first, then "/usr"; device-mapper slaves; the partition's parent) is
 * systemd 257's blockdev_get_root() and block_get_whole_disk() (facts, not
 * code). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "update-blockdev.h"
#include "util.h"

#define SYSFS_MAX_ATTR 4096
#define MAX_DM_DEPTH 8
#define MAX_SLAVES 64

/* "M:m\n" in the file dir/name (relative to the sysfs root fd) */
static int read_devno(int sys_fd, const char *path, dev_t *ret) {
        _cleanup_free_ char *s = NULL;
        unsigned ma, mi;
        char nl;
        int r = read_input_at(sys_fd, path, 0, SYSFS_MAX_ATTR, &s, NULL);

        if (r < 0)
                return r;
        if (sscanf(s, "%u:%u%c", &ma, &mi, &nl) < 2)
                return -EBADMSG;
        *ret = makedev(ma, mi);
        return 0;
}

/* The whole disk of a slave: the parent of a partition, else itself. */
static int slave_whole(int sys_fd, const char *base, const char *name, dev_t *ret_dev, dev_t *ret_whole) {
        _cleanup_free_ char *p = NULL, *part = NULL, *parent = NULL;
        int r;

        if (asprintf(&p, "%s/slaves/%s/dev", base, name) < 0 || asprintf(&part, "%s/slaves/%s/partition", base, name) < 0 ||
            asprintf(&parent, "%s/slaves/%s/../dev", base, name) < 0)
                return -ENOMEM;
        r = read_devno(sys_fd, p, ret_dev);
        if (r < 0)
                return r;
        if (faccessat(sys_fd, part, F_OK, 0) < 0) {
                *ret_whole = *ret_dev;
                return 0;
        }
        return read_devno(sys_fd, parent, ret_whole);
}

/* The device below dev/block/M:m (base) as systemd 257 chases it: its
 * slave, or the first of several slaves when they all lie on one disk
 * (dm-verity: data and hash partition). 0 with *ret_dev 0: none (not
 * stacked); -ENOTUNIQ: slaves on different disks. */
static int next_layer(int sys_fd, const char *base, dev_t *ret_dev, UkitError *err) {
        _cleanup_free_ char *p = NULL;
        dev_t first = 0, first_whole = 0;
        DIR *d;
        struct dirent *e;
        int fd, r = 0, n = 0;

        *ret_dev = 0;
        if (asprintf(&p, "%s/slaves", base) < 0)
                return -ENOMEM;
        fd = openat(sys_fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : ukit_error(err, -errno, "cannot read %s: %s", p, strerror(errno));
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((e = readdir(d)) && r == 0) {
                dev_t dev, whole;
                if (e->d_name[0] == '.')
                        continue;
                if (++n > MAX_SLAVES) {
                        r = ukit_error(err, -E2BIG, "%s: more than %d devices", p, MAX_SLAVES);
                        break;
                }
                r = slave_whole(sys_fd, base, e->d_name, &dev, &whole);
                if (r < 0) {
                        r = ukit_error(err, r, "cannot read %s/%s: %s", p, e->d_name, input_strerror(r));
                        break;
                }
                if (n == 1) {
                        first = dev;
                        first_whole = whole;
                } else if (whole != first_whole)
                        r = -ENOTUNIQ;
        }
        closedir(d);
        if (r == 0)
                *ret_dev = first;
        return r;
}

/* DEVNAME= of dev/block/M:m/uevent */
static int read_devname(int sys_fd, const char *base, char **ret) {
        _cleanup_free_ char *p = NULL, *s = NULL;
        int r;

        if (asprintf(&p, "%s/uevent", base) < 0)
                return -ENOMEM;
        r = read_input_at(sys_fd, p, 0, SYSFS_MAX_ATTR, &s, NULL);
        if (r < 0)
                return r;
        for (char *l = s, *next; l && *l; l = next) {
                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                if (strncmp(l, "DEVNAME=", 8) == 0 && l[8] && !strstr(l + 8, "..")) {
                        *ret = strdup(l + 8);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENODATA;
}

static int walk(int sys_fd, dev_t dev, dev_t *ret, char **ret_name, UkitError *err) {
        char base[64];
        int r;

        for (int depth = 0;; depth++) {
                dev_t next;

                snprintf(base, sizeof(base), "dev/block/%u:%u", major(dev), minor(dev));
                if (faccessat(sys_fd, base, F_OK, 0) < 0)
                        return ukit_error(err, -ENODEV, "block device %u:%u has no entry in sysfs", major(dev),
                                          minor(dev));
                r = next_layer(sys_fd, base, &next, err);
                /* as 257: backed by several disks, the device itself is the disk */
                if (r == -ENOTUNIQ || (r == 0 && next == 0))
                        break;
                if (r < 0)
                        return r;
                if (depth >= MAX_DM_DEPTH)
                        return ukit_error(err, -ELOOP, "block device %u:%u: too many stacked device-mapper levels",
                                          major(dev), minor(dev));
                dev = next;
        }
        /* a partition: the whole disk is the parent directory */
        char part[80];
        snprintf(part, sizeof(part), "%s/partition", base);
        if (faccessat(sys_fd, part, F_OK, 0) == 0) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/../dev", base) < 0)
                        return -ENOMEM;
                r = read_devno(sys_fd, p, &dev);
                if (r < 0)
                        return ukit_error(err, r, "cannot read %s: %s", p, input_strerror(r));
                snprintf(base, sizeof(base), "dev/block/%u:%u", major(dev), minor(dev));
        }
        r = read_devname(sys_fd, base, ret_name);
        if (r < 0)
                return ukit_error(err, r, "cannot read DEVNAME= from %s/uevent: %s", base, input_strerror(r));
        *ret = dev;
        return 0;
}

int update_blockdev_whole_disk(const char *sysfs_root, dev_t dev, dev_t *ret, char **ret_name, UkitError *err) {
        _cleanup_close_ int sys_fd = open(sysfs_root ? sysfs_root : "/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (sys_fd < 0)
                return ukit_error(err, -errno, "cannot open %s: %s", sysfs_root ? sysfs_root : "/sys", strerror(errno));
        return walk(sys_fd, dev, ret, ret_name, err);
}

/* st_dev of root/path when it is a block device's (major != 0) */
static int backing_dev(const char *root, const char *path, dev_t *ret, UkitError *err) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        if (asprintf(&p, "%s%s", root && !streq(root, "/") ? root : "", path) < 0)
                return -ENOMEM;
        if (stat(p, &st) < 0) {
                ukit_error(err, -errno, "cannot stat: %s", strerror(errno));
                return ukit_error_where(err, -errno, p, UKIT_ERROR_NO_OFFSET);
        }
        if (major(st.st_dev) == 0)
                return 0;
        *ret = st.st_dev;
        return 1;
}

int update_blockdev_root_disk(const char *sysfs_root, const char *root, char **ret, UkitError *err) {
        _cleanup_free_ char *name = NULL, *node = NULL;
        dev_t dev = 0, whole;
        struct stat st;
        int r;

        r = backing_dev(root, "/", &dev, err);
        if (r == 0)
                r = backing_dev(root, "/usr", &dev, err);
        if (r < 0)
                return r;
        if (r == 0)
                return ukit_error(err, -ENXIO, "neither the root file system nor /usr is on a block device; "
                                  "Path=auto has no disk (name one with --image=)");
        r = update_blockdev_whole_disk(sysfs_root, dev, &whole, &name, err);
        if (r < 0)
                return r;
        if (asprintf(&node, "/dev/%s", name) < 0)
                return -ENOMEM;
        if (stat(node, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != whole) {
                ukit_error(err, -ENODEV, "not the device node of block device %u:%u", major(whole), minor(whole));
                return ukit_error_where(err, -ENODEV, node, UKIT_ERROR_NO_OFFSET);
        }
        *ret = node;
        node = NULL;
        return 0;
}

int update_image_check(const char *path, UkitError *err) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        int r = 0;

        if (fd < 0)
                r = -errno;
        else if (fstat(fd, &st) < 0)
                r = -errno;
        else if (S_ISDIR(st.st_mode))
                r = -EISDIR;
        else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                r = -EBADFD;
        if (r == 0)
                return 0;
        ukit_error(err, r, "--image=: %s",
                   r == -ELOOP   ? "a symlink (name the image itself)" :
                   r == -EBADFD  ? "not a regular file or block device" :
                   r == -EISDIR  ? "a directory, not a disk image" : strerror(-r));
        return ukit_error_where(err, r, path, UKIT_ERROR_NO_OFFSET);
}
