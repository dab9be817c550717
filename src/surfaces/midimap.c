/*
 * midimap.c - generic MIDI mapping, learn, pick-up, feedback and the
 * mapping file; see midimap.h.
 *
 * Threads: control thread only (and the offline tests).
 *
 * Invariants:
 * - Mappings live in one array allocated at creation (MIDIMAP_MAX), so
 *   learning never allocates; a parse fills a staging array and replaces
 *   the live one only when the whole text was valid.
 * - Feedback is pull-based: the model listener only marks mappings dirty;
 *   midimap_tick compares each dirty mapping's value with what its control
 *   is known to show ("dev" value and raw MIDI value) and sends only real
 *   differences, so a fast OSC fader costs at most one MIDI message per
 *   tick and control, and a full ring just leaves the mapping dirty.
 * - An absolute control's own change records the value it now shows
 *   instead of marking it dirty: no echo.  Buttons (toggle, momentary) are
 *   always told the state, because their LED is the host's to drive.
 * - What a control said itself (its position, "own") is known for certain:
 *   a repair (midimap_refresh after an xrun) forgets only what we told the
 *   controls, so a moving control is sent nothing unless something else
 *   is shown.  Only a new surface (midi_out connected elsewhere) forgets
 *   it too.
 * - The physical position of a control (x_dev, for pick-up) is updated
 *   only by what the control sends, on every mapping of that control in
 *   every bank, never by feedback.
 * - Every value read for a surface (feedback, pick-up, toggles) goes
 *   through mm_value: the shown value, which differs from the model only
 *   while automation drives the parameter; a change of it arrives as
 *   midimap_moved and is fed back by the same tick as a model change.
 */
#include "midimap.h"
#include "midimap_line.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsp.h"
#include "params_path.h"
#include "statefile.h"

struct mm_entry {
	struct midimap_spec s;
	float dev;    /* model value the control shows; NAN unknown */
	int raw_dev;  /* raw MIDI value the control last sent or was sent; -1 unknown */
	double x_dev; /* physical position 0..1 last sent by the control; < 0 unknown */
	int picked;   /* pick-up engaged */
	int dirty;    /* feedback due */
	int own;      /* dev and raw_dev are the control's own last message */
	float expect; /* what our own last set should store (bools, enums rounded) */
};

struct midimap {
	struct model *model;
	midimap_send_fn send;
	void *send_ctx;
	midimap_learned_fn learned;
	void *learned_ctx;
	midimap_shown_fn shown;
	void *shown_ctx;

	struct mm_entry *e;
	unsigned n;
	struct mm_entry *stage; /* parse target, MIDIMAP_MAX too */
	unsigned char mapped[P_COUNT];
	unsigned bank, nbanks;
	unsigned long gen;
	int any_dirty;
	int staged; /* model changes not yet committed */

	/* 14-bit pairs: per channel and MSB controller */
	uint8_t msb[16][32];
	uint8_t msb_pending[16][32];
	uint64_t msb_at[16][32];

	/* learn */
	int learning;
	struct midimap_spec learn;
	int cand; /* a CC 0-31 seen: 14-bit if its LSB follows */
	uint8_t cand_chan, cand_num, cand_val;
	uint64_t cand_at;
};

/* ---- values along the taper ------------------------------------------- */

static int mm_taper_kind(const struct midimap_spec *s)
{
	if (s->taper != MMT_PARAM)
		return s->taper;
	switch (param_table[s->id].taper) {
	case TP_FADER:
		return MMT_FADER;
	case TP_LOG:
		return MMT_LOG;
	default:
		return MMT_LIN;
	}
}

static double mm_T(int taper, double v)
{
	switch (taper) {
	case MMT_FADER:
		return dsp_db_to_fader((float)v);
	case MMT_LOG:
		return log(v > 1e-30 ? v : 1e-30);
	default:
		return v;
	}
}

