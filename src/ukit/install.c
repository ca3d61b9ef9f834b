/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit install / ukit remove: put a UKI built from a packaged kernel on
 * $BOOT as a Boot Loader Specification Type #2 entry, or take it away.
 *
 * The UKI itself is made by "ukit build" (same binary, run as a child with
 * ukify-compatible options and the ukify-format config file), whose output
 * is an AtomicFile in the target directory: the old UKI stays until the new
 * one is complete and fsync'ed, then rename() replaces it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "stub-path.h"
#include "build-config.h"
#include "cli.h"
#include "fileio.h"
#include "install-common.h"
#include "uki-name.h"
#include "util.h"
#include "verbs.h"

#include "config.h"

#define INITRDS_MAX             64u
#define CMDLINE_FILE_MAX        (64u * 1024u)
/* Space beyond the inputs: PE headers, .osrel/.cmdline/.uname/.sbat, section
 * alignment padding, a signature, file system slack. Generous on purpose:
 * running out half way is what the check is there to prevent. */
#define SPACE_MARGIN_FIXED      (1024u * 1024u)
#define SPACE_MARGIN_PERCENT    2u

/* Open (creating) $BOOT/EFI/Linux without following symlinks, and insist it
 * lives on the same file system as $BOOT: a symlink or a mount that points
 * elsewhere would make us write outside the chosen partition. */
