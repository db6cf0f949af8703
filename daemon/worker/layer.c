/* Runs in a worker: the next-layer decision point.  Every change of what a
 * connection speaks goes through next_layer(), from what just became known
 * (the mode, a tunnel opening, the tunnel's first bytes, a finished TLS
 * handshake, a 101) and the options (ignore_hosts, tcp_hosts); the layer
 * that starts allocates its state.  The framework's view of all layers
 * (close, trim, wait_over) is here too.  Trusts only what the layers parsed. */
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "worker/conn.h"
#include "worker/dns_mode.h"
#include "worker/h2_proxy.h"
#include "worker/hooks.h"
#include "worker/hosts.h"
#include "worker/http.h"
#include "worker/layer.h"
#include "worker/modes.h"
#include "worker/no_h2c.h"
#include "worker/relay.h"
#include "worker/socks5.h"
#include "worker/tunnel.h"
#include "worker/worker_ctx.h"

/* Every layer, in the order their close ops run: the relay and the HTTP
 * layer report their flows while the TLS facts (the ClientHello) are still
 * there. */
static const struct layer_ops *const layers[] = {
    &layer_dns, &layer_socks5, &layer_relay, &layer_http, &layer_h2, &layer_tunnel,
};

static void **layer_slot(struct conn *c, const struct layer_ops *l)
{
	return (void **)((char *)c + l->state_at);
}

/* l becomes the current layer, its state allocated on first entry. */
static void enter(struct conn *c, const struct layer_ops *l)
{
	void **slot = layer_slot(c, l);

	c->layer = l;
	if (l->state_size && *slot == NULL)
		*slot = xcalloc(1, l->state_size);
}

/* Raw bytes both ways; `record`: as a TCP (or WebSocket) flow. */
static void enter_relay(struct conn *c, bool record)
{
	enter(c, &layer_relay);
	relay_start(c, record);
}

static void enter_http(struct conn *c)
{
	enter(c, &layer_http);
	http_start(c);
}

/* HTTP/2: by ALPN h2, or a cleartext client's preface. */
static void h2_enter(struct conn *c)
{
	enter(c, &layer_h2);
	h2_proxy_start(c);
}

/* A new connection: its mode says which layer reads its first bytes. */
static void next_start(struct conn *c)
{
	mode_start(c);
	switch (c->kind) {
	case MODE_SOCKS5:
		enter(c, &layer_socks5);
		socks5_start(c);
		return;
	case MODE_DNS:
		enter(c, &layer_dns);
		dns_tcp_start(c);
		return;
	case MODE_REVERSE:
		if (modespec_scheme_of(&wk->modes[c->mode_index])->dns) {
			enter(c, &layer_dns);
			dns_tcp_start(c);
			return;
		}
		mode_tunnel_start(c);
		return;
	case MODE_TRANSPARENT:
	case MODE_TUN:
	case MODE_WIREGUARD:
	case MODE_LOCAL:
		mode_tunnel_start(c);
		return;
	case MODE_REGULAR: /* HTTP/1, or cleartext h2 with prior knowledge */
		if (wk->opts.http2) {
			enter(c, &layer_h2_detect);
			conn_set_state(c, CS_CLIENT_HEAD);
			return;
		}
		enter_http(c);
		return;
	default:
		enter_http(c);
		return;
	}
}

/* The current layer ends before the connection does: its close op runs and
 * its state goes (the HTTP/2 layer after a refused h2c probe). */
static void leave(struct conn *c, const struct layer_ops *l)
{
	void **slot = layer_slot(c, l);

	if (l->close)
		l->close(c);
	if (l->state_size) {
		free(*slot);
		*slot = NULL;
	}
	c->layer = NULL;
}

static void h2_enter_h1(struct conn *c)
{
	enter(c, &layer_h2);
	h2_proxy_start_h1(c);
}

/* An HTTP/1 client in reverse http:// mode whose server may speak h2c
 * (http2_origin) and has not refused it lately (no_h2c.h): the HTTP/2
 * layer asks it with the preface before it reads the client's bytes
 * (h2p_probe), and hands them back (NL_H2C_REFUSED) if it does not. */
