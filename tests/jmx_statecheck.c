/*
 * jmx_statecheck.c - parse state and scene files with the daemon's own
 * parser, for the integration tests: every file given must parse for a
 * console of the given shape.
 *
 *   jmx_statecheck -c CHANNELS -b BUSES FILE...
 *
 * Prints "file:line: reason" for each file that does not parse and exits
 * 1 if any did not, 2 on bad usage, 0 otherwise.
 *
 * Threads: one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

int main(int argc, char **argv)
{
	struct param_shape shape = {0, 0};
	int a = 1, bad = 0;
	while (a + 1 < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "-c"))
			shape.channels = (unsigned)atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "-b"))
			shape.buses = (unsigned)atoi(argv[a + 1]);
		else
			break;
		a += 2;
	}
	if (!shape.channels || a >= argc) {
		fprintf(stderr, "usage: jmx_statecheck -c CHANNELS -b BUSES FILE...\n");
		return 2;
	}
	for (; a < argc; a++) {
		char err[512];
		struct snapshot *s = snapshot_new(&shape);
		if (!s || snapshot_read(s, AT_FDCWD, argv[a], argv[a], 0, err, sizeof err) != 0) {
			printf("%s\n", err);
			bad = 1;
		}
		snapshot_free(s);
	}
	return bad;
}
