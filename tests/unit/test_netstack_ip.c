/* Unit tests for the netstack module's IP layer (worker-side userspace stack): header checks
 * and checksums, ICMP/ICMPv6 echo, UDP delivery, replies and flow expiry, and IPv4 fragment
 * reassembly with its limits. Packets are built by hand; the clock is fake (ns_tick). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_netstack_pkt.h"

static uint8_t pkt[T_MAXPKT];
static const uint8_t A4[4] = {10, 0, 0, 2}, B4[4] = {93, 184, 216, 34};

static void addr6(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void test_bad_ip_checksum(void **state)
{
	struct t_ctx *t = t_new();
	size_t n = t_echo(4, A4, B4, 1, 1, "ping", 4, pkt);

	pkt[10] ^= 0x01;
	ns_input(t->s, pkt, n);
	assert_int_equal(ns_counters(t->s)->bad_checksum, 1);
	assert_int_equal(t_pending(t), 0);
	t_free(t);
}

static void test_bad_l4_checksum(void **state)
{
	struct t_ctx *t = t_new();
	size_t n = t_udp(4, A4, B4, 5000, 53, "query", 5, pkt);

	pkt[n - 1] ^= 0xff;
	ns_input(t->s, pkt, n);
	n = t_tcp(4, A4, B4, 4000, 80, 1, 0, T_SYN, 65535, NULL, 0, NULL, 0, pkt);
	pkt[20 + 16] ^= 0x10;
	ns_input(t->s, pkt, n);
	assert_int_equal(ns_counters(t->s)->bad_checksum, 2);
	assert_int_equal(t->udp_count, 0);
	assert_int_equal(t_pending(t), 0);
	t_free(t);
}

static void test_malformed(void **state)
{
	struct t_ctx *t = t_new();
	size_t n = t_udp(4, A4, B4, 5000, 53, "x", 1, pkt);

	ns_input(t->s, pkt, 10);    /* short */
	ns_input(t->s, pkt, n - 1); /* total length beyond the packet */
	pkt[0] = 0x44;		    /* IHL 4 */
	ns_input(t->s, pkt, n);
	ns_input(t->s, (const uint8_t *)"\x00", 1);
	assert_int_equal(ns_counters(t->s)->bad_packet, 4);
	assert_int_equal(t->udp_count, 0);
	t_free(t);
}

static void check_echo_reply(struct t_ctx *t, int ver, const uint8_t *src, const uint8_t *dst)
{
	uint8_t s[16], d[16], proto;
	const uint8_t *p, *l4;
	size_t len, l4len;
	int v;

	p = t_next(t, &len);
	assert_non_null(p);
	assert_true(t_ip_parse(p, len, &v, s, d, &proto, &l4, &l4len));
	assert_int_equal(v, ver);
	assert_int_equal(proto, ver == 4 ? 1 : 58);
	assert_memory_equal(s, dst, ver == 4 ? 4 : 16); /* from the pinged address */
	assert_memory_equal(d, src, ver == 4 ? 4 : 16);
	assert_int_equal(l4[0], ver == 4 ? 0 : 129);
	assert_int_equal(t_get16(l4 + 4), 0x77);
	assert_int_equal(t_get16(l4 + 6), 9);
	assert_int_equal(l4len, 8 + 11);
	assert_memory_equal(l4 + 8, "hello world", 11);
	if (ver == 4)
		assert_int_equal(t_fold(t_sum(0, l4, l4len)), 0);
	else
		assert_int_equal(t_fold(t_sum(t_pseudo(6, s, d, 58, l4len), l4, l4len)), 0);
}

static void test_icmp4_echo(void **state)
{
	struct t_ctx *t = t_new();

	ns_input(t->s, pkt, t_echo(4, A4, B4, 0x77, 9, "hello world", 11, pkt));
	check_echo_reply(t, 4, A4, B4);
	assert_int_equal(ns_counters(t->s)->icmp_echo, 1);
	t_free(t);
}

