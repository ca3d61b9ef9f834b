/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Build a UKI (or add-on) from a stub and new sections, optionally signed for
 * Secure Boot and with signed PCR 11 policies (.pcrsig), in one pass:
 *
 *   1. sign: with sign->sign_kernel, the kernel is hashed and signed first,
 *      and .linux is streamed from the kernel file with the new header fields
 *      and the certificate table spliced in;
 *   2. measure: .pcrpkey (if given) goes in ukify's place, after .osrel
 *      .cmdline .dtb .uname .splash; .pcrsig is reserved as the last section
 *      (its length depends only on banks x phases x keys), or, when the
 *      sections include .profile (a multi-profile UKI), as the last section
 *      of each profile, signed for what the stub measures for it;
 *   3. pe_layout(), then ONE pe_write() pass into a temporary file next to
 *      output; every output byte feeds the Authenticode hasher, every
 *      measured section feeds the PCR banks; when the last measured byte is
 *      hashed, the policies are signed into the reserved .pcrsig before the
 *      writer reaches it;
 *   4. the certificate table is appended (signed builds), and the temporary
 *      file is renamed over output (mode: spec->mode).
 *
 * The spec is plain data, filled by the caller (`ukit build`, `ukit install`)
 * from its options; nothing in it is owned by uki_build(). On failure no
 * output is left, and err (optional) says why: err->path is the file the
 * problem is in (the stub, an input, the output), err->what the reason. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "pe-write.h"
#include "pe.h"
#include "uki.h"

typedef enum UkiSignKernel {
        UKI_SIGN_KERNEL_AUTO,   /* ukify: when the kernel is not signed yet */
        UKI_SIGN_KERNEL_YES,    /* always (an additional signature if signed) */
        UKI_SIGN_KERNEL_NO,
} UkiSignKernel;

typedef struct UkiSignSpec {
        EVP_PKEY *key;                  /* not owned */
        X509 *cert;                     /* not owned */
        UkiSignKernel sign_kernel;
} UkiSignSpec;

typedef struct UkiPcrKey {
        EVP_PKEY *priv;                 /* not owned */
        EVP_PKEY *pub;                  /* NULL: derived from priv */
        char *const *phases;            /* normalised, sorted, unique (pcr-phases.h) */
        size_t n_phases;
} UkiPcrKey;

typedef struct UkiPcrSpec {
        const UkiMeasureRules *rules;   /* what the stub measures */
        unsigned banks;                 /* PCR_BANK_BIT() set */
        const UkiPcrKey *keys;
        size_t n_keys;
        const void *pcrpkey;            /* .pcrpkey to add, or NULL */
        size_t pcrpkey_size;
        /* Multi-profile UKIs (new sections include .profile): every profile
         * gets its own .pcrsig after its sections, for the base overlaid by
         * its sections (what the stub measures for it), unless
         * unsigned_profiles[N] (N < n_unsigned_profiles) says not to. */
        const bool *unsigned_profiles;
        size_t n_unsigned_profiles;
} UkiPcrSpec;

typedef struct UkiBuildSection {
        char name[PE_SECTION_NAME_MAX + 1];
        uint32_t characteristics;
        uint64_t min_virtual_size;      /* VirtualSize at least this (0: content size) */
        uint64_t size;                  /* content bytes (sum of sources) */
        const PeSource *sources;
        size_t n_sources;
        const char *path;               /* input file, for messages; NULL for text */
} UkiBuildSection;

typedef struct UkiBuildSpec {
        int stub_fd;
        const PeImage *stub;
        const char *stub_path;
        const PeImage *kernel;          /* .linux's PE image, NULL if not PE (or no .linux) */
        const char *kernel_path;
        const UkiBuildSection *sections;        /* in output order */
        size_t n_sections;
        PeLayoutOptions layout_opts;
        mode_t mode;                    /* of the output file */
        const UkiSignSpec *sign;        /* NULL: not signed */
        const UkiPcrSpec *pcr;          /* NULL: no .pcrsig */
} UkiBuildSpec;

int uki_build(const UkiBuildSpec *spec, const char *output, UkitError *err);
