/*
 * curve_osc.h - the curves a surface draws, on the OSC surface:
 * /ch/<n>/eq/response, /master/eq/response, /ch/<n>/dyn/curve and
 * /master/comp/curve (commands bound with osc_add_command; their rows and
 * docs are in osc_route.c's command table).  The numbers come from
 * dsp/response.c, the DSP's own design code, and the model's current
 * values, never from the audio thread.
 *
 * Threads: control thread only.
 *
 * Invariants: curve_osc_free runs before the OSC layer and the model are
 * freed.
 */
#ifndef JMX_CURVE_OSC_H
#define JMX_CURVE_OSC_H

#include "model.h"
#include "osc.h"

struct curve_osc;

/* rate(ctx): the sample rate now (the engine's; 0 when unknown: the
 * commands then reply /error).  NULL after a log line. */
struct curve_osc *curve_osc_new(struct model *m, struct osc *o, unsigned (*rate)(void *ctx), void *ctx);
void curve_osc_free(struct curve_osc *co);

#endif
