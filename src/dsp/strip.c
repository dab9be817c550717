/*
 * strip.c - channel strip DSP for groups of JMX_LANES lanes in lock-step:
 * input sanitising and trim/polarity, the input delay (strip_key.c), 12
 * dB/oct high-pass, gate, 4-band EQ, compressor and meter per group
 * (strip_process, or strip_input then strip_run when a gate or compressor
 * is keyed by another channel, strip_key.c), then the mix of all
 * groups into the master, solo and aux bus sums (strip_mix).  On request
 * strip_process copies the lanes right after trim/polarity to a tap (the
 * recorder's stems).
 *
 * Virtual soundcheck (/ch/<n>/source): on a lane on playback the take's
 * stem takes the input's place, x (1 - s) + p s with s smoothed like
 * every switch (SM_SRC, 10 ms), and the lane's trim and polarity go to
 * neutral (SM_IN to 1: a stem was tapped after them).  It enters before
 * the input delay (strip_delay_run blends it into the lines; while they
 * rest, stage_source blends after the gain, the same at s = 0 and 1), so
 * the playback is delayed, keys from the channel read it and the tap
 * carries it, exactly as for the live input: s = 1 is the stem to the
 * bit, and a channel plays what jackmixd-render makes of its stem.
 *
 * Threads: strip_group_init, strip_lane_assign and strip_group_snap run
 * on the control thread inside mixer_new; everything else on the RT
 * thread.  Nothing here allocates, locks or does I/O.
 *
 * Invariants and conventions:
 * - Every stage is one loop over the frames of a piece with the whole
 *   8-lane vector per operation and its state in local variables; the
 *   per-sample code has no branch on a parameter.  On/off switches and EQ
 *   types become mix factors and coefficients.
 * - Smoothed values move once per chunk (one-pole, JMX_SMOOTH_TAU_MS),
 *   except a fader x mute gain going to or leaving exactly 0, which takes
 *   the switch ramp of dsp.h, one precomputed point a chunk, ending on
 *   the target exactly (fader_step);
 *   inside the chunk they are interpolated linearly by the absolute frame
 *   position, ramp[a] = (a + 1) / JMX_CHUNK, so a chunk cut into pieces
 *   renders exactly like a whole one.  Filter coefficients are redesigned
 *   only for lanes whose frequency, gain or Q moved in the chunk, and are
 *   interpolated the same way; a static filter runs without interpolation.
 *   A group in which nothing moved for a whole chunk is "idle": its chunk
 *   set-up is skipped and its gains are applied as constants.
 * - EQ off and EQ type changes move the band gain to 0 dB (where every
 *   band type is the identity), switch, and move back: no click.  High-pass,
 *   gate and compressor on/off crossfade; a stage whose mix is 0 on all
 *   lanes is skipped with its state kept consistent for a seamless return.
 * - High-pass in direct form I (its recurrence is one FMA long); the four
 *   EQ bands in one pass in transposed direct form II (two states a band,
 *   so all of them stay in registers).
 * - Gate and compressor detect the peak level |x| and compute their gain
 *   once per STRIP_DYN_BLOCK frames (blocks aligned to the chunk) from the
 *   previous block's peak, interpolating the gain linearly across the
 *   block: per frame only a max and a multiply-add remain.  For a steady
 *   sine the compressor's input level is therefore the sine's peak level.
 *   Stereo channels, and linked pairs of mono channels (/ch/<n>/link),
 *   use the louder lane for both.  The compressor computes
 *   the static curve of comp_gr_db() in log2 units with a branch-free knee
 *   and a fast log2/exp2 (bit tricks and short polynomials, < 0.001 dB),
 *   smooths the reduction with attack/release in the log domain; make-up
 *   gain is folded into the composite gains after the compressor.
 * - Mixing: each group leaves its lane signals in its own block; strip_mix
 *   then sums lane signal x composite gain (send x fader x pan ...,
 *   interpolated across the chunk when it moves) over all groups into
 *   eight frame accumulators held in registers, and does the horizontal
 *   sums once per eight frames with a transposing add tree.
 * - Input samples that are NaN, infinite or denormal become 0 and the
 *   rest are clamped to +-JMX_INPUT_LIMIT before they reach any state;
 *   state is scrubbed of non-finite values after every piece.
 */
#include "strip.h"

#include <math.h>
#include <string.h>

#include "strip_vec.h"

#define LOG2_DB    6.02059991f /* dB per log2 unit */
#define SETTLE_EPS 1e-5f       /* a smoothed value this close snaps to target */

/* ---- parameters (control values -> targets) ------------------------- */

/* One-pole coefficient of time constant ms for a step of one dynamics
 * block. */
static float block_coef(double rate, float ms)
{
	return (float)exp(-(double)STRIP_DYN_BLOCK / ((double)ms * 0.001 * rate));
}

static void set_in(struct strip_group *g, unsigned l)
{
	const struct strip_lane *p = &g->lane[l];
	float lin = powf(10.0f, p->trim_db * 0.05f);
	/* a stem played back has its trim and polarity already */
	g->tgt[SM_IN][l] = g->tgt[SM_SRC][l] != 0.0f ? 1.0f : p->polarity ? -lin : lin;
}

static void set_eq_band(struct strip_group *g, unsigned l, unsigned b)
{
	const struct strip_lane *p = &g->lane[l];
	int live = p->eq_on && p->eq_type[b] == p->eq_type_want[b];
	g->tgt[SM_EQ_DB + b][l] = live ? p->eq_db[b] : 0.0f;
	if (p->eq_type[b] != p->eq_type_want[b])
		g->type_wait = 1;
}

static void set_post(struct strip_group *g, unsigned l)
{
	const struct strip_lane *p = &g->lane[l];
	g->tgt[SM_POST][l] = p->dyn_on ? powf(10.0f, p->makeup_db * 0.05f) : 1.0f;
}

/* A fader target that goes to or leaves exactly 0 (mute, unmute, off and
 * back) starts the switch ramp from where the value is now (the end of the
 * current chunk, where the next chunk starts); any other move smooths.
 * A fader move in the middle of a ramp that a mute or unmute started is
 * settled in fader_step, which knows whether it is a ramp or lane point
 * (the ramp keeps going, to the point) or not (it smooths from where the
 * ramp had got to); in a ramp the fader started, the move wins. */
static void set_fader(struct strip_group *g, unsigned l, int by_mute)
{
	const struct strip_lane *p = &g->lane[l];
	float old = g->tgt[SM_FADER][l], t = p->mute ? 0.0f : dsp_db2lin(p->fader_db);
	unsigned b = 1u << l;
	g->tgt[SM_FADER][l] = t;
	if (t == old)
		return;
	if (t == 0.0f || old == 0.0f) {
		g->sw_from[l] = g->cur[SM_FADER][l];
		g->sw_k[l] = 0;
		g->sw_lanes |= b;
		g->sw_mute = by_mute ? g->sw_mute | b : g->sw_mute & ~b;
		g->sw_moved &= ~b;
	} else if (g->sw_lanes & g->sw_mute & b) {
		g->sw_moved |= b;
	} else {
		g->sw_lanes &= ~b;
	}
}

