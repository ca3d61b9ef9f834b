/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build-hwids.h"
#include "cli.h"
#include "fileio.h"
#include "hwids.h"
#include "json-parse.h"
#include "macro.h"
#include "util.h"

#define HWIDS_FILES_MAX 4096u
#define HWIDS_FILE_MAX (1024u * 1024u)
#define HWIDS_DEPTH_MAX 32

typedef struct Device {
        const char *name, *compatible;          /* owned by the JSON values */
        uint8_t (*uuids)[16];                   /* big-endian (RFC 4122 order) */
        size_t n_uuids;
} Device;

typedef struct HwidsState {
        char **files;
        size_t n_files;
        JsonValue **docs;
        size_t n_docs;
        Device *devices;
        size_t n_devices;
} HwidsState;

static int collect(HwidsState *st, const char *dir, int depth) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return log_errno(-errno, "%s: cannot open the --hwids directory", dir);
        if (depth > HWIDS_DEPTH_MAX) {
                closedir(d);
                log_error("%s: directories nested too deeply", dir);
                return EXIT_FAILURE;
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                char *p;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
                        closedir(d);
                        return log_errno(-ENOMEM, "%s: out of memory", dir);
                }
                struct stat sb;
                size_t len = strlen(de->d_name);
                if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                        int r = collect(st, p, depth + 1);
                        free(p);
                        if (r != 0) {
                                closedir(d);
                                return r;
                        }
                        continue;
                }
                if (len < 5 || !streq(de->d_name + len - 5, ".json") || st->n_files >= HWIDS_FILES_MAX) {
                        free(p);
                        continue;
                }
                char **n = realloc(st->files, (st->n_files + 1) * sizeof(*n));
                if (!n) {
                        free(p);
                        closedir(d);
                        return log_errno(-ENOMEM, "%s: out of memory", dir);
                }
                st->files = n;
                st->files[st->n_files++] = p;
        }
        closedir(d);
        return 0;
}

/* Python's Path ordering: component by component, each by code point (=
 * UTF-8 byte order). */
static int path_cmp(const void *a, const void *b) {
        const char *x = *(char *const *) a, *y = *(char *const *) b;
        for (;;) {
                size_t lx = strcspn(x, "/"), ly = strcspn(y, "/");
                int r = memcmp(x, y, MIN(lx, ly));
                if (r != 0)
                        return r;
                if (lx != ly)
                        return lx < ly ? -1 : 1;
                if (!x[lx] || !y[ly])
                        return !x[lx] && !y[ly] ? 0 : !x[lx] ? -1 : 1;
                x += lx + 1;
                y += ly + 1;
        }
}

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* uuid.UUID(s) as Python reads it: "urn:" and "uuid:" dropped, braces
 * around stripped, hyphens anywhere dropped, then 32 hex digits. */
static bool uuid_parse(const char *s, uint8_t out[16]) {
        char hex[33];
        size_t n = 0;

        if (strncmp(s, "urn:", 4) == 0)
                s += 4;
        if (strncmp(s, "uuid:", 5) == 0)
                s += 5;
        size_t len = strlen(s);
        while (len > 0 && (*s == '{' || *s == '}'))
                s++, len--;
        while (len > 0 && (s[len - 1] == '{' || s[len - 1] == '}'))
                len--;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '-')
                        continue;
                if (n >= 32 || hexval(s[i]) < 0)
                        return false;
                hex[n++] = s[i];
        }
        if (n != 32)
                return false;
        for (size_t i = 0; i < 16; i++)
                out[i] = (uint8_t) (hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
        return true;
}

static int add_file(HwidsState *st, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t n;
        UkitError err = UKIT_ERROR_INIT;
        JsonValue *v = NULL;

        int r = read_input_full(path, HWIDS_FILE_MAX, &text, &n);
        if (r < 0)
                return log_errno(r, "%s: cannot read the HWID description", path);
        r = json_parse(text, n, &v, &err);
        if (r < 0) {
                log_error("%s: not JSON: %s at byte %llu", path, err.what[0] ? err.what : strerror(-r),
                          (unsigned long long) err.offset);
                return EXIT_FAILURE;
        }
        JsonValue **docs = realloc(st->docs, (st->n_docs + 1) * sizeof(*docs));
        if (!docs) {
                json_value_free(v);
                return log_errno(-ENOMEM, "%s: out of memory", path);
        }
        st->docs = docs;
        st->docs[st->n_docs++] = v;

        static const char *const keys[] = { "name", "compatible", "hwids" };
        const JsonValue *f[3];
        for (size_t i = 0; i < 3; i++) {
                f[i] = json_object_find(v, keys[i]);
                if (!f[i]) {
                        log_error("%s: HWID description does not contain \"%s\"", path, keys[i]);
                        return EXIT_FAILURE;
                }
        }
        if (f[0]->type != JSON_TYPE_STRING || f[1]->type != JSON_TYPE_STRING || f[2]->type != JSON_TYPE_ARRAY) {
                log_error("%s: \"name\" and \"compatible\" must be strings, \"hwids\" an array", path);
                return EXIT_FAILURE;
        }

        Device *d = NULL;
        for (size_t i = 0; i < st->n_devices && !d; i++)
                if (streq(st->devices[i].name, f[0]->string.str) && streq(st->devices[i].compatible, f[1]->string.str))
                        d = &st->devices[i];
        if (!d) {
                Device *nd = realloc(st->devices, (st->n_devices + 1) * sizeof(*nd));
                if (!nd)
                        return log_errno(-ENOMEM, "%s: out of memory", path);
                st->devices = nd;
                d = &st->devices[st->n_devices++];
                *d = (Device) { .name = f[0]->string.str, .compatible = f[1]->string.str };
        }
        for (size_t i = 0; i < f[2]->array.n; i++) {
                const JsonValue *u = f[2]->array.items[i];
                uint8_t b[16];
                if (u->type != JSON_TYPE_STRING || !uuid_parse(u->string.str, b)) {
                        log_error("%s: \"hwids\" item %zu is not a UUID", path, i);
                        return EXIT_FAILURE;
                }
                bool dup = false;
                for (size_t k = 0; k < d->n_uuids && !dup; k++)
                        dup = memcmp(d->uuids[k], b, 16) == 0;
                if (dup)
                        continue;
                uint8_t (*nu)[16] = realloc(d->uuids, (d->n_uuids + 1) * sizeof(*nu));
                if (!nu)
                        return log_errno(-ENOMEM, "%s: out of memory", path);
                d->uuids = nu;
                memcpy(d->uuids[d->n_uuids++], b, 16);
        }
        return 0;
}

