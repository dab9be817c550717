/*
 * main.c - command line, start-up in dependency order, shutdown in reverse,
 * and what the daemon does when the world changes under it: the JACK
 * server going away and coming back (perhaps at another sample rate),
 * SIGHUP (reload the state file), SIGINT/SIGTERM (orderly shutdown).
 *
 * Threads: the main thread, which becomes the control thread once
 * start-up is done.  Only main() decides the exit status.
 *
 * Invariants: while the JACK server is away the console keeps its model,
 * its OSC surface and its state file; the take that was running is
 * finished at the loss and a new one starts when the server is back.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "config.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <lo/lo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "automation.h"
#include "automation_osc.h"
#include "control.h"
#include "curve_osc.h"
#include "engine.h"
#include "log.h"
#include "midi.h"
#include "midi_osc.h"
#include "model.h"
#include "nsm.h"
#include "osc.h"
#include "osc_net.h"
#include "params.h"
#include "recorder.h"
#include "playback.h"
#include "playback_osc.h"
#include "recorder_osc.h"
#include "session.h"
#include "patch_osc.h"
#include "session_osc.h"
#include "snapshot.h"
#include "statefile.h"
#include "web.h"
#include "web_osc.h"
#include "web_path.h"

#define MAX_PATTERNS        16
#define RECONNECT_POLL_MS   100u /* while the JACK server is away (engine_reopen paces the attempts) */
#define SHUTDOWN_WATCHDOG_S 10u  /* a shutdown stuck longer than this exits at once */

struct options {
	const char *name;
	const char *server;
	unsigned mono, stereo, buses;
	const char *connect_inputs[MAX_PATTERNS];
	unsigned n_connect_inputs;
	const char *connect_master[MAX_PATTERNS];
	unsigned n_connect_master;
	const char *connect_talk[MAX_PATTERNS]; /* --connect-talkback */
	unsigned n_connect_talk;
	int talkback;                           /* --talkback */
	const char *connect_midi[MAX_PATTERNS]; /* --connect-midi */
	unsigned n_connect_midi;
	struct midi_config midi; /* --midi-map, --mcu */
	int verbosity;
	int dump_osc;
	struct osc_net_config osc;
	const char *state;        /* -s FILE */
	const char *snapshot_dir; /* --snapshot-dir DIR */
	const char *record_dir;   /* --record-dir DIR */
	double preroll;           /* --preroll SECONDS */
	double record_buffer;     /* --record-buffer SECONDS */
	enum recorder_format record_format;
	enum recorder_sample record_sample;
	enum recorder_stems record_stems; /* --record-stems MODE */
	unsigned http_port;               /* --http PORT, 0 off */
	int http_explicit;
	const char *www_dir;  /* --www DIR */
	const char *web_keys; /* --web-keys FILE */
};

struct app {
	struct options opt;
	struct control *ctl;
	struct engine *engine;
	struct model *model;
	struct osc *osc;
	struct osc_net *osc_net; /* the UDP transport */
	struct session *session;
	struct nsm *nsm;
	struct recorder *rec;
	struct recorder_osc *rec_osc;
	struct playback *pb; /* virtual soundcheck: takes from the record directory */
	struct playback_osc *pb_osc;
	struct automation_osc *autom_osc;
	struct session_osc *session_osc;
	struct patch_osc *patch_osc;
	struct curve_osc *curve_osc;
	struct web_osc *web; /* the web surface, NULL when off */
	char nsm_map[4096];  /* under NSM: the session's MIDI mapping file */
	struct midi *midi;
	struct midi_osc *midi_osc;
	struct automation *autom;
	unsigned mixer_gen;   /* the engine's mixer generation the model was last sent to */
	char client_name[64]; /* outlives JACK clients (NSM switch renames) */
	int exit_code;
	int hk_timer, reconnect_timer; /* control loop timers: sleep while idle */
	int resume_take;               /* a take was running when the server went away */
	uint64_t lost_at;              /* control_now_ms() of the loss, 0 = connected */
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: jackmixd [options]\n"
	    "A headless real-time mixing console for JACK.\n\n"
	    "  -n, --name NAME            JACK client name (default jackmixd)\n"
	    "  -S, --server NAME          JACK server (default $JACK_DEFAULT_SERVER or the default server)\n"
	    "  -c, --channels N           mono channels, 1..%u (default 8)\n"
	    "      --stereo-channels M    stereo channels after the mono ones (default 0)\n"
	    "  -b, --buses N              stereo aux buses, 0..%u (default 2)\n"
	    "  -i, --connect-inputs GLOB  connect channel inputs in order to JACK ports matching GLOB\n"
	    "  -o, --connect-master GLOB  connect master_L/R to JACK ports matching GLOB\n"
	    "      --talkback             a talkback input, talk_in (/talk/...)\n"
	    "      --connect-talkback GLOB  connect talk_in to the first JACK port matching GLOB\n"
	    "                             (implies --talkback)\n"
	    "  -p, --osc-port PORT        OSC UDP port (default %u)\n"
	    "      --listen ADDR          address to receive OSC on (default 127.0.0.1)\n"
	    "      --allow CIDR           accept OSC from this network too (repeatable; loopback always)\n"
	    "      --feedback-port PORT   feedback port of auto-registered clients (default %u, 0 = off)\n"
	    "      --feedback HOST:PORT   always send feedback there (repeatable)\n"
	    "      --http PORT            web surface (HTTP and WebSocket) on the --listen address and\n"
	    "                             under --allow (default %u; 0 = off; a busy default is skipped)\n"
	    "      --www DIR              the web app's files (default: installed, or the build tree's)\n"
	    "      --web-keys FILE        web access keys (default $XDG_STATE_HOME/jackmixd/web-keys)\n"
	    "  -s, --state FILE           load the console from FILE at start, save it there 2 s after\n"
	    "                             changes and at shutdown\n"
	    "      --snapshot-dir DIR     scenes (/snapshot/...) live here\n"
	    "                             (default $XDG_STATE_HOME/jackmixd/snapshots)\n"
	    "      --record-dir DIR       master recordings go here (default $XDG_MUSIC_DIR or "
	    "~/Music/jackmixd)\n"
	    "      --record-format FMT    wav (RF64 past 4 GiB) or flac (default wav)\n"
	    "      --record-bits BITS     16, 24 (TPDF dither) or 32f (float; wav only) (default 24)\n"
	    "      --preroll SECONDS      a take starts this long before /record/start, 0..60 (default 0)\n"
	    "      --record-buffer SECONDS  RAM between the audio and the disk beyond the pre-roll, 1..600\n"
	    "                             (default 10): the longest disk stall a take survives intact\n"
	    "      --record-stems MODE    with every take, each channel after its trim: off, multi (one\n"
	    "                             file, a channel per input lane) or split (a file per channel)\n"
	    "      --connect-midi GLOB    connect midi_in/midi_out to JACK MIDI ports matching GLOB\n"
	    "      --midi-map FILE        MIDI mappings (default $XDG_STATE_HOME/jackmixd/midi.map);\n"
	    "                             /midi/learn saves there\n"
	    "      --mcu                  midi_in/midi_out speak Mackie Control (motor faders, LCD)\n"
	    "      --dump-osc             print the parameter table (OSC namespace) and exit\n"
	    "  -v, --verbose              more log output (repeatable)\n"
	    "  -q, --quiet                errors only\n"
	    "  -h, --help                 this help\n"
	    "  -V, --version              print the version and exit\n",
	    JMX_MAX_CHANNELS, JMX_MAX_BUSES, OSC_NET_DEFAULT_PORT, OSC_NET_DEFAULT_FEEDBACK_PORT,
	    WEB_DEFAULT_PORT);
}

