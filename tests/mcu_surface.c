/*
 * mcu_surface.c - a simulated Mackie Control surface for midi-mcu.sh: a
 * JACK MIDI client (midi_peer.h) that plays the surface's side of the
 * protocol against a running `jackmixd --mcu` and checks every reply.
 *
 *   mcu_surface -n NAME -d DAEMON -p OSC_PORT -s SCENE_DIR
 *
 * The daemon must have 12 mono channels and 2 buses.  The surface connects
 * itself (NAME:out -> DAEMON:midi_in, DAEMON:midi_out -> NAME_rx:in,
 * NAME:dc -> DAEMON:in_1).  Every message the daemon sends is validated
 * against the protocol byte by byte (status, lengths, ranges, SysEx
 * header, LCD offsets and characters, LED velocities, ring and meter
 * encodings) and applied to an emulated surface (fader positions, LEDs,
 * rings, the 112-character LCD, meters), as a real surface would.  The
 * scenario then checks, with values computed here from the X32 fader law
 * and the protocol's definitions:
 *   initial state after connecting; touch + fader move (applied, no
 *   position sent while touched, exactly one on release); a fader without
 *   touch (no echo); OSC -> motor fader (exact bytes); mute, solo and
 *   select buttons and LEDs; V-pot pan with ring and LCD value; V-pot
 *   push; names on the scribble strip (exact SysEx); meters from a DC
 *   level; banking by 8 and by 1 (names, faders, no feedback from channels
 *   out of view); SEND mode (bus cycling, ring fill, pre/post on push);
 *   the master fader; a scene recall moving the motor faders; values
 *   that move by themselves moving the motor faders: a timed move, a
 *   recall with a fade and an automation lane playing while the JACK
 *   transport rolls (at least ONWAY positions strictly between start and
 *   end, never going back, ending on exactly the end's position), a
 *   touched fader left alone while a move runs under it and told the end
 *   exactly once on release; a fader touch as an automation touch (a
 *   touch-mode lane of -20 dB on channel 5, transport rolling): touched,
 *   moved to -6 dB and held still for HOLD_MS (three times the implied
 *   touch's 500 ms) /ch/5/fader/db stays at the fader's value and the
 *   motor is sent nothing; released, the lane takes over again along its
 *   glide (the motor is told its own position, then follows the lane
 *   down to exactly -20 dB; the 20 ms glide fits in one period here); a
 *   bank switch and a disconnected surface end a held touch the same way
 *   (the lane is back; the finger's late release changes nothing); in
 *   read mode a touch changes nothing (the lane is shown and heard
 *   throughout).
 *
 *   -s DIR is the daemon's scene directory (the lane is written into a
 *   saved scene there).
 * Exit status 0 when everything held, 1 otherwise (file:line for each
 * failure), or 3 when something failed but JACK reported an xrun during
 * the run (lost MIDI, and the daemon's refresh after it): run it again.
 *
 * Threads: main, and the JACK process callbacks of midi_peer.h.
 */
#include <getopt.h>
#include <jack/transport.h>
#include <math.h>

#include "midi_peer.h"
#include "test_util.h"

#define STRIPS 8

static struct peer P;
static const char *daemon_name, *scene_dir;

/* ---- the emulated surface ---------------------------------------------- */

static struct {
	int fader[9];
	unsigned fader_msgs[9];
	int led[128];
	int ring[STRIPS];
	char lcd[113];
	int meter[STRIPS];
	unsigned meter_msgs[STRIPS];
	unsigned lcd_msgs;
	unsigned violations;
} S;

static void violation(const struct peer_msg *m, const char *why)
{
	char t[1024];
	peer_format(m->data, m->len, t, sizeof t);
	fprintf(stderr, "mcu_surface: protocol violation (%s): %s\n", why, t);
	S.violations++;
}

