/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The string parsers of ukit install/list: UKI file names (boot counter),
 * tries files, entry-token specs and /proc/self/mountinfo. Input layout:
 * the whole input is a mountinfo text; its first line is also tried as a
 * file name, a tries file and an entry-token spec. Properties: no crash or
 * leak, a parsed name re-formats to itself, a matched mount point is the one
 * looked up. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot-partition.h"
#include "uki-name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *d = (const char *) data;
        char *line, *s = NULL;
        size_t n = 0;
        UkiName nm = UKI_NAME_INIT;
        MountEntry e;
        unsigned t;

        if (size > 65536)
                return 0;
        while (n < size && d[n] != '\n' && d[n] != '\0')
                n++;
        line = strndup(d, n);
        if (!line)
                return 0;

        if (uki_name_parse(line, &nm) == 0) {
                if (!nm.stem || !nm.stem[0])
                        abort();
                if (nm.tries_done >= 0 && nm.tries_left < 0)
                        abort();
                uki_name_done(&nm);
        }
        (void) uki_tries_parse(line, n, &t);
        if (uki_entry_token_resolve(line, line, NULL, d, size, &s) == 0) {
                if (!uki_entry_token_valid(s))
                        abort();
                free(s);
        }
        if (uki_version_valid(line) && uki_name_format("tok", line, 3, &s) == 0) {
                UkiName back = UKI_NAME_INIT;
                if (uki_name_parse(s, &back) < 0 || back.tries_left != 3 || !uki_name_matches(s, "tok", line))
                        abort();
                uki_name_done(&back);
                free(s);
        }
        if (mountinfo_parse_line(line, &e) == 0)
                mount_entry_done(&e);
        if (mountinfo_find(d, size, "/boot", &e) == 0) {
                if (strcmp(e.mount_point, "/boot") != 0)
                        abort();
                mount_entry_done(&e);
        }
        free(line);
        return 0;
}
