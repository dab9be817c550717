/*
 * engine.h - the JACK client: ports, callbacks, latency, and the only RT
 * entry point (the process callback, which drains the control->RT queue
 * and renders the mixer).
 *
 * Threads: engine_open/start/connect/tick/close on the control (main)
 * thread; the process callback runs on JACK's RT thread; the shutdown,
 * xrun and latency callbacks on JACK's notification threads (they touch
 * only atomics and control_post).
 */
#ifndef JMX_ENGINE_H
#define JMX_ENGINE_H

#include "control.h"
#include "mixer.h"
#include "rtqueue.h"

struct engine_config {
	const char *name;   /* JACK client name */
	const char *server; /* JACK server name or NULL for the default */
	unsigned mono, stereo, buses;
};

struct engine;

/* Connect to JACK, build the mixer at the server's rate, register every
 * port.  NULL (after one clear log line) on failure. */
struct engine *engine_open(const struct engine_config *cfg, struct control *ctl);
/* Lock memory and activate. 0 or -1. */
int engine_start(struct engine *e);
/* Connect channel inputs in order (lane by lane) to the JACK output ports
 * matching a glob, or master_L/R to input ports matching it.  Returns the
 * number of connections made, -1 on error. */
int engine_connect_inputs(struct engine *e, const char *glob);
int engine_connect_master(struct engine *e, const char *glob);
/* Control: report RT counters (xruns, queue overflows) since last tick. */
void engine_tick(struct engine *e);
void engine_close(struct engine *e);

struct rtq *engine_queue(struct engine *e);
struct mixer *engine_mixer(struct engine *e);
unsigned engine_rate(const struct engine *e);
unsigned engine_period(const struct engine *e);
const char *engine_client_name(const struct engine *e);

#endif
