/*
 * jackmixctl.c - command-line OSC client for jackmixd: get, set, watch,
 * meters, dump, ping, info, stats.
 *
 * Threads: one.  A UDP socket of our own (so replies come back to the
 * port we send from); liblo serialises and parses.  Signals only set a
 * flag.
 *
 * Exit status: 0 success, 1 the daemon answered /error (its text on
 * stderr), 2 usage, 3 no answer within the timeout, 4 local failure.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CTL_LEASE_S 10

static volatile sig_atomic_t stop_flag;
static int sock = -1;
static struct sockaddr_storage daemon_addr;
static socklen_t daemon_len;
static int timeout_ms = 2000;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: jackmixctl [options] COMMAND [ARGS]\n"
	           "Talk to jackmixd over OSC.\n\n"
	           "Commands:\n"
	           "  get PATH             print PATH's value\n"
	           "  set PATH VALUE...    set PATH, then print the value now in effect\n"
	           "                       (VALUE: a number, text, or typed as i:3, f:0.5, s:text, T, F)\n"
	           "  watch [PREFIX]       print changes under PREFIX as they happen\n"
	           "  meters [PREFIX]      print meters under PREFIX (20 per second)\n"
	           "  dump [PREFIX]        print every value under PREFIX\n"
	           "  bundle PATH VALUE... [, PATH VALUE...]...\n"
	           "                       send the messages in one bundle (one audio period)\n"
	           "  ping | info | stats  check the daemon, print its /info or counters\n\n"
	           "Options:\n"
	           "  -H, --host HOST      daemon address (default 127.0.0.1)\n"
	           "  -p, --port PORT      daemon OSC port (default 8000)\n"
	           "  -t, --timeout SEC    wait this long for an answer (default 2)\n"
	           "  -n, --count N        watch/meters: exit after N messages\n"
	           "  -h, --help           this help\n"
	           "  -V, --version        print the version\n\n"
	           "Exit status: 0 ok, 1 the daemon reported an error, 2 usage, 3 no answer.\n");
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int send_raw(const void *buf, size_t len)
{
	if (sendto(sock, buf, len, 0, (struct sockaddr *)&daemon_addr, daemon_len) < 0) {
		fprintf(stderr, "jackmixctl: send: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int send_msg(const char *path, lo_message m)
{
	size_t len;
	void *d = lo_message_serialise(m, path, NULL, &len);
	int r = d ? send_raw(d, len) : -1;
	free(d);
	return r;
}

/* Append VALUE to m, typed as the user wrote it. */
static int add_value(lo_message m, const char *v)
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

static void print_msg(FILE *f, const char *path, lo_message m)
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

/* Receive one message within ms; ms < 0: wait at most half a second (the
 * caller loops, renewing its lease).  Returns 1 with *m (free it) and its
 * path copied, 0 on timeout, -1 on a signal or an error. */
