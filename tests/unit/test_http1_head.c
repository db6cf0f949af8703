/* Unit tests for the HTTP/1 head parser and body framing (worker code, run
 * here in a plain test process).  Tables of valid and malformed requests and
 * responses, every error code, smuggling shapes, limits and pipelining. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http1/http1.h"

static struct http1_head head;

static int req(const char *s)
{
	return http1_parse_request((const uint8_t *)s, strlen(s), NULL, &head);
}

static int resp(const char *s)
{
	return http1_parse_response((const uint8_t *)s, strlen(s), NULL, &head);
}

struct req_case {
	const char *msg;
	int rc;
	enum http1_body body; /* checked when rc is OK */
};

static const struct req_case req_cases[] = {
    /* valid shapes */
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP1_OK, HTTP1_BODY_NONE},
    {"GET http://a/x?y HTTP/1.1\r\nHost: a\r\n\r\n", HTTP1_OK, HTTP1_BODY_NONE},
    {"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", HTTP1_OK, HTTP1_BODY_NONE},
    {"OPTIONS * HTTP/1.0\r\n\r\n", HTTP1_OK, HTTP1_BODY_NONE},
    {"GET /\xc3\xa9 HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n", HTTP1_OK, HTTP1_BODY_NONE},
    {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", HTTP1_OK, HTTP1_BODY_LENGTH},
    {"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HTTP1_OK, HTTP1_BODY_LENGTH},
    {"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", HTTP1_OK, HTTP1_BODY_LENGTH},
    {"POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", HTTP1_OK,
     HTTP1_BODY_LENGTH},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_OK, HTTP1_BODY_CHUNKED},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n", HTTP1_OK, HTTP1_BODY_CHUNKED},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HTTP1_OK, HTTP1_BODY_CHUNKED},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_OK,
     HTTP1_BODY_CHUNKED},
    {"GET / HTTP/1.1\r\nX:\r\n\r\n", HTTP1_OK, HTTP1_BODY_NONE},
    /* incomplete */
    {"", HTTP1_E_NEED_MORE, 0},
    {"GET", HTTP1_E_NEED_MORE, 0},
    {"\r\n", HTTP1_E_NEED_MORE, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\n", HTTP1_E_NEED_MORE, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\n\r", HTTP1_E_NEED_MORE, 0},
    /* start line */
    {"GET  / HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1 \r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET  HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {" GET / HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET\t/ HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET /a b HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET /a\tb HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET /a\rb HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET /a\x7f HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"G(T / HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / http/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.10\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET /\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\n\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"\r\r\nGET / HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"\nGET / HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0},
    /* versions */
    {"GET / HTTP/2.0\r\n\r\n", HTTP1_E_VERSION, 0},
    {"GET / HTTP/1.2\r\n\r\n", HTTP1_E_VERSION, 0},
    {"GET / HTTP/0.9\r\n\r\n", HTTP1_E_VERSION, 0},
    /* header lines */
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\n: a\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nHo st: a\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nHost a\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\n X: a\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nX: a\nb\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nX\xc3\xa9: a\r\n\r\n", HTTP1_E_SYNTAX, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HTTP1_E_SYNTAX, 0},
    /* smuggling */
    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_E_SMUGGLE,
     0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", HTTP1_E_SMUGGLE,
     0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: , chunked\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 5 6\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", HTTP1_E_SMUGGLE, 0},
    {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", HTTP1_E_SMUGGLE, 0},
};

static void test_request_table(void **state)
{
	for (size_t i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];
		int rc = req(c->msg);

		if (rc != c->rc || (rc == HTTP1_OK && head.body != c->body))
			fail_msg("case %zu (%s): rc %d body %d, want rc %d body %d", i, c->msg, rc,
				 head.body, c->rc, c->body);
		if (rc == HTTP1_OK)
			assert_int_equal(head.head_len, strlen(c->msg));
	}
}

