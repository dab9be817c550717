/*
 * master.c - the master bus insert chain on a stereo pair, in place:
 *   4-band EQ -> stereo-linked glue compressor -> width (M/S) ->
 *   master fader and mute -> live leveler (leveler.c) -> lookahead
 *   true-peak limiter.
 *
 * Threads: master_new/master_free (and master_settle, master_set_drive
 * for offline runs) on the control thread, never while RT runs.  master_set and master_process on the RT
 * thread only: they never allocate, lock or make system calls.  master_latency (immutable after master_new)
 * and master_meter_take (C11 atomics) from any thread.
 *
 * Invariants:
 * - Every buffer is allocated and pre-faulted in master_new; nothing in
 *   master_process depends on the JACK period (n <= JMX_CHUNK).
 * - The output is always the input delayed by exactly lim.delay frames
 *   (master_latency), limiter in or out, so JACK latency never changes.
 * - No parameter is applied as a step.  Mute, unmute and the fader to or
 *   from off follow the switch ramp of dsp.h (its point at the end of each
 *   call, interpolated across the call, exactly the target at the end of
 *   the call that completes it); other gains move one pole per call
 *   (except the points of a ramp or an automation lane, master_jump,
 *   which the next call reaches exactly, interpolating across it)
 *   by JMX_SMOOTH_TAU_MS and are interpolated linearly across the call;
 *   EQ frequency and Q move in the log domain and gain in dB, and the
 *   biquad coefficients are recomputed only while something moves and
 *   interpolated across the call.  A convex combination of two stable
 *   biquads is stable (the a1/a2 stability triangle is convex), so the
 *   interpolation cannot blow up.  On/off switches are crossfades (comp,
 *   limiter) or a fade of the band gains through 0 dB (EQ on/off and band
 *   type changes: at 0 dB every RBJ type is the identity, so the type
 *   switches there without a step).  Attack and release times only change
 *   how fast an envelope moves, never its value, so they apply at once.
 * - When settled at their neutral values, the EQ (all bands at 0 dB),
 *   compressor (off), width (1), fader (0 dB), leveler (off) and limiter
 *   (gain 1 or out)
 *   are bit-exact identities: quiet audio comes out sample-exact.
 * - Non-finite input is treated as 0 and magnitudes are clamped to
 *   JMX_INPUT_LIMIT before anything stores them; filter and detector
 *   state is scrubbed of NaN/inf once per call as a second line of
 *   defence.
 *
 * The limiter (stereo linked):
 *   tp[i]   = max over both channels of |x[i]| and of the 8x oversampled
 *             values in (i-1, i) and (i, i+1): a linear-phase polyphase
 *             Kaiser-windowed sinc of 2*TP_HALF taps a phase, so it sees
 *             x[i] TP_HALF samples late;
 *   req[i]  = min(1, ceiling / tp[i]);
 *   m[i]    = min(req[i-L+1 .. i])    (monotonic deque, O(1) amortised);
 *   a[i]    = mean(m[i-L+1 .. i])     (running sum, exact re-sum once a
 *                                      window so rounding cannot drift);
 *   g       = min(a, previous g released towards 1).
 *   For a peak at p, m[j] <= req[p] for j in p..p+L-1, so a[p+L-1] <= req[p]:
 *   delaying the audio by D = L-1 + TP_HALF puts x[p] under that gain.  The
 *   average makes the gain a linear ramp over L samples, so the gain is
 *   nearly linear across the few samples that shape an inter-sample peak,
 *   and marking each inter-sample interval on both of its samples keeps the
 *   reconstructed peak under the ceiling as well.  Latency at 48 kHz:
 *   L = 72, D = 95 frames.  Out, the same delay line runs with gain 1.
 *
 * The compressor (feed-forward, stereo linked): level = 20 log10 of
 *   max(|L|, |R|) after the EQ; static curve comp_gr_db (threshold, ratio,
 *   soft knee); the reduction goes through a smooth decoupled peak
 *   detector (instant rise, release; then attack), so a steady tone settles
 *   at the curve's value for its peak level; gain = makeup - reduction.
 */
#include "master.h"
#include "role.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "dsp_biquad.h"
#include "leveler.h"

/* The detector: 8x, 24 taps each side, Kaiser beta 6.  Against an
 * independent 64-tap reference, 16 taps a side (beta 8) under-read a
 * full-band square wave by 0.08 dB; 24 taps with the sharper beta-6
 * transition (about 60 dB stopband) bring that to 0.015 dB for 8 more
 * frames of latency and ~30 ns a frame. */
