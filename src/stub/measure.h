/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "efi.h"
#include "tpm2-pcr.h"   /* the PCR numbers, shared with the host */

/* True if a TPM (TCG2 with a TPM present) or a confidential-computing
 * measurement protocol is available. */
bool measure_available(void);

/* Hashes data[0..size) into pcr of every active bank and appends an EV_IPL
 * event whose description is the UTF-16 string description, through TCG2
 * and, where present, the CC measurement protocol (PCR mapped to its MR).
 * *ret_measured (if not NULL) is set to whether any protocol took it. */
EFI_STATUS measure_event(uint32_t pcr, const void *data, size_t size, const CHAR16 *description, bool *ret_measured);

/* The same as an EV_EVENT_TAG event with the given tag id (systemd's
 * "new stuff": profiles, add-on devicetrees/initrds/microcode), logged
 * through TCG2 only. tag 0 is measure_event(). */
EFI_STATUS measure_tagged_event(uint32_t pcr, uint32_t tag, const void *data, size_t size, const CHAR16 *description,
                                bool *ret_measured);

/* EV_EVENT_TAG ids of systemd-stub 257 (src/boot/measure.h upstream). */
#define EVENT_TAG_DEVICETREE_ADDON 0x6c46f751u
#define EVENT_TAG_INITRD_ADDON     0x49dffe0fu
#define EVENT_TAG_UCODE_ADDON      0xdac08e1au
#define EVENT_TAG_UKI_PROFILE      0x13aed6dbu
