/*
 * test_bus.c - the aux buses after their sums (src/dsp/bus.c), measured
 * through the mixer's public API on plain buffers (mixer_rig.h), offline
 * and deterministic, against values this file computes from the laws:
 *
 *   routing   a channel post-fader into a bus routed to master (the
 *             subgroup), /ch/<n>/master off, the bus fader, the balance
 *             law into the master (bus outputs unbalanced), an unrouted
 *             bus stays off the master
 *   eq        bus EQ responses against an RBJ design done here in double
 *   comp      the bus compressor's static curve (Giannoulis et al., done
 *             here), make-up, its gain-reduction meter, stereo link
 *   delay     the output delay to the sample at 44.1, 48 and 96 kHz, on
 *             the bus outputs and, plus the reported latency, the master
 *   solo      bus solo puts the bus (AFL) on the monitor, master untouched
 *   trails    with the effect off, a resonant bus EQ stands in for a tail:
 *             muting the channel leaves it ringing out at the filter's own
 *             pole radius; muting the bus cuts it to exact 0 within the
 *             switch ramp
 *   clicks    routing, balance, effect type, output delay and bus mute
 *             changed while a sine plays: no sample step beyond the sine's
 *             own slope plus the steepest ramp the laws allow; for the
 *             effect type, plus the wet path's own step (the triangle
 *             inequality), measured by running fx.h here on the same bus
 *             input with the same switches
 *   nan       NaN and inf on a channel feeding a delayed, processed bus:
 *             every output finite, and back to the clean level
 *   fx return the real reverb on a bus routed to master: the master is
 *             the effect's own response (fx.h run here) x the laws' gains
 *             (bus fader, balance), and its RT60 measured there (1 kHz
 *             octave, Schroeder, T30) is the setting within 10 %
 *   fx trails noise into the reverb, then the channel muted or its send
 *             off: the tail at the master decays at the set RT60 (10 %);
 *             the bus muted: exact 0 once the switch ramp has run
 *   fx sync   a synced delay on a bus follows mixer_set_tempo: the echo
 *             at the master lands at lround(60 / BPM x beats x rate)
 *             frames plus the master's latency, to the sample; no tempo:
 *             the set time
 *
 * Threads: one (the test stands in for the RT thread).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "fx.h"
#include "mixer.h"
#include "mixer_rig.h"
#include "test_util.h"
#include "fx_ref.h"

#define RATE 48000.0
#define WIN  19200 /* 0.4 s: whole cycles of 1 kHz, 100 Hz and 200 Hz */
enum { O_ML, O_MR, O_MONL, O_MONR, O_BUS };
#define O_BL(b) (O_BUS + 2 * (b))
#define O_BR(b) (O_BUS + 2 * (b) + 1)

static void render(struct rig *r, size_t from, size_t to, unsigned period)
{
	const float *in[64];
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

/* Amplitude of the tone at hz in output o over the last WIN frames, dB
 * relative to amp. */
static double out_db(const struct rig *r, unsigned o, double hz, double amp)
{
	return db20(tone_amplitude(r->out[o] + r->len - WIN, WIN, hz, r->rate) / amp);
}

/* Two mono channels, two buses, limiter out (its latency stays), ch 1
 * sent post-fader at 0 dB to bus 1; 1 kHz sine of amp on ch 1. */
static struct rig bus_rig(double rate, size_t len, double amp, double hz)
{
	struct rig r = rig_open(2, 0, 2, rate, len);
	rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
	rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0.0f);
	fill_sine(r.in[0], len, amp, hz, rate, 0.0);
	return r;
}

/* ---- routing ------------------------------------------------------------ */

#define TOL_DB 1e-4 /* float gains on a float sine over 19200 samples: ~1e-6 dB */

