/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "efi.h"

/* Loads the PE kernel in kernel[0..kernel_size) with the firmware's
 * LoadImage() and starts it with cmdline as its UTF-16 load options. Under
 * Secure Boot the firmware's verification is bypassed for exactly this buffer
 * (it is covered by the signature of the UKI the firmware already verified),
 * and only for the duration of the LoadImage() call. Returns only on failure
 * (or if the kernel exits), with the kernel image unloaded again. */
EFI_STATUS linux_exec(EFI_HANDLE parent, const CHAR16 *cmdline, const void *kernel, size_t kernel_size);
