/*
 * osc_core.h - what the parts of the OSC layer share, private to them
 * (osc.c, osc_wire.c, osc_route.c, osc_feed.c, osc_dump.c); the rest of
 * the daemon uses osc.h, transports included.
 *
 * The parts call one another in one direction only, so that no two files
 * call each other, directly or around a loop (checked with nm):
 *
 *     osc.c      -> osc_feed.c, osc_route.c, osc_wire.c
 *     osc_feed.c -> osc_route.c, osc_wire.c
 *     osc_dump.c -> osc_route.c
 *     osc_route.c, osc_wire.c -> no other part
 *
 * A transport (osc_net.c) calls osc.c through osc.h only, and is called
 * back only through the function pointers of its struct osc_transport;
 * the model calls osc_feed.c through the listener osc.c registers.
 *
 * They share the one struct osc below: a part reads the fields of the
 * others (the feed reads the datagram being dispatched, o->cur), but
 * writes only its own, as marked.
 *
 * Threads: control thread only, as osc.h.
 */
#ifndef JMX_OSC_CORE_H
#define JMX_OSC_CORE_H

#include <lo/lo.h>
#include <stdint.h>

#include "osc.h"

#define OSC_MAX_TARGETS     64u     /* feedback clients of all kinds */
#define OSC_MAX_CLIENTS     256u    /* of all transports; UDP reclaims its idle ones */
#define OSC_MAX_DUMPS       8u      /* concurrent /dump streams */
#define OSC_AUTO_IDLE_MS    600000u /* auto-registered clients: 10 min */
#define OSC_LEASE_DEFAULT_S 10u
#define OSC_LEASE_MAX_S     3600u
#define OSC_FB_TICK_MS      5u  /* feedback timer */
#define OSC_FB_INTERVAL_MS  34u /* <= 30 Hz per path */
#define OSC_FB_TICK_MSGS    24u /* per client per tick: 4800 msg/s */
#define OSC_FB_BURST_MIN    6u  /* of which state bursts always get */
#define OSC_METER_MS        50u /* 20 Hz */
#define OSC_DUMP_TIMEOUT_MS 120000u
#define OSC_MAX_DEPTH       8 /* nested bundles */
#define OSC_PREFIX_MAX      64u
#define OSC_PATH_MAX        128u
#define OSC_TX_MAX          512u
#define OSC_ROUTES          1024u /* hash slots, power of two: ~300 addresses */
#define OSC_ERRLOG_SLOTS    1024u
#define OSC_ERRLOG_RESET_MS 600000u
#define OSC_MAX_RAMP_MS     3600000.0 /* timed moves: up to an hour */

enum {
	FORM_UNIT = 1,   /* engineering units (the table's path) */
	FORM_NORM = 2,   /* normalised 0..1 */
	FORM_TEXT = 4,   /* fader value as text, read-only */
	FORM_TOGGLE = 8, /* boolean flip on values > 0 */
	FORM_AUTO = 16,  /* <base>/auto: automation mode (automation_osc.c) */
	FORM_TOUCH = 32, /* <base>/touch: a control is held */
	FORM_STOP = 64,  /* <base>/stop: a timed move stops where it is */
};
#define FORM_AUTOMATION (FORM_AUTO | FORM_TOUCH | FORM_STOP)

enum osc_cmd {
	CMD_NONE,
	CMD_PING,
	CMD_INFO,
	CMD_DUMP,
	CMD_SUBSCRIBE,
	CMD_UNSUBSCRIBE,
	CMD_METERS,
	CMD_STATS,
	CMD_SOLO_CLEAR,
	CMD_EXT
};
#define OSC_MAX_EXT      64u /* commands handled outside this module */
#define OSC_MAX_EXT_ARGS 8

/* The command rows of the namespace (osc_route.c): the router and
 * --dump-osc read the same table. */
struct osc_route_command {
	const char *path;
	enum osc_cmd cmd;
	const char *args;
	const char *doc;
};
extern const struct osc_route_command osc_route_commands[];
extern const unsigned osc_route_ncommands;

/* A client of some transport (osc.h): a slot of o->client. */
struct osc_client {
	const struct osc_transport *tp;
	void *ctx;
	int used;
};

enum osc_tkind { T_FREE, T_SUB, T_AUTO, T_FIXED, T_DUMP };
enum { TF_VALUES = 1, TF_METERS = 2 };
/* /dump's options (flags of a T_DUMP target) */
enum { TF_DUMP_UNITS = 4, TF_DUMP_CHANGED = 8 };

/* A feedback target: where values go (to), and the client it is kept for
 * (owner: its messages renew the target).  A change is held back from a
 * target, in the form its sender used, only when the sender is the
 * target's own client: its owner for a subscription, its destination for
 * an auto-registered or fixed target (osc_feed_touch). */
struct osc_target {
	enum osc_tkind kind;
	unsigned flags;
	struct osc_client *to;
	struct osc_client *owner;
	uint64_t expires; /* 0 = never */
	unsigned lease_ms;
	char prefix[OSC_PREFIX_MAX];
	int bursting;
	unsigned cursor; /* next flat instance of the state burst */
	unsigned long count;
};

