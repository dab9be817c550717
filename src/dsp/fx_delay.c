/*
 * fx_delay.c - the stereo delay of the bus effects.
 *
 * Per channel one line written with  w = in + fb * LP(y)  and read at the
 * echo time D (an integer tap read before the write: y[n] = w[n - D]), so
 * an impulse comes back at exactly D, 2D, 3D ... samples, each echo fb
 * times the last; LP is a one-pole low-pass at damp in the feedback path
 * only (the first echo is the input itself), the identity when damp is at
 * or above FX_DAMP_OFF_HZ.  Ping-pong: the input's mono sum enters the
 * left line and each line feeds the other, so echoes alternate L, R, L;
 * the switch is a gain p (0..1) that moves smoothly between the two
 * routings:
 *
 *   wL = (1-p) xL + p (xL+xR)/2 + fb ((1-p) LP(yL) + p LP(yR))
 *   wR = (1-p) xR               + fb ((1-p) LP(yR) + p LP(yL))
 *
 * D comes from fx.c (the set time, or with sync on and a tempo known, the
 * division's length at that tempo, in whole samples).  A new D while signal plays is
 * a crossfade of two taps over FX_XFADE_MS (fx_line.h): no pitch sweep of
 * a tape delay, no click.  Feedback and the ping-pong gain are
 * interpolated across each chunk.
 *
 * Threads: as fx_delay.h.
 */
#include <math.h>
#include <stdlib.h>

#include "dsp.h"
#include "fx.h"
#include "fx_delay.h"
#include "fx_line.h"
#include "role.h"

struct fx_delay {
	double rate;
	struct fx_line line[2];
	struct fx_xtap xt;
	float fb0, fb1, pp0, pp1; /* feedback and ping-pong, chunk start and end */
	float lpb, lpz[2];        /* damping pole and states */
	float d_damp;
};

struct fx_delay *fx_delay_new(double rate, double max_rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct fx_delay *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->rate = rate;
	size_t len = (size_t)ceil(FX_TIME_MAX_MS * 1e-3 * max_rate) + 2;
	if (fx_line_new(&d->line[0], len) || fx_line_new(&d->line[1], len)) {
		fx_delay_free(d);
		return NULL;
	}
	return d;
}

void fx_delay_free(struct fx_delay *d)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!d)
		return;
	fx_line_free(&d->line[0]);
	fx_line_free(&d->line[1]);
	free(d);
}

static float clampf(float x, float lo, float hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static void design_damp(struct fx_delay *d, float hz)
{
	d->d_damp = hz;
	d->lpb = hz >= FX_DAMP_OFF_HZ || hz >= 0.45 * d->rate
	             ? 0.0f
	             : (float)exp(-2.0 * 3.14159265358979323846 * clampf(hz, 20.0f, 1e6f) / d->rate);
}

void fx_delay_reset(struct fx_delay *d, const float *p, unsigned samples)
{
	ASSERT_ROLE(ROLE_RT);
	fx_line_reset(&d->line[0]);
	fx_line_reset(&d->line[1]);
	d->lpz[0] = d->lpz[1] = 0.0f;
	fx_xtap_init(&d->xt, (unsigned)lround(FX_XFADE_MS * 1e-3 * d->rate), samples);
	d->fb0 = d->fb1 = clampf(p[FXP_FEEDBACK], 0.0f, FX_FEEDBACK_MAX);
	d->pp0 = d->pp1 = p[FXP_PINGPONG] >= 0.5f ? 1.0f : 0.0f;
	design_damp(d, p[FXP_DAMP_HZ]);
}

void fx_delay_update(struct fx_delay *d, const float *p, unsigned samples)
{
	ASSERT_ROLE(ROLE_RT);
	d->xt.want = samples;
	fx_xtap_chunk(&d->xt);
	d->fb0 = d->fb1;
	d->fb1 = clampf(p[FXP_FEEDBACK], 0.0f, FX_FEEDBACK_MAX);
	/* the ping-pong switch moves by the smoothing's one pole */
	d->pp0 = d->pp1;
	float pw = p[FXP_PINGPONG] >= 0.5f ? 1.0f : 0.0f;
	d->pp1 += (pw - d->pp1) * 0.2f;
	if (fabsf(pw - d->pp1) < 1e-4f)
		d->pp1 = pw;
	if (d->d_damp != p[FXP_DAMP_HZ])
		design_damp(d, p[FXP_DAMP_HZ]);
}

void fx_delay_run(struct fx_delay *d, const float *inl, const float *inr, float *outl, float *outr,
                  unsigned n)
{
	ASSERT_ROLE(ROLE_RT);
	const float dfb = (d->fb1 - d->fb0) / (float)n, dpp = (d->pp1 - d->pp0) / (float)n;
	const float b = d->lpb, a = 1.0f - b;
	for (unsigned t = 0; t < n; t++) {
		float fb = d->fb0 + dfb * (float)(t + 1), p = d->pp0 + dpp * (float)(t + 1), q = 1.0f - p;
		float x = fx_xtap_step(&d->xt);
		float yl = fx_xtap_read(&d->xt, &d->line[0], x), yr = fx_xtap_read(&d->xt, &d->line[1], x);
		float fl = d->lpz[0] = fx_flush(a * yl + b * d->lpz[0]);
		float fr = d->lpz[1] = fx_flush(a * yr + b * d->lpz[1]);
		float xl = inl[t], xr = inr[t];
		fx_line_put(&d->line[0], fx_flush(q * xl + p * 0.5f * (xl + xr) + fb * (q * fl + p * fr)));
		fx_line_put(&d->line[1], fx_flush(q * xr + fb * (q * fr + p * fl)));
		outl[t] = yl;
		outr[t] = yr;
	}
}

unsigned long fx_delay_subnormals(const struct fx_delay *d)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	return fx_line_subnormals(&d->line[0]) + fx_line_subnormals(&d->line[1]) +
	       (fpclassify(d->lpz[0]) == FP_SUBNORMAL) + (fpclassify(d->lpz[1]) == FP_SUBNORMAL);
}
