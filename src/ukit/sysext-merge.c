/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status / merge / unmerge / refresh / list for `ukit sysext` and
 * `ukit confext`. Exit status: 0 success (incompatible images are reported
 * and skipped, that is not an error), 1 any image failed to mount/verify or
 * a hierarchy could not be switched, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "json.h"
#include "sysext-cli.h"
#include "sysext-merge.h"
#include "util.h"

static void help(ExtClass c, const char *verb) {
        printf("Usage: ukit %s %s [--root=DIR] [--force] [--strict] [--require-signature]\n"
               "       [--verity=auto|kernel|userspace] [--lock-timeout=SEC] [--json=pretty|short]\n"
               "\n"
               "  --root=DIR            operate on DIR/usr, DIR/opt (DIR/etc), images under DIR\n"
               "  --force               skip the release file compatibility checks\n"
               "  --strict              merge nothing if any image fails to mount or verify\n"
               "  --require-signature   only merge DDIs whose root hash signature is trusted\n"
               "  --verity=MODE         kernel: mount through a dm-verity device (the kernel checks\n"
               "                        every read, signatures may be trusted by its keyring);\n"
               "                        userspace: the full check at merge time only;\n"
               "                        auto (default): kernel when device-mapper is available\n"
               "  --lock-timeout=SEC    wait at most SEC seconds (default 90, 0: not at all,\n"
               "                        infinity) for another merge/refresh/unmerge to finish\n"
               "  --json=pretty|short   structured output\n"
               "  -q, --quiet           no per-image messages\n"
               "See ukit-sysext(8).\n",
               ext_class_name(c), verb);
}

static void format_usec(uint64_t usec, char *buf, size_t n) {
        time_t t = (time_t) (usec / 1000000u);
        struct tm tm;
        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                snprintf(buf, n, "-");
}

static const char *state_name(ExtImageState s) {
        switch (s) {
        case EXT_IMAGE_MERGED: return "merged";
        case EXT_IMAGE_IGNORED: return "ignored";
        case EXT_IMAGE_FAILED: return "failed";
        default: return "pending";
        }
}

static int do_status(ExtContext *ctx, JsonStyle json) {
        JsonWriter w;
        if (json != JSON_OFF) {
                json_begin(&w, stdout, json);
                json_array_begin(&w);
        } else
                printf("%-12s %-30s %s\n", "HIERARCHY", "EXTENSIONS", "SINCE");
        for (size_t i = 0; i < ctx->n_hierarchies; i++) {
                _cleanup_free_ char *names = NULL;
                bool merged;
                uint64_t since;
                int r = ext_hierarchy_status(ctx, i, &merged, &names, &since);
                if (r < 0)
                        return log_errno(r, "%s%s: cannot read the merge state", ctx->root, ctx->hierarchies[i]);
                if (json != JSON_OFF) {
                        json_object_begin(&w);
                        json_kv_string(&w, "hierarchy", ctx->hierarchies[i]);
                        json_key(&w, "extensions");
                        if (!merged)
                                json_string(&w, "none");
                        else {
                                json_array_begin(&w);
                                for (char *s = names, *e; s && *s; s = e + 1) {
                                        e = strchrnul(s, '\n');
                                        json_string_n(&w, s, (size_t) (e - s));
                                        if (!*e)
                                                break;
                                }
                                json_array_end(&w);
                        }
                        json_key(&w, "since");
                        if (merged)
                                json_uint(&w, since);
                        else
                                json_null(&w);
                        json_object_end(&w);
                } else {
                        char t[64];
                        format_usec(since, t, sizeof(t));
                        if (names)
                                for (char *p = names; *p; p++)
                                        if (*p == '\n')
                                                *p = p[1] ? ' ' : 0;
                        printf("%-12s %-30s %s\n", ctx->hierarchies[i], merged ? names : "none", merged ? t : "-");
                }
        }
        if (json != JSON_OFF) {
                json_array_end(&w);
                json_end(&w);
        }
        return EXIT_SUCCESS;
}

static int do_list(ExtContext *ctx, JsonStyle json) {
        JsonWriter w;
        if (json != JSON_OFF) {
                json_begin(&w, stdout, json);
                json_array_begin(&w);
        } else if (ctx->n_images > 0)
                printf("%-20s %-10s %-50s %s\n", "NAME", "TYPE", "PATH", "TIME");
        for (size_t i = 0; i < ctx->n_images; i++) {
                const ExtImage *m = ctx->images + i;
                if (json != JSON_OFF) {
                        json_object_begin(&w);
                        json_kv_string(&w, "name", m->name);
                        json_kv_string(&w, "type", ext_image_type_name(m->type));
                        json_kv_string(&w, "path", m->path);
                        json_kv_uint(&w, "time", m->mtime_usec);
                        json_object_end(&w);
                } else {
                        char t[64];
                        format_usec(m->mtime_usec, t, sizeof(t));
                        printf("%-20s %-10s %-50s %s\n", m->name, ext_image_type_name(m->type), m->path, t);
                }
        }
        if (json != JSON_OFF) {
                json_array_end(&w);
                json_end(&w);
        } else if (ctx->n_images == 0)
                log_info("No extensions found.");
        return EXIT_SUCCESS;
}