/* Mono: constant power, L = cos(p pi/2), R = sin(p pi/2).  Stereo:
 * balance, unity at the centre, the far side following the same sine law
 * down to 0 at the end: L lane x cos((p - 1/2) pi) for p > 1/2, R lane x
 * sin(p pi) for p < 1/2.  A lane only ever feeds its own side. */
static void set_pan(struct strip_group *g, unsigned l)
{
	const struct strip_lane *p = &g->lane[l];
	const float pi = 3.14159265f;
	float pl = 0.0f, pr = 0.0f;
	switch (p->side) {
	case 0:
		pl = cosf(p->pan * 0.5f * pi);
		pr = sinf(p->pan * 0.5f * pi);
		break;
	case 1:
		pl = p->pan <= 0.5f ? 1.0f : cosf((p->pan - 0.5f) * pi);
		break;
	case 2:
		pr = p->pan >= 0.5f ? 1.0f : sinf(p->pan * pi);
		break;
	}
	if (pl < 1e-7f) /* cos(pi/2) in float is not quite 0 */
		pl = 0.0f;
	if (pr < 1e-7f)
		pr = 0.0f;
	g->tgt[SM_PAN_L][l] = pl;
	g->tgt[SM_PAN_R][l] = pr;
}

/* The smoothed values (bits of enum strip_sm) that parameter id feeds. */
static unsigned sm_of(enum param_id id, unsigned i2)
{
	unsigned b = i2 < JMX_BANDS ? i2 : 0;
	switch (id) {
	case P_CH_TRIM:
	case P_CH_POLARITY:
		return 1u << SM_IN;
	case P_CH_HPF_ON:
		return 1u << SM_HPF_MIX;
	case P_CH_HPF_HZ:
		return 1u << SM_HPF_LHZ;
	case P_CH_GATE_ON:
		return 1u << SM_GATE_MIX;
	case P_CH_EQ_ON:
		return ((1u << JMX_BANDS) - 1) << SM_EQ_DB;
	case P_CH_EQ_TYPE:
	case P_CH_EQ_DB:
		return 1u << (SM_EQ_DB + b);
	case P_CH_EQ_HZ:
		return 1u << (SM_EQ_LHZ + b);
	case P_CH_EQ_Q:
		return 1u << (SM_EQ_LQ + b);
	case P_CH_DYN_ON:
		return (1u << SM_COMP_MIX) | (1u << SM_POST);
	case P_CH_DYN_MAKEUP:
		return 1u << SM_POST;
	case P_CH_FADER:
	case P_CH_MUTE:
		return 1u << SM_FADER;
	case P_CH_SOLO:
		return 1u << SM_SOLO;
	case P_CH_MASTER:
		return 1u << SM_MASTER;
	case P_CH_SOURCE: /* trim and polarity go neutral on playback */
		return (1u << SM_SRC) | (1u << SM_IN);
	case P_CH_PAN:
		return (1u << SM_PAN_L) | (1u << SM_PAN_R);
	case P_CH_DYN_KEY_HPF_ON:
		return 1u << SM_KEY_MIX;
	case P_CH_DYN_KEY_HPF_HZ:
		return 1u << SM_KEY_LHZ;
	default:
		return 0;
	}
}

void strip_lane_set(struct strip_group *g, unsigned l, enum param_id id, unsigned i2, float v)
{
	struct strip_lane *p = &g->lane[l];
	int on = v >= 0.5f;

	if (!isfinite(v) || l >= JMX_LANES)
		return;
	if ((param_table[id].scope == SC_CH_BAND && i2 >= JMX_BANDS) ||
	    (param_table[id].scope == SC_CH_BUS && i2 >= g->buses))
		return;
	switch (id) {
	case P_CH_TRIM:
		p->trim_db = strip_clampf(v, -40.0f, 40.0f);
		set_in(g, l);
		break;
	case P_CH_POLARITY:
		p->polarity = on;
		set_in(g, l);
		break;
	case P_CH_SOURCE:
		g->tgt[SM_SRC][l] = on;
		set_in(g, l);
		break;
	case P_CH_HPF_ON:
		g->tgt[SM_HPF_MIX][l] = on;
		break;
	case P_CH_HPF_HZ:
		g->tgt[SM_HPF_LHZ][l] = strip_lhz(v, g->rate);
		break;
	case P_CH_GATE_ON:
		g->tgt[SM_GATE_MIX][l] = on;
		break;
	case P_CH_GATE_THR:
		g->gate_thr[l] = powf(10.0f, v * 0.05f);
		break;
	case P_CH_GATE_RANGE:
		g->gate_floor[l] = powf(10.0f, -fabsf(v) * 0.05f);
		break;
	case P_CH_GATE_ATTACK:
		g->gate_att[l] = block_coef(g->rate, strip_clampf(v, 0.01f, 10000.0f));
		break;
	case P_CH_GATE_HOLD:
		/* + one block: the counter is reloaded by every block that
		 * reaches the threshold and counts down a block at a time; the
		 * gate stays open while it is positive */
		g->gate_hold[l] =
		    roundf(strip_clampf(v, 0.0f, 10000.0f) * 0.001f * (float)g->rate) + STRIP_DYN_BLOCK;
		break;
	case P_CH_GATE_RELEASE:
		g->gate_rel[l] = block_coef(g->rate, strip_clampf(v, 0.01f, 100000.0f));
		break;
	case P_CH_EQ_ON:
		p->eq_on = on;
		for (unsigned b = 0; b < JMX_BANDS; b++)
			set_eq_band(g, l, b);
		break;
	case P_CH_EQ_TYPE:
		p->eq_type_want[i2] = strip_eq_type(v);
		set_eq_band(g, l, i2);
		break;
	case P_CH_EQ_HZ:
		g->tgt[SM_EQ_LHZ + i2][l] = strip_lhz(v, g->rate);
		break;
	case P_CH_EQ_DB:
		p->eq_db[i2] = strip_eq_db(v);
		set_eq_band(g, l, i2);
		break;
	case P_CH_EQ_Q:
		g->tgt[SM_EQ_LQ + i2][l] = strip_lq(v);
		break;
	case P_CH_DYN_ON:
		p->dyn_on = on;
		g->tgt[SM_COMP_MIX][l] = on;
		set_post(g, l);
		break;
	case P_CH_DYN_THR:
		g->comp_thr[l] = v / LOG2_DB;
		break;
	case P_CH_DYN_RATIO:
		g->comp_slope[l] = 1.0f - 1.0f / (v > 1.0f ? v : 1.0f);
		break;
	case P_CH_DYN_ATTACK:
		g->comp_att[l] = block_coef(g->rate, strip_clampf(v, 0.01f, 10000.0f));
		break;
	case P_CH_DYN_RELEASE:
		g->comp_rel[l] = block_coef(g->rate, strip_clampf(v, 0.01f, 100000.0f));
		break;
	case P_CH_DYN_KNEE:
		v = strip_clampf(v, 0.0f, 48.0f) / LOG2_DB;
		g->comp_kh[l] = 0.5f * v;
		g->comp_inv2k[l] = v > 0.0f ? 0.5f / v : 0.0f;
		break;
	case P_CH_DYN_MAKEUP:
		p->makeup_db = strip_clampf(v, -40.0f, 40.0f);
		set_post(g, l);
		break;
	case P_CH_FADER:
		p->fader_db = v;
		set_fader(g, l, 0);
		break;
	case P_CH_MUTE:
		p->mute = on;
		set_fader(g, l, 1);
		break;
	case P_CH_SOLO:
		g->tgt[SM_SOLO][l] = on;
		break;
	case P_CH_MASTER:
		g->tgt[SM_MASTER][l] = on;
		break;
	case P_CH_PAN:
		p->pan = strip_clampf(v, 0.0f, 1.0f);
		set_pan(g, l);
		break;
	case P_CH_SEND_LEVEL:
		g->send_tgt[i2][l] = dsp_db2lin(v);
		g->send_active |= 1u << i2;
		break;
	case P_CH_SEND_PRE:
		g->pre_tgt[i2][l] = on;
		g->send_active |= 1u << i2;
		break;
	case P_CH_DELAY:
		strip_delay_set(g, l, v);
		break;
	case P_CH_DYN_KEY_HPF_ON:
		g->tgt[SM_KEY_MIX][l] = on;
		break;
	case P_CH_DYN_KEY_HPF_HZ:
		g->tgt[SM_KEY_LHZ][l] = strip_lhz(v, g->rate);
		break;
	case P_CH_LINK:
		/* a linked pair of mono channels (lanes 2k, 2k+1) detects
		 * like a stereo channel: the louder lane for both */
		if (p->side == 0)
			g->link[l] = on ? -1 : 0;
		break;
	default:
		break;
	}
	g->sm_active |= sm_of(id, i2);
}

