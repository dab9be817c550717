/*
 * osc.h - the OSC control surface: a UDP socket of our own in the control
 * thread's poll loop, datagrams dispatched through liblo to one generic
 * handler that resolves every address against the parameter table, query
 * replies, /error replies, and feedback fan-out (subscribers with leases,
 * auto-registered surfaces, fixed targets; values coalesced and paced,
 * meters at 20 Hz to meter subscribers).
 *
 * Threads: every function here runs on the control thread (osc_dump_namespace
 * and osc_config_check also before it exists, from main).  Nothing here is
 * ever called from the RT thread: changes reach it only through the model.
 *
 * Invariants: a datagram from a sender outside loopback and the allow-list
 * is dropped before any parsing; a bad message changes nothing and earns
 * exactly one /error reply; one datagram (a message or a whole bundle) is
 * one model_commit, so a bundle reaches the audio thread in one period.
 */
#ifndef JMX_OSC_H
#define JMX_OSC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "control.h"
#include "model.h"
#include "params.h"

#define OSC_DEFAULT_PORT          8000u
#define OSC_DEFAULT_FEEDBACK_PORT 9000u
#define OSC_MAX_ALLOW             32u
#define OSC_MAX_FIXED             16u

struct osc_config {
	const char *listen;               /* address to bind; NULL = 127.0.0.1 */
	unsigned port;                    /* UDP port to bind; 0 = any free port (see osc_port) */
	int no_socket;                    /* dispatch through osc_dispatch only (tests, fuzzing) */
	const char *allow[OSC_MAX_ALLOW]; /* CIDRs accepted besides loopback */
	unsigned n_allow;
	unsigned feedback_port;              /* port of auto-registered clients; 0 = no auto-registration */
	const char *feedback[OSC_MAX_FIXED]; /* fixed feedback targets, HOST:PORT */
	unsigned n_feedback;
};

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
};

struct osc_stats {
	unsigned long datagrams; /* received from anyone */
	unsigned long denied;    /* dropped: sender outside loopback and --allow */
	unsigned long malformed; /* not a valid OSC packet */
	unsigned long messages;  /* OSC messages dispatched */
	unsigned long applied;   /* accepted parameter changes */
	unsigned long errors;    /* /error replies */
	unsigned long sent;      /* datagrams sent */
	unsigned long send_failed;
};

struct osc;

/* Fill defaults: 127.0.0.1:8000, auto-registration at port 9000. */
void osc_config_init(struct osc_config *cfg);

/* Check the addresses in cfg without opening anything.  Returns 0, or -1
 * with a message naming the option in err. */
int osc_config_check(const struct osc_config *cfg, char *err, size_t errlen);

/* Bind the socket (unless cfg->no_socket), create the liblo dispatcher,
 * and register the socket and the feedback and meter timers with ctl (if
 * not NULL).  NULL after one clear log line on failure. */
struct osc *osc_new(const struct osc_config *cfg, const struct osc_host *host, struct model *m,
                    struct control *ctl);
void osc_free(struct osc *o);

/* Handle one datagram as if it had arrived on the socket from `from`:
 * allow-list, leases, validation, dispatch, commit.  buf may be modified.
 * Returns 0 when it was dispatched, -1 when it was dropped or malformed. */
int osc_dispatch(struct osc *o, void *buf, size_t len, const struct sockaddr *from, socklen_t fromlen,
                 uint64_t now_ms);

/* Timers (registered by osc_new when given a control loop; tests call
 * them directly): feedback pacing and lease expiry, and meters. */
void osc_tick(struct osc *o, uint64_t now_ms);
void osc_meter_tick(struct osc *o, uint64_t now_ms);

/* Commands implemented in other modules (snapshots).  Their paths and
 * documentation are rows of osc.c's command table, so --dump-osc and the
 * man page list them; the handler is bound at run time (unbound, they
 * reply /error "not available").  Arguments arrive converted. */
struct osc_arg {
	char type;       /* the OSC type tag */
	double num;      /* i h f d: the value, T F: 1 0, else NAN */
	const char *str; /* s S: the string, else NULL */
};
typedef void (*osc_command_fn)(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                               int argc);
/* 0, or -1 when path is not an external command of the table. */
int osc_add_command(struct osc *o, const char *path, osc_command_fn fn, void *ctx);
/* From inside a command handler only: reply to the sender of the message
 * being handled, with /error s:path s:reason or a serialised message. */
void osc_reply_error(struct osc *o, const char *path, const char *reason);
void osc_reply_raw(struct osc *o, const void *buf, size_t len);
/* Any time: send a serialised message (whose address is path) to every
 * feedback client that takes values and whose prefix matches: status
 * pushes and asynchronous /error reports of other modules. */
void osc_broadcast_raw(struct osc *o, const char *path, const void *buf, size_t len);

/* Automation (automation.c), bound at run time like the commands:
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
	enum model_result (*ramp)(void *ctx, enum param_id id, unsigned i1, unsigned i2, float value, float ms,
	                          const void *origin);
	/* the value to feed back and reply for an instance: the model's
	 * value, unless automation is moving the parameter elsewhere */
	float (*value)(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value);
};
void osc_set_automation(struct osc *o, const struct osc_automation *hooks);
/* The value an instance shows changed without a model change (a ramp or
 * a lane moving it): queue its feedback to every value client. */
void osc_value_changed(struct osc *o, enum param_id id, unsigned i1, unsigned i2);

/* Divert every outgoing datagram to fn instead of the socket (tests). */
typedef void (*osc_send_fn)(void *ctx, const void *buf, size_t len, const struct sockaddr *to,
                            socklen_t tolen);
void osc_set_send_hook(struct osc *o, osc_send_fn fn, void *ctx);

void osc_get_stats(const struct osc *o, struct osc_stats *st);
/* Bound port (useful with an ephemeral port), or 0. */
unsigned osc_port(const struct osc *o);

/* --dump-osc: the namespace generated from the parameter table. */
void osc_dump_namespace(FILE *f);

#endif
