/*
 * engine.c - JACK glue; see engine.h.
 *
 * Threads: the process callback (engine_process) is the RT entry point.  It
 * touches only preallocated memory: it fetches port buffers and the
 * transport and hands them to rtcycle_run (rt/rtcycle.c: the queue, the
 * automation, the mixer and the recorder's ring), then moves raw MIDI
 * between the MIDI ports and the rings of midiring.c (which make no JACK
 * call, so this file walks the port buffers).  Everything else runs on the control thread, or on JACK's
 * notification threads where it only updates atomics and posts a byte to
 * the control loop; the one exception is engine_latency on JACK2, which
 * sets our ports' latencies inside the callback as JACK2's graph-ordered
 * recomputation needs.  On PipeWire's libjack no callback of ours makes a
 * JACK call at all (engine_latency only asks the control thread): it runs
 * its callbacks on its protocol thread with its lock released, so a call
 * from there that sends to the server races the control thread's calls
 * on the same connection (see engine_latency).
 *
 * Invariants: the mixer and every buffer the RT thread uses exist before
 * jack_activate and outlive jack_deactivate.  When the server goes away
 * e->client becomes NULL (engine_lost) until engine_reopen has a new one;
 * only the control thread looks at it.  The calls that can block on a
 * dying or hung server (closing the dead client, opening a new one) run
 * on a short-lived opener thread, one at a time, so the control loop (and
 * OSC) never waits for JACK while it is away.  The mixer is replaced only
 * while no client exists (a server back at another rate), so the RT
 * thread never sees it change.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include "engine.h"
#include "role.h"

#include "engine_core.h"
#include "engine_latency.h"

#include <errno.h>
#include <fnmatch.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "autoplay.h"
#include "dsp.h"
#include "log.h"
#include "midiring.h"
#include "recring.h"
#include "rtcycle.h"

#define ENGINE_QUEUE_RECORDS 16384u
#define ENGINE_RETRY_MS      1000u /* between two attempts to reach a server that is away */
#define ENGINE_OPENER_STACK  (512u * 1024u)

enum { OPENER_IDLE, OPENER_RUNNING, OPENER_DONE };

/* In a RealtimeSanitizer build (clang -fsanitize=realtime) the process
 * callback is a real-time context: RTSan reports any blocking call made
 * from it or from anything it calls (tests/rtsan.sh). */
#if defined(__has_feature)
#if __has_feature(realtime_sanitizer)
#define ENGINE_NONBLOCKING __attribute__((nonblocking))
#endif
#endif
#ifndef ENGINE_NONBLOCKING
#define ENGINE_NONBLOCKING
#endif
/* An AddressSanitizer build maps terabytes of shadow memory: mlockall
 * would try to pin it all (tests/asan.sh). */
#if defined(__SANITIZE_ADDRESS__)
#define ENGINE_NO_MLOCK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENGINE_NO_MLOCK 1
#endif
#endif

/* RT: raw MIDI between the ports and the rings (midiring.h), whole
 * messages only.  The JACK MIDI buffer functions are plain memory
 * operations on the port buffers; the ring does the rest (drops, the
 * message carried over to the next period, the wake-up).  midi_out is
 * cleared every period, with or without rings. */
static void engine_midi(struct engine *e, jack_nframes_t nframes) ENGINE_NONBLOCKING;
static void engine_midi(struct engine *e, jack_nframes_t nframes)
{
	void *in = jack_port_get_buffer(e->midi_in, nframes);
	void *out = jack_port_get_buffer(e->midi_out, nframes);
	struct midiring *r = e->midi;
	const uint8_t *msg;
	size_t len;

	if (out)
		jack_midi_clear_buffer(out);
	if (!r)
		return;
	if (in) {
		uint32_t n = jack_midi_get_event_count(in);
		for (uint32_t i = 0; i < n; i++) {
			jack_midi_event_t ev;
			if (jack_midi_event_get(&ev, in, i) == 0)
				midiring_rt_in(r, ev.buffer, ev.size);
		}
		midiring_rt_in_end(r);
	}
	if (!out)
		return;
	midiring_rt_out_begin(r, jack_midi_max_event_size(out));
	while ((msg = midiring_rt_out_next(r, jack_midi_max_event_size(out), &len))) {
		jack_midi_data_t *d = jack_midi_event_reserve(out, 0, len);
		if (!d)
			return; /* full after all: the message waits for the next period */
		memcpy(d, msg, len);
		midiring_rt_out_commit(r);
	}
}