static double mm_Tinv(int taper, double t)
{
	switch (taper) {
	case MMT_FADER:
		return dsp_fader_to_db((float)t);
	case MMT_LOG:
		return exp(t);
	default:
		return t;
	}
}

/* Control position 0..1 -> engineering value. */
static double mm_x_to_value(const struct midimap_spec *s, double x)
{
	int tk = mm_taper_kind(s);
	double a = mm_T(tk, s->lo), b = mm_T(tk, s->hi);
	x = x < 0 ? 0 : x > 1 ? 1 : x;
	if (x == 0)
		return s->lo;
	if (x == 1)
		return s->hi;
	return mm_Tinv(tk, a + x * (b - a));
}

/* Engineering value -> control position 0..1 (clamped). */
static double mm_value_to_x(const struct midimap_spec *s, double v)
{
	int tk = mm_taper_kind(s);
	double a = mm_T(tk, s->lo), b = mm_T(tk, s->hi);
	if (b == a)
		return 0;
	double x = (mm_T(tk, v) - a) / (b - a);
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

static int mm_is_on(const struct midimap_spec *s, double v)
{
	return fabs(v - s->hi) < fabs(v - s->lo);
}

static int mm_raw_max(const struct midimap_spec *s)
{
	return s->kind == MM_CC14 || s->kind == MM_PB ? 16383 : 127;
}

/* Pick-up window: one step of a 7-bit control, a little more for 14 bit
 * (whose jitter is larger than one step). */
static double mm_tol(const struct midimap_spec *s)
{
	return mm_raw_max(s) == 127 ? 1.0 / 127.0 : 1.0 / 512.0;
}

static int mm_active(const struct midimap *mm, const struct mm_entry *e)
{
	return e->s.bank == 0 || e->s.bank == mm->bank;
}

/* What a mapping's parameter shows (the model's value unless automation
 * moves it). */
static float mm_value(const struct midimap *mm, const struct midimap_spec *s)
{
	float v = model_get(mm->model, s->id, s->i1, s->i2);
	return mm->shown ? mm->shown(mm->shown_ctx, s->id, s->i1, s->i2, v) : v;
}

/* ---- construction ------------------------------------------------------ */

static void mm_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                         int clamped);

struct midimap *midimap_new(struct model *m, midimap_send_fn send, void *send_ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct midimap *mm = calloc(1, sizeof *mm);
	if (!mm)
		return NULL;
	mm->e = calloc(MIDIMAP_MAX, sizeof *mm->e);
	mm->stage = calloc(MIDIMAP_MAX, sizeof *mm->stage);
	if (!mm->e || !mm->stage || model_add_listener(m, mm_on_change, mm) < 0) {
		free(mm->e);
		free(mm->stage);
		free(mm);
		return NULL;
	}
	mm->model = m;
	mm->send = send;
	mm->send_ctx = send_ctx;
	mm->bank = 1;
	mm->nbanks = 1;
	return mm;
}

void midimap_free(struct midimap *mm)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!mm)
		return;
	/* the model outlives us (the daemon frees it after the MIDI layer) */
	model_remove_listener(mm->model, mm_on_change, mm);
	free(mm->e);
	free(mm->stage);
	free(mm);
}

void midimap_on_learned(struct midimap *mm, midimap_learned_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	mm->learned = fn;
	mm->learned_ctx = ctx;
}

void midimap_set_shown(struct midimap *mm, midimap_shown_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	mm->shown = fn;
	mm->shown_ctx = ctx;
	for (unsigned i = 0; i < mm->n; i++)
		mm->e[i].dirty = 1; /* the tick sends what now differs */
	mm->any_dirty = 1;
}

/* Run-time state of a mapping that was just loaded or learned. */
static void mm_entry_reset(struct mm_entry *e)
{
	e->dev = NAN;
	e->raw_dev = -1;
	e->x_dev = -1;
	e->picked = 0;
	e->dirty = 1;
	e->own = 0;
}

