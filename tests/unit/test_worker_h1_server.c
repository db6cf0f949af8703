/* Unit test of the HTTP/1.1 server framing (daemon/worker/h1_server.c),
 * the side facing an HTTP/1 client.  Joined in memory with the HTTP/1.1
 * client framing (h1_client.c): heads, Content-Length and chunked bodies
 * with trailers both ways, keep-alive with stream ids 1, 3, 5.  Fed raw
 * bytes: pipelining one at a time, HTTP/1.0 and close-delimited responses,
 * Expect: 100-continue, HEAD, absolute-form, bad heads answered with 400,
 * 431 and 505, bad chunks, a client gone mid-body, the body window, and
 * response splitting refused.  Joined with the HTTP/2 framing through a
 * small relay engine: an HTTP/1.1 client's exchange with an h2 server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "h2/h2.h"
#include "worker/h1_client.h"
#include "worker/h1_server.h"
#include "worker/h2_framing.h"

static const struct http_framing_ops *sops = &h1s_framing_ops;
static const struct http_framing_ops *cops = &h1c_framing_ops;
static const struct http_framing_ops *h2 = &h2_framing_ops;

/* What one engine saw. */
struct seen {
	int heads, infos, ends, closes, resets, conn_errors, spaces, trailers;
	int32_t sid;
	int status, version, http_status;
	bool head_end;
	int64_t content_length;
	char method[16], scheme[8], authority[64], path[64], fields[512], trailer[128];
	char protocol[16]; /* an extended CONNECT's :protocol, "-" when absent */
	char body[256];
	size_t nbody;
	uint32_t reset_code;
	/* an answer to submit from on_conn_error (the bad-head case) */
	struct http_framing *answer_on;
};

static void put_str(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "-");
}

static void ev_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct seen *s = eng;

	if (h->status >= 100 && h->status < 200) {
		s->infos++;
		return;
	}
	s->heads++;
	s->sid = sid;
	s->status = h->status;
	s->version = h->version;
	s->head_end = end;
	s->content_length = h->content_length;
	put_str(s->method, sizeof(s->method), h->method);
	put_str(s->scheme, sizeof(s->scheme), h->scheme);
	put_str(s->authority, sizeof(s->authority), h->authority);
	put_str(s->path, sizeof(s->path), h->path);
	put_str(s->protocol, sizeof(s->protocol), h->protocol);
	s->fields[0] = '\0';
	for (size_t i = 0; i < h->nfields; i++) {
		size_t l = strlen(s->fields);

		snprintf(s->fields + l, sizeof(s->fields) - l, "%.*s=%.*s;",
			 (int)h->fields[i].name_len, h->fields[i].name, (int)h->fields[i].value_len,
			 h->fields[i].value);
	}
}

static void ev_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct seen *s = eng;

	if (s->nbody + n < sizeof(s->body)) {
		memcpy(s->body + s->nbody, p, n);
		s->body[s->nbody + n] = '\0';
	}
	s->nbody += n;
}

static void ev_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	struct seen *s = eng;

	s->trailers++;
	s->trailer[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(s->trailer);

		snprintf(s->trailer + l, sizeof(s->trailer) - l, "%.*s=%.*s;", (int)f[i].name_len,
			 f[i].name, (int)f[i].value_len, f[i].value);
	}
}

static void ev_end(void *eng, int32_t sid)
{
	((struct seen *)eng)->ends++;
}

static void ev_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	struct seen *s = eng;

	s->resets++;
	s->reset_code = code;
}

static void ev_close(void *eng, int32_t sid)
{
	((struct seen *)eng)->closes++;
}

static void ev_space(void *eng, int32_t sid)
{
	((struct seen *)eng)->spaces++;
}

static void ev_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	struct seen *s = eng;
	struct hf_head h = {.status = status, .content_length = -1};

	s->conn_errors++;
	s->http_status = status;
	if (s->answer_on && status)
		assert_int_equal(sops->submit_head(s->answer_on, 0, &h, true), 0);
}

static const struct hf_events events = {
    .on_head = ev_head,
    .on_data = ev_data,
    .on_trailers = ev_trailers,
    .on_end = ev_end,
    .on_reset = ev_reset,
    .on_close = ev_close,
    .on_send_space = ev_space,
    .on_conn_error = ev_conn_error,
};

