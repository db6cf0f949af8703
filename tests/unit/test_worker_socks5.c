/* Unit tests for the worker's SOCKS5 wire format (worker/socks5_wire.c): greeting, RFC 1929
 * sub-negotiation, requests with each address type, UDP ASSOCIATE headers and the builders.
 * Every message is also cut at each length to check "need more" never turns into a verdict,
 * and each refusal checks the exact reply code a client would see. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "worker/socks5_wire.h"

static const uint8_t req_v4[] = {5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90};
static const uint8_t req_v6[] = {5, 1, 0, 4, 0, 0, 0, 0, 0, 0,	  0,
				 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0xbb};
static const uint8_t req_name[] = {5,	1,   0,	  3,   11,  'e', 'x', 'a',  'm',
				   'p', 'l', 'e', '.', 'o', 'r', 'g', 0x00, 0x50};

/* ---- greeting ---- */

static void test_greeting_methods(void **state)
{
	const uint8_t offer[] = {5, 2, 0, 2, 0xaa}; /* 0xaa: the next message, pipelined */
	const uint8_t none[] = {5, 0};
	const uint8_t gssapi[] = {5, 1, 1};
	uint8_t m;

	assert_int_equal(socks5_parse_greeting(offer, sizeof(offer), 0, &m), 4);
	assert_int_equal(m, SOCKS5_METHOD_NONE);
	assert_int_equal(socks5_parse_greeting(offer, sizeof(offer), 2, &m), 4);
	assert_int_equal(m, SOCKS5_METHOD_USERPASS);
	assert_int_equal(socks5_parse_greeting(none, sizeof(none), 0, &m), 2);
	assert_int_equal(m, SOCKS5_METHOD_REFUSED);
	assert_int_equal(socks5_parse_greeting(gssapi, sizeof(gssapi), 2, &m), 3);
	assert_int_equal(m, SOCKS5_METHOD_REFUSED);
}

static void test_greeting_truncated_and_version(void **state)
{
	uint8_t g[2 + 255], m;
	size_t i;

	g[0] = 5;
	g[1] = 255;
	for (i = 0; i < 255; i++)
		g[2 + i] = (uint8_t)(i + 3); /* 0 is not offered... */
	g[2 + 254] = 0;			     /* ...until the very last method */
	for (i = 0; i < sizeof(g); i++)
		assert_int_equal(socks5_parse_greeting(g, i, 0, &m), SOCKS5_NEED_MORE);
	assert_int_equal(socks5_parse_greeting(g, sizeof(g), 0, &m), (ssize_t)sizeof(g));
	assert_int_equal(m, 0);
	g[0] = 4; /* SOCKS4 */
	assert_int_equal(socks5_parse_greeting(g, 1, 0, &m), -EPROTO);
	assert_int_equal(socks5_parse_greeting((const uint8_t *)"GET / HTTP/1.1", 14, 0, &m),
			 -EPROTO);
}

static void test_looks_like_http(void **state)
{
	assert_true(socks5_looks_like_http((const uint8_t *)"GET /", 5));
	assert_true(socks5_looks_like_http((const uint8_t *)"CONNECT", 7));
	assert_true(socks5_looks_like_http((const uint8_t *)"G", 1));
	assert_true(socks5_looks_like_http((const uint8_t *)"P\x01", 2));
	assert_false(socks5_looks_like_http((const uint8_t *)"Get", 3));
	assert_false(socks5_looks_like_http((const uint8_t *)"\x04\x01\x00", 3));
	assert_false(socks5_looks_like_http((const uint8_t *)"", 0));
	assert_false(socks5_looks_like_http((const uint8_t *)"12 ", 3));
}

/* ---- RFC 1929 ---- */

