/*
 * recorder.c - master recorder and loudness meter on a disk thread; see
 * recorder.h.
 *
 * Threads: three roles meet here.
 *   RT       pushes frames with recring_push (recring.c); nothing in this
 *            file runs on it.
 *   control  recorder_start/stop/status/...: validates, stamps the command
 *            with the ring position and wall time of "now", queues it
 *            (rtq, control -> disk) and kicks the disk thread.
 *   disk     rec_thread: pulls gap records, feeds the live loudness meter,
 *            writes the take (each file through recfile.c: format,
 *            bext, dither, header updates), reports back through
 *            atomics (status) and an event queue (rtq, disk -> control)
 *            plus a byte on a pipe that the control loop polls.
 *
 * Invariants:
 * - The ring keeps at least the pre-roll behind the newest frame: the tail
 *   is released only up to min(live meter, take writer, head - preroll).
 * - Each consumer (live meter, take writer) walks the ring with a cursor
 *   and puts a gap's silence exactly where the gap record says, so meter
 *   and file see the same stream.
 * - A take starts at (ring position of the start command - preroll),
 *   clamped to the oldest frame still held, and ends at the ring position
 *   of the stop command: what the engineer heard when pressing the button,
 *   however far behind the disk is.
 * - After a write error the file is truncated to the last whole frame
 *   libsndfile reported written, so the header it writes on close is exact.
 * - Stems: the ring's frames carry the master and, in a second plane, one
 *   column per input lane (recring.h), so a take's stem files are cut
 *   from the very frames its master file is cut from: same first frame,
 *   same gaps, same length.  All files of a take are created together
 *   (O_EXCL, one -2, -3 ... suffix for all of them) and written, synced
 *   and closed together; after a write error every WAV of the take is
 *   truncated to the frames all of them hold.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "recorder.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "recfile.h"
#include "rtqueue.h"

#define REC_SEG          8192u /* frames per write / analysis step */
#define REC_LOCAL_GAPS   512u  /* power of two, > RECRING_GAPS */
#define REC_CMDS         16u
#define REC_EVENTS       32u
#define REC_IDLE_WAIT_MS 1000u /* commands kick the thread: this only bounds a silent ring */
#define REC_FREE_POLL_MS 2000u

enum rec_op { OP_START = 1, OP_STOP, OP_QUIT };

struct rec_cmd {
	int op;
	unsigned take_id;
	uint32_t pos;    /* ring position of "now" when the command was given */
	int64_t wall_ns; /* CLOCK_REALTIME at the same moment */
	int format, sample;
	char name[RECORDER_NAME_MAX + 1];
};

struct rec_msg { /* event plus the take it belongs to */
	struct recorder_event ev;
	unsigned take_id;
};

/* A consumer's walk through the ring and the gap list. */
struct rec_cursor {
	uint32_t pos;      /* next ring frame */
	unsigned gap;      /* next gap record (index into the local gap list) */
	uint32_t gap_left; /* frames of silence still to emit for the current gap */
};

struct rec_take {
	int dirfd;
	int is_wav;
	enum recorder_format format;
	enum recorder_sample sample;
	unsigned take_id;
	struct rec_cursor cur;
	uint64_t frames, dropped; /* in every file of the take */
	int stopping;
	uint32_t stop_pos;
	uint64_t next_hdr_ms;
	int write_failed;
	char err[200];
	char path[RECORDER_PATH_MAX];      /* the master file */
	char stem_path[RECORDER_PATH_MAX]; /* the multi file or the first split one; "" */
};

struct recorder {
	struct recring ring;
	struct rtq cmds;   /* control -> disk */
	struct rtq events; /* disk -> control */
	int evpipe[2];
	pthread_t thread;
	int thread_ok;

	/* immutable after recorder_new */
	char dir[RECORDER_PATH_MAX];
	unsigned rate;
	uint32_t preroll;
	unsigned header_ms;
	long long reserve; /* < 0: 2 s of audio at the take's format */
	char originator[32];
	enum recorder_stems stems;
	unsigned stem_lanes;
	struct recfile *files; /* master, then the stem files (recfile.h) */
	unsigned nfiles;

	/* control thread */
	unsigned take_id;
	int ctl_active;
	enum recorder_format fmt;
	enum recorder_sample smp;
	char ctl_path[RECORDER_PATH_MAX];
	char ctl_stem_path[RECORDER_PATH_MAX];
	char ctl_name[RECORDER_PATH_MAX]; /* the take being opened: its file as named */
	struct recorder_event last_stop;

	/* disk thread */
	struct loudness *live, *take_loud;
	struct recring_gap gaps[REC_LOCAL_GAPS];
	unsigned g_first, g_last;
	struct rec_cursor live_cur;
	int recording;
	struct rec_take tk;
	struct recfile_scratch scratch;
	uint64_t next_free_ms;
	int quit;

	/* published by the disk thread */
	atomic_int st_active;
	atomic_ullong st_frames, st_dropped;
	atomic_llong st_free;
	atomic_uint ev_lost;
};

static uint64_t rec_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int32_t rec_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* ---- names and options (pure) ---- */

