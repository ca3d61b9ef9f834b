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
#include "sysext-image.h"
#include "sysext-mount.h"
#include "util.h"
#include "verity-sig.h"
#include "verity.h"

#define RELEASE_FILE_MAX (64u * 1024u)

_printf_(3, 4) static void set(ExtImage *img, ExtImageState s, const char *fmt, ...) {
        va_list ap;
        img->result->state = s;
        va_start(ap, fmt);
        vsnprintf(img->result->reason, sizeof(img->result->reason), fmt, ap);
        va_end(ap);
}

static int open_in_root(int rootfd, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

static int read_fd_text(int fd, char **ret, size_t *ret_n) {
        _cleanup_free_ char *buf = malloc(RELEASE_FILE_MAX + 1);
        size_t n = 0;
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + n, RELEASE_FILE_MAX + 1 - n);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > RELEASE_FILE_MAX)
                        return -EFBIG;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_n = n;
        return 0;
}

/* Base name rule (systemd 256): strip .sysext.raw/.confext.raw/.raw, cut
 * at the first '_' or '+'. */
static char *image_base_name(const char *s, bool strip_raw) {
        char *b = xstrdup(s);
        static const char *const sfx[] = { ".sysext.raw", ".confext.raw", ".raw" };
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
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -1;
        return fgetxattr(fd, "user.extension-release.strict", buf, n);
}

/* Find and read the release file inside the mounted image. 0 and *ret
 * (NULL if there is none), or -ENOTUNIQ for several fallback candidates. */
static int read_release(const ExtContext *ctx, const ExtImage *img, int rootfd, char **ret, size_t *ret_n) {
        _cleanup_free_ char *path = xasprintf("%s/extension-release.%s", ext_release_dir(ctx->cls), img->name);
        _cleanup_close_ int fd = open_in_root(rootfd, path, O_RDONLY | O_NOCTTY);
        if (fd >= 0)
                return read_fd_text(fd, ret, ret_n);
        if (fd != -ENOENT)
                return fd;

        /* Fallback: a renamed image. Accept a single extension-release.* that
         * either has user.extension-release.strict=false or the same base name. */
        _cleanup_close_ int dfd = open_in_root(rootfd, ext_release_dir(ctx->cls), O_RDONLY | O_DIRECTORY);
        if (dfd < 0) {
                *ret = NULL;
                return dfd == -ENOENT ? 0 : dfd;
        }
        DIR *d = fdopendir(dfd);
        if (!d)
                return -errno;
        dfd = -1;
        _cleanup_free_ char *found = NULL, *want = image_base_name(img->name, false);
        bool dup = false;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *n = startswith(de->d_name, "extension-release.");
                if (!n || !ext_image_name_valid(n) || de->d_type != DT_REG)
                        continue;
                bool ok = false;
                char x[16] = {};
                ssize_t xl = fgetxattrat_compat(dirfd(d), de->d_name, x, sizeof(x) - 1);
                if (xl > 0 && (streq(x, "0") || streq(x, "no") || streq(x, "false") || streq(x, "n") || streq(x, "off")))
                        ok = true;
                _cleanup_free_ char *base = image_base_name(n, false);
                if (streq(base, want))
                        ok = true;
                if (!ok)
                        continue;
                if (found)
                        dup = true;
                else
                        found = xstrdup(de->d_name);
        }
        int dfd2 = dup ? -1 : dirfd(d);
        int r = 0;
        if (dup)
                r = -ENOTUNIQ;
        else if (found) {
                _cleanup_close_ int f = open_in_root(dfd2, found, O_RDONLY | O_NOCTTY);
                r = f < 0 ? f : read_fd_text(f, ret, ret_n);
        } else
                *ret = NULL;
        closedir(d);
        return r;
}

