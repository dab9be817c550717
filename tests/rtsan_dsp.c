/*
 * rtsan_dsp.c - the DSP and the recorder ring under RealtimeSanitizer,
 * without JACK (tests/rtsan.sh builds it and the RT library with clang
 * -fsanitize=realtime).  rt_cycle, marked nonblocking, is what the
 * process callback does each period: apply queued parameter changes
 * (sets and ramps of every parameter of every instance, in range), render
 * a period of any length up to JMX_MAX_FRAMES, push the master into the
 * recorder ring.  RTSan reports any allocation, lock, blocking call or
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

static int negative;
static void *(*volatile alloc_fn)(size_t) = malloc;
static void *volatile sink;

static void rt_cycle(struct mixer *m, struct recring *ring, const struct rt_msg *msgs, unsigned n_msgs,
                     const float *const *in, float *const *out, unsigned n) NONBLOCKING;
static void rt_cycle(struct mixer *m, struct recring *ring, const struct rt_msg *msgs, unsigned n_msgs,
                     const float *const *in, float *const *out, unsigned n)
{
	for (unsigned i = 0; i < n_msgs; i++)
		mixer_apply(m, &msgs[i]);
	mixer_process(m, in, out, n);
	recring_push(ring, out[0], out[1], n);
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
	struct mixer_config mc = {MONO, STEREO, BUSES, 48000.0};
	struct mixer *m = mixer_new(&mc);
	static struct recring ring;
	if (!m || recring_new(&ring, 1u << 16, 960) < 0) {
		fprintf(stderr, "rtsan_dsp: cannot allocate\n");
		return 2;
	}
	unsigned lanes = mixer_lanes(m), outs = mixer_outputs(m);
	float **inb = calloc(lanes, sizeof *inb), **outb = calloc(outs, sizeof *outb);
	for (unsigned k = 0; k < lanes; k++) {
		inb[k] = calloc(JMX_MAX_FRAMES, sizeof(float));
		for (unsigned i = 0; i < JMX_MAX_FRAMES; i++)
			inb[k][i] =
			    0.3f * sinf(2.0f * 3.14159265f * (110.0f * (float)(k + 1)) * (float)i / 48000.0f);
	}
	for (unsigned k = 0; k < outs; k++)
		outb[k] = calloc(JMX_MAX_FRAMES, sizeof(float));
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
			if (p->type != PT_FLOAT)
				v = roundf(v);
			if (p->type == PT_BOOL && strstr(p->path, "/on"))
				v = rnd(&seed) % 8 ? 1.0f : 0.0f;
			if (id == P_MASTER_MUTE || id == P_CH_MUTE)
				v = rnd(&seed) % 8 ? 0.0f : 1.0f;
			msg->id = (uint16_t)id;
			msg->i1 = (uint16_t)(rnd(&seed) % n1);
			msg->i2 = (uint16_t)(rnd(&seed) % n2);
			msg->kind = rnd(&seed) % 3 == 0 ? RT_RAMP : RT_SET;
			msg->value = v;
			msg->arg = msg->kind == RT_RAMP ? 1.0f + uniform(&seed) * 500.0f : 0.0f;
		}
		unsigned n = periods[rnd(&seed) % (sizeof periods / sizeof *periods)];
		rt_cycle(m, &ring, msgs, n_msgs, (const float *const *)inb, outb, n);
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
