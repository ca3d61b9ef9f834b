/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit update: systemd-sysupdate's command line over the same transfer
 * definitions (sysupdate.d(5)): list, check-new, update [VERSION], vacuum,
 * pending, reboot, components, features. The decisions live in
 * src/lib/update; this file parses options and prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gpt.h"
#include "json.h"
#include "update-context.h"
#include "update-install.h"
#include "update-version.h"
#include "util.h"
#include "verbs.h"

typedef struct UpdateArgs {
        UpdateContextOptions ctx;
        JsonStyle json;
        bool offline;
} UpdateArgs;

static void update_help(FILE *f) {
        fprintf(f,
                "Usage: ukit update [OPTIONS...] [VERB [VERSION]]\n"
                "\n"
                "Install new versions of images, UKIs and directories from transfer definitions\n"
                "(sysupdate.d), as systemd-sysupdate does.\n"
                "\n"
                "Verbs:\n"
                "  list       list installed and available versions (or one VERSION)\n"
                "  check-new  print the newest available version if it is newer than the installed\n"
                "  update     install the newest version, or VERSION (older: a downgrade)\n"
                "  vacuum     remove installed versions beyond InstancesMax=\n"
                "  pending    succeed if a newer version than the booted one is installed\n"
                "  reboot     reboot if an update is pending\n"
                "  components list the components (sysupdate.NAME.d)\n"
                "  features   list the optional features (*.feature)\n"
                "\n"
                "Options:\n"
                "  -h --help                 show this help\n"
                "     --definitions=DIR      read the transfer definitions from DIR only\n"
                "     --root=DIR             operate on the tree at DIR (definitions and paths inside it)\n"
                "     --image=PATH           the disk image or block device whose GPT slots Type=partition\n"
                "                            Path=auto targets mean (needs --definitions=; other target\n"
                "                            types are refused); default: the disk behind / or /usr\n"
                "  -C --component=NAME       use sysupdate.NAME.d (a channel)\n"
                "  -m --instances-max=N      keep at most N versions (overrides InstancesMax=)\n"
                "     --verify=yes|no        check signatures of remote sources (local: SHA256SUMS always)\n"
                "     --offline              do not look at the sources (list, pending)\n"
                "     --json=pretty|short|off  JSON output\n"
                "\n"
                "See ukit-update(1).\n");
}

static int parse_args(int argc, char **argv, UpdateArgs *a, int *ret_optind) {
        enum { ARG_DEFINITIONS = 0x100, ARG_ROOT, ARG_IMAGE, ARG_VERIFY, ARG_OFFLINE, ARG_JSON };
        static const struct option options[] = {
                { "help",          no_argument,       NULL, 'h'             },
                { "definitions",   required_argument, NULL, ARG_DEFINITIONS },
                { "root",          required_argument, NULL, ARG_ROOT        },
                { "image",         required_argument, NULL, ARG_IMAGE       },
                { "component",     required_argument, NULL, 'C'             },
                { "instances-max", required_argument, NULL, 'm'             },
                { "verify",        required_argument, NULL, ARG_VERIFY      },
                { "offline",       no_argument,       NULL, ARG_OFFLINE     },
                { "json",          required_argument, NULL, ARG_JSON        },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, ":hC:m:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        update_help(stdout);
                        return -1;
                case ARG_DEFINITIONS:
                        a->ctx.definitions = optarg;
                        break;
                case ARG_ROOT:
                        a->ctx.root = optarg;
                        break;
                case ARG_IMAGE:
                        a->ctx.image = optarg;
                        break;
                case 'C':
                        if (!*optarg || strchr(optarg, '/') || optarg[0] == '.')
                                return log_usage("--component=%s: not a valid component name", optarg);
                        a->ctx.component = optarg;
                        break;
                case 'm': {
                        char *end;
                        unsigned long long n = strtoull(optarg, &end, 10);
                        if (*end || !*optarg || n > UINT32_MAX)
                                return log_usage("--instances-max=%s: not a number", optarg);
                        a->ctx.instances_max = n;
                        break;
                }
                case ARG_VERIFY:
                        if (!streq(optarg, "yes") && !streq(optarg, "no") && !streq(optarg, "1") && !streq(optarg, "0"))
                                return log_usage("--verify=%s: expected yes or no", optarg);
                        a->ctx.verify = streq(optarg, "yes") || streq(optarg, "1");
                        break;
                case ARG_OFFLINE:
                        a->offline = true;
                        break;
                case ARG_JSON:
                        if (json_style_from_string(optarg, &a->json) < 0)
                                return log_usage("--json=%s: expected pretty, short or off", optarg);
                        break;
                default:
                        return log_getopt_error(c, argv);
                }
        if (a->ctx.root && a->ctx.image)    /* as 257 */
                return log_error("--root= and --image= cannot be combined");
        *ret_optind = optind;
        return 0;
}

