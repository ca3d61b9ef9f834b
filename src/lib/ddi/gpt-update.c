/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changing one entry of an existing GPT in place (UEFI 2.10 §5.3.2): the
 * header's PartitionEntryArrayCRC32 covers the whole array and the
 * HeaderCRC32 the header with that field zeroed; the backup header at the
 * last LBA points at its own array (PartitionEntryLBA). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "gpt.h"
#include "util.h"

#define HEADER_SIZE_MIN 92u

typedef struct GptCopy {
        uint8_t *hdr;           /* one sector */
        uint8_t *array;
        uint64_t array_off;
        size_t array_size;
        uint32_t hsize;
} GptCopy;

static void copy_done(GptCopy *c) {
        free(c->hdr);
        free(c->array);
}

/* Read and check the header at lba and its array. */
static int copy_read(int fd, uint32_t ss, uint64_t lba, uint64_t disk_size, GptCopy *ret) {
        GptCopy c = {};
        uint32_t crc, n, esize;
        uint64_t array_lba, end;
        int r;

        c.hdr = malloc(ss);
        if (!c.hdr)
                return -ENOMEM;
        r = pread_full(fd, c.hdr, ss, lba * ss);
        if (r < 0)
                goto fail;
        r = -EBADMSG;
        if (memcmp(c.hdr, "EFI PART", 8) != 0 || le64_read(c.hdr + 24) != lba)
                goto fail;
        c.hsize = le32_read(c.hdr + 12);
        if (c.hsize < HEADER_SIZE_MIN || c.hsize > ss)
                goto fail;
        crc = le32_read(c.hdr + 16);
        le32_write(c.hdr + 16, 0);
        if (gpt_crc32(c.hdr, c.hsize) != crc)
                goto fail;
        array_lba = le64_read(c.hdr + 72);
        n = le32_read(c.hdr + 80);
        esize = le32_read(c.hdr + 84);
        if (n > GPT_ENTRIES_MAX || esize < GPT_ENTRY_SIZE || esize % GPT_ENTRY_SIZE != 0 || esize > 1024)
                goto fail;
        c.array_size = (size_t) n * esize;
        if (!MUL_OK(array_lba, (uint64_t) ss, &c.array_off) || !ADD_OK(c.array_off, (uint64_t) c.array_size, &end) ||
            end > disk_size || array_lba < 2)
                goto fail;
        c.array = malloc(c.array_size ? c.array_size : 1);
        if (!c.array) {
                r = -ENOMEM;
                goto fail;
        }
        r = pread_full(fd, c.array, c.array_size, c.array_off);
        if (r < 0)
                goto fail;
        if (gpt_crc32(c.array, c.array_size) != le32_read(c.hdr + 88)) {
                r = -EBADMSG;
                goto fail;
        }
        *ret = c;
        return 0;
fail:
        copy_done(&c);
        return r;
}

/* Put p into c's array, fix both CRCs, write array then header, sync. */
static int copy_write(int fd, uint32_t ss, uint64_t lba, GptCopy *c, const GptPartition *p) {
        uint32_t esize = le32_read(c->hdr + 84);
        uint8_t *e;
        int r;

        if ((uint64_t) p->index * esize + esize > c->array_size)
                return -EINVAL;
        e = c->array + (size_t) p->index * esize;
        if (le64_read(e + 32) != p->first_lba || le64_read(e + 40) != p->last_lba)
                return -EINVAL;
        gpt_entry_encode(p, e);
        le32_write(c->hdr + 88, gpt_crc32(c->array, c->array_size));
        le32_write(c->hdr + 16, 0);
        le32_write(c->hdr + 16, gpt_crc32(c->hdr, c->hsize));
        r = pwrite_full(fd, c->array, c->array_size, c->array_off);
        if (r >= 0)
                r = pwrite_full(fd, c->hdr, ss, lba * ss);
        if (r >= 0 && fdatasync(fd) < 0)
                r = -errno;
        return r;
}

/* One copy rebuilt from the other (as libfdisk does on write): the same
 * header and array, the header at my_lba pointing at alt_lba and its array
 * at array_lba. The primary's array must end before the first usable LBA,
 * the backup's start after the last usable one. */
static int copy_rebuild(const GptCopy *from, uint32_t ss, uint64_t my_lba, uint64_t alt_lba, uint64_t array_lba,
                        GptCopy *ret) {
        GptCopy c = { .hsize = from->hsize, .array_size = from->array_size, .array_off = array_lba * ss };
        uint64_t sectors = (from->array_size + ss - 1) / ss;

        if (my_lba == 1 ? array_lba + sectors > le64_read(from->hdr + 40)
                        : array_lba <= le64_read(from->hdr + 48) || array_lba + sectors > my_lba)
                return -EBADMSG;
        c.hdr = malloc(ss);
        c.array = malloc(from->array_size ? from->array_size : 1);
        if (!c.hdr || !c.array) {
                copy_done(&c);
                return -ENOMEM;
        }
        memcpy(c.hdr, from->hdr, ss);
        memcpy(c.array, from->array, from->array_size);
        le64_write(c.hdr + 24, my_lba);
        le64_write(c.hdr + 32, alt_lba);
        le64_write(c.hdr + 72, array_lba);
        *ret = c;
        return 0;
}

int gpt_update_entry(int fd, uint32_t ss, const GptPartition *p) {
        GptCopy primary = {}, backup = {};
        uint64_t disk_size, alt;
        int r;

        if (ss != 512 && ss != 4096)
                return -EINVAL;
        if (strlen(p->label) > GPT_LABEL_MAX)
                return -EINVAL;
        for (const char *c = p->label; *c; c++)
                if ((unsigned char) *c >= 0x80 || (unsigned char) *c < 0x20)
                        return -EINVAL;
        r = fd_get_size(fd, &disk_size);
        if (r < 0)
                return r;
        if (disk_size / ss < 3)
                return -EBADMSG;
        /* One damaged copy (an earlier write interrupted between an array
         * and its header) is rebuilt from the other, which is the table. */
        r = copy_read(fd, ss, 1, disk_size, &primary);
        if (r == -EBADMSG) {
                alt = disk_size / ss - 1;
                r = copy_read(fd, ss, alt, disk_size, &backup);
                if (r >= 0)
                        r = copy_rebuild(&backup, ss, 1, alt, 2, &primary);
        } else if (r >= 0) {
                alt = le64_read(primary.hdr + 32);
                if (alt < 2 || alt >= disk_size / ss)
                        r = -EBADMSG;
                if (r >= 0)
                        r = copy_read(fd, ss, alt, disk_size, &backup);
                if (r == -EBADMSG)
                        r = copy_rebuild(&primary, ss, alt, 1, alt - (primary.array_size + ss - 1) / ss, &backup);
        }
        if (r >= 0)
                r = copy_write(fd, ss, alt, &backup, p);
        if (r >= 0)
                r = copy_write(fd, ss, 1, &primary, p);
        copy_done(&primary);
        copy_done(&backup);
        return r;
}
