/*
 * session.c - state file, autosave, scenes and JACK connection memory; see
 * session.h.  The file format and the file-system work are snapshot.c's.
 *
 * Threads: control thread only: the surfaces' command handlers
 * (session_osc.c), the housekeeping timer and the calls from main.  JACK
 * is touched only here on the control thread (listing and making
 * connections); graph changes arrive as a counter the notification
 * thread bumps.  No surface is known here.
 *
 * Invariants:
 * - The saved picture of our patching is the "remembered" set: every
 *   connection of our ports that a user asked for (the state file, a
 *   recalled scene's, -i/-o/--connect-midi, /jack/connect, /jack/keep:
 *   "wanted") or that another program made while we looked ("other": a
 *   patchbay, jack_connect, a player connecting itself).  "other" is the
 *   subset of remembered made by others and not asked for.  "known" is
 *   what JACK reported at the last look.  A remembered connection that
 *   JACK does not show is pending: made when its peer exists.
 * - When a remembered connection vanishes, the look that sees it puts it
 *   in "doubt" (a closing client is disconnected a moment before its
 *   ports go) and the next look decides: while the JACK server stays, a
 *   wanted connection whose peer went away stays (made again when the
 *   peer returns: unplugging an interface does not erase its patching);
 *   an "other" one whose peer went away is forgotten (it was the
 *   business of the client that left, so a player gone for good is not
 *   waited for at every later start); any one broken while both ports
 *   exist (/jack/disconnect, or by hand) is forgotten.  When the server
 *   goes away (session_engine_closing) nothing is forgotten: all ports
 *   vanish at once, and the shutdown may be seen after the ports went, so
 *   nothing "other" is forgotten unless the client is still running and
 *   our port still exists.
 * - "Dirty" is a generation count (model changes + changes of view) that
 *   differs from the one last saved or loaded; autosave writes only after
 *   SESSION_AUTOSAVE_MS without a change, retries a failed write after the
 *   same delay, and never writes identical bytes twice.
 * - A state file that failed to parse at start-up is renamed aside before
 *   anything could overwrite it; if that fails, autosave stays off.
 */
#include "session.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "preset.h"
#include "snapshot.h"
#include "statefile.h"

#define SESSION_TICK_MS     100u
#define SESSION_MAX_FADE_MS 600000.0f /* 10 minutes */

struct session {
	struct control *ctl;
	int timer; /* asleep while the state is saved and the graph still */
	struct model *model;
	struct engine *engine;
	int autosave;

	char state_path[PATH_MAX]; /* as shown in messages */
	char state_name[NAME_MAX + 1];
	int state_dirfd; /* -1: no state file */
	char scene_path[PATH_MAX];
	int scene_dirfd; /* -1: not (yet) usable */

	struct snapshot_conns known, remembered, other, doubt, view;
	unsigned graph_seen;
	int graph_valid;
	int recheck;            /* look at the graph again at the next tick */
	unsigned pending_fails; /* looks in a row in which a pending connection failed */
	unsigned long conn_gen;

	unsigned long gen_seen, gen_saved;
	uint64_t changed_at, retry_at;
	char *last_text;
	size_t last_len;

	void (*dirty_fn)(void *ctx, int dirty);
	void *dirty_ctx;
	int dirty_said;

	struct session_lanes lanes; /* all NULL: no automation */
};

