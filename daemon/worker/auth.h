/* Runs in a worker: what proxy authentication keeps between requests.
 * auth_cache.c remembers credentials that passed an htpasswd check, by a
 * keyed hash of "user:password" (never the password), for a few minutes;
 * auth_limit.c counts failed checks per client address and, past a burst,
 * refuses without checking, and bounds the time one worker spends on
 * failed checks from all addresses together.  Both are bounded tables that
 * trust nothing about their input; times are the caller's monotonic clock. */
#ifndef SNARE_WORKER_AUTH_H
#define SNARE_WORKER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_CACHE_SLOTS 256		  /* verified credentials remembered */
#define AUTH_CACHE_WAYS 4		  /* slots one credential may land in */
#define AUTH_CACHE_TTL_MS (300u * 1000)	  /* then checked again */
#define AUTH_LIMIT_SOURCES 1024		  /* client addresses tracked */
#define AUTH_LIMIT_WAYS 8		  /* slots one address may land in */
#define AUTH_LIMIT_BURST 10		  /* failures before refusing unchecked */
#define AUTH_LIMIT_REFILL_MS (10u * 1000) /* then one more try per this */
#define AUTH_LIMIT_LOG_MS (60u * 1000)	  /* one "too many failures" line per source */
/* Failed checks of one worker, all addresses together: 10% of its time
 * (each microsecond spent pays off in AUTH_BUDGET_FACTOR), after a burst
 * of 2 s of checking. */
#define AUTH_BUDGET_FACTOR 10
#define AUTH_BUDGET_BURST_US (2000u * 1000)

struct conn;

/* A fresh random key and an empty cache (also on every htpasswd load).
 * 0, or -1 when no key could be drawn: the cache then never hits. */
int auth_cache_reset(void);
bool auth_cache_hit(const char *cred, uint64_t now_ms);
void auth_cache_add(const char *cred, uint64_t now_ms);

/* A client address as the limiter keys it: IPv4 whole, IPv6 by its /64. */
struct auth_src {
	uint8_t b[9]; /* family byte (4 or 6, 0: unknown) + 8 address bytes */
};
/* From a conn's client_str ("1.2.3.4:5", "[::1]:5"); unknown ones share
 * one key. */
void auth_src_from_str(const char *client_str, struct auth_src *out);
/* Whether src has used up its failures.  *log_now is set on the first
 * refusal of each AUTH_LIMIT_LOG_MS period; *wait_s to when it may try. */
bool auth_limit_blocked(const struct auth_src *src, uint64_t now_ms, bool *log_now,
			unsigned *wait_s);
void auth_limit_failed(const struct auth_src *src, uint64_t now_ms);
void auth_limit_reset(void);
/* The worker's budget for failed checks: blocked (with *log_now once per
 * AUTH_LIMIT_LOG_MS and *wait_s) while it is spent; spent by cost_us of
 * checking that failed. */
bool auth_budget_blocked(uint64_t now_ms, bool *log_now, unsigned *wait_s);
void auth_budget_spent(uint64_t now_ms, uint64_t cost_us);

/* proxyauth for credentials "user:password" from c's client: the cache,
 * the per-source limit and the worker's budget, then the check itself.
 * Logs only the limits. */
bool auth_credentials_ok(struct conn *c, const char *cred);
/* The same for a Proxy-Authorization value ("Basic <base64>"), n bytes. */
bool auth_value_ok(struct conn *c, const char *value, size_t n);
struct http1_head;
/* proxyauth for a request head; false after the 407 (or an error page). */
bool auth_check(struct conn *c, const struct http1_head *h);

#endif
