/*
 * osc.c - the OSC layer's core: clients of any transport, dispatch of
 * their packets through liblo to one handler that resolves every address
 * against the parameter table, query and /error replies, the built-in
 * commands, the commands and automation hooks of other modules, and the
 * timers; see osc.h.  The other parts: osc_wire.c (bytes), osc_route.c
 * (the namespace), osc_feed.c (feedback), osc_dump.c (--dump-osc), and
 * the first transport, osc_net.c (UDP).
 *
 * Threads: control thread only.  liblo only parses and dispatches (its
 * server object sits on a Unix datagram socket whose name is unlinked at
 * once, so nothing can ever reach it: liblo 0.31 would otherwise bind a
 * UDP port on every interface).  Its timetag queue is off, so a sender
 * cannot make it hold memory.
 *
 * Packet path: a transport -> osc_client_packet: lease renewal /
 * auto-registration (osc_feed_touch) -> our own structural validation
 * (osc_wire_valid_packet, defence in depth in front of liblo 0.31's
 * parser) -> liblo dispatch to osc_handle, which resolves the address
 * (osc_route_resolve), converts and range-checks, and calls model_set ->
 * model_commit once per packet.  Replies go back through the sender's
 * transport (osc_wire_send).
 *
 * Invariants: everything is bounded: clients, targets, error-log memory,
 * per-tick work; no allocation per packet except inside liblo.  This
 * file calls the other parts; they never call it (osc_core.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsp.h"
#include "role.h"
#include "log.h"
#include "osc_core.h"
#include "params_path.h"

/* ------------------------------------------------------------------ */
/* Replies                                                             */

/* A client as logs show it: its transport's description. */
static const char *osc_who(const struct osc_client *c, char *buf, size_t len)
{
	if (!c || !c->tp->describe || !c->tp->describe(c->ctx, buf, len))
		snprintf(buf, len, "%s client", c && c->tp->name ? c->tp->name : "?");
	return buf;
}

static void osc_reply(struct osc *o, const struct osc_msgbuf *m)
{
	osc_wire_send_msg(o->cur.client, &o->st, m);
}

