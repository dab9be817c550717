/*
 * webq.c - the queues between the web thread and the control thread; see
 * webq.h for the contract.
 *
 * Threads: as webq.h says: webq_web_* on the web thread, webq_ctl_* on
 * the control thread, one mutex for both; the wake-ups (an eventfd for
 * the control loop, a function for the web thread's service loop) are
 * made after the mutex is let go.
 *
 * Why a mutex and not lock-free rings: neither side is the audio thread,
 * both are allowed to wait for a few microseconds, and the output policy
 * (drop meters first, replace an older value of the same address) edits
 * the middle of a queue, which a ring cannot do.
 */
#include "webq.h"
#include "role.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct webq_msg {
	unsigned char *buf; /* pre bytes of headroom, then the message */
	size_t len;
	enum webq_kind kind;
};

struct webq_conn {
	int used;             /* open or waiting for its release */
	int closed;           /* the web thread closed it */
	int kill;             /* the control thread wants it closed */
	int throttled;        /* told to stop reading */
	struct webq_msg *out; /* ring of WEBQ_OUT_MAX_MSGS */
	unsigned head, count;
	size_t bytes;
};

struct webq {
	pthread_mutex_t lock;
	int efd;
	size_t pre;
	void (*wake)(void *ctx);
	void *wake_ctx;
	struct webq_conn conn[WEBQ_MAX_CONN];
	struct webq_rec *in_head, *in_tail;
	size_t in_bytes;
	struct webq_stats st;
};

struct webq *webq_new(size_t pre)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct webq *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->pre = pre;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0 || pthread_mutex_init(&q->lock, NULL) != 0) {
		if (q->efd >= 0)
			close(q->efd);
		free(q);
		return NULL;
	}
	return q;
}

static void webq_out_clear(struct webq_conn *c)
{
	for (unsigned i = 0; i < c->count; i++)
		free(c->out[(c->head + i) % WEBQ_OUT_MAX_MSGS].buf);
	free(c->out);
	c->out = NULL;
	c->head = c->count = 0;
	c->bytes = 0;
}

void webq_free(struct webq *q)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!q)
		return;
	webq_rec_free(q->in_head);
	for (unsigned i = 0; i < WEBQ_MAX_CONN; i++)
		webq_out_clear(&q->conn[i]);
	pthread_mutex_destroy(&q->lock);
	close(q->efd);
	free(q);
}

int webq_ctl_fd(const struct webq *q)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return q->efd;
}

void webq_set_wake(struct webq *q, void (*wake)(void *ctx), void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	q->wake = wake;
	q->wake_ctx = ctx;
}

void webq_stats(struct webq *q, struct webq_stats *st)
{
	ASSERT_ROLE(ROLE_CONTROL | ROLE_WEB);
	pthread_mutex_lock(&q->lock);
	*st = q->st;
	pthread_mutex_unlock(&q->lock);
}

/* ---- web thread --------------------------------------------------------- */

/* Append r (under the lock); the caller signals the eventfd after. */
static void webq_in_append(struct webq *q, struct webq_rec *r)
{
	r->next = NULL;
	if (q->in_tail)
		q->in_tail->next = r;
	else
		q->in_head = r;
	q->in_tail = r;
	q->in_bytes += r->len;
}

