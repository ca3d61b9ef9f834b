/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The newc cpio writer (src/fundamental/cpio.c), judged by GNU cpio: the
 * archives list and extract with the expected names, modes and content;
 * plus the size-counting mode, bad names and short buffers. */

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

static void check_file(const char *path, const char *content, unsigned mode) {
        struct stat st;
        char got[256] = {};
        CHECK(stat(path, &st) == 0);
        CHECK(S_ISREG(st.st_mode));
        CHECK_EQ_INT(st.st_mode & 07777, mode);
        CHECK_EQ_INT(st.st_size, strlen(content));
        CHECK_EQ_INT(st.st_mtime, 0);
        FILE *f = fopen(path, "rb");
        CHECK(f);
        CHECK(fread(got, 1, sizeof(got) - 1, f) == strlen(content));
        fclose(f);
        CHECK_EQ_STR(got, content);
}

static void check_dir(const char *path, unsigned mode) {
        struct stat st;
        CHECK(stat(path, &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK_EQ_INT(st.st_mode & 07777, mode);
}

int main(void) {
        static uint8_t buf[8192];
        const char data[] = "{\"sha256\":[]}\n";
        char dir[] = "/tmp/test-stub-cpio.XXXXXX", cmd[1024], path[512];

        /* bad arguments */
        CHECK(cpio_archive_one(NULL, 0, "", "x", "a", 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, "/abs", "x", "a", 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, "a/../b", "x", "a", 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, "a//b", "x", "a", 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, "a/", "x", "a", 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, ".extra", "a/b", "a", 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, ".extra", "..", "a", 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, ".extra", "x", NULL, 1, 0555, 0444) == 0);
        CHECK(cpio_archive_one(NULL, 0, ".extra", "x", "a", (size_t) UINT32_MAX + 1, 0555, 0444) == 0);
        char longname[300];
        memset(longname, 'n', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        CHECK(cpio_archive_one(NULL, 0, ".extra", longname, "a", 1, 0555, 0444) == 0);

        /* counting mode == writing mode; short buffers fail */
        size_t need = cpio_archive_one(NULL, 0, ".extra/sub", "tpm2-pcr-signature.json", data, sizeof(data) - 1,
                                       0500, 0444);
        CHECK(need > 0 && need % 4 == 0);
        CHECK(cpio_archive_one(buf, need - 1, ".extra/sub", "tpm2-pcr-signature.json", data, sizeof(data) - 1,
                               0500, 0444) == 0);
        size_t n = cpio_archive_one(buf, sizeof(buf), ".extra/sub", "tpm2-pcr-signature.json", data,
                                    sizeof(data) - 1, 0500, 0444);
        CHECK_EQ_INT(n, need);
        CHECK(memcmp(buf, "070701", 6) == 0);
        /* systemd's trailer, byte for byte at the end */
        CHECK(memcmp(buf + n - 124, "07070100000000000000000000000000000000000000010000000000000000"
                     "000000000000000000000000000000000000000B00000000TRAILER!!!\0\0\0\0", 124) == 0);

        /* deterministic */
        static uint8_t again[8192];
        CHECK_EQ_INT(cpio_archive_one(again, sizeof(again), ".extra/sub", "tpm2-pcr-signature.json", data,
                                      sizeof(data) - 1, 0500, 0444), n);
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
        check_file(path, data, 0444);
        snprintf(path, sizeof(path), "%s/x/.extra", dir);
        check_dir(path, 0555);          /* leading directories are always 0555 */
        snprintf(path, sizeof(path), "%s/x/.extra/sub", dir);
        check_dir(path, 0500);

        /* several files through the writer, two passes */
        CpioWriter w;
        for (int pass = 0; pass < 2; pass++) {
                cpio_writer_init(&w, pass ? buf : NULL, sizeof(buf));
                cpio_put_dirs(&w, ".extra/credentials", 0500);
                cpio_put_file(&w, ".extra/credentials", "a.cred", "alpha", 5, 0400);
                cpio_put_file(&w, ".extra/credentials", "b.cred", "", 0, 0400);
                cpio_put_file(&w, ".extra/credentials", "c.cred", "gamma!", 6, 0400);
                cpio_put_trailer(&w);
                if (!pass)
                        need = cpio_writer_finish(&w);
        }
        n = cpio_writer_finish(&w);
        CHECK(n > 0);
        CHECK_EQ_INT(n, need);
        CHECK_EQ_INT(w.inode, 6);       /* .extra, .extra/credentials, three files */
        snprintf(path, sizeof(path), "%s/b.cpio", dir);
        write_file(path, buf, n);
        snprintf(cmd, sizeof(cmd), "mkdir %s/y && cd %s/y && cpio -idm --quiet <../b.cpio", dir, dir);
        CHECK(system(cmd) == 0);
        snprintf(path, sizeof(path), "%s/y/.extra/credentials/a.cred", dir);
        check_file(path, "alpha", 0400);
        snprintf(path, sizeof(path), "%s/y/.extra/credentials/b.cred", dir);
        check_file(path, "", 0400);
        snprintf(path, sizeof(path), "%s/y/.extra/credentials/c.cred", dir);
        check_file(path, "gamma!", 0400);

        /* a failure is sticky */
        cpio_writer_init(&w, buf, 10);
        cpio_put_dirs(&w, ".extra", 0555);
        cpio_put_trailer(&w);
        CHECK_EQ_INT(cpio_writer_finish(&w), 0);

        snprintf(cmd, sizeof(cmd), "chmod -R u+w %s && rm -rf %s", dir, dir);
        CHECK(system(cmd) == 0);
        TEST_DONE();
}
