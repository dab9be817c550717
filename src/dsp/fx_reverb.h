/*
 * fx_reverb.h - the stereo algorithmic reverb of the bus effects: an
 * 8-line feedback delay network after Jot with per-line absorption
 * filters (see fx_reverb.c for the design).
 *
 * Threads: fx_reverb_new, fx_reverb_free on the control thread (from
 * fx_new, fx_free); fx_reverb_reset, fx_reverb_update, fx_reverb_run on
 * the RT thread (from fx_process); fx_reverb_subnormals from a test.
 */
#ifndef JMX_FX_REVERB_H
#define JMX_FX_REVERB_H

struct fx_reverb;

struct fx_reverb *fx_reverb_new(double rate, double max_rate);
void fx_reverb_free(struct fx_reverb *r);
/* Silence and every moving value at its target; p: the effect's current
 * parameters (fx_param order). */
void fx_reverb_reset(struct fx_reverb *r, const float *p);
/* Once per chunk before fx_reverb_run: new parameters, redesign on change. */
void fx_reverb_update(struct fx_reverb *r, const float *p, unsigned n);
void fx_reverb_run(struct fx_reverb *r, const float *inl, const float *inr, float *outl, float *outr,
                   unsigned n);
unsigned long fx_reverb_subnormals(const struct fx_reverb *r);

#endif
