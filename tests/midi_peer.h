/*
 * midi_peer.h - the far end of jackmixd's MIDI ports for the integration
 * tests (jmx_midi, mcu_surface): a JACK MIDI device and an OSC client.
 *
 * Two JACK clients, so that the graph has no cycle (a cycle would delay
 * one direction by a period and spoil latency figures):
 *   NAME     midi port "out" (-> the daemon's midi_in) and audio "dc" (a
 *            constant, -> a channel input);
 *   NAME_rx  midi port "in" (<- the daemon's midi_out) and audio "in" (<-
 *            an output of the daemon, watched for the first sample above a
 *            threshold).
 * Messages cross between the test's main thread and the process callbacks
 * through SPSC rings (src/rtqueue.h), whole; received ones carry the JACK
 * frame time they were received at.
 *
 * OSC: a liblo socket of our own; replies to what it sends come back to
 * it.  Everything here fails loudly (stderr, exit status 1) when a setup
 * step fails; checks are the caller's.
 *
 * Threads: the two process callbacks (RT: rings and atomics only) and the
 * caller's main thread.
 */
#ifndef JMX_MIDI_PEER_H
#define JMX_MIDI_PEER_H

#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <lo/lo.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rtqueue.h"

#define PEER_MSG_MAX 512 /* longer than the daemon takes (256) */

struct peer_msg {
	uint32_t frame; /* JACK frame time (rx) */
	uint16_t len;
	uint8_t data[PEER_MSG_MAX];
};

struct peer {
	jack_client_t *tx, *rx;
	jack_port_t *mout, *dc, *min, *ain;
	struct rtq to_rt, from_rt;
	atomic_uint dc_bits;    /* float bits of the "dc" level */
	atomic_uint sent_frame; /* frame time of the last cycle that sent something */
	atomic_uint rx_dropped;
	atomic_int watch;         /* 1: look for the first |in| > threshold */
	atomic_uint watch_frame;  /* its frame time */
	atomic_uint quiet_cycles; /* consecutive rx cycles with |in| < threshold */
	atomic_uint xruns;        /* reported by JACK since peer_open */
	float threshold;
	char name[64];

	lo_server osc;
	lo_address daemon;
	char reply[2048]; /* the last OSC message received, as text */
	int reply_ok;
	const char *want; /* path the OSC handler waits for */
	int until_msg;    /* set by the handler */
};

static inline long peer_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static inline void peer_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "midi_peer: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int peer_tx_process(jack_nframes_t n, void *arg)
{
	struct peer *p = arg;
	void *buf = jack_port_get_buffer(p->mout, n);
	float *dc = jack_port_get_buffer(p->dc, n);
	struct peer_msg m;
	float level;
	uint32_t bits = atomic_load_explicit(&p->dc_bits, memory_order_relaxed);
	int any = 0;

	memcpy(&level, &bits, sizeof level);
	for (jack_nframes_t i = 0; i < n; i++)
		dc[i] = level;
	jack_midi_clear_buffer(buf);
	/* all at offset 0: one cycle, in order */
	while (jack_midi_max_event_size(buf) >= PEER_MSG_MAX && rtq_pop(&p->to_rt, &m) == 0) {
		jack_midi_event_write(buf, 0, m.data, m.len);
		any = 1;
	}
	if (any)
		atomic_store(&p->sent_frame, jack_last_frame_time(p->tx));
	return 0;
}

