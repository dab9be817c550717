/*
 * test_crossfade.c - a 500 ms scene recall between two very different
 * scenes, recorded at the master output through the real path
 * (snapshot_apply -> model -> RT queue -> mixer_apply/mixer_process):
 *
 *   scene A (live): ch1 1 kHz at fader 0 dB; ch2 300 Hz muted, fader off
 *   scene B:        ch1 at -30 dB; ch2 unmuted at -6 dB
 *
 * Checks, against values computed here from the gain laws:
 *   - before and after the fade each tone has its steady level (constant
 *     power pan at centre: -3.01 dB);
 *   - during the fade each tone's level, measured in 10 ms windows by
 *     correlation (whole cycles of both tones), follows the straight line
 *     in dB from the old to the new fader value over exactly 500 ms,
 *     starting when the recall reaches the audio thread (plus the
 *     limiter's reported latency);
 *   - the largest sample-to-sample step anywhere stays within the bound
 *     of the signal itself: sum over the tones of amplitude * 2 sin(pi f /
 *     fs), at the larger of the two scenes' gains, plus the step the gain
 *     ramps add.  A click (a gain that jumps) breaks it by an order of
 *     magnitude.
 */
#include <string.h>

#include "mixer.h"
#include "model.h"
#include "rtqueue.h"
#include "snapshot.h"
#include "test_util.h"

#define RATE    48000.0
#define FADE_MS 500.0
#define F1      1000.0
#define F2      300.0
#define A1      0.25 /* -12 dBFS sine into ch1 */
#define A2      0.25
#define PRE     9600u  /* 200 ms before the recall */
#define TOTAL   48000u /* 1 s */
#define WIN     480u   /* 10 ms: 10 cycles of F1, 3 of F2 */

static double db_at(double t_ms, double from, double to)
{
	double x = t_ms / FADE_MS;
	x = x < 0 ? 0 : x > 1 ? 1 : x;
	return from + (to - from) * x;
}

