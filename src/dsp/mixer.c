/*
 * mixer.c - the console around the channel strips: lane layout, parameter
 * dispatch, chunking, the sums of the aux buses (their processing is
 * bus.c's), master hand-off, solo/monitor and meters.
 *
 * Threads: mixer_new, mixer_tap_new and mixer_free on the control thread
 * while RT is not running; mixer_apply, mixer_process and mixer_tap on
 * the RT thread only; mixer_meter_take, mixer_latency, mixer_lanes and
 * mixer_outputs from any thread (meters are C11 atomics, the rest is
 * immutable after mixer_new).
 *
 * Invariants:
 * - All memory is allocated and pre-faulted in mixer_new (the stems' tap
 *   in mixer_tap_new); scratch is sized for one chunk, whatever the JACK
 *   period (the tap for the largest period: it holds a whole one).
 * - Chunks are aligned to the mixer's own frame counter: a period that
 *   ends inside a chunk leaves it to be finished by the next one, so
 *   smoothing, and hence the output, does not depend on the period size.
 * - Internal lane layout: mono channels first, one silent pad if their
 *   count is odd, then stereo pairs on even lanes, so that a pair never
 *   straddles two groups (stereo-linked dynamics stay inside a vector).
 * - The stems' tap (mixer_tap_new) is a copy of every lane right after
 *   trim and polarity (before the input delay), gathered into the period's
 *   frames in input-lane order; without a tap nothing is copied.
 * - Keys (/ch/<n>/gate/key, /ch/<n>/dyn/key): while any channel is keyed
 *   by another, a piece renders every group's input first (strip_input,
 *   which writes the piece into the group's delay lines) and then every
 *   group's processing (strip_run, the detectors reading their keys from
 *   those lines, after the key's trim): a key is of the same frames as
 *   the channel it keys, whatever the order of the groups.  A key number
 *   beyond the console's channels means the last channel (as the model
 *   clamps it).
 * - The input delay's lines (strip_key.c) are allocated and pre-faulted
 *   here for the longest delay of the table (100 ms) at the mixer's rate:
 *   a mixer runs at one rate only (the engine builds a new one, before
 *   it runs, when JACK's rate changes), up to the highest accepted.
 * - Solo never touches the master path.  The solo sum is delayed by the
 *   master latency so the monitor's latency does not change when solo
 *   engages, and the monitor crossfades between the master copy and the
 *   solo sum with a fade value that travels through the same delay.
 * - Monitor gains (and bus.c's) smooth like the strips' (sm.h), and a gain
 *   going to or leaving exactly 0 takes the switch ramp (dsp.h) instead,
 *   one point of the chunk table (strip_chunk.sw_left) a chunk.
 * - Ramps (RT_RAMP) are stepped once per chunk: each sets the point of its
 *   path (dB, octaves or linear, along the parameter's taper) at the end
 *   of the chunk, and the strip goes straight there instead of smoothing,
 *   interpolating linearly inside the chunk; switches change at the end.
 *   Any later message for the same parameter cancels the ramp where it
 *   is (RT_HOLD only that); its last point is its exact target.  Master
 *   parameters are handed to master_set, which smooths them, except the
 *   points of a ramp or a lane, which master_jump takes straight.
 *   The mixer keeps the current value of every parameter instance for
 *   ramps to start from, and publishes it (relaxed atomics) for
 *   feedback of moving values.
 * - Automation (autoplay.c) runs through the chunk hook, once per chunk
 *   after the ramps have stepped, and moves parameters with mixer_point:
 *   the same "point at the end of the chunk" as a ramp.
 * - Console utilities (gen.c, corr.c): the oscillator and talk_in are
 *   added to the sums of the outputs they go to, before those outputs'
 *   faders (master: before the master chain), each through a gain per
 *   destination (0 master, 1 monitor, 2 + b bus b) that smooths like a
 *   bus fader, so on, off and a change of destination are click-free.
 *   The monitor's gain is its fader x dim (while /mon/dim or talkback
 *   is on) x cut, one smoothed gain; mono crossfades to (L+R)/2.
 * - The correlation meter integrates the master outputs (after the
 *   limiter); its two figures are published as atomics after every piece
 *   and read without reset (a state, not a maximum).
 * - DCA groups, mute groups: the strips and buses get an effective fader
 *   and mute (own fader + the sum in dB of the member's DCAs, muted by its
 *   own mute, a DCA's or an engaged mute group), folded when one of the
 *   inputs changes (mixer_groups.c), so the per-sample path is the
 *   plain fader gain's.  A DCA ramp or lane moves its members once a chunk
 *   with the same "point at the end of the chunk", so they follow it as
 *   exactly as their own fader's ramp; mute groups and DCA mutes take the
 *   mute's switch ramp.  Own fader and mute values stay as they were set.
 * - Meters hold "max since last read" as float bits in atomics (the order
 *   of non-negative float bits is the numeric order): RT raises them with
 *   a compare-and-swap only when it has a larger value, readers take them
 *   with atomic_exchange(0).  They are linear on the RT side (peak,
 *   mean square, 1/gate gain, compressor dB); readers convert to dB.
 */
#include "mixer.h"
#include "role.h"

#include "mixer_core.h"
#include "mixer_groups.h"

/* ---- helpers -------------------------------------------------------- */

static void meter_raise(_Atomic uint32_t *cell, float v)
{
	uint32_t nb, ob;
	if (!(v > 0.0f)) /* also NaN */
		return;
	memcpy(&nb, &v, sizeof nb);
	ob = atomic_load_explicit(cell, memory_order_relaxed);
	while (nb > ob && !atomic_compare_exchange_weak_explicit(cell, &ob, nb, memory_order_relaxed,
	                                                         memory_order_relaxed))
		;
}

static float meter_take(_Atomic uint32_t *cell)
{
	uint32_t b = atomic_exchange_explicit(cell, 0, memory_order_relaxed);
	float v;
	memcpy(&v, &b, sizeof v);
	return v;
}

