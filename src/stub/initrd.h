/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "efi.h"

/* Publishes data[0..size) as the initrd through EFI_LOAD_FILE2_PROTOCOL on
 * the LINUX_EFI_INITRD_MEDIA vendor device path, where the Linux EFI stub
 * asks for it. The buffer must stay valid until the kernel has read it.
 * Fails with EFI_ALREADY_STARTED if someone else (a boot loader) already
 * registered an initrd. *ret_handle is for initrd_unregister(). */
EFI_STATUS initrd_register(const void *data, size_t size, EFI_HANDLE *ret_handle);
EFI_STATUS initrd_unregister(EFI_HANDLE handle);
