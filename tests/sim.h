/*
 * sim.h - the console in-process, without a JACK server: the real audio
 * period (rtcycle_run, what the daemon's JACK callback runs) on plain
 * buffers, driven by a simulated clock and transport, and fed by the
 * real control side wired as main.c wires it: the model and its queue,
 * the OSC dispatcher (packets built with liblo go through osc_dispatch,
 * the entry the UDP socket uses), automation with its RT half, the
 * session (scenes) and optionally the recorder's ring with the stems.
 *
 * Time: sim_run renders whole periods.  The simulated wall clock
 * (control_now_ms reads it through control_set_clock) follows the frames
 * rendered: after every period it steps, a millisecond at a time, to the
 * period's end, and the control loop's timers that are due at each step
 * run there, as control_run runs them after a poll.  A packet sent
 * between two sim_run calls is dispatched at once, so what it changes
 * reaches the audio thread at the start of the next period, exactly.
 * Nothing sleeps, nothing depends on the machine's load: every run is
 * the same to the sample.
 *
 * Transport: stopped at frame 0 at start.  sim_roll and sim_locate take
 * effect at the start of the next period (JACK changes the transport
 * between cycles too); a rolling transport advances by each period.
 *
 * Threads: one (the test's), standing in for both the control and the
 * RT thread, never at the same time.
 */
#ifndef JMX_SIM_H
#define JMX_SIM_H

#include <lo/lo.h>
#include <stdint.h>

#include "automation.h"
#include "mixer.h"
#include "model.h"
#include "automation_osc.h"
#include "curve_osc.h"
#include "osc.h"
#include "osc_net.h"
#include "playback.h"
#include "playback_osc.h"
#include "recring.h"
#include "rtcycle.h"
#include "rtqueue.h"
#include "session.h"
#include "session_osc.h"

#define SIM_START_MS    1000000u /* the clock at frame 0 (not 0: 0 means "never" to some timers) */
#define SIM_MAX_REPLIES 4096u
#define SIM_MSG_NUMS    96u /* numbers kept a message (curves: 2 + 81) */

/* An input lane's signal: n frames starting at absolute frame `at`
 * (frames rendered before this period). */
typedef void (*sim_source_fn)(void *ctx, unsigned lane, uint64_t at, float *buf, unsigned n);

struct sim_config {
	unsigned mono, stereo, buses;
	unsigned rate;        /* Hz */
	unsigned period;      /* frames a period, 1..JMX_MAX_FRAMES */
	uint32_t ring_frames; /* the recorder's ring (0: none); the test drains it */
	int stems;            /* the ring has the stems' plane, the mixer keeps its tap */
	int talkback;         /* talk_in, fed as the lane after the last (mixer_inputs) */
};

/* What a client got back (replies and feedback), decoded. */
struct sim_msg {
	char path[128];
	char types[SIM_MSG_NUMS + 8];
	double num[SIM_MSG_NUMS]; /* numbers in argument order (strings skipped) */
	char str[2][128];
	int argc;
	uint64_t at; /* frames rendered when it was sent */
};

struct sim {
	struct sim_config cfg;
	struct control *ctl;
	int hk_timer; /* main.c's housekeeping */
	struct rtq queue;
	struct mixer *mixer;
	struct model *model;
	struct automation *autom;
	struct session *session;
	struct osc *osc;
	struct osc_net *net; /* the UDP transport, socket-free */
	struct session_osc *session_osc;
	struct automation_osc *autom_osc;
	struct curve_osc *curve_osc;
	struct playback *pb;
	struct playback_osc *pb_osc;
	struct recring ring;
	int have_ring;
	struct rtcycle rc;
	atomic_ullong frames;
	atomic_ulong cycles;
	unsigned lanes, outputs;
	unsigned inputs; /* lanes, and talk_in with talkback */
	float **in, **out;
	sim_source_fn source;
	void *source_ctx;
	char dir[64]; /* scenes live here (removed by sim_free) */
	/* transport */
	uint32_t tframe;
	int rolling;
	int freewheel;
	float bpm; /* the transport's tempo, 0: none */
	/* capture of every output, with the transport of each frame */
	float **cap;
	uint32_t *cap_tf;
	uint8_t *cap_roll;
	unsigned cap_n, cap_max;
	/* what clients were sent */
	struct sim_msg *msg;
	unsigned nmsg;
	struct sockaddr_in client; /* the sender of every packet */
	uint64_t now;              /* the control thread's clock, ms */
};

/* NULL after a message on stderr. */
struct sim *sim_new(const struct sim_config *cfg);
/* Before the first period: the playback (virtual soundcheck, the
 * /playback commands) with a ring of `blocks` blocks, its takes in s->dir.
 * Its reader is a real thread: a test waits for it (playback_status) to
 * have read ahead before it runs periods, to stay frame-exact.  0 or -1. */
int sim_playback(struct sim *s, uint32_t blocks);
void sim_free(struct sim *s);

void sim_set_source(struct sim *s, sim_source_fn fn, void *ctx);

/* Render periods until at least `frames` more frames are rendered (a
 * whole number of periods); returns the frames rendered. */
unsigned sim_run(struct sim *s, unsigned frames);
/* Frames rendered since start, and the time they make in whole ms
 * (from SIM_START_MS). */
uint64_t sim_frames(const struct sim *s);
uint64_t sim_now_ms(const struct sim *s);

void sim_roll(struct sim *s, int rolling);
void sim_locate(struct sim *s, uint32_t frame);

/* Capture the next `max` frames of every output (older capture dropped);
 * s->cap[o][i], s->cap_tf[i] (transport frame), s->cap_roll[i]. */
void sim_capture(struct sim *s, unsigned max);

/* OSC from the client, dispatched now.  sim_osc_msg takes m. */
int sim_osc_msg(struct sim *s, const char *path, lo_message m);
int sim_osc_bundle(struct sim *s, lo_bundle b);
int sim_osc_f(struct sim *s, const char *path, float v);
int sim_osc_ff(struct sim *s, const char *path, float v, float w);
int sim_osc_i(struct sim *s, const char *path, int v);
int sim_osc_s(struct sim *s, const char *path, const char *v);
int sim_osc_sf(struct sim *s, const char *path, const char *v, float w);
int sim_osc_0(struct sim *s, const char *path);

/* The latest message to path among those sent from index `from` on
 * (NULL if none); forget them all. */
const struct sim_msg *sim_last(const struct sim *s, const char *path, unsigned from);
void sim_msgs_clear(struct sim *s);

/* Query path now and return the reply, or NULL. */
const struct sim_msg *sim_query(struct sim *s, const char *path);

#endif
