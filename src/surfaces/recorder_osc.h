/*
 * recorder_osc.h - the recorder and loudness meter on the OSC surface:
 * /record/start, /record/stop, /record/status, /record/format,
 * /master/loudness/reset (commands bound with osc_add_command; their rows
 * and docs are in osc_route.c's command table), status pushed to feedback
 * clients once a second while recording and at every start and stop,
 * asynchronous failures (disk full, I/O error, a start that could not
 * open its file) as /error to feedback clients, and the
 * /master/loudness/{m,s,i,lra,tp} rows of the parameter table (PT_METER)
 * served through the host's meter callback.
 *
 * Threads: control thread only.
 *
 * Invariants: recorder_osc_free runs after the control loop has stopped
 * (its one-second timer cannot be removed from the loop) and before the
 * recorder and the OSC layer are freed.
 */
#ifndef JMX_RECORDER_OSC_H
#define JMX_RECORDER_OSC_H

#include "control.h"
#include "osc.h"
#include "params.h"
#include "recorder.h"

struct recorder_osc;

struct recorder_osc *recorder_osc_new(struct recorder *rec, struct osc *osc, struct control *ctl);
void recorder_osc_free(struct recorder_osc *ro);

/* Control thread: serve another recorder from now on (the daemon builds a
 * new one when JACK comes back at another sample rate); the caller frees
 * the old one afterwards. */
void recorder_osc_rebind(struct recorder_osc *ro, struct recorder *rec);

/* For the OSC host's meter_take: the loudness rows.  Returns the number of
 * values written (1), or -1 when id is not a loudness row. */
int recorder_osc_meter(struct recorder *rec, enum param_id id, float out[2]);

#endif
