/*
 * fx.c - a bus's built-in effect (see fx.h): the parameters, their
 * smoothing, the type switch and the input guard around the three
 * effects, fx_reverb.c (feedback delay network), fx_delay.c (stereo and
 * ping-pong delay, tempo sync) and fx_chorus.c (modulated delay).
 *
 * Threads: as fx.h; fx_subnormals from a test, never while RT runs.
 *
 * Invariants:
 * - Continuous parameters (decay, damp, lowcut, size, width, feedback,
 *   rate, depth) move one pole per call by JMX_SMOOTH_TAU_MS (fx_jump
 *   skips it: the value is a point of a path that is already smooth);
 *   each effect interpolates what it applies across the call.  Delay
 *   and pre-delay times are not smoothed here: a new time is a crossfade
 *   of two taps inside the effect (fx_line.h), a sweep a series of them.
 * - A type change is a linear crossfade over FX_XFADE_MS from the old
 *   effect, still running, to the new one, which starts from silence
 *   (an O(1) reset: fx_line.h).  A change asked for during a crossfade
 *   waits for its end; the latest one wins.
 * - Input is scrubbed before anything stores it: NaN/inf become 0,
 *   magnitudes are clamped to JMX_INPUT_LIMIT, values under about 1e-25
 *   become 0.  If the output of a call is not finite all the same (a
 *   second line of defence), the effects are reset and the call returns
 *   silence: the next call is clean.
 * - Only fx_new allocates (every line sized for max_rate, pre-faulted).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "fx.h"
#include "fx_chorus.h"
#include "fx_delay.h"
#include "fx_line.h"
#include "fx_reverb.h"
#include "role.h"

struct fx {
	double rate;
	float tgt[FXP_COUNT], cur[FXP_COUNT];
	float bpm;
	enum fx_type type; /* playing (fading in while xpos < xlen) */
	enum fx_type old;  /* fading out while xpos < xlen */
	enum fx_type want; /* the latest asked for */
	unsigned xpos, xlen;
	struct fx_reverb *rv;
	struct fx_delay *dl;
	struct fx_chorus *ch;
	float in[2][JMX_CHUNK], tmp[2][JMX_CHUNK];
};

/* until the table's values arrive: a plausible setting of each */
static const float fx_default[FXP_COUNT] = {
    [FXP_DECAY_S] = 2.0f,  [FXP_PREDELAY_MS] = 20.0f, [FXP_DAMP_HZ] = 8000.0f, [FXP_LOWCUT_HZ] = 100.0f,
    [FXP_SIZE] = 0.5f,     [FXP_WIDTH] = 1.0f,        [FXP_TIME_MS] = 500.0f,  [FXP_FEEDBACK] = 0.4f,
    [FXP_PINGPONG] = 0.0f, [FXP_SYNC] = 0.0f,         [FXP_DIVISION] = 4.0f,   [FXP_RATE_HZ] = 0.8f,
    [FXP_DEPTH_MS] = 3.0f,
};

static const unsigned char fx_smoothed[FXP_COUNT] = {
    [FXP_DECAY_S] = 1, [FXP_DAMP_HZ] = 1,  [FXP_LOWCUT_HZ] = 1, [FXP_SIZE] = 1,
    [FXP_WIDTH] = 1,   [FXP_FEEDBACK] = 1, [FXP_RATE_HZ] = 1,   [FXP_DEPTH_MS] = 1,
};

struct fx *fx_new(double rate, double max_rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!(rate > 0.0) || max_rate < rate)
		max_rate = rate;
	struct fx *fx = calloc(1, sizeof *fx);
	if (!fx)
		return NULL;
	memset(fx, 0, sizeof *fx); /* pre-fault */
	fx->rate = rate;
	memcpy(fx->tgt, fx_default, sizeof fx->tgt);
	memcpy(fx->cur, fx_default, sizeof fx->cur);
	fx->xlen = (unsigned)lround(FX_XFADE_MS * 1e-3 * rate);
	if (fx->xlen < 1)
		fx->xlen = 1;
	fx->xpos = fx->xlen;
	fx->rv = fx_reverb_new(rate, max_rate);
	fx->dl = fx_delay_new(rate, max_rate);
	fx->ch = fx_chorus_new(rate, max_rate);
	if (!fx->rv || !fx->dl || !fx->ch) {
		fx_free(fx);
		return NULL;
	}
	return fx;
}

void fx_free(struct fx *fx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!fx)
		return;
	fx_reverb_free(fx->rv);
	fx_delay_free(fx->dl);
	fx_chorus_free(fx->ch);
	free(fx);
}

void fx_set_type(struct fx *fx, enum fx_type type)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults (bus_rack_set) */
	if ((unsigned)type <= FX_CHORUS)
		fx->want = type;
}

void fx_set(struct fx *fx, enum fx_param p, float v)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults (bus_rack_set) */
	if ((unsigned)p >= FXP_COUNT || !isfinite(v))
		return;
	fx->tgt[p] = v;
	if (!fx_smoothed[p])
		fx->cur[p] = v;
}

void fx_jump(struct fx *fx, enum fx_param p)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults (bus_rack_set) */
	if ((unsigned)p < FXP_COUNT)
		fx->cur[p] = fx->tgt[p];
}

