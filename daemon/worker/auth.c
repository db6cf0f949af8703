/* Runs in a worker: proxy authentication (proxyauth "user:pass" or "any")
 * with Basic credentials from Proxy-Authorization.  A failure answers 407;
 * valid credentials are never forwarded (http_exchange.c strips them). */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "worker/http_int.h"

/* Decodes the "Basic <b64>" value into out; false when malformed. */
static bool auth_decode(struct http1_str v, char *out, size_t len)
{
	unsigned char dec[512];
	int n;

	if (v.n < 7 || strncasecmp(v.p, "Basic ", 6) != 0 || v.n - 6 > 600)
		return false;
	n = EVP_DecodeBlock(dec, (const unsigned char *)v.p + 6, (int)(v.n - 6));
	if (n < 0)
		return false;
	if (v.p[v.n - 1] == '=') /* padding decodes to zero bytes */
		n -= v.p[v.n - 2] == '=' ? 2 : 1;
	if (n < 0)
		return false;
	if ((size_t)n >= len || memchr(dec, '\0', (size_t)n))
		return false;
	memcpy(out, dec, (size_t)n);
	out[n] = '\0';
	return strchr(out, ':') != NULL;
}

bool auth_check(struct conn *c, const struct http1_head *h)
{
	const struct http1_header *ph = http1_find(h, "proxy-authorization");
	const char *want = wk->opts.proxyauth;
	char cred[512];
	bool ok = false;

	if (ph && auth_decode(ph->value, cred, sizeof(cred))) {
		if (strcmp(want, "any") == 0)
			ok = true;
		else if (want[0] == '@')
			ok = htpasswd_check(cred);
		else if (strlen(cred) == strlen(want))
			ok = CRYPTO_memcmp(cred, want, strlen(want)) == 0;
	}
	if (ok) {
		c->authed = true;
		return true;
	}
	conn_client_log(c, LOG_LVL_INFO, "proxy authentication %s", ph ? "failed" : "required");
	http_error(c, 407, "Proxy Authentication Required", "Authentication required.");
	return false;
}