#define TP_OS        8u                   /* oversampling factor */
#define TP_HALF      24u                  /* taps each side of the interpolated point */
#define TP_TAPS      (2u * TP_HALF)       /* taps a phase */
#define TP_HIST      (TP_TAPS - 1u)       /* input history the FIR needs */
#define TP_BETA      6.0                  /* Kaiser window shape */
#define LOOKAHEAD_MS 1.5                  /* attack ramp of the limiter */
#define LN10_20      0.11512925464970229f /* ln(10)/20: dB -> natural log of gain */

_Static_assert(JMX_LANES == TP_OS, "one vf holds the eight phases");

/* A value that moves one pole per call towards its target and snaps to it
 * once within eps, so settled values are exact (bit-exact identities);
 * with jump set the next step goes all the way. */
struct smooth {
	float cur, tgt;
	int jump;
};

struct eq_band {
	int type, type_tgt; /* enum biquad_kind; type changes at 0 dB */
	float db_user;      /* requested gain; the target is 0 while off */
	struct smooth db, lhz, lq;
	struct biquad_coef k; /* coefficients at cur, valid if k_valid */
	int k_valid;
	double z[2][4]; /* per channel: x1 x2 y1 y2 (DF1) */
};

struct comp {
	struct smooth mix, thr, lratio, knee, makeup;
	float att, rel; /* per-sample envelope coefficients */
	float y1, y;    /* decoupled peak detector state, dB of reduction */
};

struct limiter {
	unsigned look;  /* L: ramp and window length */
	unsigned delay; /* D = L - 1 + TP_HALF */
	unsigned dq_mask;
	unsigned dq_head, dq_tail;
	uint32_t count;
	unsigned rpos;
	double sum;     /* sum of ring[] */
	float iv_prev;  /* squared inter-sample peak of the previous interval */
	float red, rel; /* red = 1 - gain */
	struct smooth mix, ceil_db;
	float ceil_lin;
	float *hist[2]; /* TP_HIST + JMX_CHUNK */
	float *dly[2];  /* delay + JMX_CHUNK */
	float *ring;    /* look: windowed minima */
	float *dq_val;
	uint32_t *dq_idx;
};

struct master {
	/* taps[m][p]: tap m of phase p (p = 0 is the sample itself), laid out
	 * so one vector op advances all eight phases. */
	vf taps[TP_TAPS];
	double rate;
	float fader_db, drive_db; /* drive: master_set_drive, offline only */
	int mute, eq_on;
	struct smooth gain, width;
	/* gain follows the switch ramp (dsp.h) while sw_len > 0: from sw_from,
	 * sw_done of its sw_len frames done; sw_mute: a mute or unmute started
	 * it; sw_moved: the fader moved since the last call */
	float sw_from;
	unsigned sw_done, sw_len;
	int sw_mute, sw_moved;
	struct eq_band band[JMX_BANDS];
	struct comp comp;
	struct leveler lev;
	struct limiter lim;
	/* float bits, >= 0: max since the last take; on their own line, the
	 * meter reader must not pull the RT state's cache lines around */
	_Alignas(64) _Atomic uint32_t comp_gr;
	_Atomic uint32_t lim_gr;
	_Atomic uint32_t lev_gain; /* float bits, signed: the leveler's gain now */
};

/* fmaxf is a libm call unless NaN can be ruled out at compile time; here
 * every operand is already finite. */
static inline float max_f(float a, float b)
{
	return a > b ? a : b;
}

static int smooth_step(struct smooth *s, float c, float eps)
{
	int jump = s->jump;
	s->jump = 0;
	if (s->cur == s->tgt)
		return 0;
	if (jump) {
		s->cur = s->tgt;
		return 1;
	}
	float prev = s->cur;
	s->cur += c * (s->tgt - s->cur);
	/* A step below half an ulp would leave cur stuck short of the target
	 * (gain 0.99999 instead of 1 with one-frame calls): snap then too.
	 * The distance left is then under ulp / (2c), 1.5e-5 for one-frame
	 * calls at 48 kHz: far below anything audible. */
	if (fabsf(s->tgt - s->cur) <= eps || s->cur == prev)
		s->cur = s->tgt;
	return 1;
}

static float time_coef(double rate, float ms)
{
	return (float)exp(-1.0 / (ms * 0.001 * rate));
}

static double bessel_i0(double v)
{
	double s = 1, t = 1;
	for (int k = 1; k < 50; k++) {
		t *= (v / 2) / k;
		s += t * t;
	}
	return s;
}

/* Polyphase interpolator: phase p estimates x(i + p/8) from x[i-TP_HALF+1
 * .. i+TP_HALF].  Each phase is normalised to unit DC gain so flat tops
 * (square waves) read exactly. */