static float fader_lin(float db, int mute)
{
	return mute ? 0.0f : dsp_db2lin(db);
}

static void set_val(struct mixer *m, unsigned flat, float v)
{
	uint32_t b;
	m->val[flat] = v;
	memcpy(&b, &v, sizeof b);
	atomic_store_explicit(&m->pub[flat], b, memory_order_relaxed);
}

/* ---- parameters ----------------------------------------------------- */

/* Flat index of instance (i1, i2) of id, or -1 if it does not exist. */
static long flat_index(const struct mixer *m, enum param_id id, unsigned i1, unsigned i2)
{
	unsigned base = m->flat_off[id], nb = m->cfg.buses;
	switch (param_table[id].scope) {
	case SC_GLOBAL:
		return base;
	case SC_CH:
		return i1 < m->nch ? (long)(base + i1) : -1;
	case SC_CH_BAND:
		return i1 < m->nch && i2 < JMX_BANDS ? (long)(base + i1 * JMX_BANDS + i2) : -1;
	case SC_CH_BUS:
		return i1 < m->nch && i2 < nb ? (long)(base + i1 * nb + i2) : -1;
	case SC_BUS:
		return i1 < nb ? (long)(base + i1) : -1;
	case SC_MASTER_BAND:
		return i2 < JMX_BANDS ? (long)(base + i2) : -1;
	case SC_BUS_BAND:
		return i1 < nb && i2 < JMX_BANDS ? (long)(base + i1 * JMX_BANDS + i2) : -1;
	case SC_CH_DCA:
		return i1 < m->nch && i2 < JMX_DCAS ? (long)(base + i1 * JMX_DCAS + i2) : -1;
	case SC_CH_MGRP:
		return i1 < m->nch && i2 < JMX_MUTEGROUPS ? (long)(base + i1 * JMX_MUTEGROUPS + i2) : -1;
	case SC_BUS_DCA:
		return i1 < nb && i2 < JMX_DCAS ? (long)(base + i1 * JMX_DCAS + i2) : -1;
	case SC_BUS_MGRP:
		return i1 < nb && i2 < JMX_MUTEGROUPS ? (long)(base + i1 * JMX_MUTEGROUPS + i2) : -1;
	case SC_DCA:
		return i1 < JMX_DCAS ? (long)(base + i1) : -1;
	case SC_MGRP:
		return i1 < JMX_MUTEGROUPS ? (long)(base + i1) : -1;
	}
	return -1;
}

/* Channel c's detector `which` reads channel k (1-based, 0 = itself). */
static void key_set(struct mixer *m, unsigned c, unsigned which, float v)
{
	unsigned k = v >= 0.5f ? (unsigned)lroundf(v) : 0u;
	if (k > m->nch)
		k = m->nch;
	uint16_t *old = &m->key_ch[2 * c + which];
	m->keys_used += (k != 0) - (*old != 0);
	*old = (uint16_t)k;
	int32_t ka = -1, kb = -1;
	if (k) {
		unsigned il = m->ch_lane[k - 1];
		ka = (int32_t)il;
		kb = k - 1 >= m->cfg.mono ? ka + 1 : ka;
	}
	unsigned il = m->ch_lane[c], nl = c < m->cfg.mono ? 1 : 2;
	for (unsigned s = 0; s < nl; s++) {
		/* a stereo channel reads its key side by side (its link takes
		 * the louder); a mono one both sides of a stereo key */
		int32_t a = nl == 2 && s == 1 ? kb : ka, b = nl == 2 ? a : kb;
		strip_lane_key(&m->grp[(il + s) / JMX_LANES], (il + s) % JMX_LANES, which, a, b);
	}
}

/* New targets of the utilities' gains, after any of their parameters
 * changed (a handful of destinations: cheap enough to redo them all). */
static void util_targets(struct mixer *m, int jump, int by_cut)
{
	float gl = m->gen_on ? dsp_db2lin(m->gen_db) : 0.0f, tl = m->talk_on ? dsp_db2lin(m->talk_db) : 0.0f;
	for (unsigned d = 0; d < m->ndest; d++) {
		int td = d == 0 ? m->talk_master : d == 1 ? 0 : m->talk_bus[d - 2];
		sm_gain(&m->gen_g[d], d == m->gen_dest ? gl : 0.0f, 0);
		sm_gain(&m->talk_g[d], td ? tl : 0.0f, 0);
		m->gen_g[d].jump |= jump;
		m->talk_g[d].jump |= jump;
	}
	float dim = m->mon_dim || m->talk_on ? dsp_db2lin(m->dim_db) : 1.0f;
	sm_gain(&m->mon, fader_lin(m->mon_db, m->mon_cut) * dim, by_cut);
	m->mon.jump |= jump;
}

/* The utilities' parameters (global and per bus); 0 for any other. */
static int util_set(struct mixer *m, enum param_id id, unsigned i1, float v, int jump)
{
	unsigned char on = v >= 0.5f;
	switch (id) {
	case P_GEN_ON:
		m->gen_on = on;
		break;
	case P_GEN_TYPE:
		m->gen_type = (unsigned char)(v + 0.5f);
		break;
	case P_GEN_HZ:
		gen_set_hz(&m->gen, v);
		return 1;
	case P_GEN_LEVEL:
		m->gen_db = v;
		break;
	case P_GEN_DEST:
		m->gen_dest = (unsigned)(v + 0.5f);
		break;
	case P_TALK_ON:
		m->talk_on = on;
		break;
	case P_TALK_LEVEL:
		m->talk_db = v;
		break;
	case P_TALK_DEST_MASTER:
		m->talk_master = on;
		break;
	case P_TALK_DEST:
		m->talk_bus[i1] = on;
		break;
	case P_MON_FADER:
		m->mon_db = v;
		break;
	case P_MON_DIM:
		m->mon_dim = on;
		break;
	case P_MON_DIM_DB:
		m->dim_db = v;
		break;
	case P_MON_CUT:
		m->mon_cut = on;
		break;
	case P_MON_MONO:
		m->mono.tgt = on;
		return 1;
	default:
		return 0;
	}
	util_targets(m, jump, id == P_MON_CUT);
	return 1;
}

