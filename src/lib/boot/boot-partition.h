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
 * (--image): boot-image.h.
 *
 * Returns -errno; never prints. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mountinfo.h"

#define GPT_ESP_TYPE            "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_XBOOTLDR_TYPE       "bc13c2ff-59e6-4262-a352-b275fd6f7172"

typedef enum BootPartitionKind {
        BOOT_PARTITION_UNKNOWN,         /* not a GPT partition, or type unreadable */
        BOOT_PARTITION_ESP,
        BOOT_PARTITION_XBOOTLDR,
        BOOT_PARTITION_OTHER,           /* a GPT partition of some other type */
} BootPartitionKind;

const char *boot_partition_kind_name(BootPartitionKind k);     /* "esp", "xbootldr", ... */

/* Classify a GPT partition type GUID string (case-insensitive). */
BootPartitionKind boot_partition_kind_from_type(const char *guid);

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
