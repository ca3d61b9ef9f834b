/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel release detection. The real Debian kernel is the main case: its
 * release is taken from the package file name and cross-checked with
 * file(1) (both independent of our code). The decompressed vmlinux (ELF,
 * with the BUILD_SALT note that readelf shows) and the same file with the
 * notes removed by objcopy (banner scan only) must give the same answer. */
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "uname.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-uname-XXXXXX";

static char *run(const char *cmd) {
        FILE *p = popen(cmd, "r");
        CHECK(p);
        static char out[4096];
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = 0;
        if (pclose(p) != 0) {
                fprintf(stderr, "command failed: %s\n", cmd);
                CHECK(0);
        }
        while (n > 0 && out[n - 1] == '\n')
                out[--n] = 0;
        return out;
}

static void check_file(const char *path, const char *want) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        char *u = NULL;
        int r = uname_from_kernel(fd, NULL, &u);
        close(fd);
        if (r < 0)
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_STR(u, want);
        free(u);
}

static void test_debian_kernel(void) {
        glob_t g;
        const char *cache = getenv("UKIT_CACHE") ?: "/var/cache/ukit";
        char pattern[1024];
        snprintf(pattern, sizeof pattern, "%s/linux-image-*_amd64.deb", cache);
        if (glob(pattern, 0, NULL, &g) != 0) {
                /* The real kernel is this test's oracle: without it, say so. */
                printf("SKIP: no Debian kernel package in %s (scripts/fetch-kernel.sh gets one)\n", cache);
                exit(77);
        }
        const char *deb = g.gl_pathv[0];
        /* Oracle 1: "linux-image-6.1.0-57-amd64_6.1.192-3_amd64.deb" */
        const char *base = strrchr(deb, '/') + 1;
        char want[128];
        const char *start = base + strlen("linux-image-");
        const char *us = strchr(start, '_');
        CHECK(us && (size_t) (us - start) < sizeof want);
        memcpy(want, start, (size_t) (us - start));
        want[us - start] = 0;

        char cmd[4096], vmlinuz[1024], vmlinux[512], nonotes[512];
        snprintf(vmlinuz, sizeof vmlinuz, "%s/boot/vmlinuz-%s", tmpdir, want);
        snprintf(cmd, sizeof cmd, /* --occurrence: stop reading the (large) archive after the kernel. */
                 "dpkg-deb --fsys-tarfile %s 2>/dev/null | tar -x --occurrence=1 -C %s ./boot/vmlinuz-%s", deb, tmpdir, want);
        run(cmd);

        /* Oracle 2: file(1) reads the same boot header independently. */
        snprintf(cmd, sizeof cmd, "file -b %s | sed -n 's/.*, version \\([^ ]*\\) .*/\\1/p'", vmlinuz);
        CHECK_EQ_STR(run(cmd), want);

        check_file(vmlinuz, want);

        /* Decompress the payload (xz on Debian) to get the ELF vmlinux. */
        snprintf(vmlinux, sizeof vmlinux, "%s/vmlinux", tmpdir);
        snprintf(cmd, sizeof cmd,
                 "off=$(LC_ALL=C grep -obUaP '\\xfd7zXZ\\x00' %s | head -1 | cut -d: -f1) && "
                 "tail -c +$((off + 1)) %s | xz -dc 2>/dev/null >%s; test -s %s && echo ok",
                 vmlinuz, vmlinuz, vmlinux, vmlinux);
        if (strcmp(run(cmd), "ok") != 0) {
                printf("note: could not decompress %s, ELF checks not run\n", vmlinuz);
                globfree(&g);
                return;
        }
        /* readelf confirms the note we rely on is there (owner Linux,
         * type 0x100 which readelf calls OPEN). */
        snprintf(cmd, sizeof cmd, "readelf --notes %s | grep -c 'Linux .*OPEN'", vmlinux);
        CHECK_EQ_STR(run(cmd), "1");
        check_file(vmlinux, want);

        /* Without notes only the banner is left. */
        snprintf(nonotes, sizeof nonotes, "%s/vmlinux.nonotes", tmpdir);
        snprintf(cmd, sizeof cmd, "objcopy --remove-section=.notes %s %s && readelf --notes %s | grep -c 'Linux .*OPEN' || true",
                 vmlinux, nonotes, nonotes);
        CHECK_EQ_STR(run(cmd), "0");
        check_file(nonotes, want);
        unlink(vmlinux);
        unlink(nonotes);
        globfree(&g);
}

/* An x86 boot header by hand: "HdrS", protocol, kernel_version pointer. */
static uint8_t *make_x86(size_t n, uint8_t setup_sects, uint16_t proto, uint16_t ptr, const char *s) {
        uint8_t *b = calloc(1, n);
        CHECK(b);
        b[0x1f1] = setup_sects;
        memcpy(b + 0x202, "HdrS", 4);
        le16_write(b + 0x206, proto);
        le16_write(b + 0x20e, ptr);
        if (s)
                memcpy(b + 0x200 + ptr, s, strlen(s));
        return b;
}

static void expect_buf(const void *b, size_t n, int want_r, const char *want) {
        char *u = (char *) 0x1;
        int r = uname_from_buffer(b, n, &u);
        CHECK_EQ_INT(r, want_r);
        if (r == 0) {
                CHECK_EQ_STR(u, want);
                free(u);
        } else
                CHECK(u == (char *) 0x1);
}

