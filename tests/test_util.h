/*
 * test_util.h - assertions and measurement helpers for the offline tests.
 *
 * Every check prints file:line and the values on failure and counts it;
 * a test's main returns test_exit().  Measurements are computed here,
 * independently of the code under test (no calls into src/ DSP helpers).
 */
#ifndef JMX_TEST_UTIL_H
#define JMX_TEST_UTIL_H

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static int test_failures;
static int test_checks;

#define CHECK(cond, ...)                                                                                     \
	do {                                                                                                 \
		test_checks++;                                                                               \
		if (!(cond)) {                                                                               \
			test_failures++;                                                                     \
			fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);                     \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fputc('\n', stderr);                                                                 \
		}                                                                                            \
	} while (0)

/* |a - b| <= tol, with a message naming what was compared. */
#define CHECK_NEAR(a, b, tol, what)                                                                          \
	do {                                                                                                 \
		double a_ = (a), b_ = (b), t_ = (tol);                                                       \
		CHECK(fabs(a_ - b_) <= t_, "%s: got %.6g, want %.6g +- %.3g", what, a_, b_, t_);             \
	} while (0)

static inline int test_exit(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
	return test_failures ? 1 : 0;
}

static inline double db20(double x)
{
	return 20.0 * log10(x > 1e-30 ? x : 1e-30);
}

/* Amplitude of the component at hz in x[0..n) by correlation with a
 * quadrature pair (exact for a whole number of cycles). */
static inline double tone_amplitude(const float *x, size_t n, double hz, double rate)
{
	double re = 0, im = 0;
	for (size_t i = 0; i < n; i++) {
		double ph = 2.0 * M_PI * hz * (double)i / rate;
		re += x[i] * cos(ph);
		im += x[i] * sin(ph);
	}
	return 2.0 * sqrt(re * re + im * im) / (double)n;
}

/* Amplitude of the sine at f in x[0..n), by a least-squares fit of
 * a cos + b sin (exact for a pure tone whatever the window holds: no
 * leakage from a fraction of a cycle or from the tone's image near
 * Nyquist). */
static inline double tone_fit_amplitude(const float *x, size_t n, double f, double rate)
{
	double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0, w = 2.0 * M_PI * f / rate;
	/* the phasor by rotation, exact again every 256 samples: two libm
	 * calls a sample would make this test slow and add nothing */
	double c = 1, s = 0, rc = cos(w), rs = sin(w);
	for (size_t i = 0; i < n; i++) {
		if ((i & 255) == 0)
			c = cos(w * (double)i), s = sin(w * (double)i);
		cc += c * c, ss += s * s, cs += c * s;
		xc += x[i] * c, xs += x[i] * s;
		double t = c * rc - s * rs;
		s = s * rc + c * rs;
		c = t;
	}
	double det = cc * ss - cs * cs;
	double a = (xc * ss - xs * cs) / det, b = (xs * cc - xc * cs) / det;
	return sqrt(a * a + b * b);
}

/* tone_amplitude of a steady tone captured through JACK, robust to an
 * xrun in the capture: the median of the fits over five fifths of x.  A
 * period the dummy driver skipped is a phase jump that spoils the fit of
 * the window it falls in (at most two of the five for one or two jumps);
 * a steady amplitude is the same in every window, so the median is it.
 * Exact when a fifth of n is a whole number of cycles. */
static inline double tone_amplitude_steady(const float *x, size_t n, double hz, double rate)
{
	double w[5];
	size_t m = n / 5;
	for (int k = 0; k < 5; k++) {
		double v = tone_amplitude(x + (size_t)k * m, m, hz, rate);
		int j = k;
		for (; j > 0 && w[j - 1] > v; j--)
			w[j] = w[j - 1];
		w[j] = v;
	}
	return w[2];
}

/* The X32 fader law of the engine issue, from its definition (four
 * linear segments in dB; -90 is off), and its inverse by bisection, so
 * that no test takes the daemon's own inverse on trust. */
