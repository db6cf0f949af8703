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

void ns_icmp4_input(struct ns_stack *s, const struct ns_ip *ip)
{
	size_t n;

	if (!icmp_check(s, ip))
		return;
	if (ip->l4[0] != ICMP4_ECHO_REQUEST || ip->l4[1] != 0) {
		s->ctr.unsupported++;
		return;
	}
	n = icmp_build_reply(s, ip, ICMP4_ECHO_REPLY);
	s->ctr.icmp_echo++;
	ns_ip_send(s, 4, ip->dst, ip->src, IPPROTO_ICMP_, n);
}

void ns_icmp6_input(struct ns_stack *s, const struct ns_ip *ip)
{
	size_t n;

	if (!icmp_check(s, ip))
		return;
	if (ip->l4[0] != ICMP6_ECHO_REQUEST || ip->l4[1] != 0) {
		s->ctr.unsupported++;
		return;
	}
	if (ip->l4len + 40 > s->mtu) {
		s->ctr.unsupported++;
		return;
	}
	n = icmp_build_reply(s, ip, ICMP6_ECHO_REPLY);
	s->ctr.icmp_echo++;
	ns_ip_send(s, 6, ip->dst, ip->src, IPPROTO_ICMPV6_, n);
}
