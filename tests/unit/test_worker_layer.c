/* Unit test of the worker's next-layer decision point (daemon/worker/layer.c)
 * where it needs no sockets: the ALPN list offered to a server from the
 * client's ClientHello and the mode (the choice HTTP/2 will extend), and the
 * framework's close and trim over a connection on which no layer started
 * (nothing to report, nothing freed twice). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "worker/conn.h"
#include "worker/http.h"
#include "worker/layer.h"
#include "worker/worker_ctx.h"

static const char h11[] = "\x08http/1.1";

static void hello_with(struct conn *c, const char *const *alpn, size_t n)
{
	size_t i;

	c->hello = calloc(1, sizeof(*c->hello));
	assert_non_null(c->hello);
	for (i = 0; i < n; i++)
		snprintf(c->hello->alpn[i], sizeof(c->hello->alpn[i]), "%s", alpn[i]);
	c->hello->nalpn = n;
}

static bool offers_h11(const struct conn *c)
{
	const uint8_t *p = NULL;
	size_t n = 0;

	if (!next_layer_alpn(c, &p, &n))
		return false;
	assert_int_equal(n, sizeof(h11) - 1);
	assert_memory_equal(p, h11, n);
	return true;
}

static void test_alpn_offer(void **state)
{
	static const char *const both[] = {"h2", "http/1.1"};
	static const char *const h2_only[] = {"h2"};
	struct conn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.kind = MODE_REGULAR;
	assert_true(offers_h11(&c)); /* no ClientHello (plain client, lazy) */
	c.force_raw = true;
	assert_false(offers_h11(&c)); /* raw relay: no ALPN of ours */
	c.force_raw = false;

	hello_with(&c, both, 2);
	assert_true(offers_h11(&c));
	c.force_raw = true;
	assert_true(offers_h11(&c)); /* the client offered it: passed on */
	c.force_raw = false;
	free(c.hello);

	hello_with(&c, h2_only, 1);
	assert_false(offers_h11(&c)); /* offered only h2: nothing we speak */
	c.kind = MODE_REVERSE;
	assert_true(offers_h11(&c)); /* a reverse proxy speaks HTTP/1.1 to its server */
	free(c.hello);

	hello_with(&c, NULL, 0);
	c.kind = MODE_TRANSPARENT;
	assert_true(offers_h11(&c));
	free(c.hello);
}

/* A worker with http2 on (wk = w) and a tunnel of mode `kind` on it. */
static void tunnel_with_http2(struct worker *w, struct conn *c, enum mode_kind kind)
{
	memset(w, 0, sizeof(*w));
	memset(c, 0, sizeof(*c));
	w->opts.http2 = true;
	wk = w;
	c->kind = kind;
	c->tunnel = true;
}

/* The offer under eager interception with http2 on: h2 (and http/1.1 if
 * the client offered it) before the client's handshake; after it, or with
 * http2 off, HTTP/1.1 only. */
static void test_alpn_offer_h2(void **state)
{
	static const char *const both[] = {"h2", "http/1.1"};
	static const char *const h2_only[] = {"h2"};
	static const uint8_t h2_h11[] = "\x02h2\x08http/1.1", h2w[] = "\x02h2";
	struct worker w;
	struct conn c;
	const uint8_t *p;
	size_t n;

	(void)state;
	tunnel_with_http2(&w, &c, MODE_REGULAR);
	hello_with(&c, both, 2);
	assert_true(next_layer_alpn(&c, &p, &n));
	assert_int_equal(n, sizeof(h2_h11) - 1);
	assert_memory_equal(p, h2_h11, n);
	w.opts.http2 = false;
	assert_true(offers_h11(&c));
	w.opts.http2 = true;
	c.tls = true; /* the client's handshake is over: no h2 to a new server connection */
	assert_true(offers_h11(&c));
	c.tls = false;
	free(c.hello);

	hello_with(&c, h2_only, 1);
	assert_true(next_layer_alpn(&c, &p, &n));
	assert_int_equal(n, sizeof(h2w) - 1);
	assert_memory_equal(p, h2w, n);
	free(c.hello);
	wk = NULL;
}

/* Where snare answered the client h2 itself, the server it connects later
 * is offered h2 and http/1.1 (translated if it takes http/1.1): after the
 * client's handshake once the HTTP/2 layer runs (lazy), and for a cleartext
 * client that sent the HTTP/2 preface. */
