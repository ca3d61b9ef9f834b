/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GPT per UEFI 2.10 §5.3: LBA 0 protective MBR, LBA 1 header, LBA 2..33
 * entry array; the backup array sits just before the backup header in the
 * last LBA. All CRCs are the IEEE 802.3 CRC-32 (as zlib's crc32()). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "gpt.h"
#include "util.h"

#define GPT_HEADER_SIZE 92u
#define GPT_REVISION    0x00010000u

void gpt_table_done(GptTable *t) {
        free(t->partitions);
        t->partitions = NULL;
        t->n_partitions = 0;
}

int uuid_from_string(const char *s, uint8_t ret[16]) {
        uint8_t u[16];
        size_t k = 0;

        if (strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36;) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return -EINVAL;
                        i++;
                        continue;
                }
                int hi = unhexchar(s[i]), lo = unhexchar(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                u[k++] = (uint8_t) (hi << 4 | lo);
                i += 2;
        }
        memcpy(ret, u, 16);
        return 0;
}

void uuid_to_string(const uint8_t u[16], char ret[37]) {
        size_t o = 0;
        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        ret[o++] = '-';
                ret[o++] = hexchar(u[i] >> 4);
                ret[o++] = hexchar(u[i]);
        }
        ret[o] = 0;
}

void uuid_make_v4(uint8_t u[16]) {
        u[6] = (uint8_t) ((u[6] & 0x0f) | 0x40);
        u[8] = (uint8_t) ((u[8] & 0x3f) | 0x80);
}

bool uuid_is_null(const uint8_t u[16]) {
        for (size_t i = 0; i < 16; i++)
                if (u[i])
                        return false;
        return true;
}

/* Text order <-> GPT's mixed-endian order (same swap both ways). */
static void guid_swap(const uint8_t in[16], uint8_t out[16]) {
        out[0] = in[3]; out[1] = in[2]; out[2] = in[1]; out[3] = in[0];
        out[4] = in[5]; out[5] = in[4];
        out[6] = in[7]; out[7] = in[6];
        memcpy(out + 8, in + 8, 8);
}

uint32_t gpt_crc32(const void *data, size_t n) {
        static uint32_t table[256];
        static bool init = false;
        const uint8_t *p = data;
        uint32_t c = 0xffffffffu;

        if (!init) {
                for (uint32_t i = 0; i < 256; i++) {
                        uint32_t v = i;
                        for (int k = 0; k < 8; k++)
                                v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
                        table[i] = v;
                }
                init = true;
        }
        for (size_t i = 0; i < n; i++)
                c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
        return c ^ 0xffffffffu;
}

int gpt_usable_range(uint64_t disk_size, uint64_t *ret_first, uint64_t *ret_last) {
        const uint64_t array_sectors = GPT_ENTRIES * GPT_ENTRY_SIZE / GPT_SECTOR_SIZE;
        uint64_t sectors = disk_size / GPT_SECTOR_SIZE;

        if (disk_size % GPT_SECTOR_SIZE != 0 || sectors < 2 * (1 + array_sectors) + 2)
                return -EINVAL;
        *ret_first = 2 + array_sectors;
        *ret_last = sectors - 2 - array_sectors;
        return 0;
}

void gpt_entry_encode(const GptPartition *p, uint8_t e[GPT_ENTRY_SIZE]) {
        memset(e, 0, GPT_ENTRY_SIZE);
        guid_swap(p->type, e);
        guid_swap(p->uuid, e + 16);
        le64_write(e + 32, p->first_lba);
        le64_write(e + 40, p->last_lba);
        le64_write(e + 48, p->flags);
        for (size_t i = 0; i < GPT_LABEL_MAX && p->label[i]; i++)
                le16_write(e + 56 + 2 * i, (uint8_t) p->label[i]);
}

static void header_encode(uint8_t h[GPT_SECTOR_SIZE], const uint8_t disk_guid[16], uint64_t my_lba,
                          uint64_t alt_lba, uint64_t first, uint64_t last, uint64_t array_lba, uint32_t array_crc) {
        memset(h, 0, GPT_SECTOR_SIZE);
        memcpy(h, "EFI PART", 8);
        le32_write(h + 8, GPT_REVISION);
        le32_write(h + 12, GPT_HEADER_SIZE);
        le64_write(h + 24, my_lba);
        le64_write(h + 32, alt_lba);
        le64_write(h + 40, first);
        le64_write(h + 48, last);
        guid_swap(disk_guid, h + 56);
        le64_write(h + 72, array_lba);
        le32_write(h + 80, GPT_ENTRIES);
        le32_write(h + 84, GPT_ENTRY_SIZE);
        le32_write(h + 88, array_crc);
        le32_write(h + 16, gpt_crc32(h, GPT_HEADER_SIZE));
}

