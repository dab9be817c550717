/*
 * rec_inspect.c - measures recorded files for the recorder's integration
 * scripts (rec-*.sh), independently of the daemon: libsndfile to read the
 * audio, wav_strict.h to check the header and read bext.
 *
 *   rec_inspect info [--open] FILE
 *       frames=N rate=R channels=C strict=ok|REASON bext=0|1
 *       i=LUFS lra=LU tp=DBTP max_m=LUFS max_s=LUFS (bext, "none" = 0x7FFF)
 *       --open: a file that was never closed (crash): the header may
 *       describe less audio than the file holds, never more
 *   rec_inspect onset FILE THRESHOLD
 *       onset=FRAME seconds=S  (first frame with |L| or |R| > THRESHOLD)
 *   rec_inspect compare A B
 *       offset=D matched=M unmatched=U resyncs=R: A's first 4096 frames
 *       found bit-exactly in B at frame D (-1 if nowhere); then frame by
 *       frame, M frames of A equal to B's, U not found in B; R times A's
 *       next 256 frames were found again elsewhere within 16384 frames
 *       (a period one of the two JACK clients missed: an xrun)
 *   rec_inspect tone FILE HZ RATE
 *       silent=N runs=R maxdev=X gapdev=Y: frames of exact digital silence
 *       (in runs of at least 32); the largest deviation of every other
 *       sample from one sinusoid of HZ fitted to the whole file (an xrun
 *       upstream breaks this too); and across each silent gap, of the 50 ms
 *       after it from the sinusoid fitted to the 50 ms before it, so audio
 *       after a gap that is a sample early or late shows up
 *   rec_inspect fit FILE CH RATE THR HZ...
 *       HZ=DBFS ... for channel CH (from 1): the peak level of each
 *       sinusoid, from one least-squares fit of all of them (and DC) at
 *       once, the median of 15 windows over the file without its first
 *       and last 0.2 s (xruns upstream spoil the windows they fall in, up
 *       to 7 of them, not the result; a window of a 3 s take still holds
 *       over a hundred cycles of the lowest tone);
 *       frames with |x| > THR, and 2 on either side, are left out (clicks).
 *       -200 stands for nothing at all
 *   rec_inspect align STEM SCH MASTER MCH LATENCY THR
 *       clicks=N aligned=M offsets=D,... stem_sign=S master_sign=S: every
 *       run of frames of STEM channel SCH with |x| > THR is a click at its
 *       first frame k; MASTER channel MCH must have its largest |x| within
 *       512 frames of k + LATENCY exactly there (offset 0); D are the
 *       offsets seen, S the signs (+ or -, the first click's)
 *
 * Threads: single-threaded test tool.  Exit status 0, or 1 on an error.
 */
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wav_strict.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static float *load(const char *path, SF_INFO *info)
{
	memset(info, 0, sizeof *info);
	SNDFILE *sf = sf_open(path, SFM_READ, info);
	if (!sf) {
		fprintf(stderr, "rec_inspect: %s: %s\n", path, sf_strerror(NULL));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	float *buf = malloc(cap * (size_t)info->channels * sizeof(float));
	sf_count_t got;
	while (buf &&
	       (got = sf_readf_float(sf, buf + n * (size_t)info->channels, (sf_count_t)(cap - n))) > 0) {
		n += (size_t)got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap * (size_t)info->channels * sizeof(float));
		}
	}
	info->frames = (sf_count_t)n;
	sf_close(sf);
	return buf;
}

static void print_bext(const char *name, int16_t v)
{
	if (v == 0x7FFF)
		printf(" %s=none", name);
	else
		printf(" %s=%.2f", name, v / 100.0);
}

