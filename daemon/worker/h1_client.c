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

#define H1C_OUT_MAX (64u << 10) /* request bytes queued here */
#define H1C_WINDOW (64u << 10)	/* response body delivered and not consumed yet */
#define H1C_TAIL_MAX (HTTP1_CHUNK_LINE_MAX + HTTP1_TRAILER_MAX_BYTES + 16)
#define H1C_CHUNK_HEAD 24 /* "<hex size>\r\n" and the CRLF after the data */

struct http_framing {
	struct hf_events ev;
	void *eng;
	struct http1_limits lim;
	struct buf out;
	int32_t sid, next_sid; /* the stream in progress (0: none) */
	char method[32];
	bool rq_chunked, rq_ended, want_space;
	struct http1_head *rh; /* the response head being parsed */
	bool rs_head, rs_ended;
	enum http1_body kind;
	uint64_t left;
	struct http1_chunked ch;
	struct buf tail;	 /* chunked: bytes since the last payload (trailers) */
	const uint8_t *data_end; /* where the last payload piece of a feed ended */
	size_t unconsumed;
	bool tunnel;	    /* a WebSocket upgrade (RFC 8441): raw bytes after the 101 */
	char ws_accept[32]; /* the Sec-WebSocket-Accept the server must answer */
	bool shut_due;	    /* the tunnel's request side ended: shut the socket's write side */
	bool close_due;	    /* on_close is owed to the engine (after a reset) */
	bool broken;	    /* the connection will carry nothing more */
	bool eof;
};

static const char *const conn_fields[] = {
    "connection",     "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    "http2-settings", "te",
};

static bool name_is(const struct h2_field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

static bool conn_specific(const struct h2_field *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(conn_fields); i++)
		if (name_is(f, conn_fields[i]))
			return true;
	return false;
}

static int put(struct buf *b, const char *p, size_t n)
{
	return buf_append(b, p, n);
}

static int put_field(struct buf *b, const struct h2_field *f)
{
	return put(b, f->name, f->name_len) | put(b, ": ", 2) | put(b, f->value, f->value_len) |
	       put(b, "\r\n", 2);
}

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
		version |= name_is(&m->fields[i], "sec-websocket-version");
	if (ws_key_make(key, f->ws_accept) < 0)
		return -EIO;

	r = put(out, up, sizeof(up) - 1) | put(out, key, strlen(key)) | put(out, "\r\n", 2);
	if (!version)
		r |= put(out, ver, sizeof(ver) - 1);
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
	    !http1_target_ok(m->path, strlen(m->path)))
		return -EINVAL;
	for (size_t i = 0; i < m->nfields; i++)
		if (!http1_token_ok(m->fields[i].name, m->fields[i].name_len) ||
		    !http1_value_ok(m->fields[i].value, m->fields[i].value_len))
			return -EINVAL;
	r = put(out, m->method, strlen(m->method)) | put(out, " ", 1) |
	    put(out, m->path, strlen(m->path)) | put(out, " HTTP/1.1\r\n", 11);
	for (size_t i = 0; i < m->nfields; i++) {
		if (conn_specific(&m->fields[i]) ||
		    (f->tunnel && name_is(&m->fields[i], "sec-websocket-key")))
			continue;
		has_cl |= name_is(&m->fields[i], "content-length");
		has_host |= name_is(&m->fields[i], "host");
		r |= put_field(out, &m->fields[i]);
	}
	if (!has_host)
		return -EINVAL;
	*chunked = !has_cl && !end && !f->tunnel;
	if (f->tunnel)
		r |= ws_upgrade_fields(f, out, m);
	else if (*chunked)
		r |= put(out, "transfer-encoding: chunked\r\n", 28);
	else if (!has_cl && body_method(m->method))
		r |= put(out, "content-length: 0\r\n", 19);
	r |= put(out, "\r\n", 2);
	return r ? -ENOBUFS : 0;
}

