/*
 * bench_recorder.c - the recorder's costs (a benchmark, not a test):
 *
 *   jackmixd-rec-bench [SECONDS] [DIR]
 *
 * 1. RT: what recring_push adds to the audio thread, per period of 64,
 *    128 and 256 frames (the ring drained by hand, so only the push is
 *    timed), and as a share of one core at 48 kHz.
 * 2. Disk thread: SECONDS (default 60) of a 48 kHz stereo programme
 *    pushed through the real ring into the real disk thread, with the live
 *    and take loudness meters running, for WAV 24-bit, WAV 32-bit float,
 *    FLAC 16 and FLAC 24 (files in DIR, default $TMPDIR or /tmp, removed
 *    afterwards); the disk thread's CPU time (process minus this thread)
 *    as a share of one core at real time.  Plus the live meter alone (no
 *    take).
 *
 * Threads: main plays the RT thread and the control thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recorder.h"
#include "recring.h"

#define RATE 48000u

static double clk(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_push(void)
{
	struct recring q;
	static float l[256], r[256];
	for (unsigned i = 0; i < 256; i++)
		l[i] = r[i] = (float)sin(i * 0.1);
	if (recring_new(&q, RATE * 10, RATE / 50) < 0)
		return;
	printf("RT path (recring_push, master L/R -> ring):\n");
	for (unsigned n = 64; n <= 256; n *= 2) {
		const unsigned iters = 2000000 / n * 64;
		double t0 = clk(CLOCK_THREAD_CPUTIME_ID);
		for (unsigned i = 0; i < iters; i++) {
			recring_push(&q, l, r, n);
			if ((i & 63) == 63)
				recring_release(&q, recring_head(&q)); /* the consumer, cheaply */
		}
		double dt = clk(CLOCK_THREAD_CPUTIME_ID) - t0;
		double per = dt / iters;
		printf("  %3u-frame period: %6.0f ns (%.2f ns/frame), %.4f %% of one core at 48 kHz\n", n,
		       per * 1e9, per * 1e9 / n, per / ((double)n / RATE) * 100);
		while (sem_trywait(&q.wake) == 0)
			;
	}
	recring_free(&q);
}

static int wait_kind(struct recorder *rec, enum recorder_event_kind kind, int timeout_ms)
{
	struct recorder_event ev;
	struct pollfd p = {recorder_event_fd(rec), POLLIN, 0};
	for (int w = 0; w <= timeout_ms; w += 10) {
		while (recorder_next_event(rec, &ev) == 0)
			if (ev.kind == kind)
				return 0;
		poll(&p, 1, 10);
	}
	return -1;
}

/* A programme: filtered noise and a tone, -20 dBFS or so. */
static void programme(uint64_t k, float *l, float *r, unsigned n)
{
	static uint32_t seed = 1;
	static float lp;
	for (unsigned i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		lp += 0.1f * ((float)(seed >> 8) / 16777216.0f - 0.5f - lp);
		float tone = 0.05f * sinf((float)(k + i) * 0.0654f);
		l[i] = lp * 0.3f + tone;
		r[i] = lp * 0.2f - tone;
	}
}

static void bench_disk(const char *label, const char *dir, int take, enum recorder_format f,
                       enum recorder_sample s, double seconds)
{
	struct recorder_config c;
	char err[128];
	memset(&c, 0, sizeof c);
	c.dir = dir;
	c.rate = RATE;
	c.format = f;
	c.sample = s;
	c.buffer_s = 4;
	c.reserve_bytes = 0;
	c.originator = "bench";
	struct recorder *rec = recorder_new(&c);
	if (!rec)
		return;
	struct recring *q = recorder_ring(rec);
	float l[256], r[256];
	uint64_t total = (uint64_t)(seconds * RATE), k = 0;
	if (take) {
		recorder_start(rec, "bench", err, sizeof err);
		wait_kind(rec, REC_EV_STARTED, 5000);
	}
	double p0 = clk(CLOCK_PROCESS_CPUTIME_ID), m0 = clk(CLOCK_THREAD_CPUTIME_ID),
	       w0 = clk(CLOCK_MONOTONIC);
	while (k < total) {
		programme(k, l, r, 256);
		while (q->cap - (recring_head(q) - recring_tail(q)) < 256)
			usleep(100);
		recring_push(q, l, r, 256);
		k += 256;
	}
	if (take) {
		recorder_stop(rec, err, sizeof err);
		wait_kind(rec, REC_EV_STOPPED, 60000);
	} else {
		while (recring_tail(q) != recring_head(q))
			usleep(1000); /* the live meter has seen everything */
	}
	double proc = clk(CLOCK_PROCESS_CPUTIME_ID) - p0, mine = clk(CLOCK_THREAD_CPUTIME_ID) - m0,
	       wall = clk(CLOCK_MONOTONIC) - w0;
	double disk = proc - mine;
	printf(
	    "  %-26s %5.2f %% of one core at real time (%.2f s CPU for %.0f s of audio, %.0fx real time)\n",
	    label, disk / seconds * 100, disk, seconds, seconds / wall);
	recorder_free(rec);
	if (take) {
		char cmd[1024];
		snprintf(cmd, sizeof cmd, "rm -f '%s'/bench*", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot clean %s\n", dir);
	}
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 60;
	const char *dir = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	bench_push();
	printf("disk thread, 48 kHz stereo, %.0f s of audio into %s (live + take loudness included):\n",
	       seconds, dir);
	bench_disk("live loudness only", dir, 0, REC_FMT_WAV, REC_PCM24, seconds);
	bench_disk("WAV 24-bit (TPDF dither)", dir, 1, REC_FMT_WAV, REC_PCM24, seconds);
	bench_disk("WAV 32-bit float", dir, 1, REC_FMT_WAV, REC_FLOAT, seconds);
	bench_disk("FLAC 16-bit", dir, 1, REC_FMT_FLAC, REC_PCM16, seconds);
	bench_disk("FLAC 24-bit", dir, 1, REC_FMT_FLAC, REC_PCM24, seconds);
	return 0;
}
