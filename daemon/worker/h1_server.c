/* Runs in a worker: HTTP/1.1 as an http_framing (http_framing.h) facing a
 * client.  A request head becomes a stream (ids 1, 3, 5, ... one at a time)
 * in HTTP/2 form (h2/map.c: Host to the authority, absolute-form split,
 * names lower-cased, connection-specific fields dropped), its body
 * (Content-Length or chunked, with the trailers) without transfer framing.
 * Expect: 100-continue is answered here (the field does not go on).  A
 * response head goes out as a status line and fields with Content-Length
 * when the engine gave one, else chunked to an HTTP/1.1 client (trailers
 * after the last chunk when the request said TE: trailers) or
 * close-delimited to an HTTP/1.0 one; Connection
 * says what happens next.  A malformed head is a connection error with the
 * status to answer (400, 431, 505): the engine may submit that answer on
 * sid 0 from on_conn_error, then the side is done.  The client's bytes are
 * untrusted (daemon/http1/ parses them); what the engine submits is
 * trusted but checked against response splitting.  Our own code rather
 * than a library: the HTTP/1 parser is snare's own, this only drives it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "output/dump.h"
#include "worker/h1_frame.h"
#include "worker/h1_server.h"

#define H1S_OUT_MAX (64u << 10) /* response bytes queued here */

struct http_framing {
	struct h1f_side s; /* first: the shared part */
	const char *scheme;
	int minor;		/* the request's HTTP/1.<minor> */
	bool keep_alive;	/* the request lets the connection go on */
	bool head_req, connect; /* HEAD, CONNECT */
	bool rq_ended;
	bool rs_head, rs_chunked, rs_nobody, rs_ended;
	bool sent_100, want_space;
	bool want_trailers; /* the request said TE: trailers */
	bool unseen;	    /* the stream answers a bad head: the engine never saw it */
	bool close_due;	    /* the stream is over: on_close at the next flush */
	bool closing;	    /* no more requests: done once the stream is over and out */
	bool failed;	    /* on_conn_error was called */
	bool switched;	    /* a 101 or a CONNECT 2xx went out: the framing's part ended */
	bool eof;
};

void h1s_set_scheme(struct http_framing *f, const char *scheme)
{
	f->scheme = scheme;
}

static struct http_framing *h1s_open(enum hf_side side, const struct hf_limits *lim,
				     const struct hf_events *ev, void *eng)
{
	struct http_framing *f;

	if (side != HF_SERVER)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	h1f_side_init(&f->s, lim, ev, eng, H1S_OUT_MAX);
	return f;
}

static void h1s_free(struct http_framing *f)
{
	if (f == NULL)
		return;
	h1f_side_free(&f->s);
	free(f);
}

/* The stream's last call; a response that ended before its request did
 * leaves the rest of that request unread, so nothing more is read. */
static void stream_over(struct http_framing *f)
{
	int32_t sid = f->s.sid;
	bool unseen = f->unseen;

	if (!f->rq_ended || !f->keep_alive)
		f->closing = true;
	f->s.sid = 0;
	f->close_due = f->unseen = false;
	if (!unseen)
		f->s.ev.on_close(f->s.eng, sid);
}

/* The response ended: the stream closes at the next flush (the connection
 * after it when the request had not ended: stream_over). */
static void maybe_over(struct http_framing *f)
{
	if (f->rs_ended && f->s.sid)
		f->close_due = true;
}

/* ---- the request ---- */

static int bad_head(struct http_framing *f, int err)
{
	int status = err == HTTP1_E_TOO_LARGE || err == HTTP1_E_TOO_MANY ? 431
		     : err == HTTP1_E_VERSION				 ? 505
									 : 400;

	f->failed = f->closing = true;
	f->rs_head = f->rs_ended = false; /* the answer to come is unsent */
	f->s.ev.on_conn_error(f->s.eng, HF_E_PROTOCOL, status, "invalid HTTP/1 request head");
	return -EPROTO;
}

/* rh's fields as h2_fields, Expect: 100-continue left out when answered. */
static size_t head_fields(const struct http1_head *rh, struct h2_field *fl)
{
	size_t n = 0;

	for (size_t i = 0; i < rh->nheaders; i++) {
		const struct http1_header *x = &rh->headers[i];

		if (rh->expect_continue && http1_str_ieq(x->name, "expect"))
			continue;
		fl[n++] = (struct h2_field){x->name.p, x->name.n, x->value.p, x->value.n};
	}
	return n;
}

