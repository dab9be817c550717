/*
 * test_tsan_queues.c - the two lock-free handoffs between threads, driven
 * hard from two threads each; built twice: as a plain unit test (gcc) and
 * under ThreadSanitizer (tests/tsan.sh, clang -fsanitize=thread), which
 * then also proves the memory ordering (a missing acquire/release is a
 * reported data race on the record bytes).
 *
 * 1. rtqueue.h with the control->RT record (struct rt_msg, the state
 *    handoff of model_commit): batches of 1..64 records published at
 *    once, sometimes a batch staged and then dropped (rtq_unstage).  The
 *    consumer checks every record: no gap, no duplicate, no reordering,
 *    no torn copy, no unstaged record ever seen, and every drain ends on a
 *    batch boundary (a published batch is seen whole).
 * 2. recring (RT -> disk): periods of 1..1024 frames numbered by the
 *    producer; a consumer that stalls now and then, so periods are lost
 *    and announced as gap records.  It checks every frame: frame k of the
 *    stream is where the gap records say (the producer's numbering =
 *    ring position + all gap lengths before it), no frame twice, none out
 *    of order, and the lost-frame count equals the gap total.
 *
 * Records/frames: JMX_TSAN_RECORDS (default 2 000 000) and twice as many
 * frames.  Threads: main is the consumer, one producer thread each.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "mixer.h"
#include "recring.h"
#include "rtqueue.h"
#include "test_util.h"

static unsigned long n_records = 2000000ul;

/* ---- 1. rtqueue with rt_msg ---------------------------------------------- */

/* Everything in an rt_msg derives from the sequence number, so a torn or
 * stale copy shows: id/i1/i2 = the low bits, value = seq exactly (as a
 * float while seq < 2^24, else the low 24 bits), arg = a hash, kind = 1 on
 * a batch's last record. */
static void msg_make(struct rt_msg *m, uint32_t seq, int last)
{
	uint32_t h = seq * 2654435761u;
	m->id = (uint16_t)(seq & 0xffff);
	m->i1 = (uint16_t)(seq >> 16);
	m->i2 = (uint16_t)(h >> 16);
	m->kind = (uint16_t)(last != 0);
	m->value = (float)(seq & 0xffffff);
	m->arg = (float)(h & 0xffff);
}

static uint32_t msg_seq(const struct rt_msg *m)
{
	return (uint32_t)m->id | (uint32_t)m->i1 << 16;
}

static int msg_ok(const struct rt_msg *m)
{
	uint32_t seq = msg_seq(m), h = seq * 2654435761u;
	return m->i2 == (uint16_t)(h >> 16) && m->value == (float)(seq & 0xffffff) &&
	       m->arg == (float)(h & 0xffff) && m->kind <= 1;
}

static struct rtq q;

#ifdef JMX_TSAN_NEGATIVE
/* tsan.sh's negative control: a plain variable both threads write, which
 * ThreadSanitizer must report (so a clean run means something) */
static unsigned long racy;
#define RACE() (racy++)
#else
#define RACE() ((void)0)
#endif

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *rtq_producer(void *arg)
{
	uint32_t seq = 0, seed = 0x1234567u;
	(void)arg;
	while (seq < n_records) {
		uint32_t n = 1 + rnd(&seed) % 64;
		if (n > n_records - seq)
			n = (uint32_t)(n_records - seq);
		if (rtq_space(&q) < n) {
			sched_yield();
			continue;
		}
		if (rnd(&seed) % 16 == 0) {
			/* a bundle that does not go out: staged, then dropped */
			struct rt_msg bogus;
			msg_make(&bogus, 0xffffffffu, 0);
			for (uint32_t k = 0; k < n; k++)
				rtq_push(&q, &bogus);
			rtq_unstage(&q);
		}
		for (uint32_t k = 0; k < n; k++, seq++) {
			struct rt_msg m;
			msg_make(&m, seq, k + 1 == n);
			if (rtq_push(&q, &m) != 0)
				return (void *)1;
		}
		rtq_publish(&q);
		RACE();
	}
	return NULL;
}

static void test_rtq(void)
{
	pthread_t th;
	uint32_t expect = 0;
	unsigned long gaps = 0, torn = 0, half = 0, drains = 0;
	void *ret;

	CHECK(rtq_init(&q, 256, sizeof(struct rt_msg)) == 0, "rtq_init");
	CHECK(pthread_create(&th, NULL, rtq_producer, NULL) == 0, "pthread_create");
	while (expect < n_records) {
		struct rt_msg m;
		unsigned got = 0;
		int last = 0;
		/* one "RT cycle": everything visible now */
		while (rtq_pop(&q, &m) == 0) {
			if (!msg_ok(&m)) {
				torn++;
			} else if (msg_seq(&m) != expect) {
				gaps++;
			}
			expect = msg_seq(&m) + 1;
			last = m.kind == 1;
			got++;
		}
		RACE();
		if (got) {
			drains++;
			if (!last)
				half++;
		} else {
			sched_yield();
		}
	}
	CHECK(pthread_join(th, &ret) == 0 && ret == NULL, "the producer could not push");
	CHECK(gaps == 0, "rtq: %lu gaps, duplicates or reorderings", gaps);
	CHECK(torn == 0, "rtq: %lu torn or unstaged records seen", torn);
	CHECK(half == 0, "rtq: %lu drains ended inside a published batch", half);
	CHECK(expect == n_records, "rtq: %u of %lu records arrived", expect, n_records);
	printf("rtq: %lu rt_msg records in %lu drains\n", n_records, drains);
	rtq_destroy(&q);
}

