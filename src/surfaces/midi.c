/*
 * midi.c - MIDI transport between the JACK ports and the control thread,
 * and the glue to midimap.c / mcu.c, the mapping file and the /midi/...
 * OSC commands; see midi.h.
 *
 * Threads:
 * - RT (engine_process -> midi_process): copies midi_in's events into the
 *   "in" ring and the "out" ring's messages into midi_out.  It calls only
 *   the JACK MIDI buffer functions (pure memory operations on the port
 *   buffer), rtq push/pop, clock_gettime (vDSO) and sem_post.
 * - waker: a helper thread that sleeps in sem_wait and turns the RT
 *   thread's sem_post into one byte on a pipe in the control loop's
 *   poll(), so MIDI input is applied within microseconds without the RT
 *   thread making a system call that could block, and without a polling
 *   timer.
 * - control: everything else (parsing, mapping, feedback of the shown
 *   value, files, OSC).
 *
 * Invariants: a message is a run of fixed-size records (the first carries
 * the length), pushed with one publish after checking space for all of
 * them, so a consumer always finds a message whole.  The RT side keeps at
 * most one popped message that did not fit into this period's midi_out
 * buffer and writes it first in the next period; a message larger than an
 * empty buffer can hold is dropped and counted.
 */
#define _GNU_SOURCE
#include "midi.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <jack/midiport.h>
#include <limits.h>
#include <lo/lo.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "mcu.h"
#include "midimap.h"
#include "rtqueue.h"
#include "statefile.h"

#define MIDI_REC_DATA   24u
#define MIDI_RING_RECS  4096u /* each way: 128 KiB */
#define MIDI_TICK_MS    10u
#define MIDI_REFRESH_MS 200u /* after a graph change, before resending the state */
#define MIDI_XRUN_MS    1000u /* at most one refresh a second for xruns */
#define MIDI_LIST_CHUNK 32u  /* mapping lines per /midi/map reply */
#define MIDI_MAP_NAME   "midi.map"

struct midi_rec {
	uint32_t t_us; /* CLOCK_MONOTONIC when the RT thread took it (input) */
	uint16_t len;  /* length of the whole message (first record) */
	uint8_t n;     /* bytes in this record */
	uint8_t first;
	uint8_t data[MIDI_REC_DATA];
};

struct midi {
	struct rtq in, out;
	sem_t wake;
	int sem_ok;
	pthread_t waker;
	int waker_ok;
	atomic_int quit;
	int pipe[2];

	/* RT thread only */
	uint8_t held[MIDI_MSG_MAX];
	uint16_t held_len;
	int has_held;
	atomic_ulong in_events, in_dropped, out_events, out_dropped;

	/* control thread */
	struct control *ctl;
	struct model *model;
	struct engine *engine;
	struct osc *osc;
	struct midimap *map;
	struct mcu *mcu;
	char map_path[PATH_MAX]; /* "" when there is nowhere to save */
	unsigned long map_saved_gen;
	uint8_t rx[MIDI_MSG_MAX];
	unsigned graph_seen;
	unsigned long xruns_seen;
	uint64_t refresh_at;    /* 0: none pending */
	uint64_t xrun_refresh;  /* no refresh for xruns before this */
	uint64_t peers;         /* what feeds midi_in (midi_peers), last seen */
	unsigned long handled, lat_n, send_full;
	double lat_sum_us, lat_max_us;
	unsigned long dropped_said;
};

static uint32_t midi_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

/* ---- rings (either side) ----------------------------------------------- */

/* Producer: stage a whole message; the caller publishes.  -1 when it
 * does not fit (nothing staged). */
static int midi_ring_put(struct rtq *q, const uint8_t *msg, size_t len, uint32_t t_us)
{
	unsigned nrec = (unsigned)((len + MIDI_REC_DATA - 1) / MIDI_REC_DATA);
	struct midi_rec r;
	if (rtq_space(q) < nrec)
		return -1;
	for (unsigned k = 0; k < nrec; k++) {
		size_t off = (size_t)k * MIDI_REC_DATA, n = len - off;
		if (n > MIDI_REC_DATA)
			n = MIDI_REC_DATA;
		r.t_us = t_us;
		r.len = (uint16_t)len;
		r.n = (uint8_t)n;
		r.first = k == 0;
		memcpy(r.data, msg + off, n);
		rtq_push(q, &r);
	}
	return 0;
}

