/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <sys/stat.h>

#include "fileio.h"
#include "test.h"
#include "util.h"

static unsigned count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

int main(void) {
        char tmpl[] = "/tmp/test-fileio-XXXXXX";
        char *dir = mkdtemp(tmpl);
        char *target, *buf;
        size_t size;
        struct stat st;

        CHECK(dir);
        target = xasprintf("%s/out", dir);

        /* Aborted writes leave nothing behind. */
        {
                AtomicFile f = ATOMIC_FILE_INIT;
                CHECK(atomic_file_open(&f, target) == 0);
                CHECK(write_full(f.fd, "partial", 7) == 0);
                atomic_file_abort(&f);
                atomic_file_abort(&f);
                CHECK_EQ_INT(count_entries(dir), 0);
        }

        /* Committed writes appear atomically with the requested mode. */
        {
                AtomicFile f = ATOMIC_FILE_INIT;
                CHECK(atomic_file_open(&f, target) == 0);
                CHECK(write_full(f.fd, "hello", 5) == 0);
                CHECK(pwrite_full(f.fd, "J", 1, 0) == 0);
                CHECK(atomic_file_commit(&f, 0640) == 0);
                atomic_file_abort(&f);
                CHECK_EQ_INT(count_entries(dir), 1);
                CHECK(stat(target, &st) == 0);
                CHECK_EQ_INT(st.st_mode & 0777, 0640);
        }

        CHECK(read_file_full(target, 100, &buf, &size) == 0);
        CHECK_EQ_INT(size, 5);
        CHECK_EQ_STR(buf, "Jello");
        free(buf);

        CHECK(read_file_full(target, 4, &buf, &size) == -EFBIG);
        CHECK(read_file_full("/nonexistent/x", 4, &buf, &size) == -ENOENT);

        CHECK(read_text_or_file("literal", 100, &buf, &size) == 0);
        CHECK_EQ_STR(buf, "literal");
        free(buf);
        char *at = xasprintf("@%s", target);
        CHECK(read_text_or_file(at, 100, &buf, &size) == 0);
        CHECK_EQ_STR(buf, "Jello");
        free(buf);
        free(at);

        unlink(target);
        rmdir(dir);
        free(target);
        TEST_DONE();
}
