/*
 * osc_net.c - the UDP transport of the OSC layer; see osc_net.h.
 *
 * Threads: control thread only.  The socket is ours, non-blocking, read
 * in the control loop's poll() (recvmmsg, OSC_NET_RECV_BATCH datagrams a
 * call, OSC_NET_RECV_ROUNDS calls before timers get their turn).
 *
 * Datagram path: recvmmsg -> osc_net_dispatch: allow-list (before any
 * parsing) -> the sender's client (found or made) -> osc_client_packet.
 * Replies and feedback come back through the transport's send callback
 * (osc_net_send), to the client's address.
 *
 * Clients: one per address and port (IPv4-mapped IPv6 folded to IPv4),
 * made for a sender, for the port a /subscribe names (peer), for the
 * sender's host at --feedback-port (autofeed: the core's
 * auto-registration, one target per host, a client of its own: a sender
 * on another port of that host is another client, and its changes reach
 * it in every form) and for each --feedback target.  When the table is full, the
 * clients the core no longer uses (osc_client_busy) are given back, at
 * the start of a datagram, when no client is being dispatched.
 *
 * Invariants: no allocation per datagram; a client's address never
 * changes (an address is one client); a denied sender is logged once
 * (OSC_NET_DENYLOG_SLOTS addresses) and counted.  This file uses the
 * core's public API (osc.h) only.
 */
#define _GNU_SOURCE /* recvmmsg */
#include "osc_net.h"
#include "role.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define OSC_NET_RECV_BATCH    16u
#define OSC_NET_RECV_ROUNDS   64u /* then let timers run */
#define OSC_NET_MAX_DGRAM     65536u
#define OSC_NET_DENYLOG_SLOTS 64u
/* two per feedback target (destination, owner), the sender, its
 * autofeed and peer clients, and room for reuse */
#define OSC_NET_MAX_CLIENTS 192u

/* Normalised sender or target address: IPv4-mapped IPv6 folded to IPv4. */
struct osc_net_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char ip[16];
	unsigned port;
};

struct osc_net_cidr {
	int family;
	unsigned char ip[16];
	unsigned bits;
};

/* A client of this transport: the core's handle and its address. */
struct osc_net_client {
	struct osc_net *net;
	struct osc_client *c; /* NULL: a free slot */
	struct osc_net_addr addr;
	struct sockaddr_storage sa; /* addr, in the socket's family */
	socklen_t salen;
};

struct osc_net {
	struct osc *osc;
	struct control *ctl;
	int fd;
	int family; /* of the socket */
	unsigned port;
	unsigned feedback_port;
	struct osc_net_cidr allow[OSC_NET_MAX_ALLOW];
	unsigned n_allow;
	struct osc_net_client client[OSC_NET_MAX_CLIENTS];
	unsigned n_clients;

	/* receive buffers */
	unsigned char (*rxbuf)[OSC_NET_MAX_DGRAM];
	struct sockaddr_storage rxaddr[OSC_NET_RECV_BATCH];
	struct mmsghdr mmsg[OSC_NET_RECV_BATCH];
	struct iovec iov[OSC_NET_RECV_BATCH];

	osc_net_send_fn send_hook;
	void *send_ctx;

	struct osc_net_addr denylog[OSC_NET_DENYLOG_SLOTS];
	unsigned denylog_n;
};

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

static int osc_net_addr_from_sa(const struct sockaddr *sa, socklen_t len, struct osc_net_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		a->family = AF_INET;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		a->port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = AF_INET;
			memcpy(a->ip, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->ip, s6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

/* osc_addr -> sockaddr usable on a socket of the given family. */
static int osc_net_addr_to_sa(const struct osc_net_addr *a, int family, struct sockaddr_storage *ss,
                              socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		if (a->family != AF_INET)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		*len = sizeof *s4;
		return 0;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)a->port);
	if (a->family == AF_INET) {
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(s6->sin6_addr.s6_addr + 12, a->ip, 4);
	} else {
		memcpy(s6->sin6_addr.s6_addr, a->ip, 16);
	}
	*len = sizeof *s6;
	return 0;
}

static int osc_net_same_ip(const struct osc_net_addr *a, const struct osc_net_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, a->family == AF_INET ? 4 : 16) == 0;
}

static int osc_net_same_addr(const struct osc_net_addr *a, const struct osc_net_addr *b)
{
	return osc_net_same_ip(a, b) && a->port == b->port;
}

static const char *osc_net_addr_str(const struct osc_net_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family, a->ip, ip, sizeof ip);
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "%s:%u", ip, a->port);
	return buf;
}

