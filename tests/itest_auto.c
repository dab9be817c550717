/*
 * itest_auto.c - automation against a running daemon on a real JACK
 * server.  Two JACK clients of this process: "src" plays a 1 kHz sine
 * (-12 dBFS) into <daemon>:in_1, "cap" captures <daemon>:master_L with
 * the JACK transport frame of every sample (src -> daemon -> cap, no
 * loop, so the daemon renders a period before cap sees it, with the same
 * transport frame).  cap also drives the transport (locate, start, stop).
 * Levels are measured by correlation over whole cycles of the tone; the
 * daemon's gain laws are computed here independently.
 *
 * Usage: itest_auto MODE DAEMON_CLIENT OSC_PORT [ARGS]
 *   lanes OUT         the lanes follow the JACK transport at all: a fader
 *                     ride written while the transport rolls becomes lane
 *                     points at transport frames inside the rolled span,
 *                     and in read mode the stopped transport's position
 *                     picks the lane's value (two positions 10 dB or more
 *                     apart, each within 1 dB); the points go to OUT
 *   restore OUT       after a restart: the lane (mode and points) is OUT,
 *                     and plays: the level at three stopped positions
 *   rt SECONDS        lanes replaced, modes changed, touches, timed moves,
 *                     writes and clears while the transport rolls and
 *                     loops (for the RT-safety shim), also of a DCA with
 *                     members and of a mute group's switch
 *
 * What the console computes along the way (timed moves, fades, a read
 * pass against its write pass, glides, touch and latch, feedback) is
 * tested frame-exactly in test_console, on a simulated transport.  Here
 * only coarse levels of a steady tone at a stopped transport are read,
 * by the median of five windows, which a skipped period cannot move: no
 * capture is ever taken again because of an xrun.
 *
 * Threads: main (the test); JACK's process thread runs both callbacks,
 * which only fill and read preallocated buffers (hand-off by atomics).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jack/jack.h>
#include <jack/transport.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define HZ      1000.0
#define AMP     0.25 /* -12 dBFS */
#define CAP_MAX (48000u * 9u)
#define MAXPTS  200000u
/* a level at a stopped position against the lane: coarse on purpose (the
 * exact law is test_console's); 1 dB still fails a lane that is not
 * played, or played at another position (the positions differ by more
 * than 10 dB) */
#define TOL_DB 1.0

static jack_client_t *src_client, *cap_client;
static jack_port_t *src_port, *cap_port;
static double rate = 48000, phase;
static float cap[CAP_MAX];
static atomic_uint cap_pos = CAP_MAX, cap_end = CAP_MAX;
static atomic_uint cur_frame, period;
static atomic_int cur_rolling;

/* ---- JACK ---------------------------------------------------------------- */

static int src_process(jack_nframes_t n, void *arg)
{
	(void)arg;
	float *out = jack_port_get_buffer(src_port, n);
	for (jack_nframes_t i = 0; i < n; i++) {
		out[i] = (float)(AMP * sin(phase));
		phase += 2.0 * M_PI * HZ / rate;
		if (phase > 2.0 * M_PI)
			phase -= 2.0 * M_PI;
	}
	return 0;
}

