/*
 * test_recorder.c - offline tests of the master recorder, its stems and
 * the loudness meter: frames go through the real ring (recring.c, with
 * its stem plane) and the real disk thread into a temporary directory,
 * and come back through libsndfile and through a strict RIFF/RF64 chunk
 * walker written here; the stems' source, the mixer's post-trim tap, is
 * checked on plain buffers.  No JACK: this thread plays the RT producer
 * and the control thread at once (one producer, one commander, as in the
 * daemon).
 *
 *   test_recorder                 run every check
 *   test_recorder --ffmpeg-take DIR
 *                                 record a varied 30 s programme into DIR,
 *                                 print "file=PATH i=LUFS tp=DBTP lra=LU"
 *                                 (the values written to bext); used by
 *                                 rec-ffmpeg.sh to compare with ffmpeg
 *
 * Expected values come from the maths or from the EBU test cases (Tech 3341
 * and 3342: signals and tolerances), never from the program's output.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sndfile.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loudness.h"
#include "mixer.h"
#include "recorder.h"
#include "recring.h"
#include "test_util.h"
#include "wav_strict.h"

#define RATE   48000u
#define PERIOD 256u

static char tmpdir[512];

/* ---- signals: frame k, channel c -> an exactly representable float ---- */

static float sig_hash(uint64_t k, unsigned c)
{
	uint64_t x = k * 2u + c + 0x9E3779B97F4A7C15ull;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	/* multiples of 2^-20 in [-0.5, 0.5): exact in float, never 0 */
	return ((float)(int32_t)((x & 0xFFFFF) - 0x80000) + 0.5f) / 1048576.0f;
}

typedef void (*gen_fn)(void *ctx, uint64_t k, float *l, float *r, unsigned n);

static void gen_hash(void *ctx, uint64_t k, float *l, float *r, unsigned n)
{
	(void)ctx;
	for (unsigned i = 0; i < n; i++) {
		l[i] = sig_hash(k + i, 0);
		r[i] = sig_hash(k + i, 1);
	}
}

struct sine {
	double amp, hz, phase_deg;
};

static void gen_sine(void *ctx, uint64_t k, float *l, float *r, unsigned n)
{
	struct sine *s = ctx;
	for (unsigned i = 0; i < n; i++) {
		double ph = 2.0 * M_PI * s->hz * (double)(k + i) / RATE + s->phase_deg * M_PI / 180.0;
		l[i] = r[i] = (float)(s->amp * sin(ph));
	}
}

/* ---- driving the recorder ---- */

static uint32_t ring_space(struct recring *q)
{
	return q->cap - (recring_head(q) - atomic_load(&q->tail));
}

static double secs_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

/* Push frames as the RT thread would, in PERIOD-frame periods.  wait:
 * 1 = wait for room (no loss), 0 = push regardless (losses allowed).
 * realtime: pace to the sample rate.  Returns periods lost. */
static unsigned push(struct recorder *rec, gen_fn fn, void *ctx, uint64_t *k, uint64_t frames, int wait,
                     int realtime, unsigned char *lost_map)
{
	struct recring *q = recorder_ring(rec);
	float l[PERIOD], r[PERIOD];
	unsigned lost = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t done = 0; done < frames; done += PERIOD) {
		unsigned n = frames - done < PERIOD ? (unsigned)(frames - done) : PERIOD;
		fn(ctx, *k, l, r, n);
		if (wait)
			while (ring_space(q) < n)
				usleep(200);
		if (realtime) {
			struct timespec now;
			double due = (double)(done + n) / RATE;
			for (;;) {
				clock_gettime(CLOCK_MONOTONIC, &now);
				double el = secs_between(&t0, &now);
				if (el >= due)
					break;
				usleep((useconds_t)((due - el) * 1e6) + 1);
			}
		}
		if (recring_push(q, l, r, n) == 0) {
			lost++;
			if (lost_map)
				lost_map[*k / PERIOD] = 1;
		}
		*k += n;
	}
	return lost;
}

static int wait_event(struct recorder *rec, struct recorder_event *ev, int timeout_ms)
{
	struct pollfd p = {recorder_event_fd(rec), POLLIN, 0};
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (recorder_next_event(rec, ev) == 0)
			return 0;
		poll(&p, 1, 10);
	}
	return -1;
}

static int wait_kind(struct recorder *rec, enum recorder_event_kind kind, struct recorder_event *ev,
                     int timeout_ms)
{
	while (wait_event(rec, ev, timeout_ms) == 0)
		if (ev->kind == kind)
			return 0;
	return -1;
}

static void cfg_init(struct recorder_config *c, const char *dir, enum recorder_format f,
                     enum recorder_sample s, double preroll, double buffer_s, long long reserve)
{
	memset(c, 0, sizeof *c);
	c->dir = dir;
	c->rate = RATE;
	c->format = f;
	c->sample = s;
	c->preroll_s = preroll;
	c->buffer_s = buffer_s;
	c->header_ms = 1000;
	c->reserve_bytes = reserve;
	c->originator = "jackmixd-test";
}

static struct recorder *mk(const char *dir, enum recorder_format f, enum recorder_sample s, double preroll,
                           double buffer_s, long long reserve)
{
	struct recorder_config c;
	cfg_init(&c, dir, f, s, preroll, buffer_s, reserve);
	return recorder_new(&c);
}

static void subdir(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

/* ---- reading back ---- */

static float *read_all(const char *path, SF_INFO *info)
{
	memset(info, 0, sizeof *info);
	SNDFILE *sf = sf_open(path, SFM_READ, info);
	if (!sf)
		return NULL;
	size_t cap = 1 << 16, n = 0, ch = (size_t)info->channels;
	float *buf = malloc(cap * ch * sizeof(float));
	sf_count_t got;
	while (buf && (got = sf_readf_float(sf, buf + n * ch, (sf_count_t)(cap - n))) > 0) {
		n += (size_t)got;
		if (n == cap) {
			cap *= 2;
			float *more = realloc(buf, cap * ch * sizeof(float));
			if (!more)
				free(buf);
			buf = more;
		}
	}
	info->frames = (sf_count_t)n;
	sf_close(sf);
	return buf;
}

/* ---- tests ---- */

/* Every frame pushed comes back bit-exact (float) or within the dither's
 * bound (PCM), at the right position, in every format. */
static void test_exact(enum recorder_format f, enum recorder_sample s)
{
	char dir[600], what[64];
	struct recorder_event ev;
	uint64_t k = 0;
	const uint64_t frames = 3 * RATE + 77; /* not a whole period */
	snprintf(what, sizeof what, "%s/%s", recorder_format_name(f), recorder_sample_name(s));
	subdir(dir, sizeof dir, "exact");
	struct recorder *rec = mk(dir, f, s, 0, 2.0, -1);
	CHECK(rec != NULL, "recorder_new");
	if (!rec)
		return;
	char err[128];
	CHECK(recorder_start(rec, NULL, err, sizeof err) == 0, "start: %s", err);
	CHECK(recorder_start(rec, NULL, err, sizeof err) < 0, "second start must be refused");
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "%s: STARTED", what);
	unsigned lost = push(rec, gen_hash, NULL, &k, frames, 1, 0, NULL);
	CHECK(lost == 0, "%s: no period lost while waiting for room", what);
	CHECK(recorder_stop(rec, err, sizeof err) == 0, "stop");
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "%s: STOPPED", what);
	CHECK(ev.msg[0] == 0, "%s: clean stop, got '%s'", what, ev.msg);
	CHECK(ev.frames == frames, "%s: event says %llu frames, pushed %llu", what,
	      (unsigned long long)ev.frames, (unsigned long long)frames);
	CHECK(ev.dropped == 0, "%s: no dropped frames", what);
	const char *ext = f == REC_FMT_FLAC ? ".flac" : ".wav";
	CHECK(strstr(ev.path, "/master-") && strcmp(ev.path + strlen(ev.path) - strlen(ext), ext) == 0,
	      "%s: default name master-<time>%s: %s", what, ext, ev.path);

	SF_INFO info;
	float *x = read_all(ev.path, &info);
	CHECK(x != NULL, "%s: libsndfile opens %s", what, ev.path);
	if (x) {
		CHECK(info.frames == (sf_count_t)frames, "%s: %lld frames in the file", what,
		      (long long)info.frames);
		CHECK(info.samplerate == (int)RATE && info.channels == 2, "%s: rate/channels", what);
		double lsb = s == REC_PCM16 ? 1.0 / 32768 : s == REC_PCM24 ? 1.0 / 8388608 : 0;
		double maxerr = 0, sum = 0, sum2 = 0;
		uint64_t bad = 0, n = (uint64_t)info.frames * 2;
		for (uint64_t i = 0; i < n; i++) {
			double want = sig_hash(i / 2, (unsigned)(i % 2));
			double e = x[i] - want;
			if (s == REC_FLOAT) {
				if (x[i] != (float)want)
					bad++;
			} else {
				e /= lsb;
				sum += e;
				sum2 += e * e;
				if (fabs(e) > maxerr)
					maxerr = fabs(e);
			}
		}
		if (s == REC_FLOAT) {
			CHECK(bad == 0, "%s: %llu samples differ from what was pushed", what,
			      (unsigned long long)bad);
		} else {
			/* TPDF dither of +-1 LSB then rounding: |error| < 1.5 LSB,
			 * mean 0, variance 1/6 + 1/12 = 1/4 LSB^2 whatever the signal
			 * (undithered rounding would give 1/12, RPDF 1/6) */
			double mean = sum / (double)n, var = sum2 / (double)n - mean * mean;
			CHECK(maxerr < 1.5 + 1e-6, "%s: max error %.3f LSB", what, maxerr);
			CHECK(fabs(mean) < 0.01, "%s: mean error %.4f LSB", what, mean);
			CHECK_NEAR(var, 0.25, 0.01, "dither error variance (LSB^2)");
		}
		free(x);
	}
	if (f == REC_FMT_WAV) {
		struct wav w;
		int ok = wav_strict(ev.path, &w, 1);
		CHECK(ok == 0, "%s: strict header: %s", what, w.why);
		CHECK(!w.rf64, "%s: below 4 GiB the file is plain RIFF/WAVE", what);
		CHECK(ok || w.data_bytes == frames * w.align, "%s: data chunk %llu bytes", what,
		      (unsigned long long)w.data_bytes);
	}
	recorder_free(rec);
}

