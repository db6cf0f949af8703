/* Runs in a worker: what each mode says about a new client connection and
 * where its server connection goes: reverse has a fixed target from its spec
 * (snare-modes(7), reverse), transparent the original destination, the
 * packet modes the packet's; upstream sends every server connection through
 * the upstream proxy.  Which layer starts is next_layer()'s decision. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/h2_shared.h"
#include "worker/layer.h"
#include "worker/modes.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h; same value for IPv6 */
#endif

static void reverse_connected(struct conn *c, int err)
{
	if (conn_connect_failed(c, err)) {
		conn_close(c);
		return;
	}
	next_layer(c, NL_TUNNEL);
}

/* The tail every tunnelling start shares: connect now (eager) or when the
 * first bytes have been looked at (lazy).  A reverse proxy whose server has
 * an idle connection in the upstream pool (or the h2 pool) waits for the client's first
 * bytes, which say what to take (tunnel.c, http_exchange.c). */
static void tunnel_begin(struct conn *c)
{
	c->tunnel = true;
	if (c->kind == MODE_REVERSE && !c->force_raw &&
	    (upstream_pool_has(c->host, c->port, c->srv_tls == SRV_TLS_ALWAYS) ||
	     h2_shared_has(c->host, c->port, c->srv_tls == SRV_TLS_ALWAYS)))
		next_layer(c, NL_TUNNEL);
	else if (wk->opts.connection_strategy == STRATEGY_EAGER)
		conn_connect(c, c->host, c->port, reverse_connected);
	else
		next_layer(c, NL_TUNNEL);
}

static void reverse_start(struct conn *c, const struct mode_spec *m)
{
	const struct scheme_info *si = modespec_scheme_of(m);
	union sockaddr_any a;

	if (!si->reverse_ok || si->reverse_transports == MODE_TRANSPORT_UDP) {
		conn_close(c); /* the coordinator refuses the others; UDP ones bind no TCP */
		return;
	}
	conn_set_str(&c->host, m->server.host);
	c->port = m->server.port;
	c->srv_tls = si->server_tls ? SRV_TLS_ALWAYS : SRV_TLS_NEVER;
	c->force_raw = si->raw;
	conn_set_str(&c->tls_sni, addr_parse_ip(c->host, 0, &a) == 0 ? "" : c->host);
	tunnel_begin(c);
}

/* Transparent mode: the destination the kernel redirected us from
 * (SO_ORIGINAL_DST; IPv4 also for v4-mapped addresses on a dual-stack
 * listener). */
static int original_dst(struct conn *c, union sockaddr_any *dst)
{
	socklen_t len = sizeof(*dst);
	bool v4 = c->client.local.sa.sa_family == AF_INET ||
		  IN6_IS_ADDR_V4MAPPED(&c->client.local.in6.sin6_addr);

	memset(dst, 0, sizeof(*dst));
	if (getsockopt(c->client.fd, v4 ? SOL_IP : SOL_IPV6, SO_ORIGINAL_DST, dst, &len) < 0)
		return -errno;
	return 0;
}

/* Packet modes: the stack accepted a connection to any address; its
 * destination is the original one. */
static void packet_start(struct conn *c)
{
	char h[ADDR_STRLEN];

	conn_set_str(&c->host, addr_format_host(&c->client.local.sa, h, sizeof(h)));
	c->port = addr_port(&c->client.local.sa);
	tunnel_begin(c);
}

static void transparent_start(struct conn *c)
{
	union sockaddr_any dst;
	char h[ADDR_STRLEN];
	int err = original_dst(c, &dst);

	if (err < 0) {
		conn_client_log(c, LOG_LVL_WARN,
				"Transparent mode failure: cannot read the original "
				"destination (%s); is a REDIRECT rule in place?",
				strerror(-err));
		conn_close(c);
		return;
	}
	if (addr_equal(&dst.sa, &c->client.local.sa)) {
		conn_client_log(c, LOG_LVL_WARN,
				"Transparent mode failure: the connection was not "
				"redirected (it was made to snare itself)");
		conn_close(c);
		return;
	}
	conn_set_str(&c->host, addr_format_host(&dst.sa, h, sizeof(h)));
	c->port = addr_port(&dst.sa);
	tunnel_begin(c);
}

void mode_start(struct conn *c)
{
	const struct mode_spec *m = &wk->modes[c->mode_index];

	c->kind = m->kind;
	c->srv_tls = SRV_TLS_AUTO;
	c->via = m->kind == MODE_UPSTREAM;
}

void mode_tunnel_start(struct conn *c)
{
	switch (c->kind) {
	case MODE_REVERSE:
		reverse_start(c, &wk->modes[c->mode_index]);
		break;
	case MODE_TRANSPARENT:
		transparent_start(c);
		break;
	default: /* tun, wireguard, local */
		packet_start(c);
		break;
	}
}

void mode_server_address(struct conn *c, const char *host, uint16_t port, const char **h,
			 uint16_t *p)
{
	const struct mode_spec *m = &wk->modes[c->mode_index];

	if (c->via) {
		*h = m->server.host;
		*p = m->server.port;
	} else {
		*h = host;
		*p = port;
	}
}
