/*
 * test_response.c - the curves surfaces draw (dsp/response.c) against the
 * filters and compressors that run: the real mixer (mixer_new /
 * mixer_apply / mixer_process on plain buffers) is set up with the same
 * values, and its response is measured.
 *
 *   EQ        a sine at every frequency of the grid through a settled
 *             channel (high-pass + four bands, every type, extreme Q,
 *             corners clamped near Nyquist) or through the master EQ, at
 *             44.1, 48 and 96 kHz: its gain against the curve
 *   dynamics  a DC level through a settled compressor: the output level
 *             against the static curve at every 4 dB of the input grid
 *
 * The tolerances are derived from the audio thread's float32 arithmetic
 * (EQ_TOL_DB, COMP_TOL_DB): both sides use the same coefficients.
 *
 * JMX_VERBOSE=1 prints every point that uses more than 30 % of its
 * tolerance.
 *
 * Threads: one (the test's), standing in for control and RT.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "mixer.h"
#include "response.h"
#include "mixer_rig.h"
#include "test_util.h"

enum { O_ML, O_MR, O_MONL, O_MONR, O_BUS };

/* Each grid frequency is measured with its own sine: SETTLE_S seconds for
 * the start-up transient to die away (the slowest filter used here, a
 * Q 10 peak at 100 Hz or a Q 4 one at 40 Hz, rings with an envelope time
 * constant Q / (pi f) = 32 ms: 0.6 s leaves e^-19 = 6e-9 of it), then the
 * amplitude over WIN_S seconds by a least-squares sine fit.  Not an
 * impulse and a DFT: in float32 the rounding noise of a high-Q band near
 * 40 Hz at 96 kHz (poles 3e-4 from the unit circle) lies 20-30 dB above
 * the response where the high-pass attenuates 50 dB, because an impulse
 * spreads its energy over every frequency while a sine puts all of it at
 * the one that is measured. */
#define SETTLE_S 0.6
#define WIN_S    0.4
#define AMP      0.25

/* Tolerance.  The coefficients are the same floats on both sides, so the
 * only difference is the audio thread's float32 arithmetic.  Each output
 * sample of a biquad carries a rounding error of about 2^-24 x the sum of
 * its terms' magnitudes (~4 |y|), white for a tone whose period is not a
 * whole number of samples, and it is amplified by 1 / |A(e^jw)|, the
 * recursion's gain: at worst the 20 Hz high-pass at 44.1 kHz at its
 * corner, where |A| = sqrt(2) w_c^2 = 1.15e-5 (w_c = 2 pi 20 / 44100).
 * A fit over N samples keeps sqrt(2 / N) of white noise at its frequency:
 * 2.4e-7 x 8.7e4 x sqrt(2 / 17640) = 2.2e-4 relative, 0.0019 dB, one
 * sigma (and 0.0021 dB is measured there).  EQ_TOL_DB is about five
 * sigma.  Where the response is small, an error of EQ_ABS_ERR x the input
 * amplitude (the float32 input's own rounding, with a wide margin) widens
 * it by 20 log10(1 + EQ_ABS_ERR / |H|): 0.09 dB at -60 dB.  The measured
 * worst case and its share of the tolerance are printed. */
#define EQ_TOL_DB  0.01
#define EQ_ABS_ERR 1e-5

static void render(struct rig *r, unsigned period)
{
	const float *in[16];
	float *out[16];
	for (size_t t = 0; t < r->len; t += period) {
		unsigned n = (unsigned)(r->len - t < period ? r->len - t : period);
		for (unsigned i = 0; i < r->lanes; i++)
			in[i] = r->in[i] + t;
		for (unsigned i = 0; i < r->outs; i++)
			out[i] = r->out[i] + t;
		mixer_process(r->m, in, out, n);
	}
}

/* ---- EQ ------------------------------------------------------------------ */

struct eq_case {
	const char *what;
	struct response_eq eq;
};

/* (type, hz, db, q) for the four bands */
#define BANDS(t0, h0, d0, q0, t1, h1, d1, q1, t2, h2, d2, q2, t3, h3, d3, q3)                                \
	.type = {t0, t1, t2, t3}, .hz = {h0, h1, h2, h3}, .db = {d0, d1, d2, d3}, .q = {q0, q1, q2, q3}

static const struct eq_case eq_cases[] = {
    {"default bands with gains, high-pass 80 Hz",
     {1, BANDS(1, 100, 6, 0.7071f, 0, 500, -4, 1, 0, 2000, 3, 1.5f, 2, 8000, -6, 0.7071f), 1, 80}},
    {"sharp peaks, steep shelves",
     {1, BANDS(0, 100, -15, 10, 0, 12000, 12, 2, 1, 300, 15, 0.3f, 2, 3000, 15, 0.3f), 0, 80}},
    {"shelves swapped, high-pass 400 Hz",
     {1, BANDS(2, 150, 8, 1, 1, 5000, -10, 0.5f, 0, 40, 9, 4, 0, 19000, -12, 3), 1, 400}},
    {"EQ off, high-pass 20 Hz (gains ignored)",
     {0, BANDS(0, 1000, 15, 1, 0, 1000, 15, 1, 0, 1000, 15, 1, 0, 1000, 15, 1), 1, 20}},
    {"band corners above the strip's 0.45 x rate",
     {1, BANDS(2, 20000, 10, 1, 0, 20000, -8, 5, 0, 1000, 0, 1, 1, 20000, 5, 1), 0, 80}},
};

