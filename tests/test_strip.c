/*
 * test_strip.c - the channel strips and the mixer core, measured through
 * the public API (mixer_new / mixer_apply / mixer_process on plain
 * buffers): EQ band and high-pass responses against RBJ formulas that this
 * file designs and evaluates itself in double precision, the compressor's
 * static curve and the gate, pan and fader laws, pre/post sends and bus
 * fader/mute, solo and the monitor, NaN/inf/denormal hygiene, smoothing
 * step bounds and independence from the period size.
 *
 * Most strip measurements read an aux bus fed by a 0 dB send: a pre-fader
 * send shows the strip up to the compressor, a post-fader one the fader
 * and pan, both with no master processing and no latency in the way.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "mixer.h"
#include "mixer_rig.h"
#include "test_util.h"

#define RATE 48000.0
#define WIN  19200 /* 0.4 s: whole cycles of every multiple of 2.5 Hz */

enum { O_ML, O_MR, O_MONL, O_MONR, O_BUS };
#define O_BL(b) (O_BUS + 2 * (b))
#define O_BR(b) (O_BUS + 2 * (b) + 1)

/* ---- a mixer with whole-run buffers ---------------------------------- */

/* Render frames [from, to) in periods of `period` frames. */
static void render(struct rig *r, size_t from, size_t to, unsigned period)
{
	const float *in[600];
	float *out[80];
	for (size_t t = from; t < to; t += period) {
		unsigned n = (unsigned)(to - t < period ? to - t : period);
		for (unsigned i = 0; i < r->lanes; i++)
			in[i] = r->in[i] + t;
		for (unsigned i = 0; i < r->outs; i++)
			out[i] = r->out[i] + t;
		mixer_process(r->m, in, out, n);
	}
}

/* One mono channel into bus 0 through a 0 dB send, master limiter out. */
static struct rig strip_rig(size_t len, int pre)
{
	struct rig r = rig_open(1, 0, 1, RATE, len);
	rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0.0f);
	rig_set(&r, P_CH_SEND_PRE, 0, 0, (float)pre);
	rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
	return r;
}

static void fill_dc(float *x, size_t n, float v)
{
	for (size_t i = 0; i < n; i++)
		x[i] = v;
}

/* ---- independent reference designs (RBJ cookbook, double) ------------- */

struct ref_bq {
	double b0, b1, b2, a1, a2;
};

enum { REF_PEAK, REF_LSHELF, REF_HSHELF, REF_HPF };

static struct ref_bq ref_design(int type, double f0, double gain_db, double q)
{
	double A = pow(10.0, gain_db / 40.0), w0 = 2.0 * M_PI * f0 / RATE;
	double cw = cos(w0), alpha = sin(w0) / (2.0 * q), rA = sqrt(A);
	double b0, b1, b2, a0, a1, a2;
	switch (type) {
	case REF_PEAK:
		b0 = 1.0 + alpha * A, b1 = -2.0 * cw, b2 = 1.0 - alpha * A;
		a0 = 1.0 + alpha / A, a1 = -2.0 * cw, a2 = 1.0 - alpha / A;
		break;
	case REF_LSHELF:
		b0 = A * ((A + 1.0) - (A - 1.0) * cw + 2.0 * rA * alpha);
		b1 = 2.0 * A * ((A - 1.0) - (A + 1.0) * cw);
		b2 = A * ((A + 1.0) - (A - 1.0) * cw - 2.0 * rA * alpha);
		a0 = (A + 1.0) + (A - 1.0) * cw + 2.0 * rA * alpha;
		a1 = -2.0 * ((A - 1.0) + (A + 1.0) * cw);
		a2 = (A + 1.0) + (A - 1.0) * cw - 2.0 * rA * alpha;
		break;
	case REF_HSHELF:
		b0 = A * ((A + 1.0) + (A - 1.0) * cw + 2.0 * rA * alpha);
		b1 = -2.0 * A * ((A - 1.0) + (A + 1.0) * cw);
		b2 = A * ((A + 1.0) + (A - 1.0) * cw - 2.0 * rA * alpha);
		a0 = (A + 1.0) - (A - 1.0) * cw + 2.0 * rA * alpha;
		a1 = 2.0 * ((A - 1.0) - (A + 1.0) * cw);
		a2 = (A + 1.0) - (A - 1.0) * cw - 2.0 * rA * alpha;
		break;
	default: /* high-pass */
		b0 = (1.0 + cw) / 2.0, b1 = -(1.0 + cw), b2 = (1.0 + cw) / 2.0;
		a0 = 1.0 + alpha, a1 = -2.0 * cw, a2 = 1.0 - alpha;
		break;
	}
	struct ref_bq k = {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
	return k;
}

/* |H(e^jw)| in dB at f. */
static double ref_db(const struct ref_bq *k, double f)
{
	double w = 2.0 * M_PI * f / RATE;
	double nr = k->b0 + k->b1 * cos(w) + k->b2 * cos(2 * w), ni = -k->b1 * sin(w) - k->b2 * sin(2 * w);
	double dr = 1.0 + k->a1 * cos(w) + k->a2 * cos(2 * w), di = -k->a1 * sin(w) - k->a2 * sin(2 * w);
	return 10.0 * log10((nr * nr + ni * ni) / (dr * dr + di * di));
}

/* Third-octave points 20 Hz..20 kHz, rounded to multiples of 2.5 Hz so
 * that the measuring window holds whole cycles. */
static unsigned third_octaves(double *f)
{
	unsigned n = 0;
	for (int k = -17; k <= 13; k++)
		f[n++] = 2.5 * round(1000.0 * pow(2.0, k / 3.0) / 2.5);
	return n;
}

/* Gain in dB of bus 0 (pre-fader, post-compressor strip) for a sine at f,
 * after `settle` seconds. */
static double strip_gain_db(struct rig *r, double f, double amp, double settle)
{
	size_t s = (size_t)(settle * RATE);
	fill_sine(r->in[0], s + WIN, amp, f, RATE, 0.0);
	render(r, 0, s + WIN, 256);
	return db20(tone_amplitude(r->out[O_BL(0)] + s, WIN, f, RATE) / amp);
}

/* ---- EQ ----------------------------------------------------------------- */

struct eq_case {
	int type;
	double hz, db, q;
};

static void test_eq_bands(void)
{
	static const struct eq_case cases[] = {
	    {REF_PEAK, 1000, 12, 1.0},   {REF_PEAK, 100, -15, 4.0},     {REF_PEAK, 8000, 6, 0.5},
	    {REF_PEAK, 250, 3, 10.0},    {REF_LSHELF, 200, 10, 0.7071}, {REF_LSHELF, 100, -12, 1.0},
	    {REF_LSHELF, 1000, 6, 0.4},  {REF_HSHELF, 4000, 8, 0.7071}, {REF_HSHELF, 10000, -10, 0.5},
	    {REF_HSHELF, 2000, 15, 1.2},
	};
	double f[40];
	unsigned nf = third_octaves(f);
	for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct eq_case *e = &cases[c];
		unsigned band = c % JMX_BANDS; /* every band slot takes every type */
		struct ref_bq k = ref_design(e->type, e->hz, e->db, e->q);
		double worst = 0;
		for (unsigned i = 0; i < nf; i++) {
			struct rig r = strip_rig((size_t)(0.5 * RATE) + WIN, 1);
			rig_set(&r, P_CH_EQ_ON, 0, 0, 1);
			rig_set(&r, P_CH_EQ_TYPE, 0, band, (float)e->type);
			rig_set(&r, P_CH_EQ_HZ, 0, band, (float)e->hz);
			rig_set(&r, P_CH_EQ_DB, 0, band, (float)e->db);
			rig_set(&r, P_CH_EQ_Q, 0, band, (float)e->q);
			double got = strip_gain_db(&r, f[i], 0.25, 0.5), want = ref_db(&k, f[i]);
			char what[120];
			snprintf(what, sizeof what, "EQ type %d %.0f Hz %+.0f dB Q %.2f (band %u) at %.1f Hz",
			         e->type, e->hz, e->db, e->q, band, f[i]);
			CHECK_NEAR(got, want, 0.1, what);
			if (fabs(got - want) > worst)
				worst = fabs(got - want);
			rig_free(&r);
		}
		printf("EQ case %u: worst deviation %.4f dB\n", c, worst);
	}

