/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <string.h>

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

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *p;

        va_start(ap, fmt);
        if (vasprintf(&p, fmt, ap) < 0)
                oom();
        va_end(ap);
        return p;
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

int errbuf_set(char *buf, size_t size, int r, const char *fmt, ...) {
        if (buf && size > 0) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(buf, size, fmt, ap);
                va_end(ap);
        }
        return r;
}
