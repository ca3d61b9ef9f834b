/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Partition slots as update targets. Type names and which attribute bits
 * a type gives a meaning: the Discoverable Partitions Specification
 * (UAPI.2) and systemd's gpt.c (facts, not code). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ddi.h"
#include "fileio.h"
#include "update-decompress.h"
#include "update-partition.h"
#include "update-remote.h"
#include "update-version.h"
#include "util.h"

typedef enum Designator {
        DESIGNATOR_NONE,
        DESIGNATOR_ROOT,
        DESIGNATOR_USR,
        DESIGNATOR_ROOT_VERITY,
        DESIGNATOR_USR_VERITY,
        DESIGNATOR_ROOT_VERITY_SIG,
        DESIGNATOR_USR_VERITY_SIG,
        DESIGNATOR_ESP,
        DESIGNATOR_XBOOTLDR,
        DESIGNATOR_SWAP,
        DESIGNATOR_HOME,
        DESIGNATOR_SRV,
        DESIGNATOR_VAR,
        DESIGNATOR_TMP,
        DESIGNATOR_GENERIC,
} Designator;

static const struct {
        const char *name, *uuid;
        Designator d;
} fixed_types[] = {
        { "esp",           "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", DESIGNATOR_ESP      },
        { "xbootldr",      "bc13c2ff-59e6-4262-a352-b275fd6f7172", DESIGNATOR_XBOOTLDR },
        { "swap",          "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", DESIGNATOR_SWAP     },
        { "home",          "933ac7e1-2eb4-4f13-b844-0e14e2aef915", DESIGNATOR_HOME     },
        { "srv",           "3b8f8425-20e0-4f3b-907f-1a25a76f98e8", DESIGNATOR_SRV      },
        { "var",           "4d21b016-b534-45c2-a9fb-5c16e091fd2d", DESIGNATOR_VAR      },
        { "tmp",           "7ec6f557-3bc5-4aca-b293-16ef5df639d1", DESIGNATOR_TMP      },
        { "linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4", DESIGNATOR_GENERIC  },
};

static const char *const archs[] = { "x86-64", "arm64" };
static const char *const role_names[] = { "", "-verity", "-verity-sig" };

static Designator arch_designator(bool usr, DdiRole role) {
        static const Designator root[] = { DESIGNATOR_ROOT, DESIGNATOR_ROOT_VERITY, DESIGNATOR_ROOT_VERITY_SIG };
        static const Designator u[] = { DESIGNATOR_USR, DESIGNATOR_USR_VERITY, DESIGNATOR_USR_VERITY_SIG };
        return usr ? u[role] : root[role];
}

int update_partition_type_from_string(const char *s, uint8_t ret[16]) {
        if (uuid_from_string(s, ret) >= 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(fixed_types); i++)
                if (streq(s, fixed_types[i].name))
                        return uuid_from_string(fixed_types[i].uuid, ret);
        for (int usr = 0; usr < 2; usr++)
                for (DdiRole role = DDI_DATA; role < _DDI_ROLE_MAX; role++) {
                        char base[32];
                        const char *rest;
                        snprintf(base, sizeof(base), "%s%s", usr ? "usr" : "root", role_names[role]);
                        if (streq(s, base))
                                return ddi_type_uuid(ddi_native_arch(), usr, role, ret) < 0 ? -EINVAL : 0;
                        /* "usr-x86-64-verity": the architecture sits after "root"/"usr" */
                        rest = startswith(s, usr ? "usr-" : "root-");
                        for (size_t a = 0; rest && a < ELEMENTSOF(archs); a++) {
                                const char *tail = startswith(rest, archs[a]);
                                if (tail && streq(tail, role_names[role]))
                                        return ddi_type_uuid(archs[a], usr, role, ret);
                        }
                }
        return -EINVAL;
}

static Designator designator_of(const uint8_t type[16]) {
        uint8_t u[16];

        for (size_t i = 0; i < ELEMENTSOF(fixed_types); i++)
                if (uuid_from_string(fixed_types[i].uuid, u) >= 0 && memcmp(u, type, 16) == 0)
                        return fixed_types[i].d;
        for (size_t a = 0; a < ELEMENTSOF(archs); a++)
                for (int usr = 0; usr < 2; usr++)
                        for (DdiRole role = DDI_DATA; role < _DDI_ROLE_MAX; role++)
                                if (ddi_type_uuid(archs[a], usr, role, u) >= 0 && memcmp(u, type, 16) == 0)
                                        return arch_designator(usr, role);
        return DESIGNATOR_NONE;
}

