/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "update-pattern.h"
#include "update-version.h"
#include "util.h"

static const char field_chars[_UPDATE_FIELD_MAX] = {
        [UPDATE_FIELD_VERSION] = 'v',
        [UPDATE_FIELD_PARTITION_UUID] = 'u',
        [UPDATE_FIELD_PARTITION_FLAGS] = 'f',
        [UPDATE_FIELD_NO_AUTO] = 'a',
        [UPDATE_FIELD_GROWFS] = 'g',
        [UPDATE_FIELD_READ_ONLY] = 'r',
        [UPDATE_FIELD_MTIME] = 't',
        [UPDATE_FIELD_MODE] = 'm',
        [UPDATE_FIELD_SIZE] = 's',
        [UPDATE_FIELD_TRIES_DONE] = 'd',
        [UPDATE_FIELD_TRIES_LEFT] = 'l',
        [UPDATE_FIELD_SHA256] = 'h',
};

char update_field_char(UpdateField f) {
        return f > UPDATE_FIELD_LITERAL && f < _UPDATE_FIELD_MAX ? field_chars[f] : '?';
}

static UpdateField field_from_char(char c) {
        for (UpdateField f = UPDATE_FIELD_LITERAL + 1; f < _UPDATE_FIELD_MAX; f++)
                if (field_chars[f] == c)
                        return f;
        return UPDATE_FIELD_LITERAL;
}

void update_meta_init(UpdateMeta *m) {
        *m = (UpdateMeta) {
                .flags = UPDATE_UNSET, .mtime_usec = UPDATE_UNSET, .mode = UPDATE_UNSET,
                .size = UPDATE_UNSET, .tries_done = UPDATE_UNSET, .tries_left = UPDATE_UNSET,
                .no_auto = -1, .growfs = -1, .read_only = -1,
        };
}

void update_meta_done(UpdateMeta *m) {
        free(m->version);
        m->version = NULL;
}

void update_pattern_done(UpdatePattern *p) {
        for (size_t i = 0; i < p->n_elements; i++)
                free(p->elements[i].literal);
        free(p->elements);
        free(p->text);
        *p = (UpdatePattern) {};
}

bool update_pattern_has(const UpdatePattern *p, UpdateField f) {
        for (size_t i = 0; i < p->n_elements; i++)
                if (p->elements[i].field == f)
                        return true;
        return false;
}

static int add_element(UpdatePattern *p, UpdateField f, const char *lit, size_t n) {
        UpdatePatternElement *e;

        if (p->n_elements >= UPDATE_PATTERN_ELEMENTS_MAX)
                return -E2BIG;
        e = realloc(p->elements, (p->n_elements + 1) * sizeof(*e));
        if (!e)
                return -ENOMEM;
        p->elements = e;
        e[p->n_elements] = (UpdatePatternElement) { .field = f };
        if (f == UPDATE_FIELD_LITERAL) {
                e[p->n_elements].literal = strndup(lit, n);
                if (!e[p->n_elements].literal)
                        return -ENOMEM;
        }
        p->n_elements++;
        return 0;
}

static int parse_elements(const char *text, UpdatePattern *p, UkitError *err) {
        char lit[1024];
        size_t nl = 0;
        bool seen[_UPDATE_FIELD_MAX] = {};
        int r;

        for (const char *s = text; *s; s++) {
                UpdateField f;

                if (*s != '@' || s[1] == '@') {
                        if (nl + 1 >= sizeof(lit))
                                return ukit_error(err, -E2BIG, "pattern too long");
                        lit[nl++] = *s;
                        if (*s == '@')
                                s++;
                        continue;
                }
                f = s[1] ? field_from_char(s[1]) : UPDATE_FIELD_LITERAL;
                if (f == UPDATE_FIELD_LITERAL)
                        return ukit_error(err, -EINVAL, "unknown wildcard '@%c'", s[1] ? s[1] : ' ');
                if (seen[f])
                        return ukit_error(err, -EINVAL, "wildcard '@%c' used twice", s[1]);
                if (nl == 0 && p->n_elements > 0 &&
                    p->elements[p->n_elements - 1].field != UPDATE_FIELD_LITERAL)
                        return ukit_error(err, -EINVAL, "wildcards '@%c' and '@%c' need literal text between them",
                                          update_field_char(p->elements[p->n_elements - 1].field), s[1]);
                if (nl > 0) {
                        r = add_element(p, UPDATE_FIELD_LITERAL, lit, nl);
                        if (r < 0)
                                return r;
                        nl = 0;
                }
                seen[f] = true;
                r = add_element(p, f, NULL, 0);
                if (r < 0)
                        return r;
                s++;
        }
        if (nl > 0) {
                r = add_element(p, UPDATE_FIELD_LITERAL, lit, nl);
                if (r < 0)
                        return r;
        }
        if (!seen[UPDATE_FIELD_VERSION])
                return ukit_error(err, -EINVAL, "pattern lacks the '@v' version wildcard");
        return 0;
}

