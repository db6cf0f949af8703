/* Unit tests for the worker's DTLS HelloVerifyRequest cookies (worker/dtls_cookie.c): the pure
 * make/check pair (same input, same cookie; any change of port, IP, family, scope or period, a
 * different one; one period of grace; exact length; every bit counts; nothing before the secret
 * is drawn), then the SSL_CTX callbacks driven through DTLSv1_listen over memory BIOs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "worker/dtls_int.h"

#define NOW 29000000u /* a period: some minute in 2025 */

static union sockaddr_any ip(const char *host, uint16_t port)
{
	union sockaddr_any a;

	assert_int_equal(addr_parse_ip(host, port, &a), 0);
	return a;
}

static void make(const union sockaddr_any *a, uint64_t period, uint8_t out[DTLS_COOKIE_LEN])
{
	assert_int_equal(dtls_cookie_make(a, period, out), 0);
}

/* Whether a and b get different cookies in the same period. */
static bool differ(const union sockaddr_any *a, const union sockaddr_any *b)
{
	uint8_t ca[DTLS_COOKIE_LEN], cb[DTLS_COOKIE_LEN];

	make(a, NOW, ca);
	make(b, NOW, cb);
	return memcmp(ca, cb, sizeof(ca)) != 0;
}

/* ---- before dtls_cookie_prepare (runs first, in its own group) ---- */

static void test_unprepared_refuses(void **state)
{
	union sockaddr_any a = ip("192.0.2.1", 4433);
	uint8_t c[DTLS_COOKIE_LEN] = {0};

	(void)state;
	assert_int_equal(dtls_cookie_make(&a, NOW, c), -EAGAIN);
	assert_false(dtls_cookie_check(&a, NOW, c, sizeof(c)));
	/* Once prepared, the same call works: the refusal above was the gate. */
	assert_int_equal(dtls_cookie_prepare(), 0);
	assert_int_equal(dtls_cookie_make(&a, NOW, c), 0);
	assert_true(dtls_cookie_check(&a, NOW, c, sizeof(c)));
}

/* ---- the pure pair ---- */

static void test_same_input_same_cookie(void **state)
{
	union sockaddr_any a = ip("192.0.2.1", 4433), b = ip("192.0.2.1", 4433);
	uint8_t c1[DTLS_COOKIE_LEN], c2[DTLS_COOKIE_LEN];

	(void)state;
	make(&a, NOW, c1);
	make(&b, NOW, c2);
	assert_memory_equal(c1, c2, sizeof(c1));
	make(&a, NOW + 1, c2);
	assert_memory_not_equal(c1, c2, sizeof(c1));
}

/* Whether host:port gets another cookie than 192.0.2.1:4433. */
static bool differs_from_v4(const char *host, uint16_t port)
{
	union sockaddr_any v4 = ip("192.0.2.1", 4433), o = ip(host, port);

	return differ(&v4, &o);
}

static void test_address_changes_cookie(void **state)
{
	union sockaddr_any s1 = ip("fe80::1", 4433), s2 = s1;

	(void)state;
	assert_false(differs_from_v4("192.0.2.1", 4433)); /* the control */
	assert_true(differs_from_v4("192.0.2.1", 4434));
	assert_true(differs_from_v4("192.0.2.2", 4433));
	assert_true(differs_from_v4("193.0.2.1", 4433));
	/* The same IPv4 address seen through a dual-stack socket, and an IPv6 twin. */
	assert_true(differs_from_v4("::ffff:192.0.2.1", 4433));
	assert_true(differs_from_v4("::c000:201", 4433));
	s2.in6.sin6_scope_id = 2;
	assert_true(differ(&s1, &s2));
}

static void test_not_ip_refused(void **state)
{
	union sockaddr_any a = {.sa.sa_family = AF_UNIX};
	uint8_t c[DTLS_COOKIE_LEN];

	(void)state;
	assert_int_equal(dtls_cookie_make(&a, NOW, c), -EAFNOSUPPORT);
	assert_false(dtls_cookie_check(&a, NOW, c, sizeof(c)));
}

