/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "config-load.h"
#include "fileio.h"
#include "util.h"

int config_load(const char *path, BuildConfigCallback cb, void *userdata, const char *const *reason) {
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        unsigned line = 0;
        int r;

        if (!path)
                return 0;
        r = read_file_full(path, BUILD_CONFIG_SIZE_MAX, &text, &n);
        if (r < 0)
                return log_errno(r, "%s: cannot read configuration file", path);
        r = build_config_parse(text, n, cb, userdata, &line);
        if (r == -EBADMSG)
                return log_error("%s:%u: syntax error", path, line);
        if (r < 0 && reason && *reason)
                return log_error("%s:%u: %s", path, line, *reason);
        if (r < 0)
                return log_errno(r, "%s:%u: cannot parse", path, line);
        return 0;
}
