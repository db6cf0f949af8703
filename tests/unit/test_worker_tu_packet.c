/* Unit tests of the packets transparent UDP answers with (worker/tu_packet.c):
 * IPv4 and IPv6 headers, the UDP checksum, and fragments that put the
 * datagram back together. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "worker/tu_packet.h"

static uint8_t pkt[TU_IP6_HDR + TU_UDP_HDR + 4000], frag[2048], body[4100];

static union sockaddr_any addr(const char *ip, uint16_t port)
{
	union sockaddr_any a;

	assert_int_equal(addr_parse_ip(ip, port, &a), 0);
	return a;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The one's complement sum over pseudo-header and UDP is 0xffff when right. */
static uint16_t udp_check(const uint8_t *src, const uint8_t *dst, size_t alen, const uint8_t *udp,
			  size_t ulen)
{
	uint32_t sum = 17 + (uint32_t)ulen;
	size_t i;

	for (i = 0; i < alen; i += 2)
		sum += get16(src + i) + get16(dst + i);
	for (i = 0; i + 1 < ulen; i += 2)
		sum += get16(udp + i);
	if (ulen & 1)
		sum += (uint32_t)(udp[ulen - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_ipv4(void **state)
{
	union sockaddr_any s = addr("10.213.2.2", 53), d = addr("10.213.1.2", 40000);
	const uint8_t data[] = "an answer";
	size_t n = tu_packet_build(pkt, sizeof(pkt), &s, &d, data, sizeof(data));

	assert_int_equal(n, TU_IP4_HDR + TU_UDP_HDR + sizeof(data));
	assert_int_equal(pkt[0], 0x45);
	assert_int_equal(get16(pkt + 2), n);
	assert_int_equal(pkt[9], 17);
	assert_memory_equal(pkt + 12, &s.in4.sin_addr, 4);
	assert_memory_equal(pkt + 16, &d.in4.sin_addr, 4);
	assert_int_equal(get16(pkt + 20), 53);
	assert_int_equal(get16(pkt + 22), 40000);
	assert_int_equal(get16(pkt + 24), TU_UDP_HDR + sizeof(data));
	assert_memory_equal(pkt + 28, data, sizeof(data));
	assert_int_equal(udp_check(pkt + 12, pkt + 16, 4, pkt + 20, n - 20), 0xffff);
}

static void test_ipv6(void **state)
{
	union sockaddr_any s = addr("fd13:2::2", 5007), d = addr("fd13:1::2", 1234);
	const uint8_t data[] = {1, 2, 3}; /* odd length */
	size_t n = tu_packet_build(pkt, sizeof(pkt), &s, &d, data, sizeof(data));

	assert_int_equal(n, TU_IP6_HDR + TU_UDP_HDR + 3);
	assert_int_equal(pkt[0] >> 4, 6);
	assert_int_equal(get16(pkt + 4), TU_UDP_HDR + 3);
	assert_int_equal(pkt[6], 17);
	assert_memory_equal(pkt + 8, s.in6.sin6_addr.s6_addr, 16);
	assert_memory_equal(pkt + 24, d.in6.sin6_addr.s6_addr, 16);
	assert_int_equal(udp_check(pkt + 8, pkt + 24, 16, pkt + 40, n - 40), 0xffff);
	assert_int_not_equal(get16(pkt + 46), 0); /* mandatory in IPv6 */
}

static void test_refused(void **state)
{
	union sockaddr_any s4 = addr("10.0.0.1", 53), s6 = addr("::1", 53),
			   d4 = addr("10.0.0.2", 9);
	uint8_t small[30];

	assert_int_equal(tu_packet_build(pkt, sizeof(pkt), &s6, &d4, pkt, 1), 0);
	assert_int_equal(tu_packet_build(small, sizeof(small), &s4, &d4, pkt, 3), 0);
	assert_int_equal(tu_packet_build(pkt, sizeof(pkt), &s4, &d4, pkt, 65535), 0);
}

/* Fragments of len bytes for mtu, reassembled into body; their count. */
static size_t reassemble(size_t len, size_t mtu, bool v6, size_t *blen)
{
	size_t hl = v6 ? TU_IP6_HDR + TU_IP6_FRAG_HDR : TU_IP4_HDR, k, f, off, last = 0;

	*blen = 0;
	for (k = 0; (f = tu_packet_fragment(pkt, len, mtu, 0x1234567, k, frag, sizeof(frag))) > 0;
	     k++) {
		bool more;

		assert_true(f <= mtu);
		if (v6) {
			assert_int_equal(frag[6], 44);
			assert_int_equal(get16(frag + 4), f - TU_IP6_HDR);
			assert_int_equal(frag[40], 17);
			off = get16(frag + 42) & ~7u;
			more = get16(frag + 42) & 1;
			assert_int_equal(get16(frag + 44), 0x0123);
			assert_int_equal(get16(frag + 46), 0x4567);
		} else {
			assert_int_equal(get16(frag + 2), f);
			assert_int_equal(get16(frag + 4), 0x4567);
			off = (size_t)(get16(frag + 6) & 0x1fff) * 8;
			more = get16(frag + 6) & 0x2000;
		}
		assert_int_equal(off, *blen);
		memcpy(body + off, frag + hl, f - hl);
		*blen += f - hl;
		last = more ? 0 : 1;
		assert_true(more ||
			    tu_packet_fragment(pkt, len, mtu, 1, k + 1, frag, sizeof(frag)) == 0);
	}
	assert_int_equal(last, 1);
	return k;
}

static void test_fragments(void **state)
{
	union sockaddr_any s4 = addr("10.213.2.2", 53), d4 = addr("10.213.1.2", 9);
	union sockaddr_any s6 = addr("fd13:2::2", 53), d6 = addr("fd13:1::2", 9);
	uint8_t data[3000];
	size_t i, len, blen;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	len = tu_packet_build(pkt, sizeof(pkt), &s4, &d4, data, sizeof(data));
	assert_int_equal(reassemble(len, 1500, false, &blen), 3); /* 1480 + 1480 + 48 */
	assert_int_equal(blen, len - TU_IP4_HDR);
	assert_memory_equal(body, pkt + TU_IP4_HDR, blen);
	len = tu_packet_build(pkt, sizeof(pkt), &s6, &d6, data, sizeof(data));
	assert_int_equal(reassemble(len, 1280, true, &blen), 3); /* 1232 + 1232 + 544 */
	assert_int_equal(blen, len - TU_IP6_HDR);
	assert_memory_equal(body, pkt + TU_IP6_HDR, blen);
	assert_int_equal(tu_packet_fragment(pkt, len, 56, 1, 0, frag, sizeof(frag)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
