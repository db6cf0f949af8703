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
#include "worker/wk.h"

#define COOKIE_LEN 32	   /* SHA-256 */
#define COOKIE_PERIOD_S 60 /* a cookie is good for one to two periods */

static uint8_t cookie_secret[32];

int dtls_cookie_prepare(void)
{
	return RAND_bytes(cookie_secret, sizeof(cookie_secret)) == 1 ? 0 : -EIO;
}

/* The cookie of address a in period; false when it cannot be made. */
static bool cookie_make(const union sockaddr_any *a, uint64_t period, uint8_t out[COOKIE_LEN])
{
	uint8_t msg[8 + ADDR_STRLEN];
	unsigned len = 0;
	int i;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(period >> (56 - 8 * i));
	addr_format(&a->sa, (char *)msg + 8, ADDR_STRLEN);
	return HMAC(EVP_sha256(), cookie_secret, sizeof(cookie_secret), msg,
		    8 + strlen((char *)msg + 8), out, &len) != NULL &&
	       len == COOKIE_LEN;
}

static uint64_t cookie_period(void)
{
	return (uint64_t)time(NULL) / COOKIE_PERIOD_S;
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	const union sockaddr_any *a = SSL_get_app_data(ssl);

	if (a == NULL || !cookie_make(a, cookie_period(), cookie))
		return 0;
	*len = COOKIE_LEN;
	return 1;
}

/* Accepts this period's cookie and the last one's. */
static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	const union sockaddr_any *a = SSL_get_app_data(ssl);
	uint64_t now = cookie_period();
	uint8_t want[COOKIE_LEN];
	uint64_t back;

	if (a == NULL || len != COOKIE_LEN)
		return 0;
	for (back = 0; back < 2; back++)
		if (cookie_make(a, now - back, want) && CRYPTO_memcmp(want, cookie, len) == 0)
			return 1;
	return 0;
}

void dtls_cookie_install(SSL_CTX *ctx)
{
	SSL_CTX_set_cookie_generate_cb(ctx, cookie_generate);
	SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
}
