/* Runs in the worker. Trusts nothing: the Internet checksum (RFC 1071) over packet bytes, and
 * the IPv4/IPv6 pseudo-headers that TCP, UDP and ICMPv6 checksums cover. */
#include <string.h>

#include "netstack/ns_int.h"

/* Adds p as big-endian 16-bit words; an odd last byte is padded with zero. Callers summing
 * several pieces pass even lengths for all but the last. */
uint32_t ns_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = sum;
	size_t i = 0;

	for (; i + 4 <= len; i += 4)
		acc += ns_get32(p + i);
	for (; i + 2 <= len; i += 2)
		acc += ns_get16(p + i);
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/* The folded, complemented 16-bit checksum of sum. */
uint16_t ns_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t ns_csum_pseudo(uint8_t ver, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			size_t len)
{
	size_t alen = ver == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = ns_csum_add(sum, src, alen);
	sum = ns_csum_add(sum, dst, alen);
	sum += proto;
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	return sum;
}

bool ns_csum_l4_ok(const struct ns_ip *ip)
{
	uint32_t sum = 0;

	if (ip->proto != IPPROTO_ICMP_)
		sum = ns_csum_pseudo(ip->ver, ip->src, ip->dst, ip->proto, ip->l4len);
	sum = ns_csum_add(sum, ip->l4, ip->l4len);
	return ns_csum_fold(sum) == 0;
}
