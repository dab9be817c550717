/*
 * ctl_status.c - `jackmixctl status' and the live `meters' table: ask the
 * daemon what the screen shows (ctl_view.c renders it) and keep it in a
 * ctl_store.
 *
 * status: /info (the console's shape), one bundle of targeted queries
 * per 128 addresses (each channel's name, fader, mute and solo; each
 * bus's name, fader and mute; the master's fader and mute) closed by
 * /ping, so the /pong says every reply is in; /record/status; then a
 * meters subscription for a quarter of a second, whose peaks and gain
 * reductions merge as maxima (a meter is "max since last read", shared
 * with every other client, so querying one would steal it from them).
 * The subscription is given up at once.
 *
 * meters on a terminal: /info, /record/status, then /subscribe all
 * (values and meters, under the prefix): the state burst fills the
 * store, every change and meter updates it, and the screen is redrawn in
 * place 10 times a second (meters as maxima since the last frame).  The
 * lease is renewed every 5 seconds and given up on exit.
 *
 * Threads: jackmixctl has one; a signal sets ctl_net_stop.  (No
 * ASSERT_ROLE: role.h's contract is the daemon's.)
 *
 * Invariants: a value that did not come shows as "?"; the terminal gets
 * its cursor back on every exit path that returns.
 */
#include "ctl_status.h"

#include <lo/lo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl_net.h"
#include "ctl_store.h"
#include "ctl_view.h"

#define CTL_STATUS_QUERIES   128 /* messages a bundle */
#define CTL_STATUS_METER_MS  250 /* 5 meter ticks, 2 loudness updates */
#define CTL_STATUS_FRAME_MS  100
#define CTL_STATUS_LEASE_S   10
#define CTL_STATUS_SCREEN    (1 << 17)
#define CTL_STATUS_STORE_CAP 8192

unsigned ctl_status_width(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	long w = c ? strtol(c, NULL, 10) : 0;
	return w >= 20 && w <= 1000 ? (unsigned)w : 80u;
}

static unsigned ctl_status_height(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 1)
		return ws.ws_row;
	return 0;
}

static int ctl_status_is_meter(const char *path)
{
	size_t n = strlen(path);
	return (n > 6 && strcmp(path + n - 6, "/meter") == 0) || (n > 3 && strcmp(path + n - 3, "/gr") == 0);
}

/* Keep a message the screen shows: its first two numbers (booleans as 0
 * and 1) and its first text. */
static void ctl_status_keep(struct ctl_store *st, const char *path, lo_message m)
{
	if (!ctl_view_wants(path))
		return;
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	float f[2];
	int nf = 0;
	const char *text = NULL;
	for (int k = 0; types[k]; k++) {
		float x;
		int32_t i;
		switch (types[k]) {
		case 'f':
			memcpy(&x, argv[k], sizeof x);
			break;
		case 'i':
			memcpy(&i, argv[k], sizeof i);
			x = (float)i;
			break;
		case 'T':
		case 'F':
			x = types[k] == 'T';
			break;
		case 's':
		case 'S':
			if (!text)
				text = (const char *)argv[k];
			continue;
		default:
			continue;
		}
		if (nf < 2)
			f[nf++] = x;
	}
	ctl_store_put(st, path, nf, f, text, ctl_status_is_meter(path));
}

/* Send path without arguments and wait for its reply (other messages are
 * kept in st, if given): 0 with *m, or main's exit status. */
static int ctl_status_ask(const char *path, struct ctl_store *st, lo_message *m)
{
	char rpath[256];
	lo_message q = lo_message_new();
	int r = ctl_net_send(path, q);
	lo_message_free(q);
	if (r < 0)
		return 4;
	for (;;) {
		r = ctl_net_await(m, rpath, sizeof rpath);
		if (r)
			return r;
		if (strcmp(rpath, path) == 0)
			return 0;
		if (st)
			ctl_status_keep(st, rpath, *m);
		lo_message_free(*m);
	}
}

