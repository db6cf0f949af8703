/* HTTP/1 start line and header block parser, run in workers on bytes from
 * clients and servers (untrusted).  The one-shot parsers are stateless: the
 * caller passes everything received so far and gets OK, NEED_MORE or an
 * error; the head points into that buffer.  The scan parsers keep where the
 * search for the end of the head stopped, so a head sent a byte at a time
 * costs a linear amount of work, not a parse per byte.  Only CRLF ends a
 * line; scanning stops at max_head_bytes. */
#include <string.h>

#include "http1/http1_internal.h"

/* The part of the input we may look at: never more than max_head_bytes. */
struct cursor {
	const uint8_t *p;
	size_t n;
	size_t pos;
};

static void limits_resolve(const struct http1_limits *lim, size_t *bytes, size_t *headers)
{
	struct http1_limits d;

	http1_limits_default(&d);
	*bytes = (lim && lim->max_head_bytes) ? lim->max_head_bytes : d.max_head_bytes;
	*headers = (lim && lim->max_headers) ? lim->max_headers : d.max_headers;
	if (*headers > HTTP1_MAX_HEADERS_CAP)
		*headers = HTTP1_MAX_HEADERS_CAP;
}

/* The next CRLF-terminated line, without its CRLF.  A bare LF is refused;
 * a CR elsewhere is refused later by the character checks of each part. */
static int next_line(struct cursor *c, struct http1_str *line)
{
	const uint8_t *lf;
	size_t end;

	lf = c->pos < c->n ? memchr(c->p + c->pos, '\n', c->n - c->pos) : NULL;
	if (lf == NULL)
		return HTTP1_E_NEED_MORE;
	end = (size_t)(lf - c->p);
	if (end == c->pos || c->p[end - 1] != '\r')
		return HTTP1_E_SYNTAX;
	line->p = (const char *)c->p + c->pos;
	line->n = end - 1 - c->pos;
	c->pos = end + 1;
	return HTTP1_OK;
}

/* "HTTP/" DIGIT "." DIGIT: 1.0 and 1.1 are ours, other numbers are a
 * version error, anything else a syntax error. */
static int parse_version(const char *s, size_t n, int *minor)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.')
		return HTTP1_E_SYNTAX;
	if (s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
		return HTTP1_E_SYNTAX;
	if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
		return HTTP1_E_VERSION;
	*minor = s[7] - '0';
	return HTTP1_OK;
}

