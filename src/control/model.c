/*
 * model.c - control-side parameter store and RT publication; see model.h.
 *
 * Threads: control thread only.
 */
#include "model.h"
#include "role.h"

#include "dsp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_LISTENERS 8

struct model {
	struct param_shape shape;
	struct rtq *to_rt;
	unsigned offset[P_COUNT + 1];
	float *value;         /* flat, table order */
	unsigned char *dirty; /* flat: staged for RT but not yet queued */
	float *ramp_ms;       /* flat: > 0 when the staged change is a ramp */
	unsigned *dirty_list; /* flat indices of dirty entries */
	unsigned n_dirty;
	char (*names)[MODEL_NAME_MAX]; /* per flat index of string params */
	unsigned long generation;
	int no_follow; /* linked pairs do not follow each other (a recall) */
	struct {
		model_listener fn;
		void *ctx;
	} listener[MODEL_LISTENERS];
	unsigned n_listeners;
};

void model_dims(const struct model *m, enum param_id id, unsigned *n1, unsigned *n2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if ((unsigned)id >= P_COUNT) {
		*n1 = 0, *n2 = 0;
		return;
	}
	param_dims(id, &m->shape, n1, n2);
}

static int model_flat(const struct model *m, enum param_id id, unsigned i1, unsigned i2, unsigned *flat)
{
	unsigned n1, n2;
	if ((unsigned)id >= P_COUNT)
		return -1;
	model_dims(m, id, &n1, &n2);
	if (i1 >= n1 || i2 >= n2)
		return -1;
	*flat = m->offset[id] + i1 * n2 + i2;
	return 0;
}

struct model *model_new(const struct param_shape *shape, struct rtq *to_rt)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->shape = *shape;
	m->to_rt = to_rt;
	for (unsigned id = 0; id <= P_COUNT; id++)
		m->offset[id] = param_offset((enum param_id)id, shape);
	unsigned total = m->offset[P_COUNT];
	m->value = calloc(total, sizeof *m->value);
	m->dirty = calloc(total, 1);
	m->ramp_ms = calloc(total, sizeof *m->ramp_ms);
	m->dirty_list = calloc(total, sizeof *m->dirty_list);
	m->names = calloc(total, sizeof *m->names);
	if (!m->value || !m->dirty || !m->ramp_ms || !m->dirty_list || !m->names) {
		model_free(m);
		return NULL;
	}
	for (unsigned id = 0; id < P_COUNT; id++) {
		unsigned n1, n2;
		model_dims(m, (enum param_id)id, &n1, &n2);
		for (unsigned i1 = 0; i1 < n1; i1++)
			for (unsigned i2 = 0; i2 < n2; i2++)
				m->value[m->offset[id] + i1 * n2 + i2] = param_default((enum param_id)id, i2);
	}
	return m;
}

void model_free(struct model *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!m)
		return;
	free(m->value);
	free(m->dirty);
	free(m->ramp_ms);
	free(m->dirty_list);
	free(m->names);
	free(m);
}

const struct param_shape *model_shape(const struct model *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return &m->shape;
}

static void model_notify(struct model *m, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                         int clamped)
{
	m->generation++;
	for (unsigned i = 0; i < m->n_listeners; i++)
		m->listener[i].fn(m->listener[i].ctx, id, i1, i2, origin, clamped);
}

static enum model_result model_stage_one(struct model *m, enum param_id id, unsigned i1, unsigned i2,
                                         float value, float ramp_ms, const void *origin)
{
	unsigned flat;
	if (model_flat(m, id, i1, i2, &flat) < 0)
		return MODEL_ERANGE;
	if (param_table[id].type == PT_STRING || param_table[id].type == PT_METER)
		return MODEL_EINVAL;
	if (!isfinite(value))
		return MODEL_EINVAL;
	/* the table names destinations up to the most buses a console can
	 * have: refuse one this console does not have (bus/<a> is 1 + a) */
	if (id == P_GEN_DEST && param_clamp(id, value) > 1.0f + (float)m->shape.buses)
		return MODEL_ERANGE;
	float v = param_clamp(id, value);
	/* a channel number (a key input) names one of this console's */
	if (param_info_whole(&param_table[id]) && param_table[id].type == PT_FLOAT &&
	    v > (float)m->shape.channels)
		v = (float)m->shape.channels;
	int clamped = v != value;
	if (v == 0.0f)
		v = 0.0f; /* no -0.0 in the model */
	m->value[flat] = v;
	m->ramp_ms[flat] = ramp_ms;
	if (!m->dirty[flat]) {
		m->dirty[flat] = 1;
		m->dirty_list[m->n_dirty++] = flat;
	}
	model_notify(m, id, i1, i2, origin, clamped);
	return clamped ? MODEL_CLAMPED : MODEL_OK;
}

