/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit list: the UKIs installed in $BOOT/EFI/Linux/ of the ESP and the
 * XBOOTLDR partition, described the way bootctl(1) lists Type #2 entries
 * (title, id, version, sort key, options, boot counter) plus what ukit
 * knows: the .uname of the kernel and whether the image carries an
 * Authenticode signature. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "authenticode.h"
#include "cli.h"
#include "fileio.h"
#include "gpt.h"
#include "install-common.h"
#include "json.h"
#include "osrel.h"
#include "pe.h"
#include "uki-name.h"
#include "uki.h"
#include "util.h"
#include "verbs.h"

#define LIST_ROOTS_MAX          4u
#define LIST_ENTRIES_MAX        1024u           /* per directory */
#define LIST_TEXT_MAX           (64u * 1024u)   /* .cmdline / .uname bytes shown */
#define LIST_FIELD_MAX          1024u           /* one os-release value */

typedef struct ListRoot {
        char *path;
        BootPartitionKind kind;
        dev_t dev;              /* st_dev of path (--esp-path/--boot-path) */
        BootImageMount image;
        bool from_image;
} ListRoot;

typedef struct ListEntry {
        char *id, *path, *root, *linux_rel;
        const char *partition;
        char title[LIST_FIELD_MAX], version[LIST_FIELD_MAX], sort_key[LIST_FIELD_MAX];
        char *options, *uname;
        int tries_left, tries_done;
        bool is_signed;
        uint32_t cert_size;
        const char *sig_state;  /* "unsigned", "valid", "digest-mismatch", "invalid" */
        char signer[256];       /* subject of the first signer, "" if none */
} ListEntry;

static void list_help(FILE *f) {
        fprintf(f,
                "Usage: ukit list [OPTIONS...]\n"
                "\n"
                "List the UKIs installed in EFI/Linux/ of the ESP and the XBOOTLDR partition.\n"
                "\n"
                "Options:\n"
                "  -h --help                 show this help\n"
                "     --esp-path=DIR         the ESP (default: discovered on /efi, /boot, /boot/efi)\n"
                "     --boot-path=DIR        the XBOOTLDR partition (default: discovered)\n"
                "     --image=DISK           look into the ESP and XBOOTLDR partitions of a GPT disk image\n"
                "  -j                        JSON, pretty on a terminal, short otherwise\n"
                "     --json[=pretty|short|off]  JSON (bare --json: pretty)\n"
                "\n"
                "See ukit-list(1).\n");
}

static void entry_done(ListEntry *e) {
        free(e->id);
        free(e->path);
        free(e->root);
        free(e->linux_rel);
        free(e->options);
        free(e->uname);
}

/* First of keys present (non-empty) in the os-release text, into buf. */
static bool osrel_first(const char *text, size_t n, const char *const *keys, char *buf, size_t bufsz) {
        for (; *keys; keys++)
                if (osrel_get(text, n, *keys, buf, bufsz) > 0)
                        return true;
        buf[0] = 0;
        return false;
}

/* Section content as a trimmed string, or NULL if absent/unreadable. */
static char *section_text(int fd, const PeImage *img, const char *name) {
        const PeSection *s = pe_find_section(img, name);
        void *data = NULL;
        size_t n = 0;
        char *t;

        if (!s || pe_read_section(fd, img, s, LIST_TEXT_MAX, &data, &n) < 0)
                return NULL;
        t = data;
        /* Stubs pad sections with NULs; text ends at the first one. */
        n = strnlen(t, n);
        while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\r'))
                n--;
        t[n] = 0;
        return t;
}

static const char *signature_state(int fd, char *signer, size_t signer_size);

/* Fill e from one file. Returns 0, or -EBADMSG for files that are no UKI
 * (bootctl skips those too, with a message). */
