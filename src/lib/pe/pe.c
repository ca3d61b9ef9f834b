/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PE/COFF header parser. Nothing in the file is trusted: every offset and
 * size is checked against the file size and the named limits in pe.h before
 * it is used, with overflow-checked arithmetic. The checks follow the
 * Microsoft "PE Format" specification; where real-world EFI images (Linux's
 * EFI stub, systemd-stub) are looser than the spec, the looser reading is
 * accepted and the reason is noted. */

#include <inttypes.h>

#include "error.h"
#include "fileio.h"
#include "pe.h"
#include "util.h"

/* Every function that fails has `UkitError *err` in scope. */
#define fail(r, ...) ukit_error(err, r, __VA_ARGS__)
#define fail_item(r, item, ...) ukit_error_item(err, r, item, __VA_ARGS__)

/* Where the bytes come from: a file descriptor or a memory buffer. */
typedef struct PeReader {
        int fd;
        const uint8_t *data;
        uint64_t size;
} PeReader;

static int reader_read(const PeReader *r, uint64_t off, void *buf, size_t n) {
        uint64_t end;
        if (!ADD_OK(off, (uint64_t) n, &end) || end > r->size)
                return -EIO;
        if (r->data) {
                memcpy(buf, r->data + off, n);
                return 0;
        }
        return pread_full(r->fd, buf, n, off);
}

/* Whether [off, off+len) lies within [0, limit). */
static bool range_ok(uint64_t off, uint64_t len, uint64_t limit) {
        uint64_t end;
        return ADD_OK(off, len, &end) && end <= limit;
}

const char *pe_machine_name(uint16_t machine) {
        switch (machine) {
        case PE_MACHINE_AMD64:   return "x86-64";
        case PE_MACHINE_ARM64:   return "aarch64";
        case PE_MACHINE_I386:    return "x86";
        case PE_MACHINE_RISCV64: return "riscv64";
        default:                 return NULL;
        }
}

uint64_t pe_section_vend(const PeSection *s) {
        uint64_t sz = pe_section_size(s);
        return (uint64_t) s->virtual_address + (sz ? sz : 1);
}

uint32_t pe_section_file_size(const PeSection *s) {
        return MIN(pe_section_size(s), s->raw_size);
}

const PeSection *pe_find_section(const PeImage *img, const char *name) {
        for (size_t i = 0; i < img->n_sections; i++)
                if (streq(img->sections[i].name, name))
                        return &img->sections[i];
        return NULL;
}

void pe_image_free(PeImage *img) {
        if (!img)
                return;
        free(img->sections);
        free(img);
}

static int cmp_u64_pair(const void *a, const void *b) {
        const uint64_t *x = a, *y = b;
        if (x[0] != y[0])
                return x[0] < y[0] ? -1 : 1;
        return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Refuse sections that overlap each other in memory or (for raw data) in the
 * file. Overlap in memory means two sections claim the same addresses, which
 * a loader resolves by letting the later copy win: never a valid image. */
static int check_overlaps(PeImage *img, UkitError *err) {
        _cleanup_free_ uint64_t *v = NULL;
        size_t n = img->n_sections, k = 0;

        v = calloc(n ? n * 2 : 1, sizeof(uint64_t) * 2);
        if (!v)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                v[2 * i] = img->sections[i].virtual_address;
                v[2 * i + 1] = pe_section_vend(&img->sections[i]);
        }
        qsort(v, n, sizeof(uint64_t) * 2, cmp_u64_pair);
        for (size_t i = 1; i < n; i++)
                if (v[2 * i] < v[2 * (i - 1) + 1])
                        return fail(-EBADMSG, "sections overlap in memory (at RVA 0x%" PRIx64 ")", v[2 * i]);

        for (size_t i = 0; i < n; i++) {
                const PeSection *s = &img->sections[i];
                if (s->raw_size == 0)
                        continue;
                v[2 * k] = s->raw_offset;
                v[2 * k + 1] = (uint64_t) s->raw_offset + s->raw_size;
                k++;
        }
        qsort(v, k, sizeof(uint64_t) * 2, cmp_u64_pair);
        for (size_t i = 1; i < k; i++)
                if (v[2 * i] < v[2 * (i - 1) + 1])
                        return fail(-EBADMSG, "section data overlaps in the file (at offset 0x%" PRIx64 ")", v[2 * i]);
        return 0;
}

