/*
 * midi.c - the MIDI surface's control side: the waker thread, draining
 * the input ring into midimap.c or mcu.c, the output ring they send
 * through, the mapping file, and watching what feeds midi_in; see midi.h.
 *
 * Threads:
 * - RT: nothing here.  The engine's process callback moves raw MIDI
 *   between the ports and the rings (midiring.c, in the RT library).
 * - waker: a helper thread that sleeps in midiring_wait and turns the RT
 *   thread's sem_post into one byte on a pipe in the control loop's
 *   poll(), so MIDI input is applied within microseconds without the RT
 *   thread making a system call that could block, and without a polling
 *   timer.  It touches only the ring's semaphore, the quit flag and the
 *   pipe.
 * - control: every function of midi.h (parsing, mapping, feedback of the
 *   shown value, the mapping file).
 *
 * Invariants: calls go one way: this file calls the engine (what is
 * connected, graph changes, xruns, the mixer's meters), never the other
 * way round; the engine gets only the rings (midi_ring).  The OSC
 * commands (midi_osc.c) call this file and hear of learned mappings
 * through the midi_set_learned callback, so nothing here knows OSC.
 */
#define _GNU_SOURCE
#include "midi.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "mcu.h"
#include "midimap.h"
#include "midiring.h"
#include "statefile.h"

#define MIDI_RING_RECS  4096u /* each way: 128 KiB */
#define MIDI_TICK_MS    10u
#define MIDI_REFRESH_MS 200u  /* after a graph change, before looking at it */
#define MIDI_XRUN_MS    1000u /* at most one refresh a second for xruns */
#define MIDI_MAP_NAME   "midi.map"

struct midi {
	struct midiring *ring;
	pthread_t waker;
	int waker_ok;
	atomic_int quit;
	int pipe[2];

	/* control thread */
	struct control *ctl;
	struct model *model;
	struct engine *engine;
	midi_learned_fn learned;
	void *learned_ctx;
	struct midimap *map;
	struct mcu *mcu;
	char map_path[PATH_MAX]; /* "" when there is nowhere to save */
	unsigned long map_saved_gen;
	uint8_t rx[MIDIRING_MSG_MAX];
	unsigned graph_seen;
	unsigned long xruns_seen;
	uint64_t refresh_at;   /* 0: none pending */
	uint64_t xrun_refresh; /* no refresh for xruns before this */
	int xrun_due;          /* an xrun asked for a refresh at refresh_at */
	uint64_t peers;        /* what feeds midi_in (midi_peers), last seen */
	uint64_t out_peers;    /* what midi_out feeds, last seen */
	unsigned long handled, lat_n;
	double lat_sum_us, lat_max_us;
	unsigned long dropped_said;
	int timer; /* the tick: asleep while no surface is connected */
};

/* ---- waker thread ------------------------------------------------------- */

