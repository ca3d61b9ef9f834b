/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PE parser: a valid synthetic image, then a corpus of malformed ones made
 * by breaking one header field at a time, truncation at every length, and
 * (when present) the real Debian stub and kernel. */

#include <fcntl.h>
#include <unistd.h>

#include "fileio.h"
#include "pe-synth.h"
#include "pe.h"
#include "test.h"
#include "util.h"

static void check_valid(const SynthPe *p) {
        _cleanup_pe_image_ PeImage *img = NULL;
        CHECK_EQ_INT(pe_parse_buffer(p->data, p->size, &img, NULL), 0);
        CHECK_EQ_INT(img->machine, PE_MACHINE_AMD64);
        CHECK_EQ_INT(img->n_sections, 2);
        CHECK_EQ_INT(img->file_alignment, 0x200);
        CHECK_EQ_INT(img->section_alignment, 0x1000);
        CHECK_EQ_INT(img->size_of_headers, 0x400);
        CHECK_EQ_INT(img->size_of_image, 0x3000);
        CHECK_EQ_INT(img->checksum, 0xdeadbeef);
        CHECK_EQ_INT(img->checksum_offset, p->opt + 64);
        CHECK_EQ_INT(img->security_dir_offset, p->opt + 112 + 4 * 8);
        CHECK_EQ_INT(img->section_table_offset, p->table);
        CHECK_EQ_INT(img->first_raw_offset, 0x400);
        CHECK_EQ_INT(img->raw_end, 0xa00);
        CHECK(!pe_is_signed(img));
        CHECK_EQ_STR(img->sections[0].name, ".text");
        CHECK_EQ_STR(img->sections[1].name, ".data");
        CHECK(pe_find_section(img, ".data") == &img->sections[1]);
        CHECK(pe_find_section(img, ".dat") == NULL);
        CHECK(pe_find_section(img, ".linux") == NULL);
        CHECK_EQ_STR(pe_machine_name(img->machine), "x86-64");
}

/* Apply a mutation to a fresh default image and expect parse error r. */
typedef void (*Mutator)(SynthPe *p);

static void expect(const char *what, Mutator m, int r) {
        SynthPe p = synth_default();
        PeImage *img = NULL;
        UkitError err = UKIT_ERROR_INIT;
        m(&p);
        int k = pe_parse_buffer(p.data, p.size, &img, &err);
        if (k != r) {
                fprintf(stderr, "%s: expected %d, got %d (%s)\n", what, r, k, err.what);
                exit(1);
        }
        test_checks++;
        if (r == -EBADMSG || r == -EOPNOTSUPP) {
                CHECK(err.code == k);
                CHECK(strlen(err.what) > 5);
                CHECK(!strchr(err.what, '\n'));
        }
        CHECK(img == NULL);
        free(p.data);
}

#define SEC(p, i) ((p)->data + (p)->table + (i) * sizeof(PeSectionHeader))