static int parse_sections(PeImage *img, const uint8_t *table, UkitError *err) {
        img->sections = calloc(img->n_sections ? img->n_sections : 1, sizeof(PeSection));
        if (!img->sections)
                return -ENOMEM;

        img->first_raw_offset = UINT32_MAX;
        img->raw_end = 0;
        for (size_t i = 0; i < img->n_sections; i++) {
                const uint8_t *h = table + i * sizeof(PeSectionHeader);
                PeSection *s = &img->sections[i];
                uint64_t end;

                memcpy(s->name, h, PE_SECTION_NAME_MAX);
                s->name[PE_SECTION_NAME_MAX] = 0;
                s->virtual_size = le32_read(h + offsetof(PeSectionHeader, VirtualSize));
                s->virtual_address = le32_read(h + offsetof(PeSectionHeader, VirtualAddress));
                s->raw_size = le32_read(h + offsetof(PeSectionHeader, SizeOfRawData));
                s->raw_offset = le32_read(h + offsetof(PeSectionHeader, PointerToRawData));
                s->characteristics = le32_read(h + offsetof(PeSectionHeader, Characteristics));
                s->header_offset = img->section_table_offset + (uint32_t) (i * sizeof(PeSectionHeader));

                /* Printable names only: they end up in error messages and JSON. */
                for (size_t j = 0; s->name[j]; j++)
                        if ((unsigned char) s->name[j] < 0x20 || (unsigned char) s->name[j] >= 0x7f)
                                return fail(-EBADMSG, "section %zu has a non-printable name", i);

                if (!ADD_OK((uint64_t) s->virtual_address, (uint64_t) pe_section_size(s), &end) || end > UINT32_MAX)
                        return fail_item(-EBADMSG, s->name, "section %s: address range overflows", s->name);
                if (end > img->size_of_image)
                        return fail_item(-EBADMSG, s->name, "section %s extends beyond SizeOfImage", s->name);
                if (s->virtual_address < img->size_of_headers)
                        return fail_item(-EBADMSG, s->name, "section %s overlaps the headers in memory", s->name);

                if (s->raw_size == 0)
                        continue;
                if (!range_ok(s->raw_offset, s->raw_size, img->file_size))
                        return fail_item(-EBADMSG, s->name, "section %s extends beyond end of file", s->name);
                if (s->raw_offset < img->section_table_end)
                        return fail_item(-EBADMSG, s->name, "section %s data overlaps the headers", s->name);
                img->first_raw_offset = MIN(img->first_raw_offset, s->raw_offset);
                img->raw_end = MAX(img->raw_end, (uint64_t) s->raw_offset + s->raw_size);
        }
        if (img->first_raw_offset == UINT32_MAX)
                img->first_raw_offset = (uint32_t) MIN(img->file_size, (uint64_t) UINT32_MAX);

        return check_overlaps(img, err);
}

static int parse_symtab(PeImage *img, const PeReader *r, UkitError *err) {
        uint64_t size, strtab;
        uint8_t b[4];

        img->symtab_size = 0;
        if (img->symtab_offset == 0)
                return 0;
        if (!MUL_OK((uint64_t) img->n_symbols, (uint64_t) PE_COFF_SYMBOL_SIZE, &size) ||
            !ADD_OK((uint64_t) img->symtab_offset, size, &strtab) || strtab > img->file_size)
                return fail(-EBADMSG, "COFF symbol table extends beyond end of file");
        /* The string table (u32 size including itself) follows the symbols;
         * linkers omit it when empty, so a missing one is not an error. */
        if (range_ok(strtab, 4, img->file_size) && reader_read(r, strtab, b, 4) >= 0) {
                uint32_t n = le32_read(b);
                if (n >= 4 && range_ok(strtab, n, img->file_size))
                        size += n;
        }
        img->symtab_size = size;
        return 0;
}