int session_default_snapshot_dir(char *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;
	if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/jackmixd/snapshots", x);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/jackmixd/snapshots", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static unsigned long session_gen(const struct session *s)
{
	unsigned long g = model_generation(s->model) + s->conn_gen;
	return s->lanes.generation ? g + s->lanes.generation(s->lanes.ctx) : g;
}

void session_set_lanes(struct session *s, const struct session_lanes *hooks)
{
	ASSERT_ROLE(ROLE_CONTROL);
	s->lanes = *hooks;
	s->gen_saved = s->gen_seen = session_gen(s);
}

/* The state or a scene as text, with the lanes when there are any. */
static char *session_format(struct session *s, size_t *len)
{
	const struct lanes *l = s->lanes.get ? s->lanes.get(s->lanes.ctx) : NULL;
	return snapshot_format_lanes(s->model, l, &s->view, len);
}

/* ---- paths ------------------------------------------------------------- */

/* Resolve the state file to a directory fd and a name in it.  A symlinked
 * state file is followed once here, so saving replaces the file it points
 * to rather than the link. */
static int session_open_state(struct session *s, const char *path)
{
	char real[PATH_MAX], dir[PATH_MAX];
	const char *use = path;

	if (s->state_dirfd >= 0)
		close(s->state_dirfd);
	s->state_dirfd = -1;
	s->state_path[0] = 0;
	if (!path)
		return 0;
	if (realpath(path, real))
		use = real;
	snprintf(s->state_path, sizeof s->state_path, "%s", path);
	const char *slash = strrchr(use, '/');
	if (strlen(slash ? slash + 1 : use) > NAME_MAX) {
		log_err("%s: file name too long", path);
		return -1;
	}
	if (slash) {
		size_t n = (size_t)(slash - use);
		if (n >= sizeof dir) {
			log_err("%s: path too long", path);
			return -1;
		}
		memcpy(dir, use, n);
		dir[n ? n : 1] = 0;
		if (!n)
			dir[0] = '/';
		snprintf(s->state_name, sizeof s->state_name, "%s", slash + 1);
	} else {
		snprintf(dir, sizeof dir, ".");
		memcpy(s->state_name, use, strlen(use) + 1);
	}
	if (!s->state_name[0] || !strcmp(s->state_name, ".") || !strcmp(s->state_name, "..")) {
		log_err("%s: not a file name", path);
		return -1;
	}
	s->state_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->state_dirfd < 0) {
		log_err("%s: cannot open directory %s: %s", path, dir, strerror(errno));
		return -1;
	}
	unsigned n = statefile_sweep(s->state_dirfd, s->state_name);
	if (n)
		log_info("%s: removed %u temporary file(s) left by an interrupted save", path, n);
	return 0;
}

/* The scene directory is created on first use (a daemon that never
 * saves a scene leaves no directory behind); at start-up it is only
 * opened, and swept, if it exists. */
static int session_open_scenes(struct session *s, int create)
{
	if (s->scene_dirfd >= 0)
		return 0;
	if (!s->scene_path[0])
		return -1;
	int fd = create ? statefile_dir_open(s->scene_path)
	                : open(s->scene_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (create)
			log_warn("snapshot directory %s: %s", s->scene_path, strerror(-fd));
		return -1;
	}
	s->scene_dirfd = fd;
	unsigned n = statefile_sweep(fd, NULL);
	if (n)
		log_info("%s: removed %u temporary file(s) left by an interrupted save", s->scene_path, n);
	return 0;
}

static void session_set_scene_dir(struct session *s, const char *dir)
{
	if (s->scene_dirfd >= 0)
		close(s->scene_dirfd);
	s->scene_dirfd = -1;
	s->scene_path[0] = 0;
	if (dir)
		snprintf(s->scene_path, sizeof s->scene_path, "%s", dir);
	else if (session_default_snapshot_dir(s->scene_path, sizeof s->scene_path) < 0)
		log_warn(
		    "neither XDG_STATE_HOME nor HOME is set: no snapshot directory (use --snapshot-dir)");
	if (s->scene_path[0])
		session_open_scenes(s, 0);
}

/* ---- connections ------------------------------------------------------- */

static void session_collect(void *ctx, const char *port, const char *peer)
{
	struct snapshot_conns *c = ctx;
	if (snapshot_conns_add(c, port, peer) < 0)
		log_warn("cannot follow connection %s <-> %s", port, peer);
}

/* The saved picture is the remembered set: a change of it is a change of
 * the state (autosave). */
static void session_update_view(struct session *s)
{
	if (!snapshot_conns_equal(&s->remembered, &s->view)) {
		s->conn_gen++;
		snapshot_conns_clear(&s->view);
		for (unsigned i = 0; i < s->remembered.n; i++)
			if (snapshot_conns_add(&s->view, s->remembered.v[i].port, s->remembered.v[i].peer) <
			    0)
				log_warn("cannot remember connection %s <-> %s", s->remembered.v[i].port,
				         s->remembered.v[i].peer);
	}
}

static void session_drop(struct snapshot_conns *set, const char *port, const char *peer)
{
	int i = snapshot_conns_find(set, port, peer);
	if (i >= 0)
		snapshot_conns_remove(set, (unsigned)i);
}

static int session_is_other(const struct session *s, const char *port, const char *peer)
{
	return snapshot_conns_find(&s->other, port, peer) >= 0;
}

/* A user asked for it: remembered, and no longer "other". */
static void session_want(struct session *s, const char *port, const char *peer)
{
	session_drop(&s->other, port, peer);
	if (snapshot_conns_add(&s->remembered, port, peer) < 0)
		log_warn("cannot remember connection %s <-> %s", port, peer);
}

