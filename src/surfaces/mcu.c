/*
 * mcu.c - Mackie Control surface; see mcu.h for the protocol as used.
 *
 * Threads: control thread only.
 *
 * Invariants:
 * - "What the surface shows" (fader position and the model value behind
 *   it, LED velocities, ring bytes, LCD text, meter levels) is a cache of
 *   what was sent to it or what it sent us; -1/NAN/unknown forces a send.
 *   mcu_tick compares it with what it should show and sends the
 *   difference, so every source of change (OSC, recall, our own buttons,
 *   banking) is handled the same way and nothing is echoed: a fader the
 *   surface moved already shows the value it produced.
 * - A touched fader is never sent a position; releasing it makes its
 *   position unknown, so it is sent exactly once.
 * - held[f] names the instance whose automation touch fader f holds
 *   (the touch hook was told "on" for it and not yet "off"); it is set
 *   and cleared only in mcu_hold/mcu_unhold, so on and off pair up.  A
 *   bank switch, mcu_release and a new hook end it; touched[f] (the
 *   motor stays still) is the finger and outlives a bank switch.
 * - What it should show is the shown value (mcu_get), the model's unless
 *   automation moves the parameter; such moves arrive as mcu_moved and
 *   are synced by the same tick as model changes.
 */
#include "mcu.h"
#include "role.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "mixer.h"

#define MCU_FADERS 9u /* 8 strips and the master */
#define MCU_LCD    112u
#define MCU_CELL   7u

enum { MCU_PAN, MCU_SEND };
enum { MCU_OSC = 0, MCU_SURFACE = 1 }; /* meter consumers */

/* notes */
#define N_SOLO      0x08
#define N_MUTE      0x10
#define N_SELECT    0x18
#define N_VSELECT   0x20
#define N_SEND      0x29
#define N_PAN       0x2A
#define N_BANK_L    0x2E
#define N_BANK_R    0x2F
#define N_CHAN_L    0x30
#define N_CHAN_R    0x31
#define N_TOUCH     0x68
#define N_TOUCH_MST 0x70
/* controllers */
#define CC_VPOT 0x10
#define CC_RING 0x30

struct mcu {
	struct model *model;
	unsigned nch, nbus;
	mcu_send_fn send;
	void *send_ctx;
	mcu_meter_fn meter;
	void *meter_ctx;
	mcu_shown_fn shown;
	void *shown_ctx;
	mcu_touch_fn touch;
	void *touch_ctx;

	unsigned offset;
	int mode;
	unsigned bus;
	int selected; /* channel, or -1 */
	int touched[MCU_FADERS];
	int held[MCU_FADERS]; /* channel + 1 (master: 1) touched in automation; 0 none */
	int changed;          /* something the surface shows may differ */
	int staged;
	uint64_t next_meter;

	/* what the surface shows */
	int fader_raw[MCU_FADERS];
	float fader_val[MCU_FADERS];
	int led[128];
	int ring[MCU_STRIPS];
	char lcd[MCU_LCD];
	unsigned char lcd_known[2 * MCU_STRIPS];
	int level[MCU_STRIPS];

	/* meter fan-out: max since each consumer's last read, dB */
	float acc[2][JMX_MAX_CHANNELS][2];
};

/* What the surface should show for an instance. */
static float mcu_get(const struct mcu *u, enum param_id id, unsigned i1, unsigned i2)
{
	float v = model_get(u->model, id, i1, i2);
	return u->shown ? u->shown(u->shown_ctx, id, i1, i2, v) : v;
}

/* Cheap: the tick compares everything the surface shows anyway. */
static void mcu_changed(struct mcu *u, enum param_id id)
{
	switch (id) {
	case P_CH_FADER:
	case P_CH_MUTE:
	case P_CH_SOLO:
	case P_CH_PAN:
	case P_CH_NAME:
	case P_CH_SEND_LEVEL:
	case P_CH_SEND_PRE:
	case P_MASTER_FADER:
		u->changed = 1;
		break;
	default:
		break;
	}
}

