/*
 * mastering.c - the master chain offline and its measurement; see
 * mastering.h.
 *
 * Threads: the program's one thread.
 *
 * Invariants:
 * - The chain is the daemon's master.c, set through master_set from the
 *   parameter table's values and settled before the first sample, so a
 *   file starts with the chain already in place (nothing glides).
 * - The output is aligned with the input: the first master_latency()
 *   frames out are the limiter's delay line and are dropped, and as many
 *   frames of silence are fed after the end to flush it.
 * - libebur128 runs in histogram mode (bounded memory however long the
 *   file) and is fed whole 100 ms blocks, so the series' points and
 *   per-block true peaks fall on block boundaries.
 */
#define _GNU_SOURCE
#include "mastering.h"
#include "role.h"

#include <ebur128.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "params_path.h"
#include "snapshot.h"

/* The largest console a state file can describe (jackmixd's limits), so
 * any state file parses. */
static const struct param_shape max_shape = {256, 32};

static int is_chain_param(enum param_id id)
{
	return strncmp(param_table[id].name, "MASTER_", 7) == 0 && param_table[id].type != PT_METER &&
	       param_table[id].type != PT_STRING;
}

static unsigned bands_of(enum param_id id)
{
	return param_table[id].scope == SC_MASTER_BAND ? JMX_BANDS : 1;
}

void mastering_chain_defaults(struct mastering_chain *c)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	for (unsigned id = 0; id < P_COUNT; id++)
		for (unsigned b = 0; b < JMX_BANDS; b++)
			c->v[id][b] = param_default((enum param_id)id, b);
}

static void take_values(struct mastering_chain *c, const struct snapshot *s, int only_id, unsigned only_b)
{
	for (unsigned id = 0; id < P_COUNT; id++) {
		if (!is_chain_param((enum param_id)id) || (only_id >= 0 && (unsigned)only_id != id))
			continue;
		for (unsigned b = 0; b < bands_of((enum param_id)id); b++)
			if (only_id < 0 || b == only_b)
				c->v[id][b] = model_get(s->values, (enum param_id)id, 0, b);
	}
}

int mastering_chain_load(struct mastering_chain *c, const char *path, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	struct snapshot *s = snapshot_new(&max_shape);
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	int rc = snapshot_read(s, AT_FDCWD, path, path, 0, err, errlen);
	if (rc == 0)
		take_values(c, s, -1, 0);
	snapshot_free(s);
	return rc == 0 ? 0 : -1;
}

int mastering_chain_assign(struct mastering_chain *c, const char *assign, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	const char *eq = strchr(assign, '=');
	enum param_id id;
	enum params_form form;
	unsigned i1, i2;
	char why[160];
	if (!eq || eq == assign || !eq[1]) {
		snprintf(err, errlen, "'%s': expected PATH=VALUE, e.g. /master/comp/on=1", assign);
		return -1;
	}
	if (params_path_resolve(assign, (size_t)(eq - assign), PARAMS_FORM_BIT(PARAMS_UNIT), &max_shape, &id,
	                        &form, &i1, &i2, why, sizeof why) != 0) {
		snprintf(err, errlen, "'%.*s': %s", (int)(eq - assign), assign, why);
		return -1;
	}
	if (!is_chain_param(id)) {
		snprintf(err, errlen, "'%.*s': not a parameter of the master chain", (int)(eq - assign),
		         assign);
		return -1;
	}
	/* the value as a state file's line: the same checks, enum names */
	char text[PARAMS_PATH_MAX + 200];
	int n = snprintf(text, sizeof text, "jackmixd-state 1\n%.*s %s\nend\n", (int)(eq - assign), assign,
	                 eq + 1);
	if (n < 0 || (size_t)n >= sizeof text || strchr(eq + 1, '\n')) {
		snprintf(err, errlen, "'%s': value too long", assign);
		return -1;
	}
	struct snapshot *s = snapshot_new(&max_shape);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char perr[256];
	int rc = snapshot_parse(s, "value", text, (size_t)n, perr, sizeof perr);
	if (rc == 0)
		take_values(c, s, (int)id, i2);
	else
		snprintf(err, errlen, "'%s': %s", assign, strncmp(perr, "value:2: ", 9) ? perr : perr + 9);
	snapshot_free(s);
	return rc == 0 ? 0 : -1;
}

