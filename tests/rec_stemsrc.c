/*
 * rec_stemsrc.c - the source of the stems test (rec-stems.sh): a JACK
 * client whose outputs each carry their own frequency, so that every
 * stem can be told from every other, and whose first output also carries
 * a click at known intervals, so that stems and master can be lined up
 * to the frame.
 *
 *   rec_stemsrc NAME OUTPUTS BASE_HZ DBFS CLICK_EVERY CLICK
 *
 * Ports out_1 .. out_OUTPUTS; out_k plays a sine of k * BASE_HZ at DBFS
 * (peak), computed from the frame count since activation (no phase
 * accumulator: the frequency is exact).  Frame n of out_1 gets CLICK
 * added when n % CLICK_EVERY == CLICK_EVERY / 2 + 17 (anywhere inside a
 * period, not at its start); CLICK_EVERY 0 = no clicks.  Runs until
 * SIGTERM or SIGINT.  The server is JACK_DEFAULT_SERVER (never started).
 *
 * Threads: the process callback (RT) renders with no allocation, lock or
 * I/O; main parses the arguments and waits for the signal, whose handler
 * only sets a flag.
 */
#include <jack/jack.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define SRC_MAX_OUT 32

static jack_port_t *outs[SRC_MAX_OUT];
static unsigned nouts;
static double base_hz, amp, rate, click;
static uint64_t every, frame;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int process(jack_nframes_t n, void *arg)
{
	(void)arg;
	for (unsigned k = 0; k < nouts; k++) {
		float *o = jack_port_get_buffer(outs[k], n);
		double w = 2.0 * M_PI * base_hz * (k + 1) / rate;
		for (jack_nframes_t i = 0; i < n; i++) {
			uint64_t f = frame + i;
			/* the phase from the frame count modulo a whole number of
			 * cycles keeps the argument small and exact */
			double x = amp * sin(w * (double)(f % (uint64_t)rate));
			if (k == 0 && every && f % every == every / 2 + 17)
				x += click;
			o[i] = (float)x;
		}
	}
	frame += n;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: rec_stemsrc NAME OUTPUTS BASE_HZ DBFS CLICK_EVERY CLICK\n");
		return 2;
	}
	nouts = (unsigned)atoi(argv[2]);
	base_hz = atof(argv[3]);
	amp = pow(10.0, atof(argv[4]) / 20.0);
	every = (uint64_t)atoll(argv[5]);
	click = atof(argv[6]);
	if (nouts < 1 || nouts > SRC_MAX_OUT || !(base_hz > 0)) {
		fprintf(stderr, "rec_stemsrc: 1..%d outputs, a positive frequency\n", SRC_MAX_OUT);
		return 2;
	}
	jack_client_t *c = jack_client_open(argv[1], JackNoStartServer, NULL);
	if (!c) {
		fprintf(stderr, "rec_stemsrc: no JACK server\n");
		return 1;
	}
	rate = jack_get_sample_rate(c);
	/* whole cycles in a second for every output: f % rate restarts the
	 * phase exactly */
	if (fmod(base_hz, 1.0) != 0.0) {
		fprintf(stderr, "rec_stemsrc: BASE_HZ must be a whole number of Hz\n");
		return 2;
	}
	for (unsigned k = 0; k < nouts; k++) {
		char name[32];
		snprintf(name, sizeof name, "out_%u", k + 1);
		outs[k] = jack_port_register(c, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
		if (!outs[k]) {
			fprintf(stderr, "rec_stemsrc: cannot register %s\n", name);
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (jack_set_process_callback(c, process, NULL) || jack_activate(c)) {
		fprintf(stderr, "rec_stemsrc: cannot activate\n");
		return 1;
	}
	while (!stop)
		usleep(50000);
	jack_deactivate(c);
	jack_client_close(c);
	return 0;
}
