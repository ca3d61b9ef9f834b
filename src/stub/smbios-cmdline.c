/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SMBIOS type 11 `io.systemd.stub.kernel-cmdline-extra=`: appended to the
 * command line and measured into PCR 12 (an EV_IPL event whose data and
 * description are the UTF-16 string, as for load options), as
 * systemd-stub 257 does. Ignored in a confidential VM, whose host is not
 * trusted. */

#include "measure.h"
#include "smbios.h"
#include "stub.h"
#include "util.h"

#define SMBIOS_CMDLINE_KEY "io.systemd.stub.kernel-cmdline-extra"

EFI_STATUS smbios_cmdline_append(CHAR16 **cmdline, bool *ret_measured) {
        const uint8_t *table;
        size_t size;

        *ret_measured = false;
        if (is_confidential_vm() || !smbios_firmware_table(&table, &size))
                return EFI_NOT_FOUND;
        const char *v = smbios_oem_string(table, size, SMBIOS_CMDLINE_KEY);
        if (!v || !*v)
                return EFI_NOT_FOUND;
        _cleanup_free_ CHAR16 *extra = utf8_to_utf16(v, strlen8(v));
        if (!extra)
                return EFI_OUT_OF_RESOURCES;
        size_t elen = strlen16(extra);
        if (elen == 0)
                return EFI_NOT_FOUND;

        (void) measure_event(TPM2_PCR_KERNEL_CONFIG, extra, (elen + 1) * sizeof(CHAR16), extra, ret_measured);
        return cmdline_append(cmdline, extra, /* trim= */ false);
}
