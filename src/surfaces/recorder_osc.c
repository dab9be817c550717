/*
 * recorder_osc.c - OSC commands and status pushes of the recorder; see
 * recorder_osc.h.
 *
 * Threads: control thread only (command handlers run inside
 * osc_client_packet, the event fd and the timer in the control loop).
 *
 * Invariants: every accepted command gets a reply to its sender; a command
 * refused (bad name, already recording, FLAC float, FLAC for more than 8
 * stem channels ...) gets one /error and changes nothing.  What happens
 * later on the disk thread (file open, stop, failure) reaches feedback
 * clients as /record/status and, for a failure, /error, because by then
 * the sender is no longer "current".  /record/status only ever grows at
 * its end (the stems' fields came last), so older clients keep working.
 */
#include "recorder_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct recorder_osc {
	struct recorder *rec;
	struct osc *osc;
	struct control *ctl;
	int fd;
	int timer; /* status pushes: asleep while no take runs */
};

static const char *const rosc_paths[] = {"/record/start", "/record/stop", "/record/status", "/record/format",
                                         "/master/loudness/reset"};

/* Serialise m and reply to the current sender (reply) or push it to every
 * feedback client. */
static void rosc_send(struct recorder_osc *ro, const char *path, lo_message m, int reply)
{
	size_t len = lo_message_length(m, path);
	void *buf = len ? malloc(len) : NULL;
	if (buf && lo_message_serialise(m, path, buf, &len)) {
		if (reply)
			osc_reply_raw(ro->osc, buf, len);
		else
			osc_broadcast_raw(ro->osc, path, buf, len);
	}
	free(buf);
	lo_message_free(m);
}

static void rosc_status(struct recorder_osc *ro, const char *path, int reply)
{
	struct recorder_status st;
	char fmt[16];
	lo_message m = lo_message_new();
	if (!m)
		return;
	recorder_status(ro->rec, &st);
	const char *base = strrchr(st.path, '/');
	snprintf(fmt, sizeof fmt, "%s/%s", recorder_format_name(st.format), recorder_sample_name(st.sample));
	lo_message_add_int32(m, st.active);
	lo_message_add_string(m, base ? base + 1 : st.path);
	lo_message_add_float(m, (float)st.seconds);
	lo_message_add_int64(m, (int64_t)st.frames);
	lo_message_add_int64(m, (int64_t)st.dropped);
	lo_message_add_int64(m, st.disk_free);
	lo_message_add_string(m, fmt);
	lo_message_add_float(m, st.take.i);
	lo_message_add_float(m, st.take.lra);
	lo_message_add_float(m, st.take.tp);
	lo_message_add_float(m, st.take.max_m);
	lo_message_add_float(m, st.take.max_s);
	/* appended, so that clients reading the fields before keep working */
	const char *sbase = strrchr(st.stem_path, '/');
	lo_message_add_string(m, recorder_stems_name(st.stems));
	lo_message_add_string(m, sbase ? sbase + 1 : st.stem_path);
	lo_message_add_int32(m, (int32_t)st.stem_files);
	lo_message_add_int64(m, (int64_t)st.stem_dropped);
	rosc_send(ro, path, m, reply);
}

static void rosc_error_all(struct recorder_osc *ro, const char *path, const char *reason)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, path);
	lo_message_add_string(m, reason);
	rosc_send(ro, "/error", m, 0);
}

static const char *rosc_str(const struct osc_arg *a, int argc, int k)
{
	return k < argc && a[k].str ? a[k].str : NULL;
}

static void rosc_command(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct recorder_osc *ro = ctx;
	char err[256];
	(void)o;

	if (!strcmp(path, "/record/start")) {
		const char *name = rosc_str(argv, argc, 0);
		if (argc > 1 || (argc == 1 && !name)) {
			osc_reply_error(ro->osc, path, "expects [s:name]");
			return;
		}
		if (recorder_start(ro->rec, name, err, sizeof err) < 0) {
			osc_reply_error(ro->osc, path, err);
			return;
		}
		rosc_status(ro, path, 1);
	} else if (!strcmp(path, "/record/stop") || !strcmp(path, "/record/status")) {
		if (argc) {
			osc_reply_error(ro->osc, path, "expects no arguments");
			return;
		}
		if (!strcmp(path, "/record/stop") && recorder_stop(ro->rec, err, sizeof err) < 0) {
			osc_reply_error(ro->osc, path, err);
			return;
		}
		rosc_status(ro, path, 1);
	} else if (!strcmp(path, "/record/format")) {
		struct recorder_status st;
		recorder_status(ro->rec, &st);
		enum recorder_format f = st.format;
		enum recorder_sample s = st.sample;
		const char *a0 = rosc_str(argv, argc, 0), *a1 = rosc_str(argv, argc, 1);
		if (argc > 2 || (argc >= 1 && !a0) || (argc == 2 && !a1)) {
			osc_reply_error(ro->osc, path, "expects [s:wav|flac] [s:16|24|32f]");
			return;
		}
		if (a0 && recorder_parse_format(a0, &f) < 0) {
			osc_reply_error(ro->osc, path, "format must be wav or flac");
			return;
		}
		if (a1 && recorder_parse_sample(a1, &s) < 0) {
			osc_reply_error(ro->osc, path, "bits must be 16, 24 or 32f");
			return;
		}
		if (argc && recorder_set_format(ro->rec, f, s, err, sizeof err) < 0) {
			osc_reply_error(ro->osc, path, err);
			return;
		}
		lo_message m = lo_message_new();
		if (!m)
			return;
		lo_message_add_string(m, recorder_format_name(f));
		lo_message_add_string(m, recorder_sample_name(s));
		rosc_send(ro, path, m, 1);
	} else if (!strcmp(path, "/master/loudness/reset")) {
		recorder_loudness_reset(ro->rec);
		lo_message m = lo_message_new();
		if (!m)
			return;
		lo_message_add_int32(m, 1);
		rosc_send(ro, path, m, 1);
	}
}

