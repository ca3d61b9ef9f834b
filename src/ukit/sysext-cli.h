/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the files of the `ukit sysext` / `ukit confext` verb. */

#include <stdbool.h>

#include "extension-release.h"

int sysext_build(ExtClass c, int argc, char **argv);
int sysext_merge_verbs(ExtClass c, const char *verb, int argc, char **argv);