static int load_entry(const ListRoot *root, int dir_fd, const char *fname, ListEntry *e, UkitError *err) {
        static const char *const title_keys[] = { "PRETTY_NAME", "IMAGE_ID", "NAME", "ID", NULL };
        static const char *const version_keys[] = { "IMAGE_VERSION", "VERSION", "VERSION_ID", "BUILD_ID", NULL };
        static const char *const sort_keys[] = { "IMAGE_ID", "ID", NULL };
        _cleanup_pe_image_ PeImage *img = NULL;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *osrel = NULL;
        UkiName nm = UKI_NAME_INIT;
        UkitError pe_err = UKIT_ERROR_INIT;
        size_t osn;
        int r;

        if (uki_name_parse(fname, &nm) < 0) {
                return ukit_error(err, -EBADMSG, "not a UKI file name");
        }
        /* No symlinks (they could point anywhere), and no FIFO or device
         * can block or feed the listing: open_input_at() opens
         * O_NONBLOCK and refuses non-regular files. */
        fd = open_input_at(dir_fd, fname, OPEN_INPUT_NOFOLLOW, 0, NULL);
        if (fd < 0) {
                uki_name_done(&nm);
                return fd;
        }
        r = pe_parse_fd(fd, &img, &pe_err);
        if (r < 0) {
                uki_name_done(&nm);
                if (r == -EBADMSG || r == -EOPNOTSUPP)
                        *err = pe_err;
                return r;
        }
        osrel = section_text(fd, img, UKI_NAME_OSREL);
        if (!osrel || !pe_find_section(img, UKI_NAME_LINUX)) {
                uki_name_done(&nm);
                return ukit_error(err, -EBADMSG, "%s", !osrel ? "no .osrel section" : "no .linux section");
        }
        osn = strlen(osrel);
        if (!osrel_first(osrel, osn, title_keys, e->title, sizeof(e->title))) {
                uki_name_done(&nm);
                return ukit_error(err, -EBADMSG, "no PRETTY_NAME, IMAGE_ID, NAME or ID in .osrel");
        }
        osrel_first(osrel, osn, version_keys, e->version, sizeof(e->version));
        osrel_first(osrel, osn, sort_keys, e->sort_key, sizeof(e->sort_key));

        e->id = xasprintf("%s.efi", nm.stem);
        e->tries_left = nm.tries_left;
        e->tries_done = nm.tries_done;
        uki_name_done(&nm);
        e->path = xasprintf("%s/EFI/Linux/%s", root->path, fname);
        e->root = xstrdup(root->path);
        e->linux_rel = xasprintf("EFI/Linux/%s", fname);
        e->partition = boot_partition_kind_name(root->kind);
        e->options = section_text(fd, img, UKI_NAME_CMDLINE);
        e->uname = section_text(fd, img, UKI_NAME_UNAME);
        e->is_signed = pe_is_signed(img);
        e->cert_size = img->cert_table_size;
        e->sig_state = signature_state(fd, e->signer, sizeof(e->signer));
        return 0;
}

/* Signature state without a trust store: is each PKCS#7 well-formed, does
 * the signed digest match the image as it is now, and does the signature
 * over it check out with the embedded signer certificate? Whether the
 * signer is trusted by the firmware is for `ukit verify --cert`. */
static const char *signature_state(int fd, char *signer, size_t signer_size) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        const char *state = "valid";

        signer[0] = 0;
        if (authenticode_image_load(fd, &img, NULL) < 0)
                return "invalid";
        if (!img->signed_)
                return "unsigned";
        if (img->n_entries == 0)
                return "invalid";

        for (size_t i = 0; i < img->n_entries; i++) {
                const AuthenticodeEntry *e = &img->entries[i];
                _cleanup_(authenticode_signature_freep) AuthenticodeSignature *sig = NULL;
                AuthenticodeHasher *h = NULL;
                uint8_t digest[EVP_MAX_MD_SIZE];
                bool match;
                int r;

                if (e->revision != WIN_CERT_REVISION_2_0 || e->type != WIN_CERT_TYPE_PKCS_SIGNED_DATA ||
                    authenticode_signature_parse(e->data, e->data_size, &sig) < 0)
                        return "invalid";
                if (i == 0 && sig->signer)
                        X509_NAME_oneline(X509_get_subject_name(sig->signer), signer, (int) signer_size);

                r = authenticode_digest_fd(fd, &img->layout, &sig->md, 1, -1, &h);
                if (r < 0)
                        return "invalid";
                r = authenticode_hasher_finish(h, false, digest, NULL, NULL);
                authenticode_hasher_free(h);
                if (r < 0)
                        return "invalid";
                match = memcmp(digest, sig->digest, sig->digest_size) == 0;
                if (!match)
                        state = "digest-mismatch";
                else if (authenticode_signature_verify(sig, NULL, NULL) < 0)
                        return "invalid";
        }
        return state;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Everything shown comes from the ESP, which is not trusted: each string
 * goes through escape_controls(), so no escape sequence reaches the
 * terminal. */
