/* Runs in a worker: the HTTP/1 framing of the HTTP engine, everything that
 * knows HTTP/1's bytes: head limits, taking a parsed head out of a stream
 * buffer, the origin-form (or absolute-form) request head towards the
 * server, Content-Length / chunked / close-delimited bodies moved between
 * streams, and the reset that ends a response cut short.  The engine
 * (http.c, http_route.c, http_exchange.c) keeps the semantics; this is the
 * code an HTTP/1 implementation of http_framing.h starts from.  The bytes
 * are the peers' and untrusted; the parsers are daemon/http1/'s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netstack/netstack.h"
#include "worker/conn.h"
#include "worker/http_int.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

struct http1_limits http_limits(void)
{
	struct http1_limits l;

	http1_limits_default(&l);
	l.max_head_bytes = (size_t)wk->opts.max_header_bytes;
	l.max_headers = (size_t)wk->opts.max_headers;
	if (l.max_head_bytes > STREAM_BUF_MAX - 1024)
		l.max_head_bytes = STREAM_BUF_MAX - 1024;
	if (l.max_headers > HTTP1_MAX_HEADERS_CAP)
		l.max_headers = HTTP1_MAX_HEADERS_CAP;
	return l;
}

static void str_rebase(struct http1_str *s, const uint8_t *from, const uint8_t *to, size_t len)
{
	if (s->p && (const uint8_t *)s->p >= from && (const uint8_t *)s->p < from + len)
		s->p = (const char *)to + ((const uint8_t *)s->p - from);
}

/* Points a head parsed from `from` at the same bytes copied to `to`. */
static void head_rebase(struct http1_head *h, const uint8_t *from, const uint8_t *to, size_t len)
{
	size_t i;

	str_rebase(&h->method, from, to, len);
	str_rebase(&h->target, from, to, len);
	str_rebase(&h->reason, from, to, len);
	for (i = 0; i < h->nheaders; i++) {
		str_rebase(&h->headers[i].name, from, to, len);
		str_rebase(&h->headers[i].value, from, to, len);
	}
}

struct http1_head *http_msg_head(struct http_msg *m)
{
	if (m->head == NULL) {
		m->head = xmalloc(sizeof(*m->head));
		m->head->scan = (struct http1_scan){0};
	}
	return m->head;
}

/* Copies the head bytes out of the stream buffer so the head stays valid
 * after the buffer moves on.  `parsed`: m->head already describes these
 * bytes (only its pointers move); otherwise the copy is parsed. */
int http_take_head(struct http_msg *m, struct buf *in, size_t len, bool request, bool parsed)
{
	struct http1_limits lim = http_limits();
	int r = HTTP1_OK;

	m->raw = xmalloc(len);
	memcpy(m->raw, buf_ptr(in), len);
	m->raw_len = len;
	http_msg_head(m);
	if (parsed)
		head_rebase(m->head, buf_ptr(in), m->raw, len);
	else
		r = request ? http1_parse_request(m->raw, len, &lim, m->head)
			    : http1_parse_response(m->raw, len, &lim, m->head);
	buf_consume(in, len);
	m->ts_start = clock_wall();
	buf_init(&m->body.keep, FLOW_BODY_KEEP);
	return r;
}

static bool hdr_skip(const struct conn *c, const struct http1_header *h)
{
	static const char *const hop[] = {"proxy-authorization", "proxy-connection"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hop); i++)
		if (http1_str_ieq(h->name, hop[i]))
			return true;
	if (http1_str_ieq(h->name, "http2-settings") ||
	    (http1_str_ieq(h->name, "upgrade") && http1_str_ieq(h->value, "h2c")))
		return true;
	return c->http->req.head->upgrade && http1_str_ieq(h->name, "sec-websocket-extensions");
}

static int put(struct buf *b, const void *p, size_t n)
{
	return buf_append(b, p, n);
}

