/*
 * session_osc.h - scenes and the state file on the OSC surface:
 * /snapshot/save, /snapshot/load, /snapshot/list, /snapshot/delete and
 * /state/save, strip presets (/ch/<n>/preset/save and /load, the same for
 * /bus/<a>, /preset/list, /preset/delete) (commands bound with osc_add_command; their rows and docs
 * are in osc_route.c's command table).
 *
 * Threads: control thread only.
 *
 * Invariants: session_osc_free runs before the OSC layer and the session
 * are freed; no command reaches a freed session.
 */
#ifndef JMX_SESSION_OSC_H
#define JMX_SESSION_OSC_H

#include "osc.h"
#include "session.h"

struct session_osc;

/* NULL after a log line (out of memory, a command without its row). */
struct session_osc *session_osc_new(struct session *s, struct osc *o);
void session_osc_free(struct session_osc *so);

#endif
