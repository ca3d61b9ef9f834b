/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ESP pick-up rules shared by ukit-stub and `ukit measure --esp`
 * (src/fundamental/esp-pickup.c) and the host prediction
 * (src/lib/pcr/esp-predict.c) on a directory tree (credentials, sysexts and
 * confexts, which the sysext rule must not take): the generated archives are
 * read back by bsdtar and GNU cpio with the original contents, in sorted
 * order, and PCR 12/13 are the extends of their SHA-256 (computed here
 * with libcrypto directly). */

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esp-pickup.h"
#include "esp-predict.h"
#include "test.h"

static void write_file(const char *path, const void *p, size_t n) {
        FILE *f = fopen(path, "wb");
        CHECK(f);
        CHECK(fwrite(p, 1, n, f) == n);
        CHECK(fclose(f) == 0);
}

typedef struct Seen {
        unsigned pcr[8];
        uint8_t *data[8];
        size_t size[8];
        size_t n;
} Seen;

static void observe(void *ud, unsigned pcr, const void *data, size_t size) {
        Seen *s = ud;
        CHECK(s->n < 8);
        s->pcr[s->n] = pcr;
        s->data[s->n] = malloc(size);
        CHECK(s->data[s->n]);
        memcpy(s->data[s->n], data, size);
        s->size[s->n++] = size;
}

static void extend(uint8_t value[32], const uint8_t *data, size_t n) {
        uint8_t buf[64];
        memcpy(buf, value, 32);
        SHA256(data, n, buf + 32);
        SHA256(buf, 64, value);
}

static void run(const char *cmd) {
        int r = system(cmd);
        if (r != 0)
                fprintf(stderr, "command failed (%d): %s\n", r, cmd);
        CHECK(r == 0);
}

static void test_rules(void) {
        CHECK(esp_name_ok("a.cred", 6, ".cred"));
        CHECK(esp_name_ok("A.CRED", 6, ".cred"));
        CHECK(esp_name_ok(".cred", 5, ".cred") == false);       /* hidden */
        CHECK(esp_name_ok("x.cred~", 7, ".cred") == false);
        CHECK(esp_name_ok("cred", 4, ".cred") == false);
        CHECK(esp_name_ok("a\x01.cred", 7, ".cred") == false);
        CHECK(esp_name_ok("\xc3\xa4.cred", 7, ".cred") == false);
        CHECK(esp_name_ok("a/b.cred", 8, ".cred") == false);
        CHECK(esp_name_ok("a\x7f.cred", 7, ".cred") == false);  /* how src/stub/esp-dir.c marks non-ASCII */
        CHECK(esp_name_ok("10-x.addon.efi", 14, ESP_ADDON_SUFFIX));
        CHECK(esp_name_ok("x.efi", 5, ESP_ADDON_SUFFIX) == false);
        char longname[ESP_NAME_MAX + 2];
        memset(longname, 'n', sizeof(longname));
        memcpy(longname + ESP_NAME_MAX + 1 - 5, ".cred", 5);
        CHECK(esp_name_ok(longname, ESP_NAME_MAX + 1, ".cred") == false);
        CHECK(esp_name_ok(longname + 1, ESP_NAME_MAX, ".cred"));

        /* sysexts: *.raw as systemd-stub 252, minus the confexts (current
         * systemd-stub); confexts go to PCR 12 */
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_SYSEXTS], "ext.raw", 7));
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_SYSEXTS], "x.sysext.raw", 12));
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_SYSEXTS], "confext.raw", 11));     /* no ".confext.raw" suffix */
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_SYSEXTS], "x.confext.raw", 13) == false);
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_SYSEXTS], "X.CONFEXT.RAW", 13) == false);
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CONFEXTS], "x.confext.raw", 13));
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CONFEXTS], "X.ConfExt.Raw", 13));
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CONFEXTS], "x.raw", 5) == false);
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CONFEXTS], "confext.raw", 11) == false);
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CONFEXTS], ".confext.raw", 12) == false);   /* hidden */
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CONFEXTS], "x.confext.raw~", 14) == false);
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CREDENTIALS], "a.cred", 6));
        CHECK(esp_pickup_name_ok(&esp_pickups[ESP_PICKUP_CREDENTIALS], "a.raw", 5) == false);
        CHECK_EQ_INT(esp_pickups[ESP_PICKUP_SYSEXTS].pcr, 13);
        CHECK_EQ_INT(esp_pickups[ESP_PICKUP_CONFEXTS].pcr, 12);
        CHECK_EQ_INT(esp_pickups[ESP_PICKUP_CREDENTIALS].pcr, 12);
        CHECK_EQ_INT(esp_pickups[ESP_PICKUP_GLOBAL_CREDENTIALS].pcr, 12);
        CHECK_EQ_STR(esp_pickups[ESP_PICKUP_CONFEXTS].target, ".extra/confext");

        char names[4][ESP_NAME_MAX + 1] = { "b", "a", "B", "ab" };
        esp_sort_names(names, 4);
        CHECK_EQ_STR(names[0], "B");
        CHECK_EQ_STR(names[1], "a");
        CHECK_EQ_STR(names[2], "ab");
        CHECK_EQ_STR(names[3], "b");

        char buf[32];
        size_t len = 0;
        buf[0] = 0;
        CHECK(esp_cmdline_append(buf, sizeof(buf), &len, "  \n", 3));          /* nothing to add */
        CHECK_EQ_INT(len, 0);
        CHECK(esp_cmdline_append(buf, sizeof(buf), &len, "a=1\n", 4));
        CHECK_EQ_STR(buf, "a=1");
        CHECK(esp_cmdline_append(buf, sizeof(buf), &len, "b\t=2 \0ignored", 13));
        CHECK_EQ_STR(buf, "a=1 b =2");
        CHECK_EQ_INT(len, 8);
        CHECK(esp_cmdline_append(buf, sizeof(buf), &len, "0123456789012345678901234", 25) == false);
        CHECK_EQ_STR(buf, "a=1 b =2");                                  /* unchanged */
        CHECK(esp_cmdline_append(buf, sizeof(buf), &len, "0123456789012345678901", 22));
        CHECK_EQ_INT(len, 31);
}