static int open_uki_dir(const char *boot, bool create, int *ret_fd) {
        static const char *const parts[] = { "EFI", "Linux" };
        _cleanup_close_ int fd = -1;
        struct stat root_st;

        fd = open(boot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &root_st) < 0)
                return -errno;

        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                struct stat st;
                int nfd;

                /* O_NOFOLLOW: a symlink here could point off the partition. */
                nfd = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0 && errno == ENOENT && create) {
                        if (mkdirat(fd, parts[i], 0755) < 0 && errno != EEXIST)
                                return -errno;
                        nfd = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (nfd < 0) {
                        /* O_DIRECTORY|O_NOFOLLOW on a symlink: ENOTDIR or ELOOP */
                        int e = errno;
                        if ((e == ENOTDIR || e == ELOOP) &&
                            fstatat(fd, parts[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                return -EXDEV;
                        return -e;
                }
                close(fd);
                fd = nfd;
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (st.st_dev != root_st.st_dev)
                        return -EXDEV;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* ---- install ---- */

typedef struct InstallArgs {
        const char *version;
        const char *kernel;
        const char *initrds[INITRDS_MAX];
        size_t n_initrds;
        const char *boot_path;
        const char *image;
        const char *output;
        const char *config;
        const char *entry_token;
        const char *cmdline;
        const char *stub;
        const char *os_release;
        const char *devicetree;
        int tries;              /* -1 unset, -2 explicitly none */
} InstallArgs;

static void install_help(FILE *f) {
        fprintf(f,
                "Usage: ukit install [OPTIONS...] KERNEL-VERSION KERNEL-IMAGE [INITRD...]\n"
                "\n"
                "Build a UKI from a kernel and initrds and install it as\n"
                "$BOOT/EFI/Linux/ENTRY-TOKEN-KERNEL-VERSION[+TRIES].efi.\n"
                "\n"
                "Options:\n"
                "  -h --help                 show this help\n"
                "     --boot-path=DIR        $BOOT directory (default: XBOOTLDR, else ESP on /efi, /boot, /boot/efi)\n"
                "     --image=DISK           install into the XBOOTLDR (else ESP) partition of a GPT disk image\n"
                "     --output=FILE          write the UKI to FILE instead of $BOOT (kernel-install staging area)\n"
                "  -c --config=FILE          ukify-format configuration (default: /etc/kernel/uki.conf if present)\n"
                "     --entry-token=SPEC     machine-id, os-id, os-image-id, auto (default) or literal:TOKEN\n"
                "     --tries=N|no           boot counting: add +N (default: from /etc/kernel/tries if present)\n"
                "     --cmdline=TEXT|@FILE   kernel command line (default: /etc/kernel/cmdline, else /proc/cmdline)\n"
                "     --os-release=TEXT|@FILE  passed to ukit build\n"
                "     --stub=FILE            passed to ukit build\n"
                "     --devicetree=FILE      passed to ukit build (the plugin: /etc/kernel/devicetree)\n"
                "  -q --quiet                do not report what was installed\n"
                "\n"
                "Honours KERNEL_INSTALL_CONF_ROOT, KERNEL_INSTALL_ENTRY_TOKEN and\n"
                "KERNEL_INSTALL_MACHINE_ID like kernel-install(8). See ukit-install(8).\n");
}

static int parse_install_argv(int argc, char **argv, InstallArgs *a) {
        enum {
                ARG_BOOT_PATH = 0x100,
                ARG_IMAGE,
                ARG_OUTPUT,
                ARG_ENTRY_TOKEN,
                ARG_TRIES,
                ARG_CMDLINE,
                ARG_STUB,
                ARG_OS_RELEASE,
                ARG_DEVICETREE,
        };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "quiet",       no_argument,       NULL, 'q' },
                { "config",      required_argument, NULL, 'c' },
                { "boot-path",   required_argument, NULL, ARG_BOOT_PATH },
                { "image",       required_argument, NULL, ARG_IMAGE },
                { "output",      required_argument, NULL, ARG_OUTPUT },
                { "entry-token", required_argument, NULL, ARG_ENTRY_TOKEN },
                { "tries",       required_argument, NULL, ARG_TRIES },
                { "cmdline",     required_argument, NULL, ARG_CMDLINE },
                { "stub",        required_argument, NULL, ARG_STUB },
                { "os-release",  required_argument, NULL, ARG_OS_RELEASE },
                { "devicetree",  required_argument, NULL, ARG_DEVICETREE },
                {}
        };
        int c;

        a->tries = -1;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":hqc:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        install_help(stdout);
                        return -1;
                case 'q':
                        arg_quiet = true;
                        break;
                case 'c':
                        a->config = optarg;
                        break;
                case ARG_BOOT_PATH:
                        a->boot_path = optarg;
                        break;
                case ARG_IMAGE:
                        a->image = optarg;
                        break;
                case ARG_OUTPUT:
                        a->output = optarg;
                        break;
                case ARG_ENTRY_TOKEN:
                        a->entry_token = optarg;
                        break;
                case ARG_TRIES: {
                        unsigned t;
                        if (streq(optarg, "no"))
                                a->tries = -2;
                        else if (uki_tries_parse(optarg, strlen(optarg), &t) < 0)
                                return log_usage("--tries=: expected a number 0..%u or 'no'", UKI_TRIES_MAX);
                        else
                                a->tries = (int) t;
                        break;
                }
                case ARG_CMDLINE:
                        a->cmdline = optarg;
                        break;
                case ARG_STUB:
                        a->stub = optarg;
                        break;
                case ARG_OS_RELEASE:
                        a->os_release = optarg;
                        break;
                case ARG_DEVICETREE:
                        a->devicetree = optarg;
                        break;
                default:
                        return log_getopt_error(c, argv);
                }
        }

        if (argc - optind < 2)
                return log_usage("expected KERNEL-VERSION KERNEL-IMAGE [INITRD...]");
        a->version = argv[optind++];
        a->kernel = argv[optind++];
        for (; optind < argc; optind++) {
                if (a->n_initrds >= INITRDS_MAX)
                        return log_usage("too many initrds (at most %u)", INITRDS_MAX);
                a->initrds[a->n_initrds++] = argv[optind];
        }
        if (!uki_version_valid(a->version))
                return log_usage("invalid kernel version '%s'", a->version);
        if (a->output && (a->boot_path || a->image))
                return log_usage("--output= cannot be combined with --boot-path=/--image=");
        return 0;
}

/* Size of an input, checking it is a readable regular file: a missing initrd
 * must fail here, before anything is touched. */
static int input_size(const char *path, uint64_t *ret) {
        _cleanup_close_ int fd = -1;

        fd = open_input(path, 0, 0, ret);
        if (fd < 0)
                return log_errno(fd, "%s", path);
        return 0;
}

/* Collapse runs of whitespace to one space, trim both ends. */
static char *normalize_spaces(const char *s) {
        char *out = xmalloc(strlen(s) + 1), *o = out;
        bool space = false;

        for (; *s; s++) {
                if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
                        space = o != out;
                        continue;
                }
                if (space)
                        *o++ = ' ';
                space = false;
                *o++ = *s;
        }
        *o = 0;
        return out;
}

