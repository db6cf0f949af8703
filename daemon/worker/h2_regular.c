/* Runs in a worker: cleartext HTTP/2 with prior knowledge sent to a
 * regular-mode listener (h2_regular.h).  snare's SETTINGS go out as soon
 * as the preface is in (RFC 9113 3.4); the first request head is read
 * before the HTTP/2 layer starts (its HPACK block decoded by libnghttp2's
 * inflater: the first block of a connection needs no earlier state); it
 * names the server the connection is bound to, as the first absolute-form
 * request of an HTTP/1 connection does, and carries the proxy credentials.
 * Later streams naming another server get 421 (RFC 9110 15.5.20: the
 * client retries on a new connection), mitm.it is answered from pages.c
 * and CONNECT gets 502.  Trusts nothing of the client's
 * bytes: frames are bounded by the stream buffer and by the default
 * SETTINGS_MAX_FRAME_SIZE, a malformed start goes to the HTTP/2 framing,
 * which answers it with a GOAWAY. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>

#include "core/addr.h"
#include "core/log.h"
#include "h2/h2.h"
#include "http1/http1.h"
#include "worker/auth.h"
#include "worker/conn.h"
#include "worker/h2_proxy.h"
#include "worker/h2_regular.h"
#include "worker/layer.h"
#include "worker/pages.h"
#include "worker/worker_ctx.h"

#define H2R_PREFACE_LEN 24
#define H2R_FRAME_MAX 16384 /* SETTINGS_MAX_FRAME_SIZE until we say more (we never do) */
#define H2R_BLOCK_MAX 65536

enum { FT_HEADERS = 0x1, FT_CONTINUATION = 0x9 };
enum { FL_END_HEADERS = 0x4, FL_PADDED = 0x8, FL_PRIORITY = 0x20 };

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t be31(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) &
	       0x7fffffffu;
}

/* The HEADERS payload's block fragment (padding and priority removed). */
static int headers_fragment(const uint8_t *pl, size_t len, uint8_t flags, const uint8_t **frag,
			    size_t *flen)
{
	size_t pad = 0, skip = 0;

	if (flags & FL_PADDED) {
		if (len < 1)
			return -1;
		pad = pl[0];
		skip = 1;
	}
	if (flags & FL_PRIORITY)
		skip += 5;
	if (skip + pad > len)
		return -1;
	*frag = pl + skip;
	*flen = len - skip - pad;
	return 0;
}

/* Copies the first header block after the preface into blk: 1 when whole,
 * 0 when more bytes are needed, -1 when malformed. */
static int first_block(const uint8_t *p, size_t n, uint8_t *blk, size_t *blen)
{
	size_t at = H2R_PREFACE_LEN;
	uint32_t sid = 0;

	*blen = 0;
	while (at + 9 <= n) {
		uint32_t len = be24(p + at), fsid = be31(p + at + 5);
		uint8_t type = p[at + 3], flags = p[at + 4];
		const uint8_t *frag = p + at + 9;
		size_t flen = len;

		if (len > H2R_FRAME_MAX)
			return -1;
		if (at + 9 + len > n)
			return 0;
		if (sid != 0 && (type != FT_CONTINUATION || fsid != sid))
			return -1;
		if (sid == 0 && type == FT_CONTINUATION)
			return -1;
		if (sid == 0 && type == FT_HEADERS) {
			sid = fsid;
			if (headers_fragment(frag, len, flags, &frag, &flen) < 0)
				return -1;
		}
		if (sid != 0) {
			if (*blen + flen > H2R_BLOCK_MAX)
				return -1;
			memcpy(blk + *blen, frag, flen);
			*blen += flen;
			if (flags & FL_END_HEADERS)
				return 1;
		}
		at += 9 + len;
	}
	return 0;
}

static void keep(char *dst, size_t cap, const nghttp2_nv *nv)
{
	if (dst[0] == '\0' && nv->valuelen < cap) {
		memcpy(dst, nv->value, nv->valuelen);
		dst[nv->valuelen] = '\0';
	}
}

static bool name_is(const nghttp2_nv *nv, const char *name)
{
	return nv->namelen == strlen(name) && memcmp(nv->name, name, nv->namelen) == 0;
}

static int decode_block(const uint8_t *blk, size_t n, struct h2r_first *out)
{
	nghttp2_hd_inflater *inf = NULL;
	int r = -1;

	if (nghttp2_hd_inflate_new(&inf) != 0)
		return -1;
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t used = nghttp2_hd_inflate_hd2(inf, &nv, &flags, blk, n, 1);

		if (used < 0)
			break;
		blk += used;
		n -= (size_t)used;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			if (name_is(&nv, ":method"))
				keep(out->method, sizeof(out->method), &nv);
			else if (name_is(&nv, ":scheme"))
				keep(out->scheme, sizeof(out->scheme), &nv);
			else if (name_is(&nv, ":authority") || name_is(&nv, "host"))
				keep(out->authority, sizeof(out->authority), &nv);
			else if (name_is(&nv, "proxy-authorization"))
				keep(out->proxy_auth, sizeof(out->proxy_auth), &nv);
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			r = 0;
			break;
		}
		if (used == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT))
			break;
	}
	nghttp2_hd_inflate_del(inf);
	return r;
}

