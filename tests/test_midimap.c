/*
 * test_midimap.c - the generic MIDI mapping offline, on a real model and
 * without JACK: messages go in through midimap_input, what would go to
 * midi_out is captured.
 *
 * Checks, with expected values computed here from the definitions (the
 * X32 fader law, linear and logarithmic ranges, 7- and 14-bit scales):
 *   - CC -> parameter along the parameter's own taper, a linear and a
 *     logarithmic range, an inverted range, a switch; other channels and
 *     numbers do nothing;
 *   - 14-bit pairs (MSB then LSB; LSB alone; MSB alone after its
 *     timeout), pitch bend;
 *   - notes: toggle, momentary, velocity 0 as release; CC buttons;
 *   - feedback: a change from elsewhere (an OSC-like origin, a scene
 *     recall through snapshot_apply) is sent to every control mapped to
 *     the parameter, in its scale; the control that sent a value is not
 *     sent it back; a change within one step is not sent; a button is
 *     told its LED state; a repair (midimap_refresh after an xrun) sends
 *     a control that moved itself nothing, the others what they were told,
 *     and a new surface everything;
 *   - pick-up: a control far from the value does nothing until it
 *     crosses it, and lets go again when the value is changed elsewhere;
 *   - banks: bank buttons, per-bank mappings, feedback on a bank change;
 *   - learn (7-bit, 14-bit, note with options, pitch bend, replacement,
 *     cancel, bad paths and options) and forget;
 *   - the mapping file: format -> parse -> format round trip (text and
 *     every field), save and load through a temporary directory, and
 *     rejection of bad files with file:line, leaving the mappings as
 *     they were;
 *   - the Mackie Control meter fan-out (mcu.c): a peak taken by the OSC
 *     meters is still shown on the surface and the other way round, each
 *     exactly once;
 *   - the shown value (what automation says a surface should show, here a
 *     stand-in): a value that moves by itself (midimap_moved, mcu_moved)
 *     is sent along its way, one message per tick and control however
 *     often it is told, every one strictly between start and end and in
 *     order; a control's own change is not sent back, unless something
 *     else is shown (a lane in read mode); pick-up and toggles go by the
 *     shown value; an MCU fader follows the move, and a touched one is
 *     sent nothing until it is released, then exactly the shown value;
 *     LEDs show switches that move by themselves;
 *   - Mackie fader touches (a stand-in touch hook that checks that every
 *     on is followed by exactly one off for the same instance): a strip
 *     touch names the bank's channel, the master touch the master fader,
 *     a repeated note-on is no second touch, 0x80 releases too; a bank or
 *     channel switch ends a held strip touch (not the master's) and the
 *     finger's release then says nothing; mcu_release ends every touch
 *     and lets the motor move again; a new hook releases through the
 *     old one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcu.h"
#include "midimap.h"
#include "model.h"
#include "snapshot.h"
#include "test_util.h"

/* ---- captured output --------------------------------------------------- */

#define CAP_MAX 256
static uint8_t cap[CAP_MAX][8];
static size_t cap_len[CAP_MAX];
static unsigned ncap;
static int cap_refuse; /* simulate a full ring */

static int cap_send(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	if (cap_refuse)
		return -1;
	if (ncap < CAP_MAX && len <= 8) {
		memcpy(cap[ncap], msg, len);
		cap_len[ncap++] = len;
	}
	return 0;
}

/* Index of the first captured 3-byte message equal to a b c, or -1. */
static int cap_find(uint8_t a, uint8_t b, uint8_t c)
{
	for (unsigned i = 0; i < ncap; i++)
		if (cap_len[i] == 3 && cap[i][0] == a && cap[i][1] == b && cap[i][2] == c)
			return (int)i;
	return -1;
}

/* Number of captured messages with status a and first data byte b. */
static unsigned cap_count(uint8_t a, uint8_t b)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ncap; i++)
		if (cap[i][0] == a && cap[i][1] == b)
			n++;
	return n;
}

/* ---- helpers ----------------------------------------------------------- */

static struct model *model;
static struct midimap *mm;
static uint64_t now = 1000;

static void in3(uint8_t a, uint8_t b, uint8_t c)
{
	uint8_t m[3] = {a, b, c};
	midimap_input(mm, m, 3, now);
	midimap_flush(mm);
}

static void tick(unsigned ms)
{
	now += ms;
	midimap_tick(mm, now);
}

static float get(enum param_id id, unsigned i1, unsigned i2)
{
	return model_get(model, id, i1, i2);
}

static const void *const OSC = "osc"; /* an origin that is not the map */

static int load(const char *text)
{
	char err[512];
	int r = midimap_parse(mm, "test.map", text, strlen(text), err, sizeof err);
	if (r < 0)
		fprintf(stderr, "parse: %s\n", err);
	return r;
}

static char learned_line[600], learned_path[200];
static unsigned learned_n;

static void on_learned(void *ctx, const char *path, const char *line)
{
	(void)ctx;
	snprintf(learned_path, sizeof learned_path, "%s", path);
	snprintf(learned_line, sizeof learned_line, "%s", line);
	learned_n++;
}

static void reset_console(void)
{
	const struct param_shape *sh = model_shape(model);
	for (unsigned c = 0; c < sh->channels; c++) {
		model_set(model, P_CH_FADER, c, 0, 0.0f, OSC);
		model_set(model, P_CH_MUTE, c, 0, 0.0f, OSC);
		model_set(model, P_CH_SOLO, c, 0, 0.0f, OSC);
		model_set(model, P_CH_PAN, c, 0, 0.5f, OSC);
	}
	model_commit(model);
}

/* ---- the cases -------------------------------------------------------- */