static int osc_errlog_first(struct osc *o, const char *path)
{
	uint64_t h = 1469598103934665603ull;
	char who[64];
	/* the sender as its transport names it (UDP: address and port) */
	for (const char *s = osc_who(o->cur.client, who, sizeof who); *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull; /* no sender/path pair hashes as another */
	for (const char *s = path; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	if (!h)
		h = 1;
	if (o->cur.now >= o->errlog_reset + OSC_ERRLOG_RESET_MS) {
		/* here, not only in the tick: the tick sleeps while idle */
		memset(o->errlog, 0, sizeof o->errlog);
		o->errlog_n = 0;
		o->errlog_full_said = 0;
		o->errlog_reset = o->cur.now;
	}
	unsigned slot = (unsigned)(h & (OSC_ERRLOG_SLOTS - 1));
	for (unsigned i = 0; i < OSC_ERRLOG_SLOTS; i++) {
		uint64_t *e = &o->errlog[(slot + i) & (OSC_ERRLOG_SLOTS - 1)];
		if (*e == h)
			return 0;
		if (!*e) {
			if (o->errlog_n >= OSC_ERRLOG_SLOTS * 3 / 4) {
				if (!o->errlog_full_said) {
					o->errlog_full_said = 1;
					log_warn("OSC: many bad messages; not logging new ones for a while");
				}
				return 0;
			}
			*e = h;
			o->errlog_n++;
			return 1;
		}
	}
	return 0;
}

static void osc_error(struct osc *o, const char *path, const char *reason)
{
	struct osc_msgbuf m;
	char who[64], shown[OSC_PATH_MAX];
	o->st.errors++;
	osc_wire_begin(&m, "/error", "ss");
	/* the path goes back as received, cut to fit */
	snprintf(shown, sizeof shown, "%s", path);
	osc_wire_str(&m, shown);
	osc_wire_str(&m, reason);
	osc_reply(o, &m);
	if (osc_errlog_first(o, shown)) {
		/* the path is untrusted: show printable ASCII only */
		for (char *s = shown; *s; s++)
			if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
				*s = '?';
		log_warn("OSC: %s %s: %s", osc_who(o->cur.client, who, sizeof who), shown, reason);
	}
}

/* ------------------------------------------------------------------ */
/* Message handling                                                    */

static void osc_query(struct osc *o, const struct osc_route *r, unsigned i1, unsigned i2)
{
	const struct param_info *p = &param_table[r->id];
	struct osc_msgbuf m;
	char path[OSC_PATH_MAX];

	if (p->type == PT_METER) {
		float v[2] = {p->min, p->min};
		int n = 1;
		unsigned idx = p->scope == SC_GLOBAL ? 0 : i1;
		if (o->host.meter_take)
			n = o->host.meter_take(o->host.ctx, (enum param_id)r->id, idx, v);
		for (int k = 0; k < 2; k++)
			if (!isfinite(v[k]))
				v[k] = p->min;
		if (r->form == FORM_NORM) {
			params_path_expand(p->npath, strlen(p->npath), r->id, i1, i2, path, sizeof path);
			osc_wire_begin(&m, path, "f");
			osc_wire_f(&m, dsp_db_to_fader(v[0]));
		} else {
			params_path_expand(p->path, strlen(p->path), r->id, i1, i2, path, sizeof path);
			osc_wire_begin(&m, path, n >= 2 ? "ff" : "f");
			osc_wire_f(&m, v[0]);
			if (n >= 2)
				osc_wire_f(&m, v[1]);
		}
		osc_reply(o, &m);
		return;
	}
	unsigned form = r->form == FORM_TOGGLE ? FORM_UNIT : r->form;
	if (osc_feed_encode_value(o, r->id, i1, i2, form, &m) == 0)
		osc_reply(o, &m);
}

static int osc_enum_lookup(const char *names, const char *s, float *v)
{
	unsigned idx = 0;
	size_t n = strlen(s);
	for (const char *w = names; *w; idx++) {
		const char *e = strchr(w, ' ');
		size_t len = e ? (size_t)(e - w) : strlen(w);
		if (len == n && strncmp(w, s, n) == 0) {
			*v = (float)idx;
			return 0;
		}
		if (!e)
			break;
		w = e + 1;
	}
	return -1;
}

static void osc_set(struct osc *o, const char *path, const struct osc_route *r, unsigned i1, unsigned i2,
                    const char *types, lo_arg **argv, int argc)
{
	const struct param_info *p = &param_table[r->id];
	enum param_id id = (enum param_id)r->id;
	double d, ramp_ms = -1;
	float v;

	if (p->type == PT_METER || r->form == FORM_TEXT) {
		osc_error(o, path, "read-only");
		return;
	}
	if (argc == 2 && param_continuous(id) && (r->form == FORM_UNIT || r->form == FORM_NORM)) {
		/* a timed move: value, then the time in milliseconds */
		if (types[1] == 'T' || types[1] == 'F' ||
		    osc_wire_arg_number(types[1], (const void *)argv[1], &ramp_ms) < 0) {
			osc_error(o, path, "expected one argument, or a value and a ramp time in ms");
			return;
		}
		if (!isfinite(ramp_ms) || ramp_ms < 0 || ramp_ms > OSC_MAX_RAMP_MS) {
			osc_error(o, path,
			          "expected one argument, or a value and a ramp time of 0..3600000 ms");
			return;
		}
		if (!o->autom.ramp) {
			osc_error(o, path, "expected one argument (timed moves are not available)");
			return;
		}
		argc = 1;
	}
	if (r->form == FORM_TOGGLE && argc == 0) {
		d = 1; /* a bare toggle flips */
	} else if (argc != 1) {
		osc_error(o, path, "expected one argument");
		return;
	} else if (p->type == PT_STRING) {
		if (types[0] != 's' && types[0] != 'S') {
			osc_error(o, path, "expected a string");
			return;
		}
		o->cur.form = FORM_UNIT;
		if (model_set_string(o->model, id, i1, (const char *)argv[0], o) != MODEL_OK)
			osc_error(o, path, "bad name: printable text, at most 63 bytes");
		else
			o->st.applied++;
		return;
	} else if (p->type == PT_ENUM && (types[0] == 's' || types[0] == 'S')) {
		if (osc_enum_lookup(p->enums, (const char *)argv[0], &v) < 0) {
			osc_error(o, path, "unknown name");
			return;
		}
		d = v;
	} else if (osc_wire_arg_number(types[0], (const void *)argv[0], &d) < 0) {
		osc_error(o, path, "expected a number");
		return;
	} else if ((types[0] == 'T' || types[0] == 'F') && p->type != PT_BOOL) {
		osc_error(o, path, "expected a number");
		return;
	}
	if (!isfinite(d)) {
		osc_error(o, path, "not a finite number");
		return;
	}
	if (r->form == FORM_TOGGLE) {
		if (d <= 0)
			return; /* a momentary button's release */
		v = model_get(o->model, id, i1, i2) >= 0.5f ? 0.0f : 1.0f;
		o->cur.form = 0; /* the sender needs to see the new state */
	} else if (r->form == FORM_NORM) {
		o->cur.force_clamp = d < 0.0 || d > 1.0;
		v = param_from_norm(id, (float)d);
		o->cur.form = FORM_NORM;
	} else {
		/* keep doubles beyond float range finite so the model clamps them */
		if (d > 3e38)
			d = 3e38;
		if (d < -3e38)
			d = -3e38;
		v = (float)d;
		o->cur.form = FORM_UNIT;
	}
	enum model_result res = ramp_ms >= 0 ? o->autom.ramp(o->autom.ctx, id, i1, i2, v, (float)ramp_ms, o)
	                                     : model_set(o->model, id, i1, i2, v, o);
	o->cur.force_clamp = 0;
	if (res < 0)
		osc_error(o, path, id == P_GEN_DEST ? "no such bus on this console" : "rejected");
	else
		o->st.applied++;
}

static int osc_parse_what(const char *what, unsigned *flags, char *prefix, size_t plen, const char **why)
{
	char buf[256];
	*flags = 0;
	prefix[0] = 0;
	if (strlen(what) >= sizeof buf) {
		*why = "subscription too long";
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", what);
	for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "values") == 0)
			*flags |= TF_VALUES;
		else if (strcmp(tok, "meters") == 0)
			*flags |= TF_METERS;
		else if (strcmp(tok, "all") == 0)
			*flags |= TF_VALUES | TF_METERS;
		else if (tok[0] == '/' && strlen(tok) < plen && !prefix[0]) {
			size_t n = strlen(tok);
			while (n > 1 && tok[n - 1] == '/')
				tok[--n] = 0;
			snprintf(prefix, plen, "%s", tok);
		} else {
			*why = "subscribe: what is values, meters, all and/or one /prefix";
			return -1;
		}
	}
	if (!*flags)
		*flags = TF_VALUES;
	return 0;
}

