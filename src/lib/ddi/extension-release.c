/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extension-release.h"
#include "osrel.h"
#include "util.h"

#define EXT_RELEASE_TEXT_MAX 4096u

const char *ext_class_name(ExtClass c) {
        return c == EXT_CONFEXT ? "confext" : "sysext";
}
const char *ext_level_key(ExtClass c) {
        return c == EXT_CONFEXT ? "CONFEXT_LEVEL" : "SYSEXT_LEVEL";
}
const char *ext_scope_key(ExtClass c) {
        return c == EXT_CONFEXT ? "CONFEXT_SCOPE" : "SYSEXT_SCOPE";
}
const char *ext_release_dir(ExtClass c) {
        return c == EXT_CONFEXT ? "etc/extension-release.d" : "usr/lib/extension-release.d";
}

/* Value of key or "" when absent. The text has been validated already, so
 * the only failure left is a value longer than the buffer: report that. */
static int get(const char *data, size_t size, const char *key, char buf[EXT_VALUE_MAX]) {
        size_t pos = 0;
        OsrelEntry e;
        bool found = false;
        int r;

        buf[0] = 0;
        while ((r = osrel_next(data, size, &pos, &e)) > 0) {
                if (e.key_len != strlen(key) || memcmp(e.key, key, e.key_len) != 0)
                        continue;
                if (osrel_unquote(e.value, e.value_len, buf, EXT_VALUE_MAX) < 0)
                        return -E2BIG;
                found = true;   /* keep going: the last assignment wins */
        }
        if (r < 0)
                return -EBADMSG;
        return found ? 1 : 0;
}

int host_release_parse(ExtClass c, const char *data, size_t size, HostRelease *ret) {
        HostRelease h = { .scope = "system" };
        unsigned line = 0;

        if (osrel_validate(data, size, &line) < 0)
                return -EBADMSG;
        if (get(data, size, "ID", h.id) < 0 || get(data, size, "ID_LIKE", h.id_like) < 0 ||
            get(data, size, "VERSION_ID", h.version_id) < 0 || get(data, size, ext_level_key(c), h.level) < 0)
                return -EBADMSG;
        if (!h.id[0])
                return -ENOMSG;
        *ret = h;
        return 0;
}

/* Whitespace-separated word list contains w? */
static bool words_contain(const char *list, const char *w) {
        size_t l = strlen(w);
        for (const char *p = list; *p;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n == l && n > 0 && memcmp(p, w, n) == 0)
                        return true;
                p += n;
        }
        return false;
}

int extension_release_validate(ExtClass c, const char *name, const char *data, size_t size,
                               const HostRelease *host, UkitError *err) {
        char id[EXT_VALUE_MAX], version_id[EXT_VALUE_MAX], level[EXT_VALUE_MAX], scope[EXT_VALUE_MAX],
                arch[EXT_VALUE_MAX];
        unsigned line = 0;

#define REJECT(...) return ukit_error(err, -EPERM, __VA_ARGS__)

        if (!data || size == 0)
                REJECT("no extension-release data");
        if (osrel_validate(data, size, &line) < 0)
                REJECT("extension-release.%.60s: syntax error on line %u", name, line);
        if (get(data, size, "ID", id) < 0 || get(data, size, "VERSION_ID", version_id) < 0 ||
            get(data, size, ext_level_key(c), level) < 0 || get(data, size, ext_scope_key(c), scope) < 0 ||
            get(data, size, "ARCHITECTURE", arch) < 0)
                REJECT("extension-release.%.60s: value too long", name);

        if (!scope[0])
                strcpy(scope, "system portable");
        if (!words_contain(scope, host->scope))
                REJECT("%.60s=%.60s does not include host scope '%.60s'", ext_scope_key(c), scope, host->scope);

        if (arch[0] && !streq(arch, "_any") && !streq(arch, host->arch))
                REJECT("ARCHITECTURE=%.60s does not match host architecture %.60s", arch, host->arch);

        if (!id[0])
                REJECT("no ID= in extension-release.%.60s", name);
        if (streq(id, "_any"))
                return 0;
        if (!streq(id, host->id) && !words_contain(host->id_like, id))
                REJECT("ID=%.60s does not match host ID=%.60s", id, host->id);

        if (!host->version_id[0] && !host->level[0])
                return 0;       /* rolling release: nothing to pin against */

        if (host->level[0] && level[0]) {
                if (!streq(host->level, level))
                        REJECT("%.60s=%.60s does not match host %.60s=%.60s", ext_level_key(c), level,
                               ext_level_key(c), host->level);
        } else if (host->version_id[0]) {
                if (!version_id[0])
                        REJECT("no VERSION_ID= (host has VERSION_ID=%.60s)", host->version_id);
                if (!streq(version_id, host->version_id))
                        REJECT("VERSION_ID=%.60s does not match host VERSION_ID=%.60s", version_id, host->version_id);
        }
        return 0;
#undef REJECT
}

