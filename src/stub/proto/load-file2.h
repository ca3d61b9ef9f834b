/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* EFI_LOAD_FILE2_PROTOCOL (UEFI 2.10 section 13.2), and the vendor media
 * device path Linux (>= 5.8) looks the protocol up on to fetch its initrd
 * (drivers/firmware/efi/libstub: LINUX_EFI_INITRD_MEDIA_GUID). */

#include "efi.h"
#include "proto/device-path.h"

#define EFI_LOAD_FILE2_PROTOCOL_GUID \
        EFI_GUID_INIT(0x4006c0c1, 0xfcb3, 0x403e, 0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d)
#define LINUX_EFI_INITRD_MEDIA_GUID \
        EFI_GUID_INIT(0x5568e427, 0x68fc, 0x4f3d, 0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68)

typedef struct EFI_LOAD_FILE2_PROTOCOL EFI_LOAD_FILE2_PROTOCOL;
struct EFI_LOAD_FILE2_PROTOCOL {
        EFI_STATUS (EFIAPI *LoadFile)(EFI_LOAD_FILE2_PROTOCOL *This, EFI_DEVICE_PATH_PROTOCOL *FilePath,
                                      BOOLEAN BootPolicy, uint64_t *BufferSize, void *Buffer);
};
