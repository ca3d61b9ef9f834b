/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fileio.h"
#include "sig-cleanup.h"
#include "update-decompress.h"
#include "update-install.h"
#include "update-partition.h"
#include "update-remote.h"
#include "update-subvolume.h"
#include "update-tar.h"
#include "util.h"

#define TEMP_PREFIX ".#ukit-update-"
#define SHA256SUMS_MAX (1024u * 1024u)
#define COPY_BUFFER (1024u * 1024u)
#define COPY_DEPTH_MAX 64u

struct UpdatePending {
        size_t n;
        AtomicFile *files;      /* regular-file targets */
        char **temp_dirs;       /* directory targets: the temporary tree */
        int *slots;             /* sig_cleanup slot of temp_dirs, or -1 */
        char **final;           /* final paths (partition targets: fdisk's partition name) */
        mode_t *modes;
        bool *is_slot;          /* partition targets: the payload is in slots[i], still "_empty" */
        bool *present;          /* the target has this version already (a set cut short) */
        bool *read_only;        /* tree targets: ReadOnly=yes (or @r) */
        GptPartition *entries;  /* ... and the entry it gets at install */
};

int update_lock(const UpdateContext *c, int **ret_fds, UkitError *err) {
        size_t n = c->defs.n_transfers;
        int *fds = malloc(n * sizeof(int));

        if (!fds)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                fds[i] = -1;
        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                int r;

                for (size_t j = 0; j < i; j++)
                        seen = seen || streq(c->target_dirs[i], c->target_dirs[j]);
                if (seen)
                        continue;
                if (c->defs.transfers[i].target.type == UPDATE_RESOURCE_PARTITION) {
                        /* the disk itself, as udev and systemd-repart lock it */
                        fds[i] = open(c->target_dirs[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        r = fds[i] < 0 ? -errno : 0;
                } else if ((r = mkdir_p(c->target_dirs[i], 0755)) >= 0) {
                        fds[i] = open(c->target_dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        r = fds[i] < 0 ? -errno : 0;
                }
                if (r >= 0 && flock(fds[i], LOCK_EX | LOCK_NB) < 0)
                        r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                if (r < 0) {
                        update_unlock(fds, n);
                        ukit_error(err, r, r == -EBUSY ? "another update is running on it" : "cannot lock: %s",
                                   strerror(-r));
                        return ukit_error_where(err, r, c->target_dirs[i], UKIT_ERROR_NO_OFFSET);
                }
        }
        *ret_fds = fds;
        return 0;
}

void update_unlock(int *fds, size_t n) {
        if (!fds)
                return;
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        free(fds);
}

static void remove_temporaries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                if (!startswith(de->d_name, TEMP_PREFIX) && !startswith(de->d_name, ".#sysupdate"))
                        continue;
                p = strprintf("%s/%s", dir, de->d_name);
                if (!p)
                        break;          /* best effort: left for the next run */
                (void) update_tree_remove(p);   /* subvolumes (read-only ones too), trees, files */
        }
        closedir(d);
}

static int remove_instance(const UpdateInstance *in) {
        if (in->is_dir)
                return update_tree_remove(in->path);
        return unlink(in->path) < 0 ? -errno : 0;
}

/* Remove one installed instance (a slot: relabel it "_empty"), report it
 * through fn, and mark it gone (kept in the list for the version table). */
static int remove_one(const char *dir, bool part, UpdateInstance *in, UpdateRemovedFn fn, void *userdata,
                      UkitError *err) {
        int r;

        if (part) {
                r = update_partition_empty(dir, in, err);
                if (r < 0)
                        return r;
        } else if ((r = remove_instance(in)) < 0 && r != -ENOENT) {   /* gone already: another run's work */
                ukit_error(err, r, "cannot remove: %s", strerror(-r));
                return ukit_error_where(err, r, in->path, UKIT_ERROR_NO_OFFSET);
        }
        if (fn)
                fn(in->path, userdata);
        free(in->path);
        in->path = NULL;
        return 0;
}

/* As 257 counts partition slots: the "_empty" ones make room first, and
 * one instance always stays. */
