/* Runs in a worker: what happens inside a CONNECT tunnel.  Peeks at the
 * client's first bytes (ClientHello, HTTP or anything else), passes ignored
 * hosts through untouched, intercepts TLS (server handshake first, then a
 * leaf certificate from the ca, then the client handshake; or both
 * handshakes at once where the leaf is known from the last connection to
 * the same server) and relays raw TCP.  All peer bytes are untrusted; the ClientHello parser is
 * bounded. */
#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "core/log.h"
#include "worker/certcache.h"
#include "worker/conn.h"
#include "worker/h2_shared.h"
#include "worker/h2_proxy.h"
#include "worker/hosts.h"
#include "worker/layer.h"
#include "worker/stream.h"
#include "worker/tls.h"
#include "worker/tunnel.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

/* 1: starts like an HTTP request line, 0: does not, -1: need more bytes. */
static int looks_like_http(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 16; i++) {
		if (p[i] == ' ')
			return i > 0;
		if (!isalpha(p[i]))
			return 0;
	}
	return n >= 16 ? 0 : -1;
}

static bool host_is_ip(const char *h)
{
	union sockaddr_any a;

	return addr_parse_ip(h, 0, &a) == 0;
}

static void tunnel_server_done(struct conn *c);
static void tunnel_leaf(struct conn *c, X509 *cert);
static void tunnel_client_tls(struct conn *c, SSL_CTX *ctx);
static void tunnel_client_start(struct conn *c, SSL_CTX *ctx, bool h2);

/* What names a destination's leaf: where the server connection goes, the
 * SNI sent there and the one the client sent. */
static void tunnel_hint(const struct conn *c, char *out, size_t len)
{
	snprintf(out, len, "%s:%u|%s|%s|%d", c->host, c->port, c->tls_sni, c->hello->sni,
		 wk->opts.upstream_cert);
}

/* Answer first: a destination whose leaf is known (the last handshake with
 * this server picked it, and it is cached and fresh) gets its client
 * handshake at once, beside the server's, instead of after it.  False when
 * the leaf is not known: the server's certificate is needed first.
 * h2_ok: the client may get h2 once its server takes it (h2_proxy_server_ready
 * before the server handshake starts). */
static bool tunnel_answer_first(struct conn *c, bool h2_ok)
{
	const uint8_t *alpn;
	size_t alen;
	char hint[1024];
	bool offer_h2, server_h2 = false;
	SSL_CTX *ctx;

	tunnel_hint(c, hint, sizeof(hint));
	ctx = certcache_peek(hint, &server_h2);
	if (ctx == NULL)
		return false;
	/* Under eager the client is offered h2 only when the server takes it
	 * (the server's ALPN is mirrored, as mitmproxy does it): a server
	 * offered h2 that took it last time is taken to take it again, and
	 * the client may get h2 at once (should the server now answer
	 * http/1.1, the HTTP/2 layer translates, as for a lazy connection);
	 * one that did not answers first. */
	offer_h2 = next_layer_alpn(c, &alpn, &alen) && alen >= 3 && memcmp(alpn, "\x02h2", 3) == 0;
	if (offer_h2 && !(server_h2 && h2_ok))
		return false;
	c->srv_parallel = true;
	conn_client_log(c, LOG_LVL_DEBUG, "leaf for %s known: client handshake answered first%s",
			c->host, offer_h2 ? " (h2, as the server took last time)" : "");
	tunnel_client_start(c, ctx, offer_h2);
	return true;
}

/* The server handshake first (or beside the client's) on a connected
 * server stream. */
static void tunnel_server_tls(struct conn *c)
{
	bool h2_ok = h2_proxy_server_ready(c); /* no server TLS yet: whether h2 is allowed at all */

	if (conn_server_tls_begin(c) < 0) {
		conn_close(c);
		return;
	}
	if (!tunnel_answer_first(c, h2_ok))
		conn_set_state(c, CS_SERVER_TLS);
}

