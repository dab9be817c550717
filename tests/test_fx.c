/*
 * test_fx.c - the bus effects (src/dsp/fx*.c) offline, against maths
 * computed here:
 *   - reverb RT60 by Schroeder backward integration of the impulse
 *     response in the 1 kHz octave band (T30 extrapolated), at 0.3, 1, 3
 *     and 8 s and at 44.1, 48 and 96 kHz: within 10 % of the setting;
 *   - reverb pre-delay exact to the sample (the response shifted, bit for
 *     bit), L/R tails decorrelated (|r| < 0.3), width 0 is mono;
 *   - no subnormal value in the output or the state after a long silence,
 *     and the cost a block equal with and without signal (no FTZ here);
 *   - delay echoes at exactly k D samples, each the feedback factor below
 *     the last; ping-pong alternation; damping keeps each echo's DC sum;
 *   - tempo sync: the division's length at a given BPM, to the sample;
 *   - click bounds for delay time sweeps and type changes, derived from
 *     the input's own largest step plus the crossfade's (2 A / N);
 *   - click bounds for sweeps of the reverb's and the chorus' parameters
 *     (a sine in: the output's step against a sine's at the output's
 *     peak, the frequency shifted by the fastest glide);
 *   - chorus: the delay of an impulse follows base + depth (1 + sin);
 *   - NaN/inf input: the same call's output is finite, the next normal.
 *
 * Threads: one (it plays the RT thread and the control thread in turn).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsp.h"
#include "fx.h"
#include "params.h"
#include "test_util.h"
#include "fx_ref.h"

#define MAX_RATE 192000.0

static struct fx *mk(double rate, enum fx_type type, const float *p)
{
	struct fx *fx = fx_new(rate, MAX_RATE);
	if (!fx) {
		fprintf(stderr, "test_fx: fx_new failed\n");
		exit(2);
	}
	for (unsigned k = 0; k < FXP_COUNT; k++) {
		fx_set(fx, (enum fx_param)k, p[k]);
		fx_jump(fx, (enum fx_param)k);
	}
	fx_set_type(fx, type);
	/* the type's crossfade in from off runs on silence */
	static float z[JMX_CHUNK], o[2][JMX_CHUNK];
	for (unsigned t = 0; t < (unsigned)(0.05 * rate); t += JMX_CHUNK)
		fx_process(fx, z, z, o[0], o[1], JMX_CHUNK);
	return fx;
}

static void render(struct fx *fx, const float *il, const float *ir, float *ol, float * or, size_t n)
{
	for (size_t t = 0; t < n; t += JMX_CHUNK) {
		unsigned k = n - t < JMX_CHUNK ? (unsigned)(n - t) : JMX_CHUNK;
		fx_process(fx, il + t, ir + t, ol + t, or +t, k);
	}
}

static void defaults(float *p)
{
	p[FXP_DECAY_S] = 2, p[FXP_PREDELAY_MS] = 0, p[FXP_DAMP_HZ] = 8000, p[FXP_LOWCUT_HZ] = 20;
	p[FXP_SIZE] = 0.5f, p[FXP_WIDTH] = 1, p[FXP_TIME_MS] = 250, p[FXP_FEEDBACK] = 0.5f;
	p[FXP_PINGPONG] = 0, p[FXP_SYNC] = 0, p[FXP_DIVISION] = 4, p[FXP_RATE_HZ] = 0.8f;
	p[FXP_DEPTH_MS] = 3;
}

static float *fbuf(size_t n)
{
	float *b = calloc(n, sizeof *b);
	if (!b) {
		fprintf(stderr, "test_fx: out of memory\n");
		exit(2);
	}
	return b;
}

/* ---- RT60: octave band at 1 kHz, Schroeder integration, T30 (fx_ref.h) ---- */