static void test_auth_parse(void **state)
{
	const uint8_t msg[] = {1, 3, 's', 'a', 'm', 2, 'p', 'w', 5};
	struct socks5_auth a;
	char cred[16];
	size_t i;

	for (i = 0; i < sizeof(msg) - 1; i++)
		assert_int_equal(socks5_parse_auth(msg, i, &a), SOCKS5_NEED_MORE);
	assert_int_equal(socks5_parse_auth(msg, sizeof(msg), &a), 8);
	assert_int_equal(a.ulen, 3);
	assert_memory_equal(a.user, "sam", 3);
	assert_int_equal(a.plen, 2);
	assert_memory_equal(a.pass, "pw", 2);
	assert_int_equal(socks5_auth_credentials(&a, cred, sizeof(cred)), 0);
	assert_string_equal(cred, "sam:pw");
	assert_int_equal(socks5_auth_credentials(&a, cred, 6), -ENOSPC);
	assert_int_equal(socks5_auth_credentials(&a, cred, 7), 0);
}

static void test_auth_edges(void **state)
{
	const uint8_t empty[] = {1, 0, 0};
	const uint8_t v5[] = {5, 3, 's', 'a', 'm', 2, 'p', 'w'};
	const uint8_t nul[] = {1, 3, 's', 'a', 'm', 5, 'p', 'w', 0, 'x', 'y'};
	struct socks5_auth a;
	char cred[16];

	assert_int_equal(socks5_parse_auth(empty, sizeof(empty), &a), 3);
	assert_int_equal(socks5_auth_credentials(&a, cred, sizeof(cred)), 0);
	assert_string_equal(cred, ":");
	assert_int_equal(socks5_parse_auth(v5, sizeof(v5), &a), -EPROTO);
	assert_int_equal(socks5_parse_auth(v5, 1, &a), -EPROTO);
	/* "sam" / "pw\0xy" must not pass as "sam:pw". */
	assert_int_equal(socks5_parse_auth(nul, sizeof(nul), &a), 11);
	assert_int_equal(socks5_auth_credentials(&a, cred, sizeof(cred)), -EINVAL);
}

/* ---- requests ---- */

static void expect_truncated(const uint8_t *p, size_t n)
{
	struct socks5_request r;
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(socks5_parse_request(p, i, &r), SOCKS5_NEED_MORE);
}

static void test_request_ipv4(void **state)
{
	struct socks5_request r;

	expect_truncated(req_v4, sizeof(req_v4));
	assert_int_equal(socks5_parse_request(req_v4, sizeof(req_v4), &r), 10);
	assert_int_equal(r.rep, SOCKS5_REP_OK);
	assert_int_equal(r.cmd, SOCKS5_CMD_CONNECT);
	assert_int_equal(r.dst.atyp, SOCKS5_ATYP_IPV4);
	assert_string_equal(r.dst.host, "127.0.0.1");
	assert_int_equal(r.dst.port, 8080);
	assert_int_equal(r.dst.ip.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(r.dst.ip.in4.sin_port), 8080);
	assert_int_equal(ntohl(r.dst.ip.in4.sin_addr.s_addr), 0x7f000001);
}

static void test_request_ipv6(void **state)
{
	uint8_t p[sizeof(req_v6) + 3];
	struct socks5_request r;

	expect_truncated(req_v6, sizeof(req_v6));
	memcpy(p, req_v6, sizeof(req_v6));
	memcpy(p + sizeof(req_v6), "\x16\x03\x01", 3); /* a pipelined ClientHello */
	assert_int_equal(socks5_parse_request(p, sizeof(p), &r), 22);
	assert_int_equal(r.dst.atyp, SOCKS5_ATYP_IPV6);
	assert_string_equal(r.dst.host, "::1");
	assert_int_equal(r.dst.port, 443);
	assert_int_equal(r.dst.ip.sa.sa_family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&r.dst.ip.in6.sin6_addr));
}

