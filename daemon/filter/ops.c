/* The operator table and the matchers that look at a flow's kind, state,
 * request and response line, headers and addresses, with mitmproxy's
 * meaning for each (man/snare-filters.7).  Flows are untrusted. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter/filter_int.h"

static bool is_http(const struct fctx *c)
{
	return c->f->type == SNARE__FLOW__TYPE__HTTP;
}

static bool is_dns(const struct fctx *c)
{
	return c->f->type == SNARE__FLOW__TYPE__DNS;
}

const Snare__HttpRequest *fctx_request(const struct fctx *c)
{
	return is_http(c) ? c->f->request : NULL;
}

const Snare__HttpResponse *fctx_response(const struct fctx *c)
{
	return is_http(c) ? c->f->response : NULL;
}

static bool m_all(const struct fnode *n, const struct fctx *c)
{
	return true;
}

static bool m_http(const struct fnode *n, const struct fctx *c)
{
	return is_http(c);
}

static bool m_tcp(const struct fnode *n, const struct fctx *c)
{
	return c->f->type == SNARE__FLOW__TYPE__TCP;
}

static bool m_udp(const struct fnode *n, const struct fctx *c)
{
	return c->f->type == SNARE__FLOW__TYPE__UDP;
}

static bool m_dns(const struct fnode *n, const struct fctx *c)
{
	return is_dns(c);
}

static bool m_websocket(const struct fnode *n, const struct fctx *c)
{
	return is_http(c) && c->f->has_websocket && c->f->websocket;
}

static bool m_marked(const struct fnode *n, const struct fctx *c)
{
	return c->x->marked;
}

/* mitmproxy's ~replay (is_replay set), ~replayq ("request": client
 * replay) and ~replays ("response": server replay). */
static bool m_replay(const struct fnode *n, const struct fctx *c)
{
	return c->f->is_replay && c->f->is_replay[0];
}

static bool m_replayq(const struct fnode *n, const struct fctx *c)
{
	return c->f->is_replay && strcmp(c->f->is_replay, "request") == 0;
}

static bool m_replays(const struct fnode *n, const struct fctx *c)
{
	return c->f->is_replay && strcmp(c->f->is_replay, "response") == 0;
}

static bool m_error(const struct fnode *n, const struct fctx *c)
{
	return c->f->error && c->f->error[0];
}

/* ~q: an HTTP or DNS request without a response (yet). */
static bool m_request(const struct fnode *n, const struct fctx *c)
{
	if (is_http(c))
		return c->f->request && !c->f->response;
	return is_dns(c) && !c->f->dns_response;
}

static bool m_response(const struct fnode *n, const struct fctx *c)
{
	if (is_http(c))
		return c->f->response != NULL;
	return is_dns(c) && c->f->dns_response;
}

static bool m_code(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpResponse *r = fctx_response(c);

	return r && r->has_status_code && r->status_code == n->num;
}

static bool m_method(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpRequest *r = fctx_request(c);

	return r && fre_search_str(&n->re, r->method);
}

static bool m_domain(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpRequest *r = fctx_request(c);
	char *pretty;
	bool hit;

	if (!r)
		return false;
	if (fre_search_str(&n->re, r->host))
		return true;
	pretty = ftext_pretty_host(r);
	hit = fre_search_str(&n->re, pretty);
	free(pretty);
	return hit;
}

/* ~u: the pretty URL; for DNS, the first question's name. */
static bool m_url(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpRequest *r = fctx_request(c);
	const Snare__DnsMessage *q = c->f->dns_request;
	char *url;
	bool hit;

	if (is_dns(c))
		return q && q->n_questions > 0 && fre_search_str(&n->re, q->questions[0]->name);
	if (!r)
		return false;
	url = ftext_url(r);
	hit = fre_search_str(&n->re, url);
	free(url);
	return hit;
}

static bool headers_match(const regex_t *re, Snare__Header *const *h, size_t nh)
{
	size_t len;
	char *text = ftext_headers(h, nh, &len);
	bool hit = fre_search(re, (const uint8_t *)text, len);

	free(text);
	return hit;
}

static bool m_hreq(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpRequest *r = fctx_request(c);

	return r && headers_match(&n->re, r->headers, r->n_headers);
}

static bool m_hresp(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpResponse *r = fctx_response(c);

	return r && headers_match(&n->re, r->headers, r->n_headers);
}

static bool m_header(const struct fnode *n, const struct fctx *c)
{
	return m_hreq(n, c) || m_hresp(n, c);
}

