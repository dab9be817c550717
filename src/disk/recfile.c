/*
 * recfile.c - one file of a take: libsndfile, the bext chunk and FLAC
 * tags, dithered writing, header updates, truncation, close; see
 * recfile.h.
 *
 * Threads: the disk thread (recorder.c's rec_thread) calls everything but
 * recfile_scratch_init and recfile_scratch_free, which run on the control
 * thread before the disk thread starts and after it was joined.
 *
 * Invariants: see recfile.h.  Nothing here knows about takes, the ring or
 * the recorder's state: a failure comes back as -1 and a message, and
 * recorder.c decides what it means for the take.
 */
#include "recfile.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int recfile_scratch_init(struct recfile_scratch *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	s->ibuf = calloc(RECFILE_SCRATCH, sizeof *s->ibuf);
	s->zero = calloc(RECFILE_SCRATCH, sizeof *s->zero);
	s->cbuf = calloc(RECFILE_SCRATCH, sizeof *s->cbuf);
	s->dither = 0x9E3779B9u;
	return s->ibuf && s->zero && s->cbuf ? 0 : -1;
}

void recfile_scratch_free(struct recfile_scratch *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(s->ibuf);
	free(s->zero);
	free(s->cbuf);
	s->ibuf = NULL;
	s->zero = s->cbuf = NULL;
}

unsigned recfile_sample_bytes(enum recorder_sample s)
{
	return s == REC_PCM16 ? 2 : s == REC_PCM24 ? 3 : 4;
}

/* ---- samples ---- */

static uint32_t recfile_rand(struct recfile_scratch *s)
{
	/* xorshift32: plenty for dither, and the disk thread owns it */
	uint32_t x = s->dither;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return s->dither = x;
}

/* Float frames to left-justified int32 at 16 or 24 bits with TPDF dither
 * of +-1 LSB (the difference of two uniform variables), rounded and
 * clipped.  In double: at 24 bits a float sum would round the dither
 * itself to half an LSB. */
static void recfile_quantise(struct recfile_scratch *s, const float *src, int32_t *dst, size_t n, int bits)
{
	const double scale = bits == 16 ? 32768.0 : 8388608.0;
	const double lo = -scale, hi = scale - 1.0;
	const int shift = 32 - bits;
	const double u = 1.0 / 16777216.0; /* 2^-24: 24 random bits -> [0,1) */
	for (size_t i = 0; i < n; i++) {
		double x = src[i];
		if (!(x == x)) /* NaN: the mixer should never send one */
			x = 0.0;
		double d = (double)(recfile_rand(s) >> 8) * u - (double)(recfile_rand(s) >> 8) * u;
		double v = rint(x * scale + d);
		if (v < lo)
			v = lo;
		if (v > hi)
			v = hi;
		dst[i] = (int32_t)v * (1 << shift);
	}
}

/* Columns col..col+nch-1 of n frames of ch floats, packed. */
static void recfile_gather(float *dst, const float *src, unsigned ch, unsigned col, unsigned nch, uint32_t n)
{
	if (nch == 1) {
		for (uint32_t i = 0; i < n; i++)
			dst[i] = src[(size_t)i * ch + col];
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		memcpy(dst + (size_t)i * nch, src + (size_t)i * ch + col, nch * sizeof *dst);
}

/* At most RECFILE_SCRATCH samples a libsndfile call. */
int recfile_write(struct recfile *f, struct recfile_scratch *s, enum recorder_sample sample, const float *src,
                  unsigned ch, uint32_t n, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_DISK);
	const uint32_t step = RECFILE_SCRATCH / f->nch;

	for (uint32_t done = 0; done < n;) {
		uint32_t m = n - done < step ? n - done : step;
		const float *p = NULL;
		sf_count_t got;
		if (src && f->nch == ch) {
			p = src + (size_t)done * ch; /* the master, a multi stem file: as they are */
		} else if (src) {
			recfile_gather(s->cbuf, src + (size_t)done * ch, ch, f->col, f->nch, m);
			p = s->cbuf;
		}
		if (sample == REC_FLOAT) {
			got = sf_writef_float(f->sf, p ? p : s->zero, m);
		} else if (!p) {
			memset(s->ibuf, 0, (size_t)m * f->nch * sizeof *s->ibuf);
			got = sf_writef_int(f->sf, s->ibuf, m);
		} else {
			recfile_quantise(s, p, s->ibuf, (size_t)m * f->nch, sample == REC_PCM16 ? 16 : 24);
			got = sf_writef_int(f->sf, s->ibuf, m);
		}
		if (got > 0)
			f->frames += (uint64_t)got;
		if (got != (sf_count_t)m) {
			snprintf(err, errlen, "write error in %.100s (%s)", f->name, sf_strerror(f->sf));
			return -1;
		}
		done += m;
	}
	return 0;
}

