/*
 * test_chkey.c - a channel's input delay and the keys of its gate and
 * compressor, measured through the public API (mixer_new / mixer_apply /
 * mixer_process on plain buffers) against maths this file works out:
 * delays to the sample at 44.1, 48 and 96 kHz; the step bound while a
 * delay changes (the crossfade's raised cosine, computed here); ducking
 * depth from a known key (the compressor's static curve); a kick keying a
 * bass gate; a key from a later or an earlier group giving the same frames
 * as the channel keying itself (no period of delay, no dependence on the
 * order); the key high-pass (RBJ Butterworth response evaluated here); NaN
 * and inf on a delayed, keyed path.
 *
 * Levels are read on aux bus 1, fed by a pre-fader 0 dB send: the strip up
 * to the compressor, with no master processing or latency in the way.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "mixer.h"
#include "mixer_rig.h"
#include "test_util.h"

enum { O_ML, O_MR, O_MONL, O_MONR, O_BUS };
#define O_BL(b) (O_BUS + 2 * (b))

/* Render frames [from, to) in periods of `period` frames. */
static void render(struct rig *r, size_t from, size_t to, unsigned period)
{
	const float *in[600];
	float *out[80];
	for (size_t t = from; t < to; t += period) {
		unsigned n = (unsigned)(to - t < period ? to - t : period);
		for (unsigned i = 0; i < r->lanes; i++)
			in[i] = r->in[i] + t;
		for (unsigned i = 0; i < r->outs; i++)
			out[i] = r->out[i] + t;
		mixer_process(r->m, in, out, n);
	}
}

/* mono channels, channel `ch` (0-based) alone into bus 1 by a pre-fader
 * 0 dB send. */
static struct rig bus_rig(unsigned mono, unsigned stereo, unsigned ch, double rate, size_t len)
{
	struct rig r = rig_open(mono, stereo, 1, rate, len);
	rig_set(&r, P_CH_SEND_LEVEL, ch, 0, 0.0f);
	rig_set(&r, P_CH_SEND_PRE, ch, 0, 1.0f);
	rig_set(&r, P_MASTER_LIMITER_ON, 0, 0, 0.0f);
	return r;
}

/* The compressor's static curve (dB of reduction at input peak level x):
 * hard above the knee, the quadratic inside a knee of w dB. */
static double ref_comp_gr(double x, double thr, double ratio, double w)
{
	if (2.0 * (x - thr) < -w)
		return 0.0;
	if (2.0 * fabs(x - thr) <= w && w > 0.0) {
		double t = x - thr + w / 2.0;
		return (1.0 - 1.0 / ratio) * t * t / (2.0 * w);
	}
	return (1.0 - 1.0 / ratio) * (x - thr);
}

/* ---- the delay ------------------------------------------------------- */

static void test_delay_exact(void)
{
	static const double rates[] = {44100.0, 48000.0, 96000.0};
	static const double ms[] = {0.0, 1.0, 10.0, 33.3, 57.123, 100.0};
	for (unsigned ri = 0; ri < 3; ri++) {
		double rate = rates[ri];
		size_t len = (size_t)(0.4 * rate);
		for (unsigned k = 0; k < sizeof ms / sizeof ms[0]; k++) {
			struct rig r = bus_rig(1, 0, 0, rate, len);
			rig_set(&r, P_CH_DELAY, 0, 0, (float)ms[k]);
			/* whole frames, the nearest to the time asked */
			size_t d = (size_t)lround(ms[k] * 0.001 * rate), t0 = (size_t)(0.2 * rate) + 7;
			r.in[0][t0] = 0.5f;
			r.in[0][t0 + 1] = -0.25f;
			render(&r, 0, len, 64);
			const float *y = r.out[O_BL(0)];
			size_t bad = 0;
			for (size_t i = 0; i < len; i++) {
				float want = i == t0 + d ? 0.5f : i == t0 + d + 1 ? -0.25f : 0.0f;
				bad += y[i] != want;
			}
			CHECK(bad == 0, "%.0f Hz, delay %.3f ms = %zu frames: %zu samples off (y[t0+d] = %g)",
			      rate, ms[k], d, bad, (double)y[t0 + d]);
			rig_free(&r);
		}
	}
}

/* The largest step of the crossfade's weight in one frame: the raised
 * cosine of the switch ramp, 5 ms in whole 64-frame chunks, linear
 * inside each chunk. */
