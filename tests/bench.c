/*
 * bench.c - jackmixd-bench: offline cost of the whole console DSP with
 * every stage engaged (high-pass, gate, 4 EQ bands, compressor, pan,
 * fader, 4 sends per channel half pre / half post, 4 aux buses, master
 * EQ + compressor + width + limiter), rendered period by period from
 * plain buffers exactly as the JACK callback would.
 *
 *   jackmixd-bench [-c mono] [-S stereo] [-b buses] [-r rate] [-p period]
 *                  [-s seconds] [--moving] [--scaling] [--record | --stems]
 *                  [--playback]
 *
 * Prints microseconds per period (mean CPU time of the rendering thread,
 * which is what other load on the machine disturbs least, and the worst
 * wall-clock period), the share of one core that real time would take,
 * and nanoseconds per channel-sample, where a
 * "channel" is an audio lane (a stereo channel counts twice).  --scaling
 * prints the same for 8, 16, ... 512 lanes (512 as 256 stereo channels:
 * a console holds at most JMX_MAX_CHANNELS channels).  --moving sweeps
 * every channel's EQ frequency all the time, the worst case for filter
 * coefficient updates.  --record adds what the process callback does for
 * the recorder, pushing master L/R into a recorder ring of 10 s (as the
 * daemon does; the consumer is stubbed out); --stems does that with
 * --record-stems on: the mixer's post-trim tap and a ring with a column
 * per input lane more.  --playback puts every channel on playback
 * (/ch/<n>/source) from a playback ring (pbring_read and the strips'
 * source stage, what a virtual soundcheck adds to the audio thread).
 *
 * Instructions per channel-sample with callgrind (a fixed amount of work;
 * the set-up and warm-up cost is removed by running two durations):
 *
 *   for s in 1 2; do valgrind --tool=callgrind --callgrind-out-file=cg.$s \
 *       ./jackmixd-bench -c 128 -s $s; done
 *   i1=$(awk '/^summary:/ {print $2}' cg.1); i2=$(awk '/^summary:/ {print $2}' cg.2)
 *   echo "($i2 - $i1) / (128 * 48000)" | bc -l
 *
 * Not a test: it asserts nothing and its figures depend on the machine.
 * Threads: single-threaded; it calls the RT functions from main.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsp.h"
#include "mixer.h"
#include "pbring.h"
#include "recring.h"

struct opts {
	unsigned mono, stereo, buses, period;
	double rate, seconds;
	int moving;
	int record;   /* 1: master to a ring, 2: master and stems */
	int playback; /* every channel on playback from a pbring (virtual soundcheck) */
};

