/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "fileio.h"
#include "osrel.h"
#include "update-blockdev.h"
#include "update-context.h"
#include "update-partition.h"
#include "update-version.h"
#include "util.h"

#define OSREL_MAX (64u * 1024u)

static char *in_root(const char *root, const char *path) {
        if (!root)
                return strdup(path);
        return strprintf("%s%s%s", root, path[0] == '/' ? "" : "/", path);
}

static bool is_dir(const char *p) {
        struct stat st;
        return p && stat(p, &st) >= 0 && S_ISDIR(st.st_mode);
}

/* $BOOT-ish mount points for PathRelativeTo=: the first existing of the
 * usual places under the root (ukit does not look at partition types here). */
static char *resolve_path(const char *root, const UpdateResource *res) {
        static const char *const esp[] = { "/efi", "/boot/efi", "/boot" };
        const char *rel = res->path_relative_to;
        const char *base = NULL;

        if (res->type == UPDATE_RESOURCE_URL_FILE || res->type == UPDATE_RESOURCE_URL_TAR)
                return strdup(res->path);
        if (!rel || streq(rel, "root") || streq(rel, "explicit"))
                return in_root(rel && streq(rel, "explicit") ? NULL : root, res->path);
        if (streq(rel, "xbootldr") || streq(rel, "boot")) {
                _cleanup_free_ char *b = in_root(root, "/boot"), *e = in_root(root, "/efi");
                if (is_dir(b) && (streq(rel, "xbootldr") || !is_dir(e)))
                        base = "/boot";
        }
        for (size_t i = 0; !base && i < ELEMENTSOF(esp); i++) {
                _cleanup_free_ char *p = in_root(root, esp[i]);
                if (is_dir(p))
                        base = esp[i];
        }
        if (!base)
                base = "/efi";
        {
                _cleanup_free_ char *b = in_root(root, base);
                return b ? strprintf("%s%s%s", b, res->path[0] == '/' ? "" : "/", res->path) : NULL;
        }
}

static void read_os_release(const char *root, UpdateSpecifiers *spec, char **storage) {
        static const char *const keys[] = { "IMAGE_VERSION", "IMAGE_ID", "ID", "VERSION_ID", "BUILD_ID", "VARIANT_ID" };
        const char **dst[] = { &spec->image_version, &spec->image_id, &spec->os_id, &spec->version_id,
                               &spec->build_id, &spec->variant_id };
        _cleanup_free_ char *text = NULL;
        size_t n = 0;

        for (const char *const *p = (const char *const[]) { "/etc/os-release", "/usr/lib/os-release", NULL }; *p && !text; p++) {
                _cleanup_free_ char *path = in_root(root, *p);
                if (read_file_full(path, OSREL_MAX, &text, &n) < 0)
                        text = NULL;
        }
        if (!text)
                return;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char buf[256];
                if (osrel_get(text, n, keys[i], buf, sizeof(buf)) > 0) {
                        storage[i] = strdup(buf);
                        *dst[i] = storage[i];   /* NULL on ENOMEM: the specifier expands empty */
                }
        }
}

static const char *uname_arch(void) {
        static struct utsname u;
        if (uname(&u) < 0)
                return NULL;
        if (streq(u.machine, "x86_64"))
                return "x86-64";
        if (streq(u.machine, "aarch64"))
                return "arm64";
        return u.machine;
}

/* The update sets, found as systemd-sysupdate 257 finds them: first the
 * installed versions, then the available ones, each pass stepping down
 * from the newest. A version's set is named by the first instance found
 * for it; versions that compare equal ("1.0", "1.00") are one set. */
typedef struct SetScan {
        UpdateVersion *sets;
        size_t n, cap;
        size_t newest_installed, candidate;     /* indexes, SIZE_MAX: none */
} SetScan;

static UpdateInstances *pass_list(UpdateContext *c, size_t i, bool available) {
        return available ? &c->available[i] : &c->installed[i];
}

static bool is_protected_version(const UpdateTransfer *t, const char *v) {
        for (size_t k = 0; k < t->n_protect_versions; k++)
                if (streq(t->protect_versions[k], v))
                        return true;
        return false;
}

