/*
 * itest_engine.c - integration test of the running daemon on a real JACK
 * server, for what only JACK shows: this JACK client connects to the
 * daemon's ports, plays noise into <daemon>:in_1, sends it to bus 1 over
 * OSC (UDP on loopback), captures master_L and bus_1_L, and checks that
 * the measured delay of master_L relative to bus_1_L equals the latency
 * the daemon reports to JACK on those ports.  Then, with the send
 * pre-fader (bus_1_L = the input), a DCA move and a mute group over OSC,
 * measured at master_L: the gain of master_L against bus_1_L at the
 * measured delay is the DCA's (least squares over the same noise samples,
 * so exact but for float rounding), and an engaged mute group silences
 * master_L exactly.  Then the buses (issue 15):
 * bus 2, fed the same post-fader signal, with a 10 ms output delay, lags
 * bus_1_L by exactly 480 frames at its output; and with /ch/1/master off
 * and bus 1 routed to master at -6 dB, master_L is bus_1_L, the
 * reported latency later, at unity gain (a direct path left on would
 * make it 2 or 3 times bus_1_L).  Last, bus 2 as a reverb return (the
 * built-in reverb, decay 1.2 s, routed to master, bus 1 off it): noise
 * plays into it for 1 s and stops in one period; the tail captured at
 * master_L decays with the set RT60 (1 kHz octave, Schroeder backward
 * integration, T30: fx_ref.h) within 15 % (test_bus measures it offline
 * within 10 %; here a period the dummy driver skips is a gap in the
 * capture, so a measurement with an xrun in it is taken again).
 *
 * The levels through the mixer (fader, pan, mute, sends, solo, monitor)
 * are tested frame-exactly in test_console.  The delay is robust to
 * xruns: a period JACK skips is skipped in both captured outputs alike,
 * so the lag between them stays; nothing here is taken again.
 *
 * Usage: itest_engine DAEMON_CLIENT OSC_PORT
 * Threads: main (the test) and JACK's process thread (play/capture into
 * preallocated buffers, hand-off through atomics).
 */
#include <errno.h>
#include <jack/jack.h>
#include <lo/lo.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "fx_ref.h"

#define CAP_FRAMES 9600u /* 200 ms at 48 kHz */
#define NCAP       3

static const char *const cap_src[NCAP] = {"master_L", "bus_1_L", "bus_2_L"};
enum { C_ML, C_B1L, C_B2L };

static jack_client_t *client;
static jack_port_t *out_port, *cap_port[NCAP];
static float cap[NCAP][CAP_FRAMES];
static atomic_uint cap_pos = CAP_FRAMES; /* CAP_FRAMES = idle */
static uint32_t noise_state = 12345;
/* the reverb's tail: the noise stops and master_L is captured from the
 * same cycle on */
#define TAIL_FRAMES (2u * 48000u)
static float tail[TAIL_FRAMES];
static atomic_uint tail_pos = TAIL_FRAMES; /* TAIL_FRAMES = idle */
static atomic_int silent;
static atomic_uint xruns;

static int on_xrun(void *arg)
{
	(void)arg;
	atomic_fetch_add(&xruns, 1);
	return 0;
}

static int process(jack_nframes_t n, void *arg)
{
	(void)arg;
	float *out = jack_port_get_buffer(out_port, n);
	int quiet = atomic_load(&silent);
	for (jack_nframes_t i = 0; i < n; i++) {
		noise_state = noise_state * 1664525u + 1013904223u;
		out[i] =
		    quiet ? 0.0f : (float)(0.1 * ((double)(noise_state >> 8) / (double)(1u << 24) - 0.5));
	}
	unsigned tp = atomic_load(&tail_pos);
	if (tp < TAIL_FRAMES) {
		unsigned take = n < TAIL_FRAMES - tp ? n : TAIL_FRAMES - tp;
		memcpy(&tail[tp], jack_port_get_buffer(cap_port[C_ML], n), take * sizeof(float));
		atomic_store(&tail_pos, tp + take);
	}
	unsigned pos = atomic_load(&cap_pos);
	if (pos < CAP_FRAMES) {
		unsigned take = n < CAP_FRAMES - pos ? n : CAP_FRAMES - pos;
		for (int c = 0; c < NCAP; c++) {
			float *in = jack_port_get_buffer(cap_port[c], n);
			memcpy(&cap[c][pos], in, take * sizeof(float));
		}
		atomic_store(&cap_pos, pos + take);
	}
	return 0;
}

