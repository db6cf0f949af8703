/* Unit tests for dns_https_strip (worker side): ech and h3 ALPN ids leave HTTPS records, keys
 * they leave empty go too (alpn, mandatory), other records and parameters are kept byte for
 * byte, and a message with nothing to strip is left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "dns/dns.h"

/* An HTTPS rdata: priority 1, target ".", then params in key order. */
struct rd {
	uint8_t b[512];
	size_t n;
};

static void rd_init(struct rd *r)
{
	r->b[0] = 0;
	r->b[1] = 1;
	r->b[2] = 0;
	r->n = 3;
}

static void rd_param(struct rd *r, uint16_t key, const void *v, size_t n)
{
	r->b[r->n++] = (uint8_t)(key >> 8);
	r->b[r->n++] = (uint8_t)key;
	r->b[r->n++] = (uint8_t)(n >> 8);
	r->b[r->n++] = (uint8_t)n;
	if (n > 0)
		memcpy(r->b + r->n, v, n);
	r->n += n;
}

/* A response for example.com HTTPS holding the given record, an A record and an OPT record. */
static void response(struct dns_builder *b, const struct rd *r)
{
	static const uint8_t a[4] = {192, 0, 2, 1};

	dns_builder_init(b, 4096);
	assert_int_equal(dns_build_header(b, 0x1234, DNS_F_QR | DNS_F_RD | DNS_F_RA), 0);
	assert_int_equal(dns_build_question(b, "example.com", DNS_T_HTTPS, DNS_C_IN), 0);
	assert_int_equal(dns_build_rr(b, DNS_AN, "example.com", DNS_T_HTTPS, DNS_C_IN, 300, r->b,
				      (uint16_t)r->n),
			 0);
	assert_int_equal(dns_build_rr(b, DNS_AN, "example.com", DNS_T_A, DNS_C_IN, 60, a, 4), 0);
	assert_int_equal(dns_build_opt(b, 1232, 0, false, NULL, 0), 0);
}

/* Strips, re-parses and compares the HTTPS record's display; want NULL means "not rewritten". */
static void expect_strip(const struct rd *r, unsigned what, const char *want)
{
	struct dns_builder in, out;
	struct dns_msg m, m2;

	response(&in, r);
	assert_int_equal(dns_parse(in.buf, in.len, &m), 0);
	dns_builder_init(&out, 4096);
	int ret = dns_https_strip(&m, what, &out);
	if (want == NULL) {
		assert_int_equal(ret, 0);
		assert_int_equal(out.len, 0);
	} else {
		assert_int_equal(ret, 1);
		assert_int_equal(dns_parse(out.buf, out.len, &m2), 0);
		assert_int_equal(m2.id, 0x1234);
		assert_int_equal(m2.flags, m.flags);
		assert_int_equal(m2.nqd, 1);
		assert_int_equal(m2.nan, 2);
		assert_int_equal(m2.nar, 1);
		assert_true(m2.has_edns);
		assert_string_equal(m2.an[0].display, want);
		assert_int_equal(m2.an[0].ttl, 300);
		assert_string_equal(m2.an[1].display, "192.0.2.1");
		dns_msg_free(&m2);
	}
	dns_msg_free(&m);
	dns_builder_free(&in);
	dns_builder_free(&out);
}

static const uint8_t alpn_h2_h3[] = "\x02h2\x02h3\x05h3-29";
static const uint8_t ech[] = {0x00, 0x45, 0xfe, 0x0d};
static const uint8_t v4hint[] = {192, 0, 2, 7};

static void test_ech_and_h3(void **state)
{
	struct rd r;

	(void)state;
	rd_init(&r);
	rd_param(&r, 1, alpn_h2_h3, sizeof(alpn_h2_h3) - 1);
	rd_param(&r, 4, v4hint, sizeof(v4hint));
	rd_param(&r, 5, ech, sizeof(ech));
	expect_strip(&r, DNS_STRIP_ECH | DNS_STRIP_H3, "1 . alpn=h2 ipv4hint=192.0.2.7");
	expect_strip(&r, DNS_STRIP_ECH, "1 . alpn=h2,h3,h3-29 ipv4hint=192.0.2.7");
	expect_strip(&r, DNS_STRIP_H3, "1 . alpn=h2 ipv4hint=192.0.2.7 ech=AEX+DQ==");
	expect_strip(&r, 0, NULL);
}

static void test_empty_keys_go(void **state)
{
	static const uint8_t only_h3[] = "\x02h3";
	static const uint8_t mand[] = {0, 1, 0, 3}; /* alpn, port */
	static const uint8_t port[] = {0x01, 0xbb};
	struct rd r;

	(void)state;
	rd_init(&r);
	rd_param(&r, 0, mand, sizeof(mand));
	rd_param(&r, 1, only_h3, sizeof(only_h3) - 1);
	rd_param(&r, 2, NULL, 0);
	rd_param(&r, 3, port, sizeof(port));
	expect_strip(&r, DNS_STRIP_H3, "1 . mandatory=port no-default-alpn port=443");

	static const uint8_t mand_ech[] = {0, 5};
	rd_init(&r);
	rd_param(&r, 0, mand_ech, sizeof(mand_ech));
	rd_param(&r, 5, ech, sizeof(ech));
	expect_strip(&r, DNS_STRIP_ECH, "1 .");
}

static void test_nothing_to_strip(void **state)
{
	static const uint8_t h2[] = "\x02h2\x08http/1.1";
	struct rd r;

	(void)state;
	rd_init(&r);
	rd_param(&r, 1, h2, sizeof(h2) - 1);
	expect_strip(&r, DNS_STRIP_ECH | DNS_STRIP_H3, NULL);
	rd_init(&r);
	expect_strip(&r, DNS_STRIP_ECH | DNS_STRIP_H3, NULL);
}

/* A builder too small for the rewritten message reports -EMSGSIZE. */
static void test_too_small(void **state)
{
	struct dns_builder in, out;
	struct dns_msg m;
	struct rd r;

	(void)state;
	rd_init(&r);
	rd_param(&r, 5, ech, sizeof(ech));
	response(&in, &r);
	assert_int_equal(dns_parse(in.buf, in.len, &m), 0);
	dns_builder_init(&out, 20);
	assert_int_equal(dns_https_strip(&m, DNS_STRIP_ECH, &out), -EMSGSIZE);
	dns_msg_free(&m);
	dns_builder_free(&in);
	dns_builder_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ech_and_h3),
	    cmocka_unit_test(test_empty_keys_go),
	    cmocka_unit_test(test_nothing_to_strip),
	    cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