static void osc_cmd_subscribe(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	double num[2];
	unsigned nnum = 0, flags;
	const char *what = "values", *why;
	char prefix[OSC_PREFIX_MAX];

	for (int k = 0; k < argc; k++) {
		if ((types[k] == 's' || types[k] == 'S') && k == argc - 1) {
			what = (const char *)argv[k];
		} else if (types[k] != 'T' && types[k] != 'F' && nnum < 2 &&
		           osc_wire_arg_number(types[k], (const void *)argv[k], &num[nnum]) == 0 &&
		           isfinite(num[nnum])) {
			nnum++;
		} else {
			osc_error(o, path, "usage: /subscribe [i:port] [i:lease_s] [s:what]");
			return;
		}
	}
	if (osc_parse_what(what, &flags, prefix, sizeof prefix, &why) < 0) {
		osc_error(o, path, why);
		return;
	}
	/* the sender itself, or another port of its host (UDP); a transport
	 * without ports (peer NULL) always feeds the sender */
	struct osc_client *src = o->cur.client, *to = src;
	if (nnum > 0 && num[0] != 0) {
		if (num[0] < 1 || num[0] > 65535 || num[0] != floor(num[0])) {
			osc_error(o, path, "port out of range");
			return;
		}
		if (src->tp->peer)
			to = src->tp->peer(src->ctx, (unsigned)num[0]);
	}
	double lease = nnum > 1 ? num[1] : OSC_LEASE_DEFAULT_S;
	if (lease < 1)
		lease = 1;
	if (lease > OSC_LEASE_MAX_S)
		lease = OSC_LEASE_MAX_S;
	if (!to || osc_feed_subscribe(o, to, flags, prefix, lease, what) < 0)
		osc_error(o, path, "too many feedback clients");
}