#define F(n, v)                                                                                    \
	{                                                                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1                                                 \
	}

/* ---- the server framing fed raw bytes ---- */

struct t {
	struct http_framing *f;
	struct seen s;
	struct buf in, out;
	char wire[4096];
};

static void t_open(struct t *t, size_t max_head, size_t max_fields)
{
	struct hf_limits lim = {
	    .max_head_bytes = max_head, .max_fields = max_fields, .max_streams = 1};

	memset(t, 0, sizeof(*t));
	t->f = sops->open(HF_SERVER, &lim, &events, &t->s);
	assert_non_null(t->f);
	assert_null(sops->open(HF_CLIENT, &lim, &events, &t->s));
	t->s.answer_on = t->f;
	buf_init(&t->in, 1 << 20);
	buf_init(&t->out, 1 << 20);
}

static void t_close(struct t *t)
{
	sops->free(t->f);
	buf_free(&t->in);
	buf_free(&t->out);
}

static int t_recv(struct t *t, const char *bytes)
{
	assert_int_equal(buf_append(&t->in, bytes, strlen(bytes)), 0);
	return sops->feed(t->f, &t->in);
}

static const char *t_sent(struct t *t)
{
	size_t n;

	assert_int_equal(sops->flush(t->f, &t->out), 0);
	n = buf_len(&t->out) < sizeof(t->wire) - 1 ? buf_len(&t->out) : sizeof(t->wire) - 1;
	memcpy(t->wire, buf_ptr(&t->out), n);
	t->wire[n] = '\0';
	buf_consume(&t->out, buf_len(&t->out));
	return t->wire;
}

static void t_respond(struct t *t, int status, const struct hf_field *f, size_t n, const char *body,
		      bool end_with_body)
{
	struct hf_head h = {.status = status, .fields = f, .nfields = n, .content_length = -1};
	bool empty = body == NULL;

	assert_int_equal(sops->submit_head(t->f, t->s.sid, &h, empty), 0);
	if (empty)
		return;
	assert_int_equal(sops->submit_data(t->f, t->s.sid, (const uint8_t *)body, strlen(body)),
			 (ssize_t)strlen(body));
	if (end_with_body)
		assert_int_equal(sops->submit_end(t->f, t->s.sid, NULL, 0), 0);
}

/* Origin-form: Host becomes the authority, names lower-case, connection
 * fields go; the answer keeps the connection; the next request is sid 3. */
static void test_request_and_keepalive(void **state)
{
	struct hf_field cl[] = {F("content-length", "2"), F("x-s", "1")};
	struct t t;

	t_open(&t, 8192, 50);
	h1s_set_scheme(t.f, "https");
	assert_int_equal(t_recv(&t, "GET /a?b HTTP/1.1\r\nHost: ex.test\r\nX-A: 1\r\n"
				    "Connection: keep-alive, x-a2\r\nX-A2: gone\r\n"
				    "Keep-Alive: 5\r\n\r\n"),
			 0);
	assert_int_equal(t.s.heads, 1);
	assert_int_equal(t.s.sid, 1);
	assert_string_equal(t.s.method, "GET");
	assert_string_equal(t.s.scheme, "https");
	assert_string_equal(t.s.authority, "ex.test");
	assert_string_equal(t.s.path, "/a?b");
	assert_string_equal(t.s.fields, "x-a=1;");
	assert_int_equal(t.s.version, 11);
	assert_true(t.s.head_end);
	assert_int_equal(t.s.ends, 1);
	assert_false(sops->can_open(t.f));
	t_respond(&t, 200, cl, 2, "ok", true);
	assert_string_equal(t_sent(&t), "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-s: 1\r\n\r\nok");
	assert_int_equal(t.s.closes, 1);
	assert_false(sops->done(t.f));
	assert_int_equal(t_recv(&t, "GET / HTTP/1.1\r\nHost: ex.test\r\n\r\n"), 0);
	assert_int_equal(t.s.sid, 3);
	t_close(&t);
}

