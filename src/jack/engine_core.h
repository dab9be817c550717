/*
 * engine_core.h - the engine's state, private to src/jack/: engine.c (the
 * client, its callbacks and the process callback) and engine_latency.c
 * (the latencies of our ports) both work on it.  Nothing outside
 * src/jack/ includes this file; the rest of the daemon sees only the
 * opaque struct engine of engine.h.
 *
 * Threads: as engine.c's opening comment says of each field.
 */
#ifndef JMX_ENGINE_CORE_H
#define JMX_ENGINE_CORE_H

#include <jack/jack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"
#include "rtqueue.h"

#define ENGINE_WATCHERS 4

struct engine {
	jack_client_t *client;
	struct control *ctl;
	int watch[ENGINE_WATCHERS]; /* control timers woken on events (engine_watch) */
	unsigned nwatch;
	struct mixer *mixer;
	struct rtq queue;
	unsigned lanes, outputs;
	unsigned inputs; /* input ports: the lanes, then talk_in with --talkback */
	int talkback;
	jack_port_t **in_ports;
	jack_port_t **out_ports;
	/* the client the process callback runs in: set before jack_activate,
	 * kept (with the ports above) until that client is closed, because
	 * a cycle of a lost client can still be running when the control
	 * thread learns of the loss and sets client to NULL */
	jack_client_t *rt_client;
	const float **in_buf; /* RT scratch: port buffers of this cycle */
	float **out_buf;
	unsigned rate;
	atomic_uint period;
	atomic_uint xruns;
	atomic_ulong cycles;
	atomic_ullong frames; /* rendered since start-up */
	atomic_ulong late;    /* periods whose processing took longer than the period */
	atomic_uint load_max; /* longest processing, per mille of its period, since read */
	atomic_int active;
	atomic_int freewheel;   /* JACK is freewheeling: nothing to the recorder */
	atomic_int lost;        /* the server shut us down; control closes the client */
	atomic_int down;        /* a shutdown callback of this client has run (the first wins) */
	int pw_jack;            /* libjack is PipeWire's: callbacks make no JACK call */
	atomic_int latency_due; /* PipeWire asked for our latencies: engine_tick sets them */
	char lost_reason[160];  /* written before lost is set */
	unsigned reconnects;
	unsigned mixer_gen; /* mixers built for a new rate (engine_mixer_generation) */
	int refused_said;   /* logged that the returned server refused us */
	char name[64];      /* the client name to (re)open with */
	/* the opener thread (engine_reopen): the control thread starts it
	 * with dead and open_name set, it stores opened, open_status and
	 * open_msg and then sets opener to OPENER_DONE (release) */
	pthread_t opener_thread;
	atomic_int opener;
	uint64_t opener_started; /* control_now_ms() of the last attempt */
	jack_client_t *dead;     /* the lost client, closed by the opener */
	jack_client_t *opened;
	jack_status_t open_status;
	char open_name[64];
	char open_msg[200];
	unsigned xruns_reported;
	atomic_uint graph_gen; /* ports (un)registered, connections made or broken */
	unsigned mono, stereo, buses;
	char server[64];
	struct recring *rec;             /* master frames to the recorder, or NULL; set before activation */
	int rec_stems;                   /* rec has a stem column per input lane: push the mixer's tap too */
	int stems;                       /* every mixer (also one rebuilt at a new rate) keeps a tap */
	struct autoplay *autoplay;       /* automation lanes, or NULL; set before activation */
	struct pbring *pb;               /* the playback ring, or NULL; set before activation */
	jack_port_t *midi_in, *midi_out; /* control surfaces (midi.h) */
	struct midiring *midi;           /* their rings, or NULL; set before activation */
};

#endif
