/*
 * mcu.h - Mackie Control (MCU, Logic Control and their clones: Behringer
 * X-Touch, Icon ...) on midi_in/midi_out: 8 strips over the console's
 * channels with banking, motor faders, touch, V-pots, buttons and LEDs,
 * scribble strips and meters.
 *
 * The surface, as this module drives it (all on MIDI channel 1 unless
 * said otherwise; buttons: note on, velocity 127 press, 0 release; LEDs:
 * the same notes from us, 127 on, 0 off):
 *   faders         pitch bend on channels 1-8 (strips), 9 (master);
 *                  position = fader law (X32, as /ch/N/fader) x 16383;
 *                  sent back whenever the value shown changes (a timed
 *                  move, a faded recall or a playing automation lane
 *                  moves it like any other change), except while the
 *                  fader is touched and except the value it just sent
 *   touch          notes 104-111 (strips), 112 (master); on release the
 *                  host sends the fader its position once.  A touch is
 *                  also an explicit automation touch of the parameter
 *                  the fader controls (the touch hook), until release,
 *                  a bank or channel switch, or mcu_release
 *   V-pots         CC 16-23, relative: bits 0-5 ticks, bit 6 set = counter-
 *                  clockwise; one tick = 1/100 of the normalised range.
 *                  PAN mode: /ch/N/pan; SEND mode: /ch/N/send/A/level/db
 *   V-pot push     notes 32-39: PAN mode centres the pan, SEND mode toggles
 *                  the send's pre/post
 *   V-pot rings    CC 48-55: PAN mode dot, position 1 + round(pan x 10);
 *                  SEND mode fill (0x20 | round(level x 11)), centre LED
 *                  (0x40) = pre-fader send
 *   buttons        solo 8-15, mute 16-23, select 24-31 (one channel);
 *                  SEND 41 (SEND mode; again: next bus), PAN 42 (PAN mode);
 *                  bank left/right 46/47 (8 channels), channel left/right
 *                  48/49 (one); LEDs on solo, mute, select, SEND, PAN
 *   scribble strip SysEx F0 00 00 66 14 12 OFFSET TEXT F7, 7 characters a
 *                  strip (6 and a space): upper line the channel name
 *                  ("Ch N" when unnamed), lower line the V-pot's value
 *                  ("C", "L20", "R35" for pan; "-12.5", "-inf" for sends)
 *   meters         channel pressure D0 (strip << 4 | level) every 100 ms,
 *                  level 0 below -60 dBFS, else 1 + floor((peak + 60) / 5)
 *                  up to 12 (>= -5 dBFS), from the channel's peak meter
 * Strips past the last channel are blank: fader down, LEDs off, empty
 * text.  Banking covers every channel: the first strip shows channel
 * offset + 1, offset 0 .. channels - 8.
 *
 * Threads: control thread only.  No JACK here (messages arrive whole and
 * leave through the send callback), so it could run offline.
 *
 * Invariants: output is the difference between what the surface should
 * show and what it was last sent (or sent us), computed at each tick: a
 * full ring delays feedback, never loses it; refresh forgets what the
 * surface shows and so resends everything.
 */
#ifndef JMX_MCU_H
#define JMX_MCU_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "params.h"

#define MCU_STRIPS   8u
#define MCU_TICK_MS  10u
#define MCU_METER_MS 100u

typedef int (*mcu_send_fn)(void *ctx, const uint8_t *msg, size_t len);
/* mixer_meter_take, or a test's stand-in. */
typedef int (*mcu_meter_fn)(void *ctx, enum param_id id, unsigned idx, float out[2]);
/* The value the surface should show for an instance, given the model's
 * (automation_value in the daemon). */
typedef float (*mcu_shown_fn)(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value);

/* A fader touched (on = 1) or let go (0): automation_touch of the
 * instance it controls in the daemon.  Calls pair up: every on is
 * followed by exactly one off for the same instance. */
typedef void (*mcu_touch_fn)(void *ctx, enum param_id id, unsigned i1, unsigned i2, int on);

struct mcu;

struct mcu *mcu_new(struct model *m, mcu_send_fn send, void *send_ctx, mcu_meter_fn meter, void *meter_ctx);
/* Calls no hook: a touch still held dies with the caller's state. */
void mcu_free(struct mcu *u);
/* Faders, LEDs, rings, the LCD and relative V-pots use fn's value (unset:
 * the model's). */
void mcu_set_shown(struct mcu *u, mcu_shown_fn fn, void *ctx);
/* Fader touches go to fn (unset: they only keep the motor still).  A
 * touch held when the hook changes is released through the old one. */
void mcu_set_touch(struct mcu *u, mcu_touch_fn fn, void *ctx);
/* The surface may be gone or replaced: every touch it reported ends (it
 * will never send the release). */
void mcu_release(struct mcu *u);
/* The shown value of an instance changed without a model change (an
 * automation display watcher): the surface is updated at the next tick. */
void mcu_moved(struct mcu *u, enum param_id id, unsigned i1, unsigned i2);

/* One complete message from the surface; model changes are committed by
 * mcu_flush at the end of a batch. */
void mcu_input(struct mcu *u, const uint8_t *msg, size_t len, uint64_t now_ms);
void mcu_flush(struct mcu *u);
/* Every MCU_TICK_MS: feedback, and meters every MCU_METER_MS. */
void mcu_tick(struct mcu *u, uint64_t now_ms);
/* The surface may have been (re)connected: send it everything. */
void mcu_refresh(struct mcu *u);

/* The OSC side of the channel-meter fan-out: mixer meters are "maximum
 * since the last read", so the surface and the OSC meter clients each
 * keep what the other read in between.  P_CH_METER only; else -1. */
int mcu_meter_take(struct mcu *u, enum param_id id, unsigned idx, float out[2]);

/* First channel shown (0-based). */
unsigned mcu_offset(const struct mcu *u);

#endif