static void test_routing(void)
{
	const double amp = 0.25, c = db20(sqrt(0.5)); /* constant-power pan at the centre */
	size_t len = (size_t)(0.3 * RATE) + WIN;
	struct rig r = bus_rig(RATE, len, amp, 1000);

	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c, TOL_DB, "channel to master directly");
	CHECK_NEAR(out_db(&r, O_BL(0), 1000, amp), c, TOL_DB, "post-fader send, post-pan");

	/* subgroup: ch master off, bus 1 to master */
	rig_set(&r, P_CH_MASTER, 0, 0, 0.0f);
	rig_set(&r, P_BUS_MASTER, 0, 0, 1.0f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c, TOL_DB, "subgroup: master gets the bus");
	CHECK_NEAR(out_db(&r, O_MR, 1000, amp), c, TOL_DB, "subgroup: master R");
	CHECK_NEAR(out_db(&r, O_BL(0), 1000, amp), c, TOL_DB, "ch master off leaves the send");

	rig_set(&r, P_BUS_FADER, 0, 0, -6.0f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c - 6, TOL_DB, "bus fader into master");
	CHECK_NEAR(out_db(&r, O_BL(0), 1000, amp), c - 6, TOL_DB, "bus fader on its outputs");

	/* balance at 0.75: L x cos(pi/4), R unity; 0.2: R x sin(0.2 pi) */
	rig_set(&r, P_BUS_PAN, 0, 0, 0.75f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c - 6 + db20(cos(0.25 * M_PI)), TOL_DB, "balance 0.75, L");
	CHECK_NEAR(out_db(&r, O_MR, 1000, amp), c - 6, TOL_DB, "balance 0.75, R");
	CHECK_NEAR(out_db(&r, O_BL(0), 1000, amp), c - 6, TOL_DB, "bus outputs not balanced");
	rig_set(&r, P_BUS_PAN, 0, 0, 0.2f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c - 6, TOL_DB, "balance 0.2, L");
	CHECK_NEAR(out_db(&r, O_MR, 1000, amp), c - 6 + db20(sin(0.2 * M_PI)), TOL_DB, "balance 0.2, R");

	/* both paths: the channel directly and through the bus add up */
	rig_set(&r, P_BUS_PAN, 0, 0, 0.5f);
	rig_set(&r, P_BUS_FADER, 0, 0, 0.0f);
	rig_set(&r, P_CH_MASTER, 0, 0, 1.0f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c + db20(2.0), TOL_DB, "direct + subgroup in phase");

	/* unrouted: master back to the direct path only */
	rig_set(&r, P_BUS_MASTER, 0, 0, 0.0f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c, TOL_DB, "bus off the master");
	rig_free(&r);
	printf("routing: subgroup, ch master, bus fader, balance law, sums\n");
}

/* ---- EQ and compressor (the channels' checks, on a bus) -------------------- */

/* RBJ Audio EQ Cookbook peak and shelves, in double, |H| in dB at f. */
static double ref_eq_db(int type, double f0, double g, double q, double f, double rate)
{
	double A = pow(10.0, g / 40.0), w0 = 2.0 * M_PI * f0 / rate, cw = cos(w0);
	double al = sin(w0) / (2.0 * q), sa = 2.0 * sqrt(A) * al, b[3], a[3];
	if (type == 0) {
		b[0] = 1 + al * A, b[1] = -2 * cw, b[2] = 1 - al * A;
		a[0] = 1 + al / A, a[1] = -2 * cw, a[2] = 1 - al / A;
	} else if (type == 1) {
		b[0] = A * ((A + 1) - (A - 1) * cw + sa), b[1] = 2 * A * ((A - 1) - (A + 1) * cw);
		b[2] = A * ((A + 1) - (A - 1) * cw - sa), a[0] = (A + 1) + (A - 1) * cw + sa;
		a[1] = -2 * ((A - 1) + (A + 1) * cw), a[2] = (A + 1) + (A - 1) * cw - sa;
	} else {
		b[0] = A * ((A + 1) + (A - 1) * cw + sa), b[1] = -2 * A * ((A - 1) + (A + 1) * cw);
		b[2] = A * ((A + 1) + (A - 1) * cw - sa), a[0] = (A + 1) - (A - 1) * cw + sa;
		a[1] = 2 * ((A - 1) - (A + 1) * cw), a[2] = (A + 1) - (A - 1) * cw - sa;
	}
	double w = 2.0 * M_PI * f / rate;
	double nr = b[0] + b[1] * cos(w) + b[2] * cos(2 * w), ni = -b[1] * sin(w) - b[2] * sin(2 * w);
	double dr = a[0] + a[1] * cos(w) + a[2] * cos(2 * w), di = -a[1] * sin(w) - a[2] * sin(2 * w);
	return 10.0 * log10((nr * nr + ni * ni) / (dr * dr + di * di));
}

static void test_eq(void)
{
	static const struct {
		int type;
		double hz, db, q;
	} cs[] = {{0, 1000, 12, 1.0}, {1, 200, -10, 0.7071}, {2, 4000, 8, 0.7071}, {0, 100, -15, 4.0}};
	static const double fs[] = {50, 100, 200, 400, 1000, 2000, 4000, 8000, 16000};
	double worst = 0;
	for (unsigned k = 0; k < sizeof cs / sizeof cs[0]; k++)
		for (unsigned i = 0; i < sizeof fs / sizeof fs[0]; i++) {
			size_t len = (size_t)(0.5 * RATE) + WIN;
			struct rig r = bus_rig(RATE, len, 0.25, fs[i]);
			unsigned band = k % JMX_BANDS;
			rig_set(&r, P_CH_SEND_PRE, 0, 0, 1.0f); /* the pre-fader send: the input itself */
			rig_set(&r, P_BUS_EQ_ON, 0, 0, 1.0f);
			rig_set(&r, P_BUS_EQ_TYPE, 0, band, (float)cs[k].type);
			rig_set(&r, P_BUS_EQ_HZ, 0, band, (float)cs[k].hz);
			rig_set(&r, P_BUS_EQ_DB, 0, band, (float)cs[k].db);
			rig_set(&r, P_BUS_EQ_Q, 0, band, (float)cs[k].q);
			render(&r, 0, len, 256);
			double want = ref_eq_db(cs[k].type, cs[k].hz, cs[k].db, cs[k].q, fs[i], RATE);
			double gl = out_db(&r, O_BL(0), fs[i], 0.25), gr = out_db(&r, O_BR(0), fs[i], 0.25);
			char what[100];
			snprintf(what, sizeof what, "bus EQ type %d %.0f Hz %+.0f dB Q %.2f at %.0f Hz",
			         cs[k].type, cs[k].hz, cs[k].db, cs[k].q, fs[i]);
			/* the channels' tolerance (test_strip): float coefficients */
			CHECK_NEAR(gl, want, 0.1, what);
			CHECK_NEAR(gr, want, 0.1, what);
			worst = fmax(worst, fabs(gl - want));
			rig_free(&r);
		}
	printf("eq: 4 bands x 9 frequencies, worst %.4f dB off the RBJ design\n", worst);
}

