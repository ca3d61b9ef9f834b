/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "osrel.h"
#include "uki-name.h"
#include "util.h"

#define EFI_SUFFIX ".efi"

bool uki_entry_token_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > UKI_ENTRY_TOKEN_MAX)
                return false;
        if (s[0] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (!(isascii(c) && (isalnum(c) || c == '.' || c == '_' || c == '-')))
                        return false;
        }
        return true;
}

/* Parse "DIGITS" in s[0..n): the whole range must be digits, value <= max. */
static bool parse_counter(const char *s, size_t n, unsigned max, int *ret) {
        unsigned long v;

        if (!parse_digits_n(s, n, &v) || v > max)
                return false;
        *ret = (int) v;
        return true;
}

/* Does s[0..n) end in "+LEFT" or "+LEFT-DONE"? Then return the stem length.
 * This mirrors how systemd-boot finds the counter: the last '+' in the name. */
static bool split_counter(const char *s, size_t n, size_t *ret_stem, int *ret_left, int *ret_done) {
        const char *plus = NULL, *dash;
        int left, done = -1;

        for (size_t i = n; i > 0; i--)
                if (s[i - 1] == '+') {
                        plus = s + i - 1;
                        break;
                }
        if (!plus)
                return false;

        const char *p = plus + 1, *end = s + n;
        dash = memchr(p, '-', (size_t) (end - p));
        if (dash) {
                if (!parse_counter(p, (size_t) (dash - p), UKI_TRIES_MAX, &left) ||
                    !parse_counter(dash + 1, (size_t) (end - dash - 1), UKI_TRIES_MAX, &done))
                        return false;
        } else if (!parse_counter(p, (size_t) (end - p), UKI_TRIES_MAX, &left))
                return false;

        *ret_stem = (size_t) (plus - s);
        *ret_left = left;
        *ret_done = done;
        return true;
}

bool uki_version_valid(const char *s) {
        size_t n, stem;
        int l, d;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > UKI_VERSION_MAX || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c <= ' ' || c >= 0x7f || strchr("/\\:*?\"<>|", c))
                        return false;
        }
        /* "6.1+3" would be read back as version "6.1" with 3 tries left. */
        if (split_counter(s, n, &stem, &l, &d))
                return false;
        return true;
}

int uki_name_format(const char *token, const char *version, int tries, char **ret) {
        char *s;
        int r;

        if (!uki_entry_token_valid(token) || !uki_version_valid(version))
                return -EINVAL;
        if (tries > (int) UKI_TRIES_MAX)
                return -EINVAL;

        if (tries >= 0)
                r = asprintf(&s, "%s-%s+%d" EFI_SUFFIX, token, version, tries);
        else
                r = asprintf(&s, "%s-%s" EFI_SUFFIX, token, version);
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int uki_name_parse(const char *filename, UkiName *ret) {
        size_t n, sl = strlen(EFI_SUFFIX), stem;
        int left = -1, done = -1;
        char *copy;

        if (!filename)
                return -EINVAL;
        n = strlen(filename);
        if (n <= sl || filename[0] == '.' || strchr(filename, '/'))
                return -EINVAL;
        if (strcasecmp(filename + n - sl, EFI_SUFFIX) != 0)
                return -EINVAL;
        n -= sl;

        if (!split_counter(filename, n, &stem, &left, &done))
                stem = n;
        if (stem == 0)
                return -EINVAL;

        copy = strndup(filename, stem);
        if (!copy)
                return -ENOMEM;
        ret->stem = copy;
        ret->tries_left = left;
        ret->tries_done = done;
        return 0;
}

void uki_name_done(UkiName *n) {
        free(n->stem);
        n->stem = NULL;
        n->tries_left = n->tries_done = -1;
}

bool uki_name_matches(const char *filename, const char *token, const char *version) {
        UkiName n = UKI_NAME_INIT;
        const char *rest;
        bool match = false;

        if (uki_name_parse(filename, &n) < 0)
                return false;
        rest = startswith(n.stem, token);
        if (rest && rest[0] == '-' && streq(rest + 1, version))
                match = true;
        uki_name_done(&n);
        return match;
}

int uki_tries_parse(const char *text, size_t n, unsigned *ret) {
        size_t a = 0, b = n;
        int v;

        while (a < b && isspace((unsigned char) text[a]))
                a++;
        while (b > a && isspace((unsigned char) text[b - 1]))
                b--;
        if (!parse_counter(text + a, b - a, UKI_TRIES_MAX, &v))
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

int uki_tries_read(const char *path, unsigned *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r;

        r = read_file_full(path, UKI_TRIES_FILE_MAX, &buf, &n);
        if (r < 0)
                return r;
        return uki_tries_parse(buf, n, ret);
}

int uki_machine_id_parse(const char *text, size_t n, char buf[static 33]) {
        if (!text)
                return -EINVAL;
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
                n--;
        if (n != 32)
                return -EINVAL;
        for (size_t i = 0; i < 32; i++)
                if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
                        return -EINVAL;
        memcpy(buf, text, 32);
        buf[32] = 0;
        return 0;
}

static int token_from_osrel(const char *os_release, size_t size, const char *key, char **ret) {
        char buf[UKI_ENTRY_TOKEN_MAX + 1];
        int l;

        if (!os_release)
                return -ENXIO;
        l = osrel_get(os_release, size, key, buf, sizeof(buf));
        if (l <= 0)
                return -ENXIO;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int uki_entry_token_resolve(const char *spec,
                            const char *entry_token_file,
                            const char *machine_id,
                            const char *os_release, size_t os_release_size,
                            char **ret) {
        _cleanup_free_ char *t = NULL;
        const char *lit;
        int r;

        if (!spec || streq(spec, "auto")) {
                if (entry_token_file) {
                        /* Like kernel-install's "read -r": first line, trimmed. */
                        size_t a = 0, b = strcspn(entry_token_file, "\n");
                        while (a < b && isspace((unsigned char) entry_token_file[a]))
                                a++;
                        while (b > a && isspace((unsigned char) entry_token_file[b - 1]))
                                b--;
                        if (b > a) {
                                t = strndup(entry_token_file + a, b - a);
                                if (!t)
                                        return -ENOMEM;
                        }
                }
                if (!t && machine_id)
                        t = strdup(machine_id);
                if (!t) {
                        r = token_from_osrel(os_release, os_release_size, "IMAGE_ID", &t);
                        if (r == -ENXIO)
                                r = token_from_osrel(os_release, os_release_size, "ID", &t);
                        if (r < 0)
                                return r;
                }
        } else if (streq(spec, "machine-id")) {
                if (!machine_id)
                        return -ENXIO;
                t = strdup(machine_id);
        } else if (streq(spec, "os-id")) {
                r = token_from_osrel(os_release, os_release_size, "ID", &t);
                if (r < 0)
                        return r;
        } else if (streq(spec, "os-image-id")) {
                r = token_from_osrel(os_release, os_release_size, "IMAGE_ID", &t);
                if (r < 0)
                        return r;
        } else if ((lit = startswith(spec, "literal:")))
                t = strdup(lit);
        else
                return -EINVAL;

        if (!t)
                return -ENOMEM;
        if (!uki_entry_token_valid(t))
                return -EINVAL;
        *ret = TAKE_PTR(t);
        return 0;
}
