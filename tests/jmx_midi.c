/*
 * jmx_midi.c - a scripted MIDI device and OSC client for the MIDI
 * integration tests (midi-map.sh, rt-safety-midi.sh): reads commands, one
 * a line, from a script file (or stdin) and stops at the first failing
 * check with "SCRIPT:LINE: FAIL: why" and exit status 1.
 *
 *   jmx_midi -n NAME [-p OSC_PORT] [SCRIPT]
 *
 * Ports (see midi_peer.h): NAME:out (MIDI to the daemon), NAME:dc (a
 * constant), NAME_rx:in (MIDI from the daemon), NAME_rx:audio (watched).
 * Commands ('#' starts a comment; HEX is a byte like B0; @MS a timeout,
 * default 2000):
 *   connect SRC DST            jack_connect, retried for 5 s
 *   send HEX...                one message, in the next cycle
 *   expect [@MS] HEX...        a message equal to HEX... arrives (others
 *                              are skipped)
 *   none [@MS] HEX...          no message starting with HEX... arrives
 *                              within MS (default 300)
 *   follow [@MS] MIN FROM TO HEX...
 *                              a control moved by the daemon: messages
 *                              starting with HEX... (others skipped) until
 *                              one carries TO (within MS, default 5000);
 *                              every value before it lies strictly between
 *                              FROM and TO and moves only towards TO, and
 *                              there are at least MIN of them.  The value
 *                              is the last data byte, or the 14 bits of a
 *                              pitch bend (HEX = E0..EF).  Prints them
 *   transport start|stop|locate FRAME
 *                              JACK transport (locate waits until there)
 *   drain [@MS]                wait MS (default 300), discard what came
 *   sleep MS
 *   dc LEVEL                   NAME:dc outputs LEVEL
 *   osc PATH [T V]...          send an OSC message (T: i f s)
 *   get PATH WANT TOL          query; |value - WANT| <= TOL
 *   call PATH [T V]... = TEXT  send; the reply (same path or /error), as
 *                              "path arg arg ...", equals TEXT
 *   wait-osc PATH = TEXT       an OSC message PATH arrives, equal to TEXT
 *   shell CMD...               run CMD with system(); it must exit 0
 *   sysex N                    send F0, N-2 data bytes, F7
 *   flood N HEX...             send the message N times, 8 every 2 ms, the
 *                              last byte counting up (mod 128)
 *   ride [@MS] N MINMS MAXMS MAXBACK HEX...
 *                              a hand riding a control: N values (HEX...
 *                              then the value), each MINMS..MAXMS after
 *                              the last (a fixed pseudo-random sequence),
 *                              sweeping 10..117 and back in steps of 1-4;
 *                              counts the messages starting with HEX...
 *                              that come back during the ride and MS
 *                              after it (default 1000), prints each with
 *                              its delay after the last time the ride sent
 *                              that value, and fails when more than
 *                              MAXBACK came
 *   latency N MAXMED HEX... / HEX...
 *                              N times: send the first message, wait until
 *                              NAME_rx:audio is silent, send the second and
 *                              measure the frames until it is not; prints
 *                              min/median/max and fails when the median
 *                              exceeds MAXMED frames
 * Prints "jmx_midi: ok (N commands)" at the end.  A failure exits 1, or
 * 3 when JACK reported an xrun during the run (a period that was not run
 * loses its MIDI events, and the daemon then refreshes the surface): the
 * caller runs the script again.
 *
 * Threads: main, and the two JACK process callbacks of midi_peer.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jack/transport.h>

#include "midi_peer.h"

static const char *script = "-";
static unsigned lineno;
static struct peer P;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%u: FAIL: ", script, lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(peer_spoiled(&P));
}

/* Bytes from tokens tok[0..n); a leading "@MS" sets *ms. */
static size_t hex_bytes(char **tok, int n, uint8_t *out, long *ms)
{
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		char *end;
		if (tok[i][0] == '@' && i == 0 && ms) {
			*ms = strtol(tok[i] + 1, &end, 10);
			continue;
		}
		unsigned long v = strtoul(tok[i], &end, 16);
		if (*end || v > 255 || k >= PEER_MSG_MAX)
			fail("bad byte '%s'", tok[i]);
		out[k++] = (uint8_t)v;
	}
	return k;
}

