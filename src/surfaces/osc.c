/*
 * osc.c - OSC control surface; see osc.h.
 *
 * Threads: control thread only.  The socket is ours, non-blocking, read in
 * the control loop's poll(); liblo only parses and dispatches (its server
 * object sits on a Unix datagram socket whose name is unlinked at once, so
 * nothing can ever reach it: liblo 0.31 would otherwise bind a UDP port on
 * every interface).  Its timetag queue is off, so a sender cannot make it
 * hold memory.
 *
 * Packet path: recvmmsg -> osc_dispatch: allow-list (before any parsing)
 * -> lease renewal / auto-registration -> our own structural validation
 * (defence in depth in front of liblo 0.31's parser) -> liblo dispatch to
 * osc_handle, which resolves the address through a hash of the table's
 * path patterns ("/ch/#/fader/db"), converts and range-checks, and calls
 * model_set -> model_commit once per datagram.
 *
 * Feedback: the model calls osc_on_change for every accepted change.  The
 * instance goes into a FIFO (once); osc_tick sends it to every value
 * client at most every OSC_FB_INTERVAL_MS (coalescing: the newest value
 * wins), with a per-tick message budget per client (pacing), then
 * continues state bursts (subscribe, auto-registration, /dump) from each
 * client's cursor with what budget is left.  The sender of an unclamped
 * value is not sent the form it used (no echo that fights a moving fader),
 * but is sent the other forms, e.g. the fader text.
 *
 * Invariants: everything is bounded: targets, error-log memory, per-tick
 * work; no allocation per packet except inside liblo.
 */
#define _GNU_SOURCE /* recvmmsg */
#include "osc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsp.h"
#include "log.h"

#define OSC_MAX_TARGETS     64u     /* feedback clients of all kinds */
#define OSC_MAX_DUMPS       8u      /* concurrent /dump streams */
#define OSC_AUTO_IDLE_MS    600000u /* auto-registered clients: 10 min */
#define OSC_LEASE_DEFAULT_S 10u
#define OSC_LEASE_MAX_S     3600u
#define OSC_FB_TICK_MS      5u  /* feedback timer */
#define OSC_FB_INTERVAL_MS  34u /* <= 30 Hz per path */
#define OSC_FB_TICK_MSGS    24u /* per client per tick: 4800 msg/s */
#define OSC_FB_BURST_MIN    6u  /* of which state bursts always get */
#define OSC_METER_MS        50u /* 20 Hz */
#define OSC_DUMP_TIMEOUT_MS 120000u
#define OSC_RECV_BATCH      16u
#define OSC_RECV_ROUNDS     64u /* then let timers run */
#define OSC_MAX_DGRAM       65536u
#define OSC_MAX_DEPTH       8 /* nested bundles */
#define OSC_PREFIX_MAX      64u
#define OSC_PATH_MAX        128u
#define OSC_TX_MAX          512u
#define OSC_ROUTES          512u /* hash slots, power of two */
#define OSC_ERRLOG_SLOTS    1024u
#define OSC_ERRLOG_RESET_MS 600000u
#define OSC_DENYLOG_SLOTS   64u
#define OSC_MAX_RAMP_MS     3600000.0 /* timed moves: up to an hour */

enum {
	FORM_UNIT = 1,   /* engineering units (the table's path) */
	FORM_NORM = 2,   /* normalised 0..1 */
	FORM_TEXT = 4,   /* fader value as text, read-only */
	FORM_TOGGLE = 8, /* boolean flip on values > 0 */
	FORM_AUTO = 16,  /* <base>/auto: automation mode (automation.c) */
	FORM_TOUCH = 32, /* <base>/touch: a control is held */
	FORM_STOP = 64,  /* <base>/stop: a timed move stops where it is */
};
#define FORM_AUTOMATION (FORM_AUTO | FORM_TOUCH | FORM_STOP)

enum osc_cmd {
	CMD_NONE,
	CMD_PING,
	CMD_INFO,
	CMD_DUMP,
	CMD_SUBSCRIBE,
	CMD_UNSUBSCRIBE,
	CMD_METERS,
	CMD_STATS,
	CMD_EXT
};
#define OSC_MAX_EXT      32u /* commands handled outside this module */
#define OSC_MAX_EXT_ARGS 8

static const struct {
	const char *path;
	enum osc_cmd cmd;
	const char *args;
	const char *doc;
} osc_commands[] = {
    {"/ping", CMD_PING, "", "Replies /pong."},
    {"/info", CMD_INFO, "", "Replies /info s:name s:version i:channels i:buses i:sample_rate i:period."},
    {"/dump", CMD_DUMP, "[s:prefix]",
     "Sends every value under prefix (default all) to the sender, paced, then /dump/done i:count."},
    {"/subscribe", CMD_SUBSCRIBE, "[i:port] [i:lease_s] [s:what]",
     "Feedback to the sender's address at port (0 or absent: its source port) for lease_s seconds "
     "(default 10, renewed by any message); what: values (default), meters, all, and/or a path prefix, "
     "comma-separated.  New subscriptions get the current state first."},
    {"/unsubscribe", CMD_UNSUBSCRIBE, "[i:port]",
     "Ends the sender's subscriptions (to port only, if given)."},
    {"/meters", CMD_METERS, "i|f|T|F",
     "Meters on (non-zero) or off for the sender's own feedback clients, e.g. an auto-registered "
     "TouchOSC."},
    {"/stats", CMD_STATS, "",
     "Replies /stats i:datagrams i:denied i:malformed i:messages i:applied i:errors i:sent i:send_failed."},
    /* implemented in main.c, bound with osc_add_command */
    {"/engine/status", CMD_EXT, "",
     "Replies /engine/status s:state i:sample_rate i:period h:xruns h:late f:dsp_max h:frames "
     "i:reconnects i:freewheel: state is running or disconnected (the JACK server went away: parameters "
     "stay settable, the daemon reconnects when it returns); xruns JACK reported; late: periods the "
     "daemon itself took longer than a period to process; dsp_max: its longest processing since the "
     "last /engine/status, in percent of a period; frames rendered; times the server came back; 1 while "
     "JACK freewheels.  Feedback clients get it whenever the state changes."},
    /* implemented in session.c, bound with osc_add_command */
    {"/snapshot/save", CMD_EXT, "s:name",
     "Saves the console (every value, names, JACK connections) as scene name in the snapshot directory; "
     "replies /snapshot/save s:name.  Names: 1-64 of A-Z a-z 0-9 . _ -, not starting with a dot."},
    {"/snapshot/load", CMD_EXT, "s:name [f:fade_ms] [i:connect]",
     "Recalls scene name: continuous parameters move to it over fade_ms (default 0) in the audio thread, "
     "switches change at the start (on, unmute) or the end (off, mute), channels with /ch/<n>/safe 1 are "
     "left alone; with connect 1 also makes its saved JACK connections.  Replies /snapshot/load s:name."},
    {"/snapshot/list", CMD_EXT, "", "Replies /snapshot/list s:name ... (sorted; 100 names a message)."},
    {"/snapshot/delete", CMD_EXT, "s:name", "Deletes scene name; replies /snapshot/delete s:name."},
    {"/state/save", CMD_EXT, "", "Writes the state file (-s) now; replies /state/save s:file."},
    /* implemented in recorder_osc.c, bound with osc_add_command */
    {"/record/start", CMD_EXT, "[s:name]",
     "Starts recording the master (after the limiter), and with --record-stems every channel after its "
     "trim, to the record directory, --preroll seconds back; "
     "name: 1-64 of A-Z a-z 0-9 . _ - not starting with a dot (default master-<local time of the first "
     "sample>), never overwriting (-2, -3 ... added).  Replies /record/start with the arguments of "
     "/record/status; feedback clients get /record/status when the file is open and every second while "
     "recording, and /error if the file cannot be written."},
    {"/record/stop", CMD_EXT, "",
     "Stops at the frame playing now; the file is finished (header, bext loudness) in the background. "
     "Replies /record/stop with the arguments of /record/status; feedback clients get the final "
     "/record/status, with the loudness written to the file."},
    {"/record/status", CMD_EXT, "",
     "Replies /record/status i:active s:file f:seconds h:frames h:dropped_frames h:disk_free_bytes "
     "s:format f:take_I f:take_LRA f:take_TP f:take_max_M f:take_max_S (the take's EBU R128 values, "
     "LUFS/LU/dBTP, -120 = none) s:stems (off, multi, split: --record-stems) s:stem_file (the multi file "
     "or the first of the split ones, \"\" without stems) i:stem_files h:stem_dropped_frames (each stem file "
     "is as long as the master file, with the same silence for lost frames).  A full disk or an I/O error ends a take by itself: feedback clients "
     "then get /error s:/record/status s:reason and the final /record/status."},
    {"/record/format", CMD_EXT, "[s:wav|flac] [s:16|24|32f]",
     "Sets the format of the next take and its stems (FLAC: 16 or 24 only, and at most 8 channels a file, "
     "so not with multi stems of more than 8 input lanes); replies /record/format s:format s:bits."},
    /* implemented in automation.c, bound with osc_add_command */
    {"/automation/mode", CMD_EXT, "s:mode [s:prefix]",
     "Sets the automation mode of every automatable parameter (under prefix, e.g. /ch/3, if given): off, "
     "read (play the lane against JACK transport), write (record while the transport rolls), touch "
     "(record while touched and rolling, else play), latch (as touch, and keep recording after the release "
     "until the transport stops).  Replies /automation/mode s:mode i:lanes (how many changed); a change of "
     "one lane (<base>/auto) is fed back to every client."},
    {"/automation/clear", CMD_EXT, "[s:prefix]",
     "Deletes the points of every lane (under prefix, if given); modes stay.  Replies /automation/clear "
     "i:lanes."},
    {"/automation/status", CMD_EXT, "",
     "Replies /automation/status s:transport i:frame i:lanes i:points i:recording h:dropped: transport "
     "rolling or stopped and its frame, lanes with a mode or points, their points, lanes recording now, "
     "and recorded values lost to a full buffer since start-up."},
    {"/master/fade", CMD_EXT, "[f:seconds]",
     "Fades the master fader to -90 dB (off) over seconds, in the audio thread, even in dB; a set of "
     "/master/fader or /master/fader/db, or /master/fader/stop, cancels it.  Feedback clients get "
     "/master/fade f:seconds_left at the start and every second, and f:0 at the end or on cancel; "
     "without an argument, replies the same."},
    {"/master/loudness/reset", CMD_EXT, "",
     "Starts a new loudness integration (I, LRA, TP, maxima) of /master/loudness/...; replies "
     "/master/loudness/reset i:1.  A record start also restarts it, from the take's first sample."},
    /* implemented in midi_osc.c, bound with osc_add_command */
    {"/midi/learn", CMD_EXT, "[s:path] [s:options]",
     "Maps the next MIDI control that moves on midi_in (CC, 14-bit CC pair, note or pitch bend) to the "
     "parameter path, replacing the mappings of that control and of that path in the current bank; options "
     "as in the mapping file (e.g. \"pickup range -60 6\").  Replies /midi/learn s:path at once; when a control "
     "was learned, feedback clients get /midi/learned s:path s:mapping and the mapping file is saved.  "
     "Without arguments: stop learning.  Not with --mcu."},
    {"/midi/forget", CMD_EXT, "s:path",
     "Removes every MIDI mapping of path (all: every mapping) and saves the mapping file; replies "
     "/midi/forget s:path i:removed."},
    {"/midi/map", CMD_EXT, "",
     "Replies /midi/map s:mapping ... (the mapping file's lines; 32 a message)."},
};

