/*
 * playback.c - a take's stems read ahead for the audio thread; see
 * playback.h.
 *
 * Threads: the API on the control thread; one reader thread (ROLE_DISK)
 * owns the files' reading: it fills free blocks of the ring from the
 * position asked for, and sleeps on the ring's semaphore (the audio
 * thread posts it when it frees a block) or 20 ms.  A load opens and
 * checks the files on the control thread (headers only, as a state file
 * is read there) and hands them over under the mutex; the reader holds
 * the mutex only while it reads one block, so the control thread waits
 * at most that long and the audio thread never.
 *
 * Invariants: the reader reads for the epoch it was last told (want); a
 * locate bumps the ring's epoch first, so the audio thread drops every
 * block read for the old position.
 */
#define _GNU_SOURCE
#include "playback.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recorder.h"

#define PB_MAX_FILES 256u

struct pbfile {
	SNDFILE *sf;
	int fd;
	unsigned chans, lane0;
};

struct pbtake {
	struct pbfile f[PB_MAX_FILES];
	unsigned n;
	uint64_t frames;
	char name[RECORDER_NAME_MAX + 1];
};

struct playback {
	struct playback_config cfg;
	unsigned channels, lanes;
	struct pbring ring;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	/* under mu */
	struct pbtake take;
	uint32_t want_epoch;
	uint64_t want_pos;
	int quit;
	/* the reader's */
	uint32_t epoch;
	uint64_t pos;
	int eof;
	float *tmp; /* a block of one file, interleaved */
};

static void take_close(struct pbtake *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (t->f[i].sf)
			sf_close(t->f[i].sf); /* closes the descriptor too */
		else if (t->f[i].fd >= 0)
			close(t->f[i].fd);
	}
	memset(t, 0, sizeof *t);
}

/* One block for the reader's epoch from its position.  Under mu. */
static void read_block(struct playback *p)
{
	struct pbring_meta *m;
	float *blk = pbring_block(&p->ring, &m);
	const struct pbtake *t = &p->take;
	uint64_t left = p->pos < t->frames ? t->frames - p->pos : 0;
	unsigned want = left < PBRING_BLOCK ? (unsigned)left : PBRING_BLOCK, got = want;
	memset(blk, 0, (size_t)PBRING_BLOCK * p->lanes * sizeof(float));
	for (unsigned i = 0; i < t->n; i++) {
		const struct pbfile *f = &t->f[i];
		sf_count_t r = want ? sf_readf_float(f->sf, p->tmp, want) : 0;
		if (r < 0)
			r = 0;
		if ((unsigned)r < got)
			got = (unsigned)r; /* a file shorter than its header: the take ends there */
		for (sf_count_t k = 0; k < r; k++)
			for (unsigned c = 0; c < f->chans; c++)
				blk[(size_t)k * p->lanes + f->lane0 + c] = p->tmp[k * f->chans + c];
	}
	*m = (struct pbring_meta){p->epoch, got, got < PBRING_BLOCK || p->pos + got >= t->frames, p->pos};
	pbring_commit(&p->ring);
	p->pos += got;
	p->eof = m->end;
}

static void *reader(void *arg)
{
	struct playback *p = arg;
	ROLE_SET(ROLE_DISK);
	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		if (p->take.n && p->want_epoch != p->epoch) {
			p->epoch = p->want_epoch;
			p->pos = p->want_pos;
			p->eof = 0;
			for (unsigned i = 0; i < p->take.n; i++)
				sf_seek(p->take.f[i].sf, (sf_count_t)p->pos, SEEK_SET);
		}
		if (p->take.n && !p->eof && pbring_space(&p->ring)) {
			read_block(p);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		pbring_wait(&p->ring, 20);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct playback *playback_new(const struct playback_config *cfg)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct playback *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->channels = cfg->mono + cfg->stereo;
	p->lanes = cfg->mono + 2 * cfg->stereo;
	pthread_mutex_init(&p->mu, NULL);
	if (pbring_new(&p->ring, p->lanes, cfg->blocks ? cfg->blocks : PLAYBACK_BLOCKS) < 0 ||
	    !(p->tmp = malloc((size_t)PBRING_BLOCK * 2 * (p->lanes > 2 ? p->lanes : 2) * sizeof(float))) ||
	    pthread_create(&p->th, NULL, reader, p) != 0) {
		playback_free(p);
		return NULL;
	}
	p->started = 1;
	return p;
}

void playback_free(struct playback *p)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_mutex_unlock(&p->mu);
		pbring_kick(&p->ring);
		pthread_join(p->th, NULL);
	}
	take_close(&p->take);
	if (p->ring.buf)
		pbring_free(&p->ring);
	pthread_mutex_destroy(&p->mu);
	free(p->tmp);
	free(p);
}

