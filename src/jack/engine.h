/*
 * engine.h - the JACK client: ports, callbacks, latency, and the only RT
 * entry point (the process callback, which drains the control->RT queue
 * and renders the mixer).
 *
 * Threads: engine_open/start/connect/tick/close on the control (main)
 * thread; the process callback runs on JACK's RT thread; the shutdown,
 * xrun and latency callbacks on JACK's notification threads (they touch
 * only atomics and control_post; so do the port registration and
 * connection callbacks, which only count graph changes; on JACK2 the
 * latency callback also sets our ports' latencies, on PipeWire's libjack
 * engine_tick does).
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
	int talkback; /* the input talk_in (after the channels' inputs) */
};

struct engine;

/* Connect to JACK, build the mixer at the server's rate, register every
 * port.  NULL (after one clear log line) on failure. */
struct engine *engine_open(const struct engine_config *cfg, struct control *ctl);
/* Lock memory and activate. 0 or -1. */
int engine_start(struct engine *e);
/* A connection of our port (short name) with a peer (full name). */
typedef void (*engine_conn_fn)(void *ctx, const char *port, const char *peer);
/* Connect channel inputs in order (lane by lane) to the JACK output ports
 * matching a glob, or master_L/R to input ports matching it.  Returns the
 * number of connections made, -1 on error; made (if not NULL) gets each
 * connection made or found made, so that the session remembers it. */
int engine_connect_inputs(struct engine *e, const char *glob, engine_conn_fn made, void *ctx);
int engine_connect_master(struct engine *e, const char *glob, engine_conn_fn made, void *ctx);
/* talk_in from the first JACK output port matching glob (natural order);
 * the same return values, 0 without --talkback. */
int engine_connect_talkback(struct engine *e, const char *glob, engine_conn_fn made, void *ctx);
/* Control thread, before engine_start: timer (a control loop timer id)
 * is woken (control_timer_post) on every xrun, graph change, server loss
 * and return, so a timer that looks at those can sleep meanwhile.  -1
 * when ENGINE_WATCHERS timers are already watching. */
int engine_watch(struct engine *e, int timer);
/* Control: report RT counters (xruns, queue overflows) since last tick;
 * on PipeWire's libjack, set the port latencies its callback asked for. */
void engine_tick(struct engine *e);
/* 0; 1 when a thread still waits on a hung server to answer: it may
 * still wake the control loop, so the caller keeps that (and exits). */
int engine_close(struct engine *e);

/* Connections of our ports, for the state file: fn gets our port's short
 * name and the peer's full name, once per connection. */
void engine_foreach_connection(struct engine *e, engine_conn_fn fn, void *ctx);
/* Connect our port (short name) with a peer (full name) in the direction
 * of our port.  0 when connected or already connected, -ENODEV when we
 * have no such port, -ENOENT when the peer does not exist (yet), -1 on
 * other errors. */
int engine_connect_peer(struct engine *e, const char *port, const char *peer);
/* Patching (control thread).  A port as JACK shows it; the strings
 * belong to JACK and stay valid only during the call that gave them. */
struct engine_port {
	const char *name;      /* full name, "client:port" */
	const char *shortname; /* the part after the client name */
	int ours;              /* a port of this daemon's client */
	int output;            /* 1 output (a source), 0 input */
	const char *type;      /* "audio", "midi", or JACK's type string */
};
/* Look a port up by full name, or one of ours by its short name.  0,
 * -ENOENT when there is no such port, -ENOTCONN without a client. */
int engine_port_lookup(struct engine *e, const char *name, struct engine_port *out);
/* Every port on the server whose full name matches glob (fnmatch; NULL:
 * all), in JACK's order.  The number listed, or -ENOTCONN. */
typedef void (*engine_port_fn)(void *ctx, const struct engine_port *p);
int engine_foreach_port(struct engine *e, const char *glob, engine_port_fn fn, void *ctx);
/* Break the connection of our port (short name) with a peer (full name).
 * 0, -ENODEV (no such port of ours), -ENOENT (no such peer), -ENOTCONN
 * (not connected, or no client), -1 when JACK refused. */
int engine_disconnect_peer(struct engine *e, const char *port, const char *peer);
/* Whether a port of that full name exists on the server now. */
int engine_port_exists(struct engine *e, const char *name);
/* Any thread: counts JACK graph changes (ports registered or gone,
 * connections made or broken), bumped on JACK's notification thread; the
 * control thread compares it with the value it saw last. */
unsigned engine_graph_generation(const struct engine *e);
/* Control thread (NSM switch): close the JACK client and open it again
 * under a new name, same ports, same mixer, and activate it.  Connections
 * are lost (the caller restores them).  0, or -1 when the engine is
 * left without a client (the caller must exit).  While disconnected it
 * only changes the name engine_reopen will use. */
