/* Runs in a worker: HTTP/1.1 as an http_framing (http_framing.h) facing a
 * server, the server side of a translation.  A request head from HTTP/2
 * form becomes a request line and fields (h2/map.c: Host from :authority,
 * cookie crumbs joined), its body Content-Length or chunked (with the
 * trailers); the response head goes back in HTTP/2 form (connection-specific
 * fields dropped, names lower-cased), its body without transfer framing and
 * the chunked trailers as trailers.  One request at a time, no pipelining.
 * The server's bytes are untrusted (daemon/http1/ parses them); what the
 * engine submits is trusted.  Our own code rather than a library: the
 * HTTP/1 parser is snare's own (daemon/http1/), this only drives it.
 *
 * An extended CONNECT for a WebSocket (RFC 8441 section 5) becomes a GET
 * with Upgrade: websocket and a Sec-WebSocket-Key of ours; the server's 101
 * (its Sec-WebSocket-Accept checked) goes back as 200 without the upgrade
 * fields, and from then on the connection is a byte tunnel for that stream
 * (never reused): request body bytes go out as they are, the server's bytes
 * come back as the body until it closes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/util.h"
#include "h2/h2.h"
#include "http1/http1.h"
#include "worker/h1_client.h"
#include "worker/h1_frame.h"

#define H1C_OUT_MAX (64u << 10) /* request bytes queued here */

struct http_framing {
	struct h1f_side s; /* first: the shared part */
	char method[32];
	bool rq_chunked, rq_ended, want_space;
	bool rs_head, rs_ended;
	bool tunnel;	    /* a WebSocket upgrade (RFC 8441): raw bytes after the 101 */
	char ws_accept[32]; /* the Sec-WebSocket-Accept the server must answer */
	bool shut_due;	    /* the tunnel's request side ended: shut the socket's write side */
	bool close_due;	    /* on_close is owed to the engine (after a reset) */
	bool broken;	    /* the connection will carry nothing more */
	bool eof;
};

/* Methods whose requests carry a body by habit: an empty one is said. */
static bool body_method(const char *m)
{
	static const char *const none[] = {"GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"};

	for (size_t i = 0; i < ARRAY_SIZE(none); i++)
		if (strcmp(m, none[i]) == 0)
			return false;
	return true;
}

/* RFC 6455 4.1: a random 16-byte key, and the accept value it asks for. */
static int ws_key_make(char key[32], char accept[32])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char raw[16], md[SHA_DIGEST_LENGTH];
	char src[24 + sizeof(guid)];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw)); /* 24 characters */
	snprintf(src, sizeof(src), "%.24s%s", key, guid);
	SHA1((const unsigned char *)src, strlen(src), md);
	EVP_EncodeBlock((unsigned char *)accept, md, sizeof(md)); /* 28 characters */
	return 0;
}

/* The fields an Upgrade to WebSocket adds to the request (RFC 8441 5): the
 * h2 side has no key, and its version field is kept when it sent one. */
static int ws_upgrade_fields(struct http_framing *f, struct buf *out, const struct h2_msg *m)
{
	static const char up[] = "connection: upgrade\r\nupgrade: websocket\r\n"
				 "sec-websocket-key: ",
			  ver[] = "sec-websocket-version: 13\r\n";
	char key[32];
	bool version = false;
	int r;

	for (size_t i = 0; i < m->nfields; i++)
		version |= h1f_name_is(&m->fields[i], "sec-websocket-version");
	if (ws_key_make(key, f->ws_accept) < 0)
		return -EIO;

	r = h1f_put(out, up, sizeof(up) - 1) | h1f_put(out, key, strlen(key)) |
	    h1f_put(out, "\r\n", 2);
	if (!version)
		r |= h1f_put(out, ver, sizeof(ver) - 1);
	return r ? -ENOBUFS : 0;
}

/* The request head in HTTP/1.1 form; *chunked when the body needs it (never
 * on a tunnel). */
