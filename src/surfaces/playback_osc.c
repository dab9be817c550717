/*
 * playback_osc.c - OSC commands of the playback; see playback_osc.h.
 *
 * Threads: control thread only (handlers run inside the OSC dispatch).
 *
 * Invariants: a refused command (bad name, a take that does not fit the
 * console, no take loaded, a position out of the take) gets /error and
 * changes nothing: playback.c checks everything before it changes
 * anything.
 */
#include "playback_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct playback_osc {
	struct playback *pb;
	struct osc *osc;
};

static const char *const posc_paths[] = {"/playback/load", "/playback/start", "/playback/stop",
                                         "/playback/locate", "/playback/status"};

/* /playback/status s:take i:playing f:position f:length h:underruns i:buffered */
static void posc_status(struct playback_osc *po, const char *path)
{
	struct playback_status st;
	playback_status(po->pb, &st);
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, st.take);
	lo_message_add_int32(m, st.playing);
	lo_message_add_float(m, (float)st.pos_s);
	lo_message_add_float(m, (float)st.len_s);
	lo_message_add_int64(m, (int64_t)st.underruns);
	lo_message_add_int32(m, (int32_t)st.buffered);
	size_t len = lo_message_length(m, path);
	void *buf = len ? malloc(len) : NULL;
	if (buf && lo_message_serialise(m, path, buf, &len))
		osc_reply_raw(po->osc, buf, len);
	free(buf);
	lo_message_free(m);
}

static void posc_command(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct playback_osc *po = ctx;
	char err[512];
	(void)o;
	if (!strcmp(path, "/playback/load")) {
		if (argc != 1 || !argv[0].str) {
			osc_reply_error(po->osc, path, "expects s:take");
			return;
		}
		if (playback_load(po->pb, argv[0].str, err, sizeof err) < 0) {
			log_warn("playback: %s", err);
			osc_reply_error(po->osc, path, err);
			return;
		}
		log_info("playback: take %s loaded", argv[0].str);
	} else if (!strcmp(path, "/playback/locate")) {
		if (argc != 1 || argv[0].str || argv[0].type == 'T' || argv[0].type == 'F') {
			osc_reply_error(po->osc, path, "expects f:seconds");
			return;
		}
		if (playback_locate(po->pb, argv[0].num, err, sizeof err) < 0) {
			osc_reply_error(po->osc, path, err);
			return;
		}
	} else {
		if (argc) {
			osc_reply_error(po->osc, path, "expects no arguments");
			return;
		}
		if (!strcmp(path, "/playback/start") && playback_start(po->pb, err, sizeof err) < 0) {
			osc_reply_error(po->osc, path, err);
			return;
		}
		if (!strcmp(path, "/playback/stop"))
			playback_stop(po->pb);
	}
	posc_status(po, path); /* the reply has the command's path, as the recorder's */
}

struct playback_osc *playback_osc_new(struct playback *pb, struct osc *osc)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct playback_osc *po = calloc(1, sizeof *po);
	if (!po)
		return NULL;
	po->pb = pb;
	po->osc = osc;
	for (unsigned i = 0; i < sizeof posc_paths / sizeof *posc_paths; i++)
		if (osc_add_command(osc, posc_paths[i], posc_command, po) < 0) {
			log_err("OSC: no command row for %s", posc_paths[i]);
			free(po);
			return NULL;
		}
	return po;
}

void playback_osc_free(struct playback_osc *po)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(po);
}
