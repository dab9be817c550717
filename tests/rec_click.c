/*
 * rec_click.c - the pre-roll scenario, timed in audio frames rather than
 * wall-clock seconds (under load a dummy JACK server skips cycles, and the
 * pre-roll holds frames, not seconds):
 *
 *   rec_click NAME OSC_PORT TAKE [SETTLE_S] [CLICK_TO_START_S] [TAKE_S]
 *
 * A JACK client NAME with one output, out, silent except for one click (a
 * 10-sample burst at 0.5); it counts the frames of every process cycle.
 * After SETTLE_S (default 6) it clicks, CLICK_TO_START_S (default 3)
 * later it notes its frame count and at once sends /record/start s:TAKE
 * to 127.0.0.1:OSC_PORT, TAKE_S (default 1) later /record/stop.  It
 * prints "click=F1 start=F2 stop=F3 rate=R" (frames since its
 * activation: the click's first sample, and the cycles in which it sent
 * the start and the stop), so the expected position of the click in a
 * take with P seconds of pre-roll is P * R - (F2 - F1) + the daemon's
 * latency, and its length P * R + F3 - F2, whatever the wall clock did
 * (TAKE_S of wall clock is fewer frames when the server skips cycles).
 *
 * Threads: the process callback (RT) writes the click and counts with
 * atomics only; main does the timing and OSC.
 */
#include <jack/jack.h>
#include <lo/lo.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jack_port_t *out;
static atomic_ullong frames;   /* processed so far */
static atomic_int click_req;   /* main asks for a click */
static atomic_ullong click_at; /* frame of the click's first sample */

static int process(jack_nframes_t n, void *arg)
{
	(void)arg;
	float *o = jack_port_get_buffer(out, n);
	unsigned long long f = atomic_load_explicit(&frames, memory_order_relaxed);
	memset(o, 0, n * sizeof *o);
	if (atomic_exchange_explicit(&click_req, 0, memory_order_acq_rel)) {
		for (unsigned i = 0; i < 10 && i < n; i++)
			o[i] = 0.5f;
		atomic_store(&click_at, f);
	}
	atomic_store_explicit(&frames, f + n, memory_order_release);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
		        "usage: rec_click NAME OSC_PORT TAKE [SETTLE_S] [CLICK_TO_START_S] [TAKE_S]\n");
		return 2;
	}
	double settle = argc > 4 ? atof(argv[4]) : 6, gap = argc > 5 ? atof(argv[5]) : 3,
	       take = argc > 6 ? atof(argv[6]) : 1;
	jack_client_t *c = jack_client_open(argv[1], JackNoStartServer, NULL);
	if (!c) {
		fprintf(stderr, "rec_click: no JACK server\n");
		return 1;
	}
	out = jack_port_register(c, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	if (!out || jack_set_process_callback(c, process, NULL) || jack_activate(c)) {
		fprintf(stderr, "rec_click: cannot set up the client\n");
		return 1;
	}
	lo_address daemon = lo_address_new("127.0.0.1", argv[2]);
	unsigned rate = jack_get_sample_rate(c);
	usleep((useconds_t)(settle * 1e6));
	atomic_store(&click_req, 1);
	while (atomic_load(&click_req))
		usleep(1000);
	usleep((useconds_t)(gap * 1e6));
	unsigned long long start = atomic_load(&frames);
	int rc = lo_send(daemon, "/record/start", "s", argv[3]);
	usleep((useconds_t)(take * 1e6));
	unsigned long long stop = atomic_load(&frames);
	rc |= lo_send(daemon, "/record/stop", "");
	printf("click=%llu start=%llu stop=%llu rate=%u\n", (unsigned long long)atomic_load(&click_at), start,
	       stop, rate);
	jack_deactivate(c);
	jack_client_close(c);
	lo_address_free(daemon);
	return rc < 0 ? 1 : 0;
}