static struct http_framing *h1c_open(enum hf_side side, const struct hf_limits *lim,
				     const struct hf_events *ev, void *eng)
{
	struct http_framing *f;

	if (side != HF_CLIENT)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->ev = *ev;
	f->eng = eng;
	http1_limits_default(&f->lim);
	if (lim && lim->max_head_bytes)
		f->lim.max_head_bytes = lim->max_head_bytes;
	if (lim && lim->max_fields && lim->max_fields <= HTTP1_MAX_HEADERS_CAP)
		f->lim.max_headers = lim->max_fields;
	buf_init(&f->out, 2 * H1C_OUT_MAX + f->lim.max_head_bytes);
	buf_init(&f->tail, H1C_TAIL_MAX);
	f->next_sid = 1;
	return f;
}

static void h1c_free(struct http_framing *f)
{
	if (f == NULL)
		return;
	buf_free(&f->out);
	buf_free(&f->tail);
	free(f->rh);
	free(f);
}

static void stream_over(struct http_framing *f)
{
	int32_t sid = f->sid;

	f->sid = 0;
	f->close_due = false;
	free(f->rh);
	f->rh = NULL;
	f->ev.on_close(f->eng, sid);
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

	if (sid != 0 || f->sid != 0 || f->broken || f->eof)
		return -EBUSY;
	h2_msg_init(&m);
	buf_init(&head, f->lim.max_head_bytes + 1024);
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
		r = buf_append(&f->out, buf_ptr(&head), buf_len(&head));
	if (r == 0)
		snprintf(f->method, sizeof(f->method), "%s", m.method);
	h2_msg_free(&m);
	buf_free(&head);
	if (r < 0)
		return r;
	f->sid = f->next_sid;
	f->next_sid += 2;
	f->rq_ended = end;
	f->shut_due = false;
	f->rs_head = f->rs_ended = false;
	f->unconsumed = 0;
	return f->sid;
}

static ssize_t h1c_submit_data(struct http_framing *f, int32_t sid, const uint8_t *p, size_t n)
{
	size_t room =
	    H1C_OUT_MAX - (buf_len(&f->out) < H1C_OUT_MAX ? buf_len(&f->out) : H1C_OUT_MAX);
	char head[H1C_CHUNK_HEAD];
	int r = 0;

	if (sid != f->sid || f->sid == 0 || f->rs_ended || f->close_due)
		return (ssize_t)n; /* the exchange is over: what is left goes nowhere */
	if (f->rq_ended)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (room <= H1C_CHUNK_HEAD) {
		f->want_space = true;
		return 0;
	}
	if (n > room - H1C_CHUNK_HEAD) { /* the rest waits for on_send_space */
		n = room - H1C_CHUNK_HEAD;
		f->want_space = true;
	}
	if (f->rq_chunked) {
		snprintf(head, sizeof(head), "%zx\r\n", n);
		r |= put(&f->out, head, strlen(head));
	}
	r |= buf_append(&f->out, p, n);
	if (f->rq_chunked)
		r |= put(&f->out, "\r\n", 2);
	return r ? -ENOBUFS : (ssize_t)n;
}

static int h1c_submit_end(struct http_framing *f, int32_t sid, const struct hf_field *t, size_t n)
{
	const struct h2_field *tr = (const struct h2_field *)(const void *)t;
	int r = 0;

	if (sid != f->sid || f->sid == 0 || f->rq_ended)
		return 0;
	f->rq_ended = true;
	f->shut_due = f->tunnel; /* the client's END_STREAM: FIN towards the server */
	if (f->rq_chunked) {
		r |= put(&f->out, "0\r\n", 3);
		for (size_t i = 0; i < n; i++)
			if (!conn_specific(&tr[i]) && !name_is(&tr[i], "content-length") &&
			    !name_is(&tr[i], "host"))
				r |= put_field(&f->out, &tr[i]);
		r |= put(&f->out, "\r\n", 2);
	}
	return r ? -ENOBUFS : 0;
}

/* An exchange abandoned midway leaves the connection unusable. */
static int h1c_submit_reset(struct http_framing *f, int32_t sid, uint32_t code)
{
	(void)code;
	if (sid != f->sid || f->sid == 0)
		return 0;
	f->broken = true;
	f->close_due = true; /* told at the next flush: not from inside a submit */
	return 0;
}

static int h1c_consume(struct http_framing *f, int32_t sid, size_t n)
{
	(void)sid;
	f->unconsumed -= n < f->unconsumed ? n : f->unconsumed;
	return 0;
}

