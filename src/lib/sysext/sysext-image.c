/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mount one extension image read-only and decide whether it may be merged:
 * dm-verity (+ signature) first, then the release file. Runs in the merge
 * child's private mount namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ddi.h"
#include "fileio.h"
#include "fs-probe.h"
#include "loop.h"
#include "sysext-image.h"
#include "sysext-mount.h"
#include "sysext-verity.h"
#include "util.h"
#include "verity-sig.h"
#include "verity.h"

#define RELEASE_FILE_MAX (64u * 1024u)

int ext_image_set(ExtImage *img, ExtImageState s, int r, const char *fmt, ...) {
        UkitError *e = &img->result->error;
        va_list ap;
        img->result->state = s;
        /* Not merged: nothing enforces verity for it (trust stays, it says
         * whether the signature itself was accepted). */
        if (s != EXT_IMAGE_MERGED)
                strcpy(img->result->verity, "none");
        /* the latest verdict replaces an earlier one */
        ukit_error_clear(e);
        e->code = r;
        va_start(ap, fmt);
        vsnprintf(e->what, sizeof(e->what), fmt, ap);
        va_end(ap);
        snprintf(e->item, sizeof(e->item), "%s", img->name);
        return r;
}

static int open_in_root(int rootfd, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

/* Base name rule (systemd 256): strip .sysext.raw/.confext.raw/.raw, cut
 * at the first '_' or '+'. */
static char *image_base_name(const char *s, bool strip_raw) {
        char *b = strdup(s);
        static const char *const sfx[] = { ".sysext.raw", ".confext.raw", ".raw" };
        if (!b)
                return NULL;
        size_t l = strlen(b);
        for (size_t i = 0; strip_raw && i < ELEMENTSOF(sfx); i++) {
                size_t k = strlen(sfx[i]);
                if (l > k && streq(b + l - k, sfx[i])) {
                        b[l - k] = 0;
                        break;
                }
        }
        b[strcspn(b, "_+")] = 0;
        return b;
}

static ssize_t fgetxattrat_compat(int dfd, const char *name, char *buf, size_t n) {
        _cleanup_close_ int fd = open_input_at(dfd, name, OPEN_INPUT_NOFOLLOW, 0, NULL);
        if (fd < 0)
                return -1;
        return fgetxattr(fd, "user.extension-release.strict", buf, n);
}

/* Find and read the release file inside the mounted image. 0 and *ret
 * (NULL if there is none), or -ENOTUNIQ for several fallback candidates.
 * *ret_path: the file that was read or failed (relative to the image).
 * Nothing here may block: a FIFO or device node in the image is refused
 * like any other non-regular file. */
static int read_release(const ExtContext *ctx, const ExtImage *img, int rootfd, char **ret, size_t *ret_n,
                        char **ret_path) {
        const char *dir = ext_release_dir(ctx->cls);
        *ret_path = strprintf("%s/extension-release.%s", dir, img->name);
        if (!*ret_path)
                return -ENOMEM;
        int r = read_input_at(rootfd, *ret_path, OPEN_INPUT_IN_ROOT, RELEASE_FILE_MAX, ret, ret_n);
        if (r != -ENOENT)
                return r;

        /* Fallback: a renamed image. Accept a single extension-release.* that
         * either has user.extension-release.strict=false or the same base name. */
        _cleanup_close_ int dfd = open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
        if (dfd < 0) {
                *ret = NULL;
                return dfd == -ENOENT ? 0 : dfd;
        }
        DIR *d = fdopendir(dfd);
        if (!d)
                return -errno;
        dfd = -1;
        _cleanup_free_ char *found = NULL, *want = image_base_name(img->name, false);
        bool dup = false, oom = !want;
        struct dirent *de;
        while (!oom && (de = readdir(d))) {
                const char *n = startswith(de->d_name, "extension-release.");
                if (!n || !ext_image_name_valid(n) || de->d_type != DT_REG)
                        continue;
                bool ok = false;
                char x[16] = {};
                ssize_t xl = fgetxattrat_compat(dirfd(d), de->d_name, x, sizeof(x) - 1);
                if (xl > 0 && (streq(x, "0") || streq(x, "no") || streq(x, "false") || streq(x, "n") || streq(x, "off")))
                        ok = true;
                _cleanup_free_ char *base = image_base_name(n, false);
                if (!base) {
                        oom = true;
                        break;
                }
                if (streq(base, want))
                        ok = true;
                if (!ok)
                        continue;
                if (found)
                        dup = true;
                else if (!(found = strdup(de->d_name)))
                        oom = true;
        }
        r = 0;
        if (oom)
                r = -ENOMEM;
        else if (dup)
                r = -ENOTUNIQ;
        else if (found) {
                free(*ret_path);
                *ret_path = strprintf("%s/%s", dir, found);
                r = !*ret_path ? -ENOMEM : read_input_at(dirfd(d), found, OPEN_INPUT_NOFOLLOW, RELEASE_FILE_MAX, ret, ret_n);
        } else
                *ret = NULL;
        closedir(d);
        return r;
}

/* Mount the verity device when there is one. Deferred removal is requested
 * while we hold the device open, before the mount: from then on the device
 * lives exactly as long as someone uses it, so a failed mount, an unmerge or
 * a merge killed at any later point leaves no dm device behind. */
static int mount_dev(const ExtContext *ctx, ExtImage *img, const ExtVerity *v, const char *loopdev,
                     const char *fstype, const char *mnt, unsigned long flags) {
        _cleanup_close_ int dmfd = -1;
        VerityDevice dm = {};
        const char *dev = loopdev;
        char fdpath[32];
        int r;

        if (v->present && ext_verity_use_kernel(ctx)) {
                r = ext_verity_activate(ctx, img, v, loopdev, &dm);
                if (r < 0)
                        return r;
                ext_test_point("dm-activated");
                dmfd = open(dm.path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (dmfd < 0 || verity_deactivate_deferred(&dm) < 0) {
                        r = dmfd < 0 ? -errno : -EIO;
                        ext_image_set(img, EXT_IMAGE_FAILED, r,
                                      "%s: cannot schedule removal: %s", dm.path, strerror(-r));
                        (void) verity_deactivate(&dm);
                        return r;
                }
                /* Without udev, libdevmapper unlinks /dev/mapper/NAME as soon
                 * as the removal is scheduled; the open device stays. */
                snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", dmfd);
                ext_test_point("dm-deferred");
        }
        if (mount(dmfd >= 0 ? fdpath : dev, mnt, fstype, flags | MS_RDONLY, NULL) < 0) {
                r = -errno;
                return ext_image_set(img, EXT_IMAGE_FAILED, r,
                                     "mounting %s (%s) failed: %s", dmfd >= 0 ? dm.path : dev, fstype,
                                     strerror(errno));
        }
        return 0;
}

/* Detaches the mount at *p when the scope is left, unless disarmed (*p set
 * to NULL) once the mount is to stay. */
static void umount_guard(const char **p) {
        if (*p)
                (void) umount2(*p, MNT_DETACH);
}

/* A usr partition holds the contents of /usr (every systemd tool mounts it
 * there): give it an image root of its own, a read-only tmpfs with the
 * partition mounted on usr/, so the rest of the merge sees the same layout
 * as for a root partition. One lazy unmount of mnt removes both. */
static int mount_usr(const ExtContext *ctx, ExtImage *img, const ExtVerity *v, const char *loopdev,
                     const char *fstype, const char *mnt, unsigned long flags) {
        _cleanup_free_ char *usr = strprintf("%s/usr", mnt);
        int r;

        if (!usr)
                return ext_image_set(img, EXT_IMAGE_FAILED, -ENOMEM, "%s", strerror(ENOMEM));

        if (ctx->cls != EXT_SYSEXT)
                return ext_image_set(img, EXT_IMAGE_FAILED, -EMEDIUMTYPE,
                                     "a usr partition, but a %s image needs a root partition",
                                     ext_class_name(ctx->cls));
        if (mount("ukit-ext-usr", mnt, "tmpfs", MS_NODEV | MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0) {
                r = -errno;
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s: cannot mount a tmpfs: %s", mnt, strerror(errno));
        }
        _cleanup_(umount_guard) const char *mounted = mnt;
        if (mkdir(usr, 0755) < 0) {
                r = -errno;
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s: %s", usr, strerror(errno));
        }
        r = mount_dev(ctx, img, v, loopdev, fstype, usr, flags);
        if (r < 0)
                return r;
        if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC, NULL) < 0) {
                r = -errno;
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s: cannot remount read-only: %s", mnt,
                                     strerror(errno));
        }
        mounted = NULL;
        return 0;
}

