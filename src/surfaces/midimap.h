/*
 * midimap.h - generic MIDI mapping: control changes (7-bit, and 14-bit
 * MSB/LSB pairs), notes (toggle or momentary) and pitch bend mapped onto
 * any settable parameter of the table, with a range, a taper, optional
 * pick-up (soft takeover) and an optional bank; learn and forget; feedback
 * of every change to the mapped controls (of the value a surface should
 * show: the model's, or where a move, a fade or a playing lane has the
 * audio, see midimap_set_shown); the mapping file.
 *
 * Threads: control thread only.  Nothing here touches JACK: messages
 * arrive whole through midimap_input, and leave through the send callback
 * (midi_send in the daemon, a capture function in the tests).
 *
 * The file format (version 1), one mapping a line, '#' comments:
 *
 *   jackmixd-midimap 1
 *   cc   CHANNEL NUMBER PATH [options]   7-bit control change, NUMBER 0-127
 *   cc14 CHANNEL NUMBER PATH [options]   14-bit: MSB on NUMBER 0-31, LSB on NUMBER+32
 *   note CHANNEL NOTE PATH [options]     note on (and off, for momentary)
 *   pb   CHANNEL PATH [options]          pitch bend
 *   cc|note ... bank next|prev|N         a button that selects the bank
 *
 * CHANNEL is 1-16; PATH is a parameter's engineering-unit path (its
 * normalised path is accepted and written back as the unit path).
 * Options: "range LO HI" (engineering units, default the parameter's whole
 * range; LO > HI inverts), "taper param|lin|log|fader" (how the control's
 * travel is spread over the range; param = the parameter's own, the
 * default), "toggle" or "momentary" (notes, and CC buttons: press >= 64),
 * "pickup" (cc, cc14, pb: the control does nothing until it reaches the
 * current value), "bank N" (1-16: active only in bank N).  Notes default
 * to toggle.  The header line is optional; a file that does not parse is
 * rejected whole, with "file:line: reason".
 *
 * Invariants: a control position x in 0..1 maps to the value
 * T^-1(T(lo) + x (T(hi) - T(lo))) for the taper function T; feedback
 * inverts it.  A change that came from a control is never sent back to
 * that control (unless the model clamped it, or something else shows
 * another value, e.g. a lane playing in read mode); every other mapping
 * of the same parameter gets it.  A pick-up mapping whose parameter was
 * changed or moved by anything else is disengaged until the control
 * crosses the value (the shown value: what is heard).
 */
#ifndef JMX_MIDIMAP_H
#define JMX_MIDIMAP_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "params.h"

#define MIDIMAP_MAX       1024u /* mappings */
#define MIDIMAP_BANKS     16u
#define MIDIMAP_LINE_MAX  512u
#define MIDIMAP_MAX_BYTES (1024u * 1024u)
#define MIDIMAP_TICK_MS   10u  /* midimap_tick period the daemon uses */
#define MIDIMAP_MSB_MS    20u  /* a 14-bit MSB without its LSB applies after this */
#define MIDIMAP_LEARN_MS  100u /* an LSB within this makes a learned CC 14-bit */

enum midimap_kind { MM_CC, MM_CC14, MM_NOTE, MM_PB };
enum midimap_taper { MMT_PARAM, MMT_LIN, MMT_LOG, MMT_FADER };
enum midimap_mode { MMM_ABS, MMM_TOGGLE, MMM_MOMENTARY };
enum midimap_action { MMA_PARAM, MMA_BANK_SET, MMA_BANK_NEXT, MMA_BANK_PREV };

/* One mapping as the file describes it (no run-time state). */
struct midimap_spec {
	enum midimap_kind kind;
	uint8_t chan; /* 0-15 */
	uint8_t num;  /* CC number (MSB for cc14) or note; 0 for pb */
	enum midimap_action action;
	unsigned bank_arg; /* MMA_BANK_SET: 1-16 */
	enum param_id id;
	unsigned i1, i2;
	float lo, hi;
	enum midimap_taper taper;
	enum midimap_mode mode;
	int pickup;
	unsigned bank; /* 0: every bank, else 1-16 */
};