/* Set a parameter now.  jump: the value is a point on a ramp's path, so
 * the next chunk goes straight to it instead of smoothing towards it. */
static void apply_now(struct mixer *m, enum param_id id, unsigned i1, unsigned i2, float v, int jump)
{
	const struct param_info *pi = &param_table[id];
	switch (pi->scope) {
	case SC_CH_DCA:
	case SC_CH_MGRP:
		mixer_groups_channel(m, i1, 0);
		return;
	case SC_BUS_DCA:
	case SC_BUS_MGRP:
		mixer_groups_bus(m, i1, 1, 0);
		return;
	case SC_DCA:
		if (id == P_DCA_FADER || id == P_DCA_MUTE)
			mixer_groups_members(m, P_CH_DCA, P_BUS_DCA, JMX_DCAS, i1, id == P_DCA_MUTE, jump);
		return;
	case SC_MGRP:
		mixer_groups_members(m, P_CH_MUTEGROUP, P_BUS_MUTEGROUP, JMX_MUTEGROUPS, i1, 1, 0);
		return;
	case SC_CH:
	case SC_CH_BAND:
	case SC_CH_BUS: {
		if (id == P_CH_FADER || id == P_CH_MUTE) {
			mixer_groups_channel(m, i1, jump);
			return;
		}
		if (id == P_CH_LINK && !((i1 ^ 1u) < m->cfg.mono && i1 < m->cfg.mono))
			return; /* detection is linked for pairs of mono channels only */
		if (id == P_CH_SOLO) {
			unsigned char on = v >= 0.5f;
			if (on != m->ch_solo[i1]) {
				m->ch_solo[i1] = on;
				m->solo_count += on ? 1 : (unsigned)-1;
				m->solo.tgt = m->solo_count + bus_rack_solos(m->rack) > 0;
			}
		}
		if (id == P_CH_GATE_KEY || id == P_CH_DYN_KEY) {
			key_set(m, i1, id == P_CH_DYN_KEY ? STRIP_KEY_COMP : STRIP_KEY_GATE, v);
			return;
		}
		unsigned il = m->ch_lane[i1], nl = i1 < m->cfg.mono ? 1 : 2;
		for (unsigned k = 0; k < nl; k++) {
			struct strip_group *g = &m->grp[(il + k) / JMX_LANES];
			strip_lane_set(g, (il + k) % JMX_LANES, id, i2, v);
			if (jump)
				strip_lane_jump(g, (il + k) % JMX_LANES, id, i2);
		}
		return;
	}
	case SC_BUS_BAND:
	case SC_BUS:
		if (util_set(m, id, i1, v, jump))
			return;
		if (id == P_BUS_FADER || id == P_BUS_MUTE) {
			mixer_groups_bus(m, i1, id == P_BUS_MUTE, jump);
			return;
		}
		bus_rack_set(m->rack, id, i1, i2, v, jump);
		if (id == P_BUS_SOLO) /* the monitor follows any solo, channel or bus */
			m->solo.tgt = m->solo_count + bus_rack_solos(m->rack) > 0;
		return;
	case SC_GLOBAL:
	case SC_MASTER_BAND:
		if (util_set(m, id, i1, v, jump)) {
			/* done */
		} else if (id == P_MON_AFL) {
			m->afl.tgt = v >= 0.5f;
		} else {
			/* master.c smooths whatever it is given, except a
			 * ramp's or a lane's points */
			master_set(m->ms, id, pi->scope == SC_MASTER_BAND ? i2 : 0, v);
			if (jump)
				master_jump(m->ms, id, pi->scope == SC_MASTER_BAND ? i2 : 0);
		}
		return;
	}
}

/* A ramp moves along the parameter's taper: dB for faders and sends,
 * log (octaves) for frequencies, times and Q, linear otherwise. */
static float to_path(enum param_id id, float v)
{
	return param_table[id].taper == TP_LOG ? logf(v) : v;
}

static float from_path(enum param_id id, float p)
{
	return param_table[id].taper == TP_LOG ? expf(p) : p;
}

static void ramp_drop(struct mixer *m, unsigned k)
{
	m->ramp_of[m->ramps[k].flat] = -1;
	m->ramps[k] = m->ramps[--m->nramps];
	if (k < m->nramps)
		m->ramp_of[m->ramps[k].flat] = (int32_t)k;
}

/* The body of mixer_apply, also run by mixer_new to set the defaults
 * before any RT thread exists. */
static void mixer_apply_msg(struct mixer *m, const struct rt_msg *msg)
{
	enum param_id id = (enum param_id)msg->id;
	float v = msg->value;

	if (msg->id >= P_COUNT || !isfinite(v))
		return;
	const struct param_info *pi = &param_table[id];
	if (pi->type == PT_STRING || pi->type == PT_METER)
		return;
	long flat = flat_index(m, id, msg->i1, msg->i2);
	if (flat < 0)
		return;
	if (m->ramp_of[flat] >= 0) /* a new value cancels a running ramp */
		ramp_drop(m, (unsigned)m->ramp_of[flat]);
	if (msg->kind == RT_HOLD)
		return; /* val[] holds the point the ramp had reached */
	if (msg->kind == RT_RAMP && isfinite(msg->arg) && msg->arg > 0.0f) {
		struct mixer_ramp *r = &m->ramps[m->nramps];
		double len = (double)msg->arg * 0.001 * m->cfg.rate;
		r->id = msg->id;
		r->i1 = msg->i1;
		r->i2 = msg->i2;
		r->flat = (unsigned)flat;
		r->from = to_path(id, m->val[flat]);
		r->to = to_path(id, v);
		r->target = v;
		r->len = len < 1.0 ? 1u : len > 4e9 ? 4000000000u : (uint32_t)len;
		r->done = 0;
		m->ramp_of[flat] = (int32_t)m->nramps++;
		return;
	}
	if (msg->kind != RT_SET && msg->kind != RT_RAMP)
		return;
	set_val(m, (unsigned)flat, v);
	apply_now(m, id, msg->i1, msg->i2, v, 0);
}

