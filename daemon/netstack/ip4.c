/* Runs in the worker. Trusts nothing in received packets: IPv4 header checks (version, lengths,
 * header checksum), hand-off of fragments to frag.c, and the IPv4 output path, which fragments
 * datagrams larger than the MTU (TCP never needs it; large UDP replies may). */
#include <string.h>

#include "netstack/ns_int.h"

#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff

void ns_ip4_input(struct ns_stack *s, const uint8_t *pkt, size_t len)
{
	struct ns_ip ip;
	size_t hlen, tot;
	uint16_t frag;

	if (len < 20) {
		s->ctr.bad_packet++;
		return;
	}
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	tot = ns_get16(pkt + 2);
	if (hlen < 20 || tot < hlen || tot > len) {
		s->ctr.bad_packet++;
		return;
	}
	if (ns_csum_fold(ns_csum_add(0, pkt, hlen)) != 0) {
		s->ctr.bad_checksum++;
		return;
	}
	memset(&ip, 0, sizeof(ip));
	ip.ver = 4;
	ip.proto = pkt[9];
	memcpy(ip.src, pkt + 12, 4);
	memcpy(ip.dst, pkt + 16, 4);
	ip.l4 = pkt + hlen;
	ip.l4len = tot - hlen;
	frag = ns_get16(pkt + 6);
	if ((frag & (IP4_MF | IP4_OFFMASK)) != 0) {
		ns_frag_input(s, &ip, ns_get16(pkt + 4), (size_t)(frag & IP4_OFFMASK) * 8,
			      (frag & IP4_MF) != 0);
		return;
	}
	ns_transport_input(s, &ip);
}

static void ip4_header(struct ns_stack *s, uint8_t *h, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, size_t tot, uint16_t id, uint16_t frag)
{
	h[0] = 0x45;
	h[1] = 0;
	ns_put16(h + 2, (uint16_t)tot);
	ns_put16(h + 4, id);
	ns_put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	h[10] = h[11] = 0;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	ns_put16(h + 10, ns_csum_fold(ns_csum_add(0, h, 20)));
}

static void ip4_emit(struct ns_stack *s, const uint8_t *pkt, size_t len)
{
	s->ctr.tx_packets++;
	s->cb.output(s->arg, pkt, len);
}

/* Sends obuf[20..20+l4len) in fragments of at most mtu bytes, each header written in front of
 * its piece in place (the bytes it overwrites were sent already). */
static void ip4_fragment(struct ns_stack *s, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			 size_t l4len, uint16_t id)
{
	size_t step = (s->mtu - 20) & ~(size_t)7, off = 0;

	while (off < l4len) {
		size_t n = l4len - off > step ? step : l4len - off;
		uint16_t frag = (uint16_t)(off / 8) | (off + n < l4len ? IP4_MF : 0);
		uint8_t *h = s->obuf + off;
		uint8_t saved[20];

		memcpy(saved, h, 20);
		ip4_header(s, h, src, dst, proto, n + 20, id, frag);
		ip4_emit(s, h, n + 20);
		memcpy(h, saved, 20);
		off += n;
	}
}

void ns_ip4_output(struct ns_stack *s, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		   size_t l4len)
{
	uint16_t id = s->ip_id++;

	if (l4len + 20 > s->mtu) {
		ip4_fragment(s, src, dst, proto, l4len, id);
		return;
	}
	ip4_header(s, s->obuf, src, dst, proto, l4len + 20, id, proto == IPPROTO_TCP_ ? IP4_DF : 0);
	ip4_emit(s, s->obuf, l4len + 20);
}

int ns_ip_send(struct ns_stack *s, uint8_t ver, const uint8_t *src, const uint8_t *dst,
	       uint8_t proto, size_t l4len)
{
	if (ver == 4) {
		ns_ip4_output(s, src, dst, proto, l4len);
		return 0;
	}
	return ns_ip6_output(s, src, dst, proto, l4len);
}
