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
 * - The true peak is libebur128's own measure, computed here: the same
 *   4x (2x from 96 kHz, none from 192 kHz) polyphase interpolator, a
 *   49-tap Hann-windowed sinc, run in float over whole chunks so the
 *   compiler vectorises it.  libebur128 runs it in scalar double with an
 *   index per tap: it cost about 70 % of the meter (0.28 % of a core for
 *   48 kHz stereo), which the meter paid even when nobody listened.  The
 *   values agree with libebur128's to float rounding (tests/test_recorder
 *   checks them against ffmpeg).  The first LOUDNESS_TP_SETTLE frames
 *   after a reset count with their sample peak: a fresh interpolator
 *   starts from zeros, and audio that is already playing when the meter
 *   resets (a take starting mid-signal) would otherwise read the
 *   overshoot of a step that is not in the signal (+0.4 dB on a sine).
 * - Momentary and short-term come from the energies of the last 4 and 30
 *   100 ms blocks (one ebur128_loudness_window of 100 ms per block):
 *   libebur128's own momentary and short-term sum 400 ms and 3 s of
 *   filtered audio at every call, 30 times the work for the same means.
 */
#include "loudness.h"
#include "role.h"

#include "dsp.h" /* JMX_HOT */

#include <ebur128.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LOUDNESS_TP_SETTLE 64 /* frames: longer than the 4x interpolator's reach */

#define LOUDNESS_MODE                                                                                        \
	(EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_HISTOGRAM)

#define TP_TAPS   49 /* libebur128's interpolator: taps of the prototype */
#define TP_HIST   13 /* (TP_TAPS + 3) / 4: input frames a phase reaches back */
#define TP_PHASES 4
#define ST_BLOCKS 30 /* short-term: 3 s of 100 ms blocks; momentary: 4 */

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

	/* true peak: phases x taps (coefficient, input frames back) */
	unsigned tp_factor; /* 0: none (>= 192 kHz), the sample peak counts */
	unsigned tp_n[TP_PHASES];
	float tp_c[TP_PHASES][TP_HIST];
	unsigned tp_back[TP_PHASES][TP_HIST];
	float *tp_x;   /* per channel: TP_HIST - 1 frames of history, then a chunk */
	float *tp_acc; /* one chunk of one phase */

	double blk_e[ST_BLOCKS]; /* energies of the last 100 ms blocks */
	unsigned blk_i;
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
	l->tp_factor = rate < 96000 ? 4 : rate < 192000 ? 2 : 0;
	for (unsigned j = 0; j < TP_TAPS && l->tp_factor; j++) {
		/* a windowed sinc, as libebur128 designs it (interp_create) */
		double m = (double)j - (TP_TAPS - 1) / 2.0, c = 1.0;
		if (fabs(m) > 1e-9)
			c = sin(m * M_PI / l->tp_factor) / (m * M_PI / l->tp_factor);
		c *= 0.5 * (1.0 - cos(2.0 * M_PI * j / (TP_TAPS - 1)));
		if (fabs(c) > 1e-9) {
			unsigned f = j % l->tp_factor, t = l->tp_n[f]++;
			l->tp_c[f][t] = (float)c;
			l->tp_back[f][t] = j / l->tp_factor;
		}
	}
	l->tp_x = calloc((size_t)channels * (TP_HIST - 1 + l->block), sizeof *l->tp_x);
	l->tp_acc = calloc(l->block, sizeof *l->tp_acc);
	if (!l->tp_x || !l->tp_acc || loudness_restart(l) < 0) {
		loudness_free(l);
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
	free(l->tp_x);
	free(l->tp_acc);
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
	memset(l->tp_x, 0, (size_t)l->channels * (TP_HIST - 1) * sizeof *l->tp_x);
	memset(l->blk_e, 0, sizeof l->blk_e);
	l->blk_i = 0;
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
	double v, e = 0.0, em = 0.0, es = 0.0;
	float m, s;

	/* the block just completed; the means of the last 4 and 30 are what
	 * libebur128 would sum over 400 ms and 3 s (blocks before the reset
	 * count as silence, as its zeroed buffer does) */
	if (ebur128_loudness_window(l->st, 100, &v) == EBUR128_SUCCESS && v > -HUGE_VAL)
		e = pow(10.0, (v + 0.691) / 10.0);
	l->blk_e[l->blk_i] = e;
	for (unsigned k = 0; k < ST_BLOCKS; k++) {
		double b = l->blk_e[(l->blk_i + ST_BLOCKS - k) % ST_BLOCKS];
		es += b;
		if (k < 4)
			em += b;
	}
	l->blk_i = (l->blk_i + 1) % ST_BLOCKS;
	m = loudness_floor(em > 0.0 ? 10.0 * log10(em / 4.0) - 0.691 : -HUGE_VAL);
	s = loudness_floor(es > 0.0 ? 10.0 * log10(es / ST_BLOCKS) - 0.691 : -HUGE_VAL);
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

/* The true peak of k frames (linear), with the history of the frames fed
 * before them; or their sample peak, with no interpolator. */
JMX_HOT static double loudness_true_peak(struct loudness *l, const float *frames, size_t k)
{
	float peak = 0.0f;
	for (unsigned c = 0; c < l->channels; c++) {
		float *x = l->tp_x + (size_t)c * (TP_HIST - 1 + l->block);
		float *in = x + TP_HIST - 1;
		for (size_t i = 0; i < k; i++) {
			in[i] = frames[i * l->channels + c];
			if (!l->tp_factor && fabsf(in[i]) > peak)
				peak = fabsf(in[i]);
		}
		for (unsigned f = 0; f < l->tp_factor; f++) {
			float *acc = l->tp_acc;
			for (size_t i = 0; i < k; i++)
				acc[i] = 0.0f;
			for (unsigned t = 0; t < l->tp_n[f]; t++) {
				const float cf = l->tp_c[f][t];
				const float *src = in - l->tp_back[f][t];
				for (size_t i = 0; i < k; i++)
					acc[i] += cf * src[i];
			}
			for (size_t i = 0; i < k; i++)
				peak = fabsf(acc[i]) > peak ? fabsf(acc[i]) : peak;
		}
		/* the last frames are the next chunk's history */
		memmove(x, x + k, (TP_HIST - 1) * sizeof *x);
	}
	return peak;
}

static double loudness_sample_peak(const struct loudness *l, const float *frames, size_t k)
{
	float peak = 0.0f;
	for (size_t i = 0; i < k * l->channels; i++)
		peak = fabsf(frames[i]) > peak ? fabsf(frames[i]) : peak;
	return peak;
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
		double p = loudness_true_peak(l, frames, k);
		if (l->fed < LOUDNESS_TP_SETTLE)
			p = loudness_sample_peak(l, frames, k);
		if (p > l->tp_lin)
			l->tp_lin = p;
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
