/* Unit tests for dns_fit_udp (dns/truncate.c): a reply that fits is left alone; a longer one is
 * cut to header (TC set, id, flags and rcode kept), questions and OPT, within the client's
 * size, and parses; a reply that does not parse keeps its header and first question; no header,
 * no reply. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "dns/dns.h"

/* A reply to "big.test TXT" with n TXT records of 250 bytes, and an OPT record when edns. */
static void big_reply(struct dns_builder *b, unsigned n, bool edns, uint16_t flags)
{
	uint8_t txt[251];

	txt[0] = 250;
	memset(txt + 1, 'x', 250);
	dns_builder_init(b, DNS_MAX_MSG);
	assert_int_equal(dns_build_header(b, 0xbeef, flags), 0);
	assert_int_equal(dns_build_question(b, "big.test", DNS_T_TXT, DNS_C_IN), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(
		    dns_build_rr(b, DNS_AN, "big.test", DNS_T_TXT, DNS_C_IN, 60, txt, sizeof(txt)),
		    0);
	if (edns)
		assert_int_equal(dns_build_opt(b, 1232, 0, true, NULL, 0), 0);
}

static void test_fits_untouched(void **state)
{
	struct dns_builder r, out;

	(void)state;
	big_reply(&r, 1, false, 0x8180);
	dns_builder_init(&out, DNS_UDP_MIN);
	assert_true(r.len <= DNS_UDP_MIN);
	assert_int_equal(dns_fit_udp(r.buf, r.len, DNS_UDP_MIN, &out), 0);
	assert_int_equal(out.len, 0);
	dns_builder_free(&out);
	dns_builder_free(&r);
}

/* Cuts r at limit and checks the result; returns nothing, frees all. */
static void check_cut(unsigned n, bool edns, size_t limit, uint16_t flags)
{
	struct dns_builder r, out;
	struct dns_msg m;

	big_reply(&r, n, edns, flags);
	assert_true(r.len > limit);
	dns_builder_init(&out, DNS_MAX_MSG);
	assert_int_equal(dns_fit_udp(r.buf, r.len, limit, &out), 1);
	assert_true(out.len <= limit);
	assert_int_equal(dns_parse(out.buf, out.len, &m), 0);
	assert_int_equal(m.id, 0xbeef);
	assert_true(m.tc);
	assert_int_equal(m.flags, flags | DNS_F_TC);
	assert_int_equal(m.nqd, 1);
	assert_string_equal(m.qd[0].name, "big.test");
	assert_int_equal(m.qd[0].type, DNS_T_TXT);
	assert_int_equal(m.nan, 0);
	assert_int_equal(m.nns, 0);
	assert_int_equal(m.has_edns, edns);
	if (edns) {
		assert_int_equal(m.nar, 1);
		assert_int_equal(m.edns_udp_size, 1232);
		assert_true(m.edns_do);
	}
	dns_msg_free(&m);
	dns_builder_free(&out);
	dns_builder_free(&r);
}

static void test_cut_512_without_edns(void **state)
{
	(void)state;
	check_cut(12, false, DNS_UDP_MIN, 0x8180);
	check_cut(3, false, DNS_UDP_MIN, 0x8580); /* AA kept */
	check_cut(3, false, DNS_UDP_MIN, 0x8183); /* NXDOMAIN kept */
}

static void test_cut_to_edns_size(void **state)
{
	(void)state;
	check_cut(12, true, 1232, 0x8180);
	check_cut(12, true, 4096 - 1000, 0x8180);
	check_cut(12, true, DNS_UDP_MIN, 0x8180);
}

/* The builder the caller made larger is held to limit too. */
static void test_cap_lowered(void **state)
{
	struct dns_builder r, out;

	(void)state;
	big_reply(&r, 4, true, 0x8180);
	dns_builder_init(&out, DNS_MAX_MSG);
	assert_int_equal(dns_fit_udp(r.buf, r.len, 700, &out), 1);
	assert_true(out.cap <= 700);
	dns_builder_free(&out);
	dns_builder_free(&r);
}

static void test_unparsable_keeps_header_and_question(void **state)
{
	struct dns_builder r, out;
	struct dns_msg m;
	uint8_t bad[1500];

	(void)state;
	big_reply(&r, 5, false, 0x8180);
	memcpy(bad, r.buf, r.len);
	bad[7] = 9; /* ANCOUNT 9 of 5 records: runs past the end */
	dns_builder_init(&out, DNS_UDP_MIN);
	assert_int_not_equal(dns_parse(bad, r.len, &m), 0);
	assert_int_equal(dns_fit_udp(bad, r.len, DNS_UDP_MIN, &out), 1);
	assert_int_equal(dns_parse(out.buf, out.len, &m), 0);
	assert_true(m.tc);
	assert_int_equal(m.id, 0xbeef);
	assert_int_equal(m.nqd, 1);
	assert_string_equal(m.qd[0].name, "big.test");
	assert_int_equal(m.nan, 0);
	dns_msg_free(&m);
	/* No readable question: the header alone. */
	memset(bad + 12, 0xff, r.len - 12);
	assert_int_equal(dns_fit_udp(bad, r.len, DNS_UDP_MIN, &out), 1);
	assert_int_equal(out.len, DNS_HEADER_LEN);
	assert_int_equal(out.buf[2] & 0x02, 0x02);
	assert_int_equal(out.buf[4] | out.buf[5] | out.buf[6] | out.buf[7], 0);
	dns_builder_free(&out);
	dns_builder_free(&r);
}

static void test_no_header(void **state)
{
	struct dns_builder out;
	uint8_t junk[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	(void)state;
	dns_builder_init(&out, DNS_UDP_MIN);
	assert_int_equal(dns_fit_udp(junk, sizeof(junk), 4, &out), -EBADMSG);
	dns_builder_free(&out);
}

/* The size a query allows: 512 without EDNS or below it, the EDNS size up to 4096. */
static void test_udp_limit(void **state)
{
	struct dns_builder q;
	struct dns_msg m;
	static const uint16_t sizes[][2] = {{0, 512}, {100, 512}, {1232, 1232}, {65000, 4096}};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		dns_builder_init(&q, DNS_UDP_MIN);
		assert_int_equal(dns_build_header(&q, 1, DNS_F_RD), 0);
		assert_int_equal(dns_build_question(&q, "a.test", DNS_T_A, DNS_C_IN), 0);
		if (sizes[i][0])
			assert_int_equal(dns_build_opt(&q, sizes[i][0], 0, false, NULL, 0), 0);
		assert_int_equal(dns_parse(q.buf, q.len, &m), 0);
		assert_int_equal(dns_udp_limit(&m), sizes[i][1]);
		dns_msg_free(&m);
		dns_builder_free(&q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fits_untouched),
	    cmocka_unit_test(test_cut_512_without_edns),
	    cmocka_unit_test(test_cut_to_edns_size),
	    cmocka_unit_test(test_cap_lowered),
	    cmocka_unit_test(test_unparsable_keeps_header_and_question),
	    cmocka_unit_test(test_no_header),
	    cmocka_unit_test(test_udp_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
