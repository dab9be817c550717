/*
 * itest_engine.c - integration test of the running daemon on a real JACK
 * server: this JACK client plays a signal into <daemon>:in_1, captures
 * master_L/R, bus_1_L and mon_L, changes parameters over OSC (UDP on
 * loopback) and checks the levels against the gain laws:
 *   fader, pan (constant power), mute, pre/post sends, solo to the monitor
 *   (PFL and AFL) with the master untouched, and that the measured delay
 *   of master_L relative to bus_1_L equals the latency the daemon reports
 *   to JACK.
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

#define CAP_FRAMES 9600u /* 200 ms at 48 kHz */
#define NCAP 4

static const char *const cap_src[NCAP] = { "master_L", "master_R", "bus_1_L", "mon_L" };
enum { C_ML, C_MR, C_B1L, C_MONL };

static jack_client_t *client;
static jack_port_t *out_port, *cap_port[NCAP];
static float cap[NCAP][CAP_FRAMES];
static atomic_uint cap_pos = CAP_FRAMES; /* CAP_FRAMES = idle */
static atomic_int mode;                  /* 0 sine, 1 noise */
static atomic_uint xruns;
static double phase, rate;
static uint32_t noise_state = 12345;
static const double AMP = 0.25; /* -12 dBFS sine */
static const double HZ = 1000.0;

