/*
 * loudness.h - EBU R128 / ITU-R BS.1770 loudness of the master with
 * libebur128 in histogram mode (bounded memory however long it runs):
 * momentary, short-term, integrated, loudness range, true peak, and the
 * maxima of momentary and short-term since the last reset.
 *
 * Threads:
 *   loudness_new, loudness_free     any non-RT thread, never concurrently
 *                                   with the others
 *   loudness_add, loudness_reset,
 *   loudness_compute                the disk thread only (the one feeder)
 *   loudness_get,
 *   loudness_request_reset          any non-RT thread (atomics)
 *
 * Never called from the RT thread: libebur128 filters and allocates.
 *
 * Invariants: published values are updated at every 100 ms block boundary
 * of the audio fed (momentary, short-term, true peak, maxima) and every
 * tenth boundary (integrated, range), so a reader sees values at most
 * 100 ms (1 s) behind the audio the feeder has seen.  Values below what
 * can be measured (silence, an integration still empty) read as
 * LOUDNESS_FLOOR, never -inf or NaN; the range reads 0 until defined.
 */
#ifndef JMX_LOUDNESS_H
#define JMX_LOUDNESS_H

#include <stddef.h>

#define LOUDNESS_FLOOR -120.0f

struct loudness_values {
	float m;     /* momentary (400 ms), LUFS */
	float s;     /* short-term (3 s), LUFS */
	float i;     /* integrated since reset, LUFS */
	float lra;   /* loudness range since reset, LU */
	float tp;    /* maximum true peak since reset, dBTP */
	float max_m; /* maximum momentary since reset, LUFS */
	float max_s; /* maximum short-term since reset, LUFS */
};

struct loudness;

/* NULL on failure (out of memory, unsupported rate or channel count). */
struct loudness *loudness_new(unsigned rate, unsigned channels);
void loudness_free(struct loudness *l);

/* Feed n interleaved frames.  Performs a requested reset first. */
void loudness_add(struct loudness *l, const float *frames, size_t n);
/* Start a new integration now. 0, or -1 when out of memory (the meter then
 * reads the floor until the next successful reset). */
int loudness_reset(struct loudness *l);
/* Compute every value from the audio fed so far (not only at the last
 * block boundary) and publish them. */
void loudness_compute(struct loudness *l, struct loudness_values *v);

/* The last published values. */
void loudness_get(const struct loudness *l, struct loudness_values *v);
/* Ask the feeder to reset before it adds more audio. */
void loudness_request_reset(struct loudness *l);

#endif
