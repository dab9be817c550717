/*
 * test_snapshot.c - the state-file format and scene files, offline:
 *   - round trip of every parameter instance of every kind (float, bool,
 *     enum, string with quotes, backslashes and UTF-8) and of connections:
 *     bit-identical values, canonical text, and bit-identical audio from
 *     two mixers, one fed the original state, one fed the loaded copy;
 *   - corrupt inputs (truncated at every line and inside lines,
 *     bit-flipped, empty, > 10 MB, non-finite, wrong version, and a list of
 *     malformed lines) are rejected with "file:line:" naming the right
 *     line, and a failed scene load leaves the live console untouched;
 *   - recall: safes, switches at the start or end of a fade, ramps with the
 *     fade time;
 *   - files: atomic write, stale temporary sweep, corrupt state set aside
 *     at start-up, hostile scene names, a planted symlink and a FIFO.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mixer.h"
#include "model.h"
#include "params.h"
#include "rtqueue.h"
#include "session.h"
#include "snapshot.h"
#include "statefile.h"
#include "test_util.h"

#define NCH  4 /* 3 mono + 1 stereo */
#define NBUS 2

static const struct param_shape shape = {NCH, NBUS};
static char tmpdir[256];

static uint32_t rng = 12345;
static double urand(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (double)(rng >> 8) / (double)(1u << 24);
}

/* A value other than the default for every instance.  audible keeps
 * mutes off and levels up so the rendered output is not silence. */
static float other_value(enum param_id id, unsigned i2, int audible)
{
	const struct param_info *p = &param_table[id];
	float def = param_default(id, i2), v;
	switch (p->type) {
	case PT_BOOL:
		if (audible && strstr(p->path, "/mute"))
			return 0;
		if (audible && id == P_CH_MASTER) /* the buses' effects are silent placeholders */
			return 1;
		return def >= 0.5f ? 0 : 1;
	case PT_ENUM:
		return (float)(((int)def + 1) % ((int)p->max + 1));
	case PT_FLOAT:
		if (param_info_whole(p)) /* a channel number: one every console has */
			return def == 1.0f ? 0 : 1;
		do {
			if (audible && id == P_DCA_FADER) /* every channel is in all 8 */
				v = (float)(-1.0 + 2.0 * urand());
			else if (audible && p->taper == TP_FADER)
				v = (float)(-20.0 + 25.0 * urand());
			else
				v = (float)(p->min + (p->max - p->min) * (0.05 + 0.9 * urand()));
			v = param_clamp(id, v);
		} while (v == def);
		return v;
	default:
		return def;
	}
}

static void set_all(struct model *m, int audible)
{
	/* every instance its own value: linked pairs must not copy each other */
	model_set_follow(m, 0);
	for (unsigned k = 0; k < P_COUNT; k++) {
		enum param_id id = (enum param_id)k;
		unsigned n1, n2;
		model_dims(m, id, &n1, &n2);
		for (unsigned i1 = 0; i1 < n1; i1++)
			for (unsigned i2 = 0; i2 < n2; i2++) {
				if (param_table[id].type == PT_STRING) {
					char name[MODEL_NAME_MAX];
					snprintf(name, sizeof name, "%s %u \"q\" \\ \xc3\xbc\xe2\x82\xac #x",
					         param_table[id].name, i1 + 1);
					CHECK(model_set_string(m, id, i1, name, NULL) == MODEL_OK,
					      "set name %s", name);
				} else if (param_table[id].type != PT_METER) {
					CHECK(model_set(m, id, i1, i2, other_value(id, i2, audible), NULL) ==
					          MODEL_OK,
					      "set %s", param_table[id].path);
				}
			}
	}
	model_set_follow(m, 1);
}

static unsigned count_instances(const struct model *m)
{
	unsigned n = 0;
	for (unsigned k = 0; k < P_COUNT; k++) {
		unsigned n1, n2;
		if (param_table[k].type == PT_METER)
			continue;
		model_dims(m, (enum param_id)k, &n1, &n2);
		n += n1 * n2;
	}
	return n;
}

/* Every value and name of a equals b, bit for bit. */
static unsigned models_differ(const struct model *a, const struct model *b)
{
	unsigned diff = 0;
	for (unsigned k = 0; k < P_COUNT; k++) {
		enum param_id id = (enum param_id)k;
		unsigned n1, n2;
		if (param_table[id].type == PT_METER)
			continue;
		model_dims(a, id, &n1, &n2);
		for (unsigned i1 = 0; i1 < n1; i1++)
			for (unsigned i2 = 0; i2 < n2; i2++) {
				if (param_table[id].type == PT_STRING) {
					if (strcmp(model_get_string(a, id, i1), model_get_string(b, id, i1)))
						diff++;
					continue;
				}
				float x = model_get(a, id, i1, i2), y = model_get(b, id, i1, i2);
				if (memcmp(&x, &y, sizeof x))
					diff++;
			}
	}
	return diff;
}

