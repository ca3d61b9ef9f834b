/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layout and streaming writer for "stub + new sections" PE images. The rules
 * are documented in pe-write.h. */

#include <inttypes.h>

#include "fileio.h"
#include "pe-write.h"
#include "uki.h"
#include "util.h"

#define PE_FILE_LOCAL_SYMS_STRIPPED 0x0008u

void pe_layout_free(PeLayout *l) {
        if (!l)
                return;
        free(l->headers);
        free(l->sections);
        free(l);
}

ssize_t pe_layout_find(const PeLayout *l, const char *name) {
        for (size_t i = 0; i < l->n_sections; i++)
                if (streq(l->sections[i].name, name))
                        return (ssize_t) i;
        return -1;
}

static bool align_u32(uint64_t v, uint32_t a, uint32_t *ret) {
        uint64_t r;
        if (!align_up_u64(v, a, &r) || r > UINT32_MAX)
                return false;
        *ret = (uint32_t) r;
        return true;
}

static int cmp_by_old_raw(const void *a, const void *b, void *userdata) {
        const PeImage *stub = userdata;
        const PeSection *x = &stub->sections[*(const size_t *) a], *y = &stub->sections[*(const size_t *) b];
        if (x->raw_offset != y->raw_offset)
                return x->raw_offset < y->raw_offset ? -1 : 1;
        return 0;
}

static bool valid_section_name(const char *name) {
        size_t n = strlen(name);
        if (n == 0 || n > PE_SECTION_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) name[i] <= 0x20 || (unsigned char) name[i] >= 0x7f)
                        return false;
        return true;
}

static int content_size(const PeNewSection *s, uint64_t *ret, UkitError *err) {
        uint64_t total = 0;
        if (s->n_sources > PE_WRITE_SOURCES_MAX)
                return ukit_error_item(err, -EFBIG, s->name, "section %s has too many parts", s->name);
        for (size_t i = 0; i < s->n_sources; i++)
                if (!ADD_OK(total, s->sources[i].size, &total))
                        return ukit_error_item(err, -EFBIG, s->name, "section %s is too large", s->name);
        *ret = total;
        return 0;
}

/* Whether stub section i is the last one both in memory and in the file. */
static bool stub_section_is_last(const PeImage *stub, size_t i) {
        const PeSection *s = &stub->sections[i];
        for (size_t j = 0; j < stub->n_sections; j++) {
                const PeSection *o = &stub->sections[j];
                if (j == i)
                        continue;
                if (o->virtual_address > s->virtual_address)
                        return false;
                if (o->raw_size > 0 && s->raw_size > 0 && o->raw_offset > s->raw_offset)
                        return false;
        }
        return true;
}

/* Whether n bytes fit into stub section i's file data (its SizeOfRawData
 * rounded up to FileAlignment, as ukify checks) without reaching the next
 * section in memory. */
static bool stub_section_fits(const PeImage *stub, size_t i, uint64_t n) {
        const PeSection *s = &stub->sections[i];
        uint64_t raw;
        if (s->raw_size == 0 || !align_up_u64(s->raw_size, stub->file_alignment, &raw) || n > raw)
                return false;
        for (size_t j = 0; j < stub->n_sections; j++) {
                const PeSection *o = &stub->sections[j];
                if (j != i && o->virtual_address > s->virtual_address &&
                    (uint64_t) s->virtual_address + n > o->virtual_address)
                        return false;
        }
        return true;
}

/* pe_layout(), phase 1: new section names are valid, unique among the new
 * ones (but for .dtbauto, of which ukify 257 adds one per
 * --devicetree-auto; and as ukify 257, a .profile starts a multi-profile
 * UKI's next profile, whose names need only be unique from that .profile
 * on), and do not clash with the stub; *ret_new_sbat is the index of the new
 * .sbat, or -1. */
