/* Unit test of the first-request peek of cleartext h2 sent to a
 * regular-mode listener (daemon/worker/h2_regular.c): the preface, frames
 * before the first HEADERS, padding and priority, CONTINUATION, what is
 * still incomplete, and the malformed starts it refuses; the answers to
 * streams of a bound connection (mitm.it, CONNECT). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "worker/conn.h"
#include "worker/h2_regular.h"
#include "worker/worker_ctx.h"

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct wire {
	uint8_t b[4096];
	size_t n;
};

static void put(struct wire *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	if (n)
		memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		  size_t n)
{
	uint8_t h[9] = {
	    (uint8_t)(n >> 16),	  (uint8_t)(n >> 8),	(uint8_t)n,	     type,	  flags,
	    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};

	put(w, h, 9);
	put(w, p, n);
}

/* An HPACK literal without indexing, new name, no Huffman. */
static void lit(struct wire *w, const char *name, const char *value)
{
	uint8_t z = 0, nl = (uint8_t)strlen(name), vl = (uint8_t)strlen(value);

	put(w, &z, 1);
	put(w, &nl, 1);
	put(w, name, nl);
	put(w, &vl, 1);
	put(w, value, vl);
}

static void block(struct wire *w, const char *method, const char *auth)
{
	lit(w, ":method", method);
	lit(w, ":scheme", "http");
	lit(w, ":path", "/x");
	lit(w, ":authority", auth);
}

static void start(struct wire *w)
{
	w->n = 0;
	put(w, preface, sizeof(preface) - 1);
	frame(w, 0x4, 0, 0, NULL, 0); /* SETTINGS */
}

static void test_simple_and_incomplete(void **state)
{
	struct wire w, blk = {0};
	struct h2r_first f;

	(void)state;
	start(&w);
	block(&blk, "GET", "example.test:8080");
	lit(&blk, "proxy-authorization", "Basic dTpw");
	frame(&w, 0x1, 0x5, 1, blk.b, blk.n);
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_OK);
	assert_string_equal(f.method, "GET");
	assert_string_equal(f.scheme, "http");
	assert_string_equal(f.authority, "example.test:8080");
	assert_string_equal(f.proxy_auth, "Basic dTpw");
	for (size_t n = sizeof(preface) - 1; n < w.n; n++)
		assert_int_equal(h2_regular_peek(w.b, n, &f), H2R_MORE);
	assert_int_equal(h2_regular_peek(w.b, 10, &f), H2R_BAD); /* not the whole preface */
}

static void test_padding_priority_continuation(void **state)
{
	struct wire w, blk = {0}, hp = {0};
	uint8_t pad[] = {3}, prio[] = {0, 0, 0, 0, 16}, zeros[3] = {0};
	struct h2r_first f;

	(void)state;
	start(&w);
	frame(&w, 0x8, 0, 0, "\0\0\x10\0", 4); /* WINDOW_UPDATE */
	block(&blk, "POST", "a.test");
	put(&hp, pad, 1);
	put(&hp, prio, 5);
	put(&hp, blk.b, 7);
	put(&hp, zeros, 3);
	frame(&w, 0x1, 0x8 | 0x20, 3, hp.b, hp.n); /* PADDED|PRIORITY, no END_HEADERS */
	frame(&w, 0x9, 0, 3, blk.b + 7, 10);	   /* CONTINUATION */
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_MORE);
	frame(&w, 0x9, 0x4, 3, blk.b + 17, blk.n - 17); /* END_HEADERS */
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_OK);
	assert_string_equal(f.method, "POST");
	assert_string_equal(f.authority, "a.test");
	assert_string_equal(f.proxy_auth, "");
}

static void test_refused(void **state)
{
	struct wire w, blk = {0};
	struct h2r_first f;
	uint8_t big[20000] = {0};

	(void)state;
	block(&blk, "GET", "a.test");
	start(&w); /* a CONTINUATION of another stream */
	frame(&w, 0x1, 0x1, 1, blk.b, 5);
	frame(&w, 0x9, 0x4, 3, blk.b + 5, blk.n - 5);
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_BAD);
	start(&w); /* a CONTINUATION first */
	frame(&w, 0x9, 0x4, 1, blk.b, blk.n);
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_BAD);
	start(&w); /* padding longer than the frame */
	frame(&w, 0x1, 0x4 | 0x8, 1, "\xff", 1);
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_BAD);
	start(&w); /* a frame above the default SETTINGS_MAX_FRAME_SIZE */
	w.n = sizeof(preface) - 1;
	frame(&w, 0x0, 0, 1, big, 0);
	w.b[w.n - 9] = 0x00, w.b[w.n - 8] = 0x4e, w.b[w.n - 7] = 0x20; /* 20000 */
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_BAD);
	start(&w); /* HPACK that does not decode: an index past the tables */
	frame(&w, 0x1, 0x5, 1, "\xff\xff\xff\x0f", 4);
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_BAD);
	start(&w); /* no :method */
	blk.n = 0;
	lit(&blk, ":authority", "a.test");
	frame(&w, 0x1, 0x5, 1, blk.b, blk.n);
	assert_int_equal(h2_regular_peek(w.b, w.n, &f), H2R_BAD);
}

