/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uki_build(): sections, layout, the write pass and the commit (see
 * uki-build.h); signing in uki-build-sign.c, measuring in uki-build-pcr.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "uki-build-private.h"
#include "util.h"

int uki_build_fail(UkiBuild *b, int r, const char *path, const char *fmt, ...) {
        char what[sizeof(b->err->what)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        ukit_error(b->err, r, "%s", what);
        return ukit_error_where(b->err, r, path, UKIT_ERROR_NO_OFFSET);
}

int uki_build_fail_errno(UkiBuild *b, int r, const char *path, const char *what) {
        return uki_build_fail(b, r, path, "%s: %s", what, input_strerror(r));
}

int uki_build_insert(UkiBuild *b, size_t at, const char *name, const PeSource *src) {
        PeNewSection *v = reallocarray(b->news, b->n_news + 1, sizeof(PeNewSection));
        if (!v)
                return -ENOMEM;
        b->news = v;
        const char **p = reallocarray(b->paths, b->n_news + 1, sizeof(char *));
        if (!p)
                return -ENOMEM;
        b->paths = p;
        memmove(&v[at + 1], &v[at], (b->n_news - at) * sizeof(PeNewSection));
        memmove(&p[at + 1], &p[at], (b->n_news - at) * sizeof(char *));
        b->n_news++;
        v[at] = (PeNewSection) { .characteristics = PE_SECTION_FLAGS_DATA, .sources = src, .n_sources = 1 };
        snprintf(v[at].name, sizeof(v[at].name), "%s", name);
        p[at] = NULL;
        return 0;
}

ssize_t uki_build_find(const UkiBuild *b, const char *name) {
        for (size_t i = 0; i < b->n_news; i++)
                if (streq(b->news[i].name, name))
                        return (ssize_t) i;
        return -1;
}

void uki_build_add_consumer(UkiBuild *b, const PeWriteObserver *o) {
        b->consumers[b->n_consumers] = *o;
        b->consumer_ptrs[b->n_consumers] = &b->consumers[b->n_consumers];
        b->n_consumers++;
}

void uki_build_done(UkiBuild *b) {
        free(b->news);
        free(b->paths);
        free(b->kernel_table);
        authenticode_hasher_free(b->hasher);
        if (b->fanout)
                write_fanout_free(b->fanout);
        for (size_t i = 0; i < b->n_banks; i++) {
                pcr_measure_free(b->banks[i].measure);
                pcr_measure_free(b->banks[i].base);
        }
        for (size_t i = 0; i < b->n_pcrsigs; i++)
                free(b->pcrsigs[i].buf);
        free(b->pcrsigs);
}

static int copy_sections(UkiBuild *b) {
        const UkiBuildSpec *spec = b->spec;

        b->news = calloc(spec->n_sections ? spec->n_sections : 1, sizeof(PeNewSection));
        b->paths = calloc(spec->n_sections ? spec->n_sections : 1, sizeof(char *));
        if (!b->news || !b->paths)
                return uki_build_fail_errno(b, -ENOMEM, b->output, "cannot allocate");
        for (size_t i = 0; i < spec->n_sections; i++) {
                const UkiBuildSection *s = &spec->sections[i];
                memcpy(b->news[i].name, s->name, sizeof(b->news[i].name));
                b->news[i].characteristics = s->characteristics;
                b->news[i].min_virtual_size = s->min_virtual_size;
                b->news[i].sources = s->sources;
                b->news[i].n_sources = s->n_sources;
                b->paths[i] = s->path;
        }
        b->n_news = spec->n_sections;
        return 0;
}

static const char *section_origin(const UkiBuild *b, const char *name) {
        for (size_t i = 0; i < b->n_news; i++)
                if (streq(b->news[i].name, name) && b->paths[i])
                        return b->paths[i];
        return b->spec->stub_path;
}

static int layout(UkiBuild *b, PeLayout **ret) {
        const UkiBuildSpec *spec = b->spec;
        UkitError le = UKIT_ERROR_INIT;
        int r;

        r = pe_layout(spec->stub_fd, spec->stub, b->news, b->n_news, &spec->layout_opts, ret, &le);
        if (r == -EEXIST || r == -EFBIG || r == -ENOSPC || r == -EPERM || r == -EINVAL || r == -EBADMSG) {
                /* name the file the problem comes from where there is one */
                const char *who = spec->stub_path;
                if (r == -EFBIG)
                        for (size_t i = 0; i < b->n_news; i++)
                                if (streq(le.item, b->news[i].name) && b->paths[i])
                                        who = section_origin(b, b->news[i].name);
                return uki_build_fail(b, r, who, "%s", ukit_error_reason(&le, r));
        }
        if (r < 0)
                return uki_build_fail_errno(b, r, spec->stub_path, "cannot lay out the image");
        return 0;
}

static int write_and_commit(UkiBuild *b) {
        _cleanup_(atomic_file_abort) AtomicFile out = ATOMIC_FILE_INIT;
        const PeWriteObserver *obs[2];
        size_t n_obs = 0;
        int r;

        r = write_fanout_new(b->consumer_ptrs, b->n_consumers, 0, &b->fanout);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot start the hashers");
        if (b->n_consumers > 0)    /* else pe_write() may let the kernel copy */
                obs[n_obs++] = write_fanout_observer(b->fanout);
        if (b->have_sync)
                obs[n_obs++] = &b->sync;

        r = atomic_file_open(&out, b->output);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot create output file");

        r = pe_write(b->layout, out.fd, obs, n_obs);
        if (r >= 0)
                r = write_fanout_drain(b->fanout);
        if (r == -EIO)
                return uki_build_fail_errno(b, r, b->output, "input changed or shrank while writing");
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot write");

        /* sign after the image is complete, measure already happened in the pass */
        if (b->spec->sign) {
                r = uki_build_sign_finish(b, out.fd);
                if (r < 0)
                        return r;
        }

        r = atomic_file_commit(&out, b->spec->mode);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot write");
        return 0;
}

int uki_build(const UkiBuildSpec *spec, const char *output, UkitError *err) {
        _cleanup_pe_layout_ PeLayout *l = NULL;
        UkiBuild b = {
                .spec = spec,
                .output = output,
                .err = err,
        };
        int r;

        ukit_error_clear(err);
        r = copy_sections(&b);
        /* Sign first: the kernel is signed before PCR code sees .linux. */
        if (r >= 0 && spec->sign)
                r = uki_build_sign_kernel(&b);
        if (r >= 0 && spec->sign)
                r = uki_build_sign_prepare(&b);
        /* Then measure: .pcrsig is last, so every measured byte precedes it. */
        if (r >= 0 && spec->pcr && spec->pcr->n_keys > 0)
                r = uki_build_pcr_prepare(&b);
        if (r >= 0)
                r = layout(&b, &l);
        if (r >= 0) {
                b.layout = l;
                if (b.have_sync)
                        r = uki_build_pcr_check_layout(&b);
        }
        if (r >= 0)
                r = write_and_commit(&b);
        uki_build_done(&b);
        return r;
}
