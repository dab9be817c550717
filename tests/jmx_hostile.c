/*
 * jmx_hostile.c - hostile OSC input against a running jackmixd, for
 * tests/osc-hostile.sh (and a probe for the other integration scripts).
 *
 *   jmx_hostile get PORT PATH [TYPES [ARG...]]
 *       send one message, print the first reply on PATH (or /error) as
 *       "path arg ..." with every OSC type (h and d too); exit 1 on /error
 *   jmx_hostile numbers PORT CHANNELS BUSES
 *       every PT_FLOAT parameter of the table (channel, bus, band 1): NaN,
 *       +-inf (f and d), 1e39 and -1e39 (d), FLT_MAX, -0.0, 1e-40, int32
 *       and int64 extremes, a string, T, three arguments, and a timed move
 *       (value, ms) over NaN, inf, -1 or 1e39 ms; then the same non-finite
 *       and huge values on its normalised address
 *   jmx_hostile indices PORT CHANNELS BUSES
 *       channel, bus, band and send indices -1, 0, N+1, 2^31-1, 2^32+1,
 *       1x, x1, +1, " 1", 1.0, 0x1, empty, a UTF-8 digit; and 01, 001
 *   jmx_hostile defaults PORT CHANNELS BUSES
 *       every settable parameter of every instance back to its default
 *   jmx_hostile random PORT CHANNELS BUSES SECONDS [MSGS_PER_S]
 *       valid traffic for the soak and sanitizer scripts: random in-range
 *       values of random settable parameters of random instances (every
 *       "/on" switch mostly on, mutes mostly off), default 500 messages/s;
 *       prints how many were sent; errors back are a failure
 *   jmx_hostile dumpcheck PORT CHANNELS BUSES
 *       /dump: every number finite, every instance of every settable
 *       parameter present and inside its range
 *   jmx_hostile malformed PORT [CORPUS_DIR]
 *       replays malformed datagrams (truncated blobs, bundle elements
 *       longer than the bundle, missing or bad type tags, unterminated
 *       strings, deep nesting, garbage, ...) and 20 000 bundles with
 *       future timetags; with CORPUS_DIR also writes each malformed one
 *       there as a libFuzzer input for tests/fuzz_osc.c (one selector
 *       byte, then the datagram)
 *
 * What is expected is the documented behaviour (jackmixd-osc(7), Errors):
 * a non-finite number, a bad index, wrong types or counts earn exactly one
 * /error and change nothing; a finite value outside the range is clamped
 * (to the table's min or max, computed here from the table, -0 stored as
 * +0); leading zeros in an index are accepted; timetags are ignored.
 *
 * Threads: one.  Exit status: 0 all checks passed, 1 a check failed
 * (file:line on stderr), 2 usage or no answer from the daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <float.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dsp.h"
#include "params.h"
#include "test_util.h"

#define MAXARGS 16
#define WAIT_MS 2000

static int sock = -1;
static struct sockaddr_in dst;
static unsigned channels, buses;

struct reply {
	char path[256];
	char types[MAXARGS + 1];
	int argc;
	double num[MAXARGS];
	char str[MAXARGS][160];
	int neg_zero; /* first float argument was -0.0 */
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void send_raw(const void *b, size_t n)
{
	while (sendto(sock, b, n, 0, (struct sockaddr *)&dst, sizeof dst) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			perror("jmx_hostile: sendto");
			exit(2);
		}
		usleep(1000);
	}
}

static void send_msg(const char *path, lo_message m)
{
	size_t len = 0;
	void *b = lo_message_serialise(m, path, NULL, &len);
	if (!b) {
		fprintf(stderr, "jmx_hostile: cannot serialise %s\n", path);
		exit(2);
	}
	send_raw(b, len);
	free(b);
	lo_message_free(m);
}

/* Wait up to ms for one datagram and parse it.  1, or 0 on time-out.
 * Bundles and unparsable replies come back as path "?". */
static int recv_reply(struct reply *r, int ms)
{
	static unsigned char b[65536];
	long end = now_ms() + ms;
	for (;;) {
		long left = end - now_ms();
		if (left < 0)
			return 0;
		struct pollfd p = {sock, POLLIN, 0};
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		ssize_t n = recv(sock, b, sizeof b, 0);
		if (n <= 0)
			continue;
		memset(r, 0, sizeof *r);
		int res = 0;
		lo_message m = b[0] == '/' ? lo_message_deserialise(b, (size_t)n, &res) : NULL;
		if (!m) {
			strcpy(r->path, "?");
			return 1;
		}
		size_t pl = strnlen((char *)b, sizeof r->path - 1);
		memcpy(r->path, b, pl);
		r->path[pl] = 0;
		const char *types = lo_message_get_types(m);
		lo_arg **argv = lo_message_get_argv(m);
		r->argc = lo_message_get_argc(m);
		if (r->argc > MAXARGS)
			r->argc = MAXARGS;
		for (int i = 0; i < r->argc; i++) {
			r->types[i] = types[i];
			r->num[i] = NAN;
			switch (types[i]) {
			case 'f':
				r->num[i] = argv[i]->f;
				if (i == 0 && argv[i]->f == 0.0f && signbit(argv[i]->f))
					r->neg_zero = 1;
				break;
			case 'd':
				r->num[i] = argv[i]->d;
				break;
			case 'i':
				r->num[i] = argv[i]->i;
				break;
			case 'h':
				r->num[i] = (double)argv[i]->h;
				break;
			case 'T':
				r->num[i] = 1;
				break;
			case 'F':
				r->num[i] = 0;
				break;
			case 's':
			case 'S':
				snprintf(r->str[i], sizeof r->str[i], "%s", &argv[i]->s);
				break;
			}
		}
		lo_message_free(m);
		return 1;
	}
}