/* ---- files ---- */

int recfile_mkdirs(const char *dir, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_DISK);
	char p[RECORDER_PATH_MAX];
	snprintf(p, sizeof p, "%s", dir);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int recfile_create(struct recfile *f, int dirfd, const char *dir, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_DISK);
	f->fd = openat(dirfd, f->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (f->fd >= 0)
		return 1;
	if (errno == EEXIST)
		return 0;
	snprintf(err, errlen, "cannot create %s/%s: %s", dir, f->name, strerror(errno));
	return -1;
}

void recfile_discard(struct recfile *f, int dirfd)
{
	ASSERT_ROLE(ROLE_DISK);
	if (f->sf)
		sf_close(f->sf);
	f->sf = NULL;
	if (f->fd >= 0) {
		unlinkat(dirfd, f->name, 0);
		close(f->fd);
	}
	f->fd = -1;
}

/* ---- metadata ---- */

static void recfile_bext_text(char *dst, size_t cap, const char *src)
{
	/* fixed-size bext fields: NUL-padded, not necessarily terminated */
	memset(dst, 0, cap);
	memcpy(dst, src, strnlen(src, cap));
}

static int16_t recfile_bext_value(float v, float floor_)
{
	/* EBU Tech 3285 v2: the value x 100, 0x7FFF when not known */
	if (!(v > floor_) || fabsf(v) > 327.0f)
		return 0x7FFF;
	return (int16_t)lrintf(v * 100.0f);
}

static void recfile_bext_fill(SF_BROADCAST_INFO *b, const struct loudness_values *lv)
{
	if (!lv) {
		b->loudness_value = b->loudness_range = b->max_true_peak_level = 0x7FFF;
		b->max_momentary_loudness = b->max_shortterm_loudness = 0x7FFF;
		return;
	}
	b->loudness_value = recfile_bext_value(lv->i, LOUDNESS_FLOOR);
	b->loudness_range = lv->i > LOUDNESS_FLOOR ? recfile_bext_value(lv->lra, -1.0f) : 0x7FFF;
	b->max_true_peak_level = recfile_bext_value(lv->tp, LOUDNESS_FLOOR);
	b->max_momentary_loudness = recfile_bext_value(lv->max_m, LOUDNESS_FLOOR);
	b->max_shortterm_loudness = recfile_bext_value(lv->max_s, LOUDNESS_FLOOR);
}

