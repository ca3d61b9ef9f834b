/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .dtb section as the firmware's devicetree configuration table. Where
 * the firmware has EFI_DT_FIXUP_PROTOCOL (U-Boot), it first applies its
 * fixups (memory, boot arguments, reserved regions) to our copy, growing the
 * buffer when asked to. Without it (OVMF), the DTB is installed as is. */

#include "proto/dt-fixup.h"
#include "stub.h"
#include "util.h"

#define FDT_MAGIC 0xd00dfeedu           /* big-endian at offset 0 */
#define DTB_SIZE_MAX (64u * 1024u * 1024u)
#define FDT_HEADER_SIZE 40u

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static size_t pages_for(size_t n) {
        return (n + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE;
}

EFI_STATUS devicetree_install(const void *dtb, size_t size) {
        static const EFI_GUID fixup_guid = EFI_DT_FIXUP_PROTOCOL_GUID, table_guid = EFI_DTB_TABLE_GUID;
        EFI_DT_FIXUP_PROTOCOL *fixup = NULL;
        EFI_PHYSICAL_ADDRESS addr;
        EFI_STATUS err;

        /* totalsize from the header: the section may carry padding. */
        if (size < FDT_HEADER_SIZE || be32(dtb) != FDT_MAGIC)
                return log_error(EFI_INVALID_PARAMETER, L".dtb is not a flattened devicetree");
        size_t total = be32((const uint8_t *) dtb + 4);
        if (total < FDT_HEADER_SIZE || total > size || total > DTB_SIZE_MAX)
                return log_error(EFI_INVALID_PARAMETER, L".dtb size is inconsistent");

        /* The kernel keeps referring to the table: ACPI reclaim memory, not
         * boot services memory. */
        size_t alloc = total;
        err = BS->AllocatePages(AllocateAnyPages, EfiACPIReclaimMemory, pages_for(alloc), &addr);
        if (err != EFI_SUCCESS)
                return log_error(err, L"no memory for the devicetree");
        memcpy((void *) (uintptr_t) addr, dtb, total);

        if (BS->LocateProtocol(&fixup_guid, NULL, (void **) &fixup) == EFI_SUCCESS && fixup) {
                uint64_t want = pages_for(alloc) * EFI_PAGE_SIZE;
                err = fixup->Fixup(fixup, (void *) (uintptr_t) addr, &want, EFI_DT_APPLY_FIXUPS | EFI_DT_RESERVE_MEMORY);
                if (err == EFI_BUFFER_TOO_SMALL && want > alloc && want <= DTB_SIZE_MAX) {
                        EFI_PHYSICAL_ADDRESS bigger;
                        err = BS->AllocatePages(AllocateAnyPages, EfiACPIReclaimMemory, pages_for(want), &bigger);
                        if (err == EFI_SUCCESS) {
                                memcpy((void *) (uintptr_t) bigger, dtb, total);
                                (void) BS->FreePages(addr, pages_for(alloc));
                                addr = bigger;
                                alloc = want;
                                want = pages_for(alloc) * EFI_PAGE_SIZE;
                                err = fixup->Fixup(fixup, (void *) (uintptr_t) addr, &want,
                                                   EFI_DT_APPLY_FIXUPS | EFI_DT_RESERVE_MEMORY);
                        }
                }
                if (err != EFI_SUCCESS) {
                        (void) BS->FreePages(addr, pages_for(alloc));
                        return log_error(err, L"devicetree fixup failed");
                }
        }

        err = BS->InstallConfigurationTable(&table_guid, (void *) (uintptr_t) addr);
        if (err != EFI_SUCCESS) {
                (void) BS->FreePages(addr, pages_for(alloc));
                return log_error(err, L"cannot install the devicetree");
        }
        return EFI_SUCCESS;
}
