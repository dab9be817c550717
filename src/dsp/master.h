/*
 * master.h - the master bus insert chain on a stereo pair of plain float
 * buffers: 4-band EQ -> stereo-linked glue compressor -> width (M/S) ->
 * master fader and mute -> live leveler -> lookahead true-peak limiter.
 *
 * Threads: master_new/master_free on the control thread (never while RT
 * runs); master_set, master_jump, master_process on the RT thread; master_latency and
 * master_meter_take from any thread.
 *
 * Invariants: master_process takes at most JMX_CHUNK frames per call and
 * always delays by master_latency() frames, limiter in or out, so the
 * latency reported to JACK never changes with the bypass switch.
 */
#ifndef JMX_MASTER_H
#define JMX_MASTER_H

#include "params.h"

struct master;

struct master *master_new(double rate);
void master_free(struct master *ms);

/* RT.  id is one of the P_MASTER_* parameters; band is 0..3 for the EQ
 * band parameters, else 0.  value is in engineering units, clamped. */
void master_set(struct master *ms, enum param_id id, unsigned band, float value);

/* RT, after master_set: the value just set is a point of a path computed
 * elsewhere (a ramp, an automation lane): the next master_process goes
 * straight there, interpolating across the call, instead of smoothing. */
void master_jump(struct master *ms, enum param_id id, unsigned band);

/* RT.  In place, n <= JMX_CHUNK. */
void master_process(struct master *ms, float *l, float *r, unsigned n);

unsigned master_latency(const struct master *ms);

/* Offline runs (jackmixd-master), before the first master_process: jump
 * every smoothed value to its target, so a chain set after master_new
 * does not glide from the defaults over the first milliseconds. */
void master_settle(struct master *ms);
/* Offline mastering's loudness gain, dB, added to the fader's beyond the
 * table's +10 dB (clamped to -90..+60): before the leveler and the
 * limiter, after the EQ and compressor, like the fader. */
void master_set_drive(struct master *ms, float db);

/* Any thread: P_MASTER_COMP_GR or P_MASTER_LIMITER_GR, dB >= 0, max since
 * last take; P_MASTER_LEVELER_GAIN, the leveler's gain now (signed dB).
 * Returns 1, or 0 for another id. */
int master_meter_take(struct master *ms, enum param_id id, float out[2]);

#endif
