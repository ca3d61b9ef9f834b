/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <linux/dm-ioctl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"
#include "verity-activate.h"

/* Enough of the root hash to find the device by eye in `dmsetup ls`. */
#define NAME_ROOT_HEX 32u

int verity_mode_from_string(const char *s, VerityMode *ret) {
        static const char *const names[] = { "auto", "kernel", "userspace" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i])) {
                        *ret = (VerityMode) i;
                        return 0;
                }
        return -EINVAL;
}

const char *verity_mode_to_string(VerityMode m) {
        return m == VERITY_MODE_KERNEL ? "kernel" : m == VERITY_MODE_USERSPACE ? "userspace" : "auto";
}

bool verity_kernel_available(void) {
        int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

/* libcryptsetup prints to stderr unless told otherwise; the library layer
 * never prints, so keep the last error line for the caller's reason. */
static void log_capture(int level, const char *msg, void *userdata) {
        VerityDevice *d = userdata;
        if (level != CRYPT_LOG_ERROR || !msg)
                return;
        snprintf(d->error, sizeof(d->error), "%s", msg);
        d->error[strcspn(d->error, "\n")] = 0;
}

static void crypt_freep(struct crypt_device **cd) {
        if (*cd)
                crypt_free(*cd);
}

static int make_name(const char *prefix, const uint8_t *root, size_t root_size, VerityDevice *d) {
        uint8_t rnd[4];
        char hex[NAME_ROOT_HEX + 1];
        size_t n = MIN(root_size, NAME_ROOT_HEX / 2);

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return -EIO;
        hex_encode_to(root, n, hex);
        snprintf(d->name, sizeof(d->name), "%s-%s-%02x%02x%02x%02x", prefix, hex, rnd[0], rnd[1], rnd[2], rnd[3]);
        snprintf(d->path, sizeof(d->path), "/dev/mapper/%s", d->name);
        return 0;
}

/* Loads the verity superblock of hash_dev and activates d->name; the
 * library's messages go into d->error. */
static int activate(VerityDevice *d, const char *data_dev, const char *hash_dev, const uint8_t *root,
                    size_t root_size, const uint8_t *sig, size_t sig_size) {
        __attribute__((cleanup(crypt_freep))) struct crypt_device *cd = NULL;
        int r;

        r = crypt_init_data_device(&cd, hash_dev, data_dev);
        if (r < 0)
                return r;
        crypt_set_log_callback(cd, log_capture, d);
        /* The hash device starts with the superblock: it gives the hash,
         * salt and block sizes; the root hash is what we pass in. */
        r = crypt_load(cd, CRYPT_VERITY, &(struct crypt_params_verity) { .hash_area_offset = 0 });
        if (r < 0)
                return r;
        if (sig)
                return crypt_activate_by_signed_key(cd, d->name, (const char *) root, root_size,
                                                    (const char *) sig, sig_size, CRYPT_ACTIVATE_READONLY);
        return crypt_activate_by_volume_key(cd, d->name, (const char *) root, root_size, CRYPT_ACTIVATE_READONLY);
}

int verity_activate(const char *prefix, const char *data_dev, const char *hash_dev, const uint8_t *root,
                    size_t root_size, const uint8_t *sig, size_t sig_size, VerityDevice *ret) {
        VerityDevice d = {};
        int r;

        if (!verity_kernel_available())
                return -ENXIO;
        if (strlen(prefix) > VERITY_DM_NAME_MAX - NAME_ROOT_HEX - 16)
                return -ENAMETOOLONG;
        r = make_name(prefix, root, root_size, &d);
        if (r < 0)
                return r;
        crypt_set_log_callback(NULL, log_capture, &d);
        r = activate(&d, data_dev, hash_dev, root, root_size, sig, sig_size);
        crypt_set_log_callback(NULL, NULL, NULL);
        if (r < 0) {
                memcpy(ret->error, d.error, sizeof(d.error));
                return r;
        }
        *ret = d;
        return 0;
}

static int deactivate(const VerityDevice *d, uint32_t flags) {
        __attribute__((cleanup(crypt_freep))) struct crypt_device *cd = NULL;
        VerityDevice quiet = {};
        crypt_set_log_callback(NULL, log_capture, &quiet);
        int r = crypt_init_by_name(&cd, d->name);
        if (r >= 0) {
                crypt_set_log_callback(cd, log_capture, &quiet);
                r = crypt_deactivate_by_name(cd, d->name, flags);
        }
        crypt_set_log_callback(NULL, NULL, NULL);
        return r;
}

int verity_deactivate_deferred(const VerityDevice *d) {
        return deactivate(d, CRYPT_DEACTIVATE_DEFERRED);
}

int verity_deactivate(const VerityDevice *d) {
        return deactivate(d, 0);
}

/* The sweep talks to device-mapper directly: libcryptsetup cannot open
 * (crypt_init_by_name) a device a killed activation left half made - created
 * without a table, or with its table loaded but never resumed - and such a
 * device still holds its loop devices. */
#define DM_LIST_MAX (4u << 20)

static void dm_ioctl_init(struct dm_ioctl *io, size_t size, const char *name) {
        memset(io, 0, size);
        io->version[0] = DM_VERSION_MAJOR;
        io->data_size = (uint32_t) size;
        io->data_start = sizeof(struct dm_ioctl);
        if (name)
                snprintf(io->name, sizeof(io->name), "%s", name);
}

/* Names of all dm devices, "a\0b\0...\0\0", with their device numbers. */
static int dm_list(int ctl, char **ret_names, uint64_t **ret_devs, size_t *ret_n) {
        for (size_t size = 16384; size <= DM_LIST_MAX; size *= 2) {
                _cleanup_free_ struct dm_ioctl *io = malloc(size);
                if (!io)
                        return -ENOMEM;
                dm_ioctl_init(io, size, NULL);
                if (ioctl(ctl, DM_LIST_DEVICES, io) < 0)
                        return -errno;
                if (io->flags & DM_BUFFER_FULL_FLAG)
                        continue;
                size_t end = MIN((size_t) io->data_size, size), off = io->data_start, n = 0, nl = 0;
                _cleanup_free_ char *names = malloc(size + 1);
                _cleanup_free_ uint64_t *devs = NULL;
                if (!names)
                        return -ENOMEM;
                while (off + sizeof(struct dm_name_list) < end) {
                        struct dm_name_list *e = (struct dm_name_list *) ((char *) io + off);
                        size_t room = end - off - offsetof(struct dm_name_list, name);
                        size_t l = strnlen(e->name, room);
                        if (e->dev == 0 || l == room)   /* no devices / truncated */
                                break;
                        uint64_t *d = realloc(devs, (n + 1) * sizeof(uint64_t));
                        if (!d)
                                return -ENOMEM;
                        devs = d;
                        devs[n++] = e->dev;
                        memcpy(names + nl, e->name, l + 1);
                        nl += l + 1;
                        if (e->next == 0)
                                break;
                        off += e->next;
                }
                names[nl] = 0;
                *ret_names = TAKE_PTR(names);
                *ret_devs = TAKE_PTR(devs);
                *ret_n = n;
                return 0;
        }
        return -E2BIG;
}

/* Without udev nobody removes the /dev/mapper node of a device that is
 * gone: drop our class's block nodes whose device no longer exists. */
static void dm_drop_nodes(const char *prefix, const uint64_t *devs, size_t n) {
        size_t pl = strlen(prefix);
        DIR *dir = opendir("/dev/mapper");
        if (!dir)
                return;
        for (struct dirent *de; (de = readdir(dir));) {
                struct stat st;
                if (strncmp(de->d_name, prefix, pl) != 0 || de->d_name[pl] != '-' ||
                    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISBLK(st.st_mode))
                        continue;
                bool live = false;
                for (size_t i = 0; i < n && !live; i++)
                        live = major(st.st_rdev) == ((devs[i] >> 8) & 0xfffu) &&
                               minor(st.st_rdev) == ((devs[i] & 0xffu) | ((devs[i] >> 12) & 0xfff00u));
                if (!live)
                        (void) unlinkat(dirfd(dir), de->d_name, 0);
        }
        closedir(dir);
}

int verity_remove_stale(const char *prefix) {
        _cleanup_free_ char *names = NULL;
        _cleanup_free_ uint64_t *devs = NULL;
        size_t pl = strlen(prefix), n = 0;
        int found = 0, r;

        _cleanup_close_ int ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
        if (ctl < 0)
                return 0;       /* no device-mapper, nothing to sweep */
        r = dm_list(ctl, &names, &devs, &n);
        if (r < 0)
                return r;
        for (const char *name = names; *name; name += strlen(name) + 1) {
                if (strncmp(name, prefix, pl) != 0 || name[pl] != '-')
                        continue;
                /* Unused: removed now. In use: removed by the kernel when the
                 * last user goes. A table that was loaded but never resumed
                 * goes with the device. */
                struct dm_ioctl io;
                dm_ioctl_init(&io, sizeof(io), name);
                io.flags = DM_DEFERRED_REMOVE;
                (void) ioctl(ctl, DM_DEV_REMOVE, &io);
                found++;
        }
        if (found > 0) {
                _cleanup_free_ char *now = NULL;
                _cleanup_free_ uint64_t *now_devs = NULL;
                size_t m = 0;
                if (dm_list(ctl, &now, &now_devs, &m) == 0)
                        dm_drop_nodes(prefix, now_devs, m);
        }
        return found;
}