/* Normalised sender or target address: IPv4-mapped IPv6 folded to IPv4. */
struct osc_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char ip[16];
	unsigned port;
};

struct osc_cidr {
	int family;
	unsigned char ip[16];
	unsigned bits;
};

enum osc_tkind { T_FREE, T_SUB, T_AUTO, T_FIXED, T_DUMP };
enum { TF_VALUES = 1, TF_METERS = 2 };

struct osc_target {
	enum osc_tkind kind;
	unsigned flags;
	struct osc_addr to;
	struct sockaddr_storage sa; /* to, in the socket's family */
	socklen_t salen;
	struct osc_addr owner; /* the sender this client is (for echo suppression) */
	uint64_t expires;      /* 0 = never */
	unsigned lease_ms;
	char prefix[OSC_PREFIX_MAX];
	int bursting;
	unsigned cursor; /* next flat instance of the state burst */
	unsigned long count;
};

struct osc_route {
	char key[OSC_PATH_MAX];
	int used;
	enum osc_cmd cmd;
	uint16_t id;
	uint8_t form;
};

struct osc_msgbuf {
	unsigned char b[OSC_TX_MAX];
	size_t n;
	int bad;
};

struct osc {
	struct model *model;
	struct osc_host host;
	struct control *ctl;
	struct param_shape shape;
	int fd;
	int family; /* of the socket */
	unsigned port;
	lo_server lo;
	unsigned feedback_port;
	struct osc_cidr allow[OSC_MAX_ALLOW];
	unsigned n_allow;

	unsigned n1[P_COUNT], n2[P_COUNT];
	unsigned off[P_COUNT + 1];
	unsigned total;

	struct osc_route routes[OSC_ROUTES];

	/* feedback state per flat instance */
	uint64_t *fb_excl; /* targets that sent the newest value */
	uint8_t *fb_form;  /* ... and the form they used */
	uint64_t *fb_last; /* ms of the last send */
	uint8_t *fb_inlist;
	unsigned *fifo; /* ring of flat instances, capacity total */
	unsigned fifo_head, fifo_len;

	struct osc_target target[OSC_MAX_TARGETS];

	/* the datagram being dispatched */
	struct {
		const struct sockaddr *sa;
		socklen_t salen;
		struct osc_addr addr;
		uint64_t now;
		uint64_t excl;   /* targets owned by the sender */
		int form;        /* form of the message being applied */
		int force_clamp; /* normalised value was outside 0..1 */
		int active;
	} cur;

	/* receive buffers */
	unsigned char (*rxbuf)[OSC_MAX_DGRAM];
	struct sockaddr_storage rxaddr[OSC_RECV_BATCH];
	struct mmsghdr mmsg[OSC_RECV_BATCH];
	struct iovec iov[OSC_RECV_BATCH];

	struct {
		const char *path;
		osc_command_fn fn;
		void *ctx;
	} ext[OSC_MAX_EXT];
	unsigned n_ext;

	osc_send_fn send_hook;
	void *send_ctx;

	struct osc_automation autom; /* all NULL until automation binds */

	uint64_t errlog[OSC_ERRLOG_SLOTS];
	unsigned errlog_n;
	uint64_t errlog_reset;
	int errlog_full_said;
	struct osc_addr denylog[OSC_DENYLOG_SLOTS];
	unsigned denylog_n;

	struct osc_stats st;
};

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

static int osc_addr_from_sa(const struct sockaddr *sa, socklen_t len, struct osc_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		a->family = AF_INET;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		a->port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = AF_INET;
			memcpy(a->ip, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->ip, s6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

/* osc_addr -> sockaddr usable on a socket of the given family. */
static int osc_addr_to_sa(const struct osc_addr *a, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		if (a->family != AF_INET)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		*len = sizeof *s4;
		return 0;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)a->port);
	if (a->family == AF_INET) {
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(s6->sin6_addr.s6_addr + 12, a->ip, 4);
	} else {
		memcpy(s6->sin6_addr.s6_addr, a->ip, 16);
	}
	*len = sizeof *s6;
	return 0;
}

static int osc_same_ip(const struct osc_addr *a, const struct osc_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, a->family == AF_INET ? 4 : 16) == 0;
}

static int osc_same_addr(const struct osc_addr *a, const struct osc_addr *b)
{
	return osc_same_ip(a, b) && a->port == b->port;
}

static const char *osc_addr_str(const struct osc_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family, a->ip, ip, sizeof ip);
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "%s:%u", ip, a->port);
	return buf;
}

static int osc_is_loopback(const struct osc_addr *a)
{
	static const unsigned char v6lo[16] = {[15] = 1};
	if (a->family == AF_INET)
		return a->ip[0] == 127;
	return memcmp(a->ip, v6lo, 16) == 0;
}

static int osc_cidr_match(const struct osc_cidr *c, const struct osc_addr *a)
{
	if (c->family != a->family)
		return 0;
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->ip, a->ip, full) != 0)
		return 0;
	if (rest) {
		unsigned char m = (unsigned char)(0xff << (8 - rest));
		if ((c->ip[full] & m) != (a->ip[full] & m))
			return 0;
	}
	return 1;
}

static int osc_parse_cidr(const char *s, struct osc_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(c, 0, sizeof *c);
	unsigned max;
	if (inet_pton(AF_INET, buf, c->ip) == 1)
		c->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, c->ip) == 1)
		c->family = AF_INET6, max = 128;
	else
		return -1;
	c->bits = max;
	if (slash) {
		char *end;
		errno = 0;
		unsigned long b = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || slash[1] == '-' || slash[1] == '+' || b > max)
			return -1;
		c->bits = (unsigned)b;
	}
	/* an IPv4-mapped IPv6 network is an IPv4 network */
	if (c->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)c->ip) && c->bits >= 96) {
		memmove(c->ip, c->ip + 12, 4);
		memset(c->ip + 4, 0, 12);
		c->family = AF_INET;
		c->bits -= 96;
	}
	return 0;
}

/* HOST:PORT, [V6]:PORT; host names are resolved (start-up only). */
static int osc_parse_hostport(const char *s, struct osc_addr *a)
{
	char host[256];
	const char *port;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = 0;
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host || strchr(s, ':') != colon)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		port = colon + 1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(port, &end, 10);
	if (!host[0] || errno || end == port || *end || port[0] == '-' || port[0] == '+' || p == 0 ||
	    p > 65535)
		return -1;
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) {
		hints.ai_flags = 0;
		if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
			return -1;
	}
	int r = osc_addr_from_sa(res->ai_addr, res->ai_addrlen, a);
	freeaddrinfo(res);
	a->port = (unsigned)p;
	return r;
}

void osc_config_init(struct osc_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = "127.0.0.1";
	cfg->port = OSC_DEFAULT_PORT;
	cfg->feedback_port = OSC_DEFAULT_FEEDBACK_PORT;
}

