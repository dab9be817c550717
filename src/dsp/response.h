/*
 * response.h - the curves a surface draws, computed from the DSP's own
 * design code: the magnitude response of a channel's high-pass and EQ or
 * of the master EQ, and the static curve of a compressor.
 *
 * Threads: pure functions of their arguments; any thread (the control
 * thread calls them for /ch/<n>/eq/response and friends).  No allocation,
 * no I/O.
 *
 * Invariants: a curve is that of the filter the audio thread runs once
 * its smoothing has settled on the same values: the same clamps (strip.h
 * helpers, the parameter table), the same biquad_design with its float
 * coefficients, the same static curve comp_gr_db; only the evaluation of
 * |H| (double, exact formula) is this file's own.
 */
#ifndef JMX_RESPONSE_H
#define JMX_RESPONSE_H

#include "dsp.h"

/* The fixed frequency grid of the replies: RESPONSE_POINTS frequencies,
 * log-spaced from RESPONSE_HZ_LO to RESPONSE_HZ_HI inclusive (ten points
 * an octave, about: 1000^(1/63) = 1.116, 0.16 octave apart). */
#define RESPONSE_POINTS 64u
#define RESPONSE_HZ_LO  20.0
#define RESPONSE_HZ_HI  20000.0

/* The fixed input grid of compressor curves: RESPONSE_DYN_POINTS input
 * levels from RESPONSE_DYN_LO to RESPONSE_DYN_HI dBFS in 1 dB steps. */
#define RESPONSE_DYN_POINTS 81u
#define RESPONSE_DYN_LO     -80.0
#define RESPONSE_DYN_HI     0.0

/* Input level of compressor grid point i (0 .. RESPONSE_DYN_POINTS - 1),
 * dBFS. */
double response_dyn_grid_db(unsigned i);

/* Which chain's design rules apply: the channel strip (strip.c; with its
 * high-pass) or the master EQ (master.c). */
enum response_chain { RESPONSE_STRIP, RESPONSE_MASTER };

/* An EQ as the model holds it (engineering units, the parameter table's
 * values; out-of-range values are clamped as the DSP clamps them). */
struct response_eq {
	int on;                /* /ch/<n>/eq/on, /master/eq/on */
	float type[JMX_BANDS]; /* 0 peak, 1 lshelf, 2 hshelf */
	float hz[JMX_BANDS], db[JMX_BANDS], q[JMX_BANDS];
	int hpf_on; /* strip only: /ch/<n>/hpf/on */
	float hpf_hz;
};

/* Frequency of grid point i (0 .. RESPONSE_POINTS - 1), Hz. */
double response_grid_hz(unsigned i);

/* Magnitude in dB at the n frequencies hz[] (any, in Hz) for sample rate
 * rate: the product of the high-pass (strip, when on) and the four bands
 * (when the EQ is on).  A frequency above rate / 2 is evaluated at
 * rate / 2.  Values are floored at -200 dB. */
void response_eq_db(const struct response_eq *eq, enum response_chain chain, double rate, const double *hz,
                    unsigned n, float *db);

/* A compressor as the model holds it. */
struct response_comp {
	int on;
	float thr, ratio, knee, makeup; /* dB, n:1, dB, dB */
};

/* Static curve: output level in dB for the n input levels in_db[] (the
 * detector's level: the peak level of a steady sine).  Off: the identity;
 * on: input - comp_gr_db(...) + make-up. */
void response_comp_db(const struct response_comp *c, enum response_chain chain, const double *in_db,
                      unsigned n, float *out_db);

#endif