int gpt_write(int fd, uint64_t disk_size, const uint8_t disk_guid[16],
              const GptPartition *parts, size_t n) {
        uint8_t array[GPT_ENTRIES * GPT_ENTRY_SIZE], mbr[GPT_SECTOR_SIZE], h[GPT_SECTOR_SIZE];
        uint64_t first, last, sectors = disk_size / GPT_SECTOR_SIZE;
        const uint64_t array_sectors = sizeof(array) / GPT_SECTOR_SIZE;
        int r;

        r = gpt_usable_range(disk_size, &first, &last);
        if (r < 0)
                return r;
        if (n > GPT_ENTRIES)
                return -EINVAL;
        memset(array, 0, sizeof(array));
        for (size_t i = 0; i < n; i++) {
                const GptPartition *p = parts + i;
                if (p->first_lba < first || p->last_lba > last || p->first_lba > p->last_lba)
                        return -EINVAL;
                if (strlen(p->label) > GPT_LABEL_MAX)
                        return -EINVAL;
                for (const char *c = p->label; *c; c++)
                        if ((unsigned char) *c >= 0x80)
                                return -EINVAL;
                for (size_t j = 0; j < i; j++)
                        if (!(p->last_lba < parts[j].first_lba || p->first_lba > parts[j].last_lba))
                                return -EINVAL;
                gpt_entry_encode(p, array + i * GPT_ENTRY_SIZE);
        }
        uint32_t array_crc = gpt_crc32(array, sizeof(array));

        /* Protective MBR: one 0xEE partition covering the disk (capped). */
        memset(mbr, 0, sizeof(mbr));
        uint8_t *pe = mbr + 446;
        pe[1] = 0x00; pe[2] = 0x02; pe[3] = 0x00;      /* CHS of LBA 1 */
        pe[4] = 0xee;
        pe[5] = 0xff; pe[6] = 0xff; pe[7] = 0xff;
        le32_write(pe + 8, 1);
        le32_write(pe + 12, (uint32_t) MIN(sectors - 1, (uint64_t) UINT32_MAX));
        mbr[510] = 0x55;
        mbr[511] = 0xaa;
        r = pwrite_full(fd, mbr, sizeof(mbr), 0);
        if (r < 0)
                return r;

        header_encode(h, disk_guid, 1, sectors - 1, first, last, 2, array_crc);
        r = pwrite_full(fd, h, sizeof(h), GPT_SECTOR_SIZE);
        if (r >= 0)
                r = pwrite_full(fd, array, sizeof(array), 2 * GPT_SECTOR_SIZE);
        if (r < 0)
                return r;

        uint64_t backup_array = sectors - 1 - array_sectors;
        header_encode(h, disk_guid, sectors - 1, 1, first, last, backup_array, array_crc);
        r = pwrite_full(fd, array, sizeof(array), backup_array * GPT_SECTOR_SIZE);
        if (r >= 0)
                r = pwrite_full(fd, h, sizeof(h), (sectors - 1) * GPT_SECTOR_SIZE);
        return r;
}

static void label_decode(const uint8_t *u16, char *out) {
        size_t o = 0;
        for (size_t i = 0; i < GPT_LABEL_MAX; i++) {
                uint16_t c = le16_read(u16 + 2 * i);
                if (c == 0)
                        break;
                if (c < 0x80)
                        out[o++] = (char) c;
                else if (c < 0x800) {
                        out[o++] = (char) (0xc0 | (c >> 6));
                        out[o++] = (char) (0x80 | (c & 0x3f));
                } else if (c >= 0xd800 && c <= 0xdfff)
                        out[o++] = '?';         /* surrogates: not worth decoding in labels */
                else {
                        out[o++] = (char) (0xe0 | (c >> 12));
                        out[o++] = (char) (0x80 | ((c >> 6) & 0x3f));
                        out[o++] = (char) (0x80 | (c & 0x3f));
                }
        }
        out[o] = 0;
}