static void test_cc(void)
{
	CHECK(load("jackmixd-midimap 1\n"
	           "cc 1 7 /ch/1/fader/db\n"
	           "cc 1 8 /ch/2/fader/db range -60 0 taper lin\n"
	           "cc 1 9 /ch/1/hpf/hz   # the table's log taper\n"
	           "cc 1 10 /ch/1/eq/2/hz range 100 1000 taper log\n"
	           "cc 1 11 /ch/1/pan range 1 0\n"
	           "cc 1 12 /ch/1/mute\n"
	           "cc 1 13 /ch/3/fader range -40 0 taper fader\n") == 0,
	      "valid map rejected");
	CHECK(midimap_count(mm) == 7, "7 mappings, got %u", midimap_count(mm));
	for (int v = 0; v <= 127; v += 19) {
		double x = v / 127.0;
		in3(0xB0, 7, (uint8_t)v);
		CHECK_NEAR(get(P_CH_FADER, 0, 0), x32_to_db(x), 1e-3, "cc7 -> fader law");
		in3(0xB0, 8, (uint8_t)v);
		CHECK_NEAR(get(P_CH_FADER, 1, 0), -60 + 60 * x, 1e-3, "cc8 -> linear range -60..0");
		in3(0xB0, 9, (uint8_t)v);
		CHECK_NEAR(get(P_CH_HPF_HZ, 0, 0), 20 * pow(400.0 / 20.0, x), 1e-3 * 20 * pow(20, x),
		           "cc9 -> log 20..400 Hz");
		in3(0xB0, 10, (uint8_t)v);
		CHECK_NEAR(get(P_CH_EQ_HZ, 0, 1), 100 * pow(10.0, x), 1e-3 * 100 * pow(10, x),
		           "cc10 -> log range 100..1000 Hz");
		in3(0xB0, 11, (uint8_t)v);
		CHECK_NEAR(get(P_CH_PAN, 0, 0), 1 - x, 1e-5, "cc11 -> inverted pan");
		in3(0xB0, 13, (uint8_t)v);
		/* fader taper over -40..0: positions of the ends along the law */
		double a = x32_from_db(-40), b = x32_from_db(0);
		CHECK_NEAR(get(P_CH_FADER, 2, 0), x32_to_db(a + x * (b - a)), 2e-3,
		           "cc13 -> fader taper -40..0");
	}
	in3(0xB0, 12, 63);
	CHECK(get(P_CH_MUTE, 0, 0) == 0, "cc 63 on a switch is off");
	in3(0xB0, 12, 64);
	CHECK(get(P_CH_MUTE, 0, 0) == 1, "cc 64 on a switch is on");
	float before = get(P_CH_FADER, 0, 0);
	in3(0xB1, 7, 3);  /* channel 2 */
	in3(0xB0, 17, 3); /* unmapped number */
	in3(0x90, 7, 3);  /* a note with the same number */
	CHECK(get(P_CH_FADER, 0, 0) == before, "only channel 1 CC 7 moves /ch/1/fader");
}

static void test_14bit(void)
{
	CHECK(load("cc14 1 1 /master/fader/db\npb 2 /ch/3/fader/db\n") == 0, "14-bit map rejected");
	in3(0xB0, 1, 0x55);
	CHECK_NEAR(get(P_MASTER_FADER, 0, 0), 0.0, 1e-6, "an MSB alone waits for its LSB");
	in3(0xB0, 33, 0x2A);
	double x = (0x55 * 128 + 0x2A) / 16383.0;
	CHECK_NEAR(get(P_MASTER_FADER, 0, 0), x32_to_db(x), 1e-3, "MSB+LSB -> 14-bit value");
	in3(0xB0, 33, 0x7F);
	x = (0x55 * 128 + 0x7F) / 16383.0;
	CHECK_NEAR(get(P_MASTER_FADER, 0, 0), x32_to_db(x), 1e-3, "LSB alone keeps the MSB");
	in3(0xB0, 1, 0x20);
	tick(5);
	CHECK_NEAR(get(P_MASTER_FADER, 0, 0), x32_to_db(x), 1e-3, "MSB alone: nothing before the timeout");
	tick(MIDIMAP_MSB_MS);
	CHECK_NEAR(get(P_MASTER_FADER, 0, 0), x32_to_db(0x20 * 128 / 16383.0), 1e-3,
	           "MSB alone after the timeout: LSB 0");
	in3(0xE1, 0x11, 0x33);
	CHECK_NEAR(get(P_CH_FADER, 2, 0), x32_to_db((0x33 * 128 + 0x11) / 16383.0), 1e-3, "pitch bend ch 2");
	in3(0xE0, 0x00, 0x00);
	CHECK_NEAR(get(P_CH_FADER, 2, 0), x32_to_db((0x33 * 128 + 0x11) / 16383.0), 1e-3,
	           "pitch bend on channel 1 is not mapped");
}

static void test_notes(void)
{
	reset_console();
	CHECK(load("note 1 36 /ch/1/solo\n"
	           "note 1 37 /ch/2/mute momentary\n"
	           "cc 1 64 /ch/3/mute toggle\n"
	           "note 1 38 /ch/1/fader/db range -20 -5\n") == 0,
	      "note map rejected");
	in3(0x90, 36, 100);
	CHECK(get(P_CH_SOLO, 0, 0) == 1, "toggle: first press on");
	in3(0x80, 36, 0);
	CHECK(get(P_CH_SOLO, 0, 0) == 1, "toggle: release changes nothing");
	in3(0x90, 36, 127);
	CHECK(get(P_CH_SOLO, 0, 0) == 0, "toggle: second press off");
	in3(0x90, 36, 0);
	CHECK(get(P_CH_SOLO, 0, 0) == 0, "toggle: velocity 0 is a release");
	in3(0x90, 37, 1);
	CHECK(get(P_CH_MUTE, 1, 0) == 1, "momentary: on while held");
	in3(0x90, 37, 0);
	CHECK(get(P_CH_MUTE, 1, 0) == 0, "momentary: off on release (velocity 0)");
	in3(0x90, 37, 90);
	in3(0x80, 37, 64);
	CHECK(get(P_CH_MUTE, 1, 0) == 0, "momentary: off on note off");
	in3(0xB0, 64, 127);
	CHECK(get(P_CH_MUTE, 2, 0) == 1, "CC button toggle: on");
	in3(0xB0, 64, 0);
	CHECK(get(P_CH_MUTE, 2, 0) == 1, "CC button toggle: release");
	in3(0xB0, 64, 127);
	CHECK(get(P_CH_MUTE, 2, 0) == 0, "CC button toggle: off");
	model_set(model, P_CH_FADER, 0, 0, -19.0f, OSC); /* nearer the bottom of -20..-5 */
	in3(0x90, 38, 127);
	CHECK_NEAR(get(P_CH_FADER, 0, 0), -5, 1e-6, "toggle on a fader: to the top of the range");
	in3(0x90, 38, 127);
	CHECK_NEAR(get(P_CH_FADER, 0, 0), -20, 1e-6, "toggle on a fader: to the bottom");
	/* LEDs: a button is told its state */
	ncap = 0;
	in3(0x90, 36, 127);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_find(0x90, 36, 127) >= 0, "toggle LED on after a press");
	ncap = 0;
	model_set(model, P_CH_SOLO, 0, 0, 0, OSC);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_find(0x90, 36, 0) >= 0, "LED off after an OSC change");
}

