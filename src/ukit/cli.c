/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"

const char *program_verb = NULL;
bool arg_quiet = false;

static void vlog(const char *level, const char *fmt, va_list ap, const char *suffix) {
        if (program_verb)
                fprintf(stderr, "ukit %s: ", program_verb);
        else
                fputs("ukit: ", stderr);
        if (level)
                fputs(level, stderr);
        vfprintf(stderr, fmt, ap);
        if (suffix)
                fprintf(stderr, ": %s", suffix);
        fputc('\n', stderr);
}

int log_error(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog(NULL, fmt, ap, NULL);
        va_end(ap);
        return EXIT_FAILURE;
}

void log_warning(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog("warning: ", fmt, ap, NULL);
        va_end(ap);
}

void log_info(const char *fmt, ...) {
        va_list ap;
        if (arg_quiet)
                return;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

int log_errno(int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog(NULL, fmt, ap, input_strerror(r));
        va_end(ap);
        return EXIT_FAILURE;
}

int log_error_r(int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog(NULL, fmt, ap, NULL);
        va_end(ap);
        return r;
}

int log_errno_r(int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog(NULL, fmt, ap, input_strerror(r));
        va_end(ap);
        return r;
}

int log_fail(const UkitError *err, int r, const char *fmt, ...) {
        char reason[sizeof(err->path) + sizeof(err->what) + 2];
        va_list ap;

        if (err && err->code != 0 && err->what[0]) {
                if (err->path[0])
                        snprintf(reason, sizeof(reason), "%s: %s", err->path, err->what);
                else
                        snprintf(reason, sizeof(reason), "%s", err->what);
        } else
                snprintf(reason, sizeof(reason), "%s", input_strerror(r));
        va_start(ap, fmt);
        vlog(NULL, fmt, ap, reason);
        va_end(ap);
        return EXIT_FAILURE;
}

int log_usage(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog(NULL, fmt, ap, NULL);
        va_end(ap);
        fprintf(stderr, "Try 'ukit %s --help'.\n", program_verb ? program_verb : "");
        return EXIT_USAGE;
}

int log_getopt_error(int c, char **argv) {
        if (c == ':')
                return log_usage("option '%s' needs an argument", argv[optind - 1]);
        /* A long option given an argument it does not take ("--help=x")
         * leaves its value in optopt: name the word, not a short option. */
        const char *arg = argv[optind - 1];
        /* An unknown option inside a cluster ("-rf") that is not finished
         * yet: getopt has not moved past it, so argv[optind - 1] is the
         * previous word and must not be blamed. */
        const char *cur = argv[optind];
        if (optopt > 0 && optopt < 256 && cur && cur[0] == '-' && cur[1] && cur[1] != '-' &&
            strchr(cur + 1, optopt))
                return log_usage("unknown option '-%c'", optopt);
        if (optopt && arg[0] == '-' && arg[1] != '-')
                return log_usage("unknown option '-%c'", optopt);
        if (optopt && strchr(arg, '='))
                return log_usage("option '%.*s' takes no argument", (int) strcspn(arg, "="), arg);
        return log_usage("unknown option '%s'", arg);
}
