/*
 * bus.h - the aux buses' own processing, for all buses of a mixer at
 * once (a "rack"): the sum of the channels' sends -> the bus's effect
 * (fx.h) -> 4-band EQ -> compressor (the channel strips' DSP: the buses
 * run as stereo-linked lane pairs of strip groups) -> fader and mute ->
 * output delay -> the bus outputs, and to the master sum (balanced) when
 * the bus is routed there, and to the solo sum (AFL) when it is soloed.
 *
 * Threads:
 *   bus_rack_new, bus_rack_free, bus_rack_snap  control thread (mixer_new / mixer_free)
 *   bus_rack_set, bus_rack_solos                RT, or control inside mixer_new (defaults)
 *   everything else                             the RT thread only (or a test)
 *
 * Buses sum channels only (mixer.c feeds the sums from the strips), so
 * the routing can have no loops.
 */
#ifndef JMX_BUS_H
#define JMX_BUS_H

#include "params.h"
#include "strip.h"

struct bus_rack;

/* Control thread.  Allocates and pre-faults everything (the effects and
 * the output delay lines, sized for max_rate, the highest rate this rack
 * may run at) for buses stereo buses at rate.  NULL on failure. */
struct bus_rack *bus_rack_new(unsigned buses, double rate, double max_rate);
void bus_rack_free(struct bus_rack *r);

/* Control thread, after the defaults are set: every smoothed value at
 * its target. */
void bus_rack_snap(struct bus_rack *r);

/* RT.  A P_BUS_* parameter (scopes SC_BUS, SC_BUS_BAND) of bus a; band is
 * the EQ band.  jump: v is a point of a path computed elsewhere (a ramp,
 * a lane), reached at the end of the next chunk instead of smoothing. */
void bus_rack_set(struct bus_rack *r, enum param_id id, unsigned a, unsigned band, float v, int jump);

/* RT: the transport's tempo (bpm, 0 = none) for synced delays. */
void bus_rack_tempo(struct bus_rack *r, float bpm);

/* RT: how many buses are soloed. */
unsigned bus_rack_solos(const struct bus_rack *r);

/* RT: where the mixer sums the sends of bus a's side (0 L, 1 R) for the
 * current piece: JMX_CHUNK floats, frame 0 = the piece's first. */
float *bus_rack_sum(struct bus_rack *r, unsigned a, unsigned side);

/* RT, at the start of every chunk (after ramps and automation). */
void bus_rack_chunk_begin(struct bus_rack *r, const struct strip_chunk *ck);

/* RT: frames pos..pos+n-1 of the chunk from the sums to out[2a], out[2a+1]
 * (the bus outputs of the piece); adds each routed bus to ml/mr and each
 * soloed one to sl/sr. */
void bus_rack_process(struct bus_rack *r, const struct strip_chunk *ck, unsigned pos, unsigned n,
                      float *const *out, float *ml, float *mr, float *sl, float *sr);

/* RT: the compressor's gain reduction of bus a in the last piece, dB. */
float bus_rack_gr(const struct bus_rack *r, unsigned a);

#endif
