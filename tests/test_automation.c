/*
 * test_automation.c - automation offline: the lane data (evaluation,
 * Ramer-Douglas-Peucker thinning against an independent error measure,
 * merging with guard points, the text lines and a whole state file round
 * trip, malformed lines), and the real RT path without JACK: model ->
 * queue -> mixer_apply, autoplay_cycle on a simulated transport ->
 * mixer_process, automation_tick, with a DC input so that the gain is
 * read off every output sample:
 *
 *   - a timed move -40 -> 0 dB over 1 s follows the dB-linear path at
 *     every sample and ends bit-exactly on 0 dB; the value shown to
 *     feedback moves with it; /stop holds it and the model follows;
 *     /master/fade reaches silence along the same law;
 *   - write pass, then read pass: the second reproduces the first
 *     (within the thinning tolerance) at every sample;
 *   - stopped transport holds the lane's value at the position;
 *   - a locate glides to the lane's new value: not instantly, never
 *     faster per sample than the glide's own slope allows, and there
 *     within the glide time;
 *   - touch and latch: the points recorded while touched (and, for latch,
 *     until the transport stops) carry the new value, the lane outside is
 *     unchanged;
 *   - a held touch (a Mackie fader touch: automation_touch without
 *     moves) keeps a touch-mode lane off the audio for 1.5 s, three
 *     times the implied touch's AUTOMATION_IMPLICIT_MS, shown as the
 *     model (the implied touch's end runs on the control clock, not the
 *     rig's: midi-mcu.sh shows it); released, the
 *     lane is back after its glide; in read mode a touch changes
 *     nothing: the audio and the shown value stay on the lane;
 *   - lane sets replaced every period while rolling are all reclaimed,
 *     and a lane that leaves the set while recording ends its pass;
 *   - a lane that stops playing leaves the model at the value it played;
 *   - display watchers (what MIDI surfaces and OSC are told): a timed
 *     move, a scene recall's fade (model_ramp from the quiet origin between
 *     automation_recall_fade 1 and 0) and a playing lane are told as a
 *     value per period that moved, every one strictly between start and
 *     end and never going back, the last equal to the model (or the
 *     lane's end); a plain recall and a switch are shown at once and told
 *     nothing; a hand that sets a moving value is shown its own value at
 *     once and is told nothing more.
 */
#include <stdint.h>
#include <string.h>

#include "automation.h"
#include "autoplay.h"
#include "control.h"
#include "lanes.h"
#include "mixer.h"
#include "model.h"
#include "rtqueue.h"
#include "snapshot.h"
#include "test_util.h"

#define RATE   48000.0
#define PERIOD 128u
#define DC     0.5f
#define MAXS   (48000u * 12u) /* samples a capture can hold */

static const struct param_shape SHAPE = {2, 1};

/* ---- lane data ---------------------------------------------------------- */

static void test_base_paths(void)
{
	char buf[LANES_PATH_MAX];
	unsigned n = 0;
	for (unsigned id = 0; id < P_COUNT; id++) {
		if (!param_automatable((enum param_id)id))
			continue;
		n++;
		size_t k = param_auto_base((enum param_id)id);
		const char *p = param_table[id].path;
		CHECK(k > 1 && k <= strlen(p), "%s: base length %zu", p, k);
		/* the base is the unit path, or it less exactly one "/unit" */
		CHECK(p[k] == 0 || (p[k] == '/' && !strchr(p + k + 1, '/')), "%s: base %.*s", p, (int)k, p);
		CHECK(param_table[id].type != PT_STRING && param_table[id].type != PT_METER, "%s automatable",
		      p);
	}
	CHECK(!param_automatable(P_CH_SAFE), "the recall-safe flag is not automatable");
	CHECK(param_automatable(P_CH_FADER) && param_automatable(P_CH_MUTE) &&
	          param_automatable(P_CH_EQ_TYPE),
	      "fader, mute and EQ type are automatable");
	CHECK(n >= 40, "%u automatable parameters", n);
	lanes_base_path(P_CH_FADER, 2, 0, buf, sizeof buf);
	CHECK(!strcmp(buf, "/ch/3/fader"), "fader base %s", buf);
	lanes_base_path(P_CH_EQ_HZ, 0, 3, buf, sizeof buf);
	CHECK(!strcmp(buf, "/ch/1/eq/4/hz"), "EQ base %s", buf);
	lanes_base_path(P_CH_SEND_LEVEL, 1, 0, buf, sizeof buf);
	CHECK(!strcmp(buf, "/ch/2/send/1/level"), "send base %s", buf);
	lanes_base_path(P_BUS_FADER, 0, 0, buf, sizeof buf);
	CHECK(!strcmp(buf, "/bus/1/fader"), "bus base %s", buf);
	lanes_base_path(P_MASTER_LIMITER_CEILING, 0, 0, buf, sizeof buf);
	CHECK(!strcmp(buf, "/master/limiter/ceiling"), "ceiling base %s", buf);
	lanes_base_path(P_CH_PAN, 0, 0, buf, sizeof buf);
	CHECK(!strcmp(buf, "/ch/1/pan"), "pan base %s", buf);
}

static void test_eval(void)
{
	/* a fader lane: straight in dB; a frequency lane: straight in octaves */
	uint32_t f[4] = {1000, 2000, 4000, 4001};
	float db[4] = {-40, 0, -20, -20};
	float hz_path[2] = {logf(100), logf(1600)};
	struct autoplay_lane l = {0, P_CH_FADER, 0, 0, AUTOPLAY_READ, 0, 4, f, db};
	uint32_t hint = 0;
	CHECK(autoplay_lane_eval(&l, 0, &hint) == -40.0f, "before the first point: its value");
	CHECK(autoplay_lane_eval(&l, 9000, &hint) == -20.0f, "after the last point: its value");
	CHECK_NEAR(autoplay_lane_eval(&l, 1500, &hint), -20.0, 1e-5, "half way up");
	CHECK_NEAR(autoplay_lane_eval(&l, 3000, &hint), -10.0, 1e-5, "half way down");
	CHECK(autoplay_lane_eval(&l, 2000, &hint) == 0.0f, "on a point");
	/* any hint gives the same answer as a fresh search */
	uint32_t s = 1;
	int bad = 0;
	for (int k = 0; k < 20000; k++) {
		s = s * 1664525u + 1013904223u;
		uint32_t fr = s % 5000, h1 = s >> 20, h0 = 0;
		float a = autoplay_lane_eval(&l, fr, &h1), b = autoplay_lane_eval(&l, fr, &h0);
		bad += a != b;
	}
	CHECK(bad == 0, "%d evaluations depend on the hint", bad);
	struct autoplay_lane hz = {0, P_CH_EQ_HZ, 0, 0, AUTOPLAY_READ, 0, 2, f, hz_path};
	hint = 0;
	CHECK_NEAR(autoplay_from_path(P_CH_EQ_HZ, autoplay_lane_eval(&hz, 1500, &hint)), 400.0, 0.01,
	           "a frequency lane half way: 2 of 4 octaves");
	/* a switch holds the earlier point */
	float mute[3] = {0, 1, 0};
	struct autoplay_lane sw = {0, P_CH_MUTE, 0, 0, AUTOPLAY_READ, 1, 3, f, mute};
	hint = 0;
	CHECK(autoplay_lane_eval(&sw, 1999, &hint) == 0.0f && autoplay_lane_eval(&sw, 2000, &hint) == 1.0f &&
	          autoplay_lane_eval(&sw, 3999, &hint) == 1.0f &&
	          autoplay_lane_eval(&sw, 4000, &hint) == 0.0f,
	      "a switch lane steps at its points");
	struct autoplay_lane empty = {0, P_CH_FADER, 0, 0, AUTOPLAY_READ, 0, 0, f, db};
	CHECK(isnan(autoplay_lane_eval(&empty, 10, &hint)), "an empty lane has no value");
}

