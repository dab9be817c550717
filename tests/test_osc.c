/*
 * test_osc.c - the OSC layer without sockets or JACK: datagrams go in
 * through osc_net_dispatch (the same function the socket feeds), replies and
 * feedback are captured by the send hook and decoded with liblo, and the
 * model and the RT queue are inspected directly.
 *
 * Checks: every table address answers queries in both forms, with the
 * normalised form computed here from the tapers (independently of
 * params.c); set in both forms; clamping fed back; every bad-input class
 * answered by /error and leaving the model unchanged; index syntax
 * (leading zeros accepted, 0, N+1, 1x, -1, 2^31-1 rejected); booleans,
 * toggles, enums and names; a bundle published as one RT batch; the
 * allow-list; feedback fan-out (subscriber, auto-registered, fixed;
 * sender excluded for the form it used; clamped values echoed), leases,
 * coalescing to <= 30 Hz, paced and complete state bursts, /dump and its
 * options (units, changed), meters;
 * the transport API: clients of a second, fake transport get their
 * replies and feedback through their own send, and nothing after they
 * are freed.
 *
 * Threads: single-threaded (plays the control thread).
 */
#include <arpa/inet.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <string.h>

#include "log.h"
#include "model.h"
#include "osc.h"
#include "osc_net.h"
#include "params.h"
#include "rtqueue.h"
#include "test_util.h"

#define NCH    8u
#define NBUS   2u
#define MAXCAP 20000

struct cap {
	char path[128];
	char types[16];
	float f[2];
	int i;
	char s[128];
	struct sockaddr_in to;
	uint64_t t;
};

static struct cap caps[MAXCAP];
static int ncap;
static uint64_t now_ms = 1000;

static void hook(void *ctx, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	(void)ctx;
	if (ncap >= MAXCAP)
		return;
	struct cap *c = &caps[ncap];
	memset(c, 0, sizeof *c);
	memcpy(&c->to, to, tolen < sizeof c->to ? tolen : sizeof c->to);
	c->t = now_ms;
	int res = 0;
	lo_message m = lo_message_deserialise((void *)buf, len, &res);
	CHECK(m != NULL, "daemon sent an invalid OSC message (%d)", res);
	if (!m)
		return;
	snprintf(c->path, sizeof c->path, "%s", (const char *)buf);
	snprintf(c->types, sizeof c->types, "%s", lo_message_get_types(m));
	lo_arg **argv = lo_message_get_argv(m);
	for (int k = 0; c->types[k] && k < 2; k++) {
		if (c->types[k] == 'f')
			memcpy(&c->f[k], argv[k], 4);
		else if (c->types[k] == 'i')
			memcpy(&c->i, argv[k], 4);
		else if (c->types[k] == 's') /* for /error: the reason */
			snprintf(c->s, sizeof c->s, "%s", (const char *)argv[k]);
	}
	lo_message_free(m);
	ncap++;
}

static struct sockaddr_in mkaddr(const char *ip, unsigned port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct osc *osc;
static struct osc_net *udp; /* the UDP transport, without a socket */
static struct model *model;
static struct rtq q;
static struct sockaddr_in A, B, C;

static int send_msg(const struct sockaddr_in *from, const char *path, lo_message m)
{
	size_t len;
	void *d = lo_message_serialise(m, path, NULL, &len);
	int r = osc_net_dispatch(udp, d, len, (const struct sockaddr *)from, sizeof *from, now_ms);
	free(d);
	lo_message_free(m);
	return r;
}

static int sendf(const struct sockaddr_in *from, const char *path, float v)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	return send_msg(from, path, m);
}

static int sendi(const struct sockaddr_in *from, const char *path, int v)
{
	lo_message m = lo_message_new();
	lo_message_add_int32(m, v);
	return send_msg(from, path, m);
}

static int sends(const struct sockaddr_in *from, const char *path, const char *s)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, s);
	return send_msg(from, path, m);
}

static int send0(const struct sockaddr_in *from, const char *path)
{
	return send_msg(from, path, lo_message_new());
}

static int to_is(const struct cap *c, const struct sockaddr_in *a)
{
	return c->to.sin_addr.s_addr == a->sin_addr.s_addr && c->to.sin_port == a->sin_port;
}

/* Last capture to `to` on path (NULL if none) since index `from`. */
static struct cap *find(int from, const struct sockaddr_in *to, const char *path)
{
	for (int k = ncap - 1; k >= from; k--)
		if ((!to || to_is(&caps[k], to)) && strcmp(caps[k].path, path) == 0)
			return &caps[k];
	return NULL;
}

static int count(int from, const struct sockaddr_in *to, const char *path)
{
	int n = 0;
	for (int k = from; k < ncap; k++)
		if ((!to || to_is(&caps[k], to)) && (!path || strcmp(caps[k].path, path) == 0))
			n++;
	return n;
}

/* Query path from A and return the reply (or NULL). */
static struct cap *query(const char *path)
{
	int mark = ncap;
	send0(&A, path);
	return find(mark, &A, path);
}

static void tick_for(unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 5) {
		now_ms += 5;
		osc_tick(osc, now_ms);
	}
}

/* ------------------------------------------------------------------ */
/* Independent tapers (the formulas)                           */

static double to_norm(const struct param_info *p, double v)
{
	switch (p->taper) {
	case TP_FADER:
		return x32_from_db(v);
	case TP_LOG:
		return log(v / p->min) / log((double)p->max / p->min);
	default:
		return (v - p->min) / ((double)p->max - p->min);
	}
}

static double from_norm(const struct param_info *p, double n)
{
	switch (p->taper) {
	case TP_FADER:
		return x32_to_db(n);
	case TP_LOG:
		return p->min * exp(n * log((double)p->max / p->min));
	default:
		return p->min + n * ((double)p->max - p->min);
	}
}

/* Concrete path for instance (1-based numbers). */
static void path_of(const char *tmpl, unsigned n, unsigned a, unsigned b, char *out, size_t len)
{
	size_t k = 0;
	for (const char *s = tmpl; *s && k + 8 < len;) {
		if (s[0] == '<' && s[2] == '>') {
			unsigned v = s[1] == 'n' ? n : s[1] == 'a' ? a : b;
			k += (size_t)snprintf(out + k, len - k, "%u", v);
			s += 3;
		} else {
			out[k++] = *s++;
		}
	}
	out[k] = 0;
}

static int meter_take(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	(void)ctx;
	out[0] = -6.0f - (float)idx;
	out[1] = -9.0f - (float)idx;
	return (id == P_CH_METER || id == P_BUS_METER || id == P_MASTER_METER) ? 2 : 1;
}

static unsigned rt_pending(void)
{
	return atomic_load(&q.head) - atomic_load(&q.tail);
}

static void drain_rt(void)
{
	struct rt_msg m;
	while (rtq_pop(&q, &m) == 0) {
	}
}

/* ------------------------------------------------------------------ */

