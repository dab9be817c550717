/*
 * fx_reverb.c - the stereo algorithmic reverb of the bus effects.
 *
 *   in L/R -> 2nd-order Butterworth high-pass (lowcut) -> pre-delay (an
 *   integer tap: exact to the sample) -> 4 Schroeder all-passes a channel
 *   (diffusion, lossless) -> feedback delay network of 8 lines -> output
 *   vectors for L and R -> width (M/S)
 *
 * The network (Jot and Chaigne 1991, "Digital delay networks for
 * designing artificial reverberators"): 8 delay lines of mutually
 * unrelated lengths m_i (29 to 67 ms times a size factor 0.3 .. 1.5),
 * mixed by the 8x8 Hadamard matrix / sqrt(8), which is orthogonal, so
 * the loop without absorption is lossless and every mode decays only by
 * the absorption of the lines it passes.  Each line ends in a one-pole
 * low-pass absorption filter
 *
 *   H_i(z) = k_i (1 - b_i) / (1 - b_i z^-1),
 *   |H_i(w)|^2 = k_i^2 / (1 + c_i (1 - cos w)),  c_i = 2 b_i / (1 - b_i)^2,
 *
 * designed so that a pass through line i loses, in dB, m_i times the
 * loss per sample of the RT60 wanted: at 1 kHz exactly D_i = 60 m_i /
 * (T fs) dB (T the decay setting), and at the damp frequency 2 D_i (the
 * RT60 there is half of T), which fixes c_i:
 *
 *   1 + c a_d = 10^(D/10) (1 + c a_1),  a = 1 - cos w,
 *
 * and then k_i from the 1 kHz condition.  Since every line loses the same
 * dB per sample at 1 kHz, every mode there decays at T whatever path it
 * takes: the RT60 is exact by construction, not fitted (Jot's condition;
 * tests/test_fx.c measures it).  Frequencies below 1 kHz decay a little
 * slower (as in rooms), those above damp faster.  Where a one-pole cannot
 * reach the damp condition (damp near 1 kHz, or a very short decay) c is
 * capped so the filter keeps a gain below 1 at DC: the loop stays stable.
 * Damp at or above FX_DAMP_OFF_HZ (or 0.45 fs) is a flat loss.
 *
 * Short decays: the T30 of a network whose lines are long against the
 * decay is a staircase of few passes, and the all-passes' own ring (172
 * ms at g = 0.625 on 11.7 ms) adds a tail of its own; at 0.2 s, size 1,
 * the measured RT60 was 17 % long.  So the longest line is held to a
 * quarter of the decay (size acts fully from a decay of 0.4 s up: a room
 * that dies in 0.2 s is not large) and each all-pass gain to one whose
 * ring is a quarter of the decay (0.625 from 0.69 s up).
 *
 * The L and R inputs feed disjoint lines (even, odd) and the outputs are
 * two orthogonal +-1 vectors over all 8 lines, so the tails are
 * decorrelated (tests/test_fx.c: correlation under 0.3).
 *
 * Size moves the line lengths: they glide by at most 1/32 sample per
 * sample (a pitch deviation under 3 %, no click), read by linear
 * interpolation while they move and by integer taps once they arrive
 * (interpolation would be a low-pass in the loop and change the decay).
 * The pre-delay changes by crossfading two integer taps (fx_line.h).
 *
 * Denormals: the absorption filters' outputs, the all-passes and the
 * high-pass states go through fx_flush (what the lines hold is made of
 * flushed values: 0 or far above the subnormal range), so a tail ends in
 * exact zeros and the cost per sample does not depend on the signal.
 *
 * Cost: the frame is written once and run in two copies, with and
 * without the lines' fill checks (fx_line.h); once every buffer (the
 * longest, the pre-delay's, is sized for max_rate) has been written all
 * round since the reset, every chunk takes the unchecked copy.
 *
 * Threads: as fx_reverb.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "dsp_biquad.h"
#include "fx.h"
#include "fx_line.h"
#include "fx_reverb.h"
#include "role.h"

#define RV_LINES    8u
#define RV_AP       4u
#define RV_AP_GAIN  0.625f
#define RV_OUT_GAIN 0.25f /* noise in: -2 dB out at a 2 s decay, +3 dB a doubling */
#define RV_GLIDE    (1.0f / 32.0f)
#define RV_SHORT    0.25 /* longest line and all-pass ring: at most this part of the decay */
#define PI          3.14159265358979323846

