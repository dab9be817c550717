/*
 * playback_osc.h - virtual soundcheck on the OSC surface: /playback/load,
 * /playback/start, /playback/stop, /playback/locate, /playback/status
 * (commands bound with osc_add_command; their rows and docs are in
 * osc_route.c's command table).  Which channels hear the playback is the
 * parameter /ch/<n>/source.
 *
 * Threads: control thread only.
 *
 * Invariants: every command gets one reply to its sender: its own path
 * with /playback/status's arguments after it, or one /error that says why, and then nothing changed.
 */
#ifndef JMX_PLAYBACK_OSC_H
#define JMX_PLAYBACK_OSC_H

#include "osc.h"
#include "playback.h"

struct playback_osc;

struct playback_osc *playback_osc_new(struct playback *pb, struct osc *osc);
void playback_osc_free(struct playback_osc *po);

#endif
