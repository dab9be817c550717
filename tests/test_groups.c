/*
 * test_groups.c - DCA groups, mute groups, linked pairs and colours on the
 * in-process console (tests/sim.c: the real audio period fed by the real
 * control side through OSC packets), frame-exact and deterministic.
 *
 *   dca      a member's level is its own fader plus the sum in dB of its
 *            DCAs' faders (one channel in two DCAs, the X32 law on
 *            /dca/<d>/fader, a bus as a member, the +10 dB limit, a DCA at
 *            -inf); a DCA mute silences its members; own faders and mutes
 *            never move; /ch/<n>/fader/effective/db reads the sum and is
 *            fed back when a DCA moves
 *   dcamove  a timed DCA move follows the dB line at every sample like a
 *            channel fader's own move, and a DCA lane written while the
 *            transport rolls is played back on its members within the
 *            lane's thinning tolerance
 *   mutegrp  an engaged group silences its members with the mute's ramp
 *            (click-free, exact silence within 10 ms); releasing it
 *            restores exactly what was muted before; two groups
 *   link     /ch/1/link copies channel 1 to 2 (pan mirrored, names
 *            apart); a change to either applies to both; the compressor of
 *            a linked pair detects on both (the quiet channel is reduced by
 *            the loud one's gain reduction, computed from the static curve)
 *   color    colour names and numbers
 *   presets  a channel preset holds the processing and nothing else, loads
 *            onto another channel leaving its fader, sends, DCAs and name,
 *            refuses hostile names (nothing written in or outside the
 *            directory), a bus preset on a channel, damaged files; saving
 *            again replaces the file whole, a planted symlink is refused
 *
 * Expected levels come from the laws (dB, constant-power pan, the X32
 * fader law of test_util.h, the compressor's static curve), never from the
 * console.  Tolerances are derived where they are used.
 *
 * Threads: one (see sim.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dsp_biquad.h"
#include "lanes.h"
#include "sim.h"
#include "test_util.h"

#define RATE   48000u
#define PERIOD 256u
#define HZ     1000.0
#define AMP    0.25 /* -12 dBFS */
#define DC     0.5f
#define AT_END 1

enum { O_ML, O_MR, O_MONL, O_MONR, O_B1L, O_B1R };

#define SETTLE (RATE / 5)
#define CAPN   9600u
/* Levels of a float sine through products of float gains: ~1e-6 dB (see
 * test_console.c); 1e-5 dB leaves ten times that. */
#define TOL_LEVEL 1e-5
/* The chord of a dB line inside a 64-frame chunk (test_console.c). */
#define TOL_PATH 1e-4

struct src {
	double amp[8], hz[8];
};

static void source(void *ctx, unsigned lane, uint64_t at, float *buf, unsigned n)
{
	struct src *s = ctx;
	for (unsigned i = 0; i < n; i++) {
		double v = 0;
		if (lane < 8 && s->hz[lane] > 0) {
			double per = RATE / s->hz[lane];
			v = s->amp[lane] * sin(2.0 * M_PI * fmod((double)(at + i), per) / per);
		} else if (lane < 8) {
			v = s->amp[lane];
		}
		buf[i] = (float)v;
	}
}

static struct sim *console(unsigned mono, unsigned buses, struct src *src)
{
	struct sim_config c = {mono, 0, buses, RATE, PERIOD, 0, 0};
	struct sim *s = sim_new(&c);
	if (!s)
		exit(1);
	sim_set_source(s, source, src);
	return s;
}

static void settle_capture(struct sim *s)
{
	sim_run(s, SETTLE);
	sim_capture(s, CAPN);
	sim_run(s, CAPN);
}

static void expect_level(struct sim *s, int o, double want_db, const char *what)
{
	if (want_db < -89) {
		double p = peak_abs(s->cap[o], s->cap_n);
		CHECK(p == 0.0, "%s: output %d peaks at %g, want silence", what, o, p);
		return;
	}
	double got = db20(tone_amplitude(s->cap[o], s->cap_n, HZ, RATE));
	CHECK(fabs(got - want_db) <= TOL_LEVEL, "%s: output %d at %.5f dB, want %.5f", what, o, got, want_db);
}

