/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BMP parser. Oracles: netpbm's ppmtobmp writes 1/4/8/24-bpp files from a
 * known picture (we compare the decoded pixels with that picture), and
 * GraphicsMagick decodes the 16/32-bpp / bitfields / V4 / V5 / top-down files
 * this test writes by hand (we compare with its PPM). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bmp.h"
#include "macro.h"
#include "test.h"

static char tmpdir[] = "/tmp/test-bmp-XXXXXX";

static bool have_oracles(void) {
        return system("command -v ppmtobmp >/dev/null && command -v gm >/dev/null") == 0;
}

static uint8_t *read_all(const char *path, size_t *ret_n) {
        FILE *f = fopen(path, "rb");
        CHECK(f);
        CHECK(fseek(f, 0, SEEK_END) == 0);
        long n = ftell(f);
        CHECK(n >= 0);
        rewind(f);
        /* Exactly n bytes, so ASan sees any read past the end. */
        uint8_t *b = malloc(n > 0 ? (size_t) n : 1);
        CHECK(b);
        CHECK(fread(b, 1, (size_t) n, f) == (size_t) n);
        fclose(f);
        *ret_n = (size_t) n;
        return b;
}

static void write_all(const char *path, const void *d, size_t n) {
        FILE *f = fopen(path, "wb");
        CHECK(f);
        CHECK(fwrite(d, 1, n, f) == n);
        CHECK(fclose(f) == 0);
}

/* Parse a binary PPM (P6, maxval 255). */
static uint8_t *read_ppm(const char *path, unsigned *w, unsigned *h) {
        size_t n;
        uint8_t *b = read_all(path, &n);
        unsigned maxval;
        int off = 0;
        CHECK(sscanf((char *) b, "P6 %u %u %u%n", w, h, &maxval, &off) == 3);
        CHECK(maxval == 255);
        off++;  /* the single whitespace after maxval */
        CHECK((size_t) off + 3ull * *w * *h == n);
        uint8_t *rgb = malloc(3ull * *w * *h);
        CHECK(rgb);
        memcpy(rgb, b + off, 3ull * *w * *h);
        free(b);
        return rgb;
}

/* Decode with our parser and compare with an RGB picture. */
/* |a - b| per 8-bit channel. */
static unsigned channel_diff(uint32_t a, uint32_t b) {
        unsigned m = 0;
        for (unsigned sh = 0; sh < 24; sh += 8) {
                int d = (int) ((a >> sh) & 0xff) - (int) ((b >> sh) & 0xff);
                m = MAX(m, (unsigned) (d < 0 ? -d : d));
        }
        return m;
}

/* tolerance: allowed difference per channel (for channels of fewer than 8
 * bits, where decoders differ in rounding when scaling to 8 bits). */
static void check_pixels_tol(const uint8_t *bmp, size_t n, const uint8_t *rgb, unsigned w, unsigned h,
                             unsigned tolerance) {
        BmpInfo info;
        CHECK_EQ_INT(bmp_parse(bmp, n, &info), BMP_OK);
        CHECK_EQ_INT(info.width, w);
        CHECK_EQ_INT(info.height, h);
        uint32_t *px = malloc(sizeof(uint32_t) * w * h);
        CHECK(px);
        CHECK_EQ_INT(bmp_to_bgrx(bmp, n, &info, px, (size_t) w * h), BMP_OK);
        for (size_t i = 0; i < (size_t) w * h; i++) {
                uint32_t want = ((uint32_t) rgb[3 * i] << 16) | ((uint32_t) rgb[3 * i + 1] << 8) | rgb[3 * i + 2];
                if (channel_diff(px[i], want) > tolerance || (px[i] >> 24) != 0) {
                        fprintf(stderr, "pixel %zu (x=%zu y=%zu): got %06x want %06x\n",
                                i, i % w, i / w, px[i], want);
                        CHECK(0);
                }
        }
        /* Output buffer too small. */
        CHECK_EQ_INT(bmp_to_bgrx(bmp, n, &info, px, (size_t) w * h - 1), BMP_E_ARGUMENT);
        free(px);

        /* Every truncation fails cleanly or still decodes (when only the
         * final row padding was cut). */
        for (size_t k = 0; k < n; k++) {
                uint8_t *t = malloc(k ? k : 1);
                CHECK(t);
                memcpy(t, bmp, k);
                BmpInfo ti;
                int r = bmp_parse(t, k, &ti);
                if (k < 54)
                        CHECK(r < 0);
                if (r == 0) {
                        uint32_t *p2 = malloc(sizeof(uint32_t) * w * h);
                        CHECK(p2);
                        CHECK_EQ_INT(bmp_to_bgrx(t, k, &ti, p2, (size_t) w * h), BMP_OK);
                        free(p2);
                }
                free(t);
        }
}

