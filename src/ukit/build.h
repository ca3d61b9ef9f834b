/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* State of one `ukit build` run, shared with the build extensions
 * (build-pcr.c, build-sign.c): they add options in build.c's option table,
 * keep their state behind the `ext_*` pointers and fill their part of the
 * UkiBuildSpec. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pe-write.h"
#include "pe.h"

typedef struct BuildSection {
        char name[PE_SECTION_NAME_MAX + 1];
        uint32_t flags;                 /* PE characteristics */
        uint64_t min_virtual_size;      /* VirtualSize at least this (0: content size) */
        uint64_t size;                  /* content bytes (sum of sources) */
        const char *path;               /* input file, for messages; NULL for text */
        PeSource *sources_buf;          /* owned array; fds and data owned by the context */
        size_t n_sources;
} BuildSection;

typedef struct BuildContext BuildContext;
struct BuildContext {
        /* options (strings point into argv or config_strings) */
        const char *linux_path, *cmdline, *os_release, *uname, *devicetree, *splash, *microcode, *pcrpkey;
        const char *stub_path, *output, *config, *efi_arch;
        const char **initrds;
        size_t n_initrds;
        const char **devicetree_autos;
        size_t n_devicetree_autos;
        const char *hwids;
        const char **sbats;
        size_t n_sbats;
        const char **extra_sections;
        size_t n_extra_sections;
        const char *output_suffix;      /* default ".unsigned.efi" for the derived output name */

        /* inputs */
        int stub_fd, linux_fd;
        PeImage *stub, *kernel;         /* kernel: NULL when --linux is not a PE image */
        uint64_t linux_size;

        /* the new sections, in output order */
        BuildSection *sections;
        size_t n_sections;

        PeLayoutOptions layout_opts;

        const char *config_error;       /* set by an extension's config key handler */
        void *ext_pcr, *ext_sign;       /* extension state */
        void *ext_compat;               /* build-compat.c */

        /* owned storage */
        int *fds;
        size_t n_fds;
        char **bufs;
        size_t n_bufs;
        char *output_buf;
        char *config_strings_buf;
        char **config_strings;
        size_t n_config_strings;
};

void build_context_done(BuildContext *c);