/* Eager, but the accept did not connect because the upstream pool had a
 * connection to this server: none fitted the ClientHello, so connect now
 * and go on as eager does. */
static void tunnel_pool_missed(struct conn *c, int err)
{
	if (conn_connect_failed(c, err)) {
		conn_close(c);
		return;
	}
	tunnel_server_tls(c);
}

static bool hello_offers_h2(const struct conn *c)
{
	size_t i;

	for (i = 0; c->hello && i < c->hello->nalpn; i++)
		if (strcmp(c->hello->alpn[i], "h2") == 0)
			return true;
	return false;
}

/* Eager, a ClientHello offering h2 and an h2 pool connection for it: that
 * server took h2, so the client is answered at once with h2 allowed and the
 * leaf the pooled connection's certificate gives; the HTTP/2 layer then
 * takes the connection (h2_proxy_start).  Should it go meanwhile, that
 * layer connects as a lazy connection does (translating if the server now
 * takes http/1.1).  True when the connection is handled. */
static bool tunnel_from_h2_pool(struct conn *c)
{
	X509 *cert;

	if (wk->opts.connection_strategy != STRATEGY_EAGER || !hello_offers_h2(c) ||
	    !h2_proxy_server_ready(c) || !h2_shared_peek(c, &cert))
		return false;
	conn_client_log(c, LOG_LVL_DEBUG,
			"HTTP/2 server connection to %s:%u pooled: client answered at once (h2)",
			c->host, c->port);
	tunnel_leaf(c, cert);
	return true;
}

/* A pooled server connection for this ClientHello (reverse mode): its
 * handshake is done, so the client's starts at once, with the leaf its
 * certificate gives as after any server handshake.  True when the
 * connection is handled. */
static bool tunnel_from_pool(struct conn *c)
{
	if (c->kind != MODE_REVERSE || c->srv_tls == SRV_TLS_NEVER || c->server.fd >= 0)
		return false;
	c->server_tls = true;
	if (tunnel_from_h2_pool(c))
		return true;
	if (upstream_pool_take(c)) {
		tunnel_server_done(c);
		return true;
	}
	if (wk->opts.connection_strategy != STRATEGY_EAGER)
		return false;
	conn_connect(c, c->host, c->port, tunnel_pool_missed);
	return true;
}

void tunnel_intercept(struct conn *c)
{
	const struct tls_client_hello *ch = c->hello;

	if (!(c->kind == MODE_REVERSE && !wk->opts.keep_host_header))
		conn_set_str(&c->tls_sni, ch->sni[0]		? ch->sni
					  : host_is_ip(c->host) ? ""
								: c->host);
	if (tunnel_from_pool(c))
		return;
	if (c->srv_tls == SRV_TLS_NEVER || c->server.fd < 0) {
		/* No server handshake first: plain server, or a lazy connection. */
		c->server_tls = c->srv_tls != SRV_TLS_NEVER;
		tunnel_server_done(c);
		return;
	}
	tunnel_server_tls(c);
}

/* What the client speaks first in the tunnel: TLS, HTTP or anything else;
 * next_layer() decides from there. */
