/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recursive descent over a bounded buffer: every read checks p < end first,
 * recursion is bounded by JSON_PARSE_DEPTH_MAX and memory by the input size
 * (each value consumes at least one input byte) plus JSON_PARSE_NODES_MAX. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-parse.h"
#include "util.h"

typedef struct Parser {
        const char *start, *p, *end;
        const char *error;
        const char *error_at;
        size_t nodes;
} Parser;

static int fail(Parser *ps, const char *at, int r, const char *what) {
        if (!ps->error) {
                ps->error = what;
                ps->error_at = at;
        }
        return r;
}

static void skip_ws(Parser *ps) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
                ps->p++;
}

static bool literal(Parser *ps, const char *word) {
        size_t n = strlen(word);
        if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
                return false;
        ps->p += n;
        return true;
}

static int new_value(Parser *ps, JsonType t, JsonValue **ret) {
        if (++ps->nodes > JSON_PARSE_NODES_MAX)
                return fail(ps, ps->p, -E2BIG, "too many values");
        JsonValue *v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v->type = t;
        *ret = v;
        return 0;
}

void json_value_free(JsonValue *v) {
        if (!v)
                return;
        switch (v->type) {
        case JSON_TYPE_STRING:
                free(v->string.str);
                break;
        case JSON_TYPE_ARRAY:
                for (size_t i = 0; i < v->array.n; i++)
                        json_value_free(v->array.items[i]);
                free(v->array.items);
                break;
        case JSON_TYPE_OBJECT:
                for (size_t i = 0; i < v->object.n; i++) {
                        free(v->object.members[i].key);
                        json_value_free(v->object.members[i].value);
                }
                free(v->object.members);
                break;
        default:
                break;
        }
        free(v);
}

static int hex4(const char *p, uint32_t *ret) {
        uint32_t v = 0;
        for (int i = 0; i < 4; i++) {
                char c = p[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t) (c - 'A' + 10);
                else
                        return -1;
        }
        *ret = v;
        return 0;
}

static size_t utf8_put(uint32_t cp, char *out) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), 0 if invalid. */
static size_t utf8_valid(const unsigned char *p, size_t avail) {
        unsigned char c = p[0];
        size_t n;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xC2 && c <= 0xDF)
                n = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
                n = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (avail < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        return n;
}

/* At the opening quote. The decoded form is never longer than the source
 * (\uXXXX is 6 bytes for at most 3, a pair 12 for 4), so one allocation of
 * the source span suffices. */
