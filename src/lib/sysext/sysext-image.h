/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"
#include "sysext-merge.h"

/* Mount img read-only at mnt (created), check verity/signature and the
 * release file. Always fills img->result: MERGED (mounted, acceptable),
 * IGNORED (incompatible, unmounted) or FAILED (broken/untrusted, unmounted).
 * Returns <0 for FAILED, 0 otherwise. Must run in a private mount namespace. */
int ext_image_attach(const ExtContext *ctx, ExtImage *img, const char *mnt);

/* Record the image's state and why in img->result->error (code r, the
 * reason in one line, item the image name); returns r (-errno for FAILED,
 * 0 for IGNORED). */
_printf_(4, 5) int ext_image_set(ExtImage *img, ExtImageState s, int r, const char *fmt, ...);

/* The release file lookup of ext_image_attach() on the tree at rootfd (the
 * mounted image): 0 with the text in *ret (NULL if there is none), or
 * -errno (-ENOTUNIQ: several fallback candidates). For the fuzzer. */
int ext_image_read_release(const ExtContext *ctx, const ExtImage *img, int rootfd, char **ret, size_t *ret_n);