/* Two requests in one read: the second waits for the first's end. */
static void test_pipelining(void **state)
{
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
				    "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
			 0);
	assert_int_equal(t.s.heads, 1);
	assert_string_equal(t.s.path, "/1");
	assert_int_equal(sops->feed(t.f, &t.in), 0);
	assert_int_equal(t.s.heads, 1);
	t_respond(&t, 204, NULL, 0, NULL, true);
	assert_string_equal(t_sent(&t), "HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(t.s.closes, 1);
	assert_int_equal(sops->feed(t.f, &t.in), 0);
	assert_int_equal(t.s.heads, 2);
	assert_int_equal(t.s.sid, 3);
	assert_string_equal(t.s.path, "/2");
	assert_int_equal(t.s.content_length, 3);
	assert_string_equal(t.s.body, "abc");
	assert_int_equal(t.s.ends, 2);
	assert_int_equal(buf_len(&t.in), 0);
	t_close(&t);
}

/* A chunked request body with trailers; a response without length goes
 * chunked, its trailers after the last chunk. */
static void test_chunked_both_ways(void **state)
{
	struct hf_field tr[] = {F("grpc-status", "0"), F("connection", "x")};
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t,
				"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
				"TE: trailers\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: v\r\n\r\n"),
			 0);
	assert_false(t.s.head_end);
	assert_int_equal(t.s.content_length, -1);
	assert_string_equal(t.s.fields, "te=trailers;");
	assert_string_equal(t.s.body, "abcde");
	assert_string_equal(t.s.trailer, "x-t=v;");
	assert_int_equal(t.s.ends, 1);
	t_respond(&t, 200, NULL, 0, "hello", false);
	assert_int_equal(sops->submit_end(t.f, 1, tr, 2), 0);
	assert_string_equal(t_sent(&t), "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
					"5\r\nhello\r\n0\r\ngrpc-status: 0\r\n\r\n");
	assert_int_equal(t.s.closes, 1);
	/* a client that did not ask for trailers gets none */
	assert_int_equal(t_recv(&t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	t_respond(&t, 200, NULL, 0, "x", false);
	assert_int_equal(sops->submit_end(t.f, 3, tr, 1), 0);
	assert_string_equal(t_sent(&t), "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
					"1\r\nx\r\n0\r\n\r\n");
	t_close(&t);
}

/* HTTP/1.0: no chunks, the body runs to the close; keep-alive is said
 * when the client asked for it and the length is known. */
static void test_http10(void **state)
{
	struct hf_field cl[] = {F("content-length", "1")};
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0);
	assert_int_equal(t.s.version, 10);
	assert_string_equal(t.s.authority, "-");
	t_respond(&t, 200, cl, 1, "x", true);
	assert_string_equal(t_sent(&t), "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n"
					"connection: keep-alive\r\n\r\nx");
	assert_int_equal(t_recv(&t, "GET / HTTP/1.0\r\n\r\n"), 0);
	t_respond(&t, 200, NULL, 0, "abc", true);
	assert_string_equal(t_sent(&t), "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabc");
	assert_true(sops->done(t.f));
	t_close(&t);
}

/* Connection: close from the client: the answer says so, then done. */
static void test_client_close(void **state)
{
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
				    "GET /ignored HTTP/1.1\r\nHost: h\r\n\r\n"),
			 0);
	t_respond(&t, 200, NULL, 0, NULL, true);
	assert_string_equal(t_sent(&t),
			    "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
	assert_true(sops->done(t.f));
	assert_int_equal(sops->feed(t.f, &t.in), 0);
	assert_int_equal(t.s.heads, 1);
	t_close(&t);
}

/* Expect: 100-continue is answered here and not passed on; a 100 from the
 * server is not sent twice; HTTP/1.0 clients get no 1xx. */
static void test_expect_continue(void **state)
{
	struct hf_head info = {.status = 100, .content_length = -1};
	struct hf_head hints = {.status = 103, .content_length = -1};
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
				    "Content-Length: 4\r\n\r\n"),
			 0);
	assert_string_equal(t.s.fields, "content-length=4;");
	assert_string_equal(t_sent(&t), "HTTP/1.1 100 Continue\r\n\r\n");
	assert_int_equal(sops->submit_head(t.f, 1, &info, false), 0);
	assert_int_equal(sops->submit_head(t.f, 1, &hints, false), 0);
	assert_string_equal(t_sent(&t), "HTTP/1.1 103 Unknown\r\n\r\n");
	assert_int_equal(t_recv(&t, "data"), 0);
	assert_string_equal(t.s.body, "data");
	assert_int_equal(t.s.ends, 1);
	t_close(&t);
}

