/* Runs in a worker: one HTTP/1 exchange.  Sends the request head in
 * origin-form, streams the request body while reading the response, relays
 * 1xx answers, streams the response body, then decides whether both
 * connections can be kept, refusing bodies above body_size_limit.  Memory
 * is bounded by the stream buffers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "netstack/netstack.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/modes.h"
#include "worker/relay.h"
#include "worker/stream.h"
#include "worker/tunnel.h"
#include "worker/worker_ctx.h"

#define HTTP_LINGER_S 2.0 /* how long client bytes are dropped after an error page */

static const char req_too_large[] = "Request body exceeds snare's body_size_limit.";
static const char resp_too_large[] = "Response body exceeds snare's body_size_limit.";

static bool hdr_skip(const struct conn *c, const struct http1_header *h)
{
	static const char *const hop[] = {"proxy-authorization", "proxy-connection"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hop); i++)
		if (http1_str_ieq(h->name, hop[i]))
			return true;
	return c->req.head->upgrade && http1_str_ieq(h->name, "sec-websocket-extensions");
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
	const struct http1_head *h = c->req.head;
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

/* "Host: host[:port]" for the destination (port omitted when default). */
static int put_host(struct conn *c, struct buf *out)
{
	char host[300];
	bool dflt = (c->port == 80 && !c->server_tls) || (c->port == 443 && c->server_tls);

	if (dflt)
		snprintf(host, sizeof(host),
			 strchr(c->host, ':') ? "Host: [%s]\r\n" : "Host: %s\r\n", c->host);
	else
		snprintf(host, sizeof(host),
			 strchr(c->host, ':') ? "Host: [%s]:%u\r\n" : "Host: %s:%u\r\n", c->host,
			 c->port);
	return puts_(out, host);
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

int http_build_request_head(struct conn *c, struct buf *out)
{
	const struct http1_head *h = c->req.head;
	bool rewrite_host = c->kind == MODE_REVERSE && !wk->opts.keep_host_header;
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
		r |= put(out, hd->name.p, hd->name.n);
		r |= puts_(out, ": ");
		r |= put(out, hd->value.p, hd->value.n);
		r |= puts_(out, "\r\n");
	}
	r |= put_auth(c, out);
	r |= puts_(out, "\r\n");
	return r ? -ENOBUFS : 0;
}

static void body_keep(void *arg, const uint8_t *d, size_t n)
{
	struct body_xfer *b = arg;
	long long limit = wk->opts.stream_large_bodies;

	b->total += n;
	if (b->streamed || !wk->want_flows)
		return;
	if ((limit >= 0 && b->total > (uint64_t)limit) || buf_append(&b->keep, d, n) < 0) {
		b->streamed = true;
		buf_free(&b->keep);
	}
}

/* Whether the payload seen so far passed body_size_limit. */
static bool body_over_limit(const struct body_xfer *b)
{
	long long limit = wk->opts.body_size_limit;

	return limit >= 0 && b->total > (uint64_t)limit;
}

static void body_init(struct body_xfer *b, enum http1_body kind, uint64_t len)
{
	b->kind = kind;
	b->remaining = len;
	b->done = kind == HTTP1_BODY_NONE || (kind == HTTP1_BODY_LENGTH && len == 0);
	http1_chunked_init(&b->chunked);
}

/* Moves body bytes from `from` to `to` (NULL: discard).  -EPROTO on bad
 * chunk framing; -EMSGSIZE once the payload passes body_size_limit (the
 * bytes that pass it are not forwarded). */
static int body_move(struct body_xfer *b, struct stream *from, struct stream *to, bool *progress)
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
		if (http1_chunked_feed(&b->chunked, buf_ptr(&from->in), n, &consumed, body_keep,
				       b) != HTTP1_OK)
			return -EPROTO;
		b->done = b->chunked.done;
	} else {
		body_keep(b, buf_ptr(&from->in), n);
	}
	if (body_over_limit(b))
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

static void request_connected(struct conn *c, int err)
{
	if (conn_connect_failed(c, err)) {
		http_bad_gateway(c, "");
		return;
	}
	if (c->server_tls && tunnel_server_tls_begin(c) < 0) {
		http_error(c, 502, "Bad Gateway", "Cannot start TLS to the server.");
		return;
	}
	http_send_request(c);
}

