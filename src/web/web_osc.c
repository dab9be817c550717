/*
 * web_osc.c - the WebSocket transport of the OSC core and the web
 * surface's start-up on the control thread; see web_osc.h.
 *
 * Threads: control thread only.  Records from the web thread arrive on
 * webq's eventfd in the control loop; replies, feedback and meters go
 * back through webq's per-connection output queues (meters dropped first
 * when a client does not keep up, see webq.h).
 *
 * Path of a WebSocket message: web thread (frame, size bound) -> webq
 * record -> web_osc_packet: the musician filter (a musician key's
 * connection), then osc_client_packet as for a UDP datagram.
 *
 * Invariants: one OSC client per open WebSocket, made at its OPEN record
 * and freed at its CLOSE record (then the slot is released); a refused
 * musician packet changes nothing (no part of a bundle is applied) and
 * earns one /error.
 */
#define _GNU_SOURCE
#include "web_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "params_path.h"
#include "web.h"
#include "web_keys.h"

#define WEB_OSC_INFO_MS 1000u

struct web_osc_conn {
	struct web_osc *wo;
	struct osc_client *c; /* NULL: free */
	unsigned slot;
	enum webq_role role;
	unsigned bus;
	char peer[WEBQ_PEER_MAX];
	int warned; /* a refusal was logged */
};

struct web_osc {
	struct osc *osc;
	struct control *ctl;
	struct webq *q;
	struct web *web;
	struct param_shape shape;
	struct web_osc_conn conn[WEBQ_MAX_CONN];
	struct web_osc_conn *in_packet; /* the sender of the packet being dispatched */
	int fd_added;
};

/* ---- classification of what goes out ------------------------------------ */

/* The tail of a template after its last placeholder ("/meter" of
 * "/ch/<n>/meter"), or the whole path when it has none. */
static const char *web_osc_tail(const char *tmpl)
{
	const char *gt = strrchr(tmpl, '>');
	return gt ? gt + 1 : tmpl;
}

static int web_osc_ends_with(const char *s, size_t n, const char *tail)
{
	size_t t = strlen(tail);
	return t && t <= n && memcmp(s + n - t, tail, t) == 0;
}

enum webq_kind web_osc_classify(const void *msg, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *a = msg;
	size_t n = strnlen(a, len);
	if (n == len)
		return WEBQ_REPLY;
	/* the core sends bundles only of meters (meter_bundle_max) */
	if (len >= 8 && memcmp(a, "#bundle", 8) == 0)
		return WEBQ_METER;
	/* the meters are the table's PT_METER rows: a few suffixes, no
	 * resolution per message (meters are most of the traffic) */
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (p->type != PT_METER)
			continue;
		if (web_osc_ends_with(a, n, web_osc_tail(p->path)) ||
		    (p->npath && web_osc_ends_with(a, n, web_osc_tail(p->npath))))
			return WEBQ_METER;
	}
	return WEBQ_VALUE;
}

/* ---- the musician filter ------------------------------------------------- */

static uint32_t web_osc_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A send of bus (0-based) by any of its addresses, helpers included. */
static int web_osc_own_send(const char *path, size_t n, unsigned bus, const struct param_shape *shape)
{
	static const char *const helpers[] = {"/touch", "/auto", "/stop"};
	enum param_id id;
	enum params_form form;
	unsigned i1, i2;
	char why[96];
	if (params_path_resolve(path, n, PARAMS_FORM_BIT(PARAMS_UNIT) | PARAMS_FORM_BIT(PARAMS_NORM), shape,
	                        &id, &form, &i1, &i2, why, sizeof why) == 0)
		return (id == P_CH_SEND_LEVEL || id == P_CH_SEND_PRE) && i2 == bus;
	for (unsigned h = 0; h < 3; h++)
		if (web_osc_ends_with(path, n, helpers[h]) &&
		    params_path_resolve(path, n - strlen(helpers[h]), PARAMS_FORM_BIT(PARAMS_BASE), shape,
		                        &id, &form, &i1, &i2, why, sizeof why) == 0)
			return (id == P_CH_SEND_LEVEL || id == P_CH_SEND_PRE) && i2 == bus;
	return 0;
}

