/*
 * webq.h - what the web thread and the control thread exchange, and
 * nothing else: a table of WebSocket connections (WEBQ_MAX_CONN slots),
 * one queue of records from the web thread to the control thread (a
 * connection opened, one OSC packet it sent, it closed) with a wake-up
 * descriptor for the control loop, and a bounded output queue per
 * connection from the control thread to the web thread.
 *
 * Threads: the web_* side of each pair below on the web thread, the
 * ctl_* side on the control thread; webq_new, webq_free and webq_stats on
 * the control thread (the web thread stopped for webq_free).  Tests call
 * both sides from one thread.  One mutex guards everything; neither side
 * holds it while it calls out (a wake function, a library).
 *
 * Invariants:
 *   - A slot is reused only after the control thread saw its CLOSE record
 *     and released it (webq_ctl_release), so a record never reaches the
 *     wrong connection.
 *   - Each output queue holds at most WEBQ_OUT_MAX_MSGS messages and
 *     WEBQ_OUT_MAX_BYTES bytes.  When a message does not fit, every queued
 *     meter message goes first (counted: one pass a full queue, not one
 *     a message); then an older message of
 *     the same address that is a value (not a reply) is replaced by the new one, so the
 *     latest value of every parameter stays; if there is still no room the
 *     connection is marked to be closed (it stopped reading) and the
 *     message is dropped.  A client that stops reading therefore costs at
 *     most its bound and never delays the others.
 *   - The inbound queue holds at most WEBQ_IN_MAX_BYTES bytes of packets
 *     beyond one message per connection: a connection whose message found
 *     it full is told to stop reading (throttled) until the control thread
 *     drained it, so nothing a client sends is lost.
 */
#ifndef JMX_WEBQ_H
#define JMX_WEBQ_H

#include <stddef.h>
#include <stdint.h>

#define WEBQ_MAX_CONN      64u
#define WEBQ_OUT_MAX_MSGS  4096u
#define WEBQ_OUT_MAX_BYTES (512u * 1024u)
#define WEBQ_IN_MAX_BYTES  (2u * 1024u * 1024u)
#define WEBQ_PEER_MAX      64u

enum webq_role {
	WEBQ_ENGINEER, /* full control */
	WEBQ_MUSICIAN, /* one bus's sends, and queries */
};

enum webq_rec_kind { WEBQ_OPEN, WEBQ_PACKET, WEBQ_CLOSE };

/* One record from the web thread; the control thread frees it with
 * webq_rec_free. */
struct webq_rec {
	struct webq_rec *next;
	enum webq_rec_kind kind;
	unsigned slot;
	enum webq_role role;      /* WEBQ_OPEN */
	unsigned bus;             /* WEBQ_OPEN, musician: 0-based bus */
	char peer[WEBQ_PEER_MAX]; /* WEBQ_OPEN: "ip:port", for logs */
	size_t len;               /* WEBQ_PACKET */
	unsigned char data[];     /* WEBQ_PACKET */
};

/* What the control thread gives a message it queues. */
enum webq_kind {
	WEBQ_REPLY, /* a reply or a one-off push: kept in order, never replaced */
	WEBQ_VALUE, /* feedback of a value: a newer one of its address replaces it when full */
	WEBQ_METER, /* a meter: dropped first */
};

struct webq_stats {
	unsigned long meters_dropped;  /* meter messages dropped for room */
	unsigned long values_replaced; /* older values replaced by newer ones for room */
	unsigned long overflow_closed; /* connections closed because they stopped reading */
	unsigned long throttled;       /* times a connection was told to stop reading */
	unsigned connections;          /* open now */
};

struct webq;

/* pre: bytes of headroom before each outgoing message (the WebSocket
 * library writes its frame header there).  NULL on failure. */
struct webq *webq_new(size_t pre);
void webq_free(struct webq *q);
/* Readable when the control thread has records to take (an eventfd). */
int webq_ctl_fd(const struct webq *q);
/* The web thread's wake-up, called (without the lock) when the control
 * thread queued output, asked for a close, or made room after a throttle. */
void webq_set_wake(struct webq *q, void (*wake)(void *ctx), void *ctx);
void webq_stats(struct webq *q, struct webq_stats *st);

/* ---- web thread ---- */
/* A new connection: its slot, or -1 when WEBQ_MAX_CONN are open. */
int webq_web_open(struct webq *q, enum webq_role role, unsigned bus, const char *peer);
/* One packet of slot (copied).  0, 1 when it was queued but the
 * connection must stop reading until webq_web_throttled says otherwise,
 * -1 out of memory (dropped). */
int webq_web_packet(struct webq *q, unsigned slot, const void *buf, size_t len);
/* The connection closed: no more output; its slot stays until released. */
void webq_web_close(struct webq *q, unsigned slot);
/* Take the oldest output message of slot: a buffer whose message starts
 * at pre bytes in, to be freed with free(); NULL when there is none. */
unsigned char *webq_web_pop(struct webq *q, unsigned slot, size_t *len);
/* What the web thread must do for slot now: WEBQ_DO_WRITE (output
 * waiting), WEBQ_DO_CLOSE (the control thread closes it), WEBQ_DO_RESUME
 * (it was throttled and may read again). */
enum { WEBQ_DO_WRITE = 1, WEBQ_DO_CLOSE = 2, WEBQ_DO_RESUME = 4 };
unsigned webq_web_todo(struct webq *q, unsigned slot);

/* ---- control thread ---- */
/* Every record queued so far, oldest first (NULL: none); clears the
 * wake-up descriptor. */
struct webq_rec *webq_ctl_take(struct webq *q);
void webq_rec_free(struct webq_rec *r);
/* Queue one message for slot.  0 queued, 1 dropped because the
 * connection is gone or closing, -1 dropped and the connection is being
 * closed for overflow. */
int webq_ctl_push(struct webq *q, unsigned slot, const void *buf, size_t len, enum webq_kind kind);
/* Close slot from the control side (a bad client); the web thread closes
 * the socket, then a CLOSE record comes as usual. */
void webq_ctl_kill(struct webq *q, unsigned slot);
/* After the CLOSE record of slot: the slot may be reused. */
void webq_ctl_release(struct webq *q, unsigned slot);

#endif
