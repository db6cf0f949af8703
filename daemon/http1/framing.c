/* Body framing and connection semantics of a parsed HTTP/1 head (workers).
 * The headers are peer-controlled: every ambiguity a front end and a back
 * end could read differently (CL with TE, differing CLs, odd codings) is
 * refused as HTTP1_E_SMUGGLE rather than guessed at. */
#include "http1/http1_internal.h"

static bool known_coding(struct http1_str c)
{
	return http1_str_ieq(c, "gzip") || http1_str_ieq(c, "x-gzip") ||
	       http1_str_ieq(c, "deflate") || http1_str_ieq(c, "compress") ||
	       http1_str_ieq(c, "x-compress");
}

static void te_add(struct http1_te *te, struct http1_str value)
{
	struct http1_str c;

	while (http1_list_next(&value, &c)) {
		bool chunked = http1_str_ieq(c, "chunked");

		if (chunked && te->chunked_seen)
			te->chunked_dup = true;
		te->chunked_seen |= chunked;
		te->chunked_last = chunked;
		if (!chunked && !known_coding(c))
			te->unusual = true;
	}
}

void http1_te_scan(const struct http1_head *h, struct http1_te *te)
{
	*te = (struct http1_te){0};
	for (size_t i = 0; i < h->nheaders; i++) {
		if (!http1_str_ieq(h->headers[i].name, "transfer-encoding"))
			continue;
		te->present = true;
		te_add(te, h->headers[i].value);
	}
}

/* 1*DIGIT without overflow; false for anything else (signs, spaces, hex). */
static bool parse_u64(struct http1_str s, uint64_t *out)
{
	uint64_t v = 0;

	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		unsigned d = (unsigned)((uint8_t)s.p[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static void cl_add(struct http1_cl *cl, struct http1_str value)
{
	struct http1_str elem;
	uint64_t v;

	while (http1_list_next(&value, &elem)) {
		if (!parse_u64(elem, &v) || (cl->present && v != cl->value)) {
			cl->bad = true;
			return;
		}
		cl->present = true;
		cl->value = v;
	}
}

void http1_cl_scan(const struct http1_head *h, struct http1_cl *cl)
{
	*cl = (struct http1_cl){0};
	for (size_t i = 0; i < h->nheaders; i++) {
		if (!http1_str_ieq(h->headers[i].name, "content-length"))
			continue;
		cl_add(cl, h->headers[i].value);
		cl->present = true;
		if (cl->bad)
			return;
	}
}

/* RFC 9112 6.3 for requests: chunked (last and only once, HTTP/1.1 only),
 * or one agreed Content-Length, or no body. */
static int request_body(struct http1_head *h)
{
	struct http1_te te;
	struct http1_cl cl;

	http1_te_scan(h, &te);
	http1_cl_scan(h, &cl);
	if (te.present) {
		if (cl.present || h->version_minor == 0 || !te.chunked_last || te.chunked_dup ||
		    te.unusual)
			return HTTP1_E_SMUGGLE;
		h->body = HTTP1_BODY_CHUNKED;
		return HTTP1_OK;
	}
	if (cl.present) {
		if (cl.bad)
			return HTTP1_E_SMUGGLE;
		h->body = HTTP1_BODY_LENGTH;
		h->content_length = cl.value;
		return HTTP1_OK;
	}
	h->body = HTTP1_BODY_NONE;
	return HTTP1_OK;
}

/* Connection tokens decide persistence; a second Host is refused since a
 * front end and a back end may pick different ones. */
int http1_derive(struct http1_head *h)
{
	bool close = false, keep = false, conn_upgrade = false;
	const struct http1_header *hdr;
	size_t hosts = 0;

	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *f = &h->headers[i];

		if (http1_str_ieq(f->name, "host"))
			hosts++;
		if (!http1_str_ieq(f->name, "connection"))
			continue;
		close |= http1_has_token(f->value, "close");
		keep |= http1_has_token(f->value, "keep-alive");
		conn_upgrade |= http1_has_token(f->value, "upgrade");
	}
	h->keep_alive = !close && (h->version_minor == 1 || keep);
	h->upgrade = conn_upgrade && http1_find(h, "upgrade") != NULL;
	if (!h->is_request)
		return HTTP1_OK;
	if (hosts > 1)
		return HTTP1_E_SYNTAX;
	hdr = http1_find(h, "expect");
	h->expect_continue =
	    h->version_minor == 1 && hdr && http1_str_ieq(hdr->value, "100-continue");
	return request_body(h);
}

static bool response_has_no_body(const struct http1_head *r, struct http1_str method)
{
	if (http1_str_eq(method, "HEAD"))
		return true;
	if (r->status < 200 || r->status == 204 || r->status == 304)
		return true;
	return http1_str_eq(method, "CONNECT") && r->status < 300;
}

/* RFC 9112 6.3 for responses.  A coding list not ending in chunked and a
 * response without CL are read until the server closes. */
int http1_response_body(struct http1_head *resp, struct http1_str method)
{
	struct http1_te te;
	struct http1_cl cl;

	resp->content_length = 0;
	if (response_has_no_body(resp, method)) {
		resp->body = HTTP1_BODY_NONE;
		return HTTP1_OK;
	}
	http1_te_scan(resp, &te);
	http1_cl_scan(resp, &cl);
	if (te.present && cl.present)
		return HTTP1_E_SMUGGLE;
	if (te.present && te.chunked_last) {
		resp->body = HTTP1_BODY_CHUNKED;
	} else if (cl.present) {
		if (cl.bad)
			return HTTP1_E_SMUGGLE;
		resp->body = HTTP1_BODY_LENGTH;
		resp->content_length = cl.value;
	} else {
		resp->body = HTTP1_BODY_CLOSE;
		resp->keep_alive = false;
	}
	return HTTP1_OK;
}