static int uuid_cmp(const void *a, const void *b) {
        return memcmp(a, b, 16);
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t string_offset(const char **strs, const uint32_t *offs, size_t n, const char *s) {
        const char **hit = bsearch(&s, strs, n, sizeof(*strs), str_cmp);
        return offs[hit - strs];
}

static int pack(HwidsState *st, uint8_t **ret, size_t *ret_size) {
        size_t n_entries = 1, n_strs = 0, strings_size = 0;
        for (size_t i = 0; i < st->n_devices; i++)
                n_entries += st->devices[i].n_uuids;

        _cleanup_free_ const char **strs = calloc(2 * st->n_devices + 1, sizeof(*strs));
        _cleanup_free_ uint32_t *offs = calloc(2 * st->n_devices + 1, sizeof(*offs));
        if (!strs || !offs)
                return log_errno(-ENOMEM, "out of memory");
        for (size_t i = 0; i < st->n_devices; i++) {
                strs[n_strs++] = st->devices[i].name;
                strs[n_strs++] = st->devices[i].compatible;
        }
        qsort(strs, n_strs, sizeof(*strs), str_cmp);
        size_t u = 0;
        for (size_t i = 0; i < n_strs; i++)
                if (u == 0 || !streq(strs[u - 1], strs[i]))
                        strs[u++] = strs[i];
        n_strs = u;
        size_t base = n_entries * HWIDS_ENTRY_SIZE;
        for (size_t i = 0; i < n_strs; i++) {
                offs[i] = (uint32_t) (base + strings_size);
                strings_size += strlen(strs[i]) + 1;
        }
        if (base + strings_size > UINT32_MAX) {
                log_error("--hwids: the section would be too large");
                return EXIT_FAILURE;
        }

        uint8_t *blob = calloc(1, base + strings_size);
        if (!blob)
                return log_errno(-ENOMEM, "out of memory");
        uint8_t *e = blob;
        for (size_t i = 0; i < st->n_devices; i++) {
                Device *d = &st->devices[i];
                qsort(d->uuids, d->n_uuids, 16, uuid_cmp);
                uint32_t no = string_offset(strs, offs, n_strs, d->name);
                uint32_t co = string_offset(strs, offs, n_strs, d->compatible);
                for (size_t k = 0; k < d->n_uuids; k++, e += HWIDS_ENTRY_SIZE) {
                        Chid c;
                        memcpy(c.b, d->uuids[k], 16);
                        put32(e, HWIDS_DESCRIPTOR(HWIDS_TYPE_DEVICETREE));
                        chid_to_guid_le(&c, e + 4);
                        put32(e + 20, no);
                        put32(e + 24, co);
                }
        }
        for (size_t i = 0; i < n_strs; i++)
                memcpy(blob + offs[i], strs[i], strlen(strs[i]) + 1);
        *ret = blob;
        *ret_size = base + strings_size;
        return 0;
}

int build_hwids_blob(const char *dir, uint8_t **ret, size_t *ret_size) {
        HwidsState st = {};
        int r;

        r = collect(&st, dir, 0);
        if (r == 0) {
                qsort(st.files, st.n_files, sizeof(*st.files), path_cmp);
                for (size_t i = 0; i < st.n_files && r == 0; i++)
                        r = add_file(&st, st.files[i]);
        }
        if (r == 0)
                r = pack(&st, ret, ret_size);

        for (size_t i = 0; i < st.n_files; i++)
                free(st.files[i]);
        free(st.files);
        for (size_t i = 0; i < st.n_devices; i++)
                free(st.devices[i].uuids);
        free(st.devices);
        for (size_t i = 0; i < st.n_docs; i++)
                json_value_free(st.docs[i]);
        free(st.docs);
        return r;
}