/* The status right after a start describes the take that starts, not the
 * last one (issue 13, item 6: /record/start replied with take1's name
 * and length): its file as named, no frames, no loudness; the default
 * name is known only when the file opens ("" until then). */
static void test_start_status(void)
{
	char dir[600], err[128];
	struct recorder_event ev;
	struct recorder_status st;
	uint64_t k = 0;
	const uint64_t frames = RATE + 123;
	subdir(dir, sizeof dir, "startstatus");
	struct recorder *rec = mk(dir, REC_FMT_WAV, REC_PCM24, 0, 2.0, -1);
	CHECK(rec != NULL, "recorder_new");
	if (!rec)
		return;
	CHECK(recorder_start(rec, "take1", err, sizeof err) == 0, "start take1: %s", err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "take1 STARTED");
	push(rec, gen_hash, NULL, &k, frames, 1, 0, NULL);
	CHECK(recorder_stop(rec, err, sizeof err) == 0, "stop take1");
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "take1 STOPPED");
	recorder_status(rec, &st);
	CHECK(!st.active && st.frames == frames && st.take.i > -70, "take1's status: %llu frames, I %.1f",
	      (unsigned long long)st.frames, st.take.i);

	CHECK(recorder_start(rec, "take2.wav", err, sizeof err) == 0, "start take2: %s", err);
	recorder_status(rec, &st); /* before the disk thread said anything */
	const char *base = strrchr(st.path, '/');
	base = base ? base + 1 : st.path;
	CHECK(st.active && !strcmp(base, "take2.wav"), "started take2, status names '%s'", st.path);
	CHECK(st.frames == 0 && st.dropped == 0 && st.seconds == 0.0, "take2 starts at %llu frames, %g s",
	      (unsigned long long)st.frames, st.seconds);
	CHECK(st.take.i == LOUDNESS_FLOOR && st.take.tp == LOUDNESS_FLOOR &&
	          st.take.max_m == LOUDNESS_FLOOR && st.take.lra == 0.0f,
	      "take2 has take1's loudness (I %.1f)", st.take.i);
	CHECK(st.stem_path[0] == 0 && st.stem_files == 0, "take2: no stems");
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "take2 STARTED");
	recorder_status(rec, &st);
	CHECK(st.active && !strcmp(st.path, ev.path) && strstr(st.path, "/take2.wav") && st.frames == 0,
	      "take2 open: '%s', %llu frames", st.path, (unsigned long long)st.frames);
	CHECK(recorder_stop(rec, err, sizeof err) == 0, "stop take2");
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "take2 STOPPED");

	CHECK(recorder_start(rec, NULL, err, sizeof err) == 0, "start a default-named take: %s", err);
	recorder_status(rec, &st);
	CHECK(st.active && st.path[0] == 0 && st.frames == 0, "default name before the file opens: '%s'",
	      st.path);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "take3 STARTED");
	recorder_status(rec, &st);
	CHECK(strstr(st.path, "/master-") != NULL, "take3 open: '%s'", st.path);
	recorder_stop(rec, err, sizeof err);
	wait_kind(rec, REC_EV_STOPPED, &ev, 10000);
	recorder_free(rec);
}

/* A tiny ring and a producer that never waits: periods are lost; the file
 * still has exactly as many frames as were played, with silence exactly
 * where the lost periods were, and the count is reported. */
static void test_drops(void)
{
	char dir[600], err[128];
	struct recorder_event ev;
	uint64_t k = 0;
	const uint64_t frames = 40ull * 8192;
	unsigned char *lost_map = calloc(frames / PERIOD + 16, 1);
	subdir(dir, sizeof dir, "drops");
	struct recorder *rec = mk(dir, REC_FMT_WAV, REC_FLOAT, 0, 0.05, -1);
	CHECK(rec != NULL, "recorder_new (tiny ring)");
	if (!rec)
		return;
	CHECK(recorder_start(rec, "drops", err, sizeof err) == 0, "start: %s", err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "drops: STARTED");
	unsigned lost = 0;
	for (int burst = 0; burst < 40; burst++) /* 8192-frame bursts, no waiting */
		lost += push(rec, gen_hash, NULL, &k, 8192, 0, 0, lost_map);
	/* one more period with room: it carries the last gap record */
	lost += push(rec, gen_hash, NULL, &k, PERIOD, 1, 0, lost_map);
	CHECK(lost > 0, "drops: the producer must have outrun a 4096-frame ring (lost %u periods)", lost);
	uint64_t total = k;
	CHECK(recorder_stop(rec, err, sizeof err) == 0, "stop");
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "drops: STOPPED");
	CHECK(ev.frames == total, "drops: file length %llu, played %llu", (unsigned long long)ev.frames,
	      (unsigned long long)total);
	CHECK(ev.dropped == (uint64_t)lost * PERIOD, "drops: reported %llu dropped, lost %u periods of %u",
	      (unsigned long long)ev.dropped, lost, PERIOD);
	struct recorder_status st;
	recorder_status(rec, &st);
	CHECK(st.lost_total == (unsigned long)lost * PERIOD, "drops: status lost_total %lu", st.lost_total);
	CHECK(strstr(ev.path, "/drops.wav") != NULL, "drops: client name used: %s", ev.path);
	SF_INFO info;
	float *x = read_all(ev.path, &info);
	CHECK(x && info.frames == (sf_count_t)total, "drops: file frames %lld",
	      x ? (long long)info.frames : -1LL);
	if (x) {
		uint64_t wrong = 0, silent = 0;
		for (uint64_t i = 0; i < (uint64_t)info.frames; i++) {
			int gone = lost_map[i / PERIOD];
			for (unsigned c = 0; c < 2; c++) {
				float want = gone ? 0.0f : sig_hash(i, c);
				if (x[2 * i + c] != want)
					wrong++;
			}
			silent += gone;
		}
		CHECK(wrong == 0, "drops: %llu samples wrong (lost periods must be silent, the rest exact)",
		      (unsigned long long)wrong);
		CHECK(silent == ev.dropped, "drops: silent frames %llu", (unsigned long long)silent);
		free(x);
	}
	recorder_free(rec);
	free(lost_map);
}

/* Pre-roll: the take starts preroll seconds before the start command, to
 * the sample, and keeps running across takes. */