/* Static curve of Giannoulis, Massberg & Reiss (2012), quadratic knee. */
static double ref_comp_gr(double x, double thr, double ratio, double knee)
{
	double over = x - thr, slope = 1.0 - 1.0 / ratio;
	if (2 * over <= -knee)
		return 0;
	if (knee > 0 && 2 * over < knee)
		return slope * (over + knee / 2) * (over + knee / 2) / (2 * knee);
	return slope * over;
}

static void test_comp(void)
{
	double worst = 0;
	for (double lev = -40; lev <= 0.01; lev += 4) {
		size_t len = (size_t)(0.5 * RATE) + WIN;
		double amp = pow(10.0, lev / 20.0);
		struct rig r = bus_rig(RATE, len, amp, 1000);
		rig_set(&r, P_CH_SEND_PRE, 0, 0, 1.0f);
		rig_set(&r, P_BUS_DYN_ON, 0, 0, 1.0f);
		rig_set(&r, P_BUS_DYN_THR, 0, 0, -20.0f);
		rig_set(&r, P_BUS_DYN_RATIO, 0, 0, 4.0f);
		rig_set(&r, P_BUS_DYN_KNEE, 0, 0, 12.0f);
		rig_set(&r, P_BUS_DYN_MAKEUP, 0, 0, 3.0f);
		rig_set(&r, P_BUS_DYN_ATTACK, 0, 0, 0.1f);
		rig_set(&r, P_BUS_DYN_RELEASE, 0, 0, 4000.0f);
		render(&r, 0, len, 256);
		/* the send is pre-fader and pre-pan: a mono channel feeds both
		 * sides at the sine's level, so the stereo-linked detector sees
		 * the sine's peak (strip.c) */
		double gr = ref_comp_gr(lev, -20, 4, 12), got = out_db(&r, O_BL(0), 1000, amp);
		char what[80];
		snprintf(what, sizeof what, "bus compressor at %.0f dBFS", lev);
		CHECK_NEAR(got, 3.0 - gr, 0.5, what); /* test_strip's tolerance for the channel's */
		worst = fmax(worst, fabs(got - (3.0 - gr)));
		float m[2];
		CHECK(mixer_meter_take(r.m, P_BUS_DYN_GR, 0, m) == 1, "bus GR meter answers");
		CHECK_NEAR(m[0], gr, 0.5, "bus compressor gain-reduction meter");
		rig_free(&r);
	}
	/* stereo link: a loud left and a quiet right get the same reduction */
	size_t len = (size_t)(0.5 * RATE) + WIN;
	struct rig r = rig_open(2, 0, 1, RATE, len);
	rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
	for (unsigned ch = 0; ch < 2; ch++) {
		rig_set(&r, P_CH_SEND_LEVEL, ch, 0, 0.0f);
		rig_set(&r, P_CH_PAN, ch, 0, (float)ch); /* ch 1 hard left, ch 2 hard right */
	}
	rig_set(&r, P_BUS_DYN_ON, 0, 0, 1.0f);
	rig_set(&r, P_BUS_DYN_THR, 0, 0, -20.0f);
	rig_set(&r, P_BUS_DYN_RATIO, 0, 0, 4.0f);
	rig_set(&r, P_BUS_DYN_KNEE, 0, 0, 0.0f);
	rig_set(&r, P_BUS_DYN_ATTACK, 0, 0, 0.1f);
	fill_sine(r.in[0], len, 1.0, 1000, RATE, 0);
	fill_sine(r.in[1], len, 0.01, 1000, RATE, 0);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_BL(0), 1000, 1.0), -15.0, 0.5, "bus comp, loud side: 20 dB over at 4:1");
	CHECK_NEAR(out_db(&r, O_BR(0), 1000, 0.01), -15.0, 0.5, "bus comp, quiet side follows");
	rig_free(&r);
	printf("comp: static curve worst %.3f dB, GR meter, stereo link\n", worst);
}

/* ---- delay to the sample ------------------------------------------------------ */

static long first_nonzero(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (x[i] != 0.0f)
			return (long)i;
	return -1;
}