static bool designator_in(Designator d, const Designator *set, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (set[i] == d)
                        return true;
        return false;
}

bool update_partition_type_knows_no_auto(const uint8_t type[16]) {
        static const Designator set[] = { DESIGNATOR_ROOT, DESIGNATOR_ROOT_VERITY, DESIGNATOR_USR, DESIGNATOR_USR_VERITY,
                                          DESIGNATOR_HOME, DESIGNATOR_SRV, DESIGNATOR_VAR, DESIGNATOR_TMP,
                                          DESIGNATOR_XBOOTLDR, DESIGNATOR_SWAP };
        return designator_in(designator_of(type), set, ELEMENTSOF(set));
}

bool update_partition_type_knows_read_only(const uint8_t type[16]) {
        static const Designator set[] = { DESIGNATOR_ROOT, DESIGNATOR_USR, DESIGNATOR_ROOT_VERITY, DESIGNATOR_USR_VERITY,
                                          DESIGNATOR_HOME, DESIGNATOR_SRV, DESIGNATOR_VAR, DESIGNATOR_TMP,
                                          DESIGNATOR_XBOOTLDR };
        return designator_in(designator_of(type), set, ELEMENTSOF(set));
}

bool update_partition_type_knows_growfs(const uint8_t type[16]) {
        static const Designator set[] = { DESIGNATOR_ROOT, DESIGNATOR_USR, DESIGNATOR_HOME, DESIGNATOR_SRV,
                                          DESIGNATOR_VAR, DESIGNATOR_TMP, DESIGNATOR_XBOOTLDR };
        return designator_in(designator_of(type), set, ELEMENTSOF(set));
}

char *update_partition_name(const char *disk, unsigned number) {
        size_t n = strlen(disk);
        bool digit = n > 0 && disk[n - 1] >= '0' && disk[n - 1] <= '9';
        char *s = NULL;

        if (asprintf(&s, "%s%s%u", disk, digit ? "p" : "", number) < 0)
                return NULL;
        return s;
}

static int read_table(const char *disk, int flags, int *ret_fd, GptTable *ret, UkitError *err) {
        int fd = open(disk, flags | O_CLOEXEC | O_NOCTTY);
        int r;

        if (fd < 0) {
                ukit_error(err, -errno, "cannot open the disk: %s", strerror(errno));
                return ukit_error_where(err, -errno, disk, UKIT_ERROR_NO_OFFSET);
        }
        UkitError gerr = UKIT_ERROR_INIT;
        r = gpt_read_fd_any(fd, ret, &gerr); /* our own interrupted write may have left the primary damaged */
        if (r < 0) {
                close(fd);
                if (r == -ENOENT)
                        ukit_error(err, -EMEDIUMTYPE, "no GPT partition table");
                else
                        ukit_error(err, r, "cannot read the partition table: %s",
                                   ukit_error_reason(&gerr, r));
                return ukit_error_where(err, r == -ENOENT ? -EMEDIUMTYPE : r, disk, UKIT_ERROR_NO_OFFSET);
        }
        if (ret_fd)
                *ret_fd = fd;
        else
                close(fd);
        return 0;
}

static bool type_matches(const UpdateTransfer *t, const GptPartition *p) {
        return !t->has_partition_type || memcmp(p->type, t->partition_type, 16) == 0;
}

static int add_slot(UpdateInstances *l, const char *disk, const GptPartition *p, UpdateMeta *m, uint32_t ss) {
        UpdateInstance *t = realloc(l->items, (l->n + 1) * sizeof(*t));
        UpdateInstance in = { .is_partition = true, .slot = *p, .mtime_usec = UPDATE_UNSET, .mode = UPDATE_UNSET };

        if (!t)
                return -ENOMEM;
        l->items = t;
        in.name = strdup(p->label);
        in.path = update_partition_name(disk, p->index + 1);
        if (!in.name || !in.path) {
                free(in.name);
                free(in.path);
                return -ENOMEM;
        }
        in.size = (p->last_lba - p->first_lba + 1) * ss;
        /* what the name does not say comes from the entry, as 257 lists it */
        if (!m->has_uuid) {
                m->has_uuid = true;
                memcpy(m->uuid, p->uuid, 16);
        }
        if (m->flags == UPDATE_UNSET)
                m->flags = p->flags;
        if (m->read_only < 0)
                m->read_only = (p->flags & GPT_FLAG_READ_ONLY) && update_partition_type_knows_read_only(p->type);
        in.meta = *m;
        t[l->n++] = in;
        return 0;
}