static void tunnel_detect_step(struct conn *c, bool *progress)
{
	const uint8_t *p = buf_ptr(&c->client.in);
	size_t n = buf_len(&c->client.in);
	int r;

	while (n > 0 && (p[0] == '\r' || p[0] == '\n')) { /* stray CRLF after CONNECT */
		buf_consume(&c->client.in, 1);
		p = buf_ptr(&c->client.in);
		n--;
	}
	if (n == 0) {
		if (buf_len(&c->server.in) > 0 || c->server.rd_eof) /* server speaks first */
			next_layer(c, NL_SERVER_FIRST);
		else if (c->client.rd_eof)
			conn_close(c);
		return;
	}
	/* No progress while waiting for more bytes: the pump would spin. */
	r = tlsparse_looks_like_tls(p, n);
	if (r == -EAGAIN)
		return;
	if (r == 1) {
		if (c->hello == NULL)
			c->hello = xcalloc(1, sizeof(*c->hello));
		r = tlsparse_client_hello_scan(p, n, c->hello);
		if (r == -EAGAIN && !c->client.rd_eof && buf_room(&c->client.in) > 0)
			return;
		*progress = true;
		next_layer(c, r < 0 ? NL_TLS_BAD : NL_TLS_HELLO);
		return;
	}
	if (h2_proxy_preface_wait(c)) /* "PRI * HTTP/2.0...": cleartext h2, more to come */
		return;
	r = looks_like_http(p, n);
	if (r < 0 && !c->client.rd_eof && !c->force_raw && !hosts_ignored(c->host, c->port))
		return;
	*progress = true;
	next_layer(c, r == 1 ? NL_PLAIN_HTTP : NL_PLAIN_OTHER);
}

static void add_san(char **sans, size_t *n, const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0' || *n >= CERTS_SAN_WANT)
		return;
	for (i = 0; i < *n; i++)
		if (strcasecmp(sans[i], s) == 0)
			return;
	sans[(*n)++] = xstrdup(s);
}

/* SANs for the leaf: the upstream certificate's CN and SANs, the SNI (or the
 * destination address), and the server host. */
static size_t tunnel_sans(struct conn *c, X509 *cert, char **sans, char *org, size_t orglen)
{
	size_t n = 0;

	org[0] = '\0';
	if (cert && wk->opts.upstream_cert) {
		GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
		X509_NAME *subj = X509_get_subject_name(cert);
		char cn[256];
		int i;

		if (X509_NAME_get_text_by_NID(subj, NID_commonName, cn, sizeof(cn)) > 0)
			add_san(sans, &n, cn);
		for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			char ip[INET6_ADDRSTRLEN];

			if (g->type == GEN_DNS)
				add_san(sans, &n,
					(const char *)ASN1_STRING_get0_data(g->d.dNSName));
			else if (g->type == GEN_IPADD && g->d.iPAddress->length == 4)
				add_san(sans, &n,
					inet_ntop(AF_INET, g->d.iPAddress->data, ip, sizeof(ip)));
			else if (g->type == GEN_IPADD && g->d.iPAddress->length == 16)
				add_san(sans, &n,
					inet_ntop(AF_INET6, g->d.iPAddress->data, ip, sizeof(ip)));
		}
		GENERAL_NAMES_free(gens);
		X509_NAME_get_text_by_NID(subj, NID_organizationName, org, (int)orglen);
	}
	add_san(sans, &n, c->hello->sni);
	add_san(sans, &n, c->host);
	return n;
}

/* The client handshake with ctx's leaf; h2: the client may get h2. */
static void tunnel_client_start(struct conn *c, SSL_CTX *ctx, bool h2)
{
	if (stream_tls_start(&c->client, ctx, false, NULL) < 0) {
		conn_close(c);
		return;
	}
	if (h2)
		tls_allow_h2(c->client.ssl);
	conn_set_state(c, CS_CLIENT_TLS);
	conn_pump_later(c);
}

static void tunnel_client_tls(struct conn *c, SSL_CTX *ctx)
{
	tunnel_client_start(c, ctx, h2_proxy_server_ready(c));
}

/* The server's ALPN; after a server handshake, which leaf this destination
 * gets is remembered for the next connection (tunnel_answer_first).  The
 * SAN list is the caller's to free. */
