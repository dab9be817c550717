/*
 * patch_osc.h - JACK patching on the OSC surface: /jack/ports,
 * /jack/connections, /jack/connect, /jack/disconnect and /jack/keep
 * (commands bound with osc_add_command; their rows and docs are in
 * osc_route.c's command table).  session.c owns the connections; the
 * engine lists the ports.
 *
 * Threads: control thread only.
 *
 * Invariants: patch_osc_free runs before the OSC layer, the session and
 * the engine are freed.
 */
#ifndef JMX_PATCH_OSC_H
#define JMX_PATCH_OSC_H

#include "engine.h"
#include "osc.h"
#include "session.h"

struct patch_osc;

/* NULL after a log line (out of memory, a command without its row). */
struct patch_osc *patch_osc_new(struct session *s, struct engine *e, struct osc *o);
void patch_osc_free(struct patch_osc *po);

#endif
