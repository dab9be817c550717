/*
 * automation.c - automation on the control thread: timed moves, lane
 * modes and touches, recording (collect, thin, merge), hand-over of lane
 * sets to the RT half, feedback of moving values (the shown value and its
 * display watchers), lanes in state files; see automation.h.
 *
 * Threads: control thread only (the surfaces' handlers, the model
 * listener, the timer, main and session).  The OSC addresses are
 * automation_osc.c's; this file knows no surface.  The RT thread is
 * reached through the autoplay object (atomics and the lane-set mailbox)
 * and through the model's queue (RT_HOLD); nothing here waits for it.
 *
 * Invariants:
 * - Recording is what the audio thread played: records arrive from
 *   autoplay with the transport frame at which each value was reached,
 *   are thinned in batches of AUTOMATION_THIN_BATCH (each batch on its
 *   own, so errors never add up beyond the tolerance) and merged into the
 *   lane when the pass ends (transport stopped or jumped, touch released,
 *   mode changed).
 * - A value is shown differently from the model only while automation
 *   drives it: a timed move or a recall's fade in flight (until the audio
 *   thread reaches the target), or a lane that can play and is not
 *   touched.  Anything else shows the model, so a hand on a fader never
 *   gets echoes of its own moves from the audio thread.
 * - Every surface shows the same value: the watchers are told each change
 *   of it here, in one place (auto_notify), and read automation_value.
 * - When a lane stops driving a parameter (mode off or write, points
 *   cleared, a move stopped), the model is set to the value the audio
 *   thread holds, once it provably holds it (the lane set without the
 *   lane is active, or two periods after RT_HOLD); a value set meanwhile
 *   (which the lane may still have overridden) is sent again instead.
 */
#include "automation.h"
#include "role.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "log.h"

enum { SYNC_NONE, SYNC_PUBLISH, SYNC_WAIT };

/* A pass being recorded for one instance. */
struct auto_seg {
	uint32_t *f;
	float *v;
	unsigned n, cap;
	unsigned base; /* first point of the batch not thinned yet */
	int open;
};

struct automation {
	struct model *model;
	struct rtq *to_rt;
	struct control *ctl;
	struct automation_events ev; /* all NULL until a surface binds */
	struct mixer *(*mixer)(void *ctx);
	void *mctx;
	double rate;
	uint32_t glide; /* frames */
	struct lanes *lanes;
	struct autoplay *ap;
	unsigned nflat;
	uint16_t *fid, *fi1, *fi2; /* instance -> parameter and indices */
	unsigned *autom;           /* automatable instances */
	unsigned nautom;

	struct auto_seg *seg;
	unsigned nrec; /* open segments */

	uint8_t *touch;     /* explicit touch */
	uint64_t *implicit; /* an implied touch ends then (ms); 0 none */

	/* feedback of moving values, looked at for the instances in watch[]
	 * only (those a ramp, a sync or a playable lane may drive) */
	uint8_t *override, *ramping, *renotify;
	float *shown, *seen;
	uint8_t *watched;
	unsigned *watch, nwatch;
	unsigned nimplicit;

	/* model <- RT value, once the RT thread has caught up */
	uint8_t *sync, *resend; /* resend: the model changed meanwhile, it wins */
	unsigned long *sync_gen, *sync_cycle;
	unsigned nsync;

	int set_dirty;
	unsigned long generation;
	const void *quiet;
	int recall_fade; /* the quiet origin's changes are ramps (a faded recall) */

	struct {
		automation_watch_fn fn;
		void *ctx;
	} watcher[AUTOMATION_WATCHERS];
	unsigned nwatchers;

	int fading;
	uint64_t fade_end, fade_next;
	unsigned long dropped_said;

	unsigned long pub_gen; /* the newest set published */
	int timer;             /* the tick: asleep while nothing moves or records */
	int set_writes;        /* the published set has lanes that record (write, touch, latch) */
	void (*changed)(void *ctx);
	void *changed_ctx;
};

/* Wake the tick: something may move, record or be published. */
static void auto_wake(struct automation *a)
{
	control_timer_wake(a->ctl, a->timer);
}

/* The lanes changed (what the state file holds). */
static void auto_changed(struct automation *a)
{
	a->generation++;
	if (a->changed)
		a->changed(a->changed_ctx);
}

/* ---- small helpers ----------------------------------------------------- */

static long auto_flat(const struct automation *a, enum param_id id, unsigned i1, unsigned i2)
{
	if ((unsigned)id >= P_COUNT || !param_automatable(id))
		return -1;
	return lanes_flat(a->lanes, id, i1, i2);
}