/* HEAD: the length is said, no body goes; 304 neither. */
static void test_head_and_304(void **state)
{
	struct hf_field cl[] = {F("content-length", "10")};
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	t_respond(&t, 200, cl, 1, "0123456789", true);
	assert_string_equal(t_sent(&t), "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n");
	assert_int_equal(t_recv(&t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	t_respond(&t, 304, NULL, 0, "", true);
	assert_string_equal(t_sent(&t), "HTTP/1.1 304 Not Modified\r\n\r\n");
	assert_int_equal(t.s.closes, 2);
	t_close(&t);
}

/* Absolute-form (a proxy request) gives scheme, authority and path. */
static void test_absolute_form(void **state)
{
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(
	    t_recv(&t, "GET http://Ex.test:8080/x?y HTTP/1.1\r\nHost: other\r\nProxy-Connection: "
		       "keep-alive\r\n\r\n"),
	    0);
	assert_string_equal(t.s.scheme, "http");
	assert_string_equal(t.s.authority, "Ex.test:8080");
	assert_string_equal(t.s.path, "/x?y");
	assert_string_equal(t.s.fields, "");
	t_close(&t);
}

/* An HTTP/1.1 client has no extended CONNECT (RFC 8441 is HTTP/2's): a
 * WebSocket upgrade and a CONNECT reach the engine without a :protocol,
 * so layer_h2 never takes its WebSocket-over-h2 path for them. */
static void test_no_extended_connect(void **state)
{
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "GET /chat HTTP/1.1\r\nHost: ex.test\r\nConnection: Upgrade\r\n"
				    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
				    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
			 0);
	assert_int_equal(t.s.heads, 1);
	assert_string_equal(t.s.method, "GET");
	assert_string_equal(t.s.protocol, "-");
	t_close(&t);
	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "CONNECT ex.test:443 HTTP/1.1\r\nHost: ex.test:443\r\n\r\n"),
			 0);
	assert_int_equal(t.s.heads, 1);
	assert_string_equal(t.s.method, "CONNECT");
	assert_string_equal(t.s.protocol, "-");
	t_close(&t);
}

/* Bad heads: the engine learns the status and answers on sid 0; the
 * framing closes after the answer and reads nothing more. */
static void check_bad(const char *bytes, size_t max_head, size_t max_fields, int status,
		      const char *line)
{
	struct t t;

	t_open(&t, max_head, max_fields);
	assert_int_equal(t_recv(&t, bytes), -EPROTO);
	assert_int_equal(t.s.conn_errors, 1);
	assert_int_equal(t.s.http_status, status);
	assert_int_equal(t.s.heads, 0);
	assert_string_equal(t_sent(&t), line);
	assert_int_equal(t.s.closes, 0);
	assert_true(sops->done(t.f));
	t_close(&t);
}

