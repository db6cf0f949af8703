/* Runs in a worker: the SOCKS5 handshake (RFC 1928, user/password from
 * RFC 1929 when proxyauth is set).  Every byte comes from the client and is
 * bounds-checked; after a successful CONNECT the connection continues like a
 * CONNECT tunnel (TLS interception, HTTP, raw TCP). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "worker/http_int.h"

enum { SOCKS_GREETING, SOCKS_AUTH, SOCKS_REQUEST, SOCKS_CONNECTING, SOCKS_UDP };

enum {
	SOCKS_REP_OK = 0,
	SOCKS_REP_FAILURE = 1,
	SOCKS_REP_HOST_UNREACHABLE = 4,
	SOCKS_REP_REFUSED = 5,
	SOCKS_REP_COMMAND = 7,
	SOCKS_REP_ADDRESS = 8,
};

static void socks_reply(struct conn *c, int rep)
{
	uint8_t r[22] = {5, (uint8_t)rep, 0, 1};
	size_t n = 10;

	if (rep == SOCKS_REP_OK && c->server.local.sa.sa_family == AF_INET6) {
		r[3] = 4;
		memcpy(r + 4, &c->server.local.in6.sin6_addr, 16);
		memcpy(r + 20, &c->server.local.in6.sin6_port, 2);
		n = 22;
	} else if (rep == SOCKS_REP_OK && c->server.local.sa.sa_family == AF_INET) {
		memcpy(r + 4, &c->server.local.in4.sin_addr, 4);
		memcpy(r + 8, &c->server.local.in4.sin_port, 2);
	}
	if (buf_append(&c->client.out, r, n) < 0)
		conn_close(c);
}

static void socks_fail(struct conn *c, int rep)
{
	socks_reply(c, rep);
	if (c->freed)
		return;
	c->client.shut_req = true;
	conn_set_state(c, CS_CLOSING);
}

static void socks_greeting(struct conn *c, const uint8_t *p, size_t n, bool *progress)
{
	uint8_t want = wk->opts.proxyauth ? 2 : 0, rep[2] = {5, 0xff};
	size_t i;

	if (n < 2)
		return;
	if (p[0] != 5) {
		conn_client_log(c, LOG_LVL_INFO,
				"Probably not a SOCKS request but a regular HTTP request. Invalid "
				"SOCKS version. Expected 0x05, got 0x%02x",
				p[0]);
		conn_close(c);
		return;
	}
	if (n < 2u + p[1])
		return;
	*progress = true;
	for (i = 0; i < p[1]; i++)
		if (p[2 + i] == want)
			rep[1] = want;
	buf_consume(&c->client.in, 2u + p[1]);
	if (buf_append(&c->client.out, rep, 2) < 0 || rep[1] == 0xff) {
		conn_client_log(c, LOG_LVL_INFO, "SOCKS5: no acceptable authentication method");
		c->client.shut_req = true;
		conn_set_state(c, CS_CLOSING);
		return;
	}
	c->socks_state = want == 2 ? SOCKS_AUTH : SOCKS_REQUEST;
}

static void socks_auth(struct conn *c, const uint8_t *p, size_t n, bool *progress)
{
	char cred[520];
	const char *want = wk->opts.proxyauth;
	uint8_t ulen, plen, rep[2] = {1, 1};
	bool ok;

	if (n < 2 || n < 3u + p[1] || n < 3u + p[1] + p[2 + p[1]])
		return;
	*progress = true;
	ulen = p[1];
	plen = p[2 + ulen];
	snprintf(cred, sizeof(cred), "%.*s:%.*s", ulen, (const char *)p + 2, plen,
		 (const char *)p + 3 + ulen);
	ok = p[0] == 1 &&
	     (strcmp(want, "any") == 0 || (want[0] == '@' && htpasswd_check(cred)) ||
	      (strlen(cred) == strlen(want) && CRYPTO_memcmp(cred, want, strlen(want)) == 0));
	buf_consume(&c->client.in, 3u + ulen + plen);
	rep[1] = ok ? 0 : 1;
	if (buf_append(&c->client.out, rep, 2) < 0 || !ok) {
		conn_client_log(c, LOG_LVL_INFO, "SOCKS5 authentication failed");
		c->client.shut_req = true;
		conn_set_state(c, CS_CLOSING);
		return;
	}
	c->authed = true;
	c->socks_state = SOCKS_REQUEST;
}

static void socks_connected(struct conn *c, int err)
{
	if (err < 0) {
		conn_client_log(c, LOG_LVL_INFO, "error establishing server connection: %s",
				c->server.err);
		socks_fail(c, err == -ECONNREFUSED && strstr(c->server.err, "refused")
				  ? SOCKS_REP_REFUSED
				  : SOCKS_REP_HOST_UNREACHABLE);
		return;
	}
	socks_reply(c, SOCKS_REP_OK);
	c->tunnel = true;
	conn_set_state(c, CS_TUNNEL_DETECT);
}

/* Parses VER CMD RSV ATYP ADDR PORT; 0 when more bytes are needed. */
static size_t socks_parse_request(struct conn *c, const uint8_t *p, size_t n, int *rep)
{
	size_t need;

	if (n < 5)
		return 0;
	need = p[3] == 1 ? 10 : p[3] == 4 ? 22 : p[3] == 3 ? 7u + p[4] : 4;
	if (p[3] != 1 && p[3] != 3 && p[3] != 4) {
		*rep = SOCKS_REP_ADDRESS;
		return 4;
	}
	if (n < need)
		return 0;
	*rep = p[0] != 5		? SOCKS_REP_FAILURE
	       : p[1] != 1 && p[1] != 3 ? SOCKS_REP_COMMAND
					: SOCKS_REP_OK;
	if (p[3] == 1)
		inet_ntop(AF_INET, p + 4, c->host, sizeof(c->host));
	else if (p[3] == 4)
		inet_ntop(AF_INET6, p + 4, c->host, sizeof(c->host));
	else
		snprintf(c->host, sizeof(c->host), "%.*s", p[4], (const char *)p + 5);
	c->port = (uint16_t)(p[need - 2] << 8 | p[need - 1]);
	if (p[3] == 3 && (p[4] == 0 || memchr(p + 5, '\0', p[4])))
		*rep = SOCKS_REP_ADDRESS;
	return need;
}