/* Largest error, in path units, of the thinned lane (f2, v2) against the
 * original points, evaluated here by straight lines between the kept
 * points (independently of the code under test). */
static double thin_error(enum param_id id, const uint32_t *f, const float *v, unsigned n, const uint32_t *f2,
                         const float *v2, unsigned n2)
{
	double worst = 0;
	unsigned j = 0;
	for (unsigned i = 0; i < n; i++) {
		while (j + 1 < n2 && f2[j + 1] <= f[i])
			j++;
		double want = param_table[id].taper == TP_LOG ? log(v[i]) : v[i], got;
		if (j + 1 >= n2 || f2[j] == f[i]) {
			got = param_table[id].taper == TP_LOG ? log(v2[j]) : v2[j];
		} else {
			double a = param_table[id].taper == TP_LOG ? log(v2[j]) : v2[j];
			double b = param_table[id].taper == TP_LOG ? log(v2[j + 1]) : v2[j + 1];
			got = a + (b - a) * ((double)f[i] - f2[j]) / ((double)f2[j + 1] - f2[j]);
		}
		if (fabs(got - want) > worst)
			worst = fabs(got - want);
	}
	return worst;
}

static void test_thin(void)
{
	enum { N = 20000 };
	static uint32_t f[N], f2[N];
	static float v[N], v2[N];
	/* a straight fade becomes its two ends */
	for (unsigned i = 0; i < N; i++) {
		f[i] = 64 * i;
		v[i] = -60.0f + 60.0f * (float)i / (N - 1);
	}
	memcpy(f2, f, sizeof f);
	memcpy(v2, v, sizeof v);
	unsigned n2 = lanes_thin(P_CH_FADER, f2, v2, N);
	CHECK(n2 <= 3, "a straight fade thins to %u points (want 2)", n2);
	CHECK(f2[0] == f[0] && f2[n2 - 1] == f[N - 1], "the ends are kept");
	/* a ride: 3 slow sines of several dB; within 0.05 dB, far fewer points */
	for (unsigned i = 0; i < N; i++)
		v[i] = (float)(-20 + 8 * sin(i * 0.0011) + 3 * sin(i * 0.0071 + 1) + 0.5 * sin(i * 0.031));
	memcpy(f2, f, sizeof f);
	memcpy(v2, v, sizeof v);
	n2 = lanes_thin(P_CH_FADER, f2, v2, N);
	double err = thin_error(P_CH_FADER, f, v, N, f2, v2, n2);
	CHECK(err <= lanes_tolerance(P_CH_FADER) + 1e-6, "thinned ride strays %.4f dB (tolerance %.3f)", err,
	      (double)lanes_tolerance(P_CH_FADER));
	CHECK(n2 < N / 10, "ride thinned from %u to %u points", N, n2);
	CHECK_NEAR(lanes_tolerance(P_CH_FADER), 0.1, 1e-6, "dB tolerance");
	printf("  thinning: ride of %u points -> %u, worst error %.4f dB\n", (unsigned)N, n2, err);
	/* a frequency sweep, log taper: the tolerance is in octaves (ln) */
	for (unsigned i = 0; i < N; i++)
		v[i] = (float)(1000 * exp(1.5 * sin(i * 0.002)));
	memcpy(f2, f, sizeof f);
	memcpy(v2, v, sizeof v);
	n2 = lanes_thin(P_CH_EQ_HZ, f2, v2, N);
	err = thin_error(P_CH_EQ_HZ, f, v, N, f2, v2, n2);
	CHECK(err <= lanes_tolerance(P_CH_EQ_HZ) + 1e-6 && n2 < N / 5, "sweep: %u points, error %.5f (ln)",
	      n2, err);
	/* a switch keeps its changes */
	for (unsigned i = 0; i < N; i++)
		v[i] = (float)((i / 1000) % 2);
	memcpy(f2, f, sizeof f);
	memcpy(v2, v, sizeof v);
	n2 = lanes_thin(P_CH_MUTE, f2, v2, N);
	unsigned changes = 0;
	for (unsigned i = 1; i < n2; i++)
		changes += v2[i] != v2[i - 1];
	CHECK(changes == N / 1000 - 1 && n2 <= N / 1000 + 1, "switch: %u points, %u changes", n2, changes);
	int ok = 1;
	for (unsigned i = 0, j = 0; i < N; i++) { /* same value at every original frame */
		while (j + 1 < n2 && f2[j + 1] <= f[i])
			j++;
		ok &= v2[j] == v[i];
	}
	CHECK(ok, "the thinned switch lane holds the same values");
}

static void test_merge(void)
{
	struct lanes *L = lanes_new(&SHAPE);
	unsigned flat = (unsigned)lanes_flat(L, P_CH_FADER, 0, 0);
	uint32_t of[3] = {0, 48000, 96000};
	float ov[3] = {-30, -10, -30};
	CHECK(lanes_set_points(L, flat, of, ov, 3) == 0, "set points");
	uint32_t nf[3] = {24000, 30000, 36000};
	float nv[3] = {0, 0, 0};
	CHECK(lanes_merge(L, flat, nf, nv, 3, 64, 960) == 0, "merge");
	const struct lanes_lane *l = &L->lane[flat];
	CHECK_NEAR(lanes_eval(L, flat, 0), -30, 1e-5, "before: old line");
	CHECK_NEAR(lanes_eval(L, flat, 12000), -25, 1e-4, "old line kept up to the guard");
	CHECK_NEAR(lanes_eval(L, flat, 24000 - 64), -20 - 10.0 * 64 / 24000, 1e-3,
	           "guard in on the old line");
	CHECK_NEAR(lanes_eval(L, flat, 30000), 0, 1e-6, "the pass");
	CHECK_NEAR(lanes_eval(L, flat, 36000 + 960), -10 - 20.0 * (12000 - 960) / 48000, 1e-3,
	           "guard out on the old line");
	CHECK_NEAR(lanes_eval(L, flat, 72000), -20, 1e-4, "old line after");
	int inc = 1;
	for (unsigned i = 1; i < l->n; i++)
		inc &= l->frame[i] > l->frame[i - 1];
	CHECK(inc && l->n == 1 + 1 + 3 + 1 + 2, "frames increase, %u points (want 8)", l->n);
	/* a pass over everything replaces everything, and returns to the old
	 * lane's last value after it */
	uint32_t af[2] = {0, 200000};
	float av[2] = {-5, -5};
	lanes_merge(L, flat, af, av, 2, 64, 960);
	CHECK(l->n == 3 && l->value[0] == -5 && l->value[1] == -5 && l->value[2] == -30 &&
	          l->frame[2] == 200960,
	      "full pass: %u points", l->n);
	lanes_free(L);
}