static bool has_word_prefix(const char *line, const char *prefix) {
        size_t l = strlen(prefix);
        for (const char *p = line; p && *p; ) {
                if (strncmp(p, prefix, l) == 0)
                        return true;
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return false;
}

/* kernel-install's command line: the cmdline file, else /proc/cmdline without
 * the boot loader's BOOT_IMAGE=/initrd=; plus systemd.machine_id= when the
 * entry is named after the machine ID (so the initrd sees a stable ID). */
static int default_cmdline(const char *token, const char *machine_id, char **ret) {
        _cleanup_free_ char *path = NULL, *raw = NULL, *norm = NULL;
        char *out;
        int r;

        path = kernel_conf_path("cmdline", true);
        if (path && access(path, F_OK) == 0) {
                r = read_file_full(path, CMDLINE_FILE_MAX, &raw, NULL);
                if (r < 0)
                        return log_errno(r, "%s: cannot read", path);
                norm = normalize_spaces(raw);
        } else {
                _cleanup_free_ char *all = NULL;
                r = read_file_full("/proc/cmdline", CMDLINE_FILE_MAX, &raw, NULL);
                if (r < 0)
                        return log_errno(r, "/proc/cmdline: cannot read");
                all = normalize_spaces(raw);
                norm = xcalloc(1, strlen(all) + 1);
                for (char *w = strtok(all, " "); w; w = strtok(NULL, " ")) {
                        if (startswith(w, "BOOT_IMAGE=") || startswith(w, "initrd="))
                                continue;
                        if (*norm)
                                strcat(norm, " ");
                        strcat(norm, w);
                }
        }

        if (machine_id && streq(token, machine_id) && !has_word_prefix(norm, "systemd.machine_id="))
                out = xasprintf("%s%ssystemd.machine_id=%s", norm, *norm ? " " : "", machine_id);
        else
                out = TAKE_PTR(norm);
        *ret = out;
        return 0;
}

static int check_free_space(int dir_fd, const char *dir, uint64_t need) {
        struct statvfs sv;
        uint64_t avail;

        if (fstatvfs(dir_fd, &sv) < 0)
                return log_errno(-errno, "%s: cannot query free space", dir);
        if (sv.f_blocks == 0) {
                /* Some FUSE file systems report nothing; do not guess. */
                log_warning("%s: file system does not report free space, not checking", dir);
                return 0;
        }
        if (!MUL_OK((uint64_t) sv.f_bavail, (uint64_t) sv.f_frsize, &avail))
                avail = UINT64_MAX;
        if (avail < need) {
                return log_error("%s: not enough free space: need about %" PRIu64 " KiB, %" PRIu64 " KiB available",
                                 dir, (need + 1023) / 1024, avail / 1024);
        }
        return 0;
}

typedef struct ConfigScan {
        bool has_cmdline;
        uint64_t extra_bytes;   /* sizes of input files the config adds */
        char *stub;             /* [UKI] Stub=, if any */
} ConfigScan;

static void add_file_size(ConfigScan *cs, const char *path) {
        struct stat st;
        /* A missing file is ukit build's error to report; here it is 0. */
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            !ADD_OK(cs->extra_bytes, (uint64_t) st.st_size, &cs->extra_bytes))
                cs->extra_bytes = UINT64_MAX;
}

static int config_scan_cb(void *userdata, const char *section, const char *key, const char *value,
                          unsigned line) {
        ConfigScan *cs = userdata;

        if (!streq(section, "UKI"))
                return 0;
        if (streq(key, "Cmdline"))
                cs->has_cmdline = true;
        else if (streq(key, "Initrd")) {
                _cleanup_free_ char *copy = xstrdup(value);
                char *save = NULL;
                for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                        add_file_size(cs, w);
        } else if (streq(key, "Splash") || streq(key, "DeviceTree") || streq(key, "Microcode") ||
                   streq(key, "PCRPKey"))
                add_file_size(cs, value);
        else if (streq(key, "Stub")) {
                free(cs->stub);
                cs->stub = xstrdup(value);
        }
        return 0;
}

/* What install needs to know of the ukify-format config, read with ukit
 * build's own parser: does it set [UKI] Cmdline= (then that wins over
 * kernel-install's command line; ukify's plugin ignores it, we do not), and
 * which further inputs does it add (for the free-space estimate)? */