/* Read the PE32+ optional header at file offset opt (o points at it): the
 * fields, the alignment and SizeOfHeaders checks, and the data directories
 * (the certificate table is range-checked against the file). */
static int parse_optional_header64(PeImage *img, const uint8_t *o, uint64_t opt, uint16_t opt_size,
                                   uint64_t table_end, const PeReader *r, UkitError *err) {
        uint32_t n_rva;

        img->size_of_code = le32_read(o + offsetof(PeOptionalHeader64, SizeOfCode));
        img->size_of_initialized_data = le32_read(o + offsetof(PeOptionalHeader64, SizeOfInitializedData));
        img->entry_point = le32_read(o + offsetof(PeOptionalHeader64, AddressOfEntryPoint));
        img->image_base = le64_read(o + offsetof(PeOptionalHeader64, ImageBase));
        img->section_alignment = le32_read(o + offsetof(PeOptionalHeader64, SectionAlignment));
        img->file_alignment = le32_read(o + offsetof(PeOptionalHeader64, FileAlignment));
        img->size_of_image = le32_read(o + offsetof(PeOptionalHeader64, SizeOfImage));
        img->size_of_headers = le32_read(o + offsetof(PeOptionalHeader64, SizeOfHeaders));
        img->checksum = le32_read(o + offsetof(PeOptionalHeader64, CheckSum));
        img->subsystem = le16_read(o + offsetof(PeOptionalHeader64, Subsystem));
        img->dll_characteristics = le16_read(o + offsetof(PeOptionalHeader64, DllCharacteristics));
        n_rva = le32_read(o + offsetof(PeOptionalHeader64, NumberOfRvaAndSizes));
        img->checksum_offset = (uint32_t) opt + PE_OPT_OFFSET_CHECKSUM;

        /* The spec wants FileAlignment 512..64K; x86 Linux kernels use 32, so
         * any power of two up to 64K is accepted. SectionAlignment must not
         * be smaller (a section's file padding would otherwise overlap the
         * next section in memory). */
        if (!is_power_of_two_u64(img->file_alignment) || img->file_alignment > 0x10000)
                return fail(-EBADMSG, "invalid FileAlignment 0x%" PRIx32, img->file_alignment);
        if (!is_power_of_two_u64(img->section_alignment) || img->section_alignment < img->file_alignment)
                return fail(-EBADMSG, "invalid SectionAlignment 0x%" PRIx32, img->section_alignment);
        if (img->size_of_headers > r->size)
                return fail(-EBADMSG, "file truncated: SizeOfHeaders 0x%" PRIx32 " is beyond the end of the file",
                            img->size_of_headers);
        if (img->size_of_headers < table_end)
                return fail(-EBADMSG, "SizeOfHeaders 0x%" PRIx32 " is smaller than the headers", img->size_of_headers);

        if (n_rva > PE_DIR_MAX)
                return fail(-EBADMSG, "NumberOfRvaAndSizes %" PRIu32 " is larger than %u", n_rva, PE_DIR_MAX);
        if (PE_OPT64_OFFSET_DATA_DIRS + (uint64_t) n_rva * sizeof(PeDataDirectory) > opt_size)
                return fail(-EBADMSG, "data directories do not fit in the optional header");
        img->n_data_dirs = n_rva;
        for (uint32_t i = 0; i < n_rva; i++) {
                const uint8_t *d = o + PE_OPT64_OFFSET_DATA_DIRS + i * sizeof(PeDataDirectory);
                img->data_dirs[i].VirtualAddress = le32_read(d);
                img->data_dirs[i].Size = le32_read(d + 4);
        }
        img->has_security_dir = n_rva > PE_DIR_SECURITY;
        if (img->has_security_dir) {
                img->security_dir_offset = (uint32_t) opt + PE_OPT64_OFFSET_DATA_DIRS +
                                           PE_DIR_SECURITY * sizeof(PeDataDirectory);
                /* The certificate table's "VirtualAddress" is a file offset. */
                const PeDataDirectory *sec = &img->data_dirs[PE_DIR_SECURITY];
                if (sec->Size > 0) {
                        if (!range_ok(sec->VirtualAddress, sec->Size, r->size) || sec->VirtualAddress < table_end)
                                return fail(-EBADMSG, "certificate table out of range");
                        if (sec->Size < sizeof(WinCertificateHeader))
                                return fail(-EBADMSG, "certificate table too small");
                        img->cert_table_offset = sec->VirtualAddress;
                        img->cert_table_size = sec->Size;
                }
        }
        return 0;
}

