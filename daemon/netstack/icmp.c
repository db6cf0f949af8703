/* Runs in the worker. Trusts nothing: answers ICMP and ICMPv6 echo requests to any address with
 * synthetic echo replies (clients ping to check connectivity); other ICMP is ignored. */
#include <string.h>

#include "netstack/ns_int.h"

#define ICMP4_ECHO_REPLY 0
#define ICMP4_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

/* Copies the request into obuf as a reply of the given type, with a fresh checksum. */
static size_t icmp_build_reply(struct ns_stack *s, const struct ns_ip *ip, uint8_t type)
{
	uint8_t *p = s->obuf + ns_ip_hlen(ip->ver);
	uint32_t sum = 0;

	memcpy(p, ip->l4, ip->l4len);
	p[0] = type;
	p[1] = 0;
	p[2] = p[3] = 0;
	if (ip->ver == 6)
		sum = ns_csum_pseudo(6, ip->dst, ip->src, IPPROTO_ICMPV6_, ip->l4len);
	ns_put16(p + 2, ns_csum_fold(ns_csum_add(sum, p, ip->l4len)));
	return ip->l4len;
}

static bool icmp_check(struct ns_stack *s, const struct ns_ip *ip)
{
	if (ip->l4len < 8) {
		s->ctr.bad_packet++;
		return false;
	}
	if (!ns_csum_l4_ok(ip)) {
		s->ctr.bad_checksum++;
		return false;
	}
	return true;
}

/* Per IP version: its ICMP protocol, the echo types, and the IP header an
 * unfragmented reply must fit in the MTU with (IPv6 does not fragment our
 * replies; IPv4 ones are never larger than the request: 0, no check). */
static const struct icmp_ver {
	uint8_t proto, request, reply;
	size_t hlen_check;
} icmp_vers[2] = {
    {IPPROTO_ICMP_, ICMP4_ECHO_REQUEST, ICMP4_ECHO_REPLY, 0},
    {IPPROTO_ICMPV6_, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY, 40},
};

void ns_icmp_input(struct ns_stack *s, const struct ns_ip *ip)
{
	const struct icmp_ver *v = &icmp_vers[ip->ver == 6];
	size_t n;

	if (ip->proto != v->proto) { /* ICMPv4 on IPv6 or ICMPv6 on IPv4 */
		s->ctr.unsupported++;
		return;
	}
	if (!icmp_check(s, ip))
		return;
	if (ip->l4[0] != v->request || ip->l4[1] != 0 ||
	    (v->hlen_check > 0 && ip->l4len + v->hlen_check > s->mtu)) {
		s->ctr.unsupported++;
		return;
	}
	n = icmp_build_reply(s, ip, v->reply);
	s->ctr.icmp_echo++;
	ns_ip_send(s, ip->ver, ip->dst, ip->src, v->proto, n);
}