static int load(const UpdateArgs *a, bool skip_available, UpdateContext *c) {
        UpdateContextOptions o = a->ctx;
        UkitError err = UKIT_ERROR_INIT;
        int r;

        o.skip_available = skip_available || a->offline;
        r = update_context_load(&o, c, &err);
        if (r < 0) {
                if (err.path[0] && err.offset != UKIT_ERROR_NO_OFFSET)
                        return log_error("%s:%llu: %s", err.path, (unsigned long long) err.offset,
                                         ukit_error_reason(&err, r));
                return log_fail(&err, r, "cannot read the transfers, their sources and targets");
        }
        return 0;
}

/* The assessment 257 prints for an update set's flags
 * (update_set_flags_to_string()). */
static const char *assessment(const UpdateVersion *v) {
        const char *suffix = v->obsolete ? (v->incomplete ? "+obsolete+incomplete" : "+obsolete")
                                         : (v->incomplete ? "+incomplete" : "");
        static char buf[48];

        if (!v->installed && !v->available)
                return "n/a";
        if (!v->installed) {
                if (v->obsolete)
                        return "available+obsolete";
                return v->newest ? "candidate" : "available";
        }
        snprintf(buf, sizeof(buf), "%s%s", v->newest ? "current" : v->protected_ ? "protected" : "installed", suffix);
        return buf;
}

static const char *glyph(const UpdateVersion *v) {
        if (v->obsolete || (!v->installed && !v->available))
                return "×";
        if (v->installed && v->newest)
                return "●";
        if (v->installed && v->protected_)
                return "○";
        if (!v->installed && v->available && v->newest)
                return "↻";
        return " ";
}

static int list_all(const UpdateArgs *a, const UpdateContext *c) {
        int w = 7;

        if (a->json != JSON_OFF) {
                JsonWriter j;
                json_begin(&j, stdout, a->json);
                json_object_begin(&j);
                json_key(&j, "current");
                if (c->current)
                        json_string(&j, c->current->version);
                else
                        json_null(&j);
                json_key(&j, "all");
                json_array_begin(&j);
                for (size_t k = 0; k < c->n_versions; k++)
                        json_string(&j, c->versions[k].version);
                json_array_end(&j);
                json_key(&j, "appstreamUrls");
                json_array_begin(&j);
                json_array_end(&j);
                json_object_end(&j);
                json_end(&j);
                return EXIT_SUCCESS;
        }
        if (c->n_versions == 0) {
                log_info("No updates installed or available.");
                return EXIT_SUCCESS;
        }
        for (size_t k = 0; k < c->n_versions; k++)
                if ((int) strlen(c->versions[k].version) > w)
                        w = strlen(c->versions[k].version);
        printf("  %-*s INSTALLED AVAILABLE ASSESSMENT\n", w, "VERSION");
        for (size_t k = 0; k < c->n_versions; k++) {
                const UpdateVersion *v = &c->versions[k];
                _cleanup_free_ char *e = escape_str(v->version);
                printf("%s %-*s     %s         %s     %s\n", glyph(v), w, e,
                       v->installed ? "✓" : " ", v->available ? "✓" : " ", assessment(v));
        }
        return EXIT_SUCCESS;
}

/* One row of 257's contents table: what the instance's name and (for
 * files) the file system or (for slots) the partition entry say. */
typedef struct Row {
        const char *type, *path;
        bool has_uuid, has_sha256;
        const uint8_t *uuid, *sha256;
        uint64_t flags, mtime, mode, size, tries_done, tries_left;      /* UPDATE_UNSET: empty */
        int no_auto, read_only, growfs;                                 /* < 0: empty */
} Row;

