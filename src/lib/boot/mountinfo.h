/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsing /proc/self/mountinfo (proc(5)). Returns -errno; never prints. */

#include <stddef.h>

#define MOUNTINFO_SIZE_MAX      (16u * 1024u * 1024u)   /* /proc/self/mountinfo bytes read */

/* One line of /proc/self/mountinfo (proc(5)). */
typedef struct MountEntry {
        char *mount_point;      /* unescaped (\040 -> ' ') */
        char *fstype;
        char *source;           /* "mount source" field, unescaped */
        unsigned major, minor;  /* st_dev of the mounted file system */
} MountEntry;

void mount_entry_done(MountEntry *e);

/* Parse one mountinfo line (without the newline). -EBADMSG if malformed. */
int mountinfo_parse_line(const char *line, MountEntry *ret);

/* Find the mount whose mount point is exactly path (already canonical) in a
 * mountinfo text. The last matching line wins (it is the one on top).
 * -ENOENT if path is not a mount point. */
int mountinfo_find(const char *text, size_t size, const char *path, MountEntry *ret);