/* Parse the headers; hdr holds the first hlen bytes of the file (hlen may be
 * shorter than the headers claim, in which case this fails cleanly), and
 * *ret_need is set to the number of header bytes needed when more are. */
static int parse_headers(const uint8_t *hdr, size_t hlen, const PeReader *r, size_t *ret_need, PeImage **ret,
                         UkitError *err) {
        _cleanup_(pe_image_freep) PeImage *img = NULL;
        uint64_t coff, opt, table, table_end;
        uint16_t opt_size, magic;

        *ret_need = 0;

        if (r->size < sizeof(PeDosHeader))
                return fail(-EBADMSG, "file too short for a DOS header (%" PRIu64 " bytes)", r->size);
        if (hlen < sizeof(PeDosHeader)) {
                *ret_need = sizeof(PeDosHeader);
                return -EAGAIN;
        }
        if (le16_read(hdr) != PE_DOS_MAGIC)
                return fail(-EBADMSG, "not a PE image (no MZ signature)");

        img = calloc(1, sizeof(*img));
        if (!img)
                return -ENOMEM;
        img->file_size = r->size;
        img->pe_offset = le32_read(hdr + offsetof(PeDosHeader, e_lfanew));

        /* Signature + COFF header must be inside the file and inside the limit. */
        coff = (uint64_t) img->pe_offset + 4;
        if (img->pe_offset < sizeof(PeDosHeader) || img->pe_offset > PE_HEADER_OFFSET_MAX ||
            !range_ok(img->pe_offset, 4 + sizeof(PeCoffHeader), r->size) || coff + sizeof(PeCoffHeader) > PE_HEADERS_MAX)
                return fail(-EBADMSG, "PE header offset (e_lfanew 0x%" PRIx32 ") out of range", img->pe_offset);
        if (hlen < coff + sizeof(PeCoffHeader)) {
                *ret_need = coff + sizeof(PeCoffHeader);
                return -EAGAIN;
        }
        if (le32_read(hdr + img->pe_offset) != PE_NT_MAGIC)
                return fail(-EBADMSG, "no PE signature at offset 0x%" PRIx32, img->pe_offset);

        img->machine = le16_read(hdr + coff + offsetof(PeCoffHeader, Machine));
        img->n_sections = le16_read(hdr + coff + offsetof(PeCoffHeader, NumberOfSections));
        img->symtab_offset = le32_read(hdr + coff + offsetof(PeCoffHeader, PointerToSymbolTable));
        img->n_symbols = le32_read(hdr + coff + offsetof(PeCoffHeader, NumberOfSymbols));
        opt_size = le16_read(hdr + coff + offsetof(PeCoffHeader, SizeOfOptionalHeader));
        img->characteristics = le16_read(hdr + coff + offsetof(PeCoffHeader, Characteristics));

        if (img->n_sections == 0)
                return fail(-EBADMSG, "image has no sections");
        if (img->n_sections > PE_SECTIONS_MAX)
                return fail(-EBADMSG, "too many sections (%u, at most %u)", img->n_sections, PE_SECTIONS_MAX);

        opt = coff + sizeof(PeCoffHeader);
        img->opt_header_offset = (uint32_t) opt;
        img->opt_header_size = opt_size;
        if (opt_size < 2)
                return fail(-EBADMSG, "optional header too small (%u bytes)", opt_size);

        table = opt + opt_size;
        table_end = table + (uint64_t) img->n_sections * sizeof(PeSectionHeader);
        if (table_end > r->size)
                return fail(-EBADMSG, "section table extends beyond end of file");
        if (table_end > PE_HEADERS_MAX)
                return fail(-EFBIG, "headers larger than %u bytes", PE_HEADERS_MAX);
        if (hlen < table_end) {
                *ret_need = (size_t) table_end;
                return -EAGAIN;
        }
        img->section_table_offset = (uint32_t) table;
        img->section_table_end = (uint32_t) table_end;

        magic = le16_read(hdr + opt);
        if (magic == PE_OPT_MAGIC_PE32)
                return fail(-EOPNOTSUPP, "PE32 images are not supported (only PE32+)");
        if (magic != PE_OPT_MAGIC_PE32PLUS)
                return fail(-EBADMSG, "unknown optional header magic 0x%04x", magic);
        if (opt_size < PE_OPT64_OFFSET_DATA_DIRS)
                return fail(-EBADMSG, "optional header too small for PE32+ (%u bytes)", opt_size);
        if (img->machine != PE_MACHINE_AMD64 && img->machine != PE_MACHINE_ARM64 && img->machine != PE_MACHINE_RISCV64)
                return fail(-EOPNOTSUPP, "unsupported machine type 0x%04x", img->machine);

        int k = parse_optional_header64(img, hdr + opt, opt, opt_size, table_end, r, err);
        if (k < 0)
                return k;

        if (img->size_of_image < img->size_of_headers)
                return fail(-EBADMSG, "SizeOfImage smaller than SizeOfHeaders");

        k = parse_sections(img, hdr + table, err);
        if (k < 0)
                return k;
        k = parse_symtab(img, r, err);
        if (k < 0)
                return k;

        *ret = TAKE_PTR(img);
        return 0;
}

