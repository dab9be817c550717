/*
 * test_gen.c - the console utilities offline, against maths computed
 * here: the oscillator (dsp/gen.c) alone and through the mixer, talkback
 * routing and the monitor's dim, mono and cut, and the master's
 * correlation and mono-loss meter (dsp/corr.c).
 *
 * - Sine: level by a DFT over a whole number of cycles, exact to 0.01 dB;
 *   THD from the DFT of harmonics 2..10, below -100 dB.
 * - Pink: third-octave band powers from 40 Hz to 16 kHz (Welch, Hann,
 *   over 175 s): a PSD of K/f puts K ln(2^(1/3)) in every band, so they
 *   must be equal, within +-0.5 dB of their mean; white noise's PSD flat
 *   within the same bound.  RMS = that of the sine of the same level.
 * - On, off and a change of destination are click-free: no step between
 *   samples larger than a ramped sine can make.
 * - Correlation +1 for mono, -1 for inverted, 0 within 5 sigma for
 *   independent white noise (sigma = 1 / sqrt(2 tau rate) for the
 *   exponential window of time constant tau); mono loss 0 dB for mono,
 *   3.01 dB for one side alone, 10 log10(0.625 / 0.5625) for R = L / 2,
 *   the table's maximum for inverted.
 *
 * Threads: the test's main thread plays the control and RT threads in
 * turn, as tests/mixer_rig.h does.
 */
#include <stdint.h>
#include <string.h>

#include "corr.h"
#include "gen.h"
#include "mixer.h"
#include "role.h"
#include "test_util.h"

/* ---- a mixer with talk_in, on whole-run buffers --------------------- */

struct trig {
	struct mixer *m;
	unsigned nin, nout;
	float **in, **out;
	size_t len;
};

static struct trig trig_open(unsigned mono, unsigned stereo, unsigned buses, double rate, size_t len)
{
	struct trig r = {0};
	struct mixer_config cfg = {mono, stereo, buses, rate, 1};
	ROLE_SET(ROLE_CONTROL);
	r.m = mixer_new(&cfg);
	if (!r.m) {
		fprintf(stderr, "mixer_new failed\n");
		exit(1);
	}
	ROLE_SET(ROLE_RT);
	r.nin = mixer_inputs(r.m);
	r.nout = mixer_outputs(r.m);
	r.len = len;
	r.in = calloc(r.nin, sizeof *r.in);
	r.out = calloc(r.nout, sizeof *r.out);
	for (unsigned i = 0; i < r.nin; i++)
		r.in[i] = calloc(len, sizeof(float));
	for (unsigned i = 0; i < r.nout; i++)
		r.out[i] = calloc(len, sizeof(float));
	return r;
}

static void trig_free(struct trig *r)
{
	for (unsigned i = 0; i < r->nin; i++)
		free(r->in[i]);
	for (unsigned i = 0; i < r->nout; i++)
		free(r->out[i]);
	free(r->in);
	free(r->out);
	ROLE_SET(ROLE_CONTROL);
	mixer_free(r->m);
	ROLE_SET(ROLE_RT);
}

static void trig_set(struct trig *r, enum param_id id, unsigned i1, float v)
{
	struct rt_msg msg = {(uint16_t)id, (uint16_t)i1, 0, RT_SET, v, 0.0f};
	mixer_apply(r->m, &msg);
}

/* Render frames [from, to) in periods of 256. */
static void trig_run(struct trig *r, size_t from, size_t to)
{
	const float *ip[JMX_MAX_CHANNELS * 2 + 1];
	float *op[4 + 2 * JMX_MAX_BUSES];
	for (size_t pos = from; pos < to;) {
		unsigned n = to - pos < 256 ? (unsigned)(to - pos) : 256;
		for (unsigned i = 0; i < r->nin; i++)
			ip[i] = r->in[i] + pos;
		for (unsigned i = 0; i < r->nout; i++)
			op[i] = r->out[i] + pos;
		mixer_process(r->m, ip, op, n);
		pos += n;
	}
}

static double peak_of(const float *x, size_t n)
{
	double p = 0;
	for (size_t i = 0; i < n; i++)
		p = fabs(x[i]) > p ? fabs(x[i]) : p;
	return p;
}

/* ---- sine: level and THD --------------------------------------------- */

