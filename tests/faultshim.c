/*
 * faultshim.c - LD_PRELOAD fault injection for the state-file tests: makes
 * one kind of file-system call fail on the files the daemon writes, while
 * everything else (JACK, sockets, logging) keeps working.
 *
 *   JMX_FAULT_MATCH  substring of the paths to hit (e.g. ".tmp.")
 *   JMX_FAULT_CTL    a file holding the fault to inject now, re-read on
 *                    every call that could be hit:
 *                      none | open | write | fsync | close | rename
 *                    optionally followed by an errno name (ENOSPC, EIO,
 *                    EROFS, EDQUOT; default EIO)
 *
 * open: openat/open with O_CREAT on a matching path fails (a read-only or
 * full directory); write and fsync: calls on a descriptor opened on a
 * matching path fail; close: close of such a descriptor reports the error
 * (after really closing it, as NFS does); rename: rename/renameat/
 * renameat2 from a matching path fail.  Every injected failure is counted
 * in the file named by JMX_FAULT_LOG (one line per failure), so the test
 * can prove the fault was really hit.
 *
 * Threads: any; the descriptor table is a fixed array of atomics.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_FD 4096

static atomic_uchar tracked[MAX_FD];

static int (*real_openat)(int, const char *, int, ...);
static int (*real_open)(const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);

static void init(void)
{
	if (real_openat)
		return;
	real_open = dlsym(RTLD_NEXT, "open");
	real_write = dlsym(RTLD_NEXT, "write");
	real_fsync = dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
	real_close = dlsym(RTLD_NEXT, "close");
	real_rename = dlsym(RTLD_NEXT, "rename");
	real_renameat = dlsym(RTLD_NEXT, "renameat");
	real_renameat2 = dlsym(RTLD_NEXT, "renameat2");
	real_openat = dlsym(RTLD_NEXT, "openat");
}

static int matches(const char *path)
{
	const char *m = getenv("JMX_FAULT_MATCH");
	return path && m && *m && strstr(path, m);
}

/* The fault configured now: returns the errno to fail with, or 0. */
static int fault(const char *op)
{
	const char *ctl = getenv("JMX_FAULT_CTL");
	char buf[64] = {0}, name[16] = {0}, err[16] = {0};
	if (!ctl)
		return 0;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, ctl, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = syscall(SYS_read, fd, buf, sizeof buf - 1);
	syscall(SYS_close, fd);
	if (n <= 0 || sscanf(buf, "%15s %15s", name, err) < 1 || strcmp(name, op) != 0)
		return 0;
	int e = !strcmp(err, "ENOSPC")   ? ENOSPC
	        : !strcmp(err, "EROFS")  ? EROFS
	        : !strcmp(err, "EDQUOT") ? EDQUOT
	                                 : EIO;
	const char *log = getenv("JMX_FAULT_LOG");
	if (log) {
		int lf =
		    (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (lf >= 0) {
			char line[64];
			int k = snprintf(line, sizeof line, "%s %d\n", op, e);
			syscall(SYS_write, lf, line, (size_t)k);
			syscall(SYS_close, lf);
		}
	}
	return e;
}

static int track(int fd, const char *path)
{
	if (fd >= 0 && fd < MAX_FD)
		atomic_store(&tracked[fd], matches(path) ? 1 : 0);
	return fd;
}

static int is_tracked(int fd)
{
	return fd >= 0 && fd < MAX_FD && atomic_load(&tracked[fd]);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
		int e;
		if (matches(path) && (e = fault("open"))) {
			errno = e;
			return -1;
		}
	}
	return track(real_openat(dirfd, path, flags, mode), path);
}

int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
		int e;
		if (matches(path) && (e = fault("open"))) {
			errno = e;
			return -1;
		}
	}
	return track(real_open(path, flags, mode), path);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

ssize_t write(int fd, const void *buf, size_t len)
{
	int e;
	init();
	if (is_tracked(fd) && (e = fault("write"))) {
		errno = e;
		return -1;
	}
	return real_write(fd, buf, len);
}

int fsync(int fd)
{
	int e;
	init();
	if (is_tracked(fd) && (e = fault("fsync"))) {
		errno = e;
		return -1;
	}
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	int e;
	init();
	if (is_tracked(fd) && (e = fault("fsync"))) {
		errno = e;
		return -1;
	}
	return real_fdatasync(fd);
}

int close(int fd)
{
	int hit = is_tracked(fd), e = 0;
	init();
	if (hit)
		e = fault("close");
	if (fd >= 0 && fd < MAX_FD)
		atomic_store(&tracked[fd], 0);
	int r = real_close(fd);
	if (e) {
		errno = e;
		return -1;
	}
	return r;
}

int rename(const char *from, const char *to)
{
	int e;
	init();
	if (matches(from) && (e = fault("rename"))) {
		errno = e;
		return -1;
	}
	return real_rename(from, to);
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
	int e;
	init();
	if (matches(from) && (e = fault("rename"))) {
		errno = e;
		return -1;
	}
	return real_renameat(fd1, from, fd2, to);
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
	int e;
	init();
	if (matches(from) && (e = fault("rename"))) {
		errno = e;
		return -1;
	}
	return real_renameat2(fd1, from, fd2, to, flags);
}
