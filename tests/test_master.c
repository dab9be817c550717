/*
 * test_master.c - offline tests of the master chain (src/master.c) on plain
 * buffers: the true-peak limiter against an independent 8x reference
 * (tests/test_util.h), latency with the limiter in and out, width, EQ
 * magnitude against the RBJ cookbook computed here, the glue compressor's
 * static curve and stereo link, fader, mute smoothing, meters, and
 * recovery from NaN/inf input.  Expected values are derived in this file
 * from the maths, never from the program's output.
 */
#include <string.h>

#include "dsp.h"
#include "master.h"
#include "params.h"
#include "test_util.h"

static const double rates[] = {44100.0, 48000.0, 96000.0};

/* Chunk sizes cycled through by run(): the full chunk and odd short ones,
 * since JACK periods need not be multiples of JMX_CHUNK. */
static const unsigned chunks_std[] = {JMX_CHUNK};
static const unsigned chunks_odd[] = {JMX_CHUNK, 17, JMX_CHUNK, 1, 40, JMX_CHUNK, 63};

static void run_pattern(struct master *ms, float *l, float *r, size_t n, const unsigned *pat, size_t npat)
{
	size_t i = 0, k = 0;
	while (i < n) {
		size_t c = pat[k++ % npat];
		if (c > n - i)
			c = n - i;
		master_process(ms, l + i, r + i, (unsigned)c);
		i += c;
	}
}

static void run(struct master *ms, float *l, float *r, size_t n)
{
	run_pattern(ms, l, r, n, chunks_std, 1);
}

static void run_silence(struct master *ms, size_t n)
{
	float l[JMX_CHUNK], r[JMX_CHUNK];
	while (n) {
		unsigned c = n > JMX_CHUNK ? JMX_CHUNK : (unsigned)n;
		memset(l, 0, sizeof l);
		memset(r, 0, sizeof r);
		master_process(ms, l, r, c);
		n -= c;
	}
}

static float *fbuf(size_t n)
{
	float *p = calloc(n, sizeof(float));
	if (!p) {
		perror("calloc");
		exit(2);
	}
	return p;
}

static double tp_stereo(const float *l, const float *r, size_t n)
{
	double a = true_peak_8x(l, n), b = true_peak_8x(r, n);
	return a > b ? a : b;
}

/* True peak of x[from..to) with the samples around it as context (cutting
 * the buffer there would add a step that is not in the signal).  Same
 * kernel as true_peak_8x in test_util.h: 8x, 64-tap Kaiser sinc. */
static double tp_range(const float *x, size_t n, size_t from, size_t to)
{
	enum { OS = 8, HALF = 32 };
	static double kern[OS][2 * HALF];
	static int init;
	if (!init) {
		double i0b = tu_bessel_i0(8.0);
		for (int p = 1; p < OS; p++)
			for (int k = -HALF + 1; k <= HALF; k++) {
				double t = (double)k - (double)p / OS, r = t / HALF;
				double w = fabs(r) >= 1.0 ? 0.0 : tu_bessel_i0(8.0 * sqrt(1.0 - r * r)) / i0b;
				kern[p][k + HALF - 1] = sin(M_PI * t) / (M_PI * t) * w;
			}
		init = 1;
	}
	double peak = peak_abs(x + from, to - from);
	for (size_t i = from; i < to && i + 1 < n; i++)
		for (int p = 1; p < OS; p++) {
			double acc = 0;
			for (int k = -HALF + 1; k <= HALF; k++) {
				long j = (long)i + k;
				if (j >= 0 && j < (long)n)
					acc += x[j] * kern[p][k + HALF - 1];
			}
			peak = fmax(peak, fabs(acc));
		}
	return peak;
}

static double tp_range_stereo(const float *l, const float *r, size_t n, size_t from, size_t to)
{
	return fmax(tp_range(l, n, from, to), tp_range(r, n, from, to));
}

/* ---------------------------------------------------------------- limiter */

enum sig { SIG_SINE, SIG_SQUARE, SIG_ISP };

/* silence, a burst of the test signal, silence (so attack and release are
 * both measured); x has n samples, the burst starts at s0 and ends at s1. */
static void make_burst(float *x, size_t n, size_t s0, size_t s1, enum sig kind, double amp, double hz,
                       double rate)
{
	for (size_t i = 0; i < n; i++) {
		double v = 0;
		if (i >= s0 && i < s1) {
			double t = (double)(i - s0);
			switch (kind) {
			case SIG_SINE:
				v = amp * sin(2 * M_PI * hz * t / rate);
				break;
			case SIG_SQUARE:
				/* naive full-band square: samples only at +-amp */
				v = sin(2 * M_PI * hz * t / rate + 0.1) >= 0 ? amp : -amp;
				break;
			case SIG_ISP:
				/* fs/4 at 45 degrees: samples +-0.7071 amp, true peak amp */
				v = amp * sin(M_PI / 2 * t + M_PI / 4);
				break;
			}
		}
		x[i] = (float)v;
	}
}

static double worst_overshoot = -1e9;

