/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* EFI_GRAPHICS_OUTPUT_PROTOCOL (UEFI 2.10 section 12.9). */

#include "efi.h"

#define EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID \
        EFI_GUID_INIT(0x9042a9de, 0x23dc, 0x4a38, 0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a)

typedef struct EFI_GRAPHICS_OUTPUT_MODE_INFORMATION {
        uint32_t Version;
        uint32_t HorizontalResolution;
        uint32_t VerticalResolution;
        uint32_t PixelFormat;
        uint32_t PixelInformation[4];
        uint32_t PixelsPerScanLine;
} EFI_GRAPHICS_OUTPUT_MODE_INFORMATION;
assert_cc(sizeof(EFI_GRAPHICS_OUTPUT_MODE_INFORMATION) == 36);

typedef struct EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE {
        uint32_t MaxMode;
        uint32_t Mode;
        EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *Info;
        uint64_t SizeOfInfo;
        EFI_PHYSICAL_ADDRESS FrameBufferBase;
        uint64_t FrameBufferSize;
} EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE;
assert_cc(sizeof(EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE) == 40);

/* Blt pixels are B, G, R, reserved bytes: a little-endian 0x00RRGGBB word. */
typedef uint32_t EFI_GRAPHICS_OUTPUT_BLT_PIXEL;

typedef enum EFI_GRAPHICS_OUTPUT_BLT_OPERATION {
        EfiBltVideoFill,
        EfiBltVideoToBltBuffer,
        EfiBltBufferToVideo,
        EfiBltVideoToVideo,
} EFI_GRAPHICS_OUTPUT_BLT_OPERATION;

typedef struct EFI_GRAPHICS_OUTPUT_PROTOCOL EFI_GRAPHICS_OUTPUT_PROTOCOL;
struct EFI_GRAPHICS_OUTPUT_PROTOCOL {
        void *QueryMode;
        void *SetMode;
        EFI_STATUS (EFIAPI *Blt)(EFI_GRAPHICS_OUTPUT_PROTOCOL *This, EFI_GRAPHICS_OUTPUT_BLT_PIXEL *BltBuffer,
                                 EFI_GRAPHICS_OUTPUT_BLT_OPERATION BltOperation, uint64_t SourceX, uint64_t SourceY,
                                 uint64_t DestinationX, uint64_t DestinationY, uint64_t Width, uint64_t Height,
                                 uint64_t Delta);
        EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE *Mode;
};