static bool h1_client_h2c_server(struct conn *c)
{
	const char *h;
	uint16_t p;

	if (!wk->opts.http2 || !wk->opts.http2_origin || c->kind != MODE_REVERSE || c->server_tls ||
	    !c->tunnel)
		return false;
	mode_server_address(c, c->host, c->port, &h, &p);
	return !no_h2c_has(h, p);
}

/* Plain text inside the tunnel: TLS to the server if its scheme says so,
 * then HTTP unless the mode or tcp_hosts want raw TCP. */
static void next_plain(struct conn *c, bool http)
{
	if (hosts_ignored(c->host, c->port)) {
		enter_relay(c, false);
		return;
	}
	if (!http && !c->force_raw) {
		enter_relay(c, true);
		return;
	}
	if (c->srv_tls == SRV_TLS_ALWAYS && c->server.fd >= 0 && c->server.ssl == NULL &&
	    conn_server_tls_begin(c) < 0) {
		conn_close(c);
		return;
	}
	c->server_tls = c->srv_tls == SRV_TLS_ALWAYS;
	if (c->force_raw || hosts_match(&wk->tcp_hosts, c->host, c->port))
		enter_relay(c, true);
	else if (h2_proxy_prior_knowledge(c))
		h2_enter(c);
	else if (h1_client_h2c_server(c))
		h2_enter_h1(c);
	else
		enter_http(c);
}

/* A reverse http:// or https:// server that speaks before its client (an
 * h2c server's SETTINGS) is still an HTTP server: the client's first bytes
 * decide, as the mode says, not a race with the server's. */
static bool next_server_first_waits(const struct conn *c)
{
	const struct scheme_info *s;

	if (c->kind != MODE_REVERSE || c->server.rd_eof)
		return false;
	s = modespec_scheme_of(&wk->modes[c->mode_index]);
	return !s->raw && !s->dns;
}

/* The tunnel starts with a valid ClientHello: pass ignored hosts through,
 * intercept the rest. */
static void next_tls_hello(struct conn *c)
{
	if (hosts_ignored(c->hello->sni[0] ? c->hello->sni : c->host, c->port) ||
	    hosts_ignored(c->host, c->port)) {
		enter_relay(c, false);
		return;
	}
	switch (hooks_tls_clienthello(c)) { /* a script may pass it through, or kill it */
	case HOOKS_TLS_IGNORE:
		enter_relay(c, false);
		return;
	case HOOKS_TLS_KILL:
		conn_close(c);
		return;
	default:
		break;
	}
	tunnel_intercept(c);
}

/* An HTTP/1 client whose server took h2 (http2_origin, eager: the server's
 * handshake came first): the HTTP/2 layer with an HTTP/1.1 framing facing
 * the client, so its requests are h2 streams of the one engine. */
static bool h1_client_h2_server(const struct conn *c)
{
	const unsigned char *p = NULL;
	unsigned n = 0;

	if (!wk->opts.http2 || !wk->opts.http2_origin || !c->tunnel || c->server.ssl == NULL ||
	    !c->server.tls_done)
		return false;
	SSL_get0_alpn_selected(c->server.ssl, &p, &n);
	return n == 2 && memcmp(p, "h2", 2) == 0;
}

/* Whether the client's TLS session with snare negotiated `proto`. */
static bool client_alpn_is(const struct conn *c, const char *proto)
{
	const unsigned char *p = NULL;
	unsigned n = 0;

	if (c->client.ssl)
		SSL_get0_alpn_selected(c->client.ssl, &p, &n);
	return n == strlen(proto) && memcmp(p, proto, n) == 0;
}

/* The client's handshake with snare is over: HTTP inside (HTTP/1 today;
 * the negotiated ALPN picks the framing once there are more), or raw TCP
 * for tcp_hosts and reverse tls://. */
static void next_client_tls_up(struct conn *c)
{
	if (c->proxy_tls && !c->tunnel) { /* the outer session to snare itself is up */
		enter_http(c);
		return;
	}
	c->tls = true;
	if (c->force_raw ||
	    hosts_match(&wk->tcp_hosts, c->hello->sni[0] ? c->hello->sni : c->host, c->port)) {
		enter_relay(c, true);
	} else if (client_alpn_is(c, "h2")) {
		h2_enter(c);
	} else if (h1_client_h2_server(c) || h1_client_h2c_server(c)) {
		h2_enter_h1(c);
	} else {
		enter_http(c);
	}
}

