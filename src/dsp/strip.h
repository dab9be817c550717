/*
 * strip.h - channel strips, eight audio lanes at a time (structure of
 * arrays): trim/polarity -> delay -> high-pass -> gate -> 4-band EQ ->
 * compressor (gate and compressor detecting their own lane or a key:
 * another channel's signal after trim, strip_key.c), then the composite gains that mix each lane into master,
 * solo and aux bus accumulators (fader, mute, pan, sends).
 *
 * Threads: strip_group_init, strip_lane_assign and strip_group_snap on the
 * control thread (inside mixer_new); everything else on the RT thread (or
 * a test).  No allocation, no I/O.
 *
 * Invariants: a group holds JMX_LANES lanes; unused lanes are silent pads.
 * The two lanes of a stereo channel are adjacent and start on an even lane,
 * so stereo-linked dynamics only ever look at the neighbour inside the same
 * vector.  Smoothed values advance once per JMX_CHUNK frames of absolute
 * time (the mixer aligns chunks to its own frame counter), so the output
 * does not depend on how JACK cuts time into periods.
 */
#ifndef JMX_STRIP_H
#define JMX_STRIP_H

#include <math.h>
#include <stdint.h>

#include "dsp.h"
#include "dsp_biquad.h"
#include "params.h"

#define STRIP_MAX_BUSES 32u

/* Where the strip's filters are designed (strip_lane_set): corner and
 * centre frequencies in 5 Hz .. 0.45 x rate, EQ gains within +-30 dB, Q
 * in 0.05 .. 50, the high-pass a Butterworth (Q = 1/sqrt(2)).  Frequency
 * and Q are smoothed as logarithms, so a filter at rest is designed at
 * exp(strip_lhz(hz)).  response.c uses the same helpers, so the curve a
 * surface draws is the filter that runs. */
#define STRIP_HPF_Q 0.70710678118654752