static void test_x86_header(void) {
        uint8_t *b = make_x86(4096, 3, 0x020f, 0x300, "6.9.0-test (me@host) #1 SMP");
        expect_buf(b, 4096, 0, "6.9.0-test");
        /* Version string outside the setup code ((3+1)*512 = 2048). */
        free(b);
        b = make_x86(8192, 3, 0x020f, 0x700, "6.9.0-test (x)");
        expect_buf(b, 8192, -ENOENT, NULL);
        free(b);
        /* setup_sects 0 means 4: (4+1)*512 = 2560 allows 0x200+0x700 = 2304. */
        b = make_x86(8192, 0, 0x020f, 0x700, "6.9.0-old (x)");
        expect_buf(b, 8192, 0, "6.9.0-old");
        free(b);
        /* Protocol before 2.00: no kernel_version field. */
        b = make_x86(4096, 3, 0x0105, 0x300, "6.9.0-test (x)");
        expect_buf(b, 4096, -ENOENT, NULL);
        free(b);
        /* Pointer 0. */
        b = make_x86(4096, 3, 0x020f, 0, NULL);
        expect_buf(b, 4096, -ENOENT, NULL);
        free(b);
        /* Not NUL-terminated before the end of the buffer. */
        b = make_x86(0x200 + 0x300 + 6, 3, 0x020f, 0x300, "6.9.0-");
        expect_buf(b, 0x200 + 0x300 + 6, -ENOENT, NULL);
        free(b);
        /* Does not look like a release. */
        b = make_x86(4096, 3, 0x020f, 0x300, "hello world");
        expect_buf(b, 4096, -ENOENT, NULL);
        free(b);
        /* Truncated header. */
        b = make_x86(4096, 3, 0x020f, 0x300, "6.1 (x)");
        expect_buf(b, 0x20f, -ENOENT, NULL);
        free(b);
}

static void test_elf_note(void) {
        /* Assemble an object with a Linux build-salt note (and a decoy with
         * the right owner but another type); readelf confirms the layout. */
        char src[256], obj[256], cmd[1024];
        snprintf(src, sizeof src, "%s/note.s", tmpdir);
        snprintf(obj, sizeof obj, "%s/note.o", tmpdir);
        FILE *f = fopen(src, "w");
        CHECK(f);
        fputs(".section .note.Linux,\"a\",@note\n"
              ".balign 4\n"
              ".long 6, 4, 0x101\n.asciz \"Linux\"\n.balign 4\n.long 0\n"
              ".long 6, 22, 0x100\n.asciz \"Linux\"\n.balign 4\n.asciz \"6.0.8-300.fc37.x86_64\"\n.balign 4\n",
              f);
        CHECK(fclose(f) == 0);
        snprintf(cmd, sizeof cmd, "cc -c -o %s %s && readelf --notes %s | grep -c 'Linux .*OPEN'", obj, src, obj);
        CHECK_EQ_STR(run(cmd), "1");
        check_file(obj, "6.0.8-300.fc37.x86_64");

        /* Same for a 32-bit big-endian-free variant: the i386 object. */
        snprintf(cmd, sizeof cmd, "cc -m32 -c -o %s.32 %s 2>/dev/null && echo ok || true", obj, src);
        if (strcmp(run(cmd), "ok") == 0) {
                char o32[600];
                snprintf(o32, sizeof o32, "%s.32", obj);
                check_file(o32, "6.0.8-300.fc37.x86_64");
        }

        /* Malformed ELF: section header table beyond the end. */
        uint8_t e[128] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
        le64_write(e + 40, 0xffffffffffff0000ull);
        le16_write(e + 58, 64);
        le16_write(e + 60, 100);
        expect_buf(e, sizeof e, -ENOENT, NULL);
        /* A note section whose size runs past the end. */
        memset(e, 0, sizeof e);
        memcpy(e, "\177ELF\2\1\1", 7);
        le64_write(e + 40, 64);         /* shoff */
        le16_write(e + 58, 64);         /* shentsize */
        le16_write(e + 60, 1);          /* shnum */
        le32_write(e + 64 + 4, 7);      /* SHT_NOTE */
        le64_write(e + 64 + 24, 0);     /* offset */
        le64_write(e + 64 + 32, ~0ull); /* size */
        expect_buf(e, sizeof e, -ENOENT, NULL);
}

static void test_banner(void) {
        const char a[] = "junk Linux version %s (%s) Linux version 5.10.0-28-arm64 (debian-kernel@lists.debian.org) (gcc)";
        expect_buf(a, sizeof a - 1, 0, "5.10.0-28-arm64");
        const char b[] = "Linux version 5.10.0";     /* no " (" after it */
        expect_buf(b, sizeof b - 1, -ENOENT, NULL);
        const char c[] = "Linux version  (x)";
        expect_buf(c, sizeof c - 1, -ENOENT, NULL);
        expect_buf("", 0, -ENOENT, NULL);
        char *u;
        CHECK_EQ_INT(uname_from_buffer(NULL, 0, &u), -ENOENT);
        CHECK_EQ_INT(uname_from_kernel(-1, NULL, &u), -EINVAL);

        CHECK(uname_valid("6.1.0-57-amd64", 14));
        CHECK(!uname_valid("v6.1", 4));
        CHECK(!uname_valid("6.1 x", 5));
        CHECK(!uname_valid("", 0));
}

int main(void) {
        CHECK(mkdtemp(tmpdir));
        test_x86_header();
        test_elf_note();
        test_banner();
        test_debian_kernel();
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        CHECK(system(cmd) == 0);
        TEST_DONE();
}
