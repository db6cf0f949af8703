/* Private helpers shared by the files of the HTTP/1 parser (worker process).
 * Everything here works on untrusted bytes already bounded by the caller:
 * character classes, comma-list walking and the body-framing rules that
 * requests and responses have in common. */
#ifndef SNARE_HTTP1_INTERNAL_H
#define SNARE_HTTP1_INTERNAL_H

#include "http1/http1.h"

/* RFC 9110 tchar: the characters of a token (method, header name, coding):
 * DIGIT, ALPHA and "!#$%&'*+-.^_`|~", one bit per byte value.  A bit table
 * because every header name byte of every message goes through here (a
 * comparison chain cost about 7 % of a keep-alive request's instructions). */
static inline bool http1_is_tchar(uint8_t c)
{
	static const uint32_t bits[8] = {
	    0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff, 0, 0, 0, 0,
	};

	return (bits[c >> 5] >> (c & 31)) & 1u;
}

/* Control characters other than HTAB, which no field value may hold. */
static inline bool http1_is_bad_ctl(uint8_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static inline bool http1_is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Takes the next element of a comma-separated list from *rest, trimmed of
 * OWS (it may be empty).  Returns false when the list is exhausted. */
bool http1_list_next(struct http1_str *rest, struct http1_str *elem);

/* Transfer-Encoding over all TE header lines of a message. */
struct http1_te {
	bool present;
	bool chunked_seen;
	bool chunked_last; /* the final coding is "chunked" */
	bool chunked_dup;  /* "chunked" appears more than once */
	bool unusual;	   /* an empty element or a coding we do not know */
};
void http1_te_scan(const struct http1_head *h, struct http1_te *te);

/* Content-Length over all CL header lines: agreeing values or `bad`. */
struct http1_cl {
	bool present;
	bool bad; /* not digits, overflow, or values that differ */
	uint64_t value;
};
void http1_cl_scan(const struct http1_head *h, struct http1_cl *cl);

/* Sets keep_alive, upgrade and, for requests, expect_continue and body. */
int http1_derive(struct http1_head *h);

#endif