/* A query: a parameter's address (unit or normalised) without arguments. */
static int web_osc_query(const char *path, size_t n, const struct param_shape *shape)
{
	enum param_id id;
	enum params_form form;
	unsigned i1, i2;
	char why[96];
	return params_path_resolve(path, n, PARAMS_FORM_BIT(PARAMS_UNIT) | PARAMS_FORM_BIT(PARAMS_NORM),
	                           shape, &id, &form, &i1, &i2, why, sizeof why) == 0;
}

static int web_osc_message_ok(const unsigned char *p, size_t len, unsigned bus,
                              const struct param_shape *shape, char *why, size_t whylen)
{
	/* read-only commands, and feedback of the connection itself */
	static const char *const readonly[] = {"/ping",      "/info",        "/dump",          "/meters",
	                                       "/subscribe", "/unsubscribe", "/engine/status", "/stats"};
	size_t n = strnlen((const char *)p, len);
	snprintf(why, whylen, "%.*s", (int)(n < 200 ? n : 200), (const char *)p);
	if (n == 0 || n == len)
		return 0;
	const char *path = (const char *)p;
	size_t off = (n + 4) & ~(size_t)3;
	unsigned argc = 0;
	if (off < len && p[off] == ',') {
		size_t t = strnlen((const char *)p + off, len - off);
		if (off + t == len)
			return 0;
		argc = (unsigned)t - 1;
	}
	/* commands that only report when sent without arguments (the page's
	 * status bar asks for the recorder's state on every connection) */
	static const char *const reports[] = {"/record/status"};
	for (unsigned i = 0; i < sizeof readonly / sizeof readonly[0]; i++)
		if (strcmp(path, readonly[i]) == 0)
			return 1;
	for (unsigned i = 0; i < sizeof reports / sizeof reports[0]; i++)
		if (argc == 0 && strcmp(path, reports[i]) == 0)
			return 1;
	if (web_osc_own_send(path, n, bus, shape))
		return 1;
	return argc == 0 && web_osc_query(path, n, shape);
}

static int web_osc_packet_ok(const unsigned char *p, size_t len, unsigned bus,
                             const struct param_shape *shape, char *why, size_t whylen, int depth)
{
	if (len >= 16 && memcmp(p, "#bundle", 8) == 0) {
		if (depth > 8)
			return 0;
		for (size_t off = 16; off < len;) {
			if (len - off < 4)
				return 0;
			uint32_t sz = web_osc_be32(p + off);
			off += 4;
			if (sz == 0 || sz > len - off ||
			    !web_osc_packet_ok(p + off, sz, bus, shape, why, whylen, depth + 1))
				return 0;
			off += sz;
		}
		return 1;
	}
	return web_osc_message_ok(p, len, bus, shape, why, whylen);
}

int web_osc_musician_ok(const void *packet, size_t len, unsigned bus, const struct param_shape *shape,
                        char *why, size_t whylen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	snprintf(why, whylen, "(malformed)");
	return web_osc_packet_ok(packet, len, bus, shape, why, whylen, 0);
}

/* ---- the transport --------------------------------------------------------- */

static int web_osc_send(void *ctx, const void *buf, size_t len)
{
	struct web_osc_conn *wc = ctx;
	struct web_osc *wo = wc->wo;
	enum webq_kind kind = wo->in_packet == wc ? WEBQ_REPLY : web_osc_classify(buf, len);
	int r = webq_ctl_push(wo->q, wc->slot, buf, len, kind);
	if (r < 0)
		log_warn("web: %s does not read what it is sent: closed", wc->peer);
	return r < 0 ? -1 : 0;
}

static const char *web_osc_describe(void *ctx, char *buf, size_t len)
{
	struct web_osc_conn *wc = ctx;
	snprintf(buf, len, "ws:%s", wc->peer);
	return buf;
}

/* Every connection is fed, as an auto-registered UDP surface is. */
static struct osc_client *web_osc_autofeed(void *ctx)
{
	return ((struct web_osc_conn *)ctx)->c;
}

