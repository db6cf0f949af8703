/* Runs in a worker: the HTTP engine's hook points (hooks.h).  Builds the
 * flow view of the exchange (flows.c), runs mitmproxy's order (rewrites
 * before the scripts, the scripts, rewrites after them) and applies what
 * changed: a new request head, a local response, a kill, new response
 * headers, a rewritten response body.  A response body is held for the
 * response hook when its Content-Length is within stream_large_bodies (and
 * FLOW_BODY_KEEP); otherwise the hook sees the headers only, as mitmproxy
 * does with streamed bodies.  A flow a hook intercepts (flow:intercept())
 * is handed to hold_http.c, which holds it as an intercept-filter match
 * once the request or response point is over.  What scripts write is untrusted: header names
 * and values holding CR, LF or NUL are refused by daemon/script/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/h1_headers.h"
#include "worker/hold_http.h"
#include "worker/hooks.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/worker_ctx.h"

#define HOOKS_OUT_MAX (FLOW_BODY_KEEP + 65536) /* a rewritten response */

static void fill_conns(struct script_flow *sf)
{
	flow_view_conns(sf->flow, sf->fill_arg);
}

/* The exchange's flow for the hooks in sf: its connections are added when
 * a script first reads them (building them showed in profiles), or now
 * when rewrites with filters (~src, ~dst) may look at them. */
static Snare__Flow *http_view(struct conn *c, struct script_flow *sf)
{
	Snare__Flow *f = flow_http_view_bare(c);

	script_flow_init(sf, f);
	if (hooks.rewrites.n > 0) {
		flow_view_conns(f, c);
	} else {
		sf->fill_conns = fill_conns;
		sf->fill_arg = c;
	}
	return f;
}

/* One hook point: rewrites before, scripts, rewrites after. */
static unsigned run_point(struct script_flow *sf, enum script_event ev, enum rewrite_hook rh)
{
	struct filter_extra x = {.marked = sf->marked};
	unsigned ch = 0;

	ch |= rewrite_apply(&hooks.rewrites, rh, REWRITE_BEFORE_SCRIPTS, sf->flow, &x, &sf->edits);
	if (!(ch & (REWRITE_CH_KILL | REWRITE_CH_LOCAL_RESPONSE)))
		script_set_call(&hooks.scripts, ev, sf);
	x.marked = sf->marked;
	if (!(sf->changed & SCRIPT_CH_KILL))
		ch |= rewrite_apply(&hooks.rewrites, rh, REWRITE_AFTER_SCRIPTS, sf->flow, &x,
				    &sf->edits);
	/* the REWRITE_CH_* bits are the SCRIPT_CH_* bits of the same name */
	return ch | sf->changed;
}

/* The response in HTTP/1.1 bytes: its own framing headers when `framing`,
 * otherwise a Content-Length for its content followed by the content. */
static int response_bytes(const Snare__HttpResponse *rs, bool framing, struct buf *b)
{
	char line[200];
	int r;

	snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n",
		 rs->has_status_code ? rs->status_code : 200,
		 rs->reason && rs->reason[0] ? rs->reason : "OK");
	r = buf_append(b, line, strlen(line));
	r |= h1_put_headers(b, rs->headers, rs->n_headers, framing);
	if (!framing) {
		snprintf(line, sizeof(line), "content-length: %zu\r\n", rs->content.len);
		r |= buf_append(b, line, strlen(line));
	}
	r |= buf_append(b, "\r\n", 2);
	if (!framing && rs->content.len)
		r |= buf_append(b, rs->content.data, rs->content.len);
	return r ? -ENOBUFS : 0;
}

static struct hooks_http *hh(struct conn *c)
{
	if (c->http->hooks == NULL) {
		c->http->hooks = xcalloc(1, sizeof(*c->http->hooks));
		buf_init(&c->http->hooks->pending, HOOKS_OUT_MAX);
	}
	return c->http->hooks;
}

void hooks_http_free(struct conn *c)
{
	if (c->http->hooks == NULL)
		return;
	buf_free(&c->http->hooks->pending);
	free(c->http->hooks);
	c->http->hooks = NULL;
}

/* ---- request ---- */

/* The held request body (the first `held` bytes of client.in) becomes
 * `body`: the rest of client.in (a pipelined request) stays behind it. */
static int request_body_replace(struct conn *c, size_t held, const ProtobufCBinaryData *body)
{
	struct buf nb;
	struct buf *in = &c->client.in;
	int r;

	buf_init(&nb, in->max);
	r = buf_append(&nb, body->data, body->len);
	r |= buf_append(&nb, buf_ptr(in) + held, buf_len(in) - held);
	if (r) {
		buf_free(&nb);
		return -ENOBUFS;
	}
	buf_free(in);
	*in = nb;
	return 0;
}