struct textbuf {
	char s[1 << 16];
	size_t n;
};

static void collect(void *ctx, const char *line)
{
	struct textbuf *t = ctx;
	t->n += (size_t)snprintf(t->s + t->n, sizeof t->s - t->n, "%s\n", line);
}

static int parse_text(struct lanes *L, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int r = lanes_parse_line(L, p, len, err, errlen);
		if (r <= 0)
			return r < 0 ? -1 : -2;
		p += len + (nl != NULL);
	}
	return 0;
}

static void expect_bad(const char *line, const char *why)
{
	struct lanes *L = lanes_new(&SHAPE);
	char err[256] = "";
	int r = lanes_parse_line(L, line, strlen(line), err, sizeof err);
	CHECK(r < 0 && strstr(err, why), "'%s': r=%d err='%s', want '%s'", line, r, err, why);
	lanes_free(L);
}

static void test_text(void)
{
	struct lanes *L = lanes_new(&SHAPE), *M = lanes_new(&SHAPE);
	static struct textbuf t;
	char err[256];
	unsigned fa = (unsigned)lanes_flat(L, P_CH_FADER, 1, 0),
	         fb = (unsigned)lanes_flat(L, P_CH_EQ_HZ, 0, 2),
	         fc = (unsigned)lanes_flat(L, P_MASTER_MUTE, 0, 0),
	         fd = (unsigned)lanes_flat(L, P_CH_SEND_LEVEL, 1, 0);
	uint32_t f[3] = {0, 4800, 4294967295u};
	float va[3] = {-90, -6.123457f, 10}, vb[3] = {20, 1234.5f, 20000}, vc[3] = {0, 1, 0};
	lanes_set_points(L, fa, f, va, 3);
	lanes_set_points(L, fb, f, vb, 3);
	lanes_set_points(L, fc, f, vc, 3);
	L->lane[fa].mode = AUTOPLAY_READ;
	L->lane[fc].mode = AUTOPLAY_LATCH;
	L->lane[fd].mode = AUTOPLAY_WRITE; /* a mode and no points */
	L->rate = 44100;
	lanes_format(L, collect, &t);
	CHECK(strstr(t.s, "/automation/rate 44100\n") && strstr(t.s, "/ch/2/fader/auto read\n") &&
	          strstr(t.s, "/ch/2/fader/auto/point 4800 -6.123457\n") &&
	          strstr(t.s, "/ch/1/eq/3/hz/auto off\n") && strstr(t.s, "/master/mute/auto latch\n") &&
	          strstr(t.s, "/ch/2/send/1/level/auto write\n"),
	      "format:\n%s", t.s);
	CHECK(parse_text(M, t.s, err, sizeof err) == 0, "parse back: %s", err);
	int same = M->rate == 44100;
	for (unsigned k = 0; k < L->nflat; k++) {
		const struct lanes_lane *a = &L->lane[k], *b = &M->lane[k];
		same &= a->mode == b->mode && a->n == b->n;
		for (unsigned i = 0; same && i < a->n; i++)
			same &= a->frame[i] == b->frame[i] && a->value[i] == b->value[i];
	}
	CHECK(same, "lanes survive the text exactly");

	expect_bad("/ch/1/fader/auto loud", "mode");
	expect_bad("/ch/1/safe/auto read", "not an automatable");
	expect_bad("/ch/3/fader/auto read", "range");
	expect_bad("/ch/1/eq/5/hz/auto read", "range");
	expect_bad("/ch/1/fader/auto/point 10 11", "value");
	expect_bad("/ch/1/fader/auto/point -1 0", "frame");
	expect_bad("/ch/1/fader/auto/point 1.5 0", "frame");
	expect_bad("/ch/1/fader/auto/point 10 nan", "value");
	expect_bad("/ch/1/mute/auto/point 10 0.5", "whole");
	expect_bad("/ch/1/fader/auto read x", "unexpected");
	expect_bad("/automation/rate 12", "rate");
	struct lanes *O = lanes_new(&SHAPE);
	const char *dec = "/ch/1/fader/auto/point 10 0\n/ch/1/fader/auto/point 10 1\n";
	CHECK(parse_text(O, dec, err, sizeof err) == -1 && strstr(err, "increase"),
	      "frames must increase: %s", err);
	lanes_free(O);
	O = lanes_new(&SHAPE);
	const char *twice = "/ch/1/fader/auto read\n/ch/1/fader/auto off\n";
	CHECK(parse_text(O, twice, err, sizeof err) == -1 && strstr(err, "twice"), "mode twice: %s", err);
	lanes_free(O);
	O = lanes_new(&SHAPE);
	CHECK(lanes_parse_line(O, "/ch/1/fader/db -6", 17, err, sizeof err) == 0, "a value line is not ours");
	lanes_free(O);

	/* a whole state file, with checksum, through snapshot.c */
	struct model *m = model_new(&SHAPE, NULL);
	size_t len = 0;
	char *text = snapshot_format_lanes(m, L, NULL, &len);
	struct snapshot *s = snapshot_new(&SHAPE);
	CHECK(text && snapshot_parse(s, "mem", text, len, err, sizeof err) == 0, "state file with lanes: %s",
	      err);
	same = 1;
	for (unsigned k = 0; k < L->nflat; k++) {
		const struct lanes_lane *a = &L->lane[k], *b = &s->lanes->lane[k];
		same &= a->mode == b->mode && a->n == b->n;
		for (unsigned i = 0; same && i < a->n; i++)
			same &= a->frame[i] == b->frame[i] && a->value[i] == b->value[i];
	}
	CHECK(same, "lanes survive a state file");
	/* a damaged lane line fails the whole file with file:line */
	char *bad = strstr(text, "/ch/2/fader/auto read");
	if (bad) {
		memcpy(bad + 17, "rezd", 4);
		struct snapshot *s2 = snapshot_new(&SHAPE);
		CHECK(snapshot_parse(s2, "mem", text, len, err, sizeof err) < 0 && strstr(err, "mem:"),
		      "a bad lane line: %s", err);
		snapshot_free(s2);
	}
	free(text);
	snapshot_free(s);
	model_free(m);
	lanes_free(L);
	lanes_free(M);
}

