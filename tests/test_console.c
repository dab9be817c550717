/*
 * test_console.c - what the console computes, in-process and frame-exact:
 * the real audio period (rtcycle_run) on plain buffers with a simulated
 * clock and transport, fed by the real control side through OSC packets
 * (tests/sim.c).  No JACK server, no sleeps, no xruns: every run is the
 * same to the sample, so nothing here is ever taken again.  These checks
 * used to run against a daemon on a private jackd (engine-integration.sh,
 * osc-integration.sh's audio mode, auto-ramp.sh, auto-lanes.sh,
 * rec-stems.sh), where a skipped period could spoil any of them.
 *
 *   levels   fader (dB and the X32 law), constant-power pan, mute,
 *            pre/post sends, bus fader and mute, PFL/AFL solo on the
 *            monitor with the master untouched, the monitor fader; the
 *            master's delay against a bus output is the limiter latency
 *            the mixer reports (which engine.c hands to JACK)
 *   bundle   one OSC bundle (unmute ch 1, 2500 other messages, unmute
 *            bus 1) changes both outputs in the same period, the first
 *            after its arrival; a single message lands in the next period
 *   ramp     a timed move over OSC follows the dB line at every sample
 *            from the first period after it arrived and ends bit-exactly;
 *            feedback moves with it at the paced rate; /stop holds where
 *            the move had got to and the model follows; /master/fade
 *            reaches silence; a scene recall with a 1 s fade follows the
 *            dB line and is fed back moving
 *   lanes    a ride written over OSC while the transport rolls is read
 *            back at the same transport frames within the thinning
 *            tolerance; the read pass follows the lane; its feedback is
 *            paced and on the lane; a locate glides to the lane; touch and
 *            latch passes record the touched value only where they should
 *   stems    the recorder's ring: each stem is its input after trim and
 *            polarity and holds only its own tone; a click on lane 1 is in
 *            master_L exactly the reported latency later
 *   bus scene a scene recall (500 ms fade) brings a subgroup's bus routing,
 *            delay, balance, EQ and effect back, exactly and click-free
 *   fx scene scenes that change only a bus's effect type (reverb -> off,
 *            off -> reverb): no step beyond the dry sum's switch-ramp bound
 *            plus the wet path's own step (fx.h run here, fx_ref.h)
 *   mute     mute, unmute and a fader to -inf and back on the channel, bus,
 *            master and monitor reach their end (exact 0, or exactly the
 *            level before) within 10 ms, at 44.1, 48 and 96 kHz, periods
 *            aligned to the chunks or not
 *
 * Gains are computed here from the laws (dB, constant-power pan, the X32
 * fader law in test_util.h), never read back from the console.  Every
 * tolerance is derived where it is used.
 *
 * Threads: one (see sim.h).
 */
#include <string.h>

#include "control.h"
#include "fx_ref.h"
#include "lanes.h"
#include "response.h"
#include "sim.h"
#include "test_util.h"

#define RATE   48000u
#define PERIOD 256u
#define HZ     1000.0
#define AMP    0.25 /* -12 dBFS */
#define DC     0.5f
/* A frame plays the value its path (a move, a fade, a lane) reaches at
 * the frame's end: frame k of a move carries step k + 1, and the last
 * frame lands on the target. */
#define AT_END 1

/* Outputs (mixer.h): master L R, monitor L R, bus 1 L R, bus 2 L R. */
enum { O_ML, O_MR, O_MONL, O_MONR, O_B1L, O_B1R, O_B2L };

/* 200 ms: 20 time constants of the 10 ms parameter smoothing, which
 * leaves e^-20 = 2e-9 of a step, 2e-8 dB: nothing any check here sees. */
#define SETTLE (RATE / 5)

/* ---- sources ------------------------------------------------------------------ */

struct src {
	double amp[8], hz[8]; /* per lane: a sine (hz 0: DC of amp) */
	uint32_t seed;        /* noise on lane 0 when amp[0] < 0 */
	unsigned click_every; /* a click of 0.5 on lane 0 every so many frames */
	unsigned click_at;
};

static void source(void *ctx, unsigned lane, uint64_t at, float *buf, unsigned n)
{
	struct src *s = ctx;
	for (unsigned i = 0; i < n; i++) {
		uint64_t f = at + i;
		double v = 0;
		if (lane < 8 && s->amp[lane] < 0) {
			s->seed = s->seed * 1664525u + 1013904223u;
			v = 0.1 * ((double)(s->seed >> 8) / (double)(1u << 24) - 0.5);
		} else if (lane < 8 && s->hz[lane] > 0) {
			/* the phase from the frame modulo the tone's whole period
			 * (48 kHz / hz frames for every hz used here), so it stays
			 * exact however long the run */
			double per = RATE / s->hz[lane];
			double ph = fmod((double)f, per) / per;
			v = s->amp[lane] * sin(2.0 * M_PI * ph);
		} else if (lane < 8) {
			v = s->amp[lane];
		}
		if (lane == 0 && s->click_every && f % s->click_every == s->click_at)
			v = 0.5;
		buf[i] = (float)v;
	}
}

static struct sim *console(unsigned mono, unsigned stereo, unsigned buses, uint32_t ring, int stems,
                           struct src *src)
{
	struct sim_config c = {mono, stereo, buses, RATE, PERIOD, ring, stems, 0};
	struct sim *s = sim_new(&c);
	if (!s)
		exit(1);
	sim_set_source(s, source, src);
	return s;
}

/* ---- levels (was engine-integration.sh) ------------------------------------------ */

#define CAPN 9600u /* 200 ms: 200 whole cycles of 1 kHz */

static double level(struct sim *s, int o)
{
	return db20(tone_amplitude(s->cap[o], s->cap_n, HZ, RATE));
}

static void settle_capture(struct sim *s)
{
	sim_run(s, SETTLE);
	sim_capture(s, CAPN);
	sim_run(s, CAPN);
}

/* The tone is a float sine (relative error 2^-24 = 5e-7 dB), every gain
 * on its way is a product of a few floats, and the correlation over 9600
 * samples averages the rounding: the level is exact to ~1e-6 dB (7e-7
 * measured).  1e-5 dB leaves ten times that, and is 5000 times tighter
 * than the 0.05 dB a JACK capture needed; silence is exactly 0 (a muted
 * or unrouted gain is 0, and the smoothing snaps to its target). */
#define TOL_LEVEL 1e-5

static double level_worst; /* the largest level error seen */

static void expect_level(struct sim *s, int o, double want_db, const char *what)
{
	static const char *const name[] = {"master_L", "master_R", "mon_L",  "mon_R",
	                                   "bus_1_L",  "bus_1_R",  "bus_2_L"};
	if (want_db < -89) {
		double p = peak_abs(s->cap[o], s->cap_n);
		CHECK(p == 0.0, "%s: %s peaks at %g, want silence", what, name[o], p);
		return;
	}
	double got = level(s, o);
	level_worst = fmax(level_worst, fabs(got - want_db));
	CHECK(fabs(got - want_db) <= TOL_LEVEL, "%s: %s at %.5f dB, want %.5f", what, name[o], got, want_db);
}