/* line lengths at size factor 1, ms; mutually unrelated */
static const double rv_len_ms[RV_LINES] = {29.3, 34.7, 39.1, 44.9, 50.3, 55.7, 61.1, 67.3};
/* diffusion all-passes, ms, L and R */
static const double rv_ap_ms[2][RV_AP] = {{4.31, 3.17, 11.03, 8.13}, {4.73, 2.89, 11.71, 7.61}};
/* output vectors: orthogonal, every line in both */
static const float rv_out[2][RV_LINES] = {{1, 1, -1, -1, 1, 1, -1, -1}, {1, -1, 1, -1, -1, 1, -1, 1}};

struct fx_reverb {
	double rate;
	struct fx_line pre[2];
	struct fx_xtap pxt;
	struct fx_line ap[2][RV_AP];
	unsigned apd[2][RV_AP];
	float apg[2][RV_AP]; /* their gains */
	struct fx_line line[RV_LINES];
	float len[RV_LINES];  /* current length, samples */
	float want[RV_LINES]; /* its target (whole samples) */
	float step[RV_LINES]; /* per sample in this chunk */
	float a[RV_LINES], b[RV_LINES], z[RV_LINES];
	struct biquad_coef hp;
	float hs[2][2];
	float width0, width1;
	/* what the absorption and high-pass were designed for */
	float d_decay, d_damp, d_lowcut;
	int moving; /* some length is gliding */
};

static float size_factor(float size)
{
	if (!(size >= 0.0f))
		size = 0.0f;
	if (size > 1.0f)
		size = 1.0f;
	return 0.3f + 1.2f * size;
}

static double clampd(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

struct fx_reverb *fx_reverb_new(double rate, double max_rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct fx_reverb *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->rate = rate;
	int bad = 0;
	for (unsigned c = 0; c < 2; c++) {
		bad |= fx_line_new(&r->pre[c], (size_t)ceil(FX_PREDELAY_MAX_MS * 1e-3 * max_rate) + 2);
		for (unsigned j = 0; j < RV_AP; j++) {
			r->apd[c][j] = (unsigned)lround(rv_ap_ms[c][j] * 1e-3 * rate);
			bad |= fx_line_new(&r->ap[c][j], (size_t)ceil(rv_ap_ms[c][j] * 1e-3 * max_rate) + 1);
		}
	}
	for (unsigned i = 0; i < RV_LINES; i++)
		bad |= fx_line_new(&r->line[i],
		                   (size_t)ceil(rv_len_ms[i] * 1e-3 * size_factor(1) * max_rate) + 2);
	if (bad) {
		fx_reverb_free(r);
		return NULL;
	}
	return r;
}

void fx_reverb_free(struct fx_reverb *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!r)
		return;
	for (unsigned c = 0; c < 2; c++) {
		fx_line_free(&r->pre[c]);
		for (unsigned j = 0; j < RV_AP; j++)
			fx_line_free(&r->ap[c][j]);
	}
	for (unsigned i = 0; i < RV_LINES; i++)
		fx_line_free(&r->line[i]);
	free(r);
}

/* The absorption of a line of m samples (see the opening comment). */
static void design_line(double m, double decay, double damp, double fs, float *a, float *b)
{
	double D = 60.0 * m / (decay * fs);
	double a1 = 1.0 - cos(2.0 * PI * 1000.0 / fs), c = 0.0;
	if (damp < FX_DAMP_OFF_HZ && damp < 0.45 * fs) {
		double ad = 1.0 - cos(2.0 * PI * damp / fs), x = pow(10.0, D / 10.0);
		double den = ad - x * a1, cmax = (pow(10.0, D / 20.0) - 1.0) / a1;
		c = den > 0.0 ? (x - 1.0) / den : cmax;
		if (c > cmax)
			c = cmax;
	}
	double bb = c > 1e-12 ? ((c + 1.0) - sqrt(2.0 * c + 1.0)) / c : 0.0;
	double k = pow(10.0, (10.0 * log10(1.0 + c * a1) - D) / 20.0);
	*a = (float)(k * (1.0 - bb));
	*b = (float)bb;
}

static unsigned predelay_tap(const struct fx_reverb *r, float ms)
{
	/* written before it is read: a tap of P + 1 is P samples late */
	return (unsigned)lround(clampd(ms, 0.0, FX_PREDELAY_MAX_MS) * 1e-3 * r->rate) + 1u;
}

static void design(struct fx_reverb *r, const float *p)
{
	double fs = r->rate, decay = clampd(p[FXP_DECAY_S], 0.1, 20.0),
	       damp = clampd(p[FXP_DAMP_HZ], 100.0, 1e6);
	for (unsigned i = 0; i < RV_LINES; i++)
		design_line(r->len[i], decay, damp, fs, &r->a[i], &r->b[i]);
	/* the all-passes' own ring (RT60 60 m / (20 log10(1/g)) fs) at most
	 * a quarter of the decay */
	for (unsigned c = 0; c < 2; c++)
		for (unsigned j = 0; j < RV_AP; j++)
			r->apg[c][j] =
			    (float)fmin(RV_AP_GAIN, pow(10.0, -3.0 * r->apd[c][j] / (RV_SHORT * decay * fs)));
	r->d_decay = p[FXP_DECAY_S];
	r->d_damp = p[FXP_DAMP_HZ];
}