int recorder_name_ok(const char *name)
{
	size_t n = 0;
	if (!name || name[0] == '.' || !name[0])
		return 0;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return n <= RECORDER_NAME_MAX;
}

int recorder_parse_format(const char *s, enum recorder_format *f)
{
	if (!strcmp(s, "wav") || !strcmp(s, "rf64"))
		*f = REC_FMT_WAV;
	else if (!strcmp(s, "flac"))
		*f = REC_FMT_FLAC;
	else
		return -1;
	return 0;
}

int recorder_parse_sample(const char *s, enum recorder_sample *smp)
{
	if (!strcmp(s, "16"))
		*smp = REC_PCM16;
	else if (!strcmp(s, "24"))
		*smp = REC_PCM24;
	else if (!strcmp(s, "32f") || !strcmp(s, "float"))
		*smp = REC_FLOAT;
	else
		return -1;
	return 0;
}

const char *recorder_format_name(enum recorder_format f)
{
	return f == REC_FMT_FLAC ? "flac" : "wav";
}

const char *recorder_sample_name(enum recorder_sample s)
{
	return s == REC_PCM16 ? "16" : s == REC_PCM24 ? "24" : "32f";
}

int recorder_parse_stems(const char *s, enum recorder_stems *st)
{
	if (!strcmp(s, "off"))
		*st = REC_STEMS_OFF;
	else if (!strcmp(s, "multi"))
		*st = REC_STEMS_MULTI;
	else if (!strcmp(s, "split"))
		*st = REC_STEMS_SPLIT;
	else
		return -1;
	return 0;
}

const char *recorder_stems_name(enum recorder_stems st)
{
	return st == REC_STEMS_MULTI ? "multi" : st == REC_STEMS_SPLIT ? "split" : "off";
}

int recorder_stems_check(enum recorder_stems st, unsigned lanes, enum recorder_format f, char *err,
                         size_t errlen)
{
	/* FLAC stops at 8 channels (FLAC__MAX_CHANNELS); one file per
	 * channel is at most stereo */
	if (st == REC_STEMS_MULTI && f == REC_FMT_FLAC && lanes > REC_FLAC_MAX_CHANNELS) {
		snprintf(err, errlen,
		         "FLAC holds at most %u channels and multi stems need %u (one per input lane): use "
		         "wav, or "
		         "split stems",
		         REC_FLAC_MAX_CHANNELS, lanes);
		return -1;
	}
	if (st != REC_STEMS_OFF && (lanes == 0 || lanes > RECRING_MAX_STEMS)) {
		snprintf(err, errlen, "stems of %u input lanes: 1..%u", lanes, RECRING_MAX_STEMS);
		return -1;
	}
	return 0;
}

const char *recorder_default_dir(char *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *x = getenv("XDG_MUSIC_DIR");
	const char *home = getenv("HOME");
	if (x && x[0] == '/')
		snprintf(buf, len, "%s", x);
	else
		snprintf(buf, len, "%s/Music/jackmixd", home && *home ? home : ".");
	return buf;
}

static long long rec_reserve(const struct recorder *r, enum recorder_sample s)
{
	if (r->reserve >= 0)
		return r->reserve;
	return 2LL * r->rate * (RECRING_CHANNELS + recring_stems(&r->ring)) * recfile_sample_bytes(s);
}

/* ---- events (disk -> control) ---- */

static void rec_emit(struct recorder *r, enum recorder_event_kind kind, const char *msg)
{
	struct rec_msg m;
	memset(&m, 0, sizeof m);
	m.ev.kind = kind;
	m.take_id = r->tk.take_id;
	snprintf(m.ev.path, sizeof m.ev.path, "%s", r->tk.path);
	if (msg)
		snprintf(m.ev.msg, sizeof m.ev.msg, "%s", msg);
	snprintf(m.ev.stem_path, sizeof m.ev.stem_path, "%s", r->tk.stem_path);
	m.ev.stem_files = r->tk.stem_path[0] ? r->nfiles - 1 : 0;
	m.ev.frames = r->tk.frames;
	m.ev.dropped = r->tk.dropped;
	if (r->take_loud)
		loudness_get(r->take_loud, &m.ev.loud);
	if (rtq_push(&r->events, &m) < 0) {
		atomic_fetch_add(&r->ev_lost, 1);
		return;
	}
	rtq_publish(&r->events);
	char b = 'e';
	if (write(r->evpipe[1], &b, 1) < 0) {
		/* pipe full: the control loop is already due to read */
	}
}

/* ---- the ring seen by the disk thread ---- */

/* Move gap records from the RT side into the local list (sorted by
 * position, as the RT thread published them). */
static void rec_pull_gaps(struct recorder *r)
{
	struct recring_gap g;
	while (r->g_last - r->g_first < REC_LOCAL_GAPS && recring_pop_gap(&r->ring, &g) == 0)
		r->gaps[r->g_last++ & (REC_LOCAL_GAPS - 1)] = g;
}