static double query1(struct sim *s, const char *path)
{
	const struct sim_msg *m = sim_query(s, path);
	return m && m->argc >= 1 ? m->num[0] : NAN;
}

/* ---- DCA sums and mutes --------------------------------------------------------- */

static void test_dca(void)
{
	/* ch 1 hard left, ch 2 hard right: master L is ch 1, R is ch 2, each
	 * at its full level (cos 0 = 1) */
	struct src src = {{AMP, AMP}, {HZ, HZ}};
	struct sim *s = console(2, 1, &src);
	const double a = db20(AMP);
	sim_osc_f(s, "/ch/1/pan", 0);
	sim_osc_f(s, "/ch/2/pan", 1);
	sim_osc_f(s, "/ch/1/fader/db", -2);
	sim_osc_i(s, "/ch/1/dca/1", 1);
	sim_osc_i(s, "/ch/1/dca/2", 1);
	sim_osc_i(s, "/ch/2/dca/2", 1);
	sim_osc_f(s, "/dca/1/fader/db", -6);
	sim_osc_f(s, "/dca/2/fader/db", -3.5f);
	settle_capture(s);
	expect_level(s, O_ML, a - 2 - 6 - 3.5, "ch 1 in DCAs 1 and 2");
	expect_level(s, O_MR, a - 3.5, "ch 2 in DCA 2");
	CHECK(query1(s, "/ch/1/fader/db") == -2.0, "own fader untouched (%g)", query1(s, "/ch/1/fader/db"));
	CHECK(fabs(query1(s, "/ch/1/fader/effective/db") - (-11.5)) < 1e-5, "effective fader %g, want -11.5",
	      query1(s, "/ch/1/fader/effective/db"));

	/* the effective fader is fed back when a DCA moves: subscribed to
	 * values, a DCA 2 move sends ch 1's and ch 2's new sums */
	lo_message sub = lo_message_new();
	lo_message_add_int32(sub, 0);
	lo_message_add_int32(sub, 30);
	lo_message_add_string(sub, "values,/ch");
	sim_osc_msg(s, "/subscribe", sub);
	sim_run(s, RATE); /* the state burst */
	unsigned from = s->nmsg;
	sim_osc_f(s, "/dca/2/fader/db", -4.5f);
	sim_run(s, RATE / 10);
	const struct sim_msg *fb1 = sim_last(s, "/ch/1/fader/effective/db", from),
	                     *fb2 = sim_last(s, "/ch/2/fader/effective/db", from);
	CHECK(fb1 && fb1->num[0] == -12.5 && fb2 && fb2->num[0] == -4.5,
	      "effective faders fed back after a DCA move: %g %g, want -12.5 -4.5", fb1 ? fb1->num[0] : NAN,
	      fb2 ? fb2->num[0] : NAN);
	sim_osc_0(s, "/unsubscribe");
	sim_osc_f(s, "/dca/2/fader/db", -3.5f);

	/* the X32 law on the normalised DCA fader: 0.5 is -10 dB */
	sim_osc_f(s, "/dca/1/fader", 0.5f);
	settle_capture(s);
	expect_level(s, O_ML, a - 2 + x32_to_db(0.5) - 3.5, "DCA 1 at 0.5 on the X32 law");

	/* DCA mute: the members go silent, their own mutes stay 0 */
	sim_osc_i(s, "/dca/2/mute", 1);
	settle_capture(s);
	expect_level(s, O_ML, -100, "DCA 2 muted");
	expect_level(s, O_MR, -100, "DCA 2 muted");
	CHECK(query1(s, "/ch/1/mute") == 0 && query1(s, "/ch/2/mute") == 0, "own mutes untouched");
	CHECK(query1(s, "/ch/2/fader/effective/db") == -90, "effective fader of a muted member: -90");
	sim_osc_i(s, "/dca/2/mute", 0);
	settle_capture(s);
	expect_level(s, O_ML, a - 2 + x32_to_db(0.5) - 3.5, "DCA 2 unmuted: back exactly");
	expect_level(s, O_MR, a - 3.5, "DCA 2 unmuted: back exactly");

	/* leaving a DCA */
	sim_osc_i(s, "/ch/1/dca/1", 0);
	settle_capture(s);
	expect_level(s, O_ML, a - 2 - 3.5, "ch 1 left DCA 1");

	/* the sum is limited to +10 dB */
	sim_osc_f(s, "/ch/2/fader/db", 8);
	sim_osc_f(s, "/dca/2/fader/db", 6);
	settle_capture(s);
	CHECK(query1(s, "/ch/2/fader/effective/db") == 10, "effective fader %g, want the +10 dB limit",
	      query1(s, "/ch/2/fader/effective/db"));
	/* the master's limiter (-1 dBTP) holds +10 dB above -12 dBFS: read
	 * the level where nothing limits, on the bus below */

	/* a DCA at -inf turns its members off */
	sim_osc_f(s, "/dca/2/fader/db", -90);
	settle_capture(s);
	expect_level(s, O_MR, -100, "DCA 2 at -inf");
	sim_osc_f(s, "/dca/2/fader/db", 0);
	sim_osc_f(s, "/ch/2/fader/db", 0);

	/* a bus as a member: ch 2's pre-fader send at 0 dB into bus 1, the
	 * bus in DCA 1 (0.5 = -10 dB) */
	sim_osc_f(s, "/ch/2/send/1/level/db", 0);
	sim_osc_i(s, "/ch/2/send/1/pre", 1);
	sim_osc_i(s, "/bus/1/dca/1", 1);
	settle_capture(s);
	expect_level(s, O_B1R, a + x32_to_db(0.5), "bus 1 in DCA 1");
	sim_osc_i(s, "/dca/1/mute", 1);
	settle_capture(s);
	expect_level(s, O_B1R, -100, "bus 1 in muted DCA 1");
	CHECK(query1(s, "/bus/1/mute") == 0, "own bus mute untouched");
	sim_free(s);
	printf("  dca: sums of one channel in two DCAs, the X32 law, mutes, a bus member\n");
}

