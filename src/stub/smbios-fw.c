/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The firmware's configuration tables: the SMBIOS structure table (through
 * the 3.x entry point if there is one, else the 2.x one, as systemd-stub
 * looks them up) and the devicetree. */

#include "smbios.h"
#include "stub.h"
#include "util.h"

#define SMBIOS3_TABLE_GUID \
        { 0xf2fd1544, 0x9794, 0x4a2c, { 0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 } }
#define SMBIOS_TABLE_GUID \
        { 0xeb9d2d31, 0x2d88, 0x11d3, { 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } }

void *config_table_find(const EFI_GUID *guid) {
        for (size_t i = 0; i < ST->NumberOfTableEntries; i++)
                if (guid_eq(&ST->ConfigurationTable[i].VendorGuid, guid))
                        return ST->ConfigurationTable[i].VendorTable;
        return NULL;
}

bool smbios_firmware_table(const uint8_t **ret_table, size_t *ret_size) {
        static const EFI_GUID guids[] = { SMBIOS3_TABLE_GUID, SMBIOS_TABLE_GUID };
        /* The entry point's own length field says how much of it to check;
         * 0x20 covers both formats. */
        for (size_t i = 0; i < ELEMENTSOF(guids); i++) {
                const void *ep = config_table_find(&guids[i]);
                uint64_t addr;
                size_t len;
                if (!ep || !smbios_entry_point_parse(ep, 0x20, &addr, &len) || addr == 0 || len == 0)
                        continue;
                *ret_table = (const uint8_t *) (uintptr_t) addr;
                *ret_size = len;
                return true;
        }
        return false;
}
