/*
 * test_render.c - jackmixd-render's engine (src/offline/render.c) against
 * the live console: a take is recorded with stems in the in-process
 * console (sim.c: the daemon's period, model, automation and recorder
 * ring), its stems and its state are written to files, and the render of
 * those stems with that state must give the recorded master, aligned by
 * the reported latency, within -120 dBFS (and the buses, which have no
 * delay, the captured bus outputs).  An automation lane on a fader moves
 * during the take at a transport position away from 0, so the render
 * must play lanes along the transport from --start; the same render from
 * 0 must differ (the lane matters).
 *
 * The take starts in silence (the source is silent before it), as the
 * render's own settling is: then the state of every filter and detector
 * at the take's first frame is the same in both, and the render can be
 * exact.
 *
 * Threads: one, standing in for all.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lanes.h"
#include "pbring.h"
#include "playback.h"
#include "render.h"
#include "sim.h"
#include "snapshot.h"
#include "test_util.h"

#define RATE   48000u
#define PERIOD 256u
#define SETTLE RENDER_SETTLE /* a multiple of 64: chunks fall on the same frames */
#define TAKE   96000u        /* 2 s */
#define TSTART 144000u       /* the take's transport frame: 3 s */

struct src {
	uint64_t from; /* silent before */
};

/* Tones and noise, a different mix per lane, about -14 dBFS. */
static void source(void *ctx, unsigned lane, uint64_t at, float *buf, unsigned n)
{
	const struct src *s = ctx;
	for (unsigned i = 0; i < n; i++) {
		uint64_t f = at + i;
		if (f < s->from) {
			buf[i] = 0;
			continue;
		}
		uint32_t h = (uint32_t)(f * 2654435761u) ^ (lane * 0x9e3779b9u);
		h ^= h >> 15, h *= 0x2c1b3c6d, h ^= h >> 12;
		double noise = ((double)(h & 0xffff) / 65536.0 - 0.5) * 0.1;
		double t = (double)(f - s->from) / RATE;
		/* bursts, so the gate and the compressors move */
		double env = fmod(t, 0.5) < 0.3 ? 1.0 : 0.05;
		buf[i] = (float)(env * (0.2 * sin(2 * M_PI * (220.0 * (lane + 1)) * t) + noise));
	}
}

static void write_file(const char *path, const float *x, unsigned ch, unsigned n)
{
	SF_INFO si = {0};
	si.samplerate = RATE;
	si.channels = (int)ch;
	si.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
	SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
	if (!sf || sf_writef_float(sf, x, n) != (sf_count_t)n) {
		fprintf(stderr, "%s:%d: cannot write %s\n", __FILE__, __LINE__, path);
		exit(1);
	}
	sf_close(sf);
}

static float *read_file(const char *path, unsigned *ch, unsigned *n)
{
	SF_INFO si = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &si);
	if (!sf) {
		fprintf(stderr, "%s:%d: cannot read %s\n", __FILE__, __LINE__, path);
		exit(1);
	}
	float *x = malloc((size_t)si.frames * si.channels * sizeof *x);
	*n = (unsigned)sf_readf_float(sf, x, si.frames);
	*ch = (unsigned)si.channels;
	sf_close(sf);
	return x;
}

static int render(const char *state, const char *stems, const char *out, const char *busdir, double start,
                  struct render_result *res)
{
	const char *in[1] = {stems};
	struct render_config c = {2,      1,           2,         state, in, 1,    out,
	                          busdir, REC_FMT_WAV, REC_FLOAT, start, 0,  NULL, NULL};
	char err[512];
	int r = render_run(&c, res, err, sizeof err);
	if (r < 0)
		fprintf(stderr, "render: %s\n", err);
	return r;
}

/* The reader has read every block of a take of `frames` frames (the ring
 * holds it all): from here the run is frame-exact. */
static void playback_wait(struct sim *s, unsigned frames)
{
	struct playback_status st;
	unsigned want = (frames + PBRING_BLOCK - 1) / PBRING_BLOCK;
	for (int i = 0; i < 5000; i++) {
		playback_status(s->pb, &st);
		if (st.buffered >= want)
			return;
		usleep(1000);
	}
	CHECK(0, "the playback read %u of %u blocks in 5 s", st.buffered, want);
}