static void test_feedback(void)
{
	char err[256];
	reset_console();
	CHECK(load("cc 1 7 /ch/1/fader/db\n"
	           "cc 2 7 /ch/1/fader/db\n"
	           "cc14 1 2 /ch/2/fader/db\n"
	           "pb 3 /ch/2/fader/db\n") == 0,
	      "feedback map rejected");
	tick(MIDIMAP_TICK_MS); /* a new map sends every value */
	long raw7 = lround(x32_from_db(0) * 127), raw14 = lround(x32_from_db(0) * 16383);
	CHECK(cap_find(0xB0, 7, (uint8_t)raw7) >= 0, "load: cc 1 7 told 0 dB = %ld", raw7);
	CHECK(cap_find(0xB1, 7, (uint8_t)raw7) >= 0, "load: cc 2 7 told too");
	CHECK(cap_find(0xB0, 2, (uint8_t)(raw14 >> 7)) >= 0 &&
	          cap_find(0xB0, 34, (uint8_t)(raw14 & 127)) >= 0,
	      "load: 14-bit pair told %ld", raw14);
	CHECK(cap_find(0xE2, (uint8_t)(raw14 & 127), (uint8_t)(raw14 >> 7)) >= 0, "load: pitch bend told");

	/* an OSC change reaches every control, each in its scale */
	ncap = 0;
	model_set(model, P_CH_FADER, 0, 0, -10.0f, OSC);
	model_set(model, P_CH_FADER, 1, 0, -25.0f, OSC);
	tick(MIDIMAP_TICK_MS);
	raw7 = lround(x32_from_db(-10) * 127);
	raw14 = lround(x32_from_db(-25) * 16383);
	CHECK(cap_find(0xB0, 7, (uint8_t)raw7) >= 0 && cap_find(0xB1, 7, (uint8_t)raw7) >= 0,
	      "OSC -10 dB -> CC %ld on both controls", raw7);
	CHECK(cap_find(0xB0, 2, (uint8_t)(raw14 >> 7)) >= 0 &&
	          cap_find(0xB0, 34, (uint8_t)(raw14 & 127)) >= 0,
	      "OSC -25 dB -> 14-bit %ld", raw14);
	CHECK(cap_find(0xE2, (uint8_t)(raw14 & 127), (uint8_t)(raw14 >> 7)) >= 0, "OSC -25 dB -> pitch bend");
	CHECK(ncap == 5, "5 messages for two changes, got %u", ncap);

	/* no echo to the sender; the other control of the parameter follows */
	ncap = 0;
	in3(0xB0, 7, 40);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_count(0xB0, 7) == 0, "no echo to cc 1 7");
	CHECK(cap_find(0xB1, 7, 40) >= 0, "cc 2 7 follows cc 1 7");
	ncap = 0;
	in3(0xE2, 0x00, 0x50);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_count(0xE2, 0x00) == 0, "no echo to the pitch bend");
	raw14 = 0x50 << 7;
	CHECK(cap_find(0xB0, 2, (uint8_t)(raw14 >> 7)) >= 0, "the 14-bit CC follows the pitch bend");

	/* a knob on a switch: the switch's value (1) is not sent back as 127 */
	CHECK(load("cc 1 7 /ch/1/fader/db\ncc 2 7 /ch/1/fader/db\ncc14 1 2 /ch/2/fader/db\n"
	           "pb 3 /ch/2/fader/db\ncc 1 12 /ch/1/mute\n") == 0,
	      "map rejected");
	tick(MIDIMAP_TICK_MS);
	ncap = 0;
	in3(0xB0, 12, 100);
	tick(MIDIMAP_TICK_MS);
	CHECK(get(P_CH_MUTE, 0, 0) == 1 && cap_count(0xB0, 12) == 0, "no echo of a switch to its knob");
	model_set(model, P_CH_MUTE, 0, 0, 0.0f, OSC);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_find(0xB0, 12, 0) >= 0, "the knob is told the switch went off elsewhere");

	/* a change smaller than one step of the control is not sent */
	ncap = 0;
	float v = get(P_CH_FADER, 0, 0);
	model_set(model, P_CH_FADER, 0, 0, v + 0.01f, OSC);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_count(0xB0, 7) == 0 && cap_count(0xB1, 7) == 0, "sub-step change: nothing sent");

	/* a full ring keeps feedback due until it can go */
	ncap = 0;
	cap_refuse = 1;
	model_set(model, P_CH_FADER, 0, 0, -30.0f, OSC);
	tick(MIDIMAP_TICK_MS);
	cap_refuse = 0;
	tick(MIDIMAP_TICK_MS);
	raw7 = lround(x32_from_db(-30) * 127);
	CHECK(cap_find(0xB0, 7, (uint8_t)raw7) >= 0, "feedback retried after a full ring");

	/* a scene recall is a change like any other */
	const struct param_shape *sh = model_shape(model);
	struct snapshot *scene = snapshot_new(sh);
	const char *text = "jackmixd-state 1\n/ch/1/fader/db -3\n/ch/2/fader/db -50\nend\n";
	CHECK(scene && snapshot_parse(scene, "scene", text, strlen(text), err, sizeof err) == 0, "scene: %s",
	      err);
	ncap = 0;
	snapshot_apply(scene, model, 0.0f, SNAPSHOT_RECALL, OSC);
	model_commit(model);
	tick(MIDIMAP_TICK_MS);
	raw7 = lround(x32_from_db(-3) * 127);
	raw14 = lround(x32_from_db(-50) * 16383);
	CHECK(cap_find(0xB0, 7, (uint8_t)raw7) >= 0 && cap_find(0xB1, 7, (uint8_t)raw7) >= 0,
	      "recall -> CC %ld on both", raw7);
	CHECK(cap_find(0xE2, (uint8_t)(raw14 & 127), (uint8_t)(raw14 >> 7)) >= 0, "recall -> pitch bend %ld",
	      raw14);
	snapshot_free(scene);

	/* refresh: everything again */
	ncap = 0;
	midimap_refresh(mm, 1);
	tick(MIDIMAP_TICK_MS);
	CHECK(ncap == 6, "refresh resends all 5 mappings (6 messages), got %u", ncap);

	/* a repair (after an xrun) resends what we told the controls, never
	 * what a control said itself: cc 1 7 moved to 50 and is sent nothing,
	 * cc 2 7 was told 50 and the other three were told their values by
	 * feedback, so they are sent them again (5 messages) */
	in3(0xB0, 7, 50);
	tick(MIDIMAP_TICK_MS);
	ncap = 0;
	midimap_refresh(mm, 0);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_count(0xB0, 7) == 0, "repair: no echo to the control that moved (%u)", cap_count(0xB0, 7));
	CHECK(cap_find(0xB1, 7, 50) >= 0 && ncap == 5, "repair: the told controls again (5 messages, got %u)",
	      ncap);
	/* ... but what is shown now is sent, even to the one that moved */
	model_set(model, P_CH_FADER, 0, 0, -10.0f, OSC);
	midimap_refresh(mm, 0);
	tick(MIDIMAP_TICK_MS);
	raw7 = lround(x32_from_db(-10) * 127);
	CHECK(cap_find(0xB0, 7, (uint8_t)raw7) >= 0, "repair: a changed value reaches the control");
	/* a new surface on midi_out is told everything, moved or not */
	in3(0xB0, 7, 50);
	tick(MIDIMAP_TICK_MS);
	ncap = 0;
	midimap_refresh(mm, 1);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_find(0xB0, 7, 50) >= 0 && ncap == 6, "a new surface: all 6 messages, got %u", ncap);
}

