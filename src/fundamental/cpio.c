/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cpio.h"

#define CPIO_MAGIC "070701"
#define CPIO_HEADER_SIZE 110u           /* magic + 13 fields of 8 hex digits */
#define CPIO_TRAILER "TRAILER!!!"
#define S_IFDIR_ 0040000u
#define S_IFREG_ 0100000u

static size_t slen(const char *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static size_t pad4(size_t n) {
        return (4 - (n & 3)) & 3;
}

/* header + name + NUL padded, then data padded; 0 on overflow */
static size_t entry_size(size_t name_len, size_t data_len) {
        size_t a = CPIO_HEADER_SIZE + name_len + 1, b;
        if (!ADD_OK(a, pad4(a), &a) || !ADD_OK(data_len, pad4(data_len), &b) || !ADD_OK(a, b, &a))
                return 0;
        return a;
}

/* dir must be relative, without "." / ".." / empty components. */
static bool dir_ok(const char *dir) {
        size_t i = 0;
        if (dir[0] == '/')
                return false;
        while (dir[i]) {
                size_t start = i;
                while (dir[i] && dir[i] != '/')
                        i++;
                size_t len = i - start;
                if (len == 0 || (len == 1 && dir[start] == '.') ||
                    (len == 2 && dir[start] == '.' && dir[start + 1] == '.'))
                        return false;
                if (dir[i] == '/') {
                        i++;
                        if (!dir[i])
                                return false;   /* trailing slash */
                }
        }
        return true;
}

static bool name_ok(const char *name) {
        size_t n = slen(name);
        if (n == 0 || (n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (name[i] == '/')
                        return false;
        return true;
}

size_t cpio_archive_one_size(const char *dir, const char *name, size_t size) {
        if (!dir || !name || !dir_ok(dir) || !name_ok(name) || size > CPIO_FILE_MAX)
                return 0;
        size_t dlen = slen(dir), nlen = slen(name), total = 0, e;
        size_t path_len = dlen + (dlen ? 1 : 0) + nlen;
        if (path_len + 1 > CPIO_NAME_MAX)
                return 0;
        /* one directory entry per component prefix */
        for (size_t i = 0; i <= dlen && dlen; i++)
                if (i == dlen || dir[i] == '/') {
                        e = entry_size(i, 0);
                        if (!e || !ADD_OK(total, e, &total))
                                return 0;
                }
        e = entry_size(path_len, size);
        if (!e || !ADD_OK(total, e, &total))
                return 0;
        e = entry_size(sizeof(CPIO_TRAILER) - 1, 0);
        if (!e || !ADD_OK(total, e, &total))
                return 0;
        return total;
}

static uint8_t *put_hex8(uint8_t *p, uint32_t v) {
        static const char digits[] = "0123456789abcdef";
        for (int i = 7; i >= 0; i--) {
                p[i] = (uint8_t) digits[v & 15];
                v >>= 4;
        }
        return p + 8;
}

static uint8_t *put_entry(uint8_t *p, const char *path, size_t path_len, uint32_t ino, uint32_t mode,
                          uint32_t nlink, const void *data, size_t size) {
        for (size_t i = 0; i < 6; i++)
                *p++ = (uint8_t) CPIO_MAGIC[i];
        p = put_hex8(p, ino);
        p = put_hex8(p, mode);
        p = put_hex8(p, 0);                     /* uid */
        p = put_hex8(p, 0);                     /* gid */
        p = put_hex8(p, nlink);
        p = put_hex8(p, 0);                     /* mtime: stable measurements */
        p = put_hex8(p, (uint32_t) size);
        p = put_hex8(p, 0);                     /* devmajor */
        p = put_hex8(p, 0);                     /* devminor */
        p = put_hex8(p, 0);                     /* rdevmajor */
        p = put_hex8(p, 0);                     /* rdevminor */
        p = put_hex8(p, (uint32_t) path_len + 1);
        p = put_hex8(p, 0);                     /* check: unused by newc */
        for (size_t i = 0; i < path_len; i++)
                *p++ = (uint8_t) path[i];
        *p++ = 0;
        for (size_t i = pad4(CPIO_HEADER_SIZE + path_len + 1); i > 0; i--)
                *p++ = 0;
        const uint8_t *d = data;
        for (size_t i = 0; i < size; i++)
                *p++ = d[i];
        for (size_t i = pad4(size); i > 0; i--)
                *p++ = 0;
        return p;
}

size_t cpio_archive_one(void *buf, size_t bufsz, const char *dir, const char *name, const void *data,
                        size_t size, uint32_t dir_mode, uint32_t file_mode, uint32_t *inode) {
        size_t need = cpio_archive_one_size(dir, name, size);
        if (!need || need > bufsz || !buf || !inode || (size && !data))
                return 0;

        char path[CPIO_NAME_MAX];
        size_t dlen = slen(dir), nlen = slen(name), n = 0;
        for (size_t i = 0; i < dlen; i++)
                path[n++] = dir[i];
        if (dlen)
                path[n++] = '/';
        for (size_t i = 0; i < nlen; i++)
                path[n++] = name[i];
        path[n] = 0;

        uint8_t *p = buf;
        for (size_t i = 0; i <= dlen && dlen; i++)
                if (i == dlen || dir[i] == '/')
                        p = put_entry(p, path, i, (*inode)++, S_IFDIR_ | (dir_mode & 07777), 2, NULL, 0);
        p = put_entry(p, path, n, (*inode)++, S_IFREG_ | (file_mode & 07777), 1, data, size);
        p = put_entry(p, CPIO_TRAILER, sizeof(CPIO_TRAILER) - 1, 0, 0, 1, NULL, 0);
        return (size_t) (p - (uint8_t *) buf);
}
