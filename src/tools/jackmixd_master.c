/*
 * jackmixd_master.c - jackmixd-master: a stereo (or mono) file to a
 * loudness target through the console's own master chain, offline.
 *
 *   jackmixd-master IN.wav -o OUT.wav [--target LUFS] [--ceiling dBTP]
 *   jackmixd-master A.wav B.wav ... -o DIR [--per-track]
 *
 * It measures the input (libebur128), sets a loudness gain (the "drive",
 * after the EQ and compressor, before the true-peak limiter, like the
 * master fader), runs the chain, measures the output, and corrects the
 * gain (secant steps) and, if the measured true peak is over, the
 * limiter's ceiling, until the integrated loudness is within
 * MASTER_TOL LU of the target and the true peak at or below the ceiling.
 * The gain is one number per track (or per album): it never rides the
 * gain.  When the limiter has to take more than --max-limiting dB off to
 * get there, it refuses (exit 3) unless --force.
 *
 * Threads: one (the program's).  Exit status: 0 done, 1 a file or the
 * run failed, 2 bad options, 3 refused (--max-limiting).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "master_report.h"
#include "mastering.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

#define ME         "jackmixd-master"
#define MASTER_TOL 0.05 /* LU: the aim; the promise is 0.1 */
#define MAX_PASSES 10
#define MAX_INPUTS 256

static const struct preset {
	const char *name;
	double target, ceiling;
} presets[] = {
    {"streaming", -14, -1},
    {"apple", -16, -1},
    {"broadcast", -23, -1},
    {"podcast", -16, -1},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " ME " IN... -o OUT [options]\n"
	           "Master a stereo or mono file (or an album) to a loudness target with\n"
	           "jackmixd's master chain and true-peak limiter, faster than real time.\n\n"
	           "  -o, --output FILE|DIR     the result (a directory for several inputs)\n"
	           "  -t, --target LUFS         integrated loudness, -40..-5 (default -14)\n"
	           "  -c, --ceiling DBTP        true-peak ceiling, -20..0 (default -1)\n"
	           "  -P, --preset NAME         streaming (-14/-1), apple (-16/-1),\n"
	           "                            broadcast (-23/-1), podcast (-16/-1)\n"
	           "  -s, --state FILE          the chain (/master/... values) from a state or scene file\n"
	           "  -p, --param PATH=VALUE    one chain value, e.g. /master/comp/on=1 (repeatable)\n"
	           "  -m, --max-limiting DB     most limiter gain reduction allowed (default 6)\n"
	           "  -f, --force               go past --max-limiting\n"
	           "      --per-track           several inputs: each to the target (default: album,\n"
	           "                            one gain from the album's loudness)\n"
	           "  -j, --json                the report as JSON on stdout\n"
	           "      --plot FILE.svg       loudness over time, target line, true-peak overs\n"
	           "  -q, --quiet               no report\n"
	           "  -h, --help, -V, --version\n"
	           "Exit: 0 done, 1 failed, 2 bad options, 3 refused (--max-limiting).\n");
}

static int opt_num(const char *opt, const char *arg, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, ME ": %s: '%s' is not a number in %g..%g\n", opt, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char *out_name(const char *dir, const char *in)
{
	char *c = strdup(in), *p = NULL;
	if (c && asprintf(&p, "%s/%s", dir, basename(c)) < 0)
		p = NULL;
	free(c);
	return p;
}

/* Integrated loudness of a group (one track, or an album) and its worst
 * true peak and limiting. */
static double group_i(struct master_track *t, unsigned n, int out, double *lra)
{
	struct mastering_stats *v[MAX_INPUTS];
	for (unsigned k = 0; k < n; k++)
		v[k] = out ? &t[k].st_out : &t[k].st_in;
	double i, l;
	mastering_album(v, n, &i, &l);
	if (lra)
		*lra = l;
	return i;
}

static void drop_outputs(struct master_track *t, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		audiofile_close(t[k].out);
		t[k].out = NULL;
	}
}

/* One group (a track, or an album sharing one gain) to the target: passes
 * until on target with the true peak held.  0, 1 (failed: said why), 3
 * (refused: said why).  The outputs stay uncommitted. */
