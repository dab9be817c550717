/*
 * ctl_view.c - jackmixctl's console at a glance: the status screen
 * rendered from what ctl_store holds (names, faders, mutes, solos, peak
 * meters, gain reduction, loudness) and the recorder's status, into
 * plain ASCII text of a given width; and the ANSI frame (cursor up, clear
 * to end of line, clear below) that redraws it in place for the live
 * meters table.  No I/O: `status' prints one screen, `meters' on a
 * terminal prints frames, and test_ctl_view renders fixed data at fixed
 * widths.
 *
 * Threads: jackmixctl has one.  (No ASSERT_ROLE: role.h's contract is
 * the daemon's, and jackmixctl links liblo only.)
 *
 * Invariants: every line is at most `width' columns (longer ones are
 * cut), so a screen never wraps and a redraw's cursor-up count is exact;
 * a value the store lacks shows as "?", never as a made-up number.
 */
#include "ctl_view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* What a row shows of each kind of strip (after "/ch/N/", "/bus/N/",
 * "/master/"), space-separated. */
static const char ctl_view_ch_shows[] = " name fader/db mute solo meter gate/gr dyn/gr ";
static const char ctl_view_bus_shows[] = " name fader/db mute meter ";
static const char ctl_view_master_shows[] =
    " fader/db mute meter comp/gr limiter/gr loudness/m loudness/s loudness/i loudness/lra loudness/tp ";

static int ctl_view_listed(const char *list, const char *rest)
{
	char word[CTL_STORE_PATH + 2];
	if (!*rest || strchr(rest, ' ') || strlen(rest) >= CTL_STORE_PATH)
		return 0;
	snprintf(word, sizeof word, " %s ", rest);
	return strstr(list, word) != NULL;
}

int ctl_view_wants(const char *path)
{
	const char *list, *rest;
	if (strncmp(path, "/master/", 8) == 0)
		return ctl_view_listed(ctl_view_master_shows, path + 8);
	if (strncmp(path, "/ch/", 4) == 0) {
		list = ctl_view_ch_shows;
		rest = path + 4;
	} else if (strncmp(path, "/bus/", 5) == 0) {
		list = ctl_view_bus_shows;
		rest = path + 5;
	} else {
		return 0;
	}
	const char *d = rest;
	while (*d >= '0' && *d <= '9')
		d++;
	return d > rest && *d == '/' && ctl_view_listed(list, d + 1);
}

unsigned ctl_view_bar_cells(float db, unsigned cells)
{
	if (!(db > CTL_VIEW_BAR_LO)) /* NaN too */
		return 0;
	if (db >= CTL_VIEW_BAR_HI)
		return cells;
	double c =
	    floor((double)(db - CTL_VIEW_BAR_LO) / (double)(CTL_VIEW_BAR_HI - CTL_VIEW_BAR_LO) * cells + 0.5);
	return c > cells ? cells : (unsigned)c;
}

unsigned ctl_view_bar_width(unsigned width)
{
	unsigned bar = width > CTL_VIEW_ROW_FIXED ? width - CTL_VIEW_ROW_FIXED : 0;
	if (bar < CTL_VIEW_BAR_MIN)
		bar = CTL_VIEW_BAR_MIN;
	if (bar > CTL_VIEW_BAR_MAX)
		bar = CTL_VIEW_BAR_MAX;
	return bar;
}

struct ctl_view_out {
	char *p;
	size_t len, used;
	unsigned width, lines;
};

/* One line, cut at the width. */
static void ctl_view_line(struct ctl_view_out *o, const char *line)
{
	size_t n = strlen(line);
	if (n > o->width)
		n = o->width;
	while (n && line[n - 1] == ' ')
		n--;
	if (o->used + n + 2 > o->len)
		return;
	memcpy(o->p + o->used, line, n);
	o->used += n;
	o->p[o->used++] = '\n';
	o->p[o->used] = 0;
	o->lines++;
}

static const struct ctl_val *ctl_view_get(const struct ctl_store *st, const char *base, const char *suffix)
{
	char path[CTL_STORE_PATH + 16];
	snprintf(path, sizeof path, "%s%s", base, suffix);
	return ctl_store_get(st, path);
}

static void ctl_view_num(char *out, size_t len, const struct ctl_val *v, float off, const char *fmt)
{
	if (!v || v->nf < 1 || !isfinite(v->f[0]))
		snprintf(out, len, "?");
	else if (v->f[0] <= off)
		snprintf(out, len, "-inf");
	else
		snprintf(out, len, fmt, (double)v->f[0]);
}

static char ctl_view_flag(const struct ctl_val *v, char on)
{
	if (!v || v->nf < 1)
		return '?';
	return v->f[0] > 0.5f ? on : '-';
}

