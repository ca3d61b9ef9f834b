/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* os-release(5) parser. Freestanding (compiled into the stub too): no libc.
 *
 * Syntax accepted (a strict reading of os-release(5), which in turn is a
 * subset of shell variable assignments):
 *   - lines separated by '\n' (a trailing '\r' is tolerated and stripped);
 *   - blank lines and lines whose first non-blank character is '#' are ignored;
 *   - otherwise KEY=VALUE, KEY made of [A-Za-z0-9_] (not starting with a digit),
 *     no whitespace around '=' (leading whitespace of the line is skipped);
 *   - VALUE is either unquoted (no whitespace, quotes, '\\', '$', '`'), or a
 *     single-quoted string (no escapes inside), or a double-quoted string in
 *     which '\\' escapes the next character ('\\"', '\\\\', '\\$', '\\`'). A
 *     value may consist of several adjacent quoted/unquoted parts
 *     (FOO="a"'b'c), as in shell. Trailing blanks after the value are allowed.
 *   - NUL bytes are never valid. */

#include <stdbool.h>
#include <stddef.h>

#define OSREL_LINE_MAX   4096u   /* bytes per line, excluding the newline */
#define OSREL_LINES_MAX  1024u   /* lines per file (including comments/blank lines) */
#define OSREL_SIZE_MAX   (OSREL_LINE_MAX * 16u) /* whole input; larger -> error */

typedef struct OsrelEntry {
        const char *key;
        size_t key_len;
        const char *value;      /* raw, possibly quoted; points into data */
        size_t value_len;
        unsigned line;          /* 1-based line number */
} OsrelEntry;

/* Iterate: *pos starts at 0. Returns 1 and fills *e for the next entry,
 * 0 at the end, -1 on a syntax error (then e->line is the bad line, and *pos
 * is left at the start of that line). */
int osrel_next(const char *data, size_t size, size_t *pos, OsrelEntry *e);

/* Unquote a raw value into buf (NUL-terminated). Returns the length (without
 * NUL), or -1 for bad quoting, an embedded NUL, or buf too small. */
int osrel_unquote(const char *raw, size_t n, char *buf, size_t bufsz);

/* Look up KEY (NUL-terminated) and unquote its value into buf. The last
 * assignment wins (shell semantics). Returns the length, or -1 if the key
 * is absent, the file is invalid, or buf is too small. */
int osrel_get(const char *data, size_t size, const char *key, char *buf, size_t bufsz);

/* Validate the whole text (syntax + quoting of every value + limits).
 * Returns 0, or -1 and *ret_line (if non-NULL) = 1-based line of the first problem. */
int osrel_validate(const char *data, size_t size, unsigned *ret_line);

/* Whether s[0..n) is a valid key. */
bool osrel_key_valid(const char *s, size_t n);
