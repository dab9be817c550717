/*
 * render.c - jackmixd-render's engine: stems through the daemon's DSP,
 * offline; see render.h.
 *
 * Threads: render_run on one thread, which takes the daemon's roles in
 * turn (ROLE_SET): control (model, snapshot, automation), RT (the period,
 * rtcycle_run, exactly as the JACK callback and tests/sim.c call it) and
 * disk (recfile, loudness).
 *
 * Invariants:
 * - The same result as the live console: the settings reach the mixer
 *   through the model's queue, automation through autoplay's mailbox, and
 *   before frame 0 RENDER_SETTLE frames of silence (a multiple of every
 *   power-of-two period, so chunks and dynamics blocks fall on the same
 *   frames of the take as in the daemon) let every smoothed value snap
 *   to its target.
 * - The master is written latency-compensated: frame k of mix.wav carries
 *   frame k of the inputs (the daemon's master carries it mixer_latency
 *   frames later); the buses have no delay to compensate.
 * - Every output is written to a hidden temporary in its directory and
 *   renamed over its name only when the whole render succeeded.
 */
#define _GNU_SOURCE
#include "render.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "automation.h"
#include "dsp.h"
#include "lanes.h"
#include "loudness.h"
#include "mixer.h"
#include "model.h"
#include "recfile.h"
#include "role.h"
#include "rtcycle.h"
#include "snapshot.h"

struct rin {
	const char *path;
	SNDFILE *sf;
	unsigned chans, lane0;
	int stem; /* a take's stems: enters after trim and polarity */
	sf_count_t frames, done;
	float *buf; /* a period, interleaved */
};

struct rout {
	struct recfile f;
	int dirfd;
	char tmp[sizeof(((struct recfile *)0)->name)], dir[4096];
	int open;
};

struct render {
	const struct render_config *c;
	unsigned channels, lanes, outputs, rate, period;
	struct rin in[RENDER_MAX_INPUTS];
	unsigned nin;
	struct mixer *mixer;
	struct rtq queue;
	int have_queue;
	struct model *model;
	struct snapshot *snap;
	struct automation *autom;
	struct loudness *loud;
	struct recfile_scratch scratch;
	struct rout *outs; /* master, then the buses */
	unsigned nouts;
	float **lin, **lout, *il; /* lanes, outputs, an interleaved pair */
};

static unsigned ch_width(const struct render *r, unsigned ch)
{
	return ch < r->c->mono ? 1u : 2u;
}

static unsigned ch_lane(const struct render *r, unsigned ch)
{
	return ch < r->c->mono ? ch : r->c->mono + 2u * (ch - r->c->mono);
}

static struct mixer *render_mixer(void *ctx)
{
	return ((struct render *)ctx)->mixer;
}

/* libsndfile believes a WAV whose data is shorter than its header says,
 * and reads what there is; its log says so.  A cut file is refused. */
static int truncated(SNDFILE *sf)
{
	char log[4096] = "";
	sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
	return strstr(log, "should be") || strstr(log, "truncated") || strstr(log, "Truncated");
}