void mixer_apply(struct mixer *m, const struct rt_msg *msg)
{
	ASSERT_ROLE(ROLE_RT);
	mixer_apply_msg(m, msg);
}

void mixer_point(struct mixer *m, enum param_id id, unsigned i1, unsigned i2, float v)
{
	ASSERT_ROLE(ROLE_RT);
	if ((unsigned)id >= P_COUNT || !isfinite(v))
		return;
	const struct param_info *pi = &param_table[id];
	if (pi->type == PT_STRING || pi->type == PT_METER)
		return;
	long flat = flat_index(m, id, i1, i2);
	if (flat < 0)
		return;
	if (m->ramp_of[flat] >= 0)
		ramp_drop(m, (unsigned)m->ramp_of[flat]);
	v = param_clamp(id, v);
	set_val(m, (unsigned)flat, v);
	apply_now(m, id, i1, i2, v, param_continuous(id));
}

int mixer_ramping(const struct mixer *m, unsigned flat)
{
	ASSERT_ROLE(ROLE_RT);
	return flat < m->flat_off[P_COUNT] && m->ramp_of[flat] >= 0;
}

unsigned mixer_flat_count(const struct mixer *m)
{
	return m->flat_off[P_COUNT];
}

float mixer_value(const struct mixer *m, unsigned flat)
{
	ASSERT_ROLE(ROLE_RT);
	return flat < m->flat_off[P_COUNT] ? m->val[flat] : NAN;
}

float mixer_value_published(const struct mixer *m, unsigned flat)
{
	float v;
	if (flat >= m->flat_off[P_COUNT])
		return NAN;
	uint32_t b = atomic_load_explicit(&m->pub[flat], memory_order_relaxed);
	memcpy(&v, &b, sizeof v);
	return v;
}

void mixer_set_tempo(struct mixer *m, float bpm)
{
	ASSERT_ROLE(ROLE_RT);
	bus_rack_tempo(m->rack, bpm);
}

void mixer_set_chunk_hook(struct mixer *m, mixer_chunk_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_RT);
	m->hook = fn;
	m->hook_ctx = ctx;
}

/* Once per chunk: every ramp sets the point of its path at the end of the
 * chunk; continuous parameters jump there (the chunk interpolates), switches
 * and enums change when the ramp ends. */
static void ramps_step(struct mixer *m)
{
	for (unsigned k = 0; k < m->nramps;) {
		struct mixer_ramp *r = &m->ramps[k];
		enum param_id id = (enum param_id)r->id;
		int end = r->len - r->done <= JMX_CHUNK;
		r->done = end ? r->len : r->done + JMX_CHUNK;
		if (param_continuous(id)) {
			float x = (float)r->done / (float)r->len;
			float v = end ? r->target : from_path(id, r->from + x * (r->to - r->from));
			set_val(m, r->flat, v);
			apply_now(m, id, r->i1, r->i2, v, 1);
		} else if (end) {
			set_val(m, r->flat, r->target);
			apply_now(m, id, r->i1, r->i2, r->target, 0);
		}
		if (end)
			ramp_drop(m, k);
		else
			k++;
	}
}

/* ---- construction --------------------------------------------------- */

void mixer_free(struct mixer *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!m)
		return;
	if (m->ms)
		master_free(m->ms);
	bus_rack_free(m->rack);
	free(m->grp);
	free(m->gext);
	free(m->gch);
	free(m->ch_lane);
	free(m->ch_solo);
	free(m->x);
	free(m->mix);
	free(m->mix_idx);
	free(m->ml);
	free(m->mr);
	free(m->sl);
	free(m->sr);
	free(m->tap);
	free(m->tapx);
	free(m->tap_run);
	free((void *)m->eff);
	free(m->dl);
	free(m->dly);
	free(m->key_ch);
	free((void *)m->ch_met);
	free((void *)m->bus_met);
	free((void *)m->bus_gr);
	free(m->bus_ms);
	free(m->val);
	free(m->ramp_of);
	free(m->ramps);
	free((void *)m->pub);
	free(m->talk_bus);
	free(m->gen_g);
	free(m->talk_g);
	free(m->gbuf);
	free(m->tbuf);
	free(m->gmon);
	free(m);
}