static void m_no_mz(SynthPe *p) { p->data[0] = 'X'; }
static void m_lfanew_huge(SynthPe *p) { le32_write(p->data + 0x3c, 0xfffffff0u); }
static void m_lfanew_eof(SynthPe *p) { le32_write(p->data + 0x3c, (uint32_t) p->size - 8); }
static void m_lfanew_small(SynthPe *p) { le32_write(p->data + 0x3c, 0x10); }
static void m_no_pe_sig(SynthPe *p) { p->data[SYNTH_LFANEW + 1] = 'X'; }
static void m_nsec_zero(SynthPe *p) { le16_write(p->data + p->coff + 2, 0); }
static void m_nsec_97(SynthPe *p) { le16_write(p->data + p->coff + 2, 97); }
static void m_nsec_huge(SynthPe *p) { le16_write(p->data + p->coff + 2, 0xffff); }
static void m_nsec_past_eof(SynthPe *p) { le16_write(p->data + p->coff + 2, 90); }
static void m_opt_zero(SynthPe *p) { le16_write(p->data + p->coff + 16, 0); }
static void m_opt_small(SynthPe *p) { le16_write(p->data + p->coff + 16, 111); }
static void m_opt_huge(SynthPe *p) { le16_write(p->data + p->coff + 16, 0xffff); }
static void m_opt_no_dirs(SynthPe *p) { le16_write(p->data + p->coff + 16, 112 + 8); } /* 16 dirs claimed */
static void m_pe32(SynthPe *p) { le16_write(p->data + p->opt, PE_OPT_MAGIC_PE32); }
static void m_magic(SynthPe *p) { le16_write(p->data + p->opt, 0x1234); }
static void m_i386(SynthPe *p) { le16_write(p->data + p->coff, PE_MACHINE_I386); }
static void m_rva_17(SynthPe *p) { le32_write(p->data + p->opt + 108, 17); }
static void m_rva_huge(SynthPe *p) { le32_write(p->data + p->opt + 108, 0x7fffffff); }
static void m_fa_zero(SynthPe *p) { le32_write(p->data + p->opt + 36, 0); }
static void m_fa_odd(SynthPe *p) { le32_write(p->data + p->opt + 36, 0x300); }
static void m_fa_huge(SynthPe *p) { le32_write(p->data + p->opt + 36, 0x20000); }
static void m_sa_small(SynthPe *p) { le32_write(p->data + p->opt + 32, 0x100); }
static void m_soh_small(SynthPe *p) { le32_write(p->data + p->opt + 60, 0x100); }
static void m_soh_huge(SynthPe *p) { le32_write(p->data + p->opt + 60, 0x100000); }
static void m_soi_small(SynthPe *p) { le32_write(p->data + p->opt + 56, 0x2000); }
static void m_raw_past_eof(SynthPe *p) { le32_write(SEC(p, 1) + SH_RAWSIZE, 0x800); }
static void m_raw_off_past_eof(SynthPe *p) { le32_write(SEC(p, 1) + SH_RAWOFF, 0x10000); }
static void m_raw_overflow(SynthPe *p) {
        le32_write(SEC(p, 1) + SH_RAWOFF, 0xffffff00u);
        le32_write(SEC(p, 1) + SH_RAWSIZE, 0x200);
}
static void m_raw_in_headers(SynthPe *p) { le32_write(SEC(p, 0) + SH_RAWOFF, 0x100); }
static void m_va_overflow(SynthPe *p) {
        le32_write(SEC(p, 1) + SH_VADDR, 0xfffff000u);
        le32_write(SEC(p, 1) + SH_VSIZE, 0x2000);
}
static void m_va_in_headers(SynthPe *p) { le32_write(SEC(p, 0) + SH_VADDR, 0x200); }
static void m_va_overlap(SynthPe *p) { le32_write(SEC(p, 0) + SH_VSIZE, 0x1001); }
static void m_va_same(SynthPe *p) { le32_write(SEC(p, 1) + SH_VADDR, 0x1000); }
static void m_raw_overlap(SynthPe *p) { le32_write(SEC(p, 1) + SH_RAWOFF, 0x500); }
static void m_name_ctrl(SynthPe *p) { SEC(p, 0)[1] = 0x07; }
static void m_cert_out(SynthPe *p) {
        le32_write(p->data + p->opt + 112 + 32, 0x800);
        le32_write(p->data + p->opt + 112 + 36, 0x1000);
}
static void m_cert_tiny(SynthPe *p) {
        le32_write(p->data + p->opt + 112 + 32, 0x800);
        le32_write(p->data + p->opt + 112 + 36, 4);
}
static void m_cert_overflow(SynthPe *p) {
        le32_write(p->data + p->opt + 112 + 32, 0xfffffff8u);
        le32_write(p->data + p->opt + 112 + 36, 0x10);
}
static void m_symtab_past_eof(SynthPe *p) {
        le32_write(p->data + p->coff + 8, 0x900);
        le32_write(p->data + p->coff + 12, 1000);
}
static void m_symtab_overflow(SynthPe *p) {
        le32_write(p->data + p->coff + 8, 0x900);
        le32_write(p->data + p->coff + 12, 0xffffffffu);
}