static int osc_resolve_listen(const char *listen, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	char portstr[16];
	struct addrinfo hints = {0}, *res = NULL;
	snprintf(portstr, sizeof portstr, "%u", port);
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(listen ? listen : "127.0.0.1", portstr, &hints, &res) != 0 || !res)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int osc_config_check(const struct osc_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct osc_cidr c;
	struct osc_addr a;

	if (!cfg->no_socket && osc_resolve_listen(cfg->listen, cfg->port, &ss, &len) < 0) {
		snprintf(err, errlen, "--listen: '%s' is not an address of this host", cfg->listen);
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_allow; i++)
		if (osc_parse_cidr(cfg->allow[i], &c) < 0) {
			snprintf(err, errlen,
			         "--allow: '%s' is not an address or network (e.g. 192.168.1.0/24)",
			         cfg->allow[i]);
			return -1;
		}
	for (unsigned i = 0; i < cfg->n_feedback; i++) {
		if (osc_parse_hostport(cfg->feedback[i], &a) < 0) {
			snprintf(err, errlen, "--feedback: '%s' is not HOST:PORT (e.g. 192.168.1.20:9000)",
			         cfg->feedback[i]);
			return -1;
		}
		if (!cfg->no_socket && ss.ss_family == AF_INET && a.family != AF_INET) {
			snprintf(err, errlen, "--feedback: '%s' is IPv6 but --listen is IPv4",
			         cfg->feedback[i]);
			return -1;
		}
		/* an IPv6 socket reaches IPv4 hosts only when bound to "::" */
		if (!cfg->no_socket && ss.ss_family == AF_INET6 && a.family == AF_INET &&
		    !IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr)) {
			snprintf(err, errlen, "--feedback: '%s' is IPv4 but --listen is an IPv6 address",
			         cfg->feedback[i]);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* OSC encoding of what we send                                        */

static void mb_pad_str(struct osc_msgbuf *m, const char *s)
{
	size_t n = strlen(s) + 1, p = (n + 3) & ~(size_t)3;
	if (m->n + p > sizeof m->b) {
		m->bad = 1;
		return;
	}
	memcpy(m->b + m->n, s, n);
	memset(m->b + m->n + n, 0, p - n);
	m->n += p;
}

static void mb_begin(struct osc_msgbuf *m, const char *path, const char *types)
{
	char tt[16];
	m->n = 0;
	m->bad = 0;
	snprintf(tt, sizeof tt, ",%s", types);
	mb_pad_str(m, path);
	mb_pad_str(m, tt);
}

static void mb_u32(struct osc_msgbuf *m, uint32_t v)
{
	if (m->n + 4 > sizeof m->b) {
		m->bad = 1;
		return;
	}
	v = htonl(v);
	memcpy(m->b + m->n, &v, 4);
	m->n += 4;
}

static void mb_i(struct osc_msgbuf *m, int32_t v)
{
	mb_u32(m, (uint32_t)v);
}

static void mb_f(struct osc_msgbuf *m, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	mb_u32(m, u);
}

/* ------------------------------------------------------------------ */
/* Structural validation of incoming packets (before liblo sees them)  */

/* Length of a padded OSC string at p, or 0 if invalid. */
static size_t osc_valid_str(const unsigned char *p, size_t len)
{
	const unsigned char *z = memchr(p, 0, len);
	if (!z)
		return 0;
	size_t n = (size_t)(z - p) + 1, padded = (n + 3) & ~(size_t)3;
	if (padded > len)
		return 0;
	for (size_t i = n; i < padded; i++)
		if (p[i])
			return 0;
	return padded;
}

static uint32_t osc_rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return ntohl(v);
}

static int osc_valid_msg(const unsigned char *p, size_t len)
{
	size_t pos = osc_valid_str(p, len);
	if (!pos || p[0] != '/')
		return -1;
	if (pos == len)
		return -1; /* no type tag string: OSC 1.0 requires one, liblo too */
	size_t tl = osc_valid_str(p + pos, len - pos);
	if (!tl || p[pos] != ',')
		return -1;
	const unsigned char *t = p + pos + 1;
	pos += tl;
	for (; *t; t++) {
		size_t need = 0;
		switch (*t) {
		case 'i':
		case 'f':
		case 'c':
		case 'r':
		case 'm':
			need = 4;
			break;
		case 'h':
		case 'd':
		case 't':
			need = 8;
			break;
		case 's':
		case 'S': {
			size_t n = pos < len ? osc_valid_str(p + pos, len - pos) : 0;
			if (!n)
				return -1;
			pos += n;
			continue;
		}
		case 'b': {
			if (len - pos < 4)
				return -1;
			uint32_t n = osc_rd32(p + pos);
			if (n > len - pos - 4 || ((n + 3) & ~3u) > len - pos - 4)
				return -1;
			pos += 4 + ((n + 3) & ~3u);
			continue;
		}
		case 'T':
		case 'F':
		case 'N':
		case 'I':
			continue;
		default:
			return -1; /* arrays and unknown tags: not for us */
		}
		if (len - pos < need)
			return -1;
		pos += need;
	}
	return pos == len ? 0 : -1;
}

static int osc_valid_packet(const unsigned char *p, size_t len, int depth)
{
	if (len < 4 || len % 4)
		return -1;
	if (len >= 8 && memcmp(p, "#bundle", 8) == 0) {
		if (depth >= OSC_MAX_DEPTH || len < 16)
			return -1;
		size_t pos = 16;
		while (pos < len) {
			if (len - pos < 4)
				return -1;
			uint32_t n = osc_rd32(p + pos);
			pos += 4;
			if (n == 0 || n % 4 || n > len - pos)
				return -1;
			if (osc_valid_packet(p + pos, n, depth + 1) < 0)
				return -1;
			pos += n;
		}
		return 0;
	}
	return osc_valid_msg(p, len);
}

/* ------------------------------------------------------------------ */
/* Path patterns from the table                                        */

static uint32_t osc_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Template ("/ch/<n>/fader") -> key ("/ch/#/fader"). */
static void osc_template_key(const char *tmpl, char *key, size_t len)
{
	size_t k = 0;
	for (const char *s = tmpl; *s && k + 1 < len;) {
		if (s[0] == '<' && s[1] && s[2] == '>') {
			key[k++] = '#';
			s += 3;
		} else {
			key[k++] = *s++;
		}
	}
	key[k] = 0;
}

static int osc_route_add(struct osc *o, const char *key, enum osc_cmd cmd, unsigned id, unsigned form)
{
	uint32_t h = osc_hash(key);
	for (unsigned i = 0; i < OSC_ROUTES; i++) {
		struct osc_route *r = &o->routes[(h + i) & (OSC_ROUTES - 1)];
		if (!r->used) {
			r->used = 1;
			snprintf(r->key, sizeof r->key, "%s", key);
			r->cmd = cmd;
			r->id = (uint16_t)id;
			r->form = (uint8_t)form;
			return 0;
		}
		if (strcmp(r->key, key) == 0) {
			log_err("OSC: address %s is declared twice", key);
			return -1;
		}
	}
	return -1;
}

static const struct osc_route *osc_route_find(const struct osc *o, const char *key)
{
	uint32_t h = osc_hash(key);
	for (unsigned i = 0; i < OSC_ROUTES; i++) {
		const struct osc_route *r = &o->routes[(h + i) & (OSC_ROUTES - 1)];
		if (!r->used)
			return NULL;
		if (strcmp(r->key, key) == 0)
			return r;
	}
	return NULL;
}

/* Every address the namespace has, with its form; fn returns non-zero to
 * stop.  Shared by the router and --dump-osc so the two cannot differ. */
static void osc_for_each_address(void (*fn)(void *ctx, const char *tmpl, unsigned id, unsigned form),
                                 void *ctx)
{
	char buf[OSC_PATH_MAX];
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		fn(ctx, p->path, id, FORM_UNIT);
		if (p->npath && strcmp(p->npath, p->path) != 0)
			fn(ctx, p->npath, id, FORM_NORM);
		if (p->type == PT_BOOL) {
			snprintf(buf, sizeof buf, "%s/toggle", p->path);
			fn(ctx, buf, id, FORM_TOGGLE);
		}
		if (p->taper == TP_FADER && p->npath) {
			snprintf(buf, sizeof buf, "%s/text", p->npath);
			fn(ctx, buf, id, FORM_TEXT);
		}
		if (param_automatable((enum param_id)id)) {
			int n = (int)param_auto_base((enum param_id)id);
			snprintf(buf, sizeof buf, "%.*s/auto", n, p->path);
			fn(ctx, buf, id, FORM_AUTO);
			snprintf(buf, sizeof buf, "%.*s/touch", n, p->path);
			fn(ctx, buf, id, FORM_TOUCH);
			if (p->type == PT_FLOAT) {
				snprintf(buf, sizeof buf, "%.*s/stop", n, p->path);
				fn(ctx, buf, id, FORM_STOP);
			}
		}
	}
}

struct osc_route_ctx {
	struct osc *o;
	int failed;
};

static void osc_route_cb(void *ctx, const char *tmpl, unsigned id, unsigned form)
{
	struct osc_route_ctx *rc = ctx;
	char key[OSC_PATH_MAX];
	osc_template_key(tmpl, key, sizeof key);
	if (osc_route_add(rc->o, key, CMD_NONE, id, form) < 0)
		rc->failed = 1;
}

static int osc_build_routes(struct osc *o)
{
	struct osc_route_ctx rc = {o, 0};
	osc_for_each_address(osc_route_cb, &rc);
	for (unsigned i = 0; i < sizeof osc_commands / sizeof osc_commands[0]; i++)
		if (osc_route_add(o, osc_commands[i].path, osc_commands[i].cmd, 0, 0) < 0)
			rc.failed = 1;
	return rc.failed ? -1 : 0;
}

/* Instance -> concrete path. */
static void osc_format_path(const char *tmpl, unsigned id, unsigned i1, unsigned i2, char *out, size_t len)
{
	size_t k = 0;
	enum param_scope sc = param_table[id].scope;
	for (const char *s = tmpl; *s && k + 12 < len;) {
		if (s[0] == '<' && s[1] && s[2] == '>') {
			unsigned v = s[1] == 'n' ? i1 : s[1] == 'b' ? i2 : sc == SC_BUS ? i1 : i2;
			k += (size_t)snprintf(out + k, len - k, "%u", v + 1);
			s += 3;
		} else {
			out[k++] = *s++;
		}
	}
	out[k] = 0;
}