/* Validate one message from the daemon and apply it. */
static void surface_apply(const struct peer_msg *m)
{
	const uint8_t *d = m->data;
	uint8_t st = d[0] & 0xF0, ch = d[0] & 0x0F;
	if (m->len < 2 || d[0] < 0x80) {
		violation(m, "not a message");
		return;
	}
	for (unsigned i = 1; i + 1 < m->len; i++)
		if (d[i] & 0x80) {
			violation(m, "data byte >= 0x80");
			return;
		}
	switch (st) {
	case 0xE0:
		if (m->len != 3 || ch > 8 || (d[2] & 0x80))
			violation(m, "fader: E0-E8 LSB MSB");
		else {
			S.fader[ch] = d[1] | d[2] << 7;
			S.fader_msgs[ch]++;
		}
		return;
	case 0x90:
		if (m->len != 3 || ch != 0)
			violation(m, "LED: 90 note velocity");
		else if (d[2] != 0 && d[2] != 1 && d[2] != 127)
			violation(m, "LED velocity not 0, 1 or 127");
		else if (!((d[1] >= 0x08 && d[1] <= 0x1F) || d[1] == 0x29 || d[1] == 0x2A))
			violation(m, "LED of a button the console does not drive");
		else
			S.led[d[1]] = d[2];
		return;
	case 0xB0:
		if (m->len != 3 || ch != 0 || d[1] < 0x30 || d[1] > 0x37)
			violation(m, "only V-pot rings (B0 30-37) expected");
		else if ((d[2] & 0x0F) > 11)
			violation(m, "ring position > 11");
		else
			S.ring[d[1] - 0x30] = d[2];
		return;
	case 0xD0:
		if (m->len != 2 || ch != 0 || (d[1] >> 4) > 7 || ((d[1] & 15) > 12 && (d[1] & 15) < 14))
			violation(m, "meter: D0 strip<<4|level");
		else {
			S.meter[d[1] >> 4] = d[1] & 15;
			S.meter_msgs[d[1] >> 4]++;
		}
		return;
	case 0xF0: {
		static const uint8_t head[6] = {0xF0, 0x00, 0x00, 0x66, 0x14, 0x12};
		if (m->len < 9 || memcmp(d, head, 6) || d[m->len - 1] != 0xF7) {
			violation(m, "SysEx: only F0 00 00 66 14 12 OFFSET TEXT F7");
			return;
		}
		unsigned off = d[6], n = m->len - 8;
		if (off + n > 112) {
			violation(m, "LCD text past 112 characters");
			return;
		}
		for (unsigned i = 0; i < n; i++)
			if (d[7 + i] < 0x20 || d[7 + i] > 0x7E) {
				violation(m, "LCD character not printable ASCII");
				return;
			}
		memcpy(S.lcd + off, d + 7, n);
		S.lcd_msgs++;
		return;
	}
	default:
		violation(m, "unexpected status");
	}
}

/* Apply everything that arrives for ms milliseconds. */
static void pump(long ms)
{
	struct peer_msg m;
	long end = peer_now_ms() + ms;
	for (;;) {
		long left = end - peer_now_ms();
		if (!peer_recv(&P, &m, left > 0 ? left : 0))
			return;
		surface_apply(&m);
	}
}

/* Apply messages until pred() holds or timeout: 1 if it holds. */
static int wait_for(int (*pred)(const void *), const void *arg, long ms)
{
	struct peer_msg m;
	long end = peer_now_ms() + ms;
	while (!pred(arg)) {
		long left = end - peer_now_ms();
		if (left <= 0 || !peer_recv(&P, &m, left))
			return pred(arg);
		surface_apply(&m);
	}
	return 1;
}

/* Until one message equal to bytes arrives (applying all). */
static int expect_msg(const uint8_t *b, size_t len, long ms)
{
	struct peer_msg m;
	long end = peer_now_ms() + ms;
	for (;;) {
		long left = end - peer_now_ms();
		if (left <= 0 || !peer_recv(&P, &m, left))
			return 0;
		surface_apply(&m);
		if (m.len == len && !memcmp(m.data, b, len))
			return 1;
	}
}

#define EXPECT3(a, b, c, what)                                                                               \
	do {                                                                                                 \
		uint8_t e_[3] = {(a), (b), (c)};                                                             \
		CHECK(expect_msg(e_, 3, 2000), "%s: no %02X %02X %02X from the daemon", what, e_[0], e_[1],  \
		      e_[2]);                                                                                \
	} while (0)

struct lcd_want {
	unsigned off;
	const char *text;
};

static int lcd_is(const void *arg)
{
	const struct lcd_want *w = arg;
	return !memcmp(S.lcd + w->off, w->text, strlen(w->text));
}

struct int_want {
	const int *p;
	int v;
};

static int int_is(const void *arg)
{
	const struct int_want *w = arg;
	return *w->p == w->v;
}

static int wait_int(const int *p, int v, long ms)
{
	struct int_want w = {p, v};
	return wait_for(int_is, &w, ms);
}

static int wait_lcd(unsigned off, const char *text, long ms)
{
	struct lcd_want w = {off, text};
	return wait_for(lcd_is, &w, ms);
}

/* ---- laws, from their definitions ------------------------------------- */

static int raw_of_db(double db)
{
	return (int)lround(x32_from_db(db) * 16383);
}

/* The 7-character cell the protocol description promises: text, cut to
 * 6, padded with spaces. */
static void cell(char out[8], const char *t)
{
	memset(out, ' ', 7);
	out[7] = 0;
	memcpy(out, t, strlen(t) > 6 ? 6 : strlen(t));
}

static double get(const char *path)
{
	return peer_osc_getf(&P, path);
}

static void osc_s(const char *path, const char *s)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, s);
	peer_osc_send(&P, path, m);
	lo_message_free(m);
}

static void osc_i(const char *path, int v)
{
	lo_message m = lo_message_new();
	lo_message_add_int32(m, v);
	peer_osc_send(&P, path, m);
	lo_message_free(m);
}

