/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ddi.h"
#include "fileio.h"
#include "sysext-image.h"
#include "sysext-lock.h"
#include "sysext-merge.h"
#include "sysext-mount.h"
#include "util.h"

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif

#define OS_RELEASE_MAX (64u * 1024u)
#define UNMERGE_LOOPS_MAX 64

static const char *const sysext_dirs[] = { "/etc/extensions", "/run/extensions", "/var/lib/extensions" };
static const char *const confext_dirs[] = { "/run/confexts", "/var/lib/confexts", "/usr/local/lib/confexts",
                                            "/usr/lib/confexts" };

const char *ext_image_type_name(ExtImageType t) {
        return t == EXT_IMAGE_DIRECTORY ? "directory" : t == EXT_IMAGE_RAW ? "raw" : "block";
}

static char *hier_env_copy = NULL;

int ext_context_init(ExtContext *ctx, ExtClass c, const char *root) {
        memset(ctx, 0, sizeof(*ctx));
        ctx->cls = c;
        ctx->lock_timeout_usec = EXT_LOCK_TIMEOUT_USEC_DEFAULT;
        if (root && !streq(root, "/")) {
                if (root[0] != '/' || strlen(root) >= sizeof(ctx->root))
                        return -EINVAL;
                strcpy(ctx->root, root);
                size_t l = strlen(ctx->root);
                while (l > 1 && ctx->root[l - 1] == '/')
                        ctx->root[--l] = 0;
        }
        const char *env = getenv(c == EXT_CONFEXT ? "SYSTEMD_CONFEXT_HIERARCHIES" : "SYSTEMD_SYSEXT_HIERARCHIES");
        if (env && *env) {
                free(hier_env_copy);
                hier_env_copy = strdup(env);
                if (!hier_env_copy)
                        return -ENOMEM;
                for (char *save = NULL, *t = strtok_r(hier_env_copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
                        if (t[0] != '/' || streq(t, "/") || strstr(t, "/../") || ctx->n_hierarchies >= EXT_HIERARCHIES_MAX)
                                return -EINVAL;
                        ctx->hierarchies[ctx->n_hierarchies++] = t;
                }
        } else if (c == EXT_CONFEXT)
                ctx->hierarchies[ctx->n_hierarchies++] = "/etc";
        else {
                ctx->hierarchies[ctx->n_hierarchies++] = "/usr";
                ctx->hierarchies[ctx->n_hierarchies++] = "/opt";
        }
        ctx->host.scope = "system";
        ctx->host.arch = ddi_native_arch();
        return 0;
}

void ext_context_done(ExtContext *ctx) {
        for (size_t i = 0; i < ctx->n_images; i++) {
                free(ctx->images[i].name);
                free(ctx->images[i].path);
        }
        free(ctx->images);
        if (ctx->results)
                munmap(ctx->results, EXT_IMAGES_MAX * sizeof(ExtImageResult));
        ctx->images = NULL;
        ctx->results = NULL;
        ctx->n_images = 0;
}

char *ext_hierarchy_path(const ExtContext *ctx, size_t i) {
        return strprintf("%s%s", ctx->root, ctx->hierarchies[i]);
}

int ext_context_load_host(ExtContext *ctx) {
        static const char *const paths[] = { "etc/os-release", "usr/lib/os-release" };
        _cleanup_close_ int rootfd = open(ctx->root[0] ? ctx->root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r = -ENOENT;

        if (rootfd < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *text = NULL;
                size_t n;
                /* /etc/os-release is usually a symlink; below --root it
                 * resolves inside the root, as systemd does. */
                r = read_input_at(rootfd, paths[i], OPEN_INPUT_IN_ROOT, OS_RELEASE_MAX, &text, &n);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                const char *scope = ctx->host.scope, *arch = ctx->host.arch;
                r = host_release_parse(ctx->cls, text, n, &ctx->host);
                ctx->host.scope = scope;
                ctx->host.arch = arch;
                return r;
        }
        return r;
}

static int cmp_image(const void *a, const void *b) {
        return vercmp(((const ExtImage *) a)->name, ((const ExtImage *) b)->name);
}

int ext_discover(ExtContext *ctx) {
        const char *const *dirs = ctx->cls == EXT_CONFEXT ? confext_dirs : sysext_dirs;
        size_t n_dirs = ctx->cls == EXT_CONFEXT ? ELEMENTSOF(confext_dirs) : ELEMENTSOF(sysext_dirs);

        ctx->images = calloc(EXT_IMAGES_MAX, sizeof(ExtImage));
        ctx->results = mmap(NULL, EXT_IMAGES_MAX * sizeof(ExtImageResult), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (!ctx->images || ctx->results == MAP_FAILED) {
                ctx->results = NULL;
                return -ENOMEM;
        }
        for (size_t d = 0; d < n_dirs; d++) {
                _cleanup_free_ char *dir = strprintf("%s%s", ctx->root, dirs[d]);
                if (!dir)
                        return -ENOMEM;
                DIR *dp = opendir(dir);
                if (!dp)
                        continue;
                struct dirent *de;
                while ((de = readdir(dp))) {
                        if (de->d_name[0] == '.')
                                continue;
                        _cleanup_free_ char *path = strprintf("%s/%s", dir, de->d_name), *name = NULL;
                        struct stat st;
                        ExtImageType type;
                        if (!path) {
                                closedir(dp);
                                return -ENOMEM;
                        }
                        if (stat(path, &st) < 0)
                                continue;
                        size_t l = strlen(de->d_name);
                        if (S_ISDIR(st.st_mode)) {
                                type = EXT_IMAGE_DIRECTORY;
                                name = strdup(de->d_name);
                        } else if ((S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) && l > 4 &&
                                   streq(de->d_name + l - 4, ".raw")) {
                                type = S_ISREG(st.st_mode) ? EXT_IMAGE_RAW : EXT_IMAGE_BLOCK;
                                name = strdup(de->d_name);
                                if (!name) {
                                        closedir(dp);
                                        return -ENOMEM;
                                }
                                const char *cls_sfx = ctx->cls == EXT_CONFEXT ? ".confext.raw" : ".sysext.raw";
                                size_t k = strlen(cls_sfx);
                                name[l > k && streq(name + l - k, cls_sfx) ? l - k : l - 4] = 0;
                        } else
                                continue;
                        if (!name) {
                                closedir(dp);
                                return -ENOMEM;
                        }
                        if (!ext_image_name_valid(name))
                                continue;
                        bool shadowed = false;
                        for (size_t i = 0; i < ctx->n_images; i++)
                                if (streq(ctx->images[i].name, name))
                                        shadowed = true;
                        if (shadowed || ctx->n_images >= EXT_IMAGES_MAX)
                                continue;
                        ctx->images[ctx->n_images++] = (ExtImage) {
                                .name = TAKE_PTR(name),
                                .path = TAKE_PTR(path),
                                .type = type,
                                .mtime_usec = (uint64_t) st.st_mtim.tv_sec * 1000000u + (uint64_t) st.st_mtim.tv_nsec / 1000u,
                        };
                }
                closedir(dp);
        }
        qsort(ctx->images, ctx->n_images, sizeof(ExtImage), cmp_image);
        for (size_t i = 0; i < ctx->n_images; i++)
                ctx->images[i].result = ctx->results + i;
        return 0;
}

/* ---- the merge child ---------------------------------------------------- */

typedef struct HierMsg {
        int32_t index;          /* hierarchy, or -1: done */
        int32_t status;         /* 1 overlay fd attached, 0 nothing to merge, <0 -errno */
} HierMsg;

static int send_msg(int sock, int32_t index, int32_t status, int fd) {
        HierMsg m = { index, status };
        struct iovec iov = { &m, sizeof(m) };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (fd >= 0) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int recv_msg(int sock, HierMsg *m, int *ret_fd) {
        struct iovec iov = { m, sizeof(*m) };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        *ret_fd = -1;
        ssize_t k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (k < 0)
                return -errno;
        if (k != sizeof(*m))
                return -EPROTO;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        return 0;
}

static bool dir_nonempty(const char *p) {
        DIR *d = opendir(p);
        if (!d)
                return false;
        struct dirent *de;
        bool any = false;
        while (!any && (de = readdir(d)))
                any = !streq(de->d_name, ".") && !streq(de->d_name, "..");
        closedir(d);
        return any;
}

static int write_text(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        return write_full(fd, text, strlen(text));
}

/* The layer separator itself is not escaped. */
static int append_sep(char **buf, size_t *len) {
        char *n = realloc(*buf, *len + 2);
        if (!n)
                return -ENOMEM;
        n[(*len)++] = ':';
        n[*len] = 0;
        *buf = n;
        return 0;
}

/* Build the overlay for hierarchy i in the workspace; returns a detached
 * clone fd (>=0), -ENOMSG if no extension carries this hierarchy. */
static int build_overlay(ExtContext *ctx, const char *ws, size_t i) {
        _cleanup_free_ char *hier = ext_hierarchy_path(ctx, i), *meta = NULL, *marker = NULL, *names = NULL,
                *opts = NULL, *ovl = NULL, *p = NULL;
        const char *h = ctx->hierarchies[i];
        size_t olen = 0, nlen = 0, layers = 0;
        int r;

        if (!hier)
                return -ENOMEM;
        /* Extension names, ascending (the order of ctx->images). */
        names = strdup("");
        if (!names)
                return -ENOMEM;
        for (size_t k = 0; k < ctx->n_images; k++)
                if (ctx->images[k].result->state == EXT_IMAGE_MERGED) {
                        char *n = strprintf("%s%s\n", names, ctx->images[k].name);
                        if (!n)
                                return -ENOMEM;
                        free(names);
                        names = n;
                        nlen++;
                }

        meta = strprintf("%s/meta%s", ws, h);
        marker = meta ? strprintf("%s/%s", meta, ext_marker_dir(ctx->cls)) : NULL;
        if (!marker)
                return -ENOMEM;
        r = mkdir_p(marker, 0755);
        if (r < 0)
                return r;
        p = strprintf("%s/%s", marker, ext_marker_names(ctx->cls));
        if (!p)
                return -ENOMEM;
        r = write_text(p, names);
        if (r < 0)
                return r;

        opts = strdup("lowerdir=");
        if (!opts)
                return -ENOMEM;
        olen = strlen(opts);
        r = overlay_escape_append(&opts, &olen, meta);
        if (r < 0)
                return r;
        /* Highest-sorting name on top: it wins conflicts. */
        for (size_t k = ctx->n_images; k-- > 0;) {
                if (ctx->images[k].result->state != EXT_IMAGE_MERGED)
                        continue;
                _cleanup_free_ char *layer = strprintf("%s/ext/%s%s", ws, ctx->images[k].name, h);
                if (!layer)
                        return -ENOMEM;
                if (!dir_nonempty(layer))
                        continue;
                if (append_sep(&opts, &olen) < 0)
                        return -ENOMEM;
                r = overlay_escape_append(&opts, &olen, layer);
                if (r < 0)
                        return r;
                layers++;
        }
        if (layers == 0)
                return -ENOMSG;
        if (dir_nonempty(hier)) {
                if (append_sep(&opts, &olen) < 0)
                        return -ENOMEM;
                r = overlay_escape_append(&opts, &olen, hier);
                if (r < 0)
                        return r;
        }

        /* The merged root keeps the host hierarchy's mode. */
        struct stat st;
        if (stat(hier, &st) == 0)
                (void) chmod(meta, st.st_mode & 07777);
        else
                (void) chmod(meta, 0755);

        ovl = strprintf("%s/overlay%s", ws, h);
        if (!ovl)
                return -ENOMEM;
        r = mkdir_p(ovl, 0755);
        if (r < 0)
                return r;
        unsigned long flags = MS_RDONLY | MS_NODEV;
        if (ctx->cls == EXT_CONFEXT)
                flags |= MS_NOSUID | MS_NOEXEC;
        if (mount(ext_class_name(ctx->cls), ovl, "overlay", flags, opts) < 0)
                return -errno;

        /* Ownership marker: the overlay's device number, written into the
         * (top) meta layer so that it shows up inside the merged tree. */
        if (stat(ovl, &st) < 0)
                return -errno;
        _cleanup_free_ char *devfile = strprintf("%s/dev", marker),
                *devtext = strprintf("%u:%u", major(st.st_dev), minor(st.st_dev));
        if (!devfile || !devtext)
                return -ENOMEM;
        r = write_text(devfile, devtext);
        if (r < 0)
                return r;
        (void) utimensat(AT_FDCWD, meta, NULL, 0);

        int fd = open_tree(AT_FDCWD, ovl, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int child_run(ExtContext *ctx, const char *ws, int sock) {
        int r, failed = 0;

        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        /* Nothing from here on may propagate back to the caller's namespace. */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return -errno;
        if (mount("ukit-ext", ws, "tmpfs", MS_NODEV | MS_NOSUID, "mode=0700") < 0)
                return -errno;
        if (mount(NULL, ws, NULL, MS_PRIVATE, NULL) < 0)
                return -errno;
        ext_test_point("child-started");

        for (size_t k = 0; k < ctx->n_images; k++) {
                _cleanup_free_ char *mnt = strprintf("%s/ext/%s", ws, ctx->images[k].name);
                if (!mnt)
                        return -ENOMEM;
                if (ext_image_attach(ctx, ctx->images + k, mnt) < 0)
                        failed++;
        }
        if (failed && ctx->strict)
                return -ECANCELED;

        /* Uncover the bare hierarchies (in this namespace only). */
        for (size_t i = 0; i < ctx->n_hierarchies; i++) {
                _cleanup_free_ char *hier = ext_hierarchy_path(ctx, i);
                if (!hier)
                        return -ENOMEM;
                for (int n = 0; n < UNMERGE_LOOPS_MAX && ext_is_our_mount(ctx->cls, hier) > 0; n++)
                        if (umount2(hier, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                                return -errno;
        }

        for (size_t i = 0; i < ctx->n_hierarchies; i++) {
                int fd = build_overlay(ctx, ws, i);
                if (fd >= 0)
                        ext_test_point("overlay-built");
                if (fd == -ENOMSG)
                        r = send_msg(sock, (int32_t) i, 0, -1);
                else if (fd < 0)
                        r = send_msg(sock, (int32_t) i, fd, -1);
                else {
                        r = send_msg(sock, (int32_t) i, 1, fd);
                        close(fd);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int unmerge_one(ExtClass c, const char *hier) {
        int n = 0, r;
        while ((r = ext_is_our_mount(c, hier)) > 0) {
                if (n++ >= UNMERGE_LOOPS_MAX)
                        return -ELOOP;
                if (umount2(hier, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                        return -errno;
        }
        return r < 0 ? r : n > 0;
}

/* Put the detached overlay fd at hier: beneath the old merge and then drop
 * the old one (atomic for readers), or directly when nothing is merged. */
static int switch_in(ExtContext *ctx, const char *hier, int fd) {
        struct stat st;
        /* A symlinked hierarchy below --root could point anywhere on the host. */
        if (lstat(hier, &st) == 0 && S_ISLNK(st.st_mode))
                return -ELOOP;
        int r = ext_is_our_mount(ctx->cls, hier);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r > 0) {
                if (move_mount(fd, "", AT_FDCWD, hier, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_BENEATH) == 0) {
                        if (umount2(hier, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                                return -errno;
                        return 0;
                }
                /* Old kernel: stack on top instead (still one atomic step for
                 * readers); unmerge removes every stacked layer. */
        }
        r = mkdir_p(hier, 0755);
        if (r < 0)
                return r;
        if (move_mount(fd, "", AT_FDCWD, hier, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

void ext_test_point(const char *name) {
        const char *e = getenv("UKIT_TEST_STOP_AT");
        if (e && streq(e, name))
                (void) raise(SIGSTOP);
}

static int take_lock(ExtContext *ctx) {
        int fd = ext_lock_take(ctx->cls, ctx->lock_timeout_usec, &ctx->lock_holder);
        if (fd >= 0)
                ext_test_point("locked");
        return fd;
}

int ext_merge(ExtContext *ctx, bool refresh, unsigned *ret_merged) {
        _cleanup_free_ char *ws = NULL;
        int sv[2], r, status;
        unsigned merged = 0;
        bool got[EXT_HIERARCHIES_MAX] = {};
        _cleanup_close_ int lock = take_lock(ctx);

        if (lock < 0)
                return lock;
        /* A merge killed inside libcryptsetup can leave an unused device. */
        (void) verity_remove_stale(ext_dm_prefix(ctx->cls));
        if (!refresh)
                for (size_t i = 0; i < ctx->n_hierarchies; i++) {
                        _cleanup_free_ char *hier = ext_hierarchy_path(ctx, i);
                        if (!hier)
                                return -ENOMEM;
                        if (ext_is_our_mount(ctx->cls, hier) > 0)
                                return -EBUSY;
                }

        ext_test_point("swept");

        ws = ext_workspace_path(ctx->cls);
        if (!ws)
                return -ENOMEM;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0) {
                /* The child keeps the lock: while it lives it may still
                 * create loop and dm devices, so no other merge or sweep
                 * may start. It must therefore not outlive the parent. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(1);
                close(sv[0]);
                r = child_run(ctx, ws, sv[1]);
                (void) send_msg(sv[1], -1, r, -1);
                _exit(r < 0 ? 1 : 0);
        }
        close(sv[1]);

        int result = 0;
        for (;;) {
                HierMsg m;
                int fd;
                r = recv_msg(sv[0], &m, &fd);
                if (r < 0 || m.index < 0) {
                        if (r < 0)
                                result = r;
                        else if (m.status < 0)
                                result = m.status;
                        if (fd >= 0)
                                close(fd);
                        break;
                }
                if (m.index >= (int32_t) ctx->n_hierarchies) {
                        if (fd >= 0)
                                close(fd);
                        result = -EPROTO;
                        break;
                }
                got[m.index] = true;
                _cleanup_free_ char *hier = ext_hierarchy_path(ctx, (size_t) m.index);
                if (!hier) {
                        if (fd >= 0)
                                close(fd);
                        if (result == 0)
                                result = -ENOMEM;
                        continue;
                }
                if (m.status == 1 && fd >= 0) {
                        ext_test_point(merged == 0 ? "parent-received" : "parent-switched");
                        r = switch_in(ctx, hier, fd);
                        close(fd);
                        if (r < 0 && result == 0)
                                result = r;
                        if (r >= 0)
                                merged++;
                } else if (m.status == 0) {
                        r = unmerge_one(ctx->cls, hier);     /* refresh with nothing left */
                        if (r < 0 && result == 0)
                                result = r;
                } else if (result == 0)
                        result = m.status < 0 ? m.status : -EPROTO;
        }
        close(sv[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (result == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                result = -EPROTO;
        for (size_t i = 0; result == 0 && i < ctx->n_hierarchies; i++)
                if (!got[i])
                        result = -EPROTO;
        *ret_merged = merged;
        return result;
}

int ext_unmerge(ExtContext *ctx) {
        _cleanup_close_ int lock = take_lock(ctx);
        int n = 0;

        if (lock < 0)
                return lock;
        (void) verity_remove_stale(ext_dm_prefix(ctx->cls));
        for (size_t i = 0; i < ctx->n_hierarchies; i++) {
                _cleanup_free_ char *hier = ext_hierarchy_path(ctx, i);
                if (!hier)
                        return -ENOMEM;
                int r = unmerge_one(ctx->cls, hier);
                if (r < 0)
                        return r;
                n += r;
        }
        return n;
}

int ext_hierarchy_status(ExtContext *ctx, size_t i, bool *ret_merged, char **ret_names, uint64_t *ret_since) {
        _cleanup_free_ char *hier = ext_hierarchy_path(ctx, i), *p = NULL, *text = NULL;
        size_t n;
        struct stat st;
        int r;

        if (!hier)
                return -ENOMEM;
        r = ext_is_our_mount(ctx->cls, hier);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r <= 0) {
                *ret_merged = false;
                *ret_names = NULL;
                *ret_since = 0;
                return 0;
        }
        p = strprintf("%s/%s", ext_marker_dir(ctx->cls), ext_marker_names(ctx->cls));
        if (!p)
                return -ENOMEM;
        r = ext_read_marker(hier, p, 1024 * 1024, &text, &n);
        if (r == -ENOENT && ctx->cls == EXT_CONFEXT) {
                /* a confext merge made by an older ukit */
                free(p);
                p = strprintf("%s/extensions", ext_marker_dir(ctx->cls));
                if (!p)
                        return -ENOMEM;
                r = ext_read_marker(hier, p, 1024 * 1024, &text, &n);
        }
        if (r < 0)
                return r;
        if (stat(hier, &st) < 0)
                return -errno;
        *ret_merged = true;
        *ret_names = TAKE_PTR(text);
        *ret_since = (uint64_t) st.st_mtim.tv_sec * 1000000u + (uint64_t) st.st_mtim.tv_nsec / 1000u;
        return 0;
}