static void limiter_case(double rate, const char *name, enum sig kind, double amp_db, double hz,
                         float ceil_db)
{
	size_t n = (size_t)(0.6 * rate), s0 = (size_t)(0.1 * rate), s1 = (size_t)(0.4 * rate);
	float *l = fbuf(n), *r = fbuf(n);
	double amp = pow(10.0, amp_db / 20.0);
	make_burst(l, n, s0, s1, kind, amp, hz, rate);
	/* R a little quieter: the link must still protect both */
	for (size_t i = 0; i < n; i++)
		r[i] = 0.8f * l[i];
	struct master *ms = master_new(rate);
	CHECK(ms != NULL, "master_new(%g)", rate);
	master_set(ms, P_MASTER_LIMITER_CEILING, 0, ceil_db);
	run_pattern(ms, l, r, n, chunks_odd, sizeof chunks_odd / sizeof chunks_odd[0]);
	double ceil = pow(10.0, ceil_db / 20.0);
	double tp = tp_stereo(l, r, n);
	double over = db20(tp / ceil);
	printf("  limiter %6.0f Hz rate, %-22s: out true peak %+7.3f dBTP, overshoot %+.3f dB\n", rate, name,
	       db20(tp), over);
	if (over > worst_overshoot)
		worst_overshoot = over;
	CHECK(tp <= ceil * pow(10.0, 0.1 / 20.0), "%s at %g: true peak %.3f dBTP > ceiling %.1f + 0.1", name,
	      rate, db20(tp), (double)ceil_db);
	/* ... and it limits, it does not just mute: the steady part of the
	 * burst reaches within 1 dB of the ceiling (the release is 50 ms). */
	size_t m0 = (s0 + s1) / 2;
	double tpm = tp_range_stereo(l, r, n, m0, s1);
	CHECK(tpm >= ceil * pow(10.0, -1.0 / 20.0), "%s at %g: steady true peak %.2f dBTP too low", name,
	      rate, db20(tpm));
	float gr[2] = {-1, -1};
	CHECK(master_meter_take(ms, P_MASTER_LIMITER_GR, gr) == 1, "limiter GR meter");
	CHECK(gr[0] > 0.0f, "%s: limiter GR meter %.2f must show reduction", name, (double)gr[0]);
	master_free(ms);
	free(l);
	free(r);
}

/* Signals whose true peak is under the ceiling come out untouched, only
 * delayed by master_latency() frames, sample for sample. */
static void limiter_quiet(double rate)
{
	size_t n = (size_t)(0.3 * rate);
	float *l = fbuf(n), *r = fbuf(n), *il = fbuf(n), *ir = fbuf(n);
	/* L: 1 kHz at -3 dBFS; R: fs/4 inter-sample signal with true peak
	 * -1.5 dBTP (samples at -4.5 dBFS), both under the -1 dBTP ceiling. */
	fill_sine(il, n, 0.7071, 1000.0, rate, 0.0);
	double a = pow(10.0, -1.5 / 20.0);
	for (size_t i = 0; i < n; i++)
		ir[i] = (float)(a * sin(M_PI / 2 * (double)i + M_PI / 4));
	memcpy(l, il, n * sizeof *l);
	memcpy(r, ir, n * sizeof *r);
	struct master *ms = master_new(rate);
	unsigned d = master_latency(ms);
	run_pattern(ms, l, r, n, chunks_odd, sizeof chunks_odd / sizeof chunks_odd[0]);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		float el = i >= d ? il[i - d] : 0.0f, er = i >= d ? ir[i - d] : 0.0f;
		if (l[i] != el || r[i] != er)
			bad++;
	}
	CHECK(bad == 0, "quiet signal at %g Hz: %zu samples differ from input delayed by %u", rate, bad, d);
	float gr[2];
	master_meter_take(ms, P_MASTER_LIMITER_GR, gr);
	CHECK(gr[0] == 0.0f, "quiet signal: limiter GR meter %.3g, want 0", (double)gr[0]);
	master_free(ms);
	free(l);
	free(r);
	free(il);
	free(ir);
}

/* The ceiling moves from -1 to -6 dBTP while a +6 dBFS tone plays: output
 * never exceeds the old ceiling, and after the parameter has settled
 * (5 time constants plus the lookahead) it respects the new one. */
static void limiter_ceiling_change(double rate)
{
	size_t n = (size_t)(0.8 * rate), sw = (size_t)(0.3 * rate), settle = (size_t)(0.1 * rate);
	float *l = fbuf(n), *r = fbuf(n);
	make_burst(l, n, 0, n, SIG_SINE, 2.0, 1000.0, rate);
	memcpy(r, l, n * sizeof *l);
	struct master *ms = master_new(rate);
	run(ms, l, r, sw);
	master_set(ms, P_MASTER_LIMITER_CEILING, 0, -6.0f);
	run(ms, l + sw, r + sw, n - sw);
	double tol = pow(10.0, 0.1 / 20.0);
	/* the buffer ends in the middle of the tone: leave out the last
	 * reference kernel length, where the cut itself would be measured */
	double tp_all = tp_range_stereo(l, r, n, 0, n - 64);
	double tp_new = tp_range_stereo(l, r, n, sw + settle, n - 64);
	printf("  limiter %6.0f Hz rate, ceiling -1 -> -6 dBTP : after change %+7.3f dBTP, whole run %+7.3f "
	       "dBTP\n",
	       rate, db20(tp_new), db20(tp_all));
	CHECK(tp_all <= pow(10.0, -1.0 / 20.0) * tol, "ceiling change: peak %.3f dBTP above old ceiling",
	      db20(tp_all));
	CHECK(tp_new <= pow(10.0, -6.0 / 20.0) * tol, "ceiling change: peak %.3f dBTP above -6 dBTP",
	      db20(tp_new));
	CHECK(tp_new >= pow(10.0, -7.0 / 20.0), "ceiling change: peak %.3f dBTP, limiter over-reduces",
	      db20(tp_new));
	master_free(ms);
	free(l);
	free(r);
}

/* A huge input (every gain at maximum, +60 dBFS) stays finite and under
 * the ceiling once the burst is running. */
static void limiter_extreme(void)
{
	double rate = 48000;
	size_t n = 24000;
	float *l = fbuf(n), *r = fbuf(n);
	make_burst(l, n, 4800, 19200, SIG_SINE, 1000.0, 3000.0, rate);
	make_burst(r, n, 4800, 19200, SIG_SQUARE, 1000.0, 440.0, rate);
	struct master *ms = master_new(rate);
	master_set(ms, P_MASTER_FADER, 0, 10.0f);
	master_set(ms, P_MASTER_EQ_ON, 0, 1.0f);
	for (unsigned b = 0; b < JMX_BANDS; b++)
		master_set(ms, P_MASTER_EQ_DB, b, 15.0f);
	run(ms, l, r, n);
	size_t nonfinite = 0;
	for (size_t i = 0; i < n; i++)
		nonfinite += !isfinite(l[i]) || !isfinite(r[i]);
	CHECK(nonfinite == 0, "extreme input: %zu non-finite outputs", nonfinite);
	double tp = tp_stereo(l, r, n);
	printf("  limiter extreme input (+60 dBFS, +70 dB of gain): out %+7.3f dBTP\n", db20(tp));
	CHECK(tp <= pow(10.0, (-1.0 + 0.1) / 20.0), "extreme input: true peak %.3f dBTP", db20(tp));
	master_free(ms);
	free(l);
	free(r);
}

