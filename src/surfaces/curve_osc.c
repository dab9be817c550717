/*
 * curve_osc.c - the OSC commands of response and static curves; see
 * curve_osc.h.  It reads the model's values of a channel or the master,
 * has dsp/response.c compute the curve on a fixed grid, and replies with
 * one message: the grid's two ends, then one float a point.
 *
 * Threads: control thread only (the handlers run inside the OSC layer's
 * dispatch).
 *
 * Invariants: every command gets exactly one reply to its sender: the
 * curve, or /error with a reason (arguments given, channel out of range,
 * no sample rate); nothing is changed.
 */
#include "curve_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "response.h"

struct curve_osc {
	struct model *m;
	unsigned (*rate)(void *ctx);
	void *ctx;
	double hz[RESPONSE_POINTS];        /* the frequency grid */
	double in_db[RESPONSE_DYN_POINTS]; /* the input-level grid */
};

/* One reply: path f:lo f:hi f:v[0] ... f:v[n-1]. */
static void cosc_reply(struct osc *o, const char *path, double lo, double hi, const float *v, unsigned n)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_float(m, (float)lo);
	lo_message_add_float(m, (float)hi);
	for (unsigned i = 0; i < n; i++)
		lo_message_add_float(m, v[i]);
	size_t len = 0;
	void *buf = lo_message_serialise(m, path, NULL, &len);
	if (buf) {
		osc_reply_raw(o, buf, len);
		free(buf);
	}
	lo_message_free(m);
}

/* The channel of /ch/<n>/..., zero-based, or -1 after an /error.  The
 * router matched the template, so path is /ch/ then digits. */
static long cosc_channel(struct curve_osc *co, struct osc *o, const char *path)
{
	unsigned n1, n2;
	model_dims(co->m, P_CH_EQ_ON, &n1, &n2);
	char *end;
	unsigned long n = strtoul(path + 4, &end, 10);
	if (n < 1 || n > n1) {
		osc_reply_error(o, path, "index out of range");
		return -1;
	}
	return (long)n - 1;
}

static int cosc_no_args(struct osc *o, const char *path, int argc)
{
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return -1;
	}
	return 0;
}

static unsigned cosc_rate(struct curve_osc *co, struct osc *o, const char *path)
{
	unsigned r = co->rate ? co->rate(co->ctx) : 0;
	if (!r)
		osc_reply_error(o, path, "no sample rate yet (JACK not connected)");
	return r;
}

static void cosc_eq(struct curve_osc *co, struct osc *o, const char *path, int master)
{
	struct model *m = co->m;
	struct response_eq eq;
	unsigned ch = 0;
	if (!master) {
		long c = cosc_channel(co, o, path);
		if (c < 0)
			return;
		ch = (unsigned)c;
	}
	unsigned rate = cosc_rate(co, o, path);
	if (!rate)
		return;
	memset(&eq, 0, sizeof eq);
	if (master) {
		eq.on = model_get(m, P_MASTER_EQ_ON, 0, 0) >= 0.5f;
		for (unsigned b = 0; b < JMX_BANDS; b++) {
			eq.type[b] = model_get(m, P_MASTER_EQ_TYPE, 0, b);
			eq.hz[b] = model_get(m, P_MASTER_EQ_HZ, 0, b);
			eq.db[b] = model_get(m, P_MASTER_EQ_DB, 0, b);
			eq.q[b] = model_get(m, P_MASTER_EQ_Q, 0, b);
		}
	} else {
		eq.on = model_get(m, P_CH_EQ_ON, ch, 0) >= 0.5f;
		eq.hpf_on = model_get(m, P_CH_HPF_ON, ch, 0) >= 0.5f;
		eq.hpf_hz = model_get(m, P_CH_HPF_HZ, ch, 0);
		for (unsigned b = 0; b < JMX_BANDS; b++) {
			eq.type[b] = model_get(m, P_CH_EQ_TYPE, ch, b);
			eq.hz[b] = model_get(m, P_CH_EQ_HZ, ch, b);
			eq.db[b] = model_get(m, P_CH_EQ_DB, ch, b);
			eq.q[b] = model_get(m, P_CH_EQ_Q, ch, b);
		}
	}
	float db[RESPONSE_POINTS];
	response_eq_db(&eq, master ? RESPONSE_MASTER : RESPONSE_STRIP, (double)rate, co->hz, RESPONSE_POINTS,
	               db);
	cosc_reply(o, path, RESPONSE_HZ_LO, RESPONSE_HZ_HI, db, RESPONSE_POINTS);
}