static void design_taps(struct master *ms)
{
	const double pi = 3.14159265358979323846;
	double i0b = bessel_i0(TP_BETA);
	for (unsigned p = 0; p < TP_OS; p++) {
		double h[TP_TAPS], sum = 0;
		double frac = (double)p / TP_OS;
		for (unsigned m = 0; m < TP_TAPS; m++) {
			double t = (double)m - (TP_HALF - 1) - frac;
			/* phase 0 is the sample itself, exactly */
			double sinc = p == 0 ? (t == 0.0) : sin(pi * t) / (pi * t);
			double r = t / TP_HALF;
			double w = fabs(r) >= 1.0 ? 0.0 : bessel_i0(TP_BETA * sqrt(1.0 - r * r)) / i0b;
			h[m] = sinc * w;
			sum += h[m];
		}
		for (unsigned m = 0; m < TP_TAPS; m++)
			ms->taps[m][p] = (float)(h[m] / sum);
	}
}

/* ---- meters ---- */

static void meter_publish(_Atomic uint32_t *slot, float db)
{
	uint32_t v, cur;
	if (!(db > 0.0f))
		return;
	memcpy(&v, &db, sizeof v);
	/* Non-negative floats order like their bit patterns. */
	cur = atomic_load_explicit(slot, memory_order_relaxed);
	while (v > cur && !atomic_compare_exchange_weak_explicit(slot, &cur, v, memory_order_relaxed,
	                                                         memory_order_relaxed))
		;
}

int master_meter_take(struct master *ms, enum param_id id, float out[2])
{
	_Atomic uint32_t *slot;
	if (id == P_MASTER_COMP_GR)
		slot = &ms->comp_gr;
	else if (id == P_MASTER_LIMITER_GR)
		slot = &ms->lim_gr;
	else if (id == P_MASTER_LEVELER_GAIN) {
		uint32_t v = atomic_load_explicit(&ms->lev_gain, memory_order_relaxed);
		memcpy(&out[0], &v, sizeof out[0]);
		return 1;
	} else
		return 0;
	uint32_t v = atomic_exchange_explicit(slot, 0, memory_order_relaxed);
	memcpy(&out[0], &v, sizeof out[0]);
	return 1;
}

unsigned master_latency(const struct master *ms)
{
	return ms->lim.delay;
}

/* ---- parameters ---- */

/* A target that goes to or leaves exactly 0 (mute, unmute, off and back)
 * takes the switch ramp from where the gain is; any other move smooths, or
 * is settled by gain_step inside a ramp a mute started. */
static void update_gain_target(struct master *ms, int by_mute)
{
	float t = ms->mute ? 0.0f : dsp_db2lin(ms->fader_db + ms->drive_db);
	if (t == ms->gain.tgt)
		return;
	if (t == 0.0f || ms->gain.tgt == 0.0f) {
		ms->sw_len = dsp_switch_frames(ms->rate);
		ms->sw_from = ms->gain.cur;
		ms->sw_done = 0;
		ms->sw_mute = by_mute;
		ms->sw_moved = 0;
	} else if (ms->sw_len && ms->sw_mute) {
		ms->sw_moved = 1;
	} else {
		ms->sw_len = 0;
	}
	ms->gain.tgt = t;
}

/* The gain at the end of a call of n frames: the switch ramp's point n
 * frames on (exactly the target at its end), a ramp point at once, or one
 * smoothing step.  As in the strips, a ramp point (master_jump) ends a
 * switch ramp the fader started but only moves the end of one a mute
 * started; a plain fader move ends it and smooths from there. */
static void gain_step(struct master *ms, unsigned n, float c)
{
	if (ms->sw_len && (ms->gain.jump ? ms->sw_mute : !ms->sw_moved)) {
		ms->sw_done += n;
		float t = ms->gain.tgt;
		ms->gain.cur = t + (ms->sw_from - t) * dsp_switch_left((double)ms->sw_done / ms->sw_len);
		if (ms->sw_done >= ms->sw_len)
			ms->sw_len = 0;
		ms->gain.jump = ms->sw_moved = 0;
		return;
	}
	ms->sw_len = 0;
	ms->sw_moved = 0;
	smooth_step(&ms->gain, c, 1e-6f);
}