static void set_eq(struct rig *r, const struct response_eq *e, int master)
{
	if (master) {
		rig_set(r, P_MASTER_EQ_ON, 0, 0, (float)e->on);
		for (unsigned b = 0; b < JMX_BANDS; b++) {
			rig_set(r, P_MASTER_EQ_TYPE, 0, b, e->type[b]);
			rig_set(r, P_MASTER_EQ_HZ, 0, b, e->hz[b]);
			rig_set(r, P_MASTER_EQ_DB, 0, b, e->db[b]);
			rig_set(r, P_MASTER_EQ_Q, 0, b, e->q[b]);
		}
		return;
	}
	rig_set(r, P_CH_EQ_ON, 0, 0, (float)e->on);
	rig_set(r, P_CH_HPF_ON, 0, 0, (float)e->hpf_on);
	rig_set(r, P_CH_HPF_HZ, 0, 0, e->hpf_hz);
	for (unsigned b = 0; b < JMX_BANDS; b++) {
		rig_set(r, P_CH_EQ_TYPE, 0, b, e->type[b]);
		rig_set(r, P_CH_EQ_HZ, 0, b, e->hz[b]);
		rig_set(r, P_CH_EQ_DB, 0, b, e->db[b]);
		rig_set(r, P_CH_EQ_Q, 0, b, e->q[b]);
	}
}

/* The measured gain (linear) of the channel's strip (bus 1, fed by a
 * 0 dB pre-fader send: nothing else in the way) or of the master chain
 * (master L, divided by its gain with the EQ out: the pan law) for a sine
 * at f after SETTLE_S seconds. */
static double measure_gain(const struct response_eq *e, int master, double rate, double f)
{
	size_t s = (size_t)(SETTLE_S * rate), n = (size_t)(WIN_S * rate);
	struct rig r = rig_open(1, 0, 1, rate, s + n);
	rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0.0f);
	rig_set(&r, P_CH_SEND_PRE, 0, 0, 1.0f);
	rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
	if (e)
		set_eq(&r, e, master);
	fill_sine(r.in[0], s + n, AMP, f, rate, 0.0);
	render(&r, 256);
	double g = tone_fit_amplitude(r.out[master ? O_ML : O_BUS] + s, n, f, rate) / AMP;
	rig_free(&r);
	return g;
}

static void test_eq(int master)
{
	static const double rates[] = {44100, 48000, 96000};
	double hz[RESPONSE_POINTS];
	for (unsigned i = 0; i < RESPONSE_POINTS; i++)
		hz[i] = response_grid_hz(i);
	CHECK_NEAR(hz[0], 20.0, 1e-9, "grid starts at 20 Hz");
	CHECK_NEAR(hz[RESPONSE_POINTS - 1], 20000.0, 1e-9, "grid ends at 20 kHz");
	double worst = 0, worst_min = 0, worst_tol = 0;
	for (unsigned c = 0; c < sizeof eq_cases / sizeof eq_cases[0]; c++) {
		for (unsigned k = 0; k < 3; k++) {
			double rate = rates[k], mag[RESPONSE_POINTS];
			float db[RESPONSE_POINTS];
			const struct response_eq *e = &eq_cases[c].eq;
			response_eq_db(e, master ? RESPONSE_MASTER : RESPONSE_STRIP, rate, hz,
			               RESPONSE_POINTS, db);
			/* the master's gain without EQ: the pan law (flat) */
			double g0 = master ? measure_gain(NULL, 1, rate, 1000.0) : 1.0;
			for (unsigned i = 0; i < RESPONSE_POINTS; i++)
				mag[i] =
				    measure_gain(e, master, rate, hz[i] < 0.5 * rate ? hz[i] : 0.5 * rate) /
				    g0;
			for (unsigned i = 0; i < RESPONSE_POINTS; i++) {
				double got = db20(mag[i]), want = db[i];
				/* EQ_TOL_DB, widened where the response is small
				 * by what an absolute error EQ_ABS_ERR makes */
				double amp = pow(10.0, want / 20.0);
				double tol = EQ_TOL_DB + db20(1.0 + EQ_ABS_ERR / amp);
				char what[200];
				snprintf(what, sizeof what, "%s EQ, %s, %.0f Hz: grid point %u (%.1f Hz)",
				         master ? "master" : "channel", eq_cases[c].what, rate, i, hz[i]);
				CHECK_NEAR(got, want, tol, what);
				if (getenv("JMX_VERBOSE") && fabs(got - want) > 0.3 * tol)
					printf("%s: got %.5f want %.5f tol %.5f\n", what, got, want, tol);
				if (fabs(got - want) > worst)
					worst = fabs(got - want);
				if (fabs(got - want) / tol > worst_tol)
					worst_tol = fabs(got - want) / tol;
				if (want < worst_min)
					worst_min = want;
			}
		}
	}
	printf("%s EQ: %u cases x 3 rates x %u points: worst |curve - measured| %.5f dB (responses down to "
	       "%.1f dB), at most %.0f %% of its tolerance\n",
	       master ? "master" : "channel", (unsigned)(sizeof eq_cases / sizeof eq_cases[0]),
	       RESPONSE_POINTS, worst, worst_min, 100.0 * worst_tol);
}