static int config_scan(const char *config, ConfigScan *ret) {
        _cleanup_free_ char *text = NULL;
        ConfigScan cs = {};
        size_t n;
        unsigned line = 0;
        int r;

        r = read_file_full(config, BUILD_CONFIG_SIZE_MAX, &text, &n);
        if (r < 0)
                return log_errno(r, "%s: cannot read", config);
        r = build_config_parse(text, n, config_scan_cb, &cs, &line);
        if (r < 0) {
                free(cs.stub);
                if (r == -EBADMSG)
                        return log_error("%s:%u: syntax error", config, line);
                return log_errno(r, "%s", config);
        }
        *ret = cs;
        return 0;
}

/* Run "ukit build" with argv, in this process: the build verb fills a
 * UkiBuildSpec and calls uki_build(). Its messages keep the "ukit build:"
 * prefix. */
static int run_build(int argc, char **argv) {
        const char *verb = program_verb;
        int r;

        optind = 0;     /* a fresh getopt scan */
        program_verb = "build";
        r = verb_build(argc, argv);
        program_verb = verb;
        /* ukit build printed the reason; its output file was never committed. */
        return r == EXIT_SUCCESS ? 0 : r;
}

/* fdopendir() that takes fd over: NULL for fd < 0, and fd is closed when
 * fdopendir() fails. */
static DIR *opendir_fd(int fd) {
        DIR *d;

        if (fd < 0)
                return NULL;
        d = fdopendir(fd);
        if (!d)
                close(fd);
        return d;
}

/* After a successful install: other files of the same token+version (an
 * older "+N" variant, or the name without a counter) would be duplicates. */
static void remove_variants(int dir_fd, const char *keep, const char *token, const char *version) {
        DIR *d = opendir_fd(dup(dir_fd));

        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d)); ) {
                if (streq(de->d_name, keep) || !uki_name_matches(de->d_name, token, version))
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) < 0)
                        log_warning("cannot remove old %s: %s", de->d_name, strerror(errno));
        }
        closedir(d);
}

/* The state of one install, between its steps. */
typedef struct Install {
        InstallArgs a;
        BootRoot boot;
        char *token, *machine_id, *name, *target, *cmdline, *config, *uki_dir, *conf_stub;
        ConfigScan cs;
        int dir_fd;
        uint64_t need;
} Install;

static void install_done(Install *in) {
        boot_root_close(&in->boot);
        free(in->token);
        free(in->machine_id);
        free(in->name);
        free(in->target);
        free(in->cmdline);
        free(in->config);
        free(in->uki_dir);
        free(in->conf_stub);
        if (in->dir_fd >= 0)
                close(in->dir_fd);
}

/* --config=, else uki.conf in the kernel config dirs (if any). */
static int install_config(Install *in) {
        int r;

        if (in->a.config)
                in->config = xstrdup(in->a.config);
        else
                in->config = kernel_conf_path("uki.conf", true);
        if (in->config && access(in->config, R_OK) < 0) {
                if (in->a.config || errno != ENOENT)
                        return log_errno(-errno, "%s", in->config);
                free(in->config);
                in->config = NULL;
        }
        if (in->config) {
                r = config_scan(in->config, &in->cs);
                if (r != 0)
                        return r;
        }
        in->conf_stub = in->cs.stub;
        return 0;
}

/* The space the build needs. Inputs first: nothing on $BOOT is touched if
 * one is missing. */
static int install_need(Install *in) {
        uint64_t need, sz, margin;
        int r;

        r = input_size(in->a.kernel, &sz);
        if (r != 0)
                return r;
        need = sz;
        for (size_t i = 0; i < in->a.n_initrds; i++) {
                r = input_size(in->a.initrds[i], &sz);
                if (r != 0)
                        return r;
                if (!ADD_OK(need, sz, &need))
                        return log_error("%s: inputs too large", in->a.initrds[i]);
        }
        const char *stub = in->a.stub ?: in->conf_stub ?: stub_default_path(false);
        r = input_size(stub, &sz);
        if (r != 0)
                return r;
        if (!ADD_OK(need, sz, &need) || !ADD_OK(need, in->cs.extra_bytes, &need))
                return log_error("inputs too large");
        if (in->a.devicetree) {
                r = input_size(in->a.devicetree, &sz);
                if (r != 0)
                        return r;
                if (!ADD_OK(need, sz, &need))
                        return log_error("inputs too large");
        }
        margin = need / 100 * SPACE_MARGIN_PERCENT + SPACE_MARGIN_FIXED;
        if (!ADD_OK(need, margin, &need))
                return log_error("inputs too large");
        in->need = need;
        return 0;
}

