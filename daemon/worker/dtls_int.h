/* Worker-private DTLS helpers shared by the reverse udp:// and dtls://
 * relay (dtls_reverse.c).  Runs in a worker; trusts nothing a client sends. */
#ifndef SNARE_WORKER_DTLS_INT_H
#define SNARE_WORKER_DTLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "core/addr.h"

/* ---- dtls_cookie.c: stateless HelloVerifyRequest cookies ---- */
#define DTLS_COOKIE_LEN 32	/* HMAC-SHA256 */
#define DTLS_COOKIE_PERIOD_S 60 /* a cookie is good for one to two periods */

/* Draws the per-worker cookie secret; call before the sandbox.  0 or -EIO.
 * Until it succeeds no cookie is made and none is accepted, so no client
 * gets past the HelloVerifyRequest (a zero key would make cookies forgeable). */
int dtls_cookie_prepare(void);
/* a's cookie for period (time / DTLS_COOKIE_PERIOD_S).  0, -EAGAIN before
 * dtls_cookie_prepare, -EAFNOSUPPORT when a is not IPv4 or IPv6, or -EIO. */
int dtls_cookie_make(const union sockaddr_any *a, uint64_t period, uint8_t out[DTLS_COOKIE_LEN]);
/* Whether cookie is a's cookie for period now or now - 1; false before
 * dtls_cookie_prepare. */
bool dtls_cookie_check(const union sockaddr_any *a, uint64_t now, const uint8_t *cookie,
		       size_t len);
/* Makes ctx issue and check cookies (the two above, for the current period).
 * Every SSL from it must carry its client's address (const union
 * sockaddr_any *) as SSL_set_app_data; without one, no cookie is made. */
void dtls_cookie_install(SSL_CTX *ctx);

/* ---- address bytes, shared by the cookie and the BIO peer address ---- */

/* The raw address of a (IPv6 when AF_INET6, else IPv4) and its length. */
static inline const void *dtls_addr_raw(const union sockaddr_any *a, size_t *len)
{
	if (a->sa.sa_family == AF_INET6) {
		*len = sizeof(a->in6.sin6_addr);
		return &a->in6.sin6_addr;
	}
	*len = sizeof(a->in4.sin_addr);
	return &a->in4.sin_addr;
}

/* a's port in network byte order. */
static inline uint16_t dtls_addr_port(const union sockaddr_any *a)
{
	return a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in4.sin_port;
}

#endif