/* Parse text; returns rc and copies the error. */
static int parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct snapshot *s = snapshot_new(&shape);
	err[0] = 0;
	int r = snapshot_parse(s, "t.state", text, len, err, errlen);
	snapshot_free(s);
	return r;
}

/* Line number in "t.state:N: ...", or 0. */
static unsigned err_line(const char *err)
{
	unsigned n = 0;
	if (sscanf(err, "t.state:%u:", &n) != 1)
		return 0;
	return n;
}

static unsigned lines_in(const char *text, size_t len)
{
	unsigned n = 0;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* 1-based number of the line holding byte pos. */
static unsigned line_of(const char *text, size_t pos)
{
	return lines_in(text, pos) + 1;
}

static void expect_reject(const char *text, unsigned line, const char *what)
{
	char err[512];
	int r = parse(text, strlen(text), err, sizeof err);
	CHECK(r < 0, "%s: accepted", what);
	CHECK(err_line(err) == line, "%s: error '%s' should name line %u", what, err, line);
}

static void expect_accept(const char *text, const char *what)
{
	char err[512];
	int r = parse(text, strlen(text), err, sizeof err);
	CHECK(r == 0, "%s: rejected: %s", what, err);
}

/* ---- round trip --------------------------------------------------------- */

static char *format_state(struct model *m, size_t *len)
{
	struct snapshot_conns c = {0};
	CHECK(snapshot_conns_add(&c, "in_1", "system:capture_1") == 0, "conn");
	CHECK(snapshot_conns_add(&c, "master_L", "my app:in \"L\" \\ 1") == 0, "conn with quotes");
	CHECK(snapshot_conns_add(&c, "bus_2_R", "usb:playback_12") == 0, "conn");
	CHECK(snapshot_conns_add(&c, "in_1", "system:capture_1") == 0, "duplicate conn ignored");
	CHECK(c.n == 3, "3 distinct connections, got %u", c.n);
	CHECK(snapshot_conns_add(&c, "in 1", "x:y") < 0, "our port names have no spaces");
	CHECK(snapshot_conns_add(&c, "in_1", "nocolon") < 0, "a peer is client:port");
	char *text = snapshot_format(m, &c, len);
	snapshot_conns_free(&c);
	return text;
}

static void test_round_trip(void)
{
	char err[512];
	size_t len, len2;
	struct model *a = model_new(&shape, NULL), *b = model_new(&shape, NULL);

	set_all(a, 0);
	char *text = format_state(a, &len);
	CHECK(text != NULL, "format");

	/* one line per instance, concrete paths, the version line first */
	unsigned params = 0, conns = 0, ends = 0;
	const char *first = NULL;
	for (const char *l = text; l < text + len;) {
		const char *nl = memchr(l, '\n', (size_t)(text + len - l));
		if (!first && *l != '#' && *l != '\n')
			first = l;
		if (*l == '/' && strncmp(l, "/jack/connect ", 14)) {
			params++;
			CHECK(!memchr(l, '<', (size_t)(nl - l)), "placeholder left in %.40s", l);
		}
		conns += !strncmp(l, "/jack/connect ", 14);
		ends += !strncmp(l, "end crc32 ", 10);
		l = nl + 1;
	}
	CHECK(first && !strncmp(first, "jackmixd-state 1\n", 17), "version line first");
	CHECK(params == count_instances(a), "%u parameter lines for %u instances", params,
	      count_instances(a));
	CHECK(conns == 3 && ends == 1, "3 connections, one end line (%u, %u)", conns, ends);
	char want[128];
	float hz = model_get(a, P_CH_EQ_HZ, 2, 1);
	char num[32];
	snprintf(num, sizeof num, "%.9g", (double)hz);
	snprintf(want, sizeof want, "\n/ch/3/eq/2/hz ");
	const char *hit = strstr(text, want);
	CHECK(hit && fabs(strtod(hit + strlen(want), NULL) - hz) <= 1e-6 * hz, "/ch/3/eq/2/hz line (%s)",
	      num);
	CHECK(strstr(text, "\n/ch/2/name \"CH_NAME 2 \\\"q\\\" \\\\ \xc3\xbc\xe2\x82\xac #x\"\n"),
	      "name quoted");
	CHECK(strstr(text, "\n/ch/1/eq/1/type hshelf\n"), "enum by name (lshelf default -> hshelf)");
	CHECK(strstr(text, "\n/jack/connect \"master_L\" \"my app:in \\\"L\\\" \\\\ 1\"\n"),
	      "connection quoted");

	struct snapshot *s = snapshot_new(&shape);
	CHECK(snapshot_parse(s, "t.state", text, len, err, sizeof err) == 0, "parse: %s", err);
	CHECK(models_differ(a, s->values) == 0, "parsed values equal the saved ones (%u differ)",
	      models_differ(a, s->values));
	CHECK(s->conns.n == 3 && !strcmp(s->conns.v[1].peer, "my app:in \"L\" \\ 1"),
	      "connections read back");
	unsigned n = snapshot_apply(s, b, 0, 0, NULL);
	CHECK(n == count_instances(a), "apply changed %u of %u", n, count_instances(a));
	CHECK(models_differ(a, b) == 0, "loaded console equals the saved one");
	unsigned long g = model_generation(b);
	CHECK(snapshot_apply(s, b, 0, 0, NULL) == 0 && model_generation(b) == g,
	      "second apply changes nothing");
	char *text2 = format_state(b, &len2);
	CHECK(len == len2 && !memcmp(text, text2, len),
	      "canonical: saving the loaded state gives the same bytes");

	/* a minimal hand-written file: defaults elsewhere, leading zeros,
	 * comments, CRLF, enum by number, bare end */
	struct snapshot *h = snapshot_new(&shape);
	const char *hand =
	    "# hand written\r\n\r\njackmixd-state 1\r\n  /ch/01/fader/db -10.5  # not a comment\r\n";
	CHECK(snapshot_parse(h, "t.state", hand, strlen(hand), err, sizeof err) < 0,
	      "text after a value rejected");
	snapshot_free(h);
	h = snapshot_new(&shape);
	hand = "# hand written\r\n\r\njackmixd-state 1\r\n  /ch/01/fader/db -10.5\r\n/master/eq/4/type 0\r\n"
	       "/bus/2/name \"a\\x41\"\nend\r\n";
	CHECK(snapshot_parse(h, "t.state", hand, strlen(hand), err, sizeof err) == 0, "hand-written: %s",
	      err);
	CHECK(model_get(h->values, P_CH_FADER, 0, 0) == -10.5f, "fader from hand-written file");
	CHECK(model_get(h->values, P_CH_FADER, 1, 0) == param_default(P_CH_FADER, 0), "default where silent");
	CHECK(model_get(h->values, P_MASTER_EQ_TYPE, 0, 3) == 0, "enum by number");
	CHECK(!strcmp(model_get_string(h->values, P_BUS_NAME, 1), "aA"), "\\x escape");
	snapshot_free(h);

	free(text);
	free(text2);
	snapshot_free(s);
	model_free(a);
	model_free(b);
}

/* Two mixers: one driven by the original console, one by the console
 * loaded from its saved text.  Same messages -> the same samples. */
static void render(struct mixer *mx, struct rtq *q, float **out, unsigned frames)
{
	struct rt_msg msg;
	unsigned lanes = mixer_lanes(mx), nout = mixer_outputs(mx);
	float *in[8], *o[8], buf[8][256];
	uint32_t seed = 777;

	while (rtq_pop(q, &msg) == 0)
		mixer_apply(mx, &msg);
	for (unsigned l = 0; l < lanes; l++)
		in[l] = buf[l];
	for (unsigned pos = 0; pos < frames; pos += 256) {
		for (unsigned l = 0; l < lanes; l++)
			for (unsigned i = 0; i < 256; i++) {
				seed = seed * 1664525u + 1013904223u;
				double t = (double)(pos + i) / 48000.0;
				in[l][i] = (float)(0.3 * sin(2 * M_PI * (200.0 + 150.0 * l) * t) +
				                   0.05 * ((double)(seed >> 8) / (1u << 24) - 0.5));
			}
		for (unsigned k = 0; k < nout; k++)
			o[k] = out[k] + pos;
		mixer_process(mx, (const float *const *)in, o, frames - pos < 256 ? frames - pos : 256);
	}
}

static void test_render_identical(void)
{
	const unsigned frames = 48000;
	struct mixer_config mc = {NCH - 1, 1, NBUS, 48000.0, 0};
	struct rtq qa, qb;
	char err[512];
	size_t len;

	rtq_init(&qa, 16384, sizeof(struct rt_msg));
	rtq_init(&qb, 16384, sizeof(struct rt_msg));
	struct model *a = model_new(&shape, &qa), *b = model_new(&shape, &qb);
	struct mixer *ma = mixer_new(&mc), *mb = mixer_new(&mc);
	CHECK(a && b && ma && mb, "allocation");
	if (!a || !b || !ma || !mb)
		return;
	unsigned nout = mixer_outputs(ma);
	float *oa[8], *ob[8];
	for (unsigned k = 0; k < nout; k++) {
		oa[k] = calloc(frames, sizeof(float));
		ob[k] = calloc(frames, sizeof(float));
	}
	rng = 99;
	set_all(a, 1);
	model_commit(a);
	char *text = snapshot_format(a, NULL, &len);
	struct snapshot *s = snapshot_new(&shape);
	CHECK(snapshot_parse(s, "t.state", text, len, err, sizeof err) == 0, "parse: %s", err);
	snapshot_apply(s, b, 0, 0, NULL);
	model_commit(b);
	render(ma, &qa, oa, frames);
	render(mb, &qb, ob, frames);
	double maxdiff = 0, level = 0;
	for (unsigned k = 0; k < nout; k++) {
		for (unsigned i = 0; i < frames; i++)
			if (fabs(oa[k][i] - ob[k][i]) > maxdiff)
				maxdiff = fabs(oa[k][i] - ob[k][i]);
		if (k < 2)
			level += rms(oa[k] + frames / 2, frames / 2);
	}
	CHECK(level > 1e-3, "the state under test is audible (master RMS %.3g)", level);
	CHECK(maxdiff == 0.0, "rendered audio differs by %.3g", maxdiff);
	for (unsigned k = 0; k < nout; k++) {
		free(oa[k]);
		free(ob[k]);
	}
	free(text);
	snapshot_free(s);
	mixer_free(ma);
	mixer_free(mb);
	model_free(a);
	model_free(b);
	rtq_destroy(&qa);
	rtq_destroy(&qb);
}

/* ---- corrupt inputs ----------------------------------------------------- */

static void test_corrupt(void)
{
	char err[512];
	size_t len;
	struct model *a = model_new(&shape, NULL);
	set_all(a, 0);
	char *text = format_state(a, &len);
	unsigned total_lines = lines_in(text, len);

	/* truncated at every line boundary and inside every 7th line */
	unsigned bad = 0, wrong_line = 0;
	for (size_t cut = 0; cut < len; cut++) {
		int at_boundary = cut > 0 && text[cut - 1] == '\n';
		if (!at_boundary && cut % 7)
			continue;
		int r = parse(text, cut, err, sizeof err);
		bad += r == 0;
		/* the damage is reported on the line where the text stops
		 * (or line 1 when the version line never arrived) */
		unsigned l = err_line(err), want = at_boundary ? lines_in(text, cut) + 1 : line_of(text, cut);
		if (r < 0 && l != want && l != 1) {
			wrong_line++;
			fprintf(stderr, "cut at %zu: %s (want line %u)\n", cut, err, want);
		}
	}
	CHECK(bad == 0, "%u truncated files accepted", bad);
	CHECK(wrong_line == 0, "%u truncations reported on the wrong line", wrong_line);

	/* bit flips anywhere (random positions, all 8 bits of the first and
	 * last 64 bytes): the checksum or the syntax must catch every one */
	char *copy = malloc(len);
	bad = 0;
	unsigned flips = 0;
	rng = 4242;
	for (unsigned t = 0; t < 3000; t++) {
		size_t pos;
		unsigned bit;
		if (t < 1024) {
			pos = t / 8 < 64 ? t / 8 : len - 64 + (t / 8 - 64);
			bit = t % 8;
		} else {
			pos = (size_t)(urand() * (double)len);
			bit = (unsigned)(urand() * 8);
		}
		if (pos >= len)
			continue;
		memcpy(copy, text, len);
		copy[pos] ^= (char)(1u << bit);
		flips++;
		int r = parse(copy, len, err, sizeof err);
		if (r == 0) {
			bad++;
			fprintf(stderr, "accepted a flip of bit %u at byte %zu (line %u)\n", bit, pos,
			        line_of(text, pos));
		} else {
			unsigned l = err_line(err);
			CHECK(l >= 1 && l <= total_lines + 1, "flip at %zu: line %u out of 1..%u (%s)", pos,
			      l, total_lines + 1, err);
		}
	}
	CHECK(bad == 0, "%u of %u bit flips accepted", bad, flips);
	free(copy);

	/* empty, blank, comment only */
	CHECK(parse("", 0, err, sizeof err) < 0 && err_line(err) == 1, "empty file: %s", err);
	expect_reject("\n\n", 3, "blank lines only");
	expect_reject("# nothing\n", 2, "comment only");

	/* > 10 MB: comment lines, then a valid end; the error names the
	 * line where the limit falls */
	size_t big = SNAPSHOT_MAX_BYTES + 100;
	char *huge = malloc(big);
	memcpy(huge, "jackmixd-state 1\n", 17);
	for (size_t i = 17; i < big; i++)
		huge[i] = (i % 64 == 63) ? '\n' : '#';
	memcpy(huge + big - 4, "end\n", 4);
	CHECK(parse(huge, big, err, sizeof err) < 0, "> 10 MB accepted");
	CHECK(err_line(err) == lines_in(huge, SNAPSHOT_MAX_BYTES) + 1 && strstr(err, "larger"), "> 10 MB: %s",
	      err);
	CHECK(parse(huge, (SNAPSHOT_MAX_BYTES - 200) / 64 * 64, err, sizeof err) < 0 &&
	          strstr(err, "missing 'end'"),
	      "just under 10 MB parses up to the missing end: %s", err);
	free(huge);

	/* versions */
	expect_reject("jackmixd-state 2\nend\n", 1, "newer version");
	expect_reject("# c\njackmixd-state 0\nend\n", 2, "version 0");
	expect_reject("jackmixd-state one\nend\n", 1, "version word");
	expect_reject("jackmixd-state 99999999999999\nend\n", 1, "huge version");
	expect_reject("/ch/1/fader/db 0\nend\n", 1, "no version line");
	expect_accept("jackmixd-state 1\nend\n", "empty state (all defaults)");
	expect_reject("jackmixd-state 1\nend", 2, "end without newline");

	/* malformed lines: each names its own line (line 3) */
	static const struct {
		const char *line, *what;
	} bad_lines[] = {
	    {"/ch/1/fader/db nan", "NaN"},
	    {"/ch/1/fader/db inf", "inf"},
	    {"/ch/1/fader/db -inf", "-inf"},
	    {"/ch/1/fader/db 1e39", "overflow to inf"},
	    {"/ch/1/fader/db 0x1p3", "hex float"},
	    {"/ch/1/fader/db", "missing value"},
	    {"/ch/1/fader/db -6 7", "two values"},
	    {"/ch/1/fader/db 11", "above range"},
	    {"/ch/1/fader/db -91", "below range"},
	    {"/ch/1/fader/db six", "word"},
	    {"/ch/1/mute 2", "bool 2"},
	    {"/ch/1/mute 0.5", "bool 0.5"},
	    {"/ch/1/eq/1/type bogus", "unknown enum name"},
	    {"/ch/1/eq/1/type 3", "enum index out of range"},
	    {"/ch/9/fader/db 0", "channel out of range"},
	    {"/ch/0/fader/db 0", "channel 0"},
	    {"/ch/1/eq/5/hz 100", "band 5"},
	    {"/ch/1/send/3/level/db 0", "bus 3 of 2"},
	    {"/bus/3/mute 1", "bus 3"},
	    {"/ch/1/fader 0.5", "normalised form is not a file path"},
	    {"/ch/1/meter 0", "meter is read-only"},
	    {"/ch/1/nothing 1", "unknown path"},
	    {"/ch/x/fader/db 0", "non-numeric index"},
	    {"/ch//fader/db 0", "empty index"},
	    {"ch/1/fader/db 0", "no leading slash"},
	    {"/ch/1/name Kick", "unquoted name"},
	    {"/ch/1/name \"Kick", "unterminated string"},
	    {"/ch/1/name \"a\\x01b\"", "control character in name"},
	    {"/ch/1/name \"a\\qb\"", "unknown escape"},
	    {"/ch/1/name \"0123456789012345678901234567890123456789012345678901234567890123456789\"",
	     "too long"},
	    {"/jack/connect \"in 1\" \"a:b\"", "bad own port"},
	    {"/jack/connect \"in_1\" \"ab\"", "bad peer"},
	    {"/jack/connect \"in_1\"", "one port"},
	    {"end crc32 zzzzzzzz", "bad checksum syntax"},
	    {"end crc32 00000000", "wrong checksum"},
	    {"end junk", "end with junk"},
	    {"endless", "unknown keyword"},
	};
	for (unsigned i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
		char buf[512];
		snprintf(buf, sizeof buf, "# t\njackmixd-state 1\n%s\n/ch/2/mute 1\nend\n",
		         bad_lines[i].line);
		expect_reject(buf, 3, bad_lines[i].what);
	}
	expect_reject("jackmixd-state 1\n/ch/1/mute 1\n/ch/1/mute 0\nend\n", 3, "set twice");
	expect_reject("jackmixd-state 1\nend\n\n", 3, "blank line after end");
	expect_reject("jackmixd-state 1\nend\n/ch/1/mute 1\n", 3, "data after end");
	char nul[] = "jackmixd-state 1\n/ch/1/mute 1\0\nend\n";
	CHECK(parse(nul, sizeof nul - 1, err, sizeof err) < 0 && err_line(err) == 2, "NUL byte: %s", err);
	char longl[SNAPSHOT_PEER_MAX + 8000];
	snprintf(longl, sizeof longl, "jackmixd-state 1\n# %05000d\nend\n", 0);
	expect_reject(longl, 2, "line longer than 4096");
	expect_accept("jackmixd-state 1\n/ch/1/mute 1\n/ch/2/eq/3/q 10\n/master/eq/1/type hshelf\nend\n",
	              "valid");

	free(text);
	model_free(a);
}

/* ---- recall ------------------------------------------------------------- */

static void test_recall(void)
{
	struct rtq q;
	struct rt_msg msg;
	rtq_init(&q, 16384, sizeof msg);
	struct model *live = model_new(&shape, &q);
	struct snapshot *s = snapshot_new(&shape);

	/* scene: ch1 and ch2 louder, ch1 muted, ch2 unmuted, EQ on, types
	 * changed; live: ch2 muted; ch2 is recall-safe in the live console */
	model_set(s->values, P_CH_FADER, 0, 0, -20, NULL);
	model_set(s->values, P_CH_FADER, 1, 0, -20, NULL);
	model_set(s->values, P_CH_MUTE, 0, 0, 1, NULL);
	model_set(s->values, P_CH_EQ_ON, 0, 0, 1, NULL);
	model_set(s->values, P_CH_EQ_TYPE, 0, 0, 0, NULL);
	model_set(s->values, P_CH_SAFE, 0, 0, 1, NULL); /* safes are never recalled */
	model_set(s->values, P_MASTER_MUTE, 0, 0, 0, NULL);
	model_set_string(s->values, P_CH_NAME, 0, "Vox", NULL);
	model_set_string(s->values, P_CH_NAME, 1, "Gtr", NULL);
	model_set(live, P_CH_SAFE, 1, 0, 1, NULL);
	model_set(live, P_MASTER_MUTE, 0, 0, 1, NULL);
	model_set(live, P_CH_EQ_ON, 2, 0, 1, NULL); /* scene has it off */
	model_commit(live);
	while (rtq_pop(&q, &msg) == 0)
		;
	unsigned long g = model_generation(live);

	unsigned n = snapshot_apply(s, live, 500, SNAPSHOT_RECALL, NULL);
	model_commit(live);
	/* changed: ch1 fader, mute, eq on, eq type, name; master mute; ch3 eq off */
	CHECK(n == 7, "recall changed %u parameters, want 7", n);
	CHECK(model_generation(live) == g + 7, "each change notified once");
	CHECK(model_get(live, P_CH_FADER, 1, 0) == 0, "safe channel 2 kept its fader");
	CHECK(!strcmp(model_get_string(live, P_CH_NAME, 1), ""), "safe channel 2 kept its name");
	CHECK(model_get(live, P_CH_SAFE, 0, 0) == 0 && model_get(live, P_CH_SAFE, 1, 0) == 1,
	      "safes not recalled");
	CHECK(!strcmp(model_get_string(live, P_CH_NAME, 0), "Vox"), "name recalled");
	unsigned seen = 0;
	while (rtq_pop(&q, &msg) == 0) {
		seen++;
		enum param_id id = (enum param_id)msg.id;
		if (id == P_CH_FADER)
			CHECK(msg.kind == RT_RAMP && msg.arg == 500 && msg.value == -20,
			      "fader ramps over 500 ms");
		else if (id == P_CH_MUTE)
			CHECK(msg.kind == RT_RAMP && msg.value == 1, "mute engages at the end of the fade");
		else if (id == P_MASTER_MUTE)
			CHECK(msg.kind == RT_SET && msg.value == 0, "unmute happens at the start");
		else if (id == P_CH_EQ_ON && msg.i1 == 0)
			CHECK(msg.kind == RT_SET && msg.value == 1, "EQ in at the start");
		else if (id == P_CH_EQ_ON && msg.i1 == 2)
			CHECK(msg.kind == RT_RAMP && msg.value == 0, "EQ out at the end");
		else if (id == P_CH_EQ_TYPE)
			CHECK(msg.kind == RT_RAMP, "type changes at the end");
		else
			CHECK(0, "unexpected message for %s", param_table[id].path);
	}
	CHECK(seen == 6, "6 RT messages (the name stays on the control side), got %u", seen);

	/* without a fade everything is an instant set */
	model_set(s->values, P_CH_FADER, 0, 0, -30, NULL);
	snapshot_apply(s, live, 0, SNAPSHOT_RECALL, NULL);
	model_commit(live);
	CHECK(rtq_pop(&q, &msg) == 0 && msg.kind == RT_SET && msg.value == -30, "fade 0: RT_SET");
	/* a load (not a recall) ignores safes and restores them */
	snapshot_apply(s, live, 0, 0, NULL);
	CHECK(model_get(live, P_CH_FADER, 1, 0) == -20 && model_get(live, P_CH_SAFE, 0, 0) == 1,
	      "a state load sets everything, safes too");
	snapshot_free(s);
	model_free(live);
	rtq_destroy(&q);
}

/* ---- files -------------------------------------------------------------- */

static int exists(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

/* Names in a directory, sorted, one string. */
static void listing(const char *dir, char *out, size_t n)
{
	struct dirent **ents;
	int k = scandir(dir, &ents, NULL, alphasort);
	out[0] = 0;
	for (int i = 0; i < k; i++) {
		strncat(out, ents[i]->d_name, n - strlen(out) - 2);
		strncat(out, "/", n - strlen(out) - 1);
		free(ents[i]);
	}
	free(ents);
}

static void test_files(void)
{
	char err[512], path[512], before[4096], after[4096];
	size_t len;
	int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open %s", tmpdir);

	/* atomic write and sweep */
	CHECK(statefile_write_atomic(dfd, "a.state", "one\n", 4, 0, err, sizeof err) == 0, "write: %s", err);
	CHECK(statefile_write_atomic(dfd, "a.state", "two\n", 4, 0, err, sizeof err) == 0, "rewrite: %s",
	      err);
	snprintf(path, sizeof path, "%s/a.state", tmpdir);
	char *got = slurp(path, &len);
	CHECK(got && len == 4 && !memcmp(got, "two\n", 4), "file has the new content");
	free(got);
	int fd = openat(dfd, ".a.state.tmp.999999999.0", O_CREAT | O_WRONLY, 0644); /* no such pid */
	close(fd);
	char live_tmp[64];
	snprintf(live_tmp, sizeof live_tmp, ".a.state.tmp.%ld.3", (long)getppid());
	close(openat(dfd, live_tmp, O_CREAT | O_WRONLY, 0644));
	close(openat(dfd, ".b.state.tmp.999999999.0", O_CREAT | O_WRONLY, 0644));
	close(openat(dfd, ".a.state.tmp.x.0", O_CREAT | O_WRONLY, 0644));
	close(openat(dfd, ".hidden", O_CREAT | O_WRONLY, 0644));
	CHECK(statefile_sweep(dfd, "a.state") == 1, "one stale temporary of a.state swept");
	CHECK(!exists(dfd, ".a.state.tmp.999999999.0"), "dead writer's temporary removed");
	CHECK(exists(dfd, live_tmp), "a live writer's temporary kept");
	CHECK(exists(dfd, ".b.state.tmp.999999999.0") && exists(dfd, ".a.state.tmp.x.0") &&
	          exists(dfd, ".hidden"),
	      "other files untouched");
	CHECK(statefile_sweep(dfd, NULL) == 1, "sweep of all targets takes b's");
	unlinkat(dfd, live_tmp, 0);
	unlinkat(dfd, ".a.state.tmp.x.0", 0);
	unlinkat(dfd, ".hidden", 0);

	/* a file on disk larger than the limit is refused after reading one
	 * byte more than the limit, never parsed */
	fd = openat(dfd, "huge.state", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, SNAPSHOT_MAX_BYTES + 4096) == 0, "sparse 10 MB file");
	close(fd);
	struct snapshot *hs = snapshot_new(&shape);
	CHECK(snapshot_read(hs, dfd, "huge.state", "huge.state", 0, err, sizeof err) < 0 &&
	          strstr(err, "larger") && !strncmp(err, "huge.state:1:", 13),
	      "huge file: %s", err);
	snapshot_free(hs);
	unlinkat(dfd, "huge.state", 0);

	/* a corrupt state file at start-up is set aside, defaults used */
	struct model *m = model_new(&shape, NULL);
	set_all(m, 0);
	char *text = snapshot_format(m, NULL, &len);
	text[len / 2] ^= 4;
	snprintf(path, sizeof path, "%s/console.state", tmpdir);
	FILE *f = fopen(path, "wb");
	fwrite(text, 1, len, f);
	fclose(f);
	struct model *fresh = model_new(&shape, NULL), *defaults = model_new(&shape, NULL);
	snprintf(path, sizeof path, "%s/console.state", tmpdir);
	char scenes[512];
	snprintf(scenes, sizeof scenes, "%s/scenes/deeper", tmpdir);
	struct session_config sc = {path, scenes, 1};
	struct session *ses = session_new(&sc, NULL, fresh, NULL);
	CHECK(ses != NULL, "session");
	CHECK(session_load_state(ses) == 0, "corrupt state handled");
	CHECK(!exists(dfd, "console.state"), "corrupt state file renamed");
	CHECK(models_differ(fresh, defaults) == 0, "defaults after a corrupt state file");
	int found = 0;
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "console.state.corrupt-", 22)) {
			char p2[600];
			snprintf(p2, sizeof p2, "%s/%s", tmpdir, de->d_name);
			size_t l2;
			char *kept = slurp(p2, &l2);
			found += kept && l2 == len && !memcmp(kept, text, len);
			free(kept);
		}
	closedir(d);
	CHECK(found == 1, "the damaged file is kept, byte for byte");
	CHECK(session_save_state(ses, err, sizeof err) == 0, "save: %s", err);
	struct snapshot *back = snapshot_new(&shape);
	CHECK(snapshot_read(back, dfd, "console.state", "console.state", 0, err, sizeof err) == 0,
	      "reread: %s", err);
	snapshot_free(back);

	/* scenes: save, list, load into the live console, corrupt one */
	rng = 5;
	set_all(fresh, 0);
	for (unsigned c = 0; c < NCH; c++)
		model_set(fresh, P_CH_SAFE, c, 0, 0, NULL); /* else recall skips every channel */
	CHECK(session_scene_save(ses, "verse-1.a_b", err, sizeof err) == 0, "scene save: %s", err);
	CHECK(session_scene_save(ses, "chorus", err, sizeof err) == 0, "scene save: %s", err);
	int sfd = open(scenes, O_RDONLY | O_DIRECTORY);
	CHECK(sfd >= 0, "scene directory created with its parents");
	char **names;
	unsigned nn;
	CHECK(snapshot_scene_list(sfd, &names, &nn) == 0 && nn == 2 && !strcmp(names[0], "chorus") &&
	          !strcmp(names[1], "verse-1.a_b"),
	      "list is sorted");
	free(names);
	struct model *ref = model_new(&shape, NULL);
	rng = 5;
	set_all(ref, 0);
	for (unsigned c = 0; c < NCH; c++)
		model_set(ref, P_CH_SAFE, c, 0, 0, NULL);
	CHECK(models_differ(ref, fresh) == 0, "same generator");
	model_set(fresh, P_CH_FADER, 0, 0, 3, NULL);
	CHECK(session_scene_load(ses, "chorus", 0, 0, err, sizeof err) == 0, "scene load: %s", err);
	CHECK(models_differ(ref, fresh) == 0, "scene recalled");
	/* damaged scene: rejected, live console untouched */
	CHECK(statefile_write_atomic(sfd, "bad.scene",
	                             "jackmixd-state 1\n/ch/1/fader/db -3\n/ch/1/mute 7\nend\n", 51, 0, err,
	                             sizeof err) == 0,
	      "write bad scene");
	unsigned long g = model_generation(fresh);
	CHECK(session_scene_load(ses, "bad", 0, 0, err, sizeof err) < 0 && strstr(err, "bad.scene:3:"),
	      "damaged scene rejected with file:line: %s", err);
	CHECK(model_generation(fresh) == g && models_differ(ref, fresh) == 0, "live console untouched");
	CHECK(session_scene_load(ses, "missing", 0, 0, err, sizeof err) < 0 && strstr(err, "no snapshot"),
	      "missing scene: %s", err);
	CHECK(session_scene_load(ses, "chorus", NAN, 0, err, sizeof err) < 0, "NaN fade rejected");
	CHECK(session_scene_load(ses, "chorus", -1, 0, err, sizeof err) < 0, "negative fade rejected");

	/* hostile names: rejected, nothing created anywhere */
	static const char *const hostile[] = {
	    "",
	    ".",
	    "..",
	    ".hidden",
	    "../x",
	    "/etc/passwd",
	    "a/b",
	    "a\x01b",
	    "a b",
	    "a\nb",
	    "\xc3\xa9t\xc3\xa9",
	    "x*",
	    "..\\x",
	    "con:",
	    "a\tb",
	    "01234567890123456789012345678901234567890123456789012345678901234"};
	listing(tmpdir, before, sizeof before);
	char sb[4096], sa[4096];
	listing(scenes, sb, sizeof sb);
	for (unsigned i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		CHECK(!snapshot_name_valid(hostile[i]), "name '%s' accepted", hostile[i]);
		CHECK(session_scene_save(ses, hostile[i], err, sizeof err) < 0, "save '%s' accepted",
		      hostile[i]);
		CHECK(session_scene_load(ses, hostile[i], 0, 0, err, sizeof err) < 0, "load '%s' accepted",
		      hostile[i]);
		CHECK(session_scene_delete(ses, hostile[i], err, sizeof err) < 0, "delete '%s' accepted",
		      hostile[i]);
	}
	CHECK(snapshot_name_valid("0123456789012345678901234567890123456789012345678901234567890123"),
	      "64 characters are fine");
	CHECK(snapshot_name_valid("A.b-c_9") && !snapshot_name_valid(NULL), "allowed characters");
	listing(tmpdir, after, sizeof after);
	listing(scenes, sa, sizeof sa);
	CHECK(!strcmp(before, after) && !strcmp(sb, sa), "hostile names created nothing (%s | %s)", after,
	      sa);

	/* a symlink planted in the scene directory is never followed */
	snprintf(path, sizeof path, "%s/outside", tmpdir);
	f = fopen(path, "wb");
	fwrite(text, 1, len, f); /* a damaged but recognisable file */
	fclose(f);
	CHECK(symlinkat(path, sfd, "evil.scene") == 0, "plant symlink");
	CHECK(symlinkat(tmpdir, sfd, "dir.scene") == 0, "plant directory symlink");
	CHECK(mkfifoat(sfd, "fifo.scene", 0644) == 0, "plant FIFO");
	CHECK(session_scene_load(ses, "evil", 0, 0, err, sizeof err) < 0 && strstr(err, "symbolic link"),
	      "symlink not read: %s", err);
	CHECK(session_scene_load(ses, "fifo", 0, 0, err, sizeof err) < 0 && strstr(err, "regular"),
	      "FIFO not read (and no hang): %s", err);
	CHECK(session_scene_save(ses, "evil", err, sizeof err) < 0, "save over a symlink refused");
	CHECK(session_scene_save(ses, "dir", err, sizeof err) < 0, "save over a directory symlink refused");
	CHECK(session_scene_delete(ses, "evil", err, sizeof err) < 0, "delete of a symlink refused");
	got = slurp(path, &len);
	CHECK(got && !memcmp(got, text, len), "the file outside is unchanged");
	free(got);
	struct stat st;
	CHECK(fstatat(sfd, "evil.scene", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode),
	      "link still a link");
	CHECK(snapshot_scene_list(sfd, &names, &nn) == 0 && nn == 3, "list shows regular files only (%u)",
	      nn);
	free(names);
	CHECK(session_scene_delete(ses, "chorus", err, sizeof err) == 0 && !exists(sfd, "chorus.scene"),
	      "delete: %s", err);
	CHECK(session_scene_delete(ses, "chorus", err, sizeof err) < 0, "delete twice");

	free(text);
	close(sfd);
	session_free(ses);
	model_free(m);
	model_free(fresh);
	model_free(defaults);
	model_free(ref);
	close(dfd);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/jmx-snap.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_round_trip();
	test_render_identical();
	test_corrupt();
	test_recall();
	test_files();
	if (!test_failures) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	} else {
		fprintf(stderr, "files kept in %s\n", tmpdir);
	}
	return test_exit("test_snapshot");
}
