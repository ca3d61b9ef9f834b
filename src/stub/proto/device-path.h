/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Device paths (UEFI 2.10 section 10.3): a packed list of nodes, each with a
 * 4-byte header, terminated by an end node. */

#include "efi.h"

#define EFI_DEVICE_PATH_PROTOCOL_GUID \
        EFI_GUID_INIT(0x09576e91, 0x6d3f, 0x11d2, 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b)

#define DEVICE_PATH_TYPE_HARDWARE       0x01
#define DEVICE_PATH_TYPE_MEDIA          0x04
#define DEVICE_PATH_TYPE_END            0x7f

#define DEVICE_PATH_SUBTYPE_HW_MEMMAP   0x03
#define DEVICE_PATH_SUBTYPE_MEDIA_HD    0x01
#define DEVICE_PATH_SUBTYPE_MEDIA_VENDOR 0x03
#define DEVICE_PATH_SUBTYPE_MEDIA_FILEPATH 0x04
#define DEVICE_PATH_SUBTYPE_END_ENTIRE  0xff

struct _packed_ EFI_DEVICE_PATH_PROTOCOL {
        uint8_t Type;
        uint8_t SubType;
        uint8_t Length[2];      /* little-endian, including this header */
};
assert_cc(sizeof(EFI_DEVICE_PATH_PROTOCOL) == 4);

typedef struct _packed_ VENDOR_DEVICE_PATH {
        EFI_DEVICE_PATH_PROTOCOL Header;
        EFI_GUID Guid;
} VENDOR_DEVICE_PATH;
assert_cc(sizeof(VENDOR_DEVICE_PATH) == 20);

typedef struct _packed_ MEMMAP_DEVICE_PATH {
        EFI_DEVICE_PATH_PROTOCOL Header;
        uint32_t MemoryType;
        EFI_PHYSICAL_ADDRESS StartingAddress;
        EFI_PHYSICAL_ADDRESS EndingAddress;     /* inclusive */
} MEMMAP_DEVICE_PATH;
assert_cc(sizeof(MEMMAP_DEVICE_PATH) == 24);

#define HD_SIGNATURE_TYPE_GUID 0x02
typedef struct _packed_ HARDDRIVE_DEVICE_PATH {
        EFI_DEVICE_PATH_PROTOCOL Header;
        uint32_t PartitionNumber;
        uint64_t PartitionStart;
        uint64_t PartitionSize;
        uint8_t Signature[16];
        uint8_t MBRType;
        uint8_t SignatureType;
} HARDDRIVE_DEVICE_PATH;
assert_cc(sizeof(HARDDRIVE_DEVICE_PATH) == 42);
