/*
 * test_leveler.c - the master's live leveler (src/dsp/leveler.c) offline,
 * through the master chain's own entry points (master_set,
 * master_process) with the limiter out, on a programme that alternates
 * -30 and -10 LUFS sections with 10 s of silence between two of them.
 *
 * Expected values come from the maths here: the sections' loudness is
 * set with this file's own K-weighting (BS.1770's published 48 kHz
 * coefficients, not the rate-generic design leveler.c uses), the gain is
 * read from the audio itself (out / in, sample by sample, after the
 * master's fixed latency), and the speed limit is the set dB/s.
 */
#include <string.h>

#include "dsp.h"
#include "master.h"
#include "params.h"
#include "test_util.h"

#define RATE   48000.0
#define TARGET (-20.0)
#define RANGE  15.0
#define SPEED  1.0 /* dB/s */

/* BS.1770-4, table 1 and 2: K-weighting at 48 kHz. */
static const double kb1[3] = {1.53512485958697, -2.69169618940638, 1.19839281085285};
static const double ka1[3] = {1.0, -1.69065929318241, 0.73248077421585};
static const double kb2[3] = {1.0, -2.0, 1.0};
static const double ka2[3] = {1.0, -1.99004745483398, 0.99007225036621};

struct kw {
	double z[2][4];
};

static double kw_run(struct kw *k, double x)
{
	double *a = k->z[0], *b = k->z[1];
	double y = kb1[0] * x + kb1[1] * a[0] + kb1[2] * a[1] - ka1[1] * a[2] - ka1[2] * a[3];
	a[1] = a[0];
	a[0] = x;
	a[3] = a[2];
	a[2] = y;
	double w = kb2[0] * y + kb2[1] * b[0] + kb2[2] * b[1] - ka2[1] * b[2] - ka2[2] * b[3];
	b[1] = b[0];
	b[0] = y;
	b[3] = b[2];
	b[2] = w;
	return w;
}

static uint32_t rng = 0x9e3779b9u;
static double noise(void)
{
	/* xorshift32, then a sum of four uniforms: near-Gaussian */
	double s = 0;
	for (int i = 0; i < 4; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		s += (double)rng / 4294967296.0 - 0.5;
	}
	return s;
}

/* The programme: sections of stationary stereo noise at a set loudness. */
struct section {
	double lufs; /* -inf: silence */
	double seconds;
};
static const struct section prog[] = {
    {-30, 40}, {-10, 40}, {-30, 40}, {-INFINITY, 10}, {-10, 40},
};
#define NSEC (sizeof prog / sizeof *prog)

