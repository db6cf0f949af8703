/* Runs in a worker: reverse:http3://. Every request stream the client opens becomes a request
 * stream to the server and one exchange, recorded as an HTTP/3 flow (flows.c's framing-neutral
 * recorder, as HTTP/2 streams are) with its fields and trailers in wire order. Bodies move as
 * far as the other side takes them: the sender gets flow-control credit (quic_stream_consumed)
 * only for bytes the other side's stream took, so at most a stream window waits here.
 * body_size_limit and stream_large_bodies apply per stream (http_body_piece); :authority names
 * the target unless keep_host_header; upstream_auth adds an authorization field. When the
 * server cannot be reached, requests are answered 502 over HTTP/3. The script hooks, the
 * rewrites and intercept see every head before it goes on (hooks_h3.c, over the same entry
 * points as HTTP/2 streams). Both peers are untrusted: nghttp3 checks framing and QPACK, this
 * file only copies fields. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/unconst.h"
#include "h2/h2.h"
#include "quic/quic.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/h3_reverse.h"
#include "worker/h3_reverse_int.h"
#include "worker/hold_http.h"
#include "worker/http_int.h"
#include "worker/worker_ctx.h"

/* Above a stream's window: a peer that keeps to flow control never fills it, even after
 * a body collected for the hooks (consumed as it came) was held with its head. */
#define H3R_PENDING_MAX (QUIC_STREAM_WINDOW + (192u << 10))
#define H3R_FIELDS_MAX 300

static const uint8_t nothing[1];

static struct h3x *x_find(struct h3r *r, int side, int64_t id)
{
	for (struct h3x *x = r->xs; x; x = x->next)
		if (x->id[side] == id)
			return x;
	return NULL;
}