/* --output=FILE: its directory must have the space. */
static int install_target_output(Install *in) {
        _cleanup_free_ char *copy = xstrdup(in->a.output);
        char *slash = strrchr(copy, '/');
        const char *dir = slash ? (slash == copy ? "/" : (*slash = 0, copy)) : ".";
        int r;

        in->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (in->dir_fd < 0)
                return log_errno(-errno, "%s", dir);
        r = check_free_space(in->dir_fd, dir, in->need);
        if (r != 0)
                return r;
        in->target = xstrdup(in->a.output);
        return 0;
}

/* The boot counter: --tries=, else /etc/kernel/tries. */
static int install_tries(Install *in, int *ret) {
        if (in->a.tries == -1) {
                _cleanup_free_ char *tp = kernel_conf_path("tries", false);
                unsigned t;
                if (tp) {
                        int r = uki_tries_read(tp, &t);
                        if (r == -EINVAL)
                                return log_error("%s: does not contain a number 0..%u", tp, UKI_TRIES_MAX);
                        if (r < 0 && r != -ENOENT)
                                return log_errno(r, "%s: cannot read", tp);
                        if (r == 0)
                                in->a.tries = (int) t;
                }
        }
        *ret = in->a.tries >= 0 ? in->a.tries : -1;
        return 0;
}

/* $BOOT/EFI/Linux/NAME, under the boot lock, with the space checked. */
static int install_target_boot(Install *in) {
        int64_t lock_timeout_s;
        int r, tries = -1;

        r = install_tries(in, &tries);
        if (r != 0)
                return r;
        r = boot_root_usage(in->a.boot_path, in->a.image, &lock_timeout_s);
        if (r != 0)
                return r;
        r = boot_root_open(in->a.boot_path, in->a.image, false, lock_timeout_s, &in->boot);
        if (r < 0)
                return EXIT_FAILURE;
        in->uki_dir = xasprintf("%s/EFI/Linux", in->boot.path);
        r = open_uki_dir(in->boot.path, true, &in->dir_fd);
        if (r == -EXDEV)
                return log_error("%s: EFI/Linux is a symlink or on another file system than $BOOT, refusing",
                                 in->boot.path);
        if (r < 0)
                return log_errno(r, "%s: cannot create", in->uki_dir);
        /* One install or remove at a time: two installs of a kernel under
         * different names (+N or not) would each remove the other's UKI in
         * remove_variants(). Held until we exit. */
        r = boot_lock(in->dir_fd, in->uki_dir, LOCK_EX, lock_timeout_s);
        if (r < 0)
                return EXIT_FAILURE;
        /* Under the lock, a temporary nobody holds is an interrupted run's:
         * its space counts as free. */
        int64_t freed = atomic_file_sweep(in->dir_fd);
        if (freed > 0)
                log_info("%s: removed %" PRIi64 " KiB of temporary files an interrupted run left behind",
                         in->uki_dir, (freed + 1023) / 1024);
        r = check_free_space(in->dir_fd, in->uki_dir, in->need);
        if (r != 0)
                return r;
        r = uki_name_format(in->token, in->a.version, tries, &in->name);
        if (r < 0)
                return log_errno(r, "cannot name the UKI for %s", in->a.version);
        in->target = xasprintf("%s/%s", in->uki_dir, in->name);
        return 0;
}

