/*
 * strip.c - channel strip DSP for groups of JMX_LANES lanes in lock-step:
 * input sanitising and trim/polarity, 12 dB/oct high-pass, gate, 4-band
 * EQ, compressor and meter per group (strip_process), then the mix of all
 * groups into the master, solo and aux bus sums (strip_mix).  On request
 * strip_process copies the lanes right after trim/polarity to a tap (the
 * recorder's stems).
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
 *   Stereo channels use the louder lane for both.  The compressor computes
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

#define LOG2_DB    6.02059991f /* dB per log2 unit */
#define SETTLE_EPS 1e-5f       /* a smoothed value this close snaps to target */

#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* Small fixed loops over lanes, bands and frames in the hot code must be
 * unrolled so that their vectors live in registers; -O2 alone does not. */
#define UNROLL _Pragma("GCC unroll 8")

/* Vector helpers.  They are macros (GNU statement expressions, pure
 * arguments only) rather than inline functions because a function taking
 * a 32-byte vector by value makes GCC print an ABI note for the SSE2
 * build even when it is always inlined. */
/* Two-vector shuffles with constant lane indices (0-7 first operand,
 * 8-15 second): GCC's and clang's builtins spelled alike. */
#ifdef __clang__
#define vshuf(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
#define vshuf(a, b, ...) __builtin_shuffle((a), (b), (vi){__VA_ARGS__})
#endif
/* The masks of an 8 x 8 transpose in three rounds (AVX: unpcklps/unpckhps,
 * shufps, vperm2f128). */
#define UNPACK_LO 0, 8, 1, 9, 4, 12, 5, 13
#define UNPACK_HI 2, 10, 3, 11, 6, 14, 7, 15
#define PAIRS_LO  0, 1, 8, 9, 4, 5, 12, 13
#define PAIRS_HI  2, 3, 10, 11, 6, 7, 14, 15
#define HALVES_LO 0, 1, 2, 3, 8, 9, 10, 11
#define HALVES_HI 4, 5, 6, 7, 12, 13, 14, 15

#define vsel(m, a, b) ((vf)(((m) & (vi)(a)) | (~(m) & (vi)(b))))
#define vabs(a)       ((vf)((vi)(a)&0x7fffffff))
/* Compare and select (GCC makes a compare and a blend).  GNU C has no
 * vector min/max operator, and element-wise loops are not reliably
 * vectorised back into maxps. */
#define vmax(a, b)                                                                                           \
	({                                                                                                   \
		vf vmax_a = (a), vmax_b = (b);                                                               \
		vsel(vmax_a > vmax_b, vmax_a, vmax_b);                                                       \
	})
#define vmin(a, b)                                                                                           \
	({                                                                                                   \
		vf vmin_a = (a), vmin_b = (b);                                                               \
		vsel(vmin_a < vmin_b, vmin_a, vmin_b);                                                       \
	})

/* 0 where the float is NaN or infinite. */
#define vfinite(a)                                                                                           \
	({                                                                                                   \
		vi vfin_b = (vi)(a);                                                                         \
		(vf)(vfin_b & ((vfin_b & 0x7f800000) != 0x7f800000));                                        \
	})

/* log2(a) for a >= 0 (0 gives about -127): exponent plus a degree-4
 * minimax polynomial of the mantissa, max error 9e-5 (5e-4 dB). */
#define vlog2(a)                                                                                             \
	({                                                                                                   \
		vi vlog_b = (vi)(a);                                                                         \
		vf vlog_e = __builtin_convertvector(((vlog_b >> 23) & 0xff) - 127, vf);                      \
		vf vlog_t = (vf)((vlog_b & 0x007fffff) | 0x3f800000) - 1.0f;                                 \
		vf vlog_p = -0.0816149192f * vlog_t + 0.318677381f;                                          \
		vlog_p = vlog_p * vlog_t - 0.674941825f;                                                     \
		vlog_p = vlog_p * vlog_t + 1.43770418f;                                                      \
		vlog_p = vlog_p * vlog_t + 8.75979080e-05f;                                                  \
		vlog_e + vlog_p;                                                                             \
	})