static void test_grace_one_period(void **state)
{
	union sockaddr_any a = ip("2001:db8::7", 5684), other;
	uint8_t c[DTLS_COOKIE_LEN];

	(void)state;
	make(&a, NOW, c);
	assert_true(dtls_cookie_check(&a, NOW, c, sizeof(c)));
	assert_true(dtls_cookie_check(&a, NOW + 1, c, sizeof(c)));  /* last period's */
	assert_false(dtls_cookie_check(&a, NOW + 2, c, sizeof(c))); /* two back */
	assert_false(dtls_cookie_check(&a, NOW - 1, c, sizeof(c))); /* from the future */
	other = ip("2001:db8::7", 5685);
	assert_false(dtls_cookie_check(&other, NOW, c, sizeof(c)));
}

static void test_wrong_length_refused(void **state)
{
	union sockaddr_any a = ip("198.51.100.9", 443);
	uint8_t c[DTLS_COOKIE_LEN + 1];

	(void)state;
	make(&a, NOW, c);
	c[DTLS_COOKIE_LEN] = 0;
	assert_true(dtls_cookie_check(&a, NOW, c, DTLS_COOKIE_LEN));
	assert_false(dtls_cookie_check(&a, NOW, c, DTLS_COOKIE_LEN - 1)); /* a valid prefix */
	assert_false(dtls_cookie_check(&a, NOW, c, DTLS_COOKIE_LEN + 1)); /* valid, then more */
	assert_false(dtls_cookie_check(&a, NOW, c, 1));
	assert_false(dtls_cookie_check(&a, NOW, c, 0));
}