static void test_levels(void)
{
	struct src src = {{AMP}, {HZ}, 0, 0, 0};
	struct sim *s = console(2, 0, 2, 0, 0, &src);
	const double a = db20(AMP), centre = db20(sqrt(0.5)); /* constant-power pan at 0.5 */

	settle_capture(s);
	expect_level(s, O_ML, a + centre, "centre pan");
	expect_level(s, O_MR, a + centre, "centre pan");
	expect_level(s, O_MONL, a + centre, "monitor = master copy");
	expect_level(s, O_B1L, -100, "send off");

	sim_osc_f(s, "/ch/1/fader/db", -10);
	settle_capture(s);
	expect_level(s, O_ML, a + centre - 10, "fader -10 dB");

	sim_osc_f(s, "/ch/1/fader", 0.5f); /* the X32 law: 0.5 is -10 dB too */
	sim_osc_f(s, "/ch/1/pan", 0.0f);
	settle_capture(s);
	expect_level(s, O_ML, a + x32_to_db(0.5), "X32 fader 0.5, pan hard left");
	expect_level(s, O_MR, -100, "pan hard left");

	sim_osc_i(s, "/ch/1/mute", 1);
	settle_capture(s);
	expect_level(s, O_ML, -100, "mute");
	expect_level(s, O_MR, -100, "mute");

	sim_osc_f(s, "/ch/1/send/1/level/db", 0);
	settle_capture(s);
	expect_level(s, O_B1L, -100, "post send, channel muted");
	sim_osc_i(s, "/ch/1/send/1/pre", 1);
	settle_capture(s);
	expect_level(s, O_B1L, a, "pre send ignores fader and mute");
	sim_osc_i(s, "/ch/1/mute", 0);
	sim_osc_i(s, "/ch/1/send/1/pre", 0);
	settle_capture(s);
	expect_level(s, O_B1L, a - 10, "post send follows fader and pan");
	sim_osc_f(s, "/bus/1/fader/db", -6);
	settle_capture(s);
	expect_level(s, O_B1L, a - 16, "bus fader");
	sim_osc_i(s, "/bus/1/mute", 1);
	settle_capture(s);
	expect_level(s, O_B1L, -100, "bus mute");
	sim_osc_i(s, "/bus/1/mute", 0);
	sim_osc_f(s, "/bus/1/fader/db", 0);

	sim_osc_i(s, "/ch/1/solo", 1);
	settle_capture(s);
	expect_level(s, O_MONL, a, "PFL: pre-fader on the monitor");
	expect_level(s, O_ML, a - 10, "master untouched by solo");
	expect_level(s, O_MR, -100, "master untouched by solo");
	sim_osc_i(s, "/mon/afl", 1);
	settle_capture(s);
	expect_level(s, O_MONL, a - 10, "AFL: post-fader, post-pan");
	sim_osc_f(s, "/mon/fader/db", -20);
	settle_capture(s);
	expect_level(s, O_MONL, a - 30, "monitor fader");
	sim_osc_i(s, "/ch/1/solo", 0);
	sim_osc_f(s, "/mon/fader/db", 0);
	settle_capture(s);
	expect_level(s, O_MONL, a - 10, "monitor back to master copy");
	expect_level(s, O_ML, a - 10, "master still untouched");

	/* latency: bus_1_L carries the post-fader signal undelayed, master_L
	 * the same through the limiter's lookahead; noise makes the
	 * correlation peak unique */
	sim_osc_f(s, "/ch/1/fader/db", 0);
	sim_osc_f(s, "/ch/1/send/1/level/db", 0);
	src.amp[0] = -1;
	src.seed = 12345;
	settle_capture(s);
	int best = -1;
	double best_c = 0, e = 0;
	for (int lag = 0; lag < 2048; lag++) {
		double c = 0;
		for (unsigned i = 0; i + (unsigned)lag < s->cap_n; i++)
			c += (double)s->cap[O_B1L][i] * s->cap[O_ML][i + (unsigned)lag];
		if (c > best_c)
			best_c = c, best = lag;
	}
	for (unsigned i = 0; i < s->cap_n; i++)
		e += (double)s->cap[O_B1L][i] * s->cap[O_B1L][i];
	CHECK(best == (int)mixer_latency(s->mixer), "master delay %d frames, the mixer reports %u", best,
	      mixer_latency(s->mixer));
	/* pan hard left: master_L = bus_1_L, delayed (both post-fader, post-pan) */
	CHECK(best_c > 0.999 * e * (s->cap_n - (unsigned)best) / s->cap_n,
	      "master_L is a delayed copy of bus_1_L");
	printf("  levels: 19 gain checks, worst %.2e dB off; master delay %d frames\n", level_worst, best);
	sim_free(s);
}

/* ---- one bundle, one period (was osc-integration.sh, itest_osc audio) -------------- */

static long onset(const float *x, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (x[i] != 0.0f)
			return (long)i;
	return -1;
}

static void test_bundle(void)
{
	struct src src = {{DC}, {0}, 0, 0, 0};
	struct sim *s = console(8, 0, 2, 0, 0, &src);
	/* ch 1: pre-fader send to bus 1, post-fader send to bus 2; ch 1 and
	 * bus 1 muted, so both bus outputs are silent (bus outputs have no
	 * lookahead: their onsets compare directly) */
	sim_osc_i(s, "/ch/1/send/1/pre", 1);
	sim_osc_f(s, "/ch/1/send/1/level/db", 0);
	sim_osc_f(s, "/ch/1/send/2/level/db", 0);
	sim_osc_i(s, "/ch/1/mute", 1);
	sim_osc_i(s, "/bus/1/mute", 1);
	sim_run(s, SETTLE);

	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_message first = lo_message_new(), last = lo_message_new();
	lo_message_add_int32(first, 0);
	lo_message_add_int32(last, 0);
	lo_bundle_add_message(b, "/ch/1/mute", first);
	for (int k = 0; k < 2500; k++) {
		lo_message f = lo_message_new();
		lo_message_add_float(f, (float)(k % 100) / 100.0f);
		lo_bundle_add_message(b, "/ch/2/pan", f);
	}
	lo_bundle_add_message(b, "/bus/1/mute", last);
	sim_capture(s, 8 * PERIOD);
	sim_run(s, 3 * PERIOD);
	CHECK(sim_osc_bundle(s, b) == 0, "the bundle is dispatched");
	lo_bundle_free_recursive(b);
	sim_run(s, 5 * PERIOD);
	long o2 = onset(s->cap[O_B2L], s->cap_n), o1 = onset(s->cap[O_B1L], s->cap_n);
	/* the first period after the bundle arrived carries both changes,
	 * from its first sample (a mute ramps, it does not wait) */
	CHECK(o2 == 3 * PERIOD && o1 == 3 * PERIOD,
	      "bundle: ch 1 unmute heard at frame %ld on bus 2, bus 1 unmute at %ld; want both at %u", o2, o1,
	      3 * PERIOD);
	const struct sim_msg *m = sim_query(s, "/ch/2/pan");
	CHECK(m && m->num[0] == 0.99f, "the bundle's last /ch/2/pan is applied (%g)", m ? m->num[0] : NAN);
	CHECK(mixer_value_published(
	          s->mixer, (unsigned)lanes_flat(automation_lanes(s->autom), P_CH_PAN, 1, 0)) == 0.99f,
	      "the audio thread has the last /ch/2/pan");

	/* one message: the next period, from its first sample */
	sim_osc_i(s, "/bus/1/mute", 1);
	sim_run(s, SETTLE);
	sim_capture(s, 4 * PERIOD);
	sim_run(s, PERIOD);
	sim_osc_i(s, "/bus/1/mute", 0);
	sim_run(s, 3 * PERIOD);
	o1 = onset(s->cap[O_B1L], s->cap_n);
	CHECK(o1 == PERIOD, "a set lands at frame %ld, want %u (the next period)", o1, PERIOD);
	printf("  bundle: 2502 messages in one period; a set in the next period\n");
	sim_free(s);
}

/* ---- timed moves and fades (was auto-ramp.sh) -------------------------------------- */

/* master_L in dB relative to ref at capture frame k */
static double rel_db(const struct sim *s, unsigned k, double ref)
{
	return db20(fabs(s->cap[O_ML][k]) / ref);
}

/* The dB path of a move from `from` to `to` over `frames` starting at
 * capture frame k0: the largest distance of master_L (delayed by lat). */
static double path_error(const struct sim *s, unsigned k0, unsigned lat, unsigned frames, double from,
                         double to, double ref)
{
	double worst = 0;
	for (unsigned k = 0; k <= frames && k0 + k + lat < s->cap_n; k++) {
		double want = from + (to - from) * fmin(1.0, (double)(k + AT_END) / frames);
		double e = fabs(rel_db(s, k0 + k + lat, ref) - want);
		worst = e > worst ? e : worst;
	}
	return worst;
}

/* Feedback of path from sim message index `from`: how many values lie
 * strictly between lo and hi, whether they never go back, the last. */
static void feedback(const struct sim *s, unsigned from, const char *path, double lo, double hi,
                     unsigned *mid, int *rising, double *last)
{
	double prev = -1e9;
	*mid = 0;
	*rising = 1;
	*last = NAN;
	for (unsigned i = from; i < s->nmsg; i++) {
		const struct sim_msg *m = &s->msg[i];
		if (strcmp(m->path, path) || m->argc != 1)
			continue;
		double v = m->num[0];
		*mid += v > lo && v < hi;
		*rising &= v >= prev;
		prev = v;
		*last = v;
	}
}

/* Feedback is coalesced per path to at most one value every 34 ms
 * (osc.c's OSC_FB_INTERVAL_MS), sent from its 5 ms timer: one value
 * every 35 ms while a value keeps changing (a move changes the shown
 * value at every 10 ms automation tick).  Over a 1 s move that is
 * 1000 / 35 = 28.6 intervals: 28 or 29 values on the way, one more when
 * the first falls right after the start; fewer means a stalled feed,
 * more a pacing that broke. */
#define FB_MIN 28u
#define FB_MAX 30u

static void subscribe(struct sim *s, const char *what)
{
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 0);
	lo_message_add_int32(m, 30);
	lo_message_add_string(m, what);
	sim_osc_msg(s, "/subscribe", m);
	sim_run(s, RATE); /* the state burst */
	sim_msgs_clear(s);
}

#define TOL_PATH 1e-4