static int partition_limit(const UpdateContext *c, size_t i, uint64_t space, uint64_t *limit, UkitError *err) {
        uint64_t n = c->installed[i].n, empty = c->n_empty[i], rm, remain;

        for (size_t k = 0; k < c->installed[i].n; k++)
                n -= !c->installed[i].items[k].path;    /* already emptied in this run */
        if (empty + n < 2 || space >= empty + n) {
                ukit_error(err, -ENOSPC, empty + n < 2 ? "less than two partition slots of the target's type"
                                                       : "not enough partition slots of the target's type");
                return ukit_error_where(err, -ENOSPC, c->target_dirs[i], UKIT_ERROR_NO_OFFSET);
        }
        rm = space > empty ? space - empty : 0;
        remain = n > rm ? n - rm : 0;
        *limit = MIN(*limit, remain);
        return 0;
}

int update_vacuum(UpdateContext *c, uint64_t space, const char *extra_protected, UpdateRemovedFn fn,
                  void *userdata, UkitError *err) {
        int removed = 0;

        for (size_t i = 0; i < c->defs.n_transfers; i++) {
                UpdateInstances *l = &c->installed[i];
                uint64_t max = update_context_instances_max(c, i), limit = max > space ? max - space : 0;
                size_t count = l->n;
                bool part = c->defs.transfers[i].target.type == UPDATE_RESOURCE_PARTITION;
                int r, here = 0;

                /* as 257: no room is made where the version is there already */
                if (extra_protected && update_instances_find(l, extra_protected))
                        continue;
                if (part && (r = partition_limit(c, i, space, &limit, err)) < 0)
                        return r;
                if (c->defs.transfers[i].remove_temporary && !part)
                        remove_temporaries(c->target_dirs[i]);
                /* oldest first: the list is newest first */
                for (size_t k = l->n; k > 0 && count > limit; k--) {
                        UpdateInstance *in = &l->items[k - 1];

                        if (!in->path || update_context_is_protected(&c->defs.transfers[i], in->meta.version, extra_protected))
                                continue;
                        if ((r = remove_one(c->target_dirs[i], part, in, fn, userdata, err)) < 0)
                                return r;
                        if (part)
                                c->n_empty[i]++;
                        count--;
                        here++;
                }
                removed = MAX(removed, here);   /* 257 reports the most of one transfer */
                /* all that is left may be protected: 257 goes on, keeping
                 * more than InstancesMax= (a partition target then needs
                 * a free slot, or the update fails there) */
        }
        /* the transfers of disabled features lose every unprotected instance */
        for (size_t i = 0; i < c->disabled.n_transfers; i++) {
                const UpdateTransfer *t = &c->disabled.transfers[i];
                UpdateInstances *l = &c->disabled_installed[i];
                int r;

                for (size_t k = l->n; k > 0; k--) {
                        UpdateInstance *in = &l->items[k - 1];

                        if (!in->path || update_context_is_protected(t, in->meta.version, NULL))
                                continue;
                        r = remove_one(c->disabled_dirs[i], t->target.type == UPDATE_RESOURCE_PARTITION, in, fn,
                                       userdata, err);
                        if (r < 0)
                                return r;
                }
        }
        return removed;
}

/* The SHA-256 SHA256SUMS lists for name: 1 found, 0 not listed or no file. */
static int sha256sums_lookup(const char *dir, const char *name, uint8_t out[32]) {
        _cleanup_free_ char *path = strprintf("%s/SHA256SUMS", dir), *text = NULL;
        char *save = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_input_at(AT_FDCWD, path, 0, SHA256SUMS_MAX, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                const char *f;
                if (strlen(l) < 66 || l[64] != ' ')
                        continue;
                f = l + 65;
                if (*f == ' ' || *f == '*')
                        f++;
                if (streq(f, name))
                        return unhexmem(l, 64, out, 32) < 0 ? -EBADMSG : 1;
        }
        return 0;
}