static void test_preroll(void)
{
	char dir[600], err[128];
	struct recorder_event ev;
	uint64_t k = 0;
	const double pre = 2.0;
	subdir(dir, sizeof dir, "preroll");
	struct recorder *rec = mk(dir, REC_FMT_WAV, REC_FLOAT, pre, 2.0, -1);
	CHECK(rec != NULL, "recorder_new (preroll)");
	if (!rec)
		return;
	/* 5 s of signal before the start: the take must begin at 3 s */
	push(rec, gen_hash, NULL, &k, 5 * RATE, 1, 0, NULL);
	usleep(200000); /* let the disk thread trim the ring to the pre-roll */
	CHECK(recorder_start(rec, "take1", err, sizeof err) == 0, "start: %s", err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "preroll: STARTED");
	push(rec, gen_hash, NULL, &k, RATE, 1, 0, NULL);
	CHECK(recorder_stop(rec, err, sizeof err) == 0, "stop");
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "preroll: STOPPED");
	SF_INFO info;
	float *x = read_all(ev.path, &info);
	uint64_t first = 5 * RATE - (uint64_t)(pre * RATE);
	CHECK(x && info.frames == (sf_count_t)(3 * RATE), "take1: 2 s pre-roll + 1 s: %lld frames",
	      x ? (long long)info.frames : -1LL);
	if (x) {
		CHECK(x[0] == sig_hash(first, 0) && x[1] == sig_hash(first, 1), "take1 begins at frame %llu",
		      (unsigned long long)first);
		uint64_t wrong = 0;
		for (uint64_t i = 0; i < (uint64_t)info.frames * 2; i++)
			wrong += x[i] != sig_hash(first + i / 2, (unsigned)(i % 2));
		CHECK(wrong == 0, "take1: %llu samples off", (unsigned long long)wrong);
		free(x);
	}
	/* a second take 0.5 s later reaches back into the first one */
	push(rec, gen_hash, NULL, &k, RATE / 2, 1, 0, NULL);
	uint64_t now = k;
	CHECK(recorder_start(rec, "take1", err, sizeof err) == 0, "start 2: %s", err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "preroll: STARTED 2");
	CHECK(strstr(ev.path, "/take1-2.wav") != NULL, "same name again: never overwrite, got %s", ev.path);
	push(rec, gen_hash, NULL, &k, RATE / 4, 1, 0, NULL);
	CHECK(recorder_stop(rec, err, sizeof err) == 0, "stop 2");
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "preroll: STOPPED 2");
	x = read_all(ev.path, &info);
	first = now - (uint64_t)(pre * RATE);
	CHECK(x && info.frames == (sf_count_t)(k - first), "take2: %lld frames",
	      x ? (long long)info.frames : -1LL);
	if (x) {
		CHECK(x[0] == sig_hash(first, 0), "take2 begins 2 s before its start command");
		free(x);
	}
	recorder_free(rec);

	/* right after start-up there is less history than the pre-roll: the
	 * take starts at the first frame ever played */
	k = 0;
	rec = mk(dir, REC_FMT_WAV, REC_FLOAT, 5.0, 1.0, -1);
	push(rec, gen_hash, NULL, &k, RATE, 1, 0, NULL);
	usleep(100000);
	recorder_start(rec, "short", err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "short preroll: STARTED");
	push(rec, gen_hash, NULL, &k, RATE / 2, 1, 0, NULL);
	recorder_stop(rec, err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "short preroll: STOPPED");
	x = read_all(ev.path, &info);
	CHECK(x && info.frames == (sf_count_t)k && x[0] == sig_hash(0, 0),
	      "short history: the take holds everything since frame 0 (%lld frames)",
	      x ? (long long)info.frames : -1LL);
	free(x);
	recorder_free(rec);
}

/* A copy of the open file at path (what a crash leaves, elapsed s into
 * the take, pushed s of audio pushed by then) has a strict header, and the
 * header covers all but what came in during the last header period (2 s
 * of wall clock): at least min(elapsed, pushed) - 2 s.  Audio is pushed
 * no faster than real time, so the last period brought at most 2 s of it
 * whatever the machine's load; a loaded machine that pushes slower than
 * real time makes elapsed the larger of the two. */
static void check_mid_take_copy(const char *path, const char *what, double elapsed, double pushed)
{
	char copy[700], cmd[2600];
	snprintf(copy, sizeof copy, "%s/copy.wav", tmpdir);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, copy);
	CHECK(system(cmd) == 0, "cp of the open %s", what);
	struct wav w;
	CHECK(wav_strict(copy, &w, 0) == 0, "mid-take copy of %s: strict header: %s", what, w.why);
	SF_INFO info;
	float *x = read_all(copy, &info);
	double played = elapsed < pushed ? elapsed : pushed;
	CHECK(x && (double)info.frames >= (played - 2.0) * RATE,
	      "mid-take copy of %s holds %.2f s of %.2f s played in %.2f s (at least played - 2 s)", what,
	      x ? (double)info.frames / RATE : -1.0, pushed, elapsed);
	free(x);
	unlink(copy);
}

/* A copy of the file taken mid-take (what a crash leaves) opens and holds
 * all but the last header period; a kill -9 of a recording process too. */
