/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* EFI_DT_FIXUP_PROTOCOL (the EBBR-associated "devicetree fixup" protocol,
 * https://github.com/U-Boot-EFI/EFI_DT_FIXUP_PROTOCOL) and the configuration
 * table GUID under which the devicetree is published (UEFI 2.10 4.6). */

#include "efi.h"

#define EFI_DT_FIXUP_PROTOCOL_GUID \
        EFI_GUID_INIT(0xe617d64c, 0xfe08, 0x46da, 0xf4, 0xdc, 0xbb, 0xd5, 0x87, 0x0c, 0x73, 0x00)
#define EFI_DTB_TABLE_GUID \
        EFI_GUID_INIT(0xb1b621d5, 0xf19c, 0x41a5, 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0)

#define EFI_DT_APPLY_FIXUPS     0x00000001u
#define EFI_DT_RESERVE_MEMORY   0x00000002u

typedef struct EFI_DT_FIXUP_PROTOCOL EFI_DT_FIXUP_PROTOCOL;
struct EFI_DT_FIXUP_PROTOCOL {
        uint64_t Revision;
        EFI_STATUS (EFIAPI *Fixup)(EFI_DT_FIXUP_PROTOCOL *This, void *Fdt, uint64_t *BufferSize, uint32_t Flags);
};