static int scan_pass(UpdateContext *c, SetScan *s, bool available) {
        size_t nt = c->defs.n_transfers;
        _cleanup_free_ char *boundary = NULL;
        bool newest_found = false;

        for (;;) {
                const char *cursor = NULL;
                UpdateVersion f = {};
                bool skip = false;

                /* the newest version below the boundary; past the first
                 * transfer 257 compares with glibc's strverscmp() */
                for (size_t i = 0; i < nt; i++) {
                        const UpdateInstances *l = pass_list(c, i, available);
                        for (size_t j = 0; j < l->n; j++) {
                                const char *v = l->items[j].meta.version;
                                if (boundary && update_version_cmp(v, boundary) >= 0)
                                        continue;
                                if (cursor && strverscmp(v, cursor) <= 0)
                                        break;
                                cursor = v;
                                break;
                        }
                        if (available && !cursor)
                                break;
                }
                if (!cursor)
                        return 0;
                for (size_t i = 0; i < nt; i++) {
                        const UpdateTransfer *t = &c->defs.transfers[i];
                        if (!update_instances_find(pass_list(c, i, available), cursor)) {
                                if (available) {
                                        skip = true;    /* never offer a partial set */
                                        break;
                                }
                                f.incomplete = true;
                        }
                        if (t->min_version && update_version_cmp(t->min_version, cursor) > 0)
                                f.obsolete = true;
                        if (is_protected_version(t, cursor))
                                f.protected_ = true;
                }
                free(boundary);
                if (!(boundary = strdup(cursor)))
                        return -ENOMEM;
                if (skip)
                        continue;

                size_t k;
                for (k = 0; k < s->n; k++)
                        if (update_version_cmp(s->sets[k].version, boundary) == 0)
                                break;
                if (k < s->n) {
                        UpdateVersion *u = &s->sets[k];
                        u->available |= available;
                        u->installed |= !available;
                        u->incomplete |= f.incomplete;
                        u->obsolete |= f.obsolete;
                        u->protected_ |= f.protected_;
                        /* an incomplete newest installed set is repaired */
                        if (u->newest && u->installed && u->incomplete && u->available &&
                            s->candidate == SIZE_MAX && !u->obsolete)
                                s->candidate = k;
                        newest_found = true;
                        continue;
                }
                if (s->n == s->cap) {
                        size_t cap = s->cap ? 2 * s->cap : 8;
                        UpdateVersion *t = realloc(s->sets, cap * sizeof(*t));
                        if (!t)
                                return -ENOMEM;
                        s->sets = t;
                        s->cap = cap;
                }
                f.version = strdup(boundary);
                if (!f.version)
                        return -ENOMEM;
                f.installed = !available;
                f.available = available;
                f.newest = !newest_found;
                s->sets[s->n] = f;
                newest_found = true;
                if (f.newest && f.installed)
                        s->newest_installed = s->n;
                if (f.newest && f.available && !f.obsolete)
                        s->candidate = s->n;
                s->n++;
        }
}

static int cmp_version(const void *a, const void *b) {
        return update_version_cmp(((const UpdateVersion *) b)->version, ((const UpdateVersion *) a)->version);
}

static int build_versions(UpdateContext *c, bool scan_available) {
        SetScan s = { .newest_installed = SIZE_MAX, .candidate = SIZE_MAX };
        const char *cur = NULL, *cand = NULL;
        int r;

        r = scan_pass(c, &s, false);
        if (r >= 0 && scan_available)
                r = scan_pass(c, &s, true);
        c->versions = s.sets;
        c->n_versions = s.n;
        if (r < 0)
                return r;
        if (s.newest_installed != SIZE_MAX)
                cur = s.sets[s.newest_installed].version;
        if (s.candidate != SIZE_MAX)
                cand = s.sets[s.candidate].version;
        /* nothing older than (or as new as) a complete newest install */
        if (cur && cand && !s.sets[s.newest_installed].incomplete && update_version_cmp(cur, cand) >= 0)
                cand = NULL;
        if (c->n_versions > 1)
                qsort(c->versions, c->n_versions, sizeof(UpdateVersion), cmp_version);
        for (size_t k = 0; k < c->n_versions; k++) {
                if (cur && c->versions[k].version == cur)
                        c->current = &c->versions[k];
                if (cand && c->versions[k].version == cand)
                        c->candidate = &c->versions[k];
        }
        return 0;
}

/* The disk of a partition target (Path=auto: the --image= file, else the
 * whole disk behind "/" or "/usr", as sysupdate 257 finds it), or the
 * directory of the others; with --image= only partition targets. */
