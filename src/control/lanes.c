/*
 * lanes.c - automation lanes as data: modes, points, thinning, merging,
 * evaluation and their lines in state files; see lanes.h.
 *
 * Threads: control thread only.  No logging: errors are returned.
 *
 * Invariants: the addresses are generated from the parameter table (no
 * list of parameters here); a parse error leaves the lane it was filling
 * as it was before the bad line; every allocation is bounded by
 * LANES_MAX_POINTS per lane.
 */
#include "lanes.h"
#include "role.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoplay.h"
#include "dsp.h"
#include "params_path.h"

static const char *const lanes_modes[AUTOPLAY_MODES] = {"off", "read", "write", "touch", "latch"};

/* ---- the table --------------------------------------------------------- */

int lanes_step(enum param_id id)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return !param_continuous(id);
}

float lanes_tolerance(enum param_id id)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const struct param_info *p = &param_table[id];
	if (!param_continuous(id))
		return 0.0f;
	if (p->taper == TP_LOG)
		return 0.004f; /* ln units: 0.4 %, 0.006 octave */
	if (!strncmp(p->unit, "dB", 2))
		return 0.1f;
	return 1e-3f * (p->max - p->min);
}

const char *lanes_mode_name(unsigned mode)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return mode < AUTOPLAY_MODES ? lanes_modes[mode] : "?";
}

int lanes_mode_parse(const char *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (int k = 0; k < AUTOPLAY_MODES; k++)
		if (!strcmp(s, lanes_modes[k]))
			return k;
	return -1;
}

long lanes_flat(const struct lanes *L, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned n1, n2;
	if ((unsigned)id >= P_COUNT)
		return -1;
	param_dims(id, &L->shape, &n1, &n2);
	if (i1 >= n1 || i2 >= n2)
		return -1;
	return (long)(L->off[id] + i1 * n2 + i2);
}

void lanes_unflat(const struct lanes *L, unsigned flat, enum param_id *id, unsigned *i1, unsigned *i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned k = 0, n1, n2;
	while (k + 1 < P_COUNT && L->off[k + 1] <= flat)
		k++;
	param_dims((enum param_id)k, &L->shape, &n1, &n2);
	*id = (enum param_id)k;
	*i1 = (flat - L->off[k]) / n2;
	*i2 = (flat - L->off[k]) % n2;
}

void lanes_base_path(enum param_id id, unsigned i1, unsigned i2, char *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	params_path_format(id, PARAMS_BASE, i1, i2, buf, len);
}

/* ---- life cycle -------------------------------------------------------- */

struct lanes *lanes_new(const struct param_shape *shape)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct lanes *L = calloc(1, sizeof *L);
	if (!L)
		return NULL;
	L->shape = *shape;
	for (unsigned id = 0; id <= P_COUNT; id++)
		L->off[id] = param_offset((enum param_id)id, shape);
	L->nflat = L->off[P_COUNT];
	L->lane = calloc(L->nflat ? L->nflat : 1, sizeof *L->lane);
	L->seen_mode = calloc(L->nflat ? L->nflat : 1, 1);
	if (!L->lane || !L->seen_mode) {
		lanes_free(L);
		return NULL;
	}
	return L;
}

void lanes_free(struct lanes *L)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!L)
		return;
	for (unsigned f = 0; L->lane && f < L->nflat; f++) {
		free(L->lane[f].frame);
		free(L->lane[f].value);
	}
	free(L->lane);
	free(L->seen_mode);
	free(L);
}

int lanes_any(const struct lanes *L)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned f = 0; f < L->nflat; f++)
		if (L->lane[f].mode || L->lane[f].n)
			return 1;
	return 0;
}

/* ---- points ------------------------------------------------------------ */

static int lane_reserve(struct lanes_lane *l, unsigned n)
{
	if (n > LANES_MAX_POINTS)
		return -1;
	if (n <= l->cap)
		return 0;
	unsigned cap = l->cap ? l->cap : 16;
	while (cap < n)
		cap = cap > LANES_MAX_POINTS / 2 ? LANES_MAX_POINTS : cap * 2;
	uint32_t *f = realloc(l->frame, cap * sizeof *f);
	if (!f)
		return -1;
	l->frame = f;
	float *v = realloc(l->value, cap * sizeof *v);
	if (!v)
		return -1;
	l->value = v;
	l->cap = cap;
	return 0;
}

int lanes_set_points(struct lanes *L, unsigned flat, const uint32_t *f, const float *v, unsigned n)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct lanes_lane *l = &L->lane[flat];
	if (lane_reserve(l, n) < 0)
		return -1;
	if (n) {
		memmove(l->frame, f, n * sizeof *f);
		memmove(l->value, v, n * sizeof *v);
	}
	l->n = n;
	return 0;
}