/* Any Content-Type header of the message matches. */
static bool ctype_match(const regex_t *re, Snare__Header *const *h, size_t nh)
{
	for (size_t i = 0; i < nh; i++)
		if (h[i]->name.len == 12 &&
		    !strncasecmp((const char *)h[i]->name.data, "content-type", 12) &&
		    fre_search(re, h[i]->value.data, h[i]->value.len))
			return true;
	return false;
}

static bool m_treq(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpRequest *r = fctx_request(c);

	return r && ctype_match(&n->re, r->headers, r->n_headers);
}

static bool m_tresp(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpResponse *r = fctx_response(c);

	return r && ctype_match(&n->re, r->headers, r->n_headers);
}

static bool m_ctype(const struct fnode *n, const struct fctx *c)
{
	return m_treq(n, c) || m_tresp(n, c);
}

/* ~a: the response is a script, style sheet, image or font (mitmproxy's
 * list of asset types, ASSET_RE, compiled into the node). */
#define ASSET_RE                                                                                   \
	"text/javascript|application/x-javascript|application/javascript|text/css|image/|font/|"   \
	"application/font"

static bool m_asset(const struct fnode *n, const struct fctx *c)
{
	const Snare__HttpResponse *r = fctx_response(c);

	return r && ctype_match(&n->re, r->headers, r->n_headers);
}

static bool m_src(const struct fnode *n, const struct fctx *c)
{
	char *a = ftext_addr(c->f->client ? c->f->client->peer : NULL);
	bool hit = fre_search_str(&n->re, a);

	free(a);
	return hit;
}

/* ~dst: the server address asked for (mitmproxy's server_conn.address),
 * else the one connected to. */
static bool m_dst(const struct fnode *n, const struct fctx *c)
{
	const Snare__Connection *s = c->f->server;
	char *a = s ? ftext_addr(s->address && s->address->host ? s->address : s->peer) : NULL;
	bool hit = fre_search_str(&n->re, a);

	free(a);
	return hit;
}

#define BODY (FILTER_NEED_BODIES | FILTER_NEED_MESSAGES | FILTER_NEED_DNS)
#define HEAD FILTER_NEED_HEADERS

/* Longer names first where one is a prefix of another does not matter:
 * the lexer reads the whole name before the lookup. */
const struct filter_op filter_ops[] = {
    {"~a", FA_NONE, m_asset, ASSET_RE, HEAD},
    {"~all", FA_NONE, m_all, NULL, 0},
    {"~b", FA_REGEX, fm_body, NULL, BODY},
    {"~bq", FA_REGEX, fm_body_req, NULL, BODY},
    {"~bs", FA_REGEX, fm_body_resp, NULL, BODY},
    {"~c", FA_INT, m_code, NULL, 0},
    {"~d", FA_REGEX, m_domain, NULL, 0},
    {"~dns", FA_NONE, m_dns, NULL, 0},
    {"~dst", FA_REGEX, m_dst, NULL, 0},
    {"~e", FA_NONE, m_error, NULL, 0},
    {"~h", FA_LINES, m_header, NULL, HEAD},
    {"~hq", FA_LINES, m_hreq, NULL, HEAD},
    {"~hs", FA_LINES, m_hresp, NULL, HEAD},
    {"~http", FA_NONE, m_http, NULL, 0},
    {"~m", FA_REGEX, m_method, NULL, 0},
    {"~marked", FA_NONE, m_marked, NULL, 0},
    {"~q", FA_NONE, m_request, NULL, 0},
    {"~s", FA_NONE, m_response, NULL, 0},
    {"~replay", FA_NONE, m_replay, NULL, 0},
    {"~replayq", FA_NONE, m_replayq, NULL, 0},
    {"~replays", FA_NONE, m_replays, NULL, 0},
    {"~src", FA_REGEX, m_src, NULL, 0},
    {"~t", FA_REGEX, m_ctype, NULL, HEAD},
    {"~tq", FA_REGEX, m_treq, NULL, HEAD},
    {"~ts", FA_REGEX, m_tresp, NULL, HEAD},
    {"~tcp", FA_NONE, m_tcp, NULL, 0},
    {"~u", FA_REGEX, m_url, NULL, 0},
    {"~udp", FA_NONE, m_udp, NULL, 0},
    {"~websocket", FA_NONE, m_websocket, NULL, 0},
};
const size_t filter_nops = ARRAY_SIZE(filter_ops);

const struct filter_op *filter_op_find(const char *name)
{
	for (size_t i = 0; i < filter_nops; i++)
		if (!strcmp(filter_ops[i].name, name))
			return &filter_ops[i];
	return NULL;
}
