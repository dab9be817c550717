/*
 * web.c - the web thread: libwebsockets' context, its service loop, HTTP
 * GET and WebSocket framing; see web.h.
 *
 * Threads: web_start, web_stop, web_port and web_set_info on the
 * control thread; web_file_written on either; web_cb (every library
 * callback), web_thread and what they call on the web thread, which
 * creates nothing the control thread reads but through webq.h and the
 * info lock.  The context is made on the control thread (so a busy port
 * is a start-up error there) and served and destroyed on the web thread.
 *
 * Invariants: nothing here touches the model or the OSC core; a refused
 * request changes nothing and is answered 403 (or closed before any byte
 * at accept, for a peer outside loopback and --allow); a file is served
 * only when its real path lies inside the app or record directory and it
 * is a regular file; at most WEB_MAX_CONNS connections exist.
 */
#define _GNU_SOURCE
#include "web.h"
#include "role.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <netdb.h>
#include <unistd.h>

#include "log.h"
#include "web_path.h"

#define WEB_CHUNK 4096u

struct web {
	struct lws_context *ctx;
	pthread_t thread;
	int started;
	atomic_int stop;
	struct webq *q;
	const struct osc_net_config *net;
	unsigned port;
	char app_dir[PATH_MAX];    /* real path, "" none */
	char record_dir[PATH_MAX]; /* real path, "" none */
	struct web_keys keys;
	char *params;
	size_t params_len;
	char hostname[256], hostlocal[272];
	const char *names[3];
	lws_retry_bo_t retry;
	/* web thread only */
	struct lws *slot_wsi[WEBQ_MAX_CONN];
	struct lws *conn[WEB_MAX_CONNS];
	unsigned n_conns;
	/* control -> web, under info_lock */
	pthread_mutex_t info_lock;
	char *info;
};

/* Per connection (HTTP and WebSocket share the one protocol). */
struct web_pss {
	int slot; /* webq slot + 1 of a WebSocket, 0 none */
	enum webq_role role;
	unsigned bus;
	unsigned char *rx; /* message being assembled */
	size_t rx_len;
	char *body; /* HTTP response body being written */
	size_t body_len, body_off;
	int body_owned;
};

/* ---- access ------------------------------------------------------------- */

static enum osc_net_peer web_peer(struct web *w, struct lws *wsi, char *desc, size_t dlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fd = lws_get_socket_fd(wsi);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return OSC_NET_PEER_DENIED;
	if (desc) {
		char ip[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
		snprintf(desc, dlen, "%s:%u", ip, port);
	}
	return osc_net_peer_check(w->net, (struct sockaddr *)&ss, len);
}

/* Host, Origin and key of a request: 0 and the client's role, or the
 * HTTP status to refuse it with.  need_key: off loopback a key is
 * required (everything but the app's static files). */
static int web_check(struct web *w, struct lws *wsi, int need_key, enum webq_role *role, unsigned *bus)
{
	char host[256], origin[300], key[128];
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0 || !web_path_host_ok(host, w->names, 3))
		return HTTP_STATUS_FORBIDDEN;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0 &&
	    (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0 ||
	     !web_path_origin_ok(origin, host)))
		return HTTP_STATUS_FORBIDDEN;
	*role = WEBQ_ENGINEER;
	*bus = 0;
	const char *k = lws_get_urlarg_by_name(wsi, "key=", key, sizeof key);
	if (k) {
		if (web_path_key_eq(k, w->keys.engineer))
			return 0;
		for (unsigned b = 0; b < w->keys.n_bus; b++)
			if (web_path_key_eq(k, w->keys.bus[b])) {
				*role = WEBQ_MUSICIAN;
				*bus = b;
				return 0;
			}
		return HTTP_STATUS_FORBIDDEN;
	}
	if (need_key && web_peer(w, wsi, NULL, 0) != OSC_NET_PEER_LOOPBACK)
		return HTTP_STATUS_FORBIDDEN;
	return 0;
}

/* ---- HTTP --------------------------------------------------------------- */

