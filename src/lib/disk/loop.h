/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Loop devices: attach a byte range of a file to a free /dev/loopN. */

#include <stdbool.h>
#include <stdint.h>

/* Attempts at grabbing a free loop device before giving up: another process
 * may take the one LOOP_CTL_GET_FREE returned. */
#define LOOP_ATTACH_TRIES 16

/* Attach [offset, offset+size) of fd to a free loop device with autoclear
 * (it detaches itself when the last user - mount or fd - goes), read-only
 * or read-write. Containers often lack the /dev node of the loop device the
 * kernel hands out: it is created (mknod) then. Returns the loop device fd
 * and its path; -EBUSY if every try lost the race, -errno. */
int loop_attach(int fd, uint64_t offset, uint64_t size, bool read_only, int *ret_fd, char **ret_path);