/* ---- dynamics -------------------------------------------------------------- */

/* The strip's compressor computes in log2 units with a fast log2 and
 * exp2 (strip.c: < 0.001 dB each); the master's in float dB with libm. */
#define COMP_TOL_DB 0.003

static void test_comp(int master)
{
	static const struct response_comp cs[] = {
	    {1, -20, 4, 12, 0}, {1, -30, 20, 0, 6}, {1, -10, 2, 24, 3}, {0, -40, 4, 6, 10}};
	const double rate = 48000;
	size_t len = (size_t)(0.5 * rate);
	double worst = 0;
	for (unsigned c = 0; c < sizeof cs / sizeof cs[0]; c++) {
		double in[RESPONSE_DYN_POINTS];
		float out[RESPONSE_DYN_POINTS];
		for (unsigned i = 0; i < RESPONSE_DYN_POINTS; i++)
			in[i] = response_dyn_grid_db(i);
		response_comp_db(&cs[c], master ? RESPONSE_MASTER : RESPONSE_STRIP, in, RESPONSE_DYN_POINTS,
		                 out);
		for (unsigned i = 0; i < RESPONSE_DYN_POINTS; i += 4) {
			/* a DC level: the detector's level is exactly it (the
			 * strip's block peak, the master's sample peak) */
			double lev[2];
			for (int pass = 0; pass < 2; pass++) {
				struct rig r = rig_open(1, 0, 1, rate, len);
				rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0.0f);
				rig_set(&r, P_CH_SEND_PRE, 0, 0, 1.0f);
				rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
				const struct response_comp *k = &cs[c];
				int on = pass == 0 && k->on;
				rig_set(&r, master ? P_MASTER_COMP_ON : P_CH_DYN_ON, 0, 0, (float)on);
				rig_set(&r, master ? P_MASTER_COMP_THR : P_CH_DYN_THR, 0, 0, k->thr);
				rig_set(&r, master ? P_MASTER_COMP_RATIO : P_CH_DYN_RATIO, 0, 0, k->ratio);
				rig_set(&r, master ? P_MASTER_COMP_KNEE : P_CH_DYN_KNEE, 0, 0, k->knee);
				rig_set(&r, master ? P_MASTER_COMP_MAKEUP : P_CH_DYN_MAKEUP, 0, 0, k->makeup);
				rig_set(&r, master ? P_MASTER_COMP_ATTACK : P_CH_DYN_ATTACK, 0, 0, 0.1f);
				rig_set(&r, master ? P_MASTER_COMP_RELEASE : P_CH_DYN_RELEASE, 0, 0, 5.0f);
				float dc = (float)pow(10.0, in[i] / 20.0);
				for (size_t j = 0; j < len; j++)
					r.in[0][j] = dc;
				render(&r, 256);
				lev[pass] = db20(fabs(r.out[master ? O_ML : O_BUS][len - 1]));
				rig_free(&r);
			}
			/* pass 1, compressor out, measured the level the
			 * compressor gets: the grid level on the strip (a 0 dB
			 * send), that after the pan law on the master */
			if (!master)
				CHECK_NEAR(lev[1], in[i], 1e-5, "strip: unity with the compressor out");
			double x_in = lev[1];
			float want_out;
			response_comp_db(&cs[c], master ? RESPONSE_MASTER : RESPONSE_STRIP, &x_in, 1,
			                 &want_out);
			if (!master)
				CHECK_NEAR(want_out, out[i], 1e-4, "strip: the grid's curve");
			char what[160];
			snprintf(what, sizeof what, "%s compressor %u at %.0f dBFS",
			         master ? "master" : "channel", c, in[i]);
			CHECK_NEAR(lev[0], want_out, COMP_TOL_DB, what);
			if (fabs(lev[0] - want_out) > worst)
				worst = fabs(lev[0] - want_out);
		}
	}
	printf("%s compressor: worst |curve - measured| %.5f dB\n", master ? "master" : "channel", worst);
}

int main(void)
{
	test_eq(0);
	test_eq(1);
	test_comp(0);
	test_comp(1);
	return test_exit("test_response");
}
