/*
 * fx.c - a bus's built-in effect (see fx.h).  Placeholder until the
 * reverb, delay and chorus land: every type outputs silence, which is what
 * a 100 % wet "off" effect returns.
 *
 * Threads: as fx.h.
 */
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "fx.h"

struct fx {
	enum fx_type type;
	double rate;
};

struct fx *fx_new(double rate, double max_rate)
{
	(void)max_rate;
	struct fx *fx = calloc(1, sizeof *fx);
	if (fx)
		fx->rate = rate;
	return fx;
}

void fx_free(struct fx *fx)
{
	free(fx);
}

void fx_set_type(struct fx *fx, enum fx_type type)
{
	fx->type = type;
}

void fx_set(struct fx *fx, enum fx_param p, float v)
{
	(void)fx;
	(void)p;
	(void)v;
}

void fx_jump(struct fx *fx, enum fx_param p)
{
	(void)fx;
	(void)p;
}

void fx_set_tempo(struct fx *fx, float bpm)
{
	(void)fx;
	(void)bpm;
}

void fx_process(struct fx *fx, const float *inl, const float *inr, float *outl, float *outr, unsigned n)
{
	(void)fx;
	(void)inl;
	(void)inr;
	memset(outl, 0, n * sizeof *outl);
	memset(outr, 0, n * sizeof *outr);
}

double fx_division_beats(unsigned d)
{
	static const double beats[] = {4,   2,    3,       4.0 / 3, 1,     1.5,     2.0 / 3,
	                               0.5, 0.75, 1.0 / 3, 0.25,    0.375, 1.0 / 6, 0.125};
	return d < sizeof beats / sizeof beats[0] ? beats[d] : 1;
}
