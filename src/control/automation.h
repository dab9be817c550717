/*
 * automation.h - automation on the control thread:
 *   timed moves: a set with a ramp time (/ch/3/fader/db f -90 f 8000),
 *     <base>/stop, /master/fade; the move itself runs in the RT thread
 *     (RT_RAMP, RT_HOLD);
 *   lanes: a mode per automatable parameter instance (off, read, write,
 *     touch, latch; <base>/auto, /automation/mode), touches (<base>/touch,
 *     or implied by a change that arrives in touch or latch mode without
 *     one), /automation/clear; what the RT half (autoplay.c) records is
 *     collected here, thinned and merged into the lanes (lanes.c), and
 *     every change of the lanes is handed to the RT half as a new set;
 *   feedback: a value that a ramp, a scene recall's fade or a playing
 *     lane moves is shown as the audio thread has it (automation_value),
 *     and every change of that shown value is told to the display
 *     watchers (the OSC layer, which coalesces it like any other change,
 *     and the MIDI surfaces), so every surface shows one value;
 *   files: the lanes for the state file and scenes (session.c), and
 *     loading them back.
 *
 * Threads: control thread only.  The RT thread sees only the autoplay
 * object (automation_autoplay), which the engine drives.
 *
 * Invariants: the model keeps the values set by hand (and a ramp's
 * target); a lane that stops playing leaves the parameter where it
 * played it, and the model is then set to that value (unless a value
 * was set meanwhile: that one wins), so a saved state sounds like the
 * console did.  Lane sets are built here and freed here,
 * only after the RT thread gave them back.
 */
#ifndef JMX_AUTOMATION_H
#define JMX_AUTOMATION_H

#include <stdint.h>

#include "autoplay.h"
#include "control.h"
#include "lanes.h"
#include "mixer.h"
#include "model.h"
#include "rtqueue.h"

#define AUTOMATION_TICK_MS     10u
#define AUTOMATION_IMPLICIT_MS 500u  /* an implied touch ends after this long without a change */
#define AUTOMATION_THIN_BATCH  8192u /* recorded points thinned in batches of this many */

struct automation_config {
	struct model *model;
	struct rtq *to_rt;   /* the model's queue, for RT_HOLD (NULL: /stop holds at the model) */
	struct control *ctl; /* for the timer; NULL: the caller calls automation_tick */
	double rate;         /* sample rate: transport frames */
	/* the live mixer (it may be rebuilt when JACK returns at another
	 * rate), for the values the RT thread publishes; NULL: none */
	struct mixer *(*mixer)(void *ctx);
	void *ctx;
};

struct automation;

struct automation *automation_new(const struct automation_config *cfg);
/* After the RT thread stopped (engine closed) and after the OSC layer is
 * gone (its hooks point here). */
void automation_free(struct automation *a);

/* What the engine hands to the RT thread (engine_set_autoplay). */
struct autoplay *automation_autoplay(struct automation *a);

/* What a surface reports without being asked (automation_osc.c): set
 * once, after automation_new; NULL unbinds.  Called on the control
 * thread, from the API below and from automation_tick. */
struct automation_events {
	void *ctx;
	/* the mode of one lane changed (automation_set_mode) */
	void (*mode)(void *ctx, enum param_id id, unsigned i1, unsigned i2, int mode);
	/* /master/fade: started, a second passed, ended or cancelled (0) */
	void (*fade)(void *ctx, float seconds_left);
};
void automation_set_events(struct automation *a, const struct automation_events *ev);

/* A display watcher: told, from automation_tick, whenever the value an
 * instance shows (automation_value) changes without a model change (a
 * move, a fade or a lane moved it, or stopped driving it and it shows the
 * model again).  Model changes are not told here: a watcher listens to
 * the model for those and reads automation_value then. */
typedef void (*automation_watch_fn)(void *ctx, enum param_id id, unsigned i1, unsigned i2);
#define AUTOMATION_WATCHERS 4
/* 0, or -1 when AUTOMATION_WATCHERS are registered already. */
int automation_add_watcher(struct automation *a, automation_watch_fn fn, void *ctx);

/* Changes from this origin (scene recall, state load) never imply a
 * touch. */
void automation_set_quiet_origin(struct automation *a, const void *origin);

/* A scene recall with a fade (on = 1) until it is called with 0: the
 * continuous parameters the quiet origin changes meanwhile ramp in the
 * audio thread (model_ramp), and are shown moving from where the audio
 * is, as automation_ramp's moves are. */
void automation_recall_fade(struct automation *a, int on);

/* The timer (every AUTOMATION_TICK_MS): collect recordings, hand new lane
 * sets over, reclaim old ones, end implied touches, feed back moving
 * values. */
/* fn is called whenever the lanes change (what a state file holds):
 * the session looks then, so its timer can sleep meanwhile. */
void automation_on_changed(struct automation *a, void (*fn)(void *ctx), void *ctx);
void automation_tick(struct automation *a, uint64_t now_ms);

/* ---- the API behind the OSC addresses (also for tests) ---- */
enum model_result automation_ramp(struct automation *a, enum param_id id, unsigned i1, unsigned i2,
                                  float value, float ms, const void *origin);
int automation_stop(struct automation *a, enum param_id id, unsigned i1, unsigned i2);
/* seconds >= 0; 0 cuts the master now */
int automation_fade(struct automation *a, float seconds);
/* mode: enum autoplay_mode.  0, or -1 for a parameter that has no lane. */
int automation_set_mode(struct automation *a, enum param_id id, unsigned i1, unsigned i2, int mode);
int automation_touch(struct automation *a, enum param_id id, unsigned i1, unsigned i2, int on);
/* Instances whose base path is under prefix ("" or "/": all): set the
 * mode / delete the points.  Return how many lanes changed. */
unsigned automation_set_mode_all(struct automation *a, const char *prefix, int mode);
unsigned automation_clear(struct automation *a, const char *prefix);
/* The value shown for an instance (see above). */
float automation_value(struct automation *a, enum param_id id, unsigned i1, unsigned i2, float model_value);

/* The mode (enum autoplay_mode) and number of points of an instance's
 * lane, or -1 when it has none. */
int automation_mode(struct automation *a, enum param_id id, unsigned i1, unsigned i2, unsigned *points);
/* 1 while an instance is touched, explicitly or implied by a change. */
int automation_touched(struct automation *a, enum param_id id, unsigned i1, unsigned i2);
struct automation_status {
	int rolling;           /* JACK transport */
	uint32_t frame;        /* its frame */
	unsigned lanes;        /* lanes with a mode or points */
	unsigned points;       /* their points */
	unsigned recording;    /* lanes recording now */
	unsigned long dropped; /* recorded values lost to a full buffer since start-up */
};
void automation_status(struct automation *a, struct automation_status *st);
/* Seconds a /master/fade still runs at now_ms (0: none). */
float automation_fade_left(const struct automation *a, uint64_t now_ms);

/* ---- state files ---- */
/* The lanes as they are now (rate set), for snapshot_format_lanes. */
const struct lanes *automation_lanes(struct automation *a);
/* Changes of lanes or modes since start-up (autosave adds it to the
 * model's generation). */
unsigned long automation_generation(const struct automation *a);
/* Make the lanes equal to from (rescaled to our rate); recall: leave the
 * channels that are recall-safe alone (a scene).  Recording passes in
 * progress are ended first. */
void automation_load(struct automation *a, const struct lanes *from, int recall);

#endif
