/* Runs in a worker (and in its unit test and fuzz target): the SOCKS5 wire
 * format, RFC 1928 and RFC 1929.  Pure functions over untrusted bytes: no
 * connection, no I/O, no allocation; every read is checked against n. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "worker/socks5_wire.h"

ssize_t socks5_parse_greeting(const uint8_t *p, size_t n, uint8_t want, uint8_t *method)
{
	size_t i;

	*method = SOCKS5_METHOD_REFUSED;
	if (n < 1)
		return SOCKS5_NEED_MORE;
	if (p[0] != SOCKS5_VERSION)
		return -EPROTO;
	if (n < 2 || n < 2u + p[1])
		return SOCKS5_NEED_MORE;
	for (i = 0; i < p[1]; i++)
		if (p[2 + i] == want)
			*method = want;
	return 2 + (ssize_t)p[1];
}

bool socks5_looks_like_http(const uint8_t *p, size_t n)
{
	bool upper = false;
	size_t i;

	for (i = 0; i < n && i < 3; i++) {
		if (p[i] >= 'a' && p[i] <= 'z')
			return false;
		upper |= p[i] >= 'A' && p[i] <= 'Z';
	}
	return upper;
}

ssize_t socks5_parse_auth(const uint8_t *p, size_t n, struct socks5_auth *a)
{
	size_t ulen, plen;

	memset(a, 0, sizeof(*a));
	if (n < 1)
		return SOCKS5_NEED_MORE;
	if (p[0] != SOCKS5_AUTH_VERSION)
		return -EPROTO;
	if (n < 2)
		return SOCKS5_NEED_MORE;
	ulen = p[1];
	if (n < 3 + ulen)
		return SOCKS5_NEED_MORE;
	plen = p[2 + ulen];
	if (n < 3 + ulen + plen)
		return SOCKS5_NEED_MORE;
	a->user = p + 2;
	a->ulen = (uint8_t)ulen;
	a->pass = p + 3 + ulen;
	a->plen = (uint8_t)plen;
	return (ssize_t)(3 + ulen + plen);
}

int socks5_auth_credentials(const struct socks5_auth *a, char *out, size_t len)
{
	if ((a->ulen && memchr(a->user, '\0', a->ulen)) ||
	    (a->plen && memchr(a->pass, '\0', a->plen)))
		return -EINVAL;
	if (len < (size_t)a->ulen + a->plen + 2)
		return -ENOSPC;
	snprintf(out, len, "%.*s:%.*s", a->ulen, a->ulen ? (const char *)a->user : "", a->plen,
		 a->plen ? (const char *)a->pass : "");
	return 0;
}

/* The IP of an ATYP 1 or 4 address at p (port already in a->port). */
static void wire_ip(const uint8_t *p, struct socks5_addr *a)
{
	if (a->atyp == SOCKS5_ATYP_IPV4) {
		a->ip.in4.sin_family = AF_INET;
		memcpy(&a->ip.in4.sin_addr, p, 4);
		a->ip.in4.sin_port = htons(a->port);
		inet_ntop(AF_INET, p, a->host, sizeof(a->host));
	} else {
		a->ip.in6.sin6_family = AF_INET6;
		memcpy(&a->ip.in6.sin6_addr, p, 16);
		a->ip.in6.sin6_port = htons(a->port);
		inet_ntop(AF_INET6, p, a->host, sizeof(a->host));
	}
}

/* A byte of a host name as clients send them (RFC 952/1123 letters, digits,
 * '-' and '.', plus '_' found in real names and ':' for IPv6 literals some
 * clients send as names).  Anything else (controls, spaces, '%', UTF-8:
 * IDNs go as punycode) is not a name to connect to, and would end up in the
 * log and the flow. */
static bool host_name_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '-' ||
	       c == '.' || c == '_' || c == ':';
}

/* ATYP ADDR PORT: its length, SOCKS5_NEED_MORE, -EAFNOSUPPORT (unknown
 * ATYP) or -EINVAL (an empty name, a byte outside host_name_char). */
static ssize_t wire_addr(const uint8_t *p, size_t n, struct socks5_addr *a)
{
	size_t len;

	memset(a, 0, sizeof(*a));
	if (n < 1)
		return SOCKS5_NEED_MORE;
	a->atyp = p[0];
	if (p[0] == SOCKS5_ATYP_IPV4) {
		len = 1 + 4 + 2;
	} else if (p[0] == SOCKS5_ATYP_IPV6) {
		len = 1 + 16 + 2;
	} else if (p[0] == SOCKS5_ATYP_DOMAIN) {
		if (n < 2)
			return SOCKS5_NEED_MORE;
		if (p[1] == 0)
			return -EINVAL;
		len = 2 + (size_t)p[1] + 2;
	} else {
		return -EAFNOSUPPORT;
	}
	if (n < len)
		return SOCKS5_NEED_MORE;
	a->port = (uint16_t)(p[len - 2] << 8 | p[len - 1]);
	if (p[0] != SOCKS5_ATYP_DOMAIN) {
		wire_ip(p + 1, a);
		return (ssize_t)len;
	}
	for (size_t i = 0; i < p[1]; i++)
		if (!host_name_char(p[2 + i]))
			return -EINVAL;
	memcpy(a->host, p + 2, p[1]);
	a->host[p[1]] = '\0';
	return (ssize_t)len;
}

