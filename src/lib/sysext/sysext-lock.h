/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The per-class merge lock: flock() on the workspace directory
 * (/run/ukit-sysext, /run/ukit-confext), shared by every --root, because
 * the dm-verity device sweep is global. The merge child keeps the lock
 * (it may still be creating devices) and dies with its parent
 * (PR_SET_PDEATHSIG), so the lock is free exactly when no merge process of
 * that class is left. */

#include <stdint.h>
#include <sys/types.h>

#include "extension-release.h"

/* Default wait for the lock. A merge holds it for seconds; minutes mean a
 * process is stuck in the kernel. */
#define EXT_LOCK_TIMEOUT_USEC_DEFAULT (90ll * 1000000ll)
#define EXT_LOCK_COMM_MAX 32

typedef struct ExtLockHolder {
        pid_t pid;                      /* 0: not found */
        char comm[EXT_LOCK_COMM_MAX];   /* /proc/PID/comm */
        unsigned n_pids;                /* processes sharing the lock (a merge and its child) */
} ExtLockHolder;

/* The workspace directory of the class (also the lock); NULL when out of
 * memory. */
char *ext_workspace_path(ExtClass c);

/* Take the lock, waiting at most timeout_usec (<0: forever, 0: not at all).
 * Returns the locked fd (O_CLOEXEC), -ETIMEDOUT with *ret_holder filled
 * when it stayed taken, -EPERM if the directory is not root's and private,
 * other -errno. */
int ext_lock_take(ExtClass c, int64_t timeout_usec, ExtLockHolder *ret_holder);

/* Who holds the flock on the open directory lock_fd refers to (any process
 * with an fd to the locked open file description, other than us). */
int ext_lock_find_holder(int lock_fd, ExtLockHolder *ret);
