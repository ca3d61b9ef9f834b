/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A scratch directory /dev/shm/ukit-fuzz-NAME.PID for targets that need
 * real files. libFuzzer may leave without running atexit handlers (a crash,
 * -max_total_time), so each start also removes the directories of earlier
 * runs whose process is gone. */

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fuzz_tmpdir_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
        (void) st, (void) flag, (void) f;
        return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static inline int fuzz_tmpdir_rm(const char *path) {
        return nftw(path, fuzz_tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char fuzz_tmpdir_path[128];

static void fuzz_tmpdir_atexit(void) {
        (void) fuzz_tmpdir_rm(fuzz_tmpdir_path);
}

/* Fills buf with the new (empty) directory's path, removed again at exit();
 * 0 or -errno. One per process. */
static inline int fuzz_tmpdir(const char *name, char *buf, size_t size) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "ukit-fuzz-%s.", name);
        DIR *d = opendir("/dev/shm");
        if (d) {
                struct dirent *de;
                while ((de = readdir(d))) {
                        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
                                continue;
                        long pid = strtol(de->d_name + strlen(prefix), NULL, 10);
                        if (pid > 0 && kill((pid_t) pid, 0) < 0 && errno == ESRCH) {
                                char p[300];
                                snprintf(p, sizeof(p), "/dev/shm/%s", de->d_name);
                                (void) fuzz_tmpdir_rm(p);
                        }
                }
                closedir(d);
        }
        snprintf(buf, size, "/dev/shm/%s%ld", prefix, (long) getpid());
        (void) fuzz_tmpdir_rm(buf);
        if (mkdir(buf, 0700) < 0)
                return -errno;
        snprintf(fuzz_tmpdir_path, sizeof(fuzz_tmpdir_path), "%s", buf);
        atexit(fuzz_tmpdir_atexit);
        return 0;
}
