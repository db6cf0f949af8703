/* Runs in a worker: what happens inside a CONNECT tunnel.  Peeks at the
 * client's first bytes (ClientHello, HTTP or anything else), passes ignored
 * hosts through untouched, intercepts TLS (server handshake first, then a
 * leaf certificate from the ca, then the client handshake) and relays raw
 * TCP.  All peer bytes are untrusted; the ClientHello parser is bounded. */
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
#include "worker/hosts.h"
#include "worker/relay.h"
#include "worker/stream.h"
#include "worker/tls.h"
#include "worker/tunnel.h"
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

/* Starts TLS towards the server: SNI c->tls_sni, hostname (or IP)
 * verification unless ssl_insecure, ALPN http/1.1 when the client offered it. */
int tunnel_server_tls_begin(struct conn *c)
{
	static const unsigned char h11[] = "\x08http/1.1";
	size_t i;

	c->server_tls = true;
	if (stream_tls_start(&c->server, wk->upstream_ctx, true, c->tls_sni) < 0)
		return -ENOMEM;
	if (!wk->opts.ssl_insecure && c->tls_sni[0])
		SSL_set1_host(c->server.ssl, c->tls_sni);
	else if (!wk->opts.ssl_insecure && host_is_ip(c->host))
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->server.ssl), c->host);
	for (i = 0; c->hello && i < c->hello->nalpn; i++)
		if (strcmp(c->hello->alpn[i], "http/1.1") == 0)
			SSL_set_alpn_protos(c->server.ssl, h11, sizeof(h11) - 1);
	if (c->hello == NULL || c->hello->nalpn == 0 || c->kind == MODE_REVERSE)
		if (!c->force_raw)
			SSL_set_alpn_protos(c->server.ssl, h11, sizeof(h11) - 1);
	tls_sessions_attach(c->server.ssl, c->server_host, c->server_port, c->tls_sni);
	return 0;
}

static void tunnel_server_done(struct conn *c);

static void tunnel_start_tls(struct conn *c)
{
	const struct tls_client_hello *ch = c->hello;

	if (!(c->kind == MODE_REVERSE && !wk->opts.keep_host_header))
		conn_set_str(&c->tls_sni, ch->sni[0]		? ch->sni
					  : host_is_ip(c->host) ? ""
								: c->host);
	if (c->srv_tls == SRV_TLS_NEVER || c->server.fd < 0) {
		/* No server handshake first: plain server, or a lazy connection. */
		c->server_tls = c->srv_tls != SRV_TLS_NEVER;
		tunnel_server_done(c);
		return;
	}
	if (tunnel_server_tls_begin(c) < 0) {
		conn_close(c);
		return;
	}
	conn_set_state(c, CS_SERVER_TLS);
}

/* The client speaks plain text inside the tunnel. */
static void tunnel_plain(struct conn *c)
{
	if (c->srv_tls == SRV_TLS_ALWAYS && c->server.fd >= 0 && c->server.ssl == NULL &&
	    tunnel_server_tls_begin(c) < 0) {
		conn_close(c);
		return;
	}
	c->server_tls = c->srv_tls == SRV_TLS_ALWAYS;
	if (c->force_raw || hosts_match(&wk->tcp_hosts, c->host, c->port))
		relay_start(c, true);
	else
		conn_set_state(c, CS_CLIENT_HEAD);
}

void tunnel_detect_step(struct conn *c, bool *progress)
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
			relay_start(c, true);
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
		if (r < 0) {
			relay_start(c, true);
			return;
		}
		if (hosts_ignored(c->hello->sni[0] ? c->hello->sni : c->host, c->port) ||
		    hosts_ignored(c->host, c->port)) {
			relay_start(c, false);
			return;
		}
		tunnel_start_tls(c);
		return;
	}
	if (hosts_ignored(c->host, c->port)) {
		*progress = true;
		relay_start(c, false);
		return;
	}
	r = looks_like_http(p, n);
	if (r < 0 && !c->client.rd_eof && !c->force_raw)
		return;
	*progress = true;
	if (r == 1 || c->force_raw)
		tunnel_plain(c);
	else
		relay_start(c, true);
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
static size_t tunnel_sans(struct conn *c, char **sans, char *org, size_t orglen)
{
	X509 *cert = c->server.ssl ? SSL_get0_peer_certificate(c->server.ssl) : NULL;
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

static void tunnel_client_tls(struct conn *c, SSL_CTX *ctx)
{
	if (stream_tls_start(&c->client, ctx, false, NULL) < 0) {
		conn_close(c);
		return;
	}
	conn_set_state(c, CS_CLIENT_TLS);
	conn_pump_later(c);
}

static void tunnel_server_done(struct conn *c)
{
	char *sans[CERTS_SAN_WANT], org[128];
	size_t n = tunnel_sans(c, sans, org, sizeof(org)), i;
	const unsigned char *alpn;
	unsigned alen;
	SSL_CTX *ctx;

	alen = 0;
	if (c->server.ssl) {
		SSL_get0_alpn_selected(c->server.ssl, &alpn, &alen);
		if (SSL_session_reused(c->server.ssl))
			conn_client_log(c, LOG_LVL_DEBUG, "server TLS session resumed");
	}
	snprintf(c->alpn, sizeof(c->alpn), "%.*s", (int)alen, alen ? (const char *)alpn : "");
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

static void tunnel_server_failed(struct conn *c)
{
	long v = SSL_get_verify_result(c->server.ssl);

	if (v != X509_V_OK)
		conn_client_log(c, LOG_LVL_WARN,
				"Server TLS handshake failed. Certificate verify failed: %s",
				X509_verify_cert_error_string(v));
	else
		conn_client_log(c, LOG_LVL_WARN, "Server TLS handshake failed. %s", c->server.err);
	conn_close(c);
}

void tunnel_tls_step(struct conn *c, bool *progress)
{
	if (c->state == CS_SERVER_TLS) {
		if (c->server.failed || (c->server.rd_eof && !c->server.tls_done)) {
			tunnel_server_failed(c);
		} else if (c->server.tls_done) {
			*progress = true;
			tunnel_server_done(c);
		}
		return;
	}
	if (!c->client.tls_done)
		return;
	*progress = true;
	if (c->proxy_tls && !c->tunnel) { /* the outer session to snare itself is up */
		conn_set_state(c, CS_CLIENT_HEAD);
		return;
	}
	c->tls = true;
	if (c->force_raw ||
	    hosts_match(&wk->tcp_hosts, c->hello->sni[0] ? c->hello->sni : c->host, c->port))
		relay_start(c, true);
	else
		conn_set_state(c, CS_CLIENT_HEAD);
}

/* The certificate for TLS to snare itself: the SNI, else our own address. */
void tunnel_proxy_tls(struct conn *c, bool *progress)
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
