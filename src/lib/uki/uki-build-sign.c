/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uki_build(): Secure Boot signing in the same pass (see uki-build.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uki-build-private.h"
#include "util.h"

/* The signed kernel's replacement sources: the kernel file with CheckSum and
 * the certificate-table entry replaced, zero padding, the table. */
static int splice_signed_kernel(UkiBuild *b, PeNewSection *sec, int fd, const AuthenticodeImage *img,
                                const AuthenticodeHasher *h, uint64_t padded, size_t table_size) {
        const char *path = b->spec->kernel_path;
        uint64_t end;

        if (!ADD_OK(padded, (uint64_t) table_size, &end) || end > UINT32_MAX)
                return uki_build_fail_errno(b, -EFBIG, path, "signed kernel too large");
        le32_write(b->kernel_checksum,
                   authenticode_hasher_pe_checksum(h, (uint32_t) padded, (uint32_t) table_size, b->kernel_table, table_size));
        le32_write(b->kernel_dir, (uint32_t) padded);
        le32_write(b->kernel_dir + 4, (uint32_t) table_size);

        uint64_t cs = img->layout.checksum_offset, sd = img->layout.security_dir_offset, n = img->layout.image_size;
        const PeSource v[] = {
                { .fd = fd, .offset = 0, .size = cs },
                { .fd = -1, .data = b->kernel_checksum, .size = 4 },
                { .fd = fd, .offset = cs + 4, .size = sd - cs - 4 },
                { .fd = -1, .data = b->kernel_dir, .size = 8 },
                { .fd = fd, .offset = sd + 8, .size = n - sd - 8 },
                { .fd = -1, .data = NULL, .size = padded - n },         /* zero padding */
                { .fd = -1, .data = b->kernel_table, .size = table_size },
        };
        size_t k = 0;
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                if (v[i].size > 0)
                        b->kernel_sources[k++] = v[i];
        sec->sources = b->kernel_sources;
        sec->n_sources = k;
        return 0;
}

int uki_build_sign_kernel(UkiBuild *b) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        _cleanup_(authenticode_hasher_freep) AuthenticodeHasher *h = NULL;
        const UkiSignSpec *s = b->spec->sign;
        const char *path = b->spec->kernel_path;
        const EVP_MD *md = EVP_sha256();
        uint8_t digest[EVP_MAX_MD_SIZE], *der = NULL;
        size_t digest_size = 0, der_size = 0, table_size = 0;
        bool explicit = s->sign_kernel == UKI_SIGN_KERNEL_YES;
        uint64_t padded;
        UkitError le = UKIT_ERROR_INIT;
        int r;

        ssize_t i = uki_build_find(b, UKI_NAME_LINUX);
        if (i < 0 || s->sign_kernel == UKI_SIGN_KERNEL_NO)
                return 0;
        PeNewSection *sec = &b->news[i];
        if (!b->spec->kernel || sec->n_sources != 1 || sec->sources[0].fd < 0 || sec->sources[0].offset != 0)
                return explicit ? uki_build_fail(b, -EBADMSG, path, "not a PE image, cannot sign the kernel") : 0;
        int fd = sec->sources[0].fd;
        r = authenticode_image_load(fd, &img, &le);
        if (r < 0)
                return uki_build_fail(b, r, path, "%s", ukit_error_what(&le) ?: "cannot read PE image");
        if (img->pe->file_size != sec->sources[0].size)
                return uki_build_fail(b, -EIO, path, "changed while reading");
        if (img->signed_ && !explicit)
                return 0;       /* ukify signs only unsigned kernels by default */
        if (img->layout.checksum_offset + 4 > img->layout.security_dir_offset)
                return uki_build_fail(b, -EBADMSG, path, "unexpected optional header layout");

        r = authenticode_digest_fd(fd, &img->layout, &md, 1, -1, &h);
        if (r >= 0)
                r = authenticode_hasher_finish(h, !img->signed_, digest, &digest_size, &padded);
        if (r < 0)
                return uki_build_fail_errno(b, r, path, "cannot hash the kernel");
        r = authenticode_sign(md, digest, digest_size, s->cert, NULL, s->key, &der, &der_size);
        if (r < 0)
                return uki_build_fail_errno(b, r, path, "cannot sign the kernel");
        if (img->signed_) {
                /* an additional signature next to the existing ones */
                b->kernel_table = malloc(img->table_size);
                if (!b->kernel_table) {
                        OPENSSL_free(der);
                        return uki_build_fail_errno(b, -ENOMEM, path, "cannot allocate");
                }
                memcpy(b->kernel_table, img->table, img->table_size);
                table_size = img->table_size;
        }
        r = authenticode_table_append(&b->kernel_table, &table_size, der, der_size);
        OPENSSL_free(der);
        if (r < 0)
                return uki_build_fail_errno(b, r, path, "cannot build the kernel's certificate table");
        return splice_signed_kernel(b, sec, fd, img, h, padded, table_size);
}