/* The limiter's gain moves smoothly: it is a moving average over the
 * lookahead window (at least 1 ms, "about 1.5 ms" by design) of values in
 * [gmin, 1], so one sample changes it by at most (1 - gmin) / (0.001 rate);
 * the release (50 ms) is slower still.  Measured as g = out / delayed in
 * on a DC signal stepping from 0.5 to 3 and back, where in is never 0. */
static void limiter_gain_smooth(double rate)
{
	/* 1 s of release: 50 ms down to a reduction under 1e-7, where it
	 * snaps to exactly 0, takes ln(0.7 / 1e-7) = 16 time constants */
	size_t a = (size_t)(0.1 * rate), b = (size_t)(0.3 * rate), n = (size_t)(1.3 * rate);
	float *l = fbuf(n), *r = fbuf(n), *in = fbuf(n);
	for (size_t i = 0; i < n; i++)
		in[i] = i >= a && i < b ? 3.0f : 0.5f;
	memcpy(l, in, n * sizeof *l);
	memcpy(r, in, n * sizeof *r);
	struct master *ms = master_new(rate);
	unsigned d = master_latency(ms);
	run_pattern(ms, l, r, n, chunks_odd, sizeof chunks_odd / sizeof chunks_odd[0]);
	double gmin = 1, step = 0, prev = 1;
	for (size_t i = d; i < n; i++) {
		double g = l[i] / in[i - d];
		gmin = fmin(gmin, g);
		if (i > d)
			step = fmax(step, fabs(g - prev));
		prev = g;
	}
	double bound = (1 - gmin) / (0.001 * rate);
	CHECK(step <= bound, "limiter gain step %g > %g at %g (gmin %g)", step, bound, rate, gmin);
	CHECK(gmin <= pow(10.0, -1.0 / 20.0) / 3.0, "limiter gain %g must bring 3.0 under -1 dBTP", gmin);
	CHECK(l[n - 1] == 0.5f, "limiter must release to gain 1 exactly (%g)", (double)l[n - 1]);
	master_free(ms);
	free(l);
	free(r);
	free(in);
}

/* Switching the limiter out and in while it reduces a +6 dBFS tone is a
 * crossfade: with the limiter's own gain g steady, the effective gain
 * 1 + m (g - 1) moves by at most (1 - g) / (tau rate) <= 1 / (tau rate) a
 * sample (see the mute test), so |y[n] - y[n-1]| <= A 2 pi f / rate (the
 * tone's own slope) + A / (tau rate).  A hard switch would step by about
 * A (1 - g) = 1.1. */
static void limiter_toggle(void)
{
	/* 20 Hz keeps the tone's own slope (0.005) under the switching term
	 * (0.004), so even a one-chunk linear crossfade (0.017) would fail */
	const double rate = 48000, A = 2.0, f = 20;
	/* switch at the tone's crests (0.3125 and 0.6125 s), where the gain
	 * change shows most */
	size_t n = (size_t)(0.9 * rate), t1 = (size_t)(0.3125 * rate), t2 = (size_t)(0.6125 * rate);
	float *l = fbuf(n), *r = fbuf(n);
	fill_sine(l, n, A, f, rate, 0);
	fill_sine(r, n, A, f, rate, 0);
	struct master *ms = master_new(rate);
	run(ms, l, r, t1);
	master_set(ms, P_MASTER_LIMITER_ON, 0, 0.0f);
	run(ms, l + t1, r + t1, t2 - t1);
	master_set(ms, P_MASTER_LIMITER_ON, 0, 1.0f);
	run(ms, l + t2, r + t2, n - t2);
	double step = 0;
	for (size_t i = (size_t)(0.1 * rate); i < n; i++)
		step = fmax(step, fabs((double)l[i] - l[i - 1]));
	double bound = A * 2 * M_PI * f / rate + A / (JMX_SMOOTH_TAU_MS * 0.001 * rate);
	printf("  limiter in/out switch: largest step %.5f (bound %.5f)\n", step, bound);
	CHECK(step <= bound, "limiter switch step %g > %g", step, bound);
	/* bypassed, the tone passes at full level; in again, it is limited */
	double out_pk = peak_abs(l + t2 - (size_t)(0.05 * rate), (size_t)(0.05 * rate));
	CHECK_NEAR(out_pk, A, 1e-3, "limiter out: tone passes unchanged");
	CHECK(tp_range_stereo(l, r, n, n - (size_t)(0.1 * rate), n - 64) <= pow(10.0, -0.9 / 20.0),
	      "limiter in again: tone limited");
	master_free(ms);
	free(l);
	free(r);
}

static void test_limiter(void)
{
	for (unsigned k = 0; k < 3; k++) {
		double rate = rates[k];
		limiter_case(rate, "sine 1 kHz +6 dBFS", SIG_SINE, 6.0, 1000.0, -1.0f);
		limiter_case(rate, "sine 1 kHz +12 dBFS", SIG_SINE, 12.0, 1000.0, -1.0f);
		limiter_case(rate, "sine 10 kHz +6 dBFS", SIG_SINE, 6.0, 10000.0, -1.0f);
		limiter_case(rate, "sine 10 kHz +12 dBFS", SIG_SINE, 12.0, 10000.0, -1.0f);
		limiter_case(rate, "square 997 Hz +6 dBFS", SIG_SQUARE, 6.0, 997.0, -1.0f);
		limiter_case(rate, "fs/4 ISP, TP +3 dBTP", SIG_ISP, 3.0, 0.0, -1.0f);
		limiter_case(rate, "fs/4 ISP, TP 0 dBTP", SIG_ISP, 0.0, 0.0, -1.0f);
		limiter_case(rate, "sine 1k +6, ceil -6", SIG_SINE, 6.0, 1000.0, -6.0f);
		limiter_case(rate, "square +6, ceil -6", SIG_SQUARE, 6.0, 997.0, -6.0f);
		limiter_quiet(rate);
		limiter_ceiling_change(rate);
		limiter_gain_smooth(rate);
	}
	limiter_extreme();
	limiter_toggle();
	printf("  limiter worst overshoot over all cases: %+.3f dB (limit +0.1)\n", worst_overshoot);
}

