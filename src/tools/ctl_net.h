/*
 * ctl_net.h - jackmixctl's OSC link to the daemon: one UDP socket of our
 * own (replies come back to the port we send from), liblo for encoding
 * and decoding; see ctl_net.c.
 */
#ifndef JMX_CTL_NET_H
#define JMX_CTL_NET_H

#include <lo/lo.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/* Set by the signal handler: every wait returns. */
extern volatile sig_atomic_t ctl_net_stop;

int ctl_net_open(const char *host, const char *port, int timeout_ms);
void ctl_net_close(void);
int ctl_net_timeout_ms(void);
uint64_t ctl_net_now_ms(void);

int ctl_net_send_raw(const void *buf, size_t len);
int ctl_net_send(const char *path, lo_message m);
int ctl_net_send_bundle(lo_bundle b);

/* Append VALUE as the user wrote it (i:3, f:0.5, s:text, T, F, a number,
 * or text); -1 if a typed value does not parse. */
int ctl_net_add_value(lo_message m, const char *v);

/* "path arg arg..." and a newline. */
void ctl_net_print(FILE *f, const char *path, lo_message m);

/* One message within ms (ms < 0: at most half a second, for callers that
 * loop): 1 with *m (free it) and its path, 0 on timeout, -1 on a signal
 * or an error. */
int ctl_net_recv(int ms, char *path, size_t plen, lo_message *m);

/* The next message that is not /error, within the timeout: 0; /error is
 * printed on stderr ("jackmixctl: path: reason") and returns 1, no answer
 * 3, a signal or an error 4. */
int ctl_net_await(lo_message *m, char *path, size_t plen);
/* An /error as "jackmixctl: path: reason" on stderr. */
void ctl_net_print_error(lo_message m);

/* /subscribe our source port for lease_s seconds to what ("meters",
 * "all,/ch/3" ...), and /unsubscribe. */
int ctl_net_subscribe(const char *what, int lease_s);
void ctl_net_unsubscribe(void);

#endif