static void sine_case(double rate, double hz, float db)
{
	const size_t len = (size_t)(2 * rate), n = (size_t)rate; /* measure the last second */
	struct trig r = trig_open(1, 0, 2, rate, len);
	char what[96];
	trig_set(&r, P_GEN_HZ, 0, (float)hz);
	trig_set(&r, P_GEN_LEVEL, 0, db);
	trig_set(&r, P_GEN_ON, 0, 1);
	trig_run(&r, 0, len);
	const float *x = r.out[0] + (len - n);
	double a = pow(10.0, db / 20.0), a1 = tone_amplitude(x, n, hz, rate), h = 0;
	snprintf(what, sizeof what, "sine %.0f Hz %.1f dBFS at %.0f Hz: level dB", hz, db, rate);
	CHECK_NEAR(db20(a1), db20(a), 0.01, what);
	for (int k = 2; k <= 10 && k * hz < rate / 2; k++) {
		double ak = tone_amplitude(x, n, k * hz, rate);
		h += ak * ak;
	}
	double thd = 10 * log10(h / (a1 * a1) + 1e-30);
	CHECK(thd < -100.0, "sine %.0f Hz: THD %.1f dB, want < -100", hz, thd);
	printf("sine %.0f Hz at %.0f Hz: level %+.4f dB off, THD %.1f dB\n", hz, rate, db20(a1) - db20(a),
	       thd);
	CHECK(peak_of(r.out[1], len) > 0.9 * a, "master R carries the oscillator too");
	CHECK(peak_of(r.out[4], len) == 0.0, "bus 1 silent while the oscillator goes to master");
	trig_free(&r);
}

/* ---- noise spectra ---------------------------------------------------- */

static void fft(double *re, double *im, unsigned n)
{
	for (unsigned i = 1, j = 0; i < n; i++) {
		unsigned bit = n >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			double t = re[i];
			re[i] = re[j], re[j] = t;
			t = im[i], im[i] = im[j], im[j] = t;
		}
	}
	for (unsigned len = 2; len <= n; len <<= 1) {
		double a = -2 * M_PI / len;
		for (unsigned i = 0; i < n; i += len)
			for (unsigned k = 0; k < len / 2; k++) {
				double wr = cos(a * k), wi = sin(a * k);
				double *ur = &re[i + k], *ui = &im[i + k], *vr = &re[i + k + len / 2],
				       *vi = &im[i + k + len / 2];
				double tr = *vr * wr - *vi * wi, ti = *vr * wi + *vi * wr;
				*vr = *ur - tr, *vi = *ui - ti;
				*ur += tr, *ui += ti;
			}
	}
}

#define NFFT   32768u
#define NBANDS 27 /* third octaves 1000 * 2^(k/3), k = -14 .. 12: 39.4 Hz .. 16 kHz */

/* Welch PSD of x (Hann, 50 % overlap) in third-octave bands, against a
 * PSD of 1/f (pink[k]) and a flat one (white[k]): the band's power over
 * what that PSD puts into the same FFT bins, so the bins' quantisation
 * of the band edges cancels; either is the same in every band when x has
 * that spectrum. */
static void bands(const float *x, size_t len, double rate, double pink[NBANDS], double white[NBANDS])
{
	static double re[NFFT], im[NFFT], psd[NFFT / 2];
	memset(psd, 0, sizeof psd);
	for (size_t s = 0; s + NFFT <= len; s += NFFT / 2) {
		for (unsigned i = 0; i < NFFT; i++) {
			double w = 0.5 - 0.5 * cos(2 * M_PI * i / NFFT);
			re[i] = x[s + i] * w;
			im[i] = 0;
		}
		fft(re, im, NFFT);
		for (unsigned i = 0; i < NFFT / 2; i++)
			psd[i] += re[i] * re[i] + im[i] * im[i];
	}
	for (int k = 0; k < NBANDS; k++) {
		double fc = 1000 * pow(2, (k - 14) / 3.0), lo = fc * pow(2, -1 / 6.0),
		       hi = fc * pow(2, 1 / 6.0);
		double p = 0, df = rate / NFFT, inv_f = 0, nb = 0;
		for (unsigned i = 1; i < NFFT / 2; i++)
			if (i * df >= lo && i * df < hi) {
				p += psd[i];
				inv_f += 1.0 / (i * df);
				nb++;
			}
		pink[k] = p / inv_f;
		white[k] = p / nb;
	}
}

