/*
 * jackmixctl.c - command-line OSC client for jackmixd: get, set, send,
 * bundle, watch, meters, dump, status, ping, info, stats.  This file has
 * the command line and the commands that print messages as they come;
 * ctl_net.c is the OSC link, ctl_status.c the status screen and the live
 * meters table (ctl_view.c renders them from a ctl_store).
 *
 * Threads: one.  Signals only set ctl_net_stop.  (No ASSERT_ROLE in
 * src/tools/: role.h's contract is the daemon's, and jackmixctl links
 * liblo only.)
 *
 * Exit status: 0 success, 1 the daemon answered /error (its text on
 * stderr), 2 usage, 3 no answer within the timeout, 4 local failure.
 */
#include "config.h"

#include <getopt.h>
#include <lo/lo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_net.h"
#include "ctl_status.h"

#define CTL_LEASE_S 10

enum { OPT_RAW = 1, OPT_CHANGED = 2, OPT_UNITS = 4 };

static void on_signal(int sig)
{
	(void)sig;
	ctl_net_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: jackmixctl [options] COMMAND [ARGS]\n"
	           "Talk to jackmixd over OSC.\n\n"
	           "Commands:\n"
	           "  status               the console on one screen: channels, buses, master,\n"
	           "                       loudness, recorder\n"
	           "  get PATH             print PATH's value\n"
	           "  set PATH VALUE...    set PATH, then print the value now in effect\n"
	           "                       (VALUE: a number, text, or typed as i:3, f:0.5, s:text, T, F)\n"
	           "  send PATH [VALUE...] send any message (also without arguments, e.g.\n"
	           "                       /record/stop) and print the replies or /error\n"
	           "  watch [PREFIX]       print changes under PREFIX as they happen\n"
	           "  meters [--raw] [PREFIX]\n"
	           "                       a live table of the meters under PREFIX on a terminal;\n"
	           "                       with --raw or into a pipe, every update as a line\n"
	           "  dump [--changed] [--units] [PREFIX]\n"
	           "                       print every value under PREFIX (--changed: only what\n"
	           "                       differs from the defaults; --units: each value once)\n"
	           "  bundle PATH VALUE... [, PATH VALUE...]...\n"
	           "                       send the messages in one bundle (one audio period)\n"
	           "  ping | info | stats  check the daemon, print its /info or counters\n\n"
	           "Options:\n"
	           "  -H, --host HOST      daemon address (default 127.0.0.1)\n"
	           "  -p, --port PORT      daemon OSC port (default 8000)\n"
	           "  -t, --timeout SEC    wait this long for an answer (default 2)\n"
	           "  -n, --count N        watch, meters --raw: exit after N messages;\n"
	           "                       the meters table: after N screens\n"
	           "  -h, --help           this help\n"
	           "  -V, --version        print the version\n\n"
	           "Exit status: 0 ok, 1 the daemon reported an error, 2 usage, 3 no answer.\n");
}

static int cmd_simple(const char *path, lo_message q)
{
	char rpath[256];
	lo_message m;
	int r = ctl_net_send(path, q);
	lo_message_free(q);
	if (r < 0)
		return 4;
	r = ctl_net_await(&m, rpath, sizeof rpath);
	if (r)
		return r;
	ctl_net_print(stdout, rpath, m);
	lo_message_free(m);
	return 0;
}