static void rec_cursor_set(struct recorder *r, struct rec_cursor *c, uint32_t pos)
{
	c->pos = pos;
	c->gap_left = 0;
	c->gap = r->g_first;
	while (c->gap != r->g_last && rec_diff(r->gaps[c->gap & (REC_LOCAL_GAPS - 1)].at, pos) < 0)
		c->gap++;
}

/* Next run of at most max frames before `end`: returns the count and sets
 * *data to the master's frames, or to NULL for silence standing in for
 * lost ones, and (if stems is not NULL) *stems to the same frames' stems
 * or NULL.  0 when the cursor has reached end. */
static uint32_t rec_step(struct recorder *r, struct rec_cursor *c, uint32_t end, uint32_t max,
                         const float **data, const float **stems)
{
	if (stems)
		*stems = NULL;
	uint32_t n;
	if (!c->gap_left && c->gap != r->g_last && r->gaps[c->gap & (REC_LOCAL_GAPS - 1)].at == c->pos &&
	    c->pos != end) {
		c->gap_left = r->gaps[c->gap & (REC_LOCAL_GAPS - 1)].len;
		c->gap++;
	}
	if (c->gap_left) {
		n = c->gap_left < max ? c->gap_left : max;
		c->gap_left -= n;
		*data = NULL;
		return n;
	}
	if (rec_diff(end, c->pos) <= 0)
		return 0;
	n = end - c->pos;
	if (c->gap != r->g_last) {
		uint32_t at = r->gaps[c->gap & (REC_LOCAL_GAPS - 1)].at;
		if (rec_diff(at, c->pos) > 0 && rec_diff(at, end) < 0)
			n = at - c->pos;
	}
	uint32_t contig = recring_contig(&r->ring, c->pos);
	if (n > contig)
		n = contig;
	if (n > max)
		n = max;
	*data = recring_at(&r->ring, c->pos);
	if (stems && recring_stems(&r->ring))
		*stems = recring_stems_at(&r->ring, c->pos);
	c->pos += n;
	return n;
}

/* ---- writing a take ---- */

/* Write n frames to one file of the take (recfile_write).  0, or -1
 * after recording the error in the take. */
static int rec_file_write(struct recorder *r, struct recfile *f, const float *src, unsigned ch, uint32_t n)
{
	struct rec_take *t = &r->tk;
	if (recfile_write(f, &r->scratch, t->sample, src, ch, n, t->err, sizeof t->err) == 0)
		return 0;
	t->write_failed = 1;
	return -1;
}

/* Write n frames to every file of the take: the master's from data, the
 * stem files' from stems (both NULL for silence).  0, or -1 after
 * recording the error (the files may then differ in length: rec_finish
 * evens them out). */
static int rec_write(struct recorder *r, const float *data, const float *stems, uint32_t n)
{
	if (rec_file_write(r, &r->files[0], data, RECRING_CHANNELS, n) < 0)
		return -1;
	for (unsigned i = 1; i < r->nfiles; i++)
		if (rec_file_write(r, &r->files[i], stems, r->stem_lanes, n) < 0)
			return -1;
	r->tk.frames += n;
	return 0;
}

/* Name of file i of a take whose master is <base>[-k].<ext>: the stems
 * take the master's name with ".stems" or ".chNN" before the extension,
 * so nothing but the validated take name goes into any of them. */
static void rec_file_name(const struct recorder *r, unsigned i, const char *base, unsigned k, const char *ext,
                          char *out, size_t len)
{
	char b[RECORDER_NAME_MAX + 48];
	if (k == 1)
		snprintf(b, sizeof b, "%s", base);
	else
		snprintf(b, sizeof b, "%s-%u", base, k);
	if (i == 0)
		snprintf(out, len, "%s.%s", b, ext);
	else if (r->stems == REC_STEMS_MULTI)
		snprintf(out, len, "%s.stems.%s", b, ext);
	else
		snprintf(out, len, "%s.ch%02u.%s", b, r->files[i].chan, ext);
}

/* Close, unlink and forget every file of the take opened so far: a start
 * that failed leaves nothing behind. */
static void rec_discard(struct recorder *r)
{
	for (unsigned i = 0; i < r->nfiles; i++)
		recfile_discard(&r->files[i], r->tk.dirfd);
}

/* Create every file of the take under suffix k, exclusively.  1 when all
 * exist now, 0 when one of the names is taken (nothing left behind), -1
 * on another error (in err). */
static int rec_create(struct recorder *r, const char *base, unsigned k, const char *ext, char *err,
                      size_t errlen)
{
	for (unsigned i = 0; i < r->nfiles; i++) {
		struct recfile *f = &r->files[i];
		rec_file_name(r, i, base, k, ext, f->name, sizeof f->name);
		int made = recfile_create(f, r->tk.dirfd, r->dir, err, errlen);
		if (made <= 0) {
			rec_discard(r);
			return made;
		}
	}
	return 1;
}

/* The base of a take's files for a given name ("take.wav" names the file
 * itself: it does not become take.wav.wav).  Both threads. */
static void rec_base_name(const char *name, const char *ext, char *base, size_t len)
{
	snprintf(base, len, "%s", name);
	size_t bl = strlen(base), el = strlen(ext);
	if (bl > el + 1 && base[bl - el - 1] == '.' && !strcmp(base + bl - el, ext))
		base[bl - el - 1] = 0;
}