int update_pattern_parse(const char *text, UpdatePattern *ret, UkitError *err) {
        UpdatePattern p = {};
        int r;

        if (!text || !*text)
                return ukit_error(err, -EINVAL, "empty pattern");
        r = parse_elements(text, &p, err);
        if (r >= 0 && !(p.text = strdup(text)))
                r = -ENOMEM;
        if (r < 0) {
                update_pattern_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

/* A number in a name, read as 257's safe_atollu_full() reads it: leading
 * whitespace skipped; with base 0 C's prefixes plus "0b" and "0o"; a sign
 * only where allowed, and then "-0" only; UINT64_MAX is refused (it means
 * unset). */
static int parse_u64(const char *s, int base, bool allow_sign, uint64_t *ret) {
        char *end;
        unsigned long long v;

        s += strspn(s, " \t\n\r");
        if (!allow_sign && (*s == '+' || *s == '-'))
                return -EINVAL;
        if (base == 0 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B' || s[1] == 'o' || s[1] == 'O')) {
                base = s[1] == 'b' || s[1] == 'B' ? 2 : 8;
                s += 2;
        }
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno != 0 || end == s || *end || (v != 0 && *s == '-') || v == UPDATE_UNSET)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_bool(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

static int parse_uuid(const char *s, uint8_t out[16]) {
        char hex[33];
        size_t n = 0;

        if (strlen(s) == 36) {
                for (size_t i = 0; i < 36; i++) {
                        if (i == 8 || i == 13 || i == 18 || i == 23) {
                                if (s[i] != '-')
                                        return -EINVAL;
                                continue;
                        }
                        hex[n++] = s[i];
                }
        } else if (strlen(s) == 32) {
                memcpy(hex, s, 32);
                n = 32;
        } else
                return -EINVAL;
        hex[n] = 0;
        return unhexmem(hex, 32, out, 16);
}

/* Store the text of one wildcard in m; -EINVAL if it does not parse. */
static int store_field(UpdateField f, const char *v, UpdateMeta *m) {
        int b;

        switch (f) {
        case UPDATE_FIELD_VERSION:
                if (!update_version_valid(v))
                        return -EINVAL;
                m->version = strdup(v);
                return m->version ? 0 : -ENOMEM;
        case UPDATE_FIELD_PARTITION_UUID:
                m->has_uuid = parse_uuid(v, m->uuid) >= 0;
                return m->has_uuid ? 0 : -EINVAL;
        case UPDATE_FIELD_PARTITION_FLAGS:     /* hexadecimal, "0x" optional */
                return parse_u64(v, 16, true, &m->flags);
        /* numbers as 257 reads them: "0644" is octal, "0x10" hex */
        case UPDATE_FIELD_MTIME:
                return parse_u64(v, 0, true, &m->mtime_usec);
        case UPDATE_FIELD_MODE:
                /* octal; no world-writable or set-id mode (257 refuses
                 * those bits: the name does not match) */
                if (parse_u64(v, 8, false, &m->mode) < 0 || m->mode > 07777 || (m->mode & ~(uint64_t) 0775))
                        return -EINVAL;
                return 0;
        case UPDATE_FIELD_SIZE:
                return parse_u64(v, 0, true, &m->size);
        case UPDATE_FIELD_TRIES_DONE:
                return parse_u64(v, 0, true, &m->tries_done);
        case UPDATE_FIELD_TRIES_LEFT:
                return parse_u64(v, 0, true, &m->tries_left);
        case UPDATE_FIELD_SHA256:
                m->has_sha256 = strlen(v) == 64 && unhexmem(v, 64, m->sha256, 32) >= 0;
                return m->has_sha256 ? 0 : -EINVAL;
        case UPDATE_FIELD_NO_AUTO:
        case UPDATE_FIELD_GROWFS:
        case UPDATE_FIELD_READ_ONLY:
                b = parse_bool(v);
                if (b < 0)
                        return b;
                *(f == UPDATE_FIELD_NO_AUTO ? &m->no_auto : f == UPDATE_FIELD_GROWFS ? &m->growfs : &m->read_only) = b;
                return 0;
        default:
                return -EINVAL;
        }
}

int update_pattern_match(const UpdatePattern *p, const char *name, UpdateMeta *ret) {
        UpdateMeta m;
        const char *s = name;

        update_meta_init(&m);
        for (size_t i = 0; i < p->n_elements; i++) {
                const UpdatePatternElement *e = &p->elements[i];
                const char *end;
                char *v;
                int r;

                if (e->field == UPDATE_FIELD_LITERAL) {
                        size_t n = strlen(e->literal);
                        if (strncmp(s, e->literal, n) != 0)
                                goto nope;
                        s += n;
                        continue;
                }
                if (i + 1 < p->n_elements) {
                        end = strstr(s, p->elements[i + 1].literal);
                        if (!end)
                                goto nope;
                } else
                        end = s + strlen(s);
                if (end == s)
                        goto nope;
                v = strndup(s, end - s);
                if (!v) {
                        update_meta_done(&m);
                        return -ENOMEM;
                }
                r = store_field(e->field, v, &m);
                free(v);
                if (r == -ENOMEM) {
                        update_meta_done(&m);
                        return r;
                }
                if (r < 0)
                        goto nope;
                s = end;
        }
        /* text after the pattern's last literal is ignored: systemd-sysupdate
         * 257 matches "usr_@v.verity" against "usr_3.verity-sig" (version 3) */
        *ret = m;
        return 1;
nope:
        update_meta_done(&m);
        return 0;
}

static int format_field(UpdateField f, const UpdateMeta *m, char *buf, size_t size) {
        const uint8_t *u = m->uuid;
        uint64_t v;

        switch (f) {
        case UPDATE_FIELD_VERSION:
                if (!m->version)
                        return -ENXIO;
                return snprintf(buf, size, "%s", m->version) < (int) size ? 0 : -E2BIG;
        case UPDATE_FIELD_PARTITION_UUID:
                if (!m->has_uuid)
                        return -ENXIO;
                snprintf(buf, size,
                         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                         u[12], u[13], u[14], u[15]);
                return 0;
        case UPDATE_FIELD_SHA256:
                if (!m->has_sha256)
                        return -ENXIO;
                for (size_t i = 0; i < 32; i++)
                        snprintf(buf + 2 * i, size - 2 * i, "%02x", m->sha256[i]);
                return 0;
        case UPDATE_FIELD_NO_AUTO:
        case UPDATE_FIELD_GROWFS:
        case UPDATE_FIELD_READ_ONLY: {
                int b = f == UPDATE_FIELD_NO_AUTO ? m->no_auto : f == UPDATE_FIELD_GROWFS ? m->growfs : m->read_only;
                if (b < 0)
                        return -ENXIO;
                snprintf(buf, size, "%d", b);
                return 0;
        }
        case UPDATE_FIELD_PARTITION_FLAGS:
                if (m->flags == UPDATE_UNSET)
                        return -ENXIO;
                snprintf(buf, size, "%" PRIx64, m->flags);
                return 0;
        case UPDATE_FIELD_MODE:
                if (m->mode == UPDATE_UNSET)
                        return -ENXIO;
                snprintf(buf, size, "%03" PRIo64, m->mode);
                return 0;
        default:
                v = f == UPDATE_FIELD_MTIME ? m->mtime_usec : f == UPDATE_FIELD_SIZE ? m->size :
                    f == UPDATE_FIELD_TRIES_DONE ? m->tries_done : m->tries_left;
                if (v == UPDATE_UNSET)
                        return -ENXIO;
                snprintf(buf, size, "%" PRIu64, v);
                return 0;
        }
}

int update_pattern_format(const UpdatePattern *p, const UpdateMeta *m, char **ret, UkitError *err) {
        size_t cap = 256, n = 0;
        char *out = malloc(cap);

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_elements; i++) {
                const UpdatePatternElement *e = &p->elements[i];
                char buf[UPDATE_VERSION_MAX + 80];
                const char *piece = e->literal;
                size_t l;
                int r;

                if (e->field != UPDATE_FIELD_LITERAL) {
                        r = format_field(e->field, m, buf, sizeof(buf));
                        if (r < 0) {
                                free(out);
                                return ukit_error(err, r, "pattern '%s': no value for '@%c'", p->text,
                                                  update_field_char(e->field));
                        }
                        piece = buf;
                }
                l = strlen(piece);
                if (buf_append(&out, &n, &cap, piece, l) < 0) {
                        free(out);
                        return -ENOMEM;
                }
        }
        out[n] = 0;
        *ret = out;
        return 0;
}
