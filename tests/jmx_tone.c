/*
 * jmx_tone.c - a small JACK client for the integration tests: plays a sine
 * on each of its output ports (port k at base * (k + 1) Hz, all at the same
 * level) and meters the peak of its two inputs, until SIGTERM or SIGINT.
 *
 *   jmx_tone [-n NAME] [-c OUTPUTS] [-f BASE_HZ] [-a DBFS] [-m METERFILE]
 *            [-C PORT] [--rt-malloc] [--process-thread]
 *
 * Ports: out_1 .. out_N, in_L, in_R.  The server is JACK_DEFAULT_SERVER
 * (never started automatically).  With -m, every 100 ms the file is
 * replaced (write + rename) by one line "peak_dbfs=X cycles=N": X is the
 * largest |sample| seen on in_L or in_R during those 100 ms, in dBFS
 * (-200 for digital silence), N the process cycles run so far.
 * -C REGEX connects out_k to the k-th input port matching REGEX (as
 * jack_get_ports matches) after activation, as a player
 * (sndfile-jackplay) connects itself.
 * --rt-malloc makes the process callback call malloc and free on every
 * cycle: the negative control that proves the RT shim sees the JACK
 * process thread.  --process-thread runs the same work from a thread of
 * its own (jack_set_process_thread, jack_cycle_wait/jack_cycle_signal)
 * instead of a process callback: the other way a client can be driven.
 *
 * Threads: the JACK process callback (RT) renders and meters with atomics
 * only (unless --rt-malloc); main does option parsing, the meter file and
 * shutdown.  Signal handlers only set a flag.
 */
#include <errno.h>
#include <getopt.h>
#include <jack/jack.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TONE_MAX_OUT 64

static jack_client_t *client;
static jack_port_t *outs[TONE_MAX_OUT], *ins[2];
static unsigned nouts = 2;
static double phase[TONE_MAX_OUT], step[TONE_MAX_OUT];
static float amp;
static int rt_malloc;
static atomic_uint peak_bits; /* float bits of the max |in| since last take */
static atomic_ulong cycles;
static volatile sig_atomic_t stop;
static atomic_int server_gone;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_shutdown(void *arg)
{
	(void)arg;
	atomic_store(&server_gone, 1);
}

static void peak_raise(float p)
{
	uint32_t bits, old = atomic_load_explicit(&peak_bits, memory_order_relaxed);
	memcpy(&bits, &p, sizeof(bits));
	/* non-negative floats order like their bit patterns */
	while (bits > old && !atomic_compare_exchange_weak_explicit(
	                         &peak_bits, &old, bits, memory_order_relaxed, memory_order_relaxed))
		;
}

static int process(jack_nframes_t n, void *arg)
{
	(void)arg;
	for (unsigned k = 0; k < nouts; k++) {
		float *o = jack_port_get_buffer(outs[k], n);
		double ph = phase[k];
		for (jack_nframes_t i = 0; i < n; i++) {
			o[i] = amp * (float)sin(ph);
			ph += step[k];
		}
		phase[k] = fmod(ph, 2.0 * M_PI);
	}
	float p = 0.0f;
	for (int c = 0; c < 2; c++) {
		const float *in = jack_port_get_buffer(ins[c], n);
		for (jack_nframes_t i = 0; i < n; i++)
			p = fabsf(in[i]) > p ? fabsf(in[i]) : p;
	}
	peak_raise(p);
	if (rt_malloc) {
		void *volatile m = malloc(64); /* deliberately wrong: see --rt-malloc */
		free(m);
	}
	atomic_fetch_add_explicit(&cycles, 1, memory_order_relaxed);
	return 0;
}

static void *process_thread(void *arg)
{
	(void)arg;
	for (;;) {
		jack_nframes_t n = jack_cycle_wait(client);
		int r = process(n, NULL);
		jack_cycle_signal(client, r);
		if (r)
			return NULL;
	}
}

static void write_meter(const char *path)
{
	uint32_t bits = atomic_exchange(&peak_bits, 0);
	float p;
	memcpy(&p, &bits, sizeof(p));
	double db = p > 1e-10f ? 20.0 * log10(p) : -200.0;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "peak_dbfs=%.2f cycles=%lu\n", db, atomic_load(&cycles));
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: jmx_tone [-n NAME] [-c OUTPUTS] [-f BASE_HZ] [-a DBFS] [-m METERFILE]"
	           " [-C PORT] [--rt-malloc] [--process-thread]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},     {"outputs", required_argument, NULL, 'c'},
	    {"freq", required_argument, NULL, 'f'},     {"amplitude", required_argument, NULL, 'a'},
	    {"meter", required_argument, NULL, 'm'},    {"rt-malloc", no_argument, NULL, 'M'},
	    {"process-thread", no_argument, NULL, 'T'}, {"connect", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	const char *name = "jmx_tone", *meter = NULL, *connect = NULL;
	double base = 220.0, dbfs = -20.0;
	int c, own_thread = 0;
	while ((c = getopt_long(argc, argv, "n:c:f:a:m:C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'c':
			nouts = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			base = strtod(optarg, NULL);
			break;
		case 'a':
			dbfs = strtod(optarg, NULL);
			break;
		case 'm':
			meter = optarg;
			break;
		case 'C':
			connect = optarg;
			break;
		case 'M':
			rt_malloc = 1;
			break;
		case 'T':
			own_thread = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nouts < 1 || nouts > TONE_MAX_OUT || !(base > 0.0)) {
		fprintf(stderr, "jmx_tone: -c must be 1..%u and -f positive\n", TONE_MAX_OUT);
		return 2;
	}
	amp = (float)pow(10.0, dbfs / 20.0);

	jack_status_t st;
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jmx_tone: cannot connect to JACK (status 0x%x)\n", (unsigned)st);
		return 1;
	}
	double rate = jack_get_sample_rate(client);
	for (unsigned k = 0; k < nouts; k++) {
		char pn[32];
		snprintf(pn, sizeof(pn), "out_%u", k + 1);
		outs[k] = jack_port_register(client, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
		step[k] = 2.0 * M_PI * base * (k + 1) / rate;
		if (!outs[k])
			goto fail;
	}
	ins[0] = jack_port_register(client, "in_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	ins[1] = jack_port_register(client, "in_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	if (!ins[0] || !ins[1])
		goto fail;
	if (own_thread ? jack_set_process_thread(client, process_thread, NULL)
	               : jack_set_process_callback(client, process, NULL))
		goto fail;
	jack_on_shutdown(client, on_shutdown, NULL);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (jack_activate(client) != 0)
		goto fail;
	if (connect) {
		const char **to = jack_get_ports(client, connect, NULL, JackPortIsInput);
		for (unsigned k = 0; to && to[k] && k < nouts; k++)
			if (jack_connect(client, jack_port_name(outs[k]), to[k]) != 0)
				fprintf(stderr, "jmx_tone: cannot connect to %s\n", to[k]);
		if (to)
			jack_free((void *)to);
	}
	while (!stop && !atomic_load(&server_gone)) {
		struct timespec t = {0, 100 * 1000 * 1000};
		nanosleep(&t, NULL);
		if (meter)
			write_meter(meter);
	}
	jack_client_close(client);
	if (atomic_load(&server_gone)) {
		fprintf(stderr, "jmx_tone: the JACK server went away\n");
		return 1;
	}
	return 0;
fail:
	fprintf(stderr, "jmx_tone: cannot register ports, set the process callback or activate\n");
	jack_client_close(client);
	return 1;
}