/* ---- the RT path without JACK ----------------------------------------------- */

struct rig {
	struct mixer *m;
	struct model *model;
	struct rtq q;
	struct automation *a;
	struct autoplay *ap;
	uint32_t frame;
	int rolling;
	uint64_t now; /* ms, simulated */
	unsigned lat;
	float ref; /* output of DC through ch 1 at 0 dB, centre */
	/* capture: gain and transport frame of every output sample */
	float *g;
	uint32_t *fr;
	unsigned n, cap;
};

static struct mixer *rig_mixer(void *ctx)
{
	return ((struct rig *)ctx)->m;
}

static float rig_out[6][PERIOD];

static void rig_run(struct rig *r, unsigned periods)
{
	static float in1[PERIOD], in2[PERIOD];
	const float *in[2] = {in1, in2};
	float *out[6];
	struct rt_msg msg;
	for (unsigned k = 0; k < 6; k++)
		out[k] = rig_out[k];
	for (unsigned i = 0; i < PERIOD; i++)
		in1[i] = DC;
	for (unsigned p = 0; p < periods; p++) {
		while (rtq_pop(&r->q, &msg) == 0)
			mixer_apply(r->m, &msg);
		autoplay_cycle(r->ap, r->m, r->frame, r->rolling, PERIOD);
		mixer_process(r->m, in, out, PERIOD);
		for (unsigned i = 0; i < PERIOD && r->n < r->cap; i++) {
			r->g[r->n] = r->ref ? rig_out[0][i] / r->ref : rig_out[0][i];
			r->fr[r->n] = r->rolling ? r->frame + i : r->frame;
			r->n++;
		}
		if (r->rolling)
			r->frame += PERIOD;
		r->now = (uint64_t)((double)(r->n + 1) * 1000.0 / RATE) + 1000000;
		automation_tick(r->a, r->now);
	}
}

/* Gain applied at capture sample k (the output carries the limiter's
 * delay). */
static double rig_db(const struct rig *r, unsigned k)
{
	return db20(fabs((double)r->g[k + r->lat]));
}

static void rig_init(struct rig *r)
{
	struct mixer_config mc = {2, 0, 1, RATE, 0};
	memset(r, 0, sizeof *r);
	rtq_init(&r->q, 16384, sizeof(struct rt_msg));
	r->m = mixer_new(&mc);
	r->model = model_new(&SHAPE, &r->q);
	struct automation_config ac = {r->model, &r->q, NULL, RATE, rig_mixer, r};
	r->a = automation_new(&ac);
	r->ap = automation_autoplay(r->a);
	r->lat = mixer_latency(r->m);
	r->cap = MAXS;
	r->g = calloc(r->cap, sizeof *r->g);
	r->fr = calloc(r->cap, sizeof *r->fr);
	if (!r->m || !r->model || !r->a || !r->g || !r->fr) {
		fprintf(stderr, "allocation failed\n");
		exit(1);
	}
	rig_run(r, 40);
	r->ref = rig_out[0][PERIOD - 1];
	r->n = 0;
}

static void rig_free(struct rig *r)
{
	automation_free(r->a);
	model_free(r->model);
	mixer_free(r->m);
	rtq_destroy(&r->q);
	free(r->g);
	free(r->fr);
}

static void rig_set(struct rig *r, enum param_id id, unsigned i1, float v)
{
	static int surface; /* an origin that is neither the session nor automation */
	model_set(r->model, id, i1, 0, v, &surface);
	model_commit(r->model);
}

/* The capture index of the first sample at transport frame f, or -1. */
static long rig_at(const struct rig *r, uint32_t f, unsigned from)
{
	for (unsigned k = from; k < r->n; k++)
		if (r->fr[k] == f)
			return k;
	return -1;
}

static void test_ramp(void)
{
	struct rig r;
	rig_init(&r);
	unsigned flat = (unsigned)lanes_flat(automation_lanes(r.a), P_CH_FADER, 0, 0);
	CHECK(r.ref > 0.3f && r.ref < 0.4f, "reference %.4f (0.5 at -3 dB pan)", r.ref);
	rig_set(&r, P_CH_FADER, 0, -40);
	rig_run(&r, 200); /* the 10 ms smoothing settles (53 time constants) */
	r.n = 0;
	rig_run(&r, 2);
	unsigned s0 = r.n; /* the ramp starts with this period */
	CHECK(automation_ramp(r.a, P_CH_FADER, 0, 0, 0.0f, 1000.0f, NULL) == MODEL_OK, "ramp accepted");
	model_commit(r.model);
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, 0.0f) == -40.0f,
	      "feedback shows the start, not the target");
	float shown_mid = 0;
	for (int k = 0; k < 420; k++) { /* 1.12 s */
		rig_run(&r, 1);
		if (k == 190)
			shown_mid =
			    automation_value(r.a, P_CH_FADER, 0, 0, model_get(r.model, P_CH_FADER, 0, 0));
	}
	CHECK(shown_mid > -25 && shown_mid < -15, "feedback half way: %.2f dB", shown_mid);
	double worst = 0;
	for (unsigned k = s0; k <= s0 + 48000; k++) {
		double want = -40.0 + 40.0 * (double)(k - s0) / 48000.0;
		double e = fabs(rig_db(&r, k) - want);
		if (e > worst)
			worst = e;
	}
	/* linear gain inside 64-frame chunks against dB-linear: (40/750 dB)^2
	 * scale, far below 0.01 dB */
	CHECK(worst <= 0.01, "ramp strays %.4f dB from the dB-linear path", worst);
	int exact = 1;
	for (unsigned k = s0 + 48000 + 64; k + r.lat < r.n; k++)
		exact &= r.g[k + r.lat] == 1.0f;
	CHECK(exact, "the ramp ends exactly on 0 dB (bit-exact output)");
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, 0.0f) == 0.0f, "feedback ends on the target");
	printf("  ramp -40 -> 0 dB / 1 s: worst %.4f dB from the path\n", worst);

	/* stop half way: the value holds, the model follows */
	rig_set(&r, P_CH_FADER, 0, -40);
	rig_run(&r, 40);
	r.n = 0;
	automation_ramp(r.a, P_CH_FADER, 0, 0, 0.0f, 1000.0f, NULL);
	model_commit(r.model);
	rig_run(&r, 188); /* ~0.5 s */
	automation_stop(r.a, P_CH_FADER, 0, 0);
	rig_run(&r, 60);
	unsigned a = r.n - 4000 - r.lat, b = r.n - 1 - r.lat;
	float held = (float)rig_db(&r, a);
	CHECK(held > -22 && held < -18, "held at %.2f dB", held);
	CHECK(fabs(rig_db(&r, b) - held) < 1e-3, "the value holds after /stop (%.4f then %.4f)", held,
	      rig_db(&r, b));
	float mv = model_get(r.model, P_CH_FADER, 0, 0);
	CHECK(fabs(mv - held) < 0.01, "the model follows the held value: %.3f vs %.3f", mv, held);
	CHECK(mixer_value_published(r.m, flat) == mv, "model and audio thread agree after /stop");

	/* /master/fade: to silence along the dB line */
	rig_set(&r, P_CH_FADER, 0, 0);
	rig_run(&r, 40);
	r.n = 0;
	rig_run(&r, 1);
	s0 = r.n;
	CHECK(automation_fade(r.a, 0.5f) == 0, "fade accepted");
	rig_run(&r, 200);
	worst = 0;
	for (unsigned k = s0; k <= s0 + 24000; k += 7) {
		double want = 90.0 * (double)(k - s0) / 24000.0;
		if (want > 60)
			break;
		double e = fabs(rig_db(&r, k) + want);
		if (e > worst)
			worst = e;
	}
	CHECK(worst <= 0.02, "master fade strays %.4f dB from the path (to -60 dB)", worst);
	CHECK(r.g[r.n - 1] == 0.0f, "silence after the master fade (%g)", (double)r.g[r.n - 1]);
	CHECK(model_get(r.model, P_MASTER_FADER, 0, 0) == -90.0f, "master fader at -90");
	rig_free(&r);
}

