/*
 * mixer.h - the whole console's DSP on plain float buffers: channel strips
 * (strip.c), aux buses and monitor (mixer.c), master chain (master.c).
 * No JACK, no stdio: unit tests and the benchmark drive it directly.
 *
 * Threads:
 *   mixer_new, mixer_tap_new, mixer_free  control thread, never while RT runs
 *   mixer_apply, mixer_process, mixer_tap,
 *   mixer_set_playback                    the RT thread only (or a test)
 *   mixer_point, mixer_value,
 *   mixer_ramping,
 *   mixer_set_chunk_hook, mixer_set_tempo the RT thread only (or a test)
 *   mixer_meter_take, mixer_latency,
 *   mixer_lanes/outputs, mixer_flat_count,
 *   mixer_value_published                 any thread (atomics / immutable)
 *
 * Channel numbering: channels 0..mono-1 are mono, mono..mono+stereo-1 are
 * stereo.  Input lanes: one per mono channel, two (L then R) per stereo
 * channel, in channel order.  Outputs, in this order: master L, master R,
 * monitor L, monitor R, then bus 1 L, bus 1 R, bus 2 L, ...
 * With cfg.talkback the talkback input (talk_in) follows the lanes.
 */
#ifndef JMX_MIXER_H
#define JMX_MIXER_H

#include <stdint.h>

#include "params.h"

#define JMX_MAX_CHANNELS 256u
#define JMX_MAX_BUSES    32u

struct mixer_config {
	unsigned mono;     /* mono channels */
	unsigned stereo;   /* stereo channels, after the mono ones */
	unsigned buses;    /* stereo aux buses */
	double rate;       /* sample rate, Hz */
	unsigned talkback; /* 1: one more input after the lanes, talk_in */
};

/* A parameter change for the RT thread.  Indices are zero-based. */
enum rt_msg_kind {
	RT_SET = 0,  /* set target of (id, i1, i2) to value (engineering units) */
	RT_RAMP = 1, /* move from the current value to value over arg milliseconds,
	              * sample-accurately along the parameter's taper (dB for
	              * faders, octaves for frequencies); switches change at the
	              * end.  A later RT_SET or RT_RAMP of the same parameter
	              * cancels it from wherever it has got to. */
	RT_HOLD = 2, /* stop a running ramp where it has got to (value unused) */
};

struct rt_msg {
	uint16_t id;   /* enum param_id */
	uint16_t i1;   /* channel or bus */
	uint16_t i2;   /* band or bus for two-index scopes */
	uint16_t kind; /* enum rt_msg_kind */
	float value;
	float arg; /* RT_RAMP: duration in milliseconds */
};

struct mixer;

/* Control thread.  Allocates and pre-faults everything for the largest
 * period; every parameter starts at its table default.  NULL on failure. */
struct mixer *mixer_new(const struct mixer_config *cfg);
void mixer_free(struct mixer *m);

/* RT.  Apply one change (already validated and clamped by control). */
void mixer_apply(struct mixer *m, const struct rt_msg *msg);

/* RT.  Render nframes (any number up to JMX_MAX_FRAMES; processed in
 * chunks of JMX_CHUNK).  in[] has mixer_inputs() pointers, out[] has
 * mixer_outputs() pointers.  Sets flush-to-zero on the calling thread. */
void mixer_process(struct mixer *m, const float *const *in, float *const *out, unsigned nframes);

unsigned mixer_lanes(const struct mixer *m);   /* channel input lanes */
unsigned mixer_inputs(const struct mixer *m);  /* input buffers: the lanes, then talk_in with talkback */
unsigned mixer_outputs(const struct mixer *m); /* 4 + 2 * buses */

/* Control thread, before the RT thread runs: keep a copy of every input
 * lane after trim and polarity (before the high-pass) for the recorder's
 * stems.  Allocates and pre-faults a period of the largest size; a no-op
 * when the tap exists.  0, or -1 when out of memory (no tap then). */
int mixer_tap_new(struct mixer *m);

/* RT, after mixer_process: the tap's frames of that call, frame-major,
 * mixer_lanes() floats a frame in input-lane order (the order of in[]);
 * NULL without a tap.  Frame k here is frame k of in[] after trim and
 * polarity; the master outputs carry it mixer_latency() frames later. */
const float *mixer_tap(const struct mixer *m);

/* RT, before mixer_process: the playback's signal for the next calls,
 * one pointer per input lane like in[] (a NULL entry, or pb NULL: no
 * playback there), each as long as the call's nframes.  It replaces the
 * input after trim and polarity on channels whose /ch/<n>/source is
 * playback (a 10 ms crossfade when that switches). */
void mixer_set_playback(struct mixer *m, const float *const *pb);

/* Frames of delay from input to master and monitor outputs (limiter
 * lookahead); constant for a given sample rate, bypassed or not.  The
 * aux bus outputs have no added delay but the output delay a bus is set
 * to (/bus/<a>/delay/ms, alignment asked for, not latency); a bus routed
 * to master adds nothing to the master's. */
unsigned mixer_latency(const struct mixer *m);

/* Any thread.  Read and reset a meter: P_CH_METER, P_BUS_METER,
 * P_MASTER_METER give out[0] = peak dBFS, out[1] = RMS dBFS; the gain
 * reduction meters give out[0] = dB of reduction (>= 0).  Values are the
 * maximum since the last take, except P_CH_FADER_EFF and P_BUS_FADER_EFF:
 * out[0] = the effective fader in dB the RT thread last folded (own fader
 * plus DCAs, -90 when muted by anything), not reset.  Returns the number of values written
 * (0 for an unknown id or index). */
int mixer_meter_take(struct mixer *m, enum param_id id, unsigned idx, float out[2]);

/* ---- automation (autoplay.c) ----
 * Parameter instances are numbered as in params.h (param_flat with the
 * shape { mono + stereo, buses }), the same numbering the model uses. */
unsigned mixer_flat_count(const struct mixer *m);

/* RT: the value the mixer holds for instance flat (a set's target, or
 * the point a ramp or a lane has reached at the end of the chunk). */
float mixer_value(const struct mixer *m, unsigned flat);

/* Any thread: the same, as the RT thread last published it (relaxed
 * atomics; for feedback of moving values). */
float mixer_value_published(const struct mixer *m, unsigned flat);

/* RT: a point of a path computed elsewhere (an automation lane): cancels
 * a running ramp, and a continuous parameter goes straight there by the
 * end of the next chunk, interpolating inside it, instead of smoothing;
 * switches and enums are set as RT_SET does.  No-op for a bad index. */
void mixer_point(struct mixer *m, enum param_id id, unsigned i1, unsigned i2, float v);

/* RT: whether instance flat is moving along a ramp (RT_RAMP). */
int mixer_ramping(const struct mixer *m, unsigned flat);

/* RT (or before the RT thread runs): fn is called at the start of every
 * chunk, after ramps have stepped and before anything renders; offset is
 * the frame of the current mixer_process call at which the chunk starts
 * (a chunk that began in the previous call was announced there). */
/* RT: the transport's tempo in beats per minute (0: none), for the
 * buses' synced delays (fx_set_tempo); cheap when it does not change. */
void mixer_set_tempo(struct mixer *m, float bpm);

typedef void (*mixer_chunk_fn)(void *ctx, struct mixer *m, unsigned offset);
void mixer_set_chunk_hook(struct mixer *m, mixer_chunk_fn fn, void *ctx);

#endif