static void press(uint8_t note)
{
	peer_send3(&P, 0x90, note, 0x7F);
	peer_send3(&P, 0x90, note, 0x00);
}

static void pb(unsigned f, int raw)
{
	peer_send3(&P, (uint8_t)(0xE0 | f), (uint8_t)(raw & 127), (uint8_t)(raw >> 7));
}

/* Positions of fader f from the daemon until it is told to: every one
 * before lies strictly between from and to and none goes back; at least
 * min of them.  1 if all that held. */
#define ONWAY 5 /* see midi-map.sh: 5 of up to ~70 a 1 s move can show */
static int follow_fader(unsigned f, int from, int to, unsigned min, long ms, const char *what)
{
	struct peer_msg m;
	long end = peer_now_ms() + ms, dir = to > from ? 1 : -1;
	int prev = from;
	unsigned n = 0;
	for (;;) {
		long left = end - peer_now_ms();
		if (left <= 0 || !peer_recv(&P, &m, left)) {
			CHECK(0, "%s: fader %u never reached %d (%u positions on the way, at %d)", what,
			      f + 1, to, n, S.fader[f]);
			return 0;
		}
		surface_apply(&m);
		if (m.len != 3 || m.data[0] != (0xE0 | f))
			continue;
		int v = m.data[1] | m.data[2] << 7;
		if (v == to)
			break;
		if ((long)(v - from) * dir <= 0 || (long)(to - v) * dir <= 0 || (long)(v - prev) * dir < 0) {
			CHECK(0, "%s: fader %u at %d after %d: not on the way from %d to %d", what, f + 1, v,
			      prev, from, to);
			return 0;
		}
		prev = v;
		n++;
	}
	printf("mcu_surface: %s: %u positions on the way from %d to %d\n", what, n, from, to);
	CHECK(n >= min, "%s: %u positions on the way from %d to %d, want at least %u", what, n, from, to,
	      min);
	return n >= min;
}

static void osc_ff(const char *path, float v, float ms)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	lo_message_add_float(m, ms);
	peer_osc_send(&P, path, m);
	lo_message_free(m);
}

/* /snapshot/save or /snapshot/load NAME [fade]: the reply names it. */
static void scene(const char *cmd, const char *name, float fade_ms)
{
	char want[160];
	lo_message m = lo_message_new();
	lo_message_add_string(m, name);
	if (fade_ms > 0)
		lo_message_add_float(m, fade_ms);
	peer_osc_send(&P, cmd, m);
	lo_message_free(m);
	snprintf(want, sizeof want, "%s %s", cmd, name);
	CHECK(peer_osc_wait(&P, cmd, 2000) && !strcmp(P.reply, want), "%s: %s", want, P.reply);
}

static void transport_locate(jack_nframes_t f)
{
	jack_position_t pos;
	long end = peer_now_ms() + 3000;
	jack_transport_locate(P.tx, f);
	while (jack_transport_query(P.tx, &pos), pos.frame != f && peer_now_ms() < end)
		usleep(2000);
	CHECK(pos.frame == f, "transport at %u, want %u", pos.frame, f);
}

/* Save scene name, then append lines (lanes) to its file. */
static void scene_with(const char *name, const char *lines)
{
	char path[600];
	scene("/snapshot/save", name, 0);
	snprintf(path, sizeof path, "%s/%s.scene", scene_dir, name);
	/* the saved scene without its end line, then the lines */
	FILE *f = fopen(path, "r");
	static char text[1 << 20];
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	char *e = strstr(text, "\nend");
	CHECK(n > 0 && e, "read %s", path);
	if (e)
		e[1] = 0;
	f = fopen(path, "w");
	CHECK(f != NULL, "rewrite %s", path);
	if (f) {
		fprintf(f, "%s%send\n", text, lines);
		fclose(f);
	}
}

