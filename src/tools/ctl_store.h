/*
 * ctl_store.h - what jackmixctl knows of the console: the last message
 * of each address it keeps (a fixed-size hash of path -> up to two
 * numbers and a text), for the status screen and the live meters table;
 * see ctl_store.c.
 */
#ifndef JMX_CTL_STORE_H
#define JMX_CTL_STORE_H

#define CTL_STORE_PATH 48
#define CTL_STORE_TEXT 64

struct ctl_val {
	char path[CTL_STORE_PATH];
	int nf;       /* numbers in f */
	float f[2];   /* e.g. a meter's peak and RMS, a fader's dB */
	int has_text; /* a name */
	char text[CTL_STORE_TEXT];
	int fresh; /* merged with max since ctl_store_settle */
};

struct ctl_store;

struct ctl_store *ctl_store_new(unsigned capacity);
void ctl_store_free(struct ctl_store *st);

/* Keep path's value: nf numbers (0..2) and/or a text (NULL: none).  With
 * keep_max, numbers merge as the maximum with what came since the last
 * ctl_store_settle (a meter's "max since last read" over several reads).
 * 0, or -1 when the path is too long or the store is full. */
int ctl_store_put(struct ctl_store *st, const char *path, int nf, const float *f, const char *text,
                  int keep_max);
const struct ctl_val *ctl_store_get(const struct ctl_store *st, const char *path);
/* The next value merged with keep_max starts afresh. */
void ctl_store_settle(struct ctl_store *st);
unsigned ctl_store_count(const struct ctl_store *st);

#endif