static int append_kv(char *buf, size_t bufsz, size_t *len, const char *key, const char *v) {
        if (!v)
                return 0;
        if (!*v)
                return -EINVAL;
        int n = snprintf(buf + *len, bufsz - *len, "%s=\"", key);
        if (n < 0 || (size_t) n >= bufsz - *len)
                return -E2BIG;
        *len += (size_t) n;
        for (const char *p = v; *p; p++) {
                unsigned char ch = (unsigned char) *p;
                if (ch < 0x20 || ch == 0x7f)
                        return -EINVAL;
                if (*len + 3 >= bufsz)
                        return -E2BIG;
                if (ch == '"' || ch == '\\' || ch == '$' || ch == '`')
                        buf[(*len)++] = '\\';
                buf[(*len)++] = (char) ch;
        }
        if (*len + 3 >= bufsz)
                return -E2BIG;
        buf[(*len)++] = '"';
        buf[(*len)++] = '\n';
        buf[*len] = 0;
        return 0;
}

int extension_release_format(ExtClass c, const char *id, const char *version_id, const char *level,
                             const char *arch, const char *scope, char **ret) {
        _cleanup_free_ char *buf = malloc(EXT_RELEASE_TEXT_MAX);
        size_t len = 0;
        int r;

        if (!buf)
                return -ENOMEM;
        buf[0] = 0;
        if ((r = append_kv(buf, EXT_RELEASE_TEXT_MAX, &len, "ID", id)) < 0 ||
            (r = append_kv(buf, EXT_RELEASE_TEXT_MAX, &len, "VERSION_ID", version_id)) < 0 ||
            (r = append_kv(buf, EXT_RELEASE_TEXT_MAX, &len, ext_level_key(c), level)) < 0 ||
            (r = append_kv(buf, EXT_RELEASE_TEXT_MAX, &len, "ARCHITECTURE", arch)) < 0 ||
            (r = append_kv(buf, EXT_RELEASE_TEXT_MAX, &len, ext_scope_key(c), scope)) < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}
static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_valid(char c) {
        return is_digit(c) || is_alpha(c) || c == '~' || c == '-' || c == '^' || c == '.';
}

/* UAPI.10 "Version Comparison", step by step. */
int vercmp(const char *a, const char *b) {
        for (;;) {
                while (*a && !is_valid(*a))
                        a++;
                while (*b && !is_valid(*b))
                        b++;
                if (*a == '~' || *b == '~') {
                        if (*a != '~')
                                return 1;
                        if (*b != '~')
                                return -1;
                        a++, b++;
                        continue;
                }
                if (!*a || !*b)
                        return (*a != 0) - (*b != 0);
                if (*a == '-' || *b == '-') {
                        if (*a != '-')
                                return 1;
                        if (*b != '-')
                                return -1;
                        a++, b++;
                        continue;
                }
                /* '^' sorts above the end of the string but below '.' and
                 * alphanumerics: what systemd's strverscmp_improved() does
                 * (checked with systemd-analyze compare-versions). */
                if (*a == '^' || *b == '^') {
                        if (*a != '^')
                                return 1;
                        if (*b != '^')
                                return -1;
                        a++, b++;
                        continue;
                }
                if (*a == '.' || *b == '.') {
                        if (*a != '.')
                                return 1;
                        if (*b != '.')
                                return -1;
                        a++, b++;
                        continue;
                }
                if (is_digit(*a) || is_digit(*b)) {
                        while (*a == '0')
                                a++;
                        while (*b == '0')
                                b++;
                        size_t na = 0, nb = 0;
                        while (is_digit(a[na]))
                                na++;
                        while (is_digit(b[nb]))
                                nb++;
                        if (na != nb)
                                return na < nb ? -1 : 1;
                        int r = memcmp(a, b, na);
                        if (r != 0)
                                return r < 0 ? -1 : 1;
                        a += na, b += nb;
                        continue;
                }
                while (is_alpha(*a) && is_alpha(*b)) {
                        if (*a != *b)
                                return *a < *b ? -1 : 1;  /* ASCII: 'A' < 'a' */
                        a++, b++;
                }
                if (is_alpha(*a) != is_alpha(*b))
                        return is_alpha(*a) ? 1 : -1;
        }
}

bool ext_image_name_valid(const char *name) {
        size_t l = strlen(name);
        if (l == 0 || l > 255 || streq(name, ".") || streq(name, "..") || startswith(name, ".#"))
                return false;
        for (const char *p = name; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == '/' || *p == 0x7f)
                        return false;
        return true;
}
