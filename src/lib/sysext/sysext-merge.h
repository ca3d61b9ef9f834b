/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Discovering, validating and merging extension images.
 *
 * Merge model (see docs/sysext.md): a child process in its own mount
 * namespace (all mounts slave, so nothing it does leaks out) mounts every
 * image read-only in a private tmpfs workspace, checks dm-verity and the
 * signature, validates the release file, removes any old merge *in its own
 * namespace only* so the bare hierarchy is reachable, stacks the overlay and
 * hands a detached clone of it (open_tree(OPEN_TREE_CLONE)) to the parent
 * over a socket. The parent then switches it in with one move_mount():
 * MOVE_MOUNT_BENEATH under the old overlay followed by a lazy unmount of the
 * old one, so a reader resolves either the old or the new tree. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "extension-release.h"
#include "sysext-lock.h"
#include "verity-activate.h"

#define EXT_HIERARCHIES_MAX 8u
#define EXT_IMAGES_MAX 256u

typedef enum ExtImageType {
        EXT_IMAGE_DIRECTORY,
        EXT_IMAGE_RAW,
        EXT_IMAGE_BLOCK,
} ExtImageType;

const char *ext_image_type_name(ExtImageType t);

typedef enum ExtImageState {
        EXT_IMAGE_PENDING,
        EXT_IMAGE_MERGED,       /* accepted and part of the overlay */
        EXT_IMAGE_IGNORED,      /* incompatible: reason says why (not an error) */
        EXT_IMAGE_FAILED,       /* broken/untrusted: reason says why (an error) */
} ExtImageState;

/* Per-image result, in shared memory so the merge child can fill it. */
typedef struct ExtImageResult {
        ExtImageState state;
        char protection[16];    /* "signed", "verity", "none" */
        char verity[16];        /* who checks the blocks: "kernel" (dm-verity), "userspace" (at merge), "none" */
        char trust[16];         /* who accepted the signature: "kernel-keyring", "verity.d", "none" */
        UkitError error;        /* why IGNORED (code 0) or FAILED (code -errno); item: the image name */
} ExtImageResult;

typedef struct ExtImage {
        char *name;
        char *path;
        ExtImageType type;
        uint64_t mtime_usec;
        ExtImageResult *result; /* points into ExtContext.results */
} ExtImage;

typedef struct ExtContext {
        ExtClass cls;
        char root[4096];                /* "" for the real root, else absolute, no trailing '/' */
        const char *hierarchies[EXT_HIERARCHIES_MAX];  /* "/usr", "/opt" or "/etc" */
        size_t n_hierarchies;
        bool force;                     /* skip release matching */
        bool strict;                    /* any failed image aborts the merge */
        bool require_signature;         /* images without a trusted signature fail */
        VerityMode verity_mode;         /* kernel dm-verity or the user-space check only */
        int64_t lock_timeout_usec;      /* wait for the class lock (<0: forever) */
        ExtLockHolder lock_holder;      /* who held it, after -ETIMEDOUT */
        HostRelease host;
        ExtImage *images;
        size_t n_images;
        ExtImageResult *results;        /* shared mapping, n_images entries */
} ExtContext;

/* Set class, root (NULL or "/" for none) and the default hierarchies
 * ($SYSTEMD_SYSEXT_HIERARCHIES / $SYSTEMD_CONFEXT_HIERARCHIES override). */
int ext_context_init(ExtContext *ctx, ExtClass c, const char *root);
void ext_context_done(ExtContext *ctx);

/* Read ROOT/etc/os-release, else ROOT/usr/lib/os-release. */
int ext_context_load_host(ExtContext *ctx);

/* Search the standard directories under root; first image of a name wins;
 * result sorted by name (UAPI.10 order, ascending). */
int ext_discover(ExtContext *ctx);

/* Run the merge (refresh = replace an existing merge). Results per image
 * are in ctx->images[i].result. Returns 0 when every hierarchy was switched
 * (or nothing needed switching), -EBUSY already merged (merge only),
 * -ECANCELED --strict and an image failed, -ETIMEDOUT the class lock stayed
 * taken for lock_timeout_usec (ctx->lock_holder says by whom), other
 * -errno. *ret_merged = number of hierarchies now carrying an overlay. */
int ext_merge(ExtContext *ctx, bool refresh, unsigned *ret_merged);

/* Remove our overlays (all stacked ones) from every hierarchy. Returns the
 * number of hierarchies unmerged or -errno (-ETIMEDOUT as for ext_merge). */
int ext_unmerge(ExtContext *ctx);

/* Test hook: when $UKIT_TEST_STOP_AT equals name, the process stops itself
 * (SIGSTOP) there, so a test can kill a merge at exactly that point. Points:
 * locked, swept (parent, before the fork), child-started, image-attached,
 * verity-checked, dm-activated, dm-deferred, image-mounted, overlay-built
 * (child), parent-received, parent-switched (parent, before the first and
 * a later move_mount). */
void ext_test_point(const char *name);

/* For hierarchy index i: merged? names ("a\nb\n"), since (usec). */
int ext_hierarchy_status(ExtContext *ctx, size_t i, bool *ret_merged, char **ret_names, uint64_t *ret_since);

/* Full path of hierarchy i under the root; NULL when out of memory. */
char *ext_hierarchy_path(const ExtContext *ctx, size_t i);
