/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The write fan-out: every consumer sees the writer's events in order, with
 * the same bytes, threaded or inline, also when one data() is larger than
 * all the blocks together and when the lent blocks are reused (a block
 * lent again before every consumer is done with it would change their
 * digests: the bytes are a function of the offset); a consumer's error
 * reaches the writer. Checked with OpenSSL's SHA-256 of
 * each stream against one computed directly from the writer's bytes. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "test.h"
#include "write-fanout.h"

typedef struct Sink {
        EVP_MD_CTX *data, *section;
        uint64_t next_off;
        size_t ends;
        int last_index;         /* section_data() may be split: hash the index once per section */
        int fail_at_end;        /* return -EIO at this section_end (0: never) */
        EVP_MD_CTX *slow;       /* hashes everything again, a few times: the writer gets ahead */
} Sink;

static int sink_data(void *u, const void *buf, size_t n, uint64_t off) {
        Sink *s = u;
        if (off != s->next_off)
                return -EBADMSG;
        s->next_off += n;
        for (int i = 0; s->slow && i < 3; i++)
                EVP_DigestUpdate(s->slow, buf, n);
        return EVP_DigestUpdate(s->data, buf, n) ? 0 : -EIO;
}

static int sink_section_data(void *u, size_t index, const PeLayoutSection *ls, const void *buf, size_t n) {
        Sink *s = u;
        uint8_t i = (uint8_t) index;
        if (s->last_index != (int) index)
                EVP_DigestUpdate(s->section, &i, 1);
        s->last_index = (int) index;
        return EVP_DigestUpdate(s->section, buf, n) ? 0 : -EIO;
}

static int sink_section_end(void *u, size_t index, const PeLayoutSection *ls) {
        Sink *s = u;
        s->ends++;
        if (s->fail_at_end && s->ends == (size_t) s->fail_at_end)
                return -EIO;
        return 0;
}

static void digest(EVP_MD_CTX *c, uint8_t out[32]) {
        unsigned n = 0;
        CHECK(EVP_DigestFinal_ex(c, out, &n) == 1);
        EVP_MD_CTX_free(c);
}

/* The writer's bytes at file offset off (a function of the offset, so that
 * bytes overwritten too early would change the consumers' digests). */
static uint8_t pattern(uint64_t off) {
        return (uint8_t) (off * 7 + (off >> 12) * 13 + (off >> 22));
}

/* A writer, as pe_write(): sections of various sizes, with padding between
 * them; file bytes go into the blocks the fan-out lends (more of them than
 * it has, so that they are reused), or into the writer's own buffer when
 * it lends none (inline); one section of 40 MiB is one data() call from
 * the writer's memory. */
static int run(unsigned threads, int fail_at_end, uint8_t want_data[32], uint8_t want_section[32],
               uint8_t got_data[2][32], uint8_t got_section[2][32]) {
        static const size_t sizes[] = { 512, 3u << 20, 1, 40u << 20, 1u << 20, 77777, 70u << 20, 4096 };
        Sink sinks[2] = {};
        const PeWriteObserver obs[2] = {
                { .data = sink_data, .section_data = sink_section_data, .section_end = sink_section_end, .userdata = &sinks[0] },
                { .data = sink_data, .section_data = sink_section_data, .section_end = sink_section_end, .userdata = &sinks[1] },
        };
        const PeWriteObserver *ptrs[2] = { &obs[0], &obs[1] };
        EVP_MD_CTX *wd = EVP_MD_CTX_new(), *ws = EVP_MD_CTX_new();
        WriteFanout *f = NULL;
        uint8_t *own = malloc(PE_WRITE_BUFFER_SIZE), *big = malloc(40u << 20);
        static const uint8_t pad[100];
        uint64_t off = 0;
        int r = 0;

        CHECK(own && big && wd && ws);
        EVP_DigestInit_ex(wd, EVP_sha256(), NULL);
        EVP_DigestInit_ex(ws, EVP_sha256(), NULL);
        for (size_t i = 0; i < 2; i++) {
                sinks[i].last_index = -1;
                sinks[i].data = EVP_MD_CTX_new();
                sinks[i].section = EVP_MD_CTX_new();
                EVP_DigestInit_ex(sinks[i].data, EVP_sha256(), NULL);
                EVP_DigestInit_ex(sinks[i].section, EVP_sha256(), NULL);
        }
        sinks[1].fail_at_end = fail_at_end;
        sinks[1].slow = EVP_MD_CTX_new();
        CHECK(sinks[1].slow && EVP_DigestInit_ex(sinks[1].slow, EVP_sha512(), NULL) == 1);
        CHECK_EQ_INT(write_fanout_new(ptrs, 2, threads, &f), 0);
        const PeWriteObserver *o = write_fanout_observer(f);
        CHECK(!o->read_buffer == (threads == 1));

        for (size_t s = 0; s < ELEMENTSOF(sizes) && r >= 0; s++) {
                uint8_t idx = (uint8_t) s;
                r = o->data(o->userdata, pad, sizeof(pad), off);        /* padding: no section */
                EVP_DigestUpdate(wd, pad, sizeof(pad));
                off += sizeof(pad);
                for (size_t done = 0; done < sizes[s] && r >= 0; ) {
                        size_t n = sizes[s] - done;
                        uint8_t *p = big;
                        if (s != 3) {
                                n = n < PE_WRITE_BUFFER_SIZE ? n : PE_WRITE_BUFFER_SIZE;
                                p = o->read_buffer ? o->read_buffer(o->userdata, n) : own;
                                CHECK(p);
                        }
                        for (size_t k = 0; k < n; k++)
                                p[k] = pattern(off + k);
                        r = o->data(o->userdata, p, n, off);
                        if (r >= 0)
                                r = o->section_data(o->userdata, s, NULL, p, n);
                        EVP_DigestUpdate(wd, p, n);
                        if (done == 0)
                                EVP_DigestUpdate(ws, &idx, 1);
                        EVP_DigestUpdate(ws, p, n);
                        off += n;
                        done += n;
                }
                if (r >= 0)
                        r = o->section_end(o->userdata, s, NULL);
        }
        if (r >= 0)
                r = write_fanout_drain(f);
        write_fanout_free(f);
        digest(wd, want_data);
        digest(ws, want_section);
        for (size_t i = 0; i < 2; i++) {
                digest(sinks[i].data, got_data[i]);
                digest(sinks[i].section, got_section[i]);
                if (r >= 0)
                        CHECK_EQ_INT(sinks[i].ends, ELEMENTSOF(sizes));
        }
        EVP_MD_CTX_free(sinks[1].slow);
        free(own);
        free(big);
        return r;
}

int main(void) {
        for (unsigned threads = 1; threads <= 3; threads++) {
                uint8_t wd[32], ws[32], gd[2][32], gs[2][32];
                CHECK_EQ_INT(run(threads, 0, wd, ws, gd, gs), 0);
                for (size_t i = 0; i < 2; i++) {
                        CHECK(memcmp(wd, gd[i], 32) == 0);
                        CHECK(memcmp(ws, gs[i], 32) == 0);
                }
                /* an error in one consumer reaches the writer */
                CHECK_EQ_INT(run(threads, 2, wd, ws, gd, gs), -EIO);
        }
        TEST_DONE();
}
