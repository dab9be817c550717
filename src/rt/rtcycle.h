/*
 * rtcycle.h - the audio thread's whole work for one period, on plain
 * buffers and without any JACK call: take the control thread's changes
 * from the queue (mixer_apply), play automation against the transport the
 * caller hands in (autoplay_cycle), take the playback's frames
 * (pbring_read: never waits, silence when the disk is late), render (mixer_process, or silence for
 * a period larger than we promise to render), push the master and the
 * stems' tap into the recorder's ring, count frames and periods.
 *
 * The JACK process callback (engine.c) is a thin shell around it: it
 * fetches the port buffers and the transport and calls rtcycle_run; the
 * in-process console of the tests (tests/sim.c) calls the very same
 * function on buffers of its own with a simulated clock and transport, so
 * what the console computes is tested frame-exactly without a server.
 *
 * Threads: rtcycle_run on the RT thread only (or a test standing in for
 * it); the struct is filled by its owner before that thread runs and
 * does not change while it runs.
 */
#ifndef JMX_RTCYCLE_H
#define JMX_RTCYCLE_H

#include <stdatomic.h>
#include <stdint.h>

#include "autoplay.h"
#include "mixer.h"
#include "pbring.h"
#include "recring.h"
#include "rtqueue.h"

/* In a RealtimeSanitizer build (clang -fsanitize=realtime) a period is a
 * real-time context: RTSan reports any blocking call made from it or
 * from anything it calls (tests/rtsan.sh). */
#if defined(__has_feature)
#if __has_feature(realtime_sanitizer)
#define RTCYCLE_NONBLOCKING __attribute__((nonblocking))
#endif
#endif
#ifndef RTCYCLE_NONBLOCKING
#define RTCYCLE_NONBLOCKING
#endif

/* What a period works on. */
struct rtcycle {
	struct mixer *mixer;
	struct rtq *queue;         /* control -> RT changes (the model's queue) */
	struct autoplay *autoplay; /* automation lanes, or NULL */
	struct recring *rec;       /* the recorder's ring, or NULL */
	int rec_stems;             /* push the mixer's tap as the ring's stems */
	atomic_ullong *frames;     /* rendered so far, or NULL */
	atomic_ulong *cycles;      /* periods so far, or NULL */
	struct pbring *pb;         /* the playback (virtual soundcheck), or NULL */
};

/* The transport as the period's first sample sees it. */
struct rtcycle_transport {
	uint32_t frame; /* transport frame of the first sample */
	int rolling;
	int freewheel; /* JACK freewheels: nothing goes to the recorder */
	float bpm;     /* the transport's tempo, 0 when it gives none (synced delays) */
};

/* RT: one period of nframes.  in[] has mixer_lanes() buffers, out[]
 * mixer_outputs() buffers, each of nframes floats. */
void rtcycle_run(const struct rtcycle *c, const float *const *in, float *const *out, unsigned nframes,
                 const struct rtcycle_transport *t) RTCYCLE_NONBLOCKING;

#endif