typedef int (*midimap_send_fn)(void *ctx, const uint8_t *msg, size_t len);
/* The value a surface should show for an instance, given the model's
 * (automation_value in the daemon). */
typedef float (*midimap_shown_fn)(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value);
/* Told when learning completes: the new mapping as a file line. */
typedef void (*midimap_learned_fn)(void *ctx, const char *path, const char *line);

struct midimap;

/* Registers a model listener for feedback.  NULL when out of memory. */
struct midimap *midimap_new(struct model *m, midimap_send_fn send, void *send_ctx);
void midimap_free(struct midimap *mm);
void midimap_on_learned(struct midimap *mm, midimap_learned_fn fn, void *ctx);
/* Feedback, pick-up and toggles use fn's value (unset: the model's). */
void midimap_set_shown(struct midimap *mm, midimap_shown_fn fn, void *ctx);
/* The shown value of an instance changed without a model change (an
 * automation display watcher): its mappings are sent it at the next tick,
 * at most one message per tick and control like any feedback. */
void midimap_moved(struct midimap *mm, enum param_id id, unsigned i1, unsigned i2);

/* Parse a whole file's text; on success the mappings replace the current
 * ones (and are all sent their values).  0, or -1 with "file:line: reason"
 * in err and nothing changed. */
int midimap_parse(struct midimap *mm, const char *file, const char *text, size_t len, char *err,
                  size_t errlen);
/* Read and parse path.  0; -ENOENT when it does not exist (err set); -1
 * when it cannot be read or does not parse. */
int midimap_load(struct midimap *mm, const char *path, char *err, size_t errlen);
/* The mappings in the file format (malloc'd, *len bytes), or NULL. */
char *midimap_format(const struct midimap *mm, size_t *len);
/* Write the file atomically (temporary file, fsync, rename), creating its
 * directory when missing.  0, or -1 with a message in err. */
int midimap_save(const struct midimap *mm, const char *path, char *err, size_t errlen);

/* One complete MIDI message; changes are staged in the model and
 * committed by midimap_flush (the end of a batch). */
void midimap_input(struct midimap *mm, const uint8_t *msg, size_t len, uint64_t now_ms);
void midimap_flush(struct midimap *mm);
/* Every MIDIMAP_TICK_MS: late 14-bit MSBs, learn, and feedback. */
void midimap_tick(struct midimap *mm, uint64_t now_ms);
/* Send mappings their values again.  all: every one (a surface was
 * connected to midi_out, and may be another).  0: a repair (an xrun may
 * have lost output): every one but what a control said itself, since an
 * absolute control whose last message set the value it shows is at that
 * value (sending it back is an echo that fights a moving hand); it is
 * still sent what is shown if that changed meanwhile. */
void midimap_refresh(struct midimap *mm, int all);

/* Learn: the next control that moves is mapped to path (a concrete
 * parameter path), with the options of a file line ("pickup range -60 6").
 * It replaces the mappings of that control and of that path in the
 * current bank.  0, or -1 with a reason in err.  path NULL cancels. */
int midimap_learn(struct midimap *mm, const char *path, const char *options, char *err, size_t errlen);
int midimap_learning(const struct midimap *mm);
/* Remove every mapping of path ("all": every mapping).  The number
 * removed, or -1 with a reason in err for a path that is not a parameter. */
int midimap_forget(struct midimap *mm, const char *path, char *err, size_t errlen);

unsigned midimap_count(const struct midimap *mm);
const struct midimap_spec *midimap_get(const struct midimap *mm, unsigned i);
/* Mapping i as a file line (no newline); the length, or -1. */
int midimap_line(const struct midimap *mm, unsigned i, char *buf, size_t len);
/* Current bank (1-based). */
unsigned midimap_bank(const struct midimap *mm);
/* Bumped whenever the set of mappings changes (learn, forget, parse). */
unsigned long midimap_generation(const struct midimap *mm);

#endif
