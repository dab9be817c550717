/*
 * test_tsan_queues.c - the three lock-free handoffs between threads,
 * driven hard from two threads each; built twice: as a plain unit test
 * (gcc) and under ThreadSanitizer (tests/tsan.sh, clang -fsanitize=thread),
 * which then also proves the memory ordering (a missing acquire/release
 * is a reported data race on the record bytes or the set's points).
 *
 * 1. rtqueue.h with the control->RT record (struct rt_msg, the state
 *    handoff of model_commit): batches of 1..64 records published at
 *    once, sometimes a batch staged and then dropped (rtq_unstage).  The
 *    consumer checks every record: no gap, no duplicate, no reordering,
 *    no torn copy, no unstaged record ever seen, and every drain ends on a
 *    batch boundary (a published batch is seen whole).
 * 2. recring (RT -> disk): periods of 1..1024 frames numbered by the
 *    producer; a consumer that stalls now and then, so periods are lost
 *    and announced as gap records.  It checks every frame: frame k of the
 *    stream is where the gap records say (the producer's numbering =
 *    ring position + all gap lengths before it), no frame twice, none out
 *    of order, and the lost-frame count equals the gap total.
 * 3. autoplay's lane-set mailbox (control -> RT pointer swap, reclaimed
 *    on control): a real mixer; the RT thread runs periods as
 *    engine_process does (autoplay_cycle, then mixer_process, whose chunk
 *    hook plays every READ lane of the set it took).  Control publishes
 *    sets whose points derive from their gen, one at a time or in bursts
 *    (a burst of three or more always replaces a set before it is taken:
 *    the RT thread takes at most one while the retired slot is full),
 *    sometimes waits until its set plays, reclaims, and scribbles over
 *    every set before freeing it, so a set freed while the RT thread can
 *    read it is a reported race (plain build: a wrong value played, or a
 *    crash).  Checks: the active gen never goes back; channel 1's fader
 *    holds exactly the level of the active set's lane 0 after each
 *    period; publish gives back only the set just before, reclaim only
 *    older sets in order; published = never taken + taken, taken =
 *    reclaimed + the one playing (after a last period on main takes what
 *    was pending); both paths were exercised.
 *
 * Records/frames: JMX_TSAN_RECORDS (default 2 000 000) and twice as many
 * frames; lane sets: one per 100 records.  Threads: main is the consumer
 * (control for case 3), one producer thread (RT for case 3) each.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "autoplay.h"
#include "mixer.h"
#include "recring.h"
#include "rtqueue.h"
#include "test_util.h"

static unsigned long n_records = 2000000ul;

/* ---- 1. rtqueue with rt_msg ---------------------------------------------- */

/* Everything in an rt_msg derives from the sequence number, so a torn or
 * stale copy shows: id/i1/i2 = the low bits, value = seq exactly (as a
 * float while seq < 2^24, else the low 24 bits), arg = a hash, kind = 1 on
 * a batch's last record. */
static void msg_make(struct rt_msg *m, uint32_t seq, int last)
{
	uint32_t h = seq * 2654435761u;
	m->id = (uint16_t)(seq & 0xffff);
	m->i1 = (uint16_t)(seq >> 16);
	m->i2 = (uint16_t)(h >> 16);
	m->kind = (uint16_t)(last != 0);
	m->value = (float)(seq & 0xffffff);
	m->arg = (float)(h & 0xffff);
}

static uint32_t msg_seq(const struct rt_msg *m)
{
	return (uint32_t)m->id | (uint32_t)m->i1 << 16;
}

static int msg_ok(const struct rt_msg *m)
{
	uint32_t seq = msg_seq(m), h = seq * 2654435761u;
	return m->i2 == (uint16_t)(h >> 16) && m->value == (float)(seq & 0xffffff) &&
	       m->arg == (float)(h & 0xffff) && m->kind <= 1;
}

static struct rtq q;

#ifdef JMX_TSAN_NEGATIVE
/* tsan.sh's negative control: a plain variable both threads write, which
 * ThreadSanitizer must report (so a clean run means something) */