/* The request as the hooks left it becomes the request head we parse and
 * send: method, path, version and headers; host and port move the
 * destination.  A changed body (held: `held` bytes of client.in) replaces
 * the held one, with a Content-Length for it; without a held body a
 * changed content is not applied (the body streams behind the head). */
static int request_apply(struct conn *c, const Snare__HttpRequest *rq, size_t held, bool new_body)
{
	struct buf b;
	int r;
	double ts = c->http->req.ts_start;
	char cl[64];

	if (new_body && request_body_replace(c, held, &rq->content) < 0)
		return -ENOBUFS;
	buf_init(&b, STREAM_BUF_MAX);
	r = buf_append(&b, rq->method, strlen(rq->method));
	r |= buf_append(&b, " ", 1);
	r |= buf_append(&b, rq->path && rq->path[0] ? rq->path : "/",
			rq->path && rq->path[0] ? strlen(rq->path) : 1);
	r |= buf_append(&b, c->http->req.head->version_minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n",
			11);
	r |= h1_put_headers(&b, rq->headers, rq->n_headers, !new_body);
	if (new_body) {
		snprintf(cl, sizeof(cl), "content-length: %zu\r\n", rq->content.len);
		r |= buf_append(&b, cl, strlen(cl));
	}
	r |= buf_append(&b, "\r\n", 2);
	if (r == 0) {
		free(c->http->req.raw);
		free(c->http->req.head);
		buf_free(&c->http->req.body.keep);
		c->http->req.raw = NULL;
		c->http->req.head = NULL;
		r = http_take_head(&c->http->req, &b, buf_len(&b), true, false) == HTTP1_OK
			? 0
			: -EPROTO;
		c->http->req.ts_start = ts;
	}
	buf_free(&b);
	if (r == 0 && rq->host && rq->host[0] && strcmp(rq->host, c->host) != 0)
		conn_set_str(&c->host, rq->host);
	if (r == 0 && rq->has_port && rq->port > 0 && rq->port < 65536)
		c->port = (uint16_t)rq->port;
	return r;
}

/* A response the hooks set: sent without asking the server. */
static void request_answer(struct conn *c, const Snare__HttpResponse *rs, size_t held)
{
	struct buf b;
	bool keep = (c->http->req.head->body == HTTP1_BODY_NONE || held > 0) &&
		    c->http->req.head->keep_alive;

	buf_consume(&c->client.in, held); /* the held body was read whole */

	buf_init(&b, HOOKS_OUT_MAX);
	if (response_bytes(rs, false, &b) < 0 || buf_len(&b) > STREAM_BUF_MAX) {
		buf_free(&b);
		conn_client_log(c, LOG_LVL_WARN, "a script's local response is too large");
		http_error(c, 502, "Bad Gateway", "A script's local response is too large.");
		return;
	}
	http_local_response(c, buf_ptr(&b), buf_len(&b));
	buf_free(&b);
	if (c->freed)
		return;
	flow_send_http(c, NULL);
	http_exchange_next(c, keep);
}

/* A request body the request hook waits for, as mitmproxy buffers bodies
 * up to stream_large_bodies: a Content-Length body that fits in client.in
 * (STREAM_BUF_MAX), without "Expect: 100-continue" (the client would wait
 * for us), when a request hook or modify_body wants it.  Others stream and
 * the hook sees the headers only. */
static size_t request_holdable(struct conn *c)
{
	const struct http1_head *h = c->http->req.head;
	long long lim = wk->opts.stream_large_bodies;
	uint64_t cap = lim >= 0 && (uint64_t)lim < STREAM_BUF_MAX ? (uint64_t)lim : STREAM_BUF_MAX;
	bool want = script_set_wants(&hooks.scripts, SCRIPT_EV_REQUEST);

	if (h->body != HTTP1_BODY_LENGTH || h->content_length == 0 || h->content_length > cap ||
	    http1_find(h, "expect") != NULL)
		return 0;
	for (size_t i = 0; !want && i < hooks.rewrites.n; i++)
		want = hooks.rewrites.v[i].kind == REWRITE_MODIFY_BODY;
	return want ? (size_t)h->content_length : 0;
}

/* Applies what the request hooks left: true when the exchange ends here
 * (killed, answered, or an error page), false to send the request. */