static int peer_rx_process(jack_nframes_t n, void *arg)
{
	struct peer *p = arg;
	void *buf = jack_port_get_buffer(p->min, n);
	const float *in = jack_port_get_buffer(p->ain, n);
	uint32_t t0 = jack_last_frame_time(p->rx);
	uint32_t k = jack_midi_get_event_count(buf);
	int pushed = 0;

	for (uint32_t i = 0; i < k; i++) {
		jack_midi_event_t ev;
		struct peer_msg m;
		if (jack_midi_event_get(&ev, buf, i) != 0)
			continue;
		if (ev.size > PEER_MSG_MAX) {
			atomic_fetch_add(&p->rx_dropped, 1);
			continue;
		}
		m.frame = t0 + ev.time;
		m.len = (uint16_t)ev.size;
		memcpy(m.data, ev.buffer, ev.size);
		if (rtq_push(&p->from_rt, &m) < 0)
			atomic_fetch_add(&p->rx_dropped, 1);
		else
			pushed = 1;
	}
	if (pushed)
		rtq_publish(&p->from_rt);
	int loud = 0;
	for (jack_nframes_t i = 0; i < n; i++)
		if (in[i] > p->threshold || in[i] < -p->threshold) {
			if (atomic_load_explicit(&p->watch, memory_order_acquire)) {
				atomic_store(&p->watch_frame, t0 + i);
				atomic_store_explicit(&p->watch, 0, memory_order_release);
			}
			loud = 1;
			break;
		}
	if (loud)
		atomic_store(&p->quiet_cycles, 0);
	else
		atomic_fetch_add(&p->quiet_cycles, 1);
	return 0;
}

/* JACK's notification thread.  A period that was not run loses the MIDI
 * events written in it: a test that then misses a message reports its
 * result as spoiled by an xrun (see peer_spoiled), not as a failure. */
static int peer_xrun(void *arg)
{
	struct peer *p = arg;
	atomic_fetch_add(&p->xruns, 1);
	return 0;
}

static inline jack_client_t *peer_client(const char *name)
{
	jack_status_t st;
	jack_client_t *c = jack_client_open(name, JackNoStartServer | JackUseExactName, &st);
	if (!c)
		peer_die("cannot open JACK client %s (status 0x%x)", name, (unsigned)st);
	return c;
}