static void test_crash_safety(void)
{
	char dir[600], err[128];
	struct recorder_event ev;
	uint64_t k = 0;
	subdir(dir, sizeof dir, "crash");
	struct recorder *rec = mk(dir, REC_FMT_WAV, REC_PCM24, 0, 2.0, -1);
	CHECK(rec != NULL, "recorder_new (crash)");
	if (!rec)
		return;
	recorder_start(rec, "live", err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "crash: STARTED");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	push(rec, gen_hash, NULL, &k, (uint64_t)(3.5 * RATE), 1, 1, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check_mid_take_copy(ev.path, "take", secs_between(&t0, &t1), (double)k / RATE);
	recorder_stop(rec, err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "crash: STOPPED");
	recorder_free(rec);

	/* kill -9 of a process in the middle of a take */
	int pfd[2];
	if (pipe(pfd) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		uint64_t kk = 0;
		struct recorder *r2 = mk(dir, REC_FMT_WAV, REC_PCM24, 0, 2.0, -1);
		struct recorder_event e2;
		recorder_start(r2, "killed", err, sizeof err);
		if (wait_kind(r2, REC_EV_STARTED, &e2, 5000) == 0 &&
		    write(pfd[1], e2.path, strlen(e2.path) + 1) < 0)
			_exit(3);
		push(r2, gen_hash, NULL, &kk, 30ull * RATE, 1, 1, NULL); /* killed long before the end */
		_exit(0);
	}
	close(pfd[1]);
	char path[RECORDER_PATH_MAX] = "";
	ssize_t got = read(pfd[0], path, sizeof path - 1);
	close(pfd[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(got > 0, "child started a take");
	usleep(3300000);
	kill(pid, SIGKILL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(pid, NULL, 0);
	double elapsed = secs_between(&t0, &t1);
	if (got > 0) {
		struct wav w;
		SF_INFO info;
		float *x;
		CHECK(wav_strict(path, &w, 0) == 0, "killed take: strict header: %s", w.why);
		x = read_all(path, &info);
		CHECK(x && (double)info.frames >= (elapsed - 2.0) * RATE,
		      "killed take holds %.2f s of %.2f s (at least elapsed - 2 s)",
		      x ? (double)info.frames / RATE : -1.0, elapsed);
		if (x) {
			uint64_t wrong = 0;
			for (uint64_t i = 0; i < (uint64_t)info.frames * 2; i++)
				wrong += fabs(x[i] - sig_hash(i / 2, (unsigned)(i % 2))) > 1.5 / 8388608;
			CHECK(wrong == 0, "killed take: %llu samples wrong", (unsigned long long)wrong);
		}
		free(x);
	}
}

/* A full disk stops the take with an error, leaves a valid file whose
 * length is what was reported, and the recorder keeps working.  A 1 MiB
 * tmpfs when we may mount one; otherwise RLIMIT_FSIZE (EFBIG) plays the
 * full disk. */
static void test_full_disk(long long reserve, const char *label, enum recorder_sample smp)
{
	char dir[600], err[128];
	struct recorder_event ev;
	uint64_t k = 0;
	int mounted = 0;
	struct rlimit old;
	snprintf(dir, sizeof dir, "%s/full-%s", tmpdir, label);
	mkdir(dir, 0755);
	if (!getenv("JMX_TEST_NO_MOUNT") && mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0) {
		mounted = 1;
	} else {
		struct rlimit lim;
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = 1 << 20;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &lim);
		printf("full disk (%s): no tmpfs (%s), using RLIMIT_FSIZE\n", label, strerror(errno));
	}
	struct recorder *rec = mk(dir, REC_FMT_WAV, smp, 0, 4.0, reserve);
	CHECK(rec != NULL, "recorder_new (full disk)");
	if (!rec)
		goto out;
	CHECK(recorder_start(rec, "full", err, sizeof err) == 0, "start: %s", err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "full disk %s: STARTED", label);
	/* 1 MiB holds 2.7 s of float stereo (3.6 s at 24 bits).  With the reserve (2 s of audio)
	 * play in real time so the free-space check (every second) sees the
	 * disk fill; without it, play fast into ENOSPC. */
	for (int i = 0; i < 40 && recorder_next_event(rec, &ev) < 0; i++)
		push(rec, gen_hash, NULL, &k, RATE / 8, 1, 0, NULL), usleep(reserve ? 125000 : 10000);
	int stopped = ev.kind == REC_EV_STOPPED || wait_kind(rec, REC_EV_STOPPED, &ev, 5000) == 0;
	CHECK(stopped, "full disk %s: the take stopped by itself", label);
	/* RLIMIT_FSIZE leaves the disk free: only the write error path */
	CHECK(strstr(ev.msg, reserve && mounted ? "almost full" : "write error") != NULL,
	      "full disk %s: message '%s'", label, ev.msg);
	printf("full disk %s: %s\n", label, ev.msg);
	struct recorder_status st;
	recorder_status(rec, &st);
	CHECK(!st.active, "full disk %s: status no longer active", label);
	CHECK(st.frames == ev.frames, "full disk %s: status frames %llu", label,
	      (unsigned long long)st.frames);
	struct wav w;
	CHECK(wav_strict(ev.path, &w, 1) == 0, "full disk %s: strict header: %s", label, w.why);
	SF_INFO info;
	float *x = read_all(ev.path, &info);
	CHECK(x && info.frames == (sf_count_t)ev.frames && ev.frames > RATE / 2,
	      "full disk %s: file holds the %llu reported frames (%lld)", label,
	      (unsigned long long)ev.frames, x ? (long long)info.frames : -1LL);
	if (x) {
		uint64_t wrong = 0;
		double tol = smp == REC_FLOAT ? 0 : 1.5 / 8388608; /* the dither's bound at 24 bits */
		for (uint64_t i = 0; i < (uint64_t)info.frames * 2; i++)
			wrong += fabs(x[i] - sig_hash(i / 2, (unsigned)(i % 2))) > tol;
		CHECK(wrong == 0, "full disk %s: %llu samples wrong", label, (unsigned long long)wrong);
		free(x);
	}
	/* the meter keeps running after the failure */
	struct sine s = {0.1, 1000, 0};
	push(rec, gen_sine, &s, &k, RATE, 1, 0, NULL);
	usleep(300000);
	struct loudness_values lv;
	recorder_loudness(rec, &lv);
	CHECK(lv.m > -30 && lv.m < -15, "full disk %s: live loudness still measured (M %.1f)", label, lv.m);
	/* and the next take on the same full disk fails cleanly (with a
	 * per-file size limit instead, it simply works) */
	recorder_start(rec, "again", err, sizeof err);
	CHECK(wait_event(rec, &ev, 5000) == 0, "full disk %s: an answer to the next start", label);
	if (ev.kind == REC_EV_STARTED) {
		push(rec, gen_hash, NULL, &k, RATE, 1, 0, NULL);
		recorder_stop(rec, err, sizeof err);
		wait_kind(rec, REC_EV_STOPPED, &ev, 5000);
	}
	if (mounted)
		CHECK(ev.kind == REC_EV_ERROR || ev.msg[0],
		      "full disk %s: second take refused or stopped with a reason", label);
	else
		CHECK(ev.kind == REC_EV_STOPPED && !ev.msg[0] && ev.frames == RATE,
		      "full disk %s: next take recorded", label);
	recorder_free(rec);
out:
	if (mounted)
		umount2(dir, MNT_DETACH);
	else
		setrlimit(RLIMIT_FSIZE, &old);
}

/* ---- stems ---- */

/* The console of the stem tests: 2 mono channels and 1 stereo one, so 4
 * input lanes; the ring has the master and then these. */
#define ST_MONO   2u
#define ST_STEREO 1u
#define ST_LANES  (ST_MONO + 2u * ST_STEREO)
#define ST_COLS   (2u + ST_LANES)

/* Ring column c of frame k: unique over (k, c) (sig_hash(k, c) alone
 * would make column 2 of frame k equal column 0 of frame k + 1, and a
 * stem one frame late would pass). */
static float wide_val(uint64_t k, unsigned c)
{
	return sig_hash(32 * k + c, 0);
}

static struct recorder *mk_stems(const char *dir, enum recorder_format f, enum recorder_sample s,
                                 enum recorder_stems mode, double preroll, double buffer_s, long long reserve)
{
	struct recorder_config c;
	cfg_init(&c, dir, f, s, preroll, buffer_s, reserve);
	c.stems = mode;
	c.stem_mono = ST_MONO;
	c.stem_stereo = ST_STEREO;
	return recorder_new(&c);
}

/* As push(), every column of the wide ring through recring_push_ext. */
static unsigned push_wide(struct recorder *rec, uint64_t *k, uint64_t frames, int wait,
                          unsigned char *lost_map)
{
	struct recring *q = recorder_ring(rec);
	float l[PERIOD], r[PERIOD], x[PERIOD * ST_LANES];
	unsigned lost = 0;
	for (uint64_t done = 0; done < frames; done += PERIOD) {
		unsigned n = frames - done < PERIOD ? (unsigned)(frames - done) : PERIOD;
		for (unsigned i = 0; i < n; i++) {
			l[i] = wide_val(*k + i, 0);
			r[i] = wide_val(*k + i, 1);
			for (unsigned c = 0; c < ST_LANES; c++)
				x[i * ST_LANES + c] = wide_val(*k + i, 2 + c);
		}
		if (wait)
			while (ring_space(q) < n)
				usleep(200);
		if (recring_push_ext(q, l, r, x, n) == 0) {
			lost++;
			if (lost_map)
				lost_map[*k / PERIOD] = 1;
		}
		*k += n;
	}
	return lost;
}

/* Compare a file with ring columns col..col+nch-1 of frames first..: the
 * samples exact (float) or within the dither's 1.5 LSB (PCM), lost
 * periods exact silence.  Returns the samples off. */
static uint64_t wide_compare(const char *path, uint64_t first, unsigned col, unsigned nch,
                             enum recorder_sample s, const unsigned char *lost_map, uint64_t *frames,
                             int *channels)
{
	SF_INFO info;
	memset(&info, 0, sizeof info);
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	*frames = 0;
	*channels = 0;
	if (!sf)
		return UINT64_MAX;
	*channels = info.channels;
	double tol = s == REC_FLOAT ? 0 : (s == REC_PCM16 ? 1.5 / 32768 : 1.5 / 8388608) + 1e-12;
	float buf[1024 * ST_COLS];
	uint64_t wrong = 0, i = 0;
	sf_count_t got;
	while (info.channels == (int)nch && (got = sf_readf_float(sf, buf, 1024)) > 0) {
		for (sf_count_t j = 0; j < got; j++, i++) {
			uint64_t k = first + i;
			int gone = lost_map && lost_map[k / PERIOD];
			for (unsigned c = 0; c < nch; c++) {
				float v = buf[j * nch + c];
				wrong += gone ? v != 0.0f : fabs(v - wide_val(k, col + c)) > tol;
			}
		}
	}
	*frames = i;
	sf_close(sf);
	return wrong;
}

/* Stems through the real ring and disk thread: the right files (names,
 * channels), each exactly as long as the master, every sample of every
 * lane in its place, the same pre-roll, and the same silence where the
 * ring lost periods; the events and the status say so. */
static void test_stems(enum recorder_stems mode, enum recorder_format f, enum recorder_sample s)
{
	char dir[600], err[256], what[64], name[RECORDER_PATH_MAX + 64];
	struct recorder_event ev;
	uint64_t k = 0;
	const double pre = 0.25;
	const uint64_t pre_frames = (uint64_t)(pre * RATE);
	unsigned char *lost_map = calloc(64 * RATE / PERIOD, 1);
	snprintf(what, sizeof what, "stems %s %s/%s", recorder_stems_name(mode), recorder_format_name(f),
	         recorder_sample_name(s));
	subdir(dir, sizeof dir, mode == REC_STEMS_MULTI ? "stems-multi" : "stems-split");
	/* a small ring (pre-roll + 50 ms): bursts that do not wait lose periods */
	struct recorder *rec = mk_stems(dir, f, s, mode, pre, 0.05, -1);
	CHECK(rec != NULL, "%s: recorder_new", what);
	if (!rec)
		goto out;
	CHECK(recring_stems(recorder_ring(rec)) == ST_LANES, "%s: the ring has %u stem columns, want %u",
	      what, recring_stems(recorder_ring(rec)), ST_LANES);
	/* history for the pre-roll, whole periods (lost_map counts in them) */
	push_wide(rec, &k, 188 * PERIOD, 1, NULL);
	usleep(200000);
	uint64_t start = k, first = start - pre_frames;
	CHECK(recorder_start(rec, "st", err, sizeof err) == 0, "%s: start: %s", what, err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "%s: STARTED", what);
	unsigned lost = push_wide(rec, &k, 94 * PERIOD, 1, lost_map);
	for (int burst = 0; burst < 20; burst++)
		lost += push_wide(rec, &k, 8192, 0, lost_map);
	lost += push_wide(rec, &k, PERIOD, 1, lost_map); /* carries the last gap record */
	CHECK(lost > 0, "%s: the bursts must overrun the ring (lost %u periods)", what, lost);
	CHECK(recorder_stop(rec, err, sizeof err) == 0, "%s: stop", what);
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "%s: STOPPED", what);
	CHECK(ev.msg[0] == 0, "%s: clean stop, got '%s'", what, ev.msg);
	uint64_t total = k - first;
	CHECK(ev.frames == total, "%s: %llu frames, played %llu from the pre-roll on", what,
	      (unsigned long long)ev.frames, (unsigned long long)total);
	CHECK(ev.dropped == (uint64_t)lost * PERIOD, "%s: %llu dropped, lost %u periods", what,
	      (unsigned long long)ev.dropped, lost);
	const char *ext = f == REC_FMT_FLAC ? "flac" : "wav";
	unsigned nfiles = mode == REC_STEMS_MULTI ? 1 : ST_MONO + ST_STEREO;
	CHECK(ev.stem_files == nfiles, "%s: event says %u stem files, want %u", what, ev.stem_files, nfiles);
	snprintf(name, sizeof name, "%s/st.%s", dir, ext);
	CHECK(!strcmp(ev.path, name), "%s: master %s", what, ev.path);
	snprintf(name, sizeof name, mode == REC_STEMS_MULTI ? "%s/st.stems.%s" : "%s/st.ch01.%s", dir, ext);
	CHECK(!strcmp(ev.stem_path, name), "%s: stem path %s, want %s", what, ev.stem_path, name);
	struct recorder_status st;
	recorder_status(rec, &st);
	CHECK(st.stems == mode && st.stem_files == nfiles && !strcmp(st.stem_path, name) &&
	          st.stem_dropped == ev.dropped,
	      "%s: status stems %s, %u files, %s, %llu dropped", what, recorder_stems_name(st.stems),
	      st.stem_files, st.stem_path, (unsigned long long)st.stem_dropped);

	/* every file against the ring's columns */
	uint64_t frames;
	int ch;
	uint64_t wrong = wide_compare(ev.path, first, 0, 2, s, lost_map, &frames, &ch);
	CHECK(wrong == 0 && frames == total && ch == 2,
	      "%s: master: %llu samples off, %llu frames, %d channels", what, (unsigned long long)wrong,
	      (unsigned long long)frames, ch);
	for (unsigned i = 0; i < nfiles; i++) {
		unsigned col = 2, nch = ST_LANES;
		if (mode == REC_STEMS_SPLIT) {
			col = 2 + (i < ST_MONO ? i : ST_MONO + 2 * (i - ST_MONO));
			nch = i < ST_MONO ? 1 : 2;
			snprintf(name, sizeof name, "%s/st.ch%02u.%s", dir, i + 1, ext);
		}
		wrong = wide_compare(name, first, col, nch, s, lost_map, &frames, &ch);
		CHECK(wrong == 0 && frames == total && ch == (int)nch,
		      "%s: %s: %llu samples off, %llu frames (master %llu), %d channels (want %u)", what,
		      name, (unsigned long long)wrong, (unsigned long long)frames, (unsigned long long)total,
		      ch, nch);
		if (f == REC_FMT_WAV) {
			struct wav w;
			CHECK(wav_strict(name, &w, 1) == 0, "%s: %s: strict header: %s", what, name, w.why);
			CHECK(w.have_bext, "%s: %s has a bext chunk (its time reference)", what, name);
		}
	}
	recorder_free(rec);
out:
	free(lost_map);
}

/* Names: a stem name that exists already moves the whole take to the next
 * suffix (nothing overwritten, no stray file); FLAC refuses more than 8
 * channels in one file, at construction and for the next take, and such a
 * refusal changes nothing. */
static void test_stems_names(void)
{
	char dir[600], path[700], err[256];
	struct recorder_event ev;
	uint64_t k = 0;
	subdir(dir, sizeof dir, "stems-names");
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/clash.ch02.wav", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0 && write(fd, "keep", 4) == 4, "a file in the way");
	if (fd >= 0)
		close(fd);
	struct recorder *rec = mk_stems(dir, REC_FMT_WAV, REC_PCM16, REC_STEMS_SPLIT, 0, 1.0, -1);
	CHECK(rec != NULL, "recorder_new (names)");
	if (!rec)
		return;
	CHECK(recorder_start(rec, "clash", err, sizeof err) == 0, "start: %s", err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "names: STARTED");
	push_wide(rec, &k, RATE / 4, 1, NULL);
	recorder_stop(rec, err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "names: STOPPED");
	CHECK(strstr(ev.path, "/clash-2.wav") && strstr(ev.stem_path, "/clash-2.ch01.wav"),
	      "a taken stem name moves the take to -2: %s, %s", ev.path, ev.stem_path);
	struct stat sb;
	snprintf(path, sizeof path, "%s/clash.wav", dir);
	CHECK(stat(path, &sb) < 0 && errno == ENOENT, "no clash.wav left from the first attempt");
	snprintf(path, sizeof path, "%s/clash.ch01.wav", dir);
	CHECK(stat(path, &sb) < 0 && errno == ENOENT, "no clash.ch01.wav left from the first attempt");
	snprintf(path, sizeof path, "%s/clash.ch02.wav", dir);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 4, "the file in the way is untouched");
	for (unsigned c = 1; c <= 3; c++) {
		snprintf(path, sizeof path, "%s/clash-2.ch%02u.wav", dir, c);
		CHECK(stat(path, &sb) == 0, "clash-2.ch%02u.wav exists", c);
	}
	recorder_free(rec);

	CHECK(recorder_stems_check(REC_STEMS_MULTI, 9, REC_FMT_FLAC, err, sizeof err) < 0 &&
	          strstr(err, "FLAC"),
	      "multi stems of 9 lanes in FLAC refused: %s", err);
	CHECK(recorder_stems_check(REC_STEMS_MULTI, 8, REC_FMT_FLAC, err, sizeof err) == 0,
	      "8 lanes in FLAC fit");
	CHECK(recorder_stems_check(REC_STEMS_SPLIT, 512, REC_FMT_FLAC, err, sizeof err) == 0,
	      "split FLAC of 512 lanes");
	enum recorder_stems m;
	CHECK(recorder_parse_stems("multi", &m) == 0 && m == REC_STEMS_MULTI &&
	          recorder_parse_stems("split", &m) == 0 && m == REC_STEMS_SPLIT &&
	          recorder_parse_stems("off", &m) == 0 && m == REC_STEMS_OFF &&
	          recorder_parse_stems("bogus", &m) < 0 && recorder_parse_stems("", &m) < 0,
	      "recorder_parse_stems");
	struct recorder_config c;
	cfg_init(&c, dir, REC_FMT_FLAC, REC_PCM24, 0, 1.0, 0);
	c.stems = REC_STEMS_MULTI;
	c.stem_mono = 9;
	rec = recorder_new(&c);
	CHECK(rec == NULL, "recorder_new: multi FLAC stems of 9 lanes refused");
	recorder_free(rec);
	c.format = REC_FMT_WAV;
	rec = recorder_new(&c);
	CHECK(rec != NULL, "recorder_new: multi WAV stems of 9 lanes");
	if (rec) {
		CHECK(recorder_set_format(rec, REC_FMT_FLAC, REC_PCM16, err, sizeof err) < 0,
		      "/record/format flac refused with 9 multi stem lanes");
		struct recorder_status st;
		recorder_status(rec, &st);
		CHECK(st.format == REC_FMT_WAV && st.sample == REC_PCM24, "a refused format changes nothing");
		recorder_free(rec);
	}
}

/* A write error in a stem file (the per-file size limit: the 4-channel
 * stem file reaches it long before the stereo master) stops the take and
 * leaves every file valid and exactly as long as the others. */
static void test_stems_write_error(void)
{
	char dir[600], path[700], err[256];
	struct recorder_event ev;
	struct rlimit old, lim;
	uint64_t k = 0;
	subdir(dir, sizeof dir, "stems-efbig");
	struct recorder *rec = mk_stems(dir, REC_FMT_WAV, REC_FLOAT, REC_STEMS_MULTI, 0, 4.0, 0);
	CHECK(rec != NULL, "recorder_new (stems write error)");
	if (!rec)
		return;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1 << 20;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(recorder_start(rec, "big", err, sizeof err) == 0, "start: %s", err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "stems write error: STARTED");
	setrlimit(RLIMIT_FSIZE, &lim);
	for (int i = 0; i < 40 && recorder_next_event(rec, &ev) < 0; i++)
		push_wide(rec, &k, RATE / 8, 1, NULL), usleep(10000);
	int stopped = ev.kind == REC_EV_STOPPED || wait_kind(rec, REC_EV_STOPPED, &ev, 5000) == 0;
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(stopped && strstr(ev.msg, "write error") && strstr(ev.msg, "big.stems.wav"),
	      "stems write error: stopped with '%s'", ev.msg);
	uint64_t frames;
	int ch;
	CHECK(ev.frames > RATE / 4, "stems write error: %llu frames kept", (unsigned long long)ev.frames);
	uint64_t wrong = wide_compare(ev.path, 0, 0, 2, REC_FLOAT, NULL, &frames, &ch);
	CHECK(wrong == 0 && frames == ev.frames,
	      "stems write error: master %llu frames (%llu off), reported %llu", (unsigned long long)frames,
	      (unsigned long long)wrong, (unsigned long long)ev.frames);
	snprintf(path, sizeof path, "%s/big.stems.wav", dir);
	wrong = wide_compare(path, 0, 2, ST_LANES, REC_FLOAT, NULL, &frames, &ch);
	CHECK(wrong == 0 && frames == ev.frames,
	      "stems write error: stems %llu frames (%llu off), reported %llu", (unsigned long long)frames,
	      (unsigned long long)wrong, (unsigned long long)ev.frames);
	struct wav w;
	CHECK(wav_strict(ev.path, &w, 1) == 0, "stems write error: master header: %s", w.why);
	CHECK(wav_strict(path, &w, 1) == 0, "stems write error: stems header: %s", w.why);
	recorder_free(rec);
}

static void mx_set(struct mixer *m, enum param_id id, unsigned ch, unsigned i2, float v)
{
	struct rt_msg msg = {(uint16_t)id, (uint16_t)ch, (uint16_t)i2, RT_SET, v, 0.0f};
	mixer_apply(m, &msg);
}

/* The source of the stems, offline: the mixer's tap (mixer_tap_new,
 * mixer_tap) holds every input lane times its trim and polarity, frame
 * for frame (no shift), in input-lane order, whatever the rest of the
 * strip does; with 3 mono and 2 stereo channels (a pad lane, two groups)
 * and periods of 100 frames (pieces across chunk boundaries).  Expected:
 * the input times powf(10, trim / 20), negated for polarity: one float
 * multiplication, so exact once the trim's smoothing has settled; the
 * input stage turns NaN, infinities and denormals into 0 and clamps at
 * +-1000 (JMX_INPUT_LIMIT) before the trim. */
static void test_mixer_tap(void)
{
	enum { MONO = 3, STEREO = 2, LANES = MONO + 2 * STEREO, PER = 100, SETTLE = 480 };
	static const float trim[MONO + STEREO] = {-6.0f, 3.5f, 0.0f, -12.0f, 20.0f};
	static const int pol[MONO + STEREO] = {0, 1, 0, 1, 0};
	struct mixer_config cfg = {MONO, STEREO, 2, RATE, 0};
	struct mixer *m = mixer_new(&cfg);
	CHECK(m != NULL, "mixer_new");
	if (!m)
		return;
	CHECK(mixer_tap(m) == NULL, "no tap unless asked for");
	CHECK(mixer_tap_new(m) == 0 && mixer_tap(m) != NULL, "mixer_tap_new");
	for (unsigned c = 0; c < MONO + STEREO; c++) {
		mx_set(m, P_CH_TRIM, c, 0, trim[c]);
		mx_set(m, P_CH_POLARITY, c, 0, (float)pol[c]);
		/* everything after the tap engaged: none of it may show */
		mx_set(m, P_CH_HPF_ON, c, 0, 1);
		mx_set(m, P_CH_GATE_ON, c, 0, 1);
		mx_set(m, P_CH_EQ_ON, c, 0, 1);
		mx_set(m, P_CH_EQ_DB, c, 1, 9);
		mx_set(m, P_CH_DYN_ON, c, 0, 1);
		mx_set(m, P_CH_FADER, c, 0, -20);
	}
	float in[LANES][PER], out[8][PER];
	const float *inp[LANES];
	float *outp[8];
	for (unsigned l = 0; l < LANES; l++)
		inp[l] = in[l];
	for (unsigned o = 0; o < mixer_outputs(m); o++)
		outp[o] = out[o];
	uint64_t wrong = 0, checked = 0;
	for (unsigned p = 0; p < SETTLE + 20; p++) {
		for (unsigned l = 0; l < LANES; l++)
			for (unsigned j = 0; j < PER; j++)
				in[l][j] = wide_val((uint64_t)p * PER + j, l);
		if (p == SETTLE + 5) { /* what the input stage cleans up */
			in[0][3] = NAN;
			in[1][4] = INFINITY;
			in[2][5] = 1e-40f;
			in[3][6] = 5000.0f;
			in[4][7] = -5000.0f;
		}
		mixer_process(m, inp, outp, PER);
		if (p < SETTLE) /* 1 s: the trims' smoothing has settled */
			continue;
		const float *tap = mixer_tap(m);
		for (unsigned l = 0; l < LANES; l++) {
			unsigned c = l < MONO ? l : MONO + (l - MONO) / 2;
			float g = powf(10.0f, trim[c] * 0.05f);
			if (pol[c])
				g = -g;
			for (unsigned j = 0; j < PER; j++) {
				float x = in[l][j];
				if (!isfinite(x) || fabsf(x) < 1.17549435e-38f)
					x = 0.0f;
				x = x > 1000.0f ? 1000.0f : x < -1000.0f ? -1000.0f : x;
				wrong += tap[j * LANES + l] != x * g;
				checked++;
			}
		}
	}
	CHECK(wrong == 0, "tap: %llu of %llu samples are not input x trim x polarity",
	      (unsigned long long)wrong, (unsigned long long)checked);
	mixer_free(m);
}

/* Crash safety of the stems: a copy of every file taken mid-take (what a
 * crash leaves) has a valid header covering all but the last header
 * period or two, like the master's. */
static void test_stems_crash(void)
{
	char dir[600], err[256], path[700], what[32];
	struct recorder_event ev;
	uint64_t k = 0;
	subdir(dir, sizeof dir, "stems-crash");
	struct recorder *rec = mk_stems(dir, REC_FMT_WAV, REC_PCM24, REC_STEMS_SPLIT, 0, 2.0, -1);
	CHECK(rec != NULL, "recorder_new (stems crash)");
	if (!rec)
		return;
	recorder_start(rec, "live", err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "stems crash: STARTED");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* in real time, as JACK would: the header updates are timed */
	const uint64_t frames = 14 * RATE / 4;
	float l[PERIOD], r[PERIOD], x[PERIOD * ST_LANES];
	for (uint64_t done = 0; done < frames; done += PERIOD) {
		for (unsigned i = 0; i < PERIOD; i++) {
			l[i] = r[i] = wide_val(k + i, 0);
			for (unsigned c = 0; c < ST_LANES; c++)
				x[i * ST_LANES + c] = wide_val(k + i, 2 + c);
		}
		recring_push_ext(recorder_ring(rec), l, r, x, PERIOD);
		k += PERIOD;
		usleep((useconds_t)(1e6 * PERIOD / RATE));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (unsigned c = 1; c <= ST_MONO + ST_STEREO; c++) {
		snprintf(path, sizeof path, "%s/live.ch%02u.wav", dir, c);
		snprintf(what, sizeof what, "stem %u", c);
		check_mid_take_copy(path, what, secs_between(&t0, &t1), (double)frames / RATE);
	}
	recorder_stop(rec, err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "stems crash: STOPPED");
	recorder_free(rec);
}

/* ---- loudness against EBU Tech 3341 / 3342 ---- */

struct seg {
	double dbfs, seconds;
};

/* Stereo 1 kHz sine in segments of given level, through the meter. */
static void feed_segments(struct loudness *l, const struct seg *segs, int n, double hz)
{
	float buf[2 * 4800];
	uint64_t k = 0;
	for (int i = 0; i < n; i++) {
		double a = pow(10.0, segs[i].dbfs / 20.0);
		uint64_t frames = (uint64_t)llround(segs[i].seconds * RATE);
		for (uint64_t done = 0; done < frames; done += 4800) {
			unsigned m = frames - done < 4800 ? (unsigned)(frames - done) : 4800;
			for (unsigned j = 0; j < m; j++)
				buf[2 * j] = buf[2 * j + 1] =
				    (float)(a * sin(2 * M_PI * hz * (double)(k + j) / RATE));
			loudness_add(l, buf, m);
			k += m;
		}
	}
}

static void test_loudness_ebu(void)
{
	struct loudness_values v;
	struct loudness *l = loudness_new(RATE, 2);
	CHECK(l != NULL, "loudness_new");
	if (!l)
		return;
	/* Tech 3341 case 1 and 2: stereo 1 kHz at -23 / -33 dBFS, 20 s:
	 * M, S, I = -23.0 / -33.0 +- 0.1 LUFS */
	struct seg c1[] = {{-23, 20}}, c2[] = {{-33, 20}};
	feed_segments(l, c1, 1, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.i, -23.0, 0.1, "3341 case 1: I");
	CHECK_NEAR(v.m, -23.0, 0.1, "3341 case 1: M");
	CHECK_NEAR(v.s, -23.0, 0.1, "3341 case 1: S");
	CHECK_NEAR(v.max_m, -23.0, 0.1, "3341 case 1: max M");
	/* a sine's true peak is its amplitude: -23 dBTP (+0.2/-0.4 per 3341) */
	CHECK(v.tp > -23.4 && v.tp < -22.8, "3341 case 1: true peak %.2f dBTP", v.tp);
	loudness_reset(l);
	feed_segments(l, c2, 1, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.i, -33.0, 0.1, "3341 case 2: I");
	CHECK_NEAR(v.s, -33.0, 0.1, "3341 case 2: S");

	/* case 3, 4 (gating), 5 */
	struct seg c3[] = {{-36, 10}, {-23, 60}, {-36, 10}};
	struct seg c4[] = {{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10}, {-72, 10}};
	struct seg c5[] = {{-26, 20}, {-20, 20.1}, {-26, 20}};
	loudness_reset(l);
	feed_segments(l, c3, 3, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.i, -23.0, 0.1, "3341 case 3: I (relative gate)");
	loudness_request_reset(l); /* the asynchronous path: applied by the next add */
	feed_segments(l, c4, 5, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.i, -23.0, 0.1, "3341 case 4: I (absolute and relative gates)");
	loudness_reset(l);
	feed_segments(l, c5, 3, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.i, -23.0, 0.1, "3341 case 5: I");
	CHECK_NEAR(v.max_m, -20.0, 0.1, "3341 case 5: max momentary");
	CHECK_NEAR(v.max_s, -20.0, 0.1, "3341 case 5: max short-term");

	/* Tech 3342 cases 1-3: LRA 10, 5, 20 LU +- 1 */
	struct seg r1[] = {{-20, 20}, {-30, 20}}, r2[] = {{-20, 20}, {-15, 20}},
	           r3[] = {{-40, 20}, {-20, 20}};
	loudness_reset(l);
	feed_segments(l, r1, 2, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.lra, 10.0, 1.0, "3342 case 1: LRA");
	loudness_reset(l);
	feed_segments(l, r2, 2, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.lra, 5.0, 1.0, "3342 case 2: LRA");
	loudness_reset(l);
	feed_segments(l, r3, 2, 1000);
	loudness_compute(l, &v);
	CHECK_NEAR(v.lra, 20.0, 1.0, "3342 case 3: LRA");

	/* Tech 3341 cases 15-18: -6 dBFS sines whose samples miss the peak:
	 * fs/4 at 0 and 45 degrees, fs/6 at 60, fs/8 at 67.5: -6.0 dBTP
	 * +0.2/-0.4 */
	const struct {
		double div, phase;
	} tp[] = {{4, 0}, {4, 45}, {6, 60}, {8, 67.5}};
	for (int i = 0; i < 4; i++) {
		float buf[2 * 4800];
		double a = pow(10.0, -6.0 / 20.0), hz = RATE / tp[i].div;
		loudness_reset(l);
		for (int b = 0; b < 10; b++) {
			for (unsigned j = 0; j < 4800; j++) {
				/* a 10 ms raised-cosine fade-in: an abrupt onset has
				 * inter-sample overshoot of its own */
				double t = (double)(b * 4800 + j) / RATE;
				double g = t < 0.01 ? 0.5 - 0.5 * cos(M_PI * t / 0.01) : 1.0;
				buf[2 * j] = buf[2 * j + 1] =
				    (float)(g * a * sin(2 * M_PI * hz * t + tp[i].phase * M_PI / 180));
			}
			loudness_add(l, buf, 4800);
		}
		loudness_compute(l, &v);
		CHECK(v.tp >= -6.4 && v.tp <= -5.8, "3341 case %d (fs/%.0f, %.1f deg): true peak %.2f dBTP",
		      15 + i, tp[i].div, tp[i].phase, v.tp);
	}
	/* a meter reset while a sine plays (a take starting mid-signal) reads
	 * the sine's peak, not the overshoot of a step from silence that is
	 * not in the signal: 1 kHz at -6 dBFS starting at its crest */
	{
		float buf[2 * 4800];
		double a = pow(10.0, -6.0 / 20.0);
		loudness_reset(l);
		for (int b = 0; b < 10; b++) {
			for (unsigned j = 0; j < 4800; j++)
				buf[2 * j] = buf[2 * j + 1] =
				    (float)(a * cos(2 * M_PI * 1000.3 * (double)(b * 4800 + j) / RATE));
			loudness_add(l, buf, 4800);
		}
		loudness_compute(l, &v);
		CHECK(v.tp >= -6.4 && v.tp <= -5.8,
		      "abrupt start at the crest: true peak %.2f dBTP, want -6.0", v.tp);
	}
	/* silence reads the floor, never -inf or NaN */
	loudness_reset(l);
	float z[2 * 4800] = {0};
	for (int b = 0; b < 20; b++)
		loudness_add(l, z, 4800);
	loudness_compute(l, &v);
	CHECK(v.i == LOUDNESS_FLOOR && v.m == LOUDNESS_FLOOR && v.tp == LOUDNESS_FLOOR && v.lra == 0,
	      "silence: floor values (I %g M %g TP %g LRA %g)", v.i, v.m, v.tp, v.lra);
	loudness_free(l);
}

/* bext: originator, date, time reference, and the loudness fields equal
 * the values the recorder reported (and the EBU case's expected values). */
static void test_bext(void)
{
	char dir[600], err[128];
	struct recorder_event ev;
	uint64_t k = 0;
	subdir(dir, sizeof dir, "bext");
	struct recorder *rec = mk(dir, REC_FMT_WAV, REC_PCM24, 0, 4.0, -1);
	CHECK(rec != NULL, "recorder_new (bext)");
	if (!rec)
		return;
	time_t before = time(NULL);
	recorder_start(rec, "bext", err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "bext: STARTED");
	/* Tech 3341 case 1 through the whole recorder path */
	struct sine s = {pow(10.0, -23.0 / 20.0), 1000, 0};
	push(rec, gen_sine, &s, &k, 20ull * RATE, 1, 0, NULL);
	recorder_stop(rec, err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "bext: STOPPED");
	CHECK_NEAR(ev.loud.i, -23.0, 0.1, "take I (3341 case 1, recorded at 24 bits)");
	CHECK(ev.loud.tp > -23.4 && ev.loud.tp < -22.8, "take true peak %.2f", ev.loud.tp);
	struct recorder_status st;
	recorder_status(rec, &st);
	CHECK(st.take.i == ev.loud.i && st.take.tp == ev.loud.tp, "status reports the take's values");

	struct wav w;
	CHECK(wav_strict(ev.path, &w, 1) == 0, "bext take: strict header: %s", w.why);
	CHECK(w.have_bext && w.bext_len >= 602, "bext chunk present (%u bytes)", w.bext_len);
	if (w.have_bext && w.bext_len >= 602) {
		const unsigned char *b = w.bext;
		int16_t lv = (int16_t)(b[412] | b[413] << 8), lra = (int16_t)(b[414] | b[415] << 8),
		        tp = (int16_t)(b[416] | b[417] << 8), mm = (int16_t)(b[418] | b[419] << 8),
		        ms = (int16_t)(b[420] | b[421] << 8);
		CHECK((b[346] | b[347] << 8) == 2, "bext version 2 (loudness fields)");
		CHECK(!strncmp((const char *)b + 256, "jackmixd-test", 32), "originator");
		CHECK(fabs(lv / 100.0 - ev.loud.i) <= 0.005, "bext LoudnessValue %d = reported %.3f", lv,
		      ev.loud.i);
		CHECK(fabs(lra / 100.0 - ev.loud.lra) <= 0.005, "bext LoudnessRange %d = reported %.3f", lra,
		      ev.loud.lra);
		CHECK(fabs(tp / 100.0 - ev.loud.tp) <= 0.005, "bext MaxTruePeakLevel %d = reported %.3f", tp,
		      ev.loud.tp);
		CHECK(fabs(mm / 100.0 - ev.loud.max_m) <= 0.005,
		      "bext MaxMomentaryLoudness %d = reported %.3f", mm, ev.loud.max_m);
		CHECK(fabs(ms / 100.0 - ev.loud.max_s) <= 0.005,
		      "bext MaxShortTermLoudness %d = reported %.3f", ms, ev.loud.max_s);
		/* origination date/time: the first sample, local time; the time
		 * reference counts samples since that midnight */
		char date[11], clk[9];
		memcpy(date, b + 320, 10), date[10] = 0;
		memcpy(clk, b + 330, 8), clk[8] = 0;
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		CHECK(strptime(date, "%Y-%m-%d", &tm) && strptime(clk, "%H:%M:%S", &tm),
		      "date '%s' time '%s'", date, clk);
		tm.tm_isdst = -1;
		time_t when = mktime(&tm);
		CHECK(when >= before - 1 && when <= time(NULL), "origination %s %s is when the take began",
		      date, clk);
		uint64_t tref = le32(b + 338) | (uint64_t)le32(b + 342) << 32;
		double tod = tm.tm_hour * 3600.0 + tm.tm_min * 60.0 + tm.tm_sec;
		CHECK(tref / (double)RATE >= tod && tref / (double)RATE < tod + 1.0,
		      "time reference %llu samples = %.3f s after midnight, time %s",
		      (unsigned long long)tref, tref / (double)RATE, clk);
		CHECK(w.bext_len > 602 && !memcmp(b + 602, "A=PCM,F=48000,W=24,M=stereo,T=jackmixd-test", 43),
		      "coding history");
	}
	/* libsndfile reads the same values */
	SF_INFO info;
	memset(&info, 0, sizeof info);
	SNDFILE *sf = sf_open(ev.path, SFM_READ, &info);
	SF_BROADCAST_INFO bi;
	memset(&bi, 0, sizeof bi);
	CHECK(sf && sf_command(sf, SFC_GET_BROADCAST_INFO, &bi, sizeof bi) == SF_TRUE,
	      "libsndfile reads bext");
	CHECK(fabs(bi.loudness_value / 100.0 - ev.loud.i) <= 0.005, "libsndfile: loudness_value %d",
	      bi.loudness_value);
	if (sf)
		sf_close(sf);
	recorder_free(rec);
}

/* The live meter: restarts at a record start from the take's first
 * sample, and on request. */
static void test_live(void)
{
	char dir[600], err[128];
	struct recorder_event ev;
	struct loudness_values v;
	uint64_t k = 0;
	subdir(dir, sizeof dir, "live");
	struct recorder *rec = mk(dir, REC_FMT_FLAC, REC_PCM24, 1.0, 4.0, -1);
	CHECK(rec != NULL, "recorder_new (live)");
	if (!rec)
		return;
	struct sine loud = {pow(10.0, -13.0 / 20.0), 1000, 0}, soft = {pow(10.0, -33.0 / 20.0), 1000, 0};
	push(rec, gen_sine, &loud, &k, 5 * RATE, 1, 0, NULL);
	usleep(300000);
	recorder_loudness(rec, &v);
	CHECK_NEAR(v.i, -13.0, 0.15, "live I before the take");
	push(rec, gen_sine, &soft, &k, 5 * RATE, 1, 0, NULL);
	usleep(300000);
	recorder_loudness(rec, &v);
	CHECK(v.i > -20.0, "live I integrates both parts (%.2f)", v.i);
	CHECK_NEAR(v.m, -33.0, 0.15, "live M follows the signal");
	recorder_start(rec, "live", err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STARTED, &ev, 5000) == 0, "live: STARTED (flac)");
	push(rec, gen_sine, &soft, &k, 10 * RATE, 1, 0, NULL);
	usleep(1200000);
	recorder_loudness(rec, &v);
	CHECK_NEAR(v.i, -33.0, 0.15, "live I restarted at the record start");
	recorder_stop(rec, err, sizeof err);
	CHECK(wait_kind(rec, REC_EV_STOPPED, &ev, 10000) == 0, "live: STOPPED");
	CHECK_NEAR(ev.loud.i, -33.0, 0.1, "take I (FLAC take)");
	SF_INFO info;
	float *x = read_all(ev.path, &info);
	CHECK(x && info.frames == (sf_count_t)(11 * RATE) &&
	          (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC,
	      "FLAC take: 1 s pre-roll + 10 s (%lld frames)", x ? (long long)info.frames : -1LL);
	free(x);
	recorder_loudness_reset(rec);
	push(rec, gen_sine, &loud, &k, 3 * RATE, 1, 0, NULL);
	usleep(500000);
	recorder_loudness(rec, &v);
	CHECK_NEAR(v.i, -13.0, 0.15, "live I after /master/loudness/reset");
	recorder_free(rec);
}

static void test_names(void)
{
	static const char *bad[] = {"",
	                            ".hidden",
	                            "../x",
	                            "/etc/passwd",
	                            "a/b",
	                            "a b",
	                            "tab\t",
	                            "x\n",
	                            "caf\xc3\xa9",
	                            "..",
	                            "12345678901234567890123456789012345678901234567890123456789012345"};
	static const char *good[] = {"take1", "Show_2026-11-22", "a.b.c", "X", "-dash"};
	for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!recorder_name_ok(bad[i]), "name '%s' must be refused", bad[i]);
	for (unsigned i = 0; i < sizeof good / sizeof *good; i++)
		CHECK(recorder_name_ok(good[i]), "name '%s' must be accepted", good[i]);
	char dir[600], err[128];
	subdir(dir, sizeof dir, "names");
	struct recorder *rec = mk(dir, REC_FMT_WAV, REC_PCM24, 0, 1.0, -1);
	CHECK(rec && recorder_start(rec, "../escape", err, sizeof err) < 0, "start with '../escape' refused");
	CHECK(rec && recorder_stop(rec, err, sizeof err) < 0 && strstr(err, "not recording"),
	      "stop when idle");
	CHECK(rec && recorder_set_format(rec, REC_FMT_FLAC, REC_FLOAT, err, sizeof err) < 0,
	      "FLAC float refused");
	enum recorder_format f;
	enum recorder_sample s;
	CHECK(recorder_parse_format("flac", &f) == 0 && f == REC_FMT_FLAC, "parse flac");
	CHECK(recorder_parse_format("mp3", &f) < 0, "parse mp3 refused");
	CHECK(recorder_parse_sample("32f", &s) == 0 && s == REC_FLOAT, "parse 32f");
	CHECK(recorder_parse_sample("20", &s) < 0, "parse 20 refused");
	recorder_free(rec);
}

/* The flags the recorder opens WAV files with (RF64 + auto-downgrade)
 * give RIFF below 4 GiB and RF64 with correct ds64 sizes past it.  A
 * sparse hole stands in for 4 GiB of audio. */
static void test_rf64_switch(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/rf64.wav", tmpdir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	SF_INFO info = {0};
	info.samplerate = RATE;
	info.channels = 2;
	info.format = SF_FORMAT_RF64 | SF_FORMAT_PCM_16;
	SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, 0);
	CHECK(sf != NULL, "RF64 open");
	if (!sf)
		return;
	sf_command(sf, SFC_RF64_AUTO_DOWNGRADE, NULL, SF_TRUE);
	short buf[2 * 1000] = {0};
	sf_writef_short(sf, buf, 1000);
	sf_command(sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
	struct wav w;
	CHECK(wav_strict(path, &w, 1) == 0 && !w.rf64, "small: RIFF (%s)", w.why);
	off_t skip = (off_t)4 * 1024 * 1024 * 1024 + 4000; /* whole frames */
	if (lseek(fd, skip, SEEK_CUR) < 0) {
		CHECK(0, "lseek past 4 GiB: %s", strerror(errno));
		sf_close(sf);
		return;
	}
	sf_writef_short(sf, buf, 1000);
	/* the periodic header update is what a take relies on past 4 GiB (the
	 * close would count libsndfile's own frames, which skip the hole) */
	sf_command(sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
	CHECK(wav_strict(path, &w, 1) == 0 && w.rf64, "past 4 GiB: RF64 with ds64 (%s)", w.why);
	CHECK(w.data_bytes == 2000ull * 4 + (uint64_t)skip, "ds64 data size %llu",
	      (unsigned long long)w.data_bytes);
	SF_INFO ri;
	memset(&ri, 0, sizeof ri);
	SNDFILE *rd = sf_open(path, SFM_READ, &ri);
	CHECK(rd && ri.frames == (sf_count_t)((2000ull * 4 + (uint64_t)skip) / 4),
	      "libsndfile reads the RF64 length");
	if (rd)
		sf_close(rd);
	sf_close(sf);
	close(fd);
	unlink(path);
}

/* For rec-ffmpeg.sh: a programme with dynamics (noise bursts, a sweep,
 * level steps) recorded through the whole path; print the bext values. */
static int ffmpeg_take(const char *dir)
{
	char err[128];
	struct recorder_event ev;
	struct recorder *rec = mk(dir, REC_FMT_WAV, REC_PCM24, 0, 4.0, -1);
	if (!rec)
		return 1;
	recorder_start(rec, "ffmpeg", err, sizeof err);
	if (wait_kind(rec, REC_EV_STARTED, &ev, 5000) < 0)
		return 1;
	struct recring *q = recorder_ring(rec);
	uint32_t seed = 12345;
	double lp[2] = {0, 0}, ph = 0;
	float l[PERIOD], r[PERIOD];
	for (uint64_t k = 0; k < 30ull * RATE; k += PERIOD) {
		for (unsigned i = 0; i < PERIOD; i++) {
			double t = (double)(k + i) / RATE;
			double lvl =
			    pow(10.0,
			        (-30.0 + 8.0 * sin(2 * M_PI * t / 7.0) + (fmod(t, 5.0) < 0.4 ? 12 : 0)) / 20);
			double n[2];
			for (int c = 0; c < 2; c++) {
				seed = seed * 1664525u + 1013904223u;
				double u = (double)(seed >> 8) / 16777216.0 - 0.5;
				lp[c] += 0.2 * (u - lp[c]);
				n[c] = lp[c] * 3;
			}
			ph += 2 * M_PI * (200.0 + 100.0 * t * t) / RATE;
			double tone = 0.5 * sin(ph);
			l[i] = (float)(lvl * (n[0] + tone));
			r[i] = (float)(lvl * (0.6 * n[1] + tone * 0.8));
		}
		while (ring_space(q) < PERIOD)
			usleep(200);
		recring_push(q, l, r, PERIOD);
	}
	recorder_stop(rec, err, sizeof err);
	if (wait_kind(rec, REC_EV_STOPPED, &ev, 10000) < 0)
		return 1;
	printf("file=%s i=%.3f tp=%.3f lra=%.3f\n", ev.path, ev.loud.i, ev.loud.tp, ev.loud.lra);
	recorder_free(rec);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--ffmpeg-take"))
		return ffmpeg_take(argv[2]);
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmpdir, sizeof tmpdir, "%s/test_recorder.XXXXXX", base);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_names();
	test_start_status();
	test_exact(REC_FMT_WAV, REC_FLOAT);
	test_exact(REC_FMT_WAV, REC_PCM24);
	test_exact(REC_FMT_WAV, REC_PCM16);
	test_exact(REC_FMT_FLAC, REC_PCM24);
	test_exact(REC_FMT_FLAC, REC_PCM16);
	test_drops();
	test_preroll();
	test_loudness_ebu();
	test_bext();
	test_live();
	test_crash_safety();
	test_full_disk(-1, "reserve", REC_FLOAT);
	/* 24-bit stereo: 6-byte frames, so the disk fills in the middle of one */
	test_full_disk(0, "enospc", REC_PCM24);
	test_rf64_switch();
	test_stems(REC_STEMS_MULTI, REC_FMT_WAV, REC_FLOAT);
	test_stems(REC_STEMS_MULTI, REC_FMT_FLAC, REC_PCM24);
	test_stems(REC_STEMS_SPLIT, REC_FMT_WAV, REC_PCM16);
	test_stems(REC_STEMS_SPLIT, REC_FMT_FLAC, REC_PCM16);
	test_mixer_tap();
	test_stems_names();
	test_stems_write_error();
	test_stems_crash();
	if (!test_failures && !getenv("JMX_KEEP_TMP")) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	} else {
		printf("files kept in %s\n", tmpdir);
	}
	return test_exit("test_recorder");
}
