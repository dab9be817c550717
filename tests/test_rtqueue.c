/*
 * test_rtqueue.c - the SPSC ring between control and RT: one producer and
 * one consumer thread pass millions of records; the consumer checks there
 * is no gap, duplicate or reordering, and that a published batch is seen
 * whole (the consumer never observes half a batch).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "rtqueue.h"
#include "test_util.h"

#define RECORDS 3000000u
#define BATCH   7u /* records published together */

struct rec {
	uint32_t seq;
	uint32_t batch_pos; /* position inside its batch */
	uint64_t check;     /* derived from seq: detects torn copies */
};

static struct rtq q;
static atomic_int producer_done;

static void *producer(void *arg)
{
	(void)arg;
	uint32_t seq = 0;
	while (seq < RECORDS) {
		if (rtq_space(&q) < BATCH)
			continue; /* spin: the test wants pressure on both ends */
		for (uint32_t k = 0; k < BATCH && seq < RECORDS; k++, seq++) {
			struct rec r = {seq, k, (uint64_t)seq * 2654435761u ^ 0xdeadbeefu};
			if (rtq_push(&q, &r) != 0)
				return (void *)1;
		}
		rtq_publish(&q);
	}
	atomic_store(&producer_done, 1);
	return NULL;
}

int main(void)
{
	pthread_t th;
	uint32_t expect = 0, torn = 0, gaps = 0, half = 0;

	CHECK(rtq_init(&q, 1000, sizeof(struct rec)) == 0, "init");
	CHECK(q.mask + 1 == 1024, "capacity rounds up to a power of two: %u", q.mask + 1);

	/* single-thread semantics: staged records are invisible until published */
	struct rec r = {0}, out;
	rtq_push(&q, &r);
	CHECK(rtq_pop(&q, &out) == -1, "unpublished record must not be visible");
	rtq_unstage(&q);
	rtq_publish(&q);
	CHECK(rtq_pop(&q, &out) == -1, "unstaged record must be gone");
	for (unsigned i = 0; i < 1024; i++)
		CHECK(rtq_push(&q, &r) == 0, "push %u of 1024", i);
	CHECK(rtq_push(&q, &r) == -1, "push into a full ring must fail");
	rtq_unstage(&q);
	rtq_publish(&q);

	pthread_create(&th, NULL, producer, NULL);
	while (expect < RECORDS) {
		/* drain what is visible now, like one RT cycle */
		unsigned got = 0;
		while (rtq_pop(&q, &out) == 0) {
			if (out.seq != expect)
				gaps++;
			if (out.check != ((uint64_t)out.seq * 2654435761u ^ 0xdeadbeefu))
				torn++;
			expect = out.seq + 1;
			got++;
		}
		/* each cycle must end on a batch boundary (or the final record) */
		if (got && expect % BATCH != 0 && expect != RECORDS)
			half++;
	}
	void *ret;
	pthread_join(th, &ret);
	CHECK(ret == NULL, "producer failed to push");
	CHECK(gaps == 0, "%u gaps/duplicates/reorders", gaps);
	CHECK(torn == 0, "%u torn records", torn);
	CHECK(half == 0, "%u cycles ended inside a batch", half);
	CHECK(expect == RECORDS, "received %u of %u", expect, RECORDS);
	rtq_destroy(&q);
	return test_exit("test_rtqueue");
}
