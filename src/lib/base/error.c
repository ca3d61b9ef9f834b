/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UkitError: see error.h. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

void ukit_error_clear(UkitError *err) {
        if (!err)
                return;
        memset(err, 0, sizeof(*err));
        err->offset = UKIT_ERROR_NO_OFFSET;
}

static int error_vset(UkitError *err, int r, const char *item, const char *fmt, va_list ap) {
        if (!err || err->code != 0)
                return r;
        ukit_error_clear(err);
        err->code = r;
        vsnprintf(err->what, sizeof(err->what), fmt, ap);
        if (item)
                snprintf(err->item, sizeof(err->item), "%s", item);
        return r;
}

int ukit_error(UkitError *err, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, r, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int ukit_error_item(UkitError *err, int r, const char *item, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, r, item, fmt, ap);
        va_end(ap);
        return r;
}

int ukit_error_where(UkitError *err, int r, const char *path, uint64_t offset) {
        if (!err)
                return r;
        if (path && !err->path[0])
                snprintf(err->path, sizeof(err->path), "%s", path);
        if (offset != UKIT_ERROR_NO_OFFSET && err->offset == UKIT_ERROR_NO_OFFSET)
                err->offset = offset;
        return r;
}

int ukit_error_copy(UkitError *err, const UkitError *src, int r) {
        if (err && err->code == 0 && src && src->code != 0)
                *err = *src;
        return r;
}

const char *ukit_error_reason(const UkitError *err, int r) {
        if (err && err->code != 0 && err->what[0])
                return err->what;
        return strerror(r < 0 ? -r : r);
}