static void osc_cmd_unsubscribe(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	double port = 0;
	if (argc > 1 || (argc == 1 && (osc_wire_arg_number(types[0], (const void *)argv[0], &port) < 0 ||
	                               !isfinite(port)))) {
		osc_error(o, path, "usage: /unsubscribe [i:port]");
		return;
	}
	struct osc_client *src = o->cur.client, *to = NULL; /* NULL: every port */
	if (port != 0) {
		/* only a subscription to that very port ends */
		if (port < 1 || port > 65535 || port != floor(port))
			return;
		to = src->tp->peer ? src->tp->peer(src->ctx, (unsigned)port) : src;
		if (!to)
			return;
	}
	osc_feed_unsubscribe(o, to);
}

static void osc_cmd_dump(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	const char *prefix = "";
	unsigned flags = 0;
	for (int k = 0; k < argc; k++)
		if (k > 1 || (types[k] != 's' && types[k] != 'S')) {
			osc_error(o, path, "usage: /dump [s:prefix] [s:options]");
			return;
		}
	if (argc >= 1)
		prefix = (const char *)argv[0];
	if (strlen(prefix) >= OSC_PREFIX_MAX || (prefix[0] && prefix[0] != '/')) {
		osc_error(o, path, "bad prefix");
		return;
	}
	if (argc == 2) {
		/* comma-separated words, e.g. "units,changed" */
		const char *s = (const char *)argv[1];
		while (*s) {
			size_t n = strcspn(s, ",");
			if (n == 5 && strncmp(s, "units", 5) == 0)
				flags |= TF_DUMP_UNITS;
			else if (n == 7 && strncmp(s, "changed", 7) == 0)
				flags |= TF_DUMP_CHANGED;
			else if (n) {
				osc_error(o, path, "options: units and/or changed, comma-separated");
				return;
			}
			s += n + (s[n] == ',');
		}
	}
	if (osc_feed_dump(o, prefix, flags) < 0)
		osc_error(o, path, "busy: too many dumps running");
}

static void osc_cmd_meters(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	double on;
	if (argc != 1 || osc_wire_arg_number(types[0], (const void *)argv[0], &on) < 0 || !isfinite(on)) {
		osc_error(o, path, "usage: /meters i:on");
		return;
	}
	unsigned n = osc_feed_meters(o, on > 0);
	if (!n)
		osc_error(o, path, "no feedback client for this sender (subscribe first)");
}

/* A command of another module: convert the arguments and call it. */
static void osc_cmd_ext(struct osc *o, const char *path, const char *row, const char *types, lo_arg **argv,
                        int argc)
{
	struct osc_arg a[OSC_MAX_EXT_ARGS];
	unsigned i;
	/* by the row's path (a template for /ch/<n>/...), not the address */
	for (i = 0; i < o->n_ext; i++)
		if (o->ext[i].path == row)
			break;
	if (i == o->n_ext) {
		osc_error(o, path, "not available");
		return;
	}
	if (argc > OSC_MAX_EXT_ARGS) {
		osc_error(o, path, "too many arguments");
		return;
	}
	for (int k = 0; k < argc; k++) {
		a[k].type = types[k];
		a[k].num = NAN;
		a[k].str = NULL;
		switch (types[k]) {
		case 's':
		case 'S':
			a[k].str = (const char *)argv[k]; /* not &argv[k]->s: only 4-byte aligned */
			break;
		case 'T':
		case 'F':
			a[k].num = types[k] == 'T';
			break;
		default:
			if (osc_wire_arg_number(types[k], (const void *)argv[k], &a[k].num) < 0) {
				osc_error(o, path, "unsupported argument type");
				return;
			}
		}
	}
	o->ext[i].fn(o->ext[i].ctx, o, path, a, argc);
}

int osc_add_command(struct osc *o, const char *path, osc_command_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < osc_route_ncommands; i++)
		if (osc_route_commands[i].cmd == CMD_EXT && !strcmp(osc_route_commands[i].path, path) &&
		    o->n_ext < OSC_MAX_EXT) {
			o->ext[o->n_ext].path = osc_route_commands[i].path;
			o->ext[o->n_ext].fn = fn;
			o->ext[o->n_ext].ctx = ctx;
			o->n_ext++;
			return 0;
		}
	return -1;
}

void osc_reply_error(struct osc *o, const char *path, const char *reason)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (o->cur.active)
		osc_error(o, path, reason);
}

