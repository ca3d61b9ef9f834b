/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

EFI_SYSTEM_TABLE *ST;
EFI_BOOT_SERVICES *BS;
EFI_RUNTIME_SERVICES *RT;

/* no_builtin keeps clang from turning these loops back into calls to
 * themselves. */
__attribute__((no_builtin("memcpy")))
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
        uint8_t *d = dst;
        const uint8_t *s = src;
        while (n--)
                *d++ = *s++;
        return dst;
}

__attribute__((no_builtin("memmove")))
void *memmove(void *dst, const void *src, size_t n) {
        uint8_t *d = dst;
        const uint8_t *s = src;
        if (d < s)
                while (n--)
                        *d++ = *s++;
        else
                while (n--)
                        d[n] = s[n];
        return dst;
}

__attribute__((no_builtin("memset")))
void *memset(void *p, int c, size_t n) {
        uint8_t *d = p;
        while (n--)
                *d++ = (uint8_t) c;
        return p;
}

__attribute__((no_builtin("memcmp")))
int memcmp(const void *a, const void *b, size_t n) {
        const uint8_t *x = a, *y = b;
        for (; n > 0; n--, x++, y++)
                if (*x != *y)
                        return *x < *y ? -1 : 1;
        return 0;
}

void *xmalloc(size_t size) {
        void *p = NULL;
        if (size == 0)
                size = 1;
        if (BS->AllocatePool(EfiLoaderData, size, &p) != EFI_SUCCESS)
                return NULL;
        return p;
}

void *xmalloc0(size_t size) {
        void *p = xmalloc(size);
        if (p)
                memset(p, 0, size);
        return p;
}

void free(void *p) {
        if (p)
                (void) BS->FreePool(p);
}

bool guid_eq(const EFI_GUID *a, const EFI_GUID *b) {
        return memcmp(a, b, sizeof(EFI_GUID)) == 0;
}

size_t strlen16(const CHAR16 *s) {
        size_t n = 0;
        if (s)
                while (s[n])
                        n++;
        return n;
}

size_t strlen8(const char *s) {
        size_t n = 0;
        if (s)
                while (s[n])
                        n++;
        return n;
}

bool streq8(const char *a, const char *b) {
        for (; *a && *a == *b; a++, b++)
                ;
        return *a == *b;
}

EFI_STATUS cmdline_append(CHAR16 **cmdline, const CHAR16 *extra, bool trim) {
        size_t elen = strlen16(extra), clen = *cmdline ? strlen16(*cmdline) : 0;

        while (trim && clen > 0 && (*cmdline)[clen - 1] <= 0x20)
                clen--;
        CHAR16 *joined = xmalloc((clen + 1 + elen + 1) * sizeof(CHAR16));
        if (!joined)
                return EFI_OUT_OF_RESOURCES;
        if (clen > 0) {
                memcpy(joined, *cmdline, clen * sizeof(CHAR16));
                joined[clen++] = L' ';
        }
        memcpy(joined + clen, extra, (elen + 1) * sizeof(CHAR16));
        free(*cmdline);
        *cmdline = joined;
        return EFI_SUCCESS;
}

CHAR16 *utf8_to_utf16(const char *s, size_t n) {
        size_t alloc;
        /* Never more UTF-16 units than input bytes, plus the NUL. */
        if (!ADD_OK(n, 1, &alloc) || !MUL_OK(alloc, sizeof(CHAR16), &alloc))
                return NULL;
        CHAR16 *out = xmalloc(alloc);
        if (!out)
                return NULL;

        const uint8_t *p = (const uint8_t *) s;
        size_t i = 0, o = 0;
        while (i < n && p[i]) {
                uint32_t c = p[i], min;
                size_t len;
                if (c < 0x80) {
                        len = 1; min = 0;
                } else if ((c & 0xe0) == 0xc0) {
                        len = 2; c &= 0x1f; min = 0x80;
                } else if ((c & 0xf0) == 0xe0) {
                        len = 3; c &= 0x0f; min = 0x800;
                } else {
                        /* 4-byte sequences are outside the BMP; invalid lead bytes */
                        len = (c & 0xf8) == 0xf0 ? 4 : 1;
                        c = 0xfffd; min = 0;
                }
                if (len > n - i) {
                        out[o++] = 0xfffd;
                        break;
                }
                bool ok = c != 0xfffd || len == 1;
                for (size_t k = 1; k < len; k++) {
                        if ((p[i + k] & 0xc0) != 0x80) {
                                ok = false;
                                len = k;
                                break;
                        }
                        c = (c << 6) | (p[i + k] & 0x3f);
                }
                if (!ok || c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0xffff)
                        c = 0xfffd;
                out[o++] = (CHAR16) c;
                i += len;
        }
        out[o] = 0;
        return out;
}

