/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pe_locate_uki_sections() (src/fundamental/pe-sections.c), the section
 * lookup ukit-stub runs on its own loaded image: hand-built images in memory
 * and file layout, and every truncation / corruption we can think of. */

#include "pe-sections.h"
#include "test.h"

#define IMG_SIZE 0x3000u
#define PE_OFF 0x80u
#define N_SECT 4u

static size_t table_off(void) {
        return PE_OFF + 4 + sizeof(PeCoffHeader) + sizeof(PeOptionalHeader64) + PE_DIR_MAX * sizeof(PeDataDirectory);
}

static void put_section(uint8_t *img, unsigned i, const char *name, uint32_t vsize, uint32_t rva,
                        uint32_t raw_size, uint32_t raw_off) {
        PeSectionHeader sh = {
                .VirtualSize = vsize, .VirtualAddress = rva,
                .SizeOfRawData = raw_size, .PointerToRawData = raw_off,
        };
        memcpy(sh.Name, name, strnlen(name, sizeof(sh.Name)));  /* NUL-padded, no terminator at 8 */
        memcpy(img + table_off() + i * sizeof(sh), &sh, sizeof(sh));
}

static void build(uint8_t *img) {
        memset(img, 0, IMG_SIZE);
        le16_write(img, PE_DOS_MAGIC);
        le32_write(img + offsetof(PeDosHeader, e_lfanew), PE_OFF);
        le32_write(img + PE_OFF, PE_NT_MAGIC);
        uint8_t *coff = img + PE_OFF + 4;
        le16_write(coff + offsetof(PeCoffHeader, Machine), PE_MACHINE_AMD64);
        le16_write(coff + offsetof(PeCoffHeader, NumberOfSections), N_SECT);
        le16_write(coff + offsetof(PeCoffHeader, SizeOfOptionalHeader),
                   sizeof(PeOptionalHeader64) + PE_DIR_MAX * sizeof(PeDataDirectory));
        put_section(img, 0, ".text", 0x100, 0x1000, 0x200, 0x400);
        put_section(img, 1, ".linux", 0x10, 0x2000, 0x200, 0x600);
        /* VirtualSize beyond SizeOfRawData: zero-filled in memory */
        put_section(img, 2, ".cmdline", 0x300, 0x2800, 0x200, 0x800);
        /* a duplicate: the first one wins */
        put_section(img, 3, ".linux", 0x20, 0x2400, 0x200, 0xa00);
}

/* A multi-profile image (systemd 257 layout): base .linux .cmdline, then
 * profile 0 (.profile only), profile 1 (.profile .cmdline .cmdline), and
 * profile 2 (.profile .initrd). */
static void build_profiles(uint8_t *img) {
        build(img);
        le16_write(img + PE_OFF + 4 + offsetof(PeCoffHeader, NumberOfSections), 9);
        put_section(img, 0, ".linux", 0x10, 0x1000, 0x200, 0x400);
        put_section(img, 1, ".cmdline", 0x11, 0x1200, 0x200, 0x600);
        put_section(img, 2, ".profile", 0x12, 0x1400, 0x200, 0x800);
        put_section(img, 3, ".profile", 0x13, 0x1600, 0x200, 0xa00);
        put_section(img, 4, ".cmdline", 0x14, 0x1800, 0x200, 0xc00);
        put_section(img, 5, ".cmdline", 0x15, 0x1a00, 0x200, 0xe00);  /* second of a name: ignored */
        put_section(img, 6, ".profile", 0x16, 0x1c00, 0x200, 0x1000);
        put_section(img, 7, ".initrd", 0x17, 0x1e00, 0x200, 0x1200);
        put_section(img, 8, ".text", 0x18, 0x2000, 0x200, 0x1400);
}

static void test_profiles(void) {
        static uint8_t img[IMG_SIZE];
        PeSectionRef s[_UKI_SECTION_MAX];
        uint32_t n = 0;

        build_profiles(img);
        /* profile 0: the base plus its own .profile */
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 0, s, &n), PE_SECTIONS_OK);
        CHECK_EQ_INT(n, 3);
        CHECK_EQ_INT(s[UKI_SECTION_LINUX].size, 0x10);
        CHECK_EQ_INT(s[UKI_SECTION_CMDLINE].size, 0x11);
        CHECK_EQ_INT(s[UKI_SECTION_PROFILE].size, 0x12);
        CHECK(!s[UKI_SECTION_INITRD].present);
        /* pe_locate_uki_sections() is profile 0 */
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_OK);
        CHECK_EQ_INT(s[UKI_SECTION_PROFILE].size, 0x12);
        /* profile 1 replaces .cmdline (its first one), keeps the base .linux */
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 1, s, NULL), PE_SECTIONS_OK);
        CHECK_EQ_INT(s[UKI_SECTION_LINUX].size, 0x10);
        CHECK_EQ_INT(s[UKI_SECTION_CMDLINE].size, 0x14);
        CHECK_EQ_INT(s[UKI_SECTION_PROFILE].size, 0x13);
        CHECK(!s[UKI_SECTION_INITRD].present);
        /* profile 2 adds .initrd, keeps the base .cmdline */
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 2, s, NULL), PE_SECTIONS_OK);
        CHECK_EQ_INT(s[UKI_SECTION_CMDLINE].size, 0x11);
        CHECK_EQ_INT(s[UKI_SECTION_INITRD].size, 0x17);
        CHECK_EQ_INT(s[UKI_SECTION_PROFILE].size, 0x16);
        /* no profile 3, nor UINT32_MAX */
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 3, s, NULL), PE_SECTIONS_E_NO_PROFILE);
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, UINT32_MAX, s, NULL), PE_SECTIONS_E_NO_PROFILE);
        /* a section of another profile may lie outside the buffer: unused */
        put_section(img, 7, ".initrd", 0x17, 0xfff000, 0x200, 0xfff000);
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 1, s, NULL), PE_SECTIONS_OK);
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 2, s, NULL), PE_SECTIONS_E_TRUNCATED);

        /* an image without .profile has exactly profile 0, the base */
        build(img);
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 0, s, &n), PE_SECTIONS_OK);
        CHECK_EQ_INT(n, 0);
        CHECK_EQ_INT(pe_locate_uki_profile(img, sizeof(img), true, 1, s, NULL), PE_SECTIONS_E_NO_PROFILE);
}

