/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysupdate.d(5) patterns and UAPI.10 version order. The expected orders
 * are the UAPI Version Format Specification's rules and its examples (the
 * list systemd's strverscmp_improved() test walks), not ukit's output. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "update-pattern.h"
#include "update-transfer.h"
#include "update-version.h"

static void test_version_order(void) {
        /* ascending, from the specification's examples */
        static const char *const v[] = {
                "~1", "", "ab", "abb", "abc", "0001", "002", "12", "122", "122.9", "123~rc1", "123",
                "123-a", "123-a.1", "123-a1", "123-a1.1", "123-3", "123-3.1", "123^patch1", "123^1",
                "123.a-1", "123.1-1", "123a-1", "124",
        };
        size_t n = sizeof(v) / sizeof(v[0]);

        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                        int r = update_version_cmp(v[i], v[j]);
                        int want = i < j ? -1 : i > j ? 1 : 0;
                        if ((r > 0) - (r < 0) != want)
                                fprintf(stderr, "cmp(%s, %s) = %d, want %d\n", v[i], v[j], r, want);
                        CHECK((r > 0) - (r < 0) == want);
                }
}

static void test_version_pairs(void) {
        CHECK(update_version_cmp("1.0", "1") > 0);
        CHECK(update_version_cmp("2.0", "10.0") < 0);
        CHECK(update_version_cmp("1.0~rc1", "1.0") < 0);
        CHECK(update_version_cmp("1.0^1", "1.0.1") < 0);
        CHECK(update_version_cmp("1.0^1", "1.0") > 0);
        CHECK(update_version_cmp("1_0", "1.0") > 0);           /* "_" is skipped: 10 > 1 */
        CHECK(update_version_cmp("a", "B") > 0);               /* ASCII order */
        CHECK(update_version_cmp("1.01", "1.1") == 0);         /* leading zeros */
        CHECK(update_version_cmp("5.2", "abc-5") > 0);
        CHECK(update_version_cmp("1.0.0~rc1", "5.2") < 0);
        CHECK(update_version_cmp("225.1", "2") > 0);
        CHECK(update_version_cmp("124", "123") > 0);
        CHECK(update_version_cmp(NULL, "1") < 0);
        CHECK(update_version_cmp("1", NULL) > 0);
        CHECK(update_version_cmp(NULL, NULL) == 0);
        CHECK(update_version_cmp("6.1.0-57", "6.1.0-9") > 0);
        CHECK(update_version_cmp("20241201", "20241130") > 0);
}

static void test_version_valid(void) {
        CHECK(update_version_valid("1.0"));
        CHECK(update_version_valid("1.0-rc1_2,3+4"));
        CHECK(!update_version_valid(""));
        CHECK(!update_version_valid(NULL));
        CHECK(!update_version_valid("1/0"));
        CHECK(!update_version_valid("1 0"));
        CHECK(!update_version_valid("1~rc"));
        CHECK(!update_version_valid("1^2"));
}

static void check_bad_pattern(const char *p) {
        UpdatePattern pat;
        UkitError err = {};
        CHECK(update_pattern_parse(p, &pat, &err) < 0);
        CHECK(err.what[0] != 0);
}

static void test_pattern_parse(void) {
        check_bad_pattern("");
        check_bad_pattern("foo.efi");           /* no @v */
        check_bad_pattern("foo_@v_@v.efi");     /* twice */
        check_bad_pattern("foo_@x.efi");        /* unknown */
        check_bad_pattern("foo_@v@l.efi");      /* adjacent */
        check_bad_pattern("foo_@v@");
}

static UpdatePattern pat(const char *s) {
        UpdatePattern p;
        CHECK(update_pattern_parse(s, &p, NULL) == 0);
        return p;
}

