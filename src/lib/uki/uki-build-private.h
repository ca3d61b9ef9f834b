/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* State of one uki_build() run, shared by uki-build.c (sections, layout,
 * write, commit), uki-build-sign.c (Secure Boot) and uki-build-pcr.c
 * (.pcrpkey/.pcrsig). */

#include <sys/types.h>

#include "authenticode.h"
#include "pcr.h"
#include "uki-build.h"
#include "write-fanout.h"

typedef struct UkiBuild UkiBuild;
struct UkiBuild {
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

        /* measuring: one PcrMeasure per bank, each its own consumer; in a
         * multi-profile UKI (new .profile sections) `measure` holds the
         * current profile (the base overlaid by its sections, the stub's
         * rule) and `base` the base, saved at the first .profile */
        struct UkiBuildBank {
                struct UkiBuild *b;
                PcrMeasure *measure, *base;
                unsigned bank_bit;
                bool section_open;
                bool skip;              /* current section not measured here */
                ssize_t started;        /* layout index of the current section, -1 */
                uint32_t n_profiles;    /* .profile sections seen */
                bool seen[_UKI_SECTION_MAX];    /* names seen in the current profile */
        } banks[_PCR_BANK_MAX];
        size_t n_banks;
        PeSource pcrpkey_source;
        /* one reserved .pcrsig per signed profile (one in all without
         * profiles), each at the end of its profile's sections */
        struct UkiBuildPcrsig {
                PeSource source;
                char *buf;
                bool filled;
                ssize_t index, before_index;    /* layout indices */
        } *pcrsigs;
        size_t n_pcrsigs;
        size_t pcrsig_size;
        PeWriteObserver sync;           /* signs .pcrsig when PCR 11 is final */
        bool have_sync;

        /* the digests fed by the write fan-out (write-fanout.h) */
        PeWriteObserver consumers[1 + _PCR_BANK_MAX];
        const PeWriteObserver *consumer_ptrs[1 + _PCR_BANK_MAX];
        size_t n_consumers;
        WriteFanout *fanout;
};

/* ukit_error() with the file concerned; "what: strerror" for -errno only. */
int uki_build_fail(UkiBuild *b, int r, const char *path, const char *fmt, ...) _printf_(4, 5);
int uki_build_fail_errno(UkiBuild *b, int r, const char *path, const char *what);
/* Insert a section at index at (b->n_news: append). */
int uki_build_insert(UkiBuild *b, size_t at, const char *name, const PeSource *src);
ssize_t uki_build_find(const UkiBuild *b, const char *name);
void uki_build_add_consumer(UkiBuild *b, const PeWriteObserver *o);

int uki_build_sign_kernel(UkiBuild *b);         /* before the layout */
int uki_build_sign_prepare(UkiBuild *b);        /* adds the observer */
int uki_build_sign_finish(UkiBuild *b, int fd); /* after pe_write() */
int uki_build_pcr_prepare(UkiBuild *b);         /* .pcrpkey, .pcrsig, the observers */
int uki_build_pcr_check_layout(UkiBuild *b);    /* after the layout */
void uki_build_done(UkiBuild *b);
