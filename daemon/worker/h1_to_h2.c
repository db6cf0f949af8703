/* Runs in a worker: an HTTP/1.1 client's exchanges over an h2 server
 * connection.  The HTTP/1 engine (http_exchange.c) stays as it is and
 * writes and reads HTTP/1.1 bytes on c->server; around its step this file
 * swaps the server stream's in/out buffers for two of its own, reads the
 * request the engine wrote (head, Content-Length or chunked body) and
 * submits it as one stream of an h2 session (h2_framing.c, HF_CLIENT; the
 * head mapped by daemon/h2/map.c: request line and Host to pseudo-headers,
 * connection-specific fields dropped), and writes the response back as
 * HTTP/1.1 (Content-Length when the server gave one, else chunked, with
 * trailers only when the request asked for them with TE: trailers).  One
 * h2 connection carries the client connection's requests one after the
 * other.  Request trailers go as HTTP/2 trailers.  Memory: the response buffer is fed only while it
 * holds less than a stream buffer, the request buffer is the engine's bounded one.  The bytes the
 * engine wrote are trusted (it built them); the server's are checked by the h2 framing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

#include "core/log.h"
#include "core/loop.h"
#include "h2/h2.h"
#include "http1/http1.h"
#include "output/dump.h"
#include "worker/conn.h"
#include "worker/h1_to_h2.h"
#include "worker/h2_framing.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/modes.h"
#include "worker/worker_ctx.h"

enum h1h2_mode { H1H2_UNDECIDED, H1H2_H2 };

struct h1h2 {
	enum h1h2_mode mode;
	bool swapped;		  /* c->server's in/out are ours (the engine runs) */
	struct http_framing *f;	  /* the h2 session facing the server */
	struct buf h1_in, h1_out; /* HTTP/1.1 bytes for / from the engine */
	/* the request in flight */
	int32_t sid; /* 0: none */
	bool head_sent, req_done, want_trailers, head_req;
	enum http1_body body;
	uint64_t remaining;
	struct http1_chunked chunked;
	struct buf pending; /* decoded request body not yet taken by the session */
	struct buf rawtail; /* chunked framing after the last payload byte: the trailers */
	const uint8_t *feed_base;
	size_t feed_end; /* where the last payload piece of a feed ended (SIZE_MAX: none) */
	/* its response */
	bool chunked_out, resp_end;
	struct buf trailers; /* HTTP/1 trailer lines, when the client wants them */
};

static const struct http_framing_ops *const ops = &h2_framing_ops;

static bool alpn_is_h2(const struct conn *c)
{
	const unsigned char *p = NULL;
	unsigned n = 0;

	if (c->server.ssl)
		SSL_get0_alpn_selected(c->server.ssl, &p, &n);
	return n == 2 && memcmp(p, "h2", 2) == 0;
}

/* http2_origin: TLS servers that may take h2, decided once the handshake
 * is over (reverse http:// servers are asked in h2c by the HTTP/2 layer:
 * layer.c). */
static bool h1h2_wanted(const struct conn *c)
{
	if (!wk->opts.http2 || !wk->opts.http2_origin || !c->tunnel || c->force_raw ||
	    c->server.ssl == NULL)
		return false;
	return !c->server.tls_done || alpn_is_h2(c);
}

static void swap_bufs(struct conn *c, struct h1h2 *x)
{
	struct buf t = c->server.in;

	c->server.in = x->h1_in;
	x->h1_in = t;
	t = c->server.out;
	c->server.out = x->h1_out;
	x->h1_out = t;
	x->swapped = !x->swapped;
}

struct buf *h1h2_head_out(struct conn *c)
{
	struct h1h2 *x = c->http ? c->http->h1h2 : NULL;

	return x && !x->swapped ? &x->h1_out : &c->server.out;
}

bool h1h2_usable(const struct conn *c)
{
	const struct h1h2 *x = c->http ? c->http->h1h2 : NULL;

	return !x || x->mode != H1H2_H2 || (ops->can_open(x->f) && !ops->done(x->f));
}