static void test_rt60(void)
{
	static const double rates[] = {44100, 48000, 96000};
	static const double decays[] = {0.3, 1, 3, 8};
	for (unsigned r = 0; r < 3; r++)
		for (unsigned d = 0; d < 4; d++) {
			float p[FXP_COUNT];
			defaults(p);
			p[FXP_DECAY_S] = (float)decays[d];
			struct fx *fx = mk(rates[r], FX_REVERB, p);
			size_t n = (size_t)((decays[d] + 0.5) * rates[r]);
			float *il = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
			il[0] = 1;
			render(fx, il, il, ol, or, n);
			double tl = fxref_rt60_1k(ol, n, rates[r]), tr = fxref_rt60_1k(or, n, rates[r]);
			printf("reverb %5.0f Hz decay %4.1f s: RT60(1k) L %.3f s, R %.3f s\n", rates[r],
			       decays[d], tl, tr);
			CHECK(fabs(tl / decays[d] - 1) <= 0.10, "RT60 L at %g Hz: %.3f s for %.2f s",
			      rates[r], tl, decays[d]);
			CHECK(fabs(tr / decays[d] - 1) <= 0.10, "RT60 R at %g Hz: %.3f s for %.2f s",
			      rates[r], tr, decays[d]);
			free(il), free(ol), free(or);
			fx_free(fx);
		}
	/* the ends of the range, and the sizes' ends, at 48 kHz */
	static const float ends[][2] = {{0.2f, 0.5f}, {10, 0.5f}, {2, 0}, {2, 1}, {0.2f, 1}, {10, 0}};
	for (unsigned k = 0; k < sizeof ends / sizeof *ends; k++) {
		float q[FXP_COUNT];
		defaults(q);
		q[FXP_DECAY_S] = ends[k][0], q[FXP_SIZE] = ends[k][1];
		struct fx *fe = mk(48000, FX_REVERB, q);
		size_t n = (size_t)((ends[k][0] + 0.5) * 48000);
		float *il = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
		il[0] = 1;
		render(fe, il, il, ol, or, n);
		double tl = fxref_rt60_1k(ol, n, 48000), tr = fxref_rt60_1k(or, n, 48000);
		printf("reverb 48000 Hz decay %4.1f s size %.1f: RT60(1k) L %.3f s, R %.3f s\n",
		       (double)ends[k][0], (double)ends[k][1], tl, tr);
		CHECK(fabs(tl / ends[k][0] - 1) <= 0.10 && fabs(tr / ends[k][0] - 1) <= 0.10,
		      "RT60 %.3f / %.3f s for %.1f s at size %.1f", tl, tr, (double)ends[k][0],
		      (double)ends[k][1]);
		free(il), free(ol), free(or);
		fx_free(fe);
	}
	/* damp shortens the top: the 8 kHz octave decays faster than 1 kHz
	 * with damp at 4 kHz (the RT60 is half of the setting at 4 kHz, less above) */
	float p[FXP_COUNT];
	defaults(p);
	p[FXP_DECAY_S] = 2, p[FXP_DAMP_HZ] = 4000;
	struct fx *fx = mk(48000, FX_REVERB, p);
	size_t n = 3 * 48000;
	float *il = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	il[0] = 1;
	render(fx, il, il, ol, or, n);
	double t1 = fxref_rt60_1k(ol, n, 48000);
	/* the same band measurement at 8 kHz: resample the idea by running
	 * the analysis at a rate 8 times lower (the band moves to 8 kHz) */
	double t8 = fxref_rt60_1k(ol, n, 6000) / 8;
	printf("reverb damp 4 kHz: RT60 1 kHz %.3f s, 8 kHz %.3f s\n", t1, t8);
	CHECK(fabs(t1 / 2 - 1) <= 0.10, "RT60 at 1 kHz with damp 4 kHz: %.3f", t1);
	CHECK(t8 < 0.5 * t1, "RT60 at 8 kHz %.3f not under half of 1 kHz's %.3f", t8, t1);
	free(il), free(ol), free(or);
	fx_free(fx);
}

/* ---- pre-delay, correlation, width ---- */

static void test_predelay_at(double rate)
{
	static const double ms[] = {1, 37.5, 123.4, 200};
	const size_t n = (size_t)(0.5 * rate), t0 = 100;
	float p[FXP_COUNT];
	defaults(p);
	struct fx *ref = mk(rate, FX_REVERB, p);
	float *il = fbuf(n), *r0l = fbuf(n), *r0r = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	il[t0] = 1;
	render(ref, il, il, r0l, r0r, n);
	size_t first0 = 0;
	while (first0 < n && r0l[first0] == 0 && r0r[first0] == 0)
		first0++;
	/* without pre-delay the first sound is the network's shortest line
	 * (29.3 ms at size factor 0.3 + 1.2 size, fx_reverb.c) after the
	 * impulse: the all-passes pass part of it at once */
	size_t m0 = (size_t)lround(29.3e-3 * (0.3 + 1.2 * 0.5) * rate);
	CHECK(first0 == t0 + m0, "pre-delay 0: first output at %zu, want %zu", first0 - t0, m0);
	for (unsigned k = 0; k < 4; k++) {
		p[FXP_PREDELAY_MS] = (float)ms[k];
		struct fx *fx = mk(rate, FX_REVERB, p);
		render(fx, il, il, ol, or, n);
		size_t P = (size_t)lround(ms[k] * 1e-3 * rate), first = 0, diff = 0;
		while (first < n && ol[first] == 0 && or [first] == 0)
			first++;
		for (size_t t = 0; t < n; t++) {
			float el = t >= P ? r0l[t - P] : 0, er = t >= P ? r0r[t - P] : 0;
			diff += ol[t] != el || or [t] != er;
		}
		CHECK(first == first0 + P, "pre-delay %g ms: first output at %zu, want %zu", ms[k], first,
		      first0 + P);
		CHECK(diff == 0, "pre-delay %g ms: %zu samples differ from the response shifted by %zu",
		      ms[k], diff, P);
		fx_free(fx);
	}
	free(il), free(r0l), free(r0r), free(ol), free(or);
	fx_free(ref);
}

