/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

/* Open /dev/loopN, creating the node when it is missing. */
static int loop_open(int nr, int flags, char path[static 32]) {
        int fd;

        snprintf(path, 32, "/dev/loop%d", nr);
        fd = open(path, flags | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                if (mknod(path, S_IFBLK | 0600, makedev(7, (unsigned) nr)) < 0 && errno != EEXIST)
                        return -errno;
                fd = open(path, flags | O_CLOEXEC);
        }
        return fd < 0 ? -errno : fd;
}

int loop_attach(int fd, uint64_t offset, uint64_t size, bool read_only, int *ret_fd, char **ret_path) {
        _cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (ctl < 0)
                return -errno;

        /* GET_FREE and CONFIGURE race with other attachers: retry on EBUSY. */
        for (int i = 0; i < LOOP_ATTACH_TRIES; i++) {
                char path[32];
                int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
                if (nr < 0)
                        return -errno;
                _cleanup_close_ int lfd = loop_open(nr, read_only ? O_RDONLY : O_RDWR, path);
                if (lfd < 0)
                        return lfd;
                struct loop_config cfg = {
                        .fd = (uint32_t) fd,
                        .info = {
                                .lo_offset = offset,
                                .lo_sizelimit = size,
                                .lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0),
                        },
                };
                if (ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0) {
                        if (errno == EBUSY)
                                continue;       /* somebody else took it: next */
                        return -errno;
                }
                char *p = strdup(path);
                if (!p)
                        return -ENOMEM;         /* closing lfd detaches (autoclear) */
                *ret_path = p;
                *ret_fd = TAKE_FD(lfd);
                return 0;
        }
        return -EBUSY;
}
