/*
 * gen.c - the oscillator (gen.h): sine, white and pink noise at unit level.
 *
 * Threads: gen_init before the RT thread runs (no allocation: it fills
 * the caller's struct); gen_set_hz and gen_run on the RT thread only (or
 * a test).
 *
 * Invariants: the phase stays in [0, 1) so that sin(2 pi phase) keeps its
 * precision for hours; a frequency change keeps the phase (no jump).
 */
#include "gen.h"
#include "role.h"

#include <math.h>

/* Paul Kellet's refined pink filter (music-dsp, 1999): poles, and the
 * white noise's gain into each; b[6] is a one-sample delayed term. */
static const float kp[6] = {0.99886f, 0.99332f, 0.96900f, 0.86650f, 0.55000f, -0.7616f};
static const float kc[6] = {0.0555179f, 0.0750759f, 0.1538520f, 0.3104856f, 0.5329522f, -0.0168980f};
#define K_DIRECT 0.5362f
#define K_DELAY  0.115926f

/* The filter's output variance for unit-variance white input, in closed
 * form: its impulse response is h[0] = sum c + d0, h[1] = sum c p + d1,
 * h[n] = sum c p^n, so sum h^2 sums geometric series. */
static double kellet_power(void)
{
	double s0 = K_DIRECT, s1 = K_DELAY, tail = 0.0;
	for (int i = 0; i < 6; i++) {
		s0 += kc[i];
		s1 += (double)kc[i] * kp[i];
		for (int j = 0; j < 6; j++) {
			double pp = (double)kp[i] * kp[j];
			tail += (double)kc[i] * kc[j] * pp * pp / (1.0 - pp);
		}
	}
	return s0 * s0 + s1 * s1 + tail;
}

void gen_init(struct gen *g, double rate, uint64_t seed)
{
	ASSERT_ROLE(ROLE_CONTROL | ROLE_RT);
	*g = (struct gen){0};
	g->rate = rate;
	g->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	/* uniform on [-1, 1) has variance 1/3 */
	g->white_norm = (float)(sqrt(3.0) / sqrt(2.0));
	g->pink_norm = (float)(1.0 / sqrt(2.0 * kellet_power() / 3.0));
	gen_set_hz(g, 1000.0);
}

void gen_set_hz(struct gen *g, double hz)
{
	ASSERT_ROLE(ROLE_CONTROL | ROLE_RT);
	g->dphase = hz / g->rate;
}

/* xorshift64*: uniform on [-1, 1) from the top 24 bits (exact in float) */
static inline float gen_white(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	int32_t v = (int32_t)((x * 0x2545f4914f6cdd1dull) >> 40) - (1 << 23);
	return (float)v * (1.0f / (float)(1 << 23));
}

void gen_run(struct gen *g, enum gen_type type, float *out, unsigned n)
{
	ASSERT_ROLE(ROLE_RT);
	if (type == GEN_SINE) {
		double ph = g->phase, d = g->dphase;
		for (unsigned j = 0; j < n; j++) {
			out[j] = (float)sin(2.0 * M_PI * ph);
			ph += d;
			if (ph >= 1.0)
				ph -= 1.0;
		}
		g->phase = ph;
	} else if (type == GEN_WHITE) {
		for (unsigned j = 0; j < n; j++)
			out[j] = g->white_norm * gen_white(&g->rng);
	} else {
		float *b = g->b;
		for (unsigned j = 0; j < n; j++) {
			float w = gen_white(&g->rng), y = 0.0f;
			for (int i = 0; i < 6; i++) {
				b[i] = kp[i] * b[i] + kc[i] * w;
				y += b[i];
			}
			y += b[6] + K_DIRECT * w;
			b[6] = K_DELAY * w;
			out[j] = g->pink_norm * y;
		}
		for (int i = 0; i < 7; i++) /* no denormals when it stops */
			b[i] = fabsf(b[i]) < 1e-30f ? 0.0f : b[i];
	}
}