static int engine_process(jack_nframes_t nframes, void *arg) ENGINE_NONBLOCKING;
static int engine_process(jack_nframes_t nframes, void *arg)
{
	struct engine *e = arg;
	struct timespec t0, t1;
	const struct rtcycle rc = {e->mixer,     &e->queue,  e->autoplay, e->rec,
	                           e->rec_stems, &e->frames, &e->cycles,  e->pb};
	struct rtcycle_transport tr = {0, 0, atomic_load_explicit(&e->freewheel, memory_order_relaxed), 0.0f};
	jack_position_t pos;
	int rolling;

	clock_gettime(CLOCK_MONOTONIC, &t0); /* vDSO: no system call */
	ROLE_SET(ROLE_RT);                   /* JACK's process thread runs nothing else of ours */
	/* automation runs on JACK transport time, and synced delays follow
	 * its tempo (jack_transport_query is RT-safe: it reads shared memory) */
	rolling = jack_transport_query(e->rt_client, &pos) == JackTransportRolling;
	if (e->autoplay) {
		tr.rolling = rolling;
		tr.frame = pos.frame;
	}
	if ((pos.valid & JackPositionBBT) && pos.beats_per_minute > 0.0)
		tr.bpm = (float)pos.beats_per_minute;
	for (unsigned i = 0; i < e->inputs; i++)
		e->in_buf[i] = jack_port_get_buffer(e->in_ports[i], nframes);
	for (unsigned i = 0; i < e->outputs; i++)
		e->out_buf[i] = jack_port_get_buffer(e->out_ports[i], nframes);
	/* the period's whole work on plain buffers (rtcycle.c: what the
	 * in-process tests run too) */
	rtcycle_run(&rc, e->in_buf, e->out_buf, nframes, &tr);
	/* raw MIDI in and out through preallocated rings only */
	if (e->midi_in && e->midi_out)
		engine_midi(e, nframes);
	/* our own share of a period: what an xrun can be blamed on us */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!atomic_load_explicit(&e->freewheel, memory_order_relaxed) && e->rate) {
		int64_t ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
		int64_t budget = (int64_t)nframes * 1000000000 / e->rate;
		unsigned pm = budget > 0 && ns > 0 ? (unsigned)(ns * 1000 / budget) : 0;
		unsigned cur = atomic_load_explicit(&e->load_max, memory_order_relaxed);
		while (pm > cur && !atomic_compare_exchange_weak_explicit(
		                       &e->load_max, &cur, pm, memory_order_relaxed, memory_order_relaxed))
			;
		if (ns > budget)
			atomic_fetch_add_explicit(&e->late, 1, memory_order_relaxed);
	}
	return 0;
}

/* Any non-RT thread: wake the timers that look at xruns, the graph and
 * the connection (they sleep while nothing happens). */
static void engine_notify(struct engine *e)
{
	for (unsigned i = 0; i < e->nwatch; i++)
		control_timer_post(e->ctl, e->watch[i]);
}

int engine_watch(struct engine *e, int timer)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e || timer < 0 || e->nwatch >= ENGINE_WATCHERS)
		return -1;
	e->watch[e->nwatch++] = timer;
	return 0;
}

static int engine_xrun(void *arg)
{
	struct engine *e = arg;
	atomic_fetch_add_explicit(&e->xruns, 1, memory_order_relaxed);
	engine_notify(e);
	return 0;
}

/* Any period up to JMX_MAX_FRAMES renders in JMX_CHUNK pieces from the
 * buffers mixer_new sized for the largest one: nothing to allocate here. */
static int engine_bufsize(jack_nframes_t n, void *arg)
{
	struct engine *e = arg;
	atomic_store(&e->period, n);
	return 0;
}

static void engine_freewheel(int starting, void *arg)
{
	struct engine *e = arg;
	atomic_store(&e->freewheel, starting != 0);
}

/* JACK notification thread: only count; the control thread looks. */
static void engine_port_registered(jack_port_id_t port, int reg, void *arg)
{
	struct engine *e = arg;
	(void)port;
	(void)reg;
	atomic_fetch_add_explicit(&e->graph_gen, 1, memory_order_release);
	engine_notify(e);
}

static void engine_port_connected(jack_port_id_t a, jack_port_id_t b, int connect, void *arg)
{
	struct engine *e = arg;
	(void)a;
	(void)b;
	(void)connect;
	atomic_fetch_add_explicit(&e->graph_gen, 1, memory_order_release);
	engine_notify(e);
}

/* JACK's threads, when the server goes away or throws us out: note why
 * and let the control thread deal with it (engine_lost).  Only the first
 * call of a client's life counts: JACK2 (1.9.21) calls both shutdown
 * callbacks (measured: the info one first, as the socket thread finds the
 * server gone), PipeWire's libjack only engine_shutdown_plain's. */
static void engine_shutdown(jack_status_t code, const char *reason, void *arg)
{
	struct engine *e = arg;
	int first = 0;
	(void)code;
	if (!atomic_compare_exchange_strong(&e->down, &first, 1))
		return;
	snprintf(e->lost_reason, sizeof e->lost_reason, "%s", reason ? reason : "");
	atomic_store(&e->lost, 1);
	atomic_store(&e->active, 0);
	engine_notify(e);
	control_post(e->ctl, CTL_EV_SHUTDOWN);
}

/* The same, through jack_on_shutdown.  PipeWire's libjack (pw-jack, 0.3.65
 * in Debian 12) calls only this one when its server goes away: with just
 * the info callback the daemon went on saying "running" with a dead
 * client and never reconnected (tests/pipewire.sh). */
static void engine_shutdown_plain(void *arg)
{
	engine_shutdown(JackFailure | JackServerError, "the server closed the connection", arg);
}