static void test_ramp(void)
{
	struct src src = {{DC}, {0}, 0, 0, 0};
	struct sim *s = console(2, 0, 1, 0, 0, &src);
	const unsigned lat = mixer_latency(s->mixer);
	sim_run(s, SETTLE);
	sim_capture(s, PERIOD);
	sim_run(s, PERIOD);
	const double ref = s->cap[O_ML][PERIOD - 1]; /* 0 dB */
	CHECK_NEAR(ref, DC * sqrt(0.5), 1e-6, "reference: DC through the centre pan");

	/* a move -40 -> 0 dB over 1 s */
	sim_osc_f(s, "/ch/1/fader/db", -40);
	sim_run(s, SETTLE);
	subscribe(s, "values,/ch/1/fader/db");
	sim_capture(s, 2 * RATE);
	sim_run(s, PERIOD);
	sim_osc_ff(s, "/ch/1/fader/db", 0, 1000);
	const struct sim_msg *m = sim_query(s, "/ch/1/fader/db");
	CHECK(m && m->num[0] == -40.0f, "the fader shows where the move starts, not the target (%g)",
	      m ? m->num[0] : NAN);
	sim_msgs_clear(s);
	sim_run(s, RATE * 3 / 2);
	/* the move starts with the period after it arrived, at frame PERIOD
	 * of the capture, and is linear in gain inside 64-frame chunks
	 * between points on the dB line: the chord of an exponential over
	 * 40 dB/s x 64/48000 s = 0.053 dB = 0.0061 Np strays by 0.0061^2/8
	 * Np = 4.1e-5 dB.  TOL_PATH is that with room for float rounding;
	 * a path one frame late is 8e-4 dB off, a period late 0.21 dB. */
	double worst = path_error(s, PERIOD, lat, RATE, -40, 0, ref);
	CHECK(worst <= TOL_PATH, "the move strays %.5f dB from the dB line", worst);
	int exact = 1;
	for (unsigned k = PERIOD + RATE + 64 + lat; k < s->cap_n; k++)
		exact &= s->cap[O_ML][k] == (float)ref;
	CHECK(exact, "after the move the output is bit-exactly the 0 dB level");
	unsigned mid;
	int rising;
	double last;
	feedback(s, 0, "/ch/1/fader/db", -40, 0, &mid, &rising, &last);
	CHECK(mid >= FB_MIN && mid <= FB_MAX && rising && last == 0.0,
	      "move feedback: %u values on the way (want %u..%u), rising %d, last %g", mid, FB_MIN, FB_MAX,
	      rising, last);
	m = sim_query(s, "/ch/1/fader/db");
	CHECK(m && m->num[0] == 0.0, "the fader reads exactly 0 after the move");
	printf("  ramp: %.5f dB from the dB line; %u feedback values on the way\n", worst, mid);
	sim_osc_0(s, "/unsubscribe");

	/* /stop half way: the move holds where it got to */
	sim_osc_f(s, "/ch/1/fader/db", -40);
	sim_run(s, SETTLE);
	sim_capture(s, 2 * RATE);
	sim_osc_ff(s, "/ch/1/fader/db", 0, 2000);
	unsigned ran = sim_run(s, RATE);
	sim_osc_0(s, "/ch/1/fader/stop");
	sim_run(s, RATE / 2);
	/* the move ran for `ran` frames (whole periods), then RT_HOLD
	 * stopped it at the start of the next period */
	double held_want = -40 + 40.0 * ran / (2.0 * RATE);
	double held = rel_db(s, s->cap_n - 1, ref);
	CHECK(fabs(held - held_want) <= 1e-3, "held at %.4f dB, want %.4f", held, held_want);
	CHECK(s->cap[O_ML][ran + lat + 64] == s->cap[O_ML][s->cap_n - 1], "the level holds after /stop");
	m = sim_query(s, "/ch/1/fader/db");
	CHECK(m && fabs(m->num[0] - held_want) <= 1e-3, "the fader reads %.4f, the level %.4f",
	      m ? m->num[0] : NAN, held_want);

	/* /master/fade to silence */
	sim_osc_f(s, "/ch/1/fader/db", 0);
	sim_run(s, SETTLE);
	unsigned from = s->nmsg;
	sim_osc_f(s, "/master/fade", 0.4f);
	m = sim_last(s, "/master/fade", from);
	CHECK(m && fabs(m->num[0] - 0.4) < 1e-6, "/master/fade replies %g", m ? m->num[0] : NAN);
	sim_run(s, RATE * 2 / 5 + lat + PERIOD);
	sim_capture(s, CAPN);
	sim_run(s, CAPN);
	CHECK(peak_abs(s->cap[O_ML], s->cap_n) == 0.0, "silence after /master/fade");
	m = sim_query(s, "/master/fader/db");
	CHECK(m && m->num[0] == -90.0, "master fader at %g after the fade", m ? m->num[0] : NAN);
	sim_osc_f(s, "/master/fader/db", 0);

	/* a scene recall with a 1 s fade */
	sim_osc_f(s, "/ch/1/fader/db", 0);
	sim_run(s, SETTLE);
	from = s->nmsg;
	sim_osc_s(s, "/snapshot/save", "fade");
	m = sim_last(s, "/snapshot/save", from);
	CHECK(m && !strcmp(m->str[0], "fade"), "/snapshot/save fade");
	sim_osc_f(s, "/ch/1/fader/db", -40);
	sim_run(s, SETTLE);
	subscribe(s, "values,/ch/1/fader/db");
	sim_capture(s, 2 * RATE);
	sim_run(s, PERIOD);
	sim_osc_sf(s, "/snapshot/load", "fade", 1000);
	sim_run(s, RATE * 3 / 2);
	worst = path_error(s, PERIOD, lat, RATE, -40, 0, ref);
	CHECK(worst <= TOL_PATH, "the recall's fade strays %.5f dB from the dB line", worst);
	feedback(s, 0, "/ch/1/fader/db", -40, 0, &mid, &rising, &last);
	CHECK(mid >= FB_MIN && mid <= FB_MAX && rising && last == 0.0,
	      "recall feedback: %u values on the way (want %u..%u), rising %d, last %g", mid, FB_MIN, FB_MAX,
	      rising, last);
	m = sim_query(s, "/ch/1/fader/db");
	CHECK(m && m->num[0] == 0.0, "after the recall the fader reads exactly 0");
	printf("  recall with a 1 s fade: %.5f dB from the dB line; %u feedback values on the way\n", worst,
	       mid);
	sim_free(s);
}

/* ---- lanes against the transport (was auto-lanes.sh) -------------------------------- */

/* Capture index of transport frame f in a rolling capture, or -1. */
static long at_frame(const struct sim *s, uint32_t f)
{
	for (unsigned i = 0; i < s->cap_n; i++)
		if (s->cap_roll[i] && s->cap_tf[i] == f)
			return (long)i;
	return -1;
}

/* Run until the transport has passed frame f. */
static void run_to(struct sim *s, uint32_t f)
{
	while (s->tframe < f)
		sim_run(s, PERIOD);
}

