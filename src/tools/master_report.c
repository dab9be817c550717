/*
 * master_report.c - jackmixd-master's report as text, as JSON, and as an
 * SVG plot (plain text: no library, and the web surface can show it).
 *
 * Threads: the program's one thread.
 *
 * Invariants: non-finite values (the loudness of silence) print as "-inf"
 * in text and null in JSON, never as invalid JSON; file names in JSON and
 * SVG are escaped.
 */
#define _GNU_SOURCE
#include "master_report.h"
#include "role.h"

#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statefile.h"

static void num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.2f", v);
	else
		fputs("null", f);
}

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void tnum(FILE *f, const char *fmt, double v)
{
	if (isfinite(v))
		fprintf(f, fmt, v);
	else
		fputs("  -inf", f);
}

static void text_stats(FILE *f, const char *what, const struct mastering_stats *s, int gr)
{
	fprintf(f, "  %-6s I ", what);
	tnum(f, "%6.1f", s->i);
	fprintf(f, " LUFS  LRA %4.1f LU  TP ", s->lra);
	tnum(f, "%5.1f", s->tp);
	fprintf(f, " dBTP  corr %5.2f  mono loss %4.1f dB", s->corr, s->mono_loss);
	if (gr)
		fprintf(f, "  limiter GR max %.1f dB", s->max_gr);
	fputc('\n', f);
}

void master_report_text(FILE *f, const struct master_run *r)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	fprintf(f, "target %.1f LUFS, ceiling %.1f dBTP, %s\n", r->target, r->ceiling,
	        r->n == 1  ? "one track"
	        : r->album ? "album (one gain)"
	                   : "per track");
	for (unsigned k = 0; k < r->n; k++) {
		const struct master_track *t = &r->t[k];
		fprintf(f, "%s -> %s: gain %+.2f dB", t->in_path, t->out_path, t->drive_db);
		if (t->ceiling_db < r->ceiling - 1e-6)
			fprintf(f, " (limiter set to %.2f dBTP to hold the ceiling)", t->ceiling_db);
		fputc('\n', f);
		text_stats(f, "input", &t->st_in, 0);
		text_stats(f, "output", &t->st_out, 1);
	}
	if (r->n > 1) {
		fprintf(f, "album: input I ");
		tnum(f, "%.1f", r->album_in_i);
		fprintf(f, " LUFS LRA %.1f LU, output I ", r->album_in_lra);
		tnum(f, "%.1f", r->album_out_i);
		fprintf(f, " LUFS LRA %.1f LU\n", r->album_out_lra);
	}
	fprintf(f, "%u passes, %.1f s of audio in %.2f s (%.2f s of processor): %.0fx real time\n", r->passes,
	        r->audio_s, r->wall_s, r->cpu_s, r->wall_s > 0 ? r->audio_s / r->wall_s : 0.0);
}

static void json_stats(FILE *f, const struct mastering_stats *s, int gr)
{
	fputs("{\"i\": ", f);
	num(f, s->i);
	fputs(", \"lra\": ", f);
	num(f, s->lra);
	fputs(", \"tp\": ", f);
	num(f, s->tp);
	fputs(", \"correlation\": ", f);
	num(f, s->corr);
	fputs(", \"mono_loss\": ", f);
	num(f, s->mono_loss);
	if (gr) {
		fputs(", \"max_limiter_gr\": ", f);
		num(f, s->max_gr);
	}
	fputc('}', f);
}

void master_report_json(FILE *f, const struct master_run *r)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	fprintf(f, "{\"target\": %.2f, \"ceiling\": %.2f, \"mode\": \"%s\", \"max_limiting\": %.2f,\n",
	        r->target, r->ceiling,
	        r->n == 1  ? "single"
	        : r->album ? "album"
	                   : "per-track",
	        r->max_limiting);
	fputs(" \"tracks\": [\n", f);
	for (unsigned k = 0; k < r->n; k++) {
		const struct master_track *t = &r->t[k];
		fputs("  {\"input_file\": ", f);
		jstr(f, t->in_path);
		fputs(", \"output_file\": ", f);
		jstr(f, t->out_path);
		fputs(", \"gain_db\": ", f);
		num(f, t->drive_db);
		fputs(", \"limiter_ceiling\": ", f);
		num(f, t->ceiling_db);
		fputs(",\n   \"input\": ", f);
		json_stats(f, &t->st_in, 0);
		fputs(",\n   \"output\": ", f);
		json_stats(f, &t->st_out, 1);
		fprintf(f, "}%s\n", k + 1 < r->n ? "," : "");
	}
	fputs(" ],\n \"album\": {\"input_i\": ", f);
	num(f, r->album_in_i);
	fputs(", \"input_lra\": ", f);
	num(f, r->album_in_lra);
	fputs(", \"output_i\": ", f);
	num(f, r->album_out_i);
	fputs(", \"output_lra\": ", f);
	num(f, r->album_out_lra);
	fprintf(
	    f,
	    "},\n \"passes\": %u, \"audio_seconds\": %.3f, \"wall_seconds\": %.3f, \"cpu_seconds\": %.3f, "
	    "\"speed\": %.1f}\n",
	    r->passes, r->audio_s, r->wall_s, r->cpu_s, r->wall_s > 0 ? r->audio_s / r->wall_s : 0.0);
}

/* ---- the plot ---- */

