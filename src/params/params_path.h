/*
 * params_path.h - the one codec of the parameter table's paths and value
 * text: a template such as "/ch/<n>/eq/<b>/hz" (<n> a channel, <a> an aux
 * bus, <b> an EQ band) turned into a concrete path ("/ch/3/eq/2/hz") and
 * back, checked against the console's shape, and the shortest decimal
 * text of a float.  OSC routing, state files, scenes, automation lanes and
 * MIDI mapping all use it, so a path means the same everywhere.
 *
 * Threads: pure functions; any thread but RT (they format with snprintf,
 * which the RT library may not reach: this file is not in libjmxdsp.a).
 *
 * Invariants: numbers in concrete paths are 1-based (leading zeros
 * accepted, at most 9 digits); indices handed in and out are 0-based.
 * <a> is a parameter's first index where the scope is a bus (SC_BUS, and
 * SC_BUS_BAND with the band <b> second) and its second where it is a
 * channel's send to a bus (SC_CH_BUS); <d> and <g> are the first index of
 * a group's own parameters (SC_DCA, SC_MGRP) and the second of a member's
 * membership (SC_CH_DCA, SC_BUS_MGRP ...).
 */
#ifndef JMX_PARAMS_PATH_H
#define JMX_PARAMS_PATH_H

#include <stddef.h>

#include "params.h"

/* The addresses of one parameter instance. */
enum params_form {
	PARAMS_UNIT, /* the engineering-unit path (param_info.path) */
	PARAMS_NORM, /* the normalised path (param_info.npath), where there is one */
	PARAMS_BASE, /* where automation addresses hang off (param_auto_base) */
};
#define PARAMS_FORM_BIT(f) (1u << (f))

/* Numbers of a concrete path by placeholder: num[PARAMS_SLOT_N] for <n>
 * and so on; 0 where the template has no such placeholder. */
enum { PARAMS_SLOT_N, PARAMS_SLOT_A, PARAMS_SLOT_B, PARAMS_SLOT_D, PARAMS_SLOT_G, PARAMS_SLOTS };

#define PARAMS_PATH_MAX 128 /* longest concrete path of the table, with room */

/* The template of a form (the first *tlen bytes of the returned string),
 * or NULL where the parameter has no such form. */
const char *params_path_template(enum param_id id, enum params_form form, size_t *tlen);

/* The concrete path of instance (i1, i2) in a form.  Returns its length,
 * or 0 (out = "") where the form does not exist or out is too small. */
size_t params_path_format(enum param_id id, enum params_form form, unsigned i1, unsigned i2, char *out,
                          size_t len);
/* The same from any template of parameter id (tlen bytes of tmpl: a form's
 * template with a suffix, say). */
size_t params_path_expand(const char *tmpl, size_t tlen, enum param_id id, unsigned i1, unsigned i2,
                          char *out, size_t len);
/* A template's key for hashing: every placeholder becomes '#'.  Returns
 * the key's length, or 0 if key is too small. */
size_t params_path_key(const char *tmpl, size_t tlen, char *key, size_t len);

/* Does concrete path s (len bytes) match tlen bytes of template tmpl?
 * 1 with num[] filled by slot (numbers saturate at 99999, out of range
 * anyway), else 0. */
int params_path_match(const char *tmpl, size_t tlen, const char *s, size_t len, unsigned num[PARAMS_SLOTS]);
/* Numbers in the order they stand in a concrete path (n of them) -> by
 * slot, following the template's placeholders.  -1 when the counts differ. */
int params_path_slots(const char *tmpl, const unsigned *ordered, unsigned n, unsigned num[PARAMS_SLOTS]);
/* Numbers by slot -> zero-based indices of parameter id, checked against
 * the shape.  0, or -1 with why = "channel 9 out of range (1..8)". */
int params_path_index(enum param_id id, const unsigned num[PARAMS_SLOTS], const struct param_shape *shape,
                      unsigned *i1, unsigned *i2, char *why, size_t whylen);

enum { PARAMS_PATH_UNKNOWN = -1, PARAMS_PATH_RANGE = -2 };
/* A concrete path against every parameter's templates of the forms in
 * the mask (PARAMS_FORM_BIT), in table order, unit form before the
 * others.  0 with the instance and the form it matched; PARAMS_PATH_UNKNOWN
 * (why "unknown path") or PARAMS_PATH_RANGE (why from params_path_index,
 * *id set to the parameter). */
int params_path_resolve(const char *s, size_t len, unsigned forms, const struct param_shape *shape,
                        enum param_id *id, enum params_form *form, unsigned *i1, unsigned *i2, char *why,
                        size_t whylen);

/* Shortest decimal text that reads back as the same float, in plain
 * notation where that is readable ("80", "0.7071", "-6.5"). */
void params_path_fmt_float(char *out, size_t n, float v);

#endif
