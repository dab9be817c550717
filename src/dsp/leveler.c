/*
 * leveler.c - the master's live leveler (see leveler.h): K-weighting and a
 * 3 s short-term loudness on the RT thread, a gated, slew-limited gain.
 *
 * Threads: leveler_init on the control thread (from master_new, before
 * RT runs, which also sets the defaults through leveler_set there);
 * leveler_set, leveler_process and leveler_gain_db on the RT
 * thread only.  Nothing here allocates, locks or makes a system call.
 *
 * Invariants:
 * - The measurement is feed-forward (the leveler's input, before its
 *   gain), so the loop cannot oscillate: the gain is a function of the
 *   input's loudness, slew-limited.
 * - The gain never moves more than speed / rate dB per sample; it moves
 *   only towards want_db, which changes only at the end of a 100 ms block
 *   whose 3 s window holds at least 1 s of blocks above the gate; the
 *   window's loudness is the mean of those blocks alone.  Otherwise
 *   want_db holds: silence never pumps.
 * - K-weighting is BS.1770's two stages, designed for any rate with the
 *   same analogue prototype libebur128 uses, so a leveled programme reads
 *   on target on an EBU R128 meter.
 * - Off and settled: a bit-exact identity, and the state is reset.
 */
#include "leveler.h"

#include <math.h>
#include <string.h>

#include "dsp.h"
#include "role.h"

#define LN10_20          0.11512925464970229 /* ln(10)/20 */
#define GATE_ABS         (-70.0)             /* BS.1770's absolute gate, LUFS */
#define GATE_BELOW_REACH 10.0                /* LU below what the full boost could lift to target */
#define LEVELER_EVIDENCE 10u                 /* blocks above the gate (1 s) before the gain moves */

/* BS.1770 K-weighting for any rate (the analogue prototype behind the
 * standard's 48 kHz coefficients, as in libebur128). */
static void k_design(struct leveler *lv)
{
	const double pi = 3.14159265358979323846;
	double f0 = 1681.974450955533, G = 3.999843853973347, Q = 0.7071752369554196;
	double K = tan(pi * f0 / lv->rate);
	double Vh = pow(10.0, G / 20.0), Vb = pow(Vh, 0.4996667741545416);
	double a0 = 1.0 + K / Q + K * K;
	double *s = lv->k[0];
	s[0] = (Vh + Vb * K / Q + K * K) / a0;
	s[1] = 2.0 * (K * K - Vh) / a0;
	s[2] = (Vh - Vb * K / Q + K * K) / a0;
	s[3] = 2.0 * (K * K - 1.0) / a0;
	s[4] = (1.0 - K / Q + K * K) / a0;
	f0 = 38.13547087602444;
	Q = 0.5003270373238773;
	K = tan(pi * f0 / lv->rate);
	a0 = 1.0 + K / Q + K * K;
	double *h = lv->k[1];
	h[0] = 1.0;
	h[1] = -2.0;
	h[2] = 1.0;
	h[3] = 2.0 * (K * K - 1.0) / a0;
	h[4] = (1.0 - K / Q + K * K) / a0;
}

static void reset(struct leveler *lv)
{
	memset(lv->z, 0, sizeof lv->z);
	memset(lv->ring, 0, sizeof lv->ring);
	lv->blk_sum = 0;
	lv->blk_n = 0;
	lv->rpos = lv->filled = 0;
	lv->gain_db = lv->want_db = 0.0;
	lv->loud = -INFINITY;
}

void leveler_init(struct leveler *lv, double rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	memset(lv, 0, sizeof *lv);
	lv->rate = rate;
	long b = lround(rate / 10.0);
	lv->blk_len = b < 1 ? 1u : (unsigned)b;
	k_design(lv);
	lv->target = -16.0f;
	lv->range = 12.0f;
	lv->speed = 0.5f;
	reset(lv);
}

static float clampf(float v, float lo, float hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void leveler_set(struct leveler *lv, enum param_id id, float value)
{
	/* the control thread too: master_new sets the defaults */
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL);
	switch (id) {
	case P_MASTER_LEVELER_ON:
		lv->mix_tgt = value >= 0.5f ? 1.0f : 0.0f;
		break;
	case P_MASTER_LEVELER_TARGET:
		lv->target = value;
		break;
	case P_MASTER_LEVELER_RANGE:
		/* a narrower range applies at the set speed, not as a step */
		lv->range = value;
		lv->want_db = clampf((float)lv->want_db, -value, value);
		break;
	case P_MASTER_LEVELER_SPEED:
		lv->speed = value;
		break;
	default:
		break;
	}
}

float leveler_gain_db(const struct leveler *lv)
{
	ASSERT_ROLE(ROLE_RT);
	return (float)lv->gain_db * lv->mix;
}

