/* Runs in the worker. Trusts nothing in received packets: IPv6 header checks, a bounded walk
 * over extension headers (hop-by-hop, routing, destination options; fragments are dropped and
 * counted), and the IPv6 output path. */
#include <errno.h>
#include <string.h>

#include "netstack/ns_int.h"

#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_DSTOPTS 60
#define IP6_MAX_EXT 8

/* Skips extension headers; the transport header's protocol and offset, or -1. */
static int ip6_skip_ext(struct ns_stack *s, const uint8_t *p, size_t len, uint8_t *nh, size_t *off)
{
	int i;

	for (i = 0; i < IP6_MAX_EXT; i++) {
		size_t elen;

		if (*nh == IP6_FRAGMENT) {
			s->ctr.frag_dropped++;
			return -1;
		}
		if (*nh != IP6_HOPOPTS && *nh != IP6_ROUTING && *nh != IP6_DSTOPTS)
			return 0;
		if (len - *off < 8)
			break;
		elen = ((size_t)p[*off + 1] + 1) * 8;
		if (len - *off < elen)
			break;
		*nh = p[*off];
		*off += elen;
	}
	s->ctr.bad_packet++;
	return -1;
}

void ns_ip6_input(struct ns_stack *s, const uint8_t *pkt, size_t len)
{
	struct ns_ip ip;
	size_t plen, off = 40;
	uint8_t nh;

	if (len < 40) {
		s->ctr.bad_packet++;
		return;
	}
	plen = ns_get16(pkt + 4);
	if (plen + 40 > len) {
		s->ctr.bad_packet++;
		return;
	}
	len = plen + 40;
	nh = pkt[6];
	if (ip6_skip_ext(s, pkt, len, &nh, &off) < 0)
		return;
	memset(&ip, 0, sizeof(ip));
	ip.ver = 6;
	ip.proto = nh;
	memcpy(ip.src, pkt + 8, 16);
	memcpy(ip.dst, pkt + 24, 16);
	ip.l4 = pkt + off;
	ip.l4len = len - off;
	ns_transport_input(s, &ip);
}

int ns_ip6_output(struct ns_stack *s, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		  size_t l4len)
{
	uint8_t *h = s->obuf;

	if (l4len + 40 > s->mtu)
		return -EMSGSIZE;
	h[0] = 0x60;
	h[1] = h[2] = h[3] = 0;
	ns_put16(h + 4, (uint16_t)l4len);
	h[6] = proto;
	h[7] = 64;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	s->ctr.tx_packets++;
	s->cb.output(s->arg, h, l4len + 40);
	return 0;
}
