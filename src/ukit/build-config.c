/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "util.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Strip blanks on both sides of [*s, *s + *n). */
static void strip(const char **s, size_t *n) {
        while (*n > 0 && is_blank(**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && is_blank((*s)[*n - 1]))
                (*n)--;
}

/* configparser's inline comments: '#' preceded by whitespace. */
static void cut_inline_comment(const char *s, size_t *n) {
        for (size_t i = 1; i < *n; i++)
                if (s[i] == '#' && is_blank(s[i - 1])) {
                        *n = i;
                        return;
                }
}

typedef struct Pending {
        char key[256];
        char *value;
        size_t len;
        unsigned line;
        bool active;
} Pending;

/* On a callback error, *err_line is the key's line. */
static int flush(Pending *p, const char *section, BuildConfigCallback cb, void *userdata, unsigned *err_line) {
        int r = 0;
        if (!p->active)
                return 0;
        r = cb(userdata, section, p->key, p->value ? p->value : "", p->line);
        if (r < 0)
                *err_line = p->line;
        free(p->value);
        p->value = NULL;
        p->len = 0;
        p->active = false;
        return r;
}

static int append(Pending *p, const char *s, size_t n) {
        size_t need;
        if (!ADD_OK(p->len, n + 2, &need) || need > BUILD_CONFIG_SIZE_MAX)
                return -EFBIG;
        char *v = realloc(p->value, need);
        if (!v)
                return -ENOMEM;
        p->value = v;
        if (p->len > 0)
                v[p->len++] = '\n';
        memcpy(v + p->len, s, n);
        p->len += n;
        v[p->len] = 0;
        return 0;
}

static void pending_done(Pending *p) {
        free(p->value);
}

/* build_config_parse() with *line the line being read, for its error. */
static int parse_lines(const char *text, size_t size, BuildConfigCallback cb, void *userdata, unsigned *line) {
        _cleanup_(pending_done) Pending p = {};
        char section[256] = "";
        bool have_section = false;
        size_t pos = 0;
        int r;

        while (pos < size) {
                const char *l = text + pos, *nl = memchr(l, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - l) : size - pos;
                pos += n + (nl ? 1 : 0);
                (*line)++;

                if (n > BUILD_CONFIG_LINE_MAX || memchr(l, 0, n))
                        return -EBADMSG;

                bool indented = n > 0 && is_blank(l[0]);
                const char *s = l;
                size_t k = n;
                strip(&s, &k);

                if (k == 0 || s[0] == '#') {
                        /* configparser (comment_prefixes='#', empty_lines_in_values=False):
                         * an empty line ends a value, and so does a comment line, indented
                         * or not (it counts as empty). ';' is not a comment prefix for
                         * ukify: such a line is a key or a syntax error, as there. */
                        r = flush(&p, section, cb, userdata, line);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (indented && p.active) {
                        cut_inline_comment(s, &k);
                        strip(&s, &k);
                        r = append(&p, s, k);
                        if (r < 0)
                                return r;
                        continue;
                }

                r = flush(&p, section, cb, userdata, line);
                if (r < 0)
                        return r;

                if (s[0] == '[') {
                        const char *e = memchr(s, ']', k);
                        if (!e || (size_t) (e - s - 1) >= sizeof(section) || e == s + 1)
                                return -EBADMSG;
                        memcpy(section, s + 1, (size_t) (e - s - 1));
                        section[e - s - 1] = 0;
                        have_section = true;
                        continue;
                }

                const char *eq = memchr(s, '=', k);
                if (!eq || !have_section)
                        return -EBADMSG;
                const char *key = s, *val = eq + 1;
                size_t kl = (size_t) (eq - s), vl = k - kl - 1;
                strip(&key, &kl);
                cut_inline_comment(val, &vl);
                strip(&val, &vl);
                if (kl == 0 || kl >= sizeof(p.key))
                        return -EBADMSG;
                memcpy(p.key, key, kl);
                p.key[kl] = 0;
                p.line = *line;
                p.active = true;
                r = append(&p, val, vl);
                if (r < 0)
                        return r;
        }
        return flush(&p, section, cb, userdata, line);
}

int build_config_parse(const char *text, size_t size, BuildConfigCallback cb, void *userdata, unsigned *ret_line) {
        unsigned line = 0;
        int r;

        if (size > BUILD_CONFIG_SIZE_MAX)
                return -EFBIG;
        r = parse_lines(text, size, cb, userdata, &line);
        if (r < 0 && ret_line)
                *ret_line = line;
        return r < 0 ? r : 0;
}

const char *build_config_default_path(void) {
        static const char *const paths[] = {
                "/etc/systemd/ukify.conf",      /* ukify 257's DEFAULT_CONFIG_DIRS order */
                "/run/systemd/ukify.conf",
                "/usr/local/lib/systemd/ukify.conf",
                "/usr/lib/systemd/ukify.conf",
        };
        const char *e = getenv("UKIT_CONFIG_SEARCH");
        if (e && streq(e, "0"))
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (access(paths[i], F_OK) == 0)
                        return paths[i];
        return NULL;
}
