/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Changing the targets: removing old instances (vacuum), fetching a new
 * version into temporary names next to the targets (acquire), and giving
 * them their final names in definition order (install). Nothing
 * half-written ever carries a version's name: payloads are written to
 * ".#ukit-update-*" (or an unnamed O_TMPFILE), fsynced, then renamed; a
 * partition slot is written (a URL's body streamed into it) while it keeps
 * its "_empty" label, synced, then relabelled. */

#include "update-context.h"

/* Called for each removed instance (may be NULL). */
typedef void (*UpdateRemovedFn)(const char *path, void *userdata);

/* Take an exclusive lock on every target directory (created if missing):
 * -EBUSY if another update holds one. The fds go into *ret_fds (close with
 * update_unlock()). */
int update_lock(const UpdateContext *c, int **ret_fds, UkitError *err);
void update_unlock(int *fds, size_t n);

/* Remove stale temporaries and, per transfer, the oldest unprotected
 * installed instances until at most InstancesMax - space remain, as
 * sysupdate 257 does: extra_protected (may be NULL, the version about to
 * be installed) is kept as well, and a transfer that has it already is
 * left alone; protected instances may keep more than InstancesMax=.
 * Returns the most one transfer removed; -ENOSPC when a partition target
 * has too few slots of its type. */
int update_vacuum(UpdateContext *c, uint64_t space, const char *extra_protected, UpdateRemovedFn fn,
                  void *userdata, UkitError *err);

typedef struct UpdatePending UpdatePending;

/* Acquire version (available in every transfer) into temporaries; check
 * SHA-256 against the source directory's SHA256SUMS where it lists the
 * file, and against @h. */
int update_acquire(const UpdateContext *c, const char *version, UpdatePending **ret, UkitError *err);

/* Rename the temporaries into place in definition order, update
 * CurrentSymlink=, fsync. ret_path(i) tells the final names. */
int update_install(const UpdateContext *c, UpdatePending *p, UkitError *err);
const char *update_pending_path(const UpdatePending *p, size_t i);
void update_pending_free(UpdatePending *p);
