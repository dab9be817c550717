/*
 * osc_feed.c - feedback fan-out: targets (subscribers with leases,
 * auto-registered surfaces, fixed targets, /dump streams), each a client
 * of some transport; the model listener; coalescing, pacing and state
 * bursts; meters to meter subscribers; see osc_core.h.
 *
 * Feedback: the model calls osc_feed_on_change for every accepted change.
 * The instance goes into a FIFO (once); osc_feed_tick sends it to every
 * value client at most every OSC_FB_INTERVAL_MS (coalescing: the newest
 * value wins), with a per-tick message budget per client (pacing), then
 * continues state bursts (subscribe, auto-registration, /dump) from each
 * client's cursor with what budget is left.  The sender of an unclamped
 * value is not sent the form it used (no echo that fights a moving
 * fader), but is sent the other forms, e.g. the fader text; the sender is
 * one client (UDP: one address and port), so every other program, on the
 * same host or not, gets every form (osc_feed_touch has the rule).
 *
 * Threads: control thread only (osc.c's dispatch and timers, the model's
 * listeners).
 *
 * Invariants: at most OSC_MAX_TARGETS targets and OSC_MAX_DUMPS dumps; a
 * freed target leaves no echo suppression behind for its slot's next
 * user; a target never outlives its client (osc_feed_forget); per-tick
 * work is bounded.  Calls go to osc_route.c (paths) and osc_wire.c
 * (encoding, sending) only, never back to osc.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "role.h"
#include "log.h"
#include "osc_core.h"
#include "params_path.h"

/* ------------------------------------------------------------------ */
/* Values in their OSC forms                                           */

static unsigned osc_flat(const struct osc *o, unsigned id, unsigned i1, unsigned i2)
{
	return o->off[id] + i1 * o->n2[id] + i2;
}

static void osc_unflat(const struct osc *o, unsigned flat, unsigned *id, unsigned *i1, unsigned *i2)
{
	unsigned lo = 0, hi = P_COUNT - 1;
	while (lo < hi) { /* last id with off[id] <= flat: never an empty one */
		unsigned mid = (lo + hi + 1) / 2;
		if (o->off[mid] <= flat)
			lo = mid;
		else
			hi = mid - 1;
	}
	unsigned rel = flat - o->off[lo];
	*id = lo;
	*i1 = rel / o->n2[lo];
	*i2 = rel % o->n2[lo];
}

static void osc_db_text(float db, char *out, size_t len)
{
	if (db <= JMX_DB_OFF)
		snprintf(out, len, "-inf dB");
	else if (fabsf(db) < 0.05f)
		snprintf(out, len, "0.0 dB");
	else
		snprintf(out, len, "%+.1f dB", (double)db);
}

/* The forms an instance is fed back in. */
static unsigned osc_forms(unsigned id)
{
	const struct param_info *p = &param_table[id];
	unsigned f = FORM_UNIT;
	if (id == P_CH_FADER_EFF || id == P_BUS_FADER_EFF)
		return FORM_UNIT; /* read-only, but fed back when it changes */
	if (p->type == PT_METER)
		return 0;
	if (p->type == PT_FLOAT) {
		if (p->npath && strcmp(p->npath, p->path) != 0)
			f |= FORM_NORM;
		if (p->taper == TP_FADER && p->npath)
			f |= FORM_TEXT;
	}
	return f;
}

