/*
 * bus.c - the aux buses' processing (see bus.h): effect, EQ, compressor,
 * fader and mute, output delay, master feed with balance, solo (AFL).
 *
 * Threads: bus_rack_new, bus_rack_free and bus_rack_snap on the control
 * thread while RT is not running (inside mixer_new / mixer_free), and
 * bus_rack_set and bus_rack_solos there too for the defaults; the rest on
 * the RT thread only.  Nothing here allocates, locks or does I/O after
 * bus_rack_new.
 *
 * Invariants:
 * - EQ and compressor are the channel strips' own code (strip.c): the
 *   buses are stereo-linked lane pairs of strip groups, bus a on lanes
 *   2(a mod 4) and 2(a mod 4) + 1 of group a / 4, so a bus's EQ and
 *   compressor are exactly a stereo channel's, smoothing and all.  Their
 *   trim, high-pass, gate, fader and pan stay at the defaults (identity);
 *   the strip's make-up gain (its composite meter gain) is applied here.
 * - The effect is 100 % wet (the bus is its return).  "off" passes the
 *   sum: a dry gain of 1 that takes the switch ramp to 0 when a type is
 *   chosen, while the effect crossfades that type in (fx_set_type), and
 *   back.  An effect set to off keeps running for BUS_FX_TAIL_S so that
 *   its own crossfade out completes, then is skipped (it returns silence).
 * - Fader x mute is one smoothed gain with the switch ramp (sm.h), as the
 *   buses always had; muting the bus cuts the effect's tail, muting a
 *   channel or its send only stops the effect's input (trails).
 * - Output delay: a power-of-two stereo ring per bus sized in bus_rack_new
 *   for 500 ms at max_rate; the delay is lround(ms * rate / 1000) frames,
 *   exact.  A change crossfades from the old tap to the new one along the
 *   switch ramp (raised cosine, JMX_SWITCH_MS, whole chunks); a target
 *   that moves during a crossfade is taken when it ends.  The ring always
 *   records, so a new delay has its history.  Samples entering it are
 *   finite: the strip code sanitises its input (NaN/inf from the effect)
 *   and scrubs its state.
 * - Master feed: bus output x balance (the stereo channels' law) x routed,
 *   two smoothed gains, so routing and balance move without a click; the
 *   master gets the bus after its output delay, as its outputs do.
 */
#include "bus.h"
#include "role.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "fx.h"
#include "sm.h"

#define BUS_DELAY_MAX_MS 500.0
#define BUS_FX_TAIL_S    1.0 /* an effect set to off still runs this long */

_Static_assert(P_BUS_FX_DEPTH - P_BUS_FX_DECAY == FXP_DEPTH_MS - FXP_DECAY_S &&
                   P_BUS_FX_TIME - P_BUS_FX_DECAY == FXP_TIME_MS &&
                   P_BUS_FX_DIVISION - P_BUS_FX_DECAY == FXP_DIVISION && FXP_COUNT == 13,
               "the /bus/<a>/fx/... rows follow enum fx_param");

struct bus_one {
	struct fx *fx;
	int type;
	unsigned fx_left; /* frames an effect set to off still runs */
	struct smoothed dry;
	struct smoothed gain; /* fader x mute */
	float db;
	unsigned char mute, master, solo;
	float pan;
	struct smoothed mgl, mgr; /* master feed L, R */
	struct smoothed so;       /* solo */
	float *dl;                /* delay ring, L R interleaved */
	unsigned w;
	unsigned d, d_old, d_tgt; /* frames: current tap, the one fading out, the wanted one */
	unsigned fade_k;          /* crossfade chunk 1..sw_n, 0: none */
	float fw0, fw1;           /* weight of the new tap at chunk start / end */
	float gr;
};

struct bus_rack {
	unsigned n, ngroups;
	double rate;
	unsigned dl_mask;
	float bpm;
	struct strip_group *grp;
	vf *x;                      /* every group's lane signals, JMX_CHUNK vectors each */
	float (*sum)[2][JMX_CHUNK]; /* per bus: the sends' sum, then the effect's output */
	float *fxl, *fxr;           /* the effect's output for one piece */
	struct bus_one *bus;
};

void bus_rack_free(struct bus_rack *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!r)
		return;
	for (unsigned a = 0; r->bus && a < r->n; a++) {
		if (r->bus[a].fx)
			fx_free(r->bus[a].fx);
		free(r->bus[a].dl);
	}
	free(r->bus);
	free(r->grp);
	free(r->x);
	free(r->sum);
	free(r->fxl);
	free(r->fxr);
	free(r);
}

