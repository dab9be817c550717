/*
 * osc_route.c - the OSC namespace: the command rows (with their docs, for
 * --dump-osc and the man page), every address the parameter table gives
 * (units, normalised, toggle, text, <base>/auto, /touch, /stop), and the
 * router: a hash of path patterns ("/ch/#/fader/db") that resolves a
 * concrete path to its row and zero-based indices; see osc_core.h.
 *
 * Threads: control thread only (osc_route_for_each_address also from
 * main, before it, for --dump-osc).
 *
 * Invariants: the router and --dump-osc enumerate the same addresses
 * (osc_route_for_each_address), so the two cannot differ; an address
 * declared twice fails osc_route_build; a resolved index is inside the
 * console's shape.  This file calls no other part of the OSC layer.
 *
 * Templates (<n>/<a>/<b>) are read and written by the one path codec
 * (params/params_path.h); the router only hashes keys ("/ch/#/fader").
 */
#include <stdio.h>
#include <string.h>

#include "dsp.h"
#include "role.h"
#include "log.h"
#include "osc_core.h"
#include "params_path.h"

const struct osc_route_command osc_route_commands[] = {
    {"/ping", CMD_PING, "", "Replies /pong."},
    {"/info", CMD_INFO, "",
     "Replies /info s:name s:version i:channels i:buses i:sample_rate i:period i:osc_port (the UDP "
     "port the daemon listens on: under NSM a free one when the default is taken)."},
    {"/dump", CMD_DUMP, "[s:prefix] [s:options]",
     "Sends every value under prefix (\"\" or absent: all) to the sender, paced, then /dump/done i:count "
     "(the messages sent).  Options, comma-separated: units (each value once, in its engineering-unit "
     "form, without the normalised and text forms), changed (only values that differ from the "
     "parameter table's default, names that are not empty)."},
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
    {"/solo/clear", CMD_SOLO_CLEAR, "",
     "Clears every channel's and bus's solo (/ch/<n>/solo 0, /bus/<a>/solo 0), as one change: the monitor "
     "returns to the master."},
    /* implemented in main.c, bound with osc_add_command */
    {"/engine/status", CMD_EXT, "",
     "Replies /engine/status s:state i:sample_rate i:period h:xruns h:late f:dsp_max h:frames "
     "i:reconnects i:freewheel: state is running or disconnected (the JACK server went away: parameters "
     "stay settable, the daemon reconnects when it returns); xruns JACK reported; late: periods the "
     "daemon itself took longer than a period to process; dsp_max: its longest processing since the "
     "last /engine/status, in percent of a period; frames rendered; times the server came back; 1 while "
     "JACK freewheels.  Feedback clients get it whenever the state changes."},
    /* implemented in session_osc.c, bound with osc_add_command */
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
    {"/ch/<n>/preset/save", CMD_EXT, "s:name",
     "Saves channel n's processing (filters, gate, EQ, dynamics; not routing, fader, mute or name) as "
     "strip preset name, a file name.preset beside the scenes, replaced atomically; replies "
     "/ch/<n>/preset/save s:name.  Names as for scenes."},
    {"/ch/<n>/preset/load", CMD_EXT, "s:name",
     "Loads channel preset name onto channel n (its linked partner follows); a bus preset, a bad or "
     "damaged file gets /error and changes nothing.  Replies /ch/<n>/preset/load s:name."},
    {"/bus/<a>/preset/save", CMD_EXT, "s:name",
     "Saves bus a's processing (its EQ, dynamics and effect settings; not routing, fader, mute or name) "
     "as preset name; replies /bus/<a>/preset/save s:name."},
    {"/bus/<a>/preset/load", CMD_EXT, "s:name",
     "Loads bus preset name onto bus a; a channel preset gets /error and changes nothing.  Replies "
     "/bus/<a>/preset/load s:name."},
    {"/preset/list", CMD_EXT, "", "Replies /preset/list s:name ... (sorted; 100 names a message)."},
    {"/preset/delete", CMD_EXT, "s:name", "Deletes preset name; replies /preset/delete s:name."},
    /* implemented in patch_osc.c, bound with osc_add_command */
    {"/jack/ports", CMD_EXT, "[s:pattern]",
     "Lists the JACK ports whose full name matches pattern (a glob, e.g. system:*; default all): one "
     "/jack/ports s:name s:direction (in or out) s:type (audio, midi) i:ours (1: a port of this console) "
     "per port, then /jack/ports/done i:count."},
    {"/jack/connections", CMD_EXT, "[s:port]",
     "Lists the connections of this console's ports (of port only, ours or a peer, if given): one "
     "/jack/connections s:from s:to s:state per connection, from an output to an input; state is wanted "
     "(asked for: saved with the state, kept when the peer goes away and made again when it returns), "
     "other (made by another program, e.g. a patchbay, jack_connect or a player connecting itself: saved "
     "while the peer is there, forgotten when the peer's client goes away while the JACK server stays) "
     "or pending (saved, waiting for the peer to appear); then /jack/connections/done i:count."},
    {"/jack/connect", CMD_EXT, "s:from s:to",
     "Connects output port from to input port to, of the same type, one of them a port of this console "
     "(by its short name, e.g. in_1, or full name); the connection is wanted: saved with the state, and "
     "made again when the peer returns.  Connecting a pair another client connected keeps it.  Replies "
     "/jack/connect s:from s:to; bad names, two foreign or two own ports, a wrong direction or type get "
     "/error and change nothing."},
    {"/jack/disconnect", CMD_EXT, "s:from s:to",
     "Breaks the connection from -> to (one end ours) and forgets it; a pending one (its peer away) is "
     "forgotten too.  Replies /jack/disconnect s:from s:to."},
    {"/jack/keep", CMD_EXT, "[s:port]",
     "Makes the connections other programs made to this console's ports (to port only, if given; e.g. "
     "a player that connects itself) wanted: kept when their client goes away, made again when it "
     "returns.  Replies /jack/keep i:count (those that were not wanted yet)."},
    /* implemented in playback_osc.c, bound with osc_add_command */
    {"/playback/load", CMD_EXT, "s:take",
     "Virtual soundcheck: loads a take's stems from the record directory (take: its name as "
     "/record/start gave it, or its master's file name): NAME.stems.wav/.flac with a channel per input "
     "lane, or NAME.ch01.wav ... one per channel.  They must fit the console (lanes, mono or stereo "
     "channels, sample rate), else /error says why and nothing changes.  Stops, and parks at 0 s. "
     "Channels hear it with /ch/<n>/source playback.  Replies /playback/load with the arguments of "
     "/playback/status."},
    {"/playback/start", CMD_EXT, "",
     "Plays the loaded take from its position into the channels on playback; frames the disk could "
     "not deliver in time play as silence and are counted.  Replies /playback/start with the "
     "arguments of /playback/status."},
    {"/playback/stop", CMD_EXT, "",
     "Stops (pauses) where it is.  Replies /playback/stop with the arguments of /playback/status."},
    {"/playback/locate", CMD_EXT, "f:seconds",
     "Moves to seconds from the take's start (read ahead again from there).  Replies /playback/locate "
     "with the arguments of /playback/status."},
    {"/playback/status", CMD_EXT, "",
     "Replies /playback/status s:take (\"\" none) i:playing f:position_s f:length_s h:underrun_frames "
     "i:blocks_read_ahead."},
    /* implemented in recorder_osc.c, bound with osc_add_command */
    {"/record/start", CMD_EXT, "[s:name]",
     "Starts recording the master (after the limiter), and with --record-stems every channel after its "
     "trim, to the record directory, --preroll seconds back; "
     "name: 1-64 of A-Z a-z 0-9 . _ - not starting with a dot (default master-<local time of the first "
     "sample>), never overwriting (-2, -3 ... added).  Replies /record/start with the arguments of "
     "/record/status for the new take: active 1, its file as named (\"\" for the default name; a -2 "
     "added or the time in the name show when the file is open), 0 seconds and frames, loudness -120; "
     "feedback clients get /record/status when the file is open and every second while "
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
     "is as long as the master file, with the same silence for lost frames).  A full disk or an I/O error "
     "ends a take by itself: feedback clients "
     "then get /error s:/record/status s:reason and the final /record/status."},
    {"/record/format", CMD_EXT, "[s:wav|flac] [s:16|24|32f]",
     "Sets the format of the next take and its stems (FLAC: 16 or 24 only, and at most 8 channels a file, "
     "so not with multi stems of more than 8 input lanes); replies /record/format s:format s:bits."},
    /* implemented in automation_osc.c, bound with osc_add_command */
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
    /* implemented in curve_osc.c, bound with osc_add_command */
    {"/ch/<n>/eq/response", CMD_EXT, "",
     "Replies /ch/<n>/eq/response f:lo_hz f:hi_hz f:db ...: the magnitude response of channel n's high-pass "
     "(when on) and EQ (when on), in dB, at 64 frequencies log-spaced from lo_hz (20) to hi_hz (20000) "
     "inclusive, f_i = lo_hz * (hi_hz / lo_hz)^(i / 63), i = 0 .. 63 (the number of dB values is the "
     "number of points).  Computed on request from the current values with the audio thread's own filter "
     "design at the current sample rate: the filter once its smoothing has settled.  A frequency above "
     "half the sample rate shows the value there."},
    {"/master/eq/response", CMD_EXT, "",
     "Replies /master/eq/response f:lo_hz f:hi_hz f:db ...: the master EQ's magnitude response, as "
     "/ch/<n>/eq/response."},
    {"/ch/<n>/dyn/curve", CMD_EXT, "",
     "Replies /ch/<n>/dyn/curve f:lo_db f:hi_db f:out_db ...: channel n's compressor static curve, the "
     "output level in dBFS (make-up included) for 81 input peak levels from lo_db (-80) to hi_db (0) dBFS "
     "in 1 dB steps; the identity while the compressor is out."},
    {"/master/comp/curve", CMD_EXT, "",
     "Replies /master/comp/curve f:lo_db f:hi_db f:out_db ...: the master glue compressor's static curve, "
     "as /ch/<n>/dyn/curve."},
    /* implemented in midi_osc.c, bound with osc_add_command */
    {"/midi/learn", CMD_EXT, "[s:path] [s:options]",
     "Maps the next MIDI control that moves on midi_in (CC, 14-bit CC pair, note or pitch bend) to the "
     "parameter path, replacing the mappings of that control and of that path in the current bank; options "
     "as in the mapping file (e.g. \"pickup range -60 6\").  Replies /midi/learn s:path at once; when a "
     "control "
     "was learned, feedback clients get /midi/learned s:path s:mapping and the mapping file is saved.  "
     "Without arguments: stop learning.  Not with --mcu."},
    {"/midi/forget", CMD_EXT, "s:path",
     "Removes every MIDI mapping of path (all: every mapping) and saves the mapping file; replies "
     "/midi/forget s:path i:removed."},
    {"/midi/map", CMD_EXT, "", "Replies /midi/map s:mapping ... (the mapping file's lines; 32 a message)."},
};
const unsigned osc_route_ncommands = sizeof osc_route_commands / sizeof osc_route_commands[0];