/* ---- linked pairs ------------------------------------------------------
 * /ch/<n>/link joins odd channel n with n+1 (zero-based 2k and 2k+1): the
 * link value is the same on both, and while it is on every change of a
 * processing, level or membership parameter of one is made to the other
 * too, here where every surface's, scene's and timed move's change
 * passes, so surfaces, state files and the RT side all see two ordinary
 * channels.  Pan mirrors (1 - p); name, polarity, solo, recall safe and
 * colour stay each channel's own.  Turning the link on copies the odd
 * channel to the even one.  The partner's change has no origin, so the
 * surface that moved one channel is shown the other one moving. */
static int model_follows(enum param_id id)
{
	enum param_scope sc = param_table[id].scope;
	if (sc != SC_CH && sc != SC_CH_BAND && sc != SC_CH_BUS && sc != SC_CH_DCA && sc != SC_CH_MGRP)
		return 0;
	if (param_table[id].type == PT_STRING || param_table[id].type == PT_METER)
		return 0;
	return id != P_CH_POLARITY && id != P_CH_SOLO && id != P_CH_SAFE && id != P_CH_LINK &&
	       id != P_CH_COLOR;
}

static float model_mirror(enum param_id id, float v)
{
	return id == P_CH_PAN ? 1.0f - v : v;
}

static enum model_result model_link(struct model *m, unsigned i1, float value, const void *origin)
{
	unsigned a = i1 & ~1u, b = a + 1, flat;
	if (model_flat(m, P_CH_LINK, i1, 0, &flat) < 0)
		return MODEL_ERANGE;
	if (!isfinite(value))
		return MODEL_EINVAL;
	float on = param_clamp(P_CH_LINK, value);
	int clamped = on != value;
	if (b >= m->shape.channels) { /* the last odd channel has no partner */
		clamped |= on != 0.0f;
		on = 0.0f;
	}
	if (m->no_follow) { /* a file or scene sets each channel's own */
		model_stage_one(m, P_CH_LINK, i1, 0, on, 0.0f, origin);
		return clamped ? MODEL_CLAMPED : MODEL_OK;
	}
	int was = m->value[m->offset[P_CH_LINK] + a] >= 0.5f;
	model_stage_one(m, P_CH_LINK, a, 0, on, 0.0f, a == i1 ? origin : NULL);
	if (b < m->shape.channels)
		model_stage_one(m, P_CH_LINK, b, 0, on, 0.0f, b == i1 ? origin : NULL);
	if (on >= 0.5f && !was) {
		for (unsigned id = 0; id < P_COUNT; id++) {
			unsigned n1, n2, fa = 0, fb = 0;
			if (!model_follows((enum param_id)id))
				continue;
			model_dims(m, (enum param_id)id, &n1, &n2);
			for (unsigned i2 = 0; i2 < n2; i2++) {
				model_flat(m, (enum param_id)id, a, i2, &fa);
				model_flat(m, (enum param_id)id, b, i2, &fb);
				float v = model_mirror((enum param_id)id, m->value[fa]);
				if (m->value[fb] != v)
					model_stage_one(m, (enum param_id)id, b, i2, v, 0.0f, NULL);
			}
		}
	}
	return clamped ? MODEL_CLAMPED : MODEL_OK;
}

static enum model_result model_stage(struct model *m, enum param_id id, unsigned i1, unsigned i2, float value,
                                     float ramp_ms, const void *origin)
{
	if (id == P_CH_LINK)
		return model_link(m, i1, value, origin);
	enum model_result r = model_stage_one(m, id, i1, i2, value, ramp_ms, origin);
	unsigned o = i1 ^ 1u, flat;
	if (r >= 0 && !m->no_follow && model_follows(id) && o < m->shape.channels &&
	    m->value[m->offset[P_CH_LINK] + i1] >= 0.5f && model_flat(m, id, i1, i2, &flat) == 0)
		model_stage_one(m, id, o, i2, model_mirror(id, m->value[flat]), ramp_ms, NULL);
	return r;
}

float model_effective_db(const struct model *m, enum param_id id, unsigned i1)
{
	ASSERT_ROLE(ROLE_CONTROL);
	int ch = id == P_CH_FADER_EFF;
	unsigned n = ch ? m->shape.channels : m->shape.buses;
	if ((id != P_CH_FADER_EFF && id != P_BUS_FADER_EFF) || i1 >= n)
		return NAN;
	const float *v = m->value;
	float own = v[m->offset[ch ? P_CH_FADER : P_BUS_FADER] + i1], db = own;
	int mu = v[m->offset[ch ? P_CH_MUTE : P_BUS_MUTE] + i1] >= 0.5f;
	unsigned dca = m->offset[ch ? P_CH_DCA : P_BUS_DCA] + i1 * JMX_DCAS;
	unsigned mg = m->offset[ch ? P_CH_MUTEGROUP : P_BUS_MUTEGROUP] + i1 * JMX_MUTEGROUPS;
	/* the same sum as the RT thread's (mixer.c grp_eff) */
	for (unsigned d = 0; d < JMX_DCAS; d++) {
		if (v[dca + d] < 0.5f)
			continue;
		float g = v[m->offset[P_DCA_FADER] + d];
		db = g <= JMX_DB_OFF ? JMX_DB_OFF : db + g;
		mu |= v[m->offset[P_DCA_MUTE] + d] >= 0.5f;
	}
	for (unsigned g = 0; g < JMX_MUTEGROUPS; g++)
		mu |= v[mg + g] >= 0.5f && v[m->offset[P_MUTEGROUP_ON] + g] >= 0.5f;
	if (mu || db <= JMX_DB_OFF || own <= JMX_DB_OFF)
		return JMX_DB_OFF;
	return db > 10.0f ? 10.0f : db;
}

