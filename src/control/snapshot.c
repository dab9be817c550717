/*
 * snapshot.c - state files and scenes; see snapshot.h for the format.
 *
 * Threads: control thread only (and the offline tests and fuzz target,
 * single-threaded).  No JACK and no logging here: every failure is
 * returned with a message for the caller to log and to send as /error.
 *
 * Invariants:
 * - The format is generated from the parameter table: no list of
 *   parameters here.  Values go through model_set/model_set_string of a
 *   staging model, the same validation as OSC, plus the file's stricter
 *   rules (out of range, duplicates and non-finite values are errors, not
 *   clamped, since they mean the file is damaged).
 * - The parser never reads past len, never recurses, allocates only the
 *   connection array, and bounds every line (SNAP_LINE_MAX) and the file
 *   (SNAPSHOT_MAX_BYTES).
 * - Files are opened relative to a directory fd; scenes with O_NOFOLLOW
 *   and only as regular files, so a symlink planted in the scene directory
 *   is never followed for reading, writing or deleting.
 */
#define _GNU_SOURCE
#include "snapshot.h"
#include "role.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "params_path.h"
#include "statefile.h"

#define SNAP_LINE_MAX 4096
#define SNAP_MAGIC    "jackmixd-state"

/* ---- small helpers ---------------------------------------------------- */

static void snap_err(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void snap_err(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "%s:%u: ", file, line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void msg(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* CRC-32 (IEEE 802.3, as zlib and cksum -a crc32b): cheap, and catches
 * every single-bit flip and every burst up to 32 bits. */
static uint32_t snap_crc_table[256];

static uint32_t snap_crc32(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c = 0xffffffffu;

	if (!snap_crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t r = i;
			for (int k = 0; k < 8; k++)
				r = r & 1 ? 0xedb88320u ^ (r >> 1) : r >> 1;
			snap_crc_table[i] = r;
		}
	for (size_t i = 0; i < len; i++)
		c = snap_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* ---- the staging state ------------------------------------------------ */

struct snapshot *snapshot_new(const struct param_shape *shape)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct snapshot *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->values = model_new(shape, NULL);
	if (s->values) /* a file's pairs are as they were saved */
		model_set_follow(s->values, 0);
	s->lanes = lanes_new(shape);
	if (!s->values || !s->lanes) {
		model_free(s->values);
		lanes_free(s->lanes);
		free(s);
		return NULL;
	}
	return s;
}

void snapshot_free(struct snapshot *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!s)
		return;
	model_free(s->values);
	snapshot_conns_free(&s->conns);
	lanes_free(s->lanes);
	free(s);
}

static int snap_port_valid(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n >= SNAPSHOT_PORT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_')
			return 0;
	return 1;
}

static int snap_peer_valid(const char *p)
{
	size_t n = strlen(p);
	const char *colon = strchr(p, ':');
	if (n < 3 || n >= SNAPSHOT_PEER_MAX || !colon || colon == p || !colon[1])
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int snapshot_conns_find(const struct snapshot_conns *c, const char *port, const char *peer)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].port, port) && !strcmp(c->v[i].peer, peer))
			return (int)i;
	return -1;
}

int snapshot_conns_add(struct snapshot_conns *c, const char *port, const char *peer)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!snap_port_valid(port) || !snap_peer_valid(peer))
		return -1;
	if (snapshot_conns_find(c, port, peer) >= 0)
		return 0;
	if (c->n >= SNAPSHOT_MAX_CONN)
		return -1;
	if (c->n == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 16;
		struct snapshot_conn *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	snprintf(c->v[c->n].port, SNAPSHOT_PORT_MAX, "%s", port);
	snprintf(c->v[c->n].peer, SNAPSHOT_PEER_MAX, "%s", peer);
	c->n++;
	return 0;
}

void snapshot_conns_remove(struct snapshot_conns *c, unsigned i)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (i >= c->n)
		return;
	memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof *c->v);
	c->n--;
}

void snapshot_conns_clear(struct snapshot_conns *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	c->n = 0;
}