static void test_icmp6_echo(void **state)
{
	struct t_ctx *t = t_new();
	uint8_t a[16], b[16];

	addr6("fd00::2", a);
	addr6("2001:db8::1", b);
	ns_input(t->s, pkt, t_echo(6, a, b, 0x77, 9, "hello world", 11, pkt));
	check_echo_reply(t, 6, a, b);
	t_free(t);
}

static void test_icmp_to_broadcast_ignored(void **state)
{
	struct t_ctx *t = t_new();
	static const uint8_t bc[4] = {255, 255, 255, 255};

	ns_input(t->s, pkt, t_echo(4, A4, bc, 1, 1, "x", 1, pkt));
	assert_int_equal(t_pending(t), 0);
	assert_int_equal(ns_counters(t->s)->icmp_echo, 0);
	t_free(t);
}

static void sockaddr4(struct sockaddr_storage *ss, const uint8_t *a, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	memcpy(&in->sin_addr, a, 4);
}

static void test_udp_round_trip(void **state)
{
	struct t_ctx *t = t_new();
	struct sockaddr_in *src, *dst;
	uint8_t s[16], d[16], proto;
	const uint8_t *p, *l4;
	size_t len, l4len;
	int v;

	ns_input(t->s, pkt, t_udp(4, A4, B4, 5000, 53, "query", 5, pkt));
	assert_int_equal(t->udp_count, 1);
	assert_int_equal(t->udp_len, 5);
	assert_memory_equal(t->udp_data, "query", 5);
	src = (struct sockaddr_in *)&t->udp_src;
	dst = (struct sockaddr_in *)&t->udp_dst;
	assert_int_equal(ntohs(src->sin_port), 5000);
	assert_int_equal(ntohs(dst->sin_port), 53);
	assert_memory_equal(&dst->sin_addr, B4, 4);
	assert_int_equal(ns_counters(t->s)->udp_flows, 1);

	/* The reply comes from the impersonated destination. */
	assert_int_equal(ns_udp_send(t->s, &t->udp_dst, &t->udp_src, (const uint8_t *)"answer", 6),
			 0);
	p = t_next(t, &len);
	assert_non_null(p);
	assert_true(t_ip_parse(p, len, &v, s, d, &proto, &l4, &l4len));
	assert_int_equal(proto, 17);
	assert_memory_equal(s, B4, 4);
	assert_memory_equal(d, A4, 4);
	assert_int_equal(t_get16(l4), 53);
	assert_int_equal(t_get16(l4 + 2), 5000);
	assert_int_equal(t_get16(l4 + 4), 14);
	assert_int_equal(t_fold(t_sum(t_pseudo(4, s, d, 17, l4len), l4, l4len)), 0);
	assert_memory_equal(l4 + 8, "answer", 6);
	assert_int_equal(ns_counters(t->s)->udp_out, 1);
	t_free(t);
}

static void test_udp6_round_trip(void **state)
{
	struct t_ctx *t = t_new();
	uint8_t a[16], b[16], s[16], d[16], proto;
	const uint8_t *p, *l4;
	size_t len, l4len;
	int v;

	addr6("fd00::2", a);
	addr6("2001:db8::53", b);
	ns_input(t->s, pkt, t_udp(6, a, b, 6000, 53, "q6", 2, pkt));
	assert_int_equal(t->udp_count, 1);
	assert_int_equal(t->udp_dst.ss_family, AF_INET6);
	assert_int_equal(ns_udp_send(t->s, &t->udp_dst, &t->udp_src, (const uint8_t *)"r6", 2), 0);
	p = t_next(t, &len);
	assert_true(t_ip_parse(p, len, &v, s, d, &proto, &l4, &l4len));
	assert_int_equal(v, 6);
	assert_memory_equal(s, b, 16);
	assert_int_equal(t_fold(t_sum(t_pseudo(6, s, d, 17, l4len), l4, l4len)), 0);
	/* A zero UDP checksum is not allowed over IPv6. */
	len = t_udp(6, a, b, 6000, 53, "q6", 2, pkt);
	t_put16(pkt + 40 + 6, 0);
	ns_input(t->s, pkt, len);
	assert_int_equal(t->udp_count, 1);
	assert_int_equal(ns_counters(t->s)->bad_checksum, 1);
	t_free(t);
}

