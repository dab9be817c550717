/*
 * sim.c - the console in-process on a simulated clock and transport; see
 * sim.h.
 *
 * Threads: the test's one thread plays both roles, in turn: the control
 * thread (OSC dispatch, the timers, the model) between periods and the
 * RT thread (rtcycle_run) for a period.  The hand-over between them is
 * the real one (the SPSC queue, autoplay's mailbox, the recorder's
 * ring), so the order of events is what the daemon's is, minus the
 * scheduler.
 *
 * Invariants: the wiring is main.c's (console_start): the model on the
 * engine's queue, automation on the model with the session's quiet
 * origin and lanes hooks, OSC with the session's and automation's
 * commands, a 10 ms housekeeping commit; what main.c does with JACK
 * (ports, connections, the reconnect timer, MIDI) is not here.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH, mkdtemp */
#include "sim.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsp.h"

static uint64_t sim_clock(void *ctx)
{
	return ((struct sim *)ctx)->now;
}

uint64_t sim_frames(const struct sim *s)
{
	return atomic_load_explicit((atomic_ullong *)&s->frames, memory_order_relaxed);
}

/* Whole milliseconds of frames rendered: the clock the daemon's control
 * thread would read at the end of the last period. */
uint64_t sim_now_ms(const struct sim *s)
{
	return SIM_START_MS + sim_frames(s) * 1000u / s->cfg.rate;
}

static struct mixer *sim_mixer(void *ctx)
{
	return ((struct sim *)ctx)->mixer;
}

static const struct lanes *sim_lanes_get(void *ctx)
{
	return automation_lanes(ctx);
}

static void sim_lanes_load(void *ctx, const struct lanes *from, int recall)
{
	automation_load(ctx, from, recall);
}

static unsigned long sim_lanes_gen(void *ctx)
{
	return automation_generation(ctx);
}

static void sim_recall_fade(void *ctx, int on)
{
	automation_recall_fade(ctx, on);
}

static unsigned sim_host_rate(void *ctx)
{
	return ((struct sim *)ctx)->cfg.rate;
}

static unsigned sim_host_period(void *ctx)
{
	return ((struct sim *)ctx)->cfg.period;
}

static int sim_host_meter(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	return mixer_meter_take(((struct sim *)ctx)->mixer, id, idx, out);
}

static void sim_housekeeping(void *ctx, uint64_t now)
{
	struct sim *s = ctx;
	(void)now;
	model_commit(s->model); /* main.c's on_housekeeping, asleep as there */
	if (!model_pending(s->model))
		control_timer_sleep(s->ctl, s->hk_timer);
}

static void sim_on_change(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                          int clamped)
{
	struct sim *s = ctx;
	(void)id, (void)i1, (void)i2, (void)origin, (void)clamped;
	control_timer_wake(s->ctl, s->hk_timer);
}

static void sim_lanes_changed(void *ctx)
{
	session_changed(ctx);
}

/* Every datagram the console sends, decoded for the test. */
static void sim_sent(void *ctx, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	struct sim *s = ctx;
	(void)to;
	(void)tolen;
	if (s->nmsg >= SIM_MAX_REPLIES)
		return;
	int res = 0;
	lo_message m = lo_message_deserialise((void *)buf, len, &res);
	if (!m)
		return; /* bundles of feedback are not decoded here */
	struct sim_msg *o = &s->msg[s->nmsg++];
	memset(o, 0, sizeof *o);
	snprintf(o->path, sizeof o->path, "%.127s", (const char *)buf);
	snprintf(o->types, sizeof o->types, "%s", lo_message_get_types(m));
	lo_arg **argv = lo_message_get_argv(m);
	o->argc = lo_message_get_argc(m);
	o->at = sim_frames(s);
	int nn = 0, ns = 0;
	for (int k = 0; k < o->argc && o->types[k]; k++) {
		switch (o->types[k]) {
		case 'f':
			if (nn < (int)SIM_MSG_NUMS)
				o->num[nn++] = argv[k]->f;
			break;
		case 'i':
			if (nn < (int)SIM_MSG_NUMS)
				o->num[nn++] = argv[k]->i;
			break;
		case 'h':
			if (nn < (int)SIM_MSG_NUMS)
				o->num[nn++] = (double)argv[k]->h;
			break;
		case 's':
			if (ns < 2)
				snprintf(o->str[ns++], sizeof o->str[0], "%.127s", &argv[k]->s);
			break;
		}
	}
	lo_message_free(m);
}

