/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding transfer definitions: the search path, suffixes, components. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "update-transfer.h"
#include "util.h"

static const char *const search_dirs[] = { "/etc", "/run", "/usr/local/lib", "/usr/lib" };

static char *in_root(const char *root, const char *path) {
        if (!root || streq(root, "/"))
                return strdup(path);
        return strprintf("%s%s", root, path);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Add the names ending in suffix in dir to names[] (full paths in paths[])
 * unless an earlier directory had that name. */
static int collect(const char *dir, const char *suffix, char ***names, char ***paths, size_t *n) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name), sl = strlen(suffix);
                bool dup = false;
                char **a, **b;

                if (de->d_name[0] == '.' || l <= sl || !streq(de->d_name + l - sl, suffix))
                        continue;
                for (size_t i = 0; i < *n; i++)
                        dup = dup || streq((*names)[i], de->d_name);
                if (dup)
                        continue;
                if (*n >= UPDATE_TRANSFERS_MAX) {
                        r = -E2BIG;
                        break;
                }
                a = realloc(*names, (*n + 1) * sizeof(char *));
                if (a)
                        *names = a;
                b = realloc(*paths, (*n + 1) * sizeof(char *));
                if (b)
                        *paths = b;
                if (!a || !b) {
                        r = -ENOMEM;
                        break;
                }
                (*names)[*n] = strdup(de->d_name);
                (*paths)[*n] = strprintf("%s/%s", dir, de->d_name);
                if (!(*names)[*n] || !(*paths)[*n]) {
                        free((*names)[*n]);
                        free((*paths)[*n]);
                        r = -ENOMEM;
                        break;
                }
                (*n)++;
        }
        closedir(d);
        return r;
}

static int load_one(const char *path, const UpdateSpecifiers *spec, UpdateTransfer *t, UkitError *err) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_input_at(AT_FDCWD, path, 0, UPDATE_DEFINITION_MAX, &text, NULL);
        if (r < 0) {
                ukit_error(err, r, "cannot read: %s", input_strerror(r));
                return ukit_error_where(err, r, path, UKIT_ERROR_NO_OFFSET);
        }
        r = update_transfer_parse(path, text, spec, t, err);
        if (r < 0)
                return ukit_error_where(err, r, path, err ? err->offset : UKIT_ERROR_NO_OFFSET);
        return 0;
}

static void sort_pairs(char **names, char **paths, size_t n) {
        /* names and paths move together: sort indices by name */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                        char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t;
                        t = paths[j]; paths[j] = paths[j - 1]; paths[j - 1] = t;
                }
}

static int find_files(const char *root, const char *definitions_dir, const char *component,
                      const char *suffix, char ***names, char ***paths, size_t *n) {
        int r;

        if (definitions_dir)
                return collect(definitions_dir, suffix, names, paths, n);
        for (size_t i = 0; i < ELEMENTSOF(search_dirs); i++) {
                _cleanup_free_ char *sub = component ? strprintf("%s/sysupdate.%s.d", search_dirs[i], component)
                                                     : strprintf("%s/sysupdate.d", search_dirs[i]);
                _cleanup_free_ char *dir = sub ? in_root(root, sub) : NULL;
                if (!dir)
                        return -ENOMEM;
                r = collect(dir, suffix, names, paths, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

int update_definitions_load(const char *root, const char *definitions_dir, const char *component,
                            const UpdateSpecifiers *spec, UpdateDefinitions *ret, UkitError *err) {
        char **names = NULL, **paths = NULL;
        size_t n = 0;
        UpdateDefinitions d = {};
        int r;

        r = find_files(root, definitions_dir, component, ".transfer", &names, &paths, &n);
        if (r >= 0 && n == 0)   /* the older suffix, only where there is no *.transfer */
                r = find_files(root, definitions_dir, component, ".conf", &names, &paths, &n);
        if (r < 0) {
                r = ukit_error(err, r, "cannot read the definitions: %s", strerror(-r));
                goto out;
        }
        if (n == 0) {
                r = ukit_error(err, -ENOENT, "no transfer definitions found");
                goto out;
        }
        sort_pairs(names, paths, n);
        d.transfers = calloc(n, sizeof(UpdateTransfer));
        if (!d.transfers) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                r = load_one(paths[i], spec, &d.transfers[i], err);
                if (r < 0)
                        goto out;
                d.n_transfers++;
        }
        *ret = d;
        d = (UpdateDefinitions) {};
        r = 0;
out:
        update_definitions_done(&d);
        update_strv_free(names, n);
        update_strv_free(paths, n);
        return r;
}

void update_definitions_done(UpdateDefinitions *d) {
        for (size_t i = 0; i < d->n_transfers; i++)
                update_transfer_done(&d->transfers[i]);
        free(d->transfers);
        *d = (UpdateDefinitions) {};
}

int update_components_list(const char *root, char ***ret, size_t *ret_n, bool *ret_default) {
        char **l = NULL;
        size_t n = 0;
        bool def = false;

        for (size_t i = 0; i < ELEMENTSOF(search_dirs); i++) {
                _cleanup_free_ char *dir = in_root(root, search_dirs[i]);
                DIR *d = dir ? opendir(dir) : NULL;
                struct dirent *de;

                if (!dir) {
                        update_strv_free(l, n);
                        return -ENOMEM;
                }
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        const char *c = startswith(de->d_name, "sysupdate.");
                        size_t cl;
                        bool dup = false;
                        char **t;

                        if (streq(de->d_name, "sysupdate.d")) {
                                def = true;
                                continue;
                        }
                        if (!c || (cl = strlen(c)) <= 2 || !streq(c + cl - 2, ".d"))
                                continue;
                        for (size_t j = 0; j < n; j++)
                                dup = dup || (strncmp(l[j], c, cl - 2) == 0 && l[j][cl - 2] == 0);
                        if (dup || n >= UPDATE_TRANSFERS_MAX)
                                continue;
                        t = realloc(l, (n + 1) * sizeof(char *));
                        if (!t) {
                                closedir(d);
                                update_strv_free(l, n);
                                return -ENOMEM;
                        }
                        l = t;
                        l[n++] = strndup(c, cl - 2);
                }
                closedir(d);
        }
        if (n > 1)
                qsort(l, n, sizeof(char *), cmp_str);
        *ret = l;
        *ret_n = n;
        *ret_default = def;
        return 0;
}

void update_features_done(UpdateFeatures *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->items[i].name);
                free(f->items[i].description);
                free(f->items[i].documentation);
        }
        free(f->items);
        *f = (UpdateFeatures) {};
}

