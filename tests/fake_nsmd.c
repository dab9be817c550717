/*
 * fake_nsmd.c - a minimal stand-in for the NSM server (Debian has no
 * nsmd), for state-nsm.sh.  It speaks just enough of NSM API 1.2 to drive
 * one client through announce, open, save, dirty/clean and a switch.
 *
 *   fake_nsmd [-r] URLFILE
 *
 * Binds a UDP port on 127.0.0.1, writes its URL (osc.udp://127.0.0.1:P/)
 * to URLFILE (write + rename), then:
 *   - prints every message it receives as "RECV path arg ..." on stdout
 *     (flushed), and remembers the sender as "the client";
 *   - answers /nsm/server/announce with /reply (with -r: with /error,
 *     ERR_NOT_NOW... a refusal);
 *   - reads commands on stdin, one per line:
 *       open PATH DISPLAY_NAME CLIENT_ID  -> /nsm/client/open to the client
 *       save                              -> /nsm/client/save
 *       quit                              -> exit 0
 *     and prints "SENT ..." for each.
 *
 * Threads: one (poll on stdin and the socket).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock;
static struct sockaddr_storage client;
static socklen_t client_len;
static int refuse;

static void send_msg(const char *path, lo_message m)
{
	size_t len = 0;
	void *buf = lo_message_serialise(m, path, NULL, &len);
	if (!client_len) {
		printf("ERROR no client yet for %s\n", path);
	} else if (sendto(sock, buf, len, 0, (struct sockaddr *)&client, client_len) < 0) {
		printf("ERROR sendto %s: %s\n", path, strerror(errno));
	} else {
		printf("SENT %s\n", path);
	}
	fflush(stdout);
	free(buf);
}

static void on_datagram(unsigned char *buf, ssize_t len)
{
	int result = 0;
	if (len < 4 || buf[0] != '/' || !memchr(buf, 0, (size_t)len))
		return;
	lo_message m = lo_message_deserialise(buf, (size_t)len, &result);
	if (!m) {
		printf("RECV-BAD %d\n", result);
		fflush(stdout);
		return;
	}
	const char *path = (const char *)buf, *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	int argc = lo_message_get_argc(m);
	printf("RECV %s", path);
	for (int i = 0; i < argc; i++) {
		if (types[i] == 's')
			printf(" %s", &argv[i]->s);
		else if (types[i] == 'i')
			printf(" %d", argv[i]->i);
		else
			printf(" ?%c", types[i]);
	}
	printf("\n");
	fflush(stdout);
	if (!strcmp(path, "/nsm/server/announce")) {
		lo_message r = lo_message_new();
		lo_message_add_string(r, "/nsm/server/announce");
		if (refuse) {
			lo_message_add_int32(r, -4);
			lo_message_add_string(r, "refused by the test");
			send_msg("/error", r);
		} else {
			lo_message_add_string(r, "Howdy, what took you so long?");
			lo_message_add_string(r, "fake_nsmd");
			lo_message_add_string(r, ":server-control:");
			send_msg("/reply", r);
		}
		lo_message_free(r);
	}
	lo_message_free(m);
}

static int on_command(char *line)
{
	char a[4096], b[256], c[256];
	line[strcspn(line, "\n")] = 0;
	if (sscanf(line, "open %4095s %255s %255s", a, b, c) == 3) {
		lo_message m = lo_message_new();
		lo_message_add_string(m, a);
		lo_message_add_string(m, b);
		lo_message_add_string(m, c);
		send_msg("/nsm/client/open", m);
		lo_message_free(m);
	} else if (!strcmp(line, "save")) {
		lo_message m = lo_message_new();
		send_msg("/nsm/client/save", m);
		lo_message_free(m);
	} else if (!strcmp(line, "quit")) {
		return 1;
	} else if (line[0]) {
		printf("ERROR unknown command '%s'\n", line);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int a = 1;
	if (a < argc && !strcmp(argv[a], "-r"))
		refuse = 1, a++;
	if (a >= argc) {
		fprintf(stderr, "usage: fake_nsmd [-r] URLFILE\n");
		return 2;
	}
	struct sockaddr_in sin = {0};
	socklen_t sl = sizeof sin;
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(sock, (struct sockaddr *)&sin, &sl) < 0) {
		perror("fake_nsmd: socket");
		return 1;
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[a]);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "osc.udp://127.0.0.1:%u/\n", ntohs(sin.sin_port)) < 0 || fclose(f) != 0 ||
	    rename(tmp, argv[a]) < 0) {
		perror("fake_nsmd: url file");
		return 1;
	}
	static unsigned char buf[65536];
	char line[8192];
	/* unbuffered: poll() must see every line that stdio has not taken */
	setvbuf(stdin, NULL, _IONBF, 0);
	int stdin_open = 1;
	for (;;) {
		struct pollfd p[2] = {{sock, POLLIN, 0}, {0, POLLIN, 0}};
		if (poll(p, stdin_open ? 2 : 1, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
			if (n > 0) {
				client = from;
				client_len = fl;
				on_datagram(buf, n);
			}
		}
		if (stdin_open && (p[1].revents & (POLLIN | POLLHUP))) {
			if (!fgets(line, sizeof line, stdin)) {
				stdin_open = 0;
				continue;
			}
			if (on_command(line))
				return 0;
		}
	}
}