/* Open the files of a new take.  0, or -1 with a reason in err. */
static int rec_open(struct recorder *r, const struct rec_cmd *cmd, uint32_t start, char *err, size_t errlen)
{
	struct rec_take *t = &r->tk;
	char base[RECORDER_NAME_MAX + 32];
	const char *ext = cmd->format == REC_FMT_FLAC ? "flac" : "wav";
	int64_t first_ns = cmd->wall_ns - (int64_t)((double)(uint32_t)(cmd->pos - start) * 1e9 / r->rate);
	time_t first_s = (time_t)(first_ns / 1000000000);
	struct tm tm;

	localtime_r(&first_s, &tm);
	if (cmd->name[0]) {
		rec_base_name(cmd->name, ext, base, sizeof base);
	} else {
		strftime(base, sizeof base, "master-%Y-%m-%dT%H-%M-%S", &tm);
	}
	if (recfile_mkdirs(r->dir, err, errlen) < 0)
		return -1;
	t->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", r->dir, strerror(errno));
		return -1;
	}
	struct statvfs vfs;
	if (fstatvfs(t->dirfd, &vfs) == 0) {
		long long avail = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
		atomic_store(&r->st_free, avail);
		if (avail < rec_reserve(r, cmd->sample)) {
			snprintf(err, errlen, "disk almost full (%lld bytes free in %s)", avail, r->dir);
			close(t->dirfd);
			t->dirfd = -1;
			return -1;
		}
	}
	/* never overwrite an earlier take or stem: add -2, -3 ... to the
	 * names of all files of the take alike */
	int made = 0;
	for (unsigned k = 1; k < 1000 && made == 0; k++)
		made = rec_create(r, base, k, ext, err, errlen);
	if (made <= 0) {
		if (made == 0)
			snprintf(err, errlen, "cannot create %s/%s.%s: 999 takes of that name", r->dir, base,
			         ext);
		goto fail;
	}
	snprintf(t->path, sizeof t->path, "%.900s/%.100s", r->dir, r->files[0].name);
	if (r->nfiles > 1)
		snprintf(t->stem_path, sizeof t->stem_path, "%.900s/%.100s", r->dir, r->files[1].name);

	t->format = cmd->format;
	t->sample = cmd->sample;
	t->is_wav = cmd->format == REC_FMT_WAV;
	struct tm mid = tm;
	mid.tm_hour = mid.tm_min = mid.tm_sec = 0;
	time_t midnight = mktime(&mid);
	double since = (double)first_ns / 1e9 - (double)midnight;
	uint64_t tref = since > 0 ? (uint64_t)llround(since * r->rate) : 0;
	struct recfile_take ft = {r->dir,        r->rate, cmd->format, cmd->sample,
	                          r->originator, &tm,     tref,        r->files[0].name};
	for (unsigned i = 0; i < r->nfiles; i++)
		if (recfile_open(&r->files[i], &ft, i == 0, err, errlen) < 0)
			goto fail;
	return 0;
fail:
	rec_discard(r);
	close(t->dirfd);
	t->dirfd = -1;
	t->path[0] = 0;
	t->stem_path[0] = 0;
	return -1;
}

static void rec_start(struct recorder *r, const struct rec_cmd *cmd)
{
	struct rec_take *t = &r->tk;
	char err[RECORDER_PATH_MAX + 256];
	uint32_t start = cmd->pos - r->preroll;

	/* only what the ring still holds: less pre-roll right after start-up */
	if (rec_diff(start, recring_tail(&r->ring)) < 0 || rec_diff(cmd->pos, start) < 0)
		start = recring_tail(&r->ring);
	memset(t, 0, sizeof *t);
	t->dirfd = -1;
	for (unsigned i = 0; i < r->nfiles; i++) {
		r->files[i].sf = NULL;
		r->files[i].fd = -1;
	}
	t->take_id = cmd->take_id;
	if (rec_open(r, cmd, start, err, sizeof err) < 0) {
		log_err("recorder: %s", err);
		rec_emit(r, REC_EV_ERROR, err);
		return;
	}
	rec_cursor_set(r, &t->cur, start);
	t->next_hdr_ms = rec_now_ms() + r->header_ms;
	/* the take's loudness, and the live meter restarted from the take's
	 * first sample, so both describe exactly the audio in the file */
	loudness_reset(r->take_loud);
	loudness_reset(r->live);
	rec_cursor_set(r, &r->live_cur, start);
	r->recording = 1;
	atomic_store(&r->st_frames, 0);
	atomic_store(&r->st_dropped, 0);
	atomic_store(&r->st_active, 1);
	log_info("recording %s (%.1f s pre-roll, %s %s)", t->path,
	         (double)(uint32_t)(cmd->pos - start) / r->rate, recorder_format_name(t->format),
	         recorder_sample_name(t->sample));
	if (r->nfiles > 1)
		log_info("recording %u stem file%s (%s, after trim): %s%s", r->nfiles - 1,
		         r->nfiles > 2 ? "s" : "", recorder_stems_name(r->stems), t->stem_path,
		         r->nfiles > 2 ? " ..." : "");
	rec_emit(r, REC_EV_STARTED, NULL);
}

