/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "uki.h"

const char *const uki_section_names[_UKI_SECTION_MAX] = {
        [UKI_SECTION_LINUX]   = UKI_NAME_LINUX,
        [UKI_SECTION_OSREL]   = UKI_NAME_OSREL,
        [UKI_SECTION_CMDLINE] = UKI_NAME_CMDLINE,
        [UKI_SECTION_INITRD]  = UKI_NAME_INITRD,
        [UKI_SECTION_UCODE]   = UKI_NAME_UCODE,
        [UKI_SECTION_SPLASH]  = UKI_NAME_SPLASH,
        [UKI_SECTION_DTB]     = UKI_NAME_DTB,
        [UKI_SECTION_UNAME]   = UKI_NAME_UNAME,
        [UKI_SECTION_SBAT]    = UKI_NAME_SBAT,
        [UKI_SECTION_PCRSIG]  = UKI_NAME_PCRSIG,
        [UKI_SECTION_PCRPKEY] = UKI_NAME_PCRPKEY,
        [UKI_SECTION_PROFILE] = UKI_NAME_PROFILE,
        [UKI_SECTION_DTBAUTO] = UKI_NAME_DTBAUTO,
        [UKI_SECTION_HWIDS]   = UKI_NAME_HWIDS,
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

UkiProfileSlot uki_profile_slot(UkiSection s, uint32_t profile, uint32_t *n_profiles) {
        if (s == UKI_SECTION_PROFILE)
                (*n_profiles)++;
        if (*n_profiles == 0)
                return UKI_PROFILE_SLOT_BASE;
        return *n_profiles - 1 == profile ? UKI_PROFILE_SLOT_SELECTED : UKI_PROFILE_SLOT_OTHER;
}

const UkiMeasureRules uki_rules_systemd_252 = {
        .name = "systemd-stub 252",
        .measured = UKI_SECTION_BIT(UKI_SECTION_LINUX) | UKI_SECTION_BIT(UKI_SECTION_OSREL) |
                    UKI_SECTION_BIT(UKI_SECTION_CMDLINE) | UKI_SECTION_BIT(UKI_SECTION_INITRD) |
                    UKI_SECTION_BIT(UKI_SECTION_SPLASH) | UKI_SECTION_BIT(UKI_SECTION_DTB) |
                    UKI_SECTION_BIT(UKI_SECTION_PCRPKEY),
};

const UkiMeasureRules uki_rules_systemd_253 = {
        .name = "systemd-stub 253",
        .measured = UKI_SECTION_BIT(UKI_SECTION_LINUX) | UKI_SECTION_BIT(UKI_SECTION_OSREL) |
                    UKI_SECTION_BIT(UKI_SECTION_CMDLINE) | UKI_SECTION_BIT(UKI_SECTION_INITRD) |
                    UKI_SECTION_BIT(UKI_SECTION_SPLASH) | UKI_SECTION_BIT(UKI_SECTION_DTB) |
                    UKI_SECTION_BIT(UKI_SECTION_UNAME) | UKI_SECTION_BIT(UKI_SECTION_SBAT) |
                    UKI_SECTION_BIT(UKI_SECTION_PCRPKEY),
};

const UkiMeasureRules uki_rules_systemd_256 = {
        .name = "systemd-stub 256",
        .measured = UKI_SECTION_BIT(UKI_SECTION_LINUX) | UKI_SECTION_BIT(UKI_SECTION_OSREL) |
                    UKI_SECTION_BIT(UKI_SECTION_CMDLINE) | UKI_SECTION_BIT(UKI_SECTION_INITRD) |
                    UKI_SECTION_BIT(UKI_SECTION_UCODE) |
                    UKI_SECTION_BIT(UKI_SECTION_SPLASH) | UKI_SECTION_BIT(UKI_SECTION_DTB) |
                    UKI_SECTION_BIT(UKI_SECTION_UNAME) | UKI_SECTION_BIT(UKI_SECTION_SBAT) |
                    UKI_SECTION_BIT(UKI_SECTION_PCRPKEY),
};

const UkiMeasureRules uki_rules_current = {
        .name = "current",
        .measured = ((1u << _UKI_SECTION_MAX) - 1u) & ~UKI_SECTION_BIT(UKI_SECTION_PCRSIG),
};

/* Returns the position after prefix p if buf[*pos..n) starts with it. */
static bool skip_prefix(const char *buf, size_t n, size_t *pos, const char *p) {
        size_t i = *pos;
        for (; *p; p++, i++)
                if (i >= n || buf[i] != *p)
                        return false;
        *pos = i;
        return true;
}

const UkiMeasureRules *uki_rules_for_stub(const char *sdmagic, size_t n) {
        size_t pos = 0;
        unsigned major = 0, digits = 0;

        if (!sdmagic)
                return NULL;
        while (n > 0 && sdmagic[n - 1] == 0)
                n--;
        if (!skip_prefix(sdmagic, n, &pos, UKI_SDMAGIC_PREFIX))
                return NULL;

        if (skip_prefix(sdmagic, n, &pos, "ukit-stub "))
                return &uki_rules_current;
        if (!skip_prefix(sdmagic, n, &pos, "systemd-stub "))
                return NULL;

        /* "252.39-1~deb12u2", "256", "257~rc1": the leading number decides. */
        for (; pos < n && sdmagic[pos] >= '0' && sdmagic[pos] <= '9' && digits < 6; pos++, digits++)
                major = major * 10 + (unsigned) (sdmagic[pos] - '0');
        if (digits == 0 || digits >= 6)
                return NULL;
        if (major <= 252)
                return &uki_rules_systemd_252;
        if (major <= 255)
                return &uki_rules_systemd_253;
        if (major == 256)
                return &uki_rules_systemd_256;
        return &uki_rules_current;
}