/* ------------------------------------------------------------------ */
/* Path patterns from the table                                        */

static uint32_t osc_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
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
void osc_route_for_each_address(void (*fn)(void *ctx, const char *tmpl, unsigned id, unsigned form),
                                void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
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
			if (param_continuous((enum param_id)id)) {
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
	params_path_key(tmpl, strlen(tmpl), key, sizeof key);
	if (osc_route_add(rc->o, key, CMD_NONE, id, form) < 0)
		rc->failed = 1;
}

int osc_route_build(struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc_route_ctx rc = {o, 0};
	osc_route_for_each_address(osc_route_cb, &rc);
	/* a command row may be a template (/ch/<n>/eq/response): its key
	 * is hashed like a parameter's, and id is the row */
	for (unsigned i = 0; i < osc_route_ncommands; i++) {
		char key[OSC_PATH_MAX];
		const char *path = osc_route_commands[i].path;
		params_path_key(path, strlen(path), key, sizeof key);
		if (osc_route_add(o, key, osc_route_commands[i].cmd, i, 0) < 0)
			rc.failed = 1;
	}
	return rc.failed ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Resolving a concrete path                                           */

/* Concrete path -> route and zero-based indices, or an error reason. */
const struct osc_route *osc_route_resolve(const struct osc *o, const char *path, unsigned *i1, unsigned *i2,
                                          const char **why)
{
	ASSERT_ROLE(ROLE_CONTROL);
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
	/* the numbers stand in the template's order; the codec maps them to
	 * indices and checks them against the console */
	unsigned slots[PARAMS_SLOTS];
	char range[80];
	if (params_path_slots(param_table[r->id].path, num, nnum, slots) < 0 ||
	    params_path_index((enum param_id)r->id, slots, &o->shape, i1, i2, range, sizeof range) < 0) {
		*why = "index out of range";
		return NULL;
	}
	return r;
}