static int copy_fd_hashed(int in, int out, uint8_t digest[32], uint64_t *ret_size) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_free_ uint8_t *buf = malloc(COPY_BUFFER);
        uint64_t total = 0;
        int r = 0;

        if (!md || !buf || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
                EVP_MD_CTX_free(md);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t n = read(in, buf, COPY_BUFFER);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                EVP_DigestUpdate(md, buf, n);
                if (out >= 0 && (r = write_full(out, buf, n)) < 0)
                        break;
                total += n;
        }
        if (r >= 0)
                EVP_DigestFinal_ex(md, digest, NULL);
        EVP_MD_CTX_free(md);
        if (ret_size)
                *ret_size = total;
        return r;
}

/* The metadata of the new instance: the source's, with the target's
 * settings on top. As sysupdate 257 does: unset tries are 3 left, 0 done
 * (systemd-boot's usual start); mode and mtime come from the source file;
 * size and SHA-256 only from the source's name. */
static void target_meta(const UpdateTransfer *t, const UpdateInstance *src, UpdateMeta *m) {
        *m = src->meta;
        m->tries_left = t->tries_left != UPDATE_UNSET ? t->tries_left : 3;
        m->tries_done = t->tries_done != UPDATE_UNSET ? t->tries_done : 0;
        if (t->mode != UPDATE_UNSET)
                m->mode = t->mode;
        else if (m->mode == UPDATE_UNSET)
                m->mode = src->mode;
        if (t->no_auto >= 0)
                m->no_auto = t->no_auto;
        if (t->growfs >= 0)
                m->growfs = t->growfs;
        if (t->read_only >= 0)
                m->read_only = t->read_only;
        if (m->mtime_usec == UPDATE_UNSET)
                m->mtime_usec = src->mtime_usec;
        if (t->has_partition_uuid) {
                m->has_uuid = true;
                memcpy(m->uuid, t->partition_uuid, 16);
        }
        if (t->partition_flags != UPDATE_UNSET)
                m->flags = t->partition_flags;
}

static bool source_is_url(const UpdateTransfer *t) {
        return t->source.type == UPDATE_RESOURCE_URL_FILE || t->source.type == UPDATE_RESOURCE_URL_TAR;
}

/* The source's bytes as a readable fd: the file, or for a URL the
 * download in an unnamed file next to the target; nothing is named
 * before the SHA-256 is checked. (A partition target takes a URL's body
 * straight into its slot, without this.) */
static int open_source(const UpdateContext *c, size_t i, const UpdateInstance *src, UkitError *err) {
        const UpdateTransfer *t = &c->defs.transfers[i];
        const char *dir = c->target_dirs[i];
        _cleanup_close_ int in = -1;
        int r;

        if (!source_is_url(t)) {
                in = open_input_at(AT_FDCWD, src->path, OPEN_INPUT_NOFOLLOW, 0, NULL);
                if (in < 0) {
                        ukit_error(err, in, "cannot open: %s", input_strerror(in));
                        return ukit_error_where(err, in, src->path, UKIT_ERROR_NO_OFFSET);
                }
                return TAKE_FD(in);
        }
        in = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (in < 0) {
                ukit_error(err, -errno, "cannot create a download file: %s", strerror(errno));
                return ukit_error_where(err, -errno, dir, UKIT_ERROR_NO_OFFSET);
        }
        r = update_http_get_fd(src->path, in, err);
        if (r < 0)
                return r;
        if (lseek(in, 0, SEEK_SET) < 0)
                return ukit_error(err, -errno, "lseek: %s", strerror(errno));
        return TAKE_FD(in);
}

/* 0 if digest is what SHA256SUMS (local or the url's) and the name's @h
 * say, where they say anything. */
static int check_digest(const UpdateContext *c, size_t i, const UpdateInstance *src, const uint8_t digest[32],
                        UkitError *err) {
        uint8_t listed[32];
        int r;

        if (src->has_listed)
                r = memcmp(src->listed, digest, 32) != 0 ? 1 : 0;
        else if ((r = sha256sums_lookup(c->source_dirs[i], src->name, listed)) > 0)
                r = memcmp(listed, digest, 32) != 0;
        if (r < 0) {
                ukit_error(err, r, "cannot read SHA256SUMS: %s", input_strerror(r));
                return ukit_error_where(err, r, c->source_dirs[i], UKIT_ERROR_NO_OFFSET);
        }
        if (r > 0 || (src->meta.has_sha256 && memcmp(src->meta.sha256, digest, 32) != 0)) {
                ukit_error(err, -EBADMSG, "SHA-256 does not match %s", r > 0 ? "SHA256SUMS" : "its name");
                return ukit_error_where(err, -EBADMSG, src->path, UKIT_ERROR_NO_OFFSET);
        }
        return 0;
}