static void test_roundtrip_every_param(void)
{
	char path[128];
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (p->type == PT_METER || p->type == PT_STRING)
			continue;
		unsigned nb =
		    (p->scope == SC_CH_BAND || p->scope == SC_MASTER_BAND || p->scope == SC_BUS_BAND) ? 4 : 1;
		for (unsigned inst = 0; inst < 2; inst++) {
			unsigned n = inst ? NCH : 1, a = inst ? NBUS : 1, b = inst ? nb : 1;
			/* default, both forms */
			path_of(p->path, n, a, b, path, sizeof path);
			struct cap *c = query(path);
			CHECK(c != NULL, "no reply to query %s", path);
			double def = p->def[b - 1];
			if (c && p->type == PT_FLOAT)
				CHECK_NEAR(c->f[0], def, 1e-4 * fabs(def) + 1e-6, path);
			else if (c)
				CHECK(c->i == (int)def && strcmp(c->types, "i") == 0, "%s: %s %d want i %d",
				      path, c->types, c->i, (int)def);
			if (!param_continuous((enum param_id)id))
				continue; /* a channel number (a key) has no normalised form */
			char npath[128];
			const char *nt = p->npath ? p->npath : NULL;
			CHECK(nt != NULL, "%s has no normalised path", p->path);
			if (!nt)
				continue;
			path_of(nt, n, a, b, npath, sizeof npath);
			c = query(npath);
			CHECK(c != NULL, "no reply to query %s", npath);
			if (c)
				CHECK_NEAR(c->f[0], to_norm(p, def), 1e-4, npath);

			/* set in units at 30 % of the range, read both forms */
			double v = p->taper == TP_LOG ? p->min * pow((double)p->max / p->min, 0.3)
			                              : p->min + 0.3 * ((double)p->max - p->min);
			if (p->taper == TP_FADER)
				v = -12.5;
			sendf(&A, path, (float)v);
			unsigned i1 = 0, i2 = 0;
			switch (p->scope) {
			case SC_CH:
				i1 = n - 1;
				break;
			case SC_CH_BAND:
				i1 = n - 1, i2 = b - 1;
				break;
			case SC_CH_BUS:
				i1 = n - 1, i2 = a - 1;
				break;
			case SC_BUS:
				i1 = a - 1;
				break;
			case SC_MASTER_BAND:
				i2 = b - 1;
				break;
			case SC_BUS_BAND:
				i1 = a - 1, i2 = b - 1;
				break;
			default:
				break;
			}
			CHECK_NEAR(model_get(model, id, i1, i2), v, 1e-4 * fabs(v) + 1e-6, path);
			c = query(npath);
			if (c)
				CHECK_NEAR(c->f[0], to_norm(p, v), 1e-4, npath);
			/* set normalised, read units */
			double nv = 0.8;
			sendf(&A, npath, (float)nv);
			c = query(path);
			CHECK(c != NULL, "no reply %s", path);
			if (c)
				CHECK_NEAR(c->f[0], from_norm(p, nv), 1e-3 * fabs(from_norm(p, nv)) + 1e-4,
				           path);
			/* back to the default */
			sendf(&A, path, (float)def);
		}
	}
}

static void expect_error(const char *what, const char *path, lo_message m, const char *reason_part)
{
	int mark = ncap;
	unsigned long gen = model_generation(model);
	send_msg(&A, path, m);
	struct cap *e = find(mark, &A, "/error");
	CHECK(e != NULL, "%s: no /error for %s", what, path);
	if (e) {
		CHECK(strcmp(e->types, "ss") == 0, "%s: /error types %s", what, e->types);
		CHECK(strstr(e->s, reason_part) != NULL, "%s: reason '%s' lacks '%s'", what, e->s,
		      reason_part);
	}
	CHECK(model_generation(model) == gen, "%s: the model changed", what);
	CHECK(count(mark, NULL, NULL) == 1, "%s: %d replies, want exactly the /error", what,
	      count(mark, NULL, NULL));
}

static lo_message mf(float v)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	return m;
}

static void test_bad_input(void)
{
	lo_message m;
	drain_rt();
	expect_error("unknown", "/ch/1/nonsense", mf(1), "unknown");
	expect_error("index 0", "/ch/0/fader/db", mf(-3), "range");
	expect_error("index N+1", "/ch/9/fader/db", mf(-3), "range");
	expect_error("index 1x", "/ch/1x/fader/db", mf(-3), "unknown");
	expect_error("index -1", "/ch/-1/fader/db", mf(-3), "unknown");
	expect_error("index 2^31-1", "/ch/2147483647/fader/db", mf(-3), "range");
	expect_error("index 2^32+1", "/ch/4294967297/fader/db", mf(-3), "range");
	expect_error("band 5", "/ch/1/eq/5/db", mf(3), "range");
	expect_error("bus 3", "/ch/1/send/3/level/db", mf(3), "range");
	expect_error("NaN", "/ch/1/fader/db", mf(NAN), "finite");
	expect_error("inf", "/ch/1/fader/db", mf(INFINITY), "finite");
	expect_error("-inf norm", "/ch/1/fader", mf(-INFINITY), "finite");
	m = lo_message_new();
	lo_message_add_string(m, "loud");
	expect_error("string for number", "/ch/1/fader/db", m, "number");
	m = lo_message_new();
	lo_message_add_float(m, 1);
	lo_message_add_float(m, 2);
	expect_error("two args", "/ch/1/fader/db", m, "one argument");
	m = lo_message_new();
	lo_message_add_true(m);
	expect_error("T for a float", "/ch/1/fader/db", m, "number");
	expect_error("read-only meter", "/ch/1/meter", mf(0), "read-only");
	expect_error("read-only text", "/ch/1/fader/text", mf(0), "read-only");
	m = lo_message_new();
	lo_message_add_string(m, "bell");
	expect_error("bad enum name", "/ch/1/eq/1/type", m, "unknown name");
	m = lo_message_new();
	lo_message_add_string(m, "bad\001name");
	expect_error("control char in name", "/ch/1/name", m, "name");
	m = lo_message_new();
	lo_message_add_float(m, 3);
	expect_error("number for name", "/ch/1/name", m, "string");
	expect_error("pattern", "/ch/*/mute", mf(1), "pattern");
	m = lo_message_new();
	lo_blob blob = lo_blob_new(4, "abcd");
	lo_message_add_blob(m, blob);
	expect_error("blob", "/ch/1/fader/db", m, "number");
	lo_blob_free(blob);
	expect_error("subscribe junk", "/subscribe", mf(70000), "port");
	CHECK(rt_pending() == 0, "bad input reached the RT queue (%u records)", rt_pending());

	/* malformed packets */
	unsigned char junk[12] = {'/', 'a', 0, 0, 'x', 'y', 0, 0, 0, 0, 0, 0};
	int mark = ncap;
	struct osc_stats st0, st1;
	osc_get_stats(osc, &st0);
	CHECK(osc_net_dispatch(udp, junk, sizeof junk, (struct sockaddr *)&A, sizeof A, now_ms) < 0,
	      "junk accepted");
	unsigned char odd[5] = {'/', 'a', 0, 0, 0};
	CHECK(osc_net_dispatch(udp, odd, sizeof odd, (struct sockaddr *)&A, sizeof A, now_ms) < 0,
	      "odd length accepted");
	unsigned char bund[24] = "#bundle";
	bund[16] = 0x7f; /* element longer than the packet */
	CHECK(osc_net_dispatch(udp, bund, sizeof bund, (struct sockaddr *)&A, sizeof A, now_ms) < 0,
	      "bad bundle accepted");
	osc_get_stats(osc, &st1);
	CHECK(st1.malformed == st0.malformed + 3, "malformed counted %lu -> %lu", st0.malformed,
	      st1.malformed);
	CHECK(count(mark, &A, "/error") == 3, "malformed packets: %d /error replies",
	      count(mark, &A, "/error"));
}

/* A key is a channel number (unit "ch", param_info_whole): rounded,
 * clamped to this console's channels, never a timed move. */
