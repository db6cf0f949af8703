/* Fuzz target for the worker's DNS message parser and builder (dns). Parses the input; when it
 * parses, copies every record into a new message with the builder, parses that again and checks
 * both decode the same. Also answers the input as the DNS mode would (local answer, FORMERR) and
 * strips its HTTPS records as relayed answers are (the result must parse, with the same counts). */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/dns.h"

static void strip(const struct dns_msg *m)
{
	struct dns_builder b;
	struct dns_msg m2;
	int r;

	dns_builder_init(&b, DNS_MAX_MSG);
	r = dns_https_strip(m, DNS_STRIP_ECH | DNS_STRIP_H3, &b);
	assert(r == 0 || r == 1 || r == -EMSGSIZE);
	if (r == 1 && dns_parse(b.buf, b.len, &m2) < 0) {
		/* As in rebuild(): only the decompression budget may refuse the rewrite. */
		assert(m2.name_steps == (size_t)DNS_STEPS_PER_BYTE * b.len);
		r = 0;
	}
	if (r == 1) {
		assert(m2.id == m->id && m2.nan == m->nan && m2.nns == m->nns && m2.nar == m->nar);
		for (uint16_t i = 0; i < m2.nan; i++)
			assert(m2.an[i].type != DNS_T_HTTPS || !strstr(m2.an[i].display, " ech="));
		dns_msg_free(&m2);
	}
	dns_builder_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_rrs(const struct dns_rr *a, const struct dns_rr *b, uint16_t n, bool question)
{
	for (uint16_t i = 0; i < n; i++) {
		assert(strcmp(a[i].name, b[i].name) == 0);
		assert(a[i].type == b[i].type && a[i].class == b[i].class);
		if (question)
			continue;
		assert(a[i].ttl == b[i].ttl);
		assert(strcmp(a[i].display, b[i].display) == 0);
	}
}

static int copy_section(struct dns_builder *b, const struct dns_msg *m, enum dns_section s,
			const struct dns_rr *rrs, uint16_t n)
{
	int r = 0;

	for (uint16_t i = 0; i < n && r == 0; i++)
		r = dns_build_rr_copy(b, s, m, &rrs[i]);
	return r;
}

/* Rebuilds m and checks the copy decodes the same. */
static void rebuild(const struct dns_msg *m)
{
	struct dns_builder b;
	struct dns_msg m2;
	int r;

	dns_builder_init(&b, DNS_MAX_MSG);
	r = dns_build_header(&b, m->id, m->flags);
	for (uint16_t i = 0; i < m->nqd && r == 0; i++)
		r = dns_build_question(&b, m->qd[i].name, m->qd[i].type, m->qd[i].class);
	if (r == 0)
		r = copy_section(&b, m, DNS_AN, m->an, m->nan);
	if (r == 0)
		r = copy_section(&b, m, DNS_NS, m->ns, m->nns);
	if (r == 0)
		r = copy_section(&b, m, DNS_AR, m->ar, m->nar);
	/* Names the input compressed into other records' rdata may not fit once expanded. */
	assert(r == 0 || r == -EMSGSIZE);
	/* The copy may compress names more deeply than the input did (a pointer per label): its
	 * parse may then run out of decompression steps, and fail for no other reason. */
	if (r == 0 && dns_parse(b.buf, b.len, &m2) < 0) {
		assert(m2.name_steps == (size_t)DNS_STEPS_PER_BYTE * b.len);
		r = -1;
	}
	if (r == 0) {
		assert(m2.id == m->id && m2.flags == m->flags && m2.has_edns == m->has_edns);
		assert(m2.nqd == m->nqd && m2.nan == m->nan && m2.nns == m->nns &&
		       m2.nar == m->nar);
		same_rrs(m->qd, m2.qd, m->nqd, true);
		same_rrs(m->an, m2.an, m->nan, false);
		same_rrs(m->ns, m2.ns, m->nns, false);
		same_rrs(m->ar, m2.ar, m->nar, false);
		dns_msg_free(&m2);
	}
	dns_builder_free(&b);
}

static void answer(const struct dns_msg *m)
{
	struct sockaddr_storage addrs[2];
	struct dns_builder b;
	struct dns_msg m2;
	int r;

	memset(addrs, 0, sizeof(addrs));
	addrs[0].ss_family = AF_INET;
	addrs[1].ss_family = AF_INET6;
	dns_builder_init(&b, dns_udp_limit(m));
	r = dns_build_answer(m, m->id & 0x0f, addrs, 2, 60, &b);
	assert(r == 0 || r == -EMSGSIZE);
	if (r == 0) {
		assert(dns_parse(b.buf, b.len, &m2) == 0);
		assert(m2.id == m->id && m2.qr && m2.nqd == m->nqd);
		dns_msg_free(&m2);
	}
	dns_builder_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_builder b;
	struct dns_msg m, m2;
	int r = dns_parse(data, size, &m);

	assert(r == 0 || r == -EBADMSG || r == -E2BIG);
	if (r == 0) {
		rebuild(&m);
		answer(&m);
		strip(&m);
		dns_msg_free(&m);
	}
	dns_builder_init(&b, DNS_UDP_MIN);
	r = dns_build_error(data, size, DNS_R_FORMERR, &b);
	assert(r == 0 || r == -EBADMSG || r == -EMSGSIZE);
	if (r == 0) {
		assert(dns_parse(b.buf, b.len, &m2) == 0);
		dns_msg_free(&m2);
	}
	dns_builder_free(&b);
	return 0;
}
