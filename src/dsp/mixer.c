/*
 * mixer.c - the console around the channel strips: lane layout, parameter
 * dispatch, chunking, aux buses, master hand-off, solo/monitor and meters.
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
 *   trim and polarity, gathered into the period's frames in input-lane
 *   order; without a tap nothing is copied.
 * - Solo never touches the master path.  The solo sum is delayed by the
 *   master latency so the monitor's latency does not change when solo
 *   engages, and the monitor crossfades between the master copy and the
 *   solo sum with a fade value that travels through the same delay.
 * - Bus and monitor gains smooth like the strips' (sm_step), and a gain
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
 * - Meters hold "max since last read" as float bits in atomics (the order
 *   of non-negative float bits is the numeric order): RT raises them with
 *   a compare-and-swap only when it has a larger value, readers take them
 *   with atomic_exchange(0).  They are linear on the RT side (peak,
 *   mean square, 1/gate gain, compressor dB); readers convert to dB.
 */
#include "mixer.h"
#include "role.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "master.h"
#include "strip.h"

#define RMS_TAU_S 0.3 /* RMS meter window (one-pole on the mean square) */

enum { CM_PEAK, CM_MS, CM_GATE, CM_COMP, CM_N }; /* channel meter cells */

struct smoothed {
	float cur, prev, tgt;
	int jump;                     /* the next step goes all the way (a ramp point) */
	float from;                   /* the switch ramp (dsp.h) started here ... */
	unsigned k;                   /* ... and takes its point k next; 0: not switching, smoothing */
	unsigned char by_mute, moved; /* a mute started it; the fader moved since */
};

/* A parameter moving along a ramp (RT_RAMP), in the taper's domain. */
struct mixer_ramp {
	uint16_t id, i1, i2;
	unsigned flat;      /* index into val[] */
	float from, to;     /* dB, ln(value) or value */
	float target;       /* the value itself, for the last point */
	uint32_t len, done; /* frames */
};

/* Lanes lane..lane+len-1 of a group are input lanes ext..ext+len-1. */
struct tap_run {
	unsigned lane, ext, len;
};

struct mixer {
	struct mixer_config cfg;
	unsigned nch, lanes, ngroups, nout;
	struct strip_group *grp;
	int (*gext)[JMX_LANES]; /* group lane -> external input lane, -1 pad */
	int (*gch)[JMX_LANES];  /* group lane -> channel, -1 pad */
	unsigned *ch_lane;      /* channel -> internal lane of its first lane */
	unsigned char *ch_solo;
	unsigned solo_count;

	struct strip_chunk ck;
	unsigned pos;               /* frame position inside the current chunk */
	vf *x;                      /* every group's lane signals, JMX_CHUNK vectors each */
	struct strip_mix_list *mix; /* per accumulator, rebuilt every chunk */
	uint16_t *mix_idx;
	float *ml, *mr;               /* master pair for one piece */
	float *sl, *sr;               /* solo pair for one piece */
	float *tap;                   /* stems: JMX_MAX_FRAMES frames of `lanes` floats, or NULL */
	const float *const *pb;       /* this call's playback lanes (mixer_set_playback), or NULL */
	vf *tapx;                     /* one group's lanes after trim, JMX_CHUNK vectors */
	struct tap_run (*tap_run)[2]; /* per group: lanes -> consecutive input lanes */

	struct master *ms;
	unsigned lat;

	struct smoothed afl, solo, mon;
	struct smoothed *bus; /* fader x mute, linear */
	float *bus_db;
	unsigned char *bus_mute;

	/* current value of every parameter instance (flat, table order), for
	 * ramps to start from; the ramps in flight and each instance's ramp */
	unsigned flat_off[P_COUNT + 1];
	float *val;
	int32_t *ramp_of;
	struct mixer_ramp *ramps;
	unsigned nramps;
	_Atomic uint32_t *pub; /* float bits of val[], for other threads */
	mixer_chunk_fn hook;
	void *hook_ctx;

	/* monitor delay: solo L, solo R, fade, interleaved */
	float *dl;
	unsigned dl_mask, dl_w;