static void file_write(const char *dir, const char *name, const float *x, unsigned ch, unsigned n,
                       unsigned rate)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	SF_INFO si = {0};
	si.samplerate = (int)rate;
	si.channels = (int)ch;
	si.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
	SNDFILE *sf = sf_open(p, SFM_WRITE, &si);
	if (!sf || sf_writef_float(sf, x, n) != (sf_count_t)n) {
		fprintf(stderr, "%s:%d: cannot write %s\n", __FILE__, __LINE__, p);
		exit(1);
	}
	sf_close(sf);
}

/* /playback/load name must be refused with an /error naming why, and the
 * loaded take stays. */
static void refused(struct sim *s, const char *name, const char *why)
{
	unsigned from = s->nmsg;
	sim_osc_s(s, "/playback/load", name);
	const struct sim_msg *e = sim_last(s, "/error", from);
	CHECK(e && strstr(e->str[1], why), "/playback/load %s: %s, want an /error with '%s'", name,
	      e ? e->str[1] : "no /error", why);
	const struct sim_msg *st = sim_query(s, "/playback/status");
	CHECK(st && !strcmp(st->str[0], "take"), "after /playback/load %s the take is '%s'", name,
	      st ? st->str[0] : "?");
}

/* Virtual soundcheck: the recorded stems played back through another
 * console with other settings (every channel on playback, a live input
 * that must not leak in; an input delay, a key from another channel, a
 * trim and a polarity) give what jackmixd-render makes of the same
 * stems with those settings: to the bit (bound -120 dBFS).  Then layout
 * mismatches and hostile names are refused and change nothing. */
