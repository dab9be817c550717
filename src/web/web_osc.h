/*
 * web_osc.h - the web surface on the control thread: the WebSocket
 * transport of the OSC core (osc.h).  Every open WebSocket is a client of
 * the core from its first message until it closes, fed like an
 * auto-registered UDP surface (values, replies, /error, meters after
 * /meters 1), through the same dispatcher, validation, coalescing and
 * pacing.  A musician's connection (web_keys.h) may only set its bus's
 * sends; anything else it sends earns /error and changes nothing.
 *
 * Threads: control thread only.  It starts the web thread (web.h) and
 * talks to it through webq.h.
 */
#ifndef JMX_WEB_OSC_H
#define JMX_WEB_OSC_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "osc.h"
#include "osc_net.h"
#include "params.h"
#include "webq.h"

struct web_osc_config {
	const struct osc_net_config *net; /* --listen, --allow */
	unsigned port;                    /* --http; 0 off */
	int port_explicit;
	const char *app_dir;
	const char *record_dir;
	const char *keys_path; /* NULL: web_keys_default_path */
	struct param_shape shape;
};

struct web_osc;

/* Start the surface.  *wo is NULL and 0 returned when the surface is off
 * or the default port is busy (logged); -1 on a start-up error (logged,
 * naming the option). */
int web_osc_new(struct web_osc **wo, struct osc *o, struct control *ctl, const struct web_osc_config *cfg);
/* Stops the web thread, then frees every client (before osc_free). */
void web_osc_free(struct web_osc *wo);
/* /api/info's members (a JSON object's insides). */
void web_osc_publish(struct web_osc *wo, const char *info_members);
unsigned web_osc_port(const struct web_osc *wo);

/* Without a web thread (the fuzzer, tests): the transport on a queue of
 * its own, whose web side the caller plays (webq_web_open, _packet,
 * _pop, _close); pre as for webq_new.  Free with web_osc_free.  NULL out
 * of memory. */
struct web_osc *web_osc_new_queue(struct osc *o, const struct param_shape *shape, size_t pre);
struct webq *web_osc_queue(struct web_osc *wo);
/* Take every record the web side queued and handle it at time now: what
 * the control loop does when the queue's descriptor is readable. */
void web_osc_drain(struct web_osc *wo, uint64_t now);

/* Without a web thread (tests, the fuzzer): a musician of bus (0-based)
 * may send packet?  1 yes; 0 with the refused message's path in why. */
int web_osc_musician_ok(const void *packet, size_t len, unsigned bus, const struct param_shape *shape,
                        char *why, size_t whylen);
/* Which kind of output a message is (its address): meter or value. */
enum webq_kind web_osc_classify(const void *msg, size_t len);

#endif
