/*
 * snapshot.h - the state-file format (the whole console as text: one
 * "path value" line per parameter instance, generated from the parameter
 * table, plus the JACK connections of our ports), its parser, scene
 * recall onto the live model, and the snapshot (scene) directory with
 * validated names that never follows symlinks (its files are written
 * through statefile.h, atomically and durably).
 *
 * Threads: control thread only (the parser is also run by the fuzz target
 * and the offline tests).  Nothing here touches JACK or the RT thread;
 * recall goes through model_set/model_ramp like any OSC change.
 *
 * The format (version 1):
 *
 *   # comments and blank lines are ignored
 *   jackmixd-state 1
 *   /ch/1/name "Kick"
 *   /ch/1/fader/db -6.5
 *   /ch/1/eq/1/type lshelf
 *   ...
 *   /jack/connect "in_1" "system:capture_1"
 *   /automation/rate 48000
 *   /ch/1/fader/auto read
 *   /ch/1/fader/auto/point 96000 -6.5
 *   end crc32 89abcdef
 *
 * Paths are the concrete engineering-unit OSC paths of the parameter table
 * (numbers from 1, leading zeros accepted); values are finite numbers in
 * range, 0/1 for switches, a name or an index for enums, double-quoted
 * strings (\" \\ \xHH escapes) for names.  A parameter the file does not
 * mention takes its default.  Automation lanes (lanes.h: a mode and
 * (frame, value) points per automatable parameter) follow the values; a
 * lane the file does not mention is off and empty.  Every line ends with a newline.  The "end"
 * line must be the last line; its CRC-32 (of every byte before the end
 * line, lower-case hex) is checked when present, so a hand-edited file may
 * end with a bare "end".
 *
 * Invariants: a parse either succeeds completely or reports "file:line:
 * reason" and leaves nothing applied (parsing fills a staging copy, apply
 * is a separate step).
 */
#ifndef JMX_SNAPSHOT_H
#define JMX_SNAPSHOT_H

#include <stddef.h>

#include "lanes.h"
#include "model.h"
#include "params.h"

#define SNAPSHOT_FORMAT    1
#define SNAPSHOT_MAX_BYTES (10u * 1024u * 1024u)
#define SNAPSHOT_NAME_MAX  64  /* scene names: 1..64 of [A-Za-z0-9._-], no leading '.' */
#define SNAPSHOT_PORT_MAX  64  /* our own port's short name */
#define SNAPSHOT_PEER_MAX  320 /* a peer's full JACK port name (jack_port_name_size) */
#define SNAPSHOT_MAX_CONN  65536
#define SNAPSHOT_SUFFIX    ".scene"

struct snapshot_conn {
	char port[SNAPSHOT_PORT_MAX]; /* ours, e.g. "in_1" */
	char peer[SNAPSHOT_PEER_MAX]; /* theirs, e.g. "system:capture_1" */
};

/* A set of connections (insertion order, no duplicates). */
struct snapshot_conns {
	struct snapshot_conn *v;
	unsigned n, cap;
};

/* Add (duplicates ignored): 0, or -1 when a name is invalid or the set is
 * full.  Find: index or -1.  Remove: by index, keeps the order. */
int snapshot_conns_add(struct snapshot_conns *c, const char *port, const char *peer);
int snapshot_conns_find(const struct snapshot_conns *c, const char *port, const char *peer);
void snapshot_conns_remove(struct snapshot_conns *c, unsigned i);
void snapshot_conns_clear(struct snapshot_conns *c);
int snapshot_conns_equal(const struct snapshot_conns *a, const struct snapshot_conns *b);
void snapshot_conns_free(struct snapshot_conns *c);

/* A parsed state: a staging model (no RT queue, defaults where the file
 * is silent), the saved connections and the automation lanes. */
struct snapshot {
	struct model *values;
	struct snapshot_conns conns;
	struct lanes *lanes;
};

struct snapshot *snapshot_new(const struct param_shape *shape);
void snapshot_free(struct snapshot *s);

/* Parse len bytes of text into s (which should be fresh).  Returns 0, or
 * -1 with "file:line: reason" in err. */
int snapshot_parse(struct snapshot *s, const char *file, const char *text, size_t len, char *err,
                   size_t errlen);

/* Open name relative to dirfd (with O_NOFOLLOW when nofollow), insist on
 * a regular file, read and parse it; file is the name used in messages.
 * Returns 0; -ENOENT when there is no such file (err set too); -1 when it
 * exists but cannot be read or does not parse (err says why). */
int snapshot_read(struct snapshot *s, int dirfd, const char *name, const char *file, int nofollow, char *err,
                  size_t errlen);

/* Render the model's values and the given connections in the format
 * above.  Returns a malloc'd buffer (length in *len) or NULL. */
char *snapshot_format(const struct model *m, const struct snapshot_conns *conns, size_t *len);
/* The same with automation lanes (NULL: none). */
char *snapshot_format_lanes(const struct model *m, const struct lanes *lanes,
                            const struct snapshot_conns *conns, size_t *len);

enum snapshot_apply_flags {
	SNAPSHOT_RECALL = 1, /* a scene: channels marked safe are left alone, and
	                      * the safe flags themselves are never recalled */
};

/* Make the live model equal to s's values, changing only what differs.
 * fade_ms > 0: continuous parameters ramp over fade_ms in the RT thread
 * (model_ramp), switches change at the end of the fade except unmutes,
 * which happen at its start so the fade is heard; names change at once.
 * The caller commits.  Returns the number of parameters changed. */
unsigned snapshot_apply(const struct snapshot *s, struct model *live, float fade_ms, unsigned flags,
                        const void *origin);

/* ---- files ------------------------------------------------------------ */

/* Scene names: 1..64 of [A-Za-z0-9._-], not starting with '.'. */
int snapshot_name_valid(const char *name);

/* Scenes in the directory: save (atomic, refuses a non-regular entry),
 * read (O_NOFOLLOW), delete (regular files only), list (sorted valid names
 * of regular files; *names is one malloc'd block of *n pointers and
 * strings, free() it).  Return 0 or -errno / -1 with a message in err. */
int snapshot_scene_save(int dirfd, const char *name, const void *buf, size_t len, char *err, size_t errlen);
int snapshot_scene_read(struct snapshot *s, int dirfd, const char *name, char *err, size_t errlen);
int snapshot_scene_delete(int dirfd, const char *name, char *err, size_t errlen);
int snapshot_scene_list(int dirfd, char ***names, unsigned *n);

#endif
