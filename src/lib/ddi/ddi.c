/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DDI assembly and dissection. Type UUIDs: Discoverable Partitions
 * Specification (UAPI.2). The layout follows what systemd-repart produces
 * for extension images: data, verity, signature, 4 KiB aligned. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddi.h"
#include "fileio.h"
#include "util.h"
#include "verity-sig.h"

#define COPY_CHUNK (1024u * 1024u)

typedef struct ArchTypes {
        const char *arch;
        const char *root, *usr, *root_verity, *usr_verity, *root_sig, *usr_sig;
} ArchTypes;

static const ArchTypes arch_types[] = {
        { "x86-64",
          "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "8484680c-9521-48c6-9c11-b0720656f69e",
          "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "77ff5f63-e7b6-4633-acf4-1565b864c0e6",
          "41092b05-9fc8-4523-994f-2def0408b176", "e7bb33fb-06cf-4e81-8273-e543b413e2e2" },
        { "arm64",
          "b921b045-1df0-41c3-af44-4c6f280d3fae", "b0e01050-ee5f-4390-949a-9101b17104e9",
          "df3300ce-d69f-4c92-978c-9bfb0f38d820", "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e",
          "6db69de6-29f4-4758-a7a5-962190f00ce3", "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a" },
};

static const char generic_linux[] = "0fc63daf-8483-4772-8e79-3d69d8477de4";

const char *ddi_native_arch(void) {
#if defined(__x86_64__)
        return "x86-64";
#elif defined(__aarch64__)
        return "arm64";
#else
        return "unknown";
#endif
}

static const ArchTypes *arch_lookup(const char *arch) {
        for (size_t i = 0; i < ELEMENTSOF(arch_types); i++)
                if (arch && streq(arch_types[i].arch, arch))
                        return arch_types + i;
        return NULL;
}

bool ddi_arch_known(const char *arch) {
        return arch_lookup(arch) != NULL;
}

int ddi_type_uuid(const char *arch, bool usr, DdiRole role, uint8_t ret[16]) {
        const ArchTypes *a = arch_lookup(arch);
        const char *s;

        if (!a)
                return -EOPNOTSUPP;
        switch (role) {
        case DDI_DATA:       s = usr ? a->usr : a->root; break;
        case DDI_VERITY:     s = usr ? a->usr_verity : a->root_verity; break;
        case DDI_VERITY_SIG: s = usr ? a->usr_sig : a->root_sig; break;
        default:             return -EINVAL;
        }
        return uuid_from_string(s, ret);
}

int ddi_label(const char *arch, bool usr, DdiRole role, char *buf, size_t bufsz) {
        static const char *const suffix[] = { "", "-verity", "-verity-sig" };
        if (!arch_lookup(arch) || role >= _DDI_ROLE_MAX)
                return -EINVAL;
        int n = snprintf(buf, bufsz, "%s-%s%s", usr ? "usr" : "root", arch, suffix[role]);
        return n < 0 || (size_t) n >= bufsz ? -ENOBUFS : 0;
}