/* Lane of ch 1 fader written from a staircase of sets (a surface at
 * 100 Hz), then played: sample by sample the same gain. */
static void test_write_read(void)
{
	struct rig r;
	rig_init(&r);
	const struct lanes *L = automation_lanes(r.a);
	unsigned flat = (unsigned)lanes_flat(L, P_CH_FADER, 0, 0);
	CHECK(automation_set_mode(r.a, P_CH_FADER, 0, 0, AUTOPLAY_WRITE) == 0, "write mode");
	rig_set(&r, P_CH_FADER, 0, -20);
	rig_run(&r, 10);
	r.frame = 0;
	r.rolling = 1;
	r.n = 0;
	unsigned sets = 0;
	for (int k = 0; k < 750; k++) { /* 2 s */
		if (k % 4 == 0 && (k < 300 || k >= 420)) {
			float v = (float)(-20 + 12 * sin(k * 0.006) + 2 * sin(k * 0.05));
			rig_set(&r, P_CH_FADER, 0, v);
			sets++;
		}
		if (k == 300) { /* and a timed move inside the pass (no sets meanwhile) */
			automation_ramp(r.a, P_CH_FADER, 0, 0, -3.0f, 300.0f, NULL);
			model_commit(r.model);
		}
		rig_run(&r, 1);
	}
	r.rolling = 0;
	rig_run(&r, 10);
	unsigned npass = r.n;
	static float ga[MAXS];
	static uint32_t fa[MAXS];
	memcpy(ga, r.g, npass * sizeof *ga);
	memcpy(fa, r.fr, npass * sizeof *fa);
	const struct lanes_lane *l = &L->lane[flat];
	CHECK(l->n > 10 && l->n < sets, "the pass became %u points from %u sets", l->n, sets);
	printf("  write pass: %u sets and a timed move -> %u points\n", sets, l->n);

	CHECK(automation_set_mode(r.a, P_CH_FADER, 0, 0, AUTOPLAY_READ) == 0, "read mode");
	rig_set(&r, P_CH_FADER, 0, -60); /* the lane overrides this */
	rig_run(&r, 10);
	r.frame = 0;
	r.rolling = 1;
	r.n = 0;
	rig_run(&r, 760);
	r.rolling = 0;
	double worst = 0;
	unsigned compared = 0, at = 0;
	for (unsigned k = 0; k + r.lat < npass && k + r.lat < r.n; k++) {
		if (!fa[k] || fa[k] >= 749 * PERIOD || fa[k] < 1500)
			continue; /* the glide onto the lane at the start */
		long j = rig_at(&r, fa[k], k > 200 ? k - 200 : 0);
		if (j < 0 || (unsigned)j + r.lat >= r.n)
			continue;
		double e = fabs(db20(ga[k + r.lat]) - rig_db(&r, (unsigned)j));
		if (e > worst)
			worst = e, at = fa[k];
		compared++;
	}
	CHECK(compared > 90000, "%u samples compared", compared);
	/* the thinning tolerance, and a little for gain interpolated inside a
	 * chunk against dB along the lane */
	double tol = lanes_tolerance(P_CH_FADER) + 0.01;
	CHECK(worst <= tol, "read pass strays %.4f dB from the write pass (at frame %u), tolerance %.2f",
	      worst, at, tol);
	printf("  read pass vs write pass: worst %.4f dB over %u samples\n", worst, compared);

	/* stopped: the value at the position holds */
	r.rolling = 0;
	r.frame = 48000;
	rig_run(&r, 30);
	float want = lanes_eval(L, flat, 48000);
	double hold = rig_db(&r, r.n - 1 - r.lat);
	CHECK(fabs(hold - want) < 0.01, "stopped at 1 s: %.3f dB, lane %.3f dB", hold, (double)want);

	/* mode off: the parameter stays where the lane left it, the model follows */
	automation_set_mode(r.a, P_CH_FADER, 0, 0, AUTOPLAY_OFF);
	rig_run(&r, 10);
	CHECK(fabs(model_get(r.model, P_CH_FADER, 0, 0) - want) < 0.01,
	      "model %.3f after the lane stopped, lane %.3f", (double)model_get(r.model, P_CH_FADER, 0, 0),
	      (double)want);
	CHECK(fabs(rig_db(&r, r.n - 1 - r.lat) - want) < 0.01, "and the sound stayed there");
	rig_free(&r);
}

/* A lane set holding ch 1's fader lane alone, v0 dB at frame 0 and v1 dB
 * at frame end, in mode (enum autoplay_mode); its index in *flat. */
static struct lanes *fader_lane(uint32_t end, float v0, float v1, int mode, unsigned *flat)
{
	struct lanes *src = lanes_new(&SHAPE);
	*flat = (unsigned)lanes_flat(src, P_CH_FADER, 0, 0);
	uint32_t f[2] = {0, end};
	float v[2] = {v0, v1};
	lanes_set_points(src, *flat, f, v, 2);
	src->lane[*flat].mode = (unsigned char)mode;
	src->rate = RATE;
	return src;
}

