/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stub.h"

EFI_STATUS splash_show(const void *bmp, size_t size) {
        return EFI_UNSUPPORTED;
}
