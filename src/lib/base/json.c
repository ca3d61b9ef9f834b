/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"

int json_style_from_string(const char *s, JsonStyle *ret) {
        if (strcmp(s, "pretty") == 0)
                *ret = JSON_PRETTY;
        else if (strcmp(s, "short") == 0)
                *ret = JSON_SHORT;
        else if (strcmp(s, "off") == 0)
                *ret = JSON_OFF;
        else
                return -EINVAL;
        return 0;
}

static void indent(JsonWriter *w) {
        if (w->style != JSON_PRETTY)
                return;
        fputc('\n', w->f);
        for (unsigned i = 0; i < w->depth; i++)
                fputc('\t', w->f);
}

/* Called before every value or key: separators and indentation. */
static void prefix(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->depth == 0)
                return;
        if (!w->first[w->depth])
                fputs(w->style == JSON_SPACED ? ", " : ",", w->f);
        w->first[w->depth] = false;
        indent(w);
}

void json_begin(JsonWriter *w, FILE *f, JsonStyle style) {
        memset(w, 0, sizeof(*w));
        w->f = f;
        w->style = style;
}

static void open_container(JsonWriter *w, char c) {
        prefix(w);
        fputc(c, w->f);
        if (w->depth + 1 < JSON_DEPTH_MAX)
                w->depth++;
        w->first[w->depth] = true;
}

static void close_container(JsonWriter *w, char c) {
        bool empty = w->first[w->depth];
        if (w->depth > 0)
                w->depth--;
        if (!empty)
                indent(w);
        fputc(c, w->f);
}

void json_object_begin(JsonWriter *w) {
        open_container(w, '{');
}
void json_object_end(JsonWriter *w) {
        close_container(w, '}');
}
void json_array_begin(JsonWriter *w) {
        open_container(w, '[');
}
void json_array_end(JsonWriter *w) {
        close_container(w, ']');
}

static void put_escaped(FILE *f, const char *s, size_t n) {
        fputc('"', f);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                switch (c) {
                case '"':  fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\b': fputs("\\b", f); break;
                case '\f': fputs("\\f", f); break;
                case '\n': fputs("\\n", f); break;
                case '\r': fputs("\\r", f); break;
                case '\t': fputs("\\t", f); break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                fprintf(f, "\\u%04x", c);
                        else
                                fputc(c, f);
                }
        }
        fputc('"', f);
}

void json_key(JsonWriter *w, const char *key) {
        prefix(w);
        put_escaped(w->f, key, strlen(key));
        fputs(w->style == JSON_PRETTY ? " : " : w->style == JSON_SPACED ? ": " : ":", w->f);
        w->after_key = true;
}

void json_string_n(JsonWriter *w, const char *s, size_t n) {
        prefix(w);
        put_escaped(w->f, s, n);
}

void json_string(JsonWriter *w, const char *s) {
        if (!s) {
                json_null(w);
                return;
        }
        json_string_n(w, s, strlen(s));
}

void json_uint(JsonWriter *w, uint64_t v) {
        prefix(w);
        fprintf(w->f, "%" PRIu64, v);
}

void json_int(JsonWriter *w, int64_t v) {
        prefix(w);
        fprintf(w->f, "%" PRIi64, v);
}

void json_bool(JsonWriter *w, bool b) {
        prefix(w);
        fputs(b ? "true" : "false", w->f);
}

void json_null(JsonWriter *w) {
        prefix(w);
        fputs("null", w->f);
}

void json_end(JsonWriter *w) {
        fputc('\n', w->f);
}
