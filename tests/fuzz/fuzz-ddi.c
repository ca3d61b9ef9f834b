/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A whole extension DDI, as `ukit sysext merge` takes it apart before
 * mounting: ddi_dissect() through an fd (partition role and architecture
 * choice, GPT/verity superblock/signature partition cross-checks), then
 * ext_verity_check_ddi() (root hash from the signature partition or the
 * partition UUIDs, the signature against a verity.d certificate, and
 * verity_verify() over the hash tree with whatever superblock parameters the
 * image carries).
 *
 * The input is the disk image, raw or in the sparse form of sparse.h (the
 * seeds: DDIs made by systemd-repart 252 and `ukit sysext build`, with the
 * certificate in data/verity-cert.crt). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ddi.h"
#include "fileio.h"
#include "fuzz-tmpdir.h"
#include "sparse.h"
#include "sysext-merge.h"
#include "sysext-verity.h"
#include "verity-activate.h"
#include "verity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz-verity-cert.h"

/* Hash trees over more data than this are skipped (speed, not safety). */
#define VERIFY_DATA_MAX (2u * 1024u * 1024u)

static ExtContext ctx;
static bool ctx_ready;

static void check(bool b) {
        if (!b)
                abort();
}


/* A root with etc/verity.d/fuzz.crt, user-space verity only. */
static void init_ctx(void) {
        char dir[128];
        check(fuzz_tmpdir("ddi", dir, sizeof(dir)) == 0);
        char path[256];
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
        ctx_ready = true;
}

/* The disk image in a memfd; -1 if a sparse input is malformed. */
static int expand(const uint8_t *data, size_t size) {
        int fd = memfd_create("fuzz-ddi", MFD_CLOEXEC);
        check(fd >= 0);
        if (size < 16 || memcmp(data, SPARSE_MAGIC, 8) != 0) {
                check(write_full(fd, data, size) == 0);
                return fd;
        }
        uint64_t total = sparse_le(data + 8, 8);
        if (total > SPARSE_SIZE_MAX || ftruncate(fd, (off_t) total) < 0)
                goto bad;
        for (size_t i = 16; i < size;) {
                if (size - i < 12)
                        goto bad;
                uint64_t off = sparse_le(data + i, 8), n = sparse_le(data + i + 8, 4);
                i += 12;
                if (n > size - i || off > total || n > total - off)
                        goto bad;
                check(pwrite_full(fd, data + i, (size_t) n, off) == 0);
                i += (size_t) n;
        }
        return fd;
bad:
        close(fd);
        return -1;
}

static void check_image(int fd, const DdiImage *d, uint64_t disk) {
        for (int r = 0; r < _DDI_ROLE_MAX; r++) {
                const DdiPart *p = &d->part[r];
                if (p->found)
                        check(p->offset <= disk && p->size <= disk - p->offset);
        }
        check(d->part[DDI_DATA].found);
        if (!d->has_verity)
                return;
        uint64_t need;
        check(verity_hash_size(&d->verity, &need) == 0 && need <= d->part[DDI_VERITY].size);
        check(d->verity.data_blocks * d->verity.data_block_size <= d->part[DDI_DATA].size);
        if (d->part[DDI_DATA].size > VERIFY_DATA_MAX)
                return;

        /* The data partition alone, as the loop device would show it. */
        int data_fd = memfd_create("fuzz-ddi-data", MFD_CLOEXEC);
        check(data_fd >= 0);
        size_t n = (size_t) d->part[DDI_DATA].size;
        uint8_t *buf = malloc(n ? n : 1);
        check(buf != NULL);
        check(pread_full(fd, buf, n, d->part[DDI_DATA].offset) == 0);
        check(write_full(data_fd, buf, n) == 0);
        free(buf);

        ExtImageResult res = {};
        ExtImage img = { .name = (char *) "fuzz", .path = (char *) "/fuzz.raw", .result = &res };
        ExtVerity v = EXT_VERITY_INIT;
        int r = ext_verity_check_ddi(&ctx, &img, data_fd, fd, d, &v);
        if (getenv("UKIT_FUZZ_DEBUG"))
                fprintf(stderr, "%s %s: %d protection=%s trust=%s %s\n", d->arch, d->usr ? "usr" : "root", r,
                        res.protection, res.trust, res.error.what);
        if (r < 0)
                check(res.error.what[0] != 0 && res.error.code == r);
        else if (v.present)
                check(v.root_size == (size_t) verity_digest_size(&d->verity) && v.hash_fd >= 0 &&
                      v.hash_off == d->part[DDI_VERITY].offset);
        ext_verity_done(&v);
        close(data_fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const arches[] = { "x86-64", "arm64" };

        if (!ctx_ready)
                init_ctx();
        int fd = expand(data, size);
        if (fd < 0)
                return 0;
        uint64_t disk;
        check(fd_get_size(fd, &disk) == 0);
        for (size_t a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
                UkitError err = UKIT_ERROR_INIT;
                DdiImage d = {};
                if (ddi_dissect(fd, arches[a], &d, &err) < 0)
                        continue;
                check(d.arch == arches[a]);
                check_image(fd, &d, disk);
                ddi_image_done(&d);
        }
        close(fd);
        return 0;
}