	/* all four bands at once: the responses multiply */
	static const struct eq_case four[JMX_BANDS] = {{REF_LSHELF, 120, -6, 0.7071},
	                                               {REF_PEAK, 600, 5, 2.0},
	                                               {REF_PEAK, 3000, -8, 1.5},
	                                               {REF_HSHELF, 9000, 4, 0.7071}};
	for (unsigned i = 0; i < nf; i += 2) {
		struct rig r = strip_rig((size_t)(0.5 * RATE) + WIN, 1);
		double want = 0;
		rig_set(&r, P_CH_EQ_ON, 0, 0, 1);
		for (unsigned b = 0; b < JMX_BANDS; b++) {
			rig_set(&r, P_CH_EQ_TYPE, 0, b, (float)four[b].type);
			rig_set(&r, P_CH_EQ_HZ, 0, b, (float)four[b].hz);
			rig_set(&r, P_CH_EQ_DB, 0, b, (float)four[b].db);
			rig_set(&r, P_CH_EQ_Q, 0, b, (float)four[b].q);
			struct ref_bq k = ref_design(four[b].type, four[b].hz, four[b].db, four[b].q);
			want += ref_db(&k, f[i]);
		}
		CHECK_NEAR(strip_gain_db(&r, f[i], 0.25, 0.5), want, 0.1, "four EQ bands in series");
		rig_free(&r);
	}

	/* EQ switched off (after being on with gains): flat */
	for (unsigned i = 0; i < nf; i += 3) {
		struct rig r = strip_rig((size_t)(0.5 * RATE) + WIN, 1);
		rig_set(&r, P_CH_EQ_ON, 0, 0, 1);
		for (unsigned b = 0; b < JMX_BANDS; b++)
			rig_set(&r, P_CH_EQ_DB, 0, b, 12.0f);
		render(&r, 0, 4800, 64);
		rig_set(&r, P_CH_EQ_ON, 0, 0, 0);
		CHECK_NEAR(strip_gain_db(&r, f[i], 0.25, 0.5), 0.0, 0.01, "EQ off is flat");
		rig_free(&r);
	}
}

/* A band type change while the EQ is in: the band glides through 0 dB and
 * comes back as the new type. */
static void test_eq_type_change(void)
{
	struct rig r = strip_rig((size_t)(1.0 * RATE) + WIN, 1);
	rig_set(&r, P_CH_EQ_ON, 0, 0, 1);
	rig_set(&r, P_CH_EQ_TYPE, 0, 1, REF_PEAK);
	rig_set(&r, P_CH_EQ_HZ, 0, 1, 1000);
	rig_set(&r, P_CH_EQ_DB, 0, 1, 10);
	render(&r, 0, 9600, 128);
	rig_set(&r, P_CH_EQ_TYPE, 0, 1, REF_HSHELF);
	struct ref_bq k = ref_design(REF_HSHELF, 1000, 10, 0.7071);
	CHECK_NEAR(strip_gain_db(&r, 5000, 0.25, 1.0), ref_db(&k, 5000), 0.1,
	           "band type changed to high shelf");
	rig_free(&r);
}

/* ---- high-pass -------------------------------------------------------- */

static void test_hpf(void)
{
	static const double corners[] = {20, 80, 150, 400};
	for (unsigned c = 0; c < 4; c++) {
		double fc = corners[c];
		struct ref_bq k = ref_design(REF_HPF, fc, 0, M_SQRT1_2);
		double f[40];
		unsigned nf = third_octaves(f);
		for (unsigned i = 0; i < nf + 3; i++) {
			/* the corner itself, and fc/4, fc/8 for the slope */
			double fi = i < nf ? f[i] : i == nf ? fc : i == nf + 1 ? fc / 4 : fc / 8;
			if (fi < 5.0)
				continue;
			struct rig r = strip_rig((size_t)(1.0 * RATE) + WIN, 1);
			rig_set(&r, P_CH_HPF_ON, 0, 0, 1);
			rig_set(&r, P_CH_HPF_HZ, 0, 0, (float)fc);
			double got = strip_gain_db(&r, fi, 0.25, 1.0);
			CHECK_NEAR(got, ref_db(&k, fi), 0.1, "high-pass response");
			if (i == nf)
				CHECK_NEAR(got, -3.0103, 0.1, "high-pass -3 dB at its corner");
			rig_free(&r);
		}
		if (fc / 8 >= 5.0) {
			struct rig r = strip_rig((size_t)(1.0 * RATE) + WIN, 1);
			rig_set(&r, P_CH_HPF_ON, 0, 0, 1);
			rig_set(&r, P_CH_HPF_HZ, 0, 0, (float)fc);
			double g4 = strip_gain_db(&r, fc / 4, 0.25, 1.0);
			rig_free(&r);
			r = strip_rig((size_t)(1.0 * RATE) + WIN, 1);
			rig_set(&r, P_CH_HPF_ON, 0, 0, 1);
			rig_set(&r, P_CH_HPF_HZ, 0, 0, (float)fc);
			double g8 = strip_gain_db(&r, fc / 8, 0.25, 1.0);
			rig_free(&r);
			/* second order: 40 log10(2) = 12.04 dB per octave on the
			 * asymptote; at fc/4 the Butterworth is 0.02 dB off it */
			CHECK_NEAR(g4 - g8, 12.04, 0.25, "high-pass slope one octave below fc/4");
		}
	}
	/* off (after having been on): flat */
	double f[40];
	unsigned nf = third_octaves(f);
	for (unsigned i = 0; i < nf; i += 2) {
		struct rig r = strip_rig((size_t)(1.0 * RATE) + WIN, 1);
		rig_set(&r, P_CH_HPF_ON, 0, 0, 1);
		rig_set(&r, P_CH_HPF_HZ, 0, 0, 400);
		render(&r, 0, 4800, 64);
		rig_set(&r, P_CH_HPF_ON, 0, 0, 0);
		CHECK_NEAR(strip_gain_db(&r, f[i], 0.25, 1.0), 0.0, 0.01, "high-pass off is flat");
		rig_free(&r);
	}
}

