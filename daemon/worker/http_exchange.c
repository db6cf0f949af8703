/* Runs in a worker: the HTTP engine's exchange.  Sends the request (its head
 * built by the HTTP/1 framing, http1_wire.c), streams the request body while
 * reading the response, relays 1xx answers, streams the response body, then
 * decides whether both connections can be kept (upstream reuse), refusing
 * bodies above body_size_limit and keeping what stream_large_bodies allows
 * for the flow.  Memory is bounded by the stream buffers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hold_http.h"
#include "worker/hooks.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/layer.h"
#include "worker/modes.h"
#include "worker/replay_worker.h"
#include "worker/stream.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

#define HTTP_LINGER_S 2.0 /* how long client bytes are dropped after an error page */

static const char req_too_large[] = "Request body exceeds snare's body_size_limit.";
static const char resp_too_large[] = "Response body exceeds snare's body_size_limit.";

void http_body_piece(void *arg, const uint8_t *d, size_t n)
{
	struct body_xfer *b = arg;
	long long limit = wk->opts.stream_large_bodies;

	b->total += n;
	if (b->streamed || (!wk->want_flows && !b->hold))
		return;
	if ((limit >= 0 && b->total > (uint64_t)limit) || buf_append(&b->keep, d, n) < 0) {
		b->streamed = true;
		buf_free(&b->keep);
	}
}

/* Whether the payload seen so far passed body_size_limit. */
bool http_body_over_limit(const struct body_xfer *b)
{
	long long limit = wk->opts.body_size_limit;

	return limit >= 0 && b->total > (uint64_t)limit;
}

static void request_connected(struct conn *c, int err)
{
	if (conn_connect_failed(c, err)) {
		http_bad_gateway(c, "");
		return;
	}
	if (c->server_tls && conn_server_tls_begin(c) < 0) {
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
		if (!upstream_pool_take(c)) {
			conn_connect(c, c->host, c->port, request_connected);
			return;
		}
	}
	h1_body_init(&c->http->req.body, c->http->req.head->body,
		     c->http->req.head->content_length);
	if (http_build_request_head(c, &c->server.out) < 0) {
		http_error(c, 431, "Request Header Fields Too Large",
			   "The request head is too large.");
		return;
	}
	c->http->on_kept_server = c->server_kept;
	c->server_reusable = false;
	conn_set_state(c, CS_EXCHANGE);
}

/* A kept server connection may be closed by the server just as the next
 * request goes out (its idle timeout).  A request without a body that got
 * no response byte is sent once more on a new connection, as browsers and
 * nginx do, instead of answering 502.  Plain HTTP and pooled connections
 * only: a tunnel's own server connection is the tunnel. */
static bool http_retry_on_new_server(struct conn *c)
{
	if (!c->http->on_kept_server || (c->tunnel && !c->server_pooled) ||
	    buf_len(&c->server.in) > 0 || c->http->req.head->body != HTTP1_BODY_NONE)
		return false;
	c->http->on_kept_server = false;
	conn_client_log(c, LOG_LVL_DEBUG, "kept server connection closed; sending again");
	conn_server_disconnect(c);
	conn_connect(c, c->host, c->port, request_connected);
	return true;
}

static void http_exchange_done(struct conn *c)
{
	bool keep = c->http->req.head->keep_alive && c->http->resp.head->keep_alive &&
		    c->http->resp.body.kind != HTTP1_BODY_CLOSE && c->http->req.body.done &&
		    !c->http->closing_after;

	c->http->resp.ts_end = clock_wall();
	flow_send_http(c, NULL);
	c->http->flow_sent = true;
	c->server_reusable =
	    c->http->resp.head->keep_alive && c->http->resp.body.kind != HTTP1_BODY_CLOSE;
	c->server_kept = c->server_reusable;
	http_exchange_reset(c);
	if (!c->server_reusable && !c->tunnel)
		conn_server_disconnect(c);
	if (keep) {
		conn_set_state(c, CS_CLIENT_HEAD);
		upstream_pool_release_soon(c);
		return;
	}
	c->client.shut_req = true;
	conn_set_state(c, CS_CLOSING);
}

