/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One writer, several hashers: the fan-out is a PeWriteObserver that hands
 * every event of pe_write() (data, section_data, section_end) to a set of
 * consumer observers, each on its own thread, so the bytes are read once and
 * the digests (each PCR bank, Authenticode) are computed side by side.
 *
 * Nothing is copied: an event holds the writer's pointer. The writer's
 * memory (headers, in-memory sources, zero padding) stays valid until the
 * drain; the bytes pe_write() reads from files go into blocks the fan-out
 * lends it (read_buffer(), WRITE_FANOUT_BLOCKS of PE_WRITE_BUFFER_SIZE), and
 * a block is lent again only when every consumer has handled every event
 * that refers to it. The writer waits when the slowest consumer is
 * WRITE_FANOUT_EVENTS events or all the blocks behind. Each consumer sees
 * the events in the writer's order, exactly as if it were called by
 * pe_write() itself (section_data's bytes are the data's bytes).
 *
 * With threads == 1 (UKIT_BUILD_THREADS=1) or on one CPU the consumers are
 * called inline, in order, and no block is lent.
 *
 * write_fanout_drain() waits until every consumer has handled every event so
 * far (call it before using what they computed, e.g. to sign a PCR value
 * into a section the writer is about to copy out, and after pe_write()). A
 * consumer's error stops its callbacks; the writer gets it at its next
 * event or from the drain. */

#include <stddef.h>

#include "pe-write.h"

#define WRITE_FANOUT_EVENTS     256u
#define WRITE_FANOUT_BLOCKS     4u
#define WRITE_FANOUT_MAX        8u

typedef struct WriteFanout WriteFanout;

/* threads: 0 = from UKIT_BUILD_THREADS, else automatic (one per consumer
 * when there are two CPUs or more); 1 = inline. The consumers must stay
 * valid until write_fanout_free(); so must every pointer passed to the
 * observer but the lent blocks (write_fanout_free() first, then them). */
int write_fanout_new(const PeWriteObserver *const *consumers, size_t n, unsigned threads, WriteFanout **ret);
/* The observer to pass to pe_write(). */
const PeWriteObserver *write_fanout_observer(const WriteFanout *f);
int write_fanout_drain(WriteFanout *f);
void write_fanout_free(WriteFanout *f);
static inline void write_fanout_freep(WriteFanout **f) {
        if (*f)
                write_fanout_free(*f);
}
