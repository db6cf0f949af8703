/* Unit tests for the dns module's builder (worker side): exact bytes with name compression,
 * name syntax errors, section order and size limits with rollback, builder -> parser round
 * trips, and the DNS mode's own answers (local A/AAAA, truncation, BADVERS, FORMERR/SERVFAIL). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

#define MSG_MAX 8192

/* Assembles bytes from space-separated tokens: "c00c" hex bytes, "n:www.example.com" a name
 * ("n:." the root), "l:h2" a length-prefixed string, "s:abc" raw text, "w:443" a 16-bit and
 * "d:300" a 32-bit decimal. */
static size_t assemble(uint8_t *out, size_t cap, const char *spec)
{
	char tok[600];
	size_t n = 0;
	int used;

	while (sscanf(spec, " %599s%n", tok, &used) == 1) {
		spec += used;
		const char *v = tok + 2;
		if (strncmp(tok, "n:", 2) == 0) {
			while (strcmp(v, ".") != 0 && *v) {
				size_t len = strcspn(v, ".");
				out[n++] = (uint8_t)len;
				memcpy(out + n, v, len);
				n += len;
				v += len + (v[len] == '.');
			}
			out[n++] = 0;
		} else if (strncmp(tok, "l:", 2) == 0 || strncmp(tok, "s:", 2) == 0) {
			if (tok[0] == 'l')
				out[n++] = (uint8_t)strlen(v);
			memcpy(out + n, v, strlen(v));
			n += strlen(v);
		} else if (strncmp(tok, "w:", 2) == 0) {
			unsigned long x = strtoul(v, NULL, 10);
			out[n++] = (uint8_t)(x >> 8);
			out[n++] = (uint8_t)x;
		} else if (strncmp(tok, "d:", 2) == 0) {
			unsigned long x = strtoul(v, NULL, 10);
			for (int s = 24; s >= 0; s -= 8)
				out[n++] = (uint8_t)(x >> s);
		} else {
			for (size_t i = 0; tok[i] && tok[i + 1]; i += 2) {
				unsigned x;
				assert_int_equal(sscanf(tok + i, "%2x", &x), 1);
				out[n++] = (uint8_t)x;
			}
		}
		assert_true(n <= cap);
	}
	return n;
}

static void assert_bytes(const struct dns_builder *b, const char *spec)
{
	uint8_t want[MSG_MAX];
	size_t n = assemble(want, sizeof(want), spec);

	assert_int_equal(b->len, n);
	assert_memory_equal(b->buf, want, n);
}

static void test_query_bytes(void **state)
{
	struct dns_builder b;

	dns_builder_init(&b, DNS_UDP_MIN);
	assert_int_equal(dns_build_question(&b, "www.example.com", DNS_T_A, DNS_C_IN), -EINVAL);
	assert_int_equal(dns_build_header(&b, 0x1234, DNS_F_RD), 0);
	assert_int_equal(dns_build_question(&b, "www.example.com.", DNS_T_A, DNS_C_IN), 0);
	assert_bytes(&b, "1234 0100 w:1 w:0 w:0 w:0 03777777 076578616d706c65 03636f6d 00 w:1 w:1");
	dns_builder_free(&b);
	assert_null(b.buf);
}

static void test_compression_bytes(void **state)
{
	static const uint8_t mx_pref[2] = {0, 10};
	static const uint8_t addr[4] = {93, 184, 216, 34};
	struct dns_builder b;

	dns_builder_init(&b, DNS_UDP_MIN);
	assert_int_equal(dns_build_header(&b, 0x1234, 0x8180), 0);
	assert_int_equal(dns_build_question(&b, "www.example.com", DNS_T_A, DNS_C_IN), 0);
	assert_int_equal(dns_build_rr_name(&b, DNS_AN, "www.example.com", DNS_T_CNAME, DNS_C_IN,
					   300, NULL, 0, "cdn.example.com"),
			 0);
	assert_int_equal(
	    dns_build_rr(&b, DNS_AN, "cdn.example.com", DNS_T_A, DNS_C_IN, 60, addr, 4), 0);
	/* Case is kept: "EXAMPLE.com" does not point at "example.com", but "com" does. */
	assert_int_equal(dns_build_rr_name(&b, DNS_AR, "EXAMPLE.com", DNS_T_MX, DNS_C_IN, 60,
					   mx_pref, 2, "mx.cdn.example.com"),
			 0);
	assert_bytes(&b, "w:4660 8180 w:1 w:2 w:0 w:1 "
			 "n:www.example.com w:1 w:1 "
			 "c00c w:5 w:1 d:300 w:6 l:cdn c010 "
			 "c02d w:1 w:1 d:60 w:4 5db8d822 "
			 "l:EXAMPLE c018 w:15 w:1 d:60 w:7 w:10 l:mx c02d");
	dns_builder_free(&b);
}

