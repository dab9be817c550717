/*
 * engine_latency.c - the latencies of our JACK ports, worked out from what
 * JACK says is on the other side plus the delay of our own path (the
 * master chain's limiter on the master and monitor outputs, nothing on the
 * aux buses); see engine_latency.h.
 *
 * Threads: engine_latency_apply on JACK2's notification thread (its
 * latency callback) or, on PipeWire's libjack, on the control thread
 * (engine_tick); never on the RT thread.
 */
#include "engine_latency.h"
#include "role.h"

#include <stdint.h>

#include "engine_core.h"
#include "mixer.h"

/* Output ports 0..3 (master, monitor) carry the limiter's delay; the aux
 * bus outputs add none. */
static jack_nframes_t engine_port_delay(struct engine *e, unsigned out_index)
{
	return out_index < 4 ? mixer_latency(e->mixer) : 0;
}

/* Our ports' latencies in one direction, from what JACK says is on the
 * other side: JACK2's latency callback, or the control thread on
 * PipeWire (engine_tick). */
void engine_latency_apply(struct engine *e, jack_latency_callback_mode_t mode)
{
	ASSERT_ROLE(ROLE_CONTROL | ROLE_JACK | ROLE_HELPER);
	jack_latency_range_t r, in_r = {UINT32_MAX, 0};

	if (mode == JackCaptureLatency) {
		for (unsigned i = 0; i < e->inputs; i++) {
			jack_port_get_latency_range(e->in_ports[i], JackCaptureLatency, &r);
			if (r.min < in_r.min)
				in_r.min = r.min;
			if (r.max > in_r.max)
				in_r.max = r.max;
		}
		if (in_r.min == UINT32_MAX)
			in_r.min = 0;
		for (unsigned o = 0; o < e->outputs; o++) {
			jack_nframes_t d = engine_port_delay(e, o);
			r.min = in_r.min + d;
			r.max = in_r.max + d;
			jack_port_set_latency_range(e->out_ports[o], JackCaptureLatency, &r);
		}
	} else {
		jack_latency_range_t out_r = {UINT32_MAX, 0};
		for (unsigned o = 0; o < e->outputs; o++) {
			jack_nframes_t d = engine_port_delay(e, o);
			jack_port_get_latency_range(e->out_ports[o], JackPlaybackLatency, &r);
			if (r.min + d < out_r.min)
				out_r.min = r.min + d;
			if (r.max + d > out_r.max)
				out_r.max = r.max + d;
		}
		if (out_r.min == UINT32_MAX)
			out_r.min = 0;
		for (unsigned i = 0; i < e->inputs; i++)
			jack_port_set_latency_range(e->in_ports[i], JackPlaybackLatency, &out_r);
	}
}