void next_layer(struct conn *c, enum nl_event ev)
{
	switch (ev) {
	case NL_START:
		next_start(c);
		break;
	case NL_TUNNEL:
		c->tunnel = true;
		enter(c, &layer_tunnel);
		conn_set_state(c, CS_TUNNEL_DETECT);
		break;
	case NL_TLS_HELLO:
		next_tls_hello(c);
		break;
	case NL_SERVER_FIRST:
		if (!next_server_first_waits(c))
			enter_relay(c, true);
		break;
	case NL_TLS_BAD:
	case NL_UPGRADE:
		enter_relay(c, true);
		break;
	case NL_PLAIN_HTTP:
	case NL_PLAIN_OTHER:
		next_plain(c, ev == NL_PLAIN_HTTP);
		break;
	case NL_CLIENT_TLS_UP:
		next_client_tls_up(c);
		break;
	case NL_CLIENT_H1:
		enter_http(c);
		break;
	case NL_CLIENT_H2:
		h2_enter(c);
		break;
	case NL_H2C_REFUSED:
		leave(c, &layer_h2);
		enter_http(c);
		break;
	case NL_SERVER_H2:
		leave(c, &layer_http);
		h2_enter_h1(c);
		break;
	case NL_PROXY_TLS:
		enter(c, &layer_tunnel);
		conn_set_state(c, CS_PROXY_HELLO);
		break;
	case NL_EVENT_COUNT:
		break;
	}
}

/* http/1.1 when the client offered it; also when it offered nothing (or we
 * are a reverse proxy) and the bytes will be parsed as HTTP.  A client that
 * offered only other protocols gets no ALPN towards the server. */
bool next_layer_alpn(const struct conn *c, const uint8_t **protos, size_t *len)
{
	static const uint8_t h11[] = "\x08http/1.1", both[] = "\x02h2\x08http/1.1";
	static const uint8_t h2[] = "\x02h2";
	bool has_h11 = false, has_h2 = false;
	size_t i;

	*protos = h11;
	*len = sizeof(h11) - 1;
	for (i = 0; c->hello && i < c->hello->nalpn; i++) {
		has_h11 |= strcmp(c->hello->alpn[i], "http/1.1") == 0;
		has_h2 |= strcmp(c->hello->alpn[i], "h2") == 0;
	}
	if (h2_proxy_prior_knowledge(c)) /* a cleartext h2 client: either, translated if need be */
		has_h2 = has_h11 = true;
	/* h2 before the client's handshake (eager): the client is then offered
	 * h2 only if the server took it (h2_proxy_server_ready); after it, when
	 * the HTTP/2 layer connects (lazy) and translates if the server takes
	 * http/1.1. */
	/* http2_origin: an HTTP/1.1 client's server may take h2 (the HTTP/2
	 * layer then runs with an HTTP/1.1 framing facing the client), unless
	 * it chose http/1.1 when asked first (http.c) */
	if (c->tunnel && !c->force_raw && (c->tls ? !c->h2 : !has_h2) &&
	    !(c->http && c->http->h1_only) &&
	    (has_h11 || c->hello == NULL || c->hello->nalpn == 0 || c->kind == MODE_REVERSE) &&
	    wk->opts.http2_origin && wk->opts.http2) {
		*protos = both;
		*len = sizeof(both) - 1;
		return true;
	}
	if (has_h2 && c->tunnel && (!c->tls || c->h2) && !c->force_raw && wk->opts.http2) {
		*protos = has_h11 ? both : h2;
		*len = has_h11 ? sizeof(both) - 1 : sizeof(h2) - 1;
		return true;
	}
	if (has_h11)
		return true;
	return (c->hello == NULL || c->hello->nalpn == 0 || c->kind == MODE_REVERSE) &&
	       !c->force_raw;
}

void layers_close(struct conn *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(layers); i++) {
		const struct layer_ops *l = layers[i];
		void **slot = layer_slot(c, l);

		if (l->state_size && *slot == NULL)
			continue;
		if (l->close)
			l->close(c);
		if (l->state_size) {
			free(*slot);
			*slot = NULL;
		}
	}
}

void layers_trim(struct conn *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(layers); i++)
		if (layers[i]->trim)
			layers[i]->trim(c);
}

bool layer_wait_over(const struct conn *c)
{
	return c->layer && c->layer->wait_over && c->layer->wait_over(c);
}