static void test_name_syntax(void **state)
{
	static const char *const bad[] = {
	    "a..b",   ".a",
	    "a\\",    "a\\25",
	    "a\\256", "a\\2x5",
	    "..",     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	};
	char longname[300] = "";
	struct dns_builder b;
	struct dns_msg m;

	dns_builder_init(&b, DNS_MAX_MSG);
	assert_int_equal(dns_build_header(&b, 1, 0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dns_build_question(&b, bad[i], DNS_T_A, DNS_C_IN) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	for (int i = 0; i < 4; i++)
		strcat(longname,
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	assert_int_equal(dns_build_question(&b, longname, DNS_T_A, DNS_C_IN), -EINVAL);
	longname[strlen(longname) - 3] = '\0'; /* 63+63+63+61: 255 bytes */
	assert_int_equal(dns_build_question(&b, longname, DNS_T_A, DNS_C_IN), 0);
	assert_int_equal(dns_build_question(&b, "a\\.b\\032c\\\\.\\065", DNS_T_A, DNS_C_IN), 0);
	assert_int_equal(dns_build_question(&b, ".", DNS_T_NS, DNS_C_IN), 0);
	assert_int_equal(dns_parse(b.buf, b.len, &m), 0);
	assert_int_equal(m.nqd, 3);
	assert_int_equal(strlen(m.qd[0].name), 253);
	assert_string_equal(m.qd[1].name, "a\\.b\\032c\\\\.A");
	assert_string_equal(m.qd[2].name, ".");
	dns_msg_free(&m);
	dns_builder_free(&b);
}

static void test_order_and_limits(void **state)
{
	static const uint8_t addr[4] = {192, 0, 2, 1};
	struct dns_builder b;
	struct dns_msg m;
	size_t len;

	dns_builder_init(&b, DNS_MAX_MSG);
	assert_int_equal(dns_build_header(&b, 1, 0), 0);
	for (int i = 0; i < DNS_MAX_RR; i++)
		assert_int_equal(dns_build_question(&b, "x.test", DNS_T_A, DNS_C_IN), 0);
	assert_int_equal(dns_build_question(&b, "x.test", DNS_T_A, DNS_C_IN), -EINVAL);
	assert_int_equal(dns_build_rr(&b, DNS_NS, "x.test", DNS_T_A, DNS_C_IN, 1, addr, 4), 0);
	assert_int_equal(dns_build_rr(&b, DNS_AN, "x.test", DNS_T_A, DNS_C_IN, 1, addr, 4),
			 -EINVAL);
	assert_int_equal(dns_parse(b.buf, b.len, &m), 0);
	assert_int_equal(m.nqd, DNS_MAX_RR);
	assert_int_equal(m.nns, 1);
	dns_msg_free(&m);
	dns_builder_free(&b);

	/* A record that does not fit leaves the message as it was. */
	dns_builder_init(&b, 12 + 21 + 20);
	assert_int_equal(dns_build_header(&b, 1, 0x8180), 0);
	assert_int_equal(dns_build_question(&b, "www.example.com", DNS_T_A, DNS_C_IN), 0);
	len = b.len;
	assert_int_equal(dns_build_rr_name(&b, DNS_AN, "www.example.com", DNS_T_CNAME, DNS_C_IN, 1,
					   NULL, 0, "a-much-longer-name.example.org"),
			 -EMSGSIZE);
	assert_int_equal(b.len, len);
	assert_int_equal(b.nptrs, 3);
	assert_int_equal(dns_build_rr(&b, DNS_AN, "www.example.com", DNS_T_A, DNS_C_IN, 1, addr, 4),
			 0);
	assert_int_equal(b.len, b.cap - 4);
	assert_int_equal(dns_parse(b.buf, b.len, &m), 0);
	assert_int_equal(m.nan, 1);
	assert_string_equal(m.an[0].display, "192.0.2.1");
	dns_msg_free(&m);
	dns_builder_free(&b);
}

static void test_pointer_range(void **state)
{
	static uint8_t filler[20000];
	struct dns_builder b;
	struct dns_msg m;
	size_t before;

	dns_builder_init(&b, DNS_MAX_MSG);
	assert_int_equal(dns_build_header(&b, 1, 0x8000), 0);
	assert_int_equal(dns_build_question(&b, "www.example.com", DNS_T_A, DNS_C_IN), 0);
	assert_int_equal(
	    dns_build_rr(&b, DNS_AN, "www.example.com", 65280, DNS_C_IN, 1, filler, sizeof(filler)),
	    0);
	/* Past 0x3fff: still points back, but is never pointed at. */
	before = b.len;
	assert_int_equal(dns_build_rr(&b, DNS_AN, "new.example.com", 65280, DNS_C_IN, 1, NULL, 0),
			 0);
	assert_int_equal(b.len - before, 4 + 2 + 10);
	before = b.len;
	assert_int_equal(dns_build_rr(&b, DNS_AN, "new.example.com", 65280, DNS_C_IN, 1, NULL, 0),
			 0);
	assert_int_equal(b.len - before, 4 + 2 + 10);
	assert_int_equal(dns_parse(b.buf, b.len, &m), 0);
	assert_string_equal(m.an[2].name, "new.example.com");
	assert_string_equal(m.an[2].display, "\\# 0");
	dns_msg_free(&m);
	dns_builder_free(&b);
}

/* Every decoded type through the builder, the parser, and a copy that must give equal bytes. */
static void test_round_trip(void **state)
{
	static const uint8_t a[4] = {10, 1, 2, 3}, pref[2] = {0, 5}, srv[6] = {0, 1, 0, 2, 1, 187};
	static const uint8_t aaaa[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t txt[] = "\x05hello\x03x y", cookie[] = {0, 10, 0, 2, 0xab, 0xcd};
	static const uint8_t https[] = {0, 1, 0, 0, 1, 0, 3, 2, 'h', '2', 0, 3, 0, 2, 1, 187};
	static const uint8_t soa_tail[20] = {[3] = 1, [7] = 2, [11] = 3, [15] = 4, [19] = 5};
	static const char *const want[] = {
	    "10.1.2.3",	      "2001:db8::1",	   "alias.example.com",	  "5 mx.example.com",
	    "ns.example.com", "\"hello\" \"x y\"", "1 . alpn=h2 port=443"};
	struct dns_builder b, c;
	struct dns_msg m, m2;
	uint8_t soa[64];
	size_t soalen;

	dns_builder_init(&b, DNS_MAX_MSG);
	assert_int_equal(dns_build_header(&b, 77, 0x8400), 0);
	assert_int_equal(dns_build_question(&b, "Example.com", DNS_T_ANY, DNS_C_IN), 0);
	assert_int_equal(dns_build_rr(&b, DNS_AN, "Example.com", DNS_T_A, 1, 5, a, 4), 0);
	assert_int_equal(dns_build_rr(&b, DNS_AN, "Example.com", DNS_T_AAAA, 1, 5, aaaa, 16), 0);
	assert_int_equal(dns_build_rr_name(&b, DNS_AN, "www.Example.com", DNS_T_CNAME, 1, 5, NULL,
					   0, "alias.example.com"),
			 0);
	assert_int_equal(
	    dns_build_rr_name(&b, DNS_AN, "Example.com", DNS_T_MX, 1, 5, pref, 2, "mx.example.com"),
	    0);
	assert_int_equal(
	    dns_build_rr_name(&b, DNS_AN, "Example.com", DNS_T_NS, 1, 5, NULL, 0, "ns.example.com"),
	    0);
	assert_int_equal(dns_build_rr(&b, DNS_AN, "Example.com", DNS_T_TXT, 1, 5, txt, 10), 0);
	assert_int_equal(
	    dns_build_rr(&b, DNS_AN, "Example.com", DNS_T_HTTPS, 1, 5, https, sizeof(https)), 0);
	soalen = 0;
	soa[soalen++] = 0xc0; /* mname: a pointer to the question's name */
	soa[soalen++] = 12;
	memcpy(soa + soalen, "\x05hostm\xc0\x0c", 8);
	soalen += 8;
	memcpy(soa + soalen, soa_tail, 20);
	soalen += 20;
	assert_int_equal(dns_build_rr(&b, DNS_NS, "Example.com", DNS_T_SOA, 1, 5, soa, soalen), 0);
	assert_int_equal(dns_build_rr_name(&b, DNS_AR, "_sip._tcp.Example.com", DNS_T_SRV, 1, 5,
					   srv, 6, "sip.example.com"),
			 0);
	assert_int_equal(dns_build_opt(&b, 1232, 0, true, cookie, sizeof(cookie)), 0);

	assert_int_equal(dns_parse(b.buf, b.len, &m), 0);
	assert_true(m.qr && m.aa);
	assert_int_equal(m.nan, 7);
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(m.an[i].display, want[i]);
	assert_string_equal(m.an[2].name, "www.Example.com");
	assert_string_equal(m.ns[0].display, "Example.com hostm.Example.com 1 2 3 4 5");
	assert_string_equal(m.ar[0].display, "1 2 443 sip.example.com");
	assert_true(m.has_edns && m.edns_do);
	assert_int_equal(m.edns_optlen, sizeof(cookie));

	dns_builder_init(&c, DNS_MAX_MSG);
	assert_int_equal(dns_build_header(&c, m.id, m.flags), 0);
	assert_int_equal(dns_build_question(&c, m.qd[0].name, m.qd[0].type, m.qd[0].class), 0);
	for (size_t i = 0; i < m.nan; i++)
		assert_int_equal(dns_build_rr_copy(&c, DNS_AN, &m, &m.an[i]), 0);
	assert_int_equal(dns_build_rr_copy(&c, DNS_NS, &m, &m.ns[0]), 0);
	for (size_t i = 0; i < m.nar; i++)
		assert_int_equal(dns_build_rr_copy(&c, DNS_AR, &m, &m.ar[i]), 0);
	assert_int_equal(c.len, b.len);
	assert_memory_equal(c.buf, b.buf, b.len);
	assert_int_equal(dns_parse(c.buf, c.len, &m2), 0);
	dns_msg_free(&m2);
	dns_msg_free(&m);
	dns_builder_free(&c);
	dns_builder_free(&b);
}

static struct sockaddr_storage addr_of(const char *s)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		return ss;
	}
	assert_int_equal(inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	ss.ss_family = AF_INET6;
	return ss;
}

/* Parses a query, answers it with the addresses into a builder of the query's UDP limit. */
static int answer(const char *query, int rcode, size_t naddrs, struct dns_builder *out)
{
	struct sockaddr_storage addrs[64];
	uint8_t q[MSG_MAX];
	struct dns_msg m;
	size_t n = assemble(q, sizeof(q), query);
	int r;

	assert_true(naddrs <= 64);
	addrs[0] = addr_of("93.184.216.34");
	addrs[1] = addr_of("2001:db8::1");
	for (size_t i = 2; i < naddrs; i++)
		addrs[i] = addr_of("198.51.100.7");
	assert_int_equal(dns_parse(q, n, &m), 0);
	dns_builder_init(out, dns_udp_limit(&m));
	r = dns_build_answer(&m, rcode, addrs, naddrs, 60, out);
	dns_msg_free(&m);
	return r;
}

static void test_local_answer(void **state)
{
	struct dns_builder b;
	struct dns_msg m;

	/* dig +dnssec +cd: RD, AD, CD; EDNS 4096 with DO and a cookie that is not echoed. */
	assert_int_equal(answer("w:48879 0130 w:1 w:0 w:0 w:1 n:Example.COM w:1 w:1 "
				"00 w:41 w:4096 d:32768 w:12 w:10 w:8 0102030405060708",
				0, 3, &b),
			 0);
	assert_int_equal(b.cap, 4096);
	assert_bytes(&b, "w:48879 8190 w:1 w:2 w:0 w:1 n:Example.COM w:1 w:1 "
			 "c00c w:1 w:1 d:60 w:4 5db8d822 c00c w:1 w:1 d:60 w:4 c6336407 "
			 "00 w:41 w:1232 d:32768 w:0");
	dns_builder_free(&b);

	/* AAAA without EDNS: only the IPv6 address, no OPT, RD copied. */
	assert_int_equal(answer("w:2 0100 w:1 w:0 w:0 w:0 n:example.com w:28 w:1", 0, 3, &b), 0);
	assert_int_equal(dns_parse(b.buf, b.len, &m), 0);
	assert_true(m.qr && m.ra && m.rd && !m.aa && !m.tc);
	assert_int_equal(m.nan, 1);
	assert_int_equal(m.an[0].type, DNS_T_AAAA);
	assert_int_equal(m.an[0].ttl, 60);
	assert_string_equal(m.an[0].display, "2001:db8::1");
	assert_false(m.has_edns);
	dns_msg_free(&m);
	dns_builder_free(&b);

	/* NXDOMAIN: no answers. */
	assert_int_equal(answer("w:3 0100 w:1 w:0 w:0 w:0 n:nope.test w:1 w:1", 3, 0, &b), 0);
	assert_bytes(&b, "w:3 8183 w:1 w:0 w:0 w:0 n:nope.test w:1 w:1");
	dns_builder_free(&b);
	assert_int_equal(answer("w:3 0100 w:1 w:0 w:0 w:0 n:nope.test w:1 w:1", 16, 0, &b),
			 -EINVAL);
	dns_builder_free(&b);
}

static void test_answer_truncation_and_badvers(void **state)
{
	struct dns_builder b;
	struct dns_msg m;

	/* 64 A records do not fit in 512 bytes: TC, the question, nothing else. */
	assert_int_equal(answer("w:4 0100 w:1 w:0 w:0 w:0 n:many.test w:1 w:1", 0, 64, &b), 0);
	assert_bytes(&b, "w:4 8380 w:1 w:0 w:0 w:0 n:many.test w:1 w:1");
	dns_builder_free(&b);
	/* With EDNS 1232 they fit. */
	assert_int_equal(answer("w:4 0100 w:1 w:0 w:0 w:1 n:many.test w:1 w:1 00 w:41 w:1232 d:0 "
				"w:0",
				0, 64, &b),
			 0);
	assert_int_equal(dns_parse(b.buf, b.len, &m), 0);
	assert_false(m.tc);
	assert_int_equal(m.nan, 63);
	dns_msg_free(&m);
	dns_builder_free(&b);
	/* EDNS version 1: BADVERS, no answers. */
	assert_int_equal(answer("w:5 0100 w:1 w:0 w:0 w:1 n:v.test w:1 w:1 00 w:41 w:1232 "
				"00010000 w:0",
				0, 2, &b),
			 0);
	assert_bytes(&b, "w:5 8180 w:1 w:0 w:0 w:1 n:v.test w:1 w:1 00 w:41 w:1232 01000000 w:0");
	dns_builder_free(&b);
}

static void test_error_answers(void **state)
{
	struct dns_builder b;
	uint8_t q[MSG_MAX];
	size_t n;

	dns_builder_init(&b, DNS_UDP_MIN);
	/* Header, then garbage where the question should be. */
	n = assemble(q, sizeof(q), "w:9 0100 w:1 w:0 w:0 w:0 ff00");
	assert_int_equal(dns_build_error(q, n, DNS_R_FORMERR, &b), 0);
	assert_bytes(&b, "w:9 8181 w:0 w:0 w:0 w:0");
	/* A readable question, a broken rest: the question is echoed. */
	n = assemble(q, sizeof(q), "w:9 0100 w:1 w:1 w:0 w:0 n:a.test w:16 w:1 c0");
	assert_int_equal(dns_build_error(q, n, DNS_R_FORMERR, &b), 0);
	assert_bytes(&b, "w:9 8181 w:1 w:0 w:0 w:0 n:a.test w:16 w:1");
	/* A whole query: SERVFAIL with its question and an OPT record. */
	n = assemble(q, sizeof(q),
		     "w:9 0100 w:1 w:0 w:0 w:1 n:a.test w:1 w:1 00 w:41 w:512 d:0 w:0");
	assert_int_equal(dns_build_error(q, n, DNS_R_SERVFAIL, &b), 0);
	assert_bytes(&b, "w:9 8182 w:1 w:0 w:0 w:1 n:a.test w:1 w:1 00 w:41 w:1232 d:0 w:0");
	/* Not even a header. */
	assert_int_equal(dns_build_error(q, 11, DNS_R_FORMERR, &b), -EBADMSG);
	dns_builder_free(&b);
}

static void test_name_equal(void **state)
{
	assert_true(dns_name_equal("WWW.Example.com.", "www.example.COM"));
	assert_true(dns_name_equal("a\\065", "aa"));
	assert_true(dns_name_equal(".", ""));
	assert_false(dns_name_equal("a.b", "a\\.b"));
	assert_false(dns_name_equal("a.b", "a.b.c"));
	assert_false(dns_name_equal("a..b", "a..b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_bytes),
	    cmocka_unit_test(test_compression_bytes),
	    cmocka_unit_test(test_name_syntax),
	    cmocka_unit_test(test_order_and_limits),
	    cmocka_unit_test(test_pointer_range),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_local_answer),
	    cmocka_unit_test(test_answer_truncation_and_badvers),
	    cmocka_unit_test(test_error_answers),
	    cmocka_unit_test(test_name_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
