/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PE/COFF reader. Every field is treated as hostile: all offsets and sizes
 * are bounds- and overflow-checked against the file size and named limits
 * before anything is read. Returns -errno; never prints.
 *
 * Errors: -EBADMSG malformed image, -EOPNOTSUPP valid PE of an unsupported
 * kind (PE32, unknown machine), -EFBIG beyond a limit, each with the reason
 * in the optional `err` (item: the section concerned, if one); other -errno
 * from I/O. */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "pe-format.h"

#define PE_HEADERS_MAX          (16u * 1024u * 1024u)   /* bytes of headers + section table read */

typedef struct PeSection {
        char name[PE_SECTION_NAME_MAX + 1];     /* NUL-terminated copy */
        uint32_t virtual_size;
        uint32_t virtual_address;
        uint32_t raw_size;                      /* SizeOfRawData */
        uint32_t raw_offset;                    /* PointerToRawData */
        uint32_t characteristics;
        uint32_t header_offset;                 /* file offset of this section's header */
} PeSection;

typedef struct PeImage {
        uint64_t file_size;

        uint32_t pe_offset;             /* e_lfanew */
        uint16_t machine;
        uint16_t characteristics;
        uint16_t subsystem;
        uint16_t dll_characteristics;
        uint64_t image_base;
        uint32_t entry_point;
        uint32_t section_alignment;
        uint32_t file_alignment;
        uint32_t size_of_headers;
        uint32_t size_of_image;
        uint32_t size_of_code;
        uint32_t size_of_initialized_data;
        uint32_t checksum;

        /* File offsets of fields that Authenticode excludes from its digest. */
        uint32_t checksum_offset;               /* OptionalHeader.CheckSum */
        uint32_t security_dir_offset;           /* DataDirectory[PE_DIR_SECURITY] */
        bool has_security_dir;                  /* NumberOfRvaAndSizes > PE_DIR_SECURITY */

        uint32_t opt_header_offset;
        uint16_t opt_header_size;
        uint32_t n_data_dirs;
        PeDataDirectory data_dirs[PE_DIR_MAX];  /* zero beyond n_data_dirs */

        /* Certificate table (from DataDirectory[PE_DIR_SECURITY]): file offset + size. 0/0 if unsigned. */
        uint32_t cert_table_offset;
        uint32_t cert_table_size;

        /* COFF symbol table (deprecated for images, stripped on rebuild). */
        uint32_t symtab_offset;
        uint32_t n_symbols;
        uint64_t symtab_size;                   /* symbols + string table, bytes in the file */

        uint32_t section_table_offset;
        uint16_t n_sections;
        PeSection *sections;                    /* n_sections entries, in header order */

        /* First file offset after the headers that is used by section data
         * (the limit for growing the section table in place). */
        uint32_t first_raw_offset;
        uint32_t section_table_end;             /* first byte after the section headers */
        uint64_t raw_end;                       /* end of the last section's raw data */
} PeImage;

/* Parse the headers of the PE image in fd (which stays owned by the caller). */
int pe_parse_fd(int fd, PeImage **ret, UkitError *err);

/* Parse the headers of a PE image in memory (used by fuzzers and by tools
 * that already hold small images). */
int pe_parse_buffer(const void *data, size_t size, PeImage **ret, UkitError *err);

void pe_image_free(PeImage *img);
static inline void pe_image_freep(PeImage **p) {
        if (*p)
                pe_image_free(*p);
}
#define _cleanup_pe_image_ _cleanup_(pe_image_freep)

/* Section lookup by exact name (".linux"); NULL if absent. */
const PeSection *pe_find_section(const PeImage *img, const char *name);

/* The bytes a loader would see: min(VirtualSize, SizeOfRawData) from the file;
 * for VirtualSize > SizeOfRawData the rest is zero. pe_section_file_size()
 * is how many bytes of it live in the file. */
uint32_t pe_section_file_size(const PeSection *s);

/* Read a section's content (VirtualSize bytes, zero-filled past the raw
 * data), refusing sections larger than max (-EFBIG). The buffer is
 * NUL-terminated (not counted). */
int pe_read_section(int fd, const PeImage *img, const PeSection *s, size_t max, void **ret, size_t *ret_size);

/* Whether the image carries an Authenticode certificate table. */
static inline bool pe_is_signed(const PeImage *img) {
        return img->cert_table_size > 0;
}

const char *pe_machine_name(uint16_t machine);         /* "x86-64", "aarch64", ... or NULL */

/* The content size a loader uses: VirtualSize, or SizeOfRawData when
 * VirtualSize is 0 (as loaders treat it). */
static inline uint32_t pe_section_size(const PeSection *s) {
        return s->virtual_size ? s->virtual_size : s->raw_size;
}

/* Extent in memory, [virtual_address, virtual_address + pe_section_size()),
 * at least one byte so that empty sections still occupy their address. */
uint64_t pe_section_vend(const PeSection *s);
