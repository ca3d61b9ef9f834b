/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pe-sections.h"

bool pe_section_name_eq(const uint8_t name[PE_SECTION_NAME_MAX], const char *s) {
        size_t i = 0;
        for (; i < PE_SECTION_NAME_MAX && s[i]; i++)
                if (name[i] != (uint8_t) s[i])
                        return false;
        if (s[i])       /* s is longer than a section name can be */
                return false;
        return i == PE_SECTION_NAME_MAX || name[i] == 0;
}

int pe_locate_uki_profile_pick(const void *image, size_t size, bool loaded, uint32_t profile,
                               PeSectionRef ret[_UKI_SECTION_MAX], uint32_t *ret_n_profiles,
                               PeDtbautoPick pick, void *userdata) {
        const uint8_t *p = image;
        PeSectionRef base[_UKI_SECTION_MAX] = {}, prof[_UKI_SECTION_MAX] = {};
        uint32_t n_profiles = 0;        /* .profile sections seen so far */
        uint64_t end;

        if (!p || size < sizeof(PeDosHeader))
                return PE_SECTIONS_E_TRUNCATED;
        if (le16_read(p) != PE_DOS_MAGIC)
                return PE_SECTIONS_E_MAGIC;

        uint32_t pe_off = le32_read(p + offsetof(PeDosHeader, e_lfanew));
        if (pe_off > PE_HEADER_OFFSET_MAX)
                return PE_SECTIONS_E_BAD_HEADER;
        /* signature + COFF header */
        if ((uint64_t) pe_off + 4 + sizeof(PeCoffHeader) > size)
                return PE_SECTIONS_E_TRUNCATED;
        if (le32_read(p + pe_off) != PE_NT_MAGIC)
                return PE_SECTIONS_E_MAGIC;

        const uint8_t *coff = p + pe_off + 4;
        uint16_t n_sections = le16_read(coff + offsetof(PeCoffHeader, NumberOfSections));
        uint16_t opt_size = le16_read(coff + offsetof(PeCoffHeader, SizeOfOptionalHeader));
        if (n_sections > PE_SECTIONS_MAX)
                return PE_SECTIONS_E_TOO_MANY;

        uint64_t table = (uint64_t) pe_off + 4 + sizeof(PeCoffHeader) + opt_size;
        end = table + (uint64_t) n_sections * sizeof(PeSectionHeader);
        if (end > size)
                return PE_SECTIONS_E_TRUNCATED;

        for (size_t i = 0; i < n_sections; i++) {
                const uint8_t *sh = p + table + i * sizeof(PeSectionHeader);
                uint32_t vsize = le32_read(sh + offsetof(PeSectionHeader, VirtualSize));
                uint32_t rva = le32_read(sh + offsetof(PeSectionHeader, VirtualAddress));
                uint32_t raw_size = le32_read(sh + offsetof(PeSectionHeader, SizeOfRawData));
                uint32_t raw_off = le32_read(sh + offsetof(PeSectionHeader, PointerToRawData));

                UkiSection s = _UKI_SECTION_INVALID;
                for (int k = 0; k < _UKI_SECTION_MAX; k++)
                        if (pe_section_name_eq(sh, uki_section_names[k])) {
                                s = (UkiSection) k;
                                break;
                        }
                if (s == _UKI_SECTION_INVALID)
                        continue;
                UkiProfileSlot where = uki_profile_slot(s, profile, &n_profiles);
                PeSectionRef *slot = where == UKI_PROFILE_SLOT_BASE ? &base[s] :
                                     where == UKI_PROFILE_SLOT_SELECTED ? &prof[s] : NULL;
                if (!slot || slot->present)
                        continue;

                /* 64-bit sums of 32-bit fields cannot overflow. */
                if (loaded)
                        end = (uint64_t) rva + vsize;
                else if (MIN(vsize, raw_size) == 0)
                        end = 0;        /* nothing in the file: PointerToRawData is unused */
                else
                        end = (uint64_t) raw_off + MIN(vsize, raw_size);
                if (end > size)
                        return PE_SECTIONS_E_TRUNCATED;
                if (s == UKI_SECTION_DTBAUTO && pick &&
                    !pick(p + (loaded ? rva : raw_off), loaded ? vsize : MIN(vsize, raw_size), userdata))
                        continue;

                *slot = (PeSectionRef) {
                        .present = true,
                        .rva = rva,
                        .size = vsize,
                        .file_offset = raw_off,
                        .raw_size = raw_size,
                };
        }

        /* Profile 0 is implied when the image has no .profile at all. */
        if (profile >= n_profiles && !(profile == 0 && n_profiles == 0))
                return PE_SECTIONS_E_NO_PROFILE;
        for (size_t k = 0; k < _UKI_SECTION_MAX; k++)
                ret[k] = prof[k].present ? prof[k] : base[k];
        if (ret_n_profiles)
                *ret_n_profiles = n_profiles;
        return PE_SECTIONS_OK;
}

int pe_locate_uki_profile(const void *image, size_t size, bool loaded, uint32_t profile,
                          PeSectionRef ret[_UKI_SECTION_MAX], uint32_t *ret_n_profiles) {
        return pe_locate_uki_profile_pick(image, size, loaded, profile, ret, ret_n_profiles, NULL, NULL);
}

int pe_locate_uki_sections(const void *image, size_t size, bool loaded, PeSectionRef ret[_UKI_SECTION_MAX]) {
        return pe_locate_uki_profile(image, size, loaded, 0, ret, NULL);
}

const char *pe_sections_error_string(int code) {
        switch (code) {
        case PE_SECTIONS_OK:            return "success";
        case PE_SECTIONS_E_TRUNCATED:   return "PE header or section beyond end of image";
        case PE_SECTIONS_E_MAGIC:       return "not a PE image";
        case PE_SECTIONS_E_TOO_MANY:    return "too many sections";
        case PE_SECTIONS_E_BAD_HEADER:  return "bad PE header";
        case PE_SECTIONS_E_NO_PROFILE:  return "no such profile in the image";
        default:                        return "unknown error";
        }
}
