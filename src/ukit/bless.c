/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit bless: systemd-bless-boot's job. The boot loader tells the OS which
 * boot-counted entry it started in the EFI variable LoaderBootCountPath
 * (the file's path on the boot partition, "\EFI\Linux\foo+2-1.efi"); a good
 * boot drops the "+LEFT-DONE" counter from the name, a bad one sets LEFT to
 * 0, indeterminate puts the counting name back. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "util.h"
#include "verbs.h"

#define BLESS_VAR "/sys/firmware/efi/efivars/LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define BLESS_VAR_MAX 4096u
#define BLESS_NAME_MAX 255u

typedef struct BlessNames {
        char dir[4096];
        char counting[BLESS_NAME_MAX + 1], good[BLESS_NAME_MAX + 1], bad[BLESS_NAME_MAX + 1];
        unsigned long left, done;
} BlessNames;

static void bless_help(FILE *f) {
        fprintf(f,
                "Usage: ukit bless [OPTIONS...] good|bad|indeterminate|status\n"
                "\n"
                "Mark the boot-counted entry that was booted as good or bad, as systemd-bless-boot.\n"
                "\n"
                "Verbs:\n"
                "  good          remove the boot counter (the entry stays)\n"
                "  bad           set the tries left to 0 (the boot loader tries it last)\n"
                "  indeterminate put the counting name back\n"
                "  status        print good, bad, indeterminate or clean\n"
                "\n"
                "Options:\n"
                "  -h --help                 show this help\n"
                "     --esp-path=DIR         the ESP (default: /efi, /boot, /boot/efi)\n"
                "     --boot-path=DIR        the XBOOTLDR partition (default: /boot)\n"
                "     --root=DIR             look for the ESP and XBOOTLDR under DIR\n"
                "     --path=PATH            the entry's path on its partition, instead of LoaderBootCountPath\n"
                "\n"
                "See ukit-bless(8).\n");
}

/* LoaderBootCountPath: 4 bytes of attributes, then UTF-16LE (ASCII only here). */
static int read_count_path(char *buf, size_t size) {
        _cleanup_free_ char *raw = NULL;
        size_t n, k = 0;
        int r = read_file_full(BLESS_VAR, BLESS_VAR_MAX, &raw, &n);

        if (r < 0)
                return r;
        for (size_t i = 4; i + 1 < n; i += 2) {
                if (raw[i + 1] != 0 || (unsigned char) raw[i] >= 0x80)
                        return -EBADMSG;
                if (raw[i] == 0)
                        break;
                if (k + 1 >= size)
                        return -E2BIG;
                buf[k++] = raw[i];
        }
        buf[k] = 0;
        return k > 0 ? 0 : -EBADMSG;
}

/* Split "stem+LEFT[-DONE].suffix" into the three names. */
static int make_names(const char *name, BlessNames *b) {
        const char *dot = strrchr(name, '.'), *plus, *dash;
        size_t stem;

        if (!dot || strlen(name) > BLESS_NAME_MAX)
                return -EINVAL;
        plus = memrchr(name, '+', dot - name);
        if (!plus)
                return -ENOENT;
        dash = memchr(plus, '-', dot - plus);
        if (!parse_digits_n(plus + 1, (dash ? dash : dot) - plus - 1, &b->left))
                return -ENOENT;
        b->done = 0;
        if (dash && !parse_digits_n(dash + 1, dot - dash - 1, &b->done))
                return -ENOENT;
        stem = plus - name;
        snprintf(b->counting, sizeof(b->counting), "%s", name);
        snprintf(b->good, sizeof(b->good), "%.*s%s", (int) stem, name, dot);
        if (b->done > 0)
                snprintf(b->bad, sizeof(b->bad), "%.*s+0-%lu%s", (int) stem, name, b->done, dot);
        else
                snprintf(b->bad, sizeof(b->bad), "%.*s+0%s", (int) stem, name, dot);
        return 0;
}

static bool exists_at(const char *dir, const char *name) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        struct stat st;
        return lstat(p, &st) >= 0 && S_ISREG(st.st_mode);
}

