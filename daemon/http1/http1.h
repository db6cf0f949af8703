/* Our own HTTP/1.x parser: strict, bounded, one header block per message.
 * Runs in workers on untrusted bytes.  It never allocates: a parsed head
 * points into the caller's buffer, which must stay unchanged while the head
 * is used.  Rejects request-smuggling shapes (CL with TE, conflicting CL,
 * obs-fold, bad chunk sizes, bare CR, NUL, spaces before ':'). */
#ifndef SNARE_HTTP1_HTTP1_H
#define SNARE_HTTP1_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HTTP1_MAX_HEADERS_CAP 256

enum http1_err {
	HTTP1_OK = 0,
	HTTP1_E_NEED_MORE = -1, /* not an error: feed more bytes */
	HTTP1_E_SYNTAX = -2,	/* malformed start line or header -> 400 */
	HTTP1_E_TOO_LARGE = -3, /* head bytes above the limit -> 431 */
	HTTP1_E_TOO_MANY = -4,	/* more headers than the limit -> 431 */
	HTTP1_E_SMUGGLE = -5,	/* CL+TE, conflicting CL, bad TE -> 400 */
	HTTP1_E_VERSION = -6,	/* not HTTP/1.0 or 1.1 -> 505 (or 400) */
	HTTP1_E_CHUNK = -7,	/* invalid chunk framing */
};

enum http1_body {
	HTTP1_BODY_NONE,
	HTTP1_BODY_LENGTH, /* content_length bytes */
	HTTP1_BODY_CHUNKED,
	HTTP1_BODY_CLOSE, /* response read until the server closes */
};

struct http1_str {
	const char *p;
	size_t n;
};

struct http1_header {
	struct http1_str name;
	struct http1_str value; /* leading/trailing whitespace trimmed */
};

struct http1_limits {
	size_t max_head_bytes; /* default 65536 */
	size_t max_headers;    /* default 100, at most HTTP1_MAX_HEADERS_CAP */
};

/* Where the search for the end of a head stands between reads (http1_scan_request/response). */
struct http1_scan {
	size_t line;	/* start of the first line not yet known to be complete */
	size_t from;	/* the bytes before this were searched for LF; 0: nothing seen yet */
	bool started;	/* the start line is complete (empty lines before a request are over) */
	size_t scanned; /* bytes looked at in all, full parses included (never reset) */
};

struct http1_head {
	bool is_request;
	/* request line */
	struct http1_str method;
	struct http1_str target; /* as sent: origin, absolute, authority or '*' form */
	/* status line */
	int status;
	struct http1_str reason;
	int version_minor; /* HTTP/1.<minor>: 0 or 1 */
	struct http1_header headers[HTTP1_MAX_HEADERS_CAP];
	size_t nheaders;
	size_t head_len; /* bytes of the head including the final CRLFCRLF */
	/* derived */
	enum http1_body body;
	uint64_t content_length;
	bool keep_alive;      /* per version and Connection header */
	bool expect_continue; /* Expect: 100-continue */
	bool upgrade;	      /* Connection: upgrade + Upgrade header */
	/* The incremental parsers' state; the one-shot parsers leave it alone. */
	struct http1_scan scan;
};

void http1_limits_default(struct http1_limits *l);

/* Parses a request or response head at the start of p[0..n).  Leading empty
 * lines (CRLF) before a request are skipped and counted in head_len.  For a
 * response, body framing is decided by http1_response_body() afterwards
 * because it depends on the request.  Returns HTTP1_OK or an http1_err. */
int http1_parse_request(const uint8_t *p, size_t n, const struct http1_limits *lim,
			struct http1_head *out);
int http1_parse_response(const uint8_t *p, size_t n, const struct http1_limits *lim,
			 struct http1_head *out);
