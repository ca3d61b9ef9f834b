/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BMP parser: headers from the input, and conversion of everything that
 * parses (bounded picture size so a run stays fast). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PIXELS_MAX (1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        BmpInfo info;
        uint8_t *copy;

        if (size > 4u * 1024u * 1024u)
                return 0;
        /* An exact-size copy, so ASan catches any read past the end. */
        copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        if (bmp_parse(copy, size, &info) == BMP_OK) {
                uint64_t n = (uint64_t) info.width * info.height;
                if (info.width == 0 || info.height == 0 || info.width > BMP_DIM_MAX ||
                    info.height > BMP_DIM_MAX || n > BMP_PIXELS_MAX ||
                    info.pixel_offset > size || info.row_size < (info.width * (uint64_t) info.bpp + 7) / 8)
                        abort();
                if (n <= FUZZ_PIXELS_MAX) {
                        uint32_t *px = malloc(n * sizeof(uint32_t));
                        if (px) {
                                int r = bmp_to_bgrx(copy, size, &info, px, (size_t) n);
                                if (r != BMP_OK && r != BMP_E_PALETTE)
                                        abort();
                                if (r == BMP_OK)
                                        for (uint64_t i = 0; i < n; i++)
                                                if (px[i] >> 24)
                                                        abort(); /* X byte is always 0 */
                                free(px);
                        }
                }
        }
        free(copy);
        return 0;
}