static void print_entry_text(const ListEntry *e, bool first) {
        _cleanup_free_ char *title = escape_str(e->title), *id = escape_str(e->id), *path = escape_str(e->path),
                            *sort_key = escape_str(e->sort_key), *version = escape_str(e->version),
                            *uname = escape_str(e->uname), *linux_rel = escape_str(e->linux_rel),
                            *options = escape_str(e->options), *signer = escape_str(e->signer);

        if (!first)
                putchar('\n');
        printf("         type: Boot Loader Specification Type #2 (.efi)\n");
        printf("        title: %s\n", title);
        printf("           id: %s\n", id);
        printf("       source: %s\n", path);
        printf("    partition: %s\n", e->partition);
        if (e->tries_left >= 0) {
                printf("        tries: %d left", e->tries_left);
                if (e->tries_done >= 0)
                        printf(", %d done", e->tries_done);
                putchar('\n');
        }
        if (e->sort_key[0])
                printf("     sort-key: %s\n", sort_key);
        if (e->version[0])
                printf("      version: %s\n", version);
        if (e->uname)
                printf("        uname: %s\n", uname);
        printf("        linux: %s\n", linux_rel);
        if (e->options)
                printf("      options: %s\n", options);
        if (streq(e->sig_state, "unsigned"))
                printf("    signature: unsigned\n");
        else if (streq(e->sig_state, "valid"))
                printf("    signature: signed, digest matches%s%s\n", e->signer[0] ? ", signer " : "", signer);
        else if (streq(e->sig_state, "digest-mismatch"))
                printf("    signature: signed, but the image was modified after signing\n");
        else
                printf("    signature: signed, but the signature is malformed or does not verify\n");
}

static void print_entry_json(JsonWriter *w, const ListEntry *e) {
        json_object_begin(w);
        /* bootctl's keys first, same names and meaning. */
        json_kv_string(w, "id", e->id);
        json_kv_string(w, "path", e->path);
        json_kv_string(w, "root", e->root);
        json_kv_string(w, "title", e->title);
        if (e->sort_key[0])
                json_kv_string(w, "sortKey", e->sort_key);
        if (e->version[0])
                json_kv_string(w, "version", e->version);
        if (e->options)
                json_kv_string(w, "options", e->options);
        json_kv_string(w, "linux", e->linux_rel);
        if (e->tries_left >= 0)
                json_kv_uint(w, "triesLeft", (uint64_t) e->tries_left);
        if (e->tries_done >= 0)
                json_kv_uint(w, "triesDone", (uint64_t) e->tries_done);
        json_kv_string(w, "partition", e->partition);
        if (e->uname)
                json_kv_string(w, "uname", e->uname);
        json_kv_bool(w, "signed", e->is_signed);
        json_kv_string(w, "signature", e->sig_state);
        if (e->signer[0])
                json_kv_string(w, "signer", e->signer);
        json_object_end(w);
}