/* Header, bext loudness, close, sync.  reason: NULL for a normal stop. */
static void rec_finish(struct recorder *r, const char *reason)
{
	struct rec_take *t = &r->tk;
	struct loudness_values lv;
	char msg[RECORDER_PATH_MAX + 256] = "";

	loudness_compute(r->take_loud, &lv);
	if (t->write_failed) {
		/* every file keeps the frames all of them hold (the stems stay
		 * as long as the master); a WAV also loses a partial frame, so
		 * the header libsndfile writes on close describes exactly the
		 * whole frames it reported written */
		uint64_t common = r->files[0].frames;
		for (unsigned i = 1; i < r->nfiles; i++)
			if (r->files[i].frames < common)
				common = r->files[i].frames;
		t->frames = t->is_wav ? common : r->files[0].frames; /* FLAC cannot be cut */
		for (unsigned i = 0; i < r->nfiles && t->is_wav; i++)
			recfile_truncate(&r->files[i], common);
	}
	if (t->is_wav)
		recfile_set_loudness(&r->files[0], &lv);
	for (unsigned i = 0; i < r->nfiles; i++) {
		char why[sizeof msg];
		/* the first failure, unless the take already ended for one */
		if (recfile_close(&r->files[i], r->dir, why, sizeof why) < 0 && !reason && !msg[0])
			snprintf(msg, sizeof msg, "%s", why);
	}
	fsync(t->dirfd);
	close(t->dirfd);
	t->dirfd = -1;
	if (reason)
		snprintf(msg, sizeof msg, "%s: take stopped, %s kept with %.1f s", reason, t->path,
		         (double)t->frames / r->rate);
	r->recording = 0;
	atomic_store(&r->st_frames, t->frames);
	atomic_store(&r->st_dropped, t->dropped);
	atomic_store(&r->st_active, 0);
	if (msg[0])
		log_err("recorder: %s", msg);
	else
		log_info("recorded %s: %.1f s, %llu dropped frames, %.1f LUFS integrated, %.1f dBTP", t->path,
		         (double)t->frames / r->rate, (unsigned long long)t->dropped, lv.i, lv.tp);
	rec_emit(r, REC_EV_STOPPED, msg[0] ? msg : NULL);
}

/* Give the producer back everything no consumer needs, keeping the
 * pre-roll. */
static void rec_release(struct recorder *r, uint32_t head)
{
	uint32_t tail = recring_tail(&r->ring);
	uint32_t keep = head - r->preroll;
	if (rec_diff(keep, r->live_cur.pos) > 0)
		keep = r->live_cur.pos;
	if (r->recording && rec_diff(keep, r->tk.cur.pos) > 0)
		keep = r->tk.cur.pos;
	if (rec_diff(keep, tail) > 0) {
		recring_release(&r->ring, keep);
		tail = keep;
	}
	/* gap records behind the tail can never be needed again (but keep
	 * one a cursor is still expanding) */
	while (r->g_first != r->g_last && rec_diff(r->gaps[r->g_first & (REC_LOCAL_GAPS - 1)].at, tail) < 0 &&
	       r->g_first != r->live_cur.gap && (!r->recording || r->g_first != r->tk.cur.gap))
		r->g_first++;
}

/* Write what the ring holds for the take, up to head (or the stop
 * position).  Finishes the take at its stop position or on an error. */
static void rec_write_pass(struct recorder *r, uint32_t head)
{
	struct rec_take *t = &r->tk;
	const float *data, *stems;
	uint32_t n;
	uint32_t end = t->stopping ? t->stop_pos : head;

	if (t->stopping && rec_diff(end, head) > 0)
		end = head;
	while ((n = rec_step(r, &t->cur, end, REC_SEG, &data, &stems)) > 0) {
		if (rec_write(r, data, stems, n) < 0) {
			rec_finish(r, t->err);
			return;
		}
		if (!data)
			t->dropped += n;
		loudness_add(r->take_loud, data ? data : r->scratch.zero, n);
		rec_release(r, head); /* room for the RT thread at once, after a stall too */
	}
	atomic_store_explicit(&r->st_frames, t->frames, memory_order_relaxed);
	atomic_store_explicit(&r->st_dropped, t->dropped, memory_order_relaxed);
	if (t->stopping && rec_diff(t->cur.pos, t->stop_pos) >= 0 && !t->cur.gap_left) {
		rec_finish(r, NULL);
		return;
	}
	uint64_t now = rec_now_ms();
	if (now >= t->next_hdr_ms) {
		struct statvfs vfs;
		t->next_hdr_ms = now + r->header_ms;
		/* a crash or power cut leaves a file whose header covers all
		 * but the last header_ms */
		for (unsigned i = 0; i < r->nfiles; i++)
			recfile_sync(&r->files[i], t->is_wav);
		if (fstatvfs(r->files[0].fd, &vfs) == 0) {
			long long avail = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
			atomic_store(&r->st_free, avail);
			if (avail < rec_reserve(r, t->sample)) {
				char why[96];
				snprintf(why, sizeof why, "disk almost full (%lld bytes free)", avail);
				rec_finish(r, why);
			}
		}
	}
}