static void test_pickup(void)
{
	reset_console(); /* /ch/4/fader at 0 dB: position 0.75, CC 95.25 */
	CHECK(load("cc 1 20 /ch/4/fader/db pickup\ncc 1 21 /ch/4/fader/db\n") == 0, "pickup map rejected");
	in3(0xB0, 20, 10);
	in3(0xB0, 20, 30);
	in3(0xB0, 20, 94);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), 0.0, 1e-6, "below the value: nothing moves");
	in3(0xB0, 20, 100);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), x32_to_db(100 / 127.0), 1e-3, "crossing the value picks it up");
	in3(0xB0, 20, 50);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), x32_to_db(50 / 127.0), 1e-3, "picked up: it follows");
	/* changed elsewhere: the control lets go until it crosses again */
	model_set(model, P_CH_FADER, 3, 0, -10.0f, OSC); /* position 0.5 = CC 63.5 */
	model_commit(model);
	in3(0xB0, 20, 52);
	in3(0xB0, 20, 60);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), -10.0, 1e-6, "after an OSC change: waits again");
	in3(0xB0, 20, 70);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), x32_to_db(70 / 127.0), 1e-3, "crossing from below picks it up");
	/* another control on the same parameter also makes it let go */
	in3(0xB0, 21, 0);
	in3(0xB0, 20, 72);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), -90.0, 1e-6, "after another control moved it: waits");
	in3(0xB0, 20, 0);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), -90.0, 1e-6, "reaching the value (within a step) picks it up");
	in3(0xB0, 20, 5);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), x32_to_db(5 / 127.0), 1e-3, "then it follows");
	/* a control at the value picks it up at once */
	model_set(model, P_CH_FADER, 3, 0, (float)x32_to_db(30 / 127.0), OSC);
	in3(0xB0, 20, 30);
	in3(0xB0, 20, 31);
	CHECK_NEAR(get(P_CH_FADER, 3, 0), x32_to_db(31 / 127.0), 1e-3,
	           "a control at the value follows at once");
}

static void test_banks(void)
{
	reset_console();
	CHECK(load("cc 1 7 /ch/1/fader/db bank 1\n"
	           "cc 1 7 /ch/2/fader/db bank 2\n"
	           "cc 1 8 /ch/3/pan\n"
	           "note 1 50 bank next\n"
	           "note 1 51 bank 1\n"
	           "note 1 52 bank 2\n") == 0,
	      "bank map rejected");
	CHECK(midimap_bank(mm) == 1, "starts in bank 1");
	model_set(model, P_CH_FADER, 1, 0, -20.0f, OSC);
	tick(MIDIMAP_TICK_MS);
	ncap = 0;
	in3(0xB0, 7, 100);
	CHECK_NEAR(get(P_CH_FADER, 0, 0), x32_to_db(100 / 127.0), 1e-3, "bank 1: cc 7 moves ch 1");
	CHECK_NEAR(get(P_CH_FADER, 1, 0), -20.0, 1e-6, "bank 1: ch 2 untouched");
	in3(0x90, 50, 127);
	CHECK(midimap_bank(mm) == 2, "bank next -> 2");
	tick(MIDIMAP_TICK_MS);
	long raw7 = lround(x32_from_db(-20) * 127);
	CHECK(cap_find(0xB0, 7, (uint8_t)raw7) >= 0, "bank change: cc 7 told ch 2's value (%ld)", raw7);
	CHECK(cap_find(0x90, 52, 127) >= 0 && cap_find(0x90, 51, 0) >= 0, "bank LEDs follow");
	in3(0xB0, 7, 10);
	CHECK_NEAR(get(P_CH_FADER, 1, 0), x32_to_db(10 / 127.0), 1e-3, "bank 2: cc 7 moves ch 2");
	CHECK_NEAR(get(P_CH_FADER, 0, 0), x32_to_db(100 / 127.0), 1e-3, "bank 2: ch 1 untouched");
	in3(0xB0, 8, 127);
	CHECK_NEAR(get(P_CH_PAN, 2, 0), 1.0, 1e-6, "a mapping without bank works in every bank");
	in3(0x90, 50, 127);
	CHECK(midimap_bank(mm) == 1, "bank next wraps to 1");
	in3(0x90, 52, 127);
	CHECK(midimap_bank(mm) == 2, "bank 2 button");
}

static void test_learn(void)
{
	char err[256], line[600];
	reset_console();
	CHECK(load("cc 1 3 /ch/8/fader/db\n") == 0, "learn map rejected");
	learned_n = 0;

	CHECK(midimap_learn(mm, "/ch/5/pan", NULL, err, sizeof err) == 0, "learn: %s", err);
	CHECK(midimap_learning(mm), "learning");
	in3(0xB0, 3, 10); /* 0-31: maybe the MSB of a pair */
	CHECK(learned_n == 0, "a CC 0-31 waits for a possible LSB");
	tick(MIDIMAP_LEARN_MS);
	CHECK(learned_n == 1 && !strcmp(learned_line, "cc 1 3 /ch/5/pan") &&
	          !strcmp(learned_path, "/ch/5/pan"),
	      "learned '%s' for '%s'", learned_line, learned_path);
	CHECK(midimap_count(mm) == 1, "the old mapping of cc 1 3 was replaced (count %u)", midimap_count(mm));
	CHECK_NEAR(get(P_CH_PAN, 4, 0), 0.5, 1e-6, "the learning message itself changes nothing");
	in3(0xB0, 3, 127);
	CHECK_NEAR(get(P_CH_PAN, 4, 0), 1.0, 1e-6, "the learned control works");

	CHECK(midimap_learn(mm, "/ch/6/fader", "pickup", err, sizeof err) == 0, "learn 14: %s", err);
	in3(0xB0, 4, 0x40);
	in3(0xB0, 36, 0x00);
	CHECK(learned_n == 2 && !strcmp(learned_line, "cc14 1 4 /ch/6/fader/db pickup"), "learned '%s'",
	      learned_line);

	CHECK(midimap_learn(mm, "/ch/7/mute", "momentary", err, sizeof err) == 0, "learn note: %s", err);
	in3(0x80, 48, 0); /* a release is not a control moving */
	in3(0x90, 48, 127);
	CHECK(learned_n == 3 && !strcmp(learned_line, "note 1 48 /ch/7/mute momentary"), "learned '%s'",
	      learned_line);
	in3(0x90, 48, 127);
	CHECK(get(P_CH_MUTE, 6, 0) == 1, "learned momentary note: held");
	in3(0x80, 48, 0);
	CHECK(get(P_CH_MUTE, 6, 0) == 0, "learned momentary note: released");

	CHECK(midimap_learn(mm, "/ch/8/fader/db", NULL, err, sizeof err) == 0, "learn pb: %s", err);
	in3(0xE3, 0, 0x40);
	CHECK(learned_n == 4 && !strcmp(learned_line, "pb 4 /ch/8/fader/db"), "learned '%s'", learned_line);

	/* relearning a path replaces its mapping; a CC >= 32 is learned at once */
	CHECK(midimap_learn(mm, "/ch/5/pan", NULL, err, sizeof err) == 0, "relearn: %s", err);
	in3(0xB0, 70, 1);
	CHECK(learned_n == 5 && !strcmp(learned_line, "cc 1 70 /ch/5/pan"), "learned '%s'", learned_line);
	unsigned n3 = 0, n70 = 0;
	for (unsigned i = 0; i < midimap_count(mm); i++) {
		midimap_line(mm, i, line, sizeof line);
		n3 += !strcmp(line, "cc 1 3 /ch/5/pan");
		n70 += !strcmp(line, "cc 1 70 /ch/5/pan");
	}
	CHECK(n3 == 0 && n70 == 1, "relearn replaced the path's mapping (%u %u)", n3, n70);
	CHECK(midimap_count(mm) == 4, "4 mappings now, got %u", midimap_count(mm));

	/* cancel, bad paths and options */
	CHECK(midimap_learn(mm, "/ch/2/solo", NULL, err, sizeof err) == 0, "learn: %s", err);
	CHECK(midimap_learn(mm, NULL, NULL, err, sizeof err) == 0 && !midimap_learning(mm), "cancel");
	in3(0x90, 60, 127);
	CHECK(learned_n == 5, "nothing learned after cancel");
	CHECK(midimap_learn(mm, "/ch/99/mute", NULL, err, sizeof err) < 0 && strstr(err, "out of range"),
	      "channel out of range: %s", err);
	CHECK(midimap_learn(mm, "/ch/1/name", NULL, err, sizeof err) < 0, "a name cannot be learned");
	CHECK(midimap_learn(mm, "/ch/1/meter", NULL, err, sizeof err) < 0, "a meter cannot be learned");
	CHECK(midimap_learn(mm, "/nope", NULL, err, sizeof err) < 0, "unknown path");
	CHECK(midimap_learn(mm, "/ch/1/pan", "range 0 2", err, sizeof err) < 0 && strstr(err, "outside"),
	      "range outside: %s", err);
	CHECK(midimap_learn(mm, "/ch/1/pan", "wobble", err, sizeof err) < 0, "unknown option");
	CHECK(!midimap_learning(mm), "a refused learn does not arm");

	/* forget */
	CHECK(midimap_forget(mm, "/ch/5/pan", err, sizeof err) == 1, "forget one");
	CHECK(midimap_forget(mm, "/ch/5/pan", err, sizeof err) == 0, "forget again: none left");
	CHECK(midimap_forget(mm, "/ch/6/fader", err, sizeof err) == 1, "forget by the normalised path");
	CHECK(midimap_forget(mm, "/bogus", err, sizeof err) < 0, "forget a bad path");
	CHECK(midimap_forget(mm, "all", err, sizeof err) == 2, "forget all");
	CHECK(midimap_count(mm) == 0, "empty after forget all");
}

