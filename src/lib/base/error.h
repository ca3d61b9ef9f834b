/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The library's one way of saying why something failed.
 *
 * Library functions return -errno. Those that can say more take an optional
 * `UkitError *err` as their last parameter (NULL: the caller only wants the
 * -errno) and fill it on failure: a one-sentence reason without the input's
 * file name (the caller names its own input), and where it applies the file
 * concerned (when it is not the caller's input), a byte offset and the item
 * (PE section, partition, option) the reason is about. Callers branch on
 * `code`/`item`, never on the text. */

#include <stdint.h>

#include "macro.h"

#define UKIT_ERROR_NO_OFFSET UINT64_MAX

typedef struct UkitError {
        int code;               /* the -errno the function returned, 0 if unset */
        char what[512];         /* "section .initrd: extends beyond the end of the file" */
        char path[512];         /* the file concerned when not the caller's input, else "" */
        uint64_t offset;        /* byte offset in that file, or UKIT_ERROR_NO_OFFSET */
        char item[64];          /* ".initrd", "usr-verity", ... or "" */
} UkitError;

/* "UkitError err = UKIT_ERROR_INIT;": empty, no offset. */
#define UKIT_ERROR_INIT { .code = 0, .offset = UKIT_ERROR_NO_OFFSET }

/* Clears *err (NULL is fine). */
void ukit_error_clear(UkitError *err);

/* Fills err->code and err->what (printf-style) unless err is NULL or already
 * set (the innermost reason wins), and returns r, which must be negative:
 * "return ukit_error(err, -EBADMSG, "bad magic");" */
_printf_(3, 4) int ukit_error(UkitError *err, int r, const char *fmt, ...);

/* The same, recording the item (section name, partition, ...) too. */
_printf_(4, 5) int ukit_error_item(UkitError *err, int r, const char *item, const char *fmt, ...);

/* Adds the file and/or offset to an already set error (either may be
 * NULL/UKIT_ERROR_NO_OFFSET); returns r. */
int ukit_error_where(UkitError *err, int r, const char *path, uint64_t offset);

/* Copies an error a callee filled into a local UkitError to err, unless
 * err is NULL or already set; returns r. */
int ukit_error_copy(UkitError *err, const UkitError *src, int r);

/* err->what when set, else NULL. */
static inline const char *ukit_error_what(const UkitError *err) {
        return err && err->code != 0 && err->what[0] ? err->what : NULL;
}

/* err->what when set, else strerror(-r). Never NULL. */
const char *ukit_error_reason(const UkitError *err, int r);