static size_t tunnel_server_facts(struct conn *c, char **sans, char *org, size_t orglen)
{
	X509 *cert = c->server.ssl ? SSL_get0_peer_certificate(c->server.ssl) : NULL;
	size_t n = tunnel_sans(c, cert, sans, org, orglen);
	const unsigned char *alpn;
	unsigned alen = 0;
	char hint[1024];

	if (c->server.ssl) {
		SSL_get0_alpn_selected(c->server.ssl, &alpn, &alen);
		if (SSL_session_reused(c->server.ssl))
			conn_client_log(c, LOG_LVL_DEBUG, "server TLS session resumed");
	}
	snprintf(c->alpn, sizeof(c->alpn), "%.*s", (int)alen, alen ? (const char *)alpn : "");
	if (c->server.ssl && c->server.tls_done) {
		tunnel_hint(c, hint, sizeof(hint));
		certcache_remember(hint, (const char *const *)sans, n, org[0] ? org : NULL,
				   strcmp(c->alpn, "h2") == 0);
	}
	return n;
}

/* The client handshake with the leaf sans names (the caller's to free), now
 * or once the ca signed it. */
static void tunnel_leaf_for(struct conn *c, char **sans, size_t n, const char *org)
{
	SSL_CTX *ctx;
	size_t i;

	ctx = certcache_get((const char *const *)sans, n, org[0] ? org : NULL, &c->cert_seq);
	for (i = 0; i < n; i++)
		free(sans[i]);
	if (ctx) {
		tunnel_client_tls(c, ctx);
		return;
	}
	if (c->cert_seq == 0) {
		conn_client_log(c, LOG_LVL_WARN, "cannot get a certificate for %s", c->host);
		conn_close(c);
		return;
	}
	conn_set_state(c, CS_CERT_WAIT);
}

static void tunnel_server_done(struct conn *c)
{
	char *sans[CERTS_SAN_WANT], org[128];
	size_t n = tunnel_server_facts(c, sans, org, sizeof(org));

	tunnel_leaf_for(c, sans, n, org);
}

/* The client handshake with the leaf cert's names give (cert: a server's
 * certificate, or NULL: the SNI and host only). */
static void tunnel_leaf(struct conn *c, X509 *cert)
{
	char *sans[CERTS_SAN_WANT], org[128];
	size_t n = tunnel_sans(c, cert, sans, org, sizeof(org));

	tunnel_leaf_for(c, sans, n, org);
}

static void tunnel_server_failed_log(struct conn *c)
{
	long v = SSL_get_verify_result(c->server.ssl);

	if (v != X509_V_OK)
		conn_client_log(c, LOG_LVL_WARN,
				"Server TLS handshake failed. Certificate verify failed: %s",
				X509_verify_cert_error_string(v));
	else
		conn_client_log(c, LOG_LVL_WARN, "Server TLS handshake failed. %s", c->server.err);
}

static bool tunnel_server_tls_failed(const struct conn *c)
{
	return c->server.failed || (c->server.rd_eof && !c->server.tls_done);
}

/* Answer first: the server handshake beside the client's.  True while it
 * runs.  A server that fails it is dropped: the layer that starts after the
 * client handshake connects again and answers the client with the error (a
 * 502 page for HTTP; a close for raw TCP), as a lazy connection does. */
static bool tunnel_server_parallel(struct conn *c, bool *progress)
{
	char *sans[CERTS_SAN_WANT], org[128];
	size_t n, i;

	if (tunnel_server_tls_failed(c)) {
		tunnel_server_failed_log(c);
		c->srv_parallel = false;
		*progress = true;
		conn_server_disconnect(c);
		return false;
	}
	if (!c->server.tls_done)
		return true;
	c->srv_parallel = false;
	*progress = true;
	n = tunnel_server_facts(c, sans, org, sizeof(org));
	for (i = 0; i < n; i++)
		free(sans[i]);
	return false;
}

static void tunnel_tls_step(struct conn *c, bool *progress)
{
	if (c->state == CS_SERVER_TLS) {
		if (tunnel_server_tls_failed(c)) {
			tunnel_server_failed_log(c);
			conn_close(c);
		} else if (c->server.tls_done) {
			*progress = true;
			tunnel_server_done(c);
		}
		return;
	}
	if (c->srv_parallel && tunnel_server_parallel(c, progress))
		return;
	if (!c->client.tls_done)
		return;
	*progress = true;
	next_layer(c, NL_CLIENT_TLS_UP);
}