static int auto_playable(const struct automation *a, unsigned flat)
{
	const struct lanes_lane *l = &a->lanes->lane[flat];
	return l->n > 0 &&
	       (l->mode == AUTOPLAY_READ || l->mode == AUTOPLAY_TOUCH || l->mode == AUTOPLAY_LATCH);
}

static float auto_published(const struct automation *a, unsigned flat)
{
	struct mixer *m = a->mixer ? a->mixer(a->mctx) : NULL;
	if (!m || mixer_flat_count(m) != a->nflat)
		return NAN;
	return mixer_value_published(m, flat);
}

static float auto_model(const struct automation *a, unsigned flat)
{
	return model_get(a->model, (enum param_id)a->fid[flat], a->fi1[flat], a->fi2[flat]);
}

static void auto_notify(struct automation *a, unsigned flat)
{
	for (unsigned k = 0; k < a->nwatchers; k++)
		a->watcher[k].fn(a->watcher[k].ctx, (enum param_id)a->fid[flat], a->fi1[flat], a->fi2[flat]);
}

/* An implied touch ends (an explicit one goes on). */
static void implicit_end(struct automation *a, unsigned flat)
{
	if (!a->implicit[flat])
		return;
	a->implicit[flat] = 0;
	a->nimplicit--;
	if (!a->touch[flat])
		autoplay_touch(a->ap, flat, 0);
}

static void watch_add(struct automation *a, unsigned flat)
{
	auto_wake(a);
	if (a->watched[flat])
		return;
	a->watched[flat] = 1;
	a->watch[a->nwatch++] = flat;
	a->seen[flat] = auto_published(a, flat);
}

/* The model was just told to move to a new value over time and r is
 * where the audio thread still is: show the move from there, not its
 * target; auto_poll follows it until the audio thread arrives. */
static void move_watch(struct automation *a, unsigned flat, float r)
{
	if (!isfinite(r) || r == auto_model(a, flat))
		return;
	watch_add(a, flat);
	a->ramping[flat] = 1;
	if (!a->override[flat]) {
		a->override[flat] = 1;
		a->shown[flat] = r;
	}
}

/* Prefix of OSC paths: "" and "/" take everything, else a whole-segment
 * prefix ("/ch/1" takes "/ch/1/fader", not "/ch/10/fader"). */
static int auto_under(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);
	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && prefix[0] == '/'))
		return 1;
	return !strncmp(prefix, path, n) && (path[n] == 0 || path[n] == '/');
}

/* Tell the surface that reports lane modes (automation_osc.c) that one
 * changed; nothing is told before one binds. */
static void auto_broadcast_mode(struct automation *a, unsigned flat)
{
	if (a->ev.mode)
		a->ev.mode(a->ev.ctx, (enum param_id)a->fid[flat], a->fi1[flat], a->fi2[flat],
		           a->lanes->lane[flat].mode);
}

/* /master/fade status for every feedback client: started, a second
 * passed, ended or cancelled (0). */
static void auto_fade_status(struct automation *a, float seconds)
{
	if (a->ev.fade)
		a->ev.fade(a->ev.ctx, seconds);
}

/* ---- syncing the model with what the RT thread holds ------------------- */

static void sync_request(struct automation *a, unsigned flat, int how)
{
	auto_wake(a);
	if (!a->sync[flat])
		a->nsync++;
	a->resend[flat] = 0;
	a->sync[flat] = (uint8_t)how;
	a->sync_gen[flat] = 0;
	a->sync_cycle[flat] = autoplay_cycles(a->ap) + 2;
	watch_add(a, flat);
}

static void sync_run(struct automation *a)
{
	if (!a->nsync)
		return;
	unsigned long gen = autoplay_active_gen(a->ap), cyc = autoplay_cycles(a->ap);
	int commit = 0;
	for (unsigned k = 0; k < a->nwatch && a->nsync; k++) {
		unsigned flat = a->watch[k];
		if (a->sync[flat] != SYNC_WAIT || gen < a->sync_gen[flat] || cyc < a->sync_cycle[flat])
			continue;
		a->sync[flat] = SYNC_NONE;
		a->nsync--;
		a->ramping[flat] = 0;
		float r = auto_published(a, flat), mv = auto_model(a, flat);
		if (a->resend[flat]) {
			/* set while the lane still played: it counts from now */
			a->resend[flat] = 0;
			if (r != mv) {
				model_set(a->model, (enum param_id)a->fid[flat], a->fi1[flat], a->fi2[flat],
				          mv, a);
				commit = 1;
			}
		} else if (isfinite(r) && r != mv) {
			model_set(a->model, (enum param_id)a->fid[flat], a->fi1[flat], a->fi2[flat], r, a);
			commit = 1;
		}
	}
	if (commit)
		model_commit(a->model);
}

