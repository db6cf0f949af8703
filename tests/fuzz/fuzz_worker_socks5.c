/* Fuzz target for the worker's SOCKS5 wire format (worker/socks5_wire.c). The input is fed to
 * every parser: greeting, RFC 1929 sub-negotiation, request and UDP ASSOCIATE header. Each must
 * give one stable verdict as bytes arrive (a prefix is "need more" or the same answer), and what
 * parses must encode back to the same bytes. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "worker/socks5_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX_MAX 300 /* inputs checked at every prefix length */

typedef ssize_t (*parse_fn)(const uint8_t *p, size_t n);

static ssize_t greeting_none(const uint8_t *p, size_t n)
{
	uint8_t m;
	ssize_t r = socks5_parse_greeting(p, n, SOCKS5_METHOD_NONE, &m);

	assert(m == SOCKS5_METHOD_NONE || m == SOCKS5_METHOD_REFUSED);
	assert(r == -EPROTO || r >= 0);
	if (m == SOCKS5_METHOD_NONE)
		assert(r >= 3); /* VER, NMETHODS and the method */
	return r;
}

static ssize_t greeting_userpass(const uint8_t *p, size_t n)
{
	uint8_t m;
	ssize_t r = socks5_parse_greeting(p, n, SOCKS5_METHOD_USERPASS, &m);

	assert(m == SOCKS5_METHOD_USERPASS || m == SOCKS5_METHOD_REFUSED);
	return r;
}

static ssize_t auth(const uint8_t *p, size_t n)
{
	struct socks5_auth a;
	char cred[2 * 255 + 2];
	ssize_t r = socks5_parse_auth(p, n, &a);
	int c;

	assert(r == -EPROTO || r >= 0);
	if (r <= 0)
		return r;
	assert((size_t)r == 3u + a.ulen + a.plen);
	c = socks5_auth_credentials(&a, cred, sizeof(cred));
	assert(c == 0 || c == -EINVAL);
	if (c == 0)
		assert(strlen(cred) == (size_t)a.ulen + a.plen + 1 && cred[a.ulen] == ':');
	return r;
}

/* An address parsed from p (ATYP...) must encode back to the same bytes. */
static void same_address(const struct socks5_addr *a, const uint8_t *p, size_t len)
{
	uint8_t out[SOCKS5_UDP_HEADER_MAX], reply[SOCKS5_REPLY_MAX];
	struct socks5_addr back;
	size_t n = socks5_build_udp_header(out, sizeof(out), a);

	assert(n == 3 + len && memcmp(out + 3, p, len) == 0);
	assert(socks5_parse_udp_header(out, n, &back) == (ssize_t)n);
	assert(back.atyp == a->atyp && back.port == a->port && strcmp(back.host, a->host) == 0);
	/* A name that parses is a host name: nothing a terminal would act on reaches the log. */
	for (const char *c = a->host; a->atyp == SOCKS5_ATYP_DOMAIN && *c; c++)
		assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:",
			      *c) != NULL);
	if (a->atyp != SOCKS5_ATYP_DOMAIN) {
		n = socks5_build_reply(reply, SOCKS5_REP_OK, &a->ip);
		assert(n == 3 + len && memcmp(reply + 3, p, len) == 0);
	}
}

static ssize_t request(const uint8_t *p, size_t n)
{
	struct socks5_request r;
	ssize_t used = socks5_parse_request(p, n, &r);

	if (used < 0) {
		assert(used == -EPROTO);
		assert(r.rep == SOCKS5_REP_FAILURE || r.rep == SOCKS5_REP_COMMAND ||
		       r.rep == SOCKS5_REP_ADDRESS);
		return used * 16 - r.rep; /* the reply code is part of the verdict */
	}
	if (used > 0) {
		assert(r.rep == SOCKS5_REP_OK);
		assert(r.cmd == SOCKS5_CMD_CONNECT || r.cmd == SOCKS5_CMD_UDP);
		same_address(&r.dst, p + 3, (size_t)used - 3);
	}
	return used;
}

static ssize_t udp_header(const uint8_t *p, size_t n)
{
	struct socks5_addr a;
	ssize_t h = socks5_parse_udp_header(p, n, &a);

	assert(h != 0);
	if (h > 0)
		same_address(&a, p + 3, (size_t)h - 3);
	else
		assert(h == -EMSGSIZE || h == -EPROTO || h == -EOPNOTSUPP || h == -EAFNOSUPPORT ||
		       h == -EINVAL);
	return h;
}

/* A verdict, once given, holds for every longer input (a datagram is
 * complete, so only its full length counts). */
static void stable(parse_fn fn, const uint8_t *p, size_t n)
{
	ssize_t first = 0, r;
	size_t m;

	if (n > PREFIX_MAX) {
		r = fn(p, n);
		assert(r <= (ssize_t)n);
		return;
	}
	for (m = 0; m <= n; m++) {
		r = fn(p, m);
		assert(r <= (ssize_t)m);
		if (first == 0)
			first = r;
		else
			assert(r == first);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stable(greeting_none, data, size);
	stable(greeting_userpass, data, size);
	stable(auth, data, size);
	stable(request, data, size);
	(void)udp_header(data, size);
	(void)socks5_looks_like_http(data, size);
	return 0;
}
