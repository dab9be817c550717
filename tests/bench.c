/*
 * bench.c - jackmixd-bench: offline cost of the whole console DSP with
 * every stage engaged (input delay, high-pass, gate keyed by another
 * channel, 4 EQ bands, compressor keyed by another channel through the
 * key high-pass, pan,
 * fader, 4 sends per channel half pre / half post, 4 aux buses, master
 * EQ + compressor + width + limiter), rendered period by period from
 * plain buffers exactly as the JACK callback would.
 *
 *   jackmixd-bench [-c mono] [-S stereo] [-b buses] [-r rate] [-p period]
 *                  [-s seconds] [--moving] [--scaling] [--record | --stems] [--utilities]
 *                  [--fx | --effect off|reverb|delay|chorus]
 *   jackmixd-bench --fx-alone [reverb|delay|chorus|all] [-r rate] [-p period] [-s seconds]
 *                  [--no-keys] [--playback]
 *
 * --no-keys leaves the input delay at 0 and every gate and compressor
 * detecting its own channel (the console before issue 15's channel items).
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
 * per input lane more.  --fx is issue 15's console: 8 buses, two reverbs,
 * a delay, a chorus and four subgroups with EQ and compressor, all routed
 * to master (a 20 ms output delay on the subgroups), and each channel's 4
 * sends going to a reverb, the delay, the chorus and a subgroup.
 * --effect TYPE is one effect alone: one mono channel (nothing engaged)
 * sent to one bus running TYPE, routed to master with the master chain
 * out; its cost is the difference from --effect off.
 *
 * --fx-alone measures a bus effect alone (fx.h: reverb with a 3 s decay, delay
 * at 375 ms with feedback 0.5 and damping, chorus at 0.8 Hz, 3 ms),
 * stereo noise in, rendered in JMX_CHUNK pieces per period as the mixer's
 * bus path does: microseconds per period, share of a core and ns per
 * stereo frame.  Instructions per stereo frame of one effect:
 *
 *   for s in 1 2; do valgrind --tool=callgrind --callgrind-out-file=fx.$s \
 *       ./jackmixd-bench --fx-alone reverb -s $s; done
 *   (difference of the two summaries) / 48000
 *
 * --utilities engages the console utilities too:
 * pink noise from the oscillator and talkback (a talk_in input) into the
 * master and every bus, the monitor dimmed and in mono.  Every run
 * also prints the cost of the master's correlation meter (dsp/corr.c,
 * always on) alone, in ns a frame and as a share of the period.
 *
 * --playback puts every channel on playback
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

#include "corr.h"
#include "dsp.h"
#include "fx.h"
#include "mixer.h"
#include "pbring.h"
#include "recring.h"

struct opts {
	unsigned mono, stereo, buses, period;
	double rate, seconds;
	int moving;
	int record; /* 1: master to a ring, 2: master and stems */
	int fx;     /* issue 15's buses (--fx) */
	int effect; /* --effect: position in FX_TYPES, -1 without */
	int nokeys; /* no delays, no keys */
	int utilities;
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
	if (o->effect >= 0) { /* one effect alone */
		set(m, P_CH_SEND_LEVEL, 0, 0, -10);
		set(m, P_BUS_MASTER, 0, 0, 1);
		set(m, P_BUS_FX, 0, 0, (float)o->effect);
		set(m, P_MASTER_LIMITER_ON, 0, 0, 0);
		return;
	}
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
		if (!o->nokeys) {
			/* keys from other groups, earlier and later */
			unsigned n = o->mono + o->stereo;
			set(m, P_CH_DELAY, c, 0, 1.0f + 1.7f * (float)(c % 10));
			set(m, P_CH_GATE_KEY, c, 0, (float)((c + 9) % n + 1));
			set(m, P_CH_DYN_KEY, c, 0, (float)((c + n - 9 % n) % n + 1));
			set(m, P_CH_DYN_KEY_HPF_ON, c, 0, 1);
		}
		for (unsigned b = 0; b < o->buses && !o->fx; b++) {
			set(m, P_CH_SEND_LEVEL, c, b, -10);
			set(m, P_CH_SEND_PRE, c, b, b < o->buses / 2);
		}
		if (o->fx) { /* a reverb, the delay, the chorus, a subgroup */
			const unsigned to[4] = {c % 2, 2, 3, 4 + c % 4};
			for (unsigned k = 0; k < 4; k++)
				set(m, P_CH_SEND_LEVEL, c, to[k], -10);
		}
	}
	for (unsigned b = 0; b < o->buses && o->fx; b++) {
		static const float type[8] = {1, 1, 2, 3, 0, 0, 0, 0}; /* FX_TYPES */
		set(m, P_BUS_MASTER, b, 0, 1);
		set(m, P_BUS_PAN, b, 0, 0.4f + 0.025f * (float)b);
		set(m, P_BUS_FX, b, 0, type[b]);
		if (type[b] != 0)
			continue;
		set(m, P_BUS_EQ_ON, b, 0, 1);
		for (unsigned k = 0; k < JMX_BANDS; k++)
			set(m, P_BUS_EQ_DB, b, k, k & 1 ? -3.0f : 3.0f);
		set(m, P_BUS_DYN_ON, b, 0, 1);
		set(m, P_BUS_DYN_THR, b, 0, -30);
		set(m, P_BUS_DELAY, b, 0, 20);
	}
	set(m, P_MASTER_EQ_ON, 0, 0, 1);
	for (unsigned b = 0; b < JMX_BANDS; b++)
		set(m, P_MASTER_EQ_DB, 0, b, b & 1 ? -2.0f : 2.0f);
	set(m, P_MASTER_COMP_ON, 0, 0, 1);
	set(m, P_MASTER_WIDTH, 0, 0, 1.2f);
	set(m, P_MASTER_LEVELER_ON, 0, 0, 1);
	set(m, P_MASTER_LIMITER_ON, 0, 0, 1);
	if (!o->utilities)
		return;
	set(m, P_GEN_TYPE, 0, 0, 1); /* pink: the dearest */
	set(m, P_GEN_LEVEL, 0, 0, -30);
	set(m, P_GEN_ON, 0, 0, 1);
	set(m, P_TALK_ON, 0, 0, 1);
	set(m, P_TALK_DEST_MASTER, 0, 0, 1);
	set(m, P_MON_MONO, 0, 0, 1);
	set(m, P_MON_DIM, 0, 0, 1);
}