/* Consumer: one whole message into buf (MIDI_MSG_MAX).  Its length, or 0
 * when the ring is empty. */
static size_t midi_ring_get(struct rtq *q, uint8_t *buf, uint32_t *t_us)
{
	struct midi_rec r;
	size_t len, got = 0;
	do {
		if (rtq_pop(q, &r) < 0)
			return 0;
	} while (!r.first); /* cannot happen: messages are published whole */
	len = r.len;
	*t_us = r.t_us;
	for (;;) {
		if (got + r.n > MIDI_MSG_MAX)
			return 0;
		memcpy(buf + got, r.data, r.n);
		got += r.n;
		if (got >= len || rtq_pop(q, &r) < 0)
			break;
	}
	return got == len ? len : 0;
}

/* ---- RT ------------------------------------------------------------------ */

static void midi_rt_in(struct midi *m, void *in)
{
	uint32_t n = jack_midi_get_event_count(in), t = 0;
	unsigned pushed = 0;
	if (!n)
		return;
	t = midi_now_us();
	for (uint32_t i = 0; i < n; i++) {
		jack_midi_event_t ev;
		if (jack_midi_event_get(&ev, in, i) != 0 || ev.size == 0)
			continue;
		/* clock and active sensing map to nothing and come 24 times a beat */
		if (ev.size == 1 && ev.buffer[0] >= 0xF8)
			continue;
		if (ev.size > MIDI_MSG_MAX || midi_ring_put(&m->in, ev.buffer, ev.size, t) < 0) {
			atomic_fetch_add_explicit(&m->in_dropped, 1, memory_order_relaxed);
			continue;
		}
		pushed++;
	}
	if (pushed) {
		rtq_publish(&m->in);
		atomic_fetch_add_explicit(&m->in_events, pushed, memory_order_relaxed);
		sem_post(&m->wake);
	}
}

static void midi_rt_out(struct midi *m, void *out)
{
	size_t max = jack_midi_max_event_size(out);
	uint32_t t;
	for (;;) {
		if (!m->has_held) {
			size_t len = midi_ring_get(&m->out, m->held, &t);
			if (!len)
				return;
			m->held_len = (uint16_t)len;
			m->has_held = 1;
		}
		if (m->held_len > max) {
			/* could never fit, not even into an empty buffer */
			m->has_held = 0;
			atomic_fetch_add_explicit(&m->out_dropped, 1, memory_order_relaxed);
			continue;
		}
		jack_midi_data_t *d = jack_midi_event_reserve(out, 0, m->held_len);
		if (!d)
			return; /* full: first thing in the next period */
		memcpy(d, m->held, m->held_len);
		m->has_held = 0;
		atomic_fetch_add_explicit(&m->out_events, 1, memory_order_relaxed);
	}
}

void midi_process(struct midi *m, void *in, void *out, uint32_t nframes)
{
	(void)nframes;
	if (out)
		jack_midi_clear_buffer(out);
	if (!m)
		return;
	if (in)
		midi_rt_in(m, in);
	if (out)
		midi_rt_out(m, out);
}

/* ---- waker thread ------------------------------------------------------- */

static void *midi_waker(void *arg)
{
	struct midi *m = arg;
	ROLE_SET(ROLE_HELPER);
	for (;;) {
		while (sem_wait(&m->wake) < 0 && errno == EINTR)
			;
		if (atomic_load(&m->quit))
			break;
		while (sem_trywait(&m->wake) == 0)
			; /* one byte for everything pending */
		char b = 'm';
		if (write(m->pipe[1], &b, 1) < 0) {
			/* full pipe: the control thread is already due to drain */
		}
	}
	return NULL;
}

/* ---- control: input, tick ---------------------------------------------- */