/* List one root; returns the number of entries shown via *count. */
static int list_root(const ListRoot *root, JsonWriter *w, unsigned *count) {
        _cleanup_close_ int dir_fd = -1;
        _cleanup_free_ char *dirpath = xasprintf("%s/EFI/Linux", root->path);
        char **names = NULL;
        size_t n = 0;
        DIR *d;
        int fd;

        dir_fd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return errno == ENOENT ? 0 : log_errno_r(-errno, "%s", dirpath);
        fd = dup(dir_fd);
        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return log_errno_r(-errno, "%s", dirpath);
        }
        names = xcalloc(LIST_ENTRIES_MAX, sizeof(char *));
        for (struct dirent *de; (de = readdir(d)); ) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l <= 4 || strcasecmp(de->d_name + l - 4, ".efi") != 0)
                        continue;
                if (n >= LIST_ENTRIES_MAX) {
                        log_warning("%s: more than %u entries, ignoring the rest", dirpath, LIST_ENTRIES_MAX);
                        break;
                }
                names[n++] = xstrdup(de->d_name);
        }
        closedir(d);
        /* Deterministic order: readdir order differs between file systems. */
        qsort(names, n, sizeof(char *), cmp_names);

        for (size_t i = 0; i < n; i++) {
                ListEntry e = { .tries_left = -1, .tries_done = -1 };
                UkitError err = UKIT_ERROR_INIT;
                int r = load_entry(root, dir_fd, names[i], &e, &err);
                if (r < 0) {
                        _cleanup_free_ char *dir_e = escape_str(dirpath), *name_e = escape_str(names[i]);
                        log_warning("%s/%s: not a UKI (%s), skipped", dir_e, name_e,
                                    ukit_error_what(&err) ?: input_strerror(r));
                }
                else {
                        if (w->style != JSON_OFF)
                                print_entry_json(w, &e);
                        else
                                print_entry_text(&e, *count == 0);
                        (*count)++;
                }
                entry_done(&e);
                free(names[i]);
        }
        free(names);
        return 0;
}

/* bootctl's ESP lookup (/efi, /boot, /boot/efi): the first mount point whose
 * GPT type says ESP; failing that, like bootctl with SYSTEMD_RELAX_ESP_CHECKS
 * (or on a vfat file system whose type cannot be read, e.g. an MBR disk),
 * the first mount point whose type cannot be read. -ENOENT if none. */
static bool relax_esp_checks(void) {
        const char *e = getenv("SYSTEMD_RELAX_ESP_CHECKS");
        return e && (streq(e, "1") || strcasecmp(e, "yes") == 0 || strcasecmp(e, "true") == 0 ||
                     strcasecmp(e, "on") == 0);
}

static int discover_esp(BootPartition *ret) {
        static const char *const candidates[] = { "/efi", "/boot", "/boot/efi" };
        BootPartition untyped = BOOT_PARTITION_INIT;

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                BootPartition p;
                if (boot_partition_probe(candidates[i], &p) < 0)
                        continue;
                if (p.kind == BOOT_PARTITION_ESP) {
                        boot_partition_done(&untyped);
                        *ret = p;
                        return 0;
                }
                if (p.kind == BOOT_PARTITION_UNKNOWN && !untyped.path &&
                    (relax_esp_checks() || (p.fstype && streq(p.fstype, "vfat")))) {
                        untyped = p;
                        continue;
                }
                boot_partition_done(&p);
        }
        if (!untyped.path)
                return -ENOENT;
        *ret = untyped;
        return 0;
}

/* A directory given as --esp-path or --boot-path. Its GPT partition type
 * decides, as for bootctl. When the type cannot be read (a tmpfs, a FUSE
 * mount, a plain directory) the role decides, again as for bootctl:
 * --esp-path is the ESP; --boot-path is the XBOOTLDR partition unless it is
 * the file system of the ESP (esp_dev: --esp-path's, else the one bootctl
 * finds), which bootctl lists as the ESP. A file system already listed is
 * not added again. */
static int add_path_root(ListRoot *roots, size_t *n, const char *path, BootPartitionKind role,
                         const dev_t *esp_dev) {
        BootPartitionKind kind = BOOT_PARTITION_UNKNOWN;
        BootPartition p;
        struct stat st;

        if (stat(path, &st) < 0)
                return log_errno_r(-errno, "%s", path);
        if (!S_ISDIR(st.st_mode))
                return log_error_r(-ENOTDIR, "%s: not a directory", path);
        if (boot_partition_probe(path, &p) == 0) {
                kind = p.kind;
                boot_partition_done(&p);
        }
        if (kind != BOOT_PARTITION_ESP && kind != BOOT_PARTITION_XBOOTLDR) {
                if (role == BOOT_PARTITION_XBOOTLDR && esp_dev && *esp_dev == st.st_dev)
                        kind = BOOT_PARTITION_ESP;
                else
                        kind = role;
        }
        for (size_t i = 0; i < *n; i++)
                if (roots[i].dev == st.st_dev)
                        return 0;
        char *canon = realpath(path, NULL);
        if (!canon)
                return log_errno_r(-errno, "%s", path);
        roots[(*n)++] = (ListRoot) { .path = canon, .kind = kind, .dev = st.st_dev, .image = BOOT_IMAGE_MOUNT_INIT };
        return 0;
}

