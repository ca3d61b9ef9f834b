/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* flock() with a bounded wait, and who holds a lock. */

#include <stdint.h>
#include <sys/types.h>

/* Take flock(op) (LOCK_EX or LOCK_SH) on fd. When it is busy, on_busy (if
 * not NULL) is called once with the holder's pid (0 if unknown) before
 * waiting; then wait at most timeout_ms (< 0: without limit). Returns 0,
 * -ETIMEDOUT, or -errno. */
int lock_fd_wait(int fd, int op, int64_t timeout_ms, void (*on_busy)(pid_t holder, void *userdata),
                 void *userdata);

/* A process holding a lock on the file behind fd, from /proc/locks; 0 if
 * none is found (no /proc, another pid namespace, ...). */
pid_t lock_holder(int fd);

/* The command name of pid (/proc/PID/comm) into buf, "?" if unknown. */
void lock_holder_name(pid_t pid, char *buf, size_t size);
