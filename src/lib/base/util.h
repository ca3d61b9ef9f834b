/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host-side helpers: scope-based cleanup and small string utilities.
 * Library code returns -errno and never prints. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "macro.h"

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        func(*p);                       \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

/* Returns a pointer to the rest of s after prefix, or NULL. */
static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* Value of one hex digit (either case), or -1. */
static inline int unhexchar(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Parse s[0..n) as 1 to 9 decimal digits (nothing else) into *ret. */
static inline bool parse_digits_n(const char *s, size_t n, unsigned long *ret) {
        unsigned long v = 0;

        if (n == 0 || n > 9)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned long) (s[i] - '0');
        }
        *ret = v;
        return true;
}

/* Append l bytes of piece to the heap buffer *buf (*n bytes used, *cap
 * allocated), growing it so one byte stays free for the NUL. -ENOMEM leaves
 * *buf as it was (the caller still owns and frees it). */
int buf_append(char **buf, size_t *n, size_t *cap, const char *piece, size_t l);

/* mkdir -p: the missing parents with 0755, path itself with mode; an
 * existing directory (or anything else by that name) is not an error. */
int mkdir_p(const char *path, mode_t mode);

/* Lower-case hex digit of the low 4 bits of x. */
static inline char hexchar(unsigned x) {
        return "0123456789abcdef"[x & 15];
}

/* Lower-case hex of n bytes into out (2*n+1 bytes, NUL-terminated). */
void hex_encode_to(const void *data, size_t n, char *out);
/* The same, allocated; NULL when out of memory. */
char *hex_encode(const void *data, size_t n);

/* Decode exactly 2*n hex digits from s (len chars) into out; -EINVAL if
 * len != 2*n or a character is not a hex digit (out may be partly written). */
int unhexmem(const char *s, size_t len, void *out, size_t n);

/* Escaping untrusted text for a terminal: C0 controls, DEL, C1 controls
 * (U+0080..U+009F encoded in UTF-8) and bytes that are not valid UTF-8 are
 * written as "\xNN", so an image cannot send escape sequences (colours,
 * OSC title changes, screen clears) to whoever runs ukit. Valid UTF-8 text
 * comes out unchanged. ESCAPE_KEEP_NEWLINE keeps newlines and tabs (multi-line
 * dumps); otherwise they are escaped too, so a value stays on its line.
 * n is the length of s (stops early at NUL). Returns a new string. */
#define ESCAPE_KEEP_NEWLINE (1u << 0)
char *escape_controls(const char *s, size_t n, unsigned flags);
static inline char *escape_str(const char *s) {
        return escape_controls(s, s ? strlen(s) : 0, 0);
}

/* printf into a new string; NULL when out of memory (for the library, which
 * returns -ENOMEM instead of aborting). */
_printf_(1, 2) char *strprintf(const char *fmt, ...);

/* Allocate or die: only for small, bounded allocations in tools (src/ukit;
 * the library returns -ENOMEM instead). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);
void *xmemdup(const void *p, size_t n);
_printf_(1, 2) char *xasprintf(const char *fmt, ...);
