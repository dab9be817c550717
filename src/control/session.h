/*
 * session.h - the daemon's persistent state at run time: the state file
 * (-s: loaded at start, autosaved 2 s after the last change and on clean
 * shutdown), scenes in the snapshot directory (crossfaded recall with
 * recall safes; their OSC commands are session_osc.c's), and the JACK
 * connections of our ports that a user asked for (restored at start,
 * peers that register later connected when they appear, peers that vanish
 * remembered; patched over OSC through patch_osc.c).
 *
 * Threads: control thread only.  It learns about JACK graph changes from
 * engine_graph_generation (an atomic counter bumped by JACK's notification
 * thread) in its own timer, and only then talks to JACK.
 */
#ifndef JMX_SESSION_H
#define JMX_SESSION_H

#include <stddef.h>

#include "control.h"
#include "engine.h"
#include "model.h"

#define SESSION_AUTOSAVE_MS   2000u
#define SESSION_CONNECT_TRIES 100u /* looks (10 ms apart) before a refused connection is given up */

struct session_config {
	const char *state_path;   /* state file, or NULL for none */
	const char *snapshot_dir; /* scene directory, or NULL for the default */
	int autosave;             /* save 2 s after the last change and at shutdown */
};

struct session;

/* Default scene directory: $XDG_STATE_HOME/jackmixd/snapshots, else
 * $HOME/.local/state/jackmixd/snapshots.  0, or -1 when neither is set. */
int session_default_snapshot_dir(char *buf, size_t len);

/* Resolves the paths (the scene directory is created on first use),
 * sweeps temporary files left by a crash and registers the housekeeping
 * timer with ctl.
 * engine may be NULL (tests): then connections are neither saved nor
 * restored.  NULL after a log line on failure. */
struct session *session_new(const struct session_config *cfg, struct control *ctl, struct model *m,
                            struct engine *e);
void session_free(struct session *s);

/* Automation lanes are part of the state file and of scenes; the
 * session reaches them through these hooks (automation.c). */
struct lanes;
struct session_lanes {
	void *ctx;
	const struct lanes *(*get)(void *ctx);
	/* make the lanes equal to from; recall: a scene (safe channels kept) */
	void (*load)(void *ctx, const struct lanes *from, int recall);
	unsigned long (*generation)(void *ctx); /* changes, for autosave */
	/* a recall with a fade changes the model between on = 1 and on = 0:
	 * its continuous parameters ramp (shown moving; may be NULL) */
	void (*recall_fade)(void *ctx, int on);
};
void session_set_lanes(struct session *s, const struct session_lanes *hooks);

/* Something the state file holds changed where the model does not see it
 * (the lanes): look at it at the next tick (the tick sleeps while the
 * state is saved; model changes and graph changes wake it by themselves). */
void session_changed(struct session *s);

/* Start-up: load the state file if there is one.  A file that does not
 * parse is logged and renamed aside, and the console starts from its
 * defaults.  Returns 0, or -1 when a damaged file could not be set aside
 * (autosave is then disabled, so it is never overwritten). */
int session_load_state(struct session *s);

/* After the JACK client is active: connect our ports to the saved peers
 * that exist; the others are connected when they register. */
void session_restore_connections(struct session *s);

/* Write the state file now.  0, or -1 with a message in err (logged). */
int session_save_state(struct session *s, char *err, size_t errlen);

/* Clean shutdown: save if autosave is on and anything changed. */
void session_shutdown(struct session *s);

/* NSM: new state file and scene directory (the state is loaded from the
 * new file, or reset to defaults when it does not exist). */
int session_switch(struct session *s, const char *state_path, const char *snapshot_dir, char *err,
                   size_t errlen);

/* Before the JACK client is closed (server lost, NSM rename): nothing is
 * forgotten; every remembered connection ("other" ones too) is made again
 * afterwards by session_restore_connections. */
void session_engine_closing(struct session *s);

/* A connection a user asked for (main: -i, -o, --connect-midi, through
 * the engine's callback; ctx is the session): wanted, saved and kept when
 * its peer goes away. */
void session_wanted(void *ctx, const char *port, const char *peer);

/* Patching (the /jack/... commands, patch_osc.c).  Every one needs the
 * JACK server ("JACK is not running" otherwise) and changes nothing when
 * it fails: 0 (or a count), or -1 with a message in err.
 * session_patch: connect (1) or disconnect (0) output port from and input
 * port to (full names, or ours by short name), exactly one of them ours,
 * of the same type.  A connection made is wanted (saved, kept when the
 * peer goes, remade when it returns); one broken is forgotten, and so is
 * a remembered one whose peer is away. */
int session_patch(struct session *s, const char *from, const char *to, int connect, char *err, size_t errlen);
/* The connections of our ports (of port only, ours or a peer, if not
 * NULL): fn gets the output's and the input's full names and "wanted"
 * (asked for: saved, kept when the peer goes), "other" (made by another
 * program: saved while the peer is there, forgotten when its client
 * leaves) or "pending" (saved, waiting for the peer).  The number listed. */
typedef void (*session_conn_fn)(void *ctx, const char *from, const char *to, const char *state);
int session_connections(struct session *s, const char *port, session_conn_fn fn, void *ctx, char *err,
                        size_t errlen);
/* Make the connections other programs made to our ports (to port only,
 * if not NULL) wanted, so that they stay when their client leaves.  The
 * number that were not wanted yet. */
int session_keep(struct session *s, const char *port, char *err, size_t errlen);

/* Told whenever the state becomes different from the saved one (dirty)
 * or equal again (saved). */
void session_on_dirty(struct session *s, void (*fn)(void *ctx, int dirty), void *ctx);

/* Scenes (also reachable over OSC).  0, or -1 with a message in err. */
int session_scene_save(struct session *s, const char *name, char *err, size_t errlen);
int session_scene_load(struct session *s, const char *name, float fade_ms, int connect, char *err,
                       size_t errlen);
int session_scene_delete(struct session *s, const char *name, char *err, size_t errlen);
/* The scene names, sorted, in one malloc'd block the caller frees.  0,
 * or -1 with a message in err. */
int session_scene_list(struct session *s, char ***names, unsigned *n, char *err, size_t errlen);

/* Strip presets (preset.h), NAME.preset in the snapshot directory: save
 * channel (bus 0) or bus idx's processing, load one onto it (committed;
 * linked pairs follow), delete, list (sorted, one malloc'd block the
 * caller frees).  0, or -1 with a message in err and nothing changed. */
int session_preset_save(struct session *s, int bus, unsigned idx, const char *name, char *err, size_t errlen);
int session_preset_load(struct session *s, int bus, unsigned idx, const char *name, char *err, size_t errlen);
int session_preset_delete(struct session *s, const char *name, char *err, size_t errlen);
int session_preset_list(struct session *s, char ***names, unsigned *n, char *err, size_t errlen);

/* Write the state file now, with the JACK connections as they are at this
 * moment (session_save_state after a look at the graph).  0, or -1 with
 * a message in err (logged). */
int session_save_now(struct session *s, char *err, size_t errlen);
/* The state file's path as shown in messages ("" without one). */
const char *session_state_file(const struct session *s);

#endif
