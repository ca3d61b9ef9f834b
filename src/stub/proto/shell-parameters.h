/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* EFI_SHELL_PARAMETERS_PROTOCOL (UEFI Shell Specification 2.2, section 2.3):
 * the shell installs it on every image it starts; Argv[0] is the image's own
 * path, the user's arguments follow. */

#include "efi.h"

#define EFI_SHELL_PARAMETERS_PROTOCOL_GUID \
        EFI_GUID_INIT(0x752f3136, 0x4e16, 0x4fdc, 0xa2, 0x2a, 0xe5, 0xf4, 0x68, 0x12, 0xf4, 0xca)

typedef struct EFI_SHELL_PARAMETERS_PROTOCOL {
        CHAR16 **Argv;
        uint64_t Argc;
        EFI_HANDLE StdIn;       /* SHELL_FILE_HANDLE */
        EFI_HANDLE StdOut;
        EFI_HANDLE StdErr;
} EFI_SHELL_PARAMETERS_PROTOCOL;
assert_cc(sizeof(EFI_SHELL_PARAMETERS_PROTOCOL) == 40);