/* An OSC message from tokens T V T V ... up to "=" (or the end). */
static lo_message osc_args(char **tok, int n, int *used)
{
	lo_message m = lo_message_new();
	int i = 0;
	for (; i + 1 < n && strcmp(tok[i], "="); i += 2) {
		if (!strcmp(tok[i], "i"))
			lo_message_add_int32(m, atoi(tok[i + 1]));
		else if (!strcmp(tok[i], "f"))
			lo_message_add_float(m, strtof(tok[i + 1], NULL));
		else if (!strcmp(tok[i], "s"))
			lo_message_add_string(m, tok[i + 1]);
		else
			fail("bad OSC type '%s'", tok[i]);
	}
	*used = i;
	return m;
}

/* The words after "=", joined by single spaces. */
static void rest_text(char **tok, int n, int from, char *out, size_t len)
{
	size_t o = 0;
	out[0] = 0;
	for (int i = from; i < n; i++)
		o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s%s", i > from ? " " : "", tok[i]);
}

static void cmd_expect(char **tok, int n)
{
	uint8_t want[PEER_MSG_MAX];
	long ms = 2000;
	size_t len = hex_bytes(tok, n, want, &ms);
	struct peer_msg m;
	char got[1024], w[1024];
	long end = peer_now_ms() + ms;
	unsigned skipped = 0;
	peer_format(want, len, w, sizeof w);
	for (;;) {
		long left = end - peer_now_ms();
		if (!peer_recv(&P, &m, left > 0 ? left : 0))
			fail("expected %s within %ld ms (%u other message(s) came)", w, ms, skipped);
		if (m.len == len && !memcmp(m.data, want, len))
			return;
		peer_format(m.data, m.len, got, sizeof got);
		if (getenv("JMX_MIDI_VERBOSE"))
			fprintf(stderr, "%s:%u: skipped %s\n", script, lineno, got);
		skipped++;
	}
}

static void cmd_none(char **tok, int n)
{
	uint8_t want[PEER_MSG_MAX];
	long ms = 300;
	size_t len = hex_bytes(tok, n, want, &ms);
	struct peer_msg m;
	char got[1024];
	long end = peer_now_ms() + ms;
	for (;;) {
		long left = end - peer_now_ms();
		if (left <= 0 || !peer_recv(&P, &m, left))
			return;
		if (m.len >= len && !memcmp(m.data, want, len)) {
			peer_format(m.data, m.len, got, sizeof got);
			fail("unexpected %s", got);
		}
	}
}

static void cmd_follow(char **tok, int n)
{
	uint8_t want[PEER_MSG_MAX];
	long ms = 5000;
	int at = n > 0 && tok[0][0] == '@';
	if (at)
		ms = atol(tok[0] + 1);
	if (n - at < 4)
		fail("follow [@MS] MIN FROM TO HEX...");
	long min = atol(tok[at]), from = atol(tok[at + 1]), to = atol(tok[at + 2]);
	size_t len = hex_bytes(tok + at + 3, n - at - 3, want, NULL);
	int pb = len == 1 && (want[0] & 0xF0) == 0xE0;
	long vals[1024], dir = to > from ? 1 : -1;
	unsigned nv = 0;
	char list[4096];
	size_t o = 0;
	struct peer_msg m;
	long end = peer_now_ms() + ms;
	for (;;) {
		long left = end - peer_now_ms();
		if (!peer_recv(&P, &m, left > 0 ? left : 0))
			fail("follow: %ld never came within %ld ms (%u values on the way)", to, ms, nv);
		if (m.len < len + 1 || memcmp(m.data, want, len) || (pb && m.len != 3))
			continue;
		long v = pb ? (long)(m.data[1] | m.data[2] << 7) : (long)m.data[m.len - 1];
		if (v == to)
			break;
		if ((v - from) * dir <= 0 || (to - v) * dir <= 0)
			fail("follow: %ld is not strictly between %ld and %ld", v, from, to);
		if (nv && (v - vals[nv - 1]) * dir < 0)
			fail("follow: %ld after %ld goes back (from %ld to %ld)", v, vals[nv - 1], from, to);
		if (nv < sizeof vals / sizeof vals[0])
			vals[nv++] = v;
		o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, " %ld", v);
	}
	printf("follow: %u value(s) on the way from %ld to %ld:%s\n", nv, from, to, nv ? list : " none");
	fflush(stdout);
	if ((long)nv < min)
		fail("follow: %u value(s) on the way from %ld to %ld, want at least %ld", nv, from, to, min);
}

