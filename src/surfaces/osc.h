/*
 * osc.h - the OSC control surface's core, independent of any transport:
 * clients hand it OSC packets, it dispatches them through liblo to one
 * generic handler that resolves every address against the parameter
 * table, and it sends back query replies, /error replies and feedback
 * (subscribers with leases, auto-registered surfaces, fixed targets;
 * values coalesced and paced, meters at 20 Hz to meter subscribers)
 * through each client's transport.  The first transport is UDP
 * (osc_net.h); other modules add commands (osc_add_command) and
 * automation (osc_set_automation).
 *
 * Threads: every function here runs on the control thread
 * (osc_dump_namespace also before it exists, from main).  Nothing here is
 * ever called from the RT thread: changes reach it only through the
 * model.  A transport that runs a thread of its own (WebSocket) marshals
 * to the control thread before it calls anything here.
 *
 * Invariants: a bad message changes nothing and earns exactly one /error
 * reply; one packet (a message or a whole bundle) is one model_commit, so
 * a bundle reaches the audio thread in one period; nothing is sent to a
 * client after osc_client_free.
 */
#ifndef JMX_OSC_H
#define JMX_OSC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h"
#include "model.h"
#include "params.h"

/* What the OSC layer needs from the rest of the daemon, as callbacks so
 * that tests and the fuzzer can run it without JACK.  Any callback may be
 * NULL. */
struct osc_host {
	const char *name;    /* JACK client name, for /info */
	const char *version; /* for /info */
	void *ctx;
	unsigned (*rate)(void *ctx);
	unsigned (*period)(void *ctx);
	/* mixer_meter_take: out[0] peak (or gain reduction), out[1] RMS;
	 * returns the number of values written. */
	int (*meter_take)(void *ctx, enum param_id id, unsigned idx, float out[2]);
	unsigned (*osc_port)(void *ctx); /* the UDP port we listen on, for /info */
};

struct osc_stats {
	unsigned long datagrams; /* packets received from anyone, by any transport */
	unsigned long denied;    /* dropped: sender outside loopback and --allow */
	unsigned long malformed; /* not a valid OSC packet */
	unsigned long messages;  /* OSC messages dispatched */
	unsigned long applied;   /* accepted parameter changes */
	unsigned long errors;    /* /error replies */
	unsigned long sent;      /* packets sent */
	unsigned long send_failed;
};

struct osc;

/* Create the core: the router from the parameter table, the liblo
 * dispatcher, the model listener, and (when ctl is not NULL) the
 * feedback and meter timers.  No transport yet: see below.  NULL after
 * one clear log line on failure. */
struct osc *osc_new(const struct osc_host *host, struct model *m, struct control *ctl);
/* After every transport was freed. */
void osc_free(struct osc *o);

/* ---- transports --------------------------------------------------------
 *
 * A transport (UDP, osc_net.c; WebSocket next) turns what it receives into
 * OSC packets from clients and sends what the core gives it back.  The
 * core knows a client only by the handle osc_client_new returns and the
 * transport's callbacks; it never sees an address.
 *
 *   - On connect (UDP: the first datagram of an address, or a
 *     --feedback target), the transport calls osc_client_new(o, &tp, ctx)
 *     with its own per-client ctx.
 *   - For each packet, osc_client_packet(o, client, buf, len, now): the
 *     core validates and dispatches it, and every reply to it is sent
 *     through tp->send(ctx, ...) before osc_client_packet returns.
 *   - Feedback (values after /subscribe or auto-registration, /dump,
 *     meters, status pushes) arrives later, from the core's timers, also
 *     through tp->send of the client it goes to.
 *   - On close, osc_client_free(o, client): the core ends every
 *     subscription, dump and auto-registration that sends to the client
 *     or that it owns, and never calls its callbacks again.
 *
 * A WebSocket transport would make one client per connection, send each
 * packet as one binary message (its send queues for the web thread and
 * wakes it), leave peer NULL (a /subscribe port is then ignored: the
 * feedback goes to the connection) and either set autofeed to return the
 * client itself (every connection gets values, as a TouchOSC on UDP does)
 * or call osc_client_feed at connect.  Nothing in dispatch or feedback
 * changes for it.
 */
struct osc_client; /* a client of some transport; the core allocates it */

struct osc_transport {
	const char *name; /* "udp", "ws": for logs */
	/* Send one OSC packet (a message, or a bundle of meters, see
	 * meter_bundle_max) to the client: 0 sent, -1 failed
	 * (counted in send_failed), 1 nowhere to send it (not counted). */
	int (*send)(void *ctx, const void *buf, size_t len);
	/* The client for logs, e.g. "192.168.1.20:9000"; NULL: the name. */
	const char *(*describe)(void *ctx, char *buf, size_t len);
	/* /subscribe i:port from the client: the client to feed instead of
	 * the sender, at that port of its host (UDP), or NULL when there is
	 * none.  NULL op: the sender is always fed itself. */
	struct osc_client *(*peer)(void *ctx, unsigned port);
	/* Auto-registration: the client that gets feedback because this
	 * one sent something (UDP: its host at --feedback-port; all
	 * senders of that host share it), or NULL for none.  Called for
	 * every packet; the core makes the target once and renews it. */
	struct osc_client *(*autofeed)(void *ctx);
	/* The meters of one tick go to the client as OSC bundles of at most
	 * this many bytes (the web surface: one bundle a tick, so one write
	 * and one frame instead of hundreds), or 0: one message a packet
	 * (UDP: a datagram each, as surfaces that read no bundles expect). */
	size_t meter_bundle_max;
};