struct mixer *mixer_new(const struct mixer_config *cfg)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!cfg || !(cfg->rate >= 8000.0 && cfg->rate <= 768000.0) ||
	    cfg->mono + cfg->stereo > JMX_MAX_CHANNELS || cfg->buses > JMX_MAX_BUSES ||
	    cfg->buses > STRIP_MAX_BUSES)
		return NULL;
	struct mixer *m = dsp_alloc_rt(sizeof *m);
	if (!m)
		return NULL;
	m->cfg = *cfg;
	m->nch = cfg->mono + cfg->stereo;
	m->lanes = cfg->mono + 2 * cfg->stereo;
	unsigned base = (cfg->mono + 1) & ~1u, nint = base + 2 * cfg->stereo;
	m->ngroups = (nint + JMX_LANES - 1) / JMX_LANES;
	m->nout = STRIP_OUT_BUS + 2 * cfg->buses;

	m->grp = dsp_alloc_rt(m->ngroups * sizeof *m->grp);
	m->gext = dsp_alloc_rt(m->ngroups * sizeof *m->gext);
	m->gch = dsp_alloc_rt(m->ngroups * sizeof *m->gch);
	m->ch_lane = dsp_alloc_rt(m->nch * sizeof *m->ch_lane);
	m->ch_solo = dsp_alloc_rt(m->nch);
	m->x = dsp_alloc_rt((size_t)m->ngroups * JMX_CHUNK * sizeof(vf));
	m->mix = dsp_alloc_rt(m->nout * sizeof *m->mix);
	m->mix_idx = dsp_alloc_rt((size_t)m->nout * m->ngroups * sizeof *m->mix_idx);
	m->ml = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	m->mr = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	m->sl = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	m->sr = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	/* the mixer is rebuilt when JACK's rate changes (engine.c), so its
	 * rate is the highest its delay lines will ever run at */
	m->rack = bus_rack_new(cfg->buses, cfg->rate, cfg->rate);
	m->bus_gr = dsp_alloc_rt(cfg->buses * sizeof *m->bus_gr);
	m->eff = dsp_alloc_rt((m->nch + cfg->buses) * sizeof *m->eff);
	m->ch_met = dsp_alloc_rt(m->nch * CM_N * sizeof *m->ch_met);
	m->bus_met = dsp_alloc_rt(cfg->buses * 2 * sizeof *m->bus_met);
	m->bus_ms = dsp_alloc_rt(cfg->buses * 2 * sizeof *m->bus_ms);
	struct param_shape shape = {m->nch, cfg->buses};
	for (unsigned id = 0; id <= P_COUNT; id++)
		m->flat_off[id] = param_offset((enum param_id)id, &shape);
	unsigned nflat = m->flat_off[P_COUNT];
	m->val = dsp_alloc_rt(nflat * sizeof *m->val);
	m->ramp_of = dsp_alloc_rt(nflat * sizeof *m->ramp_of);
	m->ramps = dsp_alloc_rt(nflat * sizeof *m->ramps);
	m->pub = dsp_alloc_rt(nflat * sizeof *m->pub);
	m->ms = master_new(cfg->rate);
	unsigned dmax = (unsigned)lround(param_table[P_CH_DELAY].max * 0.001 * cfg->rate);
	size_t dfl = strip_delay_floats(dmax);
	m->dly = dsp_alloc_rt(m->ngroups * dfl * sizeof(float));
	m->key_ch = dsp_alloc_rt(2 * m->nch * sizeof *m->key_ch);
	m->ndest = 2 + cfg->buses;
	m->talk_bus = dsp_alloc_rt(cfg->buses);
	m->gen_g = dsp_alloc_rt(m->ndest * sizeof *m->gen_g);
	m->talk_g = dsp_alloc_rt(m->ndest * sizeof *m->talk_g);
	m->gbuf = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	m->tbuf = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	m->gmon = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	gen_init(&m->gen, cfg->rate, 0x6a6d78); /* fixed seed: the same noise every run */
	if (!m->dly || !m->key_ch || !m->talk_bus || !m->gen_g || !m->talk_g || !m->gbuf || !m->tbuf ||
	    !m->gmon)
		goto fail;
	if (!m->grp || !m->gext || !m->gch || !m->ch_lane || !m->ch_solo || !m->x || !m->mix || !m->mix_idx ||
	    !m->ml || !m->mr || !m->sl || !m->sr || !m->rack || !m->bus_gr || !m->eff || !m->ch_met ||
	    !m->bus_met || !m->bus_ms || !m->val || !m->ramp_of || !m->ramps || !m->pub || !m->ms)
		goto fail;
	for (unsigned i = 0; i < nflat; i++)
		m->ramp_of[i] = -1;

	for (unsigned o = 0; o < m->nout; o++)
		m->mix[o].idx = m->mix_idx + (size_t)o * m->ngroups;
	m->lat = master_latency(m->ms);
	unsigned dl = 1;
	while (dl < m->lat + JMX_CHUNK + 1)
		dl <<= 1;
	m->dl = dsp_alloc_rt((size_t)dl * 3 * sizeof(float));
	if (!m->dl)
		goto fail;
	m->dl_mask = dl - 1;

	for (unsigned g = 0; g < m->ngroups; g++) {
		strip_group_init(&m->grp[g], cfg->rate, cfg->buses);
		strip_delay_attach(&m->grp[g], m->dly + g * dfl, dmax);
		for (unsigned l = 0; l < JMX_LANES; l++)
			m->gext[g][l] = m->gch[g][l] = -1;
	}
	for (unsigned c = 0; c < m->nch; c++) {
		unsigned mono = c < cfg->mono, s = c - cfg->mono;
		unsigned il = mono ? c : base + 2 * s, ext = mono ? c : cfg->mono + 2 * s;
		m->ch_lane[c] = il;
		for (unsigned k = 0; k < (mono ? 1u : 2u); k++) {
			struct strip_group *g = &m->grp[(il + k) / JMX_LANES];
			unsigned l = (il + k) % JMX_LANES;
			m->gext[(il + k) / JMX_LANES][l] = (int)(ext + k);
			m->gch[(il + k) / JMX_LANES][l] = (int)c;
			strip_lane_assign(g, l, mono ? 0 : (int)k + 1);
		}
	}

	/* every parameter at its table default */
	for (int id = 0; id < P_COUNT; id++) {
		unsigned n1, n2;
		param_dims((enum param_id)id, &shape, &n1, &n2);
		if (n1 * n2 == 0)
			continue;
		for (unsigned i1 = 0; i1 < n1; i1++)
			for (unsigned i2 = 0; i2 < n2; i2++) {
				struct rt_msg msg = {(uint16_t)id,
				                     (uint16_t)i1,
				                     (uint16_t)i2,
				                     RT_SET,
				                     param_default((enum param_id)id, i2),
				                     0.0f};
				mixer_apply_msg(m, &msg);
			}
	}
	for (unsigned g = 0; g < m->ngroups; g++)
		strip_group_snap(&m->grp[g]);
	sm_snap(&m->afl);
	sm_snap(&m->solo);
	sm_snap(&m->mon);
	bus_rack_snap(m->rack);
	sm_snap(&m->mono);
	for (unsigned d = 0; d < m->ndest; d++) {
		sm_snap(&m->gen_g[d]);
		sm_snap(&m->talk_g[d]);
	}

	m->ck.coef = dsp_smooth_coef(cfg->rate, JMX_CHUNK);
	m->ck.sw_n = dsp_switch_chunks(cfg->rate);
	for (unsigned k = 0; k <= m->ck.sw_n; k++)
		m->ck.sw_left[k] = dsp_switch_left((double)k / m->ck.sw_n);
	for (unsigned a = 0; a < JMX_CHUNK; a++)
		m->ck.ramp[a] = (float)(a + 1) / (float)JMX_CHUNK;
	for (unsigned n = 1; n <= JMX_CHUNK; n++)
		m->ck.rms_coef[n] = (float)(1.0 - exp(-(double)n / (RMS_TAU_S * cfg->rate)));
	return m;
