/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* os-release parser. Values of valid files are checked against /bin/sh
 * (dash on Debian): os-release(5) is defined as shell-compatible, so a
 * shell sourcing the file is the independent oracle for unquoting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "osrel.h"
#include "test.h"

/* Value of KEY after "set -e; . FILE" in /bin/sh. */
static char *sh_value(const char *text, const char *key) {
        char path[] = "/tmp/test-osrel-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
        close(fd);

        char cmd[512];
        snprintf(cmd, sizeof cmd, "/bin/sh -c 'set -e; . \"$1\"; printf %%s \"${%s-}\"' sh %s", key, path);
        FILE *p = popen(cmd, "r");
        CHECK(p);
        static char out[8192];
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = 0;
        CHECK(pclose(p) == 0);
        unlink(path);
        return out;
}

static void check_vs_sh(const char *text, const char *key) {
        char buf[4200];
        int r = osrel_get(text, strlen(text), key, buf, sizeof buf);
        const char *want = sh_value(text, key);
        if (r < 0 || strcmp(buf, want) != 0) {
                fprintf(stderr, "mismatch for %s in <<%s>>: ours(%d)=\"%s\" sh=\"%s\"\n",
                        key, text, r, r < 0 ? "" : buf, want);
                CHECK(0);
        }
        CHECK_EQ_INT(osrel_validate(text, strlen(text), NULL), 0);
}

static void check_invalid(const char *text, size_t n, unsigned want_line) {
        unsigned line = 999;
        CHECK_EQ_INT(osrel_validate(text, n, &line), -1);
        CHECK_EQ_INT(line, want_line);
}

static void test_sh_oracle(void) {
        check_vs_sh("NAME=Debian\n", "NAME");
        check_vs_sh("NAME=\"Debian GNU/Linux\"\n", "NAME");
        check_vs_sh("NAME='single quoted \\ \"x\"'\n", "NAME");
        check_vs_sh("A=\"esc \\\" \\\\ \\$ \\` end\"\n", "A");
        check_vs_sh("A=\"kept \\n \\a backslash\"\n", "A");
        check_vs_sh("A=un\\ quoted\\\"x\n", "A");
        check_vs_sh("A=\"part1\"'part2'part3\n", "A");
        check_vs_sh("# comment\n\n   \nA=1\n  B=2  \n", "B");
        check_vs_sh("A=first\nA=second\n", "A");
        check_vs_sh("A=\n", "A");
        check_vs_sh("A=\"\"\n", "A");
        check_vs_sh("A=\"tab\there\"\n", "A");
        check_vs_sh("A=utf8-\xc3\xa4\xc3\xb6\n", "A");
        check_vs_sh("A=a#b\n", "A");
}

static void test_syntax_errors(void) {
        check_invalid("A=\"unterminated\n", strlen("A=\"unterminated\n"), 1);
        check_invalid("A=1\nB='x\n", strlen("A=1\nB='x\n"), 2);
        check_invalid("A=1\n\nnot an assignment\n", strlen("A=1\n\nnot an assignment\n"), 3);
        check_invalid("1A=x\n", 5, 1);
        check_invalid("A-B=x\n", 6, 1);
        check_invalid("A = x\n", 6, 1);
        check_invalid("A=x y\n", 6, 1);
        check_invalid("A=$HOME\n", 8, 1);
        check_invalid("A=\"$HOME\"\n", 10, 1);
        check_invalid("A=`id`\n", 7, 1);
        check_invalid("A=trailing\\\n", 12, 1);
        check_invalid("=x\n", 3, 1);
        /* Inline comments: sh drops them, systemd's env-file parser keeps them
         * in the value; refusing is the only unambiguous choice. */
        check_invalid("A=1 # c\n", 8, 1);
        check_invalid("A=x\001\n", 5, 1);
        /* Embedded NUL is not padding when text follows it. */
        check_invalid("A=x\n\0B=y\n", 9, 2);
        check_invalid("A=\"x\0\"\n", 7, 1);
}

