/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
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

#include "ddi-build.h"
#include "ddi.h"
#include "fileio.h"
#include "gpt.h"
#include "openssl-util.h"
#include "sig-cleanup.h"
#include "util.h"
#include "verity-sig.h"

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
        _cleanup_free_ char *p = NULL;
        sigset_t old;
        int slot = -1, r = 0;

        if (asprintf(&p, "%s/" ATOMIC_FILE_TEMP_PREFIX "build-XXXXXX", outdir) < 0)
                return -ENOMEM;
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

/* Run argv (PATH lookup); returns the exit status, 128+signal, or -errno. */
static int run_tool(char *const argv[], bool quiet) {
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

/* A UUID (version 4 bits set) derived from the seed. */
static void derive_uuid(const uint8_t seed[32], const char *what, uint8_t out[16]) {
        uint8_t d[32];
        derive(seed, what, d);
        uuid_make_v4(d);
        memcpy(out, d, 16);
}

/* "what: strerror" about path (NULL: the input tree). */
static int fail(UkitError *err, int r, const char *path, const char *what) {
        ukit_error(err, r, "%s: %s", what, strerror(-r));
        return ukit_error_where(err, r, path, UKIT_ERROR_NO_OFFSET);
}

int ddi_build_seed(ExtClass c, const char *name, const char *seed_uuid, const char *sde, uint8_t ret[32]) {
        unsigned n = 32;

        if (seed_uuid) {
                uint8_t u[16];
                if (uuid_from_string(seed_uuid, u) < 0)
                        return -EINVAL;
                HMAC(EVP_sha256(), u, 16, (const unsigned char *) name, strlen(name), ret, &n);
        } else if (sde) {
                _cleanup_free_ char *m = NULL;
                if (asprintf(&m, "ukit-%s:%s:%s", ext_class_name(c), name, sde) < 0)
                        return -ENOMEM;
                HMAC(EVP_sha256(), (const unsigned char *) "ukit-seed", 9, (const unsigned char *) m, strlen(m), ret, &n);
        } else if (RAND_bytes(ret, 32) != 1)
                return -EIO;
        return 0;
}

/* Copy the tree into the work directory so the release file can be added
 * without touching the input; *ret_stage is the copy. */
static int stage_tree(const DdiBuildSpec *s, const char *work, char **ret_stage, UkitError *err) {
        _cleanup_free_ char *text = NULL, *stage = NULL, *from = NULL, *reldir = NULL, *relpath = NULL;
        int r = 0;

        r = extension_release_format(s->cls, s->id, s->version_id, s->level, s->arch, s->scope, &text);
        if (r < 0)
                return fail(err, r, NULL, "invalid release field value");
        stage = strprintf("%s/tree", work);
        from = strprintf("%s/.", s->tree);
        if (!stage || !from)
                return -ENOMEM;
        if (mkdir(stage, 0755) < 0)
                return fail(err, -errno, stage, "cannot create staging directory");
        char *cp[] = { "cp", "-a", "--reflink=auto", from, stage, NULL };
        r = run_tool(cp, false);
        if (r != 0)
                return ukit_error(err, -EPROTO, "copying the tree failed");
        reldir = strprintf("%s/%s", stage, ext_release_dir(s->cls));
        if (!reldir)
                return -ENOMEM;
        r = mkdir_p(reldir, 0755);
        if (r < 0)
                return fail(err, r, reldir, "cannot create");
        relpath = strprintf("%s/extension-release.%s", reldir, s->name);
        if (!relpath)
                return -ENOMEM;
        _cleanup_close_ int fd = open(relpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return fail(err, -errno, relpath, "cannot create");
        r = write_full(fd, text, strlen(text));
        if (r < 0)
                return fail(err, r, relpath, "cannot write");
        *ret_stage = TAKE_PTR(stage);
        return 0;
}

/* mksquashfs refuses SOURCE_DATE_EPOCH together with -all-time, and
 * without -all-time the staged files keep copy-time mtimes. */
static int run_mksquashfs(const char *fs_src, const char *fs_path, const char *sde) {
        char *argv_s[16] = { "mksquashfs", (char *) fs_src, (char *) fs_path, "-noappend", "-quiet", "-no-progress" };
        _cleanup_free_ char *saved = NULL;
        size_t k = 6;
        int r;

        if (sde) {
                saved = strdup(sde);
                if (!saved)
                        return -ENOMEM;
                argv_s[k++] = "-all-time";
                argv_s[k++] = saved;
                argv_s[k++] = "-mkfs-time";
                argv_s[k++] = saved;
                unsetenv("SOURCE_DATE_EPOCH");
        }
        argv_s[k] = NULL;
        r = run_tool(argv_s, true);
        if (saved)
                setenv("SOURCE_DATE_EPOCH", saved, 1);
        return r;
}

/* The file system image of fs_src in fs_fd (fs_path), padded to 4 KiB. */
static int make_fs(const DdiBuildSpec *s, const char *fs_src, const char *fs_path, int fs_fd,
                   uint64_t *ret_size, UkitError *err) {
        uint64_t fs_size, padded;
        uint8_t u[16];
        char fs_uuid[37];
        int r = 0;

        derive_uuid(s->seed, "fs-uuid", u);
        uuid_to_string(u, fs_uuid);
        if (streq(s->format, "erofs")) {
                _cleanup_free_ char *t = s->source_date_epoch ? strprintf("-T%s", s->source_date_epoch) : NULL;
                _cleanup_free_ char *uu = strprintf("-U%s", fs_uuid);
                if (!uu || (s->source_date_epoch && !t))
                        return -ENOMEM;
                char *argv_e[] = { "mkfs.erofs", "--quiet", uu, t ? t : "-x2", (char *) fs_path, (char *) fs_src, NULL };
                r = run_tool(argv_e, true);
        } else
                r = run_mksquashfs(fs_src, fs_path, s->source_date_epoch);
        if (r == -ENOMEM)
                return r;
        if (r != 0)
                return ukit_error(err, -EPROTO, "%s failed (exit %d)",
                                  streq(s->format, "erofs") ? "mkfs.erofs" : "mksquashfs", r);

        r = fd_get_size(fs_fd, &fs_size);
        if (r < 0)
                return fail(err, r, fs_path, "cannot read");
        if (!align_up_u64(fs_size, 4096, &padded) || padded == 0 || ftruncate(fs_fd, (off_t) padded) < 0)
                return fail(err, -EFBIG, NULL, "file system image");
        *ret_size = padded;
        return 0;
}

/* The dm-verity hash tree of the file system in hash_fd; the root hash in b. */
static int make_verity(const DdiBuildSpec *s, int fs_fd, uint64_t fs_size, int hash_fd,
                       uint8_t root[VERITY_DIGEST_MAX], DdiBuild *b, UkitError *err) {
        VerityParams vp;
        uint8_t d[32];
        int r;

        verity_params_default(&vp);
        vp.data_blocks = fs_size / 4096;
        derive(s->seed, "verity-salt", vp.salt);
        vp.salt_size = 32;
        derive_uuid(s->seed, "verity-uuid", d);
        memcpy(vp.uuid, d, 16);
        r = verity_hash_size(&vp, &b->hash_size);
        if (r < 0)
                return fail(err, r, NULL, "dm-verity");
        r = verity_format(&vp, fs_fd, 0, hash_fd, 0, root, &b->root_hash_size);
        if (r < 0)
                return fail(err, r, NULL, "dm-verity");
        b->root_hash = root;
        return 0;
}

/* The signature partition's JSON for the root hash. */
static int make_signature(const DdiBuildSpec *s, const char *root_hex, char **ret, size_t *ret_size,
                          UkitError *err) {
        _cleanup_(OPENSSL_freep) uint8_t *der = NULL;
        size_t der_size;
        int r;

        r = verity_sig_sign(root_hex, s->key, s->cert, &der, &der_size);
        if (r < 0)
                return ukit_error_item(err, r, "key", "signing the root hash failed: %s", strerror(-r));
        r = verity_sig_json_build(root_hex, s->cert, der, der_size, ret, ret_size);
        if (r < 0)
                return ukit_error_item(err, r, "key", "signature: %s", strerror(-r));
        return 0;
}

/* The image itself, written to a temporary file and renamed over output. */
static int write_image(const DdiBuildSpec *s, DdiBuild *b, UkitError *err) {
        _cleanup_(atomic_file_abort) AtomicFile out = ATOMIC_FILE_INIT;
        int r;

        derive_uuid(s->seed, "disk-uuid", b->disk_guid);
        derive_uuid(s->seed, "verity-sig-uuid", b->sig_uuid);
        r = atomic_file_open(&out, s->output);
        if (r < 0)
                return fail(err, r, s->output, "cannot create");
        r = ddi_write(out.fd, b);
        if (r < 0)
                return fail(err, r, s->output, "writing the image failed");
        r = atomic_file_commit(&out, file_mode_from_umask());
        if (r < 0)
                return fail(err, r, s->output, "cannot write");
        return 0;
}

/* Create an empty temporary file in the work directory. */
static int work_file(const char *work, const char *name, char **ret_path, UkitError *err) {
        int fd;

        *ret_path = strprintf("%s/%s", work, name);
        if (!*ret_path)
                return -ENOMEM;
        fd = open(*ret_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return fail(err, -errno, *ret_path, "cannot create temporary file");
        return fd;
}

int ddi_build(const DdiBuildSpec *s, char ret_root_hex[static 2 * VERITY_DIGEST_MAX + 1], UkitError *err) {
        _cleanup_free_ char *outcopy = NULL, *stage = NULL, *osr = NULL, *fs_src = NULL, *fs_path = NULL,
                            *hash_path = NULL, *json_sig = NULL;
        _cleanup_(work_dir_done) WorkDir work = { .slot = -1 };
        _cleanup_close_ int fs_fd = -1, hash_fd = -1;
        uint8_t root[VERITY_DIGEST_MAX];
        char root_hex[2 * VERITY_DIGEST_MAX + 1];
        size_t json_sig_size = 0;
        const char *tree = s->tree;
        DdiBuild b = { .arch = s->part_arch, .usr = s->usr };
        struct stat st;
        int r = 0;

        outcopy = strdup(s->output);
        if (!outcopy)
                return -ENOMEM;
        const char *outdir = dirname(outcopy);
        r = work_dir_make(outdir, &work);
        if (r < 0)
                return fail(err, r, outdir, "cannot create a temporary directory");

        if (s->id) {
                r = stage_tree(s, work.path, &stage, err);
                if (r < 0)
                        return r;
                tree = stage;
        }
        if (s->cls == EXT_SYSEXT) {
                osr = strprintf("%s/usr/lib/os-release", tree);
                if (!osr)
                        return -ENOMEM;
                if (access(osr, F_OK) == 0)
                        return ukit_error(err, -EEXIST, "an extension must not contain usr/lib/os-release");
        }

        /* File system image: the whole tree for a root partition, the
         * contents of usr/ for a usr partition. */
        fs_src = s->usr ? strprintf("%s/usr", tree) : strdup(tree);
        if (!fs_src)
                return -ENOMEM;
        if (s->usr && (lstat(fs_src, &st) < 0 || !S_ISDIR(st.st_mode)))
                return ukit_error(err, -ENOENT, "--usr needs a usr/ directory");
        fs_fd = r = work_file(work.path, "fs.img", &fs_path, err);
        if (r < 0)
                return r;
        r = make_fs(s, fs_src, fs_path, fs_fd, &b.fs_size, err);
        if (r < 0)
                return r;
        b.fs_fd = fs_fd;

        hash_fd = r = work_file(work.path, "hash.img", &hash_path, err);
        if (r < 0)
                return r;
        b.hash_fd = hash_fd;
        r = make_verity(s, fs_fd, b.fs_size, hash_fd, root, &b, err);
        if (r < 0)
                return r;
        hex_encode_to(root, b.root_hash_size, root_hex);

        if (s->key) {
                r = make_signature(s, root_hex, &json_sig, &json_sig_size, err);
                if (r < 0)
                        return r;
                b.sig_json = json_sig;
                b.sig_json_size = json_sig_size;
        }
        r = write_image(s, &b, err);
        if (r < 0)
                return r;
        memcpy(ret_root_hex, root_hex, sizeof(root_hex));
        return 0;
}
