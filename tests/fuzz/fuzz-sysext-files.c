/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files `ukit sysext merge` reads from trees it does not own, through
 * the real file system: the host's os-release under --root
 * (ext_context_load_host), the release file inside an image with its
 * fallbacks and the user.extension-release.strict xattr (read_release), and
 * then the release-file check against the host.
 *
 * The input is parts separated by a line "--8<--":
 *   0  "sysext NAME" or "confext NAME" (the image name)
 *   1  the host's os-release (usr/lib/os-release if the line 0 says "usrlib",
 *      else etc/os-release)
 *   then per release-directory entry, three parts:
 *      file name (a leading '@' makes a symlink to the content, '/' a
 *      directory, '|' a FIFO when $UKIT_FUZZ_FIFO=1), the xattr value ("" for
 *      none), the content.
 * FIFOs are opt-in until read_release() opens with O_NONBLOCK (issue 20 R2):
 * before that a FIFO is a hang, found within seconds.
 * Files are created under a fresh directory in /dev/shm per input. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "extension-release.h"
#include "fileio.h"
#include "fuzz-tmpdir.h"
#include "sysext-image.h"
#include "sysext-merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n--8<--\n"
#define PARTS_MAX 32

static void check(bool b) {
        if (!b)
                abort();
}

/* "name" of at most 255 bytes, no '/' or NUL: a usable file name, or NULL. */
static char *file_name(const char *s, size_t n) {
        if (n == 0 || n > 255 || memchr(s, '/', n) || memchr(s, 0, n) || (n <= 2 && s[0] == '.'))
                return NULL;
        return strndup(s, n);
}

static void write_at(int dfd, const char *name, const char *s, size_t n) {
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return;
        check(write_full(fd, s, n) == 0);
        close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p[PARTS_MAX];
        size_t n[PARTS_MAX], k = 0;
        const char *s = (const char *) data, *end = s + size;

        while (k < PARTS_MAX) {
                const char *e = memmem(s, (size_t) (end - s), SEP, strlen(SEP));
                p[k] = s;
                n[k++] = e ? (size_t) (e - s) : (size_t) (end - s);
                if (!e)
                        break;
                s = e + strlen(SEP);
        }
        if (k < 2)
                return 0;

        /* line 0: class and image name */
        char head[300] = "";
        memcpy(head, p[0], MIN(n[0], sizeof(head) - 1));
        ExtClass cls = strncmp(head, "confext", 7) == 0 ? EXT_CONFEXT : EXT_SYSEXT;
        const char *sp = strchr(head, ' ');
        char name[256] = "fuzz";
        if (sp && sp[1]) {
                snprintf(name, sizeof(name), "%s", sp + 1);
                name[strcspn(name, " \n")] = 0;
        }
        if (!ext_image_name_valid(name))
                return 0;

        static char base[128];
        char root[160];
        if (!base[0])
                check(fuzz_tmpdir("sysext-files", base, sizeof(base)) == 0);
        snprintf(root, sizeof(root), "%s/root", base);
        check(mkdir(root, 0755) == 0);
        int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        check(rootfd >= 0);
        bool usrlib = strstr(head, "usrlib") != NULL;
        check(mkdirat(rootfd, "etc", 0755) == 0);
        check(mkdirat(rootfd, "usr", 0755) == 0 && mkdirat(rootfd, "usr/lib", 0755) == 0);
        check(mkdirat(rootfd, "etc/extension-release.d", 0755) == 0);
        check(mkdirat(rootfd, "usr/lib/extension-release.d", 0755) == 0);
        write_at(rootfd, usrlib ? "usr/lib/os-release" : "etc/os-release", p[1], n[1]);

        int dfd = openat(rootfd, ext_release_dir(cls), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        check(dfd >= 0);
        for (size_t i = 2; i + 2 < k + 1 && i < k; i += 3) {
                const char *fn = p[i];
                size_t fl = n[i];
                char kind = fl > 0 && strchr("|@/", fn[0]) ? fn[0] : 0;
                char *f = file_name(fn + (kind ? 1 : 0), fl - (kind ? 1 : 0));
                if (!f)
                        continue;
                const char *content = i + 2 < k ? p[i + 2] : "";
                size_t clen = i + 2 < k ? n[i + 2] : 0;
                if (kind == '|') {
                        static int fifo = -1;
                        if (fifo < 0)
                                fifo = getenv("UKIT_FUZZ_FIFO") && strcmp(getenv("UKIT_FUZZ_FIFO"), "1") == 0;
                        if (fifo)
                                (void) mkfifoat(dfd, f, 0644);
                } else if (kind == '/')
                        (void) mkdirat(dfd, f, 0755);
                else if (kind == '@') {
                        char *target = strndup(content, MIN(clen, (size_t) 4000));
                        if (target && !memchr(content, 0, MIN(clen, (size_t) 4000)))
                                (void) symlinkat(target, dfd, f);
                        free(target);
                } else
                        write_at(dfd, f, content, clen);
                if (i + 1 < k && n[i + 1] > 0 && kind != '@') {
                        int fd = openat(dfd, f, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
                        if (fd >= 0) {
                                (void) fsetxattr(fd, "user.extension-release.strict", p[i + 1], MIN(n[i + 1], (size_t) 64), 0);
                                close(fd);
                        }
                }
                free(f);
        }
        close(dfd);

        ExtContext ctx;
        check(ext_context_init(&ctx, cls, root) == 0);
        int r = ext_context_load_host(&ctx);
        check(r == 0 || r == -EBADMSG || r == -ENOMSG || r == -ENOENT || r == -EFBIG || r == -EINVAL);

        ExtImageResult res = {};
        ExtImage img = { .name = name, .path = name, .result = &res };
        char *text = NULL;
        size_t tn = 0;
        r = ext_image_read_release(&ctx, &img, rootfd, &text, &tn);
        if (getenv("UKIT_FUZZ_DEBUG"))
                fprintf(stderr, "host id=%s; release: %d %s\n", ctx.host.id, r, text ? "found" : "none");
        if (r == 0 && text) {
                UkitError why = UKIT_ERROR_INIT;
                check(strlen(text) <= tn);
                int v = extension_release_validate(cls, name, text, tn, &ctx.host, &why);
                if (getenv("UKIT_FUZZ_DEBUG"))
                        fprintf(stderr, "validate: %d %s\n", v, why.what);
                check(v == 0 || v == -EPERM);
                if (v < 0)
                        check(why.what[0] != 0 && !strchr(why.what, '\n'));
        }
        free(text);
        ext_context_done(&ctx);
        close(rootfd);
        check(fuzz_tmpdir_rm(root) == 0);
        return 0;
}