static int process(jack_nframes_t n, void *arg)
{
	(void)arg;
	float *out = jack_port_get_buffer(out_port, n);
	int m = atomic_load(&mode);
	for (jack_nframes_t i = 0; i < n; i++) {
		if (m == 0) {
			out[i] = (float)(AMP * sin(phase));
			phase += 2.0 * M_PI * HZ / rate;
			if (phase > 2.0 * M_PI)
				phase -= 2.0 * M_PI;
		} else {
			noise_state = noise_state * 1664525u + 1013904223u;
			out[i] = (float)(0.1 * ((double)(noise_state >> 8) / (double)(1u << 24) - 0.5));
		}
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

static void setf(const char *path, float v)
{
	if (lo_send(osc, path, "f", v) < 0)
		fprintf(stderr, "itest: lo_send %s failed\n", path);
}

static void seti(const char *path, int v)
{
	if (lo_send(osc, path, "i", v) < 0)
		fprintf(stderr, "itest: lo_send %s failed\n", path);
}

static int on_xrun(void *arg)
{
	(void)arg;
	atomic_fetch_add(&xruns, 1);
	return 0;
}

/* Let changes arrive and smoothing settle (tau 10 ms: 200 ms is 20 tau,
 * far below any tolerance used here), then capture CAP_FRAMES.  The dummy
 * driver reports xruns when the machine is busy (a parallel build); a
 * capture that spans one has a gap, so it is taken again. */
static void settle_and_capture(void)
{
	usleep(250000);
	for (int tries = 0; tries < 10; tries++) {
		unsigned x0 = atomic_load(&xruns);
		atomic_store(&cap_pos, 0);
		while (atomic_load(&cap_pos) < CAP_FRAMES)
			usleep(10000);
		usleep(20000); /* an xrun is reported after the cycle it hit */
		if (atomic_load(&xruns) == x0)
			return;
		printf("  (xrun during capture: again)\n");
		xrun_calm(&xruns, 300, 5000);
	}
}

static double level_db(int c)
{
	/* 200 whole cycles of 1 kHz in 9600 frames at 48 kHz (40 per fifth);
	 * the median of the fifths, in case every capture had an xrun */
	return db20(tone_amplitude_steady(cap[c], CAP_FRAMES, HZ, rate));
}

static void expect_db(int c, double want_db, double tol, const char *what)
{
	double got = level_db(c);
	if (want_db < -89) {
		CHECK(got < -90, "%s: %s at %.2f dB, want silence (< -90 dBFS)", what, cap_src[c], got);
		return;
	}
	CHECK(fabs(got - want_db) <= tol, "%s: %s at %.3f dB, want %.3f +- %.2f", what, cap_src[c], got, want_db,
	      tol);
	printf("  %-34s %-8s %8.3f dB (want %8.3f)\n", what, cap_src[c], got, want_db);
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
	rate = jack_get_sample_rate(client);
	CHECK(rate == 48000, "the test server runs at 48 kHz, got %g", rate);
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
	for (int c = 0; c < NCAP; c++) {
		snprintf(name, sizeof name, "%s:%s", d, cap_src[c]);
		CHECK(connect_retry(name, jack_port_name(cap_port[c])) == 0, "connect from %s", name);
	}
	osc = lo_address_new("127.0.0.1", argv[2]);

	const double a = db20(AMP);          /* input level, dBFS */
	const double centre = db20(sqrt(0.5)); /* constant-power pan law at 0.5 */
	const double tol = 0.05;

	printf("defaults: fader 0 dB, pan centre, sends off\n");
	settle_and_capture();
	expect_db(C_ML, a + centre, tol, "centre pan");
	expect_db(C_MR, a + centre, tol, "centre pan");
	expect_db(C_MONL, a + centre, tol, "monitor = master copy");
	expect_db(C_B1L, -100, 0, "send off");

	setf("/ch/1/fader/db", -10);
	settle_and_capture();
	expect_db(C_ML, a + centre - 10, tol, "fader -10 dB");

	setf("/ch/1/fader", 0.5f); /* X32 law: 0.5 = -10 dB as well */
	setf("/ch/1/pan", 0.0f);
	settle_and_capture();
	expect_db(C_ML, a - 10, tol, "pan hard left");
	expect_db(C_MR, -100, 0, "pan hard left");

	seti("/ch/1/mute", 1);
	settle_and_capture();
	expect_db(C_ML, -100, 0, "mute");
	expect_db(C_MR, -100, 0, "mute");

	setf("/ch/1/send/1/level/db", 0);
	settle_and_capture();
	expect_db(C_B1L, -100, 0, "post send, channel muted");
	seti("/ch/1/send/1/pre", 1);
	settle_and_capture();
	expect_db(C_B1L, a, tol, "pre send ignores fader and mute");
	seti("/ch/1/mute", 0);
	seti("/ch/1/send/1/pre", 0);
	settle_and_capture();
	expect_db(C_B1L, a - 10, tol, "post send follows fader and pan");
	setf("/bus/1/fader/db", -6);
	settle_and_capture();
	expect_db(C_B1L, a - 16, tol, "bus fader");
	seti("/bus/1/mute", 1);
	settle_and_capture();
	expect_db(C_B1L, -100, 0, "bus mute");
	seti("/bus/1/mute", 0);
	setf("/bus/1/fader/db", 0);

	printf("solo\n");
	seti("/ch/1/solo", 1);
	settle_and_capture();
	expect_db(C_MONL, a, tol, "PFL: pre-fader on the monitor");
	expect_db(C_ML, a - 10, tol, "master untouched by solo");
	expect_db(C_MR, -100, 0, "master untouched by solo");
	seti("/mon/afl", 1);
	settle_and_capture();
	expect_db(C_MONL, a - 10, tol, "AFL: post-fader, post-pan");
	setf("/mon/fader/db", -20);
	settle_and_capture();
	expect_db(C_MONL, a - 30, tol, "monitor fader");
	seti("/ch/1/solo", 0);
	setf("/mon/fader/db", 0);
	settle_and_capture();
	expect_db(C_MONL, a - 10, tol, "monitor back to master copy");
	expect_db(C_ML, a - 10, tol, "master still untouched");

	printf("latency\n");
	/* bus_1_L carries the post-fader signal with no added delay;
	 * master_L the same signal through the limiter's lookahead. */
	setf("/ch/1/fader/db", 0);
	atomic_store(&mode, 1);
	settle_and_capture();
	int best = -1;
	double best_c = 0;
	for (int lag = 0; lag < 2048; lag++) {
		double s = 0;
		for (unsigned i = 0; i + lag < CAP_FRAMES; i++)
			s += (double)cap[C_B1L][i] * cap[C_ML][i + lag];
		if (s > best_c)
			best_c = s, best = lag;
	}
	jack_latency_range_t rm, rb;
	snprintf(name, sizeof name, "%s:master_L", d);
	jack_port_get_latency_range(jack_port_by_name(client, name), JackCaptureLatency, &rm);
	snprintf(name, sizeof name, "%s:bus_1_L", d);
	jack_port_get_latency_range(jack_port_by_name(client, name), JackCaptureLatency, &rb);
	printf("  measured master delay %d frames, reported %u - %u = %d\n", best, rm.max, rb.max,
	       (int)rm.max - (int)rb.max);
	/* both ends of the range differ by exactly the delay (the absolute
	 * ranges include this test client's own feedback loop) */
	CHECK(best >= 0 && best == (int)rm.max - (int)rb.max, "measured master delay %d != reported latency %d",
	      best, (int)rm.max - (int)rb.max);
	CHECK(rm.min - rb.min == rm.max - rb.max, "master latency range offset: %u..%u vs bus %u..%u", rm.min,
	      rm.max, rb.min, rb.max);
	/* the correlation peak must be the signal, not noise: compare energy */
	double e = 0;
	for (unsigned i = 0; i < CAP_FRAMES; i++)
		e += (double)cap[C_B1L][i] * cap[C_B1L][i];
	CHECK(best_c > 0.9 * e * (CAP_FRAMES - best) / CAP_FRAMES, "master is a delayed copy of bus_1_L");

	jack_deactivate(client);
	jack_client_close(client);
	lo_address_free(osc);
	return test_exit("itest_engine");
}
