/*
 * control.h - the control thread's event loop: poll() over registered file
 * descriptors (the OSC socket, the signal self-pipe, engine wake-ups) and
 * periodic timers (meters, feedback, housekeeping).
 *
 * Threads: control_new, control_add_fd, control_add_timer,
 * control_timer_sleep*, control_timer_wake, control_run, control_run_due,
 * control_set_clock and control_free on the control (main) thread.
 * control_post and control_timer_post may be called from any thread
 * (control_post also from signal handlers) and JACK's notification
 * threads: they only set a bit and write one byte to a pipe.
 */
#ifndef JMX_CONTROL_H
#define JMX_CONTROL_H

#include <stdint.h>

struct control;

typedef void (*control_fd_fn)(void *ctx, int fd, short revents);
typedef void (*control_timer_fn)(void *ctx, uint64_t now_ms);

/* Wake-up reasons carried by the self-pipe. */
enum control_event {
	CTL_EV_WAKE = 'w',     /* generic: run due timers now */
	CTL_EV_SIGTERM = 't',  /* SIGINT or SIGTERM: orderly shutdown */
	CTL_EV_SIGHUP = 'h',   /* SIGHUP */
	CTL_EV_SHUTDOWN = 's', /* JACK server went away */
};

typedef void (*control_event_fn)(void *ctx, enum control_event ev);

struct control *control_new(void);
void control_free(struct control *c);

int control_add_fd(struct control *c, int fd, control_fd_fn fn, void *ctx);
void control_remove_fd(struct control *c, int fd);
/* A timer every period_ms; returns its id (>= 0), or -1. */
int control_add_timer(struct control *c, unsigned period_ms, control_timer_fn fn, void *ctx);

/* Idle timers sleep: a module whose tick has nothing to do (nobody
 * listens, nothing moves) puts its timer to sleep, and wakes it when
 * work arrives.  A woken timer runs at its next deadline on its own grid
 * (the first one at or after the wake-up), as if it had never slept.
 * control_timer_sleep_until wakes it by itself at when_ms (a lease that
 * ends, an autosave that is due). */
void control_timer_sleep(struct control *c, int id);
void control_timer_sleep_until(struct control *c, int id, uint64_t when_ms);
void control_timer_wake(struct control *c, int id);
int control_timer_asleep(const struct control *c, int id);
/* How many timers are awake (an idle console: none). */
unsigned control_timers_awake(const struct control *c);
/* Any thread: wake timer id (its next deadline after the loop wakes). */
void control_timer_post(struct control *c, int id);
void control_set_event_handler(struct control *c, control_event_fn fn, void *ctx);

/* Async-signal-safe: post an event to the loop. */
void control_post(struct control *c, enum control_event ev);

/* Installs SIGINT/SIGTERM/SIGHUP handlers that post events to c, and
 * ignores SIGPIPE.  The first SIGINT or SIGTERM asks for an orderly
 * shutdown (CTL_EV_SIGTERM); a second one exits at once, with status
 * 128 + the signal number, without finishing anything. */
int control_install_signals(struct control *c);

/* Main thread, when the shutdown begins: if the process is still there
 * after `seconds`, it writes one line to stderr and exits with status 1
 * (a disk or a JACK server that hangs must not keep it alive). */
void control_arm_watchdog(unsigned seconds);

/* Run until control_stop. */
void control_run(struct control *c);
void control_stop(struct control *c);

uint64_t control_now_ms(void);

/* Tests that drive the console in-process (tests/sim.c): a clock of
 * their own for control_now_ms (NULL: CLOCK_MONOTONIC again), and the
 * timers that are due at now_ms run once, as control_run does after
 * each poll, without polling anything. */
void control_set_clock(uint64_t (*now_ms)(void *ctx), void *ctx);
void control_run_due(struct control *c, uint64_t now_ms);

#endif