/* The image as discovered (a regular file or a block device), opened
 * without blocking: it may have been replaced since discovery. */
static int open_image(const ExtImage *img) {
        struct stat st;
        int fd = open(img->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        int r = fstat(fd, &st) < 0 ? -errno :
                (img->type == EXT_IMAGE_BLOCK ? S_ISBLK(st.st_mode) : S_ISREG(st.st_mode)) ? 0 : -EBADFD;
        if (r == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
                r = -errno;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* The file systems an extension image may hold, as mount(2) types: erofs,
 * squashfs and the ext family (mounted by the ext4 driver). */
static const char *ext_fstype(const char *probed) {
        if (streq(probed, "erofs") || streq(probed, "squashfs"))
                return probed;
        if (streq(probed, "ext4") || streq(probed, "ext3") || streq(probed, "ext2"))
                return "ext4";
        return NULL;
}

static int mount_raw(const ExtContext *ctx, ExtImage *img, const char *mnt, unsigned long flags) {
        _cleanup_close_ int fd = open_image(img);
        _cleanup_(ddi_image_done) DdiImage d = {};
        _cleanup_(ext_verity_done) ExtVerity v = EXT_VERITY_INIT;
        _cleanup_free_ char *probed = NULL;
        UkitError err = UKIT_ERROR_INIT;
        uint64_t off = 0, size = 0;
        const char *fstype;
        int r;

        if (fd < 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, fd, "cannot open: %s",
                                     fd != -EBADFD                  ? strerror(-fd)
                                     : img->type == EXT_IMAGE_BLOCK ? "not a block device"
                                                                    : "not a regular file");
        bool sidecar = false;
        r = ddi_dissect(fd, ctx->host.arch, &d, &err);
        if (r == -ENOENT) {
                /* A bare file system image, possibly with sidecar verity files. */
                r = fd_get_size(fd, &size);
                if (r < 0)
                        return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s", strerror(-r));
                sidecar = true;
        } else if (r == 0) {
                off = d.part[DDI_DATA].offset;
                size = d.part[DDI_DATA].size;
                if (d.has_verity) {
                        uint64_t s = d.verity.data_blocks * d.verity.data_block_size;
                        size = s;       /* mount only what verity covers */
                }
        } else {
                const char *why = ukit_error_what(&err);
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "not a usable disk image: %s",
                                     r == -ENXIO ? "no root or usr partition for this architecture" :
                                     r == -ENOTUNIQ ? "several root/usr partitions" :
                                     (r == -EBADMSG || r == -EOPNOTSUPP) && why ? why : strerror(-r));
        }

        _cleanup_close_ int lfd = -1;
        _cleanup_free_ char *dev = NULL;
        r = loop_attach(fd, off, size, /* read_only= */ true, &lfd, &dev);
        if (r < 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "cannot attach a loop device: %s", strerror(-r));
        ext_test_point("image-attached");
        if (sidecar) {
                r = ext_verity_check_sidecar(ctx, img, lfd, size, &v);
                if (r < 0)
                        return r;
                if (r == 0 && ctx->require_signature)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EPERM,
                                             "bare file system image, but a signature is required");
        } else if (d.part[DDI_DATA].found) {
                /* Data through the loop device that is about to be mounted,
                 * hash tree from the verity partition. */
                r = ext_verity_check_ddi(ctx, img, lfd, fd, &d, &v);
                if (r < 0)
                        return r;
        }
        ext_test_point("verity-checked");
        r = fs_probe(lfd, 0, &probed);
        fstype = r < 0 ? NULL : ext_fstype(probed);
        if (!fstype)
                return ext_image_set(img, EXT_IMAGE_FAILED, r == -ENOMEM ? r : -ENOPKG,
                                     "no known file system (erofs, squashfs, ext4) found");
        if (!d.usr)
                return mount_dev(ctx, img, &v, dev, fstype, mnt, flags);
        return mount_usr(ctx, img, &v, dev, fstype, mnt, flags);
}

int ext_image_attach(const ExtContext *ctx, ExtImage *img, const char *mnt) {
        unsigned long flags = ctx->cls == EXT_CONFEXT ? (MS_NOSUID | MS_NODEV | MS_NOEXEC) : MS_NODEV;
        _cleanup_free_ char *text = NULL, *relpath = NULL;
        _cleanup_close_ int rootfd = -1;
        size_t n = 0;
        int r;

        img->result->state = EXT_IMAGE_PENDING;
        ukit_error_clear(&img->result->error);
        strcpy(img->result->protection, "none");
        strcpy(img->result->verity, "none");
        strcpy(img->result->trust, "none");
        r = mkdir_p(mnt, 0700);
        if (r < 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s: %s", mnt, strerror(-r));

        if (img->type == EXT_IMAGE_DIRECTORY) {
                if (ctx->require_signature)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EPERM,
                                             "directory image, but a signature is required");
                if (mount(img->path, mnt, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                    mount(NULL, mnt, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, NULL) < 0) {
                        r = -errno;
                        ext_image_set(img, EXT_IMAGE_FAILED, r, "bind mount failed: %s", strerror(errno));
                        (void) umount2(mnt, MNT_DETACH);
                        return r;
                }
        } else {
                r = mount_raw(ctx, img, mnt, flags);
                if (r < 0)
                        return r;
        }
        _cleanup_(umount_guard) const char *mounted = mnt;

        rootfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                r = -errno;
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s: %s", mnt, strerror(errno));
        }
        if (ctx->cls == EXT_SYSEXT) {
                _cleanup_close_ int o = open_in_root(rootfd, "usr/lib/os-release", O_PATH);
                if (o >= 0)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EPERM,
                                             "contains usr/lib/os-release, which an extension must not");
        }
        r = read_release(ctx, img, rootfd, &text, &n, &relpath);
        if (r == -ENOTUNIQ)
                return ext_image_set(img, EXT_IMAGE_IGNORED, 0, "several candidate extension-release files");
        if (r < 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, r,
                                     "%s: cannot read the release file: %s", relpath ?: "release file",
                                     input_strerror(r));
        if (!ctx->force) {
                if (!text)
                        return ext_image_set(img, EXT_IMAGE_IGNORED, 0, "no %s/extension-release.%s",
                                             ext_release_dir(ctx->cls), img->name);
                UkitError why = UKIT_ERROR_INIT;
                r = extension_release_validate(ctx->cls, img->name, text, n, &ctx->host, &why);
                if (r == -EPERM)
                        return ext_image_set(img, EXT_IMAGE_IGNORED, 0, "%s", ukit_error_reason(&why, r));
                if (r < 0)
                        return ext_image_set(img, EXT_IMAGE_FAILED, r, "validating the release file: %s",
                                             strerror(-r));
        }
        img->result->state = EXT_IMAGE_MERGED;
        ext_test_point("image-mounted");
        mounted = NULL;
        return 0;
}

int ext_image_read_release(const ExtContext *ctx, const ExtImage *img, int rootfd, char **ret, size_t *ret_n) {
        _cleanup_free_ char *path = NULL;
        return read_release(ctx, img, rootfd, ret, ret_n, &path);
}