/* Another program made it: remembered while its peer is there. */
static void session_adopt(struct session *s, const char *port, const char *peer)
{
	if (snapshot_conns_add(&s->remembered, port, peer) < 0 ||
	    snapshot_conns_add(&s->other, port, peer) < 0) {
		log_warn("cannot remember connection %s <-> %s", port, peer);
		session_drop(&s->remembered, port, peer);
	}
}

static void session_forget(struct session *s, const char *port, const char *peer)
{
	session_drop(&s->doubt, port, peer);
	session_drop(&s->other, port, peer);
	session_drop(&s->remembered, port, peer); /* last: port and peer may be its strings */
}

void session_wanted(void *ctx, const char *port, const char *peer)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct session *s = ctx;
	session_want(s, port, peer);
	session_update_view(s);
}

/* Connect the remembered connections that JACK does not show and whose
 * peer exists now (not those in doubt: the next look decides them).  JACK
 * refuses to connect a port whose client has registered it but is not
 * active yet, and a returning client's ports appear just before it
 * activates: a refusal is tried again at the next looks (every tick), and
 * only given up after SESSION_CONNECT_TRIES of them. */
static void session_try_pending(struct session *s)
{
	int failed = 0;
	for (unsigned i = 0; i < s->remembered.n;) {
		struct snapshot_conn *c = &s->remembered.v[i];
		if (snapshot_conns_find(&s->known, c->port, c->peer) >= 0 ||
		    snapshot_conns_find(&s->doubt, c->port, c->peer) >= 0) {
			i++;
			continue;
		}
		int r = engine_connect_peer(s->engine, c->port, c->peer);
		if (r == -ENOENT) {
			i++;
			continue;
		}
		if (r != 0 && r != -ENODEV && s->pending_fails < SESSION_CONNECT_TRIES) {
			failed = 1;
			i++;
			continue;
		}
		if (r == 0) {
			snapshot_conns_add(&s->known, c->port, c->peer);
			i++;
			continue;
		}
		if (r == -ENODEV)
			log_warn("saved connection of %s (to %s): this console has no such port", c->port,
			         c->peer);
		else
			log_warn("cannot connect %s to %s", c->port, c->peer);
		session_drop(&s->other, c->port, c->peer);
		snapshot_conns_remove(&s->remembered, i);
	}
	s->pending_fails = failed ? s->pending_fails + 1 : 0;
	if (failed)
		s->recheck = 1;
}

/* Whether the JACK server is still there for our port: the client has
 * not been shut down and JACK still lists the port.  When the server goes
 * away every port vanishes, ours too, possibly a look before the shutdown
 * reaches the control thread. */
static int session_server_stays(struct session *s, const char *port)
{
	char full[SNAPSHOT_PORT_MAX + 128];
	if (!engine_running(s->engine))
		return 0;
	snprintf(full, sizeof full, "%s:%s", engine_client_name(s->engine), port);
	return engine_port_exists(s->engine, full);
}

/* A remembered connection JACK no longer shows, seen in doubt at the
 * look before: 1 when it is forgotten now. */
static int session_decide(struct session *s, const struct snapshot_conn *c)
{
	int peer_there = engine_port_exists(s->engine, c->peer);
	if (peer_there) {
		log_info("%s <-> %s was broken: forgotten", c->port, c->peer);
		return 1;
	}
	if (!session_is_other(s, c->port, c->peer)) {
		log_info("%s went away: will connect it to %s again when it returns", c->peer, c->port);
		return 0;
	}
	if (!session_server_stays(s, c->port))
		return 0; /* the server is going: nothing is forgotten */
	log_info("%s went away: its connection to %s was its own, forgotten", c->peer, c->port);
	return 1;
}

/* The graph changed: look at our connections again.  A remembered
 * connection that vanished goes in doubt and is decided at the next look
 * (session_decide); connections that appeared are adopted as "other". */