/* Concrete path -> route and zero-based indices, or an error reason. */
static const struct osc_route *osc_resolve(const struct osc *o, const char *path, unsigned *i1, unsigned *i2,
                                           const char **why)
{
	char key[OSC_PATH_MAX];
	unsigned num[3], nnum = 0;
	size_t k = 0;
	const char *s = path;

	*why = "unknown address";
	if (strlen(path) >= OSC_PATH_MAX)
		return NULL;
	while (*s) {
		if (*s != '/')
			return NULL;
		key[k++] = *s++;
		const char *seg = s;
		while (*s && *s != '/')
			s++;
		size_t n = (size_t)(s - seg);
		if (n == 0)
			return NULL;
		size_t d = 0;
		while (d < n && seg[d] >= '0' && seg[d] <= '9')
			d++;
		if (d == n) {
			unsigned long v = 0;
			for (size_t i = 0; i < n; i++) {
				v = v * 10 + (unsigned long)(seg[i] - '0');
				if (v > 1000000ul)
					v = 1000000ul; /* saturate: out of range anyway */
			}
			if (nnum == 3)
				return NULL;
			num[nnum++] = (unsigned)v;
			key[k++] = '#';
		} else {
			memcpy(key + k, seg, n);
			k += n;
		}
	}
	key[k] = 0;
	const struct osc_route *r = osc_route_find(o, key);
	if (!r)
		return NULL;
	*i1 = *i2 = 0;
	if (r->cmd != CMD_NONE)
		return r;
	/* map the numbers to indices in template order */
	const struct param_info *p = &param_table[r->id];
	unsigned j = 0;
	for (const char *t = p->path; *t; t++) {
		if (t[0] != '<' || !t[1] || t[2] != '>')
			continue;
		unsigned v = num[j++], max;
		unsigned *dst;
		if (t[1] == 'n') {
			dst = i1, max = o->shape.channels;
		} else if (t[1] == 'b') {
			dst = i2, max = JMX_BANDS;
		} else {
			dst = p->scope == SC_BUS ? i1 : i2;
			max = o->shape.buses;
		}
		if (v < 1 || v > max) {
			*why = "index out of range";
			return NULL;
		}
		*dst = v - 1;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

static void osc_send_sa(struct osc *o, const struct osc_msgbuf *m, const struct sockaddr *sa, socklen_t salen)
{
	if (m->bad)
		return;
	if (o->send_hook) {
		o->send_hook(o->send_ctx, m->b, m->n, sa, salen);
		o->st.sent++;
		return;
	}
	if (o->fd < 0)
		return;
	if (sendto(o->fd, m->b, m->n, MSG_DONTWAIT | MSG_NOSIGNAL, sa, salen) < 0)
		o->st.send_failed++;
	else
		o->st.sent++;
}

static void osc_reply(struct osc *o, const struct osc_msgbuf *m)
{
	osc_send_sa(o, m, o->cur.sa, o->cur.salen);
}

static void osc_send_target(struct osc *o, struct osc_target *t, const struct osc_msgbuf *m)
{
	osc_send_sa(o, m, (const struct sockaddr *)&t->sa, t->salen);
}

static int osc_errlog_first(struct osc *o, const char *path)
{
	uint64_t h = 1469598103934665603ull;
	const unsigned char *b = o->cur.addr.ip;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	h = (h ^ o->cur.addr.port) * 1099511628211ull;
	for (const char *s = path; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	if (!h)
		h = 1;
	unsigned slot = (unsigned)(h & (OSC_ERRLOG_SLOTS - 1));
	for (unsigned i = 0; i < OSC_ERRLOG_SLOTS; i++) {
		uint64_t *e = &o->errlog[(slot + i) & (OSC_ERRLOG_SLOTS - 1)];
		if (*e == h)
			return 0;
		if (!*e) {
			if (o->errlog_n >= OSC_ERRLOG_SLOTS * 3 / 4) {
				if (!o->errlog_full_said) {
					o->errlog_full_said = 1;
					log_warn("OSC: many bad messages; not logging new ones for a while");
				}
				return 0;
			}
			*e = h;
			o->errlog_n++;
			return 1;
		}
	}
	return 0;
}

static void osc_error(struct osc *o, const char *path, const char *reason)
{
	struct osc_msgbuf m;
	char who[64], shown[OSC_PATH_MAX];
	o->st.errors++;
	mb_begin(&m, "/error", "ss");
	/* the path goes back as received, cut to fit */
	snprintf(shown, sizeof shown, "%s", path);
	mb_pad_str(&m, shown);
	mb_pad_str(&m, reason);
	osc_reply(o, &m);
	if (osc_errlog_first(o, shown)) {
		/* the path is untrusted: show printable ASCII only */
		for (char *s = shown; *s; s++)
			if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
				*s = '?';
		log_warn("OSC: %s %s: %s", osc_addr_str(&o->cur.addr, who, sizeof who), shown, reason);
	}
}

/* ------------------------------------------------------------------ */
/* Values in their OSC forms                                           */

static unsigned osc_flat(const struct osc *o, unsigned id, unsigned i1, unsigned i2)
{
	return o->off[id] + i1 * o->n2[id] + i2;
}

static void osc_unflat(const struct osc *o, unsigned flat, unsigned *id, unsigned *i1, unsigned *i2)
{
	unsigned lo = 0, hi = P_COUNT - 1;
	while (lo < hi) { /* last id with off[id] <= flat: never an empty one */
		unsigned mid = (lo + hi + 1) / 2;
		if (o->off[mid] <= flat)
			lo = mid;
		else
			hi = mid - 1;
	}
	unsigned rel = flat - o->off[lo];
	*id = lo;
	*i1 = rel / o->n2[lo];
	*i2 = rel % o->n2[lo];
}

static void osc_db_text(float db, char *out, size_t len)
{
	if (db <= JMX_DB_OFF)
		snprintf(out, len, "-inf dB");
	else if (fabsf(db) < 0.05f)
		snprintf(out, len, "0.0 dB");
	else
		snprintf(out, len, "%+.1f dB", (double)db);
}

/* The forms an instance is fed back in. */
static unsigned osc_forms(unsigned id)
{
	const struct param_info *p = &param_table[id];
	unsigned f = FORM_UNIT;
	if (p->type == PT_METER)
		return 0;
	if (p->type == PT_FLOAT) {
		if (p->npath && strcmp(p->npath, p->path) != 0)
			f |= FORM_NORM;
		if (p->taper == TP_FADER && p->npath)
			f |= FORM_TEXT;
	}
	return f;
}

/* Encode one form of one instance's current value.  Returns 0 or -1. */
static int osc_encode_value(struct osc *o, unsigned id, unsigned i1, unsigned i2, unsigned form,
                            struct osc_msgbuf *m)
{
	const struct param_info *p = &param_table[id];
	char path[OSC_PATH_MAX], tmpl[OSC_PATH_MAX];
	if (p->type == PT_METER)
		return -1;
	if (p->type == PT_STRING) {
		const char *s = model_get_string(o->model, (enum param_id)id, i1);
		osc_format_path(p->path, id, i1, i2, path, sizeof path);
		mb_begin(m, path, "s");
		mb_pad_str(m, s ? s : "");
		return 0;
	}
	float v = model_get(o->model, (enum param_id)id, i1, i2);
	if (o->autom.value)
		v = o->autom.value(o->autom.ctx, (enum param_id)id, i1, i2, v);
	switch (form) {
	case FORM_UNIT:
		osc_format_path(p->path, id, i1, i2, path, sizeof path);
		if (p->type == PT_FLOAT) {
			mb_begin(m, path, "f");
			mb_f(m, v);
		} else {
			mb_begin(m, path, "i");
			mb_i(m, (int32_t)v);
		}
		return 0;
	case FORM_NORM:
		osc_format_path(p->npath, id, i1, i2, path, sizeof path);
		mb_begin(m, path, "f");
		mb_f(m, param_to_norm((enum param_id)id, v));
		return 0;
	case FORM_TEXT: {
		char text[32];
		snprintf(tmpl, sizeof tmpl, "%s/text", p->npath);
		osc_format_path(tmpl, id, i1, i2, path, sizeof path);
		osc_db_text(v, text, sizeof text);
		mb_begin(m, path, "s");
		mb_pad_str(m, text);
		return 0;
	}
	default:
		return -1;
	}
}

/* Path of message m (its first string). */
static const char *mb_path(const struct osc_msgbuf *m)
{
	return (const char *)m->b;
}

static int osc_prefix_match(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);
	if (n == 0 || (n == 1 && prefix[0] == '/'))
		return 1;
	return strncmp(prefix, path, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* ------------------------------------------------------------------ */
/* Feedback targets                                                    */

static void osc_target_free(struct osc *o, unsigned ti)
{
	struct osc_target *t = &o->target[ti];
	uint64_t bit = 1ull << ti;
	/* a reused slot must not inherit echo suppression */
	for (unsigned k = 0; k < o->fifo_len; k++)
		o->fb_excl[o->fifo[(o->fifo_head + k) % o->total]] &= ~bit;
	memset(t, 0, sizeof *t);
}

static struct osc_target *osc_target_new(struct osc *o, enum osc_tkind kind, const struct osc_addr *to)
{
	unsigned dumps = 0;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		dumps += o->target[i].kind == T_DUMP;
	if (kind == T_DUMP && dumps >= OSC_MAX_DUMPS)
		return NULL;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (t->kind != T_FREE)
			continue;
		memset(t, 0, sizeof *t);
		if (osc_addr_to_sa(to, o->family, &t->sa, &t->salen) < 0)
			return NULL;
		t->kind = kind;
		t->to = *to;
		return t;
	}
	return NULL;
}

static void osc_target_burst(struct osc_target *t)
{
	t->bursting = 1;
	t->cursor = 0;
	t->count = 0;
}

/* Bookkeeping for every datagram of an allowed sender: renew leases,
 * auto-register, and work out which targets are the sender itself. */
static void osc_touch_sender(struct osc *o, uint64_t now)
{
	const struct osc_addr *src = &o->cur.addr;
	int have_auto = 0;
	char who[64];

	o->cur.excl = 0;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		switch (t->kind) {
		case T_SUB:
			if (osc_same_addr(&t->owner, src)) {
				t->expires = now + t->lease_ms;
				o->cur.excl |= 1ull << i;
			}
			break;
		case T_AUTO:
			if (osc_same_ip(&t->to, src)) {
				have_auto = 1;
				t->owner = *src;
				t->expires = now + OSC_AUTO_IDLE_MS;
				o->cur.excl |= 1ull << i;
			}
			break;
		case T_FIXED:
			if (osc_same_addr(&t->to, src))
				o->cur.excl |= 1ull << i;
			break;
		default:
			break;
		}
	}
	if (have_auto || !o->feedback_port)
		return;
	struct osc_addr to = *src;
	to.port = o->feedback_port;
	struct osc_target *t = osc_target_new(o, T_AUTO, &to);
	if (!t) {
		log_debug("OSC: no room to auto-register %s", osc_addr_str(&to, who, sizeof who));
		return;
	}
	t->flags = TF_VALUES;
	t->owner = *src;
	t->expires = now + OSC_AUTO_IDLE_MS;
	osc_target_burst(t);
	o->cur.excl |= 1ull << (unsigned)(t - o->target);
	log_info("OSC: feedback to %s (auto-registered)", osc_addr_str(&to, who, sizeof who));
}

/* ------------------------------------------------------------------ */
/* Model listener                                                      */

static void osc_fifo_push(struct osc *o, unsigned flat)
{
	o->fifo[(o->fifo_head + o->fifo_len) % o->total] = flat;
	o->fifo_len++;
}

static unsigned osc_fifo_pop(struct osc *o)
{
	unsigned flat = o->fifo[o->fifo_head];
	o->fifo_head = (o->fifo_head + 1) % o->total;
	o->fifo_len--;
	return flat;
}

static void osc_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                          int clamped)
{
	struct osc *o = ctx;
	if (param_table[id].type == PT_METER)
		return;
	unsigned flat = osc_flat(o, id, i1, i2);
	if (origin == (const void *)o && o->cur.active && !clamped && !o->cur.force_clamp && o->cur.form) {
		o->fb_excl[flat] = o->cur.excl;
		o->fb_form[flat] = (uint8_t)o->cur.form;
	} else {
		o->fb_excl[flat] = 0;
		o->fb_form[flat] = 0;
	}
	if (!o->fb_inlist[flat]) {
		o->fb_inlist[flat] = 1;
		osc_fifo_push(o, flat);
	}
}

/* ------------------------------------------------------------------ */
/* Message handling                                                    */

/* liblo's argument pointers are only 4-byte aligned: read through memcpy,
 * never through the 8-byte-aligned union. */
static int osc_arg_number(char type, const void *a, double *v)
{
	float f;
	int32_t i;
	double d;
	int64_t h;
	switch (type) {
	case 'f':
		memcpy(&f, a, sizeof f);
		*v = f;
		return 0;
	case 'i':
		memcpy(&i, a, sizeof i);
		*v = i;
		return 0;
	case 'd':
		memcpy(&d, a, sizeof d);
		*v = d;
		return 0;
	case 'h':
		memcpy(&h, a, sizeof h);
		*v = (double)h;
		return 0;
	case 'T':
		*v = 1;
		return 0;
	case 'F':
		*v = 0;
		return 0;
	default:
		return -1;
	}
}

static void osc_query(struct osc *o, const struct osc_route *r, unsigned i1, unsigned i2)
{
	const struct param_info *p = &param_table[r->id];
	struct osc_msgbuf m;
	char path[OSC_PATH_MAX];

	if (p->type == PT_METER) {
		float v[2] = {p->min, p->min};
		int n = 1;
		unsigned idx = p->scope == SC_GLOBAL ? 0 : i1;
		if (o->host.meter_take)
			n = o->host.meter_take(o->host.ctx, (enum param_id)r->id, idx, v);
		for (int k = 0; k < 2; k++)
			if (!isfinite(v[k]))
				v[k] = p->min;
		if (r->form == FORM_NORM) {
			osc_format_path(p->npath, r->id, i1, i2, path, sizeof path);
			mb_begin(&m, path, "f");
			mb_f(&m, dsp_db_to_fader(v[0]));
		} else {
			osc_format_path(p->path, r->id, i1, i2, path, sizeof path);
			mb_begin(&m, path, n >= 2 ? "ff" : "f");
			mb_f(&m, v[0]);
			if (n >= 2)
				mb_f(&m, v[1]);
		}
		osc_reply(o, &m);
		return;
	}
	unsigned form = r->form == FORM_TOGGLE ? FORM_UNIT : r->form;
	if (osc_encode_value(o, r->id, i1, i2, form, &m) == 0)
		osc_reply(o, &m);
}

static int osc_enum_lookup(const char *names, const char *s, float *v)
{
	unsigned idx = 0;
	size_t n = strlen(s);
	for (const char *w = names; *w; idx++) {
		const char *e = strchr(w, ' ');
		size_t len = e ? (size_t)(e - w) : strlen(w);
		if (len == n && strncmp(w, s, n) == 0) {
			*v = (float)idx;
			return 0;
		}
		if (!e)
			break;
		w = e + 1;
	}
	return -1;
}

static void osc_set(struct osc *o, const char *path, const struct osc_route *r, unsigned i1, unsigned i2,
                    const char *types, lo_arg **argv, int argc)
{
	const struct param_info *p = &param_table[r->id];
	enum param_id id = (enum param_id)r->id;
	double d, ramp_ms = -1;
	float v;

	if (p->type == PT_METER || r->form == FORM_TEXT) {
		osc_error(o, path, "read-only");
		return;
	}
	if (argc == 2 && p->type == PT_FLOAT && (r->form == FORM_UNIT || r->form == FORM_NORM)) {
		/* a timed move: value, then the time in milliseconds */
		if (types[1] == 'T' || types[1] == 'F' ||
		    osc_arg_number(types[1], (const void *)argv[1], &ramp_ms) < 0) {
			osc_error(o, path, "expected one argument, or a value and a ramp time in ms");
			return;
		}
		if (!isfinite(ramp_ms) || ramp_ms < 0 || ramp_ms > OSC_MAX_RAMP_MS) {
			osc_error(o, path, "expected one argument, or a value and a ramp time of 0..3600000 ms");
			return;
		}
		if (!o->autom.ramp) {
			osc_error(o, path, "expected one argument (timed moves are not available)");
			return;
		}
		argc = 1;
	}
	if (r->form == FORM_TOGGLE && argc == 0) {
		d = 1; /* a bare toggle flips */
	} else if (argc != 1) {
		osc_error(o, path, "expected one argument");
		return;
	} else if (p->type == PT_STRING) {
		if (types[0] != 's' && types[0] != 'S') {
			osc_error(o, path, "expected a string");
			return;
		}
		o->cur.form = FORM_UNIT;
		if (model_set_string(o->model, id, i1, (const char *)argv[0], o) != MODEL_OK)
			osc_error(o, path, "bad name: printable text, at most 63 bytes");
		else
			o->st.applied++;
		return;
	} else if (p->type == PT_ENUM && (types[0] == 's' || types[0] == 'S')) {
		if (osc_enum_lookup(p->enums, (const char *)argv[0], &v) < 0) {
			osc_error(o, path, "unknown name");
			return;
		}
		d = v;
	} else if (osc_arg_number(types[0], (const void *)argv[0], &d) < 0) {
		osc_error(o, path, "expected a number");
		return;
	} else if ((types[0] == 'T' || types[0] == 'F') && p->type != PT_BOOL) {
		osc_error(o, path, "expected a number");
		return;
	}
	if (!isfinite(d)) {
		osc_error(o, path, "not a finite number");
		return;
	}
	if (r->form == FORM_TOGGLE) {
		if (d <= 0)
			return; /* a momentary button's release */
		v = model_get(o->model, id, i1, i2) >= 0.5f ? 0.0f : 1.0f;
		o->cur.form = 0; /* the sender needs to see the new state */
	} else if (r->form == FORM_NORM) {
		o->cur.force_clamp = d < 0.0 || d > 1.0;
		v = param_from_norm(id, (float)d);
		o->cur.form = FORM_NORM;
	} else {
		/* keep doubles beyond float range finite so the model clamps them */
		if (d > 3e38)
			d = 3e38;
		if (d < -3e38)
			d = -3e38;
		v = (float)d;
		o->cur.form = FORM_UNIT;
	}
	enum model_result res = ramp_ms >= 0 ? o->autom.ramp(o->autom.ctx, id, i1, i2, v, (float)ramp_ms, o)
	                                     : model_set(o->model, id, i1, i2, v, o);
	o->cur.force_clamp = 0;
	if (res < 0)
		osc_error(o, path, "rejected");
	else
		o->st.applied++;
}

static int osc_parse_what(const char *what, unsigned *flags, char *prefix, size_t plen, const char **why)
{
	char buf[256];
	*flags = 0;
	prefix[0] = 0;
	if (strlen(what) >= sizeof buf) {
		*why = "subscription too long";
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", what);
	for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "values") == 0)
			*flags |= TF_VALUES;
		else if (strcmp(tok, "meters") == 0)
			*flags |= TF_METERS;
		else if (strcmp(tok, "all") == 0)
			*flags |= TF_VALUES | TF_METERS;
		else if (tok[0] == '/' && strlen(tok) < plen && !prefix[0]) {
			size_t n = strlen(tok);
			while (n > 1 && tok[n - 1] == '/')
				tok[--n] = 0;
			snprintf(prefix, plen, "%s", tok);
		} else {
			*why = "subscribe: what is values, meters, all and/or one /prefix";
			return -1;
		}
	}
	if (!*flags)
		*flags = TF_VALUES;
	return 0;
}

