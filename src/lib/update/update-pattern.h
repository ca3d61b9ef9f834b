/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sysupdate.d(5) match patterns: literal text with "@X" wildcards, each at
 * most once, "@v" (the version) mandatory, "@@" a literal '@':
 *
 *   @v version        @u partition UUID     @f partition flags
 *   @a NoAuto         @g GrowFileSystem     @r read-only
 *   @t mtime (µs)     @m mode (octal)       @s size (bytes)
 *   @d tries done     @l tries left         @h SHA-256 (hex)
 *
 * A wildcard takes the text up to the first occurrence of the literal that
 * follows it (or the rest of the name), which must then parse as its type.
 * Two wildcards without a literal between them are refused (ambiguous).
 * As in systemd-sysupdate 257, a name that goes on after the pattern's
 * final literal still matches ("uki_@v.efi" matches "uki_2.efi.bak"). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

typedef enum UpdateField {
        UPDATE_FIELD_LITERAL,
        UPDATE_FIELD_VERSION,           /* @v */
        UPDATE_FIELD_PARTITION_UUID,    /* @u */
        UPDATE_FIELD_PARTITION_FLAGS,   /* @f */
        UPDATE_FIELD_NO_AUTO,           /* @a */
        UPDATE_FIELD_GROWFS,            /* @g */
        UPDATE_FIELD_READ_ONLY,         /* @r */
        UPDATE_FIELD_MTIME,             /* @t */
        UPDATE_FIELD_MODE,              /* @m */
        UPDATE_FIELD_SIZE,              /* @s */
        UPDATE_FIELD_TRIES_DONE,        /* @d */
        UPDATE_FIELD_TRIES_LEFT,        /* @l */
        UPDATE_FIELD_SHA256,            /* @h */
        _UPDATE_FIELD_MAX,
} UpdateField;

#define UPDATE_PATTERN_ELEMENTS_MAX 64u
#define UPDATE_UNSET UINT64_MAX

/* What a name says about an instance. Unset numbers are UPDATE_UNSET,
 * unset booleans -1. */
typedef struct UpdateMeta {
        char *version;
        bool has_uuid;
        uint8_t uuid[16];
        uint64_t flags, mtime_usec, mode, size, tries_done, tries_left;
        int no_auto, growfs, read_only;
        bool has_sha256;
        uint8_t sha256[32];
} UpdateMeta;

void update_meta_init(UpdateMeta *m);
void update_meta_done(UpdateMeta *m);

typedef struct UpdatePatternElement {
        UpdateField field;
        char *literal;          /* UPDATE_FIELD_LITERAL only */
} UpdatePatternElement;

typedef struct UpdatePattern {
        UpdatePatternElement *elements;
        size_t n_elements;
        char *text;
} UpdatePattern;

/* Parse one pattern; -EINVAL with a reason in err. */
int update_pattern_parse(const char *text, UpdatePattern *ret, UkitError *err);
void update_pattern_done(UpdatePattern *p);
bool update_pattern_has(const UpdatePattern *p, UpdateField f);

/* Match name against p: 1 and *ret filled on a match, 0 if it does not
 * match (ret untouched), -ENOMEM. */
int update_pattern_match(const UpdatePattern *p, const char *name, UpdateMeta *ret);

/* The name p gives to an instance with meta m: -ENXIO (naming the field in
 * err) if p has a wildcard that m leaves unset. */
int update_pattern_format(const UpdatePattern *p, const UpdateMeta *m, char **ret, UkitError *err);

char update_field_char(UpdateField f);