int midi_send(void *mv, const uint8_t *msg, size_t len)
{
	struct midi *m = mv;
	if (len == 0 || len > MIDI_MSG_MAX)
		return 0; /* nothing that could ever be sent */
	if (midi_ring_put(&m->out, msg, len, 0) < 0) {
		m->send_full++;
		return -1;
	}
	rtq_publish(&m->out);
	return 0;
}

static void midi_drain(struct midi *m)
{
	uint32_t t_rx[64];
	unsigned n = 0;
	uint64_t now = control_now_ms();
	size_t len;
	uint32_t t;

	for (;;) {
		len = midi_ring_get(&m->in, m->rx, &t);
		if (len) {
			if (m->mcu)
				mcu_input(m->mcu, m->rx, len, now);
			else if (m->map)
				midimap_input(m->map, m->rx, len, now);
			m->handled++;
			t_rx[n++] = t;
		}
		if (n && (!len || n == sizeof t_rx / sizeof t_rx[0])) {
			/* one commit per batch: it reaches the audio thread at
			 * the start of the next period */
			if (m->mcu)
				mcu_flush(m->mcu);
			else if (m->map)
				midimap_flush(m->map);
			uint32_t done = midi_now_us();
			for (unsigned i = 0; i < n; i++) {
				double d = (double)(uint32_t)(done - t_rx[i]);
				m->lat_sum_us += d;
				if (d > m->lat_max_us)
					m->lat_max_us = d;
			}
			m->lat_n += n;
			n = 0;
		}
		if (!len)
			break;
	}
}

static void midi_on_fd(void *ctx, int fd, short revents)
{
	struct midi *m = ctx;
	char buf[64];
	(void)revents;
	while (read(fd, buf, sizeof buf) > 0)
		;
	midi_drain(m);
}

static void midi_save_map(struct midi *m)
{
	char err[512];
	unsigned long g = midimap_generation(m->map);
	if (g == m->map_saved_gen)
		return;
	m->map_saved_gen = g;
	if (!m->map_path[0]) {
		log_warn(
		    "MIDI mappings changed, but there is no file to keep them (set XDG_STATE_HOME, HOME or "
		    "--midi-map)");
		return;
	}
	if (midimap_save(m->map, m->map_path, err, sizeof err) < 0)
		log_err("%s: %s", m->map_path, err);
	else
		log_info("%s: %u MIDI mapping(s) saved", m->map_path, midimap_count(m->map));
}

static void midi_peer_hash(void *ctx, const char *port, const char *peer)
{
	uint64_t *h = ctx;
	if (strcmp(port, "midi_in"))
		return;
	for (const char *p = peer;; p++) { /* FNV-1a, the NUL included */
		*h = (*h ^ (unsigned char)*p) * 0x100000001b3ull;
		if (!*p)
			break;
	}
}

/* A fingerprint of the ports connected to midi_in (0: no JACK).  Touches
 * come from there: when it changes, the surface that sent them may be
 * gone, and its releases with it. */
static uint64_t midi_peers(struct midi *m)
{
	uint64_t h = 0xcbf29ce484222325ull;
	if (!m->engine)
		return h;
	if (!engine_connected(m->engine))
		return 0;
	engine_foreach_connection(m->engine, midi_peer_hash, &h);
	return h;
}

/* Held touches end when the surface may have gone (they would stick:
 * nobody sends their release).  An xrun or an unrelated graph change
 * keeps them: the finger is still on the fader. */
static void midi_check_peers(struct midi *m)
{
	uint64_t p = midi_peers(m);
	if (p == m->peers)
		return;
	m->peers = p;
	if (m->mcu)
		mcu_release(m->mcu);
}

