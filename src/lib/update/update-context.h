/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state sysupdate decides on: every transfer with its resolved source
 * and target directories and their instances, and the versions seen across
 * all transfers (an "update set" per version). */

#include <stdbool.h>

#include "update-instance.h"
#include "update-transfer.h"

typedef struct UpdateVersion {
        char *version;
        /* systemd-sysupdate 257's flags of an update set */
        bool installed;         /* some transfer has it installed (all: !incomplete) */
        bool incomplete;        /* installed, but not in every transfer */
        bool available;         /* every transfer's source offers it */
        bool newest;            /* the newest installed or the newest available set */
        bool protected_;        /* a transfer's ProtectVersion= names it */
        bool obsolete;          /* older than a transfer's MinVersion=: never installed */
} UpdateVersion;

typedef struct UpdateContext {
        char *root;                     /* NULL: the host */
        UpdateDefinitions defs;         /* the enabled transfers */
        UpdateDefinitions disabled;     /* transfers of disabled features: vacuum empties them */
        char **disabled_dirs;           /* their targets (as target_dirs) */
        UpdateInstances *disabled_installed;
        UpdateFeatures features;
        char **source_dirs, **target_dirs;     /* partition targets: target_dirs[i] is the disk */
        size_t *n_empty;                /* partition targets: "_empty" slots of the type */
        UpdateInstances *installed, *available;
        char *booted_version;           /* IMAGE_VERSION= of the root's os-release, or NULL */
        UpdateVersion *versions;        /* newest first */
        size_t n_versions;
        const UpdateVersion *current;   /* newest installed (maybe incomplete), or NULL */
        const UpdateVersion *candidate; /* what "update" installs or repairs, or NULL */
        uint64_t instances_max_override;        /* UPDATE_UNSET: per transfer */
} UpdateContext;

typedef struct UpdateContextOptions {
        const char *root, *definitions, *component;
        const char *image;              /* --image=: the disk Path=auto partition targets mean */
        uint64_t instances_max;         /* UPDATE_UNSET: from the definitions */
        bool skip_available;            /* do not scan the sources (pending, vacuum) */
        bool verify;                    /* --verify=yes (default): SHA256SUMS.gpg of url sources */
} UpdateContextOptions;

int update_context_load(const UpdateContextOptions *o, UpdateContext *ret, UkitError *err);
void update_context_done(UpdateContext *c);

const UpdateVersion *update_context_find(const UpdateContext *c, const char *version);

/* InstancesMax of transfer i (override, definition or the default). */
uint64_t update_context_instances_max(const UpdateContext *c, size_t i);

/* Whether an installed instance of version v of transfer t must be kept:
 * its ProtectVersion= names v, or v is extra (may be NULL). */
bool update_context_is_protected(const UpdateTransfer *t, const char *v, const char *extra);