static void design_hp(struct fx_reverb *r, float hz)
{
	r->hp = biquad_design(BQ_HIGHPASS, r->rate, clampd(hz, 5.0, 0.45 * r->rate), 0.0, sqrt(0.5));
	r->d_lowcut = hz;
}

static void set_lengths(struct fx_reverb *r, float size, float decay)
{
	/* the longest line at most a quarter of the decay: see the opening
	 * comment */
	float f = size_factor(size),
	      fmax = (float)(RV_SHORT * clampd(decay, 0.1, 20.0) / (rv_len_ms[RV_LINES - 1] * 1e-3));
	f = f < fmax ? f : fmax;
	for (unsigned i = 0; i < RV_LINES; i++)
		r->want[i] = (float)lround(rv_len_ms[i] * 1e-3 * f * r->rate);
}

void fx_reverb_reset(struct fx_reverb *r, const float *p)
{
	ASSERT_ROLE(ROLE_RT);
	for (unsigned c = 0; c < 2; c++) {
		fx_line_reset(&r->pre[c]);
		for (unsigned j = 0; j < RV_AP; j++)
			fx_line_reset(&r->ap[c][j]);
		r->hs[c][0] = r->hs[c][1] = 0.0f;
	}
	set_lengths(r, p[FXP_SIZE], p[FXP_DECAY_S]);
	for (unsigned i = 0; i < RV_LINES; i++) {
		fx_line_reset(&r->line[i]);
		r->len[i] = r->want[i];
		r->step[i] = 0.0f;
		r->z[i] = 0.0f;
	}
	r->moving = 0;
	fx_xtap_init(&r->pxt, (unsigned)lround(FX_XFADE_MS * 1e-3 * r->rate),
	             predelay_tap(r, p[FXP_PREDELAY_MS]));
	r->width0 = r->width1 = p[FXP_WIDTH];
	design(r, p);
	design_hp(r, p[FXP_LOWCUT_HZ]);
}

void fx_reverb_update(struct fx_reverb *r, const float *p, unsigned n)
{
	ASSERT_ROLE(ROLE_RT);
	r->pxt.want = predelay_tap(r, p[FXP_PREDELAY_MS]);
	fx_xtap_chunk(&r->pxt);
	r->width0 = r->width1;
	r->width1 = p[FXP_WIDTH];
	set_lengths(r, p[FXP_SIZE], p[FXP_DECAY_S]);
	int was = r->moving;
	r->moving = 0;
	for (unsigned i = 0; i < RV_LINES; i++) {
		float d = r->want[i] - r->len[i], lim = RV_GLIDE * (float)n;
		if (fabsf(d) < 1e-3f) {
			r->len[i] = r->want[i];
			r->step[i] = 0.0f;
			continue;
		}
		d = d > lim ? lim : d < -lim ? -lim : d;
		r->step[i] = d / (float)n;
		r->moving = 1;
	}
	if (r->moving || was || r->d_decay != p[FXP_DECAY_S] || r->d_damp != p[FXP_DAMP_HZ])
		design(r, p);
	if (r->d_lowcut != p[FXP_LOWCUT_HZ])
		design_hp(r, p[FXP_LOWCUT_HZ]);
}

static inline float hpf(const struct biquad_coef *c, float *s, float x)
{
	float y = c->b0 * x + s[0];
	s[0] = fx_flush(c->b1 * x - c->a1 * y + s[1]);
	s[1] = fx_flush(c->b2 * x - c->a2 * y);
	return y;
}

/* The line operations of a frame, checked (some line not yet written
 * all round since the reset) or not: full is a constant where inlined. */
static inline __attribute__((always_inline)) float tap(const struct fx_line *l, unsigned d, int full)
{
	return full ? fx_line_tap_full(l, d) : fx_line_tap(l, d);
}

static inline __attribute__((always_inline)) void put(struct fx_line *l, float x, int full)
{
	if (full)
		fx_line_put_full(l, x);
	else
		fx_line_put(l, x);
}

static inline __attribute__((always_inline)) float allpass(struct fx_line *l, unsigned d, float g, float x,
                                                           int full)
{
	float old = tap(l, d, full), v = fx_flush(x + g * old);
	put(l, v, full);
	return old - g * v;
}

