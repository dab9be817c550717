/*
 * osc-flood.c - OSC load generator for the throughput benchmark (not a
 * test): sends parameter changes to a running jackmixd at a fixed rate for
 * a while, then asks /stats how many the daemon applied.  With -s it
 * steps the rate up until the daemon loses messages.
 *
 * Usage: osc-flood [-H host] [-p port] [-r msgs_per_s] [-t seconds]
 *                  [-b msgs_per_bundle] [-s]
 *
 * Messages cycle over the faders, pans and trims of channels 1..8 with
 * changing values, one message per datagram (-b 1, the hard case) or
 * bundled.  "lost" = sent - applied: the kernel dropped datagrams because
 * the daemon did not read them in time.
 *
 * Threads: one.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <lo/lo.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static int sock;
static struct sockaddr_storage dst;
static socklen_t dstlen;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* /stats -> applied (field 5), datagrams (field 1); -1 on no answer. */
static int stats(long *applied, long *datagrams)
{
	lo_message m = lo_message_new();
	size_t len;
	void *d = lo_message_serialise(m, "/stats", NULL, &len);
	lo_message_free(m);
	static unsigned char buf[65536];
	for (int attempt = 0; attempt < 5; attempt++) {
		sendto(sock, d, len, 0, (struct sockaddr *)&dst, dstlen);
		double end = now_s() + 1.0;
		while (now_s() < end) {
			struct pollfd p = {sock, POLLIN, 0};
			if (poll(&p, 1, 100) <= 0)
				continue;
			ssize_t n = recv(sock, buf, sizeof buf, 0);
			if (n <= 0 || strcmp((char *)buf, "/stats") != 0)
				continue;
			int res;
			lo_message r = lo_message_deserialise(buf, (size_t)n, &res);
			if (!r)
				continue;
			lo_arg **argv = lo_message_get_argv(r);
			int32_t a, g;
			memcpy(&g, argv[0], 4);
			memcpy(&a, argv[4], 4);
			*applied = a;
			*datagrams = g;
			lo_message_free(r);
			free(d);
			return 0;
		}
	}
	free(d);
	return -1;
}

struct result {
	long sent, applied;
	double secs;
};

static int run(double rate, double secs, int per_bundle, struct result *res)
{
	static const char *const kind[3] = {"/ch/%d/fader/db", "/ch/%d/pan", "/ch/%d/trim/db"};
	static unsigned char pkt[BATCH][8192];
	static size_t pktlen[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	long a0, g0, a1, g1;
	if (stats(&a0, &g0) < 0)
		return -1;
	long sent = 0;
	unsigned seq = 0;
	double t0 = now_s(), end = t0 + secs;
	while (now_s() < end) {
		/* how many messages are due by now */
		long due = (long)((now_s() - t0) * rate) - sent;
		if (due <= 0) {
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
			continue;
		}
		int np = 0;
		while (due > 0 && np < BATCH) {
			lo_bundle b = per_bundle > 1 ? lo_bundle_new(LO_TT_IMMEDIATE) : NULL;
			lo_message single = NULL;
			int k;
			for (k = 0; k < per_bundle && k < due; k++, seq++) {
				char path[64];
				unsigned ch = seq % 8 + 1, what = (seq / 8) % 3;
				snprintf(path, sizeof path, kind[what], ch);
				float v = what == 1 ? (float)(seq % 101) / 100.0f
				                    : -20.0f + (float)(seq % 200) * 0.1f;
				lo_message m = lo_message_new();
				lo_message_add_float(m, v);
				if (b) {
					lo_bundle_add_message(b, path, m);
				} else {
					single = m;
					pktlen[np] = sizeof pkt[np];
					lo_message_serialise(m, path, pkt[np], &pktlen[np]);
				}
			}
			if (b) {
				pktlen[np] = sizeof pkt[np];
				lo_bundle_serialise(b, pkt[np], &pktlen[np]);
				lo_bundle_free_recursive(b);
			} else {
				lo_message_free(single);
			}
			iov[np].iov_base = pkt[np];
			iov[np].iov_len = pktlen[np];
			memset(&mm[np], 0, sizeof mm[np]);
			mm[np].msg_hdr.msg_iov = &iov[np];
			mm[np].msg_hdr.msg_iovlen = 1;
			mm[np].msg_hdr.msg_name = &dst;
			mm[np].msg_hdr.msg_namelen = dstlen;
			np++;
			due -= k;
			sent += k;
		}
		int off = 0;
		while (off < np) {
			int r = sendmmsg(sock, mm + off, (unsigned)(np - off), 0);
			if (r < 0) {
				if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
					continue;
				perror("sendmmsg");
				return -1;
			}
			off += r;
		}
	}
	double secs_real = now_s() - t0;
	struct timespec ts = {0, 300000000}; /* let the daemon catch up */
	nanosleep(&ts, NULL);
	if (stats(&a1, &g1) < 0)
		return -1;
	res->sent = sent;
	res->applied = a1 - a0;
	res->secs = secs_real;
	(void)g1;
	(void)g0;
	return 0;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *port = "8000";
	double rate = 50000, secs = 5;
	int per_bundle = 1, step = 0, c;
	while ((c = getopt(argc, argv, "H:p:r:t:b:sh")) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'b':
			per_bundle = atoi(optarg);
			break;
		case 's':
			step = 1;
			break;
		default:
			fprintf(
			    stderr,
			    "usage: osc-flood [-H host] [-p port] [-r msgs/s] [-t s] [-b per_bundle] [-s]\n");
			return 2;
		}
	}
	if (per_bundle < 1 || per_bundle > 200 || rate <= 0 || secs <= 0) {
		fprintf(stderr, "osc-flood: bad arguments\n");
		return 2;
	}
	struct addrinfo hints = {0}, *ai;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "osc-flood: cannot resolve %s\n", host);
		return 2;
	}
	memcpy(&dst, ai->ai_addr, ai->ai_addrlen);
	dstlen = ai->ai_addrlen;
	sock = socket(ai->ai_family, SOCK_DGRAM, 0);
	freeaddrinfo(ai);
	int snd = 4 << 20;
	setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);

	printf("# rate_req  sent  applied  lost  secs  applied_per_s  (%d message%s per datagram)\n",
	       per_bundle, per_bundle > 1 ? "s" : "");
	for (;;) {
		struct result r;
		if (run(rate, secs, per_bundle, &r) < 0) {
			fprintf(stderr, "osc-flood: the daemon does not answer /stats\n");
			return 1;
		}
		long lost = r.sent - r.applied;
		printf("%9.0f %9ld %9ld %6ld %6.2f %12.0f\n", rate, r.sent, r.applied, lost, r.secs,
		       (double)r.applied / r.secs);
		fflush(stdout);
		if (!step || lost > r.sent / 1000 || rate >= 4e6)
			break;
		rate *= 1.5;
	}
	return 0;
}