/* The slots earlier transfers of this run took on the same disk. */
static size_t busy_slots(const UpdateContext *c, const UpdatePending *p, size_t i, unsigned *busy) {
        size_t n = 0;
        for (size_t k = 0; k < i; k++)
                if (p->is_slot[k] && streq(c->target_dirs[k], c->target_dirs[i]))
                        busy[n++] = p->entries[k].index;
        return n;
}

/* The payload goes into a slot that stays "_empty": a local source from
 * its file, a URL's body as it arrives (no temporary copy). */
typedef struct DigestCheck {
        const UpdateContext *c;
        size_t i;
        const UpdateInstance *src;
} DigestCheck;

static int slot_digest_check(const uint8_t digest[32], const void *userdata, UkitError *err) {
        const DigestCheck *d = userdata;
        return check_digest(d->c, d->i, d->src, digest, err);
}

static int acquire_partition(const UpdateContext *c, size_t i, const UpdateInstance *src, const UpdateMeta *m,
                             const char *label, UpdatePending *p, UkitError *err) {
        const UpdateTransfer *t = &c->defs.transfers[i];
        _cleanup_free_ unsigned *busy = calloc(i + 1, sizeof(unsigned));
        _cleanup_close_ int in = -1;
        const DigestCheck check = { c, i, src };
        int r;

        if (!busy)
                return -ENOMEM;
        if (!source_is_url(t)) {
                in = open_source(c, i, src, err);
                if (in < 0)
                        return in;
        }
        /* a slot whose payload does not match stays "_empty" */
        r = update_partition_acquire(t, c->target_dirs[i], in, source_is_url(t) ? src->path : NULL, m, label, busy,
                                     busy_slots(c, p, i, busy), slot_digest_check, &check, &p->entries[i], err);
        if (r < 0)
                return r;
        p->final[i] = update_partition_name(c->target_dirs[i], p->entries[i].index + 1);
        if (!p->final[i])
                return -ENOMEM;
        p->is_slot[i] = true;
        return 0;
}

/* The source's bytes (decompressed) into out: a local file copied, a
 * URL's body as it arrives (no download copy). *ret_own: a failure whose
 * reason is in err already (opening the file, the transfer). */
static int copy_source(const UpdateContext *c, size_t i, const UpdateInstance *src, int out, uint8_t digest[32],
                       bool *ret_own, UkitError *err) {
        _cleanup_close_ int in = -1;
        UpdateStream *stream = NULL;
        int r;

        *ret_own = false;
        if (!source_is_url(&c->defs.transfers[i])) {
                in = open_source(c, i, src, err);
                *ret_own = in < 0;
                return in < 0 ? in : update_copy_decompress(in, out, digest, NULL);
        }
        r = update_stream_new(out, &stream);
        if (r < 0)
                return r;
        r = update_http_get_stream(src->path, stream, digest, ret_own, err);
        update_stream_free(stream);
        return r;
}

