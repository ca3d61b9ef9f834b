/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* open_input_at()/read_input_at(): inputs from trees others control. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "test.h"
#include "util.h"

static void put(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        CHECK(write_full(fd, text, strlen(text)) == 0);
        close(fd);
}

int main(void) {
        char tmpl[] = "/tmp/test-read-regular-XXXXXX";
        char *dir = mkdtemp(tmpl);
        char *buf = NULL;
        size_t n;

        CHECK(dir);
        int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(dfd >= 0);
        _cleanup_free_ char *sub = xasprintf("%s/root/etc", dir), *fifo = xasprintf("%s/fifo", dir),
                *out = xasprintf("%s/root/etc/out", dir), *esc = xasprintf("%s/root/etc/esc", dir),
                *root = xasprintf("%s/root", dir), *rel = xasprintf("%s/root/etc/rel", dir);
        CHECK(mkdir(root, 0755) == 0 && mkdir(sub, 0755) == 0);
        put(dir, "root/etc/os-release", "ID=inside\n");
        put(dir, "secret", "ID=outside\n");
        put(dir, "big", "0123456789");

        /* A FIFO without a writer: refused at once, not waited on. */
        CHECK(mkfifo(fifo, 0600) == 0);
        CHECK_EQ_INT(open_input_at(dfd, "fifo", 0, 0, NULL), -EBADFD);
        CHECK_EQ_INT(read_input_at(AT_FDCWD, fifo, OPEN_INPUT_NOFOLLOW, 100, &buf, &n), -EBADFD);
        CHECK_EQ_STR(input_strerror(-EBADFD), "not a regular file");
        /* Directories and devices. */
        CHECK_EQ_INT(read_input_at(dfd, "root", 0, 100, &buf, &n), -EISDIR);
        CHECK_EQ_INT(read_input_at(AT_FDCWD, "/dev/null", 0, 100, &buf, &n), -EBADFD);
        /* Size cap. */
        CHECK_EQ_INT(read_input_at(dfd, "big", 0, 9, &buf, &n), -EFBIG);
        CHECK(read_input_at(dfd, "big", 0, 10, &buf, &n) == 0);
        CHECK_EQ_INT(n, 10);
        free(buf);

        /* OPEN_INPUT_IN_ROOT: an absolute symlink and one climbing out with ".."
         * both resolve inside the root. */
        int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(rfd >= 0);
        CHECK(symlink("/etc/os-release", out) == 0);
        CHECK(symlink("../../../secret", esc) == 0);
        CHECK(read_input_at(rfd, "etc/out", OPEN_INPUT_IN_ROOT, 100, &buf, &n) == 0);
        CHECK_EQ_STR(buf, "ID=inside\n");
        free(buf);
        CHECK_EQ_INT(read_input_at(rfd, "etc/esc", OPEN_INPUT_IN_ROOT, 100, &buf, &n), -ENOENT);
        /* OPEN_INPUT_NOFOLLOW: no symlink at all, even a harmless one. */
        CHECK(symlink("os-release", rel) == 0);
        CHECK_EQ_INT(read_input_at(rfd, "etc/rel", OPEN_INPUT_NOFOLLOW, 100, &buf, &n), -ELOOP);
        CHECK(read_input_at(rfd, "etc/rel", OPEN_INPUT_IN_ROOT, 100, &buf, &n) == 0);
        CHECK_EQ_STR(buf, "ID=inside\n");
        free(buf);

        /* The fd handed back is blocking again. */
        int fd = open_input_at(rfd, "etc/os-release", 0, 0, NULL);
        CHECK(fd >= 0);
        CHECK_EQ_INT(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
        close(fd);

        close(rfd);
        close(dfd);
        unlink(out); unlink(esc); unlink(rel);
        _cleanup_free_ char *osr = xasprintf("%s/os-release", sub), *sec = xasprintf("%s/secret", dir),
                *big = xasprintf("%s/big", dir);
        unlink(osr); unlink(sec); unlink(big); unlink(fifo);
        rmdir(sub); rmdir(root); rmdir(dir);
        TEST_DONE();
}