/* A read lane -40 dB .. 0 dB over 2 s; locate from 0.25 s to 1.75 s. */
static void test_locate(void)
{
	struct rig r;
	rig_init(&r);
	unsigned flat;
	struct lanes *src = fader_lane(96000, -40, 0, AUTOPLAY_READ, &flat);
	automation_load(r.a, src, 0);
	r.frame = 0;
	r.rolling = 1;
	rig_run(&r, 100); /* past the first glide */
	r.n = 0;
	rig_run(&r, 10);
	unsigned k0 = r.n; /* the first sample after the locate */
	r.frame = 84000;
	rig_run(&r, 30);
	double before = rig_db(&r, k0 - 1), target0 = -40 + 40 * 84000 / 96000.0;
	double glide = AUTOPLAY_GLIDE_MS * RATE / 1000;
	/* dB moves straight from where it was to the lane, so the gain's
	 * steepest step is at the top: g * ln10/20 * (dB span / glide) */
	double span = target0 + 1 - before;
	double steep = pow(10, (target0 + 1) / 20) * log(10) / 20 * (span / glide + 40.0 / 96000);
	double maxstep = 0;
	int mono = 1;
	for (unsigned k = k0; k < k0 + (unsigned)glide + 256; k++) {
		double d = fabs((double)r.g[k + r.lat] - r.g[k + r.lat - 1]);
		if (d > maxstep)
			maxstep = d;
		mono &= r.g[k + r.lat] >= r.g[k + r.lat - 1] - 1e-7f;
	}
	CHECK(rig_db(&r, k0 + 128) < target0 - 10,
	      "no jump: 128 frames after the locate at %.2f dB (target %.2f)", rig_db(&r, k0 + 128), target0);
	CHECK(mono, "the glide moves one way");
	CHECK(maxstep <= 1.5 * steep, "largest gain step %.6f per sample, the glide allows %.6f", maxstep,
	      steep);
	double after = rig_db(&r, k0 + (unsigned)glide + 128);
	double want = -40 + 40 * (84000 + glide + 128) / 96000.0;
	CHECK(fabs(after - want) < 0.02, "on the lane after the glide: %.3f dB, want %.3f", after, want);
	printf("  locate: from %.2f dB to %.2f dB, largest step %.6f (a chunk jump would be %.6f)\n", before,
	       target0, maxstep, (pow(10, target0 / 20) - pow(10, before / 20)) / 64);
	lanes_free(src);
	rig_free(&r);
}

/* Touch and latch on a lane of -20 dB over 4 s. */
static void test_touch_latch(int latch)
{
	struct rig r;
	rig_init(&r);
	unsigned flat;
	struct lanes *src = fader_lane(192000, -20, -20, latch ? AUTOPLAY_LATCH : AUTOPLAY_TOUCH, &flat);
	automation_load(r.a, src, 0);
	const struct lanes *L = automation_lanes(r.a);
	r.frame = 0;
	r.rolling = 1;
	rig_run(&r, 375); /* 1 s */
	uint32_t t_on = r.frame;
	automation_touch(r.a, P_CH_FADER, 0, 0, 1);
	rig_set(&r, P_CH_FADER, 0, -6);
	rig_run(&r, 188); /* 0.5 s */
	uint32_t t_off = r.frame;
	automation_touch(r.a, P_CH_FADER, 0, 0, 0);
	rig_run(&r, 375); /* 1 s more, then stop */
	uint32_t t_stop = r.frame;
	r.rolling = 0;
	rig_run(&r, 20);
	uint32_t end = latch ? t_stop : t_off;
	double glide = AUTOPLAY_GLIDE_MS * RATE / 1000;
	CHECK_NEAR(lanes_eval(L, flat, t_on - 2 * PERIOD), -20, 1e-4, "before the touch: the old lane");
	/* the recording is smoothed like any move (10 ms): on its way after
	 * 5 ms, there after 100 ms, within the thinning tolerance */
	double tol = lanes_tolerance(P_CH_FADER) + 1e-3;
	float early = lanes_eval(L, flat, t_on + 2 * PERIOD);
	CHECK(early > -19 && early < -7, "touched: on its way to the new value after 5 ms (%.2f dB)", early);
	CHECK_NEAR(lanes_eval(L, flat, t_on + 4800), -6, tol, "touched: the new value");
	CHECK_NEAR(lanes_eval(L, flat, (t_on + t_off) / 2), -6, tol, "touched, half way");
	CHECK_NEAR(lanes_eval(L, flat, end - 2 * PERIOD), -6, tol,
	           latch ? "latched: the value after the release, up to the stop" : "up to the release");
	CHECK_NEAR(lanes_eval(L, flat, end + (uint32_t)glide + 2 * PERIOD), -20, 1e-3,
	           "after the pass and its glide: the old lane");
	if (!latch)
		CHECK_NEAR(lanes_eval(L, flat, (t_off + t_stop) / 2), -20, 1e-3,
		           "touch: nothing recorded after the release");
	CHECK(L->lane[flat].n <= 24, "%u points for one touch (want few)", L->lane[flat].n);
	/* while it played after a touch release the audio went back to the lane */
	if (!latch) {
		long k = rig_at(&r, t_off + (uint32_t)glide + 1024, 0);
		CHECK(k >= 0 && fabs(rig_db(&r, (unsigned)k) + 20) < 0.01,
		      "released: back on the lane (%.3f dB)", k >= 0 ? rig_db(&r, (unsigned)k) : 0.0);
	}
	printf("  %s: %u points after the pass\n", latch ? "latch" : "touch", L->lane[flat].n);
	lanes_free(src);
	rig_free(&r);
}

/* The gain (dB) of the last sample captured, and what is shown. */
static double rig_last_db(const struct rig *r)
{
	return rig_db(r, r->n - 1 - r->lat);
}