/* ---- lane sets for the RT thread ---------------------------------------- */

static int auto_in_set(const struct lanes_lane *l)
{
	switch (l->mode) {
	case AUTOPLAY_READ:
		return l->n > 0;
	case AUTOPLAY_WRITE:
	case AUTOPLAY_TOUCH:
	case AUTOPLAY_LATCH:
		return 1;
	default:
		return 0;
	}
}

static struct autoplay_set *auto_build_set(struct automation *a)
{
	unsigned nl = 0;
	size_t np = 0;
	for (unsigned k = 0; k < a->nautom; k++) {
		const struct lanes_lane *l = &a->lanes->lane[a->autom[k]];
		if (auto_in_set(l)) {
			nl++;
			np += l->n;
		}
	}
	struct autoplay_set *s = autoplay_set_new(nl, np);
	if (!s)
		return NULL;
	size_t at = 0;
	unsigned j = 0;
	for (unsigned k = 0; k < a->nautom; k++) { /* autom[] is in flat order */
		unsigned flat = a->autom[k];
		const struct lanes_lane *l = &a->lanes->lane[flat];
		if (!auto_in_set(l))
			continue;
		enum param_id id = (enum param_id)a->fid[flat];
		struct autoplay_lane *al = &s->lane[j++];
		al->flat = flat;
		al->id = a->fid[flat];
		al->i1 = a->fi1[flat];
		al->i2 = a->fi2[flat];
		al->mode = l->mode;
		al->step = (uint8_t)lanes_step(id);
		al->n = l->n;
		al->frame = s->frames + at;
		al->path = s->paths + at;
		for (unsigned i = 0; i < l->n; i++) {
			s->frames[at + i] = l->frame[i];
			s->paths[at + i] = autoplay_to_path(id, l->value[i]);
		}
		at += l->n;
	}
	s->n = nl;
	return s;
}

static void auto_publish(struct automation *a)
{
	struct autoplay_set *s = auto_build_set(a);
	if (!s) {
		log_warn("automation: out of memory for the lanes (retrying)");
		return;
	}
	autoplay_set_free(autoplay_publish(a->ap, s));
	a->set_dirty = 0;
	a->pub_gen = s->gen;
	a->set_writes = 0;
	for (unsigned k = 0; k < s->n; k++)
		a->set_writes |= a->lanes->lane[s->lane[k].flat].mode != AUTOPLAY_READ;
	for (unsigned k = 0; k < s->n; k++)
		if (auto_playable(a, s->lane[k].flat))
			watch_add(a, s->lane[k].flat);
	for (unsigned k = 0; k < a->nwatch && a->nsync; k++) {
		unsigned flat = a->watch[k];
		if (a->sync[flat] == SYNC_PUBLISH) {
			a->sync[flat] = SYNC_WAIT;
			a->sync_gen[flat] = s->gen;
		}
	}
}

/* ---- recording ----------------------------------------------------------- */

static void seg_thin(struct automation *a, unsigned flat)
{
	struct auto_seg *s = &a->seg[flat];
	if (s->n - s->base < 3)
		return;
	unsigned k = lanes_thin((enum param_id)a->fid[flat], s->f + s->base, s->v + s->base, s->n - s->base);
	s->n = s->base + k;
	s->base = s->n - 1; /* kept (an end point): the next batch starts there */
}

static void seg_open(struct automation *a, unsigned flat)
{
	struct auto_seg *s = &a->seg[flat];
	s->n = s->base = 0;
	s->open = 1;
	a->nrec++;
}

static void seg_close(struct automation *a, unsigned flat)
{
	struct auto_seg *s = &a->seg[flat];
	s->open = 0;
	s->n = s->base = 0;
	a->nrec--;
	if (s->cap > 4 * AUTOMATION_THIN_BATCH) { /* a long pass: give the memory back */
		free(s->f);
		free(s->v);
		s->f = NULL;
		s->v = NULL;
		s->cap = 0;
	}
}

