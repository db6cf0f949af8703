/* Runs in the worker: DNS records a script wrote (type and text such as
 * "10.1.2.3", "alias.test", "\"some text\"") as wire rdata, and the whole
 * answer as wire bytes through daemon/dns's builder.  The text is the
 * script's and is checked; names go through the builder's own parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "script/script_int.h"

#define RDATA_MAX 65535

/* A name in uncompressed wire form (the builder writes the first name of a
 * message uncompressed). */
static int name_wire(const char *name, uint8_t *out, size_t cap, size_t *len)
{
	struct dns_builder b;
	int rc = -EINVAL;

	dns_builder_init(&b, DNS_MAX_MSG);
	if (dns_build_header(&b, 0, 0) == 0 && dns_build_question(&b, name, 1, 1) == 0 &&
	    b.len - DNS_HEADER_LEN - 4 <= cap) {
		*len = b.len - DNS_HEADER_LEN - 4;
		memcpy(out, b.buf + DNS_HEADER_LEN, *len);
		rc = 0;
	}
	dns_builder_free(&b);
	return rc;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* "text" or "\"one\" \"two\"" (quoted, \" \\ and \DDD escapes) as
 * character-strings of at most 255 bytes each. */
static int txt_wire(const char *t, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0, start;
	bool quoted = *t == '"';

	if (!quoted) {
		size_t l = strlen(t);
		for (size_t i = 0; i < l || i == 0; i += 255) {
			size_t k = l - i < 255 ? l - i : 255;
			if (n + 1 + k > cap)
				return -EINVAL;
			out[n++] = k;
			memcpy(out + n, t + i, k);
			n += k;
		}
		*len = n;
		return 0;
	}
	while (*t) {
		if (*t == ' ') {
			t++;
			continue;
		}
		if (*t++ != '"' || n >= cap)
			return -EINVAL;
		start = n++;
		while (*t && *t != '"') {
			unsigned c = (unsigned char)*t++;
			if (c == '\\' && t[0] >= '0' && t[0] <= '9' && t[1] && t[2]) {
				c = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
				t += 3;
			} else if (c == '\\' && *t) {
				c = (unsigned char)*t++;
			}
			if (c > 255 || n >= cap || n - start > 255)
				return -EINVAL;
			out[n++] = c;
		}
		if (*t++ != '"' || n - start - 1 > 255)
			return -EINVAL;
		out[start] = n - start - 1;
	}
	*len = n;
	return n ? 0 : -EINVAL;
}

/* "pref name" (MX) and "prio weight port name" (SRV). */
static int prefixed_name_wire(const char *t, int nums, uint8_t *out, size_t cap, size_t *len)
{
	unsigned v[3];
	char name[DNS_NAME_TEXT_MAX];
	int used = 0;
	size_t nl;

	if (nums == 1 && sscanf(t, "%u %1023s%n", &v[0], name, &used) != 2)
		return -EINVAL;
	if (nums == 3 && sscanf(t, "%u %u %u %1023s%n", &v[0], &v[1], &v[2], name, &used) != 4)
		return -EINVAL;
	if (t[used])
		return -EINVAL;
	for (int i = 0; i < nums; i++) {
		if (v[i] > 65535)
			return -EINVAL;
		put16(out + 2 * i, v[i]);
	}
	if (name_wire(name, out + 2 * nums, cap - 2 * nums, &nl) < 0)
		return -EINVAL;
	*len = 2 * nums + nl;
	return 0;
}

/* "mname rname serial refresh retry expire minimum". */
static int soa_wire(const char *t, uint8_t *out, size_t cap, size_t *len)
{
	char m[DNS_NAME_TEXT_MAX], r[DNS_NAME_TEXT_MAX];
	unsigned long v[5];
	size_t a, b;
	int used = 0;

	if (sscanf(t, "%1023s %1023s %lu %lu %lu %lu %lu%n", m, r, &v[0], &v[1], &v[2], &v[3],
		   &v[4], &used) != 7 ||
	    t[used] || name_wire(m, out, cap, &a) < 0 || name_wire(r, out + a, cap - a, &b) < 0 ||
	    a + b + 20 > cap)
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		put32(out + a + b + 4 * i, (uint32_t)v[i]);
	*len = a + b + 20;
	return 0;
}

/* RFC 3597's generic form: "\# 3 0a0b0c". */
static int generic_wire(const char *t, uint8_t *out, size_t cap, size_t *len)
{
	unsigned long n;
	char *end;

	if (strncmp(t, "\\# ", 3) != 0)
		return -EINVAL;
	n = strtoul(t + 3, &end, 10);
	if (n > cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned byte;
		while (*end == ' ')
			end++;
		if (sscanf(end, "%2x", &byte) != 1 || !end[0] || !end[1])
			return -EINVAL;
		out[i] = byte;
		end += 2;
	}
	while (*end == ' ')
		end++;
	*len = n;
	return *end ? -EINVAL : 0;
}

static int rdata_wire(uint16_t type, const char *t, uint8_t *out, size_t cap, size_t *len)
{
	switch (type) {
	case DNS_T_A:
		*len = 4;
		return inet_pton(AF_INET, t, out) == 1 ? 0 : -EINVAL;
	case DNS_T_AAAA:
		*len = 16;
		return inet_pton(AF_INET6, t, out) == 1 ? 0 : -EINVAL;
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR:
		return name_wire(t, out, cap, len);
	case DNS_T_MX:
		return prefixed_name_wire(t, 1, out, cap, len);
	case DNS_T_SRV:
		return prefixed_name_wire(t, 3, out, cap, len);
	case DNS_T_TXT:
		return txt_wire(t, out, cap, len);
	case DNS_T_SOA:
		return soa_wire(t, out, cap, len);
	default:
		return generic_wire(t, out, cap, len);
	}
}

/* The types whose rdata is always built from the text (names in them may
 * be compressed in the bytes a name server sent). */
static bool rdata_text_only(uint16_t type)
{
	static const uint16_t t[] = {DNS_T_A,  DNS_T_AAAA, DNS_T_CNAME, DNS_T_NS, DNS_T_PTR,
				     DNS_T_MX, DNS_T_SRV,  DNS_T_TXT,	DNS_T_SOA};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i] == type)
			return true;
	return false;
}