void h1h2_free(struct conn *c)
{
	struct h1h2 *x = c->http ? c->http->h1h2 : NULL;

	if (!x)
		return;
	if (x->swapped)
		swap_bufs(c, x);
	if (x->f)
		ops->free(x->f);
	buf_free(&x->h1_in);
	buf_free(&x->h1_out);
	buf_free(&x->pending);
	buf_free(&x->rawtail);
	buf_free(&x->trailers);
	free(x);
	c->http->h1h2 = NULL;
}

/* The server's stream failed: the engine answers 502 or ends the response. */
static void h1h2_fail(struct conn *c, const char *why)
{
	if (!c->server.failed)
		stream_fail(&c->server, "HTTP/2 server: %s", why);
}

static void put(struct conn *c, struct h1h2 *x, const void *p, size_t n)
{
	if (buf_append(x->swapped ? &c->server.in : &x->h1_in, p, n) < 0)
		h1h2_fail(c, "response buffer full");
}

static void putf(struct conn *c, struct h1h2 *x, const char *fmt, ...) SNARE_PRINTF(3, 4);
static void putf(struct conn *c, struct h1h2 *x, const char *fmt, ...)
{
	char line[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	put(c, x, line, (size_t)n);
}

/* HTTP/2 has no reason phrase: the standard one, or a placeholder. */
static const char *reason(int status)
{
	const char *r = dump_status_reason((unsigned)status);

	return r[0] ? r : "Unknown";
}

static void put_fields(struct conn *c, struct h1h2 *x, const struct hf_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		put(c, x, f[i].name, f[i].name_len);
		put(c, x, ": ", 2);
		put(c, x, f[i].value, f[i].value_len);
		put(c, x, "\r\n", 2);
	}
}

static void ev_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct conn *c = eng;
	struct h1h2 *x = c->http->h1h2;
	bool no_body = x->head_req || h->status == 204 || h->status == 304;

	if (sid != x->sid)
		return;
	putf(c, x, "HTTP/1.1 %d %s\r\n", h->status, reason(h->status));
	put_fields(c, x, h->fields, h->nfields);
	if (h->status < 200) {
		put(c, x, "\r\n", 2);
		return;
	}
	x->chunked_out = !no_body && !end && h->content_length < 0;
	if (x->chunked_out)
		put(c, x, "transfer-encoding: chunked\r\n", 28);
	else if (end && !no_body && h->content_length < 0)
		put(c, x, "content-length: 0\r\n", 19);
	put(c, x, "\r\n", 2);
}

static void ev_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct conn *c = eng;
	struct h1h2 *x = c->http->h1h2;

	if (sid != x->sid || n == 0)
		return;
	if (x->chunked_out)
		putf(c, x, "%zx\r\n", n);
	put(c, x, p, n);
	if (x->chunked_out)
		put(c, x, "\r\n", 2);
	(void)ops->consume(x->f, sid, n);
}

static void ev_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	struct conn *c = eng;
	struct h1h2 *x = c->http->h1h2;

	for (size_t i = 0; sid == x->sid && x->chunked_out && x->want_trailers && i < n; i++)
		if (buf_append(&x->trailers, f[i].name, f[i].name_len) < 0 ||
		    buf_append(&x->trailers, ": ", 2) < 0 ||
		    buf_append(&x->trailers, f[i].value, f[i].value_len) < 0 ||
		    buf_append(&x->trailers, "\r\n", 2) < 0)
			h1h2_fail(c, "trailers too large");
}

static void ev_end(void *eng, int32_t sid)
{
	struct conn *c = eng;
	struct h1h2 *x = c->http->h1h2;

	if (sid != x->sid)
		return;
	if (x->chunked_out) {
		put(c, x, "0\r\n", 3);
		put(c, x, buf_ptr(&x->trailers), buf_len(&x->trailers));
		put(c, x, "\r\n", 2);
	}
	buf_reset(&x->trailers);
	x->resp_end = true;
}

static void ev_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	struct conn *c = eng;
	struct h1h2 *x = c->http->h1h2;
	char why[64];

	if (sid != x->sid || x->resp_end)
		return;
	snprintf(why, sizeof(why), "stream reset%s (%s)", by_peer ? " by the server" : "",
		 h2_error_name(code));
	h1h2_fail(c, why);
}