void fx_set_tempo(struct fx *fx, float bpm)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults (bus_rack_set) */
	fx->bpm = isfinite(bpm) && bpm > 0.0f ? bpm : 0.0f;
}

double fx_division_beats(unsigned d)
{
	ASSERT_ROLE(ROLE_ANY);
	static const double beats[] = {4,   2,    3,       4.0 / 3, 1,     1.5,     2.0 / 3,
	                               0.5, 0.75, 1.0 / 3, 0.25,    0.375, 1.0 / 6, 0.125};
	return d < sizeof beats / sizeof beats[0] ? beats[d] : 1;
}

/* The delay's echo time in whole samples: the set time, or with sync on
 * and a tempo, the division at that tempo; 1 sample .. FX_TIME_MAX_MS. */
static unsigned delay_samples(const struct fx *fx)
{
	double ms = fx->cur[FXP_TIME_MS];
	if (fx->cur[FXP_SYNC] >= 0.5f && fx->bpm > 0.0f)
		ms = 60000.0 / fx->bpm *
		     fx_division_beats((unsigned)lrintf(fmaxf(fx->cur[FXP_DIVISION], 0.0f)));
	if (!(ms <= FX_TIME_MAX_MS))
		ms = FX_TIME_MAX_MS;
	long s = lround(ms * 1e-3 * fx->rate);
	return s < 1 ? 1u : (unsigned)s;
}

static void reset(struct fx *fx, enum fx_type t)
{
	switch (t) {
	case FX_REVERB:
		fx_reverb_reset(fx->rv, fx->cur);
		break;
	case FX_DELAY:
		fx_delay_reset(fx->dl, fx->cur, delay_samples(fx));
		break;
	case FX_CHORUS:
		fx_chorus_reset(fx->ch, fx->cur);
		break;
	default:
		break;
	}
}

static void run(struct fx *fx, enum fx_type t, float *outl, float *outr, unsigned n)
{
	switch (t) {
	case FX_REVERB:
		fx_reverb_update(fx->rv, fx->cur, n);
		fx_reverb_run(fx->rv, fx->in[0], fx->in[1], outl, outr, n);
		break;
	case FX_DELAY:
		fx_delay_update(fx->dl, fx->cur, delay_samples(fx));
		fx_delay_run(fx->dl, fx->in[0], fx->in[1], outl, outr, n);
		break;
	case FX_CHORUS:
		fx_chorus_update(fx->ch, fx->cur);
		fx_chorus_run(fx->ch, fx->in[0], fx->in[1], outl, outr, n);
		break;
	default:
		memset(outl, 0, n * sizeof *outl);
		memset(outr, 0, n * sizeof *outr);
		break;
	}
}

static inline float scrub(float x)
{
	if (!isfinite(x))
		return 0.0f;
	x = x > JMX_INPUT_LIMIT ? JMX_INPUT_LIMIT : x < -JMX_INPUT_LIMIT ? -JMX_INPUT_LIMIT : x;
	return fx_flush(x);
}

void fx_process(struct fx *fx, const float *inl, const float *inr, float *outl, float *outr, unsigned n)
{
	ASSERT_ROLE(ROLE_RT);
	if (n == 0)
		return;
	if (n > JMX_CHUNK)
		n = JMX_CHUNK;
	for (unsigned t = 0; t < n; t++) {
		fx->in[0][t] = scrub(inl[t]);
		fx->in[1][t] = scrub(inr[t]);
	}
	const float k = dsp_smooth_coef(fx->rate, n);
	for (unsigned p = 0; p < FXP_COUNT; p++) {
		if (!fx_smoothed[p] || fx->cur[p] == fx->tgt[p])
			continue;
		float d = fx->tgt[p] - fx->cur[p];
		fx->cur[p] =
		    fabsf(d) <= 1e-6f * fmaxf(fabsf(fx->tgt[p]), 1.0f) ? fx->tgt[p] : fx->cur[p] + k * d;
	}
	if (fx->xpos >= fx->xlen && fx->want != fx->type) {
		fx->old = fx->type;
		fx->type = fx->want;
		fx->xpos = 0;
		reset(fx, fx->type);
	}
	run(fx, fx->type, outl, outr, n);
	if (fx->xpos < fx->xlen) {
		run(fx, fx->old, fx->tmp[0], fx->tmp[1], n);
		const float step = 1.0f / (float)fx->xlen;
		for (unsigned t = 0; t < n; t++) {
			unsigned pos = fx->xpos < fx->xlen ? ++fx->xpos : fx->xlen;
			float a = (float)pos * step;
			outl[t] = fx->tmp[0][t] + a * (outl[t] - fx->tmp[0][t]);
			outr[t] = fx->tmp[1][t] + a * (outr[t] - fx->tmp[1][t]);
		}
	}
	float acc = 0.0f;
	for (unsigned t = 0; t < n; t++)
		acc += outl[t] * 0.0f + outr[t] * 0.0f;
	if (acc != 0.0f) { /* NaN * 0 and inf * 0 are NaN: something went wrong */
		reset(fx, fx->type);
		fx->xpos = fx->xlen;
		memset(outl, 0, n * sizeof *outl);
		memset(outr, 0, n * sizeof *outr);
	}
}

unsigned long fx_subnormals(const struct fx *fx)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	return fx_reverb_subnormals(fx->rv) + fx_delay_subnormals(fx->dl) + fx_chorus_subnormals(fx->ch);
}