static unsigned long racy;
#define RACE() (racy++)
#else
#define RACE() ((void)0)
#endif

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *rtq_producer(void *arg)
{
	uint32_t seq = 0, seed = 0x1234567u;
	(void)arg;
	while (seq < n_records) {
		uint32_t n = 1 + rnd(&seed) % 64;
		if (n > n_records - seq)
			n = (uint32_t)(n_records - seq);
		if (rtq_space(&q) < n) {
			sched_yield();
			continue;
		}
		if (rnd(&seed) % 16 == 0) {
			/* a bundle that does not go out: staged, then dropped */
			struct rt_msg bogus;
			msg_make(&bogus, 0xffffffffu, 0);
			for (uint32_t k = 0; k < n; k++)
				rtq_push(&q, &bogus);
			rtq_unstage(&q);
		}
		for (uint32_t k = 0; k < n; k++, seq++) {
			struct rt_msg m;
			msg_make(&m, seq, k + 1 == n);
			if (rtq_push(&q, &m) != 0)
				return (void *)1;
		}
		rtq_publish(&q);
		RACE();
	}
	return NULL;
}

static void test_rtq(void)
{
	pthread_t th;
	uint32_t expect = 0;
	unsigned long gaps = 0, torn = 0, half = 0, drains = 0;
	void *ret;

	CHECK(rtq_init(&q, 256, sizeof(struct rt_msg)) == 0, "rtq_init");
	CHECK(pthread_create(&th, NULL, rtq_producer, NULL) == 0, "pthread_create");
	while (expect < n_records) {
		struct rt_msg m;
		unsigned got = 0;
		int last = 0;
		/* one "RT cycle": everything visible now */
		while (rtq_pop(&q, &m) == 0) {
			if (!msg_ok(&m)) {
				torn++;
			} else if (msg_seq(&m) != expect) {
				gaps++;
			}
			expect = msg_seq(&m) + 1;
			last = m.kind == 1;
			got++;
		}
		RACE();
		if (got) {
			drains++;
			if (!last)
				half++;
		} else {
			sched_yield();
		}
	}
	CHECK(pthread_join(th, &ret) == 0 && ret == NULL, "the producer could not push");
	CHECK(gaps == 0, "rtq: %lu gaps, duplicates or reorderings", gaps);
	CHECK(torn == 0, "rtq: %lu torn or unstaged records seen", torn);
	CHECK(half == 0, "rtq: %lu drains ended inside a published batch", half);
	CHECK(expect == n_records, "rtq: %u of %lu records arrived", expect, n_records);
	printf("rtq: %lu rt_msg records in %lu drains\n", n_records, drains);
	rtq_destroy(&q);
}

/* ---- 2. recring ---------------------------------------------------------- */

static struct recring ring;
static atomic_int ring_done;
static unsigned long n_frames;

/* Frame k of the producer's stream: L = k mod 2^23, R = -(k / 2^23) - 1,
 * both exact in a float. */
static void *ring_producer(void *arg)
{
	static float l[1024], r[1024];
	uint64_t k = 0;
	uint32_t seed = 0x9e3779b9u;
	(void)arg;
	while (k < n_frames) {
		uint32_t n = 1 + rnd(&seed) % 1024;
		if (n > n_frames - k)
			n = (uint32_t)(n_frames - k);
		for (uint32_t i = 0; i < n; i++) {
			l[i] = (float)((k + i) & 0x7fffff);
			r[i] = -(float)((k + i) >> 23) - 1.0f;
		}
		/* mostly a consumer that keeps up (wait for room, as the real
		 * one's ring is sized to), sometimes a burst that cannot fit */
		while (rnd(&seed) % 16 != 0 &&
		       ring.cap - (recring_head(&ring) -
		                   atomic_load_explicit(&ring.tail, memory_order_acquire)) <
		           n)
			sched_yield();
		recring_push(&ring, l, r, n); /* lost or not, the stream moves on */
		k += n;
	}
	atomic_store_explicit(&ring_done, 1, memory_order_release);
	recring_kick(&ring);
	return NULL;
}

