/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit-addon: the stub of UKI add-ons (`ukit build` without --linux). An
 * add-on only carries sections (.cmdline, .dtb, ...) that ukit-stub reads
 * after the firmware has loaded - and so verified - the image; it is never
 * meant to run. Started anyway, it refuses, as systemd's add-on stub does. */

#include "efi.h"
#include "uki.h"

#ifndef UKIT_VERSION
#  error "UKIT_VERSION must be defined by the build"
#endif

/* Identity, in systemd's form, so tools can tell an add-on from a UKI. */
__attribute__((used, section(UKI_NAME_SDMAGIC)))
static const char sdmagic[] = UKI_SDMAGIC_PREFIX "ukit-addon " UKIT_VERSION UKI_SDMAGIC_SUFFIX;

/* SBAT: the add-on stub is its own component, revocable apart from ukit-stub. */
__attribute__((used, section(UKI_NAME_SBAT)))
static const char sbat[] =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "ukit-addon,1,ukit,ukit-addon," UKIT_VERSION ",https://uapi-group.org/specifications/specs/unified_kernel_image/\n";

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);
EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table) {
        return EFI_UNSUPPORTED;
}
