/*
 * web_keys.h - access keys of the web surface: one engineer key (full
 * control) and one musician key per bus (that bus's sends and queries),
 * each 128 random bits as 32 hex digits, made at first start and kept in
 * a file of the state directory with mode 0600 ("engineer KEY", "bus1
 * KEY", ... a line each); keys for buses added later are appended.
 *
 * Threads: control thread (start-up).
 */
#ifndef JMX_WEB_KEYS_H
#define JMX_WEB_KEYS_H

#include <stddef.h>

#define WEB_KEYS_MAX_BUS 32u
#define WEB_KEY_LEN      32u /* hex digits */

struct web_keys {
	char engineer[WEB_KEY_LEN + 1];
	char bus[WEB_KEYS_MAX_BUS][WEB_KEY_LEN + 1];
	unsigned n_bus;
	char path[1024]; /* the file they are kept in */
};

/* Default file: $XDG_STATE_HOME/jackmixd/web-keys, else
 * ~/.local/state/jackmixd/web-keys; NULL when neither is set. */
const char *web_keys_default_path(char *buf, size_t len);
/* Read path, make what is missing for n_bus buses (and the directory),
 * write it back with mode 0600.  0, or -1 with a message in err. */
int web_keys_load(struct web_keys *k, const char *path, unsigned n_bus, char *err, size_t errlen);

#endif