void master_set(struct master *ms, enum param_id id, unsigned band, float value)
{
	if (!isfinite(value) || (unsigned)id >= P_COUNT)
		return;
	value = param_clamp(id, value);
	struct eq_band *b = &ms->band[band < JMX_BANDS ? band : 0];
	if (param_table[id].scope == SC_MASTER_BAND && band >= JMX_BANDS)
		return;
	switch (id) {
	case P_MASTER_FADER:
		ms->fader_db = value;
		update_gain_target(ms, 0);
		break;
	case P_MASTER_MUTE:
		ms->mute = value >= 0.5f;
		update_gain_target(ms, 1);
		break;
	case P_MASTER_EQ_ON:
		ms->eq_on = value >= 0.5f;
		break;
	case P_MASTER_EQ_TYPE:
		b->type_tgt = value < 0.5f ? BQ_PEAK : value < 1.5f ? BQ_LOWSHELF : BQ_HIGHSHELF;
		break;
	case P_MASTER_EQ_HZ:
		b->lhz.tgt = logf(value);
		break;
	case P_MASTER_EQ_DB:
		b->db_user = value;
		break;
	case P_MASTER_EQ_Q:
		b->lq.tgt = logf(value);
		break;
	case P_MASTER_COMP_ON:
		ms->comp.mix.tgt = value >= 0.5f ? 1.0f : 0.0f;
		break;
	case P_MASTER_COMP_THR:
		ms->comp.thr.tgt = value;
		break;
	case P_MASTER_COMP_RATIO:
		ms->comp.lratio.tgt = logf(value);
		break;
	case P_MASTER_COMP_ATTACK:
		ms->comp.att = time_coef(ms->rate, value);
		break;
	case P_MASTER_COMP_RELEASE:
		ms->comp.rel = time_coef(ms->rate, value);
		break;
	case P_MASTER_COMP_KNEE:
		ms->comp.knee.tgt = value;
		break;
	case P_MASTER_COMP_MAKEUP:
		ms->comp.makeup.tgt = value;
		break;
	case P_MASTER_WIDTH:
		ms->width.tgt = value;
		break;
	case P_MASTER_LIMITER_ON:
		ms->lim.mix.tgt = value >= 0.5f ? 1.0f : 0.0f;
		break;
	case P_MASTER_LIMITER_CEILING:
		ms->lim.ceil_db.tgt = value;
		break;
	case P_MASTER_LIMITER_RELEASE:
		ms->lim.rel = time_coef(ms->rate, value);
		break;
	case P_MASTER_LEVELER_ON:
	case P_MASTER_LEVELER_TARGET:
	case P_MASTER_LEVELER_RANGE:
	case P_MASTER_LEVELER_SPEED:
		leveler_set(&ms->lev, id, value);
		break;
	default:
		break;
	}
}

void master_jump(struct master *ms, enum param_id id, unsigned band)
{
	struct eq_band *b = &ms->band[band < JMX_BANDS ? band : 0];
	struct smooth *s = NULL;
	switch (id) {
	case P_MASTER_FADER:
		s = &ms->gain;
		break;
	case P_MASTER_EQ_HZ:
		s = &b->lhz;
		break;
	case P_MASTER_EQ_DB:
		s = &b->db;
		break;
	case P_MASTER_EQ_Q:
		s = &b->lq;
		break;
	case P_MASTER_COMP_THR:
		s = &ms->comp.thr;
		break;
	case P_MASTER_COMP_RATIO:
		s = &ms->comp.lratio;
		break;
	case P_MASTER_COMP_KNEE:
		s = &ms->comp.knee;
		break;
	case P_MASTER_COMP_MAKEUP:
		s = &ms->comp.makeup;
		break;
	case P_MASTER_WIDTH:
		s = &ms->width;
		break;
	case P_MASTER_LIMITER_CEILING:
		s = &ms->lim.ceil_db;
		break;
	default:
		break; /* switches and times: nothing is smoothed */
	}
	if (s)
		s->jump = 1;
}

/* ---- EQ ---- */

static struct biquad_coef band_design(const struct master *ms, const struct eq_band *b)
{
	return biquad_design((enum biquad_kind)b->type, ms->rate, exp(b->lhz.cur), b->db.cur, exp(b->lq.cur));
}

/* DF1 in double: at 20 Hz and 96 kHz the poles sit within 1e-3 of z = 1,
 * where float state would add audible noise.  k + (i + 1) * dk is the
 * coefficient set at sample i (dk = 0 when nothing moves).  Both channels
 * in one loop so their recursions overlap. */
