/*
 * loudness.c - EBU R128 meter over libebur128; see loudness.h.
 *
 * Threads: see loudness.h.  Only the disk thread touches the ebur128
 * state; other threads see the values through atomics (float bits in
 * atomic_uint, one store per value: a reader may mix values from two
 * consecutive blocks, never a torn value).
 *
 * Invariants: the state is always created with EBUR128_MODE_HISTOGRAM, so
 * integrated loudness and range use fixed-size histograms and add_frames
 * never allocates; ebur128_set_max_window is never called (libebur128
 * 1.2.6 over-allocates there).  Maxima of momentary and short-term are
 * taken at every 100 ms block boundary of the audio fed, the rate EBU
 * Tech 3341 asks of a meter.
 * - The true peak is taken per add_frames call (ebur128_prev_true_peak),
 *   except for the first LOUDNESS_TP_SETTLE frames after a reset, which
 *   count with their sample peak: a fresh state's interpolator starts
 *   from zeros, and audio that is already playing when the meter resets
 *   (a take starting mid-signal) would otherwise read the overshoot of a
 *   step that is not in the signal (+0.4 dB on a plain sine).
 */
#include "loudness.h"
#include "role.h"

#include <ebur128.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LOUDNESS_TP_SETTLE 64 /* frames: longer than the 4x interpolator's reach */

#define LOUDNESS_MODE                                                                                        \
	(EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK |      \
	 EBUR128_MODE_HISTOGRAM)

enum { LV_M, LV_S, LV_I, LV_LRA, LV_TP, LV_MAX_M, LV_MAX_S, LV_COUNT };

struct loudness {
	ebur128_state *st;
	unsigned rate, channels;
	size_t block;    /* frames per 100 ms */
	size_t in_block; /* frames fed since the last boundary */
	unsigned blocks; /* boundaries since the last integrated update */
	float max_m, max_s;
	size_t fed;    /* frames since the reset, counted up to LOUDNESS_TP_SETTLE */
	double tp_lin; /* maximum true peak since the reset, linear */
	atomic_int reset_req;
	atomic_uint pub[LV_COUNT];
};

static float loudness_floor(double v)
{
	if (!(v > LOUDNESS_FLOOR)) /* -inf, NaN */
		return LOUDNESS_FLOOR;
	return (float)v;
}

static void loudness_pub(struct loudness *l, int k, float v)
{
	unsigned bits;
	memcpy(&bits, &v, sizeof bits);
	atomic_store_explicit(&l->pub[k], bits, memory_order_relaxed);
}

static float loudness_read(const struct loudness *l, int k)
{
	unsigned bits = atomic_load_explicit((atomic_uint *)&l->pub[k], memory_order_relaxed);
	float v;
	memcpy(&v, &bits, sizeof v);
	return v;
}

static float loudness_tp_db(const struct loudness *l)
{
	return loudness_floor(l->tp_lin > 0 ? 20.0 * log10(l->tp_lin) : -HUGE_VAL);
}

static void loudness_publish_all(struct loudness *l)
{
	for (int k = 0; k < LV_COUNT; k++)
		loudness_pub(l, k, k == LV_LRA ? 0.0f : LOUDNESS_FLOOR);
}

static int loudness_restart(struct loudness *l);

struct loudness *loudness_new(unsigned rate, unsigned channels)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	struct loudness *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->rate = rate;
	l->channels = channels;
	l->block = rate / 10 ? rate / 10 : 1;
	atomic_init(&l->reset_req, 0);
	if (loudness_restart(l) < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loudness_free(struct loudness *l)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (!l)
		return;
	if (l->st)
		ebur128_destroy(&l->st);
	free(l);
}

/* The body of loudness_reset, also run by loudness_new before any
 * feeder exists. */
static int loudness_restart(struct loudness *l)
{
	/* libebur128 has no reset: a fresh state is the only exact one. */
	if (l->st)
		ebur128_destroy(&l->st);
	l->st = ebur128_init(l->channels, l->rate, LOUDNESS_MODE);
	l->in_block = 0;
	l->blocks = 0;
	l->fed = 0;
	l->tp_lin = 0;
	l->max_m = l->max_s = LOUDNESS_FLOOR;
	atomic_store(&l->reset_req, 0);
	loudness_publish_all(l);
	return l->st ? 0 : -1;
}

