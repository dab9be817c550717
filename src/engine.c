/*
 * engine.c - JACK glue; see engine.h.
 *
 * Threads: the process callback (engine_process) is the RT entry point.  It
 * touches only preallocated memory: it pops rt_msg records from the SPSC
 * queue, hands them to mixer_apply, fetches port buffers and calls
 * mixer_process.  Everything else runs on the control thread, or on JACK's
 * notification threads where it only updates atomics and posts a byte to
 * the control loop.
 *
 * Invariants: the mixer and every buffer the RT thread uses exist before
 * jack_activate and outlive jack_deactivate.
 */
#include "engine.h"

#include <errno.h>
#include <fnmatch.h>
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dsp.h"
#include "log.h"
#include "recring.h"

#define ENGINE_QUEUE_RECORDS 16384u

struct engine {
	jack_client_t *client;
	struct control *ctl;
	struct mixer *mixer;
	struct rtq queue;
	unsigned lanes, outputs;
	jack_port_t **in_ports;
	jack_port_t **out_ports;
	const float **in_buf;  /* RT scratch: port buffers of this cycle */
	float **out_buf;
	unsigned rate;
	atomic_uint period;
	atomic_uint xruns;
	atomic_ulong cycles;
	atomic_int active;
	unsigned xruns_reported;
	atomic_uint graph_gen; /* ports (un)registered, connections made or broken */
	unsigned mono, stereo, buses;
	char server[64];
	struct recring *rec; /* master frames to the recorder, or NULL; set before activation */
};

static int engine_process(jack_nframes_t nframes, void *arg)
{
	struct engine *e = arg;
	struct rt_msg msg;

	dsp_denormals_off();
	while (rtq_pop(&e->queue, &msg) == 0)
		mixer_apply(e->mixer, &msg);
	for (unsigned i = 0; i < e->lanes; i++)
		e->in_buf[i] = jack_port_get_buffer(e->in_ports[i], nframes);
	for (unsigned i = 0; i < e->outputs; i++)
		e->out_buf[i] = jack_port_get_buffer(e->out_ports[i], nframes);
	if (nframes > JMX_MAX_FRAMES) {
		/* larger than we promise to render: output silence, never read past scratch */
		for (unsigned i = 0; i < e->outputs; i++)
			memset(e->out_buf[i], 0, nframes * sizeof(float));
	} else {
		mixer_process(e->mixer, e->in_buf, e->out_buf, nframes);
	}
	/* whole periods or nothing; a period that does not fit is counted
	 * and becomes silence in the file, never a wait */
	if (e->rec)
		recring_push(e->rec, e->out_buf[0], e->out_buf[1], nframes);
	atomic_fetch_add_explicit(&e->cycles, 1, memory_order_relaxed);
	return 0;
}

static int engine_xrun(void *arg)
{
	struct engine *e = arg;
	atomic_fetch_add_explicit(&e->xruns, 1, memory_order_relaxed);
	return 0;
}

static int engine_bufsize(jack_nframes_t n, void *arg)
{
	struct engine *e = arg;
	atomic_store(&e->period, n);
	return 0;
}

/* JACK notification thread: only count; the control thread looks. */
static void engine_port_registered(jack_port_id_t port, int reg, void *arg)
{
	struct engine *e = arg;
	(void)port;
	(void)reg;
	atomic_fetch_add_explicit(&e->graph_gen, 1, memory_order_release);
}

static void engine_port_connected(jack_port_id_t a, jack_port_id_t b, int connect, void *arg)
{
	struct engine *e = arg;
	(void)a;
	(void)b;
	(void)connect;
	atomic_fetch_add_explicit(&e->graph_gen, 1, memory_order_release);
}

static void engine_shutdown(jack_status_t code, const char *reason, void *arg)
{
	struct engine *e = arg;
	(void)code;
	(void)reason;
	atomic_store(&e->active, 0);
	control_post(e->ctl, CTL_EV_SHUTDOWN);
}

/* Output ports 0..3 (master, monitor) carry the limiter's delay; the aux
 * bus outputs add none. */
static jack_nframes_t engine_port_delay(struct engine *e, unsigned out_index)
{
	return out_index < 4 ? mixer_latency(e->mixer) : 0;
}