static void biquad_run(double zl[4], double zr[4], struct biquad_coef k, const double dk[5], float *l,
                       float *r, unsigned n)
{
	double b0 = k.b0, b1 = k.b1, b2 = k.b2, a1 = k.a1, a2 = k.a2;
	double lx1 = zl[0], lx2 = zl[1], ly1 = zl[2], ly2 = zl[3];
	double rx1 = zr[0], rx2 = zr[1], ry1 = zr[2], ry2 = zr[3];
	for (unsigned i = 0; i < n; i++) {
		b0 += dk[0];
		b1 += dk[1];
		b2 += dk[2];
		a1 += dk[3];
		a2 += dk[4];
		double xl = l[i], xr = r[i];
		double yl = b0 * xl + b1 * lx1 + b2 * lx2 - a1 * ly1 - a2 * ly2;
		double yr = b0 * xr + b1 * rx1 + b2 * rx2 - a1 * ry1 - a2 * ry2;
		lx2 = lx1;
		lx1 = xl;
		ly2 = ly1;
		ly1 = yl;
		rx2 = rx1;
		rx1 = xr;
		ry2 = ry1;
		ry1 = yr;
		l[i] = (float)yl;
		r[i] = (float)yr;
	}
	zl[0] = lx1;
	zl[1] = lx2;
	zl[2] = ly1;
	zl[3] = ly2;
	zr[0] = rx1;
	zr[1] = rx2;
	zr[2] = ry1;
	zr[3] = ry2;
}

/* An identity band keeps the state an identity filter would have, so it
 * can start filtering again without a transient. */
static void band_track(double z[4], const float *x, unsigned n)
{
	if (n >= 2) {
		z[0] = z[2] = x[n - 1];
		z[1] = z[3] = x[n - 2];
	} else if (n == 1) {
		z[1] = z[3] = z[0];
		z[0] = z[2] = x[0];
	}
}

static void band_process(struct master *ms, struct eq_band *b, float *l, float *r, unsigned n, float c)
{
	b->db.tgt = (ms->eq_on && b->type == b->type_tgt) ? b->db_user : 0.0f;
	if (b->db.cur == 0.0f && b->db.tgt == 0.0f) {
		/* Flat: every type is the identity here, so pending type and
		 * frequency changes take effect without a sound. */
		b->type = b->type_tgt;
		b->lhz.cur = b->lhz.tgt;
		b->lq.cur = b->lq.tgt;
		b->db.jump = b->lhz.jump = b->lq.jump = 0;
		b->k_valid = 0;
		band_track(b->z[0], l, n);
		band_track(b->z[1], r, n);
		return;
	}
	if (!b->k_valid) {
		b->k = band_design(ms, b);
		b->k_valid = 1;
	}
	double dk[5] = {0, 0, 0, 0, 0};
	struct biquad_coef k0 = b->k;
	int moving = smooth_step(&b->db, c, 1e-3f);
	moving |= smooth_step(&b->lhz, c, 1e-5f);
	moving |= smooth_step(&b->lq, c, 1e-5f);
	if (moving) {
		struct biquad_coef k1 = band_design(ms, b);
		double inv = 1.0 / n;
		dk[0] = ((double)k1.b0 - k0.b0) * inv;
		dk[1] = ((double)k1.b1 - k0.b1) * inv;
		dk[2] = ((double)k1.b2 - k0.b2) * inv;
		dk[3] = ((double)k1.a1 - k0.a1) * inv;
		dk[4] = ((double)k1.a2 - k0.a2) * inv;
		b->k = k1;
	}
	biquad_run(b->z[0], b->z[1], k0, dk, l, r, n);
}

/* ---- compressor ---- */

static void comp_process(struct master *ms, float *l, float *r, unsigned n, float c)
{
	struct comp *cp = &ms->comp;
	float mix0 = cp->mix.cur, mk0 = cp->makeup.cur;
	smooth_step(&cp->mix, c, 1e-6f);
	smooth_step(&cp->makeup, c, 1e-4f);
	smooth_step(&cp->thr, c, 1e-4f);
	smooth_step(&cp->lratio, c, 1e-6f);
	smooth_step(&cp->knee, c, 1e-4f);
	if (mix0 == 0.0f && cp->mix.cur == 0.0f) {
		/* Out and settled: an idle detector starts from rest, which is
		 * an ordinary attack once it is switched in again. */
		cp->y1 = cp->y = 0.0f;
		return;
	}
	float inv = 1.0f / (float)n;
	float dmix = (cp->mix.cur - mix0) * inv, dmk = (cp->makeup.cur - mk0) * inv;
	float thr = cp->thr.cur, ratio = expf(cp->lratio.cur), knee = cp->knee.cur;
	float att = cp->att, rel = cp->rel, y1 = cp->y1, y = cp->y, grmax = 0.0f;
	for (unsigned i = 0; i < n; i++) {
		float pk = max_f(fabsf(l[i]), fabsf(r[i]));
		float xdb = pk > 1e-9f ? 20.0f * log10f(pk) : -180.0f;
		float gr = comp_gr_db(xdb, thr, ratio, knee);
		/* Smooth decoupled peak detector (Giannoulis et al. 2012): y1
		 * holds the peak reduction with the release, y adds the attack,
		 * so a steady tone settles at the curve's value for its peak. */
		y1 = max_f(gr, rel * y1 + (1.0f - rel) * gr);
		y = att * y + (1.0f - att) * y1;
		float m = mix0 + dmix * (float)(i + 1);
		float g = expf((mk0 + dmk * (float)(i + 1) - y) * LN10_20);
		float ge = 1.0f + m * (g - 1.0f);
		l[i] *= ge;
		r[i] *= ge;
		if (y * m > grmax)
			grmax = y * m;
	}
	cp->y1 = y1;
	cp->y = y;
	meter_publish(&ms->comp_gr, grmax);
}

