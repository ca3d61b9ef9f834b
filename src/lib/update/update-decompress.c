/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "fileio.h"
#include "update-decompress.h"
#include "util.h"

#define CHUNK (256u * 1024u)

UpdateCompression update_compression_detect(const uint8_t *h, size_t n) {
        if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
                return UPDATE_COMPRESSION_GZIP;
        if (n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0)
                return UPDATE_COMPRESSION_XZ;
        if (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0)
                return UPDATE_COMPRESSION_ZSTD;
        return UPDATE_COMPRESSION_NONE;
}

const char *update_compression_name(UpdateCompression c) {
        static const char *const names[] = { "none", "gzip", "xz", "zstd" };
        return c <= UPDATE_COMPRESSION_ZSTD ? names[c] : "?";
}

typedef struct Decoder {
        UpdateCompression kind;
        z_stream z;
        lzma_stream x;
        ZSTD_DStream *d;
        bool ended;
} Decoder;

static int decoder_init(Decoder *dec, UpdateCompression kind) {
        dec->kind = kind;
        switch (kind) {
        case UPDATE_COMPRESSION_GZIP:
                return inflateInit2(&dec->z, 15 + 16) == Z_OK ? 0 : -ENOMEM;
        case UPDATE_COMPRESSION_XZ:
                dec->x = (lzma_stream) LZMA_STREAM_INIT;
                return lzma_stream_decoder(&dec->x, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK ? 0 : -ENOMEM;
        case UPDATE_COMPRESSION_ZSTD:
                dec->d = ZSTD_createDStream();
                return dec->d ? 0 : -ENOMEM;
        default:
                return 0;
        }
}

static void decoder_done(Decoder *dec) {
        if (dec->kind == UPDATE_COMPRESSION_GZIP)
                inflateEnd(&dec->z);
        else if (dec->kind == UPDATE_COMPRESSION_XZ)
                lzma_end(&dec->x);
        else if (dec->kind == UPDATE_COMPRESSION_ZSTD)
                ZSTD_freeDStream(dec->d);
}

/* Where output goes: appended to fd, or (positioned) written with pwrite
 * at off + pos and refused beyond max bytes (a partition slot). */
typedef struct Sink {
        int fd;
        bool positioned;
        uint64_t off, max, pos;
} Sink;

static int sink_write(Sink *s, const uint8_t *buf, size_t n) {
        int r;

        if (s->fd < 0 || n == 0)
                return 0;
        if (!s->positioned)
                return write_full(s->fd, buf, n);
        if (n > s->max - s->pos)
                return -EFBIG;
        r = pwrite_full(s->fd, buf, n, s->off + s->pos);
        if (r >= 0)
                s->pos += n;
        return r;
}

/* Feed n bytes (n == 0: end of input), writing output to out. */
static int decoder_feed(Decoder *dec, const uint8_t *in, size_t n, Sink *out, uint8_t *obuf, uint64_t *written) {
        bool finish = n == 0;

        if (dec->kind == UPDATE_COMPRESSION_NONE) {
                *written += n;
                return sink_write(out, in, n);
        }
        if (finish)
                return dec->ended ? 0 : -EBADMSG;       /* truncated stream */
        if (dec->kind == UPDATE_COMPRESSION_ZSTD) {
                ZSTD_inBuffer ib = { in, n, 0 };
                while (ib.pos < ib.size) {
                        ZSTD_outBuffer ob = { obuf, CHUNK, 0 };
                        size_t r = ZSTD_decompressStream(dec->d, &ob, &ib);
                        int w;
                        if (ZSTD_isError(r))
                                return -EBADMSG;
                        dec->ended = r == 0;
                        *written += ob.pos;
                        if ((w = sink_write(out, obuf, ob.pos)) < 0)
                                return w;
                }
                return 0;
        }
        if (dec->kind == UPDATE_COMPRESSION_GZIP) {
                dec->z.next_in = (Bytef *) in;
                dec->z.avail_in = n;
                while (dec->z.avail_in > 0) {
                        int zr, w;
                        size_t got;
                        if (dec->ended) {
                                /* another gzip member follows (as gunzip accepts) */
                                if (inflateReset(&dec->z) != Z_OK)
                                        return -EBADMSG;
                                dec->ended = false;
                        }
                        dec->z.next_out = obuf;
                        dec->z.avail_out = CHUNK;
                        zr = inflate(&dec->z, Z_NO_FLUSH);
                        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                                return -EBADMSG;
                        dec->ended = zr == Z_STREAM_END;
                        got = CHUNK - dec->z.avail_out;
                        *written += got;
                        if ((w = sink_write(out, obuf, got)) < 0)
                                return w;
                        if (zr == Z_BUF_ERROR && got == 0)
                                break;
                }
                return 0;
        }
        dec->x.next_in = in;
        dec->x.avail_in = n;
        while (dec->x.avail_in > 0) {
                lzma_ret lr;
                size_t got;
                int w;
                dec->x.next_out = obuf;
                dec->x.avail_out = CHUNK;
                lr = lzma_code(&dec->x, LZMA_RUN);
                if (lr != LZMA_OK && lr != LZMA_STREAM_END)
                        return -EBADMSG;
                got = CHUNK - dec->x.avail_out;
                *written += got;
                if ((w = sink_write(out, obuf, got)) < 0)
                        return w;
                if (lr == LZMA_STREAM_END) {
                        dec->ended = true;
                        return dec->x.avail_in == 0 ? 0 : -EBADMSG;
                }
        }
        /* LZMA_CONCATENATED: the end is only known at LZMA_FINISH */
        return 0;
}

static int xz_finish(Decoder *dec, Sink *out, uint8_t *obuf, uint64_t *written) {
        for (;;) {
                lzma_ret lr;
                size_t got;
                int w;
                dec->x.next_in = NULL;
                dec->x.avail_in = 0;
                dec->x.next_out = obuf;
                dec->x.avail_out = CHUNK;
                lr = lzma_code(&dec->x, LZMA_FINISH);
                got = CHUNK - dec->x.avail_out;
                *written += got;
                if ((w = sink_write(out, obuf, got)) < 0)
                        return w;
                if (lr == LZMA_STREAM_END)
                        return 0;
                if (lr != LZMA_OK || got == 0)
                        return -EBADMSG;
        }
}

struct UpdateStream {
        Sink out;
        Decoder dec;
        EVP_MD_CTX *md;
        uint8_t *ibuf, *obuf;
        size_t n_in;            /* bytes waiting in ibuf */
        bool started;           /* the decoder is chosen (from the first bytes) */
        uint64_t written;
        int error;              /* sticky */
};

static int stream_new(const Sink *out, UpdateStream **ret) {
        UpdateStream *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->out = *out;
        s->ibuf = malloc(CHUNK);
        s->obuf = malloc(CHUNK);
        s->md = EVP_MD_CTX_new();
        if (!s->ibuf || !s->obuf || !s->md || !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL)) {
                update_stream_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

int update_stream_new(int out, UpdateStream **ret) {
        Sink sink = { .fd = out };
        return stream_new(&sink, ret);
}

int update_stream_new_at(int out, uint64_t offset, uint64_t max, UpdateStream **ret) {
        Sink sink = { .fd = out, .positioned = true, .off = offset, .max = max };
        return stream_new(&sink, ret);
}

void update_stream_free(UpdateStream *s) {
        if (!s)
                return;
        if (s->started)
                decoder_done(&s->dec);
        EVP_MD_CTX_free(s->md);
        free(s->ibuf);
        free(s->obuf);
        free(s);
}

/* Decode n bytes; the first call sees at least CHUNK bytes or all there
 * is, enough to tell the compression by its magic. */
static int stream_process(UpdateStream *s, const uint8_t *b, size_t n) {
        int r;

        if (!s->started) {
                r = decoder_init(&s->dec, update_compression_detect(b, n));
                s->started = true;
                if (r < 0)
                        return r;
        }
        return decoder_feed(&s->dec, b, n, &s->out, s->obuf, &s->written);
}

int update_stream_write(UpdateStream *s, const void *p, size_t n) {
        const uint8_t *b = p;

        if (s->error < 0)
                return s->error;
        EVP_DigestUpdate(s->md, b, n);
        while (n > 0 && s->error >= 0) {
                size_t k;

                if (s->n_in == 0 && n >= CHUNK) {
                        /* large pieces go through without a copy */
                        s->error = stream_process(s, b, n);
                        break;
                }
                k = MIN(n, CHUNK - s->n_in);
                memcpy(s->ibuf + s->n_in, b, k);
                s->n_in += k;
                b += k;
                n -= k;
                if (s->n_in == CHUNK) {
                        s->error = stream_process(s, s->ibuf, CHUNK);
                        s->n_in = 0;
                }
        }
        return MIN(s->error, 0);
}

int update_stream_finish(UpdateStream *s, uint8_t digest[32], uint64_t *ret_written) {
        int r = s->error;

        if (r >= 0 && (s->n_in > 0 || !s->started))
                r = stream_process(s, s->ibuf, s->n_in);
        s->n_in = 0;
        if (r >= 0)
                r = s->dec.kind == UPDATE_COMPRESSION_XZ ? xz_finish(&s->dec, &s->out, s->obuf, &s->written)
                                                         : decoder_feed(&s->dec, NULL, 0, &s->out, s->obuf, &s->written);
        if (r >= 0)
                EVP_DigestFinal_ex(s->md, digest, NULL);
        if (ret_written)
                *ret_written = s->written;
        s->error = r < 0 ? r : -EALREADY;
        return MIN(r, 0);
}

static int copy_decompress(int in, UpdateStream *s, uint8_t digest[32], uint64_t *ret_written) {
        _cleanup_free_ uint8_t *buf = malloc(CHUNK);
        int r = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(in, buf, CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                r = update_stream_write(s, buf, n);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = update_stream_finish(s, digest, ret_written);
        else if (ret_written)
                *ret_written = s->written;
        return r;
}

int update_copy_decompress(int in, int out, uint8_t digest[32], uint64_t *ret_written) {
        UpdateStream *s = NULL;
        int r = update_stream_new(out, &s);

        if (r < 0)
                return r;
        r = copy_decompress(in, s, digest, ret_written);
        update_stream_free(s);
        return r;
}

int update_copy_decompress_at(int in, int out, uint64_t offset, uint64_t max, uint8_t digest[32],
                              uint64_t *ret_written) {
        UpdateStream *s = NULL;
        int r = update_stream_new_at(out, offset, max, &s);

        if (r < 0)
                return r;
        r = copy_decompress(in, s, digest, ret_written);
        update_stream_free(s);
        return r;
}
