/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* State of one uki_build() run, shared by uki-build.c (sections, layout,
 * write, commit), uki-build-sign.c (Secure Boot) and uki-build-pcr.c
 * (.pcrpkey/.pcrsig). */

#include <sys/types.h>

#include "authenticode.h"
#include "pcr.h"
#include "uki-build.h"

typedef struct UkiBuild {
        const UkiBuildSpec *spec;
        const char *output;
        UkitError *err;

        /* the new sections, in output order (a copy of the spec's, plus
         * .pcrpkey/.pcrsig; .linux's sources replaced when signed) */
        PeNewSection *news;
        const char **paths;
        size_t n_news;
        const PeLayout *layout;

        /* signing */
        PeSource kernel_sources[7];
        uint8_t kernel_checksum[4], kernel_dir[8];
        uint8_t *kernel_table;
        AuthenticodeHasher *hasher;

        /* measuring */
        PcrMeasure *measure;
        PeSource pcrpkey_source, pcrsig_source;
        char *pcrsig;
        size_t pcrsig_size;
        bool section_open, checked, filled;
        ssize_t pcrsig_index, before_index;

        PeWriteObserver observers[2];
        const PeWriteObserver *observer_ptrs[2];
        size_t n_observers;
} UkiBuild;

/* ukit_error() with the file concerned; "what: strerror" for -errno only. */
int uki_build_fail(UkiBuild *b, int r, const char *path, const char *fmt, ...) _printf_(4, 5);
int uki_build_fail_errno(UkiBuild *b, int r, const char *path, const char *what);
/* Insert a section at index at (b->n_news: append). */
int uki_build_insert(UkiBuild *b, size_t at, const char *name, const PeSource *src);
ssize_t uki_build_find(const UkiBuild *b, const char *name);
void uki_build_add_observer(UkiBuild *b, const PeWriteObserver *o);

int uki_build_sign_kernel(UkiBuild *b);         /* before the layout */
int uki_build_sign_prepare(UkiBuild *b);        /* adds the observer */
int uki_build_sign_finish(UkiBuild *b, int fd); /* after pe_write() */
int uki_build_pcr_prepare(UkiBuild *b);         /* .pcrpkey, .pcrsig, the observer */
void uki_build_done(UkiBuild *b);