static int cap_process(jack_nframes_t n, void *arg)
{
	(void)arg;
	jack_position_t pos;
	int rolling = jack_transport_query(cap_client, &pos) == JackTransportRolling;
	const float *in = jack_port_get_buffer(cap_port, n);
	unsigned p = atomic_load(&cap_pos), end = atomic_load(&cap_end);
	for (jack_nframes_t i = 0; i < n && p < end; i++, p++)
		cap[p] = in[i];
	atomic_store(&cap_pos, p);
	atomic_store(&cur_frame, pos.frame);
	atomic_store(&cur_rolling, rolling);
	atomic_store(&period, n);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int connect_retry(jack_client_t *c, const char *a, const char *b)
{
	for (int i = 0; i < 50; i++) {
		int r = jack_connect(c, a, b);
		if (r == 0 || r == EEXIST)
			return 0;
		sleep_ms(100);
	}
	return -1;
}

static jack_client_t *open_client(const char *name)
{
	jack_status_t st;
	jack_client_t *c = jack_client_open(name, JackNoStartServer, &st);
	if (!c) {
		fprintf(stderr, "itest_auto: cannot open JACK client %s (0x%x)\n", name, (unsigned)st);
		exit(1);
	}
	return c;
}

static void jack_up(const char *daemon)
{
	char name[64], port[320];
	snprintf(name, sizeof name, "itest-auto-src-%d", (int)getpid());
	src_client = open_client(name);
	snprintf(name, sizeof name, "itest-auto-cap-%d", (int)getpid());
	cap_client = open_client(name);
	rate = jack_get_sample_rate(cap_client);
	src_port = jack_port_register(src_client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	cap_port = jack_port_register(cap_client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	if (!src_port || !cap_port || jack_set_process_callback(src_client, src_process, NULL) ||
	    jack_set_process_callback(cap_client, cap_process, NULL) || jack_activate(src_client) ||
	    jack_activate(cap_client)) {
		fprintf(stderr, "itest_auto: JACK set-up failed\n");
		exit(1);
	}
	snprintf(port, sizeof port, "%s:in_1", daemon);
	if (connect_retry(src_client, jack_port_name(src_port), port) < 0) {
		fprintf(stderr, "itest_auto: cannot connect to %s\n", port);
		exit(1);
	}
	snprintf(port, sizeof port, "%s:master_L", daemon);
	if (connect_retry(cap_client, port, jack_port_name(cap_port)) < 0) {
		fprintf(stderr, "itest_auto: cannot connect %s\n", port);
		exit(1);
	}
}

/* ---- capture ------------------------------------------------------------- */

static void cap_start(unsigned n)
{
	atomic_store(&cap_end, 0);
	atomic_store(&cap_pos, 0);
	atomic_store(&cap_end, n < CAP_MAX ? n : CAP_MAX);
}

static unsigned cap_wait(void)
{
	uint64_t end = now_ms() + 20000;
	while (atomic_load(&cap_pos) < atomic_load(&cap_end) && now_ms() < end)
		sleep_ms(5);
	return atomic_load(&cap_pos);
}

/* The level of the steady tone over n frames: the median of the fits
 * over five fifths (tone_amplitude_steady), so a period that JACK
 * skipped (a phase jump in at most two fifths) changes nothing.  Only
 * coarse levels are read here: what the console computes is tested
 * frame-exactly in test_console. */
static double level_steady(unsigned n)
{
	cap_start(n);
	cap_wait();
	return db20(tone_amplitude_steady(cap, n, HZ, rate));
}
/* ---- OSC ----------------------------------------------------------------- */

static int osc_fd = -1;
static struct sockaddr_in daemon_sa;

struct msg {
	char path[160];
	char types[24];
	double num[8];
	char str[4][160];
	int argc;
};

static void osc_open(unsigned port)
{
	struct sockaddr_in me = {0};
	osc_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	me.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
	int rcv = 4 << 20;
	setsockopt(osc_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	if (osc_fd < 0 || bind(osc_fd, (struct sockaddr *)&me, sizeof me) < 0) {
		fprintf(stderr, "itest_auto: socket: %s\n", strerror(errno));
		exit(1);
	}
	daemon_sa.sin_family = AF_INET;
	daemon_sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &daemon_sa.sin_addr);
}

static void send_msg(const char *path, lo_message m)
{
	size_t len;
	void *d = lo_message_serialise(m, path, NULL, &len);
	if (sendto(osc_fd, d, len, 0, (struct sockaddr *)&daemon_sa, sizeof daemon_sa) < 0)
		fprintf(stderr, "itest_auto: sendto: %s\n", strerror(errno));
	free(d);
	lo_message_free(m);
}

static void sendf(const char *path, float v)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	send_msg(path, m);
}

static void sendff(const char *path, float v, float ms)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	lo_message_add_float(m, ms);
	send_msg(path, m);
}

static void sendi(const char *path, int v)
{
	lo_message m = lo_message_new();
	lo_message_add_int32(m, v);
	send_msg(path, m);
}

static void sends(const char *path, const char *s)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, s);
	send_msg(path, m);
}

static void send0(const char *path)
{
	send_msg(path, lo_message_new());
}

