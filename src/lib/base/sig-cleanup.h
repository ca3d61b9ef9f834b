/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What to undo when a termination signal arrives.
 *
 * Named temporary files and directories (AtomicFile's fallback where the
 * file system has no O_TMPFILE, the staging directory of "sysext build")
 * are registered here while they exist. Once sig_cleanup_install() has run,
 * SIGINT, SIGTERM, SIGHUP and SIGPIPE first pass the signal on to the
 * registered child process (a "ukit build" run by "ukit install", mkfs.erofs,
 * cp, ...) and wait for it, then remove every registered path and re-raise
 * the signal with its default action, so the exit status still says which
 * signal ended the process. The handler only uses async-signal-safe calls.
 *
 * Without sig_cleanup_install() (unit tests, fuzzers) registering is
 * harmless bookkeeping. SIGKILL cannot be caught: O_TMPFILE, where the
 * file system has it, and the sweep of stale temporaries in
 * atomic_file_sweep() cover that case. */

#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/types.h>

#define SIG_CLEANUP_SLOTS 64

/* Install the handlers (idempotent). Returns 0 or -errno. */
int sig_cleanup_install(void);

/* Register path (copied) for removal on a signal; a directory is removed
 * with everything below it. Returns a slot number >= 0, or -ENOMEM /
 * -ENOSPC (then the path is simply not cleaned up on signals). */
int sig_cleanup_add(const char *path, bool directory);

/* Forget slot (the path was committed or removed); -1 is ignored. */
void sig_cleanup_remove(int slot);

/* The child process to pass a signal on to (0: none). */
void sig_cleanup_set_child(pid_t pid);

/* posix_spawn() (or posix_spawnp() with search_path) argv[0], registered as
 * the child a signal is passed on to, and wait for it. fa may be NULL.
 * Returns the wait status (>= 0) or -errno. */
int sig_cleanup_spawn_wait(const char *path, bool search_path, const posix_spawn_file_actions_t *fa,
                           char *const argv[]);

/* Block / restore the handled signals, for short critical sections (a
 * rename that must not be split from forgetting its temporary name, a
 * spawn that must not be split from registering the child). */
void sig_cleanup_block(sigset_t *ret_old);
void sig_cleanup_restore(const sigset_t *old);

/* Remove path and everything below it, without following symlinks, using
 * only async-signal-safe calls (so also usable from the handler). Returns 0
 * or -errno of the first failure. */
int rm_rf_sigsafe(const char *path);