static void test_key_numbers(void)
{
	drain_rt();
	sendf(&A, "/ch/2/dyn/key", 2.6f);
	CHECK(model_get(model, P_CH_DYN_KEY, 1, 0) == 3.0f, "key 2.6 -> %g, want 3",
	      (double)model_get(model, P_CH_DYN_KEY, 1, 0));
	sendf(&A, "/ch/2/gate/key", 99.0f);
	CHECK(model_get(model, P_CH_GATE_KEY, 1, 0) == (float)NCH, "key 99 -> %g, want the last channel %u",
	      (double)model_get(model, P_CH_GATE_KEY, 1, 0), NCH);
	lo_message m = lo_message_new();
	lo_message_add_float(m, 1);
	lo_message_add_float(m, 500);
	expect_error("timed move of a key", "/ch/2/dyn/key", m, "one argument");
	CHECK(model_get(model, P_CH_DYN_KEY, 1, 0) == 3.0f, "a refused timed move changed the key");
	sendf(&A, "/ch/2/dyn/key", 0.0f);
	sendf(&A, "/ch/2/gate/key", 0.0f);
	drain_rt();
}

static void test_syntax(void)
{
	struct cap *c;
	sendf(&A, "/ch/007/fader/db", -7);
	CHECK_NEAR(model_get(model, P_CH_FADER, 6, 0), -7, 1e-6, "leading zeros");
	int mark = ncap;
	send0(&A, "/ch/0007/fader/db");
	c = find(mark, &A, "/ch/7/fader/db");
	CHECK(c != NULL && fabs(c->f[0] + 7) < 1e-6, "query with leading zeros: canonical reply");

	/* booleans: i, f, T, F */
	sendi(&A, "/ch/2/mute", 1);
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 1, "mute i 1");
	sendf(&A, "/ch/2/mute", 0);
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 0, "mute f 0");
	lo_message m = lo_message_new();
	lo_message_add_true(m);
	send_msg(&A, "/ch/2/mute", m);
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 1, "mute T");
	m = lo_message_new();
	lo_message_add_false(m);
	send_msg(&A, "/ch/2/mute", m);
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 0, "mute F");
	/* toggle: flips on > 0, ignores 0 (button release) */
	sendf(&A, "/ch/2/mute/toggle", 1);
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 1, "toggle on");
	sendf(&A, "/ch/2/mute/toggle", 0);
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 1, "toggle release ignored");
	sendf(&A, "/ch/2/mute/toggle", 1);
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 0, "toggle off");
	send0(&A, "/ch/2/mute/toggle");
	CHECK(model_get(model, P_CH_MUTE, 1, 0) == 1, "bare toggle flips");
	sendi(&A, "/ch/2/mute", 0);

	/* enums by name and number */
	sends(&A, "/ch/3/eq/1/type", "hshelf");
	CHECK(model_get(model, P_CH_EQ_TYPE, 2, 0) == 2, "enum by name");
	sendi(&A, "/ch/3/eq/1/type", 0);
	CHECK(model_get(model, P_CH_EQ_TYPE, 2, 0) == 0, "enum by number");
	sendf(&A, "/master/eq/4/type", 1);
	CHECK(model_get(model, P_MASTER_EQ_TYPE, 0, 3) == 1, "master enum by float");

	/* names */
	sends(&A, "/ch/4/name", "Kick");
	CHECK(strcmp(model_get_string(model, P_CH_NAME, 3), "Kick") == 0, "name set");
	c = query("/ch/4/name");
	CHECK(c && strcmp(c->types, "s") == 0 && strcmp(c->s, "Kick") == 0, "name query");
	sends(&A, "/bus/2/name", "Monitors");
	CHECK(strcmp(model_get_string(model, P_BUS_NAME, 1), "Monitors") == 0, "bus name set");

	/* double and int64 arguments count as numbers */
	m = lo_message_new();
	lo_message_add_double(m, -3.5);
	send_msg(&A, "/master/fader/db", m);
	CHECK_NEAR(model_get(model, P_MASTER_FADER, 0, 0), -3.5, 1e-6, "double argument");
	sendf(&A, "/master/fader/db", 0);

	/* commands */
	mark = ncap;
	send0(&A, "/ping");
	CHECK(find(mark, &A, "/pong") != NULL, "no /pong");
	mark = ncap;
	send0(&A, "/info");
	c = find(mark, &A, "/info");
	CHECK(c && strcmp(c->types, "ssiiiii") == 0, "/info types %s", c ? c->types : "-");
	mark = ncap;
	send0(&A, "/stats");
	c = find(mark, &A, "/stats");
	CHECK(c && strcmp(c->types, "iiiiiiii") == 0, "/stats");
}

static void test_bundle(void)
{
	drain_rt();
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_message m1 = lo_message_new(), m2 = lo_message_new();
	lo_message_add_float(m1, -20);
	lo_message_add_int32(m2, 1);
	lo_bundle_add_message(b, "/ch/5/fader/db", m1);
	lo_bundle_add_message(b, "/bus/1/mute", m2);
	size_t len;
	void *d = lo_bundle_serialise(b, NULL, &len);
	CHECK(osc_net_dispatch(udp, d, len, (struct sockaddr *)&A, sizeof A, now_ms) == 0,
	      "bundle dispatched");
	CHECK(rt_pending() == 2, "bundle: %u records published, want 2", rt_pending());
	struct rt_msg r1, r2;
	CHECK(rtq_pop(&q, &r1) == 0 && rtq_pop(&q, &r2) == 0, "pop bundle");
	CHECK(r1.id == P_CH_FADER && r1.i1 == 4 && r1.value == -20, "bundle msg 1");
	CHECK(r2.id == P_BUS_MUTE && r2.i1 == 0 && r2.value == 1, "bundle msg 2");
	free(d);
	lo_bundle_free_recursive(b);

	/* a future timetag does not queue (queue disabled): applied at once */
	b = lo_bundle_new((lo_timetag){0xfffffff0u, 0});
	m1 = lo_message_new();
	lo_message_add_float(m1, -21);
	lo_bundle_add_message(b, "/ch/5/fader/db", m1);
	d = lo_bundle_serialise(b, NULL, &len);
	osc_net_dispatch(udp, d, len, (struct sockaddr *)&A, sizeof A, now_ms);
	CHECK(model_get(model, P_CH_FADER, 4, 0) == -21, "future bundle applied immediately");
	free(d);
	lo_bundle_free_recursive(b);
	drain_rt();
	sendf(&A, "/ch/5/fader/db", 0);
	sendi(&A, "/bus/1/mute", 0);
	drain_rt();
}

static void test_allow(void)
{
	struct sockaddr_in far = mkaddr("192.0.2.77", 5000);
	struct osc_stats st0, st1;
	int mark = ncap;
	osc_get_stats(osc, &st0);
	float before = model_get(model, P_CH_FADER, 0, 0);
	CHECK(sendf(&far, "/ch/1/fader/db", -33) < 0, "outside sender accepted");
	CHECK(send0(&far, "/ping") < 0, "outside ping accepted");
	osc_get_stats(osc, &st1);
	CHECK(st1.denied == st0.denied + 2, "denied not counted: %lu -> %lu", st0.denied, st1.denied);
	CHECK(model_get(model, P_CH_FADER, 0, 0) == before, "outside sender changed state");
	CHECK(ncap == mark, "outside sender got %d replies", ncap - mark);
	/* 127.x.y.z is loopback */
	struct sockaddr_in lo2 = mkaddr("127.0.0.2", 5000);
	mark = ncap;
	send0(&lo2, "/ping");
	CHECK(find(mark, &lo2, "/pong") != NULL, "127.0.0.2 refused");
}

