/* Runs in a worker: the HTTP/1 layer for regular mode and inside intercepted
 * tunnels.  Reads a request head with our strict parser, finds the
 * destination (absolute-form, Host header or the tunnel), forwards it in
 * origin-form, streams both bodies with bounded buffers and records the
 * exchange as a flow.  Client bytes are untrusted; so are the server's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/relay.h"
#include "worker/tunnel.h"
#include "worker/worker_ctx.h"

static struct http1_limits http_limits(void)
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

/* Ends a message (raw == NULL means "no message").  The head's storage is
 * freed too, so an idle keep-alive connection holds no HTTP state. */
void http_msg_clear(struct http_msg *m)
{
	free(m->raw);
	free(m->head);
	buf_free(&m->body.keep);
	memset(m, 0, sizeof(*m));
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

void http_bad_gateway(struct conn *c, const char *hint)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "Cannot connect to %s:%u: %s%s", c->host, c->port, c->server.err,
		 hint);
	http_error(c, 502, "Bad Gateway", msg);
}

void http_exchange_reset(struct conn *c)
{
	if (c->rflow)
		relay_flow_finish(c, NULL);
	if (c->req.raw && !c->flow_sent)
		flow_send_http(c, c->client.failed   ? "client disconnected"
				  : c->server.err[0] ? c->server.err
						     : "connection closed");
	http_msg_clear(&c->req);
	http_msg_clear(&c->resp);
	c->flow_sent = false;
	c->local_response = false;
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
	if (m->head == NULL) {
		m->head = xmalloc(sizeof(*m->head));
		m->head->scan = (struct http1_scan){0};
	}
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

static void http_bad_request(struct conn *c, int r)
{
	if (r == HTTP1_E_TOO_LARGE || r == HTTP1_E_TOO_MANY)
		http_error(c, 431, "Request Header Fields Too Large",
			   r == HTTP1_E_TOO_LARGE ? "The request's header is too large."
						  : "The request has too many header fields.");
	else if (r == HTTP1_E_SMUGGLE)
		http_error(c, 400, "Bad Request",
			   "Ambiguous message framing (Content-Length / Transfer-Encoding).");
	else if (r == HTTP1_E_VERSION)
		http_error(c, 505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1.");
	else
		http_error(c, 400, "Bad Request", "Malformed HTTP request.");
	conn_client_log(c, LOG_LVL_INFO, "malformed HTTP request (%d); answered with an error", r);
}

static void http_read_request(struct conn *c, bool *progress)
{
	struct http1_limits lim = http_limits();
	struct http1_head *h;
	int r;

	if (wk->coord.congested || buf_len(&c->client.in) == 0)
		return;
	if (!c->tunnel && c->client.ssl == NULL && buf_ptr(&c->client.in)[0] == 0x16 &&
	    (c->kind == MODE_REGULAR || c->kind == MODE_UPSTREAM)) {
		tunnel_proxy_tls(c, progress);
		return;
	}
	if (c->req.head == NULL) {
		c->req.head = xmalloc(sizeof(*c->req.head));
		c->req.head->scan = (struct http1_scan){0};
	}
	h = c->req.head;
	r = http1_scan_request(buf_ptr(&c->client.in), buf_len(&c->client.in), &lim, h);
	if (r == HTTP1_E_NEED_MORE) {
		if (c->client.rd_eof || buf_room(&c->client.in) == 0)
			c->client.rd_eof ? conn_close(c) : http_bad_request(c, HTTP1_E_TOO_LARGE);
		return;
	}
	*progress = true;
	if (r != HTTP1_OK) {
		free(c->req.head);
		c->req.head = NULL;
		http_bad_request(c, r);
		return;
	}
	if (http_take_head(&c->req, &c->client.in, h->head_len, true, true) != HTTP1_OK) {
		http_bad_request(c, HTTP1_E_SYNTAX);
		return;
	}
	http_route_request(c);
}

void http_step(struct conn *c, bool *progress)
{
	if (c->state == CS_CLIENT_HEAD)
		http_read_request(c, progress);
	else if (c->state == CS_EXCHANGE)
		http_exchange_step(c, progress);
}