static int acquire_file(const UpdateContext *c, size_t i, const UpdateInstance *src, UpdatePending *p,
                        UkitError *err) {
        const UpdateTransfer *t = &c->defs.transfers[i];
        _cleanup_free_ char *name = NULL;
        uint8_t digest[32];
        UpdateMeta m;
        bool own;
        int r;

        target_meta(t, src, &m);
        r = update_pattern_format(&t->target.patterns[0], &m, &name, err);
        if (r < 0)
                return ukit_error_where(err, r, t->file, UKIT_ERROR_NO_OFFSET);
        if (t->target.type == UPDATE_RESOURCE_PARTITION)
                return acquire_partition(c, i, src, &m, name, p, err);
        p->final[i] = strprintf("%s/%s", c->target_dirs[i], name);
        if (!p->final[i])
                return -ENOMEM;
        p->modes[i] = m.mode != UPDATE_UNSET ? (mode_t) m.mode : 0644;
        if (m.read_only > 0)
                p->modes[i] &= ~(mode_t) 0222;         /* ReadOnly=yes, as 257: no write bits */
        r = atomic_file_open(&p->files[i], p->final[i]);
        if (r < 0) {
                ukit_error(err, r, "cannot create a temporary file: %s", strerror(-r));
                return ukit_error_where(err, r, c->target_dirs[i], UKIT_ERROR_NO_OFFSET);
        }
        r = copy_source(c, i, src, p->files[i].fd, digest, &own, err);
        if (r < 0 && own)
                return r;
        if (r < 0) {
                ukit_error(err, r, r == -EBADMSG ? "damaged or truncated compressed data" : "cannot copy: %s", strerror(-r));
                return ukit_error_where(err, r, src->path, UKIT_ERROR_NO_OFFSET);
        }
        r = check_digest(c, i, src, digest, err);
        if (r < 0)
                return r;
        if (fsync(p->files[i].fd) < 0)
                return ukit_error(err, -errno, "fsync: %s", strerror(errno));
        return 0;
}

static int copy_tree(int src_dir, int dst_dir, unsigned depth);

static int copy_entry(int src_dir, int dst_dir, const char *name, unsigned depth) {
        struct stat st;
        int r = 0;

        if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int s = -1, d = -1;
                if (mkdirat(dst_dir, name, 0700) < 0)
                        return -errno;
                s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                d = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0 || d < 0)
                        return -errno;
                r = copy_tree(s, d, depth + 1);
                if (r >= 0 && fchmod(d, st.st_mode & 07777) < 0)
                        r = -errno;
                return r;
        }
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = 0;
                return symlinkat(target, dst_dir, name) < 0 ? -errno : 0;
        }
        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                _cleanup_close_ int out = -1;
                uint8_t digest[32];
                if (in < 0)
                        return -errno;
                out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0)
                        return -errno;
                r = copy_fd_hashed(in, out, digest, NULL);
                if (r >= 0 && fchmod(out, st.st_mode & 07777) < 0)
                        r = -errno;
                return r;      /* synced with the whole tree (syncfs) before its rename */
        }
        return 0;      /* devices, FIFOs and sockets are not copied */
}

static int copy_tree(int src_dir, int dst_dir, unsigned depth) {
        int fd;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > COPY_DEPTH_MAX)
                return -ELOOP;
        fd = dup(src_dir);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while (r >= 0 && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = copy_entry(src_dir, dst_dir, de->d_name, depth);
        closedir(d);
        return r;
}

/* A tar source unpacked into the temporary directory; its "./" entry (if
 * any) gives the directory's mode, else 0755, unless Mode= is set. */
static int acquire_tar(const UpdateContext *c, size_t i, const UpdateInstance *src, UpdatePending *p,
                       UkitError *err) {
        const UpdateTransfer *t = &c->defs.transfers[i];
        _cleanup_close_ int in = -1;
        uint8_t digest[32];
        struct stat st;
        int r;

        in = open_source(c, i, src, err);      /* url-tar: downloaded first, unnamed */
        if (in < 0)
                return in;
        if (chmod(p->temp_dirs[i], 0755) < 0)
                return ukit_error(err, -errno, "chmod: %s", strerror(errno));
        r = update_tar_extract(in, p->temp_dirs[i], digest, err);
        if (r < 0)
                return ukit_error_where(err, r, src->path, UKIT_ERROR_NO_OFFSET);
        r = check_digest(c, i, src, digest, err);
        if (r < 0)
                return r;
        if (t->mode == UPDATE_UNSET) {
                if (stat(p->temp_dirs[i], &st) < 0)
                        return ukit_error(err, -errno, "stat: %s", strerror(errno));
                p->modes[i] = st.st_mode & 07777;
        }
        if (chmod(p->temp_dirs[i], p->modes[i]) < 0)
                return ukit_error(err, -errno, "chmod: %s", strerror(errno));
        return 0;
}