static void test_pattern_match_counters(void) {
        UpdatePattern p = pat("foo_@v+@l-@d.efi"), q = pat("foo_@v.efi");
        UpdateMeta m;

        CHECK_EQ_INT(update_pattern_match(&p, "foo_2.0+3-0.efi", &m), 1);
        CHECK_EQ_STR(m.version, "2.0");
        CHECK_EQ_INT(m.tries_left, 3);
        CHECK_EQ_INT(m.tries_done, 0);
        update_meta_done(&m);
        CHECK_EQ_INT(update_pattern_match(&p, "foo_2.0.efi", &m), 0);
        CHECK_EQ_INT(update_pattern_match(&p, "foo_2.0+x-0.efi", &m), 0);
        /* systemd-sysupdate 257 ignores what follows the final literal
         * (test-update-partition-257.sh relies on the same; checked there
         * against 257 with "usr_@v.verity" and "usr_3.verity-sig") */
        CHECK_EQ_INT(update_pattern_match(&p, "foo_2.0+3-0.efi.bak", &m), 1);
        CHECK_EQ_STR(m.version, "2.0");
        update_meta_done(&m);
        CHECK_EQ_INT(update_pattern_match(&p, "bar_2.0+3-0.efi", &m), 0);
        CHECK_EQ_INT(update_pattern_match(&p, "foo_+3-0.efi", &m), 0);    /* empty version */
        /* '+' is a version character: the plain pattern takes it all */
        CHECK_EQ_INT(update_pattern_match(&q, "foo_2.0+3-0.efi", &m), 1);
        CHECK_EQ_STR(m.version, "2.0+3-0");
        CHECK_EQ_INT(m.tries_left, UPDATE_UNSET);
        update_meta_done(&m);
        CHECK_EQ_INT(update_pattern_match(&q, "foo_1~rc.efi", &m), 0);
        CHECK_EQ_INT(update_pattern_match(&q, "foo_.efi", &m), 0);
        update_pattern_done(&p);
        update_pattern_done(&q);
}

static void test_pattern_match_fields(void) {
        UpdatePattern p = pat("img_@v_@u_@f_@a@@@g_@r_@t_@m_@s_@h.raw");
        UpdateMeta m;
        const char *name = "img_7_0fc63daf-8483-4772-8e79-3d69d8477de4_0x1000_1@0_yes_1700000000000000_644_4096_"
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.raw";
        char *back;

        CHECK_EQ_INT(update_pattern_match(&p, name, &m), 1);
        CHECK_EQ_STR(m.version, "7");
        CHECK(m.has_uuid);
        CHECK_EQ_INT(m.uuid[0], 0x0f);
        CHECK_EQ_INT(m.uuid[15], 0xe4);
        CHECK_EQ_INT(m.flags, 0x1000);
        CHECK_EQ_INT(m.no_auto, 1);
        CHECK_EQ_INT(m.growfs, 0);
        CHECK_EQ_INT(m.read_only, 1);
        CHECK_EQ_INT(m.mtime_usec, 1700000000000000ULL);
        CHECK_EQ_INT(m.mode, 0644);
        CHECK_EQ_INT(m.size, 4096);
        CHECK(m.has_sha256);
        CHECK_EQ_INT(m.sha256[0], 0xe3);
        CHECK_EQ_INT(m.sha256[31], 0x55);
        /* a booleans' "yes" comes back as 1 */
        CHECK_EQ_INT(update_pattern_format(&p, &m, &back, NULL), 0);
        CHECK(strstr(back, "_1@0_1_1700000000000000_644_4096_e3b0c442") != NULL);
        CHECK(strstr(back, "0fc63daf-8483-4772-8e79-3d69d8477de4") != NULL);
        free(back);
        update_meta_done(&m);
        CHECK_EQ_INT(update_pattern_match(&p, "img_7_nouuid_0x1000_1@0_yes_1_644_4096_00.raw", &m), 0);
        update_pattern_done(&p);
}

/* Numbers in names as systemd-sysupdate 257 reads them (its parse-util.c):
 * @f hexadecimal, @m octal without world-write or set-id bits, the others
 * with C's prefixes plus "0b"/"0o", leading blanks skipped. */