/* The pass is over: thin what is left, merge it into the lane. */
static void seg_finish(struct automation *a, unsigned flat)
{
	struct auto_seg *s = &a->seg[flat];
	if (!s->open)
		return;
	seg_thin(a, flat);
	if (s->n) {
		enum param_id id = (enum param_id)a->fid[flat];
		uint32_t gout = lanes_step(id) ? JMX_CHUNK : a->glide;
		if (lanes_merge(a->lanes, flat, s->f, s->v, s->n, JMX_CHUNK, gout) < 0)
			log_warn(
			    "automation: a pass of %u points could not be merged (memory, or more than %u "
			    "points in the lane): dropped",
			    s->n, LANES_MAX_POINTS);
		auto_changed(a);
		a->set_dirty = 1;
	}
	seg_close(a, flat);
}

static void seg_add(struct automation *a, unsigned flat, uint32_t f, float v)
{
	struct auto_seg *s = &a->seg[flat];
	if (!isfinite(v))
		return;
	v = param_clamp((enum param_id)a->fid[flat], v);
	if (s->n && f <= s->f[s->n - 1]) {
		if (f == s->f[s->n - 1]) {
			s->v[s->n - 1] = v;
			return;
		}
		seg_finish(a, flat); /* time went backwards: a new pass */
		seg_open(a, flat);
	}
	if (s->n == s->cap) {
		if (s->cap >= LANES_MAX_POINTS)
			return;
		unsigned cap = s->cap ? 2 * s->cap : 256;
		uint32_t *nf = realloc(s->f, cap * sizeof *nf);
		if (nf)
			s->f = nf;
		float *nv = nf ? realloc(s->v, cap * sizeof *nv) : NULL;
		if (nv)
			s->v = nv;
		if (!nf || !nv) {
			log_warn("automation: out of memory while recording: a point is lost");
			return;
		}
		s->cap = cap;
	}
	s->f[s->n] = f;
	s->v[s->n] = v;
	s->n++;
	if (s->n - s->base >= AUTOMATION_THIN_BATCH)
		seg_thin(a, flat);
}

static void auto_collect(struct automation *a)
{
	struct autoplay_rec r;
	while (autoplay_take(a->ap, &r) == 0) {
		if (r.flat >= a->nflat || !param_automatable((enum param_id)a->fid[r.flat]))
			continue;
		struct auto_seg *s = &a->seg[r.flat];
		switch (r.kind) {
		case AUTOPLAY_REC_START:
			seg_finish(a, r.flat);
			seg_open(a, r.flat);
			seg_add(a, r.flat, r.frame, r.value);
			break;
		case AUTOPLAY_REC_POINT:
			if (!s->open) /* its start was lost to a full ring */
				seg_open(a, r.flat);
			seg_add(a, r.flat, r.frame, r.value);
			break;
		case AUTOPLAY_REC_END:
			if (s->open) {
				seg_add(a, r.flat, r.frame, r.value);
				seg_finish(a, r.flat);
			}
			break;
		default:
			break;
		}
	}
	unsigned long d = autoplay_dropped(a->ap);
	if (d != a->dropped_said) {
		log_warn("automation: %lu recorded value(s) lost (the control thread fell behind)",
		         d - a->dropped_said);
		a->dropped_said = d;
	}
}

/* ---- feedback of moving values ------------------------------------------ */

/* A touch takes the parameter from its lane in touch and latch mode
 * only: in read mode the audio thread plays the lane through any touch
 * (autoplay's lane_want), so the lane is what every surface must show. */
static int auto_held(const struct automation *a, unsigned flat)
{
	unsigned mode = a->lanes->lane[flat].mode;
	return (mode == AUTOPLAY_TOUCH || mode == AUTOPLAY_LATCH) && (a->touch[flat] || a->implicit[flat]);
}

/* Something other than the model may be moving the value: a move in
 * flight, a sync pending, or a lane that plays and is not held. */
static int auto_driven(const struct automation *a, unsigned flat)
{
	return a->ramping[flat] || a->sync[flat] || (auto_playable(a, flat) && !auto_held(a, flat));
}

static void auto_poll(struct automation *a)
{
	struct mixer *m = a->mixer ? a->mixer(a->mctx) : NULL;
	if (!m || mixer_flat_count(m) != a->nflat)
		return;
	for (unsigned k = 0; k < a->nwatch;) {
		unsigned flat = a->watch[k];
		float r = mixer_value_published(m, flat);
		int moved = r != a->seen[flat];
		a->seen[flat] = r;
		int playable = auto_playable(a, flat);
		if (!auto_driven(a, flat)) {
			if (a->override[flat]) {
				a->override[flat] = 0;
				auto_notify(a, flat);
			}
			a->renotify[flat] = 0;
			if (!playable) { /* nothing can drive it: stop looking */
				a->watched[flat] = 0;
				a->watch[k] = a->watch[--a->nwatch];
				continue;
			}
			k++;
			continue;
		}
		if (r == auto_model(a, flat)) {
			if (a->override[flat]) {
				a->override[flat] = 0;
				auto_notify(a, flat);
			}
			if (!a->sync[flat])
				a->ramping[flat] = 0; /* the move has arrived */
		} else if (!a->override[flat] || moved || a->renotify[flat]) {
			a->override[flat] = 1;
			a->shown[flat] = r;
			auto_notify(a, flat);
		}
		a->renotify[flat] = 0;
		k++;
	}
}