static int cmd_set(const char *path, int argc, char **argv)
{
	lo_message set = lo_message_new(), query = lo_message_new();
	char qpath[256];
	for (int k = 0; k < argc; k++)
		if (ctl_net_add_value(set, argv[k]) < 0) {
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
	int r = ctl_net_send_bundle(b);
	lo_bundle_free_recursive(b);
	if (r < 0)
		return 4;
	char rpath[256];
	lo_message m;
	r = ctl_net_await(&m, rpath, sizeof rpath);
	if (r)
		return r;
	ctl_net_print(stdout, rpath, m);
	lo_message_free(m);
	return 0;
}

/* Send the messages of b and a /ping in the same bundle; print every
 * reply on stdout (raw: send) and every /error on stderr (raw: as the
 * message, else as "jackmixctl: path: reason"), until the /pong, which
 * comes after them in order.  Returns 0, 1 when an /error came, or 3/4. */
static int ctl_send_and_collect(lo_bundle b, int raw, int expect_pongs)
{
	lo_bundle_add_message(b, "/ping", lo_message_new());
	int r = ctl_net_send_bundle(b);
	lo_bundle_free_recursive(b);
	if (r < 0)
		return 4;
	int errors = 0;
	for (int pongs = 0;;) {
		char path[256];
		lo_message m;
		r = ctl_net_recv(ctl_net_timeout_ms(), path, sizeof path, &m);
		if (r == 0) {
			fprintf(stderr, "jackmixctl: no answer from the daemon within %d ms\n",
			        ctl_net_timeout_ms());
			return 3;
		}
		if (r < 0)
			return 4;
		int last = strcmp(path, "/pong") == 0 && ++pongs == expect_pongs;
		if (strcmp(path, "/error") == 0) {
			errors++;
			if (raw)
				ctl_net_print(stderr, path, m);
			else
				ctl_net_print_error(m);
		} else if (raw && !last) {
			ctl_net_print(stdout, path, m);
		}
		lo_message_free(m);
		if (last)
			return errors ? 1 : 0;
	}
}

/* send PATH [VALUE...]: any message, with any number of arguments; the
 * replies it earned are printed as they are (/error on stderr). */
static int cmd_send(const char *path, int argc, char **argv)
{
	lo_message m = lo_message_new();
	for (int k = 0; k < argc; k++)
		if (ctl_net_add_value(m, argv[k]) < 0) {
			fprintf(stderr, "jackmixctl: '%s' is not a value\n", argv[k]);
			lo_message_free(m);
			return 2;
		}
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_bundle_add_message(b, path, m);
	/* sending /ping itself: its /pong is a reply, the second one the end */
	return ctl_send_and_collect(b, 1, strcmp(path, "/ping") == 0 ? 2 : 1);
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
			if (ctl_net_add_value(m, argv[k]) < 0) {
				fprintf(stderr, "jackmixctl: '%s' is not a value\n", argv[k]);
				return 2;
			}
		lo_bundle_add_message(b, path, m);
		n++;
		if (k < argc)
			k++; /* the comma */
	}
	int r = ctl_send_and_collect(b, 0, 1);
	if (r)
		return r;
	printf("%d messages applied together\n", n);
	return 0;
}

/* dump: the daemon filters (/dump's options), so --changed compares with
 * the defaults of the daemon's own table, on its stored values. */
static int cmd_dump(const char *prefix, unsigned opts)
{
	lo_message q = lo_message_new();
	char o[32];
	snprintf(o, sizeof o, "%s%s%s", opts & OPT_UNITS ? "units" : "",
	         (opts & OPT_UNITS) && (opts & OPT_CHANGED) ? "," : "", opts & OPT_CHANGED ? "changed" : "");
	if (prefix || o[0])
		lo_message_add_string(q, prefix ? prefix : "");
	if (o[0])
		lo_message_add_string(q, o);
	int r = ctl_net_send("/dump", q);
	lo_message_free(q);
	if (r < 0)
		return 4;
	for (;;) {
		char path[256];
		lo_message m;
		r = ctl_net_await(&m, path, sizeof path);
		if (r)
			return r;
		if (strcmp(path, "/dump/done") == 0) {
			lo_message_free(m);
			return 0;
		}
		ctl_net_print(stdout, path, m);
		lo_message_free(m);
	}
}