static int check_signature(const ExtContext *ctx, ExtImage *img, const char *hex, const uint8_t *der, size_t der_size) {
        char *dirs[4] = {
                xasprintf("%s/etc/verity.d", ctx->root), xasprintf("%s/run/verity.d", ctx->root),
                xasprintf("%s/usr/local/lib/verity.d", ctx->root), xasprintf("%s/usr/lib/verity.d", ctx->root),
        };
        const char *const list[] = { dirs[0], dirs[1], dirs[2], dirs[3], NULL };
        _cleanup_free_ char *which = NULL;
        int r = verity_sig_verify(hex, der, der_size, list, &which);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                free(dirs[i]);
        if (r == -ENOKEY)
                set(img, EXT_IMAGE_FAILED, "root hash signature not made by any certificate in verity.d");
        else if (r < 0)
                set(img, EXT_IMAGE_FAILED, "root hash signature is not valid PKCS#7");
        return r;
}

/* dm-verity for a DDI. There is no device-mapper in every environment (nor
 * in this project's CI), so the tree is checked in userspace here, reading
 * through the same loop device that is then mounted: this catches
 * corruption and unsigned/untrusted images, but a root user rewriting the
 * backing file after the check is outside what it can see. */
static int check_verity(const ExtContext *ctx, ExtImage *img, int data_fd, uint64_t data_off,
                        int hash_fd, uint64_t hash_off, const DdiImage *d) {
        uint8_t root[VERITY_DIGEST_MAX];
        size_t root_size = 0;
        int r;

        if (!d->has_verity) {
                if (ctx->require_signature) {
                        set(img, EXT_IMAGE_FAILED, "no dm-verity partition, but a signature is required");
                        return -EPERM;
                }
                strcpy(img->result->protection, "none");
                return 0;
        }
        int ds = verity_digest_size(&d->verity);
        if (ds <= 0) {
                set(img, EXT_IMAGE_FAILED, "unsupported verity hash '%s'", d->verity.hash_name);
                return -EOPNOTSUPP;
        }
        if (d->sig_roothash_hex) {
                if (hex_decode(d->sig_roothash_hex, root, sizeof(root), &root_size) < 0 || root_size != (size_t) ds) {
                        set(img, EXT_IMAGE_FAILED, "signature partition: bad rootHash");
                        return -EBADMSG;
                }
                if (!ddi_roothash_matches_uuids(d, root, root_size)) {
                        set(img, EXT_IMAGE_FAILED, "signed root hash does not match the partition UUIDs");
                        return -EADDRNOTAVAIL;
                }
                r = check_signature(ctx, img, d->sig_roothash_hex, d->sig_der, d->sig_der_size);
                if (r < 0)
                        return r;
                strcpy(img->result->protection, "signed");
        } else {
                if (ctx->require_signature) {
                        set(img, EXT_IMAGE_FAILED, "image is not signed, but a signature is required");
                        return -EPERM;
                }
                /* Unsigned: the UUID convention still pins the root hash, which
                 * gives integrity (not authenticity). */
                if ((size_t) ds != 32) {
                        set(img, EXT_IMAGE_FAILED, "unsigned image with a %d-byte root hash: cannot derive it", ds);
                        return -EOPNOTSUPP;
                }
                memcpy(root, d->part[DDI_DATA].uuid, 16);
                memcpy(root + 16, d->part[DDI_VERITY].uuid, 16);
                root_size = 32;
                strcpy(img->result->protection, "verity");
        }
        r = verity_verify(&d->verity, data_fd, data_off, hash_fd, hash_off, root, root_size);
        if (r == -EBADMSG) {
                set(img, EXT_IMAGE_FAILED, "dm-verity check failed: data does not match the root hash");
                return r;
        }
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "dm-verity check failed: %s", strerror(-r));
                return r;
        }
        return 0;
}

/* Sidecar verity for a bare file system image, systemd's convention:
 * IMG.raw -> IMG.verity (hash device with superblock), IMG.roothash (hex),
 * optional IMG.roothash.p7s (DER PKCS#7 over the hex). 1 verified, 0 no
 * sidecar, <0 failed (reason set). */
