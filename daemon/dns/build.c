/* Runs in the worker. Trusts its callers for intent but checks every name and length: the
 * builder for messages snare writes itself. Names are compressed against the names written
 * before; a failed add rolls the message back to where it was. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_int.h"

#define PTR_LIMIT 0x4000 /* offsets a 14-bit pointer can reach */

void dns_builder_init(struct dns_builder *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if (cap < DNS_HEADER_LEN)
		cap = DNS_HEADER_LEN;
	if (cap > DNS_MAX_MSG)
		cap = DNS_MAX_MSG;
	b->cap = cap;
	b->buf = xmalloc(cap);
}

void dns_builder_free(struct dns_builder *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

static int put(struct dns_builder *b, const void *p, size_t n)
{
	if (n > b->cap - b->len)
		return -EMSGSIZE;
	if (n == 0)
		return 0;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static int put16(struct dns_builder *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	return put(b, x, sizeof(x));
}

static int put32(struct dns_builder *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return put(b, x, sizeof(x));
}

static void set16(struct dns_builder *b, size_t off, uint16_t v)
{
	b->buf[off] = (uint8_t)(v >> 8);
	b->buf[off + 1] = (uint8_t)v;
}

int dns_build_header(struct dns_builder *b, uint16_t id, uint16_t flags)
{
	b->len = 0;
	b->nptrs = 0;
	b->section = DNS_QD;
	memset(b->count, 0, sizeof(b->count));
	memset(b->buf, 0, DNS_HEADER_LEN);
	set16(b, 0, id);
	set16(b, 2, flags);
	b->len = DNS_HEADER_LEN;
	return 0;
}

void dns_build_set_flags(struct dns_builder *b, uint16_t flags)
{
	if (b->len >= DNS_HEADER_LEN)
		set16(b, 2, (uint16_t)(b->buf[2] << 8 | b->buf[3] | flags));
}

/* An earlier name whose wire form equals the suffix (exact bytes), or -1. */
static long find_suffix(const struct dns_builder *b, const uint8_t *suffix, size_t n)
{
	struct dns_wname w;

	for (size_t i = 0; i < b->nptrs; i++) {
		size_t off = b->ptrs[i];
		if (dns_name_read(b->buf, b->len, &off, true, NULL, &w) == 0 && w.len == n &&
		    memcmp(w.b, suffix, n) == 0)
			return b->ptrs[i];
	}
	return -1;
}

static int write_name(struct dns_builder *b, const struct dns_wname *w, bool compress)
{
	size_t pos = 0;

	while (w->b[pos] != 0) {
		long at = compress ? find_suffix(b, w->b + pos, w->len - pos) : -1;
		if (at >= 0)
			return put16(b, (uint16_t)(0xc000 | at));
		if (compress && b->len < PTR_LIMIT && b->nptrs < DNS_BUILD_MAX_PTRS)
			b->ptrs[b->nptrs++] = (uint16_t)b->len;
		size_t n = 1 + (size_t)w->b[pos];
		if (put(b, w->b + pos, n) < 0)
			return -EMSGSIZE;
		pos += n;
	}
	return put(b, "", 1);
}

/* Starts a record or question in section s: checks order and room, writes the owner name. */
static int begin(struct dns_builder *b, enum dns_section s, const char *name)
{
	struct dns_wname w;

	if (b->len < DNS_HEADER_LEN || s < b->section || b->count[s] >= DNS_MAX_RR)
		return -EINVAL;
	if (dns_name_from_text(name, &w) < 0)
		return -EINVAL;
	return write_name(b, &w, true);
}

/* Counts a finished record, or rolls a failed one back. */
static int end(struct dns_builder *b, enum dns_section s, int r, size_t mark, size_t nmark)
{
	if (r < 0) {
		b->len = mark;
		b->nptrs = nmark;
		return r;
	}
	b->section = s;
	b->count[s]++;
	set16(b, 4 + 2 * (size_t)s, b->count[s]);
	return 0;
}

int dns_build_question(struct dns_builder *b, const char *name, uint16_t type, uint16_t class)
{
	size_t mark = b->len, nmark = b->nptrs;
	int r = begin(b, DNS_QD, name);

	if (r == 0)
		r = put16(b, type);
	if (r == 0)
		r = put16(b, class);
	return end(b, DNS_QD, r, mark, nmark);
}

/* Owner, type, class, TTL and a zero rdlength; *rdlen_at tells where to patch it. */
static int rr_head(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		   uint16_t class, uint32_t ttl, size_t *rdlen_at)
{
	int r = begin(b, s, name);

	if (r == 0)
		r = put16(b, type);
	if (r == 0)
		r = put16(b, class);
	if (r == 0)
		r = put32(b, ttl);
	*rdlen_at = b->len;
	if (r == 0)
		r = put16(b, 0);
	return r;
}

static void rr_finish(struct dns_builder *b, size_t rdlen_at)
{
	set16(b, rdlen_at, (uint16_t)(b->len - rdlen_at - 2));
}

int dns_build_rr(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		 uint16_t class, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	size_t mark = b->len, nmark = b->nptrs, at;
	int r = rr_head(b, s, name, type, class, ttl, &at);

	if (r == 0)
		r = put(b, rdata, rdlen);
	if (r == 0)
		rr_finish(b, at);
	return end(b, s, r, mark, nmark);
}

int dns_build_rr_name(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		      uint16_t class, uint32_t ttl, const uint8_t *prefix, size_t prefixlen,
		      const char *target)
{
	const struct dns_rdata_shape *sh = dns_rdata_shape(type);
	size_t mark = b->len, nmark = b->nptrs, at;
	struct dns_wname w;
	int r = rr_head(b, s, name, type, class, ttl, &at);

	if (r == 0 && dns_name_from_text(target, &w) < 0)
		r = -EINVAL;
	if (r == 0)
		r = put(b, prefix, prefixlen);
	if (r == 0)
		r = write_name(b, &w, sh && sh->compress);
	if (r == 0)
		rr_finish(b, at);
	return end(b, s, r, mark, nmark);
}

/* Rdata of a record with names (shape): fixed bytes copied, names expanded from m. */
static int copy_shaped(struct dns_builder *b, const struct dns_msg *m, const struct dns_rr *rr,
		       const struct dns_rdata_shape *sh)
{
	size_t off = (size_t)(rr->rdata - m->raw), end = off + rr->rdlen;
	struct dns_wname w;
	int r;

	if (rr->rdlen < sh->prefix)
		return -EINVAL;
	r = put(b, rr->rdata, sh->prefix);
	off += sh->prefix;
	for (size_t i = 0; i < sh->nnames && r == 0; i++) {
		if (dns_name_read(m->raw, end, &off, true, NULL, &w) < 0)
			return -EINVAL;
		r = write_name(b, &w, sh->compress);
	}
	if (r == 0 && end - off != sh->suffix)
		return -EINVAL;
	return r ? r : put(b, m->raw + off, sh->suffix);
}

int dns_build_rr_copy(struct dns_builder *b, enum dns_section s, const struct dns_msg *m,
		      const struct dns_rr *rr)
{
	const struct dns_rdata_shape *sh = dns_rdata_shape(rr->type);
	size_t mark = b->len, nmark = b->nptrs, at;
	int r = rr_head(b, s, rr->name, rr->type, rr->class, rr->ttl, &at);

	if (r == 0 && sh)
		r = copy_shaped(b, m, rr, sh);
	else if (r == 0)
		r = put(b, rr->rdata, rr->rdlen);
	if (r == 0)
		rr_finish(b, at);
	return end(b, s, r, mark, nmark);
}

int dns_build_opt(struct dns_builder *b, uint16_t udp_size, uint8_t ext_rcode, bool dnssec_ok,
		  const uint8_t *options, uint16_t optlen)
{
	uint32_t ttl = (uint32_t)ext_rcode << 24 | (dnssec_ok ? 0x8000u : 0);

	return dns_build_rr(b, DNS_AR, ".", DNS_T_OPT, udp_size, ttl, options, optlen);
}
