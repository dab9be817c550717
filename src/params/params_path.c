/*
 * params_path.c - the codec of the table's path templates and of value
 * text; see params_path.h.
 *
 * Threads: pure functions of the constant table; any thread but RT.
 */
#include "params_path.h"
#include "role.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PP_MAX_DIGITS 9
#define PP_SATURATE   99999u

/* A placeholder "<x>" at t (with at least 3 bytes left), or 0. */
static int pp_placeholder(const char *t, size_t left)
{
	return left >= 3 && t[0] == '<' && t[1] && t[2] == '>' ? t[1] : 0;
}

static int pp_slot(int letter)
{
	switch (letter) {
	case 'n':
		return PARAMS_SLOT_N;
	case 'a':
		return PARAMS_SLOT_A;
	case 'd':
		return PARAMS_SLOT_D;
	case 'g':
		return PARAMS_SLOT_G;
	default:
		return PARAMS_SLOT_B;
	}
}

/* The zero-based index a placeholder stands for in instance (i1, i2). */
static unsigned pp_index_of(enum param_id id, int letter, unsigned i1, unsigned i2)
{
	if (letter == 'n')
		return i1;
	enum param_scope sc = param_table[id].scope;
	if (letter == 'a')
		return sc == SC_BUS || sc == SC_BUS_BAND || sc == SC_BUS_DCA || sc == SC_BUS_MGRP ? i1 : i2;
	if (letter == 'd' || letter == 'g')
		return sc == SC_DCA || sc == SC_MGRP ? i1 : i2;
	return i2;
}

const char *params_path_template(enum param_id id, enum params_form form, size_t *tlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	const struct param_info *p = &param_table[id];
	switch (form) {
	case PARAMS_UNIT:
		*tlen = strlen(p->path);
		return p->path;
	case PARAMS_NORM:
		if (!p->npath)
			return NULL;
		*tlen = strlen(p->npath);
		return p->npath;
	case PARAMS_BASE:
		*tlen = param_auto_base(id);
		return p->path;
	}
	return NULL;
}

size_t params_path_expand(const char *tmpl, size_t tlen, enum param_id id, unsigned i1, unsigned i2,
                          char *out, size_t len)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	size_t k = 0;
	for (size_t t = 0; t < tlen;) {
		int ph = pp_placeholder(tmpl + t, tlen - t);
		if (ph) {
			int w = snprintf(out + k, len - k, "%u", pp_index_of(id, ph, i1, i2) + 1);
			if (w < 0 || (size_t)w >= len - k)
				goto full;
			k += (size_t)w;
			t += 3;
		} else {
			if (k + 1 >= len)
				goto full;
			out[k++] = tmpl[t++];
		}
	}
	out[k] = 0;
	return k;
full:
	if (len)
		out[0] = 0;
	return 0;
}

size_t params_path_format(enum param_id id, enum params_form form, unsigned i1, unsigned i2, char *out,
                          size_t len)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	size_t tlen;
	const char *tmpl = params_path_template(id, form, &tlen);
	if (!tmpl) {
		if (len)
			out[0] = 0;
		return 0;
	}
	return params_path_expand(tmpl, tlen, id, i1, i2, out, len);
}

size_t params_path_key(const char *tmpl, size_t tlen, char *key, size_t len)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	size_t k = 0;
	for (size_t t = 0; t < tlen;) {
		if (k + 1 >= len) {
			if (len)
				key[0] = 0;
			return 0;
		}
		if (pp_placeholder(tmpl + t, tlen - t)) {
			key[k++] = '#';
			t += 3;
		} else {
			key[k++] = tmpl[t++];
		}
	}
	key[k] = 0;
	return k;
}

int params_path_match(const char *tmpl, size_t tlen, const char *s, size_t len, unsigned num[PARAMS_SLOTS])
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	size_t i = 0, t = 0;
	memset(num, 0, PARAMS_SLOTS * sizeof *num);
	while (t < tlen) {
		int ph = pp_placeholder(tmpl + t, tlen - t);
		if (ph) {
			unsigned long v = 0;
			size_t d = 0;
			while (i < len && s[i] >= '0' && s[i] <= '9' && d < PP_MAX_DIGITS) {
				v = v * 10 + (unsigned)(s[i] - '0');
				i++, d++;
			}
			if (d == 0 || (i < len && s[i] >= '0' && s[i] <= '9'))
				return 0;
			num[pp_slot(ph)] = v > PP_SATURATE ? PP_SATURATE : (unsigned)v;
			t += 3;
			continue;
		}
		if (i >= len || s[i] != tmpl[t])
			return 0;
		i++, t++;
	}
	return i == len;
}