/* After the set of mappings changed: banks, lookup, and feedback. */
static void mm_reindex(struct midimap *mm)
{
	memset(mm->mapped, 0, sizeof mm->mapped);
	mm->nbanks = 1;
	for (unsigned i = 0; i < mm->n; i++) {
		const struct midimap_spec *s = &mm->e[i].s;
		if (s->action == MMA_PARAM)
			mm->mapped[s->id] = 1;
		if (s->bank > mm->nbanks)
			mm->nbanks = s->bank;
		if (s->action == MMA_BANK_SET && s->bank_arg > mm->nbanks)
			mm->nbanks = s->bank_arg;
	}
	if (mm->bank > mm->nbanks)
		mm->bank = 1;
	mm->any_dirty = 1;
}

int midimap_line(const struct midimap *mm, unsigned i, char *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (i >= mm->n)
		return -1;
	return midimap_line_format(&mm->e[i].s, buf, len);
}

/* ---- the file ---------------------------------------------------------- */

int midimap_parse(struct midimap *mm, const char *file, const char *text, size_t len, char *err,
                  size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char line[MIDIMAP_LINE_MAX + 2], why[256];
	unsigned lineno = 0, n = 0;
	size_t pos = 0;

	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		if (end - pos > MIDIMAP_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %u bytes", file, lineno,
			         MIDIMAP_LINE_MAX);
			return -1;
		}
		memcpy(line, text + pos, end - pos);
		line[end - pos] = 0;
		if (memchr(text + pos, 0, end - pos)) {
			snprintf(err, errlen, "%s:%u: NUL byte", file, lineno);
			return -1;
		}
		pos = end + 1;
		struct midimap_spec s;
		int r = midimap_line_parse(mm->model, line, &s, why, sizeof why);
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", file, lineno, why);
			return -1;
		}
		if (r == 0)
			continue;
		if (n == MIDIMAP_MAX) {
			snprintf(err, errlen, "%s:%u: more than %u mappings", file, lineno, MIDIMAP_MAX);
			return -1;
		}
		memset(&mm->stage[n], 0, sizeof mm->stage[n]);
		mm->stage[n].s = s;
		mm_entry_reset(&mm->stage[n]);
		n++;
	}
	struct mm_entry *t = mm->e;
	mm->e = mm->stage;
	mm->stage = t;
	mm->n = n;
	mm->gen++;
	mm_reindex(mm);
	return 0;
}

int midimap_load(struct midimap *mm, const char *path, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return e == ENOENT ? -ENOENT : -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MIDIMAP_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path, MIDIMAP_MAX_BYTES);
		close(fd);
		return -1;
	}
	size_t len = (size_t)st.st_size, got = 0;
	char *buf = malloc(len + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != len) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		return -1;
	}
	int r = midimap_parse(mm, path, buf, len, err, errlen);
	free(buf);
	return r;
}

char *midimap_format(const struct midimap *mm, size_t *len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	static const char head[] =
	    "# jackmixd MIDI map: CONTROL CHANNEL NUMBER PATH [options]\n"
	    "#   cc CH CC | cc14 CH MSB | note CH NOTE | pb CH, then a parameter path or bank next|prev|N\n"
	    "#   options: range LO HI, taper param|lin|log|fader, toggle|momentary, pickup, bank N\n"
	    "jackmixd-midimap 1\n";
	size_t cap = sizeof head + (size_t)mm->n * (MIDIMAP_LINE_MAX + 1), o = sizeof head - 1;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	memcpy(buf, head, o);
	for (unsigned i = 0; i < mm->n; i++) {
		int r = midimap_line(mm, i, buf + o, cap - o - 1);
		if (r < 0) {
			free(buf);
			return NULL;
		}
		o += (size_t)r;
		buf[o++] = '\n';
	}
	buf[o] = 0;
	*len = o;
	return buf;
}