static void ev_close(void *eng, int32_t sid)
{
	struct conn *c = eng;
	struct h1h2 *x = c->http->h1h2;

	if (sid == x->sid && x->resp_end && x->req_done) {
		x->sid = 0;
		x->head_sent = false;
	}
}

static void ev_send_space(void *eng, int32_t sid)
{
	(void)eng;
	(void)sid;
}

static void ev_conn_error(void *eng, uint32_t code, int http_status, const char *why)
{
	struct conn *c = eng;
	struct h1h2 *x = c->http->h1h2;

	(void)http_status;
	if (x->sid && !x->resp_end)
		h1h2_fail(c, why ? why : h2_error_name(code));
}

static const struct hf_events events = {
    .on_head = ev_head,
    .on_data = ev_data,
    .on_trailers = ev_trailers,
    .on_end = ev_end,
    .on_reset = ev_reset,
    .on_close = ev_close,
    .on_send_space = ev_send_space,
    .on_conn_error = ev_conn_error,
};

void h1h2_attach(struct conn *c)
{
	struct h1h2 *x;
	struct buf t;

	if (c->http->h1h2 || !h1h2_wanted(c))
		return;
	x = xcalloc(1, sizeof(*x));
	buf_init(&x->h1_in, 2 * STREAM_BUF_MAX + 4096);
	buf_init(&x->h1_out, STREAM_BUF_MAX);
	buf_init(&x->pending, STREAM_BUF_MAX);
	buf_init(&x->rawtail, HTTP1_CHUNK_LINE_MAX + HTTP1_TRAILER_MAX_BYTES + 16);
	buf_init(&x->trailers, 8192);
	/* the head just written goes to the translation, the stream's buffer
	 * stays empty for the h2 frames */
	t = c->server.out;
	c->server.out = x->h1_out;
	x->h1_out = t;
	c->http->h1h2 = x;
}

/* A parsed request head, mapped to h2 form and submitted as a new stream;
 * what the body needs is kept in x. */
static int submit_parsed_head(struct conn *c, struct h1h2 *x, const struct http1_head *hd)
{
	struct h2_field *fl = xcalloc(hd->nheaders + 1, sizeof(*fl));
	char *method = xstrndup(hd->method.p, hd->method.n);
	char *target = xstrndup(hd->target.p, hd->target.n);
	const struct http1_header *te = http1_find(hd, "te");
	struct h2_msg m;
	struct h2_head hh;
	int32_t sid;
	int r;

	for (size_t i = 0; i < hd->nheaders; i++)
		fl[i] = (struct h2_field){hd->headers[i].name.p, hd->headers[i].name.n,
					  hd->headers[i].value.p, hd->headers[i].value.n};
	h2_msg_init(&m);
	r = h2_map_request_from_h1(&m, method, target, c->server_tls ? "https" : "http", fl,
				   hd->nheaders);
	x->want_trailers = te && http1_has_token(te->value, "trailers");
	x->head_req = strcmp(method, "HEAD") == 0;
	x->body = hd->body;
	x->remaining = hd->content_length;
	x->req_done = x->body == HTTP1_BODY_NONE || (x->body == HTTP1_BODY_LENGTH && !x->remaining);
	http1_chunked_init(&x->chunked);
	hh = h2_msg_head(&m);
	if (r == 0) {
		struct hf_head h = {
		    .method = hh.method,
		    .scheme = hh.scheme,
		    .authority = hh.authority,
		    .path = hh.path,
		    .version = 11,
		    .fields = (const struct hf_field *)hh.fields, /* the same layout */
		    .nfields = hh.nfields,
		    .content_length = x->body == HTTP1_BODY_LENGTH ? (int64_t)x->remaining : -1,
		};
		sid = ops->submit_head(x->f, 0, &h, x->req_done);
		r = sid < 0 ? sid : 0;
		x->sid = sid < 0 ? 0 : sid;
	}
	h2_msg_free(&m);
	free(fl);
	free(method);
	free(target);
	return r;
}