/* CS_PROXY_HELLO: the ClientHello of TLS to snare itself; the certificate
 * is for the SNI, else our own address. */
static void tunnel_proxy_hello_step(struct conn *c, bool *progress)
{
	char *sans[2], local[INET6_ADDRSTRLEN];
	size_t n = 0;
	SSL_CTX *ctx;
	int r;

	if (c->hello == NULL)
		c->hello = xcalloc(1, sizeof(*c->hello));
	r = tlsparse_client_hello_scan(buf_ptr(&c->client.in), buf_len(&c->client.in), c->hello);
	if (r == -EAGAIN && !c->client.rd_eof)
		return;
	*progress = true;
	if (r < 0) {
		conn_client_log(c, LOG_LVL_INFO, "invalid TLS ClientHello sent to the proxy");
		conn_close(c);
		return;
	}
	c->proxy_tls = true;
	addr_format_host(&c->client.local.sa, local, sizeof(local));
	if (c->hello->sni[0])
		sans[n++] = c->hello->sni;
	sans[n++] = local;
	conn_set_str(&c->host, c->hello->sni[0] ? c->hello->sni : local);
	ctx = certcache_get((const char *const *)sans, n, NULL, &c->cert_seq);
	if (ctx)
		tunnel_client_tls(c, ctx);
	else if (c->cert_seq)
		conn_set_state(c, CS_CERT_WAIT);
	else
		conn_close(c);
}

void tunnel_on_cert(uint64_t seq, const uint8_t *der, size_t len, const char *err)
{
	SSL_CTX *ctx = certcache_complete(seq, der, len);
	struct conn *c, *next;

	if (err)
		log_warn("the ca could not sign a certificate: %s", err);
	for (c = wk->conns; c; c = next) {
		next = c->next;
		if (c->state != CS_CERT_WAIT || c->cert_seq != seq)
			continue;
		c->cert_seq = 0;
		if (ctx == NULL)
			conn_close(c);
		else
			tunnel_client_tls(c, ctx);
	}
}

static void tunnel_step(struct conn *c, bool *progress)
{
	if (c->state == CS_TUNNEL_DETECT)
		tunnel_detect_step(c, progress);
	else if (c->state == CS_SERVER_TLS || c->state == CS_CLIENT_TLS)
		tunnel_tls_step(c, progress);
	else if (c->state == CS_PROXY_HELLO)
		tunnel_proxy_hello_step(c, progress);
}

/* Whether the parsed ClientHello must stay for a later server connection:
 * conn_server_tls_begin() offers what next_layer_alpn() picks from the
 * client's list, and without a ClientHello unless the relay is raw.  Only
 * where the two differ. */
static bool tunnel_hello_needed(const struct conn *c)
{
	bool h11 = false;
	size_t i;

	if (c->hello->nalpn == 0)
		return false;
	for (i = 0; i < c->hello->nalpn && !h11; i++)
		h11 = strcmp(c->hello->alpn[i], "http/1.1") == 0;
	if (h11)
		return c->force_raw;
	return c->kind != MODE_REVERSE && !c->force_raw;
}

/* The ClientHello goes once the client handshake is over (a new one is
 * parsed before one is read again). */
static void tunnel_trim(struct conn *c)
{
	bool settled = c->state == CS_CLIENT_HEAD || c->state == CS_EXCHANGE ||
		       c->state == CS_RELAY || c->state == CS_CLOSING;

	if (c->hello && c->tls && settled && !tunnel_hello_needed(c)) {
		free(c->hello);
		c->hello = NULL;
	}
}

static void tunnel_close(struct conn *c)
{
	free(c->hello);
	c->hello = NULL;
}

const struct layer_ops layer_tunnel = {
    .name = "tunnel",
    .step = tunnel_step,
    .close = tunnel_close,
    .trim = tunnel_trim,
};