void h3x_error(struct h3x *x, const char *fmt, ...)
{
	va_list ap;

	if (x->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(x->error, sizeof(x->error), fmt, ap);
	va_end(ap);
}

/* ---- recording ---- */

static const struct hf_field *hf_of(const struct h2_msg *m)
{
	return (const struct hf_field *)(const void *)m->fields; /* the same layout */
}

static void msg_of(struct flow_msg *o, const struct h2_msg *m, const struct h2_msg *tr,
		   const struct body_xfer *b, const double ts[2], bool complete)
{
	*o = (struct flow_msg){
	    .method = m->method,
	    .scheme = m->scheme,
	    .path = m->path,
	    .version = "HTTP/3",
	    .status = m->status,
	    .fields = hf_of(m),
	    .nfields = m->nfields,
	    .trailers = hf_of(tr),
	    .ntrailers = tr->nfields,
	    .body = b,
	    .ts_start = ts[0],
	    .ts_end = ts[1],
	    .complete = complete,
	};
}

/* flows.c records an exchange with a connection's addresses, and the hooks build their flow
 * from one; this one has QUIC connections, so a connection record holding only what they read
 * stands in for them (r->cn). */
static void conn_of(struct h3r *r)
{
	struct conn *c = &r->cn;

	c->mode_index = r->info.mode_index;
	c->host = r->info.host;
	c->port = r->info.port;
	c->proc_pid = r->info.pid;
	memcpy(c->proc_name, r->info.proc_name, sizeof(c->proc_name));
	addr_format(&r->info.client.sa, c->client_str, sizeof(c->client_str));
	stream_addr_set(&c->client.peer, &r->info.client.sa);
	stream_addr_set(&c->client.local, &r->info.local.sa);
	c->client.ts_start = r->info.ts_start;
	stream_addr_set(&c->server.peer, &r->info.target.sa);
	c->server.ts_start = r->info.ts_start;
	flow_new_id(c->id_client); /* every flow of the connection names the same connections */
	flow_new_id(c->id_server);
}

static void x_record(struct h3r *r, struct h3x *x)
{
	struct conn c = r->cn;
	struct flow_msg rq, rs;

	if (x->local) { /* no server stream */
		memset(&c.server.peer, 0, sizeof(c.server.peer));
		c.server.ts_start = 0;
	}
	msg_of(&rq, &x->req, &x->tr[H3R_SERVER], &x->body[H3R_SERVER], x->ts[H3R_SERVER],
	       x->ended[H3R_SERVER]);
	msg_of(&rs, &x->resp, &x->tr[H3R_CLIENT], &x->body[H3R_CLIENT], x->ts[H3R_CLIENT],
	       x->end_sent[H3R_CLIENT] && x->error[0] == '\0');
	rq.id_slot = x->flow_id;
	flow_send_msgs(&c, &rq, x->has_resp ? &rs : NULL, x->error[0] ? x->error : NULL);
}

static void x_free(struct h3x *x)
{
	hold_h3_forget(x, &x->hold_id, x->flow_id);
	h2_msg_free(&x->req);
	h2_msg_free(&x->resp);
	for (int s = 0; s < 2; s++) {
		h2_msg_free(&x->tr[s]);
		buf_free(&x->body[s].keep);
		buf_free(&x->pend[s]);
	}
	free(x);
}

static void x_unlink(struct h3r *r, struct h3x *x)
{
	for (struct h3x **pp = &r->xs; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			return;
		}
}

/* Resets x's stream on `side`; x stays while ngtcp2 reports the close inside the call. */
static void x_reset(struct h3r *r, struct h3x *x, int side, int64_t id, uint64_t code)
{
	x->busy++;
	(void)quic_h3_reset(r->h[side], id, code);
	x->busy--;
}

/* Both messages went through (the rest is the QUIC stack's), or both streams are over:
 * record the exchange and forget it; later events of its streams find nothing. */
void h3x_maybe_done(struct h3r *r, struct h3x *x)
{
	bool through = x->end_sent[H3R_CLIENT] && x->ended[H3R_SERVER] &&
		       (x->end_sent[H3R_SERVER] || x->local);
	bool over =
	    x->closed[H3R_CLIENT] && (x->closed[H3R_SERVER] || x->id[H3R_SERVER] < 0 || x->local);

	if ((!through && !over) || x->busy)
		return;
	x_record(r, x);
	x_unlink(r, x);
	x_free(x);
}

/* ---- moving bodies ---- */

static void field_set(struct quic_h3_field *f, const char *name, const char *value, size_t vlen)
{
	f->name = (const uint8_t *)name;
	f->name_len = strlen(name);
	f->value = (const uint8_t *)value;
	f->value_len = vlen;
}

/* The fields of m (no pseudo-fields) appended to f[*n]. */
static void fields_add(struct quic_h3_field *f, size_t *n, const struct h2_msg *m)
{
	for (size_t i = 0; i < m->nfields && *n < H3R_FIELDS_MAX; i++, (*n)++) {
		f[*n].name = (const uint8_t *)m->fields[i].name;
		f[*n].name_len = m->fields[i].name_len;
		f[*n].value = (const uint8_t *)m->fields[i].value;
		f[*n].value_len = m->fields[i].value_len;
	}
}

void h3x_credit(struct h3r *r, struct h3x *x, int s, size_t n)
{
	size_t skip = x->credit[s] < n ? x->credit[s] : n; /* given when collected */

	x->credit[s] -= skip;
	if (n > skip && r->c[!s] && x->id[!s] >= 0)
		(void)quic_stream_consumed(r->c[!s], x->id[!s], n - skip);
}

/* Passes the pending bytes for side s on, then the end (or the trailers) once they are out. */
static void x_push(struct h3r *r, struct h3x *x, int s)
{
	struct buf *b = &x->pend[s];

	if (!x->head_sent[s] || x->end_sent[s] || r->h[s] == NULL)
		return;
	while (buf_len(b) > 0) {
		long w = quic_h3_write(r->h[s], x->id[s], buf_ptr(b), buf_len(b), false);

		if (w <= 0) {
			if (w < 0)
				buf_reset(b); /* the stream is gone: nothing more goes there */
			return;
		}
		buf_consume(b, (size_t)w);
		h3x_credit(r, x, s, (size_t)w);
	}
	if (!x->ended[s])
		return;
	x->end_sent[s] = true;
	if (x->tr[s].nfields > 0) {
		struct quic_h3_field *f = xcalloc(x->tr[s].nfields, sizeof(*f));
		size_t n = 0;

		fields_add(f, &n, &x->tr[s]);
		(void)quic_h3_trailers(r->h[s], x->id[s], f, n);
		free(f);
	} else {
		(void)quic_h3_write(r->h[s], x->id[s], nothing, 0, true);
	}
	if (s == H3R_CLIENT && !x->local)
		x->ts[s][1] = clock_wall();
}

/* x_push, then x may be done (and freed: callers do not touch x after). */
void h3x_flush(struct h3r *r, struct h3x *x, int s)
{
	x_push(r, x, s);
	h3x_maybe_done(r, x);
}

/* Body bytes from side `from` for the other side. */
static void x_body(struct h3r *r, struct h3x *x, int from, const uint8_t *p, size_t n)
{
	int s = !from;

	if (x->fresh[s]) { /* a body follows its head: the hooks see it */
		x->busy++;
		h3x_head_ready(r, x, s, false);
		x->busy--;
	}
	if (x->local || x->end_sent[s]) {
		(void)quic_stream_consumed(r->c[from], x->id[from], n);
		h3x_maybe_done(r, x);
		return;
	}
	if (h3x_body_waiting(r, x, s, p, n))
		return;
	http_body_piece(&x->body[s], p, n);
	if (!http_body_over_limit(&x->body[s]) && buf_len(&x->pend[s]) == 0 && x->head_sent[s] &&
	    r->h[s]) { /* straight on; only what the stream does not take waits here */
		long w = quic_h3_write(r->h[s], x->id[s], p, n, false);

		if (w > 0) {
			(void)quic_stream_consumed(r->c[from], x->id[from], (size_t)w);
			p += w;
			n -= (size_t)w;
		}
	}
	if (http_body_over_limit(&x->body[s]) || buf_append(&x->pend[s], p, n) < 0) {
		(void)quic_stream_consumed(r->c[from], x->id[from], n);
		h3x_over_limit(r, x, s);
		return;
	}
	h3x_flush(r, x, s);
}

/* ---- answers of our own ---- */

/* Our answer on the client's stream: the server stream (if any) is dropped; a response that
 * began is reset instead. False when it was. */
static bool x_local(struct h3r *r, struct h3x *x)
{
	int64_t sid = x->id[H3R_SERVER];

	/* What the server stream does next (its close may be reported during the reset) is no
	 * longer this exchange's. */
	x->local = true;
	x->id[H3R_SERVER] = -1;
	if (sid >= 0 && r->h[H3R_SERVER] && !x->closed[H3R_SERVER])
		x_reset(r, x, H3R_SERVER, sid, H3_REQUEST_CANCELLED);
	if (x->head_sent[H3R_CLIENT]) {
		x_reset(r, x, H3R_CLIENT, x->id[H3R_CLIENT], H3_REQUEST_CANCELLED);
		return false;
	}
	return true;
}

/* A short HTML page as the response (or a reset when a response has begun). */
static void x_answer(struct h3r *r, struct h3x *x, int status, const char *reason, const char *msg)
{
	struct quic_h3_field f[3];
	char st[8], len[24], body[600];
	int n = snprintf(body, sizeof(body),
			 "<html><head><title>%d %s</title></head>\n<body><h1>%d %s</h1><p>%s</p>"
			 "</body></html>\n",
			 status, reason, status, reason, msg);

	if (!x_local(r, x))
		return;
	snprintf(st, sizeof(st), "%d", status);
	snprintf(len, sizeof(len), "%d", n);
	field_set(&f[0], ":status", st, strlen(st));
	field_set(&f[1], "content-type", "text/html", 9);
	field_set(&f[2], "content-length", len, strlen(len));
	x->head_sent[H3R_CLIENT] = true;
	x->end_sent[H3R_CLIENT] = true;
	if (quic_h3_response(r->h[H3R_CLIENT], x->id[H3R_CLIENT], f, 3, false) == 0)
		(void)quic_h3_write(r->h[H3R_CLIENT], x->id[H3R_CLIENT], (const uint8_t *)body,
				    (size_t)n, true);
}

/* The response head in x->resp to the client (:status first). */
static int x_response_head(struct h3r *r, struct h3x *x)
{
	struct quic_h3_field *f = xcalloc(x->resp.nfields + 1, sizeof(*f));
	char st[12];
	size_t k = 0;
	int rc;

	snprintf(st, sizeof(st), "%d", x->resp.status);
	field_set(&f[k++], ":status", st, strlen(st));
	fields_add(f, &k, &x->resp);
	x->head_sent[H3R_CLIENT] = true;
	rc = quic_h3_response(r->h[H3R_CLIENT], x->id[H3R_CLIENT], f, k, false);
	free(f);
	return rc;
}

void h3x_respond(struct h3r *r, struct h3x *x, const struct hf_head *h, const uint8_t *body,
		 size_t len)
{
	if (!x_local(r, x))
		return;
	h2_msg_free(&x->resp);
	if (h3x_msg_from_head(&x->resp, h) < 0 || buf_append(&x->pend[H3R_CLIENT], body, len) < 0) {
		h3x_error(x, "cannot send a script's local response");
		x_reset(r, x, H3R_CLIENT, x->id[H3R_CLIENT], H3_REQUEST_CANCELLED);
		return;
	}
	x->has_resp = true;
	x->ts[H3R_CLIENT][0] = x->ts[H3R_CLIENT][1] = clock_wall();
	http_body_piece(&x->body[H3R_CLIENT], body, len);
	x->credit[H3R_CLIENT] = len; /* our own bytes: no sender to credit */
	x->ended[H3R_CLIENT] = true;
	if (x_response_head(r, x) < 0)
		h3x_error(x, "cannot send a script's local response");
	h3x_flush(r, x, H3R_CLIENT);
}

void h3x_send_response(struct h3r *r, struct h3x *x)
{
	if (x_response_head(r, x) < 0)
		h3x_error(x, "cannot pass the response on");
	h3x_flush(r, x, H3R_CLIENT);
}

void h3x_kill(struct h3r *r, struct h3x *x, uint64_t code)
{
	int64_t sid = x->id[H3R_SERVER];

	x->local = true;
	x->id[H3R_SERVER] = -1;
	if (sid >= 0 && r->h[H3R_SERVER] && !x->closed[H3R_SERVER])
		x_reset(r, x, H3R_SERVER, sid, code);
	if (r->h[H3R_CLIENT] && !x->closed[H3R_CLIENT])
		x_reset(r, x, H3R_CLIENT, x->id[H3R_CLIENT], code);
	h3x_maybe_done(r, x);
}

static void x_bad_gateway(struct h3r *r, struct h3x *x)
{
	char msg[400];

	h3x_error(x, "Cannot connect to %s:%u: %s", r->info.host, r->info.port, r->gone);
	snprintf(msg, sizeof(msg), "Cannot connect to %s:%u over QUIC.", r->info.host,
		 r->info.port);
	x_answer(r, x, 502, "Bad Gateway", msg);
}

/* body_size_limit: a request body too large is answered 413 (a reset once the response has
 * begun); a response body too large resets both streams. */
void h3x_over_limit(struct h3r *r, struct h3x *x, int s)
{
	if (s == H3R_SERVER) {
		h3x_error(x, "request body exceeds body_size_limit");
		x_answer(r, x, 413, "Payload Too Large",
			 "The request body exceeds body_size_limit.");
		return;
	}
	h3x_error(x, "response body exceeds body_size_limit");
	x->local = true;
	x_reset(r, x, H3R_CLIENT, x->id[H3R_CLIENT], H3_EXCESSIVE_LOAD);
	if (r->h[H3R_SERVER])
		x_reset(r, x, H3R_SERVER, x->id[H3R_SERVER], H3_EXCESSIVE_LOAD);
	h3x_maybe_done(r, x);
}

/* ---- the request towards the server ---- */

/* The request as the server gets it (and the flow records it): :authority names the target
 * (keep_host_header keeps the client's), upstream_auth adds authorization. */
static int request_rewrite(struct h3r *r, struct h3x *x)
{
	char authority[300], auth[420] = "";

	if (!wk->opts.keep_host_header && !r->info.intercept) {
		bool v6 = strchr(r->info.host, ':') != NULL;
		int k = snprintf(authority, sizeof(authority), v6 ? "[%s]" : "%s", r->info.host);

		if (r->info.port != 443 && k > 0 && (size_t)k < sizeof(authority))
			snprintf(authority + k, sizeof(authority) - (size_t)k, ":%u", r->info.port);
		free(x->req.authority);
		x->req.authority = xstrdup(authority);
	}
	if (!r->info.intercept)
		conn_basic_auth_value(auth, sizeof(auth));
	if (auth[0] && h2_msg_add(&x->req, "authorization", 13, auth, strlen(auth)) < 0)
		return -ENOMEM;
	return 0;
}

static size_t request_fields(const struct h3x *x, struct quic_h3_field *f)
{
	const char *a = x->req.authority ? x->req.authority : "";
	size_t n = 0;

	field_set(&f[n++], ":method", x->req.method, strlen(x->req.method));
	field_set(&f[n++], ":scheme", x->req.scheme ? x->req.scheme : "https",
		  strlen(x->req.scheme ? x->req.scheme : "https"));
	field_set(&f[n++], ":authority", a, strlen(a));
	if (x->req.path)
		field_set(&f[n++], ":path", x->req.path, strlen(x->req.path));
	fields_add(f, &n, &x->req);
	return n;
}

/* A server that answered before gets a new connection once the last one is gone (idle, or
 * closed by the server); one that did not, none. */
static bool x_reconnect(struct h3r *r)
{
	if (!r->server_ok || r->info.reconnect == NULL)
		return false;
	r->server_ok = false;
	return r->info.reconnect(r->info.kick_arg) == 0;
}

/* Opens x's stream to the server once its connection can take it. */
void h3x_open_server(struct h3r *r, struct h3x *x)
{
	struct quic_h3_field *f;
	size_t n;
	int rc;

	if (x->id[H3R_SERVER] >= 0 || x->local || h3x_head_waits(x, H3R_SERVER))
		return;
	if (r->gone[0] && !x_reconnect(r)) {
		x_bad_gateway(r, x);
		return;
	}
	if (r->c[H3R_SERVER] == NULL)
		return;
	if (!quic_conn_handshake_done(r->c[H3R_SERVER]))
		return;
	f = xcalloc(H3R_FIELDS_MAX + 8, sizeof(*f));
	n = request_fields(x, f);
	rc = quic_h3_request(r->h[H3R_SERVER], f, n, false, &x->id[H3R_SERVER]);
	free(f);
	if (rc == -EAGAIN) {
		x->id[H3R_SERVER] = -1;
		return;
	}
	if (rc < 0 && x->id[H3R_SERVER] < 0) {
		h3x_error(x, "cannot send the request to the server");
		x_answer(r, x, 502, "Bad Gateway", "Cannot send the request to the server.");
		return;
	}
	x->head_sent[H3R_SERVER] = true;
	h3x_flush(r, x, H3R_SERVER);
}

static bool x_waits_server(const struct h3x *x)
{
	return x->id[H3R_SERVER] < 0 && !x->local && !h3x_head_waits(x, H3R_SERVER);
}

/* The requests waiting for a server stream, oldest first (the list is newest first). Opening
 * one frees at most that one. */
static void open_waiting(struct h3r *r)
{
	struct h3x **w, *x;
	size_t n = 0;

	for (x = r->xs; x; x = x->next)
		n += x_waits_server(x);
	if (n == 0)
		return;
	w = xcalloc(n, sizeof(*w));
	n = 0;
	for (x = r->xs; x; x = x->next)
		if (x_waits_server(x))
			w[n++] = x;
	while (n > 0)
		h3x_open_server(r, w[--n]);
	free(w);
}

/* ---- HTTP/3 events, side `s` ---- */

static int head_copy(struct h2_msg *m, const struct quic_h3_field *f, size_t n)
{
	char **pseudo[] = {&m->method, &m->scheme, &m->authority, &m->path};
	static const char *const names[] = {":method", ":scheme", ":authority", ":path"};

	for (size_t i = 0; i < n; i++) {
		const char *name = (const char *)f[i].name, *value = (const char *)f[i].value;
		size_t k;

		if (f[i].name_len == 0 || name[0] != ':') {
			if (h2_msg_add(m, name, f[i].name_len, value, f[i].value_len) < 0)
				return -ENOMEM;
			continue;
		}
		if (strcmp(name, ":status") == 0) {
			m->status = atoi(value);
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(names) && strcmp(name, names[k]) != 0; k++)
			;
		if (k < ARRAY_SIZE(names) && *pseudo[k] == NULL)
			*pseudo[k] = xstrndup(value, f[i].value_len);
	}
	return 0;
}

static struct h3x *x_new(struct h3r *r, int64_t id)
{
	struct h3x *x = xcalloc(1, sizeof(*x));

	x->r = r;
	x->id[H3R_CLIENT] = id;
	x->id[H3R_SERVER] = -1;
	h2_msg_init(&x->req);
	h2_msg_init(&x->resp);
	for (int s = 0; s < 2; s++) {
		h2_msg_init(&x->tr[s]);
		buf_init(&x->body[s].keep, FLOW_BODY_KEEP);
		buf_init(&x->pend[s], H3R_PENDING_MAX);
	}
	x->ts[H3R_SERVER][0] = clock_wall();
	x->next = r->xs;
	r->xs = x;
	return x;
}

/* The head for side s is in: on at once, or once the hooks and intercept saw it (they learn
 * first whether a body follows: settle runs after the datagram that brought it). */
static void x_head_in(struct h3r *r, struct h3x *x, int s)
{
	if (!h3x_hooks_wanted(s)) {
		h3x_head_ready(r, x, s, false);
		return;
	}
	x->fresh[s] = true;
	if (!loop_timer_armed(&r->settle))
		loop_timer_arm(wk->loop, &r->settle, 0);
}

static void client_head(struct h3r *r, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct h3x *x = x_new(r, id);

	if (head_copy(&x->req, f, n) < 0 || x->req.method == NULL || request_rewrite(r, x) < 0) {
		h3x_error(x, "a request without :method");
		x_answer(r, x, 400, "Bad Request", "The request has no method.");
		return;
	}
	x_head_in(r, x, H3R_SERVER);
}

/* The server's head: an interim one (1xx) passes through, the final one starts the response. */
static void server_head(struct h3r *r, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct h3x *x = x_find(r, H3R_SERVER, id);

	if (x == NULL || x->local || x->has_resp)
		return;
	if (n > 0 && f[0].value_len == 3 && f[0].value[0] == '1') {
		(void)quic_h3_response(r->h[H3R_CLIENT], x->id[H3R_CLIENT], f, n, false);
		return;
	}
	h2_msg_free(&x->resp);
	h2_msg_init(&x->resp);
	(void)head_copy(&x->resp, f, n);
	x->has_resp = true;
	x->ts[H3R_CLIENT][0] = clock_wall();
	x_head_in(r, x, H3R_CLIENT);
}

static void on_head(struct h3r *r, int s, int64_t id, const struct quic_h3_field *f, size_t n)
{
	if (s == H3R_CLIENT)
		client_head(r, id, f, n);
	else
		server_head(r, id, f, n);
}

static void on_data(struct h3r *r, int s, int64_t id, const uint8_t *p, size_t n)
{
	struct h3x *x = x_find(r, s, id);

	if (x)
		x_body(r, x, s, p, n);
	else
		(void)quic_stream_consumed(r->c[s], id, n);
}

static void on_trailers(struct h3r *r, int s, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct h3x *x = x_find(r, s, id);

	if (x && !x->local)
		(void)head_copy(&x->tr[!s], f, n);
}

static void on_end(struct h3r *r, int s, int64_t id)
{
	struct h3x *x = x_find(r, s, id);

	if (x == NULL)
		return;
	x->ended[!s] = true;
	if (s == H3R_CLIENT)
		x->ts[H3R_SERVER][1] = clock_wall();
	x->busy++;
	if (x->fresh[!s]) /* a message without a body: the hooks see it whole */
		h3x_head_ready(r, x, !s, true);
	else
		h3x_end_waiting(r, x, !s);
	x->busy--;
	h3x_flush(r, x, !s);
}

static void on_reset(struct h3r *r, int s, int64_t id, uint64_t code)
{
	struct h3x *x = x_find(r, s, id);

	if (x == NULL)
		return;
	h3x_error(x, "the %s reset the stream (code 0x%llx)", s == H3R_CLIENT ? "client" : "server",
		  (unsigned long long)code);
	if (x->id[!s] >= 0 && !x->closed[!s] && r->h[!s])
		x_reset(r, x, !s, x->id[!s], code);
	h3x_maybe_done(r, x);
}

static void on_close(struct h3r *r, int s, int64_t id, uint64_t code)
{
	struct h3x *x = x_find(r, s, id);

	if (x == NULL)
		return;
	x->closed[s] = true;
	if (code != H3_NO_ERROR) {
		h3x_error(x, "the %s stream ended with code 0x%llx",
			  s == H3R_CLIENT ? "client's" : "server's", (unsigned long long)code);
		if (x->id[!s] >= 0 && !x->closed[!s] && r->h[!s])
			x_reset(r, x, !s, x->id[!s], code);
	}
	h3x_maybe_done(r, x);
}

/* Thin wrappers: the quic module's callbacks take one argument, the side is in the name. */
#define H3R_SIDE_CALLBACKS(name, S)                                                                \
	static void name##_head(void *a, int64_t id, const struct quic_h3_field *f, size_t n)      \
	{                                                                                          \
		on_head(a, S, id, f, n);                                                           \
	}                                                                                          \
	static void name##_data(void *a, int64_t id, const uint8_t *p, size_t n)                   \
	{                                                                                          \
		on_data(a, S, id, p, n);                                                           \
	}                                                                                          \
	static void name##_trailers(void *a, int64_t id, const struct quic_h3_field *f, size_t n)  \
	{                                                                                          \
		on_trailers(a, S, id, f, n);                                                       \
	}                                                                                          \
	static void name##_end(void *a, int64_t id)                                                \
	{                                                                                          \
		on_end(a, S, id);                                                                  \
	}                                                                                          \
	static void name##_reset(void *a, int64_t id, uint64_t code)                               \
	{                                                                                          \
		on_reset(a, S, id, code);                                                          \
	}                                                                                          \
	static void name##_close(void *a, int64_t id, uint64_t code)                               \
	{                                                                                          \
		on_close(a, S, id, code);                                                          \
	}                                                                                          \
	static const struct quic_h3_callbacks name##_h3 = {                                        \
	    name##_head, name##_data, name##_trailers, name##_end, name##_reset, name##_close,     \
	}