static bool request_finish(struct conn *c, struct script_flow *sf, unsigned ch, size_t held,
			   bool new_body)
{
	Snare__Flow *f = sf->flow;

	if (ch & SCRIPT_CH_KILL) {
		conn_client_log(c, LOG_LVL_INFO, "flow killed by a hook");
		conn_close(c);
	} else if ((ch & SCRIPT_CH_LOCAL_RESPONSE) && f->response) {
		request_answer(c, f->response, held);
	} else if ((ch & SCRIPT_CH_REQUEST) && request_apply(c, f->request, held, new_body) < 0) {
		http_error(c, 502, "Bad Gateway", "A script's request cannot be sent.");
	} else {
		return false;
	}
	return true;
}

/* The request point with the held body (`held` bytes at client.in's
 * front, 0: none): request, then map_local. */
static bool request_point(struct conn *c, size_t held)
{
	struct script_flow sf;
	Snare__Flow *f = http_view(c, &sf);
	const uint8_t *body = held ? buf_ptr(&c->client.in) : NULL;
	unsigned ch;
	bool done, new_body;

	if (held && f->request) {
		f->request->content.data = (uint8_t *)(uintptr_t)body;
		f->request->content.len = held;
		f->request->has_content = f->request->has_content_length = 1;
		f->request->content_length = held;
		f->request->has_content_streamed = f->request->content_streamed = 0;
	}
	ch = run_point(&sf, SCRIPT_EV_REQUEST, REWRITE_REQUEST);
	if (!(ch & (SCRIPT_CH_KILL | SCRIPT_CH_LOCAL_RESPONSE)) && hooks_map_local(&sf))
		ch |= SCRIPT_CH_LOCAL_RESPONSE;
	new_body = held && f->request &&
		   (f->request->content.data != body || f->request->content.len != held);
	done = request_finish(c, &sf, ch, held, new_body);
	if (!done && sf.intercepted)
		hold_http_want(c);
	script_flow_release(&sf);
	flow_view_free(f);
	return done;
}

static bool hooks_http_request_body(struct conn *c);

bool hooks_http_request(struct conn *c)
{
	const unsigned stop = SCRIPT_CH_KILL | SCRIPT_CH_LOCAL_RESPONSE;
	struct script_flow sf;
	Snare__Flow *f;
	unsigned ch;
	size_t hold = 0;
	bool done = false;

	if (!hooks.want_req)
		return false;
	f = http_view(c, &sf);
	ch = run_point(&sf, SCRIPT_EV_REQUESTHEADERS, REWRITE_REQUESTHEADERS);
	if (!(ch & stop))
		hold = request_holdable(c);
	if (hold == 0 && !(ch & stop)) { /* no body to wait for: request now */
		ch |= run_point(&sf, SCRIPT_EV_REQUEST, REWRITE_REQUEST);
		if (!(ch & stop) && hooks_map_local(&sf))
			ch |= SCRIPT_CH_LOCAL_RESPONSE;
	}
	if (hold == 0 || (ch & SCRIPT_CH_REQUEST)) /* with a body to wait for: the new head */
		done = request_finish(c, &sf, ch, 0, false);
	if (!done && sf.intercepted) /* held by hold_http_request after the request point */
		hold_http_want(c);
	script_flow_release(&sf);
	flow_view_free(f);
	if (done || hold == 0)
		return done;
	hh(c)->wait_body = true; /* http_step calls hooks_http_step until it is in */
	return hooks_http_request_body(c);
}

void hooks_http_step(struct conn *c, bool *progress)
{
	if (buf_len(&c->client.in) < (size_t)c->http->req.head->content_length && !c->client.rd_eof)
		return; /* more of the body to come */
	*progress = true;
	if (!hooks_http_request_body(c))
		http_route_after_hooks(c); /* intercept sees it too */
}

static bool hooks_http_request_body(struct conn *c)
{
	size_t need = (size_t)c->http->req.head->content_length;

	if (buf_len(&c->client.in) < need) {
		if (c->client.rd_eof)
			conn_close(c);
		return true; /* waiting for the rest of the body */
	}
	c->http->hooks->wait_body = false;
	return request_point(c, need);
}

/* ---- response ---- */

static bool response_holdable(struct conn *c)
{
	const struct http1_head *h = c->http->resp.head;
	long long lim = wk->opts.stream_large_bodies;
	uint64_t cap = lim >= 0 && (uint64_t)lim < FLOW_BODY_KEEP ? (uint64_t)lim : FLOW_BODY_KEEP;
	size_t i;

	if (h->body != HTTP1_BODY_LENGTH || h->content_length > cap)
		return false;
	if (script_set_wants(&hooks.scripts, SCRIPT_EV_RESPONSE))
		return true;
	for (i = 0; i < hooks.rewrites.n; i++)
		if (hooks.rewrites.v[i].kind == REWRITE_MODIFY_BODY)
			return true;
	return false;
}