/* A strip's row: number, name, fader, mute, solo, peak bar and value,
 * two gain reductions.  Returns 0 when the store has nothing of it. */
static int ctl_view_strip(struct ctl_view_out *o, const struct ctl_store *st, const char *base,
                          const char *num, const char *name, int has_solo, const char *gr1, const char *gr2,
                          unsigned bar)
{
	const struct ctl_val *nm = name ? NULL : ctl_view_get(st, base, "/name");
	const struct ctl_val *fd = ctl_view_get(st, base, "/fader/db");
	const struct ctl_val *mu = ctl_view_get(st, base, "/mute");
	const struct ctl_val *so = has_solo ? ctl_view_get(st, base, "/solo") : NULL;
	const struct ctl_val *me = ctl_view_get(st, base, "/meter");
	const struct ctl_val *g1 = gr1 ? ctl_view_get(st, base, gr1) : NULL;
	const struct ctl_val *g2 = gr2 ? ctl_view_get(st, base, gr2) : NULL;
	if (!nm && !fd && !mu && !so && !me && !g1 && !g2)
		return 0;
	char fader[16], peak[16], r1[16], r2[16], cells[CTL_VIEW_BAR_MAX + 1], line[512];
	ctl_view_num(fader, sizeof fader, fd, -90.0f, "%.1f");
	ctl_view_num(peak, sizeof peak, me, -100.0f, "%.1f");
	if (gr1)
		ctl_view_num(r1, sizeof r1, g1, -1.0f, "%.1f");
	else
		r1[0] = 0;
	if (gr2)
		ctl_view_num(r2, sizeof r2, g2, -1.0f, "%.1f");
	else
		r2[0] = 0;
	unsigned fill = me && me->nf >= 1 ? ctl_view_bar_cells(me->f[0], bar) : 0;
	for (unsigned k = 0; k < bar; k++)
		cells[k] = !me || me->nf < 1 ? ' ' : k < fill ? '#' : '-';
	cells[bar] = 0;
	snprintf(line, sizeof line, "%3s %-12.12s %6s %c %c |%s| %6s %5s %5s", num,
	         name                 ? name
	         : nm && nm->has_text ? nm->text
	                              : "?",
	         fader, ctl_view_flag(mu, 'M'), has_solo ? ctl_view_flag(so, 'S') : ' ', cells, peak, r1, r2);
	ctl_view_line(o, line);
	return 1;
}

/* "|peak dBFS -60 .. 0|" spread over the bar's width, for the headers. */
static void ctl_view_scale(char *out, unsigned bar)
{
	char lo[8], hi[8];
	snprintf(lo, sizeof lo, "%.0f", (double)CTL_VIEW_BAR_LO);
	snprintf(hi, sizeof hi, "%.0f", (double)CTL_VIEW_BAR_HI);
	memset(out, ' ', bar);
	out[bar] = 0;
	size_t nl = strlen(lo), nh = strlen(hi);
	if (bar >= nl + nh + 1) {
		memcpy(out, lo, nl);
		memcpy(out + bar - nh, hi, nh);
	}
	const char *t = "dBFS";
	if (bar >= nl + nh + 8)
		memcpy(out + (bar - 4) / 2, t, 4);
}

static void ctl_view_header(struct ctl_view_out *o, const char *num, const char *what, const char *solo,
                            const char *gr1, const char *gr2, unsigned bar)
{
	char scale[CTL_VIEW_BAR_MAX + 1], line[512];
	ctl_view_scale(scale, bar);
	snprintf(line, sizeof line, "%3s %-12.12s %6s %c %s |%s| %6s %5s %5s", num, what, "fader", 'M', solo,
	         scale, "peak", gr1, gr2);
	ctl_view_line(o, line);
}

static void ctl_view_loudness(struct ctl_view_out *o, const struct ctl_store *st)
{
	const struct ctl_val *m = ctl_store_get(st, "/master/loudness/m");
	const struct ctl_val *s = ctl_store_get(st, "/master/loudness/s");
	const struct ctl_val *i = ctl_store_get(st, "/master/loudness/i");
	const struct ctl_val *lra = ctl_store_get(st, "/master/loudness/lra");
	const struct ctl_val *tp = ctl_store_get(st, "/master/loudness/tp");
	if (!m && !s && !i && !lra && !tp)
		return;
	char vm[16], vs[16], vi[16], vl[16], vt[16], line[256];
	ctl_view_num(vm, sizeof vm, m, -120.0f, "%.1f");
	ctl_view_num(vs, sizeof vs, s, -120.0f, "%.1f");
	ctl_view_num(vi, sizeof vi, i, -120.0f, "%.1f");
	ctl_view_num(vl, sizeof vl, lra, -1.0f, "%.1f");
	ctl_view_num(vt, sizeof vt, tp, -120.0f, "%.1f");
	snprintf(line, sizeof line, "loudness  M %s  S %s  I %s LUFS  LRA %s LU  TP %s dBTP", vm, vs, vi, vl,
	         vt);
	ctl_view_line(o, line);
}

