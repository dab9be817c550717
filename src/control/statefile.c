/*
 * statefile.c - crash-safe files in our own directories: atomic durable
 * replacement, the sweep of temporary files a crash left, setting a
 * corrupt file aside, and opening (creating) a directory; see statefile.h.
 *
 * Threads: control thread only (state files, scenes, the MIDI map); the
 * offline tests call it too.  Nothing here is seen by the RT thread.
 */
#define _GNU_SOURCE
#include "statefile.h"
#include "role.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void statefile_msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void statefile_msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static ssize_t statefile_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int statefile_write_atomic(int dirfd, const char *name, const void *buf, size_t len, int regular_only,
                           char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	static unsigned counter;
	char tmp[512]; /* "." name ".tmp." pid "." counter, name <= 200 */
	struct stat st;
	int fd, e;

	if (strlen(name) > 200) {
		statefile_msg(err, errlen, "%s: name too long", name);
		return -ENAMETOOLONG;
	}
	if (regular_only && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		statefile_msg(err, errlen, "%s: exists and is not a regular file (not replaced)", name);
		return -EPERM;
	}
	snprintf(tmp, sizeof tmp, ".%s.tmp.%ld.%u", name, (long)getpid(), counter++);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		statefile_msg(err, errlen, "cannot create %s: %s", tmp, strerror(e));
		return -e;
	}
	if (statefile_write_all(fd, buf, len) < 0) {
		e = errno;
		statefile_msg(err, errlen, "cannot write %s: %s", tmp, strerror(e));
		goto fail;
	}
	if (fsync(fd) < 0) {
		e = errno;
		statefile_msg(err, errlen, "cannot fsync %s: %s", tmp, strerror(e));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		e = errno;
		statefile_msg(err, errlen, "cannot close %s: %s", tmp, strerror(e));
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		e = errno;
		statefile_msg(err, errlen, "cannot rename %s to %s: %s", tmp, name, strerror(e));
		goto fail;
	}
	if (fsync(dirfd) < 0) {
		/* the new file is in place and whole; only its durability
		 * across a power cut is in doubt */
		e = errno;
		statefile_msg(err, errlen, "%s written, but the directory could not be synced: %s", name,
		              strerror(e));
		return -e;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return -e;
}

/* True if pid is a live process (not a zombie) other than us. */
static int statefile_pid_alive(long pid)
{
	char path[64], buf[256];
	if (pid <= 0 || pid == (long)getpid())
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	const char *rp = strrchr(buf, ')');
	return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

unsigned statefile_sweep(int dirfd, const char *target)
{
	ASSERT_ROLE(ROLE_CONTROL);
	int fd = dup(dirfd);
	unsigned removed = 0;
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *t;
		char *e;
		if (n[0] != '.' || !(t = strstr(n + 1, ".tmp.")))
			continue;
		/* the last ".tmp." is ours: names may contain ".tmp." too */
		for (const char *u; (u = strstr(t + 1, ".tmp.")) != NULL;)
			t = u;
		if (target &&
		    ((size_t)(t - n - 1) != strlen(target) || memcmp(n + 1, target, strlen(target))))
			continue;
		long pid = strtol(t + 5, &e, 10);
		if (e == t + 5 || *e != '.' || !isdigit((unsigned char)e[1]))
			continue;
		strtoul(e + 1, &e, 10);
		if (*e)
			continue;
		if (statefile_pid_alive(pid))
			continue;
		if (unlinkat(dirfd, n, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int statefile_set_aside(int dirfd, const char *name, char *newname, size_t newlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	for (unsigned k = 0; k < 100; k++) {
		if (k)
			snprintf(newname, newlen, "%s.corrupt-%s-%u", name, stamp, k);
		else
			snprintf(newname, newlen, "%s.corrupt-%s", name, stamp);
		if (renameat2(dirfd, name, dirfd, newname, RENAME_NOREPLACE) == 0) {
			fsync(dirfd);
			return 0;
		}
		if (errno == EINVAL || errno == ENOSYS) {
			/* file system without RENAME_NOREPLACE: link, then unlink */
			if (linkat(dirfd, name, dirfd, newname, 0) == 0) {
				unlinkat(dirfd, name, 0);
				fsync(dirfd);
				return 0;
			}
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int statefile_dir_open(const char *path)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char buf[4096];
	size_t n = strlen(path);
	int fd;

	if (n == 0 || n >= sizeof buf)
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
			int e = errno;
			buf[i] = c;
			return -e;
		}
		buf[i] = c;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