#define HDR_FAIL(fmt, ...) \
        ukit_error(err, -EBADMSG, "GPT header (%" PRIu32 "-byte sectors): " fmt, ss, ##__VA_ARGS__)

/* 1 valid header at LBA lba at this sector size, 0 none, <0 error. */
static int gpt_try(GptReadFn read, void *ud, uint64_t disk_size, uint32_t ss, uint64_t lba, GptTable *ret,
                   UkitError *err) {
        _cleanup_free_ uint8_t *hdr = NULL, *array = NULL;
        GptTable t = { .sector_size = ss };
        int r;

        if (disk_size < 2 * (uint64_t) ss)
                return 0;
        hdr = malloc(ss);
        if (!hdr)
                return -ENOMEM;
        r = read(ud, hdr, ss, lba * ss);
        if (r < 0)
                return r;
        if (memcmp(hdr, "EFI PART", 8) != 0)
                return 0;

        uint32_t hsize = le32_read(hdr + 12);
        if (hsize < GPT_HEADER_SIZE || hsize > ss)
                return HDR_FAIL("HeaderSize %" PRIu32 " out of range", hsize);
        uint32_t crc = le32_read(hdr + 16);
        le32_write(hdr + 16, 0);
        if (gpt_crc32(hdr, hsize) != crc)
                return HDR_FAIL("HeaderCRC32 mismatch");
        if (le64_read(hdr + 24) != lba)
                return HDR_FAIL("MyLBA is %" PRIu64 ", not %" PRIu64, le64_read(hdr + 24), lba);

        uint64_t sectors = disk_size / ss;
        t.first_usable = le64_read(hdr + 40);
        t.last_usable = le64_read(hdr + 48);
        if (t.first_usable > t.last_usable || t.last_usable >= sectors)
                return HDR_FAIL("usable range FirstUsableLBA %" PRIu64 "..LastUsableLBA %" PRIu64
                                " invalid for %" PRIu64 " sectors", t.first_usable, t.last_usable, sectors);
        guid_swap(hdr + 56, t.disk_guid);
        uint64_t array_lba = le64_read(hdr + 72);
        uint32_t n = le32_read(hdr + 80), esize = le32_read(hdr + 84);
        if (n > GPT_ENTRIES_MAX)
                return HDR_FAIL("NumberOfPartitionEntries %" PRIu32 " too large", n);
        if (esize < GPT_ENTRY_SIZE || esize % GPT_ENTRY_SIZE != 0 || esize > 1024)
                return HDR_FAIL("SizeOfPartitionEntry %" PRIu32 " invalid", esize);
        uint64_t array_size = (uint64_t) n * esize, array_off, array_end;
        if (array_size > GPT_ENTRY_ARRAY_MAX || !MUL_OK(array_lba, (uint64_t) ss, &array_off) ||
            !ADD_OK(array_off, array_size, &array_end) || array_end > disk_size || array_lba < 2)
                return HDR_FAIL("partition entry array (PartitionEntryLBA %" PRIu64 ", %" PRIu64
                                " bytes) outside the disk", array_lba, array_size);

        array = malloc(array_size + 1);
        if (!array)
                return -ENOMEM;
        r = read(ud, array, (size_t) array_size, array_off);
        if (r < 0)
                return r;
        if (gpt_crc32(array, (size_t) array_size) != le32_read(hdr + 88))
                return HDR_FAIL("PartitionEntryArrayCRC32 mismatch");

        t.partitions = calloc(n ? n : 1, sizeof(GptPartition));
        if (!t.partitions)
                return -ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
                const uint8_t *e = array + (size_t) i * esize;
                GptPartition *p = t.partitions + t.n_partitions;
                guid_swap(e, p->type);
                if (uuid_is_null(p->type))
                        continue;
                guid_swap(e + 16, p->uuid);
                p->first_lba = le64_read(e + 32);
                p->last_lba = le64_read(e + 40);
                p->flags = le64_read(e + 48);
                p->index = i;
                label_decode(e + 56, p->label);
                if (p->first_lba < t.first_usable || p->last_lba > t.last_usable || p->first_lba > p->last_lba) {
                        gpt_table_done(&t);
                        return ukit_error(err, -EBADMSG, "GPT partition entry %" PRIu32 ": StartingLBA %" PRIu64
                                          "..EndingLBA %" PRIu64 " outside the usable range or inverted",
                                          i + 1, p->first_lba, p->last_lba);
                }
                for (size_t j = 0; j < t.n_partitions; j++)
                        if (!(p->last_lba < t.partitions[j].first_lba || p->first_lba > t.partitions[j].last_lba)) {
                                uint32_t other = t.partitions[j].index + 1;
                                gpt_table_done(&t);
                                return ukit_error(err, -EBADMSG, "GPT partition entries %" PRIu32 " and %" PRIu32
                                                  " overlap", other, i + 1);
                        }
                t.n_partitions++;
        }
        *ret = t;
        return 1;
}