/* ---------------------------------------------------------------- latency */

static void test_latency(void)
{
	for (unsigned k = 0; k < 3; k++) {
		double rate = rates[k];
		struct master *on = master_new(rate), *off = master_new(rate);
		unsigned d = master_latency(on);
		/* the lookahead is about 1.5 ms plus the detector's delay */
		CHECK(d >= (unsigned)(0.001 * rate) && d <= (unsigned)(0.003 * rate),
		      "latency %u frames at %g", d, rate);
		master_set(off, P_MASTER_LIMITER_ON, 0, 0.0f);
		CHECK(master_latency(off) == d, "latency must not depend on the bypass: %u vs %u",
		      master_latency(off), d);
		run_silence(off, (size_t)(0.2 * rate)); /* let the bypass crossfade finish */
		CHECK(master_latency(off) == d, "latency must not change while running");
		if (k == 1)
			printf("  latency at 48 kHz: %u frames (%.3f ms)\n", d, 1000.0 * d / rate);

		size_t n = 4 * JMX_CHUNK + d;
		float *l = fbuf(n), *r = fbuf(n);
		struct {
			struct master *ms;
			float amp; /* 0.5: under the ceiling; 4: limited */
			const char *what;
		} cases[] = {{on, 0.5f, "limiter in, quiet"},
		             {off, 4.0f, "limiter out, loud"},
		             {on, 4.0f, "limiter in, loud"}};
		for (unsigned c = 0; c < 3; c++) {
			memset(l, 0, n * sizeof *l);
			memset(r, 0, n * sizeof *r);
			size_t at = 100;
			l[at] = cases[c].amp;
			r[at] = -cases[c].amp;
			run(cases[c].ms, l, r, n);
			size_t arg = 0;
			for (size_t i = 0; i < n; i++)
				if (fabsf(l[i]) > fabsf(l[arg]))
					arg = i;
			CHECK(arg == at + d, "%s at %g: impulse came out at +%zu, latency %u", cases[c].what,
			      rate, arg - at, d);
			CHECK(r[arg] == -l[arg], "%s: stereo impulse must stay symmetric", cases[c].what);
			if (c < 2) {
				/* gain exactly 1: bit-exact impulse, nothing else */
				size_t other = 0;
				for (size_t i = 0; i < n; i++)
					other += i != arg && (l[i] != 0.0f || r[i] != 0.0f);
				CHECK(l[arg] == cases[c].amp, "%s: impulse %g, want %g", cases[c].what,
				      (double)l[arg], (double)cases[c].amp);
				CHECK(other == 0, "%s: %zu other samples non-zero", cases[c].what, other);
			} else {
				double tp = tp_stereo(l, r, n);
				CHECK(tp <= pow(10.0, (-1.0 + 0.1) / 20.0), "loud impulse: %.3f dBTP",
				      db20(tp));
			}
			run_silence(cases[c].ms, (size_t)(0.5 * rate));
		}
		free(l);
		free(r);
		master_free(on);
		master_free(off);
	}
}

/* ---------------------------------------------------------------- width */

static void test_width(void)
{
	double rate = 48000;
	/* 0.2 s: 20 time constants, past the point where the smoothed width
	 * snaps to its target (1e-6 away, 14 time constants) */
	size_t n = 14400, settle = 9600;
	float *l = fbuf(n), *r = fbuf(n), *src = fbuf(n);
	fill_sine(src, n, 0.25, 440.0, rate, 0.3);
	static const float widths[] = {1.0f, 0.0f, 2.0f, 0.5f};
	for (unsigned w = 0; w < 4; w++) {
		struct master *ms = master_new(rate);
		unsigned d = master_latency(ms);
		master_set(ms, P_MASTER_WIDTH, 0, widths[w]);
		memcpy(l, src, n * sizeof *l);
		memset(r, 0, n * sizeof *r); /* L only: M = S = src/2 */
		run(ms, l, r, n);
		double el = 0, er = 0, worst_l = 0, worst_r = 0, worst_lr = 0;
		for (size_t i = settle; i < n; i++) {
			double s = src[i - d], m = s / 2, sd = s / 2;
			el = m + widths[w] * sd;
			er = m - widths[w] * sd;
			worst_l = fmax(worst_l, fabs(l[i] - el));
			worst_r = fmax(worst_r, fabs(r[i] - er));
			worst_lr = fmax(worst_lr, fabs(l[i] - r[i]));
		}
		if (widths[w] == 1.0f)
			CHECK(worst_l == 0 && worst_r == 0, "width 1 must leave L/R unchanged (err %g %g)",
			      worst_l, worst_r);
		if (widths[w] == 0.0f)
			CHECK(worst_lr <= 1e-6, "width 0 must give L == R (max |L-R| %g)", worst_lr);
		CHECK(worst_l <= 1e-6 && worst_r <= 1e-6, "width %g: L err %g, R err %g", (double)widths[w],
		      worst_l, worst_r);
		master_free(ms);
	}
	free(l);
	free(r);
	free(src);
}

/* ---------------------------------------------------------------- EQ */

/* |H(e^jw)| of the RBJ cookbook biquads, written out here from the
 * cookbook (type 0 peak, 1 low shelf, 2 high shelf). */