/* ---- dynamics ----------------------------------------------------------- */

/* Giannoulis, Massberg & Reiss (2012), soft knee of width w: the test's
 * own statement of the static curve, gain reduction in dB. */
static double ref_comp_gr(double x, double thr, double ratio, double w)
{
	if (2.0 * (x - thr) < -w)
		return 0.0;
	if (2.0 * fabs(x - thr) <= w && w > 0.0) {
		double t = x - thr + w / 2.0;
		return (1.0 - 1.0 / ratio) * t * t / (2.0 * w);
	}
	return (1.0 - 1.0 / ratio) * (x - thr);
}

static void test_comp(void)
{
	static const struct {
		double thr, ratio, knee, makeup;
	} cs[] = {{-20, 4, 12, 0}, {-30, 20, 0, 6}, {-10, 2, 24, 3}};
	for (unsigned c = 0; c < 3; c++) {
		for (double lev = -60; lev <= 0.01; lev += 2) {
			/* level = the sine's peak level in dBFS (see strip.c) */
			struct rig r = strip_rig((size_t)(0.5 * RATE) + WIN, 1);
			rig_set(&r, P_CH_DYN_ON, 0, 0, 1);
			rig_set(&r, P_CH_DYN_THR, 0, 0, (float)cs[c].thr);
			rig_set(&r, P_CH_DYN_RATIO, 0, 0, (float)cs[c].ratio);
			rig_set(&r, P_CH_DYN_KNEE, 0, 0, (float)cs[c].knee);
			rig_set(&r, P_CH_DYN_MAKEUP, 0, 0, (float)cs[c].makeup);
			rig_set(&r, P_CH_DYN_ATTACK, 0, 0, 0.1f);
			rig_set(&r, P_CH_DYN_RELEASE, 0, 0, 4000.0f);
			double gr = ref_comp_gr(lev, cs[c].thr, cs[c].ratio, cs[c].knee);
			double got = strip_gain_db(&r, 1000, pow(10.0, lev / 20.0), 0.5);
			char what[100];
			snprintf(what, sizeof what, "compressor thr %.0f ratio %.0f knee %.0f at %.0f dBFS",
			         cs[c].thr, cs[c].ratio, cs[c].knee, lev);
			CHECK_NEAR(got, cs[c].makeup - gr, 0.5, what);
			float m[2];
			CHECK(mixer_meter_take(r.m, P_CH_DYN_GR, 0, m) == 1, "comp GR meter");
			CHECK_NEAR(m[0], gr, 0.5, "compressor gain-reduction meter");
			rig_free(&r);
		}
	}
	/* compressor off: unity even far above threshold */
	struct rig r = strip_rig((size_t)(0.5 * RATE) + WIN, 1);
	rig_set(&r, P_CH_DYN_THR, 0, 0, -40);
	rig_set(&r, P_CH_DYN_MAKEUP, 0, 0, 10);
	CHECK_NEAR(strip_gain_db(&r, 1000, 0.5, 0.5), 0.0, 0.001, "compressor off is unity");
	rig_free(&r);

	/* stereo link: both sides get the reduction of the louder one */
	r = rig_open(0, 1, 1, RATE, (size_t)(0.5 * RATE) + WIN);
	rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0);
	rig_set(&r, P_CH_SEND_PRE, 0, 0, 1);
	rig_set(&r, P_CH_DYN_ON, 0, 0, 1);
	rig_set(&r, P_CH_DYN_THR, 0, 0, -20);
	rig_set(&r, P_CH_DYN_RATIO, 0, 0, 4);
	rig_set(&r, P_CH_DYN_KNEE, 0, 0, 0);
	rig_set(&r, P_CH_DYN_ATTACK, 0, 0, 0.1f);
	rig_set(&r, P_CH_DYN_RELEASE, 0, 0, 4000);
	size_t n = (size_t)(0.5 * RATE) + WIN;
	fill_sine(r.in[0], n, 1.0, 1000, RATE, 0);  /* 0 dBFS: 15 dB reduction */
	fill_sine(r.in[1], n, 0.01, 1000, RATE, 0); /* -40 dBFS: none alone */
	render(&r, 0, n, 256);
	double gl = db20(tone_amplitude(r.out[O_BL(0)] + n - WIN, WIN, 1000, RATE) / 1.0);
	double gr = db20(tone_amplitude(r.out[O_BR(0)] + n - WIN, WIN, 1000, RATE) / 0.01);
	CHECK_NEAR(gl, -15.0, 0.5, "stereo comp, loud side");
	CHECK_NEAR(gr, -15.0, 0.5, "stereo comp, quiet side follows the loud one");
	rig_free(&r);
}

static void test_gate(void)
{
	static const struct {
		double thr, range, lev, want;
	} cs[] = {{-40, 40, -50, -40},
	          {-40, 40, -30, 0},
	          {-30, 20, -45, -20},
	          {-60, 80, -70, -80},
	          {-20, 10, -10, 0}};
	for (unsigned c = 0; c < 5; c++) {
		struct rig r = strip_rig((size_t)(1.0 * RATE) + WIN, 1);
		rig_set(&r, P_CH_GATE_ON, 0, 0, 1);
		rig_set(&r, P_CH_GATE_THR, 0, 0, (float)cs[c].thr);
		rig_set(&r, P_CH_GATE_RANGE, 0, 0, (float)cs[c].range);
		rig_set(&r, P_CH_GATE_RELEASE, 0, 0, 50); /* fully closed in 1 s */
		double got = strip_gain_db(&r, 1000, pow(10.0, cs[c].lev / 20.0), 1.0);
		CHECK_NEAR(got, cs[c].want, 0.5, "gate: attenuated by range below threshold, unity above");
		float m[2];
		CHECK(mixer_meter_take(r.m, P_CH_GATE_GR, 0, m) == 1, "gate GR meter");
		CHECK_NEAR(m[0], -cs[c].want, 0.5, "gate gain-reduction meter");
		rig_free(&r);
	}

	/* hold and release on a DC input: out/in is the gate gain itself */
	const double hold_ms = 50, rel_ms = 150;
	size_t drop = (size_t)(0.2 * RATE), n = drop + (size_t)(2.0 * RATE);
	struct rig r = strip_rig(n, 1);
	rig_set(&r, P_CH_GATE_ON, 0, 0, 1);
	rig_set(&r, P_CH_GATE_THR, 0, 0, -40);
	rig_set(&r, P_CH_GATE_RANGE, 0, 0, 40);
	rig_set(&r, P_CH_GATE_HOLD, 0, 0, (float)hold_ms);
	rig_set(&r, P_CH_GATE_RELEASE, 0, 0, (float)rel_ms);
	fill_dc(r.in[0], drop, 0.1f);              /* -20 dBFS: open */
	fill_dc(r.in[0] + drop, n - drop, 0.003f); /* -50.5 dBFS: below */
	render(&r, 0, n, 100);
	const float *y = r.out[O_BL(0)];
	double held = 1.0;
	for (size_t t = drop; t < drop + (size_t)((hold_ms - 1) * RATE / 1000); t++)
		held = fmin(held, y[t] / 0.003);
	CHECK_NEAR(db20(held), 0.0, 0.05, "gate holds open for the hold time");
	/* after the hold, a one-pole release of time constant rel_ms from 1
	 * towards the floor 0.01 */
	static const double after_ms[] = {20, 100, 300, 1500};
	for (unsigned i = 0; i < 4; i++) {
		size_t t = drop + (size_t)((hold_ms + after_ms[i]) * RATE / 1000);
		double want = 0.01 + 0.99 * exp(-after_ms[i] / rel_ms);
		CHECK_NEAR(db20(y[t] / 0.003), db20(want), 0.5, "gate release after hold");
	}
	rig_free(&r);
}

