/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libgen.h>
#include <limits.h>

#include "config.h"
#include "stub-path.h"
#include "util.h"

const char *stub_default_path(bool addon) {
        static char bufs[2][PATH_MAX];  /* one per kind: both may be in use at once */
        char *buf = bufs[addon];
        const char *configured = addon ? UKIT_DEFAULT_ADDON_STUB : UKIT_DEFAULT_STUB;
        const char *name = addon ? UKIT_ADDON_STUB_NAME : UKIT_STUB_NAME;
        char exe[PATH_MAX];
        ssize_t n;

        if (configured[0])
                return configured;

        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = 0;
                /* BUILD/src/ukit/ukit -> BUILD/src/stub/NAME */
                const char *dir = dirname(exe);
                if (strlen(dir) >= 9 && streq(dir + strlen(dir) - 9, "/src/ukit")) {
                        int k = snprintf(buf, PATH_MAX, "%.*s/src/stub/%s",
                                         (int) (strlen(dir) - 9), dir, name);
                        if (k > 0 && (size_t) k < PATH_MAX && access(buf, R_OK) == 0)
                                return buf;
                }
        }

        snprintf(buf, PATH_MAX, "%s/%s", UKIT_STUB_DIR, name);
        return buf;
}