/* JACK2: its notification thread, during a graph-ordered recomputation,
 * which expects the ranges set before we return (JACK2's libjack may be
 * called from any thread).  PipeWire's libjack (0.3.65) calls it on its
 * protocol thread with its lock released, and jack_port_set_latency_range
 * made from there sends a port update at once, while the control thread
 * may be inside jack_connect sending on the same connection: two writers
 * in one message buffer.  That killed the daemon as it re-made its
 * connections after PipeWire's restart (SIGABRT in
 * module-protocol-native.c's assert_single_pod, or SIGSEGV; each made
 * connection changes latencies).  There the callback only asks: the
 * control thread sets the ranges (engine_tick), and PipeWire's libjack
 * runs a call made from another thread on its own thread, under its lock. */
static void engine_latency(jack_latency_callback_mode_t mode, void *arg)
{
	struct engine *e = arg;
	if (e->pw_jack) {
		atomic_store(&e->latency_due, 1);
		engine_notify(e); /* the housekeeping timer (engine_tick) may sleep */
		return;
	}
	engine_latency_apply(e, mode);
}

static jack_port_t *engine_register(struct engine *e, const char *name, int output)
{
	jack_port_t *p = jack_port_register(e->client, name, JACK_DEFAULT_AUDIO_TYPE,
	                                    output ? JackPortIsOutput : JackPortIsInput, 0);
	if (!p)
		log_err("JACK refused to register port %s:%s", jack_get_client_name(e->client), name);
	return p;
}

