/*
 * jackmixd_render.c - jackmixd-render: a mix of a take's stems (or of any
 * audio files, one per channel) through the console's own DSP with a
 * state or scene file, faster than real time and without JACK
 * (man/jackmixd-render.1; the engine is src/offline/render.c).
 *
 *   jackmixd-render -c 8 [--stereo-channels 2] [-b 4] -s show.state \
 *       -i take.stems.wav -o mix.wav [--bus-out DIR] [--bits 24] [--start S]
 *
 * Threads: one (the program's).  Exit status: 0 done, 1 an input, an
 * output or the run failed, 2 bad options.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recorder.h"
#include "render.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

#define ME "jackmixd-render"

static void usage(FILE *f)
{
	fprintf(f, "usage: " ME " -c CHANNELS [--stereo-channels N] [-b BUSES] [-s STATE]\n"
	           "           -i INPUT [-i INPUT ...] -o MIX.wav|.flac [--bus-out DIR]\n"
	           "           [--bits 16|24|32f] [--start SECONDS] [--period FRAMES] [-q]\n"
	           "INPUT: NAME.stems.wav (a take's stems, one channel per input lane),\n"
	           "       NAME.chNN.wav (a take's stem of channel NN), or N=FILE (any file\n"
	           "       feeds channel N as its live input: mono or stereo like the channel).\n"
	           "Same rates only: " ME " does not resample.\n");
}

static void bar(void *ctx, double done)
{
	(void)ctx;
	int w = 40, k = (int)(done * w + 0.5);
	fprintf(stderr, "\r[%.*s%*s] %3.0f%%", k, "########################################", w - k, "",
	        done * 100.0);
	if (done >= 1.0)
		fputc('\n', stderr);
	fflush(stderr);
}

static int num(const char *s, double lo, double hi, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return *s && !*end && *v >= lo && *v <= hi ? 0 : -1;
}

int main(int argc, char **argv)
{
	enum { OPT_STEREO = 256, OPT_BUSOUT, OPT_BITS, OPT_START, OPT_PERIOD };
	static const struct option lo[] = {
	    {"channels", required_argument, NULL, 'c'},
	    {"stereo-channels", required_argument, NULL, OPT_STEREO},
	    {"buses", required_argument, NULL, 'b'},
	    {"state", required_argument, NULL, 's'},
	    {"input", required_argument, NULL, 'i'},
	    {"output", required_argument, NULL, 'o'},
	    {"bus-out", required_argument, NULL, OPT_BUSOUT},
	    {"bits", required_argument, NULL, OPT_BITS},
	    {"start", required_argument, NULL, OPT_START},
	    {"period", required_argument, NULL, OPT_PERIOD},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static const char *inputs[RENDER_MAX_INPUTS];
	struct render_config c = {0};
	double channels = 0, stereo = 0, buses = 4, v;
	int quiet = 0, opt;
	const char *bits = "24";
	c.sample = REC_PCM24;
	while ((opt = getopt_long(argc, argv, "c:b:s:i:o:qhV", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (num(optarg, 1, 256, &channels) < 0)
				goto bad;
			break;
		case OPT_STEREO:
			if (num(optarg, 0, 256, &stereo) < 0)
				goto bad;
			break;
		case 'b':
			if (num(optarg, 0, 32, &buses) < 0)
				goto bad;
			break;
		case 's':
			c.state = optarg;
			break;
		case 'i':
			if (c.ninputs >= RENDER_MAX_INPUTS)
				goto bad;
			inputs[c.ninputs++] = optarg;
			break;
		case 'o':
			c.out = optarg;
			break;
		case OPT_BUSOUT:
			c.bus_dir = optarg;
			break;
		case OPT_BITS:
			bits = optarg;
			if (recorder_parse_sample(optarg, &c.sample) < 0)
				goto bad;
			break;
		case OPT_START:
			if (num(optarg, 0, 86400, &c.start_s) < 0)
				goto bad;
			break;
		case OPT_PERIOD:
			if (num(optarg, 16, 8192, &v) < 0)
				goto bad;
			c.period = (unsigned)v;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(ME " " PACKAGE_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (; optind < argc && c.ninputs < RENDER_MAX_INPUTS; optind++)
		inputs[c.ninputs++] = argv[optind]; /* a shell's glob of take.ch*.wav */
	if (!channels || stereo > channels || !c.out || !c.ninputs) {
		fprintf(stderr, ME ": %s\n",
		        !channels           ? "-c CHANNELS is needed (the console's, as jackmixd -c)"
		        : stereo > channels ? "--stereo-channels is more than -c"
		        : !c.out            ? "-o MIX is needed"
		                            : "no input (-i)");
		usage(stderr);
		return 2;
	}
	c.stereo = (unsigned)stereo;
	c.mono = (unsigned)channels - c.stereo;
	c.buses = (unsigned)buses;
	c.inputs = inputs;
	size_t ol = strlen(c.out);
	c.format = ol > 5 && !strcmp(c.out + ol - 5, ".flac") ? REC_FMT_FLAC : REC_FMT_WAV;
	if (!quiet && isatty(2)) {
		c.progress = bar;
	}
	struct render_result res;
	char err[1024];
	if (render_run(&c, &res, err, sizeof err) < 0) {
		fprintf(stderr, ME ": %s\n", err);
		return 1;
	}
	if (!quiet) {
		double secs = (double)res.frames / res.rate;
		fprintf(stderr,
		        ME ": %s: %.2f s at %u Hz (%s bits), %.1f LUFS, %.1f dBTP; "
		           "%.2f s of CPU, %.0fx real time; latency %u frames compensated\n",
		        c.out, secs, res.rate, bits, res.lufs, res.tp, res.cpu_s,
		        res.cpu_s > 0 ? secs / res.cpu_s : 0.0, res.latency);
	}
	return 0;
bad:
	fprintf(stderr, ME ": bad value for an option: %s\n", optarg ? optarg : "(too many)");
	usage(stderr);
	return 2;
}