static int ctl_status_info(struct ctl_view_info *info)
{
	lo_message m;
	int r = ctl_status_ask("/info", NULL, &m);
	if (r)
		return r;
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	memset(info, 0, sizeof *info);
	if (strncmp(types, "ssiiii", 6) == 0) {
		info->have = 1;
		snprintf(info->name, sizeof info->name, "%s", (const char *)argv[0]);
		snprintf(info->version, sizeof info->version, "%s", (const char *)argv[1]);
		memcpy(&info->channels, argv[2], 4);
		memcpy(&info->buses, argv[3], 4);
		memcpy(&info->rate, argv[4], 4);
		memcpy(&info->period, argv[5], 4);
	}
	lo_message_free(m);
	if (!info->have) {
		fprintf(stderr, "jackmixctl: /info: unexpected reply (%s)\n", types);
		return 1;
	}
	return 0;
}

static void ctl_status_parse_rec(struct ctl_view_rec *rec, lo_message m)
{
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	if (strncmp(types, "isfhhhs", 7) != 0)
		return;
	int64_t h;
	memset(rec, 0, sizeof *rec);
	rec->have = 1;
	memcpy(&rec->active, argv[0], 4);
	snprintf(rec->file, sizeof rec->file, "%s", (const char *)argv[1]);
	float s;
	memcpy(&s, argv[2], 4);
	rec->seconds = s;
	memcpy(&h, argv[4], 8);
	rec->dropped = h;
	memcpy(&h, argv[5], 8);
	rec->disk_free = h;
	snprintf(rec->format, sizeof rec->format, "%s", (const char *)argv[6]);
}

static int ctl_status_rec(struct ctl_view_rec *rec, struct ctl_store *st)
{
	lo_message m;
	int r = ctl_status_ask("/record/status", st, &m);
	if (r)
		return r;
	ctl_status_parse_rec(rec, m);
	lo_message_free(m);
	return 0;
}

/* The values of the screen, queried: bundles of CTL_STATUS_QUERIES, the
 * last closed by /ping; replies are kept until the /pong. */
static int ctl_status_values(struct ctl_store *st, const struct ctl_view_info *info)
{
	static const char *const ch[] = {"name", "fader/db", "mute", "solo"};
	static const char *const bus[] = {"name", "fader/db", "mute"};
	static const char *const master[] = {"fader/db", "mute"};
	int total = info->channels * 4 + info->buses * 3 + 2, k = 0;
	lo_bundle b = NULL;
	int nb = 0;
	for (int q = 0; q < total; q++) {
		char path[64];
		if (q < info->channels * 4)
			snprintf(path, sizeof path, "/ch/%d/%s", q / 4 + 1, ch[q % 4]);
		else if ((k = q - info->channels * 4) < info->buses * 3)
			snprintf(path, sizeof path, "/bus/%d/%s", k / 3 + 1, bus[k % 3]);
		else
			snprintf(path, sizeof path, "/master/%s", master[k - info->buses * 3]);
		if (!b)
			b = lo_bundle_new(LO_TT_IMMEDIATE);
		lo_bundle_add_message(b, path, lo_message_new());
		if (++nb == CTL_STATUS_QUERIES || q == total - 1) {
			if (q == total - 1)
				lo_bundle_add_message(b, "/ping", lo_message_new());
			int r = ctl_net_send_bundle(b);
			lo_bundle_free_recursive(b);
			b = NULL;
			nb = 0;
			if (r < 0)
				return 4;
		}
	}
	for (;;) {
		char path[256];
		lo_message m;
		int r = ctl_net_await(&m, path, sizeof path);
		if (r == 1)
			continue; /* said on stderr; that value shows as "?" */
		if (r)
			return r;
		int pong = strcmp(path, "/pong") == 0;
		if (!pong)
			ctl_status_keep(st, path, m);
		lo_message_free(m);
		if (pong)
			return 0;
	}
}

