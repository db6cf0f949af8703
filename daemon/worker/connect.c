/* Runs in a worker: connects a connection's server stream to host:port.
 * Names are resolved asynchronously (resolve/), every address is tried in
 * turn, and snare's own listen addresses are refused (no proxy loops). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/log.h"
#include "http1/http1.h"
#include "worker/accepting.h"
#include "worker/conn.h"
#include "worker/layer.h"
#include "worker/modes.h"
#include "worker/stream.h"
#include "worker/tls.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

bool conn_connect_failed(struct conn *c, int err)
{
	if (err >= 0)
		return false;
	conn_client_log(c, LOG_LVL_INFO, "error establishing server connection: %s", c->server.err);
	return true;
}

bool conn_is_self(const char *host, uint16_t port)
{
	size_t i;
	char lh[INET6_ADDRSTRLEN];

	for (i = 0; i < wk->nlisteners; i++) {
		const struct worker_listener *l = &wk->listeners[i];

		if (l->udp || addr_port(&l->addr.sa) != port)
			continue;
		addr_format_host(&l->addr.sa, lh, sizeof(lh));
		if (!strcasecmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
		    !strcmp(host, "::1") || !strcmp(host, lh) ||
		    (!strcmp(lh, "::") && !strcmp(host, "0.0.0.0")))
			return true;
	}
	return false;
}

static void connect_done(struct conn *c, int err)
{
	void (*fn)(struct conn *, int) = c->on_connected;

	c->on_connected = NULL;
	if (err == 0) {
		char a[ADDR_STRLEN];
		socklen_t len = sizeof(c->server.local);

		getsockname(c->server.fd, &c->server.local.sa, &len);
		c->server_up = true;
		c->server_reusable = true; /* fresh: usable for the request waiting on it */
		c->server_kept = c->server_pooled = false;
		addr_format(&c->server.peer.sa, a, sizeof(a));
		if (addr_parse_ip(c->server_host, 0, &(union sockaddr_any){0}) == 0)
			conn_client_log(c, LOG_LVL_INFO, "server connect %s", a);
		else
			conn_client_log(c, LOG_LVL_INFO, "server connect %s:%u (%s)",
					c->server_host, c->server_port, a);
	}
	if (fn)
		fn(c, err);
}

/* Starts a non-blocking connect to addrs[addr_i]; false when none is left. */
static bool connect_next(struct conn *c)
{
	while (c->addr_i < c->naddrs) {
		union sockaddr_any *a = &c->addrs[c->addr_i++];
		int fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;

		if (fd < 0 && accepting_no_server_fd(errno))
			fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			int err = errno;

			/* the client's 502 says why (http_bad_gateway) */
			stream_set_err(&c->server, "%s%s", strerror(err),
				       err == EMFILE || err == ENFILE
					   ? " (no descriptor for a server connection: the worker "
					     "is at its descriptor limit)"
					   : "");
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		stream_close(&c->server);
		stream_init(&c->server, c, fd);
		stream_addr_set(&c->server.peer, &a->sa);
		c->server.ts_start = clock_wall();
		c->server.rd_ready = false; /* nothing to read before it connected */
		if (connect(fd, &a->sa, addr_len(&a->sa)) < 0 && errno != EINPROGRESS) {
			stream_fail(&c->server, "%s", strerror(errno));
			continue;
		}
		c->server.connecting = true;
		return true;
	}
	return false;
}

static void upstream_authorization(char *out, size_t len)
{
	unsigned char b64[400];
	const char *ua = wk->opts.upstream_auth;

	out[0] = '\0';
	if (ua == NULL || strlen(ua) > 280)
		return;
	EVP_EncodeBlock(b64, (const unsigned char *)ua, (int)strlen(ua));
	snprintf(out, len, "Basic %s", (const char *)b64);
}

/* Builds the "Proxy-Authorization: ..." line (or nothing) for upstream mode. */
void conn_proxy_auth_line(char *out, size_t len)
{
	char v[420];

	upstream_authorization(v, sizeof(v));
	if (v[0])
		snprintf(out, len, "Proxy-Authorization: %s\r\n", v);
	else
		out[0] = '\0';
}

void conn_basic_auth_value(char *out, size_t len)
{
	upstream_authorization(out, len);
}

/* Upstream mode: CONNECT through the upstream proxy.  1 when the tunnel
 * is up, 0 while waiting, -1 when it failed. */
static int via_handshake(struct conn *c, bool *progress)
{
	struct http1_head h;
	char line[1200], auth[480], host[270];
	int r;

	if (!c->via_sent) {
		snprintf(host, sizeof(host), strchr(c->target_host, ':') ? "[%s]:%u" : "%s:%u",
			 c->target_host, c->target_port);
		conn_proxy_auth_line(auth, sizeof(auth));
		snprintf(line, sizeof(line), "CONNECT %s HTTP/1.1\r\n%s%s%s%s\r\n", host,
			 wk->opts.http_connect_send_host_header ? "Host: " : "",
			 wk->opts.http_connect_send_host_header ? host : "",
			 wk->opts.http_connect_send_host_header ? "\r\n" : "", auth);
		if (buf_append(&c->server.out, line, strlen(line)) < 0)
			return -1;
		c->via_sent = *progress = true;
		return 0;
	}
	r = http1_parse_response(buf_ptr(&c->server.in), buf_len(&c->server.in), NULL, &h);
	if (r == HTTP1_E_NEED_MORE && !c->server.rd_eof && !c->server.failed)
		return 0;
	*progress = true;
	if (r != HTTP1_OK) {
		stream_set_err(&c->server, "Upstream proxy %s:%u sent an invalid answer to CONNECT",
			       c->server_host, c->server_port);
		return -1;
	}
	if (h.status < 200 || h.status > 299) {
		stream_set_err(
		    &c->server, "Upstream proxy %s:%u refused HTTP CONNECT request: %d %.*s",
		    c->server_host, c->server_port, h.status, (int)h.reason.n, h.reason.p);
		return -1;
	}
	buf_consume(&c->server.in, h.head_len);
	return 1;
}