void osc_reply_raw(struct osc *o, const void *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!o->cur.active)
		return;
	osc_wire_send(o->cur.client, &o->st, buf, len);
}

void osc_broadcast_raw(struct osc *o, const char *path, const void *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	osc_feed_broadcast(o, path, buf, len);
}

static void osc_command(struct osc *o, const char *path, const struct osc_route *r, const char *types,
                        lo_arg **argv, int argc)
{
	struct osc_msgbuf m;
	switch (r->cmd) {
	case CMD_PING:
		osc_wire_begin(&m, "/pong", "");
		osc_reply(o, &m);
		break;
	case CMD_INFO:
		osc_wire_begin(&m, "/info", "ssiiiii");
		osc_wire_str(&m, o->host.name ? o->host.name : "jackmixd");
		osc_wire_str(&m, o->host.version ? o->host.version : "");
		osc_wire_i(&m, (int32_t)o->shape.channels);
		osc_wire_i(&m, (int32_t)o->shape.buses);
		osc_wire_i(&m, o->host.rate ? (int32_t)o->host.rate(o->host.ctx) : 0);
		osc_wire_i(&m, o->host.period ? (int32_t)o->host.period(o->host.ctx) : 0);
		osc_wire_i(&m, o->host.osc_port ? (int32_t)o->host.osc_port(o->host.ctx) : 0);
		osc_reply(o, &m);
		break;
	case CMD_STATS:
		osc_wire_begin(&m, "/stats", "iiiiiiii");
		osc_wire_i(&m, (int32_t)o->st.datagrams);
		osc_wire_i(&m, (int32_t)o->st.denied);
		osc_wire_i(&m, (int32_t)o->st.malformed);
		osc_wire_i(&m, (int32_t)o->st.messages);
		osc_wire_i(&m, (int32_t)o->st.applied);
		osc_wire_i(&m, (int32_t)o->st.errors);
		osc_wire_i(&m, (int32_t)o->st.sent);
		osc_wire_i(&m, (int32_t)o->st.send_failed);
		osc_reply(o, &m);
		break;
	case CMD_SOLO_CLEAR:
		if (argc != 0) {
			osc_error(o, path, "takes no arguments");
			break;
		}
		for (unsigned c = 0; c < o->shape.channels; c++)
			if (model_get(o->model, P_CH_SOLO, c, 0) >= 0.5f &&
			    model_set(o->model, P_CH_SOLO, c, 0, 0.0f, o) >= 0)
				o->st.applied++;
		for (unsigned a = 0; a < o->shape.buses; a++) /* bus solos (AFL) too */
			if (model_get(o->model, P_BUS_SOLO, a, 0) >= 0.5f &&
			    model_set(o->model, P_BUS_SOLO, a, 0, 0.0f, o) >= 0)
				o->st.applied++;
		break;
	case CMD_DUMP:
		osc_cmd_dump(o, path, types, argv, argc);
		break;
	case CMD_SUBSCRIBE:
		osc_cmd_subscribe(o, path, types, argv, argc);
		break;
	case CMD_UNSUBSCRIBE:
		osc_cmd_unsubscribe(o, path, types, argv, argc);
		break;
	case CMD_METERS:
		osc_cmd_meters(o, path, types, argv, argc);
		break;
	case CMD_EXT:
		osc_cmd_ext(o, path, osc_route_commands[r->id].path, types, argv, argc);
		break;
	case CMD_NONE:
		break;
	}
}

void osc_set_automation(struct osc *o, const struct osc_automation *hooks)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (hooks)
		o->autom = *hooks;
	else
		memset(&o->autom, 0, sizeof o->autom);
}

void osc_value_changed(struct osc *o, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if ((unsigned)id < P_COUNT && i1 < o->n1[id] && i2 < o->n2[id])
		osc_feed_on_change(o, id, i1, i2, NULL, 0); /* no echo suppression */
}