/* Values that move by themselves move the motor faders. */
static void moving(void)
{
	int r40 = raw_of_db(-40), r20 = raw_of_db(-20), r0 = raw_of_db(0), r30 = raw_of_db(-30);

	/* a timed move on channel 3 (strip 3): -20 -> 0 dB over 1 s */
	peer_osc_setf(&P, "/ch/3/fader/db", -20.0f);
	CHECK(wait_int(&S.fader[2], r20, 2000), "fader 3 at -20 dB");
	pump(200);
	osc_ff("/ch/3/fader/db", 0.0f, 1000.0f);
	follow_fader(2, r20, r0, ONWAY, 5000, "timed move");

	/* a touched fader is left alone while a move runs under it, and is
	 * told the end once on release */
	unsigned before = S.fader_msgs[2];
	peer_send3(&P, 0x90, 0x6A, 0x7F);
	pump(100);
	osc_ff("/ch/3/fader/db", -30.0f, 600.0f);
	pump(700);
	/* the query shows the audio's value: -30 exactly once it arrived */
	for (long end = peer_now_ms() + 5000; get("/ch/3/fader/db") != -30.0 && peer_now_ms() < end;)
		pump(50);
	CHECK(S.fader_msgs[2] == before, "no position to a touched fader while it moves (%u sent)",
	      S.fader_msgs[2] - before);
	peer_send3(&P, 0x90, 0x6A, 0x00);
	EXPECT3(0xE2, (uint8_t)(r30 & 127), (uint8_t)(r30 >> 7), "release after the move: told where it is");
	pump(300);
	CHECK(S.fader_msgs[2] == before + 1, "exactly one position after release, got %u",
	      S.fader_msgs[2] - before);

	/* a recall with a fade: channel 3 back to 0 dB over 1 s */
	peer_osc_setf(&P, "/ch/3/fader/db", 0.0f);
	CHECK(wait_int(&S.fader[2], r0, 2000), "fader 3 at 0 dB");
	scene("/snapshot/save", "mcufade", 0);
	peer_osc_setf(&P, "/ch/3/fader/db", -40.0f);
	CHECK(wait_int(&S.fader[2], r40, 2000), "fader 3 at -40 dB");
	pump(200);
	scene("/snapshot/load", "mcufade", 1000.0f);
	follow_fader(2, r40, r0, ONWAY, 5000, "recall with a fade");

	/* an automation lane on channel 4 (strip 4): -40 dB at frame 0, 0 dB
	 * one second later; read mode, the transport rolls */
	peer_osc_setf(&P, "/ch/4/fader/db", -40.0f);
	CHECK(wait_int(&S.fader[3], r40, 2000), "fader 4 at -40 dB");
	transport_locate(0);
	scene_with("mculane", "/automation/rate 48000\n/ch/4/fader/auto read\n"
	                      "/ch/4/fader/auto/point 0 -40\n/ch/4/fader/auto/point 48000 0\n");
	scene("/snapshot/load", "mculane", 0);
	before = S.fader_msgs[3];
	pump(300);
	CHECK(S.fader_msgs[3] == before, "the lane at its start: fader 4 stays (%u sent)",
	      S.fader_msgs[3] - before);
	jack_transport_start(P.tx);
	follow_fader(3, r40, r0, ONWAY, 5000, "lane playing");
	jack_transport_stop(P.tx);
	before = S.fader_msgs[3];
	osc_s("/ch/4/fader/auto", "off");
	pump(400);
	CHECK(S.fader_msgs[3] == before, "the lane off: fader 4 stays (%u sent)", S.fader_msgs[3] - before);
	/* 0 whether the model has caught up yet or the lane's end is shown */
	CHECK_NEAR(get("/ch/4/fader/db"), 0.0, 0.001, "the lane off: /ch/4 stays where it played");
}

/* ---- fader touch as automation touch ------------------------------------ */

/* Held still this long: three implied touches (AUTOMATION_IMPLICIT_MS,
 * 500 ms) would have ended, so only the surface's touch can keep it. */
#define HOLD_MS 1500
/* A value from the fader (14 bits, X32 law: at most 40 dB / 16383 =
 * 0.0025 dB from its dB value) and from a lane through float OSC. */
#define DB_TOL 0.01

/* /ch/5/fader/db (what the audio thread has while automation drives it)
 * until it is near db, or ms pass: the last value read. */
static double wait_db(const char *path, double db, long ms)
{
	double v = get(path);
	for (long end = peer_now_ms() + ms; fabs(v - db) > DB_TOL && peer_now_ms() < end;) {
		pump(50);
		v = get(path);
	}
	return v;
}

