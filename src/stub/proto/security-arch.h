/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The security architectural protocols of the UEFI Platform Initialization
 * specification (PI 1.8, volume 2, 12.8 and 12.9): LoadImage() asks them
 * whether an image may run. EDK2's Secure Boot image verification sits behind
 * SECURITY2's FileAuthentication(). */

#include "efi.h"

#define EFI_SECURITY_ARCH_PROTOCOL_GUID \
        EFI_GUID_INIT(0xa46423e3, 0x4617, 0x49f1, 0xb9, 0xff, 0xd1, 0xbf, 0xa9, 0x11, 0x58, 0x39)
#define EFI_SECURITY2_ARCH_PROTOCOL_GUID \
        EFI_GUID_INIT(0x94ab2f58, 0x1438, 0x4ef1, 0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68)

typedef struct EFI_SECURITY_ARCH_PROTOCOL EFI_SECURITY_ARCH_PROTOCOL;
typedef EFI_STATUS (EFIAPI *EFI_SECURITY_FILE_AUTHENTICATION_STATE)(
                const EFI_SECURITY_ARCH_PROTOCOL *This, uint32_t AuthenticationStatus,
                const EFI_DEVICE_PATH_PROTOCOL *File);
struct EFI_SECURITY_ARCH_PROTOCOL {
        EFI_SECURITY_FILE_AUTHENTICATION_STATE FileAuthenticationState;
};

typedef struct EFI_SECURITY2_ARCH_PROTOCOL EFI_SECURITY2_ARCH_PROTOCOL;
typedef EFI_STATUS (EFIAPI *EFI_SECURITY2_FILE_AUTHENTICATION)(
                const EFI_SECURITY2_ARCH_PROTOCOL *This, const EFI_DEVICE_PATH_PROTOCOL *DevicePath,
                void *FileBuffer, uint64_t FileSize, BOOLEAN BootPolicy);
struct EFI_SECURITY2_ARCH_PROTOCOL {
        EFI_SECURITY2_FILE_AUTHENTICATION FileAuthentication;
};
