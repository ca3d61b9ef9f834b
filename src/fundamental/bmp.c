/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bmp.h"
#include "macro.h"

/* Layout (Microsoft "Bitmap Storage", BITMAPFILEHEADER/BITMAPINFOHEADER/
 * BITMAPV4HEADER/BITMAPV5HEADER), all little-endian:
 *   file header, 14 bytes: "BM", u32 file size, 2x u16 reserved, u32 pixel offset
 *   info header at 14:     u32 header size, s32 width, s32 height, u16 planes,
 *                          u16 bpp, u32 compression, u32 image size,
 *                          s32 x/y resolution, u32 colours used, u32 important
 *   V2+ (>= 52 bytes) carry the R/G/B masks at +40 (V3+ also alpha at +52);
 *   a 40-byte header with BI_BITFIELDS is followed by the three masks.
 *   The palette (4 bytes per entry: B, G, R, reserved) follows the header
 *   (and the masks). */

#define FILE_HEADER_SIZE        14u
#define INFO_HEADER_SIZE        40u
#define V2_HEADER_SIZE          52u
#define V3_HEADER_SIZE          56u
#define V4_HEADER_SIZE          108u
#define V5_HEADER_SIZE          124u
#define BI_RGB                  0u
#define BI_BITFIELDS            3u

const char *bmp_error_string(int code) {
        switch (code) {
        case BMP_OK:                return "valid";
        case BMP_E_TRUNCATED:       return "file is truncated";
        case BMP_E_MAGIC:           return "not a BMP file (no \"BM\" signature)";
        case BMP_E_HEADER:          return "unsupported or malformed BMP header";
        case BMP_E_DIMENSIONS:      return "image width or height is zero or too large";
        case BMP_E_BPP:             return "unsupported bits per pixel (1, 4, 8, 16, 24, 32 are supported)";
        case BMP_E_COMPRESSION:     return "unsupported compression or bad colour masks";
        case BMP_E_PALETTE:         return "palette missing, too large or out of bounds";
        case BMP_E_PIXELS:          return "pixel data out of bounds";
        case BMP_E_ARGUMENT:        return "invalid argument or output buffer too small";
        default:                    return "unknown BMP error";
        }
}

/* A usable channel mask: non-empty and contiguous. */
static bool mask_ok(uint32_t m) {
        if (m == 0)
                return false;
        while (!(m & 1))
                m >>= 1;
        return (m & (m + 1)) == 0;
}

/* The channel masks: implied for BI_RGB (16 and 32 bpp), read for
 * BI_BITFIELDS. *ret_mask_end is where the palette may start. */
static int parse_masks(const uint8_t *d, size_t size, uint32_t hsize, uint32_t compression, uint64_t header_end,
                       BmpInfo *info, uint64_t *ret_mask_end) {
        uint16_t bpp = info->bpp;
        uint64_t mask_end = header_end;

        if (compression == BI_RGB) {
                if (bpp == 32) {
                        info->mask_r = 0x00ff0000u;
                        info->mask_g = 0x0000ff00u;
                        info->mask_b = 0x000000ffu;
                } else if (bpp == 16) {
                        /* 16 bpp without masks is X1R5G5B5. */
                        info->mask_r = 0x7c00u;
                        info->mask_g = 0x03e0u;
                        info->mask_b = 0x001fu;
                }
        } else if (compression == BI_BITFIELDS && (bpp == 16 || bpp == 32)) {
                const uint8_t *m;
                if (hsize == INFO_HEADER_SIZE) {
                        /* The masks follow the 40-byte header. */
                        mask_end = header_end + 12;
                        if (mask_end > size)
                                return BMP_E_TRUNCATED;
                        m = d + header_end;
                } else
                        m = d + FILE_HEADER_SIZE + INFO_HEADER_SIZE;
                info->mask_r = le32_read(m);
                info->mask_g = le32_read(m + 4);
                info->mask_b = le32_read(m + 8);
                if (!mask_ok(info->mask_r) || !mask_ok(info->mask_g) || !mask_ok(info->mask_b) ||
                    (info->mask_r & info->mask_g) || (info->mask_r & info->mask_b) || (info->mask_g & info->mask_b))
                        return BMP_E_COMPRESSION;
                if (bpp == 16 && ((info->mask_r | info->mask_g | info->mask_b) >> 16) != 0)
                        return BMP_E_COMPRESSION;       /* mask outside the 16-bit pixel */
        } else
                return BMP_E_COMPRESSION;       /* RLE, JPEG, PNG, bitfields for < 32 bpp */
        info->compression = compression;
        *ret_mask_end = mask_end;
        return BMP_OK;
}

