/*
 * audiofile.h - audio files for the offline programs (jackmixd-master, and
 * jackmixd-render to come): libsndfile in and out as interleaved float,
 * rewindable inputs (several passes over one file), and outputs written
 * to a temporary name in the destination's directory and renamed over it
 * only on commit, so a failed or refused run never leaves a half file and
 * never touches an existing one.
 *
 * Threads: one thread, the program's (no RT, no JACK).  Every failure
 * returns -1 (or NULL) with "file: reason" in err.
 */
#ifndef JMX_AUDIOFILE_H
#define JMX_AUDIOFILE_H

#include <stddef.h>

struct audiofile;

struct audiofile_info {
	unsigned rate, channels;
	long long frames;
	int format; /* libsndfile SF_FORMAT_* (major | subtype) */
};

/* Open for reading; the file must have 1..max_channels channels and at
 * least one frame. */
struct audiofile *audiofile_open(const char *path, unsigned max_channels, struct audiofile_info *info,
                                 char *err, size_t errlen);
/* Back to frame 0.  0 or -1. */
int audiofile_rewind(struct audiofile *af, char *err, size_t errlen);
/* Read up to n frames; returns frames read (0 at the end) or -1. */
long audiofile_read(struct audiofile *af, float *frames, size_t n, char *err, size_t errlen);

/* The format to write path in, for audio like in: the container its
 * name asks for (.wav, .flac; anything else: in's), with in's sample
 * format where the container takes it, else 24-bit. */
int audiofile_format_for(const char *path, const struct audiofile_info *in);

/* Create path's temporary sibling for writing in format (info->format;
 * 0: the same as a reference input's).  Nothing appears under path until
 * audiofile_commit. */
struct audiofile *audiofile_create(const char *path, const struct audiofile_info *info, char *err,
                                   size_t errlen);
int audiofile_write(struct audiofile *af, const float *frames, size_t n, char *err, size_t errlen);
/* Finish: flush, fsync, rename over path, fsync the directory.  0 or -1
 * (the temporary is removed then). */
int audiofile_commit(struct audiofile *af, char *err, size_t errlen);

/* Close; an output not committed is removed. */
void audiofile_close(struct audiofile *af);

#endif