static void test_playback(struct sim *rec, const float *stems, unsigned lanes)
{
	/* the live inputs play from the take's start on: they must not leak
	 * in.  (Before, they would reach the compressors during the first
	 * 10 ms crossfade to playback and leave them releasing, which the
	 * render's settling does not see.) */
	struct src live = {UINT64_MAX};
	struct sim_config cfg = {2, 1, 2, RATE, PERIOD, 0, 0, 0};
	struct sim *s = sim_new(&cfg);
	if (!s || sim_playback(s, 128) < 0)
		exit(1);
	(void)rec;
	sim_set_source(s, source, &live);
	file_write(s->dir, "take.stems.wav", stems, lanes, TAKE, RATE);
	sim_osc_f(s, "/ch/1/fader/db", -4);
	sim_osc_i(s, "/ch/1/eq/on", 1);
	sim_osc_f(s, "/ch/1/eq/3/db", -5);
	sim_osc_f(s, "/ch/2/pan", 0.8f);
	sim_osc_i(s, "/ch/2/dyn/on", 1);
	sim_osc_f(s, "/ch/2/dyn/thr/db", -30);
	sim_osc_f(s, "/ch/3/send/1/level/db", -2);
	sim_osc_i(s, "/master/comp/on", 1);
	sim_osc_f(s, "/master/comp/thr/db", -18);
	/* the playback goes through the input delay and is what a key from
	 * its channel reads, as the render's stems do; trim and polarity
	 * stay out of it (the render holds them neutral on stems) */
	sim_osc_f(s, "/ch/1/delay/ms", 3.5f);
	sim_osc_f(s, "/ch/2/dyn/key", 1);
	sim_osc_f(s, "/ch/3/trim/db", 6);
	sim_osc_i(s, "/ch/3/polarity", 1);
	sim_run(s, RATE); /* settled: the source alone must take them out */
	for (unsigned c = 1; c <= 3; c++) {
		char p[32];
		snprintf(p, sizeof p, "/ch/%u/source", c);
		sim_osc_s(s, p, "playback");
	}
	unsigned from = s->nmsg;
	sim_osc_s(s, "/playback/load", "take");
	const struct sim_msg *st = sim_last(s, "/playback/load", from);
	CHECK(st && !strcmp(st->str[0], "take") && fabs(st->num[2] - (double)TAKE / RATE) < 1e-6,
	      "/playback/load take: %s %g s", st ? st->str[0] : "no reply", st ? st->num[2] : 0.0);
	playback_wait(s, TAKE);
	sim_run(s, SETTLE);
	sim_osc_0(s, "/playback/start");
	live.from = sim_frames(s);
	const unsigned lat = mixer_latency(s->mixer), N = TAKE + 4096;
	sim_capture(s, N);
	sim_run(s, N);
	st = sim_query(s, "/playback/status");
	CHECK(st && st->num[0] == 0 && st->num[3] == 0, "after the take: playing %g, %g underrun frames",
	      st ? st->num[0] : -1, st ? st->num[3] : -1);

	/* the render of the same stems with this console's settings */
	char state[128], mix[128];
	snprintf(state, sizeof state, "%s/b.state", s->dir);
	snprintf(mix, sizeof mix, "%s/b.wav", s->dir);
	size_t len;
	char *txt = snapshot_format_lanes(s->model, automation_lanes(s->autom), NULL, &len);
	FILE *f = fopen(state, "w");
	if (!txt || !f || fwrite(txt, 1, len, f) != len || fclose(f))
		exit(1);
	free(txt);
	char stemfile[128];
	snprintf(stemfile, sizeof stemfile, "%s/take.stems.wav", s->dir);
	struct render_result res;
	CHECK(render(state, stemfile, mix, NULL, 0, &res) == 0, "render failed");
	unsigned ch, n;
	float *mx = read_file(mix, &ch, &n);
	double worst = 0, peak = 0, tail = 0;
	for (unsigned k = 0; k < TAKE && n == TAKE; k++)
		for (unsigned c = 0; c < 2; c++) {
			worst = fmax(worst, fabs((double)mx[2 * k + c] - s->cap[c][k + lat]));
			peak = fmax(peak, fabs(s->cap[c][k + lat]));
		}
	/* after the take: silence (the live inputs stay out) */
	for (unsigned k = TAKE + lat + 2048; k < N; k++)
		tail = fmax(tail, fabs(s->cap[0][k]));
	CHECK(peak > 0.1 && db20(worst) <= -120, "playback vs render: %.1f dBFS apart (peak %.3g)",
	      db20(worst), peak);
	CHECK(db20(tail) < -200, "after the take's end the master holds %.3g (the live input leaks in?)",
	      tail);
	printf("  playback: %u frames through other settings within %.1f dBFS of jackmixd-render's mix\n",
	       TAKE, db20(worst));
	free(mx);

	/* played to the end, a start plays it again from the start */
	sim_osc_0(s, "/playback/start");
	playback_wait(s, TAKE);
	sim_run(s, 4800);
	st = sim_query(s, "/playback/status");
	CHECK(st && st->num[0] == 1 && st->num[1] > 0.09 && st->num[1] < 0.11 && st->num[3] == 0,
	      "started again after the end: playing %g at %g s, %g underrun frames", st ? st->num[0] : -1,
	      st ? st->num[1] : -1, st ? st->num[3] : -1);
	sim_osc_0(s, "/playback/stop");

	/* layouts that do not fit, names that would leave the directory */
	float *three = calloc((size_t)4800 * 3, sizeof *three);
	file_write(s->dir, "three.stems.wav", three, 3, 4800, RATE);
	file_write(s->dir, "cd.stems.wav", stems, lanes, 4800, 44100);
	file_write(s->dir, "split.ch01.wav", three, 1, 4800, RATE);
	file_write(s->dir, "split.ch02.wav", three, 1, 4800, RATE);
	file_write(s->dir, "split.ch03.wav", three, 1, 4800, RATE); /* channel 3 is stereo */
	file_write(s->dir, "few.ch01.wav", three, 1, 4800, RATE);
	free(three);
	char lnk[160];
	snprintf(lnk, sizeof lnk, "%s/evil.stems.wav", s->dir);
	if (symlink(stemfile, lnk) < 0)
		exit(1);
	refused(s, "three", "3 channels, the console 4 input lanes");
	refused(s, "cd", "44100 Hz, the console at 48000 Hz");
	refused(s, "split", "channel 3 of the console stereo");
	refused(s, "few", "no stem of channel 2");
	refused(s, "nothere", "has no stems");
	refused(s, "../take", "take names are");
	refused(s, "/etc/passwd", "take names are");
	refused(s, ".hidden", "take names are");
	refused(s, "a/b", "take names are");
	refused(s, "evil", "evil.stems.wav: ");
	sim_free(s);
}