static void test_request_domain(void **state)
{
	uint8_t p[4 + 1 + 255 + 2] = {5, 3, 0, 3, 255};
	struct socks5_request r;

	expect_truncated(req_name, sizeof(req_name));
	assert_int_equal(socks5_parse_request(req_name, sizeof(req_name), &r), 18);
	assert_int_equal(r.dst.atyp, SOCKS5_ATYP_DOMAIN);
	assert_string_equal(r.dst.host, "example.org");
	assert_int_equal(r.dst.port, 80);
	assert_int_equal(r.dst.ip.sa.sa_family, AF_UNSPEC);
	/* The longest name, with UDP ASSOCIATE. */
	memset(p + 5, 'a', 255);
	expect_truncated(p, sizeof(p));
	assert_int_equal(socks5_parse_request(p, sizeof(p), &r), (ssize_t)sizeof(p));
	assert_int_equal(r.cmd, SOCKS5_CMD_UDP);
	assert_int_equal(strlen(r.dst.host), 255);
}

static void expect_refused(const uint8_t *p, size_t n, uint8_t rep)
{
	struct socks5_request r;

	assert_int_equal(socks5_parse_request(p, n, &r), -EPROTO);
	assert_int_equal(r.rep, rep);
}

static void test_request_refusals(void **state)
{
	uint8_t p[sizeof(req_v4)];
	const uint8_t empty_name[] = {5, 1, 0, 3, 0};
	const uint8_t nul_name[] = {5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80};
	unsigned v;

	for (v = 0; v < 256; v++) {
		memcpy(p, req_v4, sizeof(p));
		p[1] = (uint8_t)v; /* CMD */
		if (v == SOCKS5_CMD_CONNECT || v == SOCKS5_CMD_UDP)
			continue;
		expect_refused(p, 4, SOCKS5_REP_COMMAND); /* known from the header alone */
		expect_refused(p, sizeof(p), SOCKS5_REP_COMMAND);
	}
	for (v = 0; v < 256; v++) {
		memcpy(p, req_v4, sizeof(p));
		p[3] = (uint8_t)v; /* ATYP */
		if (v == 1 || v == 3 || v == 4)
			continue;
		expect_refused(p, 4, SOCKS5_REP_ADDRESS);
	}
	memcpy(p, req_v4, sizeof(p));
	p[0] = 4; /* mitmproxy answers anything but 05 01 00 with 07 */
	expect_refused(p, sizeof(p), SOCKS5_REP_COMMAND);
	p[0] = 5;
	p[2] = 1; /* RSV */
	expect_refused(p, sizeof(p), SOCKS5_REP_COMMAND);
	expect_refused(empty_name, sizeof(empty_name), SOCKS5_REP_FAILURE);
	expect_refused(nul_name, sizeof(nul_name), SOCKS5_REP_FAILURE);
}

/* ---- UDP ASSOCIATE headers ---- */

static void test_udp_header(void **state)
{
	uint8_t d[64] = {0, 0, 0, 1, 10, 0, 0, 7, 0, 53, 'q'};
	const uint8_t named[] = {0,   0,   0,	3,   9,	  'l', 'o',  'c',
				 'a', 'l', 'h', 'o', 's', 't', 0x30, 0x39};
	struct socks5_addr a;
	size_t i;

	assert_int_equal(socks5_parse_udp_header(d, 11, &a), 10);
	assert_string_equal(a.host, "10.0.0.7");
	assert_int_equal(a.port, 53);
	assert_int_equal(socks5_parse_udp_header(d, 10, &a), 10); /* empty payload */
	for (i = 0; i < 10; i++)
		assert_int_equal(socks5_parse_udp_header(d, i, &a), -EMSGSIZE);
	assert_int_equal(socks5_parse_udp_header(named, sizeof(named), &a), 16);
	assert_int_equal(a.atyp, SOCKS5_ATYP_DOMAIN);
	assert_string_equal(a.host, "localhost");
	assert_int_equal(a.port, 12345);
	for (i = 0; i < sizeof(named); i++)
		assert_int_equal(socks5_parse_udp_header(named, i, &a), -EMSGSIZE);
	memcpy(d, req_v6, sizeof(req_v6));
	memset(d, 0, 3);
	assert_int_equal(socks5_parse_udp_header(d, sizeof(req_v6), &a), 22);
	assert_string_equal(a.host, "::1");
	assert_int_equal(socks5_parse_udp_header(d, 21, &a), -EMSGSIZE);
}

