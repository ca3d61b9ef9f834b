/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "update-instance.h"
#include "update-remote.h"
#include "update-version.h"
#include "util.h"

void update_instances_done(UpdateInstances *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].path);
                update_meta_done(&l->items[i].meta);
        }
        free(l->items);
        *l = (UpdateInstances) {};
}

/* Paths compared as 257's path_compare() does: component by component
 * (runs of '/' and "." components skipped), bytes first, then the shorter
 * component first; a prefix sorts before what extends it. */
static const char *next_component(const char *p, size_t *len) {
        for (;;) {
                while (*p == '/')
                        p++;
                *len = strcspn(p, "/");
                if (!(*len == 1 && p[0] == '.'))
                        return p;
                p++;
        }
}

static int cmp_path(const char *a, const char *b) {
        if ((a[0] == '/') != (b[0] == '/'))
                return a[0] == '/' ? 1 : -1;
        for (;;) {
                size_t j, k;
                int r;

                a = next_component(a, &j);
                b = next_component(b, &k);
                if (j == 0 || k == 0)
                        return (j != 0) - (k != 0);
                r = memcmp(a, b, MIN(j, k));
                if (r != 0)
                        return r;
                if (j != k)
                        return j < k ? -1 : 1;
                a += j;
                b += k;
        }
}

/* Newest version first; equal versions ("1", "01") by path, as 257 orders
 * a resource's instances. */
static int cmp_instance(const void *a, const void *b) {
        const UpdateInstance *x = a, *y = b;
        int r = update_version_cmp(y->meta.version, x->meta.version);
        return r != 0 ? r : cmp_path(x->path ? x->path : "", y->path ? y->path : "");
}

void update_instances_sort(UpdateInstances *l) {
        if (l->n > 1)
                qsort(l->items, l->n, sizeof(UpdateInstance), cmp_instance);
}

/* Hand a listing back sorted, or free it when r says it failed. */
static int finish_list(UpdateInstances *l, int r, UpdateInstances *ret) {
        if (r < 0) {
                update_instances_done(l);
                return r;
        }
        update_instances_sort(l);
        *ret = *l;
        return 0;
}

static int match_any(const UpdateResource *res, const char *name, UpdateMeta *m) {
        for (size_t i = 0; i < res->n_patterns; i++) {
                int r = update_pattern_match(&res->patterns[i], name, m);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int add_instance(UpdateInstances *l, const char *dir, const char *name, const struct stat *st,
                        UpdateMeta *m) {
        UpdateInstance *t = realloc(l->items, (l->n + 1) * sizeof(*t));

        if (!t)
                return -ENOMEM;
        l->items = t;
        t[l->n] = (UpdateInstance) {
                .name = strdup(name),
                .path = strprintf("%s/%s", dir, name),
                .meta = *m,
                .mtime_usec = (uint64_t) st->st_mtim.tv_sec * 1000000u + (uint64_t) st->st_mtim.tv_nsec / 1000u,
                .mode = st->st_mode & 0775,     /* as 257: no world-write, no set-id */
                .size = (uint64_t) st->st_size,
                .is_dir = S_ISDIR(st->st_mode),
        };
        if (!t[l->n].name || !t[l->n].path) {
                free(t[l->n].name);
                free(t[l->n].path);
                return -ENOMEM;         /* the caller still owns *m */
        }
        l->n++;
        return 0;
}

int update_instances_scan(const UpdateResource *res, const char *dir, const char *min_version,
                          UpdateInstances *ret) {
        UpdateInstances l = {};
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = l;
                return 0;
        }
        while ((de = readdir(d))) {
                UpdateMeta m;
                struct stat st;
                bool want_dir = res->type == UPDATE_RESOURCE_DIRECTORY || res->type == UPDATE_RESOURCE_SUBVOLUME;

                if (de->d_name[0] == '.' && (de->d_name[1] == '#' || streq(de->d_name, ".") || streq(de->d_name, "..")))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                        continue;
                r = match_any(res, de->d_name, &m);
                if (r < 0)
                        break;
                if (r == 0)
                        continue;
                if (min_version && update_version_cmp(m.version, min_version) < 0) {
                        update_meta_done(&m);
                        continue;
                }
                if (l.n >= UPDATE_INSTANCES_SCAN_MAX) {
                        update_meta_done(&m);
                        r = -E2BIG;
                        break;
                }
                r = add_instance(&l, dir, de->d_name, &st, &m);
                if (r < 0) {
                        update_meta_done(&m);
                        break;
                }
        }
        closedir(d);
        return finish_list(&l, r, ret);
}

/* The instance 257 picks for version v: a binary search of the sorted list
 * with the midpoint rule of glibc's bsearch(), so that of several instances
 * whose versions compare equal ("1", "01") the same one is found. */
const UpdateInstance *update_instances_find(const UpdateInstances *l, const char *v) {
        size_t lo = 0, hi = l->n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int r = -update_version_cmp(v, l->items[mid].meta.version);
                if (r < 0)
                        hi = mid;
                else if (r > 0)
                        lo = mid + 1;
                else
                        return &l->items[mid];
        }
        return NULL;
}

static int parse_sums(const UpdateResource *res, const char *url, char *text, UpdateInstances *l) {
        char *save = NULL;
        int r;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                const char *name;
                UpdateMeta m;
                uint8_t h[32];
                UpdateInstance *t;

                if (strlen(line) < 67 || line[64] != ' ' || unhexmem(line, 64, h, 32) < 0)
                        continue;
                name = line + 65;
                if (*name == ' ' || *name == '*')
                        name++;
                if (!*name || strchr(name, '/'))
                        continue;
                r = match_any(res, name, &m);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (l->n >= UPDATE_INSTANCES_SCAN_MAX || !(t = realloc(l->items, (l->n + 1) * sizeof(*t)))) {
                        update_meta_done(&m);
                        return l->n >= UPDATE_INSTANCES_SCAN_MAX ? -E2BIG : -ENOMEM;
                }
                l->items = t;
                t[l->n] = (UpdateInstance) {
                        .name = strdup(name), .path = strprintf("%s/%s", url, name), .meta = m,
                        .mtime_usec = UPDATE_UNSET, .mode = 0644, .size = UPDATE_UNSET, .has_listed = true,
                };
                if (!t[l->n].name || !t[l->n].path) {
                        free(t[l->n].name);
                        free(t[l->n].path);
                        update_meta_done(&m);
                        return -ENOMEM;
                }
                memcpy(t[l->n].listed, h, 32);
                l->n++;
        }
        return 0;
}

int update_instances_scan_url(const UpdateResource *res, const char *url, const char *root, bool verify,
                              UpdateInstances *ret, UkitError *err) {
        _cleanup_free_ char *sums_url = strprintf("%s/SHA256SUMS", url), *sig_url = NULL;
        _cleanup_free_ char *sums = NULL, *sig = NULL;
        UpdateInstances l = {};
        size_t n, sn;
        int r;

        if (!sums_url)
                return -ENOMEM;
        r = update_http_get(sums_url, UPDATE_SUMS_MAX, &sums, &n, err);
        if (r < 0)
                return r;
        if (verify) {
                sig_url = strprintf("%s/SHA256SUMS.gpg", url);
                if (!sig_url)
                        return -ENOMEM;
                r = update_http_get(sig_url, 64 * 1024, &sig, &sn, err);
                if (r < 0)
                        return r;
                r = update_gpg_verify(root, sums, n, sig, sn, err);
                if (r < 0)
                        return r;
        }
        r = parse_sums(res, url, sums, &l);
        return finish_list(&l, r, ret);
}