static int check_new_names(const PeImage *stub, const PeNewSection *news, size_t n_new, ssize_t *ret_new_sbat,
                           UkitError *err) {
        ssize_t new_sbat = -1;
        size_t profile_start = 0;

        for (size_t i = 0; i < n_new; i++) {
                if (!valid_section_name(news[i].name))
                        return ukit_error_item(err, -EINVAL, news[i].name,
                                               "invalid section name \"%s\" (1..8 printable characters)", news[i].name);
                if (streq(news[i].name, UKI_NAME_PROFILE))
                        profile_start = i;
                for (size_t j = profile_start; j < i; j++)
                        if (streq(news[i].name, news[j].name) && !streq(news[i].name, UKI_NAME_DTBAUTO))
                                return ukit_error_item(err, -EEXIST, news[i].name, "duplicate section %s", news[i].name);
                if (streq(news[i].name, UKI_NAME_SBAT)) {
                        new_sbat = (ssize_t) i;
                        continue;
                }
                if (pe_find_section(stub, news[i].name))
                        return ukit_error_item(err, -EEXIST, news[i].name, "section %s already exists in the stub",
                                               news[i].name);
        }
        *ret_new_sbat = new_sbat;
        return 0;
}

/* Phase 2: what becomes of the stub's own .sbat (index stub_sbat) when a new
 * one (new_sbat) is added: replaced in place, dropped, or renamed. */
static int plan_stub_sbat(PeLayout *l, const PeImage *stub, const PeNewSection *news, ssize_t new_sbat,
                          ssize_t stub_sbat, UkitError *err) {
        int r;

        if (stub_sbat >= 0) {
                uint64_t size;
                r = content_size(&news[new_sbat], &size, err);
                if (r < 0)
                        return r;
                if (stub_section_fits(stub, (size_t) stub_sbat, size))
                        l->stub_sbat = PE_STUB_SBAT_REPLACED;
                else
                        l->stub_sbat = stub_section_is_last(stub, (size_t) stub_sbat) ? PE_STUB_SBAT_DROPPED
                                                                                       : PE_STUB_SBAT_RENAMED_TO;
        }
        if (l->stub_sbat == PE_STUB_SBAT_RENAMED_TO && pe_find_section(stub, PE_STUB_SBAT_RENAMED))
                return ukit_error(err, -EEXIST, "stub's .sbat cannot be renamed: it already has a section %s",
                                    PE_STUB_SBAT_RENAMED);
        return 0;
}

/* Phase 3: the stub sections that stay, in header order, into l->sections;
 * their stub indexes go to order, their count to *ret_n_kept, the end of
 * the highest one in memory to *ret_vend. */
static int keep_stub_sections(PeLayout *l, const PeImage *stub, const PeNewSection *news, ssize_t new_sbat,
                              ssize_t stub_sbat, size_t *order, size_t *ret_n_kept, uint64_t *ret_vend,
                              UkitError *err) {
        uint64_t vend = 0;
        size_t n_kept = 0;
        int r;

        for (size_t i = 0; i < stub->n_sections; i++) {
                const PeSection *s = &stub->sections[i];
                if ((ssize_t) i == stub_sbat && l->stub_sbat == PE_STUB_SBAT_DROPPED)
                        continue;
                PeLayoutSection *o = &l->sections[n_kept];
                memcpy(o->name, s->name, sizeof(o->name));
                if ((ssize_t) i == stub_sbat && l->stub_sbat == PE_STUB_SBAT_RENAMED_TO)
                        strcpy(o->name, PE_STUB_SBAT_RENAMED);
                o->virtual_address = s->virtual_address;
                /* VirtualSize 0 means "SizeOfRawData" to loaders; the raw size
                 * may be rounded up below, so pin the size it had. */
                o->virtual_size = pe_section_size(s);
                o->characteristics = s->characteristics;
                o->content_size = s->raw_size > 0 ? pe_section_file_size(s) : 0;
                o->from_stub = true;
                o->source_index = i;
                vend = MAX(vend, pe_section_vend(s));
                if ((ssize_t) i == stub_sbat && l->stub_sbat == PE_STUB_SBAT_REPLACED) {
                        /* as ukify 257: the merged text goes into the stub's
                         * own .sbat, zero-padded; VirtualSize = its length */
                        r = content_size(&news[new_sbat], &o->content_size, err);
                        if (r < 0)
                                return r;
                        o->virtual_size = (uint32_t) o->content_size;
                        o->replaced = true;
                        o->new_index = (size_t) new_sbat;
                }
                order[n_kept++] = i;
        }
        *ret_n_kept = n_kept;
        *ret_vend = vend;
        return 0;
}

