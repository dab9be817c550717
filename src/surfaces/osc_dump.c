/*
 * osc_dump.c - --dump-osc: the OSC namespace generated from the parameter
 * table and the command rows (osc_route.c), one tab-separated line per
 * parameter, helper address and command, with its doc string.  A test
 * compares it with the man page and the TouchOSC layout.
 *
 * Threads: main, before the control loop exists (and any thread: it reads
 * constant tables only).
 *
 * osc_dump_params_json writes the same tables as JSON (the web surface's
 * /api/params), from the same loops, so the two never disagree.
 *
 * Invariants: every address the router accepts is listed, because both
 * enumerate osc_route_for_each_address; the output depends on the tables
 * only, not on the console's shape or state.
 */
#include <stdio.h>
#include <string.h>

#include "osc_core.h"
#include "role.h"
#include "dsp.h"

static const char *osc_dump_type_name(enum param_type t)
{
	static const char *const names[] = {"float", "bool", "enum", "string", "meter"};
	return names[t];
}

static const char *osc_dump_taper_name(const struct param_info *p)
{
	if (p->type == PT_METER)
		return p->npath ? "fader" : "-";
	switch (p->taper) {
	case TP_LIN:
		return "lin";
	case TP_LOG:
		return "log";
	case TP_FADER:
		return "fader";
	default:
		return "-";
	}
}

static void osc_dump_value(FILE *f, const struct param_info *p, float v)
{
	if (p->type == PT_ENUM) {
		unsigned idx = (unsigned)v, k = 0;
		for (const char *w = p->enums; *w; k++) {
			const char *e = strchr(w, ' ');
			size_t len = e ? (size_t)(e - w) : strlen(w);
			if (k == idx) {
				fprintf(f, "%.*s", (int)len, w);
				return;
			}
			if (!e)
				break;
			w = e + 1;
		}
	}
	fprintf(f, "%g", (double)v);
}

struct osc_dump_ctx {
	FILE *f;
	int first;
};

static void osc_dump_helper(void *ctx, const char *tmpl, unsigned id, unsigned form)
{
	struct osc_dump_ctx *d = ctx;
	const struct param_info *p = &param_table[id];
	if (form == FORM_TOGGLE)
		fprintf(
		    d->f,
		    "%s\ttoggle\tFlips %s on a value > 0 or no argument (0 is ignored: button release).\n",
		    tmpl, p->path);
	else if (form == FORM_TEXT)
		fprintf(d->f, "%s\ttext\t%s as text, e.g. \"-6.0 dB\"; read-only, fed back with the value.\n",
		        tmpl, p->path);
	else if (form == FORM_AUTO)
		fprintf(d->f,
		        "%s\tauto\tAutomation mode of %s: s:off, read, write, touch or latch; no argument: "
		        "replies "
		        "s:mode i:points.\n",
		        tmpl, p->path);
	else if (form == FORM_TOUCH)
		fprintf(d->f,
		        "%s\ttouch\tA control of %s is held (i:1) or released (i:0): touch and latch modes "
		        "record "
		        "while it is held.\n",
		        tmpl, p->path);
	else if (form == FORM_STOP)
		fprintf(d->f, "%s\tstop\tStops a timed move of %s where it has got to.\n", tmpl, p->path);
}

void osc_dump_namespace(FILE *f)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct osc_dump_ctx d = {f, 1};
	fprintf(f, "# jackmixd OSC namespace: <n> channel 1..N, <a> aux bus 1..M, <b> EQ band 1..4\n");
	fprintf(f, "# path\tnormalised\ttype\tunit\trange\ttaper\tdefault\tdoc\n");
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		fprintf(f, "%s\t%s\t%s\t", p->path, p->npath ? p->npath : "-", osc_dump_type_name(p->type));
		if (p->type == PT_ENUM) {
			for (const char *s = p->enums; *s; s++)
				fputc(*s == ' ' ? '|' : *s, f);
		} else {
			fputs(p->unit[0] ? p->unit : "-", f);
		}
		if (p->type == PT_STRING)
			fprintf(f, "\t-\t-\t\"\"");
		else if (p->type == PT_METER)
			fprintf(f, "\t%g..%g\t%s\t-", (double)p->min, (double)p->max, osc_dump_taper_name(p));
		else {
			fprintf(f, "\t%g..%g\t%s\t", (double)p->min, (double)p->max, osc_dump_taper_name(p));
			int per_band =
			    p->def[1] != p->def[0] || p->def[2] != p->def[0] || p->def[3] != p->def[0];
			for (unsigned b = 0; b < (per_band ? 4u : 1u); b++) {
				if (b)
					fputc(',', f);
				osc_dump_value(f, p, p->def[b]);
			}
		}
		fprintf(f, "\t%s\n", p->doc);
	}
	fprintf(f, "# helper\tkind\tdoc\n");
	osc_route_for_each_address(osc_dump_helper, &d);
	fprintf(f, "# command\targuments\tdoc\n");
	for (unsigned i = 0; i < osc_route_ncommands; i++)
		fprintf(f, "%s\t%s\t%s\n", osc_route_commands[i].path,
		        osc_route_commands[i].args[0] ? osc_route_commands[i].args : "-",
		        osc_route_commands[i].doc);
}

