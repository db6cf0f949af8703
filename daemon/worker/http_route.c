/* Runs in a worker: decides where a parsed request goes — a CONNECT tunnel,
 * an absolute-form URL, the Host header, or the server of the tunnel we are
 * in — checks proxy authentication and serves mitm.it locally. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "worker/auth.h"
#include "worker/conn.h"
#include "worker/http.h"
#include "worker/hold_http.h"
#include "worker/hooks.h"
#include "worker/http_int.h"
#include "worker/layer.h"
#include "worker/pages.h"
#include "worker/replay_worker.h"
#include "worker/worker_ctx.h"

static bool http_is_onboarding(const struct conn *c)
{
	return wk->opts.onboarding && wk->opts.onboarding_host &&
	       strcasecmp(c->host, wk->opts.onboarding_host) == 0;
}

static void tunnel_connected(struct conn *c, int err)
{
	const char *ver = c->http->req.head->version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
	char line[64];

	if (conn_connect_failed(c, err)) {
		http_bad_gateway(c, " If you plan to redirect requests away from this server, "
				    "consider setting `connection_strategy` to `lazy` to suppress "
				    "early connections.");
		return;
	}
	snprintf(line, sizeof(line), "%s 200 Connection established\r\n\r\n", ver);
	if (buf_append(&c->client.out, line, strlen(line)) < 0) {
		conn_close(c);
		return;
	}
	/* A successful CONNECT is not a flow of its own (mitmdump hides it). */
	c->http->flow_sent = true;
	http_exchange_reset(c);
	c->server_reusable = false;
	next_layer(c, NL_TUNNEL);
}

static void http_route_connect(struct conn *c)
{
	struct http1_target t;

	if (c->tunnel) {
		http_error(
		    c, 400, "Bad Request",
		    "snare received an HTTP CONNECT request even though it is not running in "
		    "regular/upstream mode. This usually indicates a misconfiguration, please "
		    "see the snare mode documentation for details.");
		return;
	}
	if (http1_parse_authority(c->http->req.head->target, 0, &t) != 0) {
		http_error(c, 400, "Bad Request", "Invalid CONNECT target; expected host:port.");
		return;
	}
	conn_set_str(&c->host, t.host);
	c->port = t.port;
	snprintf(c->http->scheme, sizeof(c->http->scheme), "https");
	if (!c->authed && wk->opts.proxyauth && !auth_check(c, c->http->req.head))
		return;
	c->via_connect = c->via;
	if (http_is_onboarding(c)) { /* https://mitm.it is answered by us */
		c->srv_tls = SRV_TLS_NEVER;
		tunnel_connected(c, 0);
		return;
	}
	conn_connect(c, c->host, c->port, tunnel_connected);
}

/* Fills c->host/port/scheme from the request; false after an error page. */
static bool http_find_destination(struct conn *c)
{
	const struct http1_head *h = c->http->req.head;
	const struct http1_header *host;
	struct http1_target t;

	if (h->target.n > 0 && h->target.p[0] != '/' && h->target.p[0] != '*') {
		if (http1_parse_absolute(h->target, &t) != 0) {
			http_error(c, 400, "Bad Request", "Invalid request target.");
			return false;
		}
		if (!c->tunnel) {
			conn_set_str(&c->host, t.host);
			c->port = t.port;
			snprintf(c->http->scheme, sizeof(c->http->scheme), "%s", t.scheme);
		}
		return true;
	}
	if (c->tunnel) {
		snprintf(c->http->scheme, sizeof(c->http->scheme), "%s",
			 c->server_tls ? "https" : "http");
		return true;
	}
	host = http1_find(h, "host");
	if (host == NULL || http1_parse_authority(host->value, 80, &t) != 0) {
		http_error(c, 400, "Bad Request",
			   "HTTP request has no host header, destination unknown.");
		return false;
	}
	conn_set_str(&c->host, t.host);
	c->port = t.port;
	snprintf(c->http->scheme, sizeof(c->http->scheme), "http");
	return true;
}

void http_route_request(struct conn *c)
{
	const struct http1_head *h = c->http->req.head;

	if (http1_str_ieq(h->method, "CONNECT")) {
		http_route_connect(c);
		return;
	}
	if (!http_find_destination(c))
		return;
	if (!c->tunnel && !c->authed && wk->opts.proxyauth && !auth_check(c, h))
		return;
	if (http_is_onboarding(c)) {
		pages_onboarding(c, h);
		return;
	}
	if (wk->opts.body_size_limit >= 0 && h->body == HTTP1_BODY_LENGTH &&
	    h->content_length > (uint64_t)wk->opts.body_size_limit) {
		http_refuse_request_body(c);
		return;
	}
	if (replay_http_request(c))
		return;
	http_route_forward(c);
}

void http_route_forward(struct conn *c)
{
	if (hooks.active && hooks_http_request(c))
		return;
	http_route_after_hooks(c);
}

void http_route_after_hooks(struct conn *c)
{
	if (hold_http_request(c))
		return;
	http_send_request(c);
}
