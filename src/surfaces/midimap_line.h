/*
 * midimap_line.h - one line of the MIDI mapping file (midimap.h gives the
 * format): parse it into a mapping, format a mapping back, and the
 * parameter paths a mapping names.
 *
 * Threads: control thread only (and the offline tests).
 */
#ifndef JMX_MIDIMAP_LINE_H
#define JMX_MIDIMAP_LINE_H

#include <stddef.h>

#include "midimap.h"
#include "model.h"

#define MIDIMAP_LINE_MAX_TOK 16 /* words of a line */

/* Split a line into at most MIDIMAP_LINE_MAX_TOK blank-separated words (in
 * place; a '#' starts a comment).  The count, or -1 for too many. */
int midimap_line_split(char *line, char **tok);
/* The options after a mapping's path (range, taper, pickup, toggle,
 * momentary, bank N) onto s, checked against its kind.  0, or -1 with a
 * reason in why. */
int midimap_line_options(const struct model *m, struct midimap_spec *s, char **tok, unsigned n, char *why,
                         size_t whylen);
/* Parse one line (modified in place: split into tokens) into s.  1: a
 * mapping; 0: blank or a comment; -1: why says what is wrong. */
int midimap_line_parse(const struct model *m, char *line, struct midimap_spec *s, char *why, size_t whylen);
/* The line of a mapping, as midimap_line_parse reads it back.  Its length,
 * or -1 if buf is too small. */
int midimap_line_format(const struct midimap_spec *s, char *buf, size_t len);
/* A parameter path (unit or normalised form) -> the instance a mapping
 * can set (no names, no meters).  0, or -1 with a reason in why. */
int midimap_line_resolve(const struct model *m, const char *path, enum param_id *id, unsigned *i1,
                         unsigned *i2, char *why, size_t whylen);
/* The unit path of an instance. */
void midimap_line_path(enum param_id id, unsigned i1, unsigned i2, char *out, size_t len);

#endif
