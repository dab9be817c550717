/*
 * recring.c - RT-to-disk frame ring; see recring.h.
 *
 * Threads: recring_push and recring_push_ext are the recorder's whole RT
 * path and live in the RT convenience library, so
 * tests/check-rt-symbols.sh follows their calls (plain loops, memcpy,
 * atomics and sem_post only).  recring_pop_gap and recring_kick run on
 * the disk and control threads; recring_new, recring_wide_new and
 * recring_free on the control thread before activation and after
 * deactivation (the gate's *_new / *_free convention).  The blocking
 * wait is inline in recring.h, so it never enters this library.
 *
 * Invariants: see recring.h.  The stems are a second plane of the
 * master's frames rather than a ring of their own, so one head, one tail
 * and one gap list describe both: alignment between master and stems
 * needs no bookkeeping at all.  A plane of their own (not extra columns
 * in the master's frames) keeps the push one copy of the mixer's
 * frame-major tap and lets the disk thread write the master and a multi
 * stem file straight from the ring.  A loss is published as one gap record when
 * the next period fits, so a whole overflow episode costs one record; if
 * the gap queue itself is full the loss simply grows until it has room,
 * which keeps the stream length exact at the price of more silence.
 */
#include "recring.h"
#include "role.h"

#include <stdlib.h>
#include <string.h>

int recring_wide_new(struct recring *q, uint32_t frames, unsigned stems, uint32_t wake_frames)
{
	ASSERT_ROLE(ROLE_CONTROL);
	uint32_t cap = 1024;

	memset(q, 0, sizeof *q);
	if (frames > (1u << 30) || stems > RECRING_MAX_STEMS)
		return -1;
	while (cap < frames)
		cap <<= 1;
	q->buf = calloc((size_t)cap * RECRING_CHANNELS, sizeof(float));
	q->xbuf = stems ? calloc((size_t)cap * stems, sizeof(float)) : NULL;
	if (!q->buf || (stems && !q->xbuf)) {
		free(q->buf);
		free(q->xbuf);
		q->buf = q->xbuf = NULL;
		return -1;
	}
	/* calloc may hand back untouched zero pages: write every page so the
	 * RT thread never takes a page fault (mlockall then pins them). */
	memset(q->buf, 0, (size_t)cap * RECRING_CHANNELS * sizeof(float));
	if (stems)
		memset(q->xbuf, 0, (size_t)cap * stems * sizeof(float));
	q->stems = stems;
	q->cap = cap;
	q->mask = cap - 1;
	q->wake_frames = wake_frames ? wake_frames : 1;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	atomic_init(&q->gap_head, 0);
	atomic_init(&q->gap_tail, 0);
	atomic_init(&q->lost, 0);
	atomic_init(&q->overflows, 0);
	if (sem_init(&q->wake, 0, 0) < 0) {
		free(q->buf);
		free(q->xbuf);
		q->buf = q->xbuf = NULL;
		return -1;
	}
	return 0;
}

int recring_new(struct recring *q, uint32_t frames, uint32_t wake_frames)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return recring_wide_new(q, frames, 0, wake_frames);
}

void recring_free(struct recring *q)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!q->buf)
		return;
	sem_destroy(&q->wake);
	free(q->buf);
	free(q->xbuf);
	q->buf = q->xbuf = NULL;
}

/* RT: try to publish the pending loss.  0 when there is none left. */
static int recring_flush_gap(struct recring *q, uint32_t at)
{
	uint32_t gh = atomic_load_explicit(&q->gap_head, memory_order_relaxed);
	uint32_t gt = atomic_load_explicit(&q->gap_tail, memory_order_acquire);

	if (gh - gt >= RECRING_GAPS)
		return -1;
	q->gaps[gh & (RECRING_GAPS - 1)].at = at;
	q->gaps[gh & (RECRING_GAPS - 1)].len = q->pend_len;
	atomic_store_explicit(&q->gap_head, gh + 1, memory_order_release);
	q->pend_len = 0;
	return 0;
}

uint32_t recring_push_ext(struct recring *q, const float *l, const float *r, const float *ext, uint32_t n)
{
	ASSERT_ROLE(ROLE_RT);
	const unsigned nx = q->stems;
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (n == 0)
		return 0;
	if (q->cap - (head - tail) < n || (q->pend_len && recring_flush_gap(q, head) < 0)) {
		q->pend_len += n;
		atomic_fetch_add_explicit(&q->lost, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&q->overflows, 1, memory_order_relaxed);
		/* the consumer is behind: make sure it is awake */
		sem_post(&q->wake);
		q->since_wake = 0;
		return 0;
	}
	uint32_t i = 0;
	while (i < n) {
		uint32_t pos = (head + i) & q->mask;
		uint32_t run = q->cap - pos;
		if (run > n - i)
			run = n - i;
		float *d = q->buf + (size_t)pos * RECRING_CHANNELS;
		for (uint32_t k = 0; k < run; k++) {
			d[2 * k] = l[i + k];
			d[2 * k + 1] = r[i + k];
		}
		/* the tap is frame-major like the plane: one copy a run */
		if (nx && ext)
			memcpy(q->xbuf + (size_t)pos * nx, ext + (size_t)i * nx,
			       (size_t)run * nx * sizeof(float));
		else if (nx)
			memset(q->xbuf + (size_t)pos * nx, 0, (size_t)run * nx * sizeof(float));
		i += run;
	}
	atomic_store_explicit(&q->head, head + n, memory_order_release);
	q->since_wake += n;
	if (q->since_wake >= q->wake_frames) {
		q->since_wake = 0;
		sem_post(&q->wake);
	}
	return n;
}

uint32_t recring_push(struct recring *q, const float *l, const float *r, uint32_t n)
{
	ASSERT_ROLE(ROLE_RT);
	return recring_push_ext(q, l, r, NULL, n);
}

int recring_pop_gap(struct recring *q, struct recring_gap *g)
{
	ASSERT_ROLE(ROLE_DISK);
	uint32_t gt = atomic_load_explicit(&q->gap_tail, memory_order_relaxed);
	uint32_t gh = atomic_load_explicit(&q->gap_head, memory_order_acquire);

	if (gt == gh)
		return -1;
	*g = q->gaps[gt & (RECRING_GAPS - 1)];
	atomic_store_explicit(&q->gap_tail, gt + 1, memory_order_release);
	return 0;
}

void recring_kick(struct recring *q)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	sem_post(&q->wake);
}