/* A fader held still: touch and read mode on a lane of -20 dB. */
static void test_touch_held(void)
{
	struct rig r;
	rig_init(&r);
	unsigned flat;
	struct lanes *src = fader_lane(48000 * 60, -20, -20, AUTOPLAY_TOUCH, &flat);
	unsigned held = (unsigned)(3 * AUTOMATION_IMPLICIT_MS * RATE / 1000 / PERIOD);
	unsigned glide = (unsigned)(2 * AUTOPLAY_GLIDE_MS * RATE / 1000 / PERIOD);
	automation_load(r.a, src, 0);
	r.frame = 0;
	r.rolling = 1;
	rig_run(&r, 100);
	CHECK_NEAR(rig_last_db(&r), -20, 0.01, "touch mode: the lane plays");

	/* a held touch: the hand's value for as long as it is held */
	automation_touch(r.a, P_CH_FADER, 0, 0, 1);
	rig_set(&r, P_CH_FADER, 0, -6);
	rig_run(&r, held);
	double d = rig_last_db(&r);
	printf("  touch held %.0f ms without a move: %.3f dB\n", held * PERIOD * 1000.0 / RATE, d);
	CHECK_NEAR(d, -6, 0.01, "touched and still for 1.5 s: the hand's value, not the lane's");
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, -6.0f) == -6.0f, "touched: the model is shown");
	automation_touch(r.a, P_CH_FADER, 0, 0, 0);
	rig_run(&r, glide);
	CHECK_NEAR(rig_last_db(&r), -20, 0.01, "released: the lane again after its glide");
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, -6.0f) == -20.0f, "released: the lane is shown (%.3f)",
	      (double)automation_value(r.a, P_CH_FADER, 0, 0, -6.0f));

	/* read mode: a touch is no reason to leave the lane, and the value
	 * shown stays the one heard */
	automation_set_mode(r.a, P_CH_FADER, 0, 0, AUTOPLAY_READ);
	rig_run(&r, glide);
	automation_touch(r.a, P_CH_FADER, 0, 0, 1);
	rig_set(&r, P_CH_FADER, 0, -3);
	rig_run(&r, held);
	CHECK_NEAR(rig_last_db(&r), -20, 0.01, "read mode, touched: the lane plays");
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, -3.0f) == -20.0f,
	      "read mode, touched: the lane is shown, not the model (%.3f)",
	      (double)automation_value(r.a, P_CH_FADER, 0, 0, -3.0f));
	automation_touch(r.a, P_CH_FADER, 0, 0, 0);
	rig_run(&r, 10);
	CHECK_NEAR(rig_last_db(&r), -20, 0.01, "read mode, released: the lane plays");
	lanes_free(src);
	rig_free(&r);
}

/* New lane sets every period while rolling and recording; a lane that
 * leaves the set while it records ends its pass. */
static void test_swaps(void)
{
	struct rig r;
	rig_init(&r);
	const struct lanes *L = automation_lanes(r.a);
	automation_set_mode(r.a, P_CH_FADER, 0, 0, AUTOPLAY_WRITE);
	r.frame = 0;
	r.rolling = 1;
	r.n = 0;
	unsigned long gen0 = autoplay_active_gen(r.ap);
	for (int k = 0; k < 300; k++) {
		automation_set_mode(r.a, P_CH_TRIM, 0, 0, k % 2 ? AUTOPLAY_READ : AUTOPLAY_WRITE);
		rig_set(&r, P_CH_FADER, 0, (float)(-30 + k % 20));
		rig_run(&r, 1);
	}
	unsigned long gen1 = autoplay_active_gen(r.ap);
	CHECK(gen1 >= gen0 + 100, "lane sets taken by the RT thread: %lu", gen1 - gen0);
	unsigned flat = (unsigned)lanes_flat(L, P_CH_FADER, 0, 0);
	/* the fader's lane leaves the set while writing: its pass is merged */
	automation_set_mode(r.a, P_CH_FADER, 0, 0, AUTOPLAY_OFF);
	rig_run(&r, 5);
	CHECK(L->lane[flat].n > 20, "the pass of a lane that left the set: %u points", L->lane[flat].n);
	/* and it holds what was heard */
	double worst = 0;
	for (unsigned k = 20 * PERIOD; k < 290 * PERIOD; k++) {
		double e = fabs(lanes_eval(L, flat, r.fr[k]) - rig_db(&r, k));
		if (e > worst)
			worst = e;
	}
	CHECK(worst <= lanes_tolerance(P_CH_FADER) + 0.02, "the lane strays %.3f dB from what was heard",
	      worst);
	r.rolling = 0;
	rig_run(&r, 5);
	rig_free(&r); /* sets still in the mailbox are freed here (valgrind/ASan) */
}

/* A skip forward of a few periods (JACK after an xrun) does not end a
 * write pass; a jump back (a loop) does, and the next pass writes again. */
static void test_skips(void)
{
	struct rig r;
	rig_init(&r);
	unsigned flat;
	struct lanes *src = fader_lane(480000, -30, -30, AUTOPLAY_WRITE, &flat);
	double tol = lanes_tolerance(P_CH_FADER) + 1e-3;
	automation_load(r.a, src, 0);
	const struct lanes *L = automation_lanes(r.a);
	rig_set(&r, P_CH_FADER, 0, -10);
	r.frame = 0;
	r.rolling = 1;
	rig_run(&r, 375); /* 1 s */
	uint32_t gap = r.frame;
	r.frame += 2400; /* 50 ms never played */
	rig_run(&r, 188);
	uint32_t end = r.frame;
	r.rolling = 0;
	rig_run(&r, 5); /* the pass is merged when it ends */
	double worst = 0;
	for (uint32_t fr = 24000; fr < end - 2 * PERIOD; fr += 64) {
		double e = fabs(lanes_eval(L, flat, fr) + 10);
		worst = e > worst ? e : worst;
	}
	CHECK(worst < tol, "a 50 ms skip inside a pass: the lane strays %.2f dB from it", worst);
	CHECK_NEAR(lanes_eval(L, flat, gap + 1200), -10, tol, "across the skip");
	/* a loop: from 1 s, -20 dB from 1.27 s, back to 0.5 s at 1.37 s */
	r.frame = 48000;
	r.rolling = 1;
	rig_run(&r, 100);
	uint32_t change = r.frame;
	rig_set(&r, P_CH_FADER, 0, -20);
	rig_run(&r, 40);
	uint32_t loop = r.frame;
	r.frame = 24000;
	rig_run(&r, 100);
	end = r.frame;
	r.rolling = 0;
	rig_run(&r, 5);
	CHECK_NEAR(lanes_eval(L, flat, end - 4 * PERIOD), -20, tol, "the pass after the loop");
	CHECK_NEAR(lanes_eval(L, flat, change - 1024), -10, tol,
	           "the pass before the loop, before the change");
	CHECK_NEAR(lanes_eval(L, flat, loop - 256), -20, tol, "the pass before the loop, after the change");
	CHECK_NEAR(lanes_eval(L, flat, 300000), -30, 1e-4, "beyond both passes: the old lane");
	lanes_free(src);
	rig_free(&r);
}

/* ---- display watchers ---------------------------------------------------- */

#define WMAX 4096u
static struct {
	struct automation *a;
	struct model *model;
	unsigned n, other, more;
	float v[WMAX];
} W;

/* A surface: it reads the shown value when told, as midimap and mcu do. */
static void watch_fn(void *ctx, enum param_id id, unsigned i1, unsigned i2)
{
	if (ctx) { /* the other watchers only count */
		W.more++;
		return;
	}
	if (id != P_CH_FADER || i1 != 0 || i2 != 0) {
		W.other++;
		return;
	}
	if (W.n < WMAX)
		W.v[W.n++] = automation_value(W.a, id, i1, i2, model_get(W.model, id, i1, i2));
}