/* The request head in HTTP/2 form (m initialised by the caller). */
static int map_head(struct http_framing *f, const struct http1_head *rh, struct h2_msg *m)
{
	struct h2_field fl[HTTP1_MAX_HEADERS_CAP];
	char *method = xstrndup(rh->method.p, rh->method.n);
	char *target = xstrndup(rh->target.p, rh->target.n);
	bool origin = target[0] == '/' || strcmp(target, "*") == 0;
	int r;

	r = h2_map_request_from_h1(m, method, target, f->scheme ? f->scheme : "http", fl,
				   head_fields(rh, fl));
	if (r == 0 && origin && f->scheme == NULL) {
		free(m->scheme);
		m->scheme = NULL;
	}
	/* HTTP/1.1 needs a Host (RFC 9112 3.2); absolute-form carries one */
	if (r == 0 && rh->version_minor == 1 && origin && http1_find(rh, "host") == NULL)
		r = -EINVAL;
	free(method);
	free(target);
	return r;
}

static void stream_start(struct http_framing *f, const struct http1_head *rh)
{
	f->s.sid = f->s.next_sid;
	f->s.next_sid += 2;
	f->minor = rh->version_minor;
	f->keep_alive = rh->keep_alive && !f->closing;
	f->head_req = http1_str_eq(rh->method, "HEAD");
	f->want_trailers = false;
	for (size_t i = 0; i < rh->nheaders; i++)
		if (http1_str_ieq(rh->headers[i].name, "te"))
			f->want_trailers |= http1_has_token(rh->headers[i].value, "trailers");
	f->connect = http1_str_eq(rh->method, "CONNECT");
	h1f_body_start(&f->s.body, rh->body, rh->content_length);
	f->rq_ended = h1f_body_empty(&f->s.body);
	f->rs_head = f->rs_chunked = f->rs_nobody = f->rs_ended = false;
	f->sent_100 = f->want_space = false;
}

static void deliver_head(struct http_framing *f, const struct h2_msg *m, int64_t cl, bool expect)
{
	struct hf_head h = {
	    .method = m->method,
	    .scheme = m->scheme,
	    .authority = m->authority,
	    .path = m->path,
	    .version = f->minor ? 11 : 10,
	    .fields = (const struct hf_field *)(const void *)m->fields,
	    .nfields = m->nfields,
	    .content_length = cl,
	};

	f->s.ev.on_head(f->s.eng, f->s.sid, &h, f->rq_ended);
	if (f->rq_ended && f->s.sid)
		f->s.ev.on_end(f->s.eng, f->s.sid);
	else if (expect && f->s.sid && !f->rs_head && !f->sent_100) {
		f->sent_100 = true;
		if (h1f_put(&f->s.out, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
			f->closing = true;
	}
	maybe_over(f);
}

/* Parses a request head: 1 when one was delivered, 0 when more is needed. */
static int feed_head(struct http_framing *f, struct buf *in)
{
	struct http1_head *rh;
	struct h2_msg m;
	int64_t cl;
	bool expect;
	int r;

	if (f->s.rh == NULL)
		f->s.rh = xcalloc(1, sizeof(*f->s.rh));
	rh = f->s.rh;
	r = http1_scan_request(buf_ptr(in), buf_len(in), &f->s.lim, rh);
	if (r == HTTP1_E_NEED_MORE)
		return 0;
	if (r != HTTP1_OK)
		return bad_head(f, r);
	h2_msg_init(&m);
	if (map_head(f, rh, &m) < 0) {
		h2_msg_free(&m);
		return bad_head(f, HTTP1_E_SYNTAX);
	}
	stream_start(f, rh);
	cl = rh->body == HTTP1_BODY_LENGTH ? (int64_t)rh->content_length : -1;
	expect =
	    rh->expect_continue && rh->version_minor == 1 && !f->rq_ended; /* RFC 9110 10.1.1 */
	buf_consume(in, rh->head_len);
	free(f->s.rh); /* 8 KiB an idle connection need not keep */
	f->s.rh = NULL;
	deliver_head(f, &m, cl, expect);
	h2_msg_free(&m);
	return 1;
}

static int feed_body(struct http_framing *f, struct buf *in)
{
	int r = h1f_body_feed(&f->s.body, in);

	if (r < 0) {
		f->closing = true;
		f->s.ev.on_reset(f->s.eng, f->s.sid, HF_E_PROTOCOL, true);
		stream_over(f);
		f->failed = true;
		f->s.ev.on_conn_error(f->s.eng, HF_E_PROTOCOL, 0, "invalid chunked request body");
		return -EPROTO;
	}
	if (f->s.body.done && f->s.sid) {
		f->rq_ended = true;
		f->s.ev.on_end(f->s.eng, f->s.sid);
		maybe_over(f);
	}
	return r;
}

static int h1s_feed(struct http_framing *f, struct buf *in)
{
	int r = 1;

	while (r > 0 && buf_len(in) > 0) {
		if (f->switched)
			return 0; /* the bytes are the next layer's */
		if (f->failed || f->eof || (f->closing && f->s.sid == 0)) {
			buf_consume(in, buf_len(in));
			return f->failed ? -EPROTO : 0;
		}
		if (f->s.sid == 0)
			r = feed_head(f, in);
		else if (!f->rq_ended && !f->close_due)
			r = feed_body(f, in);
		else
			return 0; /* a pipelined request waits for this stream's end */
	}
	return r < 0 ? r : 0;
}

void h1s_eof(struct http_framing *f)
{
	if (f->eof)
		return;
	f->eof = f->closing = true;
	if (f->s.sid == 0 || f->rq_ended || f->close_due)
		return;
	f->s.ev.on_reset(f->s.eng, f->s.sid, HF_E_CANCEL, true);
	stream_over(f);
}

/* ---- the response ---- */

static const char *reason(int status)
{
	const char *r = dump_status_reason((unsigned)status);

	return r[0] ? r : "Unknown";
}

static int status_line(struct buf *b, int status)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, reason(status));

	return h1f_put(b, line, (size_t)n);
}