/* The ring itself: an empty ring plays silence and counts it; a locate
 * (a new epoch) drops what was read for the old position. */
static void test_pbring(void)
{
	struct pbring q;
	struct pbring_meta *m;
	if (pbring_new(&q, 2, 4) < 0)
		exit(1);
	float *b = pbring_block(&q, &m);
	for (unsigned i = 0; i < PBRING_BLOCK; i++)
		b[2 * i] = 1.0f + (float)i, b[2 * i + 1] = -1.0f;
	*m = (struct pbring_meta){0, PBRING_BLOCK, 0, 0};
	pbring_commit(&q);
	CHECK(pbring_read(&q, 256) == NULL, "paused: a playback signal");
	pbring_play(&q, 1);
	const float *const *o = pbring_read(&q, 2 * PBRING_BLOCK);
	CHECK(o && o[0][5] == 6.0f && o[1][PBRING_BLOCK - 1] == -1.0f && o[0][PBRING_BLOCK] == 0.0f &&
	          atomic_load(&q.underruns) == PBRING_BLOCK,
	      "one block then an underrun: %g %g, %llu frames counted (want %u)", o ? o[0][5] : 0.0,
	      o ? o[0][PBRING_BLOCK] : 0.0, (unsigned long long)atomic_load(&q.underruns), PBRING_BLOCK);
	b = pbring_block(&q, &m);
	b[0] = 7.0f;
	*m = (struct pbring_meta){0, PBRING_BLOCK, 0, 0};
	pbring_commit(&q);
	uint32_t e = pbring_flush(&q, 0);
	b = pbring_block(&q, &m);
	b[0] = 9.0f;
	*m = (struct pbring_meta){e, PBRING_BLOCK, 1, 0};
	pbring_commit(&q);
	o = pbring_read(&q, 64);
	CHECK(o && o[0][0] == 9.0f, "after a flush: %g, want 9 (the stale block dropped)", o ? o[0][0] : 0.0);
	printf("  pbring: %u underrun frames counted, a stale block dropped\n", PBRING_BLOCK);
	pbring_free(&q);
}

/* ---- the source switch is a crossfade, not a cut --------------------- */

static void sine_source(void *ctx, unsigned lane, uint64_t at, float *buf, unsigned n)
{
	(void)ctx;
	(void)lane;
	for (unsigned i = 0; i < n; i++)
		buf[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * (double)(at + i) / RATE));
}

static double window_peak(const float *x, unsigned from, unsigned n)
{
	double p = 0;
	for (unsigned i = from; i < from + n; i++)
		p = fmax(p, fabs(x[i]));
	return p;
}

/* A 1 kHz tone on channel 1 (live), switched to playback with nothing
 * playing (silence): the tone fades out along the smoothing's one-pole,
 * chunk by chunk: after k chunks of 64 frames the gain is
 * (1 - c)^k = exp(-64 k / (10 ms x 48 kHz)), e^-2 after 15 chunks (20
 * ms), then snaps to silence.  No step is larger than the tone's own
 * largest step (2 pi 1000 / 48000 of its peak): a cut would make one up
 * to the whole peak. */
static void test_switch(void)
{
	struct sim_config cfg = {1, 0, 0, RATE, PERIOD, 0, 0, 0};
	struct sim *s = sim_new(&cfg);
	if (!s || sim_playback(s, 4) < 0)
		exit(1);
	sim_set_source(s, sine_source, NULL);
	sim_run(s, SETTLE);
	const unsigned lat = mixer_latency(s->mixer), pre = 2048, N = 48000;
	sim_capture(s, N);
	sim_run(s, pre);
	sim_osc_s(s, "/ch/1/source", "playback");
	sim_run(s, N - pre);
	const float *x = s->cap[0];
	const unsigned at = pre + lat; /* the switch reaches the master here */
	double a = window_peak(x, at - 960, 960), step = 0, tone_step = a * 2 * M_PI * 1000.0 / RATE;
	for (unsigned i = 1; i < N; i++)
		step = fmax(step, fabs((double)x[i] - x[i - 1]));
	double g20 = window_peak(x, at + 960 - 24, 48) / a, want = exp(-2.0);
	int silent = 1;
	for (unsigned i = at + 9600; i < N; i++)
		silent &= x[i] == 0.0f;
	CHECK(a > 0.1 && step <= tone_step * 1.001, "largest step %.4g, the tone's own %.4g (a click?)", step,
	      tone_step);
	/* within a chunk the gain moves linearly between its chunk values:
	 * +-one chunk's step around e^-2 (a factor exp(+-64/480)) */
	CHECK(g20 > want * exp(-64.0 / 480) && g20 < want * exp(64.0 / 480),
	      "20 ms after the switch the tone is at %.4f of its level, want %.4f (e^-2)", g20, want);
	CHECK(silent, "200 ms after the switch the master is not silent");
	printf("  source switch: largest step %.4g (the tone's %.4g), %.3f at 20 ms (e^-2 = %.3f), then "
	       "silence\n",
	       step, tone_step, g20, want);
	sim_free(s);
}

