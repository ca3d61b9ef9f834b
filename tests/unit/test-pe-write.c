/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PE layout and writer: addresses/offsets/alignment, no overlaps, header
 * growth, symbol table stripping, .sbat replacement, name checks, observer
 * completeness, determinism, limits and short sources. The output is checked
 * by re-parsing it and reading the sections back. */

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "pe-synth.h"
#include "pe-write.h"
#include "pe.h"
#include "test.h"
#include "util.h"

static int memfd_with(const void *data, size_t n) {
        char path[] = "/tmp/test-pe-write-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        unlink(path);
        if (n)
                CHECK_EQ_INT(write_full(fd, data, n), 0);
        return fd;
}

static uint8_t *read_all(int fd, size_t *ret_n) {
        uint64_t size;
        CHECK_EQ_INT(fd_get_size(fd, &size), 0);
        uint8_t *b = malloc(size ? size : 1);
        CHECK(b);
        if (size)
                CHECK_EQ_INT(pread_full(fd, b, size, 0), 0);
        *ret_n = size;
        return b;
}

/* Observer that checks that data() sees every byte once, in order, and
 * counts section bytes. */
typedef struct Obs {
        uint64_t next;
        uint64_t section_bytes[PE_SECTIONS_MAX];
        unsigned ends[PE_SECTIONS_MAX];
        uint8_t *copy;
        size_t copy_size;
} Obs;

static int obs_data(void *ud, const void *buf, size_t n, uint64_t off) {
        Obs *o = ud;
        CHECK_EQ_INT(off, o->next);
        o->next += n;
        CHECK(o->next <= o->copy_size);
        memcpy(o->copy + off, buf, n);
        return 0;
}
static int obs_section(void *ud, size_t i, const PeLayoutSection *s, const void *buf, size_t n) {
        Obs *o = ud;
        CHECK(i < PE_SECTIONS_MAX);
        CHECK_EQ_INT(o->ends[i], 0);
        o->section_bytes[i] += n;
        return 0;
}
static int obs_end(void *ud, size_t i, const PeLayoutSection *s) {
        Obs *o = ud;
        o->ends[i]++;
        CHECK_EQ_INT(o->section_bytes[i], s->content_size);
        return 0;
}

/* The reason the last build() failed. */
static UkitError build_err;

/* Build stub + sections into a new file; returns the output fd. */
static int build(const SynthPe *stub, const PeNewSection *news, size_t n, bool observe, PeLayout **ret_layout,
                 int *ret_r) {
        _cleanup_pe_image_ PeImage *img = NULL;
        PeLayout *l = NULL;
        int sfd = memfd_with(stub->data, stub->size), ofd, r;

        CHECK_EQ_INT(pe_parse_fd(sfd, &img, NULL), 0);
        ukit_error_clear(&build_err);
        r = pe_layout(sfd, img, news, n, &(PeLayoutOptions) {}, &l, &build_err);
        if (r < 0) {
                close(sfd);
                *ret_r = r;
                return -1;
        }
        ofd = memfd_with(NULL, 0);
        Obs o = { .copy_size = l->file_size };
        o.copy = calloc(1, l->file_size);
        PeWriteObserver ob = { .data = obs_data, .section_data = obs_section, .section_end = obs_end, .userdata = &o };
        const PeWriteObserver *obs[] = { &ob };
        r = pe_write(l, ofd, obs, observe ? 1 : 0);
        *ret_r = r;
        if (r == 0) {
                size_t m;
                _cleanup_free_ uint8_t *b = read_all(ofd, &m);
                CHECK_EQ_INT(m, l->file_size);
                if (observe) {
                        CHECK_EQ_INT(o.next, l->file_size);
                        CHECK(memcmp(b, o.copy, m) == 0);
                        for (size_t i = 0; i < l->n_sections; i++)
                                CHECK_EQ_INT(o.ends[i], 1);
                }
        }
        free(o.copy);
        close(sfd);
        /* the layout keeps pointers to the stub image: only the plain fields are used after this */
        l->stub = NULL;
        l->stub_fd = -1;
        if (ret_layout)
                *ret_layout = l;
        else
                pe_layout_free(l);
        return ofd;
}

/* Invariants of every output: parses, sections aligned and disjoint in memory
 * and file, headers below the first section, SizeOfImage right. */
