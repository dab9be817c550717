/*
 * ctl_view.h - jackmixctl's console at a glance: the status screen (a
 * row per channel, bus and the master, loudness, the recorder) rendered
 * from a ctl_store into text of a given width, and the ANSI frame that
 * redraws it in place; see ctl_view.c.
 */
#ifndef JMX_CTL_VIEW_H
#define JMX_CTL_VIEW_H

#include <stddef.h>

#include "ctl_store.h"

/* The peak meter bar's scale, dBFS. */
#define CTL_VIEW_BAR_LO  (-60.0f)
#define CTL_VIEW_BAR_HI  0.0f
#define CTL_VIEW_BAR_MIN 8u
#define CTL_VIEW_BAR_MAX 60u
/* A channel row without its bar: ctl_view.c's row format. */
#define CTL_VIEW_ROW_FIXED 49u

struct ctl_view_info {
	int have; /* /info answered */
	char name[64], version[32];
	int channels, buses, rate, period;
};

struct ctl_view_rec {
	int have; /* /record/status answered */
	int active;
	char file[96];
	double seconds;
	long long dropped, disk_free;
	char format[24];
};

/* Is path one of the addresses the screen shows (so worth storing)? */
int ctl_view_wants(const char *path);

/* The bar's cells for a peak of db: round((db - LO) / (HI - LO) * cells),
 * clamped to 0..cells. */
unsigned ctl_view_bar_cells(float db, unsigned cells);

/* The bar's width for a screen of width columns. */
unsigned ctl_view_bar_width(unsigned width);

/* The screen, '\n'-terminated lines of at most width columns (ASCII),
 * into out (always terminated); returns the number of lines.  Rows only
 * for strips the store has something of. */
unsigned ctl_view_render(char *out, size_t len, const struct ctl_store *st, const struct ctl_view_info *info,
                         const struct ctl_view_rec *rec, unsigned width);

/* The bytes that replace the prev_lines lines drawn last (0: none) with
 * screen, in place: cursor up, each line cleared to its end, what is left
 * below cleared; at most max_lines lines of screen (0: all), so a screen
 * taller than the terminal does not scroll.  Returns the lines drawn. */
unsigned ctl_view_frame(char *out, size_t len, const char *screen, unsigned prev_lines, unsigned max_lines);

#endif
