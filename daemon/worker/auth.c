/* Runs in a worker: proxy authentication (proxyauth "user:pass", "any" or
 * "@htpasswd") with Basic credentials from Proxy-Authorization, and for
 * SOCKS5 user/password.  A failure answers 407; valid credentials are never
 * forwarded (http_exchange.c strips them).  Checks against the htpasswd
 * file may run bcrypt, which is slow on purpose and runs on the event loop:
 * credentials that passed are cached (auth_cache.c), and a client address
 * with too many failures, or any new credentials once failed checks have
 * used up the worker's budget, are refused without a check (auth_limit.c). */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "worker/auth.h"
#include "worker/conn.h"
#include "worker/htpasswd.h"
#include "worker/http.h"
#include "worker/worker_ctx.h"

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

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The check itself; a failure is charged to the source and the worker. */
static bool auth_compare(const char *want, const char *cred, const struct auth_src *src,
			 uint64_t now_ms)
{
	uint64_t t0;
	bool ok;

	if (want[0] != '@') {
		ok = strlen(cred) == strlen(want) && CRYPTO_memcmp(cred, want, strlen(want)) == 0;
	} else {
		t0 = mono_us();
		ok = htpasswd_check(cred);
		if (ok)
			auth_cache_add(cred, now_ms);
		else
			auth_budget_spent(now_ms, mono_us() - t0);
	}
	if (!ok)
		auth_limit_failed(src, now_ms);
	return ok;
}

/* Whether a limit refuses c's credentials unchecked (logged once a minute). */
static bool auth_limited(struct conn *c, const struct auth_src *src, uint64_t now_ms)
{
	unsigned wait_s;
	bool log_now;

	if (auth_limit_blocked(src, now_ms, &log_now, &wait_s)) {
		if (log_now)
			conn_client_log(
			    c, LOG_LVL_WARN,
			    "proxy authentication: too many failures from this address; "
			    "credentials refused unchecked for %u s",
			    wait_s);
	} else if (auth_budget_blocked(now_ms, &log_now, &wait_s)) {
		if (log_now)
			log_warn("proxy authentication: failed checks used up this worker's "
				 "budget; new credentials refused unchecked for %u s",
				 wait_s);
	} else {
		return false;
	}
	if (!log_now)
		conn_client_log(c, LOG_LVL_DEBUG, "proxy authentication refused unchecked");
	return true;
}

bool auth_credentials_ok(struct conn *c, const char *cred)
{
	const char *want = wk->opts.proxyauth;
	uint64_t now_ms = loop_now(wk->loop);
	struct auth_src src;

	if (want == NULL)
		return false;
	if (strcmp(want, "any") == 0)
		return true;
	if (want[0] == '@' && auth_cache_hit(cred, now_ms))
		return true;
	auth_src_from_str(c->client_str, &src);
	if (auth_limited(c, &src, now_ms))
		return false;
	return auth_compare(want, cred, &src, now_ms);
}

bool auth_value_ok(struct conn *c, const char *value, size_t n)
{
	char cred[512];
	bool ok = auth_decode((struct http1_str){value, n}, cred, sizeof(cred)) &&
		  auth_credentials_ok(c, cred);

	OPENSSL_cleanse(cred, sizeof(cred));
	return ok;
}

bool auth_check(struct conn *c, const struct http1_head *h)
{
	const struct http1_header *ph = http1_find(h, "proxy-authorization");
	bool ok = ph && auth_value_ok(c, ph->value.p, ph->value.n);

	if (ok) {
		c->authed = true;
		return true;
	}
	conn_client_log(c, LOG_LVL_INFO, "proxy authentication %s", ph ? "failed" : "required");
	http_error(c, 407, "Proxy Authentication Required", "Authentication required.");
	return false;
}