/* ---- 2. recring ---------------------------------------------------------- */

static struct recring ring;
static atomic_int ring_done;
static unsigned long n_frames;

/* Frame k of the producer's stream: L = k mod 2^23, R = -(k / 2^23) - 1,
 * both exact in a float. */
static void *ring_producer(void *arg)
{
	static float l[1024], r[1024];
	uint64_t k = 0;
	uint32_t seed = 0x9e3779b9u;
	(void)arg;
	while (k < n_frames) {
		uint32_t n = 1 + rnd(&seed) % 1024;
		if (n > n_frames - k)
			n = (uint32_t)(n_frames - k);
		for (uint32_t i = 0; i < n; i++) {
			l[i] = (float)((k + i) & 0x7fffff);
			r[i] = -(float)((k + i) >> 23) - 1.0f;
		}
		/* mostly a consumer that keeps up (wait for room, as the real
		 * one's ring is sized to), sometimes a burst that cannot fit */
		while (rnd(&seed) % 16 != 0 &&
		       ring.cap - (recring_head(&ring) - atomic_load_explicit(&ring.tail, memory_order_acquire)) < n)
			sched_yield();
		recring_push(&ring, l, r, n); /* lost or not, the stream moves on */
		k += n;
	}
	atomic_store_explicit(&ring_done, 1, memory_order_release);
	recring_kick(&ring);
	return NULL;
}

static void test_ring(void)
{
	pthread_t th;
	uint32_t pos = 0;       /* ring position of the next frame to check */
	uint64_t stream = 0;    /* producer's number of that frame */
	uint64_t gap_total = 0; /* frames announced lost */
	unsigned long bad = 0, gaps = 0, stalls = 0;
	struct recring_gap g;
	int have_gap = 0;
	uint32_t seed = 0xabcdef1u;
	void *ret;

	CHECK(recring_new(&ring, 4096, 256) == 0, "recring_new");
	CHECK(pthread_create(&th, NULL, ring_producer, NULL) == 0, "pthread_create");
	for (;;) {
		/* done first: once it is seen, head is final */
		int done = atomic_load_explicit(&ring_done, memory_order_acquire);
		uint32_t head = recring_head(&ring);
		for (;;) {
			/* a gap record is published before the frames after it */
			if (!have_gap && recring_pop_gap(&ring, &g) == 0)
				have_gap = 1;
			if (have_gap && g.at == pos) {
				stream += g.len;
				gap_total += g.len;
				gaps++;
				have_gap = 0;
				continue;
			}
			if (have_gap && (int32_t)(g.at - pos) < 0) {
				bad++; /* announced for a position already passed */
				have_gap = 0;
				continue;
			}
			if (pos == head)
				break;
			const float *f = recring_at(&ring, pos);
			if (f[0] != (float)(stream & 0x7fffff) || f[1] != -(float)(stream >> 23) - 1.0f) {
				if (bad++ < 5)
					fprintf(stderr, "frame at ring %u: %g %g, want stream frame %llu\n", pos,
					        (double)f[0], (double)f[1], (unsigned long long)stream);
			}
			pos++;
			stream++;
		}
		recring_release(&ring, pos);
		/* every published gap has frames after it: none is left here */
		if (done && !have_gap)
			break;
		if (rnd(&seed) % 64 == 0) {
			/* the disk stalls: the producer overruns the ring */
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL);
			stalls++;
		} else {
			recring_wait(&ring, 10);
		}
	}
	CHECK(pthread_join(th, &ret) == 0, "join");
	unsigned long lost = recring_lost(&ring);
	CHECK(bad == 0, "recring: %lu frames out of place", bad);
	CHECK(stream + ring.pend_len == n_frames, "recring: the stream has %llu (+%u pending lost) of %lu frames",
	      (unsigned long long)stream, ring.pend_len, n_frames);
	CHECK(gap_total + ring.pend_len == lost, "recring: gap records total %llu (+%u pending), lost counter %lu",
	      (unsigned long long)gap_total, ring.pend_len, lost);
	CHECK(gaps > 0 && stalls > 0, "recring: no loss was provoked (%lu gaps, %lu stalls)", gaps, stalls);
	printf("recring: %lu frames, %lu lost in %lu gaps over %lu stalls\n", n_frames, lost, gaps, stalls);
	recring_free(&ring);
}

int main(void)
{
	const char *e = getenv("JMX_TSAN_RECORDS");
	if (e && atol(e) > 1000)
		n_records = (unsigned long)atol(e);
	n_frames = 2 * n_records;
	test_rtq();
	test_ring();
	return test_exit("test_tsan_queues");
}