static int solve(struct master_run *run, struct master_track *t, unsigned n,
                 const struct mastering_chain *chain, int force, int plot)
{
	char err[512];
	double in_i = group_i(t, n, 0, NULL);
	if (!isfinite(in_i)) {
		fprintf(stderr, ME ": %s: nothing to measure (silence, or shorter than 400 ms)\n",
		        t[0].in_path);
		return 1;
	}
	double d = run->target - in_i, ceil_eff = run->ceiling, prev_d = NAN, prev_i = NAN, out_i = NAN,
	       tp = 0;
	for (unsigned pass = 1; pass <= MAX_PASSES; pass++) {
		double gr = 0;
		tp = -HUGE_VAL;
		for (unsigned k = 0; k < n; k++) {
			drop_outputs(&t[k], 1);
			mastering_stats_free(&t[k].st_out);
			mastering_series_free(&t[k].ser_out);
			t[k].out = audiofile_create(t[k].out_path, &t[k].out_info, err, sizeof err);
			if (!t[k].out) {
				fprintf(stderr, ME ": %s\n", err);
				return 1;
			}
			struct mastering_pass p = {t[k].in,
			                           t[k].info,
			                           chain,
			                           (float)d,
			                           (float)ceil_eff,
			                           t[k].out,
			                           plot ? &t[k].ser_out : NULL};
			if (mastering_run(&p, &t[k].st_out, err, sizeof err) < 0) {
				fprintf(stderr, ME ": %s: %s\n", t[k].in_path, err);
				return 1;
			}
			run->passes++;
			run->audio_s += t[k].st_out.seconds;
			t[k].drive_db = d;
			t[k].ceiling_db = ceil_eff;
			if (t[k].st_out.tp > tp)
				tp = t[k].st_out.tp;
			if (t[k].st_out.max_gr > gr)
				gr = t[k].st_out.max_gr;
		}
		out_i = group_i(t, n, 1, NULL);
		if (!isfinite(out_i)) {
			fprintf(stderr, ME ": %s: the output measures as silence\n", t[0].in_path);
			return 1;
		}
		/* More gain only means more limiting: once short of the target
		 * (or on it) with too much limiting, the answer is no. */
		if (gr > run->max_limiting && !force && out_i <= run->target + MASTER_TOL) {
			fprintf(
			    stderr,
			    ME
			    ": %s%s: reaching %.1f LUFS takes %.1f dB of limiter gain reduction, more than "
			    "--max-limiting %.1f dB: lower the target, tame the peaks (-p "
			    "/master/comp/on=1), "
			    "or --force\n",
			    t[0].in_path, n > 1 ? " (album)" : "", run->target, gr, run->max_limiting);
			return 3;
		}
		int on_target = fabs(out_i - run->target) <= MASTER_TOL, peak_ok = tp <= run->ceiling;
		if (on_target && peak_ok)
			return 0;
		if (!peak_ok) /* the limiter's detector under-read: lower its ceiling by the excess */
			ceil_eff = fmax(-20.0, ceil_eff - (tp - run->ceiling) - 0.01);
		/* the next gain: a secant step on (gain, loudness); the limiter
		 * makes the slope less than 1, never more, nor negative */
		double slope = 1.0;
		if (isfinite(prev_i) && fabs(d - prev_d) > 1e-6) {
			slope = (out_i - prev_i) / (d - prev_d);
			slope = slope < 0.1 ? 0.1 : slope > 1.0 ? 1.0 : slope;
		}
		prev_d = d;
		prev_i = out_i;
		d += (run->target - out_i) / slope;
		if (d > 60.0 || d < -90.0) {
			fprintf(stderr, ME ": %s: the target is out of reach (a gain of %+.0f dB)\n",
			        t[0].in_path, d);
			return 1;
		}
	}
	fprintf(stderr, ME ": %s: not on target after %u passes (I %.2f LUFS, TP %.2f dBTP)\n", t[0].in_path,
	        MAX_PASSES, out_i, tp);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"target", required_argument, NULL, 't'},
	    {"ceiling", required_argument, NULL, 'c'},
	    {"preset", required_argument, NULL, 'P'},
	    {"state", required_argument, NULL, 's'},
	    {"param", required_argument, NULL, 'p'},
	    {"max-limiting", required_argument, NULL, 'm'},
	    {"force", no_argument, NULL, 'f'},
	    {"per-track", no_argument, NULL, 'T'},
	    {"json", no_argument, NULL, 'j'},
	    {"plot", required_argument, NULL, 'G'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *output = NULL, *state = NULL, *plot = NULL, *params[64];
	unsigned nparams = 0;
	double target = NAN, ceiling = NAN, max_lim = 6.0;
	const struct preset *preset = NULL;
	int force = 0, per_track = 0, json = 0, quiet = 0, c;
	while ((c = getopt_long(argc, argv, "o:t:c:P:s:p:m:fjqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 't':
			if (opt_num("--target", optarg, -40, -5, &target) < 0)
				return 2;
			break;
		case 'c':
			if (opt_num("--ceiling", optarg, -20, 0, &ceiling) < 0)
				return 2;
			break;
		case 'P':
			preset = NULL;
			for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
				if (!strcmp(optarg, presets[i].name))
					preset = &presets[i];
			if (!preset) {
				fprintf(
				    stderr,
				    ME
				    ": --preset: '%s' is not one of streaming, apple, broadcast, podcast\n",
				    optarg);
				return 2;
			}
			break;
		case 's':
			state = optarg;
			break;
		case 'p':
			if (nparams == sizeof params / sizeof *params) {
				fprintf(stderr, ME ": --param: at most %zu\n",
				        sizeof params / sizeof *params);
				return 2;
			}
			params[nparams++] = optarg;
			break;
		case 'm':
			if (opt_num("--max-limiting", optarg, 0, 40, &max_lim) < 0)
				return 2;
			break;
		case 'f':
			force = 1;
			break;
		case 'T':
			per_track = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'G':
			plot = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(ME " %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	unsigned n = (unsigned)(argc - optind);
	if (n == 0) {
		fprintf(stderr, ME ": no input file\n");
		usage(stderr);
		return 2;
	}
	if (n > MAX_INPUTS) {
		fprintf(stderr, ME ": at most %u input files\n", MAX_INPUTS);
		return 2;
	}
	if (!output) {
		fprintf(stderr, ME ": --output: required (a file, or a directory for several inputs)\n");
		return 2;
	}
	if (n > 1 && !is_dir(output)) {
		fprintf(stderr, ME ": --output: '%s' must be an existing directory for %u inputs\n", output,
		        n);
		return 2;
	}
	/* the preset first, then what was given explicitly */
	if (!isfinite(target))
		target = preset ? preset->target : -14.0;
	if (!isfinite(ceiling))
		ceiling = preset ? preset->ceiling : -1.0;

	char err[512];
	struct mastering_chain chain;
	mastering_chain_defaults(&chain);
	if (state && mastering_chain_load(&chain, state, err, sizeof err) < 0) {
		fprintf(stderr, ME ": --state: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < nparams; i++)
		if (mastering_chain_assign(&chain, params[i], err, sizeof err) < 0) {
			fprintf(stderr, ME ": --param: %s\n", err);
			return 2;
		}

	struct master_track *t = calloc(n, sizeof *t);
	struct master_run run = {.t = t,
	                         .n = n,
	                         .album = n > 1 && !per_track,
	                         .target = target,
	                         .ceiling = ceiling,
	                         .max_limiting = max_lim};
	int rc = 1;
	double t0 = now_s();
	/* clock() counts from the start: the option parsing before is nothing */
	if (!t) {
		fprintf(stderr, ME ": out of memory\n");
		return 1;
	}
	for (unsigned k = 0; k < n; k++) {
		t[k].in_path = argv[optind + k];
		t[k].out_path = is_dir(output) ? out_name(output, t[k].in_path) : strdup(output);
		if (!t[k].out_path) {
			fprintf(stderr, ME ": out of memory\n");
			goto done;
		}
		for (unsigned j = 0; j < k; j++)
			if (!strcmp(t[j].out_path, t[k].out_path)) {
				fprintf(stderr, ME ": %s and %s would both be written to %s\n", t[j].in_path,
				        t[k].in_path, t[k].out_path);
				rc = 2;
				goto done;
			}
		if (same_file(t[k].in_path, t[k].out_path)) {
			fprintf(stderr, ME ": --output: %s is the input itself\n", t[k].out_path);
			rc = 2;
			goto done;
		}
		t[k].in = audiofile_open(t[k].in_path, 2, &t[k].info, err, sizeof err);
		if (!t[k].in) {
			fprintf(stderr, ME ": %s\n", err);
			goto done;
		}
		t[k].out_info = t[k].info;
		t[k].out_info.format = audiofile_format_for(t[k].out_path, &t[k].info);
		struct mastering_pass p = {t[k].in, t[k].info, NULL, 0, 0, NULL, plot ? &t[k].ser_in : NULL};
		if (mastering_run(&p, &t[k].st_in, err, sizeof err) < 0) {
			fprintf(stderr, ME ": %s: %s\n", t[k].in_path, err);
			goto done;
		}
		run.audio_s += t[k].st_in.seconds;
	}
	if (run.album) {
		rc = solve(&run, t, n, &chain, force, plot != NULL);
	} else {
		for (unsigned k = 0; k < n; k++)
			if ((rc = solve(&run, &t[k], 1, &chain, force, plot != NULL)) != 0)
				break;
	}
	if (rc != 0)
		goto done;
	for (unsigned k = 0; k < n; k++) {
		if (audiofile_commit(t[k].out, err, sizeof err) < 0) {
			fprintf(stderr, ME ": %s\n", err);
			rc = 1;
			goto done;
		}
	}
	run.album_in_i = group_i(t, n, 0, &run.album_in_lra);
	run.album_out_i = group_i(t, n, 1, &run.album_out_lra);
	run.wall_s = now_s() - t0;
	run.cpu_s = (double)clock() / CLOCKS_PER_SEC;
	if (plot && master_report_svg(plot, &run, err, sizeof err) < 0) {
		fprintf(stderr, ME ": --plot: %s\n", err);
		rc = 1;
		goto done;
	}
	if (json)
		master_report_json(stdout, &run);
	else if (!quiet)
		master_report_text(stdout, &run);
done:
	for (unsigned k = 0; k < n; k++) {
		audiofile_close(t[k].out);
		audiofile_close(t[k].in);
		mastering_stats_free(&t[k].st_in);
		mastering_stats_free(&t[k].st_out);
		mastering_series_free(&t[k].ser_in);
		mastering_series_free(&t[k].ser_out);
		free(t[k].out_path);
	}
	free(t);
	return rc;
}