static double xf_step(double rate)
{
	unsigned nf = (unsigned)lround(0.005 * rate), n = (nf + 63) / 64, k;
	double worst = 0.0;
	for (k = 0; k < n; k++) {
		double a = 0.5 * (1.0 + cos(M_PI * k / n)), b = 0.5 * (1.0 + cos(M_PI * (k + 1) / n));
		worst = fmax(worst, (a - b) / 64.0);
	}
	return worst;
}

static void test_delay_click(void)
{
	const double rate = 48000.0, f = 997.0, a = 0.5;
	const size_t len = (size_t)(1.2 * rate);
	struct rig r = bus_rig(1, 0, 0, rate, len);
	for (size_t i = 0; i < len; i++)
		r.in[0][i] = (float)(a * sin(2.0 * M_PI * f * (double)i / rate));
	/* the signal's own largest step, and the fade's between two lines of
	 * the same sine (each at most a): |y'| <= own + step(w) x 2a */
	double bound = 2.0 * a * sin(M_PI * f / rate) + xf_step(rate) * 2.0 * a + 1e-6;
	size_t t = (size_t)(0.1 * rate);
	render(&r, 0, t, 64);
	rig_set(&r, P_CH_DELAY, 0, 0, 10.0f);
	render(&r, t, t + 4800, 64);
	rig_set(&r, P_CH_DELAY, 0, 0, 3.71f);
	render(&r, t + 4800, t + 4800 + 100, 64);
	rig_set(&r, P_CH_DELAY, 0, 0, 81.0f); /* during the fade: waits, then fades */
	render(&r, t + 4900, t + 9600, 37);
	/* a timed move: a point every chunk, a chain of crossfades */
	struct rt_msg mv = {P_CH_DELAY, 0, 0, RT_RAMP, 0.0f, 300.0f};
	mixer_apply(r.m, &mv);
	render(&r, t + 9600, len, 64);
	/* the first change, on lines at rest: the output is x(i) or x(i - d)
	 * or between them, never what the lines held before (their past is
	 * written first, then the fade starts) */
	size_t outside = 0;
	for (size_t i = t; i < t + 4800; i++) {
		double y = r.out[O_BL(0)][i], a0 = r.in[0][i], a1 = r.in[0][i - 480];
		outside += y < fmin(a0, a1) - 1e-4 || y > fmax(a0, a1) + 1e-4; /* the send still settling */
	}
	CHECK(outside == 0, "0 -> 10 ms: %zu frames not between x(i) and x(i - 480)", outside);
	double got = max_step(r.out[O_BL(0)], t - 1, len);
	CHECK(got <= bound, "delay changes: largest step %.4g, bound %.4g (a jump would be up to %.3g)", got,
	      bound, 2 * a);
	/* and the moves got there: the end is the sine 0 frames late */
	double err = 0.0;
	for (size_t i = len - 4800; i < len; i++)
		err = fmax(err, fabs((double)r.out[O_BL(0)][i] - (double)r.in[0][i]));
	CHECK(err == 0.0, "delay ramped to 0: output = input, max diff %g", err);
	rig_free(&r);
}

/* ---- keys ------------------------------------------------------------ */

/* Compressor of channel 1 keyed by channel 2: ducking depth against the
 * static curve at the key's level.  Both inputs DC, so the detector's
 * level is exactly the key's. */
static void test_ducking(void)
{
	static const struct {
		double key_db, thr, ratio, knee;
	} cs[] = {{-6, -20, 4, 0}, {-12, -20, 10, 6}, {-18, -20, 2, 12}, {0, -30, 20, 24}, {-40, -20, 4, 6}};
	const double rate = 48000.0, music = 0.05; /* -26 dBFS: below every threshold */
	const size_t len = (size_t)(0.5 * rate);
	for (unsigned c = 0; c < sizeof cs / sizeof cs[0]; c++) {
		for (int keyed = 0; keyed < 2; keyed++) {
			struct rig r = bus_rig(2, 0, 0, rate, len);
			rig_set(&r, P_CH_DYN_ON, 0, 0, 1.0f);
			rig_set(&r, P_CH_DYN_THR, 0, 0, (float)cs[c].thr);
			rig_set(&r, P_CH_DYN_RATIO, 0, 0, (float)cs[c].ratio);
			rig_set(&r, P_CH_DYN_KNEE, 0, 0, (float)cs[c].knee);
			rig_set(&r, P_CH_DYN_ATTACK, 0, 0, 1.0f);
			if (keyed)
				rig_set(&r, P_CH_DYN_KEY, 0, 0, 2.0f);
			for (size_t i = 0; i < len; i++) {
				r.in[0][i] = (float)music;
				r.in[1][i] = (float)pow(10.0, cs[c].key_db / 20.0);
			}
			render(&r, 0, len, 64);
			double gr = -db20(r.out[O_BL(0)][len - 1] / music);
			double want = keyed ? ref_comp_gr(cs[c].key_db, cs[c].thr, cs[c].ratio, cs[c].knee)
			                    : ref_comp_gr(db20(music), cs[c].thr, cs[c].ratio, cs[c].knee);
			CHECK_NEAR(gr, want, 0.01,
			           keyed ? "ducking depth, keyed by channel 2" : "unkeyed: no ducking");
			rig_free(&r);
		}
	}
}