enum h2r_peek h2_regular_peek(const uint8_t *p, size_t n, struct h2r_first *out)
{
	static uint8_t blk[H2R_BLOCK_MAX]; /* one worker thread; used only here */
	size_t blen;
	int r;

	memset(out, 0, sizeof(*out));
	if (h2_preface_check(p, n) != H2_PREFACE_YES)
		return H2R_BAD;
	r = first_block(p, n, blk, &blen);
	if (r == 0)
		return H2R_MORE;
	return r > 0 && decode_block(blk, blen, out) == 0 && out->method[0] ? H2R_OK : H2R_BAD;
}

/* ---- binding the connection to the first request's server ---- */

static uint16_t default_port(const char *scheme)
{
	return strcmp(scheme, "https") == 0 ? 443 : 80;
}

static bool parse_authority(const char *a, const char *scheme, struct http1_target *t)
{
	struct http1_str s = {a, strlen(a)};

	return a[0] && http1_parse_authority(s, default_port(scheme), t) == 0;
}

/* Why the connection has no server; its streams are answered (h2_proxy). */
static void unbound(struct conn *c, const char *why)
{
	stream_set_err(&c->server, "%s", why);
	c->server.failed = true;
}

/* The first request names the server and carries the credentials. */
static void bind_first(struct conn *c, const struct h2r_first *f)
{
	struct http1_target t;
	union sockaddr_any a;
	bool https = strcmp(f->scheme, "https") == 0;

	if (strcmp(f->method, "CONNECT") == 0) {
		unbound(c, H2R_NO_CONNECT);
		return;
	}
	if (!parse_authority(f->authority, f->scheme, &t)) {
		unbound(c, "HTTP request has no host header, destination unknown.");
		return;
	}
	conn_set_str(&c->host, t.host); /* for the flows, also when refused */
	c->port = t.port;
	c->srv_tls = https ? SRV_TLS_ALWAYS : SRV_TLS_NEVER;
	c->server_tls = https;
	/* SNI and the name the server's certificate is checked against, as
	 * in reverse mode; an IP literal is checked as an address. */
	conn_set_str(&c->tls_sni, https && addr_parse_ip(t.host, 0, &a) != 0 ? t.host : "");
	if (wk->opts.proxyauth && !c->authed &&
	    !(f->proxy_auth[0] && auth_value_ok(c, f->proxy_auth, strlen(f->proxy_auth)))) {
		conn_client_log(c, LOG_LVL_INFO, "proxy authentication %s",
				f->proxy_auth[0] ? "failed" : "required");
		unbound(c, "Authentication required.");
		return;
	}
	c->authed = true;
	if (pages_is_onboarding(t.host)) /* its streams are answered here */
		unbound(c, "mitm.it is answered by snare itself");
}

/* RFC 9113 3.4: the server's preface (its SETTINGS) comes first, and a
 * client may wait for it before its first request, which this layer waits
 * for.  So the SETTINGS the HTTP/2 layer's session would send go out now,
 * and that session counts them as its own first SETTINGS (settings_sent
 * in h2/h2.h): the client's one ACK is the one it expects, and it sends no
 * second copy. */
static void server_preface(struct conn *c, bool *progress)
{
	uint8_t f[H2_SETTINGS_MAX];
	ssize_t n = h2_proxy_settings(f, sizeof(f));

	if (n > 0 && buf_append(&c->client.out, f, (size_t)n) == 0) {
		c->h2_settings_sent = true;
		*progress = true;
	}
}

static void h2r_step(struct conn *c, bool *progress)
{
	const struct buf *in = &c->client.in;
	bool stuck = c->client.rd_eof || c->client.failed || buf_room(in) == 0;
	enum h2_preface pf = h2_preface_check(buf_ptr(in), buf_len(in));
	struct h2r_first f;
	enum h2r_peek r;

	if (pf == H2_PREFACE_NO || (pf == H2_PREFACE_MORE && stuck)) {
		*progress = true;
		next_layer(c, NL_CLIENT_H1);
		return;
	}
	if (pf == H2_PREFACE_MORE)
		return;
	if (!c->h2_settings_sent)
		server_preface(c, progress);
	r = h2_regular_peek(buf_ptr(in), buf_len(in), &f);
	if (r == H2R_MORE && !stuck)
		return;
	*progress = true;
	if (r == H2R_OK)
		bind_first(c, &f);
	else
		unbound(c, "invalid HTTP/2 request");
	OPENSSL_cleanse(f.proxy_auth, sizeof(f.proxy_auth));
	next_layer(c, NL_CLIENT_H2);
}