/* ---- pan, fader, sends ------------------------------------------------ */

/* DC through a post-fader 0 dB send after settling: bus 0 L and R. */
static void post_levels(struct rig *r, double *l, double *rr)
{
	size_t n = r->len;
	render(r, 0, n, 64);
	*l = r->out[O_BL(0)][n - 1];
	*rr = r->out[O_BR(0)][n - 1];
}

static void test_pan(void)
{
	size_t n = (size_t)(0.3 * RATE);
	static const double pans[] = {0.0, 0.25, 0.5, 0.8, 1.0};
	for (unsigned i = 0; i < 5; i++) {
		struct rig r = strip_rig(n, 0);
		fill_dc(r.in[0], n, 1.0f);
		rig_set(&r, P_CH_PAN, 0, 0, (float)pans[i]);
		double l, rr;
		post_levels(&r, &l, &rr);
		CHECK_NEAR(l, cos(pans[i] * M_PI / 2), 1e-5, "mono pan, left (constant power)");
		CHECK_NEAR(rr, sin(pans[i] * M_PI / 2), 1e-5, "mono pan, right (constant power)");
		if (pans[i] == 0.5) {
			CHECK_NEAR(db20(l), -3.0103, 0.05, "mono pan centre -3.01 dB left");
			CHECK_NEAR(db20(rr), -3.0103, 0.05, "mono pan centre -3.01 dB right");
		}
		if (pans[i] == 0.0)
			CHECK(db20(fabs(rr)) < -90.0, "hard left: right at %.1f dBFS", db20(fabs(rr)));
		if (pans[i] == 1.0)
			CHECK(db20(fabs(l)) < -90.0, "hard right: left at %.1f dBFS", db20(fabs(l)));
		rig_free(&r);
	}

	/* the master sees the same law (limiter out, everything neutral) */
	struct rig r = strip_rig(n, 0);
	fill_dc(r.in[0], n, 0.5f);
	render(&r, 0, n, 64);
	CHECK_NEAR(db20(r.out[O_ML][n - 1] / 0.5), -3.0103, 0.05, "master left, centre pan");
	CHECK_NEAR(db20(r.out[O_MR][n - 1] / 0.5), -3.0103, 0.05, "master right, centre pan");
	rig_free(&r);

	/* stereo channel: balance, unity at the centre */
	static const struct {
		double p, l, r;
	} bal[] = {{0.5, 1, 1}, {0.0, 1, 0}, {1.0, 0, 1}, {0.25, 1, M_SQRT1_2}, {0.75, M_SQRT1_2, 1}};
	for (unsigned i = 0; i < 5; i++) {
		r = rig_open(0, 1, 1, RATE, n);
		rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0);
		fill_dc(r.in[0], n, 0.8f);
		fill_dc(r.in[1], n, 0.4f);
		rig_set(&r, P_CH_PAN, 0, 0, (float)bal[i].p);
		double l, rr;
		post_levels(&r, &l, &rr);
		CHECK_NEAR(l, 0.8 * bal[i].l, 1e-5, "stereo balance, left");
		CHECK_NEAR(rr, 0.4 * bal[i].r, 1e-5, "stereo balance, right");
		rig_free(&r);
	}
}

static void test_fader(void)
{
	static const struct {
		float f, db;
	} anchor[] = {{0.0f, -INFINITY}, {0.0625f, -60}, {0.25f, -30}, {0.5f, -10}, {0.75f, 0}, {1.0f, 10}};
	for (unsigned i = 0; i < 6; i++) {
		float db = dsp_fader_to_db(anchor[i].f);
		if (isinf(anchor[i].db))
			CHECK(db <= JMX_DB_OFF, "fader 0 is off (%g dB)", db);
		else
			CHECK_NEAR(db, anchor[i].db, 1e-4, "fader law norm -> dB");
		CHECK_NEAR(dsp_db_to_fader(db), anchor[i].f, 1e-6, "fader law round trip");
	}

	size_t n = (size_t)(0.3 * RATE);
	static const float dbs[] = {-90, -60, -45, -30, -10, -3, 0, 6, 10};
	for (unsigned i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
		struct rig r = strip_rig(n, 0);
		fill_dc(r.in[0], n, 0.1f);
		rig_set(&r, P_CH_PAN, 0, 0, 0.0f); /* all to the left, gain 1 */
		rig_set(&r, P_CH_FADER, 0, 0, dbs[i]);
		double l, rr;
		post_levels(&r, &l, &rr);
		if (dbs[i] <= JMX_DB_OFF)
			CHECK(l == 0.0, "fader at -90 dB is silent: %g", l);
		else
			CHECK_NEAR(db20(l / 0.1), dbs[i], 0.01, "rendered fader gain");
		rig_free(&r);
	}
}

static void test_sends(void)
{
	size_t n = (size_t)(0.3 * RATE);
	const double a = 0.25, fg = pow(10.0, -20.0 / 20), sg = pow(10.0, -6.0 / 20), pan = M_SQRT1_2;
	for (int pre = 0; pre <= 1; pre++) {
		for (int mute = 0; mute <= 1; mute++) {
			struct rig r = rig_open(1, 0, 2, RATE, n);
			fill_dc(r.in[0], n, (float)a);
			rig_set(&r, P_CH_FADER, 0, 0, -20);
			rig_set(&r, P_CH_MUTE, 0, 0, (float)mute);
			rig_set(&r, P_CH_SEND_LEVEL, 0, 1, -6);
			rig_set(&r, P_CH_SEND_PRE, 0, 1, (float)pre);
			render(&r, 0, n, 64);
			double want = pre ? a * sg : mute ? 0.0 : a * sg * fg * pan;
			CHECK_NEAR(r.out[O_BL(1)][n - 1], want, 1e-6,
			           pre ? "pre-fader send ignores fader and mute"
			               : "post-fader send follows fader, mute, pan");
			CHECK_NEAR(r.out[O_BR(1)][n - 1], want, 1e-6, "send, right side");
			CHECK(r.out[O_BL(0)][n - 1] == 0.0f, "bus 1 not fed");
			rig_free(&r);
		}
	}
	/* stereo channel pre-fader: each side to its own bus side */
	struct rig r = rig_open(0, 1, 1, RATE, n);
	fill_dc(r.in[0], n, 0.5f);
	fill_dc(r.in[1], n, 0.25f);
	rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0);
	rig_set(&r, P_CH_SEND_PRE, 0, 0, 1);
	rig_set(&r, P_CH_PAN, 0, 0, 0.0f);
	render(&r, 0, n, 64);
	CHECK_NEAR(r.out[O_BL(0)][n - 1], 0.5, 1e-6, "stereo pre send left");
	CHECK_NEAR(r.out[O_BR(0)][n - 1], 0.25, 1e-6, "stereo pre send right (pan ignored)");
	rig_free(&r);

	/* bus fader and mute */
	static const float bdb[] = {-90, -40, -10, 0, 10};
	for (unsigned i = 0; i < 6; i++) {
		r = strip_rig(n, 1);
		fill_dc(r.in[0], n, 0.1f);
		if (i < 5)
			rig_set(&r, P_BUS_FADER, 0, 0, bdb[i]);
		else
			rig_set(&r, P_BUS_MUTE, 0, 0, 1);
		render(&r, 0, n, 64);
		double got = r.out[O_BL(0)][n - 1];
		if (i == 5 || bdb[i] <= JMX_DB_OFF)
			CHECK(got == 0.0, "bus off or muted is silent: %g", got);
		else
			CHECK_NEAR(db20(got / 0.1), bdb[i], 0.01, "bus fader");
		float m[2];
		CHECK(mixer_meter_take(r.m, P_BUS_METER, 0, m) == 2, "bus meter");
		if (i == 3)
			CHECK_NEAR(m[0], -20.0, 0.01, "bus peak meter");
		rig_free(&r);
	}
}