static int engine_register_ports(struct engine *e, const struct engine_config *cfg)
{
	char name[64];
	unsigned lane = 0, o = 0;

	for (unsigned c = 0; c < cfg->mono + cfg->stereo; c++) {
		if (c < cfg->mono) {
			snprintf(name, sizeof name, "in_%u", c + 1);
			if (!(e->in_ports[lane++] = engine_register(e, name, 0)))
				return -1;
		} else {
			snprintf(name, sizeof name, "in_%u_L", c + 1);
			if (!(e->in_ports[lane++] = engine_register(e, name, 0)))
				return -1;
			snprintf(name, sizeof name, "in_%u_R", c + 1);
			if (!(e->in_ports[lane++] = engine_register(e, name, 0)))
				return -1;
		}
	}
	if (e->talkback && !(e->in_ports[lane++] = engine_register(e, "talk_in", 0)))
		return -1;
	static const char *const fixed[] = {"master_L", "master_R", "mon_L", "mon_R"};
	for (unsigned i = 0; i < 4; i++)
		if (!(e->out_ports[o++] = engine_register(e, fixed[i], 1)))
			return -1;
	for (unsigned b = 0; b < cfg->buses; b++) {
		snprintf(name, sizeof name, "bus_%u_L", b + 1);
		if (!(e->out_ports[o++] = engine_register(e, name, 1)))
			return -1;
		snprintf(name, sizeof name, "bus_%u_R", b + 1);
		if (!(e->out_ports[o++] = engine_register(e, name, 1)))
			return -1;
	}
	/* last, so that the audio ports keep their order and a script that
	 * waits for N ports still sees every audio port first */
	e->midi_in = jack_port_register(e->client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
	e->midi_out = jack_port_register(e->client, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
	if (!e->midi_in || !e->midi_out) {
		log_err("JACK refused to register the MIDI ports midi_in/midi_out");
		return -1;
	}
	return 0;
}

/* libjack prints its own errors (several lines per failed open, and once
 * a second while we retry an absent server).  Around our own opens they
 * are caught here instead, the first one kept for our one line.  The hook
 * is process-wide; it is set only on the control thread, and at worst
 * another JACK thread's message is lost in the moment it is set. */
static char engine_jack_msg[200];

static void engine_jack_capture(const char *msg)
{
	if (!engine_jack_msg[0])
		snprintf(engine_jack_msg, sizeof engine_jack_msg, "%s", msg);
}

static jack_client_t *engine_jack_open(const char *name, jack_options_t opts, jack_status_t *status,
                                       const char *server)
{
	jack_client_t *c;
	engine_jack_msg[0] = 0;
	jack_set_error_function(engine_jack_capture);
	jack_set_info_function(engine_jack_capture);
	c = server ? jack_client_open(name, opts | JackServerName, status, server)
	           : jack_client_open(name, opts, status);
	jack_set_error_function(NULL);
	jack_set_info_function(NULL);
	return c;
}

/* JACK2 answers an exact name that is taken with JackServerError, not
 * JackNameNotUnique: ask again without insisting on the name and see
 * whether the server had to change it. */
static int engine_name_taken(const char *name, const char *server)
{
	jack_status_t st = 0;
	jack_client_t *probe = engine_jack_open(name, JackNoStartServer, &st, server);
	int taken = probe && strcmp(jack_get_client_name(probe), name) != 0;
	if (probe)
		jack_client_close(probe);
	return taken;
}

static int engine_client_open(struct engine *e, const char *name, const char *server)
{
	jack_status_t status = 0;
	snprintf(e->name, sizeof e->name, "%s", name);
	e->client = engine_jack_open(name, JackNoStartServer | JackUseExactName, &status, server);
	if (!e->client) {
		char why[sizeof engine_jack_msg];
		snprintf(why, sizeof why, "%s", engine_jack_msg);
		if ((status & JackNameNotUnique) ||
		    (!(status & JackServerFailed) && engine_name_taken(name, server)))
			log_err("JACK client name '%s' is already in use on server '%s' (choose another with "
			        "--name)",
			        name, server ? server : "default");
		else if (status & JackServerFailed)
			log_err("cannot connect to JACK server '%s': is jackd running? (--server)",
			        server ? server : "default");
		else
			log_err("cannot open JACK client '%s' on server '%s' (status 0x%x%s%s)", name,
			        server ? server : "default", (unsigned)status, why[0] ? ": " : "", why);
		return -1;
	}
	return 0;
}

/* Ports and callbacks of a freshly opened client (before activation). */
static int engine_client_setup(struct engine *e)
{
	struct engine_config cfg = {NULL, NULL, e->mono, e->stereo, e->buses, e->talkback};
	if (engine_register_ports(e, &cfg) < 0)
		return -1;
	if (jack_set_process_callback(e->client, engine_process, e) ||
	    jack_set_xrun_callback(e->client, engine_xrun, e) ||
	    jack_set_buffer_size_callback(e->client, engine_bufsize, e) ||
	    jack_set_latency_callback(e->client, engine_latency, e) ||
	    jack_set_port_registration_callback(e->client, engine_port_registered, e) ||
	    jack_set_port_connect_callback(e->client, engine_port_connected, e) ||
	    jack_set_freewheel_callback(e->client, engine_freewheel, e)) {
		log_err("cannot set JACK callbacks");
		return -1;
	}
	/* any client before this one is closed: none of its callbacks can come */
	atomic_store(&e->down, 0);
	jack_on_shutdown(e->client, engine_shutdown_plain, e);
	jack_on_info_shutdown(e->client, engine_shutdown, e);
	return 0;
}

struct engine *engine_open(const struct engine_config *cfg, struct control *ctl)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct engine *e = calloc(1, sizeof *e);
	if (!e) {
		log_err("out of memory");
		return NULL;
	}
	e->ctl = ctl;
	e->mono = cfg->mono;
	e->stereo = cfg->stereo;
	e->talkback = cfg->talkback != 0;
	e->buses = cfg->buses;
	if (cfg->server)
		snprintf(e->server, sizeof e->server, "%s", cfg->server);
	if (engine_client_open(e, cfg->name, cfg->server) < 0)
		goto fail;
	/* "3.0.0.0 (using PipeWire 0.3.65)"; JACK2's says "1.9.21" */
	e->pw_jack = strstr(jack_get_version_string(), "PipeWire") != NULL;
	e->rate = jack_get_sample_rate(e->client);
	atomic_init(&e->period, jack_get_buffer_size(e->client));

	struct mixer_config mc = {cfg->mono, cfg->stereo, cfg->buses, (double)e->rate, (unsigned)e->talkback};
	e->mixer = mixer_new(&mc);
	if (!e->mixer) {
		log_err("cannot allocate the mixer (%u channels, %u buses)", cfg->mono + cfg->stereo,
		        cfg->buses);
		goto fail;
	}
	if (rtq_init(&e->queue, ENGINE_QUEUE_RECORDS, sizeof(struct rt_msg)) < 0) {
		log_err("out of memory");
		goto fail;
	}
	e->lanes = mixer_lanes(e->mixer);
	e->outputs = mixer_outputs(e->mixer);
	e->inputs = mixer_inputs(e->mixer);
	e->in_ports = calloc(e->inputs, sizeof *e->in_ports);
	e->out_ports = calloc(e->outputs, sizeof *e->out_ports);
	e->in_buf = calloc(e->inputs, sizeof *e->in_buf);
	e->out_buf = calloc(e->outputs, sizeof *e->out_buf);
	if (!e->in_ports || !e->out_ports || !e->in_buf || !e->out_buf) {
		log_err("out of memory");
		goto fail;
	}
	if (engine_client_setup(e) < 0)
		goto fail;
	log_info("JACK client '%s' on server '%s': %u Hz, %u frames, %u input ports, %u output ports, "
	         "master latency %u frames",
	         jack_get_client_name(e->client), cfg->server ? cfg->server : "default", e->rate,
	         atomic_load(&e->period), e->inputs, e->outputs, mixer_latency(e->mixer));
	return e;
fail:
	engine_close(e);
	return NULL;
}

int engine_start(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
#ifdef ENGINE_NO_MLOCK
	log_info("AddressSanitizer build: memory is not locked");
#else
	if (mlockall(MCL_CURRENT) < 0)
		log_warn("cannot lock memory (%s; see ulimit -l): running anyway, audio may glitch under "
		         "memory pressure",
		         strerror(errno));
#endif
	e->rt_client = e->client;
	if (jack_activate(e->client)) {
		log_err("cannot activate the JACK client");
		return -1;
	}
	atomic_store(&e->active, 1);
	/* the audio thread by name in per-thread figures (top -H, /proc) */
	pthread_setname_np((pthread_t)jack_client_thread_id(e->client), "jmx-rt");
	return 0;
}

/* Natural order: capture_2 before capture_10. */
static int engine_natcmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	while (*x && *y) {
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
			char *ex, *ey;
			unsigned long nx = strtoul(x, &ex, 10), ny = strtoul(y, &ey, 10);
			if (nx != ny)
				return nx < ny ? -1 : 1;
			x = ex, y = ey;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x - (unsigned char)*y;
		x++, y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

/* to_inputs: our inputs from k ports from input first (the lanes, or
 * talk_in), else master_L/R to two ports. */
static int engine_connect_glob(struct engine *e, const char *glob, int to_inputs, unsigned first,
                               engine_conn_fn fn, void *ctx)
{
	const char **all = jack_get_ports(e->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
	                                  to_inputs ? JackPortIsOutput : JackPortIsInput);
	const char *own = jack_get_client_name(e->client);
	size_t ownlen = strlen(own);
	unsigned n = 0, made = 0, want = !to_inputs ? 2 : first < e->lanes ? e->lanes : 1;
	const char *match[1024];

	if (!all) {
		log_warn("no JACK ports match '%s'", glob);
		return 0;
	}
	for (unsigned i = 0; all[i] && n < 1024; i++)
		if (fnmatch(glob, all[i], 0) == 0 &&
		    !(strncmp(all[i], own, ownlen) == 0 && all[i][ownlen] == ':'))
			match[n++] = all[i];
	qsort(match, n, sizeof *match, engine_natcmp);
	for (unsigned i = 0; i < n && i < want; i++) {
		jack_port_t *mine = to_inputs ? e->in_ports[first + i] : e->out_ports[i];
		const char *src = to_inputs ? match[i] : jack_port_name(mine);
		const char *dst = to_inputs ? jack_port_name(mine) : match[i];
		int r = jack_connect(e->client, src, dst);
		if (r == 0 || r == EEXIST) {
			made++;
			log_info("connected %s -> %s", src, dst);
			if (fn)
				fn(ctx, jack_port_short_name(mine), match[i]);
		} else {
			log_warn("cannot connect %s -> %s", src, dst);
		}
	}
	if (n == 0)
		log_warn("no JACK ports match '%s'", glob);
	jack_free(all);
	return (int)made;
}

int engine_connect_inputs(struct engine *e, const char *glob, engine_conn_fn made, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->client ? engine_connect_glob(e, glob, 1, 0, made, ctx) : -1;
}

int engine_connect_talkback(struct engine *e, const char *glob, engine_conn_fn made, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->talkback)
		return 0;
	return e->client ? engine_connect_glob(e, glob, 1, e->lanes, made, ctx) : -1;
}

int engine_connect_master(struct engine *e, const char *glob, engine_conn_fn made, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->client ? engine_connect_glob(e, glob, 0, 0, made, ctx) : -1;
}

void engine_tick(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned x = atomic_load_explicit(&e->xruns, memory_order_relaxed);
	/* PipeWire: the latencies its latency callback asked for (a flag
	 * left by a lost client is harmless: they are the same ports) */
	if (e->client && atomic_load(&e->active) && atomic_exchange(&e->latency_due, 0)) {
		engine_latency_apply(e, JackCaptureLatency);
		engine_latency_apply(e, JackPlaybackLatency);
	}
	if (x != e->xruns_reported) {
		log_warn("%u xrun(s) reported by JACK", x - e->xruns_reported);
		e->xruns_reported = x;
	}
}

int engine_close(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e)
		return 0;
	if (atomic_load(&e->opener) != OPENER_IDLE) {
		/* an attempt under way: give it a moment; one stuck on a hung
		 * server keeps the engine (we are exiting anyway) */
		for (int i = 0; i < 100 && atomic_load(&e->opener) == OPENER_RUNNING; i++) {
			struct timespec ts = {0, 10000000};
			nanosleep(&ts, NULL);
		}
		if (atomic_load(&e->opener) == OPENER_RUNNING) {
			log_warn("JACK does not answer: leaving without closing the client");
			return 1;
		}
		pthread_join(e->opener_thread, NULL);
		atomic_store(&e->opener, OPENER_IDLE);
		if (e->opened)
			jack_client_close(e->opened);
	}
	if (e->dead)
		jack_client_close(e->dead);
	if (e->client) {
		if (atomic_load(&e->active))
			jack_deactivate(e->client);
		jack_client_close(e->client);
	}
	mixer_free(e->mixer);
	if (e->queue.buf)
		rtq_destroy(&e->queue);
	free(e->in_ports);
	free(e->out_ports);
	free(e->in_buf);
	free(e->out_buf);
	free(e);
	return 0;
}

