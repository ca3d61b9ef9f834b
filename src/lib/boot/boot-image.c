/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "boot-image.h"
#include "fileio.h"
#include "fs-probe.h"
#include "gpt.h"
#include "loop.h"
#include "util.h"

/* Walk the GPT (lib/ddi/gpt.c: the primary table, validated); pick the first
 * partition of kind (or, for UNKNOWN, the first XBOOTLDR else the first ESP). */
static int gpt_find(const char *disk, BootPartitionKind want, BootImagePartition *ret, UkitError *err) {
        _cleanup_(gpt_table_done) GptTable t = {};
        _cleanup_close_ int fd = -1;
        BootImagePartition best = {}, esp = {};
        bool have_best = false, have_esp = false;
        size_t n;
        int r;

        fd = open(disk, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = gpt_read_fd(fd, &t, err);
        if (r == -ENOENT)
                return -EMEDIUMTYPE;
        if (r == -ENOTUNIQ)
                return ukit_error(err, -EBADMSG, "valid GPT headers for both 512 and 4096-byte sectors");
        if (r < 0)
                return r;

        n = t.n_partitions < GPT_PARTITIONS_MAX ? t.n_partitions : GPT_PARTITIONS_MAX;
        for (size_t i = 0; i < n; i++) {
                const GptPartition *p = t.partitions + i;
                BootImagePartition g = {};

                uuid_to_string(p->type, g.type);
                if (!uuid_is_null(p->uuid))
                        uuid_to_string(p->uuid, g.uuid);
                g.kind = boot_partition_kind_from_type(g.type);
                g.partno = p->index;
                if (!MUL_OK(p->first_lba, (uint64_t) t.sector_size, &g.offset) ||
                    !MUL_OK(p->last_lba - p->first_lba + 1, (uint64_t) t.sector_size, &g.size))
                        return -EBADMSG;

                if (want == BOOT_PARTITION_UNKNOWN) {
                        if (g.kind == BOOT_PARTITION_XBOOTLDR && !have_best) {
                                best = g;
                                have_best = true;
                        } else if (g.kind == BOOT_PARTITION_ESP && !have_esp) {
                                esp = g;
                                have_esp = true;
                        }
                } else if (g.kind == want && !have_best) {
                        best = g;
                        have_best = true;
                }
        }
        if (!have_best && have_esp) {
                best = esp;
                have_best = true;
        }
        if (!have_best)
                return -ENOENT;
        *ret = best;
        return 0;
}

int gpt_find_boot_partition(const char *disk, BootImagePartition *ret, UkitError *err) {
        return gpt_find(disk, BOOT_PARTITION_UNKNOWN, ret, err);
}

int gpt_find_partition(const char *disk, BootPartitionKind kind, BootImagePartition *ret, UkitError *err) {
        if (kind != BOOT_PARTITION_ESP && kind != BOOT_PARTITION_XBOOTLDR)
                return -EINVAL;
        return gpt_find(disk, kind, ret, err);
}

int boot_image_mount(const char *disk, const BootImagePartition *part, bool read_only,
                     const char *tmp_parent, BootImageMount *ret) {
        _cleanup_close_ int image_fd = -1, loop_fd = -1;
        _cleanup_free_ char *loop_path = NULL, *dir = NULL, *fstype = NULL;
        uint64_t disk_size, end;
        int r;

        if (geteuid() != 0)
                return -EPERM;

        image_fd = open(disk, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        if (image_fd < 0)
                return -errno;
        r = fd_get_size(image_fd, &disk_size);
        if (r < 0)
                return r;
        if (!ADD_OK(part->offset, part->size, &end) || end > disk_size || part->size == 0)
                return -EBADMSG;

        r = loop_attach(image_fd, part->offset, part->size, read_only, &loop_fd, &loop_path);
        if (r < 0)
                return r;

        r = fs_probe(loop_fd, 0, &fstype);
        if (r < 0)
                return r;       /* closing loop_fd detaches (autoclear) */

        if (!tmp_parent)
                tmp_parent = getenv("TMPDIR");
        if (!tmp_parent || !*tmp_parent)
                tmp_parent = "/tmp";
        if (asprintf(&dir, "%s/ukit-boot-XXXXXX", tmp_parent) < 0) {
                dir = NULL;
                return -ENOMEM;
        }
        if (!mkdtemp(dir))
                return -errno;

        if (mount(loop_path, dir, fstype,
                  MS_NOSUID | MS_NODEV | MS_NOEXEC | (read_only ? MS_RDONLY : 0), NULL) < 0) {
                r = -errno;
                (void) rmdir(dir);
                return r;
        }

        *ret = (BootImageMount) {
                .mount_dir = TAKE_PTR(dir),
                .loop_dev = TAKE_PTR(loop_path),
                .loop_fd = TAKE_FD(loop_fd),
                .part = *part,
                .mounted = true,
        };
        return 0;
}

int boot_image_umount(BootImageMount *m) {
        int r = 0;

        if (m->mounted) {
                /* Flush to the image before the loop device goes away. */
                sync();
                if (umount2(m->mount_dir, 0) < 0) {
                        r = -errno;
                        (void) umount2(m->mount_dir, MNT_DETACH);
                }
                m->mounted = false;
        }
        if (m->mount_dir) {
                if (rmdir(m->mount_dir) < 0 && r == 0)
                        r = -errno;
                free(m->mount_dir);
                m->mount_dir = NULL;
        }
        if (m->loop_fd >= 0) {
                close(m->loop_fd);
                m->loop_fd = -1;
        }
        free(m->loop_dev);
        m->loop_dev = NULL;
        return r;
}