static void mcu_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                          int clamped)
{
	(void)i1, (void)i2, (void)origin, (void)clamped;
	mcu_changed(ctx, id);
}

void mcu_moved(struct mcu *u, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	(void)i1, (void)i2;
	mcu_changed(u, id);
}

void mcu_set_shown(struct mcu *u, mcu_shown_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	u->shown = fn;
	u->shown_ctx = ctx;
	u->changed = 1;
}

static void mcu_acc_clear(struct mcu *u, int who)
{
	for (unsigned c = 0; c < JMX_MAX_CHANNELS; c++)
		u->acc[who][c][0] = u->acc[who][c][1] = -180.0f;
}

struct mcu *mcu_new(struct model *m, mcu_send_fn send, void *send_ctx, mcu_meter_fn meter, void *meter_ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct mcu *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	if (model_add_listener(m, mcu_on_change, u) < 0) {
		free(u);
		return NULL;
	}
	u->model = m;
	u->nch = model_shape(m)->channels;
	u->nbus = model_shape(m)->buses;
	u->send = send;
	u->send_ctx = send_ctx;
	u->meter = meter;
	u->meter_ctx = meter_ctx;
	u->selected = -1;
	mcu_acc_clear(u, MCU_OSC);
	mcu_acc_clear(u, MCU_SURFACE);
	mcu_refresh(u);
	return u;
}

void mcu_free(struct mcu *u)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!u)
		return;
	model_remove_listener(u->model, mcu_on_change, u);
	free(u);
}

unsigned mcu_offset(const struct mcu *u)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return u->offset;
}

void mcu_refresh(struct mcu *u)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < MCU_FADERS; i++) {
		u->fader_raw[i] = -1;
		u->fader_val[i] = NAN;
	}
	for (unsigned i = 0; i < 128; i++)
		u->led[i] = -1;
	for (unsigned s = 0; s < MCU_STRIPS; s++) {
		u->ring[s] = -1;
		u->level[s] = -1;
	}
	memset(u->lcd_known, 0, sizeof u->lcd_known);
	u->changed = 1;
}

/* Channel shown on strip s, or -1. */
static int mcu_chan(const struct mcu *u, unsigned s)
{
	unsigned c = u->offset + s;
	return c < u->nch ? (int)c : -1;
}

static unsigned mcu_max_offset(const struct mcu *u)
{
	return u->nch > MCU_STRIPS ? u->nch - MCU_STRIPS : 0;
}

/* ---- touches ------------------------------------------------------------ */

static void mcu_hold_target(unsigned f, int held, enum param_id *id, unsigned *i1)
{
	*id = f == MCU_STRIPS ? P_MASTER_FADER : P_CH_FADER;
	*i1 = f == MCU_STRIPS ? 0 : (unsigned)held - 1;
}

static void mcu_unhold(struct mcu *u, unsigned f)
{
	enum param_id id;
	unsigned i1;
	if (!u->held[f])
		return;
	mcu_hold_target(f, u->held[f], &id, &i1);
	u->held[f] = 0;
	u->touch(u->touch_ctx, id, i1, 0, 0);
}

/* Fader f is touched: its current instance is held (a repeated note-on
 * is no new touch). */
static void mcu_hold(struct mcu *u, unsigned f)
{
	int c = f < MCU_STRIPS ? mcu_chan(u, f) : 0;
	enum param_id id;
	unsigned i1;
	if (!u->touch || u->held[f] == c + 1)
		return;
	mcu_unhold(u, f);
	if (c < 0)
		return; /* a blank strip controls nothing */
	u->held[f] = c + 1;
	mcu_hold_target(f, u->held[f], &id, &i1);
	u->touch(u->touch_ctx, id, i1, 0, 1);
}

void mcu_set_touch(struct mcu *u, mcu_touch_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned f = 0; f < MCU_FADERS; f++)
		mcu_unhold(u, f);
	u->touch = fn;
	u->touch_ctx = ctx;
}