	_Atomic uint32_t *ch_met;  /* CM_N per channel */
	_Atomic uint32_t *bus_met; /* peak, ms per bus */
	_Atomic uint32_t master_met[2];
	float *bus_ms; /* RMS state: L, R per bus */
	float master_ms[2];
};

/* ---- helpers -------------------------------------------------------- */

static void *alloc_rt(size_t n)
{
	void *p = NULL;
	if (n == 0)
		n = 64;
	if (posix_memalign(&p, 64, n) != 0)
		return NULL;
	memset(p, 0, n); /* pre-fault */
	return p;
}

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

/* One chunk: a switch ramp takes its next point (its last is exactly the
 * target); a ramp point is reached at once, anything else smooths.  As in
 * the strips (fader_step), a ramp point ends a switch ramp the fader
 * started but only moves the end of one a mute started, and a plain fader
 * move ends it and smooths from there. */
static void sm_step(struct smoothed *s, const struct strip_chunk *ck)
{
	s->prev = s->cur;
	if (s->k && (s->jump ? s->by_mute : !s->moved)) {
		s->cur = s->k >= ck->sw_n ? s->tgt : s->tgt + (s->from - s->tgt) * ck->sw_left[s->k];
		s->k = s->k >= ck->sw_n ? 0 : s->k + 1;
		s->jump = s->moved = 0;
		return;
	}
	s->k = s->moved = 0;
	s->cur += ck->coef * (s->tgt - s->cur);
	if (fabsf(s->tgt - s->cur) < 1e-6f || s->jump)
		s->cur = s->tgt;
	s->jump = 0;
}

/* A new target for a gain: one that goes to or leaves exactly 0 (mute,
 * unmute, off and back) takes the switch ramp from where the gain is; any
 * other smooths, or is settled by sm_step inside a ramp a mute started. */
static void sm_gain(struct smoothed *s, float t, int by_mute)
{
	if (t == s->tgt)
		return;
	if (t == 0.0f || s->tgt == 0.0f) {
		s->k = 1;
		s->from = s->cur;
		s->by_mute = (unsigned char)by_mute;
		s->moved = 0;
	} else if (s->k && s->by_mute) {
		s->moved = 1;
	} else {
		s->k = 0;
	}
	s->tgt = t;
}

static void sm_snap(struct smoothed *s)
{
	s->cur = s->prev = s->tgt;
	s->k = s->moved = 0;
}

static float sm_at(const struct smoothed *s, float r)
{
	return s->prev + r * (s->cur - s->prev);
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
	}
	return -1;
}

/* Set a parameter now.  jump: the value is a point on a ramp's path, so
 * the next chunk goes straight to it instead of smoothing towards it. */