/* master_L in dB relative to ref at capture frame k */
static double rel_db(const struct sim *s, unsigned k, double ref)
{
	return db20(fabs(s->cap[O_ML][k]) / ref);
}

static void test_dcamove(void)
{
	struct src src = {{DC}, {0}};
	struct sim *s = console(2, 1, &src);
	const unsigned lat = mixer_latency(s->mixer);
	sim_osc_i(s, "/ch/1/dca/3", 1);
	sim_run(s, SETTLE);
	sim_capture(s, PERIOD);
	sim_run(s, PERIOD);
	const double ref = s->cap[O_ML][PERIOD - 1]; /* 0 dB */
	CHECK_NEAR(ref, DC * sqrt(0.5), 1e-6, "reference: DC through the centre pan");

	/* a DCA move -40 -> 0 dB over 1 s: the member follows the dB line
	 * as its own fader's move does (test_console.c's ramp) */
	sim_osc_f(s, "/dca/3/fader/db", -40);
	sim_run(s, SETTLE);
	sim_capture(s, 2 * RATE);
	sim_run(s, PERIOD);
	sim_osc_ff(s, "/dca/3/fader/db", 0, 1000);
	sim_run(s, RATE * 3 / 2);
	double worst = 0;
	for (unsigned k = 0; k <= RATE && PERIOD + k + lat < s->cap_n; k++) {
		double want = -40 + 40 * fmin(1.0, (double)(k + AT_END) / RATE);
		double e = fabs(rel_db(s, PERIOD + k + lat, ref) - want);
		worst = e > worst ? e : worst;
	}
	CHECK(worst <= TOL_PATH, "the DCA move strays %.6f dB from the dB line", worst);
	int exact = 1;
	for (unsigned k = PERIOD + RATE + 64 + lat; k < s->cap_n; k++)
		exact &= s->cap[O_ML][k] == (float)ref;
	CHECK(exact, "after the DCA move the member is bit-exactly at 0 dB");
	CHECK(query1(s, "/ch/1/fader/db") == 0, "the member's own fader did not move");
	printf("  dcamove: a 1 s DCA move %.2e dB from the dB line\n", worst);

	/* a DCA lane: a ride written while rolling, then read back */
	const struct lanes *L = automation_lanes(s->autom);
	const unsigned flat = (unsigned)lanes_flat(L, P_DCA_FADER, 2, 0);
	const double tol = lanes_tolerance(P_DCA_FADER);
	sim_osc_0(s, "/automation/clear");
	sim_osc_f(s, "/dca/3/fader/db", -20);
	sim_osc_s(s, "/dca/3/fader/auto", "write");
	sim_run(s, SETTLE);
	sim_roll(s, 1);
	for (unsigned f = 0; f < 2 * RATE; f += 4 * PERIOD) {
		sim_osc_f(s, "/dca/3/fader/db", (float)(-20 + 10 * sin(2 * M_PI * 0.5 * s->tframe / RATE)));
		sim_run(s, 4 * PERIOD);
	}
	sim_roll(s, 0);
	sim_run(s, SETTLE);
	CHECK(L->lane[flat].n >= 3, "the DCA pass left %u points", L->lane[flat].n);
	sim_osc_s(s, "/dca/3/fader/auto", "read");
	sim_locate(s, 0);
	sim_run(s, SETTLE);
	sim_capture(s, 2 * RATE);
	sim_roll(s, 1);
	sim_run(s, 2 * RATE);
	sim_roll(s, 0);
	/* the member plays the lane's value at each transport frame (the
	 * limiter's delay later), within the chord of a chunk; points are
	 * the lane itself, so only float rounding and the chord remain */
	double lane_err = 0;
	for (unsigned k = lat + 64; k < s->cap_n; k++) {
		double l = fabs(rel_db(s, k, ref) - lanes_eval(L, flat, s->cap_tf[k] - lat + AT_END));
		lane_err = l > lane_err ? l : lane_err;
	}
	CHECK(lane_err <= TOL_PATH, "the member strays %.6f dB from the DCA lane (thinning tol %.2f)",
	      lane_err, tol);
	printf("  dcamove: the member follows a DCA lane within %.2e dB\n", lane_err);
	sim_free(s);
}

