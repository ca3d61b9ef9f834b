/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* EFI_BLOCK_IO_PROTOCOL (UEFI 2.10 section 13.9): reading the boot disk's
 * GPT to find its ESP (esp-find.c). */

#include "efi.h"

#define EFI_BLOCK_IO_PROTOCOL_GUID \
        EFI_GUID_INIT(0x964e5b21, 0x6459, 0x11d2, 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b)

typedef struct EFI_BLOCK_IO_MEDIA {
        uint32_t MediaId;
        BOOLEAN RemovableMedia;
        BOOLEAN MediaPresent;
        BOOLEAN LogicalPartition;
        BOOLEAN ReadOnly;
        BOOLEAN WriteCaching;
        uint32_t BlockSize;
        uint32_t IoAlign;
        uint64_t LastBlock;
        /* revision 2 and 3 fields follow; not used */
} EFI_BLOCK_IO_MEDIA;

typedef struct EFI_BLOCK_IO_PROTOCOL EFI_BLOCK_IO_PROTOCOL;
struct EFI_BLOCK_IO_PROTOCOL {
        uint64_t Revision;
        EFI_BLOCK_IO_MEDIA *Media;
        void *Reset;
        EFI_STATUS (EFIAPI *ReadBlocks)(EFI_BLOCK_IO_PROTOCOL *This, uint32_t MediaId, uint64_t Lba, uint64_t BufferSize, void *Buffer);
        void *WriteBlocks;
        void *FlushBlocks;
};
