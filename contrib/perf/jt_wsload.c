/*
 * jt_wsload.c - WebSocket load for the web surface's benchmark
 * (web_bench.py): N clients on 127.0.0.1:PORT, each asks for everything
 * (/meters 1, /subscribe 0 3600 "all") and then reads all it is sent as
 * fast as it comes, answering the server's pings, until SIGTERM/SIGINT or
 * SECONDS.  It prints one line at the end:
 *   clients=N open=K msgs=M bytes=B closed=C seconds=S
 * (open: connections still open; closed: ones the server closed).
 *
 *   jt_wsload PORT CLIENTS SECONDS
 *
 * A measurement tool, not part of the daemon: it frames by hand (client
 * frames masked, RFC 6455) so that fifty fast readers cost little CPU
 * beside the daemon being measured.  One thread, poll().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 64
#define BUF  (1 << 20)

struct cl {
	int fd;
	unsigned char *buf;
	size_t len;
};

static volatile sig_atomic_t stop;
static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_all(int fd, const void *b, size_t n)
{
	const char *p = b;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One masked client frame (mask 0: XOR with zero keeps the payload). */
static int send_frame(int fd, int op, const void *pl, size_t n)
{
	unsigned char h[14];
	size_t hl = 0;
	h[hl++] = (unsigned char)(0x80 | op);
	if (n < 126) {
		h[hl++] = (unsigned char)(0x80 | n);
	} else {
		h[hl++] = 0x80 | 126;
		h[hl++] = (unsigned char)(n >> 8);
		h[hl++] = (unsigned char)n;
	}
	memset(h + hl, 0, 4);
	hl += 4;
	return send_all(fd, h, hl) || (n && send_all(fd, pl, n)) ? -1 : 0;
}

static size_t osc_str(unsigned char *o, const char *s)
{
	size_t n = strlen(s) + 1;
	memcpy(o, s, n);
	while (n % 4)
		o[n++] = 0;
	return n;
}

static size_t osc_i(unsigned char *o, int32_t v)
{
	uint32_t b = htonl((uint32_t)v);
	memcpy(o, &b, 4);
	return 4;
}

static int connect_ws(unsigned port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char req[512];
	int n = snprintf(req, sizeof req,
	                 "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
	                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: osc\r\n\r\n",
	                 port);
	if (send_all(fd, req, (size_t)n) < 0)
		return -1;
	/* the 101 response, byte by byte up to its blank line */
	char resp[2048];
	size_t r = 0;
	while (r < sizeof resp - 1) {
		ssize_t k = recv(fd, resp + r, 1, 0);
		if (k <= 0)
			return -1;
		r++;
		if (r >= 4 && memcmp(resp + r - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[r] = 0;
	if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
		fprintf(stderr, "jt_wsload: upgrade refused: %.60s\n", resp);
		return -1;
	}
	unsigned char m[128];
	size_t l = osc_str(m, "/meters");
	l += osc_str(m + l, ",i");
	l += osc_i(m + l, 1);
	if (send_frame(fd, 2, m, l) < 0)
		return -1;
	l = osc_str(m, "/subscribe");
	l += osc_str(m + l, ",iis");
	l += osc_i(m + l, 0);
	l += osc_i(m + l, 3600);
	l += osc_str(m + l, "all");
	return send_frame(fd, 2, m, l) < 0 ? -1 : fd;
}

/* Consume the whole frames in c->buf; -1 when the server closed. */
static int frames(struct cl *c, unsigned long long *msgs)
{
	size_t off = 0;
	for (;;) {
		if (c->len - off < 2)
			break;
		unsigned char *p = c->buf + off;
		int op = p[0] & 0x0f;
		uint64_t n = p[1] & 0x7f;
		size_t hl = 2;
		if (n == 126) {
			if (c->len - off < 4)
				break;
			n = (uint64_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (n == 127) {
			if (c->len - off < 10)
				break;
			n = 0;
			for (int i = 0; i < 8; i++)
				n = n << 8 | p[2 + i];
			hl = 10;
		}
		if (c->len - off < hl + n)
			break;
		if (op == 9 && send_frame(c->fd, 10, p + hl, (size_t)n) < 0) /* ping -> pong */
			return -1;
		if (op == 8)
			return -1;
		if (op == 2)
			(*msgs)++;
		off += hl + (size_t)n;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: jt_wsload PORT CLIENTS SECONDS\n");
		return 2;
	}
	unsigned port = (unsigned)atoi(argv[1]), n = (unsigned)atoi(argv[2]);
	double secs = atof(argv[3]);
	if (n > MAXC)
		n = MAXC;
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	static struct cl c[MAXC];
	struct pollfd pf[MAXC];
	unsigned long long msgs = 0, bytes = 0;
	unsigned closed = 0;
	for (unsigned i = 0; i < n; i++) {
		c[i].fd = connect_ws(port);
		if (c[i].fd < 0) {
			fprintf(stderr, "jt_wsload: client %u cannot connect\n", i);
			return 1;
		}
		c[i].buf = malloc(BUF);
	}
	printf("connected=%u\n", n);
	fflush(stdout);
	double t0 = now_s();
	while (!stop && now_s() - t0 < secs) {
		unsigned k = 0;
		for (unsigned i = 0; i < n; i++)
			if (c[i].fd >= 0)
				pf[k].fd = c[i].fd, pf[k].events = POLLIN, pf[k++].revents = 0;
		if (!k)
			break;
		if (poll(pf, k, 200) < 0)
			continue;
		for (unsigned i = 0, j = 0; i < n; i++) {
			if (c[i].fd < 0)
				continue;
			if (pf[j++].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = recv(c[i].fd, c[i].buf + c[i].len, BUF - c[i].len, 0);
				if (r > 0) {
					bytes += (unsigned long long)r;
					c[i].len += (size_t)r;
				}
				if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN) ||
				    frames(&c[i], &msgs) < 0) {
					close(c[i].fd);
					c[i].fd = -1;
					closed++;
				}
			}
		}
	}
	unsigned open = 0;
	for (unsigned i = 0; i < n; i++)
		open += c[i].fd >= 0;
	printf("clients=%u open=%u msgs=%llu bytes=%llu closed=%u seconds=%.1f\n", n, open, msgs, bytes,
	       closed, now_s() - t0);
	return 0;
}