static int request_bytes(struct http_framing *f, struct buf *out, const struct h2_msg *m, bool end,
			 bool *chunked)
{
	bool has_cl = false, has_host = false;
	int r;

	/* A head a hook changed never went through nghttp2's checks: no
	 * request splitting through a CR, LF or space (http1/check.c). */
	if (!http1_token_ok(m->method, strlen(m->method)) ||
	    !http1_target_ok(m->path, strlen(m->path)) || !h1f_fields_ok(m->fields, m->nfields))
		return -EINVAL;
	r = h1f_put(out, m->method, strlen(m->method)) | h1f_put(out, " ", 1) |
	    h1f_put(out, m->path, strlen(m->path)) | h1f_put(out, " HTTP/1.1\r\n", 11);
	for (size_t i = 0; i < m->nfields; i++) {
		if (h1f_conn_specific(&m->fields[i]) ||
		    (f->tunnel && h1f_name_is(&m->fields[i], "sec-websocket-key")))
			continue;
		has_cl |= h1f_name_is(&m->fields[i], "content-length");
		has_host |= h1f_name_is(&m->fields[i], "host");
		r |= h1f_put_field(out, &m->fields[i]);
	}
	if (!has_host)
		return -EINVAL;
	*chunked = !has_cl && !end && !f->tunnel;
	if (f->tunnel)
		r |= ws_upgrade_fields(f, out, m);
	else if (*chunked)
		r |= h1f_put(out, "transfer-encoding: chunked\r\n", 28);
	else if (!has_cl && body_method(m->method))
		r |= h1f_put(out, "content-length: 0\r\n", 19);
	r |= h1f_put(out, "\r\n", 2);
	return r ? -ENOBUFS : 0;
}

static struct http_framing *h1c_open(enum hf_side side, const struct hf_limits *lim,
				     const struct hf_events *ev, void *eng)
{
	struct http_framing *f;

	if (side != HF_CLIENT)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	h1f_side_init(&f->s, lim, ev, eng, H1C_OUT_MAX);
	return f;
}

static void h1c_free(struct http_framing *f)
{
	if (f == NULL)
		return;
	h1f_side_free(&f->s);
	free(f);
}

static void stream_over(struct http_framing *f)
{
	int32_t sid = f->s.sid;

	f->s.sid = 0;
	f->close_due = false;
	free(f->s.rh);
	f->s.rh = NULL;
	f->s.ev.on_close(f->s.eng, sid);
}

static int32_t h1c_submit_head(struct http_framing *f, int32_t sid, const struct hf_head *h,
			       bool end)
{
	struct h2_head in = {
	    .method = h->method,
	    .scheme = h->scheme,
	    .authority = h->authority,
	    .path = h->path,
	    .protocol = h->protocol,
	    .fields = (const struct h2_field *)(const void *)h->fields,
	    .nfields = h->nfields,
	};
	struct h2_msg m;
	struct buf head;
	int r;

	if (sid != 0 || f->s.sid != 0 || f->broken || f->eof)
		return -EBUSY;
	h2_msg_init(&m);
	buf_init(&head, f->s.lim.max_head_bytes + 1024);
	f->tunnel = h2_ws_connect(h->method, h->protocol);
	if (h->protocol && !f->tunnel)
		r = -EINVAL; /* no other protocol has an HTTP/1.1 form */
	else
		r = f->tunnel ? h2_ws_request_to_h1(&m, &in) : h2_map_request_to_h1(&m, &in);
	if (r == 0 && (strlen(m.method) >= sizeof(f->method) || strcmp(m.method, "CONNECT") == 0))
		r = -EINVAL;
	if (r == 0)
		r = request_bytes(f, &head, &m, end, &f->rq_chunked);
	if (r == 0)
		r = buf_append(&f->s.out, buf_ptr(&head), buf_len(&head));
	if (r == 0)
		snprintf(f->method, sizeof(f->method), "%s", m.method);
	h2_msg_free(&m);
	buf_free(&head);
	if (r < 0)
		return r;
	f->s.sid = f->s.next_sid;
	f->s.next_sid += 2;
	/* a tunnel's connection is never used again, whatever the answer: its
	 * write side may be shut (shut_due) before a non-101 answer comes */
	f->broken = f->tunnel;
	f->rq_ended = end;
	f->shut_due = false;
	f->rs_head = f->rs_ended = false;
	f->s.body.unconsumed = 0;
	return f->s.sid;
}

static ssize_t h1c_submit_data(struct http_framing *f, int32_t sid, const uint8_t *p, size_t n)
{
	size_t room = h1f_room(&f->s.out, H1C_OUT_MAX);

	if (sid != f->s.sid || f->s.sid == 0 || f->rs_ended || f->close_due)
		return (ssize_t)n; /* the exchange is over: what is left goes nowhere */
	if (f->rq_ended)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (n > room) { /* the rest waits for on_send_space */
		n = room;
		f->want_space = true;
	}
	if (n == 0)
		return 0;
	return h1f_put_data(&f->s.out, f->rq_chunked, p, n) ? -ENOBUFS : (ssize_t)n;
}

static int h1c_submit_end(struct http_framing *f, int32_t sid, const struct hf_field *t, size_t n)
{
	if (sid != f->s.sid || f->s.sid == 0 || f->rq_ended)
		return 0;
	f->rq_ended = true;
	f->shut_due = f->tunnel; /* the client's END_STREAM: FIN towards the server */
	if (f->rq_chunked)
		return h1f_put_last_chunk(&f->s.out, (const struct h2_field *)(const void *)t, n);
	return 0;
}

