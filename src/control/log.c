/*
 * log.c - leveled logger to stderr, one line per call.
 *
 * Threads: any non-RT thread.  A single fprintf of a preformatted line keeps
 * lines from different threads whole (stdio locks the stream per call).
 */
#include "log.h"
#include "role.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int log_level = LOG_INFO;

void log_set_level(int level)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (level < LOG_ERR)
		level = LOG_ERR;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	atomic_store(&log_level, level);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	static const char *const tag[] = {"error", "warning", "info", "debug"};
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "jackmixd %02d:%02d:%02d.%03ld %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
	        ts.tv_nsec / 1000000, tag[level], line);
}