int snapshot_conns_equal(const struct snapshot_conns *a, const struct snapshot_conns *b)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (a->n != b->n)
		return 0;
	for (unsigned i = 0; i < a->n; i++)
		if (snapshot_conns_find(b, a->v[i].port, a->v[i].peer) < 0)
			return 0;
	return 1;
}

void snapshot_conns_free(struct snapshot_conns *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

/* ---- parser ----------------------------------------------------------- */

struct snap_parse {
	struct snapshot *s;
	const char *file;
	unsigned line;
	char *err;
	size_t errlen;
	unsigned char *seen; /* flat index -> line already set (duplicates) */
	unsigned offset[P_COUNT + 1];
};

/* Concrete path -> (id, i1, i2), with index range checks against the
 * console shape.  -1 with a message when unknown or out of range. */
static int snap_resolve(struct snap_parse *ps, const char *path, size_t len, enum param_id *id, unsigned *i1,
                        unsigned *i2)
{
	char why[80];
	switch (params_path_resolve(path, len, PARAMS_FORM_BIT(PARAMS_UNIT), model_shape(ps->s->values), id,
	                            NULL, i1, i2, why, sizeof why)) {
	case 0:
		return 0;
	case PARAMS_PATH_RANGE:
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "%.*s: %s", (int)len, path, why);
		return -1;
	default:
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "unknown path '%.*s'",
		         (int)(len > 200 ? 200 : len), path);
		return -1;
	}
}

/* A double-quoted string at *p (< end): \" \\ \xHH escapes.  On success
 * out holds the bytes and *p points after the closing quote. */
static int snap_string(struct snap_parse *ps, const char **p, const char *end, char *out, size_t outlen)
{
	const char *q = *p;
	size_t n = 0;

	if (q >= end || *q != '"') {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "expected a double-quoted string");
		return -1;
	}
	q++;
	while (q < end && *q != '"') {
		unsigned char c = (unsigned char)*q++;
		if (c == '\\') {
			if (q >= end)
				break;
			c = (unsigned char)*q++;
			if (c == 'x') {
				if (end - q < 2 || !isxdigit((unsigned char)q[0]) ||
				    !isxdigit((unsigned char)q[1])) {
					snap_err(ps->err, ps->errlen, ps->file, ps->line, "bad \\x escape");
					return -1;
				}
				char hex[3] = {q[0], q[1], 0};
				c = (unsigned char)strtoul(hex, NULL, 16);
				q += 2;
			} else if (c != '"' && c != '\\') {
				snap_err(ps->err, ps->errlen, ps->file, ps->line, "unknown escape '\\%c'",
				         isprint(c) ? c : '?');
				return -1;
			}
		}
		if (c == 0 || n + 1 >= outlen) {
			snap_err(ps->err, ps->errlen, ps->file, ps->line,
			         c == 0 ? "NUL in string" : "string longer than %zu bytes", outlen - 1);
			return -1;
		}
		out[n++] = (char)c;
	}
	if (q >= end) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "unterminated string");
		return -1;
	}
	out[n] = 0;
	*p = q + 1;
	return 0;
}

static const char *snap_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static int snap_expect_eol(struct snap_parse *ps, const char *p, const char *end)
{
	p = snap_skip_ws(p, end);
	if (p != end) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "unexpected text after the value");
		return -1;
	}
	return 0;
}

/* Enum by name or by index. */
static int snap_enum(const struct param_info *pi, const char *tok, size_t len, float *v)
{
	const char *e = pi->enums;
	unsigned idx = 0;
	while (e && *e) {
		size_t n = strcspn(e, " ");
		if (n == len && !memcmp(e, tok, len)) {
			*v = (float)idx;
			return 0;
		}
		idx++;
		e += n;
		while (*e == ' ')
			e++;
	}
	return -1;
}

