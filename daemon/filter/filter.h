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

#endif
