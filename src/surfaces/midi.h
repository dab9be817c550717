/*
 * midi.h - the MIDI control surface: transport between JACK's midi_in and
 * midi_out ports (registered by engine.c) and the control thread, and the
 * glue that puts either the generic mapping (midimap.h) or the Mackie
 * Control protocol (mcu.h) on those ports, with the /midi/... OSC
 * commands and the mapping file.
 *
 * Threads: midi_process is the RT part, called from the engine's process
 * callback only: it copies raw events from midi_in into a lock-free ring
 * (wakes the control thread with sem_post through a helper thread, since
 * the RT thread may not write to a pipe) and drains the outgoing ring into
 * midi_out.  Everything else runs on the control thread; midi_meter_take
 * on the control thread (the OSC meter tick).
 *
 * Invariants: the RT side never allocates, locks or makes a system call
 * other than sem_post; messages cross the rings whole or not at all (a
 * message that does not fit is dropped and counted, never split).  Only
 * the control thread parses MIDI and changes the model.
 */
#ifndef JMX_MIDI_H
#define JMX_MIDI_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "model.h"
#include "osc.h"
#include "params.h"

#define MIDI_MSG_MAX 256u /* longest message carried (SysEx included) */

struct engine;

struct midi_config {
	const char *map_path; /* --midi-map FILE, or NULL for the default file */
	int mcu;              /* --mcu: Mackie Control instead of the mapping */
};

/* A protocol on the ports: one complete message at a time, then a flush
 * at the end of each batch (one model_commit), and a timer tick. */
typedef int (*midi_send_fn)(void *ctx, const uint8_t *msg, size_t len);

struct midi;

/* Control, after the engine and the model exist and before activation:
 * rings, wake-up thread, the mapping file (an explicit --midi-map that
 * does not parse fails with file:line; the default one is set aside and
 * the console starts with no mappings) or the MCU.  NULL after a log line
 * on failure. */
struct midi *midi_new(const struct midi_config *cfg, struct control *ctl, struct model *m, struct engine *e);
void midi_free(struct midi *m);

/* Bind /midi/learn, /midi/forget and /midi/map. */
void midi_attach_osc(struct midi *m, struct osc *o);

/* Control: what the surface shows is fn's value for an instance given
 * the model's (automation_value in the daemon: where a move, a faded
 * recall or a playing lane has the audio), and midi_moved tells it that
 * value changed without a model change (an automation display watcher,
 * automation_add_watcher; ctx is the struct midi). */
typedef float (*midi_shown_fn)(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value);
void midi_set_shown(struct midi *m, midi_shown_fn fn, void *ctx);
void midi_moved(void *m, enum param_id id, unsigned i1, unsigned i2);

/* Control: with a Mackie surface, a fader touch is an explicit
 * automation touch of what the fader controls (automation_touch in the
 * daemon) until release, a bank switch, or until the surface is gone: a
 * change of what is connected to midi_in, or JACK lost.  The generic
 * mapping has no touch messages (a change is its touch: automation's
 * implicit touch). */
typedef void (*midi_touch_fn)(void *ctx, enum param_id id, unsigned i1, unsigned i2, int on);
void midi_set_touch(struct midi *m, midi_touch_fn fn, void *ctx);

/* RT: one process cycle.  in/out are the JACK MIDI port buffers (either
 * may be NULL); m may be NULL, then midi_out is just cleared. */
void midi_process(struct midi *m, void *in, void *out, uint32_t nframes);

/* Control: queue one message for midi_out.  0, or -1 when the ring is
 * full (the caller keeps it dirty and retries at the next tick). */
int midi_send(void *m, const uint8_t *msg, size_t len);

/* Control (OSC meter tick): with a Mackie surface the channel meters are
 * shared so that both the surface and OSC meter clients see every peak;
 * returns the number of values written, or -1 when the caller should read
 * the mixer itself. */
int midi_meter_take(struct midi *m, enum param_id id, unsigned idx, float out[2]);

struct midi_stats {
	unsigned long in_events, in_dropped, out_events, out_dropped;
	unsigned long handled;          /* messages given to the protocol */
	double lat_mean_us, lat_max_us; /* RT receive -> applied on the control thread */
};
void midi_get_stats(const struct midi *m, struct midi_stats *st);

#endif
