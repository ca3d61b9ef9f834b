/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authenticode on PE files: loading an image's certificate table and
 * finishing an output file with a new one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "authenticode.h"
#include "fileio.h"
#include "pe.h"
#include "util.h"

int authenticode_hasher_write_table(const AuthenticodeHasher *h, int out_fd, const uint8_t *table, size_t table_size) {
        uint64_t start = authenticode_hasher_position(h), end;
        uint8_t dir[8], csum[4];
        int r;

        if (out_fd < 0 || (!table && table_size > 0))
                return -EINVAL;
        if (!ADD_OK(start, (uint64_t) table_size, &end) || end > UINT32_MAX)
                return -EFBIG;

        if (table_size > 0) {
                /* Alignment padding the hasher was fed but that was not
                 * written reads back as zeros (a hole before the table). */
                if (start % AUTHENTICODE_ALIGN != 0)
                        return -EINVAL;
                r = pwrite_full(out_fd, table, table_size, start);
                if (r < 0)
                        return r;
        }
        uint32_t va = table_size > 0 ? (uint32_t) start : 0;
        le32_write(dir, va);
        le32_write(dir + 4, (uint32_t) table_size);
        r = pwrite_full(out_fd, dir, sizeof(dir), authenticode_hasher_security_dir_offset(h));
        if (r < 0)
                return r;
        le32_write(csum, authenticode_hasher_pe_checksum(h, va, (uint32_t) table_size, table, table_size));
        r = pwrite_full(out_fd, csum, sizeof(csum), authenticode_hasher_checksum_offset(h));
        if (r < 0)
                return r;
        return 0;
}

void authenticode_image_free(AuthenticodeImage *img) {
        if (!img)
                return;
        pe_image_free(img->pe);
        free(img->table);
        free(img);
}

int authenticode_image_load(int fd, AuthenticodeImage **ret, const char **ret_reason) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        const char *dummy;
        int r;

        if (!ret_reason)
                ret_reason = &dummy;
        *ret_reason = NULL;

        img = calloc(1, sizeof(*img));
        if (!img)
                return -ENOMEM;

        r = pe_parse_fd(fd, &img->pe);
        if (r < 0) {
                *ret_reason = pe_last_error();
                return r;
        }
        if (!img->pe->has_security_dir) {
                *ret_reason = "no certificate table entry in the data directories";
                return -EBADMSG;
        }

        img->layout = (AuthenticodeLayout) {
                .checksum_offset = img->pe->checksum_offset,
                .security_dir_offset = img->pe->security_dir_offset,
                .image_size = img->pe->file_size,
        };

        if (img->pe->cert_table_size == 0)
                goto done;

        uint64_t end = (uint64_t) img->pe->cert_table_offset + img->pe->cert_table_size;
        if (end != img->pe->file_size) {
                *ret_reason = end > img->pe->file_size ? "certificate table truncated"
                                                       : "data after the certificate table";
                return -EBADMSG;
        }
        if (img->pe->cert_table_size > AUTHENTICODE_TABLE_MAX) {
                *ret_reason = "certificate table too large";
                return -EFBIG;
        }
        img->table_size = img->pe->cert_table_size;
        img->table = malloc(img->table_size);
        if (!img->table)
                return -ENOMEM;
        r = pread_full(fd, img->table, img->table_size, img->pe->cert_table_offset);
        if (r < 0) {
                *ret_reason = "cannot read the certificate table";
                return r;
        }
        r = authenticode_table_parse(img->table, img->table_size, img->entries, ELEMENTSOF(img->entries),
                                     &img->n_entries);
        if (r == -E2BIG) {
                *ret_reason = "too many signatures";
                return -EFBIG;
        }
        if (r < 0) {
                *ret_reason = "certificate table truncated or malformed";
                return -EBADMSG;
        }
        img->signed_ = true;
        img->layout.image_size = img->pe->cert_table_offset;

done:
        *ret = TAKE_PTR(img);
        return 0;
}
