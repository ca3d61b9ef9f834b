/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .splash BMP, centred on the GOP screen. Decoding is the shared,
 * host-fuzzed bmp.c; here we only bound the size against the screen and
 * hand the pixels to Blt(), which copes with every framebuffer format. */

#include "bmp.h"
#include "proto/graphics-output.h"
#include "stub.h"
#include "util.h"

EFI_STATUS splash_show(const void *data, size_t size) {
        static const EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
        EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
        BmpInfo info;
        size_t n_pixels, bytes;
        int r;

        if (BS->LocateProtocol(&gop_guid, NULL, (void **) &gop) != EFI_SUCCESS || !gop || !gop->Mode ||
            !gop->Mode->Info)
                return EFI_UNSUPPORTED;     /* headless: nothing to show, not an error */

        r = bmp_parse(data, size, &info);
        if (r < 0) {
                _cleanup_free_ CHAR16 *msg = utf8_to_utf16(bmp_error_string(r), 80);
                return log_error(EFI_UNSUPPORTED, msg ? msg : L"bad splash image");
        }

        uint32_t sw = gop->Mode->Info->HorizontalResolution, sh = gop->Mode->Info->VerticalResolution;
        if (info.width > sw || info.height > sh)
                return log_error(EFI_UNSUPPORTED, L"splash image larger than the screen");

        if (!MUL_OK((size_t) info.width, (size_t) info.height, &n_pixels) ||
            !MUL_OK(n_pixels, sizeof(EFI_GRAPHICS_OUTPUT_BLT_PIXEL), &bytes))
                return EFI_OUT_OF_RESOURCES;
        _cleanup_free_ uint32_t *pixels = xmalloc(bytes);
        if (!pixels)
                return log_error(EFI_OUT_OF_RESOURCES, L"no memory for the splash image");
        r = bmp_to_bgrx(data, size, &info, pixels, n_pixels);
        if (r < 0)
                return log_error(EFI_UNSUPPORTED, L"cannot decode the splash image");

        return gop->Blt(gop, pixels, EfiBltBufferToVideo, 0, 0, (sw - info.width) / 2, (sh - info.height) / 2,
                        info.width, info.height, 0);
}