static void print_reply(const struct reply *r)
{
	printf("%s", r->path);
	for (int i = 0; i < r->argc; i++) {
		switch (r->types[i]) {
		case 's':
		case 'S':
			printf(" %s", r->str[i]);
			break;
		case 'i':
		case 'h':
			printf(" %.0f", r->num[i]);
			break;
		default:
			printf(" %.9g", r->num[i]);
		}
	}
	printf("\n");
}

/* Query path; errors gets the number of /error replies about path that
 * arrive before the answer (from earlier messages to the same path).
 * Returns 1 with the value in *v, 0 when the answer was /error or never
 * came. */
static int query(const char *path, double *v, int *errors, int *neg_zero)
{
	struct reply r;
	long end = now_ms() + WAIT_MS;
	*errors = 0;
	send_msg(path, lo_message_new());
	while (now_ms() < end && recv_reply(&r, (int)(end - now_ms()))) {
		if (!strcmp(r.path, "/error") && r.argc >= 1 && !strcmp(r.str[0], path)) {
			(*errors)++;
			continue;
		}
		if (!strcmp(r.path, path) && r.argc >= 1) {
			*v = r.num[0];
			if (neg_zero)
				*neg_zero = r.neg_zero;
			return 1;
		}
	}
	return 0;
}

/* Everything that is still on its way (replies to earlier messages). */
static void drain(int ms)
{
	struct reply r;
	while (recv_reply(&r, ms))
		;
}

/* ---- the table -------------------------------------------------------- */

/* The concrete path of a template for channel/bus/band numbers (1-based);
 * index strings replace <n>, <a>, <b> verbatim when given. */
static void fill(const char *tmpl, const char *n, const char *a, const char *b, char *out, size_t len)
{
	size_t k = 0;
	for (const char *s = tmpl; *s && k + 1 < len;) {
		if (s[0] == '<' && s[1] && s[2] == '>') {
			/* b stands for <b>, <d> and <g>: a path has at most one */
			const char *v = s[1] == 'n' ? n : s[1] == 'a' ? a : b;
			k += (size_t)snprintf(out + k, len - k, "%s", v);
			s += 3;
		} else {
			out[k++] = *s++;
		}
	}
	out[k < len ? k : len - 1] = 0;
}

static float clampf(const struct param_info *p, float v)
{
	return v < p->min ? p->min : v > p->max ? p->max : v;
}

static int settable(const struct param_info *p)
{
	return p->type != PT_STRING && p->type != PT_METER;
}

/* An inner value to start from: well away from both ends. */
static float baseline(const struct param_info *p)
{
	if (p->taper == TP_LOG && p->min > 0)
		return (float)sqrt((double)p->min * p->max);
	return p->min + 0.37f * (p->max - p->min);
}

static void set_f(const char *path, float v)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	send_msg(path, m);
}

/* ---- numbers ---------------------------------------------------------- */

enum expect { REJECT, CLAMP_TO, NORM_ANY };

struct hostile {
	const char *what;
	char type; /* f d i h s T, 3 (three floats), R (a timed move: 1.0 over value ms, as float or
	            * double D) */
	double value;
	enum expect expect;
};