static const char *const roundtrip_text =
    "# a comment\n"
    "jackmixd-midimap 1\n"
    "\n"
    "cc 1 7 /ch/1/fader/db\n"
    "cc 16 127 /ch/2/fader range -60 6 taper lin pickup bank 3\n"
    "cc14 2 31 /master/fader/db pickup\n"
    "note 10 0 /ch/3/mute\n"
    "note 10 1 /ch/3/solo momentary bank 2\n"
    "pb 9 /mon/fader/db range 10 -90 taper fader\n"
    "cc 1 100 /ch/4/eq/3/hz range 200 2000 taper log\n"
    "cc 1 101 /ch/4/eq/3/type\n"
    "cc 1 102 /ch/4/send/2/pre toggle\n"
    "cc 1 103 /bus/2/mute momentary\n"
    "note 1 99 bank next\n"
    "note 1 98 bank prev\n"
    "cc 3 20 bank 16\n"
    "cc 1 104 /master/eq/4/q/norm\t # normalised path, written back in units\n";

static void test_file(void)
{
	char err[600], path[256], dir[] = "/tmp/jmx-midimap-XXXXXX";
	size_t len1, len2;
	CHECK(load(roundtrip_text) == 0, "round-trip map rejected");
	CHECK(midimap_count(mm) == 14, "14 mappings, got %u", midimap_count(mm));
	char *t1 = midimap_format(mm, &len1);
	CHECK(t1 && strstr(t1, "\ncc 1 104 /master/eq/4/q\n") && !strstr(t1, "/q/norm"),
	      "the normalised path is written as the unit path");
	CHECK(t1 && strstr(t1, "\ncc 16 127 /ch/2/fader/db range -60 6 taper lin pickup bank 3\n"),
	      "canonical line with every option:\n%s", t1 ? t1 : "");
	CHECK(t1 && strstr(t1, "\npb 9 /mon/fader/db range 10 -90 taper fader\n"), "inverted range kept");

	/* parse what we wrote: same text, same fields */
	struct midimap_spec a[32];
	unsigned na = midimap_count(mm);
	for (unsigned i = 0; i < na; i++)
		a[i] = *midimap_get(mm, i);
	CHECK(t1 && midimap_parse(mm, "again", t1, len1, err, sizeof err) == 0, "re-parse: %s", err);
	char *t2 = midimap_format(mm, &len2);
	CHECK(t1 && t2 && len1 == len2 && !memcmp(t1, t2, len1), "format(parse(format)) == format");
	CHECK(midimap_count(mm) == na, "same count");
	for (unsigned i = 0; i < na && i < midimap_count(mm); i++) {
		const struct midimap_spec *b = midimap_get(mm, i);
		CHECK(a[i].kind == b->kind && a[i].chan == b->chan && a[i].num == b->num &&
		          a[i].action == b->action && a[i].bank_arg == b->bank_arg && a[i].id == b->id &&
		          a[i].i1 == b->i1 && a[i].i2 == b->i2 && a[i].lo == b->lo && a[i].hi == b->hi &&
		          a[i].taper == b->taper && a[i].mode == b->mode && a[i].pickup == b->pickup &&
		          a[i].bank == b->bank,
		      "mapping %u differs after the round trip", i);
	}
	/* the fields themselves, against the text */
	const struct midimap_spec *s = midimap_get(mm, 1);
	CHECK(s && s->kind == MM_CC && s->chan == 15 && s->num == 127 && s->id == P_CH_FADER && s->i1 == 1 &&
	          s->lo == -60.0f && s->hi == 6.0f && s->taper == MMT_LIN && s->pickup && s->bank == 3,
	      "fields of line 5");
	s = midimap_get(mm, 13);
	CHECK(s && s->id == P_MASTER_EQ_Q && s->i2 == 3, "normalised path resolved to /master/eq/4/q");

	/* save and load through a directory that does not exist yet */
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof path, "%s/sub/midi.map", dir);
	CHECK(midimap_save(mm, path, err, sizeof err) == 0, "save: %s", err);
	CHECK(midimap_forget(mm, "all", err, sizeof err) == 14, "cleared");
	CHECK(midimap_load(mm, path, err, sizeof err) == 0, "load: %s", err);
	char *t3 = midimap_format(mm, &len2);
	CHECK(t1 && t3 && len1 == len2 && !memcmp(t1, t3, len1), "save/load round trip");
	char missing[300];
	snprintf(missing, sizeof missing, "%s/none.map", dir);
	CHECK(midimap_load(mm, missing, err, sizeof err) == -ENOENT, "a missing file is -ENOENT");
	free(t1);
	free(t2);
	free(t3);
	unlink(path);
	snprintf(path, sizeof path, "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_reject(void)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *why;
	} bad[] = {
	    {"knob 1 7 /ch/1/pan\n", 1, "unknown control"},
	    {"cc 1 7 /ch/1/pan\ncc 17 7 /ch/1/pan\n", 2, "channel"},
	    {"cc 0 7 /ch/1/pan\n", 1, "channel"},
	    {"# c\n\ncc 1 128 /ch/1/pan\n", 3, "0..127"},
	    {"cc14 1 32 /ch/1/pan\n", 1, "0..31"},
	    {"cc 1 7 /ch/1/pann\n", 1, "unknown parameter"},
	    {"cc 1 7 /ch/9/pan\n", 1, "channel 9 out of range"},
	    {"cc 1 7 /ch/1/send/3/level/db\n", 1, "bus 3 out of range"},
	    {"cc 1 7 /ch/1/name\n", 1, "name"},
	    {"cc 1 7 /master/meter\n", 1, "meter"},
	    {"cc 1 7\n", 1, "missing parameter path"},
	    {"cc 1 7 /ch/1/pan range 0\n", 1, "range needs two numbers"},
	    {"cc 1 7 /ch/1/pan range 0 x\n", 1, "range needs two numbers"},
	    {"cc 1 7 /ch/1/fader/db range -100 0\n", 1, "outside"},
	    {"cc 1 7 /ch/1/pan range 0.5 0.5\n", 1, "empty range"},
	    {"cc 1 7 /ch/1/pan taper log\n", 1, "log"},
	    {"cc 1 7 /ch/1/pan taper cubic\n", 1, "taper must be"},
	    {"cc 1 7 /ch/1/hpf/hz taper fader\n", 1, "taper fader"},
	    {"pb 1 /ch/1/mute toggle\n", 1, "notes and 7-bit"},
	    {"note 1 7 /ch/1/pan pickup\n", 1, "pickup"},
	    {"cc 1 7 /ch/1/mute toggle momentary\n", 1, "exclude"},
	    {"cc 1 7 /ch/1/pan bank 17\n", 1, "bank needs"},
	    {"cc 1 7 /ch/1/pan loud\n", 1, "unknown option"},
	    {"note 1 7 bank sideways\n", 1, "bank needs"},
	    {"pb 1 bank next\n", 1, "bank buttons"},
	    {"jackmixd-midimap 2\n", 1, "unsupported"},
	    {"cc 1 7 /ch/1/pan\ncc 1 8 /ch/1/pan\ncc 1 9 /ch/1/pan nonsense\n", 3, "unknown option"},
	};
	char err[600], want[64];
	CHECK(load("cc 1 5 /ch/1/pan\n") == 0, "base map rejected");
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = midimap_parse(mm, "bad.map", bad[i].text, strlen(bad[i].text), err, sizeof err);
		snprintf(want, sizeof want, "bad.map:%u: ", bad[i].line);
		CHECK(r < 0, "case %u accepted: %s", i, bad[i].text);
		CHECK(r >= 0 || (!strncmp(err, want, strlen(want)) && strstr(err, bad[i].why)),
		      "case %u: want '%s...%s', got '%s'", i, want, bad[i].why, err);
	}
	/* a long line */
	char longl[MIDIMAP_LINE_MAX + 40];
	memset(longl, ' ', sizeof longl);
	memcpy(longl, "\ncc 1 7 /ch/1/pan", 17);
	longl[sizeof longl - 1] = '\n';
	CHECK(midimap_parse(mm, "bad.map", longl, sizeof longl, err, sizeof err) < 0 &&
	          !strncmp(err, "bad.map:2: ", 11),
	      "long line: %s", err);
	CHECK(midimap_count(mm) == 1 && midimap_get(mm, 0)->num == 5, "a rejected file changes nothing");
}