static int add_image_roots(ListRoot *roots, size_t *n, const char *image) {
        static const BootPartitionKind kinds[] = { BOOT_PARTITION_ESP, BOOT_PARTITION_XBOOTLDR };
        bool any = false;

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                UkitError err = UKIT_ERROR_INIT;
                BootImagePartition part;
                int r = gpt_find_partition(image, kinds[i], &part, &err);
                if (r == -ENOENT)
                        continue;
                if (r == -EMEDIUMTYPE)
                        return log_error_r(r, "%s: no GPT partition table", image);
                if (r == -EBADMSG)
                        return log_error_r(r, "%s: %s", image, ukit_error_what(&err) ?: "broken GPT");
                if (r < 0)
                        return log_errno_r(r, "%s: cannot read the partition table", image);
                ListRoot *lr = &roots[*n];
                *lr = (ListRoot) { .kind = kinds[i], .image = BOOT_IMAGE_MOUNT_INIT };
                r = boot_image_mount(image, &part, /* read_only= */ true, NULL, &lr->image);
                if (r == -EPERM)
                        return log_error_r(r, "%s: mounting a partition of an image needs root", image);
                if (r == -ENODEV) {
                        /* e.g. no vfat driver: still show the other partition */
                        log_warning("%s: partition %zu (%s): the kernel cannot mount its file system, skipped",
                                    image, part.partno + 1, boot_partition_kind_name(kinds[i]));
                        continue;
                }
                if (r < 0)
                        return log_errno_r(r, "%s: partition %zu: cannot mount", image, part.partno + 1);
                lr->path = xstrdup(lr->image.mount_dir);
                lr->from_image = true;
                (*n)++;
                any = true;
        }
        if (!any)
                return log_error_r(-ENOENT, "%s: no mountable ESP or XBOOTLDR partition in the GPT", image);
        return 0;
}

static void discover_roots(ListRoot *roots, size_t *n) {
        static const char *const candidates[] = { "/efi", "/boot", "/boot/efi" };
        dev_t seen[ELEMENTSOF(candidates)];
        size_t n_seen = 0;

        for (size_t i = 0; i < ELEMENTSOF(candidates) && *n < LIST_ROOTS_MAX; i++) {
                BootPartition p;
                bool dup = false;
                if (boot_partition_probe(candidates[i], &p) < 0)
                        continue;
                for (size_t j = 0; j < n_seen; j++)
                        dup = dup || seen[j] == p.devnum;
                if (!dup && (p.kind == BOOT_PARTITION_ESP || p.kind == BOOT_PARTITION_XBOOTLDR)) {
                        seen[n_seen++] = p.devnum;
                        roots[(*n)++] = (ListRoot) { .path = TAKE_PTR(p.path), .kind = p.kind,
                                                     .image = BOOT_IMAGE_MOUNT_INIT };
                }
                boot_partition_done(&p);
        }
        /* No ESP by type: the mount bootctl would take for it (relaxed checks). */
        bool have_esp = false;
        for (size_t i = 0; i < *n; i++)
                have_esp = have_esp || roots[i].kind == BOOT_PARTITION_ESP;
        BootPartition p;
        if (!have_esp && *n < LIST_ROOTS_MAX && discover_esp(&p) == 0) {
                bool dup = false;
                for (size_t j = 0; j < n_seen; j++)
                        dup = dup || seen[j] == p.devnum;
                if (!dup)
                        roots[(*n)++] = (ListRoot) { .path = TAKE_PTR(p.path), .kind = BOOT_PARTITION_ESP,
                                                     .dev = p.devnum, .image = BOOT_IMAGE_MOUNT_INIT };
                boot_partition_done(&p);
        }
}

/* The roots given by --esp-path= and/or --boot-path=. Returns 0, or r < 0
 * when one cannot be used (logged). */
