/*
 * rtsan_dsp.c - the DSP and the recorder ring under RealtimeSanitizer,
 * without JACK (tests/rtsan.sh builds it and the RT library with clang
 * -fsanitize=realtime).  rt_cycle, marked nonblocking, is what the
 * process callback does each period: apply queued parameter changes
 * (sets and ramps of every parameter of every instance, in range), render
 * a period of any length up to JMX_MAX_FRAMES, push the master into the
 * recorder ring with the transport's tempo changing under the buses'
 * effects, and run the bus effects (fx.h) on the master too: each of
 * reverb, delay and chorus engaged (an instance each, and one that
 * switches type now and then), every effect parameter set or jumped to
 * random values in its range, the tempo moved.  RTSan reports any
 * allocation, lock, blocking call or
 * system call made from it or anything it calls.
 *
 *   rtsan_dsp [--negative] [SECONDS]
 *
 * --negative: rt_cycle also allocates (through a volatile function
 * pointer, so the compiler cannot delete the unused allocation): RTSan
 * must report it, which proves the build and the runtime are watching.
 *
 * Threads: one (the "RT" context is entered by calling rt_cycle).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsp.h"
#include "fx.h"
#include "mixer.h"
#include "params.h"
#include "recring.h"

#if defined(__has_feature)
#if __has_feature(realtime_sanitizer)
#define NONBLOCKING __attribute__((nonblocking))
#endif
#endif
#ifndef NONBLOCKING
#define NONBLOCKING
#endif

#define MONO     4u
#define STEREO   2u
#define BUSES    2u
#define MAX_MSGS 512u

/* The bus effects: one instance per type and one that changes type. */
#define FX_N 4u
struct fx_msg {
	uint8_t inst, param, jump;
	float value;
};
struct fx_rig {
	struct fx *fx[FX_N];
	struct fx_msg msgs[64];
	unsigned n_msgs;
	int new_type; /* for the switching instance, -1: none */
	float bpm;    /* < 0: unchanged */
	float out[2][JMX_MAX_FRAMES];
};
/* ranges of the effect parameters (fx.h, issue 15) */
static const float fx_lo[FXP_COUNT] = {0.2f, 0, 200, 20, 0, 0, 1, 0, 0, 0, 0, 0.05f, 0};
static const float fx_hi[FXP_COUNT] = {10, 200, 20000, 1000, 1, 1, 2000, 0.95f, 1, 1, 13, 10, 20};

static int negative;
static void *(*volatile alloc_fn)(size_t) = malloc;
static void *volatile sink;

static void rt_cycle(struct mixer *m, struct recring *ring, struct fx_rig *fr, const struct rt_msg *msgs,
                     unsigned n_msgs, const float *const *in, float *const *out, unsigned n,
                     float bpm) NONBLOCKING;
