/*
 * midiring.h - the rings that carry raw MIDI between the RT thread and the
 * control thread: "in" (midi_in's events, RT -> control) and "out"
 * (messages for midi_out, control -> RT), whole messages only, with the
 * time the RT thread took each input message, drop counters, and a
 * semaphore the RT thread posts when input arrived.
 *
 * The ring knows nothing of JACK: the engine's process callback walks the
 * port buffers and hands over plain events (midiring_rt_in) and takes
 * plain messages (midiring_rt_out_next), so this file sits in the RT
 * library, where tests/check-rt-symbols.sh follows its calls.
 *
 * Threads:
 *   midiring_new, midiring_free        control thread, while no RT runs
 *   midiring_rt_*                      the RT thread only (producer of
 *                                      "in", consumer of "out")
 *   midiring_push                      one control thread (producer of "out")
 *   midiring_pop                       one control thread (consumer of "in")
 *   midiring_wait                      one non-RT thread (the waker)
 *   midiring_kick, midiring_stats      any non-RT thread (stats: any thread)
 *
 * Invariants: one producer and one consumer per ring.  A message is a run
 * of fixed-size records (each carries the message's length), staged after
 * checking space for all of them and published at once, so a consumer
 * finds a message whole or not at all; one that does not fit is dropped
 * and counted, never split.  The RT side keeps at most one message taken
 * from "out" that did not fit into this period's output and offers it
 * first in the next period; a message longer than an empty output holds
 * can never be sent and is dropped and counted.
 */
#ifndef JMX_MIDIRING_H
#define JMX_MIDIRING_H

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rtqueue.h"

#define MIDIRING_MSG_MAX  256u /* longest message carried (SysEx included) */
#define MIDIRING_REC_DATA 24u  /* message bytes a record */

struct midiring_rec {
	uint32_t t_us; /* CLOCK_MONOTONIC when the RT thread took it (input) */
	uint16_t len;  /* length of the whole message */
	uint8_t n;     /* bytes in this record */
	uint8_t first; /* the message's first record */
	uint8_t data[MIDIRING_REC_DATA];
};

struct midiring {
	struct rtq in, out;
	sem_t wake;
	int sem_ok;
	/* RT thread only */
	uint32_t in_t_us;   /* time stamp of this period's input */
	unsigned in_staged; /* messages staged since the last publish */
	size_t out_empty;   /* what an empty output holds this period */
	uint8_t held[MIDIRING_MSG_MAX];
	uint16_t held_len;
	int has_held; /* held is the next message to write */
	/* counters (RT writes, anyone reads) */
	atomic_ulong in_events, in_dropped, out_events, out_dropped;
	atomic_ulong out_full; /* midiring_push refused (control writes) */
};

struct midiring_stats {
	unsigned long in_events, in_dropped;   /* taken from midi_in; dropped (full, too long) */
	unsigned long out_events, out_dropped; /* written to midi_out; dropped (too long) */
	unsigned long out_full;                /* midiring_push refusals (the caller retries) */
};

/* Control: rings of `records` records each way (rounded up to a power of
 * two; a message takes ceil(len / MIDIRING_REC_DATA) of them), pre-faulted.
 * NULL when out of memory or without a semaphore (errno tells). */
struct midiring *midiring_new(unsigned records);
void midiring_free(struct midiring *r);

/* RT: one event from midi_in.  Staged, not yet visible: publish with
 * midiring_rt_in_end.  MIDI clock and active sensing (one byte, 0xF8 ..
 * 0xFF: 24 a beat, and nothing maps them) are ignored; a message longer
 * than MIDIRING_MSG_MAX or one the ring has no room for is dropped and
 * counted.  0 when staged, -1 when not. */
int midiring_rt_in(struct midiring *r, const uint8_t *data, size_t len);
/* RT: after the period's last event: publish what was staged and wake the
 * waker (sem_post) if anything was. */
void midiring_rt_in_end(struct midiring *r);

/* RT, once a period before midiring_rt_out_next: room is how long a
 * message an empty output takes (jack_midi_max_event_size of the cleared
 * buffer).  A message longer than that is dropped and counted. */
void midiring_rt_out_begin(struct midiring *r, size_t room);
/* RT: the next message for midi_out, the one carried over from the last
 * period first, or NULL when nothing waits or the next one is longer than
 * `room` (what the output still takes now): it stays first in line for
 * the next period.  *len gets its length.  The message is not consumed
 * until midiring_rt_out_commit; without that it is offered again. */
const uint8_t *midiring_rt_out_next(struct midiring *r, size_t room, size_t *len);
/* RT: the message midiring_rt_out_next returned was written. */
void midiring_rt_out_commit(struct midiring *r);

/* Control: queue one message for midi_out.  0; -1 when the ring is full
 * (counted in out_full; the caller keeps it and retries); 0 and nothing
 * queued for a message that could never be sent (empty or longer than
 * MIDIRING_MSG_MAX). */
int midiring_push(struct midiring *r, const uint8_t *msg, size_t len);
/* Control: take one whole input message into buf (MIDIRING_MSG_MAX
 * bytes); *t_us gets the RT thread's time stamp (CLOCK_MONOTONIC, in
 * microseconds modulo 2^32).  Its length, or 0 when none is waiting. */
size_t midiring_pop(struct midiring *r, uint8_t *buf, uint32_t *t_us);

/* Any thread: the counters. */
void midiring_stats(const struct midiring *r, struct midiring_stats *st);

/* CLOCK_MONOTONIC in microseconds modulo 2^32, the time stamps' clock. */
uint32_t midiring_now_us(void);

/* The waker: block until the RT thread posted (input arrived) or a kick;
 * several posts count as one.  Inline so that this blocking call never
 * sits in the RT library. */
static inline void midiring_wait(struct midiring *r)
{
	while (sem_wait(&r->wake) < 0 && errno == EINTR)
		;
	while (sem_trywait(&r->wake) == 0)
		; /* one wake-up for everything pending */
}

/* Any non-RT thread: wake the waker (to make it look at a quit flag). */
void midiring_kick(struct midiring *r);

#endif
