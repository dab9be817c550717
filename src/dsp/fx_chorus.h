/*
 * fx_chorus.h - the stereo chorus of the bus effects (see fx_chorus.c).
 *
 * Threads: fx_chorus_new, fx_chorus_free on the control thread (from
 * fx_new, fx_free); fx_chorus_reset, fx_chorus_update, fx_chorus_run on
 * the RT thread (from fx_process); fx_chorus_subnormals from a test.
 */
#ifndef JMX_FX_CHORUS_H
#define JMX_FX_CHORUS_H

struct fx_chorus;

struct fx_chorus *fx_chorus_new(double rate, double max_rate);
void fx_chorus_free(struct fx_chorus *c);
/* p: the effect's current parameters (fx_param order). */
void fx_chorus_reset(struct fx_chorus *c, const float *p);
void fx_chorus_update(struct fx_chorus *c, const float *p);
void fx_chorus_run(struct fx_chorus *c, const float *inl, const float *inr, float *outl, float *outr,
                   unsigned n);
unsigned long fx_chorus_subnormals(const struct fx_chorus *c);

#endif