/* ---- mute groups ------------------------------------------------------------------ */

static void test_mutegrp(void)
{
	struct src src = {{AMP, AMP, AMP}, {HZ, HZ, HZ}};
	struct sim *s = console(3, 0, &src);
	const double a = db20(AMP);
	const unsigned lat = mixer_latency(s->mixer);
	sim_osc_f(s, "/ch/1/pan", 0);
	sim_osc_f(s, "/ch/2/pan", 1);
	sim_osc_f(s, "/ch/3/fader/db", -90); /* out of the way */
	sim_osc_i(s, "/ch/1/mute", 1);       /* muted on its own before */
	sim_osc_i(s, "/ch/1/mutegroup/1", 1);
	sim_osc_i(s, "/ch/2/mutegroup/1", 1);
	sim_osc_i(s, "/ch/2/mutegroup/2", 1);
	settle_capture(s);
	expect_level(s, O_ML, -100, "ch 1 muted by itself");
	expect_level(s, O_MR, a, "ch 2 playing");

	/* engage group 1: the same switch ramp as a mute (5 ms, whole
	 * chunks): some samples on the way, exact silence within 10 ms */
	sim_capture(s, RATE / 10);
	sim_run(s, PERIOD);
	sim_osc_i(s, "/mutegroup/1/on", 1);
	sim_run(s, RATE / 10 - PERIOD);
	unsigned start = PERIOD + lat, last = 0, between = 0;
	for (unsigned k = start; k < s->cap_n; k++)
		if (s->cap[O_MR][k] != 0.0f)
			last = k;
	for (unsigned k = start; k <= last; k++)
		between += fabs(s->cap[O_MR][k]) > 0.1 * AMP && fabs(s->cap[O_MR][k]) < 0.5 * AMP;
	CHECK(last > start && last - start <= RATE / 100, "silent %u frames after the group (want 1..%u)",
	      last - start, RATE / 100);
	CHECK(between > 0, "the group's mute ramps (no jump to 0)");
	CHECK(query1(s, "/ch/2/mute") == 0, "ch 2's own mute untouched by the group");

	/* two groups: releasing one keeps what the other holds */
	sim_osc_i(s, "/mutegroup/2/on", 1);
	sim_osc_i(s, "/mutegroup/1/on", 0);
	settle_capture(s);
	expect_level(s, O_MR, -100, "ch 2 still held by group 2");
	expect_level(s, O_ML, -100, "ch 1 back to its own mute");
	sim_osc_i(s, "/mutegroup/2/on", 0);
	settle_capture(s);
	expect_level(s, O_MR, a, "ch 2 back exactly");
	expect_level(s, O_ML, -100, "ch 1 still muted by itself: release restores what was muted");
	CHECK(query1(s, "/ch/1/mute") == 1, "ch 1's own mute still on");
	sim_osc_i(s, "/ch/1/mute", 0);
	settle_capture(s);
	expect_level(s, O_ML, a, "ch 1 unmuted");
	sim_free(s);
	printf("  mutegrp: ramp %u frames; release restores individual mutes\n", last - start);
}