static void row_fill(const UpdateResource *res, const UpdateInstance *in, Row *r) {
        const UpdateMeta *m = &in->meta;
        bool url = res->type == UPDATE_RESOURCE_URL_FILE || res->type == UPDATE_RESOURCE_URL_TAR;

        *r = (Row) {
                .type = update_resource_type_name(res->type), .path = in->path,
                .has_uuid = m->has_uuid, .uuid = m->uuid, .flags = m->flags,
                .mtime = m->mtime_usec, .mode = m->mode, .size = m->size,
                .tries_done = m->tries_done, .tries_left = m->tries_left,
                .no_auto = m->no_auto, .read_only = m->read_only, .growfs = m->growfs,
                .has_sha256 = m->has_sha256, .sha256 = m->sha256,
        };
        /* a file's own mtime and mode (the scan drops world-write and set-id bits) */
        if (!url && !in->is_partition) {
                if (r->mtime == UPDATE_UNSET && in->mtime_usec != 0)
                        r->mtime = in->mtime_usec;
                if (r->mode == UPDATE_UNSET && in->mode != UPDATE_UNSET)
                        r->mode = in->mode;
        }
        if (!r->has_sha256 && in->has_listed) {
                r->has_sha256 = true;
                r->sha256 = in->listed;
        }
}

/* "contents" of list VERSION as 257 makes it: a column is there when the
 * definitions can have it and some row has a value; a row without a value
 * in a shown column has null. */
static void list_contents(JsonWriter *j, const UpdateContext *c, const UpdateVersion *v) {
        size_t nt = c->defs.n_transfers, n = 0;
        _cleanup_free_ Row *rows = xcalloc(nt ? nt : 1, sizeof(Row));
        bool fs_type = false, part_type = false;
        bool col_part = false, col_fs = false, col_size = false, col_tries = false;
        bool col_noauto = false, col_ro = false, col_growfs = false, col_sha = false;

        for (size_t i = 0; i < nt; i++) {
                const UpdateTransfer *t = &c->defs.transfers[i];
                /* the set's instances as 257 keeps them: the targets' for
                 * an installed set, else the sources' (a target instance of
                 * a set 257's installed pass stepped over does not count) */
                const UpdateInstance *in = v->installed ? update_instances_find(&c->installed[i], v->version) : NULL;
                const UpdateResource *res = &t->target;
                UpdateResourceType tt = t->target.type;

                part_type |= tt == UPDATE_RESOURCE_PARTITION;
                fs_type |= tt == UPDATE_RESOURCE_REGULAR_FILE || tt == UPDATE_RESOURCE_DIRECTORY ||
                           tt == UPDATE_RESOURCE_SUBVOLUME;
                /* a source fills in only where the whole set is offered */
                if (!in && v->available) {
                        in = update_instances_find(&c->available[i], v->version);
                        res = &t->source;
                }
                if (!in)
                        continue;
                Row *r = &rows[n++];
                row_fill(res, in, r);
                col_part |= r->has_uuid || r->flags != UPDATE_UNSET;
                col_fs |= r->mtime != UPDATE_UNSET || r->mode != UPDATE_UNSET;
                col_size |= r->size != UPDATE_UNSET;
                col_tries |= r->tries_done != UPDATE_UNSET || r->tries_left != UPDATE_UNSET;
                col_noauto |= r->no_auto >= 0;
                col_ro |= r->read_only >= 0;
                col_growfs |= r->growfs >= 0;
                col_sha |= r->has_sha256;
        }
        col_part &= part_type;
        col_fs &= fs_type;

        json_key(j, "contents");
        json_array_begin(j);
        for (size_t k = 0; k < n; k++) {
                const Row *r = &rows[k];
#define NUM(key, v) do { json_key(j, key); if ((v) == UPDATE_UNSET) json_null(j); else json_uint(j, v); } while (0)
#define BOOL(key, v) do { json_key(j, key); if ((v) < 0) json_null(j); else json_bool(j, v); } while (0)
                json_object_begin(j);
                json_kv_string(j, "type", r->type);
                json_kv_string(j, "path", r->path);
                if (col_part) {
                        char u[37];
                        json_key(j, "ptuuid");
                        if (r->has_uuid) {
                                uuid_to_string(r->uuid, u);
                                json_string(j, u);
                        } else
                                json_null(j);
                        NUM("ptflags", r->flags);
                }
                if (col_fs) {
                        NUM("mtime", r->mtime);
                        NUM("mode", r->mode);
                }
                if (col_size)
                        NUM("size", r->size);
                if (col_tries) {
                        NUM("tries-done", r->tries_done);
                        NUM("tries-left", r->tries_left);
                }
                if (col_noauto)
                        BOOL("noauto", r->no_auto);
                if (col_ro)
                        BOOL("ro", r->read_only);
                if (col_growfs)
                        BOOL("growfs", r->growfs);
                if (col_sha) {
                        json_key(j, "sha256");
                        if (r->has_sha256) {
                                char h[65];
                                for (size_t b = 0; b < 32; b++)
                                        snprintf(h + 2 * b, 3, "%02x", r->sha256[b]);
                                json_string(j, h);
                        } else
                                json_null(j);
                }
#undef NUM
#undef BOOL
                json_object_end(j);
        }
        json_array_end(j);
}