static void test_udp_send_errors(void **state)
{
	struct t_ctx *t = t_new();
	struct sockaddr_storage a, b;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&b;
	static uint8_t big[2000];

	sockaddr4(&a, B4, 53);
	memset(&b, 0, sizeof(b));
	in6->sin6_family = AF_INET6;
	in6->sin6_addr.s6_addr[15] = 1;
	assert_int_equal(ns_udp_send(t->s, &a, &b, big, 1), -EAFNOSUPPORT);
	/* v4-mapped is fine */
	in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&in6->sin6_addr.s6_addr[12], A4, 4);
	in6->sin6_port = htons(5000);
	assert_int_equal(ns_udp_send(t->s, &a, &b, big, 1), 0);
	/* IPv4 datagrams over the MTU are fragmented */
	assert_int_equal(ns_udp_send(t->s, &a, &b, big, sizeof(big)), 0);
	assert_int_equal(t_pending(t), 3);
	t_free(t);
}

static void test_udp_flow_expiry(void **state)
{
	struct t_ctx *t = t_new();

	ns_input(t->s, pkt, t_udp(4, A4, B4, 5000, 53, "a", 1, pkt));
	t_advance(t, 30000);
	ns_input(t->s, pkt, t_udp(4, A4, B4, 5001, 53, "b", 1, pkt));
	t_advance(t, 30001);
	assert_int_equal(t->udp_closed, 1);
	assert_int_equal(ns_counters(t->s)->udp_flows, 1);
	/* traffic keeps a flow alive */
	ns_input(t->s, pkt, t_udp(4, A4, B4, 5001, 53, "b", 1, pkt));
	t_advance(t, 59000);
	assert_int_equal(t->udp_closed, 1);
	t_advance(t, 1000);
	assert_int_equal(t->udp_closed, 2);
	assert_int_equal(ns_counters(t->s)->udp_flows, 0);
	t_free(t);
}

static void test_udp_flow_table_bounded(void **state)
{
	struct t_ctx *t = t_new();
	unsigned i;

	for (i = 0; i < NS_UDP_MAX_FLOWS + 10; i++)
		ns_input(t->s, pkt, t_udp(4, A4, B4, (uint16_t)(1024 + i), 53, "a", 1, pkt));
	assert_int_equal(ns_counters(t->s)->udp_flows, NS_UDP_MAX_FLOWS);
	assert_int_equal(t->udp_closed, 10);
	assert_int_equal(t->udp_count, NS_UDP_MAX_FLOWS + 10);
	t_free(t);
}

/* Splits the UDP datagram in pkt (IPv4, total n) into fragments of step payload bytes and
 * feeds them in the order given. */
static void feed_fragments(struct t_ctx *t, const uint8_t *whole, size_t n, size_t step,
			   const int *order, size_t norder, uint16_t id)
{
	size_t l4len = n - 20, i;
	static uint8_t f[2000];

	for (i = 0; i < norder; i++) {
		size_t off = (size_t)order[i] * step, len = l4len - off > step ? step : l4len - off;
		bool more = off + len < l4len;

		memcpy(f, whole, 20);
		memcpy(f + 20, whole + 20 + off, len);
		t_put16(f + 2, (uint16_t)(20 + len));
		t_put16(f + 4, id);
		t_put16(f + 6, (uint16_t)(off / 8 | (more ? 0x2000 : 0)));
		t_put16(f + 10, 0);
		t_put16(f + 10, t_fold(t_sum(0, f, 20)));
		ns_input(t->s, f, 20 + len);
	}
}

