/* Flow filter expressions, mitmproxy's syntax (`~d example.com & !~c 200`),
 * compiled once and matched against flows (proto/flow.proto).  One engine
 * for the terminal output (`snare "~d example.com"`), the web interface's
 * list, intercept and the built-in rewrites.  The expression is untrusted
 * text (command line, web page, script); flows are whatever a worker sent.
 *
 * Operators: ~a ~b ~bq ~bs ~c ~d ~dns ~dst ~e ~h ~hq ~hs ~http ~m ~marked
 * ~q ~s ~src ~t ~tq ~ts ~tcp ~u ~udp ~websocket ~all, with `!`, `&` (also plain
 * juxtaposition), `|` and parentheses; a bare word is ~u.  Regular
 * expressions are POSIX extended, case-insensitive (man/snare-filters.7). */
#ifndef SNARE_FILTER_FILTER_H
#define SNARE_FILTER_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"
#include "flow.pb-c.h"

struct filter;

/* What a flow record does not carry itself. */
struct filter_extra {
	bool marked; /* the user marked it (web interface, script) */
};

/* Compiles `expr`.  0 and *out on success (free with filter_free);
 * -EINVAL with one line in err naming the offending token and its column
 * ("~q: unknown operator at column 5"), -ENOMEM. */
int filter_compile(const char *expr, struct filter **out, char *err,
		   size_t errlen) SNARE_MUST_CHECK;
/* True when flow matches; x may be NULL (nothing marked). */
bool filter_match(const struct filter *f, const Snare__Flow *flow, const struct filter_extra *x);
void filter_free(struct filter *f);

/* What a compiled filter looks at beyond a flow's summary, so that a caller
 * holding flows in two parts (the web interface: a summary in memory, the
 * rest on disk) can match most filters without reading the rest.  0 means
 * the summary suffices: the flow's type and WebSocket flag, whether it has
 * a request and a response (HTTP or DNS), the request's method, scheme,
 * host, port and path and its pretty host (the Host header or authority,
 * see filter_pretty_host), the status code, the error, the marked flag, the
 * client's and the server's address, the first DNS question's name. */
enum filter_need {
	FILTER_NEED_HEADERS = 1u << 0,	/* ~h ~hq ~hs ~t ~tq ~ts ~a: header blocks */
	FILTER_NEED_BODIES = 1u << 1,	/* ~b ~bq ~bs: HTTP bodies (and headers to decode them) */
	FILTER_NEED_MESSAGES = 1u << 2, /* ~b ~bq ~bs: WebSocket, TCP and UDP messages */
	FILTER_NEED_DNS = 1u << 3,	/* ~b ~bq ~bs: DNS messages in wire form */
};
/* The union of the needs of every operator in f (whatever !, & and | join
 * them): a mask of enum filter_need. */
unsigned filter_needs(const struct filter *f);
/* The host ~d and ~u see besides r->host (malloc'd): the Host header's or
 * the authority's name without a port, else r->host, else "". */
char *filter_pretty_host(const Snare__HttpRequest *r);

#endif