static void test_delay(void)
{
	static const double rates[] = {44100, 48000, 96000};
	static const double ms[] = {0, 0.5, 1, 10.51, 123.4, 250, 500};
	unsigned n = 0;
	for (unsigned ri = 0; ri < 3; ri++)
		for (unsigned k = 0; k < sizeof ms / sizeof ms[0]; k++) {
			double rate = rates[ri];
			/* 0.3 s for the send, the routing and the delay's crossfade to
			 * settle (one-pole steps leave 0.875^225 < 1e-13) */
			size_t len = (size_t)(0.9 * rate), at = (size_t)(0.3 * rate) + 17;
			struct rig r = rig_open(1, 0, 1, rate, len);
			rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
			rig_set(&r, P_CH_MASTER, 0, 0, 0.0f);
			rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0.0f);
			rig_set(&r, P_BUS_MASTER, 0, 0, 1.0f);
			rig_set(&r, P_BUS_DELAY, 0, 0, (float)ms[k]);
			render(&r, 0, (size_t)(0.05 * rate),
			       128); /* the delay settles (a crossfade from 0) */
			r.in[0][at] = 0.5f;
			render(&r, (size_t)(0.05 * rate), len, 128);
			long want = lround(ms[k] * 0.001 * rate) + (long)at;
			char what[80];
			snprintf(what, sizeof what, "bus delay %.2f ms at %.0f Hz", ms[k], rate);
			CHECK(first_nonzero(r.out[O_BL(0)], len) == want, "%s: onset %ld, want %ld", what,
			      first_nonzero(r.out[O_BL(0)], len), want);
			/* the click itself: 0.5 x the centre pan's cos(pi/4), undistorted */
			if (want < (long)len)
				CHECK_NEAR(r.out[O_BL(0)][want], 0.5 * sqrt(0.5), 1e-6, what);
			/* the master gets it after the same delay plus its own latency */
			long mw = want + (long)mixer_latency(r.m);
			CHECK(first_nonzero(r.out[O_ML], len) == mw, "%s at master: onset %ld, want %ld",
			      what, first_nonzero(r.out[O_ML], len), mw);
			rig_free(&r);
			n++;
		}
	printf("delay: %u delays to the sample on bus outputs and master\n", n);
}

/* ---- solo ------------------------------------------------------------------------- */

static void test_solo(void)
{
	const double amp = 0.25, c = db20(sqrt(0.5));
	size_t len = (size_t)(0.3 * RATE) + WIN;
	struct rig r = bus_rig(RATE, len, amp, 1000);
	rig_set(&r, P_BUS_FADER, 0, 0, -6.0f);
	rig_set(&r, P_CH_FADER, 1, 0, -90.0f); /* ch 2 silent */
	rig_set(&r, P_BUS_SOLO, 0, 0, 1.0f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_MONL, 1000, amp), c - 6, TOL_DB, "bus solo: AFL on the monitor");
	CHECK_NEAR(out_db(&r, O_ML, 1000, amp), c, TOL_DB, "bus solo leaves master");
	rig_set(&r, P_BUS_SOLO, 0, 0, 0.0f);
	rig_set(&r, P_CH_FADER, 0, 0, -20.0f);
	render(&r, 0, len, 256);
	CHECK_NEAR(out_db(&r, O_MONL, 1000, amp), c - 20, TOL_DB, "bus unsoloed: monitor = master copy");
	rig_free(&r);
	printf("solo: bus AFL on the monitor, master untouched\n");
}

/* ---- trails vs bus mute ---------------------------------------------------------- */

static void test_trails(void)
{
	/* a resonant peak at 200 Hz stands in for an effect's tail: its
	 * homogeneous response decays by the pole radius sqrt(a2) a sample */
	const double f0 = 200, g = 15, q = 10;
	double A = pow(10.0, g / 40.0), al = sin(2 * M_PI * f0 / RATE) / (2 * q);
	double radius = sqrt((1 - al / A) / (1 + al / A));
	size_t len = (size_t)(1.0 * RATE), mute_at = (size_t)(0.5 * RATE);
	const size_t w = 1920; /* 40 ms: whole cycles of 200 Hz */

	for (int bus_mute = 0; bus_mute < 2; bus_mute++) {
		struct rig r = bus_rig(RATE, len, 0.1, f0);
		rig_set(&r, P_BUS_EQ_ON, 0, 0, 1.0f);
		rig_set(&r, P_BUS_EQ_TYPE, 0, 1, 0.0f);
		rig_set(&r, P_BUS_EQ_HZ, 0, 1, (float)f0);
		rig_set(&r, P_BUS_EQ_DB, 0, 1, (float)g);
		rig_set(&r, P_BUS_EQ_Q, 0, 1, (float)q);
		render(&r, 0, mute_at, 256);
		rig_set(&r, bus_mute ? P_BUS_MUTE : P_CH_MUTE, 0, 0, 1.0f);
		render(&r, mute_at, len, 256);
		const float *y = r.out[O_BL(0)];
		/* the switch ramp of the mute ends within its whole chunks plus the
		 * chunk under way */
		size_t quiet = mute_at + (dsp_switch_chunks(RATE) + 1) * JMX_CHUNK;
		if (bus_mute) {
			CHECK(peak_abs(y + quiet, len - quiet) == 0.0, "bus mute cuts the tail: peak %g",
			      peak_abs(y + quiet, len - quiet));
		} else {
			size_t t1 = quiet + 960, t2 = t1 + 4800;
			double r1 = rms(y + t1, w), r2 = rms(y + t2, w),
			       want = pow(radius, (double)(t2 - t1));
			CHECK(r1 > 1e-4, "channel mute leaves a tail (rms %g)", r1);
			/* whole cycles of a tone decaying inside the window: the ratio
			 * of two windows is the decay over their distance to ~1 % */
			CHECK_NEAR(r2 / r1, want, 0.02 * want, "the tail rings out at the filter's decay");
			printf("trails: channel muted, tail ratio %.4f over 100 ms, pole radius gives %.4f\n",
			       r2 / r1, want);
		}
		rig_free(&r);
	}
}