static void noise_case(double rate)
{
	const size_t len = (size_t)1 << 23;
	float *x = malloc(len * sizeof *x);
	double band[NBANDS], dens[NBANDS], mean = 0, ms = 0, worst = 0;
	struct gen g;
	gen_init(&g, rate, 12345);
	for (size_t i = 0; i < len; i += 4096)
		gen_run(&g, GEN_PINK, x + i, 4096);
	for (size_t i = 0; i < len; i++)
		ms += (double)x[i] * x[i];
	CHECK_NEAR(10 * log10(ms / len), 20 * log10(sqrt(0.5)), 0.1, "pink RMS = a unit sine's (dB)");
	bands(x, len, rate, band, dens);
	/* band[k] is the PSD's level against 1/f: flat means -3.01 dB/octave */
	for (int k = 0; k < NBANDS; k++)
		mean += 10 * log10(band[k]) / NBANDS;
	for (int k = 0; k < NBANDS; k++) {
		double d = 10 * log10(band[k]) - mean;
		worst = fabs(d) > fabs(worst) ? d : worst;
		CHECK(fabs(d) <= 0.5, "pink at %.0f Hz: PSD x f %+.2f dB from the mean, want +-0.5",
		      1000 * pow(2, (k - 14) / 3.0), d);
	}
	printf("pink at %.0f Hz: PSD x f in third octaves 40 Hz..16 kHz within %+.2f dB of flat "
	       "(-3.01 dB/octave)\n",
	       rate, worst);

	gen_init(&g, rate, 777);
	for (size_t i = 0; i < len; i += 4096)
		gen_run(&g, GEN_WHITE, x + i, 4096);
	ms = 0;
	for (size_t i = 0; i < len; i++)
		ms += (double)x[i] * x[i];
	CHECK_NEAR(10 * log10(ms / len), 20 * log10(sqrt(0.5)), 0.02, "white RMS = a unit sine's (dB)");
	bands(x, len, rate, band, dens);
	mean = 0; /* dens[k]: the PSD itself, flat */
	for (int k = 0; k < NBANDS; k++)
		mean += 10 * log10(dens[k]) / NBANDS;
	for (int k = 0; k < NBANDS; k++)
		CHECK(fabs(10 * log10(dens[k]) - mean) <= 0.5, "white at %.0f Hz: PSD %+.2f dB from the mean",
		      1000 * pow(2, (k - 14) / 3.0), 10 * log10(dens[k]) - mean);
	free(x);
}

/* ---- click-free on, off and destination change ------------------------ */

static void click_case(void)
{
	const double rate = 48000, hz = 100;
	const size_t len = 48000;
	struct trig r = trig_open(1, 0, 2, rate, len);
	const double a = 0.5, slope = a * 2 * M_PI * hz / rate;
	/* a 5 ms switch ramp adds at most a * pi / 240 a sample (raised
	 * cosine) to the sine's own slope; a hard switch adds up to a */
	const double bound = slope + a * M_PI / (2 * 0.005 * rate) * 1.05;
	trig_set(&r, P_GEN_HZ, 0, (float)hz);
	trig_set(&r, P_GEN_LEVEL, 0, (float)db20(a));
	trig_set(&r, P_GEN_DEST, 0, 2); /* bus/1: no latency */
	trig_set(&r, P_GEN_ON, 0, 1);
	trig_run(&r, 0, 12000);
	CHECK_NEAR(peak_of(r.out[4] + 6000, 6000), a, a * 1e-3, "bus 1 carries the sine at its level");
	/* 12000 + 2.5 ms at 100 Hz: the sine at its peak, the worst moment */
	trig_run(&r, 12000, 12120);
	trig_set(&r, P_GEN_DEST, 0, 3); /* to bus/2 */
	trig_run(&r, 12120, 24000);
	trig_set(&r, P_GEN_ON, 0, 0);
	trig_run(&r, 24000, len);
	double s1 = max_step(r.out[4], 0, len), s2 = max_step(r.out[6], 0, len);
	CHECK(s1 <= bound && s2 <= bound, "destination change and off: steps %.4g %.4g, a ramp allows %.4g",
	      s1, s2, bound);
	CHECK(peak_of(r.out[6] + 30000, len - 30000) == 0.0, "off: silent");
	CHECK(peak_of(r.out[4] + 18000, 6000) < 1e-6, "bus 1 silent after the change");
	CHECK_NEAR(peak_of(r.out[6] + 18000, 6000), a, a * 1e-3, "bus 2 carries it after the change");
	printf("click-free: largest step %.4g (sine alone %.4g, ramp bound %.4g)\n", s1 > s2 ? s1 : s2, slope,
	       bound);
	trig_free(&r);
}