static void test_request_fields(void **state)
{
	const char *m = "POST http://h/p HTTP/1.1\r\nHost: h\r\nX-A: \t a b \t\r\n"
			"Content-Length: 12\r\n\r\nbody";

	assert_int_equal(req(m), HTTP1_OK);
	assert_true(head.is_request);
	assert_true(http1_str_eq(head.method, "POST"));
	assert_true(http1_str_eq(head.target, "http://h/p"));
	assert_int_equal(head.version_minor, 1);
	assert_int_equal(head.nheaders, 3);
	assert_true(http1_str_eq(head.headers[1].name, "X-A"));
	assert_true(http1_str_eq(head.headers[1].value, "a b"));
	assert_ptr_equal(head.headers[0].value.p, m + 32);
	assert_int_equal(head.body, HTTP1_BODY_LENGTH);
	assert_int_equal(head.content_length, 12);
	assert_int_equal(head.head_len, strlen(m) - 4);
	assert_true(head.keep_alive);
	assert_false(head.expect_continue);
	assert_false(head.upgrade);
}

static void test_content_length_max(void **state)
{
	assert_int_equal(req("PUT / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n"),
			 HTTP1_OK);
	assert_true(head.content_length == UINT64_MAX);
	assert_int_equal(req("PUT / HTTP/1.1\r\nContent-Length: 007\r\n\r\n"), HTTP1_OK);
	assert_int_equal(head.content_length, 7);
}

static void test_leading_crlf_and_pipelining(void **state)
{
	const char *two = "\r\n\r\nPOST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
			  "GET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c";
	const uint8_t *p = (const uint8_t *)two;
	size_t n = strlen(two), off;

	assert_int_equal(http1_parse_request(p, n, NULL, &head), HTTP1_OK);
	assert_int_equal(head.head_len, 4 + 39);
	assert_true(http1_str_eq(head.target, "/a"));
	off = head.head_len + head.content_length;
	assert_int_equal(http1_parse_request(p + off, n - off, NULL, &head), HTTP1_OK);
	assert_true(http1_str_eq(head.target, "/b"));
	assert_int_equal(head.head_len, 28);
	off += head.head_len;
	assert_int_equal(http1_parse_request(p + off, n - off, NULL, &head), HTTP1_E_NEED_MORE);
	/* responses do not skip empty lines */
	assert_int_equal(resp("\r\nHTTP/1.1 200 OK\r\n\r\n"), HTTP1_E_SYNTAX);
}

static void test_keep_alive(void **state)
{
	assert_int_equal(req("GET / HTTP/1.1\r\n\r\n"), HTTP1_OK);
	assert_true(head.keep_alive);
	assert_int_equal(req("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"), HTTP1_OK);
	assert_false(head.keep_alive);
	assert_int_equal(req("GET / HTTP/1.1\r\nConnection: foo\r\nConnection: x, close\r\n\r\n"),
			 HTTP1_OK);
	assert_false(head.keep_alive);
	assert_int_equal(req("GET / HTTP/1.0\r\n\r\n"), HTTP1_OK);
	assert_false(head.keep_alive);
	assert_int_equal(head.version_minor, 0);
	assert_int_equal(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), HTTP1_OK);
	assert_true(head.keep_alive);
	assert_int_equal(req("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"), HTTP1_OK);
	assert_false(head.keep_alive);
}

static void test_expect_and_upgrade(void **state)
{
	assert_int_equal(req("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n"), HTTP1_OK);
	assert_true(head.expect_continue);
	assert_int_equal(req("PUT / HTTP/1.1\r\nExpect: 100-continuex\r\n\r\n"), HTTP1_OK);
	assert_false(head.expect_continue);
	assert_int_equal(req("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"), HTTP1_OK);
	assert_false(head.expect_continue);
	assert_int_equal(req("GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n"
			     "Upgrade: websocket\r\n\r\n"),
			 HTTP1_OK);
	assert_true(head.upgrade);
	assert_int_equal(req("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"), HTTP1_OK);
	assert_false(head.upgrade);
	assert_int_equal(req("GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n"), HTTP1_OK);
	assert_false(head.upgrade);
}

