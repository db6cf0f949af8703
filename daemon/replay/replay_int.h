/* Inside daemon/replay: the parsers of untrusted text (query strings,
 * urlencoded forms, HTTP dates) and the shared pieces of the server and
 * client halves.  Everything here reads bytes from flow files and live
 * requests: bounds-checked, no NUL termination assumed. */
#ifndef SNARE_REPLAY_INT_H
#define SNARE_REPLAY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/replay.h"

/* One name=value piece of a query or urlencoded body, still encoded. */
struct replay_pair {
	const char *name, *value;
	size_t nlen, vlen;
};

/* Python's urllib.parse.parse_qsl(keep_blank_values=True) splitting:
 * pieces between '&', empty ones skipped, a piece without '=' has an
 * empty value.  Calls fn for each; stops early when fn returns false.  We
 * write our own because no Debian C library splits exactly as Python. */
void replay_pairs(const char *s, size_t n, bool (*fn)(const struct replay_pair *p, void *arg),
		  void *arg);
/* parse_qsl's unquoting: '+' is a space, %XX a byte, a bad escape stays as
 * it is.  out has room for n bytes; returns the decoded length. */
size_t replay_unquote(const char *s, size_t n, char *out);
/* urlparse's path of an origin-form target: up to '#' and '?', without a
 * ';params' part of its last segment.  *query gets the query (up to '#'),
 * empty when none. */
void replay_split_target(const char *t, size_t n, size_t *pathlen, const char **query,
			 size_t *qlen);

/* mitmproxy's multipart_form: when ctype contains multipart/form-data
 * with a boundary and the body holds at least one named part and no
 * malformed one, calls fn for each (name, value) pair, raw, and returns
 * true; false otherwise (fn not called). */
bool replay_multipart(const char *ctype, const char *body, size_t n,
		      bool (*fn)(const struct replay_pair *p, void *arg), void *arg);

/* An HTTP date (IMF-fixdate, RFC 850, asctime, and the looser forms of
 * Python's email.utils.parsedate_tz: numeric zones, GMT/UT/UTC/Z, two-digit
 * years) as seconds since the epoch; false when it is not one. */
bool replay_date_parse(const char *s, size_t n, int64_t *t);
/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into out[30]; false for
 * a time before 1970 or after 9999. */
bool replay_date_format(int64_t t, char out[30]);

/* A deep copy of a flow in protobuf-c's default allocator (free with
 * snare__flow__free_unpacked(f, NULL)); NULL on failure. */
Snare__Flow *replay_flow_copy(const Snare__Flow *f);

/* A header's value as a NUL-terminated copy (caller frees) or NULL. */
char *replay_header_dup(Snare__Header *const *h, size_t n, const char *name);

#endif
