/*
 * test_midiring.c - the raw MIDI rings between the RT and the control
 * thread (src/rt/midiring.c), without JACK: the RT side is driven the way
 * engine.c drives it, with a plain byte budget standing in for the
 * midi_out buffer.
 *
 * Single thread: messages are invisible until the period's input is
 * published, then cross whole, with one wake-up; MIDI clock is ignored;
 * a full ring drops a message whole and counts it (never a part of it);
 * a message that did not fit this period's output is offered first in the
 * next one, also when the engine could not write it after all (no
 * commit); a message longer than an empty output takes is dropped and
 * counted.  Two threads: a producer and a consumer exchange 200000
 * messages of 4 .. 256 bytes each way through small rings, each stamped
 * with a sequence number and filled with bytes derived from it; the
 * consumer checks that every message arrives whole, in order, and (into
 * the RT side, which drops rather than waits) that received plus dropped
 * is exactly what was sent.
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "midiring.h"
#include "test_util.h"

#define THREAD_MSGS 200000u

/* A message of len bytes (4 .. MIDIRING_MSG_MAX) carrying seq. */
static void msg_make(uint8_t *b, uint32_t seq, size_t len)
{
	memcpy(b, &seq, 4);
	for (size_t i = 4; i < len; i++)
		b[i] = (uint8_t)(seq * 31u + i * 7u);
}

/* The length msg_make gives seq: every length from 4 to the maximum. */
static size_t msg_len(uint32_t seq)
{
	return 4 + (size_t)(seq * 2654435761u % (MIDIRING_MSG_MAX - 3));
}

/* seq of a message whose bytes are what msg_make wrote for its seq (any
 * length), else UINT32_MAX */
static uint32_t msg_seq(const uint8_t *b, size_t len)
{
	uint32_t seq;
	if (len < 4)
		return UINT32_MAX;
	memcpy(&seq, b, 4);
	for (size_t i = 4; i < len; i++)
		if (b[i] != (uint8_t)(seq * 31u + i * 7u))
			return UINT32_MAX;
	return seq;
}

/* the same, and the length msg_len gives it: the whole message */
static uint32_t msg_whole(const uint8_t *b, size_t len)
{
	uint32_t seq = msg_seq(b, len);
	return seq != UINT32_MAX && len == msg_len(seq) ? seq : UINT32_MAX;
}

static int posts(struct midiring *r)
{
	int n = 0;
	while (sem_trywait(&r->wake) == 0)
		n++;
	return n;
}

static void test_checker(void)
{
	uint8_t b[MIDIRING_MSG_MAX];
	size_t len = msg_len(5);
	msg_make(b, 5, len);
	CHECK(msg_whole(b, len) == 5, "an intact message is recognised");
	b[len - 1] ^= 1;
	CHECK(msg_whole(b, len) == UINT32_MAX, "a torn message (last byte) is detected");
	b[len - 1] ^= 1;
	CHECK(msg_whole(b, len - 1) == UINT32_MAX, "a short message is detected");
	b[0] ^= 1;
	CHECK(msg_whole(b, len) == UINT32_MAX, "another message's head is detected");
}

