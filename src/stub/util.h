/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the stub: memory, UTF-16 strings, console logging, variables.
 * Everything here runs in boot services context. */

#include "efi.h"
#include "proto/device-path.h"

extern EFI_SYSTEM_TABLE *ST;
extern EFI_BOOT_SERVICES *BS;
extern EFI_RUNTIME_SERVICES *RT;

/* The compiler may emit calls to these even in freestanding code. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Pool allocations (EfiLoaderData); NULL on failure or size overflow. */
void *xmalloc(size_t size);
void *xmalloc0(size_t size);
void free(void *p);
static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

bool guid_eq(const EFI_GUID *a, const EFI_GUID *b);

size_t strlen16(const CHAR16 *s);
size_t strlen8(const char *s);
bool streq8(const char *a, const char *b);

/* Converts n bytes of UTF-8 to a freshly allocated, NUL-terminated UTF-16
 * string. Invalid sequences and characters outside the BMP become U+FFFD,
 * stray NUL bytes end the string. Returns NULL on allocation failure. */
CHAR16 *utf8_to_utf16(const char *s, size_t n);

/* Replaces *cmdline (may be NULL) by a new string, "*cmdline extra" (just
 * extra when *cmdline is empty). With trim, trailing white space and
 * control characters of *cmdline go first: a .cmdline made from a file
 * usually ends in a newline, joined with one space, not "\n ". The old
 * string is freed only on success. */
EFI_STATUS cmdline_append(CHAR16 **cmdline, const CHAR16 *extra, bool trim);

/* Writes a line "ukit-stub: MSG" to the console. */
void log_line(const CHAR16 *msg);
/* Writes "ukit-stub: MSG: <status>" and returns status, so error paths are
 * one line: return log_error(err, L"..."); */
EFI_STATUS log_error(EFI_STATUS status, const CHAR16 *msg);

/* EFI variables. set functions write volatile boot+runtime variables. */
EFI_STATUS efivar_get_raw(const EFI_GUID *vendor, const CHAR16 *name, void **ret_data, size_t *ret_size);
EFI_STATUS efivar_set_raw(const EFI_GUID *vendor, const CHAR16 *name, const void *data, size_t size, uint32_t attrs);
EFI_STATUS efivar_set_str16(const EFI_GUID *vendor, const CHAR16 *name, const CHAR16 *value);
EFI_STATUS efivar_set_uint64_le(const EFI_GUID *vendor, const CHAR16 *name, uint64_t value);
bool efivar_exists(const EFI_GUID *vendor, const CHAR16 *name);

/* True if the firmware is enforcing Secure Boot (SecureBoot == 1 and not in
 * setup mode). */
bool secure_boot_enabled(void);

/* Formats g as upper-case 8-4-4-4-12 text into buf (37 CHAR16s), the form
 * systemd-stub 252 writes to LoaderDevicePartUUID. */
void guid_to_str16(const uint8_t g[16], CHAR16 buf[37]);

/* Device path helpers. */
size_t device_path_node_len(const EFI_DEVICE_PATH_PROTOCOL *dp);
#define DEVICE_PATH_END_INIT \
        { DEVICE_PATH_TYPE_END, DEVICE_PATH_SUBTYPE_END_ENTIRE, { 4, 0 } }