/* Strict unsigned parse: the whole argument, in range, else an error that
 * names the option. */
static int parse_uint(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, "jackmixd: %s: '%s' is not a whole number in %u..%u\n", opt, arg, min, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* Returns 0 to run, 1 to exit successfully now, -1 on a usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_STEREO = 256,
		OPT_DUMP_OSC,
		OPT_LISTEN,
		OPT_ALLOW,
		OPT_FEEDBACK_PORT,
		OPT_FEEDBACK,
		OPT_SNAPDIR,
		OPT_RECDIR,
		OPT_RECFMT,
		OPT_RECBITS,
		OPT_PREROLL,
		OPT_RECBUF,
		OPT_RECSTEMS,
		OPT_CONNECT_MIDI,
		OPT_MIDI_MAP,
		OPT_MCU,
		OPT_HTTP,
		OPT_WWW,
		OPT_WEB_KEYS,
		OPT_TALKBACK,
		OPT_CONNECT_TALK
	};
	static const struct option longopts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"server", required_argument, NULL, 'S'},
	    {"channels", required_argument, NULL, 'c'},
	    {"stereo-channels", required_argument, NULL, OPT_STEREO},
	    {"buses", required_argument, NULL, 'b'},
	    {"connect-inputs", required_argument, NULL, 'i'},
	    {"connect-master", required_argument, NULL, 'o'},
	    {"osc-port", required_argument, NULL, 'p'},
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"allow", required_argument, NULL, OPT_ALLOW},
	    {"feedback-port", required_argument, NULL, OPT_FEEDBACK_PORT},
	    {"feedback", required_argument, NULL, OPT_FEEDBACK},
	    {"state", required_argument, NULL, 's'},
	    {"snapshot-dir", required_argument, NULL, OPT_SNAPDIR},
	    {"record-dir", required_argument, NULL, OPT_RECDIR},
	    {"record-format", required_argument, NULL, OPT_RECFMT},
	    {"record-bits", required_argument, NULL, OPT_RECBITS},
	    {"preroll", required_argument, NULL, OPT_PREROLL},
	    {"record-buffer", required_argument, NULL, OPT_RECBUF},
	    {"record-stems", required_argument, NULL, OPT_RECSTEMS},
	    {"connect-midi", required_argument, NULL, OPT_CONNECT_MIDI},
	    {"midi-map", required_argument, NULL, OPT_MIDI_MAP},
	    {"mcu", no_argument, NULL, OPT_MCU},
	    {"http", required_argument, NULL, OPT_HTTP},
	    {"www", required_argument, NULL, OPT_WWW},
	    {"web-keys", required_argument, NULL, OPT_WEB_KEYS},
	    {"talkback", no_argument, NULL, OPT_TALKBACK},
	    {"connect-talkback", required_argument, NULL, OPT_CONNECT_TALK},
	    {"dump-osc", no_argument, NULL, OPT_DUMP_OSC},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->name = "jackmixd";
	o->server = getenv("JACK_DEFAULT_SERVER");
	if (o->server && !*o->server)
		o->server = NULL;
	o->mono = 8;
	o->stereo = 0;
	o->buses = 2;
	o->record_sample = REC_PCM24;
	o->http_port = WEB_DEFAULT_PORT;
	osc_net_config_init(&o->osc);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:S:c:b:i:o:p:s:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!*optarg || strlen(optarg) > 63) {
				fprintf(stderr, "jackmixd: --name: must be 1..63 characters\n");
				return -1;
			}
			o->name = optarg;
			break;
		case 'S':
			o->server = optarg;
			break;
		case 'c':
			if (parse_uint("--channels", optarg, 1, JMX_MAX_CHANNELS, &o->mono) < 0)
				return -1;
			break;
		case OPT_STEREO:
			if (parse_uint("--stereo-channels", optarg, 0, JMX_MAX_CHANNELS, &o->stereo) < 0)
				return -1;
			break;
		case 'b':
			if (parse_uint("--buses", optarg, 0, JMX_MAX_BUSES, &o->buses) < 0)
				return -1;
			break;
		case 'i':
		case 'o': {
			unsigned *n = c == 'i' ? &o->n_connect_inputs : &o->n_connect_master;
			const char **list = c == 'i' ? o->connect_inputs : o->connect_master;
			if (*n >= MAX_PATTERNS) {
				fprintf(stderr, "jackmixd: %s: at most %d patterns\n",
				        c == 'i' ? "--connect-inputs" : "--connect-master", MAX_PATTERNS);
				return -1;
			}
			list[(*n)++] = optarg;
			break;
		}
		case 'p':
			if (parse_uint("--osc-port", optarg, 0, 65535, &o->osc.port) < 0)
				return -1;
			break;
		case OPT_LISTEN:
			o->osc.listen = optarg;
			break;
		case OPT_ALLOW:
			if (o->osc.n_allow >= OSC_NET_MAX_ALLOW) {
				fprintf(stderr, "jackmixd: --allow: at most %u networks\n",
				        OSC_NET_MAX_ALLOW);
				return -1;
			}
			o->osc.allow[o->osc.n_allow++] = optarg;
			break;
		case OPT_FEEDBACK_PORT:
			if (parse_uint("--feedback-port", optarg, 0, 65535, &o->osc.feedback_port) < 0)
				return -1;
			break;
		case OPT_FEEDBACK:
			if (o->osc.n_feedback >= OSC_NET_MAX_FIXED) {
				fprintf(stderr, "jackmixd: --feedback: at most %u targets\n",
				        OSC_NET_MAX_FIXED);
				return -1;
			}
			o->osc.feedback[o->osc.n_feedback++] = optarg;
			break;
		case 's':
		case OPT_SNAPDIR:
			if (!*optarg) {
				fprintf(stderr, "jackmixd: %s: needs a path\n",
				        c == 's' ? "--state" : "--snapshot-dir");
				return -1;
			}
			*(c == 's' ? &o->state : &o->snapshot_dir) = optarg;
			break;
		case OPT_RECDIR:
			if (!*optarg || strlen(optarg) > 900) {
				fprintf(stderr,
				        "jackmixd: --record-dir: needs a path of at most 900 bytes\n");
				return -1;
			}
			o->record_dir = optarg;
			break;
		case OPT_RECFMT:
			if (recorder_parse_format(optarg, &o->record_format) < 0) {
				fprintf(stderr, "jackmixd: --record-format: '%s' is not wav or flac\n",
				        optarg);
				return -1;
			}
			break;
		case OPT_RECBITS:
			if (recorder_parse_sample(optarg, &o->record_sample) < 0) {
				fprintf(stderr, "jackmixd: --record-bits: '%s' is not 16, 24 or 32f\n",
				        optarg);
				return -1;
			}
			break;
		case OPT_RECSTEMS:
			if (recorder_parse_stems(optarg, &o->record_stems) < 0) {
				fprintf(stderr, "jackmixd: --record-stems: '%s' is not off, multi or split\n",
				        optarg);
				return -1;
			}
			break;
		case OPT_PREROLL:
		case OPT_RECBUF: {
			char *end;
			double lo = c == OPT_PREROLL ? 0 : 1,
			       hi = c == OPT_PREROLL ? RECORDER_MAX_PREROLL : 600;
			errno = 0;
			double v = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v >= lo && v <= hi)) {
				fprintf(stderr, "jackmixd: %s: '%s' is not a number of seconds in %g..%g\n",
				        c == OPT_PREROLL ? "--preroll" : "--record-buffer", optarg, lo, hi);
				return -1;
			}
			*(c == OPT_PREROLL ? &o->preroll : &o->record_buffer) = v;
			break;
		}
		case OPT_CONNECT_MIDI:
			if (o->n_connect_midi >= MAX_PATTERNS) {
				fprintf(stderr, "jackmixd: --connect-midi: at most %d patterns\n",
				        MAX_PATTERNS);
				return -1;
			}
			o->connect_midi[o->n_connect_midi++] = optarg;
			break;
		case OPT_MIDI_MAP:
			if (!*optarg) {
				fprintf(stderr, "jackmixd: --midi-map: needs a path\n");
				return -1;
			}
			o->midi.map_path = optarg;
			break;
		case OPT_MCU:
			o->midi.mcu = 1;
			break;
		case OPT_HTTP:
			if (parse_uint("--http", optarg, 0, 65535, &o->http_port) < 0)
				return -1;
			o->http_explicit = 1;
			break;
		case OPT_TALKBACK:
			o->talkback = 1;
			break;
		case OPT_CONNECT_TALK:
			if (o->n_connect_talk >= MAX_PATTERNS) {
				fprintf(stderr, "jackmixd: --connect-talkback: at most %d patterns\n",
				        MAX_PATTERNS);
				return -1;
			}
			o->connect_talk[o->n_connect_talk++] = optarg;
			o->talkback = 1;
			break;
		case OPT_WWW:
		case OPT_WEB_KEYS:
			if (!*optarg) {
				fprintf(stderr, "jackmixd: %s: needs a path\n",
				        c == OPT_WWW ? "--www" : "--web-keys");
				return -1;
			}
			*(c == OPT_WWW ? &o->www_dir : &o->web_keys) = optarg;
			break;
		case OPT_DUMP_OSC:
			o->dump_osc = 1;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = -2;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("jackmixd %s\n", PACKAGE_VERSION);
			return 1;
		case ':':
			fprintf(stderr, "jackmixd: %s: needs a value\n", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				fprintf(stderr, "jackmixd: -%c: unknown option (see --help)\n", optopt);
			else
				fprintf(stderr, "jackmixd: %s: unknown option (see --help)\n",
				        argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jackmixd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	if (o->mono + o->stereo > JMX_MAX_CHANNELS) {
		fprintf(stderr, "jackmixd: --channels + --stereo-channels: at most %u channels in all\n",
		        JMX_MAX_CHANNELS);
		return -1;
	}
	if (o->midi.mcu && o->midi.map_path) {
		fprintf(stderr,
		        "jackmixd: --mcu and --midi-map exclude each other (one protocol on midi_in)\n");
		return -1;
	}
	if (o->record_format == REC_FMT_FLAC && o->record_sample == REC_FLOAT) {
		fprintf(stderr, "jackmixd: --record-format flac: --record-bits must be 16 or 24\n");
		return -1;
	}
	char err[256];
	if (recorder_stems_check(o->record_stems, o->mono + 2 * o->stereo, o->record_format, err,
	                         sizeof err) < 0) {
		fprintf(stderr, "jackmixd: --record-stems %s: %s\n", recorder_stems_name(o->record_stems),
		        err);
		return -1;
	}
	if (osc_net_config_check(&o->osc, err, sizeof err) < 0) {
		fprintf(stderr, "jackmixd: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- engine status on the OSC surface ---------------------------------- */

/* /engine/status s:state i:rate i:period h:xruns h:late f:dsp_max
 * h:frames i:reconnects i:freewheel, as a reply to the sender or to every
 * feedback client (osc_route.c's command table documents it). */
static void app_engine_status(struct app *app, struct osc *o, int reply)
{
	struct engine *e = app->engine;
	size_t len = 0;
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, e && engine_connected(e) ? "running" : "disconnected");
	lo_message_add_int32(m, e ? (int32_t)engine_rate(e) : 0);
	lo_message_add_int32(m, e ? (int32_t)engine_period(e) : 0);
	lo_message_add_int64(m, e ? (int64_t)engine_xrun_count(e) : 0);
	lo_message_add_int64(m, e ? (int64_t)engine_late_cycles(e) : 0);
	lo_message_add_float(m, e ? engine_load_take(e) : 0.0f);
	lo_message_add_int64(m, e ? (int64_t)engine_frames(e) : 0);
	lo_message_add_int32(m, e ? (int32_t)engine_reconnects(e) : 0);
	lo_message_add_int32(m, e ? engine_freewheeling(e) : 0);
	void *buf = lo_message_serialise(m, "/engine/status", NULL, &len);
	if (buf) {
		if (reply)
			osc_reply_raw(o, buf, len);
		else
			osc_broadcast_raw(o, "/engine/status", buf, len);
		free(buf);
	}
	lo_message_free(m);
}

static void app_cmd_engine_status(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                  int argc)
{
	(void)argv;
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return;
	}
	app_engine_status(ctx, o, 1);
}

/* ---- the JACK server goes away and comes back ---------------------------- */

/* CTL_EV_SHUTDOWN: the take is finished with a valid header (the ring
 * holds everything up to the last period), the connections we had become
 * "pending" in the session, the dead client is closed; OSC, the model and
 * the state file carry on. */
static void app_engine_lost(struct app *app)
{
	char err[256];
	struct recorder_status st;

	if (!app->engine || !engine_connected(app->engine))
		return;
	const char *why = engine_lost_reason(app->engine);
	log_err("the JACK server went away%s%s: parameters stay settable, retrying every second",
	        why[0] ? ": " : "", why);
	session_engine_closing(app->session);
	engine_lost(app->engine);
	app->lost_at = control_now_ms();
	if (app->rec) {
		recorder_status(app->rec, &st);
		if (st.active && recorder_stop(app->rec, err, sizeof err) == 0) {
			app->resume_take = 1;
			log_info("recording stopped; a new take starts when JACK is back");
		}
	}
	if (app->osc)
		app_engine_status(app, app->osc, 0);
}

/* A server back at another rate: a recorder (ring, pre-roll, loudness
 * meter, file header) for the new rate, keeping the chosen format and
 * stems (the engine gave the new mixer its tap).  The old one has
 * finished its take already (stopped at the loss). */
static void app_recorder_rebuild(struct app *app)
{
	char dir[1024];
	struct recorder_status st;
	struct recorder_config rc;

	recorder_status(app->rec, &st);
	memset(&rc, 0, sizeof rc);
	rc.dir = app->opt.record_dir ? app->opt.record_dir : recorder_default_dir(dir, sizeof dir);
	rc.rate = engine_rate(app->engine);
	rc.format = st.format;
	rc.sample = st.sample;
	rc.preroll_s = app->opt.preroll;
	rc.buffer_s = app->opt.record_buffer;
	rc.reserve_bytes = -1;
	rc.originator = "jackmixd " PACKAGE_VERSION;
	rc.stems = app->opt.record_stems;
	rc.stem_mono = app->opt.mono;
	rc.stem_stereo = app->opt.stereo;
	struct recorder *r = recorder_new(&rc);
	if (!r) {
		log_err("no recorder for %u Hz: takes keep the old rate in their header", rc.rate);
		return;
	}
	engine_set_recorder(app->engine, recorder_ring(r));
	recorder_osc_rebind(app->rec_osc, r);
	recorder_free(app->rec);
	playback_set_rate(app->pb, rc.rate); /* a take at the old rate no longer fits */
	app->rec = r;
}

/* Timer: while disconnected, look for the server (engine_reopen tries
 * once a second, off this thread). */
static void app_reconnect_tick(void *ctx, uint64_t now)
{
	struct app *app = ctx;
	char err[256];

	if (!app->engine || engine_connected(app->engine)) {
		/* connected: nothing to poll until the server goes away
		 * (engine_watch wakes it) */
		control_timer_sleep(app->ctl, app->reconnect_timer);
		return;
	}
	if (engine_reopen(app->engine) <= 0)
		return;
	if (engine_mixer_generation(app->engine) != app->mixer_gen) {
		app->mixer_gen = engine_mixer_generation(app->engine);
		model_resend_all(app->model); /* the new mixer starts from defaults */
		if (app->rec)
			app_recorder_rebuild(app);
	}
	model_commit(app->model); /* in the queue before the first period */
	if (engine_start(app->engine) < 0) {
		engine_lost(app->engine);
		return;
	}
	session_restore_connections(app->session);
	log_info("reconnected to JACK after %.1f s away", (double)(now - app->lost_at) / 1000.0);
	app->lost_at = 0;
	if (app->osc)
		app_engine_status(app, app->osc, 0);
	if (app->resume_take && app->rec) {
		app->resume_take = 0;
		if (recorder_start(app->rec, NULL, err, sizeof err) < 0)
			log_err("cannot resume recording: %s", err);
	}
}

/* ---- signals -------------------------------------------------------------- */

/* SIGHUP: make the console equal to the state file again (after an edit
 * by hand or a restored backup).  A file that does not parse changes
 * nothing; a missing one is not taken to mean "defaults". */
static void app_reload(struct app *app)
{
	char err[512];
	struct stat sb;

	if (app->nsm) {
		log_info("SIGHUP: under NSM the session manager loads and saves: ignored");
		return;
	}
	if (!app->opt.state || !app->session) {
		log_info("SIGHUP: no state file (-s): nothing to reload");
		return;
	}
	if (stat(app->opt.state, &sb) < 0) {
		log_warn("SIGHUP: %s: %s: the console keeps its state", app->opt.state, strerror(errno));
		return;
	}
	if (session_switch(app->session, app->opt.state, app->opt.snapshot_dir, err, sizeof err) < 0) {
		log_err("SIGHUP: %s not reloaded: the console keeps its state", app->opt.state);
		return;
	}
	if (app->engine && engine_connected(app->engine))
		session_restore_connections(app->session);
	log_info("SIGHUP: %s reloaded", app->opt.state);
}

static void on_event(void *ctx, enum control_event ev)
{
	struct app *app = ctx;
	switch (ev) {
	case CTL_EV_SIGTERM:
		log_info("signal received, shutting down");
		control_stop(app->ctl);
		break;
	case CTL_EV_SIGHUP:
		app_reload(app);
		break;
	case CTL_EV_SHUTDOWN:
		app_engine_lost(app);
		break;
	default:
		break;
	}
}

/* The OSC layer's view of the engine (callbacks, so that it builds
 * without JACK for tests and fuzzing). */
static unsigned host_rate(void *ctx)
{
	return engine_rate(((struct app *)ctx)->engine);
}

static unsigned host_period(void *ctx)
{
	return engine_period(((struct app *)ctx)->engine);
}

static unsigned host_osc_port(void *ctx)
{
	struct app *app = ctx;
	return app->osc_net ? osc_net_port(app->osc_net) : 0;
}

static int host_meter_take(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	struct app *app = ctx;
	int n = app->rec ? recorder_osc_meter(app->rec, id, out) : -1;
	if (n < 0)
		n = midi_meter_take(app->midi, id, idx, out); /* shared with a Mackie surface */
	return n >= 0 ? n : mixer_meter_take(engine_mixer(app->engine), id, idx, out);
}

/* The master recorder and loudness meter: its ring must exist (and be
 * locked by engine_start's mlockall) before the RT thread runs. */
static int recorder_start_up(struct app *app)
{
	char dir[1024];
	struct recorder_config rc;
	memset(&rc, 0, sizeof rc);
	rc.dir = app->opt.record_dir ? app->opt.record_dir : recorder_default_dir(dir, sizeof dir);
	rc.rate = engine_rate(app->engine);
	rc.format = app->opt.record_format;
	rc.sample = app->opt.record_sample;
	rc.preroll_s = app->opt.preroll;
	rc.buffer_s = app->opt.record_buffer;
	rc.reserve_bytes = -1;
	rc.originator = "jackmixd " PACKAGE_VERSION;
	rc.stems = app->opt.record_stems;
	rc.stem_mono = app->opt.mono;
	rc.stem_stereo = app->opt.stereo;
	/* the stems' tap (the mixer's) and the wider ring: memory only when
	 * asked for */
	if (rc.stems != REC_STEMS_OFF && engine_set_stems(app->engine) < 0)
		return -1;
	app->rec = recorder_new(&rc);
	if (!app->rec)
		return -1;
	engine_set_recorder(app->engine, recorder_ring(app->rec));
	struct playback_config pc = {rc.dir, rc.rate, app->opt.mono, app->opt.stereo, 0};
	if (!(app->pb = playback_new(&pc)))
		return -1;
	engine_set_playback(app->engine, playback_ring(app->pb));
	return 0;
}

static void on_housekeeping(void *ctx, uint64_t now)
{
	struct app *app = ctx;
	(void)now;
	model_commit(app->model); /* anything a full queue held back */
	engine_tick(app->engine);
	if (!model_pending(app->model)) /* a change or an xrun wakes it */
		control_timer_sleep(app->ctl, app->hk_timer);
}

/* Model listener: a change a full queue may hold back. */
static void app_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                          int clamped)
{
	struct app *app = ctx;
	(void)id, (void)i1, (void)i2, (void)origin, (void)clamped;
	control_timer_wake(app->ctl, app->hk_timer);
}

/* Automation: the live mixer for the values the RT thread publishes, and
 * the lanes in the state file and scenes. */
static struct mixer *autom_mixer(void *ctx)
{
	/* none while JACK is away: nothing moves, so a recall or a timed
	 * move made meanwhile shows its target, not a stale start */
	struct engine *e = ((struct app *)ctx)->engine;
	return e && engine_connected(e) ? engine_mixer(e) : NULL;
}

static const struct lanes *autom_lanes_get(void *ctx)
{
	return automation_lanes(ctx);
}

static void autom_lanes_load(void *ctx, const struct lanes *from, int recall)
{
	automation_load(ctx, from, recall);
}

static unsigned long autom_lanes_gen(void *ctx)
{
	return automation_generation(ctx);
}

static void autom_changed(void *ctx)
{
	session_changed(ctx);
}

static void autom_recall_fade(void *ctx, int on)
{
	automation_recall_fade(ctx, on);
}

/* Every surface shows one value: automation's (the model's unless a move,
 * a faded recall or a lane drives the parameter). */
static float autom_shown(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value)
{
	return automation_value(ctx, id, i1, i2, model_value);
}

/* A Mackie fader touch is an explicit touch of what the fader controls,
 * for as long as the finger is on it: the implied touch of a change
 * would end AUTOMATION_IMPLICIT_MS after the fader stopped moving. */
static void autom_touch(void *ctx, enum param_id id, unsigned i1, unsigned i2, int on)
{
	automation_touch(ctx, id, i1, i2, on);
}

static int automation_start_up(struct app *app)
{
	struct automation_config ac = {app->model,  engine_queue(app->engine),
	                               app->ctl,    (double)engine_rate(app->engine),
	                               autom_mixer, app};
	app->autom = automation_new(&ac);
	if (!app->autom)
		return -1;
	struct session_lanes sl = {app->autom, autom_lanes_get, autom_lanes_load, autom_lanes_gen,
	                           autom_recall_fade};
	session_set_lanes(app->session, &sl);
	automation_set_quiet_origin(app->autom, app->session); /* a recall is not a touch */
	automation_on_changed(app->autom, autom_changed, app->session);
	engine_set_autoplay(app->engine, automation_autoplay(app->autom));
	return 0;
}

/* ---- the web surface ------------------------------------------------------ */

/* The app's files: --www, else the source tree's www/ for a daemon run
 * from this build tree, else the installed ones. */
static const char *web_app_dir(const struct app *app)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (app->opt.www_dir)
		return app->opt.www_dir;
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash && (*slash = 0, strcmp(exe, JMX_BUILD_EXE_DIR) == 0))
			return JMX_BUILD_WWW_DIR;
	}
	return JMX_WWW_DIR;
}