static void rec_live_pass(struct recorder *r, uint32_t head)
{
	const float *data;
	uint32_t n;
	while ((n = rec_step(r, &r->live_cur, head, REC_SEG, &data, NULL)) > 0) {
		loudness_add(r->live, data ? data : r->scratch.zero, n);
		rec_release(r, head);
	}
}

/* The newest frame, with every gap record before it in the local list
 * (head first: a gap is published before the frames after it). */
static uint32_t rec_sync(struct recorder *r)
{
	uint32_t head = recring_head(&r->ring);
	rec_pull_gaps(r);
	return head;
}

/* Write the rest of a stopping take and close it. */
static void rec_drain_take(struct recorder *r)
{
	while (r->recording)
		rec_write_pass(r, rec_sync(r));
}

static void rec_command(struct recorder *r, const struct rec_cmd *cmd)
{
	struct rec_take *t = &r->tk;
	switch (cmd->op) {
	case OP_START:
		if (r->recording && t->stopping)
			rec_drain_take(r); /* the previous take ends before this one starts */
		if (!r->recording)
			rec_start(r, cmd);
		break;
	case OP_STOP:
	case OP_QUIT:
		if (r->recording && !t->stopping) {
			t->stopping = 1;
			t->stop_pos = cmd->pos;
		}
		if (cmd->op == OP_QUIT)
			r->quit = 1;
		break;
	}
}

static void *rec_thread(void *arg)
{
	struct recorder *r = arg;
	struct rec_cmd cmd;

	ROLE_SET(ROLE_DISK);
	pthread_setname_np(pthread_self(), "jmx-disk"); /* per-thread figures, top -H */
	for (;;) {
		uint32_t head = rec_sync(r);
		while (rtq_pop(&r->cmds, &cmd) == 0)
			rec_command(r, &cmd);
		rec_live_pass(r, head);
		if (r->recording)
			rec_write_pass(r, head);
		if (r->quit && r->recording) {
			rec_drain_take(r); /* everything up to the stop position */
			head = rec_sync(r);
		}
		rec_release(r, head);
		if (r->quit)
			break;
		uint64_t now = rec_now_ms();
		if (!r->recording && now >= r->next_free_ms) {
			struct statvfs vfs;
			r->next_free_ms = now + REC_FREE_POLL_MS;
			atomic_store(&r->st_free, statvfs(r->dir, &vfs) == 0
			                              ? (long long)vfs.f_bavail * (long long)vfs.f_frsize
			                              : -1LL);
		}
		recring_wait(&r->ring, REC_IDLE_WAIT_MS);
	}
	return NULL;
}

/* ---- control side ---- */

