/*
 * session_osc.c - the OSC commands of scenes, strip presets and the state
 * file; see
 * session_osc.h.  session.c does the work through plain C calls; this
 * file checks and converts arguments and replies, as recorder_osc.c does
 * for the recorder.
 *
 * Threads: control thread only (the handlers run inside the OSC layer's
 * dispatch).
 *
 * Invariants: every command gets exactly one reply to its sender (or, for
 * /snapshot/list, one message per SESSION_OSC_LIST_CHUNK names): its
 * path with the name, or /error with a reason.  A scene name from the
 * network reaches session.c only after snapshot_name_valid accepted it,
 * so it never becomes a path outside the snapshot directory.
 */
#include "session_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <math.h>
#include <stdlib.h>

#include "log.h"
#include "snapshot.h"

#define SESSION_OSC_LIST_CHUNK 100u /* names per /snapshot/list reply */

struct session_osc {
	struct session *s;
	struct osc *osc;
};

static void sosc_reply(struct osc *o, lo_message m, const char *path)
{
	size_t len = 0;
	void *buf = lo_message_serialise(m, path, NULL, &len);
	if (buf) {
		osc_reply_raw(o, buf, len);
		free(buf);
	}
	lo_message_free(m);
}

static void sosc_reply_name(struct osc *o, const char *path, const char *name, int n)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, name);
	if (n >= 0)
		lo_message_add_int32(m, n);
	sosc_reply(o, m, path);
}

static const char *sosc_arg_name(struct osc *o, const char *path, const struct osc_arg *argv, int argc,
                                 int max)
{
	if (argc < 1 || argc > max || !argv[0].str) {
		osc_reply_error(o, path,
		                max == 1 ? "expects s:name" : "expects s:name [f:fade_ms] [i:connect]");
		return NULL;
	}
	/* the reason names what is wrong; the name itself never becomes a
	 * path unless it passed snapshot_name_valid */
	if (!snapshot_name_valid(argv[0].str)) {
		osc_reply_error(o, path,
		                "invalid snapshot name (1-64 of A-Z a-z 0-9 . _ -, not starting with '.')");
		return NULL;
	}
	return argv[0].str;
}

static void sosc_cmd_save(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct session_osc *so = ctx;
	char err[512];
	const char *name = sosc_arg_name(o, path, argv, argc, 1);
	if (!name)
		return;
	if (session_scene_save(so->s, name, err, sizeof err) < 0)
		osc_reply_error(o, path, err);
	else
		sosc_reply_name(o, path, name, -1);
}

static void sosc_cmd_load(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct session_osc *so = ctx;
	char err[512];
	float fade = 0.0f;
	int connect = 0;
	const char *name = sosc_arg_name(o, path, argv, argc, 3);
	if (!name)
		return;
	if (argc >= 2) {
		if (argv[1].str || !isfinite(argv[1].num)) {
			osc_reply_error(o, path, "fade_ms must be a number");
			return;
		}
		fade = (float)argv[1].num;
	}
	if (argc >= 3) {
		if (argv[2].str) {
			osc_reply_error(o, path, "connect must be 0 or 1");
			return;
		}
		connect = argv[2].num > 0.0;
	}
	if (session_scene_load(so->s, name, fade, connect, err, sizeof err) < 0)
		osc_reply_error(o, path, err);
	else
		sosc_reply_name(o, path, name, -1);
}

static void sosc_cmd_delete(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct session_osc *so = ctx;
	char err[512];
	const char *name = sosc_arg_name(o, path, argv, argc, 1);
	if (!name)
		return;
	if (session_scene_delete(so->s, name, err, sizeof err) < 0)
		osc_reply_error(o, path, err);
	else
		sosc_reply_name(o, path, name, -1);
}

static void sosc_cmd_list(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct session_osc *so = ctx;
	char **names, err[256];
	unsigned n;
	(void)argv;
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return;
	}
	if (session_scene_list(so->s, &names, &n, err, sizeof err) < 0) {
		osc_reply_error(o, path, err);
		return;
	}
	/* one message for up to SESSION_OSC_LIST_CHUNK names, several if
	 * more: a datagram stays well under common path MTU reassembly
	 * limits */
	unsigned i = 0;
	do {
		lo_message m = lo_message_new();
		if (!m)
			break;
		for (unsigned k = 0; k < SESSION_OSC_LIST_CHUNK && i < n; k++, i++)
			lo_message_add_string(m, names[i]);
		sosc_reply(o, m, path);
	} while (i < n);
	free(names);
}

