/*
 * stallshim.c - LD_PRELOAD library that makes the disk slow once: the
 * first write() to a regular file whose path contains JMX_STALL_MATCH
 * (default ".wav") arms a clock, and the first such write at least
 * JMX_STALL_AFTER_MS later (default 1000) sleeps JMX_STALL_MS (default
 * 3000) before it happens.  That is the recorder's disk thread stalling
 * in the middle of a take, as on a busy or failing disk, while the RT
 * thread keeps filling the ring.
 *
 * Threads: any; the state is atomics (the stall happens once per process).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_llong armed_at; /* ms, 0 = not yet */
static atomic_int stalled;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long env_ms(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? atol(v) : def;
}

static int matches(int fd)
{
	struct stat st;
	char link[64], path[1024];
	const char *want = getenv("JMX_STALL_MATCH");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n <= 0)
		return 0;
	path[n] = 0;
	return strstr(path, want && *want ? want : ".wav") != NULL;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	static ssize_t (*real_write)(int, const void *, size_t);
	if (!real_write)
		real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (!atomic_load(&stalled) && matches(fd)) {
		long long t = now_ms(), zero = 0;
		atomic_compare_exchange_strong(&armed_at, &zero, t);
		if (t - atomic_load(&armed_at) >= env_ms("JMX_STALL_AFTER_MS", 1000) &&
		    !atomic_exchange(&stalled, 1)) {
			long ms = env_ms("JMX_STALL_MS", 3000);
			struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
			while (nanosleep(&ts, &ts) < 0)
				;
		}
	}
	return real_write(fd, buf, count);
}
