/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Finding $BOOT, the partition UKIs are installed to (Boot Loader
 * Specification): the Extended Boot Loader partition (XBOOTLDR) when there is
 * one — it exists to work around ESPs that are too small — else the EFI
 * System Partition.
 *
 * On the running system the candidates are the mount points /efi, /boot and
 * /boot/efi (kernel-install's order); a mount point's partition type is read
 * from the GPT entry with libblkid (PART_ENTRY_TYPE). Inside a disk image
 * (--image) the primary GPT is read with lib/ddi/gpt.c (a corrupt one is
 * refused, not repaired from the backup) and the chosen partition is
 * attached to a loop device limited to exactly that partition's byte range
 * (offset + sizelimit), so nothing written through the mount can land
 * outside it, then mounted on a private temporary directory.
 *
 * Returns -errno; never prints. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define GPT_ESP_TYPE            "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_XBOOTLDR_TYPE       "bc13c2ff-59e6-4262-a352-b275fd6f7172"

#define MOUNTINFO_SIZE_MAX      (16u * 1024u * 1024u)   /* /proc/self/mountinfo bytes read */
#define GPT_PARTITIONS_MAX      256u                    /* entries looked at in an image */

typedef enum BootPartitionKind {
        BOOT_PARTITION_UNKNOWN,         /* not a GPT partition, or type unreadable */
        BOOT_PARTITION_ESP,
        BOOT_PARTITION_XBOOTLDR,
        BOOT_PARTITION_OTHER,           /* a GPT partition of some other type */
} BootPartitionKind;

const char *boot_partition_kind_name(BootPartitionKind k);     /* "esp", "xbootldr", ... */

/* Classify a GPT partition type GUID string (case-insensitive). */
BootPartitionKind boot_partition_kind_from_type(const char *guid);

/* One line of /proc/self/mountinfo (proc(5)). */
typedef struct MountEntry {
        char *mount_point;      /* unescaped (\040 -> ' ') */
        char *fstype;
        char *source;           /* "mount source" field, unescaped */
        unsigned major, minor;  /* st_dev of the mounted file system */
} MountEntry;

void mount_entry_done(MountEntry *e);

/* Parse one mountinfo line (without the newline). -EBADMSG if malformed. */
int mountinfo_parse_line(const char *line, MountEntry *ret);

/* Find the mount whose mount point is exactly path (already canonical) in a
 * mountinfo text. The last matching line wins (it is the one on top).
 * -ENOENT if path is not a mount point. */
int mountinfo_find(const char *text, size_t size, const char *path, MountEntry *ret);

typedef struct BootPartition {
        char *path;             /* canonical directory the partition is mounted on */
        char *device;           /* block device node, or NULL when unknown */
        char *fstype;           /* from mountinfo, or NULL */
        char *part_type;        /* GPT type GUID (lowercase), or NULL */
        BootPartitionKind kind;
        dev_t devnum;           /* st_dev of path */
} BootPartition;

#define BOOT_PARTITION_INIT { .kind = BOOT_PARTITION_UNKNOWN }

void boot_partition_done(BootPartition *p);

/* Describe the mount point path. -ENOENT if path does not exist,
 * -ENOTDIR if it is no directory, -EADDRNOTAVAIL if it is not a mount point.
 * The partition type is probed best-effort (kind UNKNOWN if that fails, e.g.
 * unprivileged or a tmpfs). */
int boot_partition_probe(const char *path, BootPartition *ret);

/* Probe the candidates (NULL: "/efi", "/boot", "/boot/efi"), NULL-terminated,
 * and pick the XBOOTLDR if one is mounted, else the ESP. Mount points whose
 * type cannot be determined do not count. -ENOENT if neither is found. */
int boot_partition_discover(const char *const *candidates, BootPartition *ret);

/* A partition in a GPT disk image. */
typedef struct BootImagePartition {
        size_t partno;          /* 0-based slot in the GPT entry array */
        uint64_t offset;        /* bytes from the start of the image */
        uint64_t size;          /* bytes */
        char type[37];          /* type GUID, lowercase */
        char uuid[37];          /* partition GUID, lowercase ("" if none) */
        BootPartitionKind kind;
} BootImagePartition;

/* Read the GPT of a disk image (regular file or block device) and return its
 * $BOOT: the first XBOOTLDR partition, else the first ESP.
 * -EMEDIUMTYPE no GPT, -ENOENT neither partition, -EBADMSG broken table
 * (disk_image_last_error() says why). */
int gpt_find_boot_partition(const char *disk, BootImagePartition *ret);

/* Same, but for the ESP only (used to list the ESP next to XBOOTLDR). */
int gpt_find_partition(const char *disk, BootPartitionKind kind, BootImagePartition *ret);

/* A partition of an image, attached to a loop device and mounted. */
typedef struct BootImageMount {
        char *mount_dir;        /* private temporary directory */
        char *loop_dev;         /* /dev/loopN */
        int loop_fd;            /* kept open: the loop device has autoclear set */
        BootImagePartition part;
        bool mounted;
} BootImageMount;

#define BOOT_IMAGE_MOUNT_INIT { .loop_fd = -1 }

/* Mount partition part of disk. Needs root (-EPERM otherwise, before
 * anything is attached). -ENODEV if the kernel cannot mount the partition's
 * file system type (e.g. no vfat driver), -EMEDIUMTYPE if the partition holds
 * no recognisable file system. tmp_parent is where the mount directory is
 * created (NULL: $TMPDIR or /tmp). */
int boot_image_mount(const char *disk, const BootImagePartition *part, bool read_only,
                     const char *tmp_parent, BootImageMount *ret);

/* Unmount, detach, remove the temporary directory; safe to call twice.
 * Returns the first error (the partition is still detached lazily). */
int boot_image_umount(BootImageMount *m);