static int osc_net_is_loopback(const struct osc_net_addr *a)
{
	static const unsigned char v6lo[16] = {[15] = 1};
	if (a->family == AF_INET)
		return a->ip[0] == 127;
	return memcmp(a->ip, v6lo, 16) == 0;
}

static int osc_net_cidr_match(const struct osc_net_cidr *c, const struct osc_net_addr *a)
{
	if (c->family != a->family)
		return 0;
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->ip, a->ip, full) != 0)
		return 0;
	if (rest) {
		unsigned char m = (unsigned char)(0xff << (8 - rest));
		if ((c->ip[full] & m) != (a->ip[full] & m))
			return 0;
	}
	return 1;
}

static int osc_net_parse_cidr(const char *s, struct osc_net_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(c, 0, sizeof *c);
	unsigned max;
	if (inet_pton(AF_INET, buf, c->ip) == 1)
		c->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, c->ip) == 1)
		c->family = AF_INET6, max = 128;
	else
		return -1;
	c->bits = max;
	if (slash) {
		char *end;
		errno = 0;
		unsigned long b = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || slash[1] == '-' || slash[1] == '+' || b > max)
			return -1;
		c->bits = (unsigned)b;
	}
	/* an IPv4-mapped IPv6 network is an IPv4 network */
	if (c->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)c->ip) && c->bits >= 96) {
		memmove(c->ip, c->ip + 12, 4);
		memset(c->ip + 4, 0, 12);
		c->family = AF_INET;
		c->bits -= 96;
	}
	return 0;
}

/* HOST:PORT, [V6]:PORT; host names are resolved (start-up only). */
static int osc_net_parse_hostport(const char *s, struct osc_net_addr *a)
{
	char host[256];
	const char *port;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = 0;
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host || strchr(s, ':') != colon)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		port = colon + 1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(port, &end, 10);
	if (!host[0] || errno || end == port || *end || port[0] == '-' || port[0] == '+' || p == 0 ||
	    p > 65535)
		return -1;
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) {
		hints.ai_flags = 0;
		if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
			return -1;
	}
	int r = osc_net_addr_from_sa(res->ai_addr, res->ai_addrlen, a);
	freeaddrinfo(res);
	a->port = (unsigned)p;
	return r;
}

void osc_net_config_init(struct osc_net_config *cfg)
{
	ASSERT_ROLE(ROLE_CONTROL);
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = "127.0.0.1";
	cfg->port = OSC_NET_DEFAULT_PORT;
	cfg->feedback_port = OSC_NET_DEFAULT_FEEDBACK_PORT;
}