H3R_SIDE_CALLBACKS(cli, H3R_CLIENT);
H3R_SIDE_CALLBACKS(srv, H3R_SERVER);

/* ---- the owner's interface ---- */

/* The first exchange with a fresh head, and its side in *side; NULL if none. */
static struct h3x *first_fresh(struct h3r *r, int *side)
{
	for (struct h3x *x = r->xs; x; x = x->next)
		for (int s = 0; s < 2; s++)
			if (x->fresh[s]) {
				*side = s;
				return x;
			}
	return NULL;
}

/* The heads still fresh once the datagrams that brought them are read: no end came with them,
 * so a body follows (or its end comes later). One at a time, the scan starting over after
 * each: each may end exchanges (h3x_flush may free x). */
static void settle(struct loop_timer *t)
{
	struct h3r *r = t->arg;
	struct h3x *x;
	int s;

	while ((x = first_fresh(r, &s)) != NULL) {
		x->busy++;
		h3x_head_ready(r, x, s, false);
		x->busy--;
		h3x_flush(r, x, s);
	}
	h3r_kick(r);
}

bool h3r_holding(const struct h3r *r)
{
	if (r != NULL)
		for (const struct h3x *x = r->xs; x; x = x->next)
			if (x->held[H3R_SERVER] || x->held[H3R_CLIENT])
				return true;
	return false;
}

