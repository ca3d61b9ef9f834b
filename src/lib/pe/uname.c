/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fileio.h"
#include "uname.h"
#include "util.h"

/* x86 boot protocol (Documentation/arch/x86/boot.rst): setup_sects at
 * 0x1f1, "HdrS" at 0x202, protocol version at 0x206, kernel_version at
 * 0x20e: an offset from 0x200 to a NUL-terminated string inside the setup
 * code, "6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP ...". */
#define X86_SETUP_SECTS         0x1f1
#define X86_HDRS_MAGIC          0x202
#define X86_PROTOCOL            0x206
#define X86_KERNEL_VERSION      0x20e
#define X86_VERSION_STRING_MAX  512u

/* ELF note written by the kernel's BUILD_SALT (include/linux/build-salt.h):
 * owner "Linux", type LINUX_ELFNOTE_BUILD_SALT, desc = CONFIG_BUILD_SALT,
 * which distributions set to the release (this is what ukify's readelf
 * regexp picks up). */
#define ELF_NOTE_LINUX_BUILD_SALT 0x100u
#define ELF_SHT_NOTE            7u
#define ELF_PT_NOTE             4u
#define ELF_NOTES_MAX           4096u   /* notes looked at per image */
#define ELF_HEADERS_MAX         4096u   /* section/program headers looked at */