static void test_predelay(void)
{
	test_predelay_at(44100);
	test_predelay_at(48000);
	test_predelay_at(96000);
}

static double corr(const float *a, const float *b, size_t from, size_t to)
{
	double ab = 0, aa = 0, bb = 0;
	for (size_t t = from; t < to; t++)
		ab += (double)a[t] * b[t], aa += (double)a[t] * a[t], bb += (double)b[t] * b[t];
	return ab / sqrt(aa * bb + 1e-300);
}

static void test_correlation(void)
{
	const double rate = 48000;
	const size_t n = 2 * 48000;
	float p[FXP_COUNT];
	defaults(p);
	float *il = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	il[0] = 1;
	static const double decays[] = {0.5, 2, 8};
	for (unsigned k = 0; k < 3; k++) {
		p[FXP_DECAY_S] = (float)decays[k];
		struct fx *fx = mk(rate, FX_REVERB, p);
		render(fx, il, il, ol, or, n);
		double r = corr(ol, or, (size_t)(0.05 * rate), n);
		printf("reverb decay %g s: L/R correlation of the tail %.3f\n", decays[k], r);
		CHECK(fabs(r) < 0.3, "L/R correlation %.3f at decay %g s", r, decays[k]);
		fx_free(fx);
	}
	p[FXP_DECAY_S] = 2, p[FXP_WIDTH] = 0;
	struct fx *fx = mk(rate, FX_REVERB, p);
	render(fx, il, il, ol, or, n);
	double r = corr(ol, or, (size_t)(0.05 * rate), n);
	CHECK(r > 0.9999, "width 0: L/R correlation %.6f, want 1", r);
	fx_free(fx);
	free(il), free(ol), free(or);
}

/* ---- denormals ---- */

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static unsigned long subnormals(const float *x, size_t n)
{
	unsigned long k = 0;
	for (size_t t = 0; t < n; t++)
		k += fpclassify(x[t]) == FP_SUBNORMAL;
	return k;
}

/* Renders n frames by chunks; the least CPU time a chunk took, which
 * other load on the machine does not raise (a subnormal in the chunk's
 * work does, every time). */
static double block_cost(struct fx *fx, const float *il, const float *ir, float *ol, float * or, size_t n)
{
	double least = 1e9;
	for (size_t t = 0; t < n; t += JMX_CHUNK) {
		double c0 = cpu_now();
		fx_process(fx, il + t, ir + t, ol + t, or +t, JMX_CHUNK);
		double c = cpu_now() - c0;
		least = c < least ? c : least;
	}
	return least;
}

/* One second of noise then `secs` of silence; per second: CPU time and
 * subnormal outputs.  The tail passes through every level down to 0 (or,
 * if something were not flushed, through the subnormal range). */
static void denormal_run(const char *what, enum fx_type type, const float *p, double secs)
{
	const double rate = 48000;
	const size_t sec = 48000;
	struct fx *fx = mk(rate, type, p);
	float *il = fbuf(sec), *ir = fbuf(sec), *z = fbuf(sec), *ol = fbuf(sec), * or = fbuf(sec);
	uint32_t s = 1;
	for (size_t t = 0; t < sec; t++) {
		s ^= s << 13, s ^= s >> 17, s ^= s << 5;
		il[t] = (float)s / 4294967296.0f - 0.5f;
		ir[t] = 0.5f * il[t] * (t & 1 ? 1.0f : -1.0f);
	}
	double loud = block_cost(fx, il, ir, ol, or, sec), worst = 0;
	unsigned long sub = subnormals(ol, sec) + subnormals(or, sec), state = 0;
	int zero = 0;
	for (unsigned k = 0; k < (unsigned)secs; k++) {
		double c = block_cost(fx, z, z, ol, or, sec);
		worst = c > worst ? c : worst;
		if (getenv("FX_VERBOSE"))
			printf("  %u s: %.2f us peak %g\n", k, 1e6 * c, peak_abs(ol, sec));
		sub += subnormals(ol, sec) + subnormals(or, sec);
		state += fx_subnormals(fx);
		zero = peak_abs(ol, sec) == 0 && peak_abs(or, sec) == 0;
	}
	printf("%s: %.0f s of silence: CPU a chunk %.2f us with signal, %.2f us in the worst silent second; "
	       "%lu subnormal outputs, %lu in the state\n",
	       what, secs, 1e6 * loud, 1e6 * worst, sub, state);
	CHECK(sub == 0, "%s: %lu subnormal output samples", what, sub);
	CHECK(state == 0, "%s: %lu subnormal values in the state", what, state);
	CHECK(zero, "%s: the tail has not reached exact 0 after %g s", what, secs);
	/* a subnormal costs some 100 cycles an operation on x86: a tail
	 * passing through them would cost several times a chunk of signal (tens of times
	 * here); other load on the machine moves the least cost of a chunk by
	 * up to half */
	CHECK(worst < 2.0 * loud, "%s: a silent chunk costs %.2f us, one with signal %.2f us", what,
	      1e6 * worst, 1e6 * loud);
	free(il), free(ir), free(z), free(ol), free(or);
	fx_free(fx);
}