#define W  1000.0
#define H  420.0
#define X0 60.0
#define Y0 20.0
#define PW (W - X0 - 20.0)
#define PH (H - Y0 - 50.0)

static void polyline(FILE *f, const struct master_run *r, size_t total, double lo, double hi, int which,
                     const char *style)
{
	size_t at = 0;
	for (unsigned k = 0; k < r->n; k++) {
		/* 0: output momentary, 1: output short-term, 2: input short-term */
		const struct mastering_series *s = which == 2 ? &r->t[k].ser_in : &r->t[k].ser_out;
		const float *v = which == 0 ? s->m : s->s;
		fprintf(f, "<polyline %s points=\"", style);
		/* at most ~2 points a pixel: the plot stays small for long files */
		size_t step = total / 2000 + 1;
		for (size_t i = 0; i < s->n; i += step) {
			double y = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
			fprintf(f, "%.1f,%.1f ", X0 + PW * (double)(at + i) / (double)total,
			        Y0 + PH * (hi - y) / (hi - lo));
		}
		fputs("\"/>\n", f);
		at += s->n;
	}
}

int master_report_svg(const char *path, const struct master_run *r, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	size_t total = 0;
	for (unsigned k = 0; k < r->n; k++)
		total += r->t[k].ser_out.n;
	if (!total)
		total = 1;
	double hi = 0, lo = floor((r->target - 36) / 6) * 6;
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	        "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
	        "<title>jackmixd-master: loudness over time</title>\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
	        W, H, W, H);
	for (double y = lo; y <= hi + 1e-9; y += 6) {
		double py = Y0 + PH * (hi - y) / (hi - lo);
		fprintf(f,
		        "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		        "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n",
		        X0, py, X0 + PW, py, X0 - 6, py + 4, y);
	}
	double secs = (double)total / 10.0, tick = secs > 600 ? 60 : secs > 120 ? 30 : secs > 30 ? 10 : 1;
	for (double t = 0; t <= secs + 1e-9; t += tick) {
		double px = X0 + PW * t / secs;
		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n", px,
		        Y0 + PH + 16, t);
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">time, s</text>\n", X0 + PW / 2,
	        Y0 + PH + 34);
	fprintf(f,
	        "<text x=\"14\" y=\"%.0f\" transform=\"rotate(-90 14 %.0f)\" "
	        "text-anchor=\"middle\">LUFS</text>\n",
	        Y0 + PH / 2, Y0 + PH / 2);
	/* track boundaries */
	size_t at = 0;
	for (unsigned k = 0; k + 1 < r->n; k++) {
		at += r->t[k].ser_out.n;
		double px = X0 + PW * (double)at / (double)total;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#999\"/>\n", px,
		        Y0, px, Y0 + PH);
	}
	polyline(f, r, total, lo, hi, 2, "fill=\"none\" stroke=\"#bbb\" stroke-width=\"1.5\"");
	polyline(f, r, total, lo, hi, 0, "fill=\"none\" stroke=\"#7aa7d8\" stroke-width=\"0.8\"");
	polyline(f, r, total, lo, hi, 1, "fill=\"none\" stroke=\"#1a4f8a\" stroke-width=\"2\"");
	double ty = Y0 + PH * (hi - r->target) / (hi - lo);
	fprintf(f,
	        "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#2a2\" stroke-dasharray=\"6 "
	        "4\"/>\n",
	        X0, ty, X0 + PW, ty);
	/* true-peak overs: the output's 100 ms blocks above the ceiling */
	at = 0;
	unsigned overs = 0;
	for (unsigned k = 0; k < r->n; k++) {
		const struct mastering_series *s = &r->t[k].ser_out;
		for (size_t i = 0; i < s->n; i++)
			if (s->tp[i] > r->ceiling) {
				double px = X0 + PW * (double)(at + i) / (double)total;
				fprintf(f,
				        "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
				        "stroke=\"red\"/>\n",
				        px, Y0, px, Y0 + 8);
				overs++;
			}
		at += s->n;
	}
	fprintf(f,
	        "<text x=\"%.0f\" y=\"%.0f\" fill=\"#1a4f8a\">short-term</text>"
	        "<text x=\"%.0f\" y=\"%.0f\" fill=\"#7aa7d8\">momentary</text>"
	        "<text x=\"%.0f\" y=\"%.0f\" fill=\"#999\">input short-term</text>"
	        "<text x=\"%.0f\" y=\"%.0f\" fill=\"#2a2\">target %.1f LUFS</text>"
	        "<text x=\"%.0f\" y=\"%.0f\" fill=\"red\">true-peak overs of %.1f dBTP: %u</text>\n",
	        X0 + 10, Y0 + 14, X0 + 100, Y0 + 14, X0 + 190, Y0 + 14, X0 + 320, Y0 + 14, r->target,
	        X0 + 470, Y0 + 14, r->ceiling, overs);
	fputs("</svg>\n", f);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	char *d = strdup(path), *b = strdup(path);
	int rc = -1;
	if (d && b) {
		int dfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			snprintf(err, errlen, "%s: no such directory", path);
		else {
			rc = statefile_write_atomic(dfd, basename(b), buf, len, 1, err, errlen) == 0 ? 0 : -1;
			close(dfd);
		}
	}
	free(d);
	free(b);
	free(buf);
	return rc;
}