static void test_flipped_bit_refused(void **state)
{
	union sockaddr_any a = ip("198.51.100.9", 443);
	uint8_t c[DTLS_COOKIE_LEN];
	unsigned bit;

	(void)state;
	make(&a, NOW, c);
	for (bit = 0; bit < 8 * DTLS_COOKIE_LEN; bit++) {
		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(dtls_cookie_check(&a, NOW, c, sizeof(c)));
		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_true(dtls_cookie_check(&a, NOW, c, sizeof(c)));
}

/* ---- the callbacks, through DTLSv1_listen ---- */

struct hs {
	SSL_CTX *sctx, *cctx;
	SSL *srv, *cli;
	BIO *s_in, *s_out, *c_in, *c_out;
};

static void hs_open(struct hs *h)
{
	memset(h, 0, sizeof(*h));
	h->sctx = SSL_CTX_new(DTLS_server_method());
	h->cctx = SSL_CTX_new(DTLS_client_method());
	assert_non_null(h->sctx);
	assert_non_null(h->cctx);
	dtls_cookie_install(h->sctx);
	h->srv = SSL_new(h->sctx);
	h->cli = SSL_new(h->cctx);
	assert_non_null(h->srv);
	assert_non_null(h->cli);
	h->s_in = BIO_new(BIO_s_mem());
	h->s_out = BIO_new(BIO_s_mem());
	h->c_in = BIO_new(BIO_s_mem());
	h->c_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(h->s_in, -1);
	BIO_set_mem_eof_return(h->c_in, -1);
	SSL_set_bio(h->srv, h->s_in, h->s_out);
	SSL_set_bio(h->cli, h->c_in, h->c_out);
	SSL_set_connect_state(h->cli);
}

static void hs_close(struct hs *h)
{
	SSL_free(h->srv);
	SSL_free(h->cli);
	SSL_CTX_free(h->sctx);
	SSL_CTX_free(h->cctx);
	ERR_clear_error();
}

/* Moves what from wrote into to; the byte count. */
static size_t hs_move(BIO *from, BIO *to, uint8_t *copy, size_t cap)
{
	uint8_t d[4096];
	int n = BIO_read(from, d, sizeof(d));

	if (n <= 0)
		return 0;
	assert_int_equal(BIO_write(to, d, n), n);
	if (copy)
		memcpy(copy, d, (size_t)n < cap ? (size_t)n : cap);
	return (size_t)n;
}

/* The client sends its (next) ClientHello to the server, which listens once. */
static int hs_listen(struct hs *h)
{
	BIO_ADDR *who = BIO_ADDR_new();
	int r;

	assert_non_null(who);
	assert_int_equal(SSL_do_handshake(h->cli), -1);
	assert_true(hs_move(h->c_out, h->s_in, NULL, 0) > 0);
	r = DTLSv1_listen(h->srv, who);
	BIO_ADDR_free(who);
	return r;
}

/* The cookie in the HelloVerifyRequest the server wrote (and hands it to the client). */
static void hs_hvr_cookie(struct hs *h, uint8_t cookie[DTLS_COOKIE_LEN])
{
	uint8_t d[64];
	size_t n = hs_move(h->s_out, h->c_in, d, sizeof(d));

	/* record header 13, handshake header 12 (type 3), version 2, cookie length 1 */
	assert_true(n >= 28 + DTLS_COOKIE_LEN);
	assert_int_equal(d[0], 22);
	assert_int_equal(d[13], 3);
	assert_int_equal(d[27], DTLS_COOKIE_LEN);
	memcpy(cookie, d + 28, DTLS_COOKIE_LEN);
}

static bool is_current_cookie(const union sockaddr_any *a, const uint8_t *c, uint64_t t0)
{
	uint8_t want[DTLS_COOKIE_LEN];
	uint64_t p;

	for (p = t0 / DTLS_COOKIE_PERIOD_S; p <= (uint64_t)time(NULL) / DTLS_COOKIE_PERIOD_S; p++) {
		make(a, p, want);
		if (memcmp(want, c, sizeof(want)) == 0)
			return true;
	}
	return false;
}

static void test_listen_cookie_round_trip(void **state)
{
	union sockaddr_any a = ip("203.0.113.5", 40000);
	uint64_t t0 = (uint64_t)time(NULL);
	uint8_t c[DTLS_COOKIE_LEN];
	struct hs h;

	(void)state;
	hs_open(&h);
	SSL_set_app_data(h.srv, &a);
	assert_int_equal(hs_listen(&h), 0); /* no cookie yet: a HelloVerifyRequest went back */
	hs_hvr_cookie(&h, c);
	assert_true(is_current_cookie(&a, c, t0));
	assert_int_equal(hs_listen(&h), 1); /* the ClientHello again, with that cookie */
	hs_close(&h);
}

static void test_listen_other_address_refused(void **state)
{
	union sockaddr_any a = ip("203.0.113.5", 40000), spoof = ip("203.0.113.5", 40001);
	uint8_t c[DTLS_COOKIE_LEN], c2[DTLS_COOKIE_LEN];
	struct hs h;

	(void)state;
	hs_open(&h);
	SSL_set_app_data(h.srv, &a);
	assert_int_equal(hs_listen(&h), 0);
	hs_hvr_cookie(&h, c);
	SSL_set_app_data(h.srv, &spoof); /* the cookie comes back from another port */
	assert_int_equal(hs_listen(&h), 0);
	hs_hvr_cookie(&h, c2); /* refused: a fresh HelloVerifyRequest, for spoof */
	assert_memory_not_equal(c, c2, sizeof(c));
	hs_close(&h);
}

static void test_listen_without_address_fails(void **state)
{
	struct hs h;

	(void)state;
	hs_open(&h);
	assert_true(hs_listen(&h) < 0); /* no app data: no cookie is made */
	assert_int_equal(BIO_ctrl_pending(h.s_out), 0);
	hs_close(&h);
}

int main(void)
{
	const struct CMUnitTest unprepared[] = {
	    cmocka_unit_test(test_unprepared_refuses),
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_input_same_cookie),
	    cmocka_unit_test(test_address_changes_cookie),
	    cmocka_unit_test(test_not_ip_refused),
	    cmocka_unit_test(test_grace_one_period),
	    cmocka_unit_test(test_wrong_length_refused),
	    cmocka_unit_test(test_flipped_bit_refused),
	    cmocka_unit_test(test_listen_cookie_round_trip),
	    cmocka_unit_test(test_listen_other_address_refused),
	    cmocka_unit_test(test_listen_without_address_fails),
	};
	int failed = cmocka_run_group_tests_name("dtls_cookie_unprepared", unprepared, NULL, NULL);

	return failed + cmocka_run_group_tests_name("dtls_cookie", tests, NULL, NULL);
}