/* An informational head: 100 once, none to an HTTP/1.0 client; 101 is the
 * engine's to write (it switches layers). */
static int32_t informational(struct http_framing *f, const struct h2_msg *m)
{
	int r;

	if (m->status == 101)
		return -ENOTSUP;
	if (f->minor == 0 || (m->status == 100 && f->sent_100))
		return 0;
	f->sent_100 |= m->status == 100;
	r = status_line(&f->s.out, m->status);
	for (size_t i = 0; i < m->nfields; i++)
		if (!h1f_conn_specific(&m->fields[i]))
			r |= h1f_put_field(&f->s.out, &m->fields[i]);
	r |= h1f_put(&f->s.out, "\r\n", 2);
	return r ? -ENOBUFS : 0;
}

/* How the body goes: Content-Length as given, chunked, or to the close.
 * An answer that comes before the request's end closes the connection
 * after the exchange (a body left unread cannot be skipped safely). */
static int final_head(struct http_framing *f, const struct h2_msg *m, bool end)
{
	bool has_cl = false, close;
	int r;

	f->rs_nobody =
	    f->head_req || m->status == 204 || m->status == 304 || (f->connect && m->status < 300);
	f->switched = f->connect && m->status < 300;
	for (size_t i = 0; i < m->nfields; i++)
		has_cl |= h1f_name_is(&m->fields[i], "content-length");
	f->rs_chunked = !f->rs_nobody && !has_cl && !end && f->minor == 1;
	close = !f->keep_alive || f->closing || f->failed || !f->rq_ended ||
		(!f->rs_nobody && !has_cl && !end && !f->rs_chunked);
	r = status_line(&f->s.out, m->status);
	for (size_t i = 0; i < m->nfields; i++)
		if (!h1f_conn_specific(&m->fields[i]))
			r |= h1f_put_field(&f->s.out, &m->fields[i]);
	if (f->rs_chunked)
		r |= h1f_put(&f->s.out, "transfer-encoding: chunked\r\n", 28);
	else if (end && !f->rs_nobody && !has_cl)
		r |= h1f_put(&f->s.out, "content-length: 0\r\n", 19);
	if (close && !f->switched)
		r |= h1f_put(&f->s.out, "connection: close\r\n", 19);
	else if (f->minor == 0 && !f->switched)
		r |= h1f_put(&f->s.out, "connection: keep-alive\r\n", 24);
	r |= h1f_put(&f->s.out, "\r\n", 2);
	if (close)
		f->keep_alive = false;
	return r ? -ENOBUFS : 0;
}

/* The answer to a bad head, submitted from on_conn_error: a stream the
 * engine never saw, and the last. */
static bool error_answer(struct http_framing *f, int32_t sid)
{
	if (sid != 0 || !f->failed || f->s.sid != 0 || f->rs_head)
		return false;
	f->s.sid = f->s.next_sid;
	f->s.next_sid += 2;
	f->minor = 1;
	f->keep_alive = f->head_req = f->connect = false;
	f->rq_ended = f->unseen = true;
	return true;
}