/* Encode one form of one instance's current value.  Returns 0 or -1. */
int osc_feed_encode_value(struct osc *o, unsigned id, unsigned i1, unsigned i2, unsigned form,
                          struct osc_msgbuf *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const struct param_info *p = &param_table[id];
	char path[OSC_PATH_MAX], tmpl[OSC_PATH_MAX];
	if ((id == P_CH_FADER_EFF || id == P_BUS_FADER_EFF) && form == FORM_UNIT) {
		params_path_expand(p->path, strlen(p->path), id, i1, i2, path, sizeof path);
		osc_wire_begin(m, path, "f");
		osc_wire_f(m, model_effective_db(o->model, (enum param_id)id, i1));
		return 0;
	}
	if (p->type == PT_METER)
		return -1;
	if (p->type == PT_STRING) {
		const char *s = model_get_string(o->model, (enum param_id)id, i1);
		params_path_expand(p->path, strlen(p->path), id, i1, i2, path, sizeof path);
		osc_wire_begin(m, path, "s");
		osc_wire_str(m, s ? s : "");
		return 0;
	}
	float v = model_get(o->model, (enum param_id)id, i1, i2);
	if (o->autom.value)
		v = o->autom.value(o->autom.ctx, (enum param_id)id, i1, i2, v);
	switch (form) {
	case FORM_UNIT:
		params_path_expand(p->path, strlen(p->path), id, i1, i2, path, sizeof path);
		if (p->type == PT_FLOAT) {
			osc_wire_begin(m, path, "f");
			osc_wire_f(m, v);
		} else {
			osc_wire_begin(m, path, "i");
			osc_wire_i(m, (int32_t)v);
		}
		return 0;
	case FORM_NORM:
		params_path_expand(p->npath, strlen(p->npath), id, i1, i2, path, sizeof path);
		osc_wire_begin(m, path, "f");
		osc_wire_f(m, param_to_norm((enum param_id)id, v));
		return 0;
	case FORM_TEXT: {
		char text[32];
		snprintf(tmpl, sizeof tmpl, "%s/text", p->npath);
		params_path_expand(tmpl, strlen(tmpl), id, i1, i2, path, sizeof path);
		osc_db_text(v, text, sizeof text);
		osc_wire_begin(m, path, "s");
		osc_wire_str(m, text);
		return 0;
	}
	default:
		return -1;
	}
}

static int osc_prefix_match(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);
	if (n == 0 || (n == 1 && prefix[0] == '/'))
		return 1;
	return strncmp(prefix, path, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* ------------------------------------------------------------------ */
/* Feedback targets                                                    */

/* A client as logs show it: its transport's description. */
static const char *osc_feed_who(const struct osc_client *c, char *buf, size_t len)
{
	if (!c->tp->describe || !c->tp->describe(c->ctx, buf, len))
		snprintf(buf, len, "%s client", c->tp->name ? c->tp->name : "?");
	return buf;
}

static void osc_target_free(struct osc *o, unsigned ti)
{
	struct osc_target *t = &o->target[ti];
	uint64_t bit = 1ull << ti;
	/* a reused slot must not inherit echo suppression */
	for (unsigned k = 0; k < o->fifo_len; k++)
		o->fb_excl[o->fifo[(o->fifo_head + k) % o->total]] &= ~bit;
	memset(t, 0, sizeof *t);
}

static struct osc_target *osc_target_new(struct osc *o, enum osc_tkind kind, struct osc_client *to)
{
	unsigned dumps = 0;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		dumps += o->target[i].kind == T_DUMP;
	if (kind == T_DUMP && dumps >= OSC_MAX_DUMPS)
		return NULL;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (t->kind != T_FREE)
			continue;
		memset(t, 0, sizeof *t);
		t->kind = kind;
		t->to = to;
		return t;
	}
	return NULL;
}

static void osc_target_burst(struct osc *o, struct osc_target *t)
{
	control_timer_wake(o->ctl, o->fb_timer);
	t->bursting = 1;
	t->cursor = 0;
	t->count = 0;
}

/* Bookkeeping for every datagram of an allowed sender (o->cur.client):
 * renew leases, auto-register, and work out which targets are the
 * sender's own.
 *
 * A client is one address (UDP: IP and port).  A change is held back, in
 * the form it was sent in, only from the targets that are the sender
 * itself (cur.excl): its subscriptions (it named the port it listens
 * on), and an auto-registered or fixed target whose destination is the
 * sender's own address (a surface that sends from the port it listens
 * on).  Every other client, another program on the same host included,
 * gets the change in every form.
 *
 * The auto-registered target of a host (UDP: HOST:--feedback-port) is
 * still kept alive by any sender of that host, and /meters from any of
 * them switches its meters (cur.own): a surface sending from a port of
 * its own choosing must be able to keep its feedback and ask for meters.
 * A subscription that feeds values to that address replaces it: nothing
 * arrives twice, and the subscriber is the surface. */
