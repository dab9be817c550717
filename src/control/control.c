/*
 * control.c - poll() loop of the control thread; see control.h.
 *
 * Threads: everything on the control thread except control_post and the
 * signal handlers, which only write() one byte to the self-pipe (async-
 * signal-safe, never blocks: the pipe is non-blocking and a full pipe
 * already guarantees a wake-up) or, for a second stop signal and the
 * shutdown watchdog, write() a line to stderr and _exit().
 *
 * Invariants: timers never run early; a slow handler delays later timers
 * but does not make them fire in bursts (next deadline = now + period
 * when more than one period late).  A sleeping timer costs nothing: it is
 * not looked at for the poll timeout, so an idle console's loop sleeps in
 * poll() until a descriptor or a wake-up; woken, it runs on its own grid
 * (the first deadline at or after the wake-up), so a change is served
 * exactly when it would have been had the timer never slept.
 */
#include "control.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define CONTROL_MAX_FDS    16
#define CONTROL_MAX_TIMERS 16

struct control {
	int pipe[2];
	struct {
		int fd;
		control_fd_fn fn;
		void *ctx;
	} fds[CONTROL_MAX_FDS];
	unsigned n_fds;
	struct {
		unsigned period;
		uint64_t next;
		control_timer_fn fn;
		void *ctx;
		uint64_t wake_at; /* asleep until then; 0: awake; UINT64_MAX: until woken */
	} timers[CONTROL_MAX_TIMERS];
	unsigned n_timers;
	atomic_uint posted; /* timers woken from other threads (bit per id) */
	control_event_fn on_event;
	void *event_ctx;
	volatile sig_atomic_t running;
};

static struct control *control_signal_target;
static volatile sig_atomic_t control_stopping; /* a SIGINT/SIGTERM was seen */

/* Async-signal-safe: one fixed line to stderr, then _exit. */
static void control_die(const char *msg, size_t len, int status)
{
	if (write(STDERR_FILENO, msg, len) < 0) {
		/* nothing left to tell it to */
	}
	_exit(status);
}

/* A simulated clock (tests/sim.c) instead of CLOCK_MONOTONIC; set on the
 * control thread before anything reads the time. */
static uint64_t (*control_clock)(void *ctx);
static void *control_clock_ctx;

void control_set_clock(uint64_t (*now_ms)(void *ctx), void *ctx)
{
	control_clock = now_ms;
	control_clock_ctx = ctx;
}

uint64_t control_now_ms(void)
{
	struct timespec ts;
	if (control_clock)
		return control_clock(control_clock_ctx);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct control *control_new(void)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct control *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (pipe(c->pipe) < 0) {
		log_err("control: pipe: %s", strerror(errno));
		free(c);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(c->pipe[i], F_SETFL, fcntl(c->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(c->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	return c;
}

void control_free(struct control *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!c)
		return;
	if (control_signal_target == c)
		control_signal_target = NULL;
	close(c->pipe[0]);
	close(c->pipe[1]);
	free(c);
}

int control_add_fd(struct control *c, int fd, control_fd_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (c->n_fds >= CONTROL_MAX_FDS)
		return -1;
	c->fds[c->n_fds].fd = fd;
	c->fds[c->n_fds].fn = fn;
	c->fds[c->n_fds].ctx = ctx;
	c->n_fds++;
	return 0;
}

void control_remove_fd(struct control *c, int fd)
{
	ASSERT_ROLE(ROLE_CONTROL);
	for (unsigned i = 0; i < c->n_fds; i++)
		if (c->fds[i].fd == fd) {
			c->fds[i] = c->fds[--c->n_fds];
			return;
		}
}

int control_add_timer(struct control *c, unsigned period_ms, control_timer_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (c->n_timers >= CONTROL_MAX_TIMERS || period_ms == 0)
		return -1;
	c->timers[c->n_timers].period = period_ms;
	c->timers[c->n_timers].next = control_now_ms() + period_ms;
	c->timers[c->n_timers].fn = fn;
	c->timers[c->n_timers].ctx = ctx;
	c->timers[c->n_timers].wake_at = 0;
	return (int)c->n_timers++;
}

void control_timer_sleep_until(struct control *c, int id, uint64_t when_ms)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (c && id >= 0 && (unsigned)id < c->n_timers)
		c->timers[id].wake_at = when_ms ? when_ms : 1;
}

void control_timer_sleep(struct control *c, int id)
{
	ASSERT_ROLE(ROLE_CONTROL);
	control_timer_sleep_until(c, id, UINT64_MAX);
}

/* Awake again, on the grid: the first deadline >= at. */
static void control_timer_rouse(struct control *c, unsigned i, uint64_t at)
{
	c->timers[i].wake_at = 0;
	uint64_t p = c->timers[i].period;
	if (c->timers[i].next < at)
		c->timers[i].next += (at - c->timers[i].next + p - 1) / p * p;
}

void control_timer_wake(struct control *c, int id)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (c && id >= 0 && (unsigned)id < c->n_timers && c->timers[id].wake_at)
		control_timer_rouse(c, (unsigned)id, control_now_ms());
}

unsigned control_timers_awake(const struct control *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	unsigned n = 0;
	for (unsigned i = 0; c && i < c->n_timers; i++)
		n += !c->timers[i].wake_at;
	return n;
}

int control_timer_asleep(const struct control *c, int id)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return c && id >= 0 && (unsigned)id < c->n_timers && c->timers[id].wake_at != 0;
}

