/*
 * autoplay.h - the real-time half of automation: plays automation lanes
 * against the JACK transport frame, records what the console renders
 * while a lane writes, and takes new lane sets from the control thread
 * without locks.  The control half (lanes, modes, thinning, files, OSC)
 * is automation.c.
 *
 * Threads:
 *   autoplay_new, autoplay_free,
 *   autoplay_set_new, autoplay_set_free   control thread (allocate)
 *   autoplay_publish, autoplay_reclaim,
 *   autoplay_touch, autoplay_take,
 *   autoplay_transport, autoplay_active_gen,
 *   autoplay_cycles, autoplay_dropped     control thread (atomics only)
 *   autoplay_cycle                        the RT thread, once per period
 *   autoplay_lane_eval, autoplay_to_path,
 *   autoplay_from_path                    any thread (pure, inline: the
 *                                         control side links without
 *                                         the RT library)
 *
 * Time base: the JACK transport frame of each period (the engine calls
 * jack_transport_query and hands the frame over).  A lane is a list of
 * (frame, value) points; between points a continuous parameter moves in
 * a straight line along its taper (dB, octaves, or linearly), a switch or
 * an enum holds the earlier point; before the first point and after the
 * last the lane holds their values.
 *
 * Per lane and chunk (JMX_CHUNK frames), by mode:
 *   read   play: the lane's value at the chunk's end is a point the
 *          parameter reaches at that frame (mixer_point);
 *   write  record while the transport rolls, else leave it alone;
 *   touch  record while touched and rolling, leave it alone while touched
 *          and stopped, else play;
 *   latch  as touch, but a touch while rolling keeps recording until the
 *          transport stops.
 * Stopped transport: playing lanes hold the value at the position.  A
 * jump of the transport (locate, loop) or a lane that starts playing
 * (touch released, mode changed) glides from where the parameter is to
 * the lane over AUTOPLAY_GLIDE_MS, along the lane, so nothing clicks.
 * A jump also ends a pass being recorded (a new one starts), except a
 * short skip forward (AUTOPLAY_SKIP_MS: JACK after an xrun).
 * While a continuous parameter records, the values that arrive are
 * smoothed here (JMX_SMOOTH_TAU_MS, along the taper) and handed to the
 * mixer as the points of a path, chunk by chunk, so the recorded points
 * are exactly what was heard and play back the same way.
 * Recording sends records (start, points at chunk ends where the value
 * changed, and the last frame of a held value, end) through an SPSC ring
 * to the control thread; a full ring drops and counts, never waits.
 *
 * Invariants: the RT thread never allocates or frees.  A lane set is
 * immutable once published; the RT thread takes a pending set only when
 * the previous one it retired has been reclaimed, so there is at most
 * one set in each of the pending, current and retired slots, and the
 * control thread frees only what it got back from autoplay_publish
 * (never taken) or autoplay_reclaim (taken, then replaced).
 */
#ifndef JMX_AUTOPLAY_H
#define JMX_AUTOPLAY_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mixer.h"
#include "params.h"

#define AUTOPLAY_GLIDE_MS 20.0
#define AUTOPLAY_SKIP_MS  100.0  /* a forward jump up to this long does not end a recorded pass */
#define AUTOPLAY_RING     65536u /* records RT -> control */

enum autoplay_mode {
	AUTOPLAY_OFF,
	AUTOPLAY_READ,
	AUTOPLAY_WRITE,
	AUTOPLAY_TOUCH,
	AUTOPLAY_LATCH,
	AUTOPLAY_MODES
};

/* One lane of a set.  path[] holds the values along the taper
 * (autoplay_to_path). */
struct autoplay_lane {
	uint32_t flat; /* parameter instance (mixer_flat_count numbering) */
	uint16_t id, i1, i2;
	uint8_t mode;          /* enum autoplay_mode */
	uint8_t step;          /* switch or enum: hold, never interpolate or glide */
	uint32_t n;            /* points */
	const uint32_t *frame; /* strictly increasing */
	const float *path;
};

/* Lanes sorted by flat, with room for their points in one block. */
struct autoplay_set {
	unsigned long gen; /* stamped by autoplay_publish */
	unsigned n;
	struct autoplay_lane *lane;
	uint32_t *frames; /* pool: the lanes' frame[] and path[] point here */
	float *paths;
	size_t cap; /* points in the pool */
};