/* The backup header in the last LBA, for a disk whose primary copy is
 * damaged (as an interrupted gpt_update_entry() can leave it): 1 found. */
static int gpt_try_backup(GptReadFn read, void *ud, uint64_t disk_size, GptTable *ret) {
        static const uint32_t sizes[] = { 512, 4096 };

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                if (disk_size / sizes[i] < 3)
                        continue;
                if (gpt_try(read, ud, disk_size, sizes[i], disk_size / sizes[i] - 1, ret, NULL) > 0)
                        return 1;
        }
        return 0;
}

static int read_table(GptReadFn read, void *userdata, uint64_t disk_size, bool backup, GptTable *ret,
                      UkitError *err) {
        /* Each sector size says its own reason; the one whose result is
         * returned is the one reported. */
        UkitError ea = UKIT_ERROR_INIT, eb = UKIT_ERROR_INIT;
        GptTable a = {}, b = {};
        int ra, rb;

        ra = gpt_try(read, userdata, disk_size, 512, 1, &a, &ea);
        rb = gpt_try(read, userdata, disk_size, 4096, 1, &b, &eb);
        if (ra > 0 && rb > 0) {
                gpt_table_done(&a);
                gpt_table_done(&b);
                return -ENOTUNIQ;
        }
        if (ra > 0) {
                *ret = a;
                return 0;
        }
        if (rb > 0) {
                *ret = b;
                return 0;
        }
        if (backup && (ra == -EBADMSG || rb == -EBADMSG) && gpt_try_backup(read, userdata, disk_size, ret) > 0)
                return 0;   /* the primary's complaint is kept if the backup does not help */
        if (ra < 0 && ra != -EIO)
                return ukit_error_copy(err, &ea, ra);
        if (rb < 0 && rb != -EIO)
                return ukit_error_copy(err, &eb, rb);
        if (ra == -EIO)
                return ukit_error(err, -EBADMSG, "GPT partition entry array beyond the end of the file");
        return -ENOENT;
}

static int read_fd(void *ud, void *buf, size_t n, uint64_t off) {
        return pread_full(*(int *) ud, buf, n, off);
}

static int read_fd_table(int fd, bool backup, GptTable *ret, UkitError *err) {
        uint64_t size;
        int r = fd_get_size(fd, &size);
        if (r < 0)
                return r;
        return read_table(read_fd, &fd, size, backup, ret, err);
}

int gpt_read(GptReadFn read, void *userdata, uint64_t disk_size, GptTable *ret, UkitError *err) {
        return read_table(read, userdata, disk_size, false, ret, err);
}

int gpt_read_fd(int fd, GptTable *ret, UkitError *err) {
        return read_fd_table(fd, false, ret, err);
}

int gpt_read_fd_any(int fd, GptTable *ret, UkitError *err) {
        return read_fd_table(fd, true, ret, err);
}

typedef struct MemSource {
        const uint8_t *data;
        size_t size;
} MemSource;

static int read_mem(void *ud, void *buf, size_t n, uint64_t off) {
        const MemSource *m = ud;
        if (off > m->size || n > m->size - off)
                return -EIO;
        memcpy(buf, m->data + off, n);
        return 0;
}

int gpt_read_buffer(const void *data, size_t size, GptTable *ret, UkitError *err) {
        MemSource m = { data, size };
        return read_table(read_mem, &m, size, false, ret, err);
}

int gpt_read_buffer_any(const void *data, size_t size, GptTable *ret, UkitError *err) {
        MemSource m = { data, size };
        return read_table(read_mem, &m, size, true, ret, err);
}