void mcu_release(struct mcu *u)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned f = 0; f < MCU_FADERS; f++) {
		mcu_unhold(u, f);
		/* no release will come for it: the motor may move again */
		if (u->touched[f]) {
			u->touched[f] = 0;
			u->fader_raw[f] = -1;
			u->changed = 1;
		}
	}
}

/* ---- meters ------------------------------------------------------------ */

static int mcu_meter_shared(struct mcu *u, int who, unsigned ch, float out[2])
{
	float v[2] = {-180.0f, -180.0f};
	if (ch >= u->nch || ch >= JMX_MAX_CHANNELS)
		return 0;
	int n = u->meter ? u->meter(u->meter_ctx, P_CH_METER, ch, v) : 0;
	if (n <= 0)
		return n;
	for (int k = 0; k < 2; k++) {
		if (!isfinite(v[k]))
			v[k] = -180.0f;
		if (v[k] > u->acc[!who][ch][k])
			u->acc[!who][ch][k] = v[k];
		out[k] = v[k] > u->acc[who][ch][k] ? v[k] : u->acc[who][ch][k];
		u->acc[who][ch][k] = -180.0f;
	}
	return n;
}

int mcu_meter_take(struct mcu *u, enum param_id id, unsigned idx, float out[2])
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (id != P_CH_METER)
		return -1;
	return mcu_meter_shared(u, MCU_OSC, idx, out);
}

static int mcu_level(float peak_db)
{
	if (!(peak_db >= -60.0f))
		return 0;
	int l = 1 + (int)floorf((peak_db + 60.0f) / 5.0f);
	return l > 12 ? 12 : l;
}

static int mcu_send_meters(struct mcu *u)
{
	for (unsigned s = 0; s < MCU_STRIPS; s++) {
		int c = mcu_chan(u, s), l = 0;
		float v[2];
		if (c >= 0 && mcu_meter_shared(u, MCU_SURFACE, (unsigned)c, v) > 0)
			l = mcu_level(v[0]);
		/* the surface lets a meter fall by itself: a lit one is
		 * refreshed every time, a dark one only once */
		if (l == 0 && u->level[s] == 0)
			continue;
		uint8_t msg[2] = {0xD0, (uint8_t)(s << 4 | (unsigned)l)};
		if (u->send(u->send_ctx, msg, 2) < 0)
			return -1;
		u->level[s] = l;
	}
	return 0;
}

/* ---- what the surface should show ----------------------------------- */

static int mcu_fader_raw(float db)
{
	return (int)lroundf(dsp_db_to_fader(db) * 16383.0f);
}

static int mcu_sync_faders(struct mcu *u)
{
	for (unsigned f = 0; f < MCU_FADERS; f++) {
		int c = f < MCU_STRIPS ? mcu_chan(u, f) : 0;
		float v;
		if (u->touched[f])
			continue;
		if (f == MCU_STRIPS)
			v = mcu_get(u, P_MASTER_FADER, 0, 0);
		else
			v = c >= 0 ? mcu_get(u, P_CH_FADER, (unsigned)c, 0) : JMX_DB_OFF;
		if (u->fader_raw[f] >= 0 && v == u->fader_val[f])
			continue;
		int raw = mcu_fader_raw(v);
		if (raw != u->fader_raw[f]) {
			uint8_t msg[3] = {(uint8_t)(0xE0 | f), (uint8_t)(raw & 127), (uint8_t)(raw >> 7)};
			if (u->send(u->send_ctx, msg, 3) < 0)
				return -1;
			u->fader_raw[f] = raw;
		}
		u->fader_val[f] = v;
	}
	return 0;
}

static int mcu_led(struct mcu *u, unsigned note, int on)
{
	int vel = on ? 127 : 0;
	if (u->led[note] == vel)
		return 0;
	uint8_t msg[3] = {0x90, (uint8_t)note, (uint8_t)vel};
	if (u->send(u->send_ctx, msg, 3) < 0)
		return -1;
	u->led[note] = vel;
	return 0;
}

