/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The identity sections of a stub binary named NAME ("ukit-stub",
 * "ukit-addon"):
 * - .sdmagic, in the form systemd-stub uses, read by `ukit measure` and
 *   `ukit inspect` to pick the measurement rule set and to tell an add-on
 *   from a UKI;
 * - .sbat (https://github.com/rhboot/shim/blob/main/SBAT.md): the header
 *   line, then one line for this component, so each stub is revocable on
 *   its own. `ukit build` merges it with the kernel's. */

#include "uki.h"

#ifndef UKIT_VERSION
#  error "UKIT_VERSION must be defined by the build"
#endif

#define UKI_STUB_IDENTITY(name)                                                         \
        __attribute__((used, section(UKI_NAME_SDMAGIC)))                                \
        static const char sdmagic[] = UKI_SDMAGIC_PREFIX name " " UKIT_VERSION UKI_SDMAGIC_SUFFIX; \
        __attribute__((used, section(UKI_NAME_SBAT)))                                   \
        static const char sbat[] =                                                      \
                "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n" \
                name ",1,ukit," name "," UKIT_VERSION                                   \
                ",https://uapi-group.org/specifications/specs/unified_kernel_image/\n"