int pe_parse_buffer(const void *data, size_t size, PeImage **ret, UkitError *err) {
        PeReader r = { .fd = -1, .data = data, .size = size };
        size_t need;
        int k;

        if (!data && size > 0)
                return -EINVAL;
        k = parse_headers(data, size, &r, &need, ret, err);
        if (k == -EAGAIN) /* cannot happen with the whole file at hand */
                return fail(-EBADMSG, "truncated headers");
        return k;
}

int pe_parse_fd(int fd, PeImage **ret, UkitError *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        PeReader r = { .fd = fd };
        size_t have = 0;
        int k;

        k = fd_get_size(fd, &r.size);
        if (k < 0)
                return k;

        /* Read a first chunk that holds typical headers, then exactly what
         * the headers say they need (bounded by PE_HEADERS_MAX via parse). */
        size_t want = (size_t) MIN(r.size, (uint64_t) 4096);
        for (;;) {
                uint8_t *p = realloc(buf, want ? want : 1);
                if (!p)
                        return -ENOMEM;
                buf = p;
                if (want > have) {
                        k = pread_full(fd, buf + have, want - have, have);
                        if (k < 0)
                                return k;
                        have = want;
                }
                size_t need;
                k = parse_headers(buf, have, &r, &need, ret, err);
                if (k != -EAGAIN)
                        return k;
                if (need <= have || need > r.size || need > PE_HEADERS_MAX)
                        return fail(-EBADMSG, "truncated headers");
                want = need;
        }
}

int pe_read_section(int fd, const PeImage *img, const PeSection *s, size_t max, void **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *buf = NULL;
        uint32_t size = pe_section_size(s), in_file = pe_section_file_size(s);
        int k;

        if (size > max)
                return -EFBIG;
        if (in_file > 0 && !range_ok(s->raw_offset, in_file, img->file_size))
                return -EBADMSG;
        buf = calloc((size_t) size + 1, 1);
        if (!buf)
                return -ENOMEM;
        if (in_file > 0) {
                k = pread_full(fd, buf, in_file, s->raw_offset);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}
