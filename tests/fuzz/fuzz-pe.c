/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the PE parser and, on whatever parses, the layout and
 * writer: the input is used as a stub, one section is added, and the output
 * must parse again with the new section where the layout put it. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fileio.h"
#include "pe-write.h"
#include "pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool b) {
        if (!b)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PeImage *img = NULL, *out = NULL, *again = NULL;
        PeLayout *l = NULL;
        int sfd = -1, ofd = -1;

        if (pe_parse_buffer(data, size, &img, NULL) < 0)
                return 0;
        for (size_t i = 0; i < img->n_sections; i++) {
                const PeSection *s = &img->sections[i];
                check(s->raw_size == 0 || (uint64_t) s->raw_offset + s->raw_size <= size);
                check(pe_find_section(img, s->name) != NULL);
        }

        /* The fd parser agrees with the buffer parser. */
        sfd = memfd_create("fuzz-pe-stub", MFD_CLOEXEC);
        check(sfd >= 0);
        check(write_full(sfd, data, size) == 0);
        check(pe_parse_fd(sfd, &again, NULL) == 0);
        check(again->n_sections == img->n_sections && again->raw_end == img->raw_end);

        static const char text[] = "fuzz";
        const PeSource src[] = { { .fd = -1, .data = text, .size = sizeof(text) } };
        const PeNewSection news[] = {
                { ".fuzz", PE_SECTION_FLAGS_DATA, 0, src, 1 },
                { ".sbat", PE_SECTION_FLAGS_DATA, 0x3000, src, 1 },
        };
        if (pe_layout(sfd, img, news, 2, &(PeLayoutOptions) {}, &l, NULL) < 0)
                goto done;
        ofd = memfd_create("fuzz-pe-out", MFD_CLOEXEC);
        check(ofd >= 0);
        check(pe_write(l, ofd, NULL, 0) == 0);
        check(pe_parse_fd(ofd, &out, NULL) == 0);
        check(out->n_sections == l->n_sections);
        const PeSection *f = pe_find_section(out, ".fuzz");
        check(f && f->virtual_size == sizeof(text));

done:
        pe_layout_free(l);
        pe_image_free(out);
        pe_image_free(again);
        pe_image_free(img);
        if (sfd >= 0)
                close(sfd);
        if (ofd >= 0)
                close(ofd);
        return 0;
}
