/*
 * autoplay.c - automation on the RT thread: lane playback and recording
 * per chunk, the transport, and the lane-set mailbox; see autoplay.h.
 *
 * Threads: autoplay_cycle and the chunk hook it installs run on the RT
 * thread only; they touch preallocated memory and atomics, never
 * allocate, free, lock or call JACK.  autoplay_new/free and
 * autoplay_set_new/free allocate on the control thread; the other
 * control functions are loads, stores and exchanges of atomics.
 *
 * Invariants:
 * - The mailbox has three slots: pending (control -> RT), cur (RT only)
 *   and retired (RT -> control).  The RT thread moves pending to cur only
 *   while retired is empty, and puts the old cur there; the control
 *   thread empties retired.  Each slot has one writer at a time, so no
 *   set is ever freed while the RT thread can see it.
 * - Per-instance state (cursor, recording, glide) lives in an array
 *   indexed by instance, so it survives set swaps; a lane that leaves the
 *   set while recording is ended at the swap (its end record is sent).
 * - Records are published once per chunk, whole.
 */
#include "autoplay.h"
#include "role.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "rtqueue.h"

enum { WANT_FREE, WANT_PLAY, WANT_REC };

struct autoplay_state {
	uint32_t hint;       /* point index of the last evaluation */
	uint32_t rec_frame;  /* frame of the last value seen while recording */
	uint32_t glide_left; /* frames of glide still to go */
	float rec_val;
	float glide_d; /* path offset from the lane at the glide's start */
	float applied; /* the last point this module gave the mixer */
	float target;  /* recording: where the control is */
	float sm;      /* recording: the smoothed path towards it */
	uint8_t rec;   /* a recorded segment is open */
	uint8_t held;  /* rec_val was held since the last record sent */
	uint8_t playing;
	uint8_t latched;
};

struct autoplay {
	unsigned nflat;
	uint32_t glide; /* frames */
	float coef;     /* one-pole step per chunk (JMX_SMOOTH_TAU_MS) */

	_Atomic(struct autoplay_set *) pending;
	_Atomic(struct autoplay_set *) retired;
	struct autoplay_set *cur; /* RT only */
	unsigned long gen_next;   /* control only */
	atomic_ulong active_gen;
	atomic_ulong cycles;

	_Atomic uint8_t *touch;    /* per instance, control -> RT */
	struct autoplay_state *st; /* per instance, RT only */

	struct rtq ring; /* RT -> control */
	atomic_ulong dropped;

	/* transport, RT only */
	uint32_t frame, prev_frame, prev_n;
	uint32_t skip_max; /* frames: a longer jump ends a recorded pass */
	int rolling, prev_rolling, started;
	int jumped; /* the transport jumped: playing lanes glide */
	int split;  /* ... and a recording pass ends and starts anew */
	/* ... as the control thread sees it */
	atomic_uint pub_frame;
	atomic_int pub_rolling;
};

/* ---- control side ------------------------------------------------------ */

struct autoplay *autoplay_new(unsigned nflat, double rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct autoplay *ap = calloc(1, sizeof *ap);
	if (!ap)
		return NULL;
	ap->nflat = nflat;
	double g = AUTOPLAY_GLIDE_MS * 0.001 * rate;
	ap->glide = g < JMX_CHUNK ? JMX_CHUNK : (uint32_t)g;
	ap->coef = dsp_smooth_coef(rate, JMX_CHUNK);
	ap->skip_max = (uint32_t)(AUTOPLAY_SKIP_MS * 0.001 * rate);
	atomic_init(&ap->pending, NULL);
	atomic_init(&ap->retired, NULL);
	atomic_init(&ap->active_gen, 0);
	atomic_init(&ap->cycles, 0);
	atomic_init(&ap->dropped, 0);
	atomic_init(&ap->pub_frame, 0);
	atomic_init(&ap->pub_rolling, 0);
	size_t n = nflat ? nflat : 1;
	ap->touch = calloc(n, sizeof *ap->touch);
	ap->st = calloc(n, sizeof *ap->st);
	if (!ap->touch || !ap->st || rtq_init(&ap->ring, AUTOPLAY_RING, sizeof(struct autoplay_rec)) < 0) {
		autoplay_free(ap);
		return NULL;
	}
	memset((void *)ap->touch, 0, n * sizeof *ap->touch); /* pre-fault */
	memset(ap->st, 0, n * sizeof *ap->st);
	return ap;
}

