/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cpio.h"

#define CPIO_HEADER_SIZE 110u           /* magic + 13 fields of 8 hex digits */
#define S_IFDIR_ 0040000u
#define S_IFREG_ 0100000u

/* The trailer exactly as systemd-stub writes it (note the upper-case B),
 * NUL-padded to a multiple of 4. */
static const char cpio_trailer[] =
        "070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000" "00000000"
        "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000" "TRAILER!!!\0\0\0";
assert_cc(sizeof(cpio_trailer) % 4 == 0);

static size_t slen(const char *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

static size_t pad4(size_t n) {
        return (4 - (n & 3)) & 3;
}

void cpio_writer_init(CpioWriter *w, void *buf, size_t size) {
        *w = (CpioWriter) { .buf = buf, .size = buf ? size : 0, .inode = 1 };
}

static bool dir_ok(const char *dir) {
        size_t i = 0;
        if (!dir || !dir[0] || dir[0] == '/')
                return false;
        while (dir[i]) {
                size_t start = i;
                while (dir[i] && dir[i] != '/')
                        i++;
                size_t len = i - start;
                if (len == 0 || (len == 1 && dir[start] == '.') ||
                    (len == 2 && dir[start] == '.' && dir[start + 1] == '.'))
                        return false;
                if (dir[i] == '/' && !dir[++i])
                        return false;   /* trailing slash */
        }
        return true;
}

static bool name_ok(const char *name) {
        size_t n = name ? slen(name) : 0;
        if (n == 0 || (n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (name[i] == '/')
                        return false;
        return true;
}

/* Reserves n bytes; NULL in counting mode or on failure (then w->failed). */
static uint8_t *reserve(CpioWriter *w, size_t n) {
        size_t end;
        if (w->failed)
                return NULL;
        if (!ADD_OK(w->pos, n, &end) || (w->buf && end > w->size)) {
                w->failed = true;
                return NULL;
        }
        uint8_t *p = w->buf ? w->buf + w->pos : NULL;
        w->pos = end;
        return p;
}

static uint8_t *put_hex8(uint8_t *p, uint32_t v) {
        static const char digits[] = "0123456789abcdef";
        for (int i = 7; i >= 0; i--) {
                p[i] = (uint8_t) digits[v & 15];
                v >>= 4;
        }
        return p + 8;
}

static void put_bytes(uint8_t **p, const void *src, size_t n) {
        const uint8_t *s = src;
        for (size_t i = 0; i < n; i++)
                *(*p)++ = s[i];
}

/* One entry: header, "a" + ("/" + "b"), NUL, pad, data, pad. */
static void put_entry(CpioWriter *w, const char *a, size_t alen, const char *b, uint32_t mode,
                      const void *data, size_t size) {
        size_t blen = b ? slen(b) : 0, name_len = alen + (b ? 1 + blen : 0), hdr, total;

        if (w->failed)
                return;
        if (name_len + 1 > CPIO_NAME_MAX || size > CPIO_FILE_MAX || w->inode == UINT32_MAX) {
                w->failed = true;
                return;
        }
        hdr = CPIO_HEADER_SIZE + name_len + 1;
        hdr += pad4(hdr);
        if (!ADD_OK(hdr, size, &total) || !ADD_OK(total, pad4(size), &total)) {
                w->failed = true;
                return;
        }
        uint8_t *p = reserve(w, total);
        uint32_t ino = w->inode++;
        if (!p)
                return;
        put_bytes(&p, "070701", 6);
        p = put_hex8(p, ino);
        p = put_hex8(p, mode);
        p = put_hex8(p, 0);                     /* uid */
        p = put_hex8(p, 0);                     /* gid */
        p = put_hex8(p, 1);                     /* nlink */
        p = put_hex8(p, 0);                     /* mtime: stable measurements */
        p = put_hex8(p, (uint32_t) size);
        p = put_hex8(p, 0);                     /* devmajor */
        p = put_hex8(p, 0);                     /* devminor */
        p = put_hex8(p, 0);                     /* rdevmajor */
        p = put_hex8(p, 0);                     /* rdevminor */
        p = put_hex8(p, (uint32_t) name_len + 1);
        p = put_hex8(p, 0);                     /* check: unused by newc */
        put_bytes(&p, a, alen);
        if (b) {
                *p++ = '/';
                put_bytes(&p, b, blen);
        }
        *p++ = 0;
        for (size_t i = pad4(CPIO_HEADER_SIZE + name_len + 1); i > 0; i--)
                *p++ = 0;
        put_bytes(&p, data, size);
        for (size_t i = pad4(size); i > 0; i--)
                *p++ = 0;
}

void cpio_put_dirs(CpioWriter *w, const char *dir, uint32_t dir_mode) {
        if (!dir_ok(dir)) {
                w->failed = true;
                return;
        }
        size_t n = slen(dir);
        for (size_t i = 1; i <= n; i++)
                if (i == n || dir[i] == '/')
                        put_entry(w, dir, i, NULL, S_IFDIR_ | ((i == n ? dir_mode : 0555) & 07777), NULL, 0);
}

void cpio_put_file(CpioWriter *w, const char *dir, const char *name, const void *data, size_t size, uint32_t mode) {
        if (!dir_ok(dir) || !name_ok(name) || (size && !data)) {
                w->failed = true;
                return;
        }
        put_entry(w, dir, slen(dir), name, S_IFREG_ | (mode & 07777), data, size);
}

void cpio_put_trailer(CpioWriter *w) {
        uint8_t *p = reserve(w, sizeof(cpio_trailer));
        if (p)
                put_bytes(&p, cpio_trailer, sizeof(cpio_trailer));
}

size_t cpio_writer_finish(const CpioWriter *w) {
        return w->failed ? 0 : w->pos;
}

size_t cpio_archive_one(void *buf, size_t bufsz, const char *dir, const char *name, const void *data,
                        size_t size, uint32_t dir_mode, uint32_t file_mode) {
        CpioWriter w;
        cpio_writer_init(&w, buf, bufsz);
        cpio_put_dirs(&w, dir, dir_mode);
        cpio_put_file(&w, dir, name, data, size, file_mode);
        cpio_put_trailer(&w);
        return cpio_writer_finish(&w);
}
