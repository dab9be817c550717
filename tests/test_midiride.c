/*
 * test_midiride.c - a hand riding a mapped MIDI fader, offline and
 * deterministic: the console of sim.c (model, automation with its RT half,
 * the real audio period on a simulated clock) with the generic MIDI
 * mapping wired as midi.c and main.c wire it (the shown value and the
 * display watcher from automation, midimap_tick on a 10 ms control timer
 * beside automation's and the housekeeping timer), and a repair of the
 * surface (midimap_refresh after an xrun) as often as midi.c allows one,
 * every MIDI_XRUN_MS = 1 s, landing mid-ride.
 *
 * Each ride is 300 CCs on cc 1 7 (/ch/1/fader/db), one every 5 to 20 ms
 * (a fixed pseudo-random sequence sweeping 10..117 and back in steps of
 * 1 to 4), delivered at the start of the period after they were sent, as
 * JACK delivers them; then 1 s of quiet.  Checked, with the lane of
 * /ch/1/fader off, and in touch and latch mode (each change an implied
 * touch that lets go 0.5 s after the last one):
 *   - nothing at all is sent back to cc 1 7, during the ride or after;
 *   - a second control on the same parameter (cc 2 7) follows, and its
 *     last message is the ride's last value;
 *   - the console holds the ride's last value on the fader law;
 *   - afterwards a change from elsewhere still reaches cc 1 7.
 * Each ride prints how many messages came back and their delays.
 *
 * Threads: one (see sim.h).
 */
#include <string.h>

#include "control.h"
#include "midimap.h"
#include "sim.h"
#include "test_util.h"

#define RATE    48000u
#define PERIOD  256u
#define MOVES   300u
#define REPAIRS 1000u /* ms: midi.c's MIDI_XRUN_MS, the most often it repairs */

static struct sim *s;
static struct midimap *mm;
static long sent_at[128]; /* when the ride last sent each value (ms), -1 never */
static unsigned back, other;
static long dmin, dmax;
static int other_last = -1, back_last = -1;

static int cap_send(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	if (len != 3 || (msg[0] & 0xF0) != 0xB0 || msg[1] != 7)
		return 0;
	if (msg[0] == 0xB1) {
		other++;
		other_last = msg[2];
		return 0;
	}
	if (getenv("RIDE_LOG"))
		printf("  B0 07 %u at %llu\n", msg[2], (unsigned long long)sim_now_ms(s));
	back_last = msg[2];
	long d = sent_at[msg[2]] >= 0 ? (long)sim_now_ms(s) - sent_at[msg[2]] : -1;
	back++;
	if (d >= 0 && (dmin < 0 || d < dmin))
		dmin = d;
	if (d > dmax)
		dmax = d;
	return 0;
}

static void map_tick(void *ctx, uint64_t now)
{
	midimap_tick(ctx, now);
}

static void repair(void *ctx, uint64_t now)
{
	(void)now;
	midimap_refresh(ctx, 0);
}

static float shown(void *ctx, enum param_id id, unsigned i1, unsigned i2, float v)
{
	return automation_value(ctx, id, i1, i2, v);
}

static void moved(void *ctx, enum param_id id, unsigned i1, unsigned i2)
{
	midimap_moved(ctx, id, i1, i2);
}

/* Render whole periods until the clock reaches `until` (ms). */
static void run_until(uint64_t until)
{
	while (sim_now_ms(s) < until)
		sim_run(s, 1);
}

/* The X32 fader law's dB value of 7-bit CC v. */
static double law_db(int v)
{
	return x32_to_db(v / 127.0);
}

/* One ride; returns the last value sent. */
static int ride(uint32_t seed)
{
	int v = 10, dir = 1;
	uint64_t t = sim_now_ms(s);
	for (int i = 0; i < 128; i++)
		sent_at[i] = -1;
	for (unsigned k = 0; k < MOVES; k++) {
		seed = seed * 1103515245u + 12345u;
		int step = 1 + (int)((seed >> 16) % 4);
		if (v + dir * step > 117 || v + dir * step < 10)
			dir = -dir;
		v += dir * step;
		seed = seed * 1103515245u + 12345u;
		t += 5 + (seed >> 16) % 16;
		run_until(t); /* the period that takes it in */
		uint8_t m[3] = {0xB0, 7, (uint8_t)v};
		sent_at[v] = (long)t;
		midimap_input(mm, m, 3, sim_now_ms(s));
		midimap_flush(mm);
	}
	run_until(t + 1000);
	return v;
}

static void rides(const char *mode)
{
	sim_osc_s(s, "/ch/1/fader/auto", mode);
	run_until(sim_now_ms(s) + 100);
	for (uint32_t seed = 1; seed <= 3; seed++) {
		back = other = 0;
		dmin = dmax = -1;
		other_last = -1;
		int last = ride(seed);
		printf(
		    "lane %s, ride %u: %u moves, %u message(s) back (delays %ld..%ld ms), the other control "
		    "told %u\n",
		    mode, seed, MOVES, back, dmin, dmax, other);
		CHECK(back == 0, "lane %s, ride %u: %u message(s) back to the control that moved", mode, seed,
		      back);
		CHECK(other > 0 && other_last == last, "lane %s: the other control ends on %d (got %d)", mode,
		      last, other_last);
		CHECK_NEAR(model_get(s->model, P_CH_FADER, 0, 0), law_db(last), 1e-3,
		           "the ride's last value");
	}
	/* a change from elsewhere still reaches the control (a repair may
	 * send it again: it was told, it did not say it) */
	back = 0;
	back_last = -1;
	sim_osc_f(s, "/ch/1/fader/db", -20.0f);
	run_until(sim_now_ms(s) + 50);
	long want = lround(x32_from_db(-20.0) * 127);
	CHECK(back >= 1 && back_last == want,
	      "lane %s: an OSC change to -20 dB is sent to the control as %ld (%u, %d)", mode, want, back,
	      back_last);
}

int main(void)
{
	struct sim_config c = {2, 0, 1, RATE, PERIOD, 0, 0, 0};
	char err[256];
	const char *map = "cc 1 7 /ch/1/fader/db\ncc 2 7 /ch/1/fader/db\n";
	s = sim_new(&c);
	mm = s ? midimap_new(s->model, cap_send, NULL) : NULL;
	if (!mm || midimap_parse(mm, "ride.map", map, strlen(map), err, sizeof err) < 0) {
		fprintf(stderr, "%s:%d: setup failed\n", __FILE__, __LINE__);
		return 1;
	}
	midimap_set_shown(mm, shown, s->autom);
	if (automation_add_watcher(s->autom, moved, mm) < 0 ||
	    control_add_timer(s->ctl, MIDIMAP_TICK_MS, map_tick, mm) < 0 ||
	    control_add_timer(s->ctl, REPAIRS, repair, mm) < 0) {
		fprintf(stderr, "%s:%d: setup failed\n", __FILE__, __LINE__);
		return 1;
	}
	run_until(sim_now_ms(s) + 100); /* the map's first values go out */
	rides("off");
	rides("touch");
	rides("latch");
	midimap_free(mm);
	sim_free(s);
	return test_exit("test_midiride");
}
