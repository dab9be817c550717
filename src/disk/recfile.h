/*
 * recfile.h - one file of a take, in its format: libsndfile on a
 * descriptor the recorder created (WAV that turns into RF64 past 4 GiB,
 * or FLAC), the BWF bext chunk (EBU Tech 3285 v2: description, time
 * reference, EBU R 98 coding history, the take's loudness) or FLAC's
 * tags, samples written with TPDF dither at 16 and 24 bits, header
 * updates, truncation to whole frames after a write error, and closing
 * with a sync.  recorder.c decides which files a take has, what goes into
 * them and when; this module only writes them.
 *
 * Threads: recfile_scratch_init and recfile_scratch_free on the control
 * thread (recorder_new, recorder_free), recfile_sample_bytes on any;
 * everything else on the disk thread only.
 *
 * Invariants: calls go one way: recorder.c calls this module, never the
 * other way round (recorder.h lends it only its types).  A file's
 * `frames` counts what libsndfile reported written, so a WAV cut after a
 * write error to data_off + frames * frame_bytes bytes has a header that
 * describes it exactly.  The coding history has the same length at open
 * and close, so rewriting the bext chunk never moves the audio.
 */
#ifndef JMX_RECFILE_H
#define JMX_RECFILE_H

#include <sndfile.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "loudness.h"
#include "recorder.h"

#define RECFILE_SCRATCH 16384u /* samples per libsndfile call */

struct recfile {
	/* fixed at recorder_new */
	unsigned col, nch; /* the columns it holds (stem files: of the stem plane) */
	unsigned chan;     /* split stems: channel number from 1; else 0 */
	/* the take's */
	SNDFILE *sf;
	int fd;
	off_t data_off; /* where the audio starts (WAV) */
	unsigned frame_bytes;
	uint64_t frames;                   /* frames libsndfile reported written */
	char name[RECORDER_NAME_MAX + 64]; /* in the record directory */
	SF_BROADCAST_INFO bext;
};

/* The disk thread's buffers for writing: RECFILE_SCRATCH samples each,
 * and the dither's state. */
struct recfile_scratch {
	int32_t *ibuf; /* quantised */
	float *zero;   /* digital silence */
	float *cbuf;   /* one file's columns gathered */
	uint32_t dither;
};

/* What every file of a take shares. */
struct recfile_take {
	const char *dir; /* the record directory, for messages */
	unsigned rate;
	enum recorder_format format;
	enum recorder_sample sample;
	const char *originator;
	const struct tm *tm; /* local time of the take's first frame */
	uint64_t tref;       /* bext time reference: frames since midnight */
	const char *master;  /* the master file's name (for the stems' description) */
};

/* Control: allocate (0) or not (-1: out of memory; free it anyway). */
int recfile_scratch_init(struct recfile_scratch *s);
void recfile_scratch_free(struct recfile_scratch *s);

/* Bytes a sample takes in a file of that sample format. */
unsigned recfile_sample_bytes(enum recorder_sample s);

/* mkdir -p.  0, or -1 with a reason in err. */
int recfile_mkdirs(const char *dir, char *err, size_t errlen);

/* Create f->name in dirfd exclusively (never follows a link).  1 when
 * created, 0 when the name is taken, -1 on another error (in err). */
int recfile_create(struct recfile *f, int dirfd, const char *dir, char *err, size_t errlen);
/* Close and unlink f if it was created; f is closed after. */
void recfile_discard(struct recfile *f, int dirfd);

/* libsndfile on the created file, and the file's metadata; is_master
 * tells the master from a stem file.  0, or -1 with a reason in err. */
int recfile_open(struct recfile *f, const struct recfile_take *tk, int is_master, char *err, size_t errlen);

/* Write n frames of f's columns: src holds frames of ch floats (the
 * master's plane or the stems' one), NULL = digital silence.  0, or -1
 * with a reason in err (f->frames counts what was written). */
int recfile_write(struct recfile *f, struct recfile_scratch *s, enum recorder_sample sample, const float *src,
                  unsigned ch, uint32_t n, char *err, size_t errlen);

/* A WAV's header up to date and the data on disk (crash safety). */
void recfile_sync(struct recfile *f, int is_wav);
/* After a write error: cut a WAV to `frames` whole frames. */
void recfile_truncate(struct recfile *f, uint64_t frames);
/* The take's loudness into a WAV's bext chunk (rewritten at close). */
void recfile_set_loudness(struct recfile *f, const struct loudness_values *lv);
/* Close (libsndfile writes the final header) and sync.  0, or -1 with
 * the first failure in err. */
int recfile_close(struct recfile *f, const char *dir, char *err, size_t errlen);

#endif
