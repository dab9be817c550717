/*
 * strip_key.c - two parts of the channel strip that look outside the lane
 * at hand: the input delay (the lane's own past) and the keys of the gate
 * and compressor (another channel's signal).
 *
 * Threads: strip_delay_floats and strip_delay_attach on the control
 * thread before the RT thread runs (inside mixer_new); the rest on the
 * RT thread (strip_delay_set, strip_lane_key through mixer_apply; the
 * others from strip.c's chunk and piece code).  No allocation, no I/O.
 *
 * Invariants and conventions:
 * - The delay sits after trim and polarity, before the high-pass.  It is
 *   run on the sanitised input, before the trim gain: a gain commutes
 *   with a delay, and so a trim move is heard at once, not a delay later.
 *   On a lane with a share of playback (/ch/<n>/source, strip.c) the
 *   lines get the input crossfaded with the playback (trim and polarity
 *   go neutral there), so the playback is delayed and keyed from as the
 *   live input is.
 *   Each lane has a line of dly_n floats (a power of two of at least the
 *   largest delay, 100 ms at the mixer's rate, plus a chunk) and a copy
 *   of its first JMX_CHUNK floats after its end, so that any piece (at
 *   most a chunk) reads as one contiguous run from any position.  The
 *   lines are written while some lane of the group delays, fades or is
 *   asked to, and while any channel is keyed by another (the keys read
 *   them); otherwise they rest and the input is read as it comes.  A new
 *   delay's fade starts once the lines hold the past it reads (dly_hist):
 *   a delay asked of a resting group takes effect after at most itself
 *   (100 ms) plus the fade.  Delays are whole frames (the nearest to the
 *   ms asked).
 * - A delay change crossfades from the line at the old delay to the line
 *   at the new one along the switch ramp of dsp.h (5 ms in whole chunks,
 *   a raised cosine, its steps interpolated linearly inside a chunk by
 *   the absolute frame, so pieces do not matter).  A change during a
 *   crossfade waits for its end and then fades to the newest target, so a
 *   sweep is a chain of crossfades; none jumps.  The output never steps by
 *   more than the signal's own step plus the fade's steepest step
 *   (pi/2 / ramp length) times the difference of the two lines.
 * - Keys: the mixer renders every group's input (strip_input) before any
 *   group's detectors run (strip_run), and keeps those post-trim lanes
 *   (before the delay, the stems' tap) of the piece in one block; a
 *   detector keyed by channel k reads k's lanes there, of the same frames:
 *   no period of delay and no dependence on the order of the groups.
 *   A key with two sides (a stereo channel keying a mono one) is detected
 *   on the louder side, frame by frame, as a stereo channel's own
 *   detectors take the louder of its lanes; a stereo channel keyed by a
 *   stereo one reads side by side and its link takes the louder.
 * - The compressor's key high-pass (12 dB/oct Butterworth, direct form I)
 *   filters the detector signal only, whether the key is the lane itself
 *   or another channel; on/off crossfade with its input like the
 *   channel's high-pass, coefficients interpolated across a chunk when
 *   the corner moves.  Its state is scrubbed after every piece (strip.c).
 */
#include "strip.h"

#include <math.h>
#include <string.h>

#include "role.h"

/* Vector helpers of strip.c, the few needed here. */
#define vsel(m, a, b) ((vf)(((m) & (vi)(a)) | (~(m) & (vi)(b))))

/* ---- the delay ----------------------------------------------------- */

static unsigned line_len(unsigned max_frames)
{
	unsigned n = 2 * JMX_CHUNK;
	while (n < max_frames + JMX_CHUNK)
		n <<= 1;
	return n;
}

unsigned strip_delay_floats(unsigned max_frames)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return JMX_LANES * (line_len(max_frames) + JMX_CHUNK);
}

void strip_delay_attach(struct strip_group *g, float *buf, unsigned max_frames)
{
	ASSERT_ROLE(ROLE_CONTROL);
	g->dly = buf;
	g->dly_n = line_len(max_frames);
	g->dly_max = max_frames;
	g->dly_w = 0;
}

void strip_delay_set(struct strip_group *g, unsigned l, float ms)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL);
	double f = (double)ms * 0.001 * g->rate;
	if (!(f >= 0.0) || l >= JMX_LANES)
		f = 0.0;
	long d = lround(f);
	g->d_tgt[l] = (int32_t)(d > (long)g->dly_max ? (long)g->dly_max : d);
}

