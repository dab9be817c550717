/*
 * ctl_store.c - what jackmixctl knows of the console: the last message of
 * each address it keeps, for the status screen and the live meters table
 * (ctl_view.c renders from it, ctl_status.c fills it).
 *
 * Threads: jackmixctl has one.  (No ASSERT_ROLE: role.h's contract is
 * the daemon's.)
 *
 * Invariants: open addressing in a power-of-two table sized at creation;
 * nothing is ever removed, and a full table refuses new paths rather
 * than grow (the caller keeps only the addresses the view shows, about
 * ten per strip).
 */
#include "ctl_store.h"

#include <stdlib.h>
#include <string.h>

struct ctl_store {
	unsigned cap, n;
	struct ctl_val *v;
};

struct ctl_store *ctl_store_new(unsigned capacity)
{
	unsigned cap = 16;
	while (cap < capacity * 2)
		cap *= 2;
	struct ctl_store *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->v = calloc(cap, sizeof *st->v);
	if (!st->v) {
		free(st);
		return NULL;
	}
	st->cap = cap;
	return st;
}

void ctl_store_free(struct ctl_store *st)
{
	if (!st)
		return;
	free(st->v);
	free(st);
}

static unsigned ctl_store_hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The slot of path, or the empty one it would take; NULL when full. */
static struct ctl_val *ctl_store_slot(const struct ctl_store *st, const char *path)
{
	unsigned h = ctl_store_hash(path);
	for (unsigned i = 0; i < st->cap; i++) {
		struct ctl_val *v = &st->v[(h + i) & (st->cap - 1)];
		if (!v->path[0] || strcmp(v->path, path) == 0)
			return v;
	}
	return NULL;
}

int ctl_store_put(struct ctl_store *st, const char *path, int nf, const float *f, const char *text,
                  int keep_max)
{
	if (!path[0] || strlen(path) >= CTL_STORE_PATH)
		return -1;
	struct ctl_val *v = ctl_store_slot(st, path);
	if (!v || (!v->path[0] && st->n + 1 > st->cap / 2))
		return -1;
	if (!v->path[0]) {
		strcpy(v->path, path);
		st->n++;
	}
	if (nf > 2)
		nf = 2;
	for (int k = 0; k < nf; k++)
		v->f[k] = keep_max && v->fresh && k < v->nf && v->f[k] > f[k] ? v->f[k] : f[k];
	v->nf = nf;
	v->fresh = 1;
	if (text) {
		v->has_text = 1;
		size_t n = strlen(text);
		if (n >= CTL_STORE_TEXT)
			n = CTL_STORE_TEXT - 1;
		memcpy(v->text, text, n);
		v->text[n] = 0;
	}
	return 0;
}

const struct ctl_val *ctl_store_get(const struct ctl_store *st, const char *path)
{
	const struct ctl_val *v = ctl_store_slot(st, path);
	return v && v->path[0] ? v : NULL;
}

void ctl_store_settle(struct ctl_store *st)
{
	for (unsigned i = 0; i < st->cap; i++)
		st->v[i].fresh = 0;
}

unsigned ctl_store_count(const struct ctl_store *st)
{
	return st->n;
}