/* A kick (channel 2: 20 ms bursts every 250 ms) keys a bass gate
 * (channel 1, a steady tone below the threshold): open while the kick
 * plays, at the floor of the range between kicks. */
static void test_kick_gate(void)
{
	const double rate = 48000.0, range = 40.0;
	const size_t len = (size_t)(1.0 * rate), beat = (size_t)(0.25 * rate), burst = (size_t)(0.02 * rate);
	for (int keyed = 0; keyed < 2; keyed++) {
		struct rig r = bus_rig(2, 0, 0, rate, len);
		rig_set(&r, P_CH_GATE_ON, 0, 0, 1.0f);
		rig_set(&r, P_CH_GATE_THR, 0, 0, -30.0f);
		rig_set(&r, P_CH_GATE_RANGE, 0, 0, (float)range);
		rig_set(&r, P_CH_GATE_ATTACK, 0, 0, 0.1f);
		rig_set(&r, P_CH_GATE_HOLD, 0, 0, 0.0f);
		rig_set(&r, P_CH_GATE_RELEASE, 0, 0, 10.0f);
		if (keyed)
			rig_set(&r, P_CH_GATE_KEY, 0, 0, 2.0f);
		for (size_t i = 0; i < len; i++) {
			r.in[0][i] = 0.01f; /* -40 dBFS bass: never opens the gate itself */
			r.in[1][i] = i % beat < burst ? (i % 2 ? 0.5f : -0.5f) : 0.0f;
		}
		render(&r, 0, len, 64);
		const float *y = r.out[O_BL(0)];
		double floor_g = pow(10.0, -range / 20.0);
		/* in the middle of a kick (after 10 ms of 0.1 ms attack): open;
		 * at the end of a gap (220 ms after it closes at 10 ms): shut */
		double mid = y[2 * beat + burst / 2] / 0.01, gap = y[3 * beat - 1] / 0.01;
		if (keyed) {
			CHECK_NEAR(db20(mid), 0.0, 0.01, "kick keys the bass gate open");
			/* release: one-pole of 10 ms from 1 towards the floor over 230 ms */
			double left = exp(-0.23 / 0.010);
			CHECK(gap <= floor_g + (1.0 - floor_g) * left * 1.5 + 1e-6 && gap >= floor_g * 0.999,
			      "between kicks the gate is at its floor: %.2f dB", db20(gap));
		} else {
			CHECK_NEAR(db20(mid), -range, 0.01, "unkeyed: the bass alone leaves the gate shut");
		}
		rig_free(&r);
	}
}

/* Channel 12 (group 2 of 3) detects K: itself (key 0), channel 3 (an
 * earlier group) or channel 20 (a later one), each carrying K.  Same
 * frames everywhere, so the outputs are the same bit for bit, in periods
 * that cut chunks too. */
