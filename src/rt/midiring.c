/*
 * midiring.c - raw MIDI rings between the RT and the control thread; see
 * midiring.h.
 *
 * Threads: midiring_rt_in, midiring_rt_in_end, midiring_rt_out_begin,
 * midiring_rt_out_next and midiring_rt_out_commit are MIDI's whole RT path
 * (the engine's process callback calls them between its JACK MIDI buffer
 * calls): rtq push and pop, memcpy, atomics, clock_gettime (vDSO) and
 * sem_post only, which tests/check-rt-symbols.sh verifies.  midiring_push
 * and midiring_pop run on the control thread, midiring_kick on any non-RT
 * thread, midiring_stats on any; midiring_new and midiring_free on the
 * control thread while no RT thread runs (the *_new / *_free convention
 * the symbol check relies on).
 *
 * Invariants: see midiring.h.  Both directions share one record format
 * and one pair of helpers (put, get), so "whole messages or nothing" is
 * written once.  The RT thread wakes the control thread with sem_post
 * (it may not write to a pipe: a system call that can block), once a
 * period at most, and only when input arrived.
 */
#include "midiring.h"
#include "role.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct midiring *midiring_new(unsigned records)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct midiring *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	/* the longest message must fit into an empty ring */
	if (records < MIDIRING_MSG_MAX / MIDIRING_REC_DATA + 1)
		records = MIDIRING_MSG_MAX / MIDIRING_REC_DATA + 1;
	if (rtq_init(&r->in, records, sizeof(struct midiring_rec)) < 0 ||
	    rtq_init(&r->out, records, sizeof(struct midiring_rec)) < 0) {
		midiring_free(r);
		errno = ENOMEM;
		return NULL;
	}
	if (sem_init(&r->wake, 0, 0) < 0) {
		int err = errno;
		midiring_free(r);
		errno = err;
		return NULL;
	}
	r->sem_ok = 1;
	r->out_empty = MIDIRING_MSG_MAX; /* until the first midiring_rt_out_begin */
	atomic_init(&r->in_events, 0);
	atomic_init(&r->in_dropped, 0);
	atomic_init(&r->out_events, 0);
	atomic_init(&r->out_dropped, 0);
	atomic_init(&r->out_full, 0);
	return r;
}

void midiring_free(struct midiring *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!r)
		return;
	if (r->sem_ok)
		sem_destroy(&r->wake);
	if (r->in.buf)
		rtq_destroy(&r->in);
	if (r->out.buf)
		rtq_destroy(&r->out);
	free(r);
}

uint32_t midiring_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

/* ---- either ring -------------------------------------------------------- */

/* Producer: stage a whole message (1 .. MIDIRING_MSG_MAX bytes); the
 * caller publishes.  -1 when it does not fit (nothing staged). */
static int midiring_put(struct rtq *q, const uint8_t *msg, size_t len, uint32_t t_us)
{
	unsigned nrec = (unsigned)((len + MIDIRING_REC_DATA - 1) / MIDIRING_REC_DATA);
	struct midiring_rec rec;
	if (rtq_space(q) < nrec)
		return -1;
	for (unsigned k = 0; k < nrec; k++) {
		size_t off = (size_t)k * MIDIRING_REC_DATA, n = len - off;
		if (n > MIDIRING_REC_DATA)
			n = MIDIRING_REC_DATA;
		rec.t_us = t_us;
		rec.len = (uint16_t)len;
		rec.n = (uint8_t)n;
		rec.first = k == 0;
		memcpy(rec.data, msg + off, n);
		rtq_push(q, &rec);
	}
	return 0;
}

/* Consumer: one whole message into buf (MIDIRING_MSG_MAX bytes).  Its
 * length, or 0 when the ring is empty.  Messages are published whole, so
 * the records of one are all there once its first is; the checks only
 * keep a corrupt record from overrunning buf. */