static int osc_recv(int timeout_ms, struct msg *out)
{
	static unsigned char buf[65536];
	struct pollfd pf = {osc_fd, POLLIN, 0};
	if (poll(&pf, 1, timeout_ms) <= 0)
		return 0;
	ssize_t n = recv(osc_fd, buf, sizeof buf, 0);
	if (n <= 0)
		return 0;
	int res = 0;
	lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
	if (!m)
		return 0;
	memset(out, 0, sizeof *out);
	snprintf(out->path, sizeof out->path, "%.159s", (const char *)buf);
	snprintf(out->types, sizeof out->types, "%.23s", lo_message_get_types(m));
	lo_arg **argv = lo_message_get_argv(m);
	out->argc = lo_message_get_argc(m);
	int ns = 0;
	for (int k = 0; k < out->argc && k < 8; k++) {
		float f;
		int32_t i;
		int64_t h;
		switch (out->types[k]) {
		case 'f':
			memcpy(&f, argv[k], 4);
			out->num[k] = f;
			break;
		case 'i':
			memcpy(&i, argv[k], 4);
			out->num[k] = i;
			break;
		case 'h':
			memcpy(&h, argv[k], 8);
			out->num[k] = (double)h;
			break;
		case 's':
			if (ns < 4)
				snprintf(out->str[ns++], sizeof out->str[0], "%.159s", (const char *)argv[k]);
			break;
		}
	}
	lo_message_free(m);
	return 1;
}

static int osc_wait(const char *path, int timeout_ms, struct msg *out)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	while (now_ms() < end)
		if (osc_recv((int)(end - now_ms()) + 1, out) &&
		    (!strcmp(out->path, path) || !strcmp(out->path, "/error")))
			return !strcmp(out->path, path);
	return 0;
}

static void osc_drain(void)
{
	struct msg m;
	while (osc_recv(0, &m))
		;
}

static int query(const char *path, struct msg *out)
{
	osc_drain();
	send0(path);
	return osc_wait(path, 2000, out);
}

/* ---- transport ----------------------------------------------------------- */

static void transport_stop_at(uint32_t frame)
{
	jack_transport_stop(cap_client);
	jack_transport_locate(cap_client, frame);
	uint64_t end = now_ms() + 3000;
	while ((atomic_load(&cur_rolling) || atomic_load(&cur_frame) != frame) && now_ms() < end)
		sleep_ms(5);
	CHECK(!atomic_load(&cur_rolling) && atomic_load(&cur_frame) == frame,
	      "transport stopped at %u (at %u)", frame, atomic_load(&cur_frame));
}

static void transport_roll(void)
{
	jack_transport_start(cap_client);
	uint64_t end = now_ms() + 3000;
	while (!atomic_load(&cur_rolling) && now_ms() < end)
		sleep_ms(2);
}

/* ---- lanes as the state file has them -------------------------------------- */

struct lane {
	uint32_t f[MAXPTS];
	float v[MAXPTS];
	unsigned n;
	char mode[16];
};

/* /state/save, then the points of base (e.g. "/ch/1/fader") from the file. */
static int lane_read(const char *base, struct lane *l)
{
	struct msg m;
	char want_mode[160], want_pt[160], line[512];
	l->n = 0;
	snprintf(l->mode, sizeof l->mode, "off");
	if (!query("/state/save", &m) || !m.str[0][0]) {
		CHECK(0, "/state/save failed: %s %s", m.path, m.str[1]);
		return -1;
	}
	FILE *f = fopen(m.str[0], "r");
	if (!f) {
		CHECK(0, "cannot read the state file %s", m.str[0]);
		return -1;
	}
	snprintf(want_mode, sizeof want_mode, "%s/auto ", base);
	snprintf(want_pt, sizeof want_pt, "%s/auto/point ", base);
	while (fgets(line, sizeof line, f)) {
		unsigned long fr;
		float v;
		if (!strncmp(line, want_pt, strlen(want_pt)) && l->n < MAXPTS &&
		    sscanf(line + strlen(want_pt), "%lu %f", &fr, &v) == 2) {
			l->f[l->n] = (uint32_t)fr;
			l->v[l->n++] = v;
		} else if (!strncmp(line, want_mode, strlen(want_mode))) {
			sscanf(line + strlen(want_mode), "%15s", l->mode);
		}
	}
	fclose(f);
	return 0;
}

/* The lane's value at frame: straight lines in dB between points. */
static double lane_at(const struct lane *l, double fr)
{
	if (!l->n)
		return NAN;
	if (fr <= l->f[0])
		return l->v[0];
	if (fr >= l->f[l->n - 1])
		return l->v[l->n - 1];
	unsigned i = 0;
	while (i + 1 < l->n && l->f[i + 1] <= fr)
		i++;
	return l->v[i] + (l->v[i + 1] - l->v[i]) * (fr - l->f[i]) / ((double)l->f[i + 1] - l->f[i]);
}

