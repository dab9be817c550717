/*
 * audiofile.c - libsndfile in and out for the offline programs; see
 * audiofile.h.
 *
 * Threads: the program's one thread.
 *
 * Invariants: an output exists under its own name only after a complete,
 * synced write (temporary sibling "NAME.tmp-PID-N", renamed; the
 * directory synced); an output never committed is unlinked on close.
 */
#define _GNU_SOURCE
#include "audiofile.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct audiofile {
	SNDFILE *sf;
	unsigned channels;
	int fd;     /* outputs: the temporary's descriptor */
	char *path; /* outputs: the final name */
	char *tmp;  /* outputs: the temporary name, NULL once renamed */
};

struct audiofile *audiofile_open(const char *path, unsigned max_channels, struct audiofile_info *info,
                                 char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	SF_INFO si;
	memset(&si, 0, sizeof si);
	SNDFILE *sf = sf_open(path, SFM_READ, &si);
	if (!sf) {
		snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
		return NULL;
	}
	if (si.channels < 1 || (unsigned)si.channels > max_channels) {
		snprintf(err, errlen, "%s: %d channels (1..%u supported)", path, si.channels, max_channels);
		sf_close(sf);
		return NULL;
	}
	if (si.frames < 1 || si.samplerate < 8000 || si.samplerate > 768000) {
		snprintf(err, errlen, "%s: %s", path,
		         si.frames < 1 ? "no audio in it" : "unsupported sample rate");
		sf_close(sf);
		return NULL;
	}
	struct audiofile *af = calloc(1, sizeof *af);
	if (!af) {
		snprintf(err, errlen, "%s: out of memory", path);
		sf_close(sf);
		return NULL;
	}
	af->sf = sf;
	af->channels = (unsigned)si.channels;
	af->fd = -1;
	info->rate = (unsigned)si.samplerate;
	info->channels = (unsigned)si.channels;
	info->frames = si.frames;
	info->format = si.format;
	return af;
}

int audiofile_rewind(struct audiofile *af, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (sf_seek(af->sf, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "cannot rewind: %s", sf_strerror(af->sf));
		return -1;
	}
	return 0;
}

long audiofile_read(struct audiofile *af, float *frames, size_t n, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	sf_count_t got = sf_readf_float(af->sf, frames, (sf_count_t)n);
	if (got < 0 || (got == 0 && sf_error(af->sf) != SF_ERR_NO_ERROR)) {
		snprintf(err, errlen, "read error: %s", sf_strerror(af->sf));
		return -1;
	}
	return (long)got;
}

int audiofile_format_for(const char *path, const struct audiofile_info *in)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	int major = in->format & SF_FORMAT_TYPEMASK, sub = in->format & SF_FORMAT_SUBMASK;
	if (dot && (!slash || dot > slash)) {
		if (!strcasecmp(dot, ".flac"))
			major = SF_FORMAT_FLAC;
		else if (!strcasecmp(dot, ".wav"))
			major = SF_FORMAT_WAV;
	}
	SF_INFO si = {.samplerate = (int)in->rate, .channels = (int)in->channels, .format = major | sub};
	if (!sf_format_check(&si))
		si.format = major | SF_FORMAT_PCM_24; /* float into FLAC, say */
	return sf_format_check(&si) ? si.format : in->format;
}

struct audiofile *audiofile_create(const char *path, const struct audiofile_info *info, char *err,
                                   size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	static unsigned seq;
	struct audiofile *af = calloc(1, sizeof *af);
	size_t tl = strlen(path) + 48;
	if (!af || !(af->path = strdup(path)) || !(af->tmp = malloc(tl))) {
		snprintf(err, errlen, "%s: out of memory", path);
		if (af)
			free(af->path);
		free(af);
		return NULL;
	}
	snprintf(af->tmp, tl, "%s.tmp-%ld-%u", path, (long)getpid(), seq++);
	af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (af->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(af->tmp);
		free(af->path);
		free(af);
		return NULL;
	}
	SF_INFO si;
	memset(&si, 0, sizeof si);
	si.samplerate = (int)info->rate;
	si.channels = (int)info->channels;
	si.format = info->format;
	af->channels = info->channels;
	af->sf = sf_open_fd(af->fd, SFM_WRITE, &si, 0);
	if (!af->sf) {
		snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
		unlink(af->tmp);
		close(af->fd);
		free(af->tmp);
		free(af->path);
		free(af);
		return NULL;
	}
	/* floats beyond full scale are clipped, not wrapped, in integer formats */
	sf_command(af->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
	return af;
}

int audiofile_write(struct audiofile *af, const float *frames, size_t n, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (sf_writef_float(af->sf, frames, (sf_count_t)n) != (sf_count_t)n) {
		snprintf(err, errlen, "%s: write error: %s", af->path, sf_strerror(af->sf));
		return -1;
	}
	return 0;
}

int audiofile_commit(struct audiofile *af, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	int rc = 0;
	sf_write_sync(af->sf);
	if (sf_close(af->sf) != 0) {
		snprintf(err, errlen, "%s: cannot finish the file", af->path);
		rc = -1;
	}
	af->sf = NULL;
	if (rc == 0 && fsync(af->fd) != 0) {
		snprintf(err, errlen, "%s: %s", af->path, strerror(errno));
		rc = -1;
	}
	close(af->fd);
	af->fd = -1;
	if (rc == 0 && rename(af->tmp, af->path) != 0) {
		snprintf(err, errlen, "%s: %s", af->path, strerror(errno));
		rc = -1;
	}
	if (rc != 0) {
		unlink(af->tmp);
	} else {
		char *d = strdup(af->path);
		int dfd = d ? open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(d);
	}
	free(af->tmp);
	af->tmp = NULL;
	return rc;
}

void audiofile_close(struct audiofile *af)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (!af)
		return;
	if (af->sf)
		sf_close(af->sf);
	if (af->fd >= 0)
		close(af->fd);
	if (af->tmp) {
		unlink(af->tmp);
		free(af->tmp);
	}
	free(af->path);
	free(af);
}