static void touch_lanes(void)
{
	const char *p5 = "/ch/5/fader/db";
	int r20 = raw_of_db(-20), r6 = raw_of_db(-6);
	double held = x32_to_db(r6 / 16383.0), v;
	char a[160], b[160];

	/* channel 5 (strip 5) at -20 dB, a touch-mode lane of -20 dB for ten
	 * minutes (beyond anything this test can roll) */
	jack_transport_stop(P.tx);
	peer_osc_setf(&P, p5, -20.0f);
	CHECK(wait_int(&S.fader[4], r20, 2000), "fader 5 at -20 dB");
	scene_with("mcutouch", "/automation/rate 48000\n/ch/5/fader/auto touch\n"
	                       "/ch/5/fader/auto/point 0 -20\n/ch/5/fader/auto/point 28800000 -20\n");
	scene("/snapshot/load", "mcutouch", 0);
	transport_locate(0);
	jack_transport_start(P.tx);
	pump(300);

	/* touched, moved to -6 dB, held still */
	unsigned before = S.fader_msgs[4];
	peer_send3(&P, 0x90, 0x6C, 0x7F);
	pb(4, r6);
	pump(HOLD_MS);
	v = get(p5);
	printf("mcu_surface: touch held %d ms: /ch/5/fader/db %.4f (fader %.4f, lane -20)\n", HOLD_MS, v,
	       held);
	CHECK(fabs(v - held) <= DB_TOL,
	      "touched and still for %d ms: %.4f dB, want the fader's %.4f (not the lane's -20)", HOLD_MS, v,
	      held);
	CHECK(S.fader_msgs[4] == before, "no position to the held fader (%u sent)", S.fader_msgs[4] - before);
	/* released: the lane glides back, the motor follows it down */
	peer_send3(&P, 0x90, 0x6C, 0x00);
	{
		/* first its own position (what it showed when let go), then
		 * the glide: never up, never past the lane, ending on it */
		struct peer_msg m;
		int prev = r6, n = 0, bad = 0;
		for (long end = peer_now_ms() + 5000; prev != r20 && peer_now_ms() < end;) {
			if (!peer_recv(&P, &m, end - peer_now_ms()))
				break;
			surface_apply(&m);
			if (m.len != 3 || m.data[0] != 0xE4)
				continue;
			int r = m.data[1] | m.data[2] << 7;
			bad |= r > prev || r < r20;
			prev = r;
			n++;
		}
		printf("mcu_surface: released: %d positions from %d to %d\n", n, r6, prev);
		CHECK(prev == r20 && !bad, "released: fader 5 glides down to the lane's %d (at %d, %s)", r20,
		      prev, bad ? "out of order" : "in order");
	}
	CHECK_NEAR(wait_db(p5, -20, 2000), -20, DB_TOL, "released: /ch/5 on the lane");

	/* a bank switch while touched ends the touch: the lane is back */
	peer_send3(&P, 0x90, 0x6C, 0x7F);
	pb(4, r6);
	pump(300);
	CHECK_NEAR(get(p5), held, DB_TOL, "touched again: the fader's value");
	press(0x31); /* channel right: strip 5 is channel 6 now */
	CHECK(wait_lcd(0, "?berba ", 2000), "channel right: '%.7s'", S.lcd);
	v = wait_db(p5, -20, 3000);
	CHECK(fabs(v + 20) <= DB_TOL, "bank switch while touched: the lane took over (%.4f dB)", v);
	peer_send3(&P, 0x90, 0x6C, 0x00); /* the finger's release, late */
	pump(300);
	CHECK_NEAR(get(p5), -20, DB_TOL, "the late release changes nothing");
	press(0x30);
	CHECK(wait_lcd(0, "Kick   ", 2000), "channel left: '%.7s'", S.lcd);

	/* the surface disconnected while touched: the touch ends */
	peer_send3(&P, 0x90, 0x6C, 0x7F);
	pb(4, r6);
	pump(300);
	CHECK_NEAR(get(p5), held, DB_TOL, "touched once more: the fader's value");
	snprintf(a, sizeof a, "%s:out", jack_get_client_name(P.tx));
	snprintf(b, sizeof b, "%s:midi_in", daemon_name);
	CHECK(jack_disconnect(P.tx, a, b) == 0, "disconnect %s -> %s", a, b);
	v = wait_db(p5, -20, 3000);
	CHECK(fabs(v + 20) <= DB_TOL, "surface gone while touched: the lane took over (%.4f dB)", v);
	CHECK(peer_connect(&P, a, b) == 0, "reconnect %s -> %s", a, b);
	pump(500); /* the daemon refreshes the surface */
	peer_send3(&P, 0x90, 0x6C, 0x00);
	pump(200);

	/* read mode: a touch changes nothing, what is shown is the lane */
	osc_s("/ch/5/fader/auto", "read");
	pump(300);
	CHECK_NEAR(get(p5), -20, DB_TOL, "read mode: the lane");
	before = S.fader_msgs[4];
	peer_send3(&P, 0x90, 0x6C, 0x7F);
	pb(4, r6);
	pump(HOLD_MS);
	v = get(p5);
	CHECK(fabs(v + 20) <= DB_TOL, "read mode, touched and moved: the lane (%.4f dB), not the fader", v);
	peer_send3(&P, 0x90, 0x6C, 0x00);
	EXPECT3(0xE4, (uint8_t)(r20 & 127), (uint8_t)(r20 >> 7),
	        "read mode, released: told the lane's -20 dB");
	pump(300);
	CHECK(S.fader_msgs[4] == before + 1, "read mode: one position, on release (%u)",
	      S.fader_msgs[4] - before);
	CHECK_NEAR(get(p5), -20, DB_TOL, "read mode, released: the lane");
	jack_transport_stop(P.tx);
	osc_s("/ch/5/fader/auto", "off");
	pump(300);
}

/* ---- the scenario ------------------------------------------------------- */

