/*
 * nsm.c - NSM client; see nsm.h.
 *
 * Threads: control thread only.  liblo is used for encoding and decoding
 * messages only (lo_message_serialise / lo_message_deserialise); the
 * socket is ours, so liblo opens no port on any interface.
 *
 * Protocol (NSM API 1.2, the parts a non-GUI client needs):
 *   -> /nsm/server/announce s:app s:caps s:exe i:1 i:2 i:pid
 *   <- /reply s:"/nsm/server/announce" s:msg s:server s:caps   or /error s i s
 *   <- /nsm/client/open s:path s:display_name s:client_id
 *   -> /reply s:"/nsm/client/open" s:msg                       or /error s i s
 *   <- /nsm/client/save
 *   -> /reply s:"/nsm/client/save" s:msg                       or /error s i s
 *   -> /nsm/client/is_dirty, /nsm/client/is_clean
 * Quitting is SIGTERM, which main handles like any other.
 *
 * Invariants: only datagrams from the server's address reach us (the UDP
 * socket is connected); a message with unexpected types is ignored.
 */
#include "nsm.h"
#include "role.h"

#include <errno.h>
#include <lo/lo.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define NSM_APP_NAME         "jackmixd"
#define NSM_API_MAJOR        1
#define NSM_API_MINOR        2
#define NSM_ERR_GENERAL      (-1)
#define NSM_MAX_DGRAM        65536
#define NSM_ANNOUNCE_WARN_MS 5000u

struct nsm {
	int fd;
	struct control *ctl;
	struct nsm_callbacks cb;
	char executable[256];
	int announced; /* the server accepted the announce */
	int opened;
	int dirty;
	int warned;
	char label[64]; /* nsm_set_label's, sent after every open */
	uint64_t started;
	unsigned char *rx;
	int timer; /* the announce watchdog: asleep once answered */
};

static void nsm_send(struct nsm *n, const char *path, lo_message m)
{
	size_t len = 0;
	void *buf = lo_message_serialise(m, path, NULL, &len);
	if (!buf) {
		log_err("NSM: cannot encode %s", path);
		return;
	}
	if (send(n->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_warn("NSM: cannot send %s: %s", path, strerror(errno));
	free(buf);
}

static void nsm_send_label(struct nsm *n)
{
	lo_message m = n->label[0] ? lo_message_new() : NULL;
	if (!m)
		return;
	lo_message_add_string(m, n->label);
	nsm_send(n, "/nsm/client/label", m);
	lo_message_free(m);
}

static void nsm_reply(struct nsm *n, const char *to, const char *text)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, to);
	lo_message_add_string(m, text);
	nsm_send(n, "/reply", m);
	lo_message_free(m);
}

static void nsm_error(struct nsm *n, const char *to, int code, const char *text)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, to);
	lo_message_add_int32(m, code);
	lo_message_add_string(m, text);
	nsm_send(n, "/error", m);
	lo_message_free(m);
}

static void nsm_announce(struct nsm *n)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, NSM_APP_NAME);
	lo_message_add_string(m, NSM_CAPABILITIES);
	lo_message_add_string(m, n->executable);
	lo_message_add_int32(m, NSM_API_MAJOR);
	lo_message_add_int32(m, NSM_API_MINOR);
	lo_message_add_int32(m, (int32_t)getpid());
	nsm_send(n, "/nsm/server/announce", m);
	lo_message_free(m);
}

static void nsm_fail(struct nsm *n, const char *why)
{
	log_err("NSM: %s", why);
	if (!n->opened && n->cb.failed)
		n->cb.failed(n->cb.ctx, why);
}

static void nsm_handle(struct nsm *n, const char *path, const char *types, lo_arg **argv, int argc)
{
	char err[512];

	if (!strcmp(path, "/reply") && argc >= 1 && types[0] == 's') {
		if (!strcmp(&argv[0]->s, "/nsm/server/announce")) {
			n->announced = 1;
			log_info("NSM: announced to %s (%s)",
			         argc >= 3 && types[2] == 's' ? &argv[2]->s : "server",
			         argc >= 2 && types[1] == 's' ? &argv[1]->s : "");
		}
		return;
	}
	if (!strcmp(path, "/error") && argc >= 3 && !strncmp(types, "sis", 3)) {
		if (!strcmp(&argv[0]->s, "/nsm/server/announce")) {
			snprintf(err, sizeof err, "the session manager refused us: %s (%d)", &argv[2]->s,
			         argv[1]->i);
			nsm_fail(n, err);
		} else {
			log_warn("NSM: error from the server about %s: %s", &argv[0]->s, &argv[2]->s);
		}
		return;
	}
	if (!strcmp(path, "/nsm/client/open")) {
		if (argc != 3 || strcmp(types, "sss") != 0) {
			nsm_error(n, path, NSM_ERR_GENERAL, "expected s:path s:display_name s:client_id");
			return;
		}
		const char *dir = &argv[0]->s, *display = &argv[1]->s, *id = &argv[2]->s;
		log_info("NSM: open %s as '%s' (%s)", dir, id, display);
		err[0] = 0;
		if (!n->cb.open || n->cb.open(n->cb.ctx, dir, display, id, err, sizeof err) < 0) {
			nsm_error(n, path, NSM_ERR_GENERAL, err[0] ? err : "cannot open");
			if (!n->opened && n->cb.failed)
				n->cb.failed(n->cb.ctx, err[0] ? err : "cannot open");
			return;
		}
		int first = !n->opened;
		n->opened = 1;
		n->dirty = 0;
		nsm_reply(n, path, "Opened");
		if (first) /* a label set during the first open waited for it */
			nsm_send_label(n);
		return;
	}
	if (!strcmp(path, "/nsm/client/save")) {
		if (!n->opened) {
			nsm_error(n, path, NSM_ERR_GENERAL, "no session is open");
			return;
		}
		err[0] = 0;
		if (!n->cb.save || n->cb.save(n->cb.ctx, err, sizeof err) < 0) {
			nsm_error(n, path, NSM_ERR_GENERAL, err[0] ? err : "cannot save");
			return;
		}
		nsm_reply(n, path, "Saved");
		return;
	}
	/* /nsm/client/session_is_loaded and anything newer: nothing to do */
	log_debug("NSM: ignoring %s", path);
}