static void check_pixels(const uint8_t *bmp, size_t n, const uint8_t *rgb, unsigned w, unsigned h) {
        check_pixels_tol(bmp, n, rgb, w, h, 0);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void) {
        rnd_state = rnd_state * 1103515245u + 12345u;
        return rnd_state >> 8;
}

/* ppmtobmp round trip: picture with at most ncolors colours. */
static void test_ppmtobmp(unsigned w, unsigned h, unsigned bpp) {
        unsigned ncolors = bpp >= 24 ? 1u << 20 : 1u << bpp;
        uint8_t pal[256][3];
        for (unsigned i = 0; i < 256; i++)
                for (unsigned c = 0; c < 3; c++)
                        pal[i][c] = (uint8_t) rnd();
        uint8_t *rgb = malloc(3ull * w * h);
        CHECK(rgb);
        for (size_t i = 0; i < (size_t) w * h; i++) {
                unsigned idx = rnd() % MIN(ncolors, 256u);
                for (unsigned c = 0; c < 3; c++)
                        rgb[3 * i + c] = ncolors > 256 ? (uint8_t) rnd() : pal[idx][c];
        }

        char ppm[128], bmpf[128], cmd[512];
        snprintf(ppm, sizeof ppm, "%s/in.ppm", tmpdir);
        snprintf(bmpf, sizeof bmpf, "%s/out.bmp", tmpdir);
        FILE *f = fopen(ppm, "wb");
        CHECK(f);
        fprintf(f, "P6\n%u %u\n255\n", w, h);
        CHECK(fwrite(rgb, 3, (size_t) w * h, f) == (size_t) w * h);
        CHECK(fclose(f) == 0);
        snprintf(cmd, sizeof cmd, "ppmtobmp -bpp=%u %s >%s 2>/dev/null", bpp, ppm, bmpf);
        if (system(cmd) != 0) {
                fprintf(stderr, "failed: %s\n", cmd);
                CHECK(0);
        }

        size_t n;
        uint8_t *bmp = read_all(bmpf, &n);
        BmpInfo info;
        CHECK_EQ_INT(bmp_parse(bmp, n, &info), BMP_OK);
        CHECK_EQ_INT(info.bpp, bpp);
        CHECK(!info.top_down);
        check_pixels(bmp, n, rgb, w, h);
        free(bmp);
        free(rgb);
}

/* Hand-written 32/24-bpp file. hsize 40/108/124; masks (r,g,b) used when
 * bitfields; top_down writes a negative height. */
static uint8_t *make_bmp(unsigned hsize, unsigned bpp, bool bitfields, const uint32_t masks[3],
                         bool top_down, unsigned w, unsigned h, size_t *ret_n) {
        size_t extra = (bitfields && hsize == 40) ? 12 : 0;
        size_t off = 14 + hsize + extra;
        size_t row = ((size_t) w * bpp + 31) / 32 * 4;
        size_t n = off + row * h;
        uint8_t *b = calloc(1, n);
        CHECK(b);
        b[0] = 'B';
        b[1] = 'M';
        le32_write(b + 2, (uint32_t) n);
        le32_write(b + 10, (uint32_t) off);
        le32_write(b + 14, hsize);
        le32_write(b + 18, w);
        le32_write(b + 22, top_down ? (uint32_t) -(int32_t) h : h);
        le16_write(b + 26, 1);
        le16_write(b + 28, (uint16_t) bpp);
        le32_write(b + 30, bitfields ? 3 : 0);
        le32_write(b + 34, (uint32_t) (row * h));
        if (bitfields) {
                /* After a 40-byte header, or inside a V4/V5 one at +40: same offset. */
                uint8_t *m = b + 14 + 40;
                le32_write(m, masks[0]);
                le32_write(m + 4, masks[1]);
                le32_write(m + 8, masks[2]);
        }
        if (hsize >= 108)
                le32_write(b + 14 + 56, 0x73524742); /* "sRGB" colour space */
        for (size_t i = off; i < n; i++)
                b[i] = (uint8_t) rnd();
        *ret_n = n;
        return b;
}