/* <base>/auto, /touch, /stop: arguments converted, then automation_osc.c. */
static void osc_automation_cmd(struct osc *o, const char *path, const struct osc_route *r, unsigned i1,
                               unsigned i2, const char *types, lo_arg **argv, int argc)
{
	struct osc_arg a[2];
	if (!o->autom.command) {
		osc_error(o, path, "not available");
		return;
	}
	if (argc > 2) {
		osc_error(o, path, "too many arguments");
		return;
	}
	for (int k = 0; k < argc; k++) {
		a[k].type = types[k];
		a[k].num = NAN;
		a[k].str = NULL;
		if (types[k] == 's' || types[k] == 'S')
			a[k].str = (const char *)argv[k];
		else if (osc_wire_arg_number(types[k], (const void *)argv[k], &a[k].num) < 0) {
			osc_error(o, path, "unsupported argument type");
			return;
		}
	}
	/* talkback is momentary through its touch: pressed while touched */
	if (r->id == P_TALK_ON && r->form == FORM_TOUCH && argc == 1 && !a[0].str && isfinite(a[0].num)) {
		o->cur.form = 0; /* the sender's button shows the state too */
		model_set(o->model, P_TALK_ON, 0, 0, a[0].num > 0 ? 1.0f : 0.0f, o);
	}
	enum osc_param_cmd c = r->form == FORM_AUTO    ? OSC_PARAM_AUTO
	                       : r->form == FORM_TOUCH ? OSC_PARAM_TOUCH
	                                               : OSC_PARAM_STOP;
	o->autom.command(o->autom.ctx, o, path, c, (enum param_id)r->id, i1, i2, a, argc);
}

/* The one liblo method: every message of every datagram lands here. */
static int osc_handle(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *ud)
{
	struct osc *o = ud;
	unsigned i1, i2;
	const char *why;
	(void)msg;

	o->st.messages++;
	if (!o->cur.active)
		return 0; /* only ever dispatched from osc_client_packet */
	o->cur.form = 0;
	o->cur.force_clamp = 0;
	if (strpbrk(path, "*?[]{}, #")) {
		osc_error(o, path, "address patterns are not supported");
		return 0;
	}
	const struct osc_route *r = osc_route_resolve(o, path, &i1, &i2, &why);
	if (!r) {
		osc_error(o, path, why);
		return 0;
	}
	if (r->cmd != CMD_NONE)
		osc_command(o, path, r, types, argv, argc);
	else if (r->form & FORM_AUTOMATION)
		osc_automation_cmd(o, path, r, i1, i2, types, argv, argc);
	else if (argc == 0 && r->form != FORM_TOGGLE)
		osc_query(o, r, i1, i2);
	else
		osc_set(o, path, r, i1, i2, types, argv, argc);
	return 0;
}

static void osc_lo_error(int num, const char *msg, const char *where)
{
	/* only reachable if liblo rejects what our validator accepted */
	log_debug("OSC: liblo error %d: %s (%s)", num, msg ? msg : "", where ? where : "");
}

/* ------------------------------------------------------------------ */
/* Clients and their packets                                           */

struct osc_client *osc_client_new(struct osc *o, const struct osc_transport *tp, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < OSC_MAX_CLIENTS; i++) {
		struct osc_client *c = &o->client[i];
		if (c->used)
			continue;
		c->used = 1;
		c->tp = tp;
		c->ctx = ctx;
		return c;
	}
	return NULL;
}

void osc_client_free(struct osc *o, struct osc_client *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!c)
		return;
	osc_feed_forget(o, c); /* nothing more is sent to it */
	if (o->cur.client == c)
		o->cur.client = NULL;
	memset(c, 0, sizeof *c);
}

void *osc_client_ctx(const struct osc_client *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return c->ctx;
}

int osc_client_busy(const struct osc *o, const struct osc_client *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return osc_feed_busy(o, c);
}

int osc_client_feed(struct osc *o, struct osc_client *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return osc_feed_fixed(o, c);
}

void osc_packet_dropped(struct osc *o, int denied)
{
	ASSERT_ROLE(ROLE_CONTROL);
	o->st.datagrams++;
	if (denied)
		o->st.denied++;
	else
		o->st.malformed++;
}