void lanes_clear_points(struct lanes *L, unsigned flat)
{
	ASSERT_ROLE(ROLE_CONTROL);
	L->lane[flat].n = 0;
}

int lanes_copy_lane(struct lanes *dst, unsigned flat, const struct lanes *src)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const struct lanes_lane *s = &src->lane[flat];
	if (lanes_set_points(dst, flat, s->frame, s->value, s->n) < 0)
		return -1;
	dst->lane[flat].mode = s->mode;
	return 0;
}

static float lane_eval(enum param_id id, const struct lanes_lane *l, uint32_t frame)
{
	struct autoplay_lane al = {0, (uint16_t)id, 0, 0, 0, (uint8_t)lanes_step(id), l->n, l->frame, NULL};
	float path[2];
	uint32_t hint = 0;
	if (l->n == 0)
		return NAN;
	/* evaluate on the two points around frame only, converted to the
	 * taper, so the lane needs no second array */
	if (frame <= l->frame[0] || frame >= l->frame[l->n - 1] || l->n == 1) {
		unsigned k = frame <= l->frame[0] ? 0 : l->n - 1;
		return l->value[k];
	}
	unsigned lo = 0, hi = l->n - 1;
	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;
		if (l->frame[mid] <= frame)
			lo = mid;
		else
			hi = mid;
	}
	path[0] = autoplay_to_path(id, l->value[lo]);
	path[1] = autoplay_to_path(id, l->value[lo + 1]);
	al.n = 2;
	al.frame = l->frame + lo;
	al.path = path;
	return autoplay_from_path(id, autoplay_lane_eval(&al, frame, &hint));
}

float lanes_eval(const struct lanes *L, unsigned flat, uint32_t frame)
{
	ASSERT_ROLE(ROLE_CONTROL);
	enum param_id id;
	unsigned i1, i2;
	if (flat >= L->nflat)
		return NAN;
	lanes_unflat(L, flat, &id, &i1, &i2);
	return lane_eval(id, &L->lane[flat], frame);
}

unsigned lanes_thin(enum param_id id, uint32_t *f, float *v, unsigned n)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned out = 0;
	if (n <= 2)
		return n;
	if (lanes_step(id)) {
		/* a switch changes at its points: keep the changes and the end */
		for (unsigned i = 0; i < n; i++)
			if (i == 0 || i == n - 1 || v[i] != v[out - 1]) {
				f[out] = f[i];
				v[out] = v[i];
				out++;
			}
		return out;
	}
	float tol = lanes_tolerance(id);
	unsigned char *keep = calloc(n, 1);
	float *p = malloc(n * sizeof *p);
	unsigned *stack = malloc(2 * n * sizeof *stack);
	if (!keep || !p || !stack) {
		free(keep);
		free(p);
		free(stack);
		return n; /* unthinned is still correct */
	}
	for (unsigned i = 0; i < n; i++)
		p[i] = autoplay_to_path(id, v[i]);
	unsigned sp = 0;
	keep[0] = keep[n - 1] = 1;
	stack[sp++] = 0;
	stack[sp++] = n - 1;
	while (sp) {
		unsigned b = stack[--sp], a = stack[--sp], imax = 0;
		double dmax = 0.0, span = (double)f[b] - (double)f[a];
		for (unsigned i = a + 1; i < b; i++) {
			/* vertical distance: the error playback would make at f[i] */
			double line = p[a] + (p[b] - p[a]) * (((double)f[i] - (double)f[a]) / span);
			double d = fabs(p[i] - line);
			if (d > dmax) {
				dmax = d;
				imax = i;
			}
		}
		if (dmax > tol) {
			keep[imax] = 1;
			stack[sp++] = a;
			stack[sp++] = imax;
			stack[sp++] = imax;
			stack[sp++] = b;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (keep[i]) {
			f[out] = f[i];
			v[out] = v[i];
			out++;
		}
	free(keep);
	free(p);
	free(stack);
	return out;
}

int lanes_merge(struct lanes *L, unsigned flat, const uint32_t *f, const float *v, unsigned n,
                uint32_t guard_in, uint32_t guard_out)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct lanes_lane *l = &L->lane[flat];
	enum param_id id;
	unsigned i1, i2;
	if (n == 0)
		return 0;
	if (l->n == 0)
		return lanes_set_points(L, flat, f, v, n);
	lanes_unflat(L, flat, &id, &i1, &i2);
	uint32_t s0 = f[0], s1 = f[n - 1];
	uint32_t gi = s0 > guard_in ? s0 - guard_in : 0;
	uint32_t go = s1 <= UINT32_MAX - guard_out ? s1 + guard_out : UINT32_MAX;
	float vin = lane_eval(id, l, gi), vout = lane_eval(id, l, go);
	size_t cap = (size_t)l->n + n + 2;
	if (cap > LANES_MAX_POINTS)
		return -1;
	uint32_t *nf = malloc(cap * sizeof *nf);
	float *nv = malloc(cap * sizeof *nv);
	if (!nf || !nv) {
		free(nf);
		free(nv);
		return -1;
	}
	unsigned k = 0, i = 0;
	for (; i < l->n && l->frame[i] < gi; i++, k++) {
		nf[k] = l->frame[i];
		nv[k] = l->value[i];
	}
	if (gi < s0 && (k == 0 || nf[k - 1] < gi)) {
		nf[k] = gi;
		nv[k++] = vin;
	}
	for (unsigned j = 0; j < n; j++, k++) {
		nf[k] = f[j];
		nv[k] = v[j];
	}
	if (go > s1) {
		nf[k] = go;
		nv[k++] = vout;
	}
	while (i < l->n && l->frame[i] <= go)
		i++;
	for (; i < l->n; i++, k++) {
		nf[k] = l->frame[i];
		nv[k] = l->value[i];
	}
	int r = lanes_set_points(L, flat, nf, nv, k);
	free(nf);
	free(nv);
	return r;
}

