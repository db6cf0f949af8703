/* Unit tests for the incremental chunked decoder (worker code, run here in a
 * plain test process).  Every body is decoded all at once, byte by byte and
 * split in two at every offset; the three must agree exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http1/http1.h"

struct sink {
	char data[70000];
	size_t n;
	size_t calls;
};

static void on_data(void *arg, const uint8_t *d, size_t n)
{
	struct sink *s = arg;

	assert_true(n > 0 && s->n + n <= sizeof(s->data));
	memcpy(s->data + s->n, d, n);
	s->n += n;
	s->calls++;
}

struct result {
	int rc;
	bool done;
	size_t consumed;
	struct sink out;
};

/* Feeds p[0..n) in pieces of at most `step` bytes (0: all at once), after a
 * first piece of `first` bytes, and stops at the end of the body. */
static void decode(const char *p, size_t n, size_t first, size_t step, struct result *r)
{
	struct http1_chunked c;
	size_t off = 0, used, len;

	memset(r, 0, sizeof(*r));
	http1_chunked_init(&c);
	while (off < n && !c.done) {
		len = n - off;
		if (off == 0 && first)
			len = first < len ? first : len;
		else if (step && step < len)
			len = step;
		r->rc =
		    http1_chunked_feed(&c, (const uint8_t *)p + off, len, &used, on_data, &r->out);
		assert_true(used <= len);
		off += used;
		if (r->rc != HTTP1_OK)
			break;
		if (!c.done)
			assert_int_equal(used, len); /* everything is taken until the end */
	}
	r->done = c.done;
	r->consumed = off;
}

static void expect_same(const struct result *a, const struct result *b)
{
	assert_int_equal(a->rc, b->rc);
	assert_int_equal(a->done, b->done);
	assert_int_equal(a->consumed, b->consumed);
	assert_int_equal(a->out.n, b->out.n);
	assert_memory_equal(a->out.data, b->out.data, a->out.n);
}

/* Checks one body: the all-at-once result, then every other feeding. */
static void check(const char *body, size_t n, int rc, bool done, size_t consumed,
		  const char *payload)
{
	static struct result whole, part;

	decode(body, n, 0, 0, &whole);
	if (whole.rc != rc || whole.done != done || whole.consumed != consumed)
		fail_msg("%s: rc %d done %d consumed %zu", body, whole.rc, whole.done,
			 whole.consumed);
	if (payload) {
		assert_int_equal(whole.out.n, strlen(payload));
		assert_memory_equal(whole.out.data, payload, whole.out.n);
	}
	decode(body, n, 0, 1, &part);
	expect_same(&whole, &part);
	for (size_t cut = 1; cut < n; cut++) {
		decode(body, n, cut, 0, &part);
		expect_same(&whole, &part);
	}
}

#define OK_BODY(s, payload) check(s, sizeof(s) - 1, HTTP1_OK, true, sizeof(s) - 1, payload)
#define BAD_BODY(s, at) check(s, sizeof(s) - 1, HTTP1_E_CHUNK, false, at, NULL)