/* ---- the model listener ---------------------------------------------------- */

static void auto_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                           int clamped)
{
	struct automation *a = ctx;
	(void)clamped;
	long flat = auto_flat(a, id, i1, i2);
	if (flat < 0)
		return;
	auto_wake(a);         /* a touch, a fade that ends, a lane the hand overrides */
	a->ramping[flat] = 0; /* a ramp sets it again once the model holds it */
	if (origin == a)
		return;
	if (a->recall_fade && origin == a->quiet && param_continuous(id)) {
		/* a faded recall: model_ramp, not yet committed, so the audio
		 * thread is still where the move starts.  Switches are left
		 * out: the recall sets some at once, and they show the model */
		move_watch(a, (unsigned)flat, auto_published(a, (unsigned)flat));
	}
	if (a->sync[flat])
		a->resend[flat] = 1;
	if (id == P_MASTER_FADER && a->fading) {
		a->fading = 0;
		auto_fade_status(a, 0.0f);
	}
	unsigned mode = a->lanes->lane[flat].mode;
	if ((mode == AUTOPLAY_TOUCH || mode == AUTOPLAY_LATCH) && origin != a->quiet && origin &&
	    !a->touch[flat]) {
		/* a surface without touch messages: the change is the touch */
		if (!a->implicit[flat]) {
			autoplay_touch(a->ap, (unsigned)flat, 1);
			a->nimplicit++;
		}
		a->implicit[flat] = control_now_ms() + AUTOMATION_IMPLICIT_MS;
	}
	if (!a->override[flat])
		return;
	if (auto_driven(a, flat))
		a->renotify[flat] = 1; /* a hand on a playing lane: show it the lane again */
	else
		a->override[flat] = 0; /* the value just set is what counts now: no
		                        * surface may be shown the old move meanwhile
		                        * (it would fight the hand that made it) */
}

/* ---- the API --------------------------------------------------------------- */

enum model_result automation_ramp(struct automation *a, enum param_id id, unsigned i1, unsigned i2,
                                  float value, float ms, const void *origin)
{
	ASSERT_ROLE(ROLE_CONTROL);
	long flat = auto_flat(a, id, i1, i2);
	float r = flat >= 0 ? auto_published(a, (unsigned)flat) : NAN;
	enum model_result res = model_ramp(a->model, id, i1, i2, value, ms, origin);
	if (res >= 0 && flat >= 0 && ms > 0.0f)
		move_watch(a, (unsigned)flat, r);
	return res;
}

int automation_stop(struct automation *a, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	long flat = auto_flat(a, id, i1, i2);
	if (flat < 0 || !param_continuous(id))
		return -1;
	if (id == P_MASTER_FADER && a->fading) {
		a->fading = 0;
		auto_fade_status(a, 0.0f);
	}
	if (a->to_rt) { /* harmless when nothing moves: RT_HOLD only stops a ramp */
		struct rt_msg msg = {(uint16_t)id, (uint16_t)i1, (uint16_t)i2, RT_HOLD, 0.0f, 0.0f};
		if (rtq_push(a->to_rt, &msg) == 0) {
			rtq_publish(a->to_rt);
			sync_request(a, (unsigned)flat, SYNC_WAIT);
			return 0;
		}
	}
	/* no queue (or full): stop where the audio thread was last seen */
	float r = auto_published(a, (unsigned)flat);
	if (isfinite(r)) {
		model_set(a->model, id, i1, i2, r, a);
		model_commit(a->model);
	}
	return 0;
}

int automation_fade(struct automation *a, float seconds)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!isfinite(seconds) || seconds < 0.0f || seconds > 3600.0f)
		return -1;
	if (automation_ramp(a, P_MASTER_FADER, 0, 0, JMX_DB_OFF, seconds * 1000.0f, a) < 0)
		return -1;
	model_commit(a->model);
	uint64_t now = control_now_ms();
	a->fading = seconds > 0.0f;
	auto_wake(a);
	a->fade_end = now + (uint64_t)(seconds * 1000.0f);
	a->fade_next = now + 1000;
	auto_fade_status(a, seconds);
	return 0;
}

