/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* UKI add-ons (systemd-stub >= 254 style): PE images named *.addon.efi in
 * "\loader\addons" (global) and in the UKI's "<uki>.efi.extra.d" directory,
 * each loaded through the firmware's LoadImage so that Secure Boot (or shim)
 * verifies it, never started, then unloaded. Their .cmdline sections,
 * global ones first, then the per-UKI ones, each directory in sorted order
 * (rules in src/fundamental/esp-pickup.h), are joined and appended to the
 * command line - only when the UKI's own command line is in force, not when
 * the user's load options replaced it. The joined add-on command line is
 * measured into PCR 12 as one event (UTF-16 with its NUL, the string itself
 * as description), as systemd-stub does. */

#include "efi.h"
#include "esp-pickup.h"
#include "proto/loaded-image.h"

/* image/li: the stub's own image. p: the table row (src/fundamental/esp-pickup.h,
 * ESP_PICKUP_ADDON_CMDLINE): suffix, directories, PCR. dropin_dir:
 * "<uki>.efi.extra.d" or NULL.
 * user_cmdline_in_force: the user's command line replaced the UKI's
 * (pick_cmdline() in stub.c decides), so nothing is added. *cmdline (may be NULL) is
 * replaced by a new string with the add-ons appended. EFI_NOT_FOUND when no
 * add-on applied; failing add-ons are skipped with a one-line message. */
EFI_STATUS addons_apply(EFI_HANDLE image, EFI_LOADED_IMAGE_PROTOCOL *li, const EspPickup *p,
                        const CHAR16 *dropin_dir, bool user_cmdline_in_force, CHAR16 **cmdline,
                        bool *ret_measured);