static int snap_number(struct snap_parse *ps, const struct param_info *pi, const char *tok, size_t len,
                       float *v)
{
	char buf[64];
	char *endp;

	if (len == 0) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "%s: missing value", pi->path);
		return -1;
	}
	if (pi->type == PT_ENUM && snap_enum(pi, tok, len, v) == 0)
		return 0;
	if (len >= sizeof buf) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "value too long");
		return -1;
	}
	memcpy(buf, tok, len);
	buf[len] = 0;
	errno = 0;
	*v = strtof(buf, &endp);
	if (endp != buf + len) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "'%s' is not a number", buf);
		return -1;
	}
	if (!isfinite(*v)) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "non-finite value '%s'", buf);
		return -1;
	}
	if (strspn(buf, "+-0123456789.eE") != len) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "'%s' is not a decimal number", buf);
		return -1;
	}
	if (param_info_whole(pi) && *v != roundf(*v)) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "'%s' is not a whole number", buf);
		return -1;
	}
	if (*v < pi->min || *v > pi->max) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "value %s out of range %g..%g", buf,
		         pi->min, pi->max);
		return -1;
	}
	return 0;
}

static int snap_connect_line(struct snap_parse *ps, const char *p, const char *end)
{
	char port[SNAPSHOT_PORT_MAX], peer[SNAPSHOT_PEER_MAX];

	p = snap_skip_ws(p, end);
	if (snap_string(ps, &p, end, port, sizeof port) < 0)
		return -1;
	p = snap_skip_ws(p, end);
	if (snap_string(ps, &p, end, peer, sizeof peer) < 0 || snap_expect_eol(ps, p, end) < 0)
		return -1;
	if (!snap_port_valid(port) || !snap_peer_valid(peer)) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "invalid port name");
		return -1;
	}
	if (snapshot_conns_add(&ps->s->conns, port, peer) < 0) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "too many connections (max %u)",
		         SNAPSHOT_MAX_CONN);
		return -1;
	}
	return 0;
}

static int snap_param_line(struct snap_parse *ps, const char *p, const char *end)
{
	const char *path = p;
	enum param_id id;
	unsigned i1, i2;
	enum model_result r;

	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (snap_resolve(ps, path, (size_t)(p - path), &id, &i1, &i2) < 0)
		return -1;
	const struct param_info *pi = &param_table[id];
	if (pi->type == PT_METER) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "%s is read-only", pi->path);
		return -1;
	}
	unsigned n1, n2;
	model_dims(ps->s->values, id, &n1, &n2);
	unsigned flat = ps->offset[id] + i1 * n2 + i2;
	if (ps->seen[flat]) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "%.*s set twice", (int)(p - path), path);
		return -1;
	}
	ps->seen[flat] = 1;
	p = snap_skip_ws(p, end);
	if (pi->type == PT_STRING) {
		char name[MODEL_NAME_MAX];
		if (snap_string(ps, &p, end, name, sizeof name) < 0 || snap_expect_eol(ps, p, end) < 0)
			return -1;
		r = model_set_string(ps->s->values, id, i1, name, NULL);
	} else {
		const char *tok = p;
		float v;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (snap_number(ps, pi, tok, (size_t)(p - tok), &v) < 0 || snap_expect_eol(ps, p, end) < 0)
			return -1;
		r = model_set(ps->s->values, id, i1, i2, v, NULL);
	}
	if (r != MODEL_OK) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "%.*s: invalid value", (int)(p - path),
		         path);
		return -1;
	}
	return 0;
}

/* The end line: "end" or "end crc32 XXXXXXXX"; body = bytes before it. */
static int snap_end_line(struct snap_parse *ps, const char *p, const char *end, const char *text, size_t body)
{
	p = snap_skip_ws(p, end);
	if (p == end)
		return 0;
	if (end - p < 6 || memcmp(p, "crc32", 5) != 0 || (p[5] != ' ' && p[5] != '\t')) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "expected 'end' or 'end crc32 XXXXXXXX'");
		return -1;
	}
	p = snap_skip_ws(p + 5, end);
	const char *h = p;
	/* lower case only: a flipped case bit must not pass */
	while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
		p++;
	if (p - h != 8 || snap_expect_eol(ps, p, end) < 0) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line, "malformed checksum");
		return -1;
	}
	char hex[9];
	memcpy(hex, h, 8);
	hex[8] = 0;
	uint32_t want = (uint32_t)strtoul(hex, NULL, 16), got = snap_crc32(text, body);
	if (want != got) {
		snap_err(ps->err, ps->errlen, ps->file, ps->line,
		         "checksum mismatch (file says %08x, content gives %08x): the file is damaged", want,
		         got);
		return -1;
	}
	return 0;
}

