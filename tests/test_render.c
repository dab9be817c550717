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

int main(void)
{
	struct src src = {UINT64_MAX};
	struct sim_config cfg = {2, 1, 2, RATE, PERIOD, 1u << 18, 1};
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