static PeImage *check_output(int fd) {
        PeImage *img = NULL;
        CHECK_EQ_INT(pe_parse_fd(fd, &img, NULL), 0); /* the parser refuses overlaps */
        for (size_t i = 0; i < img->n_sections; i++) {
                const PeSection *s = &img->sections[i];
                CHECK_EQ_INT(s->virtual_address % img->section_alignment, 0);
                CHECK_EQ_INT(s->raw_offset % img->file_alignment, 0);
                CHECK_EQ_INT(s->raw_size % img->file_alignment, 0);
                CHECK(s->virtual_address >= img->size_of_headers);
                CHECK(pe_section_vend(s) <= img->size_of_image);
        }
        CHECK_EQ_INT(img->checksum, 0);
        CHECK_EQ_INT(img->symtab_offset, 0);
        CHECK_EQ_INT(img->n_symbols, 0);
        CHECK_EQ_INT(img->size_of_headers % img->file_alignment, 0);
        return img;
}

static void check_content(int fd, const PeImage *img, const char *name, const void *want, size_t n, uint32_t vsize) {
        const PeSection *s = pe_find_section(img, name);
        void *buf;
        size_t m;
        CHECK(s);
        CHECK_EQ_INT(s->virtual_size, vsize);
        CHECK_EQ_INT(pe_read_section(fd, img, s, 1 << 30, &buf, &m), 0);
        CHECK(m >= n);
        CHECK(memcmp(buf, want, n) == 0);
        for (size_t i = n; i < m; i++)
                CHECK(((uint8_t *) buf)[i] == 0);
        free(buf);
}

static void test_basic(void) {
        SynthPe stub = synth_default();
        static const char text[] = "console=ttyS0";
        uint8_t big[5000];
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t) (i * 7);
        int bfd = memfd_with(big, sizeof(big));
        PeSource s1[] = { { .fd = -1, .data = text, .size = strlen(text) } };
        /* two pieces from an fd plus zero padding, like concatenated initrds */
        PeSource s2[] = { { .fd = bfd, .offset = 0, .size = 1001 }, { .fd = -1, .data = NULL, .size = 3 },
                          { .fd = bfd, .offset = 1001, .size = 3999 } };
        PeSource s3[] = { { .fd = bfd, .size = sizeof(big) } };
        PeNewSection news[] = {
                { ".cmdline", PE_SECTION_FLAGS_DATA, 0, s1, 1 },
                { ".initrd", PE_SECTION_FLAGS_DATA, 0, s2, 3 },
                { ".linux", PE_SECTION_FLAGS_CODE, 0x10000, s3, 1 },
        };
        PeLayout *l;
        int r;

        for (int observe = 0; observe <= 1; observe++) {
                int ofd = build(&stub, news, 3, observe, &l, &r);
                CHECK_EQ_INT(r, 0);
                _cleanup_pe_image_ PeImage *img = check_output(ofd);
                CHECK_EQ_INT(img->n_sections, 5);
                CHECK_EQ_INT(l->header_growth, 0);
                /* stub sections untouched */
                CHECK_EQ_INT(img->sections[0].virtual_address, 0x1000);
                CHECK_EQ_INT(img->sections[0].raw_offset, 0x400);
                CHECK_EQ_INT(img->sections[1].raw_offset, 0x600);
                /* new ones follow in memory and file */
                CHECK_EQ_INT(img->sections[2].virtual_address, 0x3000);
                CHECK_EQ_INT(img->sections[2].raw_offset, 0xa00);
                CHECK_EQ_INT(img->sections[3].virtual_address, 0x4000);
                CHECK_EQ_INT(img->sections[4].virtual_address, 0x6000);
                CHECK_EQ_INT(img->size_of_image, 0x16000);
                CHECK_EQ_INT(img->sections[4].characteristics, PE_SCN_CNT_CODE | PE_SCN_MEM_READ);
                CHECK_EQ_INT(img->sections[2].characteristics, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
                check_content(ofd, img, ".cmdline", text, strlen(text), (uint32_t) strlen(text));
                uint8_t want[5003];
                memcpy(want, big, 1001);
                memset(want + 1001, 0, 3);
                memcpy(want + 1004, big + 1001, 3999);
                check_content(ofd, img, ".initrd", want, sizeof(want), sizeof(want));
                check_content(ofd, img, ".linux", big, sizeof(big), 0x10000);
                check_content(ofd, img, ".text", stub.data + 0x400, 0x180, 0x180);
                /* timestamp kept, stub header bytes kept */
                size_t m;
                _cleanup_free_ uint8_t *b = read_all(ofd, &m);
                CHECK_EQ_INT(le32_read(b + stub.coff + 4), 0x12345678);
                CHECK(memcmp(b, stub.data, stub.coff) == 0);
                pe_layout_free(l);
                close(ofd);
        }
        close(bfd);
        free(stub.data);
}