struct recorder *recorder_new(const struct recorder_config *cfg)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct recorder *r = calloc(1, sizeof *r);
	if (!r) {
		log_err("recorder: out of memory");
		return NULL;
	}
	r->evpipe[0] = r->evpipe[1] = -1;
	if (strlen(cfg->dir) > 900) {
		log_err("recorder: directory name too long: %.60s...", cfg->dir);
		free(r);
		return NULL;
	}
	snprintf(r->dir, sizeof r->dir, "%s", cfg->dir);
	r->rate = cfg->rate;
	double pre = cfg->preroll_s < 0                      ? 0
	             : cfg->preroll_s > RECORDER_MAX_PREROLL ? RECORDER_MAX_PREROLL
	                                                     : cfg->preroll_s;
	r->preroll = (uint32_t)llround(pre * cfg->rate);
	r->header_ms = cfg->header_ms ? cfg->header_ms : 1000;
	r->reserve = cfg->reserve_bytes;
	snprintf(r->originator, sizeof r->originator, "%s", cfg->originator ? cfg->originator : "jackmixd");
	r->fmt = cfg->format;
	r->smp = cfg->sample;
	atomic_init(&r->st_free, -1);
	/* a file size limit must end a take (EFBIG, handled like a full
	 * disk), not kill the console */
	signal(SIGXFSZ, SIG_IGN);

	/* the files of a take: the master, then the stems (one file, or one
	 * per channel: mono channels first, then stereo, as the lanes) */
	char err[256];
	unsigned lanes = cfg->stem_mono + 2 * cfg->stem_stereo;
	r->stems = cfg->stems;
	if (recorder_stems_check(cfg->stems, lanes, cfg->format, err, sizeof err) < 0) {
		log_err("recorder: %s", err);
		goto fail;
	}
	r->stem_lanes = cfg->stems == REC_STEMS_OFF ? 0 : lanes;
	r->nfiles = 1 + (cfg->stems == REC_STEMS_MULTI   ? 1
	                 : cfg->stems == REC_STEMS_SPLIT ? cfg->stem_mono + cfg->stem_stereo
	                                                 : 0);
	r->files = calloc(r->nfiles, sizeof *r->files);
	if (!r->files) {
		log_err("recorder: out of memory");
		goto fail;
	}
	r->files[0].nch = RECRING_CHANNELS;
	if (cfg->stems == REC_STEMS_MULTI) {
		r->files[1].col = 0;
		r->files[1].nch = lanes;
	}
	for (unsigned c = 0; cfg->stems == REC_STEMS_SPLIT && c < cfg->stem_mono + cfg->stem_stereo; c++) {
		struct recfile *f = &r->files[1 + c];
		int mono = c < cfg->stem_mono;
		f->col = mono ? c : cfg->stem_mono + 2 * (c - cfg->stem_mono);
		f->nch = mono ? 1 : 2;
		f->chan = c + 1;
	}
	for (unsigned i = 0; i < r->nfiles; i++)
		r->files[i].fd = -1;
	r->tk.dirfd = -1;

	double room = cfg->buffer_s > 0 ? cfg->buffer_s : 10.0;
	/* one wake-up per 100 ms of audio: the meter's block, so each pass
	 * finishes a block; ten wake-ups a second cost nothing, fifty with a
	 * 20 ms slice each were most of an idle daemon's CPU */
	uint32_t wake = cfg->wake_frames ? cfg->wake_frames : cfg->rate / 10;
	unsigned ch = RECRING_CHANNELS + r->stem_lanes;
	if (recring_wide_new(&r->ring, (uint32_t)llround((pre + room) * cfg->rate), r->stem_lanes, wake) <
	        0 ||
	    rtq_init(&r->cmds, REC_CMDS, sizeof(struct rec_cmd)) < 0 ||
	    rtq_init(&r->events, REC_EVENTS, sizeof(struct rec_msg)) < 0) {
		log_err("recorder: cannot allocate %.0f s of ring (%u channels: %.0f MiB)", pre + room, ch,
		        (pre + room) * cfg->rate * ch * sizeof(float) / 1048576.0);
		goto fail;
	}
	if (r->stem_lanes) /* stems multiply it; it is all locked in RAM */
		log_info("recorder: ring of %.0f s x %u channels: %.0f MiB", pre + room, ch,
		         (double)r->ring.cap * ch * sizeof(float) / 1048576.0);
	int scratch = recfile_scratch_init(&r->scratch);
	r->live = loudness_new(cfg->rate, RECRING_CHANNELS);
	r->take_loud = loudness_new(cfg->rate, RECRING_CHANNELS);
	if (scratch < 0 || !r->live || !r->take_loud) {
		log_err("recorder: out of memory");
		goto fail;
	}
	if (pipe2(r->evpipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		log_err("recorder: pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&r->thread, NULL, rec_thread, r) != 0) {
		log_err("recorder: cannot start the disk thread");
		goto fail;
	}
	r->thread_ok = 1;
	return r;
fail:
	recorder_free(r);
	return NULL;
}

/* Stamp a command with "now" and queue it.  0, or -1 when the queue is
 * full (the disk thread has been stuck for many commands): wait is 1
 * only for the final quit, which must get through. */
static int recorder_post(struct recorder *r, struct rec_cmd *cmd, int wait)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	cmd->pos = recring_head(&r->ring);
	cmd->wall_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	while (rtq_push(&r->cmds, cmd) < 0) {
		if (!wait)
			return -1;
		recring_kick(&r->ring);
		usleep(1000);
	}
	rtq_publish(&r->cmds);
	recring_kick(&r->ring);
	return 0;
}

void recorder_free(struct recorder *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!r)
		return;
	if (r->thread_ok) {
		struct rec_cmd cmd;
		memset(&cmd, 0, sizeof cmd);
		cmd.op = OP_QUIT;
		recorder_post(r, &cmd, 1);
		pthread_join(r->thread, NULL);
	}
	loudness_free(r->live);
	loudness_free(r->take_loud);
	recfile_scratch_free(&r->scratch);
	free(r->files);
	rtq_destroy(&r->cmds);
	rtq_destroy(&r->events);
	recring_free(&r->ring);
	if (r->evpipe[0] >= 0)
		close(r->evpipe[0]);
	if (r->evpipe[1] >= 0)
		close(r->evpipe[1]);
	free(r);
}

struct recring *recorder_ring(struct recorder *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return &r->ring;
}