/* A client of transport tp (which must outlive it) whose callbacks get
 * ctx.  NULL when OSC_MAX_CLIENTS clients exist. */
struct osc_client *osc_client_new(struct osc *o, const struct osc_transport *tp, void *ctx);
/* Not from inside the client's own packet (a transport closes between
 * packets). */
void osc_client_free(struct osc *o, struct osc_client *c);
void *osc_client_ctx(const struct osc_client *c);
/* One packet from c: leases, validation, dispatch, commit.  buf may be
 * modified.  0 when it was dispatched, -1 when it was malformed. */
int osc_client_packet(struct osc *o, struct osc_client *c, void *buf, size_t len, uint64_t now_ms);
/* Feedback to c for as long as it exists (a fixed target): values, the
 * state first.  0, or -1 when there is no room. */
int osc_client_feed(struct osc *o, struct osc_client *c);
/* Whether the core still sends to c or counts it as the owner of a
 * feedback target; a transport may free a client that is not busy. */
int osc_client_busy(const struct osc *o, const struct osc_client *c);
/* A transport dropped a packet before it reached the core: a sender it
 * does not accept (denied), or one too long or broken (else).  Counted
 * in /stats. */
void osc_packet_dropped(struct osc *o, int denied);

/* Timers (registered by osc_new when given a control loop; tests call
 * them directly): feedback pacing and lease expiry, and meters. */
void osc_tick(struct osc *o, uint64_t now_ms);
void osc_meter_tick(struct osc *o, uint64_t now_ms);

/* Commands implemented in other modules (scenes, recorder, automation,
 * MIDI, engine status).  Their paths and documentation are rows of
 * osc_route.c's command table, so --dump-osc and the man page list them;
 * the handler is bound at run time (unbound, they reply /error "not
 * available").  Arguments arrive converted. */
struct osc_arg {
	char type;       /* the OSC type tag */
	double num;      /* i h f d: the value, T F: 1 0, else NAN */
	const char *str; /* s S: the string, else NULL */
};
typedef void (*osc_command_fn)(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                               int argc);
/* 0, or -1 when path is not an external command of the table.  A row's
 * path may be a template (/ch/<n>/eq/response): the router matches any
 * channel number, and the handler gets the concrete address and checks
 * the number itself. */
int osc_add_command(struct osc *o, const char *path, osc_command_fn fn, void *ctx);
/* From inside a command handler only: reply to the sender of the message
 * being handled, with /error s:path s:reason or a serialised message. */
void osc_reply_error(struct osc *o, const char *path, const char *reason);
void osc_reply_raw(struct osc *o, const void *buf, size_t len);
/* Any time: send a serialised message (whose address is path) to every
 * feedback client that takes values and whose prefix matches: status
 * pushes and asynchronous /error reports of other modules. */
void osc_broadcast_raw(struct osc *o, const char *path, const void *buf, size_t len);

/* Automation (automation_osc.c), bound at run time like the commands:
 * every automatable parameter (param_automatable) has the addresses
 * <base>/auto and <base>/touch, every continuous one <base>/stop (base:
 * param_auto_base); a set of a continuous parameter may carry a second
 * number, a ramp time in milliseconds.  Unbound, the addresses reply
 * /error "not available" and a ramp time is an error. */
enum osc_param_cmd { OSC_PARAM_AUTO, OSC_PARAM_TOUCH, OSC_PARAM_STOP };
struct osc_automation {
	void *ctx;
	/* <base>/auto, /touch, /stop with their arguments (argc may be 0) */
	void (*command)(void *ctx, struct osc *o, const char *path, enum osc_param_cmd cmd, enum param_id id,
	                unsigned i1, unsigned i2, const struct osc_arg *argv, int argc);
	/* a set with a ramp time (validated: finite, >= 0) */
	enum model_result (*ramp)(void *ctx, enum param_id id, unsigned i1, unsigned i2, float value,
	                          float ms, const void *origin);
	/* the value to feed back and reply for an instance: the model's
	 * value, unless automation is moving the parameter elsewhere */
	float (*value)(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value);
};
void osc_set_automation(struct osc *o, const struct osc_automation *hooks);
/* The value an instance shows changed without a model change (a ramp or
 * a lane moving it): queue its feedback to every value client. */
void osc_value_changed(struct osc *o, enum param_id id, unsigned i1, unsigned i2);

void osc_get_stats(const struct osc *o, struct osc_stats *st);

/* --dump-osc: the namespace generated from the parameter table. */
void osc_dump_namespace(FILE *f);
/* The same tables as one JSON object: params (path, npath, type, unit,
 * enums, min, max, taper, default, dims, automatable, doc), helpers
 * (path, kind, of) and commands (path, args, doc). */
void osc_dump_params_json(FILE *f);

#endif
