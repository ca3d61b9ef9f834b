/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "osrel.h"

/* Freestanding: this file is compiled into the UEFI stub as well, so it
 * uses no libc at all, not even memcpy/strlen. */

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static bool is_key_start(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c) {
        return is_key_start(c) || (c >= '0' && c <= '9');
}

/* Bytes that are never valid in a value, quoted or not: NUL and control
 * characters other than TAB (os-release is text; a stray control byte
 * means a corrupted or binary file). */
static bool is_bad_byte(char c) {
        unsigned char u = (unsigned char) c;
        return (u < 0x20 && c != '\t') || u == 0x7f;
}

bool osrel_key_valid(const char *s, size_t n) {
        if (!s || n == 0 || !is_key_start(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_key_char(s[i]))
                        return false;
        return true;
}

enum { Q_NONE, Q_SINGLE, Q_DOUBLE };

/* Shell rules for what a backslash inside double quotes escapes; before any
 * other character the backslash stays (sh(1) "Double Quotes"). */
static bool dq_escapable(char c) {
        return c == '"' || c == '\\' || c == '$' || c == '`';
}

/* Scan a value starting at v (n bytes up to the end of line). Returns the
 * length of the value (where an unquoted blank or the end of line stops
 * it), or -1 if the quoting is bad. The caller checks the rest is blank. */
static long scan_value(const char *v, size_t n) {
        int q = Q_NONE;
        size_t i = 0;

        while (i < n) {
                char c = v[i];

                if (is_bad_byte(c))
                        return -1;

                /* Inside single quotes everything is literal. Unquoted and
                 * inside double quotes, a backslash takes the next byte
                 * (no line continuation: a trailing backslash is an error)
                 * and $ or ` would be expanded by a shell sourcing the file. */
                if (q == Q_SINGLE) {
                        if (c == '\'')
                                q = Q_NONE;
                } else if (q == Q_NONE && is_blank(c))
                        return (long) i;
                else if (q == Q_NONE && c == '\'')
                        q = Q_SINGLE;
                else if (c == '"')
                        q = q == Q_NONE ? Q_DOUBLE : Q_NONE;
                else if (c == '\\') {
                        if (i + 1 >= n || is_bad_byte(v[i + 1]))
                                return -1;
                        i++;
                } else if (c == '$' || c == '`')
                        return -1;
                i++;
        }

        if (q != Q_NONE)
                return -1;
        return (long) i;
}

/* The iterator proper. *lines is the number of lines before *pos; it is
 * advanced together with *pos, so the callers in this file stay linear. */
static int next_entry(const char *data, size_t size, size_t *pos, size_t *lines, OsrelEntry *e) {
        size_t p, line_no = *lines;

        if (size > OSREL_SIZE_MAX) {
                e->line = 0;
                return -1;
        }

        /* NUL bytes at the very end are section padding (a PE section's
         * VirtualSize may exceed the text), not content. */
        while (size > 0 && data[size - 1] == '\0')
                size--;

        p = *pos;
        while (p < size) {
                size_t start = p, end, len, k;
                long vlen;

                line_no++;
                e->line = (unsigned) line_no;
                if (line_no > OSREL_LINES_MAX) {
                        *pos = start;
                        return -1;
                }

                end = start;
                while (end < size && data[end] != '\n')
                        end++;
                len = end - start;
                if (len > OSREL_LINE_MAX) {
                        *pos = start;
                        return -1;
                }
                p = end < size ? end + 1 : end;   /* start of the next line */

                /* Tolerate CRLF files. */
                if (len > 0 && data[start + len - 1] == '\r')
                        len--;

                k = 0;
                while (k < len && is_blank(data[start + k]))
                        k++;
                if (k == len || data[start + k] == '#') {
                        /* Blank or comment line; still refuse NUL bytes in it. */
                        for (size_t i = k; i < len; i++)
                                if (data[start + i] == '\0') {
                                        *pos = start;
                                        return -1;
                                }
                        continue;
                }

                const char *line = data + start;
                size_t key_start = k;
                while (k < len && is_key_char(line[k]))
                        k++;
                if (k == key_start || k >= len || line[k] != '=' ||
                    !osrel_key_valid(line + key_start, k - key_start)) {
                        *pos = start;
                        return -1;
                }

                size_t val_start = k + 1;
                vlen = scan_value(line + val_start, len - val_start);
                if (vlen < 0) {
                        *pos = start;
                        return -1;
                }
                for (size_t i = val_start + (size_t) vlen; i < len; i++)
                        if (!is_blank(line[i])) {
                                *pos = start;
                                return -1;
                        }

                e->key = line + key_start;
                e->key_len = k - key_start;
                e->value = line + val_start;
                e->value_len = (size_t) vlen;
                *pos = p;
                *lines = line_no;
                return 1;
        }

        *pos = size;
        *lines = line_no;
        return 0;
}

int osrel_next(const char *data, size_t size, size_t *pos, OsrelEntry *e) {
        size_t lines = 0;

        if (!data || !pos || !e)
                return -1;

        /* The public iterator state is a single offset, so count the lines
         * before it again (inputs are bounded by OSREL_SIZE_MAX). */
        for (size_t i = 0; i < *pos && i < size && size <= OSREL_SIZE_MAX; i++)
                if (data[i] == '\n')
                        lines++;
        return next_entry(data, size, pos, &lines, e);
}

int osrel_unquote(const char *raw, size_t n, char *buf, size_t bufsz) {
        size_t o = 0;
        int q = Q_NONE;

        if (!raw || !buf || bufsz == 0 || n > OSREL_LINE_MAX)
                return -1;
        /* Validate with the same scanner osrel_next() uses, so both agree on
         * what a value is; the whole raw string must be one value. */
        if (scan_value(raw, n) != (long) n)
                return -1;

#define EMIT(ch)                                \
        do {                                    \
                if (o + 1 >= bufsz)             \
                        return -1;              \
                buf[o++] = (ch);                \
        } while (0)

        for (size_t i = 0; i < n; i++) {
                char c = raw[i];
                switch (q) {
                case Q_NONE:
                        if (c == '\'')
                                q = Q_SINGLE;
                        else if (c == '"')
                                q = Q_DOUBLE;
                        else if (c == '\\')
                                EMIT(raw[++i]);  /* scan_value() guaranteed i+1 < n */
                        else
                                EMIT(c);
                        break;
                case Q_SINGLE:
                        if (c == '\'')
                                q = Q_NONE;
                        else
                                EMIT(c);
                        break;
                case Q_DOUBLE:
                        if (c == '"')
                                q = Q_NONE;
                        else if (c == '\\') {
                                char d = raw[++i];
                                if (!dq_escapable(d))
                                        EMIT('\\');
                                EMIT(d);
                        } else
                                EMIT(c);
                        break;
                }
        }
#undef EMIT
        buf[o] = '\0';
        return (int) o;
}

static size_t str_len(const char *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static bool mem_eq(const char *a, const char *b, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (a[i] != b[i])
                        return false;
        return true;
}

int osrel_get(const char *data, size_t size, const char *key, char *buf, size_t bufsz) {
        OsrelEntry e, found = {};
        size_t pos = 0, klen;
        bool have = false;
        int r;

        if (!data || !key || !buf || bufsz == 0)
                return -1;
        klen = str_len(key);
        if (!osrel_key_valid(key, klen))
                return -1;

        size_t lines = 0;
        while ((r = next_entry(data, size, &pos, &lines, &e)) > 0)
                if (e.key_len == klen && mem_eq(e.key, key, klen)) {
                        found = e;      /* last assignment wins, as in a shell */
                        have = true;
                }
        if (r < 0 || !have)
                return -1;
        return osrel_unquote(found.value, found.value_len, buf, bufsz);
}

int osrel_validate(const char *data, size_t size, unsigned *ret_line) {
        OsrelEntry e = {};
        size_t pos = 0;
        int r;

        if (!data && size > 0)
                return -1;
        if (size == 0)
                return 0;

        /* osrel_next() runs the same scanner osrel_unquote() decodes with,
         * and a decoded value is never longer than its raw form, so checking
         * the syntax of every line is the whole validation. */
        size_t lines = 0;
        while ((r = next_entry(data, size, &pos, &lines, &e)) > 0)
                ;
        if (r < 0) {
                if (ret_line)
                        *ret_line = e.line;
                return -1;
        }
        return 0;
}