void http_exchange_next(struct conn *c, bool keep)
{
	if (keep) {
		http_exchange_reset(c);
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
	h = http_msg_head(&c->http->resp);
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
	if (http_take_head(&c->http->resp, &c->server.in, h->head_len, false, true) != HTTP1_OK ||
	    http1_response_body(c->http->resp.head, c->http->req.head->method) != HTTP1_OK)
		return -EPROTO;
	h = c->http->resp.head;
	if (wk->opts.body_size_limit >= 0 && h->body == HTTP1_BODY_LENGTH &&
	    h->content_length > (uint64_t)wk->opts.body_size_limit)
		return -EMSGSIZE; /* before the head goes to the client */
	h1_body_init(&c->http->resp.body, c->http->resp.head->body,
		     c->http->resp.head->content_length);
	if (hooks.active && hooks_http_response_head(c))
		return c->freed ? -ECANCELED : 0; /* held for the response hook, or killed */
	if (hold_http_response_head(c))
		return 0; /* its body is collected for intercept */
	if (buf_append(&c->client.out, c->http->resp.raw, c->http->resp.raw_len) < 0)
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

/* Drops what the client still sends after an error page, for a while, so
 * that closing does not reset the connection before the page was read.
 * The page's time (resp.ts_end) starts the clock. */
static void http_linger_step(struct conn *c, bool *progress)
{
	double left = c->http->resp.ts_end + HTTP_LINGER_S - clock_wall();

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

	if (c->freed || !c->http->local_response || c->http->req.body.done || c->client.rd_eof)
		return;
	conn_set_state(c, CS_EXCHANGE);
	http_linger_step(c, &progress);
}

void http_refuse_request_body(struct conn *c)
{
	long long limit = wk->opts.body_size_limit;

	flow_send_http_error(c, req_too_large);
	if (c->http->resp.raw) { /* the server already answered: too late for a 413 */
		conn_client_log(
		    c, LOG_LVL_INFO,
		    "Request body exceeds body_size_limit (%lld bytes) while the response "
		    "was being relayed; connection reset.",
		    limit);
		h1_abort_client(c);
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
		h1_abort_client(c);
		return;
	}
	http_error(c, 502, "Bad Gateway", resp_too_large);
	http_linger_start(c);
}

void http_exchange_step(struct conn *c, bool *progress)
{
	int r;

	if (c->http->local_response) {
		http_linger_step(c, progress);
		return;
	}
	if (c->http->replay_wait) {
		replay_http_body_step(c, progress);
		return;
	}
	if (!c->http->req.body.done &&
	    (r = h1_body_move(&c->http->req.body, &c->client, &c->server, progress)) < 0) {
		if (r == -EMSGSIZE)
			http_refuse_request_body(c);
		else
			http_error(c, 400, "Bad Request", "Invalid chunked request body.");
		return;
	}
	if (!c->http->req.body.done && c->client.rd_eof && buf_len(&c->client.in) == 0) {
		conn_close(c);
		return;
	}
	if (c->http->resp.raw == NULL) {
		if ((r = http_read_response(c, progress)) == -EMSGSIZE) {
			http_refuse_response_body(c, false);
			return;
		}
		if (r == -ECANCELED)
			return;
		if (r == -EPIPE && http_retry_on_new_server(c))
			return;
		if (r < 0) {
			http_response_failed(c, r);
			return;
		}
		if (c->http->resp.raw == NULL || c->state == CS_HELD)
			return; /* no head yet, or held by intercept with its head only */
		if (c->http->resp.head->status == 101 && c->http->req.head->upgrade) {
			next_layer(c, NL_UPGRADE);
			return;
		}
	}
	if ((r = h1_body_move(&c->http->resp.body, &c->server,
			      hold_http_body_sink(c, hooks_http_body_sink(c)), progress)) ==
	    -EMSGSIZE) {
		http_refuse_response_body(c, true);
		return;
	}
	if (r < 0 || (!c->http->resp.body.done &&
		      (c->server.failed || (c->server.rd_eof && buf_len(&c->server.in) == 0)))) {
		conn_client_log(c, LOG_LVL_INFO, "server closed the connection mid-response");
		conn_close(c);
		return;
	}
	if (c->http->resp.body.done && hold_http_response_done(c, progress) &&
	    hooks_http_response_done(c, progress)) {
		if (!c->http->req.body.done)
			c->http->closing_after = true;
		http_exchange_done(c);
		*progress = true;
	}
}

/* A response we generated: parsed into c->http->resp so it is recorded like any
 * other, then queued to the client. */
void http_local_response(struct conn *c, const uint8_t *resp, size_t len)
{
	struct buf tmp;
	struct http1_head h;
	struct http1_limits lim;

	http1_limits_default(&lim);
	http_msg_clear(&c->http->resp);
	if (http1_parse_response(resp, len, &lim, &h) != HTTP1_OK)
		return;
	buf_init(&tmp, len);
	if (buf_append(&tmp, resp, len) < 0)
		return;
	if (http_take_head(&c->http->resp, &tmp, h.head_len, false, false) == HTTP1_OK) {
		c->http->resp.body.total = len - h.head_len;
		if (buf_append(&c->http->resp.body.keep, buf_ptr(&tmp), buf_len(&tmp)) < 0)
			c->http->resp.body.streamed = true;
	}
	buf_free(&tmp);
	c->http->resp.ts_end = clock_wall();
	c->http->local_response = true;
	if (buf_append(&c->client.out, resp, len) < 0)
		conn_close(c);
}