static int copy_range(int in, uint64_t in_off, int out, uint64_t out_off, uint64_t n) {
        _cleanup_free_ uint8_t *buf = NULL;

        while (n > 0) {
                loff_t io = (loff_t) in_off, oo = (loff_t) out_off;
                ssize_t k = copy_file_range(in, &io, out, &oo, (size_t) MIN(n, (uint64_t) 1 << 30), 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
                        break;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                in_off += (uint64_t) k;
                out_off += (uint64_t) k;
                n -= (uint64_t) k;
        }
        if (n == 0)
                return 0;
        buf = malloc(COPY_CHUNK);
        if (!buf)
                return -ENOMEM;
        while (n > 0) {
                size_t c = (size_t) MIN(n, (uint64_t) COPY_CHUNK);
                int r = pread_full(in, buf, c, in_off);
                if (r >= 0)
                        r = pwrite_full(out, buf, c, out_off);
                if (r < 0)
                        return r;
                in_off += c;
                out_off += c;
                n -= c;
        }
        return 0;
}

static int part_init(GptPartition *p, const char *arch, bool usr, DdiRole role,
                     uint64_t *lba, uint64_t bytes) {
        uint64_t aligned;
        int r;

        if (!align_up_u64(bytes, DDI_ALIGN, &aligned) || aligned == 0)
                return -EFBIG;
        r = ddi_type_uuid(arch, usr, role, p->type);
        if (r < 0)
                return r;
        r = ddi_label(arch, usr, role, p->label, sizeof(p->label));
        if (r < 0)
                return r;
        p->first_lba = *lba;
        p->last_lba = *lba + aligned / GPT_SECTOR_SIZE - 1;
        p->flags = GPT_FLAG_READ_ONLY;
        *lba = p->last_lba + 1;
        return 0;
}

int ddi_write(int out_fd, const DdiBuild *b) {
        GptPartition parts[3] = {};
        uint64_t lba = DDI_FIRST_LBA, sig_size = 0, disk_sectors, disk_size;
        size_t n = 2;
        int r;

        if (b->root_hash_size < 32)
                return -EINVAL;
        r = part_init(&parts[0], b->arch, b->usr, DDI_DATA, &lba, b->fs_size);
        if (r >= 0)
                r = part_init(&parts[1], b->arch, b->usr, DDI_VERITY, &lba, b->hash_size);
        if (r < 0)
                return r;
        memcpy(parts[0].uuid, b->root_hash, 16);
        memcpy(parts[1].uuid, b->root_hash + b->root_hash_size - 16, 16);
        if (b->sig_json) {
                if (b->sig_json_size > VERITY_SIG_PARTITION_MAX)
                        return -E2BIG;
                sig_size = MAX((uint64_t) VERITY_SIG_PARTITION_SIZE, (uint64_t) b->sig_json_size);
                r = part_init(&parts[2], b->arch, b->usr, DDI_VERITY_SIG, &lba, sig_size);
                if (r < 0)
                        return r;
                memcpy(parts[2].uuid, b->sig_uuid, 16);
                n = 3;
        }
        /* Room for the backup entry array and header, then 4 KiB alignment. */
        if (!align_up_u64(lba + 34, DDI_ALIGN / GPT_SECTOR_SIZE, &disk_sectors) ||
            !MUL_OK(disk_sectors, (uint64_t) GPT_SECTOR_SIZE, &disk_size) || disk_size > INT64_MAX)
                return -EFBIG;

        if (ftruncate(out_fd, 0) < 0 || ftruncate(out_fd, (off_t) disk_size) < 0)
                return -errno;
        r = copy_range(b->fs_fd, 0, out_fd, parts[0].first_lba * GPT_SECTOR_SIZE, b->fs_size);
        if (r >= 0)
                r = copy_range(b->hash_fd, 0, out_fd, parts[1].first_lba * GPT_SECTOR_SIZE, b->hash_size);
        if (r >= 0 && b->sig_json)
                r = pwrite_full(out_fd, b->sig_json, b->sig_json_size, parts[2].first_lba * GPT_SECTOR_SIZE);
        if (r < 0)
                return r;
        return gpt_write(out_fd, disk_size, b->disk_guid, parts, n);
}

void ddi_image_done(DdiImage *d) {
        free(d->sig_roothash_hex);
        free(d->sig_der);
        d->sig_roothash_hex = NULL;
        d->sig_der = NULL;
}

static int part_take(DdiPart *dst, const GptPartition *p, uint32_t ss, uint64_t disk_size, UkitError *err) {
        uint64_t off, sectors, size, end;

        if (dst->found)
                return -ENOTUNIQ;
        if (!MUL_OK(p->first_lba, (uint64_t) ss, &off) || !ADD_OK(p->last_lba - p->first_lba, 1, &sectors) ||
            !MUL_OK(sectors, (uint64_t) ss, &size) || !ADD_OK(off, size, &end) || end > disk_size)
                return ukit_error(err, -EBADMSG, "GPT partition entry %u extends beyond the end of the disk",
                                  p->index + 1);
        dst->found = true;
        dst->offset = off;
        dst->size = size;
        dst->flags = p->flags;
        memcpy(dst->uuid, p->uuid, 16);
        memcpy(dst->label, p->label, sizeof(dst->label));
        return 0;
}

int ddi_dissect(int fd, const char *arch, DdiImage *ret, UkitError *err) {
        _cleanup_(gpt_table_done) GptTable t = {};
        DdiPart root[_DDI_ROLE_MAX] = {}, usr[_DDI_ROLE_MAX] = {}, generic = {};
        DdiImage d = { .arch = arch };
        uint8_t types[2][_DDI_ROLE_MAX][16], gen[16];
        uint64_t disk_size;
        int r;

        r = fd_get_size(fd, &disk_size);
        if (r < 0)
                return r;
        r = gpt_read_fd(fd, &t, err);
        if (r < 0)
                return r;
        for (int u = 0; u < 2; u++)
                for (DdiRole role = 0; role < _DDI_ROLE_MAX; role++) {
                        r = ddi_type_uuid(arch, u, role, types[u][role]);
                        if (r < 0)
                                return r;
                }
        (void) uuid_from_string(generic_linux, gen);

        for (size_t i = 0; i < t.n_partitions; i++) {
                const GptPartition *p = t.partitions + i;
                if (p->flags & GPT_FLAG_NO_AUTO)
                        continue;
                if (memcmp(p->type, gen, 16) == 0) {
                        r = part_take(&generic, p, t.sector_size, disk_size, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                for (int u = 0; u < 2; u++)
                        for (DdiRole role = 0; role < _DDI_ROLE_MAX; role++)
                                if (memcmp(p->type, types[u][role], 16) == 0) {
                                        r = part_take(u ? &usr[role] : &root[role], p, t.sector_size, disk_size, err);
                                        if (r < 0)
                                                return r;
                                }
        }

        if (root[DDI_DATA].found)
                memcpy(d.part, root, sizeof(root));
        else if (usr[DDI_DATA].found) {
                memcpy(d.part, usr, sizeof(usr));
                d.usr = true;
        } else if (generic.found)
                d.part[DDI_DATA] = generic;
        else
                return -ENXIO;

        if (d.part[DDI_VERITY].found) {
                uint8_t sb[VERITY_SUPERBLOCK_SIZE];
                if (d.part[DDI_VERITY].size < sizeof(sb))
                        return ukit_error(err, -EBADMSG, "verity partition smaller than its superblock");
                r = pread_full(fd, sb, sizeof(sb), d.part[DDI_VERITY].offset);
                if (r < 0)
                        return r;
                r = verity_superblock_parse(sb, sizeof(sb), &d.verity, err);
                if (r < 0)
                        return r == -EOPNOTSUPP ? r : -EBADMSG;
                uint64_t need;
                if (!MUL_OK(d.verity.data_blocks, (uint64_t) d.verity.data_block_size, &need) ||
                    need > d.part[DDI_DATA].size)
                        return ukit_error(err, -EBADMSG, "verity superblock: data_blocks %" PRIu64 " x %" PRIu32
                                          " bytes is larger than the data partition (%" PRIu64 " bytes)",
                                          d.verity.data_blocks, d.verity.data_block_size,
                                          d.part[DDI_DATA].size);
                r = verity_hash_size(&d.verity, &need);
                if (r < 0 || need > d.part[DDI_VERITY].size)
                        return ukit_error(err, -EBADMSG, "verity superblock: the hash tree does not fit in "
                                          "the verity partition (%" PRIu64 " bytes)",
                                          d.part[DDI_VERITY].size);
                d.has_verity = true;
        }

        if (d.part[DDI_VERITY_SIG].found) {
                _cleanup_free_ char *buf = NULL;
                if (d.part[DDI_VERITY_SIG].size > VERITY_SIG_PARTITION_MAX)
                        return -EFBIG;
                size_t n = (size_t) d.part[DDI_VERITY_SIG].size;
                buf = malloc(n ? n : 1);
                if (!buf)
                        return -ENOMEM;
                r = pread_full(fd, buf, n, d.part[DDI_VERITY_SIG].offset);
                if (r < 0)
                        return r;
                r = verity_sig_json_parse(buf, n, &d.sig_roothash_hex, &d.sig_der, &d.sig_der_size);
                if (r < 0)
                        return ukit_error(err, -EBADMSG, "verity signature partition: not a valid "
                                          "signature JSON object (rootHash, signature)");
        }
        *ret = d;
        return 0;
}

int ddi_roothash_matches_uuids(const DdiImage *d, const uint8_t *root, size_t n) {
        if (n < 32 || !d->part[DDI_DATA].found)
                return 0;
        if (memcmp(d->part[DDI_DATA].uuid, root, 16) != 0)
                return 0;
        if (d->part[DDI_VERITY].found && memcmp(d->part[DDI_VERITY].uuid, root + n - 16, 16) != 0)
                return 0;
        return 1;
}