/* Phase 4, the header area: the section table must fit below the first
 * section's data; otherwise move all section data up by a multiple of
 * FileAlignment (l->header_growth). Section addresses never move. Returns
 * the aligned end of the table in *ret_need, the lowest section address in
 * *ret_min_va. */
static int plan_header_area(PeLayout *l, const PeImage *stub, const size_t *order, size_t n_kept, size_t n_new,
                            uint32_t *ret_need, uint32_t *ret_min_va, UkitError *err) {
        const uint32_t fa = stub->file_alignment;
        uint64_t table_end = (uint64_t) stub->section_table_offset + l->n_sections * sizeof(PeSectionHeader);
        uint32_t need, first_raw = UINT32_MAX, min_va = UINT32_MAX, delta = 0;
        if (!align_u32(table_end, fa, &need))
                return ukit_error(err, -EFBIG, "headers too large");
        for (size_t k = 0; k < n_kept; k++) {
                const PeSection *s = &stub->sections[order[k]];
                min_va = MIN(min_va, s->virtual_address);
                if (s->raw_size > 0)
                        first_raw = MIN(first_raw, s->raw_offset);
        }
        if (first_raw != UINT32_MAX && need > first_raw &&
            !align_u32(need - first_raw, fa, &delta))
                return ukit_error(err, -EFBIG, "headers too large");
        /* The loader maps SizeOfHeaders bytes at the image base: they must end
         * below the first section in memory. */
        if (need > min_va)
                return ukit_error(err, -ENOSPC, "no room for %zu more section headers below the stub's first section "
                                    "(headers would need 0x%" PRIx32 " bytes, first section at 0x%" PRIx32 ")",
                                    n_new, need, min_va);
        if (delta > 0 && stub->n_data_dirs > PE_DIR_DEBUG && stub->data_dirs[PE_DIR_DEBUG].Size > 0)
                return ukit_error(err, -ENOSPC, "stub headers have no room for %zu more section headers, and the "
                                    "stub's debug directory (which holds file offsets) prevents moving its data",
                                    n_new);
        l->header_growth = delta;
        *ret_need = need;
        *ret_min_va = min_va;
        return 0;
}

/* Phase 5: stub section data, in file order (order is sorted so), moved by
 * l->header_growth and aligned, from need on. The file end goes to
 * *ret_cursor, the lowest data offset to *ret_lowest_raw. */
static int place_stub_data(PeLayout *l, const PeImage *stub, size_t *order, size_t n_kept, uint32_t need,
                           uint64_t *ret_cursor, uint32_t *ret_lowest_raw, UkitError *err) {
        const uint32_t fa = stub->file_alignment, delta = l->header_growth;
        uint64_t cursor = need;
        uint32_t lowest_new_raw = UINT32_MAX;

        qsort_r(order, n_kept, sizeof(size_t), cmp_by_old_raw, (void *) stub);
        for (size_t k = 0; k < n_kept; k++) {
                size_t i = order[k];
                const PeSection *s = &stub->sections[i];
                PeLayoutSection *o = NULL;
                for (size_t m = 0; m < n_kept; m++)
                        if (l->sections[m].source_index == i)
                                o = &l->sections[m];
                if (s->raw_size == 0)
                        continue;
                uint32_t off, size;
                if (!align_u32(MAX(cursor, (uint64_t) s->raw_offset + delta), fa, &off) ||
                    !align_u32(s->raw_size, fa, &size) || !ADD_OK((uint64_t) off, (uint64_t) size, &cursor) ||
                    cursor > UINT32_MAX)
                        return ukit_error(err, -EFBIG, "image larger than 4 GiB");
                o->raw_offset = off;
                o->raw_size = size;
                lowest_new_raw = MIN(lowest_new_raw, off);
        }
        *ret_cursor = cursor;
        *ret_lowest_raw = lowest_new_raw;
        return 0;
}

/* Phase 6: the new sections after everything, in memory (from address va)
 * and in the file (from *cursor), into l->sections from index n_out; sets
 * l->size_of_image and l->file_size. As ukify, every new section counts as
 * initialized data (.linux too): *data grows by each one's VirtualSize. */
