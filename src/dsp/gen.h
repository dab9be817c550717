/*
 * gen.h - the console's oscillator: a sine from a phase accumulator in
 * double (sin() of the exact phase: no recursion to drift, THD set by
 * float output rounding, below -140 dB), white noise from a seeded
 * xorshift generator, and pink noise from white through Paul Kellet's
 * "refined" filter (seven one-poles, within 0.05 dB of -3.01 dB/octave
 * from 9 Hz up at 44.1 kHz; tests/test_gen.c measures it).
 *
 * Signals come out at unit level: a sine of peak 1, noise of RMS
 * 1/sqrt(2), the RMS of that sine (AES17: a noise of "-20 dBFS" has the
 * RMS of a -20 dBFS sine).  The mixer scales them and routes them.
 *
 * Threads: gen_init on any thread before the RT thread runs (it only
 * fills the struct); gen_set_hz and gen_run on the RT thread (or a test).
 * Deterministic: the same seed gives the same noise on every run.
 */
#ifndef JMX_GEN_H
#define JMX_GEN_H

#include <stdint.h>

enum gen_type { GEN_SINE = 0, GEN_PINK = 1, GEN_WHITE = 2 };

struct gen {
	double rate;
	double phase, dphase; /* cycles, [0, 1) */
	uint64_t rng;
	float b[7];      /* Kellet's filter state */
	float pink_norm; /* scales its output to RMS 1/sqrt(2) */
	float white_norm;
};

void gen_init(struct gen *g, double rate, uint64_t seed);
void gen_set_hz(struct gen *g, double hz);
/* n frames of signal type at unit level into out[] */
void gen_run(struct gen *g, enum gen_type type, float *out, unsigned n);

#endif
