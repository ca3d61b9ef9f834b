/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Command-line layer helpers: the only place that prints errors.
 * Each error is one line on stderr, "ukit VERB: FILE: problem". Verbs return
 * an exit status: 0 success, 1 failure, 2 usage error. */

#include <stdbool.h>

#include "macro.h"

#define EXIT_USAGE 2

/* Set by main() to the verb being run, used as the message prefix. */
extern const char *program_verb;

/* Prints one error line and returns EXIT_FAILURE, for
 * "return log_error("%s: not a PE file", path);" */
_printf_(1, 2) int log_error(const char *fmt, ...);
_printf_(1, 2) void log_warning(const char *fmt, ...);
_printf_(1, 2) void log_info(const char *fmt, ...);

/* Prints "FMT: strerror(-r)" and returns EXIT_FAILURE, for
 * "return log_errno(r, "%s: cannot read", path);" */
_printf_(2, 3) int log_errno(int r, const char *fmt, ...);

/* Prints "FMT: REASON" and returns EXIT_FAILURE, REASON being the library's
 * err->what when set (prefixed by err->path when set), else strerror(-r):
 * "return log_fail(&err, r, "%s", path);" */
struct UkitError;
_printf_(3, 4) int log_fail(const struct UkitError *err, int r, const char *fmt, ...);

/* For helpers below verb_*(), which return -errno: print as log_error() /
 * log_errno() and return r (negative): "return log_error_r(-EINVAL, ...);".
 * The verb turns r < 0 into EXIT_FAILURE. */
_printf_(2, 3) int log_error_r(int r, const char *fmt, ...);
_printf_(2, 3) int log_errno_r(int r, const char *fmt, ...);

/* Prints a usage error and returns EXIT_USAGE. */
_printf_(1, 2) int log_usage(const char *fmt, ...);

/* The usage error for getopt_long()'s ':' (missing argument) or '?' (unknown
 * option) result c, in our one-line format; for verbs that set opterr = 0
 * and start their optstring with ':'. Returns EXIT_USAGE. */
int log_getopt_error(int c, char **argv);

/* Set by --quiet in verbs that support it. */
extern bool arg_quiet;