static void test_malformed(void) {
        expect("no MZ", m_no_mz, -EBADMSG);
        expect("e_lfanew huge", m_lfanew_huge, -EBADMSG);
        expect("e_lfanew at EOF", m_lfanew_eof, -EBADMSG);
        expect("e_lfanew inside DOS header", m_lfanew_small, -EBADMSG);
        expect("no PE signature", m_no_pe_sig, -EBADMSG);
        expect("NumberOfSections 0", m_nsec_zero, -EBADMSG);
        expect("NumberOfSections 97", m_nsec_97, -EBADMSG);
        expect("NumberOfSections 0xffff", m_nsec_huge, -EBADMSG);
        expect("section table past EOF", m_nsec_past_eof, -EBADMSG);
        expect("SizeOfOptionalHeader 0", m_opt_zero, -EBADMSG);
        expect("SizeOfOptionalHeader 111", m_opt_small, -EBADMSG);
        expect("SizeOfOptionalHeader 0xffff", m_opt_huge, -EBADMSG);
        expect("data directories beyond optional header", m_opt_no_dirs, -EBADMSG);
        expect("PE32", m_pe32, -EOPNOTSUPP);
        expect("bad optional magic", m_magic, -EBADMSG);
        expect("i386", m_i386, -EOPNOTSUPP);
        expect("NumberOfRvaAndSizes 17", m_rva_17, -EBADMSG);
        expect("NumberOfRvaAndSizes huge", m_rva_huge, -EBADMSG);
        expect("FileAlignment 0", m_fa_zero, -EBADMSG);
        expect("FileAlignment not power of two", m_fa_odd, -EBADMSG);
        expect("FileAlignment > 64K", m_fa_huge, -EBADMSG);
        expect("SectionAlignment < FileAlignment", m_sa_small, -EBADMSG);
        expect("SizeOfHeaders below table", m_soh_small, -EBADMSG);
        expect("SizeOfHeaders past EOF", m_soh_huge, -EBADMSG);
        expect("SizeOfImage too small", m_soi_small, -EBADMSG);
        expect("raw data past EOF", m_raw_past_eof, -EBADMSG);
        expect("raw offset past EOF", m_raw_off_past_eof, -EBADMSG);
        expect("raw offset+size overflow", m_raw_overflow, -EBADMSG);
        expect("raw data inside headers", m_raw_in_headers, -EBADMSG);
        expect("VA+VirtualSize overflow", m_va_overflow, -EBADMSG);
        expect("VA inside headers", m_va_in_headers, -EBADMSG);
        expect("sections overlap in memory", m_va_overlap, -EBADMSG);
        expect("sections at the same VA", m_va_same, -EBADMSG);
        expect("raw data overlap", m_raw_overlap, -EBADMSG);
        expect("control character in name", m_name_ctrl, -EBADMSG);
        expect("certificate table past EOF", m_cert_out, -EBADMSG);
        expect("certificate table too small", m_cert_tiny, -EBADMSG);
        expect("certificate table overflow", m_cert_overflow, -EBADMSG);
        expect("symbol table past EOF", m_symtab_past_eof, -EBADMSG);
        expect("symbol table size overflow", m_symtab_overflow, -EBADMSG);
}

/* Every truncation of a valid image fails cleanly (the last section's data
 * reaches the end of the file) and never reads out of bounds (ASan). */
static void test_truncation(void) {
        SynthPe p = synth_default();
        for (size_t n = 0; n < p.size; n++) {
                uint8_t *copy = malloc(n ? n : 1);
                PeImage *img = NULL;
                memcpy(copy, p.data, n);
                int r = pe_parse_buffer(copy, n, &img, NULL);
                CHECK(r == -EBADMSG);
                CHECK(img == NULL);
                free(copy);
        }
        free(p.data);
}

static void test_signed_and_symtab(void) {
        /* A certificate table appended after the sections. */
        SynthPe p = synth_pe(synth_default_sections, 2, 0, 0, 0, 0xa00 + 0x10);
        _cleanup_pe_image_ PeImage *img = NULL;
        le32_write(p.data + p.opt + 112 + 32, 0xa00);
        le32_write(p.data + p.opt + 112 + 36, 0x10);
        CHECK_EQ_INT(pe_parse_buffer(p.data, p.size, &img, NULL), 0);
        CHECK(pe_is_signed(img));
        CHECK_EQ_INT(img->cert_table_offset, 0xa00);
        CHECK_EQ_INT(img->cert_table_size, 0x10);
        free(p.data);
        pe_image_free(TAKE_PTR(img));

        /* A symbol table of 3 symbols + a 10-byte string table at the end. */
        p = synth_pe(synth_default_sections, 2, 0, 0, 0, 0xa00 + 3 * 18 + 10);
        le32_write(p.data + p.coff + 8, 0xa00);
        le32_write(p.data + p.coff + 12, 3);
        le32_write(p.data + 0xa00 + 3 * 18, 10);
        CHECK_EQ_INT(pe_parse_buffer(p.data, p.size, &img, NULL), 0);
        CHECK_EQ_INT(img->symtab_offset, 0xa00);
        CHECK_EQ_INT(img->n_symbols, 3);
        CHECK_EQ_INT(img->symtab_size, 3 * 18 + 10);
        free(p.data);
}