static double ref_db; /* master_L level with ch 1 at 0 dB */

static void measure_ref(void)
{
	sendf("/ch/1/fader/db", 0);
	sleep_ms(300);
	ref_db = level_steady(9600);
	double want = db20(AMP) + 20 * log10(cos(M_PI / 4)); /* centre: -3.01 dB */
	CHECK(fabs(ref_db - want) < TOL_DB, "reference level %.3f dBFS, want %.3f", ref_db, want);
}

static struct lane lane_a, lane_b;

static void run_lanes(const char *out)
{
	struct msg m;
	measure_ref();
	send0("/automation/clear");
	sendf("/ch/1/fader/db", -20);
	sends("/ch/1/fader/auto", "write");
	CHECK(osc_wait("/ch/1/fader/auto", 1000, &m) && !strcmp(m.str[0], "write"), "write mode: %s",
	      m.str[0]);

	/* a ride while the transport rolls from 0 for 3 s */
	transport_stop_at(0);
	sleep_ms(100);
	transport_roll();
	uint64_t t0 = now_ms();
	unsigned sets = 0;
	while (now_ms() < t0 + 3000) {
		double t = (double)(now_ms() - t0) / 1000.0;
		sendf("/ch/1/fader/db", (float)(-20 + 10 * sin(2 * M_PI * 0.4 * t)));
		sets++;
		sleep_ms(20);
	}
	jack_transport_stop(cap_client);
	sleep_ms(300);
	/* where the transport stopped (it holds there): the daemon records no
	 * further, whenever its cycle saw the stop; one period of slack for
	 * the chunk that ended there */
	jack_position_t stop_pos;
	jack_transport_query(cap_client, &stop_pos);
	uint32_t rolled = stop_pos.frame + atomic_load(&period);
	lane_read("/ch/1/fader", &lane_a);
	/* the points are transport frames: inside what rolled, on the ride */
	int inside = lane_a.n > 0, on_ride = 1;
	for (unsigned i = 0; i < lane_a.n; i++) {
		inside &= lane_a.f[i] <= rolled;
		on_ride &= lane_a.v[i] >= -30.5f && lane_a.v[i] <= -9.5f;
	}
	CHECK(lane_a.n >= 3 && lane_a.n < sets && inside && on_ride,
	      "the pass: %u sets became %u points, all inside 0..%u: %d, on the ride: %d", sets, lane_a.n,
	      rolled, inside, on_ride);
	printf("  write pass: %u sets in 3 s -> %u points up to frame %u\n", sets, lane_a.n,
	       lane_a.n ? lane_a.f[lane_a.n - 1] : 0);

	/* read: the stopped transport's position picks the value */
	sends("/ch/1/fader/auto", "read");
	sendf("/ch/1/fader/db", -60); /* read mode: the lane wins */
	unsigned lo = 0, hi = 0;
	for (unsigned i = 0; i < lane_a.n; i++) {
		lo = lane_a.v[i] < lane_a.v[lo] ? i : lo;
		hi = lane_a.v[i] > lane_a.v[hi] ? i : hi;
	}
	CHECK(lane_a.n && lane_a.v[hi] - lane_a.v[lo] > 10, "the ride spans %.1f dB",
	      lane_a.n ? lane_a.v[hi] - lane_a.v[lo] : 0.0);
	const unsigned at[2] = {lo, hi};
	for (int k = 0; k < 2 && lane_a.n; k++) {
		uint32_t fr = lane_a.f[at[k]];
		transport_stop_at(fr);
		sleep_ms(200);
		double l = level_steady(4800) - ref_db, want = lane_at(&lane_a, fr);
		CHECK(fabs(l - want) < TOL_DB, "lane at stopped frame %u: %.2f dB, want %.2f", fr, l, want);
		printf("  read, stopped at %u: %.2f dB (lane %.2f)\n", fr, l, want);
	}

	FILE *f = fopen(out, "w");
	CHECK(f != NULL, "cannot write %s", out);
	if (f) {
		fprintf(f, "%s %u\n", "read", lane_a.n);
		for (unsigned i = 0; i < lane_a.n; i++)
			fprintf(f, "%u %.9g\n", lane_a.f[i], (double)lane_a.v[i]);
		fclose(f);
	}
}