static void scenario(void)
{
	char c[8];
	int raw0 = raw_of_db(0);

	/* 1. connected: the surface is told everything */
	CHECK(wait_lcd(0, "Ch 1   Ch 2   Ch 3   Ch 4   Ch 5   Ch 6   Ch 7   Ch 8   ", 5000),
	      "upper LCD line after connecting: '%.56s'", S.lcd);
	pump(300);
	for (unsigned f = 0; f < 9; f++)
		CHECK(S.fader[f] == raw0, "fader %u at 0 dB = %d, got %d", f, raw0, S.fader[f]);
	for (unsigned s = 0; s < STRIPS; s++) {
		cell(c, "C");
		CHECK(!memcmp(S.lcd + 56 + 7 * s, c, 7), "lower cell %u '%.7s'", s, S.lcd + 56 + 7 * s);
		CHECK(S.ring[s] == 1 + 5, "ring %u: pan 0.5 = dot 6, got 0x%02X", s, S.ring[s]);
		CHECK(S.led[0x08 + s] == 0 && S.led[0x10 + s] == 0 && S.led[0x18 + s] == 0,
		      "strip %u LEDs off", s);
	}
	CHECK(S.led[0x2A] == 127 && S.led[0x29] == 0, "PAN LED on, SEND off");

	/* 2. touch, move, release */
	unsigned before = S.fader_msgs[0];
	peer_send3(&P, 0x90, 0x68, 0x7F);
	for (int raw = 12000; raw >= 8192; raw -= 1000)
		pb(0, raw > 8192 && raw < 9192 ? 8192 : raw);
	pb(0, 8192);
	pump(300);
	CHECK_NEAR(get("/ch/1/fader/db"), x32_to_db(8192 / 16383.0), 0.01,
	           "touched fader 1 -> /ch/1/fader/db");
	CHECK(S.fader_msgs[0] == before, "no position sent to a touched fader (%u sent)",
	      S.fader_msgs[0] - before);
	peer_osc_setf(&P, "/ch/1/fader/db", -5.0f); /* OSC moves it under the finger */
	pump(300);
	CHECK(S.fader_msgs[0] == before, "still no position while touched (%u sent)",
	      S.fader_msgs[0] - before);
	peer_send3(&P, 0x90, 0x68, 0x00);
	int r = raw_of_db(-5);
	EXPECT3(0xE0, (uint8_t)(r & 127), (uint8_t)(r >> 7), "release: the fader is told where it should be");
	pump(300);
	CHECK(S.fader_msgs[0] == before + 1, "exactly one position after release, got %u",
	      S.fader_msgs[0] - before);
	/* the same without anything in between: its own position, once */
	peer_send3(&P, 0x90, 0x68, 0x7F);
	pb(0, 8192);
	pump(200);
	peer_send3(&P, 0x90, 0x68, 0x00);
	EXPECT3(0xE0, 0x00, 0x40, "release: the fader is told its own position (8192)");
	pump(300);
	CHECK(S.fader_msgs[0] == before + 2, "one position per release, got %u", S.fader_msgs[0] - before);

	/* 3. a fader that does not report touch: applied, never echoed */
	before = S.fader_msgs[1];
	pb(1, 4096);
	pump(400);
	CHECK_NEAR(get("/ch/2/fader/db"), x32_to_db(4096 / 16383.0), 0.01, "fader 2 without touch");
	CHECK(S.fader_msgs[1] == before, "no echo to fader 2 (%u sent)", S.fader_msgs[1] - before);

	/* 4. OSC moves a motor fader: exact bytes */
	peer_osc_setf(&P, "/ch/3/fader/db", -20.0f);
	r = raw_of_db(-20);
	EXPECT3(0xE2, (uint8_t)(r & 127), (uint8_t)(r >> 7), "OSC -20 dB -> fader 3");

	/* 5. mute and solo buttons, LEDs both ways */
	press(0x11);
	EXPECT3(0x90, 0x11, 0x7F, "mute 2 LED on");
	CHECK(get("/ch/2/mute") == 1, "mute 2 pressed -> /ch/2/mute 1");
	press(0x11);
	EXPECT3(0x90, 0x11, 0x00, "mute 2 LED off");
	CHECK(get("/ch/2/mute") == 0, "mute 2 again -> 0");
	press(0x0B);
	EXPECT3(0x90, 0x0B, 0x7F, "solo 4 LED");
	CHECK(get("/ch/4/solo") == 1, "solo 4 -> /ch/4/solo 1");
	osc_i("/ch/5/mute", 1);
	EXPECT3(0x90, 0x14, 0x7F, "OSC mute 5 -> LED");

	/* 6. select: one channel at a time */
	press(0x1A);
	EXPECT3(0x90, 0x1A, 0x7F, "select 3");
	press(0x1B);
	CHECK(wait_int(&S.led[0x1B], 127, 2000) && wait_int(&S.led[0x1A], 0, 2000), "select 4 moves the LED");

	/* 7. V-pot pan: ring and value on the LCD */
	peer_send3(&P, 0xB0, 0x10, 0x0A); /* 10 ticks clockwise */
	EXPECT3(0xB0, 0x30, 1 + 6, "pan 0.6 -> ring dot 7");
	CHECK_NEAR(get("/ch/1/pan"), 0.6, 1e-4, "V-pot 1 +10 ticks");
	cell(c, "R20");
	CHECK(wait_lcd(56, c, 2000), "lower cell 1 '%.7s', want '%s'", S.lcd + 56, c);
	peer_send3(&P, 0xB0, 0x10, 0x40 | 0x1E); /* 30 counter-clockwise */
	EXPECT3(0xB0, 0x30, 1 + 3, "pan 0.3 -> ring dot 4");
	CHECK_NEAR(get("/ch/1/pan"), 0.3, 1e-4, "V-pot 1 -30 ticks");
	cell(c, "L40");
	CHECK(wait_lcd(56, c, 2000), "lower cell 1 '%.7s', want '%s'", S.lcd + 56, c);
	press(0x20);
	EXPECT3(0xB0, 0x30, 1 + 5, "V-pot push centres the pan");
	CHECK_NEAR(get("/ch/1/pan"), 0.5, 1e-6, "pan centred");

	/* 8. names: exact SysEx, ASCII only */
	osc_s("/ch/1/name", "Kick");
	{
		const uint8_t want[] = {0xF0, 0x00, 0x00, 0x66, 0x14, 0x12, 0x00, 'K',
		                        'i',  'c',  'k',  ' ',  ' ',  ' ',  0xF7};
		CHECK(expect_msg(want, sizeof want, 2000), "name 'Kick' -> SysEx at offset 0");
	}
	osc_s("/ch/2/name", "\xc3\x9c"
	                    "berbass");
	cell(c, "?berba");
	CHECK(wait_lcd(7, c, 2000), "UTF-8 name: cell 2 '%.7s', want '%s'", S.lcd + 7, c);

	/* 9. meters: DC at -22.5 dBFS into channel 1 at 0 dB: level
	 * 1 + floor((-22.5 + 60) / 5) = 8 */
	peer_osc_setf(&P, "/ch/1/fader/db", 0.0f);
	peer_set_dc(&P, (float)pow(10.0, -22.5 / 20.0));
	CHECK(wait_int(&S.meter[0], 8, 3000), "meter 1 at level 8, got %d", S.meter[0]);
	unsigned mm = S.meter_msgs[0];
	pump(350);
	CHECK(S.meter_msgs[0] >= mm + 2, "a lit meter is refreshed (%u in 350 ms)", S.meter_msgs[0] - mm);
	CHECK(S.meter[1] == 0, "meter 2 dark, got %d", S.meter[1]);

	/* 10. banking */
	press(0x2F); /* bank right: 12 channels -> channels 5..12 */
	CHECK(wait_lcd(0, "Ch 5   Ch 6   Ch 7   Ch 8   Ch 9   Ch 10  Ch 11  Ch 12  ", 2000),
	      "bank right: upper line '%.56s'", S.lcd);
	CHECK(wait_int(&S.fader[0], raw0, 2000), "strip 1 shows channel 5's fader");
	CHECK(wait_int(&S.led[0x10], 127, 2000), "strip 1 shows channel 5's mute");
	CHECK(wait_int(&S.meter[0], 0, 2000), "strip 1 meter: channel 5 is silent");
	before = S.fader_msgs[0] + S.fader_msgs[1] + S.fader_msgs[2];
	peer_osc_setf(&P, "/ch/1/fader/db", -40.0f);
	pump(300);
	CHECK(S.fader_msgs[0] + S.fader_msgs[1] + S.fader_msgs[2] == before,
	      "a channel out of view moves no fader");
	press(0x30); /* channel left: channels 4..11 */
	CHECK(wait_lcd(0, "Ch 4   Ch 5   ", 2000), "channel left: '%.14s'", S.lcd);
	CHECK(wait_int(&S.led[0x08], 127, 2000) && wait_int(&S.led[0x10], 0, 2000) &&
	          wait_int(&S.led[0x11], 127, 2000),
	      "LEDs follow: solo 4, mute 5 on strip 2");
	press(0x2E); /* bank left: back to 1..8 */
	cell(c, "Kick");
	CHECK(wait_lcd(0, c, 2000), "bank left: '%.7s'", S.lcd);
	r = raw_of_db(-40);
	CHECK(wait_int(&S.fader[0], r, 2000), "fader 1 now at -40 dB: %d, got %d", r, S.fader[0]);

	/* 11. SEND mode */
	press(0x29);
	CHECK(wait_int(&S.led[0x29], 127, 2000) && wait_int(&S.led[0x2A], 0, 2000), "SEND LED on, PAN off");
	CHECK(wait_int(&S.ring[0], 0x20, 2000), "send off: empty fill ring, got 0x%02X", S.ring[0]);
	cell(c, "-inf");
	CHECK(wait_lcd(56, c, 2000), "send off: '%.7s'", S.lcd + 56);
	peer_send3(&P, 0xB0, 0x10, 0x3C); /* 60 ticks: 0.6 along the fader law */
	CHECK(wait_int(&S.ring[0], 0x20 | 7, 2000), "send 0.6 -> fill 7, got 0x%02X", S.ring[0]);
	CHECK_NEAR(get("/ch/1/send/1/level/db"), x32_to_db(0.6), 0.01, "V-pot 1 -> send 1");
	cell(c, "-6.0");
	CHECK(wait_lcd(56, c, 2000), "send value: '%.7s'", S.lcd + 56);
	press(0x20);
	CHECK(wait_int(&S.ring[0], 0x40 | 0x20 | 7, 2000), "push: pre-fader, centre LED, got 0x%02X",
	      S.ring[0]);
	CHECK(get("/ch/1/send/1/pre") == 1, "V-pot push in SEND mode -> pre");
	press(0x29); /* again: bus 2 */
	CHECK(wait_int(&S.ring[0], 0x20, 2000), "bus 2: send off again, got 0x%02X", S.ring[0]);
	peer_send3(&P, 0xB0, 0x11, 0x01);
	pump(100);
	CHECK_NEAR(get("/ch/2/send/2/level/db"), x32_to_db(0.01), 0.01, "V-pot 2 -> send 2 of channel 2");
	press(0x2A);
	CHECK(wait_int(&S.led[0x2A], 127, 2000) && wait_int(&S.ring[0], 6, 2000), "back to PAN");

	/* 12. master fader */
	pb(8, 16383);
	pump(100);
	CHECK_NEAR(get("/master/fader/db"), 10.0, 1e-4, "master fader at the top");

	/* 13. a recall moves the motor faders */
	peer_osc_setf(&P, "/ch/2/fader/db", -20.0f);
	r = raw_of_db(-20);
	CHECK(wait_int(&S.fader[1], r, 2000), "fader 2 follows OSC");
	lo_message msg = lo_message_new();
	lo_message_add_string(msg, "mcutest");
	peer_osc_send(&P, "/snapshot/save", msg);
	lo_message_free(msg);
	CHECK(peer_osc_wait(&P, "/snapshot/save", 2000) && !strcmp(P.reply, "/snapshot/save mcutest"),
	      "scene saved: %s", P.reply);
	peer_osc_setf(&P, "/ch/2/fader/db", -50.0f);
	CHECK(wait_int(&S.fader[1], raw_of_db(-50), 2000), "fader 2 down");
	msg = lo_message_new();
	lo_message_add_string(msg, "mcutest");
	peer_osc_send(&P, "/snapshot/load", msg);
	lo_message_free(msg);
	CHECK(wait_int(&S.fader[1], r, 2000), "recall: fader 2 back to -20 dB (%d), got %d", r, S.fader[1]);

	/* 14. moves, fades and lanes */
	moving();

	/* 15. a fader touch is an automation touch */
	touch_lanes();

	pump(200);
	CHECK(S.violations == 0, "%u protocol violation(s)", S.violations);
	printf("mcu_surface: %u LCD messages, faders %d %d %d, meter 1 level %d\n", S.lcd_msgs, S.fader[0],
	       S.fader[1], S.fader[2], S.meter[0]);
}

