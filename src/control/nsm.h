/*
 * nsm.h - client of the New/Non Session Manager protocol (NSM API 1.2):
 * announce with capabilities :switch:dirty:, handle /nsm/client/open and
 * /nsm/client/save, report dirty/clean.
 *
 * Threads: control thread only; the socket is a non-blocking UDP socket
 * in the control loop's poll(), connected to the server so that datagrams
 * from anyone else are dropped by the kernel.
 *
 * Invariants: the session manager, not we, decides the JACK client name
 * (the client ID) and where files go (the instance path); main opens no
 * JACK client before the first open callback.  Every open and save gets
 * exactly one /reply or /error.
 */
#ifndef JMX_NSM_H
#define JMX_NSM_H

#include <stddef.h>

#include "control.h"

#define NSM_CAPABILITIES ":switch:dirty:"

struct nsm_callbacks {
	void *ctx;
	/* /nsm/client/open (first time and on a switch).  0, or -1 with a
	 * message for the server in err. */
	int (*open)(void *ctx, const char *path, const char *display_name, const char *client_id, char *err,
	            size_t errlen);
	/* /nsm/client/save.  0, or -1 with a message in err. */
	int (*save)(void *ctx, char *err, size_t errlen);
	/* The server refused the announce or cannot be reached before the
	 * session was opened: the daemon should exit. */
	void (*failed)(void *ctx, const char *why);
};

struct nsm;

/* url: NSM_URL (osc.udp://host:port/).  Sends the announce.  NULL after a
 * log line when the URL is unusable. */
struct nsm *nsm_new(const char *url, const char *executable, struct control *ctl,
                    const struct nsm_callbacks *cb);
void nsm_free(struct nsm *n);

/* Tell the server when the state becomes dirty or clean (only changes
 * are sent, and only once a session is open). */
void nsm_set_dirty(struct nsm *n, int dirty);

/* Show label next to the client in the session manager (e.g. the OSC
 * port): at once when a session is open, else right after the reply to
 * the first /nsm/client/open. */
void nsm_set_label(struct nsm *n, const char *label);

#endif