static int recv_msg(int ms, char *path, size_t plen, lo_message *m)
{
	static unsigned char buf[65536];
	uint64_t end = now_ms() + (uint64_t)(ms < 0 ? 0 : ms);
	for (;;) {
		if (stop_flag)
			return -1;
		int wait = 500;
		if (ms >= 0) {
			uint64_t t = now_ms();
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

/* Wait for a reply that is not /error; /error is reported and fails. */
static int await_reply(lo_message *m, char *path, size_t plen)
{
	for (;;) {
		int r = recv_msg(timeout_ms, path, plen, m);
		if (r == 0) {
			fprintf(stderr, "jackmixctl: no answer from the daemon within %d ms\n", timeout_ms);
			return 3;
		}
		if (r < 0)
			return 4;
		if (strcmp(path, "/error") == 0) {
			const char *types = lo_message_get_types(*m);
			lo_arg **argv = lo_message_get_argv(*m);
			if (strcmp(types, "ss") == 0)
				fprintf(stderr, "jackmixctl: %s: %s\n", (const char *)argv[0],
				        (const char *)argv[1]);
			else
				fprintf(stderr, "jackmixctl: error from the daemon\n");
			lo_message_free(*m);
			return 1;
		}
		return 0;
	}
}

static int cmd_simple(const char *path, lo_message q)
{
	char rpath[256];
	lo_message m;
	int r = send_msg(path, q);
	lo_message_free(q);
	if (r < 0)
		return 4;
	r = await_reply(&m, rpath, sizeof rpath);
	if (r)
		return r;
	print_msg(stdout, rpath, m);
	lo_message_free(m);
	return 0;
}

static int cmd_set(const char *path, int argc, char **argv)
{
	lo_message set = lo_message_new(), query = lo_message_new();
	char qpath[256];
	for (int k = 0; k < argc; k++)
		if (add_value(set, argv[k]) < 0) {
			fprintf(stderr, "jackmixctl: '%s' is not a value\n", argv[k]);
			return 2;
		}
	/* query the value in effect in the same bundle: the daemon applies
	 * the set first, and a query of a .../toggle alias would flip again */
	snprintf(qpath, sizeof qpath, "%s", path);
	size_t n = strlen(qpath);
	if (n > 7 && strcmp(qpath + n - 7, "/toggle") == 0)
		qpath[n - 7] = 0;
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_bundle_add_message(b, path, set);
	lo_bundle_add_message(b, qpath, query);
	size_t len;
	void *d = lo_bundle_serialise(b, NULL, &len);
	int r = d ? send_raw(d, len) : -1;
	free(d);
	lo_bundle_free_recursive(b);
	if (r < 0)
		return 4;
	char rpath[256];
	lo_message m;
	r = await_reply(&m, rpath, sizeof rpath);
	if (r)
		return r;
	print_msg(stdout, rpath, m);
	lo_message_free(m);
	return 0;
}

/* PATH VALUE... [, PATH VALUE...]... in one bundle, then /ping: the pong
 * comes after any /error the messages earned, in order. */
static int cmd_bundle(int argc, char **argv)
{
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	int k = 0, n = 0;
	while (k < argc) {
		if (argv[k][0] != '/') {
			fprintf(stderr, "jackmixctl: bundle: '%s' is not an address\n", argv[k]);
			return 2;
		}
		const char *path = argv[k++];
		lo_message m = lo_message_new();
		for (; k < argc && strcmp(argv[k], ",") != 0; k++)
			if (add_value(m, argv[k]) < 0) {
				fprintf(stderr, "jackmixctl: '%s' is not a value\n", argv[k]);
				return 2;
			}
		lo_bundle_add_message(b, path, m);
		n++;
		if (k < argc)
			k++; /* the comma */
	}
	lo_bundle_add_message(b, "/ping", lo_message_new());
	size_t len;
	void *d = lo_bundle_serialise(b, NULL, &len);
	int r = d ? send_raw(d, len) : -1;
	free(d);
	lo_bundle_free_recursive(b);
	if (r < 0)
		return 4;
	int errors = 0;
	for (;;) {
		char path[256];
		lo_message m;
		r = await_reply(&m, path, sizeof path);
		if (r == 1) {
			errors++;
			continue;
		}
		if (r)
			return r;
		int pong = strcmp(path, "/pong") == 0;
		lo_message_free(m);
		if (pong)
			break;
	}
	if (!errors)
		printf("%d messages applied together\n", n);
	return errors ? 1 : 0;
}

static int cmd_dump(const char *prefix)
{
	lo_message q = lo_message_new();
	if (prefix)
		lo_message_add_string(q, prefix);
	if (send_msg("/dump", q) < 0)
		return 4;
	lo_message_free(q);
	for (;;) {
		char path[256];
		lo_message m;
		int r = await_reply(&m, path, sizeof path);
		if (r)
			return r;
		if (strcmp(path, "/dump/done") == 0) {
			lo_message_free(m);
			return 0;
		}
		print_msg(stdout, path, m);
		lo_message_free(m);
	}
}

static int subscribe(const char *what)
{
	lo_message s = lo_message_new();
	lo_message_add_int32(s, 0); /* our source port */
	lo_message_add_int32(s, CTL_LEASE_S);
	lo_message_add_string(s, what);
	int r = send_msg("/subscribe", s);
	lo_message_free(s);
	return r;
}

static int cmd_watch(const char *kind, const char *prefix, long count)
{
	char what[300], path[256];
	lo_message m;
	snprintf(what, sizeof what, "%s%s%s", kind, prefix ? "," : "", prefix ? prefix : "");
	/* is anybody there? */
	lo_message ping = lo_message_new();
	send_msg("/ping", ping);
	lo_message_free(ping);
	int r = await_reply(&m, path, sizeof path);
	if (r)
		return r;
	lo_message_free(m);
	if (subscribe(what) < 0)
		return 4;
	uint64_t renew = now_ms() + CTL_LEASE_S * 1000 / 2;
	long seen = 0;
	while (!stop_flag && (count <= 0 || seen < count)) {
		r = recv_msg(-1, path, sizeof path, &m);
		if (now_ms() >= renew) {
			subscribe(what);
			renew = now_ms() + CTL_LEASE_S * 1000 / 2;
		}
		if (r < 0)
			break;
		if (r != 1)
			continue;
		if (strcmp(path, "/error") == 0) {
			print_msg(stderr, path, m);
			lo_message_free(m);
			return 1;
		}
		print_msg(stdout, path, m);
		fflush(stdout);
		lo_message_free(m);
		seen++;
	}
	lo_message u = lo_message_new();
	send_msg("/unsubscribe", u);
	lo_message_free(u);
	return 0;
}

static int open_socket(const char *host, const char *port)
{
	struct addrinfo hints = {0}, *res = NULL;
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
	int rcv = 1 << 20;
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"port", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 't'},
	    {"count", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *host = "127.0.0.1", *port = "8000";
	long count = 0;
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "+H:p:t:n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 't': {
			double t = strtod(optarg, &end);
			if (end == optarg || *end || !(t > 0) || t > 3600) {
				fprintf(stderr, "jackmixctl: --timeout: '%s' is not a number of seconds\n",
				        optarg);
				return 2;
			}
			timeout_ms = (int)(t * 1000);
			break;
		}
		case 'n':
			count = strtol(optarg, &end, 10);
			if (end == optarg || *end || count < 1) {
				fprintf(stderr, "jackmixctl: --count: '%s' is not a positive number\n",
				        optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("jackmixctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	char **args = argv + optind;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (open_socket(host, port) < 0)
		return 4;

	int r;
	if (strcmp(cmd, "get") == 0 && nargs == 1 && args[0][0] == '/')
		r = cmd_simple(args[0], lo_message_new());
	else if (strcmp(cmd, "set") == 0 && nargs >= 2 && args[0][0] == '/')
		r = cmd_set(args[0], nargs - 1, args + 1);
	else if (strcmp(cmd, "watch") == 0 && nargs <= 1)
		r = cmd_watch("values", nargs ? args[0] : NULL, count);
	else if (strcmp(cmd, "meters") == 0 && nargs <= 1)
		r = cmd_watch("meters", nargs ? args[0] : NULL, count);
	else if (strcmp(cmd, "dump") == 0 && nargs <= 1)
		r = cmd_dump(nargs ? args[0] : NULL);
	else if (strcmp(cmd, "bundle") == 0 && nargs >= 1)
		r = cmd_bundle(nargs, args);
	else if ((strcmp(cmd, "ping") == 0 || strcmp(cmd, "info") == 0 || strcmp(cmd, "stats") == 0) &&
	         nargs == 0) {
		char path[16];
		snprintf(path, sizeof path, "/%s", cmd);
		r = cmd_simple(path, lo_message_new());
	} else {
		fprintf(stderr, "jackmixctl: bad command line (see --help)\n");
		r = 2;
	}
	close(sock);
	return r;
}