/* ---- linked pairs ----------------------------------------------------------------- */

static void test_link(void)
{
	struct src src = {{DC, 0.01}, {0, 0}};
	struct sim *s = console(3, 1, &src);
	sim_osc_s(s, "/ch/1/name", "L");
	sim_osc_s(s, "/ch/2/name", "R");
	sim_osc_i(s, "/ch/1/hpf/on", 1);
	sim_osc_f(s, "/ch/1/eq/2/db", 6);
	sim_osc_f(s, "/ch/1/pan", 0.2f);
	sim_osc_f(s, "/ch/1/fader/db", -3);
	sim_osc_f(s, "/ch/1/send/1/level/db", -6);
	sim_osc_i(s, "/ch/1/dca/4", 1);
	sim_osc_i(s, "/ch/1/mutegroup/3", 1);
	sim_osc_i(s, "/ch/1/polarity", 1);
	sim_osc_i(s, "/ch/1/link", 1);
	CHECK(query1(s, "/ch/2/link") == 1, "the pair's link reads 1 on channel 2");
	CHECK(query1(s, "/ch/2/hpf/on") == 1 && query1(s, "/ch/2/eq/2/db") == 6 &&
	          query1(s, "/ch/2/fader/db") == -3 && query1(s, "/ch/2/send/1/level/db") == -6 &&
	          query1(s, "/ch/2/dca/4") == 1 && query1(s, "/ch/2/mutegroup/3") == 1,
	      "linking copies channel 1 to channel 2");
	CHECK(fabs(query1(s, "/ch/2/pan") - 0.8) < 1e-6, "pan mirrored: %g, want 0.8",
	      query1(s, "/ch/2/pan"));
	CHECK(query1(s, "/ch/2/polarity") == 0, "polarity stays each channel's own");
	const struct sim_msg *m = sim_query(s, "/ch/2/name");
	CHECK(m && !strcmp(m->str[0], "R"), "names stay apart");

	/* a change to either applies to both */
	sim_osc_f(s, "/ch/2/fader/db", -7);
	sim_osc_f(s, "/ch/2/pan", 0.1f);
	sim_osc_f(s, "/ch/1/eq/3/hz", 1234);
	CHECK(query1(s, "/ch/1/fader/db") == -7, "ch 2's fader moved ch 1's (%g)",
	      query1(s, "/ch/1/fader/db"));
	CHECK(fabs(query1(s, "/ch/1/pan") - 0.9) < 1e-6, "ch 2's pan mirrored on ch 1 (%g)",
	      query1(s, "/ch/1/pan"));
	CHECK(query1(s, "/ch/2/eq/3/hz") == 1234, "ch 1's EQ moved ch 2's");
	/* the last odd channel has no partner */
	sim_osc_i(s, "/ch/3/link", 1);
	CHECK(query1(s, "/ch/3/link") == 0, "channel 3 of 3 cannot link");
	/* unlinked, each is its own again */
	sim_osc_i(s, "/ch/2/link", 0);
	sim_osc_f(s, "/ch/1/fader/db", -1);
	CHECK(query1(s, "/ch/1/link") == 0 && query1(s, "/ch/2/fader/db") == -7, "unlinked: apart again");
	sim_free(s);

	/* stereo-linked detection: ch 1 DC 0.5 (-6.02 dBFS) hard left, ch 2
	 * DC 0.01 (-40 dBFS), compressor at -30 dB, 4:1, hard knee.  Alone,
	 * ch 2 stays under the threshold; linked, both take ch 1's gain
	 * reduction, computed from the static curve. */
	for (int linked = 0; linked < 2; linked++) {
		s = console(2, 0, &src);
		sim_osc_f(s, "/ch/1/pan", 0);
		sim_osc_f(s, "/ch/2/pan", 1);
		for (int c = 1; c <= 2; c++) {
			char p[64];
			snprintf(p, sizeof p, "/ch/%d/dyn/on", c);
			sim_osc_i(s, p, 1);
			snprintf(p, sizeof p, "/ch/%d/dyn/thr/db", c);
			sim_osc_f(s, p, -30);
			snprintf(p, sizeof p, "/ch/%d/dyn/ratio", c);
			sim_osc_f(s, p, 4);
			snprintf(p, sizeof p, "/ch/%d/dyn/knee/db", c);
			sim_osc_f(s, p, 0);
		}
		if (linked)
			sim_osc_i(s, "/ch/1/link", 1);
		sim_run(s, RATE / 2); /* attack 10 ms, release 100 ms: settled */
		sim_capture(s, PERIOD);
		sim_run(s, PERIOD);
		double gr = comp_gr_db((float)db20(DC), -30, 4, 0); /* 23.98 x 3/4 = 17.99 dB */
		double l = db20(fabs(s->cap[O_ML][PERIOD - 1])), r = db20(fabs(s->cap[O_MR][PERIOD - 1]));
		double want_r = db20(0.01) - (linked ? gr : 0);
		/* the detector's fast log2/exp2: < 0.001 dB (strip.c) */
		CHECK(fabs(l - (db20(DC) - gr)) < 0.002, "%s: ch 1 at %.4f dB, want %.4f",
		      linked ? "linked" : "apart", l, db20(DC) - gr);
		CHECK(fabs(r - want_r) < 0.002, "%s: ch 2 at %.4f dB, want %.4f", linked ? "linked" : "apart",
		      r, want_r);
		if (linked)
			printf(
			    "  link: copies, mirrors; linked detection reduces the quiet channel by %.3f dB "
			    "(static curve %.3f)\n",
			    db20(0.01) - r, gr);
		sim_free(s);
	}
}

