/*
 * midimap_line.c - one line of the MIDI mapping file, both ways: parse
 * "cc 1 7 /ch/1/fader/db pickup bank 2" into a mapping (with the
 * parameter path resolved through the one path codec and checked against
 * the console), and format a mapping back into the same line; see
 * midimap_line.h.
 *
 * Threads: control thread only (and the offline tests).
 */
#include "midimap_line.h"
#include "role.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsp.h"
#include "params_path.h"

/* ---- paths ------------------------------------------------------------- */

/* Concrete path (unit or normalised form) -> parameter instance.  0, or
 * -1 with a reason. */
int midimap_line_resolve(const struct model *m, const char *path, enum param_id *id, unsigned *i1,
                         unsigned *i2, char *why, size_t whylen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char range[80];
	int rc = params_path_resolve(path, strlen(path),
	                             PARAMS_FORM_BIT(PARAMS_UNIT) | PARAMS_FORM_BIT(PARAMS_NORM),
	                             model_shape(m), id, NULL, i1, i2, range, sizeof range);
	if (rc == PARAMS_PATH_UNKNOWN) {
		snprintf(why, whylen, "unknown parameter path '%.200s'", path);
		return -1;
	}
	const struct param_info *p = &param_table[*id];
	if (p->type == PT_STRING || p->type == PT_METER) {
		snprintf(why, whylen, "%s: %s cannot be set from MIDI", path,
		         p->type == PT_STRING ? "a name" : "a meter");
		return -1;
	}
	if (rc < 0) {
		snprintf(why, whylen, "%s: %s", path, range);
		return -1;
	}
	return 0;
}

/* The unit path of an instance. */
void midimap_line_path(enum param_id id, unsigned i1, unsigned i2, char *out, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	params_path_format(id, PARAMS_UNIT, i1, i2, out, len);
}

/* ---- one line of the file ---------------------------------------------- */