static void test_in(void)
{
	struct midiring *r = midiring_new(64);
	struct midiring_stats st;
	uint8_t buf[MIDIRING_MSG_MAX], big[MIDIRING_MSG_MAX + 1];
	const uint8_t cc[3] = {0xB0, 7, 100}, clock = 0xF8, sense = 0xFE;
	uint32_t t;

	CHECK(r != NULL, "midiring_new");
	if (!r)
		return;
	CHECK(midiring_pop(r, buf, &t) == 0, "empty at first");
	CHECK(midiring_rt_in(r, cc, 3) == 0, "a control change is taken");
	CHECK(midiring_rt_in(r, &clock, 1) < 0 && midiring_rt_in(r, &sense, 1) < 0, "clock, sensing ignored");
	CHECK(midiring_rt_in(r, cc, 0) < 0, "an empty event is ignored");
	memset(big, 0xF0, sizeof big);
	CHECK(midiring_rt_in(r, big, sizeof big) < 0, "a message over %u bytes is dropped", MIDIRING_MSG_MAX);
	msg_make(buf, 42, MIDIRING_MSG_MAX);
	CHECK(midiring_rt_in(r, buf, MIDIRING_MSG_MAX) == 0, "a message of %u bytes is taken",
	      MIDIRING_MSG_MAX);
	CHECK(midiring_pop(r, buf, &t) == 0, "nothing visible before the period's end");
	CHECK(posts(r) == 0, "no wake-up before the period's end");
	midiring_rt_in_end(r);
	CHECK(posts(r) == 1, "one wake-up for the period");
	midiring_rt_in_end(r);
	CHECK(posts(r) == 0, "no wake-up for a period without input");

	size_t n = midiring_pop(r, buf, &t);
	CHECK(n == 3 && !memcmp(buf, cc, 3), "the control change crosses whole (%zu bytes)", n);
	uint32_t t0 = t;
	n = midiring_pop(r, buf, &t);
	CHECK(n == MIDIRING_MSG_MAX && msg_seq(buf, n) == 42, "the long message crosses whole (%zu bytes)",
	      n);
	CHECK(t == t0, "one time stamp a period");
	CHECK((uint32_t)(midiring_now_us() - t) < 10000000u, "the time stamp is the monotonic clock's");
	CHECK(midiring_pop(r, buf, &t) == 0, "then empty");
	midiring_stats(r, &st);
	CHECK(st.in_events == 2 && st.in_dropped == 1, "counted %lu in, %lu dropped; want 2, 1", st.in_events,
	      st.in_dropped);
	midiring_free(r);
}

/* A full ring: the next message is dropped whole and counted, also one
 * whose first records would still fit. */
static void test_full(void)
{
	struct midiring *r = midiring_new(16);
	struct midiring_stats st;
	uint8_t buf[MIDIRING_MSG_MAX];
	uint32_t t;
	unsigned taken = 0, dropped = 0;

	CHECK(r != NULL, "midiring_new");
	if (!r)
		return;
	/* 15 one-record messages, then one of two records into the last one */
	for (uint32_t s = 0; s < 15; s++) {
		msg_make(buf, s, MIDIRING_REC_DATA);
		taken += midiring_rt_in(r, buf, MIDIRING_REC_DATA) == 0;
	}
	CHECK(taken == 15, "15 of 16 records used: %u", taken);
	msg_make(buf, 99, 2 * MIDIRING_REC_DATA);
	dropped += midiring_rt_in(r, buf, 2 * MIDIRING_REC_DATA) < 0;
	CHECK(dropped == 1, "a two-record message does not fit into one free record");
	midiring_rt_in_end(r);
	midiring_stats(r, &st);
	CHECK(st.in_events == 15 && st.in_dropped == 1, "counted %lu in, %lu dropped; want 15, 1",
	      st.in_events, st.in_dropped);
	for (uint32_t s = 0; s < 15; s++) {
		size_t n = midiring_pop(r, buf, &t);
		CHECK(n == MIDIRING_REC_DATA && msg_seq(buf, n) == s, "message %u crosses whole (%zu bytes)",
		      s, n);
	}
	CHECK(midiring_pop(r, buf, &t) == 0, "nothing of the dropped message crossed");

	/* the control side: the same, and the caller hears it */
	for (uint32_t s = 0; s < 16; s++) {
		msg_make(buf, s, MIDIRING_REC_DATA);
		CHECK(midiring_push(r, buf, MIDIRING_REC_DATA) == 0, "push %u of 16", s);
	}
	CHECK(midiring_push(r, buf, 3) < 0, "a full ring refuses");
	midiring_stats(r, &st);
	CHECK(st.out_full == 1, "the refusal is counted: %lu", st.out_full);
	CHECK(midiring_push(r, buf, 0) == 0 && midiring_push(r, buf, MIDIRING_MSG_MAX + 1) == 0,
	      "what could never be sent is not queued, and not retried");
	midiring_free(r);
}

