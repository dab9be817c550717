/*
 * rtqueue.h - bounded single-producer single-consumer ring of fixed-size
 * records, built on C11 atomics (Debian 12's jack_ringbuffer lacks the
 * fences needed on weakly ordered CPUs).
 *
 * Threads: exactly one producer thread calls rtq_push/rtq_publish, exactly
 * one consumer thread calls rtq_pop; rtq_init/rtq_destroy run before and
 * after both (control thread, outside RT).  Push and pop never block,
 * allocate or make system calls, so either side may be the RT thread.
 *
 * Invariants: capacity is a power of two; whole records only.  The
 * producer may push several records and make them visible at once with
 * rtq_publish, so a batch (an OSC bundle) is seen by the consumer in one
 * cycle or not at all.
 */
#ifndef JMX_RTQUEUE_H
#define JMX_RTQUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct rtq {
	_Alignas(64) atomic_uint head; /* written by producer (publish) */
	_Alignas(64) atomic_uint tail; /* written by consumer */
	_Alignas(64) unsigned wr;      /* producer's unpublished head */
	unsigned mask;
	size_t rec;
	unsigned char *buf;
};

/* Control thread, before use.  capacity is rounded up to a power of two. */
static inline int rtq_init(struct rtq *q, unsigned capacity, size_t rec)
{
	unsigned cap = 1;
	while (cap < capacity)
		cap <<= 1;
	q->buf = calloc(cap, rec);
	if (!q->buf)
		return -1;
	memset(q->buf, 0, (size_t)cap * rec); /* pre-fault */
	q->mask = cap - 1;
	q->rec = rec;
	q->wr = 0;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return 0;
}

static inline void rtq_destroy(struct rtq *q)
{
	free(q->buf);
	q->buf = NULL;
}

/* Producer: records that could still be pushed before publishing. */
static inline unsigned rtq_space(struct rtq *q)
{
	unsigned tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	return q->mask + 1 - (q->wr - tail);
}

/* Producer: stage one record; invisible to the consumer until published.
 * Returns 0, or -1 when full (nothing written). */
static inline int rtq_push(struct rtq *q, const void *rec)
{
	if (rtq_space(q) == 0)
		return -1;
	memcpy(q->buf + (size_t)(q->wr & q->mask) * q->rec, rec, q->rec);
	q->wr++;
	return 0;
}

/* Producer: make every staged record visible at once. */
static inline void rtq_publish(struct rtq *q)
{
	atomic_store_explicit(&q->head, q->wr, memory_order_release);
}

/* Producer: drop staged, unpublished records (a bundle that did not fit). */
static inline void rtq_unstage(struct rtq *q)
{
	q->wr = atomic_load_explicit(&q->head, memory_order_relaxed);
}

/* Consumer: take one record.  Returns 0, or -1 when empty. */
static inline int rtq_pop(struct rtq *q, void *rec)
{
	unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	unsigned head = atomic_load_explicit(&q->head, memory_order_acquire);
	if (tail == head)
		return -1;
	memcpy(rec, q->buf + (size_t)(tail & q->mask) * q->rec, q->rec);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return 0;
}

#endif
