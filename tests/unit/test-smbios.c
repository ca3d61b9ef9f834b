/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SMBIOS parsing (src/fundamental/smbios.c) and CHIDs (chid.c). The CHIDs
 * expected for TABLE are what fwupdtool 2.0 (Debian 12) printed for the same
 * table (FWUPD_SYSFSFWDIR pointing at it); tests/interop/test-chid-fwupd.sh
 * compares more tables with fwupd at run time. */

#include "chid.h"
#include "smbios.h"
#include "test.h"

/* Types 0, 1, 2, 3 and 127; written by a Python script from the field
 * values, not by ukit. */
static const uint8_t TABLE[] = {
        0x00, 0x18, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x05, 0x06, 0x00, 0x00, 0x42, 0x69, 0x6f, 0x73, 0x56, 0x65, 0x6e, 0x64,
        0x00, 0x56, 0x31, 0x2e, 0x32, 0x20, 0x00, 0x00, 0x01, 0x1b, 0x01, 0x00, 0x01, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x06, 0x03, 0x04, 0x41, 0x43, 0x4d, 0x45, 0x20, 0x49, 0x6e, 0x63, 0x00, 0x57, 0x69, 0x64, 0x67,
        0x65, 0x74, 0x20, 0x33, 0x30, 0x30, 0x30, 0x00, 0x53, 0x4b, 0x55, 0x2d, 0x39, 0x00, 0x57, 0x69,
        0x64, 0x67, 0x65, 0x74, 0x46, 0x61, 0x6d, 0x00, 0x00, 0x02, 0x09, 0x02, 0x00, 0x01, 0x02, 0x00,
        0x00, 0x00, 0x41, 0x43, 0x4d, 0x45, 0x20, 0x42, 0x6f, 0x61, 0x72, 0x64, 0x00, 0x42, 0x42, 0x2d,
        0x31, 0x00, 0x00, 0x03, 0x09, 0x03, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x41, 0x43, 0x4d, 0x45,
        0x20, 0x49, 0x6e, 0x63, 0x00, 0x00, 0x7f, 0x04, 0x04, 0x00, 0x00, 0x00,
};

static const char *const FWUPD_CHIDS[CHID_TYPES] = {
        "0f759ec0-fa2b-52b0-b930-52d388832098", "8adce36d-31a4-58b7-8bcf-0f7ae4038a70",
        "abc0bdc6-14ac-5f85-999e-b49b9754b0f9", "7ee7aef0-a0d5-53ad-9d5e-627b46feea33",
        "1d479a21-4865-5873-98d6-02396e769d9b", "fd548852-b8a7-5add-9ced-9e17e762edf0",
        "159d46a2-941c-5a14-8fd3-0abdbaafd9f6", "0a14ea15-a5c8-59d7-a092-d01568ca602b",
        "bb2f7e34-e955-532f-a6af-a114f2245976", "6a204125-8b3c-5a48-93e6-fb9d996e58af",
        "aa9a489f-f9c6-5082-9813-58019530d5b1", "fd47a2db-6267-5293-87bd-be0b82918497",
        "e0052991-ef74-5e23-9275-0baf3b9530a1", "e7d5079a-2fef-5fac-b917-9934cfb8599f",
        "99815d03-b3b8-53c8-b269-235f13eb2957",
};

static void test_fields(void) {
        SmbiosFields f;

        smbios_fields_get(TABLE, sizeof(TABLE), &f);
        CHECK_EQ_STR(f.manufacturer, "ACME Inc");
        CHECK_EQ_STR(f.product_name, "Widget 3000");
        CHECK_EQ_STR(f.product_sku, "SKU-9");
        CHECK_EQ_STR(f.family, "WidgetFam");
        CHECK_EQ_STR(f.baseboard_manufacturer, "ACME Board");
        CHECK_EQ_STR(f.baseboard_product, "BB-1");
        CHECK_EQ_STR(f.bios_vendor, "BiosVend");
        CHECK_EQ_STR(f.bios_version, "V1.2 ");
        CHECK_EQ_INT(f.bios_major, 5);
        CHECK_EQ_INT(f.bios_minor, 6);
        CHECK_EQ_INT(f.enclosure_type, 10);
}