static void test_denormals(void)
{
	float p[FXP_COUNT];
	defaults(p);
	/* the longest decay: -500 dB (1e-25, where fx_flush zeroes) after
	 * 83 s at 10 s RT60, lows decaying a little slower */
	p[FXP_DECAY_S] = 10, p[FXP_DAMP_HZ] = 4000;
	denormal_run("reverb 10 s", FX_REVERB, p, 150);
	defaults(p);
	p[FXP_TIME_MS] = 10, p[FXP_FEEDBACK] = 0.9f, p[FXP_DAMP_HZ] = 3000, p[FXP_PINGPONG] = 1;
	denormal_run("delay 10 ms fb 0.9", FX_DELAY, p, 20);
}

/* ---- delay ---- */

static void test_echoes(void)
{
	static const double rates[] = {44100, 48000, 96000};
	static const double ms[] = {1, 250, 333.3, 2000};
	for (unsigned r = 0; r < 3; r++)
		for (unsigned k = 0; k < 4; k++) {
			float p[FXP_COUNT];
			defaults(p);
			p[FXP_TIME_MS] = (float)ms[k], p[FXP_FEEDBACK] = 0.6f,
			p[FXP_DAMP_HZ] = (float)FX_DAMP_OFF_HZ;
			struct fx *fx = mk(rates[r], FX_DELAY, p);
			size_t D = (size_t)lround(ms[k] * 1e-3 * rates[r]), t0 = 37, n = t0 + 4 * D + 10;
			float *il = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
			il[t0] = 1;
			render(fx, il, il, ol, or, n);
			double err = 0, stray = 0;
			for (size_t t = 0; t < n; t++) {
				size_t j = t >= t0 ? t - t0 : 1;
				double want =
				    (t >= t0 && j % D == 0 && j / D >= 1) ? pow(0.6, (double)(j / D - 1)) : 0;
				if (want != 0)
					err = fmax(err, fmax(fabs(ol[t] - want), fabs(or [t] - want)));
				else
					stray = fmax(stray, fmax(fabs(ol[t]), fabs(or [t])));
			}
			CHECK(err <= 1e-6 && stray == 0,
			      "delay %g ms at %g Hz (%zu samples): echo error %.3g, output elsewhere %.3g",
			      ms[k], rates[r], D, err, stray);
			free(il), free(ol), free(or);
			fx_free(fx);
		}
	/* ping-pong: an impulse on the left, its half (the mono sum) comes
	 * back left at D, right at 2D, left at 3D, each fb lower */
	const double rate = 48000;
	float p[FXP_COUNT];
	defaults(p);
	p[FXP_TIME_MS] = 100, p[FXP_FEEDBACK] = 0.5f, p[FXP_PINGPONG] = 1,
	p[FXP_DAMP_HZ] = (float)FX_DAMP_OFF_HZ;
	struct fx *fx = mk(rate, FX_DELAY, p);
	size_t D = 4800, n = 4 * D, t0 = 5;
	float *il = fbuf(n), *z = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	il[t0] = 1;
	render(fx, il, z, ol, or, n);
	CHECK_NEAR(ol[t0 + D], 0.5, 1e-6, "ping-pong echo 1 left");
	CHECK_NEAR(or [t0 + D], 0, 0, "ping-pong echo 1 right");
	CHECK_NEAR(or [t0 + 2 * D], 0.25, 1e-6, "ping-pong echo 2 right");
	CHECK_NEAR(ol[t0 + 2 * D], 0, 0, "ping-pong echo 2 left");
	CHECK_NEAR(ol[t0 + 3 * D], 0.125, 1e-6, "ping-pong echo 3 left");
	fx_free(fx);
	/* damp: the second echo is fb times the first low-passed (one pole,
	 * DC gain 1), so its samples sum to fb and its peak is lower */
	defaults(p);
	p[FXP_TIME_MS] = 100, p[FXP_FEEDBACK] = 0.5f, p[FXP_DAMP_HZ] = 2000;
	fx = mk(rate, FX_DELAY, p);
	memset(il, 0, n * sizeof *il);
	il[t0] = 1;
	render(fx, il, il, ol, or, n);
	double sum = 0, peak = 0;
	for (size_t t = t0 + 2 * D; t < t0 + 3 * D; t++)
		sum += ol[t], peak = fmax(peak, ol[t]);
	CHECK_NEAR(ol[t0 + D], 1, 1e-6, "damped delay: the first echo is the input");
	CHECK_NEAR(sum, 0.5, 1e-4, "damped delay: the second echo's DC sum");
	CHECK(peak < 0.5 * 0.8, "damped delay: second echo's peak %.3f not darkened", peak);
	fx_free(fx);
	free(il), free(z), free(ol), free(or);
}