static void apply_now(struct mixer *m, enum param_id id, unsigned i1, unsigned i2, float v, int jump)
{
	const struct param_info *pi = &param_table[id];
	switch (pi->scope) {
	case SC_CH:
	case SC_CH_BAND:
	case SC_CH_BUS: {
		if (id == P_CH_SOLO) {
			unsigned char on = v >= 0.5f;
			if (on != m->ch_solo[i1]) {
				m->ch_solo[i1] = on;
				m->solo_count += on ? 1 : (unsigned)-1;
				m->solo.tgt = m->solo_count > 0;
			}
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
	case SC_BUS:
		if (id == P_BUS_FADER)
			m->bus_db[i1] = v;
		else if (id == P_BUS_MUTE)
			m->bus_mute[i1] = v >= 0.5f;
		else
			return;
		sm_gain(&m->bus[i1], fader_lin(m->bus_db[i1], m->bus_mute[i1]), id == P_BUS_MUTE);
		m->bus[i1].jump = jump;
		return;
	case SC_GLOBAL:
	case SC_MASTER_BAND:
		if (id == P_MON_FADER) {
			sm_gain(&m->mon, fader_lin(v, 0), 0);
			m->mon.jump = jump;
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
	apply_now(m, id, i1, i2, v, pi->type == PT_FLOAT);
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
		if (param_table[id].type == PT_FLOAT) {
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
	free(m->bus);
	free(m->bus_db);
	free(m->bus_mute);
	free(m->dl);
	free((void *)m->ch_met);
	free((void *)m->bus_met);
	free(m->bus_ms);
	free(m->val);
	free(m->ramp_of);
	free(m->ramps);
	free((void *)m->pub);
	free(m);
}

struct mixer *mixer_new(const struct mixer_config *cfg)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!cfg || !(cfg->rate >= 8000.0 && cfg->rate <= 768000.0) ||
	    cfg->mono + cfg->stereo > JMX_MAX_CHANNELS || cfg->buses > JMX_MAX_BUSES ||
	    cfg->buses > STRIP_MAX_BUSES)
		return NULL;
	struct mixer *m = alloc_rt(sizeof *m);
	if (!m)
		return NULL;
	m->cfg = *cfg;
	m->nch = cfg->mono + cfg->stereo;
	m->lanes = cfg->mono + 2 * cfg->stereo;
	unsigned base = (cfg->mono + 1) & ~1u, nint = base + 2 * cfg->stereo;
	m->ngroups = (nint + JMX_LANES - 1) / JMX_LANES;
	m->nout = STRIP_OUT_BUS + 2 * cfg->buses;

	m->grp = alloc_rt(m->ngroups * sizeof *m->grp);
	m->gext = alloc_rt(m->ngroups * sizeof *m->gext);
	m->gch = alloc_rt(m->ngroups * sizeof *m->gch);
	m->ch_lane = alloc_rt(m->nch * sizeof *m->ch_lane);
	m->ch_solo = alloc_rt(m->nch);
	m->x = alloc_rt((size_t)m->ngroups * JMX_CHUNK * sizeof(vf));
	m->mix = alloc_rt(m->nout * sizeof *m->mix);
	m->mix_idx = alloc_rt((size_t)m->nout * m->ngroups * sizeof *m->mix_idx);
	m->ml = alloc_rt(JMX_CHUNK * sizeof(float));
	m->mr = alloc_rt(JMX_CHUNK * sizeof(float));
	m->sl = alloc_rt(JMX_CHUNK * sizeof(float));
	m->sr = alloc_rt(JMX_CHUNK * sizeof(float));
	m->bus = alloc_rt(cfg->buses * sizeof *m->bus);
	m->bus_db = alloc_rt(cfg->buses * sizeof *m->bus_db);
	m->bus_mute = alloc_rt(cfg->buses);
	m->ch_met = alloc_rt(m->nch * CM_N * sizeof *m->ch_met);
	m->bus_met = alloc_rt(cfg->buses * 2 * sizeof *m->bus_met);
	m->bus_ms = alloc_rt(cfg->buses * 2 * sizeof *m->bus_ms);
	struct param_shape shape = {m->nch, cfg->buses};
	for (unsigned id = 0; id <= P_COUNT; id++)
		m->flat_off[id] = param_offset((enum param_id)id, &shape);
	unsigned nflat = m->flat_off[P_COUNT];
	m->val = alloc_rt(nflat * sizeof *m->val);
	m->ramp_of = alloc_rt(nflat * sizeof *m->ramp_of);
	m->ramps = alloc_rt(nflat * sizeof *m->ramps);
	m->pub = alloc_rt(nflat * sizeof *m->pub);
	m->ms = master_new(cfg->rate);
	if (!m->grp || !m->gext || !m->gch || !m->ch_lane || !m->ch_solo || !m->x || !m->mix || !m->mix_idx ||
	    !m->ml || !m->mr || !m->sl || !m->sr || !m->bus || !m->bus_db || !m->bus_mute || !m->ch_met ||
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
	m->dl = alloc_rt((size_t)dl * 3 * sizeof(float));
	if (!m->dl)
		goto fail;
	m->dl_mask = dl - 1;

	for (unsigned g = 0; g < m->ngroups; g++) {
		strip_group_init(&m->grp[g], cfg->rate, cfg->buses);
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
		enum param_scope sc = param_table[id].scope;
		unsigned n1 = sc == SC_CH || sc == SC_CH_BAND || sc == SC_CH_BUS ? m->nch
		              : sc == SC_BUS                                     ? cfg->buses
		                                                                 : 1;
		unsigned n2 = sc == SC_CH_BAND || sc == SC_MASTER_BAND ? JMX_BANDS
		              : sc == SC_CH_BUS                        ? cfg->buses
		                                                       : 1;
		if (param_instances((enum param_id)id, &shape) == 0)
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
	for (unsigned b = 0; b < cfg->buses; b++)
		sm_snap(&m->bus[b]);

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
	m->tap = alloc_rt((size_t)JMX_MAX_FRAMES * (m->lanes ? m->lanes : 1) * sizeof(float));
	m->tapx = alloc_rt(JMX_CHUNK * sizeof(vf));
	m->tap_run = alloc_rt(m->ngroups * sizeof *m->tap_run);
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
	for (unsigned b = 0; b < m->cfg.buses; b++)
		sm_step(&m->bus[b], ck);
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

/* The stems' tap of group gi for this piece: its lanes after trim, frame
 * by frame, to the period's frames at frame off, in input-lane order.  A
 * group's lanes map to runs of consecutive input lanes (at most two: the
 * pad after an odd number of mono channels splits one), so each run of
 * a frame is one short contiguous copy; a whole group is one vector. */
static void tap_gather(struct mixer *m, unsigned gi, unsigned off, unsigned n)
{
	const unsigned nl = m->lanes;
	for (unsigned r = 0; r < 2; r++) {
		const struct tap_run *t = &m->tap_run[gi][r];
		if (!t->len)
			continue;
		float *d = m->tap + (size_t)off * nl + t->ext;
		if (t->len == JMX_LANES) {
			for (unsigned j = 0; j < n; j++, d += nl)
				memcpy(d, &m->tapx[j], sizeof m->tapx[j]);
			continue;
		}
		for (unsigned j = 0; j < n; j++, d += nl) {
			const float *s = (const float *)&m->tapx[j] + t->lane;
			for (unsigned k = 0; k < t->len; k++)
				d[k] = s[k];
		}
	}
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

	for (unsigned gi = 0; gi < m->ngroups; gi++) {
		struct strip_group *g = &m->grp[gi];
		if (pos == 0)
			strip_chunk_begin(g, &m->ck);
		for (unsigned l = 0; l < JMX_LANES; l++)
			src[l] = m->gext[gi][l] >= 0 ? in[m->gext[gi][l]] + off : NULL;
		if (m->pb)
			for (unsigned l = 0; l < JMX_LANES; l++)
				pb[l] = m->gext[gi][l] >= 0 && m->pb[m->gext[gi][l]]
				            ? m->pb[m->gext[gi][l]] + off
				            : NULL;
		strip_process(g, &m->ck, src, m->pb ? pb : NULL, m->x + (size_t)gi * JMX_CHUNK, pos, n,
		              m->tap ? m->tapx : NULL);
		if (m->tap)
			tap_gather(m, gi, off, n);
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
		             : o == STRIP_OUT_SOLO + 1   ? sr
		                                         : out[4 + o - STRIP_OUT_BUS];
		strip_mix(m->grp, m->x, &m->ck, &m->mix[o], o, dst, pos, n);
	}
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
		float s = rp[2], g = sm_at(&m->mon, ramp[j]);
		mon_l[j] = g * (rp[0] * s + ml[j] * (1.0f - s));
		mon_r[j] = g * (rp[1] * s + mr[j] * (1.0f - s));
		w++;
	}
	m->dl_w = w & mask;

	memcpy(out[0], ml, n * sizeof(float));
	memcpy(out[1], mr, n * sizeof(float));
	meter_pair(m, m->master_met, m->master_ms, ml, mr, n);

	for (unsigned b = 0; b < m->cfg.buses; b++) {
		float *bl = out[4 + 2 * b], *br = out[5 + 2 * b];
		for (unsigned j = 0; j < n; j++) {
			float g = sm_at(&m->bus[b], ramp[j]);
			bl[j] *= g;
			br[j] *= g;
		}
		meter_pair(m, &m->bus_met[2 * b], &m->bus_ms[2 * b], bl, br, n);
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
	case P_MASTER_METER:
		out[0] = dsp_lin2db(meter_take(&m->master_met[0]));
		out[1] = dsp_lin2db(sqrtf(meter_take(&m->master_met[1])));
		return 2;
	case P_MASTER_COMP_GR:
	case P_MASTER_LIMITER_GR:
	case P_MASTER_LEVELER_GAIN:
		return master_meter_take(m->ms, id, out);
	default:
		return 0;
	}
}