static int obs_data(void *userdata, const void *buf, size_t n, uint64_t off) {
        UkiBuild *b = userdata;

        if (!b->hasher) {
                if (!b->layout || b->layout->security_dir_offset == 0)
                        return -EBADMSG;
                int r = authenticode_hasher_new(EVP_sha256(), b->layout->checksum_offset,
                                                b->layout->security_dir_offset, &b->hasher);
                if (r < 0)
                        return r;
        }
        return authenticode_hasher_feed(b->hasher, buf, n, off);
}

int uki_build_sign_prepare(UkiBuild *b) {
        uki_build_add_consumer(b, &(PeWriteObserver) { .data = obs_data, .userdata = b });
        return 0;
}

/* Do the output's sections tile the file behind the headers? Then the
 * streamed (linear) digest is the Authenticode digest. */
static bool layout_is_linear(const PeLayout *l) {
        uint64_t pos = l->size_of_headers;
        bool progress = true;
        size_t done = 0;

        while (progress && done < l->n_sections) {
                progress = false;
                for (size_t i = 0; i < l->n_sections; i++)
                        if (l->sections[i].raw_size > 0 && l->sections[i].raw_offset == pos) {
                                pos += l->sections[i].raw_size;
                                done++;
                                progress = true;
                        }
                if (!progress)
                        break;
        }
        size_t with_data = 0;
        for (size_t i = 0; i < l->n_sections; i++)
                with_data += l->sections[i].raw_size > 0;
        return done == with_data && pos == l->file_size;
}

/* Gaps between sections (only possible with unusual stubs): the digest needs
 * the document's order; re-read the output rather than sign a digest
 * firmware would not compute. */
static int rehash_output(UkiBuild *b, int fd) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        const EVP_MD *md = EVP_sha256();
        UkitError le = UKIT_ERROR_INIT;
        int r;

        r = authenticode_image_load(fd, &img, &le);
        if (r < 0)
                return uki_build_fail(b, r, b->output, "%s", ukit_error_what(&le) ?: "cannot re-read the output");
        authenticode_hasher_free(b->hasher);
        b->hasher = NULL;
        r = authenticode_digest_fd(fd, &img->layout, &md, 1, -1, &b->hasher);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot hash the output");
        return 0;
}

int uki_build_sign_finish(UkiBuild *b, int fd) {
        const UkiSignSpec *s = b->spec->sign;
        uint8_t digest[EVP_MAX_MD_SIZE], *der = NULL, *table = NULL;
        size_t digest_size = 0, der_size = 0, table_size = 0;
        int r;

        if (!b->hasher || authenticode_hasher_position(b->hasher) != b->layout->file_size)
                return uki_build_fail(b, -EIO, b->output, "internal error: the signing hash did not see the whole image");
        if (!layout_is_linear(b->layout)) {
                r = rehash_output(b, fd);
                if (r < 0)
                        return r;
        }

        r = authenticode_hasher_finish(b->hasher, true, digest, &digest_size, NULL);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot hash the output");
        r = authenticode_sign(EVP_sha256(), digest, digest_size, s->cert, NULL, s->key, &der, &der_size);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot create signature");
        r = authenticode_table_append(&table, &table_size, der, der_size);
        OPENSSL_free(der);
        if (r >= 0)
                r = authenticode_hasher_write_table(b->hasher, fd, table, table_size);
        free(table);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot write the signature");
        return 0;
}
