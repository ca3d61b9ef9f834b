/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

_noreturn_ static void oom(void) {
        fputs("ukit: out of memory\n", stderr);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xmemdup(const void *p, size_t n) {
        void *q = xmalloc(n);
        if (n)
                memcpy(q, p, n);
        return q;
}

void *xcalloc(size_t n, size_t m) {
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *strprintf(const char *fmt, ...) {
        va_list ap;
        char *p;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : p;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *p;

        va_start(ap, fmt);
        if (vasprintf(&p, fmt, ap) < 0)
                oom();
        va_end(ap);
        return p;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

void hex_encode_to(const void *data, size_t n, char *out) {
        const uint8_t *p = data;

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hexchar(p[i] >> 4);
                out[2 * i + 1] = hexchar(p[i]);
        }
        out[2 * n] = 0;
}

char *hex_encode(const void *data, size_t n) {
        char *s = malloc(n * 2 + 1);

        if (s)
                hex_encode_to(data, n, s);
        return s;
}

int unhexmem(const char *s, size_t len, void *out, size_t n) {
        uint8_t *o = out;

        if (len != 2 * n)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                int hi = unhexchar(s[2 * i]), lo = unhexchar(s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                o[i] = (uint8_t) (hi << 4 | lo);
        }
        return 0;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. Overlong
 * forms, surrogates and code points above U+10FFFF are invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t n, uint32_t *ret_cp) {
        uint32_t cp;
        size_t len;

        if (p[0] < 0x80) {
                *ret_cp = p[0];
                return 1;
        }
        if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                len = 2;
                cp = p[0] & 0x1f;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                len = 3;
                cp = p[0] & 0x0f;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                len = 4;
                cp = p[0] & 0x07;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return len;
}

char *escape_controls(const char *s, size_t n, unsigned flags) {
        const unsigned char *p = (const unsigned char *) (s ? s : "");
        char *out, *o;

        if (s)
                n = strnlen(s, n);
        else
                n = 0;
        /* Worst case: every byte becomes "\xNN". */
        out = o = xmalloc(n * 4 + 1);
        for (size_t i = 0; i < n; ) {
                uint32_t cp = 0;
                size_t len = utf8_seq_len(p + i, n - i, &cp);
                bool ctl = len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);

                if (ctl && len == 1 && (flags & ESCAPE_KEEP_NEWLINE) && (cp == '\n' || cp == '\t'))
                        ctl = false;
                if (!ctl) {
                        memcpy(o, p + i, len);
                        o += len;
                        i += len;
                        continue;
                }
                /* Escape each byte of the offending sequence (or the one
                 * invalid byte). */
                for (size_t k = 0; k < (len ? len : 1); k++) {
                        *o++ = '\\';
                        *o++ = 'x';
                        *o++ = hexchar(p[i + k] >> 4);
                        *o++ = hexchar(p[i + k]);
                }
                i += len ? len : 1;
        }
        *o = 0;
        return out;
}

int buf_append(char **buf, size_t *n, size_t *cap, const char *piece, size_t l) {
        if (*n + l + 1 > *cap) {
                size_t c = (*n + l + 1) * 2;
                char *t = realloc(*buf, c);

                if (!t)
                        return -ENOMEM;
                *buf = t;
                *cap = c;
        }
        memcpy(*buf + *n, piece, l);
        *n += l;
        return 0;
}