static int check_sidecar(const ExtContext *ctx, ExtImage *img, int data_fd, uint64_t data_size) {
        _cleanup_free_ char *base = xstrdup(img->path), *vpath = NULL, *rpath = NULL, *spath = NULL,
                *hex = NULL, *der = NULL;
        size_t l = strlen(base), n, der_size = 0;
        uint8_t sb[VERITY_SUPERBLOCK_SIZE], root[VERITY_DIGEST_MAX];
        size_t root_size;
        VerityParams vp;
        int r;

        if (l > 4 && streq(base + l - 4, ".raw"))
                base[l - 4] = 0;
        vpath = xasprintf("%s.verity", base);
        rpath = xasprintf("%s.roothash", base);
        spath = xasprintf("%s.roothash.p7s", base);
        _cleanup_close_ int hfd = open(vpath, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (hfd < 0) {
                if (errno == ENOENT)
                        return 0;
                set(img, EXT_IMAGE_FAILED, "%s: %s", vpath, strerror(errno));
                return -errno;
        }
        if (pread_full(hfd, sb, sizeof(sb), 0) < 0 || verity_superblock_parse(sb, sizeof(sb), &vp) < 0) {
                set(img, EXT_IMAGE_FAILED, "%s: not a dm-verity hash device with superblock", vpath);
                return -EBADMSG;
        }
        if (vp.data_blocks > data_size / vp.data_block_size) {
                set(img, EXT_IMAGE_FAILED, "%s: covers more data than the image has", vpath);
                return -EBADMSG;
        }
        r = read_file_full(rpath, 1024, &hex, &n);
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "%s: %s (needed with %s)", rpath, strerror(-r), vpath);
                return r;
        }
        hex[strcspn(hex, " \t\r\n")] = 0;
        if (hex_decode(hex, root, sizeof(root), &root_size) < 0 || (int) root_size != verity_digest_size(&vp)) {
                set(img, EXT_IMAGE_FAILED, "%s: not a root hash", rpath);
                return -EBADMSG;
        }
        for (char *c = hex; *c; c++)
                if (*c >= 'A' && *c <= 'F')
                        *c = (char) (*c - 'A' + 'a');
        r = read_file_full(spath, VERITY_SIG_DER_MAX, &der, &der_size);
        if (r >= 0) {
                r = check_signature(ctx, img, hex, (const uint8_t *) der, der_size);
                if (r < 0)
                        return r;
                strcpy(img->result->protection, "signed");
        } else if (r == -ENOENT) {
                if (ctx->require_signature) {
                        set(img, EXT_IMAGE_FAILED, "no %s, but a signature is required", spath);
                        return -EPERM;
                }
                strcpy(img->result->protection, "verity");
        } else {
                set(img, EXT_IMAGE_FAILED, "%s: %s", spath, strerror(-r));
                return r;
        }
        r = verity_verify(&vp, data_fd, 0, hfd, 0, root, root_size);
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "dm-verity check failed: %s",
                    r == -EBADMSG ? "data does not match the root hash" : strerror(-r));
                return r;
        }
        return 1;
}

static int mount_raw(const ExtContext *ctx, ExtImage *img, const char *mnt, unsigned long flags) {
        _cleanup_close_ int fd = open(img->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_(ddi_image_done) DdiImage d = {};
        uint64_t off = 0, size = 0;
        const char *fstype;
        int r;

        if (fd < 0) {
                set(img, EXT_IMAGE_FAILED, "cannot open: %s", strerror(errno));
                return -errno;
        }
        bool sidecar = false;
        r = ddi_dissect(fd, ctx->host.arch, &d);
        if (r == -ENOENT) {
                /* A bare file system image, possibly with sidecar verity files. */
                r = fd_get_size(fd, &size);
                if (r < 0) {
                        set(img, EXT_IMAGE_FAILED, "%s", strerror(-r));
                        return r;
                }
                sidecar = true;
        } else if (r == 0) {
                off = d.part[DDI_DATA].offset;
                size = d.part[DDI_DATA].size;
                if (d.has_verity) {
                        uint64_t s = d.verity.data_blocks * d.verity.data_block_size;
                        size = s;       /* mount only what verity covers */
                }
        } else {
                set(img, EXT_IMAGE_FAILED, "not a usable disk image: %s",
                    r == -ENXIO ? "no root or usr partition for this architecture" :
                    r == -ENOTUNIQ ? "several root/usr partitions" : strerror(-r));
                return r;
        }
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "%s", strerror(-r));
                return r;
        }

        _cleanup_close_ int lfd = -1;
        _cleanup_free_ char *dev = NULL;
        r = loop_attach(fd, off, size, &lfd, &dev);
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "cannot attach a loop device: %s", strerror(-r));
                return r;
        }
        if (sidecar) {
                r = check_sidecar(ctx, img, lfd, size);
                if (r < 0)
                        return r;
                if (r == 0 && ctx->require_signature) {
                        set(img, EXT_IMAGE_FAILED, "bare file system image, but a signature is required");
                        return -EPERM;
                }
        } else if (d.part[DDI_DATA].found) {
                /* Data through the loop device that is about to be mounted,
                 * hash tree from the verity partition. */
                r = check_verity(ctx, img, lfd, 0, fd, d.part[DDI_VERITY].offset, &d);
                if (r < 0)
                        return r;
        }
        r = fs_probe(lfd, 0, &fstype);
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "no known file system (erofs, squashfs, ext4) found");
                return r;
        }
        if (mount(dev, mnt, fstype, flags | MS_RDONLY, NULL) < 0) {
                r = -errno;
                set(img, EXT_IMAGE_FAILED, "mounting %s (%s) failed: %s", dev, fstype, strerror(errno));
                return r;
        }
        return 0;
}