void engine_set_midi(struct engine *e, struct midiring *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	e->midi = r;
}

int engine_connect_midi(struct engine *e, const char *glob, engine_conn_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *own = e->client ? jack_get_client_name(e->client) : NULL;
	int made = 0, matched = 0;
	if (!own)
		return -1;
	size_t ownlen = strlen(own);
	for (int dir = 0; dir < 2; dir++) {
		/* dir 0: their outputs -> midi_in; dir 1: midi_out -> their inputs */
		const char **all = jack_get_ports(e->client, NULL, JACK_DEFAULT_MIDI_TYPE,
		                                  dir ? JackPortIsInput : JackPortIsOutput);
		for (unsigned i = 0; all && all[i]; i++) {
			if (fnmatch(glob, all[i], 0) != 0 ||
			    (strncmp(all[i], own, ownlen) == 0 && all[i][ownlen] == ':'))
				continue;
			matched++;
			const char *src = dir ? jack_port_name(e->midi_out) : all[i];
			const char *dst = dir ? all[i] : jack_port_name(e->midi_in);
			int r = jack_connect(e->client, src, dst);
			if (r == 0 || r == EEXIST) {
				made++;
				log_info("connected %s -> %s", src, dst);
				if (fn)
					fn(ctx, jack_port_short_name(dir ? e->midi_out : e->midi_in), all[i]);
			} else {
				log_warn("cannot connect %s -> %s", src, dst);
			}
		}
		if (all)
			jack_free(all);
	}
	if (!matched)
		log_warn("no JACK MIDI ports match '%s'", glob);
	return made;
}

