/*
 * mixer_rig.h - the real mixer on whole-run buffers, for the offline
 * tests that measure what it renders (test_strip, test_response): a
 * mixer of a shape and rate, an input and an output buffer per lane and
 * port, and a parameter set as the RT thread applies it.
 */
#ifndef JMX_MIXER_RIG_H
#define JMX_MIXER_RIG_H

#include <stdio.h>
#include <stdlib.h>

#include "mixer.h"
#include "rtqueue.h"

struct rig {
	struct mixer *m;
	double rate;
	unsigned lanes, outs;
	size_t len;
	float **in, **out;
};

static inline struct rig rig_open(unsigned mono, unsigned stereo, unsigned buses, double rate, size_t len)
{
	struct rig r = {0};
	struct mixer_config cfg = {mono, stereo, buses, rate, 0};
	r.m = mixer_new(&cfg);
	if (!r.m) {
		fprintf(stderr, "mixer_new failed\n");
		exit(1);
	}
	r.rate = rate;
	r.lanes = mixer_lanes(r.m);
	r.outs = mixer_outputs(r.m);
	r.len = len;
	r.in = calloc(r.lanes, sizeof *r.in);
	r.out = calloc(r.outs, sizeof *r.out);
	for (unsigned i = 0; i < r.lanes; i++)
		r.in[i] = calloc(len, sizeof(float));
	for (unsigned i = 0; i < r.outs; i++)
		r.out[i] = calloc(len, sizeof(float));
	return r;
}

static inline void rig_free(struct rig *r)
{
	for (unsigned i = 0; i < r->lanes; i++)
		free(r->in[i]);
	for (unsigned i = 0; i < r->outs; i++)
		free(r->out[i]);
	free(r->in);
	free(r->out);
	mixer_free(r->m);
}

/* A set as the RT thread applies it (mixer_apply). */
static inline void rig_set(struct rig *r, enum param_id id, unsigned i1, unsigned i2, float v)
{
	struct rt_msg msg = {(uint16_t)id, (uint16_t)i1, (uint16_t)i2, RT_SET, v, 0.0f};
	mixer_apply(r->m, &msg);
}

#endif