static void test_pattern_numbers(void) {
        static const struct {
                const char *pattern, *name;
                int match;
                uint64_t value;
        } cases[] = {
                { "x_@v_@f", "x_1_10", 1, 0x10 },
                { "x_@v_@f", "x_1_0x10", 1, 0x10 },
                { "x_@v_@f", "x_1_g", 0, 0 },
                { "x_@v_@m", "x_1_0644", 1, 0644 },
                { "x_@v_@m", "x_1_775", 1, 0775 },
                { "x_@v_@m", "x_1_06", 0, 0 },          /* world-writable */
                { "x_@v_@m", "x_1_7", 0, 0 },
                { "x_@v_@m", "x_1_4755", 0, 0 },        /* set-uid */
                { "x_@v_@m", "x_1_+644", 0, 0 },
                { "x_@v_@m", "x_1_0o644", 0, 0 },
                { "x_@v_@m", "x_1_8", 0, 0 },
                { "x_@v_@t", "x_1_0644", 1, 0644 },
                { "x_@v_@t", "x_1_0x10", 1, 0x10 },
                { "x_@v_@t", "x_1_0b101", 1, 5 },
                { "x_@v_@t", "x_1_0o17", 1, 017 },
                { "x_@v_@t", "x_1_+5", 1, 5 },
                { "x_@v_@t", "x_1_-0", 1, 0 },
                { "x_@v_@t", "x_1_-5", 0, 0 },
                { "x_@v_@t", "x_1_ 7", 1, 7 },
                { "x_@v_@t", "x_1_18446744073709551615", 0, 0 },
                { "x_@v_@t", "x_1_18446744073709551616", 0, 0 },
                { "x_@v_@s", "x_1_09", 0, 0 },          /* not octal */
                { "x_@v_@l", "x_1_3", 1, 3 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                UpdatePattern p = pat(cases[i].pattern);
                UpdateMeta m;
                char f = cases[i].pattern[strlen(cases[i].pattern) - 1];
                int r = update_pattern_match(&p, cases[i].name, &m);

                if (r != cases[i].match)
                        fprintf(stderr, "case %zu: %s against %s\n", i, cases[i].name, cases[i].pattern);
                CHECK_EQ_INT(r, cases[i].match);
                if (r == 1) {
                        uint64_t v = f == 'f' ? m.flags : f == 'm' ? m.mode : f == 't' ? m.mtime_usec :
                                     f == 's' ? m.size : m.tries_left;
                        CHECK_EQ_INT(v, cases[i].value);
                        update_meta_done(&m);
                }
                update_pattern_done(&p);
        }
}

/* A mode comes back with three digits, flags in hex without "0x", as 257
 * writes them. */
static void test_pattern_format_numbers(void) {
        UpdatePattern p = pat("x_@v_@m_@f");
        UpdateMeta m;
        char *s;

        update_meta_init(&m);
        m.version = strdup("1");
        m.mode = 010;
        m.flags = 0x1000;
        CHECK_EQ_INT(update_pattern_format(&p, &m, &s, NULL), 0);
        CHECK_EQ_STR(s, "x_1_010_1000");
        free(s);
        update_meta_done(&m);
        update_pattern_done(&p);
}

static void test_pattern_format(void) {
        UpdatePattern p = pat("foo_@v+@l-@d.efi"), q = pat("dir-@v");
        UpdateMeta m;
        UkitError err = {};
        char *s;

        update_meta_init(&m);
        m.version = strdup("2.0");
        m.tries_left = 3;
        m.tries_done = 0;
        CHECK_EQ_INT(update_pattern_format(&p, &m, &s, NULL), 0);
        CHECK_EQ_STR(s, "foo_2.0+3-0.efi");
        free(s);
        CHECK_EQ_INT(update_pattern_format(&q, &m, &s, NULL), 0);
        CHECK_EQ_STR(s, "dir-2.0");
        free(s);
        m.tries_done = UPDATE_UNSET;
        CHECK(update_pattern_format(&p, &m, &s, &err) == -ENXIO);
        CHECK(strstr(err.what, "@d") != NULL);
        update_meta_done(&m);
        update_pattern_done(&p);
        update_pattern_done(&q);
}

static void test_transfer_parse(void) {
        UpdateSpecifiers spec = { .image_version = "1.5", .architecture = "x86-64" };
        UpdateTransfer t;
        UkitError err = {};
        const char *text =
                "# comment\n[Transfer]\nProtectVersion=%A\nProtectVersion=2~rc1\nProtectVersion=0.9\n"
                "MinVersion=1.0\nVerify=no\n\n"
                "[Source]\nType=regular-file\nPath=/srv/%a\nMatchPattern=foo_@v.efi\n"
                "[Target]\nType=regular-file\nPath=/efi/EFI/Linux\n"
                "MatchPattern=foo_@v+@l-@d.efi\n"
                "MatchPattern=foo_@v+@l.efi foo_@v.efi\nTriesLeft=3\nTriesDone=0\nInstancesMax=4\nMode=0600\n"
                "CurrentSymlink=/efi/cur.efi\nUnknownKey=1\n";

        CHECK_EQ_INT(update_transfer_parse("/x/50-foo.transfer", text, &spec, &t, &err), 0);
        CHECK_EQ_STR(t.id, "50-foo");
        /* each valid line adds one; "2~rc1" is not a valid version (257 ignores it) */
        CHECK_EQ_INT(t.n_protect_versions, 2);
        CHECK_EQ_STR(t.protect_versions[0], "1.5");
        CHECK_EQ_STR(t.protect_versions[1], "0.9");
        CHECK_EQ_STR(t.min_version, "1.0");
        CHECK(!t.verify);
        CHECK_EQ_STR(t.source.path, "/srv/x86-64");
        CHECK_EQ_INT(t.target.n_patterns, 3);
        CHECK_EQ_INT(t.tries_left, 3);
        CHECK_EQ_INT(t.instances_max, 4);
        CHECK_EQ_INT(t.mode, 0600);
        CHECK_EQ_STR(t.current_symlink, "/efi/cur.efi");
        CHECK_EQ_INT(t.target.type, UPDATE_RESOURCE_REGULAR_FILE);
        update_transfer_done(&t);

        CHECK(update_transfer_parse("/x/a.transfer", "[Target]\nInstancesMax=1\n", &spec, &t, &err) < 0);
        ukit_error_clear(&err);
        CHECK(update_transfer_parse("/x/a.transfer", "[Source]\nType=floppy\n", &spec, &t, &err) < 0);
        CHECK(strstr(err.what, "floppy") != NULL);
        ukit_error_clear(&err);
        CHECK(update_transfer_parse("/x/a.transfer", "[Source]\nType=regular-file\nPath=/a\nMatchPattern=x\n",
                                    &spec, &t, &err) < 0);
        ukit_error_clear(&err);
        CHECK(update_transfer_parse("/x/a.transfer", "[Source]\nPath=%Q\n", &spec, &t, &err) == -EBADSLT);
        ukit_error_clear(&err);

        /* MinVersion= is checked as written, before specifiers: 257 ignores
         * "%A" even though it would expand to a valid version, and "1~rc" */
        static const char *const mins[][2] = { { "%A", NULL }, { "1~rc", NULL }, { "2.0", "2.0" }, { "", NULL } };
        for (size_t i = 0; i < ELEMENTSOF(mins); i++) {
                char *d = NULL;
                CHECK(asprintf(&d, "[Transfer]\nMinVersion=%s\n"
                               "[Source]\nType=regular-file\nPath=/s\nMatchPattern=a_@v\n"
                               "[Target]\nType=regular-file\nPath=/t\nMatchPattern=a_@v\n", mins[i][0]) > 0);
                CHECK_EQ_INT(update_transfer_parse("/x/m.transfer", d, &spec, &t, &err), 0);
                if (mins[i][1])
                        CHECK_EQ_STR(t.min_version, mins[i][1]);
                else
                        CHECK(t.min_version == NULL);
                update_transfer_done(&t);
                free(d);
        }
}

int main(void) {
        test_version_order();
        test_version_pairs();
        test_version_valid();
        test_pattern_parse();
        test_pattern_match_counters();
        test_pattern_match_fields();
        test_pattern_numbers();
        test_pattern_format_numbers();
        test_pattern_format();
        test_transfer_parse();
        TEST_DONE();
}