/* A meter source with the mixer's semantics: maximum since the last take. */
static float src_peak[8];

static int fake_meter(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	(void)ctx;
	if (id != P_CH_METER || idx >= 8)
		return 0;
	out[0] = out[1] = src_peak[idx];
	src_peak[idx] = -180.0f;
	return 2;
}

static int last_meter(unsigned strip)
{
	int l = -1;
	for (unsigned i = 0; i < ncap; i++)
		if (cap_len[i] == 2 && cap[i][0] == 0xD0 && (cap[i][1] >> 4) == strip)
			l = cap[i][1] & 15;
	return l;
}

static void test_mcu_meters(void)
{
	float v[2];
	struct mcu *u = mcu_new(model, cap_send, NULL, fake_meter, NULL);
	CHECK(u != NULL, "mcu_new");
	if (!u)
		return;
	for (unsigned c = 0; c < 8; c++)
		src_peak[c] = -180.0f;
	uint64_t t = 100000;
	mcu_tick(u, t); /* everything, meters dark */
	/* OSC reads first: the surface still shows the peak, once */
	src_peak[0] = -6.0f;
	CHECK(mcu_meter_take(u, P_CH_METER, 0, v) == 2 && v[0] == -6.0f, "OSC sees the peak: %g",
	      (double)v[0]);
	ncap = 0;
	mcu_tick(u, t += MCU_METER_MS);
	CHECK(last_meter(0) == 1 + (int)floor(54.0 / 5.0), "surface level for -6 dBFS: %d", last_meter(0));
	ncap = 0;
	mcu_tick(u, t += MCU_METER_MS);
	CHECK(last_meter(0) == 0, "and only once: %d", last_meter(0));
	/* the surface reads first: OSC still gets it, once */
	src_peak[1] = -31.0f;
	ncap = 0;
	mcu_tick(u, t += MCU_METER_MS);
	CHECK(last_meter(1) == 1 + (int)floor(29.0 / 5.0), "surface level for -31 dBFS: %d", last_meter(1));
	CHECK(mcu_meter_take(u, P_CH_METER, 1, v) == 2 && v[0] == -31.0f, "OSC still sees it: %g",
	      (double)v[0]);
	CHECK(mcu_meter_take(u, P_CH_METER, 1, v) == 2 && v[0] == -180.0f, "once: %g", (double)v[0]);
	CHECK(mcu_meter_take(u, P_BUS_METER, 0, v) == -1, "other meters are the mixer's");
	mcu_free(u);
}

/* ---- the shown value --------------------------------------------------- */

/* A stand-in for automation_value: instance (id, i1, 0) shows fake[id][i1]
 * while faking[id][i1] is set. */
static float fake[P_COUNT][8];
static int faking[P_COUNT][8];

static float fake_shown(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value)
{
	(void)ctx;
	return i2 == 0 && i1 < 8 && faking[id][i1] ? fake[id][i1] : model_value;
}

static void fake_move(enum param_id id, unsigned i1, float v)
{
	fake[id][i1] = v;
	faking[id][i1] = 1;
	midimap_moved(mm, id, i1, 0);
}

/* The 7-bit values sent on (status, number), in order. */
static unsigned cap_values(uint8_t a, uint8_t b, int *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ncap && n < max; i++)
		if (cap_len[i] == 3 && cap[i][0] == a && cap[i][1] == b)
			out[n++] = cap[i][2];
	return n;
}