/* ---- clicks ------------------------------------------------------------------------ */

static void test_clicks(void)
{
	const double amp = 0.5, hz = 100, c = sqrt(0.5);
	/* a sine's largest step is amp w; a gain moving along the switch ramp
	 * (raised cosine over sw_n whole chunks, linear inside a chunk) moves
	 * at most pi/2 of its jump per ramp length; the one-pole smoothing at
	 * most coef of its jump a chunk, less than that */
	const double ramp_frames = (double)dsp_switch_chunks(RATE) * JMX_CHUNK;
	const double sine_step = amp * c * 2 * M_PI * hz / RATE;
	static const struct {
		enum param_id id;
		float v;
		double jump; /* largest gain jump, in units of the bus signal */
		const char *what;
	} ev[] = {
	    {P_BUS_MASTER, 1, 1, "bus routed to master"},
	    {P_BUS_PAN, 1, 1, "balance hard right"},
	    {P_BUS_PAN, 0, 1, "balance hard left"},
	    {P_BUS_FX, 1, 1, "effect off -> reverb (dry out, reverb in)"},
	    {P_BUS_FX, 0, 1, "effect reverb -> off"},
	    {P_BUS_DELAY, 100, 2, "delay 0 -> 100 ms (crossfade between two taps)"},
	    {P_BUS_DELAY, 3, 2, "delay 100 -> 3 ms"},
	    {P_BUS_MUTE, 1, 1, "bus mute"},
	    {P_BUS_MUTE, 0, 1, "bus unmute"},
	    {P_CH_MASTER, 1, 1, "channel onto the master beside the bus (a one-pole)"},
	    {P_CH_MASTER, 0, 1, "channel off the master"},
	};
	const unsigned nev = sizeof ev / sizeof ev[0];
	size_t step = (size_t)(0.25 * RATE), len = step * (1 + nev);
	struct rig r = bus_rig(RATE, len, amp, hz);
	/* the slots are whole cycles: a cosine puts every change on the
	 * sine's peak, where a gain that jumped would step by the most */
	fill_sine(r.in[0], len, amp, hz, RATE, M_PI / 2);
	const size_t lat = mixer_latency(r.m);

	/* The bus output during an effect change is dry x d(t) + wet(t): the
	 * dry sum along the switch ramp, the effect's output (its own
	 * crossfade between types) beside it.  |step(a + b)| <= |step a| +
	 * |step b|: the dry part's bound as for any gain, plus the wet's own
	 * largest step, computed here by running the effect on the same
	 * input with the same switches.  The wet's path gains after the
	 * effect are 1: EQ and compressor off, bus fader 0 dB, and into the
	 * master the balance hard left (events before) gives L x 1, master
	 * at 0 dB and its limiter off. */
	size_t sw_at[2];
	int sw_to[2];
	unsigned nsw = 0;
	for (unsigned k = 0; k < nev; k++)
		if (ev[k].id == P_BUS_FX) {
			sw_at[nsw] = step * (k + 1);
			sw_to[nsw++] = (int)ev[k].v;
		}
	/* the bus's sum: the channel's float cosine x the centre pan */
	float *wet = calloc(len, sizeof *wet), *sum = calloc(len, sizeof *sum);
	for (size_t t = 0; t < len; t++)
		sum[t] = r.in[0][t] * (float)c;
	CHECK(fxref_wet(wet, sum, len, RATE, 256, sw_at, sw_to, nsw, NULL) == 0, "fxref_wet");
	free(sum);
	const double wet_gain = 1.0;

	rig_set(&r, P_CH_MASTER, 0, 0, 0.0f);
	render(&r, 0, step, 256);
	double worst = 0, wet_worst = 0;
	for (unsigned k = 0; k < nev; k++) {
		rig_set(&r, ev[k].id, 0, 0, ev[k].v);
		render(&r, step * (k + 1), step * (k + 2), 256);
		/* with the channel on the master beside the bus, the master
		 * carries the tone twice */
		double paths = ev[k].id == P_CH_MASTER ? 2 : 1;
		double bound = (paths * sine_step + amp * c * ev[k].jump * (M_PI / 2) / ramp_frames) * 1.001;
		for (unsigned o = 0; o < 2; o++) {
			unsigned out = o ? O_BL(0) : O_ML;
			/* the wet's step where this window sees it: the master's
			 * output is the bus's lat frames later */
			size_t sh = o ? 0 : lat, a = step * (k + 1) - sh - 1, b = step * (k + 2) - sh;
			double wet_step = ev[k].id == P_BUS_FX ? wet_gain * max_step(wet, a, b) : 0;
			/* from the frame before the change: its first step is the
			 * change's first sample against the last one before it */
			double got = max_step(r.out[out], step * (k + 1) - 1, step * (k + 2));
			CHECK(got <= bound + wet_step * 1.001, "%s: step %g on %s, bound %g (wet %g)",
			      ev[k].what, got, o ? "bus" : "master", bound + wet_step * 1.001, wet_step);
			worst = fmax(worst, got / (bound + wet_step * 1.001));
			wet_worst = fmax(wet_worst, wet_step);
		}
		/* the reference is the bus's wet path: once the dry sum has
		 * ramped out (off -> reverb), the bus output is the wet alone */
		if (ev[k].id == P_BUS_FX && ev[k].v != 0) {
			size_t a = step * (k + 1) + (size_t)ramp_frames + 2 * JMX_CHUNK, b = step * (k + 2);
			double d = 0;
			for (size_t t = a; t < b; t++)
				d = fmax(d, fabs((double)r.out[O_BL(0)][t] - wet[t]));
			CHECK(d <= 1e-6 * peak_abs(wet + a, b - a),
			      "the wet reference is %g off the bus's output", d);
			printf("clicks: bus output = the wet reference within %.3g (peak %.3f)\n", d,
			       peak_abs(wet + a, b - a));
		}
	}
	/* the wet path is not silent: a bound that covered nothing would */
	CHECK(wet_worst > 0.1 * sine_step, "the reverb's wet step %g: a silent effect?", wet_worst);
	free(wet);
	/* a delay swept by a ramp (RT_RAMP, a point a chunk) */
	struct rt_msg m = {P_BUS_DELAY, 0, 0, RT_RAMP, 400.0f, 200.0f};
	mixer_apply(r.m, &m);
	size_t from = step * nev;
	render(&r, from, len, 256); /* re-render the last slot with the sweep */
	double bound = (sine_step + amp * c * 2 * (M_PI / 2) / ramp_frames) * 1.001;
	double got = max_step(r.out[O_BL(0)], from, len);
	CHECK(got <= bound, "delay sweep 3 -> 400 ms: step %g, bound %g", got, bound);
	worst = fmax(worst, got / bound);
	rig_free(&r);
	printf(
	    "clicks: %u changes and a delay sweep, worst step %.2f of its bound (the reverb's own step %.5f, "
	    "the sine's %.5f)\n",
	    nev, worst, wet_worst, sine_step);
}

