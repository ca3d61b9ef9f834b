/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Type=partition targets (sysupdate.d(5)): GPT partitions of one disk (a
 * block device or a disk image file) of the MatchPartitionType= type. A
 * slot labelled "_empty" is unused; any other label is matched against
 * MatchPattern= and names an installed version. As systemd-sysupdate 257
 * does, a slot keeps its "_empty" label while its payload is written; it
 * gets the version's label (with PartitionUUID=, PartitionFlags= and the
 * NoAuto/ReadOnly/GrowFileSystem bits the type has meanings for) only
 * after the payload is synced. The table is changed with
 * gpt_update_entry(): backup copy first, then the primary. */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "gpt.h"
#include "update-instance.h"
#include "update-transfer.h"

#define UPDATE_EMPTY_LABEL "_empty"

/* "usr", "root-verity-sig", "usr-arm64", "esp", "xbootldr", "swap",
 * "home", "srv", "var", "tmp", "linux-generic" (systemd's names; without
 * an architecture: the native one) or a UUID. -EINVAL if unknown. */
int update_partition_type_from_string(const char *s, uint8_t ret[16]);

/* Whether the type gives the NoAuto (63), ReadOnly (60) and GrowFileSystem
 * (59) attribute bits a meaning; only then do the settings change them. */
bool update_partition_type_knows_no_auto(const uint8_t type[16]);
bool update_partition_type_knows_read_only(const uint8_t type[16]);
bool update_partition_type_knows_growfs(const uint8_t type[16]);

/* fdisk's name for partition number (1-based) of disk: "/dev/loop0p3",
 * "disk.raw3". */
char *update_partition_name(const char *disk, unsigned number);

/* The installed instances on disk (each with its slot in .slot) and the
 * number of "_empty" slots of the type. A disk that does not exist is an
 * error (-ENOENT), unlike a missing target directory. */
int update_partition_scan(const UpdateTransfer *t, const char *disk, UpdateInstances *ret, size_t *ret_n_empty,
                          UkitError *err);

/* Relabel in's slot "_empty" (vacuum); UUID, type and flags stay. */
int update_partition_empty(const char *disk, const UpdateInstance *in, UkitError *err);

/* The smallest "_empty" slot of t's type holding at least space bytes
 * (UPDATE_UNSET: any size), not one of the n_busy slot indexes already
 * taken in this run. -ENOSPC if none. */
int update_partition_find_slot(const UpdateTransfer *t, const char *disk, uint64_t space, const unsigned *busy,
                               size_t n_busy, GptPartition *ret, uint32_t *ret_sector_size, UkitError *err);

/* The entry slot gets once its payload is in: label, and the UUID, flags
 * and bits m sets (m as the target pattern sees the new instance). */
void update_partition_entry(const GptPartition *slot, const char *label, const UpdateMeta *m, GptPartition *ret);

/* Write p (from update_partition_entry() or a slot) into disk's table. */
int update_partition_set_entry(const char *disk, const GptPartition *p, UkitError *err);

/* Judges the SHA-256 of what was read: < 0 (reason in err) refuses it. */
typedef int (*UpdateDigestCheck)(const uint8_t digest[32], const void *userdata, UkitError *err);

/* Write the payload read from in, or (url non-NULL) streamed from url as
 * it arrives, with no copy anywhere else (decompressed as
 * update_copy_decompress() does) into the smallest free slot; have check
 * judge the SHA-256 of what was read, then sync the slot and give the
 * entry it is to get (label, m's settings) in *ret_entry. The slot keeps
 * "_empty" until update_partition_set_entry(). -EFBIG if the payload does
 * not fit the slot. */
int update_partition_acquire(const UpdateTransfer *t, const char *disk, int in, const char *url, const UpdateMeta *m,
                             const char *label, const unsigned *busy, size_t n_busy, UpdateDigestCheck check,
                             const void *userdata, GptPartition *ret_entry, UkitError *err);