static int acquire_dir(const UpdateContext *c, size_t i, const UpdateInstance *src, UpdatePending *p,
                       UkitError *err) {
        const UpdateTransfer *t = &c->defs.transfers[i];
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int s = -1, d = -1;
        UpdateMeta m;
        int r;

        target_meta(t, src, &m);
        r = update_pattern_format(&t->target.patterns[0], &m, &name, err);
        if (r < 0)
                return ukit_error_where(err, r, t->file, UKIT_ERROR_NO_OFFSET);
        p->final[i] = strprintf("%s/%s", c->target_dirs[i], name);
        p->modes[i] = t->mode != UPDATE_UNSET ? (mode_t) t->mode : (mode_t) (src->mode & 07777);
        if (!p->final[i])
                return -ENOMEM;
        /* a subvolume target's temporary is a subvolume already (on btrfs) */
        r = update_tree_make_temp(c->target_dirs[i], TEMP_PREFIX, t->target.type == UPDATE_RESOURCE_SUBVOLUME,
                                  &p->temp_dirs[i]);
        if (r < 0) {
                ukit_error(err, r, "cannot create a temporary directory: %s", strerror(-r));
                return ukit_error_where(err, r, c->target_dirs[i], UKIT_ERROR_NO_OFFSET);
        }
        p->read_only[i] = m.read_only > 0;
        p->slots[i] = sig_cleanup_add(p->temp_dirs[i], true);
        if (t->source.type == UPDATE_RESOURCE_TAR || t->source.type == UPDATE_RESOURCE_URL_TAR)
                return acquire_tar(c, i, src, p, err);
        s = open(src->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        d = open(p->temp_dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = s < 0 || d < 0 ? -errno : copy_tree(s, d, 0);
        if (r >= 0 && fchmod(d, p->modes[i]) < 0)
                r = -errno;
        if (r < 0) {
                ukit_error(err, r, "cannot copy: %s", strerror(-r));
                return ukit_error_where(err, r, src->path, UKIT_ERROR_NO_OFFSET);
        }
        return 0;
}

void update_pending_free(UpdatePending *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++) {
                atomic_file_abort(&p->files[i]);
                if (p->temp_dirs[i]) {
                        (void) update_tree_remove(p->temp_dirs[i]);
                        sig_cleanup_remove(p->slots[i]);
                        free(p->temp_dirs[i]);
                }
                free(p->final[i]);
        }
        free(p->files);
        free(p->temp_dirs);
        free(p->slots);
        free(p->final);
        free(p->modes);
        free(p->is_slot);
        free(p->present);
        free(p->read_only);
        free(p->entries);
        free(p);
}

const char *update_pending_path(const UpdatePending *p, size_t i) {
        return i < p->n ? p->final[i] : NULL;
}

int update_acquire(const UpdateContext *c, const char *version, UpdatePending **ret, UkitError *err) {
        size_t n = c->defs.n_transfers;
        UpdatePending *p = calloc(1, sizeof(*p));
        int r = 0;

        if (!p)
                return -ENOMEM;
        p->n = n;
        p->files = calloc(n, sizeof(AtomicFile));
        p->temp_dirs = calloc(n, sizeof(char *));
        p->slots = calloc(n, sizeof(int));
        p->final = calloc(n, sizeof(char *));
        p->modes = calloc(n, sizeof(mode_t));
        p->is_slot = calloc(n, sizeof(bool));
        p->present = calloc(n, sizeof(bool));
        p->read_only = calloc(n, sizeof(bool));
        p->entries = calloc(n, sizeof(GptPartition));
        if (!p->files || !p->temp_dirs || !p->slots || !p->final || !p->modes || !p->is_slot || !p->entries ||
            !p->present || !p->read_only) {
                update_pending_free(p);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                p->files[i] = (AtomicFile) ATOMIC_FILE_INIT;
                p->slots[i] = -1;
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                const UpdateInstance *src = update_instances_find(&c->available[i], version);
                /* as 257: a target that has the version is not acquired
                 * again, even when the set is not counted as installed */
                const UpdateInstance *have = update_instances_find(&c->installed[i], version);
                if (have && have->path) {
                        /* as 257: what is there already is not acquired again */
                        p->present[i] = true;
                        p->final[i] = strdup(have->path);
                        r = p->final[i] ? 0 : -ENOMEM;
                } else if (!src)
                        r = ukit_error(err, -ENOENT, "version %s is not offered by transfer %s", version,
                                       c->defs.transfers[i].id);
                else if (c->defs.transfers[i].target.type == UPDATE_RESOURCE_DIRECTORY ||
                         c->defs.transfers[i].target.type == UPDATE_RESOURCE_SUBVOLUME)
                        r = acquire_dir(c, i, src, p, err);
                else
                        r = acquire_file(c, i, src, p, err);
        }
        if (r < 0) {
                update_pending_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

static int fsync_path(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 || fsync(fd) < 0 ? -errno : 0;
}

/* CurrentSymlink=: a relative link when it sits in the target's directory,
 * else absolute inside the root; replaced atomically. */
static int update_symlink(const UpdateContext *c, size_t i, const char *final, UkitError *err) {
        const char *link = c->defs.transfers[i].current_symlink;
        _cleanup_free_ char *path = NULL, *dir = NULL, *tmp = NULL;
        const char *target = final, *slash;

        if (!link)
                return 0;
        path = c->root ? strprintf("%s%s", c->root, link) : strdup(link);
        if (!path)
                return -ENOMEM;
        slash = strrchr(path, '/');
        dir = slash ? strndup(path, slash - path) : strdup(".");
        if (!dir)
                return -ENOMEM;
        if (streq(dir, c->target_dirs[i]))
                target = strrchr(final, '/') + 1;
        else if (c->root)
                target = final + strlen(c->root);
        tmp = strprintf("%s/" TEMP_PREFIX "link-%d", dir, (int) getpid());
        if (!tmp)
                return -ENOMEM;
        (void) unlink(tmp);
        if (symlink(target, tmp) < 0 || rename(tmp, path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                ukit_error(err, r, "cannot update CurrentSymlink=: %s", strerror(-r));
                return ukit_error_where(err, r, path, UKIT_ERROR_NO_OFFSET);
        }
        return fsync_path(dir);
}

/* A tree: synced (syncfs: every file of it), renamed, then read-only if
 * asked. A subvolume's read-only flag is set before the rename, so no
 * writable tree ever has the version's name; FS_IMMUTABLE_FL comes after
 * it, as 257 sets it (an immutable directory cannot be renamed). */
static int install_tree(const UpdateContext *c, UpdatePending *p, size_t i) {
        _cleanup_close_ int fd = open(p->temp_dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        bool subvol;
        sigset_t old;
        int r;

        if (fd < 0 || syncfs(fd) < 0)
                return -errno;
        r = update_tree_is_subvolume(p->temp_dirs[i]);
        if (r < 0)
                return r;
        subvol = r > 0;
        if (p->read_only[i] && subvol && (r = update_subvolume_set_read_only(p->temp_dirs[i], true)) < 0)
                return r;
        sig_cleanup_block(&old);
        r = rename(p->temp_dirs[i], p->final[i]) < 0 ? -errno : 0;
        if (r >= 0) {
                sig_cleanup_remove(p->slots[i]);
                free(p->temp_dirs[i]);
                p->temp_dirs[i] = NULL;
        }
        sig_cleanup_restore(&old);
        if (r >= 0 && p->read_only[i] && !subvol)
                r = update_tree_make_read_only(p->final[i]);
        if (r >= 0)
                r = fsync_path(c->target_dirs[i]);
        return r;
}

int update_install(const UpdateContext *c, UpdatePending *p, UkitError *err) {
        for (size_t i = 0; i < p->n; i++) {
                int r;

                if (p->present[i])
                        continue;
                if (p->is_slot[i]) {
                        /* the payload was synced at acquire; now the label names it */
                        r = update_partition_set_entry(c->target_dirs[i], &p->entries[i], err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (p->temp_dirs[i])
                        r = install_tree(c, p, i);
                else
                        r = atomic_file_commit(&p->files[i], p->modes[i]);
                if (r < 0) {
                        ukit_error(err, r, "cannot install: %s", strerror(-r));
                        return ukit_error_where(err, r, p->final[i], UKIT_ERROR_NO_OFFSET);
                }
                r = update_symlink(c, i, p->final[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
