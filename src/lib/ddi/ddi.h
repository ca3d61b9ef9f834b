/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Discoverable Disk Images (UAPI.3) for extensions: a GPT with one root
 * (or usr) file system partition, its dm-verity hash partition and
 * optionally a verity signature partition, with the Discoverable
 * Partitions Specification type UUIDs and the root-hash <-> partition UUID
 * convention (data UUID = root hash bytes 0..15, verity UUID = 16..31). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpt.h"
#include "verity.h"

#define DDI_ALIGN               4096u
#define DDI_FIRST_LBA           2048u   /* 1 MiB, like every partitioning tool */

typedef enum DdiRole {
        DDI_DATA,
        DDI_VERITY,
        DDI_VERITY_SIG,
        _DDI_ROLE_MAX,
} DdiRole;

/* "x86-64", "arm64" (systemd's ConditionArchitecture= names). */
const char *ddi_native_arch(void);
bool ddi_arch_known(const char *arch);

/* Type UUID for (arch, root or usr, role); -EOPNOTSUPP for unknown arch. */
int ddi_type_uuid(const char *arch, bool usr, DdiRole role, uint8_t ret[16]);

/* Default partition label, systemd-repart's: "root-x86-64-verity" etc. */
int ddi_label(const char *arch, bool usr, DdiRole role, char *buf, size_t bufsz);

typedef struct DdiBuild {
        const char *arch;
        bool usr;
        int fs_fd;                      /* file system image, read from offset 0 */
        uint64_t fs_size;               /* padded with zeros to a multiple of DDI_ALIGN */
        int hash_fd;
        uint64_t hash_size;
        const uint8_t *root_hash;       /* >= 32 bytes */
        size_t root_hash_size;
        const char *sig_json;           /* NULL: no signature partition */
        size_t sig_json_size;
        uint8_t disk_guid[16];
        uint8_t sig_uuid[16];
} DdiBuild;

/* Write the complete image to out_fd (truncated and sized here). */
int ddi_write(int out_fd, const DdiBuild *b);

typedef struct DdiPart {
        bool found;
        uint64_t offset, size;          /* bytes */
        uint8_t uuid[16];
        uint64_t flags;
        char label[GPT_LABEL_MAX * 3 + 1];
} DdiPart;

typedef struct DdiImage {
        bool usr;                       /* the data partition is usr, not root */
        const char *arch;
        DdiPart part[_DDI_ROLE_MAX];
        bool has_verity;
        VerityParams verity;            /* from the verity superblock */
        /* From the signature partition, if present. */
        char *sig_roothash_hex;
        uint8_t *sig_der;
        size_t sig_der_size;
} DdiImage;

void ddi_image_done(DdiImage *d);

/* Find the extension partitions for arch (root preferred over usr; a single
 * generic-Linux partition is accepted as root). -ENOENT not a GPT,
 * -ENXIO no root/usr partition, -EBADMSG malformed verity superblock or
 * signature partition, -ENOTUNIQ two candidates of the same kind. For
 * -EBADMSG and -EOPNOTSUPP err names the structure and the field. */
int ddi_dissect(int fd, const char *arch, DdiImage *ret, UkitError *err);

/* Does the root hash follow the UUID convention for d? 1 yes, 0 no. */
int ddi_roothash_matches_uuids(const DdiImage *d, const uint8_t *root, size_t n);