static void nsm_on_readable(void *ctx, int fd, short revents)
{
	struct nsm *n = ctx;
	(void)revents;
	for (;;) {
		ssize_t len = recv(fd, n->rx, NSM_MAX_DGRAM, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNREFUSED)
				nsm_fail(n, "the session manager is not answering (connection refused)");
			return;
		}
		int result = 0;
		if (len < 4 || n->rx[0] != '/' || !memchr(n->rx, 0, (size_t)len))
			continue; /* not a message (bundles are not used by NSM) */
		lo_message m = lo_message_deserialise(n->rx, (size_t)len, &result);
		if (!m)
			continue;
		const char *types = lo_message_get_types(m);
		nsm_handle(n, (const char *)n->rx, types ? types : "", lo_message_get_argv(m),
		           lo_message_get_argc(m));
		lo_message_free(m);
	}
}

static void nsm_tick(void *ctx, uint64_t now)
{
	struct nsm *n = ctx;
	if (!n->opened && !n->warned && now - n->started >= NSM_ANNOUNCE_WARN_MS) {
		n->warned = 1;
		log_warn("NSM: still waiting for the session manager to open a session (%s)",
		         n->announced ? "announce accepted" : "no reply to the announce yet");
	}
	if (n->opened || n->warned) /* nothing left to watch for */
		control_timer_sleep(n->ctl, n->timer);
}

struct nsm *nsm_new(const char *url, const char *executable, struct control *ctl,
                    const struct nsm_callbacks *cb)
{
	ASSERT_ROLE(ROLE_CONTROL);
	struct addrinfo hints, *ai = NULL;
	char *host = NULL, *port = NULL;
	struct nsm *n = calloc(1, sizeof *n);

	if (!n || !(n->rx = malloc(NSM_MAX_DGRAM))) {
		log_err("out of memory");
		goto fail;
	}
	n->fd = -1;
	n->ctl = ctl;
	n->cb = *cb;
	const char *base = strrchr(executable, '/');
	snprintf(n->executable, sizeof n->executable, "%s", base ? base + 1 : executable);
	if (lo_url_get_protocol_id(url) != LO_UDP) {
		log_err("NSM_URL '%s': only osc.udp:// URLs are supported", url);
		goto fail;
	}
	host = lo_url_get_hostname(url);
	port = lo_url_get_port(url);
	if (!host || !port || !*port) {
		log_err("NSM_URL '%s': no host or port", url);
		goto fail;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	int r = getaddrinfo(*host ? host : "localhost", port, &hints, &ai);
	if (r != 0) {
		log_err("NSM_URL '%s': %s", url, gai_strerror(r));
		goto fail;
	}
	n->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0 || connect(n->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		log_err("NSM_URL '%s': %s", url, strerror(errno));
		goto fail;
	}
	freeaddrinfo(ai);
	ai = NULL;
	free(host);
	free(port);
	host = port = NULL;
	n->started = control_now_ms();
	if (control_add_fd(ctl, n->fd, nsm_on_readable, n) < 0 ||
	    (n->timer = control_add_timer(ctl, 1000, nsm_tick, n)) < 0) {
		log_err("NSM: cannot register with the control loop");
		goto fail;
	}
	nsm_announce(n);
	log_info("NSM: announced to %s, waiting for /nsm/client/open", url);
	return n;
fail:
	if (ai)
		freeaddrinfo(ai);
	free(host);
	free(port);
	if (n && n->fd >= 0) {
		if (ctl)
			control_remove_fd(ctl, n->fd);
		close(n->fd);
	}
	if (n)
		free(n->rx);
	free(n);
	return NULL;
}

void nsm_free(struct nsm *n)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!n)
		return;
	if (n->fd >= 0) {
		control_remove_fd(n->ctl, n->fd);
		close(n->fd);
	}
	free(n->rx);
	free(n);
}

void nsm_set_label(struct nsm *n, const char *label)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!n)
		return;
	snprintf(n->label, sizeof n->label, "%s", label);
	if (n->opened)
		nsm_send_label(n);
}

void nsm_set_dirty(struct nsm *n, int dirty)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!n || !n->opened || n->dirty == !!dirty)
		return;
	n->dirty = !!dirty;
	lo_message m = lo_message_new();
	if (!m)
		return;
	nsm_send(n, dirty ? "/nsm/client/is_dirty" : "/nsm/client/is_clean", m);
	lo_message_free(m);
}
