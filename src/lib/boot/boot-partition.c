/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "boot-partition.h"
#include "fileio.h"
#include "fs-probe.h"
#include "gpt.h"
#include "loop.h"
#include "util.h"

const char *boot_partition_kind_name(BootPartitionKind k) {
        switch (k) {
        case BOOT_PARTITION_ESP:        return "esp";
        case BOOT_PARTITION_XBOOTLDR:   return "xbootldr";
        case BOOT_PARTITION_OTHER:      return "other";
        default:                        return "unknown";
        }
}

BootPartitionKind boot_partition_kind_from_type(const char *guid) {
        if (!guid)
                return BOOT_PARTITION_UNKNOWN;
        if (strcasecmp(guid, GPT_ESP_TYPE) == 0)
                return BOOT_PARTITION_ESP;
        if (strcasecmp(guid, GPT_XBOOTLDR_TYPE) == 0)
                return BOOT_PARTITION_XBOOTLDR;
        return BOOT_PARTITION_OTHER;
}

void mount_entry_done(MountEntry *e) {
        free(e->mount_point);
        free(e->fstype);
        free(e->source);
        *e = (MountEntry) {};
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (octal). */
static char *unescape_field(const char *s, size_t n) {
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 3 < n &&
                    s[i + 1] >= '0' && s[i + 1] <= '3' &&
                    s[i + 2] >= '0' && s[i + 2] <= '7' &&
                    s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
                        i += 3;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

/* Split off the next space-separated field of *p; false at the end. */
static bool next_field(const char **p, const char **ret, size_t *ret_n) {
        const char *s = *p;

        while (*s == ' ')
                s++;
        if (!*s)
                return false;
        *ret = s;
        while (*s && *s != ' ')
                s++;
        *ret_n = (size_t) (s - *ret);
        *p = s;
        return true;
}

int mountinfo_parse_line(const char *line, MountEntry *ret) {
        /* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue */
        const char *p = line, *f[5], *fs, *src;
        size_t n[5], fsn, srcn;
        unsigned maj, min;
        char devbuf[32];
        MountEntry e = {};

        for (size_t i = 0; i < 5; i++)
                if (!next_field(&p, &f[i], &n[i]))
                        return -EBADMSG;

        /* Optional fields, terminated by a lone "-". */
        for (;;) {
                const char *o;
                size_t on;
                if (!next_field(&p, &o, &on))
                        return -EBADMSG;
                if (on == 1 && o[0] == '-')
                        break;
        }
        if (!next_field(&p, &fs, &fsn) || !next_field(&p, &src, &srcn))
                return -EBADMSG;

        if (n[2] >= sizeof(devbuf))
                return -EBADMSG;
        memcpy(devbuf, f[2], n[2]);
        devbuf[n[2]] = 0;
        char tail;
        if (sscanf(devbuf, "%u:%u%c", &maj, &min, &tail) != 2)
                return -EBADMSG;

        e.mount_point = unescape_field(f[4], n[4]);
        e.fstype = unescape_field(fs, fsn);
        e.source = unescape_field(src, srcn);
        if (!e.mount_point || !e.fstype || !e.source) {
                mount_entry_done(&e);
                return -ENOMEM;
        }
        e.major = maj;
        e.minor = min;
        *ret = e;
        return 0;
}

int mountinfo_find(const char *text, size_t size, const char *path, MountEntry *ret) {
        MountEntry found = {};
        bool have = false;
        size_t pos = 0;

        while (pos < size) {
                const char *nl = memchr(text + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (text + pos)) : size - pos;
                _cleanup_free_ char *line = strndup(text + pos, len);
                MountEntry e;
                int r;

                pos += len + (nl ? 1 : 0);
                if (!line) {
                        mount_entry_done(&found);
                        return -ENOMEM;
                }
                if (len == 0)
                        continue;
                r = mountinfo_parse_line(line, &e);
                if (r == -ENOMEM) {
                        mount_entry_done(&found);
                        return r;
                }
                if (r < 0)
                        continue;       /* the kernel writes it; skip what we do not understand */
                if (streq(e.mount_point, path)) {
                        mount_entry_done(&found);
                        found = e;
                        have = true;
                } else
                        mount_entry_done(&e);
        }
        if (!have)
                return -ENOENT;
        *ret = found;
        return 0;
}

void boot_partition_done(BootPartition *p) {
        free(p->path);
        free(p->device);
        free(p->fstype);
        free(p->part_type);
        *p = (BootPartition) BOOT_PARTITION_INIT;
}

static void blkid_free_probep(blkid_probe *p) {
        if (*p)
                blkid_free_probe(*p);
}

/* PART_ENTRY_TYPE of a partition block device, via libblkid (which finds the
 * whole disk through sysfs and reads its partition table). */
static int probe_part_type(const char *device, char **ret) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        const char *v = NULL;
        char *s;

        errno = 0;
        pr = blkid_new_probe_from_filename(device);
        if (!pr)
                return errno > 0 ? -errno : -EIO;
        blkid_probe_enable_superblocks(pr, 0);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        if (blkid_do_safeprobe(pr) != 0)
                return -ENXIO;
        if (blkid_probe_lookup_value(pr, "PART_ENTRY_TYPE", &v, NULL) != 0 || !v)
                return -ENXIO;
        s = strdup(v);
        if (!s)
                return -ENOMEM;
        for (char *c = s; *c; c++)
                *c = (char) tolower((unsigned char) *c);
        *ret = s;
        return 0;
}

/* The block device behind a mount: its major:minor when it has one, else the
 * mount source if that names a block device (FUSE file systems on a device
 * have anonymous device numbers). */
static char *mount_device(const MountEntry *e) {
        struct stat st;

        if (e->major != 0) {
                char *name = blkid_devno_to_devname(makedev(e->major, e->minor));
                if (name)
                        return name;
        }
        if (e->source[0] == '/' && stat(e->source, &st) == 0 && S_ISBLK(st.st_mode))
                return strdup(e->source);
        return NULL;
}

int boot_partition_probe(const char *path, BootPartition *ret) {
        _cleanup_free_ char *canon = NULL, *mi = NULL;
        BootPartition p = BOOT_PARTITION_INIT;
        MountEntry e;
        struct stat st;
        size_t mis;
        int r;

        canon = realpath(path, NULL);
        if (!canon)
                return -errno;
        if (stat(canon, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;

        r = read_file_full("/proc/self/mountinfo", MOUNTINFO_SIZE_MAX, &mi, &mis);
        if (r < 0)
                return r;
        r = mountinfo_find(mi, mis, canon, &e);
        if (r == -ENOENT)
                return -EADDRNOTAVAIL;
        if (r < 0)
                return r;

        p.devnum = st.st_dev;
        p.fstype = TAKE_PTR(e.fstype);
        p.device = mount_device(&e);
        mount_entry_done(&e);
        if (p.device && probe_part_type(p.device, &p.part_type) >= 0)
                p.kind = boot_partition_kind_from_type(p.part_type);
        p.path = TAKE_PTR(canon);
        *ret = p;
        return 0;
}

int boot_partition_discover(const char *const *candidates, BootPartition *ret) {
        static const char *const defaults[] = { "/efi", "/boot", "/boot/efi", NULL };
        BootPartition esp = BOOT_PARTITION_INIT;

        if (!candidates)
                candidates = defaults;
        for (size_t i = 0; candidates[i]; i++) {
                BootPartition p;
                if (boot_partition_probe(candidates[i], &p) < 0)
                        continue;
                if (p.kind == BOOT_PARTITION_XBOOTLDR) {
                        boot_partition_done(&esp);
                        *ret = p;
                        return 0;
                }
                /* /boot/efi is often a symlink to /efi: the same mount twice. */
                if (p.kind == BOOT_PARTITION_ESP && !esp.path) {
                        esp = p;
                        continue;
                }
                boot_partition_done(&p);
        }
        if (!esp.path)
                return -ENOENT;
        *ret = esp;
        return 0;
}

/* Walk the GPT (lib/ddi/gpt.c: the primary table, validated); pick the first
 * partition of kind (or, for UNKNOWN, the first XBOOTLDR else the first ESP). */
static int gpt_find(const char *disk, BootPartitionKind want, BootImagePartition *ret) {
        _cleanup_(gpt_table_done) GptTable t = {};
        _cleanup_close_ int fd = -1;
        BootImagePartition best = {}, esp = {};
        bool have_best = false, have_esp = false;
        size_t n;
        int r;

        fd = open(disk, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = gpt_read_fd(fd, &t);
        if (r == -ENOENT)
                return -EMEDIUMTYPE;
        if (r == -ENOTUNIQ)
                return disk_image_set_error(-EBADMSG, "valid GPT headers for both 512 and 4096-byte sectors");
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

int gpt_find_boot_partition(const char *disk, BootImagePartition *ret) {
        return gpt_find(disk, BOOT_PARTITION_UNKNOWN, ret);
}

int gpt_find_partition(const char *disk, BootPartitionKind kind, BootImagePartition *ret) {
        if (kind != BOOT_PARTITION_ESP && kind != BOOT_PARTITION_XBOOTLDR)
                return -EINVAL;
        return gpt_find(disk, kind, ret);
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
