/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chid-dump TABLE [stub|fwupd]: the 15 CHIDs of a raw SMBIOS structure
 * table (as /sys/firmware/dmi/tables/DMI), one per line, "-" where not
 * computed. A test helper, not a product. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chid.h"

int main(int argc, char **argv) {
        static uint8_t buf[1 << 20];

        if (argc < 2)
                return 2;
        FILE *f = fopen(argv[1], "rb");
        if (!f) {
                perror(argv[1]);
                return 1;
        }
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);

        SmbiosFields fields;
        ChidString s[_CHID_FIELDS_MAX];
        Chid c[CHID_TYPES];
        smbios_fields_get(buf, n, &fields);
        if (argc > 2 && strcmp(argv[2], "stub") == 0)
                chid_fields_stub(&fields, s);
        else
                chid_fields_fwupd(&fields, s);
        chid_calculate(s, c);
        for (size_t i = 0; i < CHID_TYPES; i++) {
                char t[37];
                chid_format(&c[i], t);
                printf("%zu %s\n", i, chid_is_null(&c[i]) ? "-" : t);
        }
        return 0;
}
