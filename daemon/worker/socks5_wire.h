/* SOCKS5 on the wire (RFC 1928, user/password from RFC 1929): parsers and
 * builders with no connection state and no I/O, used by socks5.c and
 * socks5_udp.c in a worker.  Every input byte is untrusted client data;
 * the unit test and the fuzz target drive these functions directly. */
#ifndef SNARE_WORKER_SOCKS5_WIRE_H
#define SNARE_WORKER_SOCKS5_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/addr.h"

#define SOCKS5_VERSION 5
#define SOCKS5_AUTH_VERSION 1 /* RFC 1929 sub-negotiation */

/* What the parsers return: > 0 bytes consumed, SOCKS5_NEED_MORE when the
 * input is a valid prefix, or a negative errno-style code. */
#define SOCKS5_NEED_MORE 0

#define SOCKS5_ADDR_MAX (1 + 1 + 255 + 2)	    /* ATYP, length, name, port */
#define SOCKS5_UDP_HEADER_MAX (3 + SOCKS5_ADDR_MAX) /* RSV RSV FRAG + address */
#define SOCKS5_REPLY_MAX 22			    /* VER REP RSV + an IPv6 address */

enum socks5_method {
	SOCKS5_METHOD_NONE = 0x00,
	SOCKS5_METHOD_USERPASS = 0x02,
	SOCKS5_METHOD_REFUSED = 0xff,
};

enum socks5_cmd { SOCKS5_CMD_CONNECT = 1, SOCKS5_CMD_BIND = 2, SOCKS5_CMD_UDP = 3 };

enum socks5_atyp { SOCKS5_ATYP_IPV4 = 1, SOCKS5_ATYP_DOMAIN = 3, SOCKS5_ATYP_IPV6 = 4 };

enum socks5_rep {
	SOCKS5_REP_OK = 0,
	SOCKS5_REP_FAILURE = 1, /* also: a malformed request */
	SOCKS5_REP_HOST_UNREACHABLE = 4,
	SOCKS5_REP_REFUSED = 5,
	SOCKS5_REP_COMMAND = 7,
	SOCKS5_REP_ADDRESS = 8,
};

/* A destination as the client wrote it. */
struct socks5_addr {
	uint8_t atyp;
	uint16_t port;
	char host[256];	       /* the IP as text, or the name (1..255 host-name bytes) */
	union sockaddr_any ip; /* ATYP 1 and 4, with the port; AF_UNSPEC for names */
};

/* VER NMETHODS METHODS: *method is want when it is offered, else 0xff.
 * -EPROTO when VER is not 5 (mitmproxy sends nothing and closes). */
ssize_t socks5_parse_greeting(const uint8_t *p, size_t n, uint8_t want, uint8_t *method);
/* mitmproxy's hint for a bad version: the first (up to) 3 bytes hold an
 * upper-case letter and no lower-case one ("GET", "CON"...). */
bool socks5_looks_like_http(const uint8_t *p, size_t n);

struct socks5_auth {
	const uint8_t *user, *pass; /* point into the parsed input */
	uint8_t ulen, plen;
};

/* RFC 1929 VER ULEN UNAME PLEN PASSWD.  -EPROTO when VER is not 1 (the
 * answer is then 01 01, as for a wrong password). */
ssize_t socks5_parse_auth(const uint8_t *p, size_t n, struct socks5_auth *a);
/* "user:pass" into out.  -EINVAL when either contains a NUL byte (it would
 * cut the string short), -ENOSPC when out is too small. */
int socks5_auth_credentials(const struct socks5_auth *a, char *out, size_t len);

struct socks5_request {
	uint8_t cmd;
	struct socks5_addr dst;
	uint8_t rep; /* what to answer on error */
};

/* VER CMD RSV ATYP DST.ADDR DST.PORT.  On -EPROTO r->rep is the reply code:
 * 07 for a command other than CONNECT and UDP ASSOCIATE or a wrong VER or
 * RSV (as mitmproxy), 08 for an unknown address type, 01 (general failure)
 * for a name that is empty or holds a byte outside the host-name set
 * (letters, digits, '-', '.', '_', ':'): the name type is supported, so 08
 * would be wrong, and RFC 1928 has no code for a malformed address.  Header
 * errors are reported once 4 bytes are there. */
ssize_t socks5_parse_request(const uint8_t *p, size_t n, struct socks5_request *r);

/* One UDP ASSOCIATE datagram's header RSV RSV FRAG ATYP DST.ADDR DST.PORT;
 * returns its length (never SOCKS5_NEED_MORE: a datagram is complete).
 * -EMSGSIZE truncated, -EPROTO RSV not 0, -EOPNOTSUPP a fragment (FRAG not
 * 0: dropped, RFC 1928 makes reassembly optional), -EAFNOSUPPORT unknown
 * ATYP, -EINVAL an empty name or one with a byte outside the host-name set. */
ssize_t socks5_parse_udp_header(const uint8_t *p, size_t n, struct socks5_addr *dst);

/* Fills a from a socket address (IPv4, IPv6; v4-mapped stays IPv6).
 * -EAFNOSUPPORT for other families. */
int socks5_addr_from_sockaddr(struct socks5_addr *a, const union sockaddr_any *sa);
/* Fills a with a domain name (1..255 bytes).  -EINVAL otherwise. */
int socks5_addr_from_name(struct socks5_addr *a, const char *name, uint16_t port);

/* VER REP RSV + BND (0.0.0.0:0 when bnd is NULL or neither IPv4 nor
 * IPv6).  Returns the length (10 or 22). */
size_t socks5_build_reply(uint8_t out[SOCKS5_REPLY_MAX], uint8_t rep,
			  const union sockaddr_any *bnd);
/* RSV RSV FRAG=0 + a's address.  Returns the length, or 0 when a is not
 * encodable or cap is too small. */
size_t socks5_build_udp_header(uint8_t *out, size_t cap, const struct socks5_addr *a);

#endif