/* Monitor cut, mono and dim are click-free: a 100 Hz sine panned hard
 * left, switched at its peak; the same bound as click_case. */
static void mon_click_case(void)
{
	const double rate = 48000, hz = 100, a = 0.5;
	const size_t len = 48000;
	struct trig r = trig_open(1, 0, 0, rate, len);
	const double bound = a * 2 * M_PI * hz / rate + a * M_PI / (2 * 0.005 * rate) * 1.05;
	/* each switch when the sine is at its peak at the monitor output:
	 * 120 frames past a whole cycle (480), plus the master's latency */
	const size_t lat = mixer_latency(r.m), t[] = {12120 + lat, 18120 + lat, 24120 + lat, 30120 + lat};
	for (size_t i = 0; i < len; i++)
		r.in[0][i] = (float)(a * sin(2 * M_PI * hz * i / rate));
	trig_set(&r, P_CH_PAN, 0, 0);
	trig_run(&r, 0, t[0]);
	trig_set(&r, P_MON_CUT, 0, 1);
	trig_run(&r, t[0], t[1]);
	CHECK(peak_of(r.out[2] + t[1] - 3000, 3000) == 0.0, "cut: silent");
	trig_set(&r, P_MON_CUT, 0, 0);
	trig_run(&r, t[1], t[2]);
	trig_set(&r, P_MON_MONO, 0, 1);
	trig_run(&r, t[2], t[3]);
	CHECK_NEAR(peak_of(r.out[3] + t[3] - 3000, 3000), a / 2, a * 1e-3, "mono: R = L/2");
	trig_set(&r, P_MON_DIM, 0, 1);
	trig_run(&r, t[3], len);
	CHECK_NEAR(db20(peak_of(r.out[2] + len - 8000, 8000)), db20(a / 2) - 20, 0.01, "dim: -20 dB");
	double sl = max_step(r.out[2], 0, len), sr = max_step(r.out[3], 0, len);
	CHECK(sl <= bound && sr <= bound,
	      "monitor cut, uncut, mono, dim: steps %.4g %.4g, a ramp allows %.4g", sl, sr, bound);
	printf("monitor click-free: largest step %.4g (ramp bound %.4g)\n", sl > sr ? sl : sr, bound);
	trig_free(&r);
}

/* ---- talkback and the monitor ---------------------------------------- */

