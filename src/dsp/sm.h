/*
 * sm.h - a smoothed scalar gain (the mixer's and the buses' one-value
 * counterpart of the strips' per-lane smoothing): one-pole steps once per
 * chunk, and the switch ramp of dsp.h for a gain that goes to or leaves
 * exactly 0, interpolated linearly inside the chunk.
 *
 * Threads: pure functions on caller-owned state; RT (or a test), and the
 * control thread before RT runs (sm_snap).
 */
#ifndef JMX_SM_H
#define JMX_SM_H

#include <math.h>

#include "strip.h"

struct smoothed {
	float cur, prev, tgt;
	int jump;                     /* the next step goes all the way (a ramp point) */
	float from;                   /* the switch ramp (dsp.h) started here ... */
	unsigned k;                   /* ... and takes its point k next; 0: not switching, smoothing */
	unsigned char by_mute, moved; /* a mute started it; the fader moved since */
};

/* One chunk: a switch ramp takes its next point (its last is exactly the
 * target); a ramp point is reached at once, anything else smooths.  As in
 * the strips (fader_step), a ramp point ends a switch ramp the fader
 * started but only moves the end of one a mute started, and a plain fader
 * move ends it and smooths from there. */
static inline void sm_step(struct smoothed *s, const struct strip_chunk *ck)
{
	s->prev = s->cur;
	if (s->k && (s->jump ? s->by_mute : !s->moved)) {
		s->cur = s->k >= ck->sw_n ? s->tgt : s->tgt + (s->from - s->tgt) * ck->sw_left[s->k];
		s->k = s->k >= ck->sw_n ? 0 : s->k + 1;
		s->jump = s->moved = 0;
		return;
	}
	s->k = s->moved = 0;
	s->cur += ck->coef * (s->tgt - s->cur);
	if (fabsf(s->tgt - s->cur) < 1e-6f || s->jump)
		s->cur = s->tgt;
	s->jump = 0;
}

/* A new target for a gain: one that goes to or leaves exactly 0 (mute,
 * unmute, off and back) takes the switch ramp from where the gain is; any
 * other smooths, or is settled by sm_step inside a ramp a mute started. */
static inline void sm_gain(struct smoothed *s, float t, int by_mute)
{
	if (t == s->tgt)
		return;
	if (t == 0.0f || s->tgt == 0.0f) {
		s->k = 1;
		s->from = s->cur;
		s->by_mute = (unsigned char)by_mute;
		s->moved = 0;
	} else if (s->k && s->by_mute) {
		s->moved = 1;
	} else {
		s->k = 0;
	}
	s->tgt = t;
}

static inline void sm_snap(struct smoothed *s)
{
	s->cur = s->prev = s->tgt;
	s->k = s->moved = 0;
}

static inline float sm_at(const struct smoothed *s, float r)
{
	return s->prev + r * (s->cur - s->prev);
}

#endif
