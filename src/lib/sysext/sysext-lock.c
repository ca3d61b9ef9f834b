/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "sysext-lock.h"
#include "util.h"

char *ext_workspace_path(ExtClass c) {
        return strprintf("%s/ukit-%s", access("/run", W_OK) == 0 ? "/run" : "/tmp", ext_class_name(c));
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* /proc/PID/fdinfo/FD lists the locks held through that open file
 * description ("lock:\t1: FLOCK  ADVISORY  WRITE ..."): waiters have their
 * own description and show none. */
static bool fd_holds_flock(const char *pid, const char *fd) {
        char p[600], line[256];
        bool found = false;
        snprintf(p, sizeof(p), "/proc/%s/fdinfo/%s", pid, fd);
        FILE *f = fopen(p, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = startswith(line, "lock:") && strstr(line, "FLOCK");
        fclose(f);
        return found;
}

int ext_lock_find_holder(int lock_fd, ExtLockHolder *ret) {
        struct stat want;
        char self[16];

        memset(ret, 0, sizeof(*ret));
        if (fstat(lock_fd, &want) < 0)
                return -errno;
        snprintf(self, sizeof(self), "%d", (int) getpid());
        DIR *proc = opendir("/proc");
        if (!proc)
                return -errno;
        for (struct dirent *pe; (pe = readdir(proc));) {
                if (pe->d_name[0] < '1' || pe->d_name[0] > '9' || streq(pe->d_name, self))
                        continue;
                char p[300];
                snprintf(p, sizeof(p), "/proc/%s/fd", pe->d_name);
                DIR *fds = opendir(p);
                if (!fds)
                        continue;
                bool holds = false;
                for (struct dirent *fe; !holds && (fe = readdir(fds));) {
                        struct stat st;
                        /* stat() of the magic link: the target's inode, no open. */
                        if (fe->d_name[0] == '.' || fstatat(dirfd(fds), fe->d_name, &st, 0) < 0)
                                continue;
                        holds = st.st_dev == want.st_dev && st.st_ino == want.st_ino &&
                                fd_holds_flock(pe->d_name, fe->d_name);
                }
                closedir(fds);
                if (!holds)
                        continue;
                pid_t pid = (pid_t) atoi(pe->d_name);
                /* Report the oldest process (the merge, not its child). */
                if (ret->pid == 0 || pid < ret->pid) {
                        _cleanup_free_ char *comm = NULL;
                        size_t n;
                        ret->pid = pid;
                        ret->comm[0] = 0;
                        snprintf(p, sizeof(p), "/proc/%s/comm", pe->d_name);
                        if (read_file_full(p, 64, &comm, &n) == 0) {
                                comm[strcspn(comm, "\n")] = 0;
                                snprintf(ret->comm, sizeof(ret->comm), "%s", comm);
                        }
                }
                ret->n_pids++;
        }
        closedir(proc);
        return ret->pid > 0 ? 0 : -ESRCH;
}

int ext_lock_take(ExtClass c, int64_t timeout_usec, ExtLockHolder *ret_holder) {
        _cleanup_free_ char *p = ext_workspace_path(c);
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (!p)
                return -ENOMEM;
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0077))
                return -EPERM;
        if (timeout_usec < 0) {
                while (flock(fd, LOCK_EX) < 0)
                        if (errno != EINTR)
                                return -errno;
                return TAKE_FD(fd);
        }
        /* Polling, so that no signal handler or timer is needed. */
        uint64_t deadline = now_usec() + (uint64_t) timeout_usec, step = 10000;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return TAKE_FD(fd);
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                uint64_t now = now_usec();
                if (now >= deadline)
                        break;
                uint64_t d = MIN(step, deadline - now);
                (void) nanosleep(&(struct timespec) { .tv_sec = (time_t) (d / 1000000u),
                                                      .tv_nsec = (long) (d % 1000000u) * 1000 }, NULL);
                step = MIN(step * 2, 250000u);
        }
        (void) ext_lock_find_holder(fd, ret_holder);
        return -ETIMEDOUT;
}
