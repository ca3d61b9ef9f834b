/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fileio.h"
#include "gpt.h"
#include "update-partition.h"
#include "update-transfer.h"
#include "update-version.h"
#include "util.h"

static const char *const type_names[] = {
        [UPDATE_RESOURCE_URL_FILE] = "url-file",
        [UPDATE_RESOURCE_URL_TAR] = "url-tar",
        [UPDATE_RESOURCE_TAR] = "tar",
        [UPDATE_RESOURCE_PARTITION] = "partition",
        [UPDATE_RESOURCE_REGULAR_FILE] = "regular-file",
        [UPDATE_RESOURCE_DIRECTORY] = "directory",
        [UPDATE_RESOURCE_SUBVOLUME] = "subvolume",
};

const char *update_resource_type_name(UpdateResourceType t) {
        return t > UPDATE_RESOURCE_INVALID && t < ELEMENTSOF(type_names) ? type_names[t] : "invalid";
}

static UpdateResourceType type_from_name(const char *s) {
        for (size_t i = 1; i < ELEMENTSOF(type_names); i++)
                if (streq(s, type_names[i]))
                        return i;
        return UPDATE_RESOURCE_INVALID;
}

void update_strv_free(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

static void resource_done(UpdateResource *r) {
        free(r->path);
        free(r->path_relative_to);
        for (size_t i = 0; i < r->n_patterns; i++)
                update_pattern_done(&r->patterns[i]);
        *r = (UpdateResource) {};
}

void update_transfer_done(UpdateTransfer *t) {
        free(t->id);
        free(t->file);
        free(t->min_version);
        update_strv_free(t->protect_versions, t->n_protect_versions);
        free(t->current_symlink);
        update_strv_free(t->features, t->n_features);
        update_strv_free(t->requisite_features, t->n_requisite_features);
        resource_done(&t->source);
        resource_done(&t->target);
}

int update_specifiers_expand(const char *s, const UpdateSpecifiers *spec, char **ret, UkitError *err) {
        size_t cap = strlen(s) + 1, n = 0;
        char *out = malloc(cap);

        if (!out)
                return -ENOMEM;
        for (; *s; s++) {
                const char *v = NULL;
                char one[2] = { *s, 0 };
                size_t l;

                if (*s != '%')
                        v = one;
                else {
                        s++;
                        switch (*s) {
                        case '%': v = "%"; break;
                        case 'A': v = spec ? spec->image_version : NULL; break;
                        case 'M': v = spec ? spec->image_id : NULL; break;
                        case 'o': v = spec ? spec->os_id : NULL; break;
                        case 'w': v = spec ? spec->version_id : NULL; break;
                        case 'B': v = spec ? spec->build_id : NULL; break;
                        case 'W': v = spec ? spec->variant_id : NULL; break;
                        case 'm': v = spec ? spec->machine_id : NULL; break;
                        case 'H': v = spec ? spec->hostname : NULL; break;
                        case 'a': v = spec ? spec->architecture : NULL; break;
                        case 'T': v = "/tmp"; break;
                        case 'V': v = "/var/tmp"; break;
                        default:
                                free(out);
                                return ukit_error(err, -EBADSLT, "unknown specifier '%%%c'", *s ? *s : ' ');
                        }
                        if (!v)
                                v = "";
                }
                l = strlen(v);
                if (buf_append(&out, &n, &cap, v, l) < 0) {
                        free(out);
                        return -ENOMEM;
                }
        }
        out[n] = 0;
        *ret = out;
        return 0;
}

static int parse_boolean(const char *v) {
        if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || streq(v, "1") ||
            !strcasecmp(v, "y") || !strcasecmp(v, "t"))
                return 1;
        if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || streq(v, "0") ||
            !strcasecmp(v, "n") || !strcasecmp(v, "f"))
                return 0;
        return -EINVAL;
}