static void test_valid(void **state)
{
	OK_BODY("0\r\n\r\n", "");
	OK_BODY("5\r\nhello\r\n0\r\n\r\n", "hello");
	OK_BODY("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
	OK_BODY("A\r\n0123456789\r\n0\r\n\r\n", "0123456789");
	OK_BODY("a\r\n0123456789\r\n000\r\n\r\n", "0123456789");
	OK_BODY("0000000000000003\r\nabc\r\n0\r\n\r\n", "abc");
	OK_BODY("3;name=value;x=\"q s\"\r\nabc\r\n0;last\r\n\r\n", "abc");
	OK_BODY("3 ;ext\r\nabc\r\n0\t; ext\r\n\r\n", "abc");
	OK_BODY("3\r\na\r\n\r\n0\r\n\r\n", "a\r\n");
	OK_BODY("2\r\n\0\xff\r\n0\r\n\r\n", NULL);
	OK_BODY("0\r\nExpires: never\r\nX-Sum:abc \t\r\nEmpty:\r\n\r\n", "");
}

static void test_invalid(void **state)
{
	BAD_BODY("\r\n", 0);
	BAD_BODY("g\r\n", 0);
	BAD_BODY("-1\r\n", 0);
	BAD_BODY("0x5\r\nhello\r\n", 1);
	BAD_BODY(";x\r\n", 0);
	BAD_BODY(" 5\r\n", 0);
	BAD_BODY("5 \r\nhello\r\n0\r\n\r\n", 2);
	BAD_BODY("5\nhello\r\n", 1);
	BAD_BODY("5\r\r\nhello\r\n", 2);
	BAD_BODY("5\r\nhelloX\r\n0\r\n\r\n", 8);
	BAD_BODY("5\r\nhello\n0\r\n\r\n", 8);
	BAD_BODY("5\r\nhello\r0\r\n\r\n", 9);
	BAD_BODY("5;a\x01\r\nhello\r\n", 3);
	BAD_BODY("5;a\nhello\r\n", 3);
	BAD_BODY("00000000000000005\r\nhello\r\n", 16);
	BAD_BODY("10000000000000000\r\n", 16);
	BAD_BODY("0\r\n\n", 3);
	BAD_BODY("0\r\n\r\r", 4);
	BAD_BODY("0\r\n X: y\r\n\r\n", 3);
	BAD_BODY("0\r\nX: y\r\n\tz\r\n\r\n", 9);
	BAD_BODY("0\r\nX : y\r\n\r\n", 4);
	BAD_BODY("0\r\n: y\r\n\r\n", 3);
	BAD_BODY("0\r\nX\r\n\r\n", 4);
	BAD_BODY("0\r\nX: a\0b\r\n\r\n", 7);
	BAD_BODY("0\r\nX: a\nb\r\n\r\n", 7);
	BAD_BODY("0\r\nX: a\rb\r\n\r\n", 8);
}

static void test_huge_size(void **state)
{
	struct http1_chunked c;
	size_t used;

	http1_chunked_init(&c);
	assert_int_equal(http1_chunked_feed(&c, (const uint8_t *)"FFFFFFFFFFFFFFFF\r\nab", 20,
					    &used, NULL, NULL),
			 HTTP1_OK);
	assert_int_equal(used, 20);
	assert_true(c.remaining == UINT64_MAX - 2);
	assert_false(c.done);
}

static void test_limits(void **state)
{
	static char buf[16384];
	size_t n;

	/* size line with extensions: 4096 bytes before CRLF pass, 4097 fail */
	buf[0] = '0';
	buf[1] = ';';
	memset(buf + 2, 'e', HTTP1_CHUNK_LINE_MAX - 2);
	memcpy(buf + HTTP1_CHUNK_LINE_MAX, "\r\n\r\n", 4);
	check(buf, HTTP1_CHUNK_LINE_MAX + 4, HTTP1_OK, true, HTTP1_CHUNK_LINE_MAX + 4, "");
	memset(buf + 2, 'e', HTTP1_CHUNK_LINE_MAX - 1);
	memcpy(buf + HTTP1_CHUNK_LINE_MAX + 1, "\r\n\r\n", 4);
	check(buf, HTTP1_CHUNK_LINE_MAX + 5, HTTP1_E_CHUNK, false, HTTP1_CHUNK_LINE_MAX, NULL);

	/* 64 trailers pass, 65 fail */
	n = (size_t)snprintf(buf, sizeof(buf), "0\r\n");
	for (int i = 0; i < HTTP1_TRAILER_MAX_COUNT; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "T%d: v\r\n", i);
	memcpy(buf + n, "\r\n", 2);
	check(buf, n + 2, HTTP1_OK, true, n + 2, "");
	memcpy(buf + n, "Z: v\r\n\r\n", 8);
	check(buf, n + 8, HTTP1_E_CHUNK, false, n, NULL);

	/* trailer bytes (final CRLF included): 8192 pass, 8193 fail */
	n = (size_t)snprintf(buf, sizeof(buf), "0\r\nBig: ");
	memset(buf + n, 'v', HTTP1_TRAILER_MAX_BYTES - 5 - 4);
	n += HTTP1_TRAILER_MAX_BYTES - 5 - 4;
	memcpy(buf + n, "\r\n\r\n", 4);
	check(buf, n + 4, HTTP1_OK, true, n + 4, "");
	memcpy(buf + n, "v\r\n\r\n", 5);
	check(buf, n + 5, HTTP1_E_CHUNK, false, n + 4, NULL);
}

/* The body ends where the decoder says; what follows is the caller's. */
static void test_pipelined(void **state)
{
	static const char two[] = "4\r\nWiki\r\n0\r\nX: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct sink out = {0};
	struct http1_chunked c;
	size_t used;

	http1_chunked_init(&c);
	assert_int_equal(
	    http1_chunked_feed(&c, (const uint8_t *)two, sizeof(two) - 1, &used, on_data, &out),
	    HTTP1_OK);
	assert_true(c.done);
	assert_int_equal(used, 20);
	assert_int_equal(out.n, 4);
	assert_memory_equal(out.data, "Wiki", 4);
	/* done is sticky: nothing more is taken */
	assert_int_equal(
	    http1_chunked_feed(&c, (const uint8_t *)two + used, 5, &used, on_data, &out), HTTP1_OK);
	assert_int_equal(used, 0);
	check(two, sizeof(two) - 1, HTTP1_OK, true, 20, "Wiki");
}

static void test_error_sticky(void **state)
{
	struct http1_chunked c;
	size_t used = 99;

	http1_chunked_init(&c);
	assert_int_equal(http1_chunked_feed(&c, (const uint8_t *)"z", 1, &used, NULL, NULL),
			 HTTP1_E_CHUNK);
	assert_int_equal(used, 0);
	used = 99;
	assert_int_equal(http1_chunked_feed(&c, (const uint8_t *)"0\r\n\r\n", 5, &used, NULL, NULL),
			 HTTP1_E_CHUNK);
	assert_int_equal(used, 0);
	assert_false(c.done);
	/* an empty feed is fine and takes nothing */
	http1_chunked_init(&c);
	assert_int_equal(http1_chunked_feed(&c, NULL, 0, &used, NULL, NULL), HTTP1_OK);
	assert_int_equal(used, 0);
}

/* A large body, payload handed over in few calls when fed at once. */
static void test_large(void **state)
{
	static char buf[70000];
	static struct result whole, part;
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "%x\r\n", 65000);
	memset(buf + n, 'q', 65000);
	n += 65000;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n0\r\n\r\n");
	decode(buf, n, 0, 0, &whole);
	assert_int_equal(whole.rc, HTTP1_OK);
	assert_true(whole.done);
	assert_int_equal(whole.out.n, 65000);
	assert_int_equal(whole.out.calls, 1);
	decode(buf, n, 0, 7, &part);
	expect_same(&whole, &part);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),     cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_huge_size), cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_pipelined), cmocka_unit_test(test_error_sticky),
	    cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