static void test_shown(void)
{
	int v[CAP_MAX];
	reset_console();
	memset(faking, 0, sizeof faking);
	CHECK(load("cc 1 7 /ch/1/fader/db\n"
	           "cc 1 20 /ch/2/fader/db pickup\n"
	           "note 1 40 /ch/3/mute\n") == 0,
	      "map rejected");
	midimap_set_shown(mm, fake_shown, NULL);
	tick(MIDIMAP_TICK_MS);

	/* a move -40 -> 0 dB in 40 steps of the shown value alone (the model
	 * stays at 0): sent along the way, in order, ending on 0 dB */
	ncap = 0;
	int from = (int)lround(x32_from_db(-40) * 127), to = (int)lround(x32_from_db(0) * 127);
	for (int k = 0; k <= 40; k++) {
		fake_move(P_CH_FADER, 0, -40.0f + (float)k);
		midimap_moved(mm, P_CH_FADER, 0, 0); /* told twice: still one message */
		tick(MIDIMAP_TICK_MS);
	}
	unsigned n = cap_values(0xB0, 7, v, CAP_MAX);
	int ok = n >= 2 && v[0] == from && v[n - 1] == to;
	for (unsigned k = 1; k + 1 < n; k++)
		ok &= v[k] > from && v[k] < to && v[k] > v[k - 1];
	/* one message per tick at most, and only when the CC changes: one per
	 * step whose CC differs from the step before */
	unsigned want = 0;
	for (int k = 0, last = -1; k <= 40; k++) {
		int c = (int)lround(x32_from_db(-40.0 + k) * 127);
		want += c != last;
		last = c;
	}
	CHECK(ok && n == want, "a move of the shown value: %u CCs from %d to %d (first %d, last %d), want %u",
	      n, from, to, n ? v[0] : -1, n ? v[n - 1] : -1, want);
	CHECK(get(P_CH_FADER, 0, 0) == 0.0f, "the model was not touched");
	faking[P_CH_FADER][0] = 0;
	midimap_moved(mm, P_CH_FADER, 0, 0);
	tick(MIDIMAP_TICK_MS);

	/* a control's own change is not sent back ... */
	ncap = 0;
	in3(0xB0, 7, 40);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_count(0xB0, 7) == 0, "no echo to the control (%u sent)", cap_count(0xB0, 7));
	/* ... unless something else is shown: a lane in read mode plays on */
	fake[P_CH_FADER][0] = -20.0f;
	faking[P_CH_FADER][0] = 1;
	in3(0xB0, 7, 50);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_find(0xB0, 7, (uint8_t)lround(x32_from_db(-20) * 127)) >= 0 && cap_count(0xB0, 7) == 1,
	      "the control is told the lane's value when the lane overrides it (%u sent)",
	      cap_count(0xB0, 7));
	faking[P_CH_FADER][0] = 0;

	/* pick-up by the shown value: /ch/2 shows -40 dB (CC 23.8) while the
	 * model says 0 dB (CC 95.25); the control at 24 picks it up */
	fake_move(P_CH_FADER, 1, -40.0f);
	tick(MIDIMAP_TICK_MS);
	in3(0xB0, 20, 60);
	CHECK(get(P_CH_FADER, 1, 0) == 0.0f, "pick-up: far from the shown value, nothing");
	in3(0xB0, 20, 24);
	CHECK_NEAR(get(P_CH_FADER, 1, 0), x32_to_db(24 / 127.0), 1e-3, "pick-up at the shown value");
	faking[P_CH_FADER][1] = 0;

	/* a toggle flips what its LED shows */
	ncap = 0;
	fake_move(P_CH_MUTE, 2, 1.0f);
	tick(MIDIMAP_TICK_MS);
	CHECK(cap_find(0x90, 40, 127) >= 0, "the LED shows a switch that moved by itself");
	in3(0x90, 40, 127);
	CHECK(get(P_CH_MUTE, 2, 0) == 0.0f, "pressing a lit toggle turns it off");
	faking[P_CH_MUTE][2] = 0;
	midimap_set_shown(mm, NULL, NULL);

	/* Mackie Control: faders and LEDs follow the shown value */
	struct mcu *u = mcu_new(model, cap_send, NULL, fake_meter, NULL);
	CHECK(u != NULL, "mcu_new");
	if (!u)
		return;
	reset_console();
	mcu_set_shown(u, fake_shown, NULL);
	uint64_t t = 200000;
	mcu_tick(u, t);
	ncap = 0;
	int r40 = (int)lround(x32_from_db(-40) * 16383), r0 = (int)lround(x32_from_db(0) * 16383), prev = r40,
	    bad = 0;
	unsigned moves = 0;
	for (int k = 0; k <= 40; k++) {
		fake[P_CH_FADER][0] = -40.0f + (float)k;
		faking[P_CH_FADER][0] = 1;
		mcu_moved(u, P_CH_FADER, 0, 0);
		mcu_tick(u, t += MCU_TICK_MS);
	}
	for (unsigned i = 0; i < ncap; i++)
		if (cap_len[i] == 3 && cap[i][0] == 0xE0) {
			int raw = cap[i][1] | cap[i][2] << 7;
			bad |= moves && !(raw > prev && raw <= r0); /* rising, never past the end */
			prev = raw;
			moves++;
		}
	CHECK(moves == 41 && !bad && prev == r0,
	      "MCU fader 1 follows the move: %u positions, last %d (want 41, %d)", moves, prev, r0);
	/* touched: nothing while the value moves; on release, exactly it */
	uint8_t touch[3] = {0x90, 0x68, 0x7F};
	mcu_input(u, touch, 3, t);
	ncap = 0;
	for (int k = 0; k <= 10; k++) {
		fake[P_CH_FADER][0] = -(float)k;
		mcu_moved(u, P_CH_FADER, 0, 0);
		mcu_tick(u, t += MCU_TICK_MS);
	}
	unsigned e0 = 0;
	for (unsigned i = 0; i < ncap; i++)
		e0 += cap[i][0] == 0xE0;
	CHECK(e0 == 0, "a touched fader is sent nothing (%u)", e0);
	touch[2] = 0;
	mcu_input(u, touch, 3, t);
	mcu_tick(u, t += MCU_TICK_MS);
	int r10 = (int)lround(x32_from_db(-10) * 16383);
	CHECK(cap_find(0xE0, (uint8_t)(r10 & 127), (uint8_t)(r10 >> 7)) >= 0,
	      "release: told the shown -10 dB");
	/* a mute that a lane plays lights its LED */
	ncap = 0;
	fake[P_CH_MUTE][1] = 1.0f;
	faking[P_CH_MUTE][1] = 1;
	mcu_moved(u, P_CH_MUTE, 1, 0);
	mcu_tick(u, t += MCU_TICK_MS);
	CHECK(cap_find(0x90, 0x11, 0x7F) >= 0, "MCU mute 2 LED from the shown value");
	memset(faking, 0, sizeof faking);
	mcu_free(u);
	reset_console();
}

/* ---- Mackie fader touches -------------------------------------------- */

#define TOUCH_MAX 64u
static struct {
	unsigned n, bad;
	enum param_id id[TOUCH_MAX];
	unsigned i1[TOUCH_MAX];
	int on[TOUCH_MAX];
	int held[2][16]; /* [master?][channel] */
} T;