int midimap_save(const struct midimap *mm, const char *path, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char real[PATH_MAX], dir[PATH_MAX];
	const char *use = realpath(path, real) ? real : path;
	const char *slash = strrchr(use, '/');
	const char *name = slash ? slash + 1 : use;
	size_t len;
	int r, fd;

	if (!*name || strlen(use) >= sizeof dir) {
		snprintf(err, errlen, "%s: not a file name", path);
		return -1;
	}
	if (slash) {
		size_t dn = (size_t)(slash - use);
		memcpy(dir, use, dn ? dn : 1);
		dir[dn ? dn : 1] = 0;
	} else {
		strcpy(dir, ".");
	}
	fd = statefile_dir_open(dir);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-fd));
		return -1;
	}
	char *text = midimap_format(mm, &len);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = statefile_write_atomic(fd, name, text, len, 0, err, errlen);
	free(text);
	close(fd);
	return r < 0 ? -1 : 0;
}

/* ---- input ------------------------------------------------------------- */

static void mm_set(struct midimap *mm, struct mm_entry *e, double v)
{
	e->expect = param_clamp(e->s.id, (float)v);
	if (model_set(mm->model, e->s.id, e->s.i1, e->s.i2, (float)v, e) >= 0)
		mm->staged = 1;
}

/* An absolute position from a control (cc, cc14, pb). */
static void mm_abs(struct midimap *mm, struct mm_entry *e, int raw)
{
	double x = (double)raw / mm_raw_max(&e->s);
	if (e->s.pickup && !e->picked) {
		double cx = mm_value_to_x(&e->s, mm_value(mm, &e->s));
		double prev = e->x_dev;
		if (fabs(x - cx) <= mm_tol(&e->s) || (prev >= 0 && (prev - cx) * (x - cx) <= 0))
			e->picked = 1;
		if (!e->picked)
			return;
	}
	e->raw_dev = raw;
	mm_set(mm, e, mm_x_to_value(&e->s, x));
}

static void mm_bank_set(struct midimap *mm, unsigned bank)
{
	if (bank < 1 || bank > mm->nbanks || bank == mm->bank)
		return;
	mm->bank = bank;
	for (unsigned i = 0; i < mm->n; i++) {
		struct mm_entry *e = &mm->e[i];
		e->dirty = 1;
		if (e->s.bank == 0)
			continue; /* on every bank: the control shows it already */
		e->raw_dev = -1;  /* shows another bank's value */
		e->dev = NAN;
		e->own = 0;
		if (e->s.pickup) {
			double cx = mm_value_to_x(&e->s, mm_value(mm, &e->s));
			e->picked = e->x_dev >= 0 && fabs(e->x_dev - cx) <= mm_tol(&e->s);
		}
	}
	mm->any_dirty = 1;
}

/* A button press or release (note, or CC in toggle/momentary mode). */
static void mm_button(struct midimap *mm, struct mm_entry *e, int press)
{
	switch (e->s.action) {
	case MMA_BANK_NEXT:
		if (press)
			mm_bank_set(mm, mm->bank % mm->nbanks + 1);
		return;
	case MMA_BANK_PREV:
		if (press)
			mm_bank_set(mm, (mm->bank + mm->nbanks - 2) % mm->nbanks + 1);
		return;
	case MMA_BANK_SET:
		if (press)
			mm_bank_set(mm, e->s.bank_arg);
		return;
	case MMA_PARAM:
		break;
	}
	if (e->s.mode == MMM_MOMENTARY) {
		mm_set(mm, e, press ? e->s.hi : e->s.lo);
	} else if (press) {
		/* toggle what the LED shows (a lane may be playing the switch) */
		mm_set(mm, e, mm_is_on(&e->s, mm_value(mm, &e->s)) ? e->s.lo : e->s.hi);
	}
	e->dirty = 1; /* the LED is ours to drive */
	mm->any_dirty = 1;
}

/* Every mapping of one control: record the position on all banks, act on
 * the active ones. */