void engine_set_autoplay(struct engine *e, struct autoplay *ap)
{
	ASSERT_ROLE(ROLE_CONTROL);
	e->autoplay = ap;
}

void engine_set_playback(struct engine *e, struct pbring *ring)
{
	ASSERT_ROLE(ROLE_CONTROL);
	e->pb = ring;
}

void engine_set_recorder(struct engine *e, struct recring *ring)
{
	ASSERT_ROLE(ROLE_CONTROL);
	e->rec = ring;
	e->rec_stems = 0;
	if (ring && recring_stems(ring)) {
		if (recring_stems(ring) == e->lanes && e->stems)
			e->rec_stems = 1;
		else /* a wiring bug: the stems stay silent, nothing worse */
			log_err("recorder ring with %u stems, but %u input lanes%s: stems are silent",
			        recring_stems(ring), e->lanes, e->stems ? "" : " and no tap");
	}
}

int engine_set_stems(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (mixer_tap_new(e->mixer) < 0) {
		log_err("cannot allocate the stems' tap (%u lanes)", e->lanes);
		return -1;
	}
	e->stems = 1;
	return 0;
}

struct rtq *engine_queue(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return &e->queue;
}

struct mixer *engine_mixer(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->mixer;
}

unsigned engine_rate(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->rate;
}

unsigned engine_period(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load((atomic_uint *)&e->period);
}

const char *engine_client_name(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->client ? jack_get_client_name(e->client) : e->name;
}

/* ---- connections (control thread) ------------------------------------ */

static jack_port_t *engine_own_port(struct engine *e, const char *shortname)
{
	for (unsigned i = 0; i < e->inputs; i++)
		if (!strcmp(jack_port_short_name(e->in_ports[i]), shortname))
			return e->in_ports[i];
	for (unsigned o = 0; o < e->outputs; o++)
		if (!strcmp(jack_port_short_name(e->out_ports[o]), shortname))
			return e->out_ports[o];
	if (e->midi_in && !strcmp(jack_port_short_name(e->midi_in), shortname))
		return e->midi_in;
	if (e->midi_out && !strcmp(jack_port_short_name(e->midi_out), shortname))
		return e->midi_out;
	return NULL;
}

void engine_foreach_connection(struct engine *e, engine_conn_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->client)
		return;
	for (unsigned k = 0; k < e->inputs + e->outputs; k++) {
		jack_port_t *p = k < e->inputs ? e->in_ports[k] : e->out_ports[k - e->inputs];
		const char **peers = jack_port_get_all_connections(e->client, p);
		if (!peers)
			continue;
		for (unsigned i = 0; peers[i]; i++)
			fn(ctx, jack_port_short_name(p), peers[i]);
		jack_free(peers);
	}
	jack_port_t *midi[2] = {e->midi_in, e->midi_out};
	for (unsigned k = 0; k < 2; k++) {
		const char **peers = midi[k] ? jack_port_get_all_connections(e->client, midi[k]) : NULL;
		if (!peers)
			continue;
		for (unsigned i = 0; peers[i]; i++)
			fn(ctx, jack_port_short_name(midi[k]), peers[i]);
		jack_free(peers);
	}
}

int engine_connect_peer(struct engine *e, const char *port, const char *peer)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->client)
		return -1;
	jack_port_t *mine = engine_own_port(e, port);
	if (!mine)
		return -ENODEV;
	if (!jack_port_by_name(e->client, peer))
		return -ENOENT;
	int out = (jack_port_flags(mine) & JackPortIsOutput) != 0;
	const char *src = out ? jack_port_name(mine) : peer;
	const char *dst = out ? peer : jack_port_name(mine);
	int r = jack_connect(e->client, src, dst);
	if (r == 0)
		log_info("connected %s -> %s", src, dst);
	return r == 0 || r == EEXIST ? 0 : -1;
}

/* Our own port from a short name ("in_1") or our full name
 * ("jackmixd:in_1"); NULL for anything else. */
static jack_port_t *engine_own_by_name(struct engine *e, const char *name)
{
	const char *own = jack_get_client_name(e->client);
	size_t n = strlen(own);
	if (!strchr(name, ':'))
		return engine_own_port(e, name);
	if (!strncmp(name, own, n) && name[n] == ':')
		return engine_own_port(e, name + n + 1);
	return NULL;
}