struct osc_route {
	char key[OSC_PATH_MAX];
	int used;
	enum osc_cmd cmd;
	uint16_t id;
	uint8_t form;
};

/* An outgoing message being encoded (osc_wire.c). */
struct osc_msgbuf {
	unsigned char b[OSC_TX_MAX];
	size_t n;
	int bad;
};

struct osc {
	/* osc.c */
	struct model *model;
	struct osc_host host;
	struct control *ctl;
	struct param_shape shape;
	lo_server lo;
	unsigned n1[P_COUNT], n2[P_COUNT];
	unsigned off[P_COUNT + 1];
	unsigned total;
	struct osc_client client[OSC_MAX_CLIENTS];
	int fb_timer, meter_timer; /* control loop timer ids (-1: none) */

	/* osc_route.c */
	struct osc_route routes[OSC_ROUTES];

	/* osc_feed.c: feedback state per flat instance */
	uint64_t *fb_excl; /* targets that sent the newest value */
	uint8_t *fb_form;  /* ... and the form they used */
	uint64_t *fb_last; /* ms of the last send */
	uint8_t *fb_inlist;
	unsigned *fifo; /* ring of flat instances, capacity total */
	unsigned fifo_head, fifo_len;
	struct osc_target target[OSC_MAX_TARGETS];
	/* osc_feed.c: the meters of one tick as a bundle (mt: header, then
	 * size-prefixed messages) and a client's share of it (mt_out); both
	 * grow to their size at the first ticks and are kept */
	unsigned char *mt, *mt_out;
	size_t mt_len, mt_cap, mt_out_cap;

	/* osc.c and osc_feed.c: the datagram being dispatched */
	struct {
		struct osc_client *client; /* its sender */
		uint64_t now;
		uint64_t excl;   /* targets that are the sender's own: no echo (osc_feed_touch) */
		uint64_t own;    /* ... and those it keeps alive: renewal, /meters */
		int form;        /* form of the message being applied */
		int force_clamp; /* normalised value was outside 0..1 */
		int active;
	} cur;

	/* osc.c */
	struct {
		const char *path;
		osc_command_fn fn;
		void *ctx;
	} ext[OSC_MAX_EXT];
	unsigned n_ext;

	struct osc_automation autom; /* all NULL until automation binds */

	uint64_t errlog[OSC_ERRLOG_SLOTS];
	unsigned errlog_n;
	uint64_t errlog_reset;
	int errlog_full_said;

	struct osc_stats st; /* sent and send_failed: osc_wire_send */
};

/* ---- osc_wire.c: packets in and out ---- */
size_t osc_wire_valid_str(const unsigned char *p, size_t len);
int osc_wire_valid_packet(const unsigned char *p, size_t len, int depth);
int osc_wire_arg_number(char type, const void *a, double *v);
void osc_wire_begin(struct osc_msgbuf *m, const char *path, const char *types);
void osc_wire_str(struct osc_msgbuf *m, const char *s);
void osc_wire_i(struct osc_msgbuf *m, int32_t v);
void osc_wire_f(struct osc_msgbuf *m, float f);
const char *osc_wire_path(const struct osc_msgbuf *m);
void osc_wire_send(struct osc_client *c, struct osc_stats *st, const void *buf, size_t len);
void osc_wire_send_msg(struct osc_client *c, struct osc_stats *st, const struct osc_msgbuf *m);

/* ---- osc_route.c: the namespace ---- */
int osc_route_build(struct osc *o);
const struct osc_route *osc_route_resolve(const struct osc *o, const char *path, unsigned *i1, unsigned *i2,
                                          const char **why);
void osc_route_for_each_address(void (*fn)(void *ctx, const char *tmpl, unsigned id, unsigned form),
                                void *ctx);

/* ---- osc_feed.c: feedback ---- */
int osc_feed_new(struct osc *o);
void osc_feed_free(struct osc *o);
void osc_feed_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                        int clamped);
int osc_feed_encode_value(struct osc *o, unsigned id, unsigned i1, unsigned i2, unsigned form,
                          struct osc_msgbuf *m);
void osc_feed_touch(struct osc *o, uint64_t now);
int osc_feed_subscribe(struct osc *o, struct osc_client *to, unsigned flags, const char *prefix, double lease,
                       const char *what);
void osc_feed_unsubscribe(struct osc *o, const struct osc_client *to);
int osc_feed_dump(struct osc *o, const char *prefix, unsigned flags);
unsigned osc_feed_meters(struct osc *o, int on);
int osc_feed_fixed(struct osc *o, struct osc_client *c);
void osc_feed_broadcast(struct osc *o, const char *path, const void *buf, size_t len);
int osc_feed_busy(const struct osc *o, const struct osc_client *c);
void osc_feed_forget(struct osc *o, const struct osc_client *c);
void osc_feed_tick(struct osc *o, uint64_t now);
void osc_feed_meter_tick(struct osc *o, uint64_t now);
/* Puts the feedback and meter timers to sleep when they have nothing to
 * do (no change pending, no burst, no meter subscriber; the feedback
 * timer wakes by itself when the first lease ends), wakes them when they
 * have. */
void osc_feed_arm(struct osc *o);

#endif