/* Meters (and loudness) for ms milliseconds. */
static int ctl_status_meters(struct ctl_store *st, int ms)
{
	if (ctl_net_subscribe("meters", 2) < 0)
		return 4;
	uint64_t end = ctl_net_now_ms() + (uint64_t)ms;
	for (uint64_t t; (t = ctl_net_now_ms()) < end;) {
		char path[256];
		lo_message m;
		int r = ctl_net_recv((int)(end - t), path, sizeof path, &m);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		ctl_status_keep(st, path, m);
		lo_message_free(m);
	}
	ctl_net_unsubscribe();
	return ctl_net_stop ? 4 : 0;
}

int ctl_status_run(void)
{
	struct ctl_view_info info;
	struct ctl_view_rec rec = {0};
	struct ctl_store *st = ctl_store_new(CTL_STATUS_STORE_CAP);
	char *screen = malloc(CTL_STATUS_SCREEN);
	int r = st && screen ? 0 : 4;
	if (!r)
		r = ctl_status_info(&info);
	if (!r)
		r = ctl_status_values(st, &info);
	if (!r)
		r = ctl_status_rec(&rec, st);
	if (!r)
		r = ctl_status_meters(st, CTL_STATUS_METER_MS);
	if (!r) {
		ctl_view_render(screen, CTL_STATUS_SCREEN, st, &info, &rec, ctl_status_width());
		fputs(screen, stdout);
	}
	free(screen);
	ctl_store_free(st);
	return r;
}

int ctl_status_live(const char *prefix, long count)
{
	struct ctl_view_info info;
	struct ctl_view_rec rec = {0};
	struct ctl_store *st = ctl_store_new(CTL_STATUS_STORE_CAP);
	char *screen = malloc(CTL_STATUS_SCREEN), *frame = malloc(CTL_STATUS_SCREEN + 4096);
	char what[300];
	int r = st && screen && frame ? 0 : 4;
	if (!r)
		r = ctl_status_info(&info);
	if (!r && !prefix)
		r = ctl_status_rec(&rec, st);
	snprintf(what, sizeof what, "all%s%s", prefix ? "," : "", prefix ? prefix : "");
	if (!r && ctl_net_subscribe(what, CTL_STATUS_LEASE_S) < 0)
		r = 4;
	if (r) {
		free(screen);
		free(frame);
		ctl_store_free(st);
		return r;
	}
	fputs("\033[?25l", stdout); /* no cursor blinking over the bars */
	uint64_t next = ctl_net_now_ms() + CTL_STATUS_FRAME_MS;
	uint64_t renew = ctl_net_now_ms() + CTL_STATUS_LEASE_S * 1000 / 2;
	unsigned prev = 0;
	long frames = 0;
	while (!ctl_net_stop && (count <= 0 || frames < count)) {
		uint64_t t = ctl_net_now_ms();
		if (t < next) {
			char path[256];
			lo_message m;
			int got = ctl_net_recv((int)(next - t), path, sizeof path, &m);
			if (got < 0)
				break;
			if (got == 1) {
				if (strcmp(path, "/record/status") == 0)
					ctl_status_parse_rec(&rec, m);
				else if (strcmp(path, "/error") == 0)
					ctl_net_print(stderr, path, m);
				else
					ctl_status_keep(st, path, m);
				lo_message_free(m);
			}
			continue;
		}
		ctl_view_render(screen, CTL_STATUS_SCREEN, st, &info, &rec, ctl_status_width());
		unsigned h = ctl_status_height();
		prev = ctl_view_frame(frame, CTL_STATUS_SCREEN + 4096, screen, prev, h ? h - 1 : 0);
		fputs(frame, stdout);
		fflush(stdout);
		ctl_store_settle(st);
		frames++;
		next = t + CTL_STATUS_FRAME_MS;
		if (t >= renew) {
			ctl_net_subscribe(what, CTL_STATUS_LEASE_S);
			renew = t + CTL_STATUS_LEASE_S * 1000 / 2;
		}
	}
	ctl_net_unsubscribe();
	fputs("\033[?25h", stdout);
	fflush(stdout);
	free(screen);
	free(frame);
	ctl_store_free(st);
	return 0;
}