fail:
	mixer_free(m);
	return NULL;
}

int mixer_tap_new(struct mixer *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (m->tap)
		return 0;
	/* a whole period of the largest size: the engine pushes it after
	 * mixer_process returns, and a period is not cut into pieces there */
	m->tap = dsp_alloc_rt((size_t)JMX_MAX_FRAMES * (m->lanes ? m->lanes : 1) * sizeof(float));
	m->tapx = dsp_alloc_rt(JMX_CHUNK * sizeof(vf));
	m->tap_run = dsp_alloc_rt(m->ngroups * sizeof *m->tap_run);
	if (!m->tap || !m->tapx || !m->tap_run)
		goto fail;
	/* the lane layout (mixer.h) allows at most two runs a group: mono
	 * lanes, the pad after an odd number of them, stereo pairs */
	for (unsigned g = 0; g < m->ngroups; g++) {
		unsigned r = 0;
		for (unsigned l = 0; l < JMX_LANES; l++) {
			int e = m->gext[g][l];
			struct tap_run *t = &m->tap_run[g][r];
			if (e < 0)
				continue;
			if (t->len && t->lane + t->len == l && t->ext + t->len == (unsigned)e) {
				t->len++;
				continue;
			}
			if (t->len && ++r == 2)
				goto fail;
			t = &m->tap_run[g][r];
			t->lane = l;
			t->ext = (unsigned)e;
			t->len = 1;
		}
	}
	return 0;
fail:
	free(m->tap);
	free(m->tapx);
	free(m->tap_run);
	m->tap = NULL;
	m->tapx = NULL;
	m->tap_run = NULL;
	return -1;
}

void mixer_set_playback(struct mixer *m, const float *const *pb)
{
	ASSERT_ROLE(ROLE_RT);
	m->pb = pb;
}

const float *mixer_tap(const struct mixer *m)
{
	ASSERT_ROLE(ROLE_RT);
	return m->tap;
}

unsigned mixer_lanes(const struct mixer *m)
{
	return m->lanes;
}

unsigned mixer_inputs(const struct mixer *m)
{
	return m->lanes + (m->cfg.talkback ? 1u : 0u);
}

unsigned mixer_outputs(const struct mixer *m)
{
	return 4 + 2 * m->cfg.buses;
}

unsigned mixer_latency(const struct mixer *m)
{
	return m->lat;
}

/* ---- rendering ------------------------------------------------------ */

static void chunk_begin(struct mixer *m, unsigned off)
{
	const struct strip_chunk *ck = &m->ck;
	ramps_step(m); /* first: its points are this chunk's targets */
	if (m->hook)   /* automation: lanes override ramps, so after them */
		m->hook(m->hook_ctx, m, off);
	sm_step(&m->afl, ck);
	sm_step(&m->solo, ck);
	sm_step(&m->mon, ck);
	bus_rack_chunk_begin(m->rack, ck);
	sm_step(&m->mono, ck);
	for (unsigned d = 0; d < m->ndest; d++) {
		sm_step(&m->gen_g[d], ck);
		sm_step(&m->talk_g[d], ck);
	}
	m->ck.afl = m->afl.cur;
	m->ck.afl_moved = m->afl.cur != m->afl.prev;
}

static float peak_ms(const float *x, unsigned n, float *ss)
{
	float pk = 0.0f, s = 0.0f;
	for (unsigned j = 0; j < n; j++) {
		float a = fabsf(x[j]);
		pk = a > pk ? a : pk;
		s += x[j] * x[j];
	}
	*ss = s;
	return pk;
}

/* Level meter of one output pair; ms[] is its RMS state. */
static void meter_pair(struct mixer *m, _Atomic uint32_t *cells, float ms[2], const float *l, const float *r,
                       unsigned n)
{
	float sl, sr, pl = peak_ms(l, n, &sl), pr = peak_ms(r, n, &sr), c = m->ck.rms_coef[n];
	ms[0] += c * (sl / (float)n - ms[0]);
	ms[1] += c * (sr / (float)n - ms[1]);
	ms[0] = dsp_finite_or_zero(ms[0]);
	ms[1] = dsp_finite_or_zero(ms[1]);
	meter_raise(&cells[0], pl > pr ? pl : pr);
	meter_raise(&cells[1], ms[0] > ms[1] ? ms[0] : ms[1]);
}

static int sm_live(const struct smoothed *s)
{
	return s->cur != 0.0f || s->prev != 0.0f;
}

/* Add src at gain g (smoothed) to dst[] and, when dst2, to dst2[] too. */
static void util_add(float *dst, float *dst2, const float *src, const struct smoothed *g, const float *ramp,
                     unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		float x = src[j] * sm_at(g, ramp[j]);
		dst[j] += x;
		if (dst2)
			dst2[j] += x;
	}
}

/* The oscillator and talk_in into the sums of their destinations (the
 * monitor's share of the oscillator into gmon, added in the monitor). */
