/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Synthetic PE32+ images for the PE tests (and the fuzzer's seeds): a small
 * valid image whose header fields the tests then break one at a time. Built
 * from the specification's field layout (pe-format.h), independent of the
 * parser under test. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pe-format.h"

typedef struct SynthSection {
        const char *name;
        uint32_t vaddr, vsize, raw_off, raw_size, flags;
        uint8_t fill;   /* content byte */
} SynthSection;

typedef struct SynthPe {
        uint8_t *data;
        size_t size;
        /* offsets of the structures, for the tests to poke at */
        size_t coff, opt, table;
} SynthPe;

#define SYNTH_LFANEW 0x80u

/* Defaults: FileAlignment 0x200, SectionAlignment 0x1000, SizeOfHeaders
 * headers_size (0x400 if 0), sections as given; file size = end of the last
 * raw data (or extra bytes appended by the caller). */
static inline SynthPe synth_pe(const SynthSection *secs, size_t n, uint32_t headers_size, uint32_t fa,
                               uint32_t sa, size_t file_size) {
        SynthPe p = {};
        uint32_t image_end = 0;
        size_t size = headers_size ? headers_size : 0x400;

        if (!fa)
                fa = 0x200;
        if (!sa)
                sa = 0x1000;
        for (size_t i = 0; i < n; i++) {
                if (secs[i].raw_size && secs[i].raw_off + secs[i].raw_size > size)
                        size = secs[i].raw_off + secs[i].raw_size;
                uint32_t e = secs[i].vaddr + secs[i].vsize;
                e = (e + sa - 1) & ~(sa - 1);
                if (e > image_end)
                        image_end = e;
        }
        if (file_size > size)
                size = file_size;
        p.size = size;
        p.data = calloc(1, size);
        if (!p.data)
                abort();

        le16_write(p.data, PE_DOS_MAGIC);
        le32_write(p.data + 0x3c, SYNTH_LFANEW);
        le32_write(p.data + SYNTH_LFANEW, PE_NT_MAGIC);
        p.coff = SYNTH_LFANEW + 4;
        p.opt = p.coff + sizeof(PeCoffHeader);
        p.table = p.opt + sizeof(PeOptionalHeader64) + PE_DIR_MAX * sizeof(PeDataDirectory);

        uint8_t *c = p.data + p.coff;
        le16_write(c + 0, PE_MACHINE_AMD64);
        le16_write(c + 2, (uint16_t) n);
        le32_write(c + 4, 0x12345678);                          /* TimeDateStamp */
        le16_write(c + 16, (uint16_t) (p.table - p.opt));       /* SizeOfOptionalHeader */
        le16_write(c + 18, 0x0206);

        uint8_t *o = p.data + p.opt;
        le16_write(o + 0, PE_OPT_MAGIC_PE32PLUS);
        le32_write(o + 16, n ? secs[0].vaddr : 0);              /* AddressOfEntryPoint */
        le32_write(o + 32, sa);
        le32_write(o + 36, fa);
        le32_write(o + 56, image_end);                          /* SizeOfImage */
        le32_write(o + 60, headers_size ? headers_size : 0x400);
        le32_write(o + 64, 0xdeadbeef);                         /* CheckSum */
        le16_write(o + 68, PE_SUBSYSTEM_EFI_APPLICATION);
        le32_write(o + 108, PE_DIR_MAX);

        for (size_t i = 0; i < n; i++) {
                uint8_t *h = p.data + p.table + i * sizeof(PeSectionHeader);
                strncpy((char *) h, secs[i].name, PE_SECTION_NAME_MAX);
                le32_write(h + 8, secs[i].vsize);
                le32_write(h + 12, secs[i].vaddr);
                le32_write(h + 16, secs[i].raw_size);
                le32_write(h + 20, secs[i].raw_off);
                le32_write(h + 36, secs[i].flags ? secs[i].flags : 0x40000040u);
                if (secs[i].raw_size && secs[i].raw_off + secs[i].raw_size <= size)
                        memset(p.data + secs[i].raw_off, secs[i].fill, MIN(secs[i].vsize ? secs[i].vsize : secs[i].raw_size, secs[i].raw_size));
        }
        return p;
}

/* The default two-section image. */
static const SynthSection synth_default_sections[] = {
        { ".text", 0x1000, 0x180, 0x400, 0x200, 0x60000020u, 0xc3 },
        { ".data", 0x2000, 0x300, 0x600, 0x400, 0xc0000040u, 0x5a },
};

static inline SynthPe synth_default(void) {
        return synth_pe(synth_default_sections, 2, 0, 0, 0, 0);
}

/* Section header field offsets, for poking. */
#define SH_VSIZE   8
#define SH_VADDR   12
#define SH_RAWSIZE 16
#define SH_RAWOFF  20