void autoplay_free(struct autoplay *ap)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!ap)
		return;
	autoplay_set_free(atomic_load(&ap->pending));
	autoplay_set_free(atomic_load(&ap->retired));
	autoplay_set_free(ap->cur);
	if (ap->ring.buf)
		rtq_destroy(&ap->ring);
	free((void *)ap->touch);
	free(ap->st);
	free(ap);
}

struct autoplay_set *autoplay_set_new(unsigned nlanes, size_t npoints)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct autoplay_set *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->lane = calloc(nlanes ? nlanes : 1, sizeof *s->lane);
	s->frames = calloc(npoints ? npoints : 1, sizeof *s->frames);
	s->paths = calloc(npoints ? npoints : 1, sizeof *s->paths);
	if (!s->lane || !s->frames || !s->paths) {
		autoplay_set_free(s);
		return NULL;
	}
	/* calloc may hand out untouched pages: the RT thread must not be
	 * the first to touch them */
	memset(s->lane, 0, (nlanes ? nlanes : 1) * sizeof *s->lane);
	memset(s->frames, 0, (npoints ? npoints : 1) * sizeof *s->frames);
	memset(s->paths, 0, (npoints ? npoints : 1) * sizeof *s->paths);
	s->cap = npoints;
	return s;
}

void autoplay_set_free(struct autoplay_set *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!s)
		return;
	free(s->lane);
	free(s->frames);
	free(s->paths);
	free(s);
}

struct autoplay_set *autoplay_publish(struct autoplay *ap, struct autoplay_set *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	s->gen = ++ap->gen_next;
	return atomic_exchange_explicit(&ap->pending, s, memory_order_acq_rel);
}

struct autoplay_set *autoplay_reclaim(struct autoplay *ap)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct autoplay_set *r = atomic_load_explicit(&ap->retired, memory_order_acquire);
	if (r)
		atomic_store_explicit(&ap->retired, NULL, memory_order_release);
	return r;
}

unsigned long autoplay_active_gen(const struct autoplay *ap)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load_explicit((atomic_ulong *)&ap->active_gen, memory_order_acquire);
}

unsigned long autoplay_cycles(const struct autoplay *ap)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load_explicit((atomic_ulong *)&ap->cycles, memory_order_acquire);
}

void autoplay_touch(struct autoplay *ap, unsigned flat, int on)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (flat < ap->nflat)
		atomic_store_explicit(&ap->touch[flat], on ? 1 : 0, memory_order_release);
}

int autoplay_take(struct autoplay *ap, struct autoplay_rec *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return rtq_pop(&ap->ring, r);
}

unsigned long autoplay_dropped(const struct autoplay *ap)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load_explicit((atomic_ulong *)&ap->dropped, memory_order_relaxed);
}

void autoplay_transport(const struct autoplay *ap, uint32_t *frame, int *rolling)
{
	ASSERT_ROLE(ROLE_CONTROL);
	*frame = atomic_load_explicit((atomic_uint *)&ap->pub_frame, memory_order_relaxed);
	*rolling = atomic_load_explicit((atomic_int *)&ap->pub_rolling, memory_order_relaxed);
}

/* ---- RT side ----------------------------------------------------------- */

static void rec_push(struct autoplay *ap, uint32_t flat, enum autoplay_rec_kind kind, uint32_t frame, float v)
{
	struct autoplay_rec r = {flat, frame, v, (uint32_t)kind};
	if (rtq_push(&ap->ring, &r) < 0)
		atomic_fetch_add_explicit(&ap->dropped, 1, memory_order_relaxed);
}

/* The pass is over: the control may still be on its way to where it
 * was put; from here the mixer smooths it there as usual. */