static void *midi_waker(void *arg)
{
	struct midi *m = arg;
	ROLE_SET(ROLE_HELPER);
	pthread_setname_np(pthread_self(), "jmx-midiwake");
	for (;;) {
		midiring_wait(m->ring); /* several posts: one byte */
		if (atomic_load(&m->quit))
			break;
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
	ASSERT_ROLE(ROLE_CONTROL);
	struct midi *m = mv;
	return midiring_push(m->ring, msg, len);
}

static void midi_drain(struct midi *m)
{
	uint32_t t_rx[64];
	unsigned n = 0;
	uint64_t now = control_now_ms();
	size_t len;
	uint32_t t;

	for (;;) {
		len = midiring_pop(m->ring, m->rx, &t);
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
			uint32_t done = midiring_now_us();
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
	control_timer_wake(m->ctl, m->timer); /* feedback, late MSBs, learning */
}

void midi_save_map(struct midi *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
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

struct midi_hash {
	const char *port;
	uint64_t h;
};

static void midi_peer_hash(void *ctx, const char *port, const char *peer)
{
	struct midi_hash *mh = ctx;
	if (strcmp(port, mh->port))
		return;
	for (const char *p = peer;; p++) { /* FNV-1a, the NUL included */
		mh->h = (mh->h ^ (unsigned char)*p) * 0x100000001b3ull;
		if (!*p)
			break;
	}
}

/* A fingerprint of the ports connected to our port "midi_in" or
 * "midi_out" (0: no JACK).  Touches come from midi_in: when it changes,
 * the surface that sent them may be gone, and its releases with it.
 * Feedback goes to midi_out: when it changes, a surface may have been
 * plugged in and wants to be told everything. */
static uint64_t midi_peers(struct midi *m, const char *port)
{
	struct midi_hash mh = {port, 0xcbf29ce484222325ull};
	if (!m->engine)
		return mh.h;
	if (!engine_connected(m->engine))
		return 0;
	engine_foreach_connection(m->engine, midi_peer_hash, &mh);
	return mh.h;
}

/* A fingerprint of some port (midi_peers) says something is connected:
 * neither "no JACK" (0) nor the hash of no peer. */
static int midi_connected(uint64_t peers)
{
	return peers != 0 && peers != 0xcbf29ce484222325ull;
}

/* Held touches end when the surface may have gone (they would stick:
 * nobody sends their release).  An xrun or an unrelated graph change
 * keeps them: the finger is still on the fader. */
static void midi_check_peers(struct midi *m)
{
	uint64_t p = midi_peers(m, "midi_in");
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
			/* a surface may have been plugged in: look once the
			 * graph has settled */
			m->graph_seen = g;
			m->refresh_at = now + MIDI_REFRESH_MS;
		}
		if (x != m->xruns_seen && now >= m->xrun_refresh) {
			/* a period that was not run took its MIDI output with it:
			 * repair what the surface shows (rate-limited) */
			m->xruns_seen = x;
			m->xrun_refresh = now + MIDI_XRUN_MS;
			m->xrun_due = 1;
			if (!m->refresh_at)
				m->refresh_at = now + MIDI_REFRESH_MS;
		}
	}
	if (m->refresh_at && now >= m->refresh_at) {
		m->refresh_at = 0;
		midi_check_peers(m);
		/* only a change of what midi_out feeds is a surface to tell
		 * everything: any client anywhere on the server that
		 * (un)registers or connects a port changes the graph, and a
		 * full refresh for that sent a hand moving a fader its own
		 * value back.  An xrun only repairs what we sent (what a
		 * control said itself reached us: it is there) */
		uint64_t out = midi_peers(m, "midi_out");
		int fresh = out != m->out_peers;
		if (fresh || m->xrun_due) {
			m->out_peers = out;
			m->xrun_due = 0;
			if (m->mcu)
				mcu_refresh(m->mcu);
			if (m->map)
				midimap_refresh(m->map, fresh);
		}
	}
	if (m->mcu)
		mcu_tick(m->mcu, now);
	if (m->map) {
		midimap_tick(m->map, now);
		midi_save_map(m);
	}
	struct midiring_stats st;
	midiring_stats(m->ring, &st);
	unsigned long d = st.in_dropped + st.out_dropped;
	if (d != m->dropped_said) {
		log_warn("MIDI: %lu message(s) dropped (queue full or longer than %u bytes)",
		         d - m->dropped_said, MIDIRING_MSG_MAX);
		m->dropped_said = d;
	}
	/* nothing to do until a surface is connected (a graph change: the
	 * engine wakes the tick), MIDI arrives (midi_on_fd) or the map is
	 * reached (midi_map) */
	if (!m->refresh_at && !m->xrun_due && !midi_connected(m->peers) && !midi_connected(m->out_peers) &&
	    (!m->map || midimap_generation(m->map) == m->map_saved_gen))
		control_timer_sleep(m->ctl, m->timer);
}

/* ---- meters -------------------------------------------------------------- */

static int midi_mixer_meter(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	struct engine *e = ctx;
	return e ? mixer_meter_take(engine_mixer(e), id, idx, out) : 0;
}

int midi_meter_take(struct midi *m, enum param_id id, unsigned idx, float out[2])
{
	ASSERT_ROLE(ROLE_CONTROL);
	return m && m->mcu ? mcu_meter_take(m->mcu, id, idx, out) : -1;
}

/* ---- learned mappings ------------------------------------------------------ */

static void midi_on_learned(void *ctx, const char *path, const char *line)
{
	struct midi *m = ctx;
	log_info("MIDI learn: %s", line);
	midi_save_map(m); /* on disk before anyone hears it was learned */
	if (m->learned)
		m->learned(m->learned_ctx, path, line);
}

void midi_set_learned(struct midi *m, midi_learned_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	m->learned = fn;
	m->learned_ctx = ctx;
}

struct midimap *midi_map(struct midi *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	control_timer_wake(m->ctl, m->timer); /* the caller may change the map: save it */
	return m->map;
}

struct midiring *midi_ring(struct midi *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return m->ring;
}

/* ---- the shown value ----------------------------------------------------- */

void midi_set_shown(struct midi *m, midi_shown_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (m->mcu)
		mcu_set_shown(m->mcu, fn, ctx);
	if (m->map)
		midimap_set_shown(m->map, fn, ctx);
}

void midi_set_touch(struct midi *m, midi_touch_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (m->mcu)
		mcu_set_touch(m->mcu, fn, ctx);
}

void midi_moved(void *mv, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct midi *m = mv;
	if (m->mcu)
		mcu_moved(m->mcu, id, i1, i2);
	if (m->map)
		midimap_moved(m->map, id, i1, i2);
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
		if (cfg->map_path && !cfg->map_session)
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
	ASSERT_ROLE(ROLE_CONTROL);
	struct midi *m = calloc(1, sizeof *m);
	if (m)
		m->timer = -1;
	if (!m) {
		log_err("out of memory");
		return NULL;
	}
	m->ctl = ctl;
	m->model = model;
	m->engine = e;
	m->pipe[0] = m->pipe[1] = -1;
	atomic_init(&m->quit, 0);
	m->ring = midiring_new(MIDI_RING_RECS);
	if (!m->ring || pipe(m->pipe) < 0) {
		log_err("MIDI: cannot create the rings and their wake-up channel: %s", strerror(errno));
		goto fail;
	}
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
	            (m->timer = control_add_timer(ctl, MIDI_TICK_MS, midi_on_tick, m)) < 0 ||
	            (e && engine_watch(e, m->timer) < 0))) {
		log_err("MIDI: too many file descriptors or timers in the control loop");
		goto fail;
	}
	if (e) {
		m->graph_seen = engine_graph_generation(e);
		m->xruns_seen = engine_xrun_count(e);
	}
	m->peers = midi_peers(m, "midi_in");
	m->out_peers = midi_peers(m, "midi_out");
	if (cfg->mcu)
		log_info("MIDI: Mackie Control on midi_in/midi_out");
	return m;
fail:
	midi_free(m);
	return NULL;
}

void midi_free(struct midi *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!m)
		return;
	if (m->waker_ok) {
		atomic_store(&m->quit, 1);
		midiring_kick(m->ring);
		pthread_join(m->waker, NULL);
	}
	if (m->ctl && m->pipe[0] >= 0)
		control_remove_fd(m->ctl, m->pipe[0]);
	struct midiring_stats st = {0};
	if (m->ring)
		midiring_stats(m->ring, &st);
	if (m->handled || st.out_events)
		log_info(
		    "MIDI: %lu message(s) in, %lu out; input applied %.0f us (mean), %.0f us (max) after "
		    "the audio thread took it",
		    st.in_events, st.out_events, m->lat_n ? m->lat_sum_us / (double)m->lat_n : 0.0,
		    m->lat_max_us);
	mcu_free(m->mcu);
	midimap_free(m->map);
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			close(m->pipe[i]);
	midiring_free(m->ring);
	free(m);
}