const struct layer_ops layer_h2_detect = {
    .name = "h2-detect",
    .step = h2r_step,
};

/* ---- each stream of a bound connection ---- */

/* The answer's head and body (body: a->body, or memory that outlives it). */
static bool fill(struct h2r_answer *a, int status, const char *ctype, const char *extra_name,
		 const char *extra_value, const uint8_t *body, size_t n)
{
	size_t nf = 0;

	memset(&a->o, 0, sizeof(a->o));
	a->f[nf++] = (struct hf_field){"content-type", 12, ctype, strlen(ctype)};
	snprintf(a->len, sizeof(a->len), "%zu", n);
	a->f[nf++] = (struct hf_field){"content-length", 14, a->len, strlen(a->len)};
	if (extra_name)
		a->f[nf++] = (struct hf_field){extra_name, strlen(extra_name), extra_value,
					       strlen(extra_value)};
	a->o.head = (struct hf_head){.status = status,
				     .version = 20,
				     .fields = a->f,
				     .nfields = nf,
				     .content_length = (int64_t)n};
	a->o.body = body;
	a->o.body_len = n;
	return true;
}

static bool answer(struct h2r_answer *a, int status, const char *extra_name,
		   const char *extra_value, const char *text)
{
	int n = snprintf(a->body, sizeof(a->body), "%s\n", text);

	if (n < 0 || (size_t)n >= sizeof(a->body))
		n = (int)strlen(a->body);
	return fill(a, status, "text/plain", extra_name, extra_value, (const uint8_t *)a->body,
		    (size_t)n);
}

/* A mitm.it request: the onboarding app's page, as on HTTP/1 (pages.c). */
static bool onboarding(struct h2r_answer *a, const char *path)
{
	struct page pg;
	int n;

	if (path && pages_onboarding_find(path, strlen(path), &pg)) {
		if (pg.file)
			snprintf(a->disp, sizeof(a->disp), "attachment; filename=%s", pg.file);
		return fill(a, 200, pg.ctype, pg.file ? "content-disposition" : NULL, a->disp,
			    pg.body, pg.len);
	}
	n = pages_error_html(a->body, sizeof(a->body), 404, "Not Found", PAGES_NOT_FOUND);
	return fill(a, 404, "text/html", NULL, NULL, (const uint8_t *)a->body, (size_t)n);
}

/* The request's fields without Proxy-Authorization (snare's, not the
 * server's), in a new allocation the caller frees; NULL when it has none. */
static struct hf_field *without_proxy_auth(struct hf_head *h)
{
	struct hf_field *f = NULL;
	size_t n = 0;

	for (size_t i = 0; i < h->nfields; i++) {
		bool pa = h->fields[i].name_len == 19 &&
			  strncasecmp(h->fields[i].name, "proxy-authorization", 19) == 0;

		if (pa && f == NULL) {
			f = xcalloc(h->nfields, sizeof(*f));
			memcpy(f, h->fields, i * sizeof(*f));
			n = i;
		} else if (!pa && f) {
			f[n++] = h->fields[i];
		}
	}
	if (f) {
		h->fields = f;
		h->nfields = n;
	}
	return f;
}

bool h2_regular_answer(struct conn *c, struct hf_head *h, struct h2r_answer *a,
		       struct hf_field **fields)
{
	struct http1_target t;
	char msg[400];

	if (c->kind != MODE_REGULAR || c->tunnel)
		return false;
	if (wk->opts.proxyauth && !c->authed)
		return answer(a, 407, "proxy-authenticate", "Basic realm=\"snare\"",
			      "Authentication required.");
	if (h->method && strcmp(h->method, "CONNECT") == 0 && h->path == NULL) /* RFC 9113 8.5 */
		return answer(a, 502, NULL, NULL, H2R_NO_CONNECT);
	if (!h->authority || !parse_authority(h->authority, h->scheme ? h->scheme : "http", &t))
		return answer(a, 400, NULL, NULL,
			      "HTTP request has no host header, destination unknown.");
	if (c->host[0] && (strcasecmp(t.host, c->host) != 0 || t.port != c->port ||
			   (h->scheme && (strcmp(h->scheme, "https") == 0) != c->server_tls))) {
		snprintf(msg, sizeof(msg),
			 "This HTTP/2 connection goes to %s:%u; open another one for %s:%u.",
			 c->host, c->port, t.host, t.port);
		return answer(a, 421, NULL, NULL, msg);
	}
	if (pages_is_onboarding(t.host))
		return onboarding(a, h->path);
	*fields = without_proxy_auth(h);
	return false;
}