static int list_one(const UpdateArgs *a, const UpdateContext *c, const char *version) {
        const UpdateVersion *v = update_context_find(c, version);

        if (!v)
                return log_error("update '%s' not found", version);
        if (a->json != JSON_OFF) {
                JsonWriter j;
                json_begin(&j, stdout, a->json);
                json_object_begin(&j);
                json_kv_string(&j, "version", v->version);
                json_kv_bool(&j, "newest", v->newest);
                json_kv_bool(&j, "available", v->available);
                json_kv_bool(&j, "installed", v->installed);
                json_kv_bool(&j, "obsolete", v->obsolete);
                json_kv_bool(&j, "protected", v->protected_);
                json_kv_bool(&j, "incomplete", v->incomplete);
                json_key(&j, "changelogUrls");
                json_array_begin(&j);
                json_array_end(&j);
                list_contents(&j, c, v);
                json_object_end(&j);
                json_end(&j);
                return EXIT_SUCCESS;
        }
        printf("%s Version: %s\n    State: %s\nInstalled: %s%s%s\nAvailable: %s%s\nProtected: %s\n Obsolete: %s\n",
               glyph(v), v->version, assessment(v), v->installed ? "yes" : "no",
               v->installed && v->newest ? " (newest)" : "", v->incomplete ? " (incomplete)" : "",
               v->available ? "yes" : "no", !v->installed && v->available && v->newest ? " (newest)" : "",
               v->installed && v->protected_ ? "yes" : "no", v->obsolete ? "yes" : "no");
        for (size_t i = 0; i < c->defs.n_transfers && v->installed; i++) {
                const UpdateInstance *in = update_instances_find(&c->installed[i], v->version);
                if (in) {
                        _cleanup_free_ char *e = escape_str(in->path);
                        printf("%s %s\n", update_resource_type_name(c->defs.transfers[i].target.type), e);
                }
        }
        return EXIT_SUCCESS;
}

static void removed_cb(const char *path, void *userdata) {
        unsigned *n = userdata;
        _cleanup_free_ char *e = escape_str(path);
        log_info("Removed '%s'.", e);
        (*n)++;
}

static int report(int r, const UkitError *err, const char *what) {
        return log_fail(err, r, "%s", what);
}

static int do_update(UpdateContext *c, const char *version) {
        UkitError err = UKIT_ERROR_INIT;
        UpdatePending *p = NULL;
        _cleanup_free_ char *v = NULL;
        int *locks = NULL;
        unsigned removed = 0;
        int r;

        if (version) {
                /* in 257's order: an installed version is fine even when
                 * it is obsolete, an incomplete one is repaired */
                const UpdateVersion *u = update_context_find(c, version);
                if (!u)
                        return log_error("version %s is not installed or available", version);
                if (u->installed && !u->incomplete) {
                        log_info("Selected update '%s' is already installed. Skipping update.", version);
                        return EXIT_SUCCESS;
                }
                if (!u->available)
                        return log_error("version %s is not available", version);
                if (u->obsolete)
                        return log_error("version %s is obsolete (older than MinVersion=)", version);
        } else if (!c->candidate) {
                log_info("No update needed.");
                return EXIT_SUCCESS;
        }
        v = xstrdup(version ? version : c->candidate->version);
        log_info("Selected update '%s' for install.", v);
        r = update_lock(c, &locks, &err);
        if (r < 0)
                return report(r, &err, "cannot lock the targets");
        r = update_vacuum(c, 1, v, removed_cb, &removed, &err);
        if (r >= 0)
                r = update_acquire(c, v, &p, &err);
        if (r >= 0)
                r = update_install(c, p, &err);
        if (r >= 0)
                for (size_t i = 0; i < c->defs.n_transfers; i++) {
                        _cleanup_free_ char *e = escape_str(update_pending_path(p, i));
                        log_info("Installed '%s'.", e);
                }
        update_pending_free(p);
        update_unlock(locks, c->defs.n_transfers);
        if (r < 0)
                return log_fail(&err, r, "update to %s failed", v);
        log_info("Successfully installed update '%s'.", v);
        return EXIT_SUCCESS;
}