/* "N=FILE", "NAME.stems.EXT" or "NAME.chNN.EXT".  0 or -1. */
static int input_parse(struct render *r, const char *spec, unsigned *used, char *err, size_t errlen)
{
	struct rin *in = &r->in[r->nin];
	const char *eq = strchr(spec, '=');
	long ch = -1;
	int multi = 0;
	memset(in, 0, sizeof *in);
	if (eq && eq > spec && strspn(spec, "0123456789") == (size_t)(eq - spec)) {
		ch = strtol(spec, NULL, 10) - 1;
		in->path = eq + 1;
		if (ch < 0 || ch >= (long)r->channels) {
			snprintf(err, errlen, "%s: no channel %ld in a console of %u channels", spec, ch + 1,
			         r->channels);
			return -1;
		}
	} else {
		in->path = spec;
		const char *base = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
		const char *dot = strrchr(base, '.');
		const char *p = dot ? dot : base + strlen(base);
		/* the part before the extension: ".stems" or ".chNN" */
		const char *d2 = NULL;
		for (const char *q = base; q < p; q++)
			if (*q == '.')
				d2 = q;
		if (d2 && (size_t)(p - d2) == 6 && !strncmp(d2, ".stems", 6)) {
			multi = 1;
		} else if (d2 && p - d2 >= 4 && !strncmp(d2, ".ch", 3) &&
		           strspn(d2 + 3, "0123456789") == (size_t)(p - d2 - 3)) {
			ch = strtol(d2 + 3, NULL, 10) - 1;
			if (ch < 0 || ch >= (long)r->channels) {
				snprintf(err, errlen,
				         "%s: a stem of channel %ld, but the console has %u channels", spec,
				         ch + 1, r->channels);
				return -1;
			}
		} else {
			snprintf(err, errlen,
			         "%s: not a take's stems (NAME.stems.EXT or NAME.chNN.EXT); "
			         "name its channel: N=%s",
			         spec, spec);
			return -1;
		}
		in->stem = 1;
	}
	SF_INFO si;
	memset(&si, 0, sizeof si);
	in->sf = sf_open(in->path, SFM_READ, &si);
	if (!in->sf) {
		snprintf(err, errlen, "%s: %s", in->path,
		         access(in->path, F_OK) ? strerror(errno) : sf_strerror(NULL));
		return -1;
	}
	r->nin++; /* closed by render_free from now on */
	if (truncated(in->sf)) {
		snprintf(err, errlen, "%s: truncated (the file is shorter than its header says)", in->path);
		return -1;
	}
	in->chans = (unsigned)si.channels;
	in->frames = si.frames;
	unsigned want = multi ? r->lanes : ch_width(r, (unsigned)ch);
	if (in->chans != want) {
		if (multi)
			snprintf(err, errlen,
			         "%s: %u channels, but the console has %u input lanes (%u mono, %u stereo "
			         "channels)",
			         in->path, in->chans, r->lanes, r->c->mono, r->c->stereo);
		else
			snprintf(err, errlen, "%s: %u channel%s, but channel %ld is %s", in->path, in->chans,
			         in->chans == 1 ? "" : "s", ch + 1, want == 1 ? "mono" : "stereo");
		return -1;
	}
	if (!r->rate) {
		r->rate = (unsigned)si.samplerate;
	} else if ((unsigned)si.samplerate != r->rate) {
		snprintf(err, errlen, "%s: %d Hz, but %s is %u Hz: jackmixd-render does not resample",
		         in->path, si.samplerate, r->in[0].path, r->rate);
		return -1;
	}
	in->lane0 = multi ? 0 : ch_lane(r, (unsigned)ch);
	for (unsigned l = in->lane0; l < in->lane0 + in->chans; l++) {
		if (used[l]) {
			snprintf(err, errlen, "%s: input lane %u is already fed by %s", in->path, l + 1,
			         r->in[used[l] - 1].path);
			return -1;
		}
		used[l] = r->nin;
	}
	return 0;
}

/* Every channel on its live input (the file), and a stem channel's trim
 * and polarity held neutral (the stem has them already), lanes of them
 * included. */
static void neutralise(struct render *r, unsigned ch, int stem)
{
	/* the render's files are the channels' inputs, whatever source the
	 * console had them on (playback: the same stems, live) */
	static const enum param_id ids[] = {P_CH_SOURCE, P_CH_TRIM, P_CH_POLARITY};
	for (unsigned k = 0; k < (stem ? 3u : 1u); k++) {
		model_set(r->model, ids[k], ch, 0, 0.0f, NULL);
		long flat = lanes_flat(r->snap->lanes, ids[k], ch, 0);
		if (flat >= 0) {
			lanes_clear_points(r->snap->lanes, (unsigned)flat);
			r->snap->lanes->lane[flat].mode = AUTOPLAY_OFF;
		}
	}
}

static int out_open(struct render *r, struct rout *o, const char *path, unsigned col, char *err,
                    size_t errlen)
{
	char *d = strdup(path), *b = strdup(path);
	int ret = -1;
	if (!d || !b) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	snprintf(o->dir, sizeof o->dir, "%s", dirname(d));
	const char *base = basename(b);
	if (strlen(base) >= sizeof o->f.name) {
		snprintf(err, errlen, "%s: the file name is too long (at most %zu bytes)", path,
		         sizeof o->f.name - 1);
		goto done;
	}
	o->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		snprintf(err, errlen, "%s: %s", o->dir, strerror(errno));
		goto done;
	}
	snprintf(o->tmp, sizeof o->tmp, ".%.80s.render-%ld", base, (long)getpid());
	memset(&o->f, 0, sizeof o->f);
	o->f.fd = -1;
	o->f.col = col;
	o->f.nch = 2;
	snprintf(o->f.name, sizeof o->f.name, "%s", o->tmp);
	ROLE_SET(ROLE_DISK);
	unlinkat(o->dirfd, o->tmp, 0); /* ours, from a run that died */
	if (recfile_create(&o->f, o->dirfd, o->dir, err, errlen) != 1) {
		if (o->f.fd < 0 && !err[0])
			snprintf(err, errlen, "cannot create %s/%s", o->dir, o->tmp);
		goto done;
	}
	o->open = 1;
	/* the metadata name the file by its final name */
	snprintf(o->f.name, sizeof o->f.name, "%.*s", (int)sizeof o->f.name - 1, base);
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	uint64_t tref = (uint64_t)llround(r->c->start_s * r->rate);
	struct recfile_take tk = {o->dir, r->rate, r->c->format, r->c->sample, "jackmixd-render",
	                          &tm,    tref,    base};
	if (recfile_open(&o->f, &tk, col == 0, err, errlen) < 0)
		goto done;
	ret = 0;
