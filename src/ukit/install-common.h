/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the install/remove/list verbs: choosing $BOOT (an explicit
 * directory, a partition inside a disk image, or discovery on the running
 * system) and the kernel-install configuration files. CLI layer: these
 * print their own one-line errors and return -errno (boot_root_usage(), the
 * verbs' part, an exit status). */

#include <stdbool.h>
#include <stdint.h>

#include "boot-image.h"
#include "boot-partition.h"

typedef struct BootRoot {
        char *path;             /* directory UKIs go below (as $BOOT/EFI/Linux) */
        BootPartitionKind kind; /* UNKNOWN for a plain directory */
        BootImageMount image;   /* when --image */
        bool from_image;
        int image_lock_fd;      /* flock on the image file while it is mounted */
} BootRoot;

#define BOOT_ROOT_INIT { .image = BOOT_IMAGE_MOUNT_INIT, .image_lock_fd = -1 }

/* Default for $UKIT_LOCK_TIMEOUT (seconds): how long install/remove wait for
 * another one working on the same $BOOT. */
#define BOOT_LOCK_TIMEOUT_DEFAULT_S 300

/* The usage checks of the verbs that open $BOOT, before they open it:
 * --boot-path= and --image= are mutually exclusive, and $UKIT_LOCK_TIMEOUT
 * (default BOOT_LOCK_TIMEOUT_DEFAULT_S) must be a number of seconds, which
 * is returned. Prints; returns 0 or EXIT_USAGE. */
int boot_root_usage(const char *boot_path, const char *image, int64_t *ret_lock_timeout_s);

/* Serialise install and remove: flock() on fd, the EFI/Linux directory (or
 * with --image the image file), waiting at most timeout_s seconds and
 * saying who holds it while waiting. Prints; returns -errno. */
int boot_lock(int fd, const char *what, int op, int64_t timeout_s);

/* boot_path or image (at most one, checked by boot_root_usage(); neither:
 * discover /efi, /boot, /boot/efi). An image is locked (boot_lock(),
 * exclusive unless read_only) before it is mounted: two mounts of one file
 * system through two loop devices would corrupt it, and would not see each
 * other's EFI/Linux lock either. Prints; returns -errno. */
int boot_root_open(const char *boot_path, const char *image, bool read_only, int64_t lock_timeout_s, BootRoot *ret);

/* Unmounts an image; prints a warning if that fails. */
void boot_root_close(BootRoot *b);
static inline void boot_root_closep(BootRoot *b) {
        boot_root_close(b);
}

/* "$KERNEL_INSTALL_CONF_ROOT/NAME" when that variable is set (kernel-install
 * semantics: then it is the only place), else the first existing of
 * /etc/kernel/NAME, /usr/lib/kernel/NAME (lib_fallback) or NULL. */
char *kernel_conf_path(const char *name, bool lib_fallback);

/* Entry token for install/remove: spec (--entry-token), else
 * $KERNEL_INSTALL_ENTRY_TOKEN, else "auto" (entry-token file, machine ID,
 * os-release IMAGE_ID=/ID=). Prints the error and returns -errno. */
int entry_token_get(const char *spec, char **ret, char **ret_machine_id);
