/* ~b, ~bq and ~bs: HTTP bodies with their Content-Encoding undone (the raw
 * bytes when that fails, as mitmproxy does), WebSocket, TCP and UDP
 * messages by direction, DNS messages in wire form.  Each is searched up to
 * FILTER_MATCH_CAP bytes.  Flows are untrusted. */
#include <stdlib.h>

#include "encoding/encoding.h"
#include "filter/filter_int.h"

enum side { SIDE_REQ = 1, SIDE_RESP = 2, SIDE_BOTH = 3 };

static bool body_match(const regex_t *re, Snare__Header *const *h, size_t nh, bool has,
		       const ProtobufCBinaryData *body)
{
	const ProtobufCBinaryData *ce = ftext_header(h, nh, "content-encoding");
	uint8_t *dec;
	size_t dlen;
	bool hit;

	if (!has)
		return false;
	if (!ce || encoding_decode_prefix((const char *)ce->data, ce->len, body->data, body->len,
					  FILTER_MATCH_CAP, &dec, &dlen) < 0)
		return fre_search(re, body->data, body->len);
	hit = fre_search(re, dec, dlen);
	free(dec);
	return hit;
}

static bool http_match(const regex_t *re, const struct fctx *c, enum side side)
{
	const Snare__HttpRequest *q = fctx_request(c);
	const Snare__HttpResponse *r = fctx_response(c);

	if ((side & SIDE_REQ) && q &&
	    body_match(re, q->headers, q->n_headers, q->has_content, &q->content))
		return true;
	return (side & SIDE_RESP) && r &&
	       body_match(re, r->headers, r->n_headers, r->has_content, &r->content);
}

static bool messages_match(const regex_t *re, const Snare__Flow *f, enum side side)
{
	for (size_t i = 0; i < f->n_messages; i++) {
		const Snare__Message *m = f->messages[i];
		enum side from = m->from_client ? SIDE_REQ : SIDE_RESP;

		if ((side & from) && m->has_content &&
		    fre_search(re, m->content.data, m->content.len))
			return true;
	}
	return false;
}

static bool dns_match(const regex_t *re, const Snare__Flow *f, enum side side)
{
	const Snare__DnsMessage *q = f->dns_request, *r = f->dns_response;

	if ((side & SIDE_REQ) && q && q->has_raw && fre_search(re, q->raw.data, q->raw.len))
		return true;
	return (side & SIDE_RESP) && r && r->has_raw && fre_search(re, r->raw.data, r->raw.len);
}

static bool any_body(const regex_t *re, const struct fctx *c, enum side side)
{
	switch (c->f->type) {
	case SNARE__FLOW__TYPE__HTTP:
		return http_match(re, c, side) || messages_match(re, c->f, side);
	case SNARE__FLOW__TYPE__TCP:
	case SNARE__FLOW__TYPE__UDP:
		return messages_match(re, c->f, side);
	case SNARE__FLOW__TYPE__DNS:
		return dns_match(re, c->f, side);
	default:
		return false;
	}
}

bool fm_body(const struct fnode *n, const struct fctx *c)
{
	return any_body(&n->re, c, SIDE_BOTH);
}

bool fm_body_req(const struct fnode *n, const struct fctx *c)
{
	return any_body(&n->re, c, SIDE_REQ);
}

bool fm_body_resp(const struct fnode *n, const struct fctx *c)
{
	return any_body(&n->re, c, SIDE_RESP);
}
