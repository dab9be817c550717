/*
 * ctl_net.c - jackmixctl's OSC link to the daemon: a UDP socket of our
 * own, so replies come back to the port we send from; liblo serialises
 * and parses (no liblo server: the program waits in its own poll()).
 *
 * Threads: jackmixctl has one; the signal handler only sets
 * ctl_net_stop.  (No ASSERT_ROLE here: the role contract of role.h is
 * the daemon's, and jackmixctl links liblo only.)
 *
 * Invariants: every wait is bounded by the timeout or returns within half
 * a second to a looping caller; bundles from the daemon are skipped (it
 * sends plain messages).
 */
#include "ctl_net.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t ctl_net_stop;
static int sock = -1;
static struct sockaddr_storage daemon_addr;
static socklen_t daemon_len;
static int timeout_ms = 2000;

int ctl_net_open(const char *host, const char *port, int tmo_ms)
{
	struct addrinfo hints = {0}, *res = NULL;
	timeout_ms = tmo_ms;
	hints.ai_socktype = SOCK_DGRAM;
	int e = getaddrinfo(host, port, &hints, &res);
	if (e || !res) {
		fprintf(stderr, "jackmixctl: %s port %s: %s\n", host, port,
		        e ? gai_strerror(e) : "no address");
		return -1;
	}
	memcpy(&daemon_addr, res->ai_addr, res->ai_addrlen);
	daemon_len = res->ai_addrlen;
	sock = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	freeaddrinfo(res);
	if (sock < 0) {
		fprintf(stderr, "jackmixctl: socket: %s\n", strerror(errno));
		return -1;
	}
	int rcv = 1 << 20; /* a state burst or a status query's replies */
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	return 0;
}

void ctl_net_close(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
}

int ctl_net_timeout_ms(void)
{
	return timeout_ms;
}

uint64_t ctl_net_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int ctl_net_send_raw(const void *buf, size_t len)
{
	if (sendto(sock, buf, len, 0, (struct sockaddr *)&daemon_addr, daemon_len) < 0) {
		fprintf(stderr, "jackmixctl: send: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_net_send(const char *path, lo_message m)
{
	size_t len;
	void *d = lo_message_serialise(m, path, NULL, &len);
	int r = d ? ctl_net_send_raw(d, len) : -1;
	free(d);
	return r;
}

int ctl_net_send_bundle(lo_bundle b)
{
	size_t len;
	void *d = lo_bundle_serialise(b, NULL, &len);
	int r = d ? ctl_net_send_raw(d, len) : -1;
	free(d);
	return r;
}

int ctl_net_add_value(lo_message m, const char *v)
{
	char *end;
	if (strncmp(v, "i:", 2) == 0) {
		long x = strtol(v + 2, &end, 0);
		if (end == v + 2 || *end)
			return -1;
		return lo_message_add_int32(m, (int32_t)x);
	}
	if (strncmp(v, "f:", 2) == 0) {
		float x = strtof(v + 2, &end);
		if (end == v + 2 || *end)
			return -1;
		return lo_message_add_float(m, x);
	}
	if (strncmp(v, "s:", 2) == 0)
		return lo_message_add_string(m, v + 2);
	if (strcmp(v, "T") == 0)
		return lo_message_add_true(m);
	if (strcmp(v, "F") == 0)
		return lo_message_add_false(m);
	float x = strtof(v, &end);
	if (end != v && !*end)
		return lo_message_add_float(m, x);
	return lo_message_add_string(m, v);
}

void ctl_net_print(FILE *f, const char *path, lo_message m)
{
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	fputs(path, f);
	for (int k = 0; types[k]; k++) {
		float fl;
		int32_t i;
		double d;
		int64_t h;
		switch (types[k]) {
		case 'f':
			memcpy(&fl, argv[k], sizeof fl);
			fprintf(f, " %g", (double)fl);
			break;
		case 'i':
			memcpy(&i, argv[k], sizeof i);
			fprintf(f, " %d", i);
			break;
		case 'd':
			memcpy(&d, argv[k], sizeof d);
			fprintf(f, " %g", d);
			break;
		case 'h':
			memcpy(&h, argv[k], sizeof h);
			fprintf(f, " %lld", (long long)h);
			break;
		case 's':
		case 'S':
			fprintf(f, " %s", (const char *)argv[k]);
			break;
		case 'T':
			fputs(" T", f);
			break;
		case 'F':
			fputs(" F", f);
			break;
		default:
			fprintf(f, " <%c>", types[k]);
		}
	}
	fputc('\n', f);
}

int ctl_net_recv(int ms, char *path, size_t plen, lo_message *m)
{
	static unsigned char buf[65536];
	uint64_t end = ctl_net_now_ms() + (uint64_t)(ms < 0 ? 0 : ms);
	for (;;) {
		if (ctl_net_stop)
			return -1;
		int wait = 500;
		if (ms >= 0) {
			uint64_t t = ctl_net_now_ms();
			if (t >= end)
				return 0;
			if (end - t < (uint64_t)wait)
				wait = (int)(end - t);
		}
		struct pollfd p = {sock, POLLIN, 0};
		int r = poll(&p, 1, wait);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0) {
			if (ms < 0)
				return 0;
			continue;
		}
		ssize_t n = recv(sock, buf, sizeof buf, 0);
		if (n <= 0)
			continue;
		if ((size_t)n >= 8 && memcmp(buf, "#bundle", 8) == 0)
			continue; /* the daemon sends plain messages */
		int res = 0;
		*m = lo_message_deserialise(buf, (size_t)n, &res);
		if (!*m)
			continue;
		size_t pl = strnlen((const char *)buf, plen - 1);
		memcpy(path, buf, pl);
		path[pl] = 0;
		return 1;
	}
}

int ctl_net_await(lo_message *m, char *path, size_t plen)
{
	int r = ctl_net_recv(timeout_ms, path, plen, m);
	if (r == 0) {
		fprintf(stderr, "jackmixctl: no answer from the daemon within %d ms\n", timeout_ms);
		return 3;
	}
	if (r < 0)
		return 4;
	if (strcmp(path, "/error") == 0) {
		ctl_net_print_error(*m);
		lo_message_free(*m);
		return 1;
	}
	return 0;
}

void ctl_net_print_error(lo_message m)
{
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	if (strcmp(types, "ss") == 0)
		fprintf(stderr, "jackmixctl: %s: %s\n", (const char *)argv[0], (const char *)argv[1]);
	else
		fprintf(stderr, "jackmixctl: error from the daemon\n");
}

int ctl_net_subscribe(const char *what, int lease_s)
{
	lo_message s = lo_message_new();
	lo_message_add_int32(s, 0); /* our source port */
	lo_message_add_int32(s, lease_s);
	lo_message_add_string(s, what);
	int r = ctl_net_send("/subscribe", s);
	lo_message_free(s);
	return r;
}

void ctl_net_unsubscribe(void)
{
	lo_message u = lo_message_new();
	ctl_net_send("/unsubscribe", u);
	lo_message_free(u);
}
