/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pe_locate_uki_sections(), the stub's section lookup, on hostile images in
 * both layouts: must never read outside the buffer, and every section it
 * reports must lie inside it. Also drives the cpio writer with names and
 * content taken from the input. */
#include <stdlib.h>
#include <string.h>

#include "cpio.h"
#include "pe-sections.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PeSectionRef s[_UKI_SECTION_MAX];

        /* a heap copy of exactly size bytes, so ASan catches overreads */
        uint8_t *copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        for (int loaded = 0; loaded <= 1; loaded++)
                if (pe_locate_uki_sections(copy, size, loaded, s) == PE_SECTIONS_OK)
                        for (size_t k = 0; k < _UKI_SECTION_MAX; k++) {
                                if (!s[k].present)
                                        continue;
                                uint32_t in_file = MIN(s[k].size, s[k].raw_size);
                                uint64_t end = loaded ? (uint64_t) s[k].rva + s[k].size
                                                      : in_file ? (uint64_t) s[k].file_offset + in_file : 0;
                                if (end > size)
                                        abort();
                        }

        /* cpio: first byte splits "dir\0name\0content" */
        char dir[64] = {}, name[64] = {};
        size_t i = 0, n = 0;
        while (i < size && data[i] && n < sizeof(dir) - 1)
                dir[n++] = (char) data[i++];
        i++;
        n = 0;
        while (i < size && data[i] && n < sizeof(name) - 1)
                name[n++] = (char) data[i++];
        i++;
        const uint8_t *content = i < size ? data + i : NULL;
        size_t clen = i < size ? size - i : 0;
        size_t need = cpio_archive_one(NULL, 0, dir, name, content, clen, 0555, 0444);
        if (need) {
                uint8_t *buf = malloc(need);
                if (buf && cpio_archive_one(buf, need, dir, name, content, clen, 0555, 0444) != need)
                        abort();
                if (buf && need > 1 && cpio_archive_one(buf, need - 1, dir, name, content, clen, 0555, 0444) != 0)
                        abort();
                free(buf);
        }
        free(copy);
        return 0;
}
