/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strict JSON reader: RFC 8259 values, escapes incl. surrogate pairs
 * (expected bytes written out by hand from the Unicode code charts), integer
 * limits, and everything it must refuse, with the offset it names. */
#include <inttypes.h>

#include "json-parse.h"
#include "test.h"

static JsonValue *ok(const char *text) {
        JsonValue *v = NULL;
        UkitError err = UKIT_ERROR_INIT;
        int r = json_parse(text, strlen(text), &v, &err);
        if (r < 0)
                fprintf(stderr, "unexpected error for %s: %s at %" PRIu64 "\n", text, err.what, err.offset);
        CHECK(r == 0 && v);
        return v;
}

static void bad(const char *text, int want, size_t want_off) {
        JsonValue *v = (JsonValue *) 0x1;
        UkitError err = UKIT_ERROR_INIT;
        int r = json_parse(text, strlen(text), &v, &err);
        if (r != want || err.offset != want_off)
                fprintf(stderr, "for %s: r=%d off=%" PRIu64 " err=%s\n", text, r, err.offset, err.what);
        CHECK_EQ_INT(r, want);
        CHECK_EQ_INT(err.code, want);
        CHECK(err.what[0] != 0);
        CHECK_EQ_INT(err.offset, want_off);
        CHECK(v == (JsonValue *) 0x1);          /* untouched on failure */
}

