/*
 * jmx_osc.c - a tiny OSC client for the integration test scripts: sends
 * one message to 127.0.0.1:PORT and prints what comes back, one line per
 * message: "path arg arg ..." (floats with %.9g, T/F as 1/0, strings as
 * they are).
 *
 *   jmx_osc [-t MS] [-u UNTIL] [-r N [-d US]] PORT PATH [TYPES [ARG...]]
 *
 * It waits up to MS milliseconds (default 2000) for the first reply whose
 * path is PATH or /error and prints only that; with -u it prints every
 * message until one whose path is UNTIL arrives (e.g. -u /dump/done) or
 * the time is up; when that message carries one int, the number of
 * messages before it (as /dump/done does), fewer is exit status 3.
 * -t 0 sends and exits at once (a set has no reply).  -r N sends the
 * message N times, US microseconds apart (default 0), without waiting;
 * float arguments step by 0.1 dB-sized increments (k mod 50) so that each
 * send changes something (the load generator of the crash test).
 * Exit status: 0 when the awaited reply came (or -t 0 / -r), 1 when it was
 * /error, 2 on timeout or bad usage, 3 when -u's message counts more
 * messages than came.
 *
 * Threads: one.
 */
#include <lo/lo.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *want, *until;
static int done, status = 2;
static long got; /* messages printed before UNTIL */

static int on_msg(const char *path, const char *types, lo_arg **argv, int argc, lo_message m, void *ud)
{
	(void)m;
	(void)ud;
	/* Without -u only the awaited reply is printed: feedback for another
	 * path can reach us too (our ephemeral port may be one the daemon
	 * already sends feedback to), and must not pass for the answer. */
	if (!until && strcmp(path, want) != 0 && strcmp(path, "/error") != 0)
		return 0;
	printf("%s", path);
	for (int i = 0; i < argc; i++) {
		switch (types[i]) {
		case 'i':
			printf(" %d", argv[i]->i);
			break;
		case 'f':
			printf(" %.9g", (double)argv[i]->f);
			break;
		case 'd':
			printf(" %.17g", argv[i]->d);
			break;
		case 's':
		case 'S':
			printf(" %s", &argv[i]->s);
			break;
		case 'T':
			printf(" 1");
			break;
		case 'F':
			printf(" 0");
			break;
		default:
			printf(" ?%c", types[i]);
		}
	}
	printf("\n");
	fflush(stdout);
	if (until) {
		if (!strcmp(path, until)) {
			done = 1;
			status = 0;
			/* /dump/done i:N says how many came before it: fewer is a
			 * datagram lost on the way (3) */
			if (argc == 1 && types[0] == 'i' && got < argv[0]->i) {
				fprintf(stderr, "jmx_osc: %ld messages before %s, which counts %d\n", got,
				        path, argv[0]->i);
				status = 3;
			}
		} else {
			got++;
		}
	} else if (!strcmp(path, want) || !strcmp(path, "/error")) {
		done = 1;
		status = strcmp(path, "/error") ? 0 : 1;
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	long timeout = 2000, repeat = 0, delay = 0;
	int a = 1;
	while (a < argc && argv[a][0] == '-' && argv[a][1]) {
		if (!strcmp(argv[a], "-t") && a + 1 < argc)
			timeout = atol(argv[++a]);
		else if (!strcmp(argv[a], "-u") && a + 1 < argc)
			until = argv[++a];
		else if (!strcmp(argv[a], "-r") && a + 1 < argc)
			repeat = atol(argv[++a]);
		else if (!strcmp(argv[a], "-d") && a + 1 < argc)
			delay = atol(argv[++a]);
		else
			break;
		a++;
	}
	if (argc - a < 2) {
		fprintf(stderr, "usage: jmx_osc [-t MS] [-u UNTIL] PORT PATH [TYPES [ARG...]]\n");
		return 2;
	}
	const char *port = argv[a], *path = argv[a + 1];
	const char *types = argc - a > 2 ? argv[a + 2] : "";
	want = path;
	lo_message m = lo_message_new();
	for (int i = 0; types[i]; i++) {
		const char *v = a + 3 + i < argc ? argv[a + 3 + i] : NULL;
		if (!v && types[i] != 'T' && types[i] != 'F' && types[i] != 'N') {
			fprintf(stderr, "jmx_osc: missing value for type %c\n", types[i]);
			return 2;
		}
		switch (types[i]) {
		case 'i':
			lo_message_add_int32(m, atoi(v));
			break;
		case 'f':
			lo_message_add_float(m, strtof(v, NULL));
			break;
		case 's':
			lo_message_add_string(m, v);
			break;
		case 'T':
			lo_message_add_true(m);
			break;
		case 'F':
			lo_message_add_false(m);
			break;
		default:
			fprintf(stderr, "jmx_osc: type %c not supported\n", types[i]);
			return 2;
		}
	}
	lo_server s = lo_server_new_with_proto(NULL, LO_UDP, NULL);
	lo_address to = lo_address_new("127.0.0.1", port);
	if (!s || !to) {
		fprintf(stderr, "jmx_osc: cannot create the socket\n");
		return 2;
	}
	lo_server_add_method(s, NULL, NULL, on_msg, NULL);
	/* a dump is hundreds of datagrams: room for them while a loaded
	 * machine keeps this process off the CPU (the kernel caps it at
	 * rmem_max) */
	int rcv = 4 << 20;
	setsockopt(lo_server_get_socket_fd(s), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	if (repeat > 0) {
		for (long k = 0; k < repeat; k++) {
			lo_message r = lo_message_new();
			for (int i = 0; types[i]; i++) {
				const char *v = argv[a + 3 + i];
				if (types[i] == 'f')
					lo_message_add_float(r, strtof(v, NULL) - 0.1f * (float)(k % 50));
				else if (types[i] == 'i')
					lo_message_add_int32(r, atoi(v));
				else if (types[i] == 's')
					lo_message_add_string(r, v);
				else if (types[i] == 'T')
					lo_message_add_true(r);
				else
					lo_message_add_false(r);
			}
			lo_send_message_from(to, s, path, r);
			lo_message_free(r);
			if (delay)
				usleep((useconds_t)delay);
		}
		return 0;
	}
	if (lo_send_message_from(to, s, path, m) < 0) {
		fprintf(stderr, "jmx_osc: send failed\n");
		return 2;
	}
	long end = now_ms() + timeout;
	while (!done && now_ms() < end)
		lo_server_recv_noblock(s, (int)(end - now_ms() > 0 ? end - now_ms() : 0));
	lo_message_free(m);
	lo_address_free(to);
	lo_server_free(s);
	return status;
}