static void webq_signal_ctl(struct webq *q)
{
	uint64_t one = 1;
	/* EAGAIN: the counter is saturated, the loop is woken anyway */
	if (write(q->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		return;
}

int webq_web_open(struct webq *q, enum webq_role role, unsigned bus, const char *peer)
{
	ASSERT_ROLE(ROLE_WEB);
	struct webq_rec *r = calloc(1, sizeof *r);
	struct webq_msg *out = calloc(WEBQ_OUT_MAX_MSGS, sizeof *out);
	if (!r || !out) {
		free(r);
		free(out);
		return -1;
	}
	r->kind = WEBQ_OPEN;
	r->role = role;
	r->bus = bus;
	strncpy(r->peer, peer ? peer : "", sizeof r->peer - 1);
	pthread_mutex_lock(&q->lock);
	int slot = -1;
	for (unsigned i = 0; i < WEBQ_MAX_CONN; i++)
		if (!q->conn[i].used) {
			slot = (int)i;
			break;
		}
	if (slot >= 0) {
		struct webq_conn *c = &q->conn[slot];
		memset(c, 0, sizeof *c);
		c->used = 1;
		c->out = out;
		r->slot = (unsigned)slot;
		webq_in_append(q, r);
		q->st.connections++;
	}
	pthread_mutex_unlock(&q->lock);
	if (slot < 0) {
		free(r);
		free(out);
		return -1;
	}
	webq_signal_ctl(q);
	return slot;
}

int webq_web_packet(struct webq *q, unsigned slot, const void *buf, size_t len)
{
	ASSERT_ROLE(ROLE_WEB);
	struct webq_rec *r = malloc(sizeof *r + len);
	if (!r || slot >= WEBQ_MAX_CONN) {
		free(r);
		return -1;
	}
	memset(r, 0, sizeof *r);
	r->kind = WEBQ_PACKET;
	r->slot = slot;
	r->len = len;
	memcpy(r->data, buf, len);
	pthread_mutex_lock(&q->lock);
	/* always queued (one message beyond the bound at most per
	 * connection): the connection then waits until there is room */
	webq_in_append(q, r);
	int full = q->in_bytes > WEBQ_IN_MAX_BYTES;
	if (full && !q->conn[slot].throttled) {
		q->conn[slot].throttled = 1;
		q->st.throttled++;
	}
	pthread_mutex_unlock(&q->lock);
	webq_signal_ctl(q);
	return full;
}

void webq_web_close(struct webq *q, unsigned slot)
{
	ASSERT_ROLE(ROLE_WEB);
	/* the CLOSE record must not be lost: spin on the allocator rather
	 * than leak a client (a failure here is a machine out of memory) */
	struct webq_rec *r;
	while (!(r = calloc(1, sizeof *r)))
		usleep(1000);
	r->kind = WEBQ_CLOSE;
	r->slot = slot;
	pthread_mutex_lock(&q->lock);
	struct webq_conn *c = &q->conn[slot];
	c->closed = 1;
	webq_out_clear(c);
	webq_in_append(q, r);
	pthread_mutex_unlock(&q->lock);
	webq_signal_ctl(q);
}

unsigned char *webq_web_pop(struct webq *q, unsigned slot, size_t *len)
{
	ASSERT_ROLE(ROLE_WEB);
	unsigned char *buf = NULL;
	pthread_mutex_lock(&q->lock);
	struct webq_conn *c = &q->conn[slot];
	if (c->count) {
		struct webq_msg *m = &c->out[c->head];
		buf = m->buf;
		*len = m->len;
		c->bytes -= m->len;
		c->head = (c->head + 1) % WEBQ_OUT_MAX_MSGS;
		c->count--;
	}
	pthread_mutex_unlock(&q->lock);
	return buf;
}

unsigned webq_web_todo(struct webq *q, unsigned slot)
{
	ASSERT_ROLE(ROLE_WEB);
	unsigned todo = 0;
	pthread_mutex_lock(&q->lock);
	struct webq_conn *c = &q->conn[slot];
	if (c->used && !c->closed) {
		if (c->count)
			todo |= WEBQ_DO_WRITE;
		if (c->kill)
			todo |= WEBQ_DO_CLOSE;
		if (c->throttled && q->in_bytes <= WEBQ_IN_MAX_BYTES) {
			c->throttled = 0;
			todo |= WEBQ_DO_RESUME;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return todo;
}

/* ---- control thread ----------------------------------------------------- */

struct webq_rec *webq_ctl_take(struct webq *q)
{
	ASSERT_ROLE(ROLE_CONTROL);
	uint64_t n;
	if (read(q->efd, &n, sizeof n) < 0 && errno != EAGAIN)
		n = 0;
	pthread_mutex_lock(&q->lock);
	struct webq_rec *r = q->in_head;
	int resume = 0;
	q->in_head = q->in_tail = NULL;
	q->in_bytes = 0;
	for (unsigned i = 0; i < WEBQ_MAX_CONN; i++)
		resume |= q->conn[i].throttled;
	pthread_mutex_unlock(&q->lock);
	if (resume && q->wake)
		q->wake(q->wake_ctx);
	return r;
}

void webq_rec_free(struct webq_rec *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	while (r) {
		struct webq_rec *next = r->next;
		free(r);
		r = next;
	}
}

/* The address of an OSC message (its first, NUL-terminated string). */
static int webq_same_address(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return 0;
		if (!a[i])
			return 1;
	}
	return 0;
}

static int webq_fits(const struct webq_conn *c, size_t len)
{
	return c->count < WEBQ_OUT_MAX_MSGS && c->bytes + len <= WEBQ_OUT_MAX_BYTES;
}

/* The queue is full: drop every queued meter at once.  Dropping only as
 * many as the new message needs made each message pushed to a client
 * that is behind walk its whole queue (4096 entries) under the lock the
 * web thread needs to write: 50 such clients took 72 % of a core on the
 * control thread and starved the web thread (contrib/perf/web_bench.py).
 * One pass per full queue is cheap, and a client that is a whole queue
 * behind wants the newest levels, not the old ones. */
static void webq_drop_meters(struct webq *q, struct webq_conn *c)
{
	unsigned w = 0, n = c->count;
	for (unsigned i = 0; i < n; i++) {
		struct webq_msg m = c->out[(c->head + i) % WEBQ_OUT_MAX_MSGS];
		if (m.kind == WEBQ_METER) {
			free(m.buf);
			c->bytes -= m.len;
			c->count--;
			q->st.meters_dropped++;
			continue;
		}
		c->out[(c->head + w++) % WEBQ_OUT_MAX_MSGS] = m;
	}
}

int webq_ctl_push(struct webq *q, unsigned slot, const void *buf, size_t len, enum webq_kind kind)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (slot >= WEBQ_MAX_CONN || len > WEBQ_OUT_MAX_BYTES)
		return 1;
	unsigned char *copy = malloc(q->pre + len);
	if (!copy)
		return 1;
	memcpy(copy + q->pre, buf, len);
	int r = 0, wake = 0;
	pthread_mutex_lock(&q->lock);
	struct webq_conn *c = &q->conn[slot];
	if (!c->used || c->closed || c->kill) {
		r = 1;
		goto out;
	}
	if (!webq_fits(c, len))
		webq_drop_meters(q, c);
	if (!webq_fits(c, len) && kind == WEBQ_METER) {
		q->st.meters_dropped++;
		r = 0;
		goto out;
	}
	if (!webq_fits(c, len) && kind == WEBQ_VALUE) {
		/* the newest of that address: it is the one popped last */
		for (unsigned i = c->count; i-- > 0;) {
			struct webq_msg *m = &c->out[(c->head + i) % WEBQ_OUT_MAX_MSGS];
			if (m->kind == WEBQ_VALUE && c->bytes - m->len + len <= WEBQ_OUT_MAX_BYTES &&
			    webq_same_address(m->buf + q->pre, m->len, copy + q->pre, len)) {
				free(m->buf);
				c->bytes = c->bytes - m->len + len;
				m->buf = copy;
				m->len = len;
				copy = NULL;
				q->st.values_replaced++;
				goto out;
			}
		}
	}
	if (!webq_fits(c, len)) {
		c->kill = 1;
		q->st.overflow_closed++;
		r = -1;
		wake = 1;
		goto out;
	}
	struct webq_msg *m = &c->out[(c->head + c->count) % WEBQ_OUT_MAX_MSGS];
	m->buf = copy;
	m->len = len;
	m->kind = kind;
	/* the web thread writes until the queue is empty: wake it only when
	 * it may have stopped (one wake-up per burst, not per message) */
	wake = c->count == 0;
	c->count++;
	c->bytes += len;
	copy = NULL;
out:
	pthread_mutex_unlock(&q->lock);
	free(copy);
	if (wake && q->wake)
		q->wake(q->wake_ctx);
	return r;
}

void webq_ctl_kill(struct webq *q, unsigned slot)
{
	ASSERT_ROLE(ROLE_CONTROL);
	pthread_mutex_lock(&q->lock);
	if (slot < WEBQ_MAX_CONN && q->conn[slot].used)
		q->conn[slot].kill = 1;
	pthread_mutex_unlock(&q->lock);
	if (q->wake)
		q->wake(q->wake_ctx);
}

void webq_ctl_release(struct webq *q, unsigned slot)
{
	ASSERT_ROLE(ROLE_CONTROL);
	pthread_mutex_lock(&q->lock);
	if (slot < WEBQ_MAX_CONN && q->conn[slot].used) {
		webq_out_clear(&q->conn[slot]);
		memset(&q->conn[slot], 0, sizeof q->conn[slot]);
		q->st.connections--;
	}
	pthread_mutex_unlock(&q->lock);
}