/* ---- the answers to streams of a bound connection ---- */

static const char *field_of(const struct h2r_answer *a, const char *name)
{
	for (size_t i = 0; i < a->o.head.nfields; i++)
		if (strcmp(a->o.head.fields[i].name, name) == 0)
			return a->o.head.fields[i].value;
	return NULL;
}

/* A regular-mode connection bound to host:80 in a worker with mitm.it on. */
static void bound(struct worker *w, struct conn *c, const char *host)
{
	static uint8_t pem[] = "-----BEGIN CERTIFICATE-----\n", p12[] = {0x30, 0x82, 0x01};

	memset(w, 0, sizeof(*w));
	memset(c, 0, sizeof(*c));
	w->opts.onboarding = true;
	w->opts.onboarding_host = "mitm.it";
	w->ca_pem = pem;
	w->ca_pem_len = sizeof(pem) - 1;
	w->ca_p12 = p12;
	w->ca_p12_len = sizeof(p12);
	wk = w;
	c->kind = MODE_REGULAR;
	c->host = host;
	c->port = 80;
}

static bool ask(struct conn *c, const char *method, const char *authority, const char *path,
		struct h2r_answer *a)
{
	struct hf_head h = {
	    .method = method, .scheme = path ? "http" : NULL, .authority = authority, .path = path};
	struct hf_field *f = NULL;
	bool r = h2_regular_answer(c, &h, a, &f);

	assert_null(f);
	return r;
}

/* mitm.it: the pages and attachments HTTP/1 serves, a 404 page otherwise;
 * another host on the same connection 421, the bound one goes on. */
static void test_mitm_it(void **state)
{
	struct worker w;
	struct conn c;
	struct h2r_answer a;

	(void)state;
	bound(&w, &c, "mitm.it");
	assert_true(ask(&c, "GET", "mitm.it", "/cert/pem", &a));
	assert_int_equal(a.o.head.status, 200);
	assert_string_equal(field_of(&a, "content-type"), "application/x-x509-ca-cert");
	assert_string_equal(field_of(&a, "content-disposition"),
			    "attachment; filename=snare-ca-cert.pem");
	assert_int_equal(a.o.body_len, w.ca_pem_len);
	assert_ptr_equal(a.o.body, w.ca_pem);
	assert_true(ask(&c, "GET", "MITM.IT", "/cert/p12", &a));
	assert_string_equal(field_of(&a, "content-type"), "application/x-pkcs12");
	assert_string_equal(field_of(&a, "content-length"), "3");
	assert_true(ask(&c, "GET", "mitm.it", "/", &a));
	assert_int_equal(a.o.head.status, 200);
	assert_null(field_of(&a, "content-disposition"));
	assert_non_null(strstr((const char *)a.o.body, "Install snare"));
	assert_true(ask(&c, "GET", "mitm.it", "/cert/pem?x", &a));
	assert_int_equal(a.o.head.status, 404);
	assert_string_equal(field_of(&a, "content-type"), "text/html");
	assert_true(ask(&c, "GET", "example.test", "/", &a));
	assert_int_equal(a.o.head.status, 421);

	bound(&w, &c, "example.test");
	assert_false(ask(&c, "GET", "example.test", "/", &a)); /* goes to the server */
	bound(&w, &c, "mitm.it");
	w.opts.onboarding = false;
	assert_false(ask(&c, "GET", "mitm.it", "/cert/pem", &a)); /* onboarding off: a host */
	wk = NULL;
}

/* CONNECT (no :path, RFC 9113 8.5) is answered 502 with the reason, on a
 * bound connection too; an extended CONNECT (RFC 8441, with :path) is not
 * answered here. */
static void test_connect_502(void **state)
{
	struct worker w;
	struct conn c;
	struct h2r_answer a;

	(void)state;
	bound(&w, &c, "example.test");
	assert_true(ask(&c, "CONNECT", "example.test:443", NULL, &a));
	assert_int_equal(a.o.head.status, 502);
	assert_memory_equal(a.o.body, H2R_NO_CONNECT, strlen(H2R_NO_CONNECT));
	assert_false(ask(&c, "CONNECT", "example.test", "/chat", &a));
	wk = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_and_incomplete),
	    cmocka_unit_test(test_padding_priority_continuation),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_mitm_it),
	    cmocka_unit_test(test_connect_502),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