int update_partition_scan(const UpdateTransfer *t, const char *disk, UpdateInstances *ret, size_t *ret_n_empty,
                          UkitError *err) {
        UpdateInstances l = {};
        GptTable table = {};
        size_t n_empty = 0;
        int r;

        r = read_table(disk, O_RDONLY, NULL, &table, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < table.n_partitions && r >= 0; i++) {
                const GptPartition *p = &table.partitions[i];
                UpdateMeta m;

                if (!type_matches(t, p))
                        continue;
                if (streq(p->label, UPDATE_EMPTY_LABEL)) {
                        n_empty++;
                        continue;
                }
                for (size_t k = 0; k < t->target.n_patterns; k++) {
                        r = update_pattern_match(&t->target.patterns[k], p->label, &m);
                        if (r != 0)
                                break;
                }
                if (r <= 0)
                        continue;
                r = add_slot(&l, disk, p, &m, table.sector_size);
                if (r < 0)
                        update_meta_done(&m);
        }
        gpt_table_done(&table);
        if (r < 0) {
                update_instances_done(&l);
                return r;
        }
        update_instances_sort(&l);
        *ret = l;
        *ret_n_empty = n_empty;
        return 0;
}

static int write_entry(const char *disk, const GptPartition *p, UkitError *err) {
        _cleanup_close_ int fd = -1;
        GptTable table = {};
        int r;

        r = read_table(disk, O_RDWR, &fd, &table, err);
        if (r < 0)
                return r;
        r = gpt_update_entry(fd, table.sector_size, p);
        gpt_table_done(&table);
        if (r < 0) {
                ukit_error(err, r, "cannot write the partition table: %s", strerror(-r));
                return ukit_error_where(err, r, disk, UKIT_ERROR_NO_OFFSET);
        }
        return 0;
}

int update_partition_empty(const char *disk, const UpdateInstance *in, UkitError *err) {
        GptPartition p = in->slot;

        snprintf(p.label, sizeof(p.label), "%s", UPDATE_EMPTY_LABEL);
        return write_entry(disk, &p, err);
}

int update_partition_find_slot(const UpdateTransfer *t, const char *disk, uint64_t space, const unsigned *busy,
                               size_t n_busy, GptPartition *ret, uint32_t *ret_sector_size, UkitError *err) {
        GptTable table = {};
        const GptPartition *best = NULL;
        int r;

        r = read_table(disk, O_RDONLY, NULL, &table, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < table.n_partitions; i++) {
                const GptPartition *p = &table.partitions[i];
                uint64_t size = (p->last_lba - p->first_lba + 1) * table.sector_size;
                bool taken = false;

                for (size_t k = 0; k < n_busy; k++)
                        taken = taken || busy[k] == p->index;
                if (taken || !type_matches(t, p) || !streq(p->label, UPDATE_EMPTY_LABEL))
                        continue;
                if (space != UPDATE_UNSET && size < space)
                        continue;
                if (best && (best->last_lba - best->first_lba + 1) * table.sector_size <= size)
                        continue;
                best = p;
        }
        if (best) {
                *ret = *best;
                *ret_sector_size = table.sector_size;
        }
        gpt_table_done(&table);
        if (!best) {
                ukit_error(err, -ENOSPC, "no \"_empty\" partition of a suitable type and size");
                return ukit_error_where(err, -ENOSPC, disk, UKIT_ERROR_NO_OFFSET);
        }
        return 0;
}

static uint64_t set_bit(uint64_t flags, uint64_t bit, bool on) {
        return on ? flags | bit : flags & ~bit;
}