int snapshot_parse(struct snapshot *s, const char *file, const char *text, size_t len, char *err,
                   size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct snap_parse ps = {.s = s, .file = file, .err = err, .errlen = errlen};
	const struct param_shape *shape = model_shape(s->values);
	size_t pos = 0;
	int have_version = 0, done = 0, rc = -1;

	if (len > SNAPSHOT_MAX_BYTES) {
		unsigned line = 1;
		for (size_t i = 0; i < SNAPSHOT_MAX_BYTES; i++)
			line += text[i] == '\n';
		snap_err(err, errlen, file, line, "file larger than %u bytes", SNAPSHOT_MAX_BYTES);
		return -1;
	}
	for (unsigned k = 0; k <= P_COUNT; k++)
		ps.offset[k] = param_offset((enum param_id)k, shape);
	ps.seen = calloc(ps.offset[P_COUNT] ? ps.offset[P_COUNT] : 1, 1);
	if (!ps.seen) {
		snap_err(err, errlen, file, 0, "out of memory");
		return -1;
	}
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		const char *end = nl ? nl : text + len;
		size_t line_start = pos;

		ps.line++;
		pos = nl ? (size_t)(nl - text) + 1 : len;
		if (end - start > SNAP_LINE_MAX) {
			snap_err(err, errlen, file, ps.line, "line longer than %d bytes", SNAP_LINE_MAX);
			goto out;
		}
		if (memchr(start, 0, (size_t)(end - start))) {
			snap_err(err, errlen, file, ps.line, "NUL byte");
			goto out;
		}
		if (end > start && end[-1] == '\r')
			end--;
		if (!nl) {
			/* every line, even the last, ends with a newline: a
			 * file cut anywhere is caught here or by the end line */
			snap_err(err, errlen, file, ps.line, "last line is incomplete (file truncated?)");
			goto out;
		}
		const char *p = snap_skip_ws(start, end);
		if (p == end || *p == '#')
			continue;
		if (!have_version) {
			size_t ml = strlen(SNAP_MAGIC);
			unsigned long v;
			char *e;
			if ((size_t)(end - p) <= ml || memcmp(p, SNAP_MAGIC, ml) ||
			    (p[ml] != ' ' && p[ml] != '\t')) {
				snap_err(err, errlen, file, ps.line,
				         "not a jackmixd state file (expected '%s %d')", SNAP_MAGIC,
				         SNAPSHOT_FORMAT);
				goto out;
			}
			p = snap_skip_ws(p + ml, end);
			char num[16];
			size_t n = 0;
			while (p + n < end && n < sizeof num - 1 && isdigit((unsigned char)p[n]))
				num[n] = p[n], n++;
			num[n] = 0;
			errno = 0;
			v = strtoul(num, &e, 10);
			if (n == 0 || n > 9 || snap_expect_eol(&ps, p + n, end) < 0 || v == 0) {
				snap_err(err, errlen, file, ps.line, "malformed format version");
				goto out;
			}
			if (v > SNAPSHOT_FORMAT) {
				snap_err(
				    err, errlen, file, ps.line,
				    "format %lu was written by a newer jackmixd (this one reads format %d)",
				    v, SNAPSHOT_FORMAT);
				goto out;
			}
			have_version = 1;
			continue;
		}
		if (end - p >= 3 && !memcmp(p, "end", 3) && (end - p == 3 || p[3] == ' ' || p[3] == '\t')) {
			if (snap_end_line(&ps, p + 3, end, text, line_start) < 0)
				goto out;
			/* nothing may follow, not even blank lines: a file is
			 * written in one piece, anything after end is damage */
			if (pos < len) {
				ps.line++;
				snap_err(err, errlen, file, ps.line, "data after the 'end' line");
				goto out;
			}
			done = 1;
			break;
		}
		if (end - p >= 13 && !memcmp(p, "/jack/connect", 13) &&
		    (end - p == 13 || p[13] == ' ' || p[13] == '\t')) {
			if (snap_connect_line(&ps, p + 13, end) < 0)
				goto out;
			continue;
		}
		if (*p != '/') {
			snap_err(err, errlen, file, ps.line, "expected '/path value'");
			goto out;
		}
		char why[256];
		int lr = lanes_parse_line(s->lanes, p, (size_t)(end - p), why, sizeof why);
		if (lr < 0) {
			snap_err(err, errlen, file, ps.line, "%s", why);
			goto out;
		}
		if (lr > 0)
			continue;
		if (snap_param_line(&ps, p, end) < 0)
			goto out;
	}
	if (!have_version) {
		snap_err(err, errlen, file, ps.line + 1, "no '%s' line (empty file?)", SNAP_MAGIC);
		goto out;
	}
	if (!done) {
		snap_err(err, errlen, file, ps.line + 1, "missing 'end' line (file truncated?)");
		goto out;
	}
	rc = 0;