int main(void)
{
	struct src src = {UINT64_MAX};
	struct sim_config cfg = {2, 1, 2, RATE, PERIOD, 1u << 18, 1, 0};
	struct sim *s = sim_new(&cfg);
	if (!s)
		return 1;
	sim_set_source(s, source, &src);
	const unsigned lat = mixer_latency(s->mixer), lanes = s->lanes;

	/* every kind of stage, and what the stems have already (trim,
	 * polarity) */
	sim_osc_f(s, "/ch/1/trim/db", -6);
	sim_osc_i(s, "/ch/1/polarity", 1);
	sim_osc_i(s, "/ch/1/gate/on", 1);
	sim_osc_f(s, "/ch/1/gate/thr/db", -30);
	sim_osc_f(s, "/ch/2/trim/db", 4.5);
	sim_osc_i(s, "/ch/2/eq/on", 1);
	sim_osc_f(s, "/ch/2/eq/2/hz", 1500);
	sim_osc_f(s, "/ch/2/eq/2/db", 6);
	sim_osc_i(s, "/ch/2/dyn/on", 1);
	sim_osc_f(s, "/ch/2/dyn/thr/db", -24);
	sim_osc_i(s, "/ch/3/hpf/on", 1);
	sim_osc_f(s, "/ch/3/pan", 0.3f);
	sim_osc_f(s, "/ch/1/send/1/level/db", -3);
	sim_osc_f(s, "/ch/3/send/2/level/db", -6);
	sim_osc_i(s, "/ch/3/send/2/pre", 1);
	sim_osc_i(s, "/master/eq/on", 1);
	sim_osc_f(s, "/master/eq/1/db", 3);
	sim_osc_i(s, "/master/comp/on", 1);
	sim_osc_f(s, "/master/comp/thr/db", -20);
	sim_osc_f(s, "/master/width", 1.3f);
	/* a lane: channel 3's fader -20 dB -> +3 dB across the take */
	struct lanes *L = lanes_new(&(struct param_shape){3, 2});
	unsigned flat = (unsigned)lanes_flat(L, P_CH_FADER, 2, 0);
	uint32_t lf[2] = {TSTART + 12000, TSTART + 84000};
	float lv[2] = {-20, 3};
	lanes_set_points(L, flat, lf, lv, 2);
	L->lane[flat].mode = AUTOPLAY_READ;
	L->rate = RATE;
	automation_load(s->autom, L, 0);
	lanes_free(L);

	sim_locate(s, TSTART);
	sim_run(s, SETTLE);
	recring_release(&s->ring, recring_head(&s->ring));
	uint32_t pos0 = recring_head(&s->ring);
	src.from = sim_frames(s);
	sim_roll(s, 1);
	sim_capture(s, TAKE);
	sim_run(s, TAKE);
	CHECK(recring_head(&s->ring) - pos0 >= TAKE && recring_lost(&s->ring) == 0,
	      "ring: %u frames, %lu lost", recring_head(&s->ring) - pos0, recring_lost(&s->ring));

	char dir[] = "/tmp/jmx-render-XXXXXX", stems[64], state[64], mix[64], mix0[64], busdir[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(stems, sizeof stems, "%s/take.stems.wav", dir);
	snprintf(state, sizeof state, "%s/show.state", dir);
	snprintf(mix, sizeof mix, "%s/mix.wav", dir);
	snprintf(mix0, sizeof mix0, "%s/mix0.wav", dir);
	snprintf(busdir, sizeof busdir, "%s/buses", dir);
	float *st = malloc((size_t)TAKE * lanes * sizeof *st);
	float *ml = malloc((size_t)TAKE * 2 * sizeof *ml);
	for (unsigned i = 0; i < TAKE; i++) {
		memcpy(st + (size_t)i * lanes, recring_stems_at(&s->ring, pos0 + i), lanes * sizeof *st);
		ml[2 * i] = recring_at(&s->ring, pos0 + i)[0];
		ml[2 * i + 1] = recring_at(&s->ring, pos0 + i)[1];
	}
	write_file(stems, st, lanes, TAKE);
	size_t len;
	char *txt = snapshot_format_lanes(s->model, automation_lanes(s->autom), NULL, &len);
	FILE *f = fopen(state, "w");
	if (!txt || !f || fwrite(txt, 1, len, f) != len || fclose(f))
		return 1;
	free(txt);

	struct render_result res;
	CHECK(render(state, stems, mix, busdir, (double)TSTART / RATE, &res) == 0, "render failed");
	CHECK(res.latency == lat && res.frames == TAKE, "latency %u (live %u), %llu frames", res.latency, lat,
	      (unsigned long long)res.frames);
	unsigned ch, n;
	float *mx = read_file(mix, &ch, &n);
	CHECK(ch == 2 && n == TAKE, "mix: %u channels, %u frames", ch, n);
	/* recorded master frame k + lat carries stem frame k; the render is
	 * compensated: its frame k carries stem frame k */
	double worst = 0, peak = 0;
	for (unsigned k = 0; k + lat < TAKE && n == TAKE; k++)
		for (unsigned c = 0; c < 2; c++) {
			worst = fmax(worst, fabs((double)mx[2 * k + c] - ml[2 * (k + lat) + c]));
			peak = fmax(peak, fabs(ml[2 * (k + lat) + c]));
		}
	CHECK(peak > 0.1, "the master is too quiet to tell (peak %.3g)", peak);
	CHECK(db20(worst) <= -120, "render vs recorded master: %.1f dBFS apart (max -120)", db20(worst));
	printf("  master: %u frames, rendered within %.1f dBFS of the recorded one (peak %.1f dBFS), latency "
	       "%u\n",
	       TAKE - lat, db20(worst), db20(peak), lat);
	/* the buses: no delay */
	for (unsigned b = 0; b < 2; b++) {
		char p[128];
		snprintf(p, sizeof p, "%s/bus%02u.wav", busdir, b + 1);
		float *bx = read_file(p, &ch, &n);
		double w = 0, pk = 0;
		for (unsigned k = 0; k < TAKE && n == TAKE; k++)
			for (unsigned c = 0; c < 2; c++) {
				w = fmax(w, fabs((double)bx[2 * k + c] - s->cap[4 + 2 * b + c][k]));
				pk = fmax(pk, fabs(s->cap[4 + 2 * b + c][k]));
			}
		CHECK(n == TAKE && pk > 0.01 && db20(w) <= -120,
		      "bus %u: %u frames, %.1f dBFS apart, peak %.3g", b + 1, n, db20(w), pk);
		printf("  bus %u: within %.1f dBFS of the live one\n", b + 1, db20(w));
		free(bx);
	}
	/* the lane plays along the transport: from 0 it is elsewhere */
	CHECK(render(state, stems, mix0, NULL, 0, &res) == 0, "render from 0 failed");
	float *m0 = read_file(mix0, &ch, &n);
	double d0 = 0;
	for (unsigned k = 0; k + lat < TAKE && n == TAKE; k++)
		d0 = fmax(d0, fabs((double)m0[2 * k] - ml[2 * (k + lat)]));
	CHECK(db20(d0) > -40, "rendered from transport 0, the lane should differ: %.1f dBFS", db20(d0));
	printf("  from transport 0 instead of %u: %.1f dBFS apart (the lane)\n", TSTART, db20(d0));

	test_playback(s, st, lanes);
	test_pbring();
	test_switch();

	free(st);
	free(ml);
	free(mx);
	free(m0);
	sim_free(s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return test_exit("test_render");
}