int recfile_open(struct recfile *f, const struct recfile_take *tk, int is_master, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_DISK);
	const int is_wav = tk->format == REC_FMT_WAV;
	const char *ext = is_wav ? "wav" : "flac";
	const char *bits = tk->sample == REC_PCM16 ? "16" : tk->sample == REC_PCM24 ? "24" : "32";
	char date[16], clock[16], history[128], desc[256];
	SF_INFO info;

	memset(&info, 0, sizeof info);
	info.samplerate = (int)tk->rate;
	info.channels = (int)f->nch;
	int sub = tk->sample == REC_PCM16   ? SF_FORMAT_PCM_16
	          : tk->sample == REC_PCM24 ? SF_FORMAT_PCM_24
	                                    : SF_FORMAT_FLOAT;
	/* RF64 with auto-downgrade: a plain RIFF/WAVE file (with a JUNK chunk
	 * reserving room for ds64) while it is below 4 GiB, RF64 past it, so
	 * the switch needs no rewrite of the audio. */
	info.format = (is_wav ? SF_FORMAT_RF64 : SF_FORMAT_FLAC) | sub;
	if (!sf_format_check(&info)) {
		snprintf(err, errlen, "libsndfile cannot write %u-channel %s at %s bits", f->nch, ext,
		         tk->sample == REC_FLOAT ? "32f" : bits);
		return -1;
	}
	f->sf = sf_open_fd(f->fd, SFM_WRITE, &info, 0);
	if (!f->sf) {
		snprintf(err, errlen, "cannot write %s/%s: %s", tk->dir, f->name, sf_strerror(NULL));
		return -1;
	}
	f->frame_bytes = f->nch * recfile_sample_bytes(tk->sample);
	f->frames = 0;

	if (is_master)
		snprintf(desc, sizeof desc, "jackmixd master recording %s", f->name);
	else if (f->chan)
		snprintf(desc, sizeof desc, "jackmixd channel %u after trim, stem of %s", f->chan,
		         tk->master);
	else
		snprintf(desc, sizeof desc, "jackmixd input lanes after trim, stems of %s", tk->master);
	strftime(date, sizeof date, "%Y-%m-%d", tk->tm);
	strftime(clock, sizeof clock, "%H:%M:%S", tk->tm);
	if (is_wav) {
		sf_command(f->sf, SFC_RF64_AUTO_DOWNGRADE, NULL, SF_TRUE);
		SF_BROADCAST_INFO *b = &f->bext;
		memset(b, 0, sizeof *b);
		recfile_bext_text(b->description, sizeof b->description, desc);
		recfile_bext_text(b->originator, sizeof b->originator, tk->originator);
		recfile_bext_text(b->origination_date, sizeof b->origination_date, date);
		recfile_bext_text(b->origination_time, sizeof b->origination_time, clock);
		/* one time reference for every file of the take: a DAW lines
		 * the stems up with the master by it */
		b->time_reference_low = (uint32_t)tk->tref;
		b->time_reference_high = (uint32_t)(tk->tref >> 32);
		b->version = 2;
		recfile_bext_fill(b, NULL);
		/* EBU R 98 coding history; the same length at open and close so
		 * the header never changes size under the audio */
		snprintf(history, sizeof history, "A=PCM,F=%u,W=%s,M=%s,T=%s\r\n", tk->rate, bits,
		         f->nch == 1   ? "mono"
		         : f->nch == 2 ? "stereo"
		                       : "multichannel",
		         tk->originator);
		b->coding_history_size = (uint32_t)strlen(history);
		memcpy(b->coding_history, history, b->coding_history_size);
		if (sf_command(f->sf, SFC_SET_BROADCAST_INFO, b, sizeof *b) != SF_TRUE)
			log_warn("recorder: cannot write the bext chunk of %s", f->name);
		f->data_off = lseek(f->fd, 0, SEEK_CUR);
	} else {
		char when[32];
		snprintf(when, sizeof when, "%sT%s", date, clock);
		sf_set_string(f->sf, SF_STR_SOFTWARE, tk->originator);
		sf_set_string(f->sf, SF_STR_DATE, when);
		sf_set_string(f->sf, SF_STR_TITLE, f->name);
		sf_set_string(f->sf, SF_STR_COMMENT, desc);
	}
	return 0;
}

void recfile_set_loudness(struct recfile *f, const struct loudness_values *lv)
{
	ASSERT_ROLE(ROLE_DISK);
	recfile_bext_fill(&f->bext, lv);
	if (sf_command(f->sf, SFC_SET_BROADCAST_INFO, &f->bext, sizeof f->bext) != SF_TRUE)
		log_warn("recorder: cannot update the bext chunk of %s", f->name);
}

/* ---- while and after writing ---- */

void recfile_sync(struct recfile *f, int is_wav)
{
	ASSERT_ROLE(ROLE_DISK);
	if (is_wav)
		sf_command(f->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
	fdatasync(f->fd);
}

void recfile_truncate(struct recfile *f, uint64_t frames)
{
	ASSERT_ROLE(ROLE_DISK);
	if (ftruncate(f->fd, f->data_off + (off_t)(frames * f->frame_bytes)) < 0)
		log_warn("recorder: cannot truncate %s: %s", f->name, strerror(errno));
}

int recfile_close(struct recfile *f, const char *dir, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_DISK);
	int ret = 0;
	int rc = sf_close(f->sf);
	f->sf = NULL;
	if (fdatasync(f->fd) < 0) {
		snprintf(err, errlen, "cannot sync %s/%s: %s", dir, f->name, strerror(errno));
		ret = -1;
	}
	close(f->fd);
	f->fd = -1;
	if (rc && !ret) {
		snprintf(err, errlen, "closing %s/%s: %s", dir, f->name, sf_error_number(rc));
		ret = -1;
	}
	return ret;
}