/* ---- colours ------------------------------------------------------------------------ */

static void test_color(void)
{
	struct src src = {{0}, {0}};
	struct sim *s = console(2, 1, &src);
	sim_osc_s(s, "/ch/2/color", "blue");
	sim_osc_s(s, "/bus/1/color", "redi");
	sim_osc_i(s, "/dca/8/color", 15);
	CHECK(query1(s, "/ch/2/color") == 4, "blue is colour 4 (%g)", query1(s, "/ch/2/color"));
	CHECK(query1(s, "/bus/1/color") == 9, "redi is colour 9 (%g)", query1(s, "/bus/1/color"));
	CHECK(query1(s, "/dca/8/color") == 15, "whitei is colour 15");
	unsigned from = s->nmsg;
	sim_osc_s(s, "/ch/1/color", "purple");
	const struct sim_msg *m = sim_last(s, "/error", from);
	CHECK(m != NULL, "an unknown colour is an error");
	CHECK(query1(s, "/ch/1/color") == 0, "and changes nothing");
	sim_free(s);
	printf("  color: names, numbers, an unknown name refused\n");
}

/* ---- strip presets -------------------------------------------------------------- */

static int reply_ok(struct sim *s, const char *path, const char *name, unsigned from)
{
	const struct sim_msg *m = sim_last(s, path, from);
	return m && !strcmp(m->str[0], name) && !sim_last(s, "/error", from);
}

static char *slurp(const char *dir, const char *file)
{
	static char buf[65536];
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	unsigned n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, ".."));
	if (d)
		closedir(d);
	return n;
}

