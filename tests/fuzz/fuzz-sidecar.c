/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bare file system image with systemd's sidecar files, as `ukit sysext
 * merge` reads them (ext_verity_check_sidecar): NAME.verity (a hash device
 * with superblock, whose parameters come from the file), NAME.roothash (hex
 * text) and NAME.roothash.p7s (DER PKCS#7, checked against verity.d), then
 * the whole hash tree.
 *
 * The input is parts separated by a line "--8<--": the data image, the
 * .verity file, the .roothash file and, if there is a fourth part, the
 * .roothash.p7s file. Seeds: veritysetup format + openssl smime, with the
 * certificate of data/verity-cert.crt in verity.d. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "fuzz-tmpdir.h"
#include "sysext-merge.h"
#include "sysext-verity.h"
#include "verity-activate.h"
#include "verity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz-verity-cert.h"

#define SEP "\n--8<--\n"

static ExtContext ctx;
static char dir[64];

static void check(bool b) {
        if (!b)
                abort();
}


static void init(void) {
        char path[128];
        check(fuzz_tmpdir("sidecar", dir, sizeof(dir)) == 0);
        snprintf(path, sizeof(path), "%s/etc", dir);
        check(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/etc/verity.d", dir);
        check(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/etc/verity.d/fuzz.crt", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        check(fd >= 0);
        check(write_full(fd, fuzz_verity_cert, sizeof(fuzz_verity_cert)) == 0);
        close(fd);
        check(ext_context_init(&ctx, EXT_SYSEXT, dir) == 0);
        ctx.verity_mode = VERITY_MODE_USERSPACE;
}

static void put(const char *name, const char *s, size_t n) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (!s) {
                (void) unlink(path);
                return;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        check(fd >= 0);
        check(write_full(fd, s, n) == 0);
        close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p[4] = {};
        size_t n[4] = {}, k = 0;
        const char *s = (const char *) data, *end = s + size;

        if (!dir[0])
                init();
        while (k < 4) {
                const char *e = k < 3 ? memmem(s, (size_t) (end - s), SEP, strlen(SEP)) : NULL;
                p[k] = s;
                n[k++] = e ? (size_t) (e - s) : (size_t) (end - s);
                if (!e)
                        break;
                s = e + strlen(SEP);
        }
        if (k < 2)
                return 0;

        int data_fd = memfd_create("fuzz-sidecar-data", MFD_CLOEXEC);
        check(data_fd >= 0);
        check(write_full(data_fd, p[0], n[0]) == 0);
        put("img.verity", p[1], n[1]);
        put("img.roothash", p[2], n[2]);
        put("img.roothash.p7s", p[3], n[3]);

        char path[128];
        snprintf(path, sizeof(path), "%s/img.raw", dir);
        ExtImageResult res = {};
        ExtImage img = { .name = (char *) "img", .path = path, .result = &res };
        ExtVerity v = EXT_VERITY_INIT;
        int r = ext_verity_check_sidecar(&ctx, &img, data_fd, n[0], &v);
        if (getenv("UKIT_FUZZ_DEBUG"))
                fprintf(stderr, "%d protection=%s trust=%s %s\n", r, res.protection, res.trust, res.error.what);
        if (r < 0)
                check(res.error.what[0] != 0 && !strchr(res.error.what, '\n') && res.error.code == r);
        else if (r > 0)
                check(v.present && v.hash_fd >= 0 && v.root_size > 0);
        ext_verity_done(&v);
        close(data_fd);
        return 0;
}
