/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Copying a payload while decompressing it, as systemd-sysupdate's import
 * does for regular-file sources: gzip, xz and zstd are recognised by their
 * magic bytes (not the name) and decompressed on the way; anything else is
 * copied as is. The SHA-256 is of the bytes read (the file SHA256SUMS
 * lists), not of what is written. */

#include <stddef.h>
#include <stdint.h>

typedef enum UpdateCompression {
        UPDATE_COMPRESSION_NONE,
        UPDATE_COMPRESSION_GZIP,
        UPDATE_COMPRESSION_XZ,
        UPDATE_COMPRESSION_ZSTD,
} UpdateCompression;

UpdateCompression update_compression_detect(const uint8_t *head, size_t n);
const char *update_compression_name(UpdateCompression c);

/* Read in until EOF, hash it into digest, write it (decompressed) to out
 * (out < 0: only hash). -EBADMSG for a damaged or truncated stream,
 * -errno for I/O errors. */
int update_copy_decompress(int in, int out, uint8_t digest[32], uint64_t *ret_written);

/* The same, written with pwrite() at offset of out (a partition slot of a
 * disk): -EFBIG as soon as the output would exceed max bytes. */
int update_copy_decompress_at(int in, int out, uint64_t offset, uint64_t max, uint8_t digest[32],
                              uint64_t *ret_written);

/* The same as a push decoder, for bodies that arrive in pieces (an HTTP
 * download streamed into a partition slot): write pieces of any size,
 * then finish. An error is sticky: every later call returns it. */
typedef struct UpdateStream UpdateStream;
int update_stream_new(int out, UpdateStream **ret);
int update_stream_new_at(int out, uint64_t offset, uint64_t max, UpdateStream **ret);
int update_stream_write(UpdateStream *s, const void *p, size_t n);
/* End of input: -EBADMSG if a compressed stream is cut short; digest and
 * *ret_written as update_copy_decompress() gives them. */
int update_stream_finish(UpdateStream *s, uint8_t digest[32], uint64_t *ret_written);
void update_stream_free(UpdateStream *s);