int recorder_start(struct recorder *r, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct rec_cmd cmd;

	if (name && *name && !recorder_name_ok(name)) {
		snprintf(err, errlen,
		         "bad take name (1-%d letters, digits, '-', '_', '.', not starting with '.')",
		         RECORDER_NAME_MAX);
		return -1;
	}
	if (r->ctl_active) {
		snprintf(err, errlen, "already recording");
		return -1;
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.op = OP_START;
	cmd.take_id = ++r->take_id;
	cmd.format = r->fmt;
	cmd.sample = r->smp;
	if (name)
		snprintf(cmd.name, sizeof cmd.name, "%s", name);
	if (recorder_post(r, &cmd, 0) < 0) {
		r->take_id--;
		snprintf(err, errlen, "recorder busy: the disk is not responding");
		return -1;
	}
	r->ctl_active = 1;
	r->ctl_path[0] = 0;
	r->ctl_stem_path[0] = 0;
	/* until the disk thread has opened the take, its status is this
	 * take's, not the last one's: the file as named ("" for the default
	 * name, which the time of the first sample makes), no frames yet */
	r->ctl_name[0] = 0;
	if (name && *name) {
		char base[RECORDER_NAME_MAX + 32];
		const char *ext = r->fmt == REC_FMT_FLAC ? "flac" : "wav";
		rec_base_name(name, ext, base, sizeof base);
		int n = snprintf(r->ctl_name, sizeof r->ctl_name, "%s/%s.%s", r->dir, base, ext);
		if (n < 0 || (size_t)n >= sizeof r->ctl_name) /* the directory is long: the name shows */
			snprintf(r->ctl_name, sizeof r->ctl_name, "%s.%s", base, ext);
	}
	return 0;
}

int recorder_stop(struct recorder *r, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct rec_cmd cmd;
	if (!r->ctl_active) {
		snprintf(err, errlen, "not recording");
		return -1;
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.op = OP_STOP;
	cmd.take_id = r->take_id;
	if (recorder_post(r, &cmd, 0) < 0) {
		snprintf(err, errlen, "recorder busy: the disk is not responding");
		return -1;
	}
	r->ctl_active = 0;
	return 0;
}

int recorder_set_format(struct recorder *r, enum recorder_format f, enum recorder_sample s, char *err,
                        size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (f == REC_FMT_FLAC && s == REC_FLOAT) {
		snprintf(err, errlen, "FLAC holds 16 or 24-bit integers, not 32-bit float");
		return -1;
	}
	if (recorder_stems_check(r->stems, r->stem_lanes, f, err, errlen) < 0)
		return -1;
	r->fmt = f;
	r->smp = s;
	return 0;
}

int recorder_event_fd(const struct recorder *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return r->evpipe[0];
}

int recorder_next_event(struct recorder *r, struct recorder_event *ev)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct rec_msg m;
	char buf[64];

	while (read(r->evpipe[0], buf, sizeof buf) > 0)
		;
	if (rtq_pop(&r->events, &m) < 0)
		return -1;
	*ev = m.ev;
	if (m.take_id == r->take_id) {
		if (m.ev.kind == REC_EV_STARTED) {
			snprintf(r->ctl_path, sizeof r->ctl_path, "%s", m.ev.path);
			snprintf(r->ctl_stem_path, sizeof r->ctl_stem_path, "%s", m.ev.stem_path);
		} else /* stopped, or failed to start: this take is over */
			r->ctl_active = 0;
	}
	if (m.ev.kind == REC_EV_STOPPED)
		r->last_stop = m.ev;
	return 0;
}

void recorder_status(struct recorder *r, struct recorder_status *st)
{
	ASSERT_ROLE(ROLE_CONTROL);
	memset(st, 0, sizeof *st);
	st->active = r->ctl_active || atomic_load(&r->st_active);
	st->disk_free = atomic_load(&r->st_free);
	st->lost_total = recring_lost(&r->ring);
	st->format = r->fmt;
	st->sample = r->smp;
	st->stems = r->stems;
	if (r->ctl_active && !r->ctl_path[0]) {
		/* started, not open yet: the counters of the last take are
		 * still in the atomics, and they are not this take's */
		snprintf(st->path, sizeof st->path, "%s", r->ctl_name);
		st->take = (struct loudness_values){LOUDNESS_FLOOR, LOUDNESS_FLOOR, LOUDNESS_FLOOR, 0.0f,
		                                    LOUDNESS_FLOOR, LOUDNESS_FLOOR, LOUDNESS_FLOOR};
		return;
	}
	snprintf(st->path, sizeof st->path, "%s", r->ctl_path[0] ? r->ctl_path : r->last_stop.path);
	st->frames = atomic_load(&r->st_frames);
	st->dropped = atomic_load(&r->st_dropped);
	st->seconds = (double)st->frames / r->rate;
	/* the stems are cut from the master's ring frames: the same length
	 * and the same silence for lost frames, by construction */
	if (r->ctl_path[0] || !r->last_stop.path[0])
		snprintf(st->stem_path, sizeof st->stem_path, "%s", r->ctl_stem_path);
	else
		snprintf(st->stem_path, sizeof st->stem_path, "%s", r->last_stop.stem_path);
	st->stem_files = st->stem_path[0] ? r->nfiles - 1 : 0;
	st->stem_dropped = st->stem_files ? st->dropped : 0;
	if (!st->active && r->last_stop.kind == REC_EV_STOPPED)
		st->take = r->last_stop.loud; /* exactly what went into bext */
	else
		loudness_get(r->take_loud, &st->take);
}

void recorder_loudness(struct recorder *r, struct loudness_values *v)
{
	ASSERT_ROLE(ROLE_CONTROL);
	loudness_get(r->live, v);
}

void recorder_loudness_reset(struct recorder *r)
{
	ASSERT_ROLE(ROLE_CONTROL);
	loudness_request_reset(r->live);
	recring_kick(&r->ring);
}