static lo_address osc;

/* The lag (0..2047) at which y best matches x, and the peak's sum. */
static int best_lag(const float *x, const float *y, double *peak)
{
	int best = -1;
	double best_c = 0;
	for (int lag = 0; lag < 2048; lag++) {
		double s = 0;
		for (unsigned i = 0; i + (unsigned)lag < CAP_FRAMES; i++)
			s += (double)x[i] * y[i + (unsigned)lag];
		if (s > best_c)
			best_c = s, best = lag;
	}
	*peak = best_c;
	return best;
}

/* The daemon registers its ports before it activates; connections to an
 * inactive client fail, so retry for a few seconds. */
static int connect_retry(const char *src, const char *dst)
{
	for (int i = 0; i < 50; i++) {
		int r = jack_connect(client, src, dst);
		if (r == 0 || r == EEXIST)
			return 0;
		usleep(100000);
	}
	return -1;
}

static void capture(void)
{
	usleep(250000); /* the changes arrive and the 10 ms smoothing settles */
	atomic_store(&cap_pos, 0);
	while (atomic_load(&cap_pos) < CAP_FRAMES)
		usleep(10000);
}

/* master_L's gain against bus_1_L lag frames earlier, in dB */
static double gain_db(int lag)
{
	double mb = 0, bb = 0;
	for (unsigned i = 0; i + (unsigned)lag < CAP_FRAMES; i++) {
		mb += (double)cap[C_ML][i + (unsigned)lag] * cap[C_B1L][i];
		bb += (double)cap[C_B1L][i] * cap[C_B1L][i];
	}
	return db20(fabs(mb) / bb);
}