/* The disk thread queued something: started, stopped, failed. */
static void rosc_on_event(void *ctx, int fd, short revents)
{
	struct recorder_osc *ro = ctx;
	struct recorder_event ev;
	(void)fd;
	(void)revents;
	while (recorder_next_event(ro->rec, &ev) == 0) {
		if (ev.kind == REC_EV_ERROR)
			rosc_error_all(ro, "/record/start", ev.msg);
		else if (ev.kind == REC_EV_STOPPED && ev.msg[0])
			rosc_error_all(ro, "/record/status", ev.msg);
		rosc_status(ro, "/record/status", 0);
		if (ev.kind == REC_EV_STARTED) /* pushes every second from now */
			control_timer_wake(ro->ctl, ro->timer);
	}
}

static void rosc_tick(void *ctx, uint64_t now)
{
	struct recorder_osc *ro = ctx;
	struct recorder_status st;
	(void)now;
	recorder_status(ro->rec, &st);
	if (st.active)
		rosc_status(ro, "/record/status", 0);
	else /* REC_EV_STARTED wakes it */
		control_timer_sleep(ro->ctl, ro->timer);
}

struct recorder_osc *recorder_osc_new(struct recorder *rec, struct osc *osc, struct control *ctl)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct recorder_osc *ro = calloc(1, sizeof *ro);
	if (!ro) {
		log_err("out of memory");
		return NULL;
	}
	ro->rec = rec;
	ro->osc = osc;
	ro->ctl = ctl;
	ro->fd = recorder_event_fd(rec);
	for (unsigned i = 0; i < sizeof rosc_paths / sizeof *rosc_paths; i++)
		if (osc_add_command(osc, rosc_paths[i], rosc_command, ro) < 0) {
			log_err("OSC: no command row for %s", rosc_paths[i]);
			free(ro);
			return NULL;
		}
	if (control_add_fd(ctl, ro->fd, rosc_on_event, ro) < 0 ||
	    (ro->timer = control_add_timer(ctl, 1000, rosc_tick, ro)) < 0) {
		log_err("control loop full");
		control_remove_fd(ctl, ro->fd);
		free(ro);
		return NULL;
	}
	return ro;
}

void recorder_osc_free(struct recorder_osc *ro)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!ro)
		return;
	control_remove_fd(ro->ctl, ro->fd);
	free(ro);
}

void recorder_osc_rebind(struct recorder_osc *ro, struct recorder *rec)
{
	ASSERT_ROLE(ROLE_CONTROL);
	control_remove_fd(ro->ctl, ro->fd);
	ro->rec = rec;
	ro->fd = recorder_event_fd(rec);
	if (control_add_fd(ro->ctl, ro->fd, rosc_on_event, ro) < 0)
		log_err("control loop full: recorder events are not reported");
}

int recorder_osc_meter(struct recorder *rec, enum param_id id, float out[2])
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct loudness_values v;
	switch (id) {
	case P_MASTER_LOUD_M:
	case P_MASTER_LOUD_S:
	case P_MASTER_LOUD_I:
	case P_MASTER_LOUD_LRA:
	case P_MASTER_LOUD_TP:
		break;
	default:
		return -1;
	}
	recorder_loudness(rec, &v);
	out[0] = id == P_MASTER_LOUD_M     ? v.m
	         : id == P_MASTER_LOUD_S   ? v.s
	         : id == P_MASTER_LOUD_I   ? v.i
	         : id == P_MASTER_LOUD_LRA ? v.lra
	                                   : v.tp;
	return 1;
}