static int parse_string(Parser *ps, char **ret, size_t *ret_len) {
        const char *q = ps->p + 1, *open = ps->p;
        size_t cap;

        /* Find the closing quote first to size the buffer. */
        while (q < ps->end && *q != '"') {
                if (*q == '\\') {
                        if (q + 1 >= ps->end)
                                break;
                        q++;
                }
                q++;
        }
        if (q >= ps->end || *q != '"')
                return fail(ps, open, -EBADMSG, "unterminated string");
        cap = (size_t) (q - ps->p);     /* span + 1 for the NUL */
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;

        size_t len = 0;
        const char *p = ps->p + 1;
        while (p < q) {
                unsigned char c = (unsigned char) *p;
                if (c < 0x20)
                        return fail(ps, p, -EBADMSG, "control character in string");
                if (c != '\\') {
                        size_t k = utf8_valid((const unsigned char *) p, (size_t) (q - p));
                        if (k == 0)
                                return fail(ps, p, -EBADMSG, "invalid UTF-8 in string");
                        memcpy(buf + len, p, k);
                        len += k, p += k;
                        continue;
                }
                /* p + 1 < q holds: the scan above never stops on a backslash's operand. */
                const char *esc = p;
                p++;
                switch (*p) {
                case '"':  buf[len++] = '"';  p++; break;
                case '\\': buf[len++] = '\\'; p++; break;
                case '/':  buf[len++] = '/';  p++; break;
                case 'b':  buf[len++] = '\b'; p++; break;
                case 'f':  buf[len++] = '\f'; p++; break;
                case 'n':  buf[len++] = '\n'; p++; break;
                case 'r':  buf[len++] = '\r'; p++; break;
                case 't':  buf[len++] = '\t'; p++; break;
                case 'u': {
                        uint32_t cp, lo;
                        if (q - p < 5 || hex4(p + 1, &cp) < 0)
                                return fail(ps, esc, -EBADMSG, "bad \\u escape");
                        p += 5;
                        if (cp >= 0xDC00 && cp <= 0xDFFF)
                                return fail(ps, esc, -EBADMSG, "lone low surrogate");
                        if (cp >= 0xD800 && cp <= 0xDBFF) {
                                if (q - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) < 0 ||
                                    lo < 0xDC00 || lo > 0xDFFF)
                                        return fail(ps, esc, -EBADMSG, "lone high surrogate");
                                p += 6;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        }
                        if (cp == 0)
                                return fail(ps, esc, -EBADMSG, "\\u0000 in string");
                        len += utf8_put(cp, buf + len);
                        break;
                }
                default:
                        return fail(ps, esc, -EBADMSG, "bad escape in string");
                }
        }
        buf[len] = 0;
        ps->p = q + 1;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int parse_integer(Parser *ps, int64_t *ret) {
        const char *p = ps->p, *start = ps->p;
        bool neg = false;
        uint64_t v = 0, limit;

        if (p < ps->end && *p == '-') {
                neg = true;
                p++;
        }
        if (p >= ps->end || *p < '0' || *p > '9')
                return fail(ps, start, -EBADMSG, "bad number");
        if (*p == '0' && p + 1 < ps->end && p[1] >= '0' && p[1] <= '9')
                return fail(ps, start, -EBADMSG, "leading zero in number");
        limit = neg ? (uint64_t) INT64_MAX + 1u : (uint64_t) INT64_MAX;
        while (p < ps->end && *p >= '0' && *p <= '9') {
                uint64_t d = (uint64_t) (*p - '0');
                if (v > (limit - d) / 10)
                        return fail(ps, start, -ERANGE, "number out of range");
                v = v * 10 + d;
                p++;
        }
        if (p < ps->end && (*p == '.' || *p == 'e' || *p == 'E'))
                return fail(ps, start, -EBADMSG, "only integer numbers are supported");
        ps->p = p;
        *ret = neg ? (v == (uint64_t) INT64_MAX + 1u ? INT64_MIN : -(int64_t) v) : (int64_t) v;
        return 0;
}

static int parse_value(Parser *ps, unsigned depth, JsonValue **ret);

static int grow(void **arr, size_t *cap, size_t n, size_t elem) {
        size_t want, bytes;
        if (n < *cap)
                return 0;
        want = *cap ? *cap * 2 : 4;
        if (!MUL_OK(want, elem, &bytes))
                return -ENOMEM;
        void *p = realloc(*arr, bytes);
        if (!p)
                return -ENOMEM;
        *arr = p;
        *cap = want;
        return 0;
}

static int parse_array(Parser *ps, unsigned depth, JsonValue *v) {
        size_t cap = 0;
        int r;

        ps->p++;                        /* '[' */
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ']') {
                ps->p++;
                return 0;
        }
        for (;;) {
                JsonValue *item = NULL;
                r = grow((void **) &v->array.items, &cap, v->array.n, sizeof(JsonValue *));
                if (r < 0)
                        return r;
                r = parse_value(ps, depth + 1, &item);
                if (r < 0)
                        return r;
                v->array.items[v->array.n++] = item;
                skip_ws(ps);
                if (ps->p >= ps->end)
                        return fail(ps, ps->p, -EBADMSG, "unterminated array");
                if (*ps->p == ']') {
                        ps->p++;
                        return 0;
                }
                if (*ps->p != ',')
                        return fail(ps, ps->p, -EBADMSG, "expected ',' or ']'");
                ps->p++;
        }
}

