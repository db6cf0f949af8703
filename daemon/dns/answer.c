/* Runs in the worker (DNS mode). Trusts the parsed query only as far as dns_parse checked it,
 * and nothing in raw query bytes. Builds the responses snare writes itself: local A/AAAA
 * answers, and FORMERR/SERVFAIL from whatever part of a query could be read. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dns/dns_int.h"

#define OUR_EDNS_SIZE 1232 /* the size advertised in our OPT records (DNS flag day 2020) */
#define UDP_LIMIT_MAX 4096

size_t dns_udp_limit(const struct dns_msg *query)
{
	if (!query->has_edns || query->edns_udp_size <= DNS_UDP_MIN)
		return DNS_UDP_MIN;
	return query->edns_udp_size > UDP_LIMIT_MAX ? UDP_LIMIT_MAX : query->edns_udp_size;
}

/* QR and RA set; opcode, RD and CD copied; the low 4 bits of rcode. */
static uint16_t reply_flags(uint16_t qflags, int rcode)
{
	return (uint16_t)(DNS_F_QR | DNS_F_RA | (qflags & (0x7800 | DNS_F_RD | DNS_F_CD)) |
			  (rcode & 0x0f));
}

static int answer_head(const struct dns_msg *q, int rcode, struct dns_builder *out)
{
	int r = dns_build_header(out, q->id, reply_flags(q->flags, rcode));

	for (uint16_t i = 0; i < q->nqd && r == 0; i++)
		r = dns_build_question(out, q->qd[i].name, q->qd[i].type, q->qd[i].class);
	return r;
}

static int add_opt(const struct dns_msg *q, int rcode, struct dns_builder *out)
{
	if (!q->has_edns)
		return 0;
	return dns_build_opt(out, OUR_EDNS_SIZE, (uint8_t)(rcode >> 4), q->edns_do, NULL, 0);
}

static int add_addr(const struct dns_rr *qd, const struct sockaddr_storage *ss, uint32_t ttl,
		    struct dns_builder *out)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET && qd->type != DNS_T_AAAA)
		return dns_build_rr(out, DNS_AN, qd->name, DNS_T_A, qd->class, ttl,
				    (const uint8_t *)&sin->sin_addr, 4);
	if (ss->ss_family == AF_INET6 && qd->type != DNS_T_A)
		return dns_build_rr(out, DNS_AN, qd->name, DNS_T_AAAA, qd->class, ttl,
				    (const uint8_t *)&sin6->sin6_addr, 16);
	return 0;
}

int dns_build_answer(const struct dns_msg *query, int rcode, const struct sockaddr_storage *addrs,
		     size_t naddrs, uint32_t ttl, struct dns_builder *out)
{
	int r;

	if (rcode < 0 || rcode > 15)
		return -EINVAL;
	if (query->has_edns && query->edns_version > 0) {
		rcode = DNS_R_BADVERS;
		naddrs = 0;
	}
	r = answer_head(query, rcode, out);
	if (r < 0)
		return r;
	for (size_t i = 0; i < naddrs && query->nqd > 0 && r == 0; i++)
		r = add_addr(&query->qd[0], &addrs[i], ttl, out);
	if (r == 0)
		r = add_opt(query, rcode, out);
	if (r != -EMSGSIZE)
		return r;
	/* Does not fit: the client retries over TCP. */
	r = answer_head(query, rcode, out);
	dns_build_set_flags(out, DNS_F_TC);
	return r < 0 ? r : add_opt(query, rcode, out);
}

bool dns_first_question(const uint8_t *p, size_t n, struct dns_rr *q)
{
	size_t off = DNS_HEADER_LEN;
	struct dns_wname w;

	if (n < DNS_HEADER_LEN || (p[4] == 0 && p[5] == 0))
		return false;
	if (dns_name_read(p, n, &off, true, NULL, &w) < 0 || n - off < 4)
		return false;
	dns_name_to_text(&w, q->name, sizeof(q->name));
	q->type = (uint16_t)(p[off] << 8 | p[off + 1]);
	q->class = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
	return true;
}

int dns_build_error(const uint8_t *query, size_t qlen, int rcode, struct dns_builder *out)
{
	struct dns_msg q;
	struct dns_rr qd;
	uint16_t id, flags;
	bool whole;
	int r;

	if (rcode < 0 || rcode > 15)
		return -EINVAL;
	if (dns_header_peek(query, qlen, &id, &flags) < 0)
		return -EBADMSG;
	whole = dns_parse(query, qlen, &q) == 0;
	r = dns_build_header(out, id, reply_flags(flags, rcode));
	if (r == 0 && dns_first_question(query, qlen, &qd))
		r = dns_build_question(out, qd.name, qd.type, qd.class);
	if (r == 0 && whole)
		r = add_opt(&q, rcode, out);
	if (whole)
		dns_msg_free(&q);
	return r;
}
