/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small streaming JSON writer. Its "pretty" style is systemd's
 * (tab indentation, " : " between key and value), so that output can be
 * compared with systemd's tools byte for byte; "short" has no whitespace. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum JsonStyle {
        JSON_OFF,
        JSON_SHORT,
        JSON_PRETTY,
        JSON_SPACED,    /* one line, ", " and ": " (Python's json.dumps(), as ukify writes .pcrsig) */
} JsonStyle;

/* Parses "pretty", "short", "off"; -EINVAL otherwise. */
int json_style_from_string(const char *s, JsonStyle *ret);

#define JSON_DEPTH_MAX 32

typedef struct JsonWriter {
        FILE *f;
        JsonStyle style;
        unsigned depth;
        bool first[JSON_DEPTH_MAX];     /* no element written yet at this depth */
        bool after_key;
} JsonWriter;

void json_begin(JsonWriter *w, FILE *f, JsonStyle style);
void json_object_begin(JsonWriter *w);
void json_object_end(JsonWriter *w);
void json_array_begin(JsonWriter *w);
void json_array_end(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);
void json_string_n(JsonWriter *w, const char *s, size_t n);
void json_uint(JsonWriter *w, uint64_t v);
void json_int(JsonWriter *w, int64_t v);
void json_bool(JsonWriter *w, bool b);
void json_null(JsonWriter *w);
/* Terminates the document (newline in both styles). */
void json_end(JsonWriter *w);

/* Convenience: key + value. */
static inline void json_kv_string(JsonWriter *w, const char *k, const char *v) {
        json_key(w, k);
        json_string(w, v);
}
static inline void json_kv_uint(JsonWriter *w, const char *k, uint64_t v) {
        json_key(w, k);
        json_uint(w, v);
}
static inline void json_kv_bool(JsonWriter *w, const char *k, bool v) {
        json_key(w, k);
        json_bool(w, v);
}