void strip_delay_chunk(struct strip_group *g, const struct strip_chunk *ck)
{
	ASSERT_ROLE(ROLE_RT);
	unsigned on = 0, asked = 0;
	for (unsigned l = 0; l < JMX_LANES; l++) {
		unsigned b = 1u << l;
		int32_t reach = g->d_tgt[l] > g->d_cur[l] ? g->d_tgt[l] : g->d_cur[l];
		if ((g->dly_xf & b) && g->xf_k[l] >= ck->sw_n) { /* the fade has ended */
			g->dly_xf &= ~b;
			g->d_old[l] = g->d_cur[l];
		}
		/* a fade starts once the lines hold the past both delays read */
		if (!(g->dly_xf & b) && g->d_tgt[l] != g->d_cur[l] && g->dly_hist >= (unsigned)reach) {
			g->d_old[l] = g->d_cur[l];
			g->d_cur[l] = g->d_tgt[l];
			g->xf_k[l] = 0;
			g->dly_xf |= b;
		}
		if (g->dly_xf & b) {
			unsigned k = g->xf_k[l];
			g->xf0[l] = 1.0f - ck->sw_left[k];
			g->xf1[l] = 1.0f - ck->sw_left[k + 1];
			g->xf_k[l] = (unsigned char)(k + 1);
		}
		on |= g->d_cur[l] != 0 || (g->dly_xf & b);
		asked |= g->d_tgt[l] != 0;
	}
	g->dly_on = on;
	g->dly_live = on || asked;
}

JMX_HOT void strip_delay_run(struct strip_group *g, const struct strip_chunk *ck,
                             const float *const src[JMX_LANES], const float *const pb[JMX_LANES],
                             unsigned pos, unsigned n, const float *dst[JMX_LANES],
                             const float *now[JMX_LANES], float *scratch)
{
	ASSERT_ROLE(ROLE_RT);
	static const float zeros[JMX_CHUNK];
	const unsigned N = g->dly_n, mask = N - 1, w = g->dly_w;
	const float limf = JMX_INPUT_LIMIT;
	uint32_t lim;
	memcpy(&lim, &limf, sizeof lim);
	for (unsigned l = 0; l < JMX_LANES; l++) {
		float *line = g->dly + (size_t)l * (N + JMX_CHUNK);
		if (!src[l]) {
			dst[l] = now[l] = zeros;
			continue;
		}
		/* sanitised as strip.c's input: NaN, inf and denormals to 0,
		 * magnitudes clamped; written at w .. w+n-1 past the end into
		 * the mirror, then the wrapped part or the mirror copied */
		float *d = line + w;
		unsigned j = 0;
		for (; j + JMX_LANES <= n; j += JMX_LANES) { /* eight at a time, as vectors */
			vi b, a;
			memcpy(&b, src[l] + j, sizeof b);
			a = b & 0x7fffffff;
			vi keep = (a < 0x7f800000) & (a >= 0x00800000), over = keep & (a > (int32_t)lim);
			a = (a & keep & ~over) | (over & (int32_t)lim);
			b = (b & INT32_MIN) | a;
			memcpy(d + j, &b, sizeof b);
		}
		for (; j < n; j++) {
			uint32_t b, a;
			memcpy(&b, &src[l][j], sizeof b);
			a = b & 0x7fffffffu;
			a = a < 0x7f800000u && a >= 0x00800000u ? (a > lim ? lim : a) : 0u;
			b = (b & 0x80000000u) | a;
			memcpy(&d[j], &b, sizeof b);
		}
		/* the playback in place of the input (strip.c's stage_source
		 * when the lines rest): live (1 - s) + p s, so s = 1 is p */
		float s0 = g->prev[SM_SRC][l], ds = g->cur[SM_SRC][l] - s0;
		if (s0 != 0.0f || ds != 0.0f) {
			const float *p = pb && pb[l] ? pb[l] : zeros;
			for (j = 0; j + JMX_LANES <= n; j += JMX_LANES) { /* eight frames at a time */
				vi b, a;
				vf q, s, r;
				memcpy(&b, p + j, sizeof b);
				a = b & 0x7fffffff;
				vi keep = (a < 0x7f800000) & (a >= 0x00800000),
				   over = keep & (a > (int32_t)lim);
				a = (a & keep & ~over) | (over & (int32_t)lim);
				q = (vf)((b & INT32_MIN) | a);
				memcpy(&r, ck->ramp + pos + j, sizeof r);
				memcpy(&s, d + j, sizeof s);
				s = s * (1.0f - (s0 + r * ds)) + q * (s0 + r * ds);
				memcpy(d + j, &s, sizeof s);
			}
			for (; j < n; j++) {
				uint32_t b, a;
				float q, s = s0 + ck->ramp[pos + j] * ds;
				memcpy(&b, &p[j], sizeof b);
				a = b & 0x7fffffffu;
				a = a < 0x7f800000u && a >= 0x00800000u ? (a > lim ? lim : a) : 0u;
				b = (b & 0x80000000u) | a;
				memcpy(&q, &b, sizeof q);
				d[j] = d[j] * (1.0f - s) + q * s;
			}
		}
		if (w + n > N)
			memcpy(line, line + N, (w + n - N) * sizeof *line);
		else if (w < JMX_CHUNK)
			memcpy(line + N + w, line + w,
			       ((w + n < JMX_CHUNK ? w + n : JMX_CHUNK) - w) * sizeof *line);
		now[l] = d;
		const float *cur = line + ((w - (unsigned)g->d_cur[l]) & mask);
		if (!(g->dly_xf & (1u << l))) {
			dst[l] = cur;
			continue;
		}
		/* the crossfade: old line + a (new - old), a along the ramp */
		const float *old = line + ((w - (unsigned)g->d_old[l]) & mask);
		float a0 = g->xf0[l], da = g->xf1[l] - a0, *o = scratch + (size_t)l * JMX_CHUNK;
		for (unsigned i = 0; i < n; i++)
			o[i] = old[i] + (a0 + ck->ramp[pos + i] * da) * (cur[i] - old[i]);
		dst[l] = o;
	}
	g->dly_w = (w + n) & mask;
	g->dly_hist = g->dly_hist + n < N ? g->dly_hist + n : N;
}

