/* Header-field helpers of the HTTP/1 parser, run in workers.  Inputs are
 * spans of an already-parsed head (bounded, CTL-free); nothing here
 * allocates.  Lookup, token lists and the default limits. */
#include <string.h>

#include "http1/http1_internal.h"

void http1_limits_default(struct http1_limits *l)
{
	l->max_head_bytes = 65536;
	l->max_headers = 100;
}

bool http1_str_eq(struct http1_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

const struct http1_header *http1_find(const struct http1_head *h, const char *name)
{
	for (size_t i = 0; i < h->nheaders; i++) {
		if (http1_str_ieq(h->headers[i].name, name))
			return &h->headers[i];
	}
	return NULL;
}

static struct http1_str trim_ows(struct http1_str s)
{
	while (s.n > 0 && http1_is_ows((uint8_t)s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && http1_is_ows((uint8_t)s.p[s.n - 1]))
		s.n--;
	return s;
}

bool http1_list_next(struct http1_str *rest, struct http1_str *elem)
{
	const char *comma;
	size_t len;

	if (rest->p == NULL)
		return false;
	comma = rest->n ? memchr(rest->p, ',', rest->n) : NULL;
	len = comma ? (size_t)(comma - rest->p) : rest->n;
	*elem = trim_ows((struct http1_str){rest->p, len});
	if (comma) {
		rest->p = comma + 1;
		rest->n -= len + 1;
	} else {
		rest->p = NULL;
		rest->n = 0;
	}
	return true;
}

bool http1_has_token(struct http1_str value, const char *token)
{
	struct http1_str elem;

	while (http1_list_next(&value, &elem)) {
		if (http1_str_ieq(elem, token))
			return true;
	}
	return false;
}