/* ---- width, fader, mute ---- */

static void width_gain_process(struct master *ms, float *l, float *r, unsigned n, float c)
{
	float w0 = ms->width.cur, g0 = ms->gain.cur;
	smooth_step(&ms->width, c, 1e-6f);
	gain_step(ms, n, c);
	float w1 = ms->width.cur, g1 = ms->gain.cur;
	if (w0 == 1.0f && w1 == 1.0f && g0 == 1.0f && g1 == 1.0f)
		return;
	float inv = 1.0f / (float)n, dw = (w1 - w0) * inv, dg = (g1 - g0) * inv;
	for (unsigned i = 0; i < n; i++) {
		float w = w0 + dw * (float)(i + 1), g = g0 + dg * (float)(i + 1);
		/* L = M + wS = L + (w-1)S: exactly L at w = 1 */
		float s = 0.5f * (l[i] - r[i]) * (w - 1.0f);
		l[i] = (l[i] + s) * g;
		r[i] = (r[i] - s) * g;
	}
}

/* ---- limiter ---- */

/* The detector: writes req[t] for the sample TP_HALF frames back. */
JMX_HOT static void tp_detect(const vf *taps, const float *hl, const float *hr, float ceil, float *iv_prev,
                              float *req, unsigned n)
{
	float ivp = *iv_prev;
	for (unsigned t = 0; t < n; t++) {
		/* four chains so the adds overlap instead of waiting on each other */
		vf al = {0}, ar = {0}, bl = {0}, br = {0};
		for (unsigned m = 0; m < TP_TAPS; m += 2) {
			al += taps[m] * hl[t + m];
			ar += taps[m] * hr[t + m];
			bl += taps[m + 1] * hl[t + m + 1];
			br += taps[m + 1] * hr[t + m + 1];
		}
		al += bl;
		ar += br;
		/* lane 0 is the sample itself, lanes 1..7 the interval after it;
		 * compare squares, one sqrt at the end */
		vf ql = al * al, qr = ar * ar;
		float tp0 = max_f(ql[0], qr[0]), iv = 0.0f;
		for (unsigned p = 1; p < TP_OS; p++)
			iv = max_f(iv, max_f(ql[p], qr[p]));
		float tp = sqrtf(max_f(tp0, max_f(iv, ivp)));
		ivp = iv;
		req[t] = tp > ceil ? ceil / tp : 1.0f;
	}
	*iv_prev = ivp;
}