static int place_new_sections(PeLayout *l, const PeNewSection *news, size_t n_new, ssize_t new_sbat, size_t n_out,
                              uint32_t va, uint64_t *cursor, uint64_t *data, UkitError *err) {
        const uint32_t fa = l->file_alignment, sa = l->section_alignment;
        int r;

        for (size_t j = 0; j < n_new; j++) {
                PeLayoutSection *o;
                uint64_t size = 0, vsize, vnext;
                uint32_t off = 0, raw = 0;

                if (l->stub_sbat == PE_STUB_SBAT_REPLACED && (ssize_t) j == new_sbat)
                        continue;
                o = &l->sections[n_out++];

                r = content_size(&news[j], &size, err);
                if (r < 0)
                        return r;
                vsize = MAX(size, news[j].min_virtual_size);
                if (size > UINT32_MAX || vsize > UINT32_MAX)
                        return ukit_error_item(err, -EFBIG, news[j].name, "section %s is larger than 4 GiB",
                                               news[j].name);
                if (size > 0) {
                        if (!align_u32(*cursor, fa, &off) || !align_u32(size, fa, &raw) ||
                            !ADD_OK((uint64_t) off, (uint64_t) raw, cursor) || *cursor > UINT32_MAX)
                                return ukit_error_item(err, -EFBIG, news[j].name,
                                                       "image would be larger than 4 GiB (at section %s)",
                                                       news[j].name);
                }
                if (!ADD_OK((uint64_t) va, MAX(vsize, (uint64_t) 1), &vnext))
                        return ukit_error_item(err, -EFBIG, news[j].name,
                                               "image would be larger than 4 GiB in memory (at section %s)",
                                               news[j].name);
                memcpy(o->name, news[j].name, sizeof(o->name));
                o->virtual_address = va;
                o->virtual_size = (uint32_t) vsize;
                o->raw_offset = off;
                o->raw_size = raw;
                o->characteristics = news[j].characteristics;
                o->content_size = size;
                o->from_stub = false;
                o->source_index = j;
                if (!align_u32(vnext, sa, &va))
                        return ukit_error(err, -EFBIG, "image would be larger than 4 GiB in memory");
                *data += vsize;
        }
        l->size_of_image = va;
        l->file_size = *cursor;
        return 0;
}

/* Phase 7, the header bytes: the stub's up to its section table, with the
 * COFF and optional header fields updated, then our section table. */
static int fill_headers(PeLayout *l, int stub_fd, const PeImage *stub, const PeLayoutOptions *opts, uint64_t data) {
        int r;

        l->headers = calloc(1, l->size_of_headers);
        if (!l->headers)
                return -ENOMEM;
        r = pread_full(stub_fd, l->headers, stub->section_table_offset, 0);
        if (r < 0)
                return r;
        uint8_t *coff = l->headers + stub->pe_offset + 4, *opt = l->headers + stub->opt_header_offset;
        le16_write(coff + offsetof(PeCoffHeader, NumberOfSections), (uint16_t) l->n_sections);
        if (opts && opts->set_timestamp)
                le32_write(coff + offsetof(PeCoffHeader, TimeDateStamp), opts->timestamp);
        if (stub->symtab_offset != 0 || stub->n_symbols != 0) {
                le32_write(coff + offsetof(PeCoffHeader, PointerToSymbolTable), 0);
                le32_write(coff + offsetof(PeCoffHeader, NumberOfSymbols), 0);
                le16_write(coff + offsetof(PeCoffHeader, Characteristics),
                           stub->characteristics | PE_FILE_LOCAL_SYMS_STRIPPED);
                l->stripped_symtab = true;
        }
        if (opts && opts->clear_dll_characteristics)
                le16_write(opt + offsetof(PeOptionalHeader64, DllCharacteristics),
                           stub->dll_characteristics & (uint16_t) ~opts->clear_dll_characteristics);
        le32_write(opt + offsetof(PeOptionalHeader64, SizeOfInitializedData), (uint32_t) data);
        le32_write(opt + offsetof(PeOptionalHeader64, SizeOfImage), l->size_of_image);
        le32_write(opt + offsetof(PeOptionalHeader64, SizeOfHeaders), l->size_of_headers);
        le32_write(opt + offsetof(PeOptionalHeader64, CheckSum), 0);

        uint8_t *table = l->headers + stub->section_table_offset;
        for (size_t i = 0; i < l->n_sections; i++) {
                const PeLayoutSection *o = &l->sections[i];
                uint8_t *h = table + i * sizeof(PeSectionHeader);
                if (o->from_stub) {
                        /* Keep the stub's header (relocation/line number fields) as is. */
                        r = pread_full(stub_fd, h, sizeof(PeSectionHeader), stub->sections[o->source_index].header_offset);
                        if (r < 0)
                                return r;
                }
                memset(h, 0, PE_SECTION_NAME_MAX);
                memcpy(h, o->name, strlen(o->name));
                le32_write(h + offsetof(PeSectionHeader, VirtualSize), o->virtual_size);
                le32_write(h + offsetof(PeSectionHeader, VirtualAddress), o->virtual_address);
                le32_write(h + offsetof(PeSectionHeader, SizeOfRawData), o->raw_size);
                le32_write(h + offsetof(PeSectionHeader, PointerToRawData), o->raw_offset);
                le32_write(h + offsetof(PeSectionHeader, Characteristics), o->characteristics);
        }
        return 0;
}