void h3r_kick(struct h3r *r)
{
	if (r->info.kick)
		r->info.kick(r->info.kick_arg);
}

struct h3r *h3r_new(struct quic_conn *client, struct quic_conn *server, const struct h3r_info *info)
{
	struct h3r *r = xcalloc(1, sizeof(*r));

	r->info = *info;
	conn_of(r);
	loop_timer_init(&r->settle, settle, r);
	r->c[H3R_SERVER] = server;
	r->h[H3R_SERVER] = quic_h3_attach(server, &srv_h3, r);
	if (client)
		h3r_client(r, client);
	return r;
}

void h3r_client(struct h3r *r, struct quic_conn *client)
{
	r->c[H3R_CLIENT] = client;
	r->h[H3R_CLIENT] = quic_h3_attach(client, &cli_h3, r);
}

void h3r_free(struct h3r *r, const char *error)
{
	if (r == NULL)
		return;
	while (r->xs) {
		struct h3x *x = r->xs;

		h3x_error(x, "%s", error ? error : "connection closed");
		r->xs = x->next;
		x_record(r, x);
		x_free(x);
	}
	loop_timer_cancel(wk->loop, &r->settle);
	free(r);
}

void h3r_handshake(struct h3r *r, int side)
{
	if (side == H3R_SERVER) {
		r->server_ok = true;
		open_waiting(r);
	}
}