/* A request of exactly `len` head bytes with `nhdr` headers. */
static size_t build(char *buf, size_t cap, size_t nhdr, size_t len)
{
	size_t n = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\n");

	for (size_t i = 0; i < nhdr; i++)
		n += (size_t)snprintf(buf + n, cap - n, "H%zu: v\r\n", i);
	if (len > n + 2) {
		size_t pad = len - n - 2 - 5;

		memcpy(buf + n, "P: ", 3);
		memset(buf + n + 3, 'x', pad);
		memcpy(buf + n + 3 + pad, "\r\n", 2);
		n += 5 + pad;
	}
	memcpy(buf + n, "\r\n", 2);
	return n + 2;
}

static void test_limits_bytes(void **state)
{
	static char buf[70000];
	struct http1_limits lim = {.max_head_bytes = 200, .max_headers = 10};
	const uint8_t *p = (const uint8_t *)buf;
	size_t n;

	n = build(buf, sizeof(buf), 1, 200);
	assert_int_equal(n, 200);
	assert_int_equal(http1_parse_request(p, n, &lim, &head), HTTP1_OK);
	assert_int_equal(head.head_len, 200);
	assert_int_equal(http1_parse_request(p, n - 1, &lim, &head), HTTP1_E_NEED_MORE);
	n = build(buf, sizeof(buf), 1, 201);
	assert_int_equal(http1_parse_request(p, n, &lim, &head), HTTP1_E_TOO_LARGE);
	assert_int_equal(http1_parse_request(p, 200, &lim, &head), HTTP1_E_NEED_MORE);
	assert_int_equal(http1_parse_request(p, 201, &lim, &head), HTTP1_E_TOO_LARGE);
	/* incomplete and already too long: no need to wait for the end */
	memset(buf, 'A', 300);
	assert_int_equal(http1_parse_request(p, 300, &lim, &head), HTTP1_E_TOO_LARGE);
	/* defaults: NULL limits and zero fields mean 64 KiB */
	n = build(buf, sizeof(buf), 1, 65536);
	assert_int_equal(http1_parse_request(p, n, NULL, &head), HTTP1_OK);
	lim = (struct http1_limits){0};
	assert_int_equal(http1_parse_request(p, n, &lim, &head), HTTP1_OK);
	n = build(buf, sizeof(buf), 1, 65537);
	assert_int_equal(http1_parse_request(p, n, NULL, &head), HTTP1_E_TOO_LARGE);
}

