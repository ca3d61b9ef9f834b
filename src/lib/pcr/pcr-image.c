/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pcr-image.h"
#include "util.h"

/* The nth section called name, or NULL. */
static const PeSection *find_nth(const PeImage *img, const char *name, size_t nth) {
        for (size_t i = 0; i < img->n_sections; i++)
                if (streq(img->sections[i].name, name) && nth-- == 0)
                        return &img->sections[i];
        return NULL;
}

size_t pcr_image_count_sections(const PeImage *img, const char *name) {
        size_t n = 0;
        for (size_t i = 0; i < img->n_sections; i++)
                n += streq(img->sections[i].name, name);
        return n;
}

int pcr_measure_pe_image(int fd, const PeImage *img, const UkiMeasureRules *rules, unsigned banks, PcrState *ret) {
        return pcr_measure_pe_image_dtbauto(fd, img, rules, banks, 0, ret);
}

int pcr_measure_pe_image_dtbauto(int fd, const PeImage *img, const UkiMeasureRules *rules, unsigned banks,
                                 size_t dtbauto, PcrState *ret) {
        _cleanup_pcr_measure_ PcrMeasure *m = NULL;
        int r;

        r = pcr_measure_new(rules, banks, 0, &m);
        if (r < 0)
                return r;
        for (int s = 0; s < _UKI_SECTION_MAX; s++) {
                const PeSection *sec = s == UKI_SECTION_DTBAUTO ? find_nth(img, uki_section_names[s], dtbauto)
                                                                : pe_find_section(img, uki_section_names[s]);
                if (!sec || !pcr_measure_wants(m, (UkiSection) s))
                        continue;
                /* what the stub measures: VirtualSize bytes (none if 0,
                 * whatever SizeOfRawData says), zero past the raw data */
                uint32_t in_file = MIN(sec->virtual_size, sec->raw_size);
                r = pcr_measure_section_begin(m, (UkiSection) s);
                if (r >= 0)
                        r = pcr_measure_section_fd(m, fd, sec->raw_offset, in_file);
                if (r >= 0 && sec->virtual_size > in_file)
                        r = pcr_measure_section_zeros(m, sec->virtual_size - in_file);
                if (r >= 0)
                        r = pcr_measure_section_end(m);
                if (r < 0)
                        return r;
        }
        return pcr_measure_finish(m, ret);
}