static int mcu_sync_leds(struct mcu *u)
{
	for (unsigned s = 0; s < MCU_STRIPS; s++) {
		int c = mcu_chan(u, s);
		int solo = c >= 0 && mcu_get(u, P_CH_SOLO, (unsigned)c, 0) > 0.5f;
		int mute = c >= 0 && mcu_get(u, P_CH_MUTE, (unsigned)c, 0) > 0.5f;
		if (mcu_led(u, N_SOLO + s, solo) < 0 || mcu_led(u, N_MUTE + s, mute) < 0 ||
		    mcu_led(u, N_SELECT + s, c >= 0 && c == u->selected) < 0)
			return -1;
	}
	if (mcu_led(u, N_PAN, u->mode == MCU_PAN) < 0 || mcu_led(u, N_SEND, u->mode == MCU_SEND) < 0)
		return -1;
	return 0;
}

static int mcu_ring_value(const struct mcu *u, int c)
{
	if (c < 0)
		return 0;
	if (u->mode == MCU_PAN) {
		float p = mcu_get(u, P_CH_PAN, (unsigned)c, 0);
		return 1 + (int)lroundf(p * 10.0f);
	}
	float db = mcu_get(u, P_CH_SEND_LEVEL, (unsigned)c, u->bus);
	int pre = mcu_get(u, P_CH_SEND_PRE, (unsigned)c, u->bus) > 0.5f;
	return (pre ? 0x40 : 0) | 0x20 | (int)lroundf(dsp_db_to_fader(db) * 11.0f);
}

static int mcu_sync_rings(struct mcu *u)
{
	for (unsigned s = 0; s < MCU_STRIPS; s++) {
		int v = mcu_ring_value(u, mcu_chan(u, s));
		if (v == u->ring[s])
			continue;
		uint8_t msg[3] = {0xB0, (uint8_t)(CC_RING + s), (uint8_t)v};
		if (u->send(u->send_ctx, msg, 3) < 0)
			return -1;
		u->ring[s] = v;
	}
	return 0;
}

/* Printable ASCII for the LCD: one '?' per UTF-8 sequence it cannot show. */
static void mcu_ascii(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o < n; p++) {
		if (*p >= 0x20 && *p < 0x7F)
			out[o++] = (char)*p;
		else if (*p < 0x80 || *p >= 0xC0)
			out[o++] = '?';
		/* continuation bytes belong to the '?' already written */
	}
	out[o] = 0;
}

/* The 7 characters of a cell: text cut to 6, padded with spaces. */
static void mcu_cell(const struct mcu *u, unsigned line, unsigned s, char cell[MCU_CELL])
{
	char t[16] = "";
	int c = mcu_chan(u, s);
	if (c >= 0 && line == 0) {
		const char *name = model_get_string(u->model, P_CH_NAME, (unsigned)c);
		if (name && *name)
			mcu_ascii(name, t, 6);
		else
			snprintf(t, sizeof t, "Ch %d", c + 1);
	} else if (c >= 0 && u->mode == MCU_PAN) {
		int d = (int)lroundf((mcu_get(u, P_CH_PAN, (unsigned)c, 0) - 0.5f) * 200.0f);
		d = d < -100 ? -100 : d > 100 ? 100 : d;
		if (d == 0)
			snprintf(t, sizeof t, "C");
		else
			snprintf(t, sizeof t, "%c%d", d < 0 ? 'L' : 'R', d < 0 ? -d : d);
	} else if (c >= 0) {
		float db = mcu_get(u, P_CH_SEND_LEVEL, (unsigned)c, u->bus);
		if (db <= JMX_DB_OFF)
			snprintf(t, sizeof t, "-inf");
		else
			snprintf(t, sizeof t, "%.1f", (double)db);
	}
	t[6] = 0;
	memset(cell, ' ', MCU_CELL);
	memcpy(cell, t, strlen(t));
}