static void rec_end(struct autoplay *ap, struct mixer *m, const struct autoplay_lane *l,
                    struct autoplay_state *st)
{
	rec_push(ap, l->flat, AUTOPLAY_REC_END, st->rec_frame, st->rec_val);
	st->rec = 0;
	if (!l->step && st->target != st->applied && !mixer_ramping(m, l->flat) &&
	    mixer_value(m, l->flat) == st->applied) {
		struct rt_msg msg = {l->id, l->i1, l->i2, RT_SET, st->target, 0.0f};
		mixer_apply(m, &msg);
	}
}

/* Lanes of the outgoing set that the incoming one does not have: a
 * recording is ended, playback forgotten (both are sorted by flat). */
static void sets_leave(struct autoplay *ap, struct mixer *m, const struct autoplay_set *old,
                       const struct autoplay_set *nw)
{
	unsigned j = 0;
	for (unsigned k = 0; k < old->n; k++) {
		uint32_t f = old->lane[k].flat;
		while (j < nw->n && nw->lane[j].flat < f)
			j++;
		if (j < nw->n && nw->lane[j].flat == f)
			continue;
		struct autoplay_state *st = &ap->st[f];
		if (st->rec)
			rec_end(ap, m, &old->lane[k], st);
		st->playing = 0;
		st->latched = 0;
	}
	rtq_publish(&ap->ring);
}

static int lane_want(struct autoplay_state *st, const struct autoplay_lane *l, int touched, int rolling)
{
	switch (l->mode) {
	case AUTOPLAY_READ:
		return l->n ? WANT_PLAY : WANT_FREE;
	case AUTOPLAY_WRITE:
		return rolling ? WANT_REC : WANT_FREE;
	case AUTOPLAY_LATCH:
		if (!rolling)
			st->latched = 0;
		else if (touched)
			st->latched = 1;
		touched |= st->latched;
		/* fall through */
	case AUTOPLAY_TOUCH:
		if (touched)
			return rolling ? WANT_REC : WANT_FREE;
		return l->n ? WANT_PLAY : WANT_FREE;
	default:
		return WANT_FREE;
	}
}

/* Recording a continuous parameter: the control's moves are smoothed
 * here, along the taper (JMX_SMOOTH_TAU_MS, as the mixer would), and each
 * chunk's point is given to the mixer as a point of a path, so what is
 * recorded is exactly what is heard, and plays back the same way.  A
 * ramp's points are exact already.  Returns the value reached at fe. */
static float rec_smooth(struct autoplay *ap, struct mixer *m, const struct autoplay_lane *l,
                        struct autoplay_state *st, float cur)
{
	enum param_id id = (enum param_id)l->id;
	int fresh = !st->rec;
	float v;
	if (fresh) {
		st->target = cur;
		/* a touch takes over from the lane where it played */
		st->sm = autoplay_to_path(id, st->playing ? st->applied : cur);
	} else if (cur != st->applied) {
		st->target = cur; /* a new value (or a ramp's point) arrived */
	}
	if (mixer_ramping(m, l->flat)) {
		st->sm = autoplay_to_path(id, cur);
		st->target = st->applied = cur;
		return cur;
	}
	float tp = autoplay_to_path(id, st->target), d = tp - st->sm;
	if (fabsf(d) <= 1e-4f) { /* there: exactly, not an ulp away */
		st->sm = tp;
		v = st->target;
	} else {
		st->sm += ap->coef * d;
		v = autoplay_from_path(id, st->sm);
	}
	if (fresh || v != cur)
		mixer_point(m, id, l->i1, l->i2, v);
	st->applied = v;
	return v;
}

static void lane_record(struct autoplay *ap, struct mixer *m, const struct autoplay_lane *l,
                        struct autoplay_state *st, uint32_t fe, float cur, int split)
{
	if (!l->step)
		cur = rec_smooth(ap, m, l, st, cur);
	if (!st->rec || split) {
		if (st->rec)
			rec_push(ap, l->flat, AUTOPLAY_REC_END, st->rec_frame, st->rec_val);
		rec_push(ap, l->flat, AUTOPLAY_REC_START, fe, cur);
		st->rec = 1;
		st->held = 0;
	} else if (cur != st->rec_val) {
		if (st->held)
			rec_push(ap, l->flat, AUTOPLAY_REC_POINT, st->rec_frame, st->rec_val);
		rec_push(ap, l->flat, AUTOPLAY_REC_POINT, fe, cur);
		st->held = 0;
	} else {
		st->held = 1;
	}
	st->rec_frame = fe;
	st->rec_val = cur;
}

