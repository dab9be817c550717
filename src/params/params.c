/*
 * params.c - the parameter table and pure lookups over it.
 *
 * Threads: read-only data and pure functions; any thread.  No stdio here:
 * this file is part of the RT convenience library.
 */
#include "params.h"

#include <math.h>

#include "dsp.h"

const struct param_info param_table[P_COUNT] = {
#define X(id, sc, path, npath, type, unit, mn, mx, taper, defs, enums, doc)                                  \
	[P_##id] = {#id, sc, path, npath, type, unit, (float)(mn), (float)(mx), taper, defs, enums, doc},
    JMX_PARAMS(X)
#undef X
};

void param_dims(enum param_id id, const struct param_shape *shape, unsigned *n1, unsigned *n2)
{
	*n1 = 1, *n2 = 1;
	switch (param_table[id].scope) {
	case SC_GLOBAL:
		break;
	case SC_CH:
		*n1 = shape->channels;
		break;
	case SC_CH_BAND:
		*n1 = shape->channels, *n2 = JMX_BANDS;
		break;
	case SC_CH_BUS:
		*n1 = shape->channels, *n2 = shape->buses;
		break;
	case SC_BUS:
		*n1 = shape->buses;
		break;
	case SC_MASTER_BAND:
		*n2 = JMX_BANDS;
		break;
	case SC_BUS_BAND:
		*n1 = shape->buses, *n2 = JMX_BANDS;
		break;
	case SC_CH_DCA:
		*n1 = shape->channels, *n2 = JMX_DCAS;
		break;
	case SC_CH_MGRP:
		*n1 = shape->channels, *n2 = JMX_MUTEGROUPS;
		break;
	case SC_BUS_DCA:
		*n1 = shape->buses, *n2 = JMX_DCAS;
		break;
	case SC_BUS_MGRP:
		*n1 = shape->buses, *n2 = JMX_MUTEGROUPS;
		break;
	case SC_DCA:
		*n1 = JMX_DCAS;
		break;
	case SC_MGRP:
		*n1 = JMX_MUTEGROUPS;
		break;
	}
}

unsigned param_instances(enum param_id id, const struct param_shape *shape)
{
	unsigned n1, n2;
	param_dims(id, shape, &n1, &n2);
	return n1 * n2;
}

unsigned param_offset(enum param_id id, const struct param_shape *shape)
{
	unsigned off = 0;
	for (unsigned i = 0; i < (unsigned)id; i++)
		off += param_instances((enum param_id)i, shape);
	return off;
}

unsigned param_flat(enum param_id id, unsigned i1, unsigned i2, const struct param_shape *shape)
{
	unsigned n1, n2;
	param_dims(id, shape, &n1, &n2);
	return param_offset(id, shape) + i1 * n2 + i2;
}

float param_default(enum param_id id, unsigned i2)
{
	return param_table[id].def[i2 < 4 ? i2 : 0];
}

float param_to_norm(enum param_id id, float v)
{
	const struct param_info *p = &param_table[id];
	float n;
	switch (p->taper) {
	case TP_FADER:
		return dsp_db_to_fader(v);
	case TP_LOG:
		n = logf(v / p->min) / logf(p->max / p->min);
		break;
	case TP_LIN:
		n = (v - p->min) / (p->max - p->min);
		break;
	default:
		return v;
	}
	return n < 0.0f ? 0.0f : n > 1.0f ? 1.0f : n;
}

float param_from_norm(enum param_id id, float n)
{
	const struct param_info *p = &param_table[id];
	n = n < 0.0f ? 0.0f : n > 1.0f ? 1.0f : n;
	switch (p->taper) {
	case TP_FADER:
		return dsp_fader_to_db(n);
	case TP_LOG:
		return p->min * expf(n * logf(p->max / p->min));
	case TP_LIN:
		return p->min + n * (p->max - p->min);
	default:
		return n;
	}
}

float param_clamp(enum param_id id, float v)
{
	const struct param_info *p = &param_table[id];
	if (param_info_whole(p))
		v = roundf(v);
	return v < p->min ? p->min : v > p->max ? p->max : v;
}