static void test_bad_heads(void **state)
{
	static char big[2048];

	check_bad("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 8192, 50, 400,
		  "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
	check_bad("GET / HTTP/1.1\r\n\r\n", 8192, 50, 400, /* no Host */
		  "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
	check_bad("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n",
		  8192, 50, 400,
		  "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
	check_bad("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 8192, 2, 431,
		  "HTTP/1.1 431 Unknown\r\ncontent-length: 0\r\n"
		  "connection: close\r\n\r\n");
	check_bad("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 8192, 50, 505,
		  "HTTP/1.1 505 Unknown\r\ncontent-length: 0\r\n"
		  "connection: close\r\n\r\n");
	memset(big, 'a', sizeof(big) - 1);
	check_bad(big, 1024, 50, 431,
		  "HTTP/1.1 431 Unknown\r\ncontent-length: 0\r\n"
		  "connection: close\r\n\r\n");
}

/* Bad chunk framing resets the stream and ends the side; a client gone
 * mid-body resets it with CANCEL; a whole request is still answered. */
static void test_broken_bodies(void **state)
{
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
				    "\r\nzz\r\n"),
			 -EPROTO);
	assert_int_equal(t.s.resets, 1);
	assert_int_equal(t.s.reset_code, HF_E_PROTOCOL);
	assert_int_equal(t.s.closes, 1);
	assert_int_equal(t.s.conn_errors, 1);
	assert_true(sops->done(t.f));
	t_close(&t);

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nab"),
			 0);
	h1s_eof(t.f);
	assert_int_equal(t.s.resets, 1);
	assert_int_equal(t.s.reset_code, HF_E_CANCEL);
	assert_int_equal(t.s.closes, 1);
	assert_true(sops->done(t.f));
	t_close(&t);

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	h1s_eof(t.f);
	assert_false(sops->done(t.f));
	t_respond(&t, 200, NULL, 0, NULL, true);
	assert_string_equal(t_sent(&t),
			    "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
	assert_true(sops->done(t.f));
	t_close(&t);
}

/* An answer before the request's body is over: the connection closes
 * after it (the rest of the body is never read). */
static void test_early_answer(void **state)
{
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nab"),
			 0);
	t_respond(&t, 413, NULL, 0, NULL, true);
	assert_string_equal(t_sent(&t), "HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n"
					"connection: close\r\n\r\n");
	assert_int_equal(t.s.closes, 1);
	assert_true(sops->done(t.f));
	t_close(&t);
}

/* Response splitting: a CR or LF in a value, a space in a name. */
static void test_response_splitting(void **state)
{
	struct hf_field crlf[] = {F("x-a", "1\r\nSet-Cookie: x=1")};
	struct hf_field name[] = {F("x a", "1")};
	struct t t;
	struct hf_head h = {.status = 200, .fields = crlf, .nfields = 1, .content_length = -1};

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	assert_int_equal(sops->submit_head(t.f, 1, &h, true), -EINVAL);
	h.fields = name;
	assert_int_equal(sops->submit_head(t.f, 1, &h, true), -EINVAL);
	h.status = 99;
	h.nfields = 0;
	assert_int_equal(sops->submit_head(t.f, 1, &h, true), -EINVAL);
	assert_string_equal(t_sent(&t), "");
	h.status = 200;
	assert_int_equal(sops->submit_head(t.f, 1, &h, true), 0);
	assert_int_equal(sops->submit_head(t.f, 1, &h, true), -EINVAL); /* one final head */
	t_close(&t);
}

/* The request body waits for consume() beyond the window; the response
 * body waits for flush beyond the send buffer (on_send_space). */