static int mcu_sync_lcd(struct mcu *u)
{
	for (unsigned line = 0; line < 2; line++)
		for (unsigned s = 0; s < MCU_STRIPS; s++) {
			char cell[MCU_CELL];
			unsigned off = line * 56 + s * MCU_CELL;
			mcu_cell(u, line, s, cell);
			if (u->lcd_known[line * MCU_STRIPS + s] && !memcmp(u->lcd + off, cell, MCU_CELL))
				continue;
			uint8_t msg[7 + MCU_CELL + 1] = {0xF0, 0x00, 0x00, 0x66, 0x14, 0x12, (uint8_t)off};
			memcpy(msg + 7, cell, MCU_CELL);
			msg[7 + MCU_CELL] = 0xF7;
			if (u->send(u->send_ctx, msg, sizeof msg) < 0)
				return -1;
			memcpy(u->lcd + off, cell, MCU_CELL);
			u->lcd_known[line * MCU_STRIPS + s] = 1;
		}
	return 0;
}

void mcu_tick(struct mcu *u, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	mcu_flush(u);
	if (u->changed) {
		u->changed = 0;
		if (mcu_sync_faders(u) < 0 || mcu_sync_leds(u) < 0 || mcu_sync_rings(u) < 0 ||
		    mcu_sync_lcd(u) < 0)
			u->changed = 1; /* ring full: the rest at the next tick */
	}
	if (now >= u->next_meter) {
		u->next_meter = now + MCU_METER_MS;
		mcu_send_meters(u);
	}
}

/* ---- input -------------------------------------------------------------- */

static void mcu_set(struct mcu *u, enum param_id id, unsigned i1, unsigned i2, float v)
{
	if (model_set(u->model, id, i1, i2, v, u) >= 0)
		u->staged = 1;
}

void mcu_flush(struct mcu *u)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (u->staged) {
		model_commit(u->model);
		u->staged = 0;
	}
}

static void mcu_bank(struct mcu *u, long delta)
{
	long o = (long)u->offset + delta, max = (long)mcu_max_offset(u);
	o = o < 0 ? 0 : o > max ? max : o;
	if ((unsigned)o == u->offset)
		return;
	/* a held strip fader now controls another channel: the old one's
	 * touch ends here, or nothing would ever end it (the release names
	 * the strip, not the channel).  The new channel is not touched: the
	 * finger did not come down on it */
	for (unsigned f = 0; f < MCU_STRIPS; f++)
		mcu_unhold(u, f);
	u->offset = (unsigned)o;
	mcu_acc_clear(u, MCU_SURFACE); /* new channels: no stale peaks */
	u->changed = 1;
}

static void mcu_fader(struct mcu *u, unsigned f, int raw)
{
	int c = f < MCU_STRIPS ? mcu_chan(u, f) : 0;
	float db = dsp_fader_to_db((float)raw / 16383.0f);
	if (c < 0)
		return;
	if (f == MCU_STRIPS)
		mcu_set(u, P_MASTER_FADER, 0, 0, db);
	else
		mcu_set(u, P_CH_FADER, (unsigned)c, 0, db);
	/* the fader shows this now (the value it produced; the tick still
	 * sends another one if something else is shown, e.g. a lane playing
	 * in read mode, unless the fader is touched) */
	u->fader_raw[f] = raw;
	u->fader_val[f] = f == MCU_STRIPS ? model_get(u->model, P_MASTER_FADER, 0, 0)
	                                  : model_get(u->model, P_CH_FADER, (unsigned)c, 0);
}

static void mcu_toggle(struct mcu *u, enum param_id id, unsigned c, unsigned i2)
{
	/* toggle what the LED shows */
	mcu_set(u, id, c, i2, mcu_get(u, id, c, i2) > 0.5f ? 0.0f : 1.0f);
}

