/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbat.h"
#include "util.h"

/* The effective text: trailing NUL bytes are section padding. */
static size_t trim_nuls(const char *text, size_t n) {
        while (n > 0 && text[n - 1] == '\0')
                n--;
        return n;
}

static bool field_byte_ok(char c) {
        unsigned char u = (unsigned char) c;
        /* shim splits on ',', '\r', '\n' only and has no quoting; control
         * bytes and '"' have no business in any field. */
        return u >= 0x20 && u != 0x7f && c != '"';
}

static int parse_generation(const char *s, size_t n, uint32_t *ret) {
        uint64_t v = 0;

        if (n == 0 || n > 10 || s[0] == '0')
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EBADMSG;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        if (v > SBAT_GENERATION_MAX)
                return -EBADMSG;
        *ret = (uint32_t) v;
        return 0;
}

int sbat_next(const char *text, size_t n, size_t *pos, SbatEntry *e) {
        size_t p, line_no = 0;

        if (!text || !pos || !e)
                return -EINVAL;
        if (n > SBAT_SIZE_MAX)
                return -EFBIG;
        n = trim_nuls(text, n);

        for (size_t i = 0; i < *pos && i < n; i++)
                if (text[i] == '\n')
                        line_no++;

        p = *pos;
        while (p < n) {
                size_t start = p, end = p, len;
                SbatEntry x = {};

                line_no++;
                while (end < n && text[end] != '\n')
                        end++;
                p = end < n ? end + 1 : end;
                len = end - start;
                if (len > 0 && text[start + len - 1] == '\r')
                        len--;
                e->line = (unsigned) line_no;
                if (len == 0)
                        continue;
                if (len > SBAT_LINE_MAX) {
                        *pos = start;
                        return -EFBIG;
                }

                const char *l = text + start;
                size_t f = 0, fstart = 0;
                for (size_t i = 0; i <= len; i++) {
                        if (i < len && l[i] != ',') {
                                if (!field_byte_ok(l[i])) {
                                        *pos = start;
                                        return -EBADMSG;
                                }
                                continue;
                        }
                        if (f >= SBAT_FIELDS_MAX || i == fstart) {
                                /* Too many or empty fields. */
                                *pos = start;
                                return -EBADMSG;
                        }
                        x.field[f] = l + fstart;
                        x.field_len[f] = i - fstart;
                        f++;
                        fstart = i + 1;
                }
                if (f != SBAT_FIELDS_MAX) {
                        *pos = start;
                        return -EBADMSG;
                }
                for (size_t i = 0; i < x.field_len[0]; i++)
                        if (x.field[0][i] == ' ' || x.field[0][i] == '\t') {
                                *pos = start;
                                return -EBADMSG;
                        }
                if (parse_generation(x.field[1], x.field_len[1], &x.generation) < 0) {
                        *pos = start;
                        return -EBADMSG;
                }
                x.n_fields = (unsigned) f;
                x.line = (unsigned) line_no;
                *e = x;
                *pos = p;
                return 1;
        }

        *pos = n;
        return 0;
}

static bool is_header(const SbatEntry *e) {
        return e->field_len[0] == 4 && memcmp(e->field[0], "sbat", 4) == 0 &&
               e->generation == 1;
}

static bool same_component(const SbatEntry *a, const SbatEntry *b) {
        return a->field_len[0] == b->field_len[0] &&
               memcmp(a->field[0], b->field[0], a->field_len[0]) == 0;
}

int sbat_validate(const char *text, size_t n, unsigned *ret_line) {
        SbatEntry e = {};
        size_t pos = 0;
        unsigned count = 0;
        int r;

        if (!text)
                return -EINVAL;
        if (n > SBAT_SIZE_MAX) {
                if (ret_line)
                        *ret_line = 0;
                return -EFBIG;
        }

        while ((r = sbat_next(text, n, &pos, &e)) > 0) {
                /* The format version entry must come first, exactly once
                 * ("sbat" entries later would be read as a component). */
                if ((count == 0) != is_header(&e) ||
                    (count > 0 && e.field_len[0] == 4 && memcmp(e.field[0], "sbat", 4) == 0)) {
                        r = -EBADMSG;
                        break;
                }
                if (++count > SBAT_ENTRIES_MAX) {
                        r = -EFBIG;
                        break;
                }
        }
        if (r < 0) {
                if (ret_line)
                        *ret_line = e.line;
                return r;
        }
        if (count == 0) {
                if (ret_line)
                        *ret_line = 0;
                return -EBADMSG;
        }
        return 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
        size_t need;

        if (!ADD_OK(*len, n, &need) || !ADD_OK(need, (size_t) 1, &need))
                return -EFBIG;
        if (need > *cap) {
                size_t nc = MAX(*cap * 2, need);
                char *b = realloc(*buf, nc);
                if (!b)
                        return -ENOMEM;
                *buf = b;
                *cap = nc;
        }
        memcpy(*buf + *len, s, n);
        *len += n;
        (*buf)[*len] = '\0';
        return 0;
}

static int append_entry(char **buf, size_t *len, size_t *cap, const SbatEntry *e) {
        int r;
        for (unsigned i = 0; i < e->n_fields; i++) {
                if (i > 0 && (r = append(buf, len, cap, ",", 1)) < 0)
                        return r;
                if ((r = append(buf, len, cap, e->field[i], e->field_len[i])) < 0)
                        return r;
        }
        return append(buf, len, cap, "\n", 1);
}

int sbat_merge(const char *const *texts, const size_t *sizes, size_t n, char **ret) {
        _cleanup_free_ SbatEntry *entries = NULL;
        _cleanup_free_ char *out = NULL;
        size_t n_entries = 0, len = 0, cap = 0, total = 0;
        SbatEntry header = {};
        bool have_header = false;
        int r;

        if ((!texts || !sizes) && n > 0)
                return -EINVAL;
        if (!ret)
                return -EINVAL;

        for (size_t i = 0; i < n; i++) {
                size_t pos = 0;
                SbatEntry e;

                if (sizes[i] == 0)
                        continue;
                if (!texts[i])
                        return -EINVAL;
                r = sbat_validate(texts[i], sizes[i], NULL);
                if (r < 0)
                        return r;

                while ((r = sbat_next(texts[i], sizes[i], &pos, &e)) > 0) {
                        if (is_header(&e)) {
                                if (!have_header)
                                        header = e;
                                have_header = true;
                                continue;
                        }

                        size_t j;
                        for (j = 0; j < n_entries; j++)
                                if (same_component(&entries[j], &e))
                                        break;
                        if (j < n_entries) {
                                /* See sbat.h: the lowest generation decides
                                 * shim's verdict, so it is the one to keep. */
                                if (e.generation < entries[j].generation)
                                        entries[j] = e;
                                continue;
                        }

                        if (n_entries >= SBAT_ENTRIES_MAX - 1)
                                return -EFBIG;
                        if (!entries) {
                                entries = calloc(SBAT_ENTRIES_MAX, sizeof(SbatEntry));
                                if (!entries)
                                        return -ENOMEM;
                        }
                        entries[n_entries++] = e;
                }
                if (r < 0)
                        return r;
                total++;
        }

        if (total == 0 || !have_header)
                return -ENODATA;

        r = append_entry(&out, &len, &cap, &header);
        if (r < 0)
                return r;
        for (size_t j = 0; j < n_entries; j++) {
                r = append_entry(&out, &len, &cap, &entries[j]);
                if (r < 0)
                        return r;
        }
        if (len > SBAT_SIZE_MAX)
                return -EFBIG;

        *ret = TAKE_PTR(out);
        return 0;
}