static int web_done(struct lws *wsi)
{
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int web_refuse(struct lws *wsi, unsigned status)
{
	if (lws_return_http_status(wsi, status, NULL))
		return -1;
	return web_done(wsi);
}

/* Answer with body (owned: freed when written). */
static int web_reply(struct lws *wsi, struct web_pss *ps, const char *type, char *body, size_t len, int owned)
{
	unsigned char hb[LWS_PRE + 1024], *start = hb + LWS_PRE, *p = start, *end = hb + sizeof hb - 1;
	ps->body = body;
	ps->body_len = len;
	ps->body_off = 0;
	ps->body_owned = owned;
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, type, len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
	                                (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int web_write_body(struct lws *wsi, struct web_pss *ps)
{
	unsigned char buf[LWS_PRE + WEB_CHUNK];
	if (!ps->body)
		return 0;
	size_t n = ps->body_len - ps->body_off;
	if (n > WEB_CHUNK)
		n = WEB_CHUNK;
	memcpy(buf + LWS_PRE, ps->body + ps->body_off, n);
	ps->body_off += n;
	int final = ps->body_off == ps->body_len;
	if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (ps->body_owned)
		free(ps->body);
	ps->body = NULL;
	return web_done(wsi);
}

/* A file of dir named rel (checked): its real path must stay inside dir,
 * it must be a regular file (a symlink that points out is refused). */
static int web_file(struct lws *wsi, const char *dir, const char *rel)
{
	char path[PATH_MAX * 2], real[PATH_MAX];
	struct stat sb;
	size_t dl = strlen(dir);
	if (!dir[0] || (size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path ||
	    !realpath(path, real) || strncmp(real, dir, dl) != 0 || real[dl] != '/' || stat(real, &sb) < 0 ||
	    !S_ISREG(sb.st_mode))
		return web_refuse(wsi, HTTP_STATUS_NOT_FOUND);
	int r = lws_serve_http_file(wsi, real, web_path_mime(real), NULL, 0);
	if (r < 0)
		return -1;
	return r > 0 ? web_done(wsi) : 0;
}

/* ---- takes being written ------------------------------------------------ */

/* The regular files this process has open for writing, by device and
 * inode, from /proc/self/fd: the recorder's disk thread writes each file
 * of a take (master and stems) through a descriptor of its own, from the
 * moment the file exists until it is complete (the header and bext
 * chunk written at the close), so a take is finished exactly when none
 * of ours writes it.  This asks no other thread and has no window at the
 * start or the end of a take, as a name published by the control thread
 * would.  Without /proc (or past WEB_WSET_MAX such files) nothing can be
 * told apart: every take modified in the last WEB_BUSY_S seconds counts
 * as being written (the recorder updates its files at least every
 * second). */
#define WEB_WSET_MAX 256u
#define WEB_BUSY_S   5

struct web_wset {
	unsigned n;
	int unknown;
	struct {
		dev_t dev;
		ino_t ino;
	} f[WEB_WSET_MAX];
};

static void web_wset_scan(struct web_wset *ws)
{
	ws->n = 0;
	ws->unknown = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		ws->unknown = 1;
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		struct stat sb;
		int fl;
		if (*end || end == e->d_name || fd < 0 || fd == dirfd(d) || fd > INT_MAX)
			continue;
		/* a descriptor another thread closes meanwhile fails here or
		 * names another file: one answer of one request, no harm */
		if ((fl = fcntl((int)fd, F_GETFL)) < 0 || (fl & O_ACCMODE) == O_RDONLY ||
		    fstat((int)fd, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (ws->n == WEB_WSET_MAX) {
			ws->unknown = 1;
			break;
		}
		ws->f[ws->n].dev = sb.st_dev;
		ws->f[ws->n].ino = sb.st_ino;
		ws->n++;
	}
	closedir(d);
}

static int web_wset_has(const struct web_wset *ws, const struct stat *sb)
{
	if (ws->unknown)
		return sb->st_mtime >= time(NULL) - WEB_BUSY_S;
	for (unsigned i = 0; i < ws->n; i++)
		if (ws->f[i].dev == sb->st_dev && ws->f[i].ino == sb->st_ino)
			return 1;
	return 0;
}

int web_file_written(const char *path)
{
	ASSERT_ROLE(ROLE_WEB | ROLE_CONTROL);
	struct stat sb;
	struct web_wset *ws = malloc(sizeof *ws);
	if (!ws || stat(path, &sb) < 0) {
		free(ws);
		return -1;
	}
	web_wset_scan(ws);
	int r = web_wset_has(ws, &sb);
	free(ws);
	return r;
}

/* /takes/: the finished takes, by name (the order of the directory). */
static int web_takes_list(struct web *w, struct lws *wsi, struct web_pss *ps)
{
	char esc[600];
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	struct web_wset *ws = malloc(sizeof *ws);
	DIR *d = w->record_dir[0] ? opendir(w->record_dir) : NULL;
	if (!out || !ws) {
		if (d)
			closedir(d);
		free(out);
		free(ws);
		return -1;
	}
	web_wset_scan(ws);
	len = (size_t)snprintf(out, cap, "[");
	for (struct dirent *e; d && (e = readdir(d));) {
		struct stat sb;
		if (!web_path_name_ok(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode) ||
		    web_wset_has(ws, &sb))
			continue;
		const char *mime = web_path_mime(e->d_name);
		if (strncmp(mime, "audio/", 6) != 0)
			continue;
		web_path_json_escape(esc, sizeof esc, e->d_name);
		if (len + strlen(esc) + 96 > cap) {
			char *n = realloc(out, cap * 2);
			if (!n)
				break;
			out = n;
			cap *= 2;
		}
		len += (size_t)snprintf(
		    out + len, cap - len, "%s{\"name\":\"%s\",\"bytes\":%lld,\"mtime\":%lld}",
		    len > 1 ? "," : "", esc, (long long)sb.st_size, (long long)sb.st_mtime);
	}
	if (d)
		closedir(d);
	free(ws);
	len += (size_t)snprintf(out + len, cap - len, "]");
	return web_reply(wsi, ps, "application/json", out, len, 1);
}

static int web_take(struct web *w, struct lws *wsi, const char *name)
{
	if (!web_path_name_ok(name) || strncmp(web_path_mime(name), "audio/", 6) != 0)
		return web_refuse(wsi, HTTP_STATUS_NOT_FOUND);
	/* no symlink, even one pointing inside; nothing being written */
	char path[PATH_MAX * 2];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", w->record_dir, name);
	if (!w->record_dir[0] || lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode) || web_file_written(path) != 0)
		return web_refuse(wsi, HTTP_STATUS_NOT_FOUND);
	return web_file(wsi, w->record_dir, name);
}

static int web_http(struct web *w, struct lws *wsi, struct web_pss *ps, const char *uri)
{
	enum webq_role role;
	unsigned bus;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
		return web_refuse(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED);
	/* the app, the table and the console's shape are no secret: the
	 * key guards what controls or records (WebSocket, takes) */
	int is_api = strncmp(uri, "/api/", 5) == 0, is_take = strncmp(uri, "/takes/", 7) == 0;
	int st = web_check(w, wsi, is_take, &role, &bus);
	if (st)
		return web_refuse(wsi, (unsigned)st);
	if (strcmp(uri, "/api/params") == 0)
		return web_reply(wsi, ps, "application/json", w->params, w->params_len, 0);
	if (strcmp(uri, "/api/info") == 0) {
		char *body = NULL, keybuf[128];
		pthread_mutex_lock(&w->info_lock);
		int anon = role == WEBQ_ENGINEER &&
		           !lws_get_urlarg_by_name(wsi, "key=", keybuf, sizeof keybuf) &&
		           web_peer(w, wsi, NULL, 0) != OSC_NET_PEER_LOOPBACK;
		int n = asprintf(&body, "{\"role\":\"%s\",\"bus\":%u%s%s}",
		                 anon                    ? "none"
		                 : role == WEBQ_MUSICIAN ? "musician"
		                                         : "engineer",
		                 role == WEBQ_MUSICIAN ? bus + 1 : 0, w->info && w->info[0] ? "," : "",
		                 w->info ? w->info : "");
		pthread_mutex_unlock(&w->info_lock);
		if (n < 0)
			return -1;
		return web_reply(wsi, ps, "application/json", body, (size_t)n, 1);
	}
	if (is_take) {
		if (role != WEBQ_ENGINEER)
			return web_refuse(wsi, HTTP_STATUS_FORBIDDEN);
		return uri[7] ? web_take(w, wsi, uri + 7) : web_takes_list(w, wsi, ps);
	}
	if (is_api)
		return web_refuse(wsi, HTTP_STATUS_NOT_FOUND);
	const char *rel = strcmp(uri, "/") == 0 ? "index.html" : uri + 1;
	if (!web_path_rel_ok(rel))
		return web_refuse(wsi, HTTP_STATUS_NOT_FOUND);
	return web_file(wsi, w->app_dir, rel);
}

/* ---- WebSocket ---------------------------------------------------------- */

static int web_ws_receive(struct web *w, struct lws *wsi, struct web_pss *ps, const void *in, size_t len)
{
	if (!ps->slot)
		return -1;
	if (lws_is_first_fragment(wsi))
		ps->rx_len = 0;
	if (!lws_frame_is_binary(wsi)) {
		static const char why[] = "binary OSC packets only";
		lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, (unsigned char *)why,
		                 sizeof why - 1);
		return -1;
	}
	if (ps->rx_len + len + lws_remaining_packet_payload(wsi) > WEB_MAX_MSG) {
		static const char why[] = "message too large";
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)why,
		                 sizeof why - 1);
		return -1;
	}
	if (!ps->rx && !(ps->rx = malloc(WEB_MAX_MSG)))
		return -1;
	memcpy(ps->rx + ps->rx_len, in, len);
	ps->rx_len += len;
	if (!lws_is_final_fragment(wsi))
		return 0;
	int r = webq_web_packet(w->q, (unsigned)ps->slot - 1, ps->rx, ps->rx_len);
	ps->rx_len = 0;
	if (r < 0)
		return -1;
	if (r > 0)
		lws_rx_flow_control(wsi, 0); /* until the control thread caught up */
	return 0;
}

static int web_ws_writeable(struct web *w, struct lws *wsi, struct web_pss *ps)
{
	if (!ps->slot)
		return 0;
	unsigned slot = (unsigned)ps->slot - 1;
	for (unsigned i = 0; i < 256 && !lws_send_pipe_choked(wsi); i++) {
		size_t len;
		unsigned char *b = webq_web_pop(w->q, slot, &len);
		if (!b)
			break;
		int n = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_BINARY);
		free(b);
		if (n < (int)len)
			return -1;
	}
	if (webq_web_todo(w->q, slot) & WEBQ_DO_WRITE)
		lws_callback_on_writable(wsi);
	return 0;
}

