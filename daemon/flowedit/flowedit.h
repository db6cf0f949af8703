/* Editing a flow record (proto/flow.proto) whose memory belongs to someone
 * else: the worker builds its flows from its own buffers, so an edit never
 * frees or writes through the caller's pointers.  It replaces a field's
 * pointer with a copy owned by a struct flowedit, which the caller frees
 * once it is done with the flow.  Used by the script and rewrite engines;
 * runs in the worker and trusts the flow's shape (protobuf-c's), not its
 * contents.
 *
 * Ownership rule: after an edit the flow mixes the caller's memory and the
 * edit's; free the caller's by the caller's own pointers (never with
 * snare__flow__free_unpacked), then flowedit_free.  To keep an edited flow
 * longer, pack it. */
#ifndef SNARE_FLOWEDIT_H
#define SNARE_FLOWEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"
#include "flow.pb-c.h"

struct flowedit {
	void **blocks; /* every block it allocated */
	size_t n, cap;
	unsigned char *next; /* free room in the last small-allocation chunk */
	size_t left;
};

void flowedit_init(struct flowedit *e);
void flowedit_free(struct flowedit *e);
/* Zeroed memory owned by e (fatal on allocation failure, as xmalloc). */
void *flowedit_alloc(struct flowedit *e, size_t n);
char *flowedit_strndup(struct flowedit *e, const char *s, size_t n);
char *flowedit_strdup(struct flowedit *e, const char *s);
ProtobufCBinaryData flowedit_bytes(struct flowedit *e, const void *p, size_t n);

/* Case-insensitive header search from index *from (updated past the hit);
 * NULL when there is no further match. */
Snare__Header *flowedit_header_next(Snare__Header *const *h, size_t n, const char *name,
				    size_t *from);
/* The first value of a header as a string (NULL when absent); a value with
 * a NUL byte is cut there. */
const char *flowedit_header_get(Snare__Header *const *h, size_t n, const char *name, char *buf,
				size_t len);
/* A new header (owned by e). */
Snare__Header *flowedit_header_new(struct flowedit *e, const void *name, size_t nlen,
				   const void *value, size_t vlen);
/* A header list for edits: *hs and *n are replaced by an array owned by e. */
void flowedit_header_remove(struct flowedit *e, Snare__Header ***hs, size_t *n, const char *name);
void flowedit_header_add(struct flowedit *e, Snare__Header ***hs, size_t *n, const char *name,
			 const void *value, size_t vlen);
/* The first header named name takes value (others of that name go); added
 * at the end when absent. */
void flowedit_header_set(struct flowedit *e, Snare__Header ***hs, size_t *n, const char *name,
			 const void *value, size_t vlen);

/* Sets a request's host and port (strings owned by e) and, as mitmproxy
 * does, its Host header when it has one: "host" or "host:port" when the
 * port is not the scheme's default, brackets around an IPv6 literal. */
void flowedit_request_set_host(struct flowedit *e, Snare__HttpRequest *r, const char *host,
			       unsigned port);
/* Sets scheme, host, port and path from an absolute URL
 * ("scheme://host[:port][/path]"; the port defaults to the scheme's) and
 * the Host header as flowedit_request_set_host.  0 or -EINVAL. */
int flowedit_request_set_url(struct flowedit *e, Snare__HttpRequest *r,
			     const char *url) SNARE_MUST_CHECK;
/* The request's URL, "scheme://host[:port]/path" (port left out when it is
 * the scheme's default), into buf; false when it does not fit. */
bool flowedit_request_url(const Snare__HttpRequest *r, char *buf, size_t len);
/* 80 for http and ws, 443 for https and wss, else 0. */
unsigned flowedit_default_port(const char *scheme);

#endif
