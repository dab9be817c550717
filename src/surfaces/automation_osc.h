/*
 * automation_osc.h - automation on the OSC surface: the addresses
 * <base>/auto, <base>/touch and <base>/stop of every automatable
 * parameter, timed moves (a set with a ramp time), the commands
 * /automation/mode, /automation/clear, /automation/status and
 * /master/fade (rows and docs in osc_route.c's command table), lane modes
 * and fade status pushed to feedback clients, and moving values fed back
 * (the OSC layer becomes one of automation's display watchers).
 *
 * Threads: control thread only.
 *
 * Invariants: automation_osc_free runs before the OSC layer and the
 * automation are freed, and after the control loop stopped (automation's
 * display watchers cannot be removed, so no tick may run afterwards).
 */
#ifndef JMX_AUTOMATION_OSC_H
#define JMX_AUTOMATION_OSC_H

#include "automation.h"
#include "osc.h"

struct automation_osc;

/* Bind the addresses, commands, ramps and feedback.  NULL after a log
 * line (too many display watchers, out of memory). */
struct automation_osc *automation_osc_new(struct automation *a, struct osc *o);
void automation_osc_free(struct automation_osc *ao);

#endif