int pe_layout(int stub_fd, const PeImage *stub, const PeNewSection *news, size_t n_new,
              const PeLayoutOptions *opts, PeLayout **ret, UkitError *err) {
        _cleanup_pe_layout_ PeLayout *l = NULL;
        _cleanup_free_ size_t *order = NULL;
        const uint32_t fa = stub->file_alignment, sa = stub->section_alignment;
        ssize_t stub_sbat = -1, new_sbat = -1;
        size_t n_kept = 0;
        int r;

        if (pe_is_signed(stub))
                return ukit_error(err, -EPERM, "stub is signed; refusing to add sections to a signed image");
        if (stub->n_sections == 0)
                return ukit_error(err, -EBADMSG, "stub has no sections");

        r = check_new_names(stub, news, n_new, &new_sbat, err);
        if (r < 0)
                return r;
        if (new_sbat >= 0) {
                const PeSection *s = pe_find_section(stub, UKI_NAME_SBAT);
                if (s)
                        stub_sbat = s - stub->sections;
        }

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->stub_fd = stub_fd;
        l->stub = stub;
        l->new_sections = news;
        l->n_new = n_new;
        l->file_alignment = fa;
        l->section_alignment = sa;
        l->checksum_offset = stub->checksum_offset;
        l->security_dir_offset = stub->security_dir_offset;
        r = plan_stub_sbat(l, stub, news, new_sbat, stub_sbat, err);
        if (r < 0)
                return r;

        if (!ADD_OK((size_t) stub->n_sections, n_new, &l->n_sections) || l->n_sections > PE_SECTIONS_MAX + 1)
                return ukit_error(err, -EFBIG, "too many sections");
        l->sections = calloc(l->n_sections, sizeof(PeLayoutSection));
        order = calloc(stub->n_sections, sizeof(size_t));
        if (!l->sections || !order)
                return -ENOMEM;

        uint64_t vend = 0;
        r = keep_stub_sections(l, stub, news, new_sbat, stub_sbat, order, &n_kept, &vend, err);
        if (r < 0)
                return r;
        l->n_sections = n_kept + n_new - (l->stub_sbat == PE_STUB_SBAT_REPLACED);
        if (l->n_sections > PE_SECTIONS_MAX)
                return ukit_error(err, -EFBIG, "too many sections (%zu, at most %u)", l->n_sections, PE_SECTIONS_MAX);

        uint32_t need = 0, min_va = 0;
        r = plan_header_area(l, stub, order, n_kept, n_new, &need, &min_va, err);
        if (r < 0)
                return r;

        uint64_t cursor = 0;
        uint32_t lowest_new_raw = 0;
        r = place_stub_data(l, stub, order, n_kept, need, &cursor, &lowest_new_raw, err);
        if (r < 0)
                return r;

        /* SizeOfHeaders: keep the stub's (rounded up, as ukify) when it still
         * fits, else what the table needs. */
        uint32_t soh;
        if (!align_u32(stub->size_of_headers, fa, &soh) || soh < need || soh > lowest_new_raw || soh > min_va)
                soh = need;
        l->size_of_headers = soh;
        cursor = MAX(cursor, (uint64_t) soh);

        /* New sections after everything, in memory and in the file. When no
         * stub section was dropped, also stay above the stub's SizeOfImage:
         * the stub may rely on memory up to it. */
        uint32_t va;
        if (l->stub_sbat != PE_STUB_SBAT_DROPPED)
                vend = MAX(vend, (uint64_t) stub->size_of_image);
        /* never below the headers, even when no stub section is left */
        vend = MAX(vend, (uint64_t) soh);
        if (!align_u32(vend, sa, &va))
                return ukit_error(err, -EFBIG, "image larger than 4 GiB");
        /* SizeOfCode stays the stub's; the new sections add to the data. */
        uint64_t data = stub->size_of_initialized_data;
        r = place_new_sections(l, news, n_new, new_sbat, n_kept, va, &cursor, &data, err);
        if (r < 0)
                return r;
        if (data > UINT32_MAX)
                return ukit_error(err, -EFBIG, "image larger than 4 GiB");

        r = fill_headers(l, stub_fd, stub, opts, data);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(l);
        return 0;
}

