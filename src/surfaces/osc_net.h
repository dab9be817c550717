/*
 * osc_net.h - the UDP transport of the OSC layer: a socket of our own in
 * the control thread's poll loop, the allow-list (loopback and --allow
 * networks; everyone else is dropped before any parsing), and the map
 * from sender addresses to OSC clients (osc.h): every address that sends
 * is a client, --feedback HOST:PORT targets are fixed clients, and
 * feedback for the messages of a host goes to that host at
 * --feedback-port (auto-registration), or to the port a /subscribe names.
 *
 * Threads: control thread only (osc_net_config_init and
 * osc_net_config_check also before it exists, from main; the pure
 * osc_net_peer_check also from the web thread).
 *
 * Invariants: a datagram from a sender outside loopback and the
 * allow-list never reaches the core; the transport holds a client only
 * while the core uses it (as a feedback target's destination or owner)
 * or while its datagram is being dispatched, so a sender that sprays from
 * many ports costs no memory (OSC_NET_MAX_CLIENTS slots, reclaimed).
 */
#ifndef JMX_OSC_NET_H
#define JMX_OSC_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "control.h"
#include "osc.h"

#define OSC_NET_DEFAULT_PORT          8000u
#define OSC_NET_DEFAULT_FEEDBACK_PORT 9000u
#define OSC_NET_MAX_ALLOW             32u
#define OSC_NET_MAX_FIXED             16u

struct osc_net_config {
	const char *listen; /* address to bind; NULL = 127.0.0.1 */
	unsigned port;      /* UDP port to bind; 0 = any free port (see osc_net_port) */
	int no_socket;      /* datagrams through osc_net_dispatch only (tests, fuzzing) */
	int any_if_busy;    /* port taken (EADDRINUSE): bind a free one instead (NSM: a second instance) */
	const char *allow[OSC_NET_MAX_ALLOW]; /* CIDRs accepted besides loopback */
	unsigned n_allow;
	unsigned feedback_port; /* port of auto-registered clients; 0 = no auto-registration */
	const char *feedback[OSC_NET_MAX_FIXED]; /* fixed feedback targets, HOST:PORT */
	unsigned n_feedback;
};

struct osc_net;

/* Fill defaults: 127.0.0.1:8000, auto-registration at port 9000. */
void osc_net_config_init(struct osc_net_config *cfg);

/* Check the addresses in cfg without opening anything.  Returns 0, or -1
 * with a message naming the option in err. */
int osc_net_config_check(const struct osc_net_config *cfg, char *err, size_t errlen);

/* Bind the socket (unless cfg->no_socket) and register it with ctl (if
 * not NULL); make the fixed feedback targets.  NULL after one clear log
 * line on failure.  Free it before o. */
struct osc_net *osc_net_new(struct osc *o, const struct osc_net_config *cfg, struct control *ctl);
void osc_net_free(struct osc_net *n);

/* Handle one datagram as if it had arrived on the socket from `from`:
 * allow-list, then osc_client_packet for the sender's client.  buf may be
 * modified.  Returns 0 when it was dispatched, -1 when it was dropped or
 * malformed. */
int osc_net_dispatch(struct osc_net *n, void *buf, size_t len, const struct sockaddr *from, socklen_t fromlen,
                     uint64_t now_ms);

/* Divert every outgoing datagram to fn instead of the socket (tests). */
typedef void (*osc_net_send_fn)(void *ctx, const void *buf, size_t len, const struct sockaddr *to,
                                socklen_t tolen);
void osc_net_set_send_hook(struct osc_net *n, osc_net_send_fn fn, void *ctx);

/* Whether a peer of another transport on the same addresses (the web
 * surface's TCP connections) may talk to the console: loopback always,
 * the --allow networks of cfg, nobody else.  Pure: also from the web
 * thread (cfg is not changed after start-up). */
enum osc_net_peer { OSC_NET_PEER_DENIED, OSC_NET_PEER_ALLOWED, OSC_NET_PEER_LOOPBACK };
enum osc_net_peer osc_net_peer_check(const struct osc_net_config *cfg, const struct sockaddr *sa,
                                     socklen_t len);

/* Bound port (useful with an ephemeral port), or 0. */
unsigned osc_net_port(const struct osc_net *n);

#endif
