/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The matching rules of the fact sheet (systemd's
 * extension_release_validate()), in order; UAPI.10 version order with the
 * specification's own examples; verity signature JSON reader. */
#include <string.h>

#include "test.h"
#include "extension-release.h"
#include "verity-sig.h"

#define EXT_REASON_MAX sizeof(((UkitError *) NULL)->what)

/* extension_release_validate() as 1 accept / 0 reject, the reason copied
 * into reason. */
static int validate(ExtClass c, const char *name, const char *data, size_t size, const HostRelease *h,
                    char reason[EXT_REASON_MAX]) {
        UkitError err = UKIT_ERROR_INIT;
        int r = extension_release_validate(c, name, data, size, h, &err);
        CHECK(r == 0 || r == -EPERM);
        CHECK(r == 0 || err.code == r);
        strcpy(reason, r == 0 ? "" : err.what);
        return r == 0;
}

static HostRelease host(const char *text) {
        HostRelease h;
        CHECK(host_release_parse(EXT_SYSEXT, text, strlen(text), &h) == 0);
        h.arch = "x86-64";
        return h;
}

static int v(const char *ext, const HostRelease *h) {
        char reason[EXT_REASON_MAX];
        int r = validate(EXT_SYSEXT, "foo", ext, strlen(ext), h, reason);
        CHECK(r >= 0);
        CHECK(r == 1 || reason[0]);
        return r;
}

static void test_rules(void) {
        HostRelease deb = host("ID=debian\nVERSION_ID=\"12\"\n");
        HostRelease lvl = host("ID=debian\nVERSION_ID=12\nSYSEXT_LEVEL=1.0\n");
        HostRelease rolling = host("ID=arch\n");
        HostRelease like = host("ID=ubuntu\nID_LIKE=\"debian foo\"\nVERSION_ID=24.04\n");
        HostRelease h;
        char reason[EXT_REASON_MAX];

        CHECK(host_release_parse(EXT_SYSEXT, "VERSION_ID=1\n", 13, &h) == -ENOMSG);
        CHECK(host_release_parse(EXT_SYSEXT, "ID='x\n", 6, &h) == -EBADMSG);

        CHECK(validate(EXT_SYSEXT, "foo", "", 0, &deb, reason) == 0);
        CHECK(strstr(reason, "no extension-release data"));
        CHECK_EQ_INT(v("ID=debian\nVERSION_ID=12\n", &deb), 1);
        CHECK_EQ_INT(v("ID=debian\nVERSION_ID=11\n", &deb), 0);
        CHECK_EQ_INT(v("ID=debian\n", &deb), 0);                       /* host pins VERSION_ID */
        CHECK_EQ_INT(v("ID=fedora\nVERSION_ID=12\n", &deb), 0);
        CHECK_EQ_INT(v("ID=_any\n", &deb), 1);
        CHECK_EQ_INT(v("VERSION_ID=12\n", &deb), 0);                   /* no ID */
        CHECK_EQ_INT(v("ID=debian\n", &rolling), 0);
        CHECK_EQ_INT(v("ID=arch\n", &rolling), 1);                     /* rolling: no pin */
        /* levels: compared when both have one, else VERSION_ID */
        CHECK_EQ_INT(v("ID=debian\nSYSEXT_LEVEL=1.0\n", &lvl), 1);
        CHECK_EQ_INT(v("ID=debian\nSYSEXT_LEVEL=1.1\nVERSION_ID=12\n", &lvl), 0);
        CHECK_EQ_INT(v("ID=debian\nVERSION_ID=12\n", &lvl), 1);
        CHECK_EQ_INT(v("ID=debian\nVERSION_ID=13\n", &lvl), 0);
        /* ARCHITECTURE before ID */
        CHECK_EQ_INT(v("ID=_any\nARCHITECTURE=arm64\n", &deb), 0);
        CHECK_EQ_INT(v("ID=_any\nARCHITECTURE=x86-64\n", &deb), 1);
        CHECK_EQ_INT(v("ID=_any\nARCHITECTURE=_any\n", &deb), 1);
        /* scope: default "system portable"; initrd only if listed */
        CHECK_EQ_INT(v("ID=_any\nSYSEXT_SCOPE=initrd\n", &deb), 0);
        CHECK_EQ_INT(v("ID=_any\nSYSEXT_SCOPE=\"initrd system\"\n", &deb), 1);
        HostRelease ird = deb;
        ird.scope = "initrd";
        CHECK_EQ_INT(v("ID=_any\n", &ird), 0);
        /* ID_LIKE (newer systemd) */
        CHECK_EQ_INT(v("ID=debian\nVERSION_ID=24.04\n", &like), 1);
        CHECK_EQ_INT(v("ID=deb\nVERSION_ID=24.04\n", &like), 0);
        /* syntax errors are rejected with the line */
        CHECK(validate(EXT_SYSEXT, "foo", "ID=_any\nX='unterminated\n", 24, &deb, reason) == 0);
        CHECK(strstr(reason, "line 2"));
        /* last assignment wins */
        CHECK_EQ_INT(v("ID=fedora\nID=debian\nVERSION_ID=12\n", &deb), 1);
        /* confext uses CONFEXT_LEVEL */
        HostRelease c;
        CHECK(host_release_parse(EXT_CONFEXT, "ID=debian\nCONFEXT_LEVEL=3\nSYSEXT_LEVEL=9\n", 41, &c) == 0);
        c.arch = "x86-64";
        CHECK_EQ_STR(c.level, "3");
        CHECK(validate(EXT_CONFEXT, "c", "ID=debian\nCONFEXT_LEVEL=3\n", 26, &c, reason) == 1);
        CHECK(validate(EXT_CONFEXT, "c", "ID=debian\nCONFEXT_LEVEL=9\n", 26, &c, reason) == 0);
}