void update_partition_entry(const GptPartition *slot, const char *label, const UpdateMeta *m, GptPartition *ret) {
        GptPartition p = *slot;

        snprintf(p.label, sizeof(p.label), "%s", label);
        if (m->has_uuid)
                memcpy(p.uuid, m->uuid, 16);
        if (m->flags != UPDATE_UNSET)
                p.flags = m->flags;
        if (m->no_auto >= 0 && update_partition_type_knows_no_auto(p.type))
                p.flags = set_bit(p.flags, GPT_FLAG_NO_AUTO, m->no_auto);
        if (m->read_only >= 0 && update_partition_type_knows_read_only(p.type))
                p.flags = set_bit(p.flags, GPT_FLAG_READ_ONLY, m->read_only);
        if (m->growfs >= 0 && update_partition_type_knows_growfs(p.type))
                p.flags = set_bit(p.flags, GPT_FLAG_GROWFS, m->growfs);
        *ret = p;
}

int update_partition_set_entry(const char *disk, const GptPartition *p, UkitError *err) {
        return write_entry(disk, p, err);
}

static bool label_valid(const char *s) {
        if (strlen(s) > GPT_LABEL_MAX)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

/* How errors name a slot: its device node on a block device, "IMAGE
 * (partition N)" in an image file (whose "IMAGEN" does not exist). */
static char *slot_where(int fd, const char *disk, unsigned number) {
        struct stat st;
        char *s = NULL;

        if (fstat(fd, &st) >= 0 && S_ISBLK(st.st_mode))
                return update_partition_name(disk, number);
        if (asprintf(&s, "%s (partition %u)", disk, number) < 0)
                return NULL;
        return s;
}

/* The HTTP body straight into the slot: no copy anywhere else. */
static int write_url(const char *url, int fd, uint64_t off, uint64_t max, uint8_t digest[32], bool *ret_own,
                     UkitError *err) {
        UpdateStream *stream = NULL;
        int r;

        *ret_own = false;
        r = update_stream_new_at(fd, off, max, &stream);
        if (r < 0)
                return r;
        r = update_http_get_stream(url, stream, digest, ret_own, err);
        update_stream_free(stream);
        return r;
}

int update_partition_acquire(const UpdateTransfer *t, const char *disk, int in, const char *url, const UpdateMeta *m,
                             const char *label, const unsigned *busy, size_t n_busy, UpdateDigestCheck check,
                             const void *userdata, GptPartition *ret_entry, UkitError *err) {
        _cleanup_close_ int fd = -1;
        uint8_t digest[32];
        GptPartition slot;
        uint32_t ss;
        uint64_t size;
        bool own = false;
        int r;

        if (!label_valid(label) || streq(label, UPDATE_EMPTY_LABEL)) {
                ukit_error(err, -EINVAL, "\"%s\" is not usable as a GPT partition label", label);
                return ukit_error_where(err, -EINVAL, t->file, UKIT_ERROR_NO_OFFSET);
        }
        r = update_partition_find_slot(t, disk, m->size, busy, n_busy, &slot, &ss, err);
        if (r < 0)
                return r;
        fd = open(disk, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                ukit_error(err, -errno, "cannot open the disk: %s", strerror(errno));
                return ukit_error_where(err, -errno, disk, UKIT_ERROR_NO_OFFSET);
        }
        size = (slot.last_lba - slot.first_lba + 1) * ss;
        if (url)
                r = write_url(url, fd, slot.first_lba * ss, size, digest, &own, err);
        else
                r = update_copy_decompress_at(in, fd, slot.first_lba * ss, size, digest, NULL);
        if (r < 0 && own)
                return r;
        if (r < 0) {
                _cleanup_free_ char *name = slot_where(fd, disk, slot.index + 1);
                if (r == -EFBIG)
                        ukit_error(err, r, "the payload is larger than the partition (%" PRIu64 " bytes)", size);
                else
                        ukit_error(err, r, r == -EBADMSG ? "damaged or truncated compressed data" : "cannot write: %s",
                                   strerror(-r));
                return ukit_error_where(err, r, name ? name : disk, UKIT_ERROR_NO_OFFSET);
        }
        /* a payload that does not match is neither synced nor named */
        r = check(digest, userdata, err);
        if (r < 0)
                return r;
        /* the payload is on the disk before any label names it */
        if (fdatasync(fd) < 0) {
                ukit_error(err, -errno, "fdatasync: %s", strerror(errno));
                return ukit_error_where(err, -errno, disk, UKIT_ERROR_NO_OFFSET);
        }
        update_partition_entry(&slot, label, m, ret_entry);
        return 0;
}
