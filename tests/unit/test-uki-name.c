/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UKI file names: composing, parsing the boot counter, matching for remove,
 * tries files, entry tokens. The expected names follow kernel-install's
 * 90-uki-copy.install and systemd-boot's counter rules (the "+LEFT[-DONE]"
 * suffix before ".efi", found at the last '+'). */
#include <fcntl.h>
#include <unistd.h>

#include "test.h"
#include "uki-name.h"
#include "util.h"

static void test_token(void) {
        CHECK(uki_entry_token_valid("0123456789abcdef0123456789abcdef"));
        CHECK(uki_entry_token_valid("debian"));
        CHECK(uki_entry_token_valid("Fedora_Workstation-39.1"));
        CHECK(!uki_entry_token_valid(""));
        CHECK(!uki_entry_token_valid(NULL));
        CHECK(!uki_entry_token_valid("."));
        CHECK(!uki_entry_token_valid(".."));
        CHECK(!uki_entry_token_valid(".hidden"));
        CHECK(!uki_entry_token_valid("-rf"));
        CHECK(!uki_entry_token_valid("a/b"));
        CHECK(!uki_entry_token_valid("a b"));
        CHECK(!uki_entry_token_valid("a+1"));
        CHECK(!uki_entry_token_valid("caf\xc3\xa9"));
        char big[UKI_ENTRY_TOKEN_MAX + 2];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        CHECK(!uki_entry_token_valid(big));
        big[UKI_ENTRY_TOKEN_MAX] = 0;
        CHECK(uki_entry_token_valid(big));
}

static void test_version(void) {
        CHECK(uki_version_valid("6.1.0-57-amd64"));
        CHECK(uki_version_valid("6.8.0-rc1+"));
        CHECK(uki_version_valid("6.8.0+git"));
        CHECK(!uki_version_valid("6.1+3"));
        CHECK(!uki_version_valid("6.1+3-1"));
        CHECK(!uki_version_valid(""));
        CHECK(!uki_version_valid("../../etc"));
        CHECK(!uki_version_valid("6.1/x"));
        CHECK(!uki_version_valid("6.1 x"));
        CHECK(!uki_version_valid("6.1\tx"));
        CHECK(!uki_version_valid("6:1"));
        CHECK(!uki_version_valid(".6"));
        CHECK(!uki_version_valid("6\x7f"));
}

static void test_format(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        char *x = (char *) 0x1;

        CHECK_EQ_INT(uki_name_format("debian", "6.1.0-57-amd64", -1, &a), 0);
        CHECK_EQ_STR(a, "debian-6.1.0-57-amd64.efi");
        CHECK_EQ_INT(uki_name_format("debian", "6.1.0-57-amd64", 3, &b), 0);
        CHECK_EQ_STR(b, "debian-6.1.0-57-amd64+3.efi");
        CHECK_EQ_INT(uki_name_format("debian", "6.1.0", 0, &c), 0);
        CHECK_EQ_STR(c, "debian-6.1.0+0.efi");
        CHECK_EQ_INT(uki_name_format("debian", "6.1.0", (int) UKI_TRIES_MAX + 1, &x), -EINVAL);
        CHECK_EQ_INT(uki_name_format("../x", "6.1.0", -1, &x), -EINVAL);
        CHECK_EQ_INT(uki_name_format("debian", "a/b", -1, &x), -EINVAL);
        CHECK(x == (char *) 0x1);       /* untouched on failure */
}

static void check_parse(const char *name, const char *stem, int left, int done) {
        UkiName n = UKI_NAME_INIT;
        CHECK_EQ_INT(uki_name_parse(name, &n), 0);
        CHECK_EQ_STR(n.stem, stem);
        CHECK_EQ_INT(n.tries_left, left);
        CHECK_EQ_INT(n.tries_done, done);
        uki_name_done(&n);
}

static void test_parse(void) {
        check_parse("debian-6.1.efi", "debian-6.1", -1, -1);
        check_parse("debian-6.1+3.efi", "debian-6.1", 3, -1);
        check_parse("debian-6.1+2-1.efi", "debian-6.1", 2, 1);
        check_parse("debian-6.1+0-3.EFI", "debian-6.1", 0, 3);
        /* not a counter: stays in the stem */
        check_parse("debian-6.1+.efi", "debian-6.1+", -1, -1);
        check_parse("debian-6.1+x.efi", "debian-6.1+x", -1, -1);
        check_parse("debian-6.1+1-.efi", "debian-6.1+1-", -1, -1);
        check_parse("debian-6.1+-1.efi", "debian-6.1+-1", -1, -1);
        check_parse("a+b+3.efi", "a+b", 3, -1);

        UkiName n = UKI_NAME_INIT;
        CHECK_EQ_INT(uki_name_parse("debian-6.1.conf", &n), -EINVAL);
        CHECK_EQ_INT(uki_name_parse(".efi", &n), -EINVAL);
        CHECK_EQ_INT(uki_name_parse("+3.efi", &n), -EINVAL);
        CHECK_EQ_INT(uki_name_parse(".#ukit-abc.efi", &n), -EINVAL);
        CHECK_EQ_INT(uki_name_parse("a/b.efi", &n), -EINVAL);
        CHECK_EQ_INT(uki_name_parse("efi", &n), -EINVAL);
        CHECK(n.stem == NULL);
}

