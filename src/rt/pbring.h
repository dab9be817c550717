/*
 * pbring.h - the playback ring: the recorder's ring in reverse.  The
 * playback's disk thread (disk/playback.c) reads a take's stems ahead
 * into blocks of PBRING_BLOCK frames (a column per input lane), the audio
 * thread takes a period's frames from it per call and never waits: when
 * the ring is empty it plays silence and counts the frames (underruns).
 *
 * Locate and stop without a lock: every block carries the epoch it was
 * read for; the control thread bumps the epoch (pbring_flush), the audio
 * thread drops blocks of an older one, and the disk thread refills from
 * the new position.
 *
 * Threads:
 *   pbring_new, pbring_free          control thread, while no RT runs
 *   pbring_read                      the RT thread only (the consumer)
 *   pbring_space, pbring_block,
 *   pbring_commit                    the playback's disk thread (producer)
 *   pbring_flush, pbring_play,
 *   pbring_status, pbring_kick       control thread (atomics, sem_post)
 *   pbring_wait                      the disk thread
 *
 * Invariants: one producer, one consumer; head and tail count blocks,
 * free-running; a block is whole before head moves past it (release), and
 * the consumer reads a block's frames only after seeing head (acquire).
 */
#ifndef JMX_PBRING_H
#define JMX_PBRING_H

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define PBRING_BLOCK 1024u /* frames a block */

struct pbring_meta {
	uint32_t epoch;  /* what it was read for */
	uint32_t frames; /* valid frames (the rest is silence) */
	uint32_t end;    /* the take's last block */
	uint64_t pos;    /* take frame of its first frame */
};

struct pbring {
	float *buf; /* nblocks x PBRING_BLOCK frames x lanes, frame-major */
	struct pbring_meta *meta;
	unsigned lanes;
	uint32_t nblocks; /* a power of two */
	_Atomic uint32_t head, tail;
	_Atomic uint32_t epoch;
	atomic_int playing;
	atomic_ullong pos;       /* take frame the RT thread plays next */
	atomic_ullong underruns; /* frames of silence for want of data, while playing */
	sem_t kick;              /* RT -> disk: room freed */
	/* RT's */
	uint32_t off; /* frames taken of the block at tail */
	float **out;  /* lanes x JMX_MAX_FRAMES, pre-faulted */
	const float **outp;
};

int pbring_new(struct pbring *q, unsigned lanes, uint32_t nblocks);
void pbring_free(struct pbring *q);

/* RT: n frames for every lane; NULL when not playing (no playback
 * signal: channels on playback are silent). */
const float *const *pbring_read(struct pbring *q, unsigned n);

/* Disk: whether a block is free; the block to fill (frame-major, lanes
 * floats a frame); publish it. */
int pbring_space(struct pbring *q);
float *pbring_block(struct pbring *q, struct pbring_meta **meta);
void pbring_commit(struct pbring *q);
/* Disk: sleep until kicked or timeout_ms.  Inline so that this blocking
 * call never sits in the RT library (as recring_wait). */
static inline void pbring_wait(struct pbring *q, unsigned timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(&q->kick, &ts) < 0 && errno == EINTR)
		;
	while (sem_trywait(&q->kick) == 0) /* several posts: one pass fills all */
		;
}

/* Control: drop what is buffered (a new epoch; returns it); play or
 * pause; wake the disk thread. */
uint32_t pbring_flush(struct pbring *q, uint64_t pos);
void pbring_play(struct pbring *q, int on);
void pbring_kick(struct pbring *q);

#endif
