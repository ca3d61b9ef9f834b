/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Instances: the versions of one resource found in its directory (target:
 * installed, source: available), named by the resource's patterns. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gpt.h"
#include "update-transfer.h"

#define UPDATE_INSTANCES_SCAN_MAX 4096u

typedef struct UpdateInstance {
        char *name;             /* file name in the directory */
        char *path;             /* full path */
        UpdateMeta meta;        /* from the name */
        uint64_t mtime_usec, mode, size;        /* from the file system */
        bool is_dir;
        bool is_partition;      /* partition targets: path is fdisk's name, slot the entry */
        GptPartition slot;
        bool has_listed;        /* url-file: SHA256SUMS gave listed[] */
        uint8_t listed[32];
} UpdateInstance;

typedef struct UpdateInstances {
        UpdateInstance *items;  /* newest version first */
        size_t n;
} UpdateInstances;

/* Scan dir for entries of the resource's type matching one of its
 * patterns (the first matching pattern counts). Temporary files (".#...")
 * and entries older than min_version (if not NULL) are skipped. A missing
 * directory gives no instances. */
int update_instances_scan(const UpdateResource *res, const char *dir, const char *min_version,
                          UpdateInstances *ret);
void update_instances_done(UpdateInstances *l);

/* url-file: the instances SHA256SUMS at url lists (after checking
 * SHA256SUMS.gpg with the import keyring under root when verify). */
int update_instances_scan_url(const UpdateResource *res, const char *url, const char *root, bool verify,
                              UpdateInstances *ret, UkitError *err);

/* Newest version first; versions that compare equal ("1", "01") by path,
 * as systemd-sysupdate 257 sorts them. */
void update_instances_sort(UpdateInstances *l);

/* The instance of version v (compared as versions), or NULL; of several
 * equal ones the one 257's binary search finds. */

const UpdateInstance *update_instances_find(const UpdateInstances *l, const char *v);