static int parse_number(const char *v, int base, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long x;

        if (!*v || *v == '-')
                return -EINVAL;
        errno = 0;
        x = strtoull(v, &end, base);
        if (errno || *end || x > max)
                return -EINVAL;
        *ret = x;
        return 0;
}

/* Space-separated words appended to a list; an empty value resets it. */
static int add_words(const char *v, char ***l, size_t *n) {
        char *copy, *save = NULL;

        if (!*v) {
                update_strv_free(*l, *n);
                *l = NULL, *n = 0;
                return 0;
        }
        copy = strdup(v);
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                char **t = realloc(*l, (*n + 1) * sizeof(char *));
                if (!t || !(t[*n] = strdup(w))) {
                        if (t)
                                *l = t;
                        free(copy);
                        return -ENOMEM;
                }
                *l = t;
                (*n)++;
        }
        free(copy);
        return 0;
}

static int add_patterns(UpdateResource *res, const char *v, UkitError *err) {
        char **words = NULL;
        size_t n = 0;
        int r;

        if (!*v) {
                for (size_t i = 0; i < res->n_patterns; i++)
                        update_pattern_done(&res->patterns[i]);
                res->n_patterns = 0;
                return 0;
        }
        r = add_words(v, &words, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (res->n_patterns >= UPDATE_PATTERNS_MAX)
                        r = ukit_error(err, -E2BIG, "more than %u patterns", UPDATE_PATTERNS_MAX);
                else {
                        r = update_pattern_parse(words[i], &res->patterns[res->n_patterns], err);
                        if (r >= 0)
                                res->n_patterns++;
                }
        }
        update_strv_free(words, n);
        return r;
}

static int set_string(char **p, const char *v) {
        free(*p);
        *p = *v ? strdup(v) : NULL;
        return (*v && !*p) ? -ENOMEM : 0;
}

static int resource_key(UpdateResource *res, const char *k, const char *v, UkitError *err) {
        if (streq(k, "Type")) {
                res->type = type_from_name(v);
                return res->type ? 0 : ukit_error(err, -EINVAL, "unknown Type=%s", v);
        }
        if (streq(k, "Path"))
                return set_string(&res->path, v);
        if (streq(k, "PathRelativeTo")) {
                if (!streq(v, "root") && !streq(v, "esp") && !streq(v, "xbootldr") && !streq(v, "boot") &&
                    !streq(v, "explicit"))
                        return ukit_error(err, -EINVAL, "unknown PathRelativeTo=%s", v);
                return set_string(&res->path_relative_to, v);
        }
        if (streq(k, "MatchPattern"))
                return add_patterns(res, v, err);
        return 1;
}

static int bool_key(const char *k, const char *v, int *ret, UkitError *err) {
        int b = parse_boolean(v);
        if (b < 0)
                return ukit_error(err, -EINVAL, "%s=%s: not a boolean", k, v);
        *ret = b;
        return 0;
}

