/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* EFI_RNG_PROTOCOL (UEFI 2.10 section 37.5) and the configuration table Linux
 * takes a boot seed from (include/linux/efi.h: struct linux_efi_random_seed,
 * a u32 byte count followed by the bytes). */

#include "efi.h"

#define EFI_RNG_PROTOCOL_GUID \
        EFI_GUID_INIT(0x3152bca5, 0xeade, 0x433d, 0x86, 0x2e, 0xc0, 0x1c, 0xdc, 0x29, 0x1f, 0x44)
#define LINUX_EFI_RANDOM_SEED_TABLE_GUID \
        EFI_GUID_INIT(0x1ce1e5bc, 0x7ceb, 0x42f2, 0x81, 0xe5, 0x8a, 0xad, 0xf1, 0x80, 0xf5, 0x7b)

typedef struct EFI_RNG_PROTOCOL EFI_RNG_PROTOCOL;
struct EFI_RNG_PROTOCOL {
        void *GetInfo;
        /* RNGAlgorithm NULL: the driver's default algorithm */
        EFI_STATUS (EFIAPI *GetRNG)(EFI_RNG_PROTOCOL *This, const EFI_GUID *RNGAlgorithm, uint64_t RNGValueLength, uint8_t *RNGValue);
};

typedef struct LINUX_EFI_RANDOM_SEED {
        uint32_t size;
        uint8_t bits[];
} LINUX_EFI_RANDOM_SEED;
assert_cc(sizeof(LINUX_EFI_RANDOM_SEED) == 4);