static void test_sync(void)
{
	static const struct {
		float bpm;
		const char *div;
	} cases[] = {{120, "1/8d"}, {120, "1/4"}, {97, "1/4t"}, {140, "1/16"},
	             {100, "1/2d"}, {60, "1/2d"}, {174, "1/8t"}};
	const double rate = 48000;
	for (unsigned k = 0; k < sizeof cases / sizeof *cases; k++) {
		double beats = 0;
		int d = fxref_division(cases[k].div, &beats);
		CHECK(d >= 0, "division %s not in FX_DIVISIONS", cases[k].div);
		CHECK_NEAR(fx_division_beats((unsigned)d), beats, 1e-12, cases[k].div);
		float p[FXP_COUNT];
		defaults(p);
		p[FXP_SYNC] = 1, p[FXP_DIVISION] = (float)d, p[FXP_TIME_MS] = 700, p[FXP_FEEDBACK] = 0;
		p[FXP_DAMP_HZ] = (float)FX_DAMP_OFF_HZ;
		/* held at the longest time: 60 BPM 1/2d (3 s) plays 2 s */
		size_t D = (size_t)lround(fmin(60.0 / cases[k].bpm * beats, FX_TIME_MAX_MS * 1e-3) * rate),
		       n = D + 200;
		/* mk sets the type after the parameters; the tempo goes first */
		struct fx *fx = fx_new(rate, MAX_RATE);
		fx_set_tempo(fx, cases[k].bpm);
		for (unsigned j = 0; j < FXP_COUNT; j++)
			fx_set(fx, (enum fx_param)j, p[j]), fx_jump(fx, (enum fx_param)j);
		fx_set_type(fx, FX_DELAY);
		const size_t len = n + 72000;
		float *il = fbuf(len), *ol = fbuf(len), * or = fbuf(len);
		render(fx, il, il, ol, or, 4096); /* the fade in from off */
		il[10] = 1;
		render(fx, il, il, ol, or, n);
		size_t at = 0;
		while (at < n && ol[at] == 0)
			at++;
		CHECK(at == 10 + D, "sync %g BPM %s: echo at %zu samples, want %zu", (double)cases[k].bpm,
		      cases[k].div, at - 10, D);
		if (k == 0)
			CHECK(D == 18000, "120 BPM 1/8d is 375 ms = 18000 samples at 48 kHz, computed %zu",
			      D);
		/* no tempo: the set time */
		fx_set_tempo(fx, 0);
		memset(il, 0, len * sizeof *il);
		render(fx, il, il, ol, or, 72000); /* the crossfade to the set time, the old echo gone */
		size_t D2 = (size_t)lround(0.7 * rate);
		float *l2 = fbuf(D2 + 100), *r2 = fbuf(D2 + 100), *i2 = fbuf(D2 + 100);
		i2[10] = 1;
		render(fx, i2, i2, l2, r2, D2 + 100);
		at = 0;
		while (at < D2 + 100 && l2[at] == 0)
			at++;
		CHECK(at == 10 + D2, "sync without tempo: echo at %zu, want the set time %zu", at - 10, D2);
		free(l2), free(r2), free(i2);
		free(il), free(ol), free(or);
		fx_free(fx);
	}
}

/* ---- clicks ---- */

static void sine(float *x, size_t n, double a, double f, double rate)
{
	for (size_t t = 0; t < n; t++)
		x[t] = (float)(a * sin(2 * M_PI * f * (double)t / rate));
}

static void test_time_sweep(void)
{
	const double rate = 48000, A = 0.5, f = 220;
	const size_t n = 4 * 48000, N = (size_t)lround(FX_XFADE_MS * 1e-3 * rate);
	float p[FXP_COUNT];
	defaults(p);
	p[FXP_TIME_MS] = 100, p[FXP_FEEDBACK] = 0;
	struct fx *fx = mk(rate, FX_DELAY, p);
	float *x = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	sine(x, n, A, f, rate);
	/* 0.5 s steady, then a sweep 100 -> 1100 ms over 1 s (a new time
	 * every chunk), then jumps 1100 -> 3 -> 1500 ms */
	for (size_t t = 0; t < n; t += JMX_CHUNK) {
		double s = (double)t / rate;
		if (s >= 0.5 && s < 1.5)
			fx_set(fx, FXP_TIME_MS, (float)(100 + 1000 * (s - 0.5)));
		else if (s >= 2 && s < 2.01)
			fx_set(fx, FXP_TIME_MS, 3);
		else if (s >= 3 && s < 3.01)
			fx_set(fx, FXP_TIME_MS, 1500);
		fx_process(fx, x + t, x + t, ol + t, or +t, JMX_CHUNK);
	}
	/* the output is a crossfade of two delayed copies of the sine: its
	 * step is at most the sine's largest step plus 2 A / N */
	double in_step = 2 * A * sin(M_PI * f / rate), bound = in_step + 2 * A / (double)N;
	double got = max_step(ol, (size_t)(0.2 * rate), n);
	printf(
	    "delay time sweep: largest step %.5f, bound %.5f (sine alone %.5f; a jump would be up to %.2f)\n",
	    got, bound, in_step, 2 * A);
	CHECK(got <= bound * 1.0001, "delay time sweep: step %.5f over the bound %.5f", got, bound);
	fx_free(fx);
	free(x), free(ol), free(or);
}