struct sim *sim_new(const struct sim_config *cfg)
{
	struct sim *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cfg = *cfg;
	snprintf(s->dir, sizeof s->dir, "/tmp/jmx-sim-XXXXXX");
	if (!mkdtemp(s->dir)) {
		perror("sim: mkdtemp");
		free(s);
		return NULL;
	}
	s->now = SIM_START_MS;
	control_set_clock(sim_clock, s);
	struct param_shape shape = {cfg->mono + cfg->stereo, cfg->buses};
	struct mixer_config mc = {cfg->mono, cfg->stereo, cfg->buses, (double)cfg->rate,
	                          cfg->talkback ? 1u : 0u};
	s->ctl = control_new();
	s->mixer = mixer_new(&mc);
	if (!s->ctl || !s->mixer || rtq_init(&s->queue, 16384, sizeof(struct rt_msg)) < 0 ||
	    (cfg->stems && mixer_tap_new(s->mixer) < 0))
		goto fail;
	s->lanes = mixer_lanes(s->mixer);
	s->outputs = mixer_outputs(s->mixer);
	s->inputs = mixer_inputs(s->mixer);
	s->model = model_new(&shape, &s->queue);
	struct session_config sc = {NULL, s->dir, 0};
	s->session = s->model ? session_new(&sc, s->ctl, s->model, NULL) : NULL;
	if (!s->session)
		goto fail;
	struct automation_config ac = {s->model, &s->queue, s->ctl, (double)cfg->rate, sim_mixer, s};
	s->autom = automation_new(&ac);
	if (!s->autom)
		goto fail;
	struct session_lanes sl = {s->autom, sim_lanes_get, sim_lanes_load, sim_lanes_gen, sim_recall_fade};
	session_set_lanes(s->session, &sl);
	automation_set_quiet_origin(s->autom, s->session); /* a recall is not a touch */
	automation_on_changed(s->autom, sim_lanes_changed, s->session);
	struct osc_net_config oc;
	osc_net_config_init(&oc);
	oc.no_socket = 1;
	oc.feedback_port = 0;
	struct osc_host host = {"jmx-sim", "sim", s, sim_host_rate, sim_host_period, sim_host_meter, NULL};
	s->osc = osc_new(&host, s->model, s->ctl);
	s->net = s->osc ? osc_net_new(s->osc, &oc, s->ctl) : NULL;
	if (!s->net)
		goto fail;
	osc_net_set_send_hook(s->net, sim_sent, s);
	s->session_osc = session_osc_new(s->session, s->osc);
	s->autom_osc = automation_osc_new(s->autom, s->osc);
	s->curve_osc = curve_osc_new(s->model, s->osc, sim_host_rate, s);
	if (!s->session_osc || !s->autom_osc || !s->curve_osc ||
	    (s->hk_timer = control_add_timer(s->ctl, 10, sim_housekeeping, s)) < 0 ||
	    model_add_listener(s->model, sim_on_change, s) < 0)
		goto fail;
	if (cfg->ring_frames) {
		if (recring_wide_new(&s->ring, cfg->ring_frames, cfg->stems ? s->lanes : 0, cfg->period) < 0)
			goto fail;
		s->have_ring = 1;
	}
	s->msg = calloc(SIM_MAX_REPLIES, sizeof *s->msg);
	s->in = calloc(s->inputs, sizeof *s->in);
	s->out = calloc(s->outputs, sizeof *s->out);
	s->cap = calloc(s->outputs, sizeof *s->cap);
	if (!s->msg || !s->in || !s->out || !s->cap)
		goto fail;
	for (unsigned i = 0; i < s->inputs; i++)
		if (!(s->in[i] = calloc(cfg->period, sizeof(float))))
			goto fail;
	for (unsigned i = 0; i < s->outputs; i++)
		if (!(s->out[i] = calloc(cfg->period, sizeof(float))))
			goto fail;
	s->rc = (struct rtcycle){s->mixer,
	                         &s->queue,
	                         automation_autoplay(s->autom),
	                         s->have_ring ? &s->ring : NULL,
	                         cfg->stems && s->have_ring,
	                         &s->frames,
	                         &s->cycles,
	                         NULL};
	s->client.sin_family = AF_INET;
	s->client.sin_port = htons(50000);
	s->client.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	model_commit(s->model); /* as main.c: in the queue before the first period */
	return s;
fail:
	fprintf(stderr, "sim: cannot build the console\n");
	sim_free(s);
	return NULL;
}

static int sim_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	/* the order of main.c's shutdown: session, OSC, automation, model */
	automation_osc_free(s->autom_osc);
	playback_osc_free(s->pb_osc);
	playback_free(s->pb);
	session_osc_free(s->session_osc);
	curve_osc_free(s->curve_osc);
	session_free(s->session);
	osc_net_free(s->net);
	osc_free(s->osc);
	automation_free(s->autom);
	model_free(s->model);
	mixer_free(s->mixer);
	if (s->queue.buf)
		rtq_destroy(&s->queue);
	if (s->have_ring)
		recring_free(&s->ring);
	control_free(s->ctl);
	control_set_clock(NULL, NULL);
	for (unsigned i = 0; s->in && i < s->inputs; i++)
		free(s->in[i]);
	for (unsigned i = 0; s->out && i < s->outputs; i++)
		free(s->out[i]);
	for (unsigned i = 0; s->cap && i < s->outputs; i++)
		free(s->cap[i]);
	free(s->in);
	free(s->out);
	free(s->cap);
	free(s->cap_tf);
	free(s->cap_roll);
	free(s->msg);
	nftw(s->dir, sim_rm, 8, FTW_DEPTH | FTW_PHYS);
	free(s);
}

