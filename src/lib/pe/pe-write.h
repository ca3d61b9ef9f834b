/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Build a PE image from a stub plus new sections, in two steps:
 *
 *   pe_layout()  decides everything (header bytes, section table, every
 *                file offset and address) without touching any section data;
 *   pe_write()   streams the result to a file in ONE sequential pass: the
 *                headers, the stub's sections copied from the stub, then the
 *                new sections read from their sources (fd ranges or memory).
 *                Section data is never held in memory as a whole: a 1 GiB
 *                initrd goes through a buffer of at most PE_WRITE_BUFFER_SIZE
 *                (none at all when copy_file_range() does the copy).
 *
 * Observers see every output byte as it is written, so hashers (Authenticode,
 * PCR banks) run in the same pass without re-reading the image.
 *
 * Layout rules (see docs in man/ukit-build.1):
 *   - stub sections keep their addresses; their file data keeps its order and
 *     is only moved (by a multiple of FileAlignment) when the header area has
 *     to grow for the new section headers. The headers may grow up to the
 *     lowest section address of the stub, so they never overlap a section in
 *     memory. Raw data offsets/sizes are rounded up to FileAlignment.
 *   - new sections follow the stub's last section in memory, each at an
 *     address aligned to SectionAlignment, and in the file, each at an offset
 *     aligned to FileAlignment, in the order given (as ukify 257: no other
 *     padding, so the same inputs give the same bytes). No two sections
 *     overlap.
 *   - VirtualSize of a new section = max(content size, min_virtual_size).
 *   - bytes of the stub outside its headers and sections (a trailing COFF
 *     symbol table, other trailing data) are dropped; PointerToSymbolTable and
 *     NumberOfSymbols become 0.
 *   - if a new section is named ".sbat" and the stub has one, the new
 *     content replaces the stub's section data in place when it fits into the
 *     stub's SizeOfRawData (rounded up to FileAlignment), zero-padded, with
 *     VirtualSize = the content's length; the new section then gets no header
 *     of its own (ukify 257 does this). When it does not fit (ukify fails),
 *     the stub's header is removed when it is the stub's last section (in
 *     memory and in the file), otherwise it is renamed to
 *     PE_STUB_SBAT_RENAMED, and the new section is added; either way the image
 *     has exactly one ".sbat" (systemd-stub and shim look it up by name).
 *   - other name clashes (with the stub or among the new sections) fail with
 *     -EEXIST.
 *   - NumberOfSections, SizeOfImage and SizeOfHeaders are recomputed;
 *     SizeOfInitializedData grows by the VirtualSize of each new section,
 *     code or data, and SizeOfCode stays the stub's (both as ukify 257).
 *   - DllCharacteristics: the bits in opts->clear_dll_characteristics are
 *     cleared (ukify clears NX_COMPAT when the kernel lacks it).
 *   - CheckSum is set to 0 (as ukify, objcopy and sbsign's input expect; no
 *     UEFI loader checks it, and signers compute it when they sign).
 *   - a signed stub is refused (-EPERM): its signature could not survive.
 *
 * Errors: -errno; -EBADMSG/-EFBIG/-ENOSPC/-EEXIST/-EPERM/-EINVAL come with a
 * reason in the optional `err`, whose item names the new section concerned
 * when there is one. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pe.h"

#define PE_WRITE_BUFFER_SIZE    (4u * 1024u * 1024u)
#define PE_WRITE_SOURCES_MAX    4096u
#define PE_STUB_SBAT_RENAMED    ".sbatstb"

/* ukify's section flags: data sections are initialized read-only data;
 * .linux is marked code, since old kernels using the EFI handover protocol
 * are executed in place. */
#define PE_SECTION_FLAGS_DATA   (PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ)
#define PE_SECTION_FLAGS_CODE   (PE_SCN_CNT_CODE | PE_SCN_MEM_READ)

/* One piece of a section's content: bytes [offset, offset + size) of fd
 * (fd >= 0), or size bytes at data (fd < 0). Neither is owned; both must stay
 * valid until pe_write() returns. data may be NULL for zero bytes (padding). */
typedef struct PeSource {
        int fd;
        const void *data;
        uint64_t offset;
        uint64_t size;
} PeSource;

/* A section to add. The content is the concatenation of its sources. */
typedef struct PeNewSection {
        char name[PE_SECTION_NAME_MAX + 1];
        uint32_t characteristics;
        uint64_t min_virtual_size;
        const PeSource *sources;
        size_t n_sources;
} PeNewSection;