enum autoplay_rec_kind { AUTOPLAY_REC_START, AUTOPLAY_REC_POINT, AUTOPLAY_REC_END };

/* What a recording lane sends: the value (engineering units) the
 * parameter reaches at frame. */
struct autoplay_rec {
	uint32_t flat;
	uint32_t frame;
	float value;
	uint32_t kind; /* enum autoplay_rec_kind */
};

struct autoplay;

/* nflat parameter instances (mixer_flat_count), sample rate for the
 * glide.  Everything is allocated and pre-faulted here.  NULL on failure. */
struct autoplay *autoplay_new(unsigned nflat, double rate);
/* Only when the RT thread no longer runs; frees the sets it still holds. */
void autoplay_free(struct autoplay *ap);

/* Room for nlanes lanes and npoints points, zeroed. */
struct autoplay_set *autoplay_set_new(unsigned nlanes, size_t npoints);
void autoplay_set_free(struct autoplay_set *s);

/* Hand s to the RT thread (it takes it at the start of a period).
 * Returns a set published earlier that the RT thread never took, or NULL:
 * the caller frees it. */
struct autoplay_set *autoplay_publish(struct autoplay *ap, struct autoplay_set *s);
/* A set the RT thread has replaced, or NULL: the caller frees it. */
struct autoplay_set *autoplay_reclaim(struct autoplay *ap);
/* gen of the set the RT thread plays now (0 before the first). */
unsigned long autoplay_active_gen(const struct autoplay *ap);
/* Periods the RT thread has begun. */
unsigned long autoplay_cycles(const struct autoplay *ap);

/* A control of instance flat is held (touch and latch modes). */
void autoplay_touch(struct autoplay *ap, unsigned flat, int on);

/* One record from the RT thread: 0, or -1 when there is none. */
int autoplay_take(struct autoplay *ap, struct autoplay_rec *r);
/* Records lost to a full ring since start-up. */
unsigned long autoplay_dropped(const struct autoplay *ap);
/* The transport as the RT thread saw it last. */
void autoplay_transport(const struct autoplay *ap, uint32_t *frame, int *rolling);

/* RT, once per period before mixer_process: take a pending set, note the
 * transport (frame of this period's first sample, rolling or not) and
 * hook into the mixer's chunks. */
void autoplay_cycle(struct autoplay *ap, struct mixer *m, uint32_t frame, int rolling, unsigned nframes);

/* ---- pure helpers, shared with the control side (lanes.c) ---- */

/* Engineering value <-> position along the parameter's taper: ln for
 * TP_LOG (frequencies, times, Q, ratios), the value itself otherwise
 * (faders and sends are dB already). */
static inline float autoplay_to_path(enum param_id id, float v)
{
	return param_table[id].taper == TP_LOG ? logf(v) : v;
}

static inline float autoplay_from_path(enum param_id id, float p)
{
	return param_table[id].taper == TP_LOG ? expf(p) : p;
}

/* Value of a lane (along the taper) at frame; *hint is a point index to
 * try first and is updated (any value is safe).  NAN for an empty lane. */
static inline float autoplay_lane_eval(const struct autoplay_lane *l, uint32_t f, uint32_t *hint)
{
	const uint32_t *fr = l->frame;
	uint32_t n = l->n, i = *hint;

	if (n == 0)
		return NAN;
	if (f <= fr[0]) {
		*hint = 0;
		return l->path[0];
	}
	if (f >= fr[n - 1]) {
		*hint = n - 1;
		return l->path[n - 1];
	}
	/* now fr[0] < f < fr[n-1]: find i with fr[i] <= f < fr[i+1] */
	if (!(i + 1 < n && fr[i] <= f && f < fr[i + 1])) {
		if (i + 2 < n && fr[i + 1] <= f && f < fr[i + 2]) {
			i++; /* rolling on into the next segment */
		} else {
			uint32_t lo = 0, hi = n - 1; /* fr[lo] <= f < fr[hi] */
			while (hi - lo > 1) {
				uint32_t mid = lo + (hi - lo) / 2;
				if (fr[mid] <= f)
					lo = mid;
				else
					hi = mid;
			}
			i = lo;
		}
	}
	*hint = i;
	if (l->step)
		return l->path[i];
	double t = (double)(f - fr[i]) / (double)(fr[i + 1] - fr[i]);
	return l->path[i] + (float)t * (l->path[i + 1] - l->path[i]);
}

#endif
