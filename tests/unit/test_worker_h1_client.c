/* Unit test of the HTTP/1.1 client framing (daemon/worker/h1_client.c), the
 * server side of HTTP/2 -> HTTP/1.1 translation: request heads from HTTP/2
 * form (pseudo-headers to the request line and Host, cookie crumbs joined,
 * connection-specific fields dropped, Content-Length kept or chunked
 * chosen, trailers after the last chunk), response heads back in HTTP/2
 * form (1xx included), bodies by Content-Length, chunks (with trailers) and
 * close, one request at a time with keep-alive, and what a broken server
 * does to the stream; a WebSocket extended CONNECT (RFC 8441) as an
 * Upgrade, its 101 as 200 and the connection a byte tunnel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/buf.h"
#include "worker/h1_client.h"

static const struct http_framing_ops *ops = &h1c_framing_ops;

struct seen {
	int heads, infos, ends, closes, resets, conn_errors, spaces;
	int status, version;
	bool head_end;
	int64_t content_length;
	char fields[512], trailer[128], body[256];
	size_t nbody;
	uint32_t reset_code;
};

static void ev_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct seen *s = eng;

	if (h->status < 200) {
		s->infos++;
		return;
	}
	s->heads++;
	s->status = h->status;
	s->version = h->version;
	s->head_end = end;
	s->content_length = h->content_length;
	s->fields[0] = '\0';
	for (size_t i = 0; i < h->nfields; i++) {
		size_t l = strlen(s->fields);

		snprintf(s->fields + l, sizeof(s->fields) - l, "%s=%s;", h->fields[i].name,
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

	s->trailer[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(s->trailer);

		snprintf(s->trailer + l, sizeof(s->trailer) - l, "%s=%s;", f[i].name, f[i].value);
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
	((struct seen *)eng)->conn_errors++;
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

struct t {
	struct http_framing *f;
	struct seen s;
	struct buf out, in;
	char wire[4096];
};

static void t_open(struct t *t)
{
	struct hf_limits lim = {.max_head_bytes = 8192, .max_fields = 50, .max_streams = 1};

	memset(t, 0, sizeof(*t));
	t->f = ops->open(HF_CLIENT, &lim, &events, &t->s);
	assert_non_null(t->f);
	buf_init(&t->out, 65536);
	buf_init(&t->in, 65536);
}

static void t_close(struct t *t)
{
	ops->free(t->f);
	buf_free(&t->out);
	buf_free(&t->in);
}

/* What the framing wrote, as a string (the buffer emptied). */
static const char *t_sent(struct t *t)
{
	size_t n;

	assert_int_equal(ops->flush(t->f, &t->out), 0);
	n = buf_len(&t->out) < sizeof(t->wire) - 1 ? buf_len(&t->out) : sizeof(t->wire) - 1;
	memcpy(t->wire, buf_ptr(&t->out), n);
	t->wire[n] = '\0';
	buf_consume(&t->out, buf_len(&t->out));
	return t->wire;
}

static int t_recv(struct t *t, const char *bytes)
{
	assert_int_equal(buf_append(&t->in, bytes, strlen(bytes)), 0);
	return ops->feed(t->f, &t->in);
}

#define F(n, v)                                                                                    \
	{                                                                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1                                                 \
	}

static int32_t t_get(struct t *t, const struct hf_field *f, size_t n, bool end)
{
	struct hf_head h = {.method = "GET",
			    .scheme = "https",
			    .authority = "example.com",
			    .path = "/a?b=1",
			    .fields = f,
			    .nfields = n,
			    .content_length = -1};

	return ops->submit_head(t->f, 0, &h, end);
}

/* Pseudo-headers become the request line and Host (first); cookie crumbs
 * join; connection-specific fields and TE go. */