/* One DF1 stage. */
static inline double stage(const double k[5], double z[4], double x)
{
	double y = k[0] * x + k[1] * z[0] + k[2] * z[1] - k[3] * z[2] - k[4] * z[3];
	z[1] = z[0];
	z[0] = x;
	z[3] = z[2];
	z[2] = y;
	return y;
}

/* A block ended: the gated window's loudness, and the gain it asks for.
 * As in BS.1770's integrated loudness, blocks below the gate are left out
 * of the mean, so the silence after a song neither drags the window down
 * (which would raise the gain into the next song) nor counts as
 * evidence; with less than LEVELER_EVIDENCE blocks above the gate in the
 * window, or the newest block below it, the gain holds. */
static void block_end(struct leveler *lv)
{
	lv->ring[lv->rpos] = lv->blk_sum / lv->blk_len;
	lv->rpos = (lv->rpos + 1) % LEVELER_BLOCKS;
	lv->blk_sum = 0;
	lv->blk_n = 0;
	double gate = lv->target - lv->range - GATE_BELOW_REACH;
	if (gate < GATE_ABS)
		gate = GATE_ABS;
	const double gate_ms = pow(10.0, (gate + 0.691) / 10.0);
	/* the programme just stopped (a pause, the end of a song): hold at
	 * once, before the window's shrinking content can move the gain */
	if (lv->ring[(lv->rpos + LEVELER_BLOCKS - 1) % LEVELER_BLOCKS] < gate_ms) {
		lv->loud = -INFINITY;
		return;
	}
	/* re-summed each block (30 adds every 100 ms): nothing drifts */
	double s = 0;
	unsigned k = 0;
	for (unsigned j = 0; j < LEVELER_BLOCKS; j++)
		if (lv->ring[j] >= gate_ms) {
			s += lv->ring[j];
			k++;
		}
	lv->filled = k;
	if (k < LEVELER_EVIDENCE)
		return; /* too little programme yet: hold */
	double loud = -0.691 + 10.0 * log10(s / k);
	lv->loud = (float)loud;
	lv->want_db = clampf((float)(lv->target - loud), -lv->range, lv->range);
}

static void scrub(struct leveler *lv)
{
	for (unsigned c = 0; c < 2; c++)
		for (unsigned s = 0; s < 2; s++)
			for (unsigned j = 0; j < 4; j++) {
				double v = lv->z[c][s][j];
				/* NaN/inf reset; values that would decay into
				 * denormals in a long silence go to 0 */
				if (!isfinite(v) || fabs(v) < 1e-25)
					lv->z[c][s][j] = 0.0;
			}
	if (!isfinite(lv->blk_sum))
		lv->blk_sum = 0;
	for (unsigned j = 0; j < LEVELER_BLOCKS; j++)
		if (!isfinite(lv->ring[j]))
			lv->ring[j] = 0;
	if (!isfinite(lv->gain_db) || !isfinite(lv->want_db))
		lv->gain_db = lv->want_db = 0.0;
}

void leveler_process(struct leveler *lv, float *l, float *r, unsigned n, float c)
{
	ASSERT_ROLE(ROLE_RT);
	float mix0 = lv->mix;
	if (lv->mix != lv->mix_tgt) {
		lv->mix += c * (lv->mix_tgt - lv->mix);
		if (fabsf(lv->mix_tgt - lv->mix) <= 1e-6f)
			lv->mix = lv->mix_tgt;
	}
	if (mix0 == 0.0f && lv->mix == 0.0f) {
		reset(lv); /* a few hundred bytes: cheaper than tracking what moved */
		return;
	}
	const double step = lv->speed / lv->rate; /* dB per sample, at most */
	float dmix = (lv->mix - mix0) / (float)n;
	double gdb = lv->gain_db;
	float g = expf((float)(gdb * LN10_20));
	for (unsigned i = 0; i < n; i++) {
		double xl = l[i], xr = r[i];
		double kl = stage(lv->k[1], lv->z[0][1], stage(lv->k[0], lv->z[0][0], xl));
		double kr = stage(lv->k[1], lv->z[1][1], stage(lv->k[0], lv->z[1][0], xr));
		lv->blk_sum += kl * kl + kr * kr;
		if (++lv->blk_n == lv->blk_len)
			block_end(lv);
		double want = lv->want_db;
		if (gdb != want) {
			gdb = want > gdb ? (gdb + step < want ? gdb + step : want)
			                 : (gdb - step > want ? gdb - step : want);
			g = expf((float)(gdb * LN10_20));
		}
		float m = mix0 + dmix * (float)(i + 1);
		float ge = 1.0f + m * (g - 1.0f);
		l[i] *= ge;
		r[i] *= ge;
	}
	lv->gain_db = gdb;
	scrub(lv);
}
