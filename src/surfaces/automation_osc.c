/*
 * automation_osc.c - automation's OSC addresses, commands and pushes; see
 * automation_osc.h.  automation.c does the work through plain C calls;
 * this file converts arguments and replies, as recorder_osc.c does for
 * the recorder.
 *
 * Threads: control thread only (the handlers run inside the OSC layer's
 * dispatch; the events and the display watcher inside automation's API
 * and its timer).
 *
 * Invariants: a command or address that is refused gets exactly one
 * /error and changes nothing; replies go to the sender of the message
 * being handled, pushes (a lane's mode, /master/fade) to every feedback
 * client that takes values.
 */
#include "automation_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <math.h>
#include <stdlib.h>

#include "control.h"
#include "lanes.h"
#include "log.h"

struct automation_osc {
	struct automation *a;
	struct osc *osc;
};

/* Serialise m as path and reply to the sender (reply) or push it to every
 * feedback client; m is freed either way. */
static void aosc_send(struct automation_osc *ao, int reply, const char *path, lo_message m)
{
	size_t len = 0;
	void *buf = m ? lo_message_serialise(m, path, NULL, &len) : NULL;
	if (buf) {
		if (reply)
			osc_reply_raw(ao->osc, buf, len);
		else
			osc_broadcast_raw(ao->osc, path, buf, len);
		free(buf);
	}
	if (m)
		lo_message_free(m);
}

/* <base>/auto s:mode, with i:points in a reply */
static void aosc_send_mode(struct automation_osc *ao, int reply, const char *path, int mode, unsigned points)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, lanes_mode_name((unsigned)mode));
	if (reply)
		lo_message_add_int32(m, (int32_t)points);
	aosc_send(ao, reply, path, m);
}

static void aosc_fade_status(struct automation_osc *ao, int reply, float seconds)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_float(m, seconds);
	aosc_send(ao, reply, "/master/fade", m);
}

/* ---- automation's events ---------------------------------------------- */

static void aosc_on_mode(void *ctx, enum param_id id, unsigned i1, unsigned i2, int mode)
{
	char base[LANES_PATH_MAX], path[LANES_PATH_MAX + 8];
	lanes_base_path(id, i1, i2, base, sizeof base);
	snprintf(path, sizeof path, "%s/auto", base);
	aosc_send_mode(ctx, 0, path, mode, 0);
}

static void aosc_on_fade(void *ctx, float seconds_left)
{
	aosc_fade_status(ctx, 0, seconds_left);
}

static void aosc_on_moved(void *ctx, enum param_id id, unsigned i1, unsigned i2)
{
	osc_value_changed(ctx, id, i1, i2);
}

/* ---- the OSC layer's hooks -------------------------------------------- */

static void aosc_param(void *ctx, struct osc *o, const char *path, enum osc_param_cmd cmd, enum param_id id,
                       unsigned i1, unsigned i2, const struct osc_arg *argv, int argc)
{
	struct automation_osc *ao = ctx;
	struct automation *a = ao->a;
	unsigned points = 0;
	if (automation_mode(a, id, i1, i2, &points) < 0) {
		osc_reply_error(o, path, "not automatable");
		return;
	}
	switch (cmd) {
	case OSC_PARAM_AUTO: {
		if (argc == 1 && argv[0].str) {
			int mode = lanes_mode_parse(argv[0].str);
			if (mode < 0) {
				osc_reply_error(o, path, "mode must be off, read, write, touch or latch");
				return;
			}
			automation_set_mode(a, id, i1, i2, mode);
		} else if (argc != 0) {
			osc_reply_error(o, path, "usage: <base>/auto [s:off|read|write|touch|latch]");
			return;
		}
		int mode = automation_mode(a, id, i1, i2, &points);
		aosc_send_mode(ao, 1, path, mode, points);
		break;
	}
	case OSC_PARAM_TOUCH:
		if (argc == 1 && !argv[0].str && isfinite(argv[0].num)) {
			automation_touch(a, id, i1, i2, argv[0].num > 0);
		} else if (argc == 0) {
			lo_message m = lo_message_new();
			if (m)
				lo_message_add_int32(m, automation_touched(a, id, i1, i2));
			aosc_send(ao, 1, path, m);
		} else {
			osc_reply_error(o, path, "usage: <base>/touch i:1|0");
		}
		break;
	case OSC_PARAM_STOP:
		if (argc != 0)
			osc_reply_error(o, path, "takes no arguments");
		else
			automation_stop(a, id, i1, i2);
		break;
	}
}