static void util_inject(struct mixer *m, const float *const *in, unsigned off, float *ml, float *mr,
                        const float *ramp, unsigned n)
{
	int gen = 0, talk = 0;
	for (unsigned d = 0; d < m->ndest; d++) {
		gen |= sm_live(&m->gen_g[d]);
		talk |= sm_live(&m->talk_g[d]);
	}
	memset(m->gmon, 0, n * sizeof(float));
	if (gen)
		gen_run(&m->gen, (enum gen_type)m->gen_type, m->gbuf, n);
	if (talk && m->cfg.talkback && in) {
		const float *t = in[m->lanes] + off;
		for (unsigned j = 0; j < n; j++) { /* a hostile port: no NaN, no blast */
			float x = dsp_finite_or_zero(t[j]);
			m->tbuf[j] = x > JMX_INPUT_LIMIT    ? JMX_INPUT_LIMIT
			             : x < -JMX_INPUT_LIMIT ? -JMX_INPUT_LIMIT
			                                    : x;
		}
	} else {
		talk = 0;
	}
	for (unsigned d = 0; (gen || talk) && d < m->ndest; d++) {
		float *l = d == 0 ? ml : d == 1 ? m->gmon : bus_rack_sum(m->rack, d - 2, 0);
		float *r = d == 0 ? mr : d == 1 ? NULL : bus_rack_sum(m->rack, d - 2, 1);
		if (gen && sm_live(&m->gen_g[d]))
			util_add(l, r, m->gbuf, &m->gen_g[d], ramp, n);
		if (talk && sm_live(&m->talk_g[d]))
			util_add(l, r, m->tbuf, &m->talk_g[d], ramp, n);
	}
}

/* The stems' tap of group gi for this piece: its lanes after trim, frame
 * by frame, to the period's frames at frame off, in input-lane order.  A
 * group's lanes map to runs of consecutive input lanes (at most two: the
 * pad after an odd number of mono channels splits one), so each run of
 * a frame is one short contiguous copy; a whole group is one vector. */
static void tap_gather(struct mixer *m, unsigned gi, unsigned off, unsigned n, const vf *tapx)
{
	const unsigned nl = m->lanes;
	for (unsigned r = 0; r < 2; r++) {
		const struct tap_run *t = &m->tap_run[gi][r];
		if (!t->len)
			continue;
		float *d = m->tap + (size_t)off * nl + t->ext;
		if (t->len == JMX_LANES) {
			for (unsigned j = 0; j < n; j++, d += nl)
				memcpy(d, &tapx[j], sizeof tapx[j]);
			continue;
		}
		for (unsigned j = 0; j < n; j++, d += nl) {
			const float *s = (const float *)&tapx[j] + t->lane;
			for (unsigned k = 0; k < t->len; k++)
				d[k] = s[k];
		}
	}
}

/* Group gi's playback lanes at frame off (mixer_set_playback), when
 * there is a playback. */
static void playback_lanes(const struct mixer *m, unsigned gi, unsigned off, const float *pb[JMX_LANES])
{
	if (!m->pb)
		return;
	for (unsigned l = 0; l < JMX_LANES; l++)
		pb[l] = m->gext[gi][l] >= 0 && m->pb[m->gext[gi][l]] ? m->pb[m->gext[gi][l]] + off : NULL;
}

/* Frames pos..pos+n-1 of the current chunk; in[] is read from frame off,
 * out[] already points at the piece. */
static void render_piece(struct mixer *m, const float *const *in, unsigned off, float *const *out, unsigned n)
{
	const unsigned pos = m->pos;
	const float *ramp = m->ck.ramp + pos;
	const float *src[JMX_LANES], *pb[JMX_LANES];

	if (pos == 0)
		chunk_begin(m, off);

	/* with keys: every group's input first (into its delay lines, which
	 * the detectors read), then the rest */
	const int keyed = m->keys_used != 0;
	if (keyed)
		for (unsigned gi = 0; gi < m->ngroups; gi++) {
			struct strip_group *g = &m->grp[gi];
			if (pos == 0)
				strip_chunk_begin(g, &m->ck);
			for (unsigned l = 0; l < JMX_LANES; l++)
				src[l] = m->gext[gi][l] >= 0 ? in[m->gext[gi][l]] + off : NULL;
			playback_lanes(m, gi, off, pb);
			strip_input(g, &m->ck, src, m->pb ? pb : NULL, m->x + (size_t)gi * JMX_CHUNK, pos, n,
			            m->tap ? m->tapx : NULL, 1);
			if (m->tap)
				tap_gather(m, gi, off, n, m->tapx);
		}
	for (unsigned gi = 0; gi < m->ngroups; gi++) {
		struct strip_group *g = &m->grp[gi];
		vf *x = m->x + (size_t)gi * JMX_CHUNK;
		if (keyed) {
			strip_run(g, &m->ck, x, pos, n, m->grp);
		} else {
			if (pos == 0)
				strip_chunk_begin(g, &m->ck);
			for (unsigned l = 0; l < JMX_LANES; l++)
				src[l] = m->gext[gi][l] >= 0 ? in[m->gext[gi][l]] + off : NULL;
			playback_lanes(m, gi, off, pb);
			strip_process(g, &m->ck, src, m->pb ? pb : NULL, x, pos, n, m->tap ? m->tapx : NULL);
			if (m->tap)
				tap_gather(m, gi, off, n, m->tapx);
		}
		for (unsigned l = 0; l < JMX_LANES; l++) {
			int c = m->gch[gi][l];
			if (c < 0)
				continue;
			struct strip_meter sm;
			_Atomic uint32_t *cell = &m->ch_met[(unsigned)c * CM_N];
			strip_meter_read(g, l, &sm);
			meter_raise(&cell[CM_PEAK], sm.peak);
			meter_raise(&cell[CM_MS], sm.ms);
			meter_raise(&cell[CM_GATE], sm.gate_inv > 1.0f ? sm.gate_inv : 0.0f);
			meter_raise(&cell[CM_COMP], sm.comp_db);
		}
	}

	if (pos == 0)
		strip_mix_plan(m->grp, m->ngroups, m->nout, m->mix);

	/* the sums, then the master chain in place */
	float *ml = m->ml, *mr = m->mr, *sl = m->sl, *sr = m->sr;
	for (unsigned o = 0; o < m->nout; o++) {
		float *dst = o == STRIP_OUT_MASTER       ? ml
		             : o == STRIP_OUT_MASTER + 1 ? mr
		             : o == STRIP_OUT_SOLO       ? sl
		             : o == STRIP_OUT_SOLO + 1
		                 ? sr
		                 : bus_rack_sum(m->rack, (o - STRIP_OUT_BUS) / 2, o & 1);
		strip_mix(m->grp, m->x, &m->ck, &m->mix[o], o, dst, pos, n);
	}
	/* the oscillator and talkback into their destinations' sums (the
	 * buses' before their processing), then the buses: effect, EQ,
	 * compressor, fader, delay to their outputs, and into the master and
	 * solo sums */
	util_inject(m, in, off, ml, mr, ramp, n);
	bus_rack_process(m->rack, &m->ck, pos, n, out + 4, ml, mr, sl, sr);
	master_process(m->ms, ml, mr, n);

	/* monitor: solo sum through the latency delay, crossfaded with the
	 * master copy, then the monitor fader */
	float *dl = m->dl, *mon_l = out[2], *mon_r = out[3];
	unsigned w = m->dl_w, mask = m->dl_mask, lat = m->lat;
	for (unsigned j = 0; j < n; j++) {
		float *wp = &dl[3 * (w & mask)];
		wp[0] = sl[j];
		wp[1] = sr[j];
		wp[2] = sm_at(&m->solo, ramp[j]);
		const float *rp = &dl[3 * ((w - lat) & mask)];
		float s = rp[2], g = sm_at(&m->mon, ramp[j]), mf = sm_at(&m->mono, ramp[j]);
		float a = rp[0] * s + ml[j] * (1.0f - s) + m->gmon[j],
		      b = rp[1] * s + mr[j] * (1.0f - s) + m->gmon[j];
		float c = 0.5f * (a + b);
		mon_l[j] = g * (a + mf * (c - a));
		mon_r[j] = g * (b + mf * (c - b));
		w++;
	}
	m->dl_w = w & mask;

	memcpy(out[0], ml, n * sizeof(float));
	memcpy(out[1], mr, n * sizeof(float));
	meter_pair(m, m->master_met, m->master_ms, ml, mr, n);
	corr_run(&m->corr, ml, mr, n, m->ck.rms_coef[n]);
	float cv[2] = {corr_value(&m->corr), corr_loss_db(&m->corr)};
	for (unsigned k = 0; k < 2; k++) {
		uint32_t b;
		memcpy(&b, &cv[k], sizeof b);
		atomic_store_explicit(&m->corr_pub[k], b, memory_order_relaxed);
	}

	for (unsigned b = 0; b < m->cfg.buses; b++) {
		meter_pair(m, &m->bus_met[2 * b], &m->bus_ms[2 * b], out[4 + 2 * b], out[5 + 2 * b], n);
		meter_raise(&m->bus_gr[b], bus_rack_gr(m->rack, b));
	}

	m->pos = (pos + n) % JMX_CHUNK;
}