static void session_refresh(struct session *s)
{
	struct snapshot_conns now = {0}, doubt = {0};

	if (!s->engine)
		return;
	engine_foreach_connection(s->engine, session_collect, &now);
	for (unsigned i = 0; i < s->remembered.n;) {
		const struct snapshot_conn *c = &s->remembered.v[i];
		if (snapshot_conns_find(&now, c->port, c->peer) >= 0) {
			i++;
			continue;
		}
		if (snapshot_conns_find(&s->doubt, c->port, c->peer) >= 0) {
			if (session_decide(s, c)) {
				session_drop(&s->other, c->port, c->peer);
				snapshot_conns_remove(&s->remembered, i);
				continue;
			}
		} else if (snapshot_conns_find(&s->known, c->port, c->peer) >= 0) {
			snapshot_conns_add(&doubt, c->port, c->peer);
		}
		i++;
	}
	for (unsigned i = 0; i < now.n; i++)
		if (snapshot_conns_find(&s->remembered, now.v[i].port, now.v[i].peer) < 0)
			session_adopt(s, now.v[i].port, now.v[i].peer);
	snapshot_conns_free(&s->doubt);
	s->doubt = doubt;
	s->recheck = doubt.n > 0;
	snapshot_conns_free(&s->known);
	s->known = now;
	session_try_pending(s);
	session_update_view(s);
}

static void session_connect_saved(struct session *s, const struct snapshot_conns *saved)
{
	for (unsigned i = 0; i < saved->n; i++)
		session_want(s, saved->v[i].port, saved->v[i].peer);
	if (s->engine && s->graph_valid) /* JACK connects active clients only */
		session_try_pending(s);
	session_update_view(s);
}

static void session_log_pending(const struct session *s)
{
	for (unsigned i = 0; i < s->remembered.n; i++)
		if (snapshot_conns_find(&s->known, s->remembered.v[i].port, s->remembered.v[i].peer) < 0)
			log_info("%s is not there (yet): %s will be connected to it when it appears",
			         s->remembered.v[i].peer, s->remembered.v[i].port);
}

void session_restore_connections(struct session *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!s->engine)
		return;
	s->graph_seen = engine_graph_generation(s->engine);
	s->graph_valid = 1;
	session_refresh(s);
	session_log_pending(s);
}

void session_engine_closing(struct session *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	/* every remembered connection stays, "other" ones too (the server
	 * going is not their client leaving), and is made again by
	 * session_restore_connections */
	snapshot_conns_clear(&s->known);
	snapshot_conns_clear(&s->doubt);
	s->graph_valid = 0;
}

/* ---- patching (/jack/... over OSC) ---------------------------------------- */

static int session_jack_ok(struct session *s, char *err, size_t errlen)
{
	if (s->engine && engine_connected(s->engine))
		return 0;
	snprintf(err, errlen, "JACK is not running");
	return -1;
}

/* Which end is ours: fills port (our short name) and peer (full name). */
static int session_ends(struct session *s, const char *from, const char *to, int connect, char *port,
                        char *peer, char *err, size_t errlen)
{
	struct engine_port a, b;
	int ra = engine_port_lookup(s->engine, from, &a);
	int rb = engine_port_lookup(s->engine, to, &b);
	/* forgetting a remembered connection whose peer is away */
	if (!connect && (ra == 0) != (rb == 0) && (ra == 0 ? a.ours : b.ours)) {
		snprintf(port, SNAPSHOT_PORT_MAX, "%s", ra == 0 ? a.shortname : b.shortname);
		snprintf(peer, SNAPSHOT_PEER_MAX, "%s", ra == 0 ? to : from);
		if (snapshot_conns_find(&s->remembered, port, peer) >= 0)
			return 0;
	}
	if (ra < 0 || rb < 0) {
		snprintf(err, errlen, "no JACK port '%s'", ra < 0 ? from : to);
		return -1;
	}
	if (!a.ours && !b.ours) {
		snprintf(err, errlen, "neither '%s' nor '%s' is a port of this console (%s)", from, to,
		         engine_client_name(s->engine));
		return -1;
	}
	if (a.ours && b.ours) {
		snprintf(err, errlen, "'%s' and '%s' are both ports of this console", from, to);
		return -1;
	}
	if (!a.output || b.output) {
		snprintf(err, errlen, "'%s' is an %s: connect an output (from) to an input (to)",
		         !a.output ? from : to, !a.output ? "input" : "output");
		return -1;
	}
	if (strcmp(a.type, b.type) != 0) {
		snprintf(err, errlen, "'%s' is %s, '%s' is %s", from, a.type, to, b.type);
		return -1;
	}
	const struct engine_port *mine = a.ours ? &a : &b, *theirs = a.ours ? &b : &a;
	if (strlen(mine->shortname) >= SNAPSHOT_PORT_MAX || strlen(theirs->name) >= SNAPSHOT_PEER_MAX) {
		snprintf(err, errlen, "port name too long");
		return -1;
	}
	snprintf(port, SNAPSHOT_PORT_MAX, "%s", mine->shortname);
	snprintf(peer, SNAPSHOT_PEER_MAX, "%s", theirs->name);
	return 0;
}

