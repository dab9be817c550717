/*
 * role.h - which of the daemon's threads is running, for the thread
 * contract that every module's opening comment states ("Threads: ...").
 * In a debug build (./configure --enable-debug, JMX_DEBUG) each thread
 * sets its role where it starts, and ASSERT_ROLE at a module's entry
 * points aborts, naming the function, when the wrong thread calls it.  In
 * a normal build both macros are empty: no cost on any thread.
 *
 * Threads: any.  ROLE_SET and ASSERT_ROLE touch one thread-local word,
 * which is safe on the RT thread (no call, no lock; in our executables
 * the initial-exec TLS model needs no __tls_get_addr).
 *
 * Invariants: a thread that never set a role (a test's main thread, a
 * library's thread we do not know) passes every check: the contract is
 * about the daemon's own threads.
 */
#ifndef JMX_ROLE_H
#define JMX_ROLE_H

enum role {
	ROLE_CONTROL = 1u << 0, /* main thread: start-up, the control loop, shutdown */
	ROLE_RT = 1u << 1,      /* the JACK process callback */
	ROLE_DISK = 1u << 2,    /* the recorder's disk thread */
	ROLE_JACK = 1u << 3,    /* JACK's notification thread (our non-process callbacks) */
	ROLE_HELPER = 1u << 4,  /* short-lived or waking helpers: the JACK opener, the MIDI waker */
	ROLE_WEB = 1u << 5,     /* the web surface's service loop */
};
#define ROLE_ANY_BUT_RT (ROLE_CONTROL | ROLE_DISK | ROLE_JACK | ROLE_HELPER | ROLE_WEB)
#define ROLE_ANY        (ROLE_ANY_BUT_RT | ROLE_RT) /* pure functions */

#ifdef JMX_DEBUG
#include <assert.h>
extern _Thread_local unsigned role_current;
#define ROLE_SET(r) (role_current = (unsigned)(r))
/* the message assert prints names the function and the roles allowed */
#define ASSERT_ROLE(mask)                                                                                    \
	assert((role_current == 0u || (role_current & (unsigned)(mask))) && "thread role: " #mask)
#else
#define ROLE_SET(r)       ((void)0)
#define ASSERT_ROLE(mask) ((void)0)
#endif

#endif
