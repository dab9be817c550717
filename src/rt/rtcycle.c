/*
 * rtcycle.c - one period of the audio thread, JACK-free; see rtcycle.h.
 *
 * Threads: rtcycle_run runs on the RT thread (the JACK process callback
 * in the daemon, the simulated period in tests/sim.c).  It only pops the
 * SPSC queue, renders into preallocated buffers, pushes whole periods
 * into the recorder's ring (sem_post is its only system call) and adds
 * to relaxed atomics: tests/check-rt-symbols.sh follows every call.
 *
 * Invariants: the order of the work is the daemon's contract and the
 * tests' frame-exactness rests on it: every change published before the
 * period starts is applied before its first sample (so a bundle, one
 * model_commit, lands in one period); automation hooks into the mixer
 * after that, so a lane wins over a value set in the same period; the
 * recorder gets exactly the frames the outputs carry, and the stems of
 * that same call.
 */
#include "rtcycle.h"
#include "role.h"

#include <string.h>

#include "dsp.h"

void rtcycle_run(const struct rtcycle *c, const float *const *in, float *const *out, unsigned nframes,
                 const struct rtcycle_transport *t)
{
	ASSERT_ROLE(ROLE_RT);
	struct rt_msg msg;

	dsp_denormals_off();
	while (rtq_pop(c->queue, &msg) == 0)
		mixer_apply(c->mixer, &msg);
	mixer_set_tempo(c->mixer, t->bpm);
	if (c->autoplay) /* automation runs on transport time */
		autoplay_cycle(c->autoplay, c->mixer, t->frame, t->rolling, nframes);
	if (nframes > JMX_MAX_FRAMES) {
		/* larger than we promise to render: output silence, never read past scratch */
		for (unsigned i = 0, n = mixer_outputs(c->mixer); i < n; i++)
			memset(out[i], 0, nframes * sizeof(float));
	} else {
		mixer_set_playback(c->mixer, c->pb ? pbring_read(c->pb, nframes) : NULL);
		mixer_process(c->mixer, in, out, nframes);
	}
	/* whole periods or nothing; a period that does not fit is counted
	 * and becomes silence in the file, never a wait.  Freewheeling
	 * periods are not recorded (see engine_freewheeling).  The stems
	 * (the mixer's post-trim tap of this very period) go into the same
	 * ring frames as the master, so they cannot drift apart. */
	if (c->rec && !t->freewheel)
		recring_push_ext(c->rec, out[0], out[1],
		                 c->rec_stems && nframes <= JMX_MAX_FRAMES ? mixer_tap(c->mixer) : NULL,
		                 nframes);
	if (c->frames)
		atomic_fetch_add_explicit(c->frames, nframes, memory_order_relaxed);
	if (c->cycles)
		atomic_fetch_add_explicit(c->cycles, 1, memory_order_relaxed);
}