static void test_ring(void)
{
	pthread_t th;
	uint32_t pos = 0;       /* ring position of the next frame to check */
	uint64_t stream = 0;    /* producer's number of that frame */
	uint64_t gap_total = 0; /* frames announced lost */
	unsigned long bad = 0, gaps = 0, stalls = 0;
	struct recring_gap g;
	int have_gap = 0;
	uint32_t seed = 0xabcdef1u;
	void *ret;

	CHECK(recring_new(&ring, 4096, 256) == 0, "recring_new");
	CHECK(pthread_create(&th, NULL, ring_producer, NULL) == 0, "pthread_create");
	for (;;) {
		/* done first: once it is seen, head is final */
		int done = atomic_load_explicit(&ring_done, memory_order_acquire);
		uint32_t head = recring_head(&ring);
		for (;;) {
			/* a gap record is published before the frames after it */
			if (!have_gap && recring_pop_gap(&ring, &g) == 0)
				have_gap = 1;
			if (have_gap && g.at == pos) {
				stream += g.len;
				gap_total += g.len;
				gaps++;
				have_gap = 0;
				continue;
			}
			if (have_gap && (int32_t)(g.at - pos) < 0) {
				bad++; /* announced for a position already passed */
				have_gap = 0;
				continue;
			}
			if (pos == head)
				break;
			const float *f = recring_at(&ring, pos);
			if (f[0] != (float)(stream & 0x7fffff) || f[1] != -(float)(stream >> 23) - 1.0f) {
				if (bad++ < 5)
					fprintf(stderr, "frame at ring %u: %g %g, want stream frame %llu\n",
					        pos, (double)f[0], (double)f[1], (unsigned long long)stream);
			}
			pos++;
			stream++;
		}
		recring_release(&ring, pos);
		/* every published gap has frames after it: none is left here */
		if (done && !have_gap)
			break;
		if (rnd(&seed) % 64 == 0) {
			/* the disk stalls: the producer overruns the ring */
			struct timespec ts = {0, 2000000};
			nanosleep(&ts, NULL);
			stalls++;
		} else {
			recring_wait(&ring, 10);
		}
	}
	CHECK(pthread_join(th, &ret) == 0, "join");
	unsigned long lost = recring_lost(&ring);
	CHECK(bad == 0, "recring: %lu frames out of place", bad);
	CHECK(stream + ring.pend_len == n_frames,
	      "recring: the stream has %llu (+%u pending lost) of %lu frames", (unsigned long long)stream,
	      ring.pend_len, n_frames);
	CHECK(gap_total + ring.pend_len == lost,
	      "recring: gap records total %llu (+%u pending), lost counter %lu",
	      (unsigned long long)gap_total, ring.pend_len, lost);
	CHECK(gaps > 0 && stalls > 0, "recring: no loss was provoked (%lu gaps, %lu stalls)", gaps, stalls);
	printf("recring: %lu frames, %lu lost in %lu gaps over %lu stalls\n", n_frames, lost, gaps, stalls);
	recring_free(&ring);
}

/* ---- 3. autoplay lane sets ----------------------------------------------- */

#define AP_MONO   4u
#define AP_BUSES  1u
#define AP_OUTS   (4u + 2u * AP_BUSES)
#define AP_RATE   48000.0
#define AP_PERIOD 64u /* one mixer chunk: every period runs the lanes once */
/* Periods after its first play before lane 0 sits exactly on its points:
 * it glides there from the fader's default over AUTOPLAY_GLIDE_MS, and
 * never again, since every set has it and the transport never jumps. */
#define AP_SETTLE ((unsigned)(AUTOPLAY_GLIDE_MS * 0.001 * AP_RATE) / AP_PERIOD + 2u)
#define AP_POISON 5.5f /* no lane 0 ever holds it: ap_level is a whole number <= -1 */

static struct mixer *ap_m;
static struct autoplay *ap;
static unsigned ap_flat0; /* channel 1's fader: lane 0 of every set */
static atomic_int ap_stop;
static unsigned long n_sets;
/* the RT thread's findings, read after the join */
static unsigned long rt_periods, rt_takes, rt_backwards, rt_checked, rt_wrong;
static uint32_t rt_frame;

/* Lane 0 of set seq holds this level at every point: after a period, the
 * fader is there exactly, so the value names the set that was played. */
static float ap_level(unsigned long seq)
{
	return -(float)(1 + seq % 89);
}

static void ap_render(uint32_t frame)
{
	static float in[AP_MONO][AP_PERIOD], out[AP_OUTS][AP_PERIOD];
	const float *ip[AP_MONO];
	float *op[AP_OUTS];

	for (unsigned k = 0; k < AP_MONO; k++)
		ip[k] = in[k];
	for (unsigned k = 0; k < AP_OUTS; k++)
		op[k] = out[k];
	/* engine_process's order: the mailbox and transport first, then
	 * the chunks, whose hook plays the set just taken */
	autoplay_cycle(ap, ap_m, frame, 1, AP_PERIOD);
	mixer_process(ap_m, ip, op, AP_PERIOD);
}