/* The writer: one sequential pass, explicit offsets everywhere. */
typedef struct Writer {
        const PeLayout *l;
        int fd;
        uint64_t pos;
        uint8_t *buf;           /* for copies through user space, allocated on first use */
        size_t buf_size;
        const PeWriteObserver *const *obs;
        size_t n_obs;
        bool want_bytes;        /* some observer needs to see data */
        bool no_cfr;            /* copy_file_range unusable */
} Writer;

static const uint8_t zeros[64 * 1024];

/* copy_file_range() errors that mean "not here" rather than "failed". */
static bool cfr_unsupported(int e) {
        return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF || e == ETXTBSY;
}

static int emit(Writer *w, const void *p, size_t n, ssize_t section, const PeLayoutSection *s) {
        int r;
        for (size_t i = 0; i < w->n_obs; i++) {
                const PeWriteObserver *o = w->obs[i];
                if (o->data) {
                        r = o->data(o->userdata, p, n, w->pos);
                        if (r < 0)
                                return r;
                }
                if (section >= 0 && o->section_data) {
                        r = o->section_data(o->userdata, (size_t) section, s, p, n);
                        if (r < 0)
                                return r;
                }
        }
        r = pwrite_full(w->fd, p, n, w->pos);
        if (r < 0)
                return r;
        w->pos += n;
        return 0;
}

static int emit_zeros(Writer *w, uint64_t n, ssize_t section, const PeLayoutSection *s) {
        while (n > 0) {
                size_t k = (size_t) MIN(n, (uint64_t) sizeof(zeros));
                int r = emit(w, zeros, k, section, s);
                if (r < 0)
                        return r;
                n -= k;
        }
        return 0;
}

static int pad_to(Writer *w, uint64_t off) {
        if (off < w->pos)
                return -EINVAL; /* layout bug: would go backwards */
        return emit_zeros(w, off - w->pos, -1, NULL);
}

/* Copy n bytes of fd at off. Without observers that need the bytes, let the
 * kernel copy (copy_file_range: no user-space round trip, reflinks where the
 * file system can); otherwise go through the buffer. */
static int emit_fd(Writer *w, int fd, uint64_t off, uint64_t n, ssize_t section, const PeLayoutSection *s) {
        int r;

        while (n > 0 && !w->want_bytes && !w->no_cfr) {
                loff_t in = (loff_t) off, out = (loff_t) w->pos;
                ssize_t k = copy_file_range(fd, &in, w->fd, &out, (size_t) MIN(n, (uint64_t) 1 << 30), 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (cfr_unsupported(errno)) {
                                w->no_cfr = true;
                                break;
                        }
                        return -errno;
                }
                if (k == 0)
                        return -EIO; /* source shorter than announced */
                off += (uint64_t) k;
                n -= (uint64_t) k;
                w->pos += (uint64_t) k;
        }
        while (n > 0) {
                size_t k = (size_t) MIN(n, (uint64_t) PE_WRITE_BUFFER_SIZE);
                /* Sized to what is copied, up to PE_WRITE_BUFFER_SIZE: a small
                 * UKI (or one written with copy_file_range) never pays for
                 * the full buffer. */
                if (w->buf_size < k) {
                        uint8_t *b = realloc(w->buf, k);
                        if (!b)
                                return -ENOMEM;
                        w->buf = b;
                        w->buf_size = k;
                }
                r = pread_full(fd, w->buf, k, off);
                if (r < 0)
                        return r;
                r = emit(w, w->buf, k, section, s);
                if (r < 0)
                        return r;
                off += k;
                n -= k;
        }
        return 0;
}