static int auto_set_mode_flat(struct automation *a, unsigned flat, int mode)
{
	struct lanes_lane *l = &a->lanes->lane[flat];
	if (l->mode == mode)
		return 0;
	int was = auto_playable(a, flat);
	l->mode = (unsigned char)mode;
	if (was && !auto_playable(a, flat))
		sync_request(a, flat, SYNC_PUBLISH);
	if (mode != AUTOPLAY_TOUCH && mode != AUTOPLAY_LATCH)
		implicit_end(a, flat);
	auto_changed(a);
	a->set_dirty = 1;
	auto_wake(a);
	return 1;
}

int automation_set_mode(struct automation *a, enum param_id id, unsigned i1, unsigned i2, int mode)
{
	ASSERT_ROLE(ROLE_CONTROL);
	long flat = auto_flat(a, id, i1, i2);
	if (flat < 0 || mode < 0 || mode >= AUTOPLAY_MODES)
		return -1;
	if (auto_set_mode_flat(a, (unsigned)flat, mode))
		auto_broadcast_mode(a, (unsigned)flat);
	return 0;
}

unsigned automation_set_mode_all(struct automation *a, const char *prefix, int mode)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char base[LANES_PATH_MAX];
	unsigned n = 0;
	if (mode < 0 || mode >= AUTOPLAY_MODES)
		return 0;
	for (unsigned k = 0; k < a->nautom; k++) {
		unsigned flat = a->autom[k];
		lanes_base_path((enum param_id)a->fid[flat], a->fi1[flat], a->fi2[flat], base, sizeof base);
		if (auto_under(prefix, base))
			n += (unsigned)auto_set_mode_flat(a, flat, mode);
	}
	return n;
}

unsigned automation_clear(struct automation *a, const char *prefix)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char base[LANES_PATH_MAX];
	unsigned n = 0;
	for (unsigned k = 0; k < a->nautom; k++) {
		unsigned flat = a->autom[k];
		if (!a->lanes->lane[flat].n)
			continue;
		lanes_base_path((enum param_id)a->fid[flat], a->fi1[flat], a->fi2[flat], base, sizeof base);
		if (!auto_under(prefix, base))
			continue;
		if (auto_playable(a, flat))
			sync_request(a, flat, SYNC_PUBLISH);
		lanes_clear_points(a->lanes, flat);
		n++;
	}
	if (n) {
		auto_changed(a);
		a->set_dirty = 1;
		auto_wake(a);
	}
	return n;
}

int automation_touch(struct automation *a, enum param_id id, unsigned i1, unsigned i2, int on)
{
	ASSERT_ROLE(ROLE_CONTROL);
	long flat = auto_flat(a, id, i1, i2);
	if (flat < 0)
		return -1;
	a->touch[flat] = on != 0;
	auto_wake(a);
	implicit_end(a, (unsigned)flat);
	autoplay_touch(a->ap, (unsigned)flat, on);
	return 0;
}

float automation_value(struct automation *a, enum param_id id, unsigned i1, unsigned i2, float model_value)
{
	ASSERT_ROLE(ROLE_CONTROL);
	long flat = auto_flat(a, id, i1, i2);
	return flat >= 0 && a->override[flat] ? a->shown[flat] : model_value;
}

int automation_mode(struct automation *a, enum param_id id, unsigned i1, unsigned i2, unsigned *points)
{
	ASSERT_ROLE(ROLE_CONTROL);
	long flat = auto_flat(a, id, i1, i2);
	if (flat < 0)
		return -1;
	if (points)
		*points = a->lanes->lane[flat].n;
	return a->lanes->lane[flat].mode;
}

int automation_touched(struct automation *a, enum param_id id, unsigned i1, unsigned i2)
{
	ASSERT_ROLE(ROLE_CONTROL);
	long flat = auto_flat(a, id, i1, i2);
	return flat >= 0 && (a->touch[flat] || a->implicit[flat]);
}

void automation_status(struct automation *a, struct automation_status *st)
{
	ASSERT_ROLE(ROLE_CONTROL);
	memset(st, 0, sizeof *st);
	for (unsigned k = 0; k < a->nautom; k++) {
		const struct lanes_lane *l = &a->lanes->lane[a->autom[k]];
		if (l->mode || l->n) {
			st->lanes++;
			st->points += l->n;
		}
	}
	autoplay_transport(a->ap, &st->frame, &st->rolling);
	st->recording = a->nrec;
	st->dropped = autoplay_dropped(a->ap);
}

