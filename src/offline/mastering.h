/*
 * mastering.h - the master chain offline: the daemon's own src/dsp/master.c
 * (EQ, glue compressor, width, fader, true-peak limiter) run over a file
 * faster than real time, with libebur128 measuring what comes out.  One
 * pass reads a track, optionally runs the chain at a given loudness gain
 * (the drive) and limiter ceiling, optionally writes the result, and
 * measures it: integrated loudness, loudness range, true peak, the
 * limiter's largest gain reduction, correlation, mono loss, and momentary
 * and short-term loudness every 100 ms for a plot.  jackmixd-master
 * iterates passes to a target; jackmixd-render can run its mix's master
 * the same way.
 *
 * Threads: the program's one thread (master.c's RT functions are called
 * here offline, single-threaded, which their contract allows).
 */
#ifndef JMX_MASTERING_H
#define JMX_MASTERING_H

#include <stddef.h>

#include "audiofile.h"
#include "dsp.h"
#include "params.h"

struct master;

/* The chain's settings: a value for every /master/ parameter instance. */
struct mastering_chain {
	float v[P_COUNT][JMX_BANDS];
};

/* The table's defaults. */
void mastering_chain_defaults(struct mastering_chain *c);
/* The /master/... values of a state or scene file (snapshot.c's parser,
 * its checks and its defaults for what the file does not say); the rest
 * of the file is checked but not used.  0, or -1 with "file:line: why". */
int mastering_chain_load(struct mastering_chain *c, const char *path, char *err, size_t errlen);
/* "PATH=VALUE" for one /master/ parameter, validated as a state file's
 * line would be.  0, or -1 with why. */
int mastering_chain_assign(struct mastering_chain *c, const char *assign, char *err, size_t errlen);
/* Set every value on a chain (then master_settle). */
void mastering_chain_apply(const struct mastering_chain *c, struct master *ms);

/* Momentary and short-term loudness (LUFS) and the block's true peak
 * (dBTP) of every 100 ms block. */
struct mastering_series {
	float *m, *s, *tp;
	size_t n, cap;
};
void mastering_series_free(struct mastering_series *s);

struct mastering_stats {
	double i, lra, tp; /* LUFS, LU, dBTP (-inf for silence) */
	double max_gr;     /* dB, the limiter's largest reduction (0 when measuring only) */
	double corr;       /* L/R correlation, -1..1 (1 for mono) */
	double mono_loss;  /* dB lost by the mono fold-down (L+R)/2 against the stereo power */
	double seconds;    /* audio length */
	void *ebur;        /* the ebur128_state, for album values; mastering_stats_free */
};
void mastering_stats_free(struct mastering_stats *st);

struct mastering_pass {
	struct audiofile *in;
	struct audiofile_info info;
	const struct mastering_chain *chain; /* NULL: measure the input as it is */
	float drive_db, ceiling_db;          /* with a chain: loudness gain, limiter ceiling */
	struct audiofile *out;               /* NULL: do not write */
	struct mastering_series *series;     /* NULL: no series */
};

/* One pass from frame 0 of p->in (rewound here).  The output is the same
 * length as the input, aligned: the limiter's latency is taken out.
 * 0, or -1 with why (st is then empty). */
int mastering_run(const struct mastering_pass *p, struct mastering_stats *st, char *err, size_t errlen);

/* Integrated loudness and range of several tracks as one programme
 * (libebur128's _multiple functions): an album.  LUFS, LU. */
void mastering_album(struct mastering_stats *const *tracks, unsigned n, double *i, double *lra);

#endif