static void mm_dispatch(struct midimap *mm, enum midimap_kind kind, uint8_t chan, uint8_t num, int raw,
                        int press)
{
	for (unsigned i = 0; i < mm->n; i++) {
		struct mm_entry *e = &mm->e[i];
		if (e->s.kind != kind || e->s.chan != chan || (kind != MM_PB && e->s.num != num))
			continue;
		if (e->s.mode == MMM_ABS && e->s.action == MMA_PARAM) {
			if (mm_active(mm, e))
				mm_abs(mm, e, raw);
			e->x_dev = (double)raw / mm_raw_max(&e->s);
		} else if (mm_active(mm, e)) {
			mm_button(mm, e, press);
		}
	}
}

static int mm_has_cc14(const struct midimap *mm, uint8_t chan, uint8_t msb)
{
	for (unsigned i = 0; i < mm->n; i++)
		if (mm->e[i].s.kind == MM_CC14 && mm->e[i].s.chan == chan && mm->e[i].s.num == msb)
			return 1;
	return 0;
}

static void mm_learn_commit(struct midimap *mm, enum midimap_kind kind, uint8_t chan, uint8_t num, int raw);

/* While learning: 1 when the message was taken. */
static int mm_learn_input(struct midimap *mm, uint8_t st, uint8_t chan, const uint8_t *msg, size_t len,
                          uint64_t now)
{
	if (mm->cand) {
		if (st == 0xB0 && chan == mm->cand_chan && len >= 3 && msg[1] == mm->cand_num + 32) {
			mm->cand = 0;
			mm_learn_commit(mm, MM_CC14, chan, mm->cand_num, (mm->cand_val << 7) | msg[2]);
			return 1;
		}
		if (st == 0xB0 && chan == mm->cand_chan && len >= 3 && msg[1] == mm->cand_num) {
			mm->cand_val = msg[2]; /* the same control moving on: still undecided */
			return 1;
		}
		mm->cand = 0;
		mm_learn_commit(mm, MM_CC, mm->cand_chan, mm->cand_num, mm->cand_val);
		return 0; /* the new message is handled as input */
	}
	if (st == 0xB0 && len >= 3) {
		if (msg[1] < 32) {
			mm->cand = 1;
			mm->cand_chan = chan;
			mm->cand_num = msg[1];
			mm->cand_val = msg[2];
			mm->cand_at = now;
		} else {
			mm_learn_commit(mm, MM_CC, chan, msg[1], msg[2]);
		}
		return 1;
	}
	if (st == 0x90 && len >= 3 && msg[2] > 0) {
		mm_learn_commit(mm, MM_NOTE, chan, msg[1], 127);
		return 1;
	}
	if (st == 0xE0 && len >= 3) {
		mm_learn_commit(mm, MM_PB, chan, 0, msg[1] | (msg[2] << 7));
		return 1;
	}
	return 0;
}

void midimap_input(struct midimap *mm, const uint8_t *msg, size_t len, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (len < 1 || msg[0] < 0x80 || msg[0] >= 0xF0)
		return; /* system messages map to nothing */
	uint8_t st = msg[0] & 0xF0, chan = msg[0] & 0x0F;
	if (len < (st == 0xC0 || st == 0xD0 ? 2u : 3u))
		return;
	if (mm->learning && mm_learn_input(mm, st, chan, msg, len, now))
		return;
	switch (st) {
	case 0x80:
	case 0x90: {
		int press = st == 0x90 && msg[2] > 0;
		mm_dispatch(mm, MM_NOTE, chan, msg[1], 0, press);
		break;
	}
	case 0xB0: {
		uint8_t num = msg[1], val = msg[2];
		if (num < 32 && mm_has_cc14(mm, chan, num)) {
			mm->msb[chan][num] = val;
			mm->msb_pending[chan][num] = 1;
			mm->msb_at[chan][num] = now;
		} else if (num >= 32 && num < 64 && mm_has_cc14(mm, chan, num - 32)) {
			mm->msb_pending[chan][num - 32] = 0;
			mm_dispatch(mm, MM_CC14, chan, num - 32, (mm->msb[chan][num - 32] << 7) | val, 0);
		}
		/* the same number may be a 7-bit mapping too; CC buttons press at 64 */
		for (unsigned i = 0; i < mm->n; i++)
			if (mm->e[i].s.kind == MM_CC && mm->e[i].s.chan == chan && mm->e[i].s.num == num) {
				mm_dispatch(mm, MM_CC, chan, num, val, val >= 64);
				break;
			}
		break;
	}
	case 0xE0:
		mm_dispatch(mm, MM_PB, chan, 0, msg[1] | (msg[2] << 7), 0);
		break;
	default:
		break;
	}
}