static void test_type_change(void)
{
	const double rate = 48000, A = 0.5, f = 220;
	const size_t n = 48000, N = (size_t)lround(FX_XFADE_MS * 1e-3 * rate), sw = 24000;
	float p[FXP_COUNT];
	defaults(p);
	p[FXP_TIME_MS] = 10, p[FXP_FEEDBACK] = 0, p[FXP_DEPTH_MS] = 3, p[FXP_RATE_HZ] = 0.8f;
	float *x = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	sine(x, n, A, f, rate);
	/* delay -> chorus -> off.  A chorus of a sine, A sin(w (t - d(t))),
	 * steps by at most A w (1 + max |d'|), d' = 2 pi rate depth */
	double w = 2 * M_PI * f / rate, dmax = 2 * M_PI * 0.8 * 3e-3;
	double bound = A * w * (1 + dmax) * 1.01 + 2 * A / (double)N;
	struct fx *fx = mk(rate, FX_DELAY, p);
	for (size_t t = 0; t < n; t += JMX_CHUNK) {
		if (t == sw)
			fx_set_type(fx, FX_CHORUS);
		if (t == sw + 4096)
			fx_set_type(fx, FX_OFF);
		fx_process(fx, x + t, x + t, ol + t, or +t, JMX_CHUNK);
	}
	double got = fmax(max_step(ol, 2000, n), max_step(or, 2000, n));
	printf("type change delay -> chorus -> off: largest step %.5f, bound %.5f\n", got, bound);
	CHECK(got <= bound, "type change: step %.5f over the bound %.5f", got, bound);
	CHECK(peak_abs(ol + sw + 4096 + N + 64, n - sw - 4096 - N - 64) == 0,
	      "off after the change: not silent");
	fx_free(fx);
	/* reverb -> off against a reverb left on (the same input): the step
	 * is at most the reverb's own largest step plus its peak / N */
	p[FXP_DECAY_S] = 3;
	struct fx *a = mk(rate, FX_REVERB, p), *b = mk(rate, FX_REVERB, p);
	float *rl = fbuf(n), *rr = fbuf(n);
	for (size_t t = 0; t < n; t += JMX_CHUNK) {
		if (t == sw)
			fx_set_type(b, FX_OFF);
		fx_process(a, x + t, x + t, rl + t, rr + t, JMX_CHUNK);
		fx_process(b, x + t, x + t, ol + t, or +t, JMX_CHUNK);
	}
	double rb = max_step(rl, sw - 1, sw + N + 1) + peak_abs(rl + sw, N + 1) / (double)N;
	got = max_step(ol, sw - 1, n);
	printf("type change reverb -> off: largest step %.5f, bound %.5f\n", got, rb);
	CHECK(got <= rb * 1.0001, "reverb -> off: step %.5f over the bound %.5f", got, rb);
	fx_free(a), fx_free(b);
	free(rl), free(rr);
	free(x), free(ol), free(or);
}

/* Parameters swept while a sine plays.  In steady state a linear
 * effect turns a sine of f into a sine of f (amplitude P, the output's
 * peak), whose step is at most 2 P sin(pi f / fs).  A line whose length
 * glides by at most g sample a sample (the reverb's size: g = 1/32)
 * shifts f by up to the factor 1 + g a pass, and in the network the shift
 * compounds pass after pass: the signal that went round k times during
 * the glide is at f (1 + g)^k.  With the loss of at least 60 m / (T fs)
 * dB a pass (m >= 27 ms, T <= 2.5 s here: 0.65 dB) the passes beyond 4
 * carry under a quarter of the level; so the bound is the step of a sine
 * of P at f (1 + g)^4 = 1.13 f, and 2 % more for the amplitude's own slow
 * change.  A parameter applied as a jump steps by a good part of P. */
