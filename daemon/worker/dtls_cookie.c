/* Runs in a worker: the cookies of DTLS HelloVerifyRequests (RFC 6347
 * 4.2.1) for the client sides snare serves.  A cookie is an HMAC-SHA256 over
 * the client's address and the current minute, keyed with a secret drawn per
 * worker at start-up, so a spoofed source never gets further than one small
 * HelloVerifyRequest.  Trusts nothing but its own secret. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "worker/dtls_int.h"

/* period (8) | family (1) | port (2) | address (4 or 16) | IPv6 scope (4) */
#define COOKIE_MSG_MAX (8 + 1 + 2 + 16 + 4)

static uint8_t cookie_secret[32];
static bool cookie_ready;

int dtls_cookie_prepare(void)
{
	if (RAND_bytes(cookie_secret, sizeof(cookie_secret)) != 1)
		return -EIO;
	cookie_ready = true;
	return 0;
}

/* What the HMAC covers; its length, or 0 for an address that is not IP. */
static size_t cookie_msg(const union sockaddr_any *a, uint64_t period, uint8_t msg[COOKIE_MSG_MAX])
{
	uint16_t port = dtls_addr_port(a);
	const void *raw;
	size_t n = 0, rawlen;
	int i;

	if (a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6)
		return 0;
	for (i = 0; i < 8; i++)
		msg[n++] = (uint8_t)(period >> (56 - 8 * i));
	msg[n++] = a->sa.sa_family == AF_INET6 ? 6 : 4;
	memcpy(msg + n, &port, sizeof(port));
	n += sizeof(port);
	raw = dtls_addr_raw(a, &rawlen);
	memcpy(msg + n, raw, rawlen);
	n += rawlen;
	if (a->sa.sa_family == AF_INET6) {
		memcpy(msg + n, &a->in6.sin6_scope_id, sizeof(a->in6.sin6_scope_id));
		n += sizeof(a->in6.sin6_scope_id);
	}
	return n;
}

int dtls_cookie_make(const union sockaddr_any *a, uint64_t period, uint8_t out[DTLS_COOKIE_LEN])
{
	uint8_t msg[COOKIE_MSG_MAX];
	unsigned len = 0;
	size_t n;

	if (!cookie_ready)
		return -EAGAIN;
	if ((n = cookie_msg(a, period, msg)) == 0)
		return -EAFNOSUPPORT;
	if (HMAC(EVP_sha256(), cookie_secret, sizeof(cookie_secret), msg, n, out, &len) == NULL ||
	    len != DTLS_COOKIE_LEN)
		return -EIO;
	return 0;
}

bool dtls_cookie_check(const union sockaddr_any *a, uint64_t now, const uint8_t *cookie, size_t len)
{
	uint8_t want[DTLS_COOKIE_LEN];
	uint64_t back;

	if (len != DTLS_COOKIE_LEN)
		return false;
	for (back = 0; back < 2; back++)
		if (dtls_cookie_make(a, now - back, want) == 0 &&
		    CRYPTO_memcmp(want, cookie, len) == 0)
			return true;
	return false;
}

static uint64_t cookie_period(void)
{
	return (uint64_t)time(NULL) / DTLS_COOKIE_PERIOD_S;
}

/* ---- the SSL_CTX callbacks: the client's address is the SSL's app data ---- */

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	const union sockaddr_any *a = SSL_get_app_data(ssl);

	if (a == NULL || dtls_cookie_make(a, cookie_period(), cookie) < 0)
		return 0;
	*len = DTLS_COOKIE_LEN;
	return 1;
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	const union sockaddr_any *a = SSL_get_app_data(ssl);

	return a != NULL && dtls_cookie_check(a, cookie_period(), cookie, len);
}

void dtls_cookie_install(SSL_CTX *ctx)
{
	SSL_CTX_set_cookie_generate_cb(ctx, cookie_generate);
	SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
}