/* ---- the same table as JSON (the web surface's /api/params) ---------- */

static void osc_dump_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void osc_dump_json_helper(void *ctx, const char *tmpl, unsigned id, unsigned form)
{
	struct osc_dump_ctx *d = ctx;
	static const char *const kinds[] = {"unit", "norm", "text", "toggle", "auto", "touch", "stop"};
	unsigned k = 0;
	if (!(form & (FORM_TEXT | FORM_TOGGLE | FORM_AUTOMATION)))
		return; /* the unit and normalised forms are the params' own */
	while (k < 7 && !(form & (1u << k)))
		k++;
	fprintf(d->f, "%s{\"path\":", d->first ? "" : ",\n");
	d->first = 0;
	osc_dump_json_str(d->f, tmpl);
	fprintf(d->f, ",\"kind\":\"%s\",\"of\":", k < 7 ? kinds[k] : "");
	osc_dump_json_str(d->f, param_table[id].path);
	fputc('}', d->f);
}

void osc_dump_params_json(FILE *f)
{
	ASSERT_ROLE(ROLE_CONTROL);
	static const char *const dims[][3] = {
	    [SC_GLOBAL] = {NULL},       [SC_CH] = {"n"},           [SC_CH_BAND] = {"n", "b"},
	    [SC_CH_BUS] = {"n", "a"},   [SC_BUS] = {"a"},          [SC_MASTER_BAND] = {"b"},
	    [SC_CH_DCA] = {"n", "d"},   [SC_CH_MGRP] = {"n", "g"}, [SC_BUS_DCA] = {"a", "d"},
	    [SC_BUS_MGRP] = {"a", "g"}, [SC_DCA] = {"d"},          [SC_MGRP] = {"g"},
	    [SC_BUS_BAND] = {"a", "b"},
	};
	struct osc_dump_ctx d = {f, 1};
	fprintf(f,
	        "{\"placeholders\":{\"n\":\"channel 1..N\",\"a\":\"aux bus 1..M\",\"b\":\"EQ band 1..4\","
	        "\"d\":\"DCA group 1..%u\",\"g\":\"mute group 1..%u\"},\n"
	        "\"bands\":%u,\"dcas\":%u,\"mutegroups\":%u,\n"
	        "\"params\":[\n",
	        JMX_DCAS, JMX_MUTEGROUPS, JMX_BANDS, JMX_DCAS, JMX_MUTEGROUPS);
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		fprintf(f, "%s{\"path\":", id ? ",\n" : "");
		osc_dump_json_str(f, p->path);
		fprintf(f, ",\"npath\":");
		if (p->npath)
			osc_dump_json_str(f, p->npath);
		else
			fputs("null", f);
		fprintf(f, ",\"type\":\"%s\",\"unit\":", osc_dump_type_name(p->type));
		osc_dump_json_str(f, p->unit);
		if (p->type == PT_ENUM) {
			fputs(",\"enums\":[", f);
			for (const char *w = p->enums; *w;) {
				size_t len = strcspn(w, " ");
				fprintf(f, "%s\"%.*s\"", w == p->enums ? "" : ",", (int)len, w);
				w += len;
				if (*w)
					w++;
			}
			fputc(']', f);
		}
		if (p->type != PT_STRING)
			fprintf(f, ",\"min\":%.9g,\"max\":%.9g", (double)p->min, (double)p->max);
		fprintf(f, ",\"taper\":\"%s\"", osc_dump_taper_name(p));
		if (p->type == PT_STRING) {
			fputs(",\"default\":\"\"", f);
		} else if (p->type != PT_METER) {
			int per_band =
			    p->def[1] != p->def[0] || p->def[2] != p->def[0] || p->def[3] != p->def[0];
			if (per_band)
				fprintf(f, ",\"default\":[%.9g,%.9g,%.9g,%.9g]", (double)p->def[0],
				        (double)p->def[1], (double)p->def[2], (double)p->def[3]);
			else
				fprintf(f, ",\"default\":%.9g", (double)p->def[0]);
		}
		fputs(",\"dims\":[", f);
		for (unsigned k = 0; k < 3 && dims[p->scope][k]; k++)
			fprintf(f, "%s\"%s\"", k ? "," : "", dims[p->scope][k]);
		fprintf(f, "],\"automatable\":%s,\"doc\":",
		        param_automatable((enum param_id)id) ? "true" : "false");
		osc_dump_json_str(f, p->doc);
		fputc('}', f);
	}
	fputs("],\n\"helpers\":[\n", f);
	osc_route_for_each_address(osc_dump_json_helper, &d);
	fputs("],\n\"commands\":[\n", f);
	for (unsigned i = 0; i < osc_route_ncommands; i++) {
		fprintf(f, "%s{\"path\":", i ? ",\n" : "");
		osc_dump_json_str(f, osc_route_commands[i].path);
		fputs(",\"args\":", f);
		osc_dump_json_str(f, osc_route_commands[i].args);
		fputs(",\"doc\":", f);
		osc_dump_json_str(f, osc_route_commands[i].doc);
		fputc('}', f);
	}
	fputs("]}\n", f);
}