int main(int argc, char **argv)
{
	const char *name = "mcu_surface";
	unsigned port = 0;
	int opt;
	char a[160], b[160];
	while ((opt = getopt(argc, argv, "n:d:p:s:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 's')
			scene_dir = optarg;
		else if (opt == 'd')
			daemon_name = optarg;
		else if (opt == 'p')
			port = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (!daemon_name || !port || !scene_dir) {
		fprintf(stderr, "usage: mcu_surface -n NAME -d DAEMON -p OSC_PORT -s SCENE_DIR\n");
		return 2;
	}
	memset(&S, 0, sizeof S);
	for (unsigned i = 0; i < 9; i++)
		S.fader[i] = -1;
	for (unsigned i = 0; i < 128; i++)
		S.led[i] = -1;
	for (unsigned i = 0; i < STRIPS; i++)
		S.ring[i] = S.meter[i] = -1;
	memset(S.lcd, '#', 112);
	peer_open(&P, name, port);
	snprintf(a, sizeof a, "%s:out", name);
	snprintf(b, sizeof b, "%s:midi_in", daemon_name);
	if (peer_connect(&P, a, b) < 0)
		peer_die("cannot connect %s -> %s", a, b);
	snprintf(a, sizeof a, "%s:midi_out", daemon_name);
	snprintf(b, sizeof b, "%s_rx:in", name);
	if (peer_connect(&P, a, b) < 0)
		peer_die("cannot connect %s -> %s", a, b);
	snprintf(a, sizeof a, "%s:dc", name);
	snprintf(b, sizeof b, "%s:in_1", daemon_name);
	if (peer_connect(&P, a, b) < 0)
		peer_die("cannot connect %s -> %s", a, b);
	scenario();
	int rc = test_exit("mcu_surface");
	if (rc)
		rc = peer_spoiled(&P);
	peer_close(&P);
	return rc;
}