static void test_windows(void **state)
{
	static char big[70000];
	struct t t;
	ssize_t n;

	t_open(&t, 8192, 50);
	memset(big, 'x', sizeof(big));
	assert_int_equal(t_recv(&t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 70000\r\n\r\n"),
			 0);
	assert_int_equal(buf_append(&t.in, big, sizeof(big)), 0);
	assert_int_equal(sops->feed(t.f, &t.in), 0);
	assert_int_equal(t.s.nbody, 65536);
	assert_int_equal(sops->consume(t.f, 1, 65536), 0);
	assert_int_equal(sops->feed(t.f, &t.in), 0);
	assert_int_equal(t.s.nbody, 70000);
	assert_int_equal(t.s.ends, 1);

	{
		struct hf_head h = {.status = 200, .content_length = -1};

		assert_int_equal(sops->submit_head(t.f, 1, &h, false), 0);
	}
	(void)t_sent(&t);
	n = sops->submit_data(t.f, 1, (const uint8_t *)big, sizeof(big));
	assert_true(n > 0 && n < 65536);
	assert_int_equal(sops->submit_data(t.f, 1, (const uint8_t *)big, sizeof(big)), 0);
	assert_int_equal(t.s.spaces, 0);
	(void)t_sent(&t);
	assert_int_equal(t.s.spaces, 1);
	t_close(&t);
}

/* A reset from the engine ends the connection; on_close at the flush.
 * Before any response head the client is told 502, not left with an
 * empty reply. */
static void test_engine_reset(void **state)
{
	struct t t;

	t_open(&t, 8192, 50);
	assert_int_equal(t_recv(&t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	assert_int_equal(sops->submit_reset(t.f, 1, HF_E_CANCEL), 0);
	assert_int_equal(t.s.closes, 0);
	assert_non_null(strstr(t_sent(&t), "HTTP/1.1 502 Bad Gateway\r\n"));
	assert_non_null(strstr(t.wire, "connection: close\r\n"));
	assert_int_equal(t.s.closes, 1);
	assert_true(sops->done(t.f));
	t_close(&t);
}

/* ---- joined with the HTTP/1.1 client framing ---- */

struct pair {
	struct http_framing *cli, *srv;
	struct seen cs, ss;
	struct buf c2s, s2c;
};

static void pair_open(struct pair *p)
{
	struct hf_limits lim = {.max_head_bytes = 8192, .max_fields = 50, .max_streams = 1};

	memset(p, 0, sizeof(*p));
	p->cli = cops->open(HF_CLIENT, &lim, &events, &p->cs);
	p->srv = sops->open(HF_SERVER, &lim, &events, &p->ss);
	buf_init(&p->c2s, 1 << 20);
	buf_init(&p->s2c, 1 << 20);
}

static void pair_close(struct pair *p)
{
	cops->free(p->cli);
	sops->free(p->srv);
	buf_free(&p->c2s);
	buf_free(&p->s2c);
}

static void pair_pump(struct pair *p)
{
	for (int i = 0; i < 100; i++) {
		assert_int_equal(cops->flush(p->cli, &p->c2s), 0);
		assert_int_equal(sops->flush(p->srv, &p->s2c), 0);
		assert_int_equal(sops->feed(p->srv, &p->c2s), 0);
		assert_int_equal(cops->feed(p->cli, &p->s2c), 0);
		if (buf_len(&p->c2s) == 0 && buf_len(&p->s2c) == 0)
			return;
	}
	fail_msg("no quiet state");
}

static void test_join_h1_client(void **state)
{
	struct hf_field rq[] = {F("user-agent", "t"), F("cookie", "a=1"), F("cookie", "b=2")};
	struct hf_field tr[] = {F("x-sum", "7")};
	struct hf_head get = {.method = "GET",
			      .scheme = "https",
			      .authority = "ex.test",
			      .path = "/p",
			      .fields = rq,
			      .nfields = 3,
			      .content_length = -1};
	struct hf_head post = {
	    .method = "POST", .authority = "ex.test", .path = "/u", .content_length = -1};
	struct hf_head ok = {.status = 200, .content_length = -1};
	struct pair p;

	pair_open(&p);
	assert_int_equal(cops->submit_head(p.cli, 0, &get, true), 1);
	pair_pump(&p);
	assert_int_equal(p.ss.sid, 1);
	assert_string_equal(p.ss.authority, "ex.test");
	assert_string_equal(p.ss.path, "/p");
	assert_string_equal(p.ss.fields, "user-agent=t;cookie=a=1; b=2;");
	assert_int_equal(p.ss.ends, 1);
	assert_int_equal(sops->submit_head(p.srv, 1, &ok, false), 0);
	assert_int_equal(sops->submit_data(p.srv, 1, (const uint8_t *)"body", 4), 4);
	assert_int_equal(sops->submit_end(p.srv, 1, tr, 1), 0);
	pair_pump(&p);
	assert_int_equal(p.cs.status, 200);
	assert_int_equal(p.cs.version, 11);
	assert_string_equal(p.cs.body, "body");
	assert_int_equal(p.cs.trailers, 0); /* h1_client sends no TE: trailers */
	assert_int_equal(p.cs.closes, 1);
	assert_int_equal(p.ss.closes, 1);

	/* kept alive: a chunked request body with trailers, ids 3 and 3 */
	assert_true(cops->can_open(p.cli));
	assert_int_equal(cops->submit_head(p.cli, 0, &post, false), 3);
	assert_int_equal(cops->submit_data(p.cli, 3, (const uint8_t *)"up", 2), 2);
	assert_int_equal(cops->submit_end(p.cli, 3, tr, 1), 0);
	pair_pump(&p);
	assert_int_equal(p.ss.sid, 3);
	assert_string_equal(p.ss.method, "POST");
	assert_string_equal(p.ss.body, "up");
	assert_int_equal(p.ss.trailers, 1);
	assert_int_equal(p.ss.ends, 2);
	assert_int_equal(sops->submit_head(p.srv, 3, &ok, true), 0);
	pair_pump(&p);
	assert_int_equal(p.cs.heads, 2);
	assert_true(p.cs.head_end);
	assert_int_equal(p.cs.closes, 2);
	assert_int_equal(p.ss.closes, 2);
	assert_true(cops->can_open(p.cli));
	pair_close(&p);
}

/* ---- joined with the HTTP/2 framing: an HTTP/1.1 client, an h2 server ---- */

/* A relay engine: the h1 server framing's streams go to the h2 client
 * framing's and back, one exchange at a time. */
struct relay {
	struct http_framing *h1s, *h2c, *h2s;
	int32_t csid, ssid;
	struct h2_msg rq_tr, rs_tr;
	struct seen srv; /* the h2 server's engine */
	struct buf cin, cout, up, down;
};

static void r_copy(struct h2_msg *m, const struct hf_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(
		    h2_msg_add(m, f[i].name, f[i].name_len, f[i].value, f[i].value_len), 0);
}

static const struct hf_field *hf_of(const struct h2_msg *m)
{
	return (const struct hf_field *)(const void *)m->fields;
}

static void c_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct relay *r = eng;
	struct hf_head up = *h;

	up.scheme = "https";
	r->csid = sid;
	r->ssid = h2->submit_head(r->h2c, 0, &up, end);
	assert_true(r->ssid > 0);
}

static void c_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct relay *r = eng;

	assert_int_equal(h2->submit_data(r->h2c, r->ssid, p, n), (ssize_t)n);
	assert_int_equal(sops->consume(r->h1s, sid, n), 0);
}

static void c_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	r_copy(&((struct relay *)eng)->rq_tr, f, n);
}

