/* Runs in the worker. Trusts nothing, but only sees messages dns_parse accepted. Rewrites the
 * HTTPS records (RFC 9460) of answers relayed from name servers: drops the ech parameter, so
 * clients send their real SNI to snare, and on request the h3 ALPN ids, so clients stay on TCP
 * where snare can intercept them. Everything else in the message is copied unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_int.h"

enum { KEY_MANDATORY = 0, KEY_ALPN = 1, KEY_ECH = 5 };

/* SvcParams are at most the rdata's own size; the rewritten form is never longer. */
struct svcb_out {
	uint8_t b[UINT16_MAX];
	size_t len;
	uint8_t alpn[UINT16_MAX]; /* the alpn value without its h3 ids */
	size_t alpnlen;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool is_h3(const uint8_t *id, size_t n)
{
	return (n == 2 || (n > 2 && id[2] == '-')) && id[0] == 'h' && id[1] == '3';
}

/* The alpn value without its h3 ids into out; returns the new length (0: none left). */
static size_t alpn_strip(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t off = 0, len = 0;

	while (off < n) {
		size_t idlen = v[off];
		if (idlen > n - off - 1)
			return 0; /* cannot happen after dns_parse; treat as nothing left */
		if (!is_h3(v + off + 1, idlen)) {
			memcpy(out + len, v + off, idlen + 1);
			len += idlen + 1;
		}
		off += idlen + 1;
	}
	return len;
}

/* Whether key goes: ech always (when asked), alpn when no id is left. */
static bool key_dropped(uint16_t key, const uint8_t *v, size_t n, unsigned what, struct svcb_out *o)
{
	if (key == KEY_ECH && (what & DNS_STRIP_ECH))
		return true;
	if (key == KEY_ALPN && (what & DNS_STRIP_H3)) {
		o->alpnlen = alpn_strip(v, n, o->alpn);
		return o->alpnlen == 0;
	}
	return false;
}

/* One parameter appended to o; the mandatory list loses the keys that were dropped. */
static void param_put(struct svcb_out *o, uint16_t key, const uint8_t *v, size_t n,
		      const bool dropped[8])
{
	size_t at = o->len;

	put16(o->b + at, key);
	o->len += 4;
	if (key != KEY_MANDATORY) {
		memcpy(o->b + o->len, v, n);
		o->len += n;
	} else {
		for (size_t i = 0; i + 1 < n; i += 2) {
			uint16_t k = get16(v + i);
			if (k < 8 && dropped[k])
				continue;
			memcpy(o->b + o->len, v + i, 2);
			o->len += 2;
		}
		if (o->len == at + 4) { /* nothing mandatory is left */
			o->len = at;
			return;
		}
	}
	put16(o->b + at + 2, o->len - at - 4);
}

/* Rewrites one HTTPS rdata into o. Returns 1 when something was dropped, 0 when not. */
static int svcb_strip(const uint8_t *rd, size_t n, unsigned what, struct svcb_out *o)
{
	size_t off = 2, start;
	bool dropped[8] = {false};
	struct dns_wname w;
	bool changed = false;

	if (n < 3 || dns_name_read(rd, n, &off, false, NULL, &w) < 0)
		return 0;
	start = off;
	/* First pass: which keys go (mandatory is key 0, so it is seen before the rest). */
	for (size_t p = start; p + 4 <= n; p += 4 + get16(rd + p + 2)) {
		uint16_t key = get16(rd + p);
		if (key < 8 && key_dropped(key, rd + p + 4, get16(rd + p + 2), what, o))
			dropped[key] = changed = true;
		else if (key == KEY_ALPN && (what & DNS_STRIP_H3) &&
			 o->alpnlen != get16(rd + p + 2))
			changed = true;
	}
	if (!changed)
		return 0;
	memcpy(o->b, rd, start);
	o->len = start;
	for (size_t p = start; p + 4 <= n; p += 4 + get16(rd + p + 2)) {
		uint16_t key = get16(rd + p), len = get16(rd + p + 2);
		if (key < 8 && dropped[key])
			continue;
		if (key == KEY_ALPN && (what & DNS_STRIP_H3))
			param_put(o, key, o->alpn, o->alpnlen, dropped);
		else
			param_put(o, key, rd + p + 4, len, dropped);
	}
	return 1;
}

static int copy_rr(struct dns_builder *b, enum dns_section s, const struct dns_msg *m,
		   const struct dns_rr *rr, unsigned what, struct svcb_out *o)
{
	if (rr->type == DNS_T_HTTPS && svcb_strip(rr->rdata, rr->rdlen, what, o) == 1)
		return dns_build_rr(b, s, rr->name, rr->type, rr->class, rr->ttl, o->b,
				    (uint16_t)o->len);
	return dns_build_rr_copy(b, s, m, rr);
}

static bool needs_strip(const struct dns_msg *m, unsigned what, struct svcb_out *o)
{
	const struct dns_rr *secs[] = {m->an, m->ns, m->ar};
	const uint16_t counts[] = {m->nan, m->nns, m->nar};

	for (size_t s = 0; s < 3; s++)
		for (uint16_t i = 0; i < counts[s]; i++)
			if (secs[s][i].type == DNS_T_HTTPS &&
			    svcb_strip(secs[s][i].rdata, secs[s][i].rdlen, what, o) == 1)
				return true;
	return false;
}

int dns_https_strip(const struct dns_msg *m, unsigned what, struct dns_builder *out)
{
	const struct dns_rr *secs[] = {m->an, m->ns, m->ar};
	const uint16_t counts[] = {m->nan, m->nns, m->nar};
	struct svcb_out *o;
	int r;

	if (what == 0)
		return 0;
	o = malloc(sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	if (!needs_strip(m, what, o)) {
		free(o);
		return 0;
	}
	r = dns_build_header(out, m->id, m->flags);
	for (uint16_t i = 0; i < m->nqd && r == 0; i++)
		r = dns_build_question(out, m->qd[i].name, m->qd[i].type, m->qd[i].class);
	for (size_t s = 0; s < 3; s++)
		for (uint16_t i = 0; i < counts[s] && r == 0; i++)
			r = copy_rr(out, (enum dns_section)(DNS_AN + s), m, &secs[s][i], what, o);
	free(o);
	return r < 0 ? r : 1;
}
