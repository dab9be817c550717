/*
 * corr.c - the correlation and mono-loss meter (corr.h).
 *
 * Threads: corr_run on the RT thread only (or a test); corr_value and
 * corr_loss_db on the thread that owns the struct (the mixer reads them
 * on the RT thread and publishes the results as atomics).
 *
 * Below CORR_SILENT (-140 dBFS mean power) a side counts as silent, so
 * that the meter rests at 0 instead of dividing noise by noise.
 */
#include "corr.h"
#include "role.h"

#include <math.h>

#include "dsp.h"

#define CORR_SILENT 1e-14f

void corr_run(struct corr *c, const float *l, const float *r, unsigned n, float coef)
{
	ASSERT_ROLE(ROLE_RT);
	float ll = 0.0f, rr = 0.0f, lr = 0.0f;
	if (n == 0)
		return;
	for (unsigned j = 0; j < n; j++) {
		ll += l[j] * l[j];
		rr += r[j] * r[j];
		lr += l[j] * r[j];
	}
	float k = 1.0f / (float)n;
	c->ll = dsp_finite_or_zero(c->ll + coef * (ll * k - c->ll));
	c->rr = dsp_finite_or_zero(c->rr + coef * (rr * k - c->rr));
	c->lr = dsp_finite_or_zero(c->lr + coef * (lr * k - c->lr));
}

float corr_value(const struct corr *c)
{
	ASSERT_ROLE(ROLE_ANY);
	if (!(c->ll > CORR_SILENT && c->rr > CORR_SILENT))
		return 0.0f;
	float v = c->lr / sqrtf(c->ll * c->rr);
	return v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
}

float corr_loss_db(const struct corr *c)
{
	ASSERT_ROLE(ROLE_ANY);
	float st = 0.5f * (c->ll + c->rr), mono = 0.25f * (c->ll + c->rr + 2.0f * c->lr);
	if (!(st > CORR_SILENT))
		return 0.0f;
	if (!(mono > st * 1e-12f))
		return CORR_LOSS_MAX;
	float db = 10.0f * log10f(st / mono);
	return db < 0.0f ? 0.0f : db > CORR_LOSS_MAX ? CORR_LOSS_MAX : db;
}