static void mcu_vpot(struct mcu *u, unsigned s, uint8_t v)
{
	int c = mcu_chan(u, s);
	int ticks = v & 0x3F;
	double d = (v & 0x40 ? -ticks : ticks) * 0.01;
	if (c < 0 || ticks == 0)
		return;
	if (u->mode == MCU_PAN) {
		/* relative to what the ring shows */
		double p = mcu_get(u, P_CH_PAN, (unsigned)c, 0) + d;
		mcu_set(u, P_CH_PAN, (unsigned)c, 0, (float)(p < 0 ? 0 : p > 1 ? 1 : p));
	} else {
		double n = dsp_db_to_fader(mcu_get(u, P_CH_SEND_LEVEL, (unsigned)c, u->bus)) + d;
		n = n < 0 ? 0 : n > 1 ? 1 : n;
		mcu_set(u, P_CH_SEND_LEVEL, (unsigned)c, u->bus, dsp_fader_to_db((float)n));
	}
}

static void mcu_button(struct mcu *u, unsigned note, int press)
{
	if (note >= N_TOUCH && note <= N_TOUCH_MST) {
		unsigned f = note - N_TOUCH;
		u->touched[f] = press;
		if (press)
			mcu_hold(u, f);
		else
			mcu_unhold(u, f);
		if (!press) {
			u->fader_raw[f] = -1; /* tell it where it is */
			u->changed = 1;
		}
		return;
	}
	if (!press)
		return;
	if (note >= N_SOLO && note < N_SELECT + MCU_STRIPS) {
		unsigned s = note & 7;
		int c = mcu_chan(u, s);
		if (c < 0)
			return;
		if (note < N_MUTE)
			mcu_toggle(u, P_CH_SOLO, (unsigned)c, 0);
		else if (note < N_SELECT)
			mcu_toggle(u, P_CH_MUTE, (unsigned)c, 0);
		else
			u->selected = u->selected == c ? -1 : c;
		u->changed = 1;
		return;
	}
	if (note >= N_VSELECT && note < N_VSELECT + MCU_STRIPS) {
		int c = mcu_chan(u, note - N_VSELECT);
		if (c < 0)
			return;
		if (u->mode == MCU_PAN)
			mcu_set(u, P_CH_PAN, (unsigned)c, 0, 0.5f);
		else
			mcu_toggle(u, P_CH_SEND_PRE, (unsigned)c, u->bus);
		return;
	}
	switch (note) {
	case N_PAN:
		u->mode = MCU_PAN;
		u->changed = 1;
		break;
	case N_SEND:
		if (!u->nbus)
			break;
		if (u->mode == MCU_SEND)
			u->bus = (u->bus + 1) % u->nbus;
		u->mode = MCU_SEND;
		u->changed = 1;
		break;
	case N_BANK_L:
		mcu_bank(u, -(long)MCU_STRIPS);
		break;
	case N_BANK_R:
		mcu_bank(u, MCU_STRIPS);
		break;
	case N_CHAN_L:
		mcu_bank(u, -1);
		break;
	case N_CHAN_R:
		mcu_bank(u, 1);
		break;
	default:
		break;
	}
}

void mcu_input(struct mcu *u, const uint8_t *msg, size_t len, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	(void)now;
	if (len < 2 || msg[0] < 0x80 || msg[0] >= 0xF0)
		return; /* SysEx from the surface (handshake, version) needs no answer */
	uint8_t st = msg[0] & 0xF0, ch = msg[0] & 0x0F;
	if (len < 3)
		return;
	switch (st) {
	case 0xE0:
		if (ch < MCU_FADERS)
			mcu_fader(u, ch, msg[1] | msg[2] << 7);
		break;
	case 0x90:
	case 0x80:
		if (ch == 0)
			mcu_button(u, msg[1], st == 0x90 && msg[2] > 0);
		break;
	case 0xB0:
		if (ch == 0 && msg[1] >= CC_VPOT && msg[1] < CC_VPOT + MCU_STRIPS)
			mcu_vpot(u, msg[1] - CC_VPOT, msg[2]);
		break;
	default:
		break;
	}
}