static void test_feedback(void)
{
	/* B subscribes (to its source port); C is auto-registered (feedback
	 * port 9000) by its first message; A is the sender and subscribes too */
	tick_for(200); /* feedback of earlier changes, to nobody */
	int mark = ncap;
	sendi(&B, "/subscribe", 0);
	tick_for(2000); /* let the state bursts finish */
	/* the burst: every value, each form, exactly once */
	unsigned expect = 0;
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		/* meters are not values, except the effective faders (read-only,
		 * fed back when they change) */
		if (p->type == PT_METER && id != P_CH_FADER_EFF && id != P_BUS_FADER_EFF)
			continue;
		unsigned n = param_instances((enum param_id)id, model_shape(model));
		unsigned forms = 1;
		if (p->type == PT_FLOAT)
			forms += (p->npath && strcmp(p->npath, p->path)) + (p->taper == TP_FADER);
		expect += n * forms;
	}
	CHECK(count(mark, &B, NULL) == (int)expect, "subscribe burst: %d messages, want %u",
	      count(mark, &B, NULL), expect);
	/* pacing: no 5 ms tick carried more than the budget */
	int worst = 0;
	for (int k = mark; k < ncap; k++) {
		int n = 0;
		for (int j = k; j < ncap && caps[j].t == caps[k].t; j++)
			n += to_is(&caps[j], &B);
		if (n > worst)
			worst = n;
	}
	CHECK(worst <= 24 && worst > 0, "burst pacing: %d messages in one tick", worst);

	struct sockaddr_in Cfb = mkaddr("127.0.0.3", 9000), Afb = mkaddr("127.0.0.1", 9000);
	send0(&C, "/ping");
	sendi(&A, "/subscribe", 0);
	tick_for(2000);

	/* A sets in units: B and C get all three forms; A gets the other two */
	mark = ncap;
	sendf(&A, "/ch/6/fader/db", -12);
	tick_for(40);
	struct cap *c;
	c = find(mark, &B, "/ch/6/fader/db");
	CHECK(c && fabs(c->f[0] + 12) < 1e-5, "subscriber: unit form");
	c = find(mark, &B, "/ch/6/fader");
	CHECK(c && fabs(c->f[0] - x32_from_db(-12)) < 1e-5, "subscriber: normalised form %g",
	      c ? c->f[0] : -1);
	c = find(mark, &B, "/ch/6/fader/text");
	CHECK(c && strcmp(c->s, "-12.0 dB") == 0, "subscriber: text '%s'", c ? c->s : "-");
	CHECK(find(mark, &Cfb, "/ch/6/fader/db") != NULL, "auto-registered client missed the change");
	CHECK(find(mark, &Cfb, "/ch/6/fader/text") != NULL, "auto-registered client missed the text");
	CHECK(find(mark, &A, "/ch/6/fader/db") == NULL, "the sender got its own value echoed");
	/* A's host at the feedback port is another client: every form */
	CHECK(find(mark, &Afb, "/ch/6/fader/db") && find(mark, &Afb, "/ch/6/fader") &&
	          find(mark, &Afb, "/ch/6/fader/text"),
	      "another client of the sender's host missed a form");
	CHECK(find(mark, &A, "/ch/6/fader") != NULL, "the sender lacks the other form");
	CHECK(find(mark, &A, "/ch/6/fader/text") != NULL, "the sender lacks the text");

	/* clamped: the sender gets the clamped value back */
	mark = ncap;
	sendf(&A, "/ch/6/fader/db", 50);
	tick_for(40);
	c = find(mark, &A, "/ch/6/fader/db");
	CHECK(c && c->f[0] == 10.0f, "clamped value not fed back to the sender (%g)", c ? c->f[0] : -1);
	mark = ncap;
	sendf(&A, "/ch/6/fader", 1.5f);
	tick_for(40);
	c = find(mark, &A, "/ch/6/fader");
	CHECK(c && c->f[0] == 1.0f, "clamped normalised value not fed back to the sender");
	mark = ncap;
	sendf(&A, "/ch/6/pan", -0.5f);
	tick_for(40);
	c = find(mark, &A, "/ch/6/pan");
	CHECK(c && c->f[0] == 0.0f, "clamped pan not fed back");

	/* a toggle: the sender sees the new state */
	mark = ncap;
	sendf(&A, "/ch/6/solo/toggle", 1);
	tick_for(40);
	c = find(mark, &A, "/ch/6/solo");
	CHECK(c && c->i == 1, "toggle state not fed back to the toggler");
	sendi(&A, "/ch/6/solo", 0);

	/* coalescing: 100 changes in 100 ms -> at most 4 sends per path, last value wins */
	tick_for(100);
	mark = ncap;
	for (int k = 0; k < 100; k++) {
		sendf(&A, "/ch/6/fader/db", -40.0f + (float)k * 0.1f);
		now_ms += 1;
		if (k % 5 == 4)
			osc_tick(osc, now_ms);
	}
	tick_for(100);
	int nb = count(mark, &B, "/ch/6/fader/db");
	CHECK(nb >= 2 && nb <= 4, "coalescing: %d updates for 100 changes over 100 ms", nb);
	c = find(mark, &B, "/ch/6/fader/db");
	CHECK(c && fabsf(c->f[0] - (-40.0f + 9.9f)) < 1e-4, "coalescing lost the last value");
	for (int k = mark; k < ncap; k++)
		for (int j = k + 1; j < ncap; j++)
			if (to_is(&caps[k], &B) && to_is(&caps[j], &B) &&
			    !strcmp(caps[j].path, "/ch/6/fader/db") &&
			    !strcmp(caps[k].path, "/ch/6/fader/db")) {
				CHECK(caps[j].t - caps[k].t >= 33, "two updates %u ms apart",
				      (unsigned)(caps[j].t - caps[k].t));
				break;
			}

	/* changes from elsewhere (origin NULL, e.g. a snapshot) reach everyone */
	mark = ncap;
	model_set(model, P_CH_PAN, 6, 0, 0.25f, NULL);
	tick_for(40);
	CHECK(find(mark, &A, "/ch/7/pan") && find(mark, &B, "/ch/7/pan") && find(mark, &Cfb, "/ch/7/pan"),
	      "model change without an OSC origin not fanned out");

	/* lease: B (10 s default) keeps renewing by sending; A stops */
	for (int k = 0; k < 12; k++) {
		send0(&B, "/ping");
		tick_for(1000);
	}
	mark = ncap;
	sendf(&C, "/ch/8/trim/db", 3);
	tick_for(40);
	CHECK(find(mark, &B, "/ch/8/trim/db") != NULL, "renewed lease lost feedback");
	CHECK(find(mark, &A, "/ch/8/trim/db") == NULL, "expired lease still gets feedback");
	/* explicit short lease */
	struct sockaddr_in D = mkaddr("127.0.0.1", 7004);
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 0);
	lo_message_add_int32(m, 1);
	send_msg(&D, "/subscribe", m);
	tick_for(2000);
	mark = ncap;
	sendf(&C, "/ch/8/trim/db", 4);
	tick_for(40);
	CHECK(find(mark, &D, "/ch/8/trim/db") == NULL, "1 s lease still fed after 2 s");
	/* unsubscribe */
	sendi(&B, "/unsubscribe", 0);
	mark = ncap;
	sendf(&C, "/ch/8/trim/db", 5);
	tick_for(40);
	CHECK(find(mark, &B, "/ch/8/trim/db") == NULL, "unsubscribed client still fed");
	/* prefix subscription with a port */
	struct sockaddr_in E = mkaddr("127.0.0.1", 7005), Efb = mkaddr("127.0.0.1", 7006);
	m = lo_message_new();
	lo_message_add_int32(m, 7006);
	lo_message_add_int32(m, 30);
	lo_message_add_string(m, "/ch/1");
	mark = ncap;
	send_msg(&E, "/subscribe", m);
	tick_for(1000);
	int n1 = count(mark, &Efb, NULL);
	CHECK(n1 > 0 && count(mark, &Efb, "/ch/10/fader") == 0, "prefix burst");
	for (int k = mark; k < ncap; k++)
		if (to_is(&caps[k], &Efb))
			CHECK(strncmp(caps[k].path, "/ch/1/", 6) == 0, "prefix /ch/1 let %s through",
			      caps[k].path);
	mark = ncap;
	sendf(&C, "/ch/2/trim/db", 1);
	sendf(&C, "/ch/1/trim/db", 1);
	tick_for(40);
	CHECK(find(mark, &Efb, "/ch/1/trim/db") && !find(mark, &Efb, "/ch/2/trim/db"),
	      "prefix live feedback");
	sendi(&E, "/unsubscribe", 0);
}