static int cmd_watch(const char *kind, const char *prefix, long count)
{
	char what[300], path[256];
	lo_message m;
	snprintf(what, sizeof what, "%s%s%s", kind, prefix ? "," : "", prefix ? prefix : "");
	/* is anybody there? */
	lo_message ping = lo_message_new();
	ctl_net_send("/ping", ping);
	lo_message_free(ping);
	int r = ctl_net_await(&m, path, sizeof path);
	if (r)
		return r;
	lo_message_free(m);
	if (ctl_net_subscribe(what, CTL_LEASE_S) < 0)
		return 4;
	uint64_t renew = ctl_net_now_ms() + CTL_LEASE_S * 1000 / 2;
	long seen = 0;
	while (!ctl_net_stop && (count <= 0 || seen < count)) {
		r = ctl_net_recv(-1, path, sizeof path, &m);
		if (ctl_net_now_ms() >= renew) {
			ctl_net_subscribe(what, CTL_LEASE_S);
			renew = ctl_net_now_ms() + CTL_LEASE_S * 1000 / 2;
		}
		if (r < 0)
			break;
		if (r != 1)
			continue;
		if (strcmp(path, "/error") == 0) {
			ctl_net_print(stderr, path, m);
			lo_message_free(m);
			return 1;
		}
		ctl_net_print(stdout, path, m);
		fflush(stdout);
		lo_message_free(m);
		seen++;
	}
	ctl_net_unsubscribe();
	return 0;
}

/* Take the command's own options (--raw, --changed, --units) out of its
 * arguments; -1 for an unknown one. */
static int take_opts(int *argc, char **argv, unsigned allowed, unsigned *opts)
{
	int n = 0;
	for (int k = 0; k < *argc; k++) {
		unsigned o = strcmp(argv[k], "--raw") == 0       ? OPT_RAW
		             : strcmp(argv[k], "--changed") == 0 ? OPT_CHANGED
		             : strcmp(argv[k], "--units") == 0   ? OPT_UNITS
		                                                 : 0;
		if (o & allowed)
			*opts |= o;
		else if (argv[k][0] == '-' && argv[k][1] == '-')
			return -1;
		else
			argv[n++] = argv[k];
	}
	*argc = n;
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
	int c, timeout_ms = 2000;
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
	unsigned opts = 0;
	unsigned allowed = strcmp(cmd, "meters") == 0 ? OPT_RAW
	                   : strcmp(cmd, "dump") == 0 ? OPT_CHANGED | OPT_UNITS
	                                              : 0;
	if (allowed && take_opts(&nargs, args, allowed, &opts) < 0) {
		fprintf(stderr, "jackmixctl: %s: unknown option (see --help)\n", cmd);
		return 2;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (ctl_net_open(host, port, timeout_ms) < 0)
		return 4;

	int r;
	if (strcmp(cmd, "get") == 0 && nargs == 1 && args[0][0] == '/')
		r = cmd_simple(args[0], lo_message_new());
	else if (strcmp(cmd, "set") == 0 && nargs >= 2 && args[0][0] == '/')
		r = cmd_set(args[0], nargs - 1, args + 1);
	else if (strcmp(cmd, "set") == 0 && nargs == 1 && args[0][0] == '/') {
		fprintf(stderr, "jackmixctl: set %s: no value (a message without arguments: send %s)\n",
		        args[0], args[0]);
		r = 2;
	} else if (strcmp(cmd, "send") == 0 && nargs >= 1 && args[0][0] == '/')
		r = cmd_send(args[0], nargs - 1, args + 1);
	else if (strcmp(cmd, "status") == 0 && nargs == 0)
		r = ctl_status_run();
	else if (strcmp(cmd, "watch") == 0 && nargs <= 1)
		r = cmd_watch("values", nargs ? args[0] : NULL, count);
	else if (strcmp(cmd, "meters") == 0 && nargs <= 1 && !(opts & OPT_RAW) && isatty(STDOUT_FILENO))
		r = ctl_status_live(nargs ? args[0] : NULL, count);
	else if (strcmp(cmd, "meters") == 0 && nargs <= 1)
		r = cmd_watch("meters", nargs ? args[0] : NULL, count);
	else if (strcmp(cmd, "dump") == 0 && nargs <= 1)
		r = cmd_dump(nargs ? args[0] : NULL, opts);
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
	ctl_net_close();
	return r;
}