void osc_feed_touch(struct osc *o, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc_client *src = o->cur.client;
	struct osc_client *af = src->tp->autofeed ? src->tp->autofeed(src->ctx) : NULL;
	int have_auto = 0, fed = 0;
	char who[64];

	o->cur.excl = 0;
	o->cur.own = 0;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		uint64_t bit = 1ull << i;
		switch (t->kind) {
		case T_SUB:
			if (t->owner == src) {
				t->expires = now + t->lease_ms;
				o->cur.own |= bit;
				o->cur.excl |= bit;
			}
			fed |= af && t->to == af && (t->flags & TF_VALUES);
			break;
		case T_AUTO:
			if (af && t->to == af) {
				have_auto = 1;
				t->owner = src;
				t->expires = now + OSC_AUTO_IDLE_MS;
				o->cur.own |= bit;
				if (t->to == src)
					o->cur.excl |= bit;
			}
			break;
		case T_FIXED:
			if (t->to == src) {
				o->cur.own |= bit;
				o->cur.excl |= bit;
			}
			fed |= af && t->to == af;
			break;
		default:
			break;
		}
	}
	if (have_auto || fed || !af)
		return;
	struct osc_target *t = osc_target_new(o, T_AUTO, af);
	if (!t) {
		log_debug("OSC: no room to auto-register %s", osc_feed_who(af, who, sizeof who));
		return;
	}
	t->flags = TF_VALUES;
	t->owner = src;
	t->expires = now + OSC_AUTO_IDLE_MS;
	osc_target_burst(o, t);
	uint64_t bit = 1ull << (unsigned)(t - o->target);
	o->cur.own |= bit;
	if (af == src)
		o->cur.excl |= bit;
	log_info("OSC: feedback to %s (auto-registered)", osc_feed_who(af, who, sizeof who));
}

/* A fixed target (--feedback HOST:PORT, or any client a transport wants
 * fed for as long as it exists): values, the state first. */
int osc_feed_fixed(struct osc *o, struct osc_client *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc_target *t = osc_target_new(o, T_FIXED, c);
	if (!t)
		return -1;
	t->flags = TF_VALUES;
	t->owner = c;
	osc_target_burst(o, t);
	return 0;
}

/* Is c the destination or the owner of a target? */
int osc_feed_busy(const struct osc *o, const struct osc_client *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		const struct osc_target *t = &o->target[i];
		if (t->kind != T_FREE && (t->to == c || t->owner == c))
			return 1;
	}
	return 0;
}

/* c is going away: end every target that sends to it or that it owns. */
void osc_feed_forget(struct osc *o, const struct osc_client *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (t->kind != T_FREE && (t->to == c || t->owner == c))
			osc_target_free(o, i);
	}
}
/* ------------------------------------------------------------------ */
/* Model listener                                                      */

static void osc_fifo_push(struct osc *o, unsigned flat)
{
	o->fifo[(o->fifo_head + o->fifo_len) % o->total] = flat;
	o->fifo_len++;
}

static unsigned osc_fifo_pop(struct osc *o)
{
	unsigned flat = o->fifo[o->fifo_head];
	o->fifo_head = (o->fifo_head + 1) % o->total;
	o->fifo_len--;
	return flat;
}

/* Queue an instance for feedback that no surface set (no echo rule). */
static void osc_feed_queue(struct osc *o, unsigned flat)
{
	o->fb_excl[flat] = 0;
	o->fb_form[flat] = 0;
	if (!o->fb_inlist[flat]) {
		o->fb_inlist[flat] = 1;
		osc_fifo_push(o, flat);
		control_timer_wake(o->ctl, o->fb_timer);
	}
}

/* The effective faders a change can move: a member's own fader, mute and
 * memberships move its own; a DCA's fader and mute, a mute group's switch
 * move those of their members (queued; sent if their value changed or
 * not, coalesced like any value). */
static void osc_feed_effective(struct osc *o, enum param_id id, unsigned i1, unsigned i2)
{
	enum param_id eff;
	switch (id) {
	case P_CH_FADER:
	case P_CH_MUTE:
	case P_CH_DCA:
	case P_CH_MUTEGROUP:
		osc_feed_queue(o, osc_flat(o, P_CH_FADER_EFF, i1, 0));
		return;
	case P_BUS_FADER:
	case P_BUS_MUTE:
	case P_BUS_DCA:
	case P_BUS_MUTEGROUP:
		osc_feed_queue(o, osc_flat(o, P_BUS_FADER_EFF, i1, 0));
		return;
	case P_DCA_FADER:
	case P_DCA_MUTE:
	case P_MUTEGROUP_ON:
		for (int bus = 0; bus < 2; bus++) {
			enum param_id mem = id == P_MUTEGROUP_ON ? (bus ? P_BUS_MUTEGROUP : P_CH_MUTEGROUP)
			                                         : (bus ? P_BUS_DCA : P_CH_DCA);
			eff = bus ? P_BUS_FADER_EFF : P_CH_FADER_EFF;
			for (unsigned k = 0; k < o->n1[eff]; k++)
				if (model_get(o->model, mem, k, i1) >= 0.5f)
					osc_feed_queue(o, osc_flat(o, eff, k, 0));
		}
		return;
	default:
		(void)i2;
		return;
	}
}