static void check_case(const struct param_info *p, const char *path, const struct hostile *h, float base,
                       const char *qpath)
{
	lo_message m = lo_message_new();
	switch (h->type) {
	case 'f':
		lo_message_add_float(m, (float)h->value);
		break;
	case 'd':
		lo_message_add_double(m, h->value);
		break;
	case 'i':
		lo_message_add_int32(m, (int32_t)h->value);
		break;
	case 'h':
		lo_message_add_int64(m, h->value > 0 ? INT64_MAX : INT64_MIN);
		break;
	case 's':
		lo_message_add_string(m, "nan");
		break;
	case 'T':
		lo_message_add_true(m);
		break;
	case '3':
		lo_message_add_float(m, 1.0f);
		lo_message_add_float(m, 2.0f);
		lo_message_add_float(m, 3.0f);
		break;
	case 'R':
		lo_message_add_float(m, base);
		lo_message_add_float(m, (float)h->value);
		break;
	case 'D':
		lo_message_add_float(m, base);
		lo_message_add_double(m, h->value);
		break;
	}
	set_f(qpath, base);
	send_msg(path, m);
	/* the /error about path, if any, arrives before the answer to the
	 * query of qpath: ask path itself first when they differ */
	double v = NAN;
	int errs = 0, errs2 = 0, negz = 0;
	if (strcmp(path, qpath) != 0) {
		double dummy;
		int ok = query(path, &dummy, &errs, NULL);
		CHECK(ok, "%s: no answer to a query after %s", path, h->what);
	}
	int ok = query(qpath, &v, &errs2, &negz);
	errs += errs2;
	CHECK(ok, "%s: no answer to a query after %s", qpath, h->what);
	if (!ok)
		return;
	CHECK(isfinite(v) && v >= p->min && v <= p->max, "%s after %s: %g, outside %g..%g", qpath, h->what, v,
	      (double)p->min, (double)p->max);
	switch (h->expect) {
	case REJECT:
		CHECK(errs == 1, "%s %s: %d /error replies, want exactly 1", path, h->what, errs);
		CHECK(v == base, "%s %s: changed the value from %g to %g", path, h->what, (double)base, v);
		break;
	case CLAMP_TO: {
		float want = clampf(p, (float)h->value);
		if (want == 0.0f)
			want = 0.0f;
		CHECK(errs == 0, "%s %s: %d /error replies for a finite value (want it clamped)", path,
		      h->what, errs);
		CHECK(v == want, "%s %s: %g, want %g", path, h->what, v, (double)want);
		CHECK(!(v == 0.0 && negz), "%s %s: reads back -0", path, h->what);
		break;
	}
	case NORM_ANY:
		/* on the normalised form a huge number is either refused or
		 * taken as the end of the range: nothing else */
		CHECK((errs == 1 && v == base) || (errs == 0 && (v == p->min || v == p->max)),
		      "%s %s: %d /error, value %g (from %g)", path, h->what, errs, v, (double)base);
		break;
	}
}

static int cmd_numbers(void)
{
	static const struct hostile unit[] = {
	    {"f:NaN", 'f', NAN, REJECT},
	    {"f:+inf", 'f', INFINITY, REJECT},
	    {"f:-inf", 'f', -INFINITY, REJECT},
	    {"d:NaN", 'd', NAN, REJECT},
	    {"d:+inf", 'd', INFINITY, REJECT},
	    {"d:1e39", 'd', 1e39, CLAMP_TO},
	    {"d:-1e39", 'd', -1e39, CLAMP_TO},
	    {"f:FLT_MAX", 'f', FLT_MAX, CLAMP_TO},
	    {"f:-FLT_MAX", 'f', -FLT_MAX, CLAMP_TO},
	    {"f:-0.0", 'f', -0.0, CLAMP_TO},
	    {"f:1e-40", 'f', 1e-40, CLAMP_TO},
	    {"f:-1e-40", 'f', -1e-40, CLAMP_TO},
	    {"i:2^31-1", 'i', 2147483647.0, CLAMP_TO},
	    {"i:-2^31", 'i', -2147483648.0, CLAMP_TO},
	    {"h:INT64_MAX", 'h', 9223372036854775807.0, CLAMP_TO},
	    {"h:INT64_MIN", 'h', -9223372036854775807.0, CLAMP_TO},
	    {"s:nan", 's', 0, REJECT},
	    {"T", 'T', 0, REJECT},
	    {"three floats", '3', 0, REJECT},
	    /* the time of a timed move (value, ms) */
	    {"move over NaN ms", 'R', NAN, REJECT},
	    {"move over inf ms", 'R', INFINITY, REJECT},
	    {"move over -1 ms", 'R', -1.0, REJECT},
	    {"move over 1e39 ms", 'D', 1e39, REJECT},
	    {"move over NaN ms (d)", 'D', NAN, REJECT},
	};
	static const struct hostile norm[] = {
	    {"f:NaN", 'f', NAN, REJECT},           {"f:+inf", 'f', INFINITY, REJECT},
	    {"f:-inf", 'f', -INFINITY, REJECT},    {"d:NaN", 'd', NAN, REJECT},
	    {"d:1e39", 'd', 1e39, NORM_ANY},       {"d:-1e39", 'd', -1e39, NORM_ANY},
	    {"f:FLT_MAX", 'f', FLT_MAX, NORM_ANY}, {"s:nan", 's', 0, REJECT},
	};
	char path[256], npath[256];
	unsigned nparams = 0;
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (!param_continuous((enum param_id)id))
			continue; /* whole numbers (keys): the random round sends them */
		if (strstr(p->path, "<a>") && buses == 0)
			continue;
		nparams++;
		fill(p->path, "1", "1", "1", path, sizeof path);
		float base = baseline(p);
		for (size_t k = 0; k < sizeof unit / sizeof *unit; k++)
			check_case(p, path, &unit[k], base, path);
		if (p->npath && strcmp(p->npath, p->path) != 0) {
			fill(p->npath, "1", "1", "1", npath, sizeof npath);
			for (size_t k = 0; k < sizeof norm / sizeof *norm; k++)
				check_case(p, npath, &norm[k], base, path);
		}
	}
	CHECK(nparams >= 30, "only %u float parameters in the table", nparams);
	printf("jmx_hostile numbers: %u float parameters, %zu values each (+%zu on the normalised form)\n",
	       nparams, sizeof unit / sizeof *unit, sizeof norm / sizeof *norm);
	return test_exit("jmx_hostile numbers");
}