static void test_presets(void)
{
	struct src src = {{0}, {0}};
	struct sim *s = console(4, 1, &src);
	unsigned from = s->nmsg;
	sim_osc_i(s, "/ch/1/hpf/on", 1);
	sim_osc_f(s, "/ch/1/hpf/hz", 120);
	sim_osc_f(s, "/ch/1/eq/2/db", 4.5f);
	sim_osc_s(s, "/ch/1/eq/4/type", "peak");
	sim_osc_f(s, "/ch/1/dyn/thr/db", -25);
	sim_osc_i(s, "/ch/1/gate/on", 1);
	sim_osc_f(s, "/ch/1/fader/db", -5);
	sim_osc_s(s, "/ch/1/name", "Kick");
	sim_osc_f(s, "/ch/1/send/1/level/db", -3);
	sim_osc_i(s, "/ch/1/dca/2", 1);
	sim_osc_s(s, "/ch/1/preset/save", "kick");
	CHECK(reply_ok(s, "/ch/1/preset/save", "kick", from), "/ch/1/preset/save kick replies its name");
	const char *t = slurp(s->dir, "kick.preset");
	CHECK(t && strstr(t, "jackmixd-preset 1\nkind ch\n") && strstr(t, "\neq/2/db 4.5\n") &&
	          strstr(t, "\nhpf/hz 120\n") && strstr(t, "\neq/4/type 0\n") && strstr(t, "\nend\n"),
	      "the file holds the processing:\n%s", t ? t : "(none)");
	CHECK(t && !strstr(t, "fader") && !strstr(t, "send") && !strstr(t, "name") && !strstr(t, "dca") &&
	          !strstr(t, "mute") && !strstr(t, "pan"),
	      "and no routing, fader, name or membership");

	/* load onto channel 3: its processing changes, nothing else */
	sim_osc_s(s, "/ch/3/name", "Snare");
	from = s->nmsg;
	sim_osc_s(s, "/ch/3/preset/load", "kick");
	CHECK(reply_ok(s, "/ch/3/preset/load", "kick", from), "/ch/3/preset/load kick");
	CHECK(query1(s, "/ch/3/hpf/on") == 1 && query1(s, "/ch/3/hpf/hz") == 120 &&
	          query1(s, "/ch/3/eq/2/db") == 4.5 && query1(s, "/ch/3/eq/4/type") == 0 &&
	          query1(s, "/ch/3/dyn/thr/db") == -25 && query1(s, "/ch/3/gate/on") == 1,
	      "channel 3 has channel 1's processing");
	const struct sim_msg *m = sim_query(s, "/ch/3/name");
	CHECK(query1(s, "/ch/3/fader/db") == 0 && query1(s, "/ch/3/send/1/level/db") == -90 &&
	          query1(s, "/ch/3/dca/2") == 0 && m && !strcmp(m->str[0], "Snare"),
	      "channel 3's fader, sends, DCAs and name untouched");

	/* hostile and bad names never become files, anywhere */
	unsigned before = count_entries(s->dir);
	static const char *const bad[] = {
	    "../evil",
	    "a/b",
	    ".hidden",
	    "",
	    "x y",
	    "/tmp/abs",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	for (unsigned k = 0; k < sizeof bad / sizeof *bad; k++) {
		from = s->nmsg;
		sim_osc_s(s, "/ch/1/preset/save", bad[k]);
		CHECK(sim_last(s, "/error", from) != NULL, "save '%s' refused", bad[k]);
		from = s->nmsg;
		sim_osc_s(s, "/preset/delete", bad[k]);
		CHECK(sim_last(s, "/error", from) != NULL, "delete '%s' refused", bad[k]);
	}
	char up[256];
	snprintf(up, sizeof up, "%s/../evil.preset", s->dir);
	CHECK(access(up, F_OK) != 0, "nothing written outside the directory");
	CHECK(count_entries(s->dir) == before, "nothing written inside it either");

	/* a bus preset is not a channel's */
	from = s->nmsg;
	sim_osc_s(s, "/bus/1/preset/save", "busp");
	CHECK(reply_ok(s, "/bus/1/preset/save", "busp", from), "/bus/1/preset/save busp");
	from = s->nmsg;
	sim_osc_s(s, "/ch/2/preset/load", "busp");
	CHECK(sim_last(s, "/error", from) != NULL, "a bus preset onto a channel: /error");
	from = s->nmsg;
	sim_osc_s(s, "/ch/9/preset/load", "kick");
	CHECK(sim_last(s, "/error", from) != NULL, "channel 9 of 4: /error");

	/* a damaged file changes nothing */
	char p[256];
	snprintf(p, sizeof p, "%s/bad.preset", s->dir);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs("jackmixd-preset 1\nkind ch\nhpf/on 1\nfader/db -90\nend\n", f);
		fclose(f);
	}
	from = s->nmsg;
	sim_osc_s(s, "/ch/2/preset/load", "bad");
	CHECK(sim_last(s, "/error", from) != NULL && query1(s, "/ch/2/hpf/on") == 0 &&
	          query1(s, "/ch/2/fader/db") == 0,
	      "a preset with a fader line: /error, channel 2 untouched");
	f = fopen(p, "w");
	if (f) {
		fputs("jackmixd-preset 1\nkind ch\nhpf/on 1\n", f); /* cut short */
		fclose(f);
	}
	from = s->nmsg;
	sim_osc_s(s, "/ch/2/preset/load", "bad");
	CHECK(sim_last(s, "/error", from) != NULL && query1(s, "/ch/2/hpf/on") == 0,
	      "a preset without its end line: /error, nothing changed");

	/* atomic replacement: saving again replaces the file whole and leaves
	 * no temporary file; a planted symlink is refused, its target kept */
	sim_osc_f(s, "/ch/1/eq/2/db", -3);
	from = s->nmsg;
	sim_osc_s(s, "/ch/1/preset/save", "kick");
	t = slurp(s->dir, "kick.preset");
	CHECK(reply_ok(s, "/ch/1/preset/save", "kick", from) && t && strstr(t, "\neq/2/db -3\n") &&
	          !strstr(t, "4.5"),
	      "saved again: the new values, whole");
	DIR *d = opendir(s->dir);
	int tmp = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		tmp |= strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	CHECK(!tmp, "no temporary file left");
	char target[256], link[256];
	snprintf(target, sizeof target, "%s/target.txt", s->dir);
	snprintf(link, sizeof link, "%s/planted.preset", s->dir);
	f = fopen(target, "w");
	if (f) {
		fputs("keep me\n", f);
		fclose(f);
	}
	CHECK(symlink("target.txt", link) == 0, "symlink planted");
	from = s->nmsg;
	sim_osc_s(s, "/ch/1/preset/save", "planted");
	t = slurp(s->dir, "target.txt");
	CHECK(sim_last(s, "/error", from) != NULL && t && !strcmp(t, "keep me\n"),
	      "a save over a symlink is refused and its target kept");
	from = s->nmsg;
	sim_osc_s(s, "/ch/2/preset/load", "planted");
	CHECK(sim_last(s, "/error", from) != NULL, "a symlinked preset is not read");

	/* list and delete */
	from = s->nmsg;
	sim_osc_0(s, "/preset/list");
	m = sim_last(s, "/preset/list", from);
	CHECK(m && m->argc == 3 && !strcmp(m->str[0], "bad") && !strcmp(m->str[1], "busp"),
	      "/preset/list: bad busp kick (%d names)", m ? m->argc : -1);
	from = s->nmsg;
	sim_osc_s(s, "/preset/delete", "kick");
	CHECK(reply_ok(s, "/preset/delete", "kick", from) && !slurp(s->dir, "kick.preset"), "deleted");
	from = s->nmsg;
	sim_osc_s(s, "/preset/delete", "planted");
	CHECK(sim_last(s, "/error", from) != NULL && slurp(s->dir, "target.txt"), "a symlink is not deleted");
	unlink(link);
	unlink(target);
	sim_free(s);
	printf("  presets: save, load (processing only), hostile names, bad files, atomic replacement\n");
}

int main(void)
{
	test_dca();
	test_dcamove();
	test_mutegrp();
	test_link();
	test_color();
	test_presets();
	return test_exit("test_groups");
}