float automation_fade_left(const struct automation *a, uint64_t now_ms)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return a->fading && now_ms < a->fade_end ? (float)(a->fade_end - now_ms) / 1000.0f : 0.0f;
}

void automation_set_events(struct automation *a, const struct automation_events *ev)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (ev)
		a->ev = *ev;
	else
		memset(&a->ev, 0, sizeof a->ev);
}

void automation_set_quiet_origin(struct automation *a, const void *origin)
{
	ASSERT_ROLE(ROLE_CONTROL);
	a->quiet = origin;
}

void automation_recall_fade(struct automation *a, int on)
{
	ASSERT_ROLE(ROLE_CONTROL);
	a->recall_fade = on != 0;
}

int automation_add_watcher(struct automation *a, automation_watch_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (a->nwatchers >= AUTOMATION_WATCHERS)
		return -1;
	a->watcher[a->nwatchers].fn = fn;
	a->watcher[a->nwatchers].ctx = ctx;
	a->nwatchers++;
	return 0;
}

struct autoplay *automation_autoplay(struct automation *a)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return a->ap;
}

const struct lanes *automation_lanes(struct automation *a)
{
	ASSERT_ROLE(ROLE_CONTROL);
	a->lanes->rate = a->rate;
	return a->lanes;
}

unsigned long automation_generation(const struct automation *a)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return a->generation;
}

void automation_load(struct automation *a, const struct lanes *from, int recall)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct lanes *tmp = NULL;
	if (from->nflat != a->nflat)
		return;
	if (from->rate > 0 && from->rate != a->rate) {
		tmp = lanes_new(&from->shape);
		if (tmp) {
			for (unsigned f = 0; f < from->nflat; f++)
				lanes_copy_lane(tmp, f, from);
			tmp->rate = from->rate;
			lanes_rescale(tmp, a->rate);
			from = tmp;
			log_info("automation: lanes recorded at %.0f Hz rescaled to %.0f Hz", tmp->rate,
			         a->rate);
		}
	}
	for (unsigned k = 0; k < a->nautom; k++) {
		unsigned flat = a->autom[k];
		enum param_id id = (enum param_id)a->fid[flat];
		enum param_scope sc = param_table[id].scope;
		if (recall &&
		    (sc == SC_CH || sc == SC_CH_BAND || sc == SC_CH_BUS || sc == SC_CH_DCA ||
		     sc == SC_CH_MGRP) &&
		    model_get(a->model, P_CH_SAFE, a->fi1[flat], 0) >= 0.5f)
			continue;
		if (a->seg[flat].open) /* a pass in progress belongs to the old lanes */
			seg_close(a, flat);
		int was = auto_playable(a, flat);
		if (lanes_copy_lane(a->lanes, flat, from) < 0)
			log_warn("automation: out of memory loading a lane");
		if (was && !auto_playable(a, flat))
			sync_request(a, flat, SYNC_PUBLISH);
		unsigned mode = a->lanes->lane[flat].mode;
		if (mode != AUTOPLAY_TOUCH && mode != AUTOPLAY_LATCH)
			implicit_end(a, flat);
	}
	lanes_free(tmp);
	auto_changed(a);
	a->set_dirty = 1;
	auto_publish(a); /* now, so a state loaded before activation plays from the first period */
	auto_wake(a);
}

/* ---- the timer ------------------------------------------------------------- */

void automation_tick(struct automation *a, uint64_t now)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct autoplay_set *old;
	while ((old = autoplay_reclaim(a->ap)))
		autoplay_set_free(old);
	auto_collect(a);
	for (unsigned k = 0; k < a->nautom && a->nimplicit; k++) {
		unsigned flat = a->autom[k];
		if (a->implicit[flat] && now >= a->implicit[flat])
			implicit_end(a, flat);
	}
	if (a->set_dirty)
		auto_publish(a);
	sync_run(a);
	auto_poll(a);
	if (a->fading) {
		long flat = auto_flat(a, P_MASTER_FADER, 0, 0);
		if (now >= a->fade_end && (flat < 0 || !a->ramping[flat])) {
			a->fading = 0;
			auto_fade_status(a, 0.0f);
		} else if (now >= a->fade_next) {
			a->fade_next += 1000;
			auto_fade_status(a, now < a->fade_end ? (float)(a->fade_end - now) / 1000.0f : 0.0f);
		}
	}
	/* nothing moves, records, waits for the audio thread or is due:
	 * sleep until a change, a move, a touch or a lane wakes the tick */
	if (!a->set_dirty && !a->nsync && !a->nwatch && !a->nimplicit && !a->nrec && !a->fading &&
	    !a->set_writes && autoplay_active_gen(a->ap) == a->pub_gen)
		control_timer_sleep(a->ctl, a->timer);
}

