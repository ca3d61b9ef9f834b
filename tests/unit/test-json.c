/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"
#include "test.h"

static char *render(JsonStyle style) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        JsonWriter w;

        json_begin(&w, f, style);
        json_object_begin(&w);
        json_key(&w, "sha256");
        json_array_begin(&w);
        json_object_begin(&w);
        json_kv_string(&w, "phase", "a\"b\\c\n");
        json_kv_uint(&w, "pcr", 11);
        json_object_end(&w);
        json_array_end(&w);
        json_key(&w, "empty");
        json_array_begin(&w);
        json_array_end(&w);
        json_kv_bool(&w, "t", true);
        json_object_end(&w);
        json_end(&w);
        fclose(f);
        return buf;
}

int main(void) {
        char *s;
        JsonStyle st;

        s = render(JSON_SHORT);
        CHECK_EQ_STR(s, "{\"sha256\":[{\"phase\":\"a\\\"b\\\\c\\n\",\"pcr\":11}],\"empty\":[],\"t\":true}\n");
        free(s);

        /* systemd's pretty style: tabs, " : " */
        s = render(JSON_PRETTY);
        CHECK_EQ_STR(s,
                     "{\n"
                     "\t\"sha256\" : [\n"
                     "\t\t{\n"
                     "\t\t\t\"phase\" : \"a\\\"b\\\\c\\n\",\n"
                     "\t\t\t\"pcr\" : 11\n"
                     "\t\t}\n"
                     "\t],\n"
                     "\t\"empty\" : [],\n"
                     "\t\"t\" : true\n"
                     "}\n");
        free(s);

        CHECK(json_style_from_string("pretty", &st) == 0 && st == JSON_PRETTY);
        CHECK(json_style_from_string("short", &st) == 0 && st == JSON_SHORT);
        CHECK(json_style_from_string("off", &st) == 0 && st == JSON_OFF);
        CHECK(json_style_from_string("yes", &st) == -EINVAL);

        TEST_DONE();
}