void midimap_flush(struct midimap *mm)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (mm->staged) {
		model_commit(mm->model);
		mm->staged = 0;
	}
}

/* ---- feedback ----------------------------------------------------------- */

/* The value of (id, i1, i2) changed (origin: a mapping, or anything
 * else, NULL for a move the audio thread made): feedback due. */
static void mm_changed(struct midimap *mm, enum param_id id, unsigned i1, unsigned i2, const void *origin)
{
	if ((unsigned)id >= P_COUNT || !mm->mapped[id])
		return;
	for (unsigned i = 0; i < mm->n; i++) {
		struct mm_entry *e = &mm->e[i];
		if (e->s.action != MMA_PARAM || e->s.id != id || e->s.i1 != i1 || e->s.i2 != i2)
			continue;
		/* a switch or a list set from a knob is rounded by the model:
		 * that is the value the control asked for, not a correction
		 * to send back to it (a motor fader would fight the hand) */
		if (origin == e && e->s.mode == MMM_ABS && model_get(mm->model, id, i1, i2) == e->expect) {
			/* the control shows what it sent; the tick still sends
			 * it another value if something else is shown (a lane
			 * playing in read mode overrides the hand) */
			e->dev = e->expect;
			e->own = 1;
			e->dirty = 1;
			mm->any_dirty = 1;
			continue;
		}
		float v = mm_value(mm, &e->s);
		if (e->s.pickup && origin != e &&
		    (e->x_dev < 0 || fabs(mm_value_to_x(&e->s, v) - e->x_dev) > mm_tol(&e->s)))
			e->picked = 0;
		e->dirty = 1;
		mm->any_dirty = 1;
	}
}

static void mm_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                         int clamped)
{
	(void)clamped;
	mm_changed(ctx, id, i1, i2, origin);
}

void midimap_moved(struct midimap *mm, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	mm_changed(mm, id, i1, i2, NULL);
}

/* Feedback for one mapping.  0 sent or nothing to send, -1 ring full. */
static int mm_feedback(struct midimap *mm, struct mm_entry *e)
{
	const struct midimap_spec *s = &e->s;
	uint8_t msg[6];
	int raw;
	float v = 0;

	if (s->action == MMA_BANK_NEXT || s->action == MMA_BANK_PREV)
		return 0;
	if (s->action == MMA_BANK_SET) {
		raw = mm->bank == s->bank_arg ? 127 : 0;
	} else {
		v = mm_value(mm, s);
		if (!isnan(e->dev) && v == e->dev && e->raw_dev >= 0)
			return 0;
		if (s->mode == MMM_ABS)
			raw = (int)lround(mm_value_to_x(s, v) * mm_raw_max(s));
		else
			raw = mm_is_on(s, v) ? 127 : 0;
	}
	if (raw == e->raw_dev) {
		e->dev = v;
		return 0;
	}
	switch (s->kind) {
	case MM_CC:
		msg[0] = 0xB0 | s->chan, msg[1] = s->num, msg[2] = (uint8_t)raw;
		break;
	case MM_CC14:
		msg[0] = 0xB0 | s->chan, msg[1] = s->num, msg[2] = (uint8_t)(raw >> 7);
		msg[3] = 0xB0 | s->chan, msg[4] = (uint8_t)(s->num + 32), msg[5] = (uint8_t)(raw & 127);
		break;
	case MM_NOTE:
		msg[0] = 0x90 | s->chan, msg[1] = s->num, msg[2] = (uint8_t)raw;
		break;
	case MM_PB:
		msg[0] = 0xE0 | s->chan, msg[1] = (uint8_t)(raw & 127), msg[2] = (uint8_t)(raw >> 7);
		break;
	}
	if (mm->send(mm->send_ctx, msg, 3) < 0)
		return -1;
	if (s->kind == MM_CC14 && mm->send(mm->send_ctx, msg + 3, 3) < 0) {
		e->raw_dev = -1; /* half a pair went out: send both again */
		return -1;
	}
	e->raw_dev = raw;
	e->dev = v;
	e->own = 0;
	return 0;
}

