/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
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
        for (size_t i = 0; i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x", root[i]);
        hex[2 * n] = 0;
        snprintf(d->name, sizeof(d->name), "%s-%s-%02x%02x%02x%02x", prefix, hex, rnd[0], rnd[1], rnd[2], rnd[3]);
        snprintf(d->path, sizeof(d->path), "/dev/mapper/%s", d->name);
        return 0;
}

int verity_activate(const char *prefix, const char *data_dev, const char *hash_dev, const uint8_t *root,
                    size_t root_size, const uint8_t *sig, size_t sig_size, VerityDevice *ret) {
        __attribute__((cleanup(crypt_freep))) struct crypt_device *cd = NULL;
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
        r = crypt_init_data_device(&cd, hash_dev, data_dev);
        if (r < 0)
                goto out;
        crypt_set_log_callback(cd, log_capture, &d);
        /* The hash device starts with the superblock: it gives the hash,
         * salt and block sizes; the root hash is what we pass in. */
        r = crypt_load(cd, CRYPT_VERITY, &(struct crypt_params_verity) { .hash_area_offset = 0 });
        if (r < 0)
                goto out;
        if (sig)
                r = crypt_activate_by_signed_key(cd, d.name, (const char *) root, root_size,
                                                 (const char *) sig, sig_size, CRYPT_ACTIVATE_READONLY);
        else
                r = crypt_activate_by_volume_key(cd, d.name, (const char *) root, root_size,
                                                 CRYPT_ACTIVATE_READONLY);
out:
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

int verity_remove_stale(const char *prefix) {
        size_t pl = strlen(prefix);
        int n = 0;

        if (!verity_kernel_available())
                return 0;
        DIR *dir = opendir("/sys/block");
        if (!dir)
                return -errno;
        for (struct dirent *de; (de = readdir(dir));) {
                char path[300], name[VERITY_DM_NAME_MAX + 2];
                if (strncmp(de->d_name, "dm-", 3) != 0)
                        continue;
                snprintf(path, sizeof(path), "/sys/block/%s/dm/name", de->d_name);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                bool ok = fgets(name, sizeof(name), f) != NULL;
                fclose(f);
                if (!ok)
                        continue;
                name[strcspn(name, "\n")] = 0;
                if (strlen(name) >= VERITY_DM_NAME_MAX || strncmp(name, prefix, pl) != 0 || name[pl] != '-')
                        continue;
                VerityDevice d = {};
                memcpy(d.name, name, strlen(name) + 1);
                (void) verity_deactivate_deferred(&d);
                n++;
        }
        closedir(dir);
        return n;
}