/* Paths a /dump to F sent since mark (not /dump/done), as one string of
 * "path\n" lines; returns how many, and checks /dump/done's count. */
static int dump_paths(int mark, const struct sockaddr_in *F, char *out, size_t len)
{
	int n = 0;
	size_t k = 0;
	out[0] = 0;
	for (int c = mark; c < ncap; c++)
		if (to_is(&caps[c], F) && strcmp(caps[c].path, "/dump/done") != 0) {
			n++;
			k += (size_t)snprintf(out + k, k < len ? len - k : 0, "%s\n", caps[c].path);
		}
	struct cap *done = find(mark, F, "/dump/done");
	CHECK(done && done->i == n, "/dump/done says %d, %d sent", done ? done->i : -1, n);
	return n;
}

/* /dump's options: units sends each instance once in its unit form;
 * changed sends only what differs from the table's default (the daemon
 * compares: jackmixctl dump --changed). */
static void test_dump_options(void)
{
	struct sockaddr_in F = mkaddr("127.0.0.1", 7012);
	static char got[1 << 16], base[1 << 16];
	lo_message m;

	/* units: one message per instance under /ch/8; the count from the
	 * templates (<a>: NBUS buses, <b>: 4 bands, <d>: 8 DCAs, <g>: 6 mute
	 * groups), not from the router */
	int want = 0;
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if ((p->type == PT_METER && id != P_CH_FADER_EFF) || strncmp(p->path, "/ch/<n>/", 8) != 0)
			continue;
		want += strstr(p->path, "<b>")   ? 4
		        : strstr(p->path, "<a>") ? (int)NBUS
		        : strstr(p->path, "<d>") ? 8
		        : strstr(p->path, "<g>") ? 6
		                                 : 1;
	}
	int mark = ncap;
	m = lo_message_new();
	lo_message_add_string(m, "/ch/8");
	lo_message_add_string(m, "units");
	send_msg(&F, "/dump", m);
	tick_for(1000);
	int n = dump_paths(mark, &F, got, sizeof got);
	CHECK(n == want, "dump units /ch/8: %d messages, %d instances", n, want);
	CHECK(strstr(got, "/ch/8/fader/db\n") && !strstr(got, "/ch/8/fader\n") && !strstr(got, "/text\n") &&
	          !strstr(got, "/norm\n") && strstr(got, "/ch/8/eq/4/q\n") &&
	          strstr(got, "/ch/8/send/2/pre\n"),
	      "dump units /ch/8: not the unit forms:\n%s", got);

	/* changed: the baseline, then three changes, then one undone */
	mark = ncap;
	m = lo_message_new();
	lo_message_add_string(m, "/ch/8");
	lo_message_add_string(m, "changed,units");
	send_msg(&F, "/dump", m);
	tick_for(1000);
	int nb = dump_paths(mark, &F, base, sizeof base);
	const char *mine[] = {"/ch/8/fader/db\n", "/ch/8/eq/3/hz\n", "/ch/8/name\n"};
	for (int k = 0; k < 3; k++)
		CHECK(!strstr(base, mine[k]), "%s already changed before the test", mine[k]);
	sendf(&A, "/ch/8/fader", 0.5f); /* normalised: the value differs in any form */
	sendf(&A, "/ch/8/eq/3/hz", 2001.0f);
	sends(&A, "/ch/8/name", "Bass");
	sendf(&A, "/ch/8/eq/2/hz", 500.0f); /* band 2's own default: unchanged */
	mark = ncap;
	m = lo_message_new();
	lo_message_add_string(m, "/ch/8");
	lo_message_add_string(m, "changed,units");
	send_msg(&F, "/dump", m);
	tick_for(1000);
	n = dump_paths(mark, &F, got, sizeof got);
	CHECK(n == nb + 3, "dump changed after 3 changes: %d, baseline %d:\n%s", n, nb, got);
	for (int k = 0; k < 3; k++)
		CHECK(strstr(got, mine[k]) != NULL, "dump changed lacks %s", mine[k]);
	CHECK(!strstr(got, "/ch/8/eq/2/hz\n"), "a value set to its default listed as changed");
	/* without units, the changed instance comes in all its forms */
	sendf(&A, "/ch/8/eq/3/hz", 2000.0f); /* band 3's default again */
	mark = ncap;
	m = lo_message_new();
	lo_message_add_string(m, "/ch/8/fader");
	lo_message_add_string(m, "changed");
	send_msg(&F, "/dump", m);
	tick_for(1000);
	n = dump_paths(mark, &F, got, sizeof got);
	CHECK(n == 3 && strstr(got, "/ch/8/fader/db\n") && strstr(got, "/ch/8/fader/text\n"),
	      "dump changed /ch/8/fader: %d:\n%s", n, got);
	mark = ncap;
	m = lo_message_new();
	lo_message_add_string(m, "/ch/8/eq/3");
	lo_message_add_string(m, "changed");
	send_msg(&F, "/dump", m);
	tick_for(1000);
	CHECK(dump_paths(mark, &F, got, sizeof got) == 0, "a value set back to its default is listed:\n%s",
	      got);
	/* a bad option is refused */
	mark = ncap;
	m = lo_message_new();
	lo_message_add_string(m, "");
	lo_message_add_string(m, "units,everything");
	send_msg(&F, "/dump", m);
	tick_for(100);
	struct cap *e = find(mark, &F, "/error");
	CHECK(e && find(mark, &F, "/dump/done") == NULL, "/dump with a bad option not refused");
	sendf(&A, "/ch/8/fader/db", 0.0f);
	sends(&A, "/ch/8/name", "");
}

