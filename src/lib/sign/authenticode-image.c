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

int authenticode_layout_from_pe(const PeImage *pe, uint64_t image_size, AuthenticodeLayout *ret) {
        AuthenticodeLayout l = {
                .checksum_offset = pe->checksum_offset,
                .security_dir_offset = pe->security_dir_offset,
                .image_size = image_size,
        };
        const PeSection *order[PE_SECTIONS_MAX];
        uint64_t sum, pos;
        size_t n = 0;

        if (!pe->has_security_dir || pe->size_of_headers > image_size || pe->n_sections > PE_SECTIONS_MAX)
                return -EBADMSG;

        /* Sections with raw data, sorted by PointerToRawData (insertion
         * sort: at most PE_SECTIONS_MAX). */
        for (size_t i = 0; i < pe->n_sections; i++) {
                const PeSection *s = &pe->sections[i];
                if (s->raw_size == 0)
                        continue;
                if ((uint64_t) s->raw_offset + s->raw_size > image_size)
                        return -EBADMSG;
                size_t j = n++;
                while (j > 0 && order[j - 1]->raw_offset > s->raw_offset) {
                        order[j] = order[j - 1];
                        j--;
                }
                order[j] = s;
        }

        l.ranges[l.n_ranges++] = (AuthenticodeRange) { 0, pe->size_of_headers };
        sum = pe->size_of_headers;
        pos = pe->size_of_headers;
        l.linear = true;
        for (size_t i = 0; i < n; i++) {
                uint64_t a = order[i]->raw_offset, b = a + order[i]->raw_size;
                if (a != pos)
                        l.linear = false;
                if (a > pos) {
                        if (l.uncovered == 0)
                                l.first_uncovered = pos;
                        l.uncovered += a - pos;
                }
                l.ranges[l.n_ranges++] = (AuthenticodeRange) { a, b };
                sum += order[i]->raw_size;
                pos = MAX(pos, b);
        }
        /* The rest, from SUM_OF_BYTES_HASHED: with gaps this starts before
         * the end of the last section, as the document (and EDK2) has it. */
        if (sum < image_size)
                l.ranges[l.n_ranges++] = (AuthenticodeRange) { sum, image_size };
        *ret = l;
        return 0;
}

void authenticode_image_free(AuthenticodeImage *img) {
        if (!img)
                return;
        pe_image_free(img->pe);
        free(img->table);
        free(img);
}

int authenticode_image_load(int fd, AuthenticodeImage **ret, UkitError *err) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        UkitError pe_err = UKIT_ERROR_INIT;
        int r;

        img = calloc(1, sizeof(*img));
        if (!img)
                return -ENOMEM;

        r = pe_parse_fd(fd, &img->pe, &pe_err);
        if (r < 0) {
                /* Only the parser's own verdicts have a message; an I/O
                 * error (or a file that is not regular: -EBADFD) has none,
                 * and the caller reports the errno. */
                if ((r == -EBADMSG || r == -EOPNOTSUPP) && err && err->code == 0)
                        *err = pe_err;
                return r;
        }
        if (!img->pe->has_security_dir)
                return ukit_error(err, -EBADMSG, "no certificate table entry in the data directories");

        if (img->pe->cert_table_size == 0) {
                r = authenticode_layout_from_pe(img->pe, img->pe->file_size, &img->layout);
                if (r < 0)
                        return ukit_error(err, r, "section data beyond the end of the file");
                *ret = TAKE_PTR(img);
                return 0;
        }

        uint64_t end = (uint64_t) img->pe->cert_table_offset + img->pe->cert_table_size;
        if (end != img->pe->file_size) {
                return ukit_error(err, -EBADMSG, "%s",
                                  end > img->pe->file_size ? "certificate table truncated"
                                                           : "data after the certificate table");
        }
        if (img->pe->cert_table_size > AUTHENTICODE_TABLE_MAX)
                return ukit_error(err, -EFBIG, "certificate table too large");
        img->table_size = img->pe->cert_table_size;
        img->table = malloc(img->table_size);
        if (!img->table)
                return -ENOMEM;
        r = pread_full(fd, img->table, img->table_size, img->pe->cert_table_offset);
        if (r < 0)
                return ukit_error(err, r, "cannot read the certificate table");
        r = authenticode_table_parse(img->table, img->table_size, img->entries, ELEMENTSOF(img->entries),
                                     &img->n_entries);
        if (r == -E2BIG)
                return ukit_error(err, -EFBIG, "too many signatures");
        if (r < 0)
                return ukit_error(err, -EBADMSG, "certificate table truncated or malformed");
        r = authenticode_layout_from_pe(img->pe, img->pe->cert_table_offset, &img->layout);
        if (r < 0)
                return ukit_error(err, r, "certificate table overlaps section data");
        img->signed_ = true;
        *ret = TAKE_PTR(img);
        return 0;
}
