/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "uki.h"

const char *const uki_section_names[_UKI_SECTION_MAX] = {
        [UKI_SECTION_LINUX]   = ".linux",
        [UKI_SECTION_OSREL]   = ".osrel",
        [UKI_SECTION_CMDLINE] = ".cmdline",
        [UKI_SECTION_INITRD]  = ".initrd",
        [UKI_SECTION_UCODE]   = ".ucode",
        [UKI_SECTION_SPLASH]  = ".splash",
        [UKI_SECTION_DTB]     = ".dtb",
        [UKI_SECTION_UNAME]   = ".uname",
        [UKI_SECTION_SBAT]    = ".sbat",
        [UKI_SECTION_PCRSIG]  = ".pcrsig",
        [UKI_SECTION_PCRPKEY] = ".pcrpkey",
};

static bool streq_fundamental(const char *a, const char *b) {
        for (; *a && *a == *b; a++, b++)
                ;
        return *a == *b;
}

UkiSection uki_section_from_name(const char *name) {
        if (!name)
                return _UKI_SECTION_INVALID;
        for (int i = 0; i < _UKI_SECTION_MAX; i++)
                if (streq_fundamental(uki_section_names[i], name))
                        return (UkiSection) i;
        return _UKI_SECTION_INVALID;
}
