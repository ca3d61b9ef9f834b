/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "lock.h"
#include "util.h"

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lock_fd_wait(int fd, int op, int64_t timeout_ms, void (*on_busy)(pid_t holder, void *userdata),
                 void *userdata) {
        int64_t deadline = 0, delay_ms = 1;

        if (flock(fd, op | LOCK_NB) == 0)
                return 0;
        if (errno != EWOULDBLOCK)
                return -errno;
        if (on_busy)
                on_busy(lock_holder(fd), userdata);
        if (timeout_ms >= 0)
                deadline = now_ms() + timeout_ms;

        /* Polling instead of a blocking flock() interrupted by a timer: no
         * signal handler to share with the rest of the program. */
        for (;;) {
                if (flock(fd, op | LOCK_NB) == 0)
                        return 0;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (timeout_ms >= 0 && now_ms() >= deadline)
                        return -ETIMEDOUT;
                struct timespec ts = { .tv_sec = 0, .tv_nsec = (long) delay_ms * 1000000 };
                (void) nanosleep(&ts, NULL);
                if (delay_ms < 50)
                        delay_ms *= 2;
        }
}

pid_t lock_holder(int fd) {
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        char line[256];

        if (fstat(fd, &st) < 0)
                return 0;
        f = fopen("/proc/locks", "re");
        if (!f)
                return 0;
        /* "1: FLOCK  ADVISORY  WRITE 1234 08:02:131 0 EOF"; waiters are
         * listed as "1: -> FLOCK ..." and are skipped. */
        while (fgets(line, sizeof(line), f)) {
                char kind[16], mode[16], rw[16];
                unsigned maj, min;
                unsigned long ino;
                int pid;

                if (strstr(line, "->"))
                        continue;
                if (sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%lu", kind, mode, rw, &pid, &maj, &min, &ino) != 7)
                        continue;
                if (maj == major(st.st_dev) && min == minor(st.st_dev) && ino == (unsigned long) st.st_ino && pid > 0)
                        return (pid_t) pid;
        }
        return 0;
}

void lock_holder_name(pid_t pid, char *buf, size_t size) {
        char path[64];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(buf, size, "?");
        snprintf(path, sizeof(path), "/proc/%i/comm", (int) pid);
        f = fopen(path, "re");
        if (!f || !fgets(buf, (int) size, f)) {
                snprintf(buf, size, "?");
                return;
        }
        buf[strcspn(buf, "\n")] = 0;
        /* Any process can name itself anything: no control characters. */
        for (char *c = buf; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = '?';
}
