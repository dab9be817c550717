/*
 * params.h - THE parameter table: every controllable or readable value of
 * the console, declared once.  OSC dispatch, queries, feedback, snapshots,
 * automation, --dump-osc and the OSC man page are all generated from it;
 * the DSP binds to the same enum.  Nothing else may list parameters.
 *
 * Threads: the table and the pure lookup functions in params.c are
 * read-only data and may be used from any thread (the RT thread uses only
 * the enum and param_info()).
 *
 * Columns of JMX_PARAMS(X):
 *   X(ID, scope, path, npath, type, unit, min, max, taper, defaults, enums, doc)
 * path   engineering-unit OSC path; <n> channel, <a> aux bus, <b> EQ band,
 *        <d> DCA group, <g> mute group
 * npath  OSC path of the normalised 0..1 form along the taper, or NULL:
 *        the unit path without its unit suffix, or the unit path + "/norm"
 *        where stripping would be ambiguous or there is no unit (equal to
 *        path when the engineering range already is 0..1).  Level meters
 *        give their peak on the fader law there.
 * unit   "dB", "Hz", "ms", "" ...
 * taper  how the normalised 0..1 form maps onto [min,max]
 * defaults DEF(x) for all indices, or DEFB(b1,b2,b3,b4) per EQ band
 * enums  space-separated names for PT_ENUM (value = position), else NULL
 */
#ifndef JMX_PARAMS_H
#define JMX_PARAMS_H

#include <stddef.h>
#include <stdint.h>

enum param_scope {
	SC_GLOBAL,      /* one value */
	SC_CH,          /* per channel <n> */
	SC_CH_BAND,     /* per channel <n> and EQ band <b> */
	SC_CH_BUS,      /* per channel <n> and aux bus <a> */
	SC_BUS,         /* per aux bus <a> */
	SC_MASTER_BAND, /* per master EQ band <b> */
	SC_BUS_BAND,    /* per aux bus <a> and EQ band <b> */
	SC_CH_DCA,      /* per channel <n> and DCA group <d> */
	SC_CH_MGRP,     /* per channel <n> and mute group <g> */
	SC_BUS_DCA,     /* per aux bus <a> and DCA group <d> */
	SC_BUS_MGRP,    /* per aux bus <a> and mute group <g> */
	SC_DCA,         /* per DCA group <d> */
	SC_MGRP,        /* per mute group <g> */
};

#define JMX_DCAS       8u /* DCA groups */
#define JMX_MUTEGROUPS 6u /* mute groups */

enum param_type {
	PT_FLOAT,  /* continuous, engineering units */
	PT_BOOL,   /* 0/1 */
	PT_ENUM,   /* integer index into enums */
	PT_STRING, /* names: control side only, never reaches RT */
	PT_METER,  /* read-only, produced by the RT thread */
};

enum param_taper {
	TP_NONE,  /* no normalised form */
	TP_LIN,   /* norm = (v - min) / (max - min) */
	TP_LOG,   /* norm = log(v/min) / log(max/min) (frequencies, times) */
	TP_FADER, /* X32 fader law (dsp_fader_to_db) */
};

#define DEF(x)                                                                                               \
	{                                                                                                    \
		(x), (x), (x), (x)                                                                           \
	}
#define DEFB(a, b, c, d)                                                                                     \
	{                                                                                                    \
		(a), (b), (c), (d)                                                                           \
	}
#define EQ_TYPES "peak lshelf hshelf"
/* A channel's input (/ch/<n>/source): the JACK port, or the take played back. */
#define SOURCE_TYPES "live playback"
/* A bus's effect (dsp/fx.h enum fx_type) and a synced delay's note value
 * (fx_division_beats): d = dotted, t = triplet. */
#define FX_TYPES     "off reverb delay chorus"
#define FX_DIVISIONS "1/1 1/2 1/2d 1/2t 1/4 1/4d 1/4t 1/8 1/8d 1/8t 1/16 1/16d 1/16t 1/32"
/* The oscillator (dsp/gen.h) and where it goes: master, the monitor, or
 * aux bus <a> as "bus/<a>" (value 1 + a).  The names go up to the most
 * buses a console can have (JMX_MAX_BUSES); the model refuses a bus the
 * console was not started with (model.c). */
#define GEN_TYPES "sine pink white"
#define GEN_DESTS                                                                                            \
	"master mon bus/1 bus/2 bus/3 bus/4 bus/5 bus/6 bus/7 bus/8 bus/9 bus/10 bus/11 bus/12 bus/13 "      \
	"bus/14 bus/15 bus/16 bus/17 bus/18 bus/19 bus/20 bus/21 bus/22 bus/23 bus/24 bus/25 bus/26 bus/27 " \
	"bus/28 bus/29 bus/30 bus/31 bus/32"

/* X32's scribble-strip colours; the "i" variants are inverted. */
#define COLORS                                                                                               \
	"off red green yellow blue magenta cyan white offi redi greeni yellowi bluei magentai cyani whitei"