static void c_end(void *eng, int32_t sid)
{
	struct relay *r = eng;

	assert_int_equal(h2->submit_end(r->h2c, r->ssid, hf_of(&r->rq_tr), r->rq_tr.nfields), 0);
}

static void s_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct relay *r = eng;

	assert_int_equal(sops->submit_head(r->h1s, r->csid, h, end), 0);
}

static void s_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct relay *r = eng;

	assert_int_equal(sops->submit_data(r->h1s, r->csid, p, n), (ssize_t)n);
	assert_int_equal(h2->consume(r->h2c, sid, n), 0);
}

static void s_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	r_copy(&((struct relay *)eng)->rs_tr, f, n);
}

static void s_end(void *eng, int32_t sid)
{
	struct relay *r = eng;

	assert_int_equal(sops->submit_end(r->h1s, r->csid, hf_of(&r->rs_tr), r->rs_tr.nfields), 0);
}

static void r_nothing(void *eng, int32_t sid)
{
}

static void r_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	fail_msg("unexpected reset");
}

static void r_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	fail_msg("unexpected connection error: %s", why);
}

static const struct hf_events client_side = {c_head,	c_data,	   c_trailers,	 c_end, r_reset,
					     r_nothing, r_nothing, r_conn_error, NULL};
static const struct hf_events server_side = {s_head,	s_data,	   s_trailers,	 s_end, r_reset,
					     r_nothing, r_nothing, r_conn_error, NULL};

static void relay_open(struct relay *r)
{
	struct hf_limits lim = {.max_head_bytes = 65536, .max_fields = 100, .max_streams = 100};

	memset(r, 0, sizeof(*r));
	r->h1s = sops->open(HF_SERVER, &lim, &client_side, r);
	r->h2c = h2->open(HF_CLIENT, &lim, &server_side, r);
	r->h2s = h2->open(HF_SERVER, &lim, &events, &r->srv);
	h2_msg_init(&r->rq_tr);
	h2_msg_init(&r->rs_tr);
	buf_init(&r->cin, 1 << 16);
	buf_init(&r->cout, 1 << 16);
	buf_init(&r->up, 1 << 16);
	buf_init(&r->down, 1 << 16);
}

static void relay_close(struct relay *r)
{
	sops->free(r->h1s);
	h2->free(r->h2c);
	h2->free(r->h2s);
	h2_msg_free(&r->rq_tr);
	h2_msg_free(&r->rs_tr);
	buf_free(&r->cin);
	buf_free(&r->cout);
	buf_free(&r->up);
	buf_free(&r->down);
}

