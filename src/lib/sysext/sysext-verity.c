/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "loop.h"
#include "sysext-image.h"
#include "sysext-mount.h"
#include "sysext-verity.h"
#include "util.h"
#include "verity-sig.h"

void ext_verity_done(ExtVerity *v) {
        free(v->sig);
        v->sig = NULL;
        if (v->hash_fd >= 0)
                close(v->hash_fd);
        v->hash_fd = -1;
}

bool ext_verity_use_kernel(const ExtContext *ctx) {
        switch (ctx->verity_mode) {
        case VERITY_MODE_KERNEL:
                return true;
        case VERITY_MODE_USERSPACE:
                return false;
        default:
                return verity_kernel_available();
        }
}

static void set_root(ExtVerity *v, const uint8_t *root, size_t n) {
        memcpy(v->root, root, n);
        v->root_size = n;
        hex_encode_to(root, n, v->root_hex);
        v->present = true;
}

/* Fail a signed image no one trusts when the kernel cannot be asked. */
static int require_trust(const ExtContext *ctx, ExtImage *img, const ExtVerity *v) {
        if (v->sig_trusted || ext_verity_use_kernel(ctx))
                return 0;
        return ext_image_set(img, EXT_IMAGE_FAILED, -ENOKEY,
                             "root hash signature not made by any certificate in verity.d (%s)",
                             ctx->verity_mode == VERITY_MODE_USERSPACE
                                     ? "--verity=userspace does not ask the kernel keyring"
                                     : "no device-mapper here to ask the kernel keyring");
}

/* Take the signature (sig: malloc'ed, owned from here on) and check it
 * against verity.d, systemd's user-space rule. When no certificate there
 * made it, the kernel keyring may still trust it (ext_verity_activate);
 * without a kernel to ask the image fails here. <0 with the reason set. */
static int take_signature(const ExtContext *ctx, ExtImage *img, ExtVerity *v, uint8_t *sig, size_t sig_size) {
        char *dirs[4] = {
                strprintf("%s/etc/verity.d", ctx->root), strprintf("%s/run/verity.d", ctx->root),
                strprintf("%s/usr/local/lib/verity.d", ctx->root), strprintf("%s/usr/lib/verity.d", ctx->root),
        };
        const char *const list[] = { dirs[0], dirs[1], dirs[2], dirs[3], NULL };

        v->sig = sig;
        v->sig_size = sig_size;
        int r = !sig || !dirs[0] || !dirs[1] || !dirs[2] || !dirs[3]
                        ? -ENOMEM
                        : verity_sig_verify(v->root_hex, v->sig, v->sig_size, list, NULL);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                free(dirs[i]);
        if (r == -ENOMEM)
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s", strerror(-r));
        if (r < 0 && r != -ENOKEY)
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "root hash signature is not valid PKCS#7");
        if (r == 0) {
                v->sig_trusted = true;
                strcpy(img->result->trust, "verity.d");
        }
        r = require_trust(ctx, img, v);
        if (r < 0)
                return r;
        strcpy(img->result->protection, "signed");
        return 0;
}

static int verify_tree(ExtImage *img, const VerityParams *p, int data_fd, uint64_t data_off, int hash_fd,
                       uint64_t hash_off, const ExtVerity *v) {
        int r = verity_verify(p, data_fd, data_off, hash_fd, hash_off, v->root, v->root_size);
        if (r < 0)
                ext_image_set(img, EXT_IMAGE_FAILED, r, "dm-verity check failed: %s",
                              r == -EBADMSG ? "data does not match the root hash" : strerror(-r));
        return r;
}

int ext_verity_check_ddi(const ExtContext *ctx, ExtImage *img, int data_fd, int file_fd,
                         const DdiImage *d, ExtVerity *v) {
        uint8_t root[VERITY_DIGEST_MAX];
        size_t root_size = 0;
        int r;

        if (!d->has_verity) {
                if (ctx->require_signature)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EPERM,
                                             "no dm-verity partition, but a signature is required");
                return 0;
        }
        int ds = verity_digest_size(&d->verity);
        if (ds <= 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, -EOPNOTSUPP,
                                     "unsupported verity hash '%s'", d->verity.hash_name);
        if (d->sig_roothash_hex) {
                if (hex_decode(d->sig_roothash_hex, root, sizeof(root), &root_size) < 0 || root_size != (size_t) ds)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EBADMSG, "signature partition: bad rootHash");
                if (!ddi_roothash_matches_uuids(d, root, root_size))
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EADDRNOTAVAIL,
                                             "signed root hash does not match the partition UUIDs");
                set_root(v, root, root_size);
                uint8_t *sig = malloc(MAX(d->sig_der_size, (size_t) 1));
                if (sig)
                        memcpy(sig, d->sig_der, d->sig_der_size);
                r = take_signature(ctx, img, v, sig, d->sig_der_size);
                if (r < 0)
                        return r;
        } else {
                if (ctx->require_signature)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EPERM,
                                             "image is not signed, but a signature is required");
                /* Unsigned: the UUID convention still pins the root hash, which
                 * gives integrity (not authenticity). */
                if ((size_t) ds != 32)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EOPNOTSUPP,
                                             "unsigned image with a %d-byte root hash: cannot derive it", ds);
                memcpy(root, d->part[DDI_DATA].uuid, 16);
                memcpy(root + 16, d->part[DDI_VERITY].uuid, 16);
                set_root(v, root, 32);
                strcpy(img->result->protection, "verity");
        }
        r = verify_tree(img, &d->verity, data_fd, 0, file_fd, d->part[DDI_VERITY].offset, v);
        if (r < 0)
                return r;
        v->hash_fd = fcntl(file_fd, F_DUPFD_CLOEXEC, 3);
        if (v->hash_fd < 0)
                return -errno;
        v->hash_off = d->part[DDI_VERITY].offset;
        v->hash_size = d->part[DDI_VERITY].size;
        strcpy(img->result->verity, "userspace");
        return 0;
}

