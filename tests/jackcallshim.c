/*
 * jackcallshim.c - LD_PRELOAD library that reports libjack calls made off
 * the process's main thread.  PipeWire's libjack (0.3.65) runs a client's
 * callbacks on its protocol thread with its lock released: a call from
 * there that talks to the server (jack_port_set_latency_range sends a
 * port update at once) races the main thread's calls on the same
 * connection, which killed jackmixd (tests/pipewire.sh).  The daemon's
 * rule on PipeWire is that only its control (main) thread makes these
 * calls; its opener thread makes only jack_client_open and
 * jack_client_close, which are not watched (nor what libjack calls inside
 * jack_client_close: jack_deactivate).
 *
 * The watched calls are those the daemon makes that touch ports,
 * connections or latencies.  The first watched call on the main thread
 * writes "jackcallshim: active" to stderr (proof that the shim is there);
 * the first one of each function on any other thread writes
 * "jackcallshim: FUNCTION called on thread TID, not the main thread".  The
 * shell that pw-jack runs loads it too, and makes no such call.
 *
 * Threads: any; the state is atomics.  Nothing here locks or allocates.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	W_CONNECT,
	W_DISCONNECT,
	W_PORT_REGISTER,
	W_ACTIVATE,
	W_DEACTIVATE,
	W_GET_PORTS,
	W_PORT_BY_NAME,
	W_ALL_CONNECTIONS,
	W_SET_LATENCY,
	W_GET_LATENCY,
	W_RECOMPUTE,
	W_N
};

static atomic_int said_active;
static atomic_int said[W_N];
static _Thread_local int closing; /* inside jack_client_close, which deactivates */

static void say(const char *msg)
{
	ssize_t r = write(2, msg, strlen(msg));
	(void)r;
}

/* Before every watched call: is this the main thread? */
static void watch(int which, const char *name)
{
	long tid = syscall(SYS_gettid);
	char line[160];
	if (closing)
		return;
	if (tid == (long)getpid()) {
		if (!atomic_exchange(&said_active, 1))
			say("jackcallshim: active\n");
		return;
	}
	if (atomic_exchange(&said[which], 1))
		return;
	snprintf(line, sizeof line, "jackcallshim: %s called on thread %ld, not the main thread\n", name,
	         tid);
	say(line);
}

/* the real function of that name (libjack's, behind us) */
#define REAL(name)                                                                                           \
	static __typeof__(name) *real_##name;                                                                \
	if (!real_##name)                                                                                    \
	real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* Not watched: the opener thread closes a lost client while no other
 * thread uses it; what the close calls inside libjack is its own. */
int jack_client_close(jack_client_t *c)
{
	REAL(jack_client_close);
	closing = 1;
	int r = real_jack_client_close(c);
	closing = 0;
	return r;
}

int jack_connect(jack_client_t *c, const char *src, const char *dst)
{
	REAL(jack_connect);
	watch(W_CONNECT, "jack_connect");
	return real_jack_connect(c, src, dst);
}

int jack_disconnect(jack_client_t *c, const char *src, const char *dst)
{
	REAL(jack_disconnect);
	watch(W_DISCONNECT, "jack_disconnect");
	return real_jack_disconnect(c, src, dst);
}

jack_port_t *jack_port_register(jack_client_t *c, const char *name, const char *type, unsigned long flags,
                                unsigned long size)
{
	REAL(jack_port_register);
	watch(W_PORT_REGISTER, "jack_port_register");
	return real_jack_port_register(c, name, type, flags, size);
}

int jack_activate(jack_client_t *c)
{
	REAL(jack_activate);
	watch(W_ACTIVATE, "jack_activate");
	return real_jack_activate(c);
}

int jack_deactivate(jack_client_t *c)
{
	REAL(jack_deactivate);
	watch(W_DEACTIVATE, "jack_deactivate");
	return real_jack_deactivate(c);
}

const char **jack_get_ports(jack_client_t *c, const char *name, const char *type, unsigned long flags)
{
	REAL(jack_get_ports);
	watch(W_GET_PORTS, "jack_get_ports");
	return real_jack_get_ports(c, name, type, flags);
}

jack_port_t *jack_port_by_name(jack_client_t *c, const char *name)
{
	REAL(jack_port_by_name);
	watch(W_PORT_BY_NAME, "jack_port_by_name");
	return real_jack_port_by_name(c, name);
}

const char **jack_port_get_all_connections(const jack_client_t *c, const jack_port_t *p)
{
	REAL(jack_port_get_all_connections);
	watch(W_ALL_CONNECTIONS, "jack_port_get_all_connections");
	return real_jack_port_get_all_connections(c, p);
}

void jack_port_set_latency_range(jack_port_t *p, jack_latency_callback_mode_t m, jack_latency_range_t *r)
{
	REAL(jack_port_set_latency_range);
	watch(W_SET_LATENCY, "jack_port_set_latency_range");
	real_jack_port_set_latency_range(p, m, r);
}

void jack_port_get_latency_range(jack_port_t *p, jack_latency_callback_mode_t m, jack_latency_range_t *r)
{
	REAL(jack_port_get_latency_range);
	watch(W_GET_LATENCY, "jack_port_get_latency_range");
	real_jack_port_get_latency_range(p, m, r);
}

int jack_recompute_total_latencies(jack_client_t *c)
{
	REAL(jack_recompute_total_latencies);
	watch(W_RECOMPUTE, "jack_recompute_total_latencies");
	return real_jack_recompute_total_latencies(c);
}