static void test_chids_fwupd(void) {
        SmbiosFields f;
        ChidString s[_CHID_FIELDS_MAX];
        Chid c[CHID_TYPES];
        char buf[37];

        smbios_fields_get(TABLE, sizeof(TABLE), &f);
        chid_fields_fwupd(&f, s);
        chid_calculate(s, c);
        for (size_t i = 0; i < CHID_TYPES; i++) {
                chid_format(&c[i], buf);
                CHECK_EQ_STR(buf, FWUPD_CHIDS[i]);
        }

        /* The stub's fields: the same strings here (no leading zeros or
         * spaces), so the six-field CHIDs agree and the BIOS/enclosure ones
         * are not computed. */
        chid_fields_stub(&f, s);
        chid_calculate(s, c);
        for (size_t i = 0; i < CHID_TYPES; i++) {
                chid_format(&c[i], buf);
                if (i <= 2 || i == 12)
                        CHECK(chid_is_null(&c[i]));
                else
                        CHECK_EQ_STR(buf, FWUPD_CHIDS[i]);
        }
}

static void test_truncated(void) {
        /* Every prefix: no read past the end (ASan), strings only when the
         * whole structure is there. */
        for (size_t n = 0; n < sizeof(TABLE); n++) {
                uint8_t *copy = malloc(n ? n : 1);
                CHECK(copy);
                memcpy(copy, TABLE, n);
                SmbiosFields f;
                smbios_fields_get(copy, n, &f);
                if (n < 40)
                        CHECK(!f.bios_vendor);
                if (n < 105)
                        CHECK(!f.manufacturer);
                CHECK(!smbios_oem_string(copy, n, "x"));
                free(copy);
        }
}

static void test_oem(void) {
        static const uint8_t t[] = {
                11, 5, 0, 0, 3,
                'a', '=', '1', 0,
                'i', 'o', '.', 'x', 0,
                'i', 'o', '.', 'x', '=', 'q', ' ', 'r', 0, 0,
                11, 5, 1, 0, 1,
                'b', '=', '2', 0, 0,
                127, 4, 2, 0, 0, 0,
        };
        CHECK_EQ_STR(smbios_oem_string(t, sizeof(t), "a"), "1");
        CHECK_EQ_STR(smbios_oem_string(t, sizeof(t), "io.x"), "q r");
        CHECK(!smbios_oem_string(t, sizeof(t), "io"));
        /* Only the first type 11 structure counts, as in systemd-stub. */
        CHECK(!smbios_oem_string(t, sizeof(t), "b"));
        /* A structure whose string set runs off the end is not one. */
        CHECK(!smbios_oem_string(t, 20, "a"));
}

static void test_entry_points(void) {
        uint8_t ep3[24] = { '_', 'S', 'M', '3', '_', 0, 24, 3, 2, 0, 1, 0, 0x9c, 0, 0, 0,
                            0x00, 0x10, 0, 0, 1, 0, 0, 0 };
        uint8_t sum = 0;
        for (size_t i = 0; i < sizeof(ep3); i++)
                sum = (uint8_t) (sum + ep3[i]);
        ep3[5] = (uint8_t) -sum;
        uint64_t addr;
        size_t len;
        CHECK(smbios_entry_point_parse(ep3, sizeof(ep3), &addr, &len));
        CHECK_EQ_INT(addr, UINT64_C(0x100001000));
        CHECK_EQ_INT(len, 0x9c);
        ep3[12] ^= 1;
        CHECK(!smbios_entry_point_parse(ep3, sizeof(ep3), &addr, &len));
        CHECK(!smbios_entry_point_parse(ep3, 23, &addr, &len));

        uint8_t ep2[31] = { '_', 'S', 'M', '_', 0, 31, 2, 8, 0, 0, 0, 0, 0, 0, 0, 0,
                            '_', 'D', 'M', 'I', '_', 0, 0x9c, 0, 0x00, 0x00, 0x0f, 0x00, 5, 0, 0x28 };
        sum = 0;
        for (size_t i = 0x10; i < sizeof(ep2); i++)
                sum = (uint8_t) (sum + ep2[i]);
        ep2[0x15] = (uint8_t) -sum;
        sum = 0;
        for (size_t i = 0; i < sizeof(ep2); i++)
                sum = (uint8_t) (sum + ep2[i]);
        ep2[4] = (uint8_t) -sum;
        CHECK(smbios_entry_point_parse(ep2, sizeof(ep2), &addr, &len));
        CHECK_EQ_INT(addr, 0xf0000);
        CHECK_EQ_INT(len, 0x9c);
        ep2[0x11] = 'X';
        CHECK(!smbios_entry_point_parse(ep2, sizeof(ep2), &addr, &len));
}

int main(void) {
        test_fields();
        test_chids_fwupd();
        test_truncated();
        test_oem();
        test_entry_points();
        TEST_DONE();
}