int session_patch(struct session *s, const char *from, const char *to, int connect, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char port[SNAPSHOT_PORT_MAX], peer[SNAPSHOT_PEER_MAX];
	if (session_jack_ok(s, err, errlen) < 0 ||
	    session_ends(s, from, to, connect, port, peer, err, errlen) < 0)
		return -1;
	if (connect) {
		if (engine_connect_peer(s->engine, port, peer) != 0) {
			snprintf(err, errlen, "JACK refused to connect '%s' to '%s'", from, to);
			return -1;
		}
		session_want(s, port, peer);
	} else {
		int r = engine_disconnect_peer(s->engine, port, peer);
		int remembered = snapshot_conns_find(&s->remembered, port, peer) >= 0;
		if (r == -1 || (r < 0 && !remembered)) {
			snprintf(err, errlen,
			         r == -1 ? "JACK refused to disconnect '%s' from '%s'"
			                 : "'%s' and '%s' are not connected",
			         from, to);
			return -1;
		}
		session_forget(s, port, peer);
		if (r < 0)
			log_info("%s <-> %s forgotten (it was waiting for %s)", port, peer, peer);
	}
	session_update_view(s);
	return 0;
}

/* Our port (short name) as a full name, for replies. */
static void session_full(struct session *s, const char *port, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", engine_client_name(s->engine), port);
}

int session_connections(struct session *s, const char *filter, session_conn_fn fn, void *ctx, char *err,
                        size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct snapshot_conns now = {0};
	char full[SNAPSHOT_PORT_MAX + 128], only[SNAPSHOT_PEER_MAX] = "";
	int n = 0;

	if (session_jack_ok(s, err, errlen) < 0)
		return -1;
	if (filter) {
		struct engine_port p;
		int any = engine_port_lookup(s->engine, filter, &p) == 0;
		if (any)
			snprintf(only, sizeof only, "%s", p.ours ? p.shortname : p.name);
		else if (strlen(filter) < sizeof only)
			snprintf(only, sizeof only, "%s", filter); /* a peer that is away */
		for (unsigned i = 0; !any && i < s->remembered.n; i++)
			any = !strcmp(s->remembered.v[i].peer, only);
		if (!any) {
			snprintf(err, errlen, "no JACK port '%s'", filter);
			return -1;
		}
	}
	engine_foreach_connection(s->engine, session_collect, &now);
	for (unsigned pass = 0; pass < 2; pass++) {
		const struct snapshot_conns *set = pass ? &s->remembered : &now;
		for (unsigned i = 0; i < set->n; i++) {
			const struct snapshot_conn *c = &set->v[i];
			if (pass && snapshot_conns_find(&now, c->port, c->peer) >= 0)
				continue; /* listed in the first pass */
			if (only[0] && strcmp(only, c->port) != 0 && strcmp(only, c->peer) != 0)
				continue;
			struct engine_port mine;
			if (engine_port_lookup(s->engine, c->port, &mine) < 0)
				continue;
			/* one made since the last look is not remembered yet: other */
			const char *state = pass ? "pending"
			                    : snapshot_conns_find(&s->remembered, c->port, c->peer) >= 0 &&
			                            !session_is_other(s, c->port, c->peer)
			                        ? "wanted"
			                        : "other";
			session_full(s, c->port, full, sizeof full);
			fn(ctx, mine.output ? full : c->peer, mine.output ? c->peer : full, state);
			n++;
		}
	}
	snapshot_conns_free(&now);
	return n;
}

int session_keep(struct session *s, const char *port, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct snapshot_conns now = {0};
	struct engine_port p;
	int n = 0;

	if (session_jack_ok(s, err, errlen) < 0)
		return -1;
	if (port && (engine_port_lookup(s->engine, port, &p) < 0 || !p.ours)) {
		snprintf(err, errlen, "'%s' is not a port of this console", port);
		return -1;
	}
	engine_foreach_connection(s->engine, session_collect, &now);
	for (unsigned i = 0; i < now.n; i++) {
		const struct snapshot_conn *c = &now.v[i];
		if ((port && strcmp(c->port, p.shortname) != 0) ||
		    (snapshot_conns_find(&s->remembered, c->port, c->peer) >= 0 &&
		     !session_is_other(s, c->port, c->peer)))
			continue;
		session_want(s, c->port, c->peer);
		log_info("%s <-> %s kept: wanted, made again when %s returns", c->port, c->peer, c->peer);
		n++;
	}
	snapshot_conns_free(&now);
	session_update_view(s);
	return n;
}