/* The palette (up to 8 bpp) lies between the headers and the pixels. */
static int parse_palette(size_t size, uint32_t clr_used, uint32_t pixel_offset, uint64_t mask_end, BmpInfo *info) {
        if (info->bpp <= 8) {
                uint32_t max_entries = 1u << info->bpp;
                uint64_t palette_end;

                info->palette_entries = clr_used == 0 ? max_entries : clr_used;
                if (info->palette_entries > max_entries)
                        return BMP_E_PALETTE;
                info->palette_offset = (uint32_t) mask_end;
                palette_end = mask_end + 4ull * info->palette_entries;
                if (palette_end > size)
                        return BMP_E_TRUNCATED;
                if (palette_end > pixel_offset)
                        return BMP_E_PALETTE;   /* palette overlaps the pixels */
        } else if (mask_end > pixel_offset)
                return BMP_E_PIXELS;            /* pixels overlap the headers */
        return BMP_OK;
}

/* The pixel rows fit in the file. */
static int parse_pixels(size_t size, uint32_t pixel_offset, BmpInfo *info) {
        uint64_t row_size, row_bytes_last, pixels_end;

        /* Rows are padded to a multiple of 4 bytes. The last row need only
         * hold its pixels, since some writers drop the final padding. */
        row_size = ((uint64_t) info->width * info->bpp + 31) / 32 * 4;
        row_bytes_last = ((uint64_t) info->width * info->bpp + 7) / 8;
        pixels_end = pixel_offset + row_size * (info->height - 1) + row_bytes_last;
        if (pixels_end > size)
                return BMP_E_PIXELS;
        if (row_size > UINT32_MAX)
                return BMP_E_DIMENSIONS;
        info->row_size = (uint32_t) row_size;
        info->pixel_offset = pixel_offset;
        return BMP_OK;
}

int bmp_parse(const void *data, size_t size, BmpInfo *ret) {
        const uint8_t *d = data;
        uint32_t hsize, compression, clr_used, pixel_offset;
        int32_t w, h;
        uint16_t planes, bpp;
        uint64_t mask_end, header_end;
        BmpInfo info = {};
        int r;

        if (!data || !ret)
                return BMP_E_ARGUMENT;
        if (size < 2)
                return BMP_E_TRUNCATED;
        if (d[0] != 'B' || d[1] != 'M')
                return BMP_E_MAGIC;
        if (size < FILE_HEADER_SIZE + 4)
                return BMP_E_TRUNCATED;

        pixel_offset = le32_read(d + 10);
        hsize = le32_read(d + 14);
        if (hsize != INFO_HEADER_SIZE && hsize != V2_HEADER_SIZE && hsize != V3_HEADER_SIZE &&
            hsize != V4_HEADER_SIZE && hsize != V5_HEADER_SIZE)
                return BMP_E_HEADER;    /* BITMAPCOREHEADER (12) and OS/2 variants */
        header_end = FILE_HEADER_SIZE + (uint64_t) hsize;
        if (header_end > size)
                return BMP_E_TRUNCATED;

        w = (int32_t) le32_read(d + 18);
        h = (int32_t) le32_read(d + 22);
        planes = le16_read(d + 26);
        bpp = le16_read(d + 28);
        compression = le32_read(d + 30);
        clr_used = le32_read(d + 46);

        if (planes != 1)
                return BMP_E_HEADER;
        /* INT32_MIN has no positive counterpart; reject before negating. */
        if (w <= 0 || h == 0 || h == INT32_MIN)
                return BMP_E_DIMENSIONS;
        info.top_down = h < 0;
        info.width = (uint32_t) w;
        info.height = (uint32_t) (h < 0 ? -h : h);
        if (info.width > BMP_DIM_MAX || info.height > BMP_DIM_MAX ||
            (uint64_t) info.width * info.height > BMP_PIXELS_MAX)
                return BMP_E_DIMENSIONS;

        if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
                return BMP_E_BPP;
        info.bpp = bpp;

        r = parse_masks(d, size, hsize, compression, header_end, &info, &mask_end);
        if (r != BMP_OK)
                return r;
        r = parse_palette(size, clr_used, pixel_offset, mask_end, &info);
        if (r != BMP_OK)
                return r;
        r = parse_pixels(size, pixel_offset, &info);
        if (r != BMP_OK)
                return r;

        *ret = info;
        return BMP_OK;
}