static void engine_port_fill(struct engine *e, jack_port_t *p, int ours, struct engine_port *out)
{
	int flags = jack_port_flags(p);
	const char *type = jack_port_type(p);
	out->name = jack_port_name(p);
	out->shortname = jack_port_short_name(p);
	out->ours = ours;
	out->output = (flags & JackPortIsOutput) != 0;
	out->type = type && !strcmp(type, JACK_DEFAULT_AUDIO_TYPE)  ? "audio"
	            : type && !strcmp(type, JACK_DEFAULT_MIDI_TYPE) ? "midi"
	            : type                                          ? type
	                                                            : "?";
	(void)e;
}

int engine_port_lookup(struct engine *e, const char *name, struct engine_port *out)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->client)
		return -ENOTCONN;
	jack_port_t *p = engine_own_by_name(e, name);
	int ours = p != NULL;
	if (!p && strchr(name, ':'))
		p = jack_port_by_name(e->client, name);
	if (!p)
		return -ENOENT;
	engine_port_fill(e, p, ours || jack_port_is_mine(e->client, p), out);
	return 0;
}

int engine_foreach_port(struct engine *e, const char *glob, engine_port_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->client)
		return -ENOTCONN;
	const char **all = jack_get_ports(e->client, NULL, NULL, 0);
	int n = 0;
	for (unsigned i = 0; all && all[i]; i++) {
		if (glob && fnmatch(glob, all[i], 0) != 0)
			continue;
		jack_port_t *p = jack_port_by_name(e->client, all[i]);
		if (!p) /* unregistered since jack_get_ports */
			continue;
		struct engine_port info;
		engine_port_fill(e, p, jack_port_is_mine(e->client, p), &info);
		fn(ctx, &info);
		n++;
	}
	if (all)
		jack_free(all);
	return n;
}

int engine_disconnect_peer(struct engine *e, const char *port, const char *peer)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->client)
		return -ENOTCONN;
	jack_port_t *mine = engine_own_port(e, port);
	if (!mine)
		return -ENODEV;
	if (!jack_port_by_name(e->client, peer))
		return -ENOENT;
	if (!jack_port_connected_to(mine, peer))
		return -ENOTCONN;
	int out = (jack_port_flags(mine) & JackPortIsOutput) != 0;
	const char *src = out ? jack_port_name(mine) : peer;
	const char *dst = out ? peer : jack_port_name(mine);
	if (jack_disconnect(e->client, src, dst) != 0)
		return -1;
	log_info("disconnected %s -> %s", src, dst);
	return 0;
}

int engine_port_exists(struct engine *e, const char *name)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->client && jack_port_by_name(e->client, name) != NULL;
}

unsigned engine_graph_generation(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load_explicit((atomic_uint *)&e->graph_gen, memory_order_acquire);
}

int engine_rename(struct engine *e, const char *name)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->client) {
		snprintf(e->name, sizeof e->name, "%s", name); /* for engine_reopen */
		return 0;
	}
	if (!strcmp(name, jack_get_client_name(e->client)))
		return 0;
	if (atomic_load(&e->active))
		jack_deactivate(e->client);
	atomic_store(&e->active, 0);
	jack_client_close(e->client);
	e->client = NULL;
	if (engine_client_open(e, name, e->server[0] ? e->server : NULL) < 0)
		return -1;
	if (jack_get_sample_rate(e->client) != e->rate) {
		/* the mixer's coefficients are for the old rate */
		log_err("JACK sample rate changed from %u to %u Hz: restart jackmixd", e->rate,
		        (unsigned)jack_get_sample_rate(e->client));
		return -1;
	}
	atomic_store(&e->period, jack_get_buffer_size(e->client));
	if (engine_client_setup(e) < 0 || engine_start(e) < 0)
		return -1;
	atomic_fetch_add(&e->graph_gen, 1);
	engine_notify(e);
	log_info("JACK client renamed to '%s'", jack_get_client_name(e->client));
	return 0;
}

/* ---- server loss and return (control thread) -------------------------- */

int engine_connected(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->client != NULL;
}

int engine_running(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->client != NULL && atomic_load((atomic_int *)&e->active) &&
	       !atomic_load((atomic_int *)&e->lost);
}

const char *engine_lost_reason(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load((atomic_int *)&e->lost) ? e->lost_reason : "";
}

void engine_lost(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!e->client)
		return;
	/* The server is gone, but a process cycle may still be finishing:
	 * the ports and rt_client stay as they are until the client is
	 * closed (jack_client_close waits for that cycle).  Closing may also
	 * wait for a server that is only half gone, so the opener thread
	 * does it before its first attempt. */
	atomic_store(&e->active, 0);
	e->dead = e->client;
	e->client = NULL;
	atomic_store(&e->freewheel, 0);
	atomic_fetch_add(&e->graph_gen, 1);
	engine_notify(e);
	e->opener_started = control_now_ms(); /* first attempt a period after the loss */
}

/* The opener thread: close the dead client, try the server once.  It
 * touches only the open_* fields and JACK (no other JACK call is made
 * while we have no client). */
