/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Windows BMP parser for the splash screen. Freestanding (used by the stub
 * and by `ukit build --splash`): no libc.
 *
 * Supported: BITMAPFILEHEADER + BITMAPINFOHEADER (40 bytes) or the V4 (108)
 * / V5 (124) headers (and the rare V2/V3, 52/56); 1, 4, 8 bpp with
 * palette, 24 bpp, and 16 / 32 bpp with BI_RGB (X1R5G5B5 / X8R8G8B8) or
 * BI_BITFIELDS (any contiguous, non-overlapping channel masks, scaled to
 * 8 bits); bottom-up (positive height) and top-down (negative height), as
 * systemd-stub accepts. No compression (RLE, JPEG, PNG are refused).
 *
 * Every size and offset is checked: rows are padded to 4 bytes, the pixel
 * array must lie within the data, the palette must fit between the info
 * header and the pixel array, and width/height are bounded by BMP_DIM_MAX
 * and BMP_PIXELS_MAX. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BMP_DIM_MAX     16384u                  /* per side */
#define BMP_PIXELS_MAX  (8192u * 8192u)         /* width * height */

enum {
        BMP_OK              = 0,
        BMP_E_TRUNCATED     = -1,   /* shorter than its headers say */
        BMP_E_MAGIC         = -2,   /* not "BM" */
        BMP_E_HEADER        = -3,   /* unknown info header size, planes != 1 */
        BMP_E_DIMENSIONS    = -4,   /* zero or too large width/height */
        BMP_E_BPP           = -5,   /* unsupported bits per pixel */
        BMP_E_COMPRESSION   = -6,   /* unsupported compression / bad bitfields */
        BMP_E_PALETTE       = -7,   /* palette missing, too large or out of bounds */
        BMP_E_PIXELS        = -8,   /* pixel array out of bounds */
        BMP_E_ARGUMENT      = -9,   /* output buffer too small, NULL arguments */
};

typedef struct BmpInfo {
        uint32_t width, height;
        uint16_t bpp;
        bool top_down;

        uint32_t compression;           /* BI_RGB (0) or BI_BITFIELDS (3) */
        uint32_t pixel_offset;          /* file offset of the pixel array */
        uint32_t row_size;              /* bytes per row incl. padding to 4 */
        uint32_t palette_offset;        /* file offset of the palette (<= 8 bpp) */
        uint32_t palette_entries;       /* number of 4-byte BGRX entries */
        uint32_t mask_r, mask_g, mask_b; /* for 16/32 bpp (BI_RGB: X1R5G5B5 / 00RRGGBB) */
} BmpInfo;

/* Parse and validate the headers. Returns BMP_OK or a BMP_E_* code;
 * *ret is only written on success. */
int bmp_parse(const void *data, size_t size, BmpInfo *ret);

/* Convert the pixels to a top-down array of width*height 32-bit values
 * 0x00RRGGBB (i.e. bytes B,G,R,X in memory on little-endian, which is
 * EFI_GRAPHICS_OUTPUT_BLT_PIXEL). n_pixels must be >= width*height.
 * Palette indices beyond the palette are an error (BMP_E_PALETTE). */
int bmp_to_bgrx(const void *data, size_t size, const BmpInfo *info, uint32_t *pixels, size_t n_pixels);

/* Static English description of a BMP_E_* code. */
const char *bmp_error_string(int code);
