/*
 * test_ctl_view.c - jackmixctl's status screen and live meters table
 * without a daemon or a terminal: ctl_store and ctl_view (src/tools/)
 * render fixed data at fixed widths, so every figure is known.
 *
 * Checks: the bar's cells against round((dB + 60) / 60 * cells) worked
 * out here; the bar's width from the screen's (80 columns: 31 cells);
 * no line over the width at any width from 20 to 200 columns; the rows
 * (name cut to 12, fader dB, mute and solo flags, the peak and the
 * gain reductions) and "?" for what the store lacks; sections without
 * data left out; the ANSI frame (cursor up by the last frame's lines,
 * each line cleared to its end, the rest below cleared, cut at the
 * terminal's height); which addresses the view keeps; meters merged as
 * maxima until the store settles.
 *
 * Threads: single-threaded.
 */
#include <string.h>

#include "ctl_store.h"
#include "ctl_view.h"
#include "test_util.h"

static char screen[1 << 16], frame[1 << 17];

static void put1(struct ctl_store *st, const char *path, float v)
{
	CHECK(ctl_store_put(st, path, 1, &v, NULL, 0) == 0, "put %s", path);
}

/* The line of screen that starts with prefix (NULL if none), copied. */
static const char *line_of(const char *scr, const char *prefix)
{
	static char line[1024];
	for (const char *s = scr; *s;) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (strncmp(s, prefix, strlen(prefix)) == 0) {
			memcpy(line, s, n < sizeof line ? n : sizeof line - 1);
			line[n < sizeof line ? n : sizeof line - 1] = 0;
			return line;
		}
		s += n + (e != NULL);
	}
	return NULL;
}

static unsigned count_char(const char *s, char c)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The bar of a row: the text between its two '|'. */
static unsigned bar_fill(const char *row, unsigned *width)
{
	const char *a = strchr(row, '|'), *b = a ? strchr(a + 1, '|') : NULL;
	char bar[256] = "";
	if (a && b && (size_t)(b - a - 1) < sizeof bar)
		memcpy(bar, a + 1, (size_t)(b - a - 1));
	*width = (unsigned)strlen(bar);
	return count_char(bar, '#');
}

static void test_bar(void)
{
	static const float dbs[] = {-90, -60, -59, -45.5f, -30, -12, -6, -0.5f, 0, 3};
	for (unsigned cells = 8; cells <= 60; cells++)
		for (unsigned k = 0; k < sizeof dbs / sizeof dbs[0]; k++) {
			double x = ((double)dbs[k] + 60.0) / 60.0 * cells;
			unsigned want = x <= 0 ? 0 : x >= cells ? cells : (unsigned)floor(x + 0.5);
			CHECK(ctl_view_bar_cells(dbs[k], cells) == want, "%g dB over %u cells: %u, want %u",
			      (double)dbs[k], cells, ctl_view_bar_cells(dbs[k], cells), want);
		}
	CHECK(ctl_view_bar_cells(NAN, 20) == 0, "NaN fills the bar");
	/* 80 columns: the row's 49 fixed columns leave 31 for the bar */
	CHECK(ctl_view_bar_width(80) == 31, "bar at 80 columns: %u", ctl_view_bar_width(80));
	CHECK(ctl_view_bar_width(20) == 8 && ctl_view_bar_width(500) == 60, "bar limits: %u %u",
	      ctl_view_bar_width(20), ctl_view_bar_width(500));
}

static void test_screen(void)
{
	struct ctl_store *st = ctl_store_new(256);
	struct ctl_view_info info = {1, "mix", "9.9", 3, 1, 48000, 256};
	struct ctl_view_rec rec = {1, 1, "take.wav", 3723.4, 5, 12300000000LL, "wav/24"};
	float meter[2] = {-12.0f, -15.0f};
	CHECK(ctl_store_put(st, "/ch/1/name", 0, NULL, "A very long channel name", 0) == 0, "name");
	put1(st, "/ch/1/fader/db", -6.0f);
	put1(st, "/ch/1/mute", 1);
	put1(st, "/ch/1/solo", 0);
	CHECK(ctl_store_put(st, "/ch/1/meter", 2, meter, NULL, 1) == 0, "meter");
	put1(st, "/ch/1/gate/gr", 0);
	put1(st, "/ch/1/dyn/gr", 4.25f);
	/* channel 2: fader only (mute, solo, meter unknown); channel 3: nothing */
	put1(st, "/ch/2/fader/db", -90.0f);
	put1(st, "/master/fader/db", 0.0f);
	put1(st, "/master/meter", -3.0f);
	put1(st, "/master/loudness/i", -23.0f);

	unsigned n = ctl_view_render(screen, sizeof screen, st, &info, &rec, 80);
	/* title, channel header, 2 rows, master header and row, loudness,
	 * recorder; no bus section (nothing of it) */
	CHECK(n == 8, "%u lines:\n%s", n, screen);
	CHECK(count_char(screen, '\n') == n, "lines counted %u, returned %u", count_char(screen, '\n'), n);
	CHECK(line_of(screen, "bus") == NULL, "a bus section without data:\n%s", screen);
	CHECK(line_of(screen, "  3 ") == NULL, "a row for channel 3 without data");
	const char *r = line_of(screen, "  1 ");
	/* the name cut to 12 columns, the fader, mute and solo */
	CHECK(r && strncmp(r, "  1 A very long    -6.0 M - |", 29) == 0, "name, fader, flags: '%s'",
	      r ? r : "");
	unsigned w = 0, fill = r ? bar_fill(r, &w) : 0;
	/* -12 dBFS over 31 cells: 48/60 * 31 = 24.8 -> 25 */
	CHECK(w == 31 && fill == 25, "bar %u of %u cells: '%s'", fill, w, r ? r : "");
	CHECK(r && strstr(r, "|  -12.0   0.0   4.2") != NULL, "peak and gain reductions: '%s'", r ? r : "");
	r = line_of(screen, "  2 ");
	CHECK(r && strstr(r, "  -inf ? ? |") && strstr(r, "|      ?     ?     ?"), "unknowns: '%s'",
	      r ? r : "");
	r = line_of(screen, "    master");
	CHECK(r && bar_fill(r, &w) == 29, "master bar at -3 dBFS: '%s'", r ? r : ""); /* 57/60*31 = 29.45 */
	r = line_of(screen, "loudness");
	CHECK(r && strstr(r, "I -23.0 LUFS") && strstr(r, "M ? "), "loudness: '%s'", r ? r : "");
	r = line_of(screen, "recorder");
	CHECK(r && strstr(r, "REC take.wav  1:02:03  dropped 5 frames  12.3 GB free"), "recorder: '%s'",
	      r ? r : "");
	const char *title = "mix (jackmixd 9.9)  3 channels, 1 buses, 48000 Hz, period 256\n";
	CHECK(strncmp(screen, title, strlen(title)) == 0, "title: '%.70s'", screen);

	/* no line over the width, whatever the width; the bar takes the rest */
	for (unsigned width = 20; width <= 200; width++) {
		ctl_view_render(screen, sizeof screen, st, &info, &rec, width);
		for (const char *s = screen; *s;) {
			const char *e = strchr(s, '\n');
			CHECK(e && (unsigned)(e - s) <= width, "width %u: a line of %u", width,
			      e ? (unsigned)(e - s) : 0);
			if (!e)
				break;
			s = e + 1;
		}
		r = line_of(screen, "  1 ");
		unsigned bw = ctl_view_bar_width(width);
		if (r && width >= 49 + bw + 2) {
			fill = bar_fill(r, &w);
			unsigned want = (unsigned)floor(48.0 / 60.0 * bw + 0.5);
			CHECK(w == bw && fill == want, "width %u: bar %u/%u, want %u/%u", width, fill, w,
			      want, bw);
		}
	}
	ctl_store_free(st);
}