/* Find the partition holding one of the names. */
static int locate(const char *root, const char *esp, const char *boot, const char *rel, BlessNames *b) {
        const char *cands[] = { esp, boot, "/efi", "/boot", "/boot/efi" };
        const char *slash = strrchr(rel, '/');
        _cleanup_free_ char *reldir = strndup(rel, slash - rel);

        if (!reldir)
                return -ENOMEM;

        for (size_t i = 0; i < ELEMENTSOF(cands); i++) {
                if (!cands[i] || ((esp || boot) && i >= 2))
                        continue;
                snprintf(b->dir, sizeof(b->dir), "%s%s%s", root && i >= 2 ? root : "", cands[i], reldir);
                if (exists_at(b->dir, b->counting) || exists_at(b->dir, b->good) || exists_at(b->dir, b->bad))
                        return 0;
        }
        return -ENOENT;
}

static int rename_entry(const BlessNames *b, const char *from, const char *to) {
        _cleanup_free_ char *f = xasprintf("%s/%s", b->dir, from), *t = xasprintf("%s/%s", b->dir, to);
        _cleanup_close_ int dfd = -1;

        if (renameat2(AT_FDCWD, f, AT_FDCWD, t, RENAME_NOREPLACE) < 0 &&
            (errno != EINVAL || rename(f, t) < 0))
                return log_errno(-errno, "cannot rename %s to %s", f, t);
        dfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        log_info("Renamed '%s' to '%s'.", f, t);
        return EXIT_SUCCESS;
}

static int act(const char *verb, const BlessNames *b) {
        bool c = exists_at(b->dir, b->counting), g = exists_at(b->dir, b->good), bad = exists_at(b->dir, b->bad);

        if (streq(verb, "status")) {
                puts(c ? (b->left == 0 ? "bad" : "indeterminate") : g ? "good" : "bad");
                return EXIT_SUCCESS;
        }
        if (streq(verb, "good"))
                return g ? (log_info("already marked good"), EXIT_SUCCESS)
                         : rename_entry(b, c ? b->counting : b->bad, b->good);
        if (streq(verb, "bad"))
                return bad && !c ? (log_info("already marked bad"), EXIT_SUCCESS)
                                 : rename_entry(b, c ? b->counting : b->good, b->bad);
        /* indeterminate */
        if (c)
                return log_info("already indeterminate"), EXIT_SUCCESS;
        return rename_entry(b, g ? b->good : b->bad, b->counting);
}

int verb_bless(int argc, char **argv) {
        enum { ARG_ESP = 0x100, ARG_BOOT, ARG_ROOT, ARG_PATH };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'      },
                { "esp-path",  required_argument, NULL, ARG_ESP  },
                { "boot-path", required_argument, NULL, ARG_BOOT },
                { "root",      required_argument, NULL, ARG_ROOT },
                { "path",      required_argument, NULL, ARG_PATH },
                {}
        };
        const char *esp = NULL, *boot = NULL, *root = NULL, *path = NULL, *verb;
        char var[BLESS_VAR_MAX];
        BlessNames b = {};
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (c) {
                case 'h': bless_help(stdout); return EXIT_SUCCESS;
                case ARG_ESP: esp = optarg; break;
                case ARG_BOOT: boot = optarg; break;
                case ARG_ROOT: root = optarg; break;
                case ARG_PATH: path = optarg; break;
                default: return log_getopt_error(c, argv);
                }
        if (optind + 1 != argc)
                return log_usage("expected one verb: good, bad, indeterminate or status");
        verb = argv[optind];
        if (!streq(verb, "good") && !streq(verb, "bad") && !streq(verb, "indeterminate") && !streq(verb, "status"))
                return log_usage("unknown verb '%s'", verb);
        if (!path) {
                r = read_count_path(var, sizeof(var));
                if (r == -ENOENT) {
                        if (streq(verb, "status")) {
                                puts("clean");
                                return EXIT_SUCCESS;
                        }
                        return log_error("LoaderBootCountPath is not set: the boot loader did not count this boot");
                }
                if (r < 0)
                        return log_errno(r, "%s: cannot read", BLESS_VAR);
                path = var;
        }
        {
                _cleanup_free_ char *rel = xstrdup(path);
                const char *name;
                for (char *s = rel; *s; s++)
                        if (*s == '\\')
                                *s = '/';
                if (rel[0] != '/' || strstr(rel, "/../") || !(name = strrchr(rel, '/') + 1)[0])
                        return log_error("%s: not an absolute path on the boot partition", path);
                r = make_names(name, &b);
                if (r == -ENOENT)
                        return log_error("%s: the name has no boot counter", path);
                if (r < 0)
                        return log_error("%s: not a boot entry file name", path);
                if (locate(root, esp, boot, rel, &b) < 0)
                        return log_error("%s: not found on the ESP or XBOOTLDR partition", path);
        }
        return act(verb, &b);
}