/* ---- indices ---------------------------------------------------------- */

static int cmd_indices(void)
{
	char path[256], q[256];
	struct target {
		enum param_id id;
		char which; /* the index replaced: n, a or b (b also <d>, <g>) */
		unsigned count;
	} targets[] = {
	    {P_CH_FADER, 'n', channels},   {P_BUS_FADER, 'a', buses},
	    {P_CH_EQ_DB, 'b', JMX_BANDS},  {P_MASTER_EQ_DB, 'b', JMX_BANDS},
	    {P_CH_SEND_LEVEL, 'a', buses}, {P_DCA_FADER, 'b', JMX_DCAS}, /* fill() puts the b index at <d> */
	};
	const char *bad[] = {"-1",
	                     "0",
	                     NULL /* N+1 */,
	                     "2147483647",
	                     "4294967297",
	                     "99999999999999999999",
	                     "1x",
	                     "x1",
	                     "+1",
	                     " 1",
	                     "1.0",
	                     "0x1",
	                     "",
	                     "\xef\xbc\x91" /* fullwidth 1 */,
	                     "1 ",
	                     "-0"};
	unsigned nbad = 0;

	for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
		const struct param_info *p = &param_table[targets[t].id];
		unsigned count = targets[t].count;
		if (count == 0)
			continue;
		float base = baseline(p), good = p->min + 0.81f * (p->max - p->min);
		char nplus[16];
		snprintf(nplus, sizeof nplus, "%u", count + 1);
		/* every instance at the baseline */
		for (unsigned k = 1; k <= count; k++) {
			char ks[16];
			snprintf(ks, sizeof ks, "%u", k);
			fill(p->path, targets[t].which == 'n' ? ks : "1", targets[t].which == 'a' ? ks : "1",
			     targets[t].which == 'b' ? ks : "1", path, sizeof path);
			set_f(path, base);
		}
		for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
			const char *ix = bad[k] ? bad[k] : nplus;
			fill(p->path, targets[t].which == 'n' ? ix : "1", targets[t].which == 'a' ? ix : "1",
			     targets[t].which == 'b' ? ix : "1", path, sizeof path);
			set_f(path, good);
			/* the /error comes back before the answer to a ping */
			struct reply r;
			int errs = 0, pong = 0;
			send_msg("/ping", lo_message_new());
			long end = now_ms() + WAIT_MS;
			while (!pong && now_ms() < end && recv_reply(&r, (int)(end - now_ms()))) {
				if (!strcmp(r.path, "/error") && r.argc >= 1 && !strcmp(r.str[0], path))
					errs++;
				pong = !strcmp(r.path, "/pong");
			}
			CHECK(pong, "no /pong after %s", path);
			CHECK(errs == 1, "'%s': %d /error replies, want 1", path, errs);
			nbad++;
		}
		/* leading zeros are the plain index */
		const char *zeros[] = {"01", "001"};
		for (size_t k = 0; k < 2; k++) {
			fill(p->path, targets[t].which == 'n' ? zeros[k] : "1",
			     targets[t].which == 'a' ? zeros[k] : "1",
			     targets[t].which == 'b' ? zeros[k] : "1", path, sizeof path);
			fill(p->path, "1", "1", "1", q, sizeof q);
			set_f(q, base);
			set_f(path, good);
			double v;
			int errs;
			int ok = query(q, &v, &errs, NULL);
			CHECK(ok && errs == 0 && v == good,
			      "'%s' (leading zeros) did not set %s: %d errors, %g, want %g", path, q, errs,
			      ok ? v : NAN, (double)good);
			set_f(q, base);
		}
		/* nothing but instance 1 was ever touched, and it is back */
		for (unsigned k = 1; k <= count; k++) {
			char ks[16];
			snprintf(ks, sizeof ks, "%u", k);
			fill(p->path, targets[t].which == 'n' ? ks : "1", targets[t].which == 'a' ? ks : "1",
			     targets[t].which == 'b' ? ks : "1", q, sizeof q);
			double v;
			int errs;
			int ok = query(q, &v, &errs, NULL);
			CHECK(ok && v == base, "%s is %g after the hostile indices, want %g", q, ok ? v : NAN,
			      (double)base);
		}
	}
	printf("jmx_hostile indices: %u bad addresses refused\n", nbad);
	return test_exit("jmx_hostile indices");
}

/* ---- defaults and /dump ----------------------------------------------- */