/* ---- the keys ------------------------------------------------------ */

void strip_lane_key(struct strip_group *g, unsigned l, unsigned which, int32_t a, int32_t b)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL);
	if (l >= JMX_LANES || which > STRIP_KEY_COMP)
		return;
	unsigned bit = 1u << l;
	g->key_a[which][l] = a < 0 ? 0 : a;
	g->key_b[which][l] = a < 0 ? 0 : b;
	g->key_ext[which] = a < 0 ? g->key_ext[which] & ~bit : g->key_ext[which] | bit;
	g->key_two[which] = a >= 0 && b != a ? g->key_two[which] | bit : g->key_two[which] & ~bit;
}

/* 8 x 8 transpose, as strip.c's (kept apart so that the two files do not
 * call each other): row l of r[] (eight frames of lane l) becomes column l
 * of c[] (eight lanes of one frame). */
#ifdef __clang__
#define vshuf(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
#define vshuf(a, b, ...) __builtin_shuffle((a), (b), (vi){__VA_ARGS__})
#endif
static inline __attribute__((always_inline)) void transpose8(const vf r[8], vf c[8])
{
	vf t[8], u[8];
	for (unsigned i = 0; i < 8; i += 2) {
		t[i] = vshuf(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
		t[i + 1] = vshuf(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
	}
	for (unsigned i = 0; i < 8; i += 4) {
		u[i] = vshuf(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
		u[i + 1] = vshuf(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
		u[i + 2] = vshuf(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
		u[i + 3] = vshuf(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
	}
	for (unsigned i = 0; i < 4; i++) {
		c[i] = vshuf(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
		c[i + 4] = vshuf(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
	}
}

/* The keys of side `b` (0: key_a, 1: key_b) into d[0..n): each keyed
 * lane's key lane from its group's delay line at the piece (written by
 * strip_input of every group before any detector runs), times that
 * lane's trim and polarity exactly as strip.c's input stage computes
 * them, so a key is bit for bit the keying channel's post-trim signal;
 * lanes that detect themselves take x. */
static inline __attribute__((always_inline)) void
key_rows(const struct strip_group *g, const struct strip_group *grp, const struct strip_chunk *ck,
         unsigned which, int side, unsigned ext, const vf *x, unsigned pos, unsigned n, vf *d)
{
	static const float zeros[JMX_CHUNK];
	const float *row[JMX_LANES];
	vf g0 = vf_set1(0.0f), g1 = vf_set1(0.0f);
	vi self;
	for (unsigned l = 0; l < JMX_LANES; l++) {
		int32_t k = side ? g->key_b[which][l] : g->key_a[which][l];
		const struct strip_group *kg = &grp[k / (int32_t)JMX_LANES];
		unsigned kl = (unsigned)k % JMX_LANES;
		self[l] = (ext >> l) & 1 ? 0 : -1;
		row[l] = zeros;
		if (self[l] || !kg->dly)
			continue;
		row[l] = kg->dly + (size_t)kl * (kg->dly_n + JMX_CHUNK) + ((kg->dly_w - n) & (kg->dly_n - 1));
		g0[l] = kg->prev[SM_IN][kl];
		g1[l] = kg->cur[SM_IN][kl];
	}
	vf dg = g1 - g0;
	unsigned j = 0;
	for (; j + 8 <= n; j += 8) {
		vf r[8];
		for (unsigned l = 0; l < JMX_LANES; l++)
			memcpy(&r[l], row[l] + j, sizeof r[l]);
		transpose8(r, d + j);
		for (unsigned i = 0; i < 8; i++)
			d[j + i] = vsel(self, x[j + i], d[j + i] * (g0 + ck->ramp[pos + j + i] * dg));
	}
	for (; j < n; j++) {
		vf v;
		for (unsigned l = 0; l < JMX_LANES; l++)
			v[l] = row[l][j];
		d[j] = vsel(self, x[j], v * (g0 + ck->ramp[pos + j] * dg));
	}
}

/* One side of the detector through the key's high-pass (direct form I,
 * as strip.c's channel high-pass), crossfaded with its input by the
 * on/off mix; s: x1 x2 y1 y2. */
static inline __attribute__((always_inline)) void key_hpf(const struct strip_bq *q, vf s[4],
                                                          const struct strip_group *g,
                                                          const struct strip_chunk *ck, vf *d, unsigned pos,
                                                          unsigned n, const int ramp)
{
	vf x1 = s[0], x2 = s[1], y1 = s[2], y2 = s[3], c[5];
	vf m0 = g->prev[SM_KEY_MIX], dm = g->cur[SM_KEY_MIX] - m0;
	memcpy(c, q->c0, sizeof c);
	for (unsigned j = 0; j < n; j++) {
		float r = ck->ramp[pos + j];
		if (ramp)
			for (unsigned i = 0; i < 5; i++)
				c[i] = q->c0[i] + r * (q->c1[i] - q->c0[i]);
		vf in = d[j];
		vf y = c[0] * in + c[1] * x1 + c[2] * x2 - c[4] * y2 - c[3] * y1;
		x2 = x1, x1 = in, y2 = y1, y1 = y;
		d[j] = in + (m0 + r * dm) * (y - in);
	}
	s[0] = x1, s[1] = x2, s[2] = y1, s[3] = y2;
}

/* The input history only (the filter out): it can fade in seamlessly. */
static void key_hist(vf s[4], const vf *d, unsigned n)
{
	if (!n)
		return;
	s[1] = n >= 2 ? d[n - 2] : s[0];
	s[0] = d[n - 1];
	s[2] = s[3] = vf_set1(0.0f);
}

JMX_HOT int strip_key_detect(struct strip_group *g, const struct strip_group *grp,
                             const struct strip_chunk *ck, unsigned which, const vf *x, unsigned pos,
                             unsigned n, vf *da, vf *db)
{
	ASSERT_ROLE(ROLE_RT);
	unsigned ext = grp ? g->key_ext[which] : 0, two = ext ? g->key_two[which] : 0;
	int hpf = which == STRIP_KEY_COMP && g->run_key;
	if (!ext && !hpf) {
		if (which == STRIP_KEY_COMP) {
			key_hist(g->bq[STRIP_BQ_KEY].s, x, n);
			memcpy(g->keyb_s, g->bq[STRIP_BQ_KEY].s, sizeof g->keyb_s);
		}
		return 0;
	}
	if (!ext)
		memcpy(da, x, n * sizeof *x);
	else
		key_rows(g, grp, ck, which, 0, ext, x, pos, n, da);
	if (two)
		key_rows(g, grp, ck, which, 1, ext, x, pos, n, db);
	if (which == STRIP_KEY_COMP) {
		struct strip_bq *q = &g->bq[STRIP_BQ_KEY];
		if (!hpf) {
			key_hist(q->s, da, n);
			if (two)
				key_hist(g->keyb_s, db, n);
		} else if ((g->bq_ramp >> STRIP_BQ_KEY) & 1) {
			key_hpf(q, q->s, g, ck, da, pos, n, 1);
			if (two)
				key_hpf(q, g->keyb_s, g, ck, db, pos, n, 1);
		} else {
			key_hpf(q, q->s, g, ck, da, pos, n, 0);
			if (two)
				key_hpf(q, g->keyb_s, g, ck, db, pos, n, 0);
		}
		if (!two)
			memcpy(g->keyb_s, q->s, sizeof g->keyb_s);
	}
	return two ? 2 : 1;
}