/* Timer: what /api/info shows.  (Which takes are still being written the
 * web thread finds out itself, when asked: web_file_written.) */
static void web_info_tick(void *ctx, uint64_t now)
{
	struct app *app = ctx;
	struct recorder_status st;
	char info[1024], name[6 * sizeof app->client_name];
	(void)now;
	if (!app->web)
		return;
	struct engine *e = app->engine;
	memset(&st, 0, sizeof st);
	if (app->rec)
		recorder_status(app->rec, &st);
	/* the name comes from JACK (or -n): anything but NUL */
	web_path_json_escape(name, sizeof name, app->client_name);
	snprintf(info, sizeof info,
	         "\"name\":\"%s\",\"version\":\"%s\",\"channels\":%u,\"mono\":%u,\"stereo\":%u,"
	         "\"buses\":%u,\"jack\":%s,\"rate\":%u,\"period\":%u,\"osc_port\":%u,\"http_port\":%u,"
	         "\"recording\":%s",
	         name, PACKAGE_VERSION, app->opt.mono + app->opt.stereo, app->opt.mono, app->opt.stereo,
	         app->opt.buses, e && engine_connected(e) ? "true" : "false", e ? engine_rate(e) : 0,
	         e ? engine_period(e) : 0, app->osc_net ? osc_net_port(app->osc_net) : 0,
	         web_osc_port(app->web), st.active ? "true" : "false");
	web_osc_publish(app->web, info);
}