/* ---- state file -------------------------------------------------------- */

/* Parse path into a staging copy; on success make the console equal to it
 * (instantly: this is a load, not a recall) and adopt its connections. */
static int session_load_from(struct session *s, int *missing, char *err, size_t errlen)
{
	struct snapshot *snap = snapshot_new(model_shape(s->model));
	int r;

	*missing = 0;
	if (!snap) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = snapshot_read(snap, s->state_dirfd, s->state_name, s->state_path, 0, err, errlen);
	if (r == -ENOENT) {
		*missing = 1;
		/* a new session: defaults, and no saved connections */
	} else if (r < 0) {
		snapshot_free(snap);
		return -1;
	}
	unsigned n = snapshot_apply(snap, s->model, 0.0f, 0, s);
	model_commit(s->model);
	if (s->lanes.load)
		s->lanes.load(s->lanes.ctx, snap->lanes, 0);
	snapshot_conns_clear(&s->remembered);
	snapshot_conns_clear(&s->other);
	snapshot_conns_clear(&s->doubt);
	session_connect_saved(s, &snap->conns);
	s->recheck = 1; /* connections JACK shows that the file lacks: other */
	if (!*missing)
		log_info("%s: loaded (%u values differ from the defaults, %u connections)", s->state_path, n,
		         snap->conns.n);
	snapshot_free(snap);
	s->gen_saved = s->gen_seen = session_gen(s);
	free(s->last_text);
	s->last_text = NULL;
	return 0;
}

int session_load_state(struct session *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char err[512], aside[NAME_MAX + 64];
	int missing;

	if (s->state_dirfd < 0)
		return 0;
	if (session_load_from(s, &missing, err, sizeof err) == 0) {
		if (missing)
			log_info("%s does not exist yet: starting from defaults", s->state_path);
		return 0;
	}
	log_err("%s", err);
	int r = statefile_set_aside(s->state_dirfd, s->state_name, aside, sizeof aside);
	if (r < 0) {
		log_err("%s: cannot rename the damaged file aside (%s): autosave is off so that it is not "
		        "overwritten",
		        s->state_path, strerror(-r));
		s->autosave = 0;
		return -1;
	}
	log_err("%s: kept as %s; starting from defaults", s->state_path, aside);
	return 0;
}

