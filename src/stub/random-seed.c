/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stub.h"

EFI_STATUS random_seed_install(EFI_LOADED_IMAGE_PROTOCOL *li) {
        return EFI_UNSUPPORTED;
}