static int target_key(UpdateTransfer *t, const char *k, const char *v, UkitError *err) {
        int r = resource_key(&t->target, k, v, err);
        uint64_t n;

        if (r <= 0)
                return r;
        if (streq(k, "InstancesMax")) {
                if (parse_number(v, 10, UINT32_MAX, &n) < 0 || n < 2)
                        return ukit_error(err, -EINVAL, "InstancesMax=%s: must be a number >= 2", v);
                t->instances_max = n;
                return 0;
        }
        if (streq(k, "Mode")) {
                if (parse_number(v, 8, 07777, &t->mode) < 0)
                        return ukit_error(err, -EINVAL, "Mode=%s: not an octal file mode", v);
                return 0;
        }
        if (streq(k, "TriesLeft") || streq(k, "TriesDone")) {
                if (parse_number(v, 10, UINT32_MAX, streq(k, "TriesLeft") ? &t->tries_left : &t->tries_done) < 0)
                        return ukit_error(err, -EINVAL, "%s=%s: not a number", k, v);
                return 0;
        }
        if (streq(k, "ReadOnly"))
                return bool_key(k, v, &t->read_only, err);
        if (streq(k, "PartitionNoAuto"))
                return bool_key(k, v, &t->no_auto, err);
        if (streq(k, "PartitionGrowFileSystem"))
                return bool_key(k, v, &t->growfs, err);
        if (streq(k, "RemoveTemporary")) {
                int b;
                r = bool_key(k, v, &b, err);
                t->remove_temporary = b;
                return r;
        }
        if (streq(k, "CurrentSymlink"))
                return set_string(&t->current_symlink, v);
        if (streq(k, "MatchPartitionType")) {
                if (!*v) {
                        t->has_partition_type = false;
                        return 0;
                }
                if (update_partition_type_from_string(v, t->partition_type) < 0)
                        return ukit_error(err, -EINVAL, "MatchPartitionType=%s: unknown partition type", v);
                t->has_partition_type = true;
                return 0;
        }
        if (streq(k, "PartitionUUID")) {
                if (!*v) {
                        t->has_partition_uuid = false;
                        return 0;
                }
                if (uuid_from_string(v, t->partition_uuid) < 0)
                        return ukit_error(err, -EINVAL, "PartitionUUID=%s: not a UUID", v);
                t->has_partition_uuid = true;
                return 0;
        }
        if (streq(k, "PartitionFlags")) {
                if (!*v) {
                        t->partition_flags = UPDATE_UNSET;
                        return 0;
                }
                if (parse_number(v, 0, UINT64_MAX - 1, &t->partition_flags) < 0)
                        return ukit_error(err, -EINVAL, "PartitionFlags=%s: not a number", v);
                return 0;
        }
        return 1;
}

static int transfer_key(UpdateTransfer *t, const char *k, const char *v, UkitError *err) {
        if (streq(k, "MinVersion"))
                return set_string(&t->min_version, v);
        if (streq(k, "ProtectVersion")) {
                /* as 257: an invalid version is ignored, each valid one kept */
                char **l;
                if (!update_version_valid(v))
                        return 0;
                l = realloc(t->protect_versions, (t->n_protect_versions + 1) * sizeof(char *));
                if (!l)
                        return -ENOMEM;
                t->protect_versions = l;
                if (!(l[t->n_protect_versions] = strdup(v)))
                        return -ENOMEM;
                t->n_protect_versions++;
                return 0;
        }
        if (streq(k, "Verify")) {
                int b;
                int r = bool_key(k, v, &b, err);
                t->verify = b;
                return r;
        }
        if (streq(k, "Features"))
                return add_words(v, &t->features, &t->n_features);
        if (streq(k, "RequisiteFeatures"))
                return add_words(v, &t->requisite_features, &t->n_requisite_features);
        if (streq(k, "ChangeLog") || streq(k, "AppStream"))
                return 0;
        return 1;
}

static char *strip(char *s) {
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = 0;
        return s;
}

static bool resource_is_tree(UpdateResourceType type) {
        return type == UPDATE_RESOURCE_DIRECTORY || type == UPDATE_RESOURCE_SUBVOLUME;
}

static int check_transfer(UpdateTransfer *t, UkitError *err) {
        UpdateResource *res[2] = { &t->source, &t->target };

        for (size_t i = 0; i < 2; i++) {
                const char *sec = i == 0 ? "Source" : "Target";
                if (res[i]->type == UPDATE_RESOURCE_INVALID)
                        return ukit_error(err, -EINVAL, "[%s] lacks Type=", sec);
                if (res[i]->n_patterns == 0)
                        return ukit_error(err, -EINVAL, "[%s] lacks MatchPattern=", sec);
                if (!res[i]->path && res[i]->type != UPDATE_RESOURCE_PARTITION)
                        return ukit_error(err, -EINVAL, "[%s] lacks Path=", sec);
        }
        if (t->source.type != UPDATE_RESOURCE_REGULAR_FILE && !resource_is_tree(t->source.type) &&
            t->source.type != UPDATE_RESOURCE_TAR && t->source.type != UPDATE_RESOURCE_URL_FILE &&
            t->source.type != UPDATE_RESOURCE_URL_TAR)
                return ukit_error(err, -EOPNOTSUPP, "source Type=%s is not supported by ukit yet",
                                  update_resource_type_name(t->source.type));
        /* as 257: files go to files or partitions, trees and tarballs to
         * directories or subvolumes */
        if (t->source.type == UPDATE_RESOURCE_URL_FILE || t->source.type == UPDATE_RESOURCE_REGULAR_FILE
                    ? t->target.type != UPDATE_RESOURCE_REGULAR_FILE && t->target.type != UPDATE_RESOURCE_PARTITION
                    : !resource_is_tree(t->target.type))
                return ukit_error(err, -EINVAL, "source Type=%s cannot be installed as Type=%s",
                                  update_resource_type_name(t->source.type),
                                  update_resource_type_name(t->target.type));
        return 0;
}

