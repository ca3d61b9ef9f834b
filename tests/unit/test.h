/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal unit-test helpers. A failed check prints file:line and the
 * expression and exits 1; main() ends with TEST_DONE(). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned test_checks = 0;

#define CHECK(expr)                                                             \
        do {                                                                    \
                test_checks++;                                                  \
                if (!(expr)) {                                                  \
                        fprintf(stderr, "%s:%d: check failed: %s\n",            \
                                __FILE__, __LINE__, #expr);                     \
                        exit(1);                                                \
                }                                                               \
        } while (0)

#define CHECK_EQ_INT(a, b)                                                      \
        do {                                                                    \
                long long _a = (long long) (a), _b = (long long) (b);           \
                test_checks++;                                                  \
                if (_a != _b) {                                                 \
                        fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
                                __FILE__, __LINE__, #a, #b, _a, _b);            \
                        exit(1);                                                \
                }                                                               \
        } while (0)

#define CHECK_EQ_STR(a, b)                                                      \
        do {                                                                    \
                const char *_a = (a), *_b = (b);                                \
                test_checks++;                                                  \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                        \
                        fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
                                __FILE__, __LINE__, #a, #b,                     \
                                _a ? _a : "(null)", _b ? _b : "(null)");        \
                        exit(1);                                                \
                }                                                               \
        } while (0)

#define TEST_DONE()                                                             \
        do {                                                                    \
                if (test_checks == 0) {                                         \
                        fprintf(stderr, "no checks ran\n");                     \
                        return 1;                                               \
                }                                                               \
                printf("%u checks passed\n", test_checks);                      \
                return 0;                                                       \
        } while (0)