int ext_image_attach(const ExtContext *ctx, ExtImage *img, const char *mnt) {
        unsigned long flags = ctx->cls == EXT_CONFEXT ? (MS_NOSUID | MS_NODEV | MS_NOEXEC) : MS_NODEV;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int rootfd = -1;
        size_t n = 0;
        int r;

        img->result->state = EXT_IMAGE_PENDING;
        img->result->reason[0] = 0;
        strcpy(img->result->protection, "none");
        r = mkdir_parents_and(mnt, 0700);
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "%s: %s", mnt, strerror(-r));
                return r;
        }

        if (img->type == EXT_IMAGE_DIRECTORY) {
                if (ctx->require_signature) {
                        set(img, EXT_IMAGE_FAILED, "directory image, but a signature is required");
                        return -EPERM;
                }
                if (mount(img->path, mnt, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                    mount(NULL, mnt, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, NULL) < 0) {
                        r = -errno;
                        set(img, EXT_IMAGE_FAILED, "bind mount failed: %s", strerror(errno));
                        (void) umount2(mnt, MNT_DETACH);
                        return r;
                }
        } else {
                r = mount_raw(ctx, img, mnt, flags);
                if (r < 0)
                        return r;
        }

        rootfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                r = -errno;
                set(img, EXT_IMAGE_FAILED, "%s: %s", mnt, strerror(errno));
                goto reject;
        }
        if (ctx->cls == EXT_SYSEXT) {
                _cleanup_close_ int o = open_in_root(rootfd, "usr/lib/os-release", O_PATH);
                if (o >= 0) {
                        set(img, EXT_IMAGE_FAILED, "contains usr/lib/os-release, which an extension must not");
                        r = -EPERM;
                        goto reject;
                }
        }
        r = read_release(ctx, img, rootfd, &text, &n);
        if (r == -ENOTUNIQ) {
                set(img, EXT_IMAGE_IGNORED, "several candidate extension-release files");
                r = 0;
                goto reject;
        }
        if (r < 0) {
                set(img, EXT_IMAGE_FAILED, "cannot read the extension-release file: %s", strerror(-r));
                goto reject;
        }
        if (!ctx->force) {
                if (!text) {
                        set(img, EXT_IMAGE_IGNORED, "no %s/extension-release.%s", ext_release_dir(ctx->cls), img->name);
                        r = 0;
                        goto reject;
                }
                char reason[EXT_REASON_MAX];
                r = extension_release_validate(ctx->cls, img->name, text, n, &ctx->host, reason);
                if (r < 0) {
                        set(img, EXT_IMAGE_FAILED, "validating the release file: %s", strerror(-r));
                        goto reject;
                }
                if (r == 0) {
                        set(img, EXT_IMAGE_IGNORED, "%s", reason);
                        goto reject;
                }
        }
        img->result->state = EXT_IMAGE_MERGED;
        return 0;

reject:
        (void) umount2(mnt, MNT_DETACH);
        return r;
}