static inline float strip_clampf(float v, float lo, float hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* ln of the frequency a band or the high-pass is designed at. */
static inline float strip_lhz(float hz, double rate)
{
	return logf(strip_clampf(hz, 5.0f, (float)(0.45 * rate)));
}

/* ln of the Q a band is designed with. */
static inline float strip_lq(float q)
{
	return logf(strip_clampf(q, 0.05f, 50.0f));
}

/* The band type (enum biquad_kind: peak, low shelf, high shelf). */
static inline int strip_eq_type(float v)
{
	return (int)strip_clampf(roundf(v), 0.0f, 2.0f);
}

static inline float strip_eq_db(float db)
{
	return strip_clampf(db, -30.0f, 30.0f);
}

/* Per-lane values smoothed once per chunk (index into cur/prev/tgt). */
enum strip_sm {
	SM_IN,                              /* trim x polarity, linear, signed */
	SM_HPF_MIX,                         /* high-pass wet fraction 0..1 */
	SM_HPF_LHZ,                         /* ln(corner Hz) */
	SM_GATE_MIX,                        /* gate in 0..1 */
	SM_EQ_DB,                           /* effective band gain dB, + band */
	SM_EQ_LHZ = SM_EQ_DB + JMX_BANDS,   /* ln(band Hz), + band */
	SM_EQ_LQ = SM_EQ_LHZ + JMX_BANDS,   /* ln(Q), + band */
	SM_COMP_MIX = SM_EQ_LQ + JMX_BANDS, /* compressor in 0..1 */
	SM_POST,                            /* make-up gain while comp is in, else 1 */
	SM_FADER,                           /* fader x (1 - mute), linear */
	SM_PAN_L,                           /* lane's share of the left side */
	SM_PAN_R,                           /* lane's share of the right side */
	SM_SOLO,                            /* 0..1 */
	SM_MASTER,                          /* feeds the master directly 0..1 (/ch/<n>/master) */
	SM_KEY_MIX,                         /* compressor key's high-pass in 0..1 */
	SM_KEY_LHZ,                         /* ln(its corner Hz) */
	SM_SRC,                             /* playback's share of the input 0..1 */
	SM_COUNT
};

/* Biquads of a strip: the high-pass, the EQ bands and the compressor
 * key's high-pass. */
enum { STRIP_BQ_HPF = 0, STRIP_BQ_EQ = 1, STRIP_BQ_KEY = 1 + JMX_BANDS, STRIP_BQ_N = 2 + JMX_BANDS };

/* The two detectors that can take a key. */
enum { STRIP_KEY_GATE = 0, STRIP_KEY_COMP = 1 };

/* Composite mix gains: which accumulator a lane feeds. */
enum { STRIP_OUT_MASTER = 0, STRIP_OUT_SOLO = 2, STRIP_OUT_BUS = 4 }; /* + 2 per bus */
#define STRIP_MAX_OUT (STRIP_OUT_BUS + 2u * STRIP_MAX_BUSES)

/* Gate and compressor compute their gain once per STRIP_DYN_BLOCK frames
 * (blocks aligned to the chunk) from the peak of the previous block, and
 * interpolate the gain linearly across the block. */
#define STRIP_DYN_BLOCK 4u

/* One biquad over the eight lanes.  The high-pass runs in direct form I
 * (s = x1 x2 y1 y2: its recurrence is one FMA long), the EQ bands in
 * transposed direct form II (s = s1 s2: two states, so four bands fit in
 * the registers together). */
struct strip_bq {
	vf c0[5]; /* b0 b1 b2 a1 a2 at the start of the chunk */
	vf c1[5]; /* at its end; equal to c0 unless the filter moves */
	vf s[4];
};

/* Block-rate dynamics: running peak of the current block, applied gain at
 * its start and end. */
struct strip_dyn {
	vf pk, e0, e1;
};

/* What the control side set for one lane (engineering units). */
struct strip_lane {
	int side; /* 0 mono, 1 left of a stereo pair, 2 right, -1 pad */
	float trim_db;
	int polarity;
	int eq_on;
	int eq_type[JMX_BANDS];      /* type the filter runs now */
	int eq_type_want[JMX_BANDS]; /* type asked for; switched at 0 dB */
	float eq_db[JMX_BANDS];
	int dyn_on;
	float makeup_db;
	float fader_db;
	int mute;
	float pan;
};

struct strip_group {
	vf cur[SM_COUNT];  /* value at the end of the current chunk */
	vf prev[SM_COUNT]; /* value at its start */
	vf tgt[SM_COUNT];
	vi jump[SM_COUNT]; /* lanes whose next step lands on the target */
	/* SM_FADER of the lanes in sw_lanes follows the switch ramp (dsp.h:
	 * mute, unmute, to or from off) instead of smoothing: it started at
	 * sw_from and has done sw_k of its chunks; sw_mute: a mute or unmute
	 * started it; sw_moved: the fader moved since the last chunk */
	vf sw_from;
	unsigned sw_lanes, sw_mute, sw_moved;
	unsigned char sw_k[JMX_LANES];
	vf send_cur[STRIP_MAX_BUSES], send_tgt[STRIP_MAX_BUSES]; /* linear */
	vi send_jump[STRIP_MAX_BUSES];
	vf pre_cur[STRIP_MAX_BUSES], pre_tgt[STRIP_MAX_BUSES]; /* 0 post .. 1 pre */

	vf side_l, side_r; /* pre-fader feed of a lane to the left/right side */
	vi link;           /* all ones on the lanes of stereo channels */

	struct strip_bq bq[STRIP_BQ_N];

	/* gate: linear threshold and floor, one-pole coefficients per block,
	 * hold in frames (+ one block); state: gain and hold counter */
	vf gate_thr, gate_floor, gate_att, gate_rel, gate_hold;
	vf gate_g, gate_h, gate_gmin;
	struct strip_dyn gate;

	/* compressor, levels in log2 units (1 = 6.02 dB), coefficients per
	 * block; state: smoothed reduction */
	vf comp_thr, comp_kh, comp_inv2k, comp_slope, comp_att, comp_rel;
	vf comp_y, comp_ymax;
	struct strip_dyn comp;

	/* meter of the current piece (post-compressor; the post-fader gain is
	 * applied when it is read) and the RMS state */
	vf met_pk, met_ms;

	/* composite mix gains at chunk start and end, per accumulator */
	vf og0[STRIP_MAX_OUT], og1[STRIP_MAX_OUT];
	vf met_g0, met_g1;

	struct strip_lane lane[JMX_LANES];

	/* input delay (strip_key.c): dly holds one line per lane of dly_n +
	 * JMX_CHUNK floats (dly_n a power of two; the first JMX_CHUNK frames
	 * are mirrored after the end, so a piece reads contiguously from any
	 * position), written at dly_w; NULL until strip_delay_attach.  Per
	 * lane the delay read now, the one it fades from and the one asked
	 * for, in frames; a lane in dly_xf fades (xf0 -> xf1 in this chunk,
	 * its chunk xf_k of the switch ramp) */
	float *dly;
	unsigned dly_n, dly_w, dly_max, dly_xf, dly_on;
	unsigned dly_live; /* some lane delays, fades or is asked to: the lines are written */
	unsigned dly_hist; /* frames written to the lines without a break (up to dly_n) */
	int32_t d_cur[JMX_LANES], d_old[JMX_LANES], d_tgt[JMX_LANES];
	float xf0[JMX_LANES], xf1[JMX_LANES];
	unsigned char xf_k[JMX_LANES];

	/* keys (strip_key.c), per detector (STRIP_KEY_*) and lane: the
	 * internal lane (group x 8 + lane) of the key and of its other side
	 * (equal for a mono key); key_ext: lanes keyed by a channel;
	 * key_two: lanes whose key has two sides */
	int32_t key_a[2][JMX_LANES], key_b[2][JMX_LANES];
	unsigned key_ext[2], key_two[2];
	vf keyb_s[4]; /* the key high-pass's state on the second side */

	double rate;
	unsigned buses, nout;
	unsigned sm_active;    /* enum strip_sm bits: values that may move */
	unsigned send_active;  /* bus bits: send level or pre/post may move */
	unsigned idle;         /* nothing moved in the last chunk either */
	unsigned gains_static; /* og0 == og1 in this chunk */
	unsigned type_wait;    /* some EQ band waits at 0 dB to change type */
	unsigned bq_ramp;      /* biquads whose coefficients move in this chunk */
	unsigned bq_dirty;     /* biquads to redesign at the next chunk */
	unsigned run_hpf, run_gate, run_eq, run_comp, run_key;
	unsigned char out_on[STRIP_MAX_OUT]; /* accumulator gets anything */
};

/* Values shared by all groups for one chunk. */
struct strip_chunk {
	float coef;                           /* one-pole step per chunk */
	float afl;                            /* solo AFL fraction 0..1 (1 = AFL) */
	int afl_moved;                        /* afl changed in this chunk */
	float ramp[JMX_CHUNK];                /* (a + 1) / JMX_CHUNK */
	unsigned sw_n;                        /* switch ramp length in chunks (dsp_switch_chunks) */
	float sw_left[JMX_SWITCH_MAX_CHUNKS]; /* dsp_switch_left(k / sw_n), k = 0 .. sw_n */
	float rms_coef[JMX_CHUNK + 1];        /* RMS meter one-pole for n frames */
};

/* Control thread: every lane a pad, every value at its table default
 * once strip_lane_set has been called for the used lanes. */
void strip_group_init(struct strip_group *g, double rate, unsigned buses);

/* Make lane a mono lane (side 0) or one side of a stereo pair (1, 2). */
void strip_lane_assign(struct strip_group *g, unsigned lane, int side);

/* Set one parameter of one lane; id is a P_CH_* id, i2 the band or bus.
 * Non-finite values are ignored. */
void strip_lane_set(struct strip_group *g, unsigned lane, enum param_id id, unsigned i2, float v);

/* The next chunk moves the value(s) that parameter id feeds on lane l
 * straight to the target instead of one smoothing step: a ramp computed
 * elsewhere sets a point on its path every chunk and the chunk
 * interpolates linearly to it. */
void strip_lane_jump(struct strip_group *g, unsigned lane, enum param_id id, unsigned i2);

/* Jump every smoothed value to its target (start-up, tests). */
void strip_group_snap(struct strip_group *g);

/* RT: advance the smoothed values one chunk, redesign moving filters and
 * compute the composite gains of the chunk. */
void strip_chunk_begin(struct strip_group *g, const struct strip_chunk *ck);

/* RT: render frames pos..pos+n-1 of the current chunk through the
 * channel processing (up to the compressor and the meter).  src[l] is the
 * input of lane l at this piece (NULL for a pad); the lane signals are
 * left in x[0..n), frame-major.  tap: NULL, or n vectors that get the
 * lanes after input sanitising, trim and polarity, before the high-pass
 * (the recorder's stems).  pb: NULL, or the playback's lanes like src
 * (NULL for one without): they replace the input on the lanes whose
 * /ch/<n>/source is playback, crossfaded (SM_SRC), with trim and polarity
 * held neutral there (a stem has them already); a lane on playback
 * without a playback signal is silent.  The playback goes through the
 * input delay, the tap and the keys read from the channel as the live
 * input does: the tap carries what the channel plays. */
void strip_process(struct strip_group *g, const struct strip_chunk *ck, const float *const src[JMX_LANES],
                   const float *const pb[JMX_LANES], vf *x, unsigned pos, unsigned n, vf *tap);

/* strip_process in two halves, for keys: strip_input (input, trim,
 * polarity, delay; tap as above; lines: write the piece to the delay
 * lines even if no lane delays, for the keys) of every group, then strip_run (the rest)
 * of every group, grp pointing at all the groups (NULL: no key from
 * another channel), whose delay lines then hold the piece.  So a key from
 * any channel is of the same frames, whatever the order of the groups. */
void strip_input(struct strip_group *g, const struct strip_chunk *ck, const float *const src[JMX_LANES],
                 const float *const pb[JMX_LANES], vf *x, unsigned pos, unsigned n, vf *tap, int lines);
void strip_run(struct strip_group *g, const struct strip_chunk *ck, vf *x, unsigned pos, unsigned n,
               const struct strip_group *grp);

/* ---- strip_key.c: the input delay and the keys ---- */

/* Control thread, before RT runs: lines for delays up to max_frames,
 * buf of strip_delay_floats(max_frames) floats, zeroed and pre-faulted. */
unsigned strip_delay_floats(unsigned max_frames);
void strip_delay_attach(struct strip_group *g, float *buf, unsigned max_frames);

/* Delay of lane l in milliseconds (rounded to whole frames, clamped to
 * the lines); the change crossfades over the switch ramp. */
void strip_delay_set(struct strip_group *g, unsigned l, float ms);

/* RT, from strip_chunk_begin: the crossfades' step for the chunk. */
void strip_delay_chunk(struct strip_group *g, const struct strip_chunk *ck);

/* RT: write the piece's inputs (sanitised; NULL = a pad) into the lines,
 * on lanes with a share of playback (SM_SRC) crossfaded with pb[l]
 * (sanitised; pb or pb[l] NULL: silence), and point dst[l] at n frames
 * of each lane as delayed (a crossfade is rendered into scratch,
 * JMX_CHUNK floats a lane) and now[l] at them undelayed. */
void strip_delay_run(struct strip_group *g, const struct strip_chunk *ck, const float *const src[JMX_LANES],
                     const float *const pb[JMX_LANES], unsigned pos, unsigned n, const float *dst[JMX_LANES],
                     const float *now[JMX_LANES], float *scratch);

/* RT (mixer): lane l's detector `which` (STRIP_KEY_*) reads internal
 * lanes a and b (its other side; = a for a mono key), or its own lane
 * when a < 0. */
void strip_lane_key(struct strip_group *g, unsigned l, unsigned which, int32_t a, int32_t b);

/* RT: the detector signal of `which` for frames pos..pos+n-1 of the
 * chunk (grp: all the groups, their lines written for the piece, or
 * NULL): da[j] (and db[j], the key's other side, when the function
 * returns 2) = the key, or x[j] on lanes keyed by themselves; for the
 * compressor through the key's high-pass where it is in.  Returns 0 when
 * every lane detects its own signal as it is (da, db untouched), 1 or 2. */
int strip_key_detect(struct strip_group *g, const struct strip_group *grp, const struct strip_chunk *ck,
                     unsigned which, const vf *x, unsigned pos, unsigned n, vf *da, vf *db);

/* The groups that feed one accumulator, those with static gains first. */
struct strip_mix_list {
	unsigned n_static, n_ramp;
	uint16_t *idx; /* room for every group */
};

/* RT, once per chunk after strip_chunk_begin of every group: lists[o]
 * for each of the nout accumulators. */
void strip_mix_plan(const struct strip_group *grp, unsigned ngroups, unsigned nout,
                    struct strip_mix_list *lists);

/* RT: accumulator o (STRIP_OUT_*) for frames pos..pos+n-1 of the chunk:
 * out[j] = sum over the listed groups and their lanes of the lane signal
 * times its composite gain.  xall holds each group's x, JMX_CHUNK vectors
 * apart. */
void strip_mix(const struct strip_group *grp, const vf *xall, const struct strip_chunk *ck,
               const struct strip_mix_list *ml, unsigned o, float *out, unsigned pos, unsigned n);

/* RT: meters of lane l for the last piece, kept linear so that the RT
 * thread needs no logarithm: post-fader peak, mean square (RMS meter
 * state), gate reduction as 1/gain (>= 1), compressor reduction in dB. */
struct strip_meter {
	float peak, ms, gate_inv, comp_db;
};
void strip_meter_read(const struct strip_group *g, unsigned lane, struct strip_meter *out);

/* Vector helpers, also used by mixer.c (no vf passed by value across a
 * function boundary here, so no ABI dependence on the target clone). */
#define vf_set1(a) ((vf){(a), (a), (a), (a), (a), (a), (a), (a)})

static inline float vf_hsum(const vf *v)
{
	float s = 0.0f;
	for (unsigned i = 0; i < JMX_LANES; i++)
		s += (*v)[i];
	return s;
}

#endif