static void setf(const char *path, float v)
{
	if (lo_send(osc, path, "f", v) < 0)
		fprintf(stderr, "itest: lo_send %s failed\n", path);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: itest_engine DAEMON_CLIENT OSC_PORT\n");
		return 2;
	}
	const char *d = argv[1];
	char name[256], me[64];
	jack_status_t st;

	client = jack_client_open("jmx-itest", JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "itest: cannot open JACK client (0x%x)\n", (unsigned)st);
		return 1;
	}
	out_port = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	for (int c = 0; c < NCAP; c++) {
		snprintf(me, sizeof me, "cap_%s", cap_src[c]);
		cap_port[c] = jack_port_register(client, me, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	}
	jack_set_process_callback(client, process, NULL);
	jack_set_xrun_callback(client, on_xrun, NULL);
	if (jack_activate(client)) {
		fprintf(stderr, "itest: cannot activate\n");
		return 1;
	}
	snprintf(name, sizeof name, "%s:in_1", d);
	CHECK(connect_retry(jack_port_name(out_port), name) == 0, "connect to %s", name);
	/* a daemon with one bus (pipewire.sh's) has no bus_2_L: the bus 2
	 * delay check is skipped there */
	snprintf(name, sizeof name, "%s:%s", d, cap_src[C_B2L]);
	int have_b2 = jack_port_by_name(client, name) != NULL;
	for (int c = 0; c < (have_b2 ? NCAP : C_B2L); c++) {
		snprintf(name, sizeof name, "%s:%s", d, cap_src[c]);
		CHECK(connect_retry(name, jack_port_name(cap_port[c])) == 0, "connect from %s", name);
	}
	osc = lo_address_new("127.0.0.1", argv[2]);

	/* bus_1_L carries the post-fader signal with no added delay;
	 * master_L the same signal (pan hard left) through the limiter's
	 * lookahead */
	setf("/ch/1/pan", 0.0f);
	setf("/ch/1/send/1/level/db", 0);
	usleep(250000); /* the changes arrive and the 10 ms smoothing settles */
	capture();
	double best_c;
	int best = best_lag(cap[C_B1L], cap[C_ML], &best_c);
	jack_latency_range_t rm, rb;
	snprintf(name, sizeof name, "%s:master_L", d);
	jack_port_get_latency_range(jack_port_by_name(client, name), JackCaptureLatency, &rm);
	snprintf(name, sizeof name, "%s:bus_1_L", d);
	jack_port_get_latency_range(jack_port_by_name(client, name), JackCaptureLatency, &rb);
	printf("  measured master delay %d frames, reported %u - %u = %d\n", best, rm.max, rb.max,
	       (int)rm.max - (int)rb.max);
	/* both ends of the range differ by exactly the delay (the absolute
	 * ranges include this test client's own feedback loop) */
	CHECK(best >= 0 && best == (int)rm.max - (int)rb.max,
	      "measured master delay %d != reported latency %d", best, (int)rm.max - (int)rb.max);
	CHECK(rm.min - rb.min == rm.max - rb.max, "master latency range offset: %u..%u vs bus %u..%u", rm.min,
	      rm.max, rb.min, rb.max);
	/* the correlation peak must be the signal, not noise: compare energy */
	double e = 0;
	for (unsigned i = 0; i < CAP_FRAMES; i++)
		e += (double)cap[C_B1L][i] * cap[C_B1L][i];
	CHECK(best_c > 0.9 * e * (CAP_FRAMES - best) / CAP_FRAMES, "master is a delayed copy of bus_1_L");

	/* groups: the send pre-fader, so bus_1_L is the input whatever the
	 * fader and its DCAs do; channel 1 in DCA 1 and mute group 2 */
	setf("/ch/1/fader/db", 0); /* a caller (pipewire.sh) may have moved it */
	setf("/ch/1/send/1/pre", 1);
	setf("/ch/1/dca/1", 1);
	setf("/ch/1/mutegroup/2", 1);
	setf("/dca/1/fader/db", -12);
	capture();
	/* float rounding over 9600 products: far below 0.001 dB; a skipped
	 * period is skipped in both captures alike */
	double g = best >= 0 ? gain_db(best) : NAN;
	printf("  DCA 1 at -12 dB: master_L at %.5f dB of the input\n", g);
	CHECK(fabs(g - -12.0) < 0.001, "DCA at -12 dB: master_L at %.5f dB of the input", g);
	setf("/mutegroup/2/on", 1);
	capture();
	double pk = 0;
	for (unsigned i = 0; i < CAP_FRAMES; i++)
		pk = fmax(pk, fabs(cap[C_ML][i]));
	CHECK(pk == 0.0, "mute group 2 on: master_L peaks at %g, want silence", pk);
	setf("/mutegroup/2/on", 0);
	setf("/dca/1/fader/db", -3);
	capture();
	g = best >= 0 ? gain_db(best) : NAN;
	printf("  mute group released, DCA 1 at -3 dB: master_L at %.5f dB of the input\n", g);
	CHECK(fabs(g - -3.0) < 0.001, "group released, DCA at -3 dB: master_L at %.5f dB", g);
	/* back to no groups and post-fader sends for the buses */
	setf("/ch/1/dca/1", 0);
	setf("/ch/1/mutegroup/2", 0);
	setf("/dca/1/fader/db", 0);
	setf("/ch/1/send/1/pre", 0);
	/* the buses: bus 2's output delay at its output; bus 1 as a subgroup
	 * routed to master, the channel off the master */
	int lat = (int)rm.max - (int)rb.max;
	if (have_b2) {
		setf("/ch/1/send/2/level/db", 0);
		setf("/bus/2/delay/ms", 10.0f); /* 480 frames at 48 kHz */
	}
	setf("/bus/1/fader/db", -6.0f);
	lo_send(osc, "/ch/1/master", "i", 0);
	lo_send(osc, "/bus/1/master", "i", 1);
	usleep(500000); /* the crossfades and the smoothing (and the channel's
	                 * master switch, a one-pole of 10 ms) settle */
	capture();
	if (have_b2) {
		double c2;
		int lag2 = best_lag(cap[C_B1L], cap[C_B2L], &c2);
		printf("  bus 2 output delay: measured %d frames, set 10 ms = 480\n", lag2);
		CHECK(lag2 == 480, "bus_2_L lags bus_1_L by %d frames, want 480", lag2);
	}
	double cm;
	int lagm = best_lag(cap[C_B1L], cap[C_ML], &cm);
	double xx = 0, xy = 0;
	for (unsigned i = 0; lagm >= 0 && i + (unsigned)lagm < CAP_FRAMES; i++) {
		xx += (double)cap[C_B1L][i] * cap[C_B1L][i];
		xy += (double)cap[C_B1L][i] * cap[C_ML][i + (unsigned)lagm];
	}
	double gs = xx > 0 ? xy / xx : 0;
	printf("  subgroup to master: lag %d frames (latency %d), gain %.6f of bus_1_L\n", lagm, lat, gs);
	CHECK(lagm == lat, "master_L lags bus_1_L by %d, want the latency %d", lagm, lat);
	/* float sums over 9600 samples: 1e-3 is far above rounding and far
	 * below the 2x or 3x of a direct path left on */
	CHECK(fabs(gs - 1.0) < 1e-3, "master_L = %.6f x bus_1_L, want 1 (through the bus only)", gs);
	/* leave the console as the first part set it (pipewire.sh measures on
	 * after this): the channel on the master, the buses off it */
	lo_send(osc, "/ch/1/master", "i", 1);
	lo_send(osc, "/bus/1/master", "i", 0);
	setf("/bus/1/fader/db", 0);
	if (have_b2)
		setf("/bus/2/delay/ms", 0);
	usleep(250000);

	/* bus 2 as a reverb return: the channel's post-fader send into the
	 * reverb, bus 2 to master, bus 1 off it, the channel off the master:
	 * master_L is the reverb.  Taken once: a cycle JACK skips is skipped
	 * by the daemon (its reverb does not advance) and by this capture
	 * alike, so the captured tail stays continuous. */
	const double decay = 1.2;
	double t60 = 0, head = 0;
	if (have_b2) {
		lo_send(osc, "/ch/1/master", "i", 0);
		lo_send(osc, "/bus/2/fx", "s", "reverb");
		setf("/bus/2/fx/decay/s", (float)decay);
		lo_send(osc, "/bus/2/master", "i", 1);
		atomic_store(&silent, 0);
		usleep(1000000); /* the changes, then 1 s of noise: the reverb is full */
		unsigned x0 = atomic_load(&xruns);
		/* the noise stops and the capture starts at the same cycle: the
		 * process callback sees both flags at its next start */
		atomic_store(&tail_pos, 0);
		atomic_store(&silent, 1);
		while (atomic_load(&tail_pos) < TAIL_FRAMES)
			usleep(10000);
		/* the daemon's input is silent within a period or two (JACK's
		 * order in this loop) plus the limiter's latency at master_L:
		 * 50 ms on, the master carries the free decay */
		const unsigned skip = 2400;
		t60 = fxref_rt60_1k(tail + skip, TAIL_FRAMES - skip, jack_get_sample_rate(client));
		head = rms(tail + skip, 4800);
		printf("  reverb return: the tail's RT60 at master_L %.3f s (set %.1f s), %u xrun(s) during "
		       "it\n",
		       t60, decay, atomic_load(&xruns) - x0);
		lo_send(osc, "/ch/1/master", "i", 1); /* as it was */
		lo_send(osc, "/bus/2/master", "i", 0);
		lo_send(osc, "/bus/2/fx", "s", "off");
		CHECK(fabs(t60 / decay - 1) <= 0.15,
		      "reverb return: the tail's RT60 at master_L %.3f s, set %.2f s", t60, decay);
		CHECK(head > 1e-3, "reverb return: no tail at master_L (rms %g)", head);
	}

	jack_deactivate(client);
	jack_client_close(client);
	lo_address_free(osc);
	return test_exit("itest_engine");
}
