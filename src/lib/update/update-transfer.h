/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Transfer definitions as systemd-sysupdate reads them (sysupdate.d(5)):
 * "*.transfer" files (or, where a directory has none, the older "*.conf")
 * from /etc, /run, /usr/local/lib and /usr/lib "sysupdate.d/" (or
 * "sysupdate.COMPONENT.d/"), a name in an earlier directory hiding the same
 * name in later ones, applied in file name order. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "update-pattern.h"

typedef enum UpdateResourceType {
        UPDATE_RESOURCE_INVALID,
        UPDATE_RESOURCE_URL_FILE,
        UPDATE_RESOURCE_URL_TAR,
        UPDATE_RESOURCE_TAR,
        UPDATE_RESOURCE_PARTITION,
        UPDATE_RESOURCE_REGULAR_FILE,
        UPDATE_RESOURCE_DIRECTORY,
        UPDATE_RESOURCE_SUBVOLUME,
} UpdateResourceType;

const char *update_resource_type_name(UpdateResourceType t);

#define UPDATE_PATTERNS_MAX 16u
#define UPDATE_TRANSFERS_MAX 64u
#define UPDATE_DEFINITION_MAX (64u * 1024u)

typedef struct UpdateResource {
        UpdateResourceType type;
        char *path;                     /* as written (after specifiers) */
        char *path_relative_to;         /* root|esp|xbootldr|boot|explicit, NULL = root */
        UpdatePattern patterns[UPDATE_PATTERNS_MAX];
        size_t n_patterns;
} UpdateResource;

typedef struct UpdateTransfer {
        char *id;                       /* file name without suffix */
        char *file;                     /* the definition file */
        char *min_version, *current_symlink;
        char **protect_versions;        /* ProtectVersion=, each line adds one */
        size_t n_protect_versions;
        char **features, **requisite_features;
        size_t n_features, n_requisite_features;
        bool verify, remove_temporary;
        uint64_t instances_max;         /* UPDATE_UNSET: default */
        uint64_t mode, tries_left, tries_done;  /* UPDATE_UNSET if unset */
        int read_only, no_auto, growfs; /* -1 unset */
        bool has_partition_type, has_partition_uuid;    /* MatchPartitionType=, PartitionUUID= */
        uint8_t partition_type[16], partition_uuid[16];
        uint64_t partition_flags;       /* PartitionFlags=, UPDATE_UNSET if unset */
        UpdateResource source, target;
} UpdateTransfer;

/* sysupdate's default InstancesMax= */
#define UPDATE_INSTANCES_MAX_DEFAULT 3u

typedef struct UpdateSpecifiers {
        const char *image_version, *image_id, *os_id, *version_id, *build_id, *variant_id;
        const char *machine_id, *hostname, *architecture;
} UpdateSpecifiers;

/* Parse one definition file's text. -EINVAL with reason (and line in
 * err->offset) for bad content. */
int update_transfer_parse(const char *file, const char *text, const UpdateSpecifiers *spec,
                          UpdateTransfer *ret, UkitError *err);
void update_transfer_done(UpdateTransfer *t);

/* Expand %-specifiers in s. -EBADSLT naming an unknown specifier. */
int update_specifiers_expand(const char *s, const UpdateSpecifiers *spec, char **ret, UkitError *err);

typedef struct UpdateDefinitions {
        UpdateTransfer *transfers;
        size_t n_transfers;
} UpdateDefinitions;

/* Load definitions: from definitions_dir alone if not NULL, else from the
 * search path under root (NULL or "/": the host), for component (NULL: the
 * default "sysupdate.d"). Missing directories are no error; no transfer at
 * all is -ENOENT. */
int update_definitions_load(const char *root, const char *definitions_dir, const char *component,
                            const UpdateSpecifiers *spec, UpdateDefinitions *ret, UkitError *err);
void update_definitions_done(UpdateDefinitions *d);

typedef struct UpdateFeature {
        char *name, *description, *documentation;
        bool enabled;
} UpdateFeature;

typedef struct UpdateFeatures {
        UpdateFeature *items;   /* sorted by name */
        size_t n;
} UpdateFeatures;

/* The "*.feature" files (sysupdate.features(5)) next to the transfers:
 * [Feature] Description=, Documentation=, Enabled= (default no). */
int update_features_load(const char *root, const char *definitions_dir, const char *component,
                         UpdateFeatures *ret, UkitError *err);
void update_features_done(UpdateFeatures *f);
const UpdateFeature *update_features_find(const UpdateFeatures *f, const char *name);

/* A transfer is enabled when it lists no Features= or one of them is
 * enabled, and all its RequisiteFeatures= are enabled. */
bool update_transfer_enabled(const UpdateTransfer *t, const UpdateFeatures *f);

/* The names of components ("sysupdate.NAME.d" directories) under root,
 * sorted, and whether the default "sysupdate.d" exists. */
int update_components_list(const char *root, char ***ret, size_t *ret_n, bool *ret_default);
void update_strv_free(char **l, size_t n);