static double rbj_mag_db(int type, double rate, double f0, double gdb, double q, double f)
{
	double A = pow(10.0, gdb / 40.0), w0 = 2 * M_PI * f0 / rate;
	double cw = cos(w0), alpha = sin(w0) / (2 * q), sA = sqrt(A);
	double b[3], a[3];
	if (type == 0) {
		b[0] = 1 + alpha * A, b[1] = -2 * cw, b[2] = 1 - alpha * A;
		a[0] = 1 + alpha / A, a[1] = -2 * cw, a[2] = 1 - alpha / A;
	} else if (type == 1) {
		b[0] = A * ((A + 1) - (A - 1) * cw + 2 * sA * alpha);
		b[1] = 2 * A * ((A - 1) - (A + 1) * cw);
		b[2] = A * ((A + 1) - (A - 1) * cw - 2 * sA * alpha);
		a[0] = (A + 1) + (A - 1) * cw + 2 * sA * alpha;
		a[1] = -2 * ((A - 1) + (A + 1) * cw);
		a[2] = (A + 1) + (A - 1) * cw - 2 * sA * alpha;
	} else {
		b[0] = A * ((A + 1) + (A - 1) * cw + 2 * sA * alpha);
		b[1] = -2 * A * ((A - 1) + (A + 1) * cw);
		b[2] = A * ((A + 1) + (A - 1) * cw - 2 * sA * alpha);
		a[0] = (A + 1) - (A - 1) * cw + 2 * sA * alpha;
		a[1] = 2 * ((A - 1) - (A + 1) * cw);
		a[2] = (A + 1) - (A - 1) * cw - 2 * sA * alpha;
	}
	double w = 2 * M_PI * f / rate;
	double nr = b[0] + b[1] * cos(w) + b[2] * cos(2 * w), ni = -b[1] * sin(w) - b[2] * sin(2 * w);
	double dr = a[0] + a[1] * cos(w) + a[2] * cos(2 * w), di = -a[1] * sin(w) - a[2] * sin(2 * w);
	return 10.0 * log10((nr * nr + ni * ni) / (dr * dr + di * di));
}

static double measure_gain_db(struct master *ms, double rate, double hz, double amp)
{
	size_t settle = (size_t)(0.25 * rate), meas = (size_t)rate; /* 1 s: whole cycles of integer hz */
	size_t n = settle + meas;
	float *l = fbuf(n), *r = fbuf(n);
	fill_sine(l, n, amp, hz, rate, 0.0);
	fill_sine(r, n, amp, hz, rate, 0.0);
	run(ms, l, r, n);
	double a = tone_amplitude(l + settle, meas, hz, rate);
	double b = tone_amplitude(r + settle, meas, hz, rate);
	free(l);
	free(r);
	CHECK_NEAR(db20(a), db20(b), 1e-3, "EQ: L and R responses must match");
	return db20(a / amp);
}

static void test_eq(void)
{
	static const struct {
		int type;
		double f0, db, q;
		double f[5];
	} band[] = {
	    {0, 1000, 9, 1.4, {100, 500, 1000, 2000, 10000}},
	    {1, 200, 6, 0.7071, {30, 100, 200, 400, 2000}},
	    {2, 5000, -8, 0.7071, {500, 2500, 5000, 10000, 18000}},
	    {0, 60, -12, 4, {40, 55, 60, 66, 200}},
	};
	static const double eq_rates[] = {48000.0, 96000.0};
	for (unsigned k = 0; k < 2; k++) {
		double rate = eq_rates[k];
		struct master *ms = master_new(rate);
		master_set(ms, P_MASTER_EQ_ON, 0, 1.0f);
		/* the same band takes each type in turn: exercises type
		 * changes (they fade through 0 dB) as well */
		for (unsigned t = 0; t < sizeof band / sizeof band[0]; t++) {
			master_set(ms, P_MASTER_EQ_TYPE, 1, (float)band[t].type);
			master_set(ms, P_MASTER_EQ_HZ, 1, (float)band[t].f0);
			master_set(ms, P_MASTER_EQ_DB, 1, (float)band[t].db);
			master_set(ms, P_MASTER_EQ_Q, 1, (float)band[t].q);
			run_silence(ms, (size_t)(0.4 * rate));
			for (unsigned i = 0; i < 5; i++) {
				double want = rbj_mag_db(band[t].type, rate, band[t].f0, band[t].db,
				                         band[t].q, band[t].f[i]);
				double got = measure_gain_db(ms, rate, band[t].f[i], 0.1);
				char what[96];
				snprintf(what, sizeof what, "EQ type %d %g Hz %+g dB Q %g at %g Hz, rate %g",
				         band[t].type, band[t].f0, band[t].db, band[t].q, band[t].f[i], rate);
				CHECK_NEAR(got, want, 0.1, what);
			}
		}
		/* EQ out: the chain is flat again (gains fade to 0 dB) */
		master_set(ms, P_MASTER_EQ_ON, 0, 0.0f);
		run_silence(ms, (size_t)(0.4 * rate));
		CHECK_NEAR(measure_gain_db(ms, rate, 60, 0.1), 0.0, 1e-4, "EQ out must be flat");
		master_free(ms);
	}
}

/* EQ in/out and band type changes fade the band gains in dB (one pole per
 * call, at most 1/(tau rate) of the distance a sample), so a 100 Hz tone of
 * amplitude A under a +12 dB low shelf sees a slowly varying gain G <= 4:
 * |y[n] - y[n-1]| <= G A 2 pi f / rate + A dG, dG <= G ln(10)/20 * 12 /
 * (tau rate).  The shelf's phase at 100 Hz also moves a little while its
 * gain fades; a factor 1.5 covers it.  A hard switch steps by up to
 * A (G - 1) = 0.6. */
static void test_eq_switch(void)
{
	const double rate = 48000, A = 0.2, f = 100, G = 4; /* 0.8 peak: under the limiter */
	size_t n = (size_t)(1.2 * rate), seg = (size_t)(0.3 * rate);
	float *l = fbuf(n), *r = fbuf(n);
	fill_sine(l, n, A, f, rate, 0);
	fill_sine(r, n, A, f, rate, 0);
	struct master *ms = master_new(rate);
	master_set(ms, P_MASTER_EQ_TYPE, 0, 1.0f);
	master_set(ms, P_MASTER_EQ_HZ, 0, 1000.0f);
	master_set(ms, P_MASTER_EQ_DB, 0, 12.0f);
	run(ms, l, r, seg);
	master_set(ms, P_MASTER_EQ_ON, 0, 1.0f);
	run(ms, l + seg, r + seg, seg);
	master_set(ms, P_MASTER_EQ_TYPE, 0, 0.0f); /* shelf -> peak at 1 kHz: 100 Hz drops to ~0 dB */
	run(ms, l + 2 * seg, r + 2 * seg, seg);
	master_set(ms, P_MASTER_EQ_ON, 0, 0.0f);
	run(ms, l + 3 * seg, r + 3 * seg, seg);
	double step = 0;
	for (size_t i = (size_t)(0.1 * rate); i < n; i++)
		step = fmax(step, fabs((double)l[i] - l[i - 1]));
	double bound = 1.5 * (G * A * 2 * M_PI * f / rate +
	                      A * G * log(10.0) / 20 * 12 / (JMX_SMOOTH_TAU_MS * 0.001 * rate));
	printf("  EQ in/out/type switch: largest step %.5f (bound %.5f)\n", step, bound);
	CHECK(step <= bound, "EQ switch step %g > %g", step, bound);
	/* and the shelf did act in the middle: ~+12 dB at 100 Hz */
	CHECK(peak_abs(l + 2 * seg - 4800, 4800) > 0.7, "EQ in: 100 Hz under the shelf boosted (%g)",
	      peak_abs(l + 2 * seg - 4800, 4800));
	master_free(ms);
	free(l);
	free(r);
}