static int parse_line(UpdateTransfer *t, const char *section, char *line, const UpdateSpecifiers *spec,
                      UkitError *err) {
        char *eq = strchr(line, '='), *k, *v, *x = NULL;
        int r;

        if (!eq)
                return ukit_error(err, -EINVAL, "line without '='");
        *eq = 0;
        k = strip(line);
        v = strip(eq + 1);
        /* 257 checks MinVersion= before it expands specifiers: one that
         * is not a valid version as written ("%A" too) is ignored */
        if (streq(section, "Transfer") && streq(k, "MinVersion") && !update_version_valid(v))
                return 0;
        /* Paths and patterns take specifiers; expanding the whole value is
         * the same as expanding each word. */
        if (!streq(k, "Features") && !streq(k, "RequisiteFeatures")) {
                r = update_specifiers_expand(v, spec, &x, err);
                if (r < 0)
                        return r;
                v = x;
        }
        if (streq(section, "Transfer"))
                r = transfer_key(t, k, v, err);
        else if (streq(section, "Source"))
                r = resource_key(&t->source, k, v, err);
        else if (streq(section, "Target"))
                r = target_key(t, k, v, err);
        else
                r = 0;          /* unknown sections are ignored, as systemd does (with a warning) */
        free(x);
        return r > 0 ? 0 : r;   /* unknown keys are ignored, too */
}

int update_transfer_parse(const char *file, const char *text, const UpdateSpecifiers *spec,
                          UpdateTransfer *ret, UkitError *err) {
        UpdateTransfer t = {
                .verify = true, .remove_temporary = true, .instances_max = UPDATE_UNSET,
                .mode = UPDATE_UNSET, .tries_left = UPDATE_UNSET, .tries_done = UPDATE_UNSET,
                .read_only = -1, .no_auto = -1, .growfs = -1, .partition_flags = UPDATE_UNSET,
        };
        char section[32] = "";
        _cleanup_free_ char *copy = strdup(text);
        char *save = NULL;
        uint64_t lineno = 0;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *l = strip(line);
                lineno++;
                if (!*l || *l == '#' || *l == ';')
                        continue;
                if (*l == '[') {
                        size_t n = strlen(l);
                        if (l[n - 1] != ']' || n - 2 >= sizeof(section)) {
                                r = ukit_error(err, -EINVAL, "line %" PRIu64 ": bad section header", lineno);
                                break;
                        }
                        memcpy(section, l + 1, n - 2);
                        section[n - 2] = 0;
                        continue;
                }
                r = parse_line(&t, section, l, spec, err);
                if (r < 0) {
                        ukit_error_where(err, r, NULL, lineno);
                        break;
                }
        }
        if (r >= 0)
                r = check_transfer(&t, err);
        if (r >= 0) {
                const char *base = strrchr(file, '/');
                char *dot;
                t.file = strdup(file);
                t.id = strdup(base ? base + 1 : file);
                if (!t.file || !t.id)
                        r = -ENOMEM;
                else if ((dot = strrchr(t.id, '.')))
                        *dot = 0;
        }
        if (r < 0) {
                update_transfer_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}
