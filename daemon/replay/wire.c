/* A recorded request as HTTP/1.1 bytes for client replay.  The request
 * comes from a flow file or the web interface: every piece that reaches
 * the wire is checked so that it cannot split the head (CR, LF, NUL) or the
 * request line (spaces), instead of being trusted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "flowedit/flowedit.h"
#include "output/flowfile.h"
#include "replay/replay_int.h"

/* No request larger than a flow file's record. */
#define WIRE_MAX (FLOWFILE_MAX_FLOW + 65536u)

/* Dropped from the recording: HTTP/2 pseudo-headers start with ':'. */
static const char *const dropped[] = {"transfer-encoding", "content-length"};

static bool clean(const void *p, size_t n, bool spaces_ok)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == 0 || (!spaces_ok && s[i] <= ' '))
			return false;
	return true;
}

static bool drop(const Snare__Header *h)
{
	if (h->name.len && h->name.data[0] == ':')
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(dropped); i++)
		if (h->name.len == strlen(dropped[i]) &&
		    strncasecmp((const char *)h->name.data, dropped[i], h->name.len) == 0)
			return true;
	return false;
}

static int put(struct buf *b, const void *p, size_t n)
{
	return n ? buf_append(b, p, n) : 0;
}

static int put_str(struct buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

static int request_line(struct buf *b, const Snare__HttpRequest *r, bool absolute)
{
	const char *path = r->path && *r->path ? r->path : "/";
	char url[2048];
	int rc;

	if (!r->method || !*r->method || !clean(r->method, strlen(r->method), false) ||
	    strcasecmp(r->method, "CONNECT") == 0 || !clean(path, strlen(path), false))
		return -EINVAL;
	if (absolute) {
		if (!r->scheme || !r->host || !clean(r->host, strlen(r->host), false) ||
		    !flowedit_request_url(r, url, sizeof(url)))
			return -EINVAL;
		path = url;
	}
	if ((rc = put_str(b, r->method)) || (rc = put(b, " ", 1)) || (rc = put_str(b, path)) ||
	    (rc = put_str(b, " HTTP/1.1\r\n")))
		return rc;
	return 0;
}

/* "host" or "host:port" (port left out when it is the scheme's), with
 * brackets around an IPv6 literal. */
static int host_header(struct buf *b, const Snare__HttpRequest *r)
{
	char v[600];
	const char *h = r->authority && *r->authority ? r->authority : r->host;
	bool v6 = h && strchr(h, ':') && h[0] != '[' && h == r->host;
	unsigned def = flowedit_default_port(r->scheme ? r->scheme : "");
	int n, rc;

	if (!h || !*h)
		return -EINVAL;
	if (h == r->authority || !r->has_port || r->port == def)
		n = snprintf(v, sizeof(v), "%s%s%s", v6 ? "[" : "", h, v6 ? "]" : "");
	else
		n = snprintf(v, sizeof(v), "%s%s%s:%u", v6 ? "[" : "", h, v6 ? "]" : "", r->port);
	if (n < 0 || (size_t)n >= sizeof(v) || !clean(v, (size_t)n, false))
		return -EINVAL;
	if ((rc = put_str(b, "Host: ")) || (rc = put(b, v, (size_t)n)))
		return rc;
	return put(b, "\r\n", 2);
}

static int headers(struct buf *b, const Snare__HttpRequest *r, bool *had_length)
{
	bool host = false;
	int rc;

	for (size_t i = 0; i < r->n_headers; i++) {
		const Snare__Header *h = r->headers[i];

		if (h->name.len == 14 &&
		    strncasecmp((const char *)h->name.data, "content-length", 14) == 0)
			*had_length = true;
		if (drop(h))
			continue;
		if (!h->name.len || !clean(h->name.data, h->name.len, false) ||
		    memchr(h->name.data, ':', h->name.len) ||
		    !clean(h->value.data, h->value.len, true))
			return -EINVAL;
		host |= h->name.len == 4 && strncasecmp((const char *)h->name.data, "host", 4) == 0;
		if ((rc = put(b, h->name.data, h->name.len)) || (rc = put(b, ": ", 2)) ||
		    (rc = put(b, h->value.data, h->value.len)) || (rc = put(b, "\r\n", 2)))
			return rc;
	}
	return host ? 0 : host_header(b, r);
}

int replay_request_wire(const Snare__HttpRequest *r, bool absolute, uint8_t **out, size_t *len)
{
	struct buf b;
	bool had_length = false;
	size_t body = r->has_content ? r->content.len : 0;
	char cl[40];
	int rc;

	buf_init(&b, WIRE_MAX);
	if ((rc = request_line(&b, r, absolute)) || (rc = headers(&b, r, &had_length)))
		goto fail;
	if (body || had_length) {
		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", body);
		if ((rc = put_str(&b, cl)))
			goto fail;
	}
	if ((rc = put(&b, "\r\n", 2)) || (rc = put(&b, r->content.data, body)))
		goto fail;
	*len = buf_len(&b);
	*out = xmalloc(*len ? *len : 1);
	memcpy(*out, buf_ptr(&b), *len);
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	return rc == -ENOBUFS ? -EMSGSIZE : rc;
}