static void test_lanes(void)
{
	struct src src = {{DC}, {0}, 0, 0, 0};
	struct sim *s = console(2, 0, 1, 0, 0, &src);
	const unsigned lat = mixer_latency(s->mixer);
	const struct lanes *L = automation_lanes(s->autom);
	const unsigned flat = (unsigned)lanes_flat(L, P_CH_FADER, 0, 0);
	const double tol = lanes_tolerance(P_CH_FADER); /* thinning: 0.1 dB */
	struct lanes *old = lanes_new(&L->shape);
	sim_run(s, SETTLE);
	sim_capture(s, PERIOD);
	sim_run(s, PERIOD);
	const double ref = s->cap[O_ML][PERIOD - 1];

	/* pass A: a ride written while rolling, a set every 4 periods */
	sim_osc_0(s, "/automation/clear");
	sim_osc_f(s, "/ch/1/fader/db", -20);
	sim_osc_s(s, "/ch/1/fader/auto", "write");
	sim_run(s, SETTLE);
	static float pass_a[3 * RATE];
	sim_capture(s, 3 * RATE);
	sim_roll(s, 1);
	unsigned sets = 0;
	while (s->cap_n < 3 * RATE) {
		sim_osc_f(s, "/ch/1/fader/db", (float)(-20 + 10 * sin(2 * M_PI * 0.4 * s->tframe / RATE)));
		sets++;
		sim_run(s, 4 * PERIOD);
	}
	sim_roll(s, 0);
	sim_run(s, SETTLE); /* the pass is collected, thinned and merged */
	memcpy(pass_a, s->cap[O_ML], sizeof pass_a);
	const unsigned na = L->lane[flat].n;
	CHECK(na >= 3 && na < sets, "the pass: %u sets became %u points", sets, na);

	/* pass B: read it back from the same transport frames */
	sim_osc_s(s, "/ch/1/fader/auto", "read");
	sim_osc_f(s, "/ch/1/fader/db", -60); /* read mode: the lane wins */
	sim_locate(s, 0);
	sim_run(s, SETTLE);
	sim_capture(s, 3 * RATE);
	sim_roll(s, 1);
	sim_run(s, 3 * RATE);
	sim_roll(s, 0);
	/* both captures begin with the period at transport frame 0 (the
	 * write pass's first set came with it), so sample k of each is the
	 * same transport frame.  Pass A played the ride as it was smoothed
	 * and recorded; pass B plays its thinned points: the thinning
	 * tolerance apart at most, plus the chord error inside a chunk
	 * (4e-6 dB, see test_ramp) */
	double worst = 0, lane_err = 0;
	unsigned worst_at = 0;
	for (unsigned k = 0; k < 3 * RATE; k++) {
		double e = fabs(db20(fabs(pass_a[k]) / ref) - rel_db(s, k, ref));
		if (e > worst)
			worst = e, worst_at = k;
		if (k >= lat + 64) { /* and pass B is the lane, delayed by the limiter */
			double l = fabs(rel_db(s, k, ref) - lanes_eval(L, flat, s->cap_tf[k] - lat + AT_END));
			lane_err = l > lane_err ? l : lane_err;
		}
	}
	CHECK(worst <= tol + 1e-3, "read pass: %.4f dB from the write pass at frame %u (tolerance %.3f)",
	      worst, worst_at, tol + 1e-3);
	/* the lane's value at a chunk's end is reached exactly there; in
	 * between the mixer's gain is linear and the lane straight in dB:
	 * the chord error of test_ramp, smaller at the ride's steepest 25
	 * dB/s (1.6e-5 dB), plus the corner a chunk cuts at a lane point
	 * (4e-5 dB here).  A frame's shift would be 5e-4 dB. */
	CHECK(lane_err <= TOL_PATH, "read pass vs the lane: %.5f dB", lane_err);
	printf(
	    "  write %u sets -> %u points; read pass within %.4f dB of the write pass, %.6f dB of the lane\n",
	    sets, na, worst, lane_err);

	/* feedback of a playing lane: paced, and on the lane */
	subscribe(s, "values,/ch/1/fader/db");
	sim_locate(s, 0);
	sim_roll(s, 1);
	sim_run(s, 2 * RATE);
	sim_roll(s, 0);
	double lo = 1e9, hi = -1e9;
	for (unsigned i = 0; i < na; i++) {
		lo = fmin(lo, L->lane[flat].value[i]);
		hi = fmax(hi, L->lane[flat].value[i]);
	}
	unsigned nfb = 0, off = 0;
	for (unsigned i = 0; i < s->nmsg; i++)
		if (!strcmp(s->msg[i].path, "/ch/1/fader/db") && s->msg[i].argc == 1) {
			nfb++;
			off += s->msg[i].num[0] < lo - 1e-4 || s->msg[i].num[0] > hi + 1e-4;
		}
	/* 2 s of a lane that never stands still: 2000 / 35 = 57.1 intervals */
	CHECK(nfb >= 2 * FB_MIN && nfb <= 2 * FB_MAX && off == 0,
	      "lane feedback: %u values in 2 s, %u off the lane", nfb, off);
	sim_osc_0(s, "/unsubscribe");

	/* a locate while playing glides to the lane over AUTOPLAY_GLIDE_MS */
	sim_locate(s, 0);
	sim_capture(s, RATE);
	sim_roll(s, 1);
	run_to(s, 30000);
	sim_locate(s, 90000);
	sim_run(s, RATE / 4);
	sim_roll(s, 0);
	long j = at_frame(s, 90000);
	CHECK(j > 0, "the locate shows in the capture");
	if (j > 0) {
		const unsigned glide = (unsigned)(AUTOPLAY_GLIDE_MS * RATE / 1000); /* 960 */
		unsigned k = (unsigned)j + lat;
		double before = rel_db(s, k - 1, ref), target = lanes_eval(L, flat, 90000);
		double maxstep = 0;
		for (unsigned i = k; i < k + glide + 64; i++)
			maxstep = fmax(maxstep, fabs(rel_db(s, i, ref) - rel_db(s, i - 1, ref)));
		/* a glide over `glide` frames moves at most the distance over
		 * the glide per frame, plus the lane's own slope (the ride:
		 * at most 2 pi 0.4 x 10 dB/s = 25 dB/s, 5e-4 dB a frame) */
		double slope = fabs(target - before) / glide + 6e-4;
		/* and inside a 64-frame chunk the gain is linear: the steepest
		 * frame of a chunk that moves d dB is (10^(d/20) - 1) / (d
		 * ln10 / 20) times the mean */
		double d = 64 * slope, step_max = slope * (pow(10, d / 20) - 1) / (d * log(10) / 20) + 1e-6;
		CHECK(fabs(before - target) > 10, "the locate moves the lane %.2f -> %.2f dB", before,
		      target);
		CHECK(maxstep <= step_max, "a glide: %.4f dB at most a frame, want <= %.4f", maxstep,
		      step_max);
		double on = 0;
		for (unsigned i = k + glide + 64; i < k + glide + 2048; i++)
			on = fmax(on,
			          fabs(rel_db(s, i, ref) - lanes_eval(L, flat, s->cap_tf[i] - lat + AT_END)));
		CHECK(on <= TOL_PATH, "on the lane after the glide (%.4f dB off)", on);
		printf("  locate: %.2f -> %.2f dB in %u frames, at most %.4f dB a frame\n", before, target,
		       glide, maxstep);
	}

	/* touch: touched at ~1 s at -3 dB until ~1.6 s */
	lanes_copy_lane(old, flat, L);
	sim_osc_s(s, "/ch/1/fader/auto", "touch");
	sim_locate(s, 0);
	sim_roll(s, 1);
	run_to(s, 48000);
	uint32_t t_on = s->tframe;
	sim_osc_i(s, "/ch/1/fader/touch", 1);
	sim_osc_f(s, "/ch/1/fader/db", -3);
	run_to(s, 76800);
	uint32_t t_off = s->tframe;
	sim_osc_i(s, "/ch/1/fader/touch", 0);
	run_to(s, 124800);
	sim_roll(s, 0);
	sim_run(s, SETTLE);
	/* the touched value is reached after the smoothing (10 ms tau; 200
	 * ms is 20 tau) and held until the release; outside the pass, the
	 * old lane (the pass is joined to it by guard points within a period
	 * or two of its ends) */
	double e_before = 0, e_during = 0, e_after = 0;
	for (uint32_t f = 0; f < 150000; f += 64) {
		double v = lanes_eval(L, flat, f), e;
		if (f + 4096 < t_on)
			e = fabs(v - lanes_eval(old, flat, f)), e_before = fmax(e_before, e);
		else if (f > t_on + SETTLE && f + 2048 < t_off)
			e = fabs(v + 3), e_during = fmax(e_during, e);
		else if (f > t_off + 4800)
			e = fabs(v - lanes_eval(old, flat, f)), e_after = fmax(e_after, e);
	}
	CHECK(e_before <= 1e-6 && e_during <= tol && e_after <= tol,
	      "touch %u..%u: before %.5f, touched %.4f, after %.4f dB from what they should be", t_on, t_off,
	      e_before, e_during, e_after);

	/* latch: touched at ~1 s at -8 dB, released at ~1.3 s, recorded until the stop */
	lanes_copy_lane(old, flat, L);
	sim_osc_s(s, "/ch/1/fader/auto", "latch");
	sim_locate(s, 0);
	sim_roll(s, 1);
	run_to(s, 48000);
	t_on = s->tframe;
	sim_osc_i(s, "/ch/1/fader/touch", 1);
	sim_osc_f(s, "/ch/1/fader/db", -8);
	run_to(s, 62400);
	sim_osc_i(s, "/ch/1/fader/touch", 0);
	run_to(s, 105600);
	sim_roll(s, 0);
	uint32_t t_stop = s->tframe;
	sim_run(s, SETTLE);
	e_before = e_during = e_after = 0;
	for (uint32_t f = 0; f < 150000; f += 64) {
		double v = lanes_eval(L, flat, f), e;
		if (f + 4096 < t_on)
			e = fabs(v - lanes_eval(old, flat, f)), e_before = fmax(e_before, e);
		else if (f > t_on + SETTLE && f + 2048 < t_stop)
			e = fabs(v + 8), e_during = fmax(e_during, e);
		else if (f > t_stop + 4800)
			e = fabs(v - lanes_eval(old, flat, f)), e_after = fmax(e_after, e);
	}
	CHECK(e_before <= 1e-6 && e_during <= tol && e_after <= tol,
	      "latch %u..stop %u: before %.5f, latched %.4f, after %.4f dB from what they should be", t_on,
	      t_stop, e_before, e_during, e_after);
	const struct sim_msg *m = sim_query(s, "/ch/1/fader/auto");
	CHECK(m && !strcmp(m->str[0], "latch"), "the mode reads latch (%s)", m ? m->str[0] : "-");
	printf("  touch %u..%u at -3 dB, latch to the stop at %u at -8 dB: recorded where they should be\n",
	       t_on, t_off, t_stop);
	lanes_free(old);
	sim_free(s);
}

/* ---- stems through the recorder's ring (was rec-stems.sh) ---------------------------- */