static enum model_result aosc_ramp(void *ctx, enum param_id id, unsigned i1, unsigned i2, float value,
                                   float ms, const void *origin)
{
	struct automation_osc *ao = ctx;
	return automation_ramp(ao->a, id, i1, i2, value, ms, origin);
}

static float aosc_value(void *ctx, enum param_id id, unsigned i1, unsigned i2, float model_value)
{
	struct automation_osc *ao = ctx;
	return automation_value(ao->a, id, i1, i2, model_value);
}

/* ---- commands ---------------------------------------------------------- */

static void aosc_cmd_mode(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct automation_osc *ao = ctx;
	int mode = argc >= 1 && argv[0].str ? lanes_mode_parse(argv[0].str) : -1;
	if (argc < 1 || argc > 2 || mode < 0 || (argc == 2 && !argv[1].str)) {
		osc_reply_error(o, path, "usage: /automation/mode s:off|read|write|touch|latch [s:prefix]");
		return;
	}
	unsigned n = automation_set_mode_all(ao->a, argc == 2 ? argv[1].str : "", mode);
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, lanes_mode_name((unsigned)mode));
		lo_message_add_int32(m, (int32_t)n);
	}
	aosc_send(ao, 1, path, m);
}

static void aosc_cmd_clear(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct automation_osc *ao = ctx;
	if (argc > 1 || (argc == 1 && !argv[0].str)) {
		osc_reply_error(o, path, "usage: /automation/clear [s:prefix]");
		return;
	}
	unsigned n = automation_clear(ao->a, argc ? argv[0].str : "");
	lo_message m = lo_message_new();
	if (m)
		lo_message_add_int32(m, (int32_t)n);
	aosc_send(ao, 1, path, m);
}

static void aosc_cmd_status(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct automation_osc *ao = ctx;
	struct automation_status st;
	(void)argv;
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return;
	}
	automation_status(ao->a, &st);
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, st.rolling ? "rolling" : "stopped");
		lo_message_add_int32(m, (int32_t)st.frame);
		lo_message_add_int32(m, (int32_t)st.lanes);
		lo_message_add_int32(m, (int32_t)st.points);
		lo_message_add_int32(m, (int32_t)st.recording);
		lo_message_add_int64(m, (int64_t)st.dropped);
	}
	aosc_send(ao, 1, path, m);
}

static void aosc_cmd_fade(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct automation_osc *ao = ctx;
	if (argc == 0) {
		aosc_fade_status(ao, 1, automation_fade_left(ao->a, control_now_ms()));
		return;
	}
	if (argc != 1 || argv[0].str || automation_fade(ao->a, (float)argv[0].num) < 0) {
		osc_reply_error(o, path, "usage: /master/fade f:seconds (0..3600)");
		return;
	}
	aosc_fade_status(ao, 1, (float)argv[0].num);
}

/* ---- life cycle -------------------------------------------------------- */

struct automation_osc *automation_osc_new(struct automation *a, struct osc *o)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct automation_osc *ao = calloc(1, sizeof *ao);
	if (!ao) {
		log_err("out of memory");
		return NULL;
	}
	ao->a = a;
	ao->osc = o;
	if (automation_add_watcher(a, aosc_on_moved, o) < 0) {
		log_err("automation: too many display watchers");
		free(ao);
		return NULL;
	}
	struct osc_automation hooks = {ao, aosc_param, aosc_ramp, aosc_value};
	struct automation_events ev = {ao, aosc_on_mode, aosc_on_fade};
	osc_set_automation(o, &hooks);
	automation_set_events(a, &ev);
	osc_add_command(o, "/automation/mode", aosc_cmd_mode, ao);
	osc_add_command(o, "/automation/clear", aosc_cmd_clear, ao);
	osc_add_command(o, "/automation/status", aosc_cmd_status, ao);
	osc_add_command(o, "/master/fade", aosc_cmd_fade, ao);
	return ao;
}

void automation_osc_free(struct automation_osc *ao)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!ao)
		return;
	automation_set_events(ao->a, NULL);
	osc_set_automation(ao->osc, NULL);
	free(ao);
}