static void test_request_head(void **state)
{
	struct hf_field f[] = {
	    F("user-agent", "t"),     F("cookie", "a=1"),
	    F("connection", "close"), F("te", "trailers"),
	    F("cookie", "b=2"),	      F("keep-alive", "5"),
	    F("upgrade", "x"),	      F("transfer-encoding", "chunked"),
	};
	struct t t;

	t_open(&t);
	assert_int_equal(t_get(&t, f, 8, true), 1);
	assert_string_equal(t_sent(&t), "GET /a?b=1 HTTP/1.1\r\n"
					"host: example.com\r\n"
					"user-agent: t\r\n"
					"cookie: a=1; b=2\r\n"
					"\r\n");
	assert_false(ops->can_open(t.f));
	assert_int_equal(t_get(&t, f, 1, true), -EBUSY); /* one at a time */
	t_close(&t);
}

/* A body without Content-Length goes chunked, its trailers after the last
 * chunk; with Content-Length it goes as is. */
static void test_request_bodies(void **state)
{
	struct hf_field cl[] = {F("content-length", "3")};
	struct hf_field tr[] = {F("grpc-status", "0"), F("connection", "x")};
	struct hf_head post = {
	    .method = "POST", .authority = "h", .path = "/", .content_length = -1};
	struct t t;

	t_open(&t);
	assert_int_equal(ops->submit_head(t.f, 0, &post, false), 1);
	assert_int_equal(ops->submit_data(t.f, 1, (const uint8_t *)"hello", 5), 5);
	assert_int_equal(ops->submit_end(t.f, 1, tr, 2), 0);
	assert_string_equal(t_sent(&t), "POST / HTTP/1.1\r\nhost: h\r\n"
					"transfer-encoding: chunked\r\n\r\n"
					"5\r\nhello\r\n0\r\ngrpc-status: 0\r\n\r\n");
	assert_int_equal(t_recv(&t, "HTTP/1.1 204 No Content\r\n\r\n"), 0);
	assert_int_equal(t.s.closes, 1);

	post.fields = cl;
	post.nfields = 1;
	assert_int_equal(ops->submit_head(t.f, 0, &post, false), 3);
	assert_int_equal(ops->submit_data(t.f, 3, (const uint8_t *)"abc", 3), 3);
	assert_int_equal(ops->submit_end(t.f, 3, NULL, 0), 0);
	assert_string_equal(t_sent(&t),
			    "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabc");
	assert_int_equal(t_recv(&t, "HTTP/1.1 204 No Content\r\n\r\n"), 0);

	/* No body at all: an empty one is said for POST, not for GET. */
	post.nfields = 0;
	assert_int_equal(ops->submit_head(t.f, 0, &post, true), 5);
	assert_string_equal(t_sent(&t), "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n");
	t_close(&t);
}

/* A request with neither :authority nor Host cannot be HTTP/1.1. */
static void test_request_needs_host(void **state)
{
	struct hf_head h = {.method = "GET", .path = "/", .content_length = -1};
	struct t t;

	t_open(&t);
	assert_int_equal(ops->submit_head(t.f, 0, &h, true), -EINVAL);
	assert_true(ops->can_open(t.f));
	assert_string_equal(t_sent(&t), "");
	t_close(&t);
}

/* A head changed by a hook never went through nghttp2: a CR or LF in a
 * value, a space in a name, method or path is refused, nothing is sent
 * (request splitting), and the framing stays usable. */
static void test_request_refuses_splitting(void **state)
{
	struct hf_field crlf[] = {F("x-a", "1\r\nX-Injected: 1")};
	struct hf_field name[] = {F("x a", "1")};
	struct hf_head h = {.method = "GET", .authority = "h", .path = "/", .content_length = -1};
	struct t t;

	t_open(&t);
	h.fields = crlf;
	h.nfields = 1;
	assert_int_equal(ops->submit_head(t.f, 0, &h, true), -EINVAL);
	h.fields = name;
	assert_int_equal(ops->submit_head(t.f, 0, &h, true), -EINVAL);
	h.nfields = 0;
	h.path = "/a HTTP/1.1\r\nX: y";
	assert_int_equal(ops->submit_head(t.f, 0, &h, true), -EINVAL);
	h.path = "/";
	h.method = "GET /x";
	assert_int_equal(ops->submit_head(t.f, 0, &h, true), -EINVAL);
	assert_string_equal(t_sent(&t), "");
	h.method = "GET";
	assert_int_equal(ops->submit_head(t.f, 0, &h, true), 1);
	assert_string_equal(t_sent(&t), "GET / HTTP/1.1\r\nhost: h\r\n\r\n");
	t_close(&t);
}

