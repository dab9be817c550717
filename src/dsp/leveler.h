/*
 * leveler.h - the master's live leveler: a slow, gated short-term-loudness
 * leveler for streams and long live sets.  It measures the short-term
 * loudness of its own input (ITU-R BS.1770 K-weighting, 3 s window in
 * 100 ms blocks, computed here: no libebur128 on the RT thread) and moves
 * a gain towards target - loudness, within +-range dB and never faster
 * than speed dB/s.  Blocks below the gate (target - range - 10 LU, and
 * always below -70 LUFS) are taken as silence or noise and left out of
 * the window; with less than 1 s above the gate in it the gain holds
 * instead of pumping the noise up.
 *
 * Threads: leveler_init on the control thread (master_new); leveler_set,
 * leveler_process and leveler_gain_db on the RT thread (master.c).  No
 * allocation: the state is a plain struct embedded in struct master.
 *
 * Invariants: off and settled, leveler_process is a bit-exact identity and
 * the state is reset (a leveler switched in starts at 0 dB from an empty
 * window); on and off crossfade over the parameter smoothing time.
 */
#ifndef JMX_LEVELER_H
#define JMX_LEVELER_H

#include "params.h"

#define LEVELER_BLOCKS 30u /* 100 ms blocks in the 3 s short-term window */

struct leveler {
	double rate;
	double k[2][5];    /* K-weighting: shelf, then high-pass: b0 b1 b2 a1 a2 */
	double z[2][2][4]; /* [channel][stage]: x1 x2 y1 y2 (DF1) */
	double blk_sum;    /* sum of K-weighted squares of the block so far */
	unsigned blk_n, blk_len;
	double ring[LEVELER_BLOCKS]; /* mean square (both channels summed) of each block */
	unsigned rpos, filled;       /* filled: blocks above the gate in the window */
	float target, range, speed;
	float mix, mix_tgt;      /* crossfade of the on switch */
	double gain_db, want_db; /* now, and where it is going */
	float loud;              /* last short-term loudness, LUFS (-inf before a full window) */
};

void leveler_init(struct leveler *lv, double rate);
/* P_MASTER_LEVELER_*; others are ignored.  Values already clamped. */
void leveler_set(struct leveler *lv, enum param_id id, float value);
/* In place; c is the per-call smoothing coefficient (dsp_smooth_coef). */
void leveler_process(struct leveler *lv, float *l, float *r, unsigned n, float c);
/* The gain applied now, dB (0 when off). */
float leveler_gain_db(const struct leveler *lv);

#endif