void osc_feed_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                        int clamped)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc *o = ctx;
	if (param_table[id].type == PT_METER)
		return;
	osc_feed_effective(o, id, i1, i2);
	unsigned flat = osc_flat(o, id, i1, i2);
	if (origin == (const void *)o && o->cur.active && !clamped && !o->cur.force_clamp && o->cur.form) {
		o->fb_excl[flat] = o->cur.excl;
		o->fb_form[flat] = (uint8_t)o->cur.form;
	} else {
		o->fb_excl[flat] = 0;
		o->fb_form[flat] = 0;
	}
	if (!o->fb_inlist[flat]) {
		o->fb_inlist[flat] = 1;
		osc_fifo_push(o, flat);
		control_timer_wake(o->ctl, o->fb_timer);
	}
}

/* ------------------------------------------------------------------ */
/* What the commands of the current sender ask for (osc.c checks and     */
/* converts their arguments, and replies)                               */

/* /subscribe: feedback to `to` owned by the sender; a new subscription,
 * or one that changes what it takes, gets the state first.  0, or -1
 * when there is no room. */
int osc_feed_subscribe(struct osc *o, struct osc_client *to, unsigned flags, const char *prefix, double lease,
                       const char *what)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc_client *src = o->cur.client;
	char who[64];
	struct osc_target *t = NULL;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		if (o->target[i].kind == T_SUB && o->target[i].owner == src && o->target[i].to == to)
			t = &o->target[i];
	int fresh = !t;
	if (!t) {
		t = osc_target_new(o, T_SUB, to);
		if (!t)
			return -1;
		t->owner = src;
		o->cur.excl |= 1ull << (unsigned)(t - o->target);
		log_info("OSC: %s subscribed (%s, %.0f s)", osc_feed_who(to, who, sizeof who), what, lease);
	}
	if (fresh)
		o->cur.own |= 1ull << (unsigned)(t - o->target);
	int changed = fresh || t->flags != flags || strcmp(t->prefix, prefix) != 0;
	t->flags = flags;
	/* the subscriber declares `to` its own: it replaces an auto-registration
	 * there (which any program of the host would otherwise share) */
	for (unsigned i = 0; i < OSC_MAX_TARGETS && (flags & TF_VALUES); i++)
		if (o->target[i].kind == T_AUTO && o->target[i].to == to) {
			log_info("OSC: feedback to %s: subscribed, no longer auto-registered",
			         osc_feed_who(to, who, sizeof who));
			osc_target_free(o, i);
			o->cur.excl &= ~(1ull << i);
			o->cur.own &= ~(1ull << i);
		}
	snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
	t->lease_ms = (unsigned)(lease * 1000.0);
	t->expires = o->cur.now + t->lease_ms;
	if (changed && (flags & TF_VALUES))
		osc_target_burst(o, t);
	return 0;
}

/* /unsubscribe: the sender's subscriptions to `to`, or all (NULL). */
void osc_feed_unsubscribe(struct osc *o, const struct osc_client *to)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (t->kind == T_SUB && t->owner == o->cur.client && (!to || t->to == to))
			osc_target_free(o, i);
	}
}

/* /dump: every value under prefix to the sender, paced; flags
 * TF_DUMP_UNITS (the engineering-unit form only) and TF_DUMP_CHANGED
 * (only instances off their table default).  0, or -1 when too many
 * dumps run. */
int osc_feed_dump(struct osc *o, const char *prefix, unsigned flags)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc_target *t = osc_target_new(o, T_DUMP, o->cur.client);
	if (!t)
		return -1;
	snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
	t->flags = flags;
	t->owner = o->cur.client;
	t->expires = o->cur.now + OSC_DUMP_TIMEOUT_MS;
	osc_target_burst(o, t);
	return 0;
}