/* 2^x for x in [-126, 126]: integer part into the exponent, fraction by
 * a degree-4 polynomial with p(0) = 1 exactly (unity gain stays exact),
 * max relative error 2.9e-6 (2.5e-5 dB). */
#define vexp2(x)                                                                                             \
	({                                                                                                   \
		vf vexp_x = vmin(vmax((x), vf_set1(-126.0f)), vf_set1(126.0f));                              \
		vi vexp_i = __builtin_convertvector(vexp_x, vi);                                             \
		vexp_i += (vi)(__builtin_convertvector(vexp_i, vf) > vexp_x); /* floor */                    \
		vf vexp_f = vexp_x - __builtin_convertvector(vexp_i, vf);                                    \
		vf vexp_p = 0.0134266863f * vexp_f + 0.0522424698f;                                          \
		vexp_p = vexp_p * vexp_f + 0.241280208f;                                                     \
		vexp_p = vexp_p * vexp_f + 0.693044844f;                                                     \
		vexp_p = vexp_p * vexp_f + 1.0f;                                                             \
		(vf)((vi)vexp_p + (vexp_i << 23));                                                           \
	})

/* Louder of the two lanes of a stereo pair, on stereo lanes only. */
#define vlink(a, link)                                                                                       \
	({                                                                                                   \
		vf vlink_a = (a);                                                                            \
		vf vlink_s = vshuf(vlink_a, vlink_a, 1, 0, 3, 2, 5, 4, 7, 6);                                \
		vmax(vlink_a, (vf)((vi)vlink_s & (link)));                                                   \
	})

/* Nonzero if any lane of the comparison result m is true. */
#define vany(m)                                                                                              \
	({                                                                                                   \
		vi vany_m = (m);                                                                             \
		uint64_t vany_w[sizeof(vi) / 8];                                                             \
		memcpy(vany_w, &vany_m, sizeof vany_w);                                                      \
		uint64_t vany_r = 0;                                                                         \
		for (unsigned i_ = 0; i_ < sizeof(vi) / 8; i_++)                                             \
			vany_r |= vany_w[i_];                                                                \
		vany_r != 0;                                                                                 \
	})

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
	g->tgt[SM_IN][l] = p->polarity ? -lin : lin;
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
	case P_CH_SOURCE:
		return 1u << SM_SRC;
	case P_CH_PAN:
		return (1u << SM_PAN_L) | (1u << SM_PAN_R);
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
	if (k == STRIP_BQ_HPF) {
		/* Q = 1/sqrt(2): Butterworth, exactly -3.01 dB at the corner */
		c = biquad_design(BQ_HIGHPASS, g->rate, exp(g->cur[SM_HPF_LHZ][l]), 0.0, STRIP_HPF_Q);
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
	if (k == STRIP_BQ_HPF)
		return 1u << SM_HPF_LHZ;
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
	g->og1[STRIP_OUT_MASTER] = pc * pl;
	g->og1[STRIP_OUT_MASTER + 1] = pc * pr;
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
	g->run_eq = 0;
	for (unsigned b = 0; b < JMX_BANDS; b++)
		g->run_eq |= vany((g->cur[SM_EQ_DB + b] != 0.0f) | (g->prev[SM_EQ_DB + b] != 0.0f));

	/* the mix gains change only with these, the sends and the AFL mix */
	const unsigned gain_sm =
	    (1u << SM_POST) | (1u << SM_FADER) | (1u << SM_PAN_L) | (1u << SM_PAN_R) | (1u << SM_SOLO);
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
 * time by an 8 x 8 transpose, the rest one by one), sanitised, then apply
 * trim and polarity. */
ALWAYS_INLINE void stage_input(struct strip_group *g, const struct strip_chunk *ck,
                               const float *const src[JMX_LANES], vf *x, unsigned pos, unsigned n)
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

