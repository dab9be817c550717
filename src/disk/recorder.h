/*
 * recorder.h - records the master to disk and measures its loudness: a
 * disk thread drains the RT ring (recring.h), keeps the pre-roll, writes
 * takes with libsndfile (WAV that turns into RF64 past 4 GiB, or FLAC;
 * 16/24-bit PCM with TPDF dither, or 32-bit float), updates the header
 * every second so a crash leaves a playable file, stops a take cleanly on
 * a full disk or an I/O error, writes a BWF bext chunk with the take's
 * EBU R128 values, and runs the live loudness meter of the master.  On
 * request every take also gets the channels' stems (each input lane after
 * trim and polarity): one multichannel file, or one file per channel,
 * next to the master file and sample-aligned with it.
 *
 * Threads:
 *   recorder_new, recorder_free          control (main) thread; free joins
 *                                        the disk thread after finishing
 *                                        the take
 *   recorder_ring                        control: the ring the RT thread
 *                                        pushes into (recring_push)
 *   recorder_start/stop/set_format,
 *   recorder_next_event, recorder_status,
 *   recorder_loudness, recorder_loudness_reset,
 *   recorder_event_fd                    control thread only
 *   recorder_name_ok, recorder_parse_*,
 *   recorder_stems_check                 pure, any thread
 * The disk thread is internal: it alone calls libsndfile and libebur128.
 *
 * Invariants: the RT thread never waits for the disk: a period that does
 * not fit in the ring is counted and becomes exactly as many frames of
 * silence in the file.  Every take is sample-aligned to the master output
 * and starts `preroll` seconds before the start command (as far as the
 * history reaches).  A take's file always ends with a valid header, also
 * after a write error; between header updates at most header_ms of audio
 * is unaccounted for.  Stem files hold exactly the frames of the master
 * file (frame k of each comes from the same JACK frame; the master, after
 * the limiter, carries an input frame mixer_latency() frames later than
 * the stems do), in the take's format, with the same silence where the
 * ring lost frames.
 */
#ifndef JMX_RECORDER_H
#define JMX_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "loudness.h"
#include "recring.h"

#define RECORDER_NAME_MAX    64 /* client-supplied take names, without extension */
#define RECORDER_PATH_MAX    1024
#define RECORDER_MAX_PREROLL 60.0 /* seconds */

#define REC_FLAC_MAX_CHANNELS 8u /* a FLAC stream holds no more */

enum recorder_format { REC_FMT_WAV = 0, REC_FMT_FLAC = 1 };
enum recorder_sample { REC_PCM16 = 0, REC_PCM24 = 1, REC_FLOAT = 2 };
/* Stems next to the master file NAME.EXT: none; NAME.stems.EXT with one
 * channel per input lane in lane order; or NAME.ch01.EXT ... one file
 * per channel (mono or stereo), numbered like the channels. */
enum recorder_stems { REC_STEMS_OFF = 0, REC_STEMS_MULTI = 1, REC_STEMS_SPLIT = 2 };

struct recorder_config {
	const char *dir; /* where takes go (created when needed) */
	unsigned rate;   /* sample rate of the master, Hz */
	enum recorder_format format;
	enum recorder_sample sample;
	double preroll_s;                /* 0..RECORDER_MAX_PREROLL */
	double buffer_s;                 /* ring room beyond the pre-roll; 0 = 10 s */
	unsigned header_ms;              /* header update and fdatasync period; 0 = 1000 */
	long long reserve_bytes;         /* stop a take when less is free; < 0 = 2 s of audio */
	const char *originator;          /* bext originator / FLAC software tag */
	unsigned wake_frames;            /* RT wakes the disk thread every this many frames; 0 = rate/50 */
	enum recorder_stems stems;       /* the ring then has a stem plane, a column per input lane */
	unsigned stem_mono, stem_stereo; /* the console's channels, for the stems */
};

enum recorder_event_kind {
	REC_EV_STARTED = 1, /* a take is open: path */
	REC_EV_STOPPED, /* a take is closed: path, frames, dropped, loudness; msg set if an error stopped it
	                 */
	REC_EV_ERROR,   /* a start failed (msg), or a problem outside a take */
};