static int do_vacuum(UpdateContext *c) {
        UkitError err = UKIT_ERROR_INIT;
        int *locks = NULL;
        unsigned removed = 0;
        int r;

        r = update_lock(c, &locks, &err);
        if (r < 0)
                return report(r, &err, "cannot lock the targets");
        r = update_vacuum(c, 0, NULL, removed_cb, &removed, &err);
        update_unlock(locks, c->defs.n_transfers);
        if (r < 0)
                return report(r, &err, "vacuum failed");
        log_info("Removed %u instances.", removed);
        return EXIT_SUCCESS;
}

/* 0: a newer version than the booted one is installed; 1: none; < 0 error printed. */
static int is_pending(const UpdateContext *c) {
        if (!c->booted_version) {
                log_error("%s/etc/os-release lacks IMAGE_VERSION= field", c->root ? c->root : "");
                return -EINVAL;
        }
        if (c->current && update_version_cmp(c->current->version, c->booted_version) > 0) {
                log_info("Newer version (%s) installed than booted (%s). Reboot recommended.",
                         c->current->version, c->booted_version);
                return 0;
        }
        log_info("Booted version (%s) is the newest installed.", c->booted_version);
        return 1;
}

static int do_components(const UpdateArgs *a) {
        char **l = NULL;
        size_t n = 0;
        bool def = false;
        int r = update_components_list(a->ctx.root && !streq(a->ctx.root, "/") ? a->ctx.root : NULL, &l, &n, &def);

        if (r < 0)
                return log_errno(r, "cannot list components");
        if (a->json != JSON_OFF) {
                JsonWriter j;
                json_begin(&j, stdout, a->json);
                json_object_begin(&j);
                json_kv_bool(&j, "default", def);
                json_key(&j, "components");
                json_array_begin(&j);
                for (size_t i = 0; i < n; i++)
                        json_string(&j, l[i]);
                json_array_end(&j);
                json_object_end(&j);
                json_end(&j);
        } else if (n == 0 && !def)
                log_info("No components defined.");
        else {
                if (def)
                        printf("<default>\n");
                for (size_t i = 0; i < n; i++)
                        printf("%s\n", l[i]);
        }
        update_strv_free(l, n);
        return EXIT_SUCCESS;
}

static void feature_one(const UpdateArgs *a, const UpdateFeature *f, const UpdateDefinitions *d) {
        if (a->json != JSON_OFF) {
                JsonWriter j;
                json_begin(&j, stdout, a->json);
                json_object_begin(&j);
                json_kv_string(&j, "name", f->name);
                json_kv_bool(&j, "enabled", f->enabled);
                if (f->description)
                        json_kv_string(&j, "description", f->description);
                if (f->documentation)
                        json_kv_string(&j, "documentation", f->documentation);
                json_key(&j, "transfers");
                json_array_begin(&j);
                for (size_t i = 0; i < d->n_transfers; i++) {
                        const UpdateTransfer *t = &d->transfers[i];
                        bool named = false;
                        for (size_t k = 0; k < t->n_features; k++)
                                named = named || streq(t->features[k], f->name);
                        for (size_t k = 0; k < t->n_requisite_features; k++)
                                named = named || streq(t->requisite_features[k], f->name);
                        if (named)
                                json_string(&j, t->id);
                }
                json_array_end(&j);
                json_object_end(&j);
                json_end(&j);
                return;
        }
        printf("         Name: %s\n      Enabled: %s\n  Description: %s\nDocumentation: %s\n", f->name,
               f->enabled ? "yes" : "no", f->description ? f->description : "",
               f->documentation ? f->documentation : "");
}