/* ---- solo and monitor --------------------------------------------------- */

static void test_solo(void)
{
	size_t n = (size_t)(0.6 * RATE);
	const double f0 = 1000, f1 = 1502.5, a = 0.3;
	struct rig ref = rig_open(2, 0, 0, RATE, n), r[3];
	for (int k = 0; k < 3; k++)
		r[k] = rig_open(2, 0, 0, RATE, n);
	struct rig *all[4] = {&ref, &r[0], &r[1], &r[2]};
	for (int k = 0; k < 4; k++) {
		fill_sine(all[k]->in[0], n, a, f0, RATE, 0);
		fill_sine(all[k]->in[1], n, a, f1, RATE, 0);
		rig_set(all[k], P_MASTER_LIMITER_ON, 0, 0, 0);
		rig_set(all[k], P_CH_FADER, 0, 0, -20);
	}
	rig_set(&r[0], P_CH_SOLO, 0, 0, 1); /* PFL */
	rig_set(&r[1], P_CH_SOLO, 0, 0, 1);
	rig_set(&r[1], P_MON_AFL, 0, 0, 1);
	rig_set(&r[2], P_CH_SOLO, 0, 0, 1); /* solo on, then off again */
	for (int k = 0; k < 4; k++)
		render(all[k], 0, n / 2, 64);
	rig_set(&r[2], P_CH_SOLO, 0, 0, 0);
	for (int k = 0; k < 4; k++)
		render(all[k], n / 2, n, 64);

	size_t s = n - WIN;
	for (int k = 0; k < 3; k++) {
		int same = 1;
		for (unsigned o = 0; o < 2; o++)
			same &= memcmp(ref.out[o], r[k].out[o], n * sizeof(float)) == 0;
		CHECK(same, "solo never changes the master outputs (case %d)", k);
	}
	double pfl = tone_amplitude(r[0].out[O_MONL] + s, WIN, f0, RATE);
	double pfl_r = tone_amplitude(r[0].out[O_MONR] + s, WIN, f0, RATE);
	double other = tone_amplitude(r[0].out[O_MONL] + s, WIN, f1, RATE);
	CHECK_NEAR(db20(pfl / a), 0.0, 0.01, "PFL: pre-fader level on the monitor, left");
	CHECK_NEAR(db20(pfl_r / a), 0.0, 0.01, "PFL: mono channel on both monitor sides");
	CHECK(db20(other / a) < -120, "monitor carries only the soloed channel (%.1f dB)", db20(other / a));
	double afl = tone_amplitude(r[1].out[O_MONL] + s, WIN, f0, RATE);
	CHECK_NEAR(db20(afl / a), -20.0 - 3.0103, 0.01, "AFL: post-fader, post-pan level");
	other = tone_amplitude(r[1].out[O_MONL] + s, WIN, f1, RATE);
	CHECK(db20(other / a) < -120, "AFL monitor carries only the soloed channel");
	/* no solo: the monitor is a copy of the master */
	int copy = 1;
	for (size_t t = s; t < n; t++)
		copy &= ref.out[O_MONL][t] == ref.out[O_ML][t] && ref.out[O_MONR][t] == ref.out[O_MR][t];
	CHECK(copy, "without solo the monitor copies the master");
	copy = 1;
	for (size_t t = n / 2 + (size_t)(0.2 * RATE); t < n; t++)
		copy &= r[2].out[O_MONL][t] == r[2].out[O_ML][t];
	CHECK(copy, "after solo is released the monitor copies the master again");
	for (int k = 0; k < 4; k++)
		rig_free(all[k]);

	/* AFL of the only channel lines up with the master sample for sample:
	 * the solo path carries the master latency */
	struct rig q = rig_open(1, 0, 0, RATE, n);
	rig_set(&q, P_MASTER_LIMITER_ON, 0, 0, 0);
	rig_set(&q, P_CH_SOLO, 0, 0, 1);
	rig_set(&q, P_MON_AFL, 0, 0, 1);
	fill_sine(q.in[0], n, a, 437.5, RATE, 0);
	render(&q, 0, n, 64);
	double err = 0;
	for (size_t t = s; t < n; t++)
		err = fmax(err, fabs(q.out[O_MONL][t] - q.out[O_ML][t]));
	CHECK(err < 1e-6, "AFL monitor aligned with the master (latency %u): max diff %g", mixer_latency(q.m),
	      err);
	rig_free(&q);
}

/* ---- hygiene ------------------------------------------------------------ */

/* Everything engaged on one mono channel. */
static void engage_all(struct rig *r, unsigned ch)
{
	rig_set(r, P_CH_HPF_ON, ch, 0, 1);
	rig_set(r, P_CH_HPF_HZ, ch, 0, 60);
	rig_set(r, P_CH_GATE_ON, ch, 0, 1);
	rig_set(r, P_CH_GATE_THR, ch, 0, -50);
	rig_set(r, P_CH_EQ_ON, ch, 0, 1);
	for (unsigned b = 0; b < JMX_BANDS; b++) {
		rig_set(r, P_CH_EQ_DB, ch, b, b & 1 ? -4.0f : 5.0f);
		rig_set(r, P_CH_EQ_Q, ch, b, 1.5f);
	}
	rig_set(r, P_CH_DYN_ON, ch, 0, 1);
	rig_set(r, P_CH_DYN_THR, ch, 0, -24);
	rig_set(r, P_CH_DYN_RATIO, ch, 0, 4);
	rig_set(r, P_CH_DYN_MAKEUP, ch, 0, 4);
}

static int all_finite(struct rig *r, size_t from, size_t to)
{
	for (unsigned o = 0; o < r->outs; o++)
		for (size_t t = from; t < to; t++)
			if (!isfinite(r->out[o][t]))
				return 0;
	return 1;
}