static void test_dump_and_meters(void)
{
	struct sockaddr_in F = mkaddr("127.0.0.1", 7010);
	int mark = ncap;
	sends(&F, "/dump", "/master");
	tick_for(1000);
	struct cap *done = find(mark, &F, "/dump/done");
	CHECK(done != NULL, "no /dump/done");
	int n = 0;
	for (int k = mark; k < ncap; k++)
		if (to_is(&caps[k], &F) && strcmp(caps[k].path, "/dump/done") != 0) {
			n++;
			CHECK(strncmp(caps[k].path, "/master/", 8) == 0, "dump /master sent %s",
			      caps[k].path);
		}
	CHECK(done && done->i == n && n > 20, "dump count %d, /dump/done says %d", n, done ? done->i : -1);
	CHECK(find(mark, &F, "/master/limiter/ceiling/db") != NULL, "dump lacks the limiter ceiling");

	/* meters only to meter subscribers, 20 Hz */
	struct sockaddr_in G = mkaddr("127.0.0.1", 7011);
	sends(&G, "/subscribe", "meters");
	mark = ncap;
	for (int k = 0; k < 10; k++) {
		now_ms += 50;
		osc_meter_tick(osc, now_ms);
	}
	int nm = count(mark, &G, "/ch/3/meter");
	CHECK(nm == 10, "meter updates in 0.5 s at 20 Hz: %d", nm);
	struct cap *c = find(mark, &G, "/ch/3/meter");
	CHECK(c && strcmp(c->types, "ff") == 0 && c->f[0] == -8.0f && c->f[1] == -11.0f, "meter values");
	c = find(mark, &G, "/ch/3/meter/norm");
	CHECK(c && fabs(c->f[0] - x32_from_db(-8)) < 1e-5, "meter normalised");
	c = find(mark, &G, "/master/limiter/gr");
	CHECK(c && strcmp(c->types, "f") == 0, "limiter gr meter");
	struct sockaddr_in Cfb = mkaddr("127.0.0.3", 9000);
	CHECK(count(mark, &B, "/ch/3/meter") == 0, "meters sent to a values-only client");
	CHECK(count(mark, &Cfb, "/ch/3/meter") == 0, "meters sent to an auto client");
	/* /meters turns them on for the sender's own (auto-registered) client */
	sendi(&C, "/meters", 1);
	mark = ncap;
	now_ms += 50;
	osc_meter_tick(osc, now_ms);
	CHECK(count(mark, &Cfb, "/ch/3/meter") == 1, "/meters 1 did not enable meters");
	sendi(&C, "/meters", 0);
	/* a meter query */
	c = query("/bus/2/meter");
	CHECK(c && strcmp(c->types, "ff") == 0 && c->f[0] == -7.0f, "bus meter query");
}

static void test_fixed_target(void)
{
	struct osc_net_config cfg;
	osc_net_config_init(&cfg);
	cfg.no_socket = 1;
	cfg.feedback_port = 0; /* no auto-registration */
	cfg.feedback[cfg.n_feedback++] = "127.0.0.9:9100";
	cfg.allow[cfg.n_allow++] = "192.0.2.0/24";
	struct osc_host host = {"test", "0", NULL, NULL, NULL, NULL, NULL};
	struct model *m2 = model_new(&(struct param_shape){2, 0}, NULL);
	struct osc *o2 = osc_new(&host, m2, NULL);
	struct osc_net *n2 = o2 ? osc_net_new(o2, &cfg, NULL) : NULL;
	CHECK(o2 && n2, "osc_new with a fixed target and no buses");
	if (!n2) {
		osc_free(o2);
		model_free(m2);
		return;
	}
	struct osc *save = osc;
	struct osc_net *save_udp = udp;
	osc = o2;
	udp = n2;
	osc_net_set_send_hook(n2, hook, NULL);
	struct sockaddr_in fx = mkaddr("127.0.0.9", 9100), net = mkaddr("192.0.2.44", 1234);
	struct sockaddr_in netfb = mkaddr("192.0.2.44", 9000);
	tick_for(1000);
	int mark = ncap;
	CHECK(sendf(&net, "/ch/2/fader/db", -5) == 0, "allowed network refused");
	tick_for(40);
	CHECK(find(mark, &fx, "/ch/2/fader/db") != NULL, "fixed target got no feedback");
	CHECK(find(mark, &netfb, "/ch/2/fader/db") == NULL, "auto-registration with port 0");
	expect_error("no buses", "/bus/1/fader/db", mf(0), "range");
	osc = save;
	udp = save_udp;
	osc_net_free(n2);
	osc_free(o2);
	model_free(m2);
}

/* ------------------------------------------------------------------ */
/* A second transport (not UDP): clients made by the test, packets in   */
/* through osc_client_packet, packets out through their own send.       */

#define FAKE_MAX 4096
struct fake_client {
	const char *name;
	struct osc_client *c;
	int freed; /* osc_client_free was called: nothing may arrive */
	int after_free;
	int n;
	char path[FAKE_MAX][64];
	float f[FAKE_MAX];
};

static int fake_send(void *ctx, const void *buf, size_t len)
{
	struct fake_client *fc = ctx;
	int res = 0;
	if (fc->freed)
		fc->after_free++;
	lo_message m = lo_message_deserialise((void *)buf, len, &res);
	CHECK(m != NULL, "%s: the core sent an invalid OSC message (%d)", fc->name, res);
	if (!m || fc->n >= FAKE_MAX) {
		if (m)
			lo_message_free(m);
		return 0;
	}
	snprintf(fc->path[fc->n], sizeof fc->path[0], "%s", (const char *)buf);
	fc->f[fc->n] = NAN;
	if (lo_message_get_types(m)[0] == 'f')
		memcpy(&fc->f[fc->n], lo_message_get_argv(m)[0], 4);
	fc->n++;
	lo_message_free(m);
	return 0;
}

static const char *fake_describe(void *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "fake:%s", ((struct fake_client *)ctx)->name);
	return buf;
}

/* a connection-like transport: no ports (peer NULL), and every
 * connection is fed as soon as it sends (autofeed: itself) */
static struct osc_client *fake_self(void *ctx)
{
	return ((struct fake_client *)ctx)->c;
}

static const struct osc_transport fake_tp = {"fake", fake_send, fake_describe, NULL, NULL, 0};
static const struct osc_transport fake_auto_tp = {"fake", fake_send, fake_describe, NULL, fake_self, 0};

static int fake_packet(struct fake_client *fc, const char *path, lo_message m)
{
	size_t len;
	void *d = lo_message_serialise(m, path, NULL, &len);
	int r = osc_client_packet(osc, fc->c, d, len, now_ms);
	free(d);
	lo_message_free(m);
	return r;
}

static int fake_count(const struct fake_client *fc, int from, const char *path)
{
	int n = 0;
	for (int k = from; k < fc->n; k++)
		n += !path || !strcmp(fc->path[k], path);
	return n;
}

/* The newest float sent to fc on path since from, or NAN. */
static float fake_last(const struct fake_client *fc, int from, const char *path)
{
	for (int k = fc->n - 1; k >= from; k--)
		if (!strcmp(fc->path[k], path))
			return fc->f[k];
	return NAN;
}

