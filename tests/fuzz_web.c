/*
 * fuzz_web.c - libFuzzer target for the web surface, two entries chosen
 * by the first byte of an input:
 *
 *   a WebSocket message (sel & 3 = 0 engineer, 1 musician of bus 1,
 *   2 musician of the last bus): the rest of the input is one binary
 *   message, and it takes the control side's path of a real one: webq's
 *   inbound record (webq_web_packet, as the web thread queues it) ->
 *   web_osc_drain (what the control loop runs on the queue's descriptor)
 *   -> the musician filter -> osc_client_packet of the OSC core, with
 *   its replies, feedback and meters queued back per connection.  This
 *   file plays the web thread: it pops the output (or, when sel says so,
 *   stops reading, so the queue bound, meter dropping and the close of a
 *   client that does not read are reached), closes a connection the
 *   control side killed and opens it again.  The state (model,
 *   subscriptions, queues) carries over from one input to the next.
 *
 *   request checks (sel & 3 = 3): the rest, split at NUL bytes, is a
 *   Host, an Origin, a URI (also %-decoded once, as the library hands it
 *   over), a key and a file name for web_path.c, and a string for
 *   web_path_json_escape.
 *
 * Invariants checked after every input: every value in the model is
 * finite and inside its range; a musician's message changes nothing but
 * its own bus's sends; every message queued to a client is valid OSC
 * (liblo parses it) and each queue stays inside its bound; a path
 * web_path_rel_ok accepts cannot leave its directory (checked by
 * resolving it lexically here) and holds no '%' for a second decoding to
 * find; a Host or name accepted holds nothing that separates URL parts;
 * an Origin accepted is "http://" + Host; keys compare as strcmp would;
 * the JSON escape's output is a valid JSON string body (UTF-8, no bare
 * quote, backslash or control byte).  Sanitizers see no error.
 *
 * Build: tests/fuzz-web.sh (clang -fsanitize=fuzzer,address,undefined).
 * Threads: one (it plays both sides of webq; roles are not set).
 */
#include <lo/lo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curve_osc.h"
#include "log.h"
#include "model.h"
#include "osc.h"
#include "params.h"
#include "rtqueue.h"
#include "web.h"
#include "web_osc.h"
#include "web_path.h"
#include "webq.h"

#define PRE 16u

static const struct param_shape shape = {4, 2};
static struct osc *osc;
static struct model *model;
static struct web_osc *wo;
static struct webq *q;
static struct rtq rq;
static uint64_t now = 1000;
static int slot[3] = {-1, -1, -1}; /* engineer, musician bus 1, musician bus 2 */
static int stalled[3];             /* that connection's reader stopped */
static float before[4096];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_web: %s\n", what);
	abort();
}

static int meter_take(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	(void)ctx;
	(void)idx;
	out[0] = -20.0f;
	out[1] = -23.0f;
	return id == P_CH_METER || id == P_BUS_METER || id == P_MASTER_METER ? 2 : 1;
}

static unsigned rate(void *ctx)
{
	(void)ctx;
	return 48000;
}

static void open_conn(unsigned who)
{
	slot[who] = webq_web_open(q, who ? WEBQ_MUSICIAN : WEBQ_ENGINEER, who ? who - 1 : 0,
	                          who ? "10.1.2.3:4000" : "127.0.0.1:4000");
	if (slot[who] < 0)
		die("no slot for a connection");
	stalled[who] = 0;
	web_osc_drain(wo, now);
}

/* An output message: an OSC message liblo parses, or a bundle (the
 * meters of a tick) whose every element is one, with nothing left over. */
static void check_out(const unsigned char *b, size_t len)
{
	int res = 0;
	if (len >= 16 && memcmp(b, "#bundle", 8) == 0) {
		size_t pos = 16;
		while (pos < len) {
			if (len - pos < 4)
				die("a bundle sent to a client ends inside an element's size");
			size_t n = (size_t)b[pos] << 24 | (size_t)b[pos + 1] << 16 | (size_t)b[pos + 2] << 8 |
			           b[pos + 3];
			if (n == 0 || n > len - pos - 4 || memcmp(b + pos + 4, "#bundle", 8) == 0)
				die("a bundle sent to a client has a bad element");
			check_out(b + pos + 4, n);
			pos += 4 + n;
		}
		return;
	}
	lo_message m = lo_message_deserialise((void *)b, len, &res);
	if (!m) {
		fprintf(stderr, "fuzz_web: a client would be sent an invalid OSC message (%d, %zu bytes)\n",
		        res, len);
		abort();
	}
	lo_message_free(m);
}

/* The web thread's part for connection who: write what is queued (or
 * not, when it stopped reading), close what the control side killed. */
