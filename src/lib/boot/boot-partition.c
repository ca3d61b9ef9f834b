/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "boot-partition.h"
#include "fileio.h"
#include "fs-probe.h"
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

void boot_partition_done(BootPartition *p) {
        free(p->path);
        free(p->device);
        free(p->fstype);
        free(p->part_type);
        *p = (BootPartition) BOOT_PARTITION_INIT;
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
