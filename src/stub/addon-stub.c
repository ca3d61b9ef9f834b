/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit-addon: the stub of UKI add-ons (`ukit build` without --linux). An
 * add-on only carries sections (.cmdline, .dtb, ...) that ukit-stub reads
 * after the firmware has loaded - and so verified - the image; it is never
 * meant to run. Started anyway, it refuses, as systemd's add-on stub does. */

#include "efi.h"
#include "identity.h"

UKI_STUB_IDENTITY("ukit-addon");

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);
EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table) {
        return EFI_UNSUPPORTED;
}
