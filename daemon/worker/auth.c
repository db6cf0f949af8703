/* Runs in a worker: proxy authentication (proxyauth "user:pass", "any" or
 * "@htpasswd") with Basic credentials from Proxy-Authorization, and for
 * SOCKS5 user/password.  A failure answers 407; valid credentials are never
 * forwarded (http_exchange.c strips them).  Checks against the htpasswd
 * file may run bcrypt, which is slow on purpose and runs on the event loop:
 * credentials that passed are cached (auth_cache.c), and a client address
 * with too many failures is refused without a check (auth_limit.c). */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "worker/auth.h"
#include "worker/http_int.h"

/* Decodes the "Basic <b64>" value into out; false when malformed. */
static bool auth_decode(struct http1_str v, char *out, size_t len)
{
	unsigned char dec[512];
	bool ok;
	int n;

	if (v.n < 7 || strncasecmp(v.p, "Basic ", 6) != 0 || v.n - 6 > 600)
		return false;
	n = EVP_DecodeBlock(dec, (const unsigned char *)v.p + 6, (int)(v.n - 6));
	if (n > 0 && v.p[v.n - 1] == '=') /* padding decodes to zero bytes */
		n -= v.p[v.n - 2] == '=' ? 2 : 1;
	ok = n >= 0 && (size_t)n < len && memchr(dec, '\0', (size_t)n) == NULL;
	if (ok) {
		memcpy(out, dec, (size_t)n);
		out[n] = '\0';
		ok = strchr(out, ':') != NULL;
	}
	OPENSSL_cleanse(dec, sizeof(dec));
	return ok;
}

static bool auth_compare(const char *want, const char *cred, uint64_t now_ms)
{
	bool ok;

	if (want[0] != '@')
		return strlen(cred) == strlen(want) && CRYPTO_memcmp(cred, want, strlen(want)) == 0;
	ok = htpasswd_check(cred);
	if (ok)
		auth_cache_add(cred, now_ms);
	return ok;
}

bool auth_credentials_ok(struct conn *c, const char *cred)
{
	const char *want = wk->opts.proxyauth;
	uint64_t now_ms = loop_now(wk->loop);
	struct auth_src src;
	unsigned wait_s;
	bool log_now;

	if (want == NULL)
		return false;
	if (strcmp(want, "any") == 0)
		return true;
	if (want[0] == '@' && auth_cache_hit(cred, now_ms))
		return true;
	auth_src_from_str(c->client_str, &src);
	if (auth_limit_blocked(&src, now_ms, &log_now, &wait_s)) {
		if (log_now)
			conn_client_log(
			    c, LOG_LVL_WARN,
			    "proxy authentication: too many failures from this address; "
			    "credentials refused unchecked for %u s",
			    wait_s);
		else
			conn_client_log(c, LOG_LVL_DEBUG, "proxy authentication refused unchecked");
		return false;
	}
	if (auth_compare(want, cred, now_ms))
		return true;
	auth_limit_failed(&src, now_ms);
	return false;
}

bool auth_check(struct conn *c, const struct http1_head *h)
{
	const struct http1_header *ph = http1_find(h, "proxy-authorization");
	char cred[512];
	bool ok = ph && auth_decode(ph->value, cred, sizeof(cred)) && auth_credentials_ok(c, cred);

	OPENSSL_cleanse(cred, sizeof(cred));
	if (ok) {
		c->authed = true;
		return true;
	}
	conn_client_log(c, LOG_LVL_INFO, "proxy authentication %s", ph ? "failed" : "required");
	http_error(c, 407, "Proxy Authentication Required", "Authentication required.");
	return false;
}