const UpdateFeature *update_features_find(const UpdateFeatures *f, const char *name) {
        for (size_t i = 0; i < f->n; i++)
                if (streq(f->items[i].name, name))
                        return &f->items[i];
        return NULL;
}

static char *strip_value(char *v) {
        char *e;
        while (*v == ' ' || *v == '\t')
                v++;
        e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = 0;
        return v;
}

static int parse_feature(const char *path, const char *name, UpdateFeature *ret, UkitError *err) {
        _cleanup_free_ char *text = NULL;
        UpdateFeature f = { .name = strdup(name) };
        char *save = NULL, *dot;
        bool in_feature = false;
        int r;

        if (!f.name)
                return -ENOMEM;
        dot = strrchr(f.name, '.');
        if (dot)
                *dot = 0;
        r = read_input_at(AT_FDCWD, path, 0, UPDATE_DEFINITION_MAX, &text, NULL);
        if (r < 0) {
                free(f.name);
                ukit_error(err, r, "cannot read: %s", input_strerror(r));
                return ukit_error_where(err, r, path, UKIT_ERROR_NO_OFFSET);
        }
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *line = strip_value(l), *eq, *k, *v;
                if (*line == '[') {
                        in_feature = streq(line, "[Feature]");
                        continue;
                }
                if (!in_feature || *line == '#' || *line == ';' || !(eq = strchr(line, '=')))
                        continue;
                *eq = 0;
                k = strip_value(line);
                v = strip_value(eq + 1);
                if (streq(k, "Description") || streq(k, "Documentation")) {
                        char **dst = streq(k, "Description") ? &f.description : &f.documentation;
                        free(*dst);
                        if (!(*dst = strdup(v))) {
                                free(f.name);
                                free(f.description);
                                free(f.documentation);
                                return -ENOMEM;
                        }
                } else if (streq(k, "Enabled"))
                        f.enabled = streq(v, "yes") || streq(v, "true") || streq(v, "on") || streq(v, "1");
        }
        *ret = f;
        return 0;
}

int update_features_load(const char *root, const char *definitions_dir, const char *component,
                         UpdateFeatures *ret, UkitError *err) {
        char **names = NULL, **paths = NULL;
        size_t n = 0;
        UpdateFeatures f = {};
        int r;

        r = find_files(root, definitions_dir, component, ".feature", &names, &paths, &n);
        if (r < 0)
                r = ukit_error(err, r, "cannot read the definitions: %s", strerror(-r));
        if (r >= 0 && n > 0) {
                sort_pairs(names, paths, n);
                f.items = calloc(n, sizeof(UpdateFeature));
                if (!f.items)
                        r = -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = parse_feature(paths[i], names[i], &f.items[i], err);
                if (r >= 0)
                        f.n++;
        }
        update_strv_free(names, n);
        update_strv_free(paths, n);
        if (r < 0) {
                update_features_done(&f);
                return r;
        }
        *ret = f;
        return 0;
}

bool update_transfer_enabled(const UpdateTransfer *t, const UpdateFeatures *f) {
        bool any = t->n_features == 0;
        const UpdateFeature *x;

        for (size_t i = 0; i < t->n_features; i++)
                if ((x = update_features_find(f, t->features[i])) && x->enabled)
                        any = true;
        for (size_t i = 0; i < t->n_requisite_features; i++)
                if (!(x = update_features_find(f, t->requisite_features[i])) || !x->enabled)
                        return false;
        return any;
}