static int32_t h1s_submit_head(struct http_framing *f, int32_t sid, const struct hf_head *h,
			       bool end)
{
	struct h2_head in = {.status = h->status,
			     .fields = (const struct h2_field *)(const void *)h->fields,
			     .nfields = h->nfields};
	struct h2_msg m;
	int32_t r;

	if (!error_answer(f, sid) &&
	    (sid != f->s.sid || f->s.sid == 0 || f->rs_head || f->close_due))
		return -EINVAL;
	if (h->status < 100 || h->status > 999 || !h1f_fields_ok(in.fields, in.nfields))
		return -EINVAL;
	h2_msg_init(&m);
	r = h2_map_response_to_h1(&m, &in);
	if (r == 0 && h->status < 200)
		r = informational(f, &m);
	else if (r == 0) {
		r = final_head(f, &m, end);
		f->rs_head = true;
		f->rs_ended = end;
		maybe_over(f);
	}
	h2_msg_free(&m);
	return r;
}

static ssize_t h1s_submit_data(struct http_framing *f, int32_t sid, const uint8_t *p, size_t n)
{
	size_t room = h1f_room(&f->s.out, H1S_OUT_MAX);

	if (sid != f->s.sid || f->s.sid == 0 || !f->rs_head || f->rs_ended)
		return -EINVAL;
	if (f->rs_nobody || n == 0)
		return (ssize_t)n; /* HEAD, 204, 304: no body goes out */
	if (n > room) {		   /* the rest waits for on_send_space */
		n = room;
		f->want_space = true;
	}
	if (n == 0)
		return 0;
	return h1f_put_data(&f->s.out, f->rs_chunked, p, n) ? -ENOBUFS : (ssize_t)n;
}

static int h1s_submit_end(struct http_framing *f, int32_t sid, const struct hf_field *t, size_t n)
{
	int r = 0;

	if (sid != f->s.sid || f->s.sid == 0 || !f->rs_head || f->rs_ended)
		return 0;
	f->rs_ended = true;
	if (f->rs_chunked)
		r = h1f_put_last_chunk(&f->s.out, (const struct h2_field *)(const void *)t,
				       f->want_trailers ? n : 0);
	maybe_over(f);
	return r;
}

/* HTTP/1 has no stream reset: the connection ends (a response cut short
 * is seen as such by the client).  Before any response head the client
 * gets a 502 rather than an empty reply. */
static int h1s_submit_reset(struct http_framing *f, int32_t sid, uint32_t code)
{
	static const char bad_gateway[] = "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n"
					  "connection: close\r\n\r\n";

	(void)code;
	if (sid != f->s.sid || f->s.sid == 0)
		return 0;
	if (!f->rs_head && !f->close_due) {
		(void)h1f_put(&f->s.out, bad_gateway, sizeof(bad_gateway) - 1);
		f->rs_head = f->rs_ended = true;
		f->keep_alive = false;
	}
	f->closing = true;
	f->close_due = true; /* told at the next flush: not from inside a submit */
	return 0;
}

static int h1s_consume(struct http_framing *f, int32_t sid, size_t n)
{
	(void)sid;
	h1f_body_consume(&f->s.body, n);
	return 0;
}

static bool h1s_can_open(const struct http_framing *f)
{
	(void)f;
	return false; /* streams open when requests arrive */
}

static bool h1s_done(const struct http_framing *f)
{
	return buf_len(&f->s.out) == 0 &&
	       (f->switched || ((f->closing || f->failed) && f->s.sid == 0 && !f->close_due));
}

static int h1s_flush(struct http_framing *f, struct buf *out)
{
	size_t n = buf_len(&f->s.out);

	if (n > buf_room(out))
		n = buf_room(out);
	if (n > 0) {
		if (buf_append(out, buf_ptr(&f->s.out), n) < 0)
			return -ENOBUFS;
		buf_consume(&f->s.out, n);
	}
	if (f->close_due)
		stream_over(f);
	if (f->want_space && f->s.sid && buf_len(&f->s.out) < H1S_OUT_MAX / 2) {
		f->want_space = false;
		f->s.ev.on_send_space(f->s.eng, f->s.sid);
	}
	return 0;
}

const struct http_framing_ops h1s_framing_ops = {
    .name = "HTTP/1.1",
    .alpn = "http/1.1",
    .open = h1s_open,
    .free = h1s_free,
    .feed = h1s_feed,
    .flush = h1s_flush,
    .done = h1s_done,
    .submit_head = h1s_submit_head,
    .submit_data = h1s_submit_data,
    .submit_end = h1s_submit_end,
    .submit_reset = h1s_submit_reset,
    .consume = h1s_consume,
    .can_open = h1s_can_open,
};