/* /meters: meters on or off for the sender's own targets; returns how
 * many there are. */
unsigned osc_feed_meters(struct osc *o, int on)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned n = 0;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (!(o->cur.own & (1ull << i)) || t->kind == T_DUMP || t->kind == T_FREE)
			continue;
		if (on)
			t->flags |= TF_METERS;
		else
			t->flags &= ~(unsigned)TF_METERS;
		n++;
	}
	return n;
}

/* A serialised message to every target that takes values under its
 * prefix (status pushes of other modules). */
void osc_feed_broadcast(struct osc *o, const char *path, const void *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned ti = 0; ti < OSC_MAX_TARGETS; ti++) {
		struct osc_target *t = &o->target[ti];
		if (t->kind == T_FREE || t->kind == T_DUMP || !(t->flags & TF_VALUES) ||
		    !osc_prefix_match(t->prefix, path))
			continue;
		osc_wire_send(t->to, &o->st, buf, len);
	}
}

/* ------------------------------------------------------------------ */
/* Feedback and meters                                                 */

/* Send the feedback forms of one instance to every value client; returns
 * the number of messages a client got at most. */
static unsigned osc_fanout(struct osc *o, unsigned flat)
{
	unsigned id, i1, i2, nm = 0;
	struct osc_msgbuf m[3];
	unsigned form_of[3];
	osc_unflat(o, flat, &id, &i1, &i2);
	unsigned forms = osc_forms(id);
	for (unsigned f = FORM_UNIT; f <= FORM_TEXT; f <<= 1)
		if ((forms & f) && osc_feed_encode_value(o, id, i1, i2, f, &m[nm]) == 0)
			form_of[nm++] = f;
	for (unsigned ti = 0; ti < OSC_MAX_TARGETS; ti++) {
		struct osc_target *t = &o->target[ti];
		if (t->kind == T_FREE || t->kind == T_DUMP || !(t->flags & TF_VALUES))
			continue;
		unsigned skip = (o->fb_excl[flat] & (1ull << ti)) ? o->fb_form[flat] : 0;
		for (unsigned k = 0; k < nm; k++)
			if (!(form_of[k] & skip) && osc_prefix_match(t->prefix, osc_wire_path(&m[k])))
				osc_wire_send_msg(t->to, &o->st, &m[k]);
	}
	return nm;
}

/* Is an instance at its table default (as a client would read it, so
 * with automation playing)?  Compared in the daemon, on the stored float
 * and the table's own default: no rounding of a printed value, and no
 * copy of the table in a client of another version. */
static int osc_at_default(struct osc *o, unsigned id, unsigned i1, unsigned i2)
{
	const struct param_info *p = &param_table[id];
	if (p->type == PT_STRING) {
		const char *s = model_get_string(o->model, (enum param_id)id, i1);
		return !s || !*s;
	}
	float v = model_get(o->model, (enum param_id)id, i1, i2);
	if (o->autom.value)
		v = o->autom.value(o->autom.ctx, (enum param_id)id, i1, i2, v);
	return v == param_default((enum param_id)id, i2);
}

/* Continue a client's state burst within budget messages. */
static void osc_burst(struct osc *o, unsigned ti, unsigned budget)
{
	struct osc_target *t = &o->target[ti];
	unsigned used = 0;
	while (t->cursor < o->total && used + 3 <= budget) {
		unsigned id, i1, i2;
		osc_unflat(o, t->cursor, &id, &i1, &i2);
		unsigned forms = osc_forms(id);
		if (t->kind == T_DUMP && (t->flags & TF_DUMP_UNITS))
			forms &= FORM_UNIT;
		if (t->kind == T_DUMP && (t->flags & TF_DUMP_CHANGED) && forms &&
		    osc_at_default(o, id, i1, i2))
			forms = 0;
		for (unsigned f = FORM_UNIT; f <= FORM_TEXT; f <<= 1) {
			struct osc_msgbuf m;
			if ((forms & f) && osc_feed_encode_value(o, id, i1, i2, f, &m) == 0 &&
			    osc_prefix_match(t->prefix, osc_wire_path(&m))) {
				osc_wire_send_msg(t->to, &o->st, &m);
				used++;
				t->count++;
			}
		}
		t->cursor++;
	}
	if (t->cursor < o->total)
		return;
	t->bursting = 0;
	if (t->kind == T_DUMP) {
		struct osc_msgbuf m;
		osc_wire_begin(&m, "/dump/done", "i");
		osc_wire_i(&m, (int32_t)t->count);
		osc_wire_send_msg(t->to, &o->st, &m);
		osc_target_free(o, ti);
	}
}

