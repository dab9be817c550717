/*
 * midi_osc.c - the /midi/... OSC commands and the /midi/learned push; see
 * midi_osc.h.
 *
 * Threads: control thread only (command handlers run inside osc_dispatch;
 * the learned callback inside midi.c's drain, from the control loop).
 *
 * Invariants: every command gets a reply to its sender: its answer, or
 * one /error that changes nothing (also every command with --mcu, which
 * has no mappings).  A learned mapping is on disk before /midi/learned
 * goes out (midi.c saves before it calls back).
 */
#include "midi_osc.h"
#include "role.h"

#include <lo/lo.h>
#include <stdlib.h>

#include "log.h"
#include "midimap.h"

#define MIDI_OSC_LIST_CHUNK 32u /* mapping lines per /midi/map reply */

struct midi_osc {
	struct midi *midi;
	struct osc *osc;
};

/* Serialise msg and reply to the current sender, or push it to every
 * feedback client; msg is freed. */
static void midi_osc_send(struct osc *o, lo_message msg, const char *path, int broadcast)
{
	size_t len = 0;
	void *buf = lo_message_serialise(msg, path, NULL, &len);
	if (buf) {
		if (broadcast)
			osc_broadcast_raw(o, path, buf, len);
		else
			osc_reply_raw(o, buf, len);
		free(buf);
	}
	lo_message_free(msg);
}

static void midi_osc_learned(void *ctx, const char *path, const char *line)
{
	struct midi_osc *mo = ctx;
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	lo_message_add_string(msg, path);
	lo_message_add_string(msg, line);
	midi_osc_send(mo->osc, msg, "/midi/learned", 1);
}

/* The mapping, or NULL after an /error: a Mackie surface has none. */
static struct midimap *midi_osc_map(struct midi_osc *mo, struct osc *o, const char *path)
{
	struct midimap *map = midi_map(mo->midi);
	if (!map)
		osc_reply_error(o, path, "not available with --mcu (the surface speaks Mackie Control)");
	return map;
}

static void midi_osc_learn(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct midimap *map = midi_osc_map(ctx, o, path);
	char err[256];
	if (!map)
		return;
	if (argc > 2 || (argc >= 1 && !argv[0].str) || (argc == 2 && !argv[1].str)) {
		osc_reply_error(o, path, "expects s:path [s:options], or nothing to cancel");
		return;
	}
	if (midimap_learn(map, argc ? argv[0].str : NULL, argc == 2 ? argv[1].str : NULL, err, sizeof err) <
	    0) {
		osc_reply_error(o, path, err);
		return;
	}
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	if (argc)
		lo_message_add_string(msg, argv[0].str);
	midi_osc_send(o, msg, path, 0);
}

static void midi_osc_forget(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct midi_osc *mo = ctx;
	struct midimap *map = midi_osc_map(mo, o, path);
	char err[256];
	if (!map)
		return;
	if (argc != 1 || !argv[0].str) {
		osc_reply_error(o, path, "expects s:path (or s:all)");
		return;
	}
	int n = midimap_forget(map, argv[0].str, err, sizeof err);
	if (n < 0) {
		osc_reply_error(o, path, err);
		return;
	}
	midi_save_map(mo->midi); /* on disk before the sender hears it is gone */
	lo_message msg = lo_message_new();
	if (!msg)
		return;
	lo_message_add_string(msg, argv[0].str);
	lo_message_add_int32(msg, n);
	midi_osc_send(o, msg, path, 0);
}

static void midi_osc_list(void *ctx, struct osc *o, const char *path, const struct osc_arg *argv, int argc)
{
	struct midimap *map = midi_osc_map(ctx, o, path);
	char line[MIDIMAP_LINE_MAX + 1];
	(void)argv;
	if (!map)
		return;
	if (argc) {
		osc_reply_error(o, path, "takes no arguments");
		return;
	}
	/* one reply even with no mappings: the sender learns the list is empty */
	unsigned i = 0, n = midimap_count(map);
	do {
		lo_message msg = lo_message_new();
		if (!msg)
			return;
		for (unsigned k = 0; k < MIDI_OSC_LIST_CHUNK && i < n; k++, i++)
			if (midimap_line(map, i, line, sizeof line) >= 0)
				lo_message_add_string(msg, line);
		midi_osc_send(o, msg, path, 0);
	} while (i < n);
}

struct midi_osc *midi_osc_new(struct midi *midi, struct osc *osc)
{
	ASSERT_ROLE(ROLE_CONTROL);
	static const struct {
		const char *path;
		osc_command_fn fn;
	} cmds[] = {
	    {"/midi/learn", midi_osc_learn},
	    {"/midi/forget", midi_osc_forget},
	    {"/midi/map", midi_osc_list},
	};
	struct midi_osc *mo = calloc(1, sizeof *mo);
	if (!mo) {
		log_err("out of memory");
		return NULL;
	}
	mo->midi = midi;
	mo->osc = osc;
	for (unsigned i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (osc_add_command(osc, cmds[i].path, cmds[i].fn, mo) < 0) {
			log_err("OSC: no command row for %s", cmds[i].path);
			free(mo);
			return NULL;
		}
	midi_set_learned(midi, midi_osc_learned, mo);
	return mo;
}

void midi_osc_free(struct midi_osc *mo)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!mo)
		return;
	midi_set_learned(mo->midi, NULL, NULL);
	free(mo);
}