void http_send_request(struct conn *c)
{
	const char *h;
	uint16_t p;
	bool same;

	mode_server_address(c, c->host, c->port, &h, &p);
	same = c->server.fd >= 0 && !c->server.failed && !c->server.rd_eof && c->server_port == p &&
	       strcmp(c->server_host, h) == 0;

	if (!same || (!c->tunnel && !c->server_reusable)) {
		conn_server_disconnect(c);
		conn_connect(c, c->host, c->port, request_connected);
		return;
	}
	body_init(&c->req.body, c->req.head->body, c->req.head->content_length);
	if (http_build_request_head(c, &c->server.out) < 0) {
		http_error(c, 431, "Request Header Fields Too Large",
			   "The request head is too large.");
		return;
	}
	c->server_reusable = false;
	conn_set_state(c, CS_EXCHANGE);
}

static void http_exchange_done(struct conn *c)
{
	bool keep = c->req.head->keep_alive && c->resp.head->keep_alive &&
		    c->resp.body.kind != HTTP1_BODY_CLOSE && c->req.body.done && !c->closing_after;

	c->resp.ts_end = clock_wall();
	flow_send_http(c, NULL);
	c->flow_sent = true;
	c->server_reusable = c->resp.head->keep_alive && c->resp.body.kind != HTTP1_BODY_CLOSE;
	http_exchange_reset(c);
	if (!c->server_reusable && !c->tunnel)
		conn_server_disconnect(c);
	if (keep) {
		conn_set_state(c, CS_CLIENT_HEAD);
		return;
	}
	c->client.shut_req = true;
	conn_set_state(c, CS_CLOSING);
}

/* Reads the response head; 1xx heads are relayed and skipped. */
static int http_read_response(struct conn *c, bool *progress)
{
	struct http1_limits lim;
	struct http1_head *h;
	int r;

	http1_limits_default(&lim);
	lim.max_head_bytes = STREAM_BUF_MAX - 1024;
	if (c->resp.head == NULL) {
		c->resp.head = xmalloc(sizeof(*c->resp.head));
		c->resp.head->scan = (struct http1_scan){0};
	}
	h = c->resp.head;
	r = http1_scan_response(buf_ptr(&c->server.in), buf_len(&c->server.in), &lim, h);
	if (r == HTTP1_E_NEED_MORE) {
		if (c->server.rd_eof || c->server.failed)
			return -EPIPE;
		return buf_room(&c->server.in) == 0 ? -E2BIG : 0;
	}
	if (r != HTTP1_OK)
		return -EPROTO;
	*progress = true;
	if (h->status >= 100 && h->status < 200 && h->status != 101) {
		if (buf_append(&c->client.out, buf_ptr(&c->server.in), h->head_len) < 0)
			return -ENOBUFS;
		buf_consume(&c->server.in, h->head_len);
		return 0;
	}
	if (http_take_head(&c->resp, &c->server.in, h->head_len, false, true) != HTTP1_OK ||
	    http1_response_body(c->resp.head, c->req.head->method) != HTTP1_OK)
		return -EPROTO;
	h = c->resp.head;
	if (wk->opts.body_size_limit >= 0 && h->body == HTTP1_BODY_LENGTH &&
	    h->content_length > (uint64_t)wk->opts.body_size_limit)
		return -EMSGSIZE; /* before the head goes to the client */
	body_init(&c->resp.body, c->resp.head->body, c->resp.head->content_length);
	if (buf_append(&c->client.out, c->resp.raw, c->resp.raw_len) < 0)
		return -ENOBUFS;
	return 0;
}

static void http_response_failed(struct conn *c, int err)
{
	const char *why = err == -EPROTO     ? "invalid HTTP response"
			  : err == -E2BIG    ? "response head too large"
			  : c->server.err[0] ? c->server.err
					     : "server closed the connection";
	char msg[600];

	if (c->server.err[0] == '\0')
		stream_set_err(&c->server, "%s", why);
	snprintf(msg, sizeof(msg), "%s", why);
	if (c->server.ssl && !c->server.tls_done)
		conn_client_log(c, LOG_LVL_WARN, "Server TLS handshake failed. %s", why);
	http_error(c, 502, "Bad Gateway", msg);
}

/* Ends the client connection with a reset: a response cut short must not
 * look complete, and a close-delimited one would after a plain close.
 * (A stream_abort() in stream.c would be the natural home for this.) */
static void http_abort_client(struct conn *c)
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

/* Drops what the client still sends after an error page, for a while, so
 * that closing does not reset the connection before the page was read.
 * The page's time (resp.ts_end) starts the clock. */
static void http_linger_step(struct conn *c, bool *progress)
{
	double left = c->resp.ts_end + HTTP_LINGER_S - clock_wall();

	if (buf_len(&c->client.in) > 0) {
		buf_reset(&c->client.in);
		*progress = true;
	}
	if (c->client.rd_eof || left <= 0) {
		conn_set_state(c, CS_CLOSING); /* closes once the page is out */
		*progress = true;
	} else if (!loop_timer_armed(&c->kick)) {
		loop_timer_arm(wk->loop, &c->kick, (uint64_t)(left * 1000) + 1);
	}
}

