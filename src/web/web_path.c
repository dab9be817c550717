/*
 * web_path.c - request checks of the web surface; see web_path.h.
 *
 * Threads: pure functions, any thread but RT (the web thread calls them).
 *
 * Invariants: every check says no to what it does not recognise; none
 * reads the file system (the caller opens files with O_NOFOLLOW and
 * checks the resolved path, so a symlink cannot lead out).
 */
#include "web_path.h"
#include "role.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* host[:port] -> the host part's length, or 0 when the port is not
 * digits. */
static size_t web_path_host_len(const char *h)
{
	size_t n;
	if (h[0] == '[') {
		const char *close = strchr(h, ']');
		if (!close)
			return 0;
		n = (size_t)(close - h) + 1;
	} else {
		n = strcspn(h, ":");
	}
	if (h[n] == ':') {
		const char *p = h + n + 1;
		if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
			return 0;
	} else if (h[n]) {
		return 0;
	}
	return n;
}

int web_path_host_ok(const char *host, const char *const *names, unsigned n)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	char buf[256];
	unsigned char ip[16];
	if (!host)
		return 0;
	size_t len = web_path_host_len(host);
	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, host, len);
	buf[len] = 0;
	if (buf[0] == '[') {
		buf[len - 1] = 0;
		return inet_pton(AF_INET6, buf + 1, ip) == 1;
	}
	if (inet_pton(AF_INET, buf, ip) == 1)
		return 1;
	if (strcasecmp(buf, "localhost") == 0)
		return 1;
	for (unsigned i = 0; i < n; i++)
		if (names[i] && names[i][0] && strcasecmp(buf, names[i]) == 0)
			return 1;
	return 0;
}

int web_path_origin_ok(const char *origin, const char *host)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (!origin || !host || strncasecmp(origin, "http://", 7) != 0)
		return 0;
	return strcasecmp(origin + 7, host) == 0;
}

static int web_path_segment_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '\\' || c == '%' || c == ':')
			return 0;
	}
	return 1;
}

int web_path_rel_ok(const char *rel)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (!rel || !*rel || strlen(rel) > 512)
		return 0;
	for (const char *s = rel;;) {
		size_t n = strcspn(s, "/");
		if (!web_path_segment_ok(s, n))
			return 0;
		if (!s[n])
			return 1;
		s += n + 1;
	}
}

int web_path_name_ok(const char *name)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	return name && strlen(name) <= 255 && !strchr(name, '/') && web_path_segment_ok(name, strlen(name));
}

const char *web_path_mime(const char *name)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	static const char *const map[][2] = {
	    {".html", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".json", "application/json"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".webmanifest", "application/manifest+json"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".wav", "audio/wav"},
	    {".flac", "audio/flac"},
	};
	const char *dot = strrchr(name, '.');
	if (dot)
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (strcasecmp(dot, map[i][0]) == 0)
				return map[i][1];
	return "application/octet-stream";
}

/* The length of the valid UTF-8 sequence at p (1..4), 0 when there is
 * none: no overlong form, no surrogate, nothing past U+10FFFF. */
static size_t web_path_utf8_len(const unsigned char *p)
{
	unsigned need, cp;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		need = 1, cp = p[0] & 0x1fu;
	else if ((p[0] & 0xf0) == 0xe0)
		need = 2, cp = p[0] & 0x0fu;
	else if ((p[0] & 0xf8) == 0xf0)
		need = 3, cp = p[0] & 0x07u;
	else
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	static const unsigned min[4] = {0, 0x80, 0x800, 0x10000};
	if (cp < min[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

size_t web_path_json_escape(char *out, size_t len, const char *s)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	while (*p) {
		char e[8];
		size_t n = web_path_utf8_len(p), w;
		const char *from = (const char *)p;
		if (n == 0) { /* a stray byte: the replacement character */
			from = "\\ufffd";
			w = 6;
			n = 1;
		} else if (*p == '"' || *p == '\\') {
			e[0] = '\\', e[1] = (char)*p;
			from = e;
			w = 2;
		} else if (*p < 0x20) {
			snprintf(e, sizeof e, "\\u%04x", *p);
			from = e;
			w = 6;
		} else {
			w = n;
		}
		if (o + w >= len)
			break;
		memcpy(out + o, from, w);
		o += w;
		p += n;
	}
	out[o] = 0;
	return o;
}

int web_path_key_eq(const char *given, const char *key)
{
	ASSERT_ROLE(ROLE_ANY_BUT_RT);
	if (!given || !key || !key[0])
		return 0;
	size_t n = strlen(key), g = strlen(given);
	unsigned char d = (unsigned char)(n != g);
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(key[i] ^ (i < g ? given[i] : 0));
	return d == 0;
}