void osc_feed_tick(struct osc *o, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char who[64];

	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (t->kind == T_FREE || !t->expires || now < t->expires)
			continue;
		if (t->kind != T_DUMP)
			log_info("OSC: feedback to %s ended (%s expired)",
			         osc_feed_who(t->to, who, sizeof who),
			         t->kind == T_SUB ? "lease" : "idle time");
		osc_target_free(o, i);
	}

	/* live changes: coalesced per instance, paced per tick */
	unsigned used = 0, n = o->fifo_len;
	for (unsigned k = 0; k < n && used + 3 <= OSC_FB_TICK_MSGS - OSC_FB_BURST_MIN; k++) {
		unsigned flat = osc_fifo_pop(o);
		if (o->fb_last[flat] && now < o->fb_last[flat] + OSC_FB_INTERVAL_MS) {
			osc_fifo_push(o, flat);
			continue;
		}
		o->fb_inlist[flat] = 0;
		o->fb_last[flat] = now;
		used += osc_fanout(o, flat);
	}
	unsigned left = OSC_FB_TICK_MSGS - used; /* >= OSC_FB_BURST_MIN */
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		if (o->target[i].kind != T_FREE && o->target[i].bursting)
			osc_burst(o, i, o->target[i].kind == T_DUMP ? OSC_FB_TICK_MSGS : left);
	osc_feed_arm(o);
}

void osc_feed_arm(struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	uint64_t until = UINT64_MAX;
	int work = o->fifo_len > 0, meters = 0;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		const struct osc_target *t = &o->target[i];
		if (t->kind == T_FREE)
			continue;
		work |= t->bursting;
		if (t->expires && t->expires < until)
			until = t->expires;
		if (t->kind != T_DUMP && (t->flags & TF_METERS))
			meters = 1;
	}
	if (work)
		control_timer_wake(o->ctl, o->fb_timer);
	else
		control_timer_sleep_until(o->ctl, o->fb_timer, until); /* a lease that ends */
	if (meters)
		control_timer_wake(o->ctl, o->meter_timer);
	else
		control_timer_sleep(o->ctl, o->meter_timer);
}

/* Room for n more bytes in a kept scratch buffer (the control thread may
 * allocate; the buffers reach their size in the first ticks). */
static int osc_mt_room(unsigned char **buf, size_t *cap, size_t used, size_t n)
{
	if (used + n <= *cap)
		return 0;
	size_t want = *cap ? *cap : 4096;
	while (want < used + n)
		want *= 2;
	unsigned char *b = realloc(*buf, want);
	if (!b)
		return -1;
	*buf = b;
	*cap = want;
	return 0;
}

/* An element of o->mt: a message, size-prefixed as in a bundle. */
static void osc_mt_add(struct osc *o, const struct osc_msgbuf *m)
{
	if (m->bad || osc_mt_room(&o->mt, &o->mt_cap, o->mt_len, 4 + m->n) < 0)
		return;
	unsigned char *p = o->mt + o->mt_len;
	p[0] = (unsigned char)(m->n >> 24);
	p[1] = (unsigned char)(m->n >> 16);
	p[2] = (unsigned char)(m->n >> 8);
	p[3] = (unsigned char)m->n;
	memcpy(p + 4, m->b, m->n);
	o->mt_len += 4 + m->n;
}

static const unsigned char osc_bundle_head[16] = "#bundle\0\0\0\0\0\0\0\0\1"; /* immediately */