int sim_playback(struct sim *s, uint32_t blocks)
{
	struct playback_config pc = {s->dir, s->cfg.rate, s->cfg.mono, s->cfg.stereo, blocks};
	if (!(s->pb = playback_new(&pc)) || !(s->pb_osc = playback_osc_new(s->pb, s->osc)))
		return -1;
	s->rc.pb = playback_ring(s->pb);
	return 0;
}

void sim_set_source(struct sim *s, sim_source_fn fn, void *ctx)
{
	s->source = fn;
	s->source_ctx = ctx;
}

void sim_roll(struct sim *s, int rolling)
{
	s->rolling = rolling != 0;
}

void sim_locate(struct sim *s, uint32_t frame)
{
	s->tframe = frame;
}

void sim_capture(struct sim *s, unsigned max)
{
	for (unsigned o = 0; o < s->outputs; o++) {
		free(s->cap[o]);
		s->cap[o] = calloc(max, sizeof(float));
	}
	free(s->cap_tf);
	free(s->cap_roll);
	s->cap_tf = calloc(max, sizeof *s->cap_tf);
	s->cap_roll = calloc(max, 1);
	s->cap_n = 0;
	s->cap_max = max;
	if (!s->cap_tf || !s->cap_roll || (s->outputs && !s->cap[0])) {
		fprintf(stderr, "sim: out of memory for a capture of %u frames\n", max);
		exit(1);
	}
}

/* One period: the RT thread's turn, then the control thread's. */
static void sim_period(struct sim *s)
{
	unsigned n = s->cfg.period;
	uint64_t at = sim_frames(s);
	for (unsigned i = 0; i < s->inputs; i++) {
		if (s->source)
			s->source(s->source_ctx, i, at, s->in[i], n);
		else
			memset(s->in[i], 0, n * sizeof(float));
	}
	struct rtcycle_transport tr = {s->tframe, s->rolling, s->freewheel, s->bpm};
	rtcycle_run(&s->rc, (const float *const *)s->in, s->out, n, &tr);
	for (unsigned i = 0; i < n && s->cap_n < s->cap_max; i++, s->cap_n++) {
		for (unsigned o = 0; o < s->outputs; o++)
			s->cap[o][s->cap_n] = s->out[o][i];
		s->cap_tf[s->cap_n] = s->rolling ? s->tframe + i : s->tframe;
		s->cap_roll[s->cap_n] = (uint8_t)s->rolling;
	}
	if (s->rolling)
		s->tframe += n;
	/* the control loop meanwhile: every millisecond up to the end of
	 * the period, so each timer runs when it is due (the daemon's loop
	 * sleeps in poll until the next deadline), not only on period
	 * boundaries */
	for (uint64_t end = sim_now_ms(s); s->now < end;) {
		s->now++;
		control_run_due(s->ctl, s->now);
	}
}

unsigned sim_run(struct sim *s, unsigned frames)
{
	unsigned done = 0;
	while (done < frames) {
		sim_period(s);
		done += s->cfg.period;
	}
	return done;
}

static int sim_dispatch(struct sim *s, void *d, size_t len)
{
	int r = d ? osc_net_dispatch(s->net, d, len, (const struct sockaddr *)&s->client, sizeof s->client,
	                             sim_now_ms(s))
	          : -1;
	free(d);
	return r;
}

int sim_osc_msg(struct sim *s, const char *path, lo_message m)
{
	size_t len = 0;
	void *d = lo_message_serialise(m, path, NULL, &len);
	lo_message_free(m);
	return sim_dispatch(s, d, len);
}

int sim_osc_bundle(struct sim *s, lo_bundle b)
{
	size_t len = 0;
	void *d = lo_bundle_serialise(b, NULL, &len);
	return sim_dispatch(s, d, len);
}

int sim_osc_f(struct sim *s, const char *path, float v)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	return sim_osc_msg(s, path, m);
}

int sim_osc_ff(struct sim *s, const char *path, float v, float w)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	lo_message_add_float(m, w);
	return sim_osc_msg(s, path, m);
}

int sim_osc_i(struct sim *s, const char *path, int v)
{
	lo_message m = lo_message_new();
	lo_message_add_int32(m, v);
	return sim_osc_msg(s, path, m);
}

int sim_osc_s(struct sim *s, const char *path, const char *v)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, v);
	return sim_osc_msg(s, path, m);
}

int sim_osc_sf(struct sim *s, const char *path, const char *v, float w)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, v);
	lo_message_add_float(m, w);
	return sim_osc_msg(s, path, m);
}

int sim_osc_0(struct sim *s, const char *path)
{
	return sim_osc_msg(s, path, lo_message_new());
}

const struct sim_msg *sim_last(const struct sim *s, const char *path, unsigned from)
{
	for (unsigned i = s->nmsg; i-- > from;)
		if (!strcmp(s->msg[i].path, path))
			return &s->msg[i];
	return NULL;
}

void sim_msgs_clear(struct sim *s)
{
	s->nmsg = 0;
}

const struct sim_msg *sim_query(struct sim *s, const char *path)
{
	unsigned from = s->nmsg;
	sim_osc_0(s, path);
	return sim_last(s, path, from);
}