static const struct osc_transport web_osc_transport = {
    "ws",
    web_osc_send,
    web_osc_describe,
    NULL,
    web_osc_autofeed,
    /* the meters of a tick in one message: one queue entry, one write and
     * one frame a client and tick, where one a meter cost the web thread
     * 59 % of a core with 50 clients (contrib/perf/web_bench.py); the
     * bound of an incoming message, so a peer with symmetric limits (an
     * OSC library's WebSocket port) takes it */
    WEB_MAX_MSG,
};

static void web_osc_refuse(struct web_osc *wo, struct web_osc_conn *wc, const char *path)
{
	char reason[96];
	size_t len = 0;
	snprintf(reason, sizeof reason, "a musician key of bus %u may only set that bus's sends",
	         wc->bus + 1);
	if (!wc->warned) {
		wc->warned = 1;
		log_warn("web: %s (musician, bus %u) sent %s: refused (further refusals not logged)",
		         wc->peer, wc->bus + 1, path);
	}
	osc_packet_dropped(wo->osc, 1);
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, path);
	lo_message_add_string(m, reason);
	void *buf = lo_message_serialise(m, "/error", NULL, &len);
	if (buf)
		webq_ctl_push(wo->q, wc->slot, buf, len, WEBQ_REPLY);
	free(buf);
	lo_message_free(m);
}

static void web_osc_record(struct web_osc *wo, struct webq_rec *r, uint64_t now)
{
	struct web_osc_conn *wc = &wo->conn[r->slot];
	char why[256];
	switch (r->kind) {
	case WEBQ_OPEN:
		memset(wc, 0, sizeof *wc);
		wc->wo = wo;
		wc->slot = r->slot;
		wc->role = r->role;
		wc->bus = r->bus;
		snprintf(wc->peer, sizeof wc->peer, "%s", r->peer);
		wc->c = osc_client_new(wo->osc, &web_osc_transport, wc);
		if (!wc->c) {
			log_warn("web: no OSC client for %s: closed", wc->peer);
			webq_ctl_kill(wo->q, r->slot);
			break;
		}
		if (wc->role == WEBQ_MUSICIAN)
			log_info("web: %s connected (musician, bus %u)", wc->peer, wc->bus + 1);
		else
			log_info("web: %s connected", wc->peer);
		break;
	case WEBQ_PACKET:
		if (!wc->c)
			break;
		if (wc->role == WEBQ_MUSICIAN &&
		    !web_osc_musician_ok(r->data, r->len, wc->bus, &wo->shape, why, sizeof why)) {
			web_osc_refuse(wo, wc, why);
			break;
		}
		wo->in_packet = wc;
		osc_client_packet(wo->osc, wc->c, r->data, r->len, now);
		wo->in_packet = NULL;
		break;
	case WEBQ_CLOSE:
		if (wc->c) {
			log_info("web: %s disconnected", wc->peer);
			osc_client_free(wo->osc, wc->c);
			wc->c = NULL;
		}
		webq_ctl_release(wo->q, r->slot);
		break;
	}
}

void web_osc_drain(struct web_osc *wo, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct webq_rec *list = webq_ctl_take(wo->q);
	for (struct webq_rec *r = list; r; r = r->next)
		web_osc_record(wo, r, now);
	webq_rec_free(list);
}

static void web_osc_on_readable(void *ctx, int fd, short revents)
{
	(void)fd;
	(void)revents;
	web_osc_drain(ctx, control_now_ms());
}

/* ---- life cycle ------------------------------------------------------------ */

static int web_osc_params_json(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	if (!f)
		return -1;
	osc_dump_params_json(f);
	return fclose(f) == 0 ? 0 : -1;
}

