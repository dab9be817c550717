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
 * path   engineering-unit OSC path; <n> channel, <a> aux bus, <b> EQ band
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
};

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

/* clang-format off */
#define JMX_PARAMS(X) \
X(CH_TRIM,        SC_CH, "/ch/<n>/trim/db", "/ch/<n>/trim",        PT_FLOAT, "dB", -20, 20, TP_LIN, DEF(0), NULL, "Input trim.") \
X(CH_POLARITY,    SC_CH, "/ch/<n>/polarity", NULL,       PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Invert polarity of the input.") \
X(CH_SOURCE,      SC_CH, "/ch/<n>/source", NULL,         PT_ENUM,  "",     0,  1, TP_NONE, DEF(0), SOURCE_TYPES, "Input: live (the JACK input) or playback (the loaded take's stem of this channel, /playback/*), switched with a 10 ms crossfade; a stem enters after trim and polarity, as it was recorded.") \
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
X(CH_NAME,        SC_CH, "/ch/<n>/name", NULL,           PT_STRING,"",     0,  0, TP_NONE, DEF(0), NULL, "Channel name.") \
X(CH_SAFE,        SC_CH, "/ch/<n>/safe", NULL,           PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Recall safe: snapshot recall leaves this channel (all its parameters and name) as it is.") \
X(CH_SEND_LEVEL,SC_CH_BUS,"/ch/<n>/send/<a>/level/db", "/ch/<n>/send/<a>/level", PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(-90), NULL, "Send level to aux bus <a> (-90 = off).") \
X(CH_SEND_PRE, SC_CH_BUS, "/ch/<n>/send/<a>/pre", NULL,  PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Send taken before the fader, mute and pan (1) or after them (0).") \
X(CH_METER,       SC_CH, "/ch/<n>/meter", "/ch/<n>/meter/norm",          PT_METER, "dBFS", -180, 20, TP_NONE, DEF(0), NULL, "Post-fader peak and RMS since last read.") \
X(CH_GATE_GR,     SC_CH, "/ch/<n>/gate/gr", NULL,        PT_METER, "dB",   0, 80, TP_NONE, DEF(0), NULL, "Gate gain reduction, max since last read.") \
X(CH_DYN_GR,      SC_CH, "/ch/<n>/dyn/gr", NULL,         PT_METER, "dB",   0, 80, TP_NONE, DEF(0), NULL, "Compressor gain reduction, max since last read.") \
X(BUS_FADER,     SC_BUS, "/bus/<a>/fader/db", "/bus/<a>/fader",      PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "Aux bus fader.") \
X(BUS_MUTE,      SC_BUS, "/bus/<a>/mute", NULL,          PT_BOOL,  "",     0,  1, TP_NONE, DEF(0), NULL, "Aux bus mute.") \
X(BUS_NAME,      SC_BUS, "/bus/<a>/name", NULL,          PT_STRING,"",     0,  0, TP_NONE, DEF(0), NULL, "Aux bus name.") \
X(BUS_METER,     SC_BUS, "/bus/<a>/meter", "/bus/<a>/meter/norm",         PT_METER, "dBFS", -180, 20, TP_NONE, DEF(0), NULL, "Bus output peak and RMS since last read.") \
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
X(MON_FADER,           SC_GLOBAL, "/mon/fader/db", "/mon/fader",           PT_FLOAT, "dB", -90, 10, TP_FADER, DEF(0), NULL, "Monitor output level.") \
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
 * recall on the control side reads. */
static inline int param_automatable(enum param_id id)
{
	enum param_type t = param_table[id].type;
	return (t == PT_FLOAT || t == PT_BOOL || t == PT_ENUM) && id != P_CH_SAFE;
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