static void test_param_sweeps(void)
{
	const double rate = 48000, A = 0.3, f = 220;
	const size_t n = 9 * 48000, from = 3 * 48000;
	float *x = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	sine(x, n, A, f, rate);
	float p[FXP_COUNT];
	defaults(p);
	p[FXP_DECAY_S] = 1, p[FXP_SIZE] = 0.5f, p[FXP_DAMP_HZ] = 8000, p[FXP_LOWCUT_HZ] = 50;
	/* reverb: 3 s to settle, then a new value set at once every 0.5 s
	 * (the effect smooths it): size 1, lowcut 600 Hz, damp 1.5 kHz,
	 * decay 2.5 s, width 0, size 0.2, lowcut 50 Hz, damp 8 kHz, width 1,
	 * decay 1 s (pre-delay jumps are the delay line's crossfade, which
	 * the delay's time-sweep test checks) */
	struct fx *fx = mk(rate, FX_REVERB, p);
	static const struct {
		enum fx_param p;
		float v;
	} jumps[] = {{FXP_SIZE, 1},  {FXP_LOWCUT_HZ, 600}, {FXP_DAMP_HZ, 1500}, {FXP_DECAY_S, 2.5f},
	             {FXP_WIDTH, 0}, {FXP_SIZE, 0.2f},     {FXP_LOWCUT_HZ, 50}, {FXP_DAMP_HZ, 8000},
	             {FXP_WIDTH, 1}, {FXP_DECAY_S, 1}};
	for (size_t t = 0; t < n; t += JMX_CHUNK) {
		if (t >= from && (t - from) % 24000 < JMX_CHUNK &&
		    (t - from) / 24000 < sizeof jumps / sizeof jumps[0])
			fx_set(fx, jumps[(t - from) / 24000].p, jumps[(t - from) / 24000].v);
		fx_process(fx, x + t, x + t, ol + t, or +t, JMX_CHUNK);
	}
	double P = fmax(peak_abs(ol + from, n - from), peak_abs(or +from, n - from));
	double bound = 2 * P * sin(M_PI * f * pow(1 + 1.0 / 32, 4) / rate) * 1.02;
	double got = fmax(max_step(ol, from, n), max_step(or, from, n));
	printf("reverb parameter jumps: largest step %.5f, bound %.5f (peak %.3f)\n", got, bound, P);
	CHECK(got <= bound, "reverb sweeps: step %.5f over the bound %.5f", got, bound);
	fx_free(fx);
	/* chorus: depth set at once 1 -> 20 -> 1 ms, rate 0.2 -> 4 Hz.  The
	 * effect moves depth one pole per chunk (coefficient k, dsp.h's
	 * 10 ms), interpolated across the chunk: at most k 19 ms a chunk.  The
	 * delay d = base + depth (1 + sin) then moves at most
	 * 2 depth' + depth 2 pi rate (s/s), and a sine's step is at most
	 * A w (1 + |d'|), 1 % more for Hermite's error */
	defaults(p);
	p[FXP_DEPTH_MS] = 1, p[FXP_RATE_HZ] = 0.2f;
	fx = mk(rate, FX_CHORUS, p);
	for (size_t t = 0; t < n; t += JMX_CHUNK) {
		if (t == from)
			fx_set(fx, FXP_DEPTH_MS, 20), fx_set(fx, FXP_RATE_HZ, 4);
		if (t == from + 48000)
			fx_set(fx, FXP_DEPTH_MS, 1);
		fx_process(fx, x + t, x + t, ol + t, or +t, JMX_CHUNK);
	}
	double k = 1 - exp(-(double)JMX_CHUNK / (JMX_SMOOTH_TAU_MS * 1e-3 * rate));
	double dmax = 2 * (k * 19e-3) / (JMX_CHUNK / rate) + 20e-3 * 2 * M_PI * 4;
	bound = A * 2 * M_PI * f / rate * (1 + dmax) * 1.01;
	got = fmax(max_step(ol, 4096, n), max_step(or, 4096, n));
	printf("chorus depth and rate jumps: largest step %.5f, bound %.5f\n", got, bound);
	CHECK(got <= bound, "chorus sweeps: step %.5f over the bound %.5f", got, bound);
	fx_free(fx);
	free(x), free(ol), free(or);
}

/* A change asked for during a crossfade waits for its end, and the
 * latest one wins: delay -> chorus, then at once off: silent from two
 * crossfades on; delay -> off, then at once delay again: it plays. */
static void test_type_queue(void)
{
	const double rate = 48000;
	const size_t N = (size_t)lround(FX_XFADE_MS * 1e-3 * rate), n = 48000;
	float p[FXP_COUNT];
	defaults(p);
	p[FXP_TIME_MS] = 10, p[FXP_FEEDBACK] = 0;
	float *x = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	sine(x, n, 0.5, 220, rate);
	static const enum fx_type seq[2][2] = {{FX_CHORUS, FX_OFF}, {FX_OFF, FX_DELAY}};
	for (unsigned k = 0; k < 2; k++) {
		struct fx *fx = mk(rate, FX_DELAY, p);
		for (size_t t = 0; t < n; t += JMX_CHUNK) {
			if (t == 4096)
				fx_set_type(fx, seq[k][0]);
			if (t == 4096 + JMX_CHUNK)
				fx_set_type(fx, seq[k][1]);
			fx_process(fx, x + t, x + t, ol + t, or +t, JMX_CHUNK);
		}
		/* after both crossfades (whole chunks each) and the delay's 10 ms */
		size_t after = 4096 + 2 * (N + JMX_CHUNK) + 480 + JMX_CHUNK;
		double peak = peak_abs(ol + after, n - after);
		if (seq[k][1] == FX_OFF)
			CHECK(peak == 0, "delay -> chorus -> off asked at once: peak %g after both fades",
			      peak);
		else
			CHECK(peak > 0.49,
			      "delay -> off -> delay asked at once: peak %g, want the delayed sine's 0.5",
			      peak);
		fx_free(fx);
	}
	free(x), free(ol), free(or);
}