static void engine_latency(jack_latency_callback_mode_t mode, void *arg)
{
	struct engine *e = arg;
	jack_latency_range_t r, in_r = { UINT32_MAX, 0 };

	if (mode == JackCaptureLatency) {
		for (unsigned i = 0; i < e->lanes; i++) {
			jack_port_get_latency_range(e->in_ports[i], JackCaptureLatency, &r);
			if (r.min < in_r.min)
				in_r.min = r.min;
			if (r.max > in_r.max)
				in_r.max = r.max;
		}
		if (in_r.min == UINT32_MAX)
			in_r.min = 0;
		for (unsigned o = 0; o < e->outputs; o++) {
			jack_nframes_t d = engine_port_delay(e, o);
			r.min = in_r.min + d;
			r.max = in_r.max + d;
			jack_port_set_latency_range(e->out_ports[o], JackCaptureLatency, &r);
		}
	} else {
		jack_latency_range_t out_r = { UINT32_MAX, 0 };
		for (unsigned o = 0; o < e->outputs; o++) {
			jack_nframes_t d = engine_port_delay(e, o);
			jack_port_get_latency_range(e->out_ports[o], JackPlaybackLatency, &r);
			if (r.min + d < out_r.min)
				out_r.min = r.min + d;
			if (r.max + d > out_r.max)
				out_r.max = r.max + d;
		}
		if (out_r.min == UINT32_MAX)
			out_r.min = 0;
		for (unsigned i = 0; i < e->lanes; i++)
			jack_port_set_latency_range(e->in_ports[i], JackPlaybackLatency, &out_r);
	}
}

static jack_port_t *engine_register(struct engine *e, const char *name, int output)
{
	jack_port_t *p = jack_port_register(e->client, name, JACK_DEFAULT_AUDIO_TYPE,
	                                    output ? JackPortIsOutput : JackPortIsInput, 0);
	if (!p)
		log_err("JACK refused to register port %s:%s", jack_get_client_name(e->client), name);
	return p;
}

static int engine_register_ports(struct engine *e, const struct engine_config *cfg)
{
	char name[64];
	unsigned lane = 0, o = 0;

	for (unsigned c = 0; c < cfg->mono + cfg->stereo; c++) {
		if (c < cfg->mono) {
			snprintf(name, sizeof name, "in_%u", c + 1);
			if (!(e->in_ports[lane++] = engine_register(e, name, 0)))
				return -1;
		} else {
			snprintf(name, sizeof name, "in_%u_L", c + 1);
			if (!(e->in_ports[lane++] = engine_register(e, name, 0)))
				return -1;
			snprintf(name, sizeof name, "in_%u_R", c + 1);
			if (!(e->in_ports[lane++] = engine_register(e, name, 0)))
				return -1;
		}
	}
	static const char *const fixed[] = { "master_L", "master_R", "mon_L", "mon_R" };
	for (unsigned i = 0; i < 4; i++)
		if (!(e->out_ports[o++] = engine_register(e, fixed[i], 1)))
			return -1;
	for (unsigned b = 0; b < cfg->buses; b++) {
		snprintf(name, sizeof name, "bus_%u_L", b + 1);
		if (!(e->out_ports[o++] = engine_register(e, name, 1)))
			return -1;
		snprintf(name, sizeof name, "bus_%u_R", b + 1);
		if (!(e->out_ports[o++] = engine_register(e, name, 1)))
			return -1;
	}
	return 0;
}

static int engine_client_open(struct engine *e, const char *name, const char *server)
{
	jack_status_t status = 0;
	jack_options_t opts = JackNoStartServer | JackUseExactName;
	if (server)
		opts |= JackServerName;
	e->client = server ? jack_client_open(name, opts, &status, server) : jack_client_open(name, opts, &status);
	if (!e->client) {
		if (status & JackNameNotUnique)
			log_err("JACK client name '%s' is already in use (choose another with --name)", name);
		else if (status & JackServerFailed)
			log_err("cannot connect to JACK server '%s': is jackd running? (status 0x%x)",
			        server ? server : "default", (unsigned)status);
		else
			log_err("cannot open JACK client '%s' (status 0x%x)", name, (unsigned)status);
		return -1;
	}
	return 0;
}

/* Ports and callbacks of a freshly opened client (before activation). */
static int engine_client_setup(struct engine *e)
{
	struct engine_config cfg = { NULL, NULL, e->mono, e->stereo, e->buses };
	if (engine_register_ports(e, &cfg) < 0)
		return -1;
	if (jack_set_process_callback(e->client, engine_process, e) ||
	    jack_set_xrun_callback(e->client, engine_xrun, e) ||
	    jack_set_buffer_size_callback(e->client, engine_bufsize, e) ||
	    jack_set_latency_callback(e->client, engine_latency, e) ||
	    jack_set_port_registration_callback(e->client, engine_port_registered, e) ||
	    jack_set_port_connect_callback(e->client, engine_port_connected, e)) {
		log_err("cannot set JACK callbacks");
		return -1;
	}
	jack_on_info_shutdown(e->client, engine_shutdown, e);
	return 0;
}

