/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strict JSON reader: never crashes or leaks on any input; a document it
 * accepts, written back with json.h and read again, gives the same text
 * again (the DOM survives a round trip). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-parse.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned depth_of(const JsonValue *v) {
        unsigned d = 0, k;
        if (v->type == JSON_TYPE_ARRAY)
                for (size_t i = 0; i < v->array.n; i++)
                        if ((k = depth_of(v->array.items[i])) > d)
                                d = k;
        if (v->type == JSON_TYPE_OBJECT)
                for (size_t i = 0; i < v->object.n; i++)
                        if ((k = depth_of(v->object.members[i].value)) > d)
                                d = k;
        return d + (v->type == JSON_TYPE_ARRAY || v->type == JSON_TYPE_OBJECT);
}

static void emit(JsonWriter *w, const JsonValue *v) {
        switch (v->type) {
        case JSON_TYPE_NULL:    json_null(w); break;
        case JSON_TYPE_BOOL:    json_bool(w, v->boolean); break;
        case JSON_TYPE_INTEGER: json_int(w, v->integer); break;
        case JSON_TYPE_STRING:  json_string_n(w, v->string.str, v->string.len); break;
        case JSON_TYPE_ARRAY:
                json_array_begin(w);
                for (size_t i = 0; i < v->array.n; i++)
                        emit(w, v->array.items[i]);
                json_array_end(w);
                break;
        case JSON_TYPE_OBJECT:
                json_object_begin(w);
                for (size_t i = 0; i < v->object.n; i++) {
                        json_key(w, v->object.members[i].key);
                        emit(w, v->object.members[i].value);
                }
                json_object_end(w);
                break;
        }
}

static char *dump(const JsonValue *v, size_t *n) {
        char *buf = NULL;
        FILE *f = open_memstream(&buf, n);
        JsonWriter w;
        if (!f)
                return NULL;
        json_begin(&w, f, JSON_SHORT);
        emit(&w, v);
        json_end(&w);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        JsonValue *v = NULL, *v2 = NULL;
        UkitError err = UKIT_ERROR_INIT;
        size_t n1 = 0, n2 = 0;
        int r;

        r = json_parse((const char *) data, size, &v, &err);
        if (r < 0) {
                if (r != -EBADMSG && r != -ERANGE && r != -E2BIG && r != -ENOMEM)
                        abort();
                if (r != -ENOMEM && (!err.what[0] || err.code != r || err.offset > size))
                        abort();
                return 0;
        }
        if (depth_of(v) < JSON_DEPTH_MAX - 1) {
                char *t1 = dump(v, &n1), *t2 = NULL;
                if (t1) {
                        if (json_parse(t1, n1, &v2, NULL) < 0)
                                abort();
                        t2 = dump(v2, &n2);
                        if (t2 && (n1 != n2 || memcmp(t1, t2, n1) != 0))
                                abort();
                }
                free(t1);
                free(t2);
                json_value_free(v2);
        }
        json_value_free(v);
        return 0;
}