static bool h1c_can_open(const struct http_framing *f)
{
	return f->sid == 0 && !f->broken && !f->eof;
}

bool h1c_write_shut(const struct http_framing *f)
{
	return f->shut_due && buf_len(&f->out) == 0;
}

bool h1c_idle(const struct http_framing *f)
{
	return f->sid == 0;
}

static bool h1c_done(const struct http_framing *f)
{
	return (f->broken || f->eof) && f->sid == 0 && buf_len(&f->out) == 0;
}

static int h1c_flush(struct http_framing *f, struct buf *out)
{
	size_t n = buf_len(&f->out);

	if (f->close_due)
		stream_over(f);
	if (n > buf_room(out))
		n = buf_room(out);
	if (n > 0) {
		if (buf_append(out, buf_ptr(&f->out), n) < 0)
			return -ENOBUFS;
		buf_consume(&f->out, n);
	}
	if (f->want_space && f->sid && buf_len(&f->out) < H1C_OUT_MAX / 2) {
		f->want_space = false;
		f->ev.on_send_space(f->eng, f->sid);
	}
	return 0;
}

/* ---- the response ---- */

/* The server broke HTTP/1: the stream is reset, the connection is over. */
static int fail(struct http_framing *f, const char *why)
{
	int32_t sid = f->sid;

	f->broken = true;
	if (sid) {
		f->ev.on_reset(f->eng, sid, HF_E_PROTOCOL, true);
		stream_over(f);
	}
	f->ev.on_conn_error(f->eng, HF_E_PROTOCOL, 502, why);
	return -EPROTO;
}

/* The response ended: the stream closes once the request has too; a
 * request cut short by an early response leaves the connection unusable. */
static void response_done(struct http_framing *f)
{
	f->rs_ended = true;
	f->ev.on_end(f->eng, f->sid);
	if (!f->rq_ended)
		f->broken = true;
	stream_over(f);
}

static bool body_empty(const struct http_framing *f)
{
	return f->kind == HTTP1_BODY_NONE || (f->kind == HTTP1_BODY_LENGTH && f->left == 0);
}

