/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "update-tar.h"
#include "util.h"

#define TAR_CHUNK (256u * 1024u)
#define TAR_ENTRIES_MAX 1000000u

typedef struct TarReader {
        int fd;
        EVP_MD_CTX *md;
        uint8_t buf[TAR_CHUNK];
} TarReader;

static la_ssize_t tar_read(struct archive *a, void *userdata, const void **ret) {
        TarReader *t = userdata;
        ssize_t n;

        do
                n = read(t->fd, t->buf, sizeof(t->buf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                archive_set_error(a, errno, "read failed");
                return -1;
        }
        EVP_DigestUpdate(t->md, t->buf, n);
        *ret = t->buf;
        return n;
}

static int drain(TarReader *t) {
        for (;;) {
                ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                EVP_DigestUpdate(t->md, t->buf, n);
        }
}

static int extract_all(struct archive *in, struct archive *out, UkitError *err) {
        struct archive_entry *e;
        unsigned n = 0;
        int ar;

        while ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
                if (++n > TAR_ENTRIES_MAX)
                        return ukit_error(err, -E2BIG, "more than %u entries", TAR_ENTRIES_MAX);
                ar = archive_write_header(out, e);
                if (ar < ARCHIVE_WARN)
                        return ukit_error(err, -EBADMSG, "%s: %s", archive_entry_pathname(e) ?: "?",
                                          archive_error_string(out) ?: "cannot extract");
                if (archive_entry_size(e) > 0) {
                        const void *buf;
                        size_t size;
                        la_int64_t off;
                        /* libarchive reports a failed write(2) (ENOSPC, EIO) as a mere
                         * ARCHIVE_WARN and goes on: the file would end sparse. */
                        while ((ar = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
                                if (archive_write_data_block(out, buf, size, off) < ARCHIVE_OK)
                                        return ukit_error(err, archive_errno(out) > 0 ? -archive_errno(out) : -EIO,
                                                          "%s: %s%s%s", archive_entry_pathname(e),
                                                          archive_error_string(out) ?: "write failed",
                                                          archive_errno(out) > 0 ? ": " : "",
                                                          archive_errno(out) > 0 ? strerror(archive_errno(out)) : "");
                        if (ar != ARCHIVE_EOF)
                                return ukit_error(err, -EBADMSG, "damaged or truncated archive: %s",
                                                  archive_error_string(in) ?: "read failed");
                }
                if (archive_write_finish_entry(out) < ARCHIVE_WARN)
                        return ukit_error(err, -EIO, "%s: %s", archive_entry_pathname(e),
                                          archive_error_string(out) ?: "cannot finish");
        }
        if (ar != ARCHIVE_EOF)
                return ukit_error(err, -EBADMSG, "damaged or truncated archive: %s",
                                  archive_error_string(in) ?: "read failed");
        return 0;
}

int update_tar_extract(int in_fd, const char *dest_dir, uint8_t digest[32], UkitError *err) {
        _cleanup_free_ TarReader *t = calloc(1, sizeof(TarReader));
        _cleanup_close_ int cwd = -1, dest = -1;
        struct archive *in = NULL, *out = NULL;
        int r;

        if (!t || !(t->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(t->md, EVP_sha256(), NULL)) {
                if (t)
                        EVP_MD_CTX_free(t->md);
                return -ENOMEM;
        }
        t->fd = in_fd;
        cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dest = open(dest_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cwd < 0 || dest < 0 || fchdir(dest) < 0) {
                r = ukit_error(err, -errno, "cannot enter the destination: %s", strerror(errno));
                EVP_MD_CTX_free(t->md);
                return r;
        }
        in = archive_read_new();
        out = archive_write_disk_new();
        if (!in || !out)
                r = -ENOMEM;
        else {
                archive_read_support_filter_all(in);
                archive_read_support_format_tar(in);
                archive_read_support_format_gnutar(in);
                archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_OWNER |
                                               ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                               ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                               ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
                if (archive_read_open(in, t, NULL, tar_read, NULL) != ARCHIVE_OK)
                        r = ukit_error(err, -EBADMSG, "not an archive: %s", archive_error_string(in) ?: "?");
                else
                        r = extract_all(in, out, err);
        }
        if (r >= 0 && out && archive_write_close(out) != ARCHIVE_OK)
                r = ukit_error(err, -EIO, "cannot finish: %s", archive_error_string(out) ?: "?");
        if (r >= 0)
                r = drain(t);
        if (r >= 0)
                EVP_DigestFinal_ex(t->md, digest, NULL);
        if (out)
                archive_write_free(out);
        if (in)
                archive_read_free(in);
        EVP_MD_CTX_free(t->md);
        if (fchdir(cwd) < 0 && r >= 0)
                r = -errno;
        return r;      /* synced as a whole (syncfs) before it is renamed: update-install.c */
}