struct bus_rack *bus_rack_new(unsigned buses, double rate, double max_rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct bus_rack *r = dsp_alloc_rt(sizeof *r);
	if (!r)
		return NULL;
	if (max_rate < rate)
		max_rate = rate;
	r->n = buses;
	r->rate = rate;
	r->ngroups = (2 * buses + JMX_LANES - 1) / JMX_LANES;
	r->grp = dsp_alloc_rt(r->ngroups * sizeof *r->grp);
	r->x = dsp_alloc_rt((size_t)r->ngroups * JMX_CHUNK * sizeof(vf));
	r->sum = dsp_alloc_rt(buses * sizeof *r->sum);
	r->fxl = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	r->fxr = dsp_alloc_rt(JMX_CHUNK * sizeof(float));
	r->bus = dsp_alloc_rt(buses * sizeof *r->bus);
	if (!r->grp || !r->x || !r->sum || !r->fxl || !r->fxr || !r->bus)
		goto fail;
	unsigned len = 1;
	while (len < (unsigned)ceil(BUS_DELAY_MAX_MS * 0.001 * max_rate) + JMX_CHUNK + 1)
		len <<= 1;
	r->dl_mask = len - 1;
	for (unsigned a = 0; a < buses; a++) {
		r->bus[a].fx = fx_new(rate, max_rate);
		r->bus[a].dl = dsp_alloc_rt((size_t)len * 2 * sizeof(float));
		if (!r->bus[a].fx || !r->bus[a].dl)
			goto fail;
		r->bus[a].dry.tgt = 1.0f;
		r->bus[a].gain.tgt = 1.0f;
	}
	for (unsigned g = 0; g < r->ngroups; g++) {
		strip_group_init(&r->grp[g], rate, 0);
		for (unsigned l = 0; l < JMX_LANES && 8 * g + l < 2 * buses; l++)
			strip_lane_assign(&r->grp[g], l, (int)(l & 1) + 1);
	}
	return r;
fail:
	bus_rack_free(r);
	return NULL;
}

void bus_rack_snap(struct bus_rack *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned g = 0; g < r->ngroups; g++)
		strip_group_snap(&r->grp[g]);
	for (unsigned a = 0; a < r->n; a++) {
		struct bus_one *b = &r->bus[a];
		sm_snap(&b->dry);
		sm_snap(&b->gain);
		sm_snap(&b->mgl);
		sm_snap(&b->mgr);
		sm_snap(&b->so);
		/* the effect starts at the table's values, not gliding there
		 * from fx.c's placeholders the first time it runs */
		for (unsigned p = 0; p < FXP_COUNT; p++)
			fx_jump(b->fx, (enum fx_param)p);
		b->d = b->d_old = b->d_tgt;
		b->fade_k = 0;
		b->fw0 = b->fw1 = 1.0f;
	}
}

/* ---- parameters ------------------------------------------------------ */

/* The strip parameter a bus EQ or compressor parameter drives. */
static int bus_strip_id(enum param_id id)
{
	switch (id) {
	case P_BUS_EQ_ON:
		return P_CH_EQ_ON;
	case P_BUS_EQ_TYPE:
		return P_CH_EQ_TYPE;
	case P_BUS_EQ_HZ:
		return P_CH_EQ_HZ;
	case P_BUS_EQ_DB:
		return P_CH_EQ_DB;
	case P_BUS_EQ_Q:
		return P_CH_EQ_Q;
	case P_BUS_DYN_ON:
		return P_CH_DYN_ON;
	case P_BUS_DYN_THR:
		return P_CH_DYN_THR;
	case P_BUS_DYN_RATIO:
		return P_CH_DYN_RATIO;
	case P_BUS_DYN_ATTACK:
		return P_CH_DYN_ATTACK;
	case P_BUS_DYN_RELEASE:
		return P_CH_DYN_RELEASE;
	case P_BUS_DYN_KNEE:
		return P_CH_DYN_KNEE;
	case P_BUS_DYN_MAKEUP:
		return P_CH_DYN_MAKEUP;
	default:
		return -1;
	}
}

/* Master feed targets: routed x the stereo balance law (strip.c set_pan). */
static void bus_master_gains(struct bus_one *b, int jump)
{
	const float pi = 3.14159265f;
	float p = b->pan, gl = p <= 0.5f ? 1.0f : cosf((p - 0.5f) * pi), gr = p >= 0.5f ? 1.0f : sinf(p * pi);
	if (gl < 1e-7f)
		gl = 0.0f;
	if (gr < 1e-7f)
		gr = 0.0f;
	sm_gain(&b->mgl, b->master ? gl : 0.0f, 1);
	sm_gain(&b->mgr, b->master ? gr : 0.0f, 1);
	b->mgl.jump = b->mgr.jump = jump;
}