void mastering_chain_apply(const struct mastering_chain *c, struct master *ms)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	for (unsigned id = 0; id < P_COUNT; id++)
		if (is_chain_param((enum param_id)id))
			for (unsigned b = 0; b < bands_of((enum param_id)id); b++)
				master_set(ms, (enum param_id)id, b, c->v[id][b]);
}

void mastering_series_free(struct mastering_series *s)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	free(s->m);
	free(s->s);
	free(s->tp);
	memset(s, 0, sizeof *s);
}

void mastering_stats_free(struct mastering_stats *st)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (st->ebur) {
		ebur128_state *e = st->ebur;
		ebur128_destroy(&e);
	}
	st->ebur = NULL;
}

static int series_add(struct mastering_series *s, float m, float sh, float tp)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		float *a = realloc(s->m, cap * sizeof *a);
		if (!a)
			return -1;
		s->m = a;
		if (!(a = realloc(s->s, cap * sizeof *a)))
			return -1;
		s->s = a;
		if (!(a = realloc(s->tp, cap * sizeof *a)))
			return -1;
		s->tp = a;
		s->cap = cap;
	}
	s->m[s->n] = m;
	s->s[s->n] = sh;
	s->tp[s->n] = tp;
	s->n++;
	return 0;
}

static float db_or_floor(double lufs)
{
	return isfinite(lufs) && lufs > -120.0 ? (float)lufs : -120.0f;
}

/* What a pass accumulates besides libebur128. */
struct acc {
	const struct mastering_pass *p;
	ebur128_state *e;
	double ll, rr, lr, mm;
	float *blk; /* one 100 ms block, interleaved */
	size_t blk_n, blk_len;
};