static void test_udp_header_dropped(void **state)
{
	uint8_t d[] = {0, 0, 0, 1, 127, 0, 0, 1, 0, 7, 'x'};
	const uint8_t empty_name[] = {0, 0, 0, 3, 0, 0, 7};
	const uint8_t nul_name[] = {0, 0, 0, 3, 2, 'a', 0, 0, 7};
	struct socks5_addr a;

	d[2] = 1; /* FRAG: reassembly is not supported */
	assert_int_equal(socks5_parse_udp_header(d, sizeof(d), &a), -EOPNOTSUPP);
	d[2] = 0x81;
	assert_int_equal(socks5_parse_udp_header(d, sizeof(d), &a), -EOPNOTSUPP);
	d[2] = 0;
	d[1] = 1;
	assert_int_equal(socks5_parse_udp_header(d, sizeof(d), &a), -EPROTO);
	d[1] = 0;
	d[3] = 2;
	assert_int_equal(socks5_parse_udp_header(d, sizeof(d), &a), -EAFNOSUPPORT);
	assert_int_equal(socks5_parse_udp_header(empty_name, sizeof(empty_name), &a), -EINVAL);
	assert_int_equal(socks5_parse_udp_header(nul_name, sizeof(nul_name), &a), -EINVAL);
}

/* ---- builders ---- */

static void test_build_reply(void **state)
{
	const uint8_t fail[] = {5, 4, 0, 1, 0, 0, 0, 0, 0, 0};
	const uint8_t ok4[] = {5, 0, 0, 1, 192, 0, 2, 1, 0x04, 0x38};
	uint8_t out[SOCKS5_REPLY_MAX];
	union sockaddr_any bnd = {0};

	assert_int_equal(socks5_build_reply(out, SOCKS5_REP_HOST_UNREACHABLE, NULL), 10);
	assert_memory_equal(out, fail, sizeof(fail));
	bnd.in4.sin_family = AF_INET;
	bnd.in4.sin_port = htons(1080);
	inet_pton(AF_INET, "192.0.2.1", &bnd.in4.sin_addr);
	assert_int_equal(socks5_build_reply(out, SOCKS5_REP_OK, &bnd), 10);
	assert_memory_equal(out, ok4, sizeof(ok4));
	memset(&bnd, 0, sizeof(bnd));
	bnd.in6.sin6_family = AF_INET6;
	bnd.in6.sin6_port = htons(443);
	bnd.in6.sin6_addr = in6addr_loopback;
	assert_int_equal(socks5_build_reply(out, SOCKS5_REP_OK, &bnd), 22);
	assert_int_equal(out[3], SOCKS5_ATYP_IPV6);
	assert_int_equal(out[19], 1);
	assert_int_equal(out[20] << 8 | out[21], 443);
	bnd.sa.sa_family = AF_UNIX; /* not encodable: 0.0.0.0:0 */
	assert_int_equal(socks5_build_reply(out, SOCKS5_REP_OK, &bnd), 10);
	assert_memory_equal(out + 3, fail + 3, 7);
}