static void *ap_rt(void *arg)
{
	unsigned long gen = 0, played = 0;
	uint32_t frame = 0;
	(void)arg;
	while (!atomic_load_explicit(&ap_stop, memory_order_acquire)) {
		ap_render(frame);
		frame += AP_PERIOD;
		rt_periods++;
		unsigned long g = autoplay_active_gen(ap);
		if (g < gen) {
			rt_backwards++;
		} else if (g > gen) {
			rt_takes++; /* gens only grow, so every take is a change */
			gen = g;
		}
		if (g && ++played > AP_SETTLE) {
			float v = mixer_value(ap_m, ap_flat0);
			rt_checked++;
			if (v != ap_level(g) && rt_wrong++ < 5)
				fprintf(stderr, "autoplay: gen %lu played %g, its lane holds %g\n", g,
				        (double)v, (double)ap_level(g));
		}
		/* a real RT thread sleeps between periods: let control run */
		sched_yield();
	}
	rt_frame = frame;
	return NULL;
}

/* Set seq: lane 0 on channel 1's fader always, and by the bits of seq
 * faders 2 and 3, a mute (a switch: held, never glided) and a pan, so
 * lanes also come and go between sets.  Points straddle where the
 * transport is now, so the RT thread interpolates and searches. */
static struct autoplay_set *ap_set_make(unsigned long seq, uint32_t pos)
{
	const struct param_shape shape = {AP_MONO, AP_BUSES};
	struct {
		enum param_id id;
		unsigned ch;
		int on;
	} want[] = {
	    {P_CH_FADER, 0, 1},
	    {P_CH_FADER, 1, (seq & 1) != 0},
	    {P_CH_FADER, 2, (seq & 2) != 0},
	    {P_CH_MUTE, 1, (seq & 4) != 0},
	    {P_CH_PAN, 3, (seq & 8) != 0},
	};
	unsigned nl = 0, np[5];
	size_t total = 0;

	for (unsigned k = 0; k < 5; k++) {
		np[k] = 2 + (unsigned)((seq * (k + 3)) % 31);
		if (want[k].on) {
			nl++;
			total += np[k];
		}
	}
	struct autoplay_set *s = autoplay_set_new(nl, total);
	if (!s)
		return NULL;
	uint32_t base = pos > 2048 ? pos - 2048 : 0, stride = 64 + (uint32_t)(seq % 7) * 48;
	size_t at = 0;
	unsigned j = 0;
	/* table order, then channel: sorted by flat as autoplay wants */
	for (unsigned k = 0; k < 5; k++) {
		if (!want[k].on)
			continue;
		struct autoplay_lane *l = &s->lane[j++];
		l->flat = param_flat(want[k].id, want[k].ch, 0, &shape);
		l->id = (uint16_t)want[k].id;
		l->i1 = (uint16_t)want[k].ch;
		l->i2 = 0;
		l->mode = AUTOPLAY_READ;
		l->step = want[k].id == P_CH_MUTE;
		l->n = np[k];
		l->frame = s->frames + at;
		l->path = s->paths + at;
		for (unsigned i = 0; i < np[k]; i++) {
			float v;
			if (k == 0)
				v = ap_level(seq);
			else if (want[k].id == P_CH_FADER)
				v = -(float)((seq * 7 + i * 13) % 90);
			else if (want[k].id == P_CH_MUTE)
				v = (float)((seq + i) & 1);
			else
				v = (float)((seq + i * 3) % 11) / 10.0f;
			s->frames[at + i] = base + i * stride;
			s->paths[at + i] = autoplay_to_path(want[k].id, v);
		}
		at += np[k];
	}
	s->n = nl;
	return s;
}

/* Scribble over the points before freeing: if the RT thread can still
 * read them, TSan sees this write race with its reads, and a plain build
 * plays AP_POISON instead of the lane. */
static void ap_set_drop(struct autoplay_set *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		s->frames[i] = (uint32_t)(s->cap - i);
		s->paths[i] = AP_POISON;
	}
	autoplay_set_free(s);
}

