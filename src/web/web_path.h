/*
 * web_path.h - the web surface's checks on what a request names, as pure
 * functions (no socket, no library) so that unit tests and the fuzzer
 * reach them directly: the Host and Origin headers (DNS rebinding and
 * other sites' pages), the names of files under the app and record
 * directories (no "..", no hidden or encoded names; symlinks are refused
 * where the file is opened), access keys, content types, and JSON
 * strings made of names from outside (client and file names).
 *
 * Threads: any thread but RT (pure functions).
 */
#ifndef JMX_WEB_PATH_H
#define JMX_WEB_PATH_H

#include <stddef.h>

/* Host header value: an IP literal (IPv4, or [IPv6]), "localhost", or one
 * of the n names (this host's names), each with an optional :port.  A
 * name an attacker's DNS can point at us (rebinding) is none of these. */
int web_path_host_ok(const char *host, const char *const *names, unsigned n);
/* Origin header value (when there is one: browsers always send it on a
 * WebSocket upgrade): "http://" followed by exactly the Host value. */
int web_path_origin_ok(const char *origin, const char *host);
/* A path under the app directory, after the leading '/': segments of
 * printable characters, none empty, none starting with '.', no '\\' or
 * '%' (the library decoded %-escapes already: one left is a double
 * encoding).  1 if acceptable. */
int web_path_rel_ok(const char *rel);
/* A take's file name: one segment under the same rules. */
int web_path_name_ok(const char *name);
/* The Content-Type for a file name's extension. */
const char *web_path_mime(const char *name);
/* s as the inside of a JSON string into out (len >= 1, always
 * terminated): '"', '\\' and control bytes escaped, a byte that is not
 * part of valid UTF-8 as \ufffd; cut at a whole character when out is
 * short.  The length written. */
size_t web_path_json_escape(char *out, size_t len, const char *s);
/* Constant-time comparison of a presented key with a stored one. */
int web_path_key_eq(const char *given, const char *key);

#endif