static void test_limits_headers(void **state)
{
	static char buf[8192];
	struct http1_limits lim = {.max_head_bytes = 8192, .max_headers = 3};
	const uint8_t *p = (const uint8_t *)buf;
	size_t n;

	n = build(buf, sizeof(buf), 3, 0);
	assert_int_equal(http1_parse_request(p, n, &lim, &head), HTTP1_OK);
	assert_int_equal(head.nheaders, 3);
	n = build(buf, sizeof(buf), 4, 0);
	assert_int_equal(http1_parse_request(p, n, &lim, &head), HTTP1_E_TOO_MANY);
	assert_int_equal(http1_parse_request(p, n - 2, &lim, &head), HTTP1_E_TOO_MANY);
	n = (size_t)snprintf(buf, sizeof(buf),
			     "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
	assert_int_equal(http1_parse_response(p, n, &lim, &head), HTTP1_E_TOO_MANY);
	/* the cap holds whatever the caller asks for */
	lim.max_headers = 100000;
	n = build(buf, sizeof(buf), HTTP1_MAX_HEADERS_CAP, 0);
	assert_int_equal(http1_parse_request(p, n, &lim, &head), HTTP1_OK);
	n = build(buf, sizeof(buf), HTTP1_MAX_HEADERS_CAP + 1, 0);
	assert_int_equal(http1_parse_request(p, n, &lim, &head), HTTP1_E_TOO_MANY);
	n = build(buf, sizeof(buf), 101, 0);
	assert_int_equal(http1_parse_request(p, n, NULL, &head), HTTP1_E_TOO_MANY);
}

struct resp_case {
	const char *msg;
	int rc;
	int status;
	const char *reason;
};

static const struct resp_case resp_cases[] = {
    {"HTTP/1.1 200 OK\r\n\r\n", HTTP1_OK, 200, "OK"},
    {"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n", HTTP1_OK, 404, "Not Found"},
    {"HTTP/1.1 204 \r\n\r\n", HTTP1_OK, 204, ""},
    {"HTTP/1.1 204\r\n\r\n", HTTP1_OK, 204, ""},
    {"HTTP/1.1 100 Continue\r\n\r\n", HTTP1_OK, 100, "Continue"},
    {"HTTP/1.1 999 x\ty \xc3\xa9\r\n\r\n", HTTP1_OK, 999, "x\ty \xc3\xa9"},
    {"HTTP/1.1 200 OK\r\n", HTTP1_E_NEED_MORE, 0, NULL},
    {"HTTP/1.1", HTTP1_E_NEED_MORE, 0, NULL},
    {"HTTP/1.1 099 Low\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1 20 OK\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1 2000 OK\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1 20x OK\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1  200 OK\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1 200 O\x01K\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1 200 O\rK\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"http/1.1 200 OK\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"ICY 200 OK\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1 200 OK\n\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", HTTP1_E_SYNTAX, 0, NULL},
    {"HTTP/2.0 200 OK\r\n\r\n", HTTP1_E_VERSION, 0, NULL},
    {"HTTP/1.2 200 OK\r\n\r\n", HTTP1_E_VERSION, 0, NULL},
};

static void test_response_table(void **state)
{
	for (size_t i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		const struct resp_case *c = &resp_cases[i];
		size_t n = strlen(c->msg);
		int rc = http1_parse_response((const uint8_t *)c->msg, n, NULL, &head);
		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %d, want %d", i, c->msg, rc, c->rc);
		if (rc != HTTP1_OK)
			continue;
		assert_false(head.is_request);
		assert_int_equal(head.status, c->status);
		assert_true(http1_str_eq(head.reason, c->reason));
		assert_int_equal(head.head_len, n);
	}
}

struct body_case {
	const char *msg;
	const char *method;
	int rc;
	enum http1_body body;
	uint64_t length;
};

static const struct body_case body_cases[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_LENGTH, 10},
    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 200 OK\r\n\r\n", "CONNECT", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 299 OK\r\n\r\n", "CONNECT", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n", "CONNECT", HTTP1_OK, HTTP1_BODY_LENGTH, 3},
    {"HTTP/1.1 100 Continue\r\n\r\n", "POST", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 101 Switching\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 204 No\r\nContent-Length: 5\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 304 NM\r\nContent-Length: 5\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_NONE, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_CHUNKED,
     0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: br, chunked\r\n\r\n", "GET", HTTP1_OK,
     HTTP1_BODY_CHUNKED, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_CLOSE, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "GET", HTTP1_OK,
     HTTP1_BODY_CLOSE, 0},
    {"HTTP/1.1 200 OK\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_CLOSE, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_LENGTH, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\n\r\n", "GET", HTTP1_OK, HTTP1_BODY_LENGTH, 4},
    {"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", "GET",
     HTTP1_E_SMUGGLE, 0, 0},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 4\r\n\r\n", "GET",
     HTTP1_E_SMUGGLE, 0, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", "GET", HTTP1_E_SMUGGLE, 0,
     0},
    {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "GET", HTTP1_E_SMUGGLE, 0, 0},
};

static void test_response_body(void **state)
{
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		const struct body_case *c = &body_cases[i];
		struct http1_str m = {c->method, strlen(c->method)};
		int rc;

		assert_int_equal(resp(c->msg), HTTP1_OK);
		rc = http1_response_body(&head, m);
		if (rc != c->rc ||
		    (rc == HTTP1_OK && (head.body != c->body || head.content_length != c->length)))
			fail_msg("case %zu (%s %s): rc %d body %d", i, c->method, c->msg, rc,
				 head.body);
	}
}

