/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ukit sysext build` / `ukit confext build`: directory tree -> signed,
 * reproducible extension DDI. The options are checked and the keys loaded
 * here; the build itself is ddi_build() (src/lib/ddi/ddi-build.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "cli.h"
#include "ddi-build.h"
#include "ddi.h"
#include "extension-release.h"
#include "json.h"
#include "keys.h"
#include "openssl-util.h"
#include "sysext-cli.h"
#include "util.h"
#include "verity.h"

static char *strip_suffix_name(const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        char *b = xstrdup(basename(copy));
        static const char *const sfx[] = { ".sysext.raw", ".confext.raw", ".raw" };
        size_t l = strlen(b);
        for (size_t i = 0; i < ELEMENTSOF(sfx); i++) {
                size_t s = strlen(sfx[i]);
                if (l > s && streq(b + l - s, sfx[i])) {
                        b[l - s] = 0;
                        break;
                }
        }
        return b;
}

static void help(ExtClass c) {
        printf("Usage: ukit %s build [OPTIONS...] DIRECTORY OUTPUT.raw\n"
               "\n"
               "Build a %s disk image (DDI): file system + dm-verity + optional signature.\n"
               "\n"
               "  --name=NAME            extension name (default: OUTPUT without .raw)\n"
               "  --id=ID                ID= of the target OS, or _any\n"
               "  --version-id=VER       VERSION_ID= to pin to\n"
               "  --level=LEVEL          %s=\n"
               "  --architecture=ARCH    ARCHITECTURE= (x86-64, arm64, _any) and partition types\n"
               "  --scope=SCOPES         %s= (e.g. \"system initrd\")\n"
               "  --format=erofs|squashfs file system (default erofs)\n"
               "  --usr                  a usr partition (holds the tree's usr/, mounted at /usr)\n"
               "  --private-key=KEY      sign the root hash (with --certificate)\n"
               "  --certificate=CERT\n"
               "  --seed=UUID            derive salt and UUIDs from this seed (reproducible)\n"
               "  --json=pretty|short    print the result as JSON\n"
               "\n"
               "Without --id/--version-id/--level the tree must already contain\n"
               "%s/extension-release.NAME. See ukit-sysext(8).\n",
               ext_class_name(c), ext_class_name(c), ext_level_key(c), ext_scope_key(c), ext_release_dir(c));
}

/* A usr partition is mounted at /usr by every consumer, so it holds the
 * contents of DIR/usr and nothing else can be expressed. 0 if DIR has no
 * other top-level entry, else -EXDEV with *ret_entry naming the first one. */
static int usr_only_tree(const char *dir, char **ret_entry) {
        DIR *d = opendir(dir);
        struct dirent *de;
        if (!d)
                return -errno;
        *ret_entry = NULL;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && !streq(de->d_name, "usr")) {
                        *ret_entry = xstrdup(de->d_name);
                        break;
                }
        closedir(d);
        return *ret_entry ? -EXDEV : 0;
}

typedef struct BuildArgs {
        DdiBuildSpec spec;
        char *name;
        const char *key_path, *cert_path, *seed_arg;
        JsonStyle json;
} BuildArgs;

static void build_args_done(BuildArgs *a) {
        free(a->name);
        EVP_PKEY_free(a->spec.key);
        X509_free(a->spec.cert);
}

/* -1: go on; else the exit status. */
static int parse_args(ExtClass c, int argc, char **argv, BuildArgs *a) {
        enum { O_NAME = 256, O_ID, O_VERSION_ID, O_LEVEL, O_ARCH, O_SCOPE, O_FORMAT, O_USR, O_KEY, O_CERT, O_SEED, O_JSON };
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { "name", required_argument, NULL, O_NAME },
                { "id", required_argument, NULL, O_ID },
                { "version-id", required_argument, NULL, O_VERSION_ID },
                { "level", required_argument, NULL, O_LEVEL },
                { "architecture", required_argument, NULL, O_ARCH },
                { "scope", required_argument, NULL, O_SCOPE },
                { "format", required_argument, NULL, O_FORMAT },
                { "usr", no_argument, NULL, O_USR },
                { "private-key", required_argument, NULL, O_KEY },
                { "certificate", required_argument, NULL, O_CERT },
                { "seed", required_argument, NULL, O_SEED },
                { "json", required_argument, NULL, O_JSON },
                {}
        };
        DdiBuildSpec *s = &a->spec;
        int o;

        s->cls = c;
        s->format = "erofs";
        optind = 0;
        while ((o = getopt_long(argc, argv, ":h", opts, NULL)) >= 0)
                switch (o) {
                case 'h': help(c); return EXIT_SUCCESS;
                case O_NAME: free(a->name); a->name = xstrdup(optarg); break;
                case O_ID: s->id = optarg; break;
                case O_VERSION_ID: s->version_id = optarg; break;
                case O_LEVEL: s->level = optarg; break;
                case O_ARCH: s->arch = optarg; break;
                case O_SCOPE: s->scope = optarg; break;
                case O_FORMAT: s->format = optarg; break;
                case O_USR: s->usr = true; break;
                case O_KEY: a->key_path = optarg; break;
                case O_CERT: a->cert_path = optarg; break;
                case O_SEED: a->seed_arg = optarg; break;
                case O_JSON:
                        if (json_style_from_string(optarg, &a->json) < 0)
                                return log_usage("--json=: expected pretty, short or off");
                        break;
                default: return log_getopt_error(o, argv);
                }
        if (argc - optind != 2)
                return log_usage("expected DIRECTORY and OUTPUT");
        s->tree = argv[optind];
        s->output = argv[optind + 1];
        if (!streq(s->format, "erofs") && !streq(s->format, "squashfs"))
                return log_usage("--format=%s: expected erofs or squashfs", s->format);
        if (!a->key_path != !a->cert_path)
                return log_usage("--private-key= and --certificate= go together");
        if (s->usr && c != EXT_SYSEXT)
                return log_usage("--usr: a %s image holds /etc, which a usr partition cannot", ext_class_name(c));
        s->part_arch = s->arch && !streq(s->arch, "_any") ? s->arch : ddi_native_arch();
        if (!ddi_arch_known(s->part_arch))
                return log_usage("--architecture=%s: no partition types known for it", s->part_arch);
        if (!a->name)
                a->name = strip_suffix_name(s->output);
        s->name = a->name;
        if (!ext_image_name_valid(a->name))
                return log_usage("'%s' is not a valid extension name", a->name);
        return -1;
}

/* The input tree: a directory, only usr/ for --usr, with a release file
 * unless one is written. -1: fine; else the exit status. */
static int check_tree(const DdiBuildSpec *s) {
        struct stat st;
        int r;

        if (stat(s->tree, &st) < 0)
                return log_errno(-errno, "%s", s->tree);
        if (!S_ISDIR(st.st_mode))
                return log_errno(-ENOTDIR, "%s", s->tree);
        if (s->usr) {
                _cleanup_free_ char *extra = NULL;
                r = usr_only_tree(s->tree, &extra);
                if (r == -EXDEV)
                        return log_error("%s/%s: outside usr/, but a --usr image holds only /usr (its partition "
                                         "is mounted at /usr); remove it or build without --usr", s->tree, extra);
                if (r < 0)
                        return log_errno(r, "%s", s->tree);
        }
        return -1;
}

/* Load keys first: a bad key must fail before any work. */
static int load_keys(BuildArgs *a) {
        int r;

        if (!a->key_path)
                return -1;
        r = keys_load_private(a->key_path, NULL, &a->spec.key);
        if (r < 0)
                return log_errno(r, "%s: cannot load private key", a->key_path);
        r = keys_load_certificate(a->cert_path, &a->spec.cert);
        if (r < 0)
                return log_errno(r, "%s: cannot load certificate", a->cert_path);
        EVP_PKEY *pub = X509_get0_pubkey(a->spec.cert);
        if (!pub || keys_match(a->spec.key, pub) != 1)
                return log_error("%s: certificate does not match %s", a->cert_path, a->key_path);
        return -1;
}

static void print_result(const BuildArgs *a, const char *root_hex) {
        const DdiBuildSpec *s = &a->spec;

        if (a->json == JSON_OFF) {
                printf("%s\n", root_hex);
                return;
        }
        JsonWriter w;
        json_begin(&w, stdout, a->json);
        json_object_begin(&w);
        json_kv_string(&w, "name", s->name);
        json_kv_string(&w, "path", s->output);
        json_kv_string(&w, "rootHash", root_hex);
        json_kv_string(&w, "fileSystem", s->format);
        json_kv_string(&w, "architecture", s->part_arch);
        json_kv_bool(&w, "signed", s->key != NULL);
        json_object_end(&w);
        json_end(&w);
}

int sysext_build(ExtClass c, int argc, char **argv) {
        _cleanup_(build_args_done) BuildArgs a = {};
        DdiBuildSpec *s = &a.spec;
        char root_hex[2 * VERITY_DIGEST_MAX + 1];
        UkitError err = {};
        int r;

        r = parse_args(c, argc, argv, &a);
        if (r >= 0)
                return r;
        r = check_tree(s);
        if (r >= 0)
                return r;
        r = load_keys(&a);
        if (r >= 0)
                return r;
        /* Seed: explicit, else derived from SOURCE_DATE_EPOCH + name, else random. */
        s->source_date_epoch = getenv("SOURCE_DATE_EPOCH");
        r = ddi_build_seed(c, s->name, a.seed_arg, s->source_date_epoch, s->seed);
        if (r == -EINVAL)
                return log_usage("--seed=%s: expected a UUID", a.seed_arg);
        if (r < 0)
                return log_errno(r, "cannot get random bytes");

        if ((s->version_id || s->level || s->arch || s->scope) && !s->id)
                return log_usage("--id= is required when writing the release file (use _any for any OS)");
        if (!s->id) {
                _cleanup_free_ char *relpath = xasprintf("%s/%s/extension-release.%s", s->tree, ext_release_dir(c),
                                                         s->name);
                if (access(relpath, R_OK) < 0)
                        return log_usage("%s: missing; pass --id= (and --version-id=/--level=) to create it", relpath);
        }

        r = ddi_build(s, root_hex, &err);
        if (r < 0)
                return log_error("%s: %s", err.path[0] ? err.path : streq(err.item, "key") ? a.key_path : s->tree,
                                 ukit_error_reason(&err, r));
        print_result(&a, root_hex);
        return EXIT_SUCCESS;
}
