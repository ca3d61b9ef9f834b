/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The write fan-out (see write-fanout.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "write-fanout.h"

typedef enum EventKind {
        EVENT_DATA,             /* data(), and section_data() when section >= 0 */
        EVENT_SECTION_DATA,     /* section_data() only */
        EVENT_SECTION_END,
} EventKind;

typedef struct Slot {
        EventKind kind;
        uint8_t *buf;           /* WRITE_FANOUT_SLOT_SIZE bytes */
        size_t n;
        uint64_t offset;
        ssize_t section;
        const PeLayoutSection *s;
} Slot;

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

        Slot ring[WRITE_FANOUT_SLOTS];
        uint64_t published;     /* events consumers may handle */
        uint64_t written;       /* events filled by the writer (>= published) */
        /* the last data() pieces, not published until it is known whether
         * section_data() follows for the same bytes */
        const void *pending_p;
        size_t pending_n;
        uint64_t pending_first;
        bool pending_early;     /* some of them were published (the ring was full) */

        pthread_mutex_t lock;
        pthread_cond_t cond_data, cond_space;
        bool stop;
};

/* ---- consumers ------------------------------------------------------------ */

static void handle(Consumer *c, const Slot *sl) {
        const PeWriteObserver *o = c->o;
        int r = 0;

        if (__atomic_load_n(&c->error, __ATOMIC_ACQUIRE) < 0)
                return;
        if (sl->kind == EVENT_SECTION_END) {
                if (o->section_end)
                        r = o->section_end(o->userdata, (size_t) sl->section, sl->s);
        } else if (sl->kind == EVENT_SECTION_DATA) {
                if (o->section_data)
                        r = o->section_data(o->userdata, (size_t) sl->section, sl->s, sl->buf, sl->n);
        } else {
                if (o->data)
                        r = o->data(o->userdata, sl->buf, sl->n, sl->offset);
                if (r >= 0 && sl->section >= 0 && o->section_data)
                        r = o->section_data(o->userdata, (size_t) sl->section, sl->s, sl->buf, sl->n);
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
                uint64_t upto = f->published;
                pthread_mutex_unlock(&f->lock);
                for (uint64_t e = c->done; e < upto; e++) {
                        handle(c, &f->ring[e % WRITE_FANOUT_SLOTS]);
                        if ((e & 3) == 3 || e + 1 == upto) {
                                pthread_mutex_lock(&f->lock);
                                c->done = e + 1;
                                pthread_cond_broadcast(&f->cond_space);
                                pthread_mutex_unlock(&f->lock);
                        }
                }
                pthread_mutex_lock(&f->lock);
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
        for (size_t i = 0; i < f->n; i++)
                if (__atomic_load_n(&f->consumers[i].error, __ATOMIC_ACQUIRE) < 0)
                        return __atomic_load_n(&f->consumers[i].error, __ATOMIC_ACQUIRE);
        return 0;
}

static void publish(WriteFanout *f) {
        pthread_mutex_lock(&f->lock);
        f->published = f->written;
        f->pending_p = NULL;
        pthread_cond_broadcast(&f->cond_data);
        pthread_mutex_unlock(&f->lock);
}

/* A free slot for event number f->written (publishing what is pending
 * first when the ring is full). */
static Slot *next_slot(WriteFanout *f) {
        pthread_mutex_lock(&f->lock);
        while (f->written - slowest(f) >= WRITE_FANOUT_SLOTS) {
                if (f->published != f->written) {
                        f->pending_early = f->pending_early || f->pending_p;
                        f->published = f->written;
                        pthread_cond_broadcast(&f->cond_data);
                }
                pthread_cond_wait(&f->cond_space, &f->lock);
        }
        pthread_mutex_unlock(&f->lock);
        return &f->ring[f->written % WRITE_FANOUT_SLOTS];
}

static int fan_data(void *userdata, const void *buf, size_t n, uint64_t off) {
        WriteFanout *f = userdata;
        int r = first_error(f);

        if (r < 0)
                return r;
        if (f->pending_p)
                publish(f);
        f->pending_first = f->written;
        f->pending_early = false;
        f->pending_p = buf;     /* (set before the loop: next_slot() may publish) */
        for (size_t done = 0; done < n; ) {
                Slot *sl = next_slot(f);
                size_t k = MIN(n - done, (size_t) WRITE_FANOUT_SLOT_SIZE);
                memcpy(sl->buf, (const uint8_t *) buf + done, k);
                sl->kind = EVENT_DATA;
                sl->n = k;
                sl->offset = off + done;
                sl->section = -1;
                sl->s = NULL;
                f->written++;
                done += k;
        }
        f->pending_p = buf;
        f->pending_n = n;
        return 0;
}

/* The slow path: the data pieces were published before section_data()
 * came (one data() larger than the ring): copy the bytes again. */
static int fan_section_copy(WriteFanout *f, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        publish(f);
        for (size_t done = 0; done < n; ) {
                Slot *sl = next_slot(f);
                size_t k = MIN(n - done, (size_t) WRITE_FANOUT_SLOT_SIZE);
                memcpy(sl->buf, (const uint8_t *) buf + done, k);
                sl->kind = EVENT_SECTION_DATA;
                sl->n = k;
                sl->offset = 0;
                sl->section = (ssize_t) index;
                sl->s = s;
                f->written++;
                done += k;
        }
        publish(f);
        return 0;
}

static int fan_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        WriteFanout *f = userdata;

        /* pe_write() calls data() and then section_data() with the same
         * bytes: mark the pieces just copied as section bytes too. */
        if (!f->pending_p || f->pending_p != buf || f->pending_n != n || f->pending_early)
                return fan_section_copy(f, index, s, buf, n);
        for (uint64_t e = f->pending_first; e < f->written; e++) {
                f->ring[e % WRITE_FANOUT_SLOTS].section = (ssize_t) index;
                f->ring[e % WRITE_FANOUT_SLOTS].s = s;
        }
        publish(f);
        return 0;
}

static int fan_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        WriteFanout *f = userdata;
        int r = first_error(f);

        if (r < 0)
                return r;
        Slot *sl = next_slot(f);
        sl->kind = EVENT_SECTION_END;
        sl->n = 0;
        sl->section = (ssize_t) index;
        sl->s = s;
        f->written++;
        publish(f);
        return 0;
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
        for (size_t i = 0; i < WRITE_FANOUT_SLOTS; i++) {
                f->ring[i].buf = malloc(WRITE_FANOUT_SLOT_SIZE);
                if (!f->ring[i].buf)
                        return -ENOMEM;
        }
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
        if (f->pending_p || f->published != f->written)
                publish(f);
        pthread_mutex_lock(&f->lock);
        while (slowest(f) < f->published)
                pthread_cond_wait(&f->cond_space, &f->lock);
        pthread_mutex_unlock(&f->lock);
        return first_error(f);
}

void write_fanout_free(WriteFanout *f) {
        if (f->threaded) {
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
        for (size_t i = 0; i < WRITE_FANOUT_SLOTS; i++)
                free(f->ring[i].buf);
        free(f);
}
