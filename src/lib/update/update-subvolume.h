/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tree-shaped instances (Type=directory and Type=subvolume targets) as
 * systemd-sysupdate 257 makes and removes them. A subvolume target's
 * instance is a btrfs subvolume where the target directory is on btrfs,
 * a plain directory elsewhere. ReadOnly=yes marks a subvolume read-only
 * (the btrfs property), any other directory FS_IMMUTABLE_FL. Removal
 * deletes a subvolume (read-only ones too) with BTRFS_IOC_SNAP_DESTROY and
 * anything else with rm -rf. Everything here uses the ioctls of
 * <linux/btrfs.h> and <linux/fs.h> directly. */

#include <stdbool.h>

/* Create a new, empty temporary instance in dir named prefix + six random
 * characters, mode 0700: a subvolume if subvolume is set and dir is on
 * btrfs, else a directory. *ret_path gets the malloc'ed path. */
int update_tree_make_temp(const char *dir, const char *prefix, bool subvolume, char **ret_path);

/* 1 if path is the root of a btrfs subvolume, 0 if not, -errno. */
int update_tree_is_subvolume(const char *path);

/* Set or clear a subvolume's read-only flag. */
int update_subvolume_set_read_only(const char *path, bool ro);

/* ReadOnly=yes: a subvolume's read-only flag, else FS_IMMUTABLE_FL. */
int update_tree_make_read_only(const char *path);

/* Remove path: a subvolume with BTRFS_IOC_SNAP_DESTROY (falling back to
 * clearing its read-only flag and rm -rf, e.g. when it holds nested
 * subvolumes or the caller lacks the privilege), anything else with
 * rm_rf_sigsafe(). 0 if it is gone (or was never there). */
int update_tree_remove(const char *path);
