/*
 * web.h - the web thread: it owns libwebsockets' context and service loop
 * (Debian's libwebsockets 4.1.6 has no external-poll support, so it runs
 * a loop of its own) and serves HTTP GET and WebSocket on one port:
 *   /               the app (static files of the app directory)
 *   /api/params     the parameter table as JSON (made by the control
 *                   thread from the table --dump-osc prints)
 *   /api/info       the console's shape and engine, as the control
 *                   thread last published it, and the client's role
 *   /takes/         finished takes of the record directory (JSON list),
 *   /takes/NAME     and each one's file (none that is being written)
 *   WebSocket       any path: each binary message one OSC packet
 * It never touches the model: WebSocket traffic goes through webq.h to
 * the control thread (web_osc.c), which is the OSC core's transport.
 *
 * Access: a connection from outside loopback and the --allow networks is
 * closed at accept; Host must be an IP literal, localhost or this host's
 * name, and Origin (when sent) http:// + Host; off loopback the API,
 * takes and WebSocket need ?key= an access key (web_keys.h).  Bounds:
 * WEB_MAX_CONNS connections, WEB_MAX_MSG bytes a message, headers within
 * WEB_HEADER_TIMEOUT_S, an idle WebSocket pinged and dropped.
 *
 * Threads: web_start, web_stop, web_port and web_set_info on the
 * control thread, web_file_written on the web or control thread;
 * everything else in web.c runs on the web thread it starts.
 */
#ifndef JMX_WEB_H
#define JMX_WEB_H

#include <stddef.h>

#include "osc_net.h"
#include "web_keys.h"
#include "webq.h"

#define WEB_DEFAULT_PORT     8080u
#define WEB_MAX_CONNS        64u
#define WEB_MAX_MSG          65536u
#define WEB_HEADER_TIMEOUT_S 5u
#define WEB_IDLE_PING_S      30u
#define WEB_IDLE_DROP_S      45u

struct web_config {
	const struct osc_net_config *net; /* --listen and --allow, kept by the caller */
	unsigned port;
	int port_explicit;           /* --http given: a busy port is an error */
	const char *app_dir;         /* static files */
	const char *record_dir;      /* takes; NULL: none */
	const struct web_keys *keys; /* copied */
	const char *params_json;     /* copied */
	size_t params_len;
};

struct web;

/* Bind and start the thread.  NULL after a log line; *busy set when the
 * port was taken by someone else. */
struct web *web_start(const struct web_config *cfg, struct webq *q, int *busy);
/* Stop the thread (its connections close) and free. */
void web_stop(struct web *w);
unsigned web_port(const struct web *w);
/* Headroom the library needs before each message it writes (webq_new). */
size_t web_pre(void);
/* The /api/info body's fields, a JSON object's members without braces. */
void web_set_info(struct web *w, const char *members);
/* Whether this process has the file at path open for writing (a take
 * the recorder is still writing, master or stem: /takes neither lists
 * nor serves it): 1 yes, 0 no, -1 no such file. */
int web_file_written(const char *path);

#endif
