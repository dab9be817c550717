/*
 * response.c - magnitude responses and compressor curves from the DSP's
 * own design code; see response.h.
 *
 * Threads: every function is pure (no state, no allocation, no I/O) and
 * may run on any thread; the control thread calls them for the OSC
 * replies (curve_osc.c).
 *
 * Invariants: the coefficients are the float ones biquad_design hands the
 * audio thread, designed from the values as strip.c (strip_lane_set,
 * design) and master.c (master_set, band_design) condition them: the
 * strip clamps with the strip.h helpers and smooths ln(Hz) and ln(Q) in
 * float, the master clamps to the parameter table and does the same;
 * so the curve differs from the running filter only by the rounding of
 * the audio thread's arithmetic.  |H| is evaluated in double with the
 * sin^2(w/2) form (RBJ cookbook), which keeps its precision at low
 * frequencies where 1 + a1 + a2 nearly cancels.
 */
#include "response.h"

#include <math.h>

#include "dsp_biquad.h"
#include "params.h"
#include "role.h"
#include "strip.h"

#define RESPONSE_FLOOR_DB -200.0

double response_grid_hz(unsigned i)
{
	ASSERT_ROLE(ROLE_ANY);
	return RESPONSE_HZ_LO *
	       pow(RESPONSE_HZ_HI / RESPONSE_HZ_LO, (double)i / (double)(RESPONSE_POINTS - 1));
}

double response_dyn_grid_db(unsigned i)
{
	ASSERT_ROLE(ROLE_ANY);
	return RESPONSE_DYN_LO +
	       (RESPONSE_DYN_HI - RESPONSE_DYN_LO) * (double)i / (double)(RESPONSE_DYN_POINTS - 1);
}

/* |H|^2 of one normalised biquad at phi = sin^2(w/2):
 * |b0 + b1 z^-1 + b2 z^-2|^2 = (b0 + b1 + b2)^2 - 4 (b0 b1 + 4 b0 b2 + b1 b2) phi + 16 b0 b2 phi^2,
 * and the same for 1 + a1 z^-1 + a2 z^-2. */
static double response_pow2(const struct biquad_coef *k, double phi)
{
	double b0 = k->b0, b1 = k->b1, b2 = k->b2, a1 = k->a1, a2 = k->a2;
	double sb = b0 + b1 + b2, sa = 1.0 + a1 + a2;
	double num = sb * sb - 4.0 * (b0 * b1 + 4.0 * b0 * b2 + b1 * b2) * phi + 16.0 * b0 * b2 * phi * phi;
	double den = sa * sa - 4.0 * (a1 + 4.0 * a2 + a1 * a2) * phi + 16.0 * a2 * phi * phi;
	if (!(num > 0.0) || !(den > 0.0))
		return 0.0;
	return num / den;
}

/* The filters of the chain as the audio thread designs them at rest; the
 * number written to k. */
static unsigned response_design(const struct response_eq *eq, enum response_chain chain, double rate,
                                struct biquad_coef k[1 + JMX_BANDS])
{
	unsigned n = 0;
	if (chain == RESPONSE_STRIP) {
		if (eq->hpf_on)
			k[n++] = biquad_design(BQ_HIGHPASS, rate, exp(strip_lhz(eq->hpf_hz, rate)), 0.0,
			                       STRIP_HPF_Q);
		if (!eq->on)
			return n; /* every band at 0 dB: the identity */
		for (unsigned b = 0; b < JMX_BANDS; b++)
			k[n++] = biquad_design((enum biquad_kind)strip_eq_type(eq->type[b]), rate,
			                       exp(strip_lhz(eq->hz[b], rate)), strip_eq_db(eq->db[b]),
			                       exp(strip_lq(eq->q[b])));
		return n;
	}
	if (!eq->on)
		return n;
	for (unsigned b = 0; b < JMX_BANDS; b++) {
		float t = param_clamp(P_MASTER_EQ_TYPE, eq->type[b]);
		enum biquad_kind kind = t < 0.5f ? BQ_PEAK : t < 1.5f ? BQ_LOWSHELF : BQ_HIGHSHELF;
		float lhz = logf(param_clamp(P_MASTER_EQ_HZ, eq->hz[b]));
		float lq = logf(param_clamp(P_MASTER_EQ_Q, eq->q[b]));
		k[n++] = biquad_design(kind, rate, exp(lhz), param_clamp(P_MASTER_EQ_DB, eq->db[b]), exp(lq));
	}
	return n;
}

void response_eq_db(const struct response_eq *eq, enum response_chain chain, double rate, const double *hz,
                    unsigned n, float *db)
{
	ASSERT_ROLE(ROLE_ANY);
	struct biquad_coef k[1 + JMX_BANDS];
	unsigned nk = response_design(eq, chain, rate, k);
	for (unsigned i = 0; i < n; i++) {
		double f = hz[i] < 0.5 * rate ? hz[i] : 0.5 * rate;
		double s = sin(M_PI * f / rate), phi = s * s, p = 1.0;
		for (unsigned j = 0; j < nk; j++)
			p *= response_pow2(&k[j], phi);
		double d = p > 0.0 ? 10.0 * log10(p) : RESPONSE_FLOOR_DB;
		db[i] = (float)(d > RESPONSE_FLOOR_DB ? d : RESPONSE_FLOOR_DB);
	}
}

void response_comp_db(const struct response_comp *c, enum response_chain chain, const double *in_db,
                      unsigned n, float *out_db)
{
	ASSERT_ROLE(ROLE_ANY);
	/* strip: ratio below 1 acts as 1, knee within 0..48 dB (strip_lane_set);
	 * master: the parameter table's ranges (master_set) */
	float thr = c->thr, ratio = c->ratio > 1.0f ? c->ratio : 1.0f;
	float knee = strip_clampf(c->knee, 0.0f, 48.0f), makeup = c->makeup;
	if (chain == RESPONSE_MASTER) {
		thr = param_clamp(P_MASTER_COMP_THR, c->thr);
		ratio = param_clamp(P_MASTER_COMP_RATIO, c->ratio);
		knee = param_clamp(P_MASTER_COMP_KNEE, c->knee);
		makeup = param_clamp(P_MASTER_COMP_MAKEUP, c->makeup);
	}
	for (unsigned i = 0; i < n; i++) {
		float x = (float)in_db[i];
		out_db[i] = c->on ? x - comp_gr_db(x, thr, ratio, knee) + makeup : x;
	}
}