/* The request head the engine wrote in h1_out, as a new stream: 1 when
 * submitted, 0 when incomplete, or a negative errno. */
static int submit_request_head(struct conn *c, struct h1h2 *x)
{
	struct http1_head *hd = xcalloc(1, sizeof(*hd)); /* big: only while parsed */
	struct http1_limits lim;
	int r;

	http1_limits_default(&lim);
	lim.max_head_bytes = STREAM_BUF_MAX;
	r = http1_parse_request(buf_ptr(&x->h1_out), buf_len(&x->h1_out), &lim, hd);
	if (r == HTTP1_E_NEED_MORE) {
		r = 0;
	} else if (r != HTTP1_OK) {
		r = -EPROTO;
	} else if ((r = submit_parsed_head(c, x, hd)) == 0) {
		buf_consume(&x->h1_out, hd->head_len);
		x->head_sent = true;
		x->resp_end = false;
		x->chunked_out = false;
		r = 1;
	}
	free(hd);
	return r;
}

static void pending_piece(void *arg, const uint8_t *d, size_t n)
{
	struct h1h2 *x = arg;

	if (buf_append(&x->pending, d, n) < 0)
		x->chunked.state = -1; /* cannot happen: fed at most its room */
	x->feed_end = (size_t)(d + n - x->feed_base);
}

/* Keeps the framing bytes a feed consumed after its last payload byte. */
static void keep_tail(struct h1h2 *x, size_t used)
{
	size_t from = x->feed_end == SIZE_MAX ? 0 : x->feed_end;

	if (x->feed_end != SIZE_MAX)
		buf_reset(&x->rawtail);
	if (used > from && buf_append(&x->rawtail, x->feed_base + from, used - from) < 0)
		buf_reset(&x->rawtail); /* cannot happen: the decoder bounds them */
}

/* The trailer fields of a finished chunked request, from what followed its
 * last payload byte (a CRLF, the last-chunk line, trailer lines, an empty
 * line; the decoder checked their syntax), in h2 form in m. */
static int request_trailers(struct h1h2 *x, struct h2_msg *m)
{
	const char *p = (const char *)buf_ptr(&x->rawtail), *end = p + buf_len(&x->rawtail);
	struct h2_field f[HTTP1_TRAILER_MAX_COUNT];
	bool size_line = true;
	size_t n = 0;

	while (p < end && n < ARRAY_SIZE(f)) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol, *colon, *v;

		nl = nl ? nl : end;
		eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (eol > p && size_line) {
			size_line = false;
		} else if (eol > p && colon) {
			for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			while (eol > v && (eol[-1] == ' ' || eol[-1] == '\t'))
				eol--;
			f[n++] = (struct h2_field){p, (size_t)(colon - p), v, (size_t)(eol - v)};
		} else if (eol == p && !size_line) {
			break;
		}
		p = nl + 1;
	}
	return h2_map_fields_from_h1(m, f, n);
}

/* The request's end, with its trailers. */
static int submit_request_end(struct h1h2 *x)
{
	struct h2_msg m;
	int r = 0;

	h2_msg_init(&m);
	if (x->body == HTTP1_BODY_CHUNKED)
		r = request_trailers(x, &m);
	if (r == 0)
		r = ops->submit_end(x->f, x->sid, (const struct hf_field *)m.fields, m.nfields);
	h2_msg_free(&m);
	buf_reset(&x->rawtail);
	return r;
}