int osc_client_packet(struct osc *o, struct osc_client *c, void *buf, size_t len, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	o->st.datagrams++;
	o->cur.client = c;
	o->cur.now = now;
	osc_feed_touch(o, now);
	if (osc_wire_valid_packet(buf, len, 0) < 0) {
		o->st.malformed++;
		const unsigned char *p = buf;
		size_t sl = len ? osc_wire_valid_str(p, len) : 0;
		if (sl && p[0] == '/')
			osc_error(o, (const char *)p, "malformed message");
		else
			osc_error(o, len >= 8 && memcmp(p, "#bundle", 8) == 0 ? "#bundle" : "?",
			          "malformed packet");
		return -1;
	}
	o->cur.active = 1;
	int r = lo_server_dispatch_data(o->lo, buf, len);
	o->cur.active = 0;
	/* one datagram, one batch: a bundle lands in one audio period */
	model_commit(o->model);
	osc_feed_arm(o); /* a new subscriber, lease or /meters wakes the timers */
	if (r < 0) {
		o->st.malformed++;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */

void osc_tick(struct osc *o, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (now >= o->errlog_reset + OSC_ERRLOG_RESET_MS) {
		memset(o->errlog, 0, sizeof o->errlog);
		o->errlog_n = 0;
		o->errlog_full_said = 0;
		o->errlog_reset = now;
	}
	osc_feed_tick(o, now);
}

void osc_meter_tick(struct osc *o, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	osc_feed_meter_tick(o, now);
}
static void osc_tick_cb(void *ctx, uint64_t now)
{
	osc_tick(ctx, now);
}

static void osc_meter_cb(void *ctx, uint64_t now)
{
	osc_meter_tick(ctx, now);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

/* A liblo server that parses and dispatches but can never receive: bound
 * to a Unix socket name that is unlinked (with its private directory)
 * right away. */
static lo_server osc_lo_new(void)
{
	const char *base = getenv("TMPDIR");
	char dir[256], path[300];
	snprintf(dir, sizeof dir, "%s/jackmixd-lo-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof dir, "/tmp/jackmixd-lo-XXXXXX");
		if (!mkdtemp(dir))
			return NULL;
	}
	snprintf(path, sizeof path, "%s/s", dir);
	lo_server s = lo_server_new_with_proto(path, LO_UNIX, osc_lo_error);
	unlink(path);
	rmdir(dir);
	return s;
}

struct osc *osc_new(const struct osc_host *host, struct model *m, struct control *ctl)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc *o = calloc(1, sizeof *o);
	if (!o) {
		log_err("out of memory");
		return NULL;
	}
	o->model = m;
	o->ctl = ctl;
	o->fb_timer = o->meter_timer = -1;
	if (host)
		o->host = *host;
	o->shape = *model_shape(m);
	for (unsigned id = 0; id <= P_COUNT; id++)
		o->off[id] = param_offset((enum param_id)id, &o->shape);
	for (unsigned id = 0; id < P_COUNT; id++)
		model_dims(m, (enum param_id)id, &o->n1[id], &o->n2[id]);
	o->total = o->off[P_COUNT];
	if (osc_feed_new(o) < 0) {
		log_err("out of memory");
		goto fail;
	}
	if (osc_route_build(o) < 0)
		goto fail;

	o->lo = osc_lo_new();
	if (!o->lo) {
		log_err("OSC: cannot create the liblo dispatcher");
		goto fail;
	}
	lo_server_enable_queue(o->lo, 0, 1); /* no timetag queue: no memory for senders to grow */
	lo_server_add_method(o->lo, NULL, NULL, osc_handle, o);

	if (model_add_listener(m, osc_feed_on_change, o) < 0) {
		log_err("OSC: cannot listen to the model");
		goto fail;
	}
	if (ctl) {
		o->fb_timer = control_add_timer(ctl, OSC_FB_TICK_MS, osc_tick_cb, o);
		o->meter_timer = control_add_timer(ctl, OSC_METER_MS, osc_meter_cb, o);
		if (o->fb_timer < 0 || o->meter_timer < 0) {
			log_err("OSC: cannot register with the control loop");
			goto fail;
		}
		osc_feed_arm(o); /* nobody listens yet */
	}
	return o;
fail:
	osc_free(o);
	return NULL;
}

void osc_free(struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!o)
		return;
	if (o->st.datagrams)
		log_info(
		    "OSC: %lu datagrams, %lu denied, %lu malformed, %lu messages, %lu applied, %lu errors, "
		    "%lu sent, %lu send failures",
		    o->st.datagrams, o->st.denied, o->st.malformed, o->st.messages, o->st.applied,
		    o->st.errors, o->st.sent, o->st.send_failed);
	if (o->lo)
		lo_server_free(o->lo);
	osc_feed_free(o);
	free(o);
}

void osc_get_stats(const struct osc *o, struct osc_stats *st)
{
	ASSERT_ROLE(ROLE_CONTROL);
	*st = o->st;
}
