/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SBAT validation and merge: a merge of valid inputs is valid again and
 * contains each component once. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *d = (const char *) data;
        unsigned line = 0;
        char *out = NULL;
        int r;

        if (size > SBAT_SIZE_MAX + 16)
                return 0;

        r = sbat_validate(d, size, &line);
        if (r == 0) {
                /* Merging the text with itself must give a valid text
                 * with each component once. */
                const char *texts[2] = { d, d };
                size_t sizes[2] = { size, size };
                r = sbat_merge(texts, sizes, 2, &out);
                if (r == -ENOMEM || r == -EFBIG)   /* EFBIG: +1 for a final newline */
                        return 0;
                if (r < 0 || sbat_validate(out, strlen(out), NULL) < 0)
                        abort();

                /* No component name twice. */
                SbatEntry a, b;
                size_t pa = 0;
                while (sbat_next(out, strlen(out), &pa, &a) > 0) {
                        size_t pb = pa;
                        while (sbat_next(out, strlen(out), &pb, &b) > 0)
                                if (a.field_len[0] == b.field_len[0] &&
                                    memcmp(a.field[0], b.field[0], a.field_len[0]) == 0)
                                        abort();
                }
                free(out);
        } else if (r != -EBADMSG && r != -EFBIG)
                abort();
        return 0;
}