static void midi_on_tick(void *ctx, uint64_t now)
{
	struct midi *m = ctx;
	midi_drain(m);
	if (m->engine && m->peers && !engine_connected(m->engine))
		midi_check_peers(m); /* JACK lost: at once, no graph change will come */
	if (m->engine) {
		unsigned g = engine_graph_generation(m->engine);
		unsigned long x = engine_xrun_count(m->engine);
		if (g != m->graph_seen) {
			/* a surface may have been plugged in: tell it everything
			 * once the graph has settled */
			m->graph_seen = g;
			m->refresh_at = now + MIDI_REFRESH_MS;
		}
		if (x != m->xruns_seen && now >= m->xrun_refresh) {
			/* a period that was not run took its MIDI output with it:
			 * repair what the surface shows (rate-limited) */
			m->xruns_seen = x;
			m->xrun_refresh = now + MIDI_XRUN_MS;
			if (!m->refresh_at)
				m->refresh_at = now + MIDI_REFRESH_MS;
		}
	}
	if (m->refresh_at && now >= m->refresh_at) {
		m->refresh_at = 0;
		midi_check_peers(m);
		if (m->mcu)
			mcu_refresh(m->mcu);
		if (m->map)
			midimap_refresh(m->map);
	}
	if (m->mcu)
		mcu_tick(m->mcu, now);
	if (m->map) {
		midimap_tick(m->map, now);
		midi_save_map(m);
	}
	unsigned long d = atomic_load_explicit(&m->in_dropped, memory_order_relaxed) +
	                  atomic_load_explicit(&m->out_dropped, memory_order_relaxed);
	if (d != m->dropped_said) {
		log_warn("MIDI: %lu message(s) dropped (queue full or longer than %u bytes)",
		         d - m->dropped_said, MIDI_MSG_MAX);
		m->dropped_said = d;
	}
}

/* ---- meters -------------------------------------------------------------- */

static int midi_mixer_meter(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	struct engine *e = ctx;
	return e ? mixer_meter_take(engine_mixer(e), id, idx, out) : 0;
}

int midi_meter_take(struct midi *m, enum param_id id, unsigned idx, float out[2])
{
	return m && m->mcu ? mcu_meter_take(m->mcu, id, idx, out) : -1;
}

/* ---- OSC -------------------------------------------------------------- */

static void midi_reply(struct osc *o, lo_message msg, const char *path, int broadcast)
{
	size_t len = 0;
	void *buf = lo_message_serialise(msg, path, NULL, &len);
	if (buf) {
		if (broadcast)
			osc_broadcast_raw(o, path, buf, len);
		else
			osc_reply_raw(o, buf, len);
		free(buf);
	}
	lo_message_free(msg);
}

static void midi_on_learned(void *ctx, const char *path, const char *line)
{
	struct midi *m = ctx;
	log_info("MIDI learn: %s", line);
	midi_save_map(m); /* on disk before anyone hears it was learned */
	if (!m->osc)
		return;
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	lo_message_add_string(msg, path);
	lo_message_add_string(msg, line);
	midi_reply(m->osc, msg, "/midi/learned", 1);
}

static int midi_cmd_check(struct midi *m, struct osc *o, const char *path)
{
	if (!m->map) {
		osc_reply_error(o, path, "not available with --mcu (the surface speaks Mackie Control)");
		return -1;
	}
	return 0;
}

static void midi_cmd_learn(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct midi *m = ctx;
	char err[256];
	if (midi_cmd_check(m, o, path) < 0)
		return;
	if (argc > 2 || (argc >= 1 && !argv[0].str) || (argc == 2 && !argv[1].str)) {
		osc_reply_error(o, path, "expects s:path [s:options], or nothing to cancel");
		return;
	}
	if (midimap_learn(m->map, argc ? argv[0].str : NULL, argc == 2 ? argv[1].str : NULL, err,
	                  sizeof err) < 0) {
		osc_reply_error(o, path, err);
		return;
	}
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	if (argc)
		lo_message_add_string(msg, argv[0].str);
	midi_reply(o, msg, path, 0);
}

static void midi_cmd_forget(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct midi *m = ctx;
	char err[256];
	if (midi_cmd_check(m, o, path) < 0)
		return;
	if (argc != 1 || !argv[0].str) {
		osc_reply_error(o, path, "expects s:path (or s:all)");
		return;
	}
	int n = midimap_forget(m->map, argv[0].str, err, sizeof err);
	if (n < 0) {
		osc_reply_error(o, path, err);
		return;
	}
	midi_save_map(m);
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	lo_message_add_string(msg, argv[0].str);
	lo_message_add_int32(msg, n);
	midi_reply(o, msg, path, 0);
}

