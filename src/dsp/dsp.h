/*
 * dsp.h - shared DSP vocabulary: the lane vector type, chunk size, dB and
 * fader-law helpers, smoothing constants, denormal and NaN guards.
 *
 * Threads: everything here is pure and RT-safe (no allocation, no I/O); any
 * thread may call it.  Nothing here knows about JACK.
 *
 * Invariants: the mixer renders in chunks of at most JMX_CHUNK frames, so
 * scratch memory never depends on JACK's period and parameter smoothing
 * advances at a fixed rate whatever the period is.  Channel strips run
 * JMX_LANES audio lanes in lock-step (structure of arrays), one vector op
 * per stage per sample for the whole group.
 */
#ifndef JMX_DSP_H
#define JMX_DSP_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JMX_CHUNK      64u   /* frames per render chunk */
#define JMX_LANES      8u    /* lanes per strip group (one AVX vector) */
#define JMX_MAX_FRAMES 8192u /* largest JACK period we accept */
#define JMX_BANDS      4u    /* parametric EQ bands */

/* Parameter smoothing: every smoothed value moves towards its target by
 * a one-pole step once per chunk, and gains are linearly interpolated
 * inside the chunk.  Time constant in milliseconds. */
#define JMX_SMOOTH_TAU_MS 10.0
/* Mute, unmute and a fader sent to or brought back from off do not
 * smooth (a one-pole never arrives: -60 dB after 69 ms, exact 0 after
 * 116 ms): the gain follows a fixed raised-cosine ramp from where it is,
 *   g(u) = to + (from - to) * (1 + cos(pi u)) / 2,   u = 0 .. 1,
 * over JMX_SWITCH_MS, and lands exactly on its end (exact 0 for a mute).
 * Its steepest slope, at u = 1/2, is pi / 2 of the jump per ramp length.
 * The strips and buses step it once per chunk (whole chunks, at least
 * the ramp's length: dsp_switch_chunks), the master once per call. */
#define JMX_SWITCH_MS         5.0
#define JMX_SWITCH_MAX_CHUNKS 64u /* table size; 5 ms at 768 kHz is 60 chunks */

/* Ramp length in frames at this rate (at least 1). */
static inline unsigned dsp_switch_frames(double rate)
{
	long n = lround(JMX_SWITCH_MS * 0.001 * rate);
	return n < 1 ? 1u : (unsigned)n;
}

/* Ramp length in whole chunks: the frames rounded up, at most the table. */
static inline unsigned dsp_switch_chunks(double rate)
{
	unsigned k = (dsp_switch_frames(rate) + JMX_CHUNK - 1) / JMX_CHUNK;
	return k < JMX_SWITCH_MAX_CHUNKS ? k : JMX_SWITCH_MAX_CHUNKS - 1;
}

/* The part of the jump still to go at fraction u of the ramp: 1 at 0,
 * exactly 0 from 1 on. */
static inline float dsp_switch_left(double u)
{
	return u >= 1.0 ? 0.0f : u <= 0.0 ? 1.0f : (float)(0.5 * (1.0 + cos(3.14159265358979323846 * u)));
}

/* Input samples are clamped to this magnitude after NaN/inf removal so
 * that no finite-but-absurd value can overflow filter state. */
#define JMX_INPUT_LIMIT 1000.0f
/* "-inf" for faders and sends: at or below this dB value the gain is 0. */
#define JMX_DB_OFF -90.0f

typedef float vf __attribute__((vector_size(JMX_LANES * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(JMX_LANES * sizeof(int32_t))));

/* Runtime dispatch of the hot loops: a portable SSE2 baseline plus an
 * AVX2+FMA clone chosen by the loader (GCC/clang ifunc).  Disabled with
 * --enable-native, where the compiler already targets this CPU. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(JMX_NATIVE) && !defined(__SANITIZE_ADDRESS__) &&    \
    !defined(JMX_NO_CLONES) &&                                                                               \
    !(defined(__clang__) && __clang_major__ < 15) /* clang 14 cannot link the clones */
#define JMX_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define JMX_HOT
#endif

static inline float dsp_db2lin(float db)
{
	return db <= JMX_DB_OFF ? 0.0f : powf(10.0f, db * 0.05f);
}

static inline float dsp_lin2db(float lin)
{
	return lin > 1e-9f ? 20.0f * log10f(lin) : -180.0f;
}

/* One-pole per-chunk smoothing coefficient for a chunk of n frames. */
static inline float dsp_smooth_coef(double rate, unsigned n)
{
	return (float)(1.0 - exp(-(double)n / (JMX_SMOOTH_TAU_MS * 0.001 * rate)));
}

/* Behringer X32 four-segment fader law: normalised 0..1 <-> dB.
 * 0.75 = 0 dB, 1 = +10 dB, 0 = -inf (JMX_DB_OFF). */
static inline float dsp_fader_to_db(float f)
{
	if (f <= 0.0f)
		return JMX_DB_OFF;
	if (f >= 1.0f)
		return 10.0f;
	if (f >= 0.5f)
		return 40.0f * f - 30.0f;
	if (f >= 0.25f)
		return 80.0f * f - 50.0f;
	if (f >= 0.0625f)
		return 160.0f * f - 70.0f;
	return 480.0f * f - 90.0f;
}

static inline float dsp_db_to_fader(float db)
{
	if (db <= JMX_DB_OFF)
		return 0.0f;
	if (db >= 10.0f)
		return 1.0f;
	if (db >= -10.0f)
		return (db + 30.0f) / 40.0f;
	if (db >= -30.0f)
		return (db + 50.0f) / 80.0f;
	if (db >= -60.0f)
		return (db + 70.0f) / 160.0f;
	return (db + 90.0f) / 480.0f;
}

/* Flush denormals to zero on the calling thread (x86 MXCSR FTZ|DAZ,
 * AArch64 FPCR.FZ).  Cheap enough to call once per process cycle. */
static inline void dsp_denormals_off(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int csr;
	__asm__ volatile("stmxcsr %0" : "=m"(csr));
	if ((csr & 0x8040u) != 0x8040u) {
		csr |= 0x8040u;
		__asm__ volatile("ldmxcsr %0" : : "m"(csr));
	}
#elif defined(__aarch64__)
	uint64_t fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	fpcr |= (1ull << 24);
	__asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#endif
}

/* Scalar NaN/inf scrub for filter state. */
static inline float dsp_finite_or_zero(float x)
{
	return isfinite(x) ? x : 0.0f;
}

/* Control thread, before the RT thread runs: n bytes (at least 64),
 * cache-line aligned and zeroed, which also pre-faults them, for memory
 * the audio thread will touch (the mixer's and the buses' state); NULL
 * when out of memory.  free() releases it. */
static inline void *dsp_alloc_rt(size_t n)
{
	void *p = NULL;
	if (n == 0)
		n = 64;
	if (posix_memalign(&p, 64, n) != 0)
		return NULL;
	memset(p, 0, n);
	return p;
}

#endif