static int emit_sources(Writer *w, const PeNewSection *ns, ssize_t idx, const PeLayoutSection *s) {
        for (size_t j = 0; j < ns->n_sources; j++) {
                const PeSource *src = &ns->sources[j];
                int r;
                if (src->fd >= 0)
                        r = emit_fd(w, src->fd, src->offset, src->size, idx, s);
                else if (src->data)
                        r = emit(w, src->data, src->size, idx, s);
                else
                        r = emit_zeros(w, src->size, idx, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int section_end(Writer *w, size_t index, const PeLayoutSection *s) {
        for (size_t i = 0; i < w->n_obs; i++)
                if (w->obs[i]->section_end) {
                        int r = w->obs[i]->section_end(w->obs[i]->userdata, index, s);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int cmp_by_raw(const void *a, const void *b, void *userdata) {
        const PeLayout *l = userdata;
        const PeLayoutSection *x = &l->sections[*(const size_t *) a], *y = &l->sections[*(const size_t *) b];
        if (x->raw_offset != y->raw_offset)
                return x->raw_offset < y->raw_offset ? -1 : 1;
        return 0;
}

/* Headers, then the sections with data in file order. */
static int write_all(Writer *w, size_t *order) {
        const PeLayout *l = w->l;
        size_t n_order = 0;
        int r;

        r = emit(w, l->headers, l->size_of_headers, -1, NULL);
        if (r < 0)
                return r;

        /* Sections with data in file order (new ones are already ascending
         * and after the stub's); empty ones only get their end callback. */
        for (size_t i = 0; i < l->n_sections; i++)
                if (l->sections[i].raw_size > 0)
                        order[n_order++] = i;
        qsort_r(order, n_order, sizeof(size_t), cmp_by_raw, (void *) l);

        for (size_t k = 0; k < n_order; k++) {
                size_t idx = order[k];
                const PeLayoutSection *s = &l->sections[idx];

                r = pad_to(w, s->raw_offset);
                if (r < 0)
                        return r;
                if (s->replaced) {
                        r = emit_sources(w, &l->new_sections[s->new_index], (ssize_t) idx, s);
                        if (r < 0)
                                return r;
                } else if (s->from_stub) {
                        const PeSection *old = &l->stub->sections[s->source_index];
                        /* content first (observed as section data), then the
                         * rest of the stub's raw data, then alignment padding */
                        r = emit_fd(w, l->stub_fd, old->raw_offset, s->content_size, (ssize_t) idx, s);
                        if (r < 0)
                                return r;
                        r = emit_fd(w, l->stub_fd, (uint64_t) old->raw_offset + s->content_size,
                                    old->raw_size - s->content_size, -1, NULL);
                        if (r < 0)
                                return r;
                } else {
                        r = emit_sources(w, &l->new_sections[s->source_index], (ssize_t) idx, s);
                        if (r < 0)
                                return r;
                }
                r = pad_to(w, (uint64_t) s->raw_offset + s->raw_size);
                if (r < 0)
                        return r;
                r = section_end(w, idx, s);
                if (r < 0)
                        return r;
        }
        if (w->pos != l->file_size)
                return -EINVAL;

        for (size_t i = 0; i < l->n_sections; i++)
                if (l->sections[i].raw_size == 0) {
                        r = section_end(w, i, &l->sections[i]);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int pe_write(const PeLayout *l, int out_fd, const PeWriteObserver *const *observers, size_t n_observers) {
        _cleanup_free_ size_t *order = NULL;
        Writer w = { .l = l, .fd = out_fd, .obs = observers, .n_obs = n_observers };

        for (size_t i = 0; i < n_observers; i++)
                if (observers[i]->data || observers[i]->section_data)
                        w.want_bytes = true;
        order = calloc(l->n_sections ? l->n_sections : 1, sizeof(size_t));
        if (!order)
                return -ENOMEM;
        int r = write_all(&w, order);
        free(w.buf);
        return r;
}