/* ---------------------------------------------------------------- compressor */

/* Expected gain reduction, written out from Giannoulis, Massberg & Reiss
 * (2012), eq. 4: below thr - W/2 none; above thr + W/2 (1 - 1/R)(x - thr);
 * in between the quadratic (1 - 1/R)(x - thr + W/2)^2 / (2W). */
static double expect_gr(double x, double thr, double ratio, double knee)
{
	double s = 1.0 - 1.0 / ratio;
	if (x <= thr - knee / 2)
		return 0.0;
	if (x >= thr + knee / 2)
		return s * (x - thr);
	double u = x - thr + knee / 2;
	return s * u * u / (2 * knee);
}

static void comp_setup(struct master *ms, float thr, float ratio, float knee, float makeup)
{
	master_set(ms, P_MASTER_LIMITER_ON, 0, 0.0f);
	master_set(ms, P_MASTER_COMP_ON, 0, 1.0f);
	master_set(ms, P_MASTER_COMP_THR, 0, thr);
	master_set(ms, P_MASTER_COMP_RATIO, 0, ratio);
	master_set(ms, P_MASTER_COMP_KNEE, 0, knee);
	master_set(ms, P_MASTER_COMP_MAKEUP, 0, makeup);
	master_set(ms, P_MASTER_COMP_ATTACK, 0, 5.0f);
	master_set(ms, P_MASTER_COMP_RELEASE, 0, 200.0f);
}

static void test_comp(void)
{
	/* Level definition: the detector follows the peak of max(|L|, |R|),
	 * so a steady sine of amplitude A is at 20 log10(A) dBFS whatever its
	 * frequency; the static curve is applied to that peak level.  The
	 * output is measured as the amplitude of the fundamental after the
	 * envelope has settled (1 s against a 200 ms release). */
	const double rate = 48000, thr = -20, ratio = 4, knee = 10, makeup = 2;
	static const double levels[] = {-40, -26, -23, -20, -17, -14, -6, 0};
	for (unsigned i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		struct master *ms = master_new(rate);
		comp_setup(ms, (float)thr, (float)ratio, (float)knee, (float)makeup);
		double amp = pow(10.0, levels[i] / 20.0);
		double got = measure_gain_db(ms, rate, 1000, amp);
		double gr = expect_gr(levels[i], thr, ratio, knee);
		char what[80];
		snprintf(what, sizeof what, "comp gain at %g dBFS peak (GR %.2f dB)", levels[i], gr);
		CHECK_NEAR(got, makeup - gr, 0.5, what);
		float m[2] = {-1, -1};
		CHECK(master_meter_take(ms, P_MASTER_COMP_GR, m) == 1, "comp GR meter");
		snprintf(what, sizeof what, "comp GR meter at %g dBFS", levels[i]);
		if (gr > 0.5)
			CHECK_NEAR(m[0], gr, 0.5, what);
		else
			CHECK(m[0] >= 0.0f && m[0] <= 0.5f, "%s: %g", what, (double)m[0]);
		master_free(ms);
	}

	/* Stereo link: loud L (0 dBFS, 1 kHz), quiet R (-30 dBFS, 1.5 kHz,
	 * under the threshold): R is reduced exactly as much as L. */
	struct master *ms = master_new(rate);
	comp_setup(ms, (float)thr, (float)ratio, (float)knee, 0.0f);
	size_t settle = 48000, meas = 48000, n = settle + meas;
	float *l = fbuf(n), *r = fbuf(n);
	double al = 1.0, ar = pow(10.0, -30.0 / 20.0);
	fill_sine(l, n, al, 1000, rate, 0);
	fill_sine(r, n, ar, 1500, rate, 0);
	run(ms, l, r, n);
	double gl = db20(tone_amplitude(l + settle, meas, 1000, rate) / al);
	double gr = db20(tone_amplitude(r + settle, meas, 1500, rate) / ar);
	double want = -expect_gr(0.0, thr, ratio, knee);
	printf("  comp link: L gain %.3f dB, R gain %.3f dB, curve %.3f dB\n", gl, gr, want);
	CHECK_NEAR(gr, gl, 0.1, "stereo link: quiet R reduced like loud L");
	CHECK_NEAR(gr, want, 0.5, "stereo link: R reduction from L's level");
	/* and the other way round: swap the channels */
	fill_sine(r, n, al, 1000, rate, 0);
	fill_sine(l, n, ar, 1500, rate, 0);
	run(ms, l, r, n);
	CHECK_NEAR(db20(tone_amplitude(l + settle, meas, 1500, rate) / ar), want, 0.5,
	           "stereo link: L reduction from R's level");
	free(l);
	free(r);
	master_free(ms);
}

/* ---------------------------------------------------------------- fader, mute */

/* Offline use (jackmixd-master): master_settle puts a chain set after
 * master_new in place before the first sample, and master_set_drive adds
 * a gain beyond the fader's +10 dB.  -40 dBFS with the fader at -6 and
 * +26 dB of drive is -20 dBFS from the first sample on (limiter out). */
