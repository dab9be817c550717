/*
 * corr.h - the master's correlation and mono-loss meter: the mean
 * products LL, RR and LR, each integrated by one exponential window
 * (time constant CORR_TAU_S, the same one-pole as the RMS meters), and
 * the two figures read from them:
 *   correlation = LR / sqrt(LL RR)              (-1 .. +1; 0 in silence)
 *   mono loss   = 10 log10(((LL + RR) / 2) / ((LL + RR + 2 LR) / 4)) dB
 * the stereo power (mean of the two sides) over the power of the mono
 * sum at -6 dB, (L+R)/2, the sum /mon/mono listens to.  It is >= 0 for
 * any signal (LR <= sqrt(LL RR) <= (LL+RR)/2): 0 for mono, 3.01 dB for
 * unrelated signals of equal power or one side alone, CORR_LOSS_MAX when
 * the sum cancels.
 *
 * Threads: corr_run on the RT thread (or a test); corr_value and
 * corr_loss_db are pure and run wherever their struct is owned.
 */
#ifndef JMX_CORR_H
#define JMX_CORR_H

#define CORR_TAU_S    0.3
#define CORR_LOSS_MAX 120.0f

struct corr {
	float ll, rr, lr;
};

/* Add n frames; coef = 1 - exp(-n / (CORR_TAU_S rate)) (the mixer's
 * rms_coef[n]).  About 3 multiply-adds a frame. */
void corr_run(struct corr *c, const float *l, const float *r, unsigned n, float coef);
float corr_value(const struct corr *c);
float corr_loss_db(const struct corr *c);

#endif
