/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* $BOOT discovery helpers: mountinfo parsing (proc(5) examples and
 * escapes), partition type classification, and the GPT reader on an image
 * laid out by sfdisk (an independent tool) when it is installed. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-image.h"
#include "boot-partition.h"
#include "gpt.h"
#include "test.h"
#include "util.h"

static void test_kind(void) {
        CHECK_EQ_INT(boot_partition_kind_from_type("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"), BOOT_PARTITION_ESP);
        CHECK_EQ_INT(boot_partition_kind_from_type("C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), BOOT_PARTITION_ESP);
        CHECK_EQ_INT(boot_partition_kind_from_type("bc13c2ff-59e6-4262-a352-b275fd6f7172"), BOOT_PARTITION_XBOOTLDR);
        CHECK_EQ_INT(boot_partition_kind_from_type("0fc63daf-8483-4772-8e79-3d69d8477de4"), BOOT_PARTITION_OTHER);
        CHECK_EQ_INT(boot_partition_kind_from_type(NULL), BOOT_PARTITION_UNKNOWN);
        CHECK_EQ_STR(boot_partition_kind_name(BOOT_PARTITION_XBOOTLDR), "xbootldr");
}

static void test_mountinfo_line(void) {
        MountEntry e;

        /* The example from proc(5). */
        CHECK_EQ_INT(mountinfo_parse_line("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue", &e), 0);
        CHECK_EQ_STR(e.mount_point, "/mnt2");
        CHECK_EQ_STR(e.fstype, "ext3");
        CHECK_EQ_STR(e.source, "/dev/root");
        CHECK_EQ_INT(e.major, 98);
        CHECK_EQ_INT(e.minor, 0);
        mount_entry_done(&e);

        /* No optional fields, escaped space and backslash. */
        CHECK_EQ_INT(mountinfo_parse_line("1 2 259:3 / /boot/my\\040efi rw - vfat /dev/nvme0n1p1 rw", &e), 0);
        CHECK_EQ_STR(e.mount_point, "/boot/my efi");
        CHECK_EQ_INT(e.major, 259);
        CHECK_EQ_INT(e.minor, 3);
        mount_entry_done(&e);
        CHECK_EQ_INT(mountinfo_parse_line("1 2 0:50 / /a\\134b rw shared:5 master:2 - fuseblk /dev/loop0p1 rw", &e), 0);
        CHECK_EQ_STR(e.mount_point, "/a\\b");
        CHECK_EQ_STR(e.fstype, "fuseblk");
        CHECK_EQ_STR(e.source, "/dev/loop0p1");
        mount_entry_done(&e);
        /* A truncated escape stays literal. */
        CHECK_EQ_INT(mountinfo_parse_line("1 2 0:5 / /x\\04 rw - tmpfs tmpfs rw", &e), 0);
        CHECK_EQ_STR(e.mount_point, "/x\\04");
        mount_entry_done(&e);

        /* Malformed. */
        CHECK_EQ_INT(mountinfo_parse_line("", &e), -EBADMSG);
        CHECK_EQ_INT(mountinfo_parse_line("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1", &e), -EBADMSG);
        CHECK_EQ_INT(mountinfo_parse_line("36 35 98:0 /mnt1 /mnt2 rw - ext3", &e), -EBADMSG);
        CHECK_EQ_INT(mountinfo_parse_line("36 35 98-0 /mnt1 /mnt2 rw - ext3 /dev/x rw", &e), -EBADMSG);
        CHECK_EQ_INT(mountinfo_parse_line("36 35 98:0x /mnt1 /mnt2 rw - ext3 /dev/x rw", &e), -EBADMSG);
}

static void test_mountinfo_find(void) {
        static const char text[] =
                "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                "garbage line\n"
                "30 20 8:2 / /boot rw - vfat /dev/sda2 rw\n"
                "31 20 0:40 / /efi rw - tmpfs tmpfs rw\n"
                "32 30 8:3 / /boot/efi rw - vfat /dev/sda3 rw\n"
                "33 31 8:4 / /efi rw - vfat /dev/sda4 rw";       /* no final newline; overmounts /efi */
        MountEntry e;

        CHECK_EQ_INT(mountinfo_find(text, sizeof(text) - 1, "/boot", &e), 0);
        CHECK_EQ_STR(e.source, "/dev/sda2");
        mount_entry_done(&e);
        CHECK_EQ_INT(mountinfo_find(text, sizeof(text) - 1, "/efi", &e), 0);
        CHECK_EQ_STR(e.source, "/dev/sda4");   /* the one on top */
        CHECK_EQ_INT(e.minor, 4);
        mount_entry_done(&e);
        CHECK_EQ_INT(mountinfo_find(text, sizeof(text) - 1, "/boot/efi", &e), 0);
        mount_entry_done(&e);
        CHECK_EQ_INT(mountinfo_find(text, sizeof(text) - 1, "/boo", &e), -ENOENT);
        CHECK_EQ_INT(mountinfo_find(text, sizeof(text) - 1, "/boot/", &e), -ENOENT);
        CHECK_EQ_INT(mountinfo_find("", 0, "/", &e), -ENOENT);
}

static void test_probe_self(void) {
        BootPartition p;
        /* "/" is always a mount point; a file is not a directory. */
        CHECK_EQ_INT(boot_partition_probe("/", &p), 0);
        CHECK_EQ_STR(p.path, "/");
        boot_partition_done(&p);
        CHECK_EQ_INT(boot_partition_probe("/proc/self/mountinfo", &p), -ENOTDIR);
        CHECK_EQ_INT(boot_partition_probe("/nonexistent-ukit-dir", &p), -ENOENT);
        if (access("/usr", F_OK) == 0 && boot_partition_probe("/usr", &p) == 0)
                boot_partition_done(&p);        /* /usr may be a mount point; fine */
        else
                CHECK_EQ_INT(boot_partition_probe("/usr", &p), -EADDRNOTAVAIL);
}

/* GPT reading, judged against sfdisk's layout. */
static void test_gpt(void) {
        char dir[] = "/tmp/test-boot-partition-XXXXXX", cmd[512], img[128];
        BootImagePartition g;

        if (system("command -v sfdisk >/dev/null 2>&1") != 0) {
                printf("sfdisk not installed, GPT part not run\n");
                return;
        }
        CHECK(mkdtemp(dir));
        snprintf(img, sizeof(img), "%s/disk.img", dir);
        snprintf(cmd, sizeof(cmd),
                 "truncate -s 64M %s && printf 'label: gpt\\n"
                 "start=2048, size=8192, type=0fc63daf-8483-4772-8e79-3d69d8477de4\\n"
                 "start=10240, size=16384, type=c12a7328-f81f-11d2-ba4b-00a0c93ec93b\\n"
                 "start=26624, size=20480, type=bc13c2ff-59e6-4262-a352-b275fd6f7172\\n' | sfdisk -q %s",
                 img, img);
        CHECK_EQ_INT(system(cmd), 0);

        CHECK_EQ_INT(gpt_find_boot_partition(img, &g, NULL), 0);
        CHECK_EQ_INT(g.kind, BOOT_PARTITION_XBOOTLDR);
        CHECK_EQ_INT(g.partno, 2);
        CHECK_EQ_INT(g.offset, 26624ull * 512);
        CHECK_EQ_INT(g.size, 20480ull * 512);
        CHECK_EQ_STR(g.type, GPT_XBOOTLDR_TYPE);
        CHECK_EQ_INT(strlen(g.uuid), 36);

        CHECK_EQ_INT(gpt_find_partition(img, BOOT_PARTITION_ESP, &g, NULL), 0);
        CHECK_EQ_INT(g.partno, 1);
        CHECK_EQ_INT(g.offset, 10240ull * 512);
        CHECK_EQ_INT(gpt_find_partition(img, BOOT_PARTITION_OTHER, &g, NULL), -EINVAL);

        /* A corrupt primary header is refused (no silent fall-back to the
         * backup), with the reason; sfdisk still reads the table from the
         * backup. */
        snprintf(cmd, sizeof(cmd), "printf 'XX' | dd of=%s bs=1 seek=%d conv=notrunc status=none && "
                 "sfdisk -q -d %s >/dev/null 2>&1", img, 512 + 16, img);
        CHECK_EQ_INT(system(cmd), 0);
        UkitError err = UKIT_ERROR_INIT;
        CHECK_EQ_INT(gpt_find_boot_partition(img, &g, &err), -EBADMSG);
        CHECK(ukit_error_what(&err) && strstr(ukit_error_what(&err), "HeaderCRC32"));
        /* Rewrite the table in full so the following cases start clean. */
        snprintf(cmd, sizeof(cmd),
                 "sfdisk -q -d %s 2>/dev/null | sfdisk -q %s >/dev/null 2>&1", img, img);
        CHECK_EQ_INT(system(cmd), 0);
        CHECK_EQ_INT(gpt_find_boot_partition(img, &g, NULL), 0);

        /* ESP only: it is $BOOT. */
        snprintf(cmd, sizeof(cmd), "sfdisk -q --delete %s 3", img);
        CHECK_EQ_INT(system(cmd), 0);
        CHECK_EQ_INT(gpt_find_boot_partition(img, &g, NULL), 0);
        CHECK_EQ_INT(g.kind, BOOT_PARTITION_ESP);
        CHECK_EQ_INT(gpt_find_partition(img, BOOT_PARTITION_XBOOTLDR, &g, NULL), -ENOENT);

        /* Neither. */
        snprintf(cmd, sizeof(cmd), "sfdisk -q --delete %s 2", img);
        CHECK_EQ_INT(system(cmd), 0);
        CHECK_EQ_INT(gpt_find_boot_partition(img, &g, NULL), -ENOENT);

        /* Not GPT at all. */
        snprintf(cmd, sizeof(cmd), "truncate -s 0 %s && truncate -s 4M %s", img, img);
        CHECK_EQ_INT(system(cmd), 0);
        CHECK_EQ_INT(gpt_find_boot_partition(img, &g, NULL), -EMEDIUMTYPE);

        /* MBR only. */
        snprintf(cmd, sizeof(cmd), "printf 'label: dos\\nsize=2048, type=ef\\n' | sfdisk -q %s", img);
        CHECK_EQ_INT(system(cmd), 0);
        CHECK_EQ_INT(gpt_find_boot_partition(img, &g, NULL), -EMEDIUMTYPE);

        CHECK(gpt_find_boot_partition("/nonexistent-ukit.img", &g, NULL) < 0);

        unlink(img);
        rmdir(dir);
}

static void test_mount_unprivileged(void) {
        BootImageMount m = BOOT_IMAGE_MOUNT_INIT;
        BootImagePartition g = { .offset = 0, .size = 4096 };
        if (geteuid() == 0)
                return;
        CHECK_EQ_INT(boot_image_mount("/dev/null", &g, true, NULL, &m), -EPERM);
        CHECK(m.mount_dir == NULL);
}

int main(void) {
        test_kind();
        test_mountinfo_line();
        test_mountinfo_find();
        test_probe_self();
        test_gpt();
        test_mount_unprivileged();
        TEST_DONE();
}
