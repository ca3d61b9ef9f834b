/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* extension-release files (UAPI.4) and systemd's compatibility rules
 * (extension_release_validate(), in this order): release data present ->
 * SCOPE -> ARCHITECTURE -> ID (or "_any", or a word of the host's ID_LIKE)
 * -> host has no VERSION_ID and no level: accept -> levels equal when both
 * present, else VERSION_ID equal when the host has one. The os-release
 * syntax itself is parsed by src/fundamental/osrel.h. */

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef enum ExtClass {
        EXT_SYSEXT,
        EXT_CONFEXT,
} ExtClass;

#define EXT_VALUE_MAX 256u

typedef struct HostRelease {
        char id[EXT_VALUE_MAX];
        char id_like[EXT_VALUE_MAX];
        char version_id[EXT_VALUE_MAX];
        char level[EXT_VALUE_MAX];      /* SYSEXT_LEVEL or CONFEXT_LEVEL */
        const char *scope;              /* "system", "initrd" or "portable" */
        const char *arch;               /* "x86-64", ... */
} HostRelease;

const char *ext_class_name(ExtClass c);                 /* "sysext" / "confext" */
const char *ext_level_key(ExtClass c);                  /* SYSEXT_LEVEL / CONFEXT_LEVEL */
const char *ext_scope_key(ExtClass c);                  /* SYSEXT_SCOPE / CONFEXT_SCOPE */
/* Directory of release files inside an image: "usr/lib/extension-release.d"
 * or "etc/extension-release.d" (relative). */
const char *ext_release_dir(ExtClass c);

/* Fill host from os-release text. -EBADMSG invalid syntax, -ENOMSG no ID. */
int host_release_parse(ExtClass c, const char *data, size_t size, HostRelease *ret);

/* 0 accept, -EPERM reject, with the one-line reason in err. */
int extension_release_validate(ExtClass c, const char *name, const char *data, size_t size,
                               const HostRelease *host, UkitError *err);

/* Build the text of an extension-release file. Any value may be NULL
 * (omitted). Values are double-quoted and escaped; -EINVAL for control
 * characters or empty strings. */
int extension_release_format(ExtClass c, const char *id, const char *version_id, const char *level,
                             const char *arch, const char *scope, char **ret);

/* UAPI.10 version comparison (strverscmp_improved()): <0, 0, >0. */
int vercmp(const char *a, const char *b);

/* Valid image name: a plain file name, printable ASCII/UTF-8 bytes, not
 * starting with ".#", not "." or "..". */
bool ext_image_name_valid(const char *name);