int main(void) {
        JsonValue *v;

        v = ok(" { \"sha256\" : [ { \"pcrs\" : [ 11 ], \"pol\" : \"ab\" } ], \"x\": null, \"t\": true, \"f\": false }\n");
        CHECK_EQ_INT(v->type, JSON_TYPE_OBJECT);
        CHECK_EQ_INT(v->object.n, 4);
        const JsonValue *a = json_object_find(v, "sha256");
        CHECK(a && a->type == JSON_TYPE_ARRAY && a->array.n == 1);
        const JsonValue *pcrs = json_object_find(a->array.items[0], "pcrs");
        CHECK(pcrs && pcrs->array.n == 1 && pcrs->array.items[0]->type == JSON_TYPE_INTEGER);
        CHECK_EQ_INT(pcrs->array.items[0]->integer, 11);
        CHECK_EQ_STR(json_object_find(a->array.items[0], "pol")->string.str, "ab");
        CHECK_EQ_INT(json_object_find(v, "x")->type, JSON_TYPE_NULL);
        CHECK(json_object_find(v, "t")->boolean);
        CHECK(!json_object_find(v, "f")->boolean);
        CHECK(json_object_find(v, "missing") == NULL);
        CHECK(json_object_find(a, "sha256") == NULL);   /* not an object */
        CHECK_EQ_STR(v->object.members[1].key, "x");     /* document order */
        json_value_free(v);

        /* Escapes: é U+00E9 = C3 A9, € U+20AC = E2 82 AC, 😀 U+1F600 = F0 9F 98 80. */
        v = ok("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00z\"");
        CHECK_EQ_INT(v->type, JSON_TYPE_STRING);
        CHECK_EQ_INT(v->string.len, 1 + 8 + 2 + 3 + 4 + 1);
        CHECK(memcmp(v->string.str, "a\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", v->string.len + 1) == 0);
        json_value_free(v);
        v = ok("\"\xc3\xa9\xf4\x8f\xbf\xbf\"");     /* raw UTF-8 up to U+10FFFF */
        CHECK_EQ_INT(v->string.len, 6);
        json_value_free(v);
        v = ok("\"\"");
        CHECK_EQ_INT(v->string.len, 0);
        CHECK_EQ_STR(v->string.str, "");
        json_value_free(v);

        /* Integers at the limits. */
        v = ok("[0, -0, 9223372036854775807, -9223372036854775808, []]");
        CHECK_EQ_INT(v->array.n, 5);
        CHECK(v->array.items[2]->integer == INT64_MAX);
        CHECK(v->array.items[3]->integer == INT64_MIN);
        CHECK_EQ_INT(v->array.items[4]->array.n, 0);
        json_value_free(v);

        /* Depth: JSON_PARSE_DEPTH_MAX nested arrays inside the top one are fine, one more is not. */
        char deep[2 * (JSON_PARSE_DEPTH_MAX + 2) + 1];
        size_t k = JSON_PARSE_DEPTH_MAX + 1;
        memset(deep, '[', k);
        memset(deep + k, ']', k);
        deep[2 * k] = 0;
        json_value_free(ok(deep));
        k++;
        memset(deep, '[', k);
        memset(deep + k, ']', k);
        deep[2 * k] = 0;
        bad(deep, -E2BIG, k - 1);

        /* Refused, with the offset of the problem. */
        bad("", -EBADMSG, 0);
        bad("   ", -EBADMSG, 3);
        bad("{\"a\":1,\"a\":2}", -EBADMSG, 7);
        bad("{\"a\":1,}", -EBADMSG, 7);
        bad("[1,]", -EBADMSG, 3);
        bad("[1 2]", -EBADMSG, 3);
        bad("{\"a\" 1}", -EBADMSG, 5);
        bad("{1:2}", -EBADMSG, 1);
        bad("[1.5]", -EBADMSG, 1);
        bad("[1e3]", -EBADMSG, 1);
        bad("[01]", -EBADMSG, 1);
        bad("[-]", -EBADMSG, 1);
        bad("[+1]", -EBADMSG, 1);
        bad("9223372036854775808", -ERANGE, 0);
        bad("-9223372036854775809", -ERANGE, 0);
        bad("\"abc", -EBADMSG, 0);
        bad("\"ab\\", -EBADMSG, 0);
        bad("\"a\tb\"", -EBADMSG, 2);
        bad("\"\\x\"", -EBADMSG, 1);
        bad("\"\\u12g4\"", -EBADMSG, 1);
        bad("\"\\u123\"", -EBADMSG, 1);
        bad("\"\\ud800\"", -EBADMSG, 1);
        bad("\"\\ud800\\u0041\"", -EBADMSG, 1);
        bad("\"\\udc00\"", -EBADMSG, 1);
        bad("\"\\u0000\"", -EBADMSG, 1);
        bad("\"\xc0\xaf\"", -EBADMSG, 1);       /* overlong '/' */
        bad("\"\xed\xa0\x80\"", -EBADMSG, 1);   /* encoded surrogate */
        bad("\"\xf4\x90\x80\x80\"", -EBADMSG, 1);  /* beyond U+10FFFF */
        bad("\"\xe2\x82\"", -EBADMSG, 1);       /* truncated sequence */
        bad("tru", -EBADMSG, 0);
        bad("nul", -EBADMSG, 0);
        bad("[true false]", -EBADMSG, 6);
        bad("{} {}", -EBADMSG, 3);
        bad("[] x", -EBADMSG, 3);
        bad("'a'", -EBADMSG, 0);

        /* An embedded NUL is not whitespace. */
        {
                const char t[] = "{}\0";
                JsonValue *w = NULL;
                UkitError err = UKIT_ERROR_INIT;
                CHECK_EQ_INT(json_parse(t, sizeof(t) - 1, &w, &err), -EBADMSG);
                CHECK_EQ_INT(err.offset, 2);
        }
        /* Not NUL-terminated: the length is the bound. */
        {
                const char t[4] = { '[', '7', ']', '9' };
                JsonValue *w = NULL;
                CHECK_EQ_INT(json_parse(t, 3, &w, NULL), 0);
                CHECK_EQ_INT(w->array.items[0]->integer, 7);
                json_value_free(w);
        }
        CHECK_EQ_STR(json_type_to_string(JSON_TYPE_OBJECT), "object");
        TEST_DONE();
}