static void test_transport(void)
{
	static struct fake_client X = {.name = "X"}, Y = {.name = "Y"}, Z = {.name = "Z"};
	X.c = osc_client_new(osc, &fake_tp, &X);
	Y.c = osc_client_new(osc, &fake_tp, &Y);
	Z.c = osc_client_new(osc, &fake_auto_tp, &Z);
	CHECK(X.c && Y.c && Z.c && X.c != Y.c, "osc_client_new");
	if (!X.c || !Y.c || !Z.c)
		return;
	CHECK(osc_client_ctx(X.c) == &X, "osc_client_ctx");
	tick_for(2000); /* earlier feedback, to the UDP clients */

	/* replies go to the sender only, through its own send */
	CHECK(fake_packet(&X, "/ping", lo_message_new()) == 0, "X /ping dispatched");
	CHECK(fake_count(&X, 0, "/pong") == 1 && fake_count(&Y, 0, NULL) == 0, "/pong: X %d, Y %d",
	      fake_count(&X, 0, "/pong"), fake_count(&Y, 0, NULL));
	fake_packet(&Y, "/ping", lo_message_new());
	CHECK(fake_count(&Y, 0, "/pong") == 1 && fake_count(&X, 0, "/pong") == 1, "/pong to Y");
	int mx = X.n;
	fake_packet(&X, "/ch/99/fader/db", mf(1));
	CHECK(fake_count(&X, mx, "/error") == 1 && fake_count(&Y, 0, "/error") == 0, "/error to X only");

	/* both subscribe (no port: the transport has none); the state
	 * burst reaches each */
	int my = Y.n;
	mx = X.n;
	fake_packet(&X, "/subscribe", lo_message_new());
	fake_packet(&Y, "/subscribe", lo_message_new());
	CHECK(osc_client_busy(osc, X.c) && osc_client_busy(osc, Y.c), "subscribed clients are busy");
	tick_for(2000);
	CHECK(fake_count(&X, mx, "/ch/3/fader/db") == 1 && fake_count(&Y, my, "/ch/3/fader/db") == 1,
	      "state burst: X %d, Y %d", fake_count(&X, mx, "/ch/3/fader/db"),
	      fake_count(&Y, my, "/ch/3/fader/db"));
	/* Z never subscribed: fed because it sent (autofeed) */
	int mz = Z.n;
	fake_packet(&Z, "/ping", lo_message_new());
	CHECK(fake_count(&Z, mz, "/pong") == 1, "/pong to Z");
	tick_for(2000);
	CHECK(fake_count(&Z, mz, "/ch/3/fader/db") == 1, "autofeed: Z got no state burst");

	/* X moves a fader: Y and Z get every form, X only the others */
	mx = X.n, my = Y.n, mz = Z.n;
	fake_packet(&X, "/ch/3/fader/db", mf(-17));
	tick_for(40);
	CHECK(fake_last(&Y, my, "/ch/3/fader/db") == -17.0f, "Y: feedback %g",
	      (double)fake_last(&Y, my, "/ch/3/fader/db"));
	CHECK(fake_last(&Z, mz, "/ch/3/fader/db") == -17.0f, "Z: feedback");
	CHECK(fake_count(&X, mx, "/ch/3/fader/db") == 0, "X got its own value echoed");
	CHECK(fake_count(&X, mx, "/ch/3/fader") == 1 && fake_count(&X, mx, "/ch/3/fader/text") == 1,
	      "X lacks the other forms");

	/* a push of another module reaches every value client */
	lo_message bm = lo_message_new();
	lo_message_add_int32(bm, 1);
	size_t blen;
	void *bd = lo_message_serialise(bm, "/record/status", NULL, &blen);
	mx = X.n, my = Y.n;
	osc_broadcast_raw(osc, "/record/status", bd, blen);
	CHECK(fake_count(&X, mx, "/record/status") == 1 && fake_count(&Y, my, "/record/status") == 1,
	      "broadcast to both");

	/* Y goes away mid-way: nothing more reaches it, X carries on */
	osc_client_free(osc, Y.c);
	Y.freed = 1;
	my = Y.n;
	mx = X.n;
	model_set(model, P_CH_FADER, 2, 0, -23.0f, NULL);
	fake_packet(&X, "/ch/3/fader/db", mf(-19));
	fake_packet(&X, "/dump", lo_message_new());
	osc_broadcast_raw(osc, "/record/status", bd, blen);
	tick_for(3000);
	now_ms += 50;
	osc_meter_tick(osc, now_ms);
	CHECK(Y.after_free == 0 && Y.n == my, "a freed client was sent %d packets", Y.after_free);
	CHECK(fake_count(&X, mx, "/ch/3/fader") >= 1 && fake_count(&X, mx, "/dump/done") == 1 &&
	          fake_count(&X, mx, "/record/status") == 1,
	      "X stopped getting feedback when Y went");
	CHECK(fake_last(&Z, mz, "/ch/3/fader/db") == -19.0f, "Z: feedback after Y went");
	free(bd);
	lo_message_free(bm);

	/* X and Z go too; their targets end with them */
	osc_client_free(osc, X.c);
	X.freed = 1;
	osc_client_free(osc, Z.c);
	Z.freed = 1;
	model_set(model, P_CH_FADER, 2, 0, 0.0f, NULL);
	tick_for(100);
	CHECK(X.after_free == 0 && Z.after_free == 0, "freed clients were sent packets: X %d, Z %d",
	      X.after_free, Z.after_free);
}

/* ------------------------------------------------------------------ */
/* Programs on one host: a client is an address and a port              */

/* What `to` got since mark of one change: n messages on path (with the
 * value checked by the caller through find). */
static int once(int mark, const struct sockaddr_in *to, const char *path)
{
	return count(mark, to, path) == 1;
}