void strip_lane_jump(struct strip_group *g, unsigned l, enum param_id id, unsigned i2)
{
	unsigned mask = sm_of(id, i2);
	if (l >= JMX_LANES)
		return;
	for (unsigned sm = 0; sm < SM_COUNT; sm++)
		if ((mask >> sm) & 1)
			g->jump[sm][l] = -1;
	if (id == P_CH_SEND_LEVEL && i2 < g->buses) {
		g->send_jump[i2][l] = -1;
		g->send_active |= 1u << i2;
	}
	g->sm_active |= mask;
}

void strip_lane_assign(struct strip_group *g, unsigned l, int side)
{
	g->lane[l].side = side;
	g->side_l[l] = side == 0 || side == 1;
	g->side_r[l] = side == 0 || side == 2;
	g->link[l] = side > 0 ? -1 : 0;
	set_pan(g, l);
	g->sm_active |= sm_of(P_CH_PAN, 0);
}

void strip_group_init(struct strip_group *g, double rate, unsigned buses)
{
	memset(g, 0, sizeof *g);
	g->rate = rate;
	g->buses = buses < STRIP_MAX_BUSES ? buses : STRIP_MAX_BUSES;
	g->nout = STRIP_OUT_BUS + 2 * g->buses;
	g->gate_g = vf_set1(1.0f);
	g->gate_gmin = vf_set1(1.0f);
	g->gate.e0 = g->gate.e1 = vf_set1(1.0f);
	g->comp.e0 = g->comp.e1 = vf_set1(1.0f);
	for (unsigned l = 0; l < JMX_LANES; l++) {
		for (int id = 0; id < P_COUNT; id++) {
			enum param_scope sc = param_table[id].scope;
			unsigned n2 = sc == SC_CH_BAND ? JMX_BANDS : sc == SC_CH_BUS ? g->buses : 1;
			if (sc != SC_CH && sc != SC_CH_BAND && sc != SC_CH_BUS)
				continue;
			for (unsigned i2 = 0; i2 < n2; i2++)
				strip_lane_set(g, l, (enum param_id)id, i2,
				               param_default((enum param_id)id, i2));
		}
		strip_lane_assign(g, l, -1);
	}
	g->bq_dirty = (1u << STRIP_BQ_N) - 1;
	strip_group_snap(g);
}

/* ---- per-chunk work ------------------------------------------------- */

static void design(struct strip_group *g, unsigned k, unsigned l)
{
	struct biquad_coef c;
	if (k == STRIP_BQ_HPF || k == STRIP_BQ_KEY) {
		/* Q = 1/sqrt(2): Butterworth, exactly -3.01 dB at the corner */
		unsigned sm = k == STRIP_BQ_HPF ? SM_HPF_LHZ : SM_KEY_LHZ;
		c = biquad_design(BQ_HIGHPASS, g->rate, exp(g->cur[sm][l]), 0.0, STRIP_HPF_Q);
	} else {
		unsigned b = k - STRIP_BQ_EQ;
		c = biquad_design((enum biquad_kind)g->lane[l].eq_type[b], g->rate,
		                  exp(g->cur[SM_EQ_LHZ + b][l]), g->cur[SM_EQ_DB + b][l],
		                  exp(g->cur[SM_EQ_LQ + b][l]));
	}
	struct strip_bq *q = &g->bq[k];
	q->c1[0][l] = c.b0;
	q->c1[1][l] = c.b1;
	q->c1[2][l] = c.b2;
	q->c1[3][l] = c.a1;
	q->c1[4][l] = c.a2;
}

/* Smoothed values that feed biquad k. */
static unsigned bq_params(unsigned k)
{
	if (k == STRIP_BQ_HPF || k == STRIP_BQ_KEY)
		return 1u << (k == STRIP_BQ_HPF ? SM_HPF_LHZ : SM_KEY_LHZ);
	unsigned b = k - STRIP_BQ_EQ;
	return (1u << (SM_EQ_DB + b)) | (1u << (SM_EQ_LHZ + b)) | (1u << (SM_EQ_LQ + b));
}

/* One chunk's step towards the target (all the way on jumping lanes);
 * nonzero if any lane moved. */
static int smooth(vf *cur, const vf *tgt, vi *jump, float coef)
{
	vf c = *cur, t = *tgt;
	vf n = c + (t - c) * coef;
	n = vsel(vabs(t - n) < SETTLE_EPS, t, n);
	n = vsel(*jump, t, n);
	*jump = (vi){0};
	*cur = n;
	return vany(n != c);
}