static void test_matches(void) {
        CHECK(uki_name_matches("debian-6.1.0-57-amd64.efi", "debian", "6.1.0-57-amd64"));
        CHECK(uki_name_matches("debian-6.1.0-57-amd64+3.efi", "debian", "6.1.0-57-amd64"));
        CHECK(uki_name_matches("debian-6.1.0-57-amd64+0-3.efi", "debian", "6.1.0-57-amd64"));
        /* a prefix of another version must not match */
        CHECK(!uki_name_matches("debian-6.1.0-57-amd64.efi", "debian", "6.1.0-57"));
        CHECK(!uki_name_matches("debian-6.1.0-57-amd64.efi", "debian", "6.1.0"));
        CHECK(!uki_name_matches("debian-6.1.0.efi", "debian", "6.1.0-57-amd64"));
        CHECK(!uki_name_matches("other-6.1.0.efi", "debian", "6.1.0"));
        CHECK(!uki_name_matches("debian-6.1.0.efi.bak", "debian", "6.1.0"));
        CHECK(!uki_name_matches("debian6.1.0.efi", "debian", "6.1.0"));
}

static void test_tries(void) {
        unsigned v = 77;
        CHECK_EQ_INT(uki_tries_parse("3\n", 2, &v), 0);
        CHECK_EQ_INT(v, 3);
        CHECK_EQ_INT(uki_tries_parse(" 10 ", 4, &v), 0);
        CHECK_EQ_INT(v, 10);
        v = 77;
        CHECK_EQ_INT(uki_tries_parse("", 0, &v), -EINVAL);
        CHECK_EQ_INT(uki_tries_parse("-1", 2, &v), -EINVAL);
        CHECK_EQ_INT(uki_tries_parse("3x", 2, &v), -EINVAL);
        CHECK_EQ_INT(uki_tries_parse("1000000", 7, &v), -EINVAL);
        CHECK_EQ_INT(uki_tries_parse("99999999999", 11, &v), -EINVAL);
        CHECK_EQ_INT(v, 77);

        char path[] = "/tmp/test-uki-name-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(write(fd, "5\n", 2) == 2);
        close(fd);
        CHECK_EQ_INT(uki_tries_read(path, &v), 0);
        CHECK_EQ_INT(v, 5);
        unlink(path);
        CHECK_EQ_INT(uki_tries_read(path, &v), -ENOENT);
}

static void test_machine_id(void) {
        char buf[33];
        CHECK_EQ_INT(uki_machine_id_parse("0123456789abcdef0123456789abcdef\n", 33, buf), 0);
        CHECK_EQ_STR(buf, "0123456789abcdef0123456789abcdef");
        CHECK_EQ_INT(uki_machine_id_parse("0123456789ABCDEF0123456789abcdef", 32, buf), -EINVAL);
        CHECK_EQ_INT(uki_machine_id_parse("uninitialized\n", 14, buf), -EINVAL);
        CHECK_EQ_INT(uki_machine_id_parse("", 0, buf), -EINVAL);
}

static void test_resolve(void) {
        static const char osrel[] = "NAME=\"Debian GNU/Linux\"\nID=debian\nIMAGE_ID=\"img\"\n";
        static const char osrel_noimg[] = "ID=debian\n";
        const char *mid = "0123456789abcdef0123456789abcdef";
        char *t;

#define RESOLVE(spec, file, m, os, expect) do {                                         \
                const char *_os = (os);                                                 \
                t = NULL;                                                               \
                CHECK_EQ_INT(uki_entry_token_resolve(spec, file, m, _os, _os ? strlen(_os) : 0, &t), 0); \
                CHECK_EQ_STR(t, expect);                                                \
                free(t);                                                                \
        } while (0)

        RESOLVE(NULL, "mytoken\n", mid, osrel, "mytoken");
        RESOLVE("auto", "  tok  \nignored\n", mid, osrel, "tok");
        RESOLVE("auto", "\n", mid, osrel, mid);
        RESOLVE("auto", NULL, mid, osrel, mid);
        RESOLVE("auto", NULL, NULL, osrel, "img");
        RESOLVE("auto", NULL, NULL, osrel_noimg, "debian");
        RESOLVE("machine-id", "x", mid, osrel, mid);
        RESOLVE("os-id", "x", mid, osrel, "debian");
        RESOLVE("os-image-id", "x", mid, osrel, "img");
        RESOLVE("literal:foo", "x", mid, osrel, "foo");
#undef RESOLVE

        t = (char *) 0x1;
        CHECK_EQ_INT(uki_entry_token_resolve("os-image-id", NULL, mid, osrel_noimg, strlen(osrel_noimg), &t), -ENXIO);
        CHECK_EQ_INT(uki_entry_token_resolve("machine-id", NULL, NULL, osrel, strlen(osrel), &t), -ENXIO);
        CHECK_EQ_INT(uki_entry_token_resolve("auto", NULL, NULL, NULL, 0, &t), -ENXIO);
        CHECK_EQ_INT(uki_entry_token_resolve("literal:../x", NULL, NULL, NULL, 0, &t), -EINVAL);
        CHECK_EQ_INT(uki_entry_token_resolve("literal:", NULL, NULL, NULL, 0, &t), -EINVAL);
        CHECK_EQ_INT(uki_entry_token_resolve("bogus", NULL, mid, NULL, 0, &t), -EINVAL);
        CHECK_EQ_INT(uki_entry_token_resolve("auto", "a/b\n", mid, NULL, 0, &t), -EINVAL);
        CHECK(t == (char *) 0x1);
}

int main(void) {
        test_token();
        test_version();
        test_format();
        test_parse();
        test_matches();
        test_tries();
        test_machine_id();
        test_resolve();
        TEST_DONE();
}