/* The response head in HTTP/2 form; a Content-Length body; keep-alive. */
static void test_response_length(void **state)
{
	struct t t;

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
				    "Connection: keep-alive\r\nX-A: b\r\n\r\nhel"),
			 0);
	assert_int_equal(t.s.heads, 1);
	assert_int_equal(t.s.status, 200);
	assert_int_equal(t.s.version, 11);
	assert_int_equal(t.s.content_length, 5);
	assert_string_equal(t.s.fields, "content-length=5;x-a=b;");
	assert_int_equal(t.s.ends, 0);
	assert_int_equal(t_recv(&t, "lo"), 0);
	assert_string_equal(t.s.body, "hello");
	assert_int_equal(t.s.ends, 1);
	assert_int_equal(t.s.closes, 1);
	assert_true(ops->can_open(t.f));
	assert_int_equal(t_get(&t, NULL, 0, true), 3);
	t_close(&t);
}

/* Chunked: payload without the framing, trailers as trailers. */
static void test_response_chunked_trailers(void **state)
{
	struct t t;

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nGrpc-Status: 0\r\n"
				    "X-T:  v \r\n\r\n"),
			 0);
	assert_string_equal(t.s.fields, "");
	assert_int_equal(t.s.content_length, -1);
	assert_string_equal(t.s.body, "abcde");
	assert_string_equal(t.s.trailer, "grpc-status=0;x-t=v;");
	assert_int_equal(t.s.ends, 1);
	assert_int_equal(t.s.closes, 1);
	assert_true(ops->can_open(t.f));
	t_close(&t);
}

/* 1xx heads go to the engine before the final one; HEAD has no body. */
static void test_response_informational_and_head(void **state)
{
	struct hf_head head = {
	    .method = "HEAD", .authority = "h", .path = "/", .content_length = -1};
	struct t t;

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(t_recv(&t, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
				    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
			 0);
	assert_int_equal(t.s.infos, 1);
	assert_int_equal(t.s.heads, 1);
	assert_true(t.s.head_end);
	assert_int_equal(t.s.closes, 1);
	assert_int_equal(ops->submit_head(t.f, 0, &head, true), 3);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"), 0);
	assert_int_equal(t.s.heads, 2);
	assert_int_equal(t.s.closes, 2);
	t_close(&t);
}

/* A close-delimited body ends at the server's close; Connection: close
 * ends the connection's use. */
static void test_response_close_delimited(void **state)
{
	struct t t;

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	(void)t_sent(&t);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome"), 0);
	assert_int_equal(t.s.ends, 0);
	h1c_eof(t.f);
	assert_string_equal(t.s.body, "some");
	assert_int_equal(t.s.ends, 1);
	assert_int_equal(t.s.resets, 0);
	assert_false(ops->can_open(t.f));
	assert_true(ops->done(t.f));
	t_close(&t);
}

/* A response cut short is a reset; bad bytes end the connection. */
static void test_response_broken(void **state)
{
	struct t t;

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"), 0);
	h1c_eof(t.f);
	assert_int_equal(t.s.resets, 1);
	assert_int_equal(t.s.closes, 1);
	t_close(&t);

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n"),
			 -EPROTO);
	assert_int_equal(t.s.resets, 1);
	assert_int_equal(t.s.reset_code, HF_E_PROTOCOL);
	assert_int_equal(t.s.conn_errors, 1);
	assert_false(ops->can_open(t.f));
	t_close(&t);

	t_open(&t); /* an h2-only server's SETTINGS: no line end to wait for */
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(buf_append(&t.in, "\0\0\x06\x04\0\0\0\0\0\0\x03\0\0\0\x64", 15), 0);
	assert_int_equal(ops->feed(t.f, &t.in), -EPROTO);
	assert_int_equal(t.s.resets, 1);
	assert_int_equal(t.s.conn_errors, 1);
	t_close(&t);

	t_open(&t); /* ... while a real status line arrives byte by byte */
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(t_recv(&t, "HT"), 0);
	assert_int_equal(t_recv(&t, "TP/1.1 204 No Content\r\n\r\n"), 0);
	assert_int_equal(t.s.heads, 1);
	assert_int_equal(t.s.status, 204);
	t_close(&t);

	t_open(&t); /* bytes nobody asked for */
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\n\r\n"), -EPROTO);
	t_close(&t);
}