struct engine *engine_open(const struct engine_config *cfg, struct control *ctl)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e) {
		log_err("out of memory");
		return NULL;
	}
	e->ctl = ctl;
	e->mono = cfg->mono;
	e->stereo = cfg->stereo;
	e->buses = cfg->buses;
	if (cfg->server)
		snprintf(e->server, sizeof e->server, "%s", cfg->server);
	if (engine_client_open(e, cfg->name, cfg->server) < 0)
		goto fail;
	e->rate = jack_get_sample_rate(e->client);
	atomic_init(&e->period, jack_get_buffer_size(e->client));

	struct mixer_config mc = { cfg->mono, cfg->stereo, cfg->buses, (double)e->rate };
	e->mixer = mixer_new(&mc);
	if (!e->mixer) {
		log_err("cannot allocate the mixer (%u channels, %u buses)", cfg->mono + cfg->stereo, cfg->buses);
		goto fail;
	}
	if (rtq_init(&e->queue, ENGINE_QUEUE_RECORDS, sizeof(struct rt_msg)) < 0) {
		log_err("out of memory");
		goto fail;
	}
	e->lanes = mixer_lanes(e->mixer);
	e->outputs = mixer_outputs(e->mixer);
	e->in_ports = calloc(e->lanes, sizeof *e->in_ports);
	e->out_ports = calloc(e->outputs, sizeof *e->out_ports);
	e->in_buf = calloc(e->lanes, sizeof *e->in_buf);
	e->out_buf = calloc(e->outputs, sizeof *e->out_buf);
	if (!e->in_ports || !e->out_ports || !e->in_buf || !e->out_buf) {
		log_err("out of memory");
		goto fail;
	}
	if (engine_client_setup(e) < 0)
		goto fail;
	log_info("JACK client '%s' on server '%s': %u Hz, %u frames, %u input ports, %u output ports, "
	         "master latency %u frames",
	         jack_get_client_name(e->client), cfg->server ? cfg->server : "default", e->rate,
	         atomic_load(&e->period), e->lanes, e->outputs, mixer_latency(e->mixer));
	return e;
fail:
	engine_close(e);
	return NULL;
}

int engine_start(struct engine *e)
{
	if (mlockall(MCL_CURRENT) < 0)
		log_warn("cannot lock memory (%s): audio may glitch under memory pressure", strerror(errno));
	if (jack_activate(e->client)) {
		log_err("cannot activate the JACK client");
		return -1;
	}
	atomic_store(&e->active, 1);
	return 0;
}

