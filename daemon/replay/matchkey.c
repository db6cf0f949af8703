/* The match hash of a request, the key of the server replay index: the
 * list mitmproxy's serverplayback._hash builds (replay.h), as SHA-256 over
 * tagged, length-prefixed items so no two lists share a byte stream.  The
 * request is a live one or one from a flow file: untrusted contents. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "replay/replay_int.h"
#include "replay/server_int.h"

static void item(EVP_MD_CTX *md, char tag, const void *p, size_t n)
{
	uint8_t len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	EVP_DigestUpdate(md, &tag, 1);
	EVP_DigestUpdate(md, len, sizeof(len));
	if (n)
		EVP_DigestUpdate(md, p, n);
}

static void str_item(EVP_MD_CTX *md, char tag, const char *s)
{
	item(md, tag, s ? s : "", s ? strlen(s) : 0);
}

static bool listed(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

struct pairs_ctx {
	EVP_MD_CTX *md;
	const char *const *ignore;
	size_t n_ignore;
	char tag;
	size_t kept;
};

/* One decoded pair unless its decoded name is ignored. */
static bool pair_item(const struct replay_pair *p, void *arg)
{
	struct pairs_ctx *c = arg;
	char *name = xmalloc(p->nlen + 1), *value = xmalloc(p->vlen + 1);
	size_t nl = replay_unquote(p->name, p->nlen, name);
	size_t vl = replay_unquote(p->value, p->vlen, value);

	if (!listed(c->ignore, c->n_ignore, name, nl)) {
		item(c->md, c->tag, name, nl);
		item(c->md, c->tag, value, vl);
		c->kept++;
	}
	free(name);
	free(value);
	return true;
}

static bool count_pair(const struct replay_pair *p, void *arg)
{
	(void)p;
	++*(size_t *)arg;
	return true;
}

/* A multipart pair as it is (mitmproxy does not unquote them). */
static bool raw_item(const struct replay_pair *p, void *arg)
{
	struct pairs_ctx *c = arg;

	if (!listed(c->ignore, c->n_ignore, p->name, p->nlen)) {
		item(c->md, c->tag, p->name, p->nlen);
		item(c->md, c->tag, p->value, p->vlen);
	}
	return true;
}

/* mitmproxy's order: the multipart form, else the urlencoded form (when
 * either has a pair), else the body as it is. */
static void body_items(EVP_MD_CTX *md, const struct replay_server_opts *o,
		       const Snare__HttpRequest *r)
{
	const char *body = r->has_content ? (const char *)r->content.data : "";
	size_t len = r->has_content ? r->content.len : 0, pairs = 0;
	struct pairs_ctx c = {md, o->ignore_payload_params, o->n_ignore_payload_params, 'f', 0};
	char *ct;
	bool done = false;

	if (!o->n_ignore_payload_params) {
		item(md, 'b', body, len);
		return;
	}
	ct = replay_header_dup(r->headers, r->n_headers, "content-type");
	if (ct && replay_multipart(ct, body, len, raw_item, &c)) {
		done = true;
	} else if (ct && strcasestr(ct, "application/x-www-form-urlencoded")) {
		replay_pairs(body, len, count_pair, &pairs);
		if (pairs) {
			replay_pairs(body, len, pair_item, &c);
			done = true;
		}
	}
	free(ct);
	if (!done)
		item(md, 'b', body, len);
}

/* mitmproxy's pretty_host: the Host header's (or :authority's) host part,
 * without brackets or port, else the request's host. */
static void host_item(EVP_MD_CTX *md, const Snare__HttpRequest *r)
{
	char *h = replay_header_dup(r->headers, r->n_headers, "host");
	const char *a = h && *h ? h : r->authority && *r->authority ? r->authority : NULL;
	size_t n;
	char *end;

	if (!a) {
		str_item(md, 'h', r->host);
		free(h);
		return;
	}
	if (*a == '[' && (end = strchr(a, ']'))) {
		a++;
		n = (size_t)(end - a);
	} else {
		const char *colon = strrchr(a, ':');

		n = colon && strspn(colon + 1, "0123456789") == strlen(colon + 1)
			? (size_t)(colon - a)
			: strlen(a);
	}
	char *low = xstrndup(a, n);
	for (char *p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	str_item(md, 'h', low);
	free(low);
	free(h);
}

/* headers.get(name): all values joined with ", ", or absent. */
static void header_item(EVP_MD_CTX *md, const Snare__HttpRequest *r, const char *name)
{
	size_t k = strlen(name), total = 0, seen = 0;
	char *v;

	for (size_t i = 0; i < r->n_headers; i++)
		if (r->headers[i]->name.len == k &&
		    strncasecmp((const char *)r->headers[i]->name.data, name, k) == 0)
			total += r->headers[i]->value.len + 2, seen++;
	str_item(md, 'n', name);
	if (!seen) {
		item(md, 'a', NULL, 0);
		return;
	}
	v = xmalloc(total);
	total = 0;
	for (size_t i = 0; i < r->n_headers; i++) {
		const Snare__Header *h = r->headers[i];

		if (h->name.len != k || strncasecmp((const char *)h->name.data, name, k) != 0)
			continue;
		if (total)
			memcpy(v + total, ", ", 2), total += 2;
		if (h->value.len)
			memcpy(v + total, h->value.data, h->value.len);
		total += h->value.len;
	}
	item(md, 'v', v, total);
	free(v);
}

void replay_server_hash(const struct replay_server *s, const Snare__HttpRequest *r, uint8_t out[32])
{
	const struct replay_server_opts *o = &s->o;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const char *path = r->path ? r->path : "", *query;
	size_t plen, qlen;
	uint8_t port[4];
	unsigned outlen = 32;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("replay: cannot start a SHA-256 digest");
	replay_split_target(path, strlen(path), &plen, &query, &qlen);
	str_item(md, 's', r->scheme);
	str_item(md, 'm', r->method);
	item(md, 'p', path, plen);
	if (!o->ignore_content)
		body_items(md, o, r);
	if (!o->ignore_host)
		host_item(md, r);
	if (!o->ignore_port) {
		for (int i = 0; i < 4; i++)
			port[i] = (uint8_t)(r->port >> (24 - 8 * i));
		item(md, 'o', port, sizeof(port));
	}
	struct pairs_ctx qc = {md, o->ignore_params, o->n_ignore_params, 'q', 0};
	replay_pairs(query, qlen, pair_item, &qc);
	for (size_t i = 0; i < o->n_use_headers; i++)
		header_item(md, r, o->use_headers[i]);
	if (EVP_DigestFinal_ex(md, out, &outlen) != 1)
		fatal("replay: SHA-256 failed");
	EVP_MD_CTX_free(md);
}