static void osc_cmd_subscribe(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	double num[2];
	unsigned nnum = 0, flags;
	const char *what = "values", *why;
	char prefix[OSC_PREFIX_MAX], who[64];

	for (int k = 0; k < argc; k++) {
		if ((types[k] == 's' || types[k] == 'S') && k == argc - 1) {
			what = (const char *)argv[k];
		} else if (types[k] != 'T' && types[k] != 'F' && nnum < 2 &&
		           osc_arg_number(types[k], (const void *)argv[k], &num[nnum]) == 0 &&
		           isfinite(num[nnum])) {
			nnum++;
		} else {
			osc_error(o, path, "usage: /subscribe [i:port] [i:lease_s] [s:what]");
			return;
		}
	}
	if (osc_parse_what(what, &flags, prefix, sizeof prefix, &why) < 0) {
		osc_error(o, path, why);
		return;
	}
	unsigned port = o->cur.addr.port;
	if (nnum > 0 && num[0] != 0) {
		if (num[0] < 1 || num[0] > 65535 || num[0] != floor(num[0])) {
			osc_error(o, path, "port out of range");
			return;
		}
		port = (unsigned)num[0];
	}
	double lease = nnum > 1 ? num[1] : OSC_LEASE_DEFAULT_S;
	if (lease < 1)
		lease = 1;
	if (lease > OSC_LEASE_MAX_S)
		lease = OSC_LEASE_MAX_S;

	struct osc_addr to = o->cur.addr;
	to.port = port;
	struct osc_target *t = NULL;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		if (o->target[i].kind == T_SUB && osc_same_addr(&o->target[i].owner, &o->cur.addr) &&
		    osc_same_addr(&o->target[i].to, &to))
			t = &o->target[i];
	int fresh = !t;
	if (!t) {
		t = osc_target_new(o, T_SUB, &to);
		if (!t) {
			osc_error(o, path, "too many feedback clients");
			return;
		}
		t->owner = o->cur.addr;
		o->cur.excl |= 1ull << (unsigned)(t - o->target);
		log_info("OSC: %s subscribed (%s, %.0f s)", osc_addr_str(&to, who, sizeof who), what, lease);
	}
	int changed = fresh || t->flags != flags || strcmp(t->prefix, prefix) != 0;
	t->flags = flags;
	snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
	t->lease_ms = (unsigned)(lease * 1000.0);
	t->expires = o->cur.now + t->lease_ms;
	if (changed && (flags & TF_VALUES))
		osc_target_burst(t);
}

static void osc_cmd_unsubscribe(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	double port = 0;
	if (argc > 1 ||
	    (argc == 1 && (osc_arg_number(types[0], (const void *)argv[0], &port) < 0 || !isfinite(port)))) {
		osc_error(o, path, "usage: /unsubscribe [i:port]");
		return;
	}
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (t->kind == T_SUB && osc_same_addr(&t->owner, &o->cur.addr) &&
		    (port == 0 || t->to.port == port))
			osc_target_free(o, i);
	}
}