static void test_nan(void)
{
	const unsigned period = 256;
	size_t n = (size_t)(1.0 * RATE);
	struct rig r = strip_rig(n, 0), ref = strip_rig(n, 0);
	engage_all(&r, 0);
	engage_all(&ref, 0);
	fill_sine(r.in[0], n, 0.3, 500, RATE, 0);
	fill_sine(ref.in[0], n, 0.3, 500, RATE, 0);
	size_t bad = 10 * period;
	for (size_t t = bad; t < bad + period; t++)
		r.in[0][t] = t % 3 == 0 ? NAN : t % 3 == 1 ? INFINITY : -INFINITY;
	r.in[0][bad + 3 * period] = NAN;   /* a lone NaN later */
	r.in[0][bad + 4 * period] = 1e30f; /* finite but absurd */
	render(&r, 0, n, period);
	render(&ref, 0, n, period);
	CHECK(all_finite(&r, 0, n), "NaN/inf input: every output finite");
	CHECK(all_finite(&r, bad + period, n), "outputs finite again within one period");
	/* and the strip still works: the level comes back to the reference */
	size_t s = n - WIN;
	double got = tone_amplitude(r.out[O_BL(0)] + s, WIN, 500, RATE);
	double want = tone_amplitude(ref.out[O_BL(0)] + s, WIN, 500, RATE);
	CHECK_NEAR(db20(got), db20(want), 0.1, "strip recovers after NaN/inf");
	rig_free(&r);
	rig_free(&ref);
}

static int denormal_free(struct rig *r, size_t n)
{
	for (unsigned o = 0; o < r->outs; o++)
		for (size_t t = 0; t < n; t++)
			if (fpclassify(r->out[o][t]) == FP_SUBNORMAL)
				return 0;
	return 1;
}

static void test_denormals(void)
{
	size_t n = (size_t)(2.0 * RATE);
	struct rig r = strip_rig(n, 0);
	engage_all(&r, 0);
	rig_set(&r, P_CH_GATE_ON, 0, 0, 0);
	rig_set(&r, P_CH_DYN_RELEASE, 0, 0, 4000);
	/* denormal input, then an impulse whose filter tails decay through the
	 * denormal range for a long time */
	for (size_t t = 0; t < n / 2; t++)
		r.in[0][t] = (t & 1 ? 1 : -1) * 1e-40f;
	r.in[0][n / 2] = 0.5f;
	render(&r, 0, n, 128);
	CHECK(denormal_free(&r, n), "no denormal output samples");
	int quiet = 1;
	for (size_t t = 0; t < n / 2; t++)
		quiet &= r.out[O_BL(0)][t] == 0.0f;
	CHECK(quiet, "denormal input renders exact zeros");
	rig_free(&r);
}

/* ---- smoothing ---------------------------------------------------------- */

static void test_smoothing(void)
{
	/* A gain g moves once per chunk and is interpolated linearly across
	 * the JMX_CHUNK frames of the chunk.  Smoothing moves it by coef x
	 * (target - g), so by at most coef x jump.  Mute, unmute and a fader
	 * to or from off follow the switch ramp instead: a raised cosine over
	 * N whole chunks (JMX_SWITCH_MS rounded up to chunks), whose points
	 * g_k = to + jump (1 + cos(pi k / N)) / 2 step by at most
	 * sw = max_k (cos(pi k / N) - cos(pi (k + 1) / N)) / 2 of the jump
	 * (sin(pi / 2N) for even N, at the middle).  On a DC input of
	 * amplitude A no step exceeds A x jump x (coef or sw) / JMX_CHUNK.
	 * Margin: 0.1 % for float rounding of the interpolation plus the
	 * final snap to the target (1e-5 of full scale). */
	const double coef = 1.0 - exp(-(double)JMX_CHUNK / (JMX_SMOOTH_TAU_MS * 0.001 * RATE));
	const unsigned nsw = (unsigned)ceil(round(JMX_SWITCH_MS * 0.001 * RATE) / JMX_CHUNK);
	double sw = 0;
	for (unsigned k = 0; k < nsw; k++)
		sw = fmax(sw, 0.5 * (cos(M_PI * k / nsw) - cos(M_PI * (k + 1) / nsw)));
	const double A = 0.5;
	size_t n = (size_t)(0.6 * RATE), t1 = (size_t)(0.1 * RATE), t2 = (size_t)(0.35 * RATE);
	static const struct {
		enum param_id id;
		float from, to;
		double jump; /* of the linear gain seen on bus L */
		double want; /* that gain once settled at `to` */
		int sw;      /* follows the switch ramp, not the smoothing */
		const char *what;
	} cs[] = {
	    {P_CH_MUTE, 0, 1, 1.0, 0.0, 1, "mute/unmute"},
	    {P_CH_FADER, -30, 10, 3.16227766 - 0.0316227766, 3.16227766, 0, "fader jump -30 <-> +10 dB"},
	    {P_CH_FADER, 10, -90, 3.16227766, 0.0, 1, "fader jump +10 dB <-> off"},
	    {P_CH_PAN, 0, 1, 1.0, 0.0, 0, "pan hard left <-> hard right"},
	};
	printf("  smoothing: one-pole step %.4f a chunk, switch ramp %u chunks, step %.4f a chunk\n", coef,
	       nsw, sw);
	for (unsigned c = 0; c < 4; c++) {
		struct rig r = strip_rig(n, 0);
		fill_dc(r.in[0], n, (float)A);
		rig_set(&r, P_CH_PAN, 0, 0, 0.0f);
		rig_set(&r, cs[c].id, 0, 0, cs[c].from);
		render(&r, 0, t1, 64);
		rig_set(&r, cs[c].id, 0, 0, cs[c].to);
		render(&r, t1, t2, 64);
		rig_set(&r, cs[c].id, 0, 0, cs[c].from); /* and back */
		render(&r, t2, n, 64);
		double bound = A * cs[c].jump * (cs[c].sw ? sw : coef) / JMX_CHUNK * 1.001 + 1e-5 * A;
		double got = max_step(r.out[O_BL(0)], t1 - 10, n);
		CHECK(got <= bound, "%s: largest step %.3g, bound %.3g", cs[c].what, got, bound);
		CHECK_NEAR(r.out[O_BL(0)][t2 - 1], A * cs[c].want, 1e-4, cs[c].what);
		if (cs[c].sw) {
			/* frame-exact: t1 starts a chunk, the ramp's last frame
			 * (frame N x JMX_CHUNK - 1 after it) is exactly the end */
			size_t z = t2;
			while (z > t1 && r.out[O_BL(0)][z - 1] == (float)(A * cs[c].want))
				z--;
			CHECK(z == t1 + nsw * JMX_CHUNK - 1,
			      "%s: exactly at its end from frame %zu on, want %u", cs[c].what, z - t1,
			      nsw * JMX_CHUNK - 1);
		}
		rig_free(&r);
	}

	/* switching stages in and out on a steady sine does not click: the
	 * largest step stays within that of the signal itself plus the
	 * difference between the two states spread over the crossfade */
	static const enum param_id onoff[] = {P_CH_HPF_ON, P_CH_GATE_ON, P_CH_EQ_ON, P_CH_DYN_ON,
	                                      P_CH_POLARITY};
	for (unsigned c = 0; c < 5; c++) {
		struct rig r = strip_rig(n, 1);
		engage_all(&r, 0);
		rig_set(&r, P_CH_GATE_THR, 0, 0, -20); /* the sine is below it */
		rig_set(&r, onoff[c], 0, 0, 0);
		fill_sine(r.in[0], n, A, 50, RATE, 0);
		render(&r, 0, t1, 64);
		double sig = max_step(r.out[O_BL(0)], t1 / 2, t1);
		rig_set(&r, onoff[c], 0, 0, 1);
		render(&r, t1, t2, 64);
		rig_set(&r, onoff[c], 0, 0, 0);
		render(&r, t2, n, 64);
		/* each state's output is at most about 2.5 A (EQ +5 dB bands, make-up
		 * +4 dB on a compressed signal); their difference changes by at most
		 * coef / JMX_CHUNK of itself per sample on top of the signal's own
		 * steps, which are at most twice the uncrossfaded ones */
		double bound = 2.0 * sig + 2.0 * 2.5 * A * coef / JMX_CHUNK;
		double got = max_step(r.out[O_BL(0)], t1, n);
		CHECK(got <= bound, "switching %s: largest step %.3g, bound %.3g", param_table[onoff[c]].path,
		      got, bound);
		rig_free(&r);
	}
}