/* Scale the masked channel to 8 bits (a 5-bit channel 31 becomes 255). */
static uint32_t channel(uint32_t px, uint32_t mask) {
        unsigned shift = 0, bits = 0;
        uint32_t v;

        while (!((mask >> shift) & 1))
                shift++;
        while (shift + bits < 32 && ((mask >> (shift + bits)) & 1))
                bits++;
        v = (px & mask) >> shift;
        if (bits >= 8)
                return v >> (bits - 8);
        return (v * 255u + ((1u << bits) - 1) / 2) / ((1u << bits) - 1);
}

int bmp_to_bgrx(const void *data, size_t size, const BmpInfo *info, uint32_t *pixels, size_t n_pixels) {
        const uint8_t *d = data;
        BmpInfo v;
        int r;

        if (!data || !info || !pixels)
                return BMP_E_ARGUMENT;
        /* Never trust the caller's info to match the data: re-derive it. */
        r = bmp_parse(data, size, &v);
        if (r < 0)
                return r;
        if (v.width != info->width || v.height != info->height || v.bpp != info->bpp)
                return BMP_E_ARGUMENT;
        if ((uint64_t) v.width * v.height > n_pixels)
                return BMP_E_ARGUMENT;

        for (uint32_t y = 0; y < v.height; y++) {
                /* Bottom-up files store the last output row first. */
                uint32_t src_row = v.top_down ? y : v.height - 1 - y;
                const uint8_t *row = d + v.pixel_offset + (size_t) src_row * v.row_size;
                uint32_t *out = pixels + (size_t) y * v.width;

                for (uint32_t x = 0; x < v.width; x++) {
                        uint32_t px;

                        switch (v.bpp) {
                        case 1:
                        case 4:
                        case 8: {
                                unsigned per_byte = 8u / v.bpp;
                                uint8_t byte = row[x / per_byte];
                                unsigned shift = 8u - v.bpp * (x % per_byte + 1);
                                uint32_t idx = (byte >> shift) & ((1u << v.bpp) - 1);
                                const uint8_t *pal;

                                if (idx >= v.palette_entries)
                                        return BMP_E_PALETTE;
                                pal = d + v.palette_offset + 4 * idx;
                                px = (uint32_t) pal[0] | ((uint32_t) pal[1] << 8) | ((uint32_t) pal[2] << 16);
                                break;
                        }
                        case 16: {
                                uint32_t raw = le16_read(row + 2 * (size_t) x);
                                px = channel(raw, v.mask_b) | (channel(raw, v.mask_g) << 8) |
                                     (channel(raw, v.mask_r) << 16);
                                break;
                        }
                        case 24: {
                                const uint8_t *p = row + 3 * (size_t) x;
                                px = (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16);
                                break;
                        }
                        default: {
                                uint32_t raw = le32_read(row + 4 * (size_t) x);
                                px = channel(raw, v.mask_b) | (channel(raw, v.mask_g) << 8) |
                                     (channel(raw, v.mask_r) << 16);
                                break;
                        }
                        }
                        out[x] = px;
                }
        }
        return BMP_OK;
}
