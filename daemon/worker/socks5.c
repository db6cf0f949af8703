/* Runs in a worker: the SOCKS5 handshake (RFC 1928, user/password from
 * RFC 1929 when proxyauth is set).  Every byte comes from the client and is
 * parsed by socks5_wire.c; this file keeps the state and answers.  After a
 * successful CONNECT the connection continues like a CONNECT tunnel (TLS
 * interception, HTTP, raw TCP). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "worker/auth.h"
#include "worker/conn.h"
#include "worker/layer.h"
#include "worker/socks5.h"
#include "worker/socks5_wire.h"
#include "worker/worker_ctx.h"

enum { SOCKS_GREETING, SOCKS_AUTH, SOCKS_REQUEST, SOCKS_CONNECTING, SOCKS_UDP };

/* The SOCKS5 layer's state (c->socks), from the greeting to the close. */
struct socks_state {
	int step;	       /* SOCKS_* */
	struct socks_udp *udp; /* UDP ASSOCIATE relay, for the connection's life */
};

static void socks_reply(struct conn *c, uint8_t rep)
{
	uint8_t r[SOCKS5_REPLY_MAX];
	union sockaddr_any bnd = {0};
	size_t n;

	memcpy(&bnd, &c->server.local, sizeof(c->server.local));
	n = socks5_build_reply(r, rep, rep == SOCKS5_REP_OK ? &bnd : NULL);

	if (buf_append(&c->client.out, r, n) < 0)
		conn_close(c);
}

/* Queues an answer (if any), then closes once it is flushed. */
static void socks_close_after(struct conn *c, const uint8_t *answer, size_t n)
{
	if (n > 0 && buf_append(&c->client.out, answer, n) < 0) {
		conn_close(c);
		return;
	}
	c->client.shut_req = true;
	conn_set_state(c, CS_CLOSING);
}

static void socks_fail(struct conn *c, uint8_t rep)
{
	uint8_t r[SOCKS5_REPLY_MAX];

	socks_close_after(c, r, socks5_build_reply(r, rep, NULL));
}

static void socks_greeting(struct conn *c, const uint8_t *p, size_t n, bool *progress)
{
	uint8_t want = wk->opts.proxyauth ? SOCKS5_METHOD_USERPASS : SOCKS5_METHOD_NONE;
	uint8_t rep[2] = {SOCKS5_VERSION, SOCKS5_METHOD_REFUSED};
	ssize_t used = socks5_parse_greeting(p, n, want, &rep[1]);

	if (used == -EPROTO) {
		conn_client_log(c, LOG_LVL_INFO,
				"%sInvalid SOCKS version. Expected 0x05, got 0x%02x",
				socks5_looks_like_http(p, n) ? "Probably not a SOCKS request but a "
							       "regular HTTP request. "
							     : "",
				p[0]);
		conn_close(c);
		return;
	}
	if (used == SOCKS5_NEED_MORE)
		return;
	*progress = true;
	buf_consume(&c->client.in, (size_t)used);
	if (rep[1] == SOCKS5_METHOD_REFUSED) {
		conn_client_log(c, LOG_LVL_INFO,
				"Client does not support SOCKS5 with %s authentication.",
				want == SOCKS5_METHOD_USERPASS ? "user/password" : "no");
		socks_close_after(c, rep, sizeof(rep));
		return;
	}
	if (buf_append(&c->client.out, rep, sizeof(rep)) < 0) {
		conn_close(c);
		return;
	}
	c->socks->step = want == SOCKS5_METHOD_USERPASS ? SOCKS_AUTH : SOCKS_REQUEST;
}

/* proxyauth: "any", "@htpasswd" or "user:pass". */
static bool socks_auth_ok(struct conn *c, const struct socks5_auth *a)
{
	char cred[2 * 255 + 2];
	bool ok;

	if (socks5_auth_credentials(a, cred, sizeof(cred)) < 0)
		return false;
	ok = auth_credentials_ok(c, cred); /* auth.c: cache and per-source limit */
	OPENSSL_cleanse(cred, sizeof(cred));
	return ok;
}