static int do_features(const UpdateArgs *a, const char *name) {
        const char *root = a->ctx.root && !streq(a->ctx.root, "/") ? a->ctx.root : NULL;
        UkitError err = UKIT_ERROR_INIT;
        UpdateFeatures f = {};
        UpdateDefinitions d = {};
        int r;

        r = update_features_load(root, a->ctx.definitions, a->ctx.component, &f, &err);
        if (r < 0)
                return log_fail(&err, r, "cannot load the features");
        (void) update_definitions_load(root, a->ctx.definitions, a->ctx.component, NULL, &d, NULL);
        if (name) {
                const UpdateFeature *x = update_features_find(&f, name);
                if (!x)
                        r = log_error("feature '%s' not found", name);
                else {
                        feature_one(a, x, &d);
                        r = EXIT_SUCCESS;
                }
        } else if (a->json != JSON_OFF) {
                JsonWriter j;
                json_begin(&j, stdout, a->json);
                json_object_begin(&j);
                json_key(&j, "features");
                json_array_begin(&j);
                for (size_t i = 0; i < f.n; i++)
                        json_string(&j, f.items[i].name);
                json_array_end(&j);
                json_object_end(&j);
                json_end(&j);
                r = EXIT_SUCCESS;
        } else {
                printf("  FEATURE DESCRIPTION DOCUMENTATION\n");
                for (size_t i = 0; i < f.n; i++)
                        printf("%s %s %s %s\n", f.items[i].enabled ? "✓" : "✗", f.items[i].name,
                               f.items[i].description ? f.items[i].description : "",
                               f.items[i].documentation ? f.items[i].documentation : "");
                r = EXIT_SUCCESS;
        }
        update_definitions_done(&d);
        update_features_done(&f);
        return r;
}

static int run_verb(const UpdateArgs *a, const char *verb, int argc, char **argv) {
        UpdateContext c = {};
        bool local = streq(verb, "vacuum") || streq(verb, "pending") || streq(verb, "reboot");
        int r;

        if (streq(verb, "components"))
                return argc > 0 ? log_usage("components takes no argument") : do_components(a);
        if (streq(verb, "features"))
                return argc > 1 ? log_usage("features takes at most one argument") : do_features(a, argc ? argv[0] : NULL);
        if (!streq(verb, "list") && !streq(verb, "check-new") && !streq(verb, "update") && !local)
                return log_usage("unknown verb '%s'; see 'ukit update --help'", verb);
        if (argc > (streq(verb, "list") || streq(verb, "update") ? 1 : 0))
                return log_usage("too many arguments for '%s'", verb);
        /* as 257: vacuum may keep one version, update needs room for one more */
        if (a->ctx.instances_max != UPDATE_UNSET && streq(verb, "vacuum") && a->ctx.instances_max < 1)
                return log_error("--instances-max= must be >= 1 while vacuuming");
        if (a->ctx.instances_max != UPDATE_UNSET && streq(verb, "update") && a->ctx.instances_max < 2)
                return log_error("--instances-max= must be >= 2 while updating");
        r = load(a, local, &c);
        if (r != 0)
                return r;
        if (streq(verb, "list"))
                r = argc > 0 ? list_one(a, &c, argv[0]) : list_all(a, &c);
        else if (streq(verb, "check-new")) {
                r = c.candidate ? EXIT_SUCCESS : EXIT_FAILURE;
                if (c.candidate)
                        printf("%s\n", c.candidate->version);
                else
                        log_info("No updates available.");
        } else if (streq(verb, "update"))
                r = do_update(&c, argc > 0 ? argv[0] : NULL);
        else if (streq(verb, "vacuum"))
                r = do_vacuum(&c);
        else {
                r = is_pending(&c);
                if (r == 0 && streq(verb, "reboot")) {
                        execlp("systemctl", "systemctl", "reboot", (char *) NULL);
                        r = log_errno(-errno, "cannot run systemctl reboot");
                } else if (streq(verb, "reboot"))
                        r = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
                else
                        r = r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        update_context_done(&c);
        return r;
}

int verb_update(int argc, char **argv) {
        UpdateArgs a = { .ctx.instances_max = UPDATE_UNSET, .ctx.verify = true, .json = JSON_OFF };
        int r, ind = 0;

        r = parse_args(argc, argv, &a, &ind);
        if (r != 0)
                return r < 0 ? EXIT_SUCCESS : r;
        if (ind >= argc)
                return run_verb(&a, "list", 0, NULL);
        return run_verb(&a, argv[ind], argc - ind - 1, argv + ind + 1);
}