static void rt_cycle(struct mixer *m, struct recring *ring, struct fx_rig *fr, const struct rt_msg *msgs,
                     unsigned n_msgs, const float *const *in, float *const *out, unsigned n, float bpm)
{
	for (unsigned i = 0; i < n_msgs; i++)
		mixer_apply(m, &msgs[i]);
	mixer_set_tempo(m, bpm);
	mixer_process(m, in, out, n);
	recring_push(ring, out[0], out[1], n);
	for (unsigned i = 0; i < fr->n_msgs; i++) {
		const struct fx_msg *f = &fr->msgs[i];
		fx_set(fr->fx[f->inst], (enum fx_param)f->param, f->value);
		if (f->jump)
			fx_jump(fr->fx[f->inst], (enum fx_param)f->param);
	}
	if (fr->new_type >= 0)
		fx_set_type(fr->fx[FX_N - 1], (enum fx_type)fr->new_type);
	for (unsigned k = 0; k < FX_N; k++) {
		if (fr->bpm >= 0.0f)
			fx_set_tempo(fr->fx[k], fr->bpm);
		for (unsigned t = 0; t < n; t += JMX_CHUNK) {
			unsigned c = n - t < JMX_CHUNK ? n - t : JMX_CHUNK;
			fx_process(fr->fx[k], out[0] + t, out[1] + t, fr->out[0] + t, fr->out[1] + t, c);
		}
	}
	if (negative)
		sink = alloc_fn(64); /* the deliberate violation */
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static float uniform(uint32_t *s)
{
	return (float)(rnd(s) & 0xffffff) / (float)0x1000000;
}

static unsigned dims(enum param_id id, unsigned *n2)
{
	const struct param_shape shape = {MONO + STEREO, BUSES};
	unsigned n1;
	param_dims(id, &shape, &n1, n2);
	return n1;
}

int main(int argc, char **argv)
{
	double seconds = 5;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--negative"))
			negative = 1;
		else
			seconds = atof(argv[i]);
	}
	struct mixer_config mc = {MONO, STEREO, BUSES, 48000.0, 1}; /* with talk_in */
	struct mixer *m = mixer_new(&mc);
	static struct recring ring;
	if (!m || recring_new(&ring, 1u << 16, 960) < 0) {
		fprintf(stderr, "rtsan_dsp: cannot allocate\n");
		return 2;
	}
	unsigned lanes = mixer_inputs(m), outs = mixer_outputs(m);
	float **inb = calloc(lanes, sizeof *inb), **outb = calloc(outs, sizeof *outb);
	for (unsigned k = 0; k < lanes; k++) {
		inb[k] = calloc(JMX_MAX_FRAMES, sizeof(float));
		for (unsigned i = 0; i < JMX_MAX_FRAMES; i++)
			inb[k][i] =
			    0.3f * sinf(2.0f * 3.14159265f * (110.0f * (float)(k + 1)) * (float)i / 48000.0f);
	}
	for (unsigned k = 0; k < outs; k++)
		outb[k] = calloc(JMX_MAX_FRAMES, sizeof(float));
	static struct fx_rig fr;
	for (unsigned k = 0; k < FX_N; k++) {
		fr.fx[k] = fx_new(48000.0, 192000.0);
		if (!fr.fx[k]) {
			fprintf(stderr, "rtsan_dsp: cannot allocate the effects\n");
			return 2;
		}
		fx_set_type(fr.fx[k], k < 3 ? (enum fx_type)(FX_REVERB + k) : FX_OFF);
	}
	static struct rt_msg msgs[MAX_MSGS];
	static const unsigned periods[] = {1, 17, 32, 64, 128, 256, 1000, 1024, 4096, 8192};
	uint32_t seed = 0x2545f491u;
	unsigned long cycles = 0, changes = 0, frames = 0;
	clock_t end = clock() + (clock_t)(seconds * CLOCKS_PER_SEC);

	do {
		unsigned n_msgs = 0;
		/* every parameter now and then, and every switch mostly on */
		for (unsigned id = 0; id < P_COUNT && n_msgs < MAX_MSGS; id++) {
			const struct param_info *p = &param_table[id];
			if (p->type == PT_STRING || p->type == PT_METER || rnd(&seed) % 4)
				continue;
			unsigned n2, n1 = dims((enum param_id)id, &n2);
			struct rt_msg *msg = &msgs[n_msgs++];
			float v = p->min + uniform(&seed) * (p->max - p->min);
			if (param_info_whole(p))
				v = roundf(v);
			if (id == P_CH_GATE_KEY || id == P_CH_DYN_KEY) /* a key: itself or any channel */
				v = (float)(rnd(&seed) % (MONO + STEREO + 1));
			if (p->type == PT_BOOL && strstr(p->path, "/on"))
				v = rnd(&seed) % 8 ? 1.0f : 0.0f;
			if (id == P_MASTER_MUTE || id == P_CH_MUTE || id == P_MON_CUT)
				v = rnd(&seed) % 8 ? 0.0f : 1.0f;
			if (id == P_GEN_DEST) /* a destination this console has */
				v = (float)(rnd(&seed) % (2 + BUSES));
			msg->id = (uint16_t)id;
			msg->i1 = (uint16_t)(rnd(&seed) % n1);
			msg->i2 = (uint16_t)(rnd(&seed) % n2);
			msg->kind = rnd(&seed) % 3 == 0 ? RT_RAMP : RT_SET;
			msg->value = v;
			msg->arg = msg->kind == RT_RAMP ? 1.0f + uniform(&seed) * 500.0f : 0.0f;
		}
		/* the effects: a few parameters a cycle, all of them over time */
		fr.n_msgs = 0;
		for (unsigned k = 0; k < FX_N; k++)
			for (unsigned j = 0; j < 4; j++) {
				struct fx_msg *f = &fr.msgs[fr.n_msgs++];
				f->inst = (uint8_t)k;
				f->param = (uint8_t)(rnd(&seed) % FXP_COUNT);
				f->value =
				    fx_lo[f->param] + uniform(&seed) * (fx_hi[f->param] - fx_lo[f->param]);
				if (f->param == FXP_PINGPONG || f->param == FXP_SYNC ||
				    f->param == FXP_DIVISION)
					f->value = roundf(f->value);
				f->jump = rnd(&seed) % 3 == 0;
				changes++;
			}
		fr.new_type = rnd(&seed) % 16 == 0 ? (int)(rnd(&seed) % 4) : -1;
		fr.bpm =
		    rnd(&seed) % 8 == 0 ? (rnd(&seed) % 4 ? 40.0f + uniform(&seed) * 200.0f : 0.0f) : -1.0f;
		unsigned n = periods[rnd(&seed) % (sizeof periods / sizeof *periods)];
		float bpm = rnd(&seed) % 4 ? 60.0f + (float)(cycles % 120) : 0.0f;
		rt_cycle(m, &ring, &fr, msgs, n_msgs, (const float *const *)inb, outb, n, bpm);
		/* the disk side: keep the ring from filling */
		recring_release(&ring, recring_head(&ring));
		cycles++;
		changes += n_msgs;
		frames += n;
	} while (clock() < end || cycles < 100);
	for (unsigned k = 0; k < outs; k++)
		for (unsigned i = 0; i < JMX_MAX_FRAMES; i++)
			if (!isfinite(outb[k][i])) {
				fprintf(stderr, "rtsan_dsp: output %u frame %u is %g\n", k, i,
				        (double)outb[k][i]);
				return 1;
			}
	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < JMX_MAX_FRAMES; i++)
			if (!isfinite(fr.out[k][i])) {
				fprintf(stderr, "rtsan_dsp: effect output %u frame %u is %g\n", k, i,
				        (double)fr.out[k][i]);
				return 1;
			}
	for (unsigned k = 0; k < FX_N; k++)
		fx_free(fr.fx[k]);
	printf("rtsan_dsp: %lu cycles, %lu frames, %lu parameter changes%s\n", cycles, frames, changes,
	       negative ? " (with an allocation each)" : "");
	mixer_free(m);
	recring_free(&ring);
	for (unsigned k = 0; k < lanes; k++)
		free(inb[k]);
	for (unsigned k = 0; k < outs; k++)
		free(outb[k]);
	free(inb);
	free(outb);
	return 0;
}
