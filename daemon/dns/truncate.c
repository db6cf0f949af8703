/* Runs in the worker (DNS over UDP). Trusts nothing in the reply, which a name server wrote: a
 * reply larger than the client's UDP size is cut as a resolver cuts it (RFC 1035 4.2.1, RFC 6891
 * 7): the header with TC set, the questions and the OPT record, so the client asks again over
 * TCP and no client gets more bytes than it said it takes. */
#include <errno.h>
#include <string.h>

#include "dns/dns_int.h"

/* The OPT record of a parsed message, or NULL. */
static const struct dns_rr *find_opt(const struct dns_msg *m)
{
	for (uint16_t i = 0; i < m->nar; i++)
		if (m->ar[i].type == DNS_T_OPT)
			return &m->ar[i];
	return NULL;
}

/* Questions and OPT of a reply that parses; what does not fit is left out. */
static int cut_parsed(const struct dns_msg *m, struct dns_builder *out)
{
	const struct dns_rr *opt = find_opt(m);
	int r = 0;

	for (uint16_t i = 0; i < m->nqd && r == 0; i++)
		r = dns_build_question(out, m->qd[i].name, m->qd[i].type, m->qd[i].class);
	if (r == 0 && opt)
		r = dns_build_rr_copy(out, DNS_AR, m, opt);
	return r == -EMSGSIZE ? 0 : r;
}

int dns_fit_udp(const uint8_t *resp, size_t len, size_t limit, struct dns_builder *out)
{
	struct dns_msg m;
	struct dns_rr qd;
	uint16_t id, flags;
	int r;

	if (len <= limit)
		return 0;
	if (dns_header_peek(resp, len, &id, &flags) < 0)
		return -EBADMSG;
	if (out->cap > limit)
		out->cap = limit < DNS_HEADER_LEN ? DNS_HEADER_LEN : limit;
	r = dns_build_header(out, id, flags | DNS_F_TC);
	if (r < 0)
		return r;
	if (dns_parse(resp, len, &m) == 0) {
		r = cut_parsed(&m, out);
		dns_msg_free(&m);
	} else if (dns_first_question(resp, len, &qd)) {
		r = dns_build_question(out, qd.name, qd.type, qd.class);
		if (r == -EMSGSIZE)
			r = 0;
	}
	return r < 0 ? r : 1;
}