static void test_fragment_reassembly(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t data[3000], whole[3100];
	static const int order[] = {2, 0, 1, 1};
	size_t i, n;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	n = t_udp(4, A4, B4, 5000, 9999, data, sizeof(data), whole);
	feed_fragments(t, whole, n, 1024, order, 3, 1);
	assert_int_equal(t->udp_count, 1);
	assert_int_equal(t->udp_len, sizeof(data));
	assert_memory_equal(t->udp_data, data, sizeof(data));
	assert_int_equal(ns_counters(t->s)->frag_reassembled, 1);
	/* a duplicate fragment is harmless; a lone one times out */
	feed_fragments(t, whole, n, 1024, order + 3, 1, 2);
	feed_fragments(t, whole, n, 1024, order + 3, 1, 2);
	t_advance(t, NS_FRAG_TIMEOUT_MS);
	assert_int_equal(ns_counters(t->s)->frag_dropped, 1);
	assert_int_equal(t->udp_count, 1);
	t_free(t);
}

static void test_fragment_overlap_dropped(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t data[2000], whole[2100], f[1500];
	static const int first[] = {0};
	size_t n = t_udp(4, A4, B4, 5000, 9999, data, sizeof(data), whole);

	feed_fragments(t, whole, n, 1024, first, 1, 3);
	/* a fragment at offset 1016 overlapping the first one */
	memcpy(f, whole, 20);
	memcpy(f + 20, whole + 20 + 1016, n - 20 - 1016);
	t_put16(f + 2, (uint16_t)(n - 1016));
	t_put16(f + 4, 3);
	t_put16(f + 6, 1016 / 8);
	t_put16(f + 10, 0);
	t_put16(f + 10, t_fold(t_sum(0, f, 20)));
	ns_input(t->s, f, n - 1016);
	assert_int_equal(t->udp_count, 0);
	assert_int_equal(ns_counters(t->s)->frag_dropped, 1);
	t_free(t);
}

static void test_fragment_limits(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t data[2000], whole[2100];
	static const int first[] = {0};
	size_t n = t_udp(4, A4, B4, 5000, 9999, data, sizeof(data), whole);
	unsigned i;

	for (i = 0; i < NS_FRAG_MAX_DATAGRAMS + 5; i++)
		feed_fragments(t, whole, n, 1024, first, 1, (uint16_t)(100 + i));
	assert_int_equal(ns_counters(t->s)->frag_dropped, 5);
	t_free(t);
}

static void test_unsupported_protocol(void **state)
{
	struct t_ctx *t = t_new();
	size_t n = t_udp(4, A4, B4, 1, 2, "x", 1, pkt);

	pkt[9] = 47; /* GRE */
	pkt[10] = pkt[11] = 0;
	t_put16(pkt + 10, t_fold(t_sum(0, pkt, 20)));
	ns_input(t->s, pkt, n);
	assert_int_equal(ns_counters(t->s)->unsupported, 1);
	assert_int_equal(t_pending(t), 0);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_ip_checksum),
	    cmocka_unit_test(test_bad_l4_checksum),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_icmp4_echo),
	    cmocka_unit_test(test_icmp6_echo),
	    cmocka_unit_test(test_icmp_to_broadcast_ignored),
	    cmocka_unit_test(test_udp_round_trip),
	    cmocka_unit_test(test_udp6_round_trip),
	    cmocka_unit_test(test_udp_send_errors),
	    cmocka_unit_test(test_udp_flow_expiry),
	    cmocka_unit_test(test_udp_flow_table_bounded),
	    cmocka_unit_test(test_fragment_reassembly),
	    cmocka_unit_test(test_fragment_overlap_dropped),
	    cmocka_unit_test(test_fragment_limits),
	    cmocka_unit_test(test_unsupported_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
