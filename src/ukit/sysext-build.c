/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ukit sysext build` / `ukit confext build`: directory tree -> signed,
 * reproducible extension DDI. Steps: stage the tree with its release file,
 * mkfs.erofs/mksquashfs, dm-verity tree (src/lib/ddi/verity.c), PKCS#7 of the
 * root hash, GPT assembly (src/lib/ddi/ddi.c) into an AtomicFile. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cli.h"
#include "ddi.h"
#include "extension-release.h"
#include "fileio.h"
#include "json.h"
#include "keys.h"
#include "sig-cleanup.h"
#include "sysext-cli.h"
#include "util.h"
#include "verity-sig.h"
#include "verity.h"

/* The one temporary directory of a build, next to the output: the staged
 * tree, the file system image and the hash tree live in it. Removed on
 * every exit path, and by the signal handler (sig-cleanup.h). */
typedef struct WorkDir {
        char *path;
        int slot;
} WorkDir;

static void work_dir_done(WorkDir *w) {
        if (!w->path)
                return;
        (void) rm_rf_sigsafe(w->path);
        sig_cleanup_remove(w->slot);
        free(w->path);
        w->path = NULL;
}

static int work_dir_make(const char *outdir, WorkDir *ret) {
        _cleanup_free_ char *p = xasprintf("%s/" ATOMIC_FILE_TEMP_PREFIX "build-XXXXXX", outdir);
        sigset_t old;
        int slot = -1, r = 0;

        sig_cleanup_block(&old);
        if (mkdtemp(p))
                slot = sig_cleanup_add(p, true);
        else
                r = -errno;
        sig_cleanup_restore(&old);
        if (r < 0)
                return r;
        *ret = (WorkDir) { .path = TAKE_PTR(p), .slot = slot };
        return 0;
}

int sysext_run(char *const argv[], bool quiet) {
        posix_spawn_file_actions_t fa;
        int status;

        posix_spawn_file_actions_init(&fa);
        if (quiet)
                posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        /* A termination signal stops the tool before the work directory
         * it writes into is removed. */
        status = sig_cleanup_spawn_wait(argv[0], true, &fa, argv);
        posix_spawn_file_actions_destroy(&fa);
        if (status < 0)
                return status;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void derive(const uint8_t seed[32], const char *what, uint8_t out[32]) {
        unsigned n = 32;
        HMAC(EVP_sha256(), seed, 32, (const unsigned char *) what, strlen(what), out, &n);
}

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

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = xstrdup(path);
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
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

int sysext_build(ExtClass c, int argc, char **argv) {
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
        const char *id = NULL, *version_id = NULL, *level = NULL, *arch = NULL, *scope = NULL, *format = "erofs",
                *key_path = NULL, *cert_path = NULL, *seed_arg = NULL;
        _cleanup_free_ char *name = NULL;
        bool usr = false;
        JsonStyle json = JSON_OFF;
        int o, r;

        optind = 0;
        while ((o = getopt_long(argc, argv, ":h", opts, NULL)) >= 0)
                switch (o) {
                case 'h': help(c); return EXIT_SUCCESS;
                case O_NAME: free(name); name = xstrdup(optarg); break;
                case O_ID: id = optarg; break;
                case O_VERSION_ID: version_id = optarg; break;
                case O_LEVEL: level = optarg; break;
                case O_ARCH: arch = optarg; break;
                case O_SCOPE: scope = optarg; break;
                case O_FORMAT: format = optarg; break;
                case O_USR: usr = true; break;
                case O_KEY: key_path = optarg; break;
                case O_CERT: cert_path = optarg; break;
                case O_SEED: seed_arg = optarg; break;
                case O_JSON:
                        if (json_style_from_string(optarg, &json) < 0)
                                return log_usage("--json=: expected pretty, short or off");
                        break;
                default: return log_getopt_error(o, argv);
                }
        if (argc - optind != 2)
                return log_usage("expected DIRECTORY and OUTPUT");
        const char *src = argv[optind], *output = argv[optind + 1];
        if (!streq(format, "erofs") && !streq(format, "squashfs"))
                return log_usage("--format=%s: expected erofs or squashfs", format);
        if (!key_path != !cert_path)
                return log_usage("--private-key= and --certificate= go together");
        if (usr && c != EXT_SYSEXT)
                return log_usage("--usr: a %s image holds /etc, which a usr partition cannot", ext_class_name(c));
        const char *part_arch = arch && !streq(arch, "_any") ? arch : ddi_native_arch();
        if (!ddi_arch_known(part_arch))
                return log_usage("--architecture=%s: no partition types known for it", part_arch);
        if (!name)
                name = strip_suffix_name(output);
        if (!ext_image_name_valid(name))
                return log_usage("'%s' is not a valid extension name", name);

        struct stat st;
        if (stat(src, &st) < 0)
                return log_errno(-errno, "%s", src);
        if (!S_ISDIR(st.st_mode))
                return log_errno(-ENOTDIR, "%s", src);
        if (usr) {
                _cleanup_free_ char *extra = NULL;
                r = usr_only_tree(src, &extra);
                if (r == -EXDEV)
                        return log_error("%s/%s: outside usr/, but a --usr image holds only /usr (its partition "
                                         "is mounted at /usr); remove it or build without --usr", src, extra);
                if (r < 0)
                        return log_errno(r, "%s", src);
        }

        /* Load keys first: a bad key must fail before any work. */
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        if (key_path) {
                r = keys_load_private(key_path, NULL, &key);
                if (r < 0)
                        return log_errno(r, "%s: cannot load private key", key_path);
                r = keys_load_certificate(cert_path, &cert);
                if (r < 0)
                        return log_errno(r, "%s: cannot load certificate", cert_path);
                EVP_PKEY *pub = X509_get0_pubkey(cert);
                if (!pub || keys_match(key, pub) != 1)
                        return log_error("%s: certificate does not match %s", cert_path, key_path);
        }

        /* Seed: explicit, else derived from SOURCE_DATE_EPOCH + name, else random. */
        uint8_t seed[32];
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        if (seed_arg) {
                uint8_t u[16];
                if (uuid_from_string(seed_arg, u) < 0)
                        return log_usage("--seed=%s: expected a UUID", seed_arg);
                unsigned n = 32;
                HMAC(EVP_sha256(), u, 16, (const unsigned char *) name, strlen(name), seed, &n);
        } else if (sde) {
                _cleanup_free_ char *m = xasprintf("ukit-%s:%s:%s", ext_class_name(c), name, sde);
                unsigned n = 32;
                HMAC(EVP_sha256(), (const unsigned char *) "ukit-seed", 9, (const unsigned char *) m, strlen(m), seed, &n);
        } else if (RAND_bytes(seed, sizeof(seed)) != 1)
                return log_errno(-EIO, "cannot get random bytes");

        _cleanup_free_ char *outcopy = xstrdup(output);
        const char *outdir = dirname(outcopy);
        _cleanup_(work_dir_done) WorkDir work = { .slot = -1 };
        _cleanup_free_ char *stage = NULL;
        const char *tree = src;

        r = work_dir_make(outdir, &work);
        if (r < 0)
                return log_errno(r, "%s: cannot create a temporary directory", outdir);

        /* Stage: copy the tree so the release file can be added without
         * touching the input. */
        if (id || version_id || level || arch || scope) {
                _cleanup_free_ char *text = NULL, *reldir = NULL, *relpath = NULL;
                if (!id)
                        return log_usage("--id= is required when writing the release file (use _any for any OS)");
                r = extension_release_format(c, id, version_id, level, arch, scope, &text);
                if (r < 0)
                        return log_errno(r, "invalid release field value");
                stage = xasprintf("%s/tree", work.path);
                if (mkdir(stage, 0755) < 0)
                        return log_errno(-errno, "%s: cannot create staging directory", stage);
                _cleanup_free_ char *from = xasprintf("%s/.", src);
                char *cp[] = { "cp", "-a", "--reflink=auto", from, stage, NULL };
                r = sysext_run(cp, false);
                if (r != 0)
                        return log_error("%s: copying the tree failed", src);
                reldir = xasprintf("%s/%s", stage, ext_release_dir(c));
                r = mkdir_p(reldir, 0755);
                if (r < 0)
                        return log_errno(r, "%s", reldir);
                relpath = xasprintf("%s/extension-release.%s", reldir, name);
                _cleanup_close_ int fd = open(relpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0 || write_full(fd, text, strlen(text)) < 0)
                        return log_errno(-errno, "%s", relpath);
                tree = stage;
        } else {
                _cleanup_free_ char *relpath = xasprintf("%s/%s/extension-release.%s", src, ext_release_dir(c), name);
                if (access(relpath, R_OK) < 0)
                        return log_usage("%s: missing; pass --id= (and --version-id=/--level=) to create it", relpath);
        }
        if (c == EXT_SYSEXT) {
                _cleanup_free_ char *osr = xasprintf("%s/usr/lib/os-release", tree);
                if (access(osr, F_OK) == 0)
                        return log_error("%s: an extension must not contain usr/lib/os-release", src);
        }

        /* File system image: the whole tree for a root partition, the
         * contents of usr/ for a usr partition. */
        _cleanup_free_ char *fs_src = usr ? xasprintf("%s/usr", tree) : xstrdup(tree);
        if (usr && (lstat(fs_src, &st) < 0 || !S_ISDIR(st.st_mode)))
                return log_errno(-ENOENT, "%s/usr: --usr needs a usr/ directory", src);
        uint8_t d[32];
        char fs_uuid[37];
        derive(seed, "fs-uuid", d);
        uuid_make_v4(d);
        uuid_to_string(d, fs_uuid);
        _cleanup_free_ char *fs_path = xasprintf("%s/fs.img", work.path);
        _cleanup_close_ int fs_fd = open(fs_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fs_fd < 0)
                return log_errno(-errno, "%s: cannot create temporary file", fs_path);
        if (streq(format, "erofs")) {
                _cleanup_free_ char *t = sde ? xasprintf("-T%s", sde) : NULL, *u = xasprintf("-U%s", fs_uuid);
                char *argv_e[] = { "mkfs.erofs", "--quiet", u, t ? t : "-x2", fs_path, fs_src, NULL };
                r = sysext_run(argv_e, true);
        } else {
                char *argv_s[16] = { "mksquashfs", fs_src, fs_path, "-noappend", "-quiet", "-no-progress" };
                size_t k = 6;
                if (sde) {
                        argv_s[k++] = "-all-time";
                        argv_s[k++] = (char *) sde;
                        argv_s[k++] = "-mkfs-time";
                        argv_s[k++] = (char *) sde;
                }
                argv_s[k] = NULL;
                /* mksquashfs refuses SOURCE_DATE_EPOCH together with -all-time,
                 * and without -all-time the staged files keep copy-time mtimes. */
                _cleanup_free_ char *saved = sde ? xstrdup(sde) : NULL;
                if (saved) {
                        argv_s[7] = argv_s[9] = saved;
                        unsetenv("SOURCE_DATE_EPOCH");
                }
                r = sysext_run(argv_s, true);
                if (saved)
                        setenv("SOURCE_DATE_EPOCH", saved, 1);
                sde = getenv("SOURCE_DATE_EPOCH");
        }
        if (r != 0)
                return log_error("%s: %s failed (exit %d)", src, streq(format, "erofs") ? "mkfs.erofs" : "mksquashfs", r);

        uint64_t fs_size, padded;
        r = fd_get_size(fs_fd, &fs_size);
        if (r < 0)
                return log_errno(r, "%s", fs_path);
        if (!align_up_u64(fs_size, 4096, &padded) || padded == 0 || ftruncate(fs_fd, (off_t) padded) < 0)
                return log_errno(-EFBIG, "%s: file system image", src);

        /* dm-verity. */
        VerityParams vp;
        verity_params_default(&vp);
        vp.data_blocks = padded / 4096;
        derive(seed, "verity-salt", vp.salt);
        vp.salt_size = 32;
        derive(seed, "verity-uuid", d);
        uuid_make_v4(d);
        memcpy(vp.uuid, d, 16);
        uint64_t hash_size;
        r = verity_hash_size(&vp, &hash_size);
        if (r < 0)
                return log_errno(r, "%s: dm-verity", src);
        _cleanup_free_ char *hash_path = xasprintf("%s/hash.img", work.path);
        _cleanup_close_ int hash_fd = open(hash_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (hash_fd < 0)
                return log_errno(-errno, "%s: cannot create temporary file", hash_path);
        uint8_t root[VERITY_DIGEST_MAX];
        size_t root_size;
        r = verity_format(&vp, fs_fd, 0, hash_fd, 0, root, &root_size);
        if (r < 0)
                return log_errno(r, "%s: dm-verity", src);
        _cleanup_free_ char *root_hex = hex_encode(root, root_size);

        _cleanup_free_ char *json_sig = NULL;
        size_t json_sig_size = 0;
        if (key) {
                uint8_t *der = NULL;
                size_t der_size;
                r = verity_sig_sign(root_hex, key, cert, &der, &der_size);
                if (r < 0)
                        return log_errno(r, "%s: signing the root hash failed", key_path);
                r = verity_sig_json_build(root_hex, cert, der, der_size, &json_sig, &json_sig_size);
                OPENSSL_free(der);
                if (r < 0)
                        return log_errno(r, "%s: signature", key_path);
        }

        DdiBuild b = {
                .arch = part_arch, .usr = usr,
                .fs_fd = fs_fd, .fs_size = padded,
                .hash_fd = hash_fd, .hash_size = hash_size,
                .root_hash = root, .root_hash_size = root_size,
                .sig_json = json_sig, .sig_json_size = json_sig_size,
        };
        derive(seed, "disk-uuid", d);
        uuid_make_v4(d);
        memcpy(b.disk_guid, d, 16);
        derive(seed, "verity-sig-uuid", d);
        uuid_make_v4(d);
        memcpy(b.sig_uuid, d, 16);

        _cleanup_(atomic_file_abort) AtomicFile out = ATOMIC_FILE_INIT;
        r = atomic_file_open(&out, output);
        if (r < 0)
                return log_errno(r, "%s: cannot create", output);
        r = ddi_write(out.fd, &b);
        if (r < 0)
                return log_errno(r, "%s: writing the image failed", output);
        r = atomic_file_commit(&out, file_mode_from_umask());
        if (r < 0)
                return log_errno(r, "%s: cannot write", output);

        if (json != JSON_OFF) {
                JsonWriter w;
                json_begin(&w, stdout, json);
                json_object_begin(&w);
                json_kv_string(&w, "name", name);
                json_kv_string(&w, "path", output);
                json_kv_string(&w, "rootHash", root_hex);
                json_kv_string(&w, "fileSystem", format);
                json_kv_string(&w, "architecture", part_arch);
                json_kv_bool(&w, "signed", key != NULL);
                json_object_end(&w);
                json_end(&w);
        } else
                printf("%s\n", root_hex);
        return EXIT_SUCCESS;
}
