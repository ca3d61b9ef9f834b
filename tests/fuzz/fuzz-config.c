/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ukify INI parser of `ukit build --config` and /etc/kernel/uki.conf
 * (src/ukit/build-config.c, compiled into the target). Every key reaches
 * the callback stripped, with its section, in file order; values are
 * stripped per line; a callback error stops the parse and is returned. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool b) {
        if (!b)
                abort();
}

static bool blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

typedef struct State {
        unsigned calls, last_line;
        bool stop_seen;
} State;

static int item(void *userdata, const char *section, const char *key, const char *value, unsigned line) {
        State *st = userdata;
        size_t kl = strlen(key), vl = strlen(value);

        check(section[0] != 0 && !strchr(section, '\n') && !strchr(section, ']'));
        check(kl > 0 && !strchr(key, '\n') && !strchr(key, '=') && !blank(key[0]) && !blank(key[kl - 1]));
        check(vl == 0 || (!blank(value[0]) && !blank(value[vl - 1])));
        check(line > st->last_line || st->calls == 0);
        st->last_line = line;
        st->calls++;
        if (strcmp(key, "Stop") == 0) {
                st->stop_seen = true;
                return -ECANCELED;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        State st = {};
        unsigned line = 0;

        int r = build_config_parse((const char *) data, size, item, &st, &line);
        check(r == 0 || r == -EBADMSG || r == -EFBIG || r == -ENOMEM || (r == -ECANCELED && st.stop_seen));
        if (r == -EBADMSG)
                check(line > 0);
        return 0;
}
