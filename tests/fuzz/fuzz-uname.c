/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel release detection: x86 boot header, ELF notes (section and
 * program headers from the input) and the banner scan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *u = NULL;
        uint8_t *copy;

        if (size > 1024u * 1024u)
                return 0;
        /* Exact-size copy: ASan sees reads past the end. */
        copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        if (uname_from_buffer(copy, size, &u) == 0) {
                if (!u || !uname_valid(u, strlen(u)))
                        abort();
                free(u);
        }
        free(copy);
        return 0;
}