void control_timer_post(struct control *c, int id)
{
	/* any thread, as control_post: JACK may report a server loss from
	 * its process thread (never from the process path itself) */
	ASSERT_ROLE(ROLE_ANY_BUT_RT | ROLE_RT);
	if (!c || id < 0 || id >= CONTROL_MAX_TIMERS)
		return;
	atomic_fetch_or_explicit(&c->posted, 1u << id, memory_order_release);
	control_post(c, CTL_EV_WAKE);
}

/* Timers woken by control_timer_post, and those whose sleep ends. */
static void control_rouse_due(struct control *c, uint64_t now)
{
	unsigned posted = atomic_exchange_explicit(&c->posted, 0, memory_order_acquire);
	for (unsigned i = 0; i < c->n_timers; i++) {
		uint64_t w = c->timers[i].wake_at;
		if (!w)
			continue;
		if (posted & (1u << i))
			control_timer_rouse(c, i, now);
		else if (w != UINT64_MAX && now >= w)
			control_timer_rouse(c, i, w);
	}
}

void control_set_event_handler(struct control *c, control_event_fn fn, void *ctx)
{
	ASSERT_ROLE(ROLE_CONTROL);
	c->on_event = fn;
	c->event_ctx = ctx;
}

void control_post(struct control *c, enum control_event ev)
{
	char b = (char)ev;
	int saved = errno;
	if (write(c->pipe[1], &b, 1) < 0) {
		/* full pipe: the loop is already due to wake */
	}
	errno = saved;
}

static void control_on_signal(int sig)
{
	static const char again[] = "jackmixd: second stop signal: exiting at once\n";
	struct control *c = control_signal_target;
	if (sig != SIGHUP) {
		if (control_stopping)
			control_die(again, sizeof again - 1, 128 + sig);
		control_stopping = 1;
	}
	if (!c)
		return;
	control_post(c, sig == SIGHUP ? CTL_EV_SIGHUP : CTL_EV_SIGTERM);
}

static void control_on_alarm(int sig)
{
	static const char msg[] = "jackmixd: shutdown took too long: exiting at once\n";
	(void)sig;
	control_die(msg, sizeof msg - 1, 1);
}

void control_arm_watchdog(unsigned seconds)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = control_on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) == 0)
		alarm(seconds);
}

int control_install_signals(struct control *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct sigaction sa;
	control_signal_target = c;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = control_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static void control_drain_pipe(struct control *c)
{
	char buf[64];
	ssize_t n;
	while ((n = read(c->pipe[0], buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (c->on_event && buf[i] != CTL_EV_WAKE)
				c->on_event(c->event_ctx, (enum control_event)buf[i]);
}

static void control_run_timers(struct control *c, uint64_t now)
{
	control_rouse_due(c, now);
	for (unsigned i = 0; i < c->n_timers; i++) {
		if (c->timers[i].wake_at || now < c->timers[i].next)
			continue;
		c->timers[i].next += c->timers[i].period;
		if (c->timers[i].next <= now)
			c->timers[i].next = now + c->timers[i].period;
		c->timers[i].fn(c->timers[i].ctx, now);
	}
}

void control_run(struct control *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct pollfd pfd[CONTROL_MAX_FDS + 1];
	c->running = 1;
	while (c->running) {
		uint64_t now = control_now_ms();
		int timeout = -1; /* nothing to do until something happens */
		for (unsigned i = 0; i < c->n_timers; i++) {
			uint64_t due = c->timers[i].wake_at ? c->timers[i].wake_at : c->timers[i].next;
			if (due == UINT64_MAX)
				continue; /* asleep until woken */
			int64_t d = due < now ? 0 : (int64_t)(due - now);
			if (d > 3600000)
				d = 3600000;
			if (timeout < 0 || d < timeout)
				timeout = (int)d;
		}
		unsigned n = c->n_fds;
		pfd[0].fd = c->pipe[0];
		pfd[0].events = POLLIN;
		for (unsigned i = 0; i < n; i++) {
			pfd[i + 1].fd = c->fds[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		int r = poll(pfd, n + 1, timeout);
		if (r < 0 && errno != EINTR) {
			log_err("control: poll: %s", strerror(errno));
			break;
		}
		if (r > 0) {
			if (pfd[0].revents)
				control_drain_pipe(c);
			/* handlers may add or remove fds: snapshot what we polled */
			for (unsigned i = 0; i < n && c->running; i++)
				if (pfd[i + 1].revents && i < c->n_fds && c->fds[i].fd == pfd[i + 1].fd)
					c->fds[i].fn(c->fds[i].ctx, pfd[i + 1].fd, pfd[i + 1].revents);
		}
		control_run_timers(c, control_now_ms());
	}
}

void control_run_due(struct control *c, uint64_t now_ms)
{
	control_run_timers(c, now_ms);
}

void control_stop(struct control *c)
{
	ASSERT_ROLE(ROLE_CONTROL);
	c->running = 0;
}