static void test_format(void) {
        char *t = NULL;
        CHECK(extension_release_format(EXT_SYSEXT, "debian", "12", "1.0", "x86-64", "system initrd", &t) == 0);
        CHECK_EQ_STR(t, "ID=\"debian\"\nVERSION_ID=\"12\"\nSYSEXT_LEVEL=\"1.0\"\nARCHITECTURE=\"x86-64\"\n"
                        "SYSEXT_SCOPE=\"system initrd\"\n");
        free(t);
        CHECK(extension_release_format(EXT_CONFEXT, "a\"b$c", NULL, NULL, NULL, NULL, &t) == 0);
        CHECK_EQ_STR(t, "ID=\"a\\\"b\\$c\"\n");
        /* and the osrel parser reads back what we wrote */
        HostRelease h;
        CHECK(host_release_parse(EXT_CONFEXT, t, strlen(t), &h) == 0);
        CHECK_EQ_STR(h.id, "a\"b$c");
        free(t);
        CHECK(extension_release_format(EXT_SYSEXT, "de\nbian", NULL, NULL, NULL, NULL, &t) == -EINVAL);
        CHECK(extension_release_format(EXT_SYSEXT, "", NULL, NULL, NULL, NULL, &t) == -EINVAL);
}

static void test_vercmp(void) {
        /* examples from the Version Format Specification (UAPI.10) */
        CHECK(vercmp("11", "11") == 0);
        CHECK(vercmp("systemd-123", "systemd-123") == 0);
        CHECK(vercmp("bar-123", "foo-123") < 0);
        CHECK(vercmp("123a", "123") > 0);
        CHECK(vercmp("123.a", "123") > 0);
        CHECK(vercmp("123.a", "123.b") < 0);
        CHECK(vercmp("123a", "123.a") > 0);
        CHECK(vercmp("A", "a") < 0);
        CHECK(vercmp("", "0") < 0);
        CHECK(vercmp("0.", "0") > 0);
        CHECK(vercmp("0.0", "0") > 0);
        CHECK(vercmp("1_", "1") == 0);
        CHECK(vercmp("_1", "1") == 0);
        CHECK(vercmp("1_", "1.2") < 0);
        CHECK(vercmp("1_2_3", "1.3.3") > 0);
        CHECK(vercmp("1~rc1", "1") < 0);
        CHECK(vercmp("1^post", "1") > 0);
        CHECK(vercmp("1^post", "1.1") < 0);   /* as systemd-analyze compare-versions 252 */
        CHECK(vercmp("1^", "1.") < 0);
        CHECK(vercmp("1-", "1^") < 0);
        CHECK(vercmp("1^", "1a") < 0);
        CHECK(vercmp("1^post", "1-1") > 0);
        CHECK(vercmp("0", "~") > 0);
        CHECK(vercmp("a", "1") < 0);
        CHECK(vercmp("foo10", "foo9") > 0);
        CHECK(vercmp("007", "7") == 0);
}

static void test_sig_json(void) {
        char *hex = NULL;
        uint8_t *der = NULL;
        size_t n;
        char buf[64 + 200];
        const char *ok = "{ \"rootHash\" : \"AABBccdd00112233445566778899aabb\", \"x\":\"y\", \"signature\":\"AAEC\\/w==\" }";

        memset(buf, 0, sizeof(buf));
        strcpy(buf, ok);
        CHECK(verity_sig_json_parse(buf, sizeof(buf), &hex, &der, &n) == 0);
        CHECK_EQ_STR(hex, "aabbccdd00112233445566778899aabb");
        CHECK_EQ_INT(n, 4);
        CHECK(der[0] == 0 && der[1] == 1 && der[2] == 2 && der[3] == 0xff);
        free(hex);
        free(der);
        buf[sizeof(buf) - 1] = 'x';     /* junk after the NUL padding */
        CHECK(verity_sig_json_parse(buf, sizeof(buf), &hex, &der, &n) == -EBADMSG);
        static const char *const bad[] = {
                "", "{", "{}", "[]", "{\"rootHash\":\"00\"}",
                "{\"rootHash\":\"0g112233445566778899\",\"signature\":\"AAEC\"}",
                "{\"rootHash\":\"00112233445566778899aabbccddeeff\",\"signature\":\"AAE\"}",
                "{\"rootHash\":\"00112233445566778899aabbccddeeff\",\"signature\":\"AAEC\"} x",
                "{\"rootHash\":\"00112233445566778899aabbccddeeff\",\"signature\":\"AAEC\",}",
                "{\"rootHash\":\"00112233445566778899aabbccddeeff\",\"signature\":1}",
                "{\"rootHash\":\"00112233445566778899aabbccddeeff\",\"rootHash\":\"00112233445566778899aabbccddeeff\",\"signature\":\"AAEC\"}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK(verity_sig_json_parse(bad[i], strlen(bad[i]), &hex, &der, &n) == -EBADMSG);
}

int main(void) {
        test_rules();
        test_format();
        test_vercmp();
        test_sig_json();
        TEST_DONE();
}