static uint32_t osc_mt_size(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Encode every meter of this tick once, into o->mt. */
static void osc_meter_encode(struct osc *o)
{
	o->mt_len = 0;
	if (osc_mt_room(&o->mt, &o->mt_cap, 0, sizeof osc_bundle_head) < 0)
		return;
	memcpy(o->mt, osc_bundle_head, sizeof osc_bundle_head);
	o->mt_len = sizeof osc_bundle_head;
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (p->type != PT_METER)
			continue;
		for (unsigned i1 = 0; i1 < o->n1[id]; i1++) {
			float v[2] = {p->min, p->min};
			int nv = 1;
			struct osc_msgbuf m;
			char path[OSC_PATH_MAX];
			if (o->host.meter_take)
				nv = o->host.meter_take(o->host.ctx, (enum param_id)id, i1, v);
			if (nv <= 0)
				continue;
			for (int k = 0; k < 2; k++)
				if (!isfinite(v[k]))
					v[k] = p->min;
			params_path_expand(p->path, strlen(p->path), id, i1, 0, path, sizeof path);
			osc_wire_begin(&m, path, nv >= 2 ? "ff" : "f");
			osc_wire_f(&m, v[0]);
			if (nv >= 2)
				osc_wire_f(&m, v[1]);
			osc_mt_add(o, &m);
			if (p->npath) {
				params_path_expand(p->npath, strlen(p->npath), id, i1, 0, path, sizeof path);
				osc_wire_begin(&m, path, "f");
				osc_wire_f(&m, dsp_db_to_fader(v[0]));
				osc_mt_add(o, &m);
			}
		}
	}
}

/* A target's share of this tick's meters: the whole bundle at once when
 * its transport takes it and its prefix is everything (the web page);
 * else the elements under its prefix, as bundles of at most max bytes, or
 * one message a packet (max 0). */
static void osc_meter_send(struct osc *o, struct osc_target *t)
{
	size_t max = t->to->tp->meter_bundle_max;
	int all = osc_prefix_match(t->prefix, "/");
	if (max && all && o->mt_len <= max) {
		if (o->mt_len > sizeof osc_bundle_head)
			osc_wire_send(t->to, &o->st, o->mt, o->mt_len);
		return;
	}
	size_t out = 0;
	for (size_t pos = sizeof osc_bundle_head; pos + 4 <= o->mt_len;) {
		uint32_t n = osc_mt_size(o->mt + pos);
		const unsigned char *msg = o->mt + pos + 4;
		pos += 4 + n;
		if (!all && !osc_prefix_match(t->prefix, (const char *)msg))
			continue;
		if (!max || sizeof osc_bundle_head + 4 + n > max) {
			osc_wire_send(t->to, &o->st, msg, n);
			continue;
		}
		if (out && out + 4 + n > max) {
			osc_wire_send(t->to, &o->st, o->mt_out, out);
			out = 0;
		}
		if (!out) {
			if (osc_mt_room(&o->mt_out, &o->mt_out_cap, 0, max) < 0)
				return;
			memcpy(o->mt_out, osc_bundle_head, sizeof osc_bundle_head);
			out = sizeof osc_bundle_head;
		}
		memcpy(o->mt_out + out, msg - 4, 4 + n);
		out += 4 + n;
	}
	if (out)
		osc_wire_send(t->to, &o->st, o->mt_out, out);
}

/* The meters: encoded once a tick, then sent to every meter target. */
void osc_feed_meter_tick(struct osc *o, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	uint64_t want = 0;
	(void)now;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		if (o->target[i].kind != T_FREE && o->target[i].kind != T_DUMP &&
		    (o->target[i].flags & TF_METERS))
			want |= 1ull << i;
	if (!want) {
		osc_feed_arm(o); /* nobody to send meters to: sleep */
		return;
	}
	osc_meter_encode(o);
	for (unsigned ti = 0; ti < OSC_MAX_TARGETS; ti++)
		if (want & (1ull << ti))
			osc_meter_send(o, &o->target[ti]);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

/* The per-instance state, once o->total is known. */
int osc_feed_new(struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	o->fb_excl = calloc(o->total, sizeof *o->fb_excl);
	o->fb_form = calloc(o->total, 1);
	o->fb_last = calloc(o->total, sizeof *o->fb_last);
	o->fb_inlist = calloc(o->total, 1);
	o->fifo = calloc(o->total, sizeof *o->fifo);
	return o->fb_excl && o->fb_form && o->fb_last && o->fb_inlist && o->fifo ? 0 : -1;
}

void osc_feed_free(struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(o->fb_excl);
	free(o->fb_form);
	free(o->fb_last);
	free(o->fb_inlist);
	free(o->fifo);
	free(o->mt);
	free(o->mt_out);
}