static void test_response_keep_alive(void **state)
{
	struct http1_str get = {"GET", 3};

	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"), HTTP1_OK);
	assert_true(head.keep_alive);
	assert_int_equal(http1_response_body(&head, get), HTTP1_OK);
	assert_true(head.keep_alive);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\n\r\n"), HTTP1_OK);
	assert_int_equal(http1_response_body(&head, get), HTTP1_OK);
	assert_false(head.keep_alive); /* read until close */
	assert_int_equal(resp("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
			      "Content-Length: 0\r\n\r\n"),
			 HTTP1_OK);
	assert_true(head.keep_alive);
	assert_int_equal(resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			      "Upgrade: websocket\r\n\r\n"),
			 HTTP1_OK);
	assert_true(head.upgrade);
}

/* NUL can hide the rest of a line from C-string code downstream. */
static void test_nul(void **state)
{
	static const char rq[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
	static const char rs[] = "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n";
	static const char rl[] = "GET /\0 HTTP/1.1\r\n\r\n";

	assert_int_equal(http1_parse_request((const uint8_t *)rq, sizeof(rq) - 1, NULL, &head),
			 HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_response((const uint8_t *)rs, sizeof(rs) - 1, NULL, &head),
			 HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_request((const uint8_t *)rl, sizeof(rl) - 1, NULL, &head),
			 HTTP1_E_SYNTAX);
}

static void test_lookup(void **state)
{
	struct http1_str v = {"gzip ,\tKeep-Alive , ,x", 22};

	assert_int_equal(req("GET / HTTP/1.1\r\nA: 1\r\nb: 2\r\nB: 3\r\n\r\n"), HTTP1_OK);
	assert_ptr_equal(http1_find(&head, "a"), &head.headers[0]);
	assert_ptr_equal(http1_find(&head, "B"), &head.headers[1]);
	assert_null(http1_find(&head, "c"));
	assert_true(http1_has_token(v, "keep-alive"));
	assert_true(http1_has_token(v, "GZIP"));
	assert_true(http1_has_token(v, "x"));
	assert_false(http1_has_token(v, "keep"));
	assert_false(http1_has_token((struct http1_str){"", 0}, "x"));
	assert_true(http1_str_eq((struct http1_str){"Ab", 2}, "Ab"));
	assert_false(http1_str_eq((struct http1_str){"Ab", 2}, "ab"));
	assert_true(http1_str_ieq((struct http1_str){"Ab", 2}, "aB"));
	assert_false(http1_str_ieq((struct http1_str){"Ab", 2}, "abc"));
	assert_true(http1_str_eq((struct http1_str){NULL, 0}, ""));
}

/* Issue 16.4: the scan parsers. msg is fed one byte more per call; no call may answer before the
 * one-shot parser would, the last answer must be the one-shot parser's on the whole message (or
 * NEED_MORE where the one-shot parser saw an error in a head that has not ended), and the bytes
 * looked at stay within a small multiple of the length. */
static size_t feed_bytewise(const char *msg, bool request, int *rc_out)
{
	static struct http1_head h, once;
	const uint8_t *p = (const uint8_t *)msg;
	size_t n = strlen(msg);
	int rc = HTTP1_E_NEED_MORE;

	memset(&h, 0, sizeof(h));
	for (size_t k = 1; k <= n && rc == HTTP1_E_NEED_MORE; k++) {
		rc = request ? http1_scan_request(p, k, NULL, &h)
			     : http1_scan_response(p, k, NULL, &h);
		int want = request ? http1_parse_request(p, k, NULL, &once)
				   : http1_parse_response(p, k, NULL, &once);
		if (rc != HTTP1_E_NEED_MORE && rc != want)
			fail_msg("%s at %zu: scan %d, one-shot %d", msg, k, rc, want);
		if (rc == HTTP1_OK)
			assert_int_equal(h.head_len, once.head_len);
	}
	if (rc != HTTP1_E_NEED_MORE)
		assert_int_equal(h.scan.from, 0); /* set back for the next head */
	*rc_out = rc;
	return h.scan.scanned;
}

static void test_scan_tables(void **state)
{
	int rc;

	for (size_t i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const char *m = req_cases[i].msg;
		int want = req_cases[i].rc;
		feed_bytewise(m, true, &rc);
		/* Framing errors found at a header line before the head ended show at its end. */
		if (rc != want && !(rc == HTTP1_E_NEED_MORE && strstr(m, "\r\n\r\n") == NULL))
			fail_msg("request case %zu (%s): scan %d, want %d", i, m, rc, want);
	}
	for (size_t i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		const char *m = resp_cases[i].msg;
		feed_bytewise(m, false, &rc);
		if (rc != resp_cases[i].rc && !(rc == HTTP1_E_NEED_MORE && !strstr(m, "\r\n\r\n")))
			fail_msg("response case %zu (%s): scan %d, want %d", i, m, resp_cases[i].rc,
				 rc);
	}
}

/* A 16 KiB head (100 headers of about 160 bytes) sent a byte at a time: NEED_MORE until its last
 * byte, then OK, with about twice its length looked at (the first byte's parse, each byte once
 * for line ends, the start line's parse and the final parse). Before, every byte parsed the
 * whole head again: some 100 million bytes looked at. */
static void test_scan_linear(void **state)
{
	static char msg[20000];
	size_t n, scanned;
	int rc;

	n = (size_t)snprintf(msg, sizeof(msg), "\r\n\r\nGET /%0200d HTTP/1.1\r\n", 0);
	for (int i = 0; i < 99; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "X-Header-%02d: %0140d\r\n", i, i);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\r\n");
	assert_true(n > 15000 && n < sizeof(msg));
	scanned = feed_bytewise(msg, true, &rc);
	assert_int_equal(rc, HTTP1_OK);
	assert_true(scanned <= 3 * n);
	assert_true(scanned >= 2 * n);
	/* A response head the same way. */
	memcpy(msg, "HTTP/1.1 200 OK\r\n", 17);
	n = 17;
	for (int i = 0; i < 99; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "X-Header-%02d: %0140d\r\n", i, i);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\r\n");
	scanned = feed_bytewise(msg, false, &rc);
	assert_int_equal(rc, HTTP1_OK);
	assert_true(scanned <= 3 * n);
}

/* The common case costs what it did: a head that arrives whole is parsed once. */
static void test_scan_whole_head_one_parse(void **state)
{
	static struct http1_head h;
	const char *m = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next";

	memset(&h, 0, sizeof(h));
	assert_int_equal(http1_scan_request((const uint8_t *)m, strlen(m), NULL, &h), HTTP1_OK);
	assert_int_equal(h.head_len, 27);
	assert_int_equal(h.scan.scanned, 27);
	/* Too large: refused once the limit is passed without an end. */
	static char big[70000];
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memset(&h, 0, sizeof(h));
	assert_int_equal(http1_scan_request((const uint8_t *)big, 100, NULL, &h),
			 HTTP1_E_NEED_MORE);
	assert_int_equal(http1_scan_request((const uint8_t *)big, 65536, NULL, &h),
			 HTTP1_E_NEED_MORE);
	assert_int_equal(http1_scan_request((const uint8_t *)big, 65537, NULL, &h),
			 HTTP1_E_TOO_LARGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_table),
	    cmocka_unit_test(test_request_fields),
	    cmocka_unit_test(test_content_length_max),
	    cmocka_unit_test(test_leading_crlf_and_pipelining),
	    cmocka_unit_test(test_keep_alive),
	    cmocka_unit_test(test_expect_and_upgrade),
	    cmocka_unit_test(test_limits_bytes),
	    cmocka_unit_test(test_limits_headers),
	    cmocka_unit_test(test_response_table),
	    cmocka_unit_test(test_response_body),
	    cmocka_unit_test(test_response_keep_alive),
	    cmocka_unit_test(test_nul),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_scan_tables),
	    cmocka_unit_test(test_scan_linear),
	    cmocka_unit_test(test_scan_whole_head_one_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
