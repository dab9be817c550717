/*
 * midi_osc.h - the MIDI surface on the OSC surface: /midi/learn,
 * /midi/forget and /midi/map (commands bound with osc_add_command; their
 * rows and docs are in osc.c's command table), and /midi/learned s:path
 * s:mapping pushed to feedback clients when a mapping was learned.
 *
 * Threads: control thread only.
 *
 * Invariants: midi_osc_free runs after the control loop has stopped and
 * before the MIDI surface and the OSC layer are freed.  Calls go one way:
 * this module calls midi.c and midimap.c; midi.c reaches it only through
 * the callback set with midi_set_learned.
 */
#ifndef JMX_MIDI_OSC_H
#define JMX_MIDI_OSC_H

#include "midi.h"
#include "osc.h"

struct midi_osc;

/* Bind the commands and hear of learned mappings.  NULL after a log line
 * when out of memory or the OSC layer takes no more commands. */
struct midi_osc *midi_osc_new(struct midi *midi, struct osc *osc);
void midi_osc_free(struct midi_osc *mo);

#endif