/* A finished block (or the last, shorter one): write, measure. */
static int block_out(struct acc *a, char *err, size_t errlen)
{
	const struct mastering_pass *p = a->p;
	unsigned ch = p->info.channels;
	if (!a->blk_n)
		return 0;
	if (p->out && audiofile_write(p->out, a->blk, a->blk_n, err, errlen) < 0)
		return -1;
	if (ebur128_add_frames_float(a->e, a->blk, a->blk_n) != EBUR128_SUCCESS) {
		snprintf(err, errlen, "loudness measurement failed");
		return -1;
	}
	for (size_t i = 0; i < a->blk_n; i++) {
		double l = a->blk[i * ch], r = ch > 1 ? a->blk[i * ch + 1] : l;
		a->ll += l * l;
		a->rr += r * r;
		a->lr += l * r;
		a->mm += 0.25 * (l + r) * (l + r);
	}
	if (p->series) {
		double m = -HUGE_VAL, s = -HUGE_VAL, tp = 0, t;
		ebur128_loudness_momentary(a->e, &m);
		ebur128_loudness_shortterm(a->e, &s);
		for (unsigned c = 0; c < ch; c++)
			if (ebur128_prev_true_peak(a->e, c, &t) == EBUR128_SUCCESS && t > tp)
				tp = t;
		if (series_add(p->series, db_or_floor(m), db_or_floor(s),
		               tp > 1e-6 ? (float)(20 * log10(tp)) : -120.0f) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	a->blk_n = 0;
	return 0;
}

/* Append n frames of l/r (mono: l) to the block, flushing full blocks. */
static int emit(struct acc *a, const float *l, const float *r, size_t n, char *err, size_t errlen)
{
	unsigned ch = a->p->info.channels;
	for (size_t i = 0; i < n; i++) {
		a->blk[a->blk_n * ch] = l[i];
		if (ch > 1)
			a->blk[a->blk_n * ch + 1] = r[i];
		if (++a->blk_n == a->blk_len && block_out(a, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int mastering_run(const struct mastering_pass *p, struct mastering_stats *st, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	const unsigned ch = p->info.channels;
	const size_t blk = p->info.rate / 10 ? p->info.rate / 10 : 1;
	struct acc a = {.p = p, .blk_len = blk};
	struct master *ms = NULL;
	float *in = malloc(blk * ch * sizeof(float)), *l = malloc(blk * sizeof(float)),
	      *r = malloc(blk * sizeof(float));
	a.blk = malloc(blk * ch * sizeof(float));
	memset(st, 0, sizeof *st);
	int rc = -1;
	a.e =
	    ebur128_init(ch, p->info.rate,
	                 EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_HISTOGRAM);
	if (!in || !l || !r || !a.blk || !a.e) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (ch == 2) {
		ebur128_set_channel(a.e, 0, EBUR128_LEFT);
		ebur128_set_channel(a.e, 1, EBUR128_RIGHT);
	}
	unsigned skip = 0;
	if (p->chain) {
		if (!(ms = master_new(p->info.rate))) {
			snprintf(err, errlen, "cannot set up the master chain at %u Hz", p->info.rate);
			goto out;
		}
		mastering_chain_apply(p->chain, ms);
		/* mastering's own: the limiter in at the ceiling, nothing that
		 * rides the gain or silences it */
		master_set(ms, P_MASTER_LIMITER_ON, 0, 1.0f);
		master_set(ms, P_MASTER_LIMITER_CEILING, 0, p->ceiling_db);
		master_set(ms, P_MASTER_LEVELER_ON, 0, 0.0f);
		master_set(ms, P_MASTER_MUTE, 0, 0.0f);
		master_set_drive(ms, p->drive_db);
		master_settle(ms);
		skip = master_latency(ms);
	}
	if (audiofile_rewind(p->in, err, errlen) < 0)
		goto out;
	long long left = p->info.frames, total = 0;
	float gr[2];
	for (;;) {
		long got = audiofile_read(p->in, in, blk, err, errlen);
		if (got < 0)
			goto out;
		size_t n = (size_t)got;
		int flush = 0;
		if (n == 0) {
			/* the end: silence through the limiter's delay line */
			if (!ms || left <= 0)
				break;
			n = left < (long long)blk ? (size_t)left : blk;
			memset(in, 0, n * ch * sizeof(float));
			flush = 1;
		}
		for (size_t i = 0; i < n; i++) {
			l[i] = in[i * ch];
			r[i] = ch > 1 ? in[i * ch + 1] : l[i];
		}
		if (ms) {
			master_process(ms, l, r, (unsigned)n);
			if (master_meter_take(ms, P_MASTER_LIMITER_GR, gr) && gr[0] > st->max_gr)
				st->max_gr = gr[0];
		}
		size_t drop = skip < n ? skip : n;
		skip -= (unsigned)drop;
		size_t keep = n - drop;
		if ((long long)keep > left)
			keep = (size_t)left;
		if (emit(&a, l + drop, r + drop, keep, err, errlen) < 0)
			goto out;
		left -= (long long)keep;
		total += (long long)(flush ? 0 : n);
		if (flush && left <= 0)
			break;
	}
	if (total != p->info.frames && total > 0) {
		snprintf(err, errlen, "the file is shorter than its header says (%lld of %lld frames)", total,
		         p->info.frames);
		goto out;
	}
	if (block_out(&a, err, errlen) < 0)
		goto out;
	double v;
	st->i = ebur128_loudness_global(a.e, &v) == EBUR128_SUCCESS ? v : -HUGE_VAL;
	st->lra = ebur128_loudness_range(a.e, &v) == EBUR128_SUCCESS ? v : 0;
	double tp = 0;
	for (unsigned c = 0; c < ch; c++)
		if (ebur128_true_peak(a.e, c, &v) == EBUR128_SUCCESS && v > tp)
			tp = v;
	st->tp = tp > 0 ? 20 * log10(tp) : -HUGE_VAL;
	st->corr = ch < 2 ? 1.0 : (a.ll > 0 && a.rr > 0) ? a.lr / sqrt(a.ll * a.rr) : 0.0;
	st->mono_loss = a.mm > 0 ? 10 * log10(0.5 * (a.ll + a.rr) / a.mm) : (a.ll + a.rr > 0 ? 99.0 : 0.0);
	if (st->mono_loss > 99.0)
		st->mono_loss = 99.0;
	st->seconds = (double)p->info.frames / p->info.rate;
	st->ebur = a.e;
	a.e = NULL;
	rc = 0;
out:
	if (a.e)
		ebur128_destroy(&a.e);
	if (ms)
		master_free(ms);
	free(in);
	free(l);
	free(r);
	free(a.blk);
	return rc;
}

void mastering_album(struct mastering_stats *const *tracks, unsigned n, double *i, double *lra)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	ebur128_state *sts[n ? n : 1];
	for (unsigned k = 0; k < n; k++)
		sts[k] = tracks[k]->ebur;
	if (!n || ebur128_loudness_global_multiple(sts, n, i) != EBUR128_SUCCESS)
		*i = -HUGE_VAL;
	if (!n || ebur128_loudness_range_multiple(sts, n, lra) != EBUR128_SUCCESS)
		*lra = 0;
}
