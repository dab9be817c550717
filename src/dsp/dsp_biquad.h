/*
 * dsp_biquad.h - biquad coefficient design (RBJ Audio EQ Cookbook) and the
 * static gain curve of the feed-forward compressor, shared by the channel
 * strips and the master chain.
 *
 * Threads: pure functions, RT-safe; any thread.  Coefficients are computed
 * only when a (smoothed) parameter moves, never per sample.
 *
 * Normalised form: y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2 (a0 divided out).
 */
#ifndef JMX_DSP_BIQUAD_H
#define JMX_DSP_BIQUAD_H

#include <math.h>

enum biquad_kind { BQ_PEAK = 0, BQ_LOWSHELF = 1, BQ_HIGHSHELF = 2, BQ_HIGHPASS = 3 };

struct biquad_coef {
	float b0, b1, b2, a1, a2;
};

static inline struct biquad_coef biquad_design(enum biquad_kind kind, double rate, double hz, double db,
                                               double q)
{
	const double pi = 3.14159265358979323846;
	if (hz > 0.49 * rate)
		hz = 0.49 * rate;
	double A = pow(10.0, db / 40.0);
	double w0 = 2.0 * pi * hz / rate;
	double c = cos(w0), s = sin(w0);
	double alpha = s / (2.0 * q);
	double sa = 2.0 * sqrt(A) * alpha;
	double b0, b1, b2, a0, a1, a2;
	switch (kind) {
	case BQ_LOWSHELF:
		b0 = A * ((A + 1) - (A - 1) * c + sa);
		b1 = 2 * A * ((A - 1) - (A + 1) * c);
		b2 = A * ((A + 1) - (A - 1) * c - sa);
		a0 = (A + 1) + (A - 1) * c + sa;
		a1 = -2 * ((A - 1) + (A + 1) * c);
		a2 = (A + 1) + (A - 1) * c - sa;
		break;
	case BQ_HIGHSHELF:
		b0 = A * ((A + 1) + (A - 1) * c + sa);
		b1 = -2 * A * ((A - 1) + (A + 1) * c);
		b2 = A * ((A + 1) + (A - 1) * c - sa);
		a0 = (A + 1) - (A - 1) * c + sa;
		a1 = 2 * ((A - 1) - (A + 1) * c);
		a2 = (A + 1) - (A - 1) * c - sa;
		break;
	case BQ_HIGHPASS:
		b0 = (1 + c) / 2;
		b1 = -(1 + c);
		b2 = (1 + c) / 2;
		a0 = 1 + alpha;
		a1 = -2 * c;
		a2 = 1 - alpha;
		break;
	case BQ_PEAK:
	default:
		b0 = 1 + alpha * A;
		b1 = -2 * c;
		b2 = 1 - alpha * A;
		a0 = 1 + alpha / A;
		a1 = -2 * c;
		a2 = 1 - alpha / A;
		break;
	}
	struct biquad_coef k = {(float)(b0 / a0), (float)(b1 / a0), (float)(b2 / a0), (float)(a1 / a0),
	                        (float)(a2 / a0)};
	return k;
}

/* Static curve of the compressor (Giannoulis, Massberg & Reiss 2012):
 * gain reduction in dB (>= 0) for an input level xdb, with threshold thr,
 * ratio r and a quadratic soft knee of width knee dB centred on thr. */
static inline float comp_gr_db(float xdb, float thr, float ratio, float knee)
{
	float over = xdb - thr;
	float slope = 1.0f - 1.0f / ratio;
	if (2.0f * over <= -knee)
		return 0.0f;
	if (knee > 0.0f && 2.0f * over < knee) {
		float t = over + 0.5f * knee;
		return slope * t * t / (2.0f * knee);
	}
	return slope * over;
}

#endif