void midimap_tick(struct midimap *mm, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	/* late MSBs: a device that sends only 7 bits of a 14-bit pair */
	for (unsigned i = 0; i < mm->n; i++) {
		struct mm_entry *e = &mm->e[i];
		if (e->s.kind != MM_CC14 || !mm->msb_pending[e->s.chan][e->s.num] ||
		    now - mm->msb_at[e->s.chan][e->s.num] < MIDIMAP_MSB_MS)
			continue;
		mm->msb_pending[e->s.chan][e->s.num] = 0;
		mm_dispatch(mm, MM_CC14, e->s.chan, e->s.num, mm->msb[e->s.chan][e->s.num] << 7, 0);
	}
	if (mm->learning && mm->cand && now - mm->cand_at >= MIDIMAP_LEARN_MS) {
		mm->cand = 0;
		mm_learn_commit(mm, MM_CC, mm->cand_chan, mm->cand_num, mm->cand_val);
	}
	midimap_flush(mm);
	if (!mm->any_dirty)
		return;
	mm->any_dirty = 0;
	for (unsigned i = 0; i < mm->n; i++) {
		struct mm_entry *e = &mm->e[i];
		if (!e->dirty || !mm_active(mm, e))
			continue;
		if (mm_feedback(mm, e) < 0) {
			mm->any_dirty = 1; /* the ring is full: the rest next tick */
			return;
		}
		e->dirty = 0;
	}
}

void midimap_refresh(struct midimap *mm, int all)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < mm->n; i++) {
		struct mm_entry *e = &mm->e[i];
		e->dirty = 1;
		if (e->own && !all)
			continue; /* it said where it is: telling it back is an echo */
		e->raw_dev = -1;
		e->dev = NAN;
		e->own = 0;
	}
	mm->any_dirty = 1;
}

/* ---- learn and forget -------------------------------------------------- */

int midimap_learn(struct midimap *mm, const char *path, const char *options, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char buf[MIDIMAP_LINE_MAX + 1], *tok[MIDIMAP_LINE_MAX_TOK];
	struct midimap_spec s;
	int n = 0;

	mm->cand = 0;
	if (!path) {
		mm->learning = 0;
		return 0;
	}
	memset(&s, 0, sizeof s);
	if (midimap_line_resolve(mm->model, path, &s.id, &s.i1, &s.i2, err, errlen) < 0)
		return -1;
	if (options) {
		if (strlen(options) > MIDIMAP_LINE_MAX) {
			snprintf(err, errlen, "options too long");
			return -1;
		}
		strcpy(buf, options);
		n = midimap_line_split(buf, tok);
		if (n < 0) {
			snprintf(err, errlen, "too many options");
			return -1;
		}
	}
	/* the kind is not known yet: check the options against a note and an
	 * absolute control, and keep the words for the real one */
	s.action = MMA_PARAM;
	s.lo = param_table[s.id].min;
	s.hi = param_table[s.id].max;
	s.kind = MM_CC;
	s.mode = MMM_ABS;
	struct midimap_spec t = s;
	if (midimap_line_options(mm->model, &t, tok, (unsigned)n, err, errlen) < 0)
		return -1;
	mm->learn = t;
	mm->learning = 1;
	return 0;
}