static void relay_pump(struct relay *r)
{
	for (int i = 0; i < 100; i++) {
		assert_int_equal(sops->feed(r->h1s, &r->cin), 0);
		assert_int_equal(h2->flush(r->h2c, &r->up), 0);
		assert_int_equal(h2->flush(r->h2s, &r->down), 0);
		assert_int_equal(sops->flush(r->h1s, &r->cout), 0);
		if (buf_len(&r->up) == 0 && buf_len(&r->down) == 0)
			return;
		assert_int_equal(h2->feed(r->h2s, &r->up), 0);
		assert_int_equal(h2->feed(r->h2c, &r->down), 0);
	}
	fail_msg("no quiet state");
}

static const char *relay_sent(struct relay *r, char *wire, size_t len)
{
	size_t n = buf_len(&r->cout) < len - 1 ? buf_len(&r->cout) : len - 1;

	memcpy(wire, buf_ptr(&r->cout), n);
	wire[n] = '\0';
	buf_consume(&r->cout, buf_len(&r->cout));
	return wire;
}

static void test_join_h2(void **state)
{
	static const char rq[] = "POST /svc/M HTTP/1.1\r\nHost: grpc.test\r\nTE: trailers\r\n"
				 "Content-Type: application/grpc\r\nTransfer-Encoding: chunked\r\n"
				 "\r\n5\r\nhello\r\n0\r\nX-Up: 1\r\n\r\n";
	struct hf_field rs[] = {F("content-type", "application/grpc")};
	struct hf_field tr[] = {F("grpc-status", "0"), F("grpc-message", "fine")};
	struct hf_head resp = {.status = 200, .fields = rs, .nfields = 1, .content_length = -1};
	struct relay r;
	char wire[1024];

	relay_open(&r);
	assert_int_equal(buf_append(&r.cin, rq, sizeof(rq) - 1), 0);
	relay_pump(&r);
	assert_int_equal(r.srv.heads, 1);
	assert_int_equal(r.srv.version, 20);
	assert_string_equal(r.srv.method, "POST");
	assert_string_equal(r.srv.authority, "grpc.test");
	assert_string_equal(r.srv.path, "/svc/M");
	assert_string_equal(r.srv.fields, "te=trailers;content-type=application/grpc;");
	assert_string_equal(r.srv.body, "hello");
	assert_string_equal(r.srv.trailer, "x-up=1;");
	assert_int_equal(r.srv.ends, 1);
	assert_int_equal(h2->consume(r.h2s, r.srv.sid, 5), 0);

	assert_int_equal(h2->submit_head(r.h2s, r.srv.sid, &resp, false), 0);
	assert_int_equal(h2->submit_data(r.h2s, r.srv.sid, (const uint8_t *)"world", 5), 5);
	assert_int_equal(h2->submit_end(r.h2s, r.srv.sid, tr, 2), 0);
	relay_pump(&r);
	assert_string_equal(relay_sent(&r, wire, sizeof(wire)),
			    "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\n"
			    "transfer-encoding: chunked\r\n\r\n5\r\nworld\r\n"
			    "0\r\ngrpc-status: 0\r\ngrpc-message: fine\r\n\r\n");
	assert_int_equal(r.srv.closes, 1);
	assert_false(sops->done(r.h1s));
	relay_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_and_keepalive),
	    cmocka_unit_test(test_pipelining),
	    cmocka_unit_test(test_chunked_both_ways),
	    cmocka_unit_test(test_http10),
	    cmocka_unit_test(test_client_close),
	    cmocka_unit_test(test_expect_continue),
	    cmocka_unit_test(test_head_and_304),
	    cmocka_unit_test(test_absolute_form),
	    cmocka_unit_test(test_no_extended_connect),
	    cmocka_unit_test(test_bad_heads),
	    cmocka_unit_test(test_broken_bodies),
	    cmocka_unit_test(test_early_answer),
	    cmocka_unit_test(test_response_splitting),
	    cmocka_unit_test(test_windows),
	    cmocka_unit_test(test_engine_reset),
	    cmocka_unit_test(test_join_h1_client),
	    cmocka_unit_test(test_join_h2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