static void test_settle_drive(void)
{
	const double rate = 48000;
	struct master *ms = master_new(rate);
	master_set(ms, P_MASTER_LIMITER_ON, 0, 0.0f);
	master_set(ms, P_MASTER_FADER, 0, -6.0f);
	master_set_drive(ms, 26.0f);
	master_settle(ms);
	const unsigned lat = master_latency(ms);
	const size_t n = 4096;
	float *l = fbuf(n), *r = fbuf(n);
	for (size_t i = 0; i < n; i++)
		l[i] = r[i] = 0.01f; /* -40 dBFS, DC: the gain reads sample by sample */
	run(ms, l, r, n);
	double want = 0.01 * pow(10.0, 20.0 / 20.0), worst = 0;
	for (size_t i = lat; i < n; i++)
		worst = fmax(worst, fabs(l[i] - want) / want);
	CHECK(worst < 1e-5, "settled fader -6 + drive +26: every sample at -20 dBFS (worst error %g)", worst);
	master_set_drive(ms, 100.0f); /* clamped to +60 */
	master_settle(ms);
	for (size_t i = 0; i < n; i++)
		l[i] = r[i] = 1e-5f;
	run(ms, l, r, n);
	CHECK_NEAR(db20(l[n - 1] / 1e-5), 54.0, 1e-3, "drive clamped to +60 dB (fader -6)");
	free(l);
	free(r);
	master_free(ms);
}

static void test_fader_mute(void)
{
	const double rate = 48000;
	static const float dbs[] = {-6.0f, 10.0f, -40.0f, 0.0f};
	for (unsigned i = 0; i < 4; i++) {
		struct master *ms = master_new(rate);
		master_set(ms, P_MASTER_FADER, 0, dbs[i]);
		run_silence(ms, 9600);
		double got = measure_gain_db(ms, rate, 500, 0.05);
		CHECK_NEAR(got, dbs[i], 1e-3, "master fader gain (dB)");
		master_free(ms);
	}

	/* Fader off (-90) and mute are silence, exactly, once settled. */
	for (unsigned k = 0; k < 2; k++) {
		struct master *ms = master_new(rate);
		master_set(ms, k ? P_MASTER_MUTE : P_MASTER_FADER, 0, k ? 1.0f : JMX_DB_OFF);
		size_t n = 14400;
		float *l = fbuf(n), *r = fbuf(n);
		fill_sine(l, n, 0.5, 300, rate, 0);
		fill_sine(r, n, 0.5, 300, rate, 0);
		run(ms, l, r, n);
		double pk = fmax(peak_abs(l + 9600, 4800), peak_abs(r + 9600, 4800));
		CHECK(pk == 0.0, "%s: settled output %g, want 0", k ? "mute" : "fader -90", pk);
		free(l);
		free(r);
		master_free(ms);
	}

	/* Mute ramp.  Mute and unmute do not smooth: the gain follows a
	 * raised cosine g(t) = to + (from - to) (1 + cos(pi t / L)) / 2 over
	 * L = JMX_SWITCH_MS of frames, evaluated at the end of every call and
	 * interpolated linearly across the call.  A chord of the curve is no
	 * steeper than its steepest tangent, pi / (2 L) of the jump a frame
	 * (1/153 at 48 kHz; an unsmoothed mute would step by 1), whatever the
	 * calls' lengths.  With a DC input of amplitude a, the output step is
	 * a times the gain step. */
	const double a = 0.5;
	const double bound = a * M_PI / (2.0 * round(JMX_SWITCH_MS * 0.001 * rate)) * (1.0 + 1e-4);
	static const unsigned pat1[] = {1}, pat13[] = {13, 64, 5};
	const unsigned *pats[] = {chunks_std, pat1, pat13};
	const size_t npats[] = {1, 1, 3};
	for (unsigned p = 0; p < 3; p++) {
		struct master *ms = master_new(rate);
		/* 0.1 s playing, 0.3 s muted, 0.3 s unmuted: long enough for
		 * the gain to snap to exactly 0 and back to exactly 1 */
		size_t pre = 4800, seg = 14400, n = pre + 2 * seg;
		float *l = fbuf(n), *r = fbuf(n);
		for (size_t i = 0; i < n; i++)
			l[i] = r[i] = (float)a;
		run_pattern(ms, l, r, pre, pats[p], npats[p]);
		master_set(ms, P_MASTER_MUTE, 0, 1.0f);
		run_pattern(ms, l + pre, r + pre, seg, pats[p], npats[p]);
		double low = fmax(peak_abs(l + pre + seg - 4800, 4800), peak_abs(r + pre + seg - 4800, 4800));
		master_set(ms, P_MASTER_MUTE, 0, 0.0f);
		run_pattern(ms, l + pre + seg, r + pre + seg, seg, pats[p], npats[p]);
		/* the first output sample after the latency is the DC starting
		 * from silence: that edge is in the signal, skip it */
		unsigned d = master_latency(ms);
		double step = 0;
		for (size_t i = d + 1; i < n; i++)
			step = fmax(step, fabs((double)l[i] - l[i - 1]));
		if (p == 0)
			printf("  mute: largest step %.6f (bound a pi/(2L) = %.6f, unsmoothed %.1f)\n", step,
			       bound, a);
		CHECK(step <= bound, "mute/unmute step %g > %g (chunks pattern %u)", step, bound, p);
		/* frame-exact: the ramp's end falls in the call that completes
		 * L frames, whose last frame lands exactly on the target (0 on
		 * mute, a on unmute), where the output stays; the frame before
		 * is not there yet */
		size_t L = (size_t)round(JMX_SWITCH_MS * 0.001 * rate), e = 0;
		for (size_t k = 0; e < L; k++)
			e += pats[p][k % npats[p]];
		size_t z = pre + d + e - 1, u = pre + seg + d + e - 1;
		size_t zl = n, ul = n;
		for (size_t i = pre + seg + d; i > pre + d && l[i - 1] == 0.0f; i--)
			zl = i - 1;
		for (size_t i = n; i > pre + seg + d && l[i - 1] == (float)a; i--)
			ul = i - 1;
		CHECK(zl == z, "mute: exactly 0 from frame %zu, want %zu (pattern %u)", zl - pre - d,
		      z - pre - d, p);
		CHECK(ul == u, "unmute: exactly %g from frame %zu, want %zu (pattern %u)", a,
		      ul - pre - seg - d, u - pre - seg - d, p);
		CHECK(low == 0.0, "muted output %g, want 0", low);
		CHECK(l[n - 1] == (float)a, "unmuted output %g, want %g", (double)l[n - 1], a);
		free(l);
		free(r);
		master_free(ms);
	}
}