static int parse_object(Parser *ps, unsigned depth, JsonValue *v) {
        size_t cap = 0;
        int r;

        ps->p++;                        /* '{' */
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *key = NULL;
                size_t key_len;
                const char *key_at;
                JsonValue *item = NULL;

                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != '"')
                        return fail(ps, ps->p, -EBADMSG, "expected a string key");
                key_at = ps->p;
                r = parse_string(ps, &key, &key_len);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < v->object.n; i++)
                        if (v->object.members[i].key_len == key_len &&
                            memcmp(v->object.members[i].key, key, key_len) == 0)
                                return fail(ps, key_at, -EBADMSG, "duplicate key in object");
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':')
                        return fail(ps, ps->p, -EBADMSG, "expected ':'");
                ps->p++;
                r = grow((void **) &v->object.members, &cap, v->object.n, sizeof(JsonMember));
                if (r < 0)
                        return r;
                r = parse_value(ps, depth + 1, &item);
                if (r < 0)
                        return r;
                v->object.members[v->object.n++] = (JsonMember) {
                        .key = TAKE_PTR(key), .key_len = key_len, .value = item,
                };
                skip_ws(ps);
                if (ps->p >= ps->end)
                        return fail(ps, ps->p, -EBADMSG, "unterminated object");
                if (*ps->p == '}') {
                        ps->p++;
                        return 0;
                }
                if (*ps->p != ',')
                        return fail(ps, ps->p, -EBADMSG, "expected ',' or '}'");
                ps->p++;
        }
}

static int parse_value(Parser *ps, unsigned depth, JsonValue **ret) {
        JsonValue *v = NULL;
        int r;

        if (depth > JSON_PARSE_DEPTH_MAX)
                return fail(ps, ps->p, -E2BIG, "nesting too deep");
        skip_ws(ps);
        if (ps->p >= ps->end)
                return fail(ps, ps->p, -EBADMSG, "unexpected end of input");

        switch (*ps->p) {
        case '{':
                r = new_value(ps, JSON_TYPE_OBJECT, &v);
                if (r >= 0)
                        r = parse_object(ps, depth, v);
                break;
        case '[':
                r = new_value(ps, JSON_TYPE_ARRAY, &v);
                if (r >= 0)
                        r = parse_array(ps, depth, v);
                break;
        case '"':
                r = new_value(ps, JSON_TYPE_STRING, &v);
                if (r >= 0)
                        r = parse_string(ps, &v->string.str, &v->string.len);
                break;
        case 't':
        case 'f':
                r = new_value(ps, JSON_TYPE_BOOL, &v);
                if (r >= 0) {
                        v->boolean = *ps->p == 't';
                        if (!literal(ps, v->boolean ? "true" : "false"))
                                r = fail(ps, ps->p, -EBADMSG, "invalid literal");
                }
                break;
        case 'n':
                r = new_value(ps, JSON_TYPE_NULL, &v);
                if (r >= 0 && !literal(ps, "null"))
                        r = fail(ps, ps->p, -EBADMSG, "invalid literal");
                break;
        default:
                if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
                        return fail(ps, ps->p, -EBADMSG, "unexpected character");
                r = new_value(ps, JSON_TYPE_INTEGER, &v);
                if (r >= 0)
                        r = parse_integer(ps, &v->integer);
                break;
        }
        if (r < 0) {
                json_value_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

int json_parse(const char *text, size_t n, JsonValue **ret, UkitError *err) {
        Parser ps = { .start = text, .p = text, .end = text + n };
        JsonValue *v = NULL;
        int r;

        if (n > JSON_PARSE_SIZE_MAX)
                r = fail(&ps, text, -E2BIG, "document too large");
        else {
                r = parse_value(&ps, 0, &v);
                if (r >= 0) {
                        skip_ws(&ps);
                        if (ps.p != ps.end) {
                                json_value_free(v);
                                r = fail(&ps, ps.p, -EBADMSG, "trailing data after the value");
                        }
                }
        }
        if (r < 0) {
                ukit_error(err, r, "%s", ps.error ?: "out of memory");
                return ukit_error_where(err, r, NULL, ps.error_at ? (uint64_t) (ps.error_at - text) : 0);
        }
        *ret = v;
        return 0;
}

const char *json_type_to_string(JsonType t) {
        static const char *const names[] = {
                [JSON_TYPE_NULL] = "null",       [JSON_TYPE_BOOL] = "boolean", [JSON_TYPE_INTEGER] = "integer",
                [JSON_TYPE_STRING] = "string",   [JSON_TYPE_ARRAY] = "array",  [JSON_TYPE_OBJECT] = "object",
        };
        return (unsigned) t < ELEMENTSOF(names) ? names[t] : "?";
}

const JsonValue *json_object_find(const JsonValue *v, const char *key) {
        if (!v || v->type != JSON_TYPE_OBJECT)
                return NULL;
        for (size_t i = 0; i < v->object.n; i++)
                if (strcmp(v->object.members[i].key, key) == 0)
                        return v->object.members[i].value;
        return NULL;
}