void h3r_writable(struct h3r *r, int side, int64_t id)
{
	struct h3x *x = x_find(r, side, id);

	if (x)
		h3x_flush(r, x, side);
}

void h3r_available(struct h3r *r, int side)
{
	if (side == H3R_SERVER)
		open_waiting(r);
}

void h3r_server_back(struct h3r *r, struct quic_conn *server)
{
	r->gone[0] = '\0';
	r->c[H3R_SERVER] = server;
	r->h[H3R_SERVER] = quic_h3_attach(server, &srv_h3, r);
}

void h3r_server_gone(struct h3r *r, const char *why)
{
	struct h3x *x, *next;

	snprintf(r->gone, sizeof(r->gone), "%s", why);
	for (x = r->xs; x; x = next) {
		next = x->next;
		if (h3x_head_waits(x, H3R_SERVER))
			continue; /* answered 502 when it goes on */
		x->closed[H3R_SERVER] = true;
		x->id[H3R_SERVER] = -1;
		if (!x->has_resp && !x->local) {
			x_bad_gateway(r, x);
		} else if (!x->end_sent[H3R_CLIENT] && !x->ended[H3R_CLIENT] &&
			   (buf_len(&x->pend[H3R_CLIENT]) == 0 || h3x_head_waits(x, H3R_CLIENT))) {
			x->fresh[H3R_CLIENT] = x->wait[H3R_CLIENT] = false; /* it will not end */
			h3x_error(x, "the server connection ended: %s", why);
			x_reset(r, x, H3R_CLIENT, x->id[H3R_CLIENT], H3_REQUEST_CANCELLED);
		}
		h3x_maybe_done(r, x);
	}
	r->c[H3R_SERVER] = NULL;
	r->h[H3R_SERVER] = NULL;
}