/* The control thread queued something, asked for a close, or made room. */
static void web_wake_all(struct web *w)
{
	for (unsigned i = 0; i < WEBQ_MAX_CONN; i++) {
		struct lws *wsi = w->slot_wsi[i];
		if (!wsi)
			continue;
		unsigned todo = webq_web_todo(w->q, i);
		if (todo & WEBQ_DO_CLOSE) {
			static const char why[] = "not reading: output queue full";
			lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)why,
			                 sizeof why - 1);
			lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			continue;
		}
		if (todo & WEBQ_DO_RESUME)
			lws_rx_flow_control(wsi, 1);
		if (todo & WEBQ_DO_WRITE)
			lws_callback_on_writable(wsi);
	}
}

static int web_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct lws_context *cx = lws_get_context(wsi);
	struct web *w = cx ? lws_context_user(cx) : NULL;
	struct web_pss *ps = user;
	char peer[WEBQ_PEER_MAX];

	if (!w)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = (int)(lws_intptr_t)in;
		if (w->n_conns >= WEB_MAX_CONNS || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    osc_net_peer_check(w->net, (struct sockaddr *)&ss, sl) == OSC_NET_PEER_DENIED)
			return 1;
		return 0;
	}
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		for (unsigned i = 0; i < WEB_MAX_CONNS; i++)
			if (!w->conn[i]) {
				w->conn[i] = wsi;
				w->n_conns++;
				return 0;
			}
		return -1;
	case LWS_CALLBACK_WSI_DESTROY:
		for (unsigned i = 0; i < WEB_MAX_CONNS; i++)
			if (w->conn[i] == wsi) {
				w->conn[i] = NULL;
				w->n_conns--;
			}
		return 0;
	case LWS_CALLBACK_HTTP:
		return web_http(w, wsi, ps, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return web_write_body(wsi, ps);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return web_done(wsi);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (ps && ps->body_owned)
			free(ps->body);
		if (ps)
			ps->body = NULL;
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		enum webq_role role;
		unsigned bus;
		if (!ps || web_check(w, wsi, 1, &role, &bus) != 0)
			return -1;
		ps->role = role;
		ps->bus = bus;
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED: {
		web_peer(w, wsi, peer, sizeof peer);
		int slot = webq_web_open(w->q, ps->role, ps->bus, peer);
		if (slot < 0)
			return -1;
		ps->slot = slot + 1;
		w->slot_wsi[slot] = wsi;
		return 0;
	}
	case LWS_CALLBACK_RECEIVE:
		return web_ws_receive(w, wsi, ps, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return web_ws_writeable(w, wsi, ps);
	case LWS_CALLBACK_CLOSED:
		if (ps && ps->slot) {
			w->slot_wsi[ps->slot - 1] = NULL;
			webq_web_close(w->q, (unsigned)ps->slot - 1);
			ps->slot = 0;
		}
		if (ps) {
			free(ps->rx);
			ps->rx = NULL;
		}
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		web_wake_all(w);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols web_protocols[] = {
    {"osc", web_cb, sizeof(struct web_pss), WEB_CHUNK, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- the thread --------------------------------------------------------- */

static void web_lws_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(level == LLL_ERR ? LOG_WARN : LOG_DEBUG, "web: libwebsockets: %.*s", (int)n, line);
}

static void *web_thread(void *arg)
{
	struct web *w = arg;
	ROLE_SET(ROLE_WEB);
	pthread_setname_np(pthread_self(), "jmx-web"); /* per-thread figures, top -H */
	while (!atomic_load(&w->stop))
		if (lws_service(w->ctx, 0) < 0) {
			log_err("web: the service loop failed: the web surface is gone");
			break;
		}
	/* no wake-up reaches the context from here on */
	pthread_mutex_lock(&w->info_lock);
	struct lws_context *cx = w->ctx;
	w->ctx = NULL;
	pthread_mutex_unlock(&w->info_lock);
	lws_context_destroy(cx); /* closes every connection: CLOSE records */
	return NULL;
}

static void web_wake(void *ctx)
{
	struct web *w = ctx;
	pthread_mutex_lock(&w->info_lock);
	if (w->ctx)
		lws_cancel_service(w->ctx);
	pthread_mutex_unlock(&w->info_lock);
}

/* Is the port taken?  libwebsockets only says that it failed. */
static int web_port_busy(const char *listen, unsigned port)
{
	struct addrinfo hints = {0}, *res = NULL;
	char ps[16];
	snprintf(ps, sizeof ps, "%u", port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST;
	if (getaddrinfo(listen, ps, &hints, &res) != 0 || !res)
		return 0;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), busy = 0, one = 1;
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		busy = bind(fd, res->ai_addr, res->ai_addrlen) < 0 && errno == EADDRINUSE;
		close(fd);
	}
	freeaddrinfo(res);
	return busy;
}

struct web *web_start(const struct web_config *cfg, struct webq *q, int *busy)
{
	ASSERT_ROLE(ROLE_CONTROL);
	const char *listen = cfg->net->listen ? cfg->net->listen : "127.0.0.1";
	*busy = 0;
	struct web *w = calloc(1, sizeof *w);
	if (!w || !(w->params = malloc(cfg->params_len + 1))) {
		free(w);
		log_err("out of memory");
		return NULL;
	}
	memcpy(w->params, cfg->params_json, cfg->params_len);
	w->params_len = cfg->params_len;
	w->q = q;
	w->net = cfg->net;
	w->keys = *cfg->keys;
	pthread_mutex_init(&w->info_lock, NULL);
	if (!cfg->app_dir || !realpath(cfg->app_dir, w->app_dir)) {
		log_warn("web: app directory %s: %s: only the API is served",
		         cfg->app_dir ? cfg->app_dir : "(none)", strerror(errno));
		w->app_dir[0] = 0;
	}
	/* the record directory may be made by the first take: as given then */
	if (cfg->record_dir && !realpath(cfg->record_dir, w->record_dir))
		snprintf(w->record_dir, sizeof w->record_dir, "%s",
		         cfg->record_dir[0] == '/' ? cfg->record_dir : "");
	if (gethostname(w->hostname, sizeof w->hostname - 1) == 0) {
		w->names[0] = w->hostname;
		snprintf(w->hostlocal, sizeof w->hostlocal, "%s.local", w->hostname);
		w->names[1] = w->hostlocal;
	}
	w->names[2] = listen; /* a name given to --listen */

	if (web_port_busy(listen, cfg->port)) {
		*busy = 1;
		free(w->params);
		pthread_mutex_destroy(&w->info_lock);
		free(w);
		return NULL;
	}
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = (int)cfg->port;
	info.iface = listen;
	info.protocols = web_protocols;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.user = w;
	info.options = strchr(listen, ':') ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6;
	info.timeout_secs = WEB_HEADER_TIMEOUT_S;
	info.timeout_secs_ah_idle = WEB_HEADER_TIMEOUT_S;
	info.keepalive_timeout = 10;
	info.fd_limit_per_thread = WEB_MAX_CONNS + 16; /* listen socket, wake pipe, room to refuse */
	info.max_http_header_data = 4096;
	w->retry.secs_since_valid_ping = WEB_IDLE_PING_S;
	w->retry.secs_since_valid_hangup = WEB_IDLE_DROP_S;
	info.retry_and_idle_policy = &w->retry;
	lws_set_log_level(LLL_ERR, web_lws_log);
	w->ctx = lws_create_context(&info);
	if (!w->ctx) {
		log_err("web: cannot listen on %s port %u (--listen/--http)", listen, cfg->port);
		free(w->params);
		pthread_mutex_destroy(&w->info_lock);
		free(w);
		return NULL;
	}
	w->port = cfg->port;
	webq_set_wake(q, web_wake, w);
	/* signals go to the control thread's handlers, not here */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&w->thread, NULL, web_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		log_err("web: cannot start its thread: %s", strerror(r));
		webq_set_wake(q, NULL, NULL);
		lws_context_destroy(w->ctx);
		free(w->params);
		free(w);
		return NULL;
	}
	w->started = 1;
	return w;
}

void web_stop(struct web *w)
{
	ASSERT_ROLE(ROLE_CONTROL);
	if (!w)
		return;
	atomic_store(&w->stop, 1);
	if (w->started) {
		web_wake(w);
		pthread_join(w->thread, NULL);
	}
	webq_set_wake(w->q, NULL, NULL);
	free(w->params);
	free(w->info);
	pthread_mutex_destroy(&w->info_lock);
	free(w);
}

size_t web_pre(void)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return LWS_PRE;
}

unsigned web_port(const struct web *w)
{
	ASSERT_ROLE(ROLE_CONTROL);
	return w ? w->port : 0;
}

void web_set_info(struct web *w, const char *members)
{
	ASSERT_ROLE(ROLE_CONTROL);
	char *copy = strdup(members);
	if (!copy)
		return;
	pthread_mutex_lock(&w->info_lock);
	free(w->info);
	w->info = copy;
	pthread_mutex_unlock(&w->info_lock);
}