static void test_stems(void)
{
	/* 2 mono channels and a stereo one: 4 input lanes, a tone each at
	 * -30 dBFS peak (750 Hz steps: whole cycles in 9600 frames), a
	 * click of 0.5 on lane 1 every 12000 frames, 100 frames into a
	 * period */
	const double amp = pow(10, -30 / 20.0), hz[4] = {750, 1500, 2250, 3000};
	struct src src = {{amp, amp, amp, amp}, {hz[0], hz[1], hz[2], hz[3]}, 0, 12000, 100};
	struct sim *s = console(2, 1, 0, 1u << 17, 1, &src);
	const unsigned lat = mixer_latency(s->mixer);
	const double trim[3] = {-6, 4.5, -9.5};
	const unsigned ch_of[4] = {0, 1, 2, 2};
	sim_osc_f(s, "/ch/1/trim/db", (float)trim[0]);
	sim_osc_f(s, "/ch/2/trim/db", (float)trim[1]);
	sim_osc_f(s, "/ch/3/trim/db", (float)trim[2]);
	sim_osc_i(s, "/ch/1/polarity", 1);
	/* the master differs from the stems: faders, an EQ boost, a high-pass */
	sim_osc_f(s, "/ch/2/fader/db", -8);
	sim_osc_i(s, "/ch/2/eq/on", 1);
	sim_osc_f(s, "/ch/2/eq/2/hz", 1500);
	sim_osc_f(s, "/ch/2/eq/2/db", 6);
	sim_osc_i(s, "/ch/3/hpf/on", 1);
	sim_osc_f(s, "/master/fader/db", -1);
	sim_run(s, SETTLE);
	recring_release(&s->ring, recring_head(&s->ring)); /* the disk thread took it all */
	uint32_t pos0 = recring_head(&s->ring);
	const unsigned N = 48000;
	sim_run(s, N);
	CHECK(recring_head(&s->ring) - pos0 >= N && recring_lost(&s->ring) == 0,
	      "%u frames in the ring, %lu lost", recring_head(&s->ring) - pos0, recring_lost(&s->ring));
	static float stem[4][48000], ml[48000];
	for (unsigned i = 0; i < N; i++) {
		const float *x = recring_stems_at(&s->ring, pos0 + i);
		for (unsigned l = 0; l < 4; l++)
			stem[l][i] = x[l];
		ml[i] = recring_at(&s->ring, pos0 + i)[0];
	}
	/* the frames between two clicks: pos0 is a whole number of periods,
	 * so the clicks are at 12000 k + 100 - (pos0 mod 12000) */
	unsigned c0 = (unsigned)((12000 + 100 - (uint64_t)pos0 % 12000) % 12000);
	unsigned w0 = c0 + 1000; /* 9600 frames after a click, before the next */
	/* the stem is the input times the trim's gain once smoothed (exact:
	 * the smoothing snaps to its target), a float sine with a float
	 * gain: see TOL_LEVEL) */
	for (unsigned l = 0; l < 4; l++) {
		double want = db20(amp) + trim[ch_of[l]];
		double got = db20(tone_amplitude(stem[l] + w0, 9600, hz[l], RATE));
		CHECK(fabs(got - want) <= TOL_LEVEL, "stem %u: %.5f dB, want %.5f (input + trim)", l + 1, got,
		      want);
		/* only its own tone: the others are absent, not attenuated
		 * (float rounding sits near -140 dB of full scale) */
		for (unsigned o = 0; o < 4; o++)
			if (o != l) {
				double leak = db20(tone_amplitude(stem[l] + w0, 9600, hz[o], RATE));
				CHECK(leak < got - 100, "stem %u holds %.0f Hz at %.1f dB", l + 1, hz[o],
				      leak);
			}
	}
	/* the master differs: lane 2's tone is not the stem's level - 3 dB */
	double m2 = db20(tone_amplitude(ml + w0 + lat, 9600, hz[1], RATE));
	CHECK(fabs(m2 - (db20(amp) + trim[1] + db20(sqrt(0.5)))) > 1,
	      "master_L's 1500 Hz at %.2f dB: not a stem", m2);
	/* alignment: each click (negative: polarity inverted before the
	 * tap) is master_L's largest sample within 512 frames of it, exactly
	 * the latency later */
	unsigned clicks = 0, aligned = 0;
	for (unsigned k = c0; k + lat + 512 < N; k += 12000) {
		clicks++;
		unsigned best = 0;
		double bv = 0;
		for (unsigned i = k + lat - 512; i < k + lat + 512; i++)
			if (fabs(ml[i]) > bv)
				bv = fabs(ml[i]), best = i;
		aligned += stem[0][k] < -0.2f && best == k + lat && ml[best] < 0;
	}
	CHECK(clicks >= 3 && aligned == clicks,
	      "%u of %u clicks in master_L exactly %u frames after the stem", aligned, clicks, lat);
	printf("  stems: 4 lanes within %.0e dB of input + trim; %u clicks aligned at %u frames\n", TOL_LEVEL,
	       clicks, lat);
	sim_free(s);
}

/* ---- mute time ---------------------------------------------------------------------- */

/* Frames from the start of x[0..n) until it comes within 1e-3 (-60 dB) of
 * the jump from ref to end, and until it equals end exactly for good;
 * -1 where it never does. */
static void fade_times(const float *x, unsigned n, float ref, float end, long *t60, long *tend)
{
	double tol = 1e-3 * fabs((double)ref - end);
	*t60 = *tend = -1;
	for (unsigned i = 0; i < n && *t60 < 0; i++)
		if (fabs((double)x[i] - end) <= tol)
			*t60 = (long)i;
	for (unsigned i = n; i > 0 && x[i - 1] == end; i--)
		*tend = (long)i - 1;
}

/* Mute, unmute and a fader sent to off and back, at the channel, the bus,
 * the master and the monitor: a console's mute is a short fixed ramp that
 * ends in exact 0, so each output must reach its end (exact 0, or exactly
 * the level it had before) within 10 ms of the period that carried the
 * message, at 44.1, 48 and 96 kHz, with periods aligned to the 64-frame
 * chunks (256) and not (100: the message lands inside a chunk).  Times
 * are counted on the output less its latency (the limiter's lookahead on
 * master and monitor, which delays everything alike).  DC in, so the
 * output is DC x gain. */
static void test_mute_time(void)
{
	static const unsigned rates[] = {44100, 48000, 96000}, periods[] = {256, 100};
	static const struct {
		const char *path;
		float on, off;
		int o;
	} cs[] = {
	    {"/ch/1/mute", 1, 0, O_B1L},       {"/ch/1/fader/db", -90, 0, O_B1L},
	    {"/bus/1/mute", 1, 0, O_B1L},      {"/bus/1/fader/db", -90, 0, O_B1L},
	    {"/master/mute", 1, 0, O_ML},      {"/master/fader/db", -90, 0, O_ML},
	    {"/mon/fader/db", -90, 0, O_MONL},
	};
	double worst = 0;
	for (unsigned ri = 0; ri < 3; ri++) {
		for (unsigned pi = 0; pi < 2; pi++) {
			const unsigned rate = rates[ri], cap = rate / 4; /* 250 ms */
			const long lim = (long)rate / 100;               /* 10 ms of frames */
			struct src src = {{DC}, {0}, 0, 0, 0};
			struct sim_config c = {1, 0, 1, rate, periods[pi], 0, 0, 0};
			struct sim *s = sim_new(&c);
			if (!s)
				exit(1);
			sim_set_source(s, source, &src);
			sim_osc_f(s, "/ch/1/send/1/level/db", 0);
			for (unsigned k = 0; k < sizeof cs / sizeof cs[0]; k++) {
				int o = cs[k].o, is_mute = strstr(cs[k].path, "mute") != NULL;
				long lat = o == O_B1L ? 0 : (long)mixer_latency(s->mixer), t60, tz, t60b, tb;
				sim_run(s, cap);
				sim_capture(s, 1);
				sim_run(s, 1);
				float ref = s->cap[o][s->cap_n - 1];
				CHECK(ref > 0.1f, "%s: level %g before", cs[k].path, ref);
				if (is_mute)
					sim_osc_i(s, cs[k].path, (int)cs[k].on);
				else
					sim_osc_f(s, cs[k].path, cs[k].on);
				sim_capture(s, cap);
				sim_run(s, cap);
				fade_times(s->cap[o], s->cap_n, ref, 0.0f, &t60, &tz);
				if (is_mute)
					sim_osc_i(s, cs[k].path, (int)cs[k].off);
				else
					sim_osc_f(s, cs[k].path, cs[k].off);
				sim_capture(s, cap);
				sim_run(s, cap);
				fade_times(s->cap[o], s->cap_n, 0.0f, ref, &t60b, &tb);
				t60 -= lat, tz -= lat, t60b -= lat, tb -= lat;
				CHECK(tz >= 0 && tz <= lim,
				      "%s %g at %u Hz, period %u: exact 0 after %ld frames, want <= %ld",
				      cs[k].path, cs[k].on, rate, periods[pi], tz, lim);
				CHECK(tb >= 0 && tb <= lim,
				      "%s %g at %u Hz, period %u: back to exactly %g after %ld frames, want "
				      "<= %ld",
				      cs[k].path, cs[k].off, rate, periods[pi], ref, tb, lim);
				worst = fmax(worst, fmax(tz, tb) * 1000.0 / rate);
				if (k == 0)
					printf("  ch mute at %u Hz, period %3u: -60 dB after %.2f ms, exact "
					       "0 after "
					       "%.2f ms; unmute within -60 dB after %.2f ms, exact after "
					       "%.2f ms\n",
					       rate, periods[pi], t60 * 1000.0 / rate, tz * 1000.0 / rate,
					       t60b * 1000.0 / rate, tb * 1000.0 / rate);
			}
			sim_free(s);
		}
	}
	printf("  mute time: %zu controls x 3 rates x 2 periods, every end reached within %.2f ms\n",
	       sizeof cs / sizeof cs[0], worst);
}