static int web_start_up(struct app *app)
{
	char dir[1024];
	struct web_osc_config wc = {&app->opt.osc,
	                            app->opt.http_port,
	                            app->opt.http_explicit,
	                            web_app_dir(app),
	                            app->opt.record_dir ? app->opt.record_dir
	                                                : recorder_default_dir(dir, sizeof dir),
	                            app->opt.web_keys,
	                            {app->opt.mono + app->opt.stereo, app->opt.buses}};
	if (web_osc_new(&app->web, app->osc, app->ctl, &wc) < 0)
		return -1;
	if (app->web) {
		web_info_tick(app, 0);
		if (control_add_timer(app->ctl, 1000, web_info_tick, app) < 0)
			return -1;
	}
	return 0;
}

/* Everything that needs the JACK client, in dependency order: engine,
 * model, session (state loaded before activation), OSC, activation, then
 * connections.  Runs once, from main or from the first NSM open. */
static int console_start(struct app *app, const char *name, const struct session_config *sc)
{
	struct param_shape shape = {app->opt.mono + app->opt.stereo, app->opt.buses};
	snprintf(app->client_name, sizeof app->client_name, "%s", name);
	struct engine_config ec = {app->client_name, app->opt.server, app->opt.mono,
	                           app->opt.stereo,  app->opt.buses,  app->opt.talkback};
	app->engine = engine_open(&ec, app->ctl);
	if (!app->engine)
		return -1;
	snprintf(app->client_name, sizeof app->client_name, "%s", engine_client_name(app->engine));
	app->model = model_new(&shape, engine_queue(app->engine));
	if (!app->model) {
		log_err("out of memory");
		return -1;
	}
	app->session = session_new(sc, app->ctl, app->model, app->engine);
	if (!app->session)
		return -1;
	if (automation_start_up(app) < 0)
		return -1;
	session_load_state(app->session);
	if (recorder_start_up(app) < 0)
		return -1;
	struct osc_host host = {app->client_name, PACKAGE_VERSION, app,          host_rate,
	                        host_period,      host_meter_take, host_osc_port};
	app->osc = osc_new(&host, app->model, app->ctl);
	if (!app->osc)
		return -1;
	app->osc_net = osc_net_new(app->osc, &app->opt.osc, app->ctl);
	if (!app->osc_net)
		return -1;
	if (web_start_up(app) < 0)
		return -1;
	app->rec_osc = recorder_osc_new(app->rec, app->osc, app->ctl);
	app->pb_osc = app->rec_osc ? playback_osc_new(app->pb, app->osc) : NULL;
	if (!app->pb_osc)
		return -1;
	app->session_osc = session_osc_new(app->session, app->osc);
	if (!app->session_osc)
		return -1;
	app->patch_osc = patch_osc_new(app->session, app->engine, app->osc);
	if (!app->patch_osc)
		return -1;
	app->curve_osc = curve_osc_new(app->model, app->osc, host_rate, app);
	if (!app->curve_osc)
		return -1;
	app->autom_osc = automation_osc_new(app->autom, app->osc);
	if (!app->autom_osc)
		return -1;
	osc_add_command(app->osc, "/engine/status", app_cmd_engine_status, app);
	app->midi = midi_new(&app->opt.midi, app->ctl, app->model, app->engine);
	if (!app->midi)
		return -1;
	engine_set_midi(app->engine, midi_ring(app->midi));
	app->midi_osc = midi_osc_new(app->midi, app->osc);
	if (!app->midi_osc)
		return -1;
	midi_set_shown(app->midi, autom_shown, app->autom);
	midi_set_touch(app->midi, autom_touch, app->autom);
	if (automation_add_watcher(app->autom, midi_moved, app->midi) < 0) {
		log_err("automation: too many display watchers");
		return -1;
	}
	app->hk_timer = control_add_timer(app->ctl, 10, on_housekeeping, app);
	app->reconnect_timer = control_add_timer(app->ctl, RECONNECT_POLL_MS, app_reconnect_tick, app);
	if (app->hk_timer < 0 || app->reconnect_timer < 0 || engine_watch(app->engine, app->hk_timer) < 0 ||
	    engine_watch(app->engine, app->reconnect_timer) < 0 ||
	    model_add_listener(app->model, app_on_change, app) < 0)
		return -1;
	if (engine_start(app->engine) < 0)
		return -1;
	session_restore_connections(app->session);
	for (unsigned i = 0; i < app->opt.n_connect_inputs; i++)
		engine_connect_inputs(app->engine, app->opt.connect_inputs[i], session_wanted, app->session);
	for (unsigned i = 0; i < app->opt.n_connect_master; i++)
		engine_connect_master(app->engine, app->opt.connect_master[i], session_wanted, app->session);
	for (unsigned i = 0; i < app->opt.n_connect_talk; i++)
		engine_connect_talkback(app->engine, app->opt.connect_talk[i], session_wanted, app->session);
	for (unsigned i = 0; i < app->opt.n_connect_midi; i++)
		engine_connect_midi(app->engine, app->opt.connect_midi[i], session_wanted, app->session);
	return 0;
}

