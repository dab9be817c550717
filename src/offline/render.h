/*
 * render.h - a mix of stems offline (jackmixd-render): the daemon's own
 * audio period (rtcycle_run over the mixer) run on audio files as fast as
 * the CPU goes, the console's settings from a state or scene file read by
 * the daemon's parser (snapshot.c) and applied through the model and its
 * queue, automation lanes played by the daemon's automation (autoplay)
 * along a transport, and the outputs written by the recorder's own file
 * code (recfile.c: formats, TPDF dither, BWF bext with the loudness of
 * loudness.c).
 *
 * Inputs: a take's stems (NAME.stems.EXT: one channel per input lane;
 * NAME.chNN.EXT: channel NN) enter where they were tapped, after trim and
 * polarity: those channels' trim and polarity (and their lanes) are held
 * neutral, so the stems are not trimmed twice.  Any other file feeds a
 * channel as its live input would ("N=FILE": a mono file a mono channel,
 * a stereo one a stereo channel), trim and polarity included.
 *
 * Threads: one (the program's, or a test's); it plays the control, RT and
 * disk roles in turn, as tests/sim.c does.
 */
#ifndef JMX_RENDER_H
#define JMX_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "recorder.h"

#define RENDER_MAX_INPUTS 512u
#define RENDER_SETTLE     65536u /* frames of silence before frame 0: smoothing snaps to its targets */
#define RENDER_PERIOD     1024u  /* frames a period */

struct render_config {
	unsigned mono, stereo, buses;
	const char *state;         /* state or scene file; NULL: every parameter at its default */
	const char *const *inputs; /* "FILE" (a take's stems) or "N=FILE" */
	unsigned ninputs;
	const char *out;     /* the master, stereo */
	const char *bus_dir; /* bus_01.EXT ... there, or NULL */
	enum recorder_format format;
	enum recorder_sample sample;
	double start_s;  /* transport position of the inputs' first frame */
	unsigned period; /* 0: RENDER_PERIOD */
	/* called now and then with the share done (0..1), or NULL */
	void (*progress)(void *ctx, double done);
	void *ctx;
};

struct render_result {
	unsigned rate;
	uint64_t frames;  /* of every output (= the longest input) */
	unsigned latency; /* master delay compensated (mixer_latency) */
	double cpu_s;     /* CPU time of the whole run (reading, mixing, writing) */
	float lufs, tp;   /* the master's integrated loudness and true peak */
};

/* 0, or -1 with a clear reason in err (nothing is left under out or in
 * bus_dir then). */
int render_run(const struct render_config *c, struct render_result *res, char *err, size_t errlen);

#endif