static void sosc_cmd_state_save(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                int argc)
{
	struct session_osc *so = ctx;
	char err[512];
	(void)argv;
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return;
	}
	if (session_save_now(so->s, err, sizeof err) < 0)
		osc_reply_error(o, path, err);
	else
		sosc_reply_name(o, path, session_state_file(so->s), -1);
}

/* Strip presets: /ch/<n>/preset/save|load, /bus/<a>/preset/save|load; the
 * number in the concrete path is checked by session.c (preset.c). */
static void sosc_preset(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc,
                        int load)
{
	struct session_osc *so = ctx;
	char err[512];
	int bus = path[1] == 'b';
	unsigned long n = strtoul(path + (bus ? 5 : 4), NULL, 10);
	if (argc != 1 || !argv[0].str) {
		osc_reply_error(o, path, "expects s:name");
		return;
	}
	if (!snapshot_name_valid(argv[0].str)) {
		osc_reply_error(o, path,
		                "invalid preset name (1-64 of A-Z a-z 0-9 . _ -, not starting with '.')");
		return;
	}
	unsigned idx = n >= 1 && n <= 100000 ? (unsigned)n - 1 : 100000u;
	if ((load ? session_preset_load : session_preset_save)(so->s, bus, idx, argv[0].str, err,
	                                                       sizeof err) < 0)
		osc_reply_error(o, path, err);
	else
		sosc_reply_name(o, path, argv[0].str, -1);
}

static void sosc_cmd_preset_save(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                 int argc)
{
	sosc_preset(ctx, o, path, argv, argc, 0);
}

static void sosc_cmd_preset_load(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                 int argc)
{
	sosc_preset(ctx, o, path, argv, argc, 1);
}

static void sosc_cmd_preset_delete(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                   int argc)
{
	struct session_osc *so = ctx;
	char err[512];
	if (argc != 1 || !argv[0].str) {
		osc_reply_error(o, path, "expects s:name");
		return;
	}
	if (session_preset_delete(so->s, argv[0].str, err, sizeof err) < 0)
		osc_reply_error(o, path, err);
	else
		sosc_reply_name(o, path, argv[0].str, -1);
}

static void sosc_cmd_preset_list(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                 int argc)
{
	struct session_osc *so = ctx;
	char **names, err[256];
	unsigned n, i = 0;
	(void)argv;
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return;
	}
	if (session_preset_list(so->s, &names, &n, err, sizeof err) < 0) {
		osc_reply_error(o, path, err);
		return;
	}
	do {
		lo_message m = lo_message_new();
		if (!m)
			break;
		for (unsigned k = 0; k < SESSION_OSC_LIST_CHUNK && i < n; k++, i++)
			lo_message_add_string(m, names[i]);
		sosc_reply(o, m, path);
	} while (i < n);
	free(names);
}

static const struct {
	const char *path;
	osc_command_fn fn;
} sosc_commands[] = {
    {"/snapshot/save", sosc_cmd_save},
    {"/snapshot/load", sosc_cmd_load},
    {"/snapshot/list", sosc_cmd_list},
    {"/snapshot/delete", sosc_cmd_delete},
    {"/state/save", sosc_cmd_state_save},
    {"/ch/<n>/preset/save", sosc_cmd_preset_save},
    {"/ch/<n>/preset/load", sosc_cmd_preset_load},
    {"/bus/<a>/preset/save", sosc_cmd_preset_save},
    {"/bus/<a>/preset/load", sosc_cmd_preset_load},
    {"/preset/list", sosc_cmd_preset_list},
    {"/preset/delete", sosc_cmd_preset_delete},
};

struct session_osc *session_osc_new(struct session *s, struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct session_osc *so = calloc(1, sizeof *so);
	if (!so) {
		log_err("out of memory");
		return NULL;
	}
	so->s = s;
	so->osc = o;
	for (unsigned i = 0; i < sizeof sosc_commands / sizeof *sosc_commands; i++)
		if (osc_add_command(o, sosc_commands[i].path, sosc_commands[i].fn, so) < 0) {
			log_err("OSC: no command row for %s", sosc_commands[i].path);
			free(so);
			return NULL;
		}
	return so;
}

void session_osc_free(struct session_osc *so)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(so);
}