static void midi_cmd_map(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct midi *m = ctx;
	char line[MIDIMAP_LINE_MAX + 1];
	(void)argv;
	if (midi_cmd_check(m, o, path) < 0)
		return;
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return;
	}
	unsigned i = 0, n = midimap_count(m->map);
	do {
		lo_message msg = lo_message_new();
		if (!msg)
			return;
		for (unsigned k = 0; k < MIDI_LIST_CHUNK && i < n; k++, i++)
			if (midimap_line(m->map, i, line, sizeof line) >= 0)
				lo_message_add_string(msg, line);
		midi_reply(o, msg, path, 0);
	} while (i < n);
}

/* ---- the shown value ----------------------------------------------------- */

void midi_set_shown(struct midi *m, midi_shown_fn fn, void *ctx)
{
	if (m->mcu)
		mcu_set_shown(m->mcu, fn, ctx);
	if (m->map)
		midimap_set_shown(m->map, fn, ctx);
}

void midi_set_touch(struct midi *m, midi_touch_fn fn, void *ctx)
{
	if (m->mcu)
		mcu_set_touch(m->mcu, fn, ctx);
}

void midi_moved(void *mv, enum param_id id, unsigned i1, unsigned i2)
{
	struct midi *m = mv;
	if (m->mcu)
		mcu_moved(m->mcu, id, i1, i2);
	if (m->map)
		midimap_moved(m->map, id, i1, i2);
}

void midi_attach_osc(struct midi *m, struct osc *o)
{
	m->osc = o;
	osc_add_command(o, "/midi/learn", midi_cmd_learn, m);
	osc_add_command(o, "/midi/forget", midi_cmd_forget, m);
	osc_add_command(o, "/midi/map", midi_cmd_map, m);
}

/* ---- life cycle ----------------------------------------------------------- */

/* $XDG_STATE_HOME/jackmixd/midi.map, else ~/.local/state/jackmixd/midi.map. */
static int midi_default_map(char *buf, size_t len)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;
	if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/jackmixd/" MIDI_MAP_NAME, x);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/jackmixd/" MIDI_MAP_NAME, home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* A default mapping file that does not parse: keep it under another name,
 * as the state file is, and start without mappings. */
static void midi_set_aside(const char *path)
{
	char dir[PATH_MAX], aside[NAME_MAX + 64];
	const char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof dir)
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	int fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (statefile_set_aside(fd, slash + 1, aside, sizeof aside) == 0)
		log_err("%s: kept as %s; starting without MIDI mappings", path, aside);
	close(fd);
}

static int midi_load_map(struct midi *m, const struct midi_config *cfg)
{
	char err[768];
	if (cfg->map_path) {
		if (strlen(cfg->map_path) >= sizeof m->map_path) {
			log_err("--midi-map: path too long");
			return -1;
		}
		strcpy(m->map_path, cfg->map_path);
	} else if (midi_default_map(m->map_path, sizeof m->map_path) < 0) {
		m->map_path[0] = 0;
		return 0;
	}
	int r = midimap_load(m->map, m->map_path, err, sizeof err);
	if (r == -ENOENT) {
		if (cfg->map_path)
			log_info("%s does not exist yet: no MIDI mappings; learned ones are saved there",
			         m->map_path);
	} else if (r < 0) {
		log_err("%s", err);
		if (cfg->map_path)
			return -1;
		midi_set_aside(m->map_path);
	} else {
		log_info("%s: %u MIDI mapping(s)", m->map_path, midimap_count(m->map));
	}
	m->map_saved_gen = midimap_generation(m->map);
	return 0;
}