/* One entry of the output's section table. */
typedef struct PeLayoutSection {
        char name[PE_SECTION_NAME_MAX + 1];
        uint32_t virtual_address;
        uint32_t virtual_size;
        uint32_t raw_offset;
        uint32_t raw_size;              /* content + zero padding to FileAlignment */
        uint32_t characteristics;
        uint64_t content_size;          /* bytes passed to section_data() */
        bool from_stub;
        size_t source_index;            /* index into stub->sections or the new sections */
        bool replaced;                  /* stub section whose data is new section new_index */
        size_t new_index;
} PeLayoutSection;

typedef enum PeStubSbat {
        PE_STUB_SBAT_NONE,              /* stub has no .sbat, or no new .sbat given */
        PE_STUB_SBAT_DROPPED,
        PE_STUB_SBAT_RENAMED_TO,        /* renamed to PE_STUB_SBAT_RENAMED */
        PE_STUB_SBAT_REPLACED,          /* holds the new .sbat's content */
} PeStubSbat;

typedef struct PeLayoutOptions {
        bool set_timestamp;             /* else the stub's TimeDateStamp is kept */
        uint32_t timestamp;
        uint16_t clear_dll_characteristics;
} PeLayoutOptions;

typedef struct PeLayout {
        int stub_fd;                    /* not owned */
        const PeImage *stub;            /* not owned */
        const PeNewSection *new_sections; /* not owned */
        size_t n_new;

        uint8_t *headers;               /* size_of_headers bytes, final */
        uint32_t size_of_headers;
        uint32_t size_of_image;
        uint32_t file_alignment, section_alignment;
        uint64_t file_size;

        PeLayoutSection *sections;      /* output section table order: stub's, then new (without
                                         * a new .sbat that replaced the stub's) */
        size_t n_sections;

        uint32_t header_growth;         /* bytes the stub's section data moved */
        bool stripped_symtab;
        PeStubSbat stub_sbat;

        /* File offsets of fields Authenticode skips (as in PeImage). */
        uint32_t checksum_offset;
        uint32_t security_dir_offset;
} PeLayout;

int pe_layout(int stub_fd, const PeImage *stub, const PeNewSection *sections, size_t n_sections,
              const PeLayoutOptions *opts, PeLayout **ret, UkitError *err);
void pe_layout_free(PeLayout *l);
static inline void pe_layout_freep(PeLayout **l) {
        if (*l)
                pe_layout_free(*l);
}
#define _cleanup_pe_layout_ _cleanup_(pe_layout_freep)

/* Index of the output section called name, or -1. */
ssize_t pe_layout_find(const PeLayout *l, const char *name);

/* Observers. All callbacks are optional; a negative return aborts pe_write()
 * with that value. Buffers are only valid during the call, except that the
 * headers, memory sources and zero padding stay valid until the layout and
 * its sources are freed, and buffers from read_buffer() are the observer's.
 *   data:          every byte of the output exactly once, in file order,
 *                  with its file offset (headers, section data, padding).
 *   section_data:  the content bytes of output section `index`
 *                  (l->sections[index]; content_size bytes in total, in
 *                  order, without FileAlignment padding; for stub sections
 *                  min(VirtualSize, SizeOfRawData) bytes). A hasher that wants
 *                  VirtualSize bytes appends virtual_size - content_size zeros.
 *   section_end:   after the last section_data() call of a section (also for
 *                  sections with no content). */
typedef struct PeWriteObserver {
        int (*data)(void *userdata, const void *buf, size_t n, uint64_t file_offset);
        int (*section_data)(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n);
        int (*section_end)(void *userdata, size_t index, const PeLayoutSection *s);
        void *userdata;
        /* Optional, on one observer at most: n (<= PE_WRITE_BUFFER_SIZE)
         * bytes for pe_write() to read source bytes into, then pass to
         * data() and section_data(), and not touch again (the observer
         * recycles it when every consumer is done with it: no copy); NULL
         * for pe_write()'s own buffer. */
        void *(*read_buffer)(void *userdata, size_t n);
} PeWriteObserver;

/* Write the image to out_fd at offset 0 (the file should be empty; it is not
 * truncated). -EIO if a source turned out shorter than announced. */
int pe_write(const PeLayout *l, int out_fd, const PeWriteObserver *const *observers, size_t n_observers);