void mixer_process(struct mixer *m, const float *const *in, float *const *out, unsigned nframes)
{
	ASSERT_ROLE(ROLE_RT);
	dsp_denormals_off();
	if (nframes > JMX_MAX_FRAMES)
		nframes = JMX_MAX_FRAMES;
	unsigned done = 0;
	while (done < nframes) {
		unsigned n = JMX_CHUNK - m->pos;
		if (n > nframes - done)
			n = nframes - done;
		float *o[4 + 2 * JMX_MAX_BUSES];
		for (unsigned k = 0; k < mixer_outputs(m); k++)
			o[k] = out[k] + done;
		render_piece(m, in, done, o, n);
		done += n;
	}
}

int mixer_meter_take(struct mixer *m, enum param_id id, unsigned idx, float out[2])
{
	float v;
	switch (id) {
	case P_CH_METER:
		if (idx >= m->nch)
			return 0;
		out[0] = dsp_lin2db(meter_take(&m->ch_met[idx * CM_N + CM_PEAK]));
		out[1] = dsp_lin2db(sqrtf(meter_take(&m->ch_met[idx * CM_N + CM_MS])));
		return 2;
	case P_CH_FADER_EFF:
	case P_BUS_FADER_EFF:
		/* not a maximum: the value the RT thread last folded */
		if (idx >= (id == P_CH_FADER_EFF ? m->nch : m->cfg.buses))
			return 0;
		uint32_t b = atomic_load_explicit(&m->eff[(id == P_CH_FADER_EFF ? 0 : m->nch) + idx],
		                                  memory_order_relaxed);
		memcpy(&v, &b, sizeof v);
		out[0] = v;
		return 1;
	case P_CH_GATE_GR:
		if (idx >= m->nch)
			return 0;
		v = meter_take(&m->ch_met[idx * CM_N + CM_GATE]);
		out[0] = v > 1.0f ? 20.0f * log10f(v) : 0.0f;
		return 1;
	case P_CH_DYN_GR:
		if (idx >= m->nch)
			return 0;
		out[0] = meter_take(&m->ch_met[idx * CM_N + CM_COMP]);
		return 1;
	case P_BUS_METER:
		if (idx >= m->cfg.buses)
			return 0;
		out[0] = dsp_lin2db(meter_take(&m->bus_met[2 * idx]));
		out[1] = dsp_lin2db(sqrtf(meter_take(&m->bus_met[2 * idx + 1])));
		return 2;
	case P_BUS_DYN_GR:
		if (idx >= m->cfg.buses)
			return 0;
		out[0] = meter_take(&m->bus_gr[idx]);
		return 1;
	case P_MASTER_METER:
		out[0] = dsp_lin2db(meter_take(&m->master_met[0]));
		out[1] = dsp_lin2db(sqrtf(meter_take(&m->master_met[1])));
		return 2;
	case P_MASTER_CORR:
	case P_MASTER_MONOLOSS: {
		uint32_t cb =
		    atomic_load_explicit(&m->corr_pub[id == P_MASTER_MONOLOSS], memory_order_relaxed);
		memcpy(&out[0], &cb, sizeof out[0]);
		return 1;
	}
	case P_MASTER_COMP_GR:
	case P_MASTER_LIMITER_GR:
	case P_MASTER_LEVELER_GAIN:
		return master_meter_take(m->ms, id, out);
	default:
		return 0;
	}
}