static int deliver_head(struct http_framing *f, const struct http1_head *rh, bool final)
{
	struct h2_field fl[HTTP1_MAX_HEADERS_CAP];
	struct h2_msg m;
	struct hf_head h = {.status = rh->status, .version = rh->version_minor ? 11 : 10};
	bool end = final && body_empty(f);
	int r;

	for (size_t i = 0; i < rh->nheaders; i++)
		fl[i] = (struct h2_field){rh->headers[i].name.p, rh->headers[i].name.n,
					  rh->headers[i].value.p, rh->headers[i].value.n};
	h2_msg_init(&m);
	r = h2_map_response_from_h1(&m, rh->status, fl, rh->nheaders);
	if (r == 0) {
		h.fields = (const struct hf_field *)(const void *)m.fields;
		h.nfields = m.nfields;
		h.content_length = f->kind == HTTP1_BODY_LENGTH ? (int64_t)rh->content_length : -1;
		if (final)
			f->rs_head = true;
		f->ev.on_head(f->eng, f->sid, &h, end);
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
	f->kind = HTTP1_BODY_CLOSE;
	f->broken = true; /* the connection is the tunnel's until it closes */
	f->rs_head = true;
	if (r == 0) {
		h.fields = (const struct hf_field *)(const void *)m.fields;
		h.nfields = m.nfields;
		f->ev.on_head(f->eng, f->sid, &h, false);
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
	if (f->rh == NULL)
		f->rh = xcalloc(1, sizeof(*f->rh));
	rh = f->rh;
	r = http1_scan_response(buf_ptr(in), buf_len(in), &f->lim, rh);
	if (r == HTTP1_E_NEED_MORE)
		return 0;
	if (r != HTTP1_OK || (rh->status == 101 && !f->tunnel))
		return fail(f, "invalid HTTP/1 response head from the server");
	if (f->tunnel && (rh->status == 101 || (rh->status >= 200 && rh->status < 300)))
		r = ws_switched(f, rh);
	else if (rh->status < 200) {
		f->kind = HTTP1_BODY_NONE;
		r = deliver_head(f, rh, false);
	} else {
		if (http1_response_body(rh, (struct http1_str){f->method, strlen(f->method)}) != 0)
			return fail(f, "invalid HTTP/1 response framing from the server");
		f->kind = rh->body;
		f->left = rh->content_length;
		http1_chunked_init(&f->ch);
		buf_reset(&f->tail);
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
	if (f->rs_head && body_empty(f))
		response_done(f);
	return 1;
}

static void chunk_piece(void *arg, const uint8_t *d, size_t n)
{
	struct http_framing *f = arg;

	buf_reset(&f->tail);
	f->data_end = d + n;
	f->unconsumed += n;
	f->ev.on_data(f->eng, f->sid, d, n);
}

/* The trailer fields at the end of a chunked body: the tail holds the CRLF
 * after the last payload, the last chunk's size line, then the fields (the
 * decoder checked their syntax and size). */
static void deliver_trailers(struct http_framing *f)
{
	const char *p = (const char *)buf_ptr(&f->tail), *end = p + buf_len(&f->tail);
	struct h2_field fl[HTTP1_TRAILER_MAX_COUNT];
	struct h2_msg m;
	size_t n = 0;

	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	p = memchr(p, '\n', (size_t)(end - p)); /* the "0" size line */
	while (p && ++p < end && *p != '\r' && *p != '\n' && n < ARRAY_SIZE(fl)) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon, *v, *ve;

		colon = eol ? memchr(p, ':', (size_t)(eol - p)) : NULL;
		if (colon == NULL)
			break;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		fl[n++] = (struct h2_field){p, (size_t)(colon - p), v, (size_t)(ve - v)};
		p = eol;
	}
	if (n == 0)
		return;
	h2_msg_init(&m);
	if (h2_map_fields_from_h1(&m, fl, n) == 0 && m.nfields > 0)
		f->ev.on_trailers(f->eng, f->sid, (const struct hf_field *)(const void *)m.fields,
				  m.nfields);
	h2_msg_free(&m);
}

static int feed_chunked(struct http_framing *f, struct buf *in, size_t n)
{
	const uint8_t *p = buf_ptr(in);
	size_t used = 0;
	const uint8_t *from;

	f->data_end = NULL;
	if (http1_chunked_feed(&f->ch, p, n, &used, chunk_piece, f) != HTTP1_OK)
		return fail(f, "invalid chunked body from the server");
	from = f->data_end && f->data_end <= p + used ? f->data_end : p;
	if (buf_append(&f->tail, from, (size_t)(p + used - from)) < 0)
		buf_reset(&f->tail); /* the decoder bounds trailers; never here */
	buf_consume(in, used);
	if (f->ch.done) {
		deliver_trailers(f);
		response_done(f);
	}
	return used > 0;
}

/* Body bytes as far as the window allows: 1 when some were used. */
static int feed_body(struct http_framing *f, struct buf *in)
{
	size_t n = buf_len(in), win = H1C_WINDOW - f->unconsumed;

	if (f->unconsumed >= H1C_WINDOW || n == 0)
		return 0;
	if (n > win)
		n = win;
	if (f->kind == HTTP1_BODY_CHUNKED)
		return feed_chunked(f, in, n);
	if (f->kind == HTTP1_BODY_LENGTH && n > f->left)
		n = (size_t)f->left;
	f->unconsumed += n;
	f->ev.on_data(f->eng, f->sid, buf_ptr(in), n);
	buf_consume(in, n);
	if (f->kind == HTTP1_BODY_LENGTH && (f->left -= n) == 0)
		response_done(f);
	return 1;
}

static int h1c_feed(struct http_framing *f, struct buf *in)
{
	int r = 1;

	while (r > 0 && buf_len(in) > 0) {
		if (f->eof || (f->broken && f->sid == 0)) {
			buf_consume(in, buf_len(in));
			return 0;
		}
		if (f->sid == 0 || f->close_due)
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
	if (f->sid == 0 || f->close_due)
		return;
	if (f->rs_head && f->kind == HTTP1_BODY_CLOSE) {
		response_done(f);
		return;
	}
	f->ev.on_reset(f->eng, f->sid, HF_E_INTERNAL, true);
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