int main(void) {
        static uint8_t img[IMG_SIZE];
        PeSectionRef s[_UKI_SECTION_MAX];

        /* names: exact, NUL-padded, 8 characters without NUL */
        CHECK(pe_section_name_eq((const uint8_t *) ".linux\0\0", ".linux"));
        CHECK(!pe_section_name_eq((const uint8_t *) ".linuxx\0", ".linux"));
        CHECK(!pe_section_name_eq((const uint8_t *) ".linux\0\0", ".linuxx"));
        CHECK(pe_section_name_eq((const uint8_t *) ".cmdline", ".cmdline"));
        CHECK(!pe_section_name_eq((const uint8_t *) ".cmdline", ".cmdlinex"));
        /* the name ends at the first NUL, whatever padding follows */
        CHECK(pe_section_name_eq((const uint8_t *) ".cmd\0ine", ".cmd"));

        build(img);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_OK);
        CHECK(s[UKI_SECTION_LINUX].present);
        CHECK_EQ_INT(s[UKI_SECTION_LINUX].rva, 0x2000);
        CHECK_EQ_INT(s[UKI_SECTION_LINUX].size, 0x10);
        CHECK_EQ_INT(s[UKI_SECTION_LINUX].file_offset, 0x600);
        CHECK(s[UKI_SECTION_CMDLINE].present);
        CHECK_EQ_INT(s[UKI_SECTION_CMDLINE].size, 0x300);
        CHECK(!s[UKI_SECTION_INITRD].present);
        CHECK(!s[UKI_SECTION_OSREL].present);

        /* file layout: the .cmdline data needs only SizeOfRawData bytes */
        CHECK_EQ_INT(pe_locate_uki_sections(img, 0xa00 + 0x20, false, s), PE_SECTIONS_OK);
        CHECK_EQ_INT(pe_locate_uki_sections(img, 0x800 + 0x1ff, false, s), PE_SECTIONS_E_TRUNCATED);
        /* memory layout: .cmdline ends at 0x2b00 */
        CHECK_EQ_INT(pe_locate_uki_sections(img, 0x2b00, true, s), PE_SECTIONS_OK);
        CHECK_EQ_INT(pe_locate_uki_sections(img, 0x2aff, true, s), PE_SECTIONS_E_TRUNCATED);

        /* every truncation of the headers fails cleanly, ret untouched */
        size_t headers_end = table_off() + N_SECT * sizeof(PeSectionHeader);
        for (size_t n = 0; n < headers_end; n++) {
                PeSectionRef canary[_UKI_SECTION_MAX];
                memset(canary, 0x5a, sizeof(canary));
                /* a heap copy of exactly n bytes, so ASan sees overreads */
                uint8_t *copy = malloc(n ? n : 1);
                CHECK(copy);
                memcpy(copy, img, n);
                CHECK(pe_locate_uki_sections(copy, n, true, canary) < 0);
                for (size_t k = 0; k < sizeof(canary); k++)
                        CHECK(((uint8_t *) canary)[k] == 0x5a);
                free(copy);
        }
        CHECK_EQ_INT(pe_locate_uki_sections(NULL, 100, true, s), PE_SECTIONS_E_TRUNCATED);

        /* bad magics */
        build(img);
        img[0] = 'X';
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_E_MAGIC);
        build(img);
        img[PE_OFF + 1] = 'X';
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_E_MAGIC);

        /* e_lfanew far away / beyond the buffer */
        build(img);
        le32_write(img + offsetof(PeDosHeader, e_lfanew), 0xfffffff0u);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_E_BAD_HEADER);
        le32_write(img + offsetof(PeDosHeader, e_lfanew), IMG_SIZE - 8);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_E_TRUNCATED);

        /* too many sections; a section table running off the end */
        build(img);
        le16_write(img + PE_OFF + 4 + offsetof(PeCoffHeader, NumberOfSections), PE_SECTIONS_MAX + 1);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_E_TOO_MANY);
        build(img);
        le16_write(img + PE_OFF + 4 + offsetof(PeCoffHeader, SizeOfOptionalHeader), 0xffff);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_E_TRUNCATED);

        /* section data wrapping around 32 bits is out of bounds, not small */
        build(img);
        put_section(img, 1, ".linux", 0xffffffffu, 0x2000, 0xffffffffu, 0xffffff00u);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_E_TRUNCATED);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), false, s), PE_SECTIONS_E_TRUNCATED);

        /* unknown section names are skipped even if they point nowhere */
        build(img);
        put_section(img, 0, ".bogus", 0xffffffffu, 0xffffffffu, 0, 0);
        CHECK_EQ_INT(pe_locate_uki_sections(img, sizeof(img), true, s), PE_SECTIONS_OK);

        for (int c = 0; c >= -5; c--)
                CHECK(pe_sections_error_string(c) != NULL);

        test_profiles();
        TEST_DONE();
}
