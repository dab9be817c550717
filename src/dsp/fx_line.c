/*
 * fx_line.c - allocation of the bus effects' delay lines (see fx_line.h).
 *
 * Threads: fx_line_new, fx_line_free on the control thread (fx_new,
 * fx_free), never while RT runs; fx_line_subnormals from a test.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fx_line.h"
#include "role.h"

int fx_line_new(struct fx_line *l, size_t max_delay)
{
	ASSERT_ROLE(ROLE_CONTROL);
	size_t n = 1;
	/* the taps reach max_delay + 2 back (Hermite's outer point) */
	while (n < max_delay + 4)
		n <<= 1;
	l->buf = malloc(n * sizeof *l->buf);
	if (!l->buf)
		return -1;
	memset(l->buf, 0, n * sizeof *l->buf); /* pre-fault every page before RT touches it */
	l->mask = (unsigned)(n - 1);
	l->w = 0;
	l->fill = 0;
	return 0;
}

void fx_line_free(struct fx_line *l)
{
	ASSERT_ROLE(ROLE_CONTROL);
	free(l->buf);
	l->buf = NULL;
}

unsigned long fx_line_subnormals(const struct fx_line *l)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	unsigned long k = 0;
	if (l->buf)
		for (size_t i = 0; i <= l->mask; i++)
			k += fpclassify(l->buf[i]) == FP_SUBNORMAL;
	return k;
}
