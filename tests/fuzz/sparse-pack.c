/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sparse-pack IN OUT: write IN in the sparse seed form of sparse.h (runs of
 * non-zero 512-byte blocks). For making fuzz seeds from disk images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparse.h"

static void le(FILE *f, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; i++)
                fputc((int) (v >> (8 * i) & 0xff), f);
}

int main(int argc, char **argv) {
        static uint8_t zero[512];
        if (argc != 3) {
                fprintf(stderr, "usage: sparse-pack IN OUT\n");
                return 2;
        }
        FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
        if (!in || !out) {
                perror("sparse-pack");
                return 1;
        }
        fseek(in, 0, SEEK_END);
        long size = ftell(in);
        rewind(in);
        uint8_t *buf = malloc(size > 0 ? (size_t) size : 1);
        if (!buf || fread(buf, 1, (size_t) size, in) != (size_t) size) {
                perror("sparse-pack");
                return 1;
        }
        fwrite(SPARSE_MAGIC, 1, 8, out);
        le(out, (uint64_t) size, 8);
        for (size_t off = 0; off < (size_t) size;) {
                size_t n = (size_t) size - off < 512 ? (size_t) size - off : 512;
                if (memcmp(buf + off, zero, n) == 0) {
                        off += n;
                        continue;
                }
                size_t end = off + n;
                while (end < (size_t) size) {
                        size_t k = (size_t) size - end < 512 ? (size_t) size - end : 512;
                        if (memcmp(buf + end, zero, k) == 0)
                                break;
                        end += k;
                }
                le(out, off, 8);
                le(out, end - off, 4);
                fwrite(buf + off, 1, end - off, out);
                off = end;
        }
        free(buf);
        fclose(in);
        return fclose(out) == 0 ? 0 : 1;
}