static void web_side(unsigned who, int reads)
{
	unsigned s = (unsigned)slot[who];
	unsigned todo = webq_web_todo(q, s);
	if (reads) {
		size_t len, n = 0, bytes = 0;
		unsigned char *b;
		while ((b = webq_web_pop(q, s, &len))) {
			check_out(b + PRE, len);
			n++;
			bytes += len;
			free(b);
		}
		if (n > WEBQ_OUT_MAX_MSGS || bytes > WEBQ_OUT_MAX_BYTES)
			die("an output queue held more than its bound");
	}
	if (todo & WEBQ_DO_CLOSE) {
		webq_web_close(q, s);
		web_osc_drain(wo, now); /* the CLOSE record: client freed, slot released */
		open_conn(who);
	}
}

static void snapshot(void)
{
	unsigned k0 = 0;
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (p->type == PT_STRING || p->type == PT_METER)
			continue;
		unsigned n1, n2, n = param_instances((enum param_id)id, &shape);
		model_dims(model, (enum param_id)id, &n1, &n2);
		for (unsigned k = 0; k < n && k0 < sizeof before / sizeof before[0]; k++)
			before[k0++] = model_get(model, (enum param_id)id, k / n2, k % n2);
	}
}

/* Every value finite and in range; after a musician's message (bus >= 0)
 * only that bus's sends may differ from the snapshot. */
static void check_model(int bus)
{
	unsigned k0 = 0;
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (p->type == PT_STRING || p->type == PT_METER)
			continue;
		unsigned n1, n2, n = param_instances((enum param_id)id, &shape);
		model_dims(model, (enum param_id)id, &n1, &n2);
		for (unsigned k = 0; k < n; k++, k0++) {
			float v = model_get(model, (enum param_id)id, k / n2, k % n2);
			if (!isfinite(v) || v < p->min || v > p->max) {
				fprintf(stderr, "fuzz_web: %s[%u] = %g outside %g..%g\n", p->name, k,
				        (double)v, (double)p->min, (double)p->max);
				abort();
			}
			int own = (id == P_CH_SEND_LEVEL || id == P_CH_SEND_PRE) && k % n2 == (unsigned)bus;
			if (bus >= 0 && !own && k0 < sizeof before / sizeof before[0] &&
			    memcmp(&v, &before[k0], sizeof v) != 0) {
				fprintf(stderr, "fuzz_web: a musician of bus %d changed %s[%u]: %g -> %g\n",
				        bus + 1, p->name, k, (double)before[k0], (double)v);
				abort();
			}
		}
	}
}

