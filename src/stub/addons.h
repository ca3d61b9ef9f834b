/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* UKI add-ons (systemd-stub >= 254 style): PE images named *.addon.efi in
 * "\loader\addons" (global) and in the UKI's "<uki>.efi.extra.d" directory,
 * each loaded through the firmware's LoadImage so that Secure Boot (or shim)
 * verifies it, never started, then unloaded. Their .cmdline sections,
 * global ones first, then the per-UKI ones, each directory in sorted order
 * (rules in src/fundamental/esp-pickup.h), are joined and appended to the
 * command line, as systemd-stub 257 does also when the user's load options
 * replaced the UKI's. The joined add-on command line is measured into PCR 12
 * as one event (UTF-16 with its NUL, the string itself as description).
 * Their .dtb, .initrd and .ucode are used as 257 uses them: see
 * addons_install_devicetrees() and addons_pack_initrd(). */

#include "efi.h"
#include "esp-pickup.h"
#include "proto/loaded-image.h"

/* An add-on's .dtb, .initrd or .ucode, copied out of the loaded add-on
 * (which is unloaded right away), with the add-on's file name: the event
 * description of its tagged PCR 12 measurement. */
typedef struct AddonBlob {
        CHAR16 *name;
        void *data;
        size_t size;
} AddonBlob;

#define ADDON_BLOBS_MAX (2u * ESP_ADDONS_MAX)   /* global + per-UKI */

/* What the add-ons carry besides command lines, global ones first, each
 * directory in sorted order. */
typedef struct AddonBlobs {
        AddonBlob dtb[ADDON_BLOBS_MAX], initrd[ADDON_BLOBS_MAX], ucode[ADDON_BLOBS_MAX];
        size_t n_dtb, n_initrd, n_ucode;
} AddonBlobs;

void addon_blobs_free(AddonBlobs *b);

/* image/li: the stub's own image. p: the table row (src/fundamental/esp-pickup.h,
 * ESP_PICKUP_ADDON_CMDLINE): suffix, directories, PCR. dropin_dir:
 * "<uki>.efi.extra.d" or NULL. uname: the UKI's .uname (NULL: none); an
 * add-on with a different .uname is skipped, as systemd-stub 257 does.
 * *cmdline (may be NULL) is replaced by a new string with the add-ons'
 * command lines appended - also when it is the user's (257). The add-ons'
 * .dtb/.initrd/.ucode are collected in *blobs (may be NULL). EFI_NOT_FOUND
 * when no add-on command line applied; failing add-ons are skipped with a
 * one-line message. */
EFI_STATUS addons_apply(EFI_HANDLE image, EFI_LOADED_IMAGE_PROTOCOL *li, const EspPickup *p,
                        const CHAR16 *dropin_dir, const char *uname, size_t uname_len, CHAR16 **cmdline,
                        AddonBlobs *blobs, bool *ret_measured);

/* The add-on devicetrees, in order, each replacing the installed one and
 * measured into PCR 12 (EV_EVENT_TAG DEVICETREE_ADDON) once installed, also
 * without a firmware devicetree (OVMF on x86), as systemd-stub 257 does. */
void addons_install_devicetrees(const AddonBlobs *b, bool *ret_measured);

/* One initrd piece of n blobs (each padded to 4 bytes), each measured into
 * PCR 12 tagged with tag, in reverse order if reverse (microcode add-ons:
 * the kernel takes the first microcode it finds, so the last add-on wins,
 * as in 257). NULL and size 0 when there is none. */
void *addons_pack_initrd(const AddonBlob *list, size_t n, bool reverse, uint32_t tag, size_t *ret_size,
                         bool *ret_measured);