ssize_t socks5_parse_request(const uint8_t *p, size_t n, struct socks5_request *r)
{
	ssize_t len;

	memset(r, 0, sizeof(*r));
	r->rep = SOCKS5_REP_FAILURE;
	if (n < 4)
		return SOCKS5_NEED_MORE;
	r->cmd = p[1];
	/* mitmproxy answers anything but "05 01 00" with 07, a wrong VER or RSV included. */
	if (p[0] != SOCKS5_VERSION || p[2] != 0 ||
	    (p[1] != SOCKS5_CMD_CONNECT && p[1] != SOCKS5_CMD_UDP)) {
		r->rep = SOCKS5_REP_COMMAND;
		return -EPROTO;
	}
	len = wire_addr(p + 3, n - 3, &r->dst);
	if (len == SOCKS5_NEED_MORE)
		return SOCKS5_NEED_MORE;
	if (len < 0) {
		r->rep = len == -EAFNOSUPPORT ? SOCKS5_REP_ADDRESS : SOCKS5_REP_FAILURE;
		return -EPROTO;
	}
	r->rep = SOCKS5_REP_OK;
	return 3 + len;
}

ssize_t socks5_parse_udp_header(const uint8_t *p, size_t n, struct socks5_addr *dst)
{
	ssize_t len;

	memset(dst, 0, sizeof(*dst));
	if (n < 4)
		return -EMSGSIZE;
	if (p[0] != 0 || p[1] != 0)
		return -EPROTO;
	if (p[2] != 0)
		return -EOPNOTSUPP;
	len = wire_addr(p + 3, n - 3, dst);
	if (len == SOCKS5_NEED_MORE)
		return -EMSGSIZE;
	return len < 0 ? len : 3 + len;
}

int socks5_addr_from_sockaddr(struct socks5_addr *a, const union sockaddr_any *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa.sa_family == AF_INET) {
		a->atyp = SOCKS5_ATYP_IPV4;
		a->port = ntohs(sa->in4.sin_port);
		wire_ip((const uint8_t *)&sa->in4.sin_addr, a);
		return 0;
	}
	if (sa->sa.sa_family == AF_INET6) {
		a->atyp = SOCKS5_ATYP_IPV6;
		a->port = ntohs(sa->in6.sin6_port);
		wire_ip((const uint8_t *)&sa->in6.sin6_addr, a);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int socks5_addr_from_name(struct socks5_addr *a, const char *name, uint16_t port)
{
	size_t len = strnlen(name, sizeof(a->host));

	memset(a, 0, sizeof(*a));
	if (len == 0 || len >= sizeof(a->host))
		return -EINVAL;
	a->atyp = SOCKS5_ATYP_DOMAIN;
	a->port = port;
	memcpy(a->host, name, len + 1);
	return 0;
}

/* ATYP ADDR PORT into out: its length, or 0 when it does not fit. */
static size_t wire_put_addr(uint8_t *out, size_t cap, const struct socks5_addr *a)
{
	size_t alen, hlen = 0;
	const void *src;

	if (a->atyp == SOCKS5_ATYP_IPV4 && a->ip.sa.sa_family == AF_INET) {
		alen = 4, src = &a->ip.in4.sin_addr;
	} else if (a->atyp == SOCKS5_ATYP_IPV6 && a->ip.sa.sa_family == AF_INET6) {
		alen = 16, src = &a->ip.in6.sin6_addr;
	} else if (a->atyp == SOCKS5_ATYP_DOMAIN) {
		alen = strnlen(a->host, sizeof(a->host));
		src = a->host, hlen = 1;
		if (alen == 0 || alen > 255)
			return 0;
	} else {
		return 0;
	}
	if (cap < 1 + hlen + alen + 2)
		return 0;
	out[0] = a->atyp;
	if (hlen)
		out[1] = (uint8_t)alen;
	memcpy(out + 1 + hlen, src, alen);
	out[1 + hlen + alen] = (uint8_t)(a->port >> 8);
	out[2 + hlen + alen] = (uint8_t)a->port;
	return 1 + hlen + alen + 2;
}

size_t socks5_build_reply(uint8_t out[SOCKS5_REPLY_MAX], uint8_t rep, const union sockaddr_any *bnd)
{
	struct socks5_addr a;

	out[0] = SOCKS5_VERSION;
	out[1] = rep;
	out[2] = 0;
	if (bnd == NULL || socks5_addr_from_sockaddr(&a, bnd) < 0) {
		memset(&a, 0, sizeof(a));
		a.atyp = SOCKS5_ATYP_IPV4;
		a.ip.in4.sin_family = AF_INET;
	}
	return 3 + wire_put_addr(out + 3, SOCKS5_REPLY_MAX - 3, &a);
}

size_t socks5_build_udp_header(uint8_t *out, size_t cap, const struct socks5_addr *a)
{
	size_t len;

	if (cap < 3)
		return 0;
	len = wire_put_addr(out + 3, cap - 3, a);
	if (len == 0)
		return 0;
	memset(out, 0, 3);
	return 3 + len;
}