/* SM_FADER's step: smoothing (or a ramp point, at once), then one chunk
 * of the switch ramp on the lanes that follow it; nonzero if any lane
 * moved.  The last chunk lands exactly on the target: to + (from - to) x 0.
 * A ramp point ends a switch ramp the fader started (the point is the
 * path), but only moves the end of one a mute or unmute started, so a
 * fader ride never cuts a mute short; a plain fader move in the middle of
 * it ends it, and the move smooths from there. */
static int fader_step(struct strip_group *g, const struct strip_chunk *ck)
{
	vf c = g->cur[SM_FADER];
	vi jump = g->jump[SM_FADER];
	smooth(&g->cur[SM_FADER], &g->tgt[SM_FADER], &g->jump[SM_FADER], ck->coef);
	for (unsigned act = g->sw_lanes, l; act; act &= act - 1) {
		l = (unsigned)__builtin_ctz(act);
		unsigned b = 1u << l, k = g->sw_k[l] + 1u;
		float t = g->tgt[SM_FADER][l];
		int keep = jump[l] ? (g->sw_mute & b) != 0 : !(g->sw_moved & b);
		if (!keep || k >= ck->sw_n)
			g->sw_lanes &= ~b;
		if (!keep)
			continue;
		g->cur[SM_FADER][l] = k >= ck->sw_n ? t : t + (g->sw_from[l] - t) * ck->sw_left[k];
		g->sw_k[l] = (unsigned char)k;
	}
	g->sw_moved = 0;
	return vany(g->cur[SM_FADER] != c);
}

/* A band switches type once its gain rests at 0 dB, where both types are
 * the identity; then its gain moves back to the asked value. */
static void switch_types(struct strip_group *g)
{
	unsigned wait = 0;
	for (unsigned l = 0; l < JMX_LANES; l++) {
		struct strip_lane *p = &g->lane[l];
		for (unsigned b = 0; b < JMX_BANDS; b++) {
			if (p->eq_type[b] == p->eq_type_want[b])
				continue;
			if (g->cur[SM_EQ_DB + b][l] == 0.0f && g->prev[SM_EQ_DB + b][l] == 0.0f) {
				p->eq_type[b] = p->eq_type_want[b];
				set_eq_band(g, l, b);
				g->bq_dirty |= 1u << (STRIP_BQ_EQ + b);
				g->sm_active |= 1u << (SM_EQ_DB + b);
			} else {
				wait = 1;
			}
		}
	}
	g->type_wait = wait;
}

/* Composite gains of every accumulator at the end of the chunk. */
static void composites(struct strip_group *g, const struct strip_chunk *ck)
{
	vf pc = g->cur[SM_POST], f = g->cur[SM_FADER];
	vf pl = f * g->cur[SM_PAN_L], pr = f * g->cur[SM_PAN_R];
	vf afl = vf_set1(ck->afl), so = g->cur[SM_SOLO] * pc;
	memcpy(g->og0, g->og1, g->nout * sizeof(vf));
	g->met_g0 = g->met_g1;
	g->met_g1 = pc * f;
	g->og1[STRIP_OUT_MASTER] = g->cur[SM_MASTER] * pc * pl;
	g->og1[STRIP_OUT_MASTER + 1] = g->cur[SM_MASTER] * pc * pr;
	g->og1[STRIP_OUT_SOLO] = so * (g->side_l + afl * (pl - g->side_l));
	g->og1[STRIP_OUT_SOLO + 1] = so * (g->side_r + afl * (pr - g->side_r));
	for (unsigned b = 0; b < g->buses; b++) {
		vf sb = g->send_cur[b] * pc, pre = g->pre_cur[b];
		g->og1[STRIP_OUT_BUS + 2 * b] = sb * (pl + pre * (g->side_l - pl));
		g->og1[STRIP_OUT_BUS + 2 * b + 1] = sb * (pr + pre * (g->side_r - pr));
	}
	int moving = 0;
	for (unsigned o = 0; o < g->nout; o++) {
		g->out_on[o] = vany((g->og0[o] != 0.0f) | (g->og1[o] != 0.0f));
		moving |= vany(g->og0[o] != g->og1[o]);
	}
	g->gains_static = !moving;
}

void strip_chunk_begin(struct strip_group *g, const struct strip_chunk *ck)
{
	unsigned moved = 0, any = 0;

	if (g->dly)
		strip_delay_chunk(g, ck);
	/* A group where nothing moved during the last chunk keeps prev ==
	 * cur, og0 == og1 and c0 == c1: there is nothing to do. */
	if (g->idle && !g->sm_active && !g->send_active && !ck->afl_moved)
		return;

	for (unsigned k = 0; k < STRIP_BQ_N; k++)
		if (g->bq_ramp & (1u << k))
			memcpy(g->bq[k].c0, g->bq[k].c1, sizeof g->bq[k].c0);
	any = g->bq_ramp != 0;
	g->bq_ramp = 0;

	/* Only values that were given a target or moved in the last chunk
	 * take a step; one that does not move any more has prev == cur from
	 * here on and leaves the active set. */
	for (unsigned act = g->sm_active, s; act; act &= act - 1) {
		s = (unsigned)__builtin_ctz(act);
		g->prev[s] = g->cur[s];
		if (s == SM_FADER ? fader_step(g, ck) : smooth(&g->cur[s], &g->tgt[s], &g->jump[s], ck->coef))
			moved |= 1u << s;
	}
	g->sm_active = moved;
	unsigned sends = 0;
	for (unsigned act = g->send_active, b; act; act &= act - 1) {
		vi never = {0};
		int m;
		b = (unsigned)__builtin_ctz(act);
		m = smooth(&g->send_cur[b], &g->send_tgt[b], &g->send_jump[b], ck->coef);
		m |= smooth(&g->pre_cur[b], &g->pre_tgt[b], &never, ck->coef);
		sends |= (unsigned)m << b;
	}
	g->send_active = sends;
	any |= moved || sends;
	if (g->type_wait)
		switch_types(g);

	for (unsigned k = 0; k < STRIP_BQ_N; k++) {
		unsigned pm = bq_params(k);
		int all = (g->bq_dirty >> k) & 1;
		if (!all && !(moved & pm))
			continue;
		for (unsigned l = 0; l < JMX_LANES; l++) {
			int lane_moved = all;
			for (unsigned s = 0; s < SM_COUNT && !lane_moved; s++)
				if ((pm >> s) & 1)
					lane_moved = g->cur[s][l] != g->prev[s][l];
			if (lane_moved)
				design(g, k, l);
		}
		g->bq_ramp |= 1u << k;
	}
	g->bq_dirty = 0;

	g->run_hpf = vany((g->cur[SM_HPF_MIX] != 0.0f) | (g->prev[SM_HPF_MIX] != 0.0f));
	g->run_gate = vany((g->cur[SM_GATE_MIX] != 0.0f) | (g->prev[SM_GATE_MIX] != 0.0f));
	g->run_comp = vany((g->cur[SM_COMP_MIX] != 0.0f) | (g->prev[SM_COMP_MIX] != 0.0f));
	g->run_key = vany((g->cur[SM_KEY_MIX] != 0.0f) | (g->prev[SM_KEY_MIX] != 0.0f));
	g->run_eq = 0;
	for (unsigned b = 0; b < JMX_BANDS; b++)
		g->run_eq |= vany((g->cur[SM_EQ_DB + b] != 0.0f) | (g->prev[SM_EQ_DB + b] != 0.0f));

	/* the mix gains change only with these, the sends and the AFL mix */
	const unsigned gain_sm = (1u << SM_POST) | (1u << SM_FADER) | (1u << SM_PAN_L) | (1u << SM_PAN_R) |
	                         (1u << SM_SOLO) | (1u << SM_MASTER);
	if ((moved & gain_sm) || sends || ck->afl_moved || !g->gains_static)
		composites(g, ck);
	g->idle = !any && !ck->afl_moved && !g->type_wait;
}