static void talk_case(void)
{
	const double rate = 48000, ft = 440, fc = 1000, at = 0.5, ac = 0.25;
	const size_t len = 9600, n = 4800; /* measure the last 0.1 s of each step */
	struct trig r = trig_open(1, 0, 2, rate, len);
	unsigned talk = r.nin - 1;
	CHECK(r.nin == mixer_lanes(r.m) + 1, "talk_in follows the lanes");
	for (size_t i = 0; i < len; i++) {
		r.in[0][i] = (float)(ac * sin(2 * M_PI * fc * i / rate));
		r.in[talk][i] = (float)(at * sin(2 * M_PI * ft * i / rate));
	}
	/* channel 1 to master only (centre pan: -3 dB each side) */
	const double am = ac * sqrt(0.5);
	struct {
		int on, m, b1, b2;
		float level, dim_db;
		int dim, mono, cut;
	} st[] = {
	    {0, 0, 1, 1, 0, -20, 0, 0, 0}, {1, 1, 1, 0, -6, -20, 0, 0, 0}, {1, 0, 0, 1, 0, -30, 0, 0, 0},
	    {0, 0, 1, 1, 0, -12, 1, 0, 0}, {0, 0, 1, 1, 0, -20, 0, 1, 0},  {0, 0, 1, 1, 0, -20, 0, 0, 1},
	};
	for (unsigned k = 0; k < sizeof st / sizeof st[0]; k++) {
		trig_set(&r, P_TALK_ON, 0, (float)st[k].on);
		trig_set(&r, P_TALK_DEST_MASTER, 0, (float)st[k].m);
		trig_set(&r, P_TALK_DEST, 0, (float)st[k].b1);
		trig_set(&r, P_TALK_DEST, 1, (float)st[k].b2);
		trig_set(&r, P_TALK_LEVEL, 0, st[k].level);
		trig_set(&r, P_MON_DIM_DB, 0, st[k].dim_db);
		trig_set(&r, P_MON_DIM, 0, (float)st[k].dim);
		trig_set(&r, P_MON_MONO, 0, (float)st[k].mono);
		trig_set(&r, P_MON_CUT, 0, (float)st[k].cut);
		trig_run(&r, 0, len);
		double g = st[k].on ? pow(10, st[k].level / 20.0) : 0, tol = 1e-4 + at * 1e-5;
		const size_t o = len - n;
		char w[64];
		snprintf(w, sizeof w, "step %u: talk at bus 1", k);
		CHECK_NEAR(tone_amplitude(r.out[4] + o, n, ft, rate), at * g * st[k].b1, tol, w);
		snprintf(w, sizeof w, "step %u: talk at bus 2", k);
		CHECK_NEAR(tone_amplitude(r.out[6] + o, n, ft, rate), at * g * st[k].b2, tol, w);
		snprintf(w, sizeof w, "step %u: talk at master", k);
		CHECK_NEAR(tone_amplitude(r.out[0] + o, n, ft, rate), at * g * st[k].m, tol, w);
		snprintf(w, sizeof w, "step %u: channel at master", k);
		CHECK_NEAR(tone_amplitude(r.out[0] + o, n, fc, rate), am, 1e-5, w);
		/* the monitor: master copy, dimmed while dim or talk is on */
		double md = st[k].cut ? 0 : st[k].dim || st[k].on ? pow(10, st[k].dim_db / 20.0) : 1;
		snprintf(w, sizeof w, "step %u: monitor L (dB)", k);
		if (st[k].cut) {
			CHECK(peak_of(r.out[2] + o, n) < 1e-7, "step %u: monitor cut, peak %g", k,
			      peak_of(r.out[2] + o, n));
		} else {
			CHECK_NEAR(db20(tone_amplitude(r.out[2] + o, n, fc, rate)), db20(am * md), 0.01, w);
		}
	}
	/* mono: a channel panned hard left gives (L+R)/2 = L/2 on both sides */
	trig_set(&r, P_CH_PAN, 0, 0);
	trig_set(&r, P_MON_CUT, 0, 0);
	trig_set(&r, P_MON_MONO, 0, 1);
	trig_run(&r, 0, len);
	CHECK_NEAR(tone_amplitude(r.out[0] + len - n, n, fc, rate), ac, 1e-5, "hard left at master L");
	CHECK_NEAR(tone_amplitude(r.out[1] + len - n, n, fc, rate), 0, 1e-6, "nothing at master R");
	CHECK_NEAR(db20(tone_amplitude(r.out[3] + len - n, n, fc, rate)), db20(ac / 2), 0.01,
	           "mono: monitor R = L/2");
	CHECK_NEAR(db20(tone_amplitude(r.out[2] + len - n, n, fc, rate)), db20(ac / 2), 0.01,
	           "mono: monitor L = L/2");
	trig_free(&r);
}

/* ---- correlation and mono loss --------------------------------------- */

static uint64_t rng_s = 88172645463325252ull;
static double urand(void) /* uniform on [-1, 1), independent of gen.c's */
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return (double)(rng_s >> 11) / 4503599627370496.0 - 1.0;
}

/* The meter after 3 s (10 time constants) of L, R from fn, in chunks of 64. */
static void corr_feed(double rate, void (*fn)(float *l, float *r, size_t i), float *rho, float *loss)
{
	struct corr c = {0};
	float l[64], r[64];
	float coef = (float)(1.0 - exp(-64.0 / (CORR_TAU_S * rate)));
	for (size_t i = 0; i < (size_t)(3 * rate); i += 64) {
		for (size_t j = 0; j < 64; j++)
			fn(&l[j], &r[j], i + j);
		corr_run(&c, l, r, 64, coef);
	}
	*rho = corr_value(&c);
	*loss = corr_loss_db(&c);
}