static void socks_auth(struct conn *c, const uint8_t *p, size_t n, bool *progress)
{
	struct socks5_auth a;
	ssize_t used = socks5_parse_auth(p, n, &a);
	uint8_t rep[2] = {SOCKS5_AUTH_VERSION, 1};

	if (used == SOCKS5_NEED_MORE)
		return;
	*progress = true;
	if (used < 0 || !socks_auth_ok(c, &a)) {
		conn_client_log(c, LOG_LVL_INFO, "SOCKS5 authentication failed");
		socks_close_after(c, rep, sizeof(rep));
		return;
	}
	buf_consume(&c->client.in, (size_t)used);
	rep[1] = 0;
	if (buf_append(&c->client.out, rep, sizeof(rep)) < 0) {
		conn_close(c);
		return;
	}
	c->authed = true;
	c->socks->step = SOCKS_REQUEST;
}

static void socks_connected(struct conn *c, int err)
{
	if (conn_connect_failed(c, err)) {
		socks_fail(c, err == -ECONNREFUSED && strstr(c->server.err, "refused")
				  ? SOCKS5_REP_REFUSED
				  : SOCKS5_REP_HOST_UNREACHABLE);
		return;
	}
	socks_reply(c, SOCKS5_REP_OK);
	next_layer(c, NL_TUNNEL);
}

static void socks_udp_associate(struct conn *c)
{
	union sockaddr_any bound;

	if (socks5_udp_start(c, &bound, &c->socks->udp) < 0) {
		socks_fail(c, SOCKS5_REP_FAILURE);
		return;
	}
	stream_addr_set(&c->server.local, &bound.sa); /* socks_reply() reports it */
	socks_reply(c, SOCKS5_REP_OK);
	c->socks->step = SOCKS_UDP;
	conn_client_log(c, LOG_LVL_INFO, "SOCKS5 UDP relay on port %u", addr_port(&bound.sa));
}

static void socks_refuse(struct conn *c, const struct socks5_request *r)
{
	if (r->rep == SOCKS5_REP_COMMAND)
		conn_client_log(c, LOG_LVL_INFO, "Unsupported SOCKS5 request: command %u", r->cmd);
	else if (r->rep == SOCKS5_REP_ADDRESS)
		conn_client_log(c, LOG_LVL_INFO, "Unknown address type: %u", r->dst.atyp);
	else if (r->dst.atyp == SOCKS5_ATYP_DOMAIN)
		conn_client_log(c, LOG_LVL_INFO,
				"Malformed SOCKS5 request: the destination is not a host name");
	else
		conn_client_log(c, LOG_LVL_INFO, "Malformed SOCKS5 request");
	socks_fail(c, r->rep);
}

static void socks_request(struct conn *c, const uint8_t *p, size_t n, bool *progress)
{
	struct socks5_request r;
	ssize_t used = socks5_parse_request(p, n, &r);

	if (used == SOCKS5_NEED_MORE)
		return;
	*progress = true;
	if (used < 0) {
		socks_refuse(c, &r);
		return;
	}
	buf_consume(&c->client.in, (size_t)used); /* p is stale from here on */
	conn_set_str(&c->host, r.dst.host);
	c->port = r.dst.port;
	if (r.cmd == SOCKS5_CMD_UDP) { /* the relay lives as long as this connection */
		socks_udp_associate(c);
		return;
	}
	c->socks->step = SOCKS_CONNECTING;
	conn_connect(c, c->host, c->port, socks_connected);
}

static void socks5_step(struct conn *c, bool *progress)
{
	const uint8_t *p = buf_ptr(&c->client.in);
	size_t n = buf_len(&c->client.in);
	bool moved = false;

	if (n > 0 && c->socks->step == SOCKS_GREETING)
		socks_greeting(c, p, n, &moved);
	else if (n > 0 && c->socks->step == SOCKS_AUTH)
		socks_auth(c, p, n, &moved);
	else if (n > 0 && c->socks->step == SOCKS_REQUEST)
		socks_request(c, p, n, &moved);
	if (moved)
		*progress = true;
	else if (!c->freed && c->client.rd_eof)
		conn_close(c); /* the client is gone, or its message can never complete */
}

void socks5_start(struct conn *c)
{
	c->socks->step = SOCKS_GREETING;
	conn_set_state(c, CS_SOCKS);
}

static void socks5_close(struct conn *c)
{
	socks5_udp_free(c->socks->udp);
}

/* A connection holding a UDP association stays in CS_SOCKS: its handshake
 * is complete all the same. */
static bool socks5_wait_over(const struct conn *c)
{
	return c->socks && c->socks->udp;
}

const struct layer_ops layer_socks5 = {
    .name = "socks5",
    .step = socks5_step,
    .close = socks5_close,
    .wait_over = socks5_wait_over,
    LAYER_STATE(socks),
};