/* Out: one period's output takes what fits; the rest waits, first in line. */
static void test_carry(void)
{
	struct midiring *r = midiring_new(64);
	struct midiring_stats st;
	uint8_t a[10], b[10], c[10], d[10];
	const uint8_t *m;
	size_t len;

	CHECK(r != NULL, "midiring_new");
	if (!r)
		return;
	memset(a, 'a', sizeof a);
	memset(b, 'b', sizeof b);
	memset(c, 'c', sizeof c);
	memset(d, 'd', sizeof d);
	midiring_push(r, a, sizeof a);
	midiring_push(r, b, sizeof b);
	midiring_push(r, c, sizeof c);

	/* period 1: room for two */
	midiring_rt_out_begin(r, 100);
	m = midiring_rt_out_next(r, 25, &len);
	CHECK(m && len == 10 && m[0] == 'a', "period 1: a first");
	midiring_rt_out_commit(r);
	m = midiring_rt_out_next(r, 15, &len);
	CHECK(m && len == 10 && m[0] == 'b', "period 1: then b");
	midiring_rt_out_commit(r);
	m = midiring_rt_out_next(r, 5, &len);
	CHECK(m == NULL, "period 1: c does not fit into 5 bytes");
	midiring_push(r, d, sizeof d); /* arrives after c was taken from the ring */

	/* period 2: c before d */
	midiring_rt_out_begin(r, 100);
	m = midiring_rt_out_next(r, 100, &len);
	CHECK(m && len == 10 && m[0] == 'c', "period 2: the carried message first (got %c)", m ? m[0] : '-');
	/* the engine could not reserve it after all: no commit */
	midiring_rt_out_begin(r, 100);
	m = midiring_rt_out_next(r, 100, &len);
	CHECK(m && len == 10 && m[0] == 'c', "period 3: offered again until committed (got %c)",
	      m ? m[0] : '-');
	midiring_rt_out_commit(r);
	m = midiring_rt_out_next(r, 90, &len);
	CHECK(m && len == 10 && m[0] == 'd', "period 3: then d");
	midiring_rt_out_commit(r);
	CHECK(midiring_rt_out_next(r, 80, &len) == NULL, "period 3: then nothing");
	midiring_rt_out_commit(r); /* a commit without a message counts nothing */

	/* longer than an empty output: dropped, counted, the next one goes */
	uint8_t big[200];
	memset(big, 0xF0, sizeof big);
	midiring_push(r, big, sizeof big);
	midiring_push(r, a, sizeof a);
	midiring_rt_out_begin(r, 100);
	m = midiring_rt_out_next(r, 100, &len);
	CHECK(m && len == 10 && m[0] == 'a', "the 200-byte message is skipped for a");
	midiring_rt_out_commit(r);
	midiring_stats(r, &st);
	CHECK(st.out_events == 5 && st.out_dropped == 1, "counted %lu out, %lu dropped; want 5, 1",
	      st.out_events, st.out_dropped);
	/* but one that fits an empty output and not this period's rest waits */
	midiring_push(r, big, sizeof big);
	midiring_rt_out_begin(r, 300);
	CHECK(midiring_rt_out_next(r, 150, &len) == NULL, "200 bytes wait when 150 are left of 300");
	midiring_rt_out_begin(r, 300);
	m = midiring_rt_out_next(r, 300, &len);
	CHECK(m && len == 200, "and go next period");
	midiring_rt_out_commit(r);
	midiring_stats(r, &st);
	CHECK(st.out_dropped == 1, "without a drop: %lu", st.out_dropped);
	midiring_free(r);
}

/* ---- two threads ---------------------------------------------------------- */

static struct midiring *ring;
static atomic_int in_done;
static atomic_uint consumed;  /* messages the control side took */
static atomic_int out_abort;  /* the consumer gave up: the producer stops */
static atomic_int in_stalled; /* the producer waited in vain for the consumer */

/* RT side feeding "in": periods of 1 .. 16 events.  Eight periods in a
 * row wait until the control side has taken everything (the ring holds a
 * period of the longest messages: nothing is dropped), the next eight do
 * not, so that the ring may also run full and drop. */
static void *rt_producer(void *arg)
{
	uint8_t b[MIDIRING_MSG_MAX];
	uint32_t seq = 0, published = 0, period = 0;
	(void)arg;
	while (seq < THREAD_MSGS) {
		unsigned k = 1 + seq % 16;
		if (period++ / 8 % 2 == 0 && !atomic_load(&in_stalled)) {
			time_t t0 = time(NULL);
			while (atomic_load(&consumed) != published) {
				if (time(NULL) - t0 > 10) {
					/* what was published never arrived: fail, not hang */
					atomic_store(&in_stalled, 1);
					break;
				}
				sched_yield();
			}
		}
		for (unsigned i = 0; i < k && seq < THREAD_MSGS; i++, seq++) {
			size_t len = msg_len(seq);
			msg_make(b, seq, len);
			published += midiring_rt_in(ring, b, len) == 0;
		}
		midiring_rt_in_end(ring);
	}
	atomic_store(&in_done, 1);
	midiring_kick(ring);
	return NULL;
}