static void cmd_transport(char **tok, int n)
{
	if (n == 1 && !strcmp(tok[0], "start")) {
		jack_transport_start(P.tx);
	} else if (n == 1 && !strcmp(tok[0], "stop")) {
		jack_transport_stop(P.tx);
	} else if (n == 2 && !strcmp(tok[0], "locate")) {
		jack_nframes_t f = (jack_nframes_t)strtoul(tok[1], NULL, 10);
		jack_position_t pos;
		long end = peer_now_ms() + 3000;
		jack_transport_locate(P.tx, f);
		while (jack_transport_query(P.tx, &pos), pos.frame != f)
			if (peer_now_ms() > end)
				fail("transport: not at %u within 3 s (at %u)", f, pos.frame);
			else
				usleep(2000);
	} else {
		fail("transport start|stop|locate FRAME");
	}
}

static void cmd_drain(char **tok, int n)
{
	long ms = n > 0 && tok[0][0] == '@' ? atol(tok[0] + 1) : 300;
	struct peer_msg m;
	usleep((useconds_t)ms * 1000);
	while (peer_recv(&P, &m, 0))
		;
}

static void cmd_ride(char **tok, int n)
{
	uint8_t b[PEER_MSG_MAX];
	long after = 1000, sent_at[128];
	int at = n > 0 && tok[0][0] == '@';
	if (at)
		after = atol(tok[0] + 1);
	if (n - at < 5)
		fail("ride [@MS] N MINMS MAXMS MAXBACK HEX...");
	long count = atol(tok[at]), lo = atol(tok[at + 1]), hi = atol(tok[at + 2]),
	     maxback = atol(tok[at + 3]);
	size_t len = hex_bytes(tok + at + 4, n - at - 4, b, NULL);
	if (count < 1 || lo < 1 || hi < lo || len + 1 > PEER_MSG_MAX)
		fail("ride: bad arguments");
	uint32_t seed = 12345;
	long v = 10, dir = 1, back = 0, dmin = -1, dmax = -1;
	char list[4096];
	size_t o = 0;
	struct peer_msg m;
	for (int i = 0; i < 128; i++)
		sent_at[i] = -1;
	long t0 = peer_now_ms(), next = t0, end = -1;
	for (long k = 0;;) {
		long now = peer_now_ms();
		if (k < count && now >= next) {
			seed = seed * 1103515245u + 12345u; /* the same ride every run */
			long step = 1 + (long)((seed >> 16) % 4);
			if (v + dir * step > 117 || v + dir * step < 10)
				dir = -dir;
			v += dir * step;
			b[len] = (uint8_t)v;
			peer_send(&P, b, len + 1);
			sent_at[v] = now;
			seed = seed * 1103515245u + 12345u;
			next = now + lo + (long)((seed >> 16) % (unsigned long)(hi - lo + 1));
			if (++k == count)
				end = now + after;
			continue;
		}
		if (k == count && now >= end)
			break;
		long wait = (k < count ? next : end) - now;
		if (!peer_recv(&P, &m, wait > 0 ? wait : 0))
			continue;
		if (m.len != len + 1 || memcmp(m.data, b, len))
			continue;
		long got = m.data[len], d = sent_at[got] >= 0 ? peer_now_ms() - sent_at[got] : -1;
		back++;
		if (d >= 0 && (dmin < 0 || d < dmin))
			dmin = d;
		if (d > dmax)
			dmax = d;
		o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, " %ld@%ldms", got, d);
	}
	printf("ride: %ld moves in %ld ms, %ld message(s) back", count, end - after - t0, back);
	if (back)
		printf(" (value@delay after the ride sent it:%s; delays %ld..%ld ms)", list, dmin, dmax);
	printf("\n");
	fflush(stdout);
	if (back > maxback)
		fail("ride: %ld message(s) came back to the control that moved, want at most %ld", back,
		     maxback);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void cmd_latency(char **tok, int n)
{
	uint8_t off[PEER_MSG_MAX], on[PEER_MSG_MAX];
	uint32_t lat[256];
	int sep = -1;
	if (n < 5)
		fail("latency N MAXMED HEX... / HEX...");
	for (int i = 2; i < n; i++)
		if (!strcmp(tok[i], "/"))
			sep = i;
	if (sep < 0)
		fail("latency: no '/'");
	int trials = atoi(tok[0]);
	long maxmed = atol(tok[1]);
	size_t loff = hex_bytes(tok + 2, sep - 2, off, NULL);
	size_t lon = hex_bytes(tok + sep + 1, n - sep - 1, on, NULL);
	if (trials < 1 || trials > 256)
		fail("latency: 1..256 trials");
	for (int k = 0; k < trials; k++) {
		peer_send(&P, off, loff);
		long end = peer_now_ms() + 3000;
		usleep(20000);
		atomic_store(&P.quiet_cycles, 0);
		while (atomic_load(&P.quiet_cycles) < 8)
			if (peer_now_ms() > end)
				fail("latency: the output does not fall silent after the first message");
			else
				usleep(1000);
		atomic_store(&P.watch, 1);
		peer_send(&P, on, lon);
		end = peer_now_ms() + 3000;
		while (atomic_load(&P.watch))
			if (peer_now_ms() > end)
				fail("latency: the output never rose after the second message");
			else
				usleep(200);
		lat[k] = atomic_load(&P.watch_frame) - atomic_load(&P.sent_frame);
	}
	qsort(lat, (size_t)trials, sizeof lat[0], cmp_u32);
	double rate = jack_get_sample_rate(P.tx);
	unsigned period = jack_get_buffer_size(P.tx);
	uint32_t med = lat[trials / 2];
	printf("latency: %d trials, MIDI in -> audio out: min %u, median %u, max %u frames "
	       "(%.2f / %.2f / %.2f ms; period %u frames = %.2f ms)\n",
	       trials, lat[0], med, lat[trials - 1], lat[0] * 1000.0 / rate, med * 1000.0 / rate,
	       lat[trials - 1] * 1000.0 / rate, period, period * 1000.0 / rate);
	fflush(stdout);
	if ((long)med > maxmed)
		fail("median latency %u frames > %ld", med, maxmed);
}

