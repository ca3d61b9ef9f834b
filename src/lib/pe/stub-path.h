/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which stub `ukit build` (and `ukit install`) use without --stub.
 *
 * A stub configured at build time (meson -Ddefault_stub=, -Ddefault_addon_stub=)
 * wins. Otherwise it is ukit's own: when the running binary lives in a meson
 * build tree (BUILD/src/ukit/ukit) the stub built next to it
 * (BUILD/src/stub/NAME), so an uninstalled ukit never picks up an older
 * installed stub; else the installed one, UKIT_STUB_DIR/NAME. */

#include <stdbool.h>

#define UKIT_STUB_NAME          "ukit-stub.efi"
#define UKIT_ADDON_STUB_NAME    "ukit-addon.efi"

/* Returns a path in a static buffer (one per kind); never NULL. */
const char *stub_default_path(bool addon);