static void test_alpn_offer_h2_translating(void **state)
{
	static const char *const both[] = {"h2", "http/1.1"};
	static const uint8_t h2_h11[] = "\x02h2\x08http/1.1";
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct worker w;
	struct conn c;
	const uint8_t *p;
	size_t n;

	(void)state;
	tunnel_with_http2(&w, &c, MODE_REVERSE);
	c.tls = true;
	hello_with(&c, both, 2);
	assert_true(offers_h11(&c));	      /* an HTTP/1 client after its handshake */
	c.h2 = (struct h2_proxy *)(void *)&w; /* the HTTP/2 layer started */
	assert_true(next_layer_alpn(&c, &p, &n));
	assert_int_equal(n, sizeof(h2_h11) - 1);
	assert_memory_equal(p, h2_h11, n);
	c.h2 = NULL;
	free(c.hello);
	c.hello = NULL;

	c.tls = false;
	buf_init(&c.client.in, 4096);
	assert_int_equal(buf_append(&c.client.in, "GET / HTTP/1.1\r\n", 16), 0);
	assert_true(offers_h11(&c)); /* a cleartext HTTP/1 client */
	buf_consume(&c.client.in, 16);
	assert_int_equal(buf_append(&c.client.in, preface, sizeof(preface) - 1), 0);
	assert_true(next_layer_alpn(&c, &p, &n));
	assert_int_equal(n, sizeof(h2_h11) - 1);
	w.opts.http2 = false;
	assert_true(offers_h11(&c)); /* http2 off: the preface means nothing */
	buf_free(&c.client.in);
	wk = NULL;
}

/* http2_origin: an HTTP/1.1 client's server is offered h2 and http/1.1
 * (the HTTP/2 layer serves it then), before and after the client's handshake; not
 * without the option, with http2 off, or outside a tunnel. */
static void test_alpn_offer_http2_origin(void **state)
{
	static const char *const h11_only[] = {"http/1.1"};
	static const uint8_t h2_h11[] = "\x02h2\x08http/1.1";
	struct worker w;
	struct conn c;
	const uint8_t *p;
	size_t n;

	(void)state;
	tunnel_with_http2(&w, &c, MODE_REVERSE);
	hello_with(&c, h11_only, 1);
	assert_true(offers_h11(&c)); /* the option is off */
	w.opts.http2_origin = true;
	assert_true(next_layer_alpn(&c, &p, &n));
	assert_int_equal(n, sizeof(h2_h11) - 1);
	assert_memory_equal(p, h2_h11, n);
	c.tls = true; /* after the client's handshake (lazy): the same */
	assert_true(next_layer_alpn(&c, &p, &n));
	assert_int_equal(n, sizeof(h2_h11) - 1);
	w.opts.http2 = false;
	assert_true(offers_h11(&c));
	w.opts.http2 = true;
	c.tunnel = false;
	assert_true(offers_h11(&c));
	free(c.hello);
	wk = NULL;
}

/* http2_origin: once an HTTP/1.1 client's server chose http/1.1 when
 * asked before the first request (http.c), a server connection made again
 * for that client is offered http/1.1 only. */
static void test_alpn_offer_http2_origin_h1_only(void **state)
{
	static const char *const h11_only[] = {"http/1.1"};
	struct http_state hs;
	struct worker w;
	struct conn c;
	const uint8_t *p;
	size_t n;

	(void)state;
	memset(&hs, 0, sizeof(hs));
	tunnel_with_http2(&w, &c, MODE_REVERSE);
	hello_with(&c, h11_only, 1);
	w.opts.http2_origin = true;
	c.tls = true;
	c.http = &hs;
	assert_true(next_layer_alpn(&c, &p, &n));
	assert_int_equal(n, 12); /* h2 and http/1.1 while undecided */
	hs.h1_only = true;
	assert_true(offers_h11(&c));
	free(c.hello);
	wk = NULL;
}

static void test_close_without_layers(void **state)
{
	struct conn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	layers_trim(&c);
	layers_close(&c);
	assert_null(c.http);
	assert_null(c.relay);
	assert_null(c.socks);
	assert_null(c.dns);
	assert_null(c.hello);
	assert_false(layer_wait_over(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alpn_offer),
	    cmocka_unit_test(test_alpn_offer_h2),
	    cmocka_unit_test(test_alpn_offer_h2_translating),
	    cmocka_unit_test(test_alpn_offer_http2_origin),
	    cmocka_unit_test(test_alpn_offer_http2_origin_h1_only),
	    cmocka_unit_test(test_close_without_layers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
