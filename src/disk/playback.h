/*
 * playback.h - virtual soundcheck: a take's stems (recorded with
 * --record-stems, in the record directory) read ahead by a disk thread
 * into the playback ring (rt/pbring.h), which the audio thread plays into
 * the channels whose /ch/<n>/source is playback.
 *
 * Threads:
 *   playback_new, playback_free, playback_load, playback_start,
 *   playback_stop, playback_locate, playback_status,
 *   playback_set_rate                                  control thread
 *   playback_ring                                      any (immutable)
 *   the reader (inside)                                its own disk thread
 *
 * Invariants: a take is loaded only when it fits the console (its stems
 * give exactly the console's input lanes: one multi file with a channel
 * per lane, or one split file per channel, mono or stereo like the
 * channel; the console's sample rate), else the error says why and the
 * loaded take, its position and the ring stay as they were.  Names are
 * the recorder's (recorder_name_ok) and files are opened in the record
 * directory without following links, so no name leaves it.
 */
#ifndef JMX_PLAYBACK_H
#define JMX_PLAYBACK_H

#include <stddef.h>
#include <stdint.h>

#include "pbring.h"

#define PLAYBACK_BLOCKS 64u /* ring: 64 x 1024 frames, 1.4 s at 48 kHz */

struct playback_config {
	const char *dir; /* the record directory */
	unsigned rate;
	unsigned mono, stereo;
	uint32_t blocks; /* ring blocks (power of two); 0: PLAYBACK_BLOCKS */
};

struct playback_status {
	char take[80]; /* "" when none is loaded */
	int playing;
	double pos_s, len_s;
	unsigned long long underruns; /* frames of silence for want of data */
	unsigned buffered;            /* blocks read ahead */
};

struct playback;

struct playback *playback_new(const struct playback_config *cfg);
void playback_free(struct playback *p);
struct pbring *playback_ring(struct playback *p);

/* 0, or -1 with the reason in err (nothing changed then). */
int playback_load(struct playback *p, const char *take, char *err, size_t errlen);
int playback_start(struct playback *p, char *err, size_t errlen);
void playback_stop(struct playback *p);
int playback_locate(struct playback *p, double seconds, char *err, size_t errlen);
void playback_status(struct playback *p, struct playback_status *st);
/* The console now runs at rate (JACK came back at another one): a take
 * loaded at another rate is stopped and unloaded. */
void playback_set_rate(struct playback *p, unsigned rate);

#endif