void lanes_rescale(struct lanes *L, double rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!(rate > 0) || !(L->rate > 0) || rate == L->rate) {
		if (rate > 0)
			L->rate = rate;
		return;
	}
	double k = rate / L->rate;
	for (unsigned fl = 0; fl < L->nflat; fl++) {
		struct lanes_lane *l = &L->lane[fl];
		unsigned out = 0;
		for (unsigned i = 0; i < l->n; i++) {
			double x = floor((double)l->frame[i] * k + 0.5);
			uint32_t fr = x > 4294967295.0 ? UINT32_MAX : (uint32_t)x;
			if (out && l->frame[out - 1] >= fr)
				out--; /* same frame now: the later point wins */
			l->frame[out] = fr;
			l->value[out] = l->value[i];
			out++;
		}
		l->n = out;
	}
	L->rate = rate;
}

/* ---- text -------------------------------------------------------------- */

static void lanes_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void lanes_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Base path -> instance, or -1 with a reason.  Only automatable
 * parameters have lanes, so only their bases are tried. */
static long lanes_resolve(struct lanes *L, const char *base, size_t len, char *err, size_t errlen)
{
	for (unsigned k = 0; k < P_COUNT; k++) {
		unsigned num[PARAMS_SLOTS], i1, i2;
		size_t tlen;
		char why[80];
		const char *tmpl = params_path_template((enum param_id)k, PARAMS_BASE, &tlen);
		if (!param_automatable((enum param_id)k) || !params_path_match(tmpl, tlen, base, len, num))
			continue;
		if (params_path_index((enum param_id)k, num, &L->shape, &i1, &i2, why, sizeof why) < 0) {
			lanes_err(err, errlen, "%.*s: index out of range", (int)len, base);
			return -1;
		}
		return lanes_flat(L, (enum param_id)k, i1, i2);
	}
	lanes_err(err, errlen, "'%.*s' is not an automatable parameter", (int)(len > 200 ? 200 : len), base);
	return -1;
}

/* The next blank-separated token of [*p, end); its length, 0 at the end. */
static size_t lanes_token(const char **p, const char *end, const char **tok)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*tok = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	return (size_t)(s - *tok);
}

static int lanes_number(const char *tok, size_t len, double *v)
{
	char buf[64], *e;
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, tok, len);
	buf[len] = 0;
	if (strspn(buf, "+-0123456789.eE") != len)
		return -1; /* decimal only: no "inf", "nan", hex */
	errno = 0;
	*v = strtod(buf, &e);
	return e == buf + len && !errno && isfinite(*v) ? 0 : -1;
}

static int lanes_ends_with(const char *s, size_t len, const char *suffix, size_t *base)
{
	size_t n = strlen(suffix);
	if (len <= n || memcmp(s + len - n, suffix, n))
		return 0;
	*base = len - n;
	return 1;
}