/* ---- ramps (RT_RAMP) ------------------------------------------------------ */

static void ramp(struct rig *r, enum param_id id, unsigned i1, unsigned i2, float v, float ms)
{
	struct rt_msg msg = {(uint16_t)id, (uint16_t)i1, (uint16_t)i2, RT_RAMP, v, ms};
	mixer_apply(r->m, &msg);
}

/* Mute and unmute while a timed fader move (RT_RAMP, whose points the
 * gain reaches at once, chunk by chunk) is running: the points move the
 * fader, the mute still takes its ramp and ends in exact 0 on time; a
 * point must not cut the mute (or the unmute) short.  The largest step is
 * that of the switch ramp (its largest chunk step over JMX_CHUNK frames;
 * the master: pi / (2 L) a frame) on top of the move's own, at most
 * gain x ln(10) / 20 x 20 dB/s / RATE a frame.  The steps of a hard cut
 * would be the whole gain, 0.5 x 0.3. */
static void test_mute_under_ramp(void)
{
	const double A = 0.5;
	const unsigned nsw = (unsigned)ceil(round(JMX_SWITCH_MS * 0.001 * RATE) / JMX_CHUNK);
	const double L = round(JMX_SWITCH_MS * 0.001 * RATE);
	double sw = 0;
	for (unsigned k = 0; k < nsw; k++)
		sw = fmax(sw, 0.5 * (cos(M_PI * k / nsw) - cos(M_PI * (k + 1) / nsw)));
	static const struct {
		enum param_id fader, mute;
		int out, master;
	} cs[] = {
	    {P_CH_FADER, P_CH_MUTE, O_BL(0), 0},
	    {P_BUS_FADER, P_BUS_MUTE, O_BL(0), 0},
	    {P_MASTER_FADER, P_MASTER_MUTE, O_ML, 1},
	};
	/* chunk-aligned: the move from t0, the mute at tm, the unmute at tu */
	const size_t t0 = 4800, tm = t0 + 3008, tu = tm + 4800, n = tu + 4800;
	for (unsigned c = 0; c < 3; c++) {
		struct rig r = strip_rig(n, 0);
		fill_dc(r.in[0], n, (float)A);
		rig_set(&r, P_CH_PAN, 0, 0, 0.0f);
		render(&r, 0, t0, 64);
		ramp(&r, cs[c].fader, 0, 0, -20.0f, 1000.0f);
		render(&r, t0, tm, 64);
		rig_set(&r, cs[c].mute, 0, 0, 1);
		render(&r, tm, tu, 64);
		rig_set(&r, cs[c].mute, 0, 0, 0);
		render(&r, tu, n, 64);
		const float *y = r.out[cs[c].out];
		size_t d = cs[c].master ? mixer_latency(r.m) : 0, z = tu + d;
		while (z > tm + d && y[z - 1] == 0.0f)
			z--;
		size_t want = tm + d + nsw * JMX_CHUNK - 1;
		CHECK(z == want, "%s under a fader move: exactly 0 from frame %zu after the mute, want %zu",
		      param_table[cs[c].mute].path, z - tm - d, want - tm - d);
		double move = A * log(10.0) / 20.0 * 20.0 / RATE;
		double bound = (A * (cs[c].master ? M_PI / (2.0 * L) : sw / JMX_CHUNK) + move) * 1.001;
		double got = max_step(y, t0 + d, n);
		CHECK(got <= bound, "%s under a fader move: largest step %.3g, bound %.3g",
		      param_table[cs[c].mute].path, got, bound);
		rig_free(&r);
	}
}

static void test_ramps(void)
{
	const double A = 0.5;
	const size_t t0 = 4800, len = 9600; /* t0 is a whole number of chunks */
	size_t n = t0 + len + 9600;
	struct rig r = strip_rig(n, 0);
	fill_dc(r.in[0], n, (float)A);
	rig_set(&r, P_CH_PAN, 0, 0, 0.0f);
	render(&r, 0, t0, 64);
	ramp(&r, P_CH_FADER, 0, 0, -30.0f, 200.0f);
	render(&r, t0, n, 64);
	/* the fader follows a straight line in dB from 0 to -30 over the 200 ms
	 * (points on it every chunk, linear gain in between: off the line by
	 * far less than 0.01 dB for 0.2 dB a chunk) */
	double worst = 0;
	for (size_t t = t0; t < t0 + len; t++) {
		double want = -30.0 * (double)(t + 1 - t0) / (double)len;
		worst = fmax(worst, fabs(db20(r.out[O_BL(0)][t] / A) - want));
	}
	CHECK(worst < 0.01, "fader ramp off its dB-linear path by %.4f dB", worst);
	CHECK_NEAR(db20(r.out[O_BL(0)][n - 1] / A), -30.0, 1e-4, "fader ramp ends on its value");
	rig_free(&r);

	/* a switch ramps by changing at the end; a later set cancels a ramp
	 * where it has got to */
	r = strip_rig(n, 0);
	fill_dc(r.in[0], n, (float)A);
	rig_set(&r, P_CH_PAN, 0, 0, 0.0f);
	render(&r, 0, t0, 64);
	ramp(&r, P_CH_MUTE, 0, 0, 1.0f, 200.0f);
	ramp(&r, P_CH_SEND_LEVEL, 0, 0, -60.0f, 400.0f);
	render(&r, t0, t0 + len / 2, 64);
	rig_set(&r, P_CH_SEND_LEVEL, 0, 0, -12.0f);
	render(&r, t0 + len / 2, t0 + len - 64, 64);
	CHECK(r.out[O_BL(0)][t0 + len - 65] > 0.0f, "muting ramp: still on before its end");
	render(&r, t0 + len - 64, n, 64);
	CHECK(r.out[O_BL(0)][n - 1] == 0.0f, "muting ramp: off after its end");
	double half = db20(r.out[O_BL(0)][t0 + len / 2 - 1] / A);
	CHECK_NEAR(half, -60.0 * 0.25, 0.05, "send ramp a quarter of the way after 100 ms of 400");
	rig_free(&r);

	r = strip_rig(n, 0);
	fill_dc(r.in[0], n, (float)A);
	rig_set(&r, P_CH_PAN, 0, 0, 0.0f);
	ramp(&r, P_CH_FADER, 0, 0, -40.0f, 1000.0f);
	render(&r, 0, t0, 64);
	rig_set(&r, P_CH_FADER, 0, 0, -10.0f);
	render(&r, t0, n, 64);
	CHECK_NEAR(db20(r.out[O_BL(0)][n - 1] / A), -10.0, 1e-3, "a set cancels the ramp");
	rig_free(&r);
}