/* An exchange abandoned midway leaves the connection unusable. */
static int h1c_submit_reset(struct http_framing *f, int32_t sid, uint32_t code)
{
	(void)code;
	if (sid != f->s.sid || f->s.sid == 0)
		return 0;
	f->broken = true;
	f->close_due = true; /* told at the next flush: not from inside a submit */
	return 0;
}

static int h1c_consume(struct http_framing *f, int32_t sid, size_t n)
{
	(void)sid;
	h1f_body_consume(&f->s.body, n);
	return 0;
}

static bool h1c_can_open(const struct http_framing *f)
{
	return f->s.sid == 0 && !f->broken && !f->eof;
}

bool h1c_write_shut(const struct http_framing *f)
{
	return f->shut_due && buf_len(&f->s.out) == 0;
}

bool h1c_idle(const struct http_framing *f)
{
	return f->s.sid == 0;
}

static bool h1c_done(const struct http_framing *f)
{
	return (f->broken || f->eof) && f->s.sid == 0 && buf_len(&f->s.out) == 0;
}

static int h1c_flush(struct http_framing *f, struct buf *out)
{
	size_t n = buf_len(&f->s.out);

	if (f->close_due)
		stream_over(f);
	if (n > buf_room(out))
		n = buf_room(out);
	if (n > 0) {
		if (buf_append(out, buf_ptr(&f->s.out), n) < 0)
			return -ENOBUFS;
		buf_consume(&f->s.out, n);
	}
	if (f->want_space && f->s.sid && buf_len(&f->s.out) < H1C_OUT_MAX / 2) {
		f->want_space = false;
		f->s.ev.on_send_space(f->s.eng, f->s.sid);
	}
	return 0;
}

/* ---- the response ---- */

/* The server broke HTTP/1: the stream is reset, the connection is over. */
static int fail(struct http_framing *f, const char *why)
{
	int32_t sid = f->s.sid;

	f->broken = true;
	if (sid) {
		f->s.ev.on_reset(f->s.eng, sid, HF_E_PROTOCOL, true);
		stream_over(f);
	}
	f->s.ev.on_conn_error(f->s.eng, HF_E_PROTOCOL, 502, why);
	return -EPROTO;
}

/* The response ended: the stream closes once the request has too; a
 * request cut short by an early response leaves the connection unusable. */
static void response_done(struct http_framing *f)
{
	f->rs_ended = true;
	f->s.ev.on_end(f->s.eng, f->s.sid);
	if (!f->rq_ended)
		f->broken = true;
	stream_over(f);
}

static int deliver_head(struct http_framing *f, const struct http1_head *rh, bool final)
{
	struct h2_field fl[HTTP1_MAX_HEADERS_CAP];
	struct h2_msg m;
	struct hf_head h = {.status = rh->status, .version = rh->version_minor ? 11 : 10};
	bool end = final && h1f_body_empty(&f->s.body);
	int r;

	for (size_t i = 0; i < rh->nheaders; i++)
		fl[i] = (struct h2_field){rh->headers[i].name.p, rh->headers[i].name.n,
					  rh->headers[i].value.p, rh->headers[i].value.n};
	h2_msg_init(&m);
	r = h2_map_response_from_h1(&m, rh->status, fl, rh->nheaders);
	if (r == 0) {
		h.fields = (const struct hf_field *)(const void *)m.fields;
		h.nfields = m.nfields;
		h.content_length =
		    f->s.body.kind == HTTP1_BODY_LENGTH ? (int64_t)rh->content_length : -1;
		if (final)
			f->rs_head = true;
		f->s.ev.on_head(f->s.eng, f->s.sid, &h, end);
	}
	h2_msg_free(&m);
	return r;
}

/* Parses the response head; 1xx heads go to the engine and parsing goes on. */
/* Whether the first bytes can start a status line ("HTTP/"): an h2-only
 * server's SETTINGS and GOAWAY hold no line end to wait for. */
static bool status_line_start(const struct buf *in)
{
	size_t n = buf_len(in) < 5 ? buf_len(in) : 5;

	return memcmp(buf_ptr(in), "HTTP/", n) == 0;
}

/* The server's answer to a WebSocket upgrade: a 101 with the right accept
 * goes back as 200 and the connection becomes the stream's tunnel (the
 * server's bytes its body until the close); anything else 2xx is not a
 * WebSocket (RFC 6455 4.1) and fails the stream. */