/* Largest sample-to-sample step |x[i] - x[i-1]| in x[from, to): the
 * measure of a click the smoothing and crossfade tests bound. */
static inline double max_step(const float *x, size_t from, size_t to)
{
	double m = 0;
	for (size_t i = from + 1; i < to; i++)
		m = fmax(m, fabs((double)x[i] - x[i - 1]));
	return m;
}

static inline double x32_to_db(double f)
{
	if (f <= 0)
		return -90;
	if (f >= 1)
		return 10;
	if (f >= 0.5)
		return 40 * f - 30;
	if (f >= 0.25)
		return 80 * f - 50;
	if (f >= 0.0625)
		return 160 * f - 70;
	return 480 * f - 90;
}

static inline double x32_from_db(double db)
{
	double lo = 0, hi = 1;
	if (db <= -90)
		return 0;
	for (int k = 0; k < 60; k++) {
		double mid = (lo + hi) / 2;
		if (x32_to_db(mid) < db)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* For the integration tools: after a measurement an xrun spoiled, wait
 * until *count (the tool's xrun counter, bumped by JACK's xrun callback)
 * has stood still for quiet_ms, at most max_ms.  A loaded machine (a
 * sanitizer build beside the test) has xrun storms of several seconds;
 * retrying at once would spend every retry inside one storm.  Returns 1
 * when it got quiet. */
static inline int xrun_calm(atomic_uint *count, unsigned quiet_ms, unsigned max_ms)
{
	const struct timespec step = {0, 50 * 1000000L};
	unsigned still = 0, waited = 0, n = atomic_load(count);
	while (still < quiet_ms) {
		if (waited >= max_ms)
			return 0;
		nanosleep(&step, NULL);
		waited += 50;
		unsigned m = atomic_load(count);
		still = m == n ? still + 50 : 0;
		n = m;
	}
	return 1;
}

static inline double rms(const float *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return n ? sqrt(s / (double)n) : 0;
}

static inline double peak_abs(const float *x, size_t n)
{
	double p = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(x[i]) > p)
			p = fabs(x[i]);
	return p;
}

/* True peak by 8x oversampling with a long Kaiser-windowed sinc (64 taps a
 * phase): independent of the limiter's own detector. */
static inline double tu_bessel_i0(double v)
{
	double s = 1, t = 1;
	for (int k = 1; k < 40; k++) {
		t *= (v / 2) / k;
		s += t * t;
	}
	return s;
}

static inline double true_peak_8x(const float *x, size_t n)
{
	enum { OS = 8, HALF = 32 };
	const double beta = 8.0;
	double kern[OS][2 * HALF];
	double i0b = tu_bessel_i0(beta);
	for (int p = 1; p < OS; p++) {
		double frac = (double)p / OS;
		for (int k = -HALF + 1; k <= HALF; k++) {
			double t = (double)k - frac; /* distance from the sample */
			double sinc = sin(M_PI * t) / (M_PI * t);
			double r = t / HALF;
			double w = fabs(r) >= 1.0 ? 0.0 : tu_bessel_i0(beta * sqrt(1.0 - r * r)) / i0b;
			kern[p][k + HALF - 1] = sinc * w;
		}
	}
	double peak = peak_abs(x, n);
	for (size_t i = 0; i + 1 < n; i++) {
		for (int p = 1; p < OS; p++) {
			double acc = 0;
			for (int k = -HALF + 1; k <= HALF; k++) {
				long j = (long)i + k;
				if (j < 0 || j >= (long)n)
					continue;
				acc += x[j] * kern[p][k + HALF - 1];
			}
			if (fabs(acc) > peak)
				peak = fabs(acc);
		}
	}
	return peak;
}

static inline void fill_sine(float *x, size_t n, double amp, double hz, double rate, double phase)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(amp * sin(2.0 * M_PI * hz * (double)i / rate + phase));
}

#endif
