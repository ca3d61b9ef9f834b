/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* GUID Partition Table (UEFI 2.10 §5.3) writer and reader.
 *
 * UUIDs are kept in memory in their text order ("4f68bce3-e8cd-..." ->
 * 4f 68 bc e3 e8 cd ...); on disk GPT stores the first three fields
 * little-endian, which gpt.c converts. The writer always uses 512-byte
 * sectors and 128 entries of 128 bytes (a 16 KiB array), the layout every
 * partitioning tool produces; the reader accepts 512 and 4096-byte sectors
 * and any entry size that is a multiple of 128. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define GPT_SECTOR_SIZE         512u
#define GPT_ENTRY_SIZE          128u
#define GPT_ENTRIES             128u
#define GPT_ENTRIES_MAX         1024u   /* reader limit */
#define GPT_LABEL_MAX           36u     /* UTF-16 code units */
#define GPT_ENTRY_ARRAY_MAX     (1024u * 1024u)

#define GPT_FLAG_READ_ONLY      (UINT64_C(1) << 60)
#define GPT_FLAG_GROWFS         (UINT64_C(1) << 59)
#define GPT_FLAG_NO_AUTO        (UINT64_C(1) << 63)

typedef struct GptPartition {
        uint8_t type[16];
        uint8_t uuid[16];
        uint64_t first_lba, last_lba;   /* inclusive, in sectors */
        uint64_t flags;
        char label[GPT_LABEL_MAX * 3 + 1]; /* UTF-8 */
        unsigned index;                 /* 0-based slot in the entry array (reader) */
} GptPartition;

typedef struct GptTable {
        uint32_t sector_size;
        uint8_t disk_guid[16];
        uint64_t first_usable, last_usable;
        size_t n_partitions;            /* non-empty entries only */
        GptPartition *partitions;
} GptTable;

void gpt_table_done(GptTable *t);

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (case-insensitive). -EINVAL if malformed. */
int uuid_from_string(const char *s, uint8_t ret[16]);
/* 37 bytes incl. NUL, lower case. */
void uuid_to_string(const uint8_t u[16], char ret[37]);
/* Stamp RFC 4122 version 4 / variant bits onto 16 random-looking bytes. */
void uuid_make_v4(uint8_t u[16]);
bool uuid_is_null(const uint8_t u[16]);

uint32_t gpt_crc32(const void *data, size_t n);

/* Write protective MBR, primary header + entries and backup entries +
 * header to fd, for a disk of disk_size bytes (multiple of 512, the caller
 * has sized the file). Partitions must lie inside the usable area and not
 * overlap (-EINVAL). At most GPT_ENTRIES partitions; labels must be ASCII. */
int gpt_write(int fd, uint64_t disk_size, const uint8_t disk_guid[16],
              const GptPartition *parts, size_t n);

/* One 128-byte entry as on disk (ASCII label, caller-checked). */
void gpt_entry_encode(const GptPartition *p, uint8_t e[GPT_ENTRY_SIZE]);

/* Rewrite the entry in slot p->index of the GPT on fd in place: type,
 * UUID, flags and label from p (its LBAs must match the entry's). The
 * backup copy is written and synced first, then the primary, each with
 * its entry-array and header CRC32, so an interruption leaves one valid
 * copy with either the old or the new entry. A damaged primary copy is
 * rebuilt from the backup (as gpt_read_fd_any() reads it). -EINVAL for
 * a non-ASCII or over-long label or LBAs that do not match, -EBADMSG if
 * neither copy is a valid GPT. */
int gpt_update_entry(int fd, uint32_t sector_size, const GptPartition *p);

/* First and last usable LBA of a 512-byte-sector disk of disk_size bytes. */
int gpt_usable_range(uint64_t disk_size, uint64_t *ret_first, uint64_t *ret_last);

/* Reader over an arbitrary byte source (file, memory), so the same code is
 * fuzzed and used on images. read() returns 0 or -errno (-EIO if short). */
typedef int (*GptReadFn)(void *userdata, void *buf, size_t n, uint64_t off);

/* Find and validate the primary GPT (signature, header CRC, entry-array
 * CRC, bounds, no overlaps). A damaged primary is refused, never silently
 * replaced by the backup (images are hostile input). -ENOENT no GPT,
 * -EBADMSG malformed (err names the structure and the field: "GPT header
 * (512-byte sectors): HeaderCRC32 mismatch"), -ENOTUNIQ valid headers for
 * both sector sizes. */
int gpt_read(GptReadFn read, void *userdata, uint64_t disk_size, GptTable *ret, UkitError *err);
int gpt_read_fd(int fd, GptTable *ret, UkitError *err);
int gpt_read_buffer(const void *data, size_t size, GptTable *ret, UkitError *err);
/* The same, but a malformed primary is replaced by the backup copy in the
 * last LBA if that is valid (-EBADMSG only if both are malformed): for
 * disks ukit itself changes in place (gpt_update_entry()), where an
 * interrupted write can leave the primary damaged. */
int gpt_read_fd_any(int fd, GptTable *ret, UkitError *err);
int gpt_read_buffer_any(const void *data, size_t size, GptTable *ret, UkitError *err);