static int resolve_target(const UpdateContext *c, const UpdateContextOptions *o, const UpdateTransfer *t,
                          char **ret, UkitError *err) {
        if (t->target.type != UPDATE_RESOURCE_PARTITION) {
                if (o->image) {
                        ukit_error(err, -EOPNOTSUPP, "target Type=%s inside --image= is not supported by ukit "
                                   "(it does not mount the image); only Type=partition",
                                   update_resource_type_name(t->target.type));
                        return ukit_error_where(err, -EOPNOTSUPP, t->file, UKIT_ERROR_NO_OFFSET);
                }
                *ret = resolve_path(c->root, &t->target);
                return *ret ? 0 : -ENOMEM;
        }
        if (!t->target.path || streq(t->target.path, "auto")) {
                if (o->image) {
                        *ret = strdup(o->image);
                        return *ret ? 0 : -ENOMEM;
                }
                /* as 257: the booted system's disk is not the root's */
                if (c->root) {
                        ukit_error(err, -EPERM, "Path=auto (the disk of the booted system) is not allowed with "
                                   "--root=; name the disk image with --image=");
                        return ukit_error_where(err, -EPERM, t->file, UKIT_ERROR_NO_OFFSET);
                }
                int r = update_blockdev_root_disk(NULL, NULL, ret, err);
                if (r < 0 && err && !err->path[0])
                        return ukit_error_where(err, r, t->file, UKIT_ERROR_NO_OFFSET);
                return r;
        }
        /* an image file inside the root, as 257 resolves it; no device
         * node of the host reached through a root */
        *ret = in_root(c->root, t->target.path);
        if (!*ret)
                return -ENOMEM;
        struct stat st;
        if (c->root && stat(*ret, &st) >= 0 && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))) {
                ukit_error(err, -EPERM, "a device node is not allowed as a partition target with --root=");
                return ukit_error_where(err, -EPERM, *ret, UKIT_ERROR_NO_OFFSET);
        }
        return 0;
}