static int osc_net_resolve_listen(const char *listen, unsigned port, struct sockaddr_storage *ss,
                                  socklen_t *len)
{
	char portstr[16];
	struct addrinfo hints = {0}, *res = NULL;
	snprintf(portstr, sizeof portstr, "%u", port);
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(listen ? listen : "127.0.0.1", portstr, &hints, &res) != 0 || !res)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int osc_net_config_check(const struct osc_net_config *cfg, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct sockaddr_storage ss;
	socklen_t len;
	struct osc_net_cidr c;
	struct osc_net_addr a;

	if (!cfg->no_socket && osc_net_resolve_listen(cfg->listen, cfg->port, &ss, &len) < 0) {
		snprintf(err, errlen, "--listen: '%s' is not an address of this host", cfg->listen);
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_allow; i++)
		if (osc_net_parse_cidr(cfg->allow[i], &c) < 0) {
			snprintf(err, errlen,
			         "--allow: '%s' is not an address or network (e.g. 192.168.1.0/24)",
			         cfg->allow[i]);
			return -1;
		}
	for (unsigned i = 0; i < cfg->n_feedback; i++) {
		if (osc_net_parse_hostport(cfg->feedback[i], &a) < 0) {
			snprintf(err, errlen, "--feedback: '%s' is not HOST:PORT (e.g. 192.168.1.20:9000)",
			         cfg->feedback[i]);
			return -1;
		}
		if (!cfg->no_socket && ss.ss_family == AF_INET && a.family != AF_INET) {
			snprintf(err, errlen, "--feedback: '%s' is IPv6 but --listen is IPv4",
			         cfg->feedback[i]);
			return -1;
		}
		/* an IPv6 socket reaches IPv4 hosts only when bound to "::" */
		if (!cfg->no_socket && ss.ss_family == AF_INET6 && a.family == AF_INET &&
		    !IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr)) {
			snprintf(err, errlen, "--feedback: '%s' is IPv4 but --listen is an IPv6 address",
			         cfg->feedback[i]);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Clients                                                             */

static int osc_net_send(void *ctx, const void *buf, size_t len);
static const char *osc_net_describe(void *ctx, char *buf, size_t len);
static struct osc_client *osc_net_peer(void *ctx, unsigned port);
static struct osc_client *osc_net_autofeed(void *ctx);

static const struct osc_transport osc_net_transport = {
    "udp",        osc_net_send,     osc_net_describe,
    osc_net_peer, osc_net_autofeed, 0, /* a datagram a meter: surfaces (TouchOSC, ...) read no bundles */
};

/* Give back the clients the core no longer uses.  Only between datagrams:
 * the sender of the one being dispatched is not a target's yet. */
static void osc_net_sweep(struct osc_net *n)
{
	for (unsigned i = 0; i < OSC_NET_MAX_CLIENTS; i++) {
		struct osc_net_client *nc = &n->client[i];
		if (nc->c && !osc_client_busy(n->osc, nc->c)) {
			osc_client_free(n->osc, nc->c);
			nc->c = NULL;
			n->n_clients--;
		}
	}
}

/* The client of address a, made if there is none (sa: as received, or
 * NULL to build it for the socket's family).  NULL when the table is full
 * or the socket cannot reach a. */
static struct osc_net_client *osc_net_client_get(struct osc_net *n, const struct osc_net_addr *a,
                                                 const struct sockaddr *sa, socklen_t salen)
{
	struct osc_net_client *free_slot = NULL;
	for (unsigned i = 0; i < OSC_NET_MAX_CLIENTS; i++) {
		struct osc_net_client *nc = &n->client[i];
		if (!nc->c) {
			if (!free_slot)
				free_slot = nc;
		} else if (osc_net_same_addr(&nc->addr, a)) {
			return nc;
		}
	}
	if (!free_slot)
		return NULL;
	struct osc_net_client *nc = free_slot;
	memset(nc, 0, sizeof *nc);
	if (sa && salen <= (socklen_t)sizeof nc->sa) {
		/* replies go exactly where the datagram came from (an IPv6
		 * sender keeps its scope) */
		memcpy(&nc->sa, sa, salen);
		nc->salen = salen;
	} else if (osc_net_addr_to_sa(a, n->family, &nc->sa, &nc->salen) < 0) {
		return NULL;
	}
	nc->c = osc_client_new(n->osc, &osc_net_transport, nc);
	if (!nc->c)
		return NULL;
	nc->net = n;
	nc->addr = *a;
	n->n_clients++;
	return nc;
}

static int osc_net_send(void *ctx, const void *buf, size_t len)
{
	struct osc_net_client *nc = ctx;
	struct osc_net *n = nc->net;
	if (n->send_hook) {
		n->send_hook(n->send_ctx, buf, len, (const struct sockaddr *)&nc->sa, nc->salen);
		return 0;
	}
	if (n->fd < 0)
		return 1;
	if (sendto(n->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&nc->sa,
	           nc->salen) < 0)
		return -1;
	return 0;
}

static const char *osc_net_describe(void *ctx, char *buf, size_t len)
{
	struct osc_net_client *nc = ctx;
	return osc_net_addr_str(&nc->addr, buf, len);
}

/* /subscribe i:port: the sender's host at that port. */
static struct osc_client *osc_net_peer(void *ctx, unsigned port)
{
	struct osc_net_client *nc = ctx;
	struct osc_net_addr a = nc->addr;
	a.port = port;
	struct osc_net_client *p = osc_net_client_get(nc->net, &a, NULL, 0);
	return p ? p->c : NULL;
}

/* Auto-registration: the sender's host at --feedback-port, the port
 * TouchOSC and its kind listen on whatever port they send from.  It is
 * the sender itself only when the sender sends from that port. */
static struct osc_client *osc_net_autofeed(void *ctx)
{
	struct osc_net_client *nc = ctx;
	if (!nc->net->feedback_port)
		return NULL;
	struct osc_net_addr a = nc->addr;
	a.port = nc->net->feedback_port;
	struct osc_net_client *p = osc_net_client_get(nc->net, &a, NULL, 0);
	return p ? p->c : NULL;
}

/* ------------------------------------------------------------------ */
/* Datagrams                                                           */

static int osc_net_allowed(const struct osc_net *n, const struct osc_net_addr *a)
{
	if (osc_net_is_loopback(a))
		return 1;
	for (unsigned i = 0; i < n->n_allow; i++)
		if (osc_net_cidr_match(&n->allow[i], a))
			return 1;
	return 0;
}

enum osc_net_peer osc_net_peer_check(const struct osc_net_config *cfg, const struct sockaddr *sa,
                                     socklen_t len)
{
	ASSERT_ROLE(ROLE_CONTROL | ROLE_WEB);
	struct osc_net_addr a;
	struct osc_net_cidr c;
	if (osc_net_addr_from_sa(sa, len, &a) < 0)
		return OSC_NET_PEER_DENIED;
	if (osc_net_is_loopback(&a))
		return OSC_NET_PEER_LOOPBACK;
	for (unsigned i = 0; i < cfg->n_allow; i++)
		if (osc_net_parse_cidr(cfg->allow[i], &c) == 0 && osc_net_cidr_match(&c, &a))
			return OSC_NET_PEER_ALLOWED;
	return OSC_NET_PEER_DENIED;
}

static void osc_net_note_denied(struct osc_net *n, const struct osc_net_addr *a)
{
	char who[64];
	for (unsigned i = 0; i < n->denylog_n; i++)
		if (osc_net_same_ip(&n->denylog[i], a))
			return;
	if (n->denylog_n < OSC_NET_DENYLOG_SLOTS) {
		n->denylog[n->denylog_n++] = *a;
		log_warn(
		    "OSC: ignoring %s: not loopback and not in --allow (further packets counted, not logged)",
		    osc_net_addr_str(a, who, sizeof who));
	}
}

int osc_net_dispatch(struct osc_net *n, void *buf, size_t len, const struct sockaddr *from, socklen_t fromlen,
                     uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc_net_addr src;
	if (osc_net_addr_from_sa(from, fromlen, &src) < 0 || !osc_net_allowed(n, &src)) {
		osc_packet_dropped(n->osc, 1);
		if (src.family)
			osc_net_note_denied(n, &src);
		return -1;
	}
	/* room for the sender, its autofeed and a peer */
	if (n->n_clients + 3 > OSC_NET_MAX_CLIENTS)
		osc_net_sweep(n);
	struct osc_net_client *nc = osc_net_client_get(n, &src, from, fromlen);
	if (!nc) {
		/* cannot happen while OSC_NET_MAX_CLIENTS exceeds what the
		 * core's targets can hold on to */
		log_debug("OSC: no client slot for a datagram");
		osc_packet_dropped(n->osc, 0);
		return -1;
	}
	if (fromlen <= (socklen_t)sizeof nc->sa) {
		memcpy(&nc->sa, from, fromlen); /* exactly where it came from */
		nc->salen = fromlen;
	}
	return osc_client_packet(n->osc, nc->c, buf, len, now);
}

static void osc_net_on_readable(void *ctx, int fd, short revents)
{
	struct osc_net *n = ctx;
	(void)revents;
	for (unsigned round = 0; round < OSC_NET_RECV_ROUNDS; round++) {
		for (unsigned i = 0; i < OSC_NET_RECV_BATCH; i++) {
			n->mmsg[i].msg_hdr.msg_namelen = sizeof n->rxaddr[i];
			n->mmsg[i].msg_hdr.msg_flags = 0;
		}
		int got = recvmmsg(fd, n->mmsg, OSC_NET_RECV_BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0) {
			if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("OSC: recvmmsg: %s", strerror(errno));
			return;
		}
		uint64_t now = control_now_ms();
		for (int i = 0; i < got; i++) {
			if (n->mmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				osc_packet_dropped(n->osc, 0);
				continue;
			}
			osc_net_dispatch(n, n->rxbuf[i], n->mmsg[i].msg_len, (struct sockaddr *)&n->rxaddr[i],
			                 n->mmsg[i].msg_hdr.msg_namelen, now);
		}
		if ((unsigned)got < OSC_NET_RECV_BATCH)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static int osc_net_open_socket(struct osc_net *n, const struct osc_net_config *cfg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[INET6_ADDRSTRLEN + 16];
	if (osc_net_resolve_listen(cfg->listen, cfg->port, &ss, &len) < 0) {
		log_err("--listen: '%s' is not an address of this host", cfg->listen ? cfg->listen : "");
		return -1;
	}
	n->family = ss.ss_family;
	n->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		log_err("OSC: socket: %s", strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		int no = 0; /* "::" also takes IPv4 senders */
		setsockopt(n->fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
	}
	/* room for bursts (a bundle-less flood, a surface replaying state);
	 * beyond net.core.rmem_max only with CAP_NET_ADMIN */
	int rcv = 4 << 20;
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
		setsockopt(n->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	int r = bind(n->fd, (struct sockaddr *)&ss, len);
	if (r < 0 && errno == EADDRINUSE && cfg->any_if_busy && cfg->port &&
	    osc_net_resolve_listen(cfg->listen, 0, &ss, &len) == 0) {
		log_info("OSC: port %u is taken (another instance?): listening on a free one", cfg->port);
		r = bind(n->fd, (struct sockaddr *)&ss, len);
	}
	if (r < 0) {
		log_err("OSC: cannot listen on %s port %u (--listen/--osc-port): %s",
		        cfg->listen ? cfg->listen : "127.0.0.1", cfg->port, strerror(errno));
		return -1;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	struct osc_net_addr ba;
	if (getsockname(n->fd, (struct sockaddr *)&bound, &blen) == 0 &&
	    osc_net_addr_from_sa((struct sockaddr *)&bound, blen, &ba) == 0) {
		n->port = ba.port;
		log_info("OSC: listening on %s", osc_net_addr_str(&ba, shown, sizeof shown));
	}
	return 0;
}
struct osc_net *osc_net_new(struct osc *o, const struct osc_net_config *cfg, struct control *ctl)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char err[256], who[64];
	struct osc_net *n = calloc(1, sizeof *n);
	if (!n) {
		log_err("out of memory");
		return NULL;
	}
	n->osc = o;
	n->fd = -1;
	n->family = AF_INET;
	n->feedback_port = cfg->feedback_port;
	if (osc_net_config_check(cfg, err, sizeof err) < 0) {
		log_err("%s", err);
		goto fail;
	}
	for (unsigned i = 0; i < cfg->n_allow; i++)
		osc_net_parse_cidr(cfg->allow[i], &n->allow[n->n_allow++]);
	n->rxbuf = cfg->no_socket ? NULL : malloc(OSC_NET_RECV_BATCH * sizeof *n->rxbuf);
	if (!cfg->no_socket && !n->rxbuf) {
		log_err("out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < OSC_NET_RECV_BATCH && n->rxbuf; i++) {
		n->iov[i].iov_base = n->rxbuf[i];
		n->iov[i].iov_len = OSC_NET_MAX_DGRAM;
		n->mmsg[i].msg_hdr.msg_iov = &n->iov[i];
		n->mmsg[i].msg_hdr.msg_iovlen = 1;
		n->mmsg[i].msg_hdr.msg_name = &n->rxaddr[i];
	}
	if (!cfg->no_socket && osc_net_open_socket(n, cfg) < 0)
		goto fail;
	for (unsigned i = 0; i < cfg->n_feedback; i++) {
		struct osc_net_addr a;
		osc_net_parse_hostport(cfg->feedback[i], &a);
		struct osc_net_client *nc = osc_net_client_get(n, &a, NULL, 0);
		if (!nc || osc_client_feed(o, nc->c) < 0) {
			log_err("--feedback: cannot use %s", cfg->feedback[i]);
			goto fail;
		}
		log_info("OSC: feedback to %s (fixed)", osc_net_addr_str(&a, who, sizeof who));
	}
	if (ctl && n->fd >= 0) {
		if (control_add_fd(ctl, n->fd, osc_net_on_readable, n) < 0) {
			log_err("OSC: cannot register with the control loop");
			goto fail;
		}
		n->ctl = ctl;
	}
	if (!cfg->no_socket && cfg->listen && !cfg->n_allow) {
		struct sockaddr_storage ss;
		socklen_t len;
		struct osc_net_addr la;
		if (osc_net_resolve_listen(cfg->listen, cfg->port, &ss, &len) == 0 &&
		    osc_net_addr_from_sa((struct sockaddr *)&ss, len, &la) == 0 && !osc_net_is_loopback(&la))
			log_warn("OSC: listening on %s without --allow: only loopback senders are accepted",
			         cfg->listen);
	}
	return n;
fail:
	osc_net_free(n);
	return NULL;
}

void osc_net_free(struct osc_net *n)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!n)
		return;
	if (n->ctl && n->fd >= 0)
		control_remove_fd(n->ctl, n->fd);
	if (n->fd >= 0)
		close(n->fd);
	for (unsigned i = 0; i < OSC_NET_MAX_CLIENTS; i++)
		if (n->client[i].c)
			osc_client_free(n->osc, n->client[i].c);
	free(n->rxbuf);
	free(n);
}

void osc_net_set_send_hook(struct osc_net *n, osc_net_send_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	n->send_hook = fn;
	n->send_ctx = ctx;
}

unsigned osc_net_port(const struct osc_net *n)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return n->port;
}