static void test_frame(void)
{
	const char *scr = "one\ntwo\nthree\n";
	unsigned n = ctl_view_frame(frame, sizeof frame, scr, 0, 0);
	CHECK(n == 3 && strcmp(frame, "one\033[K\ntwo\033[K\nthree\033[K\n\033[J") == 0,
	      "first frame: %u '%s'", n, frame);
	n = ctl_view_frame(frame, sizeof frame, scr, 5, 0);
	CHECK(n == 3 && strcmp(frame, "\r\033[5Aone\033[K\ntwo\033[K\nthree\033[K\n\033[J") == 0,
	      "redraw over 5 lines: '%s'", frame);
	n = ctl_view_frame(frame, sizeof frame, scr, 3, 2);
	CHECK(n == 2 && strcmp(frame, "\r\033[3Aone\033[K\ntwo\033[K\n\033[J") == 0, "cut at 2 lines: '%s'",
	      frame);
}

static void test_wants_and_store(void)
{
	static const char *const yes[] = {"/ch/3/fader/db", "/ch/12/name",        "/ch/1/meter",
	                                  "/ch/1/dyn/gr",   "/bus/2/meter",       "/bus/2/mute",
	                                  "/master/meter",  "/master/limiter/gr", "/master/loudness/lra"};
	static const char *const no[] = {"/ch/3/fader",    "/ch/3/fader/text",      "/ch/1/meter/norm",
	                                 "/ch/1/eq/1/db",  "/ch/1/send/1/level/db", "/ch/x/mute",
	                                 "/ch//mute",      "/bus/1/solo",           "/master/name",
	                                 "/record/status", "/ch/1/mute/toggle",     "/master/fader"};
	for (unsigned k = 0; k < sizeof yes / sizeof yes[0]; k++)
		CHECK(ctl_view_wants(yes[k]), "%s not kept", yes[k]);
	for (unsigned k = 0; k < sizeof no / sizeof no[0]; k++)
		CHECK(!ctl_view_wants(no[k]), "%s kept", no[k]);

	struct ctl_store *st = ctl_store_new(4);
	float a[2] = {-10, -20}, b[2] = {-30, -5}, c[2] = {-40, -50};
	ctl_store_put(st, "/ch/1/meter", 2, a, NULL, 1);
	ctl_store_put(st, "/ch/1/meter", 2, b, NULL, 1);
	const struct ctl_val *v = ctl_store_get(st, "/ch/1/meter");
	CHECK(v && v->f[0] == -10 && v->f[1] == -5, "max merge: %g %g", v ? (double)v->f[0] : 0,
	      v ? (double)v->f[1] : 0);
	ctl_store_settle(st);
	ctl_store_put(st, "/ch/1/meter", 2, c, NULL, 1);
	CHECK(v->f[0] == -40 && v->f[1] == -50, "after settle: %g %g", (double)v->f[0], (double)v->f[1]);
	/* capacity 4: 16 slots, at most 8 paths; more are refused, not lost */
	char path[32];
	int refused = 0;
	for (int k = 0; k < 20; k++) {
		snprintf(path, sizeof path, "/ch/%d/mute", k + 2);
		refused += ctl_store_put(st, path, 1, a, NULL, 0) < 0;
	}
	CHECK(ctl_store_count(st) == 8 && refused == 13, "full store: %u kept, %d refused",
	      ctl_store_count(st), refused);
	CHECK(ctl_store_get(st, "/ch/1/meter") == v, "a full store lost a value");
	ctl_store_free(st);
}

int main(void)
{
	test_bar();
	test_screen();
	test_frame();
	test_wants_and_store();
	return test_exit("test_ctl_view");
}
