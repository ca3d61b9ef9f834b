/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One writer, several hashers: the fan-out is a PeWriteObserver that hands
 * every event of pe_write() (data, section_data, section_end) to a set of
 * consumer observers, each on its own thread, so the bytes are read once and
 * the digests (each PCR bank, Authenticode) are computed side by side.
 *
 * The bytes go through a ring of WRITE_FANOUT_SLOTS buffers of
 * WRITE_FANOUT_SLOT_SIZE bytes (one copy, much cheaper than any hash); the
 * writer only waits when the slowest consumer is a whole ring behind. Each
 * consumer sees the events in the writer's order, exactly as if it were
 * called by pe_write() itself (section_data's bytes are the data's bytes).
 *
 * With threads == 1 (UKIT_BUILD_THREADS=1) or on one CPU the consumers are
 * called inline, in order, with no copy.
 *
 * write_fanout_drain() waits until every consumer has handled every event so
 * far (call it before using what they computed, e.g. to sign a PCR value
 * into a section the writer is about to copy out, and after pe_write()). A
 * consumer's error stops its callbacks; the writer gets it at its next
 * event or from the drain. */

#include <stddef.h>

#include "pe-write.h"

#define WRITE_FANOUT_SLOTS      32u
#define WRITE_FANOUT_SLOT_SIZE  (1024u * 1024u)
#define WRITE_FANOUT_MAX        8u

typedef struct WriteFanout WriteFanout;

/* threads: 0 = from UKIT_BUILD_THREADS, else automatic (one per consumer
 * when there are two CPUs or more); 1 = inline. The consumers must stay
 * valid until write_fanout_free(). */
int write_fanout_new(const PeWriteObserver *const *consumers, size_t n, unsigned threads, WriteFanout **ret);
/* The observer to pass to pe_write(). */
const PeWriteObserver *write_fanout_observer(const WriteFanout *f);
int write_fanout_drain(WriteFanout *f);
void write_fanout_free(WriteFanout *f);
static inline void write_fanout_freep(WriteFanout **f) {
        if (*f)
                write_fanout_free(*f);
}
