/*
 * master_gen.c - music-like stereo test signals for master.sh: a seeded
 * mix of decaying harmonic tones (notes), a sustained bass, and noise
 * bursts with fast decays (drums), so the crest factor is wide like a
 * real mix's, not a sine's or steady noise's.
 *
 *   master_gen OUT.wav SECONDS GAIN_DB SEED [peaky]
 *
 * GAIN_DB scales the whole mix (0 dB puts the loudest drum hits near full
 * scale); "peaky" makes the drum hits sparse and 12 dB hotter against
 * the rest, a peak-to-loudness ratio no limiter can take to a loud target
 * within 6 dB.  32-bit float WAV at 48 kHz, so levels above full scale
 * survive.  Deterministic: the same arguments give the same file.
 */
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000

static uint32_t seed;
static double urand(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return (double)seed / 4294967296.0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: master_gen OUT.wav SECONDS GAIN_DB SEED [peaky]\n");
		return 2;
	}
	double secs = atof(argv[2]), gain = pow(10.0, atof(argv[3]) / 20.0);
	seed = (uint32_t)strtoul(argv[4], NULL, 10) * 2654435761u + 1u;
	int peaky = argc > 5 && !strcmp(argv[5], "peaky");
	size_t n = (size_t)(secs * RATE);
	float *x = calloc(2 * n, sizeof(float));
	if (!x || n == 0)
		return 2;
	const double pi = 3.14159265358979323846;
	/* notes: a new one every 0.2..0.6 s, 3 harmonics, decay 0.15..0.9 s */
	for (double t = 0; t < secs; t += 0.2 + 0.4 * urand()) {
		double f = 110.0 * pow(2.0, floor(urand() * 36) / 12.0), tau = 0.15 + 0.75 * urand();
		double amp = 0.05 + 0.08 * urand(), pan = urand();
		size_t i0 = (size_t)(t * RATE), len = (size_t)(5 * tau * RATE);
		for (size_t i = 0; i < len && i0 + i < n; i++) {
			double u = (double)i / RATE, env = amp * exp(-u / tau) * (1 - exp(-u / 0.005));
			double s = sin(2 * pi * f * u) + 0.5 * sin(4 * pi * f * u + 0.3) +
			           0.25 * sin(6 * pi * f * u + 1.1);
			x[2 * (i0 + i)] += (float)(env * s * (1 - pan));
			x[2 * (i0 + i) + 1] += (float)(env * s * pan);
		}
	}
	/* bass: a slow line */
	for (size_t i = 0; i < n; i++) {
		double u = (double)i / RATE, f = 55.0 * (1 + ((size_t)(u / 2.0) % 3) * 0.25);
		double s = 0.06 * sin(2 * pi * f * u);
		x[2 * i] += (float)s;
		x[2 * i + 1] += (float)s;
	}
	/* drums: noise bursts on a 0.5 s grid (peaky: every 2 s, much hotter) */
	double step = peaky ? 2.0 : 0.5, hot = peaky ? 4.0 : 1.0;
	for (double t = 0.1; t < secs; t += step) {
		double tau = 0.01 + 0.03 * urand(), amp = hot * (0.3 + 0.25 * urand());
		size_t i0 = (size_t)(t * RATE), len = (size_t)(6 * tau * RATE);
		double lp_l = 0, lp_r = 0;
		for (size_t i = 0; i < len && i0 + i < n; i++) {
			double env = amp * exp(-(double)i / RATE / tau);
			/* a little low-pass so it is a thump, not a click */
			lp_l += 0.5 * ((urand() * 2 - 1) - lp_l);
			lp_r += 0.5 * ((urand() * 2 - 1) - lp_r);
			x[2 * (i0 + i)] += (float)(env * lp_l);
			x[2 * (i0 + i) + 1] += (float)(env * lp_r);
		}
	}
	for (size_t i = 0; i < 2 * n; i++)
		x[i] = (float)(x[i] * gain);
	SF_INFO si = {.samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
	SNDFILE *sf = sf_open(argv[1], SFM_WRITE, &si);
	if (!sf || sf_writef_float(sf, x, (sf_count_t)n) != (sf_count_t)n) {
		fprintf(stderr, "master_gen: %s: %s\n", argv[1], sf_strerror(sf));
		return 1;
	}
	sf_close(sf);
	free(x);
	return 0;
}