done:
	free(d);
	free(b);
	return ret;
}

/* Close, and rename into place when keep.  0 or -1. */
static int out_close(struct rout *o, int keep, char *err, size_t errlen)
{
	int ret = 0;
	ROLE_SET(ROLE_DISK);
	if (o->open) {
		char final[sizeof o->f.name];
		snprintf(final, sizeof final, "%s", o->f.name);
		if (o->f.sf) {
			if (recfile_close(&o->f, o->dir, err, errlen) < 0)
				keep = 0, ret = -1;
		} else if (o->f.fd >= 0) {
			close(o->f.fd);
		}
		if (keep && renameat(o->dirfd, o->tmp, o->dirfd, final) < 0) {
			snprintf(err, errlen, "%s/%s: %s", o->dir, final, strerror(errno));
			keep = 0, ret = -1;
		}
		if (!keep)
			unlinkat(o->dirfd, o->tmp, 0);
		else
			fsync(o->dirfd);
		o->open = 0;
	}
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
	return ret;
}

static void render_free(struct render *r, int keep)
{
	char e[256];
	for (unsigned i = 0; i < r->nouts; i++)
		out_close(&r->outs[i], keep, e, sizeof e);
	free(r->outs);
	for (unsigned i = 0; i < r->nin; i++) {
		sf_close(r->in[i].sf);
		free(r->in[i].buf);
	}
	ROLE_SET(ROLE_CONTROL);
	automation_free(r->autom);
	model_free(r->model);
	snapshot_free(r->snap);
	mixer_free(r->mixer);
	if (r->have_queue)
		rtq_destroy(&r->queue);
	loudness_free(r->loud);
	recfile_scratch_free(&r->scratch);
	for (unsigned i = 0; r->lin && i < r->lanes; i++)
		free(r->lin[i]);
	for (unsigned i = 0; r->lout && i < r->outputs; i++)
		free(r->lout[i]);
	free(r->lin);
	free(r->lout);
	free(r->il);
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The inputs' next n frames into the lanes (silence past an input's end).
 * 0 or -1. */
static int read_period(struct render *r, unsigned n, char *err, size_t errlen)
{
	for (unsigned l = 0; l < r->lanes; l++)
		memset(r->lin[l], 0, n * sizeof(float));
	for (unsigned i = 0; i < r->nin; i++) {
		struct rin *in = &r->in[i];
		sf_count_t want = in->frames - in->done;
		if (want > (sf_count_t)n)
			want = n;
		if (want <= 0)
			continue;
		sf_count_t got = sf_readf_float(in->sf, in->buf, want);
		if (got != want) {
			snprintf(err, errlen, "%s: truncated or unreadable at frame %lld of %lld", in->path,
			         (long long)(in->done + (got > 0 ? got : 0)), (long long)in->frames);
			return -1;
		}
		in->done += got;
		/* frame by frame: the interleaved block is read once, in order */
		float *const *d = r->lin + in->lane0;
		for (sf_count_t k = 0; k < got; k++) {
			const float *f = in->buf + k * in->chans;
			for (unsigned c = 0; c < in->chans; c++)
				d[c][k] = f[c];
		}
	}
	return 0;
}

/* n frames of output o (its L/R from off) to its file, and the master's
 * to the loudness meter.  0 or -1. */