int script_rdata_from_text(uint16_t type, const char *text, const ProtobufCBinaryData *rdata,
			   struct flowedit *e, ProtobufCBinaryData *out)
{
	uint8_t *buf = xmalloc(RDATA_MAX);
	size_t len = 0;
	int rc = rdata_wire(type, text, buf, RDATA_MAX, &len);

	if (rc == 0) {
		*out = flowedit_bytes(e, buf, len);
	} else if (!rdata_text_only(type) && rdata && rdata->len) {
		*out = flowedit_bytes(e, rdata->data, rdata->len);
		rc = 0;
	}
	free(buf);
	return rc;
}

static int wire_answers(struct dns_builder *b, const Snare__DnsMessage *resp, struct flowedit *e)
{
	for (size_t i = 0; i < resp->n_answers; i++) {
		const Snare__DnsRecord *r = resp->answers[i];
		ProtobufCBinaryData rd;
		int rc =
		    script_rdata_from_text(r->type, r->display ? r->display : "", &r->data, e, &rd);

		if (rc == 0)
			rc = dns_build_rr(b, DNS_AN, r->name ? r->name : ".", r->type,
					  r->has_class_ ? r->class_ : DNS_C_IN, r->ttl, rd.data,
					  rd.len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int script_dns_wire(const Snare__DnsMessage *req, const Snare__DnsMessage *resp, size_t cap,
		    struct flowedit *e, ProtobufCBinaryData *out)
{
	struct dns_builder b;
	uint16_t id = 0, qflags = DNS_F_RD;
	int rc;

	if (req && req->has_raw && dns_header_peek(req->raw.data, req->raw.len, &id, &qflags) < 0)
		qflags = DNS_F_RD;
	id = req ? req->id : resp->id;
	dns_builder_init(&b, cap);
	rc = dns_build_header(&b, id,
			      DNS_F_QR | DNS_F_RA | (qflags & (DNS_F_RD | DNS_F_CD)) |
				  ((resp->opcode & 0xf) << 11) | (resp->rcode & 0xf));
	for (size_t i = 0; rc == 0 && req && i < req->n_questions; i++)
		rc = dns_build_question(&b, req->questions[i]->name ? req->questions[i]->name : ".",
					req->questions[i]->type,
					req->questions[i]->has_class_ ? req->questions[i]->class_
								      : DNS_C_IN);
	if (rc == 0)
		rc = wire_answers(&b, resp, e);
	if (rc == 0)
		*out = flowedit_bytes(e, b.buf, b.len);
	dns_builder_free(&b);
	return rc;
}