static int ws_switched(struct http_framing *f, const struct http1_head *rh)
{
	struct h2_field fl[HTTP1_MAX_HEADERS_CAP];
	struct hf_head h = {.status = 200, .version = 11, .content_length = -1};
	struct h2_msg m;
	int r;

	for (size_t i = 0; i < rh->nheaders; i++)
		fl[i] = (struct h2_field){rh->headers[i].name.p, rh->headers[i].name.n,
					  rh->headers[i].value.p, rh->headers[i].value.n};
	if (rh->status != 101 || h2_ws_accept_ok(fl, rh->nheaders, f->ws_accept) != 0)
		return -EPROTO;
	h2_msg_init(&m);
	r = h2_ws_response_from_h1(&m, fl, rh->nheaders);
	h1f_body_start(&f->s.body, HTTP1_BODY_CLOSE, 0);
	f->broken = true; /* the connection is the tunnel's until it closes */
	f->rs_head = true;
	if (r == 0) {
		h.fields = (const struct hf_field *)(const void *)m.fields;
		h.nfields = m.nfields;
		f->s.ev.on_head(f->s.eng, f->s.sid, &h, false);
	}
	h2_msg_free(&m);
	return r;
}

static int feed_head(struct http_framing *f, struct buf *in)
{
	struct http1_head *rh;
	int r;

	if (!status_line_start(in))
		return fail(f, "the server's answer is not HTTP/1 (an HTTP/2-only server?)");
	if (f->s.rh == NULL)
		f->s.rh = xcalloc(1, sizeof(*f->s.rh));
	rh = f->s.rh;
	r = http1_scan_response(buf_ptr(in), buf_len(in), &f->s.lim, rh);
	if (r == HTTP1_E_NEED_MORE)
		return 0;
	if (r != HTTP1_OK || (rh->status == 101 && !f->tunnel))
		return fail(f, "invalid HTTP/1 response head from the server");
	if (f->tunnel && (rh->status == 101 || (rh->status >= 200 && rh->status < 300)))
		r = ws_switched(f, rh);
	else if (rh->status < 200) {
		h1f_body_start(&f->s.body, HTTP1_BODY_NONE, 0);
		r = deliver_head(f, rh, false);
	} else {
		if (http1_response_body(rh, (struct http1_str){f->method, strlen(f->method)}) != 0)
			return fail(f, "invalid HTTP/1 response framing from the server");
		h1f_body_start(&f->s.body, rh->body, rh->content_length);
		if (!rh->keep_alive)
			f->broken = true;
		r = deliver_head(f, rh, true);
	}
	buf_consume(in, rh->head_len);
	*rh = (struct http1_head){0};
	if (r == -EPROTO)
		return fail(f, "the server did not switch to WebSocket");
	if (r < 0)
		return fail(f, "invalid HTTP/1 response head from the server");
	if (f->rs_head && h1f_body_empty(&f->s.body))
		response_done(f);
	return 1;
}

/* Body bytes as far as the window allows: 1 when some were used. */
static int feed_body(struct http_framing *f, struct buf *in)
{
	int r = h1f_body_feed(&f->s.body, in);

	if (r < 0)
		return fail(f, "invalid chunked body from the server");
	if (f->s.body.done)
		response_done(f);
	return r;
}

static int h1c_feed(struct http_framing *f, struct buf *in)
{
	int r = 1;

	while (r > 0 && buf_len(in) > 0) {
		if (f->eof || (f->broken && f->s.sid == 0)) {
			buf_consume(in, buf_len(in));
			return 0;
		}
		if (f->s.sid == 0 || f->close_due)
			return fail(f, "the server sent bytes nobody asked for");
		r = f->rs_head ? feed_body(f, in) : feed_head(f, in);
	}
	return r < 0 ? r : 0;
}

void h1c_eof(struct http_framing *f)
{
	if (f->eof)
		return;
	f->eof = true;
	if (f->s.sid == 0 || f->close_due)
		return;
	if (f->rs_head && f->s.body.kind == HTTP1_BODY_CLOSE) {
		response_done(f);
		return;
	}
	f->s.ev.on_reset(f->s.eng, f->s.sid, HF_E_INTERNAL, true);
	stream_over(f);
}

const struct http_framing_ops h1c_framing_ops = {
    .name = "HTTP/1.1",
    .alpn = "http/1.1",
    .open = h1c_open,
    .free = h1c_free,
    .feed = h1c_feed,
    .flush = h1c_flush,
    .done = h1c_done,
    .submit_head = h1c_submit_head,
    .submit_data = h1c_submit_data,
    .submit_end = h1c_submit_end,
    .submit_reset = h1c_submit_reset,
    .consume = h1c_consume,
    .can_open = h1c_can_open,
};