static int add_given_roots(ListRoot *roots, size_t *n, const char *esp, const char *xbootldr) {
        dev_t esp_dev = 0;
        bool have_esp = false;
        struct stat st;
        BootPartition p;
        int r = 0;

        if (esp && stat(esp, &st) == 0) {
                esp_dev = st.st_dev;
                have_esp = true;
        } else if (!esp && discover_esp(&p) == 0) {
                esp_dev = p.devnum;
                have_esp = true;
                boot_partition_done(&p);
        }
        if (esp)
                r = add_path_root(roots, n, esp, BOOT_PARTITION_ESP, NULL);
        if (r == 0 && xbootldr)
                r = add_path_root(roots, n, xbootldr, BOOT_PARTITION_XBOOTLDR, have_esp ? &esp_dev : NULL);
        return r;
}

/* The roots to list: from --image=, from the paths given, else the mounted
 * ones. Returns 0, else r < 0 or EXIT_FAILURE (logged). */
static int find_roots(ListRoot *roots, size_t *n, const char *image, const char *esp, const char *xbootldr) {
        if (image)
                return add_image_roots(roots, n, image);
        if (esp || xbootldr)
                return add_given_roots(roots, n, esp, xbootldr);
        discover_roots(roots, n);
        if (*n == 0) {
                log_error("no ESP or XBOOTLDR partition mounted on /efi, /boot or /boot/efi "
                          "(use --esp-path=/--boot-path= or --image=)");
                return EXIT_FAILURE;
        }
        return 0;
}

/* Prints the UKIs of every root, as text or as one JSON array. */
static int list_roots(ListRoot *roots, size_t n, JsonStyle style) {
        JsonWriter w;
        unsigned count = 0;
        int r = 0;

        json_begin(&w, stdout, style);
        if (style != JSON_OFF)
                json_array_begin(&w);
        for (size_t i = 0; i < n && r == 0; i++)
                r = list_root(&roots[i], &w, &count);
        if (style != JSON_OFF) {
                json_array_end(&w);
                json_end(&w);
        } else if (count == 0 && r == 0)
                printf("No UKIs installed.\n");
        return r;
}

/* Unmounts the partitions of an --image= and frees the paths. */
static void release_roots(ListRoot *roots, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (roots[i].from_image) {
                        int k = boot_image_umount(&roots[i].image);
                        if (k < 0)
                                log_warning("%s: cannot unmount: %s", roots[i].path, strerror(-k));
                }
                free(roots[i].path);
        }
}

int verb_list(int argc, char **argv) {
        enum { ARG_ESP_PATH = 0x100, ARG_BOOT_PATH, ARG_IMAGE, ARG_JSON };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h' },
                { "esp-path",  required_argument, NULL, ARG_ESP_PATH },
                { "boot-path", required_argument, NULL, ARG_BOOT_PATH },
                { "image",     required_argument, NULL, ARG_IMAGE },
                { "json",      optional_argument, NULL, ARG_JSON },
                {}
        };
        const char *esp = NULL, *xbootldr = NULL, *image = NULL;
        ListRoot roots[LIST_ROOTS_MAX] = {};
        JsonStyle style = JSON_OFF;
        size_t n = 0;
        int c, r = 0;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":hj", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        list_help(stdout);
                        return EXIT_SUCCESS;
                case ARG_ESP_PATH:
                        esp = optarg;
                        break;
                case ARG_BOOT_PATH:
                        xbootldr = optarg;
                        break;
                case ARG_IMAGE:
                        image = optarg;
                        break;
                case 'j':
                        style = isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
                        break;
                case ARG_JSON:
                        /* bare --json: pretty (the brief's "ukit list --json") */
                        if (!optarg)
                                style = JSON_PRETTY;
                        else if (json_style_from_string(optarg, &style) < 0)
                                return log_usage("unknown --json= mode '%s' (pretty, short, off)", optarg);
                        break;
                default:
                        return log_getopt_error(c, argv);
                }
        }
        if (optind < argc)
                return log_usage("unexpected argument '%s'", argv[optind]);
        if (image && (esp || xbootldr))
                return log_usage("--image= cannot be combined with --esp-path=/--boot-path=");

        r = find_roots(roots, &n, image, esp, xbootldr);
        if (r == 0)
                r = list_roots(roots, n, style);
        release_roots(roots, n);
        if (fflush(stdout) != 0 && r == 0)
                r = log_errno(-errno, "stdout");
        return r < 0 ? EXIT_FAILURE : r;
}