/* Natural order: capture_2 before capture_10. */
static int engine_natcmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	while (*x && *y) {
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
			char *ex, *ey;
			unsigned long nx = strtoul(x, &ex, 10), ny = strtoul(y, &ey, 10);
			if (nx != ny)
				return nx < ny ? -1 : 1;
			x = ex, y = ey;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x - (unsigned char)*y;
		x++, y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

static int engine_connect_glob(struct engine *e, const char *glob, int to_inputs)
{
	const char **all = jack_get_ports(e->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
	                                  to_inputs ? JackPortIsOutput : JackPortIsInput);
	const char *own = jack_get_client_name(e->client);
	size_t ownlen = strlen(own);
	unsigned n = 0, made = 0, want = to_inputs ? e->lanes : 2;
	const char *match[1024];

	if (!all) {
		log_warn("no JACK ports match '%s'", glob);
		return 0;
	}
	for (unsigned i = 0; all[i] && n < 1024; i++)
		if (fnmatch(glob, all[i], 0) == 0 && !(strncmp(all[i], own, ownlen) == 0 && all[i][ownlen] == ':'))
			match[n++] = all[i];
	qsort(match, n, sizeof *match, engine_natcmp);
	for (unsigned i = 0; i < n && i < want; i++) {
		jack_port_t *mine = to_inputs ? e->in_ports[i] : e->out_ports[i];
		const char *src = to_inputs ? match[i] : jack_port_name(mine);
		const char *dst = to_inputs ? jack_port_name(mine) : match[i];
		int r = jack_connect(e->client, src, dst);
		if (r == 0 || r == EEXIST) {
			made++;
			log_info("connected %s -> %s", src, dst);
		} else {
			log_warn("cannot connect %s -> %s", src, dst);
		}
	}
	if (n == 0)
		log_warn("no JACK ports match '%s'", glob);
	jack_free(all);
	return (int)made;
}

int engine_connect_inputs(struct engine *e, const char *glob)
{
	return engine_connect_glob(e, glob, 1);
}

int engine_connect_master(struct engine *e, const char *glob)
{
	return engine_connect_glob(e, glob, 0);
}

void engine_tick(struct engine *e)
{
	unsigned x = atomic_load_explicit(&e->xruns, memory_order_relaxed);
	if (x != e->xruns_reported) {
		log_warn("%u xrun(s) reported by JACK", x - e->xruns_reported);
		e->xruns_reported = x;
	}
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	if (e->client) {
		if (atomic_load(&e->active))
			jack_deactivate(e->client);
		jack_client_close(e->client);
	}
	mixer_free(e->mixer);
	if (e->queue.buf)
		rtq_destroy(&e->queue);
	free(e->in_ports);
	free(e->out_ports);
	free(e->in_buf);
	free(e->out_buf);
	free(e);
}

void engine_set_recorder(struct engine *e, struct recring *ring)
{
	e->rec = ring;
}

struct rtq *engine_queue(struct engine *e)
{
	return &e->queue;
}

struct mixer *engine_mixer(struct engine *e)
{
	return e->mixer;
}

unsigned engine_rate(const struct engine *e)
{
	return e->rate;
}

unsigned engine_period(const struct engine *e)
{
	return atomic_load((atomic_uint *)&e->period);
}

const char *engine_client_name(const struct engine *e)
{
	return jack_get_client_name(e->client);
}

/* ---- connections (control thread) ------------------------------------ */

static jack_port_t *engine_own_port(struct engine *e, const char *shortname)
{
	for (unsigned i = 0; i < e->lanes; i++)
		if (!strcmp(jack_port_short_name(e->in_ports[i]), shortname))
			return e->in_ports[i];
	for (unsigned o = 0; o < e->outputs; o++)
		if (!strcmp(jack_port_short_name(e->out_ports[o]), shortname))
			return e->out_ports[o];
	return NULL;
}

void engine_foreach_connection(struct engine *e, engine_conn_fn fn, void *ctx)
{
	for (unsigned k = 0; k < e->lanes + e->outputs; k++) {
		jack_port_t *p = k < e->lanes ? e->in_ports[k] : e->out_ports[k - e->lanes];
		const char **peers = jack_port_get_all_connections(e->client, p);
		if (!peers)
			continue;
		for (unsigned i = 0; peers[i]; i++)
			fn(ctx, jack_port_short_name(p), peers[i]);
		jack_free(peers);
	}
}

int engine_connect_peer(struct engine *e, const char *port, const char *peer)
{
	jack_port_t *mine = engine_own_port(e, port);
	if (!mine)
		return -ENODEV;
	if (!jack_port_by_name(e->client, peer))
		return -ENOENT;
	int out = (jack_port_flags(mine) & JackPortIsOutput) != 0;
	const char *src = out ? jack_port_name(mine) : peer;
	const char *dst = out ? peer : jack_port_name(mine);
	int r = jack_connect(e->client, src, dst);
	if (r == 0)
		log_info("connected %s -> %s", src, dst);
	return r == 0 || r == EEXIST ? 0 : -1;
}

int engine_port_exists(struct engine *e, const char *name)
{
	return jack_port_by_name(e->client, name) != NULL;
}

unsigned engine_graph_generation(const struct engine *e)
{
	return atomic_load_explicit((atomic_uint *)&e->graph_gen, memory_order_acquire);
}

int engine_rename(struct engine *e, const char *name)
{
	if (!strcmp(name, jack_get_client_name(e->client)))
		return 0;
	if (atomic_load(&e->active))
		jack_deactivate(e->client);
	atomic_store(&e->active, 0);
	jack_client_close(e->client);
	e->client = NULL;
	if (engine_client_open(e, name, e->server[0] ? e->server : NULL) < 0)
		return -1;
	if (jack_get_sample_rate(e->client) != e->rate) {
		/* the mixer's coefficients are for the old rate */
		log_err("JACK sample rate changed from %u to %u Hz: restart jackmixd", e->rate,
		        (unsigned)jack_get_sample_rate(e->client));
		return -1;
	}
	atomic_store(&e->period, jack_get_buffer_size(e->client));
	if (engine_client_setup(e) < 0 || engine_start(e) < 0)
		return -1;
	atomic_fetch_add(&e->graph_gen, 1);
	log_info("JACK client renamed to '%s'", jack_get_client_name(e->client));
	return 0;
}