int loudness_reset(struct loudness *l)
{
	ASSERT_ROLE(ROLE_DISK);
	return loudness_restart(l);
}

/* A 100 ms boundary: momentary, short-term, peaks and maxima; once a
 * second also the integrated loudness and the range. */
static void loudness_boundary(struct loudness *l)
{
	double v;
	float m = LOUDNESS_FLOOR, s = LOUDNESS_FLOOR;

	if (ebur128_loudness_momentary(l->st, &v) == EBUR128_SUCCESS)
		m = loudness_floor(v);
	if (ebur128_loudness_shortterm(l->st, &v) == EBUR128_SUCCESS)
		s = loudness_floor(v);
	if (m > l->max_m)
		l->max_m = m;
	if (s > l->max_s)
		l->max_s = s;
	loudness_pub(l, LV_M, m);
	loudness_pub(l, LV_S, s);
	loudness_pub(l, LV_MAX_M, l->max_m);
	loudness_pub(l, LV_MAX_S, l->max_s);
	loudness_pub(l, LV_TP, loudness_tp_db(l));
	if (++l->blocks >= 10) {
		l->blocks = 0;
		if (ebur128_loudness_global(l->st, &v) == EBUR128_SUCCESS)
			loudness_pub(l, LV_I, loudness_floor(v));
		if (ebur128_loudness_range(l->st, &v) == EBUR128_SUCCESS && isfinite(v))
			loudness_pub(l, LV_LRA, (float)v);
	}
}

void loudness_add(struct loudness *l, const float *frames, size_t n)
{
	ASSERT_ROLE(ROLE_DISK);
	if (atomic_load_explicit(&l->reset_req, memory_order_acquire))
		loudness_reset(l);
	if (!l->st)
		return;
	while (n > 0) {
		size_t k = l->block - l->in_block;
		if (l->fed < LOUDNESS_TP_SETTLE && k > LOUDNESS_TP_SETTLE - l->fed)
			k = LOUDNESS_TP_SETTLE - l->fed;
		if (k > n)
			k = n;
		ebur128_add_frames_float(l->st, frames, k);
		for (unsigned c = 0; c < l->channels; c++) {
			double p = 0;
			if (l->fed < LOUDNESS_TP_SETTLE)
				ebur128_prev_sample_peak(l->st, c, &p);
			else
				ebur128_prev_true_peak(l->st, c, &p);
			if (p > l->tp_lin)
				l->tp_lin = p;
		}
		if (l->fed < LOUDNESS_TP_SETTLE)
			l->fed += k;
		frames += k * l->channels;
		n -= k;
		l->in_block += k;
		if (l->in_block == l->block) {
			l->in_block = 0;
			loudness_boundary(l);
		}
	}
}

void loudness_compute(struct loudness *l, struct loudness_values *v)
{
	ASSERT_ROLE(ROLE_DISK);
	double x;

	if (l->st) {
		if (ebur128_loudness_momentary(l->st, &x) == EBUR128_SUCCESS)
			loudness_pub(l, LV_M, loudness_floor(x));
		if (ebur128_loudness_shortterm(l->st, &x) == EBUR128_SUCCESS)
			loudness_pub(l, LV_S, loudness_floor(x));
		if (ebur128_loudness_global(l->st, &x) == EBUR128_SUCCESS)
			loudness_pub(l, LV_I, loudness_floor(x));
		if (ebur128_loudness_range(l->st, &x) == EBUR128_SUCCESS && isfinite(x))
			loudness_pub(l, LV_LRA, (float)x);
		loudness_pub(l, LV_TP, loudness_tp_db(l));
	}
	loudness_get(l, v);
}

void loudness_get(const struct loudness *l, struct loudness_values *v)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	v->m = loudness_read(l, LV_M);
	v->s = loudness_read(l, LV_S);
	v->i = loudness_read(l, LV_I);
	v->lra = loudness_read(l, LV_LRA);
	v->tp = loudness_read(l, LV_TP);
	v->max_m = loudness_read(l, LV_MAX_M);
	v->max_s = loudness_read(l, LV_MAX_S);
}

void loudness_request_reset(struct loudness *l)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	atomic_store_explicit(&l->reset_req, 1, memory_order_release);
}