static void test_determinism_and_timestamp(void) {
        SynthPe stub = synth_default();
        PeSource s1[] = { { .fd = -1, .data = "abc", .size = 3 } };
        PeNewSection news[] = { { ".osrel", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        int r, a = build(&stub, news, 1, false, NULL, &r), b = build(&stub, news, 1, true, NULL, &r);
        size_t na, nb;
        _cleanup_free_ uint8_t *x = read_all(a, &na), *y = read_all(b, &nb);
        CHECK_EQ_INT(na, nb);
        CHECK(memcmp(x, y, na) == 0);
        close(a);
        close(b);

        _cleanup_pe_image_ PeImage *img = NULL;
        _cleanup_pe_layout_ PeLayout *l = NULL;
        int sfd = memfd_with(stub.data, stub.size);
        CHECK_EQ_INT(pe_parse_fd(sfd, &img, NULL), 0);
        CHECK_EQ_INT(pe_layout(sfd, img, news, 1, &(PeLayoutOptions) { .set_timestamp = true, .timestamp = 42 }, &l, NULL), 0);
        CHECK_EQ_INT(le32_read(l->headers + stub.coff + 4), 42);
        close(sfd);
        free(stub.data);
}

/* A stub whose header area is full: SizeOfHeaders 0x200, section table ends
 * just below it, first section data at 0x200, first section VA 0x4000. */
static SynthPe tight_stub(void) {
        static const SynthSection s[] = {
                { ".text", 0x4000, 0x300, 0x200, 0x400, 0x60000020u, 0x11 },
                { ".data", 0x5000, 0x100, 0x600, 0x200, 0xc0000040u, 0x22 },
                { ".sdmagic", 0x6000, 0x20, 0x800, 0x200, 0x40000040u, 0x33 },
        };
        return synth_pe(s, 3, 0x200, 0x200, 0x1000, 0);
}

static void test_header_growth(void) {
        SynthPe stub = tight_stub();
        PeSource src[20];
        PeNewSection news[20];
        char text[20][8];
        for (size_t i = 0; i < 20; i++) {
                snprintf(text[i], sizeof(text[i]), "s%zu", i);
                src[i] = (PeSource) { .fd = -1, .data = text[i], .size = strlen(text[i]) };
                news[i] = (PeNewSection) { {}, PE_SECTION_FLAGS_DATA, 0, &src[i], 1 };
                snprintf(news[i].name, sizeof(news[i].name), ".x%zu", i);
        }
        PeLayout *l;
        int r;
        /* 0x188 table start + 23*40 = 0x520 -> 0x600: growth of 0x400 */
        int ofd = build(&stub, news, 20, true, &l, &r);
        CHECK_EQ_INT(r, 0);
        _cleanup_pe_image_ PeImage *img = check_output(ofd);
        CHECK_EQ_INT(l->header_growth, 0x400);
        CHECK_EQ_INT(img->size_of_headers, 0x600);
        CHECK_EQ_INT(img->n_sections, 23);
        /* addresses unchanged, file data moved, content intact */
        CHECK_EQ_INT(img->sections[0].virtual_address, 0x4000);
        CHECK_EQ_INT(img->sections[0].raw_offset, 0x600);
        CHECK_EQ_INT(img->sections[1].raw_offset, 0xa00);
        CHECK_EQ_INT(img->sections[2].raw_offset, 0xc00);
        check_content(ofd, img, ".text", stub.data + 0x200, 0x300, 0x300);
        check_content(ofd, img, ".data", stub.data + 0x600, 0x100, 0x100);
        check_content(ofd, img, ".sdmagic", stub.data + 0x800, 0x20, 0x20);
        for (size_t i = 0; i < 20; i++)
                check_content(ofd, img, news[i].name, text[i], strlen(text[i]), (uint32_t) strlen(text[i]));
        pe_layout_free(l);
        close(ofd);

        /* No room at all: the first section starts in memory right after the
         * headers, so the headers cannot grow. */
        free(stub.data);
        static const SynthSection s[] = { { ".text", 0x200, 0x100, 0x200, 0x200, 0, 1 } };
        stub = synth_pe(s, 1, 0x200, 0x200, 0x200, 0);
        CHECK_EQ_INT(build(&stub, news, 20, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -ENOSPC);
        CHECK_EQ_INT(build_err.code, -ENOSPC);
        CHECK(strstr(build_err.what, "no room"));
        free(stub.data);
}

/* A stub section with VirtualSize 0 (size = SizeOfRawData) and unaligned
 * raw data: rounding the raw size up must not grow it in memory (found by
 * fuzz-pe). */
static void test_vsize_zero(void) {
        static const SynthSection s[] = {
                { ".a", 0x1000, 0, 0x1000, 0x200, 0x40000040u, 'a' },
                { ".b", 0x1200, 0x100, 0x2000, 0x100, 0x40000040u, 'b' },
        };
        SynthPe stub = synth_pe(s, 2, 0x1000, 0x1000, 0x1000, 0);
        /* synth_pe aligns SizeOfImage per section; make it cover .b exactly */
        le32_write(stub.data + stub.opt + 56, 0x2000);
        PeSource s1[] = { { .fd = -1, .data = "x", .size = 1 } };
        PeNewSection news[] = { { ".n", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        PeLayout *l;
        int r, ofd = build(&stub, news, 1, true, &l, &r);
        CHECK_EQ_INT(r, 0);
        /* not check_output(): this stub's addresses are not aligned; the
         * parser still refuses any overlap */
        _cleanup_pe_image_ PeImage *img = NULL;
        CHECK_EQ_INT(pe_parse_fd(ofd, &img, NULL), 0);
        CHECK_EQ_INT(img->sections[0].raw_size, 0x1000);
        CHECK_EQ_INT(img->sections[0].virtual_size, 0x200);
        check_content(ofd, img, ".a", stub.data + 0x1000, 0x200, 0x200);
        pe_layout_free(l);
        close(ofd);
        free(stub.data);
}

static void test_symtab_strip(void) {
        /* trailing symbol table + string table, and junk at the end */
        SynthPe stub = synth_pe(synth_default_sections, 2, 0, 0, 0, 0xa00 + 18 * 4 + 16);
        le32_write(stub.data + stub.coff + 8, 0xa00);
        le32_write(stub.data + stub.coff + 12, 4);
        le32_write(stub.data + 0xa00 + 18 * 4, 16);
        memset(stub.data + 0xa00, 0xee, 18 * 4);
        PeSource s1[] = { { .fd = -1, .data = "x", .size = 1 } };
        PeNewSection news[] = { { ".osrel", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        PeLayout *l;
        int r, ofd = build(&stub, news, 1, false, &l, &r);
        CHECK_EQ_INT(r, 0);
        CHECK(l->stripped_symtab);
        _cleanup_pe_image_ PeImage *img = check_output(ofd);
        size_t m;
        _cleanup_free_ uint8_t *b = read_all(ofd, &m);
        CHECK(le16_read(b + stub.coff + 18) & 0x0008); /* IMAGE_FILE_LOCAL_SYMS_STRIPPED */
        CHECK_EQ_INT(m, 0xc00);                       /* symbols gone: .osrel right after .data */
        CHECK_EQ_INT(pe_find_section(img, ".osrel")->raw_offset, 0xa00);
        for (size_t i = 0; i < m; i++)
                CHECK(b[i] != 0xee);
        pe_layout_free(l);
        close(ofd);
        free(stub.data);
}

static void test_sbat(void) {
        static const char merged[] = "sbat,1,SBAT Version,sbat,1,https://example.com\nx,1,X,x,1,https://x\n";
        PeSource s1[] = { { .fd = -1, .data = merged, .size = sizeof(merged) } };
        PeNewSection news[] = { { ".sbat", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        /* larger than the stub's .sbat raw data (0x200) */
        char *big = malloc(0x300);
        memset(big, 'y', 0x300);
        PeSource s2[] = { { .fd = -1, .data = big, .size = 0x300 } };
        PeNewSection bignews[] = { { ".sbat", PE_SECTION_FLAGS_DATA, 0, s2, 1 } };
        PeLayout *l;
        int r;

        /* fits: the merged text replaces the stub's .sbat data (as ukify
         * 257), zero-padded; no new header; VirtualSize = its length */
        static const SynthSection a[] = {
                { ".text", 0x1000, 0x100, 0x400, 0x200, 0x60000020u, 1 },
                { ".sbat", 0x2000, 0x20, 0x600, 0x200, 0x40000040u, 's' },
                { ".sdmagic", 0x2100, 0x20, 0x800, 0x200, 0x40000040u, 'm' },
        };
        SynthPe stub = synth_pe(a, 3, 0, 0x100, 0x100, 0);
        int ofd = build(&stub, news, 1, true, &l, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(l->stub_sbat, PE_STUB_SBAT_REPLACED);
        PeImage *img = check_output(ofd);
        CHECK_EQ_INT(img->n_sections, 3);
        CHECK(pe_find_section(img, ".sbat") == &img->sections[1]);
        CHECK_EQ_INT(img->sections[1].virtual_address, 0x2000);
        CHECK_EQ_INT(img->sections[1].raw_offset, 0x600);
        CHECK_EQ_INT(img->sections[1].raw_size, 0x200);
        check_content(ofd, img, ".sbat", merged, sizeof(merged), sizeof(merged));
        {
                uint8_t pad[0x200 - sizeof(merged)], zero[sizeof(pad)] = {};
                CHECK_EQ_INT(pread_full(ofd, pad, sizeof(pad), 0x600 + sizeof(merged)), 0);
                CHECK(memcmp(pad, zero, sizeof(pad)) == 0);
        }
        check_content(ofd, img, ".sdmagic", stub.data + 0x800, 0x20, 0x20);
        pe_image_free(img);
        pe_layout_free(l);
        close(ofd);

        /* does not fit, .sbat not last (.sdmagic follows): renamed, new .sbat added */
        ofd = build(&stub, bignews, 1, true, &l, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(l->stub_sbat, PE_STUB_SBAT_RENAMED_TO);
        img = check_output(ofd);
        CHECK_EQ_INT(img->n_sections, 4);
        CHECK_EQ_STR(img->sections[1].name, PE_STUB_SBAT_RENAMED);
        CHECK(pe_find_section(img, ".sbat") == &img->sections[3]);
        CHECK(img->sections[3].virtual_address >= 0x2200); /* after .sdmagic, no overlap */
        check_content(ofd, img, ".sbat", big, 0x300, 0x300);
        check_content(ofd, img, ".sdmagic", stub.data + 0x800, 0x20, 0x20);
        pe_image_free(img);
        pe_layout_free(l);
        close(ofd);
        free(stub.data);

        /* the stub's only section is .sbat, too small: dropped, and the new
         * sections must still start above the headers (found by fuzz-pe) */
        static const SynthSection only[] = { { ".sbat", 0x1000, 0x20, 0x400, 0x200, 0x40000040u, 's' } };
        stub = synth_pe(only, 1, 0, 0x200, 0x1000, 0);
        PeNewSection two[] = { { ".fuzz", PE_SECTION_FLAGS_DATA, 0, s1, 1 }, bignews[0] };
        ofd = build(&stub, two, 2, true, &l, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(l->stub_sbat, PE_STUB_SBAT_DROPPED);
        img = check_output(ofd);
        CHECK_EQ_INT(img->n_sections, 2);
        CHECK(img->sections[0].virtual_address >= img->size_of_headers);
        pe_image_free(img);
        pe_layout_free(l);
        close(ofd);
        free(stub.data);

        /* .sbat last, too small: its header and data are dropped */
        static const SynthSection b[] = {
                { ".text", 0x1000, 0x100, 0x400, 0x200, 0x60000020u, 1 },
                { ".sbat", 0x2000, 0x20, 0x600, 0x200, 0x40000040u, 's' },
        };
        stub = synth_pe(b, 2, 0, 0x200, 0x1000, 0);
        ofd = build(&stub, bignews, 1, true, &l, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(l->stub_sbat, PE_STUB_SBAT_DROPPED);
        img = check_output(ofd);
        CHECK_EQ_INT(img->n_sections, 2);
        CHECK_EQ_STR(img->sections[1].name, ".sbat");
        CHECK_EQ_INT(img->sections[1].virtual_address, 0x2000);
        CHECK_EQ_INT(img->sections[1].raw_offset, 0x600);
        check_content(ofd, img, ".sbat", big, 0x300, 0x300);
        pe_image_free(img);
        pe_layout_free(l);
        close(ofd);
        free(stub.data);
        free(big);
}

static void test_names_and_limits(void) {
        SynthPe stub = synth_default();
        PeSource s1[] = { { .fd = -1, .data = "x", .size = 1 } };
        int r;

        PeNewSection dup[] = { { ".a", PE_SECTION_FLAGS_DATA, 0, s1, 1 }, { ".a", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        CHECK_EQ_INT(build(&stub, dup, 2, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EEXIST);
        PeNewSection clash[] = { { ".data", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        CHECK_EQ_INT(build(&stub, clash, 1, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EEXIST);
        /* the reason names the section in err->item, for callers to branch on */
        CHECK_EQ_INT(build_err.code, -EEXIST);
        CHECK(streq(build_err.item, ".data"));
        PeNewSection empty[] = { { "", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        CHECK_EQ_INT(build(&stub, empty, 1, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EINVAL);
        PeNewSection blank[] = { { ".a b", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        CHECK_EQ_INT(build(&stub, blank, 1, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EINVAL);

        /* > 4 GiB: a section, the virtual size, and the sum of sections */
        PeSource huge[] = { { .fd = -1, .data = NULL, .size = (uint64_t) UINT32_MAX + 1 } };
        PeNewSection h1[] = { { ".big", PE_SECTION_FLAGS_DATA, 0, huge, 1 } };
        CHECK_EQ_INT(build(&stub, h1, 1, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EFBIG);
        PeNewSection h2[] = { { ".big", PE_SECTION_FLAGS_DATA, (uint64_t) UINT32_MAX + 1, s1, 1 } };
        CHECK_EQ_INT(build(&stub, h2, 1, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EFBIG);
        PeSource three[] = { { .fd = -1, .data = NULL, .size = 3u << 30 } };
        PeNewSection h3[] = { { ".a", PE_SECTION_FLAGS_DATA, 0, three, 1 }, { ".b", PE_SECTION_FLAGS_DATA, 0, three, 1 } };
        CHECK_EQ_INT(build(&stub, h3, 2, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EFBIG);
        CHECK(streq(build_err.item, ".b"));     /* the section at which the image outgrows 4 GiB */
        PeSource overflow[] = { { .fd = -1, .size = UINT64_MAX }, { .fd = -1, .size = 2 } };
        PeNewSection h4[] = { { ".a", PE_SECTION_FLAGS_DATA, 0, overflow, 2 } };
        CHECK_EQ_INT(build(&stub, h4, 1, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EFBIG);

        /* too many sections */
        PeNewSection many[100];
        for (size_t i = 0; i < 100; i++) {
                many[i] = (PeNewSection) { {}, PE_SECTION_FLAGS_DATA, 0, s1, 1 };
                snprintf(many[i].name, sizeof(many[i].name), ".m%zu", i);
        }
        CHECK_EQ_INT(build(&stub, many, 100, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EFBIG);

        /* an empty section still gets its own address */
        PeSource none[] = { { .fd = -1, .data = "", .size = 0 } };
        PeNewSection e[] = { { ".e", PE_SECTION_FLAGS_DATA, 0, none, 1 }, { ".f", PE_SECTION_FLAGS_DATA, 0, s1, 1 } };
        int ofd = build(&stub, e, 2, true, NULL, &r);
        CHECK_EQ_INT(r, 0);
        _cleanup_pe_image_ PeImage *img = check_output(ofd);
        CHECK(pe_find_section(img, ".e")->virtual_address < pe_find_section(img, ".f")->virtual_address);
        close(ofd);

        /* signed stub */
        SynthPe s = synth_pe(synth_default_sections, 2, 0, 0, 0, 0xa10);
        le32_write(s.data + s.opt + 112 + 32, 0xa00);
        le32_write(s.data + s.opt + 112 + 36, 0x10);
        CHECK_EQ_INT(build(&s, clash + 0, 0, false, NULL, &r), -1);
        CHECK_EQ_INT(r, -EPERM);
        free(s.data);
        free(stub.data);
}

static void test_short_source(void) {
        SynthPe stub = synth_default();
        uint8_t d[100] = {};
        int fd = memfd_with(d, sizeof(d));
        PeSource src[] = { { .fd = fd, .size = 1000 } }; /* claims more than the file has */
        PeNewSection news[] = { { ".a", PE_SECTION_FLAGS_DATA, 0, src, 1 } };
        int r;
        for (int observe = 0; observe <= 1; observe++) {
                int ofd = build(&stub, news, 1, observe, NULL, &r);
                CHECK_EQ_INT(r, -EIO);
                close(ofd);
        }
        close(fd);
        free(stub.data);
}

/* A source larger than the copy buffer goes through in pieces. */
static void test_large(void) {
        SynthPe stub = synth_default();
        size_t n = PE_WRITE_BUFFER_SIZE * 2 + 12345;
        uint8_t *d = malloc(n);
        for (size_t i = 0; i < n; i++)
                d[i] = (uint8_t) (i ^ (i >> 9));
        int fd = memfd_with(d, n), r;
        PeSource src[] = { { .fd = fd, .offset = 5, .size = n - 5 } };
        PeNewSection news[] = { { ".initrd", PE_SECTION_FLAGS_DATA, 0, src, 1 } };
        for (int observe = 0; observe <= 1; observe++) {
                int ofd = build(&stub, news, 1, observe, NULL, &r);
                CHECK_EQ_INT(r, 0);
                _cleanup_pe_image_ PeImage *img = check_output(ofd);
                check_content(ofd, img, ".initrd", d + 5, n - 5, (uint32_t) (n - 5));
                close(ofd);
        }
        close(fd);
        free(d);
        free(stub.data);
}

/* A large section after a small one follows it at the next FileAlignment
 * boundary, as ukify lays it out (no page alignment, so the bytes equal). */
static void test_no_page_align(void) {
        SynthPe stub = synth_default();
        size_t n = 1024 * 1024 + 3;
        uint8_t *d = malloc(n);
        for (size_t i = 0; i < n; i++)
                d[i] = (uint8_t) (i * 13);
        int fd = memfd_with(d, n), r;
        PeSource small[] = { { .fd = -1, .data = "abc", .size = 3 } };
        PeSource bigsrc[] = { { .fd = fd, .size = n } };
        PeNewSection news[] = {
                { ".osrel", PE_SECTION_FLAGS_DATA, 0, small, 1 },
                { ".initrd", PE_SECTION_FLAGS_DATA, 0, bigsrc, 1 },
                { ".cmdline", PE_SECTION_FLAGS_DATA, 0, small, 1 },
        };
        for (int observe = 0; observe <= 1; observe++) {
                int ofd = build(&stub, news, 3, observe, NULL, &r);
                CHECK_EQ_INT(r, 0);
                _cleanup_pe_image_ PeImage *img = check_output(ofd);
                const PeSection *a = pe_find_section(img, ".osrel"), *b = pe_find_section(img, ".initrd"),
                                *c = pe_find_section(img, ".cmdline");
                CHECK_EQ_INT(a->raw_offset, 0xa00);
                CHECK_EQ_INT(a->raw_size, img->file_alignment);
                CHECK_EQ_INT(b->raw_offset, a->raw_offset + img->file_alignment);
                CHECK_EQ_INT(b->raw_offset + b->raw_size, c->raw_offset);
                check_content(ofd, img, ".osrel", "abc", 3, 3);
                check_content(ofd, img, ".initrd", d, n, (uint32_t) n);
                close(ofd);
        }
        close(fd);
        free(d);
        free(stub.data);
}

int main(void) {
        test_basic();
        test_determinism_and_timestamp();
        test_header_growth();
        test_vsize_zero();
        test_symtab_strip();
        test_sbat();
        test_names_and_limits();
        test_short_source();
        test_large();
        test_no_page_align();
        TEST_DONE();
}