static int puts_(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* The request line: origin-form, or absolute-form towards an upstream proxy. */
static int put_request_line(struct conn *c, struct buf *out)
{
	const struct http1_head *h = c->http->req.head;
	struct http1_target t;
	struct http1_str path = h->target;
	char abs[320];
	int r = 0;

	if (path.n > 0 && path.p[0] != '/' && path.p[0] != '*' &&
	    http1_parse_absolute(path, &t) == 0)
		path = t.path;
	r |= put(out, h->method.p, h->method.n);
	if (c->via && !c->tunnel) {
		snprintf(abs, sizeof(abs),
			 strchr(c->host, ':') ? " http://[%s]:%u" : " http://%s:%u", c->host,
			 c->port);
		r |= puts_(out, abs);
	} else {
		r |= puts_(out, " ");
	}
	r |= put(out, path.p, path.n);
	r |= puts_(out, h->version_minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
	return r;
}

/* "Host: host[:port]" for the destination (port omitted when default).
 * Put together by hand: it runs for every forwarded request, and an
 * snprintf of it cost more than the rest of the request head. */
static int put_host(struct conn *c, struct buf *out)
{
	bool dflt = (c->port == 80 && !c->server_tls) || (c->port == 443 && c->server_tls);
	bool v6 = strchr(c->host, ':') != NULL;
	char port[8], *p = port + sizeof(port);
	unsigned v = c->port;
	int r = puts_(out, v6 ? "Host: [" : "Host: ");

	r |= puts_(out, c->host);
	if (v6)
		r |= puts_(out, "]");
	if (!dflt) {
		do
			*--p = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		*--p = ':';
		r |= put(out, p, (size_t)(port + sizeof(port) - p));
	}
	return r | puts_(out, "\r\n");
}

/* Headers snare adds: credentials for the upstream proxy or, in reverse
 * mode, for the server (upstream_auth). */
static int put_auth(struct conn *c, struct buf *out)
{
	char line[480], v[420];

	if (c->via && !c->tunnel) {
		conn_proxy_auth_line(line, sizeof(line));
		return puts_(out, line);
	}
	if (c->kind == MODE_REVERSE) {
		conn_basic_auth_value(v, sizeof(v));
		if (v[0]) {
			snprintf(line, sizeof(line), "Authorization: %s\r\n", v);
			return puts_(out, line);
		}
	}
	return 0;
}

/* An h2c upgrade stays HTTP/1.1 through snare (RFC 9113 section 3.1 lets a
 * server ignore it; the server must not switch what snare parses): Upgrade
 * and HTTP2-Settings are dropped (hdr_skip), and so are their tokens here. */
static bool h2c_upgrade(const struct http1_head *h)
{
	const struct http1_header *u = http1_find(h, "upgrade");

	return u && http1_str_ieq(u->value, "h2c");
}

static int put_connection_without_h2c(struct buf *out, const struct http1_header *hd)
{
	const char *p = hd->value.p, *end = p + hd->value.n;
	bool first = true;
	int r = 0;

	while (p < end) {
		const char *q = memchr(p, ',', (size_t)(end - p));
		struct http1_str t;

		q = q ? q : end;
		t.p = p;
		t.n = (size_t)(q - p);
		while (t.n && (*t.p == ' ' || *t.p == '\t'))
			t.p++, t.n--;
		while (t.n && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
			t.n--;
		p = q + 1;
		if (t.n == 0 || http1_str_ieq(t, "upgrade") || http1_str_ieq(t, "http2-settings"))
			continue;
		r |= puts_(out, first ? "Connection: " : ", ");
		r |= put(out, t.p, t.n);
		first = false;
	}
	if (!first)
		r |= puts_(out, "\r\n");
	return r;
}

int http_build_request_head(struct conn *c, struct buf *out)
{
	const struct http1_head *h = c->http->req.head;
	bool rewrite_host = c->kind == MODE_REVERSE && !wk->opts.keep_host_header;
	bool h2c = h2c_upgrade(h);
	size_t i;
	int r = put_request_line(c, out);

	if (rewrite_host || http1_find(h, "host") == NULL)
		r |= put_host(c, out);
	for (i = 0; i < h->nheaders; i++) {
		const struct http1_header *hd = &h->headers[i];

		if (hdr_skip(c, hd) || (rewrite_host && http1_str_ieq(hd->name, "host")) ||
		    (c->kind == MODE_REVERSE && wk->opts.upstream_auth &&
		     http1_str_ieq(hd->name, "authorization")))
			continue;
		if (h2c && http1_str_ieq(hd->name, "connection")) {
			r |= put_connection_without_h2c(out, hd);
			continue;
		}
		r |= put(out, hd->name.p, hd->name.n);
		r |= puts_(out, ": ");
		r |= put(out, hd->value.p, hd->value.n);
		r |= puts_(out, "\r\n");
	}
	r |= put_auth(c, out);
	r |= puts_(out, "\r\n");
	return r ? -ENOBUFS : 0;
}

void h1_body_init(struct body_xfer *b, enum http1_body kind, uint64_t len)
{
	b->kind = kind;
	b->remaining = len;
	b->done = kind == HTTP1_BODY_NONE || (kind == HTTP1_BODY_LENGTH && len == 0);
	http1_chunked_init(&b->chunked);
}

/* Moves body bytes from `from` to `to` (NULL: discard).  -EPROTO on bad
 * chunk framing; -EMSGSIZE once the payload passes body_size_limit (the
 * bytes that pass it are not forwarded). */
int h1_body_move(struct body_xfer *b, struct stream *from, struct stream *to, bool *progress)
{
	size_t n = buf_len(&from->in), consumed;

	if (to && n > buf_room(&to->out))
		n = buf_room(&to->out);
	if (b->done || n == 0)
		goto eof;
	if (b->kind == HTTP1_BODY_LENGTH && n > b->remaining)
		n = (size_t)b->remaining;
	consumed = n;
	if (b->kind == HTTP1_BODY_CHUNKED) {
		if (http1_chunked_feed(&b->chunked, buf_ptr(&from->in), n, &consumed,
				       http_body_piece, b) != HTTP1_OK)
			return -EPROTO;
		b->done = b->chunked.done;
	} else {
		http_body_piece(b, buf_ptr(&from->in), n);
	}
	if (http_body_over_limit(b))
		return -EMSGSIZE;
	if (to && buf_append(&to->out, buf_ptr(&from->in), consumed) < 0)
		return -ENOBUFS;
	buf_consume(&from->in, consumed);
	*progress = true;
	if (b->kind == HTTP1_BODY_LENGTH && (b->remaining -= consumed) == 0)
		b->done = true;
eof:
	if (!b->done && b->kind == HTTP1_BODY_CLOSE && from->rd_eof && buf_len(&from->in) == 0)
		b->done = true;
	return 0;
}

/* Ends the client connection with a reset: a response cut short must not
 * look complete, and a close-delimited one would after a plain close.
 * (A stream_abort() in stream.c would be the natural home for this.)
 * Closes c. */
void h1_abort_client(struct conn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (c->client.ns) {
		ns_tcp_abort(c->client.ns);
		c->client.ns = NULL;
		c->client.fd = -1;
	} else if (c->client.fd >= 0) {
		(void)setsockopt(c->client.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	conn_close(c);
}