int main(void)
{
	printf("test_leveler:\n");
	/* The unit noise's K-weighted loudness, measured over 20 s here, so
	 * each section can be scaled to its loudness. */
	struct kw kl = {0}, kr = {0};
	double e = 0;
	const size_t cal = (size_t)(20 * RATE);
	uint32_t seed0 = rng;
	for (size_t i = 0; i < cal; i++) {
		double a = kw_run(&kl, noise()), b = kw_run(&kr, noise());
		e += a * a + b * b;
	}
	rng = seed0; /* the programme is the same noise */
	const double unit_lufs = -0.691 + 10 * log10(e / cal);

	struct master *ms = master_new(RATE);
	CHECK(ms != NULL, "master_new");
	master_set(ms, P_MASTER_LIMITER_ON, 0, 0.0f);
	master_set(ms, P_MASTER_LEVELER_ON, 0, 1.0f);
	master_set(ms, P_MASTER_LEVELER_TARGET, 0, (float)TARGET);
	master_set(ms, P_MASTER_LEVELER_RANGE, 0, (float)RANGE);
	master_set(ms, P_MASTER_LEVELER_SPEED, 0, (float)SPEED);
	const unsigned lat = master_latency(ms);

	size_t total = 0;
	for (unsigned s = 0; s < NSEC; s++)
		total += (size_t)(prog[s].seconds * RATE);
	/* the input is kept to read the gain as out / in after the latency */
	float *inl = calloc(total + lat, sizeof(float)), *inr = calloc(total + lat, sizeof(float));
	CHECK(inl && inr, "calloc");
	size_t at = 0;
	for (unsigned s = 0; s < NSEC; s++) {
		size_t n = (size_t)(prog[s].seconds * RATE);
		double g = isfinite(prog[s].lufs) ? pow(10.0, (prog[s].lufs - unit_lufs) / 20.0) : 0.0;
		for (size_t i = 0; i < n; i++, at++) {
			inl[at] = (float)(g * noise());
			inr[at] = (float)(g * noise());
		}
	}

	/* Run in odd call sizes, reading the gain as we go. */
	static const unsigned pat[] = {64, 17, 64, 1, 40, 64, 63, 256};
	float bl[256], br[256];
	size_t done = 0, k = 0;
	double gdb_prev = NAN, worst_rate = 0;
	size_t i_prev = 0;
	const size_t step = (size_t)(RATE / 100); /* read the gain every 10 ms */
	double *gain_at = calloc(total / step + 2, sizeof(double));
	struct kw ko_l = {0}, ko_r = {0};
	double *out_e = calloc(total, sizeof(double)); /* K-weighted output power per sample */
	CHECK(gain_at && out_e, "calloc");
	while (done < total + lat) {
		size_t c = pat[k++ % (sizeof pat / sizeof *pat)];
		if (c > total + lat - done)
			c = total + lat - done;
		memcpy(bl, inl + done, c * sizeof(float));
		memcpy(br, inr + done, c * sizeof(float));
		master_process(ms, bl, br, (unsigned)c);
		for (size_t j = 0; j < c; j++) {
			size_t o = done + j; /* output frame o is input frame o - lat */
			if (o < lat)
				continue;
			size_t x = o - lat;
			double a = kw_run(&ko_l, bl[j]), b = kw_run(&ko_r, br[j]);
			out_e[x] = a * a + b * b;
			/* the gain, from the louder channel when it is clear of 0 */
			double in = fabs(inl[x]) > fabs(inr[x]) ? inl[x] : inr[x];
			double out = fabs(inl[x]) > fabs(inr[x]) ? bl[j] : br[j];
			if (fabs(in) < 1e-4 || x / step == i_prev / step)
				continue;
			double gdb = 20 * log10(out / in);
			if (isfinite(gdb_prev)) {
				double r = fabs(gdb - gdb_prev) / ((double)(x - i_prev) / RATE);
				if (r > worst_rate)
					worst_rate = r;
			}
			gain_at[x / step] = gdb;
			gdb_prev = gdb;
			i_prev = x;
		}
		done += c;
	}
	/* The gain is exp of a float: 1e-4 dB of rounding across 10 ms. */
	printf("  fastest move %.4f dB/s (set %.2f)\n", worst_rate, SPEED);
	CHECK(worst_rate <= SPEED * 1.001 + 1e-4 / 0.01, "gain moves at most %g dB/s: %.4f", SPEED,
	      worst_rate);
	CHECK(worst_rate >= SPEED * 0.9, "the gain does move at its speed: %.4f", worst_rate);

	/* Each sound section's last 10 s: on target within 1 LU. */
	at = 0;
	for (unsigned s = 0; s < NSEC; s++) {
		size_t n = (size_t)(prog[s].seconds * RATE);
		if (isfinite(prog[s].lufs)) {
			double sum = 0;
			size_t w = (size_t)(10 * RATE);
			for (size_t i = at + n - w; i < at + n; i++)
				sum += out_e[i];
			double lufs = -0.691 + 10 * log10(sum / w);
			printf("  section %u (%.0f LUFS in): last 10 s at %.2f LUFS\n", s + 1, prog[s].lufs,
			       lufs);
			CHECK(fabs(lufs - TARGET) <= 1.0, "section %u settles within 1 LU of %g: %.2f", s + 1,
			      TARGET, lufs);
		} else {
			/* the gain just before the silence and just after it */
			double before = gain_at[at / step - 1], after = gain_at[(at + n) / step];
			printf("  silence: gain %.3f dB before, %.3f dB after\n", before, after);
			/* held from the first silent block; the gain may only
			 * finish the step it was taking towards its held target
			 * (the noise's window wanders by hundredths of a dB):
			 * pumping would have gone towards +RANGE */
			CHECK(fabs(after - before) <= 0.05,
			      "gain holds through %.0f s of silence: %.3f -> %.3f dB", prog[s].seconds,
			      before, after);
		}
		at += n;
	}
	float m[2];
	CHECK(master_meter_take(ms, P_MASTER_LEVELER_GAIN, m) == 1, "leveler gain meter");
	CHECK_NEAR(m[0], TARGET - (-10.0), 0.5, "gain meter reads the gain at the end");

	/* Off: a bit-exact identity again once the crossfade is over. */
	master_set(ms, P_MASTER_LEVELER_ON, 0, 0.0f);
	for (unsigned i = 0; i < 200; i++) {
		memset(bl, 0, sizeof bl);
		memset(br, 0, sizeof br);
		master_process(ms, bl, br, 64);
	}
	float t[2][JMX_CHUNK], u[2][JMX_CHUNK];
	for (unsigned rep = 0; rep < 4; rep++) {
		for (unsigned i = 0; i < JMX_CHUNK; i++)
			t[0][i] = t[1][i] = (float)(0.1 * noise());
		memcpy(u, t, sizeof t);
		master_process(ms, u[0], u[1], JMX_CHUNK);
	}
	master_meter_take(ms, P_MASTER_LEVELER_GAIN, m);
	CHECK(m[0] == 0.0f, "gain meter 0 when out: %g", (double)m[0]);
	free(inl);
	free(inr);
	free(gain_at);
	free(out_e);
	master_free(ms);
	return test_exit("test_leveler");
}