static void socks_udp_associate(struct conn *c)
{
	union sockaddr_any bound;

	if (socks5_udp_start(c, &bound) < 0) {
		socks_fail(c, SOCKS_REP_FAILURE);
		return;
	}
	c->server.local = bound; /* socks_reply() reports it */
	socks_reply(c, SOCKS_REP_OK);
	c->socks_state = SOCKS_UDP;
	conn_client_log(c, LOG_LVL_INFO, "SOCKS5 UDP relay on port %u", addr_port(&bound.sa));
}

static void socks_request(struct conn *c, const uint8_t *p, size_t n, bool *progress)
{
	int rep = SOCKS_REP_OK;
	size_t used = socks_parse_request(c, p, n, &rep);

	if (used == 0)
		return;
	*progress = true;
	buf_consume(&c->client.in, used);
	if (rep != SOCKS_REP_OK) {
		conn_client_log(c, LOG_LVL_INFO, "SOCKS5 request refused (reply %d)", rep);
		socks_fail(c, rep);
		return;
	}
	if (p[1] == 3) { /* UDP ASSOCIATE: the relay lives as long as this connection */
		socks_udp_associate(c);
		return;
	}
	c->socks_state = SOCKS_CONNECTING;
	conn_connect(c, c->host, c->port, socks_connected);
}

void socks5_step(struct conn *c, bool *progress)
{
	const uint8_t *p = buf_ptr(&c->client.in);
	size_t n = buf_len(&c->client.in);

	if (n == 0) {
		if (c->client.rd_eof)
			conn_close(c);
		return;
	}
	switch (c->socks_state) {
	case SOCKS_GREETING:
		socks_greeting(c, p, n, progress);
		break;
	case SOCKS_AUTH:
		socks_auth(c, p, n, progress);
		break;
	case SOCKS_REQUEST:
		socks_request(c, p, n, progress);
		break;
	default:
		break;
	}
}