/* The correlation meter alone on a master pair, in 64-frame chunks as
 * the mixer runs it: ns a frame. */
static double corr_cost(const float *l, const float *r, size_t len)
{
	struct corr c = {0};
	volatile float sink;
	const unsigned reps = 20000;
	double t0 = now(CLOCK_THREAD_CPUTIME_ID);
	for (unsigned k = 0; k < reps; k++)
		for (size_t i = 0; i + 64 <= len; i += 64)
			corr_run(&c, l + i, r + i, 64, 0.004f);
	sink = corr_value(&c) + corr_loss_db(&c); /* and its two readings, per piece in the mixer */
	(void)sink;
	return (now(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e9 / ((double)reps * (double)(len / 64 * 64));
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
	double corr_ns; /* the correlation meter, ns a frame */
};

static int run(const struct opts *o, struct result *res)
{
	struct mixer_config cfg = {o->mono, o->stereo, o->buses, o->rate, (unsigned)o->utilities};
	struct mixer *m = mixer_new(&cfg);
	if (!m) {
		fprintf(stderr, "jackmixd-bench: mixer_new failed (%u mono, %u stereo, %u buses)\n", o->mono,
		        o->stereo, o->buses);
		return -1;
	}
	const unsigned lanes = mixer_lanes(m), nin = mixer_inputs(m), nout = mixer_outputs(m), ring = 16;
	const size_t len = (size_t)ring * o->period;
	float *inbuf = calloc((size_t)nin * len, sizeof(float));
	float *outbuf = calloc((size_t)nout * o->period, sizeof(float));
	const float **in = calloc(nin, sizeof *in);
	float **out = calloc(nout, sizeof *out);
	if (!inbuf || !outbuf || !in || !out) {
		fprintf(stderr, "jackmixd-bench: out of memory\n");
		return -1;
	}
	/* noise at about -20 dBFS plus a tone per lane: gates open, compressors
	 * work */
	uint32_t seed = 12345;
	for (unsigned l = 0; l < nin; l++)
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
		for (unsigned l = 0; l < nin; l++)
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
	res->corr_ns = corr_cost(inbuf, inbuf + len, len);

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

static void usage(void);

/* One effect alone: mean CPU time a period, worst wall-clock period. */
static int run_fx(const struct opts *o, enum fx_type type, struct result *res)
{
	struct fx *fx = fx_new(o->rate, o->rate);
	if (!fx) {
		fprintf(stderr, "jackmixd-bench: fx_new failed\n");
		return -1;
	}
	static const float v[FXP_COUNT] = {
	    [FXP_DECAY_S] = 3,  [FXP_PREDELAY_MS] = 20, [FXP_DAMP_HZ] = 6000, [FXP_LOWCUT_HZ] = 100,
	    [FXP_SIZE] = 0.6f,  [FXP_WIDTH] = 1,        [FXP_TIME_MS] = 375,  [FXP_FEEDBACK] = 0.5f,
	    [FXP_PINGPONG] = 1, [FXP_SYNC] = 0,         [FXP_DIVISION] = 4,   [FXP_RATE_HZ] = 0.8f,
	    [FXP_DEPTH_MS] = 3,
	};
	for (unsigned k = 0; k < FXP_COUNT; k++) {
		fx_set(fx, (enum fx_param)k, v[k]);
		fx_jump(fx, (enum fx_param)k);
	}
	fx_set_type(fx, type);
	const unsigned ring = 16;
	const size_t len = (size_t)ring * o->period;
	float *in = calloc(2 * len, sizeof(float)), *out = calloc(2 * (size_t)o->period, sizeof(float));
	if (!in || !out) {
		fprintf(stderr, "jackmixd-bench: out of memory\n");
		return -1;
	}
	uint32_t seed = 777;
	for (size_t t = 0; t < 2 * len; t++)
		in[t] = 0.2f * noise(&seed);
	const unsigned periods = (unsigned)(o->seconds * o->rate / o->period + 0.5);
	const unsigned warm = (unsigned)(0.5 * o->rate / o->period);
	double tmax = 0, t0 = 0;
	for (unsigned p = 0; p < warm + periods; p++) {
		if (p == warm)
			t0 = now(CLOCK_THREAD_CPUTIME_ID);
		const float *l = in + (size_t)(p % ring) * o->period, *r = l + len;
		double a = now(CLOCK_MONOTONIC);
		for (unsigned t = 0; t < o->period; t += JMX_CHUNK) {
			unsigned c = o->period - t < JMX_CHUNK ? o->period - t : JMX_CHUNK;
			fx_process(fx, l + t, r + t, out + t, out + o->period + t, c);
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
	res->ns_cs = total * 1e9 / ((double)periods * o->period);
	free(in);
	free(out);
	fx_free(fx);
	return 0;
}

static int bench_fx(const struct opts *o, const char *which)
{
	static const char *const names[] = {"off", "reverb", "delay", "chorus"};
	printf("jackmixd-bench: bus effects alone, %g Hz, %u-frame periods, %g s of audio a run\n", o->rate,
	       o->period, o->seconds);
	printf("%8s %12s %12s %10s %14s\n", "effect", "us/period", "worst wall", "% of core", "ns/frame");
	int any = 0;
	for (unsigned k = FX_REVERB; k <= FX_CHORUS; k++) {
		if (strcmp(which, "all") && strcmp(which, names[k]))
			continue;
		struct result res;
		if (run_fx(o, (enum fx_type)k, &res))
			return 1;
		printf("%8s %12.2f %12.2f %10.3f %14.2f\n", names[k], res.us_mean, res.us_max, res.load,
		       res.ns_cs);
		fflush(stdout);
		any = 1;
	}
	if (!any)
		usage();
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: jackmixd-bench [-c mono] [-S stereo] [-b buses] [-r rate] [-p period]\n"
	                "                      [-s seconds] [--moving] [--scaling] [--record | --stems]\n"
	                "                      [--fx | --effect off|reverb|delay|chorus]\n"
	                "       jackmixd-bench --fx-alone [reverb|delay|chorus|all] [-r rate] [-p period] "
	                "[-s seconds]\n"
	                "                      [--no-keys] [--utilities] [--playback]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {128, 0, 4, 64, 48000.0, 10.0, 0, 0, 0, -1, 0, 0, 0};
	int scaling = 0;
	const char *fx = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--fx-alone")) {
			fx = i + 1 < argc && argv[i + 1][0] != '-' ? argv[++i] : "all";
			continue;
		}
		if (!strcmp(a, "--scaling")) {
			scaling = 1;
			continue;
		}
		if (!strcmp(a, "--utilities")) {
			o.utilities = 1;
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
		if (!strcmp(a, "--no-keys")) {
			o.nokeys = 1;
			continue;
		}
		if (!strcmp(a, "--effect") && i + 1 < argc) {
			static const char *const names[] = {"off", "reverb", "delay",
			                                    "chorus"}; /* FX_TYPES */
			o.effect = 4;
			for (int k = 0; k < 4; k++)
				if (!strcmp(argv[i + 1], names[k]))
					o.effect = k;
			if (o.effect == 4)
				usage();
			o.mono = 1, o.stereo = 0, o.buses = 1, o.nokeys = 1;
			i++;
			continue;
		}
		if (!strcmp(a, "--fx")) {
			o.fx = 1;
			o.buses = 8;
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

	if (fx)
		return bench_fx(&o, fx);
	printf("jackmixd-bench: %g Hz, %u-frame periods, %u buses%s, %g s of audio a run%s%s%s%s\n", o.rate,
	       o.period, o.buses, o.fx ? " (2 reverbs, delay, chorus, 4 subgroups; all to master)" : "",
	       o.seconds, o.nokeys ? ", no delays or keys" : "", o.moving ? ", EQ sweeping" : "",
	       o.utilities ? ", oscillator, talkback, monitor dim and mono" : "",
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
		printf(
		    "%6s correlation meter: %.2f ns a frame, %.3f us a period (%.2f %% of this one's cost)\n",
		    "", res.corr_ns, res.corr_ns * r.period * 1e-3,
		    100.0 * res.corr_ns * r.period * 1e-3 / res.us_mean);
		fflush(stdout);
	}
	return 0;
}