/* ---- NaN and inf ------------------------------------------------------------------- */

static void test_nan(void)
{
	size_t len = (size_t)(1.0 * RATE), at = (size_t)(0.3 * RATE);
	struct rig r[2];
	for (int k = 0; k < 2; k++) { /* k = 1: the burst; k = 0: the same, clean */
		r[k] = bus_rig(RATE, len, 0.25, 1000);
		rig_set(&r[k], P_BUS_MASTER, 0, 0, 1.0f);
		rig_set(&r[k], P_BUS_DELAY, 0, 0, 20.0f);
		rig_set(&r[k], P_BUS_EQ_ON, 0, 0, 1.0f);
		rig_set(&r[k], P_BUS_EQ_DB, 0, 2, 6.0f);
		rig_set(&r[k], P_BUS_DYN_ON, 0, 0, 1.0f);
		rig_set(&r[k], P_BUS_FX, 0, 0, 2.0f);
		rig_set(&r[k], P_BUS_FX, 0, 0, 0.0f); /* back to off: the sum passes again */
		for (size_t i = at; k && i < at + 100; i++)
			r[k].in[0][i] = (i & 1) ? NAN : INFINITY;
		render(&r[k], 0, len, 256);
	}
	size_t bad = 0;
	for (unsigned o = 0; o < r[1].outs; o++)
		for (size_t i = 0; i < len; i++)
			bad += !isfinite(r[1].out[o][i]);
	CHECK(bad == 0, "%zu non-finite output samples", bad);
	/* the burst left no trace in the level: the strips' input guard
	 * zeroes it, the states are scrubbed, and the compressor (100 ms
	 * release) has long recovered 0.6 s later */
	for (unsigned o = 0; o < 2; o++) {
		unsigned out = o ? O_BL(0) : O_ML;
		double clean = out_db(&r[0], out, 1000, 0.25), got = out_db(&r[1], out, 1000, 0.25);
		CHECK_NEAR(got, clean, 1e-3, o ? "bus after NaN/inf" : "master after NaN/inf");
	}
	rig_free(&r[0]);
	rig_free(&r[1]);
	printf("nan: NaN/inf through a processed, delayed bus: outputs finite, level back\n");
}