/* The playback in place of the input (after trim and polarity) on lanes
 * whose source is playback, crossfaded by SM_SRC: x (1 - s) + p s, so
 * s = 1 gives the playback's sample exactly (a render of the same stems
 * matches to the bit).  Nothing to do while no lane has any share. */
ALWAYS_INLINE void stage_source(struct strip_group *g, const struct strip_chunk *ck,
                                const float *const pb[JMX_LANES], vf *x, unsigned pos, unsigned n)
{
	vf s0 = g->prev[SM_SRC], ds = g->cur[SM_SRC] - s0;
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
			vf s = s0 + ck->ramp[pos + j + i] * ds;
			x[j + i] = x[j + i] * (1.0f - s) + v[i] * s;
		}
	}
	for (; j < n; j++) {
		vf v, s = s0 + ck->ramp[pos + j] * ds;
		for (unsigned l = 0; l < JMX_LANES; l++)
			v[l] = p[l][j];
		sanitise(&v);
		x[j] = x[j] * (1.0f - s) + v * s;
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

ALWAYS_INLINE void dyn_loop(struct strip_group *g, struct strip_dyn *d, const struct strip_chunk *ck, vf *x,
                            unsigned pos, unsigned n, const vf *mix0, const vf *mix1, const int kind)
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
					pk = vmax(pk, vabs(v));
					p[i] = v * (e0 + ((float)(i + 1) / (float)B) * de);
				}
				a += B, p += B;
				continue;
			}
		}
		vf v = *p;
		pk = vmax(pk, vabs(v));
		*p = v * (e0 + ((float)(a % B + 1) / (float)B) * de);
		a++, p++;
	}
	d->pk = pk;
	d->e0 = e0;
	d->e1 = e0 + de;
}

ALWAYS_INLINE void stage_gate(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                              unsigned n)
{
	if (!g->run_gate) {
		g->gate_g = g->gate_gmin = g->gate.e0 = g->gate.e1 = vf_set1(1.0f);
		g->gate_h = g->gate.pk = vf_set1(0.0f);
		return;
	}
	dyn_loop(g, &g->gate, ck, x, pos, n, &g->prev[SM_GATE_MIX], &g->cur[SM_GATE_MIX], DYN_GATE);
}

ALWAYS_INLINE void stage_comp(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos,
                              unsigned n)
{
	if (!g->run_comp) {
		g->comp_y = g->comp_ymax = g->comp.pk = vf_set1(0.0f);
		g->comp.e0 = g->comp.e1 = vf_set1(1.0f);
		return;
	}
	dyn_loop(g, &g->comp, ck, x, pos, n, &g->prev[SM_COMP_MIX], &g->cur[SM_COMP_MIX], DYN_COMP);
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

JMX_HOT void strip_process(struct strip_group *g, const struct strip_chunk *ck,
                           const float *const src[JMX_LANES], const float *const pb[JMX_LANES], vf *x,
                           unsigned pos, unsigned n, vf *tap)
{
	if (pos == 0) {
		g->gate_gmin = vf_set1(1.0f);
		g->comp_ymax = vf_set1(0.0f);
	}
	stage_input(g, ck, src, x, pos, n);
	stage_source(g, ck, pb, x, pos, n);
	/* the stems' tap: every stage after this one works in place */
	if (tap)
		memcpy(tap, x, n * sizeof *x);
	stage_hpf(g, ck, x, pos, n);
	stage_gate(g, ck, x, pos, n);
	stage_eq(g, ck, x, pos, n);
	stage_comp(g, ck, x, pos, n);
	stage_meter(g, ck, x, n);

	/* A NaN cannot get in, but state must never keep one if it did. */
	for (unsigned k = 0; k < STRIP_BQ_N; k++)
		for (unsigned i = 0; i < 4; i++)
			scrub(&g->bq[k].s[i]);
	scrub(&g->gate_h), scrub(&g->comp_y), scrub(&g->met_ms);
	scrub(&g->gate.pk), scrub(&g->comp.pk);
	g->gate_g = vsel((vi)vfinite(g->gate_g) == (vi)g->gate_g, g->gate_g, vf_set1(1.0f));
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
