/*
 * pbring.c - the playback ring, disk -> RT; see pbring.h.
 *
 * Threads: pbring_read on the RT thread only: it copies from the ring,
 * adds to atomics and calls sem_post (async-signal-safe, never blocks):
 * tests/check-rt-symbols.sh follows it.  The producer's functions run on
 * the playback's disk thread; new, free, flush, play and kick on the
 * control thread.
 *
 * Invariants: the consumer never waits and never reads a block the
 * producer has not published; blocks of an old epoch are dropped, even
 * while paused, so a locate frees the ring at once.
 */
#include "pbring.h"
#include "role.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dsp.h"

static void *alloc_locked(size_t bytes)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0)
		return NULL;
	memset(p, 0, bytes); /* pre-fault */
	mlock(p, bytes);     /* best effort: the daemon's mlockall covers it */
	return p;
}

int pbring_new(struct pbring *q, unsigned lanes, uint32_t nblocks)
{
	ASSERT_ROLE(ROLE_CONTROL);
	memset(q, 0, sizeof *q);
	if (!lanes || nblocks < 2 || (nblocks & (nblocks - 1)))
		return -1;
	q->lanes = lanes;
	q->nblocks = nblocks;
	q->buf = alloc_locked((size_t)nblocks * PBRING_BLOCK * lanes * sizeof(float));
	q->meta = alloc_locked(nblocks * sizeof *q->meta);
	q->out = calloc(lanes, sizeof *q->out);
	q->outp = calloc(lanes, sizeof *q->outp);
	if (!q->buf || !q->meta || !q->out || !q->outp || sem_init(&q->kick, 0, 0) < 0) {
		pbring_free(q);
		return -1;
	}
	for (unsigned l = 0; l < lanes; l++) {
		if (!(q->out[l] = alloc_locked(JMX_MAX_FRAMES * sizeof(float)))) {
			pbring_free(q);
			return -1;
		}
		q->outp[l] = q->out[l];
	}
	return 0;
}

void pbring_free(struct pbring *q)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (q->out)
		for (unsigned l = 0; l < q->lanes; l++)
			free(q->out[l]);
	if (q->buf)
		sem_destroy(&q->kick);
	free(q->out);
	free(q->outp);
	free(q->buf);
	free(q->meta);
	memset(q, 0, sizeof *q);
}

const float *const *pbring_read(struct pbring *q, unsigned n)
{
	ASSERT_ROLE(ROLE_RT);
	const uint32_t epoch = atomic_load_explicit(&q->epoch, memory_order_acquire);
	const int playing = atomic_load_explicit(&q->playing, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	int freed = 0;
	unsigned done = 0;

	if (n > JMX_MAX_FRAMES)
		n = JMX_MAX_FRAMES;
	while (tail != head) { /* what a locate or stop made stale */
		if (q->meta[tail & (q->nblocks - 1)].epoch == epoch)
			break;
		tail++, q->off = 0, freed = 1;
	}
	if (!playing) {
		atomic_store_explicit(&q->tail, tail, memory_order_release);
		if (freed)
			sem_post(&q->kick);
		return NULL;
	}
	while (done < n) {
		if (tail == head) { /* the disk is late: silence, counted */
			for (unsigned l = 0; l < q->lanes; l++)
				memset(q->out[l] + done, 0, (n - done) * sizeof(float));
			atomic_fetch_add_explicit(&q->underruns, n - done, memory_order_relaxed);
			break;
		}
		const uint32_t b = tail & (q->nblocks - 1);
		const struct pbring_meta *m = &q->meta[b];
		if (m->epoch != epoch) {
			tail++, q->off = 0, freed = 1;
			continue;
		}
		unsigned k = PBRING_BLOCK - q->off;
		if (k > n - done)
			k = n - done;
		const float *src = q->buf + ((size_t)b * PBRING_BLOCK + q->off) * q->lanes;
		/* frame by frame: the block is read once, in order; frames past
		 * a short last block's end are silence */
		unsigned valid = m->frames > q->off ? m->frames - q->off : 0;
		if (valid > k)
			valid = k;
		for (unsigned i = 0; i < valid; i++, src += q->lanes)
			for (unsigned l = 0; l < q->lanes; l++)
				q->out[l][done + i] = src[l];
		for (unsigned l = 0; l < q->lanes && valid < k; l++)
			memset(q->out[l] + done + valid, 0, (k - valid) * sizeof(float));
		atomic_store_explicit(&q->pos, m->pos + q->off + k, memory_order_relaxed);
		done += k;
		q->off += k;
		if (q->off == PBRING_BLOCK || (m->end && q->off >= m->frames)) {
			if (m->end) /* the take is over: what is left of the period is silence */
				atomic_store_explicit(&q->playing, 0, memory_order_relaxed);
			tail++, q->off = 0, freed = 1;
			if (m->end) {
				for (unsigned l = 0; l < q->lanes; l++)
					memset(q->out[l] + done, 0, (n - done) * sizeof(float));
				done = n;
			}
		}
	}
	atomic_store_explicit(&q->tail, tail, memory_order_release);
	if (freed)
		sem_post(&q->kick);
	return q->outp;
}

int pbring_space(struct pbring *q)
{
	ASSERT_ROLE(ROLE_DISK);
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	return head - tail < q->nblocks;
}

float *pbring_block(struct pbring *q, struct pbring_meta **meta)
{
	ASSERT_ROLE(ROLE_DISK);
	uint32_t b = atomic_load_explicit(&q->head, memory_order_relaxed) & (q->nblocks - 1);
	*meta = &q->meta[b];
	return q->buf + (size_t)b * PBRING_BLOCK * q->lanes;
}

void pbring_commit(struct pbring *q)
{
	ASSERT_ROLE(ROLE_DISK);
	atomic_fetch_add_explicit(&q->head, 1, memory_order_release);
}

uint32_t pbring_flush(struct pbring *q, uint64_t pos)
{
	ASSERT_ROLE(ROLE_CONTROL);
	atomic_store_explicit(&q->pos, pos, memory_order_relaxed);
	return atomic_fetch_add_explicit(&q->epoch, 1, memory_order_acq_rel) + 1;
}

void pbring_play(struct pbring *q, int on)
{
	ASSERT_ROLE(ROLE_CONTROL);
	atomic_store_explicit(&q->playing, on != 0, memory_order_relaxed);
}

void pbring_kick(struct pbring *q)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	sem_post(&q->kick);
}