bool uname_valid(const char *s, size_t n) {
        if (!s || n == 0 || n > UNAME_MAX)
                return false;
        if (s[0] < '0' || s[0] > '9')
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

/* Copy the first blank-delimited word of s[0..n) if it is a valid release. */
static int take_word(const char *s, size_t n, char **ret) {
        size_t l = 0;
        while (l < n && s[l] != ' ' && s[l] != '\0' && s[l] != '\n' && s[l] != '\t')
                l++;
        if (!uname_valid(s, l))
                return -ENOENT;
        char *c = strndup(s, l);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

static int from_x86_header(const uint8_t *d, size_t size, char **ret) {
        uint64_t setup_size, off;
        unsigned setup_sects;
        uint16_t ptr;

        if (size < X86_KERNEL_VERSION + 2 || memcmp(d + X86_HDRS_MAGIC, "HdrS", 4) != 0)
                return -ENOENT;
        /* kernel_version exists from boot protocol 2.00 on; 0 means none. */
        if (le16_read(d + X86_PROTOCOL) < 0x0200)
                return -ENOENT;
        ptr = le16_read(d + X86_KERNEL_VERSION);
        if (ptr == 0)
                return -ENOENT;

        /* The string lives in the real-mode setup code: (setup_sects + 1)
         * 512-byte sectors, setup_sects 0 meaning 4 for old kernels. */
        setup_sects = d[X86_SETUP_SECTS] ? d[X86_SETUP_SECTS] : 4;
        setup_size = ((uint64_t) setup_sects + 1) * 512;
        off = 0x200 + (uint64_t) ptr;
        if (off >= setup_size || off >= size)
                return -ENOENT;

        size_t avail = (size_t) MIN(MIN(setup_size, (uint64_t) size) - off, (uint64_t) X86_VERSION_STRING_MAX);
        const char *s = (const char *) d + off;
        if (!memchr(s, '\0', avail))
                return -ENOENT;         /* not terminated within bounds */
        return take_word(s, avail, ret);
}

typedef struct ElfView {
        const uint8_t *d;
        size_t size;
        bool is64, be;
} ElfView;

static uint16_t e16(const ElfView *e, const uint8_t *p) {
        return e->be ? (uint16_t) (p[0] << 8 | p[1]) : le16_read(p);
}
static uint32_t e32(const ElfView *e, const uint8_t *p) {
        return e->be ? ((uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3]) : le32_read(p);
}
static uint64_t e64(const ElfView *e, const uint8_t *p) {
        return e->be ? ((uint64_t) e32(e, p) << 32 | e32(e, p + 4)) : le64_read(p);
}
static uint64_t eword(const ElfView *e, const uint8_t *p) {
        return e->is64 ? e64(e, p) : e32(e, p);
}

/* Walk the notes in [off, off+len) looking for the Linux build-salt note. */
static int scan_notes(const ElfView *e, uint64_t off, uint64_t len, unsigned *budget, char **ret) {
        uint64_t end;

        if (!ADD_OK(off, len, &end) || end > e->size)
                return -ENOENT;
        while (off + 12 <= end) {
                uint32_t namesz = e32(e, e->d + off);
                uint32_t descsz = e32(e, e->d + off + 4);
                uint32_t type = e32(e, e->d + off + 8);
                uint64_t name_off = off + 12, desc_off, next;

                if (*budget == 0)
                        return -ENOENT;
                (*budget)--;

                /* Name and descriptor are each padded to 4 bytes. */
                desc_off = name_off + (((uint64_t) namesz + 3) & ~(uint64_t) 3);
                next = desc_off + (((uint64_t) descsz + 3) & ~(uint64_t) 3);
                if (desc_off > end || next > end || desc_off + descsz > end)
                        return -ENOENT;

                if (type == ELF_NOTE_LINUX_BUILD_SALT && namesz == 6 &&
                    memcmp(e->d + name_off, "Linux", 6) == 0 && descsz > 0) {
                        const char *s = (const char *) e->d + desc_off;
                        size_t n = strnlen(s, descsz);
                        if (uname_valid(s, n)) {
                                char *c = strndup(s, n);
                                if (!c)
                                        return -ENOMEM;
                                *ret = c;
                                return 0;
                        }
                }
                off = next;
        }
        return -ENOENT;
}

static int from_elf_note(const uint8_t *d, size_t size, char **ret) {
        ElfView e = { .d = d, .size = size };
        uint64_t phoff, shoff;
        uint16_t phentsize, phnum, shentsize, shnum;
        unsigned budget = ELF_NOTES_MAX;
        int r;

        if (size < 64 || memcmp(d, "\177ELF", 4) != 0)
                return -ENOENT;
        if ((d[4] != 1 && d[4] != 2) || (d[5] != 1 && d[5] != 2))
                return -ENOENT;
        e.is64 = d[4] == 2;
        e.be = d[5] == 2;

        if (e.is64) {
                phoff = e64(&e, d + 32);
                shoff = e64(&e, d + 40);
                phentsize = e16(&e, d + 54);
                phnum = e16(&e, d + 56);
                shentsize = e16(&e, d + 58);
                shnum = e16(&e, d + 60);
        } else {
                phoff = e32(&e, d + 28);
                shoff = e32(&e, d + 32);
                phentsize = e16(&e, d + 42);
                phnum = e16(&e, d + 44);
                shentsize = e16(&e, d + 46);
                shnum = e16(&e, d + 48);
        }

        /* Section headers first (vmlinux has .notes), then PT_NOTE segments. */
        if (shentsize >= (e.is64 ? 64 : 40))
                for (unsigned i = 0; i < MIN(shnum, ELF_HEADERS_MAX); i++) {
                        uint64_t h = shoff + (uint64_t) i * shentsize;
                        if (shoff > size || h + shentsize > size)
                                break;
                        if (e32(&e, d + h + 4) != ELF_SHT_NOTE)
                                continue;
                        uint64_t off = eword(&e, d + h + (e.is64 ? 24 : 16));
                        uint64_t len = eword(&e, d + h + (e.is64 ? 32 : 20));
                        r = scan_notes(&e, off, len, &budget, ret);
                        if (r != -ENOENT)
                                return r;
                }
        if (phentsize >= (e.is64 ? 56 : 32))
                for (unsigned i = 0; i < MIN(phnum, ELF_HEADERS_MAX); i++) {
                        uint64_t h = phoff + (uint64_t) i * phentsize;
                        if (phoff > size || h + phentsize > size)
                                break;
                        if (e32(&e, d + h) != ELF_PT_NOTE)
                                continue;
                        uint64_t off = eword(&e, d + h + (e.is64 ? 8 : 4));
                        uint64_t len = eword(&e, d + h + (e.is64 ? 32 : 16));
                        r = scan_notes(&e, off, len, &budget, ret);
                        if (r != -ENOENT)
                                return r;
                }
        return -ENOENT;
}

/* linux_banner: "Linux version 6.1.0-57-amd64 (debian-kernel@...) (gcc ..." */
static int from_banner(const uint8_t *d, size_t size, char **ret) {
        static const char needle[] = "Linux version ";
        const size_t nl = sizeof needle - 1;
        const uint8_t *p = d, *end = d + MIN(size, (size_t) UNAME_SCAN_MAX);

        while (p < end) {
                const uint8_t *m = memmem(p, (size_t) (end - p), needle, nl);
                if (!m)
                        break;
                const char *s = (const char *) m + nl;
                size_t avail = (size_t) (end - (const uint8_t *) s);
                size_t l = 0;
                while (l < avail && l <= UNAME_MAX && s[l] != ' ' && s[l] != '\0')
                        l++;
                /* Require the " (" that follows the release in the banner, so
                 * that other "Linux version " texts (printk formats with
                 * "%s") are skipped, as ukify's pattern does. */
                if (l + 1 < avail && s[l] == ' ' && s[l + 1] == '(' && uname_valid(s, l)) {
                        char *c = strndup(s, l);
                        if (!c)
                                return -ENOMEM;
                        *ret = c;
                        return 0;
                }
                p = m + 1;
        }
        return -ENOENT;
}

int uname_from_buffer(const void *data, size_t size, char **ret) {
        int r;

        if ((!data && size > 0) || !ret)
                return -EINVAL;
        if (size == 0)
                return -ENOENT;

        r = from_x86_header(data, size, ret);
        if (r != -ENOENT)
                return r;
        r = from_elf_note(data, size, ret);
        if (r != -ENOENT)
                return r;
        return from_banner(data, size, ret);
}

int uname_from_kernel(int fd, const PeImage *img_or_NULL, char **ret) {
        uint64_t size;
        size_t n;
        void *m;
        int r;

        /* All three methods work on the file as stored: an EFI-stub kernel
         * is a bzImage too, so the PE view is not needed to find them. */
        (void) img_or_NULL;

        if (fd < 0 || !ret)
                return -EINVAL;
        r = fd_get_size(fd, &size);
        if (r < 0)
                return r;
        if (size == 0)
                return -ENOENT;
        n = (size_t) MIN(size, (uint64_t) UNAME_SCAN_MAX);

        /* mmap: the banner scan may touch the whole image, and a kernel is
         * tens of MiB; the mapping is read-only and dropped right away. */
        m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
                _cleanup_free_ uint8_t *buf = malloc(n);
                if (!buf)
                        return -ENOMEM;
                r = pread_full(fd, buf, n, 0);
                if (r < 0)
                        return r;
                return uname_from_buffer(buf, n, ret);
        }
        r = uname_from_buffer(m, n, ret);
        munmap(m, n);
        return r;
}