int params_path_slots(const char *tmpl, const unsigned *ordered, unsigned n, unsigned num[PARAMS_SLOTS])
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	unsigned j = 0;
	size_t tlen = strlen(tmpl);
	memset(num, 0, PARAMS_SLOTS * sizeof *num);
	for (size_t t = 0; t < tlen; t++) {
		int ph = pp_placeholder(tmpl + t, tlen - t);
		if (!ph)
			continue;
		if (j == n)
			return -1;
		num[pp_slot(ph)] = ordered[j++];
	}
	return j == n ? 0 : -1;
}

int params_path_index(enum param_id id, const unsigned num[PARAMS_SLOTS], const struct param_shape *shape,
                      unsigned *i1, unsigned *i2, char *why, size_t whylen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	enum param_scope sc = param_table[id].scope;
	unsigned n1, n2, a = 0, b = 0;
	const char *what1 = "channel", *what2 = "band";

	param_dims(id, shape, &n1, &n2);
	switch (sc) {
	case SC_GLOBAL:
		break;
	case SC_CH:
		a = num[PARAMS_SLOT_N];
		break;
	case SC_CH_BAND:
		a = num[PARAMS_SLOT_N], b = num[PARAMS_SLOT_B];
		break;
	case SC_CH_BUS:
		a = num[PARAMS_SLOT_N], b = num[PARAMS_SLOT_A], what2 = "bus";
		break;
	case SC_BUS:
		a = num[PARAMS_SLOT_A], what1 = "bus";
		break;
	case SC_MASTER_BAND:
		b = num[PARAMS_SLOT_B];
		break;
	case SC_CH_DCA:
		a = num[PARAMS_SLOT_N], b = num[PARAMS_SLOT_D], what2 = "DCA";
		break;
	case SC_CH_MGRP:
		a = num[PARAMS_SLOT_N], b = num[PARAMS_SLOT_G], what2 = "mute group";
		break;
	case SC_BUS_DCA:
		a = num[PARAMS_SLOT_A], b = num[PARAMS_SLOT_D], what1 = "bus", what2 = "DCA";
		break;
	case SC_BUS_MGRP:
		a = num[PARAMS_SLOT_A], b = num[PARAMS_SLOT_G], what1 = "bus", what2 = "mute group";
		break;
	case SC_DCA:
		a = num[PARAMS_SLOT_D], what1 = "DCA";
		break;
	case SC_MGRP:
		a = num[PARAMS_SLOT_G], what1 = "mute group";
		break;
	case SC_BUS_BAND:
		a = num[PARAMS_SLOT_A], b = num[PARAMS_SLOT_B], what1 = "bus";
		break;
	}
	int has1 = sc != SC_GLOBAL && sc != SC_MASTER_BAND;
	int has2 = sc == SC_CH_BAND || sc == SC_CH_BUS || sc == SC_MASTER_BAND || sc == SC_BUS_BAND ||
	           sc == SC_CH_DCA || sc == SC_CH_MGRP || sc == SC_BUS_DCA || sc == SC_BUS_MGRP;
	if (has1 && (a < 1 || a > n1)) {
		snprintf(why, whylen, "%s %u out of range (1..%u)", what1, a, n1);
		return -1;
	}
	if (has2 && (b < 1 || b > n2)) {
		snprintf(why, whylen, "%s %u out of range (1..%u)", what2, b, n2);
		return -1;
	}
	*i1 = has1 ? a - 1 : 0;
	*i2 = has2 ? b - 1 : 0;
	return 0;
}

int params_path_resolve(const char *s, size_t len, unsigned forms, const struct param_shape *shape,
                        enum param_id *id, enum params_form *form, unsigned *i1, unsigned *i2, char *why,
                        size_t whylen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	static const enum params_form order[] = {PARAMS_UNIT, PARAMS_NORM, PARAMS_BASE};
	for (unsigned k = 0; k < P_COUNT; k++) {
		for (unsigned f = 0; f < sizeof order / sizeof order[0]; f++) {
			size_t tlen;
			unsigned num[PARAMS_SLOTS];
			const char *tmpl;
			if (!(forms & PARAMS_FORM_BIT(order[f])))
				continue;
			tmpl = params_path_template((enum param_id)k, order[f], &tlen);
			if (!tmpl || !params_path_match(tmpl, tlen, s, len, num))
				continue;
			*id = (enum param_id)k;
			if (form)
				*form = order[f];
			return params_path_index(*id, num, shape, i1, i2, why, whylen) < 0 ? PARAMS_PATH_RANGE
			                                                                   : 0;
		}
	}
	snprintf(why, whylen, "unknown path");
	return PARAMS_PATH_UNKNOWN;
}

void params_path_fmt_float(char *out, size_t n, float v)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	float a = fabsf(v);
	if (a == 0.0f || (a >= 1e-4f && a < 1e9f)) {
		for (int d = 0; d <= 12; d++) {
			snprintf(out, n, "%.*f", d, (double)v);
			if (strtof(out, NULL) == v)
				return;
		}
	}
	for (int prec = 1; prec <= 9; prec++) {
		snprintf(out, n, "%.*g", prec, (double)v);
		if (strtof(out, NULL) == v)
			return;
	}
}