static unsigned n_of(const struct param_info *p, char which)
{
	switch (which) {
	case 'n':
		return strstr(p->path, "<n>") ? channels : 1;
	case 'a':
		return strstr(p->path, "<a>") ? buses : 1;
	default:
		return strstr(p->path, "<b>")   ? JMX_BANDS
		       : strstr(p->path, "<d>") ? JMX_DCAS
		       : strstr(p->path, "<g>") ? JMX_MUTEGROUPS
		                                : 1;
	}
}

/* fn(p, path, band index) for every instance of every settable parameter */
static void for_each_instance(void (*fn)(const struct param_info *, const char *, unsigned, void *),
                              void *ctx)
{
	char path[256], ns[16], as[16], bs[16];
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (!settable(p))
			continue;
		for (unsigned n = 1; n <= n_of(p, 'n'); n++)
			for (unsigned a = 1; a <= n_of(p, 'a'); a++)
				for (unsigned b = 1; b <= n_of(p, 'b'); b++) {
					snprintf(ns, sizeof ns, "%u", n);
					snprintf(as, sizeof as, "%u", a);
					snprintf(bs, sizeof bs, "%u", b);
					fill(p->path, ns, as, bs, path, sizeof path);
					fn(p, path, b - 1, ctx);
				}
	}
}

/* band: the third index (an EQ band, or a DCA or mute group, whose
 * parameters have one default) */
static void set_default(const struct param_info *p, const char *path, unsigned band, void *ctx)
{
	unsigned *n = ctx;
	lo_message m = lo_message_new();
	if (p->type == PT_FLOAT)
		lo_message_add_float(m, p->def[band < 4 ? band : 0]);
	else
		lo_message_add_int32(m, (int32_t)lrintf(p->def[band < 4 ? band : 0]));
	send_msg(path, m);
	if (++*n % 64 == 0)
		usleep(2000); /* stay well inside the socket buffer */
}

static int cmd_defaults(void)
{
	unsigned n = 0;
	for_each_instance(set_default, &n);
	double v;
	int errs;
	CHECK(query("/master/fader/db", &v, &errs, NULL), "no answer after the defaults");
	printf("jmx_hostile defaults: %u values sent\n", n);
	return test_exit("jmx_hostile defaults");
}

struct want {
	char path[128];
	float min, max;
	int seen;
};

static struct want *wants;
static unsigned n_wants;

static void add_want(const struct param_info *p, const char *path, unsigned band, void *ctx)
{
	(void)band;
	(void)ctx;
	struct want *w = &wants[n_wants++];
	snprintf(w->path, sizeof w->path, "%s", path);
	w->min = p->min;
	w->max = p->max;
}

static int cmd_dumpcheck(void)
{
	struct reply r;
	unsigned numbers = 0, msgs = 0, bad = 0;
	int done = 0;
	wants = calloc(100000, sizeof *wants);
	if (!wants)
		return 2;
	for_each_instance(add_want, NULL);
	send_msg("/dump", lo_message_new());
	long end = now_ms() + 30000;
	while (!done && now_ms() < end && recv_reply(&r, 3000)) {
		if (!strcmp(r.path, "/dump/done")) {
			done = 1;
			break;
		}
		msgs++;
		for (int i = 0; i < r.argc; i++) {
			if (r.types[i] != 'f' && r.types[i] != 'd')
				continue;
			numbers++;
			if (!isfinite(r.num[i]) && bad++ < 10)
				CHECK(0, "/dump: %s carries %g", r.path, r.num[i]);
		}
		for (unsigned k = 0; k < n_wants; k++) {
			if (strcmp(wants[k].path, r.path) != 0)
				continue;
			wants[k].seen++;
			CHECK(r.argc == 1 && r.num[0] >= wants[k].min && r.num[0] <= wants[k].max,
			      "/dump: %s = %g outside %g..%g", r.path, r.argc ? r.num[0] : NAN,
			      (double)wants[k].min, (double)wants[k].max);
			break;
		}
	}
	CHECK(done, "/dump: no /dump/done");
	unsigned missing = 0;
	for (unsigned k = 0; k < n_wants; k++)
		if (!wants[k].seen && missing++ < 5)
			CHECK(0, "/dump: %s missing", wants[k].path);
	printf("jmx_hostile dumpcheck: %u messages, %u numbers, %u instances checked\n", msgs, numbers,
	       n_wants);
	free(wants);
	return test_exit("jmx_hostile dumpcheck");
}

/* ---- random valid traffic --------------------------------------------- */

