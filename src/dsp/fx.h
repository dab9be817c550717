/*
 * fx.h - a bus's built-in effect: stereo algorithmic reverb, stereo delay
 * or chorus, 100 % wet (the bus is its return).  Pure DSP on plain float
 * buffers: no JACK, no stdio, so tests, the benchmark and jackmixd-render
 * run it offline.
 *
 * Threads:
 *   fx_new, fx_free                     control thread, never while RT runs
 *   fx_set_type, fx_set, fx_jump,
 *   fx_set_tempo                        the RT thread (or a test), or the
 *                                       control thread before RT runs
 *                                       (mixer_new's defaults)
 *   fx_process                          the RT thread only (or a test)
 *
 * Contract:
 * - fx_new allocates, pre-faults and sizes every delay line for max_rate
 *   (the highest rate the daemon accepts), so no rate needs memory later;
 *   it runs at rate.
 * - Every continuous parameter is smoothed inside, so a sweep does not
 *   click; a type change crossfades the old effect out and the new one in.
 * - fx_process never produces NaN/inf for longer than one call after a
 *   NaN/inf input, and costs no more when its input goes silent (no
 *   denormals: tails are flushed to 0 below -400 dBFS, FTZ/DAZ or not).
 */
#ifndef JMX_FX_H
#define JMX_FX_H

#include "params.h"

/* Positions of FX_TYPES (params.h). */
enum fx_type { FX_OFF = 0, FX_REVERB, FX_DELAY, FX_CHORUS };

/* The effect's parameters, in engineering units as in the table
 * (/bus/<a>/fx/...). */
enum fx_param {
	FXP_DECAY_S,     /* reverb RT60 at mid frequencies, s */
	FXP_PREDELAY_MS, /* reverb pre-delay, ms, exact to the sample */
	FXP_DAMP_HZ,     /* reverb and delay: above it decay shortens / echoes darken */
	FXP_LOWCUT_HZ,   /* reverb input high-pass */
	FXP_SIZE,        /* reverb room size 0..1 */
	FXP_WIDTH,       /* reverb stereo width 0..1 */
	FXP_TIME_MS,     /* delay time, ms */
	FXP_FEEDBACK,    /* delay feedback factor 0..0.95 */
	FXP_PINGPONG,    /* delay: echoes alternate L/R (0/1) */
	FXP_SYNC,        /* delay: follow the transport's tempo (0/1) */
	FXP_DIVISION,    /* delay: position in FX_DIVISIONS */
	FXP_RATE_HZ,     /* chorus LFO rate */
	FXP_DEPTH_MS,    /* chorus modulation depth */
	FXP_COUNT
};

/* Ranges and constants the effects share with their callers and tests. */
#define FX_DAMP_OFF_HZ     20000.0 /* damp at or above it: no damping (the top of its range) */
#define FX_PREDELAY_MAX_MS 200.0
#define FX_TIME_MAX_MS     2000.0 /* also the longest synced echo */
#define FX_FEEDBACK_MAX    0.95f
#define FX_DEPTH_MAX_MS    20.0 /* chorus: the delay swings +-depth */
#define FX_CHORUS_BASE_MS  2.0  /* chorus: the shortest delay */
#define FX_XFADE_MS        20.0 /* type changes and new delay times crossfade over it */

struct fx;

struct fx *fx_new(double rate, double max_rate);
void fx_free(struct fx *fx);

void fx_set_type(struct fx *fx, enum fx_type type);
void fx_set(struct fx *fx, enum fx_param p, float v);
/* After fx_set: v is a point of a path computed elsewhere (ramp, lane). */
void fx_jump(struct fx *fx, enum fx_param p);
/* Transport tempo in beats per minute, 0 when the transport gives none
 * (then a synced delay uses its set time). */
void fx_set_tempo(struct fx *fx, float bpm);

/* In to out (may alias), n <= JMX_CHUNK frames. */
void fx_process(struct fx *fx, const float *inl, const float *inr, float *outl, float *outr, unsigned n);

/* Length of division d (position in FX_DIVISIONS) in quarter notes:
 * "1/4" = 1, "1/8d" = 0.75, "1/4t" = 2/3. */
double fx_division_beats(unsigned d);

/* Subnormal floats anywhere in the effect's state (a test's check that
 * tails end in zeros); a test's thread, never while RT runs. */
unsigned long fx_subnormals(const struct fx *fx);

#endif
