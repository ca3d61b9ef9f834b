/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Versions of update instances, as the UAPI Version Format Specification
 * (UAPI.10) orders them; systemd-sysupdate compares with the same rules. */

#include <stdbool.h>

/* Compare two version strings: < 0 if a is older, 0 if equal, > 0 if newer.
 * NULL sorts before everything. */
int update_version_cmp(const char *a, const char *b);

/* What sysupdate accepts as an @v value: non-empty, at most
 * UPDATE_VERSION_MAX characters of [A-Za-z0-9.,_+-]. */
#define UPDATE_VERSION_MAX 128u
bool update_version_valid(const char *s);
