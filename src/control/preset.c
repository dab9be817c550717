/*
 * preset.c - strip presets: format, parse, atomic files; see preset.h.
 *
 * Threads: control thread only (every function).
 *
 * Invariants: a name is checked by snapshot_name_valid before it becomes
 * "NAME.preset" in the directory; nothing is applied before the whole
 * file has parsed and every line named a parameter the preset kind holds.
 */
#include "preset.h"
#include "role.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "params_path.h"
#include "snapshot.h"
#include "statefile.h"

#define PRESET_MAGIC    "jackmixd-preset 1"
#define PRESET_FILE_MAX 65536u /* far above any strip's processing */
#define PRESET_VALUES   512u

/* The processing stages a preset holds, by the first word of the path
 * after /ch/<n>/ or /bus/<a>/: filters, gate, EQ, dynamics, effects. */
static const char *const preset_stages[] = {"hpf", "lpf", "gate", "eq", "dyn", "comp", "fx"};

static void preset_msg(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void preset_msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *preset_prefix(enum preset_kind kind)
{
	return kind == PRESET_CH ? "/ch/<n>/" : "/bus/<a>/";
}

int preset_holds(enum preset_kind kind, enum param_id id)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const struct param_info *p = &param_table[id];
	const char *pre = preset_prefix(kind);
	size_t n = strlen(pre);
	if ((unsigned)id >= P_COUNT || p->type == PT_METER || p->type == PT_STRING ||
	    strncmp(p->path, pre, n))
		return 0;
	const char *rest = p->path + n;
	/* one index of the owner, bands at most: not a send, a membership */
	if (strstr(rest, "<n>") || strstr(rest, "<a>") || strstr(rest, "<d>") || strstr(rest, "<g>"))
		return 0;
	size_t w = strcspn(rest, "/");
	for (unsigned i = 0; i < sizeof preset_stages / sizeof *preset_stages; i++)
		if (strlen(preset_stages[i]) == w && !strncmp(rest, preset_stages[i], w))
			return 1;
	return 0;
}

static int preset_file(const char *name, char *out, size_t n, char *err, size_t errlen)
{
	if (!snapshot_name_valid(name)) {
		preset_msg(err, errlen,
		           "invalid preset name (1-%d of A-Z a-z 0-9 . _ -, not starting with '.')",
		           SNAPSHOT_NAME_MAX);
		return -1;
	}
	snprintf(out, n, "%s%s", name, PRESET_SUFFIX);
	return 0;
}

int preset_save(int dirfd, const struct model *m, enum preset_kind kind, unsigned idx, const char *name,
                char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char f[SNAPSHOT_NAME_MAX + 16], path[PARAMS_PATH_MAX], num[32];
	size_t skip = kind == PRESET_CH ? strlen("/ch/1/") : strlen("/bus/1/"), len = 0,
	       cap = PRESET_FILE_MAX;
	if (preset_file(name, f, sizeof f, err, errlen) < 0)
		return -1;
	if (idx >= (kind == PRESET_CH ? model_shape(m)->channels : model_shape(m)->buses)) {
		preset_msg(err, errlen, "%s %u out of range", kind == PRESET_CH ? "channel" : "bus", idx + 1);
		return -1;
	}
	char *text = malloc(cap);
	if (!text) {
		preset_msg(err, errlen, "out of memory");
		return -1;
	}
	len += (size_t)snprintf(text, cap, "%s\nkind %s\n", PRESET_MAGIC, kind == PRESET_CH ? "ch" : "bus");
	for (unsigned id = 0; id < P_COUNT; id++) {
		unsigned n1, n2;
		if (!preset_holds(kind, (enum param_id)id))
			continue;
		model_dims(m, (enum param_id)id, &n1, &n2);
		for (unsigned i2 = 0; i2 < n2 && idx < n1; i2++) {
			params_path_format((enum param_id)id, PARAMS_UNIT, 0, i2, path, sizeof path);
			params_path_fmt_float(num, sizeof num, model_get(m, (enum param_id)id, idx, i2));
			len += (size_t)snprintf(text + len, cap - len, "%s %s\n", path + skip, num);
		}
	}
	len += (size_t)snprintf(text + len, cap - len, "end\n");
	int r = statefile_write_atomic(dirfd, f, text, len, 1, err, errlen);
	free(text);
	return r < 0 ? -1 : 0;
}

