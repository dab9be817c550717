/*
 * osc_wire.c - OSC packets as bytes: the structural validation of what
 * arrives (before liblo 0.31's parser sees it: defence in depth), reading
 * liblo's arguments, encoding what we send, and handing an encoded packet
 * to a client's transport; see osc_core.h.
 *
 * Threads: control thread only (called from the other parts of the OSC
 * layer; osc_wire_valid_* are pure and could run anywhere).
 *
 * Invariants: a packet osc_wire_valid_packet accepts has every length,
 * string and padding inside its bounds and nests at most OSC_MAX_DEPTH
 * bundles; an encoded message that did not fit OSC_TX_MAX is marked bad
 * and never sent.  This file calls no other part of the OSC layer.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "osc_core.h"
#include "role.h"

/* ------------------------------------------------------------------ */
/* OSC encoding of what we send                                        */

void osc_wire_str(struct osc_msgbuf *m, const char *s)
{
	ASSERT_ROLE(ROLE_CONTROL);
	size_t n = strlen(s) + 1, p = (n + 3) & ~(size_t)3;
	if (m->n + p > sizeof m->b) {
		m->bad = 1;
		return;
	}
	memcpy(m->b + m->n, s, n);
	memset(m->b + m->n + n, 0, p - n);
	m->n += p;
}

void osc_wire_begin(struct osc_msgbuf *m, const char *path, const char *types)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char tt[16];
	m->n = 0;
	m->bad = 0;
	snprintf(tt, sizeof tt, ",%s", types);
	osc_wire_str(m, path);
	osc_wire_str(m, tt);
}

static void osc_wire_u32(struct osc_msgbuf *m, uint32_t v)
{
	if (m->n + 4 > sizeof m->b) {
		m->bad = 1;
		return;
	}
	v = htonl(v);
	memcpy(m->b + m->n, &v, 4);
	m->n += 4;
}

void osc_wire_i(struct osc_msgbuf *m, int32_t v)
{
	ASSERT_ROLE(ROLE_CONTROL);
	osc_wire_u32(m, (uint32_t)v);
}

void osc_wire_f(struct osc_msgbuf *m, float f)
{
	ASSERT_ROLE(ROLE_CONTROL);
	uint32_t u;
	memcpy(&u, &f, 4);
	osc_wire_u32(m, u);
}

/* Path of message m (its first string). */
/* Path of message m (its first string). */
const char *osc_wire_path(const struct osc_msgbuf *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return (const char *)m->b;
}

/* Hand a packet to a client's transport, counting what it did. */
void osc_wire_send(struct osc_client *c, struct osc_stats *st, const void *buf, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!c)
		return;
	int r = c->tp->send(c->ctx, buf, len);
	if (r == 0)
		st->sent++;
	else if (r < 0)
		st->send_failed++;
}

void osc_wire_send_msg(struct osc_client *c, struct osc_stats *st, const struct osc_msgbuf *m)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (m->bad)
		return;
	osc_wire_send(c, st, m->b, m->n);
}

/* ------------------------------------------------------------------ */
/* Structural validation of incoming packets (before liblo sees them)  */

/* Length of a padded OSC string at p, or 0 if invalid. */
size_t osc_wire_valid_str(const unsigned char *p, size_t len)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const unsigned char *z = memchr(p, 0, len);
	if (!z)
		return 0;
	size_t n = (size_t)(z - p) + 1, padded = (n + 3) & ~(size_t)3;
	if (padded > len)
		return 0;
	for (size_t i = n; i < padded; i++)
		if (p[i])
			return 0;
	return padded;
}

static uint32_t osc_wire_rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return ntohl(v);
}

static int osc_wire_valid_msg(const unsigned char *p, size_t len)
{
	size_t pos = osc_wire_valid_str(p, len);
	if (!pos || p[0] != '/')
		return -1;
	if (pos == len)
		return -1; /* no type tag string: OSC 1.0 requires one, liblo too */
	size_t tl = osc_wire_valid_str(p + pos, len - pos);
	if (!tl || p[pos] != ',')
		return -1;
	const unsigned char *t = p + pos + 1;
	pos += tl;
	for (; *t; t++) {
		size_t need = 0;
		switch (*t) {
		case 'i':
		case 'f':
		case 'c':
		case 'r':
		case 'm':
			need = 4;
			break;
		case 'h':
		case 'd':
		case 't':
			need = 8;
			break;
		case 's':
		case 'S': {
			size_t n = pos < len ? osc_wire_valid_str(p + pos, len - pos) : 0;
			if (!n)
				return -1;
			pos += n;
			continue;
		}
		case 'b': {
			if (len - pos < 4)
				return -1;
			uint32_t n = osc_wire_rd32(p + pos);
			if (n > len - pos - 4 || ((n + 3) & ~3u) > len - pos - 4)
				return -1;
			pos += 4 + ((n + 3) & ~3u);
			continue;
		}
		case 'T':
		case 'F':
		case 'N':
		case 'I':
			continue;
		default:
			return -1; /* arrays and unknown tags: not for us */
		}
		if (len - pos < need)
			return -1;
		pos += need;
	}
	return pos == len ? 0 : -1;
}

int osc_wire_valid_packet(const unsigned char *p, size_t len, int depth)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (len < 4 || len % 4)
		return -1;
	if (len >= 8 && memcmp(p, "#bundle", 8) == 0) {
		if (depth >= OSC_MAX_DEPTH || len < 16)
			return -1;
		size_t pos = 16;
		while (pos < len) {
			if (len - pos < 4)
				return -1;
			uint32_t n = osc_wire_rd32(p + pos);
			pos += 4;
			if (n == 0 || n % 4 || n > len - pos)
				return -1;
			if (osc_wire_valid_packet(p + pos, n, depth + 1) < 0)
				return -1;
			pos += n;
		}
		return 0;
	}
	return osc_wire_valid_msg(p, len);
}

/* liblo's argument pointers are only 4-byte aligned: read through memcpy,
 * never through the 8-byte-aligned union. */
int osc_wire_arg_number(char type, const void *a, double *v)
{
	ASSERT_ROLE(ROLE_CONTROL);
	float f;
	int32_t i;
	double d;
	int64_t h;
	switch (type) {
	case 'f':
		memcpy(&f, a, sizeof f);
		*v = f;
		return 0;
	case 'i':
		memcpy(&i, a, sizeof i);
		*v = i;
		return 0;
	case 'd':
		memcpy(&d, a, sizeof d);
		*v = d;
		return 0;
	case 'h':
		memcpy(&h, a, sizeof h);
		*v = (double)h;
		return 0;
	case 'T':
		*v = 1;
		return 0;
	case 'F':
		*v = 0;
		return 0;
	default:
		return -1;
	}
}
