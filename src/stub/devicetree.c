/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stub.h"

EFI_STATUS devicetree_install(const void *dtb, size_t size) {
        return EFI_UNSUPPORTED;
}