/* the installed instances of the disabled transfers */
static int scan_disabled(UpdateContext *c, const UpdateContextOptions *o, UkitError *err) {
        size_t nd = c->disabled.n_transfers;
        int r;

        c->disabled_dirs = calloc(nd ? nd : 1, sizeof(char *));
        c->disabled_installed = calloc(nd ? nd : 1, sizeof(UpdateInstances));
        if (!c->disabled_dirs || !c->disabled_installed)
                return -ENOMEM;
        for (size_t i = 0; i < nd; i++) {
                const UpdateTransfer *t = &c->disabled.transfers[i];
                size_t n_empty;
                r = resolve_target(c, o, t, &c->disabled_dirs[i], err);
                if (r < 0)
                        return r;
                if (t->target.type == UPDATE_RESOURCE_PARTITION)
                        r = update_partition_scan(t, c->disabled_dirs[i], &c->disabled_installed[i], &n_empty, err);
                else if ((r = update_instances_scan(&t->target, c->disabled_dirs[i], NULL, &c->disabled_installed[i])) < 0) {
                        ukit_error(err, r, "cannot scan the target: %s", strerror(-r));
                        ukit_error_where(err, r, c->disabled_dirs[i], UKIT_ERROR_NO_OFFSET);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int scan_all(UpdateContext *c, const UpdateContextOptions *o, UkitError *err) {
        size_t nt = c->defs.n_transfers;
        int r;

        c->source_dirs = calloc(nt, sizeof(char *));
        c->target_dirs = calloc(nt, sizeof(char *));
        c->installed = calloc(nt, sizeof(UpdateInstances));
        c->available = calloc(nt, sizeof(UpdateInstances));
        c->n_empty = calloc(nt ? nt : 1, sizeof(size_t));
        if (!c->source_dirs || !c->target_dirs || !c->installed || !c->available || !c->n_empty)
                return -ENOMEM;
        for (size_t i = 0; i < nt; i++) {
                UpdateTransfer *t = &c->defs.transfers[i];
                c->source_dirs[i] = resolve_path(c->root, &t->source);
                r = resolve_target(c, o, t, &c->target_dirs[i], err);
                if (r < 0)
                        return r;
                if (!c->source_dirs[i])
                        return -ENOMEM;
                if (t->target.type == UPDATE_RESOURCE_PARTITION)
                        r = update_partition_scan(t, c->target_dirs[i], &c->installed[i], &c->n_empty[i], err);
                else
                        r = update_instances_scan(&t->target, c->target_dirs[i], NULL, &c->installed[i]);
                if (r < 0 && t->target.type == UPDATE_RESOURCE_PARTITION)
                        return r;
                if (r < 0) {
                        ukit_error(err, r, "cannot scan the target: %s", strerror(-r));
                        return ukit_error_where(err, r, c->target_dirs[i], UKIT_ERROR_NO_OFFSET);
                }
                if (o->skip_available)
                        continue;
                if (t->source.type == UPDATE_RESOURCE_URL_FILE || t->source.type == UPDATE_RESOURCE_URL_TAR) {
                        r = update_instances_scan_url(&t->source, c->source_dirs[i], c->root, t->verify && o->verify,
                                                      &c->available[i], err);
                        if (r < 0)
                                return ukit_error_where(err, r, t->file, UKIT_ERROR_NO_OFFSET);
                        continue;
                }
                r = update_instances_scan(&t->source, c->source_dirs[i], NULL, &c->available[i]);
                if (r < 0) {
                        ukit_error(err, r, "cannot scan the source: %s", strerror(-r));
                        return ukit_error_where(err, r, c->source_dirs[i], UKIT_ERROR_NO_OFFSET);
                }
        }
        return 0;
}

int update_context_load(const UpdateContextOptions *o, UpdateContext *ret, UkitError *err) {
        UpdateContext c = { .instances_max_override = o->instances_max };
        UpdateSpecifiers spec = { .architecture = uname_arch() };
        char *storage[6] = {};
        int r;

        if (o->image && !o->definitions)
                return ukit_error(err, -EOPNOTSUPP, "--image= needs --definitions= "
                                  "(ukit does not mount the image to read its sysupdate.d)");
        if (o->image && (r = update_image_check(o->image, err)) < 0)
                return r;
        if (o->root && !streq(o->root, "/") && !(c.root = strdup(o->root)))
                return -ENOMEM;
        read_os_release(c.root, &spec, storage);
        r = update_definitions_load(c.root, o->definitions, o->component, &spec, &c.defs, err);
        if (r >= 0 && spec.image_version && !(c.booted_version = strdup(spec.image_version)))
                r = -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(storage); i++)
                free(storage[i]);
        if (r >= 0)
                r = update_features_load(c.root, o->definitions, o->component, &c.features, err);
        if (r >= 0) {
                /* transfers of disabled features take no part, but their
                 * targets are emptied by vacuum, as in 257 */
                size_t k = 0;
                c.disabled.transfers = calloc(c.defs.n_transfers ? c.defs.n_transfers : 1, sizeof(UpdateTransfer));
                if (!c.disabled.transfers)
                        r = -ENOMEM;
                for (size_t i = 0; r >= 0 && i < c.defs.n_transfers; i++) {
                        if (update_transfer_enabled(&c.defs.transfers[i], &c.features))
                                c.defs.transfers[k++] = c.defs.transfers[i];
                        else
                                c.disabled.transfers[c.disabled.n_transfers++] = c.defs.transfers[i];
                }
                if (r >= 0)
                        c.defs.n_transfers = k;
                /* as 257: transfers of disabled features alone are none */
                if (r >= 0 && k == 0)
                        r = ukit_error(err, -ENOENT, "no transfer definitions found (all their features are disabled)");
        }
        if (r >= 0)
                r = scan_all(&c, o, err);
        if (r >= 0)
                r = scan_disabled(&c, o, err);
        if (r >= 0)
                r = build_versions(&c, !o->skip_available);
        if (r < 0) {
                update_context_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

void update_context_done(UpdateContext *c) {
        for (size_t i = 0; i < c->defs.n_transfers; i++) {
                if (c->source_dirs)
                        free(c->source_dirs[i]);
                if (c->target_dirs)
                        free(c->target_dirs[i]);
                if (c->installed)
                        update_instances_done(&c->installed[i]);
                if (c->available)
                        update_instances_done(&c->available[i]);
        }
        for (size_t i = 0; i < c->disabled.n_transfers; i++) {
                if (c->disabled_dirs)
                        free(c->disabled_dirs[i]);
                if (c->disabled_installed)
                        update_instances_done(&c->disabled_installed[i]);
        }
        free(c->disabled_dirs);
        free(c->disabled_installed);
        update_definitions_done(&c->disabled);
        free(c->source_dirs);
        free(c->target_dirs);
        free(c->installed);
        free(c->available);
        free(c->n_empty);
        for (size_t k = 0; k < c->n_versions; k++)
                free(c->versions[k].version);
        free(c->versions);
        free(c->root);
        free(c->booted_version);
        update_definitions_done(&c->defs);
        update_features_done(&c->features);
        *c = (UpdateContext) {};
}

const UpdateVersion *update_context_find(const UpdateContext *c, const char *version) {
        for (size_t k = 0; k < c->n_versions; k++)
                if (streq(c->versions[k].version, version))
                        return &c->versions[k];
        return NULL;
}

uint64_t update_context_instances_max(const UpdateContext *c, size_t i) {
        if (c->instances_max_override != UPDATE_UNSET)
                return c->instances_max_override;
        if (c->defs.transfers[i].instances_max != UPDATE_UNSET)
                return c->defs.transfers[i].instances_max;
        return UPDATE_INSTANCES_MAX_DEFAULT;
}

bool update_context_is_protected(const UpdateTransfer *t, const char *v, const char *extra) {
        return is_protected_version(t, v) || (extra && streq(extra, v));
}