static void run_restore(const char *out)
{
	struct msg m;
	static struct lane saved;
	char mode[16];
	unsigned n = 0;
	FILE *f = fopen(out, "r");
	CHECK(f && fscanf(f, "%15s %u", mode, &n) == 2, "cannot read %s", out);
	if (!f)
		return;
	for (saved.n = 0; saved.n < n && saved.n < MAXPTS; saved.n++) {
		unsigned fr;
		if (fscanf(f, "%u %f", &fr, &saved.v[saved.n]) != 2)
			break;
		saved.f[saved.n] = fr;
	}
	fclose(f);
	CHECK(saved.n == n && n > 3, "%u points saved", saved.n);
	CHECK(query("/ch/1/fader/auto", &m) && !strcmp(m.str[0], mode) && (unsigned)m.num[1] == n,
	      "after the restart: /ch/1/fader/auto %s %g, want %s %u", m.str[0], m.num[1], mode, n);
	lane_read("/ch/1/fader", &lane_b);
	int same = lane_b.n == saved.n;
	for (unsigned i = 0; same && i < saved.n; i++)
		same = lane_b.f[i] == saved.f[i] && lane_b.v[i] == saved.v[i];
	CHECK(same, "the lane survived the restart point by point (%u points now)", lane_b.n);
	/* and it plays: stopped at three positions, the lane's value */
	sends("/ch/1/fader/auto", "off");
	measure_ref();
	sends("/ch/1/fader/auto", "read");
	static const uint32_t at[3] = {24000, 57600, 96000};
	for (int k = 0; k < 3; k++) {
		transport_stop_at(at[k]);
		sleep_ms(200);
		double l = level_steady(4800) - ref_db, want = lane_at(&saved, at[k]);
		CHECK(fabs(l - want) < TOL_DB, "restored lane at frame %u: %.3f dB, want %.3f", at[k], l,
		      want);
		printf("  restored lane at %u: %.2f dB (lane %.2f)\n", at[k], l, want);
	}
}