/* upstream:https://: TLS to the upstream proxy itself first (SNI = its
 * host, ALPN http/1.1).  1 when it is up (or not needed), 0 while the
 * handshake runs. */
static int via_tls(struct conn *c, bool *progress)
{
	static const unsigned char h11[] = "\x08http/1.1";
	const struct mode_spec *m = &wk->modes[c->mode_index];

	if (!c->via || !modespec_scheme_of(m)->server_tls || c->server.tls_done)
		return 1;
	if (c->server.ssl == NULL) {
		if (stream_tls_start(&c->server, wk->upstream_ctx, true, m->server.host) < 0) {
			stream_fail(&c->server, "cannot start TLS to the upstream proxy");
			return 0;
		}
		if (!wk->opts.ssl_insecure)
			SSL_set1_host(c->server.ssl, m->server.host);
		SSL_set_alpn_protos(c->server.ssl, h11, sizeof(h11) - 1);
		*progress = true;
	}
	return 0;
}

void connect_step(struct conn *c, bool *progress)
{
	if (c->resolving || c->server.connecting || c->on_connected == NULL)
		return;
	if (c->server.fd >= 0 && !c->server.failed && via_tls(c, progress) == 0)
		return;
	if (c->server.fd >= 0 && !c->server.failed && c->via && c->via_connect) {
		int r = via_handshake(c, progress);

		if (r == 0)
			return;
		if (r < 0) {
			conn_client_log(c, LOG_LVL_WARN, "%s", c->server.err);
			c->server.failed = true;
			connect_done(c, -ECONNREFUSED);
			return;
		}
		*progress = true;
		connect_done(c, 0);
		return;
	}
	if (c->server.fd >= 0 && !c->server.failed) {
		*progress = true;
		connect_done(c, 0);
		return;
	}
	if (connect_next(c))
		return;
	*progress = true;
	connect_done(c, -ECONNREFUSED);
}

static void on_resolved(void *arg, int status, const struct sockaddr_storage *addrs, size_t n)
{
	struct conn *c = arg;

	c->resolving = NULL;
	if (status < 0 || n == 0) {
		stream_set_err(&c->server, "%s",
			       status == -ENOENT      ? "Name or service not known"
			       : status == -ETIMEDOUT ? "name resolution timed out"
						      : "name resolution failed");
		c->server.failed = true;
		connect_done(c, status < 0 ? status : -ENOENT);
		conn_pump(c);
		return;
	}
	free(c->addrs);
	c->addrs = xcalloc(n, sizeof(*c->addrs));
	memcpy(c->addrs, addrs, n * sizeof(*addrs));
	c->naddrs = n;
	c->addr_i = 0;
	conn_pump(c);
}

void conn_connect(struct conn *c, const char *target, uint16_t tport,
		  void (*done)(struct conn *c, int err))
{
	const char *host;
	uint16_t port;

	stream_close(&c->server);
	stream_init(&c->server, c, -1);
	conn_set_str(&c->target_host, target);
	c->target_port = tport;
	c->via_sent = false;
	mode_server_address(c, target, tport, &host, &port);
	conn_set_str(&c->server_host, host);
	c->server_port = port;
	c->on_connected = done;
	c->naddrs = c->addr_i = 0;
	conn_set_state(c, CS_CONNECTING);
	if (conn_is_self(host, port)) {
		stream_set_err(
		    &c->server,
		    "Request destination unknown. Unable to figure out where this request "
		    "should be forwarded to.");
		c->server.failed = true;
		connect_done(c, -ELOOP);
		return;
	}
	c->resolving = resolve_start(wk->resolver, host, port, AF_UNSPEC, on_resolved, c);
	if (c->resolving == NULL) {
		stream_set_err(&c->server, "name resolution failed");
		c->server.failed = true;
		connect_done(c, -EAGAIN);
	}
}

/* Starts TLS towards the server: SNI c->tls_sni, hostname (or IP)
 * verification unless ssl_insecure, ALPN as next_layer_alpn() says. */
int conn_server_tls_begin(struct conn *c)
{
	union sockaddr_any ip;
	const uint8_t *alpn;
	size_t alpn_len;
	char key[UPSTREAM_POOL_KEY_MAX];

	c->server_tls = true;
	upstream_pool_key(c, key, sizeof(key)); /* what the pool files it under */
	free(c->server_key);
	c->server_key = key[0] ? xstrdup(key) : NULL;
	if (stream_tls_start(&c->server, wk->upstream_ctx, true, c->tls_sni) < 0)
		return -ENOMEM;
	if (!wk->opts.ssl_insecure && c->tls_sni[0])
		SSL_set1_host(c->server.ssl, c->tls_sni);
	else if (!wk->opts.ssl_insecure && addr_parse_ip(c->host, 0, &ip) == 0)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->server.ssl), c->host);
	if (next_layer_alpn(c, &alpn, &alpn_len))
		SSL_set_alpn_protos(c->server.ssl, alpn, (unsigned)alpn_len);
	tls_sessions_attach(c->server.ssl, c->server_host, c->server_port, c->tls_sni);
	return 0;
}