static void *engine_opener(void *arg)
{
	struct engine *e = arg;
	const char *server = e->server[0] ? e->server : NULL;
	ROLE_SET(ROLE_HELPER);
	pthread_setname_np(pthread_self(), "jmx-opener");

	if (e->dead) {
		jack_set_error_function(engine_jack_capture); /* "Server is not running" */
		jack_client_close(e->dead);
		jack_set_error_function(NULL);
		e->dead = NULL;
	}
	e->open_status = 0;
	e->opened =
	    engine_jack_open(e->open_name, JackNoStartServer | JackUseExactName, &e->open_status, server);
	snprintf(e->open_msg, sizeof e->open_msg, "%s", engine_jack_msg);
	atomic_store_explicit(&e->opener, OPENER_DONE, memory_order_release);
	engine_notify(e);
	control_post(e->ctl, CTL_EV_WAKE);
	return NULL;
}

int engine_reopen(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *server = e->server[0] ? e->server : NULL;

	if (e->client)
		return 1;
	switch (atomic_load_explicit(&e->opener, memory_order_acquire)) {
	case OPENER_RUNNING:
		return 0; /* a server that hangs only delays the next attempt */
	case OPENER_IDLE:
		if (control_now_ms() - e->opener_started < ENGINE_RETRY_MS)
			return 0;
		e->opener_started = control_now_ms();
		snprintf(e->open_name, sizeof e->open_name, "%s", e->name);
		atomic_store(&e->opener, OPENER_RUNNING);
		/* a small stack: glibc keeps it cached after the join, and the
		 * next mlockall would pin a default 8 MiB one */
		pthread_attr_t attr;
		int rc = pthread_attr_init(&attr);
		if (rc == 0) {
			pthread_attr_setstacksize(&attr, ENGINE_OPENER_STACK);
			rc = pthread_create(&e->opener_thread, &attr, engine_opener, e);
			pthread_attr_destroy(&attr);
		}
		if (rc != 0) {
			atomic_store(&e->opener, OPENER_IDLE);
			log_err("cannot start a thread to reach JACK: retrying");
			return -1;
		}
		return 0;
	}
	pthread_join(e->opener_thread, NULL);
	atomic_store(&e->opener, OPENER_IDLE);
	/* the lost client is closed now: no cycle of it can run */
	memset(e->in_ports, 0, e->inputs * sizeof *e->in_ports);
	memset(e->out_ports, 0, e->outputs * sizeof *e->out_ports);
	e->midi_in = e->midi_out = NULL;
	e->rt_client = NULL;
	e->client = e->opened;
	e->opened = NULL;
	if (!e->client) {
		if (e->open_status & JackServerFailed)
			return 0;     /* still away: quietly, once a second */
		if (!e->refused_said) /* say it once, not every second */
			log_err("JACK is back, but refused the client '%s' (status 0x%x%s%s): retrying",
			        e->open_name, (unsigned)e->open_status, e->open_msg[0] ? ": " : "",
			        e->open_msg);
		e->refused_said = 1;
		return -1;
	}
	if (strcmp(e->open_name, e->name) != 0) {
		/* renamed (NSM) while the attempt was under way: again */
		jack_client_close(e->client);
		e->client = NULL;
		e->opener_started = 0;
		return 0;
	}
	e->refused_said = 0;
	atomic_store(&e->lost, 0);
	atomic_store(&e->freewheel, 0);
	atomic_store(&e->period, jack_get_buffer_size(e->client));
	unsigned rate = jack_get_sample_rate(e->client);
	if (rate != e->rate) {
		/* coefficients, smoothing and the limiter's lookahead are for
		 * the old rate: a new mixer, every value at its default until
		 * the caller re-sends the model; what the queue still holds was
		 * meant for the old one (no RT thread runs: we may drain it) */
		struct mixer_config mc = {e->mono, e->stereo, e->buses, (double)rate, (unsigned)e->talkback};
		struct mixer *m = mixer_new(&mc);
		if (!m || (e->stems && mixer_tap_new(m) < 0)) {
			mixer_free(m);
			log_err("cannot allocate the mixer for %u Hz: retrying", rate);
			goto fail;
		}
		struct rt_msg msg;
		while (rtq_pop(&e->queue, &msg) == 0)
			;
		mixer_free(e->mixer);
		e->mixer = m;
		e->mixer_gen++;
		log_info("JACK sample rate changed from %u to %u Hz: mixer rebuilt, master latency %u frames",
		         e->rate, rate, mixer_latency(m));
		e->rate = rate;
	}
	if (engine_client_setup(e) < 0)
		goto fail;
	e->reconnects++;
	log_info("JACK client '%s' on server '%s' again: %u Hz, %u frames", jack_get_client_name(e->client),
	         server ? server : "default", e->rate, atomic_load(&e->period));
	return 1;
fail:
	jack_client_close(e->client);
	e->client = NULL;
	return -1;
}

unsigned engine_mixer_generation(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->mixer_gen;
}

int engine_freewheeling(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load((atomic_int *)&e->freewheel);
}

unsigned long engine_xrun_count(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load((atomic_uint *)&e->xruns);
}

unsigned long long engine_frames(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load((atomic_ullong *)&e->frames);
}

unsigned engine_reconnects(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return e->reconnects;
}

unsigned long engine_late_cycles(const struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return atomic_load((atomic_ulong *)&e->late);
}

float engine_load_take(struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return (float)atomic_exchange(&e->load_max, 0) / 10.0f;
}