static void run_rt(double secs)
{
	struct msg m;
	static const char *const modes[] = {"read", "write", "touch", "latch", "off"};
	/* the console utilities too: the oscillator's and talkback's levels
	 * and talkback's switch (the daemon runs with --talkback) */
	static const char *const bases[] = {
	    "/ch/1/fader",    "/ch/2/fader",        "/ch/1/pan",     "/ch/2/eq/1/hz",     "/ch/1/mute",
	    "/master/fader",  "/ch/1/send/1/level", "/bus/1/delay",  "/bus/1/pan",        "/bus/1/fx/time",
	    "/bus/1/eq/1/hz", "/ch/1/delay",        "/ch/1/dyn/key", "/ch/2/dyn/key/hpf", "/gen/level",
	    "/talk/level",    "/talk/on",           "/dca/1/fader",  "/mutegroup/1/on"};
	const unsigned nbases = sizeof bases / sizeof bases[0];
	uint32_t s = 12345;
	/* the bus engaged (issue 15): a delay effect, EQ, compressor, routed
	 * to master, so that its lanes and moves reach running stages */
	sendi("/bus/1/fx", 2);
	sendi("/bus/1/eq/on", 1);
	sendi("/bus/1/dyn/on", 1);
	sendi("/bus/1/master", 1);
	/* channels 1 and 2 in DCA 1, channel 2 in mute group 1: DCA lanes and
	 * moves, and the group's switch, refold their members in RT */
	sendi("/ch/1/dca/1", 1);
	sendi("/ch/2/dca/1", 1);
	sendi("/ch/2/mutegroup/1", 1);
	send0("/automation/clear");
	/* keys, the key high-pass and the delay engaged (issue 15) */
	sendi("/ch/1/dyn/on", 1);
	sendi("/ch/2/dyn/on", 1);
	sendi("/ch/2/gate/on", 1);
	sendi("/ch/2/gate/key", 1);
	sendi("/ch/2/dyn/key", 1);
	sendi("/ch/2/dyn/key/hpf/on", 1);
	sends("/automation/mode", "write");
	sends("/gen/type", "pink");
	sendi("/gen/on", 1);
	sendi("/talk/dest/master", 1);
	transport_stop_at(0);
	transport_roll();
	uint64_t t0 = now_ms(), last_loop = t0;
	unsigned sent = 0;
	while (now_ms() < t0 + (uint64_t)(secs * 1000)) {
		char path[128];
		s = s * 1664525u + 1013904223u;
		const char *b = bases[(s >> 8) % nbases];
		switch ((s >> 16) % 10) {
		case 0:
			snprintf(path, sizeof path, "%s/auto", b);
			sends(path, modes[(s >> 4) % 5]);
			break;
		case 1:
			snprintf(path, sizeof path, "%s/touch", b);
			sendi(path, (s >> 3) & 1);
			break;
		case 2:
			if ((s >> 5) % 8 == 0)
				send0("/automation/clear");
			else
				sends("/automation/mode", modes[(s >> 4) % 4]);
			break;
		case 3:
			sendff((s >> 2) & 1 ? "/dca/1/fader/db" : "/ch/1/fader/db",
			       (float)((s >> 4) % 60) - 50, (float)((s >> 9) % 300));
			break;
		case 4:
			send0((s >> 2) & 1 ? "/dca/1/fader/stop" : "/ch/1/fader/stop");
			break;
		default:
			if (!strcmp(b, "/ch/1/mute") || !strcmp(b, "/talk/on") ||
			    !strcmp(b, "/mutegroup/1/on"))
				sendi(b, (s >> 4) & 1);
			else if (!strcmp(b, "/ch/2/eq/1/hz") || !strcmp(b, "/bus/1/eq/1/hz"))
				sendf(b, (float)(50 + (s >> 4) % 2000));
			else if (!strcmp(b, "/ch/1/pan") || !strcmp(b, "/bus/1/pan"))
				sendf(b, (float)((s >> 4) % 100) / 100.0f);
			else if (!strcmp(b, "/bus/1/delay"))
				sendf("/bus/1/delay/ms", (float)((s >> 4) % 500));
			else if (!strcmp(b, "/bus/1/fx/time"))
				sendf("/bus/1/fx/time/ms", (float)(1 + (s >> 4) % 2000));
			else if (!strcmp(b, "/ch/1/delay"))
				sendf("/ch/1/delay/ms", (float)((s >> 4) % 1000) / 10.0f);
			else if (!strcmp(b, "/ch/1/dyn/key"))
				sendf("/ch/1/dyn/key", (float)((s >> 4) % 3));
			else if (!strcmp(b, "/ch/2/dyn/key/hpf"))
				sendf("/ch/2/dyn/key/hpf/hz", (float)(20 + (s >> 4) % 480));
			else {
				snprintf(path, sizeof path, "%s/db", b);
				sendf(path, (float)((s >> 4) % 70) - 60);
			}
		}
		sent++;
		if (now_ms() > last_loop + 700) { /* a loop: back to the start */
			jack_transport_locate(cap_client, 0);
			last_loop = now_ms();
			if ((s >> 7) % 3 == 0) { /* now and then a stop and a start */
				jack_transport_stop(cap_client);
				sleep_ms(30);
				transport_roll();
			}
		}
		sleep_ms(2);
	}
	jack_transport_stop(cap_client);
	CHECK(query("/automation/status", &m) && m.argc == 6, "/automation/status answers");
	printf("  rt: %u messages in %.0f s; %s, %g lanes, %g points, %g lost\n", sent, secs, m.str[0],
	       m.num[2], m.num[3], m.num[5]);
	osc_drain();
	send0("/ping");
	CHECK(osc_wait("/pong", 2000, &m), "the daemon answers after the churn");
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: itest_auto lanes OUT|restore OUT|rt SECONDS DAEMON OSC_PORT\n");
		return 2;
	}
	const char *mode = argv[1], *daemon = argv[2];
	osc_open((unsigned)atoi(argv[3]));
	jack_up(daemon);
	sleep_ms(300);
	if (!strcmp(mode, "lanes") && argc > 4)
		run_lanes(argv[4]);
	else if (!strcmp(mode, "restore") && argc > 4)
		run_restore(argv[4]);
	else if (!strcmp(mode, "rt") && argc > 4)
		run_rt(atof(argv[4]));
	else {
		fprintf(stderr, "itest_auto: unknown mode %s\n", mode);
		return 2;
	}
	jack_transport_stop(cap_client);
	jack_client_close(cap_client);
	jack_client_close(src_client);
	return test_exit("itest_auto");
}