static void osc_cmd_dump(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	const char *prefix = "";
	if (argc > 1 || (argc == 1 && types[0] != 's' && types[0] != 'S')) {
		osc_error(o, path, "usage: /dump [s:prefix]");
		return;
	}
	if (argc == 1)
		prefix = (const char *)argv[0];
	if (strlen(prefix) >= OSC_PREFIX_MAX || (prefix[0] && prefix[0] != '/')) {
		osc_error(o, path, "bad prefix");
		return;
	}
	struct osc_target *t = osc_target_new(o, T_DUMP, &o->cur.addr);
	if (!t) {
		osc_error(o, path, "busy: too many dumps running");
		return;
	}
	snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
	t->owner = o->cur.addr;
	t->expires = o->cur.now + OSC_DUMP_TIMEOUT_MS;
	osc_target_burst(t);
}

static void osc_cmd_meters(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	double on;
	if (argc != 1 || osc_arg_number(types[0], (const void *)argv[0], &on) < 0 || !isfinite(on)) {
		osc_error(o, path, "usage: /meters i:on");
		return;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (!(o->cur.excl & (1ull << i)) || t->kind == T_DUMP || t->kind == T_FREE)
			continue;
		if (on > 0)
			t->flags |= TF_METERS;
		else
			t->flags &= ~(unsigned)TF_METERS;
		n++;
	}
	if (!n)
		osc_error(o, path, "no feedback client for this sender (subscribe first)");
}

/* A command of another module: convert the arguments and call it. */
static void osc_cmd_ext(struct osc *o, const char *path, const char *types, lo_arg **argv, int argc)
{
	struct osc_arg a[OSC_MAX_EXT_ARGS];
	unsigned i;
	for (i = 0; i < o->n_ext; i++)
		if (!strcmp(o->ext[i].path, path))
			break;
	if (i == o->n_ext) {
		osc_error(o, path, "not available");
		return;
	}
	if (argc > OSC_MAX_EXT_ARGS) {
		osc_error(o, path, "too many arguments");
		return;
	}
	for (int k = 0; k < argc; k++) {
		a[k].type = types[k];
		a[k].num = NAN;
		a[k].str = NULL;
		switch (types[k]) {
		case 's':
		case 'S':
			a[k].str = (const char *)argv[k]; /* not &argv[k]->s: only 4-byte aligned */
			break;
		case 'T':
		case 'F':
			a[k].num = types[k] == 'T';
			break;
		default:
			if (osc_arg_number(types[k], (const void *)argv[k], &a[k].num) < 0) {
				osc_error(o, path, "unsupported argument type");
				return;
			}
		}
	}
	o->ext[i].fn(o->ext[i].ctx, o, path, a, argc);
}

int osc_add_command(struct osc *o, const char *path, osc_command_fn fn, void *ctx)
{
	for (unsigned i = 0; i < sizeof osc_commands / sizeof osc_commands[0]; i++)
		if (osc_commands[i].cmd == CMD_EXT && !strcmp(osc_commands[i].path, path) &&
		    o->n_ext < OSC_MAX_EXT) {
			o->ext[o->n_ext].path = osc_commands[i].path;
			o->ext[o->n_ext].fn = fn;
			o->ext[o->n_ext].ctx = ctx;
			o->n_ext++;
			return 0;
		}
	return -1;
}

void osc_reply_error(struct osc *o, const char *path, const char *reason)
{
	if (o->cur.active)
		osc_error(o, path, reason);
}

void osc_reply_raw(struct osc *o, const void *buf, size_t len)
{
	if (!o->cur.active)
		return;
	if (o->send_hook) {
		o->send_hook(o->send_ctx, buf, len, o->cur.sa, o->cur.salen);
		o->st.sent++;
	} else if (o->fd >= 0) {
		if (sendto(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, o->cur.sa, o->cur.salen) < 0)
			o->st.send_failed++;
		else
			o->st.sent++;
	}
}

void osc_broadcast_raw(struct osc *o, const char *path, const void *buf, size_t len)
{
	for (unsigned ti = 0; ti < OSC_MAX_TARGETS; ti++) {
		struct osc_target *t = &o->target[ti];
		if (t->kind == T_FREE || t->kind == T_DUMP || !(t->flags & TF_VALUES) ||
		    !osc_prefix_match(t->prefix, path))
			continue;
		if (o->send_hook) {
			o->send_hook(o->send_ctx, buf, len, (const struct sockaddr *)&t->sa, t->salen);
			o->st.sent++;
		} else if (o->fd >= 0) {
			if (sendto(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
			           (const struct sockaddr *)&t->sa, t->salen) < 0)
				o->st.send_failed++;
			else
				o->st.sent++;
		}
	}
}

static void osc_command(struct osc *o, const char *path, enum osc_cmd cmd, const char *types, lo_arg **argv,
                        int argc)
{
	struct osc_msgbuf m;
	switch (cmd) {
	case CMD_PING:
		mb_begin(&m, "/pong", "");
		osc_reply(o, &m);
		break;
	case CMD_INFO:
		mb_begin(&m, "/info", "ssiiii");
		mb_pad_str(&m, o->host.name ? o->host.name : "jackmixd");
		mb_pad_str(&m, o->host.version ? o->host.version : "");
		mb_i(&m, (int32_t)o->shape.channels);
		mb_i(&m, (int32_t)o->shape.buses);
		mb_i(&m, o->host.rate ? (int32_t)o->host.rate(o->host.ctx) : 0);
		mb_i(&m, o->host.period ? (int32_t)o->host.period(o->host.ctx) : 0);
		osc_reply(o, &m);
		break;
	case CMD_STATS:
		mb_begin(&m, "/stats", "iiiiiiii");
		mb_i(&m, (int32_t)o->st.datagrams);
		mb_i(&m, (int32_t)o->st.denied);
		mb_i(&m, (int32_t)o->st.malformed);
		mb_i(&m, (int32_t)o->st.messages);
		mb_i(&m, (int32_t)o->st.applied);
		mb_i(&m, (int32_t)o->st.errors);
		mb_i(&m, (int32_t)o->st.sent);
		mb_i(&m, (int32_t)o->st.send_failed);
		osc_reply(o, &m);
		break;
	case CMD_DUMP:
		osc_cmd_dump(o, path, types, argv, argc);
		break;
	case CMD_SUBSCRIBE:
		osc_cmd_subscribe(o, path, types, argv, argc);
		break;
	case CMD_UNSUBSCRIBE:
		osc_cmd_unsubscribe(o, path, types, argv, argc);
		break;
	case CMD_METERS:
		osc_cmd_meters(o, path, types, argv, argc);
		break;
	case CMD_EXT:
		osc_cmd_ext(o, path, types, argv, argc);
		break;
	case CMD_NONE:
		break;
	}
}

void osc_set_automation(struct osc *o, const struct osc_automation *hooks)
{
	if (hooks)
		o->autom = *hooks;
	else
		memset(&o->autom, 0, sizeof o->autom);
}

void osc_value_changed(struct osc *o, enum param_id id, unsigned i1, unsigned i2)
{
	if ((unsigned)id < P_COUNT && i1 < o->n1[id] && i2 < o->n2[id])
		osc_on_change(o, id, i1, i2, NULL, 0); /* no echo suppression */
}

/* <base>/auto, /touch, /stop: arguments converted, then automation.c. */
static void osc_automation_cmd(struct osc *o, const char *path, const struct osc_route *r, unsigned i1,
                               unsigned i2, const char *types, lo_arg **argv, int argc)
{
	struct osc_arg a[2];
	if (!o->autom.command) {
		osc_error(o, path, "not available");
		return;
	}
	if (argc > 2) {
		osc_error(o, path, "too many arguments");
		return;
	}
	for (int k = 0; k < argc; k++) {
		a[k].type = types[k];
		a[k].num = NAN;
		a[k].str = NULL;
		if (types[k] == 's' || types[k] == 'S')
			a[k].str = (const char *)argv[k];
		else if (osc_arg_number(types[k], (const void *)argv[k], &a[k].num) < 0) {
			osc_error(o, path, "unsupported argument type");
			return;
		}
	}
	enum osc_param_cmd c = r->form == FORM_AUTO ? OSC_PARAM_AUTO : r->form == FORM_TOUCH ? OSC_PARAM_TOUCH
	                                                                                       : OSC_PARAM_STOP;
	o->autom.command(o->autom.ctx, o, path, c, (enum param_id)r->id, i1, i2, a, argc);
}

/* The one liblo method: every message of every datagram lands here. */
static int osc_handle(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *ud)
{
	struct osc *o = ud;
	unsigned i1, i2;
	const char *why;
	(void)msg;

	o->st.messages++;
	if (!o->cur.active)
		return 0; /* only ever dispatched from osc_dispatch */
	o->cur.form = 0;
	o->cur.force_clamp = 0;
	if (strpbrk(path, "*?[]{}, #")) {
		osc_error(o, path, "address patterns are not supported");
		return 0;
	}
	const struct osc_route *r = osc_resolve(o, path, &i1, &i2, &why);
	if (!r) {
		osc_error(o, path, why);
		return 0;
	}
	if (r->cmd != CMD_NONE)
		osc_command(o, path, r->cmd, types, argv, argc);
	else if (r->form & FORM_AUTOMATION)
		osc_automation_cmd(o, path, r, i1, i2, types, argv, argc);
	else if (argc == 0 && r->form != FORM_TOGGLE)
		osc_query(o, r, i1, i2);
	else
		osc_set(o, path, r, i1, i2, types, argv, argc);
	return 0;
}

