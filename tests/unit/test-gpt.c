/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GPT writer/reader round trip, on-disk GUID byte order, CRC-32 check
 * value, and rejection of malformed tables. sgdisk/sfdisk judge the
 * writer's output in tests/interop/test-sysext-build.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "ddi.h"
#include "fileio.h"
#include "gpt.h"

#define DISK (4u * 1024u * 1024u)

static int tmpfd(void) {
        FILE *f = tmpfile();
        CHECK(f);
        int fd = dup(fileno(f));
        fclose(f);
        return fd;
}

static uint8_t *read_all(int fd, size_t n) {
        uint8_t *b = malloc(n);
        CHECK(b);
        CHECK(pread_full(fd, b, n, 0) == 0);
        return b;
}

static void test_uuid_crc(void) {
        uint8_t u[16];
        char s[37];

        CHECK_EQ_INT(gpt_crc32("123456789", 9), 0xcbf43926u);  /* the standard check value */
        CHECK(uuid_from_string("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", u) == 0);
        CHECK_EQ_INT(u[0], 0x4f);
        CHECK_EQ_INT(u[15], 0x09);
        uuid_to_string(u, s);
        CHECK_EQ_STR(s, "4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
        CHECK(uuid_from_string("4f68bce3-e8cd-4db1-96e7-fbcaf984b70", u) == -EINVAL);
        CHECK(uuid_from_string("4f68bce3xe8cd-4db1-96e7-fbcaf984b709", u) == -EINVAL);
        CHECK(uuid_from_string("4f68bce3-e8cd-4db1-96e7-fbcaf984b70g", u) == -EINVAL);
        memset(u, 0xff, 16);
        uuid_make_v4(u);
        CHECK_EQ_INT(u[6], 0x4f);
        CHECK_EQ_INT(u[8], 0xbf);
}

static void test_roundtrip(void) {
        GptPartition p[2] = {};
        uint8_t disk[16];
        int fd = tmpfd();

        CHECK(ftruncate(fd, DISK) == 0);
        CHECK(uuid_from_string("01234567-89ab-cdef-0123-456789abcdef", disk) == 0);
        CHECK(ddi_type_uuid("x86-64", false, DDI_DATA, p[0].type) == 0);
        CHECK(ddi_type_uuid("x86-64", false, DDI_VERITY, p[1].type) == 0);
        memset(p[0].uuid, 0x11, 16);
        memset(p[1].uuid, 0x22, 16);
        p[0].first_lba = 2048; p[0].last_lba = 4095;
        p[1].first_lba = 4096; p[1].last_lba = 4103;
        p[1].flags = GPT_FLAG_READ_ONLY;
        strcpy(p[0].label, "root-x86-64");
        strcpy(p[1].label, "root-x86-64-verity");
        CHECK(gpt_write(fd, DISK, disk, p, 2) == 0);

        uint8_t *b = read_all(fd, DISK);
        CHECK(memcmp(b + 512, "EFI PART", 8) == 0);
        CHECK(b[510] == 0x55 && b[511] == 0xaa && b[446 + 4] == 0xee);
        /* type GUID 4f68bce3-e8cd-4db1-... is stored e3 bc 68 4f cd e8 b1 4d 96 e7 ... */
        static const uint8_t on_disk[] = { 0xe3, 0xbc, 0x68, 0x4f, 0xcd, 0xe8, 0xb1, 0x4d, 0x96, 0xe7 };
        CHECK(memcmp(b + 1024, on_disk, sizeof(on_disk)) == 0);
        /* label UTF-16LE */
        CHECK(b[1024 + 56] == 'r' && b[1024 + 57] == 0);
        /* backup header in the last sector */
        CHECK(memcmp(b + DISK - 512, "EFI PART", 8) == 0);

        GptTable t = {};
        CHECK(gpt_read_buffer(b, DISK, &t, NULL) == 0);
        CHECK_EQ_INT(t.sector_size, 512);
        CHECK_EQ_INT(t.n_partitions, 2);
        CHECK(memcmp(t.disk_guid, disk, 16) == 0);
        CHECK(memcmp(t.partitions[0].type, p[0].type, 16) == 0);
        CHECK_EQ_INT(t.partitions[1].first_lba, 4096);
        CHECK_EQ_INT(t.partitions[1].flags, GPT_FLAG_READ_ONLY);
        CHECK_EQ_STR(t.partitions[1].label, "root-x86-64-verity");
        gpt_table_done(&t);

        CHECK(gpt_read_fd(fd, &t, NULL) == 0);
        CHECK_EQ_INT(t.n_partitions, 2);
        gpt_table_done(&t);

        /* header CRC: refused; the _any reader takes the backup copy
         * instead and refuses when both are damaged */
        b[512 + 40] ^= 1;
        CHECK(gpt_read_buffer(b, DISK, &t, NULL) == -EBADMSG);
        CHECK(gpt_read_buffer_any(b, DISK, &t, NULL) == 0);
        CHECK_EQ_STR(t.partitions[1].label, "root-x86-64-verity");
        gpt_table_done(&t);
        b[DISK - 512 + 40] ^= 1;
        CHECK(gpt_read_buffer_any(b, DISK, &t, NULL) == -EBADMSG);
        b[512 + 40] ^= 1;
        b[DISK - 512 + 40] ^= 1;
        /* entry array CRC, both copies */
        b[1024 + 100] ^= 1;
        CHECK(gpt_read_buffer(b, DISK, &t, NULL) == -EBADMSG);
        b[DISK - 512 - 16384 + 100] ^= 1;
        CHECK(gpt_read_buffer_any(b, DISK, &t, NULL) == -EBADMSG);
        b[1024 + 100] ^= 1;
        b[DISK - 512 - 16384 + 100] ^= 1;
        CHECK(gpt_read_buffer(b, DISK, &t, NULL) == 0);
        gpt_table_done(&t);
        /* truncated */
        CHECK(gpt_read_buffer(b, 1024, &t, NULL) == -EBADMSG);
        CHECK(gpt_read_buffer(b, 100, &t, NULL) == -ENOENT);
        memset(b + 512, 0, 8);
        CHECK(gpt_read_buffer(b, DISK, &t, NULL) == -ENOENT);
        free(b);

        /* writer refuses overlaps, out-of-range and non-ASCII labels */
        p[1].first_lba = 4000;
        CHECK(gpt_write(fd, DISK, disk, p, 2) == -EINVAL);
        p[1].first_lba = 4096;
        p[1].last_lba = DISK / 512;
        CHECK(gpt_write(fd, DISK, disk, p, 2) == -EINVAL);
        p[1].last_lba = 4103;
        p[1].label[0] = (char) 0xc3;
        CHECK(gpt_write(fd, DISK, disk, p, 2) == -EINVAL);
        CHECK(gpt_write(fd, 1000, disk, p, 0) == -EINVAL);
        close(fd);
}

static void test_ddi(void) {
        uint8_t root[VERITY_DIGEST_MAX];
        char json[] = "{\"rootHash\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"signature\":\"AAEC\"}";
        int fs = tmpfd(), hash = tmpfd(), out = tmpfd();
        uint8_t blk[4096];
        VerityParams vp;
        size_t rs;

        memset(blk, 0x42, sizeof(blk));
        CHECK(pwrite_full(fs, blk, sizeof(blk), 0) == 0);
        CHECK(pwrite_full(fs, blk, sizeof(blk), 4096) == 0);
        verity_params_default(&vp);
        vp.data_blocks = 2;
        uint64_t hs;
        CHECK(verity_hash_size(&vp, &hs) == 0);
        CHECK(verity_format(&vp, fs, 0, hash, 0, root, &rs) == 0);
        DdiBuild b = {
                .arch = "x86-64", .fs_fd = fs, .fs_size = 8192, .hash_fd = hash, .hash_size = hs,
                .root_hash = root, .root_hash_size = 32, .sig_json = json, .sig_json_size = strlen(json),
        };
        CHECK(ddi_write(out, &b) == 0);

        DdiImage d = {};
        CHECK(ddi_dissect(out, "x86-64", &d, NULL) == 0);
        CHECK(!d.usr);
        CHECK(d.part[DDI_DATA].found && d.part[DDI_VERITY].found && d.part[DDI_VERITY_SIG].found);
        CHECK_EQ_INT(d.part[DDI_DATA].offset, 2048 * 512);
        CHECK(d.has_verity);
        CHECK_EQ_INT(d.verity.data_blocks, 2);
        CHECK(ddi_roothash_matches_uuids(&d, root, 32) == 1);
        root[0] ^= 1;
        CHECK(ddi_roothash_matches_uuids(&d, root, 32) == 0);
        CHECK_EQ_STR(d.sig_roothash_hex, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        CHECK_EQ_INT(d.sig_der_size, 3);
        ddi_image_done(&d);
        /* other architecture: no partitions for it */
        CHECK(ddi_dissect(out, "arm64", &d, NULL) == -ENXIO);
        CHECK(ddi_dissect(out, "s390", &d, NULL) == -EOPNOTSUPP);
        close(fs);
        close(hash);
        close(out);
}

/* gpt_update_entry(): both copies changed, CRCs valid, LBAs must match;
 * a damaged primary is rebuilt from the backup. */
static void test_update_entry(void) {
        uint8_t disk[16] = { 1, 2, 3 };
        GptPartition p[2] = {
                { .first_lba = 2048, .last_lba = 4095, .label = "usr_1" },
                { .first_lba = 4096, .last_lba = 6143, .label = "_empty" },
        };
        GptTable t = {};
        int fd = tmpfd();

        CHECK(uuid_from_string("8484680c-9521-48c6-9c11-b0720656f69e", p[0].type) == 0);
        memcpy(p[1].type, p[0].type, 16);
        p[1].uuid[0] = 7;
        CHECK(ftruncate(fd, DISK) == 0);
        CHECK(gpt_write(fd, DISK, disk, p, 2) == 0);
        CHECK(gpt_read_fd(fd, &t, NULL) == 0);
        GptPartition e = t.partitions[1];
        gpt_table_done(&t);
        snprintf(e.label, sizeof(e.label), "usr_2");
        e.flags = GPT_FLAG_READ_ONLY;
        e.uuid[0] = 9;
        CHECK(gpt_update_entry(fd, 512, &e) == 0);
        uint8_t *b = read_all(fd, DISK);
        CHECK(gpt_read_buffer(b, DISK, &t, NULL) == 0);
        CHECK_EQ_STR(t.partitions[1].label, "usr_2");
        CHECK_EQ_STR(t.partitions[0].label, "usr_1");
        CHECK_EQ_INT(t.partitions[1].flags, GPT_FLAG_READ_ONLY);
        CHECK_EQ_INT(t.partitions[1].uuid[0], 9);
        gpt_table_done(&t);
        b[512 + 40] ^= 1;               /* the backup says the same */
        CHECK(gpt_read_buffer_any(b, DISK, &t, NULL) == 0);
        CHECK_EQ_STR(t.partitions[1].label, "usr_2");
        gpt_table_done(&t);
        CHECK(pwrite(fd, b + 512, 512, 512) == 512);   /* damaged primary on disk */
        free(b);
        snprintf(e.label, sizeof(e.label), "_empty");
        CHECK(gpt_update_entry(fd, 512, &e) == 0);
        b = read_all(fd, DISK);
        CHECK(memcmp(b + 512, "EFI PART", 8) == 0);
        b[DISK - 512 + 40] ^= 1;        /* the primary alone, rebuilt */
        CHECK(gpt_read_buffer(b, DISK, &t, NULL) == 0);
        CHECK_EQ_STR(t.partitions[1].label, "_empty");
        gpt_table_done(&t);
        free(b);
        e.last_lba++;
        CHECK(gpt_update_entry(fd, 512, &e) == -EINVAL);
        e.last_lba--;
        e.label[0] = (char) 0xc3;
        CHECK(gpt_update_entry(fd, 512, &e) == -EINVAL);
        close(fd);
}

int main(void) {
        test_uuid_crc();
        test_roundtrip();
        test_update_entry();
        test_ddi();
        TEST_DONE();
}