static double now(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void set(struct mixer *m, enum param_id id, unsigned i1, unsigned i2, float v)
{
	struct rt_msg msg = {(uint16_t)id, (uint16_t)i1, (uint16_t)i2, RT_SET, v, 0.0f};
	mixer_apply(m, &msg);
}

static void engage(struct mixer *m, const struct opts *o)
{
	for (unsigned c = 0; c < o->mono + o->stereo; c++) {
		set(m, P_CH_HPF_ON, c, 0, 1);
		set(m, P_CH_HPF_HZ, c, 0, 80);
		set(m, P_CH_GATE_ON, c, 0, 1);
		set(m, P_CH_GATE_THR, c, 0, -50);
		set(m, P_CH_EQ_ON, c, 0, 1);
		for (unsigned b = 0; b < JMX_BANDS; b++) {
			set(m, P_CH_EQ_DB, c, b, b & 1 ? -3.0f : 4.0f);
			set(m, P_CH_EQ_Q, c, b, 1.0f);
		}
		set(m, P_CH_DYN_ON, c, 0, 1);
		set(m, P_CH_DYN_THR, c, 0, -25);
		set(m, P_CH_DYN_RATIO, c, 0, 3);
		set(m, P_CH_DYN_MAKEUP, c, 0, 3);
		set(m, P_CH_FADER, c, 0, -5);
		set(m, P_CH_PAN, c, 0, (float)(c % 9) / 8.0f);
		for (unsigned b = 0; b < o->buses; b++) {
			set(m, P_CH_SEND_LEVEL, c, b, -10);
			set(m, P_CH_SEND_PRE, c, b, b < o->buses / 2);
		}
	}
	set(m, P_MASTER_EQ_ON, 0, 0, 1);
	for (unsigned b = 0; b < JMX_BANDS; b++)
		set(m, P_MASTER_EQ_DB, 0, b, b & 1 ? -2.0f : 2.0f);
	set(m, P_MASTER_COMP_ON, 0, 0, 1);
	set(m, P_MASTER_WIDTH, 0, 0, 1.2f);
	set(m, P_MASTER_LEVELER_ON, 0, 0, 1);
	set(m, P_MASTER_LIMITER_ON, 0, 0, 1);
}

/* xorshift noise: deterministic and cheap */
static float noise(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (float)*s / 4294967296.0f - 0.5f;
}

struct result {
	double us_mean, us_max, load, ns_cs;
};

static int run(const struct opts *o, struct result *res)
{
	struct mixer_config cfg = {o->mono, o->stereo, o->buses, o->rate};
	struct mixer *m = mixer_new(&cfg);
	if (!m) {
		fprintf(stderr, "jackmixd-bench: mixer_new failed (%u mono, %u stereo, %u buses)\n", o->mono,
		        o->stereo, o->buses);
		return -1;
	}
	const unsigned lanes = mixer_lanes(m), nout = mixer_outputs(m), ring = 16;
	const size_t len = (size_t)ring * o->period;
	float *inbuf = calloc((size_t)lanes * len, sizeof(float));
	float *outbuf = calloc((size_t)nout * o->period, sizeof(float));
	const float **in = calloc(lanes, sizeof *in);
	float **out = calloc(nout, sizeof *out);
	if (!inbuf || !outbuf || !in || !out) {
		fprintf(stderr, "jackmixd-bench: out of memory\n");
		return -1;
	}
	/* noise at about -20 dBFS plus a tone per lane: gates open, compressors
	 * work */
	uint32_t seed = 12345;
	for (unsigned l = 0; l < lanes; l++)
		for (size_t t = 0; t < len; t++)
			inbuf[l * len + t] =
			    0.2f * noise(&seed) +
			    0.3f * sinf(6.2831853f * (float)(200 + 37 * l) * (float)t / (float)o->rate);
	for (unsigned k = 0; k < nout; k++)
		out[k] = outbuf + (size_t)k * o->period;
	engage(m, o);
	struct recring q;
	memset(&q, 0, sizeof q);
	if (o->record && ((o->record == 2 && mixer_tap_new(m) < 0) ||
	                  recring_wide_new(&q, (uint32_t)(10 * o->rate), o->record == 2 ? lanes : 0,
	                                   (uint32_t)(o->rate / 50)) < 0)) {
		fprintf(stderr, "jackmixd-bench: out of memory for the recorder ring\n");
		return -1;
	}

	/* --playback: the ring's consumer and the strips' source stage; the
	 * producer only republishes blocks filled once (its cost is the
	 * disk thread's, not the audio thread's) */
	struct pbring pb;
	memset(&pb, 0, sizeof pb);
	if (o->playback) {
		if (pbring_new(&pb, lanes, 16) < 0) {
			fprintf(stderr, "jackmixd-bench: out of memory for the playback ring\n");
			return -1;
		}
		for (size_t i = 0; i < (size_t)16 * PBRING_BLOCK * lanes; i++)
			pb.buf[i] = 0.3f * noise(&seed);
		for (unsigned c = 0; c < o->mono + o->stereo; c++)
			set(m, P_CH_SOURCE, c, 0, 1);
		pbring_play(&pb, 1);
	}

	const unsigned periods = (unsigned)(o->seconds * o->rate / o->period + 0.5);
	const unsigned warm = (unsigned)(0.5 * o->rate / o->period);
	double tmax = 0, t0 = 0;
	for (unsigned p = 0; p < warm + periods; p++) {
		if (p == warm)
			t0 = now(CLOCK_THREAD_CPUTIME_ID);
		if (o->moving)
			for (unsigned c = 0; c < o->mono + o->stereo; c++)
				set(m, P_CH_EQ_HZ, c, 1, 300.0f + 200.0f * (float)((p / 8 + c) % 16));
		for (unsigned l = 0; l < lanes; l++)
			in[l] = inbuf + l * len + (size_t)(p % ring) * o->period;
		while (o->playback && pbring_space(&pb)) {
			struct pbring_meta *bm;
			pbring_block(&pb, &bm);
			*bm = (struct pbring_meta){atomic_load(&pb.epoch), PBRING_BLOCK, 0, 0};
			pbring_commit(&pb);
		}
		double a = now(CLOCK_MONOTONIC);
		if (o->playback)
			mixer_set_playback(m, pbring_read(&pb, o->period));
		mixer_process(m, in, out, o->period);
		if (o->record) {
			recring_push_ext(&q, out[0], out[1], mixer_tap(m), o->period);
			recring_release(&q, recring_head(&q)); /* the consumer, cheaply */
		}
		double d = now(CLOCK_MONOTONIC) - a;
		if (p >= warm && d > tmax)
			tmax = d;
	}
	double total = now(CLOCK_THREAD_CPUTIME_ID) - t0;
	double per = total / periods, real = (double)o->period / o->rate;
	res->us_mean = per * 1e6;
	res->us_max = tmax * 1e6;
	res->load = 100.0 * per / real;
	res->ns_cs = total * 1e9 / ((double)periods * o->period * lanes);

	free(inbuf);
	free(outbuf);
	free(in);
	free(out);
	recring_free(&q);
	if (o->playback)
		pbring_free(&pb);
	mixer_free(m);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: jackmixd-bench [-c mono] [-S stereo] [-b buses] [-r rate] [-p period]\n"
	                "                      [-s seconds] [--moving] [--scaling] [--record | --stems]\n"
	                "                      [--playback]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {128, 0, 4, 64, 48000.0, 10.0, 0, 0, 0};
	int scaling = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--scaling")) {
			scaling = 1;
			continue;
		}
		if (!strcmp(a, "--playback")) {
			o.playback = 1;
			continue;
		}
		if (!strcmp(a, "--moving")) {
			o.moving = 1;
			continue;
		}
		if (!strcmp(a, "--record") || !strcmp(a, "--stems")) {
			o.record = a[2] == 'r' ? 1 : 2;
			continue;
		}
		if (i + 1 >= argc || a[0] != '-' || strlen(a) != 2)
			usage();
		const char *v = argv[++i];
		switch (a[1]) {
		case 'c':
			o.mono = (unsigned)atoi(v);
			break;
		case 'S':
			o.stereo = (unsigned)atoi(v);
			break;
		case 'b':
			o.buses = (unsigned)atoi(v);
			break;
		case 'r':
			o.rate = atof(v);
			break;
		case 'p':
			o.period = (unsigned)atoi(v);
			break;
		case 's':
			o.seconds = atof(v);
			break;
		default:
			usage();
		}
	}
	if (o.mono + o.stereo < 1 || o.mono + o.stereo > JMX_MAX_CHANNELS || o.buses > JMX_MAX_BUSES ||
	    o.period < 1 || o.period > JMX_MAX_FRAMES || !(o.rate >= 8000) || !(o.seconds > 0))
		usage();

	printf("jackmixd-bench: %g Hz, %u-frame periods, %u buses, %g s of audio a run%s%s\n", o.rate,
	       o.period, o.buses, o.seconds, o.moving ? ", EQ sweeping" : "",
	       o.record == 2 ? ", master and stems to the recorder ring"
	       : o.record    ? ", master to the recorder ring"
	                     : "");
	printf("%6s %6s %6s %12s %12s %10s %14s\n", "lanes", "mono", "stereo", "us/period", "worst wall",
	       "% of core", "ns/ch-sample");
	static const unsigned table[] = {8, 16, 32, 64, 128, 256, 512};
	for (unsigned k = 0; k < (scaling ? 7u : 1u); k++) {
		struct opts r = o;
		struct result res;
		if (scaling) {
			r.mono = table[k] <= JMX_MAX_CHANNELS ? table[k] : 0;
			r.stereo = table[k] <= JMX_MAX_CHANNELS ? 0 : table[k] / 2;
		}
		if (run(&r, &res))
			return 1;
		printf("%6u %6u %6u %12.2f %12.2f %10.2f %14.3f\n", r.mono + 2 * r.stereo, r.mono, r.stereo,
		       res.us_mean, res.us_max, res.load, res.ns_cs);
		fflush(stdout);
	}
	return 0;
}