/* ---- curves: /ch/<n>/eq/response and friends ---------------------------------- */

/* Tolerance of a measured gain against the curve: test_response.c derives
 * it (float32 rounding in the recursions, 0.002 dB measured at worst;
 * 0.01 dB is five sigma) and checks every grid point at three rates; here
 * the same holds through OSC, the model and the audio period. */
#define CURVE_TOL_DB 0.01

/* The reply to path: lo, hi, then n values. */
static const struct sim_msg *curve_query(struct sim *s, const char *path, unsigned n, double lo, double hi)
{
	const struct sim_msg *m = sim_query(s, path);
	CHECK(m != NULL, "%s: no reply", path);
	if (!m)
		return NULL;
	CHECK(m->argc == (int)n + 2, "%s: %d arguments, want %u", path, m->argc, n + 2);
	for (int k = 0; k < m->argc; k++)
		CHECK(m->types[k] == 'f', "%s: argument %d is '%c', want f", path, k, m->types[k]);
	CHECK(m->num[0] == lo && m->num[1] == hi, "%s: grid %g..%g, want %g..%g", path, m->num[0], m->num[1],
	      lo, hi);
	return m->argc == (int)n + 2 ? m : NULL;
}

static void expect_error(struct sim *s, const char *path, int with_arg, const char *why)
{
	unsigned from = s->nmsg;
	if (with_arg)
		sim_osc_f(s, path, 1.0f);
	else
		sim_osc_0(s, path);
	const struct sim_msg *e = sim_last(s, "/error", from);
	CHECK(e && !strcmp(e->str[0], path) && strstr(e->str[1], why), "%s: want /error \"%s\", got %s", path,
	      why, e ? e->str[1] : "none");
	CHECK(!sim_last(s, path, from), "%s: replied despite the error", path);
}

/* A sine at f on channel 1, its gain on bus 1 (a 0 dB pre-fader send:
 * the strip and nothing else), by the fit of test_util.h. */
static double curve_measure(struct sim *s, struct src *src, double f)
{
	src->amp[0] = AMP;
	src->hz[0] = f;
	sim_run(s, 3 * SETTLE); /* 0.6 s: see test_response.c */
	sim_capture(s, 2 * CAPN);
	sim_run(s, 2 * CAPN);
	return db20(tone_fit_amplitude(s->cap[O_B1L], s->cap_n, f, RATE) / AMP);
}

static void test_curves(void)
{
	struct src src = {{AMP}, {HZ}, 0, 0, 0};
	struct sim *s = console(2, 0, 1, 0, 0, &src);
	sim_osc_f(s, "/ch/1/send/1/level/db", 0);
	sim_osc_i(s, "/ch/1/send/1/pre", 1);

	/* flat at the defaults: EQ and high-pass out */
	const struct sim_msg *m = curve_query(s, "/ch/1/eq/response", RESPONSE_POINTS, 20, 20000);
	for (unsigned i = 0; m && i < RESPONSE_POINTS; i++)
		CHECK(m->num[2 + i] == 0.0, "default response at point %u: %g dB, want 0", i, m->num[2 + i]);

	/* an EQ over OSC (types by name, values in units and normalised) */
	sim_osc_i(s, "/ch/1/eq/on", 1);
	sim_osc_i(s, "/ch/1/hpf/on", 1);
	sim_osc_f(s, "/ch/1/hpf/hz", 60);
	sim_osc_s(s, "/ch/1/eq/1/type", "lshelf");
	sim_osc_f(s, "/ch/1/eq/1/db", 5);
	sim_osc_f(s, "/ch/1/eq/2/hz", 400);
	sim_osc_f(s, "/ch/1/eq/2/db", -9);
	sim_osc_f(s, "/ch/1/eq/2/q", 6);
	sim_osc_s(s, "/ch/1/eq/3/type", "peak");
	sim_osc_f(s, "/ch/1/eq/3/hz", 2500);
	sim_osc_f(s, "/ch/1/eq/3/db", 7);
	sim_osc_f(s, "/ch/1/eq/3/q", 0.8f);
	sim_osc_f(s, "/ch/1/eq/4/db", -4);
	struct response_eq eq = {
	    1, {1, 0, 0, 2}, {100, 400, 2500, 8000}, {5, -9, 7, -4}, {0.7071f, 6, 0.8f, 0.7071f}, 1, 60};
	double hz[RESPONSE_POINTS];
	float want[RESPONSE_POINTS];
	for (unsigned i = 0; i < RESPONSE_POINTS; i++)
		hz[i] = response_grid_hz(i);
	response_eq_db(&eq, RESPONSE_STRIP, RATE, hz, RESPONSE_POINTS, want);
	m = curve_query(s, "/ch/1/eq/response", RESPONSE_POINTS, 20, 20000);
	/* the reply is the function of the values the test set: the same
	 * float, and no model value differs from what was sent */
	for (unsigned i = 0; m && i < RESPONSE_POINTS; i++)
		CHECK(m->num[2 + i] == (double)want[i], "reply point %u: %.6f dB, want %.6f", i,
		      m->num[2 + i], (double)want[i]);
	/* ... and what the console does: every 7th point and the last */
	double worst = 0;
	for (unsigned i = 0; m && i < RESPONSE_POINTS;
	     i += i + 7 < RESPONSE_POINTS ? 7 : RESPONSE_POINTS - 1 - i) {
		double got = curve_measure(s, &src, hz[i]);
		double tol = CURVE_TOL_DB + db20(1.0 + 1e-5 / pow(10.0, m->num[2 + i] / 20.0));
		char what[96];
		snprintf(what, sizeof what, "channel 1 measured at %.1f Hz against its /eq/response", hz[i]);
		CHECK_NEAR(got, m->num[2 + i], tol, what);
		worst = fmax(worst, fabs(got - m->num[2 + i]));
		if (i == RESPONSE_POINTS - 1)
			break;
	}
	printf("curves: channel 1 through OSC and the audio period, worst |reply - measured| %.5f dB\n",
	       worst);

	/* the other channel and the master are untouched; EQ off leaves the
	 * high-pass */
	m = curve_query(s, "/ch/2/eq/response", RESPONSE_POINTS, 20, 20000);
	CHECK(m && m->num[2] == 0.0 && m->num[2 + RESPONSE_POINTS - 1] == 0.0, "channel 2 stays flat");
	m = curve_query(s, "/master/eq/response", RESPONSE_POINTS, 20, 20000);
	CHECK(m && m->num[2] == 0.0, "master EQ stays flat");
	sim_osc_i(s, "/ch/1/eq/on", 0);
	eq.on = 0;
	response_eq_db(&eq, RESPONSE_STRIP, RATE, hz, RESPONSE_POINTS, want);
	m = curve_query(s, "/ch/1/eq/response", RESPONSE_POINTS, 20, 20000);
	CHECK(m && m->num[2] == (double)want[0] && want[0] < -10.0f,
	      "EQ off: the high-pass only (%g dB at 20 Hz)", (double)want[0]);

	/* the master EQ and the compressors' static curves */
	sim_osc_i(s, "/master/eq/on", 1);
	sim_osc_f(s, "/master/eq/3/db", 6);
	m = curve_query(s, "/master/eq/response", RESPONSE_POINTS, 20, 20000);
	struct response_eq meq = {
	    1, {1, 0, 0, 2}, {60, 400, 2500, 10000}, {0, 0, 6, 0}, {0.7071f, 0.7071f, 0.7071f, 0.7071f}, 0,
	    0};
	response_eq_db(&meq, RESPONSE_MASTER, RATE, hz, RESPONSE_POINTS, want);
	for (unsigned i = 0; m && i < RESPONSE_POINTS; i++)
		CHECK(m->num[2 + i] == (double)want[i], "master reply point %u", i);
	sim_osc_i(s, "/ch/2/dyn/on", 1);
	sim_osc_f(s, "/ch/2/dyn/thr/db", -30);
	sim_osc_f(s, "/ch/2/dyn/ratio", 4);
	sim_osc_f(s, "/ch/2/dyn/knee/db", 0);
	m = curve_query(s, "/ch/2/dyn/curve", RESPONSE_DYN_POINTS, -80, 0);
	/* hard knee: the identity up to -30 dBFS, then a quarter of the rest */
	for (unsigned i = 0; m && i < RESPONSE_DYN_POINTS; i++) {
		double x = -80.0 + i, y = x <= -30 ? x : -30 + (x + 30) / 4;
		CHECK_NEAR(m->num[2 + i], y, 1e-5, "/ch/2/dyn/curve");
	}
	m = curve_query(s, "/master/comp/curve", RESPONSE_DYN_POINTS, -80, 0);
	CHECK(m && m->num[2 + 80] == 0.0, "master compressor out: the identity");

	/* bad requests change nothing and get one /error */
	expect_error(s, "/ch/0/eq/response", 0, "index out of range");
	expect_error(s, "/ch/3/eq/response", 0, "index out of range");
	expect_error(s, "/ch/99999999999/dyn/curve", 0, "index out of range");
	expect_error(s, "/ch/1/eq/response", 1, "takes no arguments");
	expect_error(s, "/master/comp/curve", 1, "takes no arguments");
	sim_free(s);
}