static void test_key_order(void)
{
	const double rate = 48000.0;
	const size_t len = 24000;
	static const unsigned periods[] = {64, 37, 256};
	static const float keys[] = {0.0f, 3.0f, 20.0f};
	for (int gate = 0; gate < 2; gate++) {
		float *ref = malloc(len * sizeof *ref);
		for (unsigned p = 0; p < 3; p++)
			for (unsigned k = 0; k < 3; k++) {
				struct rig r = bus_rig(24, 0, 11, rate, len);
				enum param_id on = gate ? P_CH_GATE_ON : P_CH_DYN_ON;
				rig_set(&r, on, 11, 0, 1.0f);
				if (gate) {
					rig_set(&r, P_CH_GATE_THR, 11, 0, -20.0f);
					rig_set(&r, P_CH_GATE_HOLD, 11, 0, 1.0f);
					rig_set(&r, P_CH_GATE_RELEASE, 11, 0, 5.0f);
				} else {
					rig_set(&r, P_CH_DYN_THR, 11, 0, -30.0f);
					rig_set(&r, P_CH_DYN_RATIO, 11, 0, 8.0f);
					rig_set(&r, P_CH_DYN_ATTACK, 11, 0, 0.1f);
					rig_set(&r, P_CH_DYN_RELEASE, 11, 0, 5.0f);
				}
				rig_set(&r, gate ? P_CH_GATE_KEY : P_CH_DYN_KEY, 11, 0, keys[k]);
				for (size_t i = 0; i < len; i++) {
					/* bursts of a tone, 5 ms on, 15 ms off: every block matters */
					float v = (i / 240) % 4 == 0 ? (float)(0.7 * sin(0.05 * (double)i))
					                             : 0.001f;
					r.in[11][i] = r.in[2][i] = r.in[19][i] = v;
				}
				render(&r, 0, len, periods[p]);
				if (p == 0 && k == 0) {
					memcpy(ref, r.out[O_BL(0)], len * sizeof *ref);
					/* the dynamics did something: the test can see a late key */
					double lo = 1.0;
					for (size_t i = 0; i < len; i++)
						if (fabs(r.in[11][i]) > 0.1)
							lo = fmin(lo, fabs(r.out[O_BL(0)][i] / r.in[11][i]));
					CHECK(lo < 0.5, "%s acts (gain down to %.3f)",
					      gate ? "gate" : "compressor", lo);
				} else {
					size_t diff = 0;
					for (size_t i = 0; i < len; i++)
						diff += r.out[O_BL(0)][i] != ref[i];
					CHECK(diff == 0,
					      "%s keyed by channel %g, period %u: %zu samples differ from "
					      "itself",
					      gate ? "gate" : "compressor", (double)keys[k], periods[p],
					      diff);
				}
				rig_free(&r);
			}
		free(ref);
	}
}

/* |H| at f of the RBJ 2nd-order high-pass (Q = 1/sqrt(2)) at fc. */
static double ref_hpf_mag(double f, double fc, double rate)
{
	double w0 = 2.0 * M_PI * fc / rate, al = sin(w0) / (2.0 * M_SQRT1_2), c = cos(w0);
	double b0 = (1 + c) / 2, b1 = -(1 + c), b2 = (1 + c) / 2, a0 = 1 + al, a1 = -2 * c, a2 = 1 - al;
	double w = 2.0 * M_PI * f / rate;
	double nr = b0 + b1 * cos(w) + b2 * cos(2 * w), ni = -(b1 * sin(w) + b2 * sin(2 * w));
	double dr = a0 + a1 * cos(w) + a2 * cos(2 * w), di = -(a1 * sin(w) + a2 * sin(2 * w));
	return sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
}

/* A 50 Hz key through the key's high-pass at 100 Hz ducks by the curve
 * at its filtered level, less than without the filter. */
static void test_key_hpf(void)
{
	const double rate = 48000.0, f = 50.0, fc = 100.0, thr = -30.0, ratio = 4.0, music = 0.05;
	const size_t len = (size_t)(2.0 * rate);
	double got[2];
	for (int hpf = 0; hpf < 2; hpf++) {
		struct rig r = bus_rig(2, 0, 0, rate, len);
		rig_set(&r, P_CH_DYN_ON, 0, 0, 1.0f);
		rig_set(&r, P_CH_DYN_THR, 0, 0, (float)thr);
		rig_set(&r, P_CH_DYN_RATIO, 0, 0, (float)ratio);
		rig_set(&r, P_CH_DYN_KNEE, 0, 0, 0.0f);
		rig_set(&r, P_CH_DYN_ATTACK, 0, 0, 0.1f);
		rig_set(&r, P_CH_DYN_RELEASE, 0, 0, 200.0f);
		rig_set(&r, P_CH_DYN_KEY, 0, 0, 2.0f);
		rig_set(&r, P_CH_DYN_KEY_HPF_HZ, 0, 0, (float)fc);
		rig_set(&r, P_CH_DYN_KEY_HPF_ON, 0, 0, (float)hpf);
		for (size_t i = 0; i < len; i++) {
			r.in[0][i] = (float)music;
			r.in[1][i] = (float)sin(2.0 * M_PI * f * (double)i / rate);
		}
		render(&r, 0, len, 64);
		/* the most reduction over the last 100 ms: at the key's peaks
		 * (attack 0.1 ms), the onset's transient long released */
		double lo = 1.0;
		for (size_t i = len - 4800; i < len; i++)
			lo = fmin(lo, r.out[O_BL(0)][i] / music);
		got[hpf] = -db20(lo);
		double lvl = hpf ? db20(ref_hpf_mag(f, fc, rate)) : 0.0;
		CHECK_NEAR(got[hpf], ref_comp_gr(lvl, thr, ratio, 0.0), 0.05,
		           hpf ? "50 Hz key through a 100 Hz key high-pass" : "50 Hz key, no high-pass");
		rig_free(&r);
	}
	CHECK(got[1] < got[0] - 5.0, "a low key triggers less through the high-pass: %.2f vs %.2f dB", got[1],
	      got[0]);
}