/* ---- NSM ---------------------------------------------------------------- */

/* Under NSM the OSC port is part of the instance's saved state, in this
 * file of its directory: a second instance in the same session takes a
 * free port when the default is taken (osc_net's any_if_busy), and each
 * gets its own port again when the session is reopened. */
#define NSM_PORT_FILE "osc-port"

static unsigned nsm_kept_port(int dirfd)
{
	char buf[16];
	int fd = openat(dirfd, NSM_PORT_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	unsigned long p = strtoul(buf, NULL, 10);
	return p > 0 && p < 65536 ? (unsigned)p : 0;
}

/* Keep the port we listen on in the instance directory and report it
 * (log, NSM label; /info asks osc_net). */
static void nsm_keep_port(struct app *app, int dirfd, const char *path)
{
	unsigned p = app->osc_net ? osc_net_port(app->osc_net) : 0;
	char text[16], err[256], label[32];
	if (!p)
		return;
	if (nsm_kept_port(dirfd) != p) {
		int n = snprintf(text, sizeof text, "%u\n", p);
		if (statefile_write_atomic(dirfd, NSM_PORT_FILE, text, (size_t)n, 1, err, sizeof err) < 0)
			log_warn("NSM: %s/%s: %s", path, NSM_PORT_FILE, err);
	}
	log_info("NSM: OSC port %u (kept in %s/%s)", p, path, NSM_PORT_FILE);
	snprintf(label, sizeof label, "OSC port %u", p);
	nsm_set_label(app->nsm, label);
}

static void nsm_on_dirty(void *ctx, int dirty)
{
	struct app *app = ctx;
	nsm_set_dirty(app->nsm, dirty);
}

static int nsm_on_open(void *ctx, const char *path, const char *display_name, const char *client_id,
                       char *err, size_t errlen)
{
	struct app *app = ctx;
	char state[4096], snaps[4096];
	(void)display_name;

	int fd = statefile_dir_open(path); /* the instance directory is ours to create */
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-fd));
		return -1;
	}
	if ((size_t)snprintf(state, sizeof state, "%s/jackmixd.state", path) >= sizeof state ||
	    (size_t)snprintf(snaps, sizeof snaps, "%s/snapshots", path) >= sizeof snaps ||
	    (size_t)snprintf(app->nsm_map, sizeof app->nsm_map, "%s/midi.map", path) >= sizeof app->nsm_map) {
		close(fd);
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (!app->engine) {
		struct session_config sc = {state, snaps, 0};
		unsigned kept = nsm_kept_port(fd);
		if (kept)
			app->opt.osc.port = kept;
		app->opt.osc.any_if_busy = 1;
		if (!app->opt.midi.mcu) { /* the mapping file lives in the session */
			app->opt.midi.map_path = app->nsm_map;
			app->opt.midi.map_session = 1;
		}
		if (console_start(app, client_id, &sc) < 0) {
			close(fd);
			snprintf(err, errlen, "cannot start (see the log)");
			return -1;
		}
	} else {
		/* :switch: a new session for the running console */
		if (strcmp(client_id, app->client_name) != 0) {
			session_engine_closing(app->session);
			if (engine_rename(app->engine, client_id) < 0) {
				close(fd);
				snprintf(err, errlen, "cannot reopen the JACK client as '%s'", client_id);
				app->exit_code = 1;
				control_stop(app->ctl);
				return -1;
			}
			snprintf(app->client_name, sizeof app->client_name, "%s", client_id);
		}
		if (session_switch(app->session, state, snaps, err, errlen) < 0) {
			close(fd);
			return -1;
		}
		session_restore_connections(app->session);
	}
	nsm_keep_port(app, fd, path);
	close(fd);
	session_on_dirty(app->session, nsm_on_dirty, app);
	return 0;
}

