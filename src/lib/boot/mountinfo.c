/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"
#include "util.h"

void mount_entry_done(MountEntry *e) {
        free(e->mount_point);
        free(e->fstype);
        free(e->source);
        *e = (MountEntry) {};
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (octal). */
static char *unescape_field(const char *s, size_t n) {
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 3 < n &&
                    s[i + 1] >= '0' && s[i + 1] <= '3' &&
                    s[i + 2] >= '0' && s[i + 2] <= '7' &&
                    s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
                        i += 3;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

/* Split off the next space-separated field of *p; false at the end. */
static bool next_field(const char **p, const char **ret, size_t *ret_n) {
        const char *s = *p;

        while (*s == ' ')
                s++;
        if (!*s)
                return false;
        *ret = s;
        while (*s && *s != ' ')
                s++;
        *ret_n = (size_t) (s - *ret);
        *p = s;
        return true;
}

int mountinfo_parse_line(const char *line, MountEntry *ret) {
        /* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue */
        const char *p = line, *f[5], *fs, *src;
        size_t n[5], fsn, srcn;
        unsigned maj, min;
        char devbuf[32];
        MountEntry e = {};

        for (size_t i = 0; i < 5; i++)
                if (!next_field(&p, &f[i], &n[i]))
                        return -EBADMSG;

        /* Optional fields, terminated by a lone "-". */
        for (;;) {
                const char *o;
                size_t on;
                if (!next_field(&p, &o, &on))
                        return -EBADMSG;
                if (on == 1 && o[0] == '-')
                        break;
        }
        if (!next_field(&p, &fs, &fsn) || !next_field(&p, &src, &srcn))
                return -EBADMSG;

        if (n[2] >= sizeof(devbuf))
                return -EBADMSG;
        memcpy(devbuf, f[2], n[2]);
        devbuf[n[2]] = 0;
        char tail;
        if (sscanf(devbuf, "%u:%u%c", &maj, &min, &tail) != 2)
                return -EBADMSG;

        e.mount_point = unescape_field(f[4], n[4]);
        e.fstype = unescape_field(fs, fsn);
        e.source = unescape_field(src, srcn);
        if (!e.mount_point || !e.fstype || !e.source) {
                mount_entry_done(&e);
                return -ENOMEM;
        }
        e.major = maj;
        e.minor = min;
        *ret = e;
        return 0;
}

int mountinfo_find(const char *text, size_t size, const char *path, MountEntry *ret) {
        MountEntry found = {};
        bool have = false;
        size_t pos = 0;

        while (pos < size) {
                const char *nl = memchr(text + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (text + pos)) : size - pos;
                _cleanup_free_ char *line = strndup(text + pos, len);
                MountEntry e;
                int r;

                pos += len + (nl ? 1 : 0);
                if (!line) {
                        mount_entry_done(&found);
                        return -ENOMEM;
                }
                if (len == 0)
                        continue;
                r = mountinfo_parse_line(line, &e);
                if (r == -ENOMEM) {
                        mount_entry_done(&found);
                        return r;
                }
                if (r < 0)
                        continue;       /* the kernel writes it; skip what we do not understand */
                if (streq(e.mount_point, path)) {
                        mount_entry_done(&found);
                        found = e;
                        have = true;
                } else
                        mount_entry_done(&e);
        }
        if (!have)
                return -ENOENT;
        *ret = found;
        return 0;
}