int midimap_learning(const struct midimap *mm)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return mm->learning;
}

static int mm_same_control(const struct midimap_spec *a, enum midimap_kind kind, uint8_t chan, uint8_t num)
{
	if (a->chan != chan)
		return 0;
	/* a cc14 pair occupies two 7-bit numbers */
	if (a->kind == MM_CC14 && kind == MM_CC)
		return num == a->num || num == a->num + 32;
	if (a->kind == MM_CC && kind == MM_CC14)
		return a->num == num || a->num == num + 32;
	return a->kind == kind && (kind == MM_PB || a->num == num);
}

static void mm_remove(struct midimap *mm, unsigned i)
{
	memmove(&mm->e[i], &mm->e[i + 1], (mm->n - i - 1) * sizeof mm->e[0]);
	mm->n--;
}

static void mm_learn_commit(struct midimap *mm, enum midimap_kind kind, uint8_t chan, uint8_t num, int raw)
{
	struct midimap_spec s = mm->learn;
	char line[MIDIMAP_LINE_MAX + 1], path[160];

	mm->learning = 0;
	s.kind = kind;
	s.chan = chan;
	s.num = kind == MM_PB ? 0 : num;
	if (kind == MM_NOTE && s.mode == MMM_ABS)
		s.mode = MMM_TOGGLE;
	if ((kind == MM_CC14 || kind == MM_PB) && s.mode != MMM_ABS)
		s.mode = MMM_ABS; /* buttons are notes or 7-bit CCs */
	if (s.mode != MMM_ABS)
		s.pickup = 0;
	if (!s.bank && mm->nbanks > 1)
		s.bank = mm->bank;
	for (unsigned i = 0; i < mm->n;) {
		const struct midimap_spec *o = &mm->e[i].s;
		int same_path = o->action == MMA_PARAM && o->id == s.id && o->i1 == s.i1 && o->i2 == s.i2;
		if (o->bank == s.bank && (same_path || mm_same_control(o, kind, chan, s.num)))
			mm_remove(mm, i);
		else
			i++;
	}
	if (mm->n == MIDIMAP_MAX)
		return;
	struct mm_entry *e = &mm->e[mm->n++];
	memset(e, 0, sizeof *e);
	e->s = s;
	mm_entry_reset(e);
	if (s.mode == MMM_ABS) {
		e->x_dev = (double)raw / mm_raw_max(&s);
		double cx = mm_value_to_x(&s, mm_value(mm, &s));
		e->picked = fabs(e->x_dev - cx) <= mm_tol(&s);
	}
	mm->gen++;
	mm_reindex(mm);
	if (mm->learned && midimap_line(mm, mm->n - 1, line, sizeof line) >= 0) {
		midimap_line_path(s.id, s.i1, s.i2, path, sizeof path);
		mm->learned(mm->learned_ctx, path, line);
	}
}

int midimap_forget(struct midimap *mm, const char *path, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	enum param_id id;
	unsigned i1, i2;
	int all = !strcmp(path, "all"), removed = 0;

	if (!all && midimap_line_resolve(mm->model, path, &id, &i1, &i2, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < mm->n;) {
		const struct midimap_spec *s = &mm->e[i].s;
		if (all || (s->action == MMA_PARAM && s->id == id && s->i1 == i1 && s->i2 == i2)) {
			mm_remove(mm, i);
			removed++;
		} else {
			i++;
		}
	}
	if (removed) {
		mm->gen++;
		mm_reindex(mm);
	}
	return removed;
}

unsigned midimap_count(const struct midimap *mm)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return mm->n;
}

const struct midimap_spec *midimap_get(const struct midimap *mm, unsigned i)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return i < mm->n ? &mm->e[i].s : NULL;
}

unsigned midimap_bank(const struct midimap *mm)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return mm->bank;
}

unsigned long midimap_generation(const struct midimap *mm)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return mm->gen;
}