static int write_pair(struct render *r, unsigned o, unsigned off, unsigned n, char *err, size_t errlen)
{
	const float *L = r->lout[o == 0 ? 0 : 4 + 2 * (o - 1)], *R = r->lout[o == 0 ? 1 : 5 + 2 * (o - 1)];
	for (unsigned k = 0; k < n; k++) {
		r->il[2 * k] = L[off + k];
		r->il[2 * k + 1] = R[off + k];
	}
	ROLE_SET(ROLE_DISK);
	if (o == 0)
		loudness_add(r->loud, r->il, n);
	struct rout *out = &r->outs[o];
	out->f.col = 0; /* the pair just gathered */
	return recfile_write(&out->f, &r->scratch, r->c->sample, r->il, 2, n, err, errlen);
}

int render_run(const struct render_config *c, struct render_result *res, char *err, size_t errlen)
{
	struct render *r = calloc(1, sizeof *r);
	unsigned used[2 * JMX_MAX_CHANNELS] = {0};
	int ok = 0;
	double t0 = cpu_now();
	err[0] = 0;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ROLE_SET(ROLE_CONTROL);
	r->c = c;
	r->channels = c->mono + c->stereo;
	r->lanes = c->mono + 2 * c->stereo;
	r->period = c->period ? c->period : RENDER_PERIOD;
	if (!r->channels || r->channels > JMX_MAX_CHANNELS || c->buses > JMX_MAX_BUSES ||
	    r->period > JMX_MAX_FRAMES) {
		snprintf(err, errlen, "a console of %u channels and %u buses, %u-frame periods: out of range",
		         r->channels, c->buses, r->period);
		goto out;
	}
	if (!c->ninputs || c->ninputs > RENDER_MAX_INPUTS) {
		snprintf(err, errlen, "%s", c->ninputs ? "too many inputs" : "no input (-i)");
		goto out;
	}
	for (unsigned i = 0; i < c->ninputs; i++)
		if (input_parse(r, c->inputs[i], used, err, errlen) < 0)
			goto out;
	for (unsigned i = 0; i < r->nin; i++)
		if (!(r->in[i].buf = malloc((size_t)r->period * r->in[i].chans * sizeof(float)))) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}

	/* the console, wired as main.c wires it (without JACK) */
	struct param_shape shape = {r->channels, c->buses};
	struct mixer_config mc = {c->mono, c->stereo, c->buses, (double)r->rate, 0};
	if (!(r->mixer = mixer_new(&mc)) || rtq_init(&r->queue, 16384, sizeof(struct rt_msg)) < 0) {
		snprintf(err, errlen, "out of memory for the console");
		goto out;
	}
	r->have_queue = 1;
	r->outputs = mixer_outputs(r->mixer);
	r->model = model_new(&shape, &r->queue);
	r->snap = snapshot_new(&shape);
	if (!r->model || !r->snap) {
		snprintf(err, errlen, "out of memory for the console");
		goto out;
	}
	if (c->state) {
		int rc = snapshot_read(r->snap, AT_FDCWD, c->state, c->state, 0, err, errlen);
		if (rc < 0) {
			if (rc == -ENOENT || !err[0])
				snprintf(err, errlen, "%s: %s", c->state, strerror(ENOENT));
			goto out;
		}
		snapshot_apply(r->snap, r->model, 0.0f, 0, NULL);
	}
	for (unsigned ch = 0; ch < r->channels; ch++) {
		int stem = 0;
		for (unsigned i = 0; i < r->nin; i++) {
			unsigned l = ch_lane(r, ch);
			stem |= r->in[i].stem && l >= r->in[i].lane0 && l < r->in[i].lane0 + r->in[i].chans;
		}
		neutralise(r, ch, stem);
	}
	struct automation_config ac = {r->model, &r->queue, NULL, (double)r->rate, render_mixer, r};
	if (!(r->autom = automation_new(&ac))) {
		snprintf(err, errlen, "out of memory for automation");
		goto out;
	}
	automation_load(r->autom, r->snap->lanes, 0);

	/* the outputs */
	r->nouts = 1 + (c->bus_dir ? c->buses : 0);
	r->outs = calloc(r->nouts, sizeof *r->outs);
	r->lin = calloc(r->lanes, sizeof *r->lin);
	r->lout = calloc(r->outputs, sizeof *r->lout);
	r->il = malloc((size_t)r->period * 2 * sizeof(float));
	if (!r->outs || !r->lin || !r->lout || !r->il || recfile_scratch_init(&r->scratch) < 0 ||
	    !(r->loud = loudness_new(r->rate, 2))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < r->nouts; i++)
		r->outs[i].dirfd = -1;
	for (unsigned l = 0; l < r->lanes; l++)
		if (!(r->lin[l] = calloc(r->period, sizeof(float))))
			goto oom;
	for (unsigned o = 0; o < r->outputs; o++)
		if (!(r->lout[o] = calloc(r->period, sizeof(float))))
			goto oom;
	ROLE_SET(ROLE_DISK);
	if (c->bus_dir && recfile_mkdirs(c->bus_dir, err, errlen) < 0)
		goto out;
	for (unsigned i = 0; i < r->nouts; i++) {
		char path[4400];
		if (i == 0)
			snprintf(path, sizeof path, "%s", c->out);
		else
			snprintf(path, sizeof path, "%s/bus%02u.%s", c->bus_dir, i,
			         c->format == REC_FMT_FLAC ? "flac" : "wav");
		if (out_open(r, &r->outs[i], path, 0, err, errlen) < 0)
			goto out;
	}

	sf_count_t total = 0;
	for (unsigned i = 0; i < r->nin; i++)
		if (r->in[i].frames > total)
			total = r->in[i].frames;
	const unsigned lat = mixer_latency(r->mixer);
	const uint32_t start = (uint32_t)llround(c->start_s * r->rate);
	ROLE_SET(ROLE_CONTROL);
	struct rtcycle rc = {r->mixer, &r->queue, automation_autoplay(r->autom), NULL, 0, NULL, NULL, NULL};

	/* settle: silence, transport parked at the start, until every
	 * setting is in the mixer and every smoothed value at its target */
	for (unsigned f = 0;; f += r->period) {
		ROLE_SET(ROLE_CONTROL);
		if (f >= RENDER_SETTLE && !model_pending(r->model))
			break;
		model_commit(r->model);
		automation_tick(r->autom, 0);
		ROLE_SET(ROLE_RT);
		struct rtcycle_transport tr = {start, 0, 0,
		                               0.0f}; /* no tempo: synced delays take their time */
		rtcycle_run(&rc, (const float *const *)r->lin, r->lout, r->period, &tr);
		if (f > 64u * RENDER_SETTLE) {
			snprintf(err, errlen, "the console's queue does not drain");
			goto out;
		}
	}

	/* the take: the master runs lat frames longer, and drops its first lat */
	uint64_t frames = 0, mframes = 0, next_report = 0;
	while (mframes < (uint64_t)total) {
		unsigned n = r->period;
		ROLE_SET(ROLE_CONTROL);
		model_commit(r->model);
		automation_tick(r->autom, 0);
		if (read_period(r, n, err, errlen) < 0)
			goto out;
		ROLE_SET(ROLE_RT);
		struct rtcycle_transport tr = {start + (uint32_t)frames, 1, 0, 0.0f};
		rtcycle_run(&rc, (const float *const *)r->lin, r->lout, n, &tr);
		/* the master: from frame lat of the run on */
		uint64_t m0 = frames + n > lat ? (frames >= lat ? 0 : lat - frames) : n;
		if (m0 < n) {
			unsigned w = (unsigned)(n - m0);
			if (mframes + w > (uint64_t)total)
				w = (unsigned)((uint64_t)total - mframes);
			if (write_pair(r, 0, (unsigned)m0, w, err, errlen) < 0)
				goto out;
			mframes += w;
		}
		/* the buses: undelayed */
		if (frames < (uint64_t)total) {
			unsigned w = (uint64_t)total - frames < n ? (unsigned)((uint64_t)total - frames) : n;
			for (unsigned b = 1; b < r->nouts; b++)
				if (write_pair(r, b, 0, w, err, errlen) < 0)
					goto out;
		}
		frames += n;
		if (c->progress && frames >= next_report) {
			c->progress(c->ctx, (double)mframes / (double)total);
			next_report = frames + r->rate / 4;
		}
	}
	ROLE_SET(ROLE_DISK);
	struct loudness_values lv;
	loudness_compute(r->loud, &lv);
	if (c->format == REC_FMT_WAV)
		recfile_set_loudness(&r->outs[0].f, &lv);
	for (unsigned i = 0; i < r->nouts; i++)
		if (out_close(&r->outs[i], 1, err, errlen) < 0)
			goto out;
	if (c->progress)
		c->progress(c->ctx, 1.0);
	res->rate = r->rate;
	res->frames = (uint64_t)total;
	res->latency = lat;
	res->lufs = lv.i;
	res->tp = lv.tp;
	ok = 1;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	render_free(r, 0);
	free(r);
	ROLE_SET(0); /* the caller's thread as we found it: without a role (a test's, or main's) */
	res->cpu_s = cpu_now() - t0;
	return ok ? 0 : -1;
}
