/*
 * test_web.c - the web surface without sockets or threads:
 *   webq: a client that stops reading costs at most its bound; meters go
 *   first, the latest value of every address stays, replies keep their
 *   order; past the bound the connection is marked to close; a closed
 *   slot is not reused before its release; the inbound queue throttles;
 *   web_path: Host (DNS rebinding), Origin, names under the app and record
 *   directories, keys;
 *   web_osc: the musician filter (its bus's sends and queries only, every
 *   element of a bundle) and the output classification;
 *   meters: the meters of one tick reach a WebSocket client as ONE
 *   bundle holding every meter instance (unit and fader forms) with the
 *   values the meter source gave, and nothing else;
 *   web_keys: made once, 32 hex digits, mode 0600, kept across loads;
 *   the JSON escape of outside names; a file open for writing (a take
 *   being written) told from a finished one.
 */
#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "osc.h"
#include "params_path.h"
#include "rtqueue.h"
#include "test_util.h"
#include "web.h"
#include "web_keys.h"
#include "web_osc.h"
#include "web_path.h"
#include "webq.h"

static size_t msg(unsigned char *out, const char *path, float v)
{
	size_t len = 0;
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	void *b = lo_message_serialise(m, path, NULL, &len);
	memcpy(out, b, len);
	free(b);
	lo_message_free(m);
	return len;
}

static size_t msg0(unsigned char *out, const char *path)
{
	size_t len = 0;
	lo_message m = lo_message_new();
	void *b = lo_message_serialise(m, path, NULL, &len);
	memcpy(out, b, len);
	free(b);
	lo_message_free(m);
	return len;
}

static size_t bundle2(unsigned char *out, const unsigned char *a, size_t alen, const unsigned char *b,
                      size_t blen)
{
	size_t o = 0;
	memcpy(out, "#bundle\0\0\0\0\0\0\0\0\1", 16);
	o = 16;
	const unsigned char *el[2] = {a, b};
	size_t len[2] = {alen, blen};
	for (int i = 0; i < 2; i++) {
		out[o++] = 0, out[o++] = 0, out[o++] = (unsigned char)(len[i] >> 8),
		out[o++] = (unsigned char)len[i];
		memcpy(out + o, el[i], len[i]);
		o += len[i];
	}
	return o;
}

static int wakes;
static void count_wake(void *ctx)
{
	(void)ctx;
	wakes++;
}