static void test_read_section_and_fd(void) {
        SynthPe p = synth_default();
        char path[] = "/tmp/test-pe-XXXXXX";
        int fd = mkstemp(path);
        _cleanup_pe_image_ PeImage *a = NULL, *b = NULL;
        void *buf = NULL;
        size_t n = 0;

        CHECK(fd >= 0);
        unlink(path);
        CHECK_EQ_INT(write_full(fd, p.data, p.size), 0);
        CHECK_EQ_INT(pe_parse_fd(fd, &a, NULL), 0);
        CHECK_EQ_INT(pe_parse_buffer(p.data, p.size, &b, NULL), 0);
        CHECK_EQ_INT(a->n_sections, b->n_sections);
        CHECK(memcmp(a->sections, b->sections, a->n_sections * sizeof(PeSection)) == 0);
        CHECK_EQ_INT(a->first_raw_offset, b->first_raw_offset);

        /* .text: VirtualSize 0x180 of raw 0x200 */
        const PeSection *t = pe_find_section(a, ".text");
        CHECK_EQ_INT(pe_section_file_size(t), 0x180);
        CHECK_EQ_INT(pe_read_section(fd, a, t, 1 << 20, &buf, &n), 0);
        CHECK_EQ_INT(n, 0x180);
        for (size_t i = 0; i < n; i++)
                CHECK(((uint8_t *) buf)[i] == 0xc3);
        CHECK(((uint8_t *) buf)[n] == 0);
        free(buf);
        CHECK_EQ_INT(pe_read_section(fd, a, t, 0x100, &buf, &n), -EFBIG);

        /* A section with VirtualSize > SizeOfRawData reads zeros after the raw data. */
        PeSection big = *t;
        big.virtual_size = 0x800;
        CHECK_EQ_INT(pe_read_section(fd, a, &big, 1 << 20, &buf, &n), 0);
        CHECK_EQ_INT(n, 0x800);
        CHECK(((uint8_t *) buf)[0x17f] == 0xc3 && ((uint8_t *) buf)[0x180] == 0 && ((uint8_t *) buf)[0x7ff] == 0);
        free(buf);

        /* The fd parser also fails cleanly on every short file. */
        for (size_t len = 0; len < p.size; len += 7) {
                PeImage *img = NULL;
                CHECK_EQ_INT(ftruncate(fd, (off_t) len), 0);
                CHECK_EQ_INT(pe_parse_fd(fd, &img, NULL), -EBADMSG);
                CHECK(img == NULL);
        }
        close(fd);
        free(p.data);
}

/* Big section tables: headers larger than the fd parser's first read. */
static void test_many_sections(void) {
        SynthSection s[96];
        char names[96][9];
        for (size_t i = 0; i < 96; i++) {
                snprintf(names[i], sizeof(names[i]), ".s%zu", i);
                s[i] = (SynthSection) { names[i], 0x10000 + (uint32_t) i * 0x1000, 0x10, 0x2000 + (uint32_t) i * 0x200, 0x200, 0, (uint8_t) i };
        }
        SynthPe p = synth_pe(s, 96, 0x2000, 0, 0, 0);
        _cleanup_pe_image_ PeImage *img = NULL;
        CHECK_EQ_INT(pe_parse_buffer(p.data, p.size, &img, NULL), 0);
        CHECK_EQ_INT(img->n_sections, 96);
        CHECK_EQ_STR(img->sections[95].name, ".s95");

        char path[] = "/tmp/test-pe-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        unlink(path);
        CHECK_EQ_INT(write_full(fd, p.data, p.size), 0);
        pe_image_free(TAKE_PTR(img));
        CHECK_EQ_INT(pe_parse_fd(fd, &img, NULL), 0);
        CHECK_EQ_INT(img->n_sections, 96);
        close(fd);
        free(p.data);
}

static void test_real(const char *path, bool want_symtab) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_pe_image_ PeImage *img = NULL;
        if (fd < 0) {
                printf("skipping %s: not present\n", path);
                return;
        }
        CHECK_EQ_INT(pe_parse_fd(fd, &img, NULL), 0);
        CHECK_EQ_INT(img->machine, PE_MACHINE_AMD64);
        CHECK(img->n_sections > 0);
        if (want_symtab)
                CHECK(img->symtab_offset != 0);
}

int main(void) {
        SynthPe p = synth_default();
        check_valid(&p);
        free(p.data);

        test_malformed();
        test_truncation();
        test_signed_and_symtab();
        test_read_section_and_fd();
        test_many_sections();
        test_real("/usr/lib/systemd/boot/efi/linuxx64.efi.stub", true);
        TEST_DONE();
}