/* What the watcher saw since W.n = 0, for a move from `from` to `to`:
 * values on the way (strictly between, none going back); the last one
 * must be `to`.  The number on the way, or -1 when a value was wrong. */
static int watch_check(const char *what, float from, float to)
{
	float dir = to > from ? 1.0f : -1.0f;
	for (unsigned k = 0; k + 1 < W.n; k++) {
		float v = W.v[k];
		if ((v - from) * dir <= 0 || (to - v) * dir <= 0 || (k && (v - W.v[k - 1]) * dir < 0)) {
			CHECK(0, "%s: value %u is %.4f: not on the way from %.1f to %.1f", what, k, (double)v,
			      (double)from, (double)to);
			return -1;
		}
	}
	CHECK(W.n && W.v[W.n - 1] == to, "%s: the last value told is %.6f, want exactly %.1f", what,
	      W.n ? (double)W.v[W.n - 1] : NAN, (double)to);
	return W.n ? (int)W.n - 1 : 0;
}

static void test_watchers(void)
{
	static int session, surface; /* origins */
	struct rig r;
	rig_init(&r);
	memset(&W, 0, sizeof W);
	W.a = r.a;
	W.model = r.model;
	automation_set_quiet_origin(r.a, &session);
	for (unsigned k = 0; k < AUTOMATION_WATCHERS; k++)
		CHECK(automation_add_watcher(r.a, watch_fn, k ? &W : NULL) == 0, "watcher %u", k);
	CHECK(automation_add_watcher(r.a, watch_fn, &W) < 0, "one watcher too many is refused");
	unsigned more = AUTOMATION_WATCHERS - 1;

	/* 1. a timed move -40 -> 0 dB over 1 s.  The audio thread publishes
	 * a new value every period and the tick runs after each, so every
	 * period but the last (which lands on the target) tells a value on
	 * the way: 48000 / 128 - 1 = 374; one period may go to the set-up */
	rig_set(&r, P_CH_FADER, 0, -40);
	rig_run(&r, 10);
	W.n = W.more = 0;
	automation_ramp(r.a, P_CH_FADER, 0, 0, 0.0f, 1000.0f, &surface);
	model_commit(r.model);
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, 0.0f) == -40.0f, "the move shows its start at once");
	rig_run(&r, (unsigned)(RATE / PERIOD) + 20);
	unsigned want = (unsigned)(RATE / PERIOD) - 2;
	int on = watch_check("timed move", -40.0f, 0.0f);
	CHECK(on >= 0 && (unsigned)on >= want, "timed move: %d values on the way, want >= %u", on, want);
	CHECK(W.more == more * W.n, "every watcher is told: %u, want %u", W.more, more * W.n);
	printf("  watchers, timed move: %u values told\n", W.n);

	/* 2. a scene recall with a fade (as session_scene_load does it) */
	rig_set(&r, P_CH_FADER, 0, -40);
	rig_run(&r, 10);
	W.n = 0;
	automation_recall_fade(r.a, 1);
	model_ramp(r.model, P_CH_FADER, 0, 0, 0.0f, 1000.0f, &session);
	automation_recall_fade(r.a, 0);
	model_commit(r.model);
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, 0.0f) == -40.0f,
	      "a faded recall shows where the audio is, not the target");
	rig_run(&r, (unsigned)(RATE / PERIOD) + 20);
	on = watch_check("recall fade", -40.0f, 0.0f);
	CHECK(on >= 0 && (unsigned)on >= want, "recall fade: %d values on the way, want >= %u", on, want);
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, 0.0f) == 0.0f, "the fade arrived: shown = model");
	printf("  watchers, recall with a 1 s fade: %u values told\n", W.n);

	/* 3. a recall without a fade, and a switch: shown at once, nothing told */
	W.n = W.other = W.more = 0;
	model_set(r.model, P_CH_FADER, 0, 0, -20.0f, &session);
	model_commit(r.model);
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, -20.0f) == -20.0f, "a plain recall is shown at once");
	automation_recall_fade(r.a, 1);
	model_set(r.model, P_CH_MUTE, 0, 0, 1.0f, &session);
	automation_recall_fade(r.a, 0);
	model_commit(r.model);
	CHECK(automation_value(r.a, P_CH_MUTE, 0, 0, 1.0f) == 1.0f,
	      "a switch in a faded recall shows the model");
	rig_run(&r, 20);
	CHECK(W.n == 0 && W.other == 0 && W.more == 0, "nothing told for values that do not move (%u, %u)",
	      W.n, W.other);
	rig_set(&r, P_CH_MUTE, 0, 0);

	/* 4. a hand on a moving fader: its value is shown at once, and
	 * nothing else is told (a motor fader would fight the hand) */
	rig_set(&r, P_CH_FADER, 0, -40);
	rig_run(&r, 10);
	automation_ramp(r.a, P_CH_FADER, 0, 0, 0.0f, 1000.0f, &surface);
	model_commit(r.model);
	rig_run(&r, 150);
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, 0.0f) < -5.0f, "half way");
	W.n = 0;
	model_set(r.model, P_CH_FADER, 0, 0, -10.0f, &surface);
	CHECK(automation_value(r.a, P_CH_FADER, 0, 0, -10.0f) == -10.0f,
	      "the hand's value is shown at once, before the audio thread has it (shown %.3f)",
	      (double)automation_value(r.a, P_CH_FADER, 0, 0, -10.0f));
	model_commit(r.model);
	rig_run(&r, 300);
	CHECK(W.n == 0, "nothing told after the hand took over (%u, first %.3f)", W.n,
	      W.n ? (double)W.v[0] : 0.0);

	/* 5. a lane playing (read mode, rolling): -40 dB at 0, 0 dB at 1 s */
	unsigned flat;
	struct lanes *src = fader_lane(48000, -40, 0, AUTOPLAY_READ, &flat);
	rig_set(&r, P_CH_FADER, 0, -40);
	r.frame = 0;
	automation_load(r.a, src, 0);
	rig_run(&r, 20);
	W.n = 0;
	r.rolling = 1;
	rig_run(&r, (unsigned)(RATE / PERIOD) + 20);
	r.rolling = 0;
	on = watch_check("lane", -40.0f, 0.0f);
	CHECK(on >= 0 && (unsigned)on >= want, "lane: %d values on the way, want >= %u", on, want);
	printf("  watchers, a lane -40 -> 0 dB in 1 s: %u values told\n", W.n);
	lanes_free(src);
	rig_free(&r);
}

int main(void)
{
	test_base_paths();
	test_eval();
	test_thin();
	test_merge();
	test_text();
	test_ramp();
	test_write_read();
	test_locate();
	test_touch_latch(0);
	test_touch_latch(1);
	test_touch_held();
	test_swaps();
	test_skips();
	test_watchers();
	return test_exit("test_automation");
}