/* The same results for a head that arrives in pieces, at a cost linear in its length however it
 * is cut: p[0..n) is everything received so far (each call may add bytes at the end, never
 * change earlier ones). The first call parses what is there (a head that arrives whole costs
 * one parse, as above); later calls only look at the new bytes for the end of the line they are
 * in and parse again once the start line or the whole head is complete (or a bare LF shows up).
 * out->scan must be zeroed before the first call for a head; it is set back (but for scanned)
 * whenever anything other than HTTP1_E_NEED_MORE is returned. */
int http1_scan_request(const uint8_t *p, size_t n, const struct http1_limits *lim,
		       struct http1_head *out);
int http1_scan_response(const uint8_t *p, size_t n, const struct http1_limits *lim,
			struct http1_head *out);
/* Sets out->body for a response to a request with `method` (HEAD, CONNECT
 * 2xx, 1xx, 204 and 304 have none).  Returns HTTP1_OK or HTTP1_E_SMUGGLE. */
int http1_response_body(struct http1_head *resp, struct http1_str method);

/* Header lookup: the first header named `name` (case-insensitive), or NULL. */
const struct http1_header *http1_find(const struct http1_head *h, const char *name);
/* For heads snare writes from pieces the parser did not check (check.c):
 * a non-empty token (method, field name); a field value without CR, LF,
 * NUL or other controls but HTAB; a non-empty request target without
 * spaces or controls. */
bool http1_token_ok(const char *p, size_t n);
bool http1_value_ok(const char *p, size_t n);
bool http1_target_ok(const char *p, size_t n);

/* Whether a comma-separated header value list contains token (case-insensitive). */
bool http1_has_token(struct http1_str value, const char *token);
bool http1_str_eq(struct http1_str s, const char *lit); /* exact */
/* case-insensitive (ASCII); inline: header lookups call it with literals */
static inline bool http1_str_ieq(struct http1_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t a = (uint8_t)s.p[i], b = (uint8_t)lit[i];

		if (a != b && ((a | 0x20) != (b | 0x20) || (uint8_t)((a | 0x20) - 'a') > 'z' - 'a'))
			return false;
	}
	return true;
}

/* Request targets.  absolute-form "http://host[:port]/path" -> parts; the
 * authority form "host:port" (CONNECT) -> host and port.  IPv6 literals keep
 * no brackets in host.  0 or HTTP1_E_SYNTAX. */
struct http1_target {
	char scheme[8]; /* "http" or "https", empty for origin/authority form */
	char host[256];
	uint16_t port; /* explicit or the scheme's default; 0 if none */
	bool has_port;
	struct http1_str path; /* points into the target; "/" when empty */
};
int http1_parse_absolute(struct http1_str target, struct http1_target *out);
int http1_parse_authority(struct http1_str authority, uint16_t default_port,
			  struct http1_target *out);

/* Incremental chunked-body decoder.  The proxy forwards the raw bytes it
 * consumes unchanged (trailers included); the decoder tells where the body
 * ends and which spans are payload. */
struct http1_chunked {
	int state;
	uint64_t remaining;   /* payload bytes left in the current chunk */
	size_t line_len;      /* bytes of the current size/trailer line */
	size_t trailer_bytes; /* total trailer bytes, bounded */
	size_t trailer_count;
	bool done;
};
#define HTTP1_CHUNK_SIZE_DIGITS 16   /* hex digits in a chunk size, leading zeros included */
#define HTTP1_CHUNK_LINE_MAX 4096    /* bytes of a size line with its extensions */
#define HTTP1_TRAILER_MAX_BYTES 8192 /* all bytes after the last chunk's size line */
#define HTTP1_TRAILER_MAX_COUNT 64
void http1_chunked_init(struct http1_chunked *c);
/* Consumes bytes from p[0..n).  *consumed is how many bytes belong to the
 * body (never past its end); payload bytes among them are reported through
 * on_data (may be NULL).  Returns HTTP1_OK (check c->done) or HTTP1_E_CHUNK. */
int http1_chunked_feed(struct http1_chunked *c, const uint8_t *p, size_t n, size_t *consumed,
		       void (*on_data)(void *arg, const uint8_t *d, size_t n), void *arg);

#endif
