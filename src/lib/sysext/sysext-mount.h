/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Mount plumbing for extension merging: overlayfs option escaping, "is this our merge" checks. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "extension-release.h"

/* Append s to an overlayfs option value, escaping '\\', ',' and ':'. */
int overlay_escape_append(char **buf, size_t *len, const char *s);

/* Name of the marker directory: ".systemd-sysext" / ".systemd-confext". */
const char *ext_marker_dir(ExtClass c);

/* File in the marker directory listing the merged names: "extensions" /
 * "confexts" (what systemd-sysext / systemd-confext 257 write). */
const char *ext_marker_names(ExtClass c);
/* Name prefix of the class's dm-verity devices: "ukit-sysext", "ukit-confext". */
const char *ext_dm_prefix(ExtClass c);

/* Read the merge marker NAME (".systemd-sysext/dev", ...) below the
 * hierarchy hier: no symlinks, regular files only, at most max bytes. */
int ext_read_marker(const char *hier, const char *name, size_t max, char **ret, size_t *ret_size);

/* 1 if path is the root of a mount whose marker dev file matches its
 * st_dev (an overlay merged by ukit or systemd), 0 if not, -errno. */
int ext_is_our_mount(ExtClass c, const char *path);

/* Is path the root of a mount? 1/0/-errno. */
int path_is_mount_point(const char *path);