/* ---- an idle console costs nothing ----------------------------------------------- */

/* Frames rendered when the first message on path arrived after from
 * (-1: none). */
static long first_at(const struct sim *s, const char *path, unsigned from)
{
	for (unsigned i = from; i < s->nmsg; i++)
		if (!strcmp(s->msg[i].path, path))
			return (long)s->msg[i].at;
	return -1;
}

static unsigned count_meters(const struct sim *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nmsg; i++)
		n += strstr(s->msg[i].path, "/meter") != NULL;
	return n;
}

/* Nobody listens, nothing moves: every timer of the control loop sleeps
 * (the daemon's control thread then sleeps in poll()).  A change wakes
 * what has work, and feedback, meters and moves still come on their
 * timers' grids: feedback within a feedback tick (5 ms) of the change,
 * meters every 50 ms. */
static void test_idle(void)
{
	struct src src = {{DC}, {0}, 0, 0, 0};
	struct sim *s = console(2, 0, 1, 0, 0, &src);
	const long tick = (long)(RATE * 5 / 1000), meter_ms = 50;
	sim_run(s, RATE / 2);
	unsigned awake = control_timers_awake(s->ctl);
	CHECK(awake == 0, "an idle console: %u timer(s) awake, want none", awake);

	/* a change with nobody listening: the timers that handle it wake,
	 * do it, and sleep again */
	sim_osc_f(s, "/ch/1/fader/db", -6);
	awake = control_timers_awake(s->ctl);
	CHECK(awake >= 3, "a change wakes housekeeping, feedback, automation and session (%u awake)", awake);
	sim_run(s, RATE / 5);
	awake = control_timers_awake(s->ctl);
	CHECK(awake == 0, "200 ms after a change: %u timer(s) awake, want none", awake);

	/* a subscriber with a lease: still nothing to do between changes */
	subscribe(s, "values,/ch/1/fader/db");
	sim_run(s, RATE / 5);
	awake = control_timers_awake(s->ctl);
	CHECK(awake == 0, "a subscriber and no change: %u timer(s) awake, want none", awake);
	/* a change in another form: the subscriber hears it within a tick
	 * (and a period: the clock steps after each) */
	unsigned from = s->nmsg;
	long t0 = (long)sim_frames(s);
	sim_osc_f(s, "/ch/1/fader", 0.5f);
	sim_run(s, RATE / 10);
	long at = first_at(s, "/ch/1/fader/db", from);
	CHECK(at >= t0 && at - t0 <= tick + (long)PERIOD, "feedback %ld frames after the change, want <= %ld",
	      at - t0, tick + (long)PERIOD);

	/* meters: a meter subscriber wakes the meter timer, 20 a second */
	subscribe(s, "meters");
	sim_run(s, RATE);
	unsigned n = count_meters(s), per = n / 8; /* 4 meters (2 channels, 1 bus, master), 2 forms */
	CHECK(per >= 1000 / meter_ms - 1 && per <= 1000 / meter_ms + 1,
	      "%u meter messages a second per meter, want %ld", per, 1000 / meter_ms);
	sim_osc_0(s, "/unsubscribe");
	sim_run(s, RATE / 5);
	sim_msgs_clear(s);
	sim_run(s, RATE / 5);
	CHECK(count_meters(s) == 0, "no meters after /unsubscribe (%u)", count_meters(s));
	awake = control_timers_awake(s->ctl);
	CHECK(awake == 0, "after /unsubscribe: %u timer(s) awake, want none", awake);

	/* a timed move keeps automation awake until it has arrived */
	sim_osc_ff(s, "/ch/1/fader/db", -20, 300);
	sim_run(s, RATE / 10);
	CHECK(control_timers_awake(s->ctl) >= 1, "a move in flight keeps its timer awake");
	sim_run(s, RATE / 2);
	awake = control_timers_awake(s->ctl);
	CHECK(awake == 0, "after the move: %u timer(s) awake, want none", awake);
	const struct sim_msg *m = sim_query(s, "/ch/1/fader/db");
	CHECK(m && m->num[0] == -20.0f, "the move arrived (%g)", m ? m->num[0] : NAN);
	sim_free(s);
}

/* ---- a scene recalls the buses (issue 15) ------------------------------------------- */

/* A scene with ch 1 as a subgroup through bus 1 (off the master, the bus
 * routed to it) is recalled with a 500 ms fade over a bus with a delay, a
 * balance, an EQ boost, a reverb and the channel back on the master: the
 * values come back exactly, the master is the bus alone again, and no
 * sample on the way steps further than the laws allow. */
static void test_bus_scene(void)
{
	struct src src = {{AMP}, {HZ}, 0, 0, 0};
	struct sim *s = console(1, 0, 2, 0, 0, &src);
	const double a = db20(AMP), centre = db20(sqrt(0.5));
	const struct sim_msg *m;
	sim_osc_f(s, "/ch/1/send/1/level/db", 0);
	sim_osc_i(s, "/ch/1/master", 0);
	sim_osc_i(s, "/bus/1/master", 1);
	sim_osc_i(s, "/bus/1/eq/on", 1); /* in, flat: the recall must bring the band back to 0 dB */
	sim_run(s, SETTLE);
	sim_osc_s(s, "/snapshot/save", "bus");
	sim_osc_f(s, "/bus/1/delay/ms", 100);
	sim_osc_f(s, "/bus/1/pan", 1);
	sim_osc_f(s, "/bus/1/eq/3/db", 6);
	sim_osc_s(s, "/bus/1/fx", "reverb");
	sim_osc_i(s, "/ch/1/master", 1);
	sim_run(s, SETTLE);
	sim_capture(s, RATE);
	sim_osc_sf(s, "/snapshot/load", "bus", 500);
	sim_run(s, RATE);
	/* the largest step a sample may take on master_L: the tone's own
	 * (at most the direct path plus the bus with its +6 dB boost, pan
	 * centre) and, on top, every change at its steepest: the delay's
	 * crossfade between two taps (2x the signal) and the effect's dry gain
	 * along the switch ramp (pi/2 of the jump a ramp), the channel's master
	 * switch and the balance a one-pole step of the chunk (coef) */
	const double sig = AMP * sqrt(0.5) * (1.0 + 2.0), ramp = dsp_switch_chunks(RATE) * JMX_CHUNK;
	const double coef = 1.0 - exp(-(double)JMX_CHUNK / (JMX_SMOOTH_TAU_MS * 0.001 * RATE));
	const double bound =
	    sig * 2 * M_PI * HZ / RATE + 3 * sig * (M_PI / 2) / ramp + 2 * sig * coef / JMX_CHUNK;
	double step = 0;
	for (unsigned i = 1; i < s->cap_n; i++)
		step = fmax(step, fabs((double)s->cap[O_ML][i] - s->cap[O_ML][i - 1]));
	CHECK(step <= bound, "recall of the buses: a step of %g on master_L, bound %g", step, bound);
	m = sim_query(s, "/bus/1/delay/ms");
	CHECK(m && m->num[0] == 0.0, "bus delay back to 0 (%g)", m ? m->num[0] : NAN);
	m = sim_query(s, "/bus/1/fx");
	CHECK(m && m->num[0] == 0.0, "bus effect back to off (%g)", m ? m->num[0] : NAN);
	m = sim_query(s, "/ch/1/master");
	CHECK(m && m->num[0] == 0.0, "channel back off the master");
	settle_capture(s);
	expect_level(s, O_ML, a + centre, "recalled subgroup: master = the bus");
	expect_level(s, O_MR, a + centre, "recalled subgroup: balance centre");
	printf("  bus scene: recalled in 500 ms, largest step %.2f of its bound\n", step / bound);
}

/* ---- console utilities (issue 16): talkback, oscillator, /solo/clear ----------- */