void strip_group_snap(struct strip_group *g)
{
	for (unsigned l = 0; l < JMX_LANES; l++)
		for (unsigned b = 0; b < JMX_BANDS; b++)
			g->lane[l].eq_type[b] = g->lane[l].eq_type_want[b];
	for (unsigned l = 0; l < JMX_LANES; l++)
		for (unsigned b = 0; b < JMX_BANDS; b++)
			set_eq_band(g, l, b);
	g->type_wait = 0;
	memcpy(g->cur, g->tgt, sizeof g->cur);
	memcpy(g->prev, g->tgt, sizeof g->prev);
	memcpy(g->send_cur, g->send_tgt, sizeof g->send_cur);
	memcpy(g->pre_cur, g->pre_tgt, sizeof g->pre_cur);
	for (unsigned k = 0; k < STRIP_BQ_N; k++)
		for (unsigned l = 0; l < JMX_LANES; l++)
			design(g, k, l);
	for (unsigned k = 0; k < STRIP_BQ_N; k++)
		memcpy(g->bq[k].c0, g->bq[k].c1, sizeof g->bq[k].c0);
	g->bq_dirty = 0;
	g->bq_ramp = 0;
	g->sm_active = g->send_active = 0;
	g->sw_lanes = g->sw_mute = g->sw_moved = 0;
	g->idle = 0;
	struct strip_chunk ck = {.coef = 0.0f, .afl = 0.0f};
	composites(g, &ck);
	memcpy(g->og0, g->og1, sizeof g->og0);
	g->met_g0 = g->met_g1;
	g->gains_static = 1;
}

/* ---- the stages: one pass each over the piece ----------------------- */

/* 8 x 8 transpose: row l of r[] (eight frames of lane l) becomes
 * column l of c[] (eight lanes of one frame). */
ALWAYS_INLINE void transpose8(const vf r[8], vf c[8])
{
	vf t[8], u[8];
	UNROLL
	for (unsigned i = 0; i < 8; i += 2) {
		t[i] = vshuf(r[i], r[i + 1], UNPACK_LO);
		t[i + 1] = vshuf(r[i], r[i + 1], UNPACK_HI);
	}
	UNROLL
	for (unsigned i = 0; i < 8; i += 4) {
		u[i] = vshuf(t[i], t[i + 2], PAIRS_LO);
		u[i + 1] = vshuf(t[i], t[i + 2], PAIRS_HI);
		u[i + 2] = vshuf(t[i + 1], t[i + 3], PAIRS_LO);
		u[i + 3] = vshuf(t[i + 1], t[i + 3], PAIRS_HI);
	}
	UNROLL
	for (unsigned i = 0; i < 4; i++) {
		c[i] = vshuf(u[i], u[i + 4], HALVES_LO);
		c[i + 4] = vshuf(u[i], u[i + 4], HALVES_HI);
	}
}

/* NaN, inf and denormals to 0, magnitudes clamped to JMX_INPUT_LIMIT, in
 * place.  On the bit patterns: the order of non-negative floats is the
 * order of their bits as integers. */
ALWAYS_INLINE void sanitise(vf *p)
{
	const float lim = JMX_INPUT_LIMIT;
	int32_t lb;
	memcpy(&lb, &lim, sizeof lb);
	vi b = (vi)*p, a = b & 0x7fffffff;
	vi keep = (a < 0x7f800000) & (a >= 0x00800000);
	vi over = keep & (a > lb);
	a = (a & keep & ~over) | (over & lb);
	*p = (vf)((b & INT32_MIN) | a);
}

/* Gather the lanes' inputs into frame-major vectors (eight frames at a
 * time by an 8 x 8 transpose, the rest one by one), sanitised (already so
 * when they come from the delay lines: clean), then apply trim and
 * polarity. */
ALWAYS_INLINE void stage_input(struct strip_group *g, const struct strip_chunk *ck,
                               const float *const src[JMX_LANES], vf *x, unsigned pos, unsigned n,
                               const int clean)
{
	static const float zeros[JMX_CHUNK];
	const float *s[JMX_LANES];
	unsigned j = 0;
	for (unsigned l = 0; l < JMX_LANES; l++)
		s[l] = src[l] ? src[l] : zeros;
	vf g0 = g->prev[SM_IN], dg = g->cur[SM_IN] - g0;
	for (; j + 8 <= n; j += 8) {
		vf r[8];
		UNROLL
		for (unsigned l = 0; l < JMX_LANES; l++) {
			memcpy(&r[l], s[l] + j, sizeof r[l]);
			if (!clean)
				sanitise(&r[l]);
		}
		transpose8(r, x + j);
		UNROLL
		for (unsigned i = 0; i < 8; i++)
			x[j + i] *= g0 + ck->ramp[pos + j + i] * dg;
	}
	for (; j < n; j++) {
		vf v;
		for (unsigned l = 0; l < JMX_LANES; l++)
			v[l] = s[l][j];
		sanitise(&v);
		x[j] = v * (g0 + ck->ramp[pos + j] * dg);
	}
}

/* The playback in place of the input on lanes whose source is playback,
 * crossfaded by SM_SRC, when the delay lines rest (else strip_delay_run
 * blends it into the lines): x here is the input times the input gain
 * SM_IN, which goes to 1 on playback, so x (1 - s) + p s g is the blend
 * (live (1 - s) + p s) g of the lines' path, and s = g = 1 gives the
 * playback's sample exactly (a render of the same stems matches to the
 * bit).  Nothing to do while no lane has any share. */
