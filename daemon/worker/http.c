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

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/h1_to_h2.h"
#include "worker/hold_http.h"
#include "worker/hooks.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/layer.h"
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

static void http_read_request(struct conn *c, bool *progress)
{
	struct http1_limits lim = http_limits();
	struct http1_head *h;
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

static void http_engine_step(struct conn *c, bool *progress)
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

/* The engine's step, with an h2 server's translation around it if any. */
static void http_step(struct conn *c, bool *progress)
{
	if (c->http->h1h2)
		h1h2_step(c, progress, http_engine_step);
	else
		http_engine_step(c, progress);
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
	h1h2_free(c);
}

const struct layer_ops layer_http = {
    .name = "http",
    .step = http_step,
    .close = http_close,
    LAYER_STATE(http),
};