/* ---- chorus ---- */

static void test_chorus(void)
{
	const double rate = 48000, base = FX_CHORUS_BASE_MS * 1e-3 * rate, depth = 4e-3 * rate, hz = 2;
	float p[FXP_COUNT];
	defaults(p);
	p[FXP_DEPTH_MS] = 4, p[FXP_RATE_HZ] = (float)hz;
	struct fx *fx = fx_new(rate, MAX_RATE);
	for (unsigned j = 0; j < FXP_COUNT; j++)
		fx_set(fx, (enum fx_param)j, p[j]), fx_jump(fx, (enum fx_param)j);
	fx_set_type(fx, FX_CHORUS);
	/* the LFO starts at the call that switches the type: sample j of
	 * the stream reads at phase (j + 1) w.  Impulses along a period. */
	const size_t n = 48000;
	float *il = fbuf(n), *ol = fbuf(n), * or = fbuf(n);
	for (size_t t0 = 2000; t0 < n - 2000; t0 += 1500)
		il[t0] = 1;
	render(fx, il, il, ol, or, n);
	double w = 2 * M_PI * hz / rate, worst = 0;
	for (size_t t0 = 2000; t0 < n - 2000; t0 += 1500) {
		/* the read time t solves t - t0 = base + depth (1 + sin((t + 1) w)) */
		double t = t0 + base + depth;
		for (int it = 0; it < 50; it++)
			t = t0 + base + depth * (1 + sin((t + 1) * w));
		/* the response's centroid in the left output */
		double s = 0, st = 0;
		for (size_t u = t0; u < t0 + 1000; u++)
			s += ol[u], st += ol[u] * (double)u;
		worst = fmax(worst, fabs(st / s - t));
	}
	printf("chorus: impulse delays follow base + depth (1 + sin) within %.3f samples\n", worst);
	CHECK(worst < 0.5, "chorus delay off its law by %.3f samples", worst);
	fx_free(fx);
	free(il), free(ol), free(or);
}

/* ---- NaN ---- */

static void test_nan(void)
{
	const double rate = 48000;
	for (enum fx_type ty = FX_REVERB; ty <= FX_CHORUS; ty++) {
		float p[FXP_COUNT];
		defaults(p);
		struct fx *fx = mk(rate, ty, p);
		float x[JMX_CHUNK], ol[JMX_CHUNK], or [JMX_CHUNK];
		sine(x, JMX_CHUNK, 0.5, 440, rate);
		for (int k = 0; k < 200; k++)
			fx_process(fx, x, x, ol, or, JMX_CHUNK);
		float bad[JMX_CHUNK];
		memcpy(bad, x, sizeof bad);
		bad[3] = NAN, bad[9] = INFINITY, bad[20] = -INFINITY, bad[21] = 1e30f;
		fx_set(fx, FXP_DECAY_S, NAN);
		fx_set(fx, FXP_TIME_MS, INFINITY);
		fx_process(fx, bad, bad, ol, or, JMX_CHUNK);
		int finite = 1;
		for (unsigned t = 0; t < JMX_CHUNK; t++)
			finite &= isfinite(ol[t]) && isfinite(or [t]) && fabsf(ol[t]) < 1e4f;
		CHECK(finite, "type %d: the call with NaN/inf input gave non-finite output", ty);
		double peak = 0;
		for (int k = 0; k < 400; k++) {
			fx_process(fx, x, x, ol, or, JMX_CHUNK);
			for (unsigned t = 0; t < JMX_CHUNK; t++) {
				finite &= isfinite(ol[t]) && isfinite(or [t]);
				peak = fmax(peak, fabs(ol[t]));
			}
		}
		/* the 1e30 sample comes back clamped to JMX_INPUT_LIMIT */
		CHECK(finite && peak > 0.01 && peak <= 1.01 * JMX_INPUT_LIMIT,
		      "type %d after NaN: finite %d, peak %g", ty, finite, peak);
		fx_free(fx);
	}
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
#define RUN(name)                                                                                            \
	if (!only || !strcmp(only, #name))                                                                   \
	test_##name()
	RUN(echoes);
	RUN(sync);
	RUN(time_sweep);
	RUN(type_change);
	RUN(type_queue);
	RUN(chorus);
	RUN(param_sweeps);
	RUN(nan);
	RUN(predelay);
	RUN(correlation);
	RUN(rt60);
	RUN(denormals);
	return test_exit("test_fx");
}