/* ---- the real effects on a bus ------------------------------------------------------ */

/* One mono channel sent post-fader at 0 dB to bus 1, off the master
 * itself; bus 1 runs `type`, routed to master; limiter out. */
static struct rig fx_rig(size_t len, int type)
{
	struct rig r = rig_open(1, 0, 1, RATE, len);
	rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
	rig_set(&r, P_CH_MASTER, 0, 0, 0.0f);
	rig_set(&r, P_CH_SEND_LEVEL, 0, 0, 0.0f);
	rig_set(&r, P_BUS_MASTER, 0, 0, 1.0f);
	rig_set(&r, P_BUS_FX, 0, 0, (float)type);
	return r;
}

static void test_fx_return(void)
{
	static const double decays[] = {0.6, 1.5, 4};
	const double c = sqrt(0.5), fader = -6, bal = 0.75;
	/* the laws: bus fader in dB, the balance's left gain cos((p - 0.5) pi) */
	const double g = pow(10.0, fader / 20) * cos((bal - 0.5) * M_PI);
	for (unsigned k = 0; k < sizeof decays / sizeof decays[0]; k++) {
		/* the click after 0.3 s: the send's and the decay's one-pole
		 * glides from their defaults (10 ms) have snapped to their targets */
		const size_t t0 = 14400, len = t0 + (size_t)((decays[k] + 0.6) * RATE);
		struct rig r = fx_rig(len, FX_REVERB);
		rig_set(&r, P_BUS_FX_DECAY, 0, 0, (float)decays[k]);
		rig_set(&r, P_BUS_FADER, 0, 0, (float)fader);
		rig_set(&r, P_BUS_PAN, 0, 0, (float)bal);
		r.in[0][t0] = 1.0f;
		render(&r, 0, len, 256);
		const size_t lat = mixer_latency(r.m);
		/* the effect alone, on the bus's sum (the click x the centre pan),
		 * switched on at frame 0 as the bus's first piece switched it */
		float *sum = calloc(len, sizeof *sum), *wet = calloc(len, sizeof *wet);
		sum[t0] = (float)c;
		float par[FXP_COUNT];
		for (unsigned p = 0; p < FXP_COUNT; p++)
			par[p] = NAN;
		par[FXP_DECAY_S] = (float)decays[k];
		size_t at0 = 0;
		int ty = FX_REVERB;
		CHECK(fxref_wet(wet, sum, len, RATE, 256, &at0, &ty, 1, par) == 0, "fxref_wet");
		/* master L = g x the effect's response, lat frames later: energy
		 * and the largest difference, float rounding only */
		const float *ml = r.out[O_ML];
		double e_m = 0, e_w = 0, diff = 0, pk = peak_abs(wet, len);
		for (size_t t = 0; t + lat < len; t++) {
			e_m += (double)ml[t + lat] * ml[t + lat];
			e_w += (double)wet[t] * wet[t];
			diff = fmax(diff, fabs(ml[t + lat] - g * wet[t]));
		}
		char what[100];
		snprintf(what, sizeof what, "reverb return %.1f s: master level against the effect's",
		         decays[k]);
		CHECK_NEAR(10 * log10(e_m / e_w), db20(g), 1e-3, what);
		CHECK(diff <= 1e-5 * pk, "%s: largest difference %g (peak %g)", what, diff, pk);
		/* RT60 at the master, from the click on */
		double tl = fxref_rt60_1k(ml + t0 + lat, len - t0 - lat, RATE);
		double tr = fxref_rt60_1k(r.out[O_MR] + t0 + lat, len - t0 - lat, RATE);
		printf("fx return: reverb %.1f s, RT60 at the master L %.3f s, R %.3f s; level %+.4f dB, law "
		       "%+.4f dB\n",
		       decays[k], tl, tr, 10 * log10(e_m / e_w), db20(g));
		CHECK(fabs(tl / decays[k] - 1) <= 0.10, "RT60 at master L %.3f s for %.2f s", tl, decays[k]);
		CHECK(fabs(tr / decays[k] - 1) <= 0.10, "RT60 at master R %.3f s for %.2f s", tr, decays[k]);
		free(sum), free(wet);
		rig_free(&r);
	}
}