int session_save_state(struct session *s, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	size_t len;
	char *text;
	unsigned long g = session_gen(s);

	if (s->state_dirfd < 0) {
		snprintf(err, errlen, "no state file (start with -s FILE)");
		return -1;
	}
	text = session_format(s, &len);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* the tick tells the dirty listener (NSM's is_clean) that the state
	 * is saved; with no autosave to wait for it may be asleep */
	control_timer_wake(s->ctl, s->timer);
	if (s->last_text && s->last_len == len && !memcmp(s->last_text, text, len)) {
		free(text);
		s->gen_saved = g;
		return 0;
	}
	int r = statefile_write_atomic(s->state_dirfd, s->state_name, text, len, 0, err, errlen);
	if (r < 0) {
		free(text);
		log_err("%s: %s", s->state_path, err);
		return -1;
	}
	free(s->last_text);
	s->last_text = text;
	s->last_len = len;
	s->gen_saved = g;
	log_debug("%s saved", s->state_path);
	return 0;
}

void session_shutdown(struct session *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char err[512];
	/* no last look at JACK here: the server may be gone (that is one
	 * reason to shut down); the timer looked at most 100 ms ago */
	if (s->autosave && s->state_dirfd >= 0 && session_gen(s) != s->gen_saved)
		session_save_state(s, err, sizeof err);
}

int session_switch(struct session *s, const char *state_path, const char *snapshot_dir, char *err,
                   size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	int missing;
	if (session_open_state(s, state_path) < 0) {
		snprintf(err, errlen, "%s: cannot use this path", state_path);
		return -1;
	}
	session_set_scene_dir(s, snapshot_dir);
	if (session_load_from(s, &missing, err, errlen) < 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

static void session_tick(void *ctx, uint64_t now)
{
	struct session *s = ctx;
	char err[512];

	if (s->graph_valid && s->engine) {
		unsigned g = engine_graph_generation(s->engine);
		if (g != s->graph_seen || s->recheck) {
			s->graph_seen = g;
			session_refresh(s);
		}
	}
	unsigned long gen = session_gen(s);
	if (gen != s->gen_seen) {
		s->gen_seen = gen;
		s->changed_at = now;
	}
	int dirty = gen != s->gen_saved;
	if (s->autosave && dirty && s->state_dirfd >= 0 && now - s->changed_at >= SESSION_AUTOSAVE_MS &&
	    now >= s->retry_at) {
		if (session_save_state(s, err, sizeof err) < 0)
			s->retry_at = now + SESSION_AUTOSAVE_MS;
		dirty = session_gen(s) != s->gen_saved;
	}
	if (dirty != s->dirty_said && s->dirty_fn) {
		s->dirty_said = dirty;
		s->dirty_fn(s->dirty_ctx, dirty);
	}
	/* awake only while an autosave is coming or the graph is in doubt;
	 * a change (model listener, session_changed) or a graph change
	 * (engine_watch) wakes it */
	if (!s->recheck && (!dirty || !s->autosave || s->state_dirfd < 0))
		control_timer_sleep(s->ctl, s->timer);
}

void session_changed(struct session *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (s)
		control_timer_wake(s->ctl, s->timer);
}

static void session_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                              int clamped)
{
	(void)id, (void)i1, (void)i2, (void)origin, (void)clamped;
	session_changed(ctx);
}

void session_on_dirty(struct session *s, void (*fn)(void *ctx, int dirty), void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	s->dirty_fn = fn;
	s->dirty_ctx = ctx;
	s->dirty_said = 0;
}

/* ---- scenes ------------------------------------------------------------ */

int session_scene_save(struct session *s, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	size_t len;
	if (!snapshot_name_valid(name)) {
		snprintf(err, errlen,
		         "invalid snapshot name (1-%d of A-Z a-z 0-9 . _ -, not starting with '.')",
		         SNAPSHOT_NAME_MAX);
		return -1;
	}
	if (session_open_scenes(s, 1) < 0) {
		snprintf(err, errlen, "no usable snapshot directory");
		return -1;
	}
	char *text = session_format(s, &len);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int r = snapshot_scene_save(s->scene_dirfd, name, text, len, err, errlen);
	free(text);
	if (r < 0) {
		log_err("snapshot '%s': %s", name, err);
		return -1;
	}
	log_info("snapshot '%s' saved", name);
	return 0;
}

int session_scene_load(struct session *s, const char *name, float fade_ms, int connect, char *err,
                       size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!isfinite(fade_ms) || fade_ms < 0.0f || fade_ms > SESSION_MAX_FADE_MS) {
		snprintf(err, errlen, "fade time must be 0..%g ms", (double)SESSION_MAX_FADE_MS);
		return -1;
	}
	if (!snapshot_name_valid(name)) {
		snprintf(err, errlen,
		         "invalid snapshot name (1-%d of A-Z a-z 0-9 . _ -, not starting with '.')",
		         SNAPSHOT_NAME_MAX);
		return -1;
	}
	if (session_open_scenes(s, 1) < 0) {
		snprintf(err, errlen, "no usable snapshot directory");
		return -1;
	}
	struct snapshot *snap = snapshot_new(model_shape(s->model));
	if (!snap) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (snapshot_scene_read(snap, s->scene_dirfd, name, err, errlen) < 0) {
		snapshot_free(snap);
		return -1;
	}
	int faded = fade_ms > 0.0f && s->lanes.recall_fade;
	if (faded)
		s->lanes.recall_fade(s->lanes.ctx, 1);
	unsigned n = snapshot_apply(snap, s->model, fade_ms, SNAPSHOT_RECALL, s);
	if (faded)
		s->lanes.recall_fade(s->lanes.ctx, 0);
	model_commit(s->model);
	if (s->lanes.load)
		s->lanes.load(s->lanes.ctx, snap->lanes, 1);
	if (connect) {
		session_connect_saved(s, &snap->conns);
		session_log_pending(s);
	}
	snapshot_free(snap);
	log_info("snapshot '%s' recalled over %g ms: %u parameters changed", name, (double)fade_ms, n);
	return 0;
}

/* ---- strip presets: NAME.preset beside the scenes (preset.c) ----------- */

int session_preset_save(struct session *s, int bus, unsigned idx, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (session_open_scenes(s, 1) < 0) {
		snprintf(err, errlen, "no usable snapshot directory");
		return -1;
	}
	if (preset_save(s->scene_dirfd, s->model, bus ? PRESET_BUS : PRESET_CH, idx, name, err, errlen) < 0) {
		log_err("preset '%s': %s", snapshot_name_valid(name) ? name : "(invalid name)", err);
		return -1;
	}
	log_info("preset '%s' saved from %s %u", name, bus ? "bus" : "channel", idx + 1);
	return 0;
}

int session_preset_load(struct session *s, int bus, unsigned idx, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (session_open_scenes(s, 1) < 0) {
		snprintf(err, errlen, "no usable snapshot directory");
		return -1;
	}
	int n =
	    preset_load(s->scene_dirfd, s->model, bus ? PRESET_BUS : PRESET_CH, idx, name, s, err, errlen);
	if (n < 0) {
		log_err("preset '%s': %s", snapshot_name_valid(name) ? name : "(invalid name)", err);
		return -1;
	}
	model_commit(s->model);
	log_info("preset '%s' loaded on %s %u: %d values changed", name, bus ? "bus" : "channel", idx + 1, n);
	return 0;
}

int session_preset_delete(struct session *s, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (session_open_scenes(s, 0) < 0) {
		snprintf(err, errlen, "no usable snapshot directory");
		return -1;
	}
	if (preset_delete(s->scene_dirfd, name, err, errlen) < 0)
		return -1;
	log_info("preset '%s' deleted", name);
	return 0;
}

int session_preset_list(struct session *s, char ***names, unsigned *n, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	*names = NULL;
	*n = 0;
	if (session_open_scenes(s, 0) < 0)
		return 0; /* no directory yet: no presets */
	if (preset_list(s->scene_dirfd, names, n) < 0) {
		snprintf(err, errlen, "cannot list the presets");
		return -1;
	}
	return 0;
}

int session_scene_delete(struct session *s, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (session_open_scenes(s, 1) < 0) {
		snprintf(err, errlen, "no usable snapshot directory");
		return -1;
	}
	if (snapshot_scene_delete(s->scene_dirfd, name, err, errlen) < 0)
		return -1;
	log_info("snapshot '%s' deleted", name);
	return 0;
}

int session_scene_list(struct session *s, char ***names, unsigned *n, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (session_open_scenes(s, 1) < 0) {
		snprintf(err, errlen, "no usable snapshot directory");
		return -1;
	}
	if (snapshot_scene_list(s->scene_dirfd, names, n) < 0) {
		snprintf(err, errlen, "cannot read the snapshot directory");
		return -1;
	}
	return 0;
}

int session_save_now(struct session *s, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	/* the connections as they are now, not as of the last tick */
	if (s->graph_valid && s->engine && engine_graph_generation(s->engine) != s->graph_seen) {
		s->graph_seen = engine_graph_generation(s->engine);
		session_refresh(s);
	}
	return session_save_state(s, err, errlen);
}

const char *session_state_file(const struct session *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return s->state_path;
}

/* ---- life cycle -------------------------------------------------------- */

struct session *session_new(const struct session_config *cfg, struct control *ctl, struct model *m,
                            struct engine *e)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct session *s = calloc(1, sizeof *s);
	if (!s) {
		log_err("out of memory");
		return NULL;
	}
	s->ctl = ctl;
	s->model = m;
	s->engine = e;
	s->autosave = cfg->autosave;
	s->state_dirfd = -1;
	s->scene_dirfd = -1;
	if (session_open_state(s, cfg->state_path) < 0) {
		session_free(s);
		return NULL;
	}
	session_set_scene_dir(s, cfg->snapshot_dir);
	s->gen_saved = s->gen_seen = session_gen(s);
	s->timer = -1;
	if (ctl &&
	    ((s->timer = control_add_timer(ctl, SESSION_TICK_MS, session_tick, s)) < 0 ||
	     model_add_listener(m, session_on_change, s) < 0 || (e && engine_watch(e, s->timer) < 0))) {
		log_err("too many timers");
		session_free(s);
		return NULL;
	}
	return s;
}

void session_free(struct session *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!s)
		return;
	if (s->ctl)
		model_remove_listener(s->model, session_on_change, s);
	if (s->state_dirfd >= 0)
		close(s->state_dirfd);
	if (s->scene_dirfd >= 0)
		close(s->scene_dirfd);
	snapshot_conns_free(&s->known);
	snapshot_conns_free(&s->remembered);
	snapshot_conns_free(&s->other);
	snapshot_conns_free(&s->doubt);
	snapshot_conns_free(&s->view);
	free(s->last_text);
	free(s);
}