int engine_rename(struct engine *e, const char *name);

/* Control, before engine_start: the RT thread pushes master_L/R into
 * this ring (recring.h) after every period.  The ring must outlive the
 * activation. */
struct recring;
void engine_set_recorder(struct engine *e, struct recring *ring);
/* Control, before engine_start: the RT thread plays this ring's frames
 * into the channels on playback (pbring.h, playback.h). */
struct pbring;
void engine_set_playback(struct engine *e, struct pbring *ring);
/* Control, before engine_start and engine_set_recorder: the recorder
 * takes stems, so the mixer keeps a post-trim tap (mixer_tap_new; so does
 * a mixer rebuilt for another rate) and the RT thread pushes it with the
 * master into the same ring frames, which must then have a stem column
 * per input lane (recring_wide_new).  0, or -1 when out of memory. */
int engine_set_stems(struct engine *e);

/* Control, before engine_start: automation (autoplay.h) gets the JACK
 * transport position every period, before the mixer renders it. */
struct autoplay;
void engine_set_autoplay(struct engine *e, struct autoplay *ap);

/* MIDI control surfaces: the ports midi_in and midi_out are registered
 * with the audio ports (after them).  Control, before engine_start: the
 * process callback copies midi_in's events into ring r and r's outgoing
 * messages into midi_out (midiring.h); r must outlive the activation.
 * Without a ring midi_out is only cleared. */
struct midiring;
void engine_set_midi(struct engine *e, struct midiring *r);
/* Connect midi_in from every JACK MIDI output port matching glob and
 * midi_out to every MIDI input port matching it.  The number of
 * connections made, -1 without a client. */
int engine_connect_midi(struct engine *e, const char *glob, engine_conn_fn made, void *ctx);

/* ---- JACK server loss and return (control thread) ----
 * The shutdown callback posts CTL_EV_SHUTDOWN; the control thread then
 * calls engine_lost, which closes the dead client (ports and connections
 * are gone with the server; the mixer, the queue and the recorder ring
 * stay).  From then on engine_reopen is tried every second: it opens the
 * client again under the same name, rebuilds the mixer when the server
 * came back at another sample rate (every parameter at its default: the
 * caller re-sends the whole model), and registers the ports; engine_start
 * then activates it.  While disconnected the functions that need a
 * client do nothing (connect: -1, exists: 0, foreach: no calls). */
int engine_connected(const struct engine *e);
/* Connected and active, and JACK has not shut the client down: false as
 * soon as the shutdown callback ran, before the control thread handled
 * CTL_EV_SHUTDOWN (the session then forgets nothing). */
int engine_running(const struct engine *e);
/* Close the dead client after the server went away.  Idempotent. */
void engine_lost(struct engine *e);
/* Why JACK said it shut us down ("" if it gave no reason). */
const char *engine_lost_reason(const struct engine *e);
/* Call often (every 100 ms or so) while disconnected.  Once a second it
 * starts an attempt on a thread of its own (closing the dead client
 * first), so that a server that hangs cannot stall the caller; a later
 * call picks up the result.  1: a client is open with its ports, not yet
 * active (call engine_start, then check engine_rate: a different rate
 * means a new mixer); 0: no server (yet) or an attempt under way,
 * quietly; -1: the server is there but refused us (logged once). */
int engine_reopen(struct engine *e);
/* Counts the mixers engine_reopen built for a new rate.  The caller
 * compares it with the count it last acted on, not the rate before and
 * after one call: an attempt can rebuild the mixer and still fail, and
 * the one that succeeds then sees no change of rate. */
unsigned engine_mixer_generation(const struct engine *e);

/* Freewheel policy: while JACK freewheels the console keeps mixing at
 * whatever speed JACK runs it, but no frames go to the recorder (a take
 * holds real-time audio only and resumes with the first real-time period;
 * the loudness meter pauses with it). */
int engine_freewheeling(const struct engine *e);
/* Counters for status reports: xruns and frames rendered since start-up,
 * times the server came back. */
unsigned long engine_xrun_count(const struct engine *e);
unsigned long long engine_frames(const struct engine *e);
unsigned engine_reconnects(const struct engine *e);
/* The process callback's own time: periods it took longer than the
 * period to process (JACK xruns the daemon itself caused; not counted
 * while freewheeling), and the longest processing since the last take,
 * in percent of its period. */
unsigned long engine_late_cycles(const struct engine *e);
float engine_load_take(struct engine *e);

struct rtq *engine_queue(struct engine *e);
struct mixer *engine_mixer(struct engine *e);
unsigned engine_rate(const struct engine *e);
unsigned engine_period(const struct engine *e);
const char *engine_client_name(const struct engine *e);

#endif