struct recorder_event {
	enum recorder_event_kind kind;
	char path[RECORDER_PATH_MAX];
	char msg[RECORDER_PATH_MAX + 256];
	uint64_t frames;                   /* frames in the file (including silence for dropped frames) */
	uint64_t dropped;                  /* frames of silence standing in for frames the ring lost */
	struct loudness_values loud;       /* of the take, as written to bext */
	char stem_path[RECORDER_PATH_MAX]; /* the multi stem file or the first split one, "" none */
	unsigned stem_files;               /* stem files of the take (each as long as the master) */
};

struct recorder_status {
	int active;                   /* a take is running (or being opened) */
	char path[RECORDER_PATH_MAX]; /* current or last take, "" if none; a take
	                               * not open yet: as named ("" default) */
	double seconds;               /* length of the current/last take */
	uint64_t frames;
	uint64_t dropped;
	long long disk_free;      /* bytes free where takes go, -1 unknown */
	unsigned long lost_total; /* frames the ring lost since start-up */
	enum recorder_format format;
	enum recorder_sample sample;
	struct loudness_values take; /* loudness of the current/last take */
	enum recorder_stems stems;
	unsigned stem_files;               /* of the current/last take, 0 without stems */
	char stem_path[RECORDER_PATH_MAX]; /* its multi file or first split file, "" none */
	uint64_t stem_dropped;             /* silent frames standing in for lost ones in each stem file */
};

struct recorder;

/* Allocate and pre-fault the ring, start the disk thread.  Must run before
 * the engine activates (and before mlockall) so the RT path never faults.
 * NULL after a log line on failure. */
struct recorder *recorder_new(const struct recorder_config *cfg);
/* Finish the current take (every frame pushed so far), stop the thread,
 * free.  Call after the engine stopped pushing. */
void recorder_free(struct recorder *r);

struct recring *recorder_ring(struct recorder *r);

/* Start a take named `name` (NULL or "" = master-<local time of the first
 * sample>), "name" without extension.  The take begins preroll seconds
 * before now.  0, or -1 with a reason in err (bad name, already
 * recording, the disk thread stuck with commands queued).  Opening the
 * file is asynchronous: REC_EV_STARTED or REC_EV_ERROR follows. */
int recorder_start(struct recorder *r, const char *name, char *err, size_t errlen);
/* Stop at the frame being played now.  0, or -1 (not recording, or the
 * disk thread stuck).  REC_EV_STOPPED follows once everything is on disk. */
int recorder_stop(struct recorder *r, char *err, size_t errlen);
/* Format of the next take. 0, or -1 with a reason (FLAC cannot hold float,
 * nor multi stems of more than 8 lanes). */
int recorder_set_format(struct recorder *r, enum recorder_format f, enum recorder_sample s, char *err,
                        size_t errlen);

/* A pipe the disk thread writes a byte to whenever an event is queued:
 * give it to control_add_fd and call recorder_next_event until it
 * returns -1. */
int recorder_event_fd(const struct recorder *r);
int recorder_next_event(struct recorder *r, struct recorder_event *ev);

void recorder_status(struct recorder *r, struct recorder_status *st);
/* Live loudness of the master (reset by recorder_loudness_reset and at
 * every record start, when it restarts from the take's first sample). */
void recorder_loudness(struct recorder *r, struct loudness_values *v);
void recorder_loudness_reset(struct recorder *r);

/* Take names: 1..RECORDER_NAME_MAX letters, digits, '-', '_', '.', not
 * starting with '.' (the snapshot rules).  1 if acceptable. */
int recorder_name_ok(const char *name);
/* Option values: "wav"/"flac", "16"/"24"/"32f", "off"/"multi"/"split";
 * 0 or -1. */
int recorder_parse_format(const char *s, enum recorder_format *f);
int recorder_parse_sample(const char *s, enum recorder_sample *smp);
int recorder_parse_stems(const char *s, enum recorder_stems *st);
const char *recorder_format_name(enum recorder_format f);
const char *recorder_sample_name(enum recorder_sample s);
const char *recorder_stems_name(enum recorder_stems st);
/* Whether stems of `lanes` input lanes fit format f (a FLAC file holds at
 * most REC_FLAC_MAX_CHANNELS).  0, or -1 with a reason in err. */
int recorder_stems_check(enum recorder_stems st, unsigned lanes, enum recorder_format f, char *err,
                         size_t errlen);
/* Default directory: $XDG_MUSIC_DIR, else $HOME/Music/jackmixd (into buf). */
const char *recorder_default_dir(char *buf, size_t len);

#endif