static void osc_lo_error(int num, const char *msg, const char *where)
{
	/* only reachable if liblo rejects what our validator accepted */
	log_debug("OSC: liblo error %d: %s (%s)", num, msg ? msg : "", where ? where : "");
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

static int osc_allowed(const struct osc *o, const struct osc_addr *a)
{
	if (osc_is_loopback(a))
		return 1;
	for (unsigned i = 0; i < o->n_allow; i++)
		if (osc_cidr_match(&o->allow[i], a))
			return 1;
	return 0;
}

static void osc_note_denied(struct osc *o, const struct osc_addr *a)
{
	char who[64];
	for (unsigned i = 0; i < o->denylog_n; i++)
		if (osc_same_ip(&o->denylog[i], a))
			return;
	if (o->denylog_n < OSC_DENYLOG_SLOTS) {
		o->denylog[o->denylog_n++] = *a;
		log_warn(
		    "OSC: ignoring %s: not loopback and not in --allow (further packets counted, not logged)",
		    osc_addr_str(a, who, sizeof who));
	}
}

int osc_dispatch(struct osc *o, void *buf, size_t len, const struct sockaddr *from, socklen_t fromlen,
                 uint64_t now)
{
	struct osc_addr src;
	o->st.datagrams++;
	if (osc_addr_from_sa(from, fromlen, &src) < 0 || !osc_allowed(o, &src)) {
		o->st.denied++;
		if (src.family)
			osc_note_denied(o, &src);
		return -1;
	}
	o->cur.sa = from;
	o->cur.salen = fromlen;
	o->cur.addr = src;
	o->cur.now = now;
	osc_touch_sender(o, now);
	if (osc_valid_packet(buf, len, 0) < 0) {
		o->st.malformed++;
		const unsigned char *p = buf;
		size_t sl = len ? osc_valid_str(p, len) : 0;
		if (sl && p[0] == '/')
			osc_error(o, (const char *)p, "malformed message");
		else
			osc_error(o, len >= 8 && memcmp(p, "#bundle", 8) == 0 ? "#bundle" : "?",
			          "malformed packet");
		return -1;
	}
	o->cur.active = 1;
	int r = lo_server_dispatch_data(o->lo, buf, len);
	o->cur.active = 0;
	/* one datagram, one batch: a bundle lands in one audio period */
	model_commit(o->model);
	if (r < 0) {
		o->st.malformed++;
		return -1;
	}
	return 0;
}

static void osc_on_readable(void *ctx, int fd, short revents)
{
	struct osc *o = ctx;
	(void)revents;
	for (unsigned round = 0; round < OSC_RECV_ROUNDS; round++) {
		for (unsigned i = 0; i < OSC_RECV_BATCH; i++) {
			o->mmsg[i].msg_hdr.msg_namelen = sizeof o->rxaddr[i];
			o->mmsg[i].msg_hdr.msg_flags = 0;
		}
		int n = recvmmsg(fd, o->mmsg, OSC_RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("OSC: recvmmsg: %s", strerror(errno));
			return;
		}
		uint64_t now = control_now_ms();
		for (int i = 0; i < n; i++) {
			if (o->mmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				o->st.datagrams++;
				o->st.malformed++;
				continue;
			}
			osc_dispatch(o, o->rxbuf[i], o->mmsg[i].msg_len, (struct sockaddr *)&o->rxaddr[i],
			             o->mmsg[i].msg_hdr.msg_namelen, now);
		}
		if ((unsigned)n < OSC_RECV_BATCH)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* Feedback and meters                                                 */

/* Send the feedback forms of one instance to every value client; returns
 * the number of messages a client got at most. */
static unsigned osc_fanout(struct osc *o, unsigned flat)
{
	unsigned id, i1, i2, nm = 0;
	struct osc_msgbuf m[3];
	unsigned form_of[3];
	osc_unflat(o, flat, &id, &i1, &i2);
	unsigned forms = osc_forms(id);
	for (unsigned f = FORM_UNIT; f <= FORM_TEXT; f <<= 1)
		if ((forms & f) && osc_encode_value(o, id, i1, i2, f, &m[nm]) == 0)
			form_of[nm++] = f;
	for (unsigned ti = 0; ti < OSC_MAX_TARGETS; ti++) {
		struct osc_target *t = &o->target[ti];
		if (t->kind == T_FREE || t->kind == T_DUMP || !(t->flags & TF_VALUES))
			continue;
		unsigned skip = (o->fb_excl[flat] & (1ull << ti)) ? o->fb_form[flat] : 0;
		for (unsigned k = 0; k < nm; k++)
			if (!(form_of[k] & skip) && osc_prefix_match(t->prefix, mb_path(&m[k])))
				osc_send_target(o, t, &m[k]);
	}
	return nm;
}

/* Continue a client's state burst within budget messages. */
static void osc_burst(struct osc *o, unsigned ti, unsigned budget)
{
	struct osc_target *t = &o->target[ti];
	unsigned used = 0;
	while (t->cursor < o->total && used + 3 <= budget) {
		unsigned id, i1, i2;
		osc_unflat(o, t->cursor, &id, &i1, &i2);
		unsigned forms = osc_forms(id);
		for (unsigned f = FORM_UNIT; f <= FORM_TEXT; f <<= 1) {
			struct osc_msgbuf m;
			if ((forms & f) && osc_encode_value(o, id, i1, i2, f, &m) == 0 &&
			    osc_prefix_match(t->prefix, mb_path(&m))) {
				osc_send_target(o, t, &m);
				used++;
				t->count++;
			}
		}
		t->cursor++;
	}
	if (t->cursor < o->total)
		return;
	t->bursting = 0;
	if (t->kind == T_DUMP) {
		struct osc_msgbuf m;
		mb_begin(&m, "/dump/done", "i");
		mb_i(&m, (int32_t)t->count);
		osc_send_target(o, t, &m);
		osc_target_free(o, ti);
	}
}

void osc_tick(struct osc *o, uint64_t now)
{
	char who[64];

	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++) {
		struct osc_target *t = &o->target[i];
		if (t->kind == T_FREE || !t->expires || now < t->expires)
			continue;
		if (t->kind != T_DUMP)
			log_info("OSC: feedback to %s ended (%s expired)",
			         osc_addr_str(&t->to, who, sizeof who),
			         t->kind == T_SUB ? "lease" : "idle time");
		osc_target_free(o, i);
	}
	if (now >= o->errlog_reset + OSC_ERRLOG_RESET_MS) {
		memset(o->errlog, 0, sizeof o->errlog);
		o->errlog_n = 0;
		o->errlog_full_said = 0;
		o->errlog_reset = now;
	}

	/* live changes: coalesced per instance, paced per tick */
	unsigned used = 0, n = o->fifo_len;
	for (unsigned k = 0; k < n && used + 3 <= OSC_FB_TICK_MSGS - OSC_FB_BURST_MIN; k++) {
		unsigned flat = osc_fifo_pop(o);
		if (o->fb_last[flat] && now < o->fb_last[flat] + OSC_FB_INTERVAL_MS) {
			osc_fifo_push(o, flat);
			continue;
		}
		o->fb_inlist[flat] = 0;
		o->fb_last[flat] = now;
		used += osc_fanout(o, flat);
	}
	unsigned left = OSC_FB_TICK_MSGS - used; /* >= OSC_FB_BURST_MIN */
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		if (o->target[i].kind != T_FREE && o->target[i].bursting)
			osc_burst(o, i, o->target[i].kind == T_DUMP ? OSC_FB_TICK_MSGS : left);
}

void osc_meter_tick(struct osc *o, uint64_t now)
{
	uint64_t want = 0;
	(void)now;
	for (unsigned i = 0; i < OSC_MAX_TARGETS; i++)
		if (o->target[i].kind != T_FREE && o->target[i].kind != T_DUMP &&
		    (o->target[i].flags & TF_METERS))
			want |= 1ull << i;
	if (!want)
		return;
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (p->type != PT_METER)
			continue;
		for (unsigned i1 = 0; i1 < o->n1[id]; i1++) {
			float v[2] = {p->min, p->min};
			int nv = 1;
			struct osc_msgbuf m[2];
			unsigned nm = 0;
			char path[OSC_PATH_MAX];
			if (o->host.meter_take)
				nv = o->host.meter_take(o->host.ctx, (enum param_id)id, i1, v);
			if (nv <= 0)
				continue;
			for (int k = 0; k < 2; k++)
				if (!isfinite(v[k]))
					v[k] = p->min;
			osc_format_path(p->path, id, i1, 0, path, sizeof path);
			mb_begin(&m[nm], path, nv >= 2 ? "ff" : "f");
			mb_f(&m[nm], v[0]);
			if (nv >= 2)
				mb_f(&m[nm], v[1]);
			nm++;
			if (p->npath) {
				osc_format_path(p->npath, id, i1, 0, path, sizeof path);
				mb_begin(&m[nm], path, "f");
				mb_f(&m[nm], dsp_db_to_fader(v[0]));
				nm++;
			}
			for (unsigned ti = 0; ti < OSC_MAX_TARGETS; ti++) {
				if (!(want & (1ull << ti)))
					continue;
				for (unsigned k = 0; k < nm; k++)
					if (osc_prefix_match(o->target[ti].prefix, mb_path(&m[k])))
						osc_send_target(o, &o->target[ti], &m[k]);
			}
		}
	}
}

static void osc_tick_cb(void *ctx, uint64_t now)
{
	osc_tick(ctx, now);
}

static void osc_meter_cb(void *ctx, uint64_t now)
{
	osc_meter_tick(ctx, now);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

/* A liblo server that parses and dispatches but can never receive: bound
 * to a Unix socket name that is unlinked (with its private directory)
 * right away. */
static lo_server osc_lo_new(void)
{
	const char *base = getenv("TMPDIR");
	char dir[256], path[300];
	snprintf(dir, sizeof dir, "%s/jackmixd-lo-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof dir, "/tmp/jackmixd-lo-XXXXXX");
		if (!mkdtemp(dir))
			return NULL;
	}
	snprintf(path, sizeof path, "%s/s", dir);
	lo_server s = lo_server_new_with_proto(path, LO_UNIX, osc_lo_error);
	unlink(path);
	rmdir(dir);
	return s;
}

static int osc_open_socket(struct osc *o, const struct osc_config *cfg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[INET6_ADDRSTRLEN + 16];
	if (osc_resolve_listen(cfg->listen, cfg->port, &ss, &len) < 0) {
		log_err("--listen: '%s' is not an address of this host", cfg->listen ? cfg->listen : "");
		return -1;
	}
	o->family = ss.ss_family;
	o->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (o->fd < 0) {
		log_err("OSC: socket: %s", strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		int no = 0; /* "::" also takes IPv4 senders */
		setsockopt(o->fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
	}
	/* room for bursts (a bundle-less flood, a surface replaying state);
	 * beyond net.core.rmem_max only with CAP_NET_ADMIN */
	int rcv = 4 << 20;
	if (setsockopt(o->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
		setsockopt(o->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	if (bind(o->fd, (struct sockaddr *)&ss, len) < 0) {
		log_err("OSC: cannot listen on %s port %u (--listen/--osc-port): %s",
		        cfg->listen ? cfg->listen : "127.0.0.1", cfg->port, strerror(errno));
		return -1;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	struct osc_addr ba;
	if (getsockname(o->fd, (struct sockaddr *)&bound, &blen) == 0 &&
	    osc_addr_from_sa((struct sockaddr *)&bound, blen, &ba) == 0) {
		o->port = ba.port;
		log_info("OSC: listening on %s", osc_addr_str(&ba, shown, sizeof shown));
	}
	return 0;
}

struct osc *osc_new(const struct osc_config *cfg, const struct osc_host *host, struct model *m,
                    struct control *ctl)
{
	char err[256], who[64];
	struct osc *o = calloc(1, sizeof *o);
	if (!o) {
		log_err("out of memory");
		return NULL;
	}
	o->fd = -1;
	o->model = m;
	o->ctl = ctl;
	if (host)
		o->host = *host;
	o->shape = *model_shape(m);
	o->family = AF_INET;
	o->feedback_port = cfg->feedback_port;
	if (osc_config_check(cfg, err, sizeof err) < 0) {
		log_err("%s", err);
		goto fail;
	}
	for (unsigned i = 0; i < cfg->n_allow; i++)
		osc_parse_cidr(cfg->allow[i], &o->allow[o->n_allow++]);

	for (unsigned id = 0; id <= P_COUNT; id++)
		o->off[id] = param_offset((enum param_id)id, &o->shape);
	for (unsigned id = 0; id < P_COUNT; id++)
		model_dims(m, (enum param_id)id, &o->n1[id], &o->n2[id]);
	o->total = o->off[P_COUNT];
	o->fb_excl = calloc(o->total, sizeof *o->fb_excl);
	o->fb_form = calloc(o->total, 1);
	o->fb_last = calloc(o->total, sizeof *o->fb_last);
	o->fb_inlist = calloc(o->total, 1);
	o->fifo = calloc(o->total, sizeof *o->fifo);
	o->rxbuf = cfg->no_socket ? NULL : malloc(OSC_RECV_BATCH * sizeof *o->rxbuf);
	if (!o->fb_excl || !o->fb_form || !o->fb_last || !o->fb_inlist || !o->fifo ||
	    (!cfg->no_socket && !o->rxbuf)) {
		log_err("out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < OSC_RECV_BATCH && o->rxbuf; i++) {
		o->iov[i].iov_base = o->rxbuf[i];
		o->iov[i].iov_len = OSC_MAX_DGRAM;
		o->mmsg[i].msg_hdr.msg_iov = &o->iov[i];
		o->mmsg[i].msg_hdr.msg_iovlen = 1;
		o->mmsg[i].msg_hdr.msg_name = &o->rxaddr[i];
	}
	if (osc_build_routes(o) < 0)
		goto fail;

	o->lo = osc_lo_new();
	if (!o->lo) {
		log_err("OSC: cannot create the liblo dispatcher");
		goto fail;
	}
	lo_server_enable_queue(o->lo, 0, 1); /* no timetag queue: no memory for senders to grow */
	lo_server_add_method(o->lo, NULL, NULL, osc_handle, o);

	if (!cfg->no_socket && osc_open_socket(o, cfg) < 0)
		goto fail;
	if (model_add_listener(m, osc_on_change, o) < 0) {
		log_err("OSC: cannot listen to the model");
		goto fail;
	}
	for (unsigned i = 0; i < cfg->n_feedback; i++) {
		struct osc_addr a;
		osc_parse_hostport(cfg->feedback[i], &a);
		struct osc_target *t = osc_target_new(o, T_FIXED, &a);
		if (!t) {
			log_err("--feedback: cannot use %s", cfg->feedback[i]);
			goto fail;
		}
		t->flags = TF_VALUES;
		t->owner = a;
		osc_target_burst(t);
		log_info("OSC: feedback to %s (fixed)", osc_addr_str(&a, who, sizeof who));
	}
	if (ctl) {
		if ((o->fd >= 0 && control_add_fd(ctl, o->fd, osc_on_readable, o) < 0) ||
		    control_add_timer(ctl, OSC_FB_TICK_MS, osc_tick_cb, o) < 0 ||
		    control_add_timer(ctl, OSC_METER_MS, osc_meter_cb, o) < 0) {
			log_err("OSC: cannot register with the control loop");
			goto fail;
		}
	}
	if (!cfg->no_socket && cfg->listen && !cfg->n_allow) {
		struct sockaddr_storage ss;
		socklen_t len;
		struct osc_addr la;
		if (osc_resolve_listen(cfg->listen, cfg->port, &ss, &len) == 0 &&
		    osc_addr_from_sa((struct sockaddr *)&ss, len, &la) == 0 && !osc_is_loopback(&la))
			log_warn("OSC: listening on %s without --allow: only loopback senders are accepted",
			         cfg->listen);
	}
	return o;
fail:
	osc_free(o);
	return NULL;
}

void osc_free(struct osc *o)
{
	if (!o)
		return;
	if (o->st.datagrams)
		log_info(
		    "OSC: %lu datagrams, %lu denied, %lu malformed, %lu messages, %lu applied, %lu errors, "
		    "%lu sent, %lu send failures",
		    o->st.datagrams, o->st.denied, o->st.malformed, o->st.messages, o->st.applied,
		    o->st.errors, o->st.sent, o->st.send_failed);
	if (o->ctl && o->fd >= 0)
		control_remove_fd(o->ctl, o->fd);
	if (o->fd >= 0)
		close(o->fd);
	if (o->lo)
		lo_server_free(o->lo);
	free(o->fb_excl);
	free(o->fb_form);
	free(o->fb_last);
	free(o->fb_inlist);
	free(o->fifo);
	free(o->rxbuf);
	free(o);
}

void osc_set_send_hook(struct osc *o, osc_send_fn fn, void *ctx)
{
	o->send_hook = fn;
	o->send_ctx = ctx;
}

void osc_get_stats(const struct osc *o, struct osc_stats *st)
{
	*st = o->st;
}

unsigned osc_port(const struct osc *o)
{
	return o->port;
}

/* ------------------------------------------------------------------ */
/* --dump-osc                                                          */

static const char *osc_type_name(enum param_type t)
{
	static const char *const names[] = {"float", "bool", "enum", "string", "meter"};
	return names[t];
}

static const char *osc_taper_name(const struct param_info *p)
{
	if (p->type == PT_METER)
		return p->npath ? "fader" : "-";
	switch (p->taper) {
	case TP_LIN:
		return "lin";
	case TP_LOG:
		return "log";
	case TP_FADER:
		return "fader";
	default:
		return "-";
	}
}

static void osc_dump_value(FILE *f, const struct param_info *p, float v)
{
	if (p->type == PT_ENUM) {
		unsigned idx = (unsigned)v, k = 0;
		for (const char *w = p->enums; *w; k++) {
			const char *e = strchr(w, ' ');
			size_t len = e ? (size_t)(e - w) : strlen(w);
			if (k == idx) {
				fprintf(f, "%.*s", (int)len, w);
				return;
			}
			if (!e)
				break;
			w = e + 1;
		}
	}
	fprintf(f, "%g", (double)v);
}

struct osc_dump_ctx {
	FILE *f;
};

static void osc_dump_helper(void *ctx, const char *tmpl, unsigned id, unsigned form)
{
	struct osc_dump_ctx *d = ctx;
	const struct param_info *p = &param_table[id];
	if (form == FORM_TOGGLE)
		fprintf(
		    d->f,
		    "%s\ttoggle\tFlips %s on a value > 0 or no argument (0 is ignored: button release).\n",
		    tmpl, p->path);
	else if (form == FORM_TEXT)
		fprintf(d->f, "%s\ttext\t%s as text, e.g. \"-6.0 dB\"; read-only, fed back with the value.\n",
		        tmpl, p->path);
	else if (form == FORM_AUTO)
		fprintf(d->f,
		        "%s\tauto\tAutomation mode of %s: s:off, read, write, touch or latch; no argument: replies "
		        "s:mode i:points.\n",
		        tmpl, p->path);
	else if (form == FORM_TOUCH)
		fprintf(d->f,
		        "%s\ttouch\tA control of %s is held (i:1) or released (i:0): touch and latch modes record "
		        "while it is held.\n",
		        tmpl, p->path);
	else if (form == FORM_STOP)
		fprintf(d->f, "%s\tstop\tStops a timed move of %s where it has got to.\n", tmpl, p->path);
}

void osc_dump_namespace(FILE *f)
{
	struct osc_dump_ctx d = {f};
	fprintf(f, "# jackmixd OSC namespace: <n> channel 1..N, <a> aux bus 1..M, <b> EQ band 1..4\n");
	fprintf(f, "# path\tnormalised\ttype\tunit\trange\ttaper\tdefault\tdoc\n");
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		fprintf(f, "%s\t%s\t%s\t", p->path, p->npath ? p->npath : "-", osc_type_name(p->type));
		if (p->type == PT_ENUM) {
			for (const char *s = p->enums; *s; s++)
				fputc(*s == ' ' ? '|' : *s, f);
		} else {
			fputs(p->unit[0] ? p->unit : "-", f);
		}
		if (p->type == PT_STRING)
			fprintf(f, "\t-\t-\t\"\"");
		else if (p->type == PT_METER)
			fprintf(f, "\t%g..%g\t%s\t-", (double)p->min, (double)p->max, osc_taper_name(p));
		else {
			fprintf(f, "\t%g..%g\t%s\t", (double)p->min, (double)p->max, osc_taper_name(p));
			int per_band =
			    p->def[1] != p->def[0] || p->def[2] != p->def[0] || p->def[3] != p->def[0];
			for (unsigned b = 0; b < (per_band ? 4u : 1u); b++) {
				if (b)
					fputc(',', f);
				osc_dump_value(f, p, p->def[b]);
			}
		}
		fprintf(f, "\t%s\n", p->doc);
	}
	fprintf(f, "# helper\tkind\tdoc\n");
	osc_for_each_address(osc_dump_helper, &d);
	fprintf(f, "# command\targuments\tdoc\n");
	for (unsigned i = 0; i < sizeof osc_commands / sizeof osc_commands[0]; i++)
		fprintf(f, "%s\t%s\t%s\n", osc_commands[i].path,
		        osc_commands[i].args[0] ? osc_commands[i].args : "-", osc_commands[i].doc);
}
