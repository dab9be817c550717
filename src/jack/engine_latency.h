/*
 * engine_latency.h - the latencies of our JACK ports (private to
 * src/jack/).
 *
 * Threads: JACK2's notification thread, or the control thread on
 * PipeWire's libjack; never the RT thread.
 */
#ifndef JMX_ENGINE_LATENCY_H
#define JMX_ENGINE_LATENCY_H

#include <jack/jack.h>

struct engine;

/* Our ports' latencies in one direction, from what JACK says is on the
 * other side, plus our own delay. */
void engine_latency_apply(struct engine *e, jack_latency_callback_mode_t mode);

#endif