static void test_build_udp_header_roundtrip(void **state)
{
	uint8_t out[SOCKS5_UDP_HEADER_MAX];
	char longname[257];
	struct socks5_addr a, back;
	union sockaddr_any sa;

	assert_int_equal(addr_parse_ip("2001:db8::5", 5353, &sa), 0);
	assert_int_equal(socks5_addr_from_sockaddr(&a, &sa), 0);
	assert_int_equal(socks5_build_udp_header(out, sizeof(out), &a), 22);
	assert_int_equal(socks5_parse_udp_header(out, 22, &back), 22);
	assert_string_equal(back.host, "2001:db8::5");
	assert_int_equal(back.port, 5353);
	assert_int_equal(socks5_build_udp_header(out, 21, &a), 0);

	assert_int_equal(socks5_addr_from_name(&a, "localhost", 7), 0);
	assert_int_equal(socks5_build_udp_header(out, sizeof(out), &a), 16);
	assert_memory_equal(out, "\0\0\0\3\x09localhost\0\7", 16);
	assert_int_equal(socks5_parse_udp_header(out, 16, &back), 16);
	assert_string_equal(back.host, "localhost");

	memset(longname, 'n', sizeof(longname));
	longname[255] = '\0';
	assert_int_equal(socks5_addr_from_name(&a, longname, 1), 0);
	assert_int_equal(socks5_build_udp_header(out, sizeof(out), &a), SOCKS5_UDP_HEADER_MAX);
	longname[255] = 'n';
	longname[256] = '\0';
	assert_int_equal(socks5_addr_from_name(&a, longname, 1), -EINVAL);
	assert_int_equal(socks5_addr_from_name(&a, "", 1), -EINVAL);
	sa.sa.sa_family = AF_UNIX;
	assert_int_equal(socks5_addr_from_sockaddr(&a, &sa), -EAFNOSUPPORT);
}

/* Issue 16.7: a name must be a host name; every other byte (controls, ESC sequences, spaces,
 * '%', '/', '@', UTF-8) is refused with 01, on CONNECT and in UDP datagrams. */
static void test_request_name_charset(void **state)
{
	static const char *const good[] = {"example.org", "A-B.c_d.example",	   "127.0.0.1",
					   "::1",	  "xn--bcher-kva.example", "x"};
	uint8_t p[4 + 1 + 255 + 2], d[3 + 1 + 1 + 255 + 2];
	struct socks5_request r;
	struct socks5_addr a;
	unsigned v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n = strlen(good[i]);
		memcpy(p, "\x05\x01\x00\x03", 4);
		p[4] = (uint8_t)n;
		memcpy(p + 5, good[i], n);
		p[5 + n] = 0, p[6 + n] = 80;
		assert_int_equal(socks5_parse_request(p, 7 + n, &r), (ssize_t)(7 + n));
		assert_string_equal(r.dst.host, good[i]);
	}
	for (v = 0; v < 256; v++) {
		bool ok = (v >= '0' && v <= '9') || (v >= 'a' && v <= 'z') ||
			  (v >= 'A' && v <= 'Z') || v == '-' || v == '.' || v == '_' || v == ':';
		/* "a" v "b.test" */
		memcpy(p,
		       "\x05\x01\x00\x03\x08"
		       "a?b.test\x01\xbb",
		       15);
		p[6] = (uint8_t)v;
		if (ok) {
			assert_int_equal(socks5_parse_request(p, 15, &r), 15);
			continue;
		}
		expect_refused(p, 15, SOCKS5_REP_FAILURE);
		assert_int_equal(socks5_parse_request(p, 15, &r), -EPROTO);
		assert_int_equal(r.dst.atyp, SOCKS5_ATYP_DOMAIN);
		memcpy(d, "\x00\x00\x00", 3);
		memcpy(d + 3, p + 3, 12);
		assert_int_equal(socks5_parse_udp_header(d, 15, &a), -EINVAL);
	}
	memcpy(p, "\x05\x01\x00\x03\x0c\x1b[2J\x1b]0;x\x07.t\x00\x50", 19);
	expect_refused(p, 19, SOCKS5_REP_FAILURE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_greeting_methods),
	    cmocka_unit_test(test_greeting_truncated_and_version),
	    cmocka_unit_test(test_looks_like_http),
	    cmocka_unit_test(test_auth_parse),
	    cmocka_unit_test(test_auth_edges),
	    cmocka_unit_test(test_request_ipv4),
	    cmocka_unit_test(test_request_ipv6),
	    cmocka_unit_test(test_request_domain),
	    cmocka_unit_test(test_request_refusals),
	    cmocka_unit_test(test_udp_header),
	    cmocka_unit_test(test_udp_header_dropped),
	    cmocka_unit_test(test_build_reply),
	    cmocka_unit_test(test_request_name_charset),
	    cmocka_unit_test(test_build_udp_header_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