static void test_queue_bounds(void)
{
	struct webq *q = webq_new(16);
	struct webq_stats st;
	unsigned char m[256];
	webq_set_wake(q, count_wake, NULL);
	int slot = webq_web_open(q, WEBQ_ENGINEER, 0, "t");
	CHECK(slot >= 0, "open");
	struct webq_rec *r = webq_ctl_take(q);
	CHECK(r && r->kind == WEBQ_OPEN && !r->next, "one OPEN record");
	webq_rec_free(r);

	/* a reader that never reads: a meter every time, and values of 100
	 * addresses over and over */
	size_t mlen = msg(m, "/ch/1/meter", -20.0f);
	unsigned pushed = 0;
	for (unsigned i = 0; i < 3 * WEBQ_OUT_MAX_MSGS; i++)
		if (webq_ctl_push(q, (unsigned)slot, m, mlen, WEBQ_METER) == 0)
			pushed++;
	char path[64];
	int closed = 0;
	for (unsigned round = 0; round < 100 && !closed; round++)
		for (unsigned a = 0; a < 100; a++) {
			snprintf(path, sizeof path, "/ch/%u/fader/db", a + 1);
			size_t len = msg(m, path, -(float)round);
			closed |= webq_ctl_push(q, (unsigned)slot, m, len, WEBQ_VALUE) < 0;
		}
	CHECK(!closed, "values of 100 addresses never overflow (replaced instead)");
	webq_stats(q, &st);
	CHECK(st.meters_dropped > 0 && st.values_replaced > 0, "meters dropped %lu, values replaced %lu",
	      st.meters_dropped, st.values_replaced);
	/* what is left: every address once or more, each with its last value,
	 * within the bound */
	float last[100];
	int seen[100] = {0};
	size_t bytes = 0, len;
	unsigned n = 0;
	unsigned char *b;
	while ((b = webq_web_pop(q, (unsigned)slot, &len))) {
		lo_message lm = lo_message_deserialise(b + 16, len, NULL);
		const char *p = (const char *)b + 16;
		unsigned ch;
		if (lm && sscanf(p, "/ch/%u/fader/db", &ch) == 1 && ch >= 1 && ch <= 100) {
			lo_arg **argv = lo_message_get_argv(lm);
			last[ch - 1] = argv[0]->f;
			seen[ch - 1] = 1;
		}
		if (lm)
			lo_message_free(lm);
		bytes += len;
		n++;
		free(b);
	}
	CHECK(n <= WEBQ_OUT_MAX_MSGS && bytes <= WEBQ_OUT_MAX_BYTES, "bound: %u messages, %zu bytes", n,
	      bytes);
	for (unsigned a = 0; a < 100; a++)
		CHECK(seen[a] && last[a] == -99.0f, "address %u: last value %g (want -99)", a + 1,
		      (double)last[a]);

	/* replies are never replaced: distinct ones past the bound close it */
	int r2 = 0;
	for (unsigned i = 0; i <= WEBQ_OUT_MAX_MSGS && r2 >= 0; i++) {
		size_t l = msg0(m, "/error");
		r2 = webq_ctl_push(q, (unsigned)slot, m, l, WEBQ_REPLY);
	}
	CHECK(r2 < 0, "a reader that never reads is closed past the bound");
	CHECK(webq_web_todo(q, (unsigned)slot) & WEBQ_DO_CLOSE, "the web thread is told to close it");
	CHECK(webq_ctl_push(q, (unsigned)slot, m, 8, WEBQ_REPLY) == 1, "nothing queued for a closing one");

	/* a closed slot is not reused before its release */
	webq_web_close(q, (unsigned)slot);
	int other = webq_web_open(q, WEBQ_ENGINEER, 0, "u");
	CHECK(other != slot, "slot %d reused before release", slot);
	r = webq_ctl_take(q);
	webq_rec_free(r);
	webq_ctl_release(q, (unsigned)slot);
	webq_stats(q, &st);
	CHECK(st.connections == 1, "connections %u", st.connections);

	/* inbound: past WEBQ_IN_MAX_BYTES the connection is throttled, and
	 * may read again once the control thread took the records */
	static unsigned char big[60000];
	int thr = 0;
	for (unsigned i = 0; i < 100 && !thr; i++)
		thr = webq_web_packet(q, (unsigned)other, big, sizeof big);
	CHECK(thr == 1, "throttled");
	r = webq_ctl_take(q);
	unsigned recs = 0;
	for (struct webq_rec *x = r; x; x = x->next)
		recs++;
	CHECK(recs * sizeof big > WEBQ_IN_MAX_BYTES, "nothing lost: %u records", recs);
	webq_rec_free(r);
	CHECK(webq_web_todo(q, (unsigned)other) & WEBQ_DO_RESUME, "resumed after the drain");
	webq_free(q);
}

static void test_paths(void)
{
	const char *names[] = {"mixer", "mixer.local", "127.0.0.1"};
	CHECK(web_path_host_ok("127.0.0.1:8080", names, 3), "ip:port");
	CHECK(web_path_host_ok("[::1]:8080", names, 3), "[v6]:port");
	CHECK(web_path_host_ok("localhost:8080", names, 3), "localhost");
	CHECK(web_path_host_ok("Mixer.local", names, 3), "own name");
	CHECK(!web_path_host_ok("evil.example:8080", names, 3), "rebinding name");
	CHECK(!web_path_host_ok("127.0.0.1.evil.example", names, 3), "ip-looking name");
	CHECK(!web_path_host_ok("localhost.evil", names, 3), "localhost-looking name");
	CHECK(!web_path_host_ok("127.0.0.1:80x", names, 3), "bad port");
	CHECK(!web_path_host_ok("", names, 3) && !web_path_host_ok(NULL, names, 3), "empty");
	CHECK(web_path_origin_ok("http://127.0.0.1:8080", "127.0.0.1:8080"), "same origin");
	CHECK(!web_path_origin_ok("http://evil.example", "127.0.0.1:8080"), "other site");
	CHECK(!web_path_origin_ok("http://127.0.0.1:8081", "127.0.0.1:8080"), "other port");
	CHECK(!web_path_origin_ok("null", "127.0.0.1:8080"), "null origin");
	CHECK(web_path_rel_ok("index.html") && web_path_rel_ok("css/app.css"), "plain names");
	const char *badrel[] = {"..",       "../etc/passwd", "a/../../b", "a//b",     ".hidden",
	                        "a/.git/x", "%2e%2e",        "a%2fb",     "a\\..\\b", "a/b/",
	                        "",         "c:/x",          "a\nb",      "a b"};
	for (size_t i = 0; i < sizeof badrel / sizeof badrel[0]; i++)
		CHECK(!web_path_rel_ok(badrel[i]), "'%s' accepted", badrel[i]);
	CHECK(web_path_name_ok("take-2026.wav") && !web_path_name_ok("a/b.wav") && !web_path_name_ok(".."),
	      "take names");
	CHECK(web_path_key_eq("00112233445566778899aabbccddeeff", "00112233445566778899aabbccddeeff"), "key");
	CHECK(!web_path_key_eq("00112233445566778899aabbccddeefe", "00112233445566778899aabbccddeeff"),
	      "key");
	CHECK(!web_path_key_eq("00112233", "00112233445566778899aabbccddeeff"), "prefix of a key");
	CHECK(!web_path_key_eq("", ""), "empty key");
}

