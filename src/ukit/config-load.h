/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "build-config.h"

/* Reads the ukify configuration file at path (NULL: there is none, 0) and
 * feeds each setting to cb (build-config.h). On failure prints one line
 * naming the file and the line, with *reason as the cause when the
 * callback set one, and returns EXIT_FAILURE; 0 on success. */
int config_load(const char *path, BuildConfigCallback cb, void *userdata, const char *const *reason);