static void run(char *line)
{
	char *tok[64];
	int n = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	for (char *t = strtok(line, " \t\r\n"); t && n < 64; t = strtok(NULL, " \t\r\n"))
		tok[n++] = t;
	if (!n)
		return;
	const char *c = tok[0];
	char text[2048];
	uint8_t b[PEER_MSG_MAX];
	if (!strcmp(c, "connect") && n == 3) {
		if (peer_connect(&P, tok[1], tok[2]) < 0)
			fail("cannot connect %s -> %s", tok[1], tok[2]);
	} else if (!strcmp(c, "send")) {
		size_t len = hex_bytes(tok + 1, n - 1, b, NULL);
		peer_send(&P, b, len);
	} else if (!strcmp(c, "expect")) {
		cmd_expect(tok + 1, n - 1);
	} else if (!strcmp(c, "none")) {
		cmd_none(tok + 1, n - 1);
	} else if (!strcmp(c, "follow")) {
		cmd_follow(tok + 1, n - 1);
	} else if (!strcmp(c, "transport")) {
		cmd_transport(tok + 1, n - 1);
	} else if (!strcmp(c, "drain")) {
		cmd_drain(tok + 1, n - 1);
	} else if (!strcmp(c, "sleep") && n == 2) {
		usleep((useconds_t)atol(tok[1]) * 1000);
	} else if (!strcmp(c, "dc") && n == 2) {
		peer_set_dc(&P, strtof(tok[1], NULL));
	} else if (!strcmp(c, "osc") && n >= 2) {
		int used;
		lo_message m = osc_args(tok + 2, n - 2, &used);
		peer_osc_send(&P, tok[1], m);
		lo_message_free(m);
	} else if (!strcmp(c, "get") && n == 4) {
		double v = peer_osc_getf(&P, tok[1]), want = strtod(tok[2], NULL), tol = strtod(tok[3], NULL);
		if (!(fabs(v - want) <= tol))
			fail("%s = %.9g, want %.9g +- %g (reply: %s)", tok[1], v, want, tol, P.reply);
	} else if (!strcmp(c, "call") && n >= 2) {
		int used;
		lo_message m = osc_args(tok + 2, n - 2, &used);
		if (2 + used >= n || strcmp(tok[2 + used], "="))
			fail("call PATH [T V]... = TEXT");
		rest_text(tok, n, 3 + used, text, sizeof text);
		peer_osc_send(&P, tok[1], m);
		lo_message_free(m);
		if (!peer_osc_wait(&P, tok[1], 2000))
			fail("no reply to %s", tok[1]);
		if (strcmp(P.reply, text))
			fail("%s replied '%s', want '%s'", tok[1], P.reply, text);
	} else if (!strcmp(c, "wait-osc") && n >= 3 && !strcmp(tok[2], "=")) {
		rest_text(tok, n, 3, text, sizeof text);
		if (!peer_osc_wait(&P, tok[1], 2000))
			fail("no %s within 2 s", tok[1]);
		if (strcmp(P.reply, text))
			fail("got '%s', want '%s'", P.reply, text);
	} else if (!strcmp(c, "sysex") && n == 2) {
		long len = atol(tok[1]);
		if (len < 2 || len > PEER_MSG_MAX)
			fail("sysex: 2..%d bytes", PEER_MSG_MAX);
		for (long k = 0; k < len; k++)
			b[k] = k == 0 ? 0xF0 : k == len - 1 ? 0xF7 : (uint8_t)(k & 0x7F);
		peer_send(&P, b, (size_t)len);
	} else if (!strcmp(c, "flood") && n >= 3) {
		long count = atol(tok[1]);
		size_t len = hex_bytes(tok + 2, n - 2, b, NULL);
		for (long k = 0; k < count; k++) {
			b[len - 1] = (uint8_t)(k & 127); /* every message a new value */
			peer_send(&P, b, len);
			if (k % 8 == 7)
				usleep(2000);
		}
	} else if (!strcmp(c, "shell") && n >= 2) {
		rest_text(tok, n, 1, text, sizeof text);
		if (system(text) != 0)
			fail("'%s' failed", text);
	} else if (!strcmp(c, "ride")) {
		cmd_ride(tok + 1, n - 1);
	} else if (!strcmp(c, "latency")) {
		cmd_latency(tok + 1, n - 1);
	} else {
		fail("unknown command or arguments: %s", c);
	}
}

int main(int argc, char **argv)
{
	const char *name = "jmx_midi";
	unsigned port = 0, count = 0;
	int a = 1;
	char line[4096];
	while (a + 1 < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "-n"))
			name = argv[a + 1];
		else if (!strcmp(argv[a], "-p"))
			port = (unsigned)atoi(argv[a + 1]);
		else
			break;
		a += 2;
	}
	if (a < argc)
		script = argv[a];
	FILE *f = strcmp(script, "-") ? fopen(script, "r") : stdin;
	if (!f) {
		fprintf(stderr, "jmx_midi: cannot open %s\n", script);
		return 2;
	}
	peer_open(&P, name, port);
	while (fgets(line, sizeof line, f)) {
		lineno++;
		run(line);
		count++;
	}
	printf("jmx_midi: ok (%u commands)\n", count);
	peer_close(&P);
	return 0;
}
