/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which .dtbauto to use, with systemd-stub 257's rules: where the firmware
 * has a devicetree, the .dtbauto whose root's first `compatible` string
 * equals the firmware's (and none if the firmware's has none); without one,
 * the machine's CHIDs (SMBIOS, chid.h with 257's field rules) are looked up
 * in .hwids (257's order, hwids.h) and the devicetree entry found gives the
 * `compatible` to look for. The first matching .dtbauto of the profile, else
 * of the base, wins; without a match no .dtbauto is used (nor measured) and
 * the boot falls back to .dtb. */

#include "chid.h"
#include "fdt.h"
#include "hwids.h"
#include "pe-sections.h"
#include "proto/dt-fixup.h"
#include "stub.h"
#include "util.h"

#define DTB_SIZE_MAX (64u * 1024u * 1024u)

typedef struct DtbWant {
        const char *compatible;         /* NULL: nothing matches */
} DtbWant;

static bool pick(const uint8_t *data, size_t size, void *userdata) {
        const DtbWant *w = userdata;
        const char *c = fdt_root_compatible(data, size);
        return c && w->compatible && streq8(c, w->compatible);
}

static const char *firmware_compatible(const uint8_t *fdt) {
        size_t total = (size_t) fdt[4] << 24 | (size_t) fdt[5] << 16 | (size_t) fdt[6] << 8 | fdt[7];
        return fdt_root_compatible(fdt, MIN(total, (size_t) DTB_SIZE_MAX));
}

static const char *hwids_compatible(const uint8_t *hwids, size_t size) {
        const uint8_t *table = NULL;
        size_t table_size = 0;
        SmbiosFields f;
        ChidString s[_CHID_FIELDS_MAX];
        Chid chids[CHID_TYPES];
        HwidsEntry e;

        if (!smbios_firmware_table(&table, &table_size))
                table_size = 0;
        smbios_fields_get(table, table_size, &f);
        chid_fields_stub(&f, s);
        chid_calculate(s, chids);
        if (!hwids_match(hwids, size, chids, HWIDS_TYPE_DEVICETREE, &e))
                return NULL;
        return e.compatible;
}

void dtbauto_select(const void *image, size_t size, uint32_t profile, PeSectionRef *sections) {
        static const EFI_GUID dtb_guid = EFI_DTB_TABLE_GUID;
        PeSectionRef picked[_UKI_SECTION_MAX];
        DtbWant w = {};

        if (!sections[UKI_SECTION_DTBAUTO].present)
                return;
        const uint8_t *fdt = config_table_find(&dtb_guid);
        if (fdt)
                w.compatible = firmware_compatible(fdt);
        else if (sections[UKI_SECTION_HWIDS].present)
                w.compatible = hwids_compatible((const uint8_t *) image + sections[UKI_SECTION_HWIDS].rva,
                                                sections[UKI_SECTION_HWIDS].size);
        if (pe_locate_uki_profile_pick(image, size, true, profile, picked, NULL, pick, &w) != PE_SECTIONS_OK)
                picked[UKI_SECTION_DTBAUTO] = (PeSectionRef) {};
        sections[UKI_SECTION_DTBAUTO] = picked[UKI_SECTION_DTBAUTO];
}