/* After http_error() in the middle of a request body: linger instead of
 * closing as soon as the page is flushed.  CS_EXCHANGE with a local
 * response is that state. */
static void http_linger_start(struct conn *c)
{
	bool progress = false;

	if (c->freed || !c->local_response || c->req.body.done || c->client.rd_eof)
		return;
	conn_set_state(c, CS_EXCHANGE);
	http_linger_step(c, &progress);
}

void http_refuse_request_body(struct conn *c)
{
	long long limit = wk->opts.body_size_limit;

	flow_send_http_error(c, req_too_large);
	if (c->resp.raw) { /* the server already answered: too late for a 413 */
		conn_client_log(
		    c, LOG_LVL_INFO,
		    "Request body exceeds body_size_limit (%lld bytes) while the response "
		    "was being relayed; connection reset.",
		    limit);
		http_abort_client(c);
		return;
	}
	conn_client_log(c, LOG_LVL_INFO,
			"Request body exceeds body_size_limit (%lld bytes); answered 413%s.", limit,
			c->server.fd >= 0 ? ", server connection closed" : "");
	conn_server_disconnect(c);
	http_error(c, 413, "Payload Too Large", req_too_large);
	http_linger_start(c);
}

/* head_sent: the response head (and some body) already went to the client,
 * which can then only be reset; otherwise it gets a 502 page. */
static void http_refuse_response_body(struct conn *c, bool head_sent)
{
	long long limit = wk->opts.body_size_limit;

	flow_send_http_error(c, resp_too_large);
	conn_client_log(c, LOG_LVL_INFO, "Response body exceeds body_size_limit (%lld bytes); %s.",
			limit, head_sent ? "connection reset" : "answered 502");
	conn_server_disconnect(c);
	if (head_sent) {
		http_abort_client(c);
		return;
	}
	http_error(c, 502, "Bad Gateway", resp_too_large);
	http_linger_start(c);
}

void http_exchange_step(struct conn *c, bool *progress)
{
	int r;

	if (c->local_response) {
		http_linger_step(c, progress);
		return;
	}
	if (!c->req.body.done &&
	    (r = body_move(&c->req.body, &c->client, &c->server, progress)) < 0) {
		if (r == -EMSGSIZE)
			http_refuse_request_body(c);
		else
			http_error(c, 400, "Bad Request", "Invalid chunked request body.");
		return;
	}
	if (!c->req.body.done && c->client.rd_eof && buf_len(&c->client.in) == 0) {
		conn_close(c);
		return;
	}
	if (c->resp.raw == NULL) {
		if ((r = http_read_response(c, progress)) == -EMSGSIZE) {
			http_refuse_response_body(c, false);
			return;
		}
		if (r < 0) {
			http_response_failed(c, r);
			return;
		}
		if (c->resp.raw == NULL)
			return;
		if (c->resp.head->status == 101 && c->req.head->upgrade) {
			relay_start(c, true);
			return;
		}
	}
	if ((r = body_move(&c->resp.body, &c->server, &c->client, progress)) == -EMSGSIZE) {
		http_refuse_response_body(c, true);
		return;
	}
	if (r < 0 || (!c->resp.body.done &&
		      (c->server.failed || (c->server.rd_eof && buf_len(&c->server.in) == 0)))) {
		conn_client_log(c, LOG_LVL_INFO, "server closed the connection mid-response");
		conn_close(c);
		return;
	}
	if (c->resp.body.done) {
		if (!c->req.body.done)
			c->closing_after = true;
		http_exchange_done(c);
		*progress = true;
	}
}

/* A response we generated: parsed into c->resp so it is recorded like any
 * other, then queued to the client. */
void http_local_response(struct conn *c, const uint8_t *resp, size_t len)
{
	struct buf tmp;
	struct http1_head h;
	struct http1_limits lim;

	http1_limits_default(&lim);
	http_msg_clear(&c->resp);
	if (http1_parse_response(resp, len, &lim, &h) != HTTP1_OK)
		return;
	buf_init(&tmp, len);
	if (buf_append(&tmp, resp, len) < 0)
		return;
	if (http_take_head(&c->resp, &tmp, h.head_len, false, false) == HTTP1_OK) {
		c->resp.body.total = len - h.head_len;
		if (buf_append(&c->resp.body.keep, buf_ptr(&tmp), buf_len(&tmp)) < 0)
			c->resp.body.streamed = true;
	}
	buf_free(&tmp);
	c->resp.ts_end = clock_wall();
	c->local_response = true;
	if (buf_append(&c->client.out, resp, len) < 0)
		conn_close(c);
}