/* New response headers with the same framing: the head we forward. */
static int response_head_apply(struct conn *c, const Snare__HttpResponse *rs)
{
	struct buf b;
	int r;

	buf_init(&b, STREAM_BUF_MAX);
	r = response_bytes(rs, true, &b);
	if (r == 0) {
		http_msg_clear(&c->http->resp);
		r = http_take_head(&c->http->resp, &b, buf_len(&b), false, false) == HTTP1_OK &&
			    http1_response_body(c->http->resp.head, c->http->req.head->method) ==
				HTTP1_OK
			? 0
			: -EPROTO;
		h1_body_init(&c->http->resp.body, c->http->resp.head->body,
			     c->http->resp.head->content_length);
	}
	buf_free(&b);
	return r;
}

bool hooks_http_response_head(struct conn *c)
{
	Snare__Flow *f;
	struct script_flow sf;
	unsigned ch;

	if (!hooks.want_resp)
		return false;
	if (response_holdable(c)) {
		hh(c)->hold_response = true;
		c->http->resp.body.hold = true;
		return true;
	}
	f = http_view(c, &sf);
	if (f->response && c->http->resp.head->body != HTTP1_BODY_NONE)
		f->response->has_content = 0; /* the body streams: content is nil */
	ch = run_point(&sf, SCRIPT_EV_RESPONSEHEADERS, REWRITE_RESPONSEHEADERS);
	if (!(ch & SCRIPT_CH_KILL))
		ch |= run_point(&sf, SCRIPT_EV_RESPONSE, REWRITE_RESPONSE);
	if (ch & SCRIPT_CH_KILL) {
		conn_client_log(c, LOG_LVL_INFO, "flow killed by a hook");
		conn_close(c);
	} else if ((ch & SCRIPT_CH_RESPONSE) && f->response &&
		   response_head_apply(c, f->response) < 0) {
		conn_client_log(c, LOG_LVL_WARN, "a hook's response head cannot be sent");
		conn_close(c);
	} else if (sf.intercepted) {
		hold_http_want(c); /* hold_http_response_head holds it next */
	}
	script_flow_release(&sf);
	flow_view_free(f);
	return c->freed;
}

struct stream *hooks_http_body_sink(struct conn *c)
{
	return c->http->hooks && c->http->hooks->hold_response ? NULL : &c->client;
}

/* The held response through responseheaders and response, into pending. */
static void response_run(struct conn *c)
{
	struct script_flow sf;
	Snare__Flow *f = http_view(c, &sf);
	unsigned ch;

	ch = run_point(&sf, SCRIPT_EV_RESPONSEHEADERS, REWRITE_RESPONSEHEADERS);
	if (!(ch & SCRIPT_CH_KILL))
		ch |= run_point(&sf, SCRIPT_EV_RESPONSE, REWRITE_RESPONSE);
	c->http->hooks->hold_response = false;
	if (ch & SCRIPT_CH_KILL) {
		conn_client_log(c, LOG_LVL_INFO, "flow killed by a hook");
		conn_close(c);
	} else if (sf.intercepted && f->response && hold_http_response_script(c, f->response)) {
		/* held whole; hold_http_response_done writes it after the resume */
	} else if (f->response == NULL ||
		   response_bytes(f->response, false, &c->http->hooks->pending) < 0) {
		conn_client_log(c, LOG_LVL_WARN, "a hook's response is too large; reset");
		h1_abort_client(c);
	}
	script_flow_release(&sf);
	flow_view_free(f);
}

bool hooks_http_response_done(struct conn *c, bool *progress)
{
	struct hooks_http *h = c->http->hooks;
	size_t n;

	if (h == NULL)
		return true;
	if (h->hold_response) {
		response_run(c);
		*progress = true;
		if (c->freed || c->state == CS_HELD)
			return false;
	}
	n = buf_len(&h->pending) - h->pending_off;
	if (n > buf_room(&c->client.out))
		n = buf_room(&c->client.out);
	if (n && buf_append(&c->client.out, buf_ptr(&h->pending) + h->pending_off, n) == 0) {
		h->pending_off += n;
		*progress = true;
	}
	return h->pending_off == buf_len(&h->pending);
}