ALWAYS_INLINE void stage_source(struct strip_group *g, const struct strip_chunk *ck,
                                const float *const pb[JMX_LANES], vf *x, unsigned pos, unsigned n)
{
	vf s0 = g->prev[SM_SRC], ds = g->cur[SM_SRC] - s0;
	vf g0 = g->prev[SM_IN], dg = g->cur[SM_IN] - g0;
	int any = 0;
	for (unsigned l = 0; l < JMX_LANES; l++)
		any |= s0[l] != 0.0f || g->cur[SM_SRC][l] != 0.0f;
	if (!any)
		return;
	static const float zeros[JMX_CHUNK];
	const float *p[JMX_LANES];
	for (unsigned l = 0; l < JMX_LANES; l++)
		p[l] = pb && pb[l] ? pb[l] : zeros;
	unsigned j = 0;
	for (; j + 8 <= n; j += 8) { /* as stage_input: an 8 x 8 transpose */
		vf r[8], v[8];
		UNROLL
		for (unsigned l = 0; l < JMX_LANES; l++) {
			memcpy(&r[l], p[l] + j, sizeof r[l]);
			sanitise(&r[l]);
		}
		transpose8(r, v);
		UNROLL
		for (unsigned i = 0; i < 8; i++) {
			float a = ck->ramp[pos + j + i];
			vf s = s0 + a * ds;
			x[j + i] = x[j + i] * (1.0f - s) + v[i] * (s * (g0 + a * dg));
		}
	}
	for (; j < n; j++) {
		float a = ck->ramp[pos + j];
		vf v, s = s0 + a * ds;
		for (unsigned l = 0; l < JMX_LANES; l++)
			v[l] = p[l][j];
		sanitise(&v);
		x[j] = x[j] * (1.0f - s) + v * (s * (g0 + a * dg));
	}
}

/* Coefficients at absolute frame a of a ramping chunk. */
ALWAYS_INLINE void bq_coef_at(const struct strip_bq *q, float r, vf c[5])
{
	UNROLL
	for (unsigned i = 0; i < 5; i++)
		c[i] = q->c0[i] + r * (q->c1[i] - q->c0[i]);
}

/* High-pass, direct form I, crossfaded with its input by the on/off mix. */
ALWAYS_INLINE void hpf_loop(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                            unsigned n, const int ramp)
{
	struct strip_bq *q = &g->bq[STRIP_BQ_HPF];
	vf x1 = q->s[0], x2 = q->s[1], y1 = q->s[2], y2 = q->s[3], c[5];
	vf m0 = g->prev[SM_HPF_MIX], dm = g->cur[SM_HPF_MIX] - m0;
	memcpy(c, q->c0, sizeof c);
	for (unsigned j = 0; j < n; j++) {
		float r = ck->ramp[pos + j];
		if (ramp)
			bq_coef_at(q, r, c);
		vf in = x[j];
		/* a1 * y1 last: the recurrence is one FMA long */
		vf y = c[0] * in + c[1] * x1 + c[2] * x2 - c[4] * y2 - c[3] * y1;
		x2 = x1, x1 = in, y2 = y1, y1 = y;
		x[j] = in + (m0 + r * dm) * (y - in);
	}
	q->s[0] = x1, q->s[1] = x2, q->s[2] = y1, q->s[3] = y2;
}

ALWAYS_INLINE void stage_hpf(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                             unsigned n)
{
	struct strip_bq *q = &g->bq[STRIP_BQ_HPF];
	if (!g->run_hpf) {
		/* keep the input history; a high-pass of a slowly varying
		 * signal outputs ~0, so it can fade in without a step */
		q->s[1] = n >= 2 ? x[n - 2] : q->s[0];
		q->s[0] = x[n - 1];
		q->s[2] = q->s[3] = vf_set1(0.0f);
	} else if (g->bq_ramp & (1u << STRIP_BQ_HPF)) {
		hpf_loop(g, ck, x, pos, n, 1);
	} else {
		hpf_loop(g, ck, x, pos, n, 0);
	}
}

/* Block-rate dynamics.  Per frame: track the block's peak and apply the
 * gain interpolated from e0 to e1.  At every block boundary (absolute
 * position a multiple of STRIP_DYN_BLOCK, so pieces do not matter) the
 * finished block's peak gives the gain for the end of the next block. */
#define DYN_GATE 0
#define DYN_COMP 1

/* Gate: opens (attack) when a block's peak reaches the threshold, stays
 * open for the hold time after the last such block, then closes (release)
 * towards the floor set by the range.  Opening always moves up and closing
 * down, so the coefficient follows the state without a comparison on the
 * recurrence. */
ALWAYS_INLINE void gate_block(struct strip_group *g, const vf *pk, const vf *m, vf *e1)
{
	vf a = vlink(*pk, g->link);
	vf h = vsel(a >= g->gate_thr, g->gate_hold, vmax(g->gate_h - (float)STRIP_DYN_BLOCK, vf_set1(0.0f)));
	vi open = h > 0.0f;
	vf tg = vsel(open, vf_set1(1.0f), g->gate_floor);
	vf c = vsel(open, g->gate_att, g->gate_rel);
	vf gg = tg + c * (g->gate_g - tg);
	g->gate_h = h;
	g->gate_g = gg;
	g->gate_gmin = vmin(g->gate_gmin, gg);
	*e1 = 1.0f + *m * (gg - 1.0f);
}

/* Compressor, levels in log2 units.  Static curve (comp_gr_db): with
 * u = over + k/2, a = max(u, 0) and t = min(a, k), the reduction is
 * slope x (t^2/(2k) + a - t): 0 below the knee, the quadratic inside it
 * and `over` above it; k = 0 gives the hard knee without a division.
 * The reduction is smoothed by attack (rising) and release (falling)
 * one-poles and applied through exp2. */
ALWAYS_INLINE void comp_block(struct strip_group *g, const vf *pk, const vf *m, vf *e1)
{
	vf over = vlog2(vlink(*pk, g->link)) - g->comp_thr;
	vf a = vmax(over + g->comp_kh, vf_set1(0.0f));
	vf t = vmin(a, 2.0f * g->comp_kh);
	vf gr = g->comp_slope * (t * t * g->comp_inv2k + (a - t));
	vf y = g->comp_y;
	y = gr + vsel(gr > y, g->comp_att, g->comp_rel) * (y - gr);
	g->comp_y = y;
	g->comp_ymax = vmax(g->comp_ymax, *m * y);
	*e1 = vexp2(-(*m * y));
}

/* da, db: NULL, or the detector signal (strip_key_detect) and its other
 * side; constants at every call, so each use compiles to its own loop. */
#define DET(v, i)                                                                                            \
	({                                                                                                   \
		vf det_a = da ? vabs(da[i]) : vabs(v), det_b = db ? vabs(db[i]) : det_a;                     \
		vsel(det_a > det_b, det_a, det_b);                                                           \
	})
