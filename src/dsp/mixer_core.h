/*
 * mixer_core.h - the mixer's private state, shared by the files that make
 * up the mixer (mixer.c, mixer_groups.c) and by nothing else: callers use
 * mixer.h.
 *
 * Threads: as mixer.h; the struct is written by the RT thread after
 * mixer_new, except the atomics other threads read.
 */
#ifndef JMX_MIXER_CORE_H
#define JMX_MIXER_CORE_H

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "corr.h"
#include "dsp.h"
#include "gen.h"
#include "master.h"
#include "sm.h"
#include "strip.h"

#include "mixer.h"

#define RMS_TAU_S 0.3 /* RMS meter window (one-pole on the mean square) */

enum { CM_PEAK, CM_MS, CM_GATE, CM_COMP, CM_N }; /* channel meter cells */

/* A parameter moving along a ramp (RT_RAMP), in the taper's domain. */
struct mixer_ramp {
	uint16_t id, i1, i2;
	unsigned flat;      /* index into val[] */
	float from, to;     /* dB, ln(value) or value */
	float target;       /* the value itself, for the last point */
	uint32_t len, done; /* frames */
};

/* Lanes lane..lane+len-1 of a group are input lanes ext..ext+len-1. */
struct tap_run {
	unsigned lane, ext, len;
};

struct mixer {
	struct mixer_config cfg;
	unsigned nch, lanes, ngroups, nout;
	struct strip_group *grp;
	int (*gext)[JMX_LANES]; /* group lane -> external input lane, -1 pad */
	int (*gch)[JMX_LANES];  /* group lane -> channel, -1 pad */
	unsigned *ch_lane;      /* channel -> internal lane of its first lane */
	unsigned char *ch_solo;
	unsigned solo_count;

	struct strip_chunk ck;
	unsigned pos;               /* frame position inside the current chunk */
	vf *x;                      /* every group's lane signals, JMX_CHUNK vectors each */
	struct strip_mix_list *mix; /* per accumulator, rebuilt every chunk */
	uint16_t *mix_idx;
	float *ml, *mr;               /* master pair for one piece */
	float *sl, *sr;               /* solo pair for one piece */
	float *tap;                   /* stems: JMX_MAX_FRAMES frames of `lanes` floats, or NULL */
	const float *const *pb;       /* this call's playback lanes (mixer_set_playback), or NULL */
	vf *tapx;                     /* one group's lanes after trim, JMX_CHUNK vectors */
	struct tap_run (*tap_run)[2]; /* per group: lanes -> consecutive input lanes */

	struct master *ms;
	unsigned lat;

	float *dly;       /* every group's delay lines */
	uint16_t *key_ch; /* per channel: gate key, compressor key (0 = itself) */
	unsigned keys_used;

	struct smoothed afl, solo, mon;
	struct bus_rack *rack; /* the buses' processing after the sums (bus.c) */

	/* current value of every parameter instance (flat, table order), for
	 * ramps to start from; the ramps in flight and each instance's ramp */
	unsigned flat_off[P_COUNT + 1];
	float *val;
	int32_t *ramp_of;
	struct mixer_ramp *ramps;
	unsigned nramps;
	_Atomic uint32_t *pub; /* float bits of val[], for other threads */
	mixer_chunk_fn hook;
	void *hook_ctx;

	/* monitor delay: solo L, solo R, fade, interleaved */
	float *dl;
	unsigned dl_mask, dl_w;

	_Atomic uint32_t *eff; /* effective fader dB (float bits), channels then buses */

	_Atomic uint32_t *ch_met;  /* CM_N per channel */
	_Atomic uint32_t *bus_met; /* peak, ms per bus */
	_Atomic uint32_t *bus_gr;  /* compressor reduction dB per bus */
	_Atomic uint32_t master_met[2];
	float *bus_ms; /* RMS state: L, R per bus */
	float master_ms[2];

	/* console utilities; destinations d: 0 master, 1 monitor, 2 + b bus b */
	struct gen gen;
	unsigned ndest, gen_dest;
	unsigned char gen_on, gen_type, talk_on, talk_master, mon_dim, mon_cut;
	unsigned char *talk_bus;
	float gen_db, talk_db, mon_db, dim_db;
	struct smoothed *gen_g, *talk_g; /* per destination */
	struct smoothed mono;
	float *gbuf, *tbuf, *gmon; /* one piece: oscillator, talk_in, oscillator to the monitor */
	struct corr corr;
	_Atomic uint32_t corr_pub[2]; /* correlation, mono loss dB: float bits */
};

#endif
