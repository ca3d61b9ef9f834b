/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cpio_archive_one() (src/fundamental/cpio.c), judged by GNU cpio: the
 * archive lists and extracts with the expected names, modes and content. */

#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "test.h"

static void write_file(const char *path, const void *p, size_t n) {
        FILE *f = fopen(path, "wb");
        CHECK(f);
        CHECK(fwrite(p, 1, n, f) == n);
        CHECK(fclose(f) == 0);
}

int main(void) {
        static uint8_t buf[8192];
        const char data[] = "{\"sha256\":[]}\n";
        uint32_t inode = 1;
        char dir[] = "/tmp/test-stub-cpio.XXXXXX", cmd[512], path[512];

        /* sizes and bad arguments */
        CHECK(cpio_archive_one_size("", "", 1) == 0);
        CHECK(cpio_archive_one_size("/abs", "x", 1) == 0);
        CHECK(cpio_archive_one_size("a/../b", "x", 1) == 0);
        CHECK(cpio_archive_one_size("a//b", "x", 1) == 0);
        CHECK(cpio_archive_one_size("a/", "x", 1) == 0);
        CHECK(cpio_archive_one_size(".extra", "a/b", 1) == 0);
        CHECK(cpio_archive_one_size(".extra", "..", 1) == 0);
        CHECK(cpio_archive_one_size(".extra", "x", (size_t) UINT32_MAX + 1) == 0);
        char longname[300];
        memset(longname, 'n', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        CHECK(cpio_archive_one_size(".extra", longname, 1) == 0);

        size_t need = cpio_archive_one_size(".extra/sub", "tpm2-pcr-signature.json", sizeof(data) - 1);
        CHECK(need > 0 && need % 4 == 0);
        CHECK(cpio_archive_one(buf, need - 1, ".extra/sub", "tpm2-pcr-signature.json", data, sizeof(data) - 1,
                               0555, 0444, &inode) == 0);
        CHECK_EQ_INT(inode, 1);
        size_t n = cpio_archive_one(buf, sizeof(buf), ".extra/sub", "tpm2-pcr-signature.json", data,
                                    sizeof(data) - 1, 0555, 0444, &inode);
        CHECK_EQ_INT(n, need);
        CHECK_EQ_INT(inode, 4);         /* .extra, .extra/sub, the file */
        CHECK(memcmp(buf, "070701", 6) == 0);

        /* deterministic */
        static uint8_t again[8192];
        uint32_t inode2 = 1;
        CHECK_EQ_INT(cpio_archive_one(again, sizeof(again), ".extra/sub", "tpm2-pcr-signature.json", data,
                                      sizeof(data) - 1, 0555, 0444, &inode2), n);
        CHECK(memcmp(buf, again, n) == 0);

        /* GNU cpio as the oracle */
        CHECK(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/a.cpio", dir);
        write_file(path, buf, n);
        snprintf(cmd, sizeof(cmd), "cpio -it --quiet <%s/a.cpio >%s/list", dir, dir);
        CHECK(system(cmd) == 0);
        snprintf(cmd, sizeof(cmd), "printf '.extra\\n.extra/sub\\n.extra/sub/tpm2-pcr-signature.json\\n' | cmp -s - %s/list", dir);
        CHECK(system(cmd) == 0);
        snprintf(cmd, sizeof(cmd), "mkdir %s/x && cd %s/x && cpio -idm --quiet <../a.cpio", dir, dir);
        CHECK(system(cmd) == 0);
        snprintf(path, sizeof(path), "%s/x/.extra/sub/tpm2-pcr-signature.json", dir);
        struct stat st;
        CHECK(stat(path, &st) == 0);
        CHECK_EQ_INT(st.st_mode & 07777, 0444);
        CHECK_EQ_INT(st.st_size, sizeof(data) - 1);
        CHECK_EQ_INT(st.st_mtime, 0);
        FILE *f = fopen(path, "rb");
        CHECK(f);
        char got[64] = {};
        CHECK(fread(got, 1, sizeof(got), f) == sizeof(data) - 1);
        fclose(f);
        CHECK_EQ_STR(got, data);
        snprintf(path, sizeof(path), "%s/x/.extra/sub", dir);
        CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
        CHECK_EQ_INT(st.st_mode & 07777, 0555);

        /* top-level file, empty content */
        inode = 7;
        n = cpio_archive_one(buf, sizeof(buf), "", "empty", NULL, 0, 0555, 0400, &inode);
        CHECK(n > 0);
        snprintf(path, sizeof(path), "%s/b.cpio", dir);
        write_file(path, buf, n);
        snprintf(cmd, sizeof(cmd), "[ \"$(cd %s && cpio -it --quiet <b.cpio)\" = empty ]", dir);
        CHECK(system(cmd) == 0);

        snprintf(cmd, sizeof(cmd), "chmod -R u+w %s && rm -rf %s", dir, dir);
        CHECK(system(cmd) == 0);
        TEST_DONE();
}