/* Open both clients and the OSC socket (osc_port 0: no OSC). */
static inline void peer_open(struct peer *p, const char *name, unsigned osc_port)
{
	char rxname[80], port[16];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	snprintf(rxname, sizeof rxname, "%s_rx", name);
	if (rtq_init(&p->to_rt, 1024, sizeof(struct peer_msg)) < 0 ||
	    rtq_init(&p->from_rt, 4096, sizeof(struct peer_msg)) < 0)
		peer_die("out of memory");
	p->threshold = 1e-4f;
	p->tx = peer_client(name);
	p->rx = peer_client(rxname);
	p->mout = jack_port_register(p->tx, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
	p->dc = jack_port_register(p->tx, "dc", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	p->min = jack_port_register(p->rx, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
	p->ain = jack_port_register(p->rx, "audio", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	if (!p->mout || !p->dc || !p->min || !p->ain)
		peer_die("cannot register ports");
	jack_set_process_callback(p->tx, peer_tx_process, p);
	jack_set_process_callback(p->rx, peer_rx_process, p);
	jack_set_xrun_callback(p->tx, peer_xrun, p);
	if (jack_activate(p->tx) || jack_activate(p->rx))
		peer_die("cannot activate");
	if (osc_port) {
		snprintf(port, sizeof port, "%u", osc_port);
		p->osc = lo_server_new_with_proto(NULL, LO_UDP, NULL);
		p->daemon = lo_address_new("127.0.0.1", port);
		if (!p->osc || !p->daemon)
			peer_die("cannot create the OSC socket");
	}
}

/* Exit status of a test that failed: PEER_SPOILED when JACK reported an
 * xrun during the run (the caller may run it again), else 1. */
#define PEER_SPOILED 3
static inline int peer_spoiled(struct peer *p)
{
	unsigned x = atomic_load(&p->xruns);
	if (!x)
		return 1;
	fprintf(stderr, "midi_peer: %u xrun(s) during the run: the result is spoiled, not a failure\n", x);
	return PEER_SPOILED;
}

static inline void peer_close(struct peer *p)
{
	jack_client_close(p->tx);
	jack_client_close(p->rx);
	if (p->osc)
		lo_server_free(p->osc);
	if (p->daemon)
		lo_address_free(p->daemon);
}

/* Connect src -> dst, retrying while the other side is still starting. */
static inline int peer_connect(struct peer *p, const char *src, const char *dst)
{
	for (int i = 0; i < 100; i++) {
		int r = jack_connect(p->tx, src, dst);
		if (r == 0 || r == EEXIST)
			return 0;
		usleep(50000);
	}
	return -1;
}

static inline void peer_set_dc(struct peer *p, float level)
{
	uint32_t bits;
	memcpy(&bits, &level, sizeof bits);
	atomic_store(&p->dc_bits, bits);
}

/* Queue one message for the next cycle. */
static inline void peer_send(struct peer *p, const uint8_t *data, size_t len)
{
	struct peer_msg m;
	if (len > PEER_MSG_MAX)
		peer_die("message too long");
	m.len = (uint16_t)len;
	m.frame = 0;
	memcpy(m.data, data, len);
	while (rtq_push(&p->to_rt, &m) < 0) {
		rtq_publish(&p->to_rt);
		usleep(1000);
	}
	rtq_publish(&p->to_rt);
}

static inline void peer_send3(struct peer *p, uint8_t a, uint8_t b, uint8_t c)
{
	uint8_t m[3] = {a, b, c};
	peer_send(p, m, 3);
}

/* Next received message within timeout_ms: 1, or 0 on timeout. */
static inline int peer_recv(struct peer *p, struct peer_msg *m, long timeout_ms)
{
	long end = peer_now_ms() + timeout_ms;
	for (;;) {
		if (rtq_pop(&p->from_rt, m) == 0)
			return 1;
		if (peer_now_ms() >= end)
			return 0;
		usleep(500);
	}
}

static inline void peer_format(const uint8_t *d, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < len && o + 4 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%02X", i ? " " : "", d[i]);
}

/* ---- OSC ---------------------------------------------------------------- */

static int peer_osc_handler(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg,
                            void *ud)
{
	struct peer *p = ud;
	size_t o;
	(void)msg;
	if (p->want && strcmp(path, p->want) && strcmp(path, "/error"))
		return 0; /* not what we wait for (feedback, other replies) */
	o = (size_t)snprintf(p->reply, sizeof p->reply, "%s", path);
	for (int i = 0; i < argc && o < sizeof p->reply - 1; i++) {
		switch (types[i]) {
		case 'i':
			o += (size_t)snprintf(p->reply + o, sizeof p->reply - o, " %d", argv[i]->i);
			break;
		case 'h':
			o += (size_t)snprintf(p->reply + o, sizeof p->reply - o, " %lld",
			                      (long long)argv[i]->h);
			break;
		case 'f':
			o += (size_t)snprintf(p->reply + o, sizeof p->reply - o, " %.9g", (double)argv[i]->f);
			break;
		case 's':
		case 'S':
			o += (size_t)snprintf(p->reply + o, sizeof p->reply - o, " %s", &argv[i]->s);
			break;
		default:
			o += (size_t)snprintf(p->reply + o, sizeof p->reply - o, " ?");
		}
	}
	p->until_msg = 1;
	return 0;
}

/* Wait up to timeout_ms for an OSC message whose path is want (or
 * /error); its text in p->reply.  1, or 0 on timeout. */
static inline int peer_osc_wait(struct peer *p, const char *want, long timeout_ms)
{
	static int added;
	long end = peer_now_ms() + timeout_ms;
	if (!added) {
		lo_server_add_method(p->osc, NULL, NULL, peer_osc_handler, p);
		added = 1;
	}
	p->want = want;
	p->until_msg = 0;
	while (!p->until_msg) {
		long left = end - peer_now_ms();
		if (left <= 0)
			return 0;
		lo_server_recv_noblock(p->osc, (int)left);
	}
	return 1;
}

static inline void peer_osc_send(struct peer *p, const char *path, lo_message m)
{
	if (lo_send_message_from(p->daemon, p->osc, path, m) < 0)
		peer_die("OSC send of %s failed", path);
}

/* Set a float parameter. */
static inline void peer_osc_setf(struct peer *p, const char *path, float v)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	peer_osc_send(p, path, m);
	lo_message_free(m);
}

/* Query a numeric parameter: its first value, or NAN. */
static inline double peer_osc_getf(struct peer *p, const char *path)
{
	lo_message m = lo_message_new();
	peer_osc_send(p, path, m);
	lo_message_free(m);
	if (!peer_osc_wait(p, path, 2000) || strncmp(p->reply, path, strlen(path)))
		return NAN;
	const char *v = p->reply + strlen(path);
	return *v ? strtod(v, NULL) : NAN;
}

#endif