/* ---- period independence ----------------------------------------------- */

static void test_periods(void)
{
	static const unsigned periods[] = {64, 1000, 8192, 17};
	size_t n = (size_t)(1.0 * RATE);
	struct rig r[4];
	srand(1);
	for (int k = 0; k < 4; k++) {
		r[k] = rig_open(3, 1, 2, RATE, n);
		for (unsigned ch = 0; ch < 4; ch++) {
			engage_all(&r[k], ch);
			rig_set(&r[k], P_CH_SEND_LEVEL, ch, 0, -3);
			rig_set(&r[k], P_CH_SEND_LEVEL, ch, 1, -6);
			rig_set(&r[k], P_CH_SEND_PRE, ch, 1, 1);
			rig_set(&r[k], P_CH_PAN, ch, 0, 0.2f * (float)ch);
		}
		rig_set(&r[k], P_CH_SOLO, 1, 0, 1);
		/* master parameters stay at their defaults: master.c smooths per
		 * call, which is its own business; here its input must match */
	}
	for (unsigned i = 0; i < r[0].lanes; i++)
		for (size_t t = 0; t < n; t++) {
			float v = (float)rand() / (float)RAND_MAX - 0.5f;
			for (int k = 0; k < 4; k++)
				r[k].in[i][t] = v;
		}
	for (int k = 0; k < 4; k++) {
		render(&r[k], 0, n / 2, periods[k]);
		/* a change in the middle, while the periods are out of step */
		rig_set(&r[k], P_CH_EQ_HZ, 0, 2, 3000);
		rig_set(&r[k], P_CH_FADER, 2, 0, -12);
		render(&r[k], n / 2, n, periods[k]);
	}
	/* n/2 is a whole number of chunks and every render stops there, so
	 * the change lands on the same frame in all of them */
	for (int k = 1; k < 4; k++) {
		double err = 0;
		for (unsigned o = 0; o < r[0].outs; o++)
			for (size_t t = 0; t < n; t++)
				err = fmax(err, fabs((double)r[k].out[o][t] - r[0].out[o][t]));
		CHECK(err <= 1e-6, "period %u vs 64: max difference %g", periods[k], err);
	}
	for (int k = 0; k < 4; k++)
		rig_free(&r[k]);
}

/* ---- meters ------------------------------------------------------------- */

static void test_meters(void)
{
	/* 3 s: the RMS window (0.3 s one-pole) within 0.005 dB */
	size_t n = (size_t)(3.0 * RATE), settle = (size_t)(0.2 * RATE);
	struct rig r = rig_open(1, 1, 1, RATE, n);
	fill_dc(r.in[0], n, 0.5f);
	fill_sine(r.in[1], n, 0.25, 1000, RATE, 0);
	fill_sine(r.in[2], n, 0.5, 1000, RATE, 0);
	rig_set(&r, P_CH_FADER, 0, 0, -6);
	rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0);
	render(&r, 0, settle, 256);
	float m[2];
	mixer_meter_take(r.m, P_CH_METER, 0, m); /* forget the fader's move */
	render(&r, settle, n, 256);
	CHECK(mixer_meter_take(r.m, P_CH_METER, 0, m) == 2, "channel meter");
	CHECK_NEAR(m[0], db20(0.5) - 6, 0.01, "channel peak meter is post-fader");
	CHECK_NEAR(m[1], db20(0.5) - 6, 0.05, "channel RMS meter of DC");
	CHECK(mixer_meter_take(r.m, P_CH_METER, 1, m) == 2, "stereo channel meter");
	CHECK_NEAR(m[0], db20(0.5), 0.01, "stereo channel peak: louder lane");
	CHECK_NEAR(m[1], db20(0.5 * M_SQRT1_2), 0.05, "stereo channel RMS of a sine");
	CHECK(mixer_meter_take(r.m, P_CH_METER, 0, m) == 2 && m[0] <= -179.0f, "meter resets on read");
	CHECK(mixer_meter_take(r.m, P_MASTER_METER, 0, m) == 2 && m[0] > -20.0f, "master meter");
	CHECK(mixer_meter_take(r.m, P_CH_METER, 2, m) == 0, "no meter for a channel that does not exist");
	CHECK(mixer_meter_take(r.m, P_MASTER_LIMITER_GR, 0, m) == 1, "limiter GR from master");
	rig_free(&r);
}

static void test_shapes(void)
{
	struct mixer_config cfg = {3, 2, 4, RATE, 0};
	struct mixer *m = mixer_new(&cfg);
	CHECK(m != NULL, "mixer_new");
	CHECK(mixer_lanes(m) == 7, "lanes: one per mono, two per stereo channel");
	CHECK(mixer_outputs(m) == 12, "outputs: 4 + 2 per bus");
	mixer_free(m);
	struct mixer_config empty = {0, 0, 0, RATE, 0};
	m = mixer_new(&empty);
	CHECK(m != NULL, "empty mixer");
	float *out[4], buf[4][64];
	for (int i = 0; i < 4; i++)
		out[i] = buf[i];
	mixer_process(m, NULL, out, 64);
	CHECK(buf[0][63] == 0.0f && buf[2][63] == 0.0f, "empty mixer renders silence");
	mixer_free(m);

	/* a stereo pair right after an odd number of mono channels and across
	 * a group boundary: lanes reach the right channel */
	size_t n = (size_t)(0.3 * RATE);
	struct rig r = rig_open(7, 2, 1, RATE, n);
	for (unsigned c = 0; c < 9; c++)
		rig_set(&r, P_CH_SEND_LEVEL, c, 0, 0);
	fill_dc(r.in[8], n, 0.5f);         /* right lane of stereo channel 7 */
	rig_set(&r, P_CH_PAN, 7, 0, 0.0f); /* balance hard left: right side off */
	render(&r, 0, n, 64);
	CHECK_NEAR(r.out[O_BR(0)][n - 1], 0.0, 1e-9, "lane 8 is the right side of channel 7");
	rig_set(&r, P_CH_PAN, 7, 0, 1.0f);
	render(&r, 0, n, 64);
	CHECK_NEAR(r.out[O_BR(0)][n - 1], 0.5, 1e-6, "lane 8 is the right side of channel 7 (pan right)");
	rig_free(&r);
}

int main(void)
{
	test_shapes();
	test_fader();
	test_pan();
	test_sends();
	test_solo();
	test_meters();
	test_smoothing();
	test_mute_under_ramp();
	test_ramps();
	test_periods();
	test_nan();
	test_denormals();
	test_gate();
	test_comp();
	test_hpf();
	test_eq_bands();
	test_eq_type_change();
	return test_exit("test_strip");
}
