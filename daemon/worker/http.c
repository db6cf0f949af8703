/* Runs in a worker: the HTTP layer (layer_http) for regular mode and inside
 * intercepted tunnels, the entry of the HTTP engine: reads a request head
 * with our strict parser, answers malformed ones, hands the request to the
 * routing (http_route.c) and the exchange (http_exchange.c), and records an
 * unfinished exchange when the connection closes.  Client bytes are
 * untrusted; so are the server's. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hold_http.h"
#include "worker/hooks.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/h2_pool.h"
#include "worker/layer.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

/* Ends a message (raw == NULL means "no message").  The head's storage is
 * freed too, so an idle keep-alive connection holds no HTTP state. */
void http_msg_clear(struct http_msg *m)
{
	free(m->raw);
	free(m->head);
	buf_free(&m->body.keep);
	memset(m, 0, sizeof(*m));
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
	if (c->http->req.raw && !c->http->flow_sent)
		flow_send_http(c, c->client.failed   ? "client disconnected"
				  : c->server.err[0] ? c->server.err
						     : "connection closed");
	http_msg_clear(&c->http->req);
	http_msg_clear(&c->http->resp);
	hooks_http_free(c);
	hold_http_free(c);
	c->http->flow_sent = false;
	c->http->local_response = false;
	c->http->flow_id[0] = 0;
	c->http->replay_wait = false;
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

/* http2_origin: the server of a tunnel whose server side is TLS may choose
 * h2, which only the HTTP/2 layer speaks; it is asked before the engine
 * takes the first request head (which it parses, routes and hands to the
 * hooks).  The head is complete then, so the client is no longer silent. */
static bool http_alpn_pending(const struct conn *c)
{
	return wk->opts.http2 && wk->opts.http2_origin && c->tunnel && !c->force_raw &&
	       c->server_tls && !c->http->alpn_done;
}

static bool http_server_chose_h2(const struct conn *c)
{
	const unsigned char *p = NULL;
	unsigned n = 0;

	if (c->server.ssl)
		SSL_get0_alpn_selected(c->server.ssl, &p, &n);
	return n == 2 && memcmp(p, "h2", 2) == 0;
}

/* The server connection made for the first head is up (or not): its TLS
 * handshake next.  A failure leaves the engine to connect again and
 * answer it as usual (502). */
static void http_alpn_connected(struct conn *c, int err)
{
	conn_set_state(c, CS_CLIENT_HEAD);
	if (conn_connect_failed(c, err) || conn_server_tls_begin(c) < 0)
		c->http->alpn_done = c->http->h1_only = true;
}

enum alpn_first { ALPN_GO, ALPN_WAIT, ALPN_H2 };

/* Lazy (the server is not connected yet) or a TLS handshake still running
 * (a plain client's TLS server, eager): the server's ALPN decides before
 * the first head is taken.  ALPN_H2: the HTTP/2 layer with the HTTP/1.1
 * framing facing the client is to take over, the client's bytes untouched
 * (NL_SERVER_H2); ALPN_GO: the engine goes on with that connection. */
static enum alpn_first http_server_alpn_first(struct conn *c, const struct http1_head *h,
					      bool *progress)
{
	struct stream *s = &c->server;
	X509 *cert;

	if (!http_alpn_pending(c))
		return ALPN_GO;
	if (h->upgrade && s->fd < 0 && !s->failed) {
		/* a WebSocket (or other) upgrade has no HTTP/1.1 form over h2:
		 * the engine connects offering http/1.1 only */
		*progress = true;
		c->http->alpn_done = c->http->h1_only = true;
		return ALPN_GO;
	}
	if (s->fd < 0 && !s->failed) {
		*progress = true;
		if (h2_pool_peek(c, &cert)) { /* the HTTP/2 layer takes it */
			c->http->alpn_done = true;
			return ALPN_H2;
		}
		if (upstream_pool_take(c)) { /* pooled: an HTTP/1.1 connection */
			c->http->alpn_done = c->http->h1_only = true;
			return ALPN_GO;
		}
		conn_connect(c, c->host, c->port, http_alpn_connected);
		return ALPN_WAIT;
	}
	if (s->ssl && !s->tls_done && !s->failed && !s->rd_eof)
		return ALPN_WAIT;
	*progress = true;
	c->http->alpn_done = true;
	if (s->tls_done && http_server_chose_h2(c))
		return ALPN_H2;
	c->http->h1_only = true;
	return ALPN_GO;
}

static void http_read_request(struct conn *c, bool *progress)
{
	struct http1_limits lim = http_limits();
	struct http1_head *h;
	enum alpn_first a;
	int r;

	if (wk->coord.congested || buf_len(&c->client.in) == 0)
		return;
	if (!c->tunnel && c->client.ssl == NULL && buf_ptr(&c->client.in)[0] == 0x16 &&
	    (c->kind == MODE_REGULAR || c->kind == MODE_UPSTREAM)) {
		*progress = true;
		next_layer(c, NL_PROXY_TLS);
		return;
	}
	h = http_msg_head(&c->http->req);
	r = http1_scan_request(buf_ptr(&c->client.in), buf_len(&c->client.in), &lim, h);
	if (r == HTTP1_E_NEED_MORE) {
		if (c->client.rd_eof || buf_room(&c->client.in) == 0)
			c->client.rd_eof ? conn_close(c) : http_bad_request(c, HTTP1_E_TOO_LARGE);
		return;
	}
	*progress = true;
	if (r != HTTP1_OK) {
		free(c->http->req.head);
		c->http->req.head = NULL;
		http_bad_request(c, r);
		return;
	}
	if ((a = http_server_alpn_first(c, h, progress)) != ALPN_GO) {
		free(c->http->req.head); /* parsed again by whoever takes it */
		c->http->req.head = NULL;
		if (a == ALPN_H2)
			next_layer(c, NL_SERVER_H2);
		return;
	}
	if (http_take_head(&c->http->req, &c->client.in, h->head_len, true, true) != HTTP1_OK) {
		http_bad_request(c, HTTP1_E_SYNTAX);
		return;
	}
	http_route_request(c);
}

void http_start(struct conn *c)
{
	conn_set_state(c, CS_CLIENT_HEAD);
}

static void http_step(struct conn *c, bool *progress)
{
	if (c->http->hooks && c->http->hooks->wait_body) /* a request hook's body */
		hooks_http_step(c, progress);
	else if (c->state == CS_CLIENT_HEAD)
		http_read_request(c, progress);
	else if (c->state == CS_EXCHANGE)
		http_exchange_step(c, progress);
	else if (c->state == CS_HELD)
		hold_http_step(c, progress);
}

/* Records the exchange in progress, if any. */
static void http_close(struct conn *c)
{
	if (c->http->req.raw)
		http_exchange_reset(c);
	hooks_http_free(c);
	hold_http_free(c);
	http_msg_clear(&c->http->req);
	http_msg_clear(&c->http->resp);
}

const struct layer_ops layer_http = {
    .name = "http",
    .step = http_step,
    .close = http_close,
    LAYER_STATE(http),
};