static int cmd_info(const char *path, int open_take)
{
	SF_INFO info;
	struct wav w;
	float *x = load(path, &info);
	if (!x)
		return 1;
	free(x);
	int is_wav = (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV ||
	             (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAVEX ||
	             (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_RF64;
	int strict = is_wav ? wav_strict(path, &w, !open_take) : (memset(&w, 0, sizeof w), 0);
	printf("frames=%lld rate=%d channels=%d strict=%s bext=%d", (long long)info.frames, info.samplerate,
	       info.channels,
	       !is_wav       ? "n/a"
	       : strict == 0 ? "ok"
	                     : "bad",
	       w.have_bext);
	if (w.have_bext && w.bext_len >= BEXT_HISTORY) {
		print_bext("i", wav_bext_i16(&w, BEXT_LOUDNESS));
		print_bext("lra", wav_bext_i16(&w, BEXT_LRA));
		print_bext("tp", wav_bext_i16(&w, BEXT_TP));
		print_bext("max_m", wav_bext_i16(&w, BEXT_MAX_M));
		print_bext("max_s", wav_bext_i16(&w, BEXT_MAX_S));
	}
	printf("\n");
	if (strict)
		fprintf(stderr, "rec_inspect: %s: %s\n", path, w.why);
	return 0;
}

static int cmd_onset(const char *path, double thr)
{
	SF_INFO info;
	float *x = load(path, &info);
	if (!x)
		return 1;
	long long at = -1;
	for (long long i = 0; i < (long long)info.frames * info.channels; i++)
		if (fabs(x[i]) > thr) {
			at = i / info.channels;
			break;
		}
	printf("onset=%lld seconds=%.6f\n", at, at < 0 ? -1.0 : (double)at / info.samplerate);
	free(x);
	return 0;
}

static int frames_equal(const float *a, const float *b, long long n, int ch)
{
	return !memcmp(a, b, (size_t)n * (size_t)ch * sizeof(float));
}

static int cmd_compare(const char *pa, const char *pb)
{
	SF_INFO ia, ib;
	float *a = load(pa, &ia), *b = load(pb, &ib);
	if (!a || !b || ia.channels != ib.channels)
		return 1;
	int ch = ia.channels;
	long long na = ia.frames, nb = ib.frames, off = -1;
	const long long probe = na < 4096 ? na : 4096;
	for (long long d = 0; d + probe <= nb && off < 0; d++)
		if (frames_equal(a, b + d * ch, probe, ch))
			off = d;
	long long first = off, matched = 0, unmatched = 0, resyncs = 0;
	for (long long i = 0; off >= 0 && i < na;) {
		if (off + i < nb && frames_equal(a + i * ch, b + (off + i) * ch, 1, ch)) {
			matched++;
			i++;
			continue;
		}
		/* a cycle one client ran and the other missed (an xrun): find
		 * the next 256 frames of A near where they should be in B */
		long long p = na - i < 256 ? na - i : 256, found = -1;
		for (long long d = -16384; d <= 16384 && found < 0; d++) {
			long long at = off + i + d;
			if (d && at >= 0 && at + p <= nb && frames_equal(a + i * ch, b + at * ch, p, ch))
				found = off + d;
		}
		if (found >= 0) {
			off = found;
			resyncs++;
		} else {
			unmatched++;
			i++;
		}
	}
	if (first < 0)
		unmatched = na;
	printf("offset=%lld matched=%lld unmatched=%lld resyncs=%lld\n", first, matched, unmatched, resyncs);
	free(a);
	free(b);
	return 0;
}

/* Fit a*sin + b*cos of hz (phase from the frame index) to the non-silent
 * frames of [f0, f1) and return the largest deviation over [e0, e1). */
static double tone_fit_dev(const float *x, int ch, const unsigned char *silent, long long f0, long long f1,
                           long long e0, long long e1, double hz, double rate)
{
	double maxdev = 0;
	for (int c = 0; c < ch; c++) {
		double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
		for (long long i = f0; i < f1; i++) {
			if (silent[i])
				continue;
			double ph = 2 * M_PI * hz * (double)i / rate, s = sin(ph), co = cos(ph);
			ss += s * s, cc += co * co, sc += s * co;
			xs += x[i * ch + c] * s, xc += x[i * ch + c] * co;
		}
		double det = ss * cc - sc * sc;
		double a = det ? (xs * cc - xc * sc) / det : 0, b = det ? (xc * ss - xs * sc) / det : 0;
		for (long long i = e0; i < e1; i++) {
			if (silent[i])
				continue;
			double ph = 2 * M_PI * hz * (double)i / rate;
			double d = fabs(x[i * ch + c] - (a * sin(ph) + b * cos(ph)));
			if (d > maxdev)
				maxdev = d;
		}
	}
	return maxdev;
}

static int cmd_tone(const char *path, double hz, double rate)
{
	SF_INFO info;
	float *x = load(path, &info);
	if (!x)
		return 1;
	int ch = info.channels;
	long long n = info.frames;
	unsigned char *silent = calloc((size_t)n + 1, 1);
	long long nsilent = 0, runs = 0;
	for (long long i = 0; i < n;) {
		long long j = i;
		while (j < n) {
			int z = 1;
			for (int c = 0; c < ch; c++)
				z &= x[j * ch + c] == 0.0f;
			if (!z)
				break;
			j++;
		}
		if (j - i >= 32) {
			memset(silent + i, 1, (size_t)(j - i));
			nsilent += j - i;
			runs++;
		}
		i = j > i ? j : i + 1;
	}
	/* least-squares fit of a*sin + b*cos per channel over the audio frames
	 * (the frequency is known exactly: the test tone's) */
	double maxdev = tone_fit_dev(x, ch, silent, 0, n, 0, n, hz, rate);
	/* each gap on its own: the tone fitted just before it must go on just
	 * after it, so the silence stands exactly where the lost frames were
	 * (an xrun elsewhere in the file does not spoil this one) */
	double gapdev = 0;
	for (long long i = 1; i < n; i++) {
		if (!silent[i] || silent[i - 1])
			continue;
		long long end = i;
		while (end < n && silent[end])
			end++;
		long long w = 2400;
		if (i >= w && end + w <= n) {
			double d = tone_fit_dev(x, ch, silent, i - w, i, end, end + w, hz, rate);
			if (d > gapdev)
				gapdev = d;
		}
		i = end;
	}
	printf("silent=%lld runs=%lld maxdev=%.3g gapdev=%.3g\n", nsilent, runs, maxdev, gapdev);
	free(silent);
	free(x);
	return 0;
}

/* Solve the n x n system a x = b in place (partial pivoting).  -1 when
 * singular. */
static int solve(double *a, double *b, int n)
{
	for (int c = 0; c < n; c++) {
		int p = c;
		for (int i = c + 1; i < n; i++)
			if (fabs(a[i * n + c]) > fabs(a[p * n + c]))
				p = i;
		if (fabs(a[p * n + c]) < 1e-300)
			return -1;
		if (p != c) {
			for (int j = 0; j < n; j++) {
				double t = a[c * n + j];
				a[c * n + j] = a[p * n + j];
				a[p * n + j] = t;
			}
			double t = b[c];
			b[c] = b[p];
			b[p] = t;
		}
		for (int i = c + 1; i < n; i++) {
			double f = a[i * n + c] / a[c * n + c];
			for (int j = c; j < n; j++)
				a[i * n + j] -= f * a[c * n + j];
			b[i] -= f * b[c];
		}
	}
	for (int c = n - 1; c >= 0; c--) {
		for (int j = c + 1; j < n; j++)
			b[c] -= a[c * n + j] * b[j];
		b[c] /= a[c * n + c];
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define FIT_MAX     8
#define FIT_WINDOWS 15

static int cmd_fit(const char *path, int ch, double rate, double thr, const double *hz, int nhz)
{
	SF_INFO info;
	float *x = load(path, &info);
	if (!x || ch < 1 || ch > info.channels)
		return 1;
	const int nc = info.channels, nb = 1 + 2 * nhz;
	long long n = info.frames, skip = (long long)(0.2 * rate);
	if (n < 2 * skip + FIT_WINDOWS * 1000) {
		fprintf(stderr, "rec_inspect: %s: too short to fit (%lld frames)\n", path, n);
		return 1;
	}
	unsigned char *out = calloc((size_t)n, 1);
	for (long long i = 0; i < n; i++)
		if (fabs(x[i * nc + ch - 1]) > thr)
			for (long long j = i - 2; j <= i + 2; j++)
				if (j >= 0 && j < n)
					out[j] = 1;
	double amp[FIT_MAX][FIT_WINDOWS];
	long long wl = (n - 2 * skip) / FIT_WINDOWS;
	for (int w = 0; w < FIT_WINDOWS; w++) {
		double a[(1 + 2 * FIT_MAX) * (1 + 2 * FIT_MAX)] = {0}, b[1 + 2 * FIT_MAX] = {0},
		                                      v[1 + 2 * FIT_MAX];
		for (long long i = skip + w * wl; i < skip + (w + 1) * wl; i++) {
			if (out[i])
				continue;
			v[0] = 1.0;
			for (int k = 0; k < nhz; k++) {
				double ph = 2 * M_PI * hz[k] * (double)i / rate;
				v[1 + 2 * k] = sin(ph);
				v[2 + 2 * k] = cos(ph);
			}
			double y = x[i * nc + ch - 1];
			for (int r = 0; r < nb; r++) {
				b[r] += v[r] * y;
				for (int c = 0; c < nb; c++)
					a[r * nb + c] += v[r] * v[c];
			}
		}
		if (solve(a, b, nb) < 0) {
			fprintf(stderr, "rec_inspect: singular fit (frequencies too close?)\n");
			return 1;
		}
		for (int k = 0; k < nhz; k++)
			amp[k][w] = hypot(b[1 + 2 * k], b[2 + 2 * k]);
	}
	for (int k = 0; k < nhz; k++) {
		qsort(amp[k], FIT_WINDOWS, sizeof(double), cmp_double);
		double m = amp[k][FIT_WINDOWS / 2];
		printf("%s%g=%.4f", k ? " " : "", hz[k], m > 1e-10 ? 20 * log10(m) : -200.0);
	}
	printf("\n");
	free(out);
	free(x);
	return 0;
}

static int cmd_align(const char *stem, int sch, const char *master, int mch, long long lat, double thr)
{
	SF_INFO is, im;
	float *s = load(stem, &is), *m = load(master, &im);
	if (!s || !m || sch < 1 || sch > is.channels || mch < 1 || mch > im.channels)
		return 1;
	long long clicks = 0, aligned = 0;
	char ssign = '?', msign = '?';
	printf("offsets=");
	for (long long k = 0; k < is.frames; k++) {
		float v = s[k * is.channels + sch - 1];
		if (!(fabs(v) > thr) || (k > 0 && fabs(s[(k - 1) * is.channels + sch - 1]) > thr))
			continue;
		long long at = k + lat, best = -1;
		if (at + 512 >= im.frames)
			continue; /* too close to the end to look around it */
		double big = -1;
		for (long long j = at - 512; j <= at + 512; j++) {
			double a = j >= 0 ? fabs(m[j * im.channels + mch - 1]) : -1;
			if (a > big) {
				big = a;
				best = j;
			}
		}
		if (!clicks) {
			ssign = v < 0 ? '-' : '+';
			msign = m[best * im.channels + mch - 1] < 0 ? '-' : '+';
		}
		printf("%s%lld", clicks ? "," : "", best - at);
		clicks++;
		aligned += best == at;
	}
	printf(" clicks=%lld aligned=%lld stem_sign=%c master_sign=%c\n", clicks, aligned, ssign, msign);
	free(s);
	free(m);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "info"))
		return cmd_info(argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "info") && !strcmp(argv[2], "--open"))
		return cmd_info(argv[3], 1);
	if (argc == 4 && !strcmp(argv[1], "onset"))
		return cmd_onset(argv[2], atof(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "compare"))
		return cmd_compare(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "tone"))
		return cmd_tone(argv[2], atof(argv[3]), atof(argv[4]));
	if (argc >= 7 && argc <= 6 + FIT_MAX && !strcmp(argv[1], "fit")) {
		double hz[FIT_MAX];
		for (int k = 6; k < argc; k++)
			hz[k - 6] = atof(argv[k]);
		return cmd_fit(argv[2], atoi(argv[3]), atof(argv[4]), atof(argv[5]), hz, argc - 6);
	}
	if (argc == 8 && !strcmp(argv[1], "align"))
		return cmd_align(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), atoll(argv[6]),
		                 atof(argv[7]));
	fprintf(stderr,
	        "usage: rec_inspect info [--open] FILE | onset FILE THR | compare A B | tone FILE HZ RATE |\n"
	        "       fit FILE CH RATE THR HZ... | align STEM SCH MASTER MCH LATENCY THR\n");
	return 1;
}