/* Moves request body bytes from h1_out to the session as far as it takes. */
static int submit_request_body(struct h1h2 *x, bool *progress)
{
	size_t n = buf_len(&x->h1_out), used;
	ssize_t took;

	if (x->body == HTTP1_BODY_CHUNKED && buf_len(&x->pending) == 0 && n > 0) {
		if (n > buf_room(&x->pending))
			n = buf_room(&x->pending);
		x->feed_base = buf_ptr(&x->h1_out);
		x->feed_end = SIZE_MAX;
		if (http1_chunked_feed(&x->chunked, x->feed_base, n, &used, pending_piece, x) !=
		    HTTP1_OK)
			return -EPROTO;
		keep_tail(x, used);
		buf_consume(&x->h1_out, used);
		*progress = true;
	}
	if (x->body == HTTP1_BODY_LENGTH) {
		n = n > x->remaining ? (size_t)x->remaining : n;
		took = n ? ops->submit_data(x->f, x->sid, buf_ptr(&x->h1_out), n) : 0;
		if (took < 0)
			return (int)took;
		buf_consume(&x->h1_out, (size_t)took);
		x->remaining -= (uint64_t)took;
		x->req_done = x->remaining == 0;
	} else if (buf_len(&x->pending)) {
		took = ops->submit_data(x->f, x->sid, buf_ptr(&x->pending), buf_len(&x->pending));
		if (took < 0)
			return (int)took;
		buf_consume(&x->pending, (size_t)took);
	}
	if (x->body == HTTP1_BODY_CHUNKED)
		x->req_done = x->chunked.done && buf_len(&x->pending) == 0;
	*progress |= x->req_done;
	return x->req_done ? submit_request_end(x) : 0;
}

/* What the engine wrote since the last step, onto the session. */
static void h1h2_send(struct conn *c, struct h1h2 *x, bool *progress)
{
	int r = 0;

	if (!x->head_sent && buf_len(&x->h1_out) > 0 && x->sid == 0)
		r = submit_request_head(c, x);
	if (r > 0)
		*progress = true;
	if (r >= 0 && x->head_sent && !x->req_done)
		r = submit_request_body(x, progress);
	if (r < 0)
		h1h2_fail(c, "cannot send the request");
}

/* TLS done: h2 translates, anything else hands the request back to the
 * stream as it is. */
static bool h1h2_decide(struct conn *c, struct h1h2 *x)
{
	struct hf_limits lim = {
	    .max_head_bytes = (size_t)wk->opts.max_header_bytes,
	    .max_fields = (size_t)wk->opts.max_headers,
	    .max_streams = 100,
	};

	if (!c->server.tls_done)
		return false;
	if (!alpn_is_h2(c)) {
		if (buf_append(&c->server.out, buf_ptr(&x->h1_out), buf_len(&x->h1_out)) < 0)
			h1h2_fail(c, "request buffer full");
		h1h2_free(c);
		return false;
	}
	x->f = ops->open(HF_CLIENT, &lim, &events, c);
	x->mode = H1H2_H2;
	conn_client_log(c, LOG_LVL_DEBUG, "HTTP/1.1 client, HTTP/2 server: translating");
	return true;
}

/* Empty buffers give back their memory (an idle kept connection holds
 * only the h2 session). */
static void h1h2_trim(struct h1h2 *x)
{
	struct buf *b[] = {&x->h1_in, &x->h1_out, &x->pending, &x->trailers, &x->rawtail};

	for (size_t i = 0; i < ARRAY_SIZE(b); i++)
		if (buf_len(b[i]) == 0)
			buf_free(b[i]);
}

void h1h2_step(struct conn *c, bool *progress, void (*engine)(struct conn *c, bool *progress))
{
	struct h1h2 *x = c->http->h1h2;
	size_t out_before;

	if (x && x->mode == H1H2_UNDECIDED && !h1h2_decide(c, x))
		x = c->http->h1h2; /* freed when the server took HTTP/1.1 */
	if (x && x->mode == H1H2_H2 && buf_len(&c->server.in) > 0 &&
	    buf_len(&x->h1_in) < STREAM_BUF_MAX) {
		if (ops->feed(x->f, &c->server.in) < 0)
			h1h2_fail(c, "connection error");
		*progress = true;
	}
	if (x)
		swap_bufs(c, x);
	engine(c, progress);
	if (c->freed || c->http == NULL || (x = c->http->h1h2) == NULL)
		return;
	if (x->swapped)
		swap_bufs(c, x);
	if (x->mode == H1H2_H2) {
		h1h2_send(c, x, progress);
		out_before = buf_len(&c->server.out);
		(void)ops->flush(x->f, &c->server.out);
		if (buf_len(&c->server.out) != out_before)
			*progress = true;
	}
	h1h2_trim(x);
}