static int nsm_on_save(void *ctx, char *err, size_t errlen)
{
	struct app *app = ctx;
	return app->session ? session_save_state(app->session, err, errlen) : -1;
}

static void nsm_on_failed(void *ctx, const char *why)
{
	struct app *app = ctx;
	(void)why;
	app->exit_code = 1;
	control_stop(app->ctl);
}

int main(int argc, char **argv)
{
	struct app app;
	ROLE_SET(ROLE_CONTROL);
	memset(&app, 0, sizeof app);
	/* the control thread, whatever the binary is called; the threads it
	 * starts are named after what they do (jmx-disk, jmx-midiwake,
	 * jmx-opener, jmx-rt) */
	pthread_setname_np(pthread_self(), "jackmixd");

	int r = parse_options(argc, argv, &app.opt);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (app.opt.dump_osc) {
		osc_dump_namespace(stdout);
		return 0;
	}
	log_set_level(LOG_INFO + app.opt.verbosity);

	app.exit_code = 1;
	app.ctl = control_new();
	if (!app.ctl)
		goto out;
	if (control_install_signals(app.ctl) < 0) {
		log_err("cannot install signal handlers");
		goto out;
	}
	control_set_event_handler(app.ctl, on_event, &app);
	const char *nsm_url = getenv("NSM_URL");
	if (nsm_url && *nsm_url) {
		/* the session manager names us and says where files go: no
		 * JACK client until /nsm/client/open (console_start then) */
		struct nsm_callbacks cb = {&app, nsm_on_open, nsm_on_save, nsm_on_failed};
		if (app.opt.state || app.opt.snapshot_dir || app.opt.midi.map_path)
			log_info(
			    "NSM: --state, --snapshot-dir and --midi-map are ignored, the session decides");
		app.nsm = nsm_new(nsm_url, argv[0], app.ctl, &cb);
		if (!app.nsm)
			goto out;
	} else {
		struct session_config sc = {app.opt.state, app.opt.snapshot_dir, 1};
		if (console_start(&app, app.opt.name, &sc) < 0)
			goto out;
	}
	app.exit_code = 0;
	log_info("running");
	control_run(app.ctl);
	/* whatever hangs from here on (a dead disk, a wedged server) cannot
	 * keep the daemon from exiting */
	control_arm_watchdog(SHUTDOWN_WATCHDOG_S);
	if (app.session && !app.nsm)
		session_shutdown(app.session); /* under NSM only /nsm/client/save saves */
out:
	nsm_free(app.nsm);
	session_free(app.session);
	recorder_osc_free(app.rec_osc);
	playback_osc_free(app.pb_osc);
	midi_osc_free(app.midi_osc); /* before the MIDI surface it calls */
	automation_osc_free(app.autom_osc);
	session_osc_free(app.session_osc);
	patch_osc_free(app.patch_osc);
	web_osc_free(app.web); /* the web thread stops; its clients before the core */
	curve_osc_free(app.curve_osc);
	osc_net_free(app.osc_net); /* its clients before the core */
	osc_free(app.osc);
	int abandoned = engine_close(app.engine);
	midi_free(app.midi);        /* its rings outlive the RT thread */
	automation_free(app.autom); /* its lane sets too; after OSC, which calls into it */
	recorder_free(app.rec);     /* after the RT thread stopped: the take gets every frame */
	if (!abandoned)
		playback_free(app.pb); /* its ring outlives the RT thread */
	model_free(app.model);
	if (!abandoned) /* else a thread stuck in libjack may still post to it */
		control_free(app.ctl);
	return app.exit_code;
}