int lanes_parse_line(struct lanes *L, const char *line, size_t len, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *p = line, *end = line + len, *path, *tok;
	size_t plen = lanes_token(&p, end, &path), tl, blen;
	int kind; /* 0 rate, 1 mode, 2 point */
	double a, b;

	if (plen == 16 && !memcmp(path, "/automation/rate", 16))
		kind = 0;
	else if (lanes_ends_with(path, plen, "/auto", &blen))
		kind = 1;
	else if (lanes_ends_with(path, plen, "/auto/point", &blen))
		kind = 2;
	else
		return 0;
	if (kind == 0) {
		tl = lanes_token(&p, end, &tok);
		if (lanes_number(tok, tl, &a) < 0 || a < 8000 || a > 768000 || a != floor(a)) {
			lanes_err(err, errlen, "/automation/rate: want a sample rate, 8000..768000");
			return -1;
		}
		L->rate = a;
	} else {
		long flat;
		if (L->have_last && blen == L->last_base_len && !memcmp(path, L->last_base, blen)) {
			flat = L->last_flat;
		} else {
			flat = lanes_resolve(L, path, blen, err, errlen);
			if (flat < 0)
				return -1;
			if (blen < sizeof L->last_base) {
				memcpy(L->last_base, path, blen);
				L->last_base_len = (unsigned)blen;
				L->last_flat = (unsigned)flat;
				L->have_last = 1;
			}
		}
		struct lanes_lane *l = &L->lane[flat];
		enum param_id id;
		unsigned i1, i2;
		lanes_unflat(L, (unsigned)flat, &id, &i1, &i2);
		if (kind == 1) {
			char name[16];
			tl = lanes_token(&p, end, &tok);
			int mode = -1;
			if (tl > 0 && tl < sizeof name) {
				memcpy(name, tok, tl);
				name[tl] = 0;
				mode = lanes_mode_parse(name);
			}
			if (mode < 0) {
				lanes_err(err, errlen, "%.*s: mode must be off, read, write, touch or latch",
				          (int)plen, path);
				return -1;
			}
			if (L->seen_mode[flat]) {
				lanes_err(err, errlen, "%.*s set twice", (int)plen, path);
				return -1;
			}
			L->seen_mode[flat] = 1;
			l->mode = (unsigned char)mode;
		} else {
			const struct param_info *pi = &param_table[id];
			tl = lanes_token(&p, end, &tok);
			if (lanes_number(tok, tl, &a) < 0 || a < 0 || a > 4294967295.0 || a != floor(a)) {
				lanes_err(err, errlen, "%.*s: frame must be a whole number 0..4294967295",
				          (int)plen, path);
				return -1;
			}
			tl = lanes_token(&p, end, &tok);
			if (lanes_number(tok, tl, &b) < 0 || b < pi->min || b > pi->max ||
			    (param_info_whole(pi) && b != floor(b))) {
				lanes_err(err, errlen, "%.*s: value must be a %snumber in %g..%g", (int)plen,
				          path, param_info_whole(pi) ? "whole " : "", (double)pi->min,
				          (double)pi->max);
				return -1;
			}
			if (l->n && (double)l->frame[l->n - 1] >= a) {
				lanes_err(err, errlen, "%.*s: frames must increase", (int)plen, path);
				return -1;
			}
			if (lane_reserve(l, l->n + 1) < 0) {
				lanes_err(err, errlen, "%.*s: more than %u points", (int)plen, path,
				          LANES_MAX_POINTS);
				return -1;
			}
			l->frame[l->n] = (uint32_t)a;
			l->value[l->n] = (float)b;
			l->n++;
		}
	}
	tl = lanes_token(&p, end, &tok);
	if (tl) {
		lanes_err(err, errlen, "unexpected text after the value");
		return -1;
	}
	return 1;
}

void lanes_format(const struct lanes *L, lanes_emit_fn emit, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char line[LANES_PATH_MAX + 64], base[LANES_PATH_MAX], num[32];
	if (!lanes_any(L))
		return;
	snprintf(line, sizeof line, "/automation/rate %.0f", L->rate > 0 ? L->rate : 48000.0);
	emit(ctx, line);
	for (unsigned f = 0; f < L->nflat; f++) {
		const struct lanes_lane *l = &L->lane[f];
		enum param_id id;
		unsigned i1, i2;
		if (!l->mode && !l->n)
			continue;
		lanes_unflat(L, f, &id, &i1, &i2);
		lanes_base_path(id, i1, i2, base, sizeof base);
		snprintf(line, sizeof line, "%s/auto %s", base, lanes_mode_name(l->mode));
		emit(ctx, line);
		for (unsigned i = 0; i < l->n; i++) {
			params_path_fmt_float(num, sizeof num, l->value[i] == 0.0f ? 0.0f : l->value[i]);
			snprintf(line, sizeof line, "%s/auto/point %u %s", base, (unsigned)l->frame[i], num);
			emit(ctx, line);
		}
	}
}