/* Control side feeding "out": every message, retrying while full. */
static void *ctl_producer(void *arg)
{
	uint8_t b[MIDIRING_MSG_MAX];
	(void)arg;
	for (uint32_t seq = 0; seq < THREAD_MSGS; seq++) {
		size_t len = msg_len(seq);
		msg_make(b, seq, len);
		while (midiring_push(ring, b, len) < 0) {
			if (atomic_load(&out_abort))
				return NULL;
			sched_yield(); /* two threads may share one core */
		}
	}
	return NULL;
}

static void test_threads_in(void)
{
	pthread_t th;
	uint8_t b[MIDIRING_MSG_MAX];
	uint32_t t, next = 0, torn = 0, order = 0, got = 0;
	struct midiring_stats st;

	ring = midiring_new(256);
	CHECK(ring != NULL, "midiring_new");
	if (!ring)
		return;
	atomic_store(&in_done, 0);
	atomic_store(&consumed, 0);
	atomic_store(&in_stalled, 0);
	pthread_create(&th, NULL, rt_producer, NULL);
	for (;;) {
		int done = atomic_load(&in_done); /* before the pop: then an empty ring is the end */
		size_t n = midiring_pop(ring, b, &t);
		if (!n && done)
			break;
		if (!n) {
			midiring_wait(ring);
			continue;
		}
		uint32_t s = msg_whole(b, n);
		if (s == UINT32_MAX)
			torn++;
		else if (s < next)
			order++;
		else
			next = s + 1;
		got++;
		atomic_fetch_add(&consumed, 1);
	}
	pthread_join(th, NULL);
	midiring_stats(ring, &st);
	CHECK(!atomic_load(&in_stalled), "in: published messages did not arrive within 10 s");
	CHECK(torn == 0, "in: %u torn messages", torn);
	CHECK(order == 0, "in: %u messages out of order", order);
	CHECK(st.in_events == got, "in: %lu published, %u received", st.in_events, got);
	CHECK(got + st.in_dropped == THREAD_MSGS, "in: %u received + %lu dropped != %u sent", got,
	      st.in_dropped, THREAD_MSGS);
	CHECK(got >= THREAD_MSGS / 4, "in: only %u of %u crossed", got, THREAD_MSGS);
	printf("in: %u messages crossed, %lu dropped (ring full)\n", got, st.in_dropped);
	midiring_free(ring);
}

static void test_threads_out(void)
{
	pthread_t th;
	uint32_t next = 0, torn = 0, order = 0, periods = 0;
	struct midiring_stats st;

	ring = midiring_new(64);
	CHECK(ring != NULL, "midiring_new");
	if (!ring)
		return;
	atomic_store(&out_abort, 0);
	pthread_create(&th, NULL, ctl_producer, NULL);
	while (next < THREAD_MSGS && !torn && !order) {
		/* a period's output of 300 to 1300 bytes, 8 of them an event's header */
		size_t room = 300 + (periods++ * 7919u) % 1000;
		const uint8_t *m;
		size_t len;
		unsigned k = 0;
		midiring_rt_out_begin(ring, room);
		while ((m = midiring_rt_out_next(ring, room, &len))) {
			uint32_t s = msg_whole(m, len);
			k++;
			if (s == UINT32_MAX)
				torn++;
			else if (s != next)
				order++;
			next = s + 1;
			midiring_rt_out_commit(ring);
			room = room > len + 8 ? room - len - 8 : 0;
		}
		if (!k)
			sched_yield();
	}
	atomic_store(&out_abort, 1);
	pthread_join(th, NULL);
	midiring_stats(ring, &st);
	CHECK(torn == 0, "out: %u torn messages", torn);
	CHECK(order == 0, "out: %u messages lost or out of order (next %u)", order, next);
	CHECK(next == THREAD_MSGS && st.out_events == THREAD_MSGS && st.out_dropped == 0,
	      "out: %u in order, %lu written, %lu dropped; want %u, %u, 0", next, st.out_events,
	      st.out_dropped, THREAD_MSGS, THREAD_MSGS);
	printf("out: %u messages in %u periods, the control side found the ring full %lu times\n", next,
	       periods, st.out_full);
	midiring_free(ring);
}

int main(void)
{
	test_checker();
	test_in();
	test_full();
	test_carry();
	test_threads_in();
	test_threads_out();
	return test_exit("test_midiring");
}