/* ---------------------------------------------------------------- NaN/inf */

static void test_nonfinite(void)
{
	const double rate = 48000;
	size_t n = 48000;
	float *l = fbuf(n), *r = fbuf(n), *l2 = fbuf(n), *r2 = fbuf(n);
	fill_sine(l, n, 0.3, 1000, rate, 0);
	fill_sine(r, n, 0.3, 1300, rate, 0);
	/* a whole period of NaN on L, scattered inf on R */
	for (size_t i = 10000; i < 10000 + 1024; i++)
		l[i] = NAN;
	r[10010] = INFINITY;
	r[10500] = -INFINITY;
	r[11111] = NAN;
	/* the specified treatment is "non-finite input counts as 0": the
	 * reference run gets zeros there */
	for (size_t i = 0; i < n; i++) {
		l2[i] = isfinite(l[i]) ? l[i] : 0.0f;
		r2[i] = isfinite(r[i]) ? r[i] : 0.0f;
	}
	struct master *a = master_new(rate), *b = master_new(rate);
	struct master *both[2] = {a, b};
	for (unsigned k = 0; k < 2; k++) {
		master_set(both[k], P_MASTER_EQ_ON, 0, 1.0f);
		master_set(both[k], P_MASTER_EQ_DB, 1, 6.0f);
		master_set(both[k], P_MASTER_EQ_DB, 3, -4.0f);
		master_set(both[k], P_MASTER_COMP_ON, 0, 1.0f);
		master_set(both[k], P_MASTER_COMP_THR, 0, -30.0f);
		master_set(both[k], P_MASTER_WIDTH, 0, 1.5f);
	}
	/* non-finite parameter values are ignored */
	master_set(a, P_MASTER_FADER, 0, NAN);
	master_set(a, P_MASTER_EQ_HZ, 2, INFINITY);
	run(a, l, r, n);
	run(b, l2, r2, n);
	size_t nonfinite = 0, differ = 0;
	for (size_t i = 0; i < n; i++) {
		nonfinite += !isfinite(l[i]) || !isfinite(r[i]);
		differ += fabsf(l[i] - l2[i]) > 1e-6f || fabsf(r[i] - r2[i]) > 1e-6f;
	}
	CHECK(nonfinite == 0, "%zu non-finite output samples", nonfinite);
	CHECK(differ == 0, "%zu samples differ from the run with zeros in place of NaN/inf", differ);
	/* and the signal is back: last 0.25 s at the level of the clean run */
	CHECK(rms(l + n - 12000, 12000) > 0.5 * rms(l + 12000, 12000),
	      "signal must come back after NaN (rms %g)", rms(l + n - 12000, 12000));
	/* garbage all the way: every output still finite */
	for (size_t i = 0; i < n; i++) {
		unsigned h = (unsigned)(i * 2654435761u);
		l[i] = (h & 7) == 0   ? NAN
		       : (h & 7) == 1 ? INFINITY
		       : (h & 7) == 2 ? -1e30f
		                      : (float)(h >> 8) * 1e-7f;
		r[i] = (h & 3) == 0 ? -INFINITY : (float)(h >> 4) * 1e-30f;
	}
	run(a, l, r, n);
	nonfinite = 0;
	for (size_t i = 0; i < n; i++)
		nonfinite += !isfinite(l[i]) || !isfinite(r[i]);
	CHECK(nonfinite == 0, "garbage input: %zu non-finite outputs", nonfinite);
	/* and a clean tone afterwards is finite and present within a period
	 * plus the latency */
	fill_sine(l, n, 0.3, 1000, rate, 0);
	fill_sine(r, n, 0.3, 1000, rate, 0);
	run(a, l, r, 1024);
	nonfinite = 0;
	for (size_t i = 0; i < 1024; i++)
		nonfinite += !isfinite(l[i]) || !isfinite(r[i]);
	CHECK(nonfinite == 0, "after garbage: %zu non-finite outputs", nonfinite);
	master_free(a);
	master_free(b);
	free(l);
	free(r);
	free(l2);
	free(r2);
}

/* ---------------------------------------------------------------- meters */

static void test_meters(void)
{
	const double rate = 48000;
	struct master *ms = master_new(rate);
	float m[2] = {0, 0};
	CHECK(master_meter_take(ms, P_MASTER_METER, m) == 0, "master_meter_take: unknown id returns 0");
	CHECK(master_meter_take(ms, P_MASTER_FADER, m) == 0, "master_meter_take: unknown id returns 0");
	size_t n = 24000;
	float *l = fbuf(n), *r = fbuf(n);
	/* +6 dBFS sine against the -1 dBTP ceiling: 7 dB of reduction */
	fill_sine(l, n, 2.0, 1000, rate, 0);
	fill_sine(r, n, 2.0, 1000, rate, 0);
	run(ms, l, r, n);
	master_meter_take(ms, P_MASTER_LIMITER_GR, m);
	CHECK_NEAR(m[0], 7.0, 0.2, "limiter GR meter for +6 dBFS into -1 dBTP");
	run_silence(ms, 48000); /* release tail: 50 ms to a 1e-6 reduction is 14 time constants */
	master_meter_take(ms, P_MASTER_LIMITER_GR, m);
	run_silence(ms, 4800);
	master_meter_take(ms, P_MASTER_LIMITER_GR, m);
	CHECK(m[0] == 0.0f, "limiter GR meter resets on take: %g", (double)m[0]);
	free(l);
	free(r);
	master_free(ms);
}

int main(void)
{
	printf("test_master:\n");
	test_latency();
	test_width();
	test_eq();
	test_eq_switch();
	test_comp();
	test_fader_mute();
	test_settle_drive();
	test_nonfinite();
	test_meters();
	test_limiter();
	return test_exit("test_master");
}