/* GraphicsMagick's decode of oracle, compared with ours of bmp (the same
 * picture). netpbm 11's bmptopnm is no oracle here: it ignores 32-bpp colour
 * masks. */
static void check_vs_gm(const uint8_t *bmp, size_t n, const uint8_t *oracle, size_t on) {
        char in[128], out[128], cmd[512];
        snprintf(in, sizeof in, "%s/hand.bmp", tmpdir);
        snprintf(out, sizeof out, "%s/hand.ppm", tmpdir);
        write_all(in, oracle, on);
        snprintf(cmd, sizeof cmd, "gm convert %s ppm:%s 2>/dev/null", in, out);
        CHECK(system(cmd) == 0);
        unsigned w, h;
        uint8_t *rgb = read_ppm(out, &w, &h);
        check_pixels(bmp, n, rgb, w, h);
        free(rgb);
}

/* netpbm's decode of oracle, compared with ours of bmp, for 16 bpp:
 * GraphicsMagick scales 5/6-bit channels by 256/2^bits (31 -> 247), netpbm
 * to the full range but truncating, we round: allow 1 of difference. */
static void check_vs_netpbm16(const uint8_t *bmp, size_t n, const uint8_t *oracle, size_t on) {
        char in[128], out[128], cmd[512];
        snprintf(in, sizeof in, "%s/hand16.bmp", tmpdir);
        snprintf(out, sizeof out, "%s/hand16.ppm", tmpdir);
        write_all(in, oracle, on);
        snprintf(cmd, sizeof cmd, "bmptopnm %s 2>/dev/null | pnmdepth 255 >%s 2>/dev/null", in, out);
        CHECK(system(cmd) == 0);
        unsigned w, h;
        uint8_t *rgb = read_ppm(out, &w, &h);
        check_pixels_tol(bmp, n, rgb, w, h, 1);
        free(rgb);
}

/* The same picture stored bottom-up: GraphicsMagick refuses top-down files
 * with BI_BITFIELDS (which Microsoft's documentation allows). */
static uint8_t *to_bottom_up(const uint8_t *b, size_t n) {
        BmpInfo info;
        CHECK_EQ_INT(bmp_parse(b, n, &info), BMP_OK);
        uint8_t *c = malloc(n);
        CHECK(c);
        memcpy(c, b, n);
        le32_write(c + 22, info.height);
        for (uint32_t y = 0; y < info.height; y++)
                memcpy(c + info.pixel_offset + (size_t) y * info.row_size,
                       b + info.pixel_offset + (size_t) (info.height - 1 - y) * info.row_size, info.row_size);
        return c;
}