struct midi *midi_new(const struct midi_config *cfg, struct control *ctl, struct model *model,
                      struct engine *e)
{
	struct midi *m = calloc(1, sizeof *m);
	if (!m) {
		log_err("out of memory");
		return NULL;
	}
	m->ctl = ctl;
	m->model = model;
	m->engine = e;
	m->pipe[0] = m->pipe[1] = -1;
	atomic_init(&m->quit, 0);
	if (rtq_init(&m->in, MIDI_RING_RECS, sizeof(struct midi_rec)) < 0 ||
	    rtq_init(&m->out, MIDI_RING_RECS, sizeof(struct midi_rec)) < 0) {
		log_err("out of memory");
		goto fail;
	}
	if (sem_init(&m->wake, 0, 0) < 0 || pipe(m->pipe) < 0) {
		log_err("MIDI: cannot create the wake-up channel: %s", strerror(errno));
		goto fail;
	}
	m->sem_ok = 1;
	for (int i = 0; i < 2; i++) {
		fcntl(m->pipe[i], F_SETFL, fcntl(m->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(m->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	if (cfg->mcu) {
		m->mcu = mcu_new(model, midi_send, m, midi_mixer_meter, e);
		if (!m->mcu) {
			log_err("out of memory");
			goto fail;
		}
	} else {
		m->map = midimap_new(model, midi_send, m);
		if (!m->map) {
			log_err("out of memory");
			goto fail;
		}
		midimap_on_learned(m->map, midi_on_learned, m);
		if (midi_load_map(m, cfg) < 0)
			goto fail;
	}
	/* the waker takes no signals: they belong to the control thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&m->waker, NULL, midi_waker, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		log_err("MIDI: cannot start a thread: %s", strerror(r));
		goto fail;
	}
	m->waker_ok = 1;
	if (ctl && (control_add_fd(ctl, m->pipe[0], midi_on_fd, m) < 0 ||
	            control_add_timer(ctl, MIDI_TICK_MS, midi_on_tick, m) < 0)) {
		log_err("MIDI: too many file descriptors or timers in the control loop");
		goto fail;
	}
	if (e) {
		m->graph_seen = engine_graph_generation(e);
		m->xruns_seen = engine_xrun_count(e);
	}
	m->peers = midi_peers(m);
	if (cfg->mcu)
		log_info("MIDI: Mackie Control on midi_in/midi_out");
	return m;
fail:
	midi_free(m);
	return NULL;
}

void midi_free(struct midi *m)
{
	if (!m)
		return;
	if (m->waker_ok) {
		atomic_store(&m->quit, 1);
		sem_post(&m->wake);
		pthread_join(m->waker, NULL);
	}
	if (m->ctl && m->pipe[0] >= 0)
		control_remove_fd(m->ctl, m->pipe[0]);
	if (m->handled || atomic_load(&m->out_events))
		log_info(
		    "MIDI: %lu message(s) in, %lu out; input applied %.0f us (mean), %.0f us (max) after "
		    "the audio thread took it",
		    (unsigned long)atomic_load(&m->in_events), (unsigned long)atomic_load(&m->out_events),
		    m->lat_n ? m->lat_sum_us / (double)m->lat_n : 0.0, m->lat_max_us);
	mcu_free(m->mcu);
	midimap_free(m->map);
	if (m->sem_ok)
		sem_destroy(&m->wake);
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			close(m->pipe[i]);
	if (m->in.buf)
		rtq_destroy(&m->in);
	if (m->out.buf)
		rtq_destroy(&m->out);
	free(m);
}

void midi_get_stats(const struct midi *m, struct midi_stats *st)
{
	memset(st, 0, sizeof *st);
	st->in_events = atomic_load((atomic_ulong *)&m->in_events);
	st->in_dropped = atomic_load((atomic_ulong *)&m->in_dropped);
	st->out_events = atomic_load((atomic_ulong *)&m->out_events);
	st->out_dropped = atomic_load((atomic_ulong *)&m->out_dropped);
	st->handled = m->handled;
	st->lat_mean_us = m->lat_n ? m->lat_sum_us / (double)m->lat_n : 0.0;
	st->lat_max_us = m->lat_max_us;
}
