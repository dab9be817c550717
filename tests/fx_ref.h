/*
 * fx_ref.h - the bus effects' reference maths and runs, shared by the
 * tests that measure them (test_fx on fx.h alone, test_bus and
 * test_console on a mixer's buses), computed here, not taken from src/:
 *   - fxref_rt60_1k: RT60 of a decay in the 1 kHz octave band by
 *     Schroeder's backward integration (T30: the -5 .. -35 dB slope);
 *   - fxref_division: a division's length in quarter notes from its name;
 *   - fxref_wet: fx.h run as a bus runs it (table defaults, the mixer's
 *     pieces, type switches before given frames), for click bounds that
 *     add the wet path's own step.
 *
 * Threads: the test's one.
 */
#ifndef JMX_FX_REF_H
#define JMX_FX_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "fx.h"
#include "params.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

struct fxref_bq {
	double b0, b1, b2, a1, a2, z1, z2;
};

/* RBJ band-pass (0 dB peak), bandwidth bw octaves */
static inline struct fxref_bq fxref_bandpass(double rate, double f0, double bw)
{
	double w = 2 * M_PI * f0 / rate, s = sin(w), al = s * sinh(log(2) / 2 * bw * w / s), a0 = 1 + al;
	struct fxref_bq q = {al / a0, 0, -al / a0, -2 * cos(w) / a0, (1 - al) / a0, 0, 0};
	return q;
}

static inline double fxref_bq_run(struct fxref_bq *q, double x)
{
	double y = q->b0 * x + q->z1;
	q->z1 = q->b1 * x - q->a1 * y + q->z2;
	q->z2 = q->b2 * x - q->a2 * y;
	return y;
}

/* RT60 of the decay h[0..n) (an impulse response, or a tail after its
 * input stopped) in the 1 kHz octave band; 0 if too short to tell */
static inline double fxref_rt60_1k(const float *h, size_t n, double rate)
{
	/* two cascaded band-passes a little wider than the octave: together
	 * about the octave's -3 dB points */
	struct fxref_bq a = fxref_bandpass(rate, 1000, 1.5), b = fxref_bandpass(rate, 1000, 1.5);
	double *e = n >= 2 ? malloc(n * sizeof *e) : NULL;
	if (!e)
		return 0;
	for (size_t t = 0; t < n; t++) {
		double y = fxref_bq_run(&b, fxref_bq_run(&a, h[t]));
		e[t] = y * y;
	}
	for (size_t t = n - 1; t-- > 0;)
		e[t] += e[t + 1];
	double e0 = e[0], sx = 0, sy = 0, sxx = 0, sxy = 0;
	unsigned long k = 0;
	for (size_t t = 0; t < n; t++) {
		double db = 10 * log10(e[t] / e0 + 1e-300);
		if (db > -5 || db < -35)
			continue;
		double x = (double)t / rate;
		sx += x, sy += db, sxx += x * x, sxy += x * db, k++;
	}
	free(e);
	if (k < 10)
		return 0;
	double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
	return -60.0 / slope;
}

/* Position of a division's name in FX_DIVISIONS (-1 if absent), and its
 * length in quarter notes from the name: "1/N" is 4/N, "d" 3/2 of it,
 * "t" 2/3 */
static inline int fxref_division(const char *name, double *beats)
{
	char list[] = FX_DIVISIONS, *save = NULL;
	int k = 0;
	for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save), k++)
		if (!strcmp(tok, name)) {
			double q = 4.0 / atof(name + 2);
			char last = name[strlen(name) - 1];
			*beats = last == 'd' ? q * 1.5 : last == 't' ? q * 2 / 3 : q;
			return k;
		}
	return -1;
}

/* fx.h as a mixer's bus runs it: every parameter at the table's default
 * (params, if not NULL, FXP_COUNT values instead; NAN keeps the default),
 * fed in[from..len) on both sides in the mixer's pieces, the type
 * switched to sw_to[k] before the piece at sw_at[k] (ascending).  The
 * pieces: a new one at every JMX_CHUNK frames (the mixer's chunk grid
 * from frame 0) and every `period` frames counted from the latest switch
 * (the caller renders from there by periods of that size).  wet[from..len)
 * gets the left output; from is sw_at[0], when the bus first runs its
 * effect (an "off" bus skips it).  0 on success. */
static inline int fxref_wet(float *wet, const float *in, size_t len, double rate, unsigned period,
                            const size_t *sw_at, const int *sw_to, unsigned nsw, const float *params)
{
	struct fx *fx = fx_new(rate, rate);
	if (!fx)
		return -1;
	for (unsigned p = 0; p < FXP_COUNT; p++) {
		float v = param_default((enum param_id)(P_BUS_FX_DECAY + p), 0);
		if (params && !isnan(params[p]))
			v = params[p];
		fx_set(fx, (enum fx_param)p, v);
		fx_jump(fx, (enum fx_param)p);
	}
	float ol[JMX_CHUNK], or_[JMX_CHUNK];
	unsigned k = 0;
	size_t p0 = sw_at[0];
	for (size_t t = sw_at[0]; t < len;) {
		for (; k < nsw && sw_at[k] <= t; k++) {
			fx_set_type(fx, (enum fx_type)sw_to[k]);
			p0 = sw_at[k];
		}
		size_t n = JMX_CHUNK - t % JMX_CHUNK, np = period - (t - p0) % period;
		n = n < np ? n : np;
		n = n < len - t ? n : len - t;
		if (k < nsw && sw_at[k] - t < n)
			n = sw_at[k] - t;
		fx_process(fx, in + t, in + t, ol, or_, (unsigned)n);
		memcpy(wet + t, ol, n * sizeof *ol);
		t += n;
	}
	fx_free(fx);
	return 0;
}

#endif
