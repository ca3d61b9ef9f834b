/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* open_input_at(), read_input_full() and escape_controls(): the hostile-input
 * helpers every verb uses (issue 20, R4-R6). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "test.h"
#include "util.h"

static void check_escape(const char *in, size_t n, unsigned flags, const char *want) {
        char *out = escape_controls(in, n, flags);
        CHECK_EQ_STR(out, want);
        free(out);
}

static void test_escape(void) {
        /* Plain text and valid UTF-8 pass unchanged. */
        check_escape("quiet root=/dev/sda1", 20, 0, "quiet root=/dev/sda1");
        check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", 14, 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
        /* C0 controls, DEL. */
        check_escape("\x1b]0;PWN\x07" "AB", 10, 0, "\\x1b]0;PWN\\x07AB");
        check_escape("a\x7f" "b", 3, 0, "a\\x7fb");
        check_escape("a\rb", 3, 0, "a\\x0db");
        /* Newline and tab: escaped on one line, kept in dumps. */
        check_escape("a\nb\tc", 5, 0, "a\\x0ab\\x09c");
        check_escape("a\nb\tc\r", 6, ESCAPE_KEEP_NEWLINE, "a\nb\tc\\x0d");
        /* C1 controls in UTF-8 (U+009B CSI), and right after them. */
        check_escape("\xc2\x9b" "2J", 4, 0, "\\xc2\\x9b2J");
        check_escape("\xc2\xa0", 2, 0, "\xc2\xa0");     /* U+00A0 is not a control */
        /* Bytes that are not UTF-8: stray continuation, overlong, surrogate,
         * truncated sequence, 0xff. */
        check_escape("\x9b" "x", 2, 0, "\\x9bx");
        check_escape("\xc0\xaf", 2, 0, "\\xc0\\xaf");
        check_escape("\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80");
        check_escape("a\xe2\x82", 3, 0, "a\\xe2\\x82");
        check_escape("\xff", 1, 0, "\\xff");
        /* Stops at NUL and at n; NULL gives "". */
        check_escape("ab\0\x1b", 4, 0, "ab");
        check_escape("abc", 2, 0, "ab");
        check_escape(NULL, 5, 0, "");
}

static void test_open_input(const char *dir) {
        char *reg = xasprintf("%s/reg", dir), *fifo = xasprintf("%s/fifo", dir), *link = xasprintf("%s/link", dir);
        uint64_t size = 0;
        char *buf = NULL;
        size_t n = 0;
        int fd, p[2];

        int w = open(reg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        CHECK(w >= 0);
        CHECK(write_full(w, "hello", 5) == 0);
        close(w);
        CHECK(mkfifo(fifo, 0600) == 0);
        CHECK(symlink("reg", link) == 0);

        fd = open_input(reg, 0, 0, &size);
        CHECK(fd >= 0);
        CHECK_EQ_INT(size, 5);
        CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK));      /* blocking again */
        close(fd);
        CHECK_EQ_INT(open_input(reg, 0, 4, NULL), -EFBIG);

        /* A FIFO without a writer: refused at once, not a hang. */
        CHECK_EQ_INT(open_input(fifo, 0, 0, NULL), -EBADFD);
        CHECK_EQ_INT(open_input(fifo, OPEN_INPUT_ALLOW_PIPE, 0, NULL), -EBADFD);
        CHECK_EQ_INT(open_input("/dev/null", 0, 0, NULL), -EBADFD);
        CHECK_EQ_INT(open_input("/dev/zero", OPEN_INPUT_ALLOW_PIPE | OPEN_INPUT_ALLOW_BLOCK, 0, NULL), -EBADFD);
        CHECK_EQ_INT(open_input(dir, 0, 0, NULL), -EISDIR);
        CHECK_EQ_INT(open_input_at(AT_FDCWD, "/nonexistent/x", 0, 0, NULL), -ENOENT);

        /* Symlinks: followed by default, refused with OPEN_INPUT_NOFOLLOW. */
        fd = open_input(link, 0, 0, NULL);
        CHECK(fd >= 0);
        close(fd);
        CHECK_EQ_INT(open_input(link, OPEN_INPUT_NOFOLLOW, 0, NULL), -ELOOP);

        /* An anonymous pipe: only with OPEN_INPUT_ALLOW_PIPE. */
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        char *pp = xasprintf("/proc/self/fd/%d", p[0]);
        CHECK_EQ_INT(open_input(pp, 0, 0, NULL), -EBADFD);
        fd = open_input(pp, OPEN_INPUT_ALLOW_PIPE, 0, NULL);
        CHECK(fd >= 0);
        close(fd);
        close(p[0]);
        close(p[1]);
        free(pp);

        CHECK(read_input_full(reg, 16, &buf, &n) == 0);
        CHECK_EQ_INT(n, 5);
        CHECK_EQ_STR(buf, "hello");
        free(buf);
        CHECK_EQ_INT(read_input_full(reg, 4, &buf, &n), -EFBIG);
        CHECK_EQ_INT(read_input_full("/dev/urandom", 1024, &buf, &n), -EBADFD);
        CHECK_EQ_INT(read_input_full(fifo, 1024, &buf, &n), -EBADFD);

        CHECK_EQ_STR(input_strerror(-EBADFD), "not a regular file");

        unlink(reg);
        unlink(fifo);
        unlink(link);
        free(reg);
        free(fifo);
        free(link);
}

int main(void) {
        char tmpl[] = "/tmp/test-input-XXXXXX";
        char *dir = mkdtemp(tmpl);

        CHECK(dir);
        test_escape();
        test_open_input(dir);
        rmdir(dir);
        TEST_DONE();
}