static void test_local_peers(void)
{
	/* host H: a surface listening on the feedback port (Sfb, like oscdump
	 * -L 9000) registered by a one-shot sender (R, like oscsend /ping);
	 * a program P on another port of H that also watches (subscribed to
	 * its own port, like jackmixctl watch) */
	struct sockaddr_in R = mkaddr("127.0.0.5", 7100), P = mkaddr("127.0.0.5", 7200);
	struct sockaddr_in Sfb = mkaddr("127.0.0.5", 9000), Ssend = mkaddr("127.0.0.5", 7300);
	struct cap *c;
	int mark;
	tick_for(200);
	send0(&R, "/ping");
	sendi(&P, "/subscribe", 0);
	tick_for(2000); /* both state bursts */

	/* P changes one parameter of every kind; the surface gets each in
	 * every form, exactly once; P gets only the forms it did not send */
	const int hshelf = 2; /* of EQ_TYPES "peak lshelf hshelf" */
	mark = ncap;
	sendi(&P, "/ch/3/mute", 1);             /* bool */
	sends(&P, "/ch/3/eq/2/type", "hshelf"); /* enum, by name */
	sendf(&P, "/ch/3/fader/db", -12);       /* float, unit form */
	sendf(&P, "/ch/4/fader", 0.5f);         /* float, normalised form */
	sends(&P, "/ch/3/name", "Kick");        /* string */
	tick_for(40);
	c = find(mark, &Sfb, "/ch/3/mute");
	CHECK(once(mark, &Sfb, "/ch/3/mute") && c->i == 1, "surface: bool from another program");
	c = find(mark, &Sfb, "/ch/3/eq/2/type");
	CHECK(once(mark, &Sfb, "/ch/3/eq/2/type") && c->i == hshelf, "surface: enum %d, want %d",
	      c ? c->i : -1, hshelf);
	c = find(mark, &Sfb, "/ch/3/fader/db");
	CHECK(once(mark, &Sfb, "/ch/3/fader/db") && fabs(c->f[0] + 12) < 1e-5, "surface: fader dB");
	c = find(mark, &Sfb, "/ch/3/fader");
	CHECK(once(mark, &Sfb, "/ch/3/fader") && fabs(c->f[0] - x32_from_db(-12)) < 1e-5,
	      "surface: fader normalised");
	c = find(mark, &Sfb, "/ch/3/fader/text");
	CHECK(once(mark, &Sfb, "/ch/3/fader/text") && !strcmp(c->s, "-12.0 dB"), "surface: fader text");
	c = find(mark, &Sfb, "/ch/4/fader");
	CHECK(once(mark, &Sfb, "/ch/4/fader") && fabs(c->f[0] - 0.5) < 1e-6, "surface: normalised form");
	c = find(mark, &Sfb, "/ch/4/fader/db");
	CHECK(once(mark, &Sfb, "/ch/4/fader/db") && fabs(c->f[0] - x32_to_db(0.5)) < 1e-3,
	      "surface: dB of a normalised set (%g, want %g)", c ? c->f[0] : 99, x32_to_db(0.5));
	char text[32];
	snprintf(text, sizeof text, "%+.1f dB", x32_to_db(0.5));
	c = find(mark, &Sfb, "/ch/4/fader/text");
	CHECK(once(mark, &Sfb, "/ch/4/fader/text") && !strcmp(c->s, text), "surface: text '%s', want '%s'",
	      c ? c->s : "-", text);
	c = find(mark, &Sfb, "/ch/3/name");
	CHECK(once(mark, &Sfb, "/ch/3/name") && !strcmp(c->s, "Kick"), "surface: name");
	/* the sender: the forms it did not send, nothing it did */
	CHECK(!find(mark, &P, "/ch/3/mute") && !find(mark, &P, "/ch/3/eq/2/type") &&
	          !find(mark, &P, "/ch/3/fader/db") && !find(mark, &P, "/ch/4/fader") &&
	          !find(mark, &P, "/ch/3/name"),
	      "the sender got a form it sent back");
	CHECK(once(mark, &P, "/ch/3/fader") && once(mark, &P, "/ch/3/fader/text") &&
	          once(mark, &P, "/ch/4/fader/db") && once(mark, &P, "/ch/4/fader/text"),
	      "the sender lacks a form it did not send");

	/* the surface sends from the port it listens on: it is the sender */
	mark = ncap;
	sendi(&Sfb, "/ch/5/mute", 1);
	sendf(&Sfb, "/ch/5/fader/db", -6);
	sends(&Sfb, "/ch/5/name", "Snare");
	tick_for(40);
	CHECK(!find(mark, &Sfb, "/ch/5/mute") && !find(mark, &Sfb, "/ch/5/fader/db") &&
	          !find(mark, &Sfb, "/ch/5/name"),
	      "a surface sending from its feedback port got its own form back");
	CHECK(once(mark, &Sfb, "/ch/5/fader") && once(mark, &Sfb, "/ch/5/fader/text"),
	      "a surface sending from its feedback port lacks the other forms");
	CHECK(once(mark, &P, "/ch/5/mute") && once(mark, &P, "/ch/5/fader/db") &&
	          once(mark, &P, "/ch/5/fader") && once(mark, &P, "/ch/5/fader/text") &&
	          once(mark, &P, "/ch/5/name"),
	      "the program missed a form of the surface's change");

	/* the surface sends from another port (Ssend): to the daemon it is
	 * another program, so its own change comes back in every form ... */
	mark = ncap;
	sendf(&Ssend, "/ch/6/fader", 0.25f);
	tick_for(40);
	CHECK(once(mark, &Sfb, "/ch/6/fader") && once(mark, &Sfb, "/ch/6/fader/db"),
	      "another port of the host is another client: every form");
	/* ... until it names the port it listens on: then that port is its
	 * own, instead of the auto-registration (nothing twice) */
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 9000);
	lo_message_add_int32(m, 3600);
	send_msg(&Ssend, "/subscribe", m);
	tick_for(2000);
	mark = ncap;
	sendf(&Ssend, "/ch/6/fader", 0.3f);
	tick_for(40);
	CHECK(!find(mark, &Sfb, "/ch/6/fader"), "a subscribed surface got its own form back");
	CHECK(once(mark, &Sfb, "/ch/6/fader/db") && once(mark, &Sfb, "/ch/6/fader/text"),
	      "a subscribed surface: db %d text %d (want 1 each)", count(mark, &Sfb, "/ch/6/fader/db"),
	      count(mark, &Sfb, "/ch/6/fader/text"));
	mark = ncap;
	sendi(&P, "/ch/6/mute", 1);
	sendf(&P, "/ch/6/fader", 0.6f);
	tick_for(40);
	CHECK(once(mark, &Sfb, "/ch/6/mute") && once(mark, &Sfb, "/ch/6/fader") &&
	          once(mark, &Sfb, "/ch/6/fader/db") && once(mark, &Sfb, "/ch/6/fader/text"),
	      "a subscribed surface: another program's change, each form once (mute %d fader %d)",
	      count(mark, &Sfb, "/ch/6/mute"), count(mark, &Sfb, "/ch/6/fader"));

	/* restore */
	for (unsigned n = 3; n <= 6; n++) {
		char path[64];
		snprintf(path, sizeof path, "/ch/%u/mute", n);
		sendi(&P, path, 0);
		snprintf(path, sizeof path, "/ch/%u/fader/db", n);
		sendf(&P, path, 0);
	}
	sendi(&P, "/ch/3/eq/2/type", 0);
	sendi(&P, "/unsubscribe", 0);
	sendi(&Ssend, "/unsubscribe", 0);
	tick_for(100);
}

int main(void)
{
	log_set_level(LOG_ERR);
	struct param_shape shape = {NCH, NBUS};
	CHECK(rtq_init(&q, 4096, sizeof(struct rt_msg)) == 0, "rtq");
	model = model_new(&shape, &q);
	struct osc_net_config cfg;
	osc_net_config_init(&cfg);
	cfg.no_socket = 1;
	struct osc_host host = {"jmxtest", "9.9", NULL, NULL, NULL, meter_take, NULL};
	osc = osc_new(&host, model, NULL);
	udp = osc ? osc_net_new(osc, &cfg, NULL) : NULL;
	CHECK(model && osc && udp, "setup");
	if (!udp)
		return test_exit("test_osc");
	osc_net_set_send_hook(udp, hook, NULL);
	A = mkaddr("127.0.0.1", 7001);
	B = mkaddr("127.0.0.1", 7002);
	C = mkaddr("127.0.0.3", 7003);

	test_roundtrip_every_param();
	drain_rt();
	test_bad_input();
	test_key_numbers();
	test_syntax();
	test_bundle();
	test_allow();
	test_feedback();
	test_dump_and_meters();
	test_dump_options();
	test_fixed_target();
	test_transport();
	test_local_peers();

	char err[256];
	struct osc_net_config bad;
	osc_net_config_init(&bad);
	bad.allow[bad.n_allow++] = "10.0.0.0/33";
	CHECK(osc_net_config_check(&bad, err, sizeof err) < 0 && strstr(err, "--allow"), "bad CIDR accepted");
	osc_net_config_init(&bad);
	bad.feedback[bad.n_feedback++] = "host-without-port";
	CHECK(osc_net_config_check(&bad, err, sizeof err) < 0 && strstr(err, "--feedback"),
	      "bad HOST:PORT accepted");
	osc_net_config_init(&bad);
	bad.listen = "300.1.1.1";
	CHECK(osc_net_config_check(&bad, err, sizeof err) < 0 && strstr(err, "--listen"),
	      "bad --listen accepted");

	osc_net_free(udp);
	osc_free(osc);
	model_free(model);
	rtq_destroy(&q);
	return test_exit("test_osc");
}
