/*
 * master_report.h - jackmixd-master's report: text, JSON, and the SVG plot
 * of momentary and short-term loudness over time with the target line and
 * true-peak overs.
 *
 * Threads: the program's one thread.
 */
#ifndef JMX_MASTER_REPORT_H
#define JMX_MASTER_REPORT_H

#include <stdio.h>

#include "mastering.h"

struct master_track {
	const char *in_path;
	char *out_path;
	struct audiofile *in, *out;           /* out: the last pass's file, until committed */
	struct audiofile_info info, out_info; /* out_info: the output's format */
	struct mastering_stats st_in, st_out;
	struct mastering_series ser_in, ser_out;
	double drive_db;   /* the loudness gain applied */
	double ceiling_db; /* the limiter ceiling it took to hold the true peak */
};

struct master_run {
	struct master_track *t;
	unsigned n;
	int album;              /* one gain for all */
	double target, ceiling; /* LUFS, dBTP */
	double max_limiting;    /* dB */
	double album_in_i, album_out_i, album_in_lra, album_out_lra;
	unsigned passes;        /* chain passes, all tracks */
	double audio_s, wall_s; /* audio processed (every pass) and time taken */
	double cpu_s;           /* processor time taken */
};

void master_report_text(FILE *f, const struct master_run *r);
void master_report_json(FILE *f, const struct master_run *r);
/* The plot, written atomically.  0, or -1 with why. */
int master_report_svg(const char *path, const struct master_run *r, char *err, size_t errlen);

#endif