/* JSON strings of names from outside (/api/info's name, /takes/). */
static void test_json(void)
{
	char out[64];
	web_path_json_escape(out, sizeof out, "a\"b\\c\x01\n");
	CHECK(strcmp(out, "a\\\"b\\\\c\\u0001\\u000a") == 0, "escapes: %s", out);
	web_path_json_escape(out, sizeof out, "caf\xc3\xa9 \xff\xc3 \xed\xa0\x80 \xc0\xaf");
	CHECK(strcmp(out, "caf\xc3\xa9 \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd") == 0,
	      "UTF-8 kept, the rest replaced: %s", out);
	CHECK(web_path_json_escape(out, 4, "ab\"cd") == 2 && strcmp(out, "ab") == 0, "cut before an escape");
	CHECK(web_path_json_escape(out, 4,
	                           "a\xc3\xa9"
	                           "b") == 3 &&
	          strcmp(out, "a\xc3\xa9") == 0,
	      "cut after a whole character");
	CHECK(web_path_json_escape(out, 3,
	                           "a\xc3\xa9"
	                           "b") == 1,
	      "never half a character");
}

/* A file of a take being written (the recorder holds it open for
 * writing) is told apart from a finished one. */
static void test_written(void)
{
	char path[] = "/tmp/jmx-test-web-take.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	CHECK(web_file_written(path) == 1, "open for writing: written");
	close(fd);
	CHECK(web_file_written(path) == 0, "closed: finished");
	int rd = open(path, O_RDONLY);
	CHECK(web_file_written(path) == 0, "open for reading only: finished");
	close(rd);
	unlink(path);
	CHECK(web_file_written(path) == -1, "gone");
}

static void test_musician(void)
{
	struct param_shape shape = {8, 4};
	unsigned char a[256], b[256], bun[600];
	char why[256];
	size_t la, lb;
	/* bus index 1 = bus 2 */
	la = msg(a, "/ch/3/send/2/level/db", -6);
	CHECK(web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "own send");
	la = msg(a, "/ch/3/send/2/level", 0.5f);
	CHECK(web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "own send, normalised");
	la = msg(a, "/ch/3/send/2/pre", 1);
	CHECK(web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "own pre");
	la = msg(a, "/ch/3/send/2/level/touch", 1);
	CHECK(web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "own send's touch");
	la = msg0(a, "/ch/3/fader/db");
	CHECK(web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "query");
	la = msg0(a, "/info");
	CHECK(web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "/info");
	/* the recorder's state, which the page's status bar asks for */
	la = msg0(a, "/record/status");
	CHECK(web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "/record/status");
	la = msg(a, "/record/status", 1);
	CHECK(!web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "/record/status with an argument");
	const char *refused[] = {"/ch/3/send/1/level/db", "/ch/3/send/3/level",       "/ch/3/fader/db",
	                         "/bus/2/fader/db",       "/ch/3/send/1/level/touch", "/master/fade",
	                         "/snapshot/load"};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		la = msg(a, refused[i], 0);
		CHECK(!web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "%s allowed", refused[i]);
		CHECK(strcmp(why, refused[i]) == 0, "why '%s'", why);
	}
	const char *noargs[] = {"/ch/3/mute/toggle", "/record/start", "/record/stop",
	                        "/master/loudness/reset", "/state/save"};
	for (size_t i = 0; i < sizeof noargs / sizeof noargs[0]; i++) {
		la = msg0(a, noargs[i]);
		CHECK(!web_osc_musician_ok(a, la, 1, &shape, why, sizeof why), "%s allowed", noargs[i]);
	}
	la = msg(a, "/ch/1/send/2/level/db", -3);
	lb = msg(b, "/ch/1/send/1/level/db", 0);
	size_t n = bundle2(bun, a, la, b, lb);
	CHECK(!web_osc_musician_ok(bun, n, 1, &shape, why, sizeof why), "a bundle hiding another bus's send");
	n = bundle2(bun, a, la, a, la);
	CHECK(web_osc_musician_ok(bun, n, 1, &shape, why, sizeof why), "a bundle of own sends");
	bun[19] = 0xff; /* element size past the end */
	CHECK(!web_osc_musician_ok(bun, n, 1, &shape, why, sizeof why), "a broken bundle");
	CHECK(!web_osc_musician_ok("/ch/1", 5, 1, &shape, why, sizeof why), "no NUL");

	la = msg(a, "/ch/3/meter", 0);
	CHECK(web_osc_classify(a, la) == WEBQ_METER, "meter");
	/* the core sends bundles only of meters: dropped first too */
	unsigned char bm[128];
	CHECK(web_osc_classify(bm, bundle2(bm, a, la, a, la)) == WEBQ_METER, "a bundle of meters");
	la = msg(a, "/master/loudness/m", 0);
	CHECK(web_osc_classify(a, la) == WEBQ_METER, "loudness");
	la = msg(a, "/ch/3/dyn/gr", 0);
	CHECK(web_osc_classify(a, la) == WEBQ_METER, "gain reduction");
	la = msg(a, "/ch/3/fader/db", 0);
	CHECK(web_osc_classify(a, la) == WEBQ_VALUE, "value");
}