static void test_predict(void) {
        char dir[] = "/tmp/test-esp-pickup.XXXXXX", p[1024], cmd[4096];
        PcrState s12, s13;
        Seen seen = {};
        UkitError bad = UKIT_ERROR_INIT;

        CHECK(mkdtemp(dir));
        snprintf(cmd, sizeof(cmd),
                 "set -e; cd %s; mkdir -p esp/EFI/Linux/u.efi.extra.d/dir.cred esp/loader/credentials out; "
                 "echo uki >esp/EFI/Linux/u.efi; cd esp/EFI/Linux/u.efi.extra.d; "
                 "printf 'bee' >b.cred; printf 'alpha\\n' >a.cred; printf 'upper' >X.CRED; printf h >.hidden.cred; "
                 "printf notes >notes.txt; head -c 70000 /dev/urandom >ext.raw; printf zz >z.raw; "
                 "head -c 3000 /dev/urandom >c.confext.raw; printf conf >B.CONFEXT.RAW; "
                 "truncate -s %u huge.raw; cd ../../..; printf global >loader/credentials/g.cred",
                 dir, ESP_FILE_SIZE_MAX + 1u);
        run(cmd);

        snprintf(p, sizeof(p), "%s/esp", dir);
        char uki[1100];
        snprintf(uki, sizeof(uki), "%s/EFI/Linux/u.efi", p);
        CHECK_EQ_INT(esp_predict_observe(p, uki, NULL, PCR_BANK_BIT(PCR_BANK_SHA256), &s12, &s13, &bad, observe, &seen), 0);
        CHECK(bad.code == 0 && !bad.path[0]);
        /* the stub's order: credentials, global credentials, sysexts, confexts */
        CHECK_EQ_INT(seen.n, 4);
        CHECK_EQ_INT(seen.pcr[0], 12);
        CHECK_EQ_INT(seen.pcr[1], 12);
        CHECK_EQ_INT(seen.pcr[2], 13);
        CHECK_EQ_INT(seen.pcr[3], 12);

        uint8_t v12[32] = {}, v13[32] = {};
        extend(v12, seen.data[0], seen.size[0]);
        extend(v12, seen.data[1], seen.size[1]);
        extend(v12, seen.data[3], seen.size[3]);
        extend(v13, seen.data[2], seen.size[2]);
        CHECK(memcmp(s12.value[PCR_BANK_SHA256], v12, 32) == 0);
        CHECK(memcmp(s13.value[PCR_BANK_SHA256], v13, 32) == 0);

        const char *names[] = { "cred", "gcred", "sysext", "confext" };
        for (size_t i = 0; i < 4; i++) {
                snprintf(p, sizeof(p), "%s/out/%s.cpio", dir, names[i]);
                write_file(p, seen.data[i], seen.size[i]);
                free(seen.data[i]);
        }
        /* GNU cpio and bsdtar list the same names in the same (sorted)
         * order and extract the same bytes as the originals */
        snprintf(cmd, sizeof(cmd),
                 "set -e; cd %s/out; d=../esp/EFI/Linux/u.efi.extra.d; "
                 "for a in cred gcred sysext confext; do "
                 "  cpio -it --quiet <$a.cpio >$a.cpio.list; bsdtar -tf $a.cpio >$a.tar.list; cmp $a.cpio.list $a.tar.list; "
                 "  mkdir $a.c $a.t; (cd $a.c && cpio -idm --quiet <../$a.cpio); bsdtar -xf $a.cpio -C $a.t; "
                 "  diff -r $a.c $a.t; done; "
                 "printf '.extra\\n.extra/credentials\\n.extra/credentials/X.CRED\\n.extra/credentials/a.cred\\n"
                 ".extra/credentials/b.cred\\n' | cmp - cred.cpio.list; "
                 "printf '.extra\\n.extra/global_credentials\\n.extra/global_credentials/g.cred\\n' | cmp - gcred.cpio.list; "
                 "printf '.extra\\n.extra/sysext\\n.extra/sysext/ext.raw\\n.extra/sysext/z.raw\\n' | cmp - sysext.cpio.list; "
                 "printf '.extra\\n.extra/confext\\n.extra/confext/B.CONFEXT.RAW\\n.extra/confext/c.confext.raw\\n' "
                 "| cmp - confext.cpio.list; "
                 "for f in B.CONFEXT.RAW c.confext.raw; do cmp $d/$f confext.t/.extra/confext/$f; done; "
                 "test \"$(stat -c %%a confext.c/.extra/confext)\" = 555; "
                 "test \"$(stat -c %%a confext.c/.extra/confext/c.confext.raw)\" = 444; "
                 "for f in X.CRED a.cred b.cred; do cmp $d/$f cred.t/.extra/credentials/$f; done; "
                 "for f in ext.raw z.raw; do cmp $d/$f sysext.t/.extra/sysext/$f; done; "
                 "cmp ../esp/loader/credentials/g.cred gcred.t/.extra/global_credentials/g.cred; "
                 "test \"$(stat -c %%a cred.c/.extra/credentials/a.cred)\" = 400; "
                 "test \"$(stat -c %%a sysext.c/.extra/sysext)\" = 555",
                 dir);
        run(cmd);

        /* deterministic: the same tree gives the same values */
        PcrState t12, t13;
        snprintf(p, sizeof(p), "%s/esp", dir);
        CHECK_EQ_INT(esp_predict(p, uki, NULL, PCR_BANK_BIT(PCR_BANK_SHA256), &t12, &t13, NULL), 0);
        CHECK(memcmp(&t12, &s12, sizeof(t12)) == 0 && memcmp(&t13, &s13, sizeof(t13)) == 0);

        /* a UKI outside the ESP, and more files than the stub takes */
        char outside[1100];
        snprintf(outside, sizeof(outside), "%s/out/cred.cpio", dir);
        CHECK_EQ_INT(esp_predict(p, outside, NULL, PCR_BANK_BIT(PCR_BANK_SHA256), &t12, &t13, &bad), -EXDEV);
        CHECK(bad.code == -EXDEV && bad.path[0]);
        ukit_error_clear(&bad);
        snprintf(cmd, sizeof(cmd), "cd %s/esp/loader/credentials && for i in $(seq 1 %u); do echo $i >$i.cred; done",
                 dir, ESP_FILES_MAX);
        run(cmd);
        CHECK_EQ_INT(esp_predict(p, uki, NULL, PCR_BANK_BIT(PCR_BANK_SHA256), &t12, &t13, &bad), -E2BIG);
        CHECK(bad.code == -E2BIG && strstr(bad.path, "loader/credentials"));

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        run(cmd);
}

int main(void) {
        test_rules();
        test_predict();
        TEST_DONE();
}