int web_osc_new(struct web_osc **out, struct osc *o, struct control *ctl, const struct web_osc_config *cfg)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char kpath[1024], err[512];
	struct web_keys keys;
	*out = NULL;
	if (!cfg->port)
		return 0;
	const char *path = cfg->keys_path ? cfg->keys_path : web_keys_default_path(kpath, sizeof kpath);
	if (web_keys_load(&keys, path, cfg->shape.buses, err, sizeof err) < 0) {
		log_err("web: access keys: %s", err);
		return -1;
	}
	struct web_osc *wo = calloc(1, sizeof *wo);
	char *params = NULL;
	size_t plen = 0;
	if (!wo || web_osc_params_json(&params, &plen) < 0 || !(wo->q = webq_new(web_pre()))) {
		log_err("out of memory");
		free(params);
		free(wo);
		return -1;
	}
	wo->osc = o;
	wo->ctl = ctl;
	wo->shape = cfg->shape;
	struct web_config wc = {cfg->net, cfg->port, cfg->port_explicit, cfg->app_dir, cfg->record_dir, &keys,
	                        params,   plen};
	int busy = 0;
	wo->web = web_start(&wc, wo->q, &busy);
	free(params);
	memset(&keys, 0, sizeof keys);
	if (!wo->web) {
		web_osc_free(wo);
		if (busy && !cfg->port_explicit) {
			log_warn("web: port %u is taken: running without the web surface (--http PORT picks "
			         "another)",
			         cfg->port);
			return 0;
		}
		if (busy)
			log_err("--http: port %u is taken", cfg->port);
		return -1;
	}
	if (ctl) {
		if (control_add_fd(ctl, webq_ctl_fd(wo->q), web_osc_on_readable, wo) < 0) {
			log_err("web: cannot register with the control loop");
			web_osc_free(wo);
			return -1;
		}
		wo->fd_added = 1;
	}
	const char *listen = cfg->net->listen ? cfg->net->listen : "127.0.0.1";
	int loop =
	    strncmp(listen, "127.", 4) == 0 || strcmp(listen, "::1") == 0 || strcmp(listen, "localhost") == 0;
	if (loop) {
		log_info("web: open http://%s%s%s:%u/ (loopback only; musician keys in %s)",
		         strchr(listen, ':') ? "[" : "", listen, strchr(listen, ':') ? "]" : "", cfg->port,
		         path);
	} else {
		struct web_keys k2;
		web_keys_load(&k2, path, cfg->shape.buses, err, sizeof err);
		log_info("web: open http://%s:%u/?key=%s (engineer; each bus's musician key is in %s)",
		         strcmp(listen, "0.0.0.0") == 0 || strcmp(listen, "::") == 0 ? "THIS-HOST" : listen,
		         cfg->port, k2.engineer, path);
		memset(&k2, 0, sizeof k2);
	}
	*out = wo;
	return 0;
}

struct web_osc *web_osc_new_queue(struct osc *o, const struct param_shape *shape, size_t pre)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct web_osc *wo = calloc(1, sizeof *wo);
	if (!wo || !(wo->q = webq_new(pre))) {
		free(wo);
		return NULL;
	}
	wo->osc = o;
	wo->shape = *shape;
	return wo;
}

struct webq *web_osc_queue(struct web_osc *wo)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return wo->q;
}

void web_osc_free(struct web_osc *wo)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!wo)
		return;
	if (wo->fd_added)
		control_remove_fd(wo->ctl, webq_ctl_fd(wo->q));
	web_stop(wo->web); /* every connection closed: CLOSE records queued */
	if (wo->q) {
		struct webq_rec *list = webq_ctl_take(wo->q);
		for (struct webq_rec *r = list; r; r = r->next)
			if (r->kind == WEBQ_CLOSE)
				web_osc_record(wo, r, 0);
		webq_rec_free(list);
		for (unsigned i = 0; i < WEBQ_MAX_CONN; i++)
			if (wo->conn[i].c)
				osc_client_free(wo->osc, wo->conn[i].c);
		webq_free(wo->q);
	}
	free(wo);
}

void web_osc_publish(struct web_osc *wo, const char *info_members)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!wo || !wo->web)
		return;
	web_set_info(wo->web, info_members);
}

unsigned web_osc_port(const struct web_osc *wo)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return wo ? web_port(wo->web) : 0;
}