ALWAYS_INLINE void dyn_loop(struct strip_group *g, struct strip_dyn *d, const struct strip_chunk *ck, vf *x,
                            unsigned pos, unsigned n, const vf *mix0, const vf *mix1, const int kind,
                            const vf *da, const vf *db)
{
	const unsigned B = STRIP_DYN_BLOCK;
	vf m0 = *mix0, dm = *mix1 - m0;
	vf pk = d->pk, e0 = d->e0, de = d->e1 - d->e0;
	unsigned a = pos, end = pos + n;
	vf *p = x;
	while (a < end) {
		if (a % B == 0) {
			vf m = m0 + ck->ramp[a + B - 1] * dm, e1;
			if (kind == DYN_GATE)
				gate_block(g, &pk, &m, &e1);
			else
				comp_block(g, &pk, &m, &e1);
			e0 += de;
			de = e1 - e0;
			pk = vf_set1(0.0f);
			if (a + B <= end) {
				/* a whole block: straight-line code */
				UNROLL
				for (unsigned i = 0; i < B; i++) {
					vf v = p[i];
					pk = vmax(pk, DET(v, p - x + i));
					p[i] = v * (e0 + ((float)(i + 1) / (float)B) * de);
				}
				a += B, p += B;
				continue;
			}
		}
		vf v = *p;
		pk = vmax(pk, DET(v, p - x));
		*p = v * (e0 + ((float)(a % B + 1) / (float)B) * de);
		a++, p++;
	}
	d->pk = pk;
	d->e0 = e0;
	d->e1 = e0 + de;
}

/* A detector with its key: its own signal, a key, or a key with two sides. */
#define DYN_KEYED(g, d, ck, x, pos, n, mix, kind, keys, da, db)                                              \
	do {                                                                                                 \
		if ((keys) == 0)                                                                             \
			dyn_loop(g, d, ck, x, pos, n, &g->prev[mix], &g->cur[mix], kind, NULL, NULL);        \
		else if ((keys) == 1)                                                                        \
			dyn_loop(g, d, ck, x, pos, n, &g->prev[mix], &g->cur[mix], kind, da, NULL);          \
		else                                                                                         \
			dyn_loop(g, d, ck, x, pos, n, &g->prev[mix], &g->cur[mix], kind, da, db);            \
	} while (0)

ALWAYS_INLINE void stage_gate(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                              unsigned n, const struct strip_group *grp)
{
	vf da[JMX_CHUNK], db[JMX_CHUNK];
	if (!g->run_gate) {
		g->gate_g = g->gate_gmin = g->gate.e0 = g->gate.e1 = vf_set1(1.0f);
		g->gate_h = g->gate.pk = vf_set1(0.0f);
		return;
	}
	int keys = grp ? strip_key_detect(g, grp, ck, STRIP_KEY_GATE, x, pos, n, da, db) : 0;
	DYN_KEYED(g, &g->gate, ck, x, pos, n, SM_GATE_MIX, DYN_GATE, keys, da, db);
}

ALWAYS_INLINE void stage_comp(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                              unsigned n, const struct strip_group *grp)
{
	vf da[JMX_CHUNK], db[JMX_CHUNK];
	if (!g->run_comp) {
		g->comp_y = g->comp_ymax = g->comp.pk = vf_set1(0.0f);
		g->comp.e0 = g->comp.e1 = vf_set1(1.0f);
		if (g->run_key) /* the key's high-pass keeps its state */
			strip_key_detect(g, grp, ck, STRIP_KEY_COMP, x, pos, n, da, db);
		return;
	}
	int keys = grp || g->run_key ? strip_key_detect(g, grp, ck, STRIP_KEY_COMP, x, pos, n, da, db) : 0;
	DYN_KEYED(g, &g->comp, ck, x, pos, n, SM_COMP_MIX, DYN_COMP, keys, da, db);
}

/* The four bands in series in one pass, transposed direct form II. */
ALWAYS_INLINE void eq_loop(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                           unsigned n, const int ramp)
{
	struct strip_bq *q = &g->bq[STRIP_BQ_EQ];
	vf s1[JMX_BANDS], s2[JMX_BANDS], c[JMX_BANDS][5];
	UNROLL
	for (unsigned b = 0; b < JMX_BANDS; b++) {
		s1[b] = q[b].s[0], s2[b] = q[b].s[1];
		memcpy(c[b], q[b].c0, sizeof c[b]);
	}
	for (unsigned j = 0; j < n; j++) {
		vf v = x[j];
		UNROLL
		for (unsigned b = 0; b < JMX_BANDS; b++) {
			if (ramp)
				bq_coef_at(&q[b], ck->ramp[pos + j], c[b]);
			vf y = c[b][0] * v + s1[b];
			s1[b] = c[b][1] * v + s2[b] - c[b][3] * y;
			s2[b] = c[b][2] * v - c[b][4] * y;
			v = y;
		}
		x[j] = v;
	}
	UNROLL
	for (unsigned b = 0; b < JMX_BANDS; b++)
		q[b].s[0] = s1[b], q[b].s[1] = s2[b];
}

ALWAYS_INLINE void stage_eq(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                            unsigned n)
{
	if (!g->run_eq) {
		/* every band is the identity: with zero state it stays exact */
		for (unsigned b = 0; b < JMX_BANDS; b++)
			g->bq[STRIP_BQ_EQ + b].s[0] = g->bq[STRIP_BQ_EQ + b].s[1] = vf_set1(0.0f);
	} else if (g->bq_ramp & (((1u << JMX_BANDS) - 1) << STRIP_BQ_EQ)) {
		eq_loop(g, ck, x, pos, n, 1);
	} else {
		eq_loop(g, ck, x, pos, n, 0);
	}
}

/* Peak and mean square of the piece after the compressor; the post-fader
 * gain is applied to the results (exact when it does not move). */
ALWAYS_INLINE void stage_meter(struct strip_group *g, const struct strip_chunk *ck, const vf *x, unsigned n)
{
	vf pk = vf_set1(0.0f), ss = vf_set1(0.0f);
	for (unsigned j = 0; j < n; j++) {
		pk = vmax(pk, vabs(x[j]));
		ss += x[j] * x[j];
	}
	vf gm = vmax(vabs(g->met_g0), vabs(g->met_g1));
	g->met_pk = pk * gm;
	g->met_ms += ck->rms_coef[n] * (ss * (g->met_g1 * g->met_g1) * (1.0f / (float)n) - g->met_ms);
}

ALWAYS_INLINE void scrub(vf *v)
{
	*v = vfinite(*v);
}