static void test_fx_trails(void)
{
	const double decay = 1.2;
	const size_t stop = (size_t)(0.8 * RATE), len = stop + (size_t)(2.0 * RATE);
	static const char *const how[] = {"channel muted", "send off", "bus muted"};
	for (int k = 0; k < 3; k++) {
		struct rig r = fx_rig(len, FX_REVERB);
		rig_set(&r, P_BUS_FX_DECAY, 0, 0, (float)decay);
		uint32_t z = 12345;
		for (size_t t = 0; t < len; t++) { /* noise all along: only the mute stops it */
			z ^= z << 13, z ^= z >> 17, z ^= z << 5;
			r.in[0][t] = 0.5f * ((float)z / 4294967296.0f - 0.5f);
		}
		render(&r, 0, stop, 256);
		if (k == 0)
			rig_set(&r, P_CH_MUTE, 0, 0, 1.0f);
		else if (k == 1)
			rig_set(&r, P_CH_SEND_LEVEL, 0, 0, -90.0f);
		else
			rig_set(&r, P_BUS_MUTE, 0, 0, 1.0f);
		render(&r, stop, len, 256);
		const size_t lat = mixer_latency(r.m);
		/* the mute or the send's switch ramp ends within its whole chunks
		 * plus the chunk under way; the master is lat frames later */
		size_t quiet = stop + (dsp_switch_chunks(RATE) + 1) * JMX_CHUNK + lat;
		const float *ml = r.out[O_ML];
		if (k == 2) {
			double pm = peak_abs(ml + quiet, len - quiet),
			       pb = peak_abs(r.out[O_BL(0)] + quiet - lat, len - quiet + lat);
			CHECK(pm == 0.0 && pb == 0.0, "bus muted: the tail is cut (master %g, bus %g)", pm,
			      pb);
			printf(
			    "fx trails: bus muted, master and bus outputs exact 0 after the switch ramp\n");
		} else {
			/* the effect's input is exact 0 from `quiet` - lat on: what
			 * the master carries from there is the free decay */
			double before = rms(ml + stop - 4800, 4800), after = rms(ml + quiet, 4800);
			double t60 = fxref_rt60_1k(ml + quiet, len - quiet, RATE);
			printf("fx trails: %s, the tail's RT60 at the master %.3f s (set %.1f s), rms %.4f "
			       "-> %.4f\n",
			       how[k], t60, decay, before, after);
			CHECK(after > 0.1 * before, "%s: the tail does not ring on (rms %g, before %g)",
			      how[k], after, before);
			CHECK(fabs(t60 / decay - 1) <= 0.10,
			      "%s: the tail decays with RT60 %.3f s, set %.2f s", how[k], t60, decay);
		}
		rig_free(&r);
	}
}

static void test_fx_sync(void)
{
	static const struct {
		float bpm;
		const char *div;
	} cs[] = {{120, "1/8d"}, {97, "1/4t"}, {140, "1/16"}, {60, "1/2"}, {0, "1/4"}};
	const float set_ms = 700;
	struct rig r = fx_rig((size_t)(16 * RATE), FX_DELAY);
	const size_t lat = mixer_latency(r.m);
	rig_set(&r, P_BUS_FX_SYNC, 0, 0, 1.0f);
	rig_set(&r, P_BUS_FX_FEEDBACK, 0, 0, 0.0f);
	rig_set(&r, P_BUS_FX_DAMP, 0, 0, (float)FX_DAMP_OFF_HZ);
	rig_set(&r, P_BUS_FX_TIME, 0, 0, set_ms);
	/* 0.3 s: the send's glide from -90 dB and the channel's master
	 * switch (one-pole, 10 ms) have reached their targets exactly */
	size_t t = 14400;
	render(&r, 0, t, 256);
	for (unsigned k = 0; k < sizeof cs / sizeof cs[0]; k++) {
		double beats = 0;
		int d = fxref_division(cs[k].div, &beats);
		CHECK(d >= 0, "division %s", cs[k].div);
		rig_set(&r, P_BUS_FX_DIVISION, 0, 0, (float)d);
		mixer_set_tempo(r.m, cs[k].bpm);
		long D =
		    cs[k].bpm > 0 ? lround(60.0 / cs[k].bpm * beats * RATE) : lround(set_ms * 1e-3 * RATE);
		/* the line still holds the last click: the new tap reads it D
		 * after it went in; let that pass (and the taps' 20 ms
		 * crossfade) before the next click */
		render(&r, t, t + (size_t)D + 4800, 256);
		t += (size_t)D + 4800;
		size_t t0 = t + 37;
		r.in[0][t0] = 1.0f;
		size_t end = t0 + (size_t)D + lat + 4800;
		render(&r, t, end, 256);
		long at = first_nonzero(r.out[O_ML] + t, end - t);
		at = at < 0 ? -1 : at + (long)(t - t0);
		CHECK(at == D + (long)lat,
		      "%g BPM %s: echo at the master %ld frames after the click, want %ld + %zu",
		      (double)cs[k].bpm, cs[k].div, at - (long)lat, D, lat);
		/* the echo is the click x the centre pan, undistorted */
		CHECK_NEAR(r.out[O_ML][t0 + (size_t)D + lat], sqrt(0.5), 1e-6, "the echo's value");
		printf("fx sync: %5.1f BPM %-4s -> echo after %ld frames (%.4f s)\n", (double)cs[k].bpm,
		       cs[k].div, at - (long)lat, (double)(at - (long)lat) / RATE);
		t = end;
	}
	rig_free(&r);
}

int main(void)
{
	test_routing();
	test_eq();
	test_comp();
	test_delay();
	test_solo();
	test_trails();
	test_clicks();
	test_nan();
	test_fx_return();
	test_fx_trails();
	test_fx_sync();
	return test_exit("test_bus");
}
