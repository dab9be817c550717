/*
 * recring.h - the ring that carries master frames from the RT thread to
 * the disk thread: interleaved stereo float frames and, when the recorder
 * takes stems, a second plane of the same frames with one column per
 * input lane; a side queue of "gap" records that says where frames were
 * lost, and a semaphore that wakes the disk thread.
 *
 * Threads:
 *   recring_new, recring_wide_new,
 *   recring_free                       control thread, while no RT runs
 *   recring_push, recring_push_ext     the RT thread only (the producer)
 *   recring_head, recring_lost         any thread (atomics)
 *   recring_kick                       any non-RT thread
 *   everything else                    the disk thread only (the consumer)
 *
 * Invariants: one producer, one consumer.  Positions are frame counts
 * modulo 2^32 (about 24 h at 48 kHz before they wrap; all arithmetic is on
 * differences, so wrapping is harmless while the ring is < 2^31 frames).
 * The producer writes a period as a whole or not at all: when it does not
 * fit, the frames are counted as lost and one gap record {at, len} is
 * published before the next frames that do fit, so the consumer can put
 * exactly len frames of silence at ring position `at` and keep every file
 * sample-aligned.  A gap record is always published before the frames
 * that follow it (release order), so a consumer that sees frames past
 * `at` also sees the gap.  Frame `pos` of the stem plane and frame `pos`
 * of the master plane are the same instant and share one head, one tail
 * and one gap list: whatever is lost is lost in both at once, and every
 * file cut from the ring stays aligned with every other.
 */
#ifndef JMX_RECRING_H
#define JMX_RECRING_H

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define RECRING_CHANNELS  2u /* master L, R */
#define RECRING_MAX_STEMS 1024u
#define RECRING_GAPS      256u /* power of two */

struct recring_gap {
	uint32_t at;  /* ring position the silence goes before */
	uint32_t len; /* frames lost */
};

struct recring {
	/* producer side */
	_Alignas(64) atomic_uint head; /* frames published */
	atomic_uint gap_head;          /* gap records published */
	uint32_t pend_len;             /* RT-local: a loss not yet published */
	uint32_t since_wake;           /* RT-local: frames since the last sem_post */
	atomic_ulong lost;             /* frames lost since init (statistics) */
	atomic_ulong overflows;        /* periods that did not fit */
	/* consumer side */
	_Alignas(64) atomic_uint tail; /* frames released back to the producer */
	atomic_uint gap_tail;
	/* fixed after init */
	_Alignas(64) float *buf; /* cap * RECRING_CHANNELS floats */
	float *xbuf;             /* cap * stems floats, or NULL */
	uint32_t cap, mask;      /* frames, power of two */
	unsigned stems;          /* stem columns a frame (0: master only) */
	uint32_t wake_frames;    /* sem_post at least this often */
	struct recring_gap gaps[RECRING_GAPS];
	sem_t wake;
};

/* Control: allocate and pre-fault at least `frames` frames (rounded up to
 * a power of two, at most 2^30).  wake_frames: how many frames the producer
 * pushes between two wake-ups of the consumer.  0 or -1.  recring_new
 * makes a master-only ring; recring_wide_new adds a plane of `stems`
 * columns (0..RECRING_MAX_STEMS) to the same frames. */
int recring_new(struct recring *q, uint32_t frames, uint32_t wake_frames);
int recring_wide_new(struct recring *q, uint32_t frames, unsigned stems, uint32_t wake_frames);
void recring_free(struct recring *q);

/* RT: append n frames of left and right.  Never blocks; sem_post is the
 * only system call it may make.  Returns n when written, 0 when the frames
 * were lost (counted).  On a ring with stems they get silence. */
uint32_t recring_push(struct recring *q, const float *l, const float *r, uint32_t n);
/* RT: the same with the stems: ext holds n frames of recring_stems(q)
 * interleaved floats (NULL: silence); ignored on a master-only ring. */
uint32_t recring_push_ext(struct recring *q, const float *l, const float *r, const float *ext, uint32_t n);

/* Any thread: stem columns a frame (fixed at init). */
static inline unsigned recring_stems(const struct recring *q)
{
	return q->stems;
}

/* Any thread: frames published so far (the position a take started "now"
 * would begin at), and frames lost so far. */
static inline uint32_t recring_head(const struct recring *q)
{
	return atomic_load_explicit((atomic_uint *)&q->head, memory_order_acquire);
}

static inline unsigned long recring_lost(const struct recring *q)
{
	return atomic_load_explicit((atomic_ulong *)&q->lost, memory_order_relaxed);
}

/* Consumer: pointer to frame `pos` (pos must be in [tail, head)).  Frames
 * are contiguous up to the end of the buffer: recring_contig tells how
 * many. */
static inline const float *recring_at(const struct recring *q, uint32_t pos)
{
	return q->buf + (size_t)(pos & q->mask) * RECRING_CHANNELS;
}

/* Consumer: the stems of frame `pos` (recring_stems(q) floats a frame;
 * contiguous exactly as far as the master's). */
static inline const float *recring_stems_at(const struct recring *q, uint32_t pos)
{
	return q->xbuf + (size_t)(pos & q->mask) * q->stems;
}

static inline uint32_t recring_contig(const struct recring *q, uint32_t pos)
{
	return q->cap - (pos & q->mask);
}

/* Consumer: release every frame before pos to the producer. */
static inline void recring_release(struct recring *q, uint32_t pos)
{
	atomic_store_explicit(&q->tail, pos, memory_order_release);
}

static inline uint32_t recring_tail(const struct recring *q)
{
	return atomic_load_explicit((atomic_uint *)&q->tail, memory_order_relaxed);
}

/* Consumer: take the oldest published gap record.  0, or -1 if none. */
int recring_pop_gap(struct recring *q, struct recring_gap *g);

/* Consumer: wait for a wake-up at most timeout_ms (0 = just poll).
 * Returns 0 when woken, -1 on time-out.  Inline so that this blocking
 * call never sits in the RT library. */
static inline int recring_wait(struct recring *q, unsigned timeout_ms)
{
	struct timespec ts;

	if (timeout_ms == 0)
		return sem_trywait(&q->wake) == 0 ? 0 : -1;
	/* sem_timedwait's clock is CLOCK_REALTIME: a clock step only makes
	 * one idle wait shorter or longer */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(&q->wake, &ts) < 0) {
		if (errno != EINTR)
			return -1;
	}
	/* several posts may have piled up: one pass drains everything */
	while (sem_trywait(&q->wake) == 0)
		;
	return 0;
}

/* Any non-RT thread: wake the consumer (a command is waiting). */
void recring_kick(struct recring *q);

#endif