/* ukit build's argv: fixed options + initrds; then the build. */
static int install_build(Install *in) {
        const InstallArgs *a = &in->a;
        char *bargv[16 + INITRDS_MAX];
        _cleanup_free_ char *o_linux = xasprintf("--linux=%s", a->kernel);
        _cleanup_free_ char *o_uname = xasprintf("--uname=%s", a->version);
        /* --cmdline= is TEXT|@FILE and passed as given; a computed command
         * line starting with '@' must not be taken for a file name. */
        _cleanup_free_ char *o_cmdline = in->cmdline ?
                xasprintf("--cmdline=%s%s", !a->cmdline && in->cmdline[0] == '@' ? " " : "", in->cmdline) : NULL;
        _cleanup_free_ char *o_output = NULL, *o_config = NULL, *o_stub = NULL, *o_osrel = NULL, *o_dtb = NULL;
        char *o_initrd[INITRDS_MAX] = {};
        size_t k = 0;
        int r;

        bargv[k++] = (char *) "build";
        bargv[k++] = o_linux;
        for (size_t i = 0; i < a->n_initrds; i++)
                bargv[k++] = o_initrd[i] = xasprintf("--initrd=%s", a->initrds[i]);
        bargv[k++] = o_uname;
        if (o_cmdline)
                bargv[k++] = o_cmdline;
        if (in->config)
                bargv[k++] = o_config = xasprintf("--config=%s", in->config);
        if (a->stub)
                bargv[k++] = o_stub = xasprintf("--stub=%s", a->stub);
        if (a->os_release)
                bargv[k++] = o_osrel = xasprintf("--os-release=%s", a->os_release);
        if (a->devicetree)
                bargv[k++] = o_dtb = xasprintf("--devicetree=%s", a->devicetree);
        bargv[k++] = o_output = xasprintf("--output=%s", in->target);
        if (arg_quiet)
                bargv[k++] = (char *) "--quiet";       /* no "Wrote FILE" either */
        bargv[k] = NULL;

        r = run_build((int) k, bargv);
        for (size_t i = 0; i < a->n_initrds; i++)
                free(o_initrd[i]);
        return r;
}

/* After the build into $BOOT: sync, check, remove the older variants. */
static int install_finish(Install *in) {
        struct stat st;

        if (fsync(in->dir_fd) < 0)
                return log_errno(-errno, "%s: cannot sync", in->uki_dir);
        /* It must be in the directory we checked, not elsewhere. */
        if (fstatat(in->dir_fd, in->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return log_error("%s: not found in %s after the build", in->name, in->uki_dir);
        remove_variants(in->dir_fd, in->name, in->token, in->a.version);
        if (in->a.image)
                log_info("Installed EFI/Linux/%s in partition %zu (%s) of %s", in->name,
                         in->boot.image.part.partno + 1, boot_partition_kind_name(in->boot.kind), in->a.image);
        else
                log_info("Installed %s (%s)", in->target, boot_partition_kind_name(in->boot.kind));
        return 0;
}

int verb_install(int argc, char **argv) {
        _cleanup_(install_done) Install in = { .boot = BOOT_ROOT_INIT, .dir_fd = -1 };
        int r;

        r = parse_install_argv(argc, argv, &in.a);
        if (r < 0)
                return EXIT_SUCCESS;
        if (r > 0)
                return r;
        r = install_config(&in);
        if (r != 0)
                return r;
        r = install_need(&in);
        if (r != 0)
                return r;
        r = entry_token_get(in.a.entry_token, &in.token, &in.machine_id);
        if (r < 0)
                return EXIT_FAILURE;

        bool conf_cmdline = in.cs.has_cmdline && !in.a.cmdline;
        if (in.a.cmdline)
                in.cmdline = xstrdup(in.a.cmdline);
        else if (!conf_cmdline) {
                r = default_cmdline(in.token, in.machine_id, &in.cmdline);
                if (r != 0)
                        return r;
        }

        r = in.a.output ? install_target_output(&in) : install_target_boot(&in);
        if (r != 0)
                return r;
        r = install_build(&in);
        if (r != 0)
                return r;
        /* (--output: ukit build already said "Wrote FILE".) */
        return in.a.output ? EXIT_SUCCESS : install_finish(&in) ?: EXIT_SUCCESS;
}

/* ---- remove ---- */

static void remove_help(FILE *f) {
        fprintf(f,
                "Usage: ukit remove [OPTIONS...] KERNEL-VERSION\n"
                "\n"
                "Remove the UKIs of KERNEL-VERSION from $BOOT/EFI/Linux/ (with and\n"
                "without boot counter) and their .extra.d/ directory.\n"
                "\n"
                "Options:\n"
                "  -h --help                 show this help\n"
                "     --boot-path=DIR        $BOOT directory (default: discovered as for install)\n"
                "     --image=DISK           operate on the XBOOTLDR (else ESP) partition of a GPT disk image\n"
                "     --entry-token=SPEC     machine-id, os-id, os-image-id, auto (default) or literal:TOKEN\n"
                "  -q --quiet                do not report what was removed\n"
                "\n"
                "See ukit-install(8).\n");
}

/* Empty and remove DIR/NAME.efi.extra.d (add-ons belong to the UKI). Only
 * files directly inside are removed; anything else makes rmdir fail, which
 * is reported. */
static void remove_extra_dir(int dir_fd, const char *name) {
        _cleanup_free_ char *extra = xasprintf("%s.extra.d", name);
        DIR *d = opendir_fd(openat(dir_fd, extra, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));

        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d)); )
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        if (unlinkat(dir_fd, extra, AT_REMOVEDIR) < 0)
                log_warning("cannot remove %s: %s", extra, strerror(errno));
}