int ext_verity_check_sidecar(const ExtContext *ctx, ExtImage *img, int data_fd, uint64_t data_size,
                             ExtVerity *v) {
        _cleanup_free_ char *base = strdup(img->path), *vpath = NULL, *rpath = NULL, *spath = NULL,
                *hex = NULL, *der = NULL;
        size_t l = base ? strlen(base) : 0, n, der_size = 0;
        uint8_t sb[VERITY_SUPERBLOCK_SIZE], root[VERITY_DIGEST_MAX];
        size_t root_size;
        uint64_t hsize;
        VerityParams vp;
        int r;

        if (l > 4 && streq(base + l - 4, ".raw"))
                base[l - 4] = 0;
        vpath = base ? strprintf("%s.verity", base) : NULL;
        rpath = base ? strprintf("%s.roothash", base) : NULL;
        spath = base ? strprintf("%s.roothash.p7s", base) : NULL;
        if (!vpath || !rpath || !spath)
                return ext_image_set(img, EXT_IMAGE_FAILED, -ENOMEM, "%s", strerror(ENOMEM));
        /* Sidecars sit next to the image and, like it, may be symlinks; a
         * FIFO or device there must neither block nor be read. */
        _cleanup_close_ int hfd = open_input_at(AT_FDCWD, vpath, 0, 0, NULL);
        if (hfd < 0) {
                if (hfd == -ENOENT)
                        return 0;
                return ext_image_set(img, EXT_IMAGE_FAILED, hfd, "%s: %s", vpath, input_strerror(hfd));
        }
        if (pread_full(hfd, sb, sizeof(sb), 0) < 0 || verity_superblock_parse(sb, sizeof(sb), &vp, NULL) < 0 ||
            fd_get_size(hfd, &hsize) < 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, -EBADMSG,
                                     "%s: not a dm-verity hash device with superblock", vpath);
        if (vp.data_blocks > data_size / vp.data_block_size)
                return ext_image_set(img, EXT_IMAGE_FAILED, -EBADMSG, "%s: covers more data than the image has", vpath);
        r = read_input_at(AT_FDCWD, rpath, 0, 1024, &hex, &n);
        if (r < 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, r,
                                     "%s: %s (needed with %s)", rpath, input_strerror(r), vpath);
        hex[strcspn(hex, " \t\r\n")] = 0;
        if (hex_decode(hex, root, sizeof(root), &root_size) < 0 || (int) root_size != verity_digest_size(&vp))
                return ext_image_set(img, EXT_IMAGE_FAILED, -EBADMSG, "%s: not a root hash", rpath);
        set_root(v, root, root_size);
        r = read_input_at(AT_FDCWD, spath, 0, VERITY_SIG_DER_MAX, &der, &der_size);
        if (r >= 0) {
                r = take_signature(ctx, img, v, (uint8_t *) TAKE_PTR(der), der_size);
                if (r < 0)
                        return r;
        } else if (r == -ENOENT) {
                if (ctx->require_signature)
                        return ext_image_set(img, EXT_IMAGE_FAILED, -EPERM,
                                             "no %s, but a signature is required", spath);
                strcpy(img->result->protection, "verity");
        } else
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "%s: %s", spath, input_strerror(r));
        r = verify_tree(img, &vp, data_fd, 0, hfd, 0, v);
        if (r < 0)
                return r;
        v->hash_fd = TAKE_FD(hfd);
        v->hash_off = 0;
        v->hash_size = hsize;
        strcpy(img->result->verity, "userspace");
        return 1;
}

int ext_verity_activate(const ExtContext *ctx, ExtImage *img, const ExtVerity *v, const char *data_dev,
                        VerityDevice *ret) {
        _cleanup_close_ int hloop = -1;
        _cleanup_free_ char *hdev = NULL;
        const char *prefix = ext_dm_prefix(ctx->cls);
        VerityDevice dm = {};
        int r;

        if (!verity_kernel_available())
                return ext_image_set(img, EXT_IMAGE_FAILED, -ENXIO,
                                     "--verity=kernel, but there is no device-mapper (/dev/mapper/control)");
        r = loop_attach(v->hash_fd, v->hash_off, v->hash_size, /* read_only= */ true, &hloop, &hdev);
        if (r < 0)
                return ext_image_set(img, EXT_IMAGE_FAILED, r, "cannot attach a loop device for the hash tree: %s",
                                     strerror(-r));
        if (v->sig) {
                r = verity_activate(prefix, data_dev, hdev, v->root, v->root_size, v->sig, v->sig_size, &dm);
                if (r >= 0)
                        strcpy(img->result->trust, "kernel-keyring");
                else if (!v->sig_trusted)
                        return ext_image_set(img, EXT_IMAGE_FAILED, r,
                                             "root hash signature not trusted by the kernel keyring (%s) "
                                             "nor by any certificate in verity.d",
                                             dm.error[0] ? dm.error : strerror(-r));
        }
        if (!v->sig || r < 0) {
                /* Unsigned, or signed and trusted through verity.d only: the
                 * root hash, already tied to the data and the signature. */
                dm = (VerityDevice) {};
                r = verity_activate(prefix, data_dev, hdev, v->root, v->root_size, NULL, 0, &dm);
                if (r < 0)
                        return ext_image_set(img, EXT_IMAGE_FAILED, r, "activating dm-verity failed: %s",
                                             dm.error[0] ? dm.error : strerror(-r));
        }
        strcpy(img->result->verity, "kernel");
        *ret = dm;
        return 0;
}