void model_set_follow(struct model *m, int on)
{
	ASSERT_ROLE(ROLE_CONTROL);
	m->no_follow = !on;
}

enum model_result model_set(struct model *m, enum param_id id, unsigned i1, unsigned i2, float value,
                            const void *origin)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return model_stage(m, id, i1, i2, value, 0.0f, origin);
}

enum model_result model_ramp(struct model *m, enum param_id id, unsigned i1, unsigned i2, float value,
                             float ms, const void *origin)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!isfinite(ms) || ms < 0.0f)
		return MODEL_EINVAL;
	return model_stage(m, id, i1, i2, value, ms, origin);
}

float model_get(const struct model *m, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned flat;
	if (model_flat(m, id, i1, i2, &flat) < 0)
		return NAN;
	return m->value[flat];
}

enum model_result model_set_string(struct model *m, enum param_id id, unsigned i1, const char *s,
                                   const void *origin)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned flat;
	if (model_flat(m, id, i1, 0, &flat) < 0)
		return MODEL_ERANGE;
	if (param_table[id].type != PT_STRING || !s)
		return MODEL_EINVAL;
	size_t len = strlen(s);
	if (len >= MODEL_NAME_MAX)
		return MODEL_EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return MODEL_EINVAL;
	memcpy(m->names[flat], s, len + 1);
	model_notify(m, id, i1, 0, origin, 0);
	return MODEL_OK;
}

const char *model_get_string(const struct model *m, enum param_id id, unsigned i1)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned flat;
	if (model_flat(m, id, i1, 0, &flat) < 0 || param_table[id].type != PT_STRING)
		return NULL;
	return m->names[flat];
}

/* Flat index -> (id, i1, i2) by walking the offsets (few dozen ids). */
static void model_unflat(const struct model *m, unsigned flat, struct rt_msg *msg)
{
	unsigned id = 0;
	while (id + 1 < P_COUNT && m->offset[id + 1] <= flat)
		id++;
	unsigned n1, n2, rel = flat - m->offset[id];
	model_dims(m, (enum param_id)id, &n1, &n2);
	msg->id = (uint16_t)id;
	msg->i1 = (uint16_t)(rel / n2);
	msg->i2 = (uint16_t)(rel % n2);
}

void model_commit(struct model *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned done = 0;
	if (!m->to_rt) {
		for (unsigned i = 0; i < m->n_dirty; i++)
			m->dirty[m->dirty_list[i]] = 0;
		m->n_dirty = 0;
		return;
	}
	/* A batch that fits is published whole, so it lands in one period;
	 * a larger one (a full recall) goes in queue-sized pieces. */
	while (done < m->n_dirty) {
		unsigned flat = m->dirty_list[done];
		struct rt_msg msg = {0};
		model_unflat(m, flat, &msg);
		msg.kind = m->ramp_ms[flat] > 0.0f ? RT_RAMP : RT_SET;
		msg.value = m->value[flat];
		msg.arg = m->ramp_ms[flat];
		if (rtq_push(m->to_rt, &msg) < 0)
			break;
		m->dirty[flat] = 0;
		done++;
	}
	rtq_publish(m->to_rt);
	memmove(m->dirty_list, m->dirty_list + done, (m->n_dirty - done) * sizeof *m->dirty_list);
	m->n_dirty -= done;
}

void model_resend_all(struct model *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned id = 0; id < P_COUNT; id++) {
		if (param_table[id].type == PT_STRING || param_table[id].type == PT_METER)
			continue;
		for (unsigned flat = m->offset[id]; flat < m->offset[id + 1]; flat++) {
			m->ramp_ms[flat] = 0.0f;
			if (!m->dirty[flat]) {
				m->dirty[flat] = 1;
				m->dirty_list[m->n_dirty++] = flat;
			}
		}
	}
}

unsigned model_pending(const struct model *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return m->n_dirty;
}

unsigned long model_generation(const struct model *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return m->generation;
}

int model_add_listener(struct model *m, model_listener fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (m->n_listeners >= MODEL_LISTENERS)
		return -1;
	m->listener[m->n_listeners].fn = fn;
	m->listener[m->n_listeners].ctx = ctx;
	m->n_listeners++;
	return 0;
}

void model_remove_listener(struct model *m, model_listener fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned k = 0;
	for (unsigned i = 0; i < m->n_listeners; i++)
		if (m->listener[i].fn != fn || m->listener[i].ctx != ctx)
			m->listener[k++] = m->listener[i]; /* the others keep their order */
	m->n_listeners = k;
}