static void test_utilities(void)
{
	/* channel 1 and talk_in (lane 2) carry the tone */
	struct src src = {{AMP, 0, AMP}, {HZ, 0, HZ}, 0, 0, 0};
	struct sim_config c = {2, 0, 2, RATE, PERIOD, 0, 0, 1};
	struct sim *s = sim_new(&c);
	const double a = db20(AMP), centre = db20(sqrt(0.5));
	if (!s)
		exit(1);
	sim_set_source(s, source, &src);
	CHECK(s->inputs == s->lanes + 1, "talk_in is an input after the lanes");
	settle_capture(s);
	expect_level(s, O_B1L, -100, "talkback off");
	expect_level(s, O_MONL, a + centre, "monitor = master copy");

	/* momentary talkback through its touch, to bus 1 only, at -6 dB */
	sim_osc_i(s, "/talk/dest/2", 0);
	sim_osc_f(s, "/talk/level/db", -6);
	sim_osc_i(s, "/talk/on/touch", 1);
	settle_capture(s);
	expect_level(s, O_B1L, a - 6, "talkback to bus 1 at its level");
	expect_level(s, O_B2L, -100, "bus 2 not selected");
	expect_level(s, O_MONL, a + centre - 20, "the monitor dims by /mon/dim/db while talking");
	sim_osc_i(s, "/talk/on/touch", 0);
	settle_capture(s);
	expect_level(s, O_B1L, -100, "released: talkback off");
	expect_level(s, O_MONL, a + centre, "released: the monitor back");
	const struct sim_msg *m = sim_query(s, "/talk/on");
	CHECK(m && m->num[0] == 0, "the release turned /talk/on off (%g)", m ? m->num[0] : NAN);

	/* the oscillator: a bus this console has not is refused, bus 2 at -12 dBFS */
	unsigned from = s->nmsg;
	sim_osc_s(s, "/gen/dest", "bus/3");
	CHECK(sim_last(s, "/error", from) != NULL, "/gen/dest bus/3 of 2 buses: /error");
	m = sim_query(s, "/gen/dest");
	CHECK(m && m->num[0] == 0, "/gen/dest still master (%g)", m ? m->num[0] : NAN);
	sim_osc_s(s, "/gen/dest", "bus/2");
	sim_osc_f(s, "/gen/hz", (float)HZ);
	sim_osc_f(s, "/gen/level/db", -12);
	sim_osc_i(s, "/gen/on", 1);
	settle_capture(s);
	expect_level(s, O_B2L, -12, "oscillator at bus 2, -12 dBFS");
	expect_level(s, O_B1L, -100, "nothing at bus 1");
	/* the destination's name ("bus/2") through a scene and back */
	sim_osc_s(s, "/snapshot/save", "gen");
	sim_osc_s(s, "/gen/dest", "master");
	sim_osc_s(s, "/snapshot/load", "gen");
	m = sim_query(s, "/gen/dest");
	CHECK(m && m->num[0] == 3, "/gen/dest bus/2 recalled from a scene (%g)", m ? m->num[0] : NAN);
	sim_osc_i(s, "/gen/on", 0);

	/* /solo/clear, and the correlation of a centred mono channel */
	sim_osc_i(s, "/ch/1/solo", 1);
	sim_osc_i(s, "/ch/2/solo", 1);
	sim_osc_0(s, "/solo/clear");
	settle_capture(s);
	m = sim_query(s, "/ch/1/solo");
	CHECK(m && m->num[0] == 0, "/solo/clear: channel 1 (%g)", m ? m->num[0] : NAN);
	m = sim_query(s, "/ch/2/solo");
	CHECK(m && m->num[0] == 0, "/solo/clear: channel 2 (%g)", m ? m->num[0] : NAN);
	expect_level(s, O_MONL, a + centre, "/solo/clear: the monitor is the master copy again");
	m = sim_query(s, "/master/correlation");
	CHECK(m && fabs(m->num[0] - 1) < 1e-5, "correlation of a centred mono channel (%g)",
	      m ? m->num[0] : NAN);
	sim_osc_i(s, "/mon/cut", 1);
	settle_capture(s);
	expect_level(s, O_MONL, -100, "/mon/cut");
	sim_free(s);
}

/* ---- a scene swaps a bus's effect type --------------------------------------------- */

/* Largest |x[i] - x[i-1]| for i in (from, to). */
static double largest_step(const float *x, size_t from, size_t to)
{
	double m = 0;
	for (size_t i = from + 1; i < to; i++)
		m = fmax(m, fabs((double)x[i] - x[i - 1]));
	return m;
}

/* Ch 1 sent post-fader at 0 dB to bus 1 routed to master (a return, ch 1
 * off the master, limiter out).  Scene "dry" has the effect off, "wet"
 * the reverb; the recalls (no fade: the type is a switch) land at the
 * start of the next period.  The bus output is then d(t) x sum + wet(t):
 * the dry sum along the switch ramp and the effect's output, its own
 * crossfade between types.  By the triangle inequality a step is at most
 * the dry part's (the tone's own step plus pi/2 of its amplitude a ramp
 * length) plus the wet's own largest step, measured on fx.h run here on
 * the same sum with the same switches (fxref_wet).  The wet's path gains
 * are 1 (bus at 0 dB, balance centre gives L x 1, master at 0 dB). */
static void test_fx_scene(void)
{
	struct src src = {{AMP}, {HZ}, 0, 0, 0};
	struct sim *s = console(1, 0, 1, 0, 0, &src);
	const double c = sqrt(0.5), ramp = dsp_switch_chunks(RATE) * JMX_CHUNK;
	const unsigned total = 3 * RATE, lat = mixer_latency(s->mixer);
	sim_capture(s, total);
	sim_osc_f(s, "/ch/1/send/1/level/db", 0);
	sim_osc_i(s, "/ch/1/master", 0);
	sim_osc_i(s, "/bus/1/master", 1);
	sim_osc_i(s, "/master/limiter/on", 0);
	sim_run(s, SETTLE);
	sim_osc_s(s, "/snapshot/save", "dry");
	size_t sw_at[3];
	int sw_to[3] = {1, 0, 1};
	sw_at[0] = sim_frames(s);
	sim_osc_s(s, "/bus/1/fx", "reverb");
	/* and a period more before each recall: a period is 5 1/3 cycles of
	 * the tone, so the recalls land where it is at +-0.87 of its peak,
	 * not at a zero crossing, where a dry gain that jumped would hide */
	sim_run(s, RATE / 2 + PERIOD);
	sim_osc_s(s, "/snapshot/save", "wet");
	sw_at[1] = sim_frames(s);
	sim_osc_sf(s, "/snapshot/load", "dry", 0);
	sim_run(s, 3 * RATE / 2 + PERIOD); /* the tail out, and the effect's 1 s of running on */
	sw_at[2] = sim_frames(s);
	sim_osc_sf(s, "/snapshot/load", "wet", 0);
	sim_run(s, total - (unsigned)sim_frames(s));
	for (unsigned k = 1; k < 3; k++) {
		double ph = 2 * M_PI * HZ * (double)sw_at[k] / RATE;
		CHECK(fabs(sin(ph)) > 0.8, "recall %u at the tone's phase %g: not near a peak", k,
		      fmod(ph, 2 * M_PI));
	}
	const struct sim_msg *m = sim_query(s, "/bus/1/fx");
	CHECK(m && m->num[0] == 1.0, "scene wet: the reverb is back (%g)", m ? m->num[0] : NAN);

	/* the bus's sum: the source's float tone x the centre pan */
	float *sum = calloc(total, sizeof *sum), *wet = calloc(total, sizeof *wet);
	for (unsigned t = 0; t < total; t += PERIOD)
		source(&src, 0, t, sum + t, total - t < PERIOD ? total - t : PERIOD);
	for (unsigned t = 0; t < total; t++)
		sum[t] *= (float)c;
	CHECK(fxref_wet(wet, sum, total, RATE, PERIOD, sw_at, sw_to, 3, NULL) == 0, "fxref_wet");
	/* the reference is the bus's wet path: once the dry sum has ramped out
	 * after "wet" came back, the bus output is the wet alone, bit for bit */
	size_t a = sw_at[2] + (size_t)ramp + 2 * JMX_CHUNK;
	double d = 0;
	for (size_t t = a; t < total; t++)
		d = fmax(d, fabs((double)s->cap[O_B1L][t] - wet[t]));
	CHECK(d <= 1e-6 * peak_abs(wet + a, total - a), "the wet reference is %g off the bus output", d);

	const double dry = (AMP * c * 2 * M_PI * HZ / RATE + AMP * c * (M_PI / 2) / ramp) * 1.001;
	double worst = 0;
	for (unsigned k = 1; k < 3; k++) {
		/* from a period before the recall to 0.4 s after it */
		size_t from = sw_at[k] - PERIOD, to = sw_at[k] + RATE * 2 / 5;
		for (unsigned o = 0; o < 2; o++) {
			unsigned out = o ? O_B1L : O_ML;
			size_t sh = o ? 0 : lat; /* the master is the bus lat frames later */
			double ws = largest_step(wet, from - sh, to - sh),
			       got = largest_step(s->cap[out], from, to);
			double bound = dry + ws * 1.001;
			CHECK(got <= bound, "recall of %s: step %g on %s, bound %g (wet %g)",
			      k == 1 ? "dry" : "wet", got, o ? "bus 1" : "master", bound, ws);
			worst = fmax(worst, got / bound);
		}
	}
	printf(
	    "  fx scene: reverb <-> off by scene recall, wet reference exact (%g), largest step %.2f of its "
	    "bound\n",
	    d, worst);
	free(sum), free(wet);
	sim_free(s);
}

int main(void)
{
	test_levels();
	test_bundle();
	test_ramp();
	test_lanes();
	test_stems();
	test_mute_time();
	test_curves();
	test_idle();
	test_bus_scene();
	test_utilities();
	test_fx_scene();
	return test_exit("test_console");
}
