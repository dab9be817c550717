/*
 * fx_delay.h - the stereo delay of the bus effects (see fx_delay.c).
 *
 * Threads: fx_delay_new, fx_delay_free on the control thread (from fx_new,
 * fx_free); fx_delay_reset, fx_delay_update, fx_delay_run on the RT thread
 * (from fx_process); fx_delay_subnormals from a test.
 */
#ifndef JMX_FX_DELAY_H
#define JMX_FX_DELAY_H

struct fx_delay;

struct fx_delay *fx_delay_new(double rate, double max_rate);
void fx_delay_free(struct fx_delay *d);
/* p: the effect's current parameters (fx_param order); samples: the echo
 * time, 1 .. FX_TIME_MAX_MS at the rate. */
void fx_delay_reset(struct fx_delay *d, const float *p, unsigned samples);
void fx_delay_update(struct fx_delay *d, const float *p, unsigned samples);
void fx_delay_run(struct fx_delay *d, const float *inl, const float *inr, float *outl, float *outr,
                  unsigned n);
unsigned long fx_delay_subnormals(const struct fx_delay *d);

#endif