static void limiter_process(struct master *ms, float *l, float *r, unsigned n, float c)
{
	struct limiter *lm = &ms->lim;
	float req[JMX_CHUNK];
	if (smooth_step(&lm->ceil_db, c, 1e-4f))
		lm->ceil_lin = powf(10.0f, lm->ceil_db.cur * 0.05f);
	float mix0 = lm->mix.cur;
	smooth_step(&lm->mix, c, 1e-6f);
	float dmix = (lm->mix.cur - mix0) / (float)n;

	memcpy(lm->hist[0] + TP_HIST, l, n * sizeof *l);
	memcpy(lm->hist[1] + TP_HIST, r, n * sizeof *r);
	memcpy(lm->dly[0] + lm->delay, l, n * sizeof *l);
	memcpy(lm->dly[1] + lm->delay, r, n * sizeof *r);
	tp_detect(ms->taps, lm->hist[0], lm->hist[1], lm->ceil_lin, &lm->iv_prev, req, n);

	const unsigned look = lm->look, mask = lm->dq_mask;
	const double inv_look = 1.0 / look;
	const float rel = lm->rel;
	float red = lm->red, gmin = 1.0f;
	for (unsigned t = 0; t < n; t++) {
		float q = req[t];
		/* sliding minimum: the deque holds increasing values */
		while (lm->dq_tail != lm->dq_head && lm->dq_val[(lm->dq_tail - 1) & mask] >= q)
			lm->dq_tail--;
		lm->dq_val[lm->dq_tail & mask] = q;
		lm->dq_idx[lm->dq_tail & mask] = lm->count;
		lm->dq_tail++;
		while ((uint32_t)(lm->count - lm->dq_idx[lm->dq_head & mask]) >= look)
			lm->dq_head++;
		lm->count++;
		float mn = lm->dq_val[lm->dq_head & mask];
		/* moving average of the minima */
		lm->sum += (double)mn - lm->ring[lm->rpos];
		lm->ring[lm->rpos] = mn;
		if (++lm->rpos == look) {
			double s = 0;
			for (unsigned j = 0; j < look; j++)
				s += lm->ring[j];
			lm->sum = s;
			lm->rpos = 0;
		}
		float avg = (float)(lm->sum * inv_look);
		/* The release runs on the reduction 1 - g: relaxing g towards 1
		 * in float would stall a few ulps short of 1, where a step of
		 * red * (1 - rel) is below half an ulp.  Below 1e-7 it is 0. */
		red *= rel;
		if (red < 1e-7f)
			red = 0.0f;
		if (1.0f - avg > red)
			red = 1.0f - avg;
		float g = 1.0f - red;
		float m = mix0 + dmix * (float)(t + 1);
		float ge = 1.0f + m * (g - 1.0f);
		l[t] = lm->dly[0][t] * ge;
		r[t] = lm->dly[1][t] * ge;
		if (ge < gmin)
			gmin = ge;
	}
	lm->red = red;
	memmove(lm->hist[0], lm->hist[0] + n, TP_HIST * sizeof(float));
	memmove(lm->hist[1], lm->hist[1] + n, TP_HIST * sizeof(float));
	memmove(lm->dly[0], lm->dly[0] + n, lm->delay * sizeof(float));
	memmove(lm->dly[1], lm->dly[1] + n, lm->delay * sizeof(float));
	if (gmin < 1.0f)
		meter_publish(&ms->lim_gr, -20.0f * log10f(gmin > 1e-9f ? gmin : 1e-9f));
}

/* ---- the chain ---- */

static void scrub_state(struct master *ms)
{
	for (unsigned b = 0; b < JMX_BANDS; b++)
		for (unsigned ch = 0; ch < 2; ch++)
			for (unsigned j = 0; j < 4; j++)
				if (!isfinite(ms->band[b].z[ch][j]))
					memset(ms->band[b].z[ch], 0, sizeof ms->band[b].z[ch]);
	if (!isfinite(ms->comp.y) || !isfinite(ms->comp.y1))
		ms->comp.y = ms->comp.y1 = 0.0f;
	struct limiter *lm = &ms->lim;
	if (!isfinite(lm->red) || !isfinite(lm->iv_prev) || !isfinite(lm->sum)) {
		lm->red = 0.0f;
		lm->iv_prev = 0.0f;
		lm->sum = 0;
		for (unsigned j = 0; j < lm->look; j++)
			lm->sum += lm->ring[j];
	}
}

static void sanitize(float *x, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		float v = x[i];
		if (!isfinite(v))
			v = 0.0f;
		x[i] = v > JMX_INPUT_LIMIT ? JMX_INPUT_LIMIT : v < -JMX_INPUT_LIMIT ? -JMX_INPUT_LIMIT : v;
	}
}

static void finite_only(float *x, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!isfinite(x[i]))
			x[i] = 0.0f;
}

static void process_chunk(struct master *ms, float *l, float *r, unsigned n)
{
	/* Per call, not per chunk of 64: smoothing runs at the same speed
	 * whatever n is, and the per-sample step never exceeds
	 * delta / (tau * rate) because 1 - exp(-x) <= x. */
	float c = dsp_smooth_coef(ms->rate, n);
	sanitize(l, n);
	sanitize(r, n);
	for (unsigned b = 0; b < JMX_BANDS; b++)
		band_process(ms, &ms->band[b], l, r, n, c);
	comp_process(ms, l, r, n, c);
	width_gain_process(ms, l, r, n, c);
	leveler_process(&ms->lev, l, r, n, c);
	{
		float gdb = leveler_gain_db(&ms->lev);
		uint32_t v;
		memcpy(&v, &gdb, sizeof v);
		atomic_store_explicit(&ms->lev_gain, v, memory_order_relaxed);
	}
	/* Nothing above can make inf from finite input, but if it ever did,
	 * the delay line and the detector (a NaN peak compares as quiet)
	 * must not keep it: a cheap second gate, no clamp this time. */
	finite_only(l, n);
	finite_only(r, n);
	limiter_process(ms, l, r, n, c);
	scrub_state(ms);
}