static uint32_t xrnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int cmd_random(double seconds, double rate)
{
	enum param_id ids[P_COUNT];
	unsigned n_ids = 0, errors = 0;
	unsigned long sent = 0;
	uint32_t seed = (uint32_t)time(NULL) | 1u;
	char path[256], ns[16], as[16], bs[16];
	struct reply r;

	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (settable(p) && !(strstr(p->path, "<a>") && buses == 0))
			ids[n_ids++] = (enum param_id)id;
	}
	long t0 = now_ms(), end = t0 + (long)(seconds * 1000.0);
	while (now_ms() < end) {
		long due = (long)((double)(now_ms() - t0) * rate / 1000.0);
		while ((long)sent < due) {
			const struct param_info *p = &param_table[ids[xrnd(&seed) % n_ids]];
			snprintf(ns, sizeof ns, "%u", 1 + xrnd(&seed) % n_of(p, 'n'));
			snprintf(as, sizeof as, "%u", 1 + xrnd(&seed) % n_of(p, 'a'));
			snprintf(bs, sizeof bs, "%u", 1 + xrnd(&seed) % n_of(p, 'b'));
			fill(p->path, ns, as, bs, path, sizeof path);
			float u = (float)(xrnd(&seed) & 0xffffff) / (float)0x1000000;
			lo_message m = lo_message_new();
			if (p->type == PT_FLOAT) {
				float v = p->taper == TP_LOG && p->min > 0 ? p->min * powf(p->max / p->min, u)
				                                           : p->min + u * (p->max - p->min);
				lo_message_add_float(m, clampf(p, v));
			} else if (p->type == PT_BOOL) {
				int on = strstr(p->path, "/on")    ? u < 0.85f
				         : strstr(p->path, "mute") ? u < 0.1f
				                                   : u < 0.5f;
				lo_message_add_int32(m, on);
			} else {
				/* /gen/dest: a bus this console has (bus/<a> is 1 + a) */
				float hi = p == &param_table[P_GEN_DEST] ? 1.0f + (float)buses : p->max;
				lo_message_add_int32(m, (int32_t)(p->min + floorf(u * (hi - p->min + 1))));
			}
			send_msg(path, m);
			sent++;
		}
		while (recv_reply(&r, 0))
			if (!strcmp(r.path, "/error") && errors++ < 5)
				fprintf(stderr, "jmx_hostile random: /error %s %s\n",
				        r.argc > 0 ? r.str[0] : "", r.argc > 1 ? r.str[1] : "");
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	drain(200);
	CHECK(errors == 0, "%u /error replies to valid values", errors);
	printf("jmx_hostile random: %lu messages in %.0f s\n", sent, seconds);
	return test_exit("jmx_hostile random");
}

/* ---- malformed datagrams ---------------------------------------------- */

struct dgram {
	unsigned char b[1024];
	size_t n;
};

static void put(struct dgram *d, const void *p, size_t n)
{
	/* what does not fit is cut off (written so the compiler can see
	 * the copy never passes the end, nor reads past the source) */
	size_t room = d->n < sizeof d->b ? sizeof d->b - d->n : 0;
	if (n > room)
		n = room;
	if (n) {
		memcpy(d->b + d->n, p, n);
		d->n += n;
	}
}

static void put_u32(struct dgram *d, uint32_t v)
{
	v = htonl(v);
	put(d, &v, 4);
}

/* an OSC string: NUL-terminated, padded to 4 */
static void put_str(struct dgram *d, const char *s)
{
	size_t n = strlen(s) + 1;
	put(d, s, n);
	while (n++ % 4)
		put(d, "", 1);
}

static void put_f(struct dgram *d, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	put_u32(d, u);
}

static void put_bundle_head(struct dgram *d, uint32_t sec, uint32_t frac)
{
	put_str(d, "#bundle");
	put_u32(d, sec);
	put_u32(d, frac);
}

/* a valid "/ch/1/fader/db ,f v" message (16 + 4 + 4 = 24 bytes) */
#define CANARY_LEN 24u
static void put_canary(struct dgram *d, float v)
{
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",f");
	put_f(d, v);
}