static void ctl_view_bytes(char *out, size_t len, long long b)
{
	if (b < 0)
		snprintf(out, len, "?");
	else if (b >= 1000000000LL)
		snprintf(out, len, "%.1f GB", (double)b / 1e9);
	else
		snprintf(out, len, "%.0f MB", (double)b / 1e6);
}

static void ctl_view_recorder(struct ctl_view_out *o, const struct ctl_view_rec *rec)
{
	char line[256], fr[32];
	ctl_view_bytes(fr, sizeof fr, rec->disk_free);
	if (rec->active) {
		long t = (long)rec->seconds;
		snprintf(line, sizeof line, "recorder  REC %s  %ld:%02ld:%02ld  dropped %lld frames  %s free",
		         rec->file, t / 3600, t / 60 % 60, t % 60, rec->dropped, fr);
	} else {
		snprintf(line, sizeof line, "recorder  stopped  next take %s%s%s", rec->format,
		         rec->file[0] ? "  last " : "", rec->file);
	}
	ctl_view_line(o, line);
}

unsigned ctl_view_render(char *out, size_t len, const struct ctl_store *st, const struct ctl_view_info *info,
                         const struct ctl_view_rec *rec, unsigned width)
{
	struct ctl_view_out o = {out, len, 0, width, 0};
	unsigned bar = ctl_view_bar_width(width);
	char line[512], base[32], num[16];
	if (len)
		out[0] = 0;
	if (info && info->have) {
		snprintf(line, sizeof line, "%s (jackmixd %s)  %d channels, %d buses, %d Hz, period %d",
		         info->name, info->version, info->channels, info->buses, info->rate, info->period);
		ctl_view_line(&o, line);
	}
	int channels = info && info->have ? info->channels : 0;
	int buses = info && info->have ? info->buses : 0;
	unsigned mark = o.lines;
	size_t mark_used = o.used;
	ctl_view_header(&o, "ch", "name", "S", "gate", "comp", bar);
	int rows = 0;
	for (int c = 1; c <= channels; c++) {
		snprintf(base, sizeof base, "/ch/%d", c);
		snprintf(num, sizeof num, "%d", c);
		rows += ctl_view_strip(&o, st, base, num, NULL, 1, "/gate/gr", "/dyn/gr", bar);
	}
	if (!rows) { /* no channel under the prefix: no header either */
		o.lines = mark;
		o.used = mark_used;
		if (len)
			out[o.used] = 0;
	}
	mark = o.lines;
	mark_used = o.used;
	ctl_view_header(&o, "bus", "name", " ", "", "", bar);
	rows = 0;
	for (int b = 1; b <= buses; b++) {
		snprintf(base, sizeof base, "/bus/%d", b);
		snprintf(num, sizeof num, "%d", b);
		rows += ctl_view_strip(&o, st, base, num, NULL, 0, NULL, NULL, bar);
	}
	if (!rows) {
		o.lines = mark;
		o.used = mark_used;
		if (len)
			out[o.used] = 0;
	}
	mark = o.lines;
	mark_used = o.used;
	ctl_view_header(&o, "", "", " ", "comp", "lim", bar);
	if (!ctl_view_strip(&o, st, "/master", "", "master", 0, "/comp/gr", "/limiter/gr", bar)) {
		o.lines = mark;
		o.used = mark_used;
		if (len)
			out[o.used] = 0;
	}
	ctl_view_loudness(&o, st);
	if (rec && rec->have)
		ctl_view_recorder(&o, rec);
	return o.lines;
}

unsigned ctl_view_frame(char *out, size_t len, const char *screen, unsigned prev_lines, unsigned max_lines)
{
	size_t used = 0;
	unsigned lines = 0;
	int n;
	if (!len)
		return 0;
	out[0] = 0;
	if (prev_lines) {
		n = snprintf(out, len, "\r\033[%uA", prev_lines);
		used = n > 0 && (size_t)n < len ? (size_t)n : 0;
	}
	for (const char *s = screen; *s && (!max_lines || lines < max_lines);) {
		const char *e = strchr(s, '\n');
		size_t ln = e ? (size_t)(e - s) : strlen(s);
		if (used + ln + 5 >= len)
			break;
		memcpy(out + used, s, ln);
		used += ln;
		memcpy(out + used, "\033[K\n", 4);
		used += 4;
		lines++;
		s += ln + (e != NULL);
	}
	if (used + 4 < len) {
		memcpy(out + used, "\033[J", 3); /* a shorter screen than last time */
		used += 3;
	}
	out[used] = 0;
	return lines;
}
