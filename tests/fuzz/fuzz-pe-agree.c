/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stub's PE section parser (src/fundamental/pe-sections.c) and the
 * host's (src/lib/pe/pe.c) on the same bytes must agree, or `ukit build`,
 * `ukit measure` and `ukit verify` would accept and predict an image the
 * stub then reads differently. Aborts when:
 *
 *   - the host accepts an image the stub refuses (the host is the stricter
 *     one on purpose: PE32, unknown machines, overlaps, alignment; so the
 *     stub accepting what the host refuses is fine, the reverse is not);
 *   - for any profile, a UKI section the stub picks differs from the one
 *     the host's section table gives by the same rule (first of a name in
 *     the base, replaced by the first in the profile) in name, RVA,
 *     VirtualSize, PointerToRawData or SizeOfRawData, or one side has it
 *     and the other not; or they count the profiles differently;
 *   - for any profile (the first PROFILES_CHECKED), PCR 11 (SHA-256) as the
 *     host predicts it (pcr_measure_pe_image_profile: the base overlaid by
 *     the profile's sections) differs from what the stub's measure loop
 *     (src/stub/stub.c measure_sections: present, non-empty, VirtualSize
 *     bytes as loaded, zero past the raw data) extends for the stub's view.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcr-image.h"
#include "pe-profile.h"
#include "pe-sections.h"
#include "pe.h"
#include "uki.h"

#define PROFILES_CHECKED 4u
#define MEASURE_MAX (1024u * 1024u)     /* bigger sections: no PCR comparison (time) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The host's section table read with the stub's profile rule. */
static void host_select(const PeImage *img, uint32_t profile, const PeSection *ret[_UKI_SECTION_MAX],
                        uint32_t *ret_n_profiles) {
        if (pe_profile_sections(img, profile, ret, ret_n_profiles) < 0)
                abort();        /* only called for profiles that exist */
}

static void compare(const PeSectionRef stub[_UKI_SECTION_MAX], const PeSection *host[_UKI_SECTION_MAX]) {
        for (size_t k = 0; k < _UKI_SECTION_MAX; k++) {
                const PeSection *h = host[k];
                if (stub[k].present != !!h)
                        abort();
                if (!h)
                        continue;
                if (strcmp(h->name, uki_section_names[k]) != 0 || stub[k].rva != h->virtual_address ||
                    stub[k].size != h->virtual_size || stub[k].file_offset != h->raw_offset ||
                    stub[k].raw_size != h->raw_size)
                        abort();
        }
}

/* What the stub extends into PCR 11 for these sections (file layout). */
static bool stub_pcr11(const uint8_t *data, const PeSectionRef s[_UKI_SECTION_MAX], PcrState *ret) {
        pcr_state_init(ret, PCR_BANK_BIT(PCR_BANK_SHA256));
        for (int k = 0; k < _UKI_SECTION_MAX; k++) {
                if (!s[k].present || s[k].size == 0 || !uki_rules_measures(&uki_rules_current, (UkiSection) k))
                        continue;
                if (s[k].size > MEASURE_MAX)
                        return false;
                uint8_t *buf = calloc(1, s[k].size);
                if (!buf)
                        return false;
                if (MIN(s[k].size, s[k].raw_size) > 0)
                        memcpy(buf, data + s[k].file_offset, MIN(s[k].size, s[k].raw_size));
                if (pcr_state_extend_data(ret, uki_section_names[k], strlen(uki_section_names[k]) + 1) < 0 ||
                    pcr_state_extend_data(ret, buf, s[k].size) < 0)
                        abort();
                free(buf);
        }
        return true;
}

static void compare_pcr11(const uint8_t *data, size_t size, const PeImage *img, uint32_t profile,
                          const PeSectionRef s[_UKI_SECTION_MAX]) {
        PcrState want, got;

        if (!stub_pcr11(data, s, &want))
                return;
        int fd = memfd_create("fuzz-pe-agree", MFD_CLOEXEC);
        if (fd < 0)
                abort();
        if (write(fd, data, size) != (ssize_t) size)
                abort();
        int r = pcr_measure_pe_image_profile(fd, img, profile, &uki_rules_current, PCR_BANK_BIT(PCR_BANK_SHA256),
                                             &got);
        close(fd);
        if (r < 0)
                return;         /* e.g. a section the host reads over its limits */
        if (memcmp(want.value[PCR_BANK_SHA256], got.value[PCR_BANK_SHA256],
                   pcr_bank_digest_size(PCR_BANK_SHA256)) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_pe_image_ PeImage *img = NULL;
        PeSectionRef stub[_UKI_SECTION_MAX];
        const PeSection *host[_UKI_SECTION_MAX];
        uint32_t n_stub = 0, n_host = 0;

        if (size > 4u * 1024u * 1024u)
                return 0;
        /* a heap copy of exactly size bytes, so ASan catches overreads */
        uint8_t *copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        if (pe_parse_buffer(copy, size, &img, NULL) < 0) {
                free(copy);
                return 0;       /* the host refuses: the stub may be more lenient */
        }
        if (pe_locate_uki_profile(copy, size, false, 0, stub, &n_stub) != PE_SECTIONS_OK)
                abort();        /* an image the host takes that the stub cannot boot */
        host_select(img, 0, host, &n_host);
        if (n_stub != n_host)
                abort();
        compare(stub, host);
        compare_pcr11(copy, size, img, 0, stub);

        for (uint32_t p = 1; p < MIN(n_host, PROFILES_CHECKED); p++) {
                if (pe_locate_uki_profile(copy, size, false, p, stub, NULL) != PE_SECTIONS_OK)
                        abort();
                host_select(img, p, host, &n_host);
                compare(stub, host);
                compare_pcr11(copy, size, img, p, stub);
        }
        free(copy);
        return 0;
}