static unsigned build_malformed(struct dgram *out, unsigned max)
{
	unsigned n = 0;
	struct dgram *d;
#define NEXT() (d = &out[n++], (void)memset(d, 0, sizeof *d))

	/* 1. blob whose size runs past the end */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",b");
	put_u32(d, 100);
	put(d, "abcdefgh", 8);
	/* 2. blob with a negative size */
	NEXT();
	put_str(d, "/ch/1/name");
	put_str(d, ",b");
	put_u32(d, 0xfffffff0u);
	put(d, "abcd", 4);
	/* 3. blob size just past a 4-byte boundary */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",bf");
	put_u32(d, 5);
	put(d, "abcde", 5);
	/* 4. bundle element longer than the bundle */
	NEXT();
	put_bundle_head(d, 0, 1);
	put_u32(d, 1000);
	put_canary(d, -50.0f);
	/* 5. bundle: a good element, then one whose length runs past the end */
	NEXT();
	put_bundle_head(d, 0, 1);
	put_u32(d, CANARY_LEN);
	put_canary(d, -50.0f);
	put_u32(d, 64);
	put_canary(d, -51.0f);
	/* 6. bundle element length not a multiple of 4 */
	NEXT();
	put_bundle_head(d, 0, 1);
	put_u32(d, CANARY_LEN - 1);
	put_canary(d, -50.0f);
	/* 7. bundle element of negative length */
	NEXT();
	put_bundle_head(d, 0, 1);
	put_u32(d, 0x80000000u);
	put_canary(d, -50.0f);
	/* 8. bundle element of length 0, then the canary */
	NEXT();
	put_bundle_head(d, 0, 1);
	put_u32(d, 0);
	put_u32(d, CANARY_LEN);
	put_canary(d, -50.0f);
	/* 9. bundle cut inside its timetag */
	NEXT();
	put_str(d, "#bundle");
	put_u32(d, 0);
	/* 10. bundles nested 40 deep, every length right: too deep */
	NEXT();
	{
		enum { DEPTH = 40 };
		uint32_t len[DEPTH], cur = CANARY_LEN;
		for (unsigned k = DEPTH; k-- > 0;) {
			len[k] = cur; /* the element after bundle head k */
			cur += 16 + 4;
		}
		for (unsigned k = 0; k < DEPTH; k++) {
			put_bundle_head(d, 0, 1);
			put_u32(d, len[k]);
		}
		put_canary(d, -50.0f);
	}
	/* 11. no type tag string at all, data after the address */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_f(d, -50.0f);
	/* 12. type tags without the leading comma */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, "f");
	put_f(d, -50.0f);
	/* 13. more type tags than data */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",ffffffffffffffffffffffff");
	put_f(d, -50.0f);
	/* 14. unknown type tags */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",X");
	put_f(d, -50.0f);
	/* 15. address not terminated (no NUL anywhere) */
	NEXT();
	put(d, "/ch/1/fader/dbXXXXXXXXXXXXXXXXXXXX", 32);
	/* 16. string argument not terminated */
	NEXT();
	put_str(d, "/ch/1/name");
	put_str(d, ",s");
	put(d, "ABCDEFGHIJKLMNOP", 16);
	/* 17. type tag string not terminated */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put(d, ",fffffff", 8);
	/* 18. address without padding to 4 */
	NEXT();
	put(d, "/ch/1/fader/db\0", 15);
	put_str(d, ",f");
	put_f(d, -50.0f);
	/* 19. truncated float */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",f");
	put(d, "\xc2\x48", 2);
	/* 20. truncated double, int64, timetag */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",d");
	put(d, "\xc0\x49\0\0", 4);
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",h");
	put(d, "\0\0\0\x01", 4);
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",t");
	put(d, "\0\0\0\x01", 4);
	/* 23. unbalanced arrays */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",[f");
	put_f(d, -50.0f);
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",f]]");
	put_f(d, -50.0f);
	/* 25. address not starting with '/' */
	NEXT();
	put_str(d, "ch/1/fader/db");
	put_str(d, ",f");
	put_f(d, -50.0f);
	/* 26. tiny datagrams */
	NEXT();
	put(d, "/", 1);
	NEXT();
	put(d, "#bu", 3);
	NEXT();
	put(d, "\0\0\0\0", 4);
	NEXT();
	put(d, "#bundle", 8);
	/* 30. a bundle inside a message position */
	NEXT();
	put_str(d, "/ch/1/fader/db");
	put_str(d, ",f");
	put_bundle_head(d, 0, 1);
	/* 31. garbage */
	NEXT();
	{
		uint32_t x = 0x12345678u;
		for (unsigned k = 0; k < 256; k++) {
			x = x * 1103515245u + 12345u;
			unsigned char c = (unsigned char)(x >> 24);
			put(d, &c, 1);
		}
		d->b[0] = '/';
	}
	/* 32. the address as long as the datagram */
	NEXT();
	d->b[0] = '/';
	memset(d->b + 1, 'a', 1000);
	d->b[1001] = 0;
	d->n = 1004;
#undef NEXT
	(void)max;
	return n;
}

static int stats_malformed(long *malformed, long *datagrams)
{
	struct reply r;
	send_msg("/stats", lo_message_new());
	long end = now_ms() + WAIT_MS;
	while (now_ms() < end && recv_reply(&r, (int)(end - now_ms())))
		if (!strcmp(r.path, "/stats") && r.argc >= 3) {
			*datagrams = (long)r.num[0];
			*malformed = (long)r.num[2];
			return 1;
		}
	return 0;
}