/* Flow control: the body waits for consume() beyond the window; the
 * request body waits for flush beyond the send buffer. */
static void test_windows(void **state)
{
	static char big[70000];
	struct hf_head post = {
	    .method = "POST", .authority = "h", .path = "/", .content_length = -1};
	struct t t;
	ssize_t n, total = 0;

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n"), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(buf_append(&t.in, big, 60000), 0);
	assert_int_equal(ops->feed(t.f, &t.in), 0);
	assert_int_equal(buf_append(&t.in, big, 10000), 0);
	assert_int_equal(ops->feed(t.f, &t.in), 0);
	assert_int_equal(t.s.nbody, 65536);
	assert_int_equal(buf_len(&t.in), 70000 - 65536);
	assert_int_equal(ops->consume(t.f, 1, 65536), 0);
	assert_int_equal(ops->feed(t.f, &t.in), 0);
	assert_int_equal(t.s.nbody, 70000);
	assert_int_equal(t.s.closes, 1);

	assert_int_equal(ops->submit_head(t.f, 0, &post, false), 3);
	n = ops->submit_data(t.f, 3, (const uint8_t *)big, sizeof(big));
	assert_true(n > 0 && n < 65536); /* partly taken: on_send_space is owed */
	assert_int_equal(t.s.spaces, 0);
	(void)t_sent(&t);
	assert_int_equal(t.s.spaces, 1);
	while ((n = ops->submit_data(t.f, 3, (const uint8_t *)big, sizeof(big))) > 0)
		total += n;
	assert_int_equal(n, 0);
	assert_true(total < 65536);
	(void)t_sent(&t);
	assert_int_equal(t.s.spaces, 2);
	t_close(&t);
}

/* A reset from the engine: the connection is not reused, on_close comes at
 * the next flush (not from inside the submit). */
static void test_engine_reset(void **state)
{
	struct t t;

	t_open(&t);
	assert_int_equal(t_get(&t, NULL, 0, true), 1);
	assert_int_equal(ops->submit_reset(t.f, 1, HF_E_CANCEL), 0);
	assert_int_equal(t.s.closes, 0);
	(void)t_sent(&t);
	assert_int_equal(t.s.closes, 1);
	assert_false(ops->can_open(t.f));
	assert_true(ops->done(t.f));
	t_close(&t);
}

/* ---- WebSocket (RFC 8441 section 5) ---- */

static int32_t t_ws(struct t *t, const char *protocol)
{
	struct hf_field f[] = {F("sec-websocket-version", "13"),
			       F("sec-websocket-extensions", "permessage-deflate")};
	struct hf_head h = {.method = "CONNECT",
			    .protocol = protocol,
			    .scheme = "https",
			    .authority = "example.com",
			    .path = "/ws",
			    .fields = f,
			    .nfields = 1,
			    .content_length = -1};

	return ops->submit_head(t->f, 0, &h, false);
}

/* The accept a 101 must carry for the key in the request just sent. */
static void ws_accept_for(const char *request, char accept[32])
{
	const char *k = strstr(request, "sec-websocket-key: ");
	char src[128];
	unsigned char md[SHA_DIGEST_LENGTH];

	assert_non_null(k);
	k += 19;
	snprintf(src, sizeof(src), "%.24s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", k);
	SHA1((const unsigned char *)src, strlen(src), md);
	EVP_EncodeBlock((unsigned char *)accept, md, sizeof(md));
}

