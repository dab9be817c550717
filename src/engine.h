/*
 * engine.h - the JACK client: ports, callbacks, latency, and the only RT
 * entry point (the process callback, which drains the control->RT queue
 * and renders the mixer).
 *
 * Threads: engine_open/start/connect/tick/close on the control (main)
 * thread; the process callback runs on JACK's RT thread; the shutdown,
 * xrun and latency callbacks on JACK's notification threads (they touch
 * only atomics and control_post; so do the port registration and
 * connection callbacks, which only count graph changes).
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

/* Connections of our ports, for the state file: fn gets our port's short
 * name and the peer's full name, once per connection. */
typedef void (*engine_conn_fn)(void *ctx, const char *port, const char *peer);
void engine_foreach_connection(struct engine *e, engine_conn_fn fn, void *ctx);
/* Connect our port (short name) with a peer (full name) in the direction
 * of our port.  0 when connected or already connected, -ENODEV when we
 * have no such port, -ENOENT when the peer does not exist (yet), -1 on
 * other errors. */
int engine_connect_peer(struct engine *e, const char *port, const char *peer);
/* Whether a port of that full name exists on the server now. */
int engine_port_exists(struct engine *e, const char *name);
/* Any thread: counts JACK graph changes (ports registered or gone,
 * connections made or broken), bumped on JACK's notification thread; the
 * control thread compares it with the value it saw last. */
unsigned engine_graph_generation(const struct engine *e);
/* Control thread (NSM switch): close the JACK client and open it again
 * under a new name, same ports, same mixer, and activate it.  Connections
 * are lost (the caller restores them).  0, or -1 when the engine is
 * left without a client (the caller must exit). */
int engine_rename(struct engine *e, const char *name);

/* Control, before engine_start: the RT thread pushes master_L/R into
 * this ring (recring.h) after every period.  The ring must outlive the
 * activation. */
struct recring;
void engine_set_recorder(struct engine *e, struct recring *ring);

struct rtq *engine_queue(struct engine *e);
struct mixer *engine_mixer(struct engine *e);
unsigned engine_rate(const struct engine *e);
unsigned engine_period(const struct engine *e);
const char *engine_client_name(const struct engine *e);

#endif