static void test_autoplay(void)
{
	const struct mixer_config mc = {AP_MONO, 0, AP_BUSES, AP_RATE, 0};
	const struct param_shape shape = {AP_MONO, AP_BUSES};
	unsigned long published = 0, never = 0, reclaimed = 0, waits = 0, bursts = 0;
	unsigned long last_back = 0, bad_gen = 0, bad_never = 0, bad_back = 0;
	uint32_t seed = 0x5eed1e55u;
	pthread_t th;

	ap_m = mixer_new(&mc);
	CHECK(ap_m != NULL, "mixer_new");
	ap = ap_m ? autoplay_new(mixer_flat_count(ap_m), AP_RATE) : NULL;
	CHECK(ap != NULL, "autoplay_new");
	if (!ap)
		return;
	ap_flat0 = param_flat(P_CH_FADER, 0, 0, &shape);
	CHECK(pthread_create(&th, NULL, ap_rt, NULL) == 0, "pthread_create");

	while (published < n_sets) {
		/* mostly one set at a time; sometimes a burst, of which the
		 * RT thread takes one at most (the retired slot stays full
		 * until reclaimed), so sets are replaced before taken */
		unsigned n = rnd(&seed) % 8 == 0 ? 2 + rnd(&seed) % 4 : 1;
		if (n > 1)
			bursts++;
		for (unsigned b = 0; b < n && published < n_sets; b++) {
			uint32_t pos;
			int rolling;
			autoplay_transport(ap, &pos, &rolling);
			struct autoplay_set *s = ap_set_make(published + 1, pos);
			if (!s) {
				CHECK(s != NULL, "autoplay_set_new");
				break;
			}
			struct autoplay_set *old = autoplay_publish(ap, s);
			published++;
			if (s->gen != published)
				bad_gen++; /* the pattern was made for this gen */
			if (old) {
				/* pending only ever holds the newest set */
				if (old->gen + 1 != published)
					bad_never++;
				ap_set_drop(old);
				never++;
			}
		}
		int wait = rnd(&seed) % 4 == 0;
		if (wait)
			waits++;
		for (;;) {
			struct autoplay_set *r = autoplay_reclaim(ap);
			if (r) {
				/* retired in the order taken, and only ever
				 * behind what plays now */
				if (r->gen <= last_back || r->gen > autoplay_active_gen(ap))
					bad_back++;
				last_back = r->gen;
				ap_set_drop(r);
				reclaimed++;
			}
			if (!wait || autoplay_active_gen(ap) >= published)
				break;
			sched_yield();
		}
		if (!wait)
			sched_yield(); /* the RT thread takes some, misses some */
	}
	atomic_store_explicit(&ap_stop, 1, memory_order_release);
	CHECK(pthread_join(th, NULL) == 0, "join");

	/* the RT thread is gone: this thread plays its part from here */
	unsigned long active = autoplay_active_gen(ap), taken = rt_takes, pending = active < published;
	struct autoplay_set *r = autoplay_reclaim(ap);
	if (r) {
		if (r->gen <= last_back || r->gen >= active)
			bad_back++;
		last_back = r->gen;
		ap_set_drop(r);
		reclaimed++;
	}
	CHECK(published == never + taken + pending,
	      "autoplay: %lu published, %lu never taken + %lu taken + %lu pending", published, never, taken,
	      pending);
	CHECK(taken == reclaimed + (active != 0), "autoplay: %lu taken, %lu reclaimed + %d playing", taken,
	      reclaimed, active != 0);
	if (pending) {
		/* one more period takes the pending set, retires the last */
		ap_render(rt_frame);
		taken++;
		CHECK(autoplay_active_gen(ap) == published,
		      "autoplay: the pending set (gen %lu) was not taken: gen %lu", published,
		      autoplay_active_gen(ap));
		r = autoplay_reclaim(ap);
		CHECK(r != NULL && r->gen == active, "autoplay: gen %lu was not retired", active);
		if (r) {
			ap_set_drop(r);
			reclaimed++;
		}
	}
	CHECK(published == never + taken && taken == reclaimed + 1,
	      "autoplay: %lu published = %lu never taken + %lu taken = %lu reclaimed + 1", published, never,
	      taken, reclaimed);
	CHECK(rt_backwards == 0, "autoplay: the active gen went back %lu times", rt_backwards);
	CHECK(bad_gen == 0, "autoplay: %lu sets stamped with another gen than their sequence number",
	      bad_gen);
	CHECK(bad_never == 0, "autoplay: %lu sets came back from publish that were not the one before",
	      bad_never);
	CHECK(bad_back == 0, "autoplay: %lu sets reclaimed out of order or ahead of the active one",
	      bad_back);
	CHECK(rt_wrong == 0 && rt_checked > 0,
	      "autoplay: %lu of %lu periods played another value than the active lane", rt_wrong, rt_checked);
	CHECK(never > 0 && taken > 1, "autoplay: both paths not exercised (%lu never taken, %lu taken)",
	      never, taken);
	printf("autoplay: %lu sets (%lu bursts, %lu waits): %lu taken, %lu never taken, over %lu periods\n",
	       published, bursts, waits, taken, never, rt_periods);
	autoplay_free(ap);
	mixer_free(ap_m);
}

int main(void)
{
	const char *e = getenv("JMX_TSAN_RECORDS");
	if (e && atol(e) > 1000)
		n_records = (unsigned long)atol(e);
	n_frames = 2 * n_records;
	n_sets = n_records / 100;
	test_rtq();
	test_ring();
	test_autoplay();
	return test_exit("test_tsan_queues");
}