static void out16(const CHAR16 *s) {
        if (ST && ST->ConOut)
                (void) ST->ConOut->OutputString(ST->ConOut, s);
}

void log_line(const CHAR16 *msg) {
        out16(L"ukit-stub: ");
        out16(msg);
        out16(L"\r\n");
}

EFI_STATUS log_error(EFI_STATUS status, const CHAR16 *msg) {
        uint64_t v = status & ~EFI_ERROR_BIT;

        /* Status codes are printed as the spec's decimal error number,
         * "error 14" = EFI_NOT_FOUND, which is what users look up. */
        CHAR16 dec[21];
        size_t d = sizeof(dec) / sizeof(dec[0]) - 1;
        dec[d] = 0;
        do {
                dec[--d] = (CHAR16) (L'0' + v % 10);
                v /= 10;
        } while (v && d > 0);

        out16(L"ukit-stub: ");
        out16(msg);
        out16(EFI_ERROR(status) ? L": error " : L": warning ");
        out16(dec + d);
        out16(L"\r\n");
        return status;
}

EFI_STATUS efivar_get_raw(const EFI_GUID *vendor, const CHAR16 *name, void **ret_data, size_t *ret_size) {
        uint64_t size = 0;
        EFI_STATUS err = RT->GetVariable(name, vendor, NULL, &size, NULL);
        if (err != EFI_BUFFER_TOO_SMALL)
                return err == EFI_SUCCESS ? EFI_SUCCESS : err;
        if (!ret_data) {
                if (ret_size)
                        *ret_size = size;
                return EFI_SUCCESS;
        }
        void *buf = xmalloc(size);
        if (!buf)
                return EFI_OUT_OF_RESOURCES;
        err = RT->GetVariable(name, vendor, NULL, &size, buf);
        if (err != EFI_SUCCESS) {
                free(buf);
                return err;
        }
        *ret_data = buf;
        if (ret_size)
                *ret_size = size;
        return EFI_SUCCESS;
}

EFI_STATUS efivar_set_raw(const EFI_GUID *vendor, const CHAR16 *name, const void *data, size_t size, uint32_t attrs) {
        return RT->SetVariable(name, vendor, attrs, size, data);
}

#define VOLATILE_ATTRS (EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)

EFI_STATUS efivar_set_str16(const EFI_GUID *vendor, const CHAR16 *name, const CHAR16 *value) {
        return efivar_set_raw(vendor, name, value, (strlen16(value) + 1) * sizeof(CHAR16), VOLATILE_ATTRS);
}

EFI_STATUS efivar_set_uint64_le(const EFI_GUID *vendor, const CHAR16 *name, uint64_t value) {
        uint8_t buf[8];
        le64_write(buf, value);
        return efivar_set_raw(vendor, name, buf, sizeof(buf), VOLATILE_ATTRS);
}

bool efivar_exists(const EFI_GUID *vendor, const CHAR16 *name) {
        uint64_t size = 0;
        EFI_STATUS err = RT->GetVariable(name, vendor, NULL, &size, NULL);
        return err == EFI_BUFFER_TOO_SMALL || err == EFI_SUCCESS;
}

static int efivar_get_u8(const CHAR16 *name) {
        static const EFI_GUID global = EFI_GLOBAL_VARIABLE_GUID;
        uint8_t v = 0;
        uint64_t size = sizeof(v);
        if (RT->GetVariable(name, &global, NULL, &size, &v) != EFI_SUCCESS || size != 1)
                return -1;
        return v;
}

bool secure_boot_enabled(void) {
        return efivar_get_u8(L"SecureBoot") == 1 && efivar_get_u8(L"SetupMode") != 1;
}

void guid_to_str16(const uint8_t g[16], CHAR16 buf[37]) {
        /* The first three fields are little-endian in the binary form. */
        static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
        static const char hexdigits[] = "0123456789ABCDEF";
        size_t o = 0;
        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        buf[o++] = L'-';
                uint8_t b = g[order[i]];
                buf[o++] = (CHAR16) hexdigits[b >> 4];
                buf[o++] = (CHAR16) hexdigits[b & 15];
        }
        buf[o] = 0;
}

size_t device_path_node_len(const EFI_DEVICE_PATH_PROTOCOL *dp) {
        return le16_read(dp->Length);
}