out:
	free(ps.seen);
	return rc;
}

/* ---- writer ----------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len)
			break;
		size_t cap = b->cap * 2 + (size_t)n + 1;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	b->len += (size_t)n;
}

static void sb_quoted(struct sbuf *b, const char *s)
{
	sb_add(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sb_add(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sb_add(b, "\\x%02x", c);
		else
			sb_add(b, "%c", c);
	}
	sb_add(b, "\"");
}

static void snap_write_one(struct sbuf *b, const struct model *m, enum param_id id, unsigned i1, unsigned i2)
{
	const struct param_info *pi = &param_table[id];
	char path[PARAMS_PATH_MAX];

	params_path_format(id, PARAMS_UNIT, i1, i2, path, sizeof path);
	if (pi->type == PT_STRING) {
		sb_add(b, "%s ", path);
		sb_quoted(b, model_get_string(m, id, i1));
		sb_add(b, "\n");
		return;
	}
	float v = model_get(m, id, i1, i2);
	if (pi->type == PT_ENUM && pi->enums) {
		const char *e = pi->enums;
		for (int k = 0; k < (int)v && *e; k++) {
			e += strcspn(e, " ");
			while (*e == ' ')
				e++;
		}
		if (*e) {
			sb_add(b, "%s %.*s\n", path, (int)strcspn(e, " "), e);
			return;
		}
	}
	char num[32];
	params_path_fmt_float(num, sizeof num, v);
	sb_add(b, "%s %s\n", path, num);
}

/* All instances of every parameter whose scope is sc, for index i1:
 * strings first (a block opens with its name), then single-index
 * parameters in table order, then the two-index ones grouped by their
 * second index (band by band, send by send) so that related lines sit
 * together. */
static void snap_write_block(struct sbuf *b, const struct model *m, enum param_scope sc, enum param_scope sc2,
                             unsigned i1)
{
	unsigned n1, n2 = 1;
	for (unsigned id = 0; id < P_COUNT; id++)
		if (param_table[id].scope == sc && param_table[id].type == PT_STRING)
			snap_write_one(b, m, (enum param_id)id, i1, 0);
	for (unsigned id = 0; id < P_COUNT; id++)
		if (param_table[id].scope == sc && param_table[id].type != PT_STRING &&
		    param_table[id].type != PT_METER)
			snap_write_one(b, m, (enum param_id)id, i1, 0);
	for (unsigned id = 0; id < P_COUNT; id++)
		if (param_table[id].scope == sc2)
			model_dims(m, (enum param_id)id, &n1, &n2);
	for (unsigned i2 = 0; sc2 != sc && i2 < n2; i2++)
		for (unsigned id = 0; id < P_COUNT; id++)
			if (param_table[id].scope == sc2 && param_table[id].type != PT_METER)
				snap_write_one(b, m, (enum param_id)id, i1, i2);
}