void bus_rack_set(struct bus_rack *r, enum param_id id, unsigned a, unsigned band, float v, int jump)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults, before RT runs */
	if (a >= r->n || !isfinite(v))
		return;
	struct bus_one *b = &r->bus[a];
	int sid = bus_strip_id(id);
	if (sid >= 0) {
		struct strip_group *g = &r->grp[a / 4];
		for (unsigned k = 0; k < 2; k++) {
			strip_lane_set(g, 2 * (a % 4) + k, (enum param_id)sid, band, v);
			if (jump)
				strip_lane_jump(g, 2 * (a % 4) + k, (enum param_id)sid, band);
		}
		return;
	}
	if (id >= P_BUS_FX_DECAY && id <= P_BUS_FX_DEPTH) {
		fx_set(b->fx, (enum fx_param)(id - P_BUS_FX_DECAY), v);
		if (jump)
			fx_jump(b->fx, (enum fx_param)(id - P_BUS_FX_DECAY));
		return;
	}
	switch (id) {
	case P_BUS_FADER:
	case P_BUS_MUTE:
		if (id == P_BUS_FADER)
			b->db = v;
		else
			b->mute = v >= 0.5f;
		sm_gain(&b->gain, b->mute ? 0.0f : dsp_db2lin(b->db), id == P_BUS_MUTE);
		b->gain.jump = jump;
		break;
	case P_BUS_MASTER:
		b->master = v >= 0.5f;
		bus_master_gains(b, 0);
		break;
	case P_BUS_PAN:
		b->pan = strip_clampf(v, 0.0f, 1.0f);
		bus_master_gains(b, jump);
		break;
	case P_BUS_SOLO:
		b->solo = v >= 0.5f;
		sm_gain(&b->so, b->solo, 1);
		break;
	case P_BUS_DELAY: {
		double f = (double)strip_clampf(v, 0.0f, (float)BUS_DELAY_MAX_MS) * 0.001 * r->rate;
		b->d_tgt = (unsigned)lround(f);
		break;
	}
	case P_BUS_FX: {
		int t = (int)strip_clampf(roundf(v), 0.0f, 3.0f);
		if (t == b->type)
			break;
		if (t == FX_OFF)
			b->fx_left = (unsigned)(BUS_FX_TAIL_S * r->rate);
		b->type = t;
		fx_set_type(b->fx, (enum fx_type)t);
		sm_gain(&b->dry, t == FX_OFF ? 1.0f : 0.0f, 1);
		break;
	}
	default:
		break;
	}
}

void bus_rack_tempo(struct bus_rack *r, float bpm)
{
	ASSERT_ROLE(ROLE_RT);
	if (!(bpm > 0.0f && bpm < 1000.0f))
		bpm = 0.0f;
	if (bpm == r->bpm)
		return;
	r->bpm = bpm;
	for (unsigned a = 0; a < r->n; a++)
		fx_set_tempo(r->bus[a].fx, bpm);
}

unsigned bus_rack_solos(const struct bus_rack *r)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* as bus_rack_set */
	unsigned n = 0;
	for (unsigned a = 0; a < r->n; a++)
		n += r->bus[a].solo;
	return n;
}

float *bus_rack_sum(struct bus_rack *r, unsigned a, unsigned side)
{
	ASSERT_ROLE(ROLE_RT);
	return r->sum[a][side & 1];
}

float bus_rack_gr(const struct bus_rack *r, unsigned a)
{
	ASSERT_ROLE(ROLE_RT);
	return a < r->n ? r->bus[a].gr : 0.0f;
}

/* ---- rendering ------------------------------------------------------- */

void bus_rack_chunk_begin(struct bus_rack *r, const struct strip_chunk *ck)
{
	ASSERT_ROLE(ROLE_RT);
	for (unsigned g = 0; g < r->ngroups; g++)
		strip_chunk_begin(&r->grp[g], ck);
	for (unsigned a = 0; a < r->n; a++) {
		struct bus_one *b = &r->bus[a];
		sm_step(&b->dry, ck);
		sm_step(&b->gain, ck);
		sm_step(&b->mgl, ck);
		sm_step(&b->mgr, ck);
		sm_step(&b->so, ck);
		/* output delay: the crossfade in progress takes its next chunk;
		 * a new target starts one when none runs */
		if (b->fade_k && b->fade_k >= ck->sw_n)
			b->fade_k = 0;
		else if (b->fade_k)
			b->fade_k++;
		if (!b->fade_k && b->d_tgt != b->d) {
			b->d_old = b->d;
			b->d = b->d_tgt;
			b->fade_k = 1;
		}
		if (b->fade_k) {
			b->fw0 = 1.0f - ck->sw_left[b->fade_k - 1];
			b->fw1 = 1.0f - ck->sw_left[b->fade_k];
		} else {
			b->fw0 = b->fw1 = 1.0f;
			b->d_old = b->d;
		}
	}
}