void automation_on_changed(struct automation *a, void (*fn)(void *ctx), void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	a->changed = fn;
	a->changed_ctx = ctx;
}

static void auto_tick_cb(void *ctx, uint64_t now)
{
	automation_tick(ctx, now);
}

/* ---- life cycle ------------------------------------------------------------ */

struct automation *automation_new(const struct automation_config *cfg)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct automation *a = calloc(1, sizeof *a);
	if (!a) {
		log_err("out of memory");
		return NULL;
	}
	a->model = cfg->model;
	a->to_rt = cfg->to_rt;
	a->ctl = cfg->ctl;
	a->mixer = cfg->mixer;
	a->mctx = cfg->ctx;
	a->rate = cfg->rate > 0 ? cfg->rate : 48000.0;
	double g = AUTOPLAY_GLIDE_MS * 0.001 * a->rate;
	a->glide = g < JMX_CHUNK ? JMX_CHUNK : (uint32_t)g;
	a->lanes = lanes_new(model_shape(cfg->model));
	if (!a->lanes)
		goto oom;
	a->lanes->rate = a->rate;
	a->nflat = a->lanes->nflat;
	size_t n = a->nflat ? a->nflat : 1;
	a->ap = autoplay_new(a->nflat, a->rate);
	a->fid = calloc(n, sizeof *a->fid);
	a->fi1 = calloc(n, sizeof *a->fi1);
	a->fi2 = calloc(n, sizeof *a->fi2);
	a->autom = calloc(n, sizeof *a->autom);
	a->seg = calloc(n, sizeof *a->seg);
	a->touch = calloc(n, 1);
	a->implicit = calloc(n, sizeof *a->implicit);
	a->override = calloc(n, 1);
	a->ramping = calloc(n, 1);
	a->renotify = calloc(n, 1);
	a->shown = calloc(n, sizeof *a->shown);
	a->seen = calloc(n, sizeof *a->seen);
	a->watched = calloc(n, 1);
	a->watch = calloc(n, sizeof *a->watch);
	a->sync = calloc(n, 1);
	a->resend = calloc(n, 1);
	a->sync_gen = calloc(n, sizeof *a->sync_gen);
	a->sync_cycle = calloc(n, sizeof *a->sync_cycle);
	if (!a->ap || !a->fid || !a->fi1 || !a->fi2 || !a->autom || !a->seg || !a->touch || !a->implicit ||
	    !a->override || !a->ramping || !a->renotify || !a->shown || !a->seen || !a->watched ||
	    !a->watch || !a->sync || !a->resend || !a->sync_gen || !a->sync_cycle)
		goto oom;
	for (unsigned f = 0; f < a->nflat; f++) {
		enum param_id id;
		unsigned i1, i2;
		lanes_unflat(a->lanes, f, &id, &i1, &i2);
		a->fid[f] = (uint16_t)id;
		a->fi1[f] = (uint16_t)i1;
		a->fi2[f] = (uint16_t)i2;
		if (param_automatable(id))
			a->autom[a->nautom++] = f;
	}
	if (model_add_listener(cfg->model, auto_on_change, a) < 0) {
		log_err("automation: cannot listen to the model");
		automation_free(a);
		return NULL;
	}
	a->timer = -1;
	if (cfg->ctl && (a->timer = control_add_timer(cfg->ctl, AUTOMATION_TICK_MS, auto_tick_cb, a)) < 0) {
		log_err("automation: too many timers");
		automation_free(a);
		return NULL;
	}
	auto_publish(a); /* an empty set: the RT thread always has one */
	return a;
oom:
	log_err("out of memory");
	automation_free(a);
	return NULL;
}

void automation_free(struct automation *a)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!a)
		return;
	for (unsigned f = 0; a->seg && f < a->nflat; f++) {
		free(a->seg[f].f);
		free(a->seg[f].v);
	}
	autoplay_free(a->ap);
	lanes_free(a->lanes);
	free(a->fid);
	free(a->fi1);
	free(a->fi2);
	free(a->autom);
	free(a->seg);
	free(a->touch);
	free(a->implicit);
	free(a->override);
	free(a->ramping);
	free(a->renotify);
	free(a->shown);
	free(a->seen);
	free(a->watched);
	free(a->watch);
	free(a->sync);
	free(a->resend);
	free(a->sync_gen);
	free(a->sync_cycle);
	free(a);
}