int verb_remove(int argc, char **argv) {
        enum { ARG_BOOT_PATH = 0x100, ARG_IMAGE, ARG_ENTRY_TOKEN };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "quiet",       no_argument,       NULL, 'q' },
                { "boot-path",   required_argument, NULL, ARG_BOOT_PATH },
                { "image",       required_argument, NULL, ARG_IMAGE },
                { "entry-token", required_argument, NULL, ARG_ENTRY_TOKEN },
                {}
        };
        _cleanup_(boot_root_closep) BootRoot boot = BOOT_ROOT_INIT;
        _cleanup_free_ char *token = NULL, *uki_dir = NULL, *base = NULL;
        const char *boot_path = NULL, *image = NULL, *spec = NULL, *version;
        _cleanup_close_ int dir_fd = -1;
        unsigned removed = 0;
        int64_t lock_timeout_s;
        DIR *d;
        int c, r, fd;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":hq", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        remove_help(stdout);
                        return EXIT_SUCCESS;
                case 'q':
                        arg_quiet = true;
                        break;
                case ARG_BOOT_PATH:
                        boot_path = optarg;
                        break;
                case ARG_IMAGE:
                        image = optarg;
                        break;
                case ARG_ENTRY_TOKEN:
                        spec = optarg;
                        break;
                default:
                        return log_getopt_error(c, argv);
                }
        }
        if (argc - optind != 1)
                return log_usage("expected KERNEL-VERSION");
        version = argv[optind];
        if (!uki_version_valid(version))
                return log_usage("invalid kernel version '%s'", version);

        r = entry_token_get(spec, &token, NULL);
        if (r < 0)
                return EXIT_FAILURE;
        r = boot_root_usage(boot_path, image, &lock_timeout_s);
        if (r != 0)
                return r;
        r = boot_root_open(boot_path, image, false, lock_timeout_s, &boot);
        if (r < 0)
                return EXIT_FAILURE;
        uki_dir = xasprintf("%s/EFI/Linux", boot.path);
        r = open_uki_dir(boot.path, false, &dir_fd);
        if (r == -ENOENT)
                return EXIT_SUCCESS;    /* nothing installed: removing is idempotent */
        if (r == -EXDEV)
                return log_error("%s: EFI/Linux is a symlink or on another file system than $BOOT, refusing",
                                 boot.path);
        if (r < 0)
                return log_errno(r, "%s", uki_dir);
        r = boot_lock(dir_fd, uki_dir, LOCK_EX, lock_timeout_s);
        if (r < 0)
                return EXIT_FAILURE;

        fd = dup(dir_fd);
        if (fd < 0)
                return log_errno(-errno, "%s", uki_dir);
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return log_errno(-errno, "%s", uki_dir);
        }
        r = EXIT_SUCCESS;
        for (struct dirent *de; (de = readdir(d)); ) {
                if (!uki_name_matches(de->d_name, token, version))
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) < 0) {
                        r = log_errno(-errno, "%s/%s: cannot remove", uki_dir, de->d_name);
                        continue;
                }
                log_info("Removed %s/%s", image ? "EFI/Linux" : uki_dir, de->d_name);
                removed++;
        }
        closedir(d);
        base = xasprintf("%s-%s.efi", token, version);
        remove_extra_dir(dir_fd, base);
        if (fsync(dir_fd) < 0 && r == EXIT_SUCCESS)
                r = log_errno(-errno, "%s: cannot sync", uki_dir);
        if (removed == 0)
                log_info("No UKI for %s-%s in %s", token, version, uki_dir);
        return r;
}
