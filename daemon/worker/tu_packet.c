/* Runs in a worker: the answers of transparent UDP as raw-socket packets.
 * An IPv4 (the kernel fills its checksum) or IPv6 header, a UDP header with
 * the checksum over the pseudo-header, the payload; and, since a raw socket
 * that writes its own headers does not fragment, the fragments of a packet
 * the link refuses.  Pure functions; trusts only its arguments. */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "worker/tu_packet.h"

static uint32_t tp_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t tp_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void tp_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void tp_put32(uint8_t *p, uint32_t v)
{
	tp_put16(p, v >> 16);
	tp_put16(p + 2, v & 0xffff);
}

static const uint8_t *tp_addr(const union sockaddr_any *a)
{
	return a->sa.sa_family == AF_INET6 ? a->in6.sin6_addr.s6_addr
					   : (const uint8_t *)&a->in4.sin_addr;
}

/* The IP header for ulen bytes of UDP; its length. */
static size_t tp_ip_header(uint8_t *h, const union sockaddr_any *src, const union sockaddr_any *dst,
			   size_t ulen)
{
	bool v6 = src->sa.sa_family == AF_INET6;
	size_t alen = v6 ? 16 : 4, hl = v6 ? TU_IP6_HDR : TU_IP4_HDR, at = v6 ? 8 : 12;

	memset(h, 0, hl);
	if (v6) {
		h[0] = 0x60;
		tp_put16(h + 4, (uint32_t)ulen);
		h[6] = IPPROTO_UDP;
		h[7] = 64; /* hop limit */
	} else {
		h[0] = 0x45;
		tp_put16(h + 2, (uint32_t)(hl + ulen)); /* the kernel fills id and checksum */
		h[8] = 64;
		h[9] = IPPROTO_UDP;
	}
	memcpy(h + at, tp_addr(src), alen);
	memcpy(h + at + alen, tp_addr(dst), alen);
	return hl;
}

size_t tu_packet_build(uint8_t *out, size_t cap, const union sockaddr_any *src,
		       const union sockaddr_any *dst, const uint8_t *payload, size_t n)
{
	bool v6 = src->sa.sa_family == AF_INET6;
	size_t alen = v6 ? 16 : 4, ulen = TU_UDP_HDR + n, hl;
	uint8_t *udp;
	uint32_t sum;
	uint16_t c;

	if (src->sa.sa_family != dst->sa.sa_family ||
	    (src->sa.sa_family != AF_INET && src->sa.sa_family != AF_INET6) || ulen > 65535 ||
	    (v6 ? TU_IP6_HDR : TU_IP4_HDR) + ulen > cap || (!v6 && TU_IP4_HDR + ulen > 65535))
		return 0;
	hl = tp_ip_header(out, src, dst, ulen);
	udp = out + hl;
	tp_put16(udp, addr_port(&src->sa));
	tp_put16(udp + 2, addr_port(&dst->sa));
	tp_put16(udp + 4, (uint32_t)ulen);
	tp_put16(udp + 6, 0);
	memmove(udp + TU_UDP_HDR, payload, n);
	sum = tp_sum(tp_sum(0, tp_addr(src), alen), tp_addr(dst), alen) + IPPROTO_UDP +
	      (uint32_t)ulen;
	c = tp_fold(tp_sum(sum, udp, ulen));
	tp_put16(udp + 6, c ? c : 0xffff);
	return hl + ulen;
}

size_t tu_packet_fragment(const uint8_t *pkt, size_t len, size_t mtu, uint32_t id, size_t k,
			  uint8_t *out, size_t cap)
{
	bool v6 = len > 0 && (pkt[0] >> 4) == 6;
	size_t hl = v6 ? TU_IP6_HDR : TU_IP4_HDR, fh = v6 ? TU_IP6_FRAG_HDR : 0;
	size_t body = len > hl ? len - hl : 0, step, off, n;

	if (len <= hl || mtu <= hl + fh + 8)
		return 0;
	step = (mtu - hl - fh) & ~(size_t)7;
	off = k * step;
	if (off >= body)
		return 0;
	n = body - off < step ? body - off : step;
	if (hl + fh + n > cap)
		return 0;
	memcpy(out, pkt, hl);
	if (v6) {
		uint8_t *f = out + hl;

		tp_put16(out + 4, (uint32_t)(fh + n));
		out[6] = 44; /* a fragment header follows */
		f[0] = IPPROTO_UDP;
		f[1] = 0;
		tp_put16(f + 2, (uint32_t)(off | (off + n < body ? 1 : 0)));
		tp_put32(f + 4, id);
	} else {
		tp_put16(out + 2, (uint32_t)(hl + n));
		tp_put16(out + 4, id & 0xffff ? id & 0xffff : 1);
		tp_put16(out + 6, (uint32_t)(off / 8 | (off + n < body ? 0x2000 : 0)));
	}
	memcpy(out + hl + fh, pkt + hl + off, n);
	return hl + fh + n;
}
