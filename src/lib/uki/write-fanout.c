/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The write fan-out (see write-fanout.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"
#include "write-fanout.h"

typedef enum EventKind {
        EVENT_DATA,             /* data(), and section_data() when section >= 0 */
        EVENT_SECTION_DATA,     /* section_data() only */
        EVENT_SECTION_END,
} EventKind;

/* One writer call; p is not owned: it points into the writer's memory
 * (valid until the drain, see pe-write.h) or into a block of the pool. */
typedef struct Event {
        EventKind kind;
        const uint8_t *p;
        size_t n;
        uint64_t offset;
        ssize_t section;
        const PeLayoutSection *s;
} Event;

/* A read buffer lent to the writer: free again once every consumer has
 * handled the events before number release (the last one that refers to
 * it, plus one). */
typedef struct Block {
        uint8_t *p;
        uint64_t release;
} Block;

typedef struct Consumer {
        WriteFanout *f;
        const PeWriteObserver *o;
        pthread_t thread;
        bool started;
        uint64_t done;          /* events handled */
        int error;
} Consumer;

struct WriteFanout {
        PeWriteObserver observer;
        Consumer consumers[WRITE_FANOUT_MAX];
        size_t n;
        bool threaded;

        Event ring[WRITE_FANOUT_EVENTS];
        uint64_t published;     /* events consumers may handle */
        uint64_t written;       /* events filled by the writer (>= published) */

        Block blocks[WRITE_FANOUT_BLOCKS];
        uint8_t *pool;
        size_t pool_size;
        uint64_t next_block;

        pthread_mutex_t lock;
        pthread_cond_t cond_data, cond_space;
        bool stop;
};

/* ---- consumers ------------------------------------------------------------ */

static void handle(Consumer *c, const Event *ev) {
        const PeWriteObserver *o = c->o;
        int r = 0;

        if (__atomic_load_n(&c->error, __ATOMIC_ACQUIRE) < 0)
                return;
        if (ev->kind == EVENT_SECTION_END) {
                if (o->section_end)
                        r = o->section_end(o->userdata, (size_t) ev->section, ev->s);
        } else if (ev->kind == EVENT_SECTION_DATA) {
                if (o->section_data)
                        r = o->section_data(o->userdata, (size_t) ev->section, ev->s, ev->p, ev->n);
        } else {
                if (o->data)
                        r = o->data(o->userdata, ev->p, ev->n, ev->offset);
                if (r >= 0 && ev->section >= 0 && o->section_data)
                        r = o->section_data(o->userdata, (size_t) ev->section, ev->s, ev->p, ev->n);
        }
        if (r < 0)
                __atomic_store_n(&c->error, r, __ATOMIC_RELEASE);
}

static void *consumer_main(void *p) {
        Consumer *c = p;
        WriteFanout *f = c->f;

        pthread_mutex_lock(&f->lock);
        for (;;) {
                while (!f->stop && c->done == f->published)
                        pthread_cond_wait(&f->cond_data, &f->lock);
                if (c->done == f->published && f->stop)
                        break;
                uint64_t e = c->done;
                pthread_mutex_unlock(&f->lock);
                /* the writer fills no slot and reuses no block before done
                 * passes it: the event and its bytes are stable here */
                handle(c, &f->ring[e % WRITE_FANOUT_EVENTS]);
                pthread_mutex_lock(&f->lock);
                c->done = e + 1;
                pthread_cond_broadcast(&f->cond_space);
        }
        pthread_mutex_unlock(&f->lock);
        return NULL;
}

/* ---- the writer's side -------------------------------------------------------- */

static uint64_t slowest(const WriteFanout *f) {
        uint64_t m = UINT64_MAX;
        for (size_t i = 0; i < f->n; i++)
                m = MIN(m, f->consumers[i].done);
        return m;
}

static int first_error(const WriteFanout *f) {
        for (size_t i = 0; i < f->n; i++) {
                int r = __atomic_load_n(&f->consumers[i].error, __ATOMIC_ACQUIRE);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void publish_locked(WriteFanout *f) {
        if (f->published != f->written) {
                f->published = f->written;
                pthread_cond_broadcast(&f->cond_data);
        }
}

static void publish(WriteFanout *f) {
        pthread_mutex_lock(&f->lock);
        publish_locked(f);
        pthread_mutex_unlock(&f->lock);
}

/* Wait until every consumer has handled the events before number upto
 * (publishing what is written first, so that they can). */
static void wait_done(WriteFanout *f, uint64_t upto) {
        pthread_mutex_lock(&f->lock);
        while (slowest(f) < upto) {
                publish_locked(f);
                pthread_cond_wait(&f->cond_space, &f->lock);
        }
        pthread_mutex_unlock(&f->lock);
}

/* Append an event (not yet published: section_data() may still mark a
 * data event as section bytes). */
static void push(WriteFanout *f, const Event *ev) {
        if (f->written >= WRITE_FANOUT_EVENTS)
                wait_done(f, f->written - WRITE_FANOUT_EVENTS + 1);
        f->ring[f->written % WRITE_FANOUT_EVENTS] = *ev;
        f->written++;
        for (size_t i = 0; i < WRITE_FANOUT_BLOCKS && ev->n > 0; i++)
                if (ev->p >= f->blocks[i].p && ev->p < f->blocks[i].p + PE_WRITE_BUFFER_SIZE)
                        f->blocks[i].release = f->written;
}

static int fan_data(void *userdata, const void *buf, size_t n, uint64_t off) {
        WriteFanout *f = userdata;
        int r = first_error(f);

        if (r < 0)
                return r;
        if (f->published != f->written)
                publish(f);
        push(f, &(Event) { .kind = EVENT_DATA, .p = buf, .n = n, .offset = off, .section = -1 });
        return 0;
}

static int fan_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        WriteFanout *f = userdata;
        Event *last = f->written > f->published ? &f->ring[(f->written - 1) % WRITE_FANOUT_EVENTS] : NULL;

        /* pe_write() calls data() and then section_data() with the same
         * bytes: one event for both when the data event is still ours. */
        if (last && last->kind == EVENT_DATA && last->p == buf && last->n == n && last->section < 0) {
                last->section = (ssize_t) index;
                last->s = s;
                return 0;
        }
        push(f, &(Event) { .kind = EVENT_SECTION_DATA, .p = buf, .n = n, .section = (ssize_t) index, .s = s });
        return 0;
}

static int fan_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        WriteFanout *f = userdata;
        int r = first_error(f);

        if (r < 0)
                return r;
        push(f, &(Event) { .kind = EVENT_SECTION_END, .section = (ssize_t) index, .s = s });
        publish(f);
        return 0;
}

/* The writer's read buffer: the next block of the pool, once free. */
static void *fan_read_buffer(void *userdata, size_t n) {
        WriteFanout *f = userdata;
        Block *b = &f->blocks[f->next_block % WRITE_FANOUT_BLOCKS];

        if (n > PE_WRITE_BUFFER_SIZE)
                return NULL;
        f->next_block++;
        wait_done(f, b->release);
        return b->p;
}

/* ---- inline --------------------------------------------------------------- */

static int inline_data(void *userdata, const void *buf, size_t n, uint64_t off) {
        WriteFanout *f = userdata;
        for (size_t i = 0; i < f->n; i++) {
                const PeWriteObserver *o = f->consumers[i].o;
                int r = o->data ? o->data(o->userdata, buf, n, off) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int inline_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        WriteFanout *f = userdata;
        for (size_t i = 0; i < f->n; i++) {
                const PeWriteObserver *o = f->consumers[i].o;
                int r = o->section_data ? o->section_data(o->userdata, index, s, buf, n) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int inline_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        WriteFanout *f = userdata;
        for (size_t i = 0; i < f->n; i++) {
                const PeWriteObserver *o = f->consumers[i].o;
                int r = o->section_end ? o->section_end(o->userdata, index, s) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- set-up --------------------------------------------------------------- */

static unsigned threads_wanted(unsigned threads, size_t n) {
        if (threads == 0) {
                const char *e = getenv("UKIT_BUILD_THREADS");
                if (e && *e)
                        threads = (unsigned) strtoul(e, NULL, 10);
        }
        if (threads == 0)
                threads = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? (unsigned) n : 1;
        return threads;
}

static int start_threads(WriteFanout *f) {
        const size_t huge = 2u * 1024u * 1024u, size = (size_t) WRITE_FANOUT_BLOCKS * PE_WRITE_BUFFER_SIZE;

        f->pool_size = size + huge;
        f->pool = mmap(NULL, f->pool_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (f->pool == MAP_FAILED) {
                f->pool = NULL;
                return -ENOMEM;
        }
        /* Huge pages where the kernel can: the first touch of each 4 KiB
         * page (thousands of faults) cost more CPU than all the rest of the
         * overhead (measured in a VM). */
        uint8_t *base = (uint8_t *) (((uintptr_t) f->pool + huge - 1) & ~(uintptr_t) (huge - 1));
        (void) madvise(base, size, MADV_HUGEPAGE);
        for (size_t i = 0; i < WRITE_FANOUT_BLOCKS; i++)
                f->blocks[i].p = base + i * PE_WRITE_BUFFER_SIZE;
        if (pthread_mutex_init(&f->lock, NULL) != 0)
                return -ENOMEM;
        pthread_cond_init(&f->cond_data, NULL);
        pthread_cond_init(&f->cond_space, NULL);
        f->threaded = true;
        for (size_t i = 0; i < f->n; i++) {
                int r = pthread_create(&f->consumers[i].thread, NULL, consumer_main, &f->consumers[i]);
                if (r != 0)
                        return -r;
                f->consumers[i].started = true;
        }
        f->observer = (PeWriteObserver) {
                .data = fan_data,
                .section_data = fan_section_data,
                .section_end = fan_section_end,
                .read_buffer = fan_read_buffer,
                .userdata = f,
        };
        return 0;
}

int write_fanout_new(const PeWriteObserver *const *consumers, size_t n, unsigned threads, WriteFanout **ret) {
        WriteFanout *f;
        int r;

        if (n > WRITE_FANOUT_MAX)
                return -E2BIG;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->n = n;
        for (size_t i = 0; i < n; i++)
                f->consumers[i] = (Consumer) { .f = f, .o = consumers[i] };
        f->observer = (PeWriteObserver) {
                .data = inline_data,
                .section_data = inline_section_data,
                .section_end = inline_section_end,
                .userdata = f,
        };
        if (n > 0 && threads_wanted(threads, n) > 1) {
                r = start_threads(f);
                if (r < 0) {
                        write_fanout_free(f);
                        return r;
                }
        }
        *ret = f;
        return 0;
}

const PeWriteObserver *write_fanout_observer(const WriteFanout *f) {
        return &f->observer;
}

int write_fanout_drain(WriteFanout *f) {
        if (!f->threaded)
                return 0;
        wait_done(f, f->written);
        return first_error(f);
}

void write_fanout_free(WriteFanout *f) {
        if (f->threaded) {
                /* what is left is not handled (after an error the writer's
                 * memory may be going away) */
                for (size_t i = 0; i < f->n; i++)
                        __atomic_store_n(&f->consumers[i].error, -ECANCELED, __ATOMIC_RELEASE);
                pthread_mutex_lock(&f->lock);
                f->stop = true;
                f->published = f->written;
                pthread_cond_broadcast(&f->cond_data);
                pthread_mutex_unlock(&f->lock);
                for (size_t i = 0; i < f->n; i++)
                        if (f->consumers[i].started)
                                pthread_join(f->consumers[i].thread, NULL);
                pthread_mutex_destroy(&f->lock);
                pthread_cond_destroy(&f->cond_data);
                pthread_cond_destroy(&f->cond_space);
        }
        if (f->pool)
                munmap(f->pool, f->pool_size);
        free(f);
}