static void fake_touch(void *ctx, enum param_id id, unsigned i1, unsigned i2, int on)
{
	int *h = &T.held[id == P_MASTER_FADER][i1 & 15];
	(void)ctx;
	if ((id != P_CH_FADER && id != P_MASTER_FADER) || i2 || i1 >= 16 || *h == on)
		T.bad++; /* not a fader, or not paired */
	*h = on;
	if (T.n < TOUCH_MAX) {
		T.id[T.n] = id;
		T.i1[T.n] = i1;
		T.on[T.n] = on;
	}
	T.n++;
}

/* Exactly these touches since the last call: n triples id, i1, on. */
static int touches(unsigned n, const int *want)
{
	int ok = T.n == n && !T.bad;
	for (unsigned k = 0; ok && k < n; k++)
		ok = (int)T.id[k] == want[3 * k] && (int)T.i1[k] == want[3 * k + 1] &&
		     T.on[k] == want[3 * k + 2];
	if (!ok) {
		fprintf(stderr, "touches told (%u, %u unpaired):", T.n, T.bad);
		for (unsigned k = 0; k < T.n && k < TOUCH_MAX; k++)
			fprintf(stderr, " %s/%u/%s", T.id[k] == P_MASTER_FADER ? "master" : "ch", T.i1[k] + 1,
			        T.on[k] ? "on" : "off");
		fprintf(stderr, "\n");
	}
	T.n = T.bad = 0;
	return ok;
}

static unsigned cap_status(uint8_t st)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ncap; i++)
		n += cap[i][0] == st;
	return n;
}

static void test_mcu_touch(void)
{
	const struct param_shape sh12 = {12, 2};
	struct model *m12 = model_new(&sh12, NULL);
	struct mcu *u = m12 ? mcu_new(m12, cap_send, NULL, fake_meter, NULL) : NULL;
	const int F = P_CH_FADER, M = P_MASTER_FADER;
	uint64_t t = 300000;
	CHECK(u != NULL, "mcu_new");
	if (!u) {
		model_free(m12);
		return;
	}
	memset(&T, 0, sizeof T);
	mcu_set_touch(u, fake_touch, NULL);
	mcu_tick(u, t);
	const uint8_t t3[3] = {0x90, 0x6A, 0x7F}, r3[3] = {0x90, 0x6A, 0x00}, r3off[3] = {0x80, 0x6A, 0x40};
	const uint8_t t1[3] = {0x90, 0x68, 0x7F}, r1[3] = {0x90, 0x68, 0x00};
	const uint8_t tm[3] = {0x90, 0x70, 0x7F}, rm[3] = {0x90, 0x70, 0x00};
	const uint8_t bank_r[3] = {0x90, 0x2F, 0x7F}, chan_l[3] = {0x90, 0x30, 0x7F};

	/* strip 3 = channel 3; a second note-on is the same touch */
	mcu_input(u, t3, 3, t);
	mcu_input(u, t3, 3, t);
	CHECK(touches(1, (const int[]){F, 2, 1}), "touch strip 3: one touch of channel 3");
	mcu_input(u, r3, 3, t);
	mcu_input(u, r3, 3, t);
	CHECK(touches(1, (const int[]){F, 2, 0}), "release strip 3: one release");
	mcu_input(u, t3, 3, t);
	mcu_input(u, r3off, 3, t);
	CHECK(touches(2, (const int[]){F, 2, 1, F, 2, 0}), "note-off 0x80 releases too");

	/* the master fader */
	mcu_input(u, tm, 3, t);
	mcu_input(u, rm, 3, t);
	CHECK(touches(2, (const int[]){M, 0, 1, M, 0, 0}), "master touch and release");

	/* a bank switch while touched: the touch of channel 1 ends there,
	 * the master's goes on; the finger's release says nothing more, and
	 * a new touch names the bank's channel (offset 4: channel 5) */
	mcu_input(u, t1, 3, t);
	mcu_input(u, tm, 3, t);
	mcu_input(u, bank_r, 3, t);
	CHECK(mcu_offset(u) == 4, "bank right: offset 4, got %u", mcu_offset(u));
	CHECK(touches(3, (const int[]){F, 0, 1, M, 0, 1, F, 0, 0}), "bank switch releases channel 1 only");
	/* the finger is still on it: the motor is left alone */
	ncap = 0;
	mcu_tick(u, t += MCU_TICK_MS);
	CHECK(cap_status(0xE0) == 0, "a fader still under the finger is not moved (%u)", cap_status(0xE0));
	mcu_input(u, r1, 3, t);
	CHECK(touches(0, NULL), "the release after the bank switch tells nothing");
	mcu_input(u, t1, 3, t);
	CHECK(touches(1, (const int[]){F, 4, 1}), "after banking, strip 1 touches channel 5");
	mcu_input(u, chan_l, 3, t);
	CHECK(touches(1, (const int[]){F, 4, 0}), "channel left releases channel 5");
	mcu_input(u, r1, 3, t);
	CHECK(touches(0, NULL), "and the finger's release tells nothing");

	/* the surface gone: every touch ends, the motors may move again */
	mcu_input(u, t3, 3, t); /* offset 3: channel 6 */
	CHECK(touches(1, (const int[]){F, 5, 1}), "strip 3 at offset 3 touches channel 6");
	mcu_tick(u, t += MCU_TICK_MS);
	ncap = 0;
	mcu_release(u);
	CHECK(touches(2, (const int[]){F, 5, 0, M, 0, 0}), "mcu_release ends channel 6's and the master's");
	mcu_tick(u, t += MCU_TICK_MS);
	CHECK(cap_status(0xE2) == 1 && cap_status(0xE8) == 1,
	      "released: faders 3 and master told their position once (%u, %u)", cap_status(0xE2),
	      cap_status(0xE8));
	mcu_release(u);
	mcu_input(u, r3, 3, t); /* a late release from a surface that came back */
	CHECK(touches(0, NULL), "nothing held: nothing more to release");

	/* a new hook: what the old one was told "on" is told "off" there */
	mcu_input(u, t3, 3, t);
	mcu_set_touch(u, NULL, NULL);
	CHECK(touches(2, (const int[]){F, 5, 1, F, 5, 0}), "unhooking releases through the old hook");
	mcu_input(u, r3, 3, t);
	mcu_input(u, t3, 3, t);
	CHECK(touches(0, NULL), "no hook: touches only keep the motor still");
	for (unsigned k = 0; k < 16; k++)
		CHECK(!T.held[0][k] && !T.held[1][k], "nothing left held (%u)", k);
	mcu_free(u);
	model_free(m12);
}

int main(void)
{
	const struct param_shape shape = {8, 2};
	model = model_new(&shape, NULL);
	mm = model ? midimap_new(model, cap_send, NULL) : NULL;
	if (!mm) {
		fprintf(stderr, "%s:%d: setup failed\n", __FILE__, __LINE__);
		return 1;
	}
	midimap_on_learned(mm, on_learned, NULL);
	test_cc();
	test_14bit();
	test_notes();
	test_feedback();
	test_pickup();
	test_banks();
	test_learn();
	test_file();
	test_reject();
	test_mcu_meters();
	test_shown();
	test_mcu_touch();
	midimap_free(mm);
	model_free(model);
	return test_exit("test_midimap");
}
