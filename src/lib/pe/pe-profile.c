/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "pe-profile.h"

int pe_profile_sections(const PeImage *img, uint32_t profile, const PeSection *ret[_UKI_SECTION_MAX],
                        uint32_t *ret_n_profiles) {
        const PeSection *base[_UKI_SECTION_MAX] = {}, *prof[_UKI_SECTION_MAX] = {};
        uint32_t n_profiles = 0;

        for (size_t i = 0; i < img->n_sections; i++) {
                UkiSection s = uki_section_from_name(img->sections[i].name);
                if (s == _UKI_SECTION_INVALID)
                        continue;
                UkiProfileSlot where = uki_profile_slot(s, profile, &n_profiles);
                const PeSection **slot = where == UKI_PROFILE_SLOT_BASE ? &base[s] :
                                         where == UKI_PROFILE_SLOT_SELECTED ? &prof[s] : NULL;
                if (slot && !*slot)
                        *slot = &img->sections[i];
        }
        if (ret_n_profiles)
                *ret_n_profiles = n_profiles;
        if (profile >= n_profiles && !(profile == 0 && n_profiles == 0))
                return -ENOENT;
        for (size_t k = 0; k < _UKI_SECTION_MAX; k++)
                ret[k] = prof[k] ? prof[k] : base[k];
        return 0;
}
