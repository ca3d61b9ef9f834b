/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* os-release parser: iteration, validation, unquoting and lookup must
 * agree with each other and stay within bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "osrel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *d = (const char *) data;
        static char buf[OSREL_LINE_MAX + 1];
        OsrelEntry e;
        size_t pos = 0;
        unsigned line = 0, n = 0;
        int r;

        if (size > OSREL_SIZE_MAX + 16)
                return 0;

        int valid = osrel_validate(d, size, &line) == 0;
        while ((r = osrel_next(d, size, &pos, &e)) > 0) {
                if (pos > size || e.key < d || e.key + e.key_len > d + size ||
                    e.value < d || e.value + e.value_len > d + size)
                        abort();
                if (!osrel_key_valid(e.key, e.key_len))
                        abort();
                /* Every value accepted by the iterator unquotes, and is
                 * never longer than its raw form. */
                int l = osrel_unquote(e.value, e.value_len, buf, sizeof buf);
                if (l < 0 || (size_t) l > e.value_len || buf[l] != '\0')
                        abort();
                if (++n > OSREL_LINES_MAX)
                        abort();
        }
        if ((r == 0) != valid)
                abort();

        /* Lookup of a common key on the same input. */
        r = osrel_get(d, size, "ID", buf, sizeof buf);
        if (!valid && r >= 0)
                abort();
        /* Small buffers must be refused, never overrun. */
        char tiny[4];
        r = osrel_get(d, size, "NAME", tiny, sizeof tiny);
        if (r >= (int) sizeof tiny)
                abort();
        return 0;
}
