/* Runs in the worker. Trusts nothing: rdata comes from messages. Checks the rdata of the record
 * types snare decodes and writes their display form; every other type is shown in the RFC 3597
 * generic form "\# len hex". */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dns/dns_int.h"

typedef int (*display_fn)(const uint8_t *msg, size_t rdoff, const struct dns_rr *rr,
			  struct dns_text *t, struct dns_budget *budget);

static const struct dns_rdata_shape shapes[] = {
    {DNS_T_NS, 0, 1, 0, true}, {DNS_T_CNAME, 0, 1, 0, true}, {DNS_T_PTR, 0, 1, 0, true},
    {DNS_T_MX, 2, 1, 0, true}, {DNS_T_SOA, 0, 2, 20, true},  {DNS_T_SRV, 6, 1, 0, false},
};

const struct dns_rdata_shape *dns_rdata_shape(uint16_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++)
		if (shapes[i].type == type)
			return &shapes[i];
	return NULL;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int show_addr(const uint8_t *msg, size_t rdoff, const struct dns_rr *rr, struct dns_text *t,
		     struct dns_budget *budget)
{
	char buf[INET6_ADDRSTRLEN];
	int af = rr->type == DNS_T_A ? AF_INET : AF_INET6;

	if (rr->rdlen != (af == AF_INET ? 4 : 16))
		return -EBADMSG;
	if (!inet_ntop(af, rr->rdata, buf, sizeof(buf)))
		return -EBADMSG;
	dns_text_puts(t, buf);
	return 0;
}

/* Fixed 16-bit words, names, fixed 32-bit words: NS, CNAME, PTR, MX, SOA, SRV. */
static int show_shape(const uint8_t *msg, size_t rdoff, const struct dns_rr *rr, struct dns_text *t,
		      struct dns_budget *budget)
{
	const struct dns_rdata_shape *s = dns_rdata_shape(rr->type);
	size_t end = rdoff + rr->rdlen, off = rdoff + s->prefix;
	char name[DNS_NAME_TEXT_MAX];
	struct dns_wname w;

	if (rr->rdlen < s->prefix)
		return -EBADMSG;
	for (size_t i = 0; i < s->prefix; i += 2)
		dns_text_printf(t, "%s%u", i ? " " : "", get16(msg + rdoff + i));
	for (size_t i = 0; i < s->nnames; i++) {
		if (dns_name_read(msg, end, &off, true, budget, &w) < 0)
			return -EBADMSG;
		dns_name_to_text(&w, name, sizeof(name));
		if (s->prefix || i)
			dns_text_putc(t, ' ');
		dns_text_puts(t, name);
	}
	if (end - off != s->suffix)
		return -EBADMSG;
	for (size_t i = 0; i < s->suffix; i += 4)
		dns_text_printf(t, " %u", get32(msg + off + i));
	return 0;
}

static int show_txt(const uint8_t *msg, size_t rdoff, const struct dns_rr *rr, struct dns_text *t,
		    struct dns_budget *budget)
{
	const uint8_t *p = rr->rdata;
	size_t off = 0;

	while (off < rr->rdlen) {
		size_t n = p[off++];
		if (n > rr->rdlen - off)
			return -EBADMSG;
		dns_text_puts(t, off > 1 ? " \"" : "\"");
		for (size_t i = 0; i < n; i++, off++) {
			uint8_t c = p[off];
			if (c == '"' || c == '\\')
				dns_text_printf(t, "\\%c", c);
			else if (c < 0x20 || c > 0x7e)
				dns_text_printf(t, "\\%03u", c);
			else
				dns_text_putc(t, (char)c);
		}
		dns_text_putc(t, '"');
	}
	return 0;
}

static int show_svcb(const uint8_t *msg, size_t rdoff, const struct dns_rr *rr, struct dns_text *t,
		     struct dns_budget *budget)
{
	return dns_svcb_display(rr->rdata, rr->rdlen, t);
}

static int show_opt(const uint8_t *msg, size_t rdoff, const struct dns_rr *rr, struct dns_text *t,
		    struct dns_budget *budget)
{
	const uint8_t *p = rr->rdata;
	size_t off = 0;

	dns_text_printf(t, "udp=%u version=%u", rr->class, (rr->ttl >> 16) & 0xff);
	if (rr->ttl & 0x8000)
		dns_text_puts(t, " flags=do");
	while (off < rr->rdlen) {
		if (rr->rdlen - off < 4)
			return -EBADMSG;
		uint16_t code = get16(p + off), len = get16(p + off + 2);
		off += 4;
		if (len > rr->rdlen - off)
			return -EBADMSG;
		dns_text_printf(t, " option%u=", code);
		dns_text_hex(t, p + off, len);
		off += len;
	}
	return 0;
}

static int show_generic(const uint8_t *msg, size_t rdoff, const struct dns_rr *rr,
			struct dns_text *t, struct dns_budget *budget)
{
	dns_text_printf(t, "\\# %u", rr->rdlen);
	if (rr->rdlen)
		dns_text_putc(t, ' ');
	dns_text_hex(t, rr->rdata, rr->rdlen);
	return 0;
}

static const struct {
	uint16_t type;
	display_fn fn;
} displays[] = {
    {DNS_T_A, show_addr},      {DNS_T_AAAA, show_addr},	 {DNS_T_NS, show_shape},
    {DNS_T_CNAME, show_shape}, {DNS_T_PTR, show_shape},	 {DNS_T_MX, show_shape},
    {DNS_T_SOA, show_shape},   {DNS_T_SRV, show_shape},	 {DNS_T_TXT, show_txt},
    {DNS_T_SVCB, show_svcb},   {DNS_T_HTTPS, show_svcb}, {DNS_T_OPT, show_opt},
};

int dns_rdata_display(const uint8_t *msg, size_t rdoff, struct dns_rr *rr,
		      struct dns_budget *budget)
{
	display_fn fn = show_generic;
	struct dns_text t;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(displays); i++)
		if (displays[i].type == rr->type)
			fn = displays[i].fn;
	dns_text_init(&t, rr->display, sizeof(rr->display));
	r = fn(msg, rdoff, rr, &t, budget);
	dns_text_finish(&t);
	return r;
}