static void lane_play(struct autoplay *ap, struct mixer *m, const struct autoplay_lane *l,
                      struct autoplay_state *st, uint32_t fe, float cur, int jumped)
{
	enum param_id id = (enum param_id)l->id;
	float p = autoplay_lane_eval(l, fe, &st->hint), v;
	if (l->step) {
		v = p;
	} else {
		if (!st->playing || jumped) {
			float d = autoplay_to_path(id, cur) - p;
			st->glide_d = isfinite(d) ? d : 0.0f;
			st->glide_left = ap->glide;
		}
		st->glide_left = st->glide_left > JMX_CHUNK ? st->glide_left - JMX_CHUNK : 0;
		float w = (float)st->glide_left / (float)ap->glide;
		v = autoplay_from_path(id, p + st->glide_d * w);
	}
	st->playing = 1;
	st->applied = v;
	if (v != cur)
		mixer_point(m, id, l->i1, l->i2, v);
}

static void autoplay_chunk(void *ctx, struct mixer *m, unsigned off)
{
	struct autoplay *ap = ctx;
	const struct autoplay_set *set = ap->cur;
	int jumped = ap->jumped, split = ap->split, rolling = ap->rolling;

	ap->jumped = ap->split = 0;
	if (!set)
		return;
	/* the frame at this chunk's end, where its points are reached */
	uint32_t fe = rolling ? ap->frame + off + JMX_CHUNK : ap->frame;
	for (unsigned k = 0; k < set->n; k++) {
		const struct autoplay_lane *l = &set->lane[k];
		struct autoplay_state *st = &ap->st[l->flat];
		int touched = atomic_load_explicit(&ap->touch[l->flat], memory_order_acquire) != 0;
		int want = lane_want(st, l, touched, rolling);
		float cur = mixer_value(m, l->flat);
		if (want == WANT_REC)
			lane_record(ap, m, l, st, fe, cur, split);
		else if (st->rec)
			rec_end(ap, m, l, st);
		if (want == WANT_PLAY)
			lane_play(ap, m, l, st, fe, cur, jumped);
		else
			st->playing = 0;
	}
	rtq_publish(&ap->ring);
}

void autoplay_cycle(struct autoplay *ap, struct mixer *m, uint32_t frame, int rolling, unsigned nframes)
{
	ASSERT_ROLE(ROLE_RT);
	atomic_fetch_add_explicit(&ap->cycles, 1, memory_order_release);
	if (!atomic_load_explicit(&ap->retired, memory_order_acquire)) {
		struct autoplay_set *s = atomic_exchange_explicit(&ap->pending, NULL, memory_order_acq_rel);
		if (s) {
			struct autoplay_set *old = ap->cur;
			ap->cur = s;
			if (old) {
				sets_leave(ap, m, old, s);
				atomic_store_explicit(&ap->retired, old, memory_order_release);
			}
			atomic_store_explicit(&ap->active_gen, s->gen, memory_order_release);
		}
	}
	/* Located or looped: playing lanes jump (and glide), a recorded pass
	 * ends and a new one starts.  A skip forward of a few periods is what
	 * JACK does after an xrun: no glide up to the glide time, and a pass
	 * goes on through up to AUTOPLAY_SKIP_MS (the lane joins the two
	 * sides across frames that were never played). */
	uint32_t expect = ap->prev_frame + (ap->prev_rolling ? ap->prev_n : 0);
	if (ap->started && frame != expect) {
		uint32_t fwd = frame > expect ? frame - expect : UINT32_MAX;
		ap->jumped |= fwd > ap->glide;
		ap->split |= fwd > ap->skip_max;
	}
	ap->started = 1;
	ap->frame = frame;
	ap->rolling = rolling != 0;
	ap->prev_frame = frame;
	ap->prev_rolling = ap->rolling;
	ap->prev_n = nframes;
	atomic_store_explicit(&ap->pub_frame, frame, memory_order_relaxed);
	atomic_store_explicit(&ap->pub_rolling, ap->rolling, memory_order_relaxed);
	mixer_set_chunk_hook(m, autoplay_chunk, ap);
}