static void test_keys(void)
{
	char dir[] = "/tmp/jmx-test-web.XXXXXX", path[256], err[256];
	struct web_keys k1, k2;
	struct stat sb;
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof path, "%s/sub/web-keys", dir);
	CHECK(web_keys_load(&k1, path, 2, err, sizeof err) == 0, "%s", err);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "mode %o", (unsigned)(sb.st_mode & 0777));
	CHECK(strlen(k1.engineer) == 32 && strlen(k1.bus[1]) == 32 && !k1.bus[2][0], "lengths");
	CHECK(strcmp(k1.engineer, k1.bus[0]) != 0 && strcmp(k1.bus[0], k1.bus[1]) != 0, "distinct");
	CHECK(web_keys_load(&k2, path, 3, err, sizeof err) == 0, "%s", err);
	CHECK(strcmp(k1.engineer, k2.engineer) == 0 && strcmp(k1.bus[1], k2.bus[1]) == 0, "kept");
	CHECK(strlen(k2.bus[2]) == 32, "a key for a new bus");
	chmod(path, 0644);
	CHECK(web_keys_load(&k2, path, 3, err, sizeof err) == 0 && stat(path, &sb) == 0 &&
	          (sb.st_mode & 0777) == 0600,
	      "made 0600 again");
	FILE *f = fopen(path, "a");
	fputs("engineer nothex\n", f);
	fclose(f);
	CHECK(web_keys_load(&k2, path, 3, err, sizeof err) < 0 && strstr(err, ":6:"), "bad line: %s", err);
	unlink(path);
	snprintf(path, sizeof path, "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

/* ---- the meters of one tick: one bundle, complete ---------------------- */

/* A meter source with a distinct value per meter and instance, in the
 * fader law's top segment (-10..+10 dB: norm = (dB + 30) / 40). */
static float meter_value(enum param_id id, unsigned idx)
{
	return -(float)(((unsigned)id * 7u + idx) % 9u);
}

static int two_values(enum param_id id)
{
	return id == P_CH_METER || id == P_BUS_METER || id == P_MASTER_METER;
}

static int meter_take(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	(void)ctx;
	out[0] = meter_value(id, idx);
	out[1] = out[0] - 3.0f;
	return two_values(id) ? 2 : 1;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static float bef(const unsigned char *p)
{
	uint32_t u = be32(p);
	float f;
	memcpy(&f, &u, 4);
	return f;
}

/* The element of bundle b (len bytes) whose address is path, or NULL;
 * its size in *n. */
static const unsigned char *element(const unsigned char *b, size_t len, const char *path, size_t *n)
{
	for (size_t pos = 16; pos + 4 <= len; pos += 4 + be32(b + pos)) {
		*n = be32(b + pos);
		if (strcmp((const char *)b + pos + 4, path) == 0)
			return b + pos + 4;
	}
	return NULL;
}

static void test_meter_bundle(void)
{
	const struct param_shape shape = {128, 8};
	struct rtq rq;
	CHECK(rtq_init(&rq, 1024, sizeof(struct rt_msg)) == 0, "rtq");
	struct model *model = model_new(&shape, &rq);
	struct osc_host host = {"test", "0", NULL, NULL, NULL, meter_take, NULL};
	struct osc *o = model ? osc_new(&host, model, NULL) : NULL;
	struct web_osc *wo = o ? web_osc_new_queue(o, &shape, 16) : NULL;
	CHECK(wo != NULL, "a console and its web transport");
	if (!wo)
		return;
	struct webq *q = web_osc_queue(wo);
	int slot = webq_web_open(q, WEBQ_ENGINEER, 0, "127.0.0.1:5000");
	unsigned char m[64], *b;
	lo_message lm = lo_message_new();
	lo_message_add_int32(lm, 1);
	size_t len = sizeof m;
	lo_message_serialise(lm, "/meters", m, &len);
	lo_message_free(lm);
	webq_web_packet(q, (unsigned)slot, m, len);
	web_osc_drain(wo, 1000);
	while ((b = webq_web_pop(q, (unsigned)slot, &len))) /* the reply */
		free(b);

	/* what the tick must hold: every meter instance of the table, each
	 * in its unit form and, when it has one, its fader form */
	unsigned want = 0;
	for (unsigned id = 0; id < P_COUNT; id++)
		if (param_table[id].type == PT_METER)
			want +=
			    param_instances((enum param_id)id, &shape) * (param_table[id].npath ? 2u : 1u);

	for (int tick = 0; tick < 3; tick++) {
		osc_meter_tick(o, 1050 + 50 * (uint64_t)tick);
		unsigned nmsg = 0, nel = 0, bad = 0, loose = 0;
		while ((b = webq_web_pop(q, (unsigned)slot, &len))) {
			const unsigned char *p = b + 16;
			nmsg++;
			if (len < 16 || memcmp(p, "#bundle", 8) != 0) {
				loose++;
				free(b);
				continue;
			}
			for (size_t pos = 16; pos + 4 <= len; pos += 4 + be32(p + pos))
				nel++;
			for (unsigned id = 0; id < P_COUNT; id++) {
				const struct param_info *pi = &param_table[id];
				if (pi->type != PT_METER)
					continue;
				unsigned n1, n2;
				param_dims((enum param_id)id, &shape, &n1, &n2);
				for (unsigned i1 = 0; i1 < n1; i1++) {
					char path[128];
					size_t n;
					float v = meter_value((enum param_id)id, i1);
					params_path_expand(pi->path, strlen(pi->path), id, i1, 0, path,
					                   sizeof path);
					const unsigned char *e = element(p, len, path, &n);
					size_t at = (strlen(path) + 4) & ~(size_t)3;
					int two = two_values((enum param_id)id);
					if (!e || n != at + 4 + (two ? 8u : 4u) ||
					    strcmp((const char *)e + at, two ? ",ff" : ",f") != 0 ||
					    bef(e + at + 4) != v || (two && bef(e + at + 8) != v - 3.0f)) {
						if (!bad++)
							fprintf(
							    stderr,
							    "test_web: %s missing or wrong in the bundle\n",
							    path);
						continue;
					}
					if (!pi->npath)
						continue;
					params_path_expand(pi->npath, strlen(pi->npath), id, i1, 0, path,
					                   sizeof path);
					e = element(p, len, path, &n);
					at = (strlen(path) + 4) & ~(size_t)3;
					double norm =
					    ((double)v + 30.0) / 40.0; /* the X32 law, -10..+10 dB */
					if (!e || n != at + 4 + 4 ||
					    strcmp((const char *)e + at, ",f") != 0 ||
					    fabs(bef(e + at + 4) - norm) > 1e-6) {
						if (!bad++)
							fprintf(
							    stderr,
							    "test_web: %s missing or wrong in the bundle\n",
							    path);
					}
				}
			}
			free(b);
		}
		CHECK(nmsg == 1 && loose == 0,
		      "tick %d: the meters in one message, a bundle (%u messages, %u not bundles)", tick,
		      nmsg, loose);
		CHECK(nel == want && bad == 0,
		      "tick %d: the bundle holds every meter: %u elements, want %u; %u wrong", tick, nel,
		      want, bad);
	}
	webq_web_close(q, (unsigned)slot);
	web_osc_drain(wo, 2000);
	web_osc_free(wo);
	osc_free(o);
	model_free(model);
	rtq_destroy(&rq);
}

int main(void)
{
	test_queue_bounds();
	test_paths();
	test_json();
	test_written();
	test_musician();
	test_keys();
	test_meter_bundle();
	return test_exit("test_web");
}