JMX_HOT void strip_input(struct strip_group *g, const struct strip_chunk *ck,
                         const float *const src[JMX_LANES], const float *const pb[JMX_LANES], vf *x,
                         unsigned pos, unsigned n, vf *tap, int lines)
{
	float scratch[JMX_LANES * JMX_CHUNK];
	const float *dst[JMX_LANES], *now[JMX_LANES];
	if (!g->dly || !(lines || g->dly_live)) {
		/* nothing delays: the lines rest (strip_key.c) */
		g->dly_hist = 0;
		stage_input(g, ck, src, x, pos, n, 0);
		stage_source(g, ck, pb, x, pos, n);
	} else {
		/* the playback goes into the lines: delayed like the live
		 * input, and what keys from this channel read */
		strip_delay_run(g, ck, src, pb, pos, n, dst, now, scratch);
		stage_input(g, ck, dst, x, pos, n, 1);
	}
	/* the stems' and keys' tap, what the channel plays before the delay:
	 * every stage after this one works in place */
	if (tap && g->dly && g->dly_on)
		stage_input(g, ck, now, tap, pos, n, 1);
	else if (tap)
		memcpy(tap, x, n * sizeof *x);
}

JMX_HOT void strip_run(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos, unsigned n,
                       const struct strip_group *grp)
{
	if (pos == 0) {
		g->gate_gmin = vf_set1(1.0f);
		g->comp_ymax = vf_set1(0.0f);
	}
	stage_hpf(g, ck, x, pos, n);
	stage_gate(g, ck, x, pos, n, grp);
	stage_eq(g, ck, x, pos, n);
	stage_comp(g, ck, x, pos, n, grp);
	stage_meter(g, ck, x, n);

	/* A NaN cannot get in, but state must never keep one if it did. */
	for (unsigned k = 0; k < STRIP_BQ_N; k++)
		for (unsigned i = 0; i < 4; i++)
			scrub(&g->bq[k].s[i]);
	scrub(&g->gate_h), scrub(&g->comp_y), scrub(&g->met_ms);
	scrub(&g->gate.pk), scrub(&g->comp.pk);
	g->gate_g = vsel((vi)vfinite(g->gate_g) == (vi)g->gate_g, g->gate_g, vf_set1(1.0f));
	scrub(&g->keyb_s[0]), scrub(&g->keyb_s[1]), scrub(&g->keyb_s[2]), scrub(&g->keyb_s[3]);
}

void strip_process(struct strip_group *g, const struct strip_chunk *ck, const float *const src[JMX_LANES],
                   const float *const pb[JMX_LANES], vf *x, unsigned pos, unsigned n, vf *tap)
{
	strip_input(g, ck, src, pb, x, pos, n, tap, 0);
	strip_run(g, ck, x, pos, n, NULL);
}

/* Horizontal sums of eight frames at once, a transposing add tree:
 * out[i] = sum of the lanes of a[i]. */
ALWAYS_INLINE void hsum8(const vf a[8], float *out)
{
	vf t[4], u[2], v;
	UNROLL
	for (unsigned i = 0; i < 4; i++)
		t[i] = vshuf(a[2 * i], a[2 * i + 1], UNPACK_LO) + vshuf(a[2 * i], a[2 * i + 1], UNPACK_HI);
	UNROLL
	for (unsigned i = 0; i < 2; i++)
		u[i] = vshuf(t[2 * i], t[2 * i + 1], PAIRS_LO) + vshuf(t[2 * i], t[2 * i + 1], PAIRS_HI);
	v = vshuf(u[0], u[1], HALVES_LO) + vshuf(u[0], u[1], HALVES_HI);
	memcpy(out, &v, sizeof v);
}

void strip_mix_plan(const struct strip_group *grp, unsigned ngroups, unsigned nout,
                    struct strip_mix_list *lists)
{
	for (unsigned o = 0; o < nout; o++) {
		struct strip_mix_list *ml = &lists[o];
		unsigned k = 0;
		for (unsigned gi = 0; gi < ngroups; gi++)
			if (grp[gi].out_on[o] && grp[gi].gains_static)
				ml->idx[k++] = (uint16_t)gi;
		ml->n_static = (uint16_t)k;
		for (unsigned gi = 0; gi < ngroups; gi++)
			if (grp[gi].out_on[o] && !grp[gi].gains_static)
				ml->idx[k++] = (uint16_t)gi;
		ml->n_ramp = (uint16_t)(k - ml->n_static);
	}
}

/* Eight frames of one accumulator: the listed groups' lanes times their
 * composite gains, summed in registers.  Static gains and moving ones in
 * loops of their own: the common case is one FMA with a memory operand a
 * frame. */
ALWAYS_INLINE void mix8(const struct strip_group *grp, const vf *xall, const struct strip_chunk *ck,
                        const struct strip_mix_list *ml, unsigned o, float *out, unsigned pos, unsigned j)
{
	vf acc[8];
	const float *r = ck->ramp + pos + j;
	UNROLL
	for (unsigned i = 0; i < 8; i++)
		acc[i] = vf_set1(0.0f);
	for (unsigned k = 0; k < ml->n_static; k++) {
		unsigned gi = ml->idx[k];
		const vf *x = xall + (size_t)gi * JMX_CHUNK + j;
		vf g0 = grp[gi].og0[o];
		UNROLL
		for (unsigned i = 0; i < 8; i++)
			acc[i] += x[i] * g0;
	}
	for (unsigned k = ml->n_static; k < ml->n_static + ml->n_ramp; k++) {
		unsigned gi = ml->idx[k];
		const vf *x = xall + (size_t)gi * JMX_CHUNK + j;
		vf g0 = grp[gi].og0[o], dg = grp[gi].og1[o] - g0;
		UNROLL
		for (unsigned i = 0; i < 8; i++)
			acc[i] += x[i] * (g0 + r[i] * dg);
	}
	hsum8(acc, out + j);
}

JMX_HOT void strip_mix(const struct strip_group *grp, const vf *xall, const struct strip_chunk *ck,
                       const struct strip_mix_list *ml, unsigned o, float *out, unsigned pos, unsigned n)
{
	unsigned j = 0;
	for (; j + 8 <= n; j += 8)
		mix8(grp, xall, ck, ml, o, out, pos, j);
	for (; j < n; j++) {
		vf acc = vf_set1(0.0f);
		for (unsigned k = 0; k < ml->n_static + ml->n_ramp; k++) {
			const struct strip_group *g = &grp[ml->idx[k]];
			acc += xall[(size_t)ml->idx[k] * JMX_CHUNK + j] *
			       (g->og0[o] + ck->ramp[pos + j] * (g->og1[o] - g->og0[o]));
		}
		out[j] = vf_hsum(&acc);
	}
}

void strip_meter_read(const struct strip_group *g, unsigned l, struct strip_meter *out)
{
	float gmin = g->gate_gmin[l];
	out->peak = g->met_pk[l];
	out->ms = g->met_ms[l];
	out->gate_inv = gmin > 1e-9f ? 1.0f / gmin : 1e9f;
	out->comp_db = g->comp_ymax[l] * LOG2_DB;
}
