/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Locating the UKI sections of a PE image: used by the stub on its own loaded
 * image (memory layout) and testable on the host with the same code (file or
 * memory layout). Freestanding. The header fields are hostile input: every
 * offset is bounds-checked against the buffer before it is read. */

#include "macro.h"
#include "pe-format.h"
#include "uki.h"

/* Limits: PE_SECTIONS_MAX, PE_HEADER_OFFSET_MAX in pe-format.h. */

typedef struct PeSectionRef {
        bool present;
        uint32_t rva;           /* VirtualAddress */
        uint32_t size;          /* VirtualSize: the measured and used length */
        uint32_t file_offset;   /* PointerToRawData */
        uint32_t raw_size;      /* SizeOfRawData */
} PeSectionRef;

enum {
        PE_SECTIONS_OK = 0,
        PE_SECTIONS_E_TRUNCATED = -1,   /* a header or section lies beyond the buffer */
        PE_SECTIONS_E_MAGIC = -2,       /* no MZ / PE\0\0 signature */
        PE_SECTIONS_E_TOO_MANY = -3,    /* NumberOfSections over PE_SECTIONS_MAX */
        PE_SECTIONS_E_BAD_HEADER = -4,  /* inconsistent header fields */
        PE_SECTIONS_E_NO_PROFILE = -5,  /* the requested profile does not exist */
};

/* True if the 8-byte, NUL-padded section name equals the C string s. */
bool pe_section_name_eq(const uint8_t name[PE_SECTION_NAME_MAX], const char *s);

/* Parses the PE headers at the start of image (size bytes). If loaded is true
 * the image is laid out as in memory after LoadImage (sections at their
 * VirtualAddress, VirtualSize bytes each), otherwise as the file (sections at
 * PointerToRawData; bytes past SizeOfRawData read as zero). Fills ret[] for
 * every UKI section found (profile 0 of a multi-profile image, see below;
 * otherwise the first of duplicate names wins); sections whose
 * data lies outside the buffer make the whole call fail (in the file
 * layout, a section with no bytes in the file, MIN(VirtualSize,
 * SizeOfRawData) == 0, has no data there, wherever PointerToRawData points).
 * Returns PE_SECTIONS_OK or a negative PE_SECTIONS_E_* code; ret is written
 * only on success. */
int pe_locate_uki_sections(const void *image, size_t size, bool loaded, PeSectionRef ret[_UKI_SECTION_MAX]);

/* Multi-profile UKIs (systemd 257): every .profile section starts a profile,
 * numbered from 0 in section-table order; the sections before the first
 * .profile are the base. Fills ret[] with the base sections, each replaced
 * by the same-named section of the given profile where that has one (the
 * first of a name wins within the base and within a profile). Profile 0 of
 * an image without any .profile is the base alone; any other missing
 * profile is PE_SECTIONS_E_NO_PROFILE. *ret_n_profiles (optional) gets the
 * number of .profile sections. pe_locate_uki_sections() is profile 0. */
int pe_locate_uki_profile(const void *image, size_t size, bool loaded, uint32_t profile,
                          PeSectionRef ret[_UKI_SECTION_MAX], uint32_t *ret_n_profiles);

/* The same, where a .dtbauto section only fills its slot when pick accepts
 * its data (the stub's devicetree selection; several .dtbauto may be
 * present). pick NULL: the first one, as for any other name. */
typedef bool (*PeDtbautoPick)(const uint8_t *data, size_t size, void *userdata);
int pe_locate_uki_profile_pick(const void *image, size_t size, bool loaded, uint32_t profile,
                               PeSectionRef ret[_UKI_SECTION_MAX], uint32_t *ret_n_profiles,
                               PeDtbautoPick pick, void *userdata);

const char *pe_sections_error_string(int code);
