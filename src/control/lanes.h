/*
 * lanes.h - automation lanes as data: for every automatable parameter
 * instance a mode and a list of (transport frame, value) points; thinning
 * of recorded points, merging a recorded pass into a lane, evaluation,
 * and the lines lanes take in state files and scenes.  No JACK, no OSC, no
 * RT thread here (automation.c drives them; autoplay.c plays copies).
 *
 * Threads: control thread only (and the offline tests and the state-file
 * fuzzer, single-threaded).
 *
 * Automatable: param_automatable() (params.h): every parameter the audio
 * thread renders.  Their automation addresses hang off a base path
 * (param_auto_base): the unit path without its unit when that is the
 * normalised path ("/ch/<n>/fader" for "/ch/<n>/fader/db"), else the
 * unit path ("/ch/<n>/eq/<b>/hz", "/ch/<n>/mute").
 *
 * Text (part of the state-file format, see snapshot.h):
 *   /automation/rate 48000               frames below are at this rate
 *   /ch/1/fader/auto read                mode: off read write touch latch
 *   /ch/1/fader/auto/point 96000 -6.5    a point: frame, value in units
 * Points of a lane are in strictly increasing frame order, values finite,
 * in range, whole for switches and enums.  A lane without a mode line is
 * off; a mode line without points is an empty lane in that mode.
 *
 * Thinning: Ramer-Douglas-Peucker on the values along the taper with a
 * vertical tolerance per unit (lanes_tolerance): 0.1 dB for dB values,
 * 0.4 % (0.006 octave) for log-tapered ones, 1/1000 of the range
 * otherwise (half the 0.2 dB a pass must be played back within, and
 * about the ripple of a smoothed surface staircase, which is what makes
 * rides thin); switches and enums keep only their changes.
 *
 * Invariants: every lane's frames strictly increase and its values are in
 * the parameter's range; a lane never has more than LANES_MAX_POINTS.
 */
#ifndef JMX_LANES_H
#define JMX_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "params.h"

#define LANES_MAX_POINTS 1000000u
#define LANES_PATH_MAX   128u

struct lanes_lane {
	uint32_t *frame;
	float *value; /* engineering units */
	unsigned n, cap;
	unsigned char mode; /* enum autoplay_mode */
};

struct lanes {
	struct param_shape shape;
	unsigned nflat;
	unsigned off[P_COUNT + 1];
	double rate;             /* the frames' sample rate; 0 = not known */
	struct lanes_lane *lane; /* per instance, numbered as in params.h */
	/* parser state */
	unsigned char *seen_mode;
	unsigned last_flat; /* instance of the last point line, for order */
	int have_last;
	char last_base[LANES_PATH_MAX];
	unsigned last_base_len;
};

struct lanes *lanes_new(const struct param_shape *shape);
void lanes_free(struct lanes *L);

/* Thinning tolerance along the taper (see above); 0 for switches. */
float lanes_tolerance(enum param_id id);
/* Switches and enums hold their points instead of interpolating. */
int lanes_step(enum param_id id);

const char *lanes_mode_name(unsigned mode);
/* Mode by name: 0..4, or -1. */
int lanes_mode_parse(const char *s);

/* Instance numbering (as params.h and the model).  lanes_flat: -1 for
 * indices outside the shape. */
long lanes_flat(const struct lanes *L, enum param_id id, unsigned i1, unsigned i2);
void lanes_unflat(const struct lanes *L, unsigned flat, enum param_id *id, unsigned *i1, unsigned *i2);

/* Base address of an instance of an automatable parameter
 * ("/ch/3/fader", see param_auto_base). */
void lanes_base_path(enum param_id id, unsigned i1, unsigned i2, char *buf, size_t len);

/* Value (engineering units) of a lane at frame, along the taper; NAN for
 * an empty lane. */
float lanes_eval(const struct lanes *L, unsigned flat, uint32_t frame);

/* Replace a lane's points by a copy of f/v (n strictly increasing frames):
 * 0, or -1 (memory, too many points). */
int lanes_set_points(struct lanes *L, unsigned flat, const uint32_t *f, const float *v, unsigned n);
void lanes_clear_points(struct lanes *L, unsigned flat);
/* Copy one lane (mode and points) from src (same shape). */
int lanes_copy_lane(struct lanes *dst, unsigned flat, const struct lanes *src);

/* Thin n points in place (the first and last are kept); returns the new
 * count. */
unsigned lanes_thin(enum param_id id, uint32_t *f, float *v, unsigned n);

/* A recorded segment (n >= 1 points, increasing frames) replaces the
 * lane between its first and last frame.  Where the lane had points, two
 * guard points join the old line: guard_in frames before the segment and
 * guard_out frames after it, at the old lane's values there (the old
 * line is kept outside).  0, or -1 (memory, too many points). */
int lanes_merge(struct lanes *L, unsigned flat, const uint32_t *f, const float *v, unsigned n,
                uint32_t guard_in, uint32_t guard_out);

/* Frames at another sample rate (a state saved at 44.1 kHz loaded at
 * 48 kHz): scale every lane; points that land on the same frame keep the
 * last one. */
void lanes_rescale(struct lanes *L, double rate);

/* Any lane with a mode or points? */
int lanes_any(const struct lanes *L);

/* One line of a state file (without its newline, leading blanks
 * skipped): 1 when it was a lanes line and was taken, 0 when it is not
 * a lanes line, -1 when it is one but wrong (reason in err). */
int lanes_parse_line(struct lanes *L, const char *line, size_t len, char *err, size_t errlen);

/* Every lane with a mode or points, as lines (without newlines), in
 * parameter table order; nothing at all when there is no lane. */
typedef void (*lanes_emit_fn)(void *ctx, const char *line);
void lanes_format(const struct lanes *L, lanes_emit_fn emit, void *ctx);

#endif