static void test_hand_written(void) {
        static const uint32_t std[3] = { 0x00ff0000, 0x0000ff00, 0x000000ff };
        static const uint32_t rgba[3] = { 0xff000000, 0x00ff0000, 0x0000ff00 };
        static const uint32_t bgr[3] = { 0x000000ff, 0x0000ff00, 0x00ff0000 };
        static const uint32_t m565[3] = { 0xf800, 0x07e0, 0x001f };
        static const uint32_t m555[3] = { 0x7c00, 0x03e0, 0x001f };
        static const uint32_t m444[3] = { 0x0f00, 0x00f0, 0x000f };
        size_t n;
        uint8_t *b;

        struct { unsigned hsize, bpp; bool bf; const uint32_t *m; bool td; unsigned w, h; } cases[] = {
                { 40, 32, false, NULL, false, 5, 3 },
                { 40, 32, false, NULL, true, 5, 3 },
                { 40, 24, false, NULL, true, 7, 4 },
                { 40, 32, true, std, false, 4, 4 },
                { 40, 32, true, bgr, true, 3, 5 },
                { 108, 32, true, rgba, false, 6, 2 },
                { 124, 32, true, std, true, 9, 3 },
                { 124, 32, false, NULL, false, 2, 2 },
                { 124, 24, false, NULL, false, 3, 3 },
                { 40, 16, false, NULL, false, 5, 3 },   /* X1R5G5B5 */
                { 40, 16, true, m565, false, 5, 3 },
                { 108, 16, true, m555, true, 3, 4 },
                { 124, 16, true, m444, false, 7, 2 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint32_t seed = rnd_state;
                b = make_bmp(cases[i].hsize, cases[i].bpp, cases[i].bf, cases[i].m, cases[i].td,
                             cases[i].w, cases[i].h, &n);
                if (cases[i].bpp == 16) {
                        /* netpbm 11 reads no masks after a 40-byte header:
                         * its oracle file has them in a V4 header. */
                        if (cases[i].hsize == 40 && cases[i].bf) {
                                size_t on;
                                rnd_state = seed;
                                uint8_t *o = make_bmp(108, 16, true, cases[i].m, cases[i].td,
                                                      cases[i].w, cases[i].h, &on);
                                check_vs_netpbm16(b, n, o, on);
                                free(o);
                        } else
                                check_vs_netpbm16(b, n, b, n);
                } else if (cases[i].td && cases[i].bf) {
                        uint8_t *o = to_bottom_up(b, n);
                        check_vs_gm(b, n, o, n);
                        free(o);
                } else
                        check_vs_gm(b, n, b, n);
                free(b);
        }

        /* 5-bit masks in 32 bpp: scaled to 8 bits (31 -> 255), by hand. */
        b = make_bmp(40, 32, true, m555, false, 1, 1, &n);
        le32_write(b + n - 4, (31u << 10) | (16u << 5) | 0u);
        BmpInfo info;
        uint32_t px;
        CHECK_EQ_INT(bmp_parse(b, n, &info), BMP_OK);
        CHECK_EQ_INT(bmp_to_bgrx(b, n, &info, &px, 1), BMP_OK);
        CHECK_EQ_INT(px, 0xff8400);     /* 16*255/31 rounded = 132 = 0x84 */
        free(b);
}

static void expect(const uint8_t *b, size_t n, int code) {
        BmpInfo info;
        CHECK_EQ_INT(bmp_parse(b, n, &info), code);
}

static void test_malformed(void) {
        static const uint32_t std[3] = { 0x00ff0000, 0x0000ff00, 0x000000ff };
        size_t n;
        uint8_t *b = make_bmp(40, 32, false, NULL, false, 4, 4, &n);
        expect(b, n, BMP_OK);

#define MUTATE(stmt, code)                                      \
        do {                                                    \
                uint8_t *c = malloc(n);                         \
                CHECK(c);                                       \
                memcpy(c, b, n);                                \
                stmt;                                           \
                expect(c, n, code);                             \
                free(c);                                        \
        } while (0)

        MUTATE(c[1] = 'X', BMP_E_MAGIC);
        MUTATE(le32_write(c + 14, 12), BMP_E_HEADER);           /* BITMAPCOREHEADER */
        MUTATE(le32_write(c + 14, 64), BMP_E_HEADER);
        MUTATE(le32_write(c + 14, 0xffffffff), BMP_E_HEADER);
        MUTATE(le16_write(c + 26, 2), BMP_E_HEADER);            /* planes */
        MUTATE(le16_write(c + 28, 2), BMP_E_BPP);
        MUTATE(le16_write(c + 28, 64), BMP_E_BPP);
        MUTATE(le16_write(c + 28, 0), BMP_E_BPP);
        MUTATE(le32_write(c + 30, 1), BMP_E_COMPRESSION);       /* RLE8 */
        MUTATE(le32_write(c + 30, 4), BMP_E_COMPRESSION);       /* JPEG */
        MUTATE(le32_write(c + 18, 0), BMP_E_DIMENSIONS);
        MUTATE(le32_write(c + 18, (uint32_t) -4), BMP_E_DIMENSIONS);
        MUTATE(le32_write(c + 22, 0), BMP_E_DIMENSIONS);
        MUTATE(le32_write(c + 22, 0x80000000u), BMP_E_DIMENSIONS);
        MUTATE(le32_write(c + 18, BMP_DIM_MAX + 1), BMP_E_DIMENSIONS);
        MUTATE((le32_write(c + 18, BMP_DIM_MAX), le32_write(c + 22, BMP_DIM_MAX)), BMP_E_DIMENSIONS);
        MUTATE(le32_write(c + 18, 5), BMP_E_PIXELS);            /* wider than the data */
        MUTATE(le32_write(c + 10, (uint32_t) n), BMP_E_PIXELS);
        MUTATE(le32_write(c + 10, 0xfffffff0u), BMP_E_PIXELS);
        MUTATE(le32_write(c + 10, 20), BMP_E_PIXELS);           /* pixels inside the header */
        free(b);

        /* Bad bitfields. */
        static const uint32_t overlap[3] = { 0x00ff0000, 0x00ffff00, 0x000000ff };
        static const uint32_t holes[3] = { 0x00ff0000, 0x0000f0f0, 0x0000000f };
        static const uint32_t zero[3] = { 0x00ff0000, 0, 0x000000ff };
        b = make_bmp(40, 32, true, overlap, false, 2, 2, &n);
        expect(b, n, BMP_E_COMPRESSION);
        free(b);
        b = make_bmp(108, 32, true, holes, false, 2, 2, &n);
        expect(b, n, BMP_E_COMPRESSION);
        free(b);
        b = make_bmp(124, 32, true, zero, false, 2, 2, &n);
        expect(b, n, BMP_E_COMPRESSION);
        free(b);
        b = make_bmp(40, 24, true, std, false, 2, 2, &n);     /* bitfields need 16 or 32 bpp */
        expect(b, n, BMP_E_COMPRESSION);
        free(b);
        b = make_bmp(40, 16, true, std, false, 2, 2, &n);     /* masks beyond 16 bits */
        expect(b, n, BMP_E_COMPRESSION);
        free(b);

        /* Palette problems, on an 8-bpp file: 2x1 pixels, 2 palette entries. */
        uint8_t p[14 + 40 + 8 + 4] = { 'B', 'M' };
        le32_write(p + 10, 14 + 40 + 8);
        le32_write(p + 14, 40);
        le32_write(p + 18, 2);
        le32_write(p + 22, 1);
        le16_write(p + 26, 1);
        le16_write(p + 28, 8);
        le32_write(p + 46, 2);                  /* colours used */
        p[54] = 0x11; p[55] = 0x22; p[56] = 0x33;   /* entry 0: B G R */
        p[58] = 0x44; p[59] = 0x55; p[60] = 0x66;   /* entry 1 */
        p[62] = 1; p[63] = 0;                       /* indices */
        BmpInfo info;
        uint32_t px[2];
        CHECK_EQ_INT(bmp_parse(p, sizeof p, &info), BMP_OK);
        CHECK_EQ_INT(info.palette_entries, 2);
        CHECK_EQ_INT(bmp_to_bgrx(p, sizeof p, &info, px, 2), BMP_OK);
        CHECK_EQ_INT(px[0], 0x665544);
        CHECK_EQ_INT(px[1], 0x332211);
        p[62] = 2;                                  /* index beyond the palette */
        CHECK_EQ_INT(bmp_to_bgrx(p, sizeof p, &info, px, 2), BMP_E_PALETTE);
        p[62] = 1;
        le32_write(p + 46, 257);                    /* more entries than 8 bpp allows */
        CHECK_EQ_INT(bmp_parse(p, sizeof p, &info), BMP_E_PALETTE);
        le32_write(p + 46, 3);                      /* palette runs into the pixels */
        CHECK_EQ_INT(bmp_parse(p, sizeof p, &info), BMP_E_PALETTE);
        le32_write(p + 46, 0);                      /* 0 = 256 entries: beyond the file */
        CHECK_EQ_INT(bmp_parse(p, sizeof p, &info), BMP_E_TRUNCATED);
        le32_write(p + 46, 2);
        /* The info must match the data. */
        CHECK_EQ_INT(bmp_parse(p, sizeof p, &info), BMP_OK);
        info.width = 1;
        CHECK_EQ_INT(bmp_to_bgrx(p, sizeof p, &info, px, 2), BMP_E_ARGUMENT);

        CHECK_EQ_INT(bmp_parse(NULL, 0, &info), BMP_E_ARGUMENT);
        CHECK_EQ_INT(bmp_parse("B", 1, &info), BMP_E_TRUNCATED);
        CHECK_EQ_INT(bmp_parse("PNG....", 7, &info), BMP_E_MAGIC);
        CHECK(strlen(bmp_error_string(BMP_E_PIXELS)) > 0);
        CHECK(strlen(bmp_error_string(-1000)) > 0);
}

int main(void) {
        if (!have_oracles()) {
                printf("SKIP: netpbm (ppmtobmp) or graphicsmagick (gm) not installed\n");
                return 77;
        }
        CHECK(mkdtemp(tmpdir));

        static const unsigned widths[] = { 1, 2, 3, 5, 7, 8, 9, 17, 31, 33 };
        static const unsigned bpps[] = { 1, 4, 8, 24 };
        for (size_t b = 0; b < ELEMENTSOF(bpps); b++)
                for (size_t i = 0; i < ELEMENTSOF(widths); i++)
                        test_ppmtobmp(widths[i], 1 + (unsigned) (i % 4), bpps[b]);
        test_ppmtobmp(64, 48, 8);

        test_hand_written();
        test_malformed();

        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        CHECK(system(cmd) == 0);
        TEST_DONE();
}