static void s_mono(float *l, float *r, size_t i)
{
	(void)i;
	*l = *r = (float)(0.3 * urand());
}
static void s_inv(float *l, float *r, size_t i)
{
	(void)i;
	*l = (float)(0.3 * urand());
	*r = -*l;
}
static void s_indep(float *l, float *r, size_t i)
{
	(void)i;
	*l = (float)(0.3 * urand());
	*r = (float)(0.3 * urand());
}
static void s_left(float *l, float *r, size_t i)
{
	*l = (float)(0.5 * sin(2 * M_PI * 1000 * i / 48000.0));
	*r = 0;
}
static void s_half(float *l, float *r, size_t i)
{
	*l = (float)(0.5 * sin(2 * M_PI * 1000 * i / 48000.0));
	*r = 0.5f * *l;
}

static void corr_case(void)
{
	const double rate = 48000, sigma = 1 / sqrt(2 * CORR_TAU_S * rate);
	float rho, loss;
	corr_feed(rate, s_mono, &rho, &loss);
	CHECK_NEAR(rho, 1, 1e-6, "mono: correlation");
	CHECK_NEAR(loss, 0, 1e-4, "mono: mono loss dB");
	corr_feed(rate, s_inv, &rho, &loss);
	CHECK_NEAR(rho, -1, 1e-6, "inverted: correlation");
	CHECK_NEAR(loss, CORR_LOSS_MAX, 0, "inverted: everything lost");
	corr_feed(rate, s_indep, &rho, &loss);
	CHECK_NEAR(rho, 0, 5 * sigma, "independent noise: correlation (5 sigma)");
	/* loss = 10 log10(2 / (1 + rho')), rho' within the same bound (equal
	 * powers, also to within a few sigma) */
	CHECK_NEAR(loss, 10 * log10(2.0), 10 / log(10.0) * 5 * sigma * 1.2,
	           "independent noise: mono loss dB");
	printf("correlation of independent noise %+.4f (bound %.4f), mono loss %.3f dB\n", rho, 5 * sigma,
	       loss);
	corr_feed(rate, s_left, &rho, &loss);
	CHECK_NEAR(rho, 0, 0, "one side silent: correlation 0");
	CHECK_NEAR(loss, 10 * log10(2.0), 1e-3, "one side alone: mono loss dB");
	corr_feed(rate, s_half, &rho, &loss);
	CHECK_NEAR(rho, 1, 1e-5, "R = L/2: correlation");
	CHECK_NEAR(loss, 10 * log10(0.625 / 0.5625), 1e-3, "R = L/2: mono loss dB");

	/* through the mixer: a stereo channel, L and R inverted, at master */
	struct trig r = trig_open(0, 1, 0, rate, 48000);
	float v[2];
	for (size_t i = 0; i < r.len; i++) {
		r.in[0][i] = (float)(0.1 * sin(2 * M_PI * 300 * i / rate));
		r.in[1][i] = -r.in[0][i];
	}
	trig_run(&r, 0, r.len);
	CHECK(mixer_meter_take(r.m, P_MASTER_CORR, 0, v) == 1, "the correlation meter is published");
	CHECK_NEAR(v[0], -1, 1e-4, "mixer: inverted stereo channel, correlation");
	CHECK(mixer_meter_take(r.m, P_MASTER_MONOLOSS, 0, v) == 1, "mono loss is published");
	CHECK(v[0] > 60, "mixer: inverted stereo channel, mono loss %g dB", v[0]);
	memcpy(r.in[1], r.in[0], r.len * sizeof(float));
	for (int k = 0; k < 6; k++) /* 6 s, 20 time constants: the inverted past forgotten */
		trig_run(&r, 0, r.len);
	mixer_meter_take(r.m, P_MASTER_CORR, 0, v);
	CHECK_NEAR(v[0], 1, 1e-4, "mixer: mono stereo channel, correlation");
	mixer_meter_take(r.m, P_MASTER_MONOLOSS, 0, v);
	CHECK_NEAR(v[0], 0, 1e-3, "mixer: mono, mono loss dB");
	trig_free(&r);
}

int main(void)
{
	ROLE_SET(ROLE_RT);
	sine_case(48000, 1000, -20);
	sine_case(44100, 997, -6);
	sine_case(96000, 100, 0 - 3);
	sine_case(48000, 15000, -20);
	noise_case(44100);
	noise_case(48000);
	noise_case(96000);
	click_case();
	mon_click_case();
	talk_case();
	corr_case();
	return test_exit("test_gen");
}
