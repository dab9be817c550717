/*
 * web_keys.c - the web surface's access keys; see web_keys.h.
 *
 * Threads: control thread, at start-up.
 *
 * Invariants: a key is never made from anything but getrandom(2); the
 * file is written whole (statefile_write_atomic) with mode 0600, and a
 * file found readable by others is made 0600 again, with a warning; a
 * line that does not parse is an error, not a reason to make new keys
 * (that would lock out every device that has the old ones).
 */
#include "web_keys.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "statefile.h"

const char *web_keys_default_path(char *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;
	if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/jackmixd/web-keys", x);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.local/state/jackmixd/web-keys", home);
	else
		return NULL;
	return n > 0 && (size_t)n < len ? buf : NULL;
}

static int web_keys_make(char out[WEB_KEY_LEN + 1])
{
	unsigned char raw[WEB_KEY_LEN / 2];
	size_t got = 0;
	while (got < sizeof raw) {
		ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static int web_keys_valid(const char *s)
{
	return strlen(s) == WEB_KEY_LEN && strspn(s, "0123456789abcdef") == WEB_KEY_LEN;
}

/* Parse the file's text into k; -1 with err naming file:line. */
static int web_keys_parse(struct web_keys *k, char *text, const char *path, char *err, size_t errlen)
{
	unsigned line = 0;
	for (char *s = text, *nl; s && *s; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		line++;
		if (!*s || *s == '#')
			continue;
		char name[16], key[64];
		unsigned b;
		if (sscanf(s, "%15s %63s", name, key) != 2 || !web_keys_valid(key)) {
			snprintf(err, errlen, "%s:%u: not 'engineer KEY' or 'busN KEY' (KEY: 32 hex digits)",
			         path, line);
			return -1;
		}
		if (strcmp(name, "engineer") == 0) {
			memcpy(k->engineer, key, WEB_KEY_LEN + 1);
		} else if (sscanf(name, "bus%u", &b) == 1 && b >= 1 && b <= WEB_KEYS_MAX_BUS) {
			memcpy(k->bus[b - 1], key, WEB_KEY_LEN + 1);
		} else {
			snprintf(err, errlen, "%s:%u: unknown key name '%s'", path, line, name);
			return -1;
		}
	}
	return 0;
}

int web_keys_load(struct web_keys *k, const char *path, unsigned n_bus, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char dir[1024], text[4096];
	memset(k, 0, sizeof *k);
	if (n_bus > WEB_KEYS_MAX_BUS)
		n_bus = WEB_KEYS_MAX_BUS;
	k->n_bus = n_bus;
	if (!path || strlen(path) >= sizeof k->path) {
		snprintf(err, errlen, "no state directory for the access keys (set XDG_STATE_HOME or HOME)");
		return -1;
	}
	snprintf(k->path, sizeof k->path, "%s", path);
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 1;
	memcpy(dir, slash ? path : ".", dlen);
	dir[dlen] = 0;
	if (dlen == 0)
		snprintf(dir, sizeof dir, "/");
	const char *base = slash ? slash + 1 : path;

	int changed = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		struct stat sb;
		ssize_t n = read(fd, text, sizeof text - 1);
		if (fstat(fd, &sb) == 0 && (sb.st_mode & 077)) {
			log_warn(
			    "web: %s was readable by others: made 0600 (anyone who read it has the keys)",
			    path);
			if (fchmod(fd, 0600) < 0)
				log_warn("web: %s: %s", path, strerror(errno));
		}
		close(fd);
		text[n > 0 ? n : 0] = 0;
		if (web_keys_parse(k, text, path, err, errlen) < 0)
			return -1;
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!k->engineer[0]) {
		changed = 1;
		if (web_keys_make(k->engineer) < 0)
			goto norandom;
	}
	for (unsigned b = 0; b < n_bus; b++)
		if (!k->bus[b][0]) {
			changed = 1;
			if (web_keys_make(k->bus[b]) < 0)
				goto norandom;
		}
	if (!changed)
		return 0;
	size_t len = (size_t)snprintf(text, sizeof text,
	                              "# jackmixd web surface access keys (keep private: mode 0600)\n"
	                              "engineer %s\n",
	                              k->engineer);
	for (unsigned b = 0; b < WEB_KEYS_MAX_BUS; b++)
		if (k->bus[b][0])
			len +=
			    (size_t)snprintf(text + len, sizeof text - len, "bus%u %s\n", b + 1, k->bus[b]);
	int dfd = statefile_dir_open(dir);
	if (dfd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-dfd));
		return -1;
	}
	/* the temporary file is made 0600 by a umask of 077 before it has a
	 * byte in it */
	mode_t old = umask(077);
	char why[256];
	int r = statefile_write_atomic(dfd, base, text, len, 1, why, sizeof why);
	umask(old);
	close(dfd);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	chmod(path, 0600);
	log_info("web: access keys written to %s (mode 0600)", path);
	return 0;
norandom:
	snprintf(err, errlen, "getrandom: %s", strerror(errno));
	return -1;
}
