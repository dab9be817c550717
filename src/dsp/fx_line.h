/*
 * fx_line.h - the building blocks of the bus effects (fx.c): delay lines
 * that read back silence until written since their last reset, a
 * crossfading pair of taps for delay times that change while signal plays,
 * and the flush that keeps recirculating state out of the denormal range.
 *
 * Threads: fx_line_new, fx_line_free on the control thread (from fx_new,
 * fx_free); everything inline here on the RT thread (or a test).
 * fx_line_subnormals from a test, never while RT runs.
 *
 * Invariants:
 * - A line's buffer is a power of two long, allocated and pre-faulted by
 *   fx_line_new for the highest rate; nothing later allocates.
 * - Reset is O(1): fill counts the samples written since, and a tap
 *   further back than fill reads 0, so an effect switched on never plays
 *   the stale tail of its last use and RT never clears megabytes.
 * - Tap semantics: before sample n is written, fx_line_tap(l, d) is the
 *   sample n - d (d >= 1).  An echo "exactly D samples later" is a tap of
 *   D read before the write of the same frame.
 */
#ifndef JMX_FX_LINE_H
#define JMX_FX_LINE_H

#include <math.h>
#include <stddef.h>

struct fx_line {
	float *buf;
	unsigned mask; /* length - 1 (a power of two) */
	unsigned w;    /* where the next sample goes (wraps through mask) */
	unsigned fill; /* samples written since reset, at most mask + 1 */
};

/* Room for taps up to max_delay samples back. 0 or -1 (out of memory). */
int fx_line_new(struct fx_line *l, size_t max_delay);
void fx_line_free(struct fx_line *l);
/* Subnormal floats in the line's buffer (a test's check). */
unsigned long fx_line_subnormals(const struct fx_line *l);

static inline void fx_line_reset(struct fx_line *l)
{
	l->fill = 0;
}

/* Values under 1e-20 (-400 dBFS) become exactly 0, so a decaying tail
 * reaches 0 long before it could reach the subnormal range (1.2e-38),
 * with or without FTZ/DAZ.  A dead zone (not a rounding like
 * (x + c) - c, whose quantisation lets a lossy loop hang in a limit
 * cycle of a few thousand quanta for ever): a loop that loses energy
 * every pass ends in exact zeros.  A compare and a select, no branch. */
static inline float fx_flush(float x)
{
	return fabsf(x) < 1e-20f ? 0.0f : x;
}

static inline void fx_line_put(struct fx_line *l, float x)
{
	l->buf[l->w & l->mask] = x;
	l->w++;
	l->fill += l->fill <= l->mask;
}

/* Sample n - d before sample n is written; 0 if not written since reset. */
static inline float fx_line_tap(const struct fx_line *l, unsigned d)
{
	return d <= l->fill ? l->buf[(l->w - d) & l->mask] : 0.0f;
}

/* Whether the line has been written all round since its reset: then
 * every tap is valid and the _full variants below skip the fill count
 * (the reverb's hot loop runs a checked and an unchecked copy). */
static inline int fx_line_full(const struct fx_line *l)
{
	return l->fill > l->mask;
}

static inline void fx_line_put_full(struct fx_line *l, float x)
{
	l->buf[l->w & l->mask] = x;
	l->w++;
}

static inline float fx_line_tap_full(const struct fx_line *l, unsigned d)
{
	return l->buf[(l->w - d) & l->mask];
}

/* Fractional tap (linear): exact when d has no fraction. */
static inline float fx_line_tapf(const struct fx_line *l, float d)
{
	unsigned i = (unsigned)d;
	float f = d - (float)i, a = fx_line_tap(l, i), b = fx_line_tap(l, i + 1);
	return a + f * (b - a);
}

/* Fractional tap, cubic Hermite (Catmull-Rom) through 4 points: for the
 * chorus, whose delay always moves. d >= 2. */
static inline float fx_line_taph(const struct fx_line *l, float d)
{
	unsigned i = (unsigned)d;
	float f = d - (float)i;
	float xm = fx_line_tap(l, i - 1), x0 = fx_line_tap(l, i), x1 = fx_line_tap(l, i + 1),
	      x2 = fx_line_tap(l, i + 2);
	float c1 = 0.5f * (x1 - xm), c2 = xm - 2.5f * x0 + 2.0f * x1 - 0.5f * x2,
	      c3 = 0.5f * (x2 - xm) + 1.5f * (x0 - x1);
	return ((c3 * f + c2) * f + c1) * f + x0;
}

/*
 * A delay time that changes while signal plays: two integer taps and a
 * linear crossfade over len frames from the old time to the new.  A new
 * time that arrives during a crossfade waits for its end (the latest one
 * wins), so a sweep moves in steps of one crossfade and never jumps.
 * Bound on the step it adds to a signal of peak A: 2 A / len a frame.
 */
struct fx_xtap {
	unsigned d;    /* the time playing (samples) */
	unsigned next; /* the time faded to while pos < len */
	unsigned want; /* the latest time asked for */
	unsigned pos, len;
};

static inline void fx_xtap_init(struct fx_xtap *x, unsigned len, unsigned d)
{
	x->d = x->next = x->want = d;
	x->len = len;
	x->pos = len;
}

/* Once per chunk: start a crossfade to the latest time if none runs. */
static inline void fx_xtap_chunk(struct fx_xtap *x)
{
	if (x->pos >= x->len && x->want != x->d) {
		x->next = x->want;
		x->pos = 0;
	}
}

/* The next frame's fade: gain of the new tap (0 when none runs). */
static inline float fx_xtap_step(struct fx_xtap *x)
{
	if (x->pos >= x->len)
		return 0.0f;
	float a = (float)(x->pos + 1) / (float)x->len;
	if (++x->pos == x->len)
		x->d = x->next;
	return a >= 1.0f ? 0.0f : a;
}

/* Read through the pair; a from fx_xtap_step of this frame. */
static inline float fx_xtap_read(const struct fx_xtap *x, const struct fx_line *l, float a)
{
	float y = fx_line_tap(l, x->d);
	return a > 0.0f ? y + a * (fx_line_tap(l, x->next) - y) : y;
}

#endif
