/* Runs in the worker. Trusts nothing: the bytes are a whole DNS message from a client or a name
 * server (UDP datagram or TCP frame without its length prefix). Parses the header, questions and
 * the three record sections with strict bounds; EDNS0 is read from the OPT record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_int.h"

#define QUESTION_MIN 5 /* root name, type, class */
#define RR_MIN 11      /* root name, type, class, ttl, rdlength */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int dns_header_peek(const uint8_t *p, size_t n, uint16_t *id, uint16_t *flags)
{
	if (n < DNS_HEADER_LEN)
		return -EBADMSG;
	*id = get16(p);
	*flags = get16(p + 2);
	return 0;
}

/* Owner name, type and class; the fixed part of a record follows when want_rr. */
static int parse_head(const struct dns_msg *m, size_t *off, struct dns_rr *rr, bool want_rr,
		      struct dns_budget *budget)
{
	struct dns_wname w;

	if (dns_name_read(m->raw, m->rawlen, off, true, budget, &w) < 0)
		return -EBADMSG;
	dns_name_to_text(&w, rr->name, sizeof(rr->name));
	if (m->rawlen - *off < (want_rr ? 10u : 4u))
		return -EBADMSG;
	rr->type = get16(m->raw + *off);
	rr->class = get16(m->raw + *off + 2);
	*off += 4;
	if (!want_rr)
		return 0;
	rr->ttl = get32(m->raw + *off);
	rr->rdlen = get16(m->raw + *off + 4);
	*off += 6;
	if (rr->rdlen > m->rawlen - *off)
		return -EBADMSG;
	rr->rdata = m->raw + *off;
	return 0;
}

static int take_opt(struct dns_msg *m, const struct dns_rr *rr, enum dns_section s)
{
	if (s != DNS_AR || m->has_edns || strcmp(rr->name, ".") != 0)
		return -EBADMSG;
	m->has_edns = true;
	m->edns_udp_size = rr->class;
	m->edns_version = (uint8_t)(rr->ttl >> 16);
	m->edns_flags = (uint16_t)rr->ttl;
	m->edns_do = rr->ttl & 0x8000;
	m->rcode_ext = (uint16_t)((rr->ttl >> 24) << 4 | m->rcode);
	m->edns_opts = rr->rdata;
	m->edns_optlen = rr->rdlen;
	return 0;
}

static int parse_section(struct dns_msg *m, size_t *off, enum dns_section s, struct dns_rr *rrs,
			 uint16_t count, struct dns_budget *budget)
{
	for (uint16_t i = 0; i < count; i++) {
		struct dns_rr *rr = &rrs[i];
		if (parse_head(m, off, rr, s != DNS_QD, budget) < 0)
			return -EBADMSG;
		if (s == DNS_QD)
			continue;
		if (dns_rdata_display(m->raw, *off, rr, budget) < 0)
			return -EBADMSG;
		*off += rr->rdlen;
		if (rr->type == DNS_T_OPT && take_opt(m, rr, s) < 0)
			return -EBADMSG;
	}
	return 0;
}

static void parse_flags(struct dns_msg *m, uint16_t f)
{
	m->flags = f;
	m->qr = f & DNS_F_QR;
	m->opcode = DNS_F_OPCODE(f);
	m->aa = f & DNS_F_AA;
	m->tc = f & DNS_F_TC;
	m->rd = f & DNS_F_RD;
	m->ra = f & DNS_F_RA;
	m->ad = f & DNS_F_AD;
	m->cd = f & DNS_F_CD;
	m->rcode = DNS_F_RCODE(f);
	m->rcode_ext = m->rcode;
}

/* Reads the counts and allocates the sections; counts that cannot fit in n bytes are refused
 * before anything is allocated. */
static int alloc_sections(struct dns_msg *m, const uint8_t *p, size_t n)
{
	uint16_t c[4];
	struct dns_rr **sec[4] = {&m->qd, &m->an, &m->ns, &m->ar};

	for (int i = 0; i < 4; i++) {
		c[i] = get16(p + 4 + 2 * i);
		if (c[i] > DNS_MAX_RR)
			return -E2BIG;
	}
	if ((size_t)c[0] * QUESTION_MIN + ((size_t)c[1] + c[2] + c[3]) * RR_MIN >
	    n - DNS_HEADER_LEN)
		return -EBADMSG;
	m->nqd = c[0];
	m->nan = c[1];
	m->nns = c[2];
	m->nar = c[3];
	for (int i = 0; i < 4; i++)
		*sec[i] = c[i] ? xcalloc(c[i], sizeof(struct dns_rr)) : NULL;
	return 0;
}

static int parse_sections(struct dns_msg *m, size_t *off, struct dns_budget *budget)
{
	if (parse_section(m, off, DNS_QD, m->qd, m->nqd, budget) < 0 ||
	    parse_section(m, off, DNS_AN, m->an, m->nan, budget) < 0 ||
	    parse_section(m, off, DNS_NS, m->ns, m->nns, budget) < 0 ||
	    parse_section(m, off, DNS_AR, m->ar, m->nar, budget) < 0)
		return -EBADMSG;
	return 0;
}

int dns_parse(const uint8_t *p, size_t n, struct dns_msg *out)
{
	size_t off = DNS_HEADER_LEN;
	struct dns_budget budget = {0, 0};
	int r;

	memset(out, 0, sizeof(*out));
	if (n > DNS_MAX_MSG)
		return -E2BIG;
	if (n < DNS_HEADER_LEN)
		return -EBADMSG;
	out->raw = p;
	out->rawlen = n;
	out->id = get16(p);
	parse_flags(out, get16(p + 2));
	r = alloc_sections(out, p, n);
	if (r < 0)
		goto out;
	dns_budget_init(&budget, n);
	r = parse_sections(out, &off, &budget) < 0 || off != n ? -EBADMSG : 0;
	out->name_steps = budget.used;
out:
	if (r < 0) {
		dns_msg_free(out);
		out->name_steps = budget.used;
	}
	return r;
}

void dns_msg_free(struct dns_msg *m)
{
	free(m->qd);
	free(m->an);
	free(m->ns);
	free(m->ar);
	memset(m, 0, sizeof(*m));
}
