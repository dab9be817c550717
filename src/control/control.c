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
 * when more than one period late).
 */
#include "control.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
	} timers[CONTROL_MAX_TIMERS];
	unsigned n_timers;
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
	c->n_timers++;
	return 0;
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
	for (unsigned i = 0; i < c->n_timers; i++) {
		if (now < c->timers[i].next)
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
		int timeout = 1000;
		for (unsigned i = 0; i < c->n_timers; i++) {
			int64_t d = (int64_t)(c->timers[i].next - now);
			if (c->timers[i].next < now)
				d = 0;
			if (d < timeout)
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