/* The whole file, NUL-terminated, or NULL with a message. */
static char *preset_read(int dirfd, const char *f, const char *name, char *err, size_t errlen)
{
	int fd = openat(dirfd, f, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		if (errno == ENOENT)
			preset_msg(err, errlen, "no preset named '%s'", name);
		else
			preset_msg(err, errlen, "%s: %s", f, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)PRESET_FILE_MAX) {
		preset_msg(err, errlen, "%s: not a regular file of at most %u bytes", f, PRESET_FILE_MAX);
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t len = 0;
	while (buf && len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		preset_msg(err, errlen, "out of memory");
		return NULL;
	}
	buf[len] = 0;
	return buf;
}

int preset_load(int dirfd, struct model *m, enum preset_kind kind, unsigned idx, const char *name,
                const void *origin, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	static struct {
		enum param_id id;
		unsigned i2;
		float v;
	} val[PRESET_VALUES];
	char f[SNAPSHOT_NAME_MAX + 16];
	unsigned nval = 0, line = 0;
	int kind_seen = 0, end = 0;
	const struct param_shape *shape = model_shape(m);

	if (preset_file(name, f, sizeof f, err, errlen) < 0)
		return -1;
	if (idx >= (kind == PRESET_CH ? shape->channels : shape->buses)) {
		preset_msg(err, errlen, "%s %u out of range", kind == PRESET_CH ? "channel" : "bus", idx + 1);
		return -1;
	}
	char *text = preset_read(dirfd, f, name, err, errlen);
	if (!text)
		return -1;
	for (char *l = text, *nl; *l && !end; l = nl) {
		nl = l + strcspn(l, "\n");
		if (*nl)
			*nl++ = 0;
		line++;
		if (line == 1) {
			if (strcmp(l, PRESET_MAGIC) != 0) {
				preset_msg(err, errlen, "%s:1: not a jackmixd preset", f);
				goto bad;
			}
			continue;
		}
		if (!*l || *l == '#')
			continue;
		if (!strcmp(l, "end")) {
			end = 1;
			continue;
		}
		if (!strncmp(l, "kind ", 5)) {
			int k = !strcmp(l + 5, "ch") ? PRESET_CH : !strcmp(l + 5, "bus") ? PRESET_BUS : -1;
			if (k != (int)kind) {
				preset_msg(err, errlen, "'%s' is a %s preset", name, l + 5);
				goto bad;
			}
			kind_seen = 1;
			continue;
		}
		/* "rel value": the path relative to the first channel or bus */
		char *sp = strchr(l, ' '), path[PARAMS_PATH_MAX], why[96], *e;
		enum param_id id;
		unsigned i1, i2;
		if (!sp || snprintf(path, sizeof path, "%s%.*s", kind == PRESET_CH ? "/ch/1/" : "/bus/1/",
		                    (int)(sp - l), l) >= (int)sizeof path) {
			preset_msg(err, errlen, "%s:%u: expected \"path value\"", f, line);
			goto bad;
		}
		float v = strtof(sp + 1, &e);
		if (e == sp + 1 || *e || !isfinite(v) ||
		    params_path_resolve(path, strlen(path), PARAMS_FORM_BIT(PARAMS_UNIT), shape, &id, NULL,
		                        &i1, &i2, why, sizeof why) < 0 ||
		    !preset_holds(kind, id) || nval == PRESET_VALUES) {
			preset_msg(err, errlen, "%s:%u: not a value of a %s preset", f, line,
			           kind == PRESET_CH ? "channel" : "bus");
			goto bad;
		}
		val[nval].id = id, val[nval].i2 = i2, val[nval].v = v;
		nval++;
	}
	if (!kind_seen || !end) {
		preset_msg(err, errlen, "%s: %s", f, kind_seen ? "no end line (cut short?)" : "no kind line");
		goto bad;
	}
	free(text);
	int changed = 0;
	for (unsigned k = 0; k < nval; k++) {
		if (model_get(m, val[k].id, idx, val[k].i2) != param_clamp(val[k].id, val[k].v) &&
		    model_set(m, val[k].id, idx, val[k].i2, val[k].v, origin) >= 0)
			changed++;
	}
	return changed;
bad:
	free(text);
	return -1;
}

int preset_delete(int dirfd, const char *name, char *err, size_t errlen)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char f[SNAPSHOT_NAME_MAX + 16];
	struct stat st;
	if (preset_file(name, f, sizeof f, err, errlen) < 0)
		return -1;
	if (fstatat(dirfd, f, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		preset_msg(err, errlen, errno == ENOENT ? "no preset named '%s'" : "cannot delete '%s'",
		           name);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		preset_msg(err, errlen, "%s is not a regular file (not deleted)", f);
		return -1;
	}
	if (unlinkat(dirfd, f, 0) < 0) {
		preset_msg(err, errlen, "cannot delete %s: %s", f, strerror(errno));
		return -1;
	}
	fsync(dirfd);
	return 0;
}

static int preset_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int preset_list(int dirfd, char ***names, unsigned *n)
{
	ASSERT_ROLE(ROLE_CONTROL);
	size_t suf = strlen(PRESET_SUFFIX);
	unsigned count = 0, cap = 0;
	char **out = NULL;
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	rewinddir(d);
	/* pass 1 counts, pass 2 fills one block of pointers and strings */
	for (int pass = 0; pass < 2; pass++) {
		char *str = out ? (char *)(out + cap) : NULL;
		count = 0;
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			struct stat st;
			char base[SNAPSHOT_NAME_MAX + 1];
			if (l <= suf || l - suf > SNAPSHOT_NAME_MAX ||
			    strcmp(de->d_name + l - suf, PRESET_SUFFIX))
				continue;
			memcpy(base, de->d_name, l - suf);
			base[l - suf] = 0;
			if (!snapshot_name_valid(base) ||
			    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (pass == 1 && count < cap) {
				out[count] = str + (size_t)count * (SNAPSHOT_NAME_MAX + 1);
				memcpy(out[count], base, l - suf + 1);
			}
			count++;
		}
		if (pass == 0) {
			cap = count;
			out = malloc((size_t)cap * (sizeof *out + SNAPSHOT_NAME_MAX + 1) + 1);
			if (!out) {
				closedir(d);
				return -ENOMEM;
			}
		}
	}
	closedir(d);
	if (count > cap)
		count = cap; /* a file appeared between the passes */
	qsort(out, count, sizeof *out, preset_cmp);
	*names = out;
	*n = count;
	return 0;
}