void bus_rack_process(struct bus_rack *r, const struct strip_chunk *ck, unsigned pos, unsigned n,
                      float *const *out, float *ml, float *mr, float *sl, float *sr)
{
	ASSERT_ROLE(ROLE_RT);
	const float *ramp = ck->ramp + pos;

	/* the effects, 100 % wet, beside the dry sum of an "off" bus */
	for (unsigned a = 0; a < r->n; a++) {
		struct bus_one *b = &r->bus[a];
		float *il = r->sum[a][0], *ir = r->sum[a][1];
		if (b->type == FX_OFF && !b->fx_left && b->dry.cur == 1.0f && b->dry.prev == 1.0f)
			continue;
		fx_process(b->fx, il, ir, r->fxl, r->fxr, n);
		b->fx_left = b->fx_left > n ? b->fx_left - n : 0;
		for (unsigned j = 0; j < n; j++) {
			float d = sm_at(&b->dry, ramp[j]);
			il[j] = d * il[j] + r->fxl[j];
			ir[j] = d * ir[j] + r->fxr[j];
		}
	}

	/* EQ and compressor: the strips' code, four buses a group */
	for (unsigned gi = 0; gi < r->ngroups; gi++) {
		const float *src[JMX_LANES] = {0};
		for (unsigned l = 0; l < JMX_LANES && 4 * gi + l / 2 < r->n; l++)
			src[l] = r->sum[4 * gi + l / 2][l & 1];
		strip_process(&r->grp[gi], ck, src, NULL, r->x + (size_t)gi * JMX_CHUNK, pos, n, NULL);
	}

	/* fader and mute (x the compressor's make-up), output delay, feeds */
	for (unsigned a = 0; a < r->n; a++) {
		struct bus_one *b = &r->bus[a];
		const struct strip_group *g = &r->grp[a / 4];
		const unsigned lane = 2 * (a % 4), mask = r->dl_mask;
		const vf *x = r->x + (size_t)(a / 4) * JMX_CHUNK;
		const float p0 = g->met_g0[lane], p1 = g->met_g1[lane];
		float *ol = out[2 * a], *orr = out[2 * a + 1], *dl = b->dl;
		unsigned w = b->w;
		struct strip_meter sm;
		const int fading = b->d_old != b->d;
		for (unsigned j = 0; j < n; j++, w++) {
			float gn = sm_at(&b->gain, ramp[j]) * (p0 + ramp[j] * (p1 - p0));
			float *wp = &dl[2 * (w & mask)];
			wp[0] = x[j][lane] * gn;
			wp[1] = x[j][lane + 1] * gn;
			const float *rn = &dl[2 * ((w - b->d) & mask)];
			if (!fading) {
				ol[j] = rn[0];
				orr[j] = rn[1];
				continue;
			}
			const float *ro = &dl[2 * ((w - b->d_old) & mask)];
			float fw = b->fw0 + ramp[j] * (b->fw1 - b->fw0);
			ol[j] = ro[0] + fw * (rn[0] - ro[0]);
			orr[j] = ro[1] + fw * (rn[1] - ro[1]);
		}
		/* the feeds, only where they are or were on in this chunk */
		if (b->mgl.cur != 0.0f || b->mgl.prev != 0.0f || b->mgr.cur != 0.0f || b->mgr.prev != 0.0f)
			for (unsigned j = 0; j < n; j++) {
				ml[j] += sm_at(&b->mgl, ramp[j]) * ol[j];
				mr[j] += sm_at(&b->mgr, ramp[j]) * orr[j];
			}
		if (b->so.cur != 0.0f || b->so.prev != 0.0f)
			for (unsigned j = 0; j < n; j++) {
				float so = sm_at(&b->so, ramp[j]);
				sl[j] += so * ol[j];
				sr[j] += so * orr[j];
			}
		b->w = w & mask;
		strip_meter_read(g, lane, &sm);
		b->gr = sm.comp_db;
	}
}