/* Every instance (i1, i2) of the two-index parameters of scope sc for
 * index i1 (a channel's sends, DCA and mute-group memberships), grouped by
 * their second index. */
static void snap_write_by_i2(struct sbuf *b, const struct model *m, enum param_scope sc, unsigned i1)
{
	unsigned n1, n2 = 0;
	for (unsigned id = 0; id < P_COUNT; id++)
		if (param_table[id].scope == sc)
			model_dims(m, (enum param_id)id, &n1, &n2);
	for (unsigned i2 = 0; i2 < n2; i2++)
		for (unsigned id = 0; id < P_COUNT; id++)
			if (param_table[id].scope == sc && param_table[id].type != PT_METER)
				snap_write_one(b, m, (enum param_id)id, i1, i2);
}

static void snap_lane_line(void *ctx, const char *line)
{
	sb_add(ctx, "%s\n", line);
}

char *snapshot_format(const struct model *m, const struct snapshot_conns *conns, size_t *len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return snapshot_format_lanes(m, NULL, conns, len);
}

char *snapshot_format_lanes(const struct model *m, const struct lanes *lanes,
                            const struct snapshot_conns *conns, size_t *len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct sbuf b = {0};
	const struct param_shape *shape = model_shape(m);

	b.cap = 4096;
	b.p = malloc(b.cap);
	if (!b.p)
		return NULL;
	b.p[0] = 0;
	sb_add(&b, "# jackmixd console state: one \"path value\" per line in engineering units,\n"
	           "# paths as in the OSC namespace (jackmixd --dump-osc).  See jackmixd(1).\n");
	sb_add(&b, "%s %d\n", SNAP_MAGIC, SNAPSHOT_FORMAT);
	for (unsigned c = 0; c < shape->channels; c++) {
		sb_add(&b, "\n");
		snap_write_block(&b, m, SC_CH, SC_CH_BAND, c);
		snap_write_by_i2(&b, m, SC_CH_BUS, c);
		snap_write_by_i2(&b, m, SC_CH_DCA, c);
		snap_write_by_i2(&b, m, SC_CH_MGRP, c);
	}
	for (unsigned a = 0; a < shape->buses; a++) {
		sb_add(&b, "\n");
		snap_write_block(&b, m, SC_BUS, SC_BUS_BAND, a);
		snap_write_by_i2(&b, m, SC_BUS_DCA, a);
		snap_write_by_i2(&b, m, SC_BUS_MGRP, a);
	}
	sb_add(&b, "\n");
	snap_write_block(&b, m, SC_GLOBAL, SC_MASTER_BAND, 0);
	for (unsigned d = 0; d < JMX_DCAS; d++)
		snap_write_block(&b, m, SC_DCA, SC_DCA, d);
	for (unsigned g = 0; g < JMX_MUTEGROUPS; g++)
		snap_write_block(&b, m, SC_MGRP, SC_MGRP, g);
	if (conns && conns->n)
		sb_add(&b, "\n");
	for (unsigned i = 0; conns && i < conns->n; i++) {
		sb_add(&b, "/jack/connect ");
		sb_quoted(&b, conns->v[i].port);
		sb_add(&b, " ");
		sb_quoted(&b, conns->v[i].peer);
		sb_add(&b, "\n");
	}
	if (lanes && lanes_any(lanes)) {
		sb_add(&b, "\n");
		lanes_format(lanes, snap_lane_line, &b);
	}
	if (!b.oom) {
		uint32_t crc = snap_crc32(b.p, b.len);
		sb_add(&b, "end crc32 %08x\n", crc);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- recall ----------------------------------------------------------- */

static int snap_is_mute(enum param_id id)
{
	const char *p = param_table[id].path;
	size_t n = strlen(p);
	return n >= 5 && !strcmp(p + n - 5, "/mute");
}

static int snap_channel_scope(enum param_scope sc)
{
	return sc == SC_CH || sc == SC_CH_BAND || sc == SC_CH_BUS || sc == SC_CH_DCA || sc == SC_CH_MGRP;
}

unsigned snapshot_apply(const struct snapshot *s, struct model *live, float fade_ms, unsigned flags,
                        const void *origin)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const struct param_shape *a = model_shape(s->values), *b = model_shape(live);
	unsigned changed = 0;
	int recall = (flags & SNAPSHOT_RECALL) != 0;

	if (a->channels != b->channels || a->buses != b->buses)
		return 0;
	/* the scene's linked pairs are consistent as saved: each value goes
	 * where the scene says, not to the partner too */
	model_set_follow(live, 0);
	for (unsigned k = 0; k < P_COUNT; k++) {
		enum param_id id = (enum param_id)k;
		const struct param_info *pi = &param_table[id];
		unsigned n1, n2;
		if (pi->type == PT_METER || (recall && id == P_CH_SAFE))
			continue;
		model_dims(live, id, &n1, &n2);
		for (unsigned i1 = 0; i1 < n1; i1++) {
			if (recall && snap_channel_scope(pi->scope) &&
			    model_get(live, P_CH_SAFE, i1, 0) >= 0.5f)
				continue;
			for (unsigned i2 = 0; i2 < n2; i2++) {
				if (pi->type == PT_STRING) {
					const char *want = model_get_string(s->values, id, i1);
					if (strcmp(want, model_get_string(live, id, i1)) != 0 &&
					    model_set_string(live, id, i1, want, origin) == MODEL_OK)
						changed++;
					continue;
				}
				float v = model_get(s->values, id, i1, i2);
				if (v == model_get(live, id, i1, i2))
					continue;
				/* A switch that makes something sound or act (an unmute,
				 * an "on") happens at the start so the fade is heard
				 * through it; one that silences or bypasses at the end. */
				int at_start =
				    pi->type == PT_BOOL && (snap_is_mute(id) ? v < 0.5f : v >= 0.5f);
				if (fade_ms <= 0.0f || at_start)
					model_set(live, id, i1, i2, v, origin);
				else
					model_ramp(live, id, i1, i2, v, fade_ms, origin);
				changed++;
			}
		}
	}
	model_set_follow(live, 1);
	return changed;
}

/* ---- files ------------------------------------------------------------ */

int snapshot_read(struct snapshot *s, int dirfd, const char *name, const char *file, int nofollow, char *err,
                  size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct stat st;
	int fd, e;
	char *buf;
	size_t len = 0, cap;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		e = errno;
		if (e == ENOENT) {
			msg(err, errlen, "%s: no such file", file);
			return -ENOENT;
		}
		if (e == ELOOP)
			msg(err, errlen, "%s: is a symbolic link (not followed)", file);
		else
			msg(err, errlen, "%s: %s", file, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		msg(err, errlen, "%s: not a regular file", file);
		close(fd);
		return -1;
	}
	cap = st.st_size > 0 && (size_t)st.st_size <= SNAPSHOT_MAX_BYTES ? (size_t)st.st_size + 1
	                                                                 : SNAPSHOT_MAX_BYTES + 1;
	buf = malloc(cap);
	if (!buf) {
		msg(err, errlen, "%s: out of memory", file);
		close(fd);
		return -1;
	}
	/* read one byte beyond the limit so that "too large" is detected */
	for (;;) {
		if (len == cap) {
			if (cap > SNAPSHOT_MAX_BYTES)
				break;
			size_t nc = cap * 2 > SNAPSHOT_MAX_BYTES + 1 ? SNAPSHOT_MAX_BYTES + 1 : cap * 2;
			char *nb = realloc(buf, nc);
			if (!nb) {
				msg(err, errlen, "%s: out of memory", file);
				goto fail;
			}
			buf = nb;
			cap = nc;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg(err, errlen, "%s: read: %s", file, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	int r = snapshot_parse(s, file, buf, len, err, errlen);
	free(buf);
	return r;
fail:
	close(fd);
	free(buf);
	return -1;
}

int snapshot_name_valid(const char *name)
{
	ASSERT_ROLE(ROLE_CONTROL);
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > SNAPSHOT_NAME_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!(isascii(c) && isalnum(c)) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

static int snap_scene_file(const char *name, char *out, size_t n, char *err, size_t errlen)
{
	if (!snapshot_name_valid(name)) {
		msg(err, errlen, "invalid snapshot name (1-%d of A-Z a-z 0-9 . _ -, not starting with '.')",
		    SNAPSHOT_NAME_MAX);
		return -1;
	}
	snprintf(out, n, "%s%s", name, SNAPSHOT_SUFFIX);
	return 0;
}

int snapshot_scene_save(int dirfd, const char *name, const void *buf, size_t len, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char f[SNAPSHOT_NAME_MAX + 16];
	if (snap_scene_file(name, f, sizeof f, err, errlen) < 0)
		return -EINVAL;
	return statefile_write_atomic(dirfd, f, buf, len, 1, err, errlen);
}

int snapshot_scene_read(struct snapshot *s, int dirfd, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char f[SNAPSHOT_NAME_MAX + 16];
	if (snap_scene_file(name, f, sizeof f, err, errlen) < 0)
		return -1;
	int r = snapshot_read(s, dirfd, f, f, 1, err, errlen);
	if (r == -ENOENT)
		msg(err, errlen, "no snapshot named '%s'", name);
	return r;
}

int snapshot_scene_delete(int dirfd, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char f[SNAPSHOT_NAME_MAX + 16];
	struct stat st;

	if (snap_scene_file(name, f, sizeof f, err, errlen) < 0)
		return -EINVAL;
	if (fstatat(dirfd, f, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		if (e == ENOENT)
			msg(err, errlen, "no snapshot named '%s'", name);
		else
			msg(err, errlen, "%s: %s", f, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		msg(err, errlen, "%s is not a regular file (not deleted)", f);
		return -EPERM;
	}
	if (unlinkat(dirfd, f, 0) < 0) {
		int e = errno;
		msg(err, errlen, "cannot delete %s: %s", f, strerror(e));
		return -e;
	}
	fsync(dirfd);
	return 0;
}

static int snap_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int snapshot_scene_list(int dirfd, char ***names, unsigned *n)
{
	ASSERT_ROLE(ROLE_CONTROL);
	size_t suf = strlen(SNAPSHOT_SUFFIX);
	unsigned count = 0, cap = 64;
	char(*found)[SNAPSHOT_NAME_MAX + 1] = malloc(cap * sizeof *found);
	int fd = dup(dirfd);
	DIR *d;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (!found || fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		free(found);
		return -ENOMEM;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		struct stat st;
		char base[SNAPSHOT_NAME_MAX + 1];
		if (l <= suf || l - suf > SNAPSHOT_NAME_MAX || strcmp(de->d_name + l - suf, SNAPSHOT_SUFFIX))
			continue;
		memcpy(base, de->d_name, l - suf);
		base[l - suf] = 0;
		if (!snapshot_name_valid(base) || fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (count == cap) {
			void *nf = realloc(found, (size_t)cap * 2 * sizeof *found);
			if (!nf)
				break;
			found = nf;
			cap *= 2;
		}
		memcpy(found[count++], base, l - suf + 1);
	}
	closedir(d);
	char **out = malloc(count * sizeof *out + count * (SNAPSHOT_NAME_MAX + 1) + 1);
	if (!out) {
		free(found);
		return -ENOMEM;
	}
	char *str = (char *)(out + count);
	for (unsigned i = 0; i < count; i++) {
		out[i] = str + i * (SNAPSHOT_NAME_MAX + 1);
		memcpy(out[i], found[i], SNAPSHOT_NAME_MAX + 1);
	}
	free(found);
	qsort(out, count, sizeof *out, snap_cmp);
	*names = out;
	*n = count;
	return 0;
}