struct pbring *playback_ring(struct playback *p)
{
	return &p->ring;
}

/* name in the record directory, never through a link; NULL when absent. */
static SNDFILE *open_in(int dirfd, const char *name, SF_INFO *si, int *fd, char *err, size_t errlen)
{
	*fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0) {
		if (errno != ENOENT)
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	memset(si, 0, sizeof *si);
	SNDFILE *sf = sf_open_fd(*fd, SFM_READ, si, 1);
	if (!sf) {
		snprintf(err, errlen, "%s: %s", name, sf_strerror(NULL));
		*fd = -1; /* sf_open_fd closed it */
	}
	return sf;
}

/* The take's stems, checked against the console, into t.  0 or -1. */
static int take_open(struct playback *p, int dirfd, const char *name, struct pbtake *t, char *err,
                     size_t errlen)
{
	static const char *const ext[] = {"wav", "flac"};
	char fn[RECORDER_NAME_MAX + 32];
	SF_INFO si;
	int fd;
	err[0] = 0;
	snprintf(t->name, sizeof t->name, "%.*s", RECORDER_NAME_MAX, name);
	for (unsigned e = 0; e < 2 && !t->n; e++) {
		snprintf(fn, sizeof fn, "%s.stems.%s", name, ext[e]);
		SNDFILE *sf = open_in(dirfd, fn, &si, &fd, err, errlen);
		if (err[0])
			return -1;
		if (!sf)
			continue;
		t->f[t->n++] = (struct pbfile){sf, fd, (unsigned)si.channels, 0};
		if ((unsigned)si.channels != p->lanes) {
			snprintf(
			    err, errlen,
			    "%s has %d channels, the console %u input lanes (%u mono, %u stereo channels)",
			    fn, si.channels, p->lanes, p->cfg.mono, p->cfg.stereo);
			return -1;
		}
		if ((unsigned)si.samplerate != p->cfg.rate) {
			snprintf(err, errlen, "%s is at %d Hz, the console at %u Hz", fn, si.samplerate,
			         p->cfg.rate);
			return -1;
		}
		t->frames = (uint64_t)si.frames;
	}
	if (t->n)
		return 0;
	/* split: one file per channel, all of them */
	for (unsigned ch = 0; ch < p->channels; ch++) {
		unsigned width = ch < p->cfg.mono ? 1 : 2;
		SNDFILE *sf = NULL;
		for (unsigned e = 0; e < 2 && !sf; e++) {
			snprintf(fn, sizeof fn, "%s.ch%02u.%s", name, ch + 1, ext[e]);
			sf = open_in(dirfd, fn, &si, &fd, err, errlen);
			if (err[0])
				return -1;
		}
		if (!sf && ch) {
			snprintf(err, errlen,
			         "take %s has no stem of channel %u: fewer channels than the console (%u)",
			         name, ch + 1, p->channels);
			return -1;
		}
		if (!sf) {
			snprintf(err, errlen,
			         "take %s has no stems (%s.stems.wav or %s.ch01.wav) in the record directory",
			         name, name, name);
			return -1;
		}
		t->f[t->n++] = (struct pbfile){sf, fd, (unsigned)si.channels,
		                               ch < p->cfg.mono ? ch : p->cfg.mono + 2 * (ch - p->cfg.mono)};
		if ((unsigned)si.channels != width) {
			snprintf(err, errlen, "%s is %s, channel %u of the console %s", fn,
			         si.channels == 1 ? "mono" : "not mono", ch + 1,
			         width == 1 ? "mono" : "stereo");
			return -1;
		}
		if ((unsigned)si.samplerate != p->cfg.rate) {
			snprintf(err, errlen, "%s is at %d Hz, the console at %u Hz", fn, si.samplerate,
			         p->cfg.rate);
			return -1;
		}
		if (!ch || (uint64_t)si.frames < t->frames)
			t->frames = (uint64_t)si.frames;
	}
	snprintf(fn, sizeof fn, "%s.ch%02u.wav", name, p->channels + 1);
	if (faccessat(dirfd, fn, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(err, errlen,
		         "take %s has a stem of channel %u: it has more channels than the console (%u)", name,
		         p->channels + 1, p->channels);
		return -1;
	}
	return 0;
}

int playback_load(struct playback *p, const char *take, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct pbtake *t = calloc(1, sizeof *t);
	size_t n = take ? strlen(take) : 0;
	char name[RECORDER_NAME_MAX + 8];
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* "NAME", or the master's file name "NAME.wav" / "NAME.flac" */
	snprintf(name, sizeof name, "%.*s", (int)(sizeof name - 1), take ? take : "");
	if (n > 4 && !strcmp(name + n - 4, ".wav"))
		name[n - 4] = 0;
	else if (n > 5 && !strcmp(name + n - 5, ".flac"))
		name[n - 5] = 0;
	if (!take || n > RECORDER_NAME_MAX + 5 || !recorder_name_ok(name)) {
		snprintf(err, errlen, "take names are 1-64 of A-Z a-z 0-9 . _ - not starting with a dot");
		free(t);
		return -1;
	}
	int dirfd = open(p->cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(err, errlen, "record directory %s: %s", p->cfg.dir, strerror(errno));
		free(t);
		return -1;
	}
	int r = take_open(p, dirfd, name, t, err, errlen);
	close(dirfd);
	if (r < 0) {
		take_close(t);
		free(t);
		return -1;
	}
	pbring_play(&p->ring, 0);
	pthread_mutex_lock(&p->mu);
	struct pbtake old = p->take;
	p->take = *t;
	p->want_pos = 0;
	p->want_epoch = pbring_flush(&p->ring, 0);
	pthread_mutex_unlock(&p->mu);
	pbring_kick(&p->ring);
	take_close(&old);
	free(t);
	return 0;
}

int playback_start(struct playback *p, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	pthread_mutex_lock(&p->mu);
	int loaded = p->take.n > 0;
	if (loaded && atomic_load(&p->ring.pos) >= p->take.frames) {
		/* played to the end: again from the start */
		p->want_pos = 0;
		p->want_epoch = pbring_flush(&p->ring, 0);
	}
	pthread_mutex_unlock(&p->mu);
	if (!loaded) {
		snprintf(err, errlen, "no take loaded (/playback/load s:take)");
		return -1;
	}
	pbring_kick(&p->ring);
	pbring_play(&p->ring, 1);
	return 0;
}

void playback_stop(struct playback *p)
{
	ASSERT_ROLE(ROLE_CONTROL);
	pbring_play(&p->ring, 0);
}

int playback_locate(struct playback *p, double seconds, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	pthread_mutex_lock(&p->mu);
	double len = (double)p->take.frames / p->cfg.rate;
	if (!p->take.n || !isfinite(seconds) || seconds < 0 || seconds > len) {
		pthread_mutex_unlock(&p->mu);
		snprintf(err, errlen, p->take.n ? "position must be 0..%.3f s" : "no take loaded", len);
		return -1;
	}
	p->want_pos = (uint64_t)llround(seconds * p->cfg.rate);
	p->want_epoch = pbring_flush(&p->ring, p->want_pos);
	pthread_mutex_unlock(&p->mu);
	pbring_kick(&p->ring);
	return 0;
}

void playback_set_rate(struct playback *p, unsigned rate)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct pbtake old;
	if (rate == p->cfg.rate)
		return;
	pbring_play(&p->ring, 0);
	pthread_mutex_lock(&p->mu);
	old = p->take;
	memset(&p->take, 0, sizeof p->take);
	p->cfg.rate = rate;
	p->want_epoch = pbring_flush(&p->ring, 0);
	pthread_mutex_unlock(&p->mu);
	take_close(&old);
}

void playback_status(struct playback *p, struct playback_status *st)
{
	ASSERT_ROLE(ROLE_CONTROL);
	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&p->mu);
	if (p->take.n)
		snprintf(st->take, sizeof st->take, "%s", p->take.name);
	st->len_s = (double)p->take.frames / p->cfg.rate;
	pthread_mutex_unlock(&p->mu);
	st->playing = atomic_load(&p->ring.playing);
	st->pos_s = (double)atomic_load(&p->ring.pos) / p->cfg.rate;
	st->underruns = atomic_load(&p->ring.underruns);
	st->buffered = atomic_load(&p->ring.head) - atomic_load(&p->ring.tail);
}
