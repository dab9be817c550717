/*
 * midi.h - the MIDI control surface on the control thread: the messages
 * between JACK's midi_in and midi_out ports (registered by engine.c,
 * carried by the rings of midiring.h) and the glue that puts either the
 * generic mapping (midimap.h) or the Mackie Control protocol (mcu.h) on
 * those ports, and the mapping file.  The /midi/... OSC commands are in
 * midi_osc.h.
 *
 * Threads: the engine's process callback moves raw MIDI between the ports
 * and the rings (midiring.h), which wake this module through a helper
 * thread (the RT thread may not write to a pipe; it posts a semaphore, the
 * helper turns that into a byte on a pipe in the control loop's poll()).
 * Every function here runs on the control thread.
 *
 * Invariants: only the control thread parses MIDI and changes the model;
 * the audio thread only copies raw messages, whole or not at all.
 */
#ifndef JMX_MIDI_H
#define JMX_MIDI_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "model.h"
#include "params.h"

struct engine;
struct midimap;
struct midiring;

struct midi_config {
	const char *map_path; /* --midi-map FILE, or NULL for the default file */
	int map_session;      /* map_path is the NSM session's: a damaged one is set aside, no exit */
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

/* Control, before engine_start: the rings the engine's process callback
 * fills and drains (engine_set_midi). */
struct midiring *midi_ring(struct midi *m);

/* Control: the generic mapping, or NULL with --mcu. */
struct midimap *midi_map(struct midi *m);
/* Control: write the mapping file if the mappings changed since it was
 * last written or read (a failure is logged). */
void midi_save_map(struct midi *m);
/* Control: fn hears of every mapping /midi/learn learned (path and the
 * mapping's file line), after it was logged and saved; NULL: nobody. */
typedef void (*midi_learned_fn)(void *ctx, const char *path, const char *line);
void midi_set_learned(struct midi *m, midi_learned_fn fn, void *ctx);

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

/* Control: queue one message for midi_out.  0, or -1 when the ring is
 * full (the caller keeps it dirty and retries at the next tick). */
int midi_send(void *m, const uint8_t *msg, size_t len);

/* Control (OSC meter tick): with a Mackie surface the channel meters are
 * shared so that both the surface and OSC meter clients see every peak;
 * returns the number of values written, or -1 when the caller should read
 * the mixer itself. */
int midi_meter_take(struct midi *m, enum param_id id, unsigned idx, float out[2]);

#endif