/* A stereo key (channel 2, stereo) on a mono channel: detected on its
 * louder side. */
static void test_stereo_key(void)
{
	const double rate = 48000.0, music = 0.05;
	const size_t len = 9600;
	struct rig r = bus_rig(1, 1, 0, rate, len);
	rig_set(&r, P_CH_DYN_ON, 0, 0, 1.0f);
	rig_set(&r, P_CH_DYN_THR, 0, 0, -20.0f);
	rig_set(&r, P_CH_DYN_RATIO, 0, 0, 4.0f);
	rig_set(&r, P_CH_DYN_KNEE, 0, 0, 0.0f);
	rig_set(&r, P_CH_DYN_KEY, 0, 0, 2.0f);
	for (size_t i = 0; i < len; i++) {
		r.in[0][i] = (float)music;
		r.in[1][i] = 0.1f;  /* L -20 dB */
		r.in[2][i] = -0.5f; /* R -6 dB: the louder */
	}
	render(&r, 0, len, 64);
	CHECK_NEAR(-db20(r.out[O_BL(0)][len - 1] / music), ref_comp_gr(db20(0.5), -20, 4, 0), 0.01,
	           "stereo key: its louder side");
	rig_free(&r);
}

/* NaN and inf into a delayed channel and into its key: nothing but
 * finite output, and the same output as with zeros there. */
static void test_nan(void)
{
	const double rate = 48000.0;
	const size_t len = 24000, bad = 9000;
	float *ref = malloc(len * sizeof *ref);
	for (int run = 0; run < 2; run++) {
		struct rig r = bus_rig(2, 0, 0, rate, len);
		rig_set(&r, P_CH_DELAY, 0, 0, 10.0f);
		rig_set(&r, P_CH_DYN_ON, 0, 0, 1.0f);
		rig_set(&r, P_CH_DYN_KEY, 0, 0, 2.0f);
		rig_set(&r, P_CH_DYN_KEY_HPF_ON, 0, 0, 1.0f);
		rig_set(&r, P_CH_GATE_ON, 0, 0, 1.0f);
		rig_set(&r, P_CH_GATE_KEY, 0, 0, 2.0f);
		for (size_t i = 0; i < len; i++) {
			r.in[0][i] = (float)(0.3 * sin(0.01 * (double)i));
			r.in[1][i] = (float)(0.5 * sin(0.003 * (double)i));
		}
		for (size_t i = bad; i < bad + 100; i++) {
			r.in[0][i] = run ? (i % 2 ? NAN : INFINITY) : 0.0f;
			r.in[1][i] = run ? (i % 2 ? -INFINITY : NAN) : 0.0f;
		}
		render(&r, 0, len, 256);
		if (!run) {
			memcpy(ref, r.out[O_BL(0)], len * sizeof *ref);
		} else {
			size_t nonfinite = 0, diff = 0;
			for (size_t i = 0; i < len; i++) {
				nonfinite += !isfinite(r.out[O_BL(0)][i]);
				diff += r.out[O_BL(0)][i] != ref[i];
			}
			CHECK(nonfinite == 0, "NaN/inf into a delayed, keyed channel: %zu non-finite outputs",
			      nonfinite);
			CHECK(diff == 0, "NaN/inf render as silence: %zu samples differ", diff);
		}
		rig_free(&r);
	}
	free(ref);
}

int main(void)
{
	test_delay_exact();
	test_delay_click();
	test_ducking();
	test_kick_gate();
	test_key_order();
	test_key_hpf();
	test_stereo_key();
	test_nan();
	return test_exit("test_chkey");
}