static void test_ws_upgrade_tunnel(void **state)
{
	struct t t;
	char accept[32], resp[256];
	const char *req;

	t_open(&t);
	assert_int_equal(t_ws(&t, "websocket"), 1);
	req = t_sent(&t);
	assert_true(strncmp(req, "GET /ws HTTP/1.1\r\nhost: example.com\r\n", 37) == 0);
	assert_non_null(strstr(req, "connection: upgrade\r\nupgrade: websocket\r\n"));
	assert_non_null(strstr(req, "sec-websocket-version: 13\r\n"));
	assert_null(strstr(req, "sec-websocket-version: 13\r\nsec-websocket-version"));
	assert_null(strstr(req, "chunked"));
	assert_null(strstr(req, "content-length"));
	ws_accept_for(req, accept);
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-S: 1\r\n\r\n\x81\x02hi",
		 accept);
	assert_int_equal(t_recv(&t, resp), 0);
	assert_int_equal(t.s.heads, 1);
	assert_int_equal(t.s.status, 200);
	assert_false(t.s.head_end);
	assert_string_equal(t.s.fields, "x-s=1;");
	assert_int_equal(t.s.nbody, 4); /* the frame's bytes, as they came */
	/* the client's bytes go out as they are, no chunk framing */
	assert_int_equal(ops->submit_data(t.f, 1,
					  (const uint8_t *)"\x81\x82"
							   "abcdXY",
					  8),
			 8);
	assert_int_equal(memcmp(t_sent(&t),
				"\x81\x82"
				"abcdXY",
				8),
			 0);
	assert_false(h1c_write_shut(t.f));
	assert_int_equal(ops->submit_end(t.f, 1, NULL, 0), 0);
	(void)t_sent(&t);
	assert_true(h1c_write_shut(t.f));
	assert_false(ops->can_open(t.f)); /* the connection is the tunnel's */
	h1c_eof(t.f);			  /* the server closed: the stream ends */
	assert_int_equal(t.s.ends, 1);
	assert_int_equal(t.s.closes, 1);
	assert_int_equal(t.s.resets, 0);
	t_close(&t);
}

static void test_ws_refused(void **state)
{
	struct t t;

	t_open(&t); /* a wrong accept fails the stream */
	assert_int_equal(t_ws(&t, "websocket"), 1);
	(void)t_sent(&t);
	assert_int_equal(t_recv(&t, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				    "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"),
			 -EPROTO);
	assert_int_equal(t.s.heads, 0);
	assert_int_equal(t.s.resets, 1);
	t_close(&t);

	t_open(&t); /* a 200 is no WebSocket either */
	assert_int_equal(t_ws(&t, "websocket"), 1);
	(void)t_sent(&t);
	assert_int_equal(t_recv(&t, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"), -EPROTO);
	assert_int_equal(t.s.heads, 0);
	t_close(&t);

	t_open(&t); /* a refusal (403) goes back as it is */
	assert_int_equal(t_ws(&t, "websocket"), 1);
	(void)t_sent(&t);
	assert_int_equal(t_recv(&t, "HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno"), 0);
	assert_int_equal(t.s.status, 403);
	assert_string_equal(t.s.body, "no");
	t_close(&t);

	t_open(&t); /* another protocol has no HTTP/1.1 form */
	assert_int_equal(t_ws(&t, "chat"), -EINVAL);
	assert_true(ops->can_open(t.f));
	t_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_head),
	    cmocka_unit_test(test_request_bodies),
	    cmocka_unit_test(test_request_needs_host),
	    cmocka_unit_test(test_request_refuses_splitting),
	    cmocka_unit_test(test_response_length),
	    cmocka_unit_test(test_response_chunked_trailers),
	    cmocka_unit_test(test_response_informational_and_head),
	    cmocka_unit_test(test_response_close_delimited),
	    cmocka_unit_test(test_response_broken),
	    cmocka_unit_test(test_windows),
	    cmocka_unit_test(test_engine_reset),
	    cmocka_unit_test(test_ws_upgrade_tunnel),
	    cmocka_unit_test(test_ws_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