void master_process(struct master *ms, float *l, float *r, unsigned n)
{
	/* n <= JMX_CHUNK by contract; a longer call is split, not refused */
	while (n > 0) {
		unsigned k = n < JMX_CHUNK ? n : JMX_CHUNK;
		process_chunk(ms, l, r, k);
		l += k;
		r += k;
		n -= k;
	}
}

/* ---- life cycle ---- */

static void snap(struct smooth *s)
{
	s->cur = s->tgt;
}

void master_settle(struct master *ms)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct limiter *lm = &ms->lim;
	snap(&ms->gain);
	ms->sw_len = 0;
	snap(&ms->width);
	for (unsigned b = 0; b < JMX_BANDS; b++) {
		struct eq_band *bd = &ms->band[b];
		bd->type = bd->type_tgt;
		bd->db.tgt = ms->eq_on ? bd->db_user : 0.0f;
		snap(&bd->db);
		snap(&bd->lhz);
		snap(&bd->lq);
		bd->k_valid = 0;
	}
	snap(&ms->comp.mix);
	snap(&ms->comp.thr);
	snap(&ms->comp.lratio);
	snap(&ms->comp.knee);
	snap(&ms->comp.makeup);
	snap(&lm->mix);
	snap(&lm->ceil_db);
	lm->ceil_lin = powf(10.0f, lm->ceil_db.cur * 0.05f);
	ms->lev.mix = ms->lev.mix_tgt;
}

void master_set_drive(struct master *ms, float db)
{
	ASSERT_ROLE(ROLE_CONTROL);
	ms->drive_db = isfinite(db) ? (db < -90.0f ? -90.0f : db > 60.0f ? 60.0f : db) : 0.0f;
	update_gain_target(ms, 0);
}

struct master *master_new(double rate)
{
	if (!(rate >= 8000.0 && rate <= 768000.0))
		return NULL;
	unsigned look = (unsigned)lround(LOOKAHEAD_MS * 0.001 * rate);
	if (look < 2)
		look = 2;
	unsigned delay = look - 1 + TP_HALF;
	unsigned cap = 1;
	while (cap < look + 1)
		cap <<= 1;

	size_t head = (sizeof(struct master) + 63) & ~(size_t)63;
	size_t floats = 2 * (TP_HIST + JMX_CHUNK) + 2 * (delay + JMX_CHUNK) + look + cap;
	size_t bytes = head + floats * sizeof(float) + cap * sizeof(uint32_t);
	bytes = (bytes + 63) & ~(size_t)63;
	struct master *ms = aligned_alloc(64, bytes);
	if (!ms)
		return NULL;
	memset(ms, 0, bytes); /* pre-fault every page before RT touches it */

	ms->rate = rate;
	design_taps(ms);
	leveler_init(&ms->lev, rate);
	struct limiter *lm = &ms->lim;
	float *p = (float *)((char *)ms + head);
	lm->look = look;
	lm->delay = delay;
	lm->dq_mask = cap - 1;
	for (unsigned ch = 0; ch < 2; ch++) {
		lm->hist[ch] = p;
		p += TP_HIST + JMX_CHUNK;
		lm->dly[ch] = p;
		p += delay + JMX_CHUNK;
	}
	lm->ring = p;
	p += look;
	lm->dq_val = p;
	p += cap;
	lm->dq_idx = (uint32_t *)p;
	for (unsigned j = 0; j < look; j++)
		lm->ring[j] = 1.0f;
	lm->sum = look;
	atomic_init(&ms->comp_gr, 0);
	atomic_init(&ms->lim_gr, 0);
	atomic_init(&ms->lev_gain, 0);

	for (unsigned id = 0; id < P_COUNT; id++) {
		if (strncmp(param_table[id].name, "MASTER_", 7) != 0 || param_table[id].type == PT_METER)
			continue;
		unsigned nb = param_table[id].scope == SC_MASTER_BAND ? JMX_BANDS : 1;
		for (unsigned b = 0; b < nb; b++)
			master_set(ms, (enum param_id)id, b, param_default((enum param_id)id, b));
	}
	/* Start settled at the defaults: nothing ramps at start-up. */
	master_settle(ms);
	return ms;
}

void master_free(struct master *ms)
{
	free(ms);
}