/* -ETIMEDOUT from the class lock: who holds it and what to do. */
static int log_lock_timeout(const ExtContext *ctx) {
        _cleanup_free_ char *ws = ext_workspace_path(ctx->cls);
        char who[96] = "an unknown process";
        if (ctx->lock_holder.pid > 0)
                snprintf(who, sizeof(who), "pid %d (%s)%s", (int) ctx->lock_holder.pid,
                         ctx->lock_holder.comm[0] ? ctx->lock_holder.comm : "?",
                         ctx->lock_holder.n_pids > 1 ? " and its child" : "");
        return log_error("%s: still locked after %.1f s by %s: another %s merge, refresh or unmerge is running "
                         "or stuck (--lock-timeout=)", ws ?: "workspace", (double) ctx->lock_timeout_usec / 1e6, who,
                         ext_class_name(ctx->cls));
}

static int parse_timeout(const char *s, int64_t *ret) {
        char *end;
        if (streq(s, "infinity")) {
                *ret = -1;
                return 0;
        }
        errno = 0;
        double d = strtod(s, &end);
        if (errno || end == s || *end || !(d >= 0) || d > 86400.0 * 365)
                return -EINVAL;
        *ret = (int64_t) (d * 1e6);
        return 0;
}

static int do_merge(ExtContext *ctx, bool refresh, JsonStyle json) {
        unsigned merged = 0, n_ok = 0, n_ignored = 0, n_failed = 0, n_userspace = 0;
        int r;

        r = ext_context_load_host(ctx);
        if (r == -ENOENT)
                return log_errno(r, "%s/etc/os-release: cannot read the host os-release", ctx->root);
        if (r == -ENOMSG)
                return log_error("%s/etc/os-release: no ID= field", ctx->root);
        if (r < 0)
                return log_error("%s/etc/os-release: cannot read the host os-release: %s", ctx->root,
                                 input_strerror(r));

        if (ctx->n_images == 0 && !refresh) {
                log_info("No extensions found.");
                return EXIT_SUCCESS;
        }
        r = ext_merge(ctx, refresh, &merged);
        if (r == -ETIMEDOUT)
                return log_lock_timeout(ctx);
        if (r == -EBUSY) {
                return log_error("%s: already merged (use refresh, or unmerge first)", ctx->root[0] ? ctx->root : "/");
        }

        for (size_t i = 0; i < ctx->n_images; i++) {
                const ExtImage *m = ctx->images + i;
                switch (m->result->state) {
                case EXT_IMAGE_MERGED:
                        n_ok++;
                        log_info("Using extension '%s' (%s, %s, verity: %s, trust: %s).", m->name,
                                 ext_image_type_name(m->type), m->result->protection, m->result->verity,
                                 m->result->trust);
                        if (streq(m->result->verity, "userspace"))
                                n_userspace++;
                        break;
                case EXT_IMAGE_IGNORED:
                        n_ignored++;
                        log_info("Skipping extension '%s': %s.", m->name, m->result->error.what);
                        break;
                case EXT_IMAGE_FAILED:
                        n_failed++;
                        log_error("%s: %s", m->path, m->result->error.what);
                        break;
                default:
                        break;
                }
        }
        if (json != JSON_OFF) {
                JsonWriter w;
                json_begin(&w, stdout, json);
                json_array_begin(&w);
                for (size_t i = 0; i < ctx->n_images; i++) {
                        const ExtImage *m = ctx->images + i;
                        json_object_begin(&w);
                        json_kv_string(&w, "name", m->name);
                        json_kv_string(&w, "path", m->path);
                        json_kv_string(&w, "state", state_name(m->result->state));
                        json_kv_string(&w, "protection", m->result->protection);
                        json_kv_string(&w, "verity", m->result->verity);
                        json_kv_string(&w, "trust", m->result->trust);
                        if (m->result->error.what[0])
                                json_kv_string(&w, "reason", m->result->error.what);
                        json_object_end(&w);
                }
                json_array_end(&w);
                json_end(&w);
        }

        if (r == -ECANCELED) {
                return log_error("%u image(s) failed and --strict is set: nothing merged", n_failed);
        }
        if (r < 0)
                return log_errno(r, "merging failed");
        if (n_userspace > 0 && ctx->verity_mode == VERITY_MODE_AUTO)
                log_info("Note: no device-mapper here (/dev/mapper/control): dm-verity was checked in user space "
                         "at merge time only; later changes to the backing files are not detected.");
        if (merged > 0)
                log_info("Merged %u extension(s) into %u hierarchy(ies).", n_ok, merged);
        else
                log_info("No suitable extensions found (%u ignored, %u failed).", n_ignored, n_failed);
        return n_failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int do_unmerge(ExtContext *ctx, JsonStyle json) {
        int r = ext_unmerge(ctx);
        if (r == -ETIMEDOUT)
                return log_lock_timeout(ctx);
        if (r < 0)
                return log_errno(r, "unmerging failed");
        log_info(r > 0 ? "Unmerged extensions." : "No extensions were merged.");
        return EXIT_SUCCESS;
}

static int do_merge_new(ExtContext *ctx, JsonStyle json) {
        return do_merge(ctx, false, json);
}

static int do_refresh(ExtContext *ctx, JsonStyle json) {
        return do_merge(ctx, true, json);
}

/* What each verb needs before it runs: the images discovered, root. */
static const struct {
        const char *name;
        bool discover;
        bool privileged;
        int (*run)(ExtContext *ctx, JsonStyle json);
} merge_verbs[] = {
        { "status",  false, false, do_status },
        { "list",    true,  false, do_list },
        { "unmerge", true,  true,  do_unmerge },
        { "merge",   true,  true,  do_merge_new },
        { "refresh", true,  true,  do_refresh },
};

int sysext_merge_verbs(ExtClass c, const char *verb, int argc, char **argv) {
        enum { O_ROOT = 256, O_FORCE, O_STRICT, O_JSON, O_REQSIG, O_VERITY, O_LOCK_TIMEOUT };
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { "root", required_argument, NULL, O_ROOT },
                { "force", no_argument, NULL, O_FORCE },
                { "strict", no_argument, NULL, O_STRICT },
                { "require-signature", no_argument, NULL, O_REQSIG },
                { "verity", required_argument, NULL, O_VERITY },
                { "lock-timeout", required_argument, NULL, O_LOCK_TIMEOUT },
                { "json", required_argument, NULL, O_JSON },
                { "quiet", no_argument, NULL, 'q' },
                {}
        };
        _cleanup_(ext_context_done) ExtContext ctx;
        const char *root = NULL;
        bool force = false, strict = false, reqsig = false;
        VerityMode verity = VERITY_MODE_AUTO;
        JsonStyle json = JSON_OFF;
        int64_t lock_timeout = EXT_LOCK_TIMEOUT_USEC_DEFAULT;
        int o, r;

        memset(&ctx, 0, sizeof(ctx));
        optind = 0;
        while ((o = getopt_long(argc, argv, ":hq", opts, NULL)) >= 0)
                switch (o) {
                case 'h': help(c, verb); return EXIT_SUCCESS;
                case O_ROOT: root = optarg; break;
                case O_FORCE: force = true; break;
                case O_STRICT: strict = true; break;
                case O_REQSIG: reqsig = true; break;
                case O_VERITY:
                        if (verity_mode_from_string(optarg, &verity) < 0)
                                return log_usage("--verity=%s: expected auto, kernel or userspace", optarg);
                        break;
                case O_LOCK_TIMEOUT:
                        if (parse_timeout(optarg, &lock_timeout) < 0)
                                return log_usage("--lock-timeout=%s: expected seconds or infinity", optarg);
                        break;
                case 'q': arg_quiet = true; break;
                case O_JSON:
                        if (json_style_from_string(optarg, &json) < 0)
                                return log_usage("--json=: expected pretty, short or off");
                        break;
                default: return log_getopt_error(o, argv);
                }
        if (optind < argc)
                return log_usage("unexpected argument '%s'", argv[optind]);

        _cleanup_free_ char *absroot = NULL;
        if (root) {
                absroot = realpath(root, NULL);
                if (!absroot)
                        return log_errno(-errno, "%s", root);
        }
        r = ext_context_init(&ctx, c, absroot);
        if (r < 0)
                return log_errno(r, "invalid root or hierarchy list");
        ctx.force = force;
        ctx.strict = strict;
        ctx.require_signature = reqsig;
        ctx.verity_mode = verity;
        ctx.lock_timeout_usec = lock_timeout;

        for (size_t i = 0; i < ELEMENTSOF(merge_verbs); i++) {
                if (!streq(verb, merge_verbs[i].name))
                        continue;
                if (merge_verbs[i].discover) {
                        r = ext_discover(&ctx);
                        if (r < 0)
                                return log_errno(r, "discovering images");
                }
                if (merge_verbs[i].privileged && geteuid() != 0)
                        return log_error("%s: need to be privileged (root)", verb);
                return merge_verbs[i].run(&ctx, json);
        }
        return log_usage("unknown verb '%s'", verb);
}