static void test_iteration_and_get(void) {
        const char *t = "# hello\nID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\n";
        size_t pos = 0;
        OsrelEntry e;
        CHECK_EQ_INT(osrel_next(t, strlen(t), &pos, &e), 1);
        CHECK_EQ_INT(e.key_len, 2);
        CHECK(memcmp(e.key, "ID", 2) == 0);
        CHECK_EQ_INT(e.value_len, 6);
        CHECK_EQ_INT(e.line, 2);
        CHECK_EQ_INT(osrel_next(t, strlen(t), &pos, &e), 1);
        CHECK_EQ_INT(e.line, 3);
        CHECK(memcmp(e.value, "\"Debian", 7) == 0);
        CHECK_EQ_INT(osrel_next(t, strlen(t), &pos, &e), 1);
        CHECK_EQ_INT(osrel_next(t, strlen(t), &pos, &e), 0);
        CHECK_EQ_INT(osrel_next(t, strlen(t), &pos, &e), 0);

        char buf[64];
        CHECK_EQ_INT(osrel_get(t, strlen(t), "PRETTY_NAME", buf, sizeof buf), 30);
        CHECK_EQ_STR(buf, "Debian GNU/Linux 12 (bookworm)");
        CHECK_EQ_INT(osrel_get(t, strlen(t), "VERSION_ID", buf, sizeof buf), 2);
        CHECK_EQ_STR(buf, "12");
        CHECK_EQ_INT(osrel_get(t, strlen(t), "NOPE", buf, sizeof buf), -1);
        CHECK_EQ_INT(osrel_get(t, strlen(t), "bad key", buf, sizeof buf), -1);
        /* Buffer too small: -1, not truncated. */
        CHECK_EQ_INT(osrel_get(t, strlen(t), "PRETTY_NAME", buf, 30), -1);
        CHECK_EQ_INT(osrel_get(t, strlen(t), "PRETTY_NAME", buf, 31), 30);

        /* A key is looked up in an invalid file: refused as a whole. */
        const char *bad = "ID=x\nGARBAGE\n";
        CHECK_EQ_INT(osrel_get(bad, strlen(bad), "ID", buf, sizeof buf), -1);

        /* No final newline; trailing NUL padding as in a PE section. */
        const char padded[] = "ID=x\nNAME=y\0\0\0\0";
        CHECK_EQ_INT(osrel_validate(padded, sizeof padded, NULL), 0);
        CHECK_EQ_INT(osrel_get(padded, sizeof padded, "NAME", buf, sizeof buf), 1);
        CHECK_EQ_INT(osrel_validate("", 0, NULL), 0);

        /* CRLF files: the CR is not part of the value (sh would keep it). */
        const char *crlf = "A=x\r\nB=\"y\"\r\n";
        CHECK_EQ_INT(osrel_get(crlf, strlen(crlf), "A", buf, sizeof buf), 1);
        CHECK_EQ_STR(buf, "x");
        CHECK_EQ_INT(osrel_get(crlf, strlen(crlf), "B", buf, sizeof buf), 1);

        CHECK_EQ_INT(osrel_unquote("\"a\\\"b\"", 6, buf, sizeof buf), 3);
        CHECK_EQ_STR(buf, "a\"b");
        CHECK_EQ_INT(osrel_unquote("\"a", 2, buf, sizeof buf), -1);
        CHECK_EQ_INT(osrel_unquote("a b", 3, buf, sizeof buf), -1);

        CHECK(osrel_key_valid("A_1", 3));
        CHECK(!osrel_key_valid("", 0));
        CHECK(!osrel_key_valid("9A", 2));
}

static void test_limits(void) {
        /* A line of exactly OSREL_LINE_MAX bytes is fine, one more is not. */
        size_t n = OSREL_LINE_MAX + 2;
        char *b = malloc(n + 1);
        CHECK(b);
        memcpy(b, "A=", 2);
        memset(b + 2, 'x', OSREL_LINE_MAX - 2);
        b[OSREL_LINE_MAX] = '\n';
        CHECK_EQ_INT(osrel_validate(b, OSREL_LINE_MAX + 1, NULL), 0);
        b[OSREL_LINE_MAX] = 'x';
        b[OSREL_LINE_MAX + 1] = '\n';
        check_invalid(b, n, 1);
        free(b);

        /* Too many lines. */
        n = (OSREL_LINES_MAX + 1) * 2;
        b = malloc(n);
        CHECK(b);
        for (size_t i = 0; i < n; i += 2) {
                b[i] = '#';
                b[i + 1] = '\n';
        }
        CHECK_EQ_INT(osrel_validate(b, n - 2, NULL), 0);
        check_invalid(b, n, OSREL_LINES_MAX + 1);
        free(b);

        /* Whole input too large. */
        n = OSREL_SIZE_MAX + 1;
        b = calloc(1, n);
        CHECK(b);
        memset(b, '\n', n);
        check_invalid(b, n, 0);
        free(b);
}

int main(void) {
        test_sh_oracle();
        test_syntax_errors();
        test_iteration_and_get();
        test_limits();
        TEST_DONE();
}