/* ---- the request checks ---------------------------------------------------- */

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* %XX decoded once (a NUL byte ends the string, as in a C string). */
static void urldecode(char *out, const char *in)
{
	size_t o = 0;
	for (size_t i = 0; in[i]; i++) {
		int h, l;
		if (in[i] == '%' && (h = hexval(in[i + 1])) >= 0 && (l = hexval(in[i + 2])) >= 0) {
			out[o++] = (char)(h * 16 + l);
			i += 2;
			if (!out[o - 1])
				break;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = 0;
}

/* Whether a relative path, resolved segment by segment as a file system
 * would (".." up, "." and "" stay), leaves its directory. */
static int leaves(const char *rel)
{
	int depth = 0;
	if (rel[0] == '/')
		return 1;
	for (const char *s = rel;;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.' && --depth < 0)
			return 1;
		if (n && !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.'))
			depth++;
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

static void check_rel(const char *rel)
{
	if (!web_path_rel_ok(rel))
		return;
	if (leaves(rel) || strchr(rel, '%') || strchr(rel, '\\'))
		die("web_path_rel_ok accepted a path that leaves its directory or holds an escape");
	if (web_path_name_ok(rel) && strchr(rel, '/'))
		die("web_path_name_ok accepted a path");
}

/* A JSON string body: valid UTF-8, escapes JSON knows, no bare '"',
 * no control byte. */
static void check_json(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p == '"' || *p < 0x20)
			die("json escape: a bare quote or control byte");
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (hexval(p[i]) < 0)
						die("json escape: bad \\u");
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				die("json escape: bad escape");
			}
			continue;
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		unsigned need, cp;
		if ((*p & 0xe0) == 0xc0)
			need = 1, cp = *p & 0x1f;
		else if ((*p & 0xf0) == 0xe0)
			need = 2, cp = *p & 0x0f;
		else if ((*p & 0xf8) == 0xf0)
			need = 3, cp = *p & 0x07;
		else
			die("json escape: invalid UTF-8 lead byte");
		for (unsigned i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				die("json escape: truncated UTF-8");
			cp = cp << 6 | (p[i] & 0x3fu);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			die("json escape: overlong or invalid code point");
		p += need + 1;
	}
}

static void requests(const uint8_t *data, size_t size)
{
	static char buf[4096 + 1], dec[4096 + 1], esc[6 * 4096 + 8];
	const char *f[5] = {"", "", "", "", ""};
	static const char *const names[3] = {"mixhost", "mixhost.local", "10.0.0.5"};
	static const char key[] = "0123456789abcdef0123456789abcdef";
	if (size > 4096)
		size = 4096;
	memcpy(buf, data, size);
	buf[size] = 0;
	unsigned nf = 0;
	for (size_t i = 0; nf < 5 && i <= size;) {
		f[nf++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	const char *host = f[0], *origin = f[1], *uri = f[2], *given = f[3], *name = f[4];

	if (web_path_host_ok(host, names, 3) && (!host[0] || strpbrk(host, "/\\@?# \t\r\n")))
		die("web_path_host_ok accepted a Host with URL separators");
	if (web_path_origin_ok(origin, host) && strncasecmp(origin, "http://", 7) != 0)
		die("web_path_origin_ok accepted another scheme");
	if (web_path_origin_ok(origin, host) && strcasecmp(origin + 7, host) != 0)
		die("web_path_origin_ok accepted another host");

	check_rel(uri[0] == '/' ? uri + 1 : uri);
	urldecode(dec, uri);
	check_rel(dec[0] == '/' ? dec + 1 : dec);

	if (web_path_key_eq(given, key) != (strcmp(given, key) == 0))
		die("web_path_key_eq differs from strcmp");
	if (web_path_key_eq(given, name) != (name[0] && strcmp(given, name) == 0))
		die("web_path_key_eq differs from strcmp (any key)");

	if (web_path_name_ok(name) && (strchr(name, '/') || name[0] == '.' || strlen(name) > 255))
		die("web_path_name_ok accepted a path, a hidden name or a long one");
	if (!web_path_mime(name))
		die("no content type");

	/* the whole input as one string, and with a small buffer */
	web_path_json_escape(esc, sizeof esc, buf);
	check_json(esc);
	web_path_json_escape(esc, 1 + (size & 31), buf);
	check_json(esc);
}

/* ---- libFuzzer --------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERR);
	if (rtq_init(&rq, 1024, sizeof(struct rt_msg)) < 0)
		abort();
	model = model_new(&shape, &rq);
	struct osc_host host = {"fuzz", "0", NULL, NULL, NULL, meter_take, NULL};
	osc = model ? osc_new(&host, model, NULL) : NULL;
	if (!osc || !curve_osc_new(model, osc, rate, NULL))
		abort();
	wo = web_osc_new_queue(osc, &shape, PRE);
	if (!wo)
		abort();
	q = web_osc_queue(wo);
	for (unsigned who = 0; who < 3; who++)
		open_conn(who);
	return 0;
}

/* sel: bits 0-1 the entry and the sender (3: request checks), bit 2 the
 * web side stops reading that connection, or starts again (its queue
 * fills across inputs until the control side closes it), bits 3-4 the
 * time step, bit 5 eight meter ticks 50 ms apart (64 when the reader of
 * the connection stopped),
 * bit 6 the audio thread drains its queue, bit 7 the connection closes
 * and opens again after the message. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > WEB_MAX_MSG)
		return 0;
	uint8_t sel = data[0];
	unsigned who = sel & 3;
	if (who == 3) {
		requests(data + 1, size - 1);
		return 0;
	}
	snapshot();
	if (webq_web_packet(q, (unsigned)slot[who], data + 1, size - 1) < 0)
		die("webq_web_packet failed");
	web_osc_drain(wo, now);
	check_model(who ? (int)who - 1 : -1);

	now += (uint64_t)((sel >> 3) & 3) * 400u;
	osc_tick(osc, now);
	if (sel & 4)
		stalled[who] ^= 1;
	/* a stopped reader gets a flood, so its queue's bound is reached */
	for (unsigned i = 0; i < ((sel & 0x20) ? (stalled[who] ? 64u : 8u) : 0u); i++) {
		now += 50;
		osc_meter_tick(osc, now);
	}
	for (unsigned w = 0; w < 3; w++)
		web_side(w, !stalled[w]);
	if (sel & 0x80) {
		webq_web_close(q, (unsigned)slot[who]);
		web_osc_drain(wo, now);
		open_conn(who);
	}
	check_model(-1);
	if (sel & 0x40) {
		struct rt_msg m;
		while (rtq_pop(&rq, &m) == 0)
			if (m.id >= P_COUNT || !isfinite(m.value))
				die("a bad record for the audio thread");
	}
	return 0;
}
