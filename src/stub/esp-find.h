/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ESP of the disk the UKI was loaded from, found by its GPT partition
 * type (as systemd-stub 257 finds it for the random seed): with the UKI on
 * an XBOOTLDR partition that is another partition of the same disk. */

#include "efi.h"
#include "proto/simple-fs.h"

/* Opens the root directory of the first partition of type ESP in the GPT of
 * the disk that holds device (a partition: its device path has a hard-drive
 * node). The primary GPT header is used if valid (signature, header and
 * entry-array CRC32), else the backup. NULL when there is none or anything
 * fails. Close the result. */
EFI_FILE_PROTOCOL *esp_find_root(EFI_HANDLE device);
