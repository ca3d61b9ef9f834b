/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig-cleanup.h"
#include "util.h"

/* The handler may run in any thread, at any point of the main program:
 * every shared word is a lock-free atomic, and a slot belongs to whoever
 * exchanges its pointer out (the handler, or sig_cleanup_remove()). */
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "the signal handler needs lock-free pointers");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free ints");

/* Each entry is "f/path" or "d/path": the kind travels with the pointer. */
static char *_Atomic slots[SIG_CLEANUP_SLOTS];
static _Atomic pid_t child_pid;
static _Atomic pid_t owner_pid;         /* a forked child must not clean up its parent's files */
static _Atomic bool installed;

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

#define RM_RF_DEPTH_MAX 256u

struct linux_dirent64_hdr {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

/* Remove everything inside the directory dfd. getdents64() + unlinkat():
 * async-signal-safe, no allocation, one small buffer per level. Passes are
 * repeated until one finds nothing, since removing entries while reading a
 * directory may make readdir skip some on some file systems. */
static int rm_children(int dfd, unsigned depth) {
        _Alignas(8) char buf[1024];
        int r = 0;

        for (;;) {
                bool removed = false;
                if (lseek(dfd, 0, SEEK_SET) < 0)
                        return -errno;
                for (;;) {
                        long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (n == 0)
                                break;
                        for (long off = 0; off < n; ) {
                                const struct linux_dirent64_hdr *de = (const void *) (buf + off);
                                const char *name = de->d_name;
                                off += de->d_reclen;
                                if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
                                        continue;
                                if (de->d_type != DT_DIR && unlinkat(dfd, name, 0) == 0) {
                                        removed = true;
                                        continue;
                                }
                                if (de->d_type != DT_DIR && errno != EISDIR) {
                                        if (errno != ENOENT && r == 0)
                                                r = -errno;
                                        continue;
                                }
                                if (depth >= RM_RF_DEPTH_MAX) {
                                        if (r == 0)
                                                r = -ELOOP;
                                        continue;
                                }
                                int cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                if (cfd < 0) {
                                        if (errno != ENOENT && r == 0)
                                                r = -errno;
                                        continue;
                                }
                                int k = rm_children(cfd, depth + 1);
                                close(cfd);
                                if (k < 0 && r == 0)
                                        r = k;
                                if (unlinkat(dfd, name, AT_REMOVEDIR) == 0)
                                        removed = true;
                                else if (errno != ENOENT && r == 0)
                                        r = -errno;
                        }
                }
                if (!removed || r < 0)
                        return r;
        }
}

int rm_rf_sigsafe(const char *path) {
        int fd, r;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOTDIR || errno == ELOOP)
                        return unlink(path) < 0 ? -errno : 0;
                return errno == ENOENT ? 0 : -errno;
        }
        r = rm_children(fd, 0);
        close(fd);
        if (rmdir(path) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

static void handler(int sig) {
        int saved_errno = errno;
        pid_t c = atomic_load(&child_pid);

        if (getpid() == atomic_load(&owner_pid)) {
                /* The child cleans up after itself (it has these handlers
                 * too); its files must be gone before ours are, and the
                 * parent must not exit while the child still writes. */
                if (c > 0 && kill(c, sig) == 0)
                        while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
                                ;
                for (size_t i = 0; i < SIG_CLEANUP_SLOTS; i++) {
                        char *p = atomic_exchange(&slots[i], NULL);
                        if (!p)
                                continue;
                        if (p[0] == 'd')
                                (void) rm_rf_sigsafe(p + 1);
                        else
                                (void) unlink(p + 1);
                        /* not freed: free() is not async-signal-safe */
                }
        }
        /* SA_RESETHAND made the action the default one; the signal is
         * blocked until we return, then it ends the process. */
        (void) raise(sig);
        errno = saved_errno;
}

int sig_cleanup_install(void) {
        struct sigaction sa = {
                .sa_handler = handler,
                .sa_flags = SA_RESETHAND,
        };

        if (atomic_exchange(&installed, true))
                return 0;
        atomic_store(&owner_pid, getpid());
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(handled_signals); i++)
                sigaddset(&sa.sa_mask, handled_signals[i]);
        for (size_t i = 0; i < ELEMENTSOF(handled_signals); i++) {
                struct sigaction old;
                if (sigaction(handled_signals[i], NULL, &old) < 0)
                        return -errno;
                /* Keep an inherited "ignore" (nohup, a parent that ignores SIGPIPE). */
                if (old.sa_handler == SIG_IGN)
                        continue;
                if (sigaction(handled_signals[i], &sa, NULL) < 0)
                        return -errno;
        }
        return 0;
}

int sig_cleanup_add(const char *path, bool directory) {
        size_t l = strlen(path);
        char *p = malloc(l + 2);

        if (!p)
                return -ENOMEM;
        p[0] = directory ? 'd' : 'f';
        memcpy(p + 1, path, l + 1);
        for (size_t i = 0; i < SIG_CLEANUP_SLOTS; i++) {
                char *expected = NULL;
                if (atomic_compare_exchange_strong(&slots[i], &expected, p))
                        return (int) i;
        }
        free(p);
        return -ENOSPC;
}

void sig_cleanup_remove(int slot) {
        if (slot < 0 || slot >= SIG_CLEANUP_SLOTS)
                return;
        free(atomic_exchange(&slots[slot], NULL));
}

void sig_cleanup_set_child(pid_t pid) {
        atomic_store(&child_pid, pid);
}

void sig_cleanup_block(sigset_t *ret_old) {
        sigset_t set;

        sigemptyset(&set);
        for (size_t i = 0; i < ELEMENTSOF(handled_signals); i++)
                sigaddset(&set, handled_signals[i]);
        (void) pthread_sigmask(SIG_BLOCK, &set, ret_old);
}

void sig_cleanup_restore(const sigset_t *old) {
        (void) pthread_sigmask(SIG_SETMASK, old, NULL);
}

int sig_cleanup_spawn_wait(const char *path, bool search_path, const posix_spawn_file_actions_t *fa,
                           char *const argv[]) {
        extern char **environ;
        posix_spawnattr_t attr;
        sigset_t old;
        pid_t pid;
        int r, status;

        r = posix_spawnattr_init(&attr);
        if (r != 0)
                return -r;
        /* The child must be known before a signal can be handled, and it
         * starts with the mask we had. */
        sig_cleanup_block(&old);
        (void) posix_spawnattr_setsigmask(&attr, &old);
        (void) posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        r = search_path ? posix_spawnp(&pid, path, fa, &attr, argv, environ)
                        : posix_spawn(&pid, path, fa, &attr, argv, environ);
        if (r == 0)
                sig_cleanup_set_child(pid);
        sig_cleanup_restore(&old);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        sig_cleanup_set_child(0);
                        return r;
                }
        sig_cleanup_set_child(0);
        return status;
}