/* Any byte but whitespace and controls; obs-text is passed through. */
static bool target_char(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

/* method SP request-target SP HTTP-version, single spaces only. */
static int parse_request_line(struct http1_str line, struct http1_head *h)
{
	const uint8_t *p = (const uint8_t *)line.p;
	size_t i = 0, t;

	while (i < line.n && http1_is_tchar(p[i]))
		i++;
	if (i == 0 || i == line.n || p[i] != ' ')
		return HTTP1_E_SYNTAX;
	h->method = (struct http1_str){line.p, i};
	t = ++i;
	while (i < line.n && target_char(p[i]))
		i++;
	if (i == t || i == line.n || p[i] != ' ')
		return HTTP1_E_SYNTAX;
	h->target = (struct http1_str){line.p + t, i - t};
	i++;
	return parse_version(line.p + i, line.n - i, &h->version_minor);
}

/* HTTP-version SP 3DIGIT [SP reason]; an empty reason may lack its SP. */
static int parse_status_line(struct http1_str line, struct http1_head *h)
{
	const char *p = line.p;
	int rc;

	rc = parse_version(p, line.n < 8 ? line.n : 8, &h->version_minor);
	if (rc != HTTP1_OK)
		return rc;
	if (line.n < 12 || p[8] != ' ' || (line.n > 12 && p[12] != ' '))
		return HTTP1_E_SYNTAX;
	if (p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return HTTP1_E_SYNTAX;
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	h->reason = line.n > 12 ? (struct http1_str){p + 13, line.n - 13}
				: (struct http1_str){p + line.n, 0};
	for (size_t i = 0; i < h->reason.n; i++) {
		if (http1_is_bad_ctl((uint8_t)h->reason.p[i]))
			return HTTP1_E_SYNTAX;
	}
	return HTTP1_OK;
}

/* field-name ":" OWS field-value OWS.  A line starting with whitespace
 * (obs-fold) has no token and fails here. */
static int parse_header_line(struct http1_str line, struct http1_head *h, size_t max_headers)
{
	const uint8_t *p = (const uint8_t *)line.p;
	struct http1_header *f;
	size_t i = 0, v, e;

	while (i < line.n && http1_is_tchar(p[i]))
		i++;
	if (i == 0 || i == line.n || p[i] != ':')
		return HTTP1_E_SYNTAX;
	for (v = i + 1; v < line.n; v++) {
		if (http1_is_bad_ctl(p[v]))
			return HTTP1_E_SYNTAX;
	}
	if (h->nheaders >= max_headers)
		return HTTP1_E_TOO_MANY;
	for (v = i + 1; v < line.n && http1_is_ows(p[v]); v++)
		;
	for (e = line.n; e > v && http1_is_ows(p[e - 1]); e--)
		;
	f = &h->headers[h->nheaders++];
	f->name = (struct http1_str){line.p, i};
	f->value = (struct http1_str){line.p + v, e - v};
	return HTTP1_OK;
}

static void head_reset(struct http1_head *h, bool request)
{
	h->is_request = request;
	h->method = h->target = h->reason = (struct http1_str){NULL, 0};
	h->status = 0;
	h->version_minor = 0;
	h->nheaders = 0;
	h->head_len = 0;
	h->body = request ? HTTP1_BODY_NONE : HTTP1_BODY_CLOSE;
	h->content_length = 0;
	h->keep_alive = h->expect_continue = h->upgrade = false;
}

/* Empty lines before a request line (RFC 9112 2.2), within the window. */
static void skip_empty_lines(struct cursor *c)
{
	while (c->n - c->pos >= 2 && c->p[c->pos] == '\r' && c->p[c->pos + 1] == '\n')
		c->pos += 2;
}

/* Where a parse that returned NEED_MORE stopped: the start of the first
 * incomplete line, and whether the start line was complete. */
struct stop {
	size_t line;
	bool started;
};

static int parse_head(const uint8_t *p, size_t n, const struct http1_limits *lim,
		      struct http1_head *out, bool request, struct stop *stop)
{
	size_t max_bytes, max_headers;
	struct http1_str line;
	struct cursor c;
	int rc;

	limits_resolve(lim, &max_bytes, &max_headers);
	c = (struct cursor){p, n < max_bytes ? n : max_bytes, 0};
	head_reset(out, request);
	*stop = (struct stop){0, false};
	if (request)
		skip_empty_lines(&c);
	rc = next_line(&c, &line);
	if (rc != HTTP1_OK)
		goto out;
	stop->started = true;
	rc = request ? parse_request_line(line, out) : parse_status_line(line, out);
	while (rc == HTTP1_OK) {
		rc = next_line(&c, &line);
		if (rc != HTTP1_OK || line.n == 0)
			break;
		rc = parse_header_line(line, out, max_headers);
	}
	if (rc != HTTP1_OK)
		goto out;
	out->head_len = c.pos;
	rc = http1_derive(out);
out:
	stop->line = c.pos;
	if (rc == HTTP1_E_NEED_MORE && n > max_bytes)
		rc = HTTP1_E_TOO_LARGE;
	return rc;
}

/* Looks at the bytes after s->from for the ends of lines.  True when a
 * parse is due: the start line or the whole head is complete, or a LF
 * without its CR is there (the parser refuses it). */
static bool scan_lines(const uint8_t *p, size_t m, struct http1_scan *s, bool request)
{
	while (s->from < m) {
		const uint8_t *lf = memchr(p + s->from, '\n', m - s->from);
		size_t e = lf ? (size_t)(lf - p) : m;

		s->scanned += e - s->from + (lf != NULL);
		s->from = lf ? e + 1 : m;
		if (lf == NULL)
			return false;
		if (e == s->line || p[e - 1] != '\r')
			return true;
		if (e - s->line == 1 && !s->started && request) {
			s->line = e + 1; /* an empty line before the request line */
			continue;
		}
		if (e - s->line == 1 || !s->started)
			return true;
		s->line = e + 1;
	}
	return false;
}

static int scan_head(const uint8_t *p, size_t n, const struct http1_limits *lim,
		     struct http1_head *out, bool request)
{
	struct http1_scan *s = &out->scan;
	size_t max_bytes, max_headers, m;
	struct stop stop;
	int rc;

	limits_resolve(lim, &max_bytes, &max_headers);
	m = n < max_bytes ? n : max_bytes;
	if (s->from > m || s->line > s->from) /* not the bytes seen before: start over */
		*s = (struct http1_scan){.scanned = s->scanned};
	if (s->from > 0 && !scan_lines(p, m, s, request)) {
		if (n <= max_bytes)
			return HTTP1_E_NEED_MORE;
		*s = (struct http1_scan){.scanned = s->scanned};
		return HTTP1_E_TOO_LARGE;
	}
	rc = parse_head(p, n, lim, out, request, &stop);
	s->scanned += rc == HTTP1_OK ? out->head_len : m;
	if (rc == HTTP1_E_NEED_MORE)
		*s = (struct http1_scan){stop.line, m, stop.started, s->scanned};
	else
		*s = (struct http1_scan){.scanned = s->scanned};
	return rc;
}

int http1_parse_request(const uint8_t *p, size_t n, const struct http1_limits *lim,
			struct http1_head *out)
{
	struct stop stop;

	return parse_head(p, n, lim, out, true, &stop);
}

int http1_parse_response(const uint8_t *p, size_t n, const struct http1_limits *lim,
			 struct http1_head *out)
{
	struct stop stop;

	return parse_head(p, n, lim, out, false, &stop);
}

int http1_scan_request(const uint8_t *p, size_t n, const struct http1_limits *lim,
		       struct http1_head *out)
{
	return scan_head(p, n, lim, out, true);
}

int http1_scan_response(const uint8_t *p, size_t n, const struct http1_limits *lim,
			struct http1_head *out)
{
	return scan_head(p, n, lim, out, false);
}
