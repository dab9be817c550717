/*
 * patch_osc.c - the OSC commands of JACK patching; see patch_osc.h.
 * session.c decides what a connection means (wanted, saved, remade) and
 * the engine talks to JACK; this file checks arguments and replies, as
 * session_osc.c does for scenes.
 *
 * Threads: control thread only (the handlers run inside the OSC layer's
 * dispatch).  Listing ports asks the JACK server (jack_get_ports reads its
 * shared graph: no wait on the server's thread); with the server away
 * every command replies /error "JACK is not running" at once.
 *
 * Invariants: /jack/connect, /jack/disconnect and /jack/keep get exactly
 * one reply (their path, or /error with a reason, and then nothing
 * changed); the lists get one message per port or connection, then
 * <path>/done i:count, so a client over UDP sees if any was lost.
 */
#include "patch_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct patch_osc {
	struct session *s;
	struct engine *e;
	struct osc *osc;
};

static void posc_send(struct osc *o, lo_message m, const char *path)
{
	size_t len = 0;
	void *buf = m ? lo_message_serialise(m, path, NULL, &len) : NULL;
	if (buf) {
		osc_reply_raw(o, buf, len);
		free(buf);
	}
	if (m)
		lo_message_free(m);
}

static void posc_done(struct osc *o, const char *path, int n)
{
	char done[64];
	lo_message m = lo_message_new();
	if (m)
		lo_message_add_int32(m, n);
	snprintf(done, sizeof done, "%s/done", path);
	posc_send(o, m, done);
}

/* Optional s:name as the only argument: 0 (name or NULL), -1 after /error. */
static int posc_opt_name(struct osc *o, const char *path, const struct osc_arg *argv, int argc,
                         const char *what, const char **name)
{
	*name = NULL;
	if (argc > 1 || (argc == 1 && !argv[0].str)) {
		char msg[64];
		snprintf(msg, sizeof msg, "expects [s:%s]", what);
		osc_reply_error(o, path, msg);
		return -1;
	}
	if (argc == 1 && argv[0].str[0])
		*name = argv[0].str;
	return 0;
}

struct posc_list {
	struct osc *o;
	const char *path;
};

static void posc_port(void *ctx, const struct engine_port *p)
{
	struct posc_list *l = ctx;
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, p->name);
	lo_message_add_string(m, p->output ? "out" : "in");
	lo_message_add_string(m, p->type);
	lo_message_add_int32(m, p->ours);
	posc_send(l->o, m, l->path);
}

static void posc_cmd_ports(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct patch_osc *po = ctx;
	const char *glob;
	if (posc_opt_name(o, path, argv, argc, "pattern", &glob) < 0)
		return;
	if (!engine_connected(po->e)) {
		osc_reply_error(o, path, "JACK is not running");
		return;
	}
	struct posc_list l = {o, path};
	int n = engine_foreach_port(po->e, glob, posc_port, &l);
	if (n < 0)
		osc_reply_error(o, path, "JACK is not running");
	else
		posc_done(o, path, n);
}

static void posc_conn(void *ctx, const char *from, const char *to, const char *state)
{
	struct posc_list *l = ctx;
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, from);
	lo_message_add_string(m, to);
	lo_message_add_string(m, state);
	posc_send(l->o, m, l->path);
}

static void posc_cmd_connections(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                 int argc)
{
	struct patch_osc *po = ctx;
	const char *port;
	char err[512];
	if (posc_opt_name(o, path, argv, argc, "port", &port) < 0)
		return;
	struct posc_list l = {o, path};
	int n = session_connections(po->s, port, posc_conn, &l, err, sizeof err);
	if (n < 0)
		osc_reply_error(o, path, err);
	else
		posc_done(o, path, n);
}

static void posc_patch(struct patch_osc *po, struct osc *o, const char *path, const struct osc_arg *argv,
                       int argc, int connect)
{
	char err[512];
	if (argc != 2 || !argv[0].str || !argv[1].str) {
		osc_reply_error(o, path, "expects s:from s:to (an output, then an input)");
		return;
	}
	if (session_patch(po->s, argv[0].str, argv[1].str, connect, err, sizeof err) < 0) {
		osc_reply_error(o, path, err); /* logged there, sanitised */
		return;
	}
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, argv[0].str);
		lo_message_add_string(m, argv[1].str);
	}
	posc_send(o, m, path);
}

static void posc_cmd_connect(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	posc_patch(ctx, o, path, argv, argc, 1);
}

static void posc_cmd_disconnect(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                int argc)
{
	posc_patch(ctx, o, path, argv, argc, 0);
}

static void posc_cmd_keep(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct patch_osc *po = ctx;
	const char *port;
	char err[512];
	if (posc_opt_name(o, path, argv, argc, "port", &port) < 0)
		return;
	int n = session_keep(po->s, port, err, sizeof err);
	if (n < 0) {
		osc_reply_error(o, path, err);
		return;
	}
	lo_message m = lo_message_new();
	if (m)
		lo_message_add_int32(m, n);
	posc_send(o, m, path);
}

static const struct {
	const char *path;
	osc_command_fn fn;
} posc_commands[] = {
    {"/jack/ports", posc_cmd_ports},     {"/jack/connections", posc_cmd_connections},
    {"/jack/connect", posc_cmd_connect}, {"/jack/disconnect", posc_cmd_disconnect},
    {"/jack/keep", posc_cmd_keep},
};

struct patch_osc *patch_osc_new(struct session *s, struct engine *e, struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct patch_osc *po = calloc(1, sizeof *po);
	if (!po) {
		log_err("out of memory");
		return NULL;
	}
	po->s = s;
	po->e = e;
	po->osc = o;
	for (unsigned i = 0; i < sizeof posc_commands / sizeof *posc_commands; i++)
		if (osc_add_command(o, posc_commands[i].path, posc_commands[i].fn, po) < 0) {
			log_err("OSC: no command row for %s", posc_commands[i].path);
			free(po);
			return NULL;
		}
	return po;
}

void patch_osc_free(struct patch_osc *po)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(po);
}
