/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the install/remove/list verbs (install-common.h): choosing $BOOT, the
 * kernel-install configuration files, the entry token. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "gpt.h"
#include "install-common.h"
#include "lock.h"
#include "uki-name.h"
#include "util.h"

#define SMALL_FILE_MAX          (64u * 1024u)

char *kernel_conf_path(const char *name, bool lib_fallback) {
        const char *root = getenv("KERNEL_INSTALL_CONF_ROOT");
        char *p;

        if (root && *root)
                return xasprintf("%s/%s", root, name);
        p = xasprintf("/etc/kernel/%s", name);
        if (access(p, F_OK) == 0)
                return p;
        free(p);
        if (lib_fallback) {
                p = xasprintf("/usr/lib/kernel/%s", name);
                if (access(p, F_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

int entry_token_get(const char *spec, char **ret, char **ret_machine_id) {
        _cleanup_free_ char *tokfile_path = NULL, *tokfile = NULL, *mid_text = NULL, *osrel = NULL;
        const char *env_tok = getenv("KERNEL_INSTALL_ENTRY_TOKEN");
        const char *env_mid = getenv("KERNEL_INSTALL_MACHINE_ID");
        char mid[33];
        bool have_mid = false;
        size_t n = 0, osn = 0;
        int r;

        if (env_mid && *env_mid && uki_machine_id_parse(env_mid, strlen(env_mid), mid) == 0)
                have_mid = true;
        else if (read_file_full("/etc/machine-id", SMALL_FILE_MAX, &mid_text, &n) == 0 &&
                 uki_machine_id_parse(mid_text, n, mid) == 0)
                have_mid = true;

        if (!spec && env_tok && *env_tok) {
                if (!uki_entry_token_valid(env_tok)) {
                        return log_error_r(-EINVAL, "$KERNEL_INSTALL_ENTRY_TOKEN: invalid entry token '%s'", env_tok);
                }
                *ret = xstrdup(env_tok);
                if (ret_machine_id)
                        *ret_machine_id = have_mid ? xstrdup(mid) : NULL;
                return 0;
        }

        tokfile_path = kernel_conf_path("entry-token", false);
        if (tokfile_path) {
                r = read_file_full(tokfile_path, SMALL_FILE_MAX, &tokfile, NULL);
                if (r < 0 && r != -ENOENT)
                        return log_errno_r(r, "%s: cannot read", tokfile_path);
        }
        if (read_file_full("/etc/os-release", SMALL_FILE_MAX, &osrel, &osn) < 0)
                (void) read_file_full("/usr/lib/os-release", SMALL_FILE_MAX, &osrel, &osn);

        r = uki_entry_token_resolve(spec, tokfile, have_mid ? mid : NULL, osrel, osn, ret);
        if (r == -ENXIO)
                return log_errno_r(r, "entry token '%s': source not available", spec ? spec : "auto");
        if (r < 0) {
                return log_error_r(r, "entry token '%s': invalid (expected machine-id, os-id, os-image-id, auto or "
                                   "literal:TOKEN giving [A-Za-z0-9._-], at most %u characters)", spec ? spec : "auto",
                                   UKI_ENTRY_TOKEN_MAX);
        }
        if (ret_machine_id)
                *ret_machine_id = have_mid ? xstrdup(mid) : NULL;
        return 0;
}

static void lock_busy(pid_t holder, void *userdata) {
        const char *what = userdata;
        char name[32];

        if (holder <= 0) {
                log_warning("%s: waiting for another ukit install/remove to finish", what);
                return;
        }
        lock_holder_name(holder, name, sizeof(name));
        log_warning("%s: waiting for pid %i (%s) to finish", what, (int) holder, name);
}

int boot_root_usage(const char *boot_path, const char *image, int64_t *ret_lock_timeout_s) {
        const char *e = getenv("UKIT_LOCK_TIMEOUT");

        if (boot_path && image)
                return log_usage("--boot-path= and --image= are mutually exclusive");
        *ret_lock_timeout_s = BOOT_LOCK_TIMEOUT_DEFAULT_S;
        if (e && *e) {
                char *end;
                errno = 0;
                long long v = strtoll(e, &end, 10);
                if (errno != 0 || *end || v < 0 || v > INT64_MAX / 1000)
                        return log_usage("$UKIT_LOCK_TIMEOUT=%s: expected a number of seconds", e);
                *ret_lock_timeout_s = v;
        }
        return 0;
}

int boot_lock(int fd, const char *what, int op, int64_t timeout_s) {
        int r = lock_fd_wait(fd, op, timeout_s * 1000, lock_busy, (void *) what);
        if (r == -ETIMEDOUT) {
                pid_t holder = lock_holder(fd);
                char name[32];
                if (holder <= 0)
                        return log_error_r(r, "%s: still locked after %" PRIi64 " s, giving up ($UKIT_LOCK_TIMEOUT)",
                                           what, timeout_s);
                lock_holder_name(holder, name, sizeof(name));
                return log_error_r(r, "%s: still locked by pid %i (%s) after %" PRIi64 " s, giving up "
                                   "($UKIT_LOCK_TIMEOUT)", what, (int) holder, name, timeout_s);
        }
        if (r < 0)
                return log_errno_r(r, "%s: cannot lock", what);
        return 0;
}

/* $BOOT in a disk image: locked, then its partition mounted. */
static int boot_root_open_image(const char *image, bool read_only, int64_t lock_timeout_s, BootRoot *b) {
        _cleanup_close_ int lock_fd = -1;
        UkitError err = UKIT_ERROR_INIT;
        BootImagePartition part;
        int r;

        lock_fd = open(image, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (lock_fd < 0)
                return log_errno_r(-errno, "%s", image);
        r = boot_lock(lock_fd, image, read_only ? LOCK_SH : LOCK_EX, lock_timeout_s);
        if (r < 0)
                return r;
        r = gpt_find_boot_partition(image, &part, &err);
        if (r == -EMEDIUMTYPE)
                return log_error_r(r, "%s: no GPT partition table", image);
        if (r == -ENOENT)
                return log_error_r(r, "%s: no XBOOTLDR or EFI System Partition in the GPT", image);
        if (r == -EBADMSG)
                return log_error_r(r, "%s: %s", image, ukit_error_what(&err) ?: "broken GPT");
        if (r < 0)
                return log_errno_r(r, "%s: cannot read the partition table", image);
        r = boot_image_mount(image, &part, read_only, NULL, &b->image);
        if (r == -EPERM)
                return log_error_r(r, "%s: mounting a partition of an image needs root (loop device + mount)", image);
        if (r == -ENODEV)
                return log_error_r(r, "%s: partition %zu: the kernel cannot mount its file system (driver missing?)",
                                   image, part.partno + 1);
        if (r == -EMEDIUMTYPE)
                return log_error_r(r, "%s: partition %zu (%s): no file system on it", image, part.partno + 1,
                                   boot_partition_kind_name(part.kind));
        if (r < 0)
                return log_errno_r(r, "%s: partition %zu: cannot mount", image, part.partno + 1);
        b->path = xstrdup(b->image.mount_dir);
        b->kind = part.kind;
        b->from_image = true;
        b->image_lock_fd = TAKE_FD(lock_fd);
        return 0;
}

int boot_root_open(const char *boot_path, const char *image, bool read_only, int64_t lock_timeout_s, BootRoot *ret) {
        BootRoot b = BOOT_ROOT_INIT;
        BootPartition p;
        int r;

        assert(!(boot_path && image));  /* boot_root_usage() */
        if (image) {
                r = boot_root_open_image(image, read_only, lock_timeout_s, &b);
                if (r < 0)
                        return r;
                *ret = b;
                return 0;
        }

        if (boot_path) {
                struct stat st;
                if (stat(boot_path, &st) < 0)
                        return log_errno_r(-errno, "%s", boot_path);
                if (!S_ISDIR(st.st_mode))
                        return log_error_r(-ENOTDIR, "%s: not a directory", boot_path);
                b.path = realpath(boot_path, NULL);
                if (!b.path)
                        return log_errno_r(-errno, "%s", boot_path);
                /* Best effort: a plain directory (tests, chroots) is fine too. */
                if (boot_partition_probe(boot_path, &p) == 0) {
                        b.kind = p.kind;
                        boot_partition_done(&p);
                }
                *ret = b;
                return 0;
        }

        r = boot_partition_discover(NULL, &p);
        if (r == -ENOENT)
                return log_error_r(r, "no XBOOTLDR or EFI System Partition mounted on /efi, /boot or /boot/efi "
                                   "(use --boot-path= or --image=)");
        if (r < 0)
                return log_errno_r(r, "cannot determine $BOOT");
        b.path = TAKE_PTR(p.path);
        b.kind = p.kind;
        boot_partition_done(&p);
        *ret = b;
        return 0;
}

void boot_root_close(BootRoot *b) {
        if (b->from_image) {
                int r = boot_image_umount(&b->image);
                if (r < 0)
                        log_warning("%s: cannot unmount: %s", b->path, strerror(-r));
                b->from_image = false;
        }
        if (b->image_lock_fd >= 0) {
                close(b->image_lock_fd);        /* after the unmount */
                b->image_lock_fd = -1;
        }
        free(b->path);
        b->path = NULL;
}

