/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small, strict JSON reader (RFC 8259) producing a DOM, for the JSON ukit
 * has to read back (.pcrsig). Strict on purpose: input that another parser
 * might read differently is refused rather than guessed at.
 *
 *   - the whole input must be one value, surrounded only by JSON whitespace;
 *   - strings must be valid UTF-8, without raw control characters; escapes
 *     incl. \uXXXX (surrogate pairs joined, lone surrogates refused) are
 *     decoded; "\u0000" is refused, so every string is also a C string;
 *   - numbers must be integers that fit int64_t (no fraction or exponent);
 *   - duplicate keys in one object are refused;
 *   - nesting depth, input size and element counts are bounded.
 *
 * Returns 0 or -errno; never prints. On a syntax error (-EBADMSG, or
 * -ERANGE for a number out of range, -E2BIG for a limit) the optional err
 * names the problem (what) and its byte offset (offset). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"

#define JSON_PARSE_SIZE_MAX     (16u * 1024u * 1024u)
#define JSON_PARSE_DEPTH_MAX    64u
#define JSON_PARSE_NODES_MAX    (1u << 20)      /* values in one document */

typedef enum JsonType {
        JSON_TYPE_NULL,
        JSON_TYPE_BOOL,
        JSON_TYPE_INTEGER,
        JSON_TYPE_STRING,
        JSON_TYPE_ARRAY,
        JSON_TYPE_OBJECT,
} JsonType;

typedef struct JsonValue JsonValue;

typedef struct JsonMember {
        char *key;                      /* NUL-terminated, decoded */
        size_t key_len;
        JsonValue *value;
} JsonMember;

struct JsonValue {
        JsonType type;
        union {
                bool boolean;
                int64_t integer;
                struct {
                        char *str;      /* NUL-terminated, decoded */
                        size_t len;
                } string;
                struct {
                        JsonValue **items;
                        size_t n;
                } array;
                struct {
                        JsonMember *members;    /* in document order */
                        size_t n;
                } object;
        };
};

int json_parse(const char *text, size_t n, JsonValue **ret, UkitError *err);

void json_value_free(JsonValue *v);
static inline void json_value_freep(JsonValue **v) {
        if (*v)
                json_value_free(*v);
}
#define _cleanup_json_value_ _cleanup_(json_value_freep)

const char *json_type_to_string(JsonType t);

/* Member of an object by key; NULL if absent or v is not an object. */
const JsonValue *json_object_find(const JsonValue *v, const char *key);