int main(void)
{
	const struct param_shape shape = {2, 1};
	struct mixer_config mc = {2, 0, 1, RATE, 0};
	struct rtq q;
	struct rt_msg msg;
	static float in1[TOTAL], in2[TOTAL], outbuf[4 + 2][TOTAL];

	rtq_init(&q, 16384, sizeof msg);
	struct model *live = model_new(&shape, &q);
	struct mixer *mx = mixer_new(&mc);
	struct snapshot *scene = snapshot_new(&shape);
	if (!live || !mx || !scene) {
		fprintf(stderr, "allocation failed\n");
		return 1;
	}
	unsigned lat = mixer_latency(mx), nout = mixer_outputs(mx);

	/* scene A, live */
	model_set(live, P_CH_FADER, 0, 0, 0, NULL);
	model_set(live, P_CH_FADER, 1, 0, -90, NULL);
	model_set(live, P_CH_MUTE, 1, 0, 1, NULL);
	model_commit(live);
	/* scene B */
	model_set(scene->values, P_CH_FADER, 0, 0, -30, NULL);
	model_set(scene->values, P_CH_FADER, 1, 0, -6, NULL);
	model_set(scene->values, P_CH_MUTE, 1, 0, 0, NULL);

	for (unsigned i = 0; i < TOTAL; i++) {
		in1[i] = (float)(A1 * sin(2 * M_PI * F1 * i / RATE));
		in2[i] = (float)(A2 * sin(2 * M_PI * F2 * i / RATE));
	}
	/* settle scene A for a while before recording */
	float *o[6];
	const float *in[2];
	for (unsigned k = 0; k < 6; k++)
		o[k] = outbuf[k];
	in[0] = in1;
	in[1] = in2;
	while (rtq_pop(&q, &msg) == 0)
		mixer_apply(mx, &msg);
	for (unsigned n = 0; n < 4; n++)
		mixer_process(mx, in, o, 4800);
	/* the sines restart at phase 0 every 4800 frames, a whole number of
	 * cycles of both tones: the input stays continuous */
	unsigned pos = 0;
	while (pos < TOTAL) {
		unsigned n = 240; /* PRE and TOTAL are multiples of it */
		if (pos == PRE) {
			unsigned changed = snapshot_apply(scene, live, (float)FADE_MS, SNAPSHOT_RECALL, NULL);
			CHECK(changed == 3, "recall changed %u parameters, want 3", changed);
			model_commit(live);
			/* the audio thread takes the queue at the start of a period */
			while (rtq_pop(&q, &msg) == 0)
				mixer_apply(mx, &msg);
		}
		const float *pin[2] = {in1 + pos, in2 + pos};
		float *pout[6];
		for (unsigned k = 0; k < nout; k++)
			pout[k] = outbuf[k] + pos;
		mixer_process(mx, pin, pout, n);
		pos += n;
	}

	const float *L = outbuf[0];
	const double pan = 20 * log10(cos(M_PI / 4)); /* -3.01 dB at centre */
	double a1_db = 20 * log10(A1) + pan, a2_db = 20 * log10(A2) + pan;
	unsigned start = PRE + lat; /* the fade reaches the output here */

	/* steady before: tone 1 at 0 dB fader, tone 2 absent */
	double b1 = db20(tone_amplitude(L + start - 4 * WIN, 2 * WIN, F1, RATE));
	double b2 = db20(tone_amplitude(L + start - 4 * WIN, 2 * WIN, F2, RATE));
	CHECK_NEAR(b1, a1_db, 0.05, "tone 1 before the recall (dBFS)");
	CHECK(b2 < -100, "tone 2 silent before the recall (%.1f dBFS)", b2);

	double after1 = db20(tone_amplitude(L + TOTAL - 3 * WIN, 2 * WIN, F1, RATE));
	CHECK_NEAR(after1, a1_db - 30, 0.05, "tone 1 after the recall (dBFS)");
	double after2 = db20(tone_amplitude(L + TOTAL - 3 * WIN, 2 * WIN, F2, RATE));
	CHECK_NEAR(after2, a2_db - 6, 0.05, "tone 2 after the recall (dBFS)");

	/* the level follows the path: windows centred at t within the fade */
	double worst1 = 0, worst2 = 0;
	unsigned checked = 0;
	for (unsigned w = start; w + WIN <= start + (unsigned)(FADE_MS * RATE / 1000) + 2 * WIN;
	     w += WIN / 2) {
		double t = ((double)w + WIN / 2.0 - start) * 1000.0 / RATE;
		double want1 = a1_db + db_at(t, 0, -30), want2 = a2_db + db_at(t, -90, -6);
		double got1 = db20(tone_amplitude(L + w, WIN, F1, RATE));
		double got2 = db20(tone_amplitude(L + w, WIN, F2, RATE));
		if (fabs(got1 - want1) > worst1)
			worst1 = fabs(got1 - want1);
		if (want2 > -60 && fabs(got2 - want2) > worst2)
			worst2 = fabs(got2 - want2);
		checked++;
	}
	/* Tolerance as a timing error: the ramp is sample-accurate, so allow
	 * 3 ms (a 64-frame chunk of quantisation and then some) times each
	 * path's slope, plus 0.1 dB; averaging over a window biases a dB-linear
	 * ramp by < 0.02 dB.  A fade along another law (linear gain, or a
	 * jump at the end) misses by several dB mid-way. */
	double tol1 = 30.0 / FADE_MS * 3 + 0.1, tol2 = 84.0 / FADE_MS * 3 + 0.1;
	CHECK(worst1 <= tol1, "tone 1 strays %.2f dB from the dB-linear path (tolerance %.2f)", worst1, tol1);
	CHECK(worst2 <= tol2, "tone 2 strays %.2f dB from the dB-linear path (tolerance %.2f)", worst2, tol2);
	CHECK(checked > 100, "%u windows checked", checked);

	/* the largest step: the signal's own bound */
	double g1 = A1 * cos(M_PI / 4), g2 = A2 * cos(M_PI / 4) * pow(10, -6 / 20.0);
	double bound = g1 * 2 * sin(M_PI * F1 / RATE) + g2 * 2 * sin(M_PI * F2 / RATE);
	/* plus what the gain ramps add per sample at most: 90 dB in 500 ms */
	double slope = (pow(10, 90.0 / 20 / (FADE_MS * RATE / 1000)) - 1) * (g1 + g2);
	bound = bound * 1.02 + slope;
	double maxstep = 0;
	unsigned at = 0;
	for (unsigned i = 1; i < TOTAL; i++) {
		double d = fabs((double)L[i] - L[i - 1]);
		if (d > maxstep)
			maxstep = d, at = i;
	}
	CHECK(maxstep <= bound,
	      "largest step %.5f at frame %u (%.1f ms after the recall) exceeds the bound %.5f", maxstep, at,
	      ((double)at - start) * 1000 / RATE, bound);
	printf("test_crossfade: largest step %.5f (bound %.5f), path error %.3f / %.3f dB\n", maxstep, bound,
	       worst1, worst2);

	snapshot_free(scene);
	mixer_free(mx);
	model_free(live);
	rtq_destroy(&q);
	return test_exit("test_crossfade");
}
