/*
 * fuzz_snapshot.c - libFuzzer target for the state-file parser
 * (snapshot_parse), built by fuzz-snapshot.sh with clang-22
 * -fsanitize=fuzzer,address,undefined.
 *
 * Beyond "no crash, no leak, no undefined behaviour" it checks the
 * parser's contract on every input: a rejection names "file:line:" with a
 * line inside the input, and an accepted input, written back out and
 * parsed again, gives the same state and the same bytes (the format is
 * canonical and the writer only writes what the parser accepts).
 *
 * Threads: one.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

static const struct param_shape shape = {3, 2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct snapshot *s = snapshot_new(&shape);
	if (!s)
		return 0;
	if (snapshot_parse(s, "fuzz", (const char *)data, size, err, sizeof err) < 0) {
		char *end;
		if (strncmp(err, "fuzz:", 5) != 0 || !isdigit((unsigned char)err[5]))
			abort();
		unsigned long line = strtoul(err + 5, &end, 10), lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (*end != ':' || line < 1 || line > lines + 1)
			abort();
		snapshot_free(s);
		return 0;
	}
	size_t len, len2;
	char *text = snapshot_format_lanes(s->values, s->lanes, &s->conns, &len);
	struct snapshot *s2 = snapshot_new(&shape);
	if (!text || !s2 || snapshot_parse(s2, "again", text, len, err, sizeof err) < 0)
		abort();
	char *text2 = snapshot_format_lanes(s2->values, s2->lanes, &s2->conns, &len2);
	if (!text2 || len != len2 || memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
	snapshot_free(s2);
	snapshot_free(s);
	return 0;
}