static size_t midiring_get(struct rtq *q, uint8_t *buf, uint32_t *t_us)
{
	struct midiring_rec rec;
	size_t len, got = 0;
	do {
		if (rtq_pop(q, &rec) < 0)
			return 0;
	} while (!rec.first);
	len = rec.len;
	*t_us = rec.t_us;
	for (;;) {
		if (got + rec.n > MIDIRING_MSG_MAX)
			return 0;
		memcpy(buf + got, rec.data, rec.n);
		got += rec.n;
		if (got >= len || rtq_pop(q, &rec) < 0)
			break;
	}
	return got == len ? len : 0;
}

/* ---- RT ------------------------------------------------------------------ */

int midiring_rt_in(struct midiring *r, const uint8_t *data, size_t len)
{
	ASSERT_ROLE(ROLE_RT);
	if (len == 0 || (len == 1 && data[0] >= 0xF8))
		return -1;
	if (!r->in_staged)
		r->in_t_us = midiring_now_us(); /* once a period: what the control side measures from */
	if (len > MIDIRING_MSG_MAX || midiring_put(&r->in, data, len, r->in_t_us) < 0) {
		atomic_fetch_add_explicit(&r->in_dropped, 1, memory_order_relaxed);
		return -1;
	}
	r->in_staged++;
	return 0;
}

void midiring_rt_in_end(struct midiring *r)
{
	ASSERT_ROLE(ROLE_RT);
	if (!r->in_staged)
		return;
	rtq_publish(&r->in);
	atomic_fetch_add_explicit(&r->in_events, r->in_staged, memory_order_relaxed);
	r->in_staged = 0;
	sem_post(&r->wake);
}

void midiring_rt_out_begin(struct midiring *r, size_t room)
{
	ASSERT_ROLE(ROLE_RT);
	r->out_empty = room;
}

const uint8_t *midiring_rt_out_next(struct midiring *r, size_t room, size_t *len)
{
	ASSERT_ROLE(ROLE_RT);
	uint32_t t;
	for (;;) {
		if (!r->has_held) {
			size_t n = midiring_get(&r->out, r->held, &t);
			if (!n)
				return NULL;
			r->held_len = (uint16_t)n;
			r->has_held = 1;
		}
		if (r->held_len > r->out_empty) {
			/* could never be written, not even into an empty output */
			r->has_held = 0;
			atomic_fetch_add_explicit(&r->out_dropped, 1, memory_order_relaxed);
			continue;
		}
		if (r->held_len > room)
			return NULL; /* first thing in the next period */
		*len = r->held_len;
		return r->held;
	}
}

void midiring_rt_out_commit(struct midiring *r)
{
	ASSERT_ROLE(ROLE_RT);
	if (!r->has_held)
		return;
	r->has_held = 0;
	atomic_fetch_add_explicit(&r->out_events, 1, memory_order_relaxed);
}

/* ---- control and any thread ------------------------------------------------- */

int midiring_push(struct midiring *r, const uint8_t *msg, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (len == 0 || len > MIDIRING_MSG_MAX)
		return 0; /* nothing that could ever be sent */
	if (midiring_put(&r->out, msg, len, 0) < 0) {
		atomic_fetch_add_explicit(&r->out_full, 1, memory_order_relaxed);
		return -1;
	}
	rtq_publish(&r->out);
	return 0;
}

size_t midiring_pop(struct midiring *r, uint8_t *buf, uint32_t *t_us)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return midiring_get(&r->in, buf, t_us);
}

void midiring_stats(const struct midiring *r, struct midiring_stats *st)
{
	struct midiring *w = (struct midiring *)r; /* atomic loads take no const */
	st->in_events = atomic_load_explicit(&w->in_events, memory_order_relaxed);
	st->in_dropped = atomic_load_explicit(&w->in_dropped, memory_order_relaxed);
	st->out_events = atomic_load_explicit(&w->out_events, memory_order_relaxed);
	st->out_dropped = atomic_load_explicit(&w->out_dropped, memory_order_relaxed);
	st->out_full = atomic_load_explicit(&w->out_full, memory_order_relaxed);
}

void midiring_kick(struct midiring *r)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	sem_post(&r->wake);
}
