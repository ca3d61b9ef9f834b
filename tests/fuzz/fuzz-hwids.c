/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the stub reads for the SMBIOS command line and .dtbauto selection:
 * the first byte picks the parser, the rest is its input. 0: .hwids match
 * (strings returned must end within the input); 1: SMBIOS table (fields,
 * OEM string, CHIDs); 2: devicetree root compatible; 3: entry point. */
#include <stdlib.h>
#include <string.h>

#include "chid.h"
#include "fdt.h"
#include "hwids.h"
#include "smbios.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void within(const uint8_t *d, size_t size, const char *s) {
        if (!s)
                return;
        if ((const uint8_t *) s < d || (const uint8_t *) s >= d + size)
                abort();
        if (!memchr(s, 0, (size_t) (d + size - (const uint8_t *) s)))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 1u << 20)
                return 0;
        uint8_t mode = data[0];
        /* A copy of exactly the input, so ASan sees every overread. */
        size--;
        uint8_t *d = malloc(size ? size : 1);
        if (!d)
                return 0;
        memcpy(d, data + 1, size);

        switch (mode & 3) {
        case 0: {
                Chid chids[CHID_TYPES];
                for (size_t i = 0; i < CHID_TYPES; i++)
                        for (size_t k = 0; k < 16; k++)
                                chids[i].b[k] = size > 20 + k ? d[4 + k] : 0;
                HwidsEntry e;
                for (uint32_t t = 1; t <= 2; t++)
                        if (hwids_match(d, size, chids, t, &e)) {
                                within(d, size, e.name);
                                within(d, size, e.compatible);
                        }
                break;
        }
        case 1: {
                SmbiosFields f;
                ChidString s[_CHID_FIELDS_MAX];
                Chid c[CHID_TYPES];
                smbios_fields_get(d, size, &f);
                within(d, size, f.manufacturer);
                within(d, size, f.family);
                within(d, size, f.product_name);
                within(d, size, f.product_sku);
                within(d, size, f.baseboard_manufacturer);
                within(d, size, f.baseboard_product);
                within(d, size, f.bios_vendor);
                within(d, size, f.bios_version);
                within(d, size, smbios_oem_string(d, size, "io.systemd.stub.kernel-cmdline-extra"));
                chid_fields_stub(&f, s);
                chid_calculate(s, c);
                chid_fields_fwupd(&f, s);
                chid_calculate(s, c);
                break;
        }
        case 2:
                within(d, size, fdt_root_compatible(d, size));
                break;
        case 3: {
                uint64_t addr;
                size_t len;
                (void) smbios_entry_point_parse(d, size, &addr, &len);
                break;
        }
        }
        free(d);
        return 0;
}