static int mm_uint(const char *t, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	if (!t || *t < '0' || *t > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(t, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int mm_float(const char *t, float *out)
{
	char *end;
	if (!t)
		return -1;
	errno = 0;
	double v = strtod(t, &end);
	if (errno || end == t || *end || !isfinite(v))
		return -1;
	*out = (float)v;
	return 0;
}

/* Options after the path: tok[0..n).  The spec's target is set. */
int midimap_line_options(const struct model *m, struct midimap_spec *s, char **tok, unsigned n, char *why,
                         size_t whylen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const struct param_info *p = &param_table[s->id];
	int have_mode = 0;
	(void)m;
	for (unsigned i = 0; i < n; i++) {
		const char *t = tok[i];
		if (!strcmp(t, "range")) {
			if (i + 2 >= n || mm_float(tok[i + 1], &s->lo) < 0 ||
			    mm_float(tok[i + 2], &s->hi) < 0) {
				snprintf(why, whylen, "range needs two numbers: range LO HI");
				return -1;
			}
			i += 2;
		} else if (!strcmp(t, "taper")) {
			const char *v = i + 1 < n ? tok[++i] : "";
			if (!strcmp(v, "param"))
				s->taper = MMT_PARAM;
			else if (!strcmp(v, "lin"))
				s->taper = MMT_LIN;
			else if (!strcmp(v, "log"))
				s->taper = MMT_LOG;
			else if (!strcmp(v, "fader"))
				s->taper = MMT_FADER;
			else {
				snprintf(why, whylen, "taper must be param, lin, log or fader");
				return -1;
			}
		} else if (!strcmp(t, "toggle") || !strcmp(t, "momentary")) {
			if (have_mode) {
				snprintf(why, whylen, "toggle and momentary exclude each other");
				return -1;
			}
			if (s->kind == MM_CC14 || s->kind == MM_PB) {
				snprintf(why, whylen, "%s applies to notes and 7-bit CCs only", t);
				return -1;
			}
			s->mode = t[0] == 't' ? MMM_TOGGLE : MMM_MOMENTARY;
			have_mode = 1;
		} else if (!strcmp(t, "pickup")) {
			s->pickup = 1;
		} else if (!strcmp(t, "bank")) {
			if (i + 1 >= n || mm_uint(tok[i + 1], 1, MIDIMAP_BANKS, &s->bank) < 0) {
				snprintf(why, whylen, "bank needs a number 1..%u", MIDIMAP_BANKS);
				return -1;
			}
			i++;
		} else {
			snprintf(why, whylen, "unknown option '%.40s'", t);
			return -1;
		}
	}
	if (s->pickup && s->mode != MMM_ABS) {
		snprintf(why, whylen, "pickup applies to absolute controls (faders, knobs), not buttons");
		return -1;
	}
	if (s->lo == s->hi) {
		snprintf(why, whylen, "empty range");
		return -1;
	}
	float mn = s->lo < s->hi ? s->lo : s->hi, mx = s->lo < s->hi ? s->hi : s->lo;
	if (mn < p->min || mx > p->max) {
		snprintf(why, whylen, "range %g..%g outside the parameter's %g..%g", (double)s->lo,
		         (double)s->hi, (double)p->min, (double)p->max);
		return -1;
	}
	if (s->taper == MMT_LOG && mn <= 0) {
		snprintf(why, whylen, "taper log needs a range above 0");
		return -1;
	}
	if (s->taper == MMT_FADER && (mn < JMX_DB_OFF || mx > 10.0f)) {
		snprintf(why, whylen, "taper fader needs a range within -90..10 dB");
		return -1;
	}
	return 0;
}

/* Split at blanks, stopping at '#'.  Returns the number of tokens, or -1
 * when there are too many. */
int midimap_line_split(char *line, char **tok)
{
	ASSERT_ROLE(ROLE_CONTROL);
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == MIDIMAP_LINE_MAX_TOK)
			return -1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#')
			p++;
		if (*p == '#') {
			*p = 0;
			break;
		}
		if (*p)
			*p++ = 0;
	}
	return n;
}

/* Parse the control part and target of a mapping line.  Returns 1 for a
 * mapping, 0 for a blank or header line, -1 with a reason. */
int midimap_line_parse(const struct model *m, char *line, struct midimap_spec *s, char *why, size_t whylen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char *tok[MIDIMAP_LINE_MAX_TOK];
	int n = midimap_line_split(line, tok);
	unsigned k = 0, v;

	if (n < 0) {
		snprintf(why, whylen, "too many words");
		return -1;
	}
	if (n == 0)
		return 0;
	if (!strcmp(tok[0], "jackmixd-midimap")) {
		if (n != 2 || strcmp(tok[1], "1")) {
			snprintf(why, whylen, "unsupported format (this is jackmixd-midimap 1)");
			return -1;
		}
		return 0;
	}
	memset(s, 0, sizeof *s);
	if (!strcmp(tok[0], "cc"))
		s->kind = MM_CC;
	else if (!strcmp(tok[0], "cc14"))
		s->kind = MM_CC14;
	else if (!strcmp(tok[0], "note"))
		s->kind = MM_NOTE;
	else if (!strcmp(tok[0], "pb"))
		s->kind = MM_PB;
	else {
		snprintf(why, whylen, "unknown control '%.40s' (cc, cc14, note or pb)", tok[0]);
		return -1;
	}
	k = 1;
	if ((unsigned)n <= k || mm_uint(tok[k], 1, 16, &v) < 0) {
		snprintf(why, whylen, "MIDI channel must be 1..16");
		return -1;
	}
	s->chan = (uint8_t)(v - 1);
	k++;
	if (s->kind != MM_PB) {
		unsigned hi = s->kind == MM_CC14 ? 31 : 127;
		if ((unsigned)n <= k || mm_uint(tok[k], 0, hi, &v) < 0) {
			snprintf(why, whylen, "%s number must be 0..%u",
			         s->kind == MM_NOTE ? "note" : "controller", hi);
			return -1;
		}
		s->num = (uint8_t)v;
		k++;
	}
	if ((unsigned)n <= k) {
		snprintf(why, whylen, "missing parameter path (or bank next|prev|N)");
		return -1;
	}
	if (!strcmp(tok[k], "bank")) {
		if (s->kind == MM_CC14 || s->kind == MM_PB) {
			snprintf(why, whylen, "bank buttons are notes or 7-bit CCs");
			return -1;
		}
		if ((unsigned)n != k + 2) {
			snprintf(why, whylen, "bank needs one of next, prev or a number 1..%u",
			         MIDIMAP_BANKS);
			return -1;
		}
		if (!strcmp(tok[k + 1], "next"))
			s->action = MMA_BANK_NEXT;
		else if (!strcmp(tok[k + 1], "prev"))
			s->action = MMA_BANK_PREV;
		else if (mm_uint(tok[k + 1], 1, MIDIMAP_BANKS, &s->bank_arg) == 0)
			s->action = MMA_BANK_SET;
		else {
			snprintf(why, whylen, "bank needs one of next, prev or a number 1..%u",
			         MIDIMAP_BANKS);
			return -1;
		}
		s->mode = MMM_TOGGLE;
		return 1;
	}
	s->action = MMA_PARAM;
	if (midimap_line_resolve(m, tok[k], &s->id, &s->i1, &s->i2, why, whylen) < 0)
		return -1;
	s->lo = param_table[s->id].min;
	s->hi = param_table[s->id].max;
	s->taper = MMT_PARAM;
	s->mode = s->kind == MM_NOTE ? MMM_TOGGLE : MMM_ABS;
	return midimap_line_options(m, s, tok + k + 1, (unsigned)n - k - 1, why, whylen) < 0 ? -1 : 1;
}

int midimap_line_format(const struct midimap_spec *s, char *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	static const char *const kinds[] = {"cc", "cc14", "note", "pb"};
	static const char *const tapers[] = {"param", "lin", "log", "fader"};
	char path[160];
	int o;

	if (s->kind == MM_PB)
		o = snprintf(buf, len, "pb %u", s->chan + 1u);
	else
		o = snprintf(buf, len, "%s %u %u", kinds[s->kind], s->chan + 1u, (unsigned)s->num);
#define MM_ADD(...)                                                                                          \
	do {                                                                                                 \
		if (o >= 0 && (size_t)o < len)                                                               \
			o += snprintf(buf + o, len - (size_t)o, __VA_ARGS__);                                \
	} while (0)
	switch (s->action) {
	case MMA_BANK_NEXT:
		MM_ADD(" bank next");
		break;
	case MMA_BANK_PREV:
		MM_ADD(" bank prev");
		break;
	case MMA_BANK_SET:
		MM_ADD(" bank %u", s->bank_arg);
		break;
	case MMA_PARAM:
		midimap_line_path(s->id, s->i1, s->i2, path, sizeof path);
		MM_ADD(" %s", path);
		if (s->lo != param_table[s->id].min || s->hi != param_table[s->id].max)
			MM_ADD(" range %.9g %.9g", (double)s->lo, (double)s->hi);
		if (s->taper != MMT_PARAM)
			MM_ADD(" taper %s", tapers[s->taper]);
		if (s->mode == MMM_MOMENTARY)
			MM_ADD(" momentary");
		else if (s->mode == MMM_TOGGLE && s->kind != MM_NOTE)
			MM_ADD(" toggle");
		if (s->pickup)
			MM_ADD(" pickup");
		if (s->bank)
			MM_ADD(" bank %u", s->bank);
		break;
	}
#undef MM_ADD
	return o >= 0 && (size_t)o < len ? o : -1;
}
