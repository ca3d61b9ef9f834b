/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "update-version.h"

#define VERSION_SPECIAL "~-^."

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_relevant(char c) {
        return is_digit(c) || is_alpha(c) || (c && strchr(VERSION_SPECIAL, c));
}

static int sign(int v) {
        return (v > 0) - (v < 0);
}

/* One of a/b at a separator c: the side without it wins (rv) or loses. Both
 * at c: step over it, return 0 and *stepped. */
static int cmp_separator(const char **a, const char **b, char c, int older_with, bool *stepped) {
        *stepped = false;
        if (**a != c && **b != c)
                return 0;
        if (**a != c)
                return -older_with;
        if (**b != c)
                return older_with;
        (*a)++, (*b)++;
        *stepped = true;
        return 0;
}

static int cmp_numeric(const char **a, const char **b) {
        size_t na, nb;
        int r;

        /* a number (even "0") is newer than letters: "0" > "v007" */
        if (is_digit(**a) != is_digit(**b))
                return is_digit(**a) ? 1 : -1;
        while (**a == '0')
                (*a)++;
        while (**b == '0')
                (*b)++;
        for (na = 0; is_digit((*a)[na]); na++)
                ;
        for (nb = 0; is_digit((*b)[nb]); nb++)
                ;
        /* More significant digits is newer */
        if (na != nb)
                return na < nb ? -1 : 1;
        r = memcmp(*a, *b, na);
        if (r != 0)
                return sign(r);
        *a += na, *b += nb;
        return 0;
}

static int cmp_alpha(const char **a, const char **b) {
        size_t na, nb;
        int r;

        for (na = 0; is_alpha((*a)[na]); na++)
                ;
        for (nb = 0; is_alpha((*b)[nb]); nb++)
                ;
        r = memcmp(*a, *b, na < nb ? na : nb);
        if (r != 0)
                return sign(r);
        if (na != nb)
                return na < nb ? -1 : 1;
        *a += na, *b += nb;
        return 0;
}

int update_version_cmp(const char *a, const char *b) {
        if (!a || !b)
                return (a != NULL) - (b != NULL);

        for (;;) {
                bool stepped;
                int r;

                while (*a && !is_relevant(*a))
                        a++;
                while (*b && !is_relevant(*b))
                        b++;

                /* '~' is older than anything, even the end of the string. */
                r = cmp_separator(&a, &b, '~', -1, &stepped);
                if (r != 0 || stepped) {
                        if (r != 0)
                                return r;
                        continue;
                }
                if (!*a || !*b)
                        return (*a != 0) - (*b != 0);
                /* '-' (version-release) is older than anything else left. */
                r = cmp_separator(&a, &b, '-', -1, &stepped);
                if (r != 0)
                        return r;
                if (stepped)
                        continue;
                /* '^' (patch level): newer than the end, older than the rest. */
                r = cmp_separator(&a, &b, '^', -1, &stepped);
                if (r != 0)
                        return r;
                if (stepped)
                        continue;
                r = cmp_separator(&a, &b, '.', -1, &stepped);
                if (r != 0)
                        return r;
                if (stepped)
                        continue;

                r = (is_digit(*a) || is_digit(*b)) ? cmp_numeric(&a, &b) : cmp_alpha(&a, &b);
                if (r != 0)
                        return r;
        }
}

bool update_version_valid(const char *s) {
        size_t n;

        if (!s || !*s)
                return false;
        n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,_+-");
        return s[n] == 0 && n <= UPDATE_VERSION_MAX;
}