/* clang-format off */
#define JMX_PARAMS(X) \
X(CH_TRIM,        SC_CH, "/ch/<n>/trim/db", "/ch/<n>/trim",        PT_FLOAT, "dB", -20, 20, TP_LIN, DEF(0), NULL, "Input trim.") \
X(CH_POLARITY,    SC_CH, "/ch/<n>/polarity", NULL,       PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Invert polarity of the input.") \
X(CH_SOURCE,      SC_CH, "/ch/<n>/source", NULL,         PT_ENUM,  "",     0,  1, TP_NONE, DEF(0), SOURCE_TYPES, "Input: live (the JACK input) or playback (the loaded take's stem of this channel, /playback/*), switched with a 10 ms crossfade; a stem enters as it was recorded: trim and polarity held neutral (it has them), before the input delay, so it is delayed and read by keys as the live input is.") \
X(CH_HPF_ON,      SC_CH, "/ch/<n>/hpf/on", NULL,         PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "High-pass filter (12 dB/oct Butterworth) in.") \
X(CH_HPF_HZ,      SC_CH, "/ch/<n>/hpf/hz", "/ch/<n>/hpf",         PT_FLOAT, "Hz",  20, 400, TP_LOG, DEF(80), NULL, "High-pass corner (-3 dB) frequency.") \
X(CH_GATE_ON,     SC_CH, "/ch/<n>/gate/on", NULL,        PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Noise gate in.") \
X(CH_GATE_THR,    SC_CH, "/ch/<n>/gate/thr/db", "/ch/<n>/gate/thr",    PT_FLOAT, "dB", -80,  0, TP_LIN, DEF(-40), NULL, "Gate threshold (peak level that opens the gate).") \
X(CH_GATE_RANGE,  SC_CH, "/ch/<n>/gate/range/db", "/ch/<n>/gate/range",  PT_FLOAT, "dB",   0, 80, TP_LIN, DEF(40), NULL, "Attenuation while the gate is closed.") \
X(CH_GATE_ATTACK, SC_CH, "/ch/<n>/gate/attack/ms", "/ch/<n>/gate/attack", PT_FLOAT, "ms", 0.05, 100, TP_LOG, DEF(0.5), NULL, "Gate opening time.") \
X(CH_GATE_HOLD,   SC_CH, "/ch/<n>/gate/hold/ms", "/ch/<n>/gate/hold",   PT_FLOAT, "ms",   0, 2000, TP_LIN, DEF(50), NULL, "Time the gate stays open after the signal falls below threshold.") \
X(CH_GATE_RELEASE,SC_CH, "/ch/<n>/gate/release/ms", "/ch/<n>/gate/release",PT_FLOAT, "ms",   5, 4000, TP_LOG, DEF(150), NULL, "Gate closing time.") \
X(CH_EQ_ON,       SC_CH, "/ch/<n>/eq/on", NULL,          PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Parametric EQ in.") \
X(CH_EQ_TYPE, SC_CH_BAND, "/ch/<n>/eq/<b>/type", NULL,   PT_ENUM,  "",     0,  2, TP_NONE, DEFB(1, 0, 0, 2), EQ_TYPES, "EQ band type: peak, lshelf (low shelf) or hshelf (high shelf).") \
X(CH_EQ_HZ,   SC_CH_BAND, "/ch/<n>/eq/<b>/hz", "/ch/<n>/eq/<b>/hz/norm",     PT_FLOAT, "Hz",  20, 20000, TP_LOG, DEFB(100, 500, 2000, 8000), NULL, "EQ band centre or corner frequency.") \
X(CH_EQ_DB,   SC_CH_BAND, "/ch/<n>/eq/<b>/db", "/ch/<n>/eq/<b>/db/norm",     PT_FLOAT, "dB", -15, 15, TP_LIN, DEF(0), NULL, "EQ band gain.") \
X(CH_EQ_Q,    SC_CH_BAND, "/ch/<n>/eq/<b>/q", "/ch/<n>/eq/<b>/q/norm",      PT_FLOAT, "",   0.3, 10, TP_LOG, DEF(0.7071f), NULL, "EQ band Q (shelves: slope, 0.7071 = steepest without overshoot).") \
X(CH_DYN_ON,      SC_CH, "/ch/<n>/dyn/on", NULL,         PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Compressor in.") \
X(CH_DYN_THR,     SC_CH, "/ch/<n>/dyn/thr/db", "/ch/<n>/dyn/thr",     PT_FLOAT, "dB", -60,  0, TP_LIN, DEF(-20), NULL, "Compressor threshold.") \
X(CH_DYN_RATIO,   SC_CH, "/ch/<n>/dyn/ratio", "/ch/<n>/dyn/ratio/norm",      PT_FLOAT, "",     1, 20, TP_LOG, DEF(3), NULL, "Compressor ratio (n:1).") \
X(CH_DYN_ATTACK,  SC_CH, "/ch/<n>/dyn/attack/ms", "/ch/<n>/dyn/attack",  PT_FLOAT, "ms", 0.1, 200, TP_LOG, DEF(10), NULL, "Compressor attack time.") \
X(CH_DYN_RELEASE, SC_CH, "/ch/<n>/dyn/release/ms", "/ch/<n>/dyn/release", PT_FLOAT, "ms",   5, 4000, TP_LOG, DEF(100), NULL, "Compressor release time.") \
X(CH_DYN_KNEE,    SC_CH, "/ch/<n>/dyn/knee/db", "/ch/<n>/dyn/knee",    PT_FLOAT, "dB",   0, 24, TP_LIN, DEF(6), NULL, "Compressor soft-knee width.") \
X(CH_DYN_MAKEUP,  SC_CH, "/ch/<n>/dyn/makeup/db", "/ch/<n>/dyn/makeup",  PT_FLOAT, "dB",   0, 24, TP_LIN, DEF(0), NULL, "Compressor make-up gain.") \
X(CH_FADER,       SC_CH, "/ch/<n>/fader/db", "/ch/<n>/fader",       PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "Channel fader (-90 = off).") \
X(CH_MUTE,        SC_CH, "/ch/<n>/mute", NULL,           PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Channel mute (post-fader sends and master).") \
X(CH_SOLO,        SC_CH, "/ch/<n>/solo", NULL,           PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Solo to the monitor bus (PFL, or AFL with /mon/afl); never alters master.") \
X(CH_PAN,         SC_CH, "/ch/<n>/pan", "/ch/<n>/pan",            PT_FLOAT, "",     0,  1, TP_LIN, DEF(0.5f), NULL, "Pan (mono: constant power, -3 dB at centre) or balance (stereo); 0 left, 0.5 centre, 1 right.") \
X(CH_MASTER,      SC_CH, "/ch/<n>/master", NULL,         PT_BOOL,  "",     0,  1, TP_NONE, DEF(1), NULL, "Channel feeds the master directly (0: only through its sends, e.g. post-fader to a subgroup bus routed to master); sends and solo are unaffected.") \
X(CH_NAME,        SC_CH, "/ch/<n>/name", NULL,           PT_STRING,"",     0,  0, TP_NONE, DEF(0), NULL, "Channel name.") \
X(CH_SAFE,        SC_CH, "/ch/<n>/safe", NULL,           PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Recall safe: snapshot recall leaves this channel (all its parameters and name) as it is.") \
X(CH_DCA,    SC_CH_DCA, "/ch/<n>/dca/<d>", NULL,        PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Member of DCA group <d>: its fader adds to this channel's (in dB), its mute mutes it.") \
X(CH_MUTEGROUP, SC_CH_MGRP, "/ch/<n>/mutegroup/<g>", NULL, PT_BOOL, "",  0,  1, TP_NONE, DEF(0), NULL, "Member of mute group <g>: silent while the group is on; its own mute is untouched.") \
X(CH_LINK,        SC_CH, "/ch/<n>/link", NULL,           PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Link the pair of odd channel n and n+1 (either number of the pair): every change applies to both, pan mirrored, names apart; linking copies the odd channel to the even one; dynamics detect on both.") \
X(CH_COLOR,       SC_CH, "/ch/<n>/color", NULL,          PT_ENUM,  "",     0, 15, TP_NONE, DEF(0), COLORS, "Channel colour (X32 names; the i variants are inverted).") \
X(CH_FADER_EFF,   SC_CH, "/ch/<n>/fader/effective/db", NULL, PT_METER, "dB", -90, 10, TP_NONE, DEF(0), NULL, "Effective fader, read-only: own fader plus its DCAs', -90 (off) when muted by itself, a DCA or a mute group.") \
X(CH_SEND_LEVEL,SC_CH_BUS,"/ch/<n>/send/<a>/level/db", "/ch/<n>/send/<a>/level", PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(-90), NULL, "Send level to aux bus <a> (-90 = off).") \
X(CH_SEND_PRE, SC_CH_BUS, "/ch/<n>/send/<a>/pre", NULL,  PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Send taken before the fader, mute and pan (1) or after them (0).") \
X(CH_DELAY,         SC_CH, "/ch/<n>/delay/ms", "/ch/<n>/delay",     PT_FLOAT, "ms",   0, 100, TP_LIN, DEF(0), NULL, "Input delay after trim and polarity, for aligning microphones: whole samples (the nearest); a change crossfades from the old delay to the new in 5 ms.") \
X(CH_GATE_KEY,      SC_CH, "/ch/<n>/gate/key", NULL,     PT_FLOAT, "ch",   0, 256, TP_NONE, DEF(0), NULL, "Gate key: 0 the channel itself, k channel k's signal after its trim and polarity, before its delay (a stereo key: its louder side); beyond the console's channels, the last.") \
X(CH_DYN_KEY,       SC_CH, "/ch/<n>/dyn/key", NULL,      PT_FLOAT, "ch",   0, 256, TP_NONE, DEF(0), NULL, "Compressor key: 0 the channel itself, k channel k's signal after its trim and polarity, before its delay (a stereo key: its louder side), through the key high-pass when it is in.") \
X(CH_DYN_KEY_HPF_ON,SC_CH, "/ch/<n>/dyn/key/hpf/on", NULL, PT_BOOL, "",    0,  1, TP_NONE, DEF(0), NULL, "High-pass (12 dB/oct Butterworth) on the compressor's key in, so low notes do not pump the compressor.") \
X(CH_DYN_KEY_HPF_HZ,SC_CH, "/ch/<n>/dyn/key/hpf/hz", "/ch/<n>/dyn/key/hpf", PT_FLOAT, "Hz", 20, 500, TP_LOG, DEF(100), NULL, "Corner (-3 dB) of the key's high-pass.") \
X(CH_METER,       SC_CH, "/ch/<n>/meter", "/ch/<n>/meter/norm",          PT_METER, "dBFS", -180, 20, TP_NONE, DEF(0), NULL, "Post-fader peak and RMS since last read.") \
X(CH_GATE_GR,     SC_CH, "/ch/<n>/gate/gr", NULL,        PT_METER, "dB",   0, 80, TP_NONE, DEF(0), NULL, "Gate gain reduction, max since last read.") \
X(CH_DYN_GR,      SC_CH, "/ch/<n>/dyn/gr", NULL,         PT_METER, "dB",   0, 80, TP_NONE, DEF(0), NULL, "Compressor gain reduction, max since last read.") \
X(BUS_FADER,     SC_BUS, "/bus/<a>/fader/db", "/bus/<a>/fader",      PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "Aux bus fader.") \
X(BUS_MUTE,      SC_BUS, "/bus/<a>/mute", NULL,          PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Aux bus mute.") \
X(BUS_DCA,   SC_BUS_DCA, "/bus/<a>/dca/<d>", NULL,       PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Member of DCA group <d>: its fader adds to this bus's (in dB), its mute mutes it.") \
X(BUS_MUTEGROUP, SC_BUS_MGRP, "/bus/<a>/mutegroup/<g>", NULL, PT_BOOL, "", 0,  1, TP_NONE, DEF(0), NULL, "Member of mute group <g>: silent while the group is on; its own mute is untouched.") \
X(BUS_COLOR,     SC_BUS, "/bus/<a>/color", NULL,         PT_ENUM,  "",     0, 15, TP_NONE, DEF(0), COLORS, "Aux bus colour.") \
X(BUS_FADER_EFF, SC_BUS, "/bus/<a>/fader/effective/db", NULL, PT_METER, "dB", -90, 10, TP_NONE, DEF(0), NULL, "Effective bus fader, read-only: own fader plus its DCAs', -90 (off) when muted by itself, a DCA or a mute group.") \
X(BUS_NAME,      SC_BUS, "/bus/<a>/name", NULL,          PT_STRING,"",     0,  0, TP_NONE, DEF(0), NULL, "Aux bus name.") \
X(BUS_METER,     SC_BUS, "/bus/<a>/meter", "/bus/<a>/meter/norm",         PT_METER, "dBFS", -180, 20, TP_NONE, DEF(0), NULL, "Bus output peak and RMS since last read.") \
X(BUS_MASTER,    SC_BUS, "/bus/<a>/master", NULL,        PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "The bus also feeds the master after its fader, output delay and balance: a subgroup or an effect return (buses sum channels only, so routing has no loops).") \
X(BUS_PAN,       SC_BUS, "/bus/<a>/pan", "/bus/<a>/pan",  PT_FLOAT, "",     0,  1, TP_LIN, DEF(0.5f), NULL, "Balance of the bus into the master (the stereo channels' law: unity at the centre, the far side down to 0 at the end); the bus outputs are not balanced.") \
X(BUS_SOLO,      SC_BUS, "/bus/<a>/solo", NULL,          PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Solo the bus to the monitor (AFL: what its outputs carry); never alters master.") \
X(BUS_EQ_ON,     SC_BUS, "/bus/<a>/eq/on", NULL,         PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Bus parametric EQ in (after the effect, before the compressor).") \
X(BUS_EQ_TYPE, SC_BUS_BAND, "/bus/<a>/eq/<b>/type", NULL, PT_ENUM, "",     0,  2, TP_NONE, DEFB(1, 0, 0, 2), EQ_TYPES, "Bus EQ band type: peak, lshelf or hshelf.") \
X(BUS_EQ_HZ,   SC_BUS_BAND, "/bus/<a>/eq/<b>/hz", "/bus/<a>/eq/<b>/hz/norm", PT_FLOAT, "Hz", 20, 20000, TP_LOG, DEFB(100, 500, 2000, 8000), NULL, "Bus EQ band centre or corner frequency.") \
X(BUS_EQ_DB,   SC_BUS_BAND, "/bus/<a>/eq/<b>/db", "/bus/<a>/eq/<b>/db/norm", PT_FLOAT, "dB", -15, 15, TP_LIN, DEF(0), NULL, "Bus EQ band gain.") \
X(BUS_EQ_Q,    SC_BUS_BAND, "/bus/<a>/eq/<b>/q", "/bus/<a>/eq/<b>/q/norm",   PT_FLOAT, "",  0.3, 10, TP_LOG, DEF(0.7071f), NULL, "Bus EQ band Q (shelves: slope).") \
X(BUS_DYN_ON,     SC_BUS, "/bus/<a>/dyn/on", NULL,       PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Bus compressor (stereo-linked, the channels' design) in.") \
X(BUS_DYN_THR,    SC_BUS, "/bus/<a>/dyn/thr/db", "/bus/<a>/dyn/thr",     PT_FLOAT, "dB", -60,  0, TP_LIN, DEF(-20), NULL, "Bus compressor threshold.") \
X(BUS_DYN_RATIO,  SC_BUS, "/bus/<a>/dyn/ratio", "/bus/<a>/dyn/ratio/norm", PT_FLOAT, "",   1, 20, TP_LOG, DEF(3), NULL, "Bus compressor ratio (n:1).") \
X(BUS_DYN_ATTACK, SC_BUS, "/bus/<a>/dyn/attack/ms", "/bus/<a>/dyn/attack",  PT_FLOAT, "ms", 0.1, 200, TP_LOG, DEF(10), NULL, "Bus compressor attack time.") \
X(BUS_DYN_RELEASE,SC_BUS, "/bus/<a>/dyn/release/ms", "/bus/<a>/dyn/release", PT_FLOAT, "ms",   5, 4000, TP_LOG, DEF(100), NULL, "Bus compressor release time.") \
X(BUS_DYN_KNEE,   SC_BUS, "/bus/<a>/dyn/knee/db", "/bus/<a>/dyn/knee",    PT_FLOAT, "dB",   0, 24, TP_LIN, DEF(6), NULL, "Bus compressor soft-knee width.") \
X(BUS_DYN_MAKEUP, SC_BUS, "/bus/<a>/dyn/makeup/db", "/bus/<a>/dyn/makeup",  PT_FLOAT, "dB",   0, 24, TP_LIN, DEF(0), NULL, "Bus compressor make-up gain.") \
X(BUS_DYN_GR,     SC_BUS, "/bus/<a>/dyn/gr", NULL,       PT_METER, "dB",   0, 80, TP_NONE, DEF(0), NULL, "Bus compressor gain reduction, max since last read.") \
X(BUS_DELAY,      SC_BUS, "/bus/<a>/delay/ms", "/bus/<a>/delay", PT_FLOAT, "ms", 0, 500, TP_LIN, DEF(0), NULL, "Output delay of the bus (after fader and mute; its outputs and its master feed), exact to the sample; a change crossfades.") \
X(BUS_FX,         SC_BUS, "/bus/<a>/fx", NULL,           PT_ENUM,  "",     0,  3, TP_NONE, DEF(0), FX_TYPES, "The bus's built-in effect, 100 % wet (the bus is its return): off (the bus passes its sum), reverb, delay or chorus; a change crossfades.") \
X(BUS_FX_DECAY,   SC_BUS, "/bus/<a>/fx/decay/s", "/bus/<a>/fx/decay", PT_FLOAT, "s", 0.2, 10, TP_LOG, DEF(2), NULL, "Reverb: RT60 at mid frequencies.") \
X(BUS_FX_PREDELAY,SC_BUS, "/bus/<a>/fx/predelay/ms", "/bus/<a>/fx/predelay", PT_FLOAT, "ms", 0, 200, TP_LIN, DEF(20), NULL, "Reverb: pre-delay, exact to the sample.") \
X(BUS_FX_DAMP,    SC_BUS, "/bus/<a>/fx/damp/hz", "/bus/<a>/fx/damp", PT_FLOAT, "Hz", 500, 20000, TP_LOG, DEF(6000), NULL, "Reverb: frequency above which decay shortens; delay: echoes darken above it.") \
X(BUS_FX_LOWCUT,  SC_BUS, "/bus/<a>/fx/lowcut/hz", "/bus/<a>/fx/lowcut", PT_FLOAT, "Hz", 20, 1000, TP_LOG, DEF(100), NULL, "Reverb: high-pass on its input.") \
X(BUS_FX_SIZE,    SC_BUS, "/bus/<a>/fx/size", "/bus/<a>/fx/size", PT_FLOAT, "",    0,  1, TP_LIN, DEF(0.5f), NULL, "Reverb: room size (0 small .. 1 large).") \
X(BUS_FX_WIDTH,   SC_BUS, "/bus/<a>/fx/width", "/bus/<a>/fx/width", PT_FLOAT, "",  0,  1, TP_LIN, DEF(1), NULL, "Reverb: stereo width of the tail (0 mono .. 1 full).") \
X(BUS_FX_TIME,    SC_BUS, "/bus/<a>/fx/time/ms", "/bus/<a>/fx/time", PT_FLOAT, "ms", 1, 2000, TP_LOG, DEF(375), NULL, "Delay: echo time, exact to the sample (unless synced to a transport tempo); a change glides without a click.") \
X(BUS_FX_FEEDBACK,SC_BUS, "/bus/<a>/fx/feedback", "/bus/<a>/fx/feedback/norm", PT_FLOAT, "", 0, 0.95, TP_LIN, DEF(0.35f), NULL, "Delay: each echo is this factor below the last.") \
X(BUS_FX_PINGPONG,SC_BUS, "/bus/<a>/fx/pingpong", NULL,  PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Delay: echoes alternate left and right.") \
X(BUS_FX_SYNC,    SC_BUS, "/bus/<a>/fx/sync", NULL,      PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Delay: the time follows JACK transport's tempo (the note value of /bus/<a>/fx/division) when it gives one, else the set time.") \
X(BUS_FX_DIVISION,SC_BUS, "/bus/<a>/fx/division", NULL,  PT_ENUM,  "",     0, 13, TP_NONE, DEF(4), FX_DIVISIONS, "Delay: note value of a synced echo (d dotted, t triplet).") \
X(BUS_FX_RATE,    SC_BUS, "/bus/<a>/fx/rate/hz", "/bus/<a>/fx/rate", PT_FLOAT, "Hz", 0.05, 10, TP_LOG, DEF(0.8f), NULL, "Chorus: modulation rate.") \
X(BUS_FX_DEPTH,   SC_BUS, "/bus/<a>/fx/depth/ms", "/bus/<a>/fx/depth", PT_FLOAT, "ms", 0, 10, TP_LIN, DEF(2), NULL, "Chorus: modulation depth.") \
X(MASTER_FADER, SC_GLOBAL, "/master/fader/db", "/master/fader",     PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "Master fader (before the limiter).") \
X(MASTER_MUTE,  SC_GLOBAL, "/master/mute", NULL,         PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Master mute.") \
X(MASTER_EQ_ON, SC_GLOBAL, "/master/eq/on", NULL,        PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Master EQ in.") \
X(MASTER_EQ_TYPE, SC_MASTER_BAND, "/master/eq/<b>/type", NULL, PT_ENUM, "", 0, 2, TP_NONE, DEFB(1, 0, 0, 2), EQ_TYPES, "Master EQ band type: peak, lshelf or hshelf.") \
X(MASTER_EQ_HZ,   SC_MASTER_BAND, "/master/eq/<b>/hz", "/master/eq/<b>/hz/norm",   PT_FLOAT, "Hz", 20, 20000, TP_LOG, DEFB(60, 400, 2500, 10000), NULL, "Master EQ band frequency.") \
X(MASTER_EQ_DB,   SC_MASTER_BAND, "/master/eq/<b>/db", "/master/eq/<b>/db/norm",   PT_FLOAT, "dB", -15, 15, TP_LIN, DEF(0), NULL, "Master EQ band gain.") \
X(MASTER_EQ_Q,    SC_MASTER_BAND, "/master/eq/<b>/q", "/master/eq/<b>/q/norm",    PT_FLOAT, "",  0.3, 10, TP_LOG, DEF(0.7071f), NULL, "Master EQ band Q.") \
X(MASTER_COMP_ON,      SC_GLOBAL, "/master/comp/on", NULL,         PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Master glue compressor (stereo-linked) in.") \
X(MASTER_COMP_THR,     SC_GLOBAL, "/master/comp/thr/db", "/master/comp/thr",     PT_FLOAT, "dB", -60,  0, TP_LIN, DEF(-12), NULL, "Glue compressor threshold.") \
X(MASTER_COMP_RATIO,   SC_GLOBAL, "/master/comp/ratio", "/master/comp/ratio/norm",      PT_FLOAT, "",     1, 20, TP_LOG, DEF(2), NULL, "Glue compressor ratio.") \
X(MASTER_COMP_ATTACK,  SC_GLOBAL, "/master/comp/attack/ms", "/master/comp/attack",  PT_FLOAT, "ms", 0.1, 200, TP_LOG, DEF(30), NULL, "Glue compressor attack.") \
X(MASTER_COMP_RELEASE, SC_GLOBAL, "/master/comp/release/ms", "/master/comp/release", PT_FLOAT, "ms",   5, 4000, TP_LOG, DEF(300), NULL, "Glue compressor release.") \
X(MASTER_COMP_KNEE,    SC_GLOBAL, "/master/comp/knee/db", "/master/comp/knee",    PT_FLOAT, "dB",   0, 24, TP_LIN, DEF(6), NULL, "Glue compressor knee width.") \
X(MASTER_COMP_MAKEUP,  SC_GLOBAL, "/master/comp/makeup/db", "/master/comp/makeup",  PT_FLOAT, "dB",   0, 24, TP_LIN, DEF(0), NULL, "Glue compressor make-up gain.") \
X(MASTER_WIDTH,        SC_GLOBAL, "/master/width", "/master/width/norm",           PT_FLOAT, "",     0,  2, TP_LIN, DEF(1), NULL, "Stereo width (mid/side): 0 mono, 1 unchanged, 2 double side.") \
X(MASTER_LIMITER_ON,   SC_GLOBAL, "/master/limiter/on", NULL,      PT_BOOL,  "",     0,  1, TP_NONE, DEF(1), NULL, "True-peak limiter in (its latency stays when out).") \
X(MASTER_LIMITER_CEILING, SC_GLOBAL, "/master/limiter/ceiling/db", "/master/limiter/ceiling", PT_FLOAT, "dBTP", -20, 0, TP_LIN, DEF(-1), NULL, "Limiter ceiling, true peak.") \
X(MASTER_LIMITER_RELEASE, SC_GLOBAL, "/master/limiter/release/ms", "/master/limiter/release", PT_FLOAT, "ms", 1, 1000, TP_LOG, DEF(50), NULL, "Limiter release time.") \
X(MASTER_LEVELER_ON,     SC_GLOBAL, "/master/leveler/on", NULL, PT_BOOL, "", 0, 1, TP_NONE, DEF(0), NULL, "Live leveler in (before the limiter): a slow, gated short-term-loudness (3 s, K-weighted) gain for streams and long sets; it holds in silence and below target - range - 10 LU.") \
X(MASTER_LEVELER_TARGET, SC_GLOBAL, "/master/leveler/target/lufs", "/master/leveler/target", PT_FLOAT, "LUFS", -40, -5, TP_LIN, DEF(-16), NULL, "Leveler target short-term loudness.") \
X(MASTER_LEVELER_RANGE,  SC_GLOBAL, "/master/leveler/range/db", "/master/leveler/range", PT_FLOAT, "dB", 0, 24, TP_LIN, DEF(12), NULL, "The most the leveler may boost or cut.") \
X(MASTER_LEVELER_SPEED,  SC_GLOBAL, "/master/leveler/speed/dbs", "/master/leveler/speed", PT_FLOAT, "dB/s", 0.05, 10, TP_LOG, DEF(0.5), NULL, "The fastest the leveler's gain may move.") \
X(MASTER_LEVELER_GAIN,   SC_GLOBAL, "/master/leveler/gain", NULL, PT_METER, "dB", -24, 24, TP_NONE, DEF(0), NULL, "Leveler gain now (+ boost, - cut; 0 when out).") \
X(MASTER_METER,        SC_GLOBAL, "/master/meter", "/master/meter/norm",           PT_METER, "dBFS", -180, 20, TP_NONE, DEF(0), NULL, "Master output peak and RMS since last read (L/R max).") \
X(MASTER_COMP_GR,      SC_GLOBAL, "/master/comp/gr", NULL,         PT_METER, "dB",   0, 80, TP_NONE, DEF(0), NULL, "Glue compressor gain reduction, max since last read.") \
X(MASTER_LIMITER_GR,   SC_GLOBAL, "/master/limiter/gr", NULL,      PT_METER, "dB",   0, 80, TP_NONE, DEF(0), NULL, "Limiter gain reduction, max since last read.") \
X(MASTER_LOUD_M,       SC_GLOBAL, "/master/loudness/m", NULL,      PT_METER, "LUFS", -120, 20, TP_NONE, DEF(0), NULL, "Momentary loudness of the master (EBU R128, 400 ms), updated 10 times a second; -120 = silence.") \
X(MASTER_LOUD_S,       SC_GLOBAL, "/master/loudness/s", NULL,      PT_METER, "LUFS", -120, 20, TP_NONE, DEF(0), NULL, "Short-term loudness of the master (3 s), updated 10 times a second.") \
X(MASTER_LOUD_I,       SC_GLOBAL, "/master/loudness/i", NULL,      PT_METER, "LUFS", -120, 20, TP_NONE, DEF(0), NULL, "Integrated (gated) loudness since /master/loudness/reset or the last record start, updated every second.") \
X(MASTER_LOUD_LRA,     SC_GLOBAL, "/master/loudness/lra", NULL,    PT_METER, "LU",      0, 100, TP_NONE, DEF(0), NULL, "Loudness range (EBU Tech 3342) since the same reset, updated every second.") \
X(MASTER_LOUD_TP,      SC_GLOBAL, "/master/loudness/tp", NULL,     PT_METER, "dBTP", -120, 20, TP_NONE, DEF(0), NULL, "Maximum true peak of the master since the same reset.") \
X(DCA_FADER,            SC_DCA, "/dca/<d>/fader/db", "/dca/<d>/fader", PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "DCA fader: added in dB to every member's own fader (the sum limited to -90..+10 dB); -90 turns the members off.") \
X(DCA_MUTE,             SC_DCA, "/dca/<d>/mute", NULL,      PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "DCA mute: mutes every member; their own mutes are untouched.") \
X(DCA_NAME,             SC_DCA, "/dca/<d>/name", NULL,      PT_STRING,"",     0,  0, TP_NONE, DEF(0), NULL, "DCA group name.") \
X(DCA_COLOR,            SC_DCA, "/dca/<d>/color", NULL,     PT_ENUM,  "",     0, 15, TP_NONE, DEF(0), COLORS, "DCA group colour.") \
X(MUTEGROUP_ON,        SC_MGRP, "/mutegroup/<g>/on", NULL,  PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Mute group on: every member is silent (the same ramp as mute); off restores each member's own mute.") \
X(MON_FADER,           SC_GLOBAL, "/mon/fader/db", "/mon/fader",           PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "Monitor output level.") \
X(GEN_ON,              SC_GLOBAL, "/gen/on", NULL,                 PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Oscillator on (click-free).") \
X(GEN_TYPE,            SC_GLOBAL, "/gen/type", NULL,               PT_ENUM,  "",     0,  2, TP_NONE, DEF(0), GEN_TYPES, "Oscillator signal: sine, pink or white noise (noise at the RMS of a sine of the same level).") \
X(GEN_HZ,              SC_GLOBAL, "/gen/hz", "/gen/hz/norm",       PT_FLOAT, "Hz",  20, 20000, TP_LOG, DEF(1000), NULL, "Oscillator sine frequency.") \
X(GEN_LEVEL,           SC_GLOBAL, "/gen/level/db", "/gen/level",   PT_FLOAT, "dBFS", -90, 0, TP_LIN, DEF(-20), NULL, "Oscillator level: a sine's peak (0 dBFS = full scale); noise has the same RMS as that sine.") \
X(GEN_DEST,            SC_GLOBAL, "/gen/dest", NULL,               PT_ENUM,  "",     0, 33, TP_NONE, DEF(0), GEN_DESTS, "Oscillator destination: master, mon (the monitor) or bus/<a>, added to the sum before that output's fader.") \
X(TALK_ON,             SC_GLOBAL, "/talk/on", NULL,                PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Talkback on (latched; momentary with /talk/on/touch 1 and 0): talk_in to the selected destinations, and the monitor dims.") \
X(TALK_LEVEL,          SC_GLOBAL, "/talk/level/db", "/talk/level", PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "Talkback level.") \
X(TALK_DEST_MASTER,    SC_GLOBAL, "/talk/dest/master", NULL,       PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Talkback goes to the master (added to its sum, before the master fader).") \
X(TALK_DEST,           SC_BUS,    "/talk/dest/<a>", NULL,          PT_BOOL,  "",     0,  1, TP_NONE, DEF(1), NULL, "Talkback goes to aux bus <a> (added to its sum, before the bus fader).") \
X(MON_DIM,             SC_GLOBAL, "/mon/dim", NULL,                PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Dim the monitor by /mon/dim/db (also while talkback is on).") \
X(MON_DIM_DB,          SC_GLOBAL, "/mon/dim/db", "/mon/dim/db/norm", PT_FLOAT, "dB", -60, 0, TP_LIN, DEF(-20), NULL, "Monitor dim depth.") \
X(MON_MONO,            SC_GLOBAL, "/mon/mono", NULL,               PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Monitor in mono: (L+R)/2 (the sum at -6 dB) on both sides.") \
X(MON_CUT,             SC_GLOBAL, "/mon/cut", NULL,                PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Cut the monitor output (click-free).") \
X(MASTER_CORR,         SC_GLOBAL, "/master/correlation", NULL,     PT_METER, "",    -1,  1, TP_NONE, DEF(0), NULL, "Phase correlation of master L and R, sum(LR)/sqrt(sum(LL)sum(RR)) over 300 ms (exponential): +1 mono, 0 unrelated, -1 inverted; 0 in silence.") \
X(MASTER_MONOLOSS,     SC_GLOBAL, "/master/monoloss/db", NULL,     PT_METER, "dB",   0, 120, TP_NONE, DEF(0), NULL, "Mono loss of the master over the same 300 ms: 10 log10 of the stereo power (L^2+R^2)/2 over the mono power ((L+R)/2)^2; 0 for mono, 3.01 for unrelated equal signals, 120 when everything cancels; 0 in silence.") \
X(MON_AFL,             SC_GLOBAL, "/mon/afl", NULL,                PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Solo is after-fader (AFL, post-pan) instead of pre-fader (PFL).")
/* clang-format on */

enum param_id {
#define X(id, ...) P_##id,
	JMX_PARAMS(X)
#undef X
	    P_COUNT
};

struct param_info {
	const char *name; /* enum name, e.g. "CH_FADER" */
	enum param_scope scope;
	const char *path;
	const char *npath; /* normalised form, or NULL */
	enum param_type type;
	const char *unit;
	float min, max;
	enum param_taper taper;
	float def[4];
	const char *enums;
	const char *doc;
};

extern const struct param_info param_table[P_COUNT];

/* Console shape: how many instances each scope has. */
struct param_shape {
	unsigned channels; /* mono + stereo */
	unsigned buses;
};

/* How many values each index of a parameter has for a console shape:
 * n1 channels or buses (1 without), n2 bands or buses (1 without).  The
 * one place that knows what each scope's indices are. */
void param_dims(enum param_id id, const struct param_shape *shape, unsigned *n1, unsigned *n2);
/* Number of (i1, i2) instances of a parameter for a console shape. */
unsigned param_instances(enum param_id id, const struct param_shape *shape);
/* Offset of a parameter's first instance in a flat value array laid out
 * in table order; param_offset(P_COUNT) is the total. */
unsigned param_offset(enum param_id id, const struct param_shape *shape);
/* Flat index of instance (i1, i2), both zero-based (i2 is the band or bus
 * for two-index scopes, else 0). */
unsigned param_flat(enum param_id id, unsigned i1, unsigned i2, const struct param_shape *shape);
/* Default value of instance (i1, i2). */
float param_default(enum param_id id, unsigned i2);
/* Engineering value <-> normalised 0..1 along the parameter's taper. */
float param_to_norm(enum param_id id, float v);
float param_from_norm(enum param_id id, float norm);
/* Clamp to [min,max]; booleans and enums are rounded. */
float param_clamp(enum param_id id, float v);

/* Automation (lanes.h, automation.c): every parameter the audio thread
 * renders can have a lane, except the recall-safe flag, which only scene
 * recall on the control side reads, the link of a pair, which the control
 * side acts on (model.c), and the colours, which are labels. */
static inline int param_automatable(enum param_id id)
{
	enum param_type t = param_table[id].type;
	return (t == PT_FLOAT || t == PT_BOOL || t == PT_ENUM) && id != P_CH_SAFE && id != P_CH_LINK &&
	       id != P_CH_COLOR && id != P_BUS_COLOR && id != P_DCA_COLOR;
}

/* Whole-number values that change in steps and never glide: switches,
 * enumerations and channel numbers (a PT_FLOAT whose unit is "ch": a key
 * input, where 2.5 or a glide from channel 1 to 9 through the channels
 * between means nothing).  Only continuous parameters smooth, ramp, take
 * timed moves and interpolate in lanes. */
static inline int param_info_whole(const struct param_info *p)
{
	return p->type == PT_BOOL || p->type == PT_ENUM ||
	       (p->type == PT_FLOAT && p->unit[0] == 'c' && p->unit[1] == 'h' && !p->unit[2]);
}

static inline int param_continuous(enum param_id id)
{
	return param_table[id].type == PT_FLOAT && !param_info_whole(&param_table[id]);
}

/* Length of the prefix of path that the automation addresses of a
 * parameter hang off (<base>/auto, /touch, /stop): the unit path without
 * its unit when that is the normalised path ("/ch/<n>/fader" of
 * "/ch/<n>/fader/db"), else the whole unit path ("/ch/<n>/eq/<b>/hz"). */
static inline size_t param_auto_base(enum param_id id)
{
	const struct param_info *p = &param_table[id];
	size_t n = 0, k;
	if (p->npath) {
		while (p->npath[n] && p->npath[n] == p->path[n])
			n++;
		if (!p->npath[n] && p->path[n] == '/') {
			for (k = n + 1; p->path[k] && p->path[k] != '/'; k++)
				;
			if (!p->path[k])
				return n; /* path = npath + "/unit" */
		}
	}
	for (n = 0; p->path[n]; n++)
		;
	return n;
}

#endif