static int cmd_malformed(const char *corpus)
{
	static struct dgram d[64];
	unsigned n = build_malformed(d, 64);
	long mal0 = 0, mal1 = 0, dg0 = 0, dg1 = 0;
	double v;
	int errs;
	const unsigned reps = 50;

	if (corpus) {
		for (unsigned k = 0; k < n; k++) {
			char name[512];
			snprintf(name, sizeof name, "%s/hostile-%02u", corpus, k + 1);
			FILE *f = fopen(name, "wb");
			if (!f) {
				perror(name);
				return 2;
			}
			fputc(0x40, f); /* loopback sender, drain the queue */
			fwrite(d[k].b, 1, d[k].n, f);
			fclose(f);
		}
	}
	set_f("/ch/1/fader/db", -10.0f);
	set_f("/ch/2/fader/db", -10.0f);
	CHECK(query("/ch/1/fader/db", &v, &errs, NULL) && v == -10.0,
	      "the canary is not at -10 dB to start with");
	CHECK(stats_malformed(&mal0, &dg0), "no /stats");
	for (unsigned r = 0; r < reps; r++) {
		for (unsigned k = 0; k < n; k++)
			send_raw(d[k].b, d[k].n);
		drain(0);
		usleep(2000);
	}
	drain(200);
	/* a huge datagram */
	{
		static unsigned char huge[65000];
		memset(huge, '/', sizeof huge);
		send_raw(huge, sizeof huge);
	}
	/* bulk: bundles with timetags far in the future; timetags are
	 * ignored (no queue): each is applied on arrival */
	const unsigned nfut = 20000;
	for (unsigned k = 0; k < nfut; k++) {
		struct dgram b;
		memset(&b, 0, sizeof b);
		put_bundle_head(&b, 0xf0000000u + k, 0);
		put_u32(&b, CANARY_LEN);
		put_str(&b, "/ch/2/fader/db");
		put_str(&b, ",f");
		put_f(&b, k + 1 == nfut ? -25.0f : -30.0f - (float)(k % 40));
		send_raw(b.b, b.n);
		if (k % 200 == 199) {
			drain(0);
			usleep(3000);
		}
	}
	drain(300);
	CHECK(query("/ch/2/fader/db", &v, &errs, NULL) && v == -25.0,
	      "the last future-timetag bundle did not set /ch/2/fader/db to -25 at once (%g)", v);
	CHECK(query("/ch/1/fader/db", &v, &errs, NULL) && v == -10.0,
	      "a malformed datagram changed /ch/1/fader/db to %g", v);
	CHECK(stats_malformed(&mal1, &dg1), "no /stats after the replay");
	long sent = (long)(reps * n) + 1 + nfut;
	CHECK(dg1 - dg0 >= sent * 9 / 10, "the daemon received %ld of %ld datagrams", dg1 - dg0, sent);
	CHECK(mal1 - mal0 >= (long)(reps * n) / 2, "only %ld of %u malformed datagrams counted as malformed",
	      mal1 - mal0, reps * n);
	printf("jmx_hostile malformed: %u kinds x %u, %ld counted malformed, %u future-timetag bundles\n", n,
	       reps, mal1 - mal0, nfut);
	return test_exit("jmx_hostile malformed");
}

/* ---- main ------------------------------------------------------------- */

static int cmd_get(int argc, char **argv)
{
	const char *path = argv[0];
	const char *types = argc > 1 ? argv[1] : "";
	lo_message m = lo_message_new();
	for (int i = 0; types[i]; i++) {
		const char *v = 2 + i < argc ? argv[2 + i] : "0";
		switch (types[i]) {
		case 'i':
			lo_message_add_int32(m, atoi(v));
			break;
		case 'f':
			lo_message_add_float(m, strtof(v, NULL));
			break;
		case 'd':
			lo_message_add_double(m, strtod(v, NULL));
			break;
		case 's':
			lo_message_add_string(m, v);
			break;
		default:
			fprintf(stderr, "jmx_hostile: type %c not supported\n", types[i]);
			return 2;
		}
	}
	send_msg(path, m);
	struct reply r;
	long end = now_ms() + WAIT_MS;
	while (now_ms() < end && recv_reply(&r, (int)(end - now_ms())))
		if (!strcmp(r.path, path) || !strcmp(r.path, "/error")) {
			print_reply(&r);
			return strcmp(r.path, "/error") ? 0 : 1;
		}
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
		        "usage: jmx_hostile get|numbers|indices|defaults|dumpcheck|malformed PORT ...\n");
		return 2;
	}
	const char *cmd = argv[1];
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 4 << 20;
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	struct sockaddr_in me;
	memset(&me, 0, sizeof me);
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sock < 0 || bind(sock, (struct sockaddr *)&me, sizeof me) < 0) {
		perror("jmx_hostile: socket");
		return 2;
	}
	memset(&dst, 0, sizeof dst);
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!strcmp(cmd, "get") && argc >= 4)
		return cmd_get(argc - 3, argv + 3);
	if (!strcmp(cmd, "malformed"))
		return cmd_malformed(argc > 3 ? argv[3] : NULL);
	if (argc < 5) {
		fprintf(stderr, "jmx_hostile %s PORT CHANNELS BUSES\n", cmd);
		return 2;
	}
	channels = (unsigned)atoi(argv[3]);
	buses = (unsigned)atoi(argv[4]);
	if (!strcmp(cmd, "numbers"))
		return cmd_numbers();
	if (!strcmp(cmd, "indices"))
		return cmd_indices();
	if (!strcmp(cmd, "defaults"))
		return cmd_defaults();
	if (!strcmp(cmd, "dumpcheck"))
		return cmd_dumpcheck();
	if (!strcmp(cmd, "random") && argc >= 6)
		return cmd_random(atof(argv[5]), argc > 6 ? atof(argv[6]) : 500.0);
	fprintf(stderr, "jmx_hostile: unknown command %s\n", cmd);
	return 2;
}