static inline __attribute__((always_inline)) void frame(struct fx_reverb *r, float *len, float inl, float inr,
                                                        float *outl, float *outr, float w, int full)
{
	float x[2] = {hpf(&r->hp, r->hs[0], inl), hpf(&r->hp, r->hs[1], inr)};
	float a = fx_xtap_step(&r->pxt);
	for (unsigned c = 0; c < 2; c++) {
		put(&r->pre[c], x[c], full);
		float y = tap(&r->pre[c], r->pxt.d, full);
		x[c] = a > 0.0f ? y + a * (tap(&r->pre[c], r->pxt.next, full) - y) : y;
		for (unsigned j = 0; j < RV_AP; j++)
			x[c] = allpass(&r->ap[c][j], r->apd[c][j], r->apg[c][j], x[c], full);
	}
	float f[RV_LINES];
	if (r->moving) {
		for (unsigned i = 0; i < RV_LINES; i++) {
			len[i] += r->step[i];
			f[i] = fx_line_tapf(&r->line[i], len[i]);
		}
	} else {
		for (unsigned i = 0; i < RV_LINES; i++)
			f[i] = tap(&r->line[i], (unsigned)len[i], full);
	}
	float ol = 0.0f, or = 0.0f;
	for (unsigned i = 0; i < RV_LINES; i++) {
		f[i] = r->z[i] = fx_flush(r->a[i] * f[i] + r->b[i] * r->z[i]);
		ol += rv_out[0][i] * f[i];
		or += rv_out[1][i] * f[i];
	}
	/* Hadamard 8x8 by three butterfly stages (one flat loop of 12 butterflies:
	 * the compiler unrolls it, where it left three nested loops rolled), / sqrt(8) */
	static const unsigned char pairs[12][2] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3},
	                                           {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};
	for (unsigned k = 0; k < 12; k++) {
		float u = f[pairs[k][0]], v = f[pairs[k][1]];
		f[pairs[k][0]] = u + v;
		f[pairs[k][1]] = u - v;
	}
	const float s = 0.35355339f;
	for (unsigned i = 0; i < RV_LINES; i++) {
		/* L into the even lines, R into the odd, alternating signs.  No
		 * flush needed: the f[i] are flushed, and a sum of them is 0 or
		 * at least their ulp (1e-27), far from subnormal */
		float in = (i & 2) ? -x[i & 1] : x[i & 1];
		put(&r->line[i], s * f[i] + in, full);
	}
	float m = 0.5f * (ol + or), sd = 0.5f * w * (ol - or);
	*outl = RV_OUT_GAIN * (m + sd);
	*outr = RV_OUT_GAIN * (m - sd);
}

JMX_HOT void fx_reverb_run(struct fx_reverb *r, const float *inl, const float *inr, float *outl, float *outr,
                           unsigned n)
{
	ASSERT_ROLE(ROLE_RT);
	const float dw = (r->width1 - r->width0) / (float)n;
	float len[RV_LINES];
	for (unsigned i = 0; i < RV_LINES; i++)
		len[i] = r->len[i];
	/* every line written all round since the reset: no fill checks (a
	 * line holds more than a chunk, so none fills up within this one) */
	int full = fx_line_full(&r->pre[0]) && fx_line_full(&r->pre[1]);
	for (unsigned c = 0; c < 2; c++)
		for (unsigned j = 0; j < RV_AP; j++)
			full &= fx_line_full(&r->ap[c][j]);
	for (unsigned i = 0; i < RV_LINES; i++)
		full &= fx_line_full(&r->line[i]);
	if (full)
		for (unsigned t = 0; t < n; t++)
			frame(r, len, inl[t], inr[t], outl + t, outr + t, r->width0 + dw * (float)(t + 1), 1);
	else
		for (unsigned t = 0; t < n; t++)
			frame(r, len, inl[t], inr[t], outl + t, outr + t, r->width0 + dw * (float)(t + 1), 0);
	for (unsigned i = 0; i < RV_LINES; i++)
		r->len[i] = len[i];
}

unsigned long fx_reverb_subnormals(const struct fx_reverb *r)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	unsigned long k = 0;
	for (unsigned c = 0; c < 2; c++) {
		k += fx_line_subnormals(&r->pre[c]);
		for (unsigned j = 0; j < RV_AP; j++)
			k += fx_line_subnormals(&r->ap[c][j]);
		for (unsigned j = 0; j < 2; j++)
			k += fpclassify(r->hs[c][j]) == FP_SUBNORMAL;
	}
	for (unsigned i = 0; i < RV_LINES; i++)
		k += fx_line_subnormals(&r->line[i]) + (fpclassify(r->z[i]) == FP_SUBNORMAL);
	return k;
}
