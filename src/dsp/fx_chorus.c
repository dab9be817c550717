/*
 * fx_chorus.c - the stereo chorus of the bus effects: each channel read
 * from its own line at a delay that a sine moves,
 *
 *   d(t) = FX_CHORUS_BASE_MS + depth (1 + sin(2 pi rate t + phi)),
 *
 * so the delay swings by +-depth around base + depth (never under the
 * base), left and right a quarter period apart (phi = 0, pi/2), which
 * makes the stereo image move.  100 % wet: the bus is the return, the dry
 * signal comes from the channels.  The read is a cubic Hermite
 * interpolation (4 taps), whose error at audio frequencies is far below
 * that of a linear one, which would low-pass and add modulation noise.
 * The sine is a phasor rotated once a sample (no libm call a sample),
 * renormalised once a chunk so its amplitude cannot drift; rate and depth
 * come smoothed from fx.c, and depth is interpolated across each chunk.
 * No feedback: nothing recirculates, so there is no denormal tail.
 *
 * Threads: as fx_chorus.h.
 */
#include <math.h>
#include <stdlib.h>

#include "dsp.h"
#include "fx.h"
#include "fx_chorus.h"
#include "fx_line.h"
#include "role.h"

struct fx_chorus {
	double rate;
	struct fx_line line[2];
	float c, s;       /* the LFO's phasor */
	float rc, rs;     /* its rotation a sample */
	float dep0, dep1; /* depth, samples, at the chunk's start and end */
	float base;       /* samples */
	float d_rate;
};

struct fx_chorus *fx_chorus_new(double rate, double max_rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct fx_chorus *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->rate = rate;
	c->base = (float)(FX_CHORUS_BASE_MS * 1e-3 * rate);
	size_t len = (size_t)ceil((FX_CHORUS_BASE_MS + 2.0 * FX_DEPTH_MAX_MS) * 1e-3 * max_rate) + 4;
	if (fx_line_new(&c->line[0], len) || fx_line_new(&c->line[1], len)) {
		fx_chorus_free(c);
		return NULL;
	}
	return c;
}

void fx_chorus_free(struct fx_chorus *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!c)
		return;
	fx_line_free(&c->line[0]);
	fx_line_free(&c->line[1]);
	free(c);
}

static float depth_samples(const struct fx_chorus *c, float ms)
{
	if (!(ms > 0.0f))
		ms = 0.0f;
	if (ms > FX_DEPTH_MAX_MS)
		ms = FX_DEPTH_MAX_MS;
	return (float)(ms * 1e-3 * c->rate);
}

static void design_rate(struct fx_chorus *c, float hz)
{
	double w = 2.0 * 3.14159265358979323846 * (hz > 0.0f && hz < 100.0f ? hz : 0.0f) / c->rate;
	c->rc = (float)cos(w);
	c->rs = (float)sin(w);
	c->d_rate = hz;
}

void fx_chorus_reset(struct fx_chorus *c, const float *p)
{
	ASSERT_ROLE(ROLE_RT);
	fx_line_reset(&c->line[0]);
	fx_line_reset(&c->line[1]);
	c->c = 1.0f;
	c->s = 0.0f;
	c->dep0 = c->dep1 = depth_samples(c, p[FXP_DEPTH_MS]);
	design_rate(c, p[FXP_RATE_HZ]);
}

void fx_chorus_update(struct fx_chorus *c, const float *p)
{
	ASSERT_ROLE(ROLE_RT);
	c->dep0 = c->dep1;
	c->dep1 = depth_samples(c, p[FXP_DEPTH_MS]);
	if (c->d_rate != p[FXP_RATE_HZ])
		design_rate(c, p[FXP_RATE_HZ]);
	float g = 1.5f - 0.5f * (c->c * c->c + c->s * c->s); /* one Newton step to radius 1 */
	c->c *= g;
	c->s *= g;
}

void fx_chorus_run(struct fx_chorus *c, const float *inl, const float *inr, float *outl, float *outr,
                   unsigned n)
{
	ASSERT_ROLE(ROLE_RT);
	const float dd = (c->dep1 - c->dep0) / (float)n;
	float pc = c->c, ps = c->s;
	for (unsigned t = 0; t < n; t++) {
		float dep = c->dep0 + dd * (float)(t + 1);
		float nc = pc * c->rc - ps * c->rs;
		ps = ps * c->rc + pc * c->rs;
		pc = nc;
		/* read before the write: the delays are at least the base */
		float yl = fx_line_taph(&c->line[0], c->base + dep * (1.0f + ps));
		float yr = fx_line_taph(&c->line[1], c->base + dep * (1.0f + pc));
		fx_line_put(&c->line[0], inl[t]);
		fx_line_put(&c->line[1], inr[t]);
		outl[t] = yl;
		outr[t] = yr;
	}
	c->c = pc;
	c->s = ps;
}

unsigned long fx_chorus_subnormals(const struct fx_chorus *c)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	return fx_line_subnormals(&c->line[0]) + fx_line_subnormals(&c->line[1]);
}