static void cosc_cmd_ch_eq(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	(void)argv;
	if (cosc_no_args(o, path, argc) == 0)
		cosc_eq(ctx, o, path, 0);
}

static void cosc_cmd_master_eq(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                               int argc)
{
	(void)argv;
	if (cosc_no_args(o, path, argc) == 0)
		cosc_eq(ctx, o, path, 1);
}

static void cosc_comp(struct curve_osc *co, struct osc *o, const char *path, int master)
{
	struct model *m = co->m;
	struct response_comp c;
	if (master) {
		c.on = model_get(m, P_MASTER_COMP_ON, 0, 0) >= 0.5f;
		c.thr = model_get(m, P_MASTER_COMP_THR, 0, 0);
		c.ratio = model_get(m, P_MASTER_COMP_RATIO, 0, 0);
		c.knee = model_get(m, P_MASTER_COMP_KNEE, 0, 0);
		c.makeup = model_get(m, P_MASTER_COMP_MAKEUP, 0, 0);
	} else {
		long ch = cosc_channel(co, o, path);
		if (ch < 0)
			return;
		c.on = model_get(m, P_CH_DYN_ON, (unsigned)ch, 0) >= 0.5f;
		c.thr = model_get(m, P_CH_DYN_THR, (unsigned)ch, 0);
		c.ratio = model_get(m, P_CH_DYN_RATIO, (unsigned)ch, 0);
		c.knee = model_get(m, P_CH_DYN_KNEE, (unsigned)ch, 0);
		c.makeup = model_get(m, P_CH_DYN_MAKEUP, (unsigned)ch, 0);
	}
	float out[RESPONSE_DYN_POINTS];
	response_comp_db(&c, master ? RESPONSE_MASTER : RESPONSE_STRIP, co->in_db, RESPONSE_DYN_POINTS, out);
	cosc_reply(o, path, RESPONSE_DYN_LO, RESPONSE_DYN_HI, out, RESPONSE_DYN_POINTS);
}

static void cosc_cmd_ch_dyn(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	(void)argv;
	if (cosc_no_args(o, path, argc) == 0)
		cosc_comp(ctx, o, path, 0);
}

static void cosc_cmd_master_comp(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv,
                                 int argc)
{
	(void)argv;
	if (cosc_no_args(o, path, argc) == 0)
		cosc_comp(ctx, o, path, 1);
}

static const struct {
	const char *path;
	osc_command_fn fn;
} cosc_commands[] = {
    {"/ch/<n>/eq/response", cosc_cmd_ch_eq},
    {"/master/eq/response", cosc_cmd_master_eq},
    {"/ch/<n>/dyn/curve", cosc_cmd_ch_dyn},
    {"/master/comp/curve", cosc_cmd_master_comp},
};

struct curve_osc *curve_osc_new(struct model *m, struct osc *o, unsigned (*rate)(void *ctx), void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct curve_osc *co = calloc(1, sizeof *co);
	if (!co) {
		log_err("out of memory");
		return NULL;
	}
	co->m = m;
	co->rate = rate;
	co->ctx = ctx;
	for (unsigned i = 0; i < RESPONSE_POINTS; i++)
		co->hz[i] = response_grid_hz(i);
	for (unsigned i = 0; i < RESPONSE_DYN_POINTS; i++)
		co->in_db[i] = response_dyn_grid_db(i);
	for (unsigned i = 0; i < sizeof cosc_commands / sizeof *cosc_commands; i++)
		if (osc_add_command(o, cosc_commands[i].path, cosc_commands[i].fn, co) < 0) {
			log_err("OSC: no command row for %s", cosc_commands[i].path);
			free(co);
			return NULL;
		}
	return co;
}

void curve_osc_free(struct curve_osc *co)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(co);
}
